"""`/resolve [text]`: the incident is resolved (docs/usage.md#states)."""

from __future__ import annotations

from incident_tool.core import lifecycle
from incident_tool.core.commands.base import DONE, May, Result, Spec, needs_active
from incident_tool.core.commands.names import CommandName
from incident_tool.core.commands.parsing import Command, text_optional
from incident_tool.core.model import CommentView, Context


def handle(ctx: Context, cmd: Command, comment: CommentView) -> Result:
    """Resolve the incident: close the issue as completed in this same run."""
    if refusal := needs_active(ctx, CommandName.RESOLVE):
        return refusal
    lifecycle.resolve(ctx, comment.author, cmd.text)
    return DONE


SPEC = Spec(
    name=CommandName.RESOLVE,
    usage="/resolve [text]",
    may=May.LEAD_OR_DM,
    what="closes the issue as completed: state → `incident:resolved`, retrospective opened",
    parse=text_optional(CommandName.RESOLVE),
    handle=handle,
)
