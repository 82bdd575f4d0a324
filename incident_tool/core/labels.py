"""State labels added by hand (docs/usage.md#states): carry out the transition the label names.

There is no per-event router: events can be dropped (the concurrency group keeps one
pending run) or arrive late, so every run reconciles the incident from the issue as it is
(`app.py`, `core/reconcile.py`), and a label added in a run that never happened is
carried out all the same.
"""

from __future__ import annotations

from incident_tool.core import lifecycle
from incident_tool.core.model import Context, Reopen
from incident_tool.core.states import State


def state_label_added(ctx: Context, target: State, by: str) -> None:
    """Carry out the transition a person asked for by adding a state label by hand."""
    if target == ctx.record.state:
        return
    if target == State.REPORTED:
        if ctx.record.state == State.DISMISSED:
            ctx.record.state = State.REPORTED
            ctx.record.note(ctx.now, "reported", by, "back to reported")
            if ctx.issue.state == "closed":
                ctx.do(Reopen())
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
