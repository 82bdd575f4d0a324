"""`incident-tool listen` over a real Socket Mode connection: slack-sdk's client against the
sandbox's WebSocket server, as Slack would serve it (incident_sandbox/socket_mode.py).

A person acts in the sandbox's Slack; the sandbox sends the envelope; the listener
acknowledges it within Slack's 3 seconds and carries it out as a run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from incident_tool.effects.socket import LiveConnection
from incident_tool.live import Listener
from tests.e2e.test_live import LOG, buttons_on, listener
from tests.world import REPO


def eventually(check: Callable[[], object], timeout: float = 10.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s; the listener said: {LOG[-5:]}")


@pytest.fixture
def live(world) -> Iterator[tuple[Listener, LiveConnection]]:
    from incident_sandbox.demo import environment

    world.write_config(slack={**world.team["config"]["slack"], "live": "external"})
    listen = listener(world)
    with environment(world.driver.env):
        connection = LiveConnection(
            world.sl.app_token, world.sb.slack_url, listen.receive, LOG.append
        )
        connection.connect()
        eventually(lambda: world.sb.socket_mode.connections)
        try:
            yield listen, connection
        finally:
            connection.close()


def test_a_slash_command_is_acknowledged_in_time_and_carried_out(world, live):
    number = world.report()
    world.declare(number)
    channel = world.record(number).channel_id
    priya = world.team["slack_ids"]["priya"]
    started = time.monotonic()
    world.sl.slash_command(priya, channel, "/incident", "update the cache is warm again")
    eventually(lambda: any(e.kind == "update" for e in world.record(number).timeline))
    took = time.monotonic() - started
    assert took < 3.0, took
    assert world.sl.commands_failed == []  # acknowledged within 3 s
    [update] = [e.text for e in world.record(number).timeline if e.kind == "update"]
    assert update == "the cache is warm again"


def test_the_report_modal_opens_a_report_issue(world, live):
    dana = world.team["slack_ids"]["dana"]
    channel = world.sl.channel_by_name("wc-platform")["id"]
    before = {i["number"] for i in world.gh.issues(REPO)}
    world.sl.slash_command(dana, channel, "/incident", "")
    view = eventually(lambda: next(iter(world.sl.open_views(dana)), None))
    world.sl.submit_view(
        dana,
        view["id"],
        {
            "title": {"value": {"type": "plain_text_input", "value": "Checkout times out"}},
            "summary": {"value": {"type": "plain_text_input", "value": "Payments hang"}},
        },
    )
    opened = eventually(lambda: {i["number"] for i in world.gh.issues(REPO)} - before)
    [number] = list(opened)
    issue = world.issue(number)
    assert issue["title"] == "Checkout times out"
    assert "incident:reported" in world.labels(number)
    assert eventually(lambda: any("your report is" in m["text"] for m in world.sl.dms(dana)))


def test_a_modal_missing_its_title_stays_open_with_the_error(world, live):
    dana = world.team["slack_ids"]["dana"]
    channel = world.sl.channel_by_name("wc-platform")["id"]
    world.sl.slash_command(dana, channel, "/incident", "")
    view = eventually(lambda: next(iter(world.sl.open_views(dana)), None))
    world.sl.submit_view(
        dana, view["id"], {"summary": {"value": {"type": "plain_text_input", "value": "x"}}}
    )
    errors = eventually(lambda: world.sl.views[view["id"]].errors)
    assert errors == {"title": "Please fill this in."}


def test_a_button_press_over_the_socket(world, live):
    number = world.report()
    dana = world.team["slack_ids"]["dana"]
    [dm] = [m for m in world.sl.dms(dana) if buttons_on(m)]
    im = next(c for c in world.sl.channels_by_id.values() if c.is_im and c.im_user == dana).id
    world.sl.click(dana, im, dm["ts"], "incident:declare")
    eventually(lambda: world.record(number).state.value == "declared")


def test_after_a_disconnect_the_client_reconnects_within_two_seconds(world, live):
    _, connection = live
    world.sb.socket_mode.disconnect("refresh_requested")
    started = time.monotonic()
    time.sleep(0.2)
    eventually(lambda: connection.connected and world.sb.socket_mode.connections, 5.0)
    assert time.monotonic() - started < 2.0
    number = world.report()
    world.declare(number)
    channel = world.record(number).channel_id
    world.sl.slash_command(world.team["slack_ids"]["priya"], channel, "/incident", "update ok")
    eventually(lambda: any(e.kind == "update" for e in world.record(number).timeline))


def test_listen_as_a_process_touches_its_health_file_and_stops_on_sigterm(world, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    health = tmp_path / "live.health"
    env = {
        **os.environ,
        **world.driver.env,
        "INCIDENT_TOOL_HEALTH_FILE": str(health),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "incident_tool", "listen", "--repo", REPO],
        cwd=world.root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        eventually(health.exists, 15.0)
        assert world.sb.socket_mode.connections == 1
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output
    assert "listening to Slack" in output and "stopped:" in output
    assert "Traceback" not in output
    assert world.sl.app_token not in output and world.sl.bot_token not in output


def test_listen_without_an_app_token_says_how_to_make_one(world):
    from tests.world import cli

    world.driver.env["SLACK_APP_TOKEN"] = "xoxb-not-an-app-token"
    code, output = cli(world, "listen", "--repo", REPO)
    assert code == 2 and "connections:write" in output and "xoxb-not" not in output


class _Gateway:
    """What Life asks of GitHub: open incidents, and dispatching its successor."""

    def __init__(self, open_lists: list[list[int]]) -> None:
        self.open_lists, self.dispatched = open_lists, []

    def issues_page(self, **_):
        return self.open_lists.pop(0) if self.open_lists else []

    def dispatch_workflow(self, name: str, ref: str) -> None:
        self.dispatched.append((name, ref))


def test_until_idle_counts_from_the_first_look_that_finds_nothing_open():
    from types import SimpleNamespace

    from incident_tool.verbs.listen import Life

    gateway = _Gateway([[7], [], [], []])  # one incident open at the first look, then none
    life = Life(SimpleNamespace(gateway=gateway), 15, None, lambda _: None)
    assert not life.idle_long_enough(0.0)  # #7 is open (one list answered)
    gateway.open_lists = [[], [], []] * 3
    assert not life.idle_long_enough(0.0)  # idle since now (a clock's first reading can be 0)
    gateway.open_lists = [[], [], []] * 3
    assert not life.idle_long_enough(60.0)
    assert not life.idle_long_enough(14 * 60)
    assert life.idle_long_enough(15 * 60)


def test_near_its_time_limit_it_starts_a_successor_then_overlaps_before_exiting():
    from types import SimpleNamespace

    from incident_tool.verbs import listen

    gateway = _Gateway([])
    life = listen.Life(SimpleNamespace(gateway=gateway), None, 1.0, lambda _: None)
    assert life.deadline is not None
    end = life.deadline
    assert not life.hand_over(end - listen.OVERLAP - 1)  # not yet
    assert not life.hand_over(end - listen.OVERLAP)  # successor started, still connected
    assert gateway.dispatched == [("incident-live.yml", "main")]
    assert not life.hand_over(end - 1)
    assert life.hand_over(end)  # overlapped long enough: exit
    assert len(gateway.dispatched) == 1


def test_by_hand_over_http_a_person_reports_with_the_modal_and_declares_with_the_button(
    world, live
):
    """`demo --serve`: what a person does in Slack's client (a slash command, a modal, a
    button) reaches the listener through the sandbox's /_person/ paths, with their token."""
    import json
    import urllib.request

    def person(login: str, method: str, act: str, args: dict | None = None) -> dict:
        token = world.sl.user_token(world.team["slack_ids"][login])
        request = urllib.request.Request(
            f"{world.sb.slack_url.removesuffix('api/')}_person/{act}",
            data=json.dumps(args).encode() if args is not None else None,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            method=method,
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            return json.loads(answer.read())

    channel = world.sl.channel_by_name("wc-platform")["id"]
    before = {i["number"] for i in world.gh.issues(REPO)}
    assert person("rita", "POST", "slash", {"channel": channel, "text": ""}) == {"ok": True}
    views = eventually(lambda: person("rita", "GET", "views")["views"])
    title = {"value": {"type": "plain_text_input", "value": "Checkout times out"}}
    summary = {"value": {"type": "plain_text_input", "value": "Payments hang"}}
    submitted = {"view_id": views[-1]["id"], "values": {"title": title, "summary": summary}}
    assert person("rita", "POST", "submit", submitted) == {"ok": True}
    [number] = list(eventually(lambda: {i["number"] for i in world.gh.issues(REPO)} - before))
    # The delivery manager's DM carries Declare: pressed by hand.
    dana = world.team["slack_ids"]["dana"]
    dm = eventually(lambda: [m for m in world.sl.dms(dana) if buttons_on(m)])[-1]
    im = next(c.id for c in world.sl.channels_by_id.values() if c.is_im and c.im_user == dana)
    pressed = {"channel": im, "ts": dm["ts"], "action_id": "incident:declare"}
    assert person("dana", "POST", "click", pressed) == {"ok": True}
    assert eventually(lambda: "incident:declared" in world.labels(number))
    # A bad act is a clear 400, not a hang; another person's token is not theirs.
    with pytest.raises(urllib.error.HTTPError) as refused:
        person("dana", "POST", "click", {"channel": im, "ts": dm["ts"]})
    assert refused.value.code == 400
