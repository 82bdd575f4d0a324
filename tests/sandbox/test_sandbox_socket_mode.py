"""The sandbox's Slack Socket Mode, driven by slack-sdk's own SocketModeClient (builtin).

What Slack does is cited where the sandbox does it (incident_sandbox/socket_mode.py and the
Socket Mode part of incident_sandbox/slack.py); these tests hold the sandbox to it through
the client incident-tool's `listen` uses.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from incident_sandbox import Sandbox
from incident_sandbox.socket_mode import (
    ACK_TIMEOUT,
    OP_CLOSE,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    SocketMode,
    encode_frame,
    read_frame,
)

ROOT = Path(__file__).resolve().parents[2]
ALICE = "U0ALICE"
BUTTON_BLOCKS = [
    {
        "type": "actions",
        "block_id": "lead",
        "elements": [
            {
                "type": "button",
                "action_id": "take_lead",
                "text": {"type": "plain_text", "text": "I'll lead"},
                "value": "42",
            }
        ],
    }
]
MODAL = {
    "type": "modal",
    "callback_id": "declare",
    "private_metadata": json.dumps({"issue": 42}),
    "title": {"type": "plain_text", "text": "Declare an incident"},
    "submit": {"type": "plain_text", "text": "Declare"},
    "blocks": [
        {
            "type": "input",
            "block_id": "title",
            "label": {"type": "plain_text", "text": "Title"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        }
    ],
}


class App:
    """slack-sdk's SocketModeClient connected to the sandbox, recording what it receives.

    ``answer(request)`` says how to acknowledge: a payload dict, {} for a bare ack, or None
    for no acknowledgement at all.
    """

    def __init__(self, sb: Sandbox, ping_interval: float = 0.5) -> None:
        self.sb = sb
        self.requests: list[SocketModeRequest] = []
        self.raw: list[dict[str, Any]] = []
        self.answer: Callable[[SocketModeRequest], dict[str, Any] | None] = lambda _: {}
        self.lock = threading.Lock()
        web = WebClient(token=sb.slack.app_token, base_url=sb.slack_url)
        self.client = SocketModeClient(
            app_token=sb.slack.app_token, web_client=web, ping_interval=ping_interval
        )
        self.client.socket_mode_request_listeners.append(self._on_request)
        self.client.on_message_listeners.append(self._on_message)

    def _on_message(self, text: str) -> None:
        with self.lock:
            self.raw.append(json.loads(text))

    def _on_request(self, client: Any, request: SocketModeRequest) -> None:
        with self.lock:
            self.requests.append(request)
        reply = self.answer(request)
        if reply is None:
            return
        response = SocketModeResponse(envelope_id=request.envelope_id, payload=reply or None)
        client.send_socket_mode_response(response)

    def of(self, kind: str) -> list[SocketModeRequest]:
        with self.lock:
            return [r for r in self.requests if r.type == kind]

    def events(self, event_type: str) -> list[dict[str, Any]]:
        return [
            r.payload for r in self.of("events_api") if r.payload["event"]["type"] == event_type
        ]

    def connect(self) -> None:
        opened = socket_mode(self.sb).connections_opened
        self.client.connect()
        assert socket_mode(self.sb).wait_for(
            lambda: socket_mode(self.sb).connections_opened > opened
        )

    def close(self) -> None:
        close_all(self.sb, [self])


def close_all(sb: Sandbox, apps: list[App]) -> None:
    """Close clients quickly: each one's reader waits up to 3 s (slack-sdk's receive
    timeout) for a frame before it notices, so the sandbox cuts the sockets first."""
    for each in apps:
        each.client.default_auto_reconnect_enabled = False
        each.client.auto_reconnect_enabled = False
    socket_mode(sb).drop()
    for each in apps:
        each.client.close()


def socket_mode(sb: Sandbox) -> SocketMode:
    assert sb.socket_mode is not None
    return sb.socket_mode


def eventually(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError(f"not within {timeout} s: {check}")


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """A sandbox with Alice and Bob in #wc-platform (the bot a member too)."""
    with Sandbox() as sandbox:
        sandbox.slack.add_user(ALICE, name="alice", real_name="Alice")
        sandbox.slack.add_user("U0BOB", name="bob", real_name="Bob")
        sandbox.slack.add_channel("wc-platform", members=[ALICE, "U0BOB"])
        yield sandbox
        assert sandbox.violations == []
        if sandbox.socket_mode is not None:  # (one test closes it)
            assert sandbox.socket_mode.errors == []


