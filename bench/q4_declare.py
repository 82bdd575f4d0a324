"""Question 4: `handle` for a declare in a subprocess: wall time and peak RSS."""

from __future__ import annotations

import statistics
import sys
from typing import Any

from lab import (
    PINNED,
    REPO,
    Lab,
    Report,
    check,
    ms,
    spawn,
    stats,
    verdict,
)

# ----------------------------------------------------- section 4: a declare, subprocess


def section4(rep: Report, quick: bool) -> dict[str, Any]:
    runs = 3 if quick else 12
    rep.section(f"4. `handle` for a declare, in a subprocess ({runs} runs, each a fresh issue)")
    facts: dict[str, Any] = {}
    with Lab() as lab:
        walls, peaks, gh_counts, sl_counts = [], [], [], []
        for _ in range(runs):
            number = lab.report()  # opened + labeled runs, untimed
            lab.gh.add_label(REPO, number, "dana", "incident:declared")
            result = lab.run_subprocess(*lab.one_event())
            check([result], "declare")
            assert "state declared" in result.output, result.output
            walls.append(result.wall)
            peaks.append(result.maxrss_kb / 1024)
            gh_counts.append(result.counts.gh)
            sl_counts.append(result.counts.slack)
        env = lab.subprocess_env("issues", PINNED)
        imports = [
            spawn(
                [sys.executable, "-c", "import github, slack_sdk, jinja2, yaml, click"],
                env,
                lab.root,
            )[1]
            for _ in range(5)
        ]
        med, lo, hi = stats(walls)
        rep.table(
            ["figure", "value", "target"],
            [
                ["median wall time", ms(med), f"< 1.5 s {verdict(med < 1.5)}"],
                ["min – max", f"{ms(lo)} – {ms(hi)}", ""],
                [
                    "peak RSS of the child (max over runs)",
                    f"{max(peaks):.0f} MB",
                    f"< 80 MB {verdict(max(peaks) < 80)}",
                ],
                [
                    "requests per run (GitHub + Slack)",
                    f"{statistics.median(gh_counts):.0f} + {statistics.median(sl_counts):.0f}",
                    "",
                ],
                [
                    "of which: `python -c 'import github, slack_sdk, jinja2, yaml, click'`",
                    ms(statistics.median(imports)),
                    "",
                ],
            ],
        )
        facts.update(median=med, rss=max(peaks))
    return facts
