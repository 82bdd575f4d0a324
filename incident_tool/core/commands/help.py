"""`/help`: the command table, as a reply."""

from __future__ import annotations

from incident_tool.core import wording
from incident_tool.core.commands.base import DONE, May, Result, Spec, reply_key
from incident_tool.core.commands.names import CommandName
from incident_tool.core.commands.parsing import Command, no_text
from incident_tool.core.model import Comment, CommentView, Context

HELP = """{marker}
**incident-tool commands** (write one on the first line of a comment):

{table}"""


def handle(ctx: Context, cmd: Command, comment: CommentView) -> Result:
    """Reply with the command table."""
    # The table is the registry's, which imports this module: read it when answering.
    from incident_tool.core.commands import help_text

    key = reply_key(comment)
    ctx.do(Comment(key, HELP.format(marker=wording.marker(key), table=help_text()), remember=False))
    return DONE


SPEC = Spec(
    name=CommandName.HELP,
    usage="/help",
    may=May.ANYONE,
    what="replies with this list",
    parse=no_text(CommandName.HELP),
    handle=handle,
)
