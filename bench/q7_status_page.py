"""Question 7: `status-page`: requests with 1,000 old incidents and some recent ones."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lab import (
    REPO,
    Lab,
    Report,
    check,
    secs,
)
from q6_sweep import (
    seed_closed,
)


def section7(rep: Report, quick: bool) -> dict[str, Any]:
    """`status-page`: requests grow with the incidents of the last 90 days only."""
    shown_n, old_n = (3, 50) if quick else (20, 1000)
    rep.section(
        f"7. `status-page` with {shown_n} incidents in the last 90 days, and {old_n:,} "
        "resolved before"
    )
    rows = []
    with Lab() as lab:
        # Old history first: resolved 120 days ago (the sandbox's clock moved back).
        lab.clock.offset = -dt.timedelta(days=120)
        seed_closed(lab, old_n)
        lab.clock.offset = dt.timedelta(0)
        out = lab.root / "site"

        def build(label: str) -> None:
            r = lab.run_inprocess(
                "status-page", {}, ["status-page", "--repo", REPO, "--out", str(out)]
            )
            check([r], "status-page")
            lists = sum(
                1 for x in r.reqs if x.method == "GET" and x.path == f"/repos/{REPO}/issues"
            )
            pages = sum(1 for x in r.reqs if x.method == "GET" and x.path.endswith("/comments"))
            files = sum(1 for p in out.rglob("*") if p.is_file())
            rows.append(
                [label, r.counts.gh, f"{lists} / {pages}", r.counts.slack, files, secs(r.wall)]
            )

        build("no recent incident")
        numbers = [lab.report(title=f"[Incident]: recent {i}") for i in range(shown_n)]
        for number in numbers:
            lab.declare(number)
        build(f"{shown_n} declared")
        for i in range(shown_n):
            n = lab.report(title=f"[Incident]: noise {i}")
            lab.gh.comment(REPO, n, "dana", "/dismiss noise")
            check(lab.deliver(), "dismiss")
        build(f"{shown_n} declared, {shown_n} dismissed reports")
    rep.add(
        "In-process `incident-tool status-page` (the site written to a temporary folder). "
        f"The {old_n:,} old incidents are resolved issues last updated 120 days ago, put "
        "straight into the sandbox. Columns: GitHub requests; issue lists / comment pages."
    )
    rep.add("")
    rep.table(
        ["repository", "GitHub requests", "lists / comment pages", "Slack", "files", "wall"], rows
    )
    return {"rows": rows}
