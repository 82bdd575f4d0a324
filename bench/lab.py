"""The benchmark's lab: the sandbox, request accounting, the report, spawning `handle`.

Shared by every question module (`q*.py`); `run.py` is the entry point.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
CHECKOUT = BENCH.parent


def _source_root() -> Path:
    """`--source DIR`: measure the package in DIR (e.g. a `git archive` snapshot of a commit,
    when the checkout is being edited); default: the checkout this file is in."""
    for i, arg in enumerate(sys.argv):
        if arg == "--source" and i + 1 < len(sys.argv):
            return Path(sys.argv[i + 1]).resolve()
        if arg.startswith("--source="):
            return Path(arg.split("=", 1)[1]).resolve()
    return CHECKOUT


ROOT = _source_root()
sys.path.insert(0, str(ROOT))  # run from a checkout, installed or not

import yaml  # noqa: E402

from incident_sandbox import Sandbox, demo, seed_demo  # noqa: E402
from incident_sandbox.demo import chdir, environment  # noqa: E402
from incident_tool import cli  # noqa: E402

REPO = "wellcome/platform"
PINNED = next(
    (
        p
        for p in (
            root / "tests" / "data" / "webhooks" / "issues.pinned.1.json"
            for root in (ROOT, CHECKOUT)
        )
        if p.exists()
    ),
    CHECKOUT / "tests" / "data" / "webhooks" / "issues.pinned.1.json",
)

# The demo's report, with the form's severity guess at 3 so that `/severity 2` changes a label.
REPORT_BODY = demo.REPORT_BODY.replace(
    "2 - Major: a core service is degraded or down for some",
    "3 - Minor: a secondary feature is broken",
)
TITLE = "[Incident]: Search returns no results"

SLACK_READS = frozenset(
    {
        "auth.test",
        "conversations.list",
        "conversations.history",
        "conversations.info",
        "conversations.members",
        "conversations.replies",
        "users.lookupByEmail",
        "users.getPresence",
        "users.info",
        "users.profile.get",
        "chat.getPermalink",
        "dnd.info",
        "pins.list",
        "reactions.get",
    }
)


# --------------------------------------------------------------------------- reporting


class Report:
    """Print each piece as it is produced; keep it all for bench/results.md."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, text: str = "") -> None:
        print(text, flush=True)
        self.parts.append(text)

    def section(self, title: str) -> None:
        self.add("")
        self.add(f"## {title}")
        self.add("")

    def table(self, headers: list[str], rows: list[list[Any]]) -> None:
        self.add("| " + " | ".join(headers) + " |")
        self.add("|" + "|".join("---" for _ in headers) + "|")
        for row in rows:
            self.add("| " + " | ".join(str(c) for c in row) + " |")
        self.add("")

    def text(self) -> str:
        return "\n".join(self.parts) + "\n"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def secs(seconds: float) -> str:
    return f"{seconds:.2f} s"


def verdict(ok: bool) -> str:
    return "✅" if ok else "❌ MISS"


def machine_facts() -> list[str]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count()
    timer = (
        "hyperfine"
        if shutil.which("hyperfine")
        else "time.perf_counter around subprocess runs (hyperfine not installed)"
    )
    versions = []
    for dist in ("PyGithub", "slack_sdk", "click", "Jinja2", "PyYAML", "requests"):
        try:
            from importlib.metadata import version

            versions.append(f"{dist} {version(dist)}")
        except Exception:
            versions.append(f"{dist} ?")
    return [
        f"- Date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- CPU: {model}; {os.cpu_count()} logical cores ({usable} usable); memory {mem}",
        f"- OS: {platform.platform()}",
        f"- Python: {platform.python_version()} ({platform.python_implementation()}, "
        f"{sys.executable})",
        f"- Packages: {', '.join(versions)}",
        f"- Timing tool: {timer}; "
        f"peak RSS of each child from "
        f"{'GNU time (%M)' if os.access('/usr/bin/time', os.X_OK) else 'os.wait4() rusage'}",
    ]


# ---------------------------------------------------------------- request accounting


