#!/usr/bin/env python3
"""Record the GitHub cassettes replayed by ``tests/effects/test_github_cassettes.py``.

Usage: ``python tools/record_github_cassettes.py`` (from the repository root or anywhere).

Each cassette is one real run of the tool's production path (``incident_tool.app.handle``
with PyGithub, the way ``incident-tool handle`` runs in Actions, Slack off) against the
built-in sandbox, for one webhook event of an incident played from report to retrospective:

==================  ========================================================================
cassette            event
==================  ========================================================================
report              ``issues.opened``: rita submits the "Report incident" form
report_labeled      ``issues.labeled`` incident:reported: GitHub's second event for the form
declare             ``issues.labeled`` incident:declared by dana (delivery manager); sam,
                    the most senior responder, is "busy" on GitHub, so priya leads
handover            ``issue_comment.created`` ``/handover @lee`` by priya (the lead)
join                ``issue_comment.created`` ``/join`` by dana, who is not a listed responder,
                    so her collaborator permission is read
refused             ``issue_comment.created`` ``/dismiss x`` by lee (lead, not a delivery
                    manager): refused with a reply
close               ``issues.closed`` (completed) by dana: resolved, retrospective issue
==================  ========================================================================

The scenarios run in order against one sandbox, so every cassette starts from the state
the previous one left; its GET responses carry that state, which is all a replay needs.

What is normalised, so that re-recording gives byte-identical files:

* the sandbox's ``http://127.0.0.1:<port>`` base becomes ``https://api.github.example`` in
  request URIs and bodies, response bodies and headers (``Link``), and the event payload;
* time is frozen: the sandbox's clock and the tool's (``incident_tool.core.record.utcnow`` and
  the ``now`` of ``run.handle``) read a scripted time per scenario, so ``created_at``,
  ``since=`` and the status comment's timeline are fixed; the ``Date`` response header is
  set to that time and ``Server`` (it names the Python version) is dropped;
* ``Authorization`` is filtered out (the sandbox's tokens are random on every run);
  ids need no work: the sandbox numbers issues, comments and labels from fixed counters;
* JSON response bodies are re-indented (with ``Content-Length`` to match) so a diff of a
  re-recording is readable.

Each cassette keeps, under ``metadata``, the event name, its webhook payload and the frozen
time, so the replay runs exactly the event that was recorded. ``incident.yml`` beside the
cassettes is the configuration the runs used.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import os
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from unittest import mock

import vcr
import yaml

if TYPE_CHECKING:
    from vcr.request import Request

    from incident_sandbox import Sandbox
    from incident_tool.effects.tools import Outcome, Tools

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "cassettes" / "github"
CONFIG_FILE = OUT / "incident.yml"
API = "https://api.github.example"
REPO = "wellcome/platform"
TITLE = "[Incident]: Search returns no results"
NUMBER = 1  # the first issue of the freshly seeded repository
START = datetime(2026, 11, 26, 9, 45, tzinfo=timezone.utc)
HEADER = """\
# Recorded by `python tools/record_github_cassettes.py`: do not edit, re-record.
# One real run of incident_tool.app.handle (PyGithub, Slack off) against the built-in
# sandbox. Normalised: the sandbox's base URL is {api}, time is frozen
# at metadata.now, the Authorization header is removed, JSON responses are re-indented.
"""


class Clock:
    """The one time both the sandbox and the tool read: set per scenario, never ticking."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


@dataclass(frozen=True)
class Step:
    """A person acts on "GitHub" at `at`; each event it queues is one recorded run."""

    at: timedelta  # after START
    what: str
    act: Callable[[Sandbox], object]
    cassettes: tuple[tuple[str, str], ...]  # (event kind expected, cassette name) in order


def _steps() -> list[Step]:
    """Return the incident, step by step, from report to retrospective."""
    from incident_sandbox.demo import REPORT_BODY

    return [
        Step(
            timedelta(0),
            "rita submits the Report incident form",
            lambda sb: sb.github.open_issue(
                REPO, "rita", TITLE, REPORT_BODY, labels=["incident:reported"]
            ),
            (("issues.opened", "report"), ("issues.labeled", "report_labeled")),
        ),
        Step(
            timedelta(minutes=7),
            "dana (delivery manager) adds incident:declared; sam is busy on GitHub",
            lambda sb: sb.github.add_label(REPO, NUMBER, "dana", "incident:declared"),
            (("issues.labeled", "declare"),),
        ),
        Step(
            timedelta(minutes=20),
            "priya (the lead) hands over to lee",
            lambda sb: sb.github.comment(REPO, NUMBER, "priya", "/handover @lee"),
            (("issue_comment.created", "handover"),),
        ),
        Step(
            timedelta(minutes=27),
            "dana, not a listed responder, joins",
            lambda sb: sb.github.comment(REPO, NUMBER, "dana", "/join"),
            (("issue_comment.created", "join"),),
        ),
        Step(
            timedelta(minutes=35),
            "lee, not a delivery manager, tries to dismiss",
            lambda sb: sb.github.comment(REPO, NUMBER, "lee", "/dismiss x"),
            (("issue_comment.created", "refused"),),
        ),
        Step(
            timedelta(hours=1, minutes=45),
            "dana closes the issue as completed",
            lambda sb: sb.github.close_issue(REPO, NUMBER, "dana", reason="completed"),
            (("issues.closed", "close"),),
        ),
    ]


