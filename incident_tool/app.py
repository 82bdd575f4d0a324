"""One run of the tool on one incident, as named stages; and the sweep over every open one.

    process → read → decide (gathering facts between rounds) → guard → act → save

`read` takes the issue, its comments, the record and what is new in Slack; `decide` runs
the pure decisions of core/ on them, and when one asks for a fact the run has not gathered
(a role, an availability), `gather` answers it and the decisions run again from the same
inputs; `guard` checks nobody wrote the record meanwhile; `act` makes the GitHub and Slack
effects; `save` writes the record back. `handle`, `sweep` and the monitors' reports call the
same stages; what differs is which decisions run (core/decide.py). Each run has its own
journal (`Tools.for_run`), so a sweep can run several incidents at once.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from incident_tool.core import followups, trust
from incident_tool.core.decide import Decision, Inputs, incident, sweep_duties
from incident_tool.core.facts import KnownFacts, Unknown
from incident_tool.core.model import (
    CommentView,
    Context,
    CreateRetrospective,
    IssueView,
    Lock,
    Unlock,
)
from incident_tool.core.public import shown
from incident_tool.core.reconcile import needs_retrospective
from incident_tool.core.record import RESTORED, Record, iso, utcnow
from incident_tool.core.states import State, states_in
from incident_tool.core.status import render as render_status
from incident_tool.effects import followups as followup_issues
from incident_tool.effects import slack_read
from incident_tool.effects.apply import (
    conversation_open,
    issue_writes,
    link_retrospective,
    open_retrospective,
)
from incident_tool.effects.facts import FactGatherer
from incident_tool.effects.github import Gateway, GitHubError
from incident_tool.effects.parallel import both, each
from incident_tool.effects.retrospective import TemplateError
from incident_tool.effects.slack_reports import read_reports, reporter_of
from incident_tool.effects.tools import Outcome, Tools
from incident_tool.inbound.events import Event

__all__ = ["Outcome", "Tools", "handle", "process", "sweep", "weekly"]

ATTEMPTS = 3  # reads of a record that another run keeps changing
MAX_ROUNDS = 1000  # decision rounds, one per fact gathered: a bound, never reached in practice
SWEEP_AT_ONCE = 4  # incidents a sweep brings up to date at once
_UNREACHABLE = "cannot reach GitHub"  # effects/github.py's words for a server gone silent


class StatusConflict(Exception):
    """Another run wrote the record while this one worked; it must start again from it."""

    def __init__(self, sent: list[str], posted: list[str]) -> None:
        super().__init__("the status comment changed during the run")
        self.sent, self.posted = sent, posted


@dataclass
class Reading:
    """What the read stage found: the issue, its record, and the decisions' inputs."""

    issue: IssueView  # as read: the writes name it by its number
    status: CommentView | None
    comments: list[CommentView]  # for the writes: a comment is looked for before it is posted
    record: Record  # as read (with what earlier attempts delivered); decisions work on copies
    inputs: Inputs
    now: datetime
    page_before: object  # what the status page showed of it (with `status_page.enabled`)


def handle(event: Event, tools: Tools, *, now: datetime | None = None) -> Outcome:
    """Handle one event on one issue, reconciling whatever earlier runs missed."""
    assert event.number is not None
    return process(event.number, tools, event=event, now=now)


