"""`/revert <pull request>`: open a pull request that reverts a merged one (GraphQL
`revertPullRequest`, with REVERT_TOKEN); never merged by the tool
(docs/usage.md#what-changed-before-the-incident)."""

from __future__ import annotations

from incident_tool.core import changes
from incident_tool.core.commands.base import DONE, May, Refused, Result, Spec
from incident_tool.core.commands.names import CommandName
from incident_tool.core.commands.parsing import Command, quote, text_needed
from incident_tool.core.model import CommentView, Context, RevertPullRequest

HOW = "`/revert <pull-request>`: `#12` or `owner/repo#12`"
NO_TOKEN = (
    "Not done: no `REVERT_TOKEN` (contents and pull requests: write, on the repository "
    "of the pull request) is given to the workflow, so no revert can be opened."
)
NOT_FOUND = "`{ref}`: no pull request the tool can read there. " + HOW
NOT_MERGED = "`{ref}` is not merged: there is nothing to revert."
BODY = (
    "Reverts {ref}: suspected cause of incident {incident}. Opened by incident-tool for "
    "{who}; review and merge it as usual."
)


def handle(ctx: Context, cmd: Command, comment: CommentView) -> Result:
    """Check the ref, the token and the pull request; plan the revert (an effect)."""
    ref = changes.parse_ref(cmd.text)
    if ref is None or ref.number is None:
        return Refused(HOW)
    if not ctx.facts.revert_token():
        return Refused(NO_TOKEN)
    # `#12` names the pull request the changes list shows, if it does; else this repository's.
    listed = changes.in_list(ctx.record.changes, ref)
    repo = ref.repo or (listed.repo if listed and listed.merged else ctx.issue.repo)
    pull = ctx.facts.pull(repo, ref.number)
    shown = quote(f"{repo}#{ref.number}")
    if pull is None:
        return Refused(NOT_FOUND.format(ref=shown))
    if not pull.merged:
        return Refused(NOT_MERGED.format(ref=shown))
    body = BODY.format(ref=f"{repo}#{ref.number}", incident=ctx.issue.url, who=comment.author)
    ctx.do(RevertPullRequest(f"revert:{comment.id}", repo, ref.number, pull.node_id, body))
    ctx.record.note(ctx.now, "revert", comment.author, f"{repo}#{ref.number}")
    return DONE


SPEC = Spec(
    name=CommandName.REVERT,
    usage="/revert <pull-request>",
    may=May.LEAD_OR_DM,
    what="opens a pull request that reverts a merged one (with `REVERT_TOKEN`), linking the "
    "incident; it is never merged by the tool",
    parse=text_needed(CommandName.REVERT, HOW),
    handle=handle,
)
