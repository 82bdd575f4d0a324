"""The retrospective copies the incident channel only when the team asks (issue #23 item 6;
SPEC §19): `retrospective.slack_messages: notes` (the default) keeps the Slack notes (📌)
and leaves the channel's other messages out; `all` copies them as before."""

from __future__ import annotations

import pytest

from incident_tool.config import ConfigError, RetrospectiveConfig, load
from tests.world import REPO, cli

OTHER_SECTION = "<details><summary>The incident channel's other messages"


def resolved_with_chatter(world) -> str:
    number = world.report()
    world.declare(number)
    channel = world.record(number).channel_id
    ids = world.team["slack_ids"]
    world.sl.post_as_user(channel, ids["lee"], "db password is hunter2 … sk_live_123")
    ts = world.sl.post_as_user(channel, ids["lee"], "Cause: a bad index alias")
    world.sl.pin_as_user(channel, ts, ids["lee"])
    world.say(number, "dana", "/resolve")
    [retro] = world.retrospectives()
    return retro["body"]


def test_by_default_only_the_notes_reach_the_retrospective(world):
    body = resolved_with_chatter(world)
    assert "Slack note (lee): Cause: a bad index alias" in body
    assert "hunter2" not in body and "sk_live_123" not in body
    assert OTHER_SECTION not in body


def test_all_copies_the_channel_as_before(world):
    world.write_config(retrospective={"slack_messages": "all"})
    body = resolved_with_chatter(world)
    timeline, _, rest = body.partition(OTHER_SECTION)
    assert "Slack note (lee): Cause: a bad index alias" in timeline
    assert "hunter2" in rest


def test_retro_rewritten_by_hand_follows_the_setting(world):
    resolved_with_chatter(world)
    [retro] = world.retrospectives()
    code, output = cli(world, "retro", str(retro["number"] - 1), "--repo", REPO, "--print")
    assert code == 0, output
    assert "Cause: a bad index alias" in output and "hunter2" not in output


def test_the_key_is_checked(tmp_path):
    assert RetrospectiveConfig().slack_messages == "notes"
    path = tmp_path / "incident.yml"
    path.write_text("retrospective:\n  slack_messages: everything\n")
    with pytest.raises(ConfigError, match="retrospective.slack_messages"):
        load(path)
    path.write_text("retrospective:\n  slack_messages: all\n")
    assert load(path).retrospective.slack_messages == "all"
