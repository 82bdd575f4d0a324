"""Requests made at once: one GitHub client shared by threads, the pause between writes only
for bulk writes, Slack deliveries in lanes, and the sandbox's latency that makes them overlap."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from github.Requester import HTTPRequestsConnectionClass

import incident_tool.effects.github as ghmod
from incident_sandbox import Sandbox, seed_demo
from incident_tool.effects.github import BULK_WRITES, WritePace, client
from incident_tool.effects.mirror import People
from incident_tool.effects.parallel import each

REPO = "wellcome/platform"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        seed_demo(sandbox)
        yield sandbox


def test_one_client_shared_by_threads_gets_each_thread_its_own_answer(
    sb: Sandbox, monkeypatch
) -> None:
    # PyGithub stores a request on its one connection, then sends it: with its own class,
    # threads sent each other's requests (28 of 30 answers wrong with this widened window).
    stores = HTTPRequestsConnectionClass.request

    def store_then_yield(self: Any, *args: Any, **kwargs: Any) -> None:
        stores(self, *args, **kwargs)
        time.sleep(0.005)  # another thread runs here

    monkeypatch.setattr(HTTPRequestsConnectionClass, "request", store_then_yield)
    numbers = [
        sb.github.open_issue(REPO, "rita", f"issue {i}", "body", labels=[])["number"]
        for i in range(12)
    ]
    sb.latency = {"github": 0.03}
    gh = client(sb.github.bot_token, sb.github_url)

    def title(number: int) -> str:
        _, data = gh.requester.requestJsonAndCheck("GET", f"/repos/{REPO}/issues/{number}")
        return str(data["title"])

    assert each(title, numbers) == [f"issue {i}" for i in range(12)]
    spans = sorted((r.started, r.time) for r in sb.requests)
    assert any(b[0] < a[1] for a, b in zip(spans, spans[1:], strict=False)), "none overlapped"


def test_a_run_writing_a_handful_never_pauses(sb: Sandbox, monkeypatch) -> None:
    monkeypatch.setattr(ghmod, "BULK_WRITE_INTERVAL", 1.0)  # GitHub's advice, as in production
    number = sb.github.open_issue(REPO, "rita", "an incident", "body", labels=[])["number"]
    gh = client(sb.github.bot_token, sb.github_url, bulk=True)
    started = time.monotonic()
    for i in range(BULK_WRITES):
        gh.requester.requestJsonAndCheck(
            "POST", f"/repos/{REPO}/issues/{number}/comments", input={"body": f"note {i}"}
        )
    assert time.monotonic() - started < 1.0
    assert gh.write_pace.paused == []  # type: ignore[attr-defined]
    assert len(sb.github.comments(REPO, number)) == BULK_WRITES


class FakeTime:
    """A clock that moves only when slept on."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def paced(monkeypatch) -> tuple[WritePace, FakeTime]:
    monkeypatch.setattr(ghmod, "BULK_WRITE_INTERVAL", 1.0)
    # GitHub's pace, whatever the shell running the tests has set (`demo --serve` prints
    # `export INCIDENT_TOOL_WRITE_PACE=0` for its sandbox).
    monkeypatch.delenv("INCIDENT_TOOL_WRITE_PACE", raising=False)
    fake = FakeTime()
    pace = WritePace()
    pace.clock, pace.sleep = (lambda: fake.now), fake.sleep
    return pace, fake


def test_bulk_writes_wait_a_second_after_the_previous_one(monkeypatch) -> None:
    pace, fake = paced(monkeypatch)
    for _ in range(BULK_WRITES):
        pace.before_write()
    assert fake.slept == []
    pace.before_write()
    pace.before_write()
    assert fake.slept == [1.0, 1.0]
    fake.now += 0.4  # the previous write started 0.4 s ago: 0.6 s left
    pace.before_write()
    assert fake.slept[-1] == pytest.approx(0.6)


def test_the_pause_ends_when_the_minute_has_no_more_than_the_handful(monkeypatch) -> None:
    pace, fake = paced(monkeypatch)
    for _ in range(BULK_WRITES + 1):
        pace.before_write()
    assert len(fake.slept) == 1
    fake.now += 61  # a minute later none of those writes counts
    for _ in range(BULK_WRITES):
        pace.before_write()
    assert len(fake.slept) == 1


