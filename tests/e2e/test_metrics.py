"""`incident-tool report`: metrics from the records, in Markdown and HTML."""

from __future__ import annotations

import contextlib
import io
from datetime import datetime, timezone

import pytest

from incident_sandbox.demo import environment
from incident_tool.cli import main
from incident_tool.verbs.report import parse_since, percentile
from tests.world import REPO


def run_report(world, *args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()  # the page is stdout; notes go to stderr
    with (
        environment(world.driver.env),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            main(["report", "--repo", REPO, *args])
        except SystemExit as exc:
            return int(exc.code or 0), out.getvalue() + err.getvalue()
    return 0, out.getvalue() + err.getvalue()


def test_report_counts_and_times(world):
    # Reported by a team member: the form's severity guess is applied.
    a = world.report(title="one", by="lee")
    world.declare(a)
    world.say(a, "priya", "/mitigated")
    world.gh.close_issue(REPO, a, "dana", reason="completed")
    world.deliver()
    b = world.report(title="two", by="lee")
    world.say(b, "dana", "/dismiss duplicate")
    world.report(title="three", by="lee")
    code, text = run_report(world)
    assert code == 0, text
    assert "3 incidents reported" in text
    assert "| resolved | 1 |" in text and "| dismissed | 1 |" in text
    assert "| reported | 1 |" in text
    assert "| Search / catalogue API | 3 |" in text
    assert "| declared |" in text and "| severity:2 | 3 |" in text  # the form's guess
    code, page = run_report(world, "--format", "html")
    assert code == 0 and page.startswith("<!doctype html>") and "<svg" in page


def test_bad_since_is_a_usage_error(world):
    code, text = run_report(world, "--since", "soon")
    assert code == 2 and "--since" in text


@pytest.mark.parametrize(("text", "days"), [("90d", 90), ("2w", 14), ("48h", 2)])
def test_parse_since(text, days):
    now = datetime(2026, 11, 26, tzinfo=timezone.utc)
    assert (now - parse_since(text, now)).days == days


def test_percentile_nearest_rank():
    assert percentile([], 0.5) is None
    assert percentile([1, 2, 3, 4], 0.5) == 2 and percentile([1, 2, 3, 4], 0.9) == 4
