"""Read the incident channel back, each run, from a cursor in the record
(docs/usage.md#slack-writes-back).

Effects only: what the messages mean is decided in `core/slack_notes.py`.

Cost, per incident and run (figures in bench/results.md):
- `conversations.history` from `min(cursor, now - LOOKBACK)`: newest first, one page of 200
  when nothing is new; more pages only while they still hold unread messages.
- `pins.list`: one call; pins are seen at any age.
- `conversations.replies` only for threads whose `latest_reply` moved since the last read.
- `conversations.members` the first time only: joins and leaves show in the history.
- a claim (`reactions.add`) and `chat.getPermalink` per command; `users.info` per unmapped
  author, once per incident.
So a run with nothing new makes two calls. Reactions added to (or taken off) a message
older than the look-back window are not seen until the retrospective reads the whole
channel; a bot cannot be told of them without an events server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from incident_tool.core.record import Record, iso, parse_time
from incident_tool.effects.parallel import each
from incident_tool.effects.slack import SlackError
from incident_tool.inbound import slack as inbound
from incident_tool.inbound.slack import Readout

if TYPE_CHECKING:
    from incident_tool.effects.mirror import Mirror, People
    from incident_tool.effects.slack import SlackRoom
    from incident_tool.effects.tools import Tools

LOOKBACK = timedelta(hours=2)  # how far back reactions on older messages are re-read
# pins.list (Tier 2: 20 a minute) only when history's `pin_count` changed, and at least
# this often (an edit of an old pinned message shows there only).
PINS_EVERY = timedelta(minutes=30)
MAX_NAMES = 100
_MEMBERSHIP = frozenset({"channel_join", "channel_leave", "group_join", "group_leave"})


def _ts(moment: datetime) -> str:
    return f"{int(moment.timestamp())}.000000"


def reverse(people: People, user: str) -> tuple[str | None, list[str]]:
    """The GitHub login `people` maps a Slack user to; every login when more than one does
    (a config error: two logins for one Slack user). Slack ids in the config are asked
    first; emails are looked up only when no id matched."""
    config = people.config
    found = [login for login, person in config.people.items() if person.slack == user]
    if not found:
        found = [
            login
            for login, person in config.people.items()
            if not person.slack and person.email and people.slack_id(login) == user
        ]
    return (found[0] if len(found) == 1 else None), found


EMAILS_FOR = timedelta(hours=24)  # an email looked up to a Slack id is kept this long


def _seed_emails(people: People, state: dict, now: datetime) -> None:
    """Take the Slack ids of people configured by email from the record: a run that reads
    new messages need not look everyone up again (kept a day: accounts rarely change)."""
    for email, (user, at) in (state.get("emails") or {}).items():
        when = parse_time(at)
        if when is None or now - when > EMAILS_FOR:
            continue
        for login, person in people.config.people.items():
            if person.email and person.email.strip().lower() == email and not person.slack:
                people.known(login, user)


def _keep_emails(people: People, state: dict, now: datetime) -> None:
    kept = {
        k: v
        for k, v in (state.get("emails") or {}).items()
        if (parse_time(v[1]) or now) > now - EMAILS_FOR
    }
    for login, person in people.config.people.items():
        if person.email and not person.slack:
            known, user = people.looked_up(login)
            key = person.email.strip().lower()
            if known and user and key not in kept:
                kept[key] = [user, iso(now)]
    state["emails"] = kept


def read_incident(tools: Tools, record: Record, now: datetime, claimed: set[str]) -> Readout | None:
    """Read what is new in the incident channel; None when there is nothing to read or
    Slack failed (the failure is a problem on the record; the cursor stays, so the next run
    reads it again: nothing lost, and the record's `done` list keeps it from doubling)."""
    mirror = tools.mirror
    room, people = mirror.room, tools.people
    mirror.read_failed = False  # one Mirror serves every incident of a sweep
    if room is None or not record.channel_id or record.state is None:
        return None
    if not record.state.is_active:
        return None
    declared = record.first("declared")
    start = parse_time(declared.at) if declared else None
    state = record.slack_in
    _seed_emails(people, state, now)
    try:
        out = _read_channel(room, record.channel_id, state, now, start)
    except SlackError as exc:
        mirror.problem(record, f"could not read the incident channel: {exc}")
        mirror.read_failed = True
        return None
    _name_people(out, people, room, record, out.members or [], claimed)
    _keep_emails(people, state, now)
    _claim_commands(out, room, record, start, claimed, mirror)
    return out


def _read_channel(
    room: SlackRoom, channel: str, state: dict, now: datetime, start: datetime | None
) -> Readout:
    """The channel's history since the window, the threads that moved, the pins when due
    and the members when they changed; updates `state`'s pin count. Raises SlackError."""
    cursor = state.get("cursor")
    oldest = _ts(read_from(now, cursor, start))
    # The reads that do not wait for one another, at once: the history, who the bot is
    # (the first time), the members (the first time) and the pins when due by time alone.
    asked: dict[str, Callable[[], Any]] = {
        "history": lambda: room.history_since(channel, oldest, seen=cursor)
    }
    if not state.get("bot"):
        asked["bot"] = room.auth_check
    if not isinstance(state.get("member_ids"), list):
        asked["members"] = lambda: room.member_ids(channel)
    if pins_due_by_time(state, now):
        asked["pins"] = lambda: room.pinned(channel)
    got = dict(zip(asked, each(lambda call: call(), list(asked.values())), strict=True))
    bot = state.get("bot") or got["bot"]
    room.remember_bot(bot)
    raw = got["history"]
    messages = [m for m in (inbound.from_api(r, channel) for r in raw) if m is not None]
    window_from = oldest
    if raw and len(raw) % 200 == 0:
        window_from = messages[-1].ts if messages else oldest  # stopped paging early
    new = {m.ts for m in messages if inbound.newer(m.ts, cursor)}
    threads = dict(state.get("threads") or {})
    replies = _read_threads(room, channel, messages, threads)
    new |= {r.ts for r in replies}
    newest = max((m.ts for m in messages if not m.is_reply), key=inbound.ts_key, default=None)
    return Readout(
        channel=channel,
        bot=bot,
        messages=[*messages, *replies],
        pins=_read_pins(room, channel, state, now, got.get("pins")),
        new=new,
        window_from=window_from,
        cursor=newest if newest and inbound.newer(newest, cursor) else cursor,
        threads=_trim(threads),
        members=_read_members(got.get("members"), state.get("member_ids"), messages, new, bot),
    )


def read_from(now: datetime, cursor: str | None, start: datetime | None) -> datetime:
    """Where the history is read from: the look-back window, or the cursor when it is
    older, but never before the incident was declared (one second before, inclusive)."""
    window = now - LOOKBACK
    if cursor is not None and inbound.ts_time(cursor) < window:
        window = inbound.ts_time(cursor)
    if start is not None and window < start:
        window = start - timedelta(seconds=1)
    return window


def _read_threads(
    room: SlackRoom, channel: str, messages: list[inbound.InMessage], threads: dict[str, str]
) -> list[inbound.InMessage]:
    """The new replies of the threads whose latest reply moved since `threads` (parent ts
    -> latest reply read), which is updated."""
    replies: list[inbound.InMessage] = []
    for parent in messages:
        if not (parent.reply_count and parent.latest_reply):
            continue
        before = threads.get(parent.ts)
        if not inbound.newer(parent.latest_reply, before):
            continue
        for r in room.replies(channel, parent.ts, before):
            reply = inbound.from_api(r, channel)
            if reply is not None and inbound.newer(reply.ts, before):
                replies.append(reply)
        threads[parent.ts] = parent.latest_reply
    return replies


def pins_due_by_time(state: dict, now: datetime) -> bool:
    """Pins never listed, or not for PINS_EVERY: due whatever the history says."""
    checked = parse_time(state.get("pins_at"))
    return checked is None or now - checked >= PINS_EVERY


def pins_due(count: int | None, state: dict, now: datetime) -> bool:
    """Pins are listed again when history's pin count is unknown or changed, or at least
    every PINS_EVERY (an edit of an old pinned message shows there only)."""
    return count is None or count != state.get("pin_count") or pins_due_by_time(state, now)


def _read_pins(
    room: SlackRoom, channel: str, state: dict, now: datetime, read: list[Any] | None
) -> list[inbound.InMessage] | None:
    """The pinned messages when they are due (None when not read this run); `read`: the
    pins already read beside the history."""
    count = room.pin_count
    if read is None and not pins_due(count, state, now):
        return None
    raw = read if read is not None else room.pinned(channel)
    pins = [m for m in (inbound.from_api(r, channel, pinned=True) for r in raw) if m is not None]
    state["pin_count"], state["pins_at"] = count, iso(now)
    return pins


def _read_members(
    asked: list[str] | None,
    ids: object,
    messages: list[inbound.InMessage],
    new: set[str],
    bot: str,
) -> list[str] | None:
    """The channel's members but the bot: asked the first time only (`asked`: no list
    kept yet), then followed in the history; None when nothing changed."""
    if asked is not None or not isinstance(ids, list):
        return [u for u in asked or [] if u != bot]
    return members_after(ids, messages, new, bot)


def members_after(
    ids: list[str], messages: list[inbound.InMessage], new: set[str], bot: str
) -> list[str] | None:
    """The members after the new joins and leaves in `messages`, in time order; None when
    there were none (joins and leaves show in the history: no need to ask again)."""
    changed = False
    members = list(ids)
    for m in sorted(messages, key=lambda m: inbound.ts_key(m.ts)):
        if m.ts not in new or m.subtype not in _MEMBERSHIP or not m.user or m.user == bot:
            continue
        changed = True
        if m.subtype.endswith("_join") and m.user not in members:
            members.append(m.user)
        elif m.subtype.endswith("_leave") and m.user in members:
            members.remove(m.user)
    return members if changed else None


def _trim(threads: dict[str, str], keep: int = 50) -> dict[str, str]:
    """The record keeps the latest threads only: it must stay small."""
    ordered = sorted(threads.items(), key=lambda kv: inbound.ts_key(kv[1]))
    return dict(ordered[-keep:])


@dataclass(frozen=True)
class Wanted:
    """Whom one run maps to logins: `fresh` authors of new messages, `mentioned` in
    commands to the tool, `members`, and `shown` authors of older notes (display only)."""

    fresh: set[str]
    mentioned: list[str]  # lists: the order people are asked for is the order read
    members: list[str]
    shown: set[str]

    def acts(self, user: str) -> bool:
        """Mapped afresh: a command acts as the login, never from a stale answer."""
        return user in self.fresh or user in self.members or user in self.mentioned

    def order(self) -> list[str]:
        return [*self.fresh, *self.members, *self.mentioned, *(self.shown - self.fresh)]


def wanted(out: Readout, members: Iterable[str], claimed: set[str]) -> Wanted:
    """Whom this run needs named (pure: from what was read)."""
    # New messages, and commands this process claimed before a re-read moved the cursor.
    live = {m.ts for m in out.messages if m.ts in out.new or f"{out.channel}:{m.ts}" in claimed}
    fresh = {m.user for m in out.messages if m.ts in live and m.by_person and m.user}
    # People mentioned in commands to the tool: `handover <@U0JO>` needs jo's login.
    mentioned = [
        user
        for m in out.messages
        if m.ts in live and inbound.addressed(m, out.bot) is not None
        for user in inbound.mentions(m.text)
    ]
    shown = {
        m.user for m in [*out.messages, *(out.pins or [])] if m.user and not m.bot and m.reactions
    }
    shown |= {m.user for m in out.pins or [] if m.user}
    return Wanted(fresh, mentioned, list(members), shown)


def _name_people(
    out: Readout,
    people: People,
    room: SlackRoom,
    record: Record,
    members: Iterable[str],
    claimed: set[str],
) -> None:
    """Map the people this run needs back to logins, or Slack names.

    Authors of new messages, members and people mentioned in commands are mapped afresh
    (a command acts as the login: never from a stale answer). The authors of older notes
    are only shown, so their names come from the record's cache: a run with nothing new
    asks nobody's email again.
    """
    state = record.slack_in
    names: dict[str, str] = dict(state.get("names") or {})  # user id -> Slack name
    shown: dict[str, str] = dict(state.get("logins") or {})  # user id -> login (display)
    who = wanted(out, members, claimed)
    by_id = {person.slack for person in people.config.people.values() if person.slack}
    if any(u not in by_id and u != out.bot for u in who.order()):
        # Someone not mapped by id: `reverse` asks each email, so ask them at once.
        by_email = [x for x, p in people.config.people.items() if p.email and not p.slack]
        each(people.slack_id, by_email)
    for user in who.order():
        if user in out.logins or user == out.bot:
            continue
        if not who.acts(user) and (user in names or user in shown):
            continue  # shown only: the cached name will do
        login, found = reverse(people, user)
        out.logins[user] = login
        if len(found) > 1:
            out.conflicts[user] = found
        if login is not None:
            shown[user] = login
            names.pop(user, None)
            continue
        shown.pop(user, None)
        if user not in names and (user in who.fresh or user in who.shown):
            names[user] = _slack_name(room, user)
    out.names, out.shown = names, shown
    state["names"] = dict(list(names.items())[-MAX_NAMES:])
    state["logins"] = dict(list(shown.items())[-MAX_NAMES:])


def _slack_name(room: SlackRoom, user: str) -> str:
    """The user's Slack name; their id when Slack has none or fails (display only)."""
    try:
        return room.user_name(user) or user
    except SlackError:
        return user


def _claim_commands(
    out: Readout,
    room: SlackRoom,
    record: Record,
    start: datetime | None,
    claimed: set[str],
    mirror: Mirror,
) -> None:
    """Claim each new command with the tool's reaction before carrying it out: of two runs
    reading the same message, only one gets it (Slack answers the other `already_reacted`)."""
    done = set(record.slack_in.get("done") or [])
    for message in sorted(out.messages, key=lambda m: inbound.ts_key(m.ts)):
        key = f"{out.channel}:{message.ts}"
        # Ours from before a re-read (StatusConflict) even when another run moved the
        # cursor past it: it skipped the message because this run had claimed it.
        if (message.ts not in out.new and key not in claimed) or message.ts in done:
            continue
        if inbound.addressed(message, out.bot) is None:
            continue
        if start is not None and message.at < start:
            continue  # said before the incident was declared: not a command
        try:
            if key not in claimed:
                if out.bot in message.reactions.get(inbound.CLAIMED, ()):
                    continue  # another run took it and will record it
                if not room.react(out.channel, message.ts, inbound.CLAIMED):
                    continue
                claimed.add(key)
            link = room.permalink(out.channel, message.ts)
        except SlackError as exc:
            # Unclaimed: the next run tries again; claimed but no link: it goes without.
            mirror.problem(record, f"could not take a command from Slack: {exc}")
            if key not in claimed:
                return
            link = None
        out.claimed.append(message.ts)
        if link:
            out.permalinks[message.ts] = link
