"""`/public <text>`: a public update for the status page (docs/usage.md#status-page)."""

from __future__ import annotations

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
from incident_tool.core.safe import slack as escape
from incident_tool.core.states import State
from incident_tool.core.wording import who

NEEDS_TEXT = "`/public` needs text: `/public <what the public should know>`"
CHANNEL_PUBLIC = ":globe_with_meridians: Public update (status page) from {who}:\n{text}"


def handle(ctx: Context, cmd: Command, comment: CommentView) -> Result:
    """Record a public update for the status page and tell the channel."""
    state = ctx.record.state
    if state not in (State.DECLARED, State.MITIGATED, State.RESOLVED):
        shown = state.label if state else "no state"
        return Refused(f"`/public` needs a declared incident; this one is `{shown}`.")
    if ctx.record.sensitive:
        return Refused("This incident is sensitive: it never appears on the status page.")
    told = CHANNEL_PUBLIC.format(who=who(comment.author), text=escape(cmd.text))
    note_and_tell(ctx, comment, "public", cmd.text, told, ref=anchor(comment))
    return DONE


SPEC = Spec(
    name=CommandName.PUBLIC,
    usage="/public <text>",
    may=May.LEAD_OR_DM,
    what="a public update: on the status page and in its feed, in the timeline and the "
    "incident channel (anyone can read it: no names, no internals)",
    parse=text_needed(CommandName.PUBLIC, NEEDS_TEXT),
    handle=handle,
)
