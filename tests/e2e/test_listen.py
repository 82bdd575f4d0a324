"""`incident-tool listen` over a real Socket Mode connection: slack-sdk's client against the
sandbox's WebSocket server, as Slack would serve it (incident_sandbox/socket_mode.py).

A person acts in the sandbox's Slack; the sandbox sends the envelope; the listener
acknowledges it within Slack's 3 seconds and carries it out as a run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

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
