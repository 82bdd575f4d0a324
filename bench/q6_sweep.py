"""Question 6: `sweep` over 200 open and 5,000 closed incidents."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from lab import (
    REPO,
    Lab,
    Report,
    RunResult,
    check,
    patched,
    secs,
    verdict,
)

# ------------------------------------------------------------------ section 6: sweep


def seed_closed(lab: Lab, n: int) -> None:
    """Closed incidents straight into the sandbox's state (bot actor: no webhooks)."""
    gh = lab.gh
    with gh.lock:
        repo = gh.repo(REPO)
        for i in range(n):
            issue = gh.op_create_issue(
                repo,
                gh.bot_login,
                f"[Incident]: old incident {i}",
                "closed long ago",
                ["incident:resolved"],
                [],
                create_labels=False,
            )
            gh.op_update_issue(
                repo, issue, gh.bot_login, {"state": "closed", "state_reason": "completed"}
            )


def sweep_run(lab: Lab) -> RunResult:
    result = lab.run_inprocess("schedule", {"schedule": "*/10 * * * *"}, ["sweep", "--repo", REPO])
    check([result], "sweep")
    return result


def section6(rep: Report, quick: bool) -> dict[str, Any]:
    import incident_tool.app as runmod
    import incident_tool.effects.github as ghmod

    n_open, n_declared, n_closed = (20, 5, 300) if quick else (200, 50, 5000)
    rep.section(f"6. `sweep` over {n_open} open incidents and {n_closed:,} closed ones")
    facts: dict[str, Any] = {}
    frozen = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
    rows = []

    def no_write_pause(
        token: str | None, base_url: str | None = None, *, bulk: bool = False
    ) -> Any:
        return original_client(token, base_url, bulk=False)

    original_client = ghmod.client
    with Lab() as lab, patched(runmod, "utcnow", lambda: frozen):
        started = time.perf_counter()
        numbers = [lab.report(title=f"[Incident]: incident {i}") for i in range(n_open)]
        for number in numbers[:n_declared]:
            lab.declare(number)
        seed_time = time.perf_counter() - started

        def describe(label: str, r: RunResult, closed: int) -> list[Any]:
            lists = sum(
                1 for x in r.reqs if x.method == "GET" and x.path == f"/repos/{REPO}/issues"
            )
            gets = sum(
                1
                for x in r.reqs
                if x.method == "GET"
                and x.path.startswith(f"/repos/{REPO}/issues/")
                and x.path.count("/") == 5
            )
            pages = sum(1 for x in r.reqs if x.method == "GET" and x.path.endswith("/comments"))
            return [
                label,
                f"{closed:,}",
                f"{r.counts.gh} ({r.counts.gh_writes} writes)",
                f"{lists} / {gets} / {pages}",
                r.counts.slack,
                secs(r.wall),
            ]

        s0 = sweep_run(lab)
        rows.append(describe("same minute as the last runs", s0, 0))
        seed_closed(lab, n_closed)
        s1 = sweep_run(lab)
        rows.append(describe("same minute as the last runs", s1, n_closed))
        with (
            patched(runmod, "utcnow", lambda: frozen + dt.timedelta(minutes=10)),
            patched(ghmod, "client", no_write_pause),
        ):
            s2 = sweep_run(lab)
        rows.append(describe("10 minutes later (the cron interval), write pause off", s2, n_closed))
        # The client pauses only past a handful of writes a minute (github.WritePace).
        paused = max(0, s2.counts.gh_writes - getattr(ghmod, "BULK_WRITES", 0))
        projected = s2.wall + paused * 1.0
        rows.append(
            [
                "  ↳ the same with the tool's pace (1 s a write past a burst of "
                f"{getattr(ghmod, 'BULK_WRITES', 0)})",
                f"{n_closed:,}",
                "",
                "",
                "",
                f"≈ {secs(projected)} (projected)",
            ]
        )
        lists = sum(1 for x in s0.reqs if x.method == "GET" and x.path == f"/repos/{REPO}/issues")
        facts.update(same0=s0, same1=s1, later=s2, projected=projected, n_open=n_open, lists=lists)
    # Check the projection on a small repository with the real bulk client.
    small = 5
    with Lab() as lab, patched(runmod, "utcnow", lambda: frozen):
        for i in range(small):
            lab.report(title=f"[Incident]: small {i}")
        with patched(runmod, "utcnow", lambda: frozen + dt.timedelta(minutes=10)):
            s3 = sweep_run(lab)
        rows.append(describe(f"check: {small} open, 10 minutes later, real bulk client", s3, 0))
        facts["check"] = s3
    rep.add(
        f"In-process `incident-tool sweep` (bulk client). {n_open} open incidents "
        f"({n_open - n_declared} reported, {n_declared} declared with Slack channels) seeded by "
        f"real `handle` runs in {secs(seed_time)}; closed incidents put straight into the "
        "sandbox. The clock the tool sees (`run.utcnow`) is pinned so that 'same minute' is "
        "reproducible. Columns: list requests / single-issue GETs / comment pages."
    )
    rep.add("")
    rep.table(
        [
            "sweep",
            "closed incidents",
            "GitHub requests",
            "list / GET issue / comments",
            "Slack calls",
            "wall time",
        ],
        rows,
    )
    same = s0.counts.gh == s1.counts.gh
    rep.add(
        f"Requests independent of the closed count: {s0.counts.gh} with 0 closed, "
        f"{s1.counts.gh} with {n_closed:,} {verdict(same)}."
    )
    rep.add("")
    return facts
