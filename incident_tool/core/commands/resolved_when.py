"""`/resolved-when <text>`: the resolution criteria."""

from __future__ import annotations

from incident_tool.core.commands.base import DONE, May, Result, Spec, note_and_tell
from incident_tool.core.commands.names import CommandName
from incident_tool.core.commands.parsing import Command, text_needed
from incident_tool.core.model import CommentView, Context
from incident_tool.core.safe import slack as escape

NEEDS_TEXT = "`/resolved-when` needs text: `/resolved-when <what must be true to call it resolved>`"
CHANNEL_RESOLVED_WHEN = ":dart: We can call this resolved when: {text}"


def handle(ctx: Context, cmd: Command, comment: CommentView) -> Result:
    """Record the resolution criteria (status comment, topic, retrospective)."""
    ctx.record.resolved_when = cmd.text
    told = CHANNEL_RESOLVED_WHEN.format(text=escape(cmd.text))
    note_and_tell(ctx, comment, "resolved-when", cmd.text, told)
    return DONE


SPEC = Spec(
    name=CommandName.RESOLVED_WHEN,
    usage="/resolved-when <text>",
    may=May.DM,
    what='records the resolution criteria ("we can call this resolved when …"); shown in '
    "the status comment and the channel topic",
    parse=text_needed(CommandName.RESOLVED_WHEN, NEEDS_TEXT),
    handle=handle,
)
