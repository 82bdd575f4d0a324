"""Incident channel names: Slack's rules hold for any title and prefix."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incident_tool.effects.slack import _with_suffix, channel_name

VALID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")


@pytest.mark.parametrize(
    ("prefix", "number", "title", "expected"),
    [
        ("incident", 42, "Search API down", "incident-42-search-api-down"),
        ("incident", 7, "What's on? page shows 500s!!", "incident-7-what-s-on-page-shows-500s"),
        ("incident", 3, "🔥🔥 Site down 🔥", "incident-3-site-down"),
        ("incident", 3, "🔥🔥🔥", "incident-3"),
        ("incident", 5, "Поиск не работает", "incident-5-poisk-ne-rabotaet"),
        ("incident", 5, "Ошибка 502 на главной", "incident-5-oshibka-502-na-glavnoi"),
        ("incident", 6, "検索が停止しています", "incident-6"),
        ("incident", 6, "API 検索 down", "incident-6-api-down"),
        ("incident", 8, "Café crème — naïve façade", "incident-8-cafe-creme-naive-facade"),
        ("incident", 8, "Straße ＦＵＬＬＷＩＤＴＨ", "incident-8-strasse-fullwidth"),
        ("incident", 9, "Σφάλμα βάσης", "incident-9-sfalma-vasis"),
        ("incident", 10, "--- leading and trailing ---", "incident-10-leading-and-trailing"),
        ("incident", 10, "...!!!", "incident-10"),
        ("incident", 10, "", "incident-10"),
        ("incident", 11, "snake_case_title_", "incident-11-snake_case_title"),
        ("incident", 12, "<!channel> &amp; <@U123>", "incident-12-channel-amp-u123"),
        ("Incident", 1, "x", "incident-1-x"),
        ("#Ops Team!", 1, "x", "ops-team-1-x"),
        ("!!!", 1, "x", "incident-1-x"),
        ("инцидент", 1, "x", "intsident-1-x"),
        ("-_inc_-", 1, "x", "inc-1-x"),
    ],
)
def test_channel_name_cases(prefix: str, number: int, title: str, expected: str) -> None:
    assert channel_name(prefix, number, title) == expected


def test_long_title_is_cut_at_a_word_and_fits() -> None:
    title = "database connection pool exhausted " * 10  # 350 characters
    name = channel_name("incident", 1234, title)
    assert len(name) <= 80
    assert VALID.match(name)
    assert not name.endswith("-")
    # Cut at a word boundary: the last word is whole.
    assert name.rsplit("-", 1)[-1] in {"database", "connection", "pool", "exhausted"}


def test_300_char_single_word_is_hard_cut() -> None:
    name = channel_name("incident", 1, "a" * 300)
    assert len(name) == 80
    assert name == "incident-1-" + "a" * 69


def test_very_long_prefix_still_leaves_the_number() -> None:
    name = channel_name("p" * 200, 98765, "title")
    assert len(name) <= 80
    assert VALID.match(name)
    assert re.search(r"-98765(-|$)", name)


@pytest.mark.parametrize("k", [2, 9, 10, 20])
def test_suffix_keeps_80_chars(k: int) -> None:
    base = channel_name("incident", 1, "a" * 300)
    suffixed = _with_suffix(base, k)
    assert len(suffixed) <= 80
    assert suffixed.endswith(f"-{k}")
    assert VALID.match(suffixed)


prefixes = st.text(min_size=0, max_size=40)
titles = st.text(max_size=400)
numbers = st.integers(min_value=1, max_value=10**9)


@given(prefix=prefixes, number=numbers, title=titles)
def test_channel_name_is_always_valid(prefix: str, number: int, title: str) -> None:
    name = channel_name(prefix, number, title)
    assert VALID.match(name), name
    assert not name.endswith("-")
    head = channel_name(prefix, number, "")
    assert name.startswith(head)
    assert name == head or name[len(head)] == "-"
    assert head.endswith(f"-{number}")


@given(
    prefix=st.from_regex(r"[a-z][a-z0-9]{0,15}", fullmatch=True),
    number=numbers,
    title=titles,
)
def test_valid_prefix_is_kept(prefix: str, number: int, title: str) -> None:
    name = channel_name(prefix, number, title)
    assert name.startswith(f"{prefix}-{number}")
    assert VALID.match(name)
