#!/usr/bin/env python3
"""Issue #7's performance proof: a benchmark run by hand (not a timed test).

    python bench/run.py            # the full run (a few minutes), writes bench/results.md
    python bench/run.py --quick    # small sizes, a smoke run (~30 s)
    python bench/run.py --only 1,3 # some sections only

Everything runs against the built-in sandbox (`incident_sandbox`), a GitHub + Slack
double served over HTTP on loopback, so the tool's real HTTP stack (PyGithub, slack-sdk) is
what is measured. `handle` is driven exactly as GitHub Actions drives it: a webhook payload
written to an event file, GITHUB_EVENT_NAME / GITHUB_EVENT_PATH / GITHUB_REPOSITORY and
tokens in the environment, GITHUB_API_URL / SLACK_API_URL pointing at the sandbox, the
config at `.github/incident.yml` under the working directory.

Sections (see bench/README.md for what each figure means):
  1. HTTP requests per event (GitHub/Slack, reads/writes) vs a hand-reasoned minimum
  2. PyGithub's throttle: listing 2,000 comments four ways; a handle run throttled or not
  3. `handle` on an ignored event: no request, no heavy import, start-up time vs `import click`
  4. `handle` for a declare in a subprocess: wall time and peak RSS
  5. Retrospective of a big incident (N comments, 500 events, 1,000 Slack messages)
  6. `sweep` over 200 open and 5,000 closed incidents
  7. `status-page`: requests with 1,000 old incidents, 20 recent ones, 20 dismissed reports
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
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
        """Run handle in-process for every webhook the sandbox queued, in order."""
        return [self.run_inprocess(name, payload) for name, payload in self.gh.take_events()]

    def one_event(self) -> tuple[str, dict[str, Any]]:
        events = self.gh.take_events()
        assert len(events) == 1, [f"{n}.{p.get('action')}" for n, p in events]
        return events[0]

    # -- building incidents -------------------------------------------------------

    def report(self, title: str = TITLE) -> int:
        """Someone files the form; the opened and labeled runs happen (untimed)."""
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


# ------------------------------------------------------------ section 1: requests/event

# The fewest requests a careful hand-written sequence needs for each step of the scenario
# below (demo team: dana delivery manager; responders sam (away on Slack), priya (Slack by
# email), lee; rita reports; announce channel configured by name). Every handled event needs
# GET issue (fresh labels/state: events can be dropped or queued) and one page of comments
# (the record and any command it has not seen), and one PATCH of the status comment to
# persist what it saw. A channel configured by name is resolved (conversations.list) once and
# its id kept in the record. Numbers are (GitHub, Slack).
MINIMUM: dict[str, tuple[int, int, str]] = {
    "report": (
        5,
        1,
        "GET issue, GET comments; POST label severity:3 (form guess), POST comment mentioning the "
        "delivery managers, POST status comment (4 if the status comment carried the mention) · "
        "Slack: DM dana",
    ),
    "report+labeled": (
        2,
        0,
        "the form's own `issues.labeled incident:reported`, same moment: GET issue, GET comments, "
        "nothing to write",
    ),
    "declare": (
        8,
        14,
        "GET issue, GET comments, 1 GraphQL busy query, GET assignees/priya, PATCH assignees, "
        "POST ask to acknowledge, DELETE incident:reported, PATCH status · Slack: "
        "users.profile.get sam, getPresence sam (away: stop), lookupByEmail priya (brings her "
        "status), getPresence priya, dnd.info priya (available: stop), conversations.create, "
        "lookupByEmail rita, 1 conversations.invite, post report, post ask, DM ask, "
        "conversations.list (announce channel is a name), post announcement, setTopic "
        "(setPurpose optional: +1)",
    ),
    "/join": (
        4,
        2,
        "2 reads, 👍, PATCH status (lee is a responder: no permission read) · Slack: invite, post",
    ),
    "/handover @lee": (
        7,
        7,
        "2 reads, GET assignees/lee, PATCH assignees, POST ask to acknowledge, 👍, PATCH status · "
        "Slack: lookupByEmail priya (mentioned), post channel, post announce (its id kept in the "
        "record since the declare), invite lee, post ask, DM ask, setTopic",
    ),
    "/update": (4, 1, "2 reads, 👍, PATCH status · Slack: post"),
    "/mitigated": (
        6,
        2,
        "2 reads, 👍, POST incident:mitigated, DELETE incident:declared, PATCH status · Slack: "
        "post, setTopic",
    ),
    "/severity 2": (
        6,
        1,
        "2 reads, 👍, POST severity:2, DELETE severity:3, PATCH status · Slack: post (announced)",
    ),
    "/action": (4, 0, "2 reads, 👍, PATCH status · Slack: nothing required (SPEC §3)"),
    "/comms": (
        4,
        2,
        "2 reads, 👍, PATCH status · Slack: conversations.list (stakeholder channel is a name), "
        "post to it",
    ),
    "/resolved-when": (4, 1, "2 reads, 👍, PATCH status · Slack: setTopic (SPEC: topic)"),
    "/invite @sam": (
        6,
        2,
        "2 reads, GET permission sam, POST mention comment, 👍, PATCH status · Slack: invite, DM",
    ),
    "/status": (4, 1, "2 reads, 👍, PATCH status (last seen comment) · Slack: post"),
    "/help": (5, 0, "2 reads, POST reply, 👍, PATCH status"),
    "close → retrospective": (
        8,
        4,
        "2 reads, POST incident:resolved, DELETE incident:mitigated, GET retrospective search "
        "(idempotency), POST issue, POST link comment, PATCH status · Slack: 1 page of history, "
        "post resolved with the retrospective link (retrospective first), post announce (id "
        "kept), setTopic",
    ),
}

SCENARIO = [
    ("/join", "lee", "/join"),
    ("/handover @lee", "priya", "/handover @lee"),
    (
        "/update",
        "lee",
        "/update Rolled back the search index alias; results are back for most queries",
    ),
    ("/mitigated", "lee", "/mitigated"),
    ("/severity 2", "dana", "/severity 2"),
    ("/action", "lee", "/action Alert on empty search results within 5 minutes"),
    ("/comms", "dana", "/comms Search was down for about 30 minutes; it is recovering."),
    ("/resolved-when", "dana", "/resolved-when search returns results for 15 minutes"),
    ("/invite @sam", "dana", "/invite @sam you know the index aliases best"),
    ("/status", "rita", "/status"),
    ("/help", "rita", "/help"),
]


def section1(rep: Report, quick: bool) -> dict[str, Any]:
    rep.section("1. HTTP requests per event (sandbox, Slack on)")
    rows = []
    facts: dict[str, Any] = {}
    all_repeats: list[str] = []
    totals = Counts()
    with Lab() as lab:
        gh = lab.gh
        number = gh.open_issue(REPO, "rita", TITLE, REPORT_BODY, labels=["incident:reported"])[
            "number"
        ]
        runs: list[tuple[str, RunResult, bool]] = []
        events = gh.take_events()
        labels = ["report", "report+labeled"]
        for label, (name, payload) in zip(labels, events, strict=True):
            runs.append((label, lab.run_inprocess(name, payload), True))
        gh.add_label(REPO, number, "dana", "incident:declared")
        runs.append(("declare", lab.run_inprocess(*lab.one_event()), True))
        for label, who, body in SCENARIO:
            comment = gh.comment(REPO, number, who, body)
            result = lab.run_inprocess(*lab.one_event())
            handled = bool(gh.reactions(comment["id"]))
            runs.append((label, result, handled))
        gh.close_issue(REPO, number, "dana", reason="completed")
        runs.append(("close → retrospective", lab.run_inprocess(*lab.one_event()), True))
        retros = [i for i in gh.issues(REPO) if i["title"].startswith("Retrospective:")]
        final = gh.issue(REPO, number)
        facts["ended"] = (
            f"#{number} ended {final['state']} with "
            f"{', '.join(sorted(x['name'] for x in final['labels']))}; {len(retros)} retrospective"
        )
        for label, r, handled in runs:
            c = r.counts
            totals.gh_reads += c.gh_reads
            totals.gh_writes += c.gh_writes
            totals.sl_reads += c.sl_reads
            totals.sl_writes += c.sl_writes
            min_gh, min_sl, _ = MINIMUM[label]
            reps = repeated(r.reqs)
            all_repeats += [f"{label}: {x}" for x in reps]
            note = "" if handled else " (refused: see below)"
            if r.rc != 0:
                note += f" exit {r.rc}"
            rows.append(
                [
                    f"{label}{note}",
                    f"{c.gh_reads} / {c.gh_writes}",
                    f"**{c.gh}** ({min_gh})",
                    f"{c.sl_reads} / {c.sl_writes}",
                    f"**{c.slack}** ({min_sl})",
                    len(reps),
                    r.opens,
                    ms(r.wall),
                ]
            )
            facts[label] = r
        facts["runs"] = runs
    rep.add(
        "One incident, start to finish, the demo team (`seed_demo`), each event run in-process "
        "through `cli.main(['handle'])` with the Actions environment. Figures are measured; "
        "**(n)** is the minimum a careful hand-written sequence needs (reasoning below). "
        "`config opens` counts `open()` audit events on `.github/incident.yml` during the run. "
        "The first run's time includes importing PyGithub, slack-sdk and Jinja into this process."
    )
    rep.add("")
    rep.table(
        [
            "event",
            "GitHub reads / writes",
            "GitHub total (min)",
            "Slack reads / writes",
            "Slack total (min)",
            "repeated requests",
            "config opens",
            "in-process time",
        ],
        rows,
    )
    min_gh_total = sum(v[0] for v in MINIMUM.values())
    min_sl_total = sum(v[1] for v in MINIMUM.values())
    rep.add(
        f"Whole incident: GitHub {totals.gh} requests ({totals.gh_reads} reads, {totals.gh_writes} "
        f"writes; minimum {min_gh_total}), Slack {totals.slack} calls ({totals.sl_reads} reads, "
        f"{totals.sl_writes} writes; minimum {min_sl_total}). {facts['ended']}."
    )
    rep.add("")
    declare = facts["declare"].counts
    rep.add(
        f"Budget, declare: GitHub {declare.gh} ≤ 12 {verdict(declare.gh <= 12)}; "
        f"Slack {declare.slack} ≤ 12 {verdict(declare.slack <= 12)}."
    )
    opens = {r.opens for _, r, _ in facts["runs"]}
    facts["opens"] = opens
    facts["repeats"] = all_repeats
    facts["totals"] = totals
    rep.add(f"Config read per run: {sorted(opens)} time(s) {verdict(opens == {1})}.")
    rep.add(
        "Repeated requests within one run: "
        + ("none." if not all_repeats else "; ".join(all_repeats))
    )
    refused = [(label, r) for label, r, handled in facts["runs"] if not handled]
    for label, r in refused:
        notice = next(
            (ln.strip() for ln in r.output.splitlines() if "refused" in ln), r.output[-200:]
        )
        rep.add(f"Refused in this scenario: {label}: {notice}")
    rep.add("")
    rep.add("<details><summary>Minimum per event: the reasoning, and what the tool sent</summary>")
    rep.add("")
    for label, r, _ in facts["runs"]:
        min_gh, min_sl, why = MINIMUM[label]
        sent = ", ".join(
            (
                f"{x.method} {x.path.replace('/repos/' + REPO, '')}"
                if x.service == "github"
                else slack_method(x.path)
            )
            for x in r.reqs
        )
        rep.add(f"- **{label}** ({min_gh} + {min_sl}): {why}.  ")
        rep.add(f"  Sent: {sent}")
    rep.add("")
    rep.add("</details>")
    rep.add("")
    return facts


# ------------------------------------------------------------ section 2: the throttle


def section2(rep: Report, quick: bool) -> dict[str, Any]:
    import requests
    from github import Auth, Github

    import incident_tool.effects.github as ghmod

    n_comments = 300 if quick else 2000
    rep.section(f"2. PyGithub's throttle: listing {n_comments:,} comments of one issue")
    facts: dict[str, Any] = {}
    with Lab() as lab:
        gh, sb = lab.gh, lab.sb
        token, url = gh.bot_token, sb.github_url
        number = gh.open_issue(REPO, "rita", "Many comments", "body")["number"]
        gh.take_events()
        for i in range(n_comments):
            gh.comment(REPO, number, gh.bot_login, f"comment {i}: " + "x" * 80)

        def pygithub(make: Callable[[], Any]) -> int:
            client = make()
            issue = client.get_repo(REPO).get_issue(number)
            issue.complete()  # what Gateway.issue does; a no-op for a non-lazy client
            return len(list(issue.get_comments()))

        def raw() -> int:
            session = requests.Session()
            session.headers.update(
                {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"}
            )
            session.get(f"{url}/repos/{REPO}/issues/{number}").raise_for_status()
            next_url: str | None = f"{url}/repos/{REPO}/issues/{number}/comments?per_page=100"
            got = 0
            while next_url:
                resp = session.get(next_url)
                resp.raise_for_status()
                got += len(resp.json())
                next_url = resp.links.get("next", {}).get("url")
            return got

        variants = [
            (
                "PyGithub defaults (0.25 s between requests, 1 s between writes, per_page 30)",
                lambda: pygithub(lambda: Github(auth=Auth.Token(token), base_url=url)),
            ),
            (
                "PyGithub defaults + per_page=100",
                lambda: pygithub(
                    lambda: Github(auth=Auth.Token(token), base_url=url, per_page=100)
                ),
            ),
            (
                "`incident_tool.effects.github.client()` (no pause for reads, per_page 100)",
                lambda: pygithub(lambda: ghmod.client(token, url)),
            ),
            ("raw `requests`, following `Link: rel=next`, per_page 100", raw),
        ]
        rows = []
        for label, func in variants:
            sb.reset_log()
            started = time.perf_counter()
            got = func()
            wall = time.perf_counter() - started
            reqs = sb.requests
            assert got == n_comments, (label, got)
            rows.append([label, len(reqs), secs(wall)])
            facts[label] = wall
        rep.add(
            "Each figure: a new client, GET the issue, then list all its comments (what every "
            "`handle` run does). Issue #7 quotes 17 s / 5 s / 0.25 s on its machine for the "
            "first three."
        )
        rep.add("")
        rep.table(["client", "requests", "wall time"], rows)

        # A handle run throttled as PyGithub does by default, and as the tool configures it.
        def default_client(
            token: str | None, base_url: str | None = None, *, bulk: bool = False
        ) -> Any:
            return Github(
                auth=Auth.Token(token) if token else None,
                base_url=(base_url or ghmod.DEFAULT_API_URL).rstrip("/"),
            )

        def throttled_only(
            token: str | None, base_url: str | None = None, *, bulk: bool = False
        ) -> Any:
            client = ORIGINAL_CLIENT(token, base_url, bulk=bulk)
            requester = client.requester
            requester._Requester__seconds_between_requests = 0.25  # PyGithub's default
            requester._Requester__seconds_between_writes = 1.0
            return client

        ORIGINAL_CLIENT = ghmod.client
        clients = [
            ("PyGithub defaults (`Github(auth, base_url)`)", default_client),
            ("the tool's `client()` with PyGithub's default pauses put back", throttled_only),
            ("the tool's `client()`", ORIGINAL_CLIENT),
        ]
        rows = []
        for label, make in clients:
            with patched(ghmod, "client", make):
                n1 = lab.report()
                gh.add_label(REPO, n1, "dana", "incident:declared")
                declare = lab.run_inprocess(*lab.one_event())
                check([declare], "declare")
                gh.close_issue(REPO, n1, "dana", reason="completed")
                close = lab.run_inprocess(*lab.one_event())
                check([close], "close")
            rows.append(
                [
                    label,
                    f"{declare.counts.gh} ({declare.counts.gh_writes} writes)",
                    secs(declare.wall),
                    f"{close.counts.gh} ({close.counts.gh_writes} writes)",
                    secs(close.wall),
                ]
            )
            facts[f"handle:{label}"] = (declare.wall, close.wall)
        rep.add("A whole `handle` run (in-process, Slack on) with each client:")
        rep.add("")
        rep.table(
            [
                "GitHub client",
                "declare: GitHub requests",
                "declare wall",
                "close+retro: GitHub requests",
                "close+retro wall",
            ],
            rows,
        )
    return facts


# ------------------------------------------------------- section 3: an ignored event

PROBE = r"""
import json, sys
from incident_tool.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code or 0
heavy = ["github", "slack_sdk", "jinja2", "yaml", "requests", "urllib3"]
print("PROBE " + json.dumps({"exit": code, "loaded": [m for m in heavy if m in sys.modules],
                             "modules": len(sys.modules)}))
