"""The whole lifecycle at the HTTP level: PyGithub and slack-sdk against the sandbox."""

from __future__ import annotations

from datetime import timedelta

import pytest

from incident_sandbox import demo
from incident_tool.cli import main
from tests.world import REPO, cli


def test_full_lifecycle(world):
    n = world.report()
    assert world.state_labels(n) == ["incident:reported"]
    # rita has read access only: her severity guess is shown, not applied
    # (docs/usage.md#who-may-change-an-incident-by-hand).
    assert "severity:2" not in world.labels(n) and world.record(n).severity_guess == 2
    reported = [c for c in world.bot_comments(n) if "incident-tool:reported" in c["body"]]
    assert len(reported) == 1 and "@dana" in reported[0]["body"]

    world.declare(n)
    assert world.state_labels(n) == ["incident:declared"]
    assert world.assignees(n) == ["priya"], "sam is away on Slack: priya is next"
    channel = world.incident_channel(n)
    assert channel["name"] == f"incident-{n}-search-returns-no-results"
    members = set(world.sl.members(channel["id"]))
    ids = world.team["slack_ids"]
    assert {ids["priya"], ids["dana"], ids["rita"]} <= members
    announce = world.team["channels"]["wc-platform"]
    assert any("Incident declared" in t for t in world.slack_texts(announce))

    world.say(n, "lee", "/join")
    world.say(n, "priya", "/handover @lee")
    assert world.assignees(n) == ["lee"]
    world.say(n, "lee", "/update Rolled back the index alias")
    world.say(n, "lee", "/mitigated")
    assert world.state_labels(n) == ["incident:mitigated"]
    # A Slack note (pinned): by default the retrospective holds the notes, not the channel's
    # other messages (retrospective.slack_messages).
    ts = world.sl.post_as_user(channel["id"], ids["lee"], "root cause: the nightly reindex")
    world.sl.pin_as_user(channel["id"], ts, ids["lee"])
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver()

    assert world.state_labels(n) == ["incident:resolved"]
    [retro] = world.retrospectives()
    assert retro["title"] == f"Retrospective: Search returns no results (#{n})"
    assert [label["name"] for label in retro["labels"]] == ["retrospective"]
    assert [a["login"] for a in retro["assignees"]] == ["dana"]
    body = retro["body"]
    for heading in (
        "## Summary",
        "## Impact on users",
        "## Roles",
        "## Timeline (UTC)",
        "## Durations",
        "## What happened",
        "## What went well",
        "## What went badly",
        "## Action items",
    ):
        assert heading in body
    assert "priya → lee" in body and "root cause: the nightly reindex" in body
    assert any(f"Retrospective: #{retro['number']}" in c["body"] for c in world.bot_comments(n))
    for comment in world.gh.comments(REPO, n):
        if comment["body"].startswith("/"):
            assert [r["content"] for r in world.gh.reactions(comment["id"])] == ["+1"]
    record = world.record(n)
    kinds = [e.kind for e in record.timeline]
    for kind in (
        "reported",
        "declared",
        "lead",
        "join",
        "handover",
        "update",
        "mitigated",
        "resolved",
    ):
        assert kind in kinds


def test_demo_runs_and_tells_the_story():
    lines: list[str] = []
    assert demo.run(main, lines.append) == 0
    text = "\n".join(lines)
    for expected in (
        "labels: incident:reported",
        "labels: incident:declared",
        "assignee: priya",
        "assignee: lee",
        "labels: incident:mitigated",
        "labels: incident:resolved",
        "created #incident-1-search-returns-no-results",
        "Retrospective: Search returns no results (#1)",
        "## Timeline (UTC)",
        "## Action items",
        "Demo finished",
        # docs/usage.md#slack-writes-back: a finding pinned in Slack, and a handover given there by
        # mention.
        "| Slack | Slack note (priya): The 09:35 index alias switch pointed search at an empty",
        # The handover was given in Slack, and the retrospective says so (issue #22).
        "| Slack | Handover (lee): lee → priya |",
        # ... and one given on the issue, the fourth way people use the tool.
        "| GitHub | Handover (priya): priya → lee |",
        ":ok_hand: Done: `handover`, as lee on GitHub.",
        # docs/usage.md#what-changed-before-the-incident: listed at declaration, the merge
        # suspected (its author invited), its revert opened, and the retrospective's table.
        ":mag: *What changed in the 24 h before the report*",
        "#incident-1-search-returns-no-results: invited sam",
        "↩️ Revert of wellcome/catalogue-api#1 opened",
        "## Changes before the incident",
        "| wellcome/catalogue-api#1 | [sam](https://github.com/sam) | suspected |",
    ):
        assert expected in text, expected
    # The terminal shows Slack's messages as Slack shows them, and cuts titles between
    # words (issue #22, item 10).
    slack = [line for line in lines if line.startswith("  Slack ")]
    assert any("<!channel>" in line for line in slack)
    assert not any("&lt;" in line or "&gt;" in line for line in slack)
    # (It read "/resolved-when search returns results for 1", cut at 50 characters.)
    assert "/resolved-when search returns results for 15 …" in text
    assert "lee hands the lead over in Slack: @incident-tool handover @priya" in text
    # The ack is recorded at the minute the story tells it.
    [told] = [line for line in lines if "acknowledges with a ✅" in line]
    at = told.split()[2]
    assert f"| {at} GMT | Slack | Lead acknowledged (lee): ✅ on the DM |" in text


