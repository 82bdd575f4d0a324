"""JSON nested deeply in text people write is refused, not followed down (issue #23, item
11's other doors): a status comment's record and a report's alert marker. 5,000 levels gave
"unexpected RecursionError" and stopped every run, sweep and status page of the repository."""

from __future__ import annotations

import json
import re

import pytest

from incident_sandbox.demo import REPO, REPORT_BODY
from incident_tool.core import record as record_module
from incident_tool.core.record import (
    MAX_JSON_DEPTH,
    NOT_PROVEN,
    NOT_READABLE,
    TooDeep,
    extract_proven,
    load_json,
    seal,
)
from tests.world import cli

KEY = "k" * 40
DEEP_RECORD = '{"v":1,"x":' + "[" * 5000 + "]" * 5000 + "}"


def forge_deep(world, number: int) -> None:
    """Another workflow (writing as the bot) puts a record 5,000 levels deep in the comment."""
    status = world.status(number)
    forged = re.sub(
        r"<!-- incident-tool:data \{.*\} -->",
        lambda _: f"<!-- incident-tool:data {DEEP_RECORD} -->",
        status["body"],
        flags=re.S,
    )
    world.gh.edit_comment(REPO, status["id"], world.gh.bot_login, forged)


def problems(world, number: int, text: str) -> int:
    return sum(text in p for p in world.record(number).problems)


def clean(output: str) -> None:
    assert "RecursionError" not in output and "Traceback" not in output, output
    assert not [x for x in output.splitlines() if x.startswith("error")], output


@pytest.mark.parametrize("key", [KEY, None])
def test_a_record_nested_deep_stops_nothing_and_is_not_believed(world, key):
    if key:
        world.driver.env["INCIDENT_TOOL_RECORD_KEY"] = key
    number = world.report()
    world.declare(number)
    other = world.report("Checkout is slow")
    world.declare(other)
    forge_deep(world, number)
    # The team's /update on the forged incident is carried out, in a run that exits 0.
    world.gh.comment(REPO, number, "dana", "/update still looking")
    outputs = world.deliver()
    for output in outputs:
        clean(output)
    # With the key, the record this tool last sealed is restored from the status comment's
    # revisions; without it, the unreadable record is not believed.
    doubt = "is restored" if key else NOT_READABLE.format(reason="nested deeper than 20 levels")
    warnings = [x for out in outputs for x in out.splitlines() if x.startswith("warning")]
    assert len(warnings) == 1 and warnings[0].startswith(f"warning: #{number}: ")
    assert doubt in warnings[0]
    record = world.record(number)
    assert [e.text for e in record.timeline if e.kind == "update"] == ["still looking"]
    assert problems(world, number, doubt) == 1
    # The sweep and the status page go on, over both incidents; said once, not again.
    code, output = cli(world, "sweep", "--repo", REPO)
    assert code == 0
    clean(output)
    assert "swept 2 open incident(s)" in output
    code, output = cli(world, "status-page", "--repo", REPO, "--out", str(world.root / "site"))
    assert code == 0
    clean(output)
    assert problems(world, number, doubt) == 1
    assert 'incident-tool:data {"v":1,"x":[[' not in world.status(number)["body"]


def test_with_the_key_the_proof_is_checked_before_the_record_is_parsed(monkeypatch):
    body = f"<!-- incident-tool:status -->\nhi\n<!-- incident-tool:data {DEEP_RECORD} -->"

    def no_parsing(_text: str) -> None:
        raise AssertionError("a record without its proof was parsed")

    monkeypatch.setattr(record_module.json, "loads", no_parsing)
    assert extract_proven(body, KEY.encode(), "o/r", 7) == (None, NOT_PROVEN)
    # The tool's own sealed record is parsed, once proven.
    monkeypatch.undo()
    sealed = seal(body.replace(DEEP_RECORD, '{"v":1}'), KEY.encode(), "o/r", 7)
    record, doubt = extract_proven(sealed, KEY.encode(), "o/r", 7)
    assert record is not None and doubt is None


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_the_depth_limit_is_exact_and_any_depth_is_answered(opening):
    closing = "]" if opening == "[" else "}"

    def nested(depth: int) -> str:
        inner = "[]" if opening == "[" else "{}"
        return opening * (depth - 1) + inner + closing * (depth - 1)

    assert load_json(nested(MAX_JSON_DEPTH)) is not None
    for depth in (MAX_JSON_DEPTH + 1, 990, 5000, 100_000):
        with pytest.raises(TooDeep, match=f"nested deeper than {MAX_JSON_DEPTH} levels"):
            load_json(nested(depth))
    with pytest.raises(TooDeep):
        load_json("[" * 100_000)  # never closed: too deep before it is found not JSON
    with pytest.raises(json.JSONDecodeError):
        load_json("[" * MAX_JSON_DEPTH)


def test_an_outsider_s_report_with_a_deep_alert_marker_is_an_ordinary_report(world):
    deep = "[" * 20_000 + "]" * 20_000
    body = REPORT_BODY + f'\n<!-- incident-tool:alert {{"fingerprint":"x","d":{deep}}} -->\n'
    number = world.gh.open_issue(REPO, "olly", "Deep", body, labels=["incident:reported"])
    outputs = world.deliver()
    for output in outputs:
        clean(output)
    record = world.record(number["number"])
    assert record.alert is None
    code, output = cli(world, "sweep", "--repo", REPO)
    assert code == 0
    clean(output)
    # The team's work elsewhere goes on.
    ok = world.report("Search is down")
    world.declare(ok)
    assert world.state_labels(ok) == ["incident:declared"]