"""

CONSOLE_SCRIPT = (
    # What pip writes for `incident-tool = "incident_tool.cli:main"`.
    "import re, sys; from incident_tool.cli import main; "
    "sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0]); sys.exit(main())"
)


def section3(rep: Report, quick: bool) -> dict[str, Any]:
    runs = 5 if quick else 25
    rep.section("3. `handle` on an ignored event (`issues.pinned`)")
    facts: dict[str, Any] = {}
    with Lab() as lab:
        env = lab.subprocess_env("issues", PINNED)
        handle_args = ["handle", "--event-name", "issues", "--event-path", str(PINNED)]
        lab.sb.reset_log()
        rc, _, rss, out = spawn([sys.executable, "-c", PROBE, *handle_args], env, lab.root)
        probe = json.loads(out.split("PROBE ", 1)[1]) if "PROBE " in out else {}
        requests_made = len(lab.sb.requests)
        loaded = probe.get("loaded", ["?"])
        heavy_loaded = [m for m in loaded if m in ("github", "slack_sdk", "jinja2")]
        rep.add(
            f"- Requests to the sandbox (tokens and API URLs set): **{requests_made}** "
            f"{verdict(requests_made == 0)}"
        )
        rep.add(
            f"- Heavy modules imported: **{', '.join(loaded) or 'none'}** of github, slack_sdk, "
            f"jinja2 (also checked: yaml, requests, urllib3) "
            f"{verdict(not heavy_loaded)}; {probe.get('modules', '?')} modules in sys.modules; "
            f"exit {probe.get('exit')}; output: `{out.splitlines()[0] if out else ''}`"
        )
        facts["requests"] = requests_made
        facts["heavy"] = heavy_loaded

        cold_env = {**env, **child_env(bytecode_cache=False)}
        commands: list[tuple[str, list[str], dict[str, str]]] = [
            ("python -c pass (interpreter floor)", [sys.executable, "-c", "pass"], env),
            ('python -c "import click" (reference)', [sys.executable, "-c", "import click"], env),
            (
                "python -m incident_tool handle …",
                [sys.executable, "-m", "incident_tool", *handle_args],
                env,
            ),
            (
                "incident-tool handle … (console-script equivalent)",
                [sys.executable, "-c", CONSOLE_SCRIPT, *handle_args],
                env,
            ),
            (
                "python -m incident_tool handle …, no .pyc cache (PYTHONDONTWRITEBYTECODE=1)",
                [sys.executable, "-m", "incident_tool", *handle_args],
                cold_env,
            ),
        ]
        script = shutil.which("incident-tool")
        if script:
            commands.append(
                ("incident-tool handle … (installed console script)", [script, *handle_args], env)
            )
        walls: dict[str, list[float]] = {label: [] for label, _, _ in commands}
        rss: dict[str, list[int]] = {label: [] for label, _, _ in commands}
        for _, argv, cenv in commands:  # warm the page cache and the .pyc cache
            spawn(argv, cenv, lab.root)
        for _ in range(runs):  # interleaved, so drift hits every command alike
            for label, argv, cenv in commands:
                rc, wall, peak, text = spawn(argv, cenv, lab.root)
                if rc != 0:
                    raise RuntimeError(f"{label} exited {rc}: {text[-500:]}")
                walls[label].append(wall)
                rss[label].append(peak)
        reference = statistics.median(walls['python -c "import click" (reference)'])
        rows = []
        for label, _, _ in commands:
            med, lo, hi = stats(walls[label])
            rows.append(
                [
                    label,
                    ms(med),
                    f"{ms(lo)} – {ms(hi)}",
                    f"{med / reference:.2f}×",
                    f"{max(rss[label]) / 1024:.0f} MB",
                ]
            )
            facts[label] = med
        rep.add(f"- Start-up, {runs} runs each, interleaved (after one warm-up run each):")
        rep.add("")
        rep.table(["command", "median", "min – max", "vs import click", "peak RSS"], rows)
        handle_med = facts["python -m incident_tool handle …"]
        facts["ratio"] = handle_med / reference
        rep.add(
            f"Target ≤ 1.5× `import click`: `python -m incident_tool handle` is "
            f"{handle_med / reference:.2f}× {verdict(handle_med <= 1.5 * reference)}."
            + (
                ""
                if script
                else " (`incident-tool` is not on PATH here: the package is not "
                "installed, so the console script is measured as the equivalent `python -c`.)"
            )
        )
        rep.add("")
    return facts


# ----------------------------------------------------- section 4: a declare, subprocess


def section4(rep: Report, quick: bool) -> dict[str, Any]:
    runs = 3 if quick else 12
    rep.section(f"4. `handle` for a declare, in a subprocess ({runs} runs, each a fresh issue)")
    facts: dict[str, Any] = {}
    with Lab() as lab:
        walls, peaks, gh_counts, sl_counts = [], [], [], []
        for _ in range(runs):
            number = lab.report()  # opened + labeled runs, untimed
            lab.gh.add_label(REPO, number, "dana", "incident:declared")
            result = lab.run_subprocess(*lab.one_event())
            check([result], "declare")
            assert "state declared" in result.output, result.output
            walls.append(result.wall)
            peaks.append(result.maxrss_kb / 1024)
            gh_counts.append(result.counts.gh)
            sl_counts.append(result.counts.slack)
        env = lab.subprocess_env("issues", PINNED)
        imports = [
            spawn(
                [sys.executable, "-c", "import github, slack_sdk, jinja2, yaml, click"],
                env,
                lab.root,
            )[1]
            for _ in range(5)
        ]
        med, lo, hi = stats(walls)
        rep.table(
            ["figure", "value", "target"],
            [
                ["median wall time", ms(med), f"< 1.5 s {verdict(med < 1.5)}"],
                ["min – max", f"{ms(lo)} – {ms(hi)}", ""],
                [
                    "peak RSS of the child (max over runs)",
                    f"{max(peaks):.0f} MB",
                    f"< 80 MB {verdict(max(peaks) < 80)}",
                ],
                [
                    "requests per run (GitHub + Slack)",
                    f"{statistics.median(gh_counts):.0f} + {statistics.median(sl_counts):.0f}",
                    "",
                ],
                [
                    "of which: `python -c 'import github, slack_sdk, jinja2, yaml, click'`",
                    ms(statistics.median(imports)),
                    "",
                ],
            ],
        )
        facts.update(median=med, rss=max(peaks))
    return facts


# ------------------------------------------------- section 5: a big retrospective


def seed_big_incident(
    lab: Lab, n_comments: int, n_events: int, n_messages: int, every: tuple[int, int] = (10, 20)
) -> tuple[int, dict[str, Any]]:
    """An incident with `n_comments` comments: one in every[0] an /update, one in every[1] an
    /action, the rest plain text; `n_events` issue events; `n_messages` in its channel."""
    every_update, every_action = every
    gh, sl = lab.gh, lab.sl
    # The incident happened yesterday (sandbox clock); the catch-up run and the timed runs
    # happen now, as they would on a long incident.
    lab.clock.offset = -dt.timedelta(days=1)
    number = lab.report()
    lab.declare(number)
    seed: dict[str, Any] = {}
    started = time.perf_counter()
    for _ in range(n_events // 2):  # 500 timeline events: a label added and removed
        gh.add_label(REPO, number, "dana", "bug")
        gh.remove_label(REPO, number, "dana", "bug")
    gh.take_events()
    channel = lab.channel_of(number)
    people = [lab.slack_ids[x] for x in ("dana", "priya", "lee", "sam", "rita")]
    for i in range(n_messages):
        sl.post_as_user(
            channel,
            people[i % len(people)],
            f"Slack message {i}: checked shard {i % 17}, " + "y" * 60,
        )
    talkers = ["lee", "rita", "sam", "dana"]
    commands = 0
    for i in range(n_comments):
        if i % every_update == 0:
            who, body = (
                "priya",
                f"/update step {i}: rebuilt index shard {i % 17}; watching error rates",
            )
            commands += 1
        elif i % every_action == 5:
            who, body = "dana", f"/action follow-up {i}: add an alert for shard {i % 17}"
            commands += 1
        else:
            who, body = talkers[i % 4], f"Comment {i}: looked at the dashboards, " + "z" * 150
        gh.comment(REPO, number, who, body)
    events = gh.take_events()
    seed["seed_time"] = time.perf_counter() - started
    seed["commands"] = commands
    # Catch up once (in real life each comment had its own run): one run carries out every
    # command and mirrors every plain comment. Untimed for the table, reported alongside.
    name, payload = events[-1]
    lab.clock.offset = dt.timedelta(0)
    seed["catch_up"] = lab.run_inprocess(name, payload)  # a failure is reported, not raised
    return number, seed


def status_size_table(rep: Report) -> None:
    """The status comment's length against the number of timeline entries (pure rendering)."""
    from incident_tool.config import Config
    from incident_tool.core.record import Entry, Record, iso
    from incident_tool.core.states import State
    from incident_tool.core.status import render

    now = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.timezone.utc)

    def record(k: int, actions: int) -> Record:
        r = Record(
            state=State.DECLARED,
            leads=["priya"],
            channel_id="C0SB00003",
            channel_name="incident-1-search",
        )
        for i in range(k):
            r.timeline.append(
                Entry(
                    iso(now + dt.timedelta(minutes=i)),
                    "update",
                    "priya",
                    f"step {i}: rebuilt index shard {i % 17}; watching error rates",
                    f"#issuecomment-{3000000 + i}",
                )
            )
        # Actions are timeline entries; Slack history is no longer kept in the record.
        r.timeline += [
            Entry(iso(now), "action", "dana", f"follow-up {i}: add an alert")
            for i in range(actions)
        ]
        return r

    rows = []
    for k in (100, 150, 200, 250, 300, 500, 2000):
        cells = [f"{k}"]
        for actions in (0, k // 2):
            size = len(render(record(k, actions), Config(), repo=REPO, updated=now))
            cells.append(f"{size:,}" + ("" if size <= 65536 else " ❌"))
        rows.append(cells)
    rep.add(
        "The status comment's length as the timeline grows (`status.render` alone, after its "
        "own trimming; ❌: over GitHub's 65,536, so the PATCH fails with 422 and the run exits 1):"
    )
    rep.add("")
    rep.table(
        [
            "timeline entries (/update, 60-char text)",
            "alone",
            "+ k/2 actions",
        ],
        rows,
    )


MIXES = {
    "light": ((40, 80), "1 comment in 40 an `/update`, 1 in 80 an `/action`, the rest plain text"),
    "heavy": ((10, 20), "1 comment in 10 an `/update`, 1 in 20 an `/action`, the rest plain text"),
}


def section5(rep: Report, quick: bool) -> dict[str, Any]:
    sizes = (50, 100, 200) if quick else (250, 1000, 2000)
    n_events, n_messages = (100, 200) if quick else (500, 1000)
    rep.section(
        f"5. Retrospective of a big incident ({n_events} issue events, {n_messages:,} Slack "
        f"messages, N comments)"
    )
    facts: dict[str, Any] = {}
    for mix, repeats in (("light", 1 if quick else 3), ("heavy", 1)):
        facts[mix] = big_incident(rep, quick, mix, repeats, sizes, n_events, n_messages)
    status_size_table(rep)
    return facts


def big_incident(
    rep: Report,
    quick: bool,
    mix: str,
    repeats: int,
    sizes: tuple[int, ...],
    n_events: int,
    n_messages: int,
) -> dict[str, Any]:
    every, words = MIXES[mix]
    rep.add(f"### {mix.capitalize()} mix: {words}")
    rep.add("")
    rows, update_rows, catch_rows, retro_notes = [], [], [], []
    facts: dict[str, Any] = {}
    for n in sizes:
        with Lab() as lab:
            # `repeats` identical incidents, so each timed run can be repeated on a fresh one.
            seeded = [
                seed_big_incident(lab, n, n_events, n_messages, every) for _ in range(repeats)
            ]
            number = seeded[0][0]
            total_comments = len(lab.gh.comments(REPO, number))
            channel = lab.channel_of(number)
            messages = len(lab.sl.messages(channel))
            # /update on the big issue: every run reads all comments.
            updates = []
            for num, _ in seeded:
                lab.gh.comment(REPO, num, "priya", "/update shards all green again")
                updates.append(lab.run_subprocess(*lab.one_event()))
            upd = updates[0]
            upd_pages = sum(
                1 for r in upd.reqs if r.method == "GET" and r.path.endswith("/comments")
            )
            closes = []
            for num, _ in seeded:
                lab.gh.close_issue(REPO, num, "dana", reason="completed")
                closes.append(lab.run_subprocess(*lab.one_event()))
            close = closes[0]
            retros = [i for i in lab.gh.issues(REPO) if i["title"].startswith("Retrospective:")]
            body = next((i["body"] for i in retros if f"(#{number})" in i["title"]), "")
            pages = sum(1 for r in close.reqs if r.method == "GET" and r.path.endswith("/comments"))
            history = sum(1 for r in close.reqs if r.path.endswith("conversations.history"))
            sandbox_time = statistics.median(sum(r.elapsed for r in c.reqs) for c in closes)
            comments_now = len(lab.gh.comments(REPO, number))
            close_wall = statistics.median(c.wall for c in closes)
            upd_wall = statistics.median(u.wall for u in updates)
            rows.append(
                [
                    f"{n:,}",
                    f"{comments_now:,}",
                    f"{pages} ({math.ceil(total_comments / 100)} / "
                    f"{1 if total_comments <= 100 else 2})",
                    f"{messages:,}",
                    f"{history} ({math.ceil(messages / 200)} at 200, "
                    f"{math.ceil(messages / 999)} at 999)",
                    f"{close.counts.gh} + {close.counts.slack}",
                    outcome(closes),
                    secs(close_wall),
                    secs(sandbox_time),
                    f"{max(c.maxrss_kb for c in closes) / 1024:.0f} MB",
                ]
            )
            has_actions = "## Action items" in body and "- [ ] follow-up" in body
            status_len = max(
                (
                    len(c["body"])
                    for c in lab.gh.comments(REPO, number)
                    if "incident-tool:status" in c["body"]
                ),
                default=0,
            )
            attempted = [
                len((x.body or {}).get("body", ""))
                for c in closes
                for x in c.reqs
                if x.method == "PATCH"
                and "/issues/comments/" in x.path
                and isinstance(x.body, dict)
            ]
            retro_notes.append(
                [
                    f"{n:,}",
                    f"{status_len:,} / {max(attempted, default=0):,}",
                    f"{len(body):,}" if body else "**not written**",
                    "yes" if len(body) >= 65000 else "no",
                    "yes" if "## What went well" in body else "**no**",
                    "yes" if has_actions else "**no**",
                ]
            )
            update_rows.append(
                [
                    f"{n:,}",
                    f"{upd_pages} ({math.ceil((total_comments + 1) / 100)} / "
                    f"{1 if total_comments < 100 else 2})",
                    f"{upd.counts.gh} + {upd.counts.slack}",
                    outcome(updates),
                    secs(upd_wall),
                    f"{max(u.maxrss_kb for u in updates) / 1024:.0f} MB",
                ]
            )
            seed = seeded[0][1]
            cu = seed["catch_up"]
            catch_rows.append(
                [
                    f"{n:,}",
                    seed["commands"],
                    f"{cu.counts.gh} + {cu.counts.slack}",
                    outcome([s["catch_up"] for _, s in seeded]),
                    secs(statistics.median(s["catch_up"].wall for _, s in seeded)),
                    secs(seed["seed_time"]),
                ]
            )
            facts[n] = close_wall
            facts.setdefault("failed", []).extend(
                f"N={n:,} {what}"
                for what, runs_ in (
                    ("catch-up", [s["catch_up"] for _, s in seeded]),
                    ("/update", updates),
                    ("close", closes),
                )
                if any(r.rc for r in runs_)
            )
            facts.setdefault("pages", []).append(
                (pages, math.ceil(total_comments / 100), 1 if total_comments <= 100 else 2)
            )
            facts[f"update:{n}"] = upd_wall
            facts[f"retro:{n}"] = (len(body), has_actions)
            print(
                f"  … {mix} N={n:,}: close {secs(close_wall)}, /update {secs(upd_wall)} "
                f"(median of {repeats})",
                flush=True,
            )
    rep.add(
        f"Close as completed (→ retrospective), `python -m incident_tool handle` in a subprocess; "
        f"median of {repeats} identical incidents. Comment pages in brackets: GitHub pages of all "
        "comments at 100 per page / the first page plus one page of comments since the last run "
        "(the incident's history dates from yesterday on the sandbox clock; the runs are now). "
        "History pages in brackets: at the tool's 200 per page and at Slack's maximum 999. "
        "The channel holds the "
        "seeded messages plus the tool's own (each mirrored comment is a bot message). "
        "'of which sandbox' is the time the double spent answering (same machine)."
    )
    rep.add("")
    rep.table(
        [
            "N seeded",
            "comments on the issue",
            "comment pages read (all / first + since)",
            "channel messages",
            "history pages (needed)",
            "requests GitHub + Slack",
            "exit",
            "wall time",
            "of which sandbox",
            "peak RSS",
        ],
        rows,
    )
    big = sizes[-1]
    facts["sizes"] = sizes
    a, b, c = sizes
    first = (facts[b] - facts[a]) / (b - a) * 1000
    second = (facts[c] - facts[b]) / (c - b) * 1000
    facts["slopes"] = (first, second)
    rep.add(
        f"Growth of the close run: {first * 1000:.0f} ms per 1,000 comments from {a:,} to {b:,}, "
        f"{second * 1000:.0f} ms per 1,000 from {b:,} to {c:,} "
        "(linear growth: the two about equal). "
        f"Target < 10 s at {big:,}: {verdict(facts[big] < 10)}."
    )
    rep.add("")
    rep.add(
        "What was written (GitHub's body limit is 65,536 characters; the tool aims at 60,000 "
        "for the status comment and cuts the retrospective at 65,000):"
    )
    rep.add("")
    rep.table(
        [
            "N seeded",
            "status comment: stored / largest PATCH tried",
            "retrospective body",
            "cut at 65,000",
            "'What went well' present",
            "action-item checklist present",
        ],
        retro_notes,
    )
    rep.add(
        "A `/update` comment on the same issue (does a run read every comment? pages as above):"
    )
    rep.add("")
    rep.table(
        [
            "N seeded",
            "comment pages read (all / first + since)",
            "requests GitHub + Slack",
            "exit",
            "wall time",
            "peak RSS",
        ],
        update_rows,
    )
    rep.add(
        "Seeding (untimed above): the comments were carried out by one catch-up run, as a run "
        "after a cancelled queue would; in real life each had its own run."
    )
    rep.add("")
    rep.table(
        [
            "N seeded",
            "commands among them",
            "catch-up requests GitHub + Slack",
            "exit",
            "catch-up run (in-process)",
            "seeding via sandbox API",
        ],
        catch_rows,
    )
    return facts


# ------------------------------------------------------------------ section 6: sweep


def seed_closed(lab: Lab, n: int) -> None:
    """Closed incidents straight into the sandbox's state (bot actor: no webhooks)."""
    gh = lab.gh
    with gh.lock:
        repo = gh.repo(REPO)
        for i in range(n):
            issue = gh.op_create_issue(
                repo,
                gh.bot_login,
                f"[Incident]: old incident {i}",
                "closed long ago",
                ["incident:resolved"],
                [],
                create_labels=False,
            )
            gh.op_update_issue(
                repo, issue, gh.bot_login, {"state": "closed", "state_reason": "completed"}
            )


def sweep_run(lab: Lab) -> RunResult:
    result = lab.run_inprocess("schedule", {"schedule": "*/10 * * * *"}, ["sweep", "--repo", REPO])
    check([result], "sweep")
    return result


def section6(rep: Report, quick: bool) -> dict[str, Any]:
    import incident_tool.app as runmod
    import incident_tool.effects.github as ghmod

    n_open, n_declared, n_closed = (20, 5, 300) if quick else (200, 50, 5000)
    rep.section(f"6. `sweep` over {n_open} open incidents and {n_closed:,} closed ones")
    facts: dict[str, Any] = {}
    frozen = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0)
    rows = []

    def no_write_pause(
        token: str | None, base_url: str | None = None, *, bulk: bool = False
    ) -> Any:
        return original_client(token, base_url, bulk=False)

    original_client = ghmod.client
    with Lab() as lab, patched(runmod, "utcnow", lambda: frozen):
        started = time.perf_counter()
        numbers = [lab.report(title=f"[Incident]: incident {i}") for i in range(n_open)]
        for number in numbers[:n_declared]:
            lab.declare(number)
        seed_time = time.perf_counter() - started

        def describe(label: str, r: RunResult, closed: int) -> list[Any]:
            lists = sum(
                1 for x in r.reqs if x.method == "GET" and x.path == f"/repos/{REPO}/issues"
            )
            gets = sum(
                1
                for x in r.reqs
                if x.method == "GET"
                and x.path.startswith(f"/repos/{REPO}/issues/")
                and x.path.count("/") == 5
            )
            pages = sum(1 for x in r.reqs if x.method == "GET" and x.path.endswith("/comments"))
            return [
                label,
                f"{closed:,}",
                f"{r.counts.gh} ({r.counts.gh_writes} writes)",
                f"{lists} / {gets} / {pages}",
                r.counts.slack,
                secs(r.wall),
            ]

        s0 = sweep_run(lab)
        rows.append(describe("same minute as the last runs", s0, 0))
        seed_closed(lab, n_closed)
        s1 = sweep_run(lab)
        rows.append(describe("same minute as the last runs", s1, n_closed))
        with (
            patched(runmod, "utcnow", lambda: frozen + dt.timedelta(minutes=10)),
            patched(ghmod, "client", no_write_pause),
        ):
            s2 = sweep_run(lab)
        rows.append(describe("10 minutes later (the cron interval), write pause off", s2, n_closed))
        projected = s2.wall + s2.counts.gh_writes * 1.0
        rows.append(
            [
                "  ↳ the same with the tool's 1 s pause between writes (bulk client)",
                f"{n_closed:,}",
                "",
                "",
                "",
                f"≈ {secs(projected)} (projected)",
            ]
        )
        lists = sum(1 for x in s0.reqs if x.method == "GET" and x.path == f"/repos/{REPO}/issues")
        facts.update(same0=s0, same1=s1, later=s2, projected=projected, n_open=n_open, lists=lists)
    # Check the projection on a small repository with the real bulk client.
    small = 5
    with Lab() as lab, patched(runmod, "utcnow", lambda: frozen):
        for i in range(small):
            lab.report(title=f"[Incident]: small {i}")
        with patched(runmod, "utcnow", lambda: frozen + dt.timedelta(minutes=10)):
            s3 = sweep_run(lab)
        rows.append(describe(f"check: {small} open, 10 minutes later, real bulk client", s3, 0))
        facts["check"] = s3
    rep.add(
        f"In-process `incident-tool sweep` (bulk client). {n_open} open incidents "
        f"({n_open - n_declared} reported, {n_declared} declared with Slack channels) seeded by "
        f"real `handle` runs in {secs(seed_time)}; closed incidents put straight into the "
        "sandbox. The clock the tool sees (`run.utcnow`) is pinned so that 'same minute' is "
        "reproducible. Columns: list requests / single-issue GETs / comment pages."
    )
    rep.add("")
    rep.table(
        [
            "sweep",
            "closed incidents",
            "GitHub requests",
            "list / GET issue / comments",
            "Slack calls",
            "wall time",
        ],
        rows,
    )
    same = s0.counts.gh == s1.counts.gh
    rep.add(
        f"Requests independent of the closed count: {s0.counts.gh} with 0 closed, "
        f"{s1.counts.gh} with {n_closed:,} {verdict(same)}."
    )
    rep.add("")
    return facts