def process(
    number: int,
    tools: Tools,
    *,
    event: Event | None = None,
    now: datetime | None = None,
    issue: IssueView | None = None,
    decisions: Sequence[Decision] = (),
) -> Outcome:
    """Bring one incident up to date (`issue`: already read, e.g. listed by `sweep`);
    `decisions` run after the incident's own (the sweep's duties, a monitor firing again).

    `handle` and `sweep` run in different concurrency groups, so two runs can work on one
    incident at once. Before acting, a run checks that nobody else wrote the record
    meanwhile; if someone did, it starts again from theirs, keeping what it delivered.
    (One check, not one per write: the window left, while the run acts, is a fraction
    of a second.)
    """
    run = tools.for_run()
    delivered: tuple[list[str], list[str]] = ([], [])
    try:
        for _ in range(ATTEMPTS):
            try:
                return _run_once(number, run, event, now, issue, delivered, decisions)
            except StatusConflict as conflict:
                tools.log(f"notice: #{number}: {conflict}; starting again from the new record")
                delivered, issue = (conflict.sent, conflict.posted), None
    finally:
        tools.gateway.settled_from(run.gateway)
    raise GitHubError(
        f"#{number}: the status comment kept changing under this run; the next event or "
        "sweep finishes the job"
    )


def _run_once(
    number: int,
    tools: Tools,
    event: Event | None,
    now: datetime | None,
    issue: IssueView | None,
    delivered: tuple[list[str], list[str]],
    decisions: Sequence[Decision],
) -> Outcome:
    # Entries are dated when things happened: the event's own time where it has one.
    now = now or (event.at if event is not None else None) or utcnow()
    reading = read(number, tools, event, now, issue, delivered)
    if reading is None:
        return Outcome(number, False, notices=[f"#{number} is not an incident: nothing to do"])
    ctx = decide(reading, tools, [incident, *decisions])
    guard(reading, ctx, tools)
    failure = act(reading, ctx, tools)
    return save(reading, ctx, tools, failure)


# -- read --------------------------------------------------------------------------------


def read(
    number: int,
    tools: Tools,
    event: Event | None,
    now: datetime,
    issue: IssueView | None,
    delivered: tuple[list[str], list[str]],
) -> Reading | None:
    """Read the issue, its comments and record, and what is new in the incident channel;
    None when the issue is not an incident."""
    gateway = tools.gateway
    given = issue

    def the_issue() -> IssueView:
        return given if given is not None else gateway.issue(number)

    # The issue and its comments do not wait for each other.
    view, (status, comments) = both(the_issue, lambda: gateway.incident_comments(number))
    record, doubt = gateway.record_in(number, status)
    label_states = frozenset(states_in(list(view.labels)))
    if record is None and not label_states:
        return None
    if doubt and status is not None:
        record, doubt = _restored(number, status, doubt, gateway)
    fresh = record is None
    record = record or Record()
    if doubt:
        # Said once: the record this run saves carries the proof.
        tools.log(f"warning: #{number}: {doubt}")
        record.problems = [*record.problems[-9:], f"{iso(now)} {doubt}"]
    record.sent += [k for k in delivered[0] if k not in record.sent]
    record.posted += [k for k in delivered[1] if k not in record.posted]
    # What is new in the incident channel (docs/usage.md#slack-writes-back); it moves the
    # channel's cursor in the record, as read.
    readout = slack_read.read_incident(tools, record, now, tools.claimed)
    page_before = (
        shown(view, None if fresh else record, tools.config)
        if tools.config.status_page.enabled
        else None
    )
    inputs = Inputs(
        event=event,
        comments=[c for c in comments if status is None or c.id != status.id],
        fresh=fresh,
        # A status comment whose record is not believed: the incident was run before, up to
        # when that comment was last written (docs/security.md#the-record-and-its-proof).
        rebuilt_from=status.updated_at if fresh and doubt and status is not None else None,
        label_states=label_states,
        slack=readout,
        slack_reporter=reporter_of(view, gateway.bot_login),
    )
    return Reading(view, status, comments, record, inputs, now, page_before)


def _restored(
    number: int, status: CommentView, doubt: str, gateway: Gateway
) -> tuple[Record | None, str]:
    """The record a status comment held before an edit that is not believed: the newest of
    its revisions this tool sealed, so that a forgery or a hand edit has no effect (what it
    changed is undone; nothing is lost). None when there is none: the run starts again
    from the issue (`lifecycle.rebuild`)."""
    found = gateway.last_sealed_record(number, status)
    if found is None:
        return None, doubt
    record, written = found
    return record, RESTORED.format(written=written or "its last revision")


