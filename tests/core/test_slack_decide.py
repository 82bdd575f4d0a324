"""What the Slack handlers decide from what was read (docs/usage.md#slack-writes-back).

No HTTP: a hand-made Readout and the dict-backed Facts of tests/fakes.py."""

from __future__ import annotations

from datetime import timedelta

from incident_tool.core import slack_notes as from_slack
from incident_tool.core.model import Assign, Comment
from incident_tool.core.record import Record
from incident_tool.core.states import State
from incident_tool.effects.slack_read import Readout
from incident_tool.inbound import slack as inbound
from tests.fakes import T0, context

BOT = "U0BOT00001"
CHANNEL = "C0INC00001"
IDS = {"U0DANA0001": "dana", "U0PRIYA001": "priya", "U0LEE00001": "lee"}


def ts(minutes: int) -> str:
    return f"{int((T0 + timedelta(minutes=minutes)).timestamp())}.000100"


def msg(minutes: int, user: str, text: str, **raw) -> inbound.InMessage:
    found = inbound.from_api({"ts": ts(minutes), "user": user, "text": text, **raw}, CHANNEL)
    assert found is not None
    return found


def readout(*messages: inbound.InMessage, pins=(), claimed=(), cursor=None) -> Readout:
    return Readout(
        channel=CHANNEL,
        bot=BOT,
        messages=list(messages),
        pins=list(pins),
        new={m.ts for m in messages},
        window_from=ts(-120),
        cursor=cursor or max((m.ts for m in messages), default=None),
        threads={},
        members=None,
        logins=dict(IDS),
        permalinks={
            t: f"https://sandbox.slack.com/archives/{CHANNEL}/p{t.replace('.', '')}"
            for t in claimed
        },
        claimed=list(claimed),
    )


def declared() -> Record:
    record = Record(state=State.DECLARED, leads=["priya"], channel_id=CHANNEL)
    record.note(T0, "declared", "dana")
    return record


def test_a_handover_from_slack_is_the_github_handover_as_the_mapped_login():
    ctx = context(declared())
    command = msg(3, "U0DANA0001", f"<@{BOT}> handover <@U0LEE00001>")
    from_slack.apply(ctx, readout(command, claimed=[command.ts]))
    assert Assign(("lee",)) in ctx.plan
    entry = ctx.record.last("handover")
    assert (entry.actor, entry.text) == ("dana", "priya → lee")
    assert entry.at == (T0 + timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    [recorded] = [
        a for a in ctx.plan if isinstance(a, Comment) and a.key.startswith("slack-command:")
    ]
    assert "✔️ Done." in recorded.body
    [answer] = [m for m in ctx.record.outbox if m.key == f"answer:{command.ts}"]
    assert answer.thread_ts == command.ts and ":ok_hand:" in answer.text
    assert ctx.record.slack_in["done"] == [command.ts]


def test_a_command_read_but_not_claimed_by_this_run_is_left_alone():
    ctx = context(declared())
    command = msg(3, "U0DANA0001", f"<@{BOT}> dismiss not ours")
    from_slack.apply(ctx, readout(command))
    assert ctx.record.state == State.DECLARED and ctx.plan == []


def test_refusals_match_github_and_unmapped_authors_are_told_the_key():
    ctx = context(declared())
    refused = msg(3, "U0LEE00001", f"<@{BOT}> dismiss no")
    stranger = msg(4, "U0NOBODY01", f"<@{BOT}> update hi")
    from_slack.apply(ctx, readout(refused, stranger, claimed=[refused.ts, stranger.ts]))
    answers = {m.key: m.text for m in ctx.record.outbox}
    assert "Only a delivery manager may use `/dismiss`." in answers[f"answer:{refused.ts}"]
    assert "people.&lt;your login&gt;.slack: U0NOBODY01" in answers[f"answer:{stranger.ts}"]
    keys = [a.key for a in ctx.plan if isinstance(a, Comment)]
    # Neither is put on the issue: a refusal goes back to Slack only (issue #22, item 9).
    assert keys == []


def test_notes_come_and_go_and_the_tool_marks_them():
    record = declared()
    ctx = context(record)
    pinned = msg(5, "U0LEE00001", "found it", pinned_to=[CHANNEL])
    from_slack.apply(ctx, readout(pinned, pins=[pinned]))
    assert [(e.kind, e.actor, e.text) for e in record.timeline][-1] == (
        inbound.NOTE_KIND,
        "lee",
        "found it",
    )
    assert [m.key for m in record.outbox] == [f"mark:{pinned.ts}"]
    ctx = context(record)
    from_slack.apply(ctx, readout(msg(5, "U0LEE00001", "found it"), pins=[]))
    assert record.count(inbound.NOTE_KIND) == 0
    assert record.outbox[-1].key == f"unmark:{pinned.ts}"


def test_a_reaction_note_beyond_the_window_is_kept_and_pins_not_read_change_nothing():
    record = declared()
    old = msg(
        -300, "U0LEE00001", "old finding", reactions=[{"name": "pushpin", "users": ["U0DANA0001"]}]
    )
    from_slack.apply(context(record), readout(old, pins=[]))
    assert record.count(inbound.NOTE_KIND) == 1
    # Later runs: the message is older than the window and not re-read.
    from_slack.apply(context(record), readout(pins=[], cursor=ts(10)))
    assert record.count(inbound.NOTE_KIND) == 1
    pin = msg(1, "U0PRIYA001", "pinned", pinned_to=[CHANNEL])
    from_slack.apply(context(record), readout(pin, pins=[pin]))
    assert record.count(inbound.NOTE_KIND) == 2
    r = readout(cursor=ts(10))
    r.pins = None  # pin count unchanged: pins.list not read this run
    from_slack.apply(context(record), r)
    assert record.count(inbound.NOTE_KIND) == 2


def test_a_sensitive_incidents_notes_keep_their_text_in_the_channel():
    record = declared()
    record.sensitive = True
    pinned = msg(5, "U0LEE00001", "the key is AKIA123", pinned_to=[CHANNEL])
    from_slack.apply(context(record), readout(pinned, pins=[pinned]))
    assert record.last(inbound.NOTE_KIND).text == from_slack.SENSITIVE_TEXT
