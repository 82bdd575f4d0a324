"""The retrospective: every section the template has, user text as data, package default."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from incident_tool.core.record import Entry, Record, iso
from incident_tool.core.states import State
from incident_tool.effects.retrospective import TemplateError, render
from tests.fakes import CONFIG, T0, issue


def resolved_record() -> Record:
    record = Record(
        state=State.RESOLVED,
        leads=["sam", "priya"],
        helping=["lee"],
        stopped=["rita"],
        severity=2,
        resolved_when="results for 10 minutes",
    )
    record.note(T0, "reported", "rita")
    record.note(T0 + timedelta(minutes=4), "declared", "dana")
    record.note(T0 + timedelta(minutes=5), "handover", "sam", "sam → priya")
    record.note(T0 + timedelta(minutes=6), "resolved-when", "dana", "results for 10 minutes")
    record.note(T0 + timedelta(minutes=7), "comms", "dana", "We know; fixing")
    record.note(T0 + timedelta(minutes=30), "mitigated", "priya")
    record.note(T0 + timedelta(minutes=95), "resolved", "dana")
    record.actions.append(record.note(T0 + timedelta(minutes=40), "action", "lee", "Add an alert"))
    return record


def test_default_template_has_every_section_and_durations(tmp_path):
    slack = [Entry(iso(T0 + timedelta(minutes=10)), "slack", "lee", "found the bad deploy")]
    retro = render(issue(), resolved_record(), CONFIG, root=tmp_path, slack=slack)
    body = retro.body
    assert retro.title == "Retrospective: Search is down (#7)"
    for heading in (
        "## Summary",
        "## Impact on users",
        "## Roles",
        "## Durations",
        "## Timeline (UTC)",
        "## What happened",
        "## What went well",
        "## What went badly",
        "## Action items",
        "## Resolution criteria",
        "## Stakeholder communication",
    ):
        assert heading in body
    assert "sam → priya" in body and "| Time to declare | 4m |" in body
    assert "| Time to mitigate | 30m |" in body and "| Time to resolve | 1h 35m |" in body
    assert "- [ ] Add an alert (lee)" in body
    # The channel's messages that are not Slack notes follow, collapsed
    # (docs/adopting.md#the-slack-app).
    other = body.split("<details><summary>The incident channel's other messages (1)</summary>")
    assert len(other) == 2 and "| lee | found the bad deploy |" in other[1]
    assert "<!-- incident-tool:retrospective-of:7 -->" in body
    assert "Search returns no results" in body and "Nobody can find works" in body


@pytest.mark.parametrize(
    "evil",
    [
        "{{ 7*7 }}",
        "{% for x in range(3) %}x{% endfor %}",
        "{{ ''.__class__.__mro__ }}",
        "<script>alert(1)</script>",
    ],
)
def test_user_text_is_data_never_template_code(tmp_path, evil):
    record = resolved_record()
    record.note(T0 + timedelta(minutes=50), "update", "lee", evil)
    retro = render(issue(title=evil), record, CONFIG, root=tmp_path, slack=[])
    if "{" in evil:
        assert evil in retro.body and "49" not in retro.body.split("## Roles")[0]
    else:
        assert "<script>" not in retro.body


def test_repo_template_overrides_and_errors_are_clear(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "retrospective.md.j2").write_text("Custom {{ incident.title }}")
    assert render(issue(), resolved_record(), CONFIG, root=tmp_path, slack=[]).body.endswith(
        "Custom Search is down"
    )
    (tmp_path / "templates" / "retrospective.md.j2").write_text("{% if %}")
    with pytest.raises(TemplateError, match="retrospective.md.j2"):
        render(issue(), resolved_record(), CONFIG, root=tmp_path, slack=[], strict=True)
    config = replace(CONFIG, retrospective=replace(CONFIG.retrospective, template="nope.j2"))
    with pytest.raises(TemplateError, match="not found"):
        render(issue(), resolved_record(), config, root=tmp_path, slack=[], strict=True)


def test_sensitive_retrospective_says_so(tmp_path):
    record = resolved_record()
    record.sensitive = True
    assert "sensitive incident" in render(issue(), record, CONFIG, root=tmp_path, slack=[]).body


def test_a_huge_incident_keeps_every_section(tmp_path):
    record = resolved_record()
    for i in range(3000):
        record.note(T0 + timedelta(minutes=10, seconds=i), "update", "lee", f"update {i} " * 20)
    slack = [
        Entry(iso(T0 + timedelta(minutes=20, seconds=i)), "slack", "lee", "x" * 200)
        for i in range(1000)
    ]
    body = render(issue(), record, CONFIG, root=tmp_path, slack=slack).body
    assert len(body) <= 65000
    assert "entries left out to fit GitHub's size limit" in body
    for heading in ("## What went well", "## What went badly", "## Action items"):
        assert heading in body
    assert "- [ ] Add an alert (lee)" in body


def test_every_lead_in_order_a_returning_lead_shown_again(tmp_path):
    record = replace(resolved_record(), leads=["priya", "lee", "lee", "priya"])
    body = render(issue(), record, CONFIG, root=tmp_path, slack=[]).body
    assert "| Incident leads (in order) | priya → lee → priya |" in body
