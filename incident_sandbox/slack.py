"""The Slack half of the sandbox: a workspace with people, channels, messages and DMs.

:class:`Slack` holds the state (``Sandbox.slack``) and answers Web API methods in Slack's
documented shapes: HTTP 200 with ``{"ok": true, ...}``, or ``{"ok": false, "error": ...}``.
Arguments are accepted form-encoded, as JSON, or in the query string, with the token in
``Authorization: Bearer`` (or a ``token`` argument), as slack-sdk sends them.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import secrets
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from incident_sandbox.openapi import SlackMethods, Undocumented
from incident_sandbox.wire import Request, Response

TEAM_ID = "T0SANDBOX"
TEAM_NAME = "Sandbox"
WORKSPACE_URL = "https://sandbox.slack.com/"
CHANNEL_NAME = re.compile(r"^[a-z0-9_-]+$")
MAX_NAME = 80
MAX_TOPIC = 250
MAX_TEXT = 40000
# Slack sets a member "away" after 10 minutes without activity ("auto away"; the
# presence documentation of users.getPresence: presence, auto_away, last_activity).
AUTO_AWAY = 600


class SandboxSlackError(Exception):
    """A Web API error: answered ``{"ok": false, "error": code}`` (plus extras)."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


@dataclass
class SlackUser:
    """A workspace member (or the bot user)."""

    id: str
    name: str
    real_name: str
    email: str | None = None
    presence: str = "active"  # "away": set away by hand; "active": auto (by activity)
    is_bot: bool = False
    dnd: bool = False
    deleted: bool = False
    tz: str = "Europe/London"
    # The profile status a person sets ("🌴 On holiday"); 0: it never expires.
    status_text: str = ""
    status_emoji: str = ""
    status_expiration: int = 0
    # Do not disturb: the scheduled window (start, end) and a snooze ("pause notifications").
    dnd_window: tuple[int, int] | None = None
    snooze_endtime: int = 0
    last_activity: float | None = None  # sandbox clock, epoch seconds


