"""`/status`: the status summary, re-posted."""

from __future__ import annotations

from incident_tool.core import trust, wording
from incident_tool.core.commands.base import DONE, May, Result, Spec, reply_key
from incident_tool.core.commands.names import CommandName
from incident_tool.core.commands.parsing import Command, no_text
from incident_tool.core.model import Comment, CommentView, Context
from incident_tool.core.outbox import To

STATUS_HERE = """{marker}
📋 The current status is in the status comment near the top of this issue (there is no
incident channel to post it to)."""


def handle(ctx: Context, cmd: Command, comment: CommentView) -> Result:
    """Re-post the status summary to the incident channel (or point to it, Slack off)."""
    # Someone without triage access is pointed to the status comment: nothing they say
    # reaches the team's channel (docs/usage.md#the-lead-availability-and-acknowledgement).
    if ctx.slack_enabled and ctx.record.channel_id and not trust.is_outsider(ctx, comment.author):
        ctx.slack(f"status:{comment.id}", To.INCIDENT, "", status=True, remember=False)
    else:
        key = reply_key(comment)
        ctx.do(Comment(key, STATUS_HERE.format(marker=wording.marker(key)), remember=False))
    return DONE


SPEC = Spec(
    name=CommandName.STATUS,
    usage="/status",
    may=May.ANYONE,
    what="re-posts the current status summary to the incident channel",
    parse=no_text(CommandName.STATUS),
    handle=handle,
)
