"""docs/usage.md#who-may-change-an-incident-by-hand, decided without HTTP; and the reconciliation of
changes no run saw."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from incident_tool.core import lifecycle, trust
from incident_tool.core.comments import process_new_comments
from incident_tool.core.model import Comment, IssueView, React
from incident_tool.core.states import State
from tests.fakes import comment, context
from tests.world import REPO, cli


def replies(ctx) -> list[Comment]:
    return [a for a in ctx.plan if isinstance(a, Comment)]


def declared(**kw):
    ctx = context(**kw)
    lifecycle.report(ctx, "rita")
    lifecycle.declare(ctx, "dana")
    ctx.plan.clear()
    ctx.record.outbox.clear()
    return ctx


def test_an_outsider_is_answered_once_an_hour_on_an_issue():
    ctx = declared()
    first = comment("olly", "/help", minutes=10)
    again = comment("olly", "/help", minutes=40)
    process_new_comments(ctx, [first, again])
    assert [c.key for c in replies(ctx)] == [f"reply:{first.id}"]
    assert React(again.id) not in ctx.plan and ctx.record.unanswered == 1
    later = comment("olly", "/frobnicate", minutes=71)
    process_new_comments(ctx, [later])
    assert f"reply:{later.id}" in [c.key for c in replies(ctx)]


def test_the_team_is_always_answered():
    ctx = declared()
    helps = [comment("lee", "/help", minutes=10 + i) for i in range(3)]
    process_new_comments(ctx, helps)
    assert len(replies(ctx)) == 3 and ctx.record.answered == {}


def test_an_outsiders_plain_comments_are_counted_not_mirrored():
    ctx = declared()
    process_new_comments(ctx, [comment("olly", f"hi {i}", minutes=10 + i) for i in range(5)])
    process_new_comments(ctx, [comment("lee", "looking", minutes=20)])
    assert ctx.record.outsider_comments == 5
    assert [m.key.split(":")[0] for m in ctx.record.outbox] == ["mirror"]


def test_an_outsiders_severity_guess_is_shown_not_applied():
    ctx = context(author="olly")
    lifecycle.report(ctx, "olly")
    assert (ctx.record.severity, ctx.record.severity_guess) == (None, 2)
    assert not [a for a in ctx.plan if "severity" in repr(a)]


def test_beyond_the_daily_limit_a_report_pages_nobody():
    ctx = context(author="olly")
    ctx.facts.reports["olly"] = 3
    lifecycle.report(ctx, "olly")
    assert ctx.record.state == State.REPORTED
    assert replies(ctx) == [] and ctx.record.outbox == []
    assert "limits.outsider_reports_per_day" in ctx.record.not_paged
    under = context(author="olly")
    under.facts.reports["olly"] = 2
    lifecycle.report(under, "olly")
    assert [m.destination for m in under.record.outbox] == ["dm:dana"]


BOT = "github-actions[bot]"


def slack_report_body(reporter: str = "", user: str = "U0GUEST001") -> str:
    from incident_tool.inbound.slack import REPORT_MARKER

    marker = REPORT_MARKER.format(channel="C0SB00001", ts="1.000100", reporter=reporter, user=user)
    return marker + "\n### Summary\n\nSearch is down\n"


@pytest.mark.parametrize(
    ("reporter", "earlier", "paged"),
    [
        ("", 2, True),  # an unmapped Slack account, under the limit
        ("", 3, False),  # ... at it
        ("olly", 3, False),  # mapped to someone without triage access: counted the same
        ("lee", 9, True),  # mapped to the team: never counted
    ],
)
def test_a_slack_report_counts_against_its_slack_account(reporter, earlier, paged):
    ctx = context(author=BOT, body=slack_report_body(reporter))
    ctx.facts.slack_reports["U0GUEST001"] = earlier
    lifecycle.report(ctx, reporter or BOT)
    assert bool([m for m in ctx.record.outbox if m.destination == "dm:dana"]) is paged
    assert (ctx.record.not_paged is None) is paged
    assert ("slack-reports:U0GUEST001" in ctx.facts.asked) is (reporter != "lee")
    if not paged:
        assert "made 3 other reports in Slack" in ctx.record.not_paged


def test_a_slack_marker_is_believed_only_on_the_tools_own_issue():
    ctx = context(author="lee", body=slack_report_body())
    ctx.facts.slack_reports["U0GUEST001"] = 9
    lifecycle.report(ctx, "lee")
    assert ctx.record.not_paged is None and "slack-reports:U0GUEST001" not in ctx.facts.asked


def test_a_slack_report_from_before_accounts_were_recorded_pages_as_it_did():
    ctx = context(author=BOT, body=slack_report_body(user="").replace(" user= -->", " -->"))
    lifecycle.report(ctx, BOT)
    assert ctx.record.not_paged is None
    assert not [a for a in ctx.facts.asked if a.startswith("slack-reports:")]


def test_the_team_is_not_counted():
    ctx = context(author="lee")
    lifecycle.report(ctx, "lee")
    assert "reports:lee" not in ctx.facts.asked and ctx.record.severity == 2


def test_a_delivery_manager_is_not_paged_about_their_own_report():
    ctx = context(author="dana")
    lifecycle.report(ctx, "dana")
    assert ctx.record.outbox == []
    [notice] = replies(ctx)
    assert "@dana" not in notice.body


def test_who_may_follows_the_protocols_roles():
    ctx = declared()
    assert trust.who_may(ctx, State.RESOLVED, "lee") is None  # team: DMs confirm
    assert trust.who_may(ctx, State.RESOLVED, "olly") is not None
    assert trust.who_may(ctx, State.MITIGATED, "lee") == trust.LEAD_OR_DM
    assert trust.who_may(ctx, State.MITIGATED, ctx.record.lead) is None
    assert trust.who_may(ctx, State.DISMISSED, "sam") == trust.DM
    assert trust.who_may(ctx, State.DISMISSED, "dana") is None
    report = context()
    lifecycle.report(report, "rita")
    assert trust.who_may(report, State.DISMISSED, "rita", closed=True) is None  # withdraws
    assert trust.who_may(report, State.DISMISSED, "olly", closed=True) == trust.DM


# -- reconciliation: a run that never saw the change applies the same rule ---------------


def test_a_dropped_close_by_an_outsider_is_undone_by_the_next_run(world):
    world.gh.add_user("ola", name="Ola")
    n = world.report(by="ola")
    world.declare(n)
    world.gh.close_issue(REPO, n, "ola", reason="completed")
    world.gh.take_events()  # its run was cancelled by the concurrency group
    world.say(n, "dana", "/status")  # any later event
    assert world.issue(n)["state"] == "open" and world.record(n).state == State.DECLARED
    assert len([c for c in world.bot_comments(n) if "incident-tool:undone:" in c["body"]]) == 1
    # The tool's reopen is its own write: a later run does not take it for a person's.
    world.say(n, "dana", "/status")
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver()
    assert world.record(n).state == State.RESOLVED and len(world.retrospectives()) == 1


def test_sweep_undoes_a_reopen_no_run_saw(world, later):
    world.gh.add_user("ola", name="Ola")
    n = world.report(by="ola")
    world.gh.close_issue(REPO, n, "ola", reason="not_planned")
    world.deliver()
    assert world.record(n).state == State.DISMISSED
    world.gh.reopen_issue(REPO, n, "ola")
    world.gh.take_events()  # lost
    later(5)
    code, output = cli(world, "sweep", "--repo", REPO)
    assert code == 0, output
    assert world.issue(n)["state"] == "closed" and world.record(n).state == State.DISMISSED
    undone = [c for c in world.bot_comments(n) if "incident-tool:undone:" in c["body"]]
    assert len(undone) == 1 and "Reopening this issue" in undone[0]["body"]
    cli(world, "sweep", "--repo", REPO)  # again: nothing more
    assert len([c for c in world.bot_comments(n) if "incident-tool:undone:" in c["body"]]) == 1


def test_the_tools_own_close_is_not_a_persons_decision():
    ctx = declared(state="closed", state_reason="completed", closed_at=None)
    ctx.facts.happened = lambda kind, prefix="", first=False: ("github-actions[bot]", ctx.now)  # type: ignore[attr-defined]
    from incident_tool.core.reconcile import reconcile_open_state

    reconcile_open_state(ctx, None)
    assert ctx.record.state == State.DECLARED and replies(ctx) == []
    assert any(type(a).__name__ == "Reopen" for a in ctx.plan)


def test_an_outsiders_status_points_to_the_status_comment_not_slack():
    ctx = declared()
    ctx.slack_enabled, ctx.record.channel_id = True, "C1"
    asked = comment("olly", "/status", minutes=10)
    process_new_comments(ctx, [asked])
    assert ctx.record.outbox == []
    [reply] = replies(ctx)
    assert "status comment" in reply.body
    team = comment("lee", "/status", minutes=11)
    process_new_comments(ctx, [team])
    assert [m.key for m in ctx.record.outbox] == [f"status:{team.id}"]


def test_a_delivery_managers_own_report_pages_nobody_end_to_end(world):
    dana = world.team["slack_ids"]["dana"]
    n = world.report(by="dana")
    assert world.sl.dms(dana) == []
    [notice] = [c for c in world.bot_comments(n) if "incident-tool:reported" in c["body"]]
    assert "@dana" not in notice["body"]
    assert world.record(n).severity == 2  # a delivery manager's guess is applied


# -- triage reminders are pages too (issue #23 item 2) ------------------------------------


def test_a_report_that_could_follow_a_reminder_counts_it():
    # Two earlier reports, one of them old enough to have been reminded: the limit (3) is
    # spent, by two pages and a reminder.
    ctx = context(author="olly")
    ctx.facts.reports["olly"] = 2
    ctx.facts.older_reports["olly"] = 1
    lifecycle.report(ctx, "olly")
    assert ctx.record.outbox == []
    assert "one of them paged again as a triage reminder" in ctx.record.not_paged
    # Below the last page of the day the older reports are not asked about.
    under = context(author="olly")
    under.facts.reports["olly"] = 1
    under.facts.older_reports["olly"] = 1
    lifecycle.report(under, "olly")
    assert [m.destination for m in under.record.outbox] == ["dm:dana"]
    assert under.facts.asked.count("reports:olly") == 1


def test_a_reminder_for_an_outsiders_report_is_allowed_once_and_alone():
    ctx = context(author="olly")
    assert trust.may_remind(ctx, "olly")
    ctx.record.reminded["triage"] = "2026-01-01T00:00:00Z"
    assert not trust.may_remind(ctx, "olly")  # once
    busy = context(author="olly")
    busy.facts.reports["olly"] = 1
    assert not trust.may_remind(busy, "olly")  # not alone in its day
    team = context(author="lee")
    team.record.reminded["triage"] = "2026-01-01T00:00:00Z"
    assert trust.may_remind(team, "lee")  # the team's: every interval, as before
    assert "reports:lee" not in team.facts.asked


def test_a_slack_guests_report_is_reminded_as_an_outsiders():
    ctx = context(author=BOT, body=slack_report_body())
    assert trust.may_remind(ctx, BOT)
    assert "slack-reports:U0GUEST001" in ctx.facts.asked
    busy = context(author=BOT, body=slack_report_body())
    busy.facts.slack_reports["U0GUEST001"] = 1
    assert not trust.may_remind(busy, BOT)
    mapped = context(author=BOT, body=slack_report_body("lee"))
    mapped.facts.slack_reports["U0GUEST001"] = 5
    assert trust.may_remind(mapped, "lee")


# -- an outsider's comment starts no run (issue #23 item 3) --------------------------------


def _comment_event(login: str, association: str | None, body: str = "/help"):
    from incident_tool.inbound.events import parse

    comment = {"id": 7, "body": body, "user": {"login": login, "type": "User"}}
    if association is not None:
        comment["author_association"] = association
    return parse(
        "issue_comment",
        {
            "action": "created",
            "issue": {"number": 3, "labels": [{"name": "incident:declared"}]},
            "comment": comment,
            "sender": {"login": login, "type": "User"},
            "repository": {"full_name": REPO},
        },
    )


@pytest.mark.parametrize("association", ["NONE", "FIRST_TIMER", "CONTRIBUTOR"])
def test_a_comment_by_someone_without_collaborator_access_waits_for_the_next_run(association):
    from incident_tool.config import parse

    reason = trust.left_to_next_run(_comment_event("olly", association), parse("{}"))
    assert reason is not None and "olly" in reason and association in reason


@pytest.mark.parametrize("association", ["COLLABORATOR", "MEMBER", "OWNER", None, "SOMETHING"])
def test_a_collaborators_comment_or_an_unknown_one_runs_at_once(association):
    from incident_tool.config import parse

    assert trust.left_to_next_run(_comment_event("olly", association), parse("{}")) is None


def test_someone_the_config_names_runs_at_once_whatever_github_says():
    from incident_tool.config import parse

    cfg = parse(
        "delivery_managers: [dana]\nresponders: [rhea]\npeople:\n  pat: {slack: U0PAT00001}\n"
    )
    for login in ("Dana", "rhea", "pat"):
        assert trust.left_to_next_run(_comment_event(login, "NONE"), cfg) is None
    assert trust.left_to_next_run(_comment_event("olly", "NONE"), cfg) is not None


def test_the_forms_label_on_an_outsiders_report_is_its_run():
    """incident.yml listens to `labeled`, not `opened`: the form's label, which GitHub sends
    as added by the report's author, is the report's one run (session 5 had it run nothing,
    counting on an `opened` run the workflow never starts; the sandbox delivered one)."""
    from incident_tool.config import parse
    from incident_tool.inbound.events import parse as event

    def labeled(label: str, sender: str, association: str):
        return event(
            "issues",
            {
                "action": "labeled",
                "label": {"name": label},
                "issue": {
                    "number": 4,
                    "labels": [{"name": label}],
                    "user": {"login": "olly"},
                    "author_association": association,
                },
                "sender": {"login": sender, "type": "User"},
                "repository": {"full_name": REPO},
            },
        )

    cfg = parse("{}")
    assert trust.left_to_next_run(labeled("incident:reported", "olly", "NONE"), cfg) is None
    assert trust.outsiders_new_report(labeled("incident:reported", "olly", "NONE"), cfg) == "olly"
    assert trust.outsiders_new_report(labeled("incident:reported", "dana", "NONE"), cfg) is None
    assert trust.outsiders_new_report(labeled("incident:declared", "olly", "NONE"), cfg) is None
    assert trust.outsiders_new_report(labeled("incident:reported", "olly", "MEMBER"), cfg) is None


# -- which outsiders' reports a sweep leaves unread ------------------------------------

SWEPT_AT = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)


def listed(
    number: int,
    author: str = "olly",
    association: str | None = "NONE",
    *,
    age: int = 60,
    changed: int | None = None,
    comments: int = 1,
    label: str = "incident:reported",
    body: str = "",
) -> IssueView:
    """An issue as a sweep's listing shows it: opened `age` minutes before the sweep, last
    changed `changed` minutes before it (None: by its own first run, at once)."""
    created = SWEPT_AT - timedelta(minutes=age)
    return IssueView(
        repo=REPO,
        number=number,
        title="Down",
        body=body,
        url=f"https://github.com/{REPO}/issues/{number}",
        author=author,
        labels=(label,),
        assignees=(),
        state="open",
        state_reason=None,
        created_at=created,
        updated_at=created if changed is None else SWEPT_AT - timedelta(minutes=changed),
        author_association=association,
        comments=comments,
    )


def quiet(*issues: IssueView, config: str = "{}") -> set[int]:
    from incident_tool.config import parse

    return set(trust.quiet_reports(issues, SWEPT_AT, parse(config), BOT))


@pytest.mark.parametrize(
    ("issue", "left_unread"),
    [
        (listed(1), True),  # answered by its run, unchanged since: nothing due
        (listed(1, association="FIRST_TIMER"), True),
        (listed(1, association="CONTRIBUTOR"), True),
        (listed(1, association="COLLABORATOR"), False),  # the team's: every sweep
        (listed(1, association="MEMBER"), False),
        (listed(1, association=None), False),  # not known: read
        (listed(1, comments=0), False),  # its first run never answered it
        (listed(1, changed=10), False),  # a comment or an edit 10 minutes ago
        (listed(1, changed=20), True),  # …20 minutes ago: seen by three sweeps already
        (listed(1, age=20), False),  # alone, its one triage reminder falls due
        (listed(1, age=10), True),  # not yet due
        (listed(1, age=40), True),  # due long ago: reminded (or not) then
        (listed(1, label="incident:declared"), False),  # the team's incident now
        (listed(1, author="dependabot[bot]"), False),
    ],
)
def test_a_sweep_leaves_an_outsiders_quiet_report_unread(issue, left_unread):
    assert (quiet(issue) == {1}) is left_unread


def test_a_report_that_cannot_be_reminded_is_not_read_for_it():
    """may_remind: only a report alone in its author's 24 hours is reminded; the listing
    shows another report of his, so the second is not read when its reminder would fall due."""
    assert quiet(listed(1, age=20), listed(2, age=300)) == {1, 2}
    assert quiet(listed(1, age=20), listed(2, author="rhea", age=300)) == {2}
    assert quiet(listed(1, age=20), listed(2, age=60 * 25)) == {2}  # the day before


def test_people_the_config_names_are_swept_whatever_github_says():
    config = "delivery_managers: [dana]\nresponders: [rhea]\npeople:\n  pat: {slack: U0PAT00001}\n"
    issues = [listed(n, author) for n, author in enumerate(("dana", "Rhea", "pat", "olly"), 1)]
    assert quiet(*issues, config=config) == {4}


def test_a_slack_guests_report_is_quiet_a_mapped_persons_is_not():
    guest = listed(1, BOT, body=slack_report_body(), association="NONE")
    mapped = listed(2, BOT, body=slack_report_body(reporter="pat", user="U0PAT00001"))
    alert = listed(3, BOT, body="an alert's report, no Slack marker")
    config = "people:\n  pat: {slack: U0PAT00001}\n"
    assert quiet(guest, mapped, alert, config=config) == {1}
    # The guest's one report of the day is read when its reminder falls due.
    assert quiet(listed(1, BOT, body=slack_report_body(), age=20), config=config) == set()


def test_a_sweep_reads_an_outsiders_report_only_when_something_is_due(world, monkeypatch):
    import incident_tool.app as run_module

    world.gh.add_user("ola", name="Ola")
    ola = world.gh.open_issue(REPO, "ola", "Checkout is down", "It is down.", ["incident:reported"])
    n = ola["number"]
    world.deliver()
    answered = len(world.bot_comments(n))

    def sweep_after(minutes: int) -> list[str]:
        world.clock.now += timedelta(minutes=minutes)
        moment = world.clock.now
        monkeypatch.setattr(run_module, "utcnow", lambda: moment)
        before = len(world.sb.requests)
        code, output = cli(world, "sweep", "--repo", REPO)
        assert code == 0, output
        return [r.path for r in world.sb.requests[before:] if f"/issues/{n}" in r.path]

    assert sweep_after(40) == []  # its reminder's time is past: nothing is due
    world.say(n, "dana", "/status", deliver=False)
    world.gh.take_events()  # the delivery manager's run was lost
    assert sweep_after(5), "a change in the last 15 minutes is read"
    assert len(world.bot_comments(n)) == answered + 1  # her /status answered by the sweep
    assert sweep_after(20) == []


def _opened(login: str, association: str | None) -> object:
    from incident_tool.inbound.events import parse as event

    return event(
        "issues",
        {
            "action": "opened",
            "issue": {
                "number": 9,
                "labels": [{"name": "incident:reported"}],
                "user": {"login": login},
                "author_association": association,
                "created_at": "2026-03-02T12:00:00Z",
            },
            "sender": {"login": login, "type": "User"},
            "repository": {"full_name": REPO},
        },
    )


def test_beyond_twice_the_paging_limit_an_outsiders_report_is_left_unanswered():
    from incident_tool.config import parse

    cfg = parse("responders: [rhea]\n")
    assert trust.outsiders_new_report(_opened("olly", "NONE"), cfg) == "olly"
    assert trust.outsiders_new_report(_opened("olly", "CONTRIBUTOR"), cfg) == "olly"
    assert trust.outsiders_new_report(_opened("olly", "MEMBER"), cfg) is None
    assert trust.outsiders_new_report(_opened("rhea", "NONE"), cfg) is None  # named
    assert trust.left_unanswered("olly", 5, cfg) is None
    reason = trust.left_unanswered("olly", 6, cfg)
    assert reason and "olly" in reason and "6 other reports" in reason
    assert trust.left_unanswered("olly", 2, parse("limits: {outsider_reports_per_day: 1}\n"))


def test_a_sweep_leaves_an_unanswered_report_unread_only_beyond_the_answered_ones():
    earlier = [listed(n, age=60 + n) for n in range(2, 8)]  # six reports of his before
    assert 1 in quiet(listed(1, comments=0), *earlier)  # left unanswered by its run
    assert 1 not in quiet(listed(1, comments=0), *earlier[:5])  # its run failed: read it
