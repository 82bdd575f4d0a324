"""Benchmark: what reading Slack back costs (docs/usage.md#slack-writes-back).

    python bench/slack_back.py            # prints Markdown; appended to bench/results.md by hand

Against the sandbox with the demo team, through `incident-tool sweep` as Actions runs it:
- Slack calls (and GitHub requests) of one sweep on one incident with nothing new in its
  channel, with 10 and with 500 new messages (one of them a command, one a pin);
- one sweep over 10 open incidents with nothing new, and the request budget per hour of a
  5-minute sweep, against GITHUB_TOKEN's 1,000 requests an hour per repository and the
  Slack method tiers (per workspace, per method, a minute);
- the sweep that opens a report made in the announce channel, by someone on the team and
  by a Slack account not mapped in `people` (counted against its daily limit).
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from incident_sandbox.slack import TIERS
from tests.world import REPO, cli, make_world


def sweep(world) -> tuple[Counter, Counter]:
    """Run one sweep; return its GitHub requests by kind and Slack calls by method."""
    before = len(world.sb.requests)
    world.sl.calls.clear()
    code, output = cli(world, "sweep", "--repo", REPO)
    assert code == 0, output
    gh = Counter(
        "read" if r.method == "GET" or r.path.endswith("/graphql") else "write"
        for r in world.sb.requests[before:]
        if r.service == "github"
    )
    return gh, Counter(world.sl.calls)


def incident(world) -> tuple[int, str]:
    number = world.report()
    world.declare(number)
    world.say(number, "priya", "/ack")  # acknowledged: no ✅ look-ups on every sweep
    return number, world.record(number).channel_id


def fmt(calls: Counter) -> str:
    return ", ".join(f"{m} {n}" for m, n in sorted(calls.items()))


def slack_reports() -> None:
    """The sweep that opens a Slack report: its requests, and which of them counts the
    reporter's reports (`GET /issues?creator=`)."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        sb, world = make_world(Path(tmp))
        try:
            announce = world.team["channels"]["wc-platform"]
            bot = world.sl.bot_user_id
            world.sl.add_user("U0GUEST001", "guest", "Gus Guest")
            sweep(world)  # the quiet day's sweep: not what is measured
            reporters = [("lee (team)", world.team["slack_ids"]["lee"])]
            reporters += [(f"guest, report {i + 1}", "U0GUEST001") for i in range(4)]
            for who, user in reporters:
                dms_before = sum(len(world.sl.dms(x)) for x in world.team["slack_ids"].values())
                world.sl.post_as_user(announce, user, f"<@{bot}> report {who} says it is down")
                before = len(world.sb.requests)
                gh, sl = sweep(world)
                counted = sum(
                    1
                    for r in world.sb.requests[before:]
                    if r.service == "github" and r.path.endswith("/issues") and "creator" in r.query
                )
                dms = sum(len(world.sl.dms(x)) for x in world.team["slack_ids"].values())
                rows.append((who, sum(gh.values()), counted, sum(sl.values()), dms - dms_before))
            # The weekly follow-ups job, which now also reads the announce channel.
            before = len(world.sb.requests)
            world.sl.calls.clear()
            code, output = cli(world, "sweep", "--repo", REPO, "--followups-only")
            assert code == 0, output
            gh_weekly = sum(1 for r in world.sb.requests[before:] if r.service == "github")
            slack_weekly = Counter(world.sl.calls)
        finally:
            sb.close()
    print("### A report made in Slack: the sweep that opens it\n")
    print("| reporter | GitHub requests | of them, counting reports | Slack calls | DMs |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(str(x) for x in row) + " |")
    print(
        "\n(Each sweep also reads the reports still open from before, so the totals grow; "
        "a guest's 4th report of the day pages nobody.)\n"
    )
    print(
        f"The weekly follow-ups job with nothing new in Slack: {gh_weekly} GitHub requests, "
        f"{sum(slack_weekly.values())} Slack calls ({fmt(slack_weekly)}).\n"
    )


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        sb, world = make_world(Path(tmp))
        try:
            number, channel = incident(world)
            sweep(world)
            sweep(world)
            gh, sl = sweep(world)
            rows.append(("nothing new", sum(gh.values()), sum(sl.values()), fmt(sl)))
            ids = world.team["slack_ids"]
            bot = world.sl.bot_user_id
            for size in (10, 500):
                for i in range(size - 2):
                    world.sl.post_as_user(channel, ids["lee"], f"message {i}")
                pin = world.sl.post_as_user(channel, ids["sam"], "a finding")
                world.sl.pin_as_user(channel, pin, ids["sam"])
                world.sl.post_as_user(channel, ids["priya"], f"<@{bot}> update {size} read")
                gh, sl = sweep(world)
                rows.append(
                    (f"{size} new (a pin, a command)", sum(gh.values()), sum(sl.values()), fmt(sl))
                )
                sweep(world)  # the tool's own answer in the thread
        finally:
            sb.close()
    print("### Reading Slack back: one sweep, one incident\n")
    print("| channel since the last run | GitHub requests | Slack calls | Slack calls by method |")
    print("|---|---|---|---|")
    for what, gh_n, sl_n, detail in rows:
        print(f"| {what} | {gh_n} | {sl_n} | {detail} |")
    print(
        "\n(Per sweep, not per incident: the announce channel for `report` costs "
        "`auth.test`, `conversations.list` (a name in the config; none for an id) and one "
        "`conversations.history`.)\n"
    )

    with tempfile.TemporaryDirectory() as tmp:
        sb, world = make_world(Path(tmp))
        try:
            for _ in range(10):
                incident(world)
            sweep(world)
            sweep(world)
            gh, sl = sweep(world)
        finally:
            sb.close()
    per_hour = 12  # a 5-minute sweep
    gh_hour = sum(gh.values()) * per_hour
    print("### 10 open incidents, nothing new, a sweep every 5 minutes\n")
    gh_n, sl_n = sum(gh.values()), sum(sl.values())
    print(f"One sweep: {gh_n} GitHub requests ({fmt(gh)}), {sl_n} Slack calls ({fmt(sl)}).\n")
    print("| budget | per sweep | per hour (12 sweeps) | limit | share |")
    print("|---|---|---|---|---|")
    share = f"{gh_hour / 1000:.0%}"
    print(f"| GitHub (GITHUB_TOKEN) | {gh_n} | {gh_hour} | 1,000 / hour / repository | {share} |")
    for method, n in sorted(sl.items()):
        limit = TIERS.get(method, 50)
        burst = f"{n / limit:.0%} of a minute"
        print(f"| Slack `{method}` | {n} | {n * per_hour} | {limit} / minute | {burst} |")


if __name__ == "__main__":
    if "--reports" in sys.argv[1:]:
        slack_reports()
    else:
        main()
        slack_reports()
