"""`/update <text>`: a progress update."""

from __future__ import annotations

from incident_tool.core.commands.base import DONE, May, Result, Spec, anchor, note_and_tell
from incident_tool.core.commands.names import CommandName
from incident_tool.core.commands.parsing import Command, text_needed
from incident_tool.core.model import CommentView, Context
from incident_tool.core.safe import slack as escape
from incident_tool.core.wording import who

NEEDS_TEXT = "`/update` needs text: `/update <what is happening>`"
CHANNEL_UPDATE = ":memo: Update from {who}:\n{text}"


def handle(ctx: Context, cmd: Command, comment: CommentView) -> Result:
    """Record a progress update and post it to the incident channel."""
    told = CHANNEL_UPDATE.format(who=who(comment.author), text=escape(cmd.text))
    note_and_tell(ctx, comment, "update", cmd.text, told, ref=anchor(comment))
    return DONE


SPEC = Spec(
    name=CommandName.UPDATE,
    usage="/update <text>",
    may=May.TEAM,
    what="a progress update: into the timeline and the incident channel",
    parse=text_needed(CommandName.UPDATE, NEEDS_TEXT),
    handle=handle,
)
