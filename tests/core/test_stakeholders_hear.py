"""Stakeholders hear "mitigated" and a change of severity in the announce channel, as they
hear declared, handover and resolved; a sensitive incident's stay in its channel (issue
#22, item 7)."""

from __future__ import annotations

from incident_tool.core.comments import process_new_comments
from incident_tool.core.outbox import To
from tests.core.test_decide import declared_context
from tests.fakes import comment


def announced(ctx) -> list[str]:
    return [m.text for m in ctx.record.outbox if m.destination == To.ANNOUNCE.value]


def declared():
    ctx = declared_context()
    ctx.record.outbox.clear()  # the declaration's own messages
    return ctx


def say(ctx, author: str, body: str) -> None:
    process_new_comments(ctx, [comment(author, body)])


def test_mitigated_is_announced():
    ctx = declared()
    say(ctx, "sam", "/mitigated rolled back")
    [told] = announced(ctx)
    assert "mitigated" in told and "#7" in told and "Search is down" in told
    assert "rolled back" not in told  # the lead's words stay in the incident channel


def test_a_severity_change_is_announced_once():
    ctx = declared()
    say(ctx, "sam", "/severity 1")
    [told] = announced(ctx)
    assert "Severity 1" in told and "#7" in told
    ctx.record.outbox.clear()
    say(ctx, "sam", "/severity 1")  # no change: nothing new for stakeholders
    assert announced(ctx) == []


def test_a_sensitive_incident_announces_neither():
    ctx = declared()
    ctx.record.sensitive = True
    say(ctx, "sam", "/severity 1")
    say(ctx, "sam", "/mitigated")
    assert announced(ctx) == []
    channel = [m.text for m in ctx.record.outbox if m.destination == To.INCIDENT.value]
    assert any("mitigated" in t for t in channel) and any("severity 1" in t for t in channel)
