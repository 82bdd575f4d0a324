"""Parse an issue comment into an incident command (docs/usage.md#commands).

A command is a comment whose first line starts with ``/``. Only the first line is the
command; the lines after it are its text. Command words are case-insensitive, and a
person may be written ``@login`` or ``login``.

:func:`parse_command` returns a :class:`Command`, a :class:`MalformedCommand` (a command
attempt that should get a reply saying why it was refused), or None when the comment
is not a command at all. It never raises.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

__all__ = [
    "COMMAND_HELP",
    "COMMAND_TABLE",
    "MAX_SNOOZE_MINUTES",
    "MAX_TEXT_LENGTH",
    "Command",
    "command_table",
    "MalformedCommand",
    "CommandName",
    "HelpRow",
    "May",
    "help_text",
    "is_valid_login",
    "parse_command",
]

#: Longest ``Command.text`` kept; longer text is cut to this length, ending in "…".
MAX_TEXT_LENGTH = 4000
#: Longest ``/snooze``: 7 days, in minutes.
MAX_SNOOZE_MINUTES = 7 * 24 * 60


class CommandName(str, Enum):
    """The command words of docs/usage.md#commands; each value is the word as typed after ``/``."""

    HANDOVER = "handover"
    JOIN = "join"
    LEAVE = "leave"
    UPDATE = "update"
    MITIGATED = "mitigated"
    RESOLVE = "resolve"
    DISMISS = "dismiss"
    SEVERITY = "severity"
    INVITE = "invite"
    COMMS = "comms"
    RESOLVED_WHEN = "resolved-when"
    ACTION = "action"
    ACK = "ack"
    PUBLIC = "public"
    SNOOZE = "snooze"
    STATUS = "status"
    HELP = "help"

    def __str__(self) -> str:
        # Python 3.12 changed format() of str-mixin enums; pin it to the word everywhere.
        return self.value


@dataclass(frozen=True)
class Command:
    """A well-formed command.

    ``text`` is the argument text: the rest of the first line after the command word
    (and after the person, for ``/handover`` and ``/invite``; after the number or
    duration for ``/severity`` and ``/snooze``) plus the following lines, stripped;
    ``""`` when there is none. Text longer than ``MAX_TEXT_LENGTH`` (4,000) characters
    is truncated to exactly that length, the last character being "…".
    """

    name: CommandName
    text: str = ""
    #: ``/handover``, ``/invite``: the GitHub login, without "@".
    user: str | None = None
    #: ``/severity``: 1 (worst) to 4.
    severity: int | None = None
    #: ``/snooze``: 1 to ``MAX_SNOOZE_MINUTES``.
    duration_minutes: int | None = None
    #: ``/action @owner <text>``: the owner's login, without "@". A bare first word
    #: ("/action alice fix it") may be a login or the text's first word ("/action fix the
    #: cache"): it stays in ``text`` and the handler decides (see ``owner_word``).
    owner: str | None = None


@dataclass(frozen=True)
class MalformedCommand:
    """A command attempt that cannot be carried out, with a reason to reply with."""

    #: The command word as typed (lowercased) when it is a known command, else None.
    name: str | None
    #: A user-facing markdown sentence saying what was wrong and how to write it.
    message: str


class May(Enum):
    """Who may use a command, worded once: for `/help`, docs/usage.md and refusals.

    `{lead}` is where a refusal names the current lead (" (priya)"); the tables leave it out.
    Who may is checked by `incident_tool.core.comments.PERMISSIONS`, one check per value.
    """

    ANYONE = "anyone"
    HELPING = "a current supporting colleague"  # anyone; /leave says when you are not
    TEAM = "the lead, supporting colleagues (`/join` first) or a delivery manager"
    LEAD = "the incident lead{lead}"
    LEAD_OR_DM = "the incident lead{lead} or a delivery manager"
    DM = "a delivery manager"
    LEAD_DM_OR_MAINTAINER = "the current lead, a delivery manager or a repository maintainer"
    TRIAGE = "people with triage access or more (or listed `responders`)"

    def refusal(self, lead: str | None) -> str:
        """Who may, as a refusal says it: "Only {this} may use `/x`."."""
        return self.value.format(lead=f" ({lead or 'none yet'})")

    @property
    def listed(self) -> str:
        """Who may, as the command tables say it."""
        return self.value.format(lead="")


