"""`/snooze <duration>`: update reminders wait (docs/adopting.md#configuration-githubincidentyml:
`reminders.*`)."""

from __future__ import annotations

import re
from datetime import timedelta

from incident_tool.core.commands.base import DONE, May, Result, Spec
from incident_tool.core.commands.names import CommandName
from incident_tool.core.commands.parsing import (
    MAX_SNOOZE_MINUTES,
    Command,
    MalformedCommand,
    join_text,
    quote,
    split_first_token,
)
from incident_tool.core.model import CommentView, Context
from incident_tool.core.record import iso, parse_time

USAGE = (
    "`/snooze` needs a duration from 1 minute to 7 days, e.g. `/snooze 30m`, `/snooze 2h`, "
    "`/snooze 1h30m`, `/snooze 90` (minutes) or `/snooze 1d`"
)

# "(?=([0-9]+))\1" takes all the digits with no backtracking into them (an atomic group;
# Python 3.10 has no possessive quantifiers), so a run of 65,000 digits costs one pass.
_DURATION_PART_RE = re.compile(
    r"(?=([0-9]+))\1 ?(days?|d|hours?|hrs?|h|minutes?|mins?|m)(?![a-z])", re.IGNORECASE
)
# d, h and m, with room for "1h 30m 0m"-style slack; more parts is not a duration.
_MAX_DURATION_PARTS = 4
_DURATION_TRAILING = ".,:;!"
_SPACES_RE = re.compile(r"\s*")
_UNIT_MINUTES = {"d": 24 * 60, "h": 60, "m": 1}
# More digits than this is out of range anyway; it also keeps int() away from
# Python's 4,300-digit conversion limit.
_MAX_NUMBER_DIGITS = 9


def _parse_duration(rest: str) -> tuple[int | None, str, str]:
    """Read a duration at the start of ``rest``.

    Return (minutes or None, the duration as typed, the text after it). Parts with
    units may be combined (``1h30m``, ``1h 30m``); a bare number is minutes.
    """
    position = 0
    total = 0
    found = 0
    while found < _MAX_DURATION_PARTS:
        match = _DURATION_PART_RE.match(rest, position)
        if match is None:
            break
        found += 1
        digits = match.group(1)
        if len(digits) > _MAX_NUMBER_DIGITS:
            total = MAX_SNOOZE_MINUTES + 1
        else:
            total += int(digits) * _UNIT_MINUTES[match.group(2)[0].lower()]
        position = match.end()
        # Allow spaces between parts ("1h 30m"), but only when another part follows.
        after_spaces = _SPACES_RE.match(rest, position).end()  # type: ignore[union-attr]
        if _DURATION_PART_RE.match(rest, after_spaces) is None:
            break
        position = after_spaces
    token, after = split_first_token(rest)
    if not found:
        if not (token.isascii() and token.isdigit()):
            return None, token, after
        if len(token) > _MAX_NUMBER_DIGITS:
            return MAX_SNOOZE_MINUTES + 1, token, after
        return int(token), token, after
    remainder = rest[position:]
    # The duration must end the word ("2hx" is not "2h"); a full stop or comma may follow.
    trimmed = remainder.lstrip(_DURATION_TRAILING)
    if trimmed and not trimmed[0].isspace():
        return None, token, after
    return total, rest[:position].strip(), trimmed


def parse(rest: str, following: str) -> Command | MalformedCommand:
    """Parse ``/snooze <duration> [text]``."""
    minutes, typed, after = _parse_duration(rest)
    if minutes is None:
        return MalformedCommand(name=CommandName.SNOOZE.value, message=USAGE)
    if not 1 <= minutes <= MAX_SNOOZE_MINUTES:
        return MalformedCommand(
            name=CommandName.SNOOZE.value,
            message=f"`{quote(typed)}` is out of range. {USAGE}",
        )
    return Command(
        name=CommandName.SNOOZE,
        duration_minutes=minutes,
        text=join_text(after, following),
    )


def handle(ctx: Context, cmd: Command, comment: CommentView) -> Result:
    """Silence reminders for a while."""
    minutes = cmd.duration_minutes or 30
    until = ctx.now + timedelta(minutes=minutes)
    previous = parse_time(ctx.record.snooze_until)
    if previous is None or previous < until:
        ctx.record.snooze_until = iso(until)
    ctx.record.note(ctx.now, "snooze", comment.author, f"{minutes} minutes")
    return DONE


SPEC = Spec(
    name=CommandName.SNOOZE,
    usage="/snooze <duration>",
    may=May.LEAD_OR_DM,
    what="silences update reminders for that long (`30m`, `2h`, `1h30m`, `90` minutes, "
    "`1d`; at most 7 days)",
    parse=parse,
    handle=handle,
)
