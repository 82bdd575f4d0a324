"""What an adversarial review found, kept as regression tests (one per finding)."""

from __future__ import annotations

import json

import yaml

import incident_tool.effects.github as gh_mod
from tests.world import REPO, cli

# -- Several changes in one run: the last one wins, on GitHub as in the record -----------


def test_two_handovers_in_one_run(world):
    n = world.report()
    world.declare(n)
    assert world.assignees(n) == ["priya"]
    world.say(n, "priya", "/handover @lee", deliver=False)
    world.say(n, "lee", "/handover @priya", deliver=False)
    events = world.gh.take_events()
    world.driver.deliver(events[-1:])  # the first run was cancelled by the concurrency group
    rec = world.record(n)
    assert rec.lead == "priya"
    assert world.assignees(n) == ["priya"], "the lead in the record is priya, GitHub says lee"


def test_handover_back_and_forth_same_run_after_declare(world):
    n = world.report()
    world.gh.add_label(REPO, n, "dana", "incident:declared")
    world.gh.comment(REPO, n, "priya", "/handover @lee")
    world.gh.comment(REPO, n, "lee", "/handover @priya")
    events = world.gh.take_events()
    world.driver.deliver(events[-1:])
    rec = world.record(n)
    assert world.assignees(n) == [rec.lead]


def test_severity_flipflop(world):
    n = world.report()
    world.declare(n)
    world.say(n, "dana", "/severity 1", deliver=False)
    world.say(n, "dana", "/severity 3", deliver=False)
    world.say(n, "dana", "/severity 1", deliver=False)
    events = world.gh.take_events()
    world.driver.deliver(events[-1:])
    rec = world.record(n)
    sev = [x for x in world.labels(n) if x.startswith("severity:")]
    assert sev == [f"severity:{rec.severity}"]


def test_reported_after_dismissed(world):
    n = world.report()
    world.say(n, "dana", "/dismiss duplicate of #1")
    assert world.state_labels(n) == ["incident:dismissed"]
    assert world.issue(n)["state"] == "closed"
    world.gh.add_label(REPO, n, "dana", "incident:reported")
    world.deliver()
    assert world.state_labels(n) == ["incident:reported"]
    assert world.issue(n)["state"] == "open"


# -- `sensitive` is reconciled from the labels, like the states --------------------------


def test_sensitive_label_event_cancelled(world):
    n = world.report(title="Leaked AWS keys SECRET-TITLE")
    world.gh.add_label(REPO, n, "dana", "sensitive")
    world.gh.comment(REPO, n, "dana", "declaring now")
    world.gh.add_label(REPO, n, "dana", "incident:declared")
    events = world.gh.take_events()
    # concurrency: the 'sensitive' labeled run and the comment run were pending and cancelled
    world.driver.deliver(events[-1:])
    rec = world.record(n)
    announce = world.team["channels"]["wc-platform"]
    texts = world.slack_texts(announce)
    assert not world.incident_channel(n)["is_private"] or rec.sensitive
    assert rec.sensitive
    assert not any("SECRET-TITLE" in t for t in texts)


def test_sensitive_via_sweep(world):
    # sensitive label added while the tool was down; a later comment run reconciles
    n = world.report(title="Leaked AWS keys SECRET-TITLE")
    world.gh.add_label(REPO, n, "dana", "sensitive")
    world.gh.take_events()  # lost
    world.declare(n)
    announce = world.team["channels"]["wc-platform"]
    texts = world.slack_texts(announce)
    assert not any("SECRET-TITLE" in t for t in texts)


# -- Slack display names are data in the retrospective -----------------------------------


def test_slack_display_name_in_retrospective(world):
    # The channel's messages are copied only with `all` (tests/e2e/test_retro_channel_copy.py).
    world.write_config(retrospective={"slack_messages": "all"})
    n = world.report()
    world.declare(n)
    ch = world.incident_channel(n)
    # a Slack member not in `people` (e.g. a contractor) with a crafted display name
    world.sl.add_user(
        "U0EVIL0001",
        "@sam <img src=x onerror=alert(1)> | @wellcome/everyone",
        "@sam <img src=x onerror=alert(1)> | @wellcome/everyone",
    )
    world.sl.post_as_user(ch["id"], "U0EVIL0001", "hello")
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver()
    [retro] = world.retrospectives()
    assert any("hello" in line for line in retro["body"].splitlines())
    assert "<img" not in retro["body"]
    assert "@sam" not in retro["body"]


