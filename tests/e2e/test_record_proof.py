"""The record's proof, SPEC §19: docs/security.md#the-record-and-its-proof.

Every workflow of a repository writes as github-actions[bot]: another workflow that echoes
issue text can write a status comment. With the key, the tool believes only a record it
sealed itself, on that issue.
"""

from __future__ import annotations

import json
import re

import pytest

from incident_sandbox.demo import REPO
from incident_tool.core.record import NOT_PROVEN, extract, extract_proven, seal
from incident_tool.effects.github import REVISIONS
from tests.world import cli

KEY = "correct horse battery staple, 32+ bytes of secret"


def with_key(world, key: str = KEY):
    world.driver.env["INCIDENT_TOOL_RECORD_KEY"] = key
    return world


def forge(world, number: int, **changes) -> None:
    """Another workflow rewrites the record inside the status comment (as the bot)."""
    status = world.status(number)
    body = status["body"]
    match = re.search(r"<!-- incident-tool:data (\{.*\}) -->", body, re.DOTALL)
    assert match
    data = json.loads(match.group(1))
    data.update(changes)
    forged = body[: match.start(1)] + json.dumps(data) + body[match.end(1) :]
    world.gh.edit_comment(REPO, status["id"], world.gh.bot_login, forged)


def forge_past_the_revisions(world, number: int, **changes) -> None:
    """Forge the record more times than a run reads revisions back, so that none this tool
    sealed is left among them to restore."""
    for i in range(REVISIONS):
        forge(world, number, **changes, forged=i)


# -- the seal, pure --------------------------------------------------------------------------


def test_a_sealed_record_is_believed_on_its_issue_only():
    body = '<!-- incident-tool:status -->\nhi\n<!-- incident-tool:data {"v":1} -->'
    sealed = seal(body, b"k", "o/r", 7)
    assert "<!-- incident-tool:proof v1 " in sealed
    assert extract_proven(sealed, b"k", "o/r", 7) == (extract(sealed), None)
    assert extract_proven(sealed, b"k", "o/r", 8) == (None, NOT_PROVEN)  # another issue
    assert extract_proven(sealed, b"k", "o/other", 7) == (None, NOT_PROVEN)
    assert extract_proven(sealed, b"other key", "o/r", 7) == (None, NOT_PROVEN)
    assert extract_proven(body, b"k", "o/r", 7) == (None, NOT_PROVEN)  # never sealed
    # Without a key: as before, sealed or not.
    assert extract_proven(body, None, "o/r", 7)[0] is not None
    assert seal(body, None, "o/r", 7) == body
    tampered = sealed.replace('{"v":1}', '{"v":1,"lead":"olly"}')
    assert extract_proven(tampered, b"k", "o/r", 7) == (None, NOT_PROVEN)


# -- against the sandbox ---------------------------------------------------------------------


def test_with_the_key_the_tool_seals_and_believes_its_own_record(world):
    with_key(world)
    number = world.report()
    world.declare(number)
    assert "<!-- incident-tool:proof v1 " in world.status(number)["body"]
    world.say(number, "priya", "/update Looking at the index.")
    record = world.record(number)
    assert not any(NOT_PROVEN in p for p in record.problems)
    assert [e.text for e in record.timeline if e.kind == "update"] == ["Looking at the index."]


def test_a_forged_record_is_not_believed_and_its_lead_cannot_resolve(world):
    with_key(world)
    number = world.report()
    world.declare(number)
    lead = world.assignees(number)
    # Another workflow (writing as github-actions[bot]) says olly leads and it is mitigated.
    forge(world, number, lead="olly", state="mitigated")
    # The lead is away now: a run starting again from the issue keeps the one assigned.
    world.sl.set_presence(world.team["slack_ids"][lead[0]], "away")
    world.say(number, "olly", "/resolve")
    # olly is no collaborator: his comment starts no run; the sweep's reads it.
    assert cli(world, "sweep", "--repo", REPO)[0] == 0
    record = world.record(number)
    assert any(NOT_PROVEN in p or "is restored" in p for p in record.problems)
    assert record.lead != "olly"
    assert world.issue(number)["state"] == "open"
    assert world.state_labels(number) == ["incident:declared"]
    assert world.assignees(number) == lead
    assert record.lead == lead[0]
    # Said once: the record now carries the proof, and the next run believes it.
    world.say(number, lead[0], "/update Still looking.")
    again = world.record(number)
    assert sum("no valid proof" in p for p in again.problems) == 1


def test_without_the_key_behaviour_is_as_before(world):
    number = world.report()
    world.declare(number)
    assert "incident-tool:proof" not in world.status(number)["body"]
    forge(world, number, severity="1")
    world.say(number, "priya", "/update Looking.")
    assert world.record(number).severity == "1"  # believed: no key, no proof asked


# -- a forged record has no effect: its last sealed revision is restored -----------------