# -- decide, gathering facts ---------------------------------------------------------------


def decide(reading: Reading, tools: Tools, decisions: Sequence[Decision]) -> Context:
    """Run the decisions on a copy of the record; when one asks for a fact the run has not
    gathered, gather it and run them again (the decisions never call out)."""
    gatherer = FactGatherer(tools.gateway, tools.people, reading.issue, tools.log, reading.now)
    known = KnownFacts(tools.gateway.bot_login)
    for _ in range(MAX_ROUNDS):
        ctx = Context(
            config=tools.config,
            issue=reading.issue,
            record=copy.deepcopy(reading.record),
            facts=known,
            now=reading.now,
            # A dry run with a Slack token decides as the real run would (it lists Slack).
            slack_enabled=tools.mirror.room is not None or tools.mirror.dry_run,
        )
        try:
            run_decisions(ctx, reading.inputs, decisions)
        except Unknown as missing:
            known = known.with_answers(gatherer.answer(missing.questions))
            continue
        return ctx
    raise GitHubError(f"#{reading.issue.number}: the decision kept asking for more facts")


def run_decisions(ctx: Context, inputs: Inputs, decisions: Sequence[Decision]) -> None:
    """The decisions themselves: pure (tests/conftest.py fails any request made in here)."""
    for decision in decisions:
        decision(ctx, inputs)


# -- guard ---------------------------------------------------------------------------------


def guard(reading: Reading, ctx: Context, tools: Tools) -> None:
    """Start again if another run wrote the record since it was read, before acting on it:
    the same comment must not be acted on twice."""
    if reading.status is None or (not ctx.plan and ctx.record == reading.record):
        return  # nothing to act on or save: the other run's record stands
    if tools.gateway.changed_since_read(reading.issue.number, reading.status):
        raise StatusConflict(ctx.record.sent, ctx.record.posted)


# -- act -----------------------------------------------------------------------------------


def act(reading: Reading, ctx: Context, tools: Tools) -> Exception | None:
    """Make the decision's effects: GitHub writes, Slack deliveries, the retrospective and
    follow-ups. Returns a failure to raise once the record is saved.

    Two waves of effects that do not wait for one another within a wave. First the issue's
    writes, Slack's deliveries and the retrospective's issue (what Slack is told was decided
    already, and each keeps its own part of the record). Then what needs the
    retrospective's number: its link (a comment, a message) and the follow-ups, which link
    to it and are attached under it.
    """
    record, gw = ctx.record, tools.gateway
    retrospective_due = CreateRetrospective() in ctx.plan or needs_retrospective(ctx)
    first = [
        Effect("", lambda: issue_writes(ctx, tools, reading.issue, reading.comments)),
        Effect("", lambda: tools.mirror.sync(reading.issue, record)),
    ]
    listed: list[followup_issues.Listed] = []
    if retrospective_due:
        first.append(Effect("retrospective", lambda: open_retrospective(ctx, tools)))
        if record.actions and record.state == State.RESOLVED:
            # The follow-ups already on GitHub are listed meanwhile (they are opened next).
            first.append(
                Effect("follow-ups", lambda: listed.append(followup_issues.listing(ctx, gw)))
            )

    def second() -> list[Effect]:  # once the first wave is done: the follow-ups need its number
        then = []
        if retrospective_due:
            then.append(Effect("retrospective", lambda: _link_retrospective(reading, ctx, tools)))
        if followups.due(ctx):
            then.append(Effect("follow-ups", lambda: _followups(ctx, tools, listed)))
        return then

    for wave in (lambda: first, second):
        failures = [f for f in each(lambda effect: effect.attempt(record, ctx), wave()) if f]
        if failures:
            # Save what was done (and delivered: Slack must not be told twice) first; the
            # next run retries the rest.
            tools.mirror.sync(reading.issue, record)
            return failures[0]
    return None