# ------------------------------------------------------------------------------ main


def summary(rep: Report, results: dict[int, dict[str, Any]], quick: bool) -> None:
    """Every target of issue #7 with its measured figure."""
    rows: list[list[Any]] = []
    if 1 in results:
        f = results[1]
        d = f["declare"].counts
        rows += [
            ["declare: GitHub requests", "≤ 12", d.gh, verdict(d.gh <= 12)],
            ["declare: Slack calls", "≤ 12", d.slack, verdict(d.slack <= 12)],
            [
                "config reads per run",
                "1",
                ", ".join(map(str, sorted(f["opens"]))),
                verdict(f["opens"] == {1}),
            ],
            ["requests repeated within a run", "0", len(f["repeats"]), verdict(not f["repeats"])],
            [
                "whole incident (report → retrospective), GitHub + Slack",
                f"{sum(v[0] for v in MINIMUM.values())} + "
                f"{sum(v[1] for v in MINIMUM.values())} (hand-written minimum)",
                f"{f['totals'].gh} + {f['totals'].slack}",
                "",
            ],
        ]
    if 2 in results:
        f = results[2]
        walls = [v for k, v in f.items() if not k.startswith("handle:")]
        rows.append(
            [
                "listing the comments: defaults / +per_page 100 / client() / raw requests",
                "17 s / 5 s / 0.25 s (issue #7's machine)",
                " / ".join(secs(w) for w in walls),
                "",
            ]
        )
    if 3 in results:
        f = results[3]
        rows += [
            ["ignored event: requests", "0", f["requests"], verdict(f["requests"] == 0)],
            [
                "ignored event: github / slack_sdk / jinja2 imported",
                "none",
                ", ".join(f["heavy"]) or "none",
                verdict(not f["heavy"]),
            ],
            [
                "ignored event: start-up vs `import click`",
                "≤ 1.5×",
                f"{f['ratio']:.2f}×",
                verdict(f["ratio"] <= 1.5),
            ],
        ]
    if 4 in results:
        f = results[4]
        rows += [
            [
                "declare in a subprocess: median wall time",
                "< 1.5 s",
                ms(f["median"]),
                verdict(f["median"] < 1.5),
            ],
            [
                "declare in a subprocess: peak RSS",
                "< 80 MB",
                f"{f['rss']:.0f} MB",
                verdict(f["rss"] < 80),
            ],
        ]
    if 5 in results:
        f = results[5]["light"]
        failed = [
            f"{mix}: {x}" for mix in ("light", "heavy") for x in results[5][mix].get("failed", [])
        ]
        big = f["sizes"][-1]
        pages_ok = all(got <= every + 1 for got, every, _ in f["pages"])
        rows += [
            [
                f"close → retrospective at {big:,} comments (light mix): wall time",
                "< 10 s",
                secs(f[big]),
                verdict(f[big] < 10),
            ],
            [
                "close → retrospective (light mix): ms per 1,000 more comments, 1st / 2nd step",
                "about equal (linear)",
                " / ".join(f"{x * 1000:.0f} ms" for x in f["slopes"]),
                "",
            ],
            [
                "close → retrospective (light mix): comment pages read (all / first + since)",
                "≤ all pages at 100 per page",
                ", ".join(f"{g} ({a} / {m})" for g, a, m in f["pages"]),
                verdict(pages_ok),
            ],
            [
                "big incident: every run exits 0",
                "all",
                "; ".join(failed) or "all",
                verdict(not failed),
            ],
            [
                "retrospective keeps its closing sections (went well/badly, action items)",
                "always",
                "; ".join(
                    f"{mix} N={n:,}: {'yes' if ok else 'no'}"
                    for mix in ("light", "heavy")
                    for n in results[5][mix]["sizes"]
                    for _, ok in [results[5][mix][f"retro:{n}"]]
                ),
                verdict(
                    all(
                        results[5][m][f"retro:{n}"][1]
                        for m in ("light", "heavy")
                        for n in results[5][m]["sizes"]
                    )
                ),
            ],
        ]
    if 6 in results:
        f = results[6]
        a, b, later = f["same0"].counts.gh, f["same1"].counts.gh, f["later"]
        rows += [
            [
                "sweep: GitHub requests with 0 / many closed incidents",
                "equal",
                f"{a} / {b}",
                verdict(a == b),
            ],
            [
                "sweep: GitHub requests per open incident, beyond listing",
                "1 (its comments page)",
                f"{(a - f['lists']) / f['n_open']:.1f}",
                verdict((a - f["lists"]) / f["n_open"] <= 1.05),
            ],
            [
                "sweep 10 min after the last runs (nothing changed): GitHub writes",
                "0",
                f"{later.counts.gh_writes} (≈ {secs(f['projected'])} with the 1 s write pause)",
                verdict(later.counts.gh_writes == 0),
            ],
        ]
    rep.section(
        "Summary against issue #7's targets" + (" (QUICK sizes: not the proof)" if quick else "")
    )
    rep.table(["figure", "target", "measured", ""], rows)


