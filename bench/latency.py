#!/usr/bin/env python3
"""Question 9: wall time per event with a runner's round trips, one process per event.

The sandbox adds 150 ms to every GitHub request and 100 ms to every Slack call (a runner's
round trips; `Sandbox.latency`, slept outside the sandbox's state lock so that requests made
at once overlap). Each event is a real `python -m incident_tool handle` (or `sweep`) child,
as Actions runs it; the incident is built untimed, without latency, between the timed runs.
For each event: wall time (median of 3), GitHub requests and Slack calls, and the critical
path: from the sandbox's log (arrival and end of each request), the longest chain of
requests each of which started after the previous one ended; its length and the seconds
spent in it. A run that makes every request in turn has a critical path of all of them.
Then `incident-tool demo` on plain loopback (no latency), wall time.

    python bench/latency.py                   # prints the table
    python bench/latency.py --output FILE.md  # and writes it
    # beside another commit's figures, the two taking turns (the machine's load is shared):
    # (its own sandbox too: the demo runs it)
    git archive main incident_tool incident_sandbox | (mkdir -p /tmp/main && tar -x -C /tmp/main)
    python bench/latency.py --baseline /tmp/main --baseline-label "main abc123"

`python bench/run.py` runs it as section 9 (`--baseline` there too).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab import (
    REPO,
    REPORT_BODY,
    ROOT,
    Lab,
    Report,
    RunResult,
    check,
    child_env,
    count,
    describe_source,
    loadavg,
    secs,
    spawn,
    verdict,
)

LATENCY = {"github": 0.15, "slack": 0.10}  # seconds per request: a runner's round trips
ROUNDS = 3  # each timed figure is the median of this many runs

# Goals (issue "requests in parallel where independent"): seconds, or None (no goal).
GOALS: dict[str, float | None] = {
    "form report": None,
    "declare": 1.5,
    "/update": 1.0,
    "/handover": 1.0,
    "close → retrospective + follow-ups": 1.5,
    "sweep, 5 open incidents": 3.0,
    "sweep, 20 open incidents": 8.0,
    "`incident-tool demo` (loopback, no latency)": 2.0,
}


@dataclass
class Timed:
    """One timed run: wall seconds, counts, and the critical path (requests, seconds)."""

    wall: float
    github: int
    slack: int
    path_requests: int
    path_seconds: float


def critical_path(reqs: list[Any]) -> tuple[int, float]:
    """The longest chain (by time spent in it) of requests each started after the previous
    ended, from the sandbox's log; (requests in it, seconds)."""
    spans = sorted((r.started, r.time) for r in reqs)
    best: list[
        tuple[float, int]
    ] = []  # per request: (seconds, requests) of the best chain ending there
    for i, (start, end) in enumerate(spans):
        before = max((best[j] for j in range(i) if spans[j][1] <= start), default=(0.0, 0))
        best.append((before[0] + (end - start), before[1] + 1))
    seconds, requests = max(best, default=(0.0, 0))
    return requests, seconds


def timed(result: RunResult) -> Timed:
    reqs = result.reqs
    c = count(reqs)
    path_requests, path_seconds = critical_path(reqs)
    return Timed(result.wall, c.gh, c.slack, path_requests, path_seconds)


@dataclass(frozen=True)
class Source:
    """A package to measure: its name in the table and the directory holding it."""

    name: str
    root: Path


def child(
    lab: Lab, source: Source, name: str, payload: dict[str, Any], argv: list[str] | None = None
) -> Timed:
    """One event in a child process (the `source` package) with the runner's latency on;
    checked to exit 0. What the run's own writes set off is then handled untimed."""
    path = lab._write_event(payload)
    env = lab.subprocess_env(name, path)
    env["PYTHONPATH"] = str(source.root)
    lab.sb.reset_log()
    lab.sb.latency = dict(LATENCY)
    try:
        rc, wall, _, text = spawn(
            [sys.executable, "-m", "incident_tool", *(argv or ["handle"])], env, lab.root
        )
    finally:
        lab.sb.latency = {}
    result = RunResult(name, rc, wall, lab.sb.requests, output=text)
    check([result], f"{source.name}: {name}")
    check(lab.deliver(), f"events after {name}")
    return timed(result)


Runs = dict[tuple[str, str], list[Timed]]  # (source, event) -> timed runs


def one_incident(lab: Lab, source: Source, runs: Runs, round_no: int) -> None:
    """Report → declare → /update → /handover → close with a follow-up; each event timed."""
    gh = lab.gh

    def timed_event(label: str, name: str, payload: dict[str, Any]) -> None:
        runs.setdefault((source.name, label), []).append(child(lab, source, name, payload))

    title = f"[Incident]: Search returns no results ({source.name} {round_no})"
    number = gh.open_issue(REPO, "rita", title, REPORT_BODY, labels=["incident:reported"])["number"]
    timed_event("form report", *lab.one_event())  # its label's run: not `opened`
    gh.add_label(REPO, number, "dana", "incident:declared")
    timed_event("declare", *lab.one_event())
    gh.comment(REPO, number, "dana", "/update Search index rebuilt; results are coming back.")
    timed_event("/update", *lab.one_event())
    gh.comment(REPO, number, "lee", "/join")
    check(lab.deliver(), "/join")
    gh.comment(REPO, number, "priya", "/handover @lee")
    timed_event("/handover", *lab.one_event())
    gh.comment(REPO, number, "lee", "/action Alert on empty search results within 5 minutes")
    check(lab.deliver(), "/action")
    gh.close_issue(REPO, number, "dana", reason="completed")
    timed_event("close → retrospective + follow-ups", *lab.one_event())