def test_a_forged_record_is_undone_from_the_status_comments_revisions(world):
    """GitHub keeps a comment's revisions (GraphQL userContentEdits): the run that finds
    the record forged restores the newest one this tool sealed, so nothing is lost and
    nothing the forgery said takes effect."""
    with_key(world)
    number = world.report()
    world.declare(number)
    world.say(number, "dana", "/severity 2")
    world.say(number, "priya", "/update digging")
    before = world.record(number)
    forge(world, number, severity="1", lead="olly", state="mitigated")
    world.say(number, "dana", "/update still digging")
    record = world.record(number)
    assert (record.state.value, record.severity, record.lead) == ("declared", 2, before.lead)
    assert record.timeline[: len(before.timeline)] == before.timeline  # nothing lost
    assert [e.text for e in record.timeline if e.kind == "update"] == [
        "digging",
        "still digging",
    ]
    assert not any(e.kind == "rebuilt" for e in record.timeline)
    assert sum("is restored" in p for p in record.problems) == 1
    assert "<!-- incident-tool:proof v1 " in world.status(number)["body"]


# -- with no sealed revision, the run starts again where the issue says -------------------


def test_a_record_written_before_the_key_was_set_is_rebuilt_from_the_issue(world):
    """Its revisions hold no sealed record either (the key came later): the run starts
    again from the issue's labels, and the record it saves is sealed."""
    number = world.report()
    world.declare(number)
    world.say(number, "dana", "/mitigated")
    with_key(world)
    world.say(number, "dana", "a plain comment")
    assert world.state_labels(number) == ["incident:mitigated"]
    record = world.record(number)
    assert record.state.value == "mitigated"
    assert any(e.kind == "rebuilt" for e in record.timeline)
    assert any(NOT_PROVEN in p for p in record.problems)
    assert "<!-- incident-tool:proof v1 " in world.status(number)["body"]


# -- forged past its revisions: the run starts again where the issue says ----------------


@pytest.mark.parametrize(
    ("command", "label", "state"),
    [
        ("/mitigated", "incident:mitigated", "open"),
        ("/resolve", "incident:resolved", "closed"),
    ],
)
def test_a_forged_record_leaves_the_incident_where_its_labels_say(world, command, label, state):
    """Audit of issue #23: a run that did not believe the record started again as a report,
    took the tool's own state label for nobody's, and sent a resolved incident back to
    triage, reopened. (Forged over and over, so that no sealed revision is left to restore.)"""
    with_key(world)
    number = world.report()
    world.declare(number)
    world.say(number, "dana", command)
    forge_past_the_revisions(world, number, severity="3")
    world.say(number, "dana", "a plain comment")  # a run of the team's reads the forgery
    assert world.state_labels(number) == [label] and world.issue(number)["state"] == state
    record = world.record(number)
    assert record.state.label == label
    assert any(e.kind == "rebuilt" for e in record.timeline)
    assert any(NOT_PROVEN in p for p in record.problems)


def test_a_forged_record_is_not_declared_announced_or_given_a_channel_again(world):
    with_key(world)
    number = world.report()
    world.declare(number)
    world.say(number, "dana", "/severity 2")
    world.say(number, "priya", "/update digging")
    sl = world.sl
    announce = world.team["channels"]["wc-platform"]
    channel = world.incident_channel(number)["id"]
    before = (
        len(sl.messages(announce)),
        sum(len(sl.dms(u)) for u in world.team["slack_ids"].values()),
    )
    for change in ({"severity": "1"}, {"lead": "olly", "state": "mitigated"}):
        forge_past_the_revisions(world, number, **change)
        world.say(number, "dana", "/update still digging")
    after = (
        len(sl.messages(announce)),
        sum(len(sl.dms(u)) for u in world.team["slack_ids"].values()),
    )
    assert after == before  # no second "declared", no severity announced again, no page
    record = world.record(number)
    assert record.channel_id == channel and record.severity == 2
    assert world.state_labels(number) == ["incident:declared"]
    channels = [c for c in sl.channels() if c["name"].startswith("incident-")]
    assert len(channels) == 1
    # The updates after the forgery still reach the incident's one channel.
    assert sum("still digging" in t for t in world.slack_texts(channel)) == 2


def test_a_rebuilt_record_does_not_take_a_channel_someone_else_named_like_it(world):
    """Review: the rebuild took the first channel named `incident-<n>-…`, whoever made it;
    anyone in the workspace can make one. Only the bot's own is taken."""
    with_key(world)
    number = world.report()
    world.declare(number)
    real = world.incident_channel(number)["id"]
    world.sl.archive_channel(real)  # gone from the list: the squatter's is the only one
    dana = world.team["slack_ids"]["dana"]
    squatter = world.sl.add_channel(f"incident-{number}-mine", members=[dana])
    forge_past_the_revisions(world, number, severity="1")
    world.say(number, "dana", "/update still digging")
    record = world.record(number)
    assert record.channel_id not in (None, squatter, real)
    assert not any("still digging" in t for t in world.slack_texts(squatter))
