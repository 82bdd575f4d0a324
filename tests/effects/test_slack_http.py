"""SlackRoom over real HTTP against a scripted Slack API server on loopback.

Each test also checks that the bot token never shows up in an exception, a log line, a
logging record or captured stdout/stderr.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from incident_tool.effects.slack import SlackError, SlackRoom

try:
    from slack_server import BOT_USER_ID, TOKEN, Recorded, Reply, SlackServer, error, ok
except ImportError:  # tests/ imported as a package
    from tests.slack_server import BOT_USER_ID, TOKEN, Recorded, Reply, SlackServer, error, ok


@pytest.fixture
def server() -> Iterator[SlackServer]:
    with SlackServer() as srv:
        yield srv


@pytest.fixture
def logs() -> list[str]:
    return []


@pytest.fixture
def room(server: SlackServer, logs: list[str]) -> SlackRoom:
    return SlackRoom(TOKEN, server.base_url, log=logs.append, max_retry_wait=5)


@pytest.fixture(autouse=True)
def no_token_anywhere(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, logs: list[str]
) -> Iterator[None]:
    # DEBUG makes slack-sdk log every request and response: the token must survive that too.
    caplog.set_level(logging.DEBUG)
    yield
    out, err = capfd.readouterr()
    assert TOKEN not in out
    assert TOKEN not in err
    assert all(TOKEN not in line for line in logs)
    assert all(TOKEN not in record.getMessage() for record in caplog.records)


def assert_clear(exc: SlackError, method: str, code: str) -> None:
    """Check a SlackError names the method and code on one line and hides the token."""
    assert exc.method == method
    assert exc.error == code
    text = str(exc)
    assert method in text and code in text
    assert "\n" not in text
    for shown in (text, repr(exc), repr(exc.args), str(exc.response), str(exc.detail)):
        assert TOKEN not in shown
        assert "SECRET" not in shown
    cause = exc.__cause__ or exc.__context__
    while cause is not None:
        assert TOKEN not in str(cause)
        cause = cause.__cause__ or cause.__context__


# -- channels ------------------------------------------------------------------------------------


def test_create_channel_skips_taken_names(server: SlackServer, room: SlackRoom) -> None:
    taken = {"incident-42-db-down", "incident-42-db-down-2"}

    def create(req: Recorded) -> dict:
        name = req.params["name"]
        if name in taken:
            return error("name_taken")
        return ok(channel={"id": "C0NEW", "name": name, "is_private": True})

    server.always("conversations.create", create)
    assert room.create_channel("incident-42-db-down", private=True) == (
        "C0NEW",
        "incident-42-db-down-3",
    )
    sent = [(r.params["name"], r.params["is_private"]) for r in server.calls()]
    assert sent == [
        ("incident-42-db-down", "1"),
        ("incident-42-db-down-2", "1"),
        ("incident-42-db-down-3", "1"),
    ]
    # The new channel is findable by name without listing channels.
    assert room.find_channel("#incident-42-db-down-3") == "C0NEW"
    assert server.calls("conversations.list") == []


def test_archived_channel_holding_the_name(server: SlackServer, room: SlackRoom) -> None:
    # Slack answers name_taken for a name held by an archived channel, too.
    server.script(
        "conversations.create",
        error("name_taken"),
        ok(channel={"id": "C0NEXT", "name": "incident-7-x-2"}),
    )
    server.always("conversations.list", ok(channels=[], response_metadata={"next_cursor": ""}))
    assert room.find_channel("incident-7-x") is None  # archived channels are excluded
    assert room.create_channel("incident-7-x", private=False) == ("C0NEXT", "incident-7-x-2")
    listed = server.calls("conversations.list")[0].params
    assert listed["exclude_archived"] == "1"


def test_create_channel_gives_up_after_20_names(server: SlackServer, room: SlackRoom) -> None:
    server.always("conversations.create", error("name_taken"))
    name = "incident-1-" + "a" * 69
    with pytest.raises(SlackError) as info:
        room.create_channel(name, private=False)
    assert_clear(info.value, "conversations.create", "name_taken")
    names = [r.params["name"] for r in server.calls("conversations.create")]
    assert len(names) == 20
    assert names[0] == name
    assert names[-1].endswith("-20")
    assert all(len(n) <= 80 for n in names)


def test_channel_not_found(server: SlackServer, room: SlackRoom) -> None:
    server.always("conversations.info", error("channel_not_found"))
    server.always("chat.postMessage", error("channel_not_found"))
    assert room.channel_info("C0GONE") is None
    with pytest.raises(SlackError) as info:
        room.post("C0GONE", "hello")
    assert_clear(info.value, "chat.postMessage", "channel_not_found")
    assert "does not exist" in str(info.value)


def test_find_channel_pages_and_caches(server: SlackServer, room: SlackRoom) -> None:
    server.script(
        "conversations.list",
        ok(
            channels=[{"id": "C0001", "name": "general"}],
            response_metadata={"next_cursor": "page2"},
        ),
        ok(
            channels=[{"id": "C0002", "name": "wc-platform"}],
            response_metadata={"next_cursor": "page3"},
        ),
        ok(channels=[{"id": "G0003", "name": "secret"}], response_metadata={"next_cursor": ""}),
    )
    assert room.find_channel("#wc-platform") == "C0002"
    assert room.find_channel("general") == "C0001"
    assert room.find_channel("GENERAL") == "C0001"  # all caps without digits is a name
    assert room.find_channel("C0123ABC") == "C0123ABC"
    assert room.find_channel("G0123ABC") == "G0123ABC"
    assert room.find_channel("secret") == "G0003"
    assert room.find_channel("nowhere") is None
    assert room.find_channel("nowhere-else") is None
    pages = server.calls("conversations.list")
    assert [p.params.get("cursor") for p in pages] == [None, "page2", "page3"]
    assert all(p.params["limit"] == "200" for p in pages)
    assert pages[0].params["types"] == "public_channel,private_channel"


def test_not_in_channel_joins_then_posts(server: SlackServer, room: SlackRoom) -> None:
    server.script("chat.postMessage", error("not_in_channel"), ok(channel="C0PUB", ts="17.01"))
    server.script("conversations.join", ok(channel={"id": "C0PUB"}))
    assert room.post("C0PUB", "Incident declared") == "17.01"
    assert [r.method for r in server.calls()] == [
        "chat.postMessage",
        "conversations.join",
        "chat.postMessage",
    ]


def test_not_in_private_channel_raises_the_original_error(
    server: SlackServer, room: SlackRoom
) -> None:
    server.always("chat.postMessage", error("not_in_channel"))
    server.always("conversations.join", error("method_not_supported_for_channel_type"))
    with pytest.raises(SlackError) as info:
        room.post("G0PRIV", "hello")
    assert_clear(info.value, "chat.postMessage", "not_in_channel")
    assert len(server.calls("chat.postMessage")) == 1  # no second post without a join


def test_topic_and_purpose_are_cut_to_250(server: SlackServer, room: SlackRoom) -> None:
    server.always("conversations.setTopic", ok(channel={"id": "C1"}))
    server.always("conversations.setPurpose", ok(channel={"id": "C1"}))
    room.set_topic("C1", "Declared · lead @dev · " + "&amp;" * 100)
    room.set_purpose("C1", "p" * 400)
    topic = server.calls("conversations.setTopic")[0].params["topic"]
    purpose = server.calls("conversations.setPurpose")[0].params["purpose"]
    assert len(topic) <= 250 and topic.endswith("…")
    assert topic[:-1].endswith("&amp;")  # no half entity before the ellipsis
    assert len(purpose) == 250


# -- invitations ---------------------------------------------------------------------------------


def test_invite_retries_without_failing_users(
    server: SlackServer, room: SlackRoom, logs: list[str]
) -> None:
    server.script(
        "conversations.invite",
        error(
            "already_in_channel",
            errors=[
                {"user": "U0IN", "ok": False, "error": "already_in_channel"},
                {"user": "U0GONE", "ok": False, "error": "user_not_found"},
            ],
        ),
        error("cant_invite", errors=[{"user": "U0GUEST", "ok": False, "error": "cant_invite"}]),
        ok(channel={"id": "C1"}),
    )
    room.auth_check()
    got = room.invite("C1", ["U0IN", "U0NEW", "", "U0GONE", "U0NEW", BOT_USER_ID, "U0GUEST"])
    assert got == ["U0IN", "U0NEW"]
    sent = [r.params["users"] for r in server.calls("conversations.invite")]
    assert sent == ["U0IN,U0NEW,U0GONE,U0GUEST", "U0NEW,U0GUEST", "U0NEW"]
    assert any("U0GONE" in line and "user_not_found" in line for line in logs)
    assert any("U0GUEST" in line and "cant_invite" in line for line in logs)


def test_invite_single_user_already_in_channel(server: SlackServer, room: SlackRoom) -> None:
    server.script("conversations.invite", error("already_in_channel"))
    assert room.invite("C1", ["U0IN"]) == ["U0IN"]


def test_invite_without_per_user_detail_goes_one_by_one(
    server: SlackServer, room: SlackRoom
) -> None:
    server.script(
        "conversations.invite",
        error("user_not_found"),
        ok(channel={"id": "C1"}),
        error("user_not_found"),
    )
    assert room.invite("C1", ["U0A", "U0B"]) == ["U0A"]
    sent = [r.params["users"] for r in server.calls("conversations.invite")]
    assert sent == ["U0A,U0B", "U0A", "U0B"]


def test_invite_channel_error_raises(server: SlackServer, room: SlackRoom) -> None:
    server.always("conversations.invite", error("is_archived"))
    with pytest.raises(SlackError) as info:
        room.invite("C1", ["U0A"])
    assert_clear(info.value, "conversations.invite", "is_archived")


def test_invite_nobody_makes_no_invite_call(server: SlackServer, room: SlackRoom) -> None:
    room.auth_check()  # the bot's id is known: it is skipped
    assert room.invite("C1", ["", BOT_USER_ID]) == []
    assert server.calls("conversations.invite") == []


def test_invite_does_not_ask_auth_test(server: SlackServer, room: SlackRoom) -> None:
    """A run that only invites people spends no call on finding the bot's own id."""
    server.script("conversations.invite", ok(channel={"id": "C1"}))
    assert room.invite("C1", ["U0NEW"]) == ["U0NEW"]
    assert server.calls("auth.test") == []


