"""One run of the tool on one incident: read, decide, act, record.

event -> read issue + comments + record -> decide (handlers) -> GitHub writes
      -> Slack (outbox) -> retrospective -> status comment
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from github.Issue import Issue
from github.IssueComment import IssueComment

from incident_tool.config import Config
from incident_tool.core import ack, followups, lifecycle, reminders, trust
from incident_tool.core import alerts as alert_handlers
from incident_tool.core import slack_notes as from_slack
from incident_tool.core import text as msg
from incident_tool.core.comments import process_new_comments
from incident_tool.core.labels import state_label_added
from incident_tool.core.model import (
    UNKNOWN,
    Assign,
    Close,
    Comment,
    Context,
    CreateRetrospective,
    Labels,
    React,
    Reopen,
)
from incident_tool.core.record import Record, extract, iso, utcnow
from incident_tool.core.states import PREFIX, SENSITIVE_LABEL, State, states_in
from incident_tool.core.status import render as render_status
from incident_tool.effects import slack_read
from incident_tool.effects.github import Gateway, GitHubError
from incident_tool.effects.mirror import Mirror, People
from incident_tool.inbound.events import Event
from incident_tool.inbound.forms import is_sensitive, parse_report
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


class LiveFacts:
    """Facts for decisions, answered from GitHub and Slack (cached per run)."""

    def __init__(
        self,
        gateway: Gateway,
        people: People,
        issue: Issue,
        log: Callable[[str], None],
        now: datetime | None = None,
    ) -> None:
        self.gateway = gateway
        self.people = people
        self.issue = issue
        self.log = log
        self.now = now or utcnow()  # statuses and do-not-disturb end at a time
        self._busy: dict[str, bool] | None = None
        self._unavailable: dict[str, str | None] = {}

    def happened(
        self, event: str, label_prefix: str = "", *, first: bool = False
    ) -> tuple[str | None, datetime | None]:
        found = [
            e
            for e in self.gateway.issue_events(self.issue)
            if e.event == event and (e.label or "").lower().startswith(label_prefix.lower())
        ]
        if not found:
            return None, None
        pick = found[0] if first else found[-1]
        return pick.actor, pick.at

    def role(self, login: str) -> str:
        return self.gateway.role(login)

    def is_tool(self, login: str) -> bool:
        return login.lower() == self.gateway.bot_login.lower()

    def reports_before(self, login: str, moment: datetime, number: int) -> int:
        since = moment - timedelta(hours=24)
        return sum(
            1
            for n, at, labels in self.gateway.recent_issues_by(login, since)
            if n != number and since <= at <= moment and states_in(labels)
        )

    def on_slack(self, login: str) -> bool:
        return self.people.room is not None and self.people.slack_id(login) is not None

    def assignable(self, login: str) -> bool:
        return self.gateway.assignable(login)

    def unavailable(self, logins: Sequence[str]) -> dict[str, str]:
        """Why each of `logins` cannot lead now (SPEC §2); asked once per person per run.

        GitHub busy first (one GraphQL query answers for every responder); then Slack,
        which stops at the first signal that says "away". A status GitHub hides from the
        token (limited to an organisation it cannot see) reads as no status: unknown, so
        available.
        """
        out = {}
        for login in logins:
            key = login.lower()
            if key not in self._unavailable:
                if self._is_busy(login):
                    self._unavailable[key] = "busy on GitHub"
                else:
                    self._unavailable[key] = self.people.unavailable(login, self.now)
            if self._unavailable[key]:
                out[login] = self._unavailable[key]
        return out

    def acknowledged_in_slack(
        self, login: str, where: Sequence[tuple[str, str, str]]
    ) -> str | None:
        """Return how `login` acknowledged in Slack: a ✅ reaction of theirs on one of the
        messages `where` (channel, ts, what to call it), or None. A failed look-up is "no"."""
        from incident_tool.effects.slack import SlackError

        room, user = self.people.room, self.people.slack_id(login)
        if room is None or not user:
            return None
        for channel, ts, what in where:
            try:
                if user in room.reacted(channel, ts, "white_check_mark"):
                    return f"✅ on {what}"
            except SlackError as exc:
                self.log(f"notice: Slack: could not read reactions on {what}: {exc}")
        return None

    def _is_busy(self, login: str) -> bool:
        if self._busy is None:
            # One GraphQL query answers for every responder, once per run.
            self._busy = self.gateway.busy(list(self.people.config.responders))
        if login not in self._busy:
            self._busy.update(self.gateway.busy([login]))
        return self._busy.get(login, False)


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
    issue: Issue | None = None,
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
    issue: Issue | None,
    delivered: tuple[list[str], list[str]],
    apply: Callable[[Context, bool], None] | None = None,
) -> Outcome:
    gateway, config = tools.gateway, tools.config
    writes_before = len(gateway.writes)  # sweep shares one gateway across incidents
    notices_before = len(gateway.notices)
    effects_before = len(tools.mirror.effects)
    # Entries are dated when things happened: the event's own time where it has one.
    now = now or (event.at if event is not None else None) or utcnow()
    issue = issue or gateway.issue(number)
    view = gateway.view(issue)
    status, comments = gateway.incident_comments(issue)
    record = extract(status.body) if status is not None else None
    page_before = statuspage.shown(view, record, config) if config.status_page.enabled else None
    label_states = states_in(list(view.labels))
    if record is None and not label_states:
        return Outcome(number, False, notices=[f"#{number} is not an incident: nothing to do"])
    fresh = record is None
    record = record or Record()
    record.sent += [k for k in delivered[0] if k not in record.sent]
    record.posted += [k for k in delivered[1] if k not in record.posted]

    facts = LiveFacts(gateway, tools.people, issue, tools.log, now)
    ctx = Context(
        config=config,
        issue=view,
        record=record,
        facts=facts,
        now=now,
        # A dry run with a Slack token decides as the real run would (it only lists Slack).
        slack_enabled=tools.mirror.room is not None or tools.mirror.dry_run,
    )
    views = [gateway.comment_view(c) for c in comments if status is None or c.id != status.id]
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
    # What is new in the incident channel (read before deciding: SPEC §11).
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
        and gateway.changed_since_read(issue, status)
    ):
        # Another run finished while this one decided: start again from its record
        # before doing anything, so the same comment is not acted on twice.
        raise StatusConflict(record.sent, record.posted)
    issue_writes(ctx, tools, issue, comments)
    tools.mirror.sync(view, record)
    failure = None
    if CreateRetrospective() in ctx.plan or needs_retrospective(ctx):
        try:
            write_retrospective(ctx, tools, issue, comments)
        except (GitHubError, retro.TemplateError) as exc:
            # Save what was done (and delivered) first; the next run retries the rest.
            failure = exc
            record.problems = [*record.problems[-9:], f"{iso(now)} retrospective: {exc}"]
        tools.mirror.sync(view, record)
    if failure is None and followups.due(ctx):
        # After the retrospective: a follow-up links to it and is attached under it.
        try:
            for problem in followups.sync(ctx, gateway):
                record.problems = [*record.problems[-9:], f"{iso(now)} follow-ups: {problem}"]
        except GitHubError as exc:
            failure = exc
            record.problems = [*record.problems[-9:], f"{iso(now)} follow-ups: {exc}"]
    for notice in gateway.notices[notices_before:]:
        # What GitHub would not do (an assignee it refuses) shows in the status comment too.
        ctx.notices.append(notice)
        record.note(now, "note", None, notice)
    gateway.save_status(issue, status, render_status(record, config, repo=view.repo, updated=now))
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


def _actor(ctx: Context, event: Event | None, kind: str, label: str | None = None) -> str:
    """Who made a change: the event's sender if this event is that change, else look it up."""
    return _happened(ctx, event, kind, label)[0] or UNKNOWN