@dataclass
class Effect:
    """One of `act`'s effects: `what` names it in the record's problems ("" for the issue's
    own writes, whose failure the run reports as it is)."""

    what: str
    make: Callable[[], object]

    def attempt(self, record: Record, ctx: Context) -> Exception | None:
        try:
            self.make()
        except (GitHubError, TemplateError) as exc:
            if self.what:
                record.problems = [*record.problems[-9:], f"{iso(ctx.now)} {self.what}: {exc}"]
            return exc
        return None


def _link_retrospective(reading: Reading, ctx: Context, tools: Tools) -> None:
    link_retrospective(ctx, tools, reading.issue, reading.comments)
    tools.mirror.sync(reading.issue, ctx.record)  # the channel hears of it at once


def _locked_after(issue: IssueView, plan: Sequence[object]) -> IssueView | None:
    """The issue as its conversation stands after the run's writes, when locked; else None."""
    locked, reason = issue.locked, issue.lock_reason
    for action in plan:
        if isinstance(action, Lock):
            locked, reason = True, action.reason
        elif isinstance(action, Unlock):
            locked = False
    return replace(issue, locked=True, lock_reason=reason) if locked else None


def _followups(ctx: Context, tools: Tools, listed: list[followup_issues.Listed]) -> None:
    for problem in followup_issues.sync(ctx, tools.gateway, listed[0] if listed else None):
        ctx.record.problems = [*ctx.record.problems[-9:], f"{iso(ctx.now)} follow-ups: {problem}"]


# -- save ----------------------------------------------------------------------------------


def save(reading: Reading, ctx: Context, tools: Tools, failure: Exception | None) -> Outcome:
    """Write the record back into the status comment; say what the run did."""
    gateway, config, record = tools.gateway, tools.config, ctx.record
    for notice in gateway.notices:
        # What GitHub would not do (an assignee it refuses) shows in the status comment too.
        ctx.notices.append(notice)
        record.note(ctx.now, "note", None, notice)
    body = render_status(record, config, repo=reading.issue.repo, updated=ctx.now)
    locked = _locked_after(reading.issue, ctx.plan)
    if reading.status is None and locked is not None:
        # A first status comment on a locked issue (a locked discussion declared an
        # incident): GitHub refuses the token's new comments there (effects/apply.py).
        with conversation_open(gateway, locked, says=True):
            gateway.save_status(reading.issue.number, reading.status, body)
    else:
        gateway.save_status(reading.issue.number, reading.status, body)
    if failure is not None:
        raise failure
    page_changed = (
        config.status_page.enabled and shown(reading.issue, record, config) != reading.page_before
    )
    return Outcome(
        reading.issue.number,
        True,
        record.state.value if record.state else None,
        writes=list(gateway.writes),
        notices=ctx.notices,
        problems=list(record.problems),
        page_changed=page_changed,
        slack=list(tools.mirror.effects),
        answers=list(ctx.answers),
    )


# -- the sweep -----------------------------------------------------------------------------


def open_incidents(tools: Tools) -> list[IssueView]:
    """List open issues with an open state label, and issues whose open/closed state
    disagrees with their state label (one query per state and open/closed: labels AND)."""
    found: dict[int, IssueView] = {}
    opened = (State.REPORTED, State.DECLARED, State.MITIGATED)
    # Also a close or a reopen whose run was dropped (a person's change is carried out or undone
    # by the next run: docs/usage.md#who-may-change-an-incident-by-hand): its labels still say
    # the other state. Few or none, so these queries stay small however many incidents were
    # ever closed.
    queries = [("open", s) for s in opened]
    queries += [("open", s) for s in (State.RESOLVED, State.DISMISSED)]
    queries += [("closed", s) for s in opened]

    def listed(query: tuple[str, State]) -> list[IssueView]:
        where, state = query
        return list(tools.gateway.issues(state=where, labels=[state.label]))

    # The eight lists do not wait for one another: asked at once.
    for issues in each(listed, queries, at_once=len(queries)):
        found.update((i.number, i) for i in issues if "/pull/" not in i.url)
    return [found[n] for n in sorted(found)]


