"""Regenerate the lock files the workflows install from: `python tools/lock.py`.

- `requirements.lock`: incident-tool's runtime dependencies (pyproject.toml's
  `[project].dependencies`, resolved for every Python and platform it supports), each
  pinned to one version with the sha256 of every wheel PyPI has for it.
- `requirements-uv.lock`: the installer, uv, pinned the same way.
- `requirements-build.lock`: what the release workflow builds the wheel with.

The workflows install both with `--require-hashes --only-binary :all:`: a package that
is not in the lock, or whose file does not match a hash here, fails the install. The
first line of `requirements.lock` records a digest of the dependency list it was made
from, so a test notices when pyproject.toml changed and the lock did not.

Needs uv (`python -m pip install uv`) and PyPI.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
UV_LOCK = ROOT / "requirements-uv.lock"
BUILD_LOCK = ROOT / "requirements-build.lock"
UV_VERSION = "0.13.9"
BUILD_TOOLS = "build==1.6.1\nsetuptools==84.2.1\n"
DIGEST_PREFIX = "# pyproject-dependencies-sha256: "


def dependencies_digest(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """Return the sha256 of pyproject.toml's runtime dependency list, one per line.

    Read with a pattern, not a TOML parser, so that it works on Python 3.10 (no tomllib)
    too; the list is the `dependencies = [...]` block of `[project]`.
    """
    text = pyproject.read_text(encoding="utf-8")
    block = re.search(r"^\[project\]$.*?^dependencies = \[(.*?)^\]", text, re.M | re.S)
    if block is None:
        raise ValueError(f"{pyproject}: no `dependencies = [...]` in [project]")
    deps = re.findall(r'"([^"]+)"', block[1])
    return hashlib.sha256("\n".join(deps).encode("utf-8")).hexdigest()


def compile_lock(source: Path, out: Path, command: str) -> None:
    """Resolve `source` with uv into `out`, hashes of every wheel, no sdists."""
    subprocess.run(
        [
            sys.executable, "-m", "uv", "pip", "compile", str(source),
            "--universal", "--python-version", "3.10",
            "--generate-hashes", "--only-binary", ":all:",
            "--custom-compile-command", command,
            "--output-file", str(out), "--quiet",
        ],
        check=True,
        cwd=ROOT,
    )  # fmt: skip


def main() -> None:
    compile_lock(ROOT / "pyproject.toml", LOCK, "python tools/lock.py")
    LOCK.write_text(
        f"{DIGEST_PREFIX}{dependencies_digest()}\n" + LOCK.read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    for lock, wanted in ((UV_LOCK, f"uv=={UV_VERSION}\n"), (BUILD_LOCK, BUILD_TOOLS)):
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / (lock.stem + ".in")
            source.write_text(wanted, encoding="utf-8")
            compile_lock(source, lock, "python tools/lock.py")
            text = lock.read_text(encoding="utf-8").replace(str(source), source.name)
        lock.write_text(text, encoding="utf-8")
    print(f"wrote {LOCK.name}, {UV_LOCK.name} and {BUILD_LOCK.name}")


if __name__ == "__main__":
    main()
