"""Render the status comment: a readable summary on top, the record hidden below
(docs/architecture.md#how-it-works)."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from incident_tool.config import ABSENT, Config
from incident_tool.core import changes, safe, wording
from incident_tool.core.followups import action_key
from incident_tool.core.record import MAX_BODY, STATUS_MARKER, Entry, Record, parse_time
from incident_tool.core.states import State
from incident_tool.inbound import alerts

VISIBLE_ENTRIES = 150
CLOSED_STATES = (State.RESOLVED, State.DISMISSED)
VISIBLE_NOTES = 5
_SLACK_LINK = re.compile(r"https://[A-Za-z0-9.-]+/archives/[A-Z0-9]+/p[0-9]+")

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
    "public": "Public update",
    "retitle": "Public title",
    "resolved-when": "Resolution criteria",
    "invite": "Invited",
    "snooze": "Reminders snoozed",
    "sensitive": "Marked sensitive",
    "resolution-undone": "Resolution undone",
    "reminder": "Reminder",
    "slack": "Slack",
    "note": "Note",
    "slack-note": "Slack note",
    "ack": "Lead acknowledged",
    "ack-timeout": "Not acknowledged",
    "ack-missing": "Not acknowledged",
    "follow-up": "Follow-up opened",
    "fired-again": "Alert fired again",
    "alert-resolved": "Alert resolved",
    "suspect": "Suspected change",
    "revert": "Revert asked",
    "lock": "Conversation locked",
    "unlock": "Conversation unlocked",
    "hide": "Comment hidden",
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
    who = f" by {wording.person(entry.actor)}" if entry.actor and entry.kind != "lead" else ""
    if entry.kind == "slack-note" and entry.actor and entry.actor.endswith(" (Slack)"):
        who = f" by {safe.inert(entry.actor, inline=True)}"  # a Slack name, not a login
    if entry.kind == "lead":
        who = f": {wording.person(entry.actor)}"
    text = f": {wording.user_text(entry.text, inline=True)}" if entry.text else ""
    if entry.ref and entry.ref.startswith("#issuecomment-"):
        text += f" ([comment]({entry.ref}))"
    elif entry.ref and _SLACK_LINK.fullmatch(entry.ref):
        text += f" ([Slack]({entry.ref}))"  # a command given in Slack: its permalink
    return f"{words}{who}{text}"


# How a long incident's record is made to fit, step by step: text kept in old and in the
# latest 20 entries, timeline rows shown, and (last) the entries kept at each end.
SHRINK_STEPS: tuple[tuple[int, int, int, tuple[int, int] | None], ...] = (
    (500, 2000, 150, None),
    (200, 1000, 100, None),
    (60, 500, 50, None),
    (0, 200, 20, None),
    (0, 200, 20, (10, 100)),
    (0, 80, 10, (5, 20)),
    (0, 40, 10, (0, 100)),  # a pathological incident: even the actions are thinned
)
VISIBLE_ACTIONS = 50


def render(record: Record, config: Config, *, repo: str, updated: datetime) -> str:
    """Return the whole status comment body, always under GitHub's 65,536-character limit.

    A very long incident first loses old texts from the record, then shows fewer rows,
    and last keeps only the timeline's two ends (and every action): the comments the
    entries came from stay on the issue, so nothing people said is lost.
    """
    body = _render(record, config, updated=updated, visible=VISIBLE_ENTRIES)
    for old, recent, visible, ends in SHRINK_STEPS:
        if len(body) <= MAX_BODY:
            break
        if ends is not None:
            _keep_ends(record, *ends)
        for entry in record.timeline[:-20]:
            if entry.kind != "note":  # keep saying what was left out
                # A Slack note keeps its ref: it is how the next run finds it again.
                keep = entry.ref if entry.kind == "slack-note" else None
                entry.text, entry.ref = entry.text[:old], keep
        for entry in record.timeline[-20:]:
            entry.text = entry.text[:recent]
        record.sent, record.posted = record.sent[-200:], record.posted[-200:]
        body = _render(record, config, updated=updated, visible=visible)
    return body


def _participation(record: Record) -> list[tuple[str, str]]:
    """Who is in the incident channel and who posted there (read back from Slack)."""
    state = record.slack_in
    rows = []
    if "members" in state:
        members = [wording.person(x) for x in state.get("members") or []]
        others = int(state.get("others") or 0)
        if others:
            members.append(f"{others} not mapped to GitHub")
        rows.append(("In the Slack channel", ", ".join(members) or "nobody yet"))
    if state.get("posters"):
        # Slack names are anyone's text: quoted as data; a login links to its profile.
        shown = [safe.inert(x, inline=True) for x in state["posters"]]
        rows.append(("Posted in Slack", ", ".join(shown)))
    return rows


def _keep_ends(record: Record, first: int, last: int) -> None:
    """Keep the timeline's ends and its milestones (and its actions, unless `first` is 0)."""
    timeline = record.timeline
    if len(timeline) <= first + last + 1:
        return
    middle = timeline[first:-last]
    kinds = {"declared", "mitigated", "resolved"} | ({"action"} if first else set())
    kept = [e for e in middle if e.kind in kinds]
    gap = Entry(middle[0].at, "note", None, f"{len(middle) - len(kept)} entries left out")
    record.timeline = [*timeline[:first], *kept, gap, *timeline[-last:]]


