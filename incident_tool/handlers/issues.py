"""Handle `issues` events: labels that are not states.

State labels, closing and reopening are not routed one event at a time: `run` reconciles
them from the issue as it is, so a run whose event was dropped still carries them out.
"""

from __future__ import annotations

from incident_tool import lifecycle
from incident_tool.decide import Context, Router
from incident_tool.events import Event
from incident_tool.states import SENSITIVE_LABEL, State

router = Router()


@router.register("issues", action="labeled")
def sensitive_label_added(event: Event, ctx: Context) -> None:
    """Mark the incident sensitive (state labels are reconciled in `run`, in order)."""
    if (event.label or "").lower() == SENSITIVE_LABEL and not ctx.record.sensitive:
        ctx.record.sensitive = True
        late = ""
        if ctx.record.channel_id:
            # Slack cannot make a public channel private: say so where people will look.
            late = (
                "after the channel was opened: it stays public (Slack cannot change that); "
                "later announcements are redacted"
            )
            ctx.notices.append(f"marked sensitive {late}")
        ctx.record.note(ctx.now, "sensitive", event.sender, late)


def state_label_added(ctx: Context, target: State, by: str) -> None:
    """Carry out the transition a person asked for by adding a state label by hand."""
    if target == ctx.record.state:
        return
    if target == State.REPORTED:
        if ctx.record.state == State.DISMISSED:
            ctx.record.state = State.REPORTED
            ctx.record.note(ctx.now, "reported", by, "back to reported")
        else:
            lifecycle.check(ctx, State.REPORTED)
    elif target == State.DECLARED:
        lifecycle.declare(ctx, by)
    elif target == State.MITIGATED:
        lifecycle.mitigate(ctx, by)
    elif target == State.RESOLVED:
        lifecycle.resolve(ctx, by)
    elif target == State.DISMISSED:
        lifecycle.dismiss(ctx, by)
