"""An end-to-end world: the sandbox with the demo team, and a driver for `handle`."""

from __future__ import annotations

import contextlib
import io
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

import yaml

from incident_sandbox import Sandbox, seed_demo
from incident_sandbox.demo import REPORT_BODY, Driver, chdir, environment
from incident_tool.cli import main

T = TypeVar("T")

REPO = "wellcome/platform"


class SteppingClock:
    """A clock that moves one second per reading: people do not act twice in one second,
    and GitHub's timestamps have whole seconds (an edit must show as an edit)."""

    def __init__(self) -> None:
        self.now = datetime.now(timezone.utc).replace(microsecond=0)
        self.lock = threading.Lock()

    def __call__(self) -> datetime:
        with self.lock:
            self.now += timedelta(seconds=1)
            return self.now


@dataclass
class World:
    sb: Sandbox
    team: dict[str, Any]
    driver: Driver
    root: Path
    clock: SteppingClock

    @property
    def gh(self):
        return self.sb.github

    @property
    def sl(self):
        return self.sb.slack

    def write_config(self, **changes: Any) -> None:
        config = json.loads(json.dumps(self.team["config"]))
        for key, value in changes.items():
            if isinstance(value, dict) and isinstance(config.get(key), dict):
                config[key].update(value)
            else:
                config[key] = value
        (self.root / ".github" / "incident.yml").write_text(yaml.safe_dump(config), "utf-8")

    def deliver(self, *, expect: int = 0) -> list[str]:
        """Run `handle` for each webhook queued that starts incident.yml's job, as GitHub
        would: its `on:` (the Driver's) and its job's `if` (tests/workflow_if.py)."""
        from incident_sandbox.demo import starts_incident_yml
        from tests.workflow_if import starts_job

        queued = self.sb.github.take_events()
        events = [e for e in queued if starts_incident_yml(*e) and starts_job(*e)]
        outputs = []
        for code, output in self.driver.deliver(events):
            assert code == expect, output
            outputs.append(output)
        return outputs

    def report(
        self,
        title: str = "Search returns no results",
        body: str = REPORT_BODY,
        by: str = "rita",
        labels: tuple[str, ...] = ("incident:reported",),
    ) -> int:
        issue = self.gh.open_issue(REPO, by, title, body, labels=list(labels))
        self.deliver()
        return issue["number"]

    def declare(self, number: int, by: str = "dana") -> None:
        self.gh.add_label(REPO, number, by, "incident:declared")
        self.deliver()

    def say(self, number: int, who: str, body: str, *, deliver: bool = True) -> dict:
        comment = self.gh.comment(REPO, number, who, body)
        if deliver:
            self.deliver()
        return comment

    def issue(self, number: int) -> dict:
        return self.gh.issue(REPO, number)

    def labels(self, number: int) -> list[str]:
        return sorted(label["name"] for label in self.issue(number)["labels"])

    def state_labels(self, number: int) -> list[str]:
        return [x for x in self.labels(number) if x.startswith("incident:")]

    def assignees(self, number: int) -> list[str]:
        return sorted(a["login"] for a in self.issue(number)["assignees"])

    def bot_comments(self, number: int) -> list[dict]:
        bot = self.gh.bot_login
        return [c for c in self.gh.comments(REPO, number) if c["user"]["login"] == bot]

    def status(self, number: int) -> dict:
        found = [
            c for c in self.bot_comments(number) if "<!-- incident-tool:status -->" in c["body"]
        ]
        assert len(found) == 1, f"{len(found)} status comments"
        return found[0]

    def record(self, number: int):
        from incident_tool.core.record import extract

        return extract(self.status(number)["body"])

    def retrospectives(self) -> list[dict]:
        return [i for i in self.gh.issues(REPO) if i["title"].startswith("Retrospective:")]

    def incident_channel(self, number: int) -> dict:
        [channel] = [
            c
            for c in self.sl.channels()
            if c["name"].startswith(f"incident-{number}-") or c["name"] == f"incident-{number}"
        ]
        return channel

    def slack_texts(self, channel_id: str) -> list[str]:
        return [
            m.get("text", "") + json.dumps(m.get("blocks") or [])
            for m in self.sl.messages(channel_id)
        ]

    def snapshot(self, number: int) -> dict:
        """The state that must come out the same however events were delivered."""
        record = self.record(number)
        issue = self.issue(number)
        channels = [c for c in self.sl.channels() if c["name"].startswith("incident-")]
        return {
            "labels": self.labels(number),
            "assignees": self.assignees(number),
            "state": (issue["state"], issue.get("state_reason")),
            "bot_comments": sorted(c["body"].split("\n")[0] for c in self.bot_comments(number)),
            "reactions": sorted(
                (c["id"], len(self.gh.reactions(c["id"]))) for c in self.gh.comments(REPO, number)
            ),
            "record_state": record.state.value if record.state else None,
            "leads": record.leads,
            "helping": record.helping,
            "channels": len(channels),
            "messages": sorted(
                m.get("text", "")
                for c in channels
                for m in self.sl.messages(c["id"])
                if m.get("user") == self.sl.bot_user_id
            ),
            "retrospectives": len(self.retrospectives()),
        }


def make_world(tmp_path: Path, *, slack: bool = True) -> tuple[Sandbox, World]:
    clock = SteppingClock()
    sb = Sandbox(clock=clock)
    sb.__enter__()
    team = seed_demo(sb)
    root = tmp_path / "checkout"
    (root / ".github").mkdir(parents=True)
    env = dict(team["env"])
    # As in Actions: the job summary file, which every run appends to (checked for tokens).
    env["GITHUB_STEP_SUMMARY"] = str(root / "summary.md")
    if not slack:
        env["SLACK_BOT_TOKEN"] = ""
    world = World(sb, team, Driver(sb, env, root, main), root, clock)
    world.write_config()
    return sb, world


def cli(world, *args: str) -> tuple[int, str]:
    """Run the CLI as a person would in the repository checkout, against the sandbox."""
    out = io.StringIO()
    with (
        environment(world.driver.env),
        chdir(world.root),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(out),
    ):
        try:
            main(list(args))
        except SystemExit as exc:
            return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def elsewhere(func: Callable[[], T]) -> T:
    """Run `func` as another process would: in a thread of its own, waited for (a run that
    starts while this one decides is not part of this one's decisions)."""
    done: list[T] = []
    worker = threading.Thread(target=lambda: done.append(func()))
    worker.start()
    worker.join()
    assert done, "the other run failed (see its output above)"
    return done[0]
