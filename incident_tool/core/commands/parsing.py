"""Text into commands: the vocabulary (`Command`, `MalformedCommand`) and the
tokenising every command's parse rule shares (docs/usage.md#commands).

A command is a comment whose first line starts with ``/``. Only the first line is the
command; the lines after it are its text. Command words are case-insensitive, and a
person may be written ``@login`` or ``login``. Each command's own rule is in its module;
`incident_tool.core.commands.parse_command` finds the module by the word.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from incident_tool.core.commands.names import CommandName

#: Longest ``Command.text`` kept; longer text is cut to this length, ending in "…".
MAX_TEXT_LENGTH = 4000
#: Longest ``/snooze``: 7 days, in minutes.
MAX_SNOOZE_MINUTES = 7 * 24 * 60


@dataclass(frozen=True)
class Command:
    """A well-formed command.

    ``text`` is the argument text: the rest of the first line after the command word
    (and after the person, for ``/handover`` and ``/invite``; after the number or
    duration for ``/severity`` and ``/snooze``) plus the following lines, stripped;
    ``""`` when there is none. Text longer than ``MAX_TEXT_LENGTH`` (4,000) characters
    is truncated to exactly that length, the last character being "…".
    """

    #: The command word: a `CommandName` for the tool's own commands.
    name: str
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


#: A command's parse rule: (the rest of the first line, the lines after it) into a value.
Parser = Callable[[str, str], Command | MalformedCommand]

# A BOM or zero-width characters before the "/" come from copy-paste and editors;
# they should not stop a command being recognised.
_LEADING_JUNK_RE = re.compile(r"^[\s\ufeff\u200b\u2060]+")
# The first token of the first line: "/" + word, with sentence punctuation allowed
# after it ("/help?", "/update: deployed"). Anything else ("/tmp.txt", "/v2") is prose.
# "_" is read as "-" so that "/resolved_when" works rather than being silently ignored.
_COMMAND_TOKEN_RE = re.compile(r"^/([A-Za-z][A-Za-z_-]*)[:.!?,;]*$")
_LOGIN_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9]))*$")
BOT_SUFFIX = "[bot]"
_MAX_LOGIN_LENGTH = 39
# Trailing punctuation after a mention ("@alice," / "@alice:") is prose, not login.
MENTION_TRAILING = ".,:;!?)"


@dataclass(frozen=True)
class Attempt:
    """A comment that is a command attempt: its word (lowercased, "_" read as "-"), the rest
    of its first line and the lines after it."""

    word: str
    rest: str
    following: str


def attempt(body: str | None) -> Attempt | None:
    """Split a comment into a command attempt, or None when it is prose.

    The first line (after leading whitespace and a byte-order mark) must start with
    ``/<word>``, the word being letters and hyphens. A first token with another ``/``
    (``/etc/passwd``, ``//``) or other characters (``/123``, ``/ foo``) is prose.
    """
    if not isinstance(body, str) or not body:
        return None
    body = _LEADING_JUNK_RE.sub("", body, count=1)
    if not body.startswith("/"):
        return None
    body = body.replace("\r\n", "\n").replace("\r", "\n")
    first_line, _, following = body.partition("\n")
    token, rest = split_first_token(first_line)
    match = _COMMAND_TOKEN_RE.match(token)
    if match is None:
        return None
    return Attempt(match.group(1).lower().replace("_", "-"), rest, following)


def is_valid_login(login: str) -> bool:
    """Tell whether ``login`` is a syntactically valid GitHub login (bots included).

    A login is 1-39 letters, digits or single hyphens, not starting or ending with a
    hyphen; an app's bot account is such a name followed by ``[bot]``.
    """
    if login.endswith(BOT_SUFFIX):
        login = login[: -len(BOT_SUFFIX)]
    return 0 < len(login) <= _MAX_LOGIN_LENGTH and _LOGIN_RE.match(login) is not None


def _truncate(text: str) -> str:
    """Cut text to MAX_TEXT_LENGTH characters, marking the cut with "…"."""
    if len(text) <= MAX_TEXT_LENGTH:
        return text
    return text[: MAX_TEXT_LENGTH - 1] + "…"


def split_first_token(line: str) -> tuple[str, str]:
    """Split off the first whitespace-separated token; return (token, rest)."""
    parts = line.split(None, 1)
    if not parts:
        return "", ""
    return parts[0], parts[1] if len(parts) > 1 else ""


def join_text(*parts: str) -> str:
    """Join the rest of the first line and the following lines into one stripped text."""
    return _truncate("\n".join(part for part in parts if part.strip()).strip())


def quote(word: str) -> str:
    """Show user input inside backticks safely and briefly in a reply."""
    word = word[:40] + ("…" if len(word) > 40 else "")
    return word.replace("`", "'")


def person(name: CommandName, needs_person: str) -> Parser:
    """The rule of ``/<name> @login [text]``; ``needs_person`` says how to write it."""

    def parse(rest: str, following: str) -> Command | MalformedCommand:
        token, after = split_first_token(rest)
        if not token:
            return MalformedCommand(name=name.value, message=needs_person)
        login = token.removeprefix("@").rstrip(MENTION_TRAILING)
        if not is_valid_login(login):
            return MalformedCommand(
                name=name.value, message=f"`{quote(token)}` is not a GitHub login. {needs_person}"
            )
        return Command(name=name, user=login, text=join_text(after, following))

    return parse


def text_needed(name: CommandName, needs_text: str) -> Parser:
    """The rule of ``/<name> <text>``: no text is malformed, ``needs_text`` says why."""

    def parse(rest: str, following: str) -> Command | MalformedCommand:
        text = join_text(rest, following)
        if not text:
            return MalformedCommand(name=name.value, message=needs_text)
        return Command(name=name, text=text)

    return parse


def text_optional(name: CommandName) -> Parser:
    """The rule of ``/<name> [text]``: the words after it are an optional note."""

    def parse(rest: str, following: str) -> Command | MalformedCommand:
        return Command(name=name, text=join_text(rest, following))

    return parse


def no_text(name: CommandName) -> Parser:
    """The rule of ``/<name>`` alone: words after it are ignored ("/status please")."""

    def parse(rest: str, following: str) -> Command | MalformedCommand:
        return Command(name=name)

    return parse