# -- normalisation -------------------------------------------------------------------------


def rewrite(text: str, base: str) -> str:
    """Put the fixed API host where the sandbox's loopback base was."""
    return text.replace(base, API)


def rewrite_json(value: Any, base: str) -> Any:
    """Rewrite the base URL in every string of a JSON value."""
    return json.loads(rewrite(json.dumps(value), base))


def request_hook(base: str) -> Callable[[Request], Request]:
    """Build vcrpy's before_record_request: the recorded request names the fixed host."""

    def hook(request: Request) -> Request:
        # vcrpy hands us a deep copy, so PyGithub's real request is untouched.
        request.uri = rewrite(request.uri, base)
        if isinstance(request.body, bytes):
            request.body = rewrite(request.body.decode("utf-8"), base)
        return request

    return hook


def response_hook(base: str, clock: Clock) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Build vcrpy's before_record_response: fixed host, frozen Date, readable JSON."""

    def hook(response: dict[str, Any]) -> dict[str, Any]:
        # vcrpy deep-copies the response first: PyGithub still sees the loopback URLs it
        # must follow during recording.
        headers: dict[str, list[str]] = response["headers"]
        for name in list(headers):
            if name.lower() == "server":
                del headers[name]  # "BaseHTTP/0.6 Python/3.11.7": varies by interpreter
            elif name.lower() == "date":
                headers[name] = [email.utils.format_datetime(clock(), usegmt=True)]
            else:
                headers[name] = [rewrite(v, base) for v in headers[name]]
        raw: bytes = response["body"]["string"]
        if raw:
            text = rewrite(raw.decode("utf-8"), base)
            with contextlib.suppress(ValueError):
                text = json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
            raw = text.encode("utf-8")
            response["body"]["string"] = raw
            for name in headers:
                if name.lower() == "content-length":
                    headers[name] = [str(len(raw))]
        return response

    return hook