def _happened(
    ctx: Context, event: Event | None, kind: str, label: str | None = None
) -> tuple[str | None, datetime | None]:
    """Who made a change and when: from this run's event if it is that change, else GitHub's."""
    if event is not None and event.action == kind and (label is None or event.label == label):
        return event.sender, event.at
    return ctx.facts.happened(kind, label or "")


def became_incident(ctx: Context, event: Event | None) -> datetime:
    """When the issue became an incident: opened with a state label, or labelled later."""
    if event is not None and event.action == "opened":
        return ctx.issue.created_at
    if event is not None and event.action == "labeled" and State.from_label(event.label or ""):
        if event.at is not None:
            return event.at
    _, at = ctx.facts.happened("labeled", PREFIX, first=True)
    return at or ctx.issue.created_at


def turning_point(ctx: Context, event: Event | None) -> datetime | None:
    """When the issue was closed or reopened, if this run must carry that out."""
    record, issue = ctx.record, ctx.issue
    if record.state is None:
        return None
    if issue.state == "closed" and record.state.is_open:
        return issue.closed_at
    if issue.state == "open" and not record.state.is_open:
        return _happened(ctx, event, "reopened")[1]
    return None


def reconcile_sensitive(ctx: Context, event: Event | None) -> None:
    """Mark the incident sensitive from its labels: the label's own run may have been lost."""
    record = ctx.record
    if record.sensitive:
        return
    labelled = any(x.lower() == SENSITIVE_LABEL for x in ctx.issue.labels)
    # The reporter may tick "handle it privately" after submitting: the body says so too.
    if not labelled and not is_sensitive(
        parse_report(ctx.issue.body), ctx.config.sensitive.services
    ):
        return
    record.sensitive = True
    late = ""
    if record.channel_id:
        # Slack cannot make a public channel private: say so where people will look.
        late = (
            "after the channel was opened: it stays public (Slack cannot change that); "
            "later announcements are redacted"
        )
        ctx.notices.append(f"marked sensitive {late}")
    by = _actor(ctx, event, "labeled", SENSITIVE_LABEL) if labelled else ctx.issue.author
    record.note(ctx.now, "sensitive", by, late)


