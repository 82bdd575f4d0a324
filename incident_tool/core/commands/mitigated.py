"""`/mitigated [text]`: the incident is mitigated (docs/usage.md#states)."""

from __future__ import annotations

from incident_tool.core import lifecycle
from incident_tool.core.commands.base import DONE, May, Refused, Result, Spec, needs_active
from incident_tool.core.commands.names import CommandName
from incident_tool.core.commands.parsing import Command, text_optional
from incident_tool.core.model import CommentView, Context
from incident_tool.core.states import State


def handle(ctx: Context, cmd: Command, comment: CommentView) -> Result:
    """Move the incident to mitigated."""
    if ctx.record.state == State.MITIGATED:
        return Refused("The incident is already mitigated.")
    if refusal := needs_active(ctx, CommandName.MITIGATED):
        return refusal
    lifecycle.mitigate(ctx, comment.author, cmd.text)
    return DONE


SPEC = Spec(
    name=CommandName.MITIGATED,
    usage="/mitigated [text]",
    may=May.LEAD_OR_DM,
    what="state → `incident:mitigated`; announced (not for a sensitive incident)",
    parse=text_optional(CommandName.MITIGATED),
    handle=handle,
)
