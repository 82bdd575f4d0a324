"""`incident-tool listen`: the live Slack connection, as a process (docs/usage.md#live-slack).

It holds a Socket Mode connection and carries each interaction out as a run (incident_tool
/live.py). Around that, the process's own life: a health file touched while connected
(the container's HEALTHCHECK reads it), `--until-idle` (exit once no incident has been
open that long: three issue lists every few minutes), `--max-hours` (in Actions, start the
successor and stay connected beside it for a while, then exit: no gap), and SIGTERM
(finish the interactions in hand, exit 0).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

from incident_tool.errors import EXIT_USAGE
from incident_tool.verbs.common import _out, _repo, api_url, fail, open_tools, team_config

HEALTH_FILE = "/tmp/incident-tool-live.health"  # Dockerfile HEALTHCHECK: touched every 30 s
TICK = 30.0  # seconds between the process's own checks
IDLE_CHECK = 300.0  # seconds between looks for open incidents (3 list requests each)
OVERLAP = 180.0  # seconds the old connection stays beside its successor


def run(
    repo: str | None,
    config_path: str | None,
    until_idle: int | None,
    max_hours: float | None,
) -> None:
    """Connect to Slack in Socket Mode and carry out what people do there, until told to stop."""
    out = _out()
    app_token = os.environ.get("SLACK_APP_TOKEN", "").strip()
    if not app_token.startswith("xapp-"):
        fail(
            "SLACK_APP_TOKEN is not set to an app-level token (xapp-…): make one with the "
            "`connections:write` scope under the Slack app's Basic Information, App-Level "
            "Tokens, and store it as the SLACK_APP_TOKEN secret",
            EXIT_USAGE,
        )
    if not os.environ.get("SLACK_BOT_TOKEN", "").strip():
        fail("SLACK_BOT_TOKEN is not set: the live connection answers as the bot", EXIT_USAGE)
    root = Path.cwd()
    repo = _repo(repo)
    cfg, _ = team_config(config_path, root, repo, log=out)
    tools = open_tools(repo, cfg, root, dry_run=False, log=out)
    from incident_tool.effects.socket import LiveConnection
    from incident_tool.live import Listener

    listener = Listener(tools)
    connection = LiveConnection(app_token, api_url("SLACK_API_URL"), listener.receive, out)
    life = Life(tools, until_idle, max_hours, out)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, life.stop)
    connection.connect()
    out(f"listening to Slack for {repo} (Socket Mode)")
    try:
        life.run(connection)
    finally:
        connection.close()  # waits for the interactions in hand
        out(f"stopped: {listener.runs} run(s) for {connection.received} envelope(s)")


class Life:
    """When the process stops: told to, idle for long enough, or at its time limit."""

    def __init__(
        self, tools: Any, until_idle: int | None, max_hours: float | None, out: Any
    ) -> None:
        self.tools, self.out = tools, out
        self.until_idle = until_idle
        self.deadline = time.monotonic() + max_hours * 3600 if max_hours else None
        self.stopping = threading.Event()
        self.idle_since: float | None = None
        self.successor_at: float | None = None

    def stop(self, *_: Any) -> None:
        self.out("SIGTERM: finishing the interactions in hand")
        self.stopping.set()

    def run(self, connection: Any) -> None:
        next_look = 0.0
        while True:
            if connection.connected:
                Path(os.environ.get("INCIDENT_TOOL_HEALTH_FILE", HEALTH_FILE)).touch()
            now = time.monotonic()
            if self.until_idle is not None and now >= next_look:
                next_look = now + IDLE_CHECK
                if self.idle_long_enough(now):
                    self.out(f"no incident open for {self.until_idle} minutes: exiting")
                    return
            if self.deadline is not None and self.hand_over(now):
                return
            if self.stopping.wait(TICK):
                return

    def idle_long_enough(self, now: float) -> bool:
        from incident_tool.core.states import State
        from incident_tool.effects.github import GitHubError

        gateway = self.tools.gateway
        try:
            open_now = any(
                gateway.issues_page(what="list open incidents", state="open", labels=[s.label])
                for s in (State.REPORTED, State.DECLARED, State.MITIGATED)
            )
        except GitHubError as exc:
            self.out(f"notice: {exc}")
            return False
        if open_now:
            self.idle_since = None
            return False
        if self.idle_since is None:
            self.idle_since = now
        return now - self.idle_since >= (self.until_idle or 0) * 60

    def hand_over(self, now: float) -> bool:
        """Near the time limit: start the successor, stay beside it, then exit."""
        assert self.deadline is not None
        if self.successor_at is None and now >= self.deadline - OVERLAP:
            from incident_tool.effects.github import GitHubError

            self.successor_at = now
            ref = os.environ.get("GITHUB_REF_NAME") or "main"
            try:
                self.tools.gateway.dispatch_workflow("incident-live.yml", ref)
                self.out("started the successor: staying connected beside it for a while")
            except GitHubError as exc:
                self.out(f"notice: could not start the successor ({exc}); the sweep will")
        return self.successor_at is not None and now >= self.successor_at + OVERLAP


def in_background(say: Any) -> Any:
    """Listen in this process beside other work (the demo's Slack-first incident), with the
    environment and folder as they are now; return the function that stops it."""
    from incident_tool.effects.socket import LiveConnection
    from incident_tool.live import Listener

    stopped = threading.Event()

    def log(text: str) -> None:
        # A closing socket's last words, and those of a run still delivering when the demo
        # stops (its sandbox gone), are not the demo's.
        if not stopped.is_set():
            say(text)

    root = Path.cwd()
    repo = _repo(None)
    cfg, _ = team_config(None, root, repo, log=lambda _: None)
    tools = open_tools(repo, cfg, root, dry_run=False, log=log)
    listener = Listener(tools)
    app_token = os.environ.get("SLACK_APP_TOKEN", "")

    connection = LiveConnection(app_token, api_url("SLACK_API_URL"), listener.receive, log)
    connection.connect()

    def stop() -> None:
        stopped.set()
        connection.close(wait=False)

    return stop
