"""User text shown by the tool stays data: no images, raw HTML, mentions or bidi tricks."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incident_tool.core import wording
from incident_tool.core.safe import BIDI_CONTROLS, markdown, plain, slack
from incident_tool.effects.slack import escape

RLO = "\u202e"
TRACKER = "![img](https://tracker.example/track.png)"


@pytest.mark.parametrize("char", list(BIDI_CONTROLS))
def test_every_bidi_control_is_removed_everywhere(char):
    text = f"invoice{char}fdp.exe"
    for shown in (plain(text), markdown(text), markdown(text, inline=True), slack(text)):
        assert char not in shown and "invoice" in shown and "fdp.exe" in shown


def test_the_controls_are_the_embeddings_overrides_isolates_and_marks():
    codes = sorted(ord(c) for c in BIDI_CONTROLS)
    # The marks LRM, RLM, ALM too (issue #23, item 9): they move neutral characters such as
    # "." across a run, so "exe.txt" can read otherwise. Text around them is kept.
    assert codes == [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
    assert plain("a\u200eb\u200fc\u061cd") == "abcd"
    assert plain("\u200d\u200b") == "\u200d\u200b"  # joiners and spaces are not direction


@pytest.mark.parametrize(
    "image",
    [TRACKER, "![x][ref]\n\n[ref]: https://t.example/p.png", "! [x](https://t.example/p.png)"],
)
def test_markdown_images_do_not_load(image):
    shown = markdown(image)
    assert not live_images(shown) and live_images(image)
    assert "\\!" in shown  # the text is still there, shown as typed


def test_raw_html_and_mentions_are_text():
    shown = markdown('<img src="https://t.example/p.png"> <details> @team <!-- x -->')
    assert "<" not in shown and ">" not in shown
    assert "@team" not in shown


def live_images(shown: str) -> list[int]:
    """Where `!` starts an image: an `!` not escaped by an odd run of backslashes."""
    out = []
    for m in re.finditer(r"!(?=\s*\[)", shown):
        run = len(shown[: m.start()]) - len(shown[: m.start()].rstrip("\\"))
        if run % 2 == 0:
            out.append(m.start())
    return out


@given(st.text(alphabet=st.sampled_from(list("![]()\\ \nab<>&@|") + [RLO])))
def test_markdown_never_leaves_an_image_html_or_bidi(text):
    for shown in (markdown(text), markdown(text, inline=True)):
        assert "<" not in shown and ">" not in shown
        assert not any(c in shown for c in BIDI_CONTROLS)
        assert not live_images(shown), shown


def test_messages_and_slack_use_the_one_module():
    assert wording.user_text(f"a{RLO}b {TRACKER}") == markdown(f"a{RLO}b {TRACKER}")
    assert escape(f"<!channel>{RLO}") == slack(f"<!channel>{RLO}") == "&lt;!channel&gt;"