@dataclass
class Message:
    """A message in a conversation."""

    ts: str
    user: str
    text: str
    blocks: list[Any] | None = None
    attachments: list[Any] | None = None
    bot_id: str | None = None
    thread_ts: str | None = None
    subtype: str | None = None
    edited: dict[str, str] | None = None
    reactions: dict[str, list[str]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Channel:
    """A channel, private channel or IM."""

    id: str
    name: str
    created: int
    creator: str
    is_private: bool = False
    is_archived: bool = False
    is_im: bool = False
    im_user: str | None = None
    members: list[str] = field(default_factory=list)
    topic: dict[str, Any] = field(default_factory=dict)
    purpose: dict[str, Any] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    pins: list[str] = field(default_factory=list)
    pinned_by: dict[str, tuple[str, int]] = field(default_factory=dict)  # ts -> (user, when)
    ephemeral: list[dict[str, Any]] = field(default_factory=list)  # chat.postEphemeral


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes")


def _list(value: Any) -> list[Any] | None:
    """Blocks/attachments arrive as JSON text when form-encoded."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise SandboxSlackError("invalid_blocks") from None
    return value if isinstance(value, list) else None


# Block Kit limits, as Slack enforces them on chat.postMessage / chat.update (Slack's
# "Blocks" and "Composition objects" references; the same numbers as slack-sdk's
# models.blocks: SectionBlock.text_max_length 3000, fields_max_length 10, HeaderBlock
# 150, ContextBlock elements 10, ActionsBlock 25, block_id_max_length 255).
MAX_BLOCKS = 50  # in a message (100 in modals and Home tabs)
BLOCK_LIMITS: dict[str, dict[str, int]] = {
    "section": {"text": 3000, "fields": 10, "field": 2000},
    "header": {"text": 150},
    "context": {"elements": 10, "element": 3000},
    "actions": {"elements": 25},
}
KNOWN_BLOCKS = {"section", "header", "context", "actions", "divider", "image", "rich_text"}


def check_blocks(
    blocks: list[Any] | None,
    *,
    max_blocks: int = MAX_BLOCKS,
    known: set[str] = KNOWN_BLOCKS,
    pointer: str = "/blocks",
) -> None:
    """Refuse blocks Slack would refuse: ``invalid_blocks`` with where and why.

    Slack answers ``{"ok": false, "error": "invalid_blocks", "errors": ["must be less
    than 3001 characters [json-pointer:/blocks/1/text/text]"], "response_metadata":
    {"messages": ["[ERROR] ..."]}}``.
    """
    if blocks is None:
        return
    problems: list[str] = []
    if len(blocks) > max_blocks:
        problems.append(f"no more than {max_blocks} items allowed [json-pointer:{pointer}]")
    for i, block in enumerate(blocks[:max_blocks]):
        where = f"{pointer}/{i}"
        if not isinstance(block, dict) or block.get("type") not in known:
            problems.append(f"unsupported type [json-pointer:{where}/type]")
            continue
        if len(str(block.get("block_id", ""))) > 255:
            problems.append(f"must be less than 256 characters [json-pointer:{where}/block_id]")
        limits = BLOCK_LIMITS.get(block["type"], {})
        text = block.get("text")
        if "text" in limits:
            if block["type"] == "header" and text is None:
                problems.append(f"missing required field: text [json-pointer:{where}]")
            if isinstance(text, dict):
                problems += _text_problems(text, limits["text"], f"{where}/text")
        if block["type"] == "section":
            fields = block.get("fields")
            if text is None and not fields:
                problems.append(f"must provide text or fields [json-pointer:{where}]")
            if fields is not None:
                if len(fields) > limits["fields"]:
                    problems.append(
                        f"no more than {limits['fields']} items allowed "
                        f"[json-pointer:{where}/fields]"
                    )
                for j, item in enumerate(fields):
                    if isinstance(item, dict):
                        problems += _text_problems(item, limits["field"], f"{where}/fields/{j}")
        if "elements" in limits:
            elements = block.get("elements") or []
            if not elements:
                problems.append(f"must have at least 1 item [json-pointer:{where}/elements]")
            if len(elements) > limits["elements"]:
                problems.append(
                    f"no more than {limits['elements']} items allowed "
                    f"[json-pointer:{where}/elements]"
                )
            if "element" in limits:
                for j, item in enumerate(elements):
                    if isinstance(item, dict) and item.get("type") in ("mrkdwn", "plain_text"):
                        problems += _text_problems(item, limits["element"], f"{where}/elements/{j}")
        if (
            block["type"] == "header"
            and isinstance(text, dict)
            and text.get("type") != "plain_text"
        ):
            problems.append(f"must be a plain_text object [json-pointer:{where}/text]")
    if problems:
        raise SandboxSlackError(
            "invalid_blocks",
            errors=problems,
            response_metadata={"messages": [f"[ERROR] {p}" for p in problems]},
        )


def _text_problems(text: dict[str, Any], limit: int, where: str) -> list[str]:
    value = text.get("text")
    if not isinstance(value, str) or not value:
        return [f"must be more than 0 characters [json-pointer:{where}/text]"]
    if len(value) > limit:
        return [f"must be less than {limit + 1} characters [json-pointer:{where}/text]"]
    return []


def _cursor(prefix: str, value: str) -> str:
    return base64.b64encode(f"{prefix}:{value}".encode()).decode()


def _uncursor(prefix: str, cursor: str) -> str:
    try:
        text = base64.b64decode(cursor.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise SandboxSlackError("invalid_cursor") from None
    head, _, value = text.partition(":")
    if head != prefix or not value:
        raise SandboxSlackError("invalid_cursor")
    return value


# Web API rate limit tiers, per method and workspace, in calls per minute: "Tier 1: 1+ per
# minute, Tier 2: 20+, Tier 3: 50+, Tier 4: 100+", and each method's page names its tier
# (https://docs.slack.dev/apis/web-api/rate-limits). chat.postMessage is "special": about
# one message per second per channel, modelled as 60 a minute. Enforced only when a test
# turns `Slack.rate_limits` on (the default clock of most tests would make every run fall
# in one minute).
TIERS = {
    "conversations.history": 50,
    "conversations.replies": 50,
    "conversations.members": 100,
    "conversations.info": 50,
    "conversations.list": 20,
    "conversations.create": 20,
    "conversations.invite": 50,
    "conversations.join": 50,
    "conversations.setTopic": 20,
    "conversations.setPurpose": 20,
    "pins.list": 20,
    "pins.add": 20,
    "pins.remove": 20,
    "reactions.add": 50,
    "reactions.get": 50,
    "reactions.remove": 20,
    "chat.postMessage": 60,
    "chat.postEphemeral": 100,
    "chat.update": 50,
    "chat.getPermalink": 100,
    "users.info": 100,
    "users.lookupByEmail": 50,
    "users.getPresence": 50,
    "users.profile.get": 100,
    "dnd.info": 50,
    "auth.test": 100,
    "apps.connections.open": 1,  # Tier 1
    "views.open": 100,
    "views.update": 100,
    "views.publish": 100,
}


APP_ID = "A0SANDBOX"
# The app's event subscriptions by default (the app manifest's settings.event_subscriptions.
# bot_events names): what the incident channel shows of people.
DEFAULT_EVENTS = (
    "app_mention",
    "message.channels",
    "message.groups",
    "reaction_added",
    "reaction_removed",
    "pin_added",
    "pin_removed",
    "member_joined_channel",
)
# "trigger_id ... expires in 3 seconds" and is exchanged once
# (https://docs.slack.dev/interactivity/handling-user-interaction#modal_responses; views.open's
# errors expired_trigger_id, exchanged_trigger_id, invalid_trigger_id).
TRIGGER_TTL = 3.0
# A response_url may be used "up to 5 times within 30 minutes"
# (https://docs.slack.dev/interactivity/handling-user-interaction#message_responses).
RESPONSE_URL_USES = 5
RESPONSE_URL_TTL = 30 * 60
# The view object's limits (https://docs.slack.dev/reference/views): title, submit and close
# at most 24 characters, up to 100 blocks, private_metadata up to 3000 characters,
# callback_id and external_id up to 255.
VIEW_TEXT_MAX = 24
VIEW_BLOCKS_MAX = 100
PRIVATE_METADATA_MAX = 3000
VIEW_ID_MAX = 255
VIEW_BLOCKS = KNOWN_BLOCKS | {"input"}


class Envelopes(Protocol):
    """Where envelopes go: the sandbox's Socket Mode server (incident_sandbox.socket_mode)."""

    def send(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool = False,
        on_ack: Callable[[dict[str, Any] | None], None] | None = None,
        on_timeout: Callable[[], None] | None = None,
    ) -> Any: ...

    def new_url(self) -> str: ...

    @property
    def connections(self) -> int: ...


@dataclass
class Trigger:
    """A trigger_id given with an interaction: who it opens a view for, and when it was made."""

    user: str
    issued: float
    exchanged: bool = False


@dataclass
class ResponseUrl:
    """A response_url: where a reply to one command or action may be posted."""

    user: str
    channel: str
    issued: float
    message_ts: str | None = None  # the message clicked (replace_original/delete_original)
    uses: int = 0


@dataclass
class View:
    """A modal or Home tab as the sandbox holds it."""

    id: str
    user: str
    spec: dict[str, Any]
    hash: str
    root_view_id: str
    previous_view_id: str | None = None
    state_values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # response_action "errors"
    is_open: bool = True


class Slack:
    """State and person-level helpers of the sandboxed Slack workspace (``Sandbox.slack``)."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.lock = threading.RLock()
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self.base_url = "http://127.0.0.1/api/"
        self.users: dict[str, SlackUser] = {}
        self.channels_by_id: dict[str, Channel] = {}
        self._channel_ids = itertools.count(1)
        self._im_ids = itertools.count(1)
        self._last_us = 0
        self.bot_user_id = "U0SANDBOT"
        self.bot_id = "B0SANDBOT"
        self.bot_token = "xoxb-sandbox-" + base64.b32encode(b"incident-tool").decode().lower()
        self.users[self.bot_user_id] = SlackUser(
            self.bot_user_id, "incident-tool", "incident-tool", is_bot=True
        )
        self.rate_limits = False  # enforce TIERS (a switch for tests)
        # User tokens (xoxp-…): "a user token acts on behalf of the user who installed it"
        # (https://docs.slack.dev/authentication/tokens): calls made with one are that person's
        # (demo --serve prints them, to post, pin and react as a person).
        self.user_tokens: dict[str, str] = {}
        self._calls: dict[tuple[str, int], int] = {}
        self.calls: list[str] = []  # every method served, in order (for cost tests)
        self.calls_by_channel: list[tuple[str, str | None]] = []
        # Socket Mode (https://docs.slack.dev/apis/events-api/using-socket-mode): the app's
        # app-level token (xapp-…) opens connections; what people do reaches the app as
        # envelopes over them (set by Sandbox: the sandbox's SocketMode server).
        self.app_id = APP_ID
        self.app_token = "xapp-1-" + APP_ID + "-1-" + base64.b32encode(b"sandbox-app").decode()
        self.verification_token = "sandboxverificationtoken"
        self.socket: Envelopes | None = None
        self.subscribed_events: set[str] = set(DEFAULT_EVENTS)
        self._event_ids = itertools.count(1)
        self._view_ids = itertools.count(1)
        self._trigger_ids = itertools.count(1)
        self.triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.views: dict[str, View] = {}
        self.view_timeouts: list[str] = []  # view ids whose submission was not acknowledged
        self.commands_failed: list[dict[str, Any]] = []  # slash commands no app answered
        # Acknowledgement payloads Slack would refuse (a reply with bad blocks, an update to
        # an invalid view): the person sees an error, the app is told nothing.
        self.refused_replies: list[dict[str, Any]] = []

    def over_tier(self, method: str, channel: str | None = None) -> int | None:
        """Count a call; when it passes its tier this minute, the seconds to wait."""
        self.calls.append(method)
        self.calls_by_channel.append((method, channel))
        if not self.rate_limits:
            return None
        now = self._now()
        minute = int(now // 60)
        key = (method, minute)
        self._calls[key] = self._calls.get(key, 0) + 1
        if self._calls[key] > TIERS.get(method, 50):
            return max(1, 60 - int(now % 60))
        return None

    # ----------------------------------------------------------------- basics

    def _now(self) -> float:
        return self._clock().astimezone(timezone.utc).timestamp()

    def next_ts(self) -> str:
        """A unique, increasing message timestamp such as ``1700000000.000100``."""
        us = max(int(self._now() * 1_000_000), self._last_us + 1)
        self._last_us = us
        return f"{us // 1_000_000}.{us % 1_000_000:06d}"

    def _user(self, user_id: str) -> SlackUser:
        user = self.users.get(user_id)
        if user is None or user.deleted:
            raise SandboxSlackError("user_not_found")
        return user

    def _channel(self, channel_id: str | None) -> Channel:
        channel = self.channels_by_id.get(channel_id or "")
        if channel is None:
            raise SandboxSlackError("channel_not_found")
        return channel

    def _visible(self, channel_id: str | None, caller: str) -> Channel:
        """A channel the caller may see: private ones only for their members."""
        channel = self._channel(channel_id)
        if (channel.is_private or channel.is_im) and caller not in channel.members:
            raise SandboxSlackError("channel_not_found")
        return channel

    # ---------------------------------------------------------------- set-up

    def add_user(
        self,
        user_id: str,
        name: str,
        real_name: str | None = None,
        email: str | None = None,
        presence: str = "active",
        is_bot: bool = False,
        dnd: bool = False,
    ) -> str:
        """Add a workspace member; returns the id."""
        if presence not in ("active", "away"):
            raise ValueError(f"presence must be 'active' or 'away', not {presence!r}")
        with self.lock:
            if user_id in self.users:
                raise ValueError(f"Slack user {user_id!r} already exists")
            self.users[user_id] = SlackUser(
                user_id, name, real_name or name, email, presence, is_bot, dnd
            )
            self.users[user_id].last_activity = self._now()
            return user_id

    def user_token(self, user_id: str) -> str:
        """A person's user token (``xoxp-…``), made on first asking."""
        with self.lock:
            self._user(user_id)
            for token, user in self.user_tokens.items():
                if user == user_id:
                    return token
            token = "xoxp-sandbox-" + base64.b32encode(user_id.encode()).decode().lower().strip("=")
            self.user_tokens[token] = user_id
            return token

    def set_presence(self, user_id: str, presence: str) -> None:
        """Set a member's presence (``active`` or ``away``); ``active`` counts as activity."""
        if presence not in ("active", "away"):
            raise ValueError(f"presence must be 'active' or 'away', not {presence!r}")
        with self.lock:
            user = self._user(user_id)
            user.presence = presence
            if presence == "active":
                user.last_activity = self._now()

    def touch(self, user_id: str) -> None:
        """The person uses Slack (reads, types, clicks): their presence is active again."""
        with self.lock:
            self._user(user_id).last_activity = self._now()

    def presence_of(self, user: SlackUser) -> tuple[str, bool]:
        """(presence, auto_away): away by hand, or after AUTO_AWAY idle seconds."""
        if user.presence == "away":
            return "away", False
        idle = self._now() - (user.last_activity or 0.0)
        if idle >= AUTO_AWAY:
            return "away", True
        return "active", False

    def set_status(self, user_id: str, text: str = "", emoji: str = "", expires: int = 0) -> None:
        """A person sets their profile status (``expires``: a Unix time; 0: never).

        As users.profile.set does: an emoji is kept as ``:name:``.
        """
        if emoji and not emoji.startswith(":"):
            emoji = f":{emoji.strip(':')}:"
        with self.lock:
            user = self._user(user_id)
            user.status_text, user.status_emoji, user.status_expiration = text, emoji, expires

    def set_dnd(self, user_id: str, start: int, end: int) -> None:
        """A person's scheduled do-not-disturb window, from ``start`` to ``end`` (Unix times)."""
        with self.lock:
            user = self._user(user_id)
            user.dnd, user.dnd_window = True, (start, end)

    def snooze(self, user_id: str, minutes: int) -> None:
        """A person pauses notifications for ``minutes`` (dnd.setSnooze, done in their app)."""
        with self.lock:
            self._user(user_id).snooze_endtime = int(self._now()) + minutes * 60

    def react_as_user(self, channel_id: str, ts: str, user_id: str, name: str) -> None:
        """A person adds a reaction (``white_check_mark``) to a message."""
        with self.lock:
            self._user(user_id)
            message = self._message(self._channel_or_key(channel_id), ts)
            users = message.reactions.setdefault(name.strip(":"), [])
            if user_id not in users:
                users.append(user_id)
                self._emit_reaction("reaction_added", channel_id, message, user_id, name)

    def unreact_as_user(self, channel_id: str, ts: str, user_id: str, name: str) -> None:
        """A person takes a reaction back."""
        with self.lock:
            message = self._message(self._channel_or_key(channel_id), ts)
            users = message.reactions.get(name.strip(":"), [])
            if user_id in users:
                users.remove(user_id)
                self._emit_reaction("reaction_removed", channel_id, message, user_id, name)
            if not users:
                message.reactions.pop(name.strip(":"), None)

    def add_channel(
        self,
        name: str,
        is_private: bool = False,
        is_archived: bool = False,
        members: list[str] | tuple[str, ...] = (),
        *,
        bot_member: bool = True,
    ) -> str:
        """Create a channel (made by a person; the bot is a member unless ``bot_member=False``)."""
        with self.lock:
            if any(c.name == name for c in self.channels_by_id.values() if not c.is_im):
                raise ValueError(f"channel #{name} already exists")
            people = [m for m in members if m != self.bot_user_id]
            creator = people[0] if people else self.bot_user_id
            channel = self._new_channel(name, is_private, creator)
            for member in people + ([self.bot_user_id] if bot_member else []):
                self._user(member)
                self._join(channel, member)
            channel.is_archived = is_archived
            return channel.id

    def archive_channel(self, channel_id: str) -> None:
        """Archive a channel (as a person would)."""
        with self.lock:
            self._channel(channel_id).is_archived = True

    def post_as_user(
        self,
        channel_id: str,
        user_id: str,
        text: str,
        *,
        thread_ts: str | None = None,
        broadcast: bool = False,
    ) -> str:
        """A person says something in a channel (or in a thread of it); returns the ``ts``."""
        with self.lock:
            channel = self._channel(channel_id)
            self._user(user_id)
            if channel.is_archived:
                raise ValueError(f"#{channel.name} is archived")
            if thread_ts is not None:
                self._message(channel, thread_ts)
            subtype = "thread_broadcast" if thread_ts and broadcast else None
            message = Message(self.next_ts(), user_id, text, thread_ts=thread_ts, subtype=subtype)
            channel.messages.append(message)
            self._user(user_id).last_activity = self._now()
            self._emit_message(channel, message)
            return message.ts

    def post_as_other_bot(self, channel_id: str, text: str, bot_id: str = "B0OTHER01") -> str:
        """Another app posts (a bot message: ``subtype: bot_message`` and a ``bot_id``)."""
        with self.lock:
            channel = self._channel(channel_id)
            message = Message(self.next_ts(), "", text, bot_id=bot_id, subtype="bot_message")
            message.extra["username"] = "other-app"
            channel.messages.append(message)
            return message.ts

    def edit_as_user(self, channel_id: str, ts: str, user_id: str, text: str) -> None:
        """A person edits their message: Slack keeps the ts and adds ``edited``."""
        with self.lock:
            message = self._message(self._channel_or_key(channel_id), ts)
            if message.user != user_id:
                raise ValueError("people edit only their own messages")
            message.text = text
            message.edited = {"user": user_id, "ts": self.next_ts()}

    def delete_as_user(self, channel_id: str, ts: str) -> None:
        """A person deletes a message (gone from history, pins and threads)."""
        with self.lock:
            channel = self._channel_or_key(channel_id)
            channel.messages = [m for m in channel.messages if m.ts != ts]
            if ts in channel.pins:
                channel.pins.remove(ts)

    def pin_as_user(self, channel_id: str, ts: str, user_id: str) -> None:
        """A person pins a message."""
        with self.lock:
            channel = self._channel_or_key(channel_id)
            self._user(user_id)
            self._message(channel, ts)
            if ts not in channel.pins:
                channel.pins.append(ts)
                channel.pinned_by[ts] = (user_id, int(self._now()))
                self._emit_pin("pin_added", channel, ts, user_id)

    def unpin_as_user(self, channel_id: str, ts: str, user_id: str | None = None) -> None:
        """A person (by default whoever pinned it) un-pins a message."""
        with self.lock:
            channel = self._channel_or_key(channel_id)
            if ts in channel.pins:
                by = user_id or channel.pinned_by.get(ts, (self.bot_user_id, 0))[0]
                self._emit_pin("pin_removed", channel, ts, by)
                channel.pins.remove(ts)
                channel.pinned_by.pop(ts, None)

    def replies_of(self, channel_id: str, ts: str) -> list[dict[str, Any]]:
        """The replies in a message's thread, oldest first (for tests)."""
        with self.lock:
            channel = self._channel_or_key(channel_id)
            return [
                self.message_json(m, channel)
                for m in channel.messages
                if m.thread_ts == ts and m.ts != ts
            ]

    # ------------------------------------------------------ state accessors

    def channels(self) -> list[dict[str, Any]]:
        """Every channel (not IMs) as conversation objects, in creation order."""
        with self.lock:
            return [
                self.conversation_json(c, self.bot_user_id)
                for c in self.channels_by_id.values()
                if not c.is_im
            ]

    def channel_by_name(self, name: str) -> dict[str, Any] | None:
        """The channel with this name (``#`` optional), or None."""
        name = name.lstrip("#")
        with self.lock:
            for channel in self.channels_by_id.values():
                if not channel.is_im and channel.name == name:
                    return self.conversation_json(channel, self.bot_user_id)
        return None

    def messages(self, channel_id: str, include_system: bool = False) -> list[dict[str, Any]]:
        """Messages of a channel, oldest first; join/topic notices only if asked."""
        with self.lock:
            channel = self._channel_or_key(channel_id)
            return [
                self.message_json(m, channel)
                for m in channel.messages
                if include_system or m.subtype is None
            ]

    def members(self, channel_id: str) -> list[str]:
        """Member ids of a channel."""
        with self.lock:
            return list(self._channel_or_key(channel_id).members)

    def dms(self, user_id: str) -> list[dict[str, Any]]:
        """Direct messages the bot sent to (or received from) a person, oldest first."""
        with self.lock:
            for channel in self.channels_by_id.values():
                if channel.is_im and channel.im_user == user_id:
                    return [self.message_json(m) for m in channel.messages]
        return []

    def pins(self, channel_id: str) -> list[str]:
        """Timestamps of the pinned messages of a channel."""
        with self.lock:
            return list(self._channel_or_key(channel_id).pins)

    def _channel_or_key(self, channel_id: str) -> Channel:
        channel = self.channels_by_id.get(channel_id)
        if channel is None:
            raise KeyError(f"sandbox Slack has no channel {channel_id!r}")
        return channel

    # ----------------------------------------------------------------- JSON

    def conversation_json(self, channel: Channel, caller: str) -> dict[str, Any]:
        """A conversation object as conversations.info/list/create return it."""
        if channel.is_im:
            return {
                "id": channel.id,
                "created": channel.created,
                "is_im": True,
                "is_org_shared": False,
                "user": channel.im_user,
                "is_user_deleted": False,
                "priority": 0,
            }
        return {
            "id": channel.id,
            "name": channel.name,
            "is_channel": True,
            "is_group": False,
            "is_im": False,
            "is_mpim": False,
            "is_private": channel.is_private,
            "created": channel.created,
            "is_archived": channel.is_archived,
            "is_general": False,
            "unlinked": 0,
            "name_normalized": channel.name,
            "is_shared": False,
            "is_org_shared": False,
            "is_pending_ext_shared": False,
            "pending_shared": [],
            "context_team_id": TEAM_ID,
            "parent_conversation": None,
            "creator": channel.creator,
            "is_ext_shared": False,
            "shared_team_ids": [TEAM_ID],
            "pending_connected_team_ids": [],
            "is_member": caller in channel.members,
            "topic": dict(channel.topic),
            "purpose": dict(channel.purpose),
            "previous_names": [],
            "num_members": len(channel.members),
        }

    def message_json(self, message: Message, channel: Channel | None = None) -> dict[str, Any]:
        """A message object as conversations.history returns it; given its channel, a
        thread's parent has ``reply_count``/``latest_reply`` and a pinned one ``pinned_to``
        (https://docs.slack.dev/messaging/retrieving-messages, "threaded messages")."""
        out: dict[str, Any] = {"type": "message"}
        if message.subtype:
            out["subtype"] = message.subtype
        out.update({"ts": message.ts, "user": message.user, "text": message.text})
        if message.bot_id:
            out["bot_id"] = message.bot_id
            out["app_id"] = "A0SANDBOX"
        out["team"] = TEAM_ID
        if message.blocks is not None:
            out["blocks"] = message.blocks
        if message.attachments is not None:
            out["attachments"] = message.attachments
        if message.thread_ts:
            out["thread_ts"] = message.thread_ts
        if message.edited:
            out["edited"] = dict(message.edited)
        if message.reactions:
            out["reactions"] = [
                {"name": name, "users": list(users), "count": len(users)}
                for name, users in message.reactions.items()
            ]
        if channel is not None:
            replies = [
                m for m in channel.messages if m.thread_ts == message.ts and m.ts != message.ts
            ]
            if replies:
                out["thread_ts"] = message.ts
                out["reply_count"] = len(replies)
                out["reply_users"] = list(dict.fromkeys(m.user for m in replies if m.user))
                out["reply_users_count"] = len(out["reply_users"])
                out["latest_reply"] = max((m.ts for m in replies), key=float)
            if message.ts in channel.pins:
                out["pinned_to"] = [channel.id]
        out.update(message.extra)
        return out

    def user_json(self, user: SlackUser) -> dict[str, Any]:
        """A user object as users.info / users.lookupByEmail return it."""
        return {
            "id": user.id,
            "team_id": TEAM_ID,
            "name": user.name,
            "deleted": user.deleted,
            "color": "9f69e7",
            "real_name": user.real_name,
            "tz": user.tz,
            "tz_label": "Greenwich Mean Time",
            "tz_offset": 0,
            "profile": self.profile_json(user),
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "updated": 1700000000,
        }

    def profile_json(self, user: SlackUser) -> dict[str, Any]:
        """A profile object as users.profile.get returns it."""
        profile: dict[str, Any] = {
            "title": "",
            "phone": "",
            "skype": "",
            "real_name": user.real_name,
            "real_name_normalized": user.real_name,
            "display_name": user.name,
            "display_name_normalized": user.name,
            "fields": None,
            **self._status(user),
            "avatar_hash": "g000000000",
            "first_name": user.real_name.split(" ")[0],
            "last_name": " ".join(user.real_name.split(" ")[1:]),
            "team": TEAM_ID,
        }
        if user.email:
            profile["email"] = user.email
        if user.is_bot:
            profile["bot_id"] = self.bot_id
        return profile

    def _status(self, user: SlackUser) -> dict[str, Any]:
        """The profile's status fields. Slack clears a status when its expiration passes
        ("status_expiration: … the status will be cleared at this time", users.profile.set,
        https://docs.slack.dev/reference/methods/users.profile.set), so an expired one reads
        as no status at all."""
        expires = user.status_expiration
        if expires and expires <= self._now():
            user.status_text, user.status_emoji, user.status_expiration = "", "", 0
        return {
            "status_text": user.status_text,
            "status_emoji": user.status_emoji,
            "status_expiration": user.status_expiration,
        }

    # ------------------------------------------------------------ internals

    def _new_channel(self, name: str, is_private: bool, creator: str) -> Channel:
        n = next(self._channel_ids)
        channel = Channel(
            id=f"C0SB{n:05d}",
            name=name,
            created=int(self._now()),
            creator=creator,
            is_private=is_private,
            topic={"value": "", "creator": "", "last_set": 0},
            purpose={"value": "", "creator": "", "last_set": 0},
        )
        self.channels_by_id[channel.id] = channel
        return channel

    def _join(self, channel: Channel, user_id: str, inviter: str | None = None) -> None:
        if user_id in channel.members:
            return
        channel.members.append(user_id)
        text = f"<@{user_id}> has joined the channel"
        extra = {"inviter": inviter} if inviter else {}
        channel.messages.append(
            Message(self.next_ts(), user_id, text, subtype="channel_join", extra=extra)
        )
        if not channel.is_im:
            event = {
                "type": "member_joined_channel",
                "user": user_id,
                "channel": channel.id,
                "channel_type": "G" if channel.is_private else "C",
                "team": TEAM_ID,
                **extra,
            }
            self._emit_event("member_joined_channel", event)

    def _im_with(self, user_id: str) -> Channel:
        for channel in self.channels_by_id.values():
            if channel.is_im and channel.im_user == user_id:
                return channel
        n = next(self._im_ids)
        channel = Channel(
            id=f"D0SB{n:05d}",
            name=user_id,
            created=int(self._now()),
            creator=self.bot_user_id,
            is_im=True,
            im_user=user_id,
            members=[self.bot_user_id, user_id],
        )
        self.channels_by_id[channel.id] = channel
        return channel

    def _target(self, ref: str | None, caller: str) -> Channel:
        """Resolve chat.postMessage's ``channel``: an id, a ``#name`` or a user id (DM)."""
        if not ref:
            raise SandboxSlackError("channel_not_found")
        if ref in self.channels_by_id:
            return self._visible(ref, caller)
        if ref.startswith(("U", "W")) and ref in self.users:
            self._user(ref)
            return self._im_with(ref)
        name = ref.lstrip("#")
        for channel in self.channels_by_id.values():
            if not channel.is_im and channel.name == name:
                return self._visible(channel.id, caller)
        raise SandboxSlackError("channel_not_found")

    def _message(self, channel: Channel, ts: str | None) -> Message:
        if not ts:
            raise SandboxSlackError("message_not_found")
        for message in channel.messages:
            if message.ts == ts:
                return message
        raise SandboxSlackError("message_not_found")

    # ------------------------------------------------------ Socket Mode: events

    def _emit_event(self, subscription: str, event: dict[str, Any]) -> None:
        """Deliver an Events API event to the app, if it subscribed and has a connection.

        The envelope's payload is the event wrapper of the Events API ("event_callback",
        tests/reference/slack-events-api-asyncapi.json's GenericEventWrapper)."""
        if self.socket is None or subscription not in self.subscribed_events:
            return
        if self.socket.connections == 0:
            return  # no app connected: Slack has nowhere to send it
        now = self._now()
        event.setdefault("event_ts", self.next_ts())
        wrapper = {
            "token": self.verification_token,
            "team_id": TEAM_ID,
            "context_team_id": TEAM_ID,
            "api_app_id": self.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev0SB{next(self._event_ids):07d}",
            "event_time": int(now),
            "authed_users": [self.bot_user_id],
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": TEAM_ID,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        self.socket.send("events_api", wrapper)

    def _emit_message(self, channel: Channel, message: Message) -> None:
        """``message`` (message.channels / message.groups) and, when it names the bot,
        ``app_mention`` (https://docs.slack.dev/reference/events/app_mention)."""
        if channel.is_im:
            return
        base: dict[str, Any] = {
            "user": message.user,
            "text": message.text,
            "ts": message.ts,
            "channel": channel.id,
            "team": TEAM_ID,
            "event_ts": message.ts,
        }
        if message.thread_ts:
            base["thread_ts"] = message.thread_ts
        if message.subtype:
            base["subtype"] = message.subtype
        kind = "message.groups" if channel.is_private else "message.channels"
        channel_type = "group" if channel.is_private else "channel"
        self._emit_event(kind, {"type": "message", **base, "channel_type": channel_type})
        if f"<@{self.bot_user_id}>" in message.text:
            self._emit_event("app_mention", {"type": "app_mention", **base})

    def _emit_reaction(
        self, kind: str, channel_id: str, message: Message, user_id: str, name: str
    ) -> None:
        """reaction_added / reaction_removed (https://docs.slack.dev/reference/events/reaction_added)."""
        channel = self._channel_or_key(channel_id)
        event = {
            "type": kind,
            "user": user_id,
            "reaction": name.strip(":"),
            "item_user": message.user,
            "item": {"type": "message", "channel": channel.id, "ts": message.ts},
        }
        self._emit_event(kind, event)

    def _emit_pin(self, kind: str, channel: Channel, ts: str, user_id: str) -> None:
        """pin_added / pin_removed (https://docs.slack.dev/reference/events/pin_added)."""
        message = self._message(channel, ts)
        item = {
            "type": "message",
            "channel": channel.id,
            "created": int(self._now()),
            "created_by": user_id,
            "message": self.message_json(message, channel),
        }
        event: dict[str, Any] = {
            "type": kind,
            "user": user_id,
            "channel_id": channel.id,
            "item": item,
        }
        if kind == "pin_removed":
            event["has_pins"] = len(channel.pins) > 1
        self._emit_event(kind, event)

    # ------------------------------------------ Socket Mode: people interact

    def _issue_trigger(self, user_id: str) -> str:
        trigger_id = f"{int(self._now())}.{next(self._trigger_ids)}.{secrets.token_hex(8)}"
        self.triggers[trigger_id] = Trigger(user_id, self._now())
        return trigger_id

    def _issue_response_url(
        self, user_id: str, channel_id: str, message_ts: str | None = None
    ) -> str:
        token = secrets.token_urlsafe(12)
        self.response_urls[token] = ResponseUrl(user_id, channel_id, self._now(), message_ts)
        root = self.base_url.removesuffix("api/")
        return f"{root}hooks/response/{TEAM_ID}/{token}"

    def _person(self, user_id: str) -> dict[str, Any]:
        user = self._user(user_id)
        return {"id": user.id, "username": user.name, "name": user.name, "team_id": TEAM_ID}

    def _team(self) -> dict[str, Any]:
        return {"id": TEAM_ID, "domain": "sandbox"}

    def _need_socket(self) -> Envelopes:
        if self.socket is None:
            raise ValueError("this sandbox has no Socket Mode server")
        return self.socket

    def slash_command(
        self, user_id: str, channel_id: str, command: str, text: str = ""
    ) -> dict[str, Any]:
        """A person runs a slash command; the app gets a ``slash_commands`` envelope.

        The payload is Slack's (https://docs.slack.dev/interactivity/implementing-slash-
        commands#app_command_handling): command, text, user_id, channel_id, trigger_id,
        response_url... An acknowledgement's payload is the reply, shown to that person
        only unless ``"response_type": "in_channel"``. With no acknowledgement in 3 s the
        person sees the command fail (recorded in ``commands_failed``). Returns the payload.
        """
        socket_mode = self._need_socket()
        with self.lock:
            channel = self._channel(channel_id)
            user = self._user(user_id)
            user.last_activity = self._now()
            payload = {
                "token": self.verification_token,
                "team_id": TEAM_ID,
                "team_domain": "sandbox",
                "channel_id": channel.id,
                "channel_name": channel.name,
                "user_id": user.id,
                "user_name": user.name,
                "command": command,
                "text": text,
                "api_app_id": self.app_id,
                "is_enterprise_install": "false",
                "response_url": self._issue_response_url(user.id, channel.id),
                "trigger_id": self._issue_trigger(user.id),
            }

        def answered(reply: dict[str, Any] | None) -> None:
            if reply:
                with self.lock:
                    try:
                        self._reply(ResponseUrl(user_id, channel_id, self._now()), reply)
                    except SandboxSlackError as exc:
                        self.refused_replies.append(
                            {"reply": reply, "error": exc.code, **exc.extra}
                        )

        def failed() -> None:
            with self.lock:
                self.commands_failed.append(payload)

        socket_mode.send(
            "slash_commands",
            payload,
            accepts_response_payload=True,
            on_ack=answered,
            on_timeout=failed,
        )
        return payload

    def click(
        self, user_id: str, channel_id: str, message_ts: str, action_id: str, value: str = ""
    ) -> dict[str, Any]:
        """A person clicks a button of a message; the app gets a ``block_actions`` envelope
        (https://docs.slack.dev/reference/interaction-payloads/block_actions-payload).
        The button must be in the message's blocks. Returns the payload."""
        socket_mode = self._need_socket()
        with self.lock:
            channel = self._channel(channel_id)
            if user_id not in channel.members and (channel.is_private or channel.is_im):
                raise ValueError(f"{user_id} cannot see {channel_id}")
            message = self._message(channel, message_ts)
            block_id, element = _find_action(message.blocks or [], action_id)
            self._user(user_id).last_activity = self._now()
            action = {
                "type": element.get("type", "button"),
                "action_id": action_id,
                "block_id": block_id,
                "text": element.get("text"),
                "value": value or element.get("value", ""),
                "action_ts": self.next_ts(),
            }
            payload: dict[str, Any] = {
                "type": "block_actions",
                "user": self._person(user_id),
                "api_app_id": self.app_id,
                "token": self.verification_token,
                "container": {
                    "type": "message",
                    "message_ts": message.ts,
                    "channel_id": channel.id,
                    "is_ephemeral": False,
                },
                "trigger_id": self._issue_trigger(user_id),
                "team": self._team(),
                "enterprise": None,
                "is_enterprise_install": False,
                "channel": {"id": channel.id, "name": channel.name},
                "message": self.message_json(message),
                "state": {"values": {}},
                "response_url": self._issue_response_url(user_id, channel.id, message.ts),
                "actions": [action],
            }
        socket_mode.send("interactive", payload)
        return payload

    def submit_view(
        self, user_id: str, view_id: str, values: dict[str, dict[str, Any]]
    ) -> dict[str, Any]:
        """A person submits a modal; the app gets a ``view_submission`` envelope.

        ``values`` is ``view.state.values``: ``{block_id: {action_id: {"type": ...,
        "value": ...}}}``, each block an input block of the view. The acknowledgement's
        ``response_action`` does as Slack's (https://docs.slack.dev/surfaces/modals#
        updating_response): ``errors`` keeps the view open with the errors shown (here
        recorded on it), ``update`` replaces it, ``push`` stacks a new one, ``clear``
        closes them all; a bare acknowledgement closes it. Returns the payload.
        """
        socket_mode = self._need_socket()
        with self.lock:
            view = self._open_view(view_id, user_id)
            inputs = {b.get("block_id") for b in view.spec.get("blocks", []) if _is_input(b)}
            unknown = sorted(set(values) - inputs)
            if unknown:
                raise ValueError(f"no input block {unknown} in view {view_id}")
            view.state_values = values
            view.errors = {}
            payload = {
                "type": "view_submission",
                "team": self._team(),
                "user": self._person(user_id),
                "api_app_id": self.app_id,
                "token": self.verification_token,
                "trigger_id": self._issue_trigger(user_id),
                "view": self.view_json(view),
                "response_urls": [],
                "is_enterprise_install": False,
                "enterprise": None,
            }

        def answered(reply: dict[str, Any] | None) -> None:
            with self.lock:
                try:
                    self._view_response(view, reply or {})
                except SandboxSlackError as exc:
                    self.refused_replies.append({"reply": reply, "error": exc.code, **exc.extra})

        def failed() -> None:
            with self.lock:
                self.view_timeouts.append(view.id)

        socket_mode.send(
            "interactive",
            payload,
            accepts_response_payload=True,
            on_ack=answered,
            on_timeout=failed,
        )
        return payload

    def _open_view(self, view_id: str, user_id: str) -> View:
        view = self.views.get(view_id)
        if view is None or not view.is_open or view.user != user_id:
            raise ValueError(f"{user_id} has no open view {view_id}")
        return view

    def _view_response(self, view: View, reply: dict[str, Any]) -> None:
        action = reply.get("response_action")
        if action == "errors":
            view.errors = {str(k): str(v) for k, v in (reply.get("errors") or {}).items()}
        elif action == "update":
            spec = _view_spec(reply.get("view"))
            check_view(spec, "modal")
            view.spec, view.hash = spec, self._view_hash()
        elif action == "push":
            spec = _view_spec(reply.get("view"))
            check_view(spec, "modal")
            self._new_view(view.user, spec, root=view.root_view_id, previous=view.id)
        elif action == "clear":
            for each in self.views.values():
                if each.root_view_id == view.root_view_id:
                    each.is_open = False
        else:
            view.is_open = False

    def _view_hash(self) -> str:
        return f"{int(self._now())}.{secrets.token_hex(4)}"

    def _new_view(
        self,
        user_id: str,
        spec: dict[str, Any],
        root: str | None = None,
        previous: str | None = None,
    ) -> View:
        view_id = f"V0SB{next(self._view_ids):05d}"
        view = View(view_id, user_id, spec, self._view_hash(), root or view_id, previous)
        self.views[view_id] = view
        return view

    def view_json(self, view: View) -> dict[str, Any]:
        """A view object as views.open/update and view_submission carry it."""
        spec = view.spec
        return {
            "id": view.id,
            "team_id": TEAM_ID,
            "type": spec.get("type"),
            "title": spec.get("title"),
            "submit": spec.get("submit"),
            "close": spec.get("close"),
            "blocks": spec.get("blocks", []),
            "private_metadata": spec.get("private_metadata", ""),
            "callback_id": spec.get("callback_id", ""),
            "external_id": spec.get("external_id", ""),
            "state": {"values": view.state_values},
            "hash": view.hash,
            "clear_on_close": bool(spec.get("clear_on_close", False)),
            "notify_on_close": bool(spec.get("notify_on_close", False)),
            "root_view_id": view.root_view_id,
            "previous_view_id": view.previous_view_id,
            "app_id": self.app_id,
            "bot_id": self.bot_id,
        }

    def open_views(self, user_id: str) -> list[dict[str, Any]]:
        """The views open for a person, oldest first, with their ``errors`` (for tests)."""
        with self.lock:
            return [
                {**self.view_json(v), "errors": dict(v.errors)}
                for v in self.views.values()
                if v.user == user_id and v.is_open
            ]

    def ephemeral_for(self, user_id: str) -> list[dict[str, Any]]:
        """The ephemeral messages a person was shown, in every channel, oldest first."""
        with self.lock:
            return sorted(
                (
                    {**m, "channel": c.id}
                    for c in self.channels_by_id.values()
                    for m in c.ephemeral
                    if m["user"] == user_id
                ),
                key=lambda m: float(m["ts"]),
            )

    def respond(self, token: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """A POST to a response_url: (HTTP status, answer)."""
        with self.lock:
            url = self.response_urls.get(token)
            if url is None:
                return 404, {"ok": False, "error": "invalid_url"}
            if url.uses >= RESPONSE_URL_USES or self._now() - url.issued > RESPONSE_URL_TTL:
                return 404, {"ok": False, "error": "expired_url"}
            url.uses += 1
            try:
                self._reply(url, body)
            except SandboxSlackError as exc:
                return 400, {"ok": False, "error": exc.code, **exc.extra}
            return 200, {"ok": True}

    def _reply(self, url: ResponseUrl, body: dict[str, Any]) -> None:
        """A reply to a command or an action: ephemeral (the default), in the channel, or
        replacing/deleting the message acted on (https://docs.slack.dev/interactivity/
        handling-user-interaction#message_responses)."""
        channel = self._channel(url.channel)
        text = str(body.get("text") or "")
        blocks = _list(body.get("blocks"))
        check_blocks(blocks)
        if _bool(body.get("delete_original", False)) and url.message_ts:
            channel.messages = [m for m in channel.messages if m.ts != url.message_ts]
            return
        if _bool(body.get("replace_original", False)) and url.message_ts:
            message = self._message(channel, url.message_ts)
            message.text, message.blocks = text, blocks
            message.edited = {"user": self.bot_user_id, "ts": self.next_ts()}
            return
        if not text and not blocks:
            raise SandboxSlackError("no_text")
        if body.get("response_type") == "in_channel":
            message = Message(self.next_ts(), self.bot_user_id, text, blocks, bot_id=self.bot_id)
            channel.messages.append(message)
            return
        entry: dict[str, Any] = {"user": url.user, "text": text, "ts": self.next_ts()}
        if blocks is not None:
            entry["blocks"] = blocks
        channel.ephemeral.append(entry)

    # ---------------------------------------------------------- API methods

    def api_apps_connections_open(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """apps.connections.open: a Socket Mode URL for one connection, for the app-level
        token only (https://docs.slack.dev/reference/methods/apps.connections.open)."""
        if self.socket is None:
            raise SandboxSlackError("internal_error")
        return {"url": self.socket.new_url()}

    def _exchange_trigger(self, trigger_id: str) -> Trigger:
        """A trigger_id for views.open: unknown, expired (3 s) or already used are errors."""
        trigger = self.triggers.get(trigger_id)
        if trigger is None:
            raise SandboxSlackError("invalid_trigger_id")
        if self._now() - trigger.issued > TRIGGER_TTL:
            raise SandboxSlackError("expired_trigger_id")
        if trigger.exchanged:
            raise SandboxSlackError("exchanged_trigger_id")
        trigger.exchanged = True
        return trigger

    def api_views_open(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """views.open: a modal for the person whose interaction gave the trigger_id
        (https://docs.slack.dev/reference/methods/views.open)."""
        spec = _view_arg(args.get("view"))
        check_view(spec, "modal")
        trigger = self._exchange_trigger(str(args.get("trigger_id") or ""))
        self._unique_external_id(spec, None)
        return {"view": self.view_json(self._new_view(trigger.user, spec))}

    def _unique_external_id(self, spec: dict[str, Any], keep: View | None) -> None:
        external_id = spec.get("external_id")
        if external_id and any(
            v.spec.get("external_id") == external_id and v is not keep for v in self.views.values()
        ):
            raise SandboxSlackError("duplicate_external_id")

    def api_views_update(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """views.update: by view_id (or external_id); a stale ``hash`` is ``hash_conflict``
        (https://docs.slack.dev/reference/methods/views.update)."""
        view_id, external_id = args.get("view_id"), args.get("external_id")
        if not view_id and not external_id:
            raise SandboxSlackError("invalid_arguments")
        view = next(
            (
                v
                for v in self.views.values()
                if (view_id and v.id == view_id)
                or (not view_id and v.spec.get("external_id") == external_id)
            ),
            None,
        )
        if view is None:
            raise SandboxSlackError("not_found")
        spec = _view_arg(args.get("view"))
        check_view(spec, str(view.spec.get("type")))
        if args.get("hash") and args["hash"] != view.hash:
            raise SandboxSlackError("hash_conflict")
        self._unique_external_id(spec, view)
        view.spec, view.hash, view.errors = spec, self._view_hash(), {}
        return {"view": self.view_json(view)}

    def api_views_publish(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """views.publish: a person's App Home tab (``type: home``), one per person
        (https://docs.slack.dev/reference/methods/views.publish)."""
        user = self._user(str(args.get("user_id") or ""))
        spec = _view_arg(args.get("view"))
        check_view(spec, "home")
        home = next((v for v in self.views.values() if v.user == user.id and _is_home(v)), None)
        if home is not None and args.get("hash") and args["hash"] != home.hash:
            raise SandboxSlackError("hash_conflict")
        if home is None:
            home = self._new_view(user.id, spec)
        home.spec, home.hash = spec, self._view_hash()
        return {"view": self.view_json(home)}

    def api_auth_test(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """auth.test."""
        user = self._user(caller)
        return {
            "url": WORKSPACE_URL,
            "team": TEAM_NAME,
            "user": user.name,
            "team_id": TEAM_ID,
            "user_id": user.id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def api_chat_postMessage(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """chat.postMessage: to a channel id or name, or to a user id (a DM)."""
        channel = self._target(args.get("channel"), caller)
        if channel.is_archived:
            raise SandboxSlackError("is_archived")
        if caller not in channel.members:
            raise SandboxSlackError("not_in_channel")
        text = str(args.get("text") or "")
        blocks = _list(args.get("blocks"))
        check_blocks(blocks)
        attachments = _list(args.get("attachments"))
        if not text and not blocks and not attachments:
            raise SandboxSlackError("no_text")
        if len(text) > MAX_TEXT:
            raise SandboxSlackError("msg_too_long")
        thread_ts = args.get("thread_ts") or None
        # A person posting with their user token (xoxp) writes a person's message: no bot_id.
        bot_id = self.bot_id if caller == self.bot_user_id else None
        message = Message(self.next_ts(), caller, text, blocks, attachments, bot_id, thread_ts)
        channel.messages.append(message)
        return {"channel": channel.id, "ts": message.ts, "message": self.message_json(message)}

    def api_chat_update(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """chat.update: only the caller's own messages (a bot its own, else
        ``cant_update_message``); a field left out is kept, and a refused update changes
        nothing (https://docs.slack.dev/reference/methods/chat.update)."""
        channel = self._visible(args.get("channel"), caller)
        message = self._message(channel, args.get("ts"))
        if message.user != caller:
            raise SandboxSlackError("cant_update_message")
        blocks = _list(args.get("blocks")) if "blocks" in args else message.blocks
        if "blocks" in args:
            check_blocks(blocks)
        text = str(args["text"] or "") if "text" in args else message.text
        attachments = (
            _list(args.get("attachments")) if "attachments" in args else message.attachments
        )
        if not text and not blocks and not attachments:
            raise SandboxSlackError("no_text")
        if len(text) > MAX_TEXT:
            raise SandboxSlackError("msg_too_long")
        message.text, message.blocks, message.attachments = text, blocks, attachments
        message.edited = {"user": caller, "ts": self.next_ts()}
        return {
            "channel": channel.id,
            "ts": message.ts,
            "text": message.text,
            "message": self.message_json(message),
        }

    def api_chat_getPermalink(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """chat.getPermalink."""
        channel = self._visible(args.get("channel"), caller)
        message = self._message(channel, args.get("message_ts"))
        return {
            "channel": channel.id,
            "permalink": f"{WORKSPACE_URL}archives/{channel.id}/p{message.ts.replace('.', '')}",
        }

    def api_conversations_create(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """conversations.create: validates the name; ``name_taken`` includes archived ones."""
        name = str(args.get("name") or "")
        if not name:
            raise SandboxSlackError("invalid_name_required")
        if len(name) > MAX_NAME:
            raise SandboxSlackError("invalid_name_maxlength")
        if not CHANNEL_NAME.match(name):
            raise SandboxSlackError("invalid_name_specials")
        if not re.search(r"[a-z0-9]", name):
            raise SandboxSlackError("invalid_name_punctuation")
        if any(c.name == name for c in self.channels_by_id.values() if not c.is_im):
            raise SandboxSlackError("name_taken")
        channel = self._new_channel(name, _bool(args.get("is_private", False)), caller)
        self._join(channel, caller)
        return {"channel": self.conversation_json(channel, caller)}

    def api_conversations_invite(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """conversations.invite: all-or-nothing, per-user failures listed in ``errors``."""
        channel = self._visible(args.get("channel"), caller)
        if channel.is_im:
            raise SandboxSlackError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise SandboxSlackError("is_archived")
        if caller not in channel.members:
            raise SandboxSlackError("not_in_channel")
        users = [u.strip() for u in str(args.get("users") or "").split(",") if u.strip()]
        if not users:
            raise SandboxSlackError("no_user")
        if len(users) > 1000:
            raise SandboxSlackError("too_many_users")
        errors: list[dict[str, Any]] = []
        for user_id in users:
            if user_id == caller:
                code = "cant_invite_self"
            elif user_id not in self.users or self.users[user_id].deleted:
                code = "user_not_found"
            elif user_id in channel.members:
                code = "already_in_channel"
            else:
                continue
            errors.append({"user": user_id, "ok": False, "error": code})
        if errors:
            raise SandboxSlackError(errors[0]["error"], errors=errors)
        for user_id in users:
            self._join(channel, user_id, inviter=caller)
        return {"channel": self.conversation_json(channel, caller)}

    def _settable(self, args: dict[str, Any], caller: str) -> Channel:
        channel = self._visible(args.get("channel"), caller)
        if channel.is_im:
            raise SandboxSlackError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise SandboxSlackError("is_archived")
        if caller not in channel.members:
            raise SandboxSlackError("not_in_channel")
        return channel

    def api_conversations_setTopic(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """conversations.setTopic (at most 250 characters)."""
        return self._set_about(args, caller, "topic")

    def api_conversations_setPurpose(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """conversations.setPurpose (at most 250 characters)."""
        return self._set_about(args, caller, "purpose")

    def _set_about(self, args: dict[str, Any], caller: str, field: str) -> dict[str, Any]:
        """Set the channel's topic or purpose, with the system message Slack posts for it."""
        channel = self._settable(args, caller)
        value = str(args.get(field) or "")
        if len(value) > MAX_TOPIC:
            raise SandboxSlackError("too_long")
        setattr(channel, field, {"value": value, "creator": caller, "last_set": int(self._now())})
        channel.messages.append(
            Message(
                self.next_ts(),
                caller,
                f"set the channel {field}: {value}",
                subtype=f"channel_{field}",
                extra={field: value},
            )
        )
        return {"channel": self.conversation_json(channel, caller)}

    def api_conversations_archive(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """conversations.archive."""
        channel = self._visible(args.get("channel"), caller)
        if channel.is_im:
            raise SandboxSlackError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise SandboxSlackError("already_archived")
        if caller not in channel.members:
            raise SandboxSlackError("not_in_channel")
        channel.is_archived = True
        return {}

    def api_conversations_join(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """conversations.join: public channels only."""
        channel = self._visible(args.get("channel"), caller)
        if channel.is_im or channel.is_private:
            raise SandboxSlackError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise SandboxSlackError("is_archived")
        out: dict[str, Any] = {}
        if caller in channel.members:
            out["warning"] = "already_in_channel"
            out["response_metadata"] = {"warnings": ["already_in_channel"]}
        self._join(channel, caller)
        out["channel"] = self.conversation_json(channel, caller)
        return out

    def api_conversations_history(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """conversations.history: newest first, ``limit``/``cursor`` pagination."""
        channel = self._visible(args.get("channel"), caller)
        if caller not in channel.members:
            raise SandboxSlackError("not_in_channel")
        inclusive = _bool(args.get("inclusive", False))
        # Thread replies stay in their thread (conversations.replies) unless broadcast.
        messages = sorted(
            (
                m
                for m in channel.messages
                if not m.thread_ts or m.thread_ts == m.ts or m.subtype == "thread_broadcast"
            ),
            key=lambda m: float(m.ts),
            reverse=True,
        )
        try:
            latest = float(args["latest"]) if args.get("latest") else None
        except ValueError:
            raise SandboxSlackError("invalid_ts_latest") from None
        try:
            oldest = float(args["oldest"]) if args.get("oldest") else None
        except ValueError:
            raise SandboxSlackError("invalid_ts_oldest") from None
        if latest is not None:
            messages = [
                m for m in messages if float(m.ts) < latest or (inclusive and float(m.ts) == latest)
            ]
        if oldest is not None:
            messages = [
                m for m in messages if float(m.ts) > oldest or (inclusive and float(m.ts) == oldest)
            ]
        if args.get("cursor"):
            start = _uncursor("next_ts", str(args["cursor"]))
            messages = [m for m in messages if float(m.ts) <= float(start)]
        limit = _limit(args.get("limit"), default=100, maximum=999)
        page, rest = messages[:limit], messages[limit:]
        out: dict[str, Any] = {
            "messages": [self.message_json(m, channel) for m in page],
            "has_more": bool(rest),
            "pin_count": len(channel.pins),
        }
        if rest:
            out["response_metadata"] = {"next_cursor": _cursor("next_ts", rest[0].ts)}
        return out

    def api_conversations_info(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """conversations.info."""
        channel = self._visible(args.get("channel"), caller)
        return {"channel": self.conversation_json(channel, caller)}

    def api_conversations_list(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """conversations.list: ``types``, ``exclude_archived``, cursor pagination."""
        raw_types = str(args.get("types") or "public_channel")
        types = {t.strip() for t in raw_types.split(",") if t.strip()}
        unknown = types - {"public_channel", "private_channel", "mpim", "im"}
        if unknown:
            raise SandboxSlackError("invalid_types")
        exclude_archived = _bool(args.get("exclude_archived", False))
        found = []
        for channel in self.channels_by_id.values():
            if channel.is_im:
                kind = "im"
            elif channel.is_private:
                kind = "private_channel"
            else:
                kind = "public_channel"
            if kind not in types:
                continue
            if kind != "public_channel" and caller not in channel.members:
                continue
            if exclude_archived and channel.is_archived:
                continue
            found.append(channel)
        if args.get("cursor"):
            start = _uncursor("team", str(args["cursor"]))
            ids = [c.id for c in found]
            if start not in ids:
                raise SandboxSlackError("invalid_cursor")
            found = found[ids.index(start) :]
        limit = _limit(args.get("limit"), default=100, maximum=1000)
        page, rest = found[:limit], found[limit:]
        return {
            "channels": [self.conversation_json(c, caller) for c in page],
            "response_metadata": {"next_cursor": _cursor("team", rest[0].id) if rest else ""},
        }

    def api_users_lookupByEmail(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """users.lookupByEmail (case-insensitive)."""
        email = str(args.get("email") or "").strip().lower()
        for user in self.users.values():
            if user.email and user.email.lower() == email and not user.deleted:
                return {"user": self.user_json(user)}
        raise SandboxSlackError("users_not_found")

    def api_users_getPresence(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """users.getPresence (details only for the caller itself)."""
        user_id = str(args.get("user") or caller)
        user = self._user(user_id)
        presence, auto_away = self.presence_of(user)
        if user_id != caller:
            return {"presence": presence}
        return {
            "presence": presence,
            "online": presence == "active",
            "auto_away": auto_away,
            "manual_away": user.presence == "away",
            "connection_count": 1,
            "last_activity": int(user.last_activity or self._now()),
        }

    def api_users_info(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """users.info."""
        return {"user": self.user_json(self._user(str(args.get("user") or "")))}

    def api_users_profile_get(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """users.profile.get."""
        return {"profile": self.profile_json(self._user(str(args.get("user") or caller)))}

    def api_pins_add(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """pins.add."""
        channel = self._visible(args.get("channel"), caller)
        if not args.get("timestamp"):
            raise SandboxSlackError("no_item_specified")
        message = self._message(channel, args.get("timestamp"))
        if message.ts in channel.pins:
            raise SandboxSlackError("already_pinned")
        channel.pins.append(message.ts)
        channel.pinned_by[message.ts] = (caller, int(self._now()))
        return {}

    def api_reactions_add(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """reactions.add."""
        channel = self._visible(args.get("channel"), caller)
        name = str(args.get("name") or "").strip(":")
        if not re.fullmatch(r"[a-z0-9_+'-]+", name):
            raise SandboxSlackError("invalid_name")
        message = self._message(channel, args.get("timestamp"))
        users = message.reactions.setdefault(name, [])
        if caller in users:
            raise SandboxSlackError("already_reacted")
        users.append(caller)
        return {}

    def api_dnd_info(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """dnd.info, as https://docs.slack.dev/reference/methods/dnd.info documents it.

        ``next_dnd_start_ts``/``next_dnd_end_ts`` are the scheduled window (the current one
        while it lasts). "All of the snooze_* properties will only be visible if the user
        being queried is also the current user", and "snooze_endtime and snooze_remaining
        will only be returned if snooze_enabled is true": a bot asking about a person never
        sees their snooze.
        """
        user = self._user(str(args.get("user") or caller))
        now = int(self._now())
        if user.dnd and user.dnd_window is not None:
            start, end = user.dnd_window
        elif user.dnd:  # enabled with no window given: in one now, for an hour
            start, end = now - 60, now + 3600
        else:
            # Slack still answers the next window of the (default) schedule: tonight.
            start, end = now + 12 * 3600, now + 20 * 3600
        out: dict[str, Any] = {
            "dnd_enabled": user.dnd,
            "next_dnd_start_ts": start,
            "next_dnd_end_ts": end,
        }
        if user.id == caller:
            snoozed = user.snooze_endtime > now
            out["snooze_enabled"] = snoozed
            if snoozed:
                out["snooze_endtime"] = user.snooze_endtime
                out["snooze_remaining"] = user.snooze_endtime - now
        return out

    def api_reactions_get(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """reactions.get for a message (``channel`` + ``timestamp``): the message with its
        ``reactions`` (name, users, count), https://docs.slack.dev/reference/methods/reactions.get."""
        if not args.get("channel") or not args.get("timestamp"):
            raise SandboxSlackError("no_item_specified")
        channel = self._visible(args.get("channel"), caller)
        message = self._message(channel, args.get("timestamp"))
        return {
            "type": "message",
            "channel": channel.id,
            "message": self.message_json(message, channel),
        }

    def api_pins_list(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """pins.list: the channel's pinned items, newest pin first, each with the message
        (https://docs.slack.dev/reference/methods/pins.list; slack-sdk's PinsListResponse)."""
        channel = self._visible(args.get("channel"), caller)
        items = []
        for ts in reversed(channel.pins):
            message = self._message(channel, ts)
            by, when = channel.pinned_by.get(ts, (caller, int(self._now())))
            items.append(
                {
                    "type": "message",
                    "created": when,
                    "created_by": by,
                    "channel": channel.id,
                    "message": self.message_json(message, channel),
                }
            )
        return {"items": items}

    def api_pins_remove(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """pins.remove: ``not_pinned`` when it was not."""
        channel = self._visible(args.get("channel"), caller)
        if not args.get("timestamp"):
            raise SandboxSlackError("no_item_specified")
        message = self._message(channel, args.get("timestamp"))
        if message.ts not in channel.pins:
            raise SandboxSlackError("not_pinned")
        channel.pins.remove(message.ts)
        channel.pinned_by.pop(message.ts, None)
        return {}

    def api_conversations_replies(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """conversations.replies: the parent first, then its replies oldest first; ``oldest``
        and ``latest`` bound the replies, ``limit``/``cursor`` page them
        (https://docs.slack.dev/reference/methods/conversations.replies)."""
        channel = self._visible(args.get("channel"), caller)
        if caller not in channel.members:
            raise SandboxSlackError("not_in_channel")
        ts = str(args.get("ts") or "")
        try:
            parent = self._message(channel, ts)
        except SandboxSlackError:
            raise SandboxSlackError("thread_not_found") from None
        inclusive = _bool(args.get("inclusive", False))
        replies = sorted(
            (m for m in channel.messages if m.thread_ts == ts and m.ts != ts),
            key=lambda m: float(m.ts),
        )
        try:
            oldest = float(args["oldest"]) if args.get("oldest") else None
            latest = float(args["latest"]) if args.get("latest") else None
        except ValueError:
            raise SandboxSlackError("invalid_ts_oldest") from None
        if oldest is not None:
            replies = [
                m for m in replies if float(m.ts) > oldest or (inclusive and float(m.ts) == oldest)
            ]
        if latest is not None:
            replies = [
                m for m in replies if float(m.ts) < latest or (inclusive and float(m.ts) == latest)
            ]
        thread = [parent, *replies]
        if args.get("cursor"):
            start = _uncursor("reply", str(args["cursor"]))
            thread = [m for m in thread if float(m.ts) >= float(start) and m is not parent]
        limit = _limit(args.get("limit"), default=100, maximum=1000)
        page, rest = thread[:limit], thread[limit:]
        out: dict[str, Any] = {
            "messages": [self.message_json(m, channel) for m in page],
            "has_more": bool(rest),
        }
        if rest:
            out["response_metadata"] = {"next_cursor": _cursor("reply", rest[0].ts)}
        return out

    def api_conversations_members(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """conversations.members: member ids, ``limit``/``cursor`` pagination."""
        channel = self._visible(args.get("channel"), caller)
        members = list(channel.members)
        if args.get("cursor"):
            start = int(_uncursor("member", str(args["cursor"])))
            members = members[start:]
            offset = start
        else:
            offset = 0
        limit = _limit(args.get("limit"), default=100, maximum=1000)
        page, rest = members[:limit], members[limit:]
        return {
            "members": page,
            "response_metadata": {
                "next_cursor": _cursor("member", str(offset + limit)) if rest else ""
            },
        }

    def api_chat_postEphemeral(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """chat.postEphemeral: shown to one member only, never in history; that member
        must be in the channel (``user_not_in_channel``)
        (https://docs.slack.dev/reference/methods/chat.postEphemeral). Tests read them per
        person with :meth:`ephemeral_for`."""
        channel = self._target(args.get("channel"), caller)
        if channel.is_archived:
            raise SandboxSlackError("is_archived")
        user = str(args.get("user") or "")
        self._user(user)
        if user not in channel.members:
            raise SandboxSlackError("user_not_in_channel")
        text = str(args.get("text") or "")
        if not text and not _list(args.get("blocks")):
            raise SandboxSlackError("no_text")
        ts = self.next_ts()
        entry: dict[str, Any] = {"user": user, "text": text, "ts": ts}
        if _list(args.get("blocks")) is not None:
            entry["blocks"] = _list(args.get("blocks"))
        channel.ephemeral.append(entry)
        return {"message_ts": ts}

    def api_reactions_remove(self, args: dict[str, Any], caller: str) -> dict[str, Any]:
        """reactions.remove: ``no_reaction`` when the caller had not reacted so."""
        channel = self._visible(args.get("channel"), caller)
        name = str(args.get("name") or "").strip(":")
        if not name:
            raise SandboxSlackError("invalid_name")
        message = self._message(channel, args.get("timestamp"))
        users = message.reactions.get(name, [])
        if caller not in users:
            raise SandboxSlackError("no_reaction")
        users.remove(caller)
        if not users:
            message.reactions.pop(name)
        return {}


def _is_home(view: View) -> bool:
    return view.spec.get("type") == "home"


def _is_input(block: Any) -> bool:
    return isinstance(block, dict) and block.get("type") == "input"


def _find_action(blocks: list[Any], action_id: str) -> tuple[str, dict[str, Any]]:
    """(block_id, element) of the interactive element ``action_id`` in a message's blocks."""
    for block in blocks:
        if not isinstance(block, dict):
            continue
        elements = list(block.get("elements") or [])
        if isinstance(block.get("accessory"), dict):
            elements.append(block["accessory"])
        for element in elements:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return str(block.get("block_id", "")), element
    raise ValueError(f"the message has no element with action_id {action_id!r}")


def _view_spec(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SandboxSlackError("invalid_arguments")
    return value


def _view_arg(value: Any) -> dict[str, Any]:
    """The ``view`` argument: a JSON-encoded string (or an object, as a JSON body has it)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise SandboxSlackError("invalid_arguments") from None
    return _view_spec(value)


def _plain_text_problems(value: Any, limit: int, where: str, required: bool) -> list[str]:
    if value is None:
        return [f"missing required field: {where.rsplit('/', 1)[-1]}"] if required else []
    if not isinstance(value, dict) or value.get("type") != "plain_text":
        return [f"must be a plain_text object [json-pointer:{where}]"]
    return _text_problems(value, limit, where)


def check_view(spec: dict[str, Any], kind: str) -> None:
    """Refuse a view object Slack would refuse: ``invalid_arguments`` with where and why.

    The limits are the view object reference's (https://docs.slack.dev/reference/views):
    a modal's ``title`` (required), ``submit`` and ``close`` plain_text of at most 24
    characters, ``submit`` required with an input block; up to 100 blocks (checked like a
    message's, input blocks allowed, each with a label); ``private_metadata`` up to 3000
    characters; ``callback_id`` and ``external_id`` up to 255.
    """
    problems: list[str] = []
    if spec.get("type") != kind:
        problems.append(f"must be {kind} [json-pointer:/view/type]")
    if kind == "modal":
        for name in ("title", "submit", "close"):
            problems += _plain_text_problems(
                spec.get(name), VIEW_TEXT_MAX, f"/view/{name}", name == "title"
            )
        blocks = spec.get("blocks") or []
        if any(_is_input(b) for b in blocks) and spec.get("submit") is None:
            problems.append("must provide submit when there are input blocks [json-pointer:/view]")
    for name, limit in (
        ("private_metadata", PRIVATE_METADATA_MAX),
        ("callback_id", VIEW_ID_MAX),
        ("external_id", VIEW_ID_MAX),
    ):
        if len(str(spec.get(name, ""))) > limit:
            problems.append(f"must be less than {limit + 1} characters [json-pointer:/view/{name}]")
    blocks = spec.get("blocks")
    if not isinstance(blocks, list):
        problems.append("missing required field: blocks [json-pointer:/view]")
        blocks = []
    for i, block in enumerate(blocks):
        if _is_input(block):
            where = f"/view/blocks/{i}"
            problems += _plain_text_problems(block.get("label"), 2000, f"{where}/label", True)
            if not isinstance(block.get("element"), dict):
                problems.append(f"missing required field: element [json-pointer:{where}]")
    try:
        check_blocks(
            blocks,
            max_blocks=VIEW_BLOCKS_MAX,
            known=VIEW_BLOCKS,
            pointer="/view/blocks",
        )
    except SandboxSlackError as exc:
        problems += exc.extra.get("errors", [])
    if problems:
        raise SandboxSlackError(
            "invalid_arguments",
            response_metadata={"messages": [f"[ERROR] {p}" for p in problems]},
        )


def _limit(value: Any, default: int, maximum: int) -> int:
    try:
        number = int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        return default
    if number <= 0:
        return default
    return min(number, maximum)


@dataclass
class SlackCall:
    """A validated Web API call."""

    request: Request
    method: str
    args: dict[str, Any]
    caller: str


class SlackService:
    """Validates and answers Web API requests for one :class:`Slack` state."""

    def __init__(
        self,
        slack: Slack,
        methods: SlackMethods,
        report_violation: Callable[[str], None],
    ) -> None:
        self.slack = slack
        self.methods = methods
        self.report_violation = report_violation

    @staticmethod
    def parse_args(request: Request) -> dict[str, Any]:
        """Arguments from the query string, a form body or a JSON body (later wins)."""
        args: dict[str, Any] = {k: v[-1] for k, v in request.query.items()}
        content_type = (request.header("Content-Type") or "").lower()
        if request.body:
            if "json" in content_type:
                data = json.loads(request.body)
                if not isinstance(data, dict):
                    raise SandboxSlackError("json_not_object")
                args.update(data)
            else:
                form = urllib.parse.parse_qs(request.body.decode("utf-8"), keep_blank_values=True)
                args.update({k: v[-1] for k, v in form.items()})
        return args

    def prepare(self, request: Request) -> SlackCall | Response:
        """Validate; a Response means the call is answered without executing."""
        if request.path.startswith("/hooks/response/") and request.method == "POST":
            return self._respond(request)
        if request.path.startswith(PERSON_PREFIX):
            return self._person_acts(request)
        if not request.path.startswith("/api/"):
            return Response(404, b"Not Found", {"Content-Type": "text/plain"})
        method = request.path[len("/api/") :].strip("/")
        try:
            args = self.parse_args(request)
        except SandboxSlackError as exc:
            return _slack_error(exc)
        except (ValueError, UnicodeDecodeError):
            return _slack_error(SandboxSlackError("invalid_json"))
        try:
            self.methods.check(method, args)
        except Undocumented as exc:
            self.report_violation(f"slack: {request.method} {request.path}: {exc}")
            code = "unknown_method" if method not in self.methods.methods else "invalid_arg_name"
            return Response(
                200,
                {
                    "ok": False,
                    "error": code,
                    "response_metadata": {"messages": [f"[ERROR] sandbox: {exc}"]},
                },
            )
        token = args.pop("token", None)
        header = request.header("Authorization") or ""
        if header.lower().startswith("bearer "):
            token = header[7:].strip()
        if not token:
            return _slack_error(SandboxSlackError("not_authed"))
        # An app-level token serves apps.connections.open only, and that method no other
        # token: "not_allowed_token_type" (https://docs.slack.dev/authentication/tokens#app-level).
        if (token == self.slack.app_token) != (method == "apps.connections.open"):
            known = token == self.slack.app_token or token == self.slack.bot_token
            known = known or token in self.slack.user_tokens
            code = "not_allowed_token_type" if known else "invalid_auth"
            return _slack_error(SandboxSlackError(code))
        if token == self.slack.app_token:
            return SlackCall(request, method, args, self.slack.app_id)
        if token in self.slack.user_tokens:
            return SlackCall(request, method, args, self.slack.user_tokens[token])
        if token != self.slack.bot_token:
            return _slack_error(SandboxSlackError("invalid_auth"))
        return SlackCall(request, method, args, self.slack.bot_user_id)

    def _respond(self, request: Request) -> Response:
        """A POST to a response_url (JSON, as Slack takes it)."""
        token = request.path.rstrip("/").rsplit("/", 1)[-1]
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return Response(400, {"ok": False, "error": "invalid_json"})
        if not isinstance(body, dict):
            return Response(400, {"ok": False, "error": "json_not_object"})
        status, answer = self.slack.respond(token, body)
        return Response(status, answer)

    def _person_acts(self, request: Request) -> Response:
        """What a person does in Slack's own client, which has no Web API method: type a
        slash command, press a button, look at and submit a modal. Not Slack's API: the
        sandbox's, for `demo --serve` by hand (a person's user token as the bearer).

            POST /_person/slash   channel, command (/incident), text
            POST /_person/click   channel, ts, action_id
            GET  /_person/views   the person's open modals (id, blocks, errors)
            POST /_person/submit  view_id, values: {block_id: {action_id: {type, value}}}
        """
        header = request.header("Authorization") or ""
        user = (
            self.slack.user_tokens.get(header[7:].strip())
            if header[:7].lower() == "bearer "
            else None
        )
        if user is None:
            return _slack_error(SandboxSlackError("invalid_auth"))
        act = request.path[len(PERSON_PREFIX) :].strip("/")
        try:
            args = self.parse_args(request)
            if act == "views" and request.method == "GET":
                return Response(200, {"ok": True, "views": self.slack.open_views(user)})
            if request.method != "POST" or act not in ("slash", "click", "submit"):
                return Response(404, {"ok": False, "error": "not_found"})
            if act == "slash":
                self.slack.slash_command(
                    user,
                    str(args["channel"]),
                    str(args.get("command") or "/incident"),
                    str(args.get("text") or ""),
                )
            elif act == "click":
                self.slack.click(
                    user, str(args["channel"]), str(args["ts"]), str(args["action_id"])
                )
            else:
                values = args["values"]
                values = json.loads(values) if isinstance(values, str) else values
                self.slack.submit_view(user, str(args["view_id"]), values)
        except KeyError as exc:
            return Response(400, {"ok": False, "error": f"missing {exc.args[0]}"})
        except (ValueError, SandboxSlackError) as exc:
            return Response(400, {"ok": False, "error": str(exc)})
        return Response(200, {"ok": True})

    def execute(self, call: SlackCall) -> Response:
        """Run a validated call against the state."""
        handler = getattr(self.slack, "api_" + call.method.replace(".", "_"), None)
        if handler is None:  # documented, but the sandbox does not serve it
            self.report_violation(f"slack: {call.method} is documented but not served")
            return Response(200, {"ok": False, "error": "unknown_method"})
        with self.slack.lock:
            wait = self.slack.over_tier(call.method, call.args.get("channel"))
            if wait is not None:
                return ratelimited_response(wait)
            try:
                body = handler(call.args, call.caller)
            except SandboxSlackError as exc:
                return _slack_error(exc)
        return Response(200, {"ok": True, **body})


# The sandbox's own paths for what people do in Slack's client (not Slack's Web API).
PERSON_PREFIX = "/_person/"

# Documented in the refreshed reference; served once a feature needs them.
NOT_SERVED: set[str] = {"chat.delete", "usergroups.users.list"}


def _slack_error(exc: SandboxSlackError) -> Response:
    return Response(200, {"ok": False, "error": exc.code, **exc.extra})


def ratelimited_response(retry_after: int | None) -> Response:
    """Slack's rate-limit answer: HTTP 429, ``Retry-After``, ``error: ratelimited``."""
    headers = {"Retry-After": str(retry_after if retry_after is not None else 1)}
    return Response(429, {"ok": False, "error": "ratelimited"}, headers)
