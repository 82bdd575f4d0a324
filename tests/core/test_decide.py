"""The decision core without any HTTP: state + event -> record changes and planned actions."""

from __future__ import annotations

import pytest

from incident_tool.core import lifecycle
from incident_tool.core.comments import process_new_comments
from incident_tool.core.model import (
    Assign,
    Close,
    Comment,
    CreateRetrospective,
    Labels,
    React,
    Reopen,
)
from incident_tool.core.record import Record
from incident_tool.core.states import State
from tests.fakes import comment, context


def declared_context(**kw):
    ctx = context(**kw)
    lifecycle.report(ctx, "rita")
    lifecycle.declare(ctx, "dana")
    ctx.plan.clear()
    return ctx


def comments_of(ctx) -> list[Comment]:
    return [a for a in ctx.plan if isinstance(a, Comment)]


def test_report_parses_form_and_tells_delivery_managers():
    ctx = context()
    lifecycle.report(ctx, "rita")
    assert ctx.record.state == State.REPORTED
    assert ctx.record.severity == 2
    assert Labels(add=("severity:2",)) in ctx.plan
    [reported] = comments_of(ctx)
    assert "@dana" in reported.body and "<!-- incident-tool:reported -->" in reported.body
    assert [m.destination for m in ctx.record.outbox] == ["dm:dana"]


def test_report_lists_missing_required_fields():
    ctx = context(body="### Summary\n\nIt broke\n")
    lifecycle.report(ctx, "rita")
    assert ctx.record.missing == ["Affected service", "Impact on users"]
    assert "Missing from the report" in comments_of(ctx)[0].body


def test_declare_assigns_most_senior_available_responder():
    ctx = context()
    ctx.facts.away["sam"] = "away on Slack"
    lifecycle.report(ctx, "rita")
    lifecycle.declare(ctx, "dana")
    assert ctx.record.state == State.DECLARED
    assert ctx.record.lead == "priya"
    assert Assign(("priya",)) in ctx.plan
    lead_entry = ctx.record.last("lead")
    assert "skipped sam (away on Slack)" in lead_entry.text
    keys = [m.key for m in ctx.record.outbox]
    assert "announce-declared:1" in keys and "report" in keys
    assert not any(c.key == "self-declared" for c in comments_of(ctx))


def test_declare_with_nobody_available_makes_the_declarer_lead_and_tells_dms():
    ctx = context()
    ctx.facts.away.update({"sam": "away", "priya": "busy", "lee": "busy"})
    lifecycle.report(ctx, "rita")
    lifecycle.declare(ctx, "rita")
    assert ctx.record.lead == "rita"
    [notice] = [c for c in comments_of(ctx) if c.key == "self-declared"]
    assert "@dana" in notice.body


def test_unassignable_responder_is_skipped():
    ctx = context()
    ctx.facts.unassignable.add("sam")
    lifecycle.declare(ctx, "dana")
    assert ctx.record.lead == "priya"


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        (State.REPORTED, State.RESOLVED, False),
        (State.REPORTED, State.MITIGATED, False),
        (State.REPORTED, State.DISMISSED, True),
        (State.DECLARED, State.MITIGATED, True),
        (State.RESOLVED, State.MITIGATED, False),
        (State.DISMISSED, State.RESOLVED, False),
    ],
)
def test_transitions_are_checked(start, target, allowed):
    ctx = context(record=Record(state=start, leads=["sam"]))
    fn = {
        State.RESOLVED: lifecycle.resolve,
        State.MITIGATED: lifecycle.mitigate,
        State.DISMISSED: lifecycle.dismiss,
    }[target]
    fn(ctx, "dana")
    assert (ctx.record.state == target) is allowed
    refusals = [c for c in comments_of(ctx) if c.key.startswith("refused:")]
    assert bool(refusals) is not allowed
    if not allowed:
        assert start.label in refusals[0].body