def reconcile_labels(ctx: Context, event: Event | None) -> None:
    """Carry out the state label people added, in this run or one that never ran (SPEC §4)."""
    record, issue = ctx.record, ctx.issue
    if record.state is None:
        return
    present = states_in(list(issue.labels))
    others = [s for s in present if s != record.state]
    if not others:
        return
    target = None
    if event is not None and event.action == "labeled":
        target = State.from_label(event.label or "")
    if target not in others:
        target = others[0] if len(others) == 1 else None
    if target is None:
        return
    by, at = _happened(ctx, event, "labeled", target.label)
    by = by or UNKNOWN
    if ctx.facts.is_tool(by):
        return  # the tool's own label, not a decision: the state label follows the record
    who = trust.who_may(ctx, target, by)
    if who is not None:
        # The label is put back by `set_state`; say so once.
        change = f"Adding `{target.label}`"
        trust.undo(ctx, change, target, by, who, f"undone:label:{iso(at or ctx.now)}")
        return
    state_label_added(ctx, target, by)


def reconcile_open_state(ctx: Context, event: Event | None) -> None:
    """Resolve, dismiss or reopen when the issue was closed or reopened by a person."""
    record, issue = ctx.record, ctx.issue
    if record.state is None or any(isinstance(a, (Close, Reopen)) for a in ctx.plan):
        return
    if issue.state == "closed" and record.state.is_open:
        by = _actor(ctx, event, "closed")
        dismissing = issue.state_reason in ("not_planned", "duplicate")
        target = State.DISMISSED if dismissing else State.RESOLVED
        if not _may(ctx, target, by, "closed", issue.closed_at, Reopen(), closed=True):
            return
        with ctx.at(issue.closed_at):
            if record.state == State.REPORTED and by.lower() == issue.author.lower():
                lifecycle.dismiss(ctx, by, "withdrawn by the reporter")
            elif dismissing:
                lifecycle.dismiss(ctx, by)
            else:
                lifecycle.resolve(ctx, by)
    elif issue.state == "open" and not record.state.is_open:
        by, at = _happened(ctx, event, "reopened")
        again = Close("completed" if record.state == State.RESOLVED else "not_planned")
        if not _may(ctx, State.DECLARED, by or UNKNOWN, "reopened", at, again):
            return
        with ctx.at(at):
            lifecycle.reopen(ctx, by or UNKNOWN)


def _may(
    ctx: Context,
    target: State,
    by: str,
    kind: str,
    at: datetime | None,
    undo: Close | Reopen,
    *,
    closed: bool = False,
) -> bool:
    """Say whether `by`'s close or reopen is carried out; plan its undoing when it is not.

    A change nobody can be named for (the issue's events could not be read) is left for a
    later run; one the tool made itself is not a person's decision: the issue goes back
    to what the record says, silently.
    """
    if by == UNKNOWN:
        ctx.notices.append(f"the issue was {kind}, but by whom is not known: left for later")
        return False
    if ctx.facts.is_tool(by):
        ctx.do(undo)
        return False
    who = trust.who_may(ctx, target, by, closed=closed)
    if who is None:
        return True
    ctx.do(undo)
    change = "Closing this issue" if kind == "closed" else "Reopening this issue"
    trust.undo(ctx, change, target, by, who, f"undone:{kind}:{iso(at or ctx.now)}")
    return False


