"""Only the protocol's people can drive an incident
(docs/usage.md#who-may-change-an-incident-by-hand), end to end on the sandbox.

One person, `tess`, acts with each repository permission in turn (none: no collaborator
access at all, then read, triage, write, maintain, admin). She is not a delivery manager,
not a responder and not the lead, and she reported the incident herself, so GitHub lets
her close it (and reopen what she closed) whatever her access. For each change: what
state results, what was undone, what was announced in the announce channel, who was
paged by DM.
"""

from __future__ import annotations

import pytest

from incident_sandbox import SandboxGitHubError
from tests.world import REPO

ROLES = ("none", "read", "triage", "write", "maintain", "admin")
TEAM_ROLES = {"triage", "write", "maintain", "admin"}


@pytest.fixture
def tess(world):
    def make(role: str) -> str:
        world.gh.add_user("tess", name="Tess Tester")
        if role != "none":
            world.gh.add_collaborator(REPO, "tess", role)
        return "tess"

    return make


class Watch:
    """What the team saw from a point on: announcements, DMs to dana, undo replies."""

    def __init__(self, world, number: int) -> None:
        self.world, self.number = world, number
        self.announce = world.team["channels"]["wc-platform"]
        self.dana = world.team["slack_ids"]["dana"]
        self.marks = self.counts()

    def counts(self) -> tuple[int, int, int]:
        w = self.world
        return (
            len(w.sl.messages(self.announce)),
            len(w.sl.dms(self.dana)),
            len(w.bot_comments(self.number)),
        )

    def since(self) -> dict[str, list[str]]:
        w = self.world
        a, d, c = self.marks
        return {
            "announced": [m["text"] for m in w.sl.messages(self.announce)[a:]],
            "paged": [m["text"] for m in w.sl.dms(self.dana)[d:]],
            "replies": [c["body"] for c in w.bot_comments(self.number)[c:]],
        }

    def undone(self) -> list[str]:
        return [b for b in self.since()["replies"] if "incident-tool:undone:" in b]


def result(world, n: int) -> tuple[str, str]:
    return world.record(n).state.value, world.issue(n)["state"]


def declared_by_tess_report(world, who: str) -> int:
    n = world.report(by=who)
    world.declare(n)  # dana, a delivery manager; priya leads (sam is away)
    return n


@pytest.mark.parametrize("role", ROLES)
def test_close_as_completed(world, tess, role):
    who = tess(role)
    n = declared_by_tess_report(world, who)
    watch = Watch(world, n)
    world.gh.close_issue(REPO, n, who, reason="completed")
    world.deliver()
    seen = watch.since()
    if role in TEAM_ROLES:
        # The team may resolve by closing; the delivery managers are asked to confirm.
        assert result(world, n) == ("resolved", "closed")
        assert len(world.retrospectives()) == 1
        assert any("Incident resolved" in t for t in seen["announced"])
        assert any("Please confirm" in t for t in seen["paged"])
        assert not watch.undone()
    else:
        assert result(world, n) == ("declared", "open")  # reopened by the tool
        [undo] = watch.undone()
        assert "was undone" in undo and "triage access" in undo
        assert world.retrospectives() == []
        assert seen["announced"] == [] and seen["paged"] == []
    assert world.state_labels(n) == [f"incident:{result(world, n)[0]}"]