def section7(rep: Report, quick: bool) -> dict[str, Any]:
    """`status-page`: requests grow with the incidents of the last 90 days only."""
    shown_n, old_n = (3, 50) if quick else (20, 1000)
    rep.section(
        f"7. `status-page` with {shown_n} incidents in the last 90 days, and {old_n:,} "
        "resolved before"
    )
    rows = []
    with Lab() as lab:
        # Old history first: resolved 120 days ago (the sandbox's clock moved back).
        lab.clock.offset = -dt.timedelta(days=120)
        seed_closed(lab, old_n)
        lab.clock.offset = dt.timedelta(0)
        out = lab.root / "site"

        def build(label: str) -> None:
            r = lab.run_inprocess(
                "status-page", {}, ["status-page", "--repo", REPO, "--out", str(out)]
            )
            check([r], "status-page")
            lists = sum(
                1 for x in r.reqs if x.method == "GET" and x.path == f"/repos/{REPO}/issues"
            )
            pages = sum(1 for x in r.reqs if x.method == "GET" and x.path.endswith("/comments"))
            files = sum(1 for p in out.rglob("*") if p.is_file())
            rows.append(
                [label, r.counts.gh, f"{lists} / {pages}", r.counts.slack, files, secs(r.wall)]
            )

        build("no recent incident")
        numbers = [lab.report(title=f"[Incident]: recent {i}") for i in range(shown_n)]
        for number in numbers:
            lab.declare(number)
        build(f"{shown_n} declared")
        for i in range(shown_n):
            n = lab.report(title=f"[Incident]: noise {i}")
            lab.gh.comment(REPO, n, "dana", "/dismiss noise")
            check(lab.deliver(), "dismiss")
        build(f"{shown_n} declared, {shown_n} dismissed reports")
    rep.add(
        "In-process `incident-tool status-page` (the site written to a temporary folder). "
        f"The {old_n:,} old incidents are resolved issues last updated 120 days ago, put "
        "straight into the sandbox. Columns: GitHub requests; issue lists / comment pages."
    )
    rep.add("")
    rep.table(
        ["repository", "GitHub requests", "lists / comment pages", "Slack", "files", "wall"], rows
    )
    return {"rows": rows}


