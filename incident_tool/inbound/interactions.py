"""What the live Slack connection receives, read into values (docs/usage.md#live-slack): pure.

Slack sends Socket Mode envelopes: `events_api` (something happened in a channel the bot
is in), `slash_commands` (`/incident …`) and `interactive` (a button pressed, a modal
submitted). Each becomes one value here, or an `Ignored` that says why; nothing in them is
trusted: ids are checked for shape, texts are cut to the tool's limits, and the caller
decides who may do what from the Slack user's mapping in `people`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The events the manifest subscribes to (SPEC §16), by Events API type.
CHANNEL_EVENTS = frozenset(
    {
        "app_mention",
        "message",
        "reaction_added",
        "reaction_removed",
        "pin_added",
        "pin_removed",
        "member_joined_channel",
    }
)
# The tool's buttons and modals: `incident:<what>`; a button's value is the issue number.
PREFIX = "incident:"
BUTTONS = frozenset({"declare", "dismiss", "ack", "join", "update"})
VIEWS = frozenset({"report", "dismiss", "update"})
MAX_TEXT = 4000  # a command's text, as the comment path allows

_ID = re.compile(r"^[A-Z][A-Z0-9]{2,20}$")  # Slack user, channel and team ids
_TS = re.compile(r"^[0-9]{1,12}\.[0-9]{1,8}$")


@dataclass(frozen=True)
class Ignored:
    """An envelope the tool does nothing with, and why (for the log)."""

    reason: str


@dataclass(frozen=True)
class ChannelActivity:
    """Something happened in a channel: the run reads the channel back, as a sweep would."""

    kind: str
    channel: str
    user: str | None
    text: str = ""


@dataclass(frozen=True)
class SlashCommand:
    """`/incident [command] [text]`, typed in `channel` by `user`."""

    id: str  # unique per command (its trigger id): a command is carried out once
    user: str
    channel: str
    text: str
    trigger_id: str
    response_url: str


@dataclass(frozen=True)
class ButtonPress:
    """One of the tool's buttons, pressed by `user` on the message `message_ts`."""

    id: str
    user: str
    channel: str
    message_ts: str
    action: str  # one of BUTTONS
    number: int  # the incident the message is about
    trigger_id: str
    response_url: str


@dataclass(frozen=True)
class ViewSubmission:
    """One of the tool's modals, submitted by `user`."""

    id: str
    user: str
    view: str  # one of VIEWS
    metadata: str
    values: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)


Interaction = ChannelActivity | SlashCommand | ButtonPress | ViewSubmission


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _id(value: Any) -> str | None:
    return value if isinstance(value, str) and _ID.match(value) else None


def _str(value: Any, limit: int = MAX_TEXT) -> str:
    return value[:limit] if isinstance(value, str) else ""


def read_envelope(envelope: Mapping[str, Any]) -> Interaction | Ignored:
    """Read one Socket Mode envelope (its `type` and `payload`)."""
    kind, payload = envelope.get("type"), envelope.get("payload")
    if not isinstance(payload, Mapping):
        return Ignored(f"a {kind!r} envelope without a payload")
    if kind == "events_api":
        return _event(payload.get("event"))
    if kind == "slash_commands":
        return _slash(payload)
    if kind == "interactive":
        return _interactive(payload)
    return Ignored(f"an envelope of type {kind!r}")


def _event(event: Any) -> ChannelActivity | Ignored:
    if not isinstance(event, Mapping):
        return Ignored("an event without its body")
    kind = event.get("type")
    if kind not in CHANNEL_EVENTS:
        return Ignored(f"an event of type {kind!r}")
    item = _map(event.get("item"))
    channel = _id(event.get("channel")) or _id(item.get("channel")) or _id(event.get("channel_id"))
    if channel is None:
        return Ignored(f"a {kind} event without a channel")
    return ChannelActivity(str(kind), channel, _id(event.get("user")), _str(event.get("text")))