# -- rate limits, auth and transport -------------------------------------------------------------


def test_rate_limit_waits_retry_after_then_succeeds(
    server: SlackServer, room: SlackRoom, logs: list[str]
) -> None:
    server.script(
        "chat.postMessage",
        Reply(error("ratelimited"), status=429, headers={"Retry-After": "1"}),
        ok(channel="C1", ts="99.1"),
    )
    assert room.post("C1", "update") == "99.1"
    first, second = server.calls("chat.postMessage")
    waited = second.at - first.at
    # slack-sdk sleeps Retry-After plus up to one second of jitter.
    assert 1.0 <= waited < 5  # Retry-After 1 s, plus slack-sdk's random 0-1 s, plus a busy machine
    assert any("rate limit" in line for line in logs)


def test_rate_limit_longer_than_allowed_fails_at_once(server: SlackServer, room: SlackRoom) -> None:
    server.always(
        "chat.postMessage", Reply(error("ratelimited"), status=429, headers={"Retry-After": "600"})
    )
    started = time.monotonic()
    with pytest.raises(SlackError) as info:
        room.post("C1", "update")
    assert time.monotonic() - started < 3  # no 600 s wait (the margin is for a busy machine)
    assert_clear(info.value, "chat.postMessage", "ratelimited")
    assert "600" in str(info.value)
    assert len(server.calls("chat.postMessage")) == 1


