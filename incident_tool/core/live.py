"""What a person asks live in Slack, carried out on one incident: a decision of its own.

A slash command (`/incident ack`), a button (Acknowledge, Join, Declare, Dismiss) or a
modal (Post an update, the dismissal's reason) becomes a `LiveRequest`: the same command
the comment path runs, with the same permission check (core/commands/), as the GitHub
login `people` maps the Slack user to. It is carried out once (its id is kept in the
record), recorded on the issue like a Slack command, and answered to the person alone
(`ctx.answers`: an ephemeral message). Declaring has no command: the Declare button does
what the `incident:declared` label does, with the label's rule of who may.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from incident_tool.core import trust, wording
from incident_tool.core.commands import (
    CommandName,
    Done,
    MalformedCommand,
    PartlyDone,
    Refused,
    Result,
    help_text,
    parse_command,
    run_command,
)
from incident_tool.core.labels import state_label_added
from incident_tool.core.model import Answer, Comment, CommentView, Context
from incident_tool.core.safe import slack as escape
from incident_tool.core.states import State

LIVE_IDS = 10**16 * 5
MAX_KEPT = 200  # live requests remembered per incident: Slack retries within minutes
DECLARE = "declare"  # the one request that is not a command


@dataclass(frozen=True)
class LiveRequest:
    """One live request on one incident."""

    id: str  # carried out once (kept in the record's `slack_in.live`)
    user: str  # the Slack user who asked
    text: str  # a command without its slash: "ack", "update the database is back"; or DECLARE
    where: str  # how it was asked, for the record: "`/incident`", "the Acknowledge button"


def carry_out(ctx: Context, request: LiveRequest) -> None:
    """Carry the request out as the person who made it, once; answer them alone."""
    state = ctx.record.slack_in
    done = [str(x) for x in state.get("live") or []]
    if request.id in done:
        return
    state["live"] = [*done, request.id][-MAX_KEPT:]
    login = ctx.facts.login_of(request.user)
    if login is None:
        ctx.answers.append(Answer(False, wording.LIVE_UNMAPPED.format(user=request.user)))
        return
    result = declare(ctx, login) if request.text == DECLARE else command(ctx, request, login)
    ctx.answers.append(Answer(isinstance(result, Done), answer(request, result)))
    # A refusal (a typo, no permission) goes back to the person alone, not onto the issue.
    if not (request.text == "help" and isinstance(result, Done)) and not isinstance(
        result, Refused
    ):
        record(ctx, request, login, result)


def declare(ctx: Context, login: str) -> Result:
    """The Declare button: what adding `incident:declared` by hand does."""
    if ctx.record.state != State.REPORTED:
        state = ctx.record.state.value if ctx.record.state else "not an incident"
        return Refused(f"it is {state}, not a report waiting to be declared")
    who = trust.who_may(ctx, State.DECLARED, login)
    if who is not None:
        return Refused(f"declaring is for {who}")
    state_label_added(ctx, State.DECLARED, login)
    return Done()


def command(ctx: Context, request: LiveRequest, login: str) -> Result:
    parsed = parse_command("/" + request.text)
    if parsed is None:
        return Refused("that is not a command: `/incident help` lists them")
    if isinstance(parsed, MalformedCommand):
        return Refused(parsed.message.replace("`/", "`/incident "))
    if parsed.name == CommandName.HELP:
        return Done()
    view = CommentView(
        id=_comment_id(request.id),
        author=login,
        author_is_bot=False,
        body="/" + request.text,
        created_at=ctx.now,
        updated_at=ctx.now,
        url="",
    )
    result = run_command(ctx, parsed, view)
    # The command's reply goes to the person in Slack, not onto the issue as well.
    reply = f"reply:{view.id}"
    ctx.plan[:] = [a for a in ctx.plan if not (isinstance(a, Comment) and a.key == reply)]
    return result


def slash_help() -> str:
    """`/incident help`: the commands, as typed after `/incident`."""
    return help_text().replace("`/", "`/incident ")


def answer(request: LiveRequest, result: Result) -> str:
    """What the person sees, alone."""
    if request.text == "help" and isinstance(result, Done):
        return slash_help()
    word = escape(request.text.split(" ", 1)[0][:30].replace("`", "'"))
    if isinstance(result, Refused):
        return wording.LIVE_REFUSED.format(reason=escape(result.reason.rstrip(".")))
    if isinstance(result, PartlyDone):
        not_done = escape("; ".join(result.not_done))
        return wording.LIVE_DONE_IN_PART.format(word=word, not_done=not_done)
    return wording.LIVE_DONE.format(word=word)


def record(ctx: Context, request: LiveRequest, login: str, result: Result) -> None:
    """Record it on the issue: who asked, how, and what came of it."""
    from incident_tool.core.slack_notes import outcome

    key = f"live:{request.id}"
    word = request.text.split(" ", 1)[0].replace("`", "'")[:30]
    body = wording.LIVE_RECORD.format(
        marker=wording.marker(key),
        who=wording.person(login),
        word=word,
        where=request.where,
        outcome=outcome(result),
    )
    ctx.do(Comment(key, body, remember=False))


def _comment_id(request_id: str) -> int:
    """A live request's stand-in comment id: stable, 17 digits (GitHub's have 10, Slack
    messages' stand-ins 16: core/slack_notes.py)."""
    return LIVE_IDS + zlib.crc32(request_id.encode())
