#!/usr/bin/env python3
"""The performance proof (docs/measured.md#measured): a benchmark run by hand, not a timed test.

A thin entry point: the lab is `lab.py`, each measured question one `q*.py` module.

    python bench/run.py            # the full run (a few minutes), writes bench/results.md
    python bench/run.py --quick    # small sizes, a smoke run (~30 s)
    python bench/run.py --only 1,3 # some sections only

Everything runs against the built-in sandbox (`incident_sandbox`), a GitHub + Slack
double served over HTTP on loopback, so the tool's real HTTP stack (PyGithub, slack-sdk) is
what is measured. `handle` is driven exactly as GitHub Actions drives it: a webhook payload
written to an event file, GITHUB_EVENT_NAME / GITHUB_EVENT_PATH / GITHUB_REPOSITORY and
tokens in the environment, GITHUB_API_URL / SLACK_API_URL pointing at the sandbox, the
config at `.github/incident.yml` under the working directory.

Sections (see bench/README.md for what each figure means):
  1. HTTP requests per event (GitHub/Slack, reads/writes) vs a hand-reasoned minimum
  2. PyGithub's throttle: listing 2,000 comments four ways; a handle run throttled or not
  3. `handle` on an ignored event: no request, no heavy import, start-up time vs `import click`
  4. `handle` for a declare in a subprocess: wall time and peak RSS
  5. Retrospective of a big incident (N comments, 500 events, 1,000 Slack messages)
  6. `sweep` over 200 open and 5,000 closed incidents
  7. `status-page`: requests with 1,000 old incidents, 20 recent ones, 20 dismissed reports
  8. reports from monitors
  9. wall time per event with a runner's round trips (150 ms GitHub, 100 ms Slack), one
     process per event, and `incident-tool demo` (latency.py)
 10. the live Slack connection: `incident-tool listen` as a child, interaction → effect,
     acknowledgements, memory and fds over many interactions, reconnects, the Actions
     bill (live.py)
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lab import (
    BENCH,
    CHECKOUT,
    ROOT,
    Report,
    child_env,
    describe_source,
    loadavg,
    machine_facts,
    ms,
    secs,
    spawn,
    verdict,
)
from latency import (
    Source,
    section9,
)
from live import (
    live_rows,
    section10,
)
from q1_requests import (
    MINIMUM,
    section1,
)
from q2_throttle import (
    section2,
)
from q3_ignored import (
    section3,
)
from q4_declare import (
    section4,
)
from q5_retrospective import (
    section5,
)
from q6_sweep import (
    section6,
)
from q7_status_page import (
    section7,
)
from q8_monitors import (
    section8,
)

# ------------------------------------------------------------------------------ main


def summary(rep: Report, results: dict[int, dict[str, Any]], quick: bool) -> None:
    """Every target (docs/measured.md#measured) with its measured figure."""
    rows: list[list[Any]] = []
    if 1 in results:
        f = results[1]
        d = f["declare"].counts
        rows += [
            ["declare: GitHub requests", "≤ 12", d.gh, verdict(d.gh <= 12)],
            ["declare: Slack calls", "≤ 12", d.slack, verdict(d.slack <= 12)],
            [
                "config reads per run",
                "1",
                ", ".join(map(str, sorted(f["opens"]))),
                verdict(f["opens"] == {1}),
            ],
            ["requests repeated within a run", "0", len(f["repeats"]), verdict(not f["repeats"])],
            [
                "whole incident (report → retrospective), GitHub + Slack",
                f"{sum(v[0] for v in MINIMUM.values())} + "
                f"{sum(v[1] for v in MINIMUM.values())} (hand-written minimum)",
                f"{f['totals'].gh} + {f['totals'].slack}",
                "",
            ],
        ]
    if 2 in results:
        f = results[2]
        walls = [v for k, v in f.items() if not k.startswith("handle:")]
        rows.append(
            [
                "listing the comments: defaults / +per_page 100 / client() / raw requests",
                "17 s / 5 s / 0.25 s (the targets' machine)",
                " / ".join(secs(w) for w in walls),
                "",
            ]
        )
    if 3 in results:
        f = results[3]
        rows += [
            ["ignored event: requests", "0", f["requests"], verdict(f["requests"] == 0)],
            [
                "ignored event: github / slack_sdk / jinja2 imported",
                "none",
                ", ".join(f["heavy"]) or "none",
                verdict(not f["heavy"]),
            ],
            [
                "ignored event: start-up vs `import click`",
                "≤ 1.5×",
                f"{f['ratio']:.2f}×",
                verdict(f["ratio"] <= 1.5),
            ],
        ]
    if 4 in results:
        f = results[4]
        rows += [
            [
                "declare in a subprocess: median wall time",
                "< 1.5 s",
                ms(f["median"]),
                verdict(f["median"] < 1.5),
            ],
            [
                "declare in a subprocess: peak RSS",
                "< 80 MB",
                f"{f['rss']:.0f} MB",
                verdict(f["rss"] < 80),
            ],
        ]
    if 5 in results:
        f = results[5]["light"]
        failed = [
            f"{mix}: {x}" for mix in ("light", "heavy") for x in results[5][mix].get("failed", [])
        ]
        big = f["sizes"][-1]
        pages_ok = all(got <= every + 1 for got, every, _ in f["pages"])
        rows += [
            [
                f"close → retrospective at {big:,} comments (light mix): wall time",
                "< 10 s",
                secs(f[big]),
                verdict(f[big] < 10),
            ],
            [
                "close → retrospective (light mix): ms per 1,000 more comments, 1st / 2nd step",
                "about equal (linear)",
                " / ".join(f"{x * 1000:.0f} ms" for x in f["slopes"]),
                "",
            ],
            [
                "close → retrospective (light mix): comment pages read (all / first + since)",
                "≤ all pages at 100 per page",
                ", ".join(f"{g} ({a} / {m})" for g, a, m in f["pages"]),
                verdict(pages_ok),
            ],
            [
                "big incident: every run exits 0",
                "all",
                "; ".join(failed) or "all",
                verdict(not failed),
            ],
            [
                "retrospective keeps its closing sections (went well/badly, action items)",
                "always",
                "; ".join(
                    f"{mix} N={n:,}: {'yes' if ok else 'no'}"
                    for mix in ("light", "heavy")
                    for n in results[5][mix]["sizes"]
                    for _, ok in [results[5][mix][f"retro:{n}"]]
                ),
                verdict(
                    all(
                        results[5][m][f"retro:{n}"][1]
                        for m in ("light", "heavy")
                        for n in results[5][m]["sizes"]
                    )
                ),
            ],
        ]
    if 6 in results:
        f = results[6]
        a, b, later = f["same0"].counts.gh, f["same1"].counts.gh, f["later"]
        rows += [
            [
                "sweep: GitHub requests with 0 / many closed incidents",
                "equal",
                f"{a} / {b}",
                verdict(a == b),
            ],
            [
                "sweep: GitHub requests per open incident, beyond listing",
                "1 (its comments page)",
                f"{(a - f['lists']) / f['n_open']:.1f}",
                verdict((a - f["lists"]) / f["n_open"] <= 1.05),
            ],
            [
                "sweep 10 min after the last runs (nothing changed): GitHub writes",
                "0",
                f"{later.counts.gh_writes} (≈ {secs(f['projected'])} with the write pace "
                "past a burst)",
                verdict(later.counts.gh_writes == 0),
            ],
        ]
    if 9 in results:
        rows += [
            [
                f"{label}: wall time (latency as in section 9)",
                f"≤ {goal:g} s",
                secs(got),
                verdict(got <= goal),
            ]
            for label, goal, got in results[9]["goals"]
        ]
    if 10 in results:
        rows += live_rows(results[10])
    rep.section("Summary against the targets" + (" (QUICK sizes: not the proof)" if quick else ""))
    rep.table(["figure", "target", "measured", ""], rows)


WARM_IMPORTS = (
    "import incident_tool.cli, incident_tool.app, incident_tool.effects.slack, "
    "incident_tool.effects.apply, "
    "incident_tool.verbs.retro, incident_tool.effects.mirror, incident_tool.effects.github, "
    "github, slack_sdk, jinja2, jinja2.sandbox, yaml, requests"
)

SECTIONS: dict[int, Callable[[Report, bool], dict[str, Any]]] = {
    1: section1,
    2: section2,
    3: section3,
    4: section4,
    5: section5,
    6: section6,
    7: section7,
    8: section8,
    9: section9,
    10: section10,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--only", default="", help="comma-separated section numbers, e.g. 1,3")
    parser.add_argument(
        "--source",
        default=str(CHECKOUT),
        help="directory holding the incident_tool package to measure",
    )
    parser.add_argument(
        "--source-label", default="", help="what --source is, for the results (e.g. a commit)"
    )
    parser.add_argument(
        "--output", default=str(BENCH / "results.md"), help="where to write the Markdown results"
    )
    parser.add_argument(
        "--baseline", default="", help="section 9: an incident_tool directory to compare with"
    )
    parser.add_argument("--baseline-label", default="before", help="section 9: its name")
    args = parser.parse_args(argv)
    sections = dict(SECTIONS)
    if args.baseline:
        baseline = Source(args.baseline_label, Path(args.baseline).resolve())
        sections[9] = lambda rep, quick: section9(rep, quick, baseline)
    chosen = [int(x) for x in args.only.split(",") if x.strip()] or list(sections)
    rep = Report()
    rep.add(
        "# incident-tool benchmark (docs/measured.md#measured)"
        + (" — QUICK run, small sizes" if args.quick else "")
    )
    rep.add("")
    for line in machine_facts():
        rep.add(line)
    rep.add(f"- Code measured: {describe_source(args.source_label)}")
    rep.add(
        f"- Command: `python bench/run.py {' '.join(argv if argv is not None else sys.argv[1:])}`"
    )
    if 10 not in chosen:
        rep.add(
            "- Section 10, the live Slack connection (`incident-tool listen`), is in "
            "[results-live.md](results-live.md): `python bench/live.py --output "
            "bench/results-live.md` (`python bench/run.py --only 10` would rewrite this file "
            "whole)."
        )
    # Fill the byte-code cache the children use (pip install compiles the same files).
    spawn([sys.executable, "-c", WARM_IMPORTS], child_env(), ROOT)
    started = time.perf_counter()
    results: dict[int, dict[str, Any]] = {}
    for number in chosen:
        t0 = time.perf_counter()
        before = loadavg()
        results[number] = sections[number](rep, args.quick)
        rep.add(
            f"<sub>Section {number}: {time.perf_counter() - t0:.0f} s; load average before "
            f"{before}, after {loadavg()} (other work on this machine inflates wall times).</sub>"
        )
        Path(args.output).write_text(rep.text(), "utf-8")
    summary(rep, results, args.quick)
    rep.add("")
    rep.add(f"Whole benchmark: {time.perf_counter() - started:.0f} s.")
    Path(args.output).write_text(rep.text(), "utf-8")
    print(f"\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
