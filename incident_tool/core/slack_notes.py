"""What people said in the incident channel, into the record (docs/usage.md#slack-writes-back).

Notes, commands, who is there. Decisions only: the reading is `effects/slack_read.py`, the
answers go to the outbox.

A command from Slack goes through the very path a GitHub comment takes
(`commands.run_command`: the same permission check, the same handler), as the GitHub login
`people` maps its author to, and is then answered in the message's thread and recorded on
the issue.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from incident_tool.core import wording
from incident_tool.core.commands import (
    REGISTRY,
    CommandName,
    Done,
    MalformedCommand,
    PartlyDone,
    Refused,
    Result,
    parse_command,
    run_command,
)
from incident_tool.core.model import Comment, CommentView, Context
from incident_tool.core.outbox import To
from incident_tool.core.record import Entry
from incident_tool.core.safe import slack as escape
from incident_tool.inbound import slack as inbound
from incident_tool.inbound.slack import Readout

MAX_DONE = 100  # commands remembered (each message is carried out once)
MAX_POSTERS = 50
MAX_MEMBERS = 200  # member ids kept to follow joins and leaves (the record stays small)
SENSITIVE_TEXT = "(kept in the private channel)"


def apply(ctx: Context, readout: Readout) -> None:
    """Bring the record up to date with what this run read from the incident channel."""
    state = ctx.record.slack_in
    state["bot"] = readout.bot
    for user, logins in readout.conflicts.items():
        ctx.notices.append(
            f"config error: people.{logins[0]} and people.{logins[1]} map to one Slack user "
            f"({user}); commands from them are refused"
        )
    participation(ctx, readout)
    notes(ctx, readout)
    commands(ctx, readout)
    if moves_cursor(ctx, readout):
        state["cursor"] = readout.cursor
    state["threads"] = readout.threads


CURSOR_LAG = timedelta(minutes=30)


def moves_cursor(ctx: Context, readout: Readout) -> bool:
    """Move the cursor when people said something, or it lags: the tool's own messages
    alone would rewrite the status comment after every post (a GitHub write each)."""
    before = ctx.record.slack_in.get("cursor")
    if before is None or readout.cursor == before:
        return readout.cursor != before
    if any(m.ts in readout.new and m.by_person for m in readout.messages):
        return True
    return inbound.ts_time(before) < ctx.now - CURSOR_LAG


def participation(ctx: Context, readout: Readout) -> None:
    """Who is in the channel (mapped back to logins) and who has posted there."""
    state = ctx.record.slack_in
    if readout.members is not None:
        state["member_ids"] = readout.members[:MAX_MEMBERS]
        logins = [readout.logins.get(u) for u in readout.members]
        state["members"] = sorted({x for x in logins if x}, key=str.lower)
        state["others"] = sum(1 for x in logins if not x)
    posters = list(state.get("posters") or [])
    for message in sorted(readout.messages, key=lambda m: inbound.ts_key(m.ts)):
        if message.ts in readout.new and message.by_person:
            name = readout.who(message.user)
            if name not in posters:
                posters.append(name)
    state["posters"] = posters[-MAX_POSTERS:]


def notes(ctx: Context, readout: Readout) -> None:
    """Pinned messages and those with the timeline reaction are timeline entries at their
    own time, with their current text; un-pinned and un-reacted ones leave it."""
    record, state = ctx.record, ctx.record.slack_in
    reaction = ctx.config.slack.timeline_reaction
    pins_read = readout.pins is not None
    current: dict[str, inbound.InMessage] = {m.ts: m for m in readout.pins or []}
    read = {m.ts for m in readout.messages}
    for message in readout.messages:
        if message.ts in current:
            # pins.list and history may differ in freshness: take the reactions seen here.
            message = replace(message, pinned=True)
        if inbound.is_note(message, reaction, readout.bot):
            current[message.ts] = message
    how: dict[str, str] = dict(state.get("notes") or {})
    marked: list[str] = list(state.get("marked") or [])
    entry: Entry | None  # the loops below reuse the name: an old note, then maybe none
    existing = {
        e.ref[len("slack:") :]: e
        for e in record.timeline
        if e.kind == inbound.NOTE_KIND and e.ref and e.ref.startswith("slack:")
    }
    for ts, entry in existing.items():
        if ts in current:
            continue
        older = inbound.ts_key(ts) < inbound.ts_key(readout.window_from)
        if ts not in read and not pins_read:
            continue  # neither re-read nor its pin: as it was
        if ts not in read and older and "reaction" in how.get(ts, ""):
            continue  # beyond the look-back window: its reaction was not re-read
        record.timeline.remove(entry)
        how.pop(ts, None)
        if ts in marked:
            marked.remove(ts)
            ctx.slack(f"unmark:{ts}", To.INCIDENT, "", unreact=ts, remember=False)
    for ts, message in sorted(current.items(), key=lambda kv: inbound.ts_key(kv[0])):
        text = note_text(ctx, readout, message)
        actor = readout.who(message.user)
        entry = existing.get(ts)
        if entry is None:
            record.note(message.at, inbound.NOTE_KIND, actor, text, f"slack:{ts}")
        elif (entry.text, entry.actor) != (text, actor):
            entry.text, entry.actor = text, actor  # edited since: the current text counts
        how[ts] = inbound.note_how(message, reaction, readout.bot) or how.get(ts, "pin")
        if ts not in marked:
            marked.append(ts)
            ctx.slack(f"mark:{ts}", To.INCIDENT, "", react=ts, remember=False)
    state["notes"], state["marked"] = how, marked


def note_text(ctx: Context, readout: Readout, message: inbound.InMessage) -> str:
    """A note's text as plain words; a sensitive incident's stay in its private channel."""
    if ctx.record.sensitive:
        return SENSITIVE_TEXT
    return inbound.plain_text(message.text, readout.who)


def commands(ctx: Context, readout: Readout) -> None:
    """Carry out the commands this run claimed, in the order they were given."""
    state = ctx.record.slack_in
    done: list[str] = list(state.get("done") or [])
    by_ts = {m.ts: m for m in readout.messages}
    for ts in sorted(readout.claimed, key=inbound.ts_key):
        message = by_ts.get(ts)
        if message is None or ts in done:
            continue
        done.append(ts)  # before acting: a message is carried out at most once
        with ctx.at(message.at):
            carry_out(ctx, readout, message)
    state["done"] = done[-MAX_DONE:]


def carry_out(ctx: Context, readout: Readout, message: inbound.InMessage) -> None:
    rest = inbound.addressed(message, readout.bot) or ""
    login = readout.logins.get(message.user or "")
    if login is None:
        conflict = readout.conflicts.get(message.user or "")
        reason = (
            f"Two GitHub logins ({', '.join(conflict)}) map to your Slack account in "
            "`people` of .github/incident.yml; keep one."
            if conflict
            else inbound.unmapped_author(message.user or "?")
        )
        answer(ctx, message, wording.THREAD_REFUSED.format(reason=escape(reason)))
        return
    built = inbound.command_from(message, rest, lambda u: readout.logins.get(u))
    link = readout.permalinks.get(message.ts)
    word = (rest.split() or ["help"])[0].lower()[:30]
    result: Result
    if built.refusal is not None or built.body is None:
        result = Refused(built.refusal or "That is not a command.")
    else:
        parsed = parse_command(built.body)
        if parsed is None:
            result = Refused("That is not a command: `@incident-tool help` lists them.")
        elif isinstance(parsed, MalformedCommand):
            result = Refused(parsed.message.replace("`/", "`"))
        else:
            word = str(parsed.name)
            view = CommentView(
                id=slack_comment_id(message.ts),
                author=login,
                author_is_bot=False,
                body=built.body,
                created_at=message.at,
                updated_at=message.at,
                url=link or "",
                ref=link,
            )
            result = run_command(ctx, parsed, view)
            if parsed.name == CommandName.UPDATE:
                # The person's message is in the channel already: echoing the update
                # there would say it twice (the timeline still has it).
                echo = f"update:{view.id}"
                ctx.record.outbox = [m for m in ctx.record.outbox if m.key != echo]
            if isinstance(result, Refused):
                # A refusal (a typo, no permission) is the person's business: answered in
                # the thread only, not a comment on the issue.
                key = f"reply:{view.id}"
                ctx.plan[:] = [a for a in ctx.plan if not (isinstance(a, Comment) and a.key == key)]
            if parsed.name == CommandName.HELP and isinstance(result, Done):
                # The list belongs in the thread, not on the issue.
                key = f"reply:{view.id}"
                ctx.plan[:] = [a for a in ctx.plan if not (isinstance(a, Comment) and a.key == key)]
                answer(ctx, message, help_text())
                record(ctx, readout, message, login, word, link, result)
                return
    if isinstance(result, PartlyDone):
        # /invite of someone Slack cannot reach: its comment on the issue says what.
        answer(ctx, message, wording.THREAD_DONE_IN_PART.format(word=word))
    elif isinstance(result, Refused):
        answer(ctx, message, wording.THREAD_REFUSED.format(reason=escape(result.reason)))
        return  # in the thread only: the issue records what was done
    else:
        answer(ctx, message, wording.THREAD_DONE.format(word=word, login=escape(login)))
    record(ctx, readout, message, login, word, link, result)


def answer(ctx: Context, message: inbound.InMessage, text: str) -> None:
    """Answer in the message's thread."""
    thread = message.thread_ts or message.ts
    # Remembered: the outbox keeps it when a burst of commands fills it (trim_outbox drops
    # deliveries that are not remembered first); the message is in `done` anyway.
    ctx.slack(f"answer:{message.ts}", To.INCIDENT, text, thread_ts=thread)


