"""The status comment: one record, readable, and safe from user text."""

from __future__ import annotations

from incident_tool.core.record import STATUS_MARKER, Record, extract
from incident_tool.core.states import State
from incident_tool.core.status import render
from tests.fakes import CONFIG, T0


def test_round_trip_through_the_comment_body():
    record = Record(state=State.DECLARED, leads=["sam", "priya"], helping=["lee"], severity=2)
    record.note(T0, "update", "lee", "it's --> broken <!-- here --> & <b>bold</b>")
    body = render(record, CONFIG, repo="o/r", updated=T0)
    assert body.startswith(STATUS_MARKER) and body.count(STATUS_MARKER) == 1
    data_part = body.split("<!-- incident-tool:data ", 1)[1]
    assert data_part.count("-->") == 1, "user text must not close the hidden comment"
    again = extract(body)
    assert again is not None
    assert again.to_json() == record.to_json()
    assert again.last("update").text == "it's --> broken <!-- here --> & <b>bold</b>"


def test_visible_part_escapes_user_text_and_shows_both_zones():
    record = Record(state=State.DECLARED, leads=["sam"])
    record.note(T0, "update", "lee", "@wellcome/everyone look | here <script>")
    body = render(record, CONFIG, repo="o/r", updated=T0)
    visible = body.split("<!-- incident-tool:data")[0]
    assert "@wellcome" not in visible and "@\u200bwellcome" in visible
    assert "<script>" not in visible and "\\|" in visible
    assert "2026-11-26 09:00" in visible and "09:00 GMT" in visible
    assert "Europe/London" in visible


def test_a_forged_or_broken_record_is_ignored():
    assert extract("no marker here") is None
    assert extract(STATUS_MARKER + "\n<!-- incident-tool:data {not json} -->") is None
    assert extract(STATUS_MARKER + '\n<!-- incident-tool:data {"state": "nonsense"} -->') is None


def test_huge_timelines_stay_under_githubs_limit():
    record = Record(state=State.DECLARED, leads=["sam"])
    for i in range(400):
        record.note(T0, "update", "lee", f"update {i} " + "x" * 1900)
    body = render(record, CONFIG, repo="o/r", updated=T0)
    assert len(body) < 65536
    assert extract(body) is not None


def test_the_worst_record_still_fits_and_keeps_its_actions():
    record = Record(state=State.DECLARED, leads=["sam"])
    for i in range(2000):
        record.note(T0, "update", "lee", f"update {i} " + "y" * 3990, f"#issuecomment-{10**9 + i}")
        if i % 3 == 0:
            record.note(T0, "action", "lee", f"action {i} " + "z" * 3990)
    record.sent = [f"announce-{i}" for i in range(3000)]
    record.posted = [f"confirm:{i}" for i in range(3000)]
    body = render(record, CONFIG, repo="o/r", updated=T0)
    assert len(body) < 65536
    again = extract(body)
    assert again is not None and again.state == State.DECLARED
    # An absurd incident (667 actions) keeps its latest actions; the comments keep them all.
    assert again.actions and again.actions[-1].text.startswith("action 1998")
    assert any("entries left out" in e.text for e in again.timeline)


# The outbox as runs before SlackDelivery wrote it (one of each kind of delivery): records
# already in status comments must load, and be written back the same.
OLD_OUTBOX = [
    {"key": "declared:1", "text": "Declared. Channel: <channel>", "to": "incident"},
    {"key": "announce-declared:1", "text": ":rotating_light: declared", "to": "announce"},
    {"key": "comms:7", "remember": False, "text": "told", "to": "stakeholder"},
    {"ack_dm": "priya", "key": "dm-ack-ask:1", "text": "please ack", "to": "dm:priya"},
    {"invite": ["sam", "dana"], "key": "invite:declared:1", "text": "", "to": "incident"},
    {"key": "report", "report": True, "text": "", "to": "incident"},
    {"key": "status:9", "remember": False, "status": True, "text": "", "to": "incident"},
    {"key": "answer:1.2", "text": ":ok_hand: Done", "thread_ts": "1.1", "to": "incident"},
    {"key": "mark:1.3", "react": "1.3", "remember": False, "text": "", "to": "incident"},
    {"key": "unmark:1.3", "remember": False, "text": "", "to": "incident", "unreact": "1.3"},
]


def test_an_outbox_written_by_earlier_runs_loads_typed_and_is_written_back_the_same():
    import json

    from incident_tool.core.outbox import SlackDelivery, To

    text = json.dumps({"v": 1, "state": "declared", "outbox": OLD_OUTBOX})
    record = Record.from_json(text)
    assert all(isinstance(m, SlackDelivery) for m in record.outbox)
    dm = record.outbox[3]
    assert (dm.to, dm.login, dm.ack_dm, dm.remember) == (To.DM, "priya", "priya", True)
    assert record.outbox[2].to is To.STAKEHOLDER and not record.outbox[2].remember
    assert record.outbox[4].invite == ("sam", "dana") and record.outbox[5].report
    assert record.outbox[7].thread_ts == "1.1" and record.outbox[9].unreact == "1.3"
    assert json.loads(record.to_json())["outbox"] == OLD_OUTBOX
    assert Record.from_json(record.to_json()).outbox == record.outbox
    # An outbox item that is not one makes the record unreadable, as other broken data does.
    broken = json.dumps({"v": 1, "outbox": [{"key": "x", "to": "nowhere"}]})
    assert extract(f"{STATUS_MARKER}\n<!-- incident-tool:data {broken} -->") is None


def test_decisions_queue_what_earlier_runs_stored():
    from incident_tool.core.outbox import To
    from tests.fakes import context

    ctx = context()
    ctx.slack("a", To.DM, "hi", login="dana", ack_dm="dana")
    ctx.slack("b", To.INCIDENT, "", invite=["sam"], remember=False)
    ctx.slack("a", To.INCIDENT, "again")  # the same key: queued once
    assert [m.to_dict() for m in ctx.record.outbox] == [
        {"key": "a", "to": "dm:dana", "text": "hi", "ack_dm": "dana"},
        {"key": "b", "to": "incident", "text": "", "invite": ["sam"], "remember": False},
    ]


def test_one_parser_reads_every_time_the_tool_meets_as_utc():
    from datetime import datetime, timezone

    from incident_tool.core.record import iso, parse_time

    utc = datetime(2026, 3, 1, 9, 30, tzinfo=timezone.utc)
    assert parse_time("2026-03-01T09:30:00Z") == utc  # GitHub's and the record's form
    assert parse_time("2026-03-01T10:30:00+01:00") == utc
    assert parse_time("2026-03-01T10:30:00+01:00").tzinfo == timezone.utc  # type: ignore[union-attr]
    assert parse_time("2026-03-01T09:30:00") == utc  # no offset: UTC, not the machine's zone
    assert iso(parse_time(iso(utc))) == iso(utc)  # type: ignore[arg-type]
    for nothing in (None, "", "soon", 17, ["2026-03-01T09:30:00Z"]):
        assert parse_time(nothing) is None
