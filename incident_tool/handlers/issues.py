"""Handle `issues` events: a report opened, a state label added, closed, reopened."""

from __future__ import annotations

from incident_tool import lifecycle
from incident_tool.decide import Context, Router
from incident_tool.events import Event
from incident_tool.states import SENSITIVE_LABEL, State, states_in

router = Router()


@router.register("issues", action="opened")
def report_opened(event: Event, ctx: Context) -> None:
    """Record the report and tell the delivery managers; a form can also declare at once."""
    states = states_in(list(ctx.issue.labels))
    if not states:
        return
    lifecycle.report(ctx, ctx.issue.author)
    if State.DECLARED in states:
        lifecycle.declare(ctx, event.sender or ctx.issue.author)


@router.register("issues", action="labeled")
def state_label_added(event: Event, ctx: Context) -> None:
    """Carry out the transition a person asked for by adding a state label by hand."""
    label = event.label or ""
    if label.lower() == SENSITIVE_LABEL:
        if not ctx.record.sensitive:
            ctx.record.sensitive = True
            ctx.record.note(ctx.now, "sensitive", event.sender)
        return
    target = State.from_label(label)
    if target is None or target.label not in [x.lower() for x in ctx.issue.labels]:
        return  # removed again before this run: a later event says what people want now
    by = event.sender or ctx.issue.author
    if target == State.REPORTED:
        if ctx.record.state is None:
            lifecycle.report(ctx, ctx.issue.author)
        elif ctx.record.state == State.DISMISSED:
            ctx.record.state = State.REPORTED
            ctx.record.note(ctx.now, "reported", by, "back to reported")
        elif ctx.record.state != State.REPORTED:
            lifecycle.check(ctx, State.REPORTED)
    elif target == State.DECLARED:
        lifecycle.declare(ctx, by)
    elif target == State.MITIGATED:
        lifecycle.mitigate(ctx, by)
    elif target == State.RESOLVED:
        lifecycle.resolve(ctx, by)
    elif target == State.DISMISSED:
        lifecycle.dismiss(ctx, by)


@router.register("issues", action="closed")
def closed(event: Event, ctx: Context) -> None:
    """Resolve on "completed", dismiss on "not planned" (SPEC §4)."""
    if ctx.issue.state != "closed" or ctx.record.state is None:
        return
    by = event.sender or ctx.issue.author
    if (ctx.issue.state_reason or event.state_reason) == "not_planned":
        lifecycle.dismiss(ctx, by)
    else:
        lifecycle.resolve(ctx, by)


@router.register("issues", action="reopened")
def reopened(event: Event, ctx: Context) -> None:
    """Put a resolved or dismissed incident back to declared."""
    if ctx.issue.state != "open":
        return
    lifecycle.reopen(ctx, event.sender or ctx.issue.author)
