"""Reports from monitors in the record
(docs/usage.md#reports-from-monitors-scripts-and-the-actions-tab).

The first firing, repeats, resolution, and dismissing a never-declared report some minutes
after its alert resolved.

Decisions only, like the other handlers: they change `ctx.record` and `ctx.plan`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from incident_tool.core import lifecycle, wording
from incident_tool.core.model import Comment, Context
from incident_tool.core.outbox import To
from incident_tool.core.record import iso, parse_time
from incident_tool.core.states import State
from incident_tool.inbound import alerts

MAX_RUNS = 20  # run ids remembered: a re-run job must not count its firing twice


class NotReady(Exception):
    """The problem's issue was just opened by another run that has not recorded it yet."""


def adopt(ctx: Context) -> str | None:
    """Read a new report's alert marker into the record; return who reported it.

    The marker is believed only on an issue that carries its `alert:<fingerprint>` label
    (labels take triage access, or the tool): anyone can paste a marker into a form.
    An issue the tool opened for a dispatch is written by the bot: its reporter is the
    dispatch's sender (a monitor's token owner, or the person who ran the workflow).
    """
    labels = {x.lower() for x in ctx.issue.labels}
    if not any(x.startswith(alerts.LABEL_PREFIX) for x in labels):
        return None  # checked first: an outsider's report is not even parsed
    data = alerts.read_marker(ctx.issue.body)
    if data is None:
        return None
    key = str(data.get("fingerprint") or "")
    if not key or (alerts.LABEL_PREFIX + key).lower() not in labels:
        return None
    url = data.get("url") if isinstance(data.get("url"), str) else ""
    try:
        url = alerts.check_url(url or "", where="marker")
    except alerts.PayloadError:
        url = ""
    run = data.get("run")
    ctx.record.alert = {
        "fingerprint": key,
        "source": str(data.get("source") or "")[:100],
        "url": url,
        "via": str(data.get("via") or "repository_dispatch"),
        "count": 1,
        "first": iso(ctx.issue.created_at),
        "last": iso(ctx.issue.created_at),
        "status": "firing",
        "resolved_at": None,
        "runs": [str(run)] if run else [],
    }
    sender = data.get("sender")
    # The tool's own account only: any app with issue access writes as some "…[bot]".
    by_tool = ctx.facts.is_tool(ctx.issue.author)
    if by_tool and data.get("via") in ("repository_dispatch", "workflow_dispatch"):
        # Only an issue the tool wrote names someone other than its author.
        return sender if isinstance(sender, str) and sender else None
    return None


def received(ctx: Context, report: alerts.Report, *, run: str | None, fresh: bool) -> None:
    """Add a repeat firing, or the alert's resolution, to the problem's open issue."""
    record = ctx.record
    if fresh:
        # The issue's own run has not written the record yet; counting now would race it
        # for the status comment. The caller waits and tries again.
        raise NotReady
    alert: dict[str, Any] = record.alert or {
        "fingerprint": report.key,
        "source": report.source,
        "url": report.url,
        "via": report.via,
        "count": 1,
        "status": "firing",
        "runs": [],
    }
    runs = alert.setdefault("runs", [])
    if run and run in runs:
        return  # the same job run again: already counted
    # The runner's clock and GitHub's differ by seconds: never date a firing before the
    # entries it follows.
    latest = parse_time(record.timeline[-1].at) if record.timeline else None
    at = max(ctx.now, latest) if latest is not None else ctx.now
    alerts.note_received(alert, report, at)
    if run:
        runs.append(run)
        del runs[:-MAX_RUNS]
    record.alert = alert
    n = len(record.timeline)
    if report.status == "resolved":
        record.note(at, "alert-resolved", report.sender, report.source)
        if record.channel_id:
            ctx.slack(f"alert-resolved:{n}", To.INCIDENT, wording.CHANNEL_ALERT_RESOLVED)
        return
    count = alert["count"]
    record.note(at, "fired-again", report.sender, f"firing {count}")
    if record.channel_id:
        told = wording.CHANNEL_FIRED_AGAIN.format(count=count)
        ctx.slack(f"fired-again:{count}:{n}", To.INCIDENT, told)


def auto_dismiss(ctx: Context) -> None:
    """Dismiss a report nobody declared, `alerts.auto_dismiss_after` minutes after its
    alert resolved (docs/adopting.md#configuration-githubincidentyml). A declared incident is never
    resolved by a monitor."""
    record, minutes = ctx.record, ctx.config.alerts.auto_dismiss_after
    alert = record.alert
    if not minutes or record.state != State.REPORTED or not alert:
        return
    resolved = parse_time(alert.get("resolved_at")) if alert.get("status") == "resolved" else None
    if resolved is None or ctx.now - resolved < timedelta(minutes=minutes):
        return
    reason = f"the alert resolved {minutes}+ minutes ago and nobody declared it"
    # Nobody did it: the timeline says so instead of naming a person.
    lifecycle.dismiss(ctx, cast(str, None), reason)
    key = f"auto-dismissed:{alert.get('resolved_at')}"
    ctx.do(Comment(key, wording.AUTO_DISMISSED.format(marker=wording.marker(key), reason=reason)))
