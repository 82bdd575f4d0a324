"""`/dismiss <reason>`: not an incident (docs/usage.md#states)."""

from __future__ import annotations

from incident_tool.core import lifecycle
from incident_tool.core.commands.base import DONE, May, Refused, Result, Spec
from incident_tool.core.commands.names import CommandName
from incident_tool.core.commands.parsing import Command, text_needed
from incident_tool.core.model import CommentView, Context
from incident_tool.core.states import State

NEEDS_TEXT = "`/dismiss` needs a reason: `/dismiss <why this is not an incident>`"


def handle(ctx: Context, cmd: Command, comment: CommentView) -> Result:
    """Dismiss the report: close the issue as not planned, with no retrospective."""
    state = ctx.record.state
    if state is not None and state in (State.RESOLVED, State.DISMISSED):
        return Refused(f"The incident is already `{state.label}`.")
    lifecycle.dismiss(ctx, comment.author, cmd.text)
    return DONE


SPEC = Spec(
    name=CommandName.DISMISS,
    usage="/dismiss <reason>",
    may=May.DM,
    what="state → `incident:dismissed`, issue closed as not planned, no retrospective",
    parse=text_needed(CommandName.DISMISS, NEEDS_TEXT),
    handle=handle,
)
