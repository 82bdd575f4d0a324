"""Actions jobs a day, idle and during an incident, and jobs per report
(docs/operating.md#actions-bills-and-the-actions-write-permission).

    python bench/jobs.py

GitHub bills every job as at least one minute on private repositories, so the count of
jobs is the bill. Two workflow versions are compared on the same day of events:
- before: the single incident.yml of the first release (commit c283421: the sweep on
  a */10 cron in the same file; `opened` and `labeled` both ran the handle job);
- now: incident.yml + incident-sweep.yml (cron */5, switched on by a report and off
  by the first sweep that finds nothing open).

Which events start a job is decided by act itself: the real triggers and job-level
`if` (each job's steps replaced by a no-op) on the real payloads that the sandbox
sends, as GitHub sends them. act does not filter by activity type (`types:`), so an
`issues.opened` event counts no job where the workflow does not list `opened`, as on
GitHub. What the sweep
schedule costs is measured by running the real tool against the sandbox through the
day in 5-minute steps: the sweep workflow runs in a step only while the sandbox says
it is `active`, and each run is `incident-tool sweep`, which switches it off when it
finds nothing open.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_spec = importlib.util.spec_from_file_location("act_harness", ROOT / "tests/act/harness.py")
assert _spec is not None and _spec.loader is not None
harness = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = harness
_spec.loader.exec_module(harness)

from tests.world import REPO, cli, make_world  # noqa: E402

BEFORE = "c283421"  # the first release's workflow
SWEEP = ".github/workflows/incident-sweep.yml"
STEPS_PER_DAY = 24 * 12  # 5-minute steps


def jobs_only(text: str) -> str:
    """Return a workflow with each job's steps replaced by one no-op step.

    Which jobs start depends on the triggers and the job-level `if` alone; the no-op
    keeps act from running the steps (`act -n` still runs them on the host).
    """
    data = yaml.safe_load(text)
    data["on"] = data.pop(True)
    for job in data["jobs"].values():
        job["steps"] = [{"run": "true"}]
        job.pop("outputs", None)
        job.pop("environment", None)
    return yaml.safe_dump(data, sort_keys=False)


def jobs_started(act: Any, name: str, payload: dict[str, Any], workflow: Path) -> int:
    """Return how many jobs act starts for this event in this workflow."""
    on = yaml.safe_load((act.repo / workflow).read_text())["on"]
    if (name, payload.get("action")) == ("issues", "opened") and "opened" not in (
        on["issues"]["types"]
    ):
        return 0  # GitHub starts no run for an activity type a workflow does not list
    run = act.run(name, payload, workflow=workflow)
    if run.returncode != 0:
        raise SystemExit(run.describe())
    return run.output.count("🏁  Job succeeded")


def day(tmp: Path, incident: bool, *, start_off: bool = True) -> dict[str, int]:
    """Play one day; return the jobs each version starts, by kind.

    `start_off`: the sweep workflow is switched off at midnight (as a quiet day leaves
    it); else it starts on, as on the day `init`'s workflows are pushed.
    """
    sb, world = make_world(tmp / ("incident" if incident else "idle"))
    if start_off:
        world.gh.repo(REPO).workflows[SWEEP].state = "disabled_manually"
    act = harness.ActHarness(tmp / f"act-{incident}", repository=REPO)
    before = Path(".github/workflows/incident-before.yml")
    old = subprocess.run(
        ["git", "show", f"{BEFORE}:.github/workflows/incident.yml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    act.write(str(before), jobs_only(old))
    now = Path(".github/workflows/incident-now.yml")
    act.write(str(now), jobs_only((ROOT / harness.WORKFLOW).read_text(encoding="utf-8")))
    counts = {"before: handle": 0, "before: sweep": 0, "now: handle": 0, "now: sweep": 0}
    counts |= {"before: report": 0, "now: report": 0}
    # The day's events, by 5-minute step: a form report at 09:00, declared at 09:10,
    # four comments, resolved by closing at 11:00.
    script: dict[int, list[tuple[str, Any]]] = {}
    if incident:
        script = {
            108: [("report", None)],
            110: [("declare", None)],
            112: [("say", "/join"), ("say", "/update rolled back the deploy")],
            120: [("say", "looks better"), ("say", "/mitigated")],
            132: [("close", None)],
        }
    number = 0
    try:
        for step in range(STEPS_PER_DAY):
            for what, text in script.get(step, []):
                gh = world.gh
                if what == "report":
                    number = gh.open_issue(
                        REPO, "rita", "Search is down", "### Summary\n\nx\n",
                        labels=["incident:reported"],
                    )["number"]  # fmt: skip
                elif what == "declare":
                    gh.add_label(REPO, number, "dana", "incident:declared")
                elif what == "say":
                    gh.comment(REPO, number, "sam", text)
                elif what == "close":
                    gh.close_issue(REPO, number, "dana", reason="completed")
                for name, payload in gh.take_events():
                    old_jobs = jobs_started(act, name, payload, before)
                    new_jobs = jobs_started(act, name, payload, now)
                    counts["before: handle"] += old_jobs
                    counts["now: handle"] += new_jobs
                    if what == "report":
                        counts["before: report"] += old_jobs
                        counts["now: report"] += new_jobs
                    world.driver.run(name, payload)  # the real tool, as the job runs it
            if step % 2 == 0:
                counts["before: sweep"] += 1  # */10 in the same file: always on
            if world.gh.repo(REPO).workflows[SWEEP].state == "active":
                counts["now: sweep"] += 1
                code, output = cli(world, "sweep", "--repo", REPO)
                assert code == 0, output
    finally:
        sb.close()
    return counts


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-jobs-") as tmp:
        first = day(Path(tmp) / "1", incident=False, start_off=False)
        idle = day(Path(tmp) / "2", incident=False)
        incident = day(Path(tmp) / "3", incident=True)
    print("| day | before: handle + sweep jobs | now: handle + sweep jobs |")
    print("|---|---|---|")
    days = (
        ("idle (first day: the sweep starts on)", first),
        ("idle", idle),
        ("a 2-hour incident: report, declare, 4 comments, close", incident),
    )
    for label, counts in days:
        print(
            f"| {label} | {counts['before: handle']} + {counts['before: sweep']} | "
            f"{counts['now: handle']} + {counts['now: sweep']} |"
        )
    print(
        f"\njobs per form report (opened + labeled): before {incident['before: report']},"
        f" now {incident['now: report']}"
    )


if __name__ == "__main__":
    main()
