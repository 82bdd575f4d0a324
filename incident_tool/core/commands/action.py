"""`/action [@owner] <text>`: a follow-up action (docs/usage.md#follow-ups)."""

from __future__ import annotations

from incident_tool.core import followups
from incident_tool.core.commands.base import DONE, May, Result, Spec, anchor, note_and_tell
from incident_tool.core.commands.names import CommandName
from incident_tool.core.commands.parsing import (
    BOT_SUFFIX,
    MENTION_TRAILING,
    Command,
    MalformedCommand,
    is_valid_login,
    join_text,
    quote,
    split_first_token,
)
from incident_tool.core.model import CommentView, Context
from incident_tool.core.safe import slack as escape
from incident_tool.core.wording import who

NEEDS_TEXT = "`/action` needs text: `/action [@owner] <follow-up action>`"
CHANNEL_ACTION = ":pushpin: Follow-up action from {who}: {text}{owner}"


def parse(rest: str, following: str) -> Command | MalformedCommand:
    """Parse ``/action [@owner] <text>``: an ``@login`` first is the owner."""
    token, after = split_first_token(rest)
    owner = None
    if token.startswith("@"):
        owner = token.removeprefix("@").rstrip(MENTION_TRAILING)
        if not is_valid_login(owner) or owner.endswith(BOT_SUFFIX):
            return MalformedCommand(
                name=CommandName.ACTION.value,
                message=f"`{quote(token)}` is not a GitHub login. " + NEEDS_TEXT,
            )
        rest = after
    text = join_text(rest, following)
    if not text:
        return MalformedCommand(name=CommandName.ACTION.value, message=NEEDS_TEXT)
    return Command(name=CommandName.ACTION, text=text, owner=owner)


def owner_word(text: str) -> tuple[str | None, str]:
    """Split a bare first word shaped like a login off an ``/action`` text: (login, rest).

    Only the caller knows whether it is a person ("/action alice fix it") or the text's
    first word ("/action fix the cache"); (None, text) when it cannot be a login or
    nothing would be left.
    """
    token, rest = split_first_token(text)
    login = token.rstrip(MENTION_TRAILING)
    if not rest.strip() or not is_valid_login(login) or login.endswith(BOT_SUFFIX):
        return None, text
    return login, rest.strip()


def handle(ctx: Context, cmd: Command, comment: CommentView) -> Result:
    """Record a follow-up action (and its owner): a follow-up issue at resolution."""
    owner, text = cmd.owner, cmd.text
    if owner is None:
        word, rest = owner_word(text)
        if word is not None and followups.known_login(ctx, word):
            owner, text = word, rest
    told = CHANNEL_ACTION.format(
        who=who(comment.author),
        text=escape(text),
        owner=f" (owner: {who(owner)})" if owner else "",
    )
    entry = note_and_tell(ctx, comment, "action", text, told, ref=anchor(comment))
    followups.noted(ctx, entry, owner, comment)
    return DONE


SPEC = Spec(
    name=CommandName.ACTION,
    usage="/action [@owner] <text>",
    may=May.TEAM,
    what="records a follow-up action; at resolution it becomes a follow-up issue assigned to "
    "`owner`, a sub-issue of the retrospective (at once if already resolved)",
    parse=parse,
    handle=handle,
)
