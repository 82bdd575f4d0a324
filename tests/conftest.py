"""Shared fixtures: an end-to-end world on the sandbox, checked for API drift at teardown."""

from __future__ import annotations

import http.client
import threading
from datetime import timedelta

import pytest
from hypothesis import settings

import incident_tool.app as run_module
from incident_tool.core.record import utcnow
from tests.world import World, make_world

# No per-example deadline: on a busy 2-core CI machine a slow example is not a bug (the
# parsers' speed is tested on its own, on 65k inputs).
settings.register_profile("incident-tool", deadline=None)
settings.load_profile("incident-tool")


def check_world(world: World) -> None:
    """After every end-to-end test: no undocumented API call, and no token anywhere."""
    sb = world.sb
    assert not sb.violations, f"undocumented API calls: {sb.violations}"
    env = world.team["env"]
    secrets = [env["GITHUB_TOKEN"], env["SLACK_BOT_TOKEN"], env["SLACK_APP_TOKEN"]]
    seen = [world.driver.log]
    for issue in world.gh.issues("wellcome/platform"):
        seen += [issue["title"], issue["body"] or ""]
        seen += [c["body"] for c in world.gh.comments("wellcome/platform", issue["number"])]
    for channel in world.sl.channels():
        seen += [
            m.get("text", "") + str(m.get("blocks") or "") for m in sb.slack.messages(channel["id"])
        ]
    for user in world.team["slack_ids"].values():
        seen += [m.get("text", "") for m in world.sl.dms(user)]
    summary = world.root / "summary.md"
    if summary.exists():
        seen.append(summary.read_text())
    leaked = [s for s in secrets if any(s in text for text in seen)]
    assert not leaked, "a token appeared in output, a comment, an issue or a Slack message"


@pytest.fixture
def world(tmp_path) -> World:
    sb, world = make_world(tmp_path)
    try:
        yield world
        check_world(world)
    finally:
        sb.close()


@pytest.fixture
def world_without_slack(tmp_path) -> World:
    sb, world = make_world(tmp_path, slack=False)
    try:
        yield world
        check_world(world)
    finally:
        sb.close()


@pytest.fixture(autouse=True)
def quick_bulk_writes(monkeypatch):
    """GitHub asks bulk jobs to pause 1 s between writes; the sandbox does not need it."""
    monkeypatch.setattr("incident_tool.effects.github.BULK_WRITE_INTERVAL", 0)


_deciding = threading.local()


@pytest.fixture(autouse=True)
def decisions_make_no_request(monkeypatch):
    """Every scenario of the suite checks that deciding calls out to nothing: a request made
    while the decisions run (app.run_decisions) fails the test. Facts are gathered between
    decision rounds, never during one (core/facts.py)."""
    real_decisions, real_request = run_module.run_decisions, http.client.HTTPConnection.request

    def deciding(*args, **kwargs):
        _deciding.on = True
        try:
            return real_decisions(*args, **kwargs)
        finally:
            _deciding.on = False

    made: list[str] = []  # also kept: a run may catch the error and carry on

    def request(self, method, url, *args, **kwargs):
        if getattr(_deciding, "on", False):
            made.append(f"{method} {url}")
            raise AssertionError(f"a decision made a request: {method} {url}")
        return real_request(self, method, url, *args, **kwargs)

    monkeypatch.setattr(run_module, "run_decisions", deciding)
    monkeypatch.setattr(http.client.HTTPConnection, "request", request)
    yield made
    assert made == [], f"decisions made requests: {made}"


@pytest.fixture
def later(monkeypatch):
    """Move the tool's clock forward by some minutes."""

    def move(minutes: int) -> None:
        moment = utcnow() + timedelta(minutes=minutes)
        monkeypatch.setattr(run_module, "utcnow", lambda: moment)

    return move
