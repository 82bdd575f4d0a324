"""`/lock [reason]`: the issue's conversation locked to collaborators (docs/security.md).

While an incident is declared its author, and anyone else without write access, may
comment on it, and the author may close and reopen it. Locked, only collaborators may
comment, and a close or reopen by an author without access starts no workflow run
(.github/workflows/incident.yml's `if`): what the tool does when such a person keeps
closing their own declared report (core/trust.py `left_to_team`), and what the team can
do by hand. `/unlock` opens it again.
"""

from __future__ import annotations

from incident_tool.core import wording
from incident_tool.core.commands.base import (
    DONE,
    May,
    Refused,
    Result,
    Spec,
    anchor,
    needs_active,
)
from incident_tool.core.commands.names import CommandName
from incident_tool.core.commands.parsing import Command, quote, text_optional
from incident_tool.core.model import Comment, CommentView, Context, Lock

# GitHub's lock reasons (the `lock_reason` enum of PUT /repos/{owner}/{repo}/issues/
# {issue_number}/lock), with the spellings people type for them.
REASONS = {
    "off-topic": "off-topic",
    "offtopic": "off-topic",
    "too heated": "too heated",
    "too-heated": "too heated",
    "heated": "too heated",
    "resolved": "resolved",
    "spam": "spam",
}
UNKNOWN_REASON = (
    "`/lock` takes no reason or one of `off-topic`, `too heated`, `resolved`, `spam`; "
    "not `{given}`."
)
ALREADY = "The conversation is already locked to collaborators; `/unlock` opens it again."
LOCKED = """{marker}
🔒 {who} locked this conversation to collaborators{why}: only people with write access \
may comment until a delivery manager or the lead says `/unlock`."""


def reason_of(text: str) -> str | None:
    """GitHub's lock reason for what was typed ("" is none); KeyError when it is none."""
    typed = " ".join(text.lower().replace("_", "-").split())
    return REASONS[typed] if typed else None


def handle(ctx: Context, cmd: Command, comment: CommentView) -> Result:
    """Lock the conversation (after this reply is posted), note it in the timeline."""
    refused = needs_active(ctx, CommandName.LOCK)
    if refused is not None:
        return refused
    try:
        reason = reason_of(cmd.text)
    except KeyError:
        return Refused(UNKNOWN_REASON.format(given=quote(cmd.text[:40])))
    if ctx.issue.locked:
        return Refused(ALREADY)
    key = f"lock:{comment.id}"
    why = f" ({reason})" if reason else ""
    body = LOCKED.format(marker=wording.marker(key), who=wording.person(comment.author), why=why)
    ctx.do(Comment(key, body, remember=False))
    ctx.do(Lock(reason))
    ctx.record.note(ctx.now, "lock", comment.author, reason or "", anchor(comment))
    return DONE


SPEC = Spec(
    name=CommandName.LOCK,
    usage="/lock [reason]",
    may=May.LEAD_OR_DM,
    what="locks the issue's conversation to collaborators (reason: `off-topic`, `too heated`, "
    "`resolved` or `spam`; none by default): outsiders can no longer comment, and their "
    "closes and reopens start no run; announced on the issue",
    parse=text_optional(CommandName.LOCK),
    handle=handle,
)
