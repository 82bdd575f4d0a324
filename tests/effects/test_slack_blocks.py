"""The report message respects Block Kit's limits and lays out fields sensibly."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from incident_tool.effects.slack import blocks_for_report

URL = "https://github.com/example/repo/issues/7"


def check_limits(blocks: list[dict]) -> None:
    """Assert the Block Kit limits this message must stay within."""
    assert len(blocks) <= 50
    assert blocks[0]["type"] == "header"
    assert len(blocks[0]["text"]["text"]) <= 150
    assert blocks[-1]["type"] == "context"
    for block in blocks:
        if block["type"] == "section":
            assert ("text" in block) != ("fields" in block)
            if "text" in block:
                assert 0 < len(block["text"]["text"]) <= 3000
            else:
                assert 0 < len(block["fields"]) <= 10
                assert all(0 < len(f["text"]) <= 2000 for f in block["fields"])
        elif block["type"] == "context":
            assert all(0 < len(e["text"]) <= 3000 for e in block["elements"])


def test_short_and_long_fields() -> None:
    fallback, blocks = blocks_for_report(
        title="Search API down",
        url=URL,
        number=7,
        fields=[
            ("Service", "Catalogue API"),
            ("Severity", "2"),
            ("Impact", "Users cannot search.\nThe page shows an error."),
            ("Started", "09:10 UTC"),
        ],
        footer="Reported by octocat",
    )
    check_limits(blocks)
    assert fallback == f"Search API down (<{URL}|Issue #7>)"
    assert blocks[0]["text"] == {"type": "plain_text", "text": "Search API down"}
    assert blocks[1]["fields"] == [
        {"type": "mrkdwn", "text": "*Service*\nCatalogue API"},
        {"type": "mrkdwn", "text": "*Severity*\n2"},
    ]
    assert blocks[2]["text"]["text"] == "*Impact*\nUsers cannot search.\nThe page shows an error."
    assert blocks[3]["fields"] == [{"type": "mrkdwn", "text": "*Started*\n09:10 UTC"}]
    assert blocks[4]["elements"][0]["text"] == f"<{URL}|Issue #7> · Reported by octocat"


def test_empty_title_and_value() -> None:
    fallback, blocks = blocks_for_report(title="  ", url=URL, number=7, fields=[("Links", " ")])
    assert blocks[0]["text"]["text"] == "Incident #7"
    assert blocks[1]["fields"][0]["text"] == "*Links*\n—"
    check_limits(blocks)


def test_huge_report_is_truncated() -> None:
    fallback, blocks = blocks_for_report(
        title="T" * 400,
        url=URL,
        number=7,
        fields=[(f"F{i}", "x" * 5000) for i in range(70)] + [("short", "s")] * 25,
        footer="f" * 5000,
    )
    check_limits(blocks)
    assert blocks[0]["text"]["text"].endswith("…")
    assert blocks[1]["text"]["text"].endswith("…")
    assert blocks[-2]["text"]["text"].startswith("…")
    assert len(fallback) <= 3000


def test_header_is_cut_as_plain_text() -> None:
    _, blocks = blocks_for_report(title="a < b " + "x" * 300, url=URL, number=1, fields=[])
    header = blocks[0]["text"]["text"]
    assert len(header) == 150
    assert header.startswith("a < b xxx") and header.endswith("…")


def test_field_without_label() -> None:
    _, blocks = blocks_for_report(title="t", url=URL, number=1, fields=[("", "value")])
    assert blocks[1]["fields"] == [{"type": "mrkdwn", "text": "value"}]


def test_eleven_short_fields_make_two_sections() -> None:
    _, blocks = blocks_for_report(
        title="t", url=URL, number=1, fields=[(f"k{i}", "v") for i in range(11)]
    )
    assert [len(b["fields"]) for b in blocks if "fields" in b] == [10, 1]


def test_truncation_never_splits_an_entity() -> None:
    _, blocks = blocks_for_report(title="t", url=URL, number=1, fields=[("k", "<" * 2000)])
    text = blocks[1]["text"]["text"]
    assert text.endswith("&lt;…")
    assert len(text) <= 3000


@given(
    title=st.text(max_size=300),
    fields=st.lists(st.tuples(st.text(max_size=50), st.text(max_size=4000)), max_size=60),
    footer=st.one_of(st.none(), st.text(max_size=4000)),
)
def test_limits_hold_for_any_input(
    title: str, fields: list[tuple[str, str]], footer: str | None
) -> None:
    _, blocks = blocks_for_report(title=title, url=URL, number=3, fields=fields, footer=footer)
    check_limits(blocks)