class HelpRow(NamedTuple):
    """One line of the command table: how to write it, who may, what it does."""

    usage: str
    may: May
    what: str

    @property
    def name(self) -> CommandName:
        return CommandName(self.usage[1:].split()[0])

    @property
    def who(self) -> str:
        return self.may.listed


COMMAND_HELP: list[HelpRow] = [
    HelpRow(
        "/handover @user",
        May.LEAD_DM_OR_MAINTAINER,
        "`user` becomes the incident lead (the only assignee); announced on the issue, "
        "in the incident channel and the announce channel; `user` is invited to the "
        "incident channel",
    ),
    HelpRow(
        "/join",
        May.TRIAGE,
        "adds you as a supporting colleague and invites you to the incident channel",
    ),
    HelpRow("/leave", May.HELPING, "marks you as no longer helping"),
    HelpRow(
        "/update <text>",
        May.TEAM,
        "a progress update: into the timeline and the incident channel",
    ),
    HelpRow("/mitigated [text]", May.LEAD_OR_DM, "state → `incident:mitigated`"),
    HelpRow(
        "/resolve [text]",
        May.LEAD_OR_DM,
        "closes the issue as completed: state → `incident:resolved`, retrospective opened",
    ),
    HelpRow(
        "/dismiss <reason>",
        May.DM,
        "state → `incident:dismissed`, issue closed as not planned, no retrospective",
    ),
    HelpRow(
        "/severity <1-4>",
        May.LEAD_OR_DM,
        "sets label `severity:<n>` (one at a time; 1 is the worst); announced",
    ),
    HelpRow(
        "/invite @user [why]",
        May.LEAD_OR_DM,
        "pulls someone in: mentioned on the issue with the reason, invited to the incident "
        "channel, sent a Slack direct message",
    ),
    HelpRow(
        "/comms <text>",
        May.DM,
        "a stakeholder update: posted to the stakeholder channel (or the announce channel) "
        "and kept in the timeline",
    ),
    HelpRow(
        "/resolved-when <text>",
        May.DM,
        'records the resolution criteria ("we can call this resolved when …"); shown in '
        "the status comment and the channel topic",
    ),
    HelpRow(
        "/action [@owner] <text>",
        May.TEAM,
        "records a follow-up action; at resolution it becomes a follow-up issue assigned to "
        "`owner`, a sub-issue of the retrospective (at once if already resolved)",
    ),
    HelpRow(
        "/ack",
        May.LEAD,
        "acknowledges the lead role (asked when the tool chose you, or someone handed it to "
        "you); a ✅ on the tool's Slack DM or on the channel's first message does the same",
    ),
    HelpRow(
        "/public <text>",
        May.LEAD_OR_DM,
        "a public update: on the status page and in its feed, in the timeline and the "
        "incident channel (anyone can read it: no names, no internals)",
    ),
    HelpRow(
        "/snooze <duration>",
        May.LEAD_OR_DM,
        "silences update reminders for that long (`30m`, `2h`, `1h30m`, `90` minutes, "
        "`1d`; at most 7 days)",
    ),
    HelpRow("/status", May.ANYONE, "re-posts the current status summary to the incident channel"),
    HelpRow("/help", May.ANYONE, "replies with this list"),
]


def command_table() -> str:
    """Return the command table in markdown: `/help`'s and docs/usage.md's (a test keeps
    that one in step)."""
    lines = [
        "| command | who may use it | what it does |",
        "|---|---|---|",
    ]
    for row in COMMAND_HELP:
        cells = (f"`{row.usage}`", row.who, row.what)
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


def help_text() -> str:
    """Return the command list for ``/help``: the command table and how to write one."""
    lines = [command_table(), ""]
    lines.append(
        "Only the first line of a comment is the command; the lines after it are its text. "
        "Commands are case-insensitive, and `@user` may be written with or without `@`."
    )
    return "\n".join(lines)


#: Each command's row of the table, by name.
COMMAND_TABLE: dict[CommandName, HelpRow] = {row.name: row for row in COMMAND_HELP}


# --- parsing ---------------------------------------------------------------------------

