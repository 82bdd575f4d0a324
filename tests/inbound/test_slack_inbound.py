"""Slack messages read as the record needs them (docs/usage.md#slack-writes-back): pure, no HTTP."""

from __future__ import annotations

import pytest

from incident_tool.config import ConfigError, parse
from incident_tool.inbound import slack as inbound

BOT = "U0BOT00001"


def message(text: str, **kw) -> inbound.InMessage:
    raw = {"ts": "1700000000.000100", "user": "U0JO000001", "text": text, **kw}
    found = inbound.from_api(raw, "C0INC00001")
    assert found is not None
    return found


def names(user: str) -> str:
    return {"U0JO000001": "jo", "U0SAM00001": "sam"}.get(user, user)


def test_plain_text_takes_slack_markup_apart_and_leaves_untrusted_text_as_text():
    text = (
        "<@U0JO000001> see <https://x.example/a?b=1&amp;c=2|the graph> in <#C0ABC1234|ops> "
        "<!here> &lt;b&gt;"
    )
    assert inbound.plain_text(text, names) == (
        "jo see the graph (https://x.example/a?b=1&c=2) in #ops here <b>"
    )
    assert inbound.plain_text("<https://x.example>", names) == "https://x.example"


def test_only_a_leading_bot_mention_by_a_person_in_an_unedited_message_is_addressed():
    assert inbound.addressed(message(f"<@{BOT}> update rolled back"), BOT) == "update rolled back"
    assert inbound.addressed(message(f"<@{BOT}>: leave"), BOT) == "leave"
    assert inbound.addressed(message(f"hey <@{BOT}> leave"), BOT) is None
    assert inbound.addressed(message(f"<@{BOT}> leave", edited={"ts": "1"}), BOT) is None
    assert inbound.addressed(message(f"<@{BOT}> leave", bot_id="B1"), BOT) is None
    assert inbound.addressed(message(f"<@{BOT}> leave", subtype="channel_join"), BOT) is None
    assert inbound.addressed(message(f"<@{BOT}> leave", subtype="thread_broadcast"), BOT) == "leave"


def test_mentions_in_a_command_become_github_logins_or_a_refusal_naming_the_key():
    msg = message(f"<@{BOT}> handover <@U0JO000001>")
    built = inbound.command_from(msg, "handover <@U0JO000001> now", lambda u: names(u))
    assert built.body == "/handover @jo now" and built.refusal is None
    refused = inbound.command_from(msg, "handover <@U0NOBODY01>", lambda u: None)
    assert refused.body is None and "people.<login>.slack: U0NOBODY01" in refused.refusal


def test_notes_are_pins_or_the_reaction_from_someone_but_the_tool():
    pinned = message("a", pinned_to=["C0INC00001"])
    assert (
        inbound.is_note(pinned, "pushpin", BOT)
        and inbound.note_how(pinned, "pushpin", BOT) == "pin"
    )
    reacted = message("b", reactions=[{"name": "pushpin", "users": ["U0SAM00001"], "count": 1}])
    assert inbound.is_note(reacted, "pushpin", BOT)
    own = message("c", reactions=[{"name": "pushpin", "users": [BOT], "count": 1}])
    assert not inbound.is_note(own, "pushpin", BOT)


def test_timestamps_order_exactly_and_bad_messages_are_skipped():
    assert inbound.newer("1700000000.000010", "1700000000.000009")
    assert not inbound.newer("1700000000.000009", "1700000000.000009")
    assert inbound.from_api({"ts": "not a ts", "text": "x"}, "C1") is None
    assert inbound.report_summary("report Search is down") == "Search is down"
    assert inbound.report_summary("reporting for duty") is None


def test_two_logins_for_one_slack_user_is_a_config_error_and_the_reaction_is_checked():
    with pytest.raises(ConfigError, match="people.b.slack` maps to U0JO000001, as people.a"):
        parse("people:\n  a: {slack: U0JO000001}\n  b: {slack: U0JO000001}\n")
    assert parse("slack: {timeline_reaction: ':stopwatch:'}").slack.timeline_reaction == "stopwatch"
    assert parse("").slack.timeline_reaction == "pushpin"
    with pytest.raises(ConfigError, match="slack.timeline_reaction"):
        parse("slack: {timeline_reaction: 'two words'}")