def needs_retrospective(ctx: Context) -> bool:
    return (
        ctx.record.state == State.RESOLVED
        and ctx.record.retro is None
        and ctx.config.retrospective.enabled
    )


def issue_writes(
    ctx: Context, tools: Tools, issue: Issue, comments: Sequence[IssueComment]
) -> None:
    """Apply the plan's GitHub writes, then make the state label match the record."""
    gateway, view = tools.gateway, ctx.issue
    labels = {name.lower(): name for name in view.labels}
    assignees = sorted(x.lower() for x in view.assignees)
    for action in ctx.plan:
        if isinstance(action, Comment):
            post_comment(ctx, gateway, issue, action, comments)
        elif isinstance(action, React):
            gateway.react(issue, action.comment_id)
        elif isinstance(action, Assign):
            wanted = sorted(x.lower() for x in action.logins)
            if wanted != assignees:
                gateway.set_assignees(issue, action.logins)
                assignees = wanted
        elif isinstance(action, Labels):
            add = [x for x in action.add if x.lower() not in labels]
            gateway.add_labels(issue, add)
            labels.update({x.lower(): x for x in add})
            for name in action.remove:
                if name.lower() in labels:
                    gateway.remove_label(issue, labels.pop(name.lower()))
        elif isinstance(action, Close):
            gateway.close(issue, action.reason)
        elif isinstance(action, Reopen):
            gateway.reopen(issue)
    set_state(gateway, issue, labels, ctx.record.state)


def post_comment(
    ctx: Context,
    gateway: Gateway,
    issue: Issue,
    comment: Comment,
    comments: Sequence[IssueComment],
) -> None:
    """Post a bot comment once per incident: the record remembers the keys it posted."""
    if comment.key in ctx.record.posted:
        return
    gateway.post_comment(issue, comment.key, comment.body, comments)
    if comment.remember and not gateway.dry_run:
        ctx.record.posted.append(comment.key)


def set_state(gateway: Gateway, issue: Issue, labels: dict[str, str], state: State | None) -> None:
    """Leave exactly one state label: the record's. Other labels are never touched."""
    if state is None:
        return
    if state.label not in labels:
        gateway.add_labels(issue, [state.label])
    for name in list(labels.values()):
        other = State.from_label(name)
        if other is not None and other != state:
            gateway.remove_label(issue, name)


def write_retrospective(
    ctx: Context, tools: Tools, issue: Issue, comments: Sequence[IssueComment]
) -> None:
    """Open the retrospective issue once, and link it from the incident."""
    record, config, gateway = ctx.record, ctx.config, tools.gateway
    if record.retro is None:
        # The channel's messages join the timeline (the protocol's progress reports),
        # except for a sensitive incident: its private channel stays private.
        history = [] if record.sensitive else tools.mirror.history(record)
        rendered = retro.render(ctx.issue, record, config, root=tools.root, slack=history)
        marker = retro.MARKER.format(number=ctx.issue.number)

        def existing() -> object | None:
            found = gateway.repo.get_issues(
                state="all", labels=list(config.retrospective.labels), since=ctx.issue.created_at
            )
            return next((i for i in found if marker in (i.body or "")), None)

        # Check before creating: a run that died after creating it must not make a second.
        created = None if gateway.dry_run else existing()
        if created is None:
            created = gateway.create_issue(
                rendered.title,
                rendered.body,
                config.retrospective.labels,
                config.delivery_managers,
                landed=existing,
            )
        if created is None:
            return  # dry run
        record.retro = created.number
        record.note(ctx.now, "retrospective", None, f"#{created.number}")
    key = "retro-link"
    body = msg.RETRO_LINK.format(marker=msg.marker(key), number=record.retro)
    post_comment(ctx, gateway, issue, Comment(key, body), comments)
    ctx.slack(
        "retro-link",
        "incident",
        f":memo: Retrospective: <{ctx.issue.url.rsplit('/', 1)[0]}/{record.retro}|#{record.retro}>",
    )
