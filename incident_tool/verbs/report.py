"""`incident-tool report`: incident metrics from the records on GitHub
(docs/operating.md#cli-and-environment).

Counts by state, severity and service; median and 90th percentile times to declare,
mitigate and resolve. Times come from each incident's status comment, so the figures
are what the tool recorded when it happened.
"""

from __future__ import annotations

import html
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from incident_tool.config import FollowupsConfig
from incident_tool.core import safe
from incident_tool.core.record import Record, parse_time, utcnow
from incident_tool.core.states import State
from incident_tool.effects.github import Gateway
from incident_tool.errors import EXIT_USAGE
from incident_tool.inbound.forms import parse_report
from incident_tool.verbs.common import _out, _repo, fail, open_tools, run_guarded, team_config

_FOLLOWUP_RE = re.compile(r"<!-- incident-tool:followup #(\d+):[\w.-]+ -->")


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
class FollowUp:
    """A follow-up issue (docs/usage.md#follow-ups) of one of the incidents counted."""

    number: int
    incident: int
    service: str
    created: datetime
    closed: datetime | None
    owner: str


@dataclass
class FollowUpStats:
    """Per service: open, overdue, and closed within `due_after` days of those old enough
    to have had the whole time (created at least `due_after` days ago)."""

    open: int = 0
    overdue: int = 0
    judged: int = 0
    closed_in_time: int = 0

    @property
    def share(self) -> str:
        if not self.judged:
            return "—"
        return (
            f"{self.closed_in_time}/{self.judged} ({100 * self.closed_in_time / self.judged:.0f}%)"
        )


@dataclass
class Metrics:
    since: datetime
    incidents: list[Incident] = field(default_factory=list)
    followups: list[FollowUp] = field(default_factory=list)
    due_after: int = 30
    now: datetime | None = None

    def open_followups(self) -> list[FollowUp]:
        """Open follow-ups, oldest first."""
        return sorted((f for f in self.followups if f.closed is None), key=lambda f: f.created)

    def age_days(self, item: FollowUp) -> int:
        end = item.closed or self.now or item.created
        return max(0, (end - item.created).days)  # GitHub's clock may run a little ahead

    def followup_stats(self) -> dict[str, FollowUpStats]:
        """Figures per service, and for all (`"all"`)."""
        due = timedelta(days=self.due_after)
        now = self.now or datetime.now(self.since.tzinfo)
        out: dict[str, FollowUpStats] = {}
        for item in self.followups:
            for key in (item.service, "all"):
                stats = out.setdefault(key, FollowUpStats())
                if item.closed is None:
                    stats.open += 1
                    stats.overdue += now - item.created > due
                if now - item.created >= due:
                    stats.judged += 1
                    stats.closed_in_time += item.closed is not None and (
                        item.closed - item.created <= due
                    )
        return out

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


def collect(
    gateway: Gateway,
    since: datetime,
    *,
    followups: FollowupsConfig | None = None,
    now: datetime | None = None,
) -> Metrics:
    """Read every incident reported since `since` (one query per state, one per incident),
    and their follow-ups (one query: by label, updated since `since`)."""
    seen: dict[int, Incident] = {}
    for state in State:
        for issue in gateway.issues(state="all", labels=[state.label], since=since):
            if "/pull/" in issue.url or issue.number in seen:
                continue
            created = issue.created_at
            if created.tzinfo is None:
                created = created.replace(tzinfo=since.tzinfo)
            if created < since:
                continue
            record = _record(gateway, issue)
            seen[issue.number] = _incident(issue, record, state, created)
    metrics = Metrics(since, sorted(seen.values(), key=lambda i: i.number))
    if followups is not None:
        metrics.due_after, metrics.now = followups.due_after, now or utcnow()
        metrics.followups = _followups(gateway, since, followups, seen)
    return metrics


