"""`/hide <comment> [reason]`: a comment of the issue hidden ("minimised"), as GitHub's
"Hide" menu does, for an outsider's spam or abuse on a public incident (docs/security.md).

Only this issue's comments, and neither the tool's own (the status comment holds the
record) nor a team member's: they can edit or delete their own. The comment stays on the
issue, folded, with its reason; anyone with write access can show it again on GitHub.
"""

from __future__ import annotations

import re

from incident_tool.core import trust
from incident_tool.core.commands.base import DONE, May, Refused, Result, Spec
from incident_tool.core.commands.names import CommandName
from incident_tool.core.commands.parsing import Command, quote, text_needed
from incident_tool.core.model import CommentView, Context, HideComment

# What `/hide` takes -> GitHub's ReportedContentClassifiers (GraphQL minimizeComment).
CLASSIFIERS = {
    "spam": "SPAM",
    "abuse": "ABUSE",
    "off-topic": "OFF_TOPIC",
    "offtopic": "OFF_TOPIC",
    "outdated": "OUTDATED",
    "duplicate": "DUPLICATE",
    "resolved": "RESOLVED",
}
DEFAULT = "off-topic"  # the least accusatory: a reason is shown with the folded comment
WORDS = "`spam`, `abuse`, `off-topic`, `outdated`, `duplicate` or `resolved`"
NEEDS = (
    "`/hide` needs a comment of this issue: its link (…`#issuecomment-123`) or its number, "
    f"then optionally a reason: {WORDS}."
)
BAD_REASON = f"`/hide` hides as {WORDS} (`{DEFAULT}` when none is given); not `{{given}}`."
NOT_HERE = "Comment {ref} is not one of this issue's: `/hide` hides this issue's comments only."
THE_TOOLS = "That is the tool's own comment (its status comment holds the record): not hidden."
THE_TEAMS = "That comment is {author}'s, who is on the team: they can edit or delete it."

# A comment's link (this repository's issue or pull request), its anchor, or its number.
_REF = re.compile(
    r"(?:https?://[^/\s]+/(?P<repo>[\w.-]+/[\w.-]+)/(?:issues|pull)/(?P<issue>\d+))?"
    r"#issuecomment-(?P<id>\d{1,15})|(?P<bare>\d{1,15})"
)


def target(ctx: Context, ref: str) -> int | Refused:
    """The id of the comment `ref` names, or why not (a link to another issue)."""
    m = _REF.fullmatch(ref)
    if m is None:
        return Refused(NEEDS)
    repo, issue = m.group("repo"), m.group("issue")
    if repo is not None and (
        repo.lower() != ctx.issue.repo.lower() or int(issue) != ctx.issue.number
    ):
        return Refused(NOT_HERE.format(ref=f"`{quote(ref[:120])}`"))
    return int(m.group("id") or m.group("bare"))


def handle(ctx: Context, cmd: Command, comment: CommentView) -> Result:
    """Plan the comment's hiding once it is found on this issue and may be hidden."""
    words = cmd.text.split()
    if not words or len(words) > 2:
        return Refused(NEEDS)
    reason = words[1].lower() if len(words) == 2 else DEFAULT
    if reason not in CLASSIFIERS:
        return Refused(BAD_REASON.format(given=quote(words[1][:40])))
    found = target(ctx, words[0])
    if isinstance(found, Refused):
        return found
    hidden = ctx.facts.comment(found)
    if hidden is None:
        return Refused(NOT_HERE.format(ref=f"`{found}`"))
    if ctx.facts.is_tool(hidden.author):
        return Refused(THE_TOOLS)
    if not hidden.author_is_bot and trust.on_team(ctx, hidden.author):
        return Refused(THE_TEAMS.format(author=hidden.author))
    ctx.do(HideComment(hidden.id, hidden.node_id, CLASSIFIERS[reason]))
    text = f"a comment by {hidden.author} ({CLASSIFIERS[reason].lower().replace('_', '-')})"
    ctx.record.note(ctx.now, "hide", comment.author, text, f"#issuecomment-{hidden.id}")
    return DONE


SPEC = Spec(
    name=CommandName.HIDE,
    usage="/hide <comment> [reason]",
    may=May.LEAD_OR_DM,
    what="hides a comment of this issue (its link or number) as GitHub's Hide does, e.g. an "
    f"outsider's spam; reason: {WORDS} (`{DEFAULT}` by default); not the tool's own "
    "comments or the team's",
    parse=text_needed(CommandName.HIDE, NEEDS),
    handle=handle,
)
