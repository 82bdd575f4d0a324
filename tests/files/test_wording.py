"""The bot's comments and Slack messages are in `incident_tool/core/wording.py` (a command's
own: module constants of its module in `core/commands/`).

A message text written inline elsewhere (a Slack message starting `:emoji: `, a comment body
built around `wording.marker(...)`) is a finding; so is a text in `wording` or a command's
module that nothing uses. That the docs sections the code cites exist is
tests/files/test_citations.py's check.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from incident_tool.core import wording

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "incident_tool"
WORDING = PACKAGE / "core" / "wording.py"
COMMANDS = PACKAGE / "core" / "commands"
# A Slack message begins with an emoji code and words (a bare ":palm_tree:" is config data).
SLACK_TEXT = re.compile(r"^:[a-z0-9_+-]+: ")


def product_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p != WORDING)


def command_modules() -> list[Path]:
    return sorted(COMMANDS.glob("*.py"))


def text_constants(tree: ast.Module) -> dict[str, ast.expr]:
    """The module-level UPPER_CASE names bound to a string (a text, or a part of one)."""
    return {
        target.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, (ast.Constant, ast.JoinedStr))
        for target in node.targets
        if isinstance(target, ast.Name) and target.id.isupper()
    }


def inline_texts(source: str, *, constants_allowed: bool = False) -> list[tuple[int, str]]:
    """Where `source` writes a message text itself: (line, what). With `constants_allowed`
    (a command's module), its module constants are its texts, not findings."""
    tree = ast.parse(source)
    allowed = set()
    if constants_allowed:
        allowed = {id(n) for value in text_constants(tree).values() for n in ast.walk(value)}
    found = []
    for node in ast.walk(tree):
        if id(node) in allowed:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if SLACK_TEXT.match(node.value):
                found.append((node.lineno, node.value[:60]))
        elif isinstance(node, ast.JoinedStr):
            for part in node.values:
                call = part.value if isinstance(part, ast.FormattedValue) else None
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "marker"
                ):
                    found.append((node.lineno, "a comment body around wording.marker()"))
    return found


def test_the_finder_finds_inline_texts() -> None:
    """The check below can fail: both kinds of inline text are found."""
    source = (
        'ctx.slack("k", To.INCIDENT, f":wave: {who} is here.")\n'
        'body = f"{wording.marker(key)}\\nHello"\n'
        'EMOJI = [":palm_tree:"]\n'
    )
    found = inline_texts(source)
    assert sorted(line for line, _ in found) == [1, 2]
    # A command's module may hold its texts as module constants, and only there.
    module = 'HELLO = ":wave: {who} is here."\n' + source
    assert sorted(line for line, _ in inline_texts(module)) == [1, 2, 3]
    assert sorted(line for line, _ in inline_texts(module, constants_allowed=True)) == [2, 3]


@pytest.mark.parametrize("path", product_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_message_text_outside_wording(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert inline_texts(source, constants_allowed=path.parent == COMMANDS) == []


def test_every_text_in_wording_is_used() -> None:
    names = [n for n in vars(wording) if n.isupper() and isinstance(getattr(wording, n), str)]
    assert len(names) > 40  # the module's texts were found at all
    used = "\n".join(p.read_text(encoding="utf-8") for p in product_modules())
    unused = [n for n in names if n != "MARKER" and not re.search(rf"\b{n}\b", used)]
    assert unused == []


@pytest.mark.parametrize("path", command_modules(), ids=lambda p: p.name)
def test_every_text_of_a_command_is_used_in_its_module(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    assert sorted(set(text_constants(tree)) - read) == []