WARM_IMPORTS = (
    "import incident_tool.cli, incident_tool.app, incident_tool.effects.slack, "
    "incident_tool.effects.apply, "
    "incident_tool.verbs.retro, incident_tool.effects.mirror, incident_tool.effects.github, "
    "github, slack_sdk, jinja2, jinja2.sandbox, yaml, requests"
)

# ------------------------------------------------- section 8: reports from monitors


def section8(rep: Report, quick: bool) -> dict[str, Any]:
    """Requests for an alert that opens a report, a repeat, a resolution (SPEC §13)."""
    import urllib.request

    rep.section("8. Reports from monitors: a new alert, a repeat, a resolution")
    alert = {
        "title": "Search 5xx above 5%",
        "service": "Search / catalogue API",
        "severity": 2,
        "source": "grafana",
        "url": "https://grafana.example.org/d/search",
        "details": {"rate": 0.12},
    }
    rows, facts = [], {}
    with Lab() as lab:

        def dispatch(**changes: Any) -> tuple[str, dict[str, Any]]:
            body = {"event_type": "incident-report", "client_payload": {**alert, **changes}}
            request = urllib.request.Request(
                f"{lab.sb.github_url}/repos/{REPO}/dispatches",
                data=json.dumps(body).encode(),
                method="POST",
                headers={"Authorization": f"token {lab.gh.user('lee').token}"},
            )
            with urllib.request.urlopen(request) as response:
                assert response.status == 204
            return lab.one_event()

        for label, changes in (
            ("new alert: opens the report", {}),
            ("repeat firing", {}),
            ("repeat firing (declared incident)", {}),
            ("resolved (declared incident)", {"status": "resolved"}),
        ):
            if label.endswith("(declared incident)") and "declared" not in facts:
                lab.declare(1)
                facts["declared"] = True
            result = lab.run_inprocess(*dispatch(**changes))
            check([result], label)
            lists = [
                x for x in result.reqs if x.method == "GET" and x.path == f"/repos/{REPO}/issues"
            ]
            c = result.counts
            rows.append(
                [
                    label,
                    f"{c.gh_reads} / {c.gh_writes}",
                    f"**{c.gh}**",
                    f"{c.sl_reads} / {c.sl_writes}",
                    f"{len(lists)} (label filter: {all('labels' in x.query for x in lists)})",
                    ", ".join(
                        request_key(x) if x.service == "github" else slack_method(x.path)
                        for x in result.reqs
                    ),
                ]
            )
            facts[label] = c.gh
    rep.table(
        [
            "event",
            "GitHub reads / writes",
            "GitHub total",
            "Slack reads / writes",
            "issue lists",
            "sent",
        ],
        rows,
    )
    rep.add("")
    rep.add(
        "A repeat finds the problem's issue with one `GET /repos/{o}/{r}/issues?labels="
        "alert:<hash>&state=all` (a label filter: no scan of the repository's issues, no "
        "search index lag), then reads the comments, re-reads the status comment before "
        "writing (another run may have counted meanwhile) and edits it."
    )
    return facts


