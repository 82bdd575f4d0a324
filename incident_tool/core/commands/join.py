"""`/join`: the author becomes a supporting colleague."""

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
from incident_tool.core.outbox import To
from incident_tool.core.wording import who

CHANNEL_JOINED = ":wave: {who} is helping.{said}"


def handle(ctx: Context, cmd: Command, comment: CommentView) -> Result:
    """Add the author as a supporting colleague and invite them to the channel."""
    author = comment.author
    if is_lead(ctx, author):
        return Refused("You lead this incident already.")
    if is_helping(ctx, author):
        return DONE
    ctx.record.helping.append(author)
    ctx.record.stopped = [x for x in ctx.record.stopped if x.lower() != author.lower()]
    told = CHANNEL_JOINED.format(who=who(author), said=also_said(cmd.text))
    note_and_tell(ctx, comment, "join", cmd.text, told)
    ctx.slack(f"invite:join:{comment.id}", To.INCIDENT, "", invite=[author], remember=False)
    return DONE


SPEC = Spec(
    name=CommandName.JOIN,
    usage="/join",
    may=May.TRIAGE,
    what="adds you as a supporting colleague and invites you to the incident channel",
    parse=text_optional(CommandName.JOIN),
    handle=handle,
)
