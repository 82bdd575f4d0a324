"""Who may change an incident by hand, and what people without triage access can cost
the team (docs/usage.md#who-may-change-an-incident-by-hand,
docs/usage.md#people-without-triage-access).

GitHub lets an issue's author close it, and reopen it when they closed it themselves,
whatever their access; labels need triage. So a close or a reopen can come from anyone
who can open an issue, and the tool decides, with the protocol's roles, whether to carry
it out. The rules, by what a person did:

- `incident:declared` label, or a reopen (back to declared): the team (triage access or
  more, a delivery manager, or a listed responder);
- `incident:reported` label (a dismissed report back to triage): the team;
- `incident:mitigated` label: the lead or a delivery manager (as `/mitigated`);
- close as completed, `incident:resolved` label: the team. The protocol has a delivery
  manager approve a resolution "where appropriate", and the tool asks them to confirm one
  made by anyone else (docs/usage.md#who-may-change-an-incident-by-hand), so a resolution
  by the lead or a colleague stands until a delivery manager reopens it; `/resolve` (lead or
  delivery manager) is the command for it;
- close as not planned or duplicate, `incident:dismissed` label: a delivery manager (as
  `/dismiss`);
- any close of a report still `incident:reported`: also its reporter, whatever their
  access (the report is withdrawn: dismissed, no retrospective).

Anything else is undone (reopened, closed again, the label put back) with one reply that
says who may. Someone not on the team has their close or reopen undone once: when they
make it again it is left for the team, with one notice (`left_to_team`), and the
conversation is locked to collaborators: their closes and reopens of a locked issue start
no workflow run (incident.yml's `if`), so closing an incident over and over costs the tool
nothing more. The tool's own writes (made with
GITHUB_TOKEN: they start no run) are never taken for a person's decision: when a run
finds one the record does not know of, the issue is brought back in line with the record,
silently.

People without triage access ("outsiders": not on the team) get at most one answer per
issue per hour (`may_answer`), and at most `limits.outsider_reports_per_day` of a
person's reports page the delivery managers (`pages_for_report`): of a GitHub account's,
or, for reports made in Slack (which the tool's account opens), of a Slack account's that
`people` does not map to someone on the team. Triage reminders are pages of the same
budget (`may_remind`): an outsider's report is reminded once at most.

An outsider's comments cost no GitHub request of their own (`left_to_next_run`): GitHub's
event says who wrote one and whether they are a collaborator, so a comment by someone who
cannot have triage access and whom the config does not name starts no run; the next run
(the team's, or the sweep's five minutes later) counts it, or answers it within the
once-an-hour rule, from the comments it reads anyway (docs/security.md#security).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from incident_tool.config import Config
from incident_tool.core import wording
from incident_tool.core.model import UNKNOWN, Comment, Context, IssueView, Lock, role_at_least
from incident_tool.core.record import iso, parse_time
from incident_tool.core.states import State, states_in
from incident_tool.inbound.events import Event
from incident_tool.inbound.slack import ReportMark, report_mark

ANSWER_EVERY = timedelta(hours=1)
DAY = timedelta(hours=24)


def on_team(ctx: Context, login: str) -> bool:
    """The protocol's people: delivery managers, responders, and triage access or more."""
    if ctx.config.is_delivery_manager(login) or ctx.config.is_responder(login):
        return True
    return role_at_least(ctx.facts.role(login), "triage") or ctx.is_delivery_manager(login)


def is_outsider(ctx: Context, login: str) -> bool:
    """Someone without triage access (in a public repository: anyone at all)."""
    if login == UNKNOWN or ctx.facts.is_tool(login):
        return False
    return not on_team(ctx, login)


# GitHub's `author_association` values that nobody with triage access has: triage access
# comes with being a collaborator (COLLABORATOR), an organisation member (MEMBER) or the
# owner (OWNER). A missing or unknown value is not taken as an outsider's.
NO_TRIAGE = frozenset({"NONE", "FIRST_TIMER", "FIRST_TIME_CONTRIBUTOR", "CONTRIBUTOR", "MANNEQUIN"})


