"""`/ack`: the lead acknowledges the role
(docs/usage.md#the-lead-availability-and-acknowledgement)."""

from __future__ import annotations

from incident_tool.core import ack as acknowledgement
from incident_tool.core.commands.base import DONE, May, Result, Spec
from incident_tool.core.commands.names import CommandName
from incident_tool.core.commands.parsing import Command, no_text
from incident_tool.core.model import CommentView, Context


def handle(ctx: Context, cmd: Command, comment: CommentView) -> Result:
    """Acknowledge the lead role: the lead is no longer waited for."""
    via = "`@incident-tool ack` in Slack" if comment.ref else "`/ack` on the issue"
    acknowledgement.acknowledge(ctx, comment.author, via)
    return DONE


SPEC = Spec(
    name=CommandName.ACK,
    usage="/ack",
    may=May.LEAD,
    what="acknowledges the lead role (asked when the tool chose you, or someone handed it to "
    "you); a ✅ on the tool's Slack DM or on the channel's first message does the same",
    parse=no_text(CommandName.ACK),
    handle=handle,
)
