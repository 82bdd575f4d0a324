"""The sandboxed Slack workspace, exercised through real slack-sdk WebClient."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from incident_sandbox import Sandbox


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """A sandbox with three people and an announce channel."""
    with Sandbox() as sandbox:
        sl = sandbox.slack
        sl.add_user("U0ALICE", name="alice", real_name="Alice", email="alice@example.org")
        sl.add_user("U0BOB", name="bob", real_name="Bob", email="Bob@Example.org", presence="away")
        sl.add_user("U0CAROL", name="carol", real_name="Carol", dnd=True)
        sl.add_channel("wc-platform", members=["U0ALICE"])
        yield sandbox
        assert sandbox.violations == []


def web(sb: Sandbox, **kwargs: object) -> WebClient:
    """slack-sdk client with the bot token."""
    return WebClient(token=sb.slack.bot_token, base_url=sb.slack_url, **kwargs)  # type: ignore[arg-type]


def test_auth_test(sb: Sandbox) -> None:
    answer = web(sb).auth_test()
    assert answer["user_id"] == sb.slack.bot_user_id and answer["bot_id"]
    with pytest.raises(SlackApiError) as err:
        WebClient(token="xoxb-wrong", base_url=sb.slack_url).auth_test()
    assert err.value.response["error"] == "invalid_auth"
    raw = requests.post(f"{sb.slack_url}auth.test", timeout=5)
    assert raw.status_code == 200 and raw.json() == {"ok": False, "error": "not_authed"}


def test_create_channel_and_name_rules(sb: Sandbox) -> None:
    client = web(sb)
    created = client.conversations_create(name="incident-12-db-down")["channel"]
    assert created["is_member"] and not created["is_private"]
    assert sb.slack.members(created["id"]) == [sb.slack.bot_user_id]
    private = client.conversations_create(name="incident-13", is_private=True)["channel"]
    assert private["is_private"] is True

    for name, error in [
        ("Incident-1", "invalid_name_specials"),
        ("has space", "invalid_name_specials"),
        ("x" * 81, "invalid_name_maxlength"),
        ("---", "invalid_name_punctuation"),
        ("incident-12-db-down", "name_taken"),
    ]:
        with pytest.raises(SlackApiError) as err:
            client.conversations_create(name=name)
        assert err.value.response["error"] == error, name
    assert client.conversations_create(name="x" * 80)["ok"]

    client.conversations_archive(channel=created["id"])
    with pytest.raises(SlackApiError) as err:
        client.conversations_create(name="incident-12-db-down")  # archived names stay taken
    assert err.value.response["error"] == "name_taken"
    with pytest.raises(SlackApiError) as err:
        client.conversations_archive(channel=created["id"])
    assert err.value.response["error"] == "already_archived"


def test_post_message_rules(sb: Sandbox) -> None:
    client = web(sb)
    announce = sb.slack.channel_by_name("wc-platform")
    assert announce is not None
    posted = client.chat_postMessage(
        channel=announce["id"],
        text="hello",
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "*hello*"}}],
    )
    assert posted["channel"] == announce["id"]
    by_name = client.chat_postMessage(channel="#wc-platform", text="by name")
    assert float(by_name["ts"]) > float(posted["ts"])
    messages = sb.slack.messages(announce["id"])
    assert [m["text"] for m in messages] == ["hello", "by name"]
    assert messages[0]["blocks"][0]["text"]["text"] == "*hello*"

    outside = sb.slack.add_channel("random", members=["U0ALICE"], bot_member=False)
    archived = sb.slack.add_channel("old", is_archived=True)
    secret = sb.slack.add_channel("secret", is_private=True, members=["U0ALICE"], bot_member=False)
    for channel, error in [
        (outside, "not_in_channel"),
        (archived, "is_archived"),
        ("C0NOPE", "channel_not_found"),
        (secret, "channel_not_found"),
    ]:
        with pytest.raises(SlackApiError) as err:
            client.chat_postMessage(channel=channel, text="x")
        assert err.value.response["error"] == error
    with pytest.raises(SlackApiError) as err, pytest.warns(UserWarning):
        client.chat_postMessage(channel=announce["id"], text="")
    assert err.value.response["error"] == "no_text"
    client.conversations_join(channel=outside)
    assert client.chat_postMessage(channel=outside, text="joined")["ok"]


def test_update_permalink_pin_react(sb: Sandbox) -> None:
    client = web(sb)
    channel = client.conversations_create(name="incident-1")["channel"]["id"]
    ts = client.chat_postMessage(channel=channel, text="status: declared")["ts"]
    updated = client.chat_update(channel=channel, ts=ts, text="status: mitigated")
    assert updated["text"] == "status: mitigated"
    assert sb.slack.messages(channel)[-1]["text"] == "status: mitigated"
    link = client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"]
    assert link.endswith(f"/archives/{channel}/p{ts.replace('.', '')}")
    client.pins_add(channel=channel, timestamp=ts)
    with pytest.raises(SlackApiError) as err:
        client.pins_add(channel=channel, timestamp=ts)
    assert err.value.response["error"] == "already_pinned"
    client.reactions_add(channel=channel, name="eyes", timestamp=ts)
    with pytest.raises(SlackApiError) as err:
        client.reactions_add(channel=channel, name="eyes", timestamp=ts)
    assert err.value.response["error"] == "already_reacted"
    sb.slack.add_channel("talk", members=["U0ALICE"])
    talk = sb.slack.channel_by_name("talk")
    assert talk is not None
    human = sb.slack.post_as_user(talk["id"], "U0ALICE", "mine")
    with pytest.raises(SlackApiError) as err:
        client.chat_update(channel=talk["id"], ts=human, text="not yours")
    assert err.value.response["error"] == "cant_update_message"
    with pytest.raises(SlackApiError) as err:
        client.chat_update(channel=channel, ts="1.000001", text="?")
    assert err.value.response["error"] == "message_not_found"


def test_a_refused_chat_update_changes_nothing(sb: Sandbox) -> None:
    client = web(sb)
    channel = client.conversations_create(name="incident-3")["channel"]["id"]
    ts = client.chat_postMessage(channel=channel, text="status: declared")["ts"]
    for kwargs, error in (
        ({"text": "", "blocks": []}, "no_text"),
        ({"text": "x" * 40001}, "msg_too_long"),
    ):
        with pytest.raises(SlackApiError) as err, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # slack-sdk warns of a missing text
            client.chat_update(channel=channel, ts=ts, **kwargs)
        assert err.value.response["error"] == error
        assert sb.slack.messages(channel)[-1]["text"] == "status: declared"
        assert "edited" not in sb.slack.messages(channel)[-1]
    # A field left out is kept: new blocks, the same text.
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*declared*"}}]
    with pytest.warns(UserWarning):  # slack-sdk asks for a text beside blocks
        client.chat_update(channel=channel, ts=ts, blocks=blocks)
    message = sb.slack.messages(channel)[-1]
    assert message["text"] == "status: declared" and message["blocks"] == blocks


def test_topic_purpose_invite(sb: Sandbox) -> None:
    client = web(sb)
    channel = client.conversations_create(name="incident-2")["channel"]["id"]
    topic = client.conversations_setTopic(channel=channel, topic="declared | lead: alice")
    assert topic["channel"]["topic"]["value"] == "declared | lead: alice"
    client.conversations_setPurpose(channel=channel, purpose="Incident #2")
    with pytest.raises(SlackApiError) as err:
        client.conversations_setTopic(channel=channel, topic="x" * 251)
    assert err.value.response["error"] == "too_long"

    client.conversations_invite(channel=channel, users=["U0ALICE", "U0BOB"])
    assert sb.slack.members(channel) == [sb.slack.bot_user_id, "U0ALICE", "U0BOB"]
    with pytest.raises(SlackApiError) as err:
        client.conversations_invite(channel=channel, users=["U0CAROL", "U0ALICE"])
    response = err.value.response
    assert response["error"] == "already_in_channel"
    assert response["errors"] == [{"user": "U0ALICE", "ok": False, "error": "already_in_channel"}]
    assert "U0CAROL" not in sb.slack.members(channel)  # all or nothing
    with pytest.raises(SlackApiError) as err:
        client.conversations_invite(channel=channel, users="U0GHOST")
    assert err.value.response["error"] == "user_not_found"
    with pytest.raises(SlackApiError) as err:
        client.conversations_invite(channel=channel, users=sb.slack.bot_user_id)
    assert err.value.response["error"] == "cant_invite_self"
    system = sb.slack.messages(channel, include_system=True)
    assert {m.get("subtype") for m in system} >= {"channel_join", "channel_topic"}
    assert sb.slack.messages(channel) == []


def test_history_pagination_newest_first(sb: Sandbox) -> None:
    client = web(sb)
    channel = client.conversations_create(name="incident-3")["channel"]["id"]
    for i in range(25):
        client.chat_postMessage(channel=channel, text=f"m{i}")
    first = client.conversations_history(channel=channel, limit=10)
    assert [m["text"] for m in first["messages"]][:2] == ["m24", "m23"]
    assert first["has_more"] is True
    seen = []
    cursor = None
    while True:
        page = client.conversations_history(channel=channel, limit=10, cursor=cursor)
        seen.extend(m["text"] for m in page["messages"] if "subtype" not in m)
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    assert seen == [f"m{i}" for i in reversed(range(25))]
    texts = [
        m["text"]
        for page in client.conversations_history(channel=channel, limit=7)
        for m in page["messages"]
        if "subtype" not in m
    ]
    assert len(texts) == 25  # slack-sdk's own pagination follows next_cursor
    outside = sb.slack.add_channel("quiet", bot_member=False, members=["U0ALICE"])
    with pytest.raises(SlackApiError) as err:
        client.conversations_history(channel=outside)
    assert err.value.response["error"] == "not_in_channel"


def test_conversations_list_and_info(sb: Sandbox) -> None:
    client = web(sb)
    for i in range(5):
        client.conversations_create(name=f"incident-{i}")
    client.conversations_create(name="incident-private", is_private=True)
    sb.slack.add_channel("hidden", is_private=True, members=["U0ALICE"], bot_member=False)
    archived = client.conversations_create(name="incident-old")["channel"]["id"]
    client.conversations_archive(channel=archived)
    names = [
        c["name"]
        for page in client.conversations_list(limit=2, types="public_channel,private_channel")
        for c in page["channels"]
    ]
    assert names == ["wc-platform"] + [f"incident-{i}" for i in range(5)] + [
        "incident-private",
        "incident-old",
    ]
    public = [c["name"] for c in client.conversations_list(exclude_archived=True)["channels"]]
    assert "incident-old" not in public and "incident-private" not in public
    info = client.conversations_info(channel=archived)["channel"]
    assert info["is_archived"] is True and info["name"] == "incident-old"


def test_direct_messages(sb: Sandbox) -> None:
    client = web(sb)
    answer = client.chat_postMessage(channel="U0ALICE", text="please confirm")
    assert answer["channel"].startswith("D")
    client.chat_postMessage(channel="U0ALICE", text="again")
    assert [m["text"] for m in sb.slack.dms("U0ALICE")] == ["please confirm", "again"]
    assert sb.slack.dms("U0BOB") == []
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="U0GHOST", text="x")
    assert err.value.response["error"] == "channel_not_found"


def test_users(sb: Sandbox) -> None:
    client = web(sb)
    assert client.users_lookupByEmail(email="bob@example.org")["user"]["id"] == "U0BOB"
    with pytest.raises(SlackApiError) as err:
        client.users_lookupByEmail(email="nobody@example.org")
    assert err.value.response["error"] == "users_not_found"
    assert client.users_getPresence(user="U0BOB")["presence"] == "away"
    assert client.users_getPresence(user="U0ALICE")["presence"] == "active"
    sb.slack.set_presence("U0ALICE", "away")
    assert client.users_getPresence(user="U0ALICE")["presence"] == "away"
    info = client.users_info(user="U0ALICE")["user"]
    assert info["real_name"] == "Alice" and info["profile"]["email"] == "alice@example.org"
    assert client.users_profile_get(user="U0BOB")["profile"]["real_name"] == "Bob"
    with pytest.raises(SlackApiError) as err:
        client.users_info(user="U0GHOST")
    assert err.value.response["error"] == "user_not_found"
    assert client.dnd_info(user="U0CAROL")["dnd_enabled"] is True
    assert client.dnd_info(user="U0ALICE")["dnd_enabled"] is False


def test_rate_limit_fault_then_retry_succeeds(sb: Sandbox) -> None:
    channel = web(sb).conversations_create(name="incident-9")["channel"]["id"]
    sb.faults.add(service="slack", path=r"chat\.postMessage", status=429, retry_after=0)
    plain = web(sb)
    with pytest.raises(SlackApiError) as err:
        plain.chat_postMessage(channel=channel, text="x")
    assert err.value.response.status_code == 429
    assert err.value.response["error"] == "ratelimited"
    assert err.value.response.headers["retry-after"] == "0"
    assert sb.slack.messages(channel) == []  # a faulted call performs nothing

    sb.faults.add(service="slack", path=r"chat\.postMessage", status=429, retry_after=0)
    retrying = web(sb, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])
    started = time.monotonic()
    assert retrying.chat_postMessage(channel=channel, text="eventually")["ok"]
    assert time.monotonic() - started < 5
    assert [m["text"] for m in sb.slack.messages(channel)] == ["eventually"]
    assert sb.faults.injected == 2
    statuses = [r.status for r in sb.requests if r.path.endswith("chat.postMessage")]
    assert statuses == [429, 429, 200]


def test_slack_error_fault(sb: Sandbox) -> None:
    sb.faults.add(service="slack", path="conversations.create", slack_error="restricted_action")
    with pytest.raises(SlackApiError) as err:
        web(sb).conversations_create(name="incident-5")
    assert err.value.response["error"] == "restricted_action"
    assert sb.slack.channel_by_name("incident-5") is None
    assert web(sb).conversations_create(name="incident-5")["ok"]


def test_form_and_json_bodies(sb: Sandbox) -> None:
    headers = {"Authorization": f"Bearer {sb.slack.bot_token}"}
    form = requests.post(
        f"{sb.slack_url}conversations.create",
        data={"name": "incident-form"},
        headers=headers,
        timeout=5,
    )
    assert form.json()["ok"] is True
    channel = form.json()["channel"]["id"]
    blocks = '[{"type": "divider"}]'
    as_form = requests.post(
        f"{sb.slack_url}chat.postMessage",
        data={"channel": channel, "text": "t", "blocks": blocks},
        headers=headers,
        timeout=5,
    )
    assert as_form.json()["message"]["blocks"] == [{"type": "divider"}]
    as_json = requests.post(
        f"{sb.slack_url}chat.postMessage",
        json={"channel": channel, "text": "j"},
        headers=headers,
        timeout=5,
    )
    assert as_json.json()["ok"] is True
    in_query = requests.get(
        f"{sb.slack_url}conversations.info",
        params={"channel": channel, "token": sb.slack.bot_token},
        timeout=5,
    )
    assert in_query.json()["channel"]["name"] == "incident-form"


def test_profile_status_expires_as_slack_clears_it(sb: Sandbox) -> None:
    client = web(sb)
    now = int(time.time())
    sb.slack.set_status("U0ALICE", "On holiday", "palm_tree", now + 3600)
    profile = client.users_profile_get(user="U0ALICE")["profile"]
    assert (profile["status_text"], profile["status_emoji"], profile["status_expiration"]) == (
        "On holiday",
        ":palm_tree:",
        now + 3600,
    )
    sb.slack.set_status("U0ALICE", "Sick", ":face_with_thermometer:", now - 1)
    profile = client.users_profile_get(user="U0ALICE")["profile"]
    assert (profile["status_text"], profile["status_emoji"], profile["status_expiration"]) == (
        "",
        "",
        0,
    )


def test_dnd_info_shows_the_window_and_hides_another_users_snooze(sb: Sandbox) -> None:
    client = web(sb)
    now = int(time.time())
    sb.slack.set_dnd("U0ALICE", now - 60, now + 600)
    sb.slack.snooze("U0ALICE", 30)
    info = client.dnd_info(user="U0ALICE").data
    assert info["dnd_enabled"] is True
    assert (info["next_dnd_start_ts"], info["next_dnd_end_ts"]) == (now - 60, now + 600)
    assert not any(key.startswith("snooze_") for key in info)
    sb.slack.snooze(sb.slack.bot_user_id, 30)  # the caller itself sees its snooze
    own = client.dnd_info().data
    assert own["snooze_enabled"] is True and own["snooze_remaining"] > 0


def test_reactions_get_and_remove(sb: Sandbox) -> None:
    client = web(sb)
    channel = sb.slack.channel_by_name("wc-platform")["id"]
    ts = client.chat_postMessage(channel=channel, text="first")["ts"]
    sb.slack.react_as_user(channel, ts, "U0ALICE", "white_check_mark")
    client.reactions_add(channel=channel, timestamp=ts, name="eyes")
    got = client.reactions_get(channel=channel, timestamp=ts, full=True)
    assert got["type"] == "message" and got["channel"] == channel
    names = {r["name"]: r["users"] for r in got["message"]["reactions"]}
    assert names == {"white_check_mark": ["U0ALICE"], "eyes": [sb.slack.bot_user_id]}
    client.reactions_remove(channel=channel, timestamp=ts, name="eyes")
    with pytest.raises(SlackApiError) as err:
        client.reactions_remove(channel=channel, timestamp=ts, name="eyes")
    assert err.value.response["error"] == "no_reaction"
    sb.slack.unreact_as_user(channel, ts, "U0ALICE", "white_check_mark")
    assert "reactions" not in client.reactions_get(channel=channel, timestamp=ts)["message"]


def test_threads_pins_members_and_ephemeral_messages(sb: Sandbox) -> None:
    """What Slack writes back needs (docs/usage.md#slack-writes-back): served as Slack documents
    them."""
    sl = sb.slack
    client = web(sb)
    channel = sl.channel_by_name("wc-platform")["id"]
    parent = sl.post_as_user(channel, "U0ALICE", "root")
    replies = [sl.post_as_user(channel, "U0ALICE", f"r{i}", thread_ts=parent) for i in range(3)]
    history = client.conversations_history(channel=channel)["messages"]
    assert [m["ts"] for m in history if m["ts"] in replies] == []  # replies stay in the thread
    [root] = [m for m in history if m["ts"] == parent]
    assert root["reply_count"] == 3 and root["latest_reply"] == replies[-1]
    assert root["thread_ts"] == parent and root["reply_users"] == ["U0ALICE"]
    thread = client.conversations_replies(channel=channel, ts=parent, oldest=replies[0], limit=1)
    assert [m["ts"] for m in thread["messages"]] == [parent] and thread["has_more"]
    more = client.conversations_replies(
        channel=channel,
        ts=parent,
        oldest=replies[0],
        cursor=thread["response_metadata"]["next_cursor"],
    )
    assert [m["ts"] for m in more["messages"]] == replies[1:]
    with pytest.raises(SlackApiError) as err:
        client.conversations_replies(channel=channel, ts="1.000001")
    assert err.value.response["error"] == "thread_not_found"

    sl.edit_as_user(channel, parent, "U0ALICE", "root, edited")
    sl.pin_as_user(channel, parent, "U0ALICE")
    [item] = client.pins_list(channel=channel)["items"]
    assert item["created_by"] == "U0ALICE" and item["message"]["text"] == "root, edited"
    assert item["message"]["edited"]["user"] == "U0ALICE"
    assert item["message"]["pinned_to"] == [channel]
    assert client.conversations_history(channel=channel)["pin_count"] == 1
    client.pins_remove(channel=channel, timestamp=parent)
    assert client.pins_list(channel=channel)["items"] == []
    with pytest.raises(SlackApiError) as err:
        client.pins_remove(channel=channel, timestamp=parent)
    assert err.value.response["error"] == "not_pinned"

    members = client.conversations_members(channel=channel, limit=1)
    assert members["members"] == ["U0ALICE"] and members["response_metadata"]["next_cursor"]
    rest = client.conversations_members(
        channel=channel, cursor=members["response_metadata"]["next_cursor"]
    )
    assert rest["members"] == [sl.bot_user_id]

    answer = client.chat_postEphemeral(channel=channel, user="U0ALICE", text="only you")
    assert answer["message_ts"]
    assert "only you" not in [m["text"] for m in sl.messages(channel)]
    with pytest.raises(SlackApiError) as err:
        client.chat_postEphemeral(channel=channel, user="U0BOB", text="not a member")
    assert err.value.response["error"] == "user_not_in_channel"

    other = sl.post_as_other_bot(channel, "from another app")
    [message] = [m for m in sl.messages(channel, include_system=True) if m["ts"] == other]
    assert message["subtype"] == "bot_message" and message["bot_id"]


def test_a_user_token_acts_as_that_person(sb: Sandbox) -> None:
    sl = sb.slack
    channel = sl.channel_by_name("wc-platform")["id"]
    alice = WebClient(token=sl.user_token("U0ALICE"), base_url=sb.slack_url)
    ts = alice.chat_postMessage(channel=channel, text="hello")["ts"]
    alice.pins_add(channel=channel, timestamp=ts)
    alice.reactions_add(channel=channel, timestamp=ts, name="pushpin")
    [message] = [m for m in sl.messages(channel) if m["ts"] == ts]
    assert message["user"] == "U0ALICE" and "bot_id" not in message
    assert message["reactions"] == [{"name": "pushpin", "users": ["U0ALICE"], "count": 1}]
    assert web(sb).pins_list(channel=channel)["items"][0]["created_by"] == "U0ALICE"
