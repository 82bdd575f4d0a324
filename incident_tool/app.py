"""One run of the tool on one incident, and the sweep over every open one.

read (effects.github, effects.facts) -> decide (core) -> act (effects.apply, effects.mirror)
-> save (the status comment). The sweep runs the same for each open incident, then sends the
reminders that are due; its requests grow with the number of open incidents only (closed
ones are never listed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from incident_tool.config import Config
from incident_tool.core import ack, followups, lifecycle, reminders
from incident_tool.core import alerts as alert_handlers
from incident_tool.core import slack_notes as from_slack
from incident_tool.core.comments import process_new_comments
from incident_tool.core.model import (
    Context,
    CreateRetrospective,
    IssueView,
)
from incident_tool.core.reconcile import (
    became_incident,
    needs_retrospective,
    reconcile_labels,
    reconcile_open_state,
    reconcile_sensitive,
    turning_point,
)
from incident_tool.core.record import Record, extract, iso, utcnow
from incident_tool.core.states import State, states_in
from incident_tool.core.status import render as render_status
from incident_tool.effects import followups as followup_issues
from incident_tool.effects import slack_read
from incident_tool.effects.apply import issue_writes, write_retrospective
from incident_tool.effects.facts import LiveFacts
from incident_tool.effects.github import Gateway, GitHubError
from incident_tool.effects.mirror import Mirror, People
from incident_tool.inbound.events import Event
from incident_tool.verbs import retro
from incident_tool.verbs import status_page as statuspage


@dataclass
class Outcome:
    """What a run did, for the job log and the job summary."""

    number: int | None
    handled: bool
    state: str | None = None
    writes: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: What the status page shows of this incident changed (with `status_page.enabled`).
    page_changed: bool = False
    slack: list[str] = field(default_factory=list)  # Slack effects (or, dry run, would-be)


@dataclass
class Tools:
    """The effect providers one run uses."""

    config: Config
    gateway: Gateway
    mirror: Mirror
    people: People
    root: Path
    log: Callable[[str], None] = print
    # Slack messages (channel:ts) this process claimed as commands: kept across the
    # re-reads a StatusConflict causes, so a claim of ours is still ours (slack_read.py).
    claimed: set[str] = field(default_factory=set)


def handle(event: Event, tools: Tools, *, now: datetime | None = None) -> Outcome:
    """Handle one event on one issue, reconciling whatever earlier runs missed."""
    assert event.number is not None
    return process(event.number, tools, event=event, now=now)


class StatusConflict(Exception):
    """Another run wrote the record while this one worked; it must start again from it."""

    def __init__(self, sent: list[str], posted: list[str]) -> None:
        super().__init__("the status comment changed during the run")
        self.sent, self.posted = sent, posted


ATTEMPTS = 3


def process(
    number: int,
    tools: Tools,
    *,
    event: Event | None = None,
    now: datetime | None = None,
    sweeping: bool = False,
    issue: IssueView | None = None,
    apply: Callable[[Context, bool], None] | None = None,
) -> Outcome:
    """Bring one incident up to date (`issue`: already read, e.g. listed by `sweep`).

    `apply(ctx, fresh)` adds what a run learnt elsewhere (an alert fired again) to the
    record, inside the same read, check and write as everything else.

    `handle` and `sweep` run in different concurrency groups, so two runs can work on one
    incident at once. Before acting, a run checks that nobody else wrote the record
    meanwhile; if someone did, it starts again from theirs, keeping what it delivered.
    (One check, not one per write: the window left, while the run acts, is a fraction
    of a second.)
    """
    delivered: tuple[list[str], list[str]] = ([], [])
    for _ in range(ATTEMPTS):
        try:
            return _process_once(number, tools, event, now, sweeping, issue, delivered, apply)
        except StatusConflict as conflict:
            tools.log(f"notice: #{number}: {conflict}; starting again from the new record")
            delivered = (conflict.sent, conflict.posted)
            issue = None
    raise GitHubError(
        f"#{number}: the status comment kept changing under this run; the next event or "
        "sweep finishes the job"
    )


def _process_once(
    number: int,
    tools: Tools,
    event: Event | None,
    now: datetime | None,
    sweeping: bool,
    issue: IssueView | None,
    delivered: tuple[list[str], list[str]],
    apply: Callable[[Context, bool], None] | None = None,
) -> Outcome:
    gateway, config = tools.gateway, tools.config
    writes_before = len(gateway.writes)  # sweep shares one gateway across incidents
    notices_before = len(gateway.notices)
    effects_before = len(tools.mirror.effects)
    # Entries are dated when things happened: the event's own time where it has one.
    now = now or (event.at if event is not None else None) or utcnow()
    view = issue or gateway.issue(number)
    status, comments = gateway.incident_comments(number)
    record = extract(status.body) if status is not None else None
    page_before = statuspage.shown(view, record, config) if config.status_page.enabled else None
    label_states = states_in(list(view.labels))
    if record is None and not label_states:
        return Outcome(number, False, notices=[f"#{number} is not an incident: nothing to do"])
    fresh = record is None
    record = record or Record()
    record.sent += [k for k in delivered[0] if k not in record.sent]
    record.posted += [k for k in delivered[1] if k not in record.posted]

    facts = LiveFacts(gateway, tools.people, view, tools.log, now)
    ctx = Context(
        config=config,
        issue=view,
        record=record,
        facts=facts,
        now=now,
        # A dry run with a Slack token decides as the real run would (it only lists Slack).
        slack_enabled=tools.mirror.room is not None or tools.mirror.dry_run,
    )
    views = [c for c in comments if status is None or c.id != status.id]
    if fresh:
        # Comments from before the issue became an incident are not commands.
        became = became_incident(ctx, event)
        record.last_comment_id = max((c.id for c in views if c.created_at < became), default=0)
    if record.state is None:
        # Every incident starts as a report; one declared outright skips the "please assess".
        # A report the tool opened for a monitor, the Actions tab or Slack names its real
        # reporter.
        reporter = (
            alert_handlers.adopt(ctx) or slack_reporter(view, gateway.bot_login) or view.author
        )
        lifecycle.report(ctx, reporter, notify=State.REPORTED in label_states)
    # What is new in the incident channel (read before deciding: README "Slack writes back").
    readout = slack_read.read_incident(tools, record, now, tools.claimed)
    slack_before = _slack_state(record)
    reconcile_sensitive(ctx, event)
    # What people did, in the order they did it, including what runs this one never saw:
    # state labels; comments up to a close or reopen; the close or reopen; later comments.
    reconcile_labels(ctx, event)
    turn = turning_point(ctx, event)
    process_new_comments(ctx, [c for c in views if turn is None or c.created_at <= turn])
    reconcile_open_state(ctx, event)
    process_new_comments(ctx, views)
    if apply is not None:
        apply(ctx, fresh)
    if readout is not None:
        from_slack.apply(ctx, readout)
    if sweeping:
        # Acknowledgements first: a lead who acknowledged just now is not passed over.
        ack.check_slack(ctx)
        ack.pass_on_due(ctx)
        reminders.send_due(ctx)
        alert_handlers.auto_dismiss(ctx)

    if (
        status is not None
        and (ctx.plan or record.outbox or apply is not None or _slack_state(record) != slack_before)
        and gateway.changed_since_read(number, status)
    ):
        # Another run finished while this one decided: start again from its record
        # before doing anything, so the same comment is not acted on twice.
        raise StatusConflict(record.sent, record.posted)
    issue_writes(ctx, tools, view, comments)
    tools.mirror.sync(view, record)
    failure = None
    if CreateRetrospective() in ctx.plan or needs_retrospective(ctx):
        try:
            write_retrospective(ctx, tools, view, comments)
        except (GitHubError, retro.TemplateError) as exc:
            # Save what was done (and delivered) first; the next run retries the rest.
            failure = exc
            record.problems = [*record.problems[-9:], f"{iso(now)} retrospective: {exc}"]
        tools.mirror.sync(view, record)
    if failure is None and followups.due(ctx):
        # After the retrospective: a follow-up links to it and is attached under it.
        try:
            for problem in followup_issues.sync(ctx, gateway):
                record.problems = [*record.problems[-9:], f"{iso(now)} follow-ups: {problem}"]
        except GitHubError as exc:
            failure = exc
            record.problems = [*record.problems[-9:], f"{iso(now)} follow-ups: {exc}"]
    for notice in gateway.notices[notices_before:]:
        # What GitHub would not do (an assignee it refuses) shows in the status comment too.
        ctx.notices.append(notice)
        record.note(now, "note", None, notice)
    gateway.save_status(number, status, render_status(record, config, repo=view.repo, updated=now))
    if failure is not None:
        raise failure
    return Outcome(
        number,
        True,
        record.state.value if record.state else None,
        writes=gateway.writes[writes_before:],
        notices=ctx.notices,
        problems=list(record.problems),
        page_changed=config.status_page.enabled
        and statuspage.shown(view, record, config) != page_before,
        slack=tools.mirror.effects[effects_before:],
    )


def _slack_state(record: Record) -> str:
    """What reading Slack changed: another run's record must not be overwritten by it."""
    import json

    notes = [e.ref for e in record.timeline if e.kind == "slack-note"]
    return json.dumps([record.slack_in, notes], sort_keys=True, default=str)