def test_invalid_token_is_a_clear_error() -> None:
    with SlackServer(token="xoxb-the-right-one") as srv:
        room = SlackRoom(TOKEN, srv.base_url, log=lambda _line: None)
        with pytest.raises(SlackError) as info:
            room.auth_check()
    assert_clear(info.value, "auth.test", "invalid_auth")
    assert "SLACK_BOT_TOKEN" in str(info.value)


def test_auth_check_is_cached(server: SlackServer, room: SlackRoom) -> None:
    assert room.auth_check() == BOT_USER_ID
    assert room.auth_check() == BOT_USER_ID
    assert len(server.calls("auth.test")) == 1
    assert server.calls("auth.test")[0].headers["authorization"] == f"Bearer {TOKEN}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connection_refused_is_connection_error(
    monkeypatch: pytest.MonkeyPatch, logs: list[str]
) -> None:
    sleeps: list[float] = []
    # Record the back-off instead of waiting it out; the count shows two retries happened.
    monkeypatch.setattr(time, "sleep", sleeps.append)
    room = SlackRoom(TOKEN, f"http://127.0.0.1:{_free_port()}/api/", log=logs.append)
    with pytest.raises(SlackError) as info:
        room.post("C1", "hello")
    assert_clear(info.value, "chat.postMessage", "connection_error")
    assert "127.0.0.1" in str(info.value)
    assert len(sleeps) == 2


