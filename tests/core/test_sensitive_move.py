"""The decision to move a sensitive report's text to `sensitive.repository`, without HTTP
(core/reconcile.hide_sensitive_body, core/sensitive_move.py;
docs/security.md#a-public-repository), and the key's config."""

from __future__ import annotations

import dataclasses

import pytest

from incident_tool import config as config_module
from incident_tool.config import ConfigError, SensitiveConfig
from incident_tool.core import lifecycle, wording
from incident_tool.core.model import HideBody, MoveBody
from incident_tool.core.reconcile import (
    MOVED_BODY,
    MOVED_TO_REPOSITORY,
    hide_sensitive_body,
    reconcile_sensitive,
)
from incident_tool.core.sensitive_move import MAX_BODY, marker_key
from tests.core.test_hide_body import TICKED
from tests.fakes import CONFIG, context

PRIVATE = "acme/incidents-private"
WITH_KEY = dataclasses.replace(CONFIG, sensitive=SensitiveConfig(repository=PRIVATE))


def reported(body: str = TICKED, *, refused: str | None = None, slack: bool = True, **fields):
    ctx = context(body=body, config=WITH_KEY, **fields)
    ctx.facts.public = True  # type: ignore[attr-defined]
    ctx.facts.sensitive_refused = refused  # type: ignore[attr-defined]
    ctx.slack_enabled = slack
    lifecycle.report(ctx, "rita")
    reconcile_sensitive(ctx, None)
    return ctx


def test_the_move_is_planned_before_the_stub_and_the_record_names_no_repository():
    ctx = reported()
    moves = [a for a in ctx.plan if isinstance(a, (MoveBody, HideBody))]
    assert [type(a) for a in moves] == [MoveBody, HideBody]
    move, hide = moves
    assert isinstance(move, MoveBody) and isinstance(hide, HideBody)
    assert move.repository == PRIVATE
    assert "hunter2" in move.body and "hunter2" not in hide.stub
    assert move.marker == wording.marker(marker_key(ctx.issue.repo, ctx.issue.number))
    assert move.marker in move.body and ctx.issue.url in move.body
    assert hide.stub.startswith(wording.BODY_MOVED_TO_REPOSITORY)
    [note] = [e for e in ctx.record.timeline if e.kind == "body"]
    assert "moved to the private repository" in note.text and PRIVATE not in note.text
    # The private channel, opened at once, is told where the text is; not the text.
    keys = [item.key for item in ctx.record.outbox]
    assert MOVED_TO_REPOSITORY in keys and MOVED_BODY not in keys
    assert f"sensitive-repository:{PRIVATE}" in ctx.facts.asked  # type: ignore[attr-defined]


def test_the_moved_text_is_inert_and_within_githubs_limit():
    loud = "@everyone see ![x](https://t.example/p.png) <img src=x> [here](https://evil.example)"
    ctx = reported(TICKED + loud + "x" * 70_000)
    [move] = [a for a in ctx.plan if isinstance(a, MoveBody)]
    assert "@everyone" not in move.body and "<img" not in move.body
    assert "](https://evil.example)" not in move.body and "\\!" in move.body
    assert len(move.body) <= MAX_BODY and move.body.endswith(wording.MOVED_ISSUE_CLIPPED)


def test_refused_it_falls_back_and_says_why_once():
    ctx = reported(refused="SENSITIVE_TOKEN is not set")
    assert not [a for a in ctx.plan if isinstance(a, MoveBody)]
    [hide] = [a for a in ctx.plan if isinstance(a, HideBody)]
    assert hide.stub.startswith(wording.BODY_MOVED)  # the private channel, as before
    [note] = [e for e in ctx.record.timeline if e.kind == "body"]
    assert "not to the private repository: SENSITIVE_TOKEN is not set" in note.text
    assert any("SENSITIVE_TOKEN is not set" in n for n in ctx.notices)

    again = ctx.facts.asked.count(f"sensitive-repository:{PRIVATE}")  # type: ignore[attr-defined]
    hide_sensitive_body(ctx)  # decided: not asked again, said no more
    assert ctx.facts.asked.count(f"sensitive-repository:{PRIVATE}") == again  # type: ignore[attr-defined]
    assert len([e for e in ctx.record.timeline if e.kind == "body"]) == 1


def test_refused_without_slack_the_text_is_removed():
    ctx = reported(refused="it is public, not private", slack=False)
    [hide] = [a for a in ctx.plan if isinstance(a, HideBody)]
    assert hide.stub.startswith(wording.BODY_REMOVED)


def test_a_stub_already_there_moves_nothing():
    from incident_tool.core.reconcile import kept_choices

    # The stub as the tool writes it: its words and the form's own choices, nothing more.
    stub = wording.BODY_MOVED_TO_REPOSITORY + kept_choices(TICKED)
    ctx = reported(stub)
    assert not [a for a in ctx.plan if isinstance(a, (MoveBody, HideBody))]
    assert f"sensitive-repository:{PRIVATE}" not in ctx.facts.asked  # type: ignore[attr-defined]


def test_a_decision_whose_stub_never_landed_is_carried_out_again():
    ctx = reported()
    record = ctx.record  # saved with the note; the issue still holds the text
    retry = context(body=TICKED, config=WITH_KEY, record=record)
    retry.facts.public = True  # type: ignore[attr-defined]
    hide_sensitive_body(retry)
    assert [type(a) for a in retry.plan] == [MoveBody, HideBody]
    assert "repository-public" not in retry.facts.asked  # type: ignore[attr-defined]


def test_an_ordinary_report_asks_nothing():
    ctx = reported(TICKED.replace("[x]", "[ ]"))
    assert not [a for a in ctx.plan if isinstance(a, (MoveBody, HideBody))]
    assert not [q for q in ctx.facts.asked if q.startswith("sensitive")]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "value", ["not a repository", ["acme/a"], 3, "acme/a/b", "https://github.com/acme/a"]
)
def test_the_key_must_be_owner_name(value):
    with pytest.raises(ConfigError) as caught:
        config_module.parse(
            f"sensitive:\n  repository: {value!r}\n"
            if isinstance(value, str)
            else f"sensitive:\n  repository: {value}\n"
        )
    assert "`sensitive.repository` must be a repository as owner/name" in str(caught.value)


def test_the_key_is_read_and_optional():
    assert (
        config_module.parse("sensitive:\n  repository: acme/x\n").sensitive.repository == "acme/x"
    )
    assert config_module.parse("sensitive:\n  repository:\n").sensitive.repository is None
    assert config_module.parse("").sensitive.repository is None
