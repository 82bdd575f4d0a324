"""`handle` without .github/incident.yml says it uses the defaults, as the other verbs do,
and points out a config it does not read under a mistaken name (issue #22, item 8)."""

from __future__ import annotations

from pathlib import Path

from incident_tool.config import absent_notice
from tests.world import REPO


def test_absent_notice_points_out_a_misnamed_file(tmp_path: Path):
    assert absent_notice(tmp_path) == "no .github/incident.yml: using defaults"
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "incident.yaml").write_text("responders: [sam]\n")
    said = absent_notice(tmp_path)
    assert "using defaults" in said and ".github/incident.yaml exists" in said
    assert "did you mean .github/incident.yml?" in said


def test_handle_says_it_uses_the_defaults(world):
    config = world.root / ".github" / "incident.yml"
    config.rename(world.root / ".github" / "incident.yaml")
    world.gh.open_issue(
        REPO, "rita", "Search is down", "### Summary\n\nx\n", labels=["incident:reported"]
    )
    outputs = world.deliver()
    assert outputs and all(
        "notice: no .github/incident.yml: using defaults (.github/incident.yaml exists" in out
        for out in outputs
    ), outputs


def test_handle_with_the_config_says_nothing_of_defaults(world):
    world.gh.open_issue(
        REPO, "rita", "Search is down", "### Summary\n\nx\n", labels=["incident:reported"]
    )
    assert not any("using defaults" in out for out in world.deliver())


def test_the_status_comment_says_why_nobody_is_a_delivery_manager(world):
    (world.root / ".github" / "incident.yml").unlink()
    world.gh.open_issue(
        REPO, "rita", "Search is down", "### Summary\n\nx\n", labels=["incident:reported"]
    )
    world.deliver()
    body = world.status(1)["body"]
    assert "| Delivery managers | none: no .github/incident.yml |" in body
