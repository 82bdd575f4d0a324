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
