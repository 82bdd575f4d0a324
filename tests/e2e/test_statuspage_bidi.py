"""The status page and its Atom feed drop bidirectional controls as every other surface does
(issue #23, item 9; docs/security.md#security): a title or `/public` text cannot reorder
what the public reads."""

from __future__ import annotations

from datetime import timedelta

import pytest

from incident_tool.core.safe import BIDI_CONTROLS
from incident_tool.core.states import State
from incident_tool.verbs import status_page as sp
from tests.e2e.test_statuspage import CONFIG, NOW, Made


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    t = NOW - timedelta(hours=2)
    made = Made(
        7,
        "".join(f"title{c}" for c in BIDI_CONTROLS) + "gpj.exe",
        "Search / catalogue API",
        State.DECLARED,
        severity=1,
        events=[
            (t, "reported", "rita-reporter", ""),
            (t + timedelta(minutes=5), "declared", "quentin-dm", ""),
            (t + timedelta(minutes=9), "public", "quentin-dm", "We\u202e are looking\u2066."),
        ],
    )
    shown = made.public()
    assert shown is not None and "\u202e" in shown.title  # the record keeps what was typed
    return sp.render([shown], CONFIG, repo="wellcome/platform", now=NOW)


@pytest.mark.parametrize("page", ["index.html", "incidents/7.html", "feed.atom"])
def test_no_bidi_control_reaches_the_page_or_the_feed(pages, page):
    text = pages[page]
    assert [hex(ord(c)) for c in text if c in BIDI_CONTROLS] == []
    assert "title" * len(BIDI_CONTROLS) + "gpj.exe" in text
    assert "We are looking." in text


def test_the_tool_s_own_markup_is_left_as_it_is(pages):
    assert "<style>" in pages["index.html"] and "&lt;style" not in pages["index.html"]
    assert '<span class="badge' in pages["incidents/7.html"]
