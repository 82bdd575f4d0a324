"""The demo's small words: titles cut between words, Slack's escapes shown as Slack shows
them, and a busy port said with what to do (issue #22, item 10)."""

from __future__ import annotations

import socket

import pytest

from incident_sandbox import demo
from incident_tool.errors import UsageError


def test_a_title_is_cut_between_words():
    cut = demo.title("search returns results for 15 minutes and the alerts are quiet")
    assert len(cut) <= 50 and cut.endswith(" …")
    assert cut[:-2].split()[-1] in "search returns results for 15 minutes and the alerts".split()
    assert demo.title("short") == "short"


def test_slack_escapes_read_back_as_people_see_them():
    assert demo.as_slack_shows("back &lt;!channel&gt; &amp; fine") == "back <!channel> & fine"


def test_a_busy_port_says_to_pass_another():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UsageError, match=f"port {port} .* is in use: pass --port"):
            demo.serve(port)