def sweep(tools: Tools) -> list[Outcome]:
    """Open the reports made in Slack, then bring every open incident up to date with the
    sweep's duties, then the follow-ups' work.

    The first incident runs alone: it finds out whether GitHub answers and who the token
    writes as; the others then run several at once. Once GitHub stops answering, no further
    incident is started: each would only wait for its timeouts.
    """
    # Reports given in Slack (docs/usage.md#slack-writes-back) are opened, and the open
    # incidents listed, at once; the reports just opened were run already.
    reported, listed = both(lambda: process_reports(tools), lambda: open_incidents(tools))
    # Outsiders' reports with nothing due stay unread: what a person without access files
    # must not cost the team's request budget every five minutes (issue #23).
    quiet = trust.quiet_reports(listed, utcnow(), tools.config, tools.gateway.bot_login)
    if quiet:
        tools.log(f"left as they are (outsiders' reports, nothing due): {_numbers(sorted(quiet))}")
    due = [issue for issue in listed if issue.number not in reported and issue.number not in quiet]
    gone: list[str] = []
    outcomes = [_sweep_one(issue, tools, gone) for issue in due[:1]]
    outcomes += each(lambda issue: _sweep_one(issue, tools, gone), due[1:], at_once=SWEEP_AT_ONCE)
    if gone:
        # The follow-ups' work would cost its timeouts too.
        raise GitHubError(gone[0])
    sweep_followups(tools)
    return [o for o in outcomes if o is not None]


def _sweep_one(issue: IssueView, tools: Tools, gone: list[str]) -> Outcome | None:
    """One incident of the sweep; None when GitHub was found gone before it started."""
    if gone:
        return None
    try:
        return process(issue.number, tools, issue=issue, decisions=[sweep_duties])
    except GitHubError as exc:
        # One broken incident must not stop the others; a silent GitHub stops them all.
        tools.log(f"warning: #{issue.number}: {exc}")
        if _UNREACHABLE in str(exc):
            gone.append(str(exc))
        return Outcome(issue.number, False, problems=[str(exc)])


def process_reports(tools: Tools, now: datetime | None = None) -> list[int]:
    """Open an issue for each new report in the announce channel, and run it at once."""
    opened = read_reports(tools, now)
    for number in opened:
        try:
            process(number, tools)
        except GitHubError as exc:
            tools.log(f"warning: #{number}: {exc}")
    return opened


def weekly(tools: Tools, now: datetime | None = None) -> followup_issues.SweepResult:
    """The weekly job (`sweep --followups-only`): open the reports made in Slack meanwhile,
    then the follow-ups' work.

    It is the one job that runs while no incident is open: a report made in Slack on a quiet
    day is opened here at the latest, not lost (docs/usage.md#slack-writes-back).
    """
    opened = process_reports(tools, now)
    if opened:
        tools.log("reports from Slack opened: " + _numbers(opened))
    return sweep_followups(tools, now)


def sweep_followups(tools: Tools, now: datetime | None = None) -> followup_issues.SweepResult:
    """Attach loose follow-ups, remind owners of overdue ones (one listing per sweep)."""
    config = tools.config
    result = followup_issues.sweep(
        tools.gateway,
        config.followups.labels,
        config.followups.due_after,
        now or utcnow(),
        delivery_managers=config.delivery_managers,
        log=tools.log,
    )
    if result.attached:
        tools.log("follow-ups attached to their retrospective: " + _numbers(result.attached))
    if result.reminded:
        tools.log("overdue follow-ups reminded: " + _numbers(result.reminded))
    for problem in result.problems:
        tools.log(f"warning: follow-up {problem}")
    return result


def _numbers(numbers: list[int]) -> str:
    return ", ".join(f"#{n}" for n in numbers)