@pytest.fixture
def app(sb: Sandbox) -> Iterator[App]:
    connected = App(sb)
    connected.connect()
    yield connected
    connected.close()


def channel_id(sb: Sandbox) -> str:
    found = sb.slack.channel_by_name("wc-platform")
    assert found is not None
    return str(found["id"])


def bot(sb: Sandbox) -> WebClient:
    return WebClient(token=sb.slack.bot_token, base_url=sb.slack_url)


# ---------------------------------------------------------------- the AsyncAPI description


@lru_cache(maxsize=1)
def asyncapi() -> dict[str, Any]:
    text = (ROOT / "tests" / "reference" / "slack-events-api-asyncapi.json").read_text("utf-8")
    return dict(json.loads(text))


def _resolved(node: Any) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = asyncapi()
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return _resolved(target)
        return {k: _resolved(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolved(v) for v in node]
    return node


def topics_of(wrapper: dict[str, Any]) -> list[str]:
    """The AsyncAPI topics describing an event (its type with dots; messages by channel).

    Not the bare ``message`` topic: its schema was generated from one message_deleted example
    (it requires deleted_ts, previous_message), so it describes that subtype only."""
    event = wrapper["event"]
    if event["type"] == "message":
        return [f"message.{event['channel_type']}s"]
    return [event["type"].replace("_", ".")]


def assert_valid_event(wrapper: dict[str, Any]) -> None:
    for topic in topics_of(wrapper):
        schema = _resolved(asyncapi()["topics"][topic]["subscribe"]["payload"])
        jsonschema.validate(wrapper, schema)


# ---------------------------------------------------------------- connections


def test_apps_connections_open_gives_a_single_use_ws_url_for_the_app_token(sb: Sandbox) -> None:
    url = WebClient(token=sb.slack.app_token, base_url=sb.slack_url).apps_connections_open(
        app_token=sb.slack.app_token
    )["url"]
    assert url.startswith(f"ws://127.0.0.1:{socket_mode(sb).port}/link/?ticket=")
    for token in (sb.slack.bot_token, sb.slack.user_token(ALICE)):
        with pytest.raises(SlackApiError) as err:
            WebClient(token=token, base_url=sb.slack_url).apps_connections_open(app_token=token)
        assert err.value.response["error"] == "not_allowed_token_type"
    with pytest.raises(SlackApiError) as err:  # and the app token serves nothing else
        WebClient(token=sb.slack.app_token, base_url=sb.slack_url).auth_test()
    assert err.value.response["error"] == "not_allowed_token_type"

    first = RawSocket(url)
    assert first.status == 101
    hello = first.receive_json()
    assert hello["type"] == "hello" and hello["num_connections"] == 1
    assert hello["connection_info"] == {"app_id": sb.slack.app_id}
    assert RawSocket(url).status == 401  # the ticket was used
    assert "used ticket" in socket_mode(sb).refused[-1]
    first.close()


class RawSocket:
    """A bare WebSocket client (masked frames), to see the protocol itself."""

    def __init__(self, url: str) -> None:
        rest = url.removeprefix("ws://")
        host_port, _, path = rest.partition("/")
        host, port = host_port.split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=5)
        self.sock.sendall(
            (
                f"GET /{path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                break
            head += chunk
        self.status = int(head.split(b" ")[1]) if head else 0
        self.headers = head.decode("latin-1")

    def receive(self) -> tuple[int, bytes]:
        _, opcode, payload = read_frame(self.sock, require_mask=False)
        return opcode, payload

    def receive_json(self) -> dict[str, Any]:
        opcode, payload = self.receive()
        assert opcode == OP_TEXT
        return dict(json.loads(payload))

    def send(self, opcode: int, payload: bytes, mask: bool = True) -> None:
        self.sock.sendall(encode_frame(opcode, payload, mask=mask))

    def close(self) -> None:
        self.sock.close()


def test_the_websocket_protocol_handshake_ping_and_close(sb: Sandbox) -> None:
    raw = RawSocket(socket_mode(sb).new_url())
    # RFC 6455 section 1.3's example key and its accept value.
    assert "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in raw.headers
    assert raw.receive_json()["type"] == "hello"
    raw.send(OP_PING, b"are you there")
    assert raw.receive() == (OP_PONG, b"are you there")
    raw.send(OP_CLOSE, b"\x03\xe8")
    assert raw.receive() == (OP_CLOSE, b"\x03\xe8")
    assert socket_mode(sb).wait_for(lambda: socket_mode(sb).connections == 0)
    raw.close()

    unmasked = RawSocket(socket_mode(sb).new_url())
    unmasked.receive_json()
    unmasked.send(OP_TEXT, b"{}", mask=False)  # RFC 6455 5.1: the server must close
    assert socket_mode(sb).wait_for(lambda: socket_mode(sb).connections == 0)
    unmasked.close()


def test_the_client_receives_hello(sb: Sandbox, app: App) -> None:
    hello = eventually(lambda: [m for m in app.raw if m["type"] == "hello"])[0]
    assert hello["num_connections"] == 1
    assert hello["connection_info"]["app_id"] == sb.slack.app_id
    assert "approximate_connection_time" in hello["debug_info"]


# ---------------------------------------------------------------- events_api


def test_what_people_do_reaches_the_app_as_events_each_acknowledged(sb: Sandbox, app: App) -> None:
    sl, channel = sb.slack, channel_id(sb)
    ts = sl.post_as_user(channel, ALICE, f"<@{sl.bot_user_id}> the API is down")
    sl.react_as_user(channel, ts, "U0BOB", "eyes")
    sl.unreact_as_user(channel, ts, "U0BOB", "eyes")
    sl.pin_as_user(channel, ts, ALICE)
    sl.unpin_as_user(channel, ts)
    sl.add_user("U0CAROL", name="carol")
    sl.add_channel("wc-private", is_private=True, members=["U0CAROL"])
    kinds = (
        "message",
        "app_mention",
        "reaction_added",
        "reaction_removed",
        "pin_added",
        "pin_removed",
        "member_joined_channel",
    )
    for kind in kinds:
        eventually(lambda kind=kind: app.events(kind))
    message = app.events("message")[0]["event"]
    assert message["text"].endswith("the API is down") and message["channel_type"] == "channel"
    assert message["user"] == ALICE and message["ts"] == ts
    assert app.events("app_mention")[0]["event"]["channel"] == channel
    reaction = app.events("reaction_added")[0]["event"]
    assert reaction["item"] == {"type": "message", "channel": channel, "ts": ts}
    assert reaction["reaction"] == "eyes" and reaction["item_user"] == ALICE
    assert app.events("pin_added")[0]["event"]["item"]["message"]["ts"] == ts
    joined = app.events("member_joined_channel")
    assert {e["event"]["channel_type"] for e in joined} == {"G"}  # the bot and Carol
    # Every envelope is acknowledged, and the sandbox saw each acknowledgement in time.
    delivered = app.of("events_api")
    assert socket_mode(sb).wait_for(lambda: len(socket_mode(sb).acks) == len(delivered))
    for request in delivered:
        ack = socket_mode(sb).ack_of(request.envelope_id)
        assert ack is not None and not ack.late and ack.elapsed < ACK_TIMEOUT
        assert_valid_event(request.payload)
        assert request.payload["api_app_id"] == sb.slack.app_id
    assert socket_mode(sb).unacknowledged == []


def test_events_only_when_connected_and_subscribed(sb: Sandbox) -> None:
    sl, channel = sb.slack, channel_id(sb)
    sl.post_as_user(channel, ALICE, "nobody listens")
    assert socket_mode(sb).sent == []  # no app connection: nowhere to send it
    app = App(sb)
    app.connect()
    try:
        sl.subscribed_events.discard("reaction_added")
        ts = sl.post_as_user(channel, ALICE, "now someone does")
        sl.react_as_user(channel, ts, ALICE, "eyes")
        eventually(lambda: app.events("message"))
        assert [e["event"]["text"] for e in app.events("message")] == ["now someone does"]
        assert app.events("reaction_added") == []
        assert all(e.type == "events_api" for e in socket_mode(sb).sent)
        assert len(socket_mode(sb).sent) == 1
    finally:
        app.close()


def test_an_unacknowledged_envelope_is_retried_with_retry_attempt_1(sb: Sandbox, app: App) -> None:
    app.answer = lambda request: None if request.retry_attempt == 0 else {}
    sb.slack.post_as_user(channel_id(sb), ALICE, "is anyone there?")
    retried = eventually(lambda: [r for r in app.of("events_api") if r.retry_attempt == 1], 6)
    first = app.of("events_api")[0]
    assert first.retry_attempt == 0 and first.retry_reason == ""
    assert retried[0].retry_reason == "timeout"
    assert retried[0].payload["event_id"] == first.payload["event_id"]
    assert retried[0].envelope_id != first.envelope_id
    given_up = socket_mode(sb).unacknowledged
    assert [e.envelope_id for e in given_up] == [first.envelope_id]
    assert socket_mode(sb).wait_for(lambda: socket_mode(sb).ack_of(retried[0].envelope_id))


def test_an_event_is_retried_3_times_at_most(sb: Sandbox, app: App) -> None:
    app.answer = lambda request: None
    socket_mode(sb).ack_timeout = 0.3  # the 3 s themselves are the test above's
    sb.slack.post_as_user(channel_id(sb), ALICE, "is anyone there?")
    assert socket_mode(sb).wait_for(lambda: len(socket_mode(sb).unacknowledged) == 4)
    time.sleep(0.5)
    attempts = [(r.retry_attempt, r.retry_reason) for r in app.of("events_api")]
    assert attempts == [(0, ""), (1, "timeout"), (2, "timeout"), (3, "timeout")]
    assert len(socket_mode(sb).sent) == 4


def test_at_most_10_connections_at_once(sb: Sandbox) -> None:
    sockets = [RawSocket(socket_mode(sb).new_url()) for _ in range(10)]
    assert [s.status for s in sockets] == [101] * 10
    assert socket_mode(sb).wait_for(lambda: socket_mode(sb).connections == 10)
    eleventh = RawSocket(socket_mode(sb).new_url())
    assert eleventh.status == 429
    for each in [*sockets, eleventh]:
        each.close()
    assert socket_mode(sb).wait_for(lambda: socket_mode(sb).connections == 0)
    again = RawSocket(socket_mode(sb).new_url())
    assert again.status == 101
    again.close()


def test_envelopes_are_spread_over_the_open_connections(sb: Sandbox) -> None:
    apps = [App(sb), App(sb)]
    for each in apps:
        each.connect()
    try:
        assert socket_mode(sb).wait_for(lambda: socket_mode(sb).connections == 2)
        for n in range(6):
            sb.slack.post_as_user(channel_id(sb), ALICE, f"message {n}")
        eventually(lambda: sum(len(a.events("message")) for a in apps) == 6)
        assert [len(a.events("message")) for a in apps] == [3, 3]  # each once, spread
    finally:
        close_all(sb, apps)


# ---------------------------------------------------------------- reconnecting


def test_disconnect_refresh_requested_makes_the_client_reconnect_with_a_new_ticket(
    sb: Sandbox, app: App
) -> None:
    urls_before = [r for r in sb.requests if r.path.endswith("apps.connections.open")]
    started = time.monotonic()
    socket_mode(sb).disconnect("refresh_requested", grace=1.0)
    assert socket_mode(sb).wait_for(lambda: socket_mode(sb).connections_opened == 2)
    reconnected = time.monotonic() - started
    print(f"refresh_requested → reconnected in {reconnected:.3f} s")
    assert reconnected <= 2.0
    urls_after = [r for r in sb.requests if r.path.endswith("apps.connections.open")]
    assert len(urls_after) == len(urls_before) + 1  # a new ticket
    assert socket_mode(sb).wait_for(lambda: socket_mode(sb).connections == 1)
    sb.slack.post_as_user(channel_id(sb), ALICE, "after the refresh")
    eventually(lambda: app.events("message"))


def test_a_dropped_socket_makes_the_client_reconnect(sb: Sandbox, app: App) -> None:
    started = time.monotonic()
    socket_mode(sb).drop()
    assert socket_mode(sb).wait_for(lambda: socket_mode(sb).connections_opened == 2, 10)
    print(f"dropped → reconnected in {time.monotonic() - started:.3f} s")
    sb.slack.post_as_user(channel_id(sb), ALICE, "after the drop")
    eventually(lambda: app.events("message"))


def test_a_connection_told_to_refresh_gets_no_new_envelope_while_another_is_open(
    sb: Sandbox,
) -> None:
    old = RawSocket(socket_mode(sb).new_url())
    assert old.receive_json()["type"] == "hello"
    socket_mode(sb).disconnect("refresh_requested", grace=2.0)
    assert old.receive_json() == {
        "type": "disconnect",
        "reason": "refresh_requested",
        "debug_info": {"host": "sandbox-socket-1"},
    }
    new = RawSocket(socket_mode(sb).new_url())
    assert new.receive_json()["num_connections"] == 2
    sb.slack.post_as_user(channel_id(sb), ALICE, "where does this go?")
    envelope = new.receive_json()
    assert envelope["type"] == "events_api" and envelope["retry_attempt"] == 0
    assert [e.link_id for e in socket_mode(sb).sent] == [2]
    assert old.receive() == (OP_CLOSE, b"\x03\xe8")  # after the grace: 1000, normal closure
    assert socket_mode(sb).wait_for(lambda: socket_mode(sb).connections == 1)
    old.close()
    new.close()


def test_disconnect_warning_keeps_the_connection(sb: Sandbox, app: App) -> None:
    socket_mode(sb).disconnect("warning")
    eventually(lambda: [m for m in app.raw if m.get("reason") == "warning"])
    with pytest.raises(ValueError):
        socket_mode(sb).disconnect("because")


# ---------------------------------------------------------------- slash commands


def test_a_slash_command_and_its_replies(sb: Sandbox, app: App) -> None:
    app.answer = lambda request: {"text": "Declaring…"} if request.type == "slash_commands" else {}
    payload = sb.slack.slash_command(ALICE, channel_id(sb), "/incident", "declare API down")
    request = eventually(lambda: app.of("slash_commands"))[0]
    assert request.payload == payload
    assert request.accepts_response_payload is True
    assert payload["command"] == "/incident" and payload["text"] == "declare API down"
    assert payload["user_id"] == ALICE and payload["channel_id"] == channel_id(sb)
    assert payload["trigger_id"] and payload["response_url"].startswith(sb.slack_url[:-4])
    # The acknowledgement's payload is the reply, shown to Alice only.
    eventually(lambda: sb.slack.ephemeral_for(ALICE))
    assert sb.slack.ephemeral_for(ALICE)[0]["text"] == "Declaring…"
    assert sb.slack.ephemeral_for("U0BOB") == []
    # The response_url: in the channel, or to Alice; five times, then no more.
    url = payload["response_url"]
    answer = requests.post(url, json={"response_type": "in_channel", "text": "Declared #42"})
    assert answer.status_code == 200 and answer.json() == {"ok": True}
    assert sb.slack.messages(channel_id(sb))[-1]["text"] == "Declared #42"
    for n in range(4):
        assert requests.post(url, json={"text": f"note {n}"}).status_code == 200
    assert len(sb.slack.ephemeral_for(ALICE)) == 5
    refused = requests.post(url, json={"text": "a sixth"})
    assert refused.status_code == 404 and refused.json()["error"] == "expired_url"


def test_a_command_nobody_acknowledges_fails_and_is_not_retried(sb: Sandbox, app: App) -> None:
    app.answer = lambda request: None
    socket_mode(sb).ack_timeout = 0.3  # the 3 s are tested with events; here only the effect
    payload = sb.slack.slash_command(ALICE, channel_id(sb), "/incident", "status")
    eventually(lambda: sb.slack.commands_failed)
    assert sb.slack.commands_failed == [payload]
    time.sleep(0.2)
    assert [r.retry_attempt for r in app.of("slash_commands")] == [0]


# ---------------------------------------------------------------- buttons and modals


def test_a_click_opens_a_modal_whose_submission_is_refused_then_accepted(
    sb: Sandbox, app: App
) -> None:
    posted = bot(sb).chat_postMessage(channel=channel_id(sb), text="Incident", blocks=BUTTON_BLOCKS)
    opened: list[dict[str, Any]] = []
    first_submission = threading.Event()

    def answer(request: SocketModeRequest) -> dict[str, Any] | None:
        kind = request.payload.get("type")
        if kind == "block_actions":
            view = bot(sb).views_open(trigger_id=request.payload["trigger_id"], view=MODAL)
            opened.append(view["view"])
            return {}
        if kind == "view_submission" and not first_submission.is_set():
            first_submission.set()
            return {"response_action": "errors", "errors": {"title": "Say what is broken"}}
        return {}

    app.answer = answer
    payload = sb.slack.click(ALICE, channel_id(sb), posted["ts"], "take_lead")
    assert payload["actions"][0]["block_id"] == "lead"
    assert payload["actions"][0]["value"] == "42"
    assert payload["container"]["message_ts"] == posted["ts"]
    assert payload["message"]["ts"] == posted["ts"] and payload["response_url"]
    view = eventually(lambda: opened)[0]
    assert view["callback_id"] == "declare" and view["private_metadata"] == '{"issue": 42}'
    assert [v["id"] for v in sb.slack.open_views(ALICE)] == [view["id"]]

    values = {"title": {"value": {"type": "plain_text_input", "value": ""}}}
    submitted = sb.slack.submit_view(ALICE, view["id"], values)
    assert submitted["view"]["state"]["values"] == values
    assert submitted["view"]["callback_id"] == "declare"
    eventually(lambda: sb.slack.open_views(ALICE)[0]["errors"])
    assert sb.slack.open_views(ALICE)[0]["errors"] == {"title": "Say what is broken"}

    values["title"]["value"]["value"] = "API down"
    sb.slack.submit_view(ALICE, view["id"], values)
    eventually(lambda: sb.slack.open_views(ALICE) == [])
    with pytest.raises(ValueError):
        sb.slack.click(ALICE, channel_id(sb), posted["ts"], "no_such_button")


def test_a_click_answered_through_response_url_replaces_the_message(sb: Sandbox, app: App) -> None:
    posted = bot(sb).chat_postMessage(channel=channel_id(sb), text="Incident", blocks=BUTTON_BLOCKS)
    payload = sb.slack.click(ALICE, channel_id(sb), posted["ts"], "take_lead")
    answer = requests.post(
        payload["response_url"], json={"replace_original": True, "text": "Alice leads"}
    )
    assert answer.status_code == 200
    message = [m for m in sb.slack.messages(channel_id(sb)) if m["ts"] == posted["ts"]][0]
    assert message["text"] == "Alice leads" and "blocks" not in message


def test_update_and_clear_response_actions(sb: Sandbox, app: App) -> None:
    replies: list[dict[str, Any]] = [
        {"response_action": "update", "view": {**MODAL, "callback_id": "step2"}},
        {"response_action": "push", "view": {**MODAL, "callback_id": "step3"}},
        {"response_action": "clear"},
    ]
    app.answer = lambda request: replies.pop(0) if request.type == "interactive" else {}
    payload = sb.slack.slash_command(ALICE, channel_id(sb), "/incident", "declare")
    view = bot(sb).views_open(trigger_id=payload["trigger_id"], view=MODAL)["view"]
    sb.slack.submit_view(ALICE, view["id"], {})
    eventually(lambda: sb.slack.open_views(ALICE)[0]["callback_id"] == "step2")
    sb.slack.submit_view(ALICE, view["id"], {})
    eventually(lambda: len(sb.slack.open_views(ALICE)) == 2)
    assert sb.slack.open_views(ALICE)[1]["previous_view_id"] == view["id"]
    sb.slack.submit_view(ALICE, view["id"], {})
    eventually(lambda: sb.slack.open_views(ALICE) == [])


def test_acknowledgements_slack_would_refuse_change_nothing(sb: Sandbox, app: App) -> None:
    bad_title = {**MODAL, "title": {"type": "plain_text", "text": "x" * 25}}
    replies: list[dict[str, Any]] = [
        {"text": "", "blocks": [{"type": "section"}]},  # the slash command's reply
        {"response_action": "update", "view": bad_title},  # the submission's
    ]
    app.answer = lambda request: replies.pop(0) if request.type != "events_api" else {}
    payload = sb.slack.slash_command(ALICE, channel_id(sb), "/incident", "declare")
    view = bot(sb).views_open(trigger_id=payload["trigger_id"], view=MODAL)["view"]
    eventually(lambda: sb.slack.refused_replies)
    sb.slack.submit_view(ALICE, view["id"], {})
    eventually(lambda: len(sb.slack.refused_replies) == 2)
    assert [r["error"] for r in sb.slack.refused_replies] == ["invalid_blocks", "invalid_arguments"]
    assert sb.slack.ephemeral_for(ALICE) == []
    assert [v["title"] for v in sb.slack.open_views(ALICE)] == [MODAL["title"]]


# ---------------------------------------------------------------- trigger ids and views


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 6, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


def test_trigger_ids_expire_after_3_seconds_and_are_used_once() -> None:
    clock = Clock()
    with Sandbox(clock=clock) as sandbox:
        sl = sandbox.slack
        sl.add_user(ALICE, name="alice")
        channel = sl.add_channel("wc-platform", members=[ALICE])
        client = bot(sandbox)

        def views_open(trigger_id: str) -> str:
            try:
                client.views_open(trigger_id=trigger_id, view=MODAL)
            except SlackApiError as err:
                return str(err.response["error"])
            return "ok"

        # Nobody is connected: the command still gives a trigger (the person sees it fail).
        fresh = sl.slash_command(ALICE, channel, "/incident")["trigger_id"]
        clock.now += timedelta(seconds=2.9)
        assert views_open(fresh) == "ok"
        assert views_open(fresh) == "exchanged_trigger_id"
        late = sl.slash_command(ALICE, channel, "/incident")["trigger_id"]
        clock.now += timedelta(seconds=3.1)
        assert views_open(late) == "expired_trigger_id"
        assert views_open("123.456.abcdef") == "invalid_trigger_id"
        assert len(socket_mode(sandbox).undelivered) == 2
        assert sandbox.violations == []


def test_views_are_checked_like_slack_checks_them(sb: Sandbox) -> None:
    client = bot(sb)

    def refused(view: dict[str, Any]) -> list[str]:
        trigger = sb.slack.slash_command(ALICE, channel_id(sb), "/incident")["trigger_id"]
        with pytest.raises(SlackApiError) as err:
            client.views_open(trigger_id=trigger, view=view)
        assert err.value.response["error"] == "invalid_arguments"
        return list(err.value.response["response_metadata"]["messages"])

    long_title = {**MODAL, "title": {"type": "plain_text", "text": "x" * 25}}
    assert refused(long_title) == [
        "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"
    ]
    many = {**MODAL, "blocks": [{"type": "divider"}] * 101}
    assert refused(many) == ["[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]"]
    secret = {**MODAL, "private_metadata": "x" * 3001}
    assert "private_metadata" in refused(secret)[0]
    no_submit = {k: v for k, v in MODAL.items() if k != "submit"}
    assert "submit" in refused(no_submit)[0]
    assert "/view/type" in refused({**MODAL, "type": "home"})[0]
    hundred = {**MODAL, "blocks": [{"type": "divider"}] * 100}
    trigger = sb.slack.slash_command(ALICE, channel_id(sb), "/incident")["trigger_id"]
    view = client.views_open(trigger_id=trigger, view=hundred)["view"]

    # views.update: by id, with the hash of the version it changes.
    updated = client.views_update(view_id=view["id"], view=MODAL, hash=view["hash"])["view"]
    assert updated["id"] == view["id"] and updated["hash"] != view["hash"]
    with pytest.raises(SlackApiError) as err:
        client.views_update(view_id=view["id"], view=MODAL, hash=view["hash"])
    assert err.value.response["error"] == "hash_conflict"
    with pytest.raises(SlackApiError) as err:
        client.views_update(view_id="V0NOPE", view=MODAL)
    assert err.value.response["error"] == "not_found"

    # views.publish: the Home tab, one per person.
    home = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hi"}}],
    }
    first = client.views_publish(user_id=ALICE, view=home)["view"]
    again = client.views_publish(user_id=ALICE, view=home, hash=first["hash"])["view"]
    assert again["id"] == first["id"] and again["type"] == "home"
    with pytest.raises(SlackApiError) as err:
        client.views_publish(user_id="U0NOBODY", view=home)
    assert err.value.response["error"] == "user_not_found"


def test_chat_update_only_the_bots_own_messages(sb: Sandbox) -> None:
    client, channel = bot(sb), channel_id(sb)
    posted = client.chat_postMessage(channel=channel, text="Incident #42: investigating")
    updated = client.chat_update(channel=channel, ts=posted["ts"], text="Incident #42: resolved")
    assert updated["text"] == "Incident #42: resolved" and updated["ts"] == posted["ts"]
    theirs = sb.slack.post_as_user(channel, ALICE, "mine")
    for ts, error in ((theirs, "cant_update_message"), ("1.000001", "message_not_found")):
        with pytest.raises(SlackApiError) as err:
            client.chat_update(channel=channel, ts=ts, text="changed")
        assert err.value.response["error"] == error
    client.chat_postEphemeral(channel=channel, user=ALICE, text="only you see this")
    assert [m["text"] for m in sb.slack.ephemeral_for(ALICE)] == ["only you see this"]
    assert sb.slack.ephemeral_for("U0BOB") == []


def test_close_stops_every_socket_mode_thread(sb: Sandbox) -> None:
    app = App(sb)
    app.connect()
    app.close()
    before = {t.name for t in threading.enumerate() if t.name.startswith("sandbox-socket")}
    assert before  # the accept and watch threads run while the sandbox does
    sb.close()
    left = [t for t in threading.enumerate() if t.name.startswith("sandbox-socket")]
    assert left == []
