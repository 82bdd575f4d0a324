"""Reconcile the record with the issue: state labels, close and reopen, sensitivity, made by hand
or by a run that never ran. Pure decisions: they read `ctx.facts` and plan actions.
"""

from __future__ import annotations

from datetime import datetime

from incident_tool.core import lifecycle, sensitive_move, trust, wording
from incident_tool.core.announce import without_form_prefix
from incident_tool.core.labels import state_label_added
from incident_tool.core.model import (
    UNKNOWN,
    Close,
    Context,
    HideBody,
    Reopen,
)
from incident_tool.core.outbox import To
from incident_tool.core.record import iso
from incident_tool.core.states import PREFIX, SENSITIVE_LABEL, State, states_in
from incident_tool.inbound.events import Event
from incident_tool.inbound.forms import default_form, is_sensitive, parse_report


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
        hide_sensitive_body(ctx)
        return
    labelled = any(x.lower() == SENSITIVE_LABEL for x in ctx.issue.labels)
    # The reporter may tick "handle it privately" after submitting: the body says so too,
    # until the team declares it; after that only the team's label does (an author could
    # otherwise take a live outage off the status page: docs/usage.md#status-page).
    asked = record.first("declared") is None and is_sensitive(
        parse_report(ctx.issue.body), ctx.config.sensitive.services
    )
    if not labelled and not asked:
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
    hide_sensitive_body(ctx)


# The outbox item whose text the mirror takes from the issue as this run read it
# (effects/mirror.py): the report's text never enters the record, which is a public comment.
MOVED_BODY = "moved-body"
# The outbox item that tells the incident channel the text is in the private repository
# (the mirror links the issue there, effects/sensitive_repository.channel_text): delivered
# once the channel is open, it holds no text in the record.
MOVED_TO_REPOSITORY = "moved-body-repository"
BODY_STUBS = (wording.BODY_MOVED, wording.BODY_REMOVED, wording.BODY_MOVED_TO_REPOSITORY)
# The "body" note's texts (the record is public: no repository is named).
KEPT = "kept on the issue: the repository is private"
TO_CHANNEL = "moved to the private channel"
TO_REPOSITORY = "moved to the private repository"
REMOVED = "removed from the issue"


def hide_sensitive_body(ctx: Context) -> None:
    """A sensitive report in a public repository: replace the issue's body with a stub, and
    move its text into the team's private repository (`sensitive.repository`, with
    SENSITIVE_TOKEN) or else the incident's private channel
    (docs/security.md#a-public-repository).

    Decided once per incident (the "body" note), so the repository's visibility is asked
    once, and only for a sensitive incident: an ordinary run makes no extra request. A
    note whose stub never reached the issue (its write failed) is carried out again.
    """
    record, issue = ctx.record, ctx.issue
    if not record.sensitive:
        return
    done = record.first("body")
    if done is not None:
        hide_again(ctx, done.text)
        return
    if not ctx.facts.repository_public():
        record.note(ctx.now, "body", None, KEPT)
        return
    # A channel opened before the incident was sensitive stays public (Slack cannot change
    # that): the text does not go there.
    marked = record.last("sensitive")
    channel_private = record.channel_id is None or marked is None or not marked.text
    to_channel = ctx.slack_enabled and channel_private
    repository, refused = private_repository(ctx)
    if repository is not None:
        ctx.do(sensitive_move.move_of(ctx, repository))
        ctx.do(HideBody(wording.BODY_MOVED_TO_REPOSITORY + kept_choices(issue.body), _title(ctx)))
        if to_channel:
            _private_channel(ctx, MOVED_TO_REPOSITORY)
        where = TO_REPOSITORY
    else:
        _to_channel_or_removed(ctx, to_channel)
        where = TO_CHANNEL if to_channel else REMOVED
    why = f"; not to the private repository: {refused}" if refused else ""
    if refused:
        # Said once, as the note is: the job log and the record.
        ctx.notices.append(f"sensitive.repository: the report's text not moved there: {refused}")
    record.note(ctx.now, "body", None, f"the report's text {where} (the repository is public{why})")


def _to_channel_or_removed(ctx: Context, to_channel: bool) -> None:
    issue = ctx.issue
    if not hidden(issue.body):
        stub = wording.BODY_MOVED if to_channel else wording.BODY_REMOVED
        ctx.do(HideBody(stub + kept_choices(issue.body), _title(ctx)))
    if to_channel:
        _private_channel(ctx, MOVED_BODY)


