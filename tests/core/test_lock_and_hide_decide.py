"""`/lock`, `/unlock`, `/hide` and the lock of an outsider's close loop, decided without
HTTP (issue #23; docs/usage.md#commands)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from incident_tool.core import lifecycle, trust
from incident_tool.core.commands import Command, Done, Refused, parse_command, run_command
from incident_tool.core.model import Comment, HideComment, Lock, Unlock
from incident_tool.core.states import State
from tests.fakes import comment, context


def declared(**kw):
    ctx = context(**kw)
    lifecycle.report(ctx, "rita")
    lifecycle.declare(ctx, "dana")
    ctx.plan.clear()
    ctx.record.outbox.clear()
    return ctx


def run(ctx, body: str, by: str = "dana"):
    parsed = parse_command(body)
    assert isinstance(parsed, Command), parsed
    return run_command(ctx, parsed, comment(by, body, minutes=10))


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", None),
        ("spam", "spam"),
        ("Too Heated", "too heated"),
        ("too-heated", "too heated"),
        ("off_topic", "off-topic"),
        ("resolved", "resolved"),
    ],
)
def test_lock_plans_its_announcement_then_the_lock(typed: str, reason: str | None) -> None:
    ctx = declared()
    assert run(ctx, f"/lock {typed}") == Done()
    kinds = [type(a) for a in ctx.plan]
    assert kinds.index(Comment) < kinds.index(Lock)
    assert Lock(reason) in ctx.plan
    assert ctx.record.last("lock").actor == "dana"


def test_lock_refusals() -> None:
    ctx = declared()
    bad = run(ctx, "/lock because @olly is rude")
    assert isinstance(bad, Refused) and "`@olly is rude`" not in bad.reason
    assert "takes no reason or one of" in bad.reason and not ctx.plan
    locked = declared(locked=True)
    assert isinstance(run(locked, "/lock"), Refused) and not locked.plan
    reported = context()
    lifecycle.report(reported, "rita")
    refused = run(reported, "/lock")
    assert isinstance(refused, Refused) and "needs a declared incident" in refused.reason
    helper = run(declared(), "/lock", by="lee")  # lee is no lead here, nor a delivery manager
    assert isinstance(helper, Refused) and "may use `/lock`" in helper.reason


def test_unlock_plans_the_unlock_before_its_announcement() -> None:
    ctx = declared(locked=True, lock_reason="spam")
    assert run(ctx, "/unlock please") == Done()
    kinds = [type(a) for a in ctx.plan]
    assert kinds.index(Unlock) < kinds.index(Comment)
    open_issue = declared()
    assert run(open_issue, "/unlock") == Refused("The conversation is not locked.")


def test_hide_a_comment_of_the_issue() -> None:
    ctx = declared()
    spam = replace(comment("olly", "cheap watches", minutes=8), node_id="IC_x")
    ctx.facts.comments[spam.id] = spam  # type: ignore[attr-defined]
    assert run(ctx, f"/hide {spam.url} Spam") == Done()
    assert HideComment(spam.id, "IC_x", "SPAM") in ctx.plan
    assert run(ctx, f"/hide #issuecomment-{spam.id} outdated") == Done()
    assert HideComment(spam.id, "IC_x", "OUTDATED") in ctx.plan
    assert run(ctx, f"/hide {spam.id}") == Done()
    assert HideComment(spam.id, "IC_x", "OFF_TOPIC") in ctx.plan  # the default
    assert ctx.record.last("hide").text == "a comment by olly (off-topic)"


@pytest.mark.parametrize(
    ("words", "answer"),
    [
        ("https://github.com/wellcome/platform/issues/8#issuecomment-5", "not one of this issue's"),
        ("https://github.com/someone/else/issues/7#issuecomment-5", "not one of this issue's"),
        ("999", "not one of this issue's"),
        ("{team}", "who is on the team"),
        ("{tool}", "the tool's own comment"),
        ("{olly} rude", "not `rude`"),
        ("{olly} spam twice", "needs a comment of this issue"),
        ("last-one", "needs a comment of this issue"),
    ],
)
def test_hide_refusals(words: str, answer: str) -> None:
    ctx = declared()
    people = {
        "team": comment("priya", "looking"),
        "tool": comment("github-actions[bot]", "<!-- incident-tool:status -->", bot=True),
        "olly": comment("olly", "spam"),
    }
    for c in people.values():
        ctx.facts.comments[c.id] = c  # type: ignore[attr-defined]
    result = run(ctx, "/hide " + words.format(**{k: c.id for k, c in people.items()}))
    assert isinstance(result, Refused) and answer in result.reason, result
    assert not [a for a in ctx.plan if isinstance(a, HideComment)]


def test_an_outsiders_second_close_is_left_to_the_team_and_locks() -> None:
    ctx = declared(author="olly")
    assert not trust.left_to_team(ctx, "Closing this issue", State.RESOLVED, "olly", "the team")
    assert Lock(None) not in ctx.plan  # the first is undone, not locked
    assert trust.left_to_team(ctx, "Closing this issue", State.RESOLVED, "olly", "the team")
    [notice] = [a for a in ctx.plan if isinstance(a, Comment)]
    assert Lock(None) in ctx.plan and "`/unlock`" in notice.body
    # Already locked (the team did it): the notice, no second lock, no word of one.
    locked = declared(author="olly", locked=True)
    for _ in range(2):
        trust.left_to_team(locked, "Closing this issue", State.RESOLVED, "olly", "the team")
    [notice] = [a for a in locked.plan if isinstance(a, Comment)]
    assert not [a for a in locked.plan if isinstance(a, Lock)] and "`/unlock`" not in notice.body


def test_a_team_members_close_is_never_left_to_the_team() -> None:
    ctx = declared()
    for _ in range(3):
        assert not trust.left_to_team(ctx, "Closing this issue", State.RESOLVED, "lee", "x")
    assert not [a for a in ctx.plan if isinstance(a, Lock)]