def _followups(
    gateway: Gateway, since: datetime, config: FollowupsConfig, incidents: dict[int, Incident]
) -> list[FollowUp]:
    out = []
    for issue in gateway.issues(state="all", labels=list(config.labels), since=since):
        found = _FOLLOWUP_RE.search(issue.body or "")
        if found is None or int(found.group(1)) not in incidents or "/pull/" in issue.url:
            continue
        incident = incidents[int(found.group(1))]
        out.append(
            FollowUp(
                number=issue.number,
                incident=incident.number,
                service=incident.service,
                created=_aware(issue.created_at, since),
                closed=_aware(issue.closed_at, since)
                if issue.state == "closed" and issue.closed_at
                else None,
                owner=", ".join(issue.assignees) or "nobody",
            )
        )
    return sorted(out, key=lambda f: f.number)


def _aware(moment: datetime, like: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=like.tzinfo)


def followups_markdown(metrics: Metrics) -> list[str]:
    """The follow-ups section: figures per service, then the open ones by age."""
    if not metrics.followups:
        return []
    stats = metrics.followup_stats()
    days = metrics.due_after
    total = stats["all"]
    lines = [
        "",
        "### Follow-ups",
        "",
        f"{len(metrics.followups)} follow-ups of these incidents: {total.open} open, "
        f"{total.overdue} overdue (open more than {days} days).",
        "",
        f"| service | open | overdue | closed within {days} days |",
        "|---|---|---|---|",
    ]
    for name in [*sorted(k for k in stats if k != "all"), "all"]:
        s = stats[name]
        lines.append(f"| {name} | {s.open} | {s.overdue} | {s.share} |")
    opened = metrics.open_followups()
    if opened:
        lines += ["", "| open follow-up | age | owner | incident |", "|---|---|---|---|"]
        for item in opened:
            late = " (overdue)" if metrics.age_days(item) > days else ""
            lines.append(
                f"| #{item.number} | {metrics.age_days(item)} days{late} | {item.owner} "
                f"| #{item.incident} |"
            )
    return lines


def followups_html(metrics: Metrics) -> str:
    if not metrics.followups:
        return ""
    stats = metrics.followup_stats()
    days = metrics.due_after
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{s.open}</td><td>{s.overdue}</td>"
        f"<td>{s.share}</td></tr>"
        for name in [*sorted(k for k in stats if k != "all"), "all"]
        for s in [stats[name]]
    )
    opened = "".join(
        f"<tr><td>#{f.number}</td><td>{metrics.age_days(f)} days"
        f"{' (overdue)' if metrics.age_days(f) > days else ''}</td>"
        f"<td>{html.escape(f.owner)}</td><td>#{f.incident}</td></tr>"
        for f in metrics.open_followups()
    )
    return (
        f"<h2>Follow-ups</h2><table><tr><th>service</th><th>open</th><th>overdue</th>"
        f"<th>closed within {days} days</th></tr>{rows}</table>"
        + (
            f"<h3>Open, oldest first</h3><table><tr><th>follow-up</th><th>age</th>"
            f"<th>owner</th><th>incident</th></tr>{opened}</table>"
            if opened
            else ""
        )
    )


def _record(gateway: Gateway, issue) -> Record | None:
    status, _ = gateway.incident_comments(issue.number)
    return gateway.record_in(issue.number, status)[0]


def _incident(issue, record: Record | None, state: State, created: datetime) -> Incident:
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
    lines += followups_markdown(metrics)
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
<th>incidents</th></tr>{"".join(rows)}</table>{charts}{followups_html(metrics)}</body></html>
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


def run(repo: str | None, since: str, fmt: str, config_path: str | None = None) -> None:
    """Print incident metrics (`incident-tool report`), and write them to the job summary."""
    from incident_tool.effects import workflow_io

    out = _out()
    repo = _repo(repo)
    try:
        moment = parse_since(since, utcnow())
    except ValueError as exc:
        fail(str(exc), EXIT_USAGE)
    root = Path.cwd()
    cfg, _ = team_config(config_path, root, repo, log=lambda s: out(s, err=True))
    tools = open_tools(repo, cfg, root, dry_run=True, log=lambda s: None)
    found = run_guarded(lambda: collect(tools.gateway, moment, followups=cfg.followups), tools)
    text = markdown(found, repo)
    out(html_page(found, repo) if fmt == "html" else text)
    workflow_io.write_summary(text)