def left_to_next_run(event: Event, config: Config) -> str | None:
    """Why this event's run is left to the next run, at no GitHub request; None to run it.

    A comment by someone GitHub says is neither a collaborator, an organisation member nor
    the owner, and whom the config does not name (delivery managers, responders, people),
    is an outsider's: nothing it can ask for must happen at once (their plain comments are
    counted, their commands answered once an hour at most), and a run of its own costs five
    requests. The next run reads it with the issue's other new comments, since the
    record's comment cursor has not passed it, and deals with it as of when it was posted.
    A team member whose organisation membership is private may come as CONTRIBUTOR or
    NONE: named in `people` or `responders`, their comments run at once.
    """
    if (event.name, event.action) != ("issue_comment", "created"):
        return None
    comment = event.raw.get("comment")
    if not isinstance(comment, dict) or comment.get("author_association") not in NO_TRIAGE:
        return None
    user = comment.get("user")
    login = user.get("login") if isinstance(user, dict) else None
    if not isinstance(login, str) or not login:
        return None
    if named_in_config(config, login):
        return None
    return (
        f"a comment by {login}, who has no triage access (GitHub says "
        f"{comment['author_association']}): the next run reads it with the issue's other "
        "new comments"
    )


# How long after a change a sweep still reads an outsider's report: three 5-minute sweeps,
# so a change is seen though GitHub starts a scheduled run late or drops one.
RECENT = timedelta(minutes=15)
# An outsider's report's own first run answers within this; its comment is no change.
FIRST_RUN = timedelta(minutes=2)


def quiet_reports(
    listed: Sequence[IssueView], now: datetime, config: Config, tool: str
) -> frozenset[int]:
    """The reports of people without triage access that a sweep has nothing to do for:
    left unread, they cost no request (docs/security.md#what-an-outsider-costs-in-an-hour).

    A report still `incident:reported` by someone GitHub's listing says is neither a
    collaborator, an organisation member nor the owner, and whom the config does not
    name, is read only when
    - its first run never answered it (no comment yet), unless it is one of those runs
      leave unanswered (`left_unanswered`: beyond its author's answered reports of the day);
    - it changed after that run, in the last `RECENT` (a comment, an edit, a label: the
      team's own runs carry those out, the sweep catches up a dropped one). A change in
      its first `FIRST_RUN` is taken for that run's answer: a team member's run dropped
      then waits for the issue's next event;
    - its one triage reminder may fall due now: `triage_after` minutes after it, for a
      report alone in its author's 24 hours (`may_remind`; the listing shows no other).
    Everything else a sweep does (acknowledgements, update reminders, dismissals) is for
    declared incidents and the monitors' reports, which are always read.
    """
    remind_after = timedelta(minutes=config.reminders.triage_after)
    reporters = {i.number: _outside_reporter(i, config, tool) for i in listed}
    by_reporter: dict[str, list[IssueView]] = {}
    for issue in listed:
        by_reporter.setdefault(reporters[issue.number] or "", []).append(issue)

    def alone_in_its_day(issue: IssueView, reporter: str) -> bool:
        others = [i for i in by_reporter[reporter] if i.number != issue.number]
        return not any(now - DAY <= i.created_at <= now for i in others)

    def earlier(issue: IssueView, reporter: str) -> int:
        day = issue.created_at - DAY
        return sum(1 for i in by_reporter[reporter] if day <= i.created_at < issue.created_at)

    def quiet(issue: IssueView) -> bool:
        reporter = reporters[issue.number]
        if reporter is None:
            return False
        if not issue.comments:
            # Never answered: its run failed, or left it to the team (`left_unanswered`).
            return left_unanswered(reporter, earlier(issue, reporter), config) is not None
        changed = issue.updated_at or issue.created_at
        if changed - issue.created_at > FIRST_RUN and now - changed < RECENT:
            return False
        since = now - issue.created_at
        due = remind_after <= since < remind_after + RECENT
        return not (due and alone_in_its_day(issue, reporter))

    return frozenset(i.number for i in listed if quiet(i))


