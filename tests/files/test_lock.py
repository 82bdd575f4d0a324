"""The lock files the workflows install from cover what incident-tool needs, by hash.

A dependency missing from requirements.lock would make `--require-hashes` fail every
adopter's run; one that is there unpinned, or without a hash, would let whoever
controls the index decide what runs with `issues: write` and the Slack token.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tools.lock import BUILD_LOCK, DIGEST_PREFIX, LOCK, UV_LOCK, dependencies_digest

ROOT = Path(__file__).resolve().parents[2]
ENTRY = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>[^\s;\\]+)(?: ; (?P<marker>[^\\]+))?")


def entries(path: Path) -> list[tuple[Requirement, list[str]]]:
    """Return each requirement of a hashed lock file with its hashes."""
    found: list[tuple[Requirement, list[str]]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        stripped = line.strip()
        if stripped.startswith("--hash="):
            found[-1][1].append(stripped.removeprefix("--hash=").rstrip(" \\"))
        elif not line.startswith(" "):
            match = ENTRY.match(line)
            assert match, f"{path.name}: not `name==version`: {line!r}"
            found.append((Requirement(line.rstrip(" \\")), []))
    return found


@pytest.mark.parametrize("path", [LOCK, UV_LOCK, BUILD_LOCK], ids=lambda p: p.name)
def test_every_entry_is_pinned_by_hash(path: Path) -> None:
    listed = entries(path)
    assert listed, f"{path.name} is empty"
    for req, hashes in listed:
        (spec,) = req.specifier
        assert spec.operator == "==", req
        assert hashes, f"{path.name}: {req.name} has no hash"
        assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes), req.name


def test_lock_is_current_with_pyproject() -> None:
    """The lock records the dependency list it was made from; `python tools/lock.py` again."""
    first = LOCK.read_text(encoding="utf-8").splitlines()[0]
    assert first == DIGEST_PREFIX + dependencies_digest(), (
        "pyproject.toml's dependencies changed since requirements.lock was made: "
        "run python tools/lock.py"
    )


def locked_for_here(path: Path = LOCK) -> dict[str, str]:
    """Return name -> version of the lock entries whose marker holds on this Python."""
    env = default_environment()
    return {
        canonicalize_name(req.name): str(next(iter(req.specifier)).version)
        for req, _ in entries(path)
        if req.marker is None or req.marker.evaluate(env)
    }


def test_lock_satisfies_pyproject_and_covers_every_runtime_dependency() -> None:
    """Every package incident-tool imports at run time, transitively, is in the lock.

    The closure is read from the metadata of the installed packages (this test
    environment), with markers evaluated for this Python: what pip would need here.
    """
    locked = locked_for_here()
    wanted = [Requirement(r) for r in metadata.requires("incident-tool") or []]
    env = default_environment()
    seen: set[str] = set()
    todo = [r for r in wanted if r.marker is None or r.marker.evaluate({**env, "extra": ""})]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        assert name in locked, f"{req.name} (needed via {req}) is not in requirements.lock"
        assert req.specifier.contains(locked[name], prereleases=True), (
            f"requirements.lock pins {name}=={locked[name]}, outside {req}"
        )
        if name in seen:
            continue
        seen.add(name)
        for extra in req.extras or {""}:
            for sub in metadata.requires(req.name) or []:
                subreq = Requirement(sub)
                if subreq.marker is None or subreq.marker.evaluate({**env, "extra": extra}):
                    todo.append(subreq)
    assert seen == set(locked), f"locked but not needed: {set(locked) - seen}"


def test_install_fails_closed_on_a_file_that_does_not_match(tmp_path: Path) -> None:
    """pip in the workflow's mode refuses a package whose file is not the one locked.

    A stand-in for a squatted or tampered package: a wheel named as the lock says but
    with other content. Offline: the wheel is served from a local folder.
    """
    wheel = tmp_path / "wheels" / "click-8.5.1-py3-none-any.whl"
    wheel.parent.mkdir()
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("click/__init__.py", "raise SystemExit('pwned')\n")
    (req,) = [r for r, _ in entries(LOCK) if r.name == "click"]
    lock = tmp_path / "lock.txt"
    hashes = next(h for r, h in entries(LOCK) if r.name == "click")
    lock.write_text(f"{req} " + " ".join(f"--hash={h}" for h in hashes) + "\n")
    proc = subprocess.run(
        [
            sys.executable, "-m", "pip", "install", "--dry-run", "--no-index",
            "--find-links", str(wheel.parent), "--target", str(tmp_path / "t"),
            "--no-deps", "--require-hashes", "--only-binary", ":all:", "-r", str(lock),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert proc.returncode != 0
    assert "DO NOT MATCH THE HASHES" in proc.stderr, proc.stderr
