"""What people say in Slack, read as the record needs it (docs/usage.md#slack-writes-back): pure, no
requests.

Slack messages arrive as the Web API's JSON (conversations.history / .replies, pins.list).
This module turns them into `InMessage`s and decides what each is: a Slack note (pinned,
or carrying `slack.timeline_reaction` from a person), a command for the tool
(`<@BOT> update …` in the incident channel, `<@BOT> report …` in the announce channel),
or just talk. Everything in a message is untrusted text: `plain_text` takes Slack's markup
apart into plain words (mentions become names, links their label and address, entities
unescaped), and the caller escapes that for wherever it goes (GitHub markdown via
`messages.user_text`, the retrospective as Jinja data, Slack via `slack.escape`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

NOTE_KIND = "slack-note"  # a timeline entry made from a Slack message
RECORDED = "bookmark_tabs"  # the tool's reaction on a message it keeps as a note
CLAIMED = "robot_face"  # the tool's reaction on a command or report it took (a claim)
# Messages people write: no subtype, or one that is still a person talking.
_PERSON_SUBTYPES = frozenset({None, "thread_broadcast", "me_message", "file_share"})
# Slack sends a literal `<` as `&lt;`, so none of its markup holds one: stopping each match
# at the next `<` keeps an unclosed `<a:<a:…` (or `<@U1|…`) linear, not one scan to the end
# per `<` (100,000 characters of `<a:` took 68 s).
_MENTION = re.compile(r"<@([UW][A-Z0-9]{2,})(?:\|[^<>]*)?>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]{2,})(?:\|([^<>]*))?>")
_SPECIAL = re.compile(r"<!([a-z_]+)(?:\^[^<>|]*)?(?:\|([^<>]*))?>")
_LINK = re.compile(r"<([a-z][a-z0-9+.-]*:[^<>|]*)(?:\|([^<>]*))?>", re.IGNORECASE)


@dataclass(frozen=True)
class InMessage:
    """One Slack message as the tool reads it."""

    channel: str
    ts: str
    user: str | None
    text: str
    bot: bool
    subtype: str | None = None
    edited: bool = False
    thread_ts: str | None = None  # set on replies (and on a thread's parent)
    reply_count: int = 0
    latest_reply: str | None = None
    reactions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    pinned: bool = False

    @property
    def is_reply(self) -> bool:
        return bool(self.thread_ts) and self.thread_ts != self.ts

    @property
    def by_person(self) -> bool:
        return not self.bot and bool(self.user) and self.subtype in _PERSON_SUBTYPES

    @property
    def at(self) -> datetime:
        return ts_time(self.ts)


def ts_time(ts: str) -> datetime:
    """A Slack ts ("1700000000.000100") as a UTC time, to the second."""
    return datetime.fromtimestamp(int(ts.partition(".")[0]), tz=timezone.utc)


def ts_key(ts: str | None) -> tuple[int, int]:
    """Order Slack timestamps exactly (floats lose the microseconds of a ts)."""
    seconds, _, micros = (ts or "0").partition(".")
    try:
        return int(seconds), int(micros.ljust(6, "0")[:6] or 0)
    except ValueError:
        return 0, 0


def newer(ts: str, than: str | None) -> bool:
    return than is None or ts_key(ts) > ts_key(than)


def from_api(raw: Mapping[str, Any], channel: str, *, pinned: bool = False) -> InMessage | None:
    """Read one message object; None for something that is not a message with a ts."""
    ts = raw.get("ts")
    if not isinstance(ts, str) or not re.fullmatch(r"[0-9]{1,12}\.[0-9]{1,6}", ts):
        return None
    reactions: dict[str, tuple[str, ...]] = {}
    for reaction in raw.get("reactions") or []:
        if isinstance(reaction, dict) and isinstance(reaction.get("name"), str):
            reactions[reaction["name"]] = tuple(str(u) for u in reaction.get("users") or [])
    subtype = raw.get("subtype") if isinstance(raw.get("subtype"), str) else None
    user = raw.get("user")
    pinned_to = raw.get("pinned_to")
    return InMessage(
        channel=channel,
        ts=ts,
        user=str(user) if user else None,
        text=str(raw.get("text") or ""),
        bot=bool(raw.get("bot_id")) or subtype == "bot_message",
        subtype=subtype,
        edited=bool(raw.get("edited")),
        thread_ts=str(raw["thread_ts"]) if raw.get("thread_ts") else None,
        reply_count=_int(raw.get("reply_count")),
        latest_reply=str(raw["latest_reply"]) if raw.get("latest_reply") else None,
        reactions=reactions,
        pinned=pinned or (isinstance(pinned_to, list) and channel in pinned_to),
    )


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def plain_text(text: str, name_of: Callable[[str], str]) -> str:
    """Turn Slack mrkdwn into plain words: `<@U1>` → its name, `<url|label>` → "label (url)",
    `<!here>` → "here", entities unescaped. The result is still untrusted text."""
    text = _MENTION.sub(lambda m: name_of(m.group(1)), text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _SPECIAL.sub(lambda m: m.group(2) or m.group(1), text)

    def link(m: re.Match[str]) -> str:
        url, label = m.group(1), m.group(2)
        return f"{label} ({url})" if label and label != url else url

    text = _LINK.sub(link, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mentions(text: str) -> list[str]:
    """The Slack user ids a message mentions, in order."""
    return list(dict.fromkeys(m.group(1) for m in _MENTION.finditer(text)))


def is_note(message: InMessage, reaction: str, bot_user: str | None) -> bool:
    """A Slack note: pinned, or carrying the timeline reaction from someone but the tool."""
    people = [u for u in message.reactions.get(reaction, ()) if u != bot_user]
    return message.pinned or bool(people)


def note_how(message: InMessage, reaction: str, bot_user: str | None) -> str:
    people = [u for u in message.reactions.get(reaction, ()) if u != bot_user]
    return "+".join(x for x, on in (("pin", message.pinned), ("reaction", bool(people))) if on)


def addressed(message: InMessage, bot_user: str | None) -> str | None:
    """The text after a leading `<@BOT>` mention, or None when the message is not one.

    Never a command: an edited message (only the text as posted counts, as on GitHub),
    a bot's message or a system message (joins, topics).
    """
    if not bot_user or not message.by_person or message.edited:
        return None
    match = re.match(rf"\s*<@{re.escape(bot_user)}(?:\|[^<>]*)?>[\s:,]*", message.text)
    if match is None:
        return None
    return message.text[match.end() :].strip()


@dataclass(frozen=True)
class SlackCommand:
    """A command given in Slack, ready for the comment handlers: `body` is "/word …"."""

    message: InMessage
    body: str | None  # None: refused before parsing (see `refusal`)
    refusal: str | None = None


def command_from(
    message: InMessage, rest: str, login_for: Callable[[str], str | None]
) -> SlackCommand:
    """Build the GitHub form of a Slack command: `<@U0JO>` mentions become `@jo`.

    A mention of someone `people` does not map cannot name a GitHub login: refused with
    the config key to set.
    """
    unmapped: list[str] = []

    def login(m: re.Match[str]) -> str:
        found = login_for(m.group(1))
        if found is None:
            unmapped.append(m.group(1))
            return m.group(0)
        return "@" + found

    text = _MENTION.sub(login, rest)
    if unmapped:
        who = ", ".join(dict.fromkeys(unmapped))
        return SlackCommand(
            message,
            None,
            f"{who} is not mapped to a GitHub login: set `people.<login>.slack: {unmapped[0]}` "
            "(or `people.<login>.email`) in .github/incident.yml.",
        )
    text = plain_text(text, lambda user: user)
    # The first word is the command ("Update" works: commands are case-insensitive).
    return SlackCommand(message, "/" + text.lstrip("/") if text else "/help")


def unmapped_author(user: str) -> str:
    return (
        f"Your Slack account ({user}) is not mapped to a GitHub login, so the tool cannot "
        f"act as you: add `people.<your login>.slack: {user}` (or `people.<your login>.email`) "
        "to .github/incident.yml."
    )


def report_summary(rest: str) -> str | None:
    """`report <summary>` in the announce channel: the summary, or None if it is not one."""
    match = re.match(r"report\b[\s:,-]*", rest, re.IGNORECASE)
    if match is None:
        return None
    return rest[match.end() :].strip()


@dataclass
class Readout:
    """What one run read from an incident channel."""

    channel: str
    bot: str
    messages: list[InMessage]  # the window's messages and the new thread replies
    pins: list[InMessage] | None  # None: not re-read this run (pin count unchanged)
    new: set[str]  # ts of messages no earlier run read
    window_from: str  # a reaction note older than this was not re-read: keep it as it is
    cursor: str | None
    threads: dict[str, str]
    members: list[str] | None  # user ids, when read this run
    logins: dict[str, str | None] = field(default_factory=dict)  # user id -> GitHub login
    names: dict[str, str] = field(default_factory=dict)  # user id -> Slack name
    conflicts: dict[str, list[str]] = field(default_factory=dict)  # user id -> logins
    claimed: list[str] = field(default_factory=list)  # commands this run carries out
    shown: dict[str, str] = field(default_factory=dict)  # cached logins, for display only
    permalinks: dict[str, str] = field(default_factory=dict)

    def who(self, user: str | None) -> str:
        """A person as the record names them: the GitHub login, else their Slack name."""
        if not user:
            return "someone"
        if user == self.bot:
            return "incident-tool"
        login = self.logins.get(user) or self.shown.get(user)
        if login:
            return login
        # A Slack name is marked so that it never reads (or links) as a GitHub login.
        return f"{self.names.get(user) or user} (Slack)"


# A report the tool opened from the announce channel says where it came from, who it maps
# to (a GitHub login, or empty) and which Slack account wrote it (the one counted against
# `limits.outsider_reports_per_day` when it is not on the team). Markers written before
# the Slack account was recorded have no `user=`.
REPORT_MARKER = "<!-- incident-tool:slack-report {channel}/{ts} reporter={reporter} user={user} -->"
_REPORT_MARKER_RE = re.compile(
    r"<!-- incident-tool:slack-report ([CG][A-Z0-9]+)/([0-9.]+) reporter=([A-Za-z0-9-]*)"
    r"(?: user=([A-Z0-9]*))? -->"
)


@dataclass(frozen=True)
class ReportMark:
    channel: str
    ts: str
    reporter: str | None  # the GitHub login the Slack account maps to
    user: str | None  # the Slack account


def report_mark(body: str | None) -> ReportMark | None:
    """Read a Slack report's marker from an issue body (believe it only on the tool's own)."""
    match = _REPORT_MARKER_RE.search(body or "")
    if match is None:
        return None
    channel, ts, reporter, user = match.groups()
    return ReportMark(channel, ts, reporter or None, user or None)