def _outside_reporter(issue: IssueView, config: Config, tool: str) -> str | None:
    """Who, not on the team, made this report still waiting for triage: the author GitHub's
    listing says is neither a collaborator, an organisation member nor the owner, or, for
    a report the tool opened from Slack, the Slack account `people` does not map; None
    for anyone the config names, the team, and the monitors' reports."""
    if issue.state != "open" or set(states_in(list(issue.labels))) != {State.REPORTED}:
        return None
    author = issue.author.lower()
    if author == tool.lower() or author.endswith("[bot]"):
        mark = report_mark(issue.body) if author == tool.lower() else None
        if (
            mark is None
            or not mark.user
            or (mark.reporter and named_in_config(config, mark.reporter))
        ):
            return None
        return f"slack:{mark.user}"
    if issue.author_association not in NO_TRIAGE or named_in_config(config, author):
        return None
    return author


def named_in_config(config: Config, login: str) -> bool:
    """A delivery manager, a responder or one of `people`: the team, whatever GitHub says
    (a member whose organisation membership is private comes as CONTRIBUTOR or NONE)."""
    named = {name.lower() for name in config.people}
    return config.is_delivery_manager(login) or config.is_responder(login) or login.lower() in named


# An outsider's reports answered in 24 hours: twice those that may page. Beyond them a
# report is left to the team unanswered, for the one request that counts them.
ANSWERED_PER_PAGED = 2


def outsiders_new_report(event: Event, config: Config) -> str | None:
    """The author of the report this event opens, when GitHub says they are neither a
    collaborator, an organisation member nor the owner and the config does not name them;
    None for any other event."""
    issue = event.raw.get("issue")
    if not isinstance(issue, dict) or issue.get("author_association") not in NO_TRIAGE:
        return None
    user = issue.get("user")
    login = user.get("login") if isinstance(user, dict) else None
    if not isinstance(login, str) or not login or named_in_config(config, login):
        return None
    # incident.yml runs on the form's `incident:reported` label, which GitHub sends as
    # added by the report's author (only the form can: labels need triage); a workflow
    # that also listens to `opened` runs on that.
    form_label = (
        event.action == "labeled"
        and (event.label or "").lower() == State.REPORTED.label
        and event.sender == login
    )
    return login if event.name == "issues" and (event.action == "opened" or form_label) else None


def left_unanswered(login: str, earlier: int, config: Config) -> str | None:
    """Why an outsider's new report is left to the team unanswered, having `earlier` other
    reports in the 24 hours before it; None to answer it. Each answered report costs about
    five GitHub requests; one left unanswered costs the one that counted (issue #23: what a
    person without access can make the tool spend in an hour)."""
    answered = ANSWERED_PER_PAGED * config.limits.outsider_reports_per_day
    if earlier < answered:
        return None
    return (
        f"a report by {login}, who has no triage access and opened {earlier} other reports in "
        f"the 24 hours before it (twice `limits.outsider_reports_per_day`): left to the team, "
        "unanswered"
    )


def _lead_or_dm(ctx: Context, login: str) -> bool:
    lead = ctx.record.lead
    return bool(lead) and lead.lower() == login.lower() or ctx.is_delivery_manager(login)  # type: ignore[union-attr]


def _is_reporter(ctx: Context, login: str) -> bool:
    return login.lower() == ctx.issue.author.lower()


LEAD_OR_DM = "the incident lead or a delivery manager"
DM = "a delivery manager"
TEAM = "people with triage access or more, delivery managers and listed `responders`"


