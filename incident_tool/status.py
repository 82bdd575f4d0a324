"""Render the status comment: a readable summary on top, the record hidden below (SPEC §5)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from incident_tool import messages as msg
from incident_tool.config import Config
from incident_tool.record import MAX_BODY, STATUS_MARKER, Entry, Record, parse_time

VISIBLE_ENTRIES = 150

STATE_TITLES = {
    "reported": "🟡 Reported: awaiting a delivery manager",
    "declared": "🔴 Declared",
    "mitigated": "🟢 Mitigated: impact contained, not yet resolved",
    "resolved": "✅ Resolved",
    "dismissed": "⚪ Dismissed",
}

KIND_WORDS = {
    "reported": "Reported",
    "declared": "Declared",
    "reopened": "Reopened",
    "lead": "Lead chosen",
    "handover": "Handover",
    "join": "Joined",
    "leave": "Stopped helping",
    "update": "Update",
    "mitigated": "Mitigated",
    "resolved": "Resolved",
    "dismissed": "Dismissed",
    "severity": "Severity",
    "action": "Action",
    "comms": "Stakeholder communication",
    "resolved-when": "Resolution criteria",
    "invite": "Invited",
    "snooze": "Reminders snoozed",
    "sensitive": "Marked sensitive",
    "resolution-undone": "Resolution undone",
    "reminder": "Reminder",
    "slack": "Slack",
}


def when(at: str, zone: str) -> tuple[str, str]:
    """Return the time in UTC and in the configured zone, for a person to read."""
    moment = parse_time(at)
    if moment is None:
        return at, ""
    local = moment.astimezone(ZoneInfo(zone))
    return moment.strftime("%Y-%m-%d %H:%M"), local.strftime("%H:%M %Z")


def describe(entry: Entry) -> str:
    words = KIND_WORDS.get(entry.kind, entry.kind)
    who = f" by {msg.person(entry.actor)}" if entry.actor and entry.kind != "lead" else ""
    if entry.kind == "lead":
        who = f": {msg.person(entry.actor)}"
    text = f": {msg.user_text(entry.text, inline=True)}" if entry.text else ""
    if entry.ref and entry.ref.startswith("https://"):
        text += f" ([link]({entry.ref}))"
    return f"{words}{who}{text}"


def render(record: Record, config: Config, *, repo: str, updated: datetime) -> str:
    """Return the whole status comment body, kept under GitHub's 65,536-character limit.

    A very long incident first loses old texts from the record (the comments they came
    from stay on the issue), never entries.
    """
    body = _render(record, config, updated=updated)
    for old, recent in ((500, 2000), (200, 1000), (60, 500), (0, 200)):
        if len(body) <= MAX_BODY:
            break
        for entry in record.timeline[:-20]:
            entry.text = entry.text[:old]
        for entry in record.timeline[-20:]:
            entry.text = entry.text[:recent]
        record.sent = record.sent[-100:]
        record.slack_history = record.slack_history[-100:]
        body = _render(record, config, updated=updated)
    return body


def _render(record: Record, config: Config, *, updated: datetime) -> str:
    state = record.state.value if record.state else "unknown"
    rows = [("State", f"{STATE_TITLES.get(state, state)} (`incident:{state}`)")]
    if record.severity:
        rows.append(("Severity", f"`severity:{record.severity}`"))
    rows.append(("Lead", msg.person(record.lead) if record.lead else "not yet chosen"))
    if len(record.leads) > 1:
        rows.append(("Earlier leads", ", ".join(msg.person(x) for x in record.leads[:-1])))
    dms = config.delivery_managers
    rows.append(("Delivery managers", ", ".join(msg.person(x) for x in dms) or "none configured"))
    rows.append(("Helping", ", ".join(msg.person(x) for x in record.helping) or "nobody yet"))
    if record.stopped:
        rows.append(("Stopped helping", ", ".join(msg.person(x) for x in record.stopped)))
    if record.resolved_when:
        rows.append(("Resolved when", msg.user_text(record.resolved_when, inline=True)))
    if record.channel_id:
        name = record.channel_name or record.channel_id
        private = " (private)" if record.sensitive else ""
        rows.append(
            (
                "Slack",
                f"[#{name}](https://slack.com/app_redirect?channel={record.channel_id}){private}",
            )
        )
    if record.retro:
        rows.append(("Retrospective", f"#{record.retro}"))
    if record.sensitive:
        rows.append(("Sensitive", "yes: private channel, redacted announcements"))
    if record.awaiting_confirmation:
        rows.append(
            (
                "Resolution",
                f"awaiting a delivery manager's confirmation "
                f"(resolved by {msg.person(record.awaiting_confirmation)})",
            )
        )
    if record.snooze_until:
        rows.append(
            ("Reminders snoozed until", record.snooze_until.replace("T", " ").replace("Z", " UTC"))
        )

    lines = [
        STATUS_MARKER,
        f"## Incident status: {STATE_TITLES.get(state, state)}",
        "",
        "| | |",
        "|---|---|",
    ]
    lines += [f"| {k} | {v} |" for k, v in rows]
    if record.missing:
        lines += [
            "",
            "**Missing from the report:** "
            + ", ".join(record.missing)
            + ". Please add it to the issue description.",
        ]
    if record.problems:
        lines += ["", "**Problems the tool hit** (retried on the next event):"]
        lines += [f"- {msg.user_text(p, inline=True)}" for p in record.problems[-5:]]
    if record.actions:
        lines += ["", "**Follow-up actions**"]
        lines += [
            f"- [ ] {msg.user_text(a.text, inline=True)} ({msg.person(a.actor)})"
            for a in record.actions
        ]
    zone = config.timezone
    lines += [
        "",
        f"<details open><summary>Timeline (UTC, and {zone})</summary>",
        "",
        f"| UTC | {zone} | What |",
        "|---|---|---|",
    ]
    shown = record.timeline[-VISIBLE_ENTRIES:]
    if len(record.timeline) > len(shown):
        hidden = len(record.timeline) - len(shown)
        lines.append(f"| | | … {hidden} earlier entries (all in the retrospective) |")
    for entry in shown:
        utc, local = when(entry.at, zone)
        lines.append(f"| {utc} | {local} | {describe(entry)} |")
    lines += [
        "",
        "</details>",
        "",
        # No "last updated" time here: it would rewrite the comment on runs that change nothing.
        "<sub>Kept up to date by incident-tool. Commands: comment `/help`.</sub>",
        "",
        f"<!-- incident-tool:data {record.to_json()} -->",
    ]
    return "\n".join(lines)
