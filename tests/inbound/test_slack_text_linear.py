"""Reading Slack text takes time linear in its length, whatever markup is left unclosed
(issue #23, item 8): one 40,000-character message of `<a:` took 7.6 s, and a few of them
could push a resolving run past its job's time-out."""

from __future__ import annotations

import time

import pytest

from incident_tool.core import safe
from incident_tool.inbound import slack as inbound

BOT = "U0BOT00001"
LENGTH = 100_000
# Each opening Slack's parser knows, unclosed; and the mrkdwn and entity characters.
MARKUP = ["<", "<a:", "<@", "<#", "<!", "*", "_", "`", "~", "&"]
MARKUP += ["<@U0JO000001|", "<#C0ABC1234|", "<!here|", "<!subteam^", "<https://x.example|", "&lt"]


def seconds(call) -> float:
    """The best of three, so that a busy shared machine does not fail a linear parse."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("markup", MARKUP)
def test_unclosed_markup_is_read_in_linear_time(markup):
    text = (markup * (LENGTH // len(markup) + 1))[:LENGTH]
    message = inbound.InMessage("C0INC00001", "1700000000.000100", "U0JO000001", text, False)
    readings = {
        "plain_text": lambda: inbound.plain_text(text, lambda user: user),
        "mentions": lambda: inbound.mentions(text),
        "addressed": lambda: inbound.addressed(message, BOT),
        "command_from": lambda: inbound.command_from(message, text, lambda user: "jo"),
        "safe.markdown": lambda: safe.markdown(text),
        "safe.slack": lambda: safe.slack(text),
    }
    slow = {name: round(s, 3) for name, call in readings.items() if (s := seconds(call)) >= 0.1}
    assert slow == {}


def test_markup_closed_after_unclosed_openings_is_still_read():
    junk = "<a:" * 1000 + "<@U0JO000001|" * 10
    text = junk + "<https://x.example/a|the graph> <@U0JO000001> <#C0ABC1234|ops> <!here>"
    read = inbound.plain_text(text, lambda user: {"U0JO000001": "jo"}.get(user, user))
    assert read.endswith("the graph (https://x.example/a) jo #ops here")
    assert inbound.mentions(text) == ["U0JO000001"]
