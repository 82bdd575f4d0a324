"""Reminders sent by `sweep` (docs/architecture.md#how-it-works): triage for reports, updates for
declared incidents.

At most one reminder of each kind per interval, however often `sweep` runs: the record
keeps when each kind was last sent.
"""

from __future__ import annotations

from datetime import timedelta

from incident_tool.core import trust, wording
from incident_tool.core.announce import link
from incident_tool.core.model import Comment, Context
from incident_tool.core.outbox import To
from incident_tool.core.record import iso, parse_time
from incident_tool.core.states import State


def _due(ctx: Context, kind: str, since: str | None, minutes: int) -> bool:
    start = parse_time(since)
    if start is None or ctx.now - start < timedelta(minutes=minutes):
        return False
    snoozed = parse_time(ctx.record.snooze_until)
    if snoozed is not None and ctx.now < snoozed:
        return False
    last = parse_time(ctx.record.reminded.get(kind))
    return last is None or ctx.now - last >= timedelta(minutes=minutes)


def send_due(ctx: Context) -> None:
    """Queue the reminders that are due now."""
    record = ctx.record
    if record.state == State.REPORTED and not record.not_paged:
        # A report over an outsider's daily limit waits for triage without paging anyone.
        _remind_triage(ctx)
    elif record.state == State.DECLARED and record.lead:
        _remind_update(ctx)


def _remind_triage(ctx: Context) -> None:
    """Ping the delivery managers about a report waiting for a decision. An outsider's
    report pages them once at most, within the outsider's daily limit (`trust.may_remind`)."""
    record, config = ctx.record, ctx.config
    stamp = iso(ctx.now)
    minutes = config.reminders.triage_after
    reported = record.first("reported")
    if not _due(ctx, "triage", reported.at if reported else None, minutes):
        return
    reporter = (reported.actor if reported else None) or ""
    if not trust.may_remind(ctx, reporter):
        if "triage" not in record.reminded:
            # Said once; the record's stamp stops the question being asked every sweep.
            record.note(ctx.now, "reminder", None, "triage: not sent (outsider's daily limit)")
        record.reminded["triage"] = stamp
        return
    record.reminded["triage"] = stamp
    record.note(ctx.now, "reminder", None, "triage: delivery managers pinged")
    dms = [d for d in config.delivery_managers if d.lower() != reporter.lower()]
    # Slack DMs reach only people mapped to Slack; otherwise ping them on the issue.
    reachable = all(config.person(d).slack or config.person(d).email for d in dms)
    if config.delivery_managers and not dms:
        pass  # the only delivery manager reported it: they know
    elif ctx.slack_enabled and dms and reachable:
        dm = wording.DM_REMIND_TRIAGE.format(minutes=minutes, link=link(ctx))
        ctx.slack_dms(f"remind-triage:{stamp}", dm, exclude=(reporter,))
    else:
        key = f"remind-triage:{stamp}"
        ctx.do(
            Comment(
                key,
                wording.REMINDER_TRIAGE.format(
                    marker=wording.marker(key), dms=wording.mentions(dms), minutes=minutes
                ),
            )
        )


def _remind_update(ctx: Context) -> None:
    """Ping the lead when no `/update` came for the severity's interval."""
    record, config = ctx.record, ctx.config
    lead = record.lead
    if not lead:
        return
    stamp = iso(ctx.now)
    minutes = config.reminders.update_interval(record.severity)
    last = next(
        (e for e in reversed(record.timeline) if e.kind in ("update", "declared", "reopened")),
        None,
    )
    if _due(ctx, "update", last.at if last else None, minutes):
        record.reminded["update"] = stamp
        record.note(ctx.now, "reminder", None, f"no update for {minutes} minutes: lead pinged")
        if ctx.slack_enabled and record.channel_id:
            said = wording.CHANNEL_REMIND_UPDATE.format(lead=wording.who(lead), minutes=minutes)
            ctx.slack(f"remind-update:{stamp}", To.INCIDENT, said)
        else:
            key = f"remind-update:{stamp}"
            ctx.do(
                Comment(
                    key,
                    wording.REMINDER_UPDATE.format(
                        marker=wording.marker(key),
                        lead=wording.mention(lead),
                        minutes=minutes,
                    ),
                )
            )