class _Dumper(yaml.SafeDumper):
    """YAML with multi-line strings as literal blocks, so bodies diff line by line."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    """Write multi-line strings as literal blocks, others as PyYAML chooses."""
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def finish(path: Path, name: str, what: str, metadata: dict[str, Any]) -> None:
    """Add the header comment and the run's metadata to a cassette vcrpy just saved."""
    data = yaml.safe_load(path.read_text("utf-8"))
    out = {"metadata": metadata, "interactions": data["interactions"], "version": data["version"]}
    text = yaml.dump(out, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    scenario = textwrap.fill(
        f"Scenario {name}: {what}.", width=98, initial_indent="# ", subsequent_indent="# "
    )
    path.write_text(HEADER.format(api=API) + scenario + "\n" + text, "utf-8")


# -- recording -----------------------------------------------------------------------------


@contextlib.contextmanager
def frozen(clock: Clock) -> Iterator[None]:
    """Make every place the tool reads the time read `clock` (bound names included)."""
    with (
        mock.patch("incident_tool.core.record.utcnow", clock),
        mock.patch("incident_tool.app.utcnow", clock),
        mock.patch("incident_tool.effects.mirror.utcnow", clock),
    ):
        yield


@contextlib.contextmanager
def action_env(env: dict[str, str]) -> Iterator[None]:
    """Set up the Actions job's environment: GitHub set, Slack (and bot override) unset."""
    with mock.patch.dict(os.environ, env):
        for name in ("SLACK_BOT_TOKEN", "SLACK_API_URL", "INCIDENT_TOOL_BOT_LOGIN"):
            os.environ.pop(name, None)
        yield


def tools_for(env: dict[str, str], cfg: Any, root: Path, log: list[str]) -> Tools:
    """Build the run's Tools exactly as `incident-tool handle` does (verbs.common.open_tools)."""
    from incident_tool.verbs import common

    with action_env(env):
        return common.open_tools(REPO, cfg, root, dry_run=False, log=log.append)


def record_run(
    sb: Sandbox,
    clock: Clock,
    env: dict[str, str],
    cfg: Any,
    work: Path,
    name: str,
    what: str,
    event_name: str,
    payload: dict[str, Any],
) -> Outcome:
    """Handle one webhook as `incident-tool handle` would, recording its requests."""
    from incident_tool import app as run
    from incident_tool.inbound import events

    # Through a file, as Actions hands the event over (GITHUB_EVENT_PATH) and demo.py does.
    event_path = work / "event.json"
    event_path.write_text(json.dumps(payload), "utf-8")
    event = events.load(event_path, event_name)
    # The same two early exits as `incident-tool handle`: a recorded run must be a real one.
    if reason := event.ignore_reason():
        raise SystemExit(f"{name}: the tool would ignore this event: {reason}")
    if event.sender_is_bot and event.name == "issues" and event.action == "labeled":
        raise SystemExit(f"{name}: the tool ignores labels changed by a bot")
    log: list[str] = []
    tools = tools_for(env, cfg, work, log)
    path = OUT / f"{name}.yaml"
    path.unlink(missing_ok=True)
    base = sb.github_url
    with (
        action_env(env),
        frozen(clock),
        vcr.use_cassette(
            str(path),
            record_mode="all",
            filter_headers=["authorization"],
            decode_compressed_response=True,
            before_record_request=request_hook(base),
            before_record_response=response_hook(base, clock),
        ),
    ):
        outcome = run.handle(event, tools, now=clock())
    finish(
        path,
        name,
        what,
        {
            "scenario": name,
            "now": clock().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "event_name": event_name,
            "event": rewrite_json(payload, base),
        },
    )
    return outcome


def record_all(say: Callable[[str], None] = print) -> dict[str, Outcome]:
    """Play the incident against a fresh sandbox and write one cassette per run."""
    from incident_sandbox import Sandbox, seed_demo
    from incident_tool import config

    OUT.mkdir(parents=True, exist_ok=True)
    clock = Clock(START)
    outcomes: dict[str, Outcome] = {}
    with Sandbox(clock=clock) as sb, tempfile.TemporaryDirectory(prefix="cassettes-") as tmp:
        team = seed_demo(sb)
        # Slack stays off (no SLACK_* variables), so GitHub's "busy" status is the only
        # availability signal: make the most senior responder busy to exercise it.
        sb.github.set_busy("sam")
        CONFIG_FILE.write_text(
            "# The .github/incident.yml the cassettes were recorded with (seed_demo's team);\n"
            "# written by `python tools/record_github_cassettes.py`.\n"
            + yaml.safe_dump(team["config"], sort_keys=True),
            "utf-8",
        )
        cfg = config.load(CONFIG_FILE, required=True)
        env = {k: v for k, v in team["env"].items() if not k.startswith("SLACK_")}
        work = Path(tmp)  # no templates/ here: the packaged retrospective template is used
        for step in _steps():
            clock.moment = START + step.at
            step.act(sb)
            queued = sb.github.take_events()
            got = [f"{n}.{p.get('action')}" for n, p in queued]
            want = [kind for kind, _ in step.cassettes]
            if got != want:
                raise SystemExit(f"{step.what}: the sandbox queued {got}, expected {want}")
            for (event_name, payload), (_, name) in zip(queued, step.cassettes, strict=True):
                outcome = record_run(
                    sb, clock, env, cfg, work, name, step.what, event_name, payload
                )
                outcomes[name] = outcome
                if outcome.problems:
                    raise SystemExit(f"{name}: the run reported problems: {outcome.problems}")
                say(f"{name}: {outcome.state}; writes: {outcome.writes}")
        if sb.violations:
            raise SystemExit(f"undocumented requests: {sb.violations}")
    stale = sorted({p.stem for p in OUT.glob("*.yaml")} - set(outcomes))
    if stale:
        say(f"warning: cassettes no scenario records any more: {stale}")
    return outcomes


def main() -> int:
    """Record every cassette; exit 0, or with a message saying what went wrong."""
    # Run as a script, tools/ is on sys.path and the checkout is not: the package is imported
    # from this checkout, never from some other installed copy.
    sys.path.insert(0, str(ROOT))
    from incident_tool.effects import parallel

    # One request at a time, as the replay makes them (test_github_cassettes.py): a
    # cassette is one run's requests in order, and vcrpy records only the thread that
    # opened it.
    parallel.MAX_AT_ONCE = 1
    record_all()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