def sweeps(n_open: int, sources: list[Source], runs: Runs) -> None:
    """`sweep` over `n_open` declared incidents (a repository per source), ROUNDS runs each,
    the sources taking turns so that both see the same load on the machine."""
    label = f"sweep, {n_open} open incidents"
    labs = {source.name: Lab() for source in sources}
    try:
        for lab in labs.values():
            for i in range(n_open):
                lab.declare(lab.report(title=f"[Incident]: incident {i}"))
        for _ in range(ROUNDS):
            for source in sources:
                got = child(
                    labs[source.name],
                    source,
                    "schedule",
                    {"schedule": "*/5 * * * *"},
                    ["sweep", "--repo", REPO],
                )
                runs.setdefault((source.name, label), []).append(got)
    finally:
        for lab in labs.values():
            lab.close()


def demos(sources: list[Source], runs: Runs) -> None:
    """`incident-tool demo` wall seconds on plain loopback (the sandbox in the child)."""
    for _ in range(ROUNDS):
        for source in sources:
            env = child_env()
            env["PYTHONPATH"] = str(source.root)
            rc, wall, _, text = spawn(
                [sys.executable, "-m", "incident_tool", "demo"], env, source.root
            )
            if rc != 0:
                raise RuntimeError(f"{source.name}: demo exited {rc}:\n{text[-2000:]}")
            runs.setdefault((source.name, DEMO), []).append(Timed(wall, 0, 0, 0, 0.0))


DEMO = "`incident-tool demo` (loopback, no latency)"


def _cells(runs: list[Timed], demo: bool) -> list[str]:
    """wall, min – max, GitHub, Slack, critical path of one source's runs of one event."""
    walls = [r.wall for r in runs]

    def figure(values: list[int]) -> str:
        low, high = min(values), max(values)
        return str(low) if low == high else f"{low}–{high}"

    spread = f"{secs(min(walls))} – {secs(max(walls))}"
    if demo:
        return [secs(statistics.median(walls)), spread, "", "", ""]
    path = statistics.median(r.path_seconds for r in runs)
    return [
        secs(statistics.median(walls)),
        spread,
        figure([r.github for r in runs]),
        figure([r.slack for r in runs]),
        f"{figure([r.path_requests for r in runs])} · {secs(path)}",
    ]


def section9(rep: Report, quick: bool = False, baseline: Source | None = None) -> dict[str, Any]:
    """The table; with `baseline`, its figures beside this code's, the two measured in turn.
    (Sizes do not shrink with --quick: these figures are the goals' proof.)"""
    rep.section(
        "9. Wall time per event with a runner's round trips (150 ms per GitHub request, "
        "100 ms per Slack call), one process per event"
    )
    this = Source("this code", ROOT)
    sources = [this] + ([baseline] if baseline else [])
    runs: Runs = {}
    with Lab() as lab:
        for round_no in range(ROUNDS):
            for source in sources:
                one_incident(lab, source, runs, round_no)
    sweeps(5, sources, runs)
    sweeps(20, sources, runs)
    demos(sources, runs)
    rep.add(
        "Critical path: the longest chain of requests each of which started after the "
        "previous one ended (requests · seconds spent in them); a run that waits for every "
        "request in turn has all of them on it. Counts are per run (a range when the runs "
        "differ: a sweep's first run catches up, the next ones find less to do)."
        + (
            f" **{baseline.name}** and **{this.name}** took turns, event by event, so that "
            "both saw the same load on the machine."
            if baseline
            else ""
        )
    )
    rep.add("")
    columns = ["wall (median of 3)", "min – max", "GitHub requests", "Slack calls", "critical path"]
    headers = ["event"]
    for source in sources[::-1]:
        headers += [f"{c}, {source.name}" for c in columns] if baseline else columns
    rows, goals = [], []
    for label, goal in GOALS.items():
        row = [label]
        for source in sources[::-1]:
            row += _cells(runs[(source.name, label)], label == DEMO)
        median = statistics.median(r.wall for r in runs[(this.name, label)])
        row.append("" if goal is None else f"≤ {goal:g} s {verdict(median <= goal)}")
        rows.append(row)
        if goal is not None:
            goals.append((label, goal, median))
    rep.table([*headers, "goal (this code)"], rows)
    return {"rows": rows, "goals": goals}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default=str(ROOT), help="the incident_tool to measure")
    parser.add_argument("--source-label", default="", help="what --source is (e.g. a commit)")
    parser.add_argument(
        "--baseline", default="", help="a directory holding the incident_tool to compare with"
    )
    parser.add_argument("--baseline-label", default="before", help="its name in the table")
    parser.add_argument("--output", default="", help="also write the table to this file")
    args = parser.parse_args(argv)
    rep = Report()
    rep.add(f"- Code measured: {describe_source(args.source_label)}")
    baseline = Source(args.baseline_label, Path(args.baseline).resolve()) if args.baseline else None
    if baseline:
        rep.add(f"- Compared with: `{baseline.root}` ({baseline.name})")
    started = time.perf_counter()
    before = loadavg()
    section9(rep, baseline=baseline)
    rep.add(
        f"<sub>{time.perf_counter() - started:.0f} s; load average before {before}, "
        f"after {loadavg()}</sub>"
    )
    if args.output:
        Path(args.output).write_text(rep.text(), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
