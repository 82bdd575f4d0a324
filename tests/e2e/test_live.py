"""The live connection's router (incident_tool/live.py) on the sandbox: envelopes shaped as
Slack sends them (Socket Mode: events_api, slash_commands, interactive), carried out as runs.

The socket itself is slack-sdk's client (effects/socket.py); here each envelope is handed to
`Listener.receive` as the client would, then its work is done, as the client's worker does.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from incident_tool.inbound import interactions as inbound
from incident_tool.live import Listener, view_errors
from incident_tool.verbs.common import open_tools
from tests.world import REPO, cli

LOG: list[str] = []  # what the listener said (a real one prints it)


def listener(world) -> Listener:
    from incident_sandbox.demo import chdir, environment
    from incident_tool import config

    with environment(world.driver.env), chdir(world.root):
        cfg = config.load(world.root / ".github" / "incident.yml", required=True)
        tools = open_tools(REPO, cfg, world.root, dry_run=False, log=LOG.append)
    return Listener(tools)


def deliver(world, listen: Listener, envelope: dict[str, Any]) -> dict | None:
    from incident_sandbox.demo import environment

    with environment(world.driver.env):
        ack, work = listen.receive(envelope)
        if work is not None:
            work()
    return ack


def slash(world, user: str, channel: str, text: str, trigger: str = "T1") -> dict[str, Any]:
    return {
        "type": "slash_commands",
        "envelope_id": f"e-{trigger}",
        "payload": {
            "command": "/incident",
            "text": text,
            "user_id": world.team["slack_ids"][user],
            "channel_id": channel,
            "trigger_id": trigger,
            "response_url": "https://hooks.slack.example/commands/1",
        },
    }


def button(world, user: str, channel: str, ts: str, action: str, number: int) -> dict[str, Any]:
    return {
        "type": "interactive",
        "envelope_id": f"e-{action}-{user}",
        "payload": {
            "type": "block_actions",
            "user": {"id": world.team["slack_ids"][user]},
            "container": {"type": "message", "channel_id": channel, "message_ts": ts},
            "trigger_id": "T-button",
            "response_url": "https://hooks.slack.example/actions/1",
            "actions": [
                {"action_id": f"incident:{action}", "value": str(number), "action_ts": "1.2"}
            ],
        },
    }


def ephemeral(world, channel: str, user: str) -> list[str]:
    """What `user` alone was told: in the channel, or by DM when not in it."""
    uid = world.team["slack_ids"][user]
    shown = [e["text"] for e in world.sl.channels_by_id[channel].ephemeral if e["user"] == uid]
    return shown + [m["text"] for m in world.sl.dms(uid) if m["text"].startswith(":no_entry")]


@pytest.fixture
def declared(world):
    world.write_config(slack={**world.team["config"]["slack"], "live": "external"})
    number = world.report()
    world.declare(number)
    return number, world.record(number).channel_id


def test_a_slash_command_in_the_incident_channel_is_carried_out_once(world, declared):
    number, channel = declared
    live = listener(world)
    envelope = slash(world, "priya", channel, "update the database is back")
    deliver(world, live, envelope)
    deliver(world, live, envelope)  # Slack retried it: carried out once
    updates = [e.text for e in world.record(number).timeline if e.kind == "update"]
    assert updates == ["the database is back"]
    assert any("Done" in t for t in ephemeral(world, channel, "priya"))
    records = [c for c in world.bot_comments(number) if "incident-tool:live:" in c["body"]]
    assert len(records) == 1 and "`/incident`" in records[0]["body"]


def test_a_refusal_says_why_to_the_person_alone(world, declared):
    number, channel = declared
    deliver(world, listener(world), slash(world, "lee", channel, "resolve"))
    assert world.record(number).state.value == "declared"
    [said] = ephemeral(world, channel, "lee")
    assert said.startswith(":no_entry_sign: Not done:")
    # ... and to nobody else: the issue gets no comment of it (issue #22, item 9).
    deliver(world, listener(world), slash(world, "lee", channel, "resolv", trigger="T2"))
    assert not [c for c in world.bot_comments(number) if "incident-tool:live:" in c["body"]]


def test_an_unmapped_slack_account_is_told_the_key_to_set(world, declared):
    number, channel = declared
    world.sl.add_user("U0GUEST001", "guest", "Guest", "guest@elsewhere.example")
    world.sl.channels_by_id[channel].members.append("U0GUEST001")
    world.team["slack_ids"]["guest"] = "U0GUEST001"
    deliver(world, listener(world), slash(world, "guest", channel, "ack"))
    [said] = ephemeral(world, channel, "guest")
    assert "people.<your login>.slack: U0GUEST001" in said


def test_the_acknowledge_button_acknowledges_and_shows_who(world, declared):
    number, channel = declared
    record = world.record(number)
    waiting = record.ack_waiting()
    assert waiting is not None
    lead = waiting["lead"]
    ts = record.report_ref[1]
    deliver(world, listener(world), button(world, lead, channel, ts, "ack", number))
    assert world.record(number).ack_waiting() is None
    [message] = [m for m in world.sl.messages(channel) if m["ts"] == ts]
    assert "done by" in message["text"]


def test_activity_in_the_channel_runs_the_incident_at_once(world, declared):
    number, channel = declared
    ts = world.sl.post_as_user(channel, world.team["slack_ids"]["lee"], "found it: bad deploy")
    world.sl.pin_as_user(channel, ts, world.team["slack_ids"]["lee"])
    event = {
        "type": "events_api",
        "envelope_id": "e-pin",
        "payload": {
            "event": {
                "type": "pin_added",
                "user": world.team["slack_ids"]["lee"],
                "channel_id": channel,
                "item": {"type": "message", "channel": channel, "message": {"ts": ts}},
            }
        },
    }
    deliver(world, listener(world), event)
    notes = [e.text for e in world.record(number).timeline if e.kind == "slack-note"]
    assert notes == ["found it: bad deploy"]


def test_the_tools_own_messages_start_no_run(world, declared):
    number, channel = declared
    live = listener(world)
    bot = world.sl.bot_user_id
    event = {
        "type": "events_api",
        "envelope_id": "e-own",
        "payload": {"event": {"type": "message", "user": bot, "channel": channel, "text": "x"}},
    }
    deliver(world, live, event)
    assert live.runs == 0


@pytest.mark.parametrize(
    ("envelope", "reason"),
    [
        ({"type": "hello"}, "without a payload"),
        ({"type": "events_api", "payload": {"event": {"type": "team_join"}}}, "team_join"),
        (
            {
                "type": "interactive",
                "payload": {
                    "type": "block_actions",
                    "user": {"id": "U0DANA0001"},
                    "actions": [{"action_id": "someone-elses", "value": "1"}],
                },
            },
            "someone-elses",
        ),
        (
            {
                "type": "interactive",
                "payload": {
                    "type": "view_submission",
                    "user": {"id": "U0DANA0001"},
                    "view": {"callback_id": "other:form"},
                },
            },
            "other:form",
        ),
    ],
)
def test_unknown_envelopes_are_ignored_and_said_why(envelope, reason):
    got = inbound.read_envelope(envelope)
    assert isinstance(got, inbound.Ignored) and reason in got.reason


def test_a_modal_with_missing_or_oversized_fields_stays_open_with_the_errors():
    submission = inbound.ViewSubmission(
        "v1", "U0DANA0001", "report", "C1", {"title": "", "summary": "x" * 3001}
    )
    assert view_errors(submission) == {
        "title": "Please fill this in.",
        "summary": "At most 3000 characters, please.",
    }
    fine = inbound.ViewSubmission(
        "v2", "U0DANA0001", "report", "C1", {"title": "a", "summary": "b"}
    )
    assert view_errors(fine) == {}


def buttons_on(message: dict[str, Any]) -> list[str]:
    return [
        element["action_id"]
        for block in message.get("blocks") or []
        if block.get("type") == "actions"
        for element in block["elements"]
    ]


def test_with_live_on_the_report_dm_has_declare_and_dismiss_and_declare_works(world):
    world.write_config(slack={**world.team["config"]["slack"], "live": "external"})
    number = world.report()
    dana = world.team["slack_ids"]["dana"]
    [dm] = [m for m in world.sl.dms(dana) if buttons_on(m)]
    assert buttons_on(dm) == ["incident:declare", "incident:dismiss"]
    channel = next(c for c in world.sl.channels_by_id.values() if c.is_im and c.im_user == dana).id
    deliver(world, listener(world), button(world, "dana", channel, dm["ts"], "declare", number))
    assert world.record(number).state.value == "declared"
    assert "incident:declared" in world.labels(number)
    [updated] = [m for m in world.sl.dms(dana) if m["ts"] == dm["ts"]]
    assert "Declare: done by" in updated["text"]
    record = world.record(number)
    [first] = [m for m in world.sl.messages(record.channel_id) if m["ts"] == record.report_ref[1]]
    assert buttons_on(first) == ["incident:join", "incident:update"]


def test_without_live_no_message_has_buttons(world):
    number = world.report()
    world.declare(number)
    channel = world.record(number).channel_id
    everything = world.sl.messages(channel) + [
        m for uid in world.team["slack_ids"].values() for m in world.sl.dms(uid)
    ]
    assert everything and not any(buttons_on(m) for m in everything)


def test_declare_by_someone_without_triage_is_refused(world):
    world.write_config(slack={**world.team["config"]["slack"], "live": "external"})
    number = world.report()
    dana = world.team["slack_ids"]["dana"]
    [dm] = [m for m in world.sl.dms(dana) if buttons_on(m)]
    channel = next(c for c in world.sl.channels_by_id.values() if c.is_im and c.im_user == dana).id
    # rita reads the repository only (and wrote the report): declaring is the team's.
    deliver(world, listener(world), button(world, "rita", channel, dm["ts"], "declare", number))
    assert world.record(number).state.value == "reported"
    rita = world.team["slack_ids"]["rita"]
    assert any("declaring is for" in m["text"] for m in world.sl.dms(rita))
    [unchanged] = [m for m in world.sl.dms(dana) if m["ts"] == dm["ts"]]
    assert buttons_on(unchanged) == ["incident:declare", "incident:dismiss"]


def test_with_live_in_actions_a_report_starts_one_live_run(world):
    world.write_config(slack={**world.team["config"]["slack"], "live": "actions"})
    world.gh.put_file(REPO, ".github/workflows/incident-live.yml", "on: workflow_dispatch\n")
    first = world.report()
    runs = world.gh.repos[REPO].runs
    assert [r["path"] for r in runs] == [".github/workflows/incident-live.yml"]
    world.declare(first)
    world.report(title="Another one")
    assert len(runs) == 1  # queued already: not started twice
    runs[0]["status"], runs[0]["conclusion"] = "completed", "success"  # it ended (time limit)
    code, output = cli(world, "sweep", "--repo", REPO)
    assert code == 0 and "started the live Slack connection" in output
    assert len(runs) == 2


def test_join_keeps_the_channels_first_message_for_the_next_person(world, declared):
    number, channel = declared
    ts = world.record(number).report_ref[1]
    deliver(world, listener(world), button(world, "lee", channel, ts, "join", number))
    assert "lee" in world.record(number).helping
    [first] = [m for m in world.sl.messages(channel) if m["ts"] == ts]
    assert buttons_on(first) == ["incident:join", "incident:update"]


def test_a_flood_of_channel_messages_costs_one_waiting_read_back(world, declared):
    import threading

    number, channel = declared
    live = listener(world)
    guest = "U0GUEST002"
    world.sl.add_user(guest, "guest2", "Guest Two", "g2@elsewhere.example")
    event = {
        "type": "events_api",
        "envelope_id": "e-flood",
        "payload": {"event": {"type": "message", "user": guest, "channel": channel, "text": "x"}},
    }
    busy = live._locks.setdefault(number, threading.Lock())
    busy.acquire()  # a run is in progress: everything that arrives now waits or is folded in
    workers = [threading.Thread(target=deliver, args=(world, live, event)) for _ in range(50)]
    for w in workers:
        w.start()
    time.sleep(0.3)
    busy.release()
    for w in workers:
        w.join(10)
    assert live.runs == 1  # one read-back waited and read all 50; the rest were folded in


def test_an_unmapped_account_opens_a_bounded_number_of_reports_with_the_form(world):
    guest = "U0GUEST003"
    world.sl.add_user(guest, "guest3", "Guest Three", "g3@elsewhere.example")
    live = listener(world)
    before = len(world.gh.issues(REPO))
    for n in range(5):
        values = {"title": f"report {n}", "summary": "something"}
        live.report(inbound.ViewSubmission(f"v{n}", guest, "report", "C0", values))
    assert len(world.gh.issues(REPO)) - before == 3  # limits.outsider_reports_per_day
    assert any("most reports" in m["text"] for m in world.sl.dms(guest))
