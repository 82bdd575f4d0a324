"""`/comms <text>`: a stakeholder update."""

from __future__ import annotations

from incident_tool.core import announce
from incident_tool.core.commands.base import DONE, May, Result, Spec, anchor, note_and_tell
from incident_tool.core.commands.names import CommandName
from incident_tool.core.commands.parsing import Command, text_needed
from incident_tool.core.model import CommentView, Context
from incident_tool.core.outbox import To
from incident_tool.core.safe import slack as escape
from incident_tool.core.wording import who

NEEDS_TEXT = "`/comms` needs text: `/comms <message for stakeholders>`"
STAKEHOLDERS_COMMS = ":loudspeaker: *Stakeholder update* on {link} from {who}:\n{text}"
CHANNEL_COMMS_COPY = ":loudspeaker: Stakeholders were told: {text}"


def handle(ctx: Context, cmd: Command, comment: CommentView) -> Result:
    """Send a stakeholder update and keep it in the timeline."""
    to = To.STAKEHOLDER if ctx.config.slack.stakeholder_channel else To.ANNOUNCE
    told = STAKEHOLDERS_COMMS.format(
        link=announce.link(ctx), who=who(comment.author), text=escape(cmd.text)
    )
    note_and_tell(ctx, comment, "comms", cmd.text, told, ref=anchor(comment), to=to)
    copy = CHANNEL_COMMS_COPY.format(text=escape(cmd.text))
    ctx.slack(f"comms-copy:{comment.id}", To.INCIDENT, copy, remember=False)
    return DONE


SPEC = Spec(
    name=CommandName.COMMS,
    usage="/comms <text>",
    may=May.DM,
    what="a stakeholder update: posted to the stakeholder channel (or the announce channel) "
    "and kept in the timeline",
    parse=text_needed(CommandName.COMMS, NEEDS_TEXT),
    handle=handle,
)
