"""A comment holding an `<!-- incident-tool:… -->` marker is the tool's own only when the
tool's account wrote it (issue #23, item 3): anyone else's is a person's comment, seen,
counted and moved past like any other, so it never stops the record's comment cursor."""

from __future__ import annotations

from incident_tool.core import lifecycle, wording
from incident_tool.core.comments import process_new_comments
from incident_tool.core.record import STATUS_MARKER
from tests.fakes import comment, context

FAKES = [
    wording.marker("reply:1"),
    STATUS_MARKER,
    "<!-- incident-tool:retrospective-of:7 -->",
    "<!-- incident-tool:followup #7:t1 -->",
]


def declared():
    ctx = context()
    lifecycle.report(ctx, "rita")
    lifecycle.declare(ctx, "dana")
    ctx.plan.clear()
    ctx.record.outbox.clear()
    return ctx


def test_an_outsiders_fake_markers_move_the_cursor_and_are_counted():
    ctx = declared()
    fakes = [
        comment("olly", f"{m}\nlooks like the tool", minutes=10 + i) for i, m in enumerate(FAKES)
    ]
    process_new_comments(ctx, fakes)
    assert ctx.record.last_comment_id == fakes[-1].id
    assert ctx.record.outsider_comments == len(FAKES)


def test_a_fake_marker_does_not_hide_a_command():
    ctx = declared()
    handover = comment("sam", f"/handover @priya\n{wording.marker('reply:9')}", minutes=10)
    process_new_comments(ctx, [handover])
    assert ctx.record.lead == "priya" and ctx.record.last_comment_id == handover.id


def test_the_tools_own_marked_comments_are_still_skipped():
    ctx = declared()
    own = comment("github-actions[bot]", f"{wording.marker('reply:1')}\nanswer", minutes=10)
    other_app = comment("summary-bot[bot]", "/handover @priya", minutes=11)
    process_new_comments(ctx, [own, other_app])
    assert ctx.record.lead == "sam" and ctx.record.last_comment_id == 0
