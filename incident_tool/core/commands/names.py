"""The registry's list: every command's word, in the command table's order.

Each word has its module in this package, named for it (`resolved-when`: `resolved_when.py`),
holding its `SPEC`; `incident_tool.core.commands` builds the registry from this list. Adding
a command is adding its module and its line here.
"""

from __future__ import annotations

from enum import Enum


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
    RETITLE = "retitle"
    LOCK = "lock"
    UNLOCK = "unlock"
    HIDE = "hide"
    SNOOZE = "snooze"
    STATUS = "status"
    CHANGES = "changes"
    SUSPECT = "suspect"
    REVERT = "revert"
    HELP = "help"

    def __str__(self) -> str:
        # Python 3.12 changed format() of str-mixin enums; pin it to the word everywhere.
        return self.value
