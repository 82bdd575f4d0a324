"""The layout keeps the data flow: the decisions and the parsers load no effect.

`incident_tool.core` (pure decisions) and `incident_tool.inbound` (text into values) must be
importable, whole, without PyGithub, slack-sdk, Jinja or anything of `incident_tool.effects`:
that is what lets a reader (and a test) take `core/` alone. Each check runs in a fresh
interpreter, so modules an earlier test imported cannot hide a leak.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FORBIDDEN = ("github", "slack_sdk", "jinja2", "incident_sandbox")
FORBIDDEN_OURS = ("incident_tool.effects", "incident_tool.verbs", "incident_tool.app")

PROBE = """
import importlib, json, pkgutil, sys
name = sys.argv[1]
package = importlib.import_module(name)
for found in pkgutil.iter_modules(package.__path__):
    importlib.import_module(name + "." + found.name)
print(json.dumps(sorted(sys.modules)))
"""


def loaded_by(package: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, package],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return json.loads(out)


@pytest.mark.parametrize("package", ["incident_tool.core", "incident_tool.inbound"])
def test_pure_packages_load_no_effect(package: str) -> None:
    loaded = loaded_by(package)
    leaks = [
        m
        for m in loaded
        if m.split(".")[0] in FORBIDDEN
        or any(m == p or m.startswith(p + ".") for p in FORBIDDEN_OURS)
    ]
    assert leaks == []
    # The probe really imported the package's modules (a probe that loads nothing passes).
    assert any(m.startswith(package + ".") for m in loaded)


def test_the_product_imports_the_sandbox_only_for_the_demo() -> None:
    """`incident_sandbox` ships beside the product; only `incident-tool demo` reaches it."""
    offenders = []
    for path in sorted((ROOT / "incident_tool").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "incident_sandbox" in line and line.lstrip().startswith(("import ", "from ")):
                offenders.append((str(path.relative_to(ROOT)), number, line))
    assert [o for o in offenders if o[0] != "incident_tool/cli.py"] == []
    # cli.py's imports are inside the `demo` verb (indented: lazy), never at module level.
    assert [o for o in offenders if not o[2].startswith(" ")] == []
    probe = "import incident_tool.cli, incident_tool.app, sys; print(sorted(sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout
    assert "incident_tool.cli" in loaded
    assert "incident_sandbox" not in loaded


# PyGithub methods that make a request; outside the Gateway nobody calls them.
PYGITHUB_CALLS = {
    "get_repo",
    "get_issue",
    "get_issues",
    "get_comments",
    "get_comment",
    "get_labels",
    "get_contents",
    "get_workflow",
    "create_issue",
    "create_comment",
    "create_label",
    "create_reaction",
    "requestJsonAndCheck",
    "complete",
    "edit",
}


def pygithub_uses(source: str) -> list[tuple[int, str]]:
    """Where `source` imports PyGithub or calls one of its request-making methods."""
    import ast

    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "github"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "github":
            found.append((node.lineno, f"from {node.module}"))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in PYGITHUB_CALLS
            and not _is_gateway(node.func.value)
        ):
            found.append((node.lineno, f".{node.func.attr}()"))
    return found


def _is_gateway(receiver: object) -> bool:
    """`gateway.create_issue(…)`, `tools.gateway.edit_issue(…)`: the Gateway's own methods."""
    import ast

    if isinstance(receiver, ast.Name):
        return receiver.id == "gateway"
    return isinstance(receiver, ast.Attribute) and receiver.attr == "gateway"


def test_the_pygithub_finder_finds_imports_and_calls() -> None:
    source = (
        "from github import Github\nimport github.Issue\nissue.edit(body='x')\n"
        "gateway.create_issue('t', 'b', [], [], landed=list)\n"
    )
    assert [line for line, _ in pygithub_uses(source)] == [1, 2, 3]


def test_only_the_gateway_uses_pygithub() -> None:
    """`effects/github*.py` are PyGithub's only users: everyone else goes through `Gateway`,
    and takes none of PyGithub's classes from it (its methods hand out plain data:
    tests/effects/test_github_port.py checks what they return)."""
    gateway = ROOT / "incident_tool" / "effects" / "github.py"
    ports = sorted(gateway.parent.glob("github*.py"))
    offenders = {
        str(path.relative_to(ROOT)): uses
        for path in sorted((ROOT / "incident_tool").rglob("*.py"))
        if path not in ports
        and (uses := pygithub_uses(path.read_text(encoding="utf-8")) + pygithub_names(path))
    }
    assert offenders == {}
    assert pygithub_uses(gateway.read_text(encoding="utf-8"))  # and it does use it


def pygithub_names(path: Path) -> list[tuple[int, str]]:
    """Where the module at `path` imports one of PyGithub's classes through the gateway
    (`from incident_tool.effects.github import Issue`)."""
    import ast
    import importlib

    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        module = node.module if isinstance(node, ast.ImportFrom) else None
        if module and module.startswith("incident_tool.effects.github"):
            port = importlib.import_module(module)
            for alias in node.names:
                owner = getattr(getattr(port, alias.name, None), "__module__", None) or ""
                if owner.split(".")[0] == "github":
                    found.append((node.lineno, f"{module}.{alias.name}"))
    return found


def test_the_pygithub_name_finder_finds_a_class_taken_from_the_gateway(tmp_path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "from incident_tool.effects.github import Gateway, Issue, IssueView\n", "utf-8"
    )
    assert pygithub_names(source) == [(1, "incident_tool.effects.github.Issue")]


def test_cli_holds_click_verbs_only() -> None:
    """Every function of cli.py is a click command, but the entry point and its runner."""
    import ast

    tree = ast.parse((ROOT / "incident_tool" / "cli.py").read_text(encoding="utf-8"))
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    plain = [
        f.name
        for f in functions
        if not any(
            isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) for d in f.decorator_list
        )
    ]
    assert len(functions) > 8
    assert plain == ["main", "_run"]
    # A verb's body is its import and one call (the work is in verbs/), `init` and `demo`
    # aside: they turn two exceptions into exit statuses.
    long = [f.name for f in functions if f.name not in plain and len(f.body) > 6]
    assert long == []


def readme_module_map() -> dict[str, set[str]]:
    """The module map (docs/architecture.md#how-it-works): folder -> the modules it names."""
    import re

    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = text[text.index("\nincident_tool/\n") + 1 :]
    block = block[: block.index("```")]
    named: dict[str, set[str]] = {}
    folder = "incident_tool"
    for line in block.splitlines():
        depth = len(line) - len(line.lstrip())
        head = line.strip().split("  ")[0]
        if depth == 0:
            folder = head.rstrip("/")
            named.setdefault(folder, set())
            continue
        if depth == 2 and head.endswith("/"):
            folder = "incident_tool/" + head.rstrip("/")
            named.setdefault(folder, set())
            continue
        if depth == 2:
            folder = "incident_tool"
        if depth in (2, 4):
            named.setdefault(folder, set()).update(re.findall(r"\b(\w+\.py)\b", head))
    return named


def test_the_readme_module_map_is_the_folder_tree() -> None:
    named = readme_module_map()
    folders = [
        "incident_tool",
        *(f"incident_tool/{d}" for d in ("inbound", "core", "effects", "verbs")),
    ]
    for folder in folders:
        present = {
            p.name
            for p in (ROOT / folder).glob("*.py")
            if p.name not in ("__init__.py", "__main__.py")
        }
        assert named.get(folder) == present, folder
    assert {"incident_tool/templates", "incident_sandbox", "docs"} <= set(named)