def slack_reporter(view: object, bot_login: str) -> str | None:
    """Who reported in Slack, for an issue the tool opened from the announce channel."""
    from incident_tool.effects.slack_reports import reporter_of

    return reporter_of(view, bot_login)


def open_incidents(tools: Tools) -> list[IssueView]:
    """List open issues with an open state label, and issues whose open/closed state
    disagrees with their state label (one query per state and open/closed: labels AND)."""
    found: dict[int, IssueView] = {}
    opened = (State.REPORTED, State.DECLARED, State.MITIGATED)
    # Also a close or a reopen whose run was dropped (README "Who may change an incident": a
    # person's change is carried out or undone by the next run): its labels still say the other
    # state. Few or none, so these queries stay small however many incidents were ever closed.
    queries = [("open", s) for s in opened]
    queries += [("open", s) for s in (State.RESOLVED, State.DISMISSED)]
    queries += [("closed", s) for s in opened]
    for where, state in queries:
        for issue in tools.gateway.issues(state=where, labels=[state.label]):
            if "/pull/" not in issue.url:
                found[issue.number] = issue
    return [found[n] for n in sorted(found)]


def sweep(tools: Tools) -> list[Outcome]:
    from incident_tool.effects.slack_reports import read_reports

    # Reports given in Slack first (README "Slack writes back"): each is opened and processed at
    # once.
    opened = set(read_reports(tools))
    outcomes = []
    for issue in open_incidents(tools):
        number = issue.number
        if number in opened:
            continue
        try:
            outcomes.append(process(number, tools, sweeping=True, issue=issue))
        except GitHubError as exc:
            # One broken incident must not stop reminders for the others.
            tools.log(f"warning: #{number}: {exc}")
            outcomes.append(Outcome(number, False, problems=[str(exc)]))
            if "cannot reach GitHub" in str(exc):
                # A server that stopped answering would cost each incident its timeouts.
                raise
    sweep_followups(tools)
    return outcomes


def weekly(tools: Tools, now: datetime | None = None) -> followup_issues.SweepResult:
    """The weekly job (`sweep --followups-only`): open the reports made in Slack meanwhile,
    then the follow-ups' work.

    It is the one job that runs while no incident is open: a report made in Slack on a quiet
    day is opened here at the latest, not lost (README "Slack writes back").
    """
    from incident_tool.effects.slack_reports import read_reports

    opened = read_reports(tools, now)
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