def slack_method(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def is_read(r: Any) -> bool:
    if r.service == "github":
        if r.method in ("GET", "HEAD"):
            return True
        if r.path.endswith("/graphql"):
            query = (r.body or {}).get("query", "") if isinstance(r.body, dict) else ""
            return not query.lstrip().startswith("mutation")
        return False
    return slack_method(r.path) in SLACK_READS


@dataclass
class Counts:
    gh_reads: int = 0
    gh_writes: int = 0
    sl_reads: int = 0
    sl_writes: int = 0

    @property
    def gh(self) -> int:
        return self.gh_reads + self.gh_writes

    @property
    def slack(self) -> int:
        return self.sl_reads + self.sl_writes


def count(reqs: list[Any]) -> Counts:
    c = Counts()
    for r in reqs:
        read = is_read(r)
        if r.service == "github":
            if read:
                c.gh_reads += 1
            else:
                c.gh_writes += 1
        elif read:
            c.sl_reads += 1
        else:
            c.sl_writes += 1
    return c


def request_key(r: Any) -> str:
    if r.service == "github":
        query = "&".join(f"{k}={v}" for k, v in sorted(r.query.items()))
        return f"{r.method} {r.path}" + (f"?{query}" if query else "")
    args = r.body if isinstance(r.body, dict) else {}
    shown = {k: v for k, v in sorted(args.items()) if k not in ("text", "blocks")}
    return f"slack {slack_method(r.path)} {json.dumps(shown, default=str)}"


def request_identity(r: Any) -> str:
    """What makes two requests the same request: reads by method+path+query, writes by body too."""
    body = (
        ""
        if is_read(r) and r.service == "github"
        else json.dumps(r.body, sort_keys=True, default=str)
    )
    return request_key(r) + "\x00" + body


def repeated(reqs: list[Any]) -> list[str]:
    """Requests made more than once in one run: same method+path+query (Slack: same
    arguments); a write counts as repeated only when its body is the same as well."""
    keys = Counter(request_identity(r) for r in reqs)
    return [f"`{k.split(chr(0))[0]}` ×{n}" for k, n in keys.items() if n > 1]


# ------------------------------------------------------------------- config opens


class OpenCounter:
    """Counts opens of watched paths through the "open" audit event (in-process runs)."""

    def __init__(self) -> None:
        self.watch: set[str] = set()
        self.count = 0
        self._busy = False

    def __call__(self, event: str, args: tuple[Any, ...]) -> None:
        if event != "open" or not self.watch or self._busy:
            return
        self._busy = True
        try:
            path = args[0]
            if isinstance(path, (str, bytes, os.PathLike)):
                if os.path.abspath(os.fsdecode(path)) in self.watch:
                    self.count += 1
        finally:
            self._busy = False


OPENS = OpenCounter()
sys.addaudithook(OPENS)


# ---------------------------------------------------------------------------- the lab


@contextlib.contextmanager
def patched(obj: Any, name: str, value: Any) -> Iterator[None]:
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


# Actions variables that must not leak in from the caller's environment.
ACTIONS_VARS = ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT", "GITHUB_ACTIONS", "GITHUB_ENV", "GH_TOKEN")


@dataclass
class RunResult:
    event: str
    rc: int
    wall: float
    reqs: list[Any]
    opens: int = 0
    output: str = ""
    maxrss_kb: int = 0
    counts: Counts = field(default_factory=Counts)


class Clock:
    """The sandbox's clock: the wall clock shifted by `offset` (to make history old)."""

    def __init__(self) -> None:
        self.offset = dt.timedelta(0)

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc) + self.offset


class Lab:
    """A sandbox seeded with the demo team, and a checkout with `.github/incident.yml`."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.sb = Sandbox(clock=self.clock)
        self.team = seed_demo(self.sb)
        self.gh = self.sb.github
        self.sl = self.sb.slack
        self._tmp = tempfile.TemporaryDirectory(prefix="incident-bench-")
        self.root = Path(self._tmp.name)
        (self.root / ".github").mkdir()
        self.config_path = self.root / ".github" / "incident.yml"
        self.config_path.write_text(yaml.safe_dump(self.team["config"]), "utf-8")
        self.env = dict(self.team["env"])
        self.slack_ids: dict[str, str] = self.team["slack_ids"]

    def close(self) -> None:
        self.sb.close()
        self._tmp.cleanup()

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- running handle ------------------------------------------------------------

    def _write_event(self, payload: dict[str, Any]) -> Path:
        path = self.root / "event.json"
        path.write_text(json.dumps(payload), "utf-8")
        return path

    def run_inprocess(
        self, name: str, payload: dict[str, Any], argv: list[str] | None = None
    ) -> RunResult:
        """Run `incident-tool handle` (or `argv`) in this process, as Actions would."""
        path = self._write_event(payload)
        env = {**self.env, "GITHUB_EVENT_NAME": name, "GITHUB_EVENT_PATH": str(path)}
        args = argv or ["handle"]
        out = io.StringIO()
        self.sb.reset_log()
        OPENS.watch = {str(self.config_path)}
        OPENS.count = 0
        rc = 0
        with (
            environment(env, drop=ACTIONS_VARS),
            chdir(self.root),
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(out),
        ):
            started = time.perf_counter()
            try:
                cli.main(args)
            except SystemExit as exc:
                rc = int(exc.code or 0)
            wall = time.perf_counter() - started
        opens = OPENS.count
        OPENS.watch = set()
        reqs = self.sb.requests
        kind = f"{name}.{payload.get('action')}" if payload.get("action") else name
        return RunResult(kind, rc, wall, reqs, opens, out.getvalue(), counts=count(reqs))

    def subprocess_env(self, name: str, path: Path) -> dict[str, str]:
        env = child_env()
        env.update(self.env)
        env.update(
            {
                "GITHUB_EVENT_NAME": name,
                "GITHUB_EVENT_PATH": str(path),
                "PYTHONPATH": os.pathsep.join(
                    [str(ROOT)]
                    + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])
                ),
            }
        )
        return env

    def run_subprocess(self, name: str, payload: dict[str, Any]) -> RunResult:
        """`python -m incident_tool handle` in a child process; the sandbox serves from here."""
        path = self._write_event(payload)
        self.sb.reset_log()
        rc, wall, rss, text = spawn(
            [sys.executable, "-m", "incident_tool", "handle"],
            self.subprocess_env(name, path),
            self.root,
        )
        reqs = self.sb.requests
        kind = f"{name}.{payload.get('action')}"
        return RunResult(kind, rc, wall, reqs, 0, text, rss, count(reqs))

    def deliver(self) -> list[RunResult]:
        """Run handle in-process for every webhook the sandbox queued that starts
        incident.yml's job (its `on:`), in order."""
        return [self.run_inprocess(name, payload) for name, payload in self.started()]

    def started(self) -> list[tuple[str, dict[str, Any]]]:
        """The queued webhooks GitHub starts incident.yml's job for (not `issues.opened`)."""
        return [e for e in self.gh.take_events() if demo.starts_incident_yml(*e)]

    def one_event(self) -> tuple[str, dict[str, Any]]:
        events = self.started()
        assert len(events) == 1, [f"{n}.{p.get('action')}" for n, p in events]
        return events[0]

    # -- building incidents -------------------------------------------------------

    def report(self, title: str = TITLE) -> int:
        """Someone files the form; the form label's run happens (untimed)."""
        number = self.gh.open_issue(REPO, "rita", title, REPORT_BODY, labels=["incident:reported"])[
            "number"
        ]
        check(self.deliver(), "report")
        return number

    def declare(self, number: int) -> None:
        self.gh.add_label(REPO, number, "dana", "incident:declared")
        check(self.deliver(), "declare")

    def channel_of(self, number: int) -> str:
        for channel in self.sl.channels():
            if channel["name"].startswith(f"incident-{number}-"):
                return channel["id"]
        raise RuntimeError(f"no incident channel for #{number}")