def test_dropped_connections_are_retried_twice(
    server: SlackServer, room: SlackRoom, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(time, "sleep", lambda _seconds: None)
    server.always("users.lookupByEmail", Reply(drop=True))
    with pytest.raises(SlackError) as info:
        room.lookup_email("dev@example.org")
    assert_clear(info.value, "users.lookupByEmail", "connection_error")
    assert len(server.calls("users.lookupByEmail")) == 3


def test_server_errors_are_not_retried(server: SlackServer, room: SlackRoom) -> None:
    server.always("chat.postMessage", Reply(status=503, raw=b"<html>upstream down</html>"))
    with pytest.raises(SlackError) as info:
        room.post("C1", "hello")
    assert_clear(info.value, "chat.postMessage", "http_503")
    assert len(server.calls("chat.postMessage")) == 1  # a retry might post twice


def test_broken_json_is_invalid_response(server: SlackServer, room: SlackRoom) -> None:
    server.always("conversations.info", Reply(raw=b"{not json"))
    with pytest.raises(SlackError) as info:
        room.channel_info("C1")
    assert_clear(info.value, "conversations.info", "invalid_response")


def test_unexpected_shape_is_invalid_response(server: SlackServer, room: SlackRoom) -> None:
    server.always("chat.postMessage", ok(channel="C1"))  # no ts
    with pytest.raises(SlackError) as info:
        room.post("C1", "hello")
    assert_clear(info.value, "chat.postMessage", "invalid_response")


def test_missing_scope_names_the_scope(server: SlackServer, room: SlackRoom) -> None:
    server.always(
        "conversations.create", error("missing_scope", needed="groups:write", provided="chat:write")
    )
    with pytest.raises(SlackError) as info:
        room.create_channel("incident-1", private=True)
    assert_clear(info.value, "conversations.create", "missing_scope")
    assert "groups:write" in str(info.value)


# -- people and messages -------------------------------------------------------------------------


def test_presence_failure_counts_as_unknown(
    server: SlackServer, room: SlackRoom, logs: list[str]
) -> None:
    server.script("users.getPresence", ok(presence="away"), error("user_not_found"))
    server.always("users.getPresence", Reply(status=500, raw=b"oops"))
    assert room.presence("U0AWAY") == "away"
    assert room.presence("U0GONE") is None
    assert room.presence("U0ANY") is None
    assert len(logs) == 2


def test_lookup_email_and_user_name_are_cached(server: SlackServer, room: SlackRoom) -> None:
    server.script("users.lookupByEmail", ok(user={"id": "U0DEV"}), error("users_not_found"))
    server.script(
        "users.info",
        ok(user={"id": "U0DEV", "name": "dev", "profile": {"display_name": "", "real_name": "D"}}),
        error("user_not_found"),
    )
    assert room.lookup_email("Dev@Example.org") == "U0DEV"
    assert room.lookup_email("dev@example.org ") == "U0DEV"
    assert room.lookup_email("nobody@example.org") is None
    assert room.lookup_email("nobody@example.org") is None
    assert room.user_name("U0DEV") == "D"
    assert room.user_name("U0DEV") == "D"
    assert room.user_name("U0GONE") is None
    assert len(server.calls("users.lookupByEmail")) == 2
    assert len(server.calls("users.info")) == 2


def test_dm_posts_to_the_user_id(server: SlackServer, room: SlackRoom) -> None:
    server.always("chat.postMessage", ok(channel="D0DM", ts="5.5"))
    assert room.dm("U0DM", "You were asked to help") == "5.5"
    sent = server.calls("chat.postMessage")[0].params
    assert sent["channel"] == "U0DM"
    assert server.calls("conversations.join") == []


def test_permalink(server: SlackServer, room: SlackRoom) -> None:
    server.script(
        "chat.getPermalink",
        ok(channel="C1", permalink="https://example.slack.com/archives/C1/p1"),
        error("message_not_found"),
    )
    assert room.permalink("C1", "1.1") == "https://example.slack.com/archives/C1/p1"
    assert room.permalink("C1", "2.2") is None
    assert server.calls("chat.getPermalink")[0].params == {"channel": "C1", "message_ts": "1.1"}


def test_history_limit_total(server: SlackServer, room: SlackRoom) -> None:
    def page(req: Recorded) -> dict:
        start = int(req.params.get("cursor") or 1000)
        messages = [
            {"type": "message", "user": "U1", "text": f"m{n}", "ts": f"{n}.000100"}
            for n in range(start, start - 200, -1)
        ]
        return ok(
            messages=messages, has_more=True, response_metadata={"next_cursor": str(start - 200)}
        )

    server.always("conversations.history", page)
    got = room.history("C1", limit_total=450)
    assert len(got) == 450
    assert got[0].ts == "551.000100" and got[-1].ts == "1000.000100"
    assert len(server.calls("conversations.history")) == 3


def test_repr_hides_the_token(server: SlackServer, room: SlackRoom) -> None:
    assert TOKEN not in repr(room)
    assert TOKEN not in str(vars(room).get("_log"))


def test_importing_the_module_does_not_import_slack_sdk() -> None:
    code = "import sys, incident_tool.effects.slack; assert 'slack_sdk' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


def test_from_env(monkeypatch: pytest.MonkeyPatch, server: SlackServer) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    assert SlackRoom.from_env() is None
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_API_URL", server.base_url)
    room = SlackRoom.from_env(log=lambda _line: None)
    assert room is not None
    assert room.auth_check() == BOT_USER_ID
