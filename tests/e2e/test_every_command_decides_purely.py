"""Every command of the registry, given on the issue and in Slack, by someone who may and by
an outsider, then a sweep: each decided without a request (the autouse guard of
tests/conftest.py, `decisions_make_no_request`, fails the test on any), and each answered.

The registry is read, not listed here: a command added later is covered without an edit.
"""

from __future__ import annotations

import re

import pytest

from incident_tool.core.commands import SPECS
from tests.world import REPO, cli

SAMPLES = {  # what each placeholder of a usage line becomes
    "@user": "@lee",
    "@owner": "@lee",
    "<1-4>": "2",
    "<duration>": "30m",
    "[hours]": "48",
    "<ref>": "#1",
    "<pull-request>": "#1",
}


def sample(usage: str) -> str:
    """`/invite @user [why]` → `/invite @lee some words`: a usage line made a real command."""
    words = []
    for word in usage.split():
        if word in SAMPLES or word.strip("[]") in SAMPLES:
            words.append(SAMPLES.get(word) or SAMPLES[word.strip("[]")])
        elif re.fullmatch(r"[<\[][a-z -]+[>\]]", word):
            words.append("checked the load balancer")
        else:
            words.append(word)
    return " ".join(words)


def test_sample_fills_every_placeholder() -> None:
    for spec in SPECS:
        assert not re.search(r"[<\[]", sample(spec.usage)), spec.usage
    assert sample("/invite @user [why]") == "/invite @lee checked the load balancer"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: str(s.name))
def test_on_the_issue_by_the_team_and_by_an_outsider(world, spec) -> None:
    number = world.report()
    world.declare(number)
    before = len(world.bot_comments(number))
    world.say(number, "rita", sample(spec.usage))  # read access only
    world.say(number, "dana", sample(spec.usage))  # the delivery manager
    cli(world, "sweep", "--repo", REPO)
    answered = world.bot_comments(number)[before:]
    reacted = [c for c in world.gh.comments(REPO, number) if world.gh.reactions(c["id"])]
    assert answered or reacted, f"{spec.usage}: nobody was answered"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: str(s.name))
def test_in_slack_by_the_team(world, spec) -> None:
    number = world.report()
    world.declare(number)
    channel = world.record(number).channel_id
    bot, dana = world.sl.bot_user_id, world.team["slack_ids"]["dana"]
    text = sample(spec.usage).lstrip("/").replace("@lee", f"<@{world.team['slack_ids']['lee']}>")
    ts = world.sl.post_as_user(channel, dana, f"<@{bot}> {text}")
    code, output = cli(world, "sweep", "--repo", REPO)
    assert code == 0, output
    [message] = [m for m in world.sl.messages(channel, include_system=True) if m["ts"] == ts]
    took = {r["name"] for r in message.get("reactions", [])}
    assert "robot_face" in took, f"{spec.usage}: the command was not taken"