def _private_channel(ctx: Context, key: str) -> None:
    """The incident's private channel, opened at once (effects/mirror.py), told the text
    (MOVED_BODY) or where it is (MOVED_TO_REPOSITORY); the delivery managers and the
    reporter invited."""
    reporter = ctx.record.first("reported")
    invite = [*ctx.config.delivery_managers, *([reporter.actor] if reporter else [])]
    if any(invite):
        ctx.slack(f"{MOVED_BODY}:invite", To.INCIDENT, "", invite=[x for x in invite if x])
    ctx.slack(key, To.INCIDENT, "")


def private_repository(ctx: Context) -> tuple[str | None, str | None]:
    """The private repository the report's text moves to, else why not (None, None: no
    `sensitive.repository`, or the issue holds a stub already: there is no text to move)."""
    repository = ctx.config.sensitive.repository
    if repository is None or hidden(ctx.issue.body):
        return None, None
    refused = ctx.facts.sensitive_repository_refused(repository)
    return (None, refused) if refused else (repository, None)


def hide_again(ctx: Context, decided: str) -> None:
    """The body was to be hidden, and the issue still shows its text: the write failed in
    the run that decided (its record was saved), or someone put the text back. The same
    stub again; the private repository's issue is found by its marker, not opened twice."""
    if decided == KEPT:
        return
    if hidden(ctx.issue.body):
        if _title(ctx) is not None:  # the title put back: the stub's title again
            ctx.do(HideBody(ctx.issue.body, _title(ctx)))
        return
    stub = wording.BODY_REMOVED
    if TO_REPOSITORY in decided:
        repository, _ = private_repository(ctx)
        if repository is not None:
            ctx.do(sensitive_move.move_of(ctx, repository))
            stub = wording.BODY_MOVED_TO_REPOSITORY
    elif TO_CHANNEL in decided:
        stub = wording.BODY_MOVED
    ctx.do(HideBody(stub + kept_choices(ctx.issue.body), _title(ctx)))


def _title(ctx: Context) -> str | None:
    """The neutral title a hidden report takes (its form's prefix kept), None when it has
    it already. GitHub still shows the old title in the issue's timeline ("changed the
    title"), as it keeps the body's edits: the stub takes it off lists, search and
    notifications from then on."""
    bare = without_form_prefix(ctx.issue.title, ctx.config.title_prefix)
    prefix = ctx.issue.title[: len(ctx.issue.title) - len(bare)] if bare != ctx.issue.title else ""
    title = prefix + wording.TITLE_HIDDEN
    return None if ctx.issue.title == title else title


def reconcile_labels(ctx: Context, event: Event | None) -> None:
    """Carry out the state label people added, in this run or one that never ran.

    docs/architecture.md#how-it-works.
    """
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
    by: str | None  # a closer is named (UNKNOWN at worst); a reopener may not be
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
    change = "Closing this issue" if kind == "closed" else "Reopening this issue"
    if trust.left_to_team(ctx, change, target, by, who):
        return False
    ctx.do(undo)
    trust.undo(ctx, change, target, by, who, f"undone:{kind}:{iso(at or ctx.now)}")
    return False


def needs_retrospective(ctx: Context) -> bool:
    return (
        ctx.record.state == State.RESOLVED
        and ctx.record.retro is None
        and ctx.config.retrospective.enabled
    )


def hidden(body: str | None) -> bool:
    """Whether the issue's body is one of the stubs (hide_sensitive_body) and nothing more:
    text its author adds under the stub is text to hide again, not part of the stub."""
    text = (body or "").replace("\r\n", "\n").strip()
    return text.startswith(BODY_STUBS) and any(
        text == (stub + kept_choices(text)).strip() for stub in BODY_STUBS
    )


def kept_choices(body: str | None) -> str:
    """The form's choices (its dropdowns and checkboxes), which the stub keeps: later runs
    read the affected service and the sensitivity from the body. Only the form's own options
    are kept, so no text the reporter typed stays."""
    parsed = parse_report(body)
    kept = []
    for form_field in default_form().fields:
        value = parsed.get(form_field.id)
        chosen = value if isinstance(value, list) else [value] if value else []
        chosen = [x for x in chosen if x in form_field.options]
        if form_field.type == "dropdown" and chosen:
            kept.append(f"### {form_field.label}\n\n{', '.join(chosen)}")
        elif form_field.type == "checkboxes" and chosen:
            ticked = "\n".join(f"- [x] {x}" for x in chosen)
            kept.append(f"### {form_field.label}\n\n{ticked}")
    return "".join(f"\n\n{section}" for section in kept)