def test_redelivered_events_change_nothing(world):
    def run(twice: bool) -> int:
        n = world.gh.open_issue(
            REPO, "rita", "Twice", demo.REPORT_BODY, labels=["incident:reported"]
        )["number"]
        steps = [
            lambda: world.gh.add_label(REPO, n, "dana", "incident:declared"),
            lambda: world.gh.comment(REPO, n, "lee", "/join"),
            lambda: world.gh.comment(REPO, n, "priya", "/handover @lee"),
            lambda: world.gh.comment(REPO, n, "lee", "/update fixed it"),
            lambda: world.gh.comment(REPO, n, "lee", "plain words"),
            lambda: world.gh.close_issue(REPO, n, "dana", reason="completed"),
        ]
        for step in [lambda: None, *steps]:
            step()
            for event in world.gh.take_events():
                world.driver.deliver([event, event] if twice else [event])
        return n

    once, twice = run(False), run(True)
    a, b = world.snapshot(once), world.snapshot(twice)
    assert a["retrospectives"] == 2  # one each
    for key in ("labels", "assignees", "state", "bot_comments", "record_state", "leads", "helping"):
        assert a[key] == b[key], key
    assert sorted(r for _, r in a["reactions"]) == sorted(r for _, r in b["reactions"])
    texts = [
        [m["text"] for m in world.sl.messages(world.incident_channel(x)["id"])]
        for x in (once, twice)
    ]
    assert len(texts[0]) == len(texts[1])
    assert len(set(texts[1])) == len(texts[1]), "a message was posted twice"


def test_events_seen_only_after_everything_happened(world):
    n = world.gh.open_issue(
        REPO, "rita", "All at once", demo.REPORT_BODY, labels=["incident:reported"]
    )["number"]
    world.gh.add_label(REPO, n, "dana", "incident:declared")
    world.gh.comment(REPO, n, "lee", "/join")
    world.gh.comment(REPO, n, "priya", "/handover @lee")
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    events = world.gh.take_events()
    world.driver.deliver(list(reversed(events)))  # out of order, and late
    record = world.record(n)
    assert record.leads == ["priya", "lee"] and record.helping == ["priya"]  # lee leads now
    assert world.state_labels(n) == ["incident:resolved"]
    assert [e.actor for e in record.timeline if e.kind in ("declared", "resolved")] == [
        "dana",
        "dana",
    ]
    assert len(world.retrospectives()) == 1
    assert world.incident_channel(n)


def test_cancelled_runs_lose_no_command(world):
    n = world.report()
    world.declare(n)
    for body in ("/join", "/update one", "/severity 1", "/action add alert", "/update two"):
        world.gh.comment(REPO, n, "priya" if body != "/join" else "lee", body)
    events = world.gh.take_events()
    world.driver.deliver(events[-1:])  # the concurrency group dropped the first four runs
    record = world.record(n)
    assert record.helping == ["lee"] and record.severity == 1
    assert [e.text for e in record.timeline if e.kind == "update"] == ["one", "two"]
    assert "severity:1" in world.labels(n)
    world.driver.deliver(events)  # and if they do run later, nothing doubles
    assert [e.text for e in world.record(n).timeline if e.kind == "update"] == ["one", "two"]


def test_edited_into_a_command_is_never_run(world):
    n = world.report()
    world.declare(n)
    comment = world.say(n, "priya", "I think lee should lead")
    world.gh.edit_comment(REPO, comment["id"], "priya", "/handover @lee")
    world.say(n, "priya", "/update still looking")
    assert world.assignees(n) == ["priya"]
    # and when the plain comment's own run was cancelled before the edit:
    comment = world.say(n, "priya", "plain text", deliver=False)
    world.gh.take_events()
    world.gh.edit_comment(REPO, comment["id"], "priya", "/handover @lee")
    world.say(n, "dana", "/status")
    assert world.assignees(n) == ["priya"]


