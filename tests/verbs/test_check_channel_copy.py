"""`check` and `retrospective.slack_messages: all` (issue #23, item 6): the retrospective
then copies the incident channel into an issue, which in a public repository anyone reads."""

from __future__ import annotations

from dataclasses import replace

from incident_tool.core import setup_checks as checks
from incident_tool.verbs.init import init_repo
from tests.fakes import CONFIG
from tests.verbs.test_check import ACTION
from tests.world import REPO, cli

ALL = replace(CONFIG, retrospective=replace(CONFIG.retrospective, slack_messages="all"))
WARNING = (
    f"warning retrospective.slack_messages is all: each retrospective copies its incident "
    f"channel into {REPO}, which is public"
)


def copying_checkout(world) -> None:
    init_repo(world.root, action=ACTION)
    world.write_config(retrospective={"slack_messages": "all"})


def test_a_public_repository_with_the_channel_copy_is_warned_about(world):
    copying_checkout(world)
    code, output = cli(world, "check", "--repo", REPO)
    assert code == 0, output
    [line] = [x for x in output.splitlines() if "slack_messages" in x]
    assert line.startswith(WARNING), line
    assert "set `retrospective.slack_messages: notes`" in line


def test_a_private_repository_with_the_channel_copy_is_an_ok_line(world):
    copying_checkout(world)
    world.sb.github.repos[REPO.lower()].private = True
    code, output = cli(world, "check", "--repo", REPO)
    assert code == 0, output
    [line] = [x for x in output.splitlines() if "slack_messages" in x]
    assert line.startswith("ok      retrospective.slack_messages is all") and "private" in line


def test_offline_it_is_a_note_that_the_channel_is_copied(world):
    copying_checkout(world)
    code, output = cli(world, "check", "--offline")
    [line] = [x for x in output.splitlines() if "slack_messages" in x]
    assert line.startswith("ok      retrospective.slack_messages is all"), line
    assert "copies its incident channel" in line and "check online says" in line


def test_the_default_says_nothing_either_way(world):
    init_repo(world.root, action=ACTION)
    code, output = cli(world, "check", "--repo", REPO)
    assert code == 0, output
    assert "slack_messages" not in output
    assert checks.check_channel_copy(CONFIG, REPO, "public") == []


def test_unknown_visibility_is_the_note_not_silence():
    [found] = checks.check_channel_copy(ALL, REPO, None)
    assert found.level == "ok" and "copies its incident channel" in found.what
    [found] = checks.check_channel_copy(ALL, REPO, "public")
    assert found.level == "warning"
