"""The decision to hide a sensitive report's body in a public repository, without HTTP
(core/reconcile.hide_sensitive_body; docs/security.md#a-public-repository)."""

from __future__ import annotations

from incident_tool.core import lifecycle, wording
from incident_tool.core.model import HideBody
from incident_tool.core.reconcile import MOVED_BODY, reconcile_sensitive
from tests.fakes import FORM_BODY, context

SECRET = "password hunter2 in the logs"
TICKED = (
    FORM_BODY
    + f"\n### Details\n\n{SECRET}\n"
    + "\n### Sensitive\n\n- [x] This involves security or personal data: handle it privately\n"
)


def reported(body: str, *, public: bool, slack: bool = True):
    ctx = context(body=body)
    ctx.facts.public = public  # type: ignore[attr-defined]
    ctx.slack_enabled = slack
    lifecycle.report(ctx, "rita")
    reconcile_sensitive(ctx, None)
    return ctx


def test_public_and_sensitive_plans_the_stub_and_the_move_without_the_text_in_the_record():
    ctx = reported(TICKED, public=True)
    [hide] = [a for a in ctx.plan if isinstance(a, HideBody)]
    assert hide.stub.startswith(wording.BODY_MOVED) and SECRET not in hide.stub
    keys = [item.key for item in ctx.record.outbox]
    assert MOVED_BODY in keys and f"{MOVED_BODY}:invite" in keys
    assert SECRET not in ctx.record.to_json()
    assert "moved to the private channel" in ctx.record.first("body").text


def test_without_slack_the_stub_says_the_text_was_removed():
    ctx = reported(TICKED, public=True, slack=False)
    [hide] = [a for a in ctx.plan if isinstance(a, HideBody)]
    assert hide.stub.startswith(wording.BODY_REMOVED)
    assert not ctx.record.outbox or MOVED_BODY not in [i.key for i in ctx.record.outbox]


def test_private_repository_keeps_the_body_and_is_asked_once():
    ctx = reported(TICKED, public=False)
    assert not [a for a in ctx.plan if isinstance(a, HideBody)]
    assert ctx.facts.asked.count("repository-public") == 1  # type: ignore[attr-defined]
    reconcile_sensitive(ctx, None)  # a later decision: the "body" note says it was decided
    assert ctx.facts.asked.count("repository-public") == 1  # type: ignore[attr-defined]


def test_an_ordinary_report_never_asks_about_the_repository():
    ctx = reported(FORM_BODY, public=True)
    assert "repository-public" not in ctx.facts.asked  # type: ignore[attr-defined]
    assert not [a for a in ctx.plan if isinstance(a, HideBody)]