Row = tuple[str, str]


def _render(record: Record, config: Config, *, updated: datetime, visible: int) -> str:
    state = record.state.value if record.state else "unknown"
    rows = [
        ("State", f"{STATE_TITLES.get(state, state)} (`incident:{state}`)"),
        *_severity_rows(record),
        *_people_rows(record, config, updated),
        *_participation(record),
        *_incident_rows(record),
        *_attention_rows(record),
        *alerts.status_rows(record.alert, state, config.alerts.auto_dismiss_after),
    ]
    lines = [
        STATUS_MARKER,
        f"## Incident status: {STATE_TITLES.get(state, state)}",
        "",
        "| | |",
        "|---|---|",
    ]
    lines += [f"| {k} | {v} |" for k, v in rows]
    lines += _missing_and_problems(record)
    lines += _latest_notes(record, config.timezone)
    lines += _follow_up_actions(record)
    lines += _recent_changes(record)
    lines += _timeline(record, config.timezone, visible)
    lines += [
        "",
        # No "last updated" time here: it would rewrite the comment on runs that change nothing.
        "<sub>Kept up to date by incident-tool. Commands: comment `/help`.</sub>",
        "",
        f"<!-- incident-tool:data {record.to_json()} -->",
    ]
    return "\n".join(lines)


def _severity_rows(record: Record) -> list[Row]:
    if record.severity:
        return [("Severity", f"`severity:{record.severity}`")]
    if record.severity_guess:
        return [
            (
                "Severity",
                f"not set; the reporter guessed {record.severity_guess} (not applied: "
                "they have no triage access; the lead sets it with `/severity`)",
            )
        ]
    return []


def _people_rows(record: Record, config: Config, updated: datetime) -> list[Row]:
    """The lead (and whether they acknowledged), earlier leads, managers, helpers."""
    rows = [("Lead", wording.person(record.lead) if record.lead else "not yet chosen")]
    # Once over, nobody is waited for: the question is moot.
    waiting = record.ack_waiting() if record.state not in CLOSED_STATES else None
    if waiting:
        since = (parse_time(waiting.get("since")) or updated).strftime("%H:%M UTC")
        who = wording.person(record.lead)
        rows.append(("Acknowledgement", f"waiting for {who} to acknowledge (since {since})"))
    if len(record.leads) > 1:
        rows.append(("Earlier leads", ", ".join(wording.person(x) for x in record.leads[:-1])))
    dms = config.delivery_managers
    # Say why when the run had no config at all (a misnamed .yaml, a missing file).
    none = "none: no .github/incident.yml" if ABSENT in config.source else "none configured"
    rows.append(("Delivery managers", ", ".join(wording.person(x) for x in dms) or none))
    rows.append(("Helping", ", ".join(wording.person(x) for x in record.helping) or "nobody yet"))
    if record.stopped:
        rows.append(("Stopped helping", ", ".join(wording.person(x) for x in record.stopped)))
    return rows


def _incident_rows(record: Record) -> list[Row]:
    """Where the incident is discussed and written up: criteria, channel, retrospective."""
    rows = []
    if record.resolved_when:
        rows.append(("Resolved when", wording.user_text(record.resolved_when, inline=True)))
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
    return rows


