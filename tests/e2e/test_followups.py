"""Follow-ups (docs/usage.md#follow-ups): every `/action` becomes an issue someone owns, against the
sandbox."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import incident_tool.app as run_module
from incident_tool.inbound.commands import (
    Command,
    CommandName,
    MalformedCommand,
    owner_word,
    parse_command,
)
from incident_tool.verbs.report import FollowUp, Metrics, followups_markdown
from tests.world import REPO, cli

LABEL = "follow-up"


def followups(world) -> list[dict]:
    return sorted(
        (i for i in world.gh.issues(REPO) if i["title"].startswith("Follow-up:")),
        key=lambda i: i["number"],
    )


def resolved_incident(world, actions: list[str], *, by: str = "priya") -> int:
    n = world.report()
    world.declare(n)  # priya leads (sam is away)
    for text in actions:
        world.say(n, by, text)
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver()
    return n


# -- the command ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("/action @lee Add an alert", Command(CommandName.ACTION, "Add an alert", owner="lee")),
        ("/action @lee, add an alert", Command(CommandName.ACTION, "add an alert", owner="lee")),
        ("/ACTION fix the cache", Command(CommandName.ACTION, "fix the cache")),
        (
            "/action @lee\nthe text below",
            Command(CommandName.ACTION, "the text below", owner="lee"),
        ),
    ],
)
def test_action_parses_an_optional_owner(body, expected):
    assert parse_command(body) == expected


@pytest.mark.parametrize("body", ["/action @lee", "/action @-x- do it", "/action @bot[bot] x"])
def test_action_with_a_bad_owner_or_no_text_is_refused(body):
    result = parse_command(body)
    assert isinstance(result, MalformedCommand) and result.name == "action"


def test_a_bare_first_word_is_offered_as_an_owner():
    assert owner_word("sam: write the runbook") == ("sam", "write the runbook")
    assert owner_word("refactor") == (None, "refactor")
    assert owner_word("don't panic") == (None, "don't panic")


# -- resolution -------------------------------------------------------------------------


def test_resolution_with_three_actions(world):
    n = resolved_incident(
        world,
        [
            "/action @lee Alert on empty search results",
            "/action sam: write the reindex runbook",  # a known login, written without @
            "/action @olly rotate the index keys",  # olly cannot be assigned
        ],
    )
    replies = [
        c["body"]
        for c in world.bot_comments(n)
        if "cannot be assigned" in c["body"] and "incident-tool:status" not in c["body"]
    ]
    assert len(replies) == 1 and "`olly`" in replies[0]
    [retro] = world.retrospectives()
    made = followups(world)
    assert [f["title"] for f in made] == [
        f"Follow-up: Alert on empty search results (#{n})",
        f"Follow-up: write the reindex runbook (#{n})",
        f"Follow-up: rotate the index keys (#{n})",
    ]
    assert [[a["login"] for a in f["assignees"]] for f in made] == [["lee"], ["sam"], []]
    for item in made:
        assert [label["name"] for label in item["labels"]] == [LABEL]
        assert (
            f"- Incident: #{n}" in item["body"]
            and f"- Retrospective: #{retro['number']}" in (item["body"])
        )
        assert item["parent_issue_url"].endswith(f"/issues/{retro['number']}")
    assert "`olly` cannot be assigned" in made[2]["body"]
    # Never sent an unassignable login (GitHub answers that with 422).
    posts = [r for r in world.sb.requests if r.method == "POST" and r.path.endswith("/issues")]
    assert all("olly" not in (r.body or {}).get("assignees", []) for r in posts)
    assert [i["number"] for i in world.gh.sub_issues(REPO, retro["number"])] == [
        f["number"] for f in made
    ]
    body = world.gh.issue(REPO, retro["number"])["body"]
    for item in made:
        assert f"- [ ] #{item['number']}" in body
    assert "Alert on empty search results (priya)" not in body  # the line became the link
    # A re-run changes nothing: no second follow-up, no second attach.
    before = len(world.sb.requests)
    code, output = cli(world, "retro", str(n), "--repo", REPO, "--print")
    assert code == 0 and all(f"- [ ] #{f['number']}" in output for f in made), output
    world.say(n, "dana", "thanks all")
    assert len(followups(world)) == 3
    assert len(world.gh.sub_issues(REPO, retro["number"])) == 3
    assert len(world.sb.requests) > before


def test_sensitive_followups_carry_nothing_from_the_report(world):
    n = world.report(title="Leaked credentials in the search logs")
    world.gh.add_label(REPO, n, "dana", "sensitive")
    world.deliver()
    world.declare(n)
    world.say(n, "priya", "/action @lee rotate the keys")
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver()
    [item] = followups(world)
    report = world.issue(n)["body"]
    assert "Leaked" not in item["title"] + item["body"]
    for line in report.splitlines():
        if len(line.strip()) > 12 and not line.startswith("#"):
            assert line.strip() not in item["body"], line
    assert "sensitive incident" in item["body"] and "rotate the keys" in item["title"]


def test_failed_attach_then_rerun_and_sweep(world):
    world.sb.faults.add("github", "POST", r"/sub_issues$", status=502, times=None)
    n = resolved_incident(world, ["/action @lee Alert on empty search results"])
    [item] = followups(world)
    [retro] = world.retrospectives()
    assert item["parent_issue_url"] is None
    assert any("attach" in p for p in world.record(n).problems)
    world.sb.faults.clear()
    # The sweep repairs it from the follow-up alone (one listing of open follow-ups).
    code, output = cli(world, "sweep", "--repo", REPO)
    assert code == 0 and f"#{item['number']}" in output, output
    assert [i["number"] for i in world.gh.sub_issues(REPO, retro["number"])] == [item["number"]]
    # The incident's next run still thinks it unattached: GitHub's 422 (one parent) is fine.
    world.say(n, "dana", "thanks all")
    assert world.record(n).followups[next(iter(world.record(n).followups))]["attached"] is True
    assert len(followups(world)) == 1
    assert len(world.gh.sub_issues(REPO, retro["number"])) == 1


def test_a_lost_run_never_makes_a_second_followup(world):
    n = world.report()
    world.declare(n)
    world.say(n, "priya", "/action @lee Alert on empty search results")
    # The resolving run opens the follow-up, then cannot save its record: as if it died.
    world.sb.faults.add("github", "PATCH", r"/issues/comments/\d+$", status=502, times=None)
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver(expect=1)
    assert len(followups(world)) == 1
    world.sb.faults.clear()
    world.say(n, "dana", "anything left?")
    [item] = followups(world)
    [retro] = world.retrospectives()
    assert [i["number"] for i in world.gh.sub_issues(REPO, retro["number"])] == [item["number"]]
    assert f"- [ ] #{item['number']}" in world.gh.issue(REPO, retro["number"])["body"]


def test_an_action_after_resolution_gets_its_followup_at_once(world):
    n = resolved_incident(world, [])
    [retro] = world.retrospectives()
    assert followups(world) == []
    edited = retro["body"] + "\n\nCause: the nightly reindex (written by dana)\n"
    world.gh.edit_issue(REPO, retro["number"], "dana", body=edited)
    world.deliver()
    world.say(n, "priya", "/action @lee Alert on empty search results")
    [item] = followups(world)
    assert [a["login"] for a in item["assignees"]] == ["lee"]
    assert [i["number"] for i in world.gh.sub_issues(REPO, retro["number"])] == [item["number"]]
    body = world.gh.issue(REPO, retro["number"])["body"]
    assert "Cause: the nightly reindex (written by dana)" in body  # a person's edit is kept
    assert f"- [ ] #{item['number']}" in body
    assert "_Add follow-up actions here._" not in body  # the placeholder became the link
    world.say(n, "dana", "/action tidy up the dashboards")
    first, second = followups(world)
    body = world.gh.issue(REPO, retro["number"])["body"]
    assert f"- [ ] #{first['number']}\n- [ ] #{second['number']}\n" in body  # next to it
    assert second["assignees"] == [] and "nobody was named" in second["body"]
    assert "Cause: the nightly reindex (written by dana)" in body


def test_without_a_retrospective_followups_stand_alone(world):
    world.write_config(retrospective={"enabled": False}, followups={"labels": ["todo"]})
    n = resolved_incident(world, ["/action @lee Alert on empty search results"])
    assert world.retrospectives() == []
    [item] = followups(world)
    assert [x["name"] for x in item["labels"]] == ["todo"]
    assert item["parent_issue_url"] is None and f"- Incident: #{n}" in item["body"]
    assert "Retrospective" not in item["body"]
    world.say(n, "dana", "thanks")
    assert len(followups(world)) == 1


# -- sweep: overdue reminders -----------------------------------------------------------


def test_overdue_reminders_at_most_weekly(world, monkeypatch):
    n = resolved_incident(world, ["/action @lee Alert on empty search results"])
    [item] = followups(world)

    def move(days: float) -> None:
        world.clock.now += timedelta(days=days)  # GitHub's clock
        moment = world.clock.now.replace(microsecond=0)
        monkeypatch.setattr(run_module, "utcnow", lambda: moment)  # the tool's

    def reminders() -> list[str]:
        return [
            c["body"]
            for c in world.gh.comments(REPO, item["number"])
            if "incident-tool:followup-reminder" in c["body"]
        ]

    move(10)
    cli(world, "sweep", "--repo", REPO)
    assert reminders() == []  # not overdue yet
    move(21)  # 31 days old
    code, output = cli(world, "sweep", "--repo", REPO)
    assert code == 0, output
    [first] = reminders()
    assert "@lee" in first and "31 days" in first and f"#{n}" not in first.split("\n")[0]
    move(1 / 24)
    cli(world, "sweep", "--repo", REPO)
    move(3)
    cli(world, "sweep", "--repo", REPO)
    assert len(reminders()) == 1  # not again within a week
    move(4)
    cli(world, "sweep", "--repo", REPO)
    assert len(reminders()) == 2  # a week later
    world.gh.close_issue(REPO, item["number"], "lee", reason="completed")
    move(8)
    cli(world, "sweep", "--repo", REPO)
    assert len(reminders()) == 2  # closed: done


# -- report -----------------------------------------------------------------------------


def test_report_followup_figures_against_a_hand_computed_set():
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)

    def ago(days: int) -> datetime:
        return now - timedelta(days=days)

    items = [
        # search: 2 open (one 45 days: overdue), 2 closed; judged (>= 30 days old): #1, #2, #3
        FollowUp(1, 10, "Search", ago(45), None, "lee"),
        FollowUp(2, 10, "Search", ago(40), ago(20), "sam"),  # closed in 20 days: in time
        FollowUp(3, 10, "Search", ago(70), ago(10), "sam"),  # closed in 60 days: late
        FollowUp(4, 11, "Search", ago(5), None, "nobody"),
        # iiif: 1 closed in time, 1 open and young
        FollowUp(5, 12, "IIIF", ago(31), ago(30), "priya"),
        FollowUp(6, 12, "IIIF", ago(2), None, "priya"),
    ]
    metrics = Metrics(ago(90), followups=items, due_after=30, now=now)
    stats = metrics.followup_stats()
    assert (stats["Search"].open, stats["Search"].overdue) == (2, 1)
    assert (stats["Search"].closed_in_time, stats["Search"].judged) == (1, 3)
    assert (stats["IIIF"].open, stats["IIIF"].overdue, stats["IIIF"].share) == (1, 0, "1/1 (100%)")
    assert (stats["all"].open, stats["all"].overdue, stats["all"].share) == (3, 1, "2/4 (50%)")
    assert [f.number for f in metrics.open_followups()] == [1, 4, 6]  # oldest first
    text = "\n".join(followups_markdown(metrics))
    assert "| Search | 2 | 1 | 1/3 (33%) |" in text
    assert "| #1 | 45 days (overdue) | lee | #10 |" in text


def test_report_lists_followups_end_to_end(world):
    resolved_incident(world, ["/action @lee Alert on empty search results", "/action tidy up"])
    made = followups(world)
    world.gh.close_issue(REPO, made[1]["number"], "lee", reason="completed")
    code, text = cli(world, "report", "--repo", REPO)
    assert code == 0, text
    assert "2 follow-ups of these incidents: 1 open, 0 overdue" in text
    assert "| Search / catalogue API | 1 | 0 | — |" in text
    assert f"| #{made[0]['number']} | 0 days | lee |" in text
    code, page = cli(world, "report", "--repo", REPO, "--format", "html")
    assert code == 0 and "<h2>Follow-ups</h2>" in page and f"#{made[0]['number']}" in page


# -- the decision, without HTTP ---------------------------------------------------------


def test_action_owner_decisions_without_http():
    from incident_tool.core import lifecycle
    from incident_tool.core.comments import process_new_comments
    from incident_tool.core.followups import action_key
    from incident_tool.core.model import Comment as PlannedComment
    from tests.fakes import comment, context

    ctx = context()
    lifecycle.report(ctx, "rita")
    lifecycle.declare(ctx, "dana")
    ctx.plan.clear()
    said = [
        comment("dana", "/action @lee add an alert", minutes=2),
        comment("dana", "/action sam write the runbook", minutes=3),  # sam: a responder
        comment("dana", "/action fix the cache", minutes=4),  # "fix": nobody known
        comment("dana", "/action @olly rotate the keys", minutes=5),  # no access
    ]
    process_new_comments(ctx, said)
    actions = ctx.record.actions
    assert [a.text for a in actions] == [
        "add an alert",
        "write the runbook",
        "fix the cache",
        "rotate the keys",
    ]
    owners = [ctx.record.followups[action_key(a)].get("owner") for a in actions]
    assert owners == ["lee", "sam", None, "olly"]
    assert "why" in ctx.record.followups[action_key(actions[3])]
    assert "assignable:fix" not in ctx.facts.asked  # a word nobody knows is not looked up
    replies = [a for a in ctx.plan if isinstance(a, PlannedComment)]
    assert [r.key for r in replies] == [f"reply:{said[3].id}"]
    assert "`olly` cannot be assigned" in replies[0].body and "@olly" not in replies[0].body


def test_a_full_retrospective_keeps_the_followup_as_a_link(world):
    n = resolved_incident(world, [])
    [retro] = world.retrospectives()
    gh = world.gh
    repo = gh.repo(REPO)
    parent = repo.issues[retro["number"]]
    for i in range(100):  # GitHub's limit: 100 sub-issues per parent
        child = gh.open_issue(REPO, "dana", f"Other work {i}", "x")
        gh.op_add_sub_issue(repo, parent, "dana", child["id"])
    world.say(n, "priya", "/action @lee Alert on empty search results")
    [item] = followups(world)
    assert item["parent_issue_url"] is None
    assert f"- [ ] #{item['number']}" in gh.issue(REPO, retro["number"])["body"]
    start = len(world.sb.requests)
    world.say(n, "dana", "thanks")  # refused for good: not tried again by the incident's runs
    assert not [r for r in world.sb.requests[start:] if r.path.endswith("/sub_issues")]


def test_the_weekly_job_reminds_with_nothing_open_and_leaves_the_schedule(world, monkeypatch):
    """incident-followups.yml runs `sweep --followups-only`: the 5-minute sweep is off
    while no incident is open, and follow-ups fall due weeks after the incident closed."""
    resolved_incident(world, ["/action @lee Alert on empty search results"])
    [item] = followups(world)
    world.clock.now += timedelta(days=31)
    moment = world.clock.now.replace(microsecond=0)
    monkeypatch.setattr(run_module, "utcnow", lambda: moment)
    world.sb.reset_log()
    code, output = cli(world, "sweep", "--repo", REPO, "--followups-only")
    assert code == 0, output
    assert "follow-ups: 0 attached, 1 reminded" in output
    reminders = [
        c for c in world.gh.comments(REPO, item["number"]) if "followup-reminder" in c["body"]
    ]
    assert len(reminders) == 1 and "@lee" in reminders[0]["body"]
    # No incident listing and no switching of the sweep schedule: follow-ups only.
    assert not [r for r in world.sb.requests if "/actions/workflows/" in r.path]