# -- A triage reminder reaches the delivery managers somehow -----------------------------


def unmap(world, login):
    cfg = json.loads(json.dumps(world.team["config"]))
    del cfg["people"][login]
    (world.root / ".github" / "incident.yml").write_text(yaml.safe_dump(cfg), "utf-8")


def test_triage_reminder_reaches_an_unmapped_dm(world, later):
    unmap(world, "dana")
    n = world.report()
    later(16)
    code, out = cli(world, "sweep", "--repo", REPO)
    assert code == 0, out
    reminders_on_issue = [c for c in world.bot_comments(n) if "waited" in c["body"]]
    dms = [m for m in world.sl.dms(world.team["slack_ids"]["dana"]) if "waited" in m["text"]]
    assert reminders_on_issue or dms, "the triage reminder reached nobody"


# -- Closing as duplicate dismisses; back from mitigated is not a reopen -----------------


def test_report_closed_as_duplicate(world):
    world.report(title="Search down")
    n = world.report(title="Search down again")
    world.gh.close_issue(REPO, n, "dana", reason="duplicate")
    world.deliver()
    issue = world.issue(n)
    assert issue["state"] == "closed", "the tool reopened a report a DM closed as duplicate"


def test_declared_closed_as_duplicate(world):
    n = world.report(title="Search down again")
    world.declare(n)
    world.gh.close_issue(REPO, n, "dana", reason="duplicate")
    world.deliver()
    assert world.retrospectives() == [], "a duplicate got a retrospective"


def test_mitigated_back_to_declared_is_not_a_reopen(world):
    n = world.report()
    world.declare(n)
    world.say(n, "priya", "/mitigated")
    world.gh.add_label(REPO, n, "priya", "incident:declared")
    world.deliver()
    assert world.record(n).state.value == "declared"
    announce = world.team["channels"]["wc-platform"]
    texts = world.slack_texts(announce)
    assert not any("reopened" in t for t in texts)


# -- The declared announcement names the channel, even when it opens late ----------------


def test_channel_create_fails_then_announce(world):
    n = world.report()
    world.sb.faults.add(
        "slack", path=r"conversations\.create", slack_error="restricted_action", times=1
    )
    world.declare(n)
    world.say(n, "lee", "/join")  # next event: channel opened now
    ch = world.incident_channel(n)
    announce = world.team["channels"]["wc-platform"]
    texts = [t for t in world.slack_texts(announce) if "declared" in t]
    assert all(f"<#{ch['id']}>" in t for t in texts), (
        "the declared announcement never names the channel"
    )


# -- Commands posted right after a reopen run after it -----------------------------------


def test_command_right_after_reopen(world):
    n = world.report()
    world.declare(n)
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver()
    assert world.state_labels(n) == ["incident:resolved"]
    world.gh.reopen_issue(REPO, n, "dana")
    # seconds later, before the reopen's run has read the issue
    world.gh.comment(REPO, n, "dana", "/handover @lee")
    world.deliver()  # the reopen's run, then the comment's run, both delivered in order
    assert world.state_labels(n) == ["incident:declared"]
    assert world.assignees(n) == ["lee"], "the handover posted after the reopen was refused"


def test_close_reopen_close_one_retro(world):
    n = world.report()
    world.declare(n)
    world.gh.close_issue(REPO, n, "lee", reason="completed")
    world.deliver()
    world.gh.reopen_issue(REPO, n, "dana")
    world.deliver()
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver()
    world.deliver()
    assert world.state_labels(n) == ["incident:resolved"]
    assert len(world.retrospectives()) == 1
    rec = world.record(n)
    assert rec.awaiting_confirmation is None


# -- Config edge cases: no delivery managers, no responders, no people -------------------


def put(world, **cfg_changes):
    cfg = json.loads(json.dumps(world.team["config"]))
    cfg.update(cfg_changes)
    (world.root / ".github" / "incident.yml").write_text(yaml.safe_dump(cfg), "utf-8")


def full(world, n, closer="dana"):
    world.declare(n)
    world.say(n, "lee", "/join")
    world.say(n, "priya", "/update x")
    world.say(n, "dana", "/comms y")
    world.gh.close_issue(REPO, n, closer, reason="completed")
    world.deliver()


def test_no_dms(world):
    put(world, delivery_managers=[])
    n = world.report()
    full(world, n)
    assert world.state_labels(n) == ["incident:resolved"]
    assert len(world.retrospectives()) == 1