def who_may(ctx: Context, target: State, login: str, *, closed: bool = False) -> str | None:
    """Return None when `login` may move the incident to `target` by hand, else who may.

    `closed`: the change is a close of the issue (a reporter may withdraw their report).
    """
    if login == UNKNOWN:
        # Nobody can be asked: GitHub's own rule is the only one known to hold (labels
        # need triage, so whoever added one is on the team).
        return None if target in (State.DECLARED, State.REPORTED, State.RESOLVED) else DM
    if closed and ctx.record.state == State.REPORTED and _is_reporter(ctx, login):
        return None  # the reporter withdraws their own report
    if target in (State.DECLARED, State.REPORTED, State.RESOLVED):
        return None if on_team(ctx, login) else TEAM
    if target == State.MITIGATED:
        return None if _lead_or_dm(ctx, login) else LEAD_OR_DM
    if target == State.DISMISSED:
        return None if ctx.is_delivery_manager(login) else DM
    return None


def may_answer(ctx: Context, login: str) -> bool:
    """Say whether the tool may answer `login` on this issue now, and count it if so.

    The team is always answered. Someone without triage access is answered at most once
    per issue per hour (replies, refusals, `/help`, `/status`), so a flood of comments
    costs the people who follow the issue one notification an hour.
    """
    if not is_outsider(ctx, login):
        return True
    answered = ctx.record.answered
    last = parse_time(answered.get(login.lower()))
    if last is not None and ctx.now - last < ANSWER_EVERY:
        return False
    answered[login.lower()] = iso(ctx.now)
    # Keep the record small: only the last hour's answers matter.
    for key in [k for k, v in answered.items() if (t := parse_time(v)) and ctx.now - t > DAY]:
        del answered[key]
    return True


def slack_report(ctx: Context) -> ReportMark | None:
    """The marker of a report made in Slack, on an issue the tool itself opened."""
    if not ctx.facts.is_tool(ctx.issue.author):
        return None
    return report_mark(ctx.issue.body)


def pages_for_report(ctx: Context, reporter: str) -> str | None:
    """Return None when a new report may page the delivery managers, else why not.

    Only an outsider's reports are counted, with one GitHub request: their incident
    reports opened in the 24 hours before this one. A report made in Slack counts against
    its Slack account, unless `people` maps that account to someone on the team. A triage
    reminder pages too (`may_remind`): when this report would be the day's last page, one
    more request asks whether an earlier report was old enough to have been reminded.
    """
    limit = ctx.config.limits.outsider_reports_per_day
    moment = ctx.issue.created_at
    earlier = outsider_reports_before(ctx, reporter, moment)
    if earlier is None:
        return None
    reminded = False
    if 0 < earlier == limit - 1:
        # Only a report alone in its day is reminded, once, triage_after minutes after it.
        due = moment - timedelta(minutes=ctx.config.reminders.triage_after)
        reminded = bool(outsider_reports_before(ctx, reporter, due))
    if earlier + reminded < limit:
        return None
    also = " (one of them paged again as a triage reminder)" if reminded else ""
    mark = slack_report(ctx)
    if mark is not None and mark.user:
        who = mark.reporter or f"Slack user {mark.user} (not in `people`)"
        return (
            f"{who} is not on the team and made {earlier} other reports in Slack in the 24 "
            f"hours before this one{also} (`limits.outsider_reports_per_day` is {limit}): the "
            "delivery managers were not paged; it waits for triage"
        )
    return (
        f"{reporter} has no triage access and opened {earlier} other reports in the 24 hours "
        f"before this one{also} (`limits.outsider_reports_per_day` is {limit}): the delivery "
        "managers were not paged; it waits for triage"
    )


def outsider_reports_before(ctx: Context, reporter: str, moment: datetime) -> int | None:
    """How many other reports the outsider behind this one made in the 24 hours before
    `moment` (one GitHub request); None when the reporter is on the team."""
    count = _reports_counter(ctx, reporter)
    return None if count is None else count(moment)