def _slash(payload: Mapping[str, Any]) -> SlashCommand | Ignored:
    user, channel = _id(payload.get("user_id")), _id(payload.get("channel_id"))
    trigger = _str(payload.get("trigger_id"), 200)
    if payload.get("command") != "/incident":
        return Ignored(f"the slash command {_str(payload.get('command'), 40)!r}")
    if user is None or channel is None or not trigger:
        return Ignored("a slash command without its user, channel or trigger")
    return SlashCommand(
        id=f"slash:{trigger}",
        user=user,
        channel=channel,
        text=_str(payload.get("text")).strip(),
        trigger_id=trigger,
        response_url=_str(payload.get("response_url"), 500),
    )


def _interactive(payload: Mapping[str, Any]) -> ButtonPress | ViewSubmission | Ignored:
    user = _map(payload.get("user"))
    user_id = _id(user.get("id"))
    if user_id is None:
        return Ignored("an interaction without its user")
    kind = payload.get("type")
    if kind == "block_actions":
        return _button(payload, user_id)
    if kind == "view_submission":
        return _submission(payload, user_id)
    return Ignored(f"an interaction of type {kind!r}")


def _button(payload: Mapping[str, Any], user: str) -> ButtonPress | Ignored:
    actions = payload.get("actions")
    action = actions[0] if isinstance(actions, list) and actions else None
    if not isinstance(action, Mapping):
        return Ignored("a button press without its action")
    action_id = _str(action.get("action_id"), 100)
    what = action_id.removeprefix(PREFIX)
    if not action_id.startswith(PREFIX) or what not in BUTTONS:
        return Ignored(f"the action_id {action_id!r}")
    value = _str(action.get("value"), 20)
    container = _map(payload.get("container"))
    channel = _id(container.get("channel_id")) or _id(_map(payload.get("channel")).get("id"))
    ts = container.get("message_ts")
    if not value.isdigit() or channel is None or not (isinstance(ts, str) and _TS.match(ts)):
        return Ignored(f"a {what} button without its incident or message")
    trigger = _str(payload.get("trigger_id"), 200)
    return ButtonPress(
        id=f"button:{channel}:{ts}:{what}:{user}:{_str(action.get('action_ts'), 30)}",
        user=user,
        channel=channel,
        message_ts=ts,
        action=what,
        number=int(value),
        trigger_id=trigger,
        response_url=_str(payload.get("response_url"), 500),
    )


def _submission(payload: Mapping[str, Any], user: str) -> ViewSubmission | Ignored:
    view = _map(payload.get("view"))
    callback = _str(view.get("callback_id"), 100)
    what = callback.removeprefix(PREFIX)
    if not callback.startswith(PREFIX) or what not in VIEWS:
        return Ignored(f"the callback_id {callback!r}")
    state = _map(view.get("state"))
    return ViewSubmission(
        id=f"view:{_str(view.get('id'), 40)}:{_str(view.get('hash'), 60)}",
        user=user,
        view=what,
        metadata=_str(view.get("private_metadata"), 3000),
        values=view_values(state.get("values")),
    )


def view_values(values: Any) -> dict[str, str | tuple[str, ...]]:
    """A modal's `state.values` by block id: a text input's text, a select's value, the
    values of checkboxes (a tuple)."""
    out: dict[str, str | tuple[str, ...]] = {}
    if not isinstance(values, Mapping):
        return out
    for block_id, actions in values.items():
        if not isinstance(block_id, str) or not isinstance(actions, Mapping):
            continue
        for element in actions.values():
            if isinstance(element, Mapping):
                out[block_id[:100]] = _element_value(element)
                break
    return out


def _element_value(element: Mapping[str, Any]) -> str | tuple[str, ...]:
    if isinstance(element.get("selected_options"), list):
        return tuple(
            _str(o.get("value"), 200) for o in element["selected_options"] if isinstance(o, Mapping)
        )
    option = element.get("selected_option")
    if isinstance(option, Mapping):
        return _str(option.get("value"), 200)
    return _str(element.get("value"))
