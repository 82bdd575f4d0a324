"""A report nested too deeply is refused in one clean line (issue #23, item 11): `details`
300-990 levels deep gave "unexpected RecursionError" before."""

from __future__ import annotations

import json
from typing import Any

import pytest

from incident_sandbox import demo
from incident_tool.inbound import alerts
from tests.e2e.test_alerts import ALERT, example_event
from tests.world import REPO


def nested(depth: int, *, kind: type = dict) -> Any:
    """`depth` levels of objects (or lists), built without recursion."""
    value: Any = {} if kind is dict else []
    for _ in range(depth - 1):
        value = {"a": value} if kind is dict else [value]
    return value


@pytest.mark.parametrize("depth", [300, 600, 990])
def test_deeply_nested_details_are_refused_cleanly(world, monkeypatch, depth):
    world.driver.env["GITHUB_ACTIONS"] = "true"
    world.sb.reset_log()
    # The event file is written as text: this process cannot json.dumps 990 levels itself.
    deep = '{"a":' * (depth - 1) + "{}" + "}" * (depth - 1)

    class DeepJson:
        @staticmethod
        def dumps(value: Any) -> str:
            return json.dumps(value).replace('"DEEP"', deep)

    monkeypatch.setattr(demo, "json", DeepJson)
    event = example_event({**ALERT, "details": {"rate": "DEEP"}})
    code, output = world.driver.run("repository_dispatch", event)
    lines = [x for x in output.splitlines() if x.startswith("error: ")]
    assert len(lines) == 1, output
    if code == 2:
        # Near Python's recursion limit (about 1,000 levels less this process's stack)
        # reading the event file refuses it already, as cleanly.
        assert depth > 500 and "is nested too deeply to be a GitHub webhook payload" in lines[0]
    else:
        assert code == 1 and "Nothing was created" in lines[0]
        assert f"`details` nested deeper than {alerts.MAX_DEPTH} levels" in lines[0]
    assert "RecursionError" not in output and "Traceback" not in output
    assert world.gh.issues(REPO) == [] and world.sb.requests == []


@pytest.mark.parametrize("kind", [dict, list])
def test_the_limit_is_exact_and_any_depth_is_answered(kind):
    inside = alerts.MAX_DEPTH - 1  # `details` itself is the first level
    fits = alerts.from_payload({**ALERT, "details": {"k": nested(inside, kind=kind)}})
    assert fits.details["k"] == nested(inside, kind=kind)
    for depth in (inside + 1, 100_000):
        with pytest.raises(alerts.PayloadError, match="nested deeper than 20 levels"):
            alerts.from_payload({**ALERT, "details": {"k": nested(depth, kind=kind)}})


def test_a_person_s_inputs_are_held_to_the_same_depth():
    with pytest.raises(alerts.PayloadError, match="`summary` nested deeper"):
        alerts.from_inputs({"title": "x", "summary": nested(2000)}, sender="lee")
