"""`/unlock`: the issue's conversation open to everyone again (see `/lock`)."""

from __future__ import annotations

from incident_tool.core import wording
from incident_tool.core.commands.base import DONE, May, Refused, Result, Spec, anchor
from incident_tool.core.commands.names import CommandName
from incident_tool.core.commands.parsing import Command, no_text
from incident_tool.core.model import Comment, CommentView, Context, Unlock

NOT_LOCKED = "The conversation is not locked."
UNLOCKED = """{marker}
🔓 {who} opened this conversation again: anyone who can see the issue may comment."""


def handle(ctx: Context, cmd: Command, comment: CommentView) -> Result:
    """Unlock the conversation (before this reply is posted), note it in the timeline."""
    if not ctx.issue.locked:
        return Refused(NOT_LOCKED)
    key = f"unlock:{comment.id}"
    body = UNLOCKED.format(marker=wording.marker(key), who=wording.person(comment.author))
    ctx.do(Unlock())
    ctx.do(Comment(key, body, remember=False))
    ctx.record.note(ctx.now, "unlock", comment.author, "", anchor(comment))
    return DONE


SPEC = Spec(
    name=CommandName.UNLOCK,
    usage="/unlock",
    may=May.LEAD_OR_DM,
    what="opens a locked conversation to everyone again; announced on the issue",
    parse=no_text(CommandName.UNLOCK),
    handle=handle,
)
