"""A resolved or dismissed incident's status comment asks nobody for anything (issue #22,
item 6); its follow-up actions link the issues they became; the retrospective says the
severity."""

from __future__ import annotations

from datetime import timedelta

import pytest

from incident_tool.core.followups import action_key
from incident_tool.core.record import Record, iso
from incident_tool.core.states import State
from incident_tool.core.status import render
from tests.fakes import CONFIG, T0


def waiting_record(state: State) -> Record:
    record = Record(state=state, leads=["lee"], severity=2)
    record.ack = {"lead": "lee", "since": iso(T0)}
    record.missing = ("Impact on users",)
    return record


def visible(record: Record) -> str:
    return render(record, CONFIG, repo="o/r", updated=T0).split("<!-- incident-tool:data")[0]


@pytest.mark.parametrize("state", [State.RESOLVED, State.DISMISSED])
def test_an_incident_that_is_over_waits_for_nobody(state):
    shown = visible(waiting_record(state))
    assert "to acknowledge" not in shown
    assert "Missing from the report" not in shown and "please add" not in shown.lower()


@pytest.mark.parametrize("state", [State.DECLARED, State.MITIGATED])
def test_an_open_incident_still_asks(state):
    shown = visible(waiting_record(state))
    assert "waiting for" in shown and "to acknowledge" in shown
    assert "Missing from the report:** Impact on users" in shown


def test_a_follow_up_action_links_the_issue_it_became():
    record = Record(state=State.RESOLVED, leads=["lee"])
    opened = record.note(T0, "action", "lee", "Add an alert")
    record.note(T0 + timedelta(minutes=1), "action", "sam", "Write a runbook")
    record.followups[action_key(opened)] = {"issue": 42, "id": 9}
    shown = visible(record)
    assert "- [ ] Add an alert ([lee](https://github.com/lee)): #42" in shown
    assert "- [ ] Write a runbook ([sam](https://github.com/sam))\n" in shown


def test_the_retrospective_summary_says_the_severity(tmp_path):
    from incident_tool.effects.retrospective import render as render_retro
    from tests.e2e.test_retrospective import resolved_record
    from tests.fakes import issue

    record = resolved_record()
    body = render_retro(issue(), record, CONFIG, root=tmp_path, slack=[]).body
    summary = body.split("## Summary")[1].split("## Impact")[0]
    assert "**Severity:** 2 (1 is the worst)" in summary
    record.severity = None
    body = render_retro(issue(), record, CONFIG, root=tmp_path, slack=[]).body
    assert "**Severity:** _not set_" in body.split("## Impact")[0]


def test_without_a_time_zone_the_timeline_says_utc_once(tmp_path):
    from dataclasses import replace

    from incident_tool.effects.retrospective import render as render_retro
    from tests.e2e.test_retrospective import resolved_record
    from tests.fakes import issue

    utc = replace(CONFIG, timezone="UTC")
    record = waiting_record(State.DECLARED)
    record.note(T0, "declared", "dana")
    shown = visible_with(record, utc)
    assert "Timeline (UTC)</summary>" in shown and "UTC, and UTC" not in shown
    assert "| UTC | What |\n|---|---|\n| 2026-11-26 09:00 | Declared by" in shown
    body = render_retro(issue(), resolved_record(), utc, root=tmp_path, slack=[]).body
    assert "| UTC | Where | What |\n|---|---|---|\n| 2026-11-26 09:00 | GitHub |" in body
    assert "| UTC | UTC |" not in body
    # With a zone, both columns as before.
    zoned = render_retro(issue(), resolved_record(), CONFIG, root=tmp_path, slack=[]).body
    assert "| UTC | Europe/London | Where | What |\n|---|---|---|---|" in zoned
    assert "Timeline (UTC, and Europe/London)" in visible_with(record, CONFIG)


def visible_with(record: Record, config) -> str:
    return render(record, config, repo="o/r", updated=T0).split("<!-- incident-tool:data")[0]
