"""No user-controlled text reaches Slack unescaped, and no mention-parsing option is ever sent.

Slack parses mrkdwn text objects and a message's ``text`` for ``<!channel>``, ``<@U…>`` and
``<url|label>``; only ``&``, ``<`` and ``>`` need escaping. Slack links bare addresses by
itself, so those are defanged too (tests/core/test_safe_slack.py); ``plain_text`` objects (the
header) need no escaping and are defanged all the same.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incident_tool.core.safe import plain, slack_inert
from incident_tool.effects.slack import SlackRoom, blocks_for_report, escape, mrkdwn_link

try:
    from slack_server import TOKEN, SlackServer, ok
except ImportError:  # tests/ imported as a package
    from tests.slack_server import TOKEN, SlackServer, ok

NASTY = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123>",
    "<#C123|general>",
    "<https://evil.example|click>",
    "<mailto:a@b.c|mail>",
    "&amp;",
    "&lt;!channel&gt;",
    "&",
    "<",
    ">",
    "@channel",
    "|",
    "*bold*",
    "`code`",
    "\n",
]
user_text = st.one_of(
    st.text(max_size=200),
    st.sampled_from(NASTY),
    st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=8)), max_size=12).map("".join),
)
URL = "https://github.com/example/repo/issues/42"


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def text_objects(node: Any) -> Iterator[dict]:
    """Yield every Block Kit text object in a block tree."""
    if isinstance(node, dict):
        if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
            yield node
        for value in node.values():
            yield from text_objects(value)
    elif isinstance(node, list):
        for item in node:
            yield from text_objects(item)


def assert_safe_mrkdwn(text: str, number: int) -> None:
    """Check a parsed text holds no markup except the issue link this code adds itself."""
    ours = mrkdwn_link(URL, f"Issue #{number}")
    rest = text.replace(ours, "")
    assert "<" not in rest and ">" not in rest, text
    assert "&" not in re.sub(r"&(amp|lt|gt);", "", rest), text


@given(user_text)
def test_escape_leaves_no_markup(text: str) -> None:
    escaped = escape(text)
    assert "<" not in escaped and ">" not in escaped
    assert "&" not in re.sub(r"&(amp|lt|gt);", "", escaped)
    # Only the bidirectional controls (and NULs) are dropped, and addresses defanged: see
    # incident_tool.core.safe.
    assert unescape(escaped) == slack_inert(plain(text))


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<@U123>", "&lt;@U123&gt;"),
        ("<https://evil|click>", "&lt;https[://]evil|click&gt;"),
        ("&amp;", "&amp;amp;"),
        ("a & b", "a &amp; b"),
        ("plain 'quotes' \"stay\"", "plain 'quotes' \"stay\""),
    ],
)
def test_escape_examples(raw: str, escaped: str) -> None:
    assert escape(raw) == escaped


@given(
    title=user_text,
    fields=st.lists(st.tuples(user_text, user_text), max_size=14),
    footer=st.one_of(st.none(), user_text),
    number=st.integers(min_value=1, max_value=99999),
)
def test_report_blocks_escape_all_user_text(
    title: str, fields: list[tuple[str, str]], footer: str | None, number: int
) -> None:
    fallback, blocks = blocks_for_report(
        title=title, url=URL, number=number, fields=fields, footer=footer
    )
    assert_safe_mrkdwn(fallback, number)
    for obj in text_objects(blocks):
        if obj["type"] == "mrkdwn":
            assert_safe_mrkdwn(obj["text"], number)
        else:  # plain_text: never parsed by Slack; only the header uses it
            assert obj is blocks[0]["text"]
    # The link to the issue is the only link, and it is well formed.
    assert f"<{URL}|Issue #{number}>" in json.dumps(blocks, ensure_ascii=False)


@given(url=st.text(max_size=60), label=user_text)
def test_mrkdwn_link_never_breaks_out(url: str, label: str) -> None:
    link = mrkdwn_link(url, label)
    if link.startswith("<"):
        assert link.endswith(">")
        inner = link[1:-1]
        assert "<" not in inner and ">" not in inner
        assert re.match(r"(?i)https?://", inner)
    else:
        assert "<" not in link and ">" not in link


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "https://x|y", "https://x>y", "https://a b", "ftp://x", "", "<!here>"],
)
def test_mrkdwn_link_refuses_unsafe_urls(url: str) -> None:
    assert mrkdwn_link(url, "<!channel>") == "&lt;!channel&gt;"


def test_mrkdwn_link_escapes_ampersand_in_url() -> None:
    assert (
        mrkdwn_link("https://x.test/?a=1&lt;b", "L & M")
        == "<https://x.test/?a=1&amp;lt;b|L &amp; M>"
    )


@pytest.fixture(scope="module")
def server() -> Iterator[SlackServer]:
    with SlackServer() as srv:
        srv.always("chat.postMessage", ok(channel="C0INC", ts="1700000000.000100"))
        yield srv


@pytest.fixture(scope="module")
def room(server: SlackServer) -> SlackRoom:
    return SlackRoom(TOKEN, server.base_url, log=lambda _line: None)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=user_text, value=user_text, footer=user_text)
def test_what_reaches_slack_is_escaped(
    server: SlackServer, room: SlackRoom, title: str, value: str, footer: str
) -> None:
    fallback, blocks = blocks_for_report(
        title=title,
        url=URL,
        number=42,
        fields=[("Summary", value), ("Impact", value), ("Service", "Search <API>")],
        footer=footer,
    )
    before = len(server.calls("chat.postMessage"))
    room.post("C0INC", fallback, blocks=blocks, thread_ts="1.2")
    (sent,) = server.calls("chat.postMessage")[before:]
    body = json.loads(sent.raw_body)
    assert "link_names" not in body and "parse" not in body
    assert body["unfurl_links"] is False
    assert body["text"] == fallback
    assert body["blocks"] == blocks
    assert_safe_mrkdwn(body["text"], 42)
    for obj in text_objects(body["blocks"]):
        if obj["type"] == "mrkdwn":
            assert_safe_mrkdwn(obj["text"], 42)


def test_no_request_ever_asks_slack_to_parse(server: SlackServer, room: SlackRoom) -> None:
    room.post("C0INC", escape("<!channel> please look"))
    room.dm("U0DM", escape("<@U999> you were invited"))
    assert server.calls("chat.postMessage")
    for req in server.calls():
        assert "link_names" not in req.params
        assert "parse" not in req.params
        assert b"link_names" not in req.raw_body and b'"parse"' not in req.raw_body


def test_an_update_asks_slack_not_to_parse() -> None:
    """chat.update's `parse` defaults to `client` (tests/reference/slack-web-api-subset.json):
    the tool says `none`, as chat.postMessage's default is, so its `<@U…>` stays a mention
    and nothing else is linked; and never `link_names`."""
    with SlackServer() as server:
        server.always("chat.update", ok(channel="C0INC", ts="1700000000.000100"))
        room = SlackRoom(TOKEN, server.base_url, log=lambda _line: None)
        room.update_message("C0INC", "1700000000.000100", "done by <@U0DANA>")
        (sent,) = server.calls("chat.update")
    body = json.loads(sent.raw_body)
    assert body["parse"] == "none" and "link_names" not in body
