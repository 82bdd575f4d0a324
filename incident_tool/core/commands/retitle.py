"""`/retitle <text>`: the title the public surfaces show (docs/usage.md#status-page).

The status page, its feed, the announce channel and the retrospective show the title the
incident was declared with, not the issue's: its author may edit that at any time, with or
without access. This command is how the team changes it.
"""

from __future__ import annotations

from incident_tool.core import announce
from incident_tool.core.commands.base import (
    DONE,
    May,
    Refused,
    Result,
    Spec,
    anchor,
    note_and_tell,
)
from incident_tool.core.commands.names import CommandName
from incident_tool.core.commands.parsing import Command, text_needed
from incident_tool.core.model import CommentView, Context
from incident_tool.core.outbox import To
from incident_tool.core.record import clip
from incident_tool.core.safe import slack as escape
from incident_tool.core.states import State
from incident_tool.core.wording import who

MAX_TITLE = 256  # GitHub's limit for an issue title: the retrospective's is made from it
NEEDS_TEXT = "`/retitle` needs the new title: `/retitle <what the public should read>`"
CHANNEL_RETITLED = ":pencil2: {who} set the public title: “{title}”."
ANNOUNCE_RETITLED = ":pencil2: Incident {link} is now called “{title}”."


def handle(ctx: Context, cmd: Command, comment: CommentView) -> Result:
    """Set the public title, note it, tell the channel and (unless sensitive) announce it."""
    record = ctx.record
    if record.state not in (State.DECLARED, State.MITIGATED, State.RESOLVED):
        shown = record.state.label if record.state else "no state"
        return Refused(f"`/retitle` needs a declared incident; this one is `{shown}`.")
    # A title is one line: the lines after the command join it.
    title = clip(" ".join(cmd.text.split()), MAX_TITLE)
    record.public_title = title
    told = CHANNEL_RETITLED.format(who=who(comment.author), title=escape(title))
    note_and_tell(ctx, comment, "retitle", title, told, ref=anchor(comment))
    if not record.sensitive:
        # A sensitive incident's title is never announced (core/announce.py).
        announced = ANNOUNCE_RETITLED.format(link=announce.link(ctx), title=escape(title))
        ctx.slack(f"announce-retitle:{comment.id}", To.ANNOUNCE, announced, remember=False)
    return DONE


SPEC = Spec(
    name=CommandName.RETITLE,
    usage="/retitle <text>",
    may=May.LEAD_OR_DM,
    what="the public title: on the status page, its feed, the announce channel and the "
    "retrospective (the issue's own title is its author's); announced",
    parse=text_needed(CommandName.RETITLE, NEEDS_TEXT),
    handle=handle,
)