def test_pull_request_and_bot_comments_are_not_commands(world):
    n = world.report()
    world.declare(n)
    world.gh.open_pull_request_comment(REPO, "priya", "/handover @lee")
    world.deliver()
    world.gh.comment(REPO, n, world.gh.bot_login, "/handover @lee")
    world.deliver()
    assert world.assignees(n) == ["priya"]


def test_invalid_transition_is_refused_and_label_restored(world):
    n = world.report()
    world.gh.add_label(REPO, n, "dana", "incident:resolved")
    world.deliver()
    assert world.state_labels(n) == ["incident:reported"]
    assert any("never declared" in c["body"] for c in world.bot_comments(n))
    assert not world.retrospectives()


def test_refused_commands_reply_and_change_nothing(world):
    n = world.report()
    world.declare(n)
    before = world.snapshot(n)
    for who, body, reason in (
        ("olly", "/join", "triage"),
        ("lee", "/handover @lee", "Only the current lead"),
        ("priya", "/handover @nobody-here", "not a GitHub user"),
        ("priya", "/handover @olly", "not a GitHub user"),
        ("priya", "/handover", "needs a person"),
        ("priya", "/dismiss no", "delivery manager"),
    ):
        comment = world.say(n, who, body)
        if who == "olly":  # no collaborator: his comment starts no run; the sweep's reads it
            assert cli(world, "sweep", "--repo", REPO)[0] == 0
        replies = [
            c
            for c in world.bot_comments(n)
            if f"<!-- incident-tool:reply:{comment['id']} -->" in c["body"]
        ]
        assert len(replies) == 1 and reason in replies[0]["body"], (body, replies)
        assert not world.gh.reactions(comment["id"])
    after = world.snapshot(n)
    assert (after["labels"], after["assignees"], after["leads"]) == (
        before["labels"],
        before["assignees"],
        before["leads"],
    )


def test_dm_duties_comms_resolved_when_invite(world):
    n = world.report()
    world.declare(n)
    world.say(n, "dana", "/resolved-when results for 15 minutes")
    world.say(n, "dana", "/comms Search is down; fix under way")
    world.say(n, "priya", "/invite @lee knows the indexer")
    channel = world.incident_channel(n)
    assert "results for 15 minutes" in world.sl.channel_by_name(channel["name"])["topic"]["value"]
    stakeholders = world.team["channels"]["wc-stakeholders"]
    assert any(
        "Stakeholder update" in t and "fix under way" in t for t in world.slack_texts(stakeholders)
    )
    lee = world.team["slack_ids"]["lee"]
    assert lee in world.sl.members(channel["id"])
    assert any("asks for your help" in m["text"] for m in world.sl.dms(lee))
    assert any(
        "@lee" in c["body"] and "knows the indexer" in c["body"] for c in world.bot_comments(n)
    )
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver()
    body = world.retrospectives()[0]["body"]
    assert "## Resolution criteria" in body and "## Stakeholder communication" in body


def test_non_dm_close_asks_confirmation_and_reopen_undoes_it(world):
    n = world.report()
    world.declare(n)
    world.gh.close_issue(REPO, n, "priya", reason="completed")
    world.deliver()
    assert world.state_labels(n) == ["incident:resolved"]
    assert any(
        "please confirm" in c["body"] and "@dana" in c["body"] for c in world.bot_comments(n)
    )
    world.gh.reopen_issue(REPO, n, "dana")
    world.deliver()
    assert world.state_labels(n) == ["incident:declared"]
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver()
    assert len(world.retrospectives()) == 1
    kinds = [e.kind for e in world.record(n).timeline]
    assert kinds.count("resolved") == 2 and "resolution-undone" in kinds and "reopened" in kinds


def test_sensitive_incident_stays_in_the_private_channel(world):
    body = demo.REPORT_BODY.replace("Search / catalogue API", "Security / credentials").replace(
        "Search on wellcomecollection.org returns no results", "AWS key AKIA123 pushed publicly"
    )
    n = world.report(title="Leaked AKIA123 key", body=body)
    world.declare(n)
    world.say(n, "priya", "The key was in commit abc123, rotating AKIA123 now")
    channel = world.incident_channel(n)
    world.sl.post_as_user(channel["id"], world.team["slack_ids"]["lee"], "new key is SECRETVALUE")
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver()
    assert channel["is_private"]
    for other in world.sl.channels():
        if other["id"] == channel["id"]:
            continue
        for text in world.slack_texts(other["id"]):
            assert "AKIA123" not in text and "Leaked" not in text
    for user in world.team["slack_ids"].values():
        for message in world.sl.dms(user):
            assert "AKIA123" not in message["text"]
    body = world.retrospectives()[0]["body"]
    assert "sensitive incident" in body and "SECRETVALUE" not in body  # the channel stays private