SECTIONS: dict[int, Callable[[Report, bool], dict[str, Any]]] = {
    1: section1,
    2: section2,
    3: section3,
    4: section4,
    5: section5,
    6: section6,
    7: section7,
    8: section8,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--only", default="", help="comma-separated section numbers, e.g. 1,3")
    parser.add_argument(
        "--source",
        default=str(CHECKOUT),
        help="directory holding the incident_tool package to measure",
    )
    parser.add_argument(
        "--source-label", default="", help="what --source is, for the results (e.g. a commit)"
    )
    parser.add_argument(
        "--output", default=str(BENCH / "results.md"), help="where to write the Markdown results"
    )
    args = parser.parse_args(argv)
    chosen = [int(x) for x in args.only.split(",") if x.strip()] or list(SECTIONS)
    rep = Report()
    rep.add(
        "# incident-tool benchmark (issue #7)" + (" — QUICK run, small sizes" if args.quick else "")
    )
    rep.add("")
    for line in machine_facts():
        rep.add(line)
    rep.add(f"- Code measured: {describe_source(args.source_label)}")
    rep.add(
        f"- Command: `python bench/run.py {' '.join(argv if argv is not None else sys.argv[1:])}`"
    )
    # Fill the byte-code cache the children use (pip install compiles the same files).
    spawn([sys.executable, "-c", WARM_IMPORTS], child_env(), ROOT)
    started = time.perf_counter()
    results: dict[int, dict[str, Any]] = {}
    for number in chosen:
        t0 = time.perf_counter()
        before = loadavg()
        results[number] = SECTIONS[number](rep, args.quick)
        rep.add(
            f"<sub>Section {number}: {time.perf_counter() - t0:.0f} s; load average before "
            f"{before}, after {loadavg()} (other work on this machine inflates wall times).</sub>"
        )
        Path(args.output).write_text(rep.text(), "utf-8")
    summary(rep, results, args.quick)
    rep.add("")
    rep.add(f"Whole benchmark: {time.perf_counter() - started:.0f} s.")
    Path(args.output).write_text(rep.text(), "utf-8")
    print(f"\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
