"""`/leave`: the author stops helping."""

from __future__ import annotations

from incident_tool.core.commands.base import (
    DONE,
    May,
    Refused,
    Result,
    Spec,
    also_said,
    is_helping,
    is_lead,
    note_and_tell,
)
from incident_tool.core.commands.names import CommandName
from incident_tool.core.commands.parsing import Command, text_optional
from incident_tool.core.model import CommentView, Context
from incident_tool.core.wording import who

CHANNEL_LEFT = ":door: {who} has stopped helping.{said}"


def handle(ctx: Context, cmd: Command, comment: CommentView) -> Result:
    """Mark the author as no longer helping."""
    author = comment.author
    if not is_helping(ctx, author):
        return Refused(
            "You are not listed as helping (`/join` adds you)."
            + (" The lead hands over with `/handover @user`." if is_lead(ctx, author) else "")
        )
    ctx.record.helping = [x for x in ctx.record.helping if x.lower() != author.lower()]
    ctx.record.stopped.append(author)
    told = CHANNEL_LEFT.format(who=who(author), said=also_said(cmd.text))
    note_and_tell(ctx, comment, "leave", cmd.text, told)
    return DONE


SPEC = Spec(
    name=CommandName.LEAVE,
    usage="/leave",
    may=May.HELPING,
    what="marks you as no longer helping",
    parse=text_optional(CommandName.LEAVE),
    handle=handle,
)
