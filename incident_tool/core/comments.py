"""Handle comments: run commands (docs/usage.md#commands) or mirror the comment to the incident
channel.

The commands themselves are `incident_tool.core.commands`, one module each; this decides
which comments are commands and answers with their `Result`.

`issue_comment.created` is not routed one comment at a time: every run reconciles all
comments posted after the last one the record has seen, so a command whose own run was
cancelled by the concurrency group is still carried out, exactly once
(docs/architecture.md#how-it-works).
"""

from __future__ import annotations

from incident_tool.core import safe, trust, wording
from incident_tool.core.commands import Done, MalformedCommand, Refused, parse_command, run_command
from incident_tool.core.model import Comment, CommentView, Context, React
from incident_tool.core.outbox import To
from incident_tool.core.safe import slack as escape
from incident_tool.core.wording import who


def is_bot_comment(ctx: Context, comment: CommentView) -> bool:
    """A bot's comment, never a command. A marker makes one the tool's own only when the
    tool's account wrote it: anyone can type `<!-- incident-tool:… -->`, and such a comment
    skipped would stop the record's cursor (each later run re-reading every comment since)."""
    return (
        comment.author_is_bot
        or comment.author.endswith("[bot]")
        or (ctx.facts.is_tool(comment.author) and bool(wording.marker_keys(comment.body)))
    )


def process_new_comments(ctx: Context, comments: list[CommentView]) -> int:
    """Carry out commands (and mirror plain comments) newer than the record's last seen one."""
    handled = 0
    for comment in sorted(comments, key=lambda c: c.id):
        if comment.id <= ctx.record.last_comment_id:
            continue
        if is_bot_comment(ctx, comment):
            continue  # never a command, so no need to record it as seen (saves a write)
        ctx.record.last_comment_id = comment.id
        if comment.edited:
            # Only the text as first posted counts: an edit into a command is never run.
            continue
        # The timeline says when it was said, not when a (perhaps later) run read it.
        with ctx.at(comment.created_at):
            handled += handle_comment(ctx, comment)
    return handled


def handle_comment(ctx: Context, comment: CommentView) -> int:
    parsed = parse_command(comment.body)
    if parsed is None:
        mirror(ctx, comment)
        return 0
    if not trust.may_answer(ctx, comment.author):
        # Someone without triage access was answered on this issue within the hour: their
        # command is counted, not answered (docs/usage.md#people-without-triage-access).
        ctx.record.unanswered += 1
        ctx.notices.append(f"not answered: {comment.author} was answered within the hour")
        return 1
    if isinstance(parsed, MalformedCommand):
        refuse(ctx, comment, parsed.message)
        return 1
    result = run_command(ctx, parsed, comment)
    if isinstance(result, Refused):
        refuse(ctx, comment, result.reason)
    elif isinstance(result, Done):
        ctx.do(React(comment.id))
    # PartlyDone: the handler's own reply says what could not be done; no 👍.
    return 1


def refuse(ctx: Context, comment: CommentView, reason: str) -> None:
    key = f"reply:{comment.id}"
    # Reasons can quote bits of the command (a word, a login): never a direction trick.
    body = wording.REFUSED.format(marker=wording.marker(key), reason=safe.plain(reason))
    ctx.do(Comment(key, body, remember=False))
    ctx.notices.append(f"refused a command by {comment.author}: {reason}")


def mirror(ctx: Context, comment: CommentView) -> None:
    record = ctx.record
    if not ctx.config.slack.mirror_comments or record.state is None or not record.state.is_active:
        return
    if trust.is_outsider(ctx, comment.author):
        # Counted in the status comment, not posted to the team's channel.
        record.outsider_comments += 1
        return
    text = escape(comment.body.strip())
    if len(text) > 3000:
        text = text[:2999] + "…"
    told = wording.CHANNEL_MIRRORED.format(who=who(comment.author), url=comment.url, text=text)
    ctx.slack(f"mirror:{comment.id}", To.INCIDENT, told, remember=False)
