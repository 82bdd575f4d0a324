"""Parse an issue comment into an incident command (docs/usage.md#commands).

The commands live in `incident_tool.core.commands`, one module each (its spec, parse rule,
handler and texts); this is the parsing side of them, by the names readers of comments use.
:func:`parse_command` returns a :class:`Command`, a :class:`MalformedCommand` (a command
attempt that should get a reply saying why it was refused), or None when the comment is
not a command at all. It never raises.
"""

from __future__ import annotations

from incident_tool.core.commands import (
    MAX_SNOOZE_MINUTES,
    MAX_TEXT_LENGTH,
    SPECS,
    Command,
    CommandName,
    MalformedCommand,
    command_table,
    help_text,
    is_valid_login,
    parse_command,
)
from incident_tool.core.commands.action import owner_word

__all__ = [
    "MAX_SNOOZE_MINUTES",
    "MAX_TEXT_LENGTH",
    "SPECS",
    "Command",
    "CommandName",
    "MalformedCommand",
    "command_table",
    "help_text",
    "is_valid_login",
    "owner_word",
    "parse_command",
]