def test_resolve_closes_and_asks_for_retrospective():
    ctx = declared_context()
    lifecycle.resolve(ctx, "dana")
    assert ctx.record.state == State.RESOLVED
    assert Close("completed") in ctx.plan and CreateRetrospective() in ctx.plan
    assert ctx.record.awaiting_confirmation is None


def test_resolution_by_non_dm_asks_dms_to_confirm_and_reopen_undoes_it():
    ctx = declared_context(state="closed", state_reason="completed")
    lifecycle.resolve(ctx, "sam")
    assert ctx.record.awaiting_confirmation == "sam"
    assert any(c.key == "confirm:1" and "@dana" in c.body for c in comments_of(ctx))
    assert Close("completed") not in ctx.plan  # already closed by a person
    lifecycle.reopen(ctx, "dana")
    assert ctx.record.state == State.DECLARED
    assert ctx.record.awaiting_confirmation is None
    assert ctx.record.last("resolution-undone") is not None
    assert Reopen() in ctx.plan


def test_retrospective_disabled_means_none():
    from dataclasses import replace

    from tests.fakes import CONFIG

    config = replace(CONFIG, retrospective=replace(CONFIG.retrospective, enabled=False))
    ctx = declared_context(config=config)
    lifecycle.resolve(ctx, "dana")
    assert CreateRetrospective() not in ctx.plan


# -- commands ---------------------------------------------------------------------------


def run(ctx, author, body, **kw):
    c = comment(author, body, **kw)
    process_new_comments(ctx, [c])
    return c


def test_handover_by_lead_changes_lead_and_reacts():
    ctx = declared_context()
    c = run(ctx, "sam", "/handover @priya")
    assert ctx.record.lead == "priya" and ctx.record.leads == ["sam", "priya"]
    assert Assign(("priya",)) in ctx.plan and React(c.id) in ctx.plan
    keys = [m.key for m in ctx.record.outbox]
    assert "announce-handover:1" in keys and "invite:handover:1" in keys


@pytest.mark.parametrize(
    ("author", "body", "reason"),
    [
        ("lee", "/handover @priya", "Only the current lead"),
        ("sam", "/handover @ghost-user", "not a GitHub user"),
        ("sam", "/handover @olly", "not a GitHub user"),
        ("sam", "/handover", "needs a person"),
        ("sam", "/handover @sam", "already leads"),
        ("sam", "/handover @dependabot[bot]", "is a bot"),
        ("olly", "/join", "triage access"),
        ("lee", "/leave", "not listed as helping"),
        ("lee", "/update it is fine", "Only the lead"),
        ("sam", "/update", "needs text"),
        ("lee", "/mitigated", "Only the incident lead"),
        ("sam", "/dismiss nah", "Only a delivery manager"),
        ("sam", "/severity 9", "1 to 4"),
        ("sam", "/comms hello", "Only a delivery manager"),
        ("sam", "/resolved-when search works", "Only a delivery manager"),
        ("sam", "/frobnicate", "Unknown command"),
        ("lee", "/invite @priya", "Only the incident lead"),
        ("sam", "/invite @olly look", "not a GitHub user"),
    ],
)
def test_refused_commands_reply_and_change_nothing(author, body, reason):
    ctx = declared_context()
    before = ctx.record.to_json()
    c = run(ctx, author, body)
    [reply] = comments_of(ctx)
    assert reply.key == f"reply:{c.id}"
    assert reason.lower() in reply.body.lower()
    assert React(c.id) not in ctx.plan
    after = ctx.record
    after.last_comment_id = Record.from_json(before).last_comment_id
    # Answering someone without triage access is remembered (one answer an hour), no more.
    assert set(after.answered) <= {"olly"}
    after.answered = {}
    assert after.to_json() == before


