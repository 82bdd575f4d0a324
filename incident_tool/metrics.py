"""`incident-tool report`: incident metrics from the records on GitHub (SPEC §9).

Counts by state, severity and service; median and 90th percentile times to declare,
mitigate and resolve. Times come from each incident's status comment, so the figures
are what the tool recorded when it happened.
"""

from __future__ import annotations

import html
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from incident_tool import safe
from incident_tool.forms import parse_report
from incident_tool.github import Gateway
from incident_tool.record import Record, extract, parse_time
from incident_tool.states import State


@dataclass
class Incident:
    number: int
    title: str
    state: str
    severity: int | None
    service: str
    reported: datetime
    declared: datetime | None = None
    mitigated: datetime | None = None
    resolved: datetime | None = None


@dataclass
class Metrics:
    since: datetime
    incidents: list[Incident] = field(default_factory=list)

    def count(self, attr: str) -> Counter:
        """Count incidents by `attr`; severities are named as their labels (`severity:2`)."""
        prefix = "severity:" if attr == "severity" else ""
        return Counter(
            f"{prefix}{value}" if (value := getattr(i, attr)) else "unset" for i in self.incidents
        )

    def durations(self, end: str) -> list[float]:
        """Minutes from report to `end` (declared / mitigated / resolved), where known."""
        out = []
        for incident in self.incidents:
            moment = getattr(incident, end)
            if moment is not None and moment >= incident.reported:
                out.append((moment - incident.reported).total_seconds() / 60)
        return sorted(out)


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of sorted values (None when there are none)."""
    if not values:
        return None
    rank = max(1, math.ceil(fraction * len(values)))
    return values[rank - 1]


def minutes(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 120:
        return f"{value:.0f} min"
    return f"{value / 60:.1f} h"


def collect(gateway: Gateway, since: datetime) -> Metrics:
    """Read every incident reported since `since` (one query per state, one per incident)."""
    seen: dict[int, Incident] = {}
    for state in State:
        for issue in gateway.repo.get_issues(state="all", labels=[state.label], since=since):
            if issue.pull_request is not None or issue.number in seen:
                continue
            created = issue.created_at
            if created.tzinfo is None:
                created = created.replace(tzinfo=since.tzinfo)
            if created < since:
                continue
            record = _record(gateway, issue)
            seen[issue.number] = _incident(issue, record, state, created)
    return Metrics(since, sorted(seen.values(), key=lambda i: i.number))


def _record(gateway: Gateway, issue) -> Record | None:  # noqa: ANN001
    status, _ = gateway.incident_comments(issue)
    return extract(status.body) if status is not None else None


def _incident(issue, record: Record | None, state: State, created: datetime) -> Incident:  # noqa: ANN001
    service = parse_report(issue.body).get("service")

    def at(kind: str) -> datetime | None:
        entry = record.first(kind) if record else None
        return parse_time(entry.at) if entry else None

    return Incident(
        number=issue.number,
        title=issue.title,
        state=(record.state.value if record and record.state else state.value),
        severity=record.severity if record else None,
        service=service if isinstance(service, str) and service else "unset",
        reported=created,
        declared=at("declared"),
        mitigated=at("mitigated"),
        resolved=at("resolved"),
    )


def _table(title: str, counts: Counter) -> list[str]:
    lines = [f"| {title} | incidents |", "|---|---|"]
    # Service names are what reporters typed: inert in the job summary's Markdown.
    lines += [
        f"| {safe.markdown(str(name), inline=True)} | {n} |" for name, n in sorted(counts.items())
    ]
    return lines or ["(none)"]


def markdown(metrics: Metrics, repo: str) -> str:
    lines = [
        f"## Incident report: {repo}",
        "",
        f"{len(metrics.incidents)} incidents reported since {metrics.since:%Y-%m-%d} (UTC).",
        "",
    ]
    lines += ["| time from report to | median | 90th percentile | incidents |", "|---|---|---|---|"]
    for end in ("declared", "mitigated", "resolved"):
        values = metrics.durations(end)
        lines.append(
            f"| {end} | {minutes(percentile(values, 0.5))} | "
            f"{minutes(percentile(values, 0.9))} | {len(values)} |"
        )
    for title, attr in (("state", "state"), ("severity", "severity"), ("service", "service")):
        lines += ["", *_table(title, metrics.count(attr))]
    return "\n".join(lines) + "\n"


def _bars(counts: Counter, title: str) -> str:
    """A small inline SVG bar chart (no JavaScript, no external assets)."""
    items = sorted(counts.items())
    if not items:
        return ""
    top = max(n for _, n in items)
    row, width = 26, 420
    # Room on the right for the longest bar's count.
    parts = [
        f'<svg role="img" aria-label="{html.escape(title)}" width="{210 + width + 60}" '
        f'height="{row * len(items) + 10}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (name, n) in enumerate(items):
        y = i * row + 5
        bar = max(2, int(width * n / top))
        parts.append(f'<text x="0" y="{y + 16}" font-size="13">{html.escape(name)[:30]}</text>')
        parts.append(f'<rect x="210" y="{y}" width="{bar}" height="20" fill="#d93f0b"/>')
        parts.append(f'<text x="{215 + bar}" y="{y + 16}" font-size="13">{n}</text>')
    parts.append("</svg>")
    return "".join(parts)


def html_page(metrics: Metrics, repo: str) -> str:
    rows = []
    for end in ("declared", "mitigated", "resolved"):
        values = metrics.durations(end)
        rows.append(
            f"<tr><td>{end}</td><td>{minutes(percentile(values, 0.5))}</td>"
            f"<td>{minutes(percentile(values, 0.9))}</td><td>{len(values)}</td></tr>"
        )
    charts = "".join(
        f"<h2>By {name}</h2>{_bars(metrics.count(attr), f'incidents by {name}')}"
        for name, attr in (("state", "state"), ("severity", "severity"), ("service", "service"))
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Incidents: {html.escape(repo)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3rem .6rem}}</style>
</head><body><h1>Incidents: {html.escape(repo)}</h1>
<p>{len(metrics.incidents)} incidents reported since {metrics.since:%Y-%m-%d} (UTC).</p>
<table><tr><th>time from report to</th><th>median</th><th>90th percentile</th>
<th>incidents</th></tr>{"".join(rows)}</table>{charts}</body></html>
"""


def parse_since(text: str, now: datetime) -> datetime:
    """Read `90d`, `12w`, `36h` or a date `2026-01-31` into a moment."""
    text = text.strip().lower()
    units = {"d": "days", "w": "weeks", "h": "hours"}
    if text[:-1].isdigit() and text[-1:] in units:
        return now - timedelta(**{units[text[-1]]: int(text[:-1])})
    moment = parse_time(text if "t" in text else text + "T00:00:00Z")
    if moment is None:
        raise ValueError(f"--since takes 90d, 12w, 36h or a date like 2026-01-31, not {text!r}")
    return moment
