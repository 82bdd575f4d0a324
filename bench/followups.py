#!/usr/bin/env python3
"""GitHub requests for follow-ups (docs/usage.md#follow-ups), against the sandbox: `python
bench/followups.py`.

For k `/action`s: the resolving run (close → retrospective → k follow-ups), an `/action`
after resolution, a later run with nothing to do, and `sweep` with the follow-ups not yet
due, all overdue, and again at once (reminded already).
"""

from __future__ import annotations

import sys
import tempfile
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import incident_tool.app as run_module
import incident_tool.effects.github as gh_module
from tests.world import REPO, cli, make_world

gh_module.BULK_WRITE_INTERVAL = 0


def measure(k: int) -> list[int]:
    sb, w = make_world(Path(tempfile.mkdtemp()))
    original = run_module.utcnow
    try:
        n = w.report()
        w.declare(n)
        for i in range(k):
            w.say(n, "priya", f"/action @lee thing {i}")
        counts = []

        def count(step) -> None:
            start = len(sb.requests)
            step()
            counts.append(sum(1 for r in sb.requests[start:] if r.service == "github"))

        def close() -> None:
            w.gh.close_issue(REPO, n, "dana", reason="completed")
            w.deliver()

        count(close)
        count(lambda: w.say(n, "priya", "/action @lee one more"))
        count(lambda: w.say(n, "dana", "a plain comment"))
        count(lambda: cli(w, "sweep", "--repo", REPO))
        w.clock.now += timedelta(days=31)
        moment = w.clock.now
        run_module.utcnow = lambda: moment
        count(lambda: cli(w, "sweep", "--repo", REPO))
        count(lambda: cli(w, "sweep", "--repo", REPO))
        return counts
    finally:
        run_module.utcnow = original
        sb.close()


def main() -> None:
    print(
        "| /actions | resolve | late /action | next run | sweep, none due "
        "| sweep, all overdue | sweep again |"
    )
    print("|---|---|---|---|---|---|---|")
    for k in (0, 1, 3, 10):
        print(f"| {k} | " + " | ".join(str(c) for c in measure(k)) + " |")


if __name__ == "__main__":
    main()
