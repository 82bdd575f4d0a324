"""core/changes.py: which repositories, which changes (the service's first, newest first,
ten at most), and their rendering with titles escaped everywhere."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from incident_tool.config import ConfigError, parse
from incident_tool.core.changes import (
    Change,
    ChangeList,
    in_list,
    parse_ref,
    pick,
    record_state,
    retrospective_rows,
    slack_message,
    status_section,
    window,
)

T = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
CONFIG = parse(
    "changes:\n"
    "  repositories: [org/web]\n"
    "  services: {'Search / catalogue API': [org/search, org/index]}\n"
    "  window_hours: 6\n"
)


def change(repo: str, minutes: int, title: str = "t", kind: str = "merge") -> Change:
    return Change(
        kind,
        repo,
        T - timedelta(minutes=minutes),
        title,
        "sam",
        f"https://github.com/{repo}/pull/{minutes}",
        f"#{minutes}",
        sha="a" * 40,
    )


def test_the_service_repositories_come_first_then_the_configured_ones() -> None:
    win = window(CONFIG, "search / catalogue api", "org/incidents", T)
    assert win.repositories == ("org/search", "org/index", "org/web")
    assert (win.since, win.until, win.hours) == (T - timedelta(hours=6), T, 6)
    other = window(CONFIG, "Something else", "org/incidents", T, hours=48)
    assert other.repositories == ("org/web",) and other.hours == 48
    default = window(parse(""), None, "org/incidents", T)
    assert default.repositories == ("org/incidents",) and default.hours == 24


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("changes: {repositories: [not-a-repo]}", "changes.repositories"),
        ("changes: {window_hours: 0}", "changes.window_hours"),
        ("changes: {services: [a]}", "changes.services"),
        ("changes: {services: {x: ['a/b c']}}", "changes.services.x"),
        ("changes: {colour: red}", "colour"),
    ],
)
def test_config_errors_name_the_key(text: str, key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        parse(text)


def test_pick_ten_newest_service_first() -> None:
    found = [change("org/web", m) for m in range(1, 15)] + [change("org/search", 300)]
    shown = pick(found, ["org/search"])
    assert len(shown) == 10
    assert shown[0].repo == "org/search"
    assert [c.ref for c in shown[1:4]] == ["#1", "#2", "#3"]


def test_titles_are_escaped_for_slack_and_markdown() -> None:
    evil = "<!channel> @team ![x](https://t.example/p.png) <https://evil|github.com> | a"
    shown = [change("org/web", 5, evil)]
    text = slack_message(shown, [("org/secret", "not found")], 24, T)
    assert "<!channel>" not in text and "<https://evil" not in text
    assert "&lt;!channel&gt;" in text and "org/secret" in text

    win = window(parse(""), None, "org/web", T)
    state = record_state(ChangeList(tuple(shown), (("org/secret", "not found"),), 4), win)
    section = "\n".join(status_section(state))
    assert "@team" not in section and "<!channel>" not in section
    # An image loads nothing, and no link in a title is live (inert: its brackets escaped,
    # its address as code).
    assert " ![" not in section and "\\!\\[x\\](`https://t.example/p.png`)" in section
    # A `|` in a title cannot add a table cell.
    row = [line for line in section.splitlines() if line.startswith("| ")][-1]
    assert row.count(" | ") == 3
    assert state["requests"] == 4

    state["suspected"] = [{"ref": "org/web#5", "by": "dana"}]
    [retro] = retrospective_rows(state)
    assert retro["suspected"] == "suspected" and "@team" not in retro["what"]


def test_a_url_that_is_not_https_is_shown_as_text() -> None:
    bad = Change("release", "org/web", T, "v1", "sam", "javascript:alert(1)", "v1")
    text = slack_message([bad], [], 24, T)
    assert "javascript:" not in text and "v1" in text


def test_nothing_changed_says_so() -> None:
    assert "Nothing changed in the 24 h" in slack_message([], [], 24, T)


@pytest.mark.parametrize(
    ("text", "repo", "number", "sha"),
    [
        ("#12", None, 12, None),
        ("org/web#12 broke it", "org/web", 12, None),
        ("ABCDEF1", None, None, "abcdef1"),
        ("org/web@abcdef123", "org/web", None, "abcdef123"),
        ("v1.2.0", None, None, None),
    ],
)
def test_refs_people_write(
    text: str, repo: str | None, number: int | None, sha: str | None
) -> None:
    ref = parse_ref(text)
    assert ref is not None and (ref.repo, ref.number, ref.sha) == (repo, number, sha)
    assert parse_ref("   ") is None


def test_a_ref_in_the_declarations_list_needs_no_request() -> None:
    shown = [
        change("org/web", 5),
        Change("release", "org/api", T, "Spring", "dana", "https://x", "v2.0"),
    ]
    state = record_state(ChangeList(tuple(shown)), window(parse(""), None, "org/web", T))
    assert in_list(state, parse_ref("org/web#5")).who == "sam"  # type: ignore[arg-type,union-attr]
    assert in_list(state, parse_ref("#5")).ref == "org/web#5"  # type: ignore[arg-type,union-attr]
    assert in_list(state, parse_ref("aaaaaaa")) is not None  # type: ignore[arg-type]
    assert in_list(state, parse_ref("v2.0")).repo == "org/api"  # type: ignore[arg-type,union-attr]
    assert in_list(state, parse_ref("org/api#5")) is None  # type: ignore[arg-type]


def test_a_link_in_a_title_is_not_live_inside_the_changes_link() -> None:
    """Audit: `[t](url)` inside the row's own link is the live one in Markdown."""
    shown = [change("org/web", 5, "[Fix login](https://evil.example/x)")]
    state = record_state(ChangeList(tuple(shown), (), 4), window(parse(""), None, "org/web", T))
    section = "\n".join(status_section(state))
    assert "](https://evil.example" not in section and "`https://evil.example/x`" in section
