"""The lead acknowledges, or the lead is passed on
(docs/usage.md#the-lead-availability-and-acknowledgement).

When the tool chooses a lead (declaration, or passing the lead on) it asks them to
acknowledge, on the issue, in the incident channel and by Slack DM; so it does for a lead
named by `/handover`, unless they gave the command themselves. They acknowledge with `/ack`
on the issue, a ✅ (`white_check_mark`) reaction of theirs on that DM or on the channel's
first message (the report), or, once Slack commands exist, `@incident-tool ack` in the
channel: that handler calls `acknowledge(ctx, login, "`@incident-tool ack` in Slack")`.

`sweep` reads the reactions (`check_slack`) before it passes anyone over (`pass_on_due`),
so a lead who acknowledged in the minute the sweep would pass them over keeps the lead.
Timeouts are only as punctual as the sweep: a lead is passed over at the first sweep after
`lead.ack_within` minutes.

`record.ack` holds the one acknowledgement asked for or given: `lead`, `since`, `chosen`
(the tool chose them; a `/handover` lead is never passed over), `by` (who handed over),
`n` (which lead of the incident), `dm` (the DM's channel and ts), `told` (the delivery
managers were told: once), or `acked` once acknowledged.
"""

from __future__ import annotations

from datetime import timedelta

from incident_tool.core import wording
from incident_tool.core.announce import link, public_title, tell_both
from incident_tool.core.model import Assign, Comment, Context
from incident_tool.core.outbox import To
from incident_tool.core.record import iso, parse_time
from incident_tool.core.safe import slack as escape
from incident_tool.core.wording import who

EMOJI = "white_check_mark"


def enabled(ctx: Context) -> bool:
    return ctx.config.lead.ack_within > 0


def ask(ctx: Context, lead: str | None, *, chosen: bool, by: str | None = None) -> None:
    """Ask `lead` to acknowledge, on the issue, in the channel and by DM
    (docs/usage.md#the-lead-availability-and-acknowledgement)."""
    record = ctx.record
    if not lead or not enabled(ctx):
        record.ack = {}
        return
    n = len(record.leads)
    record.ack = {"lead": lead, "since": iso(ctx.now), "chosen": chosen, "n": n}
    if by:
        record.ack["by"] = by
    minutes = ctx.config.lead.ack_within
    if chosen:
        then = "the lead passes to the next available responder"
    else:
        then = f"{wording.person(by)} and the delivery managers are told"
    key = f"ack-ask:{n}"
    ctx.do(
        Comment(
            key,
            wording.ACK_ASK.format(
                marker=wording.marker(key), lead=wording.mention(lead), minutes=minutes, then=then
            ),
        )
    )
    told = wording.CHANNEL_ACK_ASK.format(lead=who(lead), link=link(ctx), minutes=minutes)
    ctx.slack(key, To.INCIDENT, told, buttons=("ack",))
    dm = wording.DM_ACK_ASK.format(title=public_title(ctx), link=link(ctx), minutes=minutes)
    ctx.slack(f"dm-{key}", To.DM, dm, ack_dm=lead, login=lead, buttons=("ack",))


def handed_over(ctx: Context, target: str, by: str) -> None:
    """A `/handover`: ask the new lead, unless they gave the command themselves."""
    if target.lower() == by.lower():
        ctx.record.ack = {}
        return
    ask(ctx, target, chosen=False, by=by)


def acknowledge(ctx: Context, login: str, via: str) -> bool:
    """Record that `login` acknowledges the lead (every route ends here); False if they
    already had. The hook for `@incident-tool ack` in Slack, when Slack commands exist."""
    record = ctx.record
    before = record.ack
    if before.get("acked") and str(before.get("lead", "")).lower() == login.lower():
        return False
    record.ack = {"lead": login, "acked": iso(ctx.now), "n": before.get("n", len(record.leads))}
    record.note(ctx.now, "ack", login, via)
    if before.get("since"):
        told = wording.CHANNEL_ACKNOWLEDGED.format(who=who(login), via=escape(via))
        ctx.slack(f"acked:{before.get('n')}", To.INCIDENT, told)
    return True


def check_slack(ctx: Context) -> None:
    """Acknowledge for the lead if they reacted ✅ on the DM or the channel's first message."""
    record = ctx.record
    waiting = record.ack_waiting()
    if waiting is None or not ctx.slack_enabled:
        return
    where = []
    if waiting.get("dm"):
        channel, ts = waiting["dm"]
        where.append((channel, ts, "the DM"))
    if record.report_ref:
        channel, ts = record.report_ref
        where.append((channel, ts, "the channel's first message"))
    if not where:
        return
    via = ctx.facts.acknowledged_in_slack(waiting["lead"], where)
    if via:
        acknowledge(ctx, waiting["lead"], via)