# A BOM or zero-width characters before the "/" come from copy-paste and editors;
# they should not stop a command being recognised.
_LEADING_JUNK_RE = re.compile(r"^[\s\ufeff\u200b\u2060]+")
# The first token of the first line: "/" + word, with sentence punctuation allowed
# after it ("/help?", "/update: deployed"). Anything else ("/tmp.txt", "/v2") is prose.
# "_" is read as "-" so that "/resolved_when" works rather than being silently ignored.
_COMMAND_TOKEN_RE = re.compile(r"^/([A-Za-z][A-Za-z_-]*)[:.!?,;]*$")
_LOGIN_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9]))*$")
_BOT_SUFFIX = "[bot]"
_MAX_LOGIN_LENGTH = 39
# Trailing punctuation after a mention ("@alice," / "@alice:") is prose, not login.
_MENTION_TRAILING = ".,:;!?)"
_SEVERITY_RE = re.compile(r"^(?:sev|s)?-?([1-4])[.,:;!]?$", re.IGNORECASE)
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

_NEEDS_PERSON = {
    CommandName.HANDOVER: "`/handover` needs a person: `/handover @login`",
    CommandName.INVITE: "`/invite` needs a person: `/invite @login [why]`",
}
_NEEDS_TEXT = {
    CommandName.UPDATE: "`/update` needs text: `/update <what is happening>`",
    CommandName.DISMISS: "`/dismiss` needs a reason: `/dismiss <why this is not an incident>`",
    CommandName.COMMS: "`/comms` needs text: `/comms <message for stakeholders>`",
    CommandName.RESOLVED_WHEN: (
        "`/resolved-when` needs text: `/resolved-when <what must be true to call it resolved>`"
    ),
    CommandName.ACTION: "`/action` needs text: `/action [@owner] <follow-up action>`",
    CommandName.PUBLIC: "`/public` needs text: `/public <what the public should know>`",
}
# Extra words after these are ignored ("/status please"); /join, /leave, /mitigated and
# /resolve keep theirs as an optional note.
_NO_TEXT = frozenset({CommandName.STATUS, CommandName.HELP, CommandName.ACK})
_SEVERITY_USAGE = "`/severity` takes a number from 1 to 4 (1 is the worst): `/severity 2`"
_SNOOZE_USAGE = (
    "`/snooze` needs a duration from 1 minute to 7 days, e.g. `/snooze 30m`, `/snooze 2h`, "
    "`/snooze 1h30m`, `/snooze 90` (minutes) or `/snooze 1d`"
)
_BY_WORD = {name.value: name for name in CommandName}


def is_valid_login(login: str) -> bool:
    """Tell whether ``login`` is a syntactically valid GitHub login (bots included).

    A login is 1-39 letters, digits or single hyphens, not starting or ending with a
    hyphen; an app's bot account is such a name followed by ``[bot]``.
    """
    if login.endswith(_BOT_SUFFIX):
        login = login[: -len(_BOT_SUFFIX)]
    return 0 < len(login) <= _MAX_LOGIN_LENGTH and _LOGIN_RE.match(login) is not None


def _truncate(text: str) -> str:
    """Cut text to MAX_TEXT_LENGTH characters, marking the cut with "…"."""
    if len(text) <= MAX_TEXT_LENGTH:
        return text
    return text[: MAX_TEXT_LENGTH - 1] + "…"


def _split_first_token(line: str) -> tuple[str, str]:
    """Split off the first whitespace-separated token; return (token, rest)."""
    parts = line.split(None, 1)
    if not parts:
        return "", ""
    return parts[0], parts[1] if len(parts) > 1 else ""


def _join_text(*parts: str) -> str:
    """Join the rest of the first line and the following lines into one stripped text."""
    return _truncate("\n".join(part for part in parts if part.strip()).strip())


def _quote(word: str) -> str:
    """Show user input inside backticks safely and briefly in a reply."""
    word = word[:40] + ("…" if len(word) > 40 else "")
    return word.replace("`", "'")


