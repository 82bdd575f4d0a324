"""What reading the changes before an incident adds to a declaration (issue #24).

The read is the declaration's CHANGES fact (effects/changes.py): four requests a
repository (the deployments with their latest state in one GraphQL query; pull requests,
releases and failed runs), all at once through the run's pool (effects/parallel.py, six
in flight). It is made once, while the declaration decides,
so its wall time is what it adds to the declaration. Measured against the sandbox with
150 ms added to every GitHub request (a runner's round trip), for 1, 5 and 20
repositories, each with a deployment, a merged pull request, a release and a failed run
in the window (the incidents repository read with its token, the others with
CHANGES_TOKEN).

Usage: ``python bench/changes.py`` (``--rounds N``: the median of N reads, default 3).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from incident_sandbox import Sandbox  # noqa: E402
from incident_tool.effects.changes import ChangeReader  # noqa: E402
from incident_tool.effects.github import Gateway, client  # noqa: E402

LATENCY = 0.15  # seconds per GitHub request
INCIDENTS = "org/incidents"
GOAL_5 = 1.0  # seconds added for 5 repositories (issue #24)
MAX_PER_REPO = 4


def seed(sb: Sandbox, repositories: list[str], now: datetime) -> str:
    """The repositories with one change of each kind an hour before; a reader's token."""
    gh = sb.github
    gh.add_user("sam")
    gh.add_user("reader")
    for i, repo in enumerate(repositories):
        gh.add_repo(repo, private=True)
        gh.add_collaborator(repo, "sam", "write")
        gh.add_collaborator(repo, "reader", "read")
        at = now - timedelta(minutes=60 + i)
        gh.add_deployment(repo, "sam", ref=f"v{i}", at=at)
        gh.merge_pull_request(repo, "sam", f"Change {i}", at=at)
        gh.add_release(repo, "sam", f"v{i}.0", at=at)
        gh.add_workflow_run(repo, ".github/workflows/ci.yml", at=at)
    return gh.user("reader").token or ""


def measure(count: int, rounds: int) -> tuple[int, float, int]:
    """(GitHub requests, median seconds, changes shown) of one declaration's read."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    repositories = [INCIDENTS, *(f"org/service-{i}" for i in range(1, count))]
    walls, requests, shown = [], 0, 0
    with Sandbox() as sb:
        token = seed(sb, repositories, now)
        gateway = Gateway(client(sb.github.bot_token, sb.github_url), INCIDENTS, log=lambda _: None)
        sb.latency = {"github": LATENCY}
        for _ in range(rounds):
            before = len(sb.requests)
            reader = ChangeReader(gateway, lambda _: None, token=token)
            start = time.perf_counter()
            found = reader.read(tuple(repositories), now - timedelta(hours=24), now)
            walls.append(time.perf_counter() - start)
            requests = len([r for r in sb.requests[before:] if r.service == "github"])
            shown = len(found.items)
            assert not found.unread, found.unread
            assert requests == found.requests, (requests, found.requests)
    return requests, statistics.median(walls), shown


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"Changes read at declaration, {LATENCY * 1000:.0f} ms per GitHub request")
    print("| repositories | requests | per repository | added | shown |")
    print("|---|---|---|---|---|")
    ok = True
    for count in (1, 5, 20):
        requests, wall, shown = measure(count, args.rounds)
        per = requests / count
        print(f"| {count} | {requests} | {per:.2f} | {wall:.2f} s | {shown} |")
        ok = ok and per <= MAX_PER_REPO
        if count == 5:
            ok = ok and wall <= GOAL_5
    goal = f"<= {GOAL_5:.0f} s added for 5 repositories, <= {MAX_PER_REPO} requests each"
    print(f"goal: {goal}: {'met' if ok else 'missed'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
