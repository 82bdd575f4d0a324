"""`/changes [hours]`: what changed, listed again over a wider window
(docs/usage.md#what-changed-before-the-incident)."""

from __future__ import annotations

import re
from datetime import timedelta

from incident_tool.core import changes, wording
from incident_tool.core.commands.base import DONE, May, Result, Spec, reply_key
from incident_tool.core.commands.names import CommandName
from incident_tool.core.commands.parsing import Command, MalformedCommand, join_text, quote
from incident_tool.core.model import Comment, CommentView, Context
from incident_tool.core.outbox import To

MAX_HOURS = 720  # 30 days: one page of each list covers no more anyway
HOW = (
    "`/changes [hours]`: the hours before the report to list, 1 to 720 "
    "(default: `changes.window_hours`)"
)
LISTED_HERE = """{marker}
🔎 What changed from {hours} h before the report until now (newest first, at most ten):
{table}"""


def parse(rest: str, following: str) -> Command | MalformedCommand:
    """An optional whole number of hours."""
    words = join_text(rest, following).split()
    if not words:
        return Command(name=CommandName.CHANGES)
    if not re.fullmatch(r"[0-9]{1,4}", words[0]) or not 1 <= int(words[0]) <= MAX_HOURS:
        return MalformedCommand(
            name=CommandName.CHANGES.value,
            message=f"`{quote(words[0])}` is not a number of hours. {HOW}",
        )
    return Command(name=CommandName.CHANGES, text=str(int(words[0])))


def handle(ctx: Context, cmd: Command, comment: CommentView) -> Result:
    """Read the changes from `hours` before the report until now; list them in the incident
    channel (on the issue when there is none)."""
    hours = int(cmd.text) if cmd.text else ctx.config.changes.window_hours
    win = changes.window(
        ctx.config, changes.service_of(ctx.issue.body), ctx.issue.repo, ctx.issue.created_at, hours
    )
    since = ctx.issue.created_at - timedelta(hours=hours)
    found = ctx.facts.changes(win.repositories, since, ctx.now)
    shown = changes.pick(found.items, win.service_repositories)
    if ctx.slack_enabled and ctx.record.channel_id:
        text = changes.slack_message(shown, found.unread, hours, ctx.issue.created_at)
        ctx.slack(f"changes:{comment.id}", To.INCIDENT, text, remember=False)
        return DONE
    key = reply_key(comment)
    table = "\n".join(changes.section_body(changes.record_state(found, win)))
    ctx.do(
        Comment(
            key,
            LISTED_HERE.format(marker=wording.marker(key), hours=hours, table=table),
            remember=False,
        )
    )
    return DONE


SPEC = Spec(
    name=CommandName.CHANGES,
    usage="/changes [hours]",
    may=May.TEAM,
    what="lists again what changed before the report (deployments, merged pull requests, "
    "releases, failed runs), over `hours` before it (default `changes.window_hours`) until now",
    parse=parse,
    handle=handle,
)
