"""User text in a Slack message the tool posts links nowhere and pings nobody (issue #23,
item 10): `safe.slack` escapes it and defangs every address Slack would link by itself."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incident_tool.core.safe import BIDI_CONTROLS, slack, slack_inert, slack_plain
from incident_tool.effects.slack import blocks_for_report, escape

CASES = [
    # (typed, shown in mrkdwn)
    ("https://evil.example/reset", "https[://]evil[.]example/reset"),
    ("<https://evil.example|Reset here>", "&lt;https[://]evil[.]example|Reset here&gt;"),
    ("[x](https://evil.example/a)", "[x](https[://]evil[.]example/a)"),
    ("[dana](https://evil.example)", "[dana](https[://]evil[.]example)"),
    ("go to www.evil.com now", "go to www[.]evil[.]com now"),
    ("mailto:ops@evil.example", "mailto[:]ops@evil[.]example"),
    ("write to ops@evil.example", "write to ops@evil[.]example"),
    ("@here look", "@here look"),  # no link_names: plain text, not a mention
    ("<!channel> <!here> <@U0DANA>", "&lt;!channel&gt; &lt;!here&gt; &lt;@U0DANA&gt;"),
    ("evil.com", "evil[.]com"),
    ("api.example.com is down", "api[.]example[.]com is down"),
    ("evil.zip/payload", "evil[.]zip/payload"),
    ("status.example.org:443", "status[.]example[.]org:443"),
    ("http://localhost:8080/x", "http[://]localhost:8080/x"),
    ("ftp://files.evil.example", "ftp[://]files[.]evil[.]example"),
    ("javascript://x.evil.example", "javascript[://]x[.]evil[.]example"),
    # What is no address stays as typed.
    ("report.pdf is empty", "report.pdf is empty"),
    ("node.js 20.1.0 on v1.2.3", "node.js 20.1.0 on v1.2.3"),
    ("a & b < c > d", "a &amp; b &lt; c &gt; d"),
    ("nothing to see", "nothing to see"),
]


@pytest.mark.parametrize(("typed", "shown"), CASES)
def test_addresses_are_defanged_and_markup_escaped(typed, shown):
    assert slack(typed) == shown
    assert escape(typed) == shown  # effects/slack.escape is the same function


# A reading of what Slack links in text an app posts (independent of the code under test):
# an address with a scheme, www., an email, or a host name with a common TLD.
_LINKABLE = re.compile(
    r"[a-z][a-z0-9+.-]*://\S|www\.\S|@[\w-]+\.[a-z]{2}|\b[\w-]+\.(?:com|org|example|zip)\b", re.I
)


@pytest.mark.parametrize(("typed", "shown"), CASES)
def test_nothing_shown_is_linkable(typed, shown):
    assert not _LINKABLE.search(slack(typed)), slack(typed)
    assert "<" not in slack(typed) and ">" not in slack(typed)


@given(
    st.lists(
        st.sampled_from(
            ["https://", "http://", "www.", "mailto:", "evil", ".", "com", "@", "/", " ", "<", ">"]
            + ["|", "[", "]", "(", ")", "`", "a", "\u202e", "example", ":", "-"]
        ),
        max_size=30,
    ).map("".join)
)
def test_no_combination_leaves_a_linkable_address(text):
    shown = slack(text)
    assert not _LINKABLE.search(shown), shown
    assert "<" not in shown and ">" not in shown
    assert not any(c in shown for c in BIDI_CONTROLS)


def test_plain_text_objects_are_defanged_not_escaped():
    assert slack_plain("a <b> https://evil.example\u202e") == "a <b> https[://]evil[.]example"
    assert slack_inert("x.evil.example") == "x[.]evil[.]example"


def test_the_report_messages_header_is_defanged_too():
    fallback, blocks = blocks_for_report(
        title="Reset at https://evil.example",
        url="https://github.com/o/r/issues/1",
        number=1,
        fields=[("Summary", "see www.evil.com")],
    )
    assert (
        "https[://]evil[.]example" in fallback and "<https://github.com/o/r/issues/1|" in fallback
    )
    assert blocks[0]["text"]["text"] == "Reset at https[://]evil[.]example"
    assert "www[.]evil[.]com" in str(blocks[1])


@pytest.mark.parametrize("unit", ["a", "a.", "a@", "http://", "www.", "a.b", "<a:", "aa.com "])
def test_linear_time_on_long_text(unit):
    text = unit * (100_000 // len(unit))
    started = time.perf_counter()
    slack(text)
    assert time.perf_counter() - started < 0.5