def next_responder(ctx: Context) -> tuple[str | None, list[str]]:
    """The most senior available responder who has not timed out on this incident."""
    record = ctx.record
    out = {x.lower() for x in record.timed_out} | {(record.lead or "").lower()}
    skipped = []
    for login in ctx.config.responders:
        if login.lower() in out or login.lower().endswith("[bot]"):
            continue
        away = ctx.facts.unavailable([login]).get(login)
        if away:
            skipped.append(f"{login} ({away})")
        elif not ctx.facts.assignable(login):
            skipped.append(f"{login} (cannot be assigned)")
        else:
            return login, skipped
    return None, skipped


def pass_on_due(ctx: Context) -> None:
    """Pass over a lead the tool chose who has not acknowledged in time (run by `sweep`)."""
    record = ctx.record
    if not enabled(ctx) or record.state is None or not record.state.is_active:
        return
    waiting = record.ack_waiting()
    since = parse_time(waiting.get("since")) if waiting else None
    minutes = ctx.config.lead.ack_within
    if waiting is None or since is None or ctx.now - since < timedelta(minutes=minutes):
        return
    if waiting.get("told"):
        return  # said once; the lead may still acknowledge
    lead, n = waiting["lead"], waiting.get("n", len(record.leads))
    dms = list(ctx.config.delivery_managers)
    if not waiting.get("chosen"):
        by = waiting.get("by") or "someone"
        waiting["told"] = True
        record.note(
            ctx.now,
            "ack-missing",
            lead,
            f"not acknowledged within {minutes} minutes; {by} and the delivery managers told",
        )
        key = f"ack-missing:{n}"
        people = wording.mentions(list(dict.fromkeys([by, *dms])))
        ctx.do(
            Comment(
                key,
                wording.NOT_ACKNOWLEDGED.format(
                    marker=wording.marker(key),
                    lead=wording.person(lead),
                    minutes=minutes,
                    by=wording.person(by),
                    people=people,
                ),
            )
        )
        dm = wording.DM_NOT_ACKNOWLEDGED.format(
            lead=who(lead), title=public_title(ctx), link=link(ctx), minutes=minutes, by=who(by)
        )
        for login in dict.fromkeys([by, *dms]):
            ctx.slack(f"dm-{key}:{login}", To.DM, dm, login=login)
        return
    if lead.lower() not in (x.lower() for x in record.timed_out):
        record.timed_out.append(lead)
    successor, skipped = next_responder(ctx)
    if successor is None:
        waiting["told"] = True
        shown = ", ".join(skipped) or "no other responders configured"
        record.note(
            ctx.now,
            "ack-timeout",
            lead,
            f"no acknowledgement within {minutes} minutes and nobody to pass the lead to "
            f"({shown}): {lead} stays the lead; delivery managers told",
        )
        key = f"ack-nobody:{n}"
        ctx.do(
            Comment(
                key,
                wording.NOBODY_LEFT.format(
                    marker=wording.marker(key),
                    lead=wording.person(lead),
                    minutes=minutes,
                    skipped=wording.user_text(shown, inline=True),
                    dms=wording.mentions(dms),
                ),
            )
        )
        dm = wording.DM_NOBODY_LEADS.format(
            title=public_title(ctx), link=link(ctx), lead=who(lead), minutes=minutes
        )
        ctx.slack_dms(f"dm-{key}", dm)
        return
    record.note(ctx.now, "ack-timeout", lead, f"no acknowledgement within {minutes} minutes")
    record.leads.append(successor)
    note = f"passed on from {lead}: no acknowledgement within {minutes} minutes"
    if skipped:
        note += f"; skipped {', '.join(skipped)}"
    record.note(ctx.now, "lead", successor, note)
    ctx.do(Assign((successor,)))
    m = len(record.leads)
    title, where = public_title(ctx), link(ctx)
    tell_both(
        ctx,
        f"passed:{m}",
        wording.CHANNEL_PASSED_ON.format(lead=who(lead), minutes=minutes, successor=who(successor)),
        wording.ANNOUNCE_PASSED_ON.format(
            title=title, link=where, successor=who(successor), lead=who(lead)
        ),
    )
    dm = wording.DM_PASSED_OVER.format(
        title=title, link=where, minutes=minutes, successor=who(successor)
    )
    ctx.slack(f"dm-passed:{m}", To.DM, dm, login=lead)
    ctx.slack(f"invite:passed:{m}", To.INCIDENT, "", invite=[successor])
    ask(ctx, successor, chosen=True)
