"""A marker is believed only in what the tool's own account wrote (issue #23, item 12): an
alert marker names a dispatch's sender only on the tool's issue (not any "…[bot]"'s), and
the follow-up and Slack-report markers are looked for only in issues the tool opened."""

from __future__ import annotations

from datetime import timedelta

from incident_tool.core import alerts as core_alerts
from incident_tool.core.followups import marker as followup_marker
from incident_tool.inbound import alerts
from incident_tool.inbound.slack import REPORT_MARKER
from tests.e2e.test_followups import followups, resolved_incident
from tests.e2e.test_slack_writes_back import command, ids, sweep, thread
from tests.fakes import context
from tests.world import REPO

DISPATCHED = alerts.Report(title="Search 5xx", source="grafana", via="repository_dispatch")


def alert_body(sender: str) -> str:
    report = alerts.Report(**{**DISPATCHED.__dict__, "sender": sender})
    return alerts.marker(report) + "\n### Summary\n\nSearch 5xx\n"


def test_only_the_tools_own_issue_names_a_dispatch_sender_as_its_reporter():
    label = alerts.LABEL_PREFIX + DISPATCHED.key
    for author, reporter in [
        ("github-actions[bot]", "dana"),  # the tool's account (the fakes' tool login)
        ("summary-bot[bot]", None),  # another app: its issue names nobody else
        ("olly", None),
    ]:
        ctx = context(author=author, body=alert_body("dana"), labels=(label,))
        assert core_alerts.adopt(ctx) == reporter, author
        assert ctx.record.alert is not None  # the labelled marker is still read


def follow_up_label(world) -> None:
    if world.gh.repo(REPO).label_named("follow-up") is None:
        world.gh.create_label(REPO, "follow-up")


def test_a_followup_marker_in_someone_elses_issue_is_not_the_followup(world):
    n = world.report()
    world.declare(n)
    action = world.say(n, "priya", "/action @lee Alert on empty search results")
    follow_up_label(world)
    forged = world.gh.open_issue(
        REPO,
        "lee",
        "not the tool's",
        followup_marker(n, str(action["id"])) + "\nwritten by hand",
        labels=["follow-up"],
    )
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver()
    [item] = followups(world)  # the tool opened its own
    assert item["user"]["login"] == world.gh.bot_login
    [state] = world.record(n).followups.values()
    assert state["issue"] == item["number"] != forged["number"]


def test_the_sweep_repairs_only_the_tools_own_followups(world):
    n = resolved_incident(world, [])
    [retro] = world.retrospectives()
    follow_up_label(world)
    forged = world.gh.open_issue(
        REPO,
        "lee",
        "Follow-up: by hand",
        followup_marker(n, "t1") + f"\n<!-- incident-tool:followup-parent #{retro['number']} -->",
        labels=["follow-up"],
    )
    world.deliver()
    code, output = sweep_output(world)
    assert code == 0
    assert world.gh.sub_issues(REPO, retro["number"]) == []
    assert f"#{forged['number']}" not in output


def sweep_output(world) -> tuple[int, str]:
    from tests.world import cli

    return cli(world, "sweep", "--repo", REPO, "--followups-only")


def test_a_slack_report_retry_finds_only_the_tools_own_issue(world, monkeypatch):
    from incident_tool.effects import slack_reports

    announce = world.team["channels"]["wc-platform"]
    # The claiming run dies before its issue is opened.
    world.sb.faults.add("github", "POST", rf"/repos/{REPO}/issues$", status=502, times=None)
    ts = command(world, announce, "rita", "report Payments fail since Saturday")
    sweep(world)
    world.sb.faults.clear()
    assert [i for i in world.gh.issues(REPO) if "Payments" in i["title"]] == []
    # Someone pastes the marker the retry looks for into an issue of their own.
    marker = REPORT_MARKER.format(channel=announce, ts=ts, reporter="rita", user=ids(world)["rita"])
    forged = world.gh.open_issue(REPO, "olly", "Payments fail (mine)", marker, labels=[])
    world.clock.now += slack_reports.RETRY_AFTER + timedelta(minutes=1)
    monkeypatch.setattr(slack_reports, "utcnow", lambda: world.clock.now)
    sweep(world)
    [opened] = [
        i
        for i in world.gh.issues(REPO)
        if i["title"].startswith("[Incident]: Payments") and i["number"] != forged["number"]
    ]
    assert opened["user"]["login"] == world.gh.bot_login
    [answer] = thread(world, announce, ts)
    assert f"#{opened['number']}" in answer and f"#{forged['number']}" not in answer


def test_a_pasted_retrospective_marker_does_not_stand_for_the_retrospective(world):
    """Someone opens an issue carrying the retrospective's marker and label before the
    incident is resolved: the tool still opens its own retrospective and links that."""
    number = world.report()
    world.declare(number)
    world.gh.open_issue(
        REPO,
        "olly",
        "Retrospective (not really)",
        f"<!-- incident-tool:retrospective-of:{number} -->\nclick here",
        labels=list(world.team["config"].get("retrospective", {}).get("labels", []))
        or ["retrospective"],
    )
    world.deliver()
    world.gh.close_issue(REPO, number, "dana", reason="completed")
    world.deliver()
    retro = world.record(number).retro
    assert retro is not None
    assert world.issue(retro)["user"]["login"] == world.gh.bot_login