def test_no_pause_when_the_interval_is_off(monkeypatch) -> None:
    pace, fake = paced(monkeypatch)
    monkeypatch.setattr(ghmod, "BULK_WRITE_INTERVAL", 0)
    for _ in range(3 * BULK_WRITES):
        pace.before_write()
    assert fake.slept == []


def test_people_look_an_email_up_once_when_asked_from_several_threads() -> None:
    calls: list[str] = []

    class Room:
        def lookup_email(self, email: str) -> str:
            calls.append(email)
            time.sleep(0.05)  # still looking when the other threads ask
            return "U0PRIYA"

    config: Any = SimpleNamespace(
        person=lambda login: SimpleNamespace(slack=None, email=f"{login}@example.org")
    )
    people = People(config, Room())  # type: ignore[arg-type]
    assert each(people.slack_id, ["priya", "Priya", "lee", "priya"]) == ["U0PRIYA"] * 4
    assert sorted(calls) == ["lee@example.org", "priya@example.org"]


def test_the_sandbox_latency_is_per_service_and_requests_overlap() -> None:
    with Sandbox(latency={"github": 0.2}) as sandbox:
        sandbox.github.add_repo(REPO)
        url = f"{sandbox.github_url}/repos/{REPO}"
        started = time.monotonic()
        with ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(lambda _: requests.get(url, timeout=5).status_code, range(4)))
        took = time.monotonic() - started
        slack_started = time.monotonic()
        requests.post(f"{sandbox.slack_url}api.test", timeout=5)
        slack_took = time.monotonic() - slack_started
        records = sandbox.requests
    assert statuses == [200] * 4
    assert 0.2 <= took < 0.6  # four at once, not one after another (0.8 s)
    assert slack_took < 0.15  # Slack has no latency set
    github = [r for r in records if r.service == "github"]
    assert all(r.time - r.started >= 0.2 for r in github)
    assert max(r.started for r in github) < min(r.time for r in github)  # all in flight at once


def test_a_declare_delivers_by_destination_at_once_each_channel_in_order(world) -> None:
    number = world.report()
    world.sb.latency = {"slack": 0.05}
    world.declare(number)
    world.sb.latency = {}
    channel = world.incident_channel(number)["id"]
    slack = [r for r in world.sb.requests if r.service == "slack"]
    posts = [
        r
        for r in slack
        if r.path.endswith("chat.postMessage") and (r.body or {}).get("channel") == channel
    ]
    assert len(posts) >= 2
    # The incident channel's messages one after another, in the record's order...
    assert all(b.started >= a.time for a, b in zip(posts, posts[1:], strict=False))
    texts = world.slack_texts(channel)
    assert "Search returns no results" in texts[0]  # the report first, as before
    # ...while its invitations, topic, purpose and the other destinations did not wait.
    writes = [r for r in slack if not r.path.endswith(("conversations.create",))]
    overlapping = [
        (a.path, b.path)
        for a in writes
        for b in writes
        if a is not b and a.started < b.started < a.time
    ]
    assert overlapping, "every Slack call waited for the previous one"


def test_the_write_pace_can_be_set_for_a_server_that_asks_for_none(monkeypatch):
    """INCIDENT_TOOL_WRITE_PACE: 0 turns the pace off (the sandbox the demo runs against);
    a value that is no number of seconds from 0 to 60 is refused, not ignored."""
    import pytest

    from incident_tool.effects import github
    from incident_tool.errors import UsageError

    monkeypatch.setenv("INCIDENT_TOOL_WRITE_PACE", "0")
    pace = github.WritePace()
    pace.sleep = lambda seconds: pytest.fail(f"waited {seconds} s")
    for _ in range(github.BULK_WRITES * 3):
        pace.before_write()
    assert pace.paused == []
    monkeypatch.setenv("INCIDENT_TOOL_WRITE_PACE", "2")
    slow = github.WritePace()
    slow.sleep, slow.clock = (lambda seconds: None), (lambda: 100.0)
    for _ in range(github.BULK_WRITES + 1):
        slow.before_write()
    assert slow.paused == [2.0]  # past the burst, one write every 2 s
    for bad in ("abc", "-1", "61", "nan"):
        monkeypatch.setenv("INCIDENT_TOOL_WRITE_PACE", bad)
        with pytest.raises(UsageError, match="INCIDENT_TOOL_WRITE_PACE must be seconds"):
            github.WritePace()