def check(results: list[RunResult], what: str) -> None:
    for r in results:
        if r.rc != 0:
            raise RuntimeError(f"{what}: {r.event} exited {r.rc}:\n{r.output[-2000:]}")


PYCACHE = tempfile.TemporaryDirectory(prefix="incident-bench-pycache-")


def child_env(bytecode_cache: bool = True) -> dict[str, str]:
    """The environment of a child: no Actions variables; byte code cached outside the checkout
    (as `pip install` would have compiled it), unless `bytecode_cache` is false."""
    env = {k: v for k, v in os.environ.items() if k not in ACTIONS_VARS}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = PYCACHE.name
    if not bytecode_cache:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX")
    return env


def describe_source(label: str) -> str:
    import incident_tool

    where = Path(incident_tool.__file__).resolve().parent.parent
    text = f"`{where}`" + (f" ({label})" if label else "")
    if where == CHECKOUT:
        try:
            head = subprocess.run(
                ["git", "-C", str(CHECKOUT), "rev-parse", "--short", "HEAD"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            dirty = subprocess.run(
                ["git", "-C", str(CHECKOUT), "status", "--porcelain", "--", "incident_tool"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            text += f", git {head}" + (
                f" with {len(dirty.splitlines())} changed/new files under incident_tool/"
                if dirty
                else ""
            )
        except (OSError, subprocess.CalledProcessError):
            pass
    return text


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def spawn(
    argv: list[str], env: dict[str, str] | None, cwd: Path | None
) -> tuple[int, float, int, str]:
    """Run a child; return (exit status, wall seconds, peak RSS in KiB, output).

    Peak RSS comes from GNU time's %M when /usr/bin/time exists: the rusage of a child forked
    from this (large) process would also count the parent's pages it held before exec.
    """
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        command = [TIME, "-f", "%M", "-o", rss.name, *argv] if TIME else argv
        started = time.perf_counter()
        proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
        peak = usage.ru_maxrss
        if TIME:
            with contextlib.suppress(ValueError, IndexError):
                peak = int(Path(rss.name).read_text().split()[-1])
            if text.startswith("Command exited with non-zero status"):
                text = text.split("\n", 1)[-1]
    return proc.returncode, wall, peak, text


def outcome(results: list[RunResult]) -> str:
    """'0', or the failures: exit status and the error line."""
    bad = [r for r in results if r.rc != 0]
    if not bad:
        return "0"
    error = next(
        (ln for ln in bad[0].output.splitlines() if ln.startswith("error")), bad[0].output[-160:]
    )
    return f"❌ {len(bad)}/{len(results)} exit {bad[0].rc}: {error.strip()[:160]}"


def stats(values: list[float]) -> tuple[float, float, float]:
    """median, min, max."""
    return statistics.median(values), min(values), max(values)
