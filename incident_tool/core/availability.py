"""Who can lead right now, from what people say about themselves
(docs/usage.md#the-lead-availability-and-acknowledgement).

A responder is unavailable when any of these says so, asked in this order (the first that
answers "away" ends the look-ups for that person, so nobody costs more calls than needed):
GitHub status busy; Slack profile status (emoji or text in `availability.away_statuses`,
not expired); Slack presence `away`; Slack do-not-disturb now. A look-up that fails counts
as available: a broken Slack must never leave an incident without a lead.

The functions here are pure (answers in, a reason out); `mirror.People` makes the calls.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

# The emoji people use for "away" statuses, shown as themselves in reasons; any other
# emoji is shown by its Slack name.
EMOJI = {
    ":palm_tree:": "🌴",
    ":face_with_thermometer:": "🤒",
    ":thermometer:": "🌡️",
    ":airplane:": "✈️",
    ":beach_with_umbrella:": "🏖️",
    ":hospital:": "🏥",
    ":sleeping:": "😴",
    ":zzz:": "💤",
    ":no_entry:": "⛔",
    ":calendar:": "📆",
    ":house_with_garden:": "🏡",
    ":baby:": "👶",
}
MAX_STATUS_TEXT = 100  # Slack's own limit for status_text


def until(moment: int | float, now: datetime) -> str:
    """Say when something ends: "14:30 UTC" today, "3 Dec" later, "3 Dec 2027" next year."""
    end = datetime.fromtimestamp(moment, tz=timezone.utc)
    if end.date() == now.astimezone(timezone.utc).date():
        return end.strftime("%H:%M UTC")
    if end.year != now.year:
        return f"{end.day} {end:%b %Y}"
    return f"{end.day} {end:%b}"


def _matches(pattern: str, text: str, emoji: str) -> bool:
    pattern = pattern.strip().lower()
    if not pattern:
        return False
    if pattern.startswith(":") and pattern.endswith(":") and len(pattern) > 2:
        return emoji.lower() == pattern or pattern in text.lower()
    # Words, not parts of words: "sick" is not "homesick".
    return re.search(rf"(?<!\w){re.escape(pattern)}(?!\w)", text.lower()) is not None


def status_reason(
    status: Mapping[str, Any] | None, away_statuses: Sequence[str], now: datetime
) -> str | None:
    """Return why a Slack profile status makes someone unavailable ("🌴 On holiday until
    3 Dec"), or None. An expired status (status_expiration in the past) does not count:
    Slack clears it at that time, and a run may read it a moment before it does."""
    if not status:
        return None
    text = " ".join(str(status.get("status_text") or "").split())[:MAX_STATUS_TEXT]
    emoji = str(status.get("status_emoji") or "").strip()
    try:
        expires = int(status.get("status_expiration") or 0)
    except (TypeError, ValueError):
        expires = 0
    if expires and expires <= now.timestamp():
        return None
    if not any(_matches(p, text, emoji) for p in away_statuses):
        return None
    shown = " ".join(x for x in (EMOJI.get(emoji.lower(), emoji), text) if x)
    return f"{shown} until {until(expires, now)}" if expires else shown


def dnd_reason(dnd: Mapping[str, Any] | None, now: datetime) -> str | None:
    """Return why do-not-disturb makes someone unavailable, or None.

    dnd.info (https://docs.slack.dev/reference/methods/dnd.info) shows another user's
    scheduled window (`dnd_enabled`, `next_dnd_start_ts`, `next_dnd_end_ts`: while a
    window lasts, its start is in the past); "all of the snooze_* properties will only be
    visible if the user being queried is also the current user", so a snooze counts only
    when Slack shows it.
    """
    if not dnd:
        return None
    stamp = now.timestamp()
    try:
        snooze_end = int(dnd.get("snooze_endtime") or 0)
        start = int(dnd.get("next_dnd_start_ts") or 0)
        end = int(dnd.get("next_dnd_end_ts") or 0)
    except (TypeError, ValueError):
        return None
    if dnd.get("snooze_enabled") is True and snooze_end > stamp:
        return f"notifications paused on Slack until {until(snooze_end, now)}"
    if dnd.get("dnd_enabled") is True and start <= stamp < end:
        return f"do not disturb on Slack until {until(end, now)}"
    return None


def presence_reason(presence: str | None) -> str | None:
    return "away on Slack" if presence == "away" else None