@pytest.mark.parametrize("role", ROLES)
def test_close_as_not_planned_needs_a_delivery_manager(world, tess, role):
    who = tess(role)
    n = declared_by_tess_report(world, who)
    watch = Watch(world, n)
    world.gh.close_issue(REPO, n, who, reason="not_planned")
    world.deliver()
    seen = watch.since()
    # Dismissing is a delivery manager's decision (docs/usage.md#commands), whatever the access.
    assert result(world, n) == ("declared", "open")
    [undo] = watch.undone()
    assert "only a delivery manager may dismiss it" in undo
    assert seen["announced"] == [] and seen["paged"] == []
    assert world.state_labels(n) == ["incident:declared"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("reason", ["not_planned", "completed"])
def test_a_reporter_may_withdraw_their_own_report(world, tess, role, reason):
    who = tess(role)
    n = world.report(by=who)
    watch = Watch(world, n)
    world.gh.close_issue(REPO, n, who, reason=reason)
    world.deliver()
    seen = watch.since()
    assert result(world, n) == ("dismissed", "closed")
    assert "withdrawn by the reporter" in world.status(n)["body"]
    assert world.retrospectives() == [] and not watch.undone()
    assert seen["announced"] == [] and seen["paged"] == []


@pytest.mark.parametrize("role", ROLES)
def test_reopen(world, tess, role):
    who = tess(role)
    n = world.report(by=who)
    world.gh.close_issue(REPO, n, who, reason="not_planned")  # withdrawn
    world.deliver()
    watch = Watch(world, n)
    world.gh.reopen_issue(REPO, n, who)  # GitHub lets her: she closed it herself
    world.deliver()
    seen = watch.since()
    if role in TEAM_ROLES:
        # Back to declared, as if she declared it: announced, the delivery manager told.
        assert result(world, n) == ("declared", "open")
        assert any("Incident declared" in t for t in seen["announced"])
        assert any("without a delivery manager" in t for t in seen["paged"])
    else:
        assert result(world, n) == ("dismissed", "closed")  # closed again by the tool
        [undo] = watch.undone()
        assert "Reopening this issue" in undo
        assert seen["announced"] == [] and seen["paged"] == []
        # Closed by the tool now, so GitHub no longer lets her reopen it.
        with pytest.raises(SandboxGitHubError):
            world.gh.reopen_issue(REPO, n, who)


@pytest.mark.parametrize("role", ROLES)
def test_reopen_of_a_resolved_incident(world, tess, role):
    who = tess(role)
    n = declared_by_tess_report(world, who)
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver()
    watch = Watch(world, n)
    if role not in TEAM_ROLES:
        with pytest.raises(SandboxGitHubError):  # dana closed it: GitHub refuses the author
            world.gh.reopen_issue(REPO, n, who)
        assert result(world, n) == ("resolved", "closed")
        return
    world.gh.reopen_issue(REPO, n, who)
    world.deliver()
    assert result(world, n) == ("declared", "open")
    assert any("Incident reopened" in t for t in watch.since()["announced"])


# label -> (state before, allowed for the team?, state after when allowed)
LABELS = {
    "incident:declared": ("reported", True, "declared"),
    "incident:mitigated": ("declared", False, None),  # lead or delivery manager
    "incident:resolved": ("declared", True, "resolved"),
    "incident:dismissed": ("declared", False, None),  # delivery manager
    "incident:reported": ("dismissed", True, "reported"),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("label", list(LABELS))
def test_adding_a_state_label(world, tess, role, label):
    who = tess(role)
    before, allowed, after = LABELS[label]
    n = world.report(by=who)
    if before == "declared":
        world.declare(n)
    elif before == "dismissed":
        world.say(n, "dana", "/dismiss not an incident")
    assert world.record(n).state.value == before
    watch = Watch(world, n)
    if role not in TEAM_ROLES:
        with pytest.raises(SandboxGitHubError):  # labels need triage on GitHub
            world.gh.add_label(REPO, n, who, label)
        assert world.gh.take_events() == []  # nothing happened: no run
        assert world.record(n).state.value == before
        return
    world.gh.add_label(REPO, n, who, label)
    world.deliver()
    seen = watch.since()
    if allowed:
        assert world.record(n).state.value == after
        assert not watch.undone()
        if after == "declared":
            assert any("Incident declared" in t for t in seen["announced"])
            assert any("without a delivery manager" in t for t in seen["paged"])
        if after == "resolved":
            assert any("Incident resolved" in t for t in seen["announced"])
            assert len(world.retrospectives()) == 1
    else:
        assert world.record(n).state.value == before
        [undo] = watch.undone()
        assert f"Adding `{label}`" in undo
        assert seen["announced"] == [] and seen["paged"] == []
    assert world.state_labels(n) == [f"incident:{world.record(n).state.value}"]