def _attention_rows(record: Record) -> list[Row]:
    """What waits on someone: a confirmation, nobody paged, outsiders, snoozed reminders."""
    rows = []
    if record.awaiting_confirmation:
        rows.append(
            (
                "Resolution",
                f"awaiting a delivery manager's confirmation "
                f"(resolved by {wording.person(record.awaiting_confirmation)})",
            )
        )
    if record.not_paged:
        rows.append(("Nobody paged", wording.user_text(record.not_paged, inline=True)))
    if record.outsider_comments or record.unanswered:
        rows.append(
            (
                "From people without triage access",
                f"{record.outsider_comments} comments not mirrored to Slack; "
                f"{record.unanswered} commands or changes not answered "
                "(one answer per person an hour)",
            )
        )
    if record.snooze_until:
        rows.append(
            ("Reminders snoozed until", record.snooze_until.replace("T", " ").replace("Z", " UTC"))
        )
    return rows


def _missing_and_problems(record: Record) -> list[str]:
    lines = []
    # Asking to complete the report of an incident that is over only nags.
    if record.missing and record.state not in CLOSED_STATES:
        lines += [
            "",
            "**Missing from the report:** "
            + ", ".join(record.missing)
            + ". Please add it to the issue description.",
        ]
    if record.problems:
        lines += ["", "**Problems the tool hit** (retried on the next event):"]
        lines += [f"- {wording.user_text(p, inline=True)}" for p in record.problems[-5:]]
    return lines


def _latest_notes(record: Record, zone: str) -> list[str]:
    notes = [e for e in record.timeline if e.kind == "slack-note"]
    if not notes:
        return []
    lines = ["", "**Latest Slack notes** (pinned, or marked with the timeline reaction)"]
    for note in notes[-VISIBLE_NOTES:]:
        utc, _ = when(note.at, zone)
        said = wording.user_text(note.text, inline=True)
        lines.append(f"- {utc} UTC, {safe.inert(note.actor or 'someone', inline=True)}: {said}")
    return lines


def _follow_up_actions(record: Record) -> list[str]:
    actions = record.actions
    if not actions:
        return []
    lines = ["", "**Follow-up actions**"]
    if len(actions) > VISIBLE_ACTIONS:
        lines.append(f"- … {len(actions) - VISIBLE_ACTIONS} more in the timeline")
    for action in actions[-VISIBLE_ACTIONS:]:
        # The issue it became, once opened (GitHub links `#123`).
        opened = record.followups.get(action_key(action), {}).get("issue")
        issue = f": #{opened}" if isinstance(opened, int) else ""
        said = wording.user_text(action.text, inline=True)
        lines.append(f"- [ ] {said} ({wording.person(action.actor)}){issue}")
    return lines


def _timeline(record: Record, zone: str, visible: int) -> list[str]:
    """The newest `visible` entries, in a section open by default, both times shown."""
    # Without a time zone of its own the team reads UTC once, not in two equal columns.
    local = zone != "UTC"
    lines = [
        "",
        f"<details open><summary>Timeline (UTC{f', and {zone}' if local else ''})</summary>",
        "",
        f"| UTC | {zone} | What |" if local else "| UTC | What |",
        "|---|---|---|" if local else "|---|---|",
    ]
    shown = record.timeline[-visible:]
    if len(record.timeline) > len(shown):
        hidden = len(record.timeline) - len(shown)
        gap = "| | |" if local else "| |"
        lines.append(f"{gap} … {hidden} earlier entries (all in the retrospective) |")
    for entry in shown:
        utc, in_zone = when(entry.at, zone)
        lines.append(
            f"| {utc} | {in_zone} | {describe(entry)} |"
            if local
            else f"| {utc} | {describe(entry)} |"
        )
    lines += ["", "</details>"]
    return lines


def _recent_changes(record: Record) -> list[str]:
    """What changed before the report (docs/usage.md#what-changed-before-the-incident); a
    sensitive incident's are in its private channel only."""
    if not record.changes:
        return []
    if record.sensitive:
        return ["", "### Recent changes", "", "Listed in the incident's private channel only."]
    return changes.status_section(record.changes)