def parse_command(body: str | None) -> Command | MalformedCommand | None:
    """Parse a comment body into a Command, a MalformedCommand, or None when it is no command.

    The first line (after leading whitespace and a byte-order mark) must start with
    ``/<word>``, the word being letters and hyphens. A first token with another ``/``
    (``/etc/passwd``, ``//``) or other characters (``/123``, ``/ foo``) is prose: None.
    An unknown word is a MalformedCommand, so a typo gets an answer. ``text`` is truncated
    to 4,000 characters ending in "…". Never raises.
    """
    if not isinstance(body, str) or not body:
        return None
    body = _LEADING_JUNK_RE.sub("", body, count=1)
    if not body.startswith("/"):
        return None
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    first_line, _, following = body.partition("\n")
    token, rest = _split_first_token(first_line)
    match = _COMMAND_TOKEN_RE.match(token)
    if match is None:
        return None
    word = match.group(1).lower().replace("_", "-")
    name = _BY_WORD.get(word)
    if name is None:
        message = f"Unknown command `/{_quote(word)}`."
        suggestion = difflib.get_close_matches(word[:40], list(_BY_WORD), n=1, cutoff=0.6)
        if suggestion:
            message += f" Did you mean `/{suggestion[0]}`?"
        return MalformedCommand(name=None, message=message + " Say `/help` for the list.")

    if name in _NEEDS_PERSON:
        return _parse_person(name, rest, following)
    if name is CommandName.SEVERITY:
        return _parse_severity(rest, following)
    if name is CommandName.SNOOZE:
        return _parse_snooze(rest, following)
    if name is CommandName.ACTION:
        return _parse_action(rest, following)
    if name in _NO_TEXT:
        return Command(name=name)
    text = _join_text(rest, following)
    if name in _NEEDS_TEXT and not text:
        return MalformedCommand(name=name.value, message=_NEEDS_TEXT[name])
    return Command(name=name, text=text)


def _parse_person(name: CommandName, rest: str, following: str) -> Command | MalformedCommand:
    """Parse ``/handover @login [text]`` and ``/invite @login [why]``."""
    token, after = _split_first_token(rest)
    if not token:
        return MalformedCommand(name=name.value, message=_NEEDS_PERSON[name])
    login = token.removeprefix("@").rstrip(_MENTION_TRAILING)
    if not is_valid_login(login):
        return MalformedCommand(
            name=name.value,
            message=f"`{_quote(token)}` is not a GitHub login. {_NEEDS_PERSON[name]}",
        )
    return Command(name=name, user=login, text=_join_text(after, following))


def _parse_action(rest: str, following: str) -> Command | MalformedCommand:
    """Parse ``/action [@owner] <text>``: an ``@login`` first is the owner."""
    token, after = _split_first_token(rest)
    owner = None
    if token.startswith("@"):
        owner = token.removeprefix("@").rstrip(_MENTION_TRAILING)
        if not is_valid_login(owner) or owner.endswith(_BOT_SUFFIX):
            return MalformedCommand(
                name=CommandName.ACTION.value,
                message=f"`{_quote(token)}` is not a GitHub login. "
                + _NEEDS_TEXT[CommandName.ACTION],
            )
        rest = after
    text = _join_text(rest, following)
    if not text:
        return MalformedCommand(
            name=CommandName.ACTION.value, message=_NEEDS_TEXT[CommandName.ACTION]
        )
    return Command(name=CommandName.ACTION, text=text, owner=owner)


def owner_word(text: str) -> tuple[str | None, str]:
    """Split a bare first word shaped like a login off an ``/action`` text: (login, rest).

    Only the caller knows whether it is a person ("/action alice fix it") or the text's
    first word ("/action fix the cache"); (None, text) when it cannot be a login or
    nothing would be left.
    """
    token, rest = _split_first_token(text)
    login = token.rstrip(_MENTION_TRAILING)
    if not rest.strip() or not is_valid_login(login) or login.endswith(_BOT_SUFFIX):
        return None, text
    return login, rest.strip()


def _parse_severity(rest: str, following: str) -> Command | MalformedCommand:
    """Parse ``/severity <1-4> [text]``; ``sev2`` and ``S2`` are accepted too."""
    token, after = _split_first_token(rest)
    match = _SEVERITY_RE.match(token)
    if match is None:
        return MalformedCommand(name=CommandName.SEVERITY.value, message=_SEVERITY_USAGE)
    return Command(
        name=CommandName.SEVERITY,
        severity=int(match.group(1)),
        text=_join_text(after, following),
    )


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
    token, after = _split_first_token(rest)
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


def _parse_snooze(rest: str, following: str) -> Command | MalformedCommand:
    """Parse ``/snooze <duration> [text]``."""
    minutes, typed, after = _parse_duration(rest)
    if minutes is None:
        return MalformedCommand(name=CommandName.SNOOZE.value, message=_SNOOZE_USAGE)
    if not 1 <= minutes <= MAX_SNOOZE_MINUTES:
        return MalformedCommand(
            name=CommandName.SNOOZE.value,
            message=f"`{_quote(typed)}` is out of range. {_SNOOZE_USAGE}",
        )
    return Command(
        name=CommandName.SNOOZE,
        duration_minutes=minutes,
        text=_join_text(after, following),
    )