def test_no_responders(world):
    put(world, responders=[])
    n = world.report()
    full(world, n)
    assert world.record(n).leads[0] == "dana"


def test_no_people(world):
    put(world, people={})
    n = world.report()
    full(world, n)
    assert len(world.retrospectives()) == 1


def test_dm_is_responder(world):
    put(world, delivery_managers=["priya"], responders=["priya", "lee"])
    n = world.report()
    full(world, n, closer="priya")
    assert world.record(n).leads[0] == "priya"


def test_dm_outsider_not_assignable(world):
    # a delivery manager who is not a collaborator (e.g. a manager outside the org)
    put(world, delivery_managers=["dana", "olly"])
    n = world.report()
    full(world, n)
    assert world.state_labels(n) == ["incident:resolved"]
    assert len(world.retrospectives()) == 1


# -- A failed retrospective does not repeat the Slack announcements ----------------------


def test_a_failed_retrospective_does_not_repeat_announcements(world, monkeypatch):
    monkeypatch.setattr(gh_mod.time, "sleep", lambda s: None)
    n = world.report(title="T" * 250)  # GitHub answers 422 "title is too long" past 256
    world.declare(n)
    world.sb.faults.add(
        "github", method="POST", path=r"/repos/wellcome/platform/issues$", status=422, times=None
    )
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver(expect=1)
    world.say(n, "lee", "thanks", deliver=False)
    world.deliver(expect=1)
    announce = world.team["channels"]["wc-platform"]
    resolved = [t for t in world.slack_texts(announce) if "resolved" in t]
    assert len(resolved) == 1, "the resolved announcement went out once per run"


# -- Comments from before an issue became an incident are not commands -------------------


def test_old_comments_do_not_run_when_the_label_run_was_missed(world):
    issue = world.gh.open_issue(REPO, "rita", "Search is slow", "it is slow")
    n = issue["number"]
    world.gh.comment(REPO, n, "dana", "/severity 1\nweeks ago, on another matter")
    world.gh.comment(REPO, n, "rita", "private musing: my password is hunter2")
    world.gh.take_events()
    world.gh.add_label(REPO, n, "dana", "incident:declared")
    world.gh.take_events()  # that run failed / was cancelled
    code, out = cli(world, "sweep", "--repo", REPO)
    assert code == 0, out
    ch = world.incident_channel(n)
    texts = world.slack_texts(ch["id"])
    assert world.record(n).severity != 1
    assert not any("hunter2" in t for t in texts)


# -- A command posted right after a declaration is not lost ------------------------------


def test_command_right_after_declaring_an_existing_issue(world):
    issue = world.gh.open_issue(REPO, "rita", "Search is slow", "it is slow")
    n = issue["number"]
    world.gh.take_events()
    world.gh.add_label(REPO, n, "dana", "incident:declared")
    world.gh.comment(
        REPO, n, "dana", "/severity 1"
    )  # seconds later, before the run reads the issue
    world.deliver()  # both runs, in order
    rec = world.record(n)
    assert rec.severity == 1 and "severity:1" in world.labels(n), (
        "the /severity command was silently dropped"
    )


# -- A long Slack outage never drops the transitions -------------------------------------


def test_a_long_slack_outage_keeps_invites_and_announcement(world):
    n = world.report()
    world.sb.faults.add("slack", status=503, times=None)
    world.declare(n)
    for i in range(30):
        world.say(n, "dana", f"/update step {i}", deliver=False)
    world.deliver()  # one run reconciles them all (the others were cancelled)
    world.sb.faults.clear()
    world.say(n, "dana", "/update slack is back")
    ch = world.incident_channel(n)
    members = set(world.sl.members(ch["id"]))
    ids = world.team["slack_ids"]
    announce = world.team["channels"]["wc-platform"]
    declared = [t for t in world.slack_texts(announce) if "declared" in t]
    lead = world.record(n).lead
    print(lead)
    assert ids[lead] in members, "the lead was never invited to the channel"
    assert declared, "the declaration was never announced"


# -- Someone who joined before declaration is invited to the channel ---------------------


def test_joined_before_declaration_is_invited(world):
    n = world.report()
    world.say(n, "lee", "/join")
    assert "lee" in world.record(n).helping
    world.declare(n)
    ch = world.incident_channel(n)
    assert world.team["slack_ids"]["lee"] in world.sl.members(ch["id"]), (
        "a listed helper is not in the room"
    )
