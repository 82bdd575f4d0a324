"""Slack's real answers in the sandbox (docs/architecture.md#where-things-are-tested): Block Kit
limits and auto-away presence."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from incident_sandbox import Sandbox
from incident_sandbox.demo import REPORT_BODY
from incident_sandbox.slack import check_blocks
from incident_tool.effects.slack import blocks_for_report

REPO = "wellcome/platform"


@pytest.fixture
def slack():
    with Sandbox() as sb:
        sb.slack.add_user("U0PRIYA001", "priya")
        channel = sb.slack.add_channel("general", members=[sb.slack.bot_user_id])
        yield sb, WebClient(token=sb.slack.bot_token, base_url=sb.slack_url), channel
        assert sb.violations == []


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@pytest.mark.parametrize(
    ("blocks", "where"),
    [
        ([section("x")] * 51, "no more than 50 items allowed [json-pointer:/blocks]"),
        (
            [section("x" * 3001)],
            "must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
        ),
        (
            [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
            "must be less than 151 characters [json-pointer:/blocks/0/text/text]",
        ),
        (
            [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
            "no more than 10 items allowed [json-pointer:/blocks/0/fields]",
        ),
        (
            [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}],
            "must be less than 2001 characters [json-pointer:/blocks/0/fields/0/text]",
        ),
        (
            [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}],
            "no more than 10 items allowed [json-pointer:/blocks/0/elements]",
        ),
        ([section("")], "must be more than 0 characters [json-pointer:/blocks/0/text/text]"),
    ],
)
def test_block_kit_limits_are_enforced_as_slack_does(slack, blocks, where):
    sb, client, channel = slack
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel=channel, text="fallback", blocks=blocks)
    assert err.value.response["error"] == "invalid_blocks"
    assert where in err.value.response["errors"]
    assert f"[ERROR] {where}" in err.value.response["response_metadata"]["messages"]
    assert sb.slack.messages(channel) == []
    posted = client.chat_postMessage(channel=channel, text="ok", blocks=[section("fine")])
    with pytest.raises(SlackApiError) as err:
        client.chat_update(channel=channel, ts=posted["ts"], text="new", blocks=blocks)
    assert err.value.response["error"] == "invalid_blocks"
    assert sb.slack.messages(channel)[0]["text"] == "ok"  # unchanged


def test_the_report_message_stays_within_the_limits_whatever_the_input():
    fields = [(f"Field {i} " + "L" * 300, ("v" * 50 + "\n") * 200) for i in range(120)]
    fields += [(f"Short {i}", "s" * 70) for i in range(40)]
    _, blocks = blocks_for_report(
        title="T" * 5000,
        url="https://github.com/o/r/issues/1",
        number=1,
        fields=fields,
        footer="F" * 10000,
    )
    check_blocks(blocks)  # raises SlackError as Slack would answer invalid_blocks
    assert len(blocks) <= 50


def test_a_huge_report_reaches_the_incident_channel(world):
    summary = ("Everything is on fire & <!channel> " * 40 + "\n") * 150  # ~210 kB body
    body = REPORT_BODY.replace(
        "Search on wellcomecollection.org returns no results for any query.", summary
    ).replace("Search / catalogue API", "S" * 5000)
    n = world.report(title="X" * 256, body=body[:65000])
    world.declare(n)
    channel = world.incident_channel(n)["id"]
    [report] = [m for m in world.sl.messages(channel) if m.get("blocks")]
    assert report["blocks"][0]["type"] == "header"
    assert len(report["blocks"][0]["text"]["text"]) <= 150
    assert not world.record(n).problems


# -- presence: away after 10 idle minutes ------------------------------------------------


def test_presence_is_away_after_ten_idle_minutes(slack):
    sb, client, _ = slack
    assert client.users_getPresence(user="U0PRIYA001")["presence"] == "active"
    sb.slack._clock = lambda: datetime.now(timezone.utc) + timedelta(minutes=10)
    assert client.users_getPresence(user="U0PRIYA001")["presence"] == "away"
    sb.slack.touch("U0PRIYA001")  # back at the keyboard
    assert client.users_getPresence(user="U0PRIYA001")["presence"] == "active"


def test_an_idle_responder_is_not_chosen_to_lead(world):
    n = world.report()
    world.clock.now += timedelta(minutes=11)  # everyone idle for 11 minutes
    world.sl.touch(world.team["slack_ids"]["lee"])  # lee is at the keyboard
    world.declare(n)
    record = world.record(n)
    assert record.lead == "lee"  # sam: away; priya: idle, so away too
    assert world.assignees(n) == ["lee"]