def record(
    ctx: Context,
    readout: Readout,
    message: inbound.InMessage,
    login: str,
    word: str,
    link: str | None,
    result: Result,
) -> None:
    """Record a Slack command on the issue: who gave it, where, and what came of it."""
    key = f"slack-command:{message.ts}"
    quoted = ""
    if not ctx.record.sensitive:
        said = inbound.plain_text(message.text, readout.who)
        quoted = f"\n> {wording.user_text(said, inline=True)[:500]}"
    body = wording.SLACK_COMMAND.format(
        marker=wording.marker(key),
        who=wording.person(login),
        link=f" ([message]({link}))" if link and _safe_link(link) else "",
        word=word.replace("`", "'"),
        quoted=quoted,
        outcome=outcome(result),
    )
    ctx.do(Comment(key, body, remember=False))


def outcome(result: Result) -> str:
    """What came of a Slack command, for its record on the issue."""
    if isinstance(result, Refused):
        return f"🚫 Refused: {result.reason}"
    if isinstance(result, PartlyDone):
        # Not "Refused": part of it happened (the reply on the issue says which).
        return "⚠️ Done in part: " + "; ".join(result.not_done) + "."
    return "✔️ Done."


_PERMALINK = re.compile(r"https://[A-Za-z0-9.-]+/archives/[A-Z0-9]+/p[0-9]+(\?[\w=&.%-]*)?")


def _safe_link(link: str) -> bool:
    """Only a Slack permalink's shape is linked from the issue (no `javascript:`, no markup)."""
    return _PERMALINK.fullmatch(link) is not None


def slack_comment_id(ts: str) -> int:
    """A Slack message's stand-in comment id: unique per channel, never a GitHub id (16
    digits; GitHub's comment ids have 10)."""
    seconds, _, micros = ts.partition(".")
    return int(seconds) * 1_000_000 + int(micros.ljust(6, "0")[:6])


def help_text() -> str:
    words = " · ".join(f"`{spec.name}`" for spec in REGISTRY.specs)
    return wording.THREAD_HELP.format(words=words)