def _reports_counter(ctx: Context, reporter: str) -> Callable[[datetime], int] | None:
    """What counts the reports of the outsider behind this report, or None when the
    reporter is on the team. A report made in Slack is its Slack account's, unless
    `people` maps that to someone on the team."""
    number = ctx.issue.number
    mark = slack_report(ctx)
    if mark is not None and mark.user:
        if mark.reporter and not is_outsider(ctx, mark.reporter):
            return None
        user = mark.user
        return lambda moment: ctx.facts.slack_reports_before(user, moment, number)
    if not is_outsider(ctx, reporter):
        return None
    return lambda moment: ctx.facts.reports_before(reporter, moment, number)


def may_remind(ctx: Context, reporter: str) -> bool:
    """Say whether a triage reminder may page the delivery managers about this report.

    The team's reports: always (once per interval). An outsider's: a reminder is a page,
    counted against `limits.outsider_reports_per_day`: at most one per report, and only for
    a report alone in the outsider's last 24 hours (its page and its reminder are two of the
    day's pages; `pages_for_report` counts the reminder against the reports that follow).
    """
    count = _reports_counter(ctx, reporter)
    if count is None:
        return True
    if "triage" in ctx.record.reminded or ctx.config.limits.outsider_reports_per_day < 2:
        return False
    # Alone in the 24 hours before it and since: a report of the day before, paged with
    # its reminder, leaves room for no third page in any 24 hours (the audit's 23:49 case).
    return count(ctx.now) == 0 and count(ctx.issue.created_at) == 0


WHAT = {
    State.DECLARED: "declare it",
    State.REPORTED: "send it back to triage",
    State.MITIGATED: "mark it mitigated",
    State.RESOLVED: "resolve it",
    State.DISMISSED: "dismiss it",
}


def undo(ctx: Context, change: str, target: State, actor: str, who: str, key: str) -> None:
    """Reply once that `actor`'s `change` was undone and who may make it (the caller plans
    the undoing write itself: a reopen, a close, or nothing for a label, which the run
    puts back to the record's state). Nothing is announced and nobody is paged."""
    state = ctx.record.state.label if ctx.record.state else "(none)"
    ctx.notices.append(f"undid {change} by {actor}: only {who} may {WHAT[target]}")
    if not may_answer(ctx, actor):
        ctx.record.unanswered += 1
        return
    ctx.do(
        Comment(
            key,
            wording.UNDONE.format(
                marker=wording.marker(key),
                change=change,
                actor=wording.person(actor),
                who=who,
                what=WHAT[target],
                state=state,
            ),
        )
    )


def left_to_team(ctx: Context, change: str, target: State, actor: str, who: str) -> bool:
    """Whether `actor`'s close or reopen, which they may not make, is left for the team
    rather than undone: an outsider's is undone once; after that it stays as they made it
    and the team is told once (docs/usage.md#who-may-change-an-incident-by-hand)."""
    key = actor.lower()
    if not is_outsider(ctx, actor) or not ctx.record.undone.get(key):
        ctx.record.undone[key] = ctx.record.undone.get(key, 0) + 1
        return False
    notice = f"left-to-team:{key}"
    if notice not in ctx.record.posted:
        state = ctx.record.state.label if ctx.record.state else "(none)"
        ctx.notices.append(f"left {change} by {actor} to the team: undone once already")
        text = wording.LEFT_TO_TEAM.format(
            marker=wording.marker(notice),
            change=change,
            actor=wording.person(actor),
            who=who,
            what=WHAT[target],
            state=state,
        )
        if not ctx.issue.locked:
            # Locked, their next close or reopen starts no job at all (the workflow's `if`:
            # an author without access on a locked issue), and the tool says so once.
            ctx.do(Lock(None))
            text += wording.LEFT_TO_TEAM_LOCKED
            ctx.notices.append(f"locked the conversation: {actor}'s changes start no run")
        ctx.do(Comment(notice, text))
    return True
