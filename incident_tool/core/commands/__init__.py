"""The incident commands (docs/usage.md#commands): one module each, registered once.

A command's module holds its `Spec` (name, usage, who may, what it does), its parse rule,
its handler and its texts. `names.py` lists the words in the command table's order; the
registry below is their modules' specs. The command table (README, docs/commands.md,
`/help`), `parse_command`'s dispatch, the permission check and Slack's list of words read
it: adding a command is adding its module and its word in `names.py`. `parsing.py` (text
into values) and `base.py` (Spec, Result, May, what handlers share) are what modules share.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Sequence

from incident_tool.core.commands.base import (
    DONE,
    Done,
    May,
    PartlyDone,
    Refused,
    Result,
    Spec,
)
from incident_tool.core.commands.names import CommandName
from incident_tool.core.commands.parsing import (
    MAX_SNOOZE_MINUTES,
    MAX_TEXT_LENGTH,
    Command,
    MalformedCommand,
    attempt,
    is_valid_login,
    quote,
)
from incident_tool.core.model import CommentView, Context

__all__ = [
    "DONE",
    "MAX_SNOOZE_MINUTES",
    "MAX_TEXT_LENGTH",
    "REGISTRY",
    "SPECS",
    "Command",
    "CommandName",
    "Done",
    "MalformedCommand",
    "May",
    "PartlyDone",
    "Refused",
    "Registry",
    "Result",
    "Spec",
    "command_table",
    "help_text",
    "is_valid_login",
    "parse_command",
    "run_command",
]

_HOW_TO_WRITE = (
    "Only the first line of a comment is the command; the lines after it are its text. "
    "Commands are case-insensitive, and `@user` may be written with or without `@`."
)


class Registry:
    """The commands, in the command table's order: everything that lists, parses or checks
    commands reads one of these."""

    def __init__(self, specs: Sequence[Spec]) -> None:
        self.specs = tuple(specs)
        self.by_name: dict[str, Spec] = {str(spec.name): spec for spec in self.specs}

    def table(self) -> str:
        """The command table in markdown: `/help`'s, the README's and docs/commands.md's."""
        lines = [
            "| command | who may use it | what it does |",
            "|---|---|---|",
        ]
        for spec in self.specs:
            cells = (f"`{spec.usage}`", spec.who, spec.what)
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
        return "\n".join(lines)

    def help_text(self) -> str:
        """The command list for `/help`: the command table and how to write one."""
        return f"{self.table()}\n\n{_HOW_TO_WRITE}"

    def parse(self, body: str | None) -> Command | MalformedCommand | None:
        """A comment body into a Command, a MalformedCommand, or None when it is no command.

        An unknown word is a MalformedCommand, so a typo gets an answer. ``text`` is
        truncated to 4,000 characters ending in "…". Never raises.
        """
        tried = attempt(body)
        if tried is None:
            return None
        spec = self.by_name.get(tried.word)
        if spec is None:
            message = f"Unknown command `/{quote(tried.word)}`."
            suggestion = difflib.get_close_matches(
                tried.word[:40], list(self.by_name), n=1, cutoff=0.6
            )
            if suggestion:
                message += f" Did you mean `/{suggestion[0]}`?"
            return MalformedCommand(name=None, message=message + " Say `/help` for the list.")
        return spec.parse(tried.rest, tried.following)

    def run(self, ctx: Context, command: Command, comment: CommentView) -> Result:
        """Check who may, then carry out: the one path for commands from GitHub and Slack."""
        spec = self.by_name[str(command.name)]
        if not spec.may.permits(ctx, comment.author):
            return Refused(f"Only {spec.may.refusal(ctx.record.lead)} may use `/{spec.name}`.")
        return spec.handle(ctx, command, comment)


def spec_of(name: CommandName) -> Spec:
    """The `SPEC` of the command's module: the word, "-" read as "_" (`resolved_when.py`)."""
    module = importlib.import_module(f"{__name__}.{name.value.replace('-', '_')}")
    spec = getattr(module, "SPEC", None)
    if not isinstance(spec, Spec) or spec.name != name:
        raise ImportError(f"{module.__name__} has no SPEC named {name.value!r}")
    return spec


REGISTRY = Registry([spec_of(name) for name in CommandName])
SPECS = REGISTRY.specs


def parse_command(body: str | None) -> Command | MalformedCommand | None:
    """Parse a comment body into a Command, a MalformedCommand, or None when it is no
    command (see `Registry.parse`). ``text`` is truncated to 4,000 characters ending in "…".
    Never raises."""
    return REGISTRY.parse(body)


def run_command(ctx: Context, command: Command, comment: CommentView) -> Result:
    """Check who may, then carry out (see `Registry.run`)."""
    return REGISTRY.run(ctx, command, comment)


def command_table() -> str:
    """The command table in markdown (a test keeps the README's in step)."""
    return REGISTRY.table()


def help_text() -> str:
    """The command list for `/help`."""
    return REGISTRY.help_text()
