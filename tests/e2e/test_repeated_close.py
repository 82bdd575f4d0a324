"""An outsider closing a declared incident over and over (issue #23, item 3): the first
close is undone with one reply; after that each close is left for the team, who are told
once, so the loop costs the tool no more writes (docs/usage.md#who-may-change-an-incident-by-hand).
"""

from __future__ import annotations

from tests.e2e.test_trust import Watch, declared_by_tess_report
from tests.world import REPO

CLOSES = 6


def test_an_outsiders_repeated_close_is_undone_once_then_left_to_the_team(world):
    world.gh.add_user("tess", name="Tess Tester")  # no collaborator access
    n = declared_by_tess_report(world, "tess")
    watch = Watch(world, n)
    per_close: list[int] = []
    for _ in range(CLOSES):
        if world.issue(n)["state"] == "closed":
            world.gh.reopen_issue(REPO, n, "tess")  # GitHub lets her: she closed it
            world.deliver()
        before = len(world.sb.requests)
        world.gh.close_issue(REPO, n, "tess", reason="completed")
        world.deliver()
        per_close.append(sum(1 for r in world.sb.requests[before:] if r.service == "github"))
    replies = watch.since()["replies"]
    assert len(watch.undone()) == 1
    [left] = [r for r in replies if "incident-tool:left-to-team:tess" in r]
    assert "leaves it to the team" in left and "triage access" in left
    assert len(replies) == 2  # nothing else was said on the issue
    record = world.record(n)
    assert record.state.value == "declared" and record.undone == {"tess": 1}
    assert world.issue(n)["state"] == "closed"  # as she left it: the team decides
    assert world.retrospectives() == [] and watch.since()["paged"] == []
    assert watch.since()["announced"] == []
    # The first close costs its undoing, the second the notice; later ones only reads.
    assert per_close[2:] == [per_close[2]] * (CLOSES - 2), per_close
    assert per_close[2] < per_close[0], per_close
    print(f"repeated close: GitHub requests per close {per_close}")

    # A delivery manager reopens it: the incident goes on as declared.
    world.gh.reopen_issue(REPO, n, "dana")
    world.deliver()
    assert world.record(n).state.value == "declared" and world.issue(n)["state"] == "open"