def test_join_update_leave_action_and_severity():
    ctx = declared_context()
    run(ctx, "lee", "/join")
    run(ctx, "lee", "/update Rolled back the deploy\nsecond line kept")
    run(ctx, "lee", "/action Add an alert on empty results")
    run(ctx, "sam", "/severity 1")
    run(ctx, "lee", "/leave off to lunch")
    record = ctx.record
    assert record.helping == [] and record.stopped == ["lee"]
    assert record.severity == 1
    update = record.last("update")
    assert update.text == "Rolled back the deploy\nsecond line kept"
    assert [a.text for a in record.actions] == ["Add an alert on empty results"]
    others = ("severity:2", "severity:3", "severity:4")
    assert Labels(add=("severity:1",), remove=others) in ctx.plan


def test_dm_commands_comms_resolved_when_and_dismiss():
    ctx = declared_context()
    run(ctx, "dana", "/resolved-when search returns results for 10 minutes")
    run(ctx, "dana", "/comms Search is down; we are on it")
    assert ctx.record.resolved_when == "search returns results for 10 minutes"
    comms = [m for m in ctx.record.outbox if m.key.startswith("comms:")]
    assert comms and comms[0].destination == "announce"  # no stakeholder channel configured
    run(ctx, "dana", "/dismiss duplicate of #3")
    assert ctx.record.state == State.DISMISSED and Close("not_planned") in ctx.plan


def test_resolve_command_closes_in_the_same_run():
    ctx = declared_context()
    run(ctx, "sam", "/resolve fixed by rollback")
    assert ctx.record.state == State.RESOLVED
    assert Close("completed") in ctx.plan and CreateRetrospective() in ctx.plan


def test_edited_bot_and_seen_comments_are_never_commands():
    ctx = declared_context()
    edited = comment("sam", "/handover @priya", edited=True)
    bot = comment("github-actions[bot]", "/handover @priya", bot=True)
    process_new_comments(ctx, [edited, bot])
    assert ctx.record.lead == "sam" and not ctx.plan
    assert ctx.record.last_comment_id == edited.id
    older = comment("sam", "/handover @lee")
    ctx.record.last_comment_id = older.id  # already seen by an earlier run
    process_new_comments(ctx, [older])
    assert ctx.record.lead == "sam"


def test_commands_are_replayed_in_order_once():
    ctx = declared_context()
    burst = [
        comment("sam", "/handover @priya"),
        comment("priya", "/update looking"),
        comment("priya", "/handover @lee"),
        comment("lee", "/mitigated"),
    ]
    process_new_comments(ctx, burst)
    process_new_comments(ctx, burst)  # a re-run sees the same comments again
    assert ctx.record.leads == ["sam", "priya", "lee"]
    assert ctx.record.state == State.MITIGATED
    assert sum(isinstance(a, React) for a in ctx.plan) == 4


def test_plain_comments_are_mirrored_only_while_active():
    ctx = declared_context()
    c = run(ctx, "lee", "I see 500s <!channel> & more")
    [item] = [m for m in ctx.record.outbox if m.key == f"mirror:{c.id}"]
    assert "&lt;!channel&gt; &amp; more" in item.text
    ctx2 = context()
    lifecycle.report(ctx2, "rita")
    run(ctx2, "lee", "hello")
    assert not [m for m in ctx2.record.outbox if m.key.startswith("mirror:")]


def test_sensitive_incident_never_puts_the_title_in_public_channels():
    body = "### Summary\n\nAWS key leaked\n\n### Affected service\n\nSecurity / credentials\n"
    ctx = context(body=body)
    lifecycle.report(ctx, "rita")
    lifecycle.declare(ctx, "dana")
    lifecycle.resolve(ctx, "dana")
    assert ctx.record.sensitive
    for item in ctx.record.outbox:
        if item.destination in ("announce",) or item.destination.startswith("dm:"):
            assert "Search is down" not in item.text and "AWS" not in item.text


def test_status_without_a_channel_points_to_the_status_comment():
    ctx = declared_context()
    c = run(ctx, "olly", "/status")
    [reply] = comments_of(ctx)
    assert reply.key == f"reply:{c.id}" and "status comment" in reply.body
    assert React(c.id) in ctx.plan