def test_without_slack_everything_on_github_still_works(world_without_slack):
    world = world_without_slack
    n = world.report()
    world.gh.add_label(REPO, n, "dana", "incident:declared")
    [output] = world.deliver()
    assert "SLACK_BOT_TOKEN is not set" in output
    assert world.assignees(n) == ["sam"], "no Slack presence: the most senior responder leads"
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver()
    assert len(world.retrospectives()) == 1 and not world.sl.channels()[2:]


def test_slack_failure_never_stops_github_and_is_retried(world):
    n = world.report()
    world.sb.faults.add(
        service="slack", path=r"conversations\.create", slack_error="fatal_error", times=None
    )
    world.declare(n)
    assert world.assignees(n) == ["priya"] and world.state_labels(n) == ["incident:declared"]
    record = world.record(n)
    assert record.channel_id is None and any("fatal_error" in p for p in record.problems)
    assert "fatal_error" in world.status(n)["body"]
    world.sb.faults.clear()
    world.say(n, "lee", "/join")
    assert world.incident_channel(n)
    record = world.record(n)
    assert record.channel_id and not record.problems and not record.outbox


@pytest.mark.parametrize("title", ["<!channel> help", "@here & <https://evil|click>"])
def test_user_text_never_reaches_slack_unescaped(world, title):
    n = world.report(title=title)
    world.declare(n)
    world.say(n, "priya", "<!everyone> look at <https://evil.example|this>")
    for channel in world.sl.channels():
        for message in world.sl.messages(channel["id"]):
            if message.get("user") != world.sl.bot_user_id:
                continue
            text = message.get("text", "")
            assert "<!channel>" not in text and "<!everyone>" not in text
            assert "<https://evil" not in text


def test_no_secret_appears_anywhere(world):
    n = world.report()
    world.declare(n)
    world.say(n, "priya", "/handover @lee")
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver()
    secrets = [world.team["env"]["GITHUB_TOKEN"], world.team["env"]["SLACK_BOT_TOKEN"]]
    seen = [world.driver.log]
    seen += [c["body"] for c in world.gh.comments(REPO, n)]
    seen += [i["body"] or "" for i in world.gh.issues(REPO)]
    seen += [m.get("text", "") for c in world.sl.channels() for m in world.sl.messages(c["id"])]
    for secret in secrets:
        assert all(secret not in text for text in seen)


@pytest.mark.parametrize("forger", ["olly", "evil-app[bot]"])
def test_a_forged_status_comment_is_not_believed(world, forger):
    from incident_tool.core.record import Record
    from incident_tool.core.states import State
    from incident_tool.core.status import render
    from tests.fakes import CONFIG, T0

    if forger.endswith("[bot]"):
        world.gh.add_user(forger, type="Bot")
    n = world.report()
    fake = Record(state=State.DECLARED, leads=["olly"], last_comment_id=10**9)
    world.gh.comment(REPO, n, forger, render(fake, CONFIG, repo=REPO, updated=T0))
    world.gh.take_events()
    world.declare(n)
    assert world.assignees(n) == ["priya"]
    assert world.record(n).leads == ["priya"]  # the bot's own record, not the forgery


def test_invite_someone_with_read_access(world):
    n = world.report()
    world.declare(n)
    comment = world.say(n, "priya", "/invite @rita you reported it")
    assert [r["content"] for r in world.gh.reactions(comment["id"])] == ["+1"]
    assert world.team["slack_ids"]["rita"] in world.sl.members(world.incident_channel(n)["id"])


def test_sensitive_label_after_declaration_redacts_later_announcements(world):
    n = world.report(title="Keys in a public gist")
    world.declare(n)
    world.gh.add_label(REPO, n, "dana", "sensitive")
    world.deliver()
    record = world.record(n)
    assert record.sensitive and "stays public" in record.last("sensitive").text
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver()
    announce = world.team["channels"]["wc-platform"]
    resolved = [t for t in world.slack_texts(announce) if "resolved" in t]
    assert resolved and all("Keys in a public gist" not in t for t in resolved)


def test_the_timeline_says_when_things_happened_not_when_runs_read_them(world):
    n = world.report()
    world.declare(n)
    comment = world.say(n, "priya", "/update late run", deliver=False)
    event = world.gh.take_events()
    world.clock.now += timedelta(hours=3)  # the run comes three hours later
    world.driver.deliver(event)
    update = world.record(n).last("update")
    assert update.at == comment["created_at"]
