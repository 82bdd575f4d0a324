"""A lead who is really there (docs/usage.md#the-lead-availability-and-acknowledgement):
availability from what people say about themselves, acknowledgement, and passing the lead on,
end to end against the sandbox with a clock the test moves."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

import incident_tool.app as run_module
from incident_tool.config import ConfigError, parse
from incident_tool.core import availability
from incident_tool.core.record import parse_time
from tests.world import REPO, cli

WEEK = 7 * 24 * 3600


@pytest.fixture
def clock(world, monkeypatch):
    """The tool's clock is the sandbox's: `sweep` runs at the time the test moved it to."""
    monkeypatch.setattr(run_module, "utcnow", lambda: world.clock.now.replace(microsecond=0))

    def advance(minutes: float) -> None:
        world.clock.now += timedelta(minutes=minutes)

    return advance


def ids(world) -> dict[str, str]:
    return world.team["slack_ids"]


def stamp(world, minutes: float = 0) -> int:
    return int((world.clock.now + timedelta(minutes=minutes)).timestamp())


def everyone_here(world, *logins: str) -> None:
    """The demo's sam is away on Slack; make responders present (again, after the clock
    moved: Slack sets idle people away) to test one signal at a time."""
    for login in logins or ("sam", "priya", "lee"):
        world.sl.set_presence(ids(world)[login], "active")


def declared(world) -> int:
    number = world.report()
    world.declare(number)
    return number


def lead_entry(world, number: int):
    return world.record(number).last("lead")


def sweep(world) -> str:
    code, output = cli(world, "sweep", "--repo", REPO)
    assert code == 0, output
    return output


def slack_calls(world, since: int = 0) -> Counter:
    return Counter(
        r.path.removeprefix("/api/") for r in world.sb.requests[since:] if r.service == "slack"
    )


def texts(messages: list[dict]) -> list[str]:
    return [m.get("text", "") for m in messages]


# -- availability: each signal on its own ---------------------------------------------


def test_slack_holiday_status_skips_the_responder_and_says_why(world):
    everyone_here(world)
    expires = stamp(world, 3 * 24 * 60)
    world.sl.set_status(ids(world)["sam"], "On holiday", ":palm_tree:", expires)
    number = declared(world)
    assert world.assignees(number) == ["priya"]
    end = datetime.fromtimestamp(expires, tz=timezone.utc)
    reason = f"sam (🌴 On holiday until {end.day} {end:%b})"
    assert reason in lead_entry(world, number).text
    assert reason in world.status(number)["body"]  # the timeline in the status comment


def test_status_text_matches_case_insensitively_without_an_emoji(world):
    everyone_here(world)
    world.sl.set_status(ids(world)["sam"], "OUT OF OFFICE, back Monday")
    number = declared(world)
    assert world.assignees(number) == ["priya"]
    assert "sam (OUT OF OFFICE, back Monday)" in lead_entry(world, number).text


def test_a_status_that_says_nothing_about_availability_does_not_count(world):
    everyone_here(world)
    world.sl.set_status(ids(world)["sam"], "Homesick for the office", ":coffee:")
    number = declared(world)
    assert world.assignees(number) == ["sam"]


def test_an_expired_status_no_longer_counts(world, clock):
    everyone_here(world)
    world.sl.set_status(ids(world)["sam"], "Sick", ":face_with_thermometer:", stamp(world, 30))
    clock(31)  # Slack clears it when it expires
    everyone_here(world)
    number = declared(world)
    assert world.assignees(number) == ["sam"]


def test_away_statuses_come_from_the_config(world):
    everyone_here(world)
    world.write_config(availability={"away_statuses": [":airplane:"]})
    world.sl.set_status(ids(world)["sam"], "On holiday", ":palm_tree:")
    world.sl.set_status(ids(world)["priya"], "Flying to Lisbon", ":airplane:")
    number = declared(world)
    assert world.assignees(number) == ["sam"]  # a palm tree means nothing to this team
    world.write_config(availability={"away_statuses": [":airplane:"]}, responders=["priya", "lee"])
    other = declared(world)
    assert world.assignees(other) == ["lee"]
    assert "priya (✈️ Flying to Lisbon)" in lead_entry(world, other).text


def test_do_not_disturb_window_skips_the_responder_until_it_ends(world, clock):
    everyone_here(world)
    start, end = stamp(world, -60), stamp(world, 45)
    world.sl.set_dnd(ids(world)["sam"], start, end)
    number = declared(world)
    assert world.assignees(number) == ["priya"]
    shown = datetime.fromtimestamp(end, tz=timezone.utc).strftime("%H:%M UTC")
    if datetime.fromtimestamp(end, tz=timezone.utc).date() != world.clock.now.date():
        shown = f"{datetime.fromtimestamp(end, tz=timezone.utc):%-d %b}"
    assert f"sam (do not disturb on Slack until {shown})" in lead_entry(world, number).text
    clock(46)
    everyone_here(world)
    later = declared(world)
    assert world.assignees(later) == ["sam"]


def test_a_snooze_is_invisible_to_the_bot_as_slack_documents(world):
    # dnd.info: "All of the snooze_* properties will only be visible if the user being
    # queried is also the current user": a bot cannot see that someone paused notifications.
    everyone_here(world)
    world.sl.snooze(ids(world)["sam"], 60)
    number = declared(world)
    assert world.assignees(number) == ["sam"]


def test_slack_presence_away_skips_the_responder(world):
    number = declared(world)  # the demo's sam is away on Slack
    assert world.assignees(number) == ["priya"]
    assert "sam (away on Slack)" in lead_entry(world, number).text


def test_github_busy_skips_the_responder_but_a_status_hidden_from_the_token_does_not(world):
    everyone_here(world)
    world.gh.set_busy("sam")
    number = declared(world)
    assert world.assignees(number) == ["priya"]
    assert "sam (busy on GitHub)" in lead_entry(world, number).text
    # Limited to an organisation the token cannot see: GitHub answers no status; unknown.
    world.gh.set_busy("sam", organization="secret-org")
    other = declared(world)
    assert world.assignees(other) == ["sam"]


# -- availability: combined, and what it costs ------------------------------------------


def test_every_signal_at_once_and_the_slack_calls_it_costs(world):
    everyone_here(world)
    world.gh.set_busy("sam")
    world.sl.set_status(ids(world)["priya"], "On holiday", ":palm_tree:")
    world.sl.set_dnd(ids(world)["lee"], stamp(world, -5), stamp(world, 120))
    before = len(world.sb.requests)
    number = declared(world)
    text = lead_entry(world, number).text
    assert world.assignees(number) == ["dana"]  # nobody available: the declarer leads
    assert "no responder available: the declarer leads" in text
    assert "sam (busy on GitHub)" in text
    assert "priya (🌴 On holiday)" in text
    assert "lee (do not disturb on Slack until" in text
    calls = slack_calls(world, before)
    # Asked in order, each stopping at the first "away" on Slack. GitHub's busy status is
    # read beside Slack's signals, not before them (0.15 s less on every declaration), so
    # sam, busy on GitHub, still costs his Slack look-ups (status, presence, DND: 3);
    # priya's status came with users.lookupByEmail (her config gives an email: no call);
    # lee needs his status, presence and do-not-disturb (3).
    assert calls["users.profile.get"] == 2
    assert calls["users.getPresence"] == 2
    assert calls["dnd.info"] == 2


def test_an_available_senior_costs_three_slack_calls_and_an_away_one_two(world):
    everyone_here(world)
    before = len(world.sb.requests)
    number = declared(world)
    assert world.assignees(number) == ["sam"]
    calls = slack_calls(world, before)
    assert (calls["users.profile.get"], calls["dnd.info"], calls["users.getPresence"]) == (
        1,
        1,
        1,
    )
    world.sl.set_presence(ids(world)["sam"], "away")
    before = len(world.sb.requests)
    declared(world)
    calls = slack_calls(world, before)
    # sam: status, presence (away: stop); priya: status with her email look-up, presence, DND.
    assert (calls["users.profile.get"], calls["users.getPresence"], calls["dnd.info"]) == (
        1,
        2,
        1,
    )


# -- acknowledgement ----------------------------------------------------------------------


def test_the_chosen_lead_is_asked_everywhere_and_the_status_shows_the_wait(world):
    number = declared(world)  # priya leads (sam away)
    [ask] = [c for c in world.bot_comments(number) if "incident-tool:ack-ask:1" in c["body"]]
    assert "@priya" in ask["body"] and "`/ack`" in ask["body"]
    record = world.record(number)
    since = parse_time(record.ack["since"])
    assert (
        f"waiting for [priya](https://github.com/priya) to acknowledge "
        f"(since {since:%H:%M} UTC)" in world.status(number)["body"]
    )
    channel = world.incident_channel(number)["id"]
    assert any(
        "you lead this incident: please acknowledge" in t for t in world.slack_texts(channel)
    )
    [dm] = [m for m in world.sl.dms(ids(world)["priya"]) if "to acknowledge" in m["text"]]
    assert record.ack["dm"][1] == dm["ts"]
    assert record.report_ref[0] == channel


def test_ack_on_the_issue(world, clock):
    number = declared(world)
    world.say(number, "lee", "/ack")  # not the lead
    assert any(
        "Only the incident lead (priya) may use `/ack`" in c["body"]
        for c in world.bot_comments(number)
    )
    world.say(number, "priya", "/ack")
    record = world.record(number)
    entry = record.last("ack")
    assert (entry.actor, entry.text) == ("priya", "`/ack` on the issue")
    assert record.ack_waiting() is None
    assert "waiting for" not in world.status(number)["body"]
    clock(30)
    sweep(world)
    assert world.assignees(number) == ["priya"]  # acknowledged: never passed over
    assert world.record(number).count("ack") == 1


def test_ack_by_a_reaction_on_the_dm(world, clock):
    number = declared(world)
    channel, ts = world.record(number).ack["dm"]
    clock(3)
    world.sl.react_as_user(channel, ts, ids(world)["priya"], "white_check_mark")
    sweep(world)
    record = world.record(number)
    assert (record.last("ack").actor, record.last("ack").text) == ("priya", "✅ on the DM")
    assert record.ack_waiting() is None


def test_ack_by_a_reaction_on_the_channels_first_message(world, clock):
    number = declared(world)
    channel, ts = world.record(number).report_ref
    first = [m for m in world.sl.messages(channel) if m.get("user") == world.sl.bot_user_id][0]
    assert first["ts"] == ts  # the report is the first thing the tool said there
    # Someone else's ✅ does not acknowledge for the lead.
    world.sl.react_as_user(channel, ts, ids(world)["lee"], "white_check_mark")
    clock(2)
    sweep(world)
    assert world.record(number).ack_waiting() is not None
    world.sl.react_as_user(channel, ts, ids(world)["priya"], "white_check_mark")
    sweep(world)
    entry = world.record(number).last("ack")
    assert (entry.actor, entry.text) == ("priya", "✅ on the channel's first message")
    texts_now = world.slack_texts(channel)
    assert any("acknowledged the lead" in t for t in texts_now)


def test_ack_in_the_minute_the_sweep_would_pass_over_wins(world, clock):
    number = declared(world)
    channel, ts = world.record(number).ack["dm"]
    clock(10.5)  # due now
    world.sl.react_as_user(channel, ts, ids(world)["priya"], "white_check_mark")
    sweep(world)
    assert world.assignees(number) == ["priya"]
    assert world.record(number).leads == ["priya"]
    # And by command: posted in the same minute, carried out before the timeout is judged.
    everyone_here(world, "priya")
    other = declared(world)  # priya leads this one too
    clock(10.5)
    world.say(other, "priya", "/ack", deliver=False)
    world.gh.take_events()  # its own run was lost: the sweep carries the command out
    sweep(world)
    assert world.assignees(other) == ["priya"]
    assert world.record(other).last("ack").text == "`/ack` on the issue"


# -- passing on -----------------------------------------------------------------------------


def test_timeout_passes_the_lead_down_the_list_then_tells_the_delivery_managers(world, clock):
    number = declared(world)  # sam away: priya leads
    announce = world.team["channels"]["wc-platform"]
    channel = world.incident_channel(number)["id"]
    clock(9)
    sweep(world)
    assert world.assignees(number) == ["priya"]  # not yet
    clock(2)
    everyone_here(world, "lee")
    sweep(world)
    assert world.assignees(number) == ["lee"]
    record = world.record(number)
    assert record.leads == ["priya", "lee"] and record.timed_out == ["priya"]
    assert "passed on from priya" in record.last("lead").text
    assert any("did not acknowledge" in t and "now leads" in t for t in world.slack_texts(channel))
    assert any("now leads" in t for t in texts(world.sl.messages(announce)))
    assert any("You did not acknowledge" in t for t in texts(world.sl.dms(ids(world)["priya"])))
    assert any("to acknowledge" in t for t in texts(world.sl.dms(ids(world)["lee"])))
    assert any(
        "incident-tool:ack-ask:2" in c["body"] and "@lee" in c["body"]
        for c in world.bot_comments(number)
    )
    # Sweep again within the minute: nothing passes twice.
    clock(0.5)
    sweep(world)
    assert world.record(number).leads == ["priya", "lee"]
    # lee does not acknowledge either; sam is still away, priya timed out: nobody left.
    clock(11)
    sweep(world)
    record = world.record(number)
    assert world.assignees(number) == ["lee"]  # the last lead stays
    assert record.timed_out == ["priya", "lee"]
    assert "nobody to pass the lead to" in record.last("ack-timeout").text
    nobody = [c for c in world.bot_comments(number) if "incident-tool:ack-nobody:2" in c["body"]]
    assert len(nobody) == 1 and "@dana" in nobody[0]["body"]
    told = [t for t in texts(world.sl.dms(ids(world)["dana"])) if "Nobody has acknowledged" in t]
    assert len(told) == 1
    clock(30)
    sweep(world)  # told once
    assert (
        len([c for c in world.bot_comments(number) if "incident-tool:ack-nobody" in c["body"]]) == 1
    )
    assert len([t for t in texts(world.sl.dms(ids(world)["dana"])) if "Nobody has" in t]) == 1
    # lee can still acknowledge, and then nobody waits.
    world.say(number, "lee", "/ack")
    assert world.record(number).ack_waiting() is None


def test_a_responder_who_became_available_is_next(world, clock):
    number = declared(world)  # sam away: priya leads
    clock(11)
    world.sl.set_presence(ids(world)["sam"], "active")
    sweep(world)
    assert world.assignees(number) == ["sam"]  # most senior available, not timed out


def test_a_lead_named_by_handover_is_not_passed_over(world, clock):
    number = declared(world)
    world.say(number, "priya", "/handover @lee")
    record = world.record(number)
    assert record.ack["lead"] == "lee" and record.ack["chosen"] is False
    assert any("incident-tool:ack-ask:2" in c["body"] for c in world.bot_comments(number))
    clock(11)
    sweep(world)
    assert world.assignees(number) == ["lee"]
    [told] = [c for c in world.bot_comments(number) if "incident-tool:ack-missing:2" in c["body"]]
    assert "@priya" in told["body"] and "@dana" in told["body"]
    assert any("has not acknowledged" in t for t in texts(world.sl.dms(ids(world)["priya"])))
    assert any("has not acknowledged" in t for t in texts(world.sl.dms(ids(world)["dana"])))
    clock(11)
    sweep(world)  # once
    assert (
        len([c for c in world.bot_comments(number) if "incident-tool:ack-missing" in c["body"]])
        == 1
    )
    assert world.assignees(number) == ["lee"]


def test_taking_the_lead_yourself_asks_nothing(world):
    number = declared(world)
    world.say(number, "dana", "/handover @dana")
    record = world.record(number)
    assert record.lead == "dana" and record.ack_waiting() is None
    assert not any("incident-tool:ack-ask:2" in c["body"] for c in world.bot_comments(number))


def test_ack_within_zero_turns_it_all_off(world, clock):
    world.write_config(lead={"ack_within": 0})
    number = declared(world)
    assert not any("incident-tool:ack-ask" in c["body"] for c in world.bot_comments(number))
    assert "waiting for" not in world.status(number)["body"]
    assert not any("to acknowledge" in t for t in texts(world.sl.dms(ids(world)["priya"])))
    clock(60)
    sweep(world)
    assert world.assignees(number) == ["priya"]
    world.say(number, "priya", "/handover @lee")
    assert world.record(number).ack_waiting() is None


def test_without_slack_the_ask_and_the_passing_on_still_happen_on_github(
    world_without_slack, monkeypatch
):
    world = world_without_slack
    monkeypatch.setattr(run_module, "utcnow", lambda: world.clock.now.replace(microsecond=0))
    number = declared(world)
    assert world.assignees(number) == ["sam"]  # no Slack: nobody reads as away
    assert any(
        "@sam" in c["body"]
        for c in world.bot_comments(number)
        if "incident-tool:ack-ask:1" in c["body"]
    )
    world.clock.now += timedelta(minutes=11)
    sweep(world)
    assert world.assignees(number) == ["priya"]


# -- pure pieces -------------------------------------------------------------------------


NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def test_status_reason_honours_expiry_words_and_emoji():
    away = (":palm_tree:", "holiday", "sick")
    stamp_ = NOW.timestamp()
    assert availability.status_reason({"status_emoji": ":palm_tree:"}, away, NOW) == "🌴"
    assert (
        availability.status_reason(
            {"status_text": "On holiday", "status_expiration": stamp_ + 2 * 86400}, away, NOW
        )
        == "On holiday until 3 Dec"
    )
    assert (
        availability.status_reason(
            {"status_text": "Sick", "status_expiration": stamp_ + 3600}, away, NOW
        )
        == "Sick until 10:00 UTC"
    )
    assert (
        availability.status_reason(
            {"status_text": "Sick", "status_expiration": stamp_ - 1}, away, NOW
        )
        is None
    )
    assert availability.status_reason({"status_text": "homesick"}, away, NOW) is None
    assert availability.status_reason({"status_text": "HOLIDAY!"}, away, NOW) == "HOLIDAY!"
    assert availability.status_reason(None, away, NOW) is None


def test_dnd_reason_reads_the_window_and_a_visible_snooze():
    now = NOW.timestamp()
    assert (
        availability.dnd_reason(
            {"dnd_enabled": True, "next_dnd_start_ts": now - 60, "next_dnd_end_ts": now + 3600}, NOW
        )
        == "do not disturb on Slack until 10:00 UTC"
    )
    assert (
        availability.dnd_reason(
            {"dnd_enabled": True, "next_dnd_start_ts": now + 60, "next_dnd_end_ts": now + 3600}, NOW
        )
        is None
    )
    assert (
        availability.dnd_reason(
            {"dnd_enabled": False, "next_dnd_start_ts": now - 60, "next_dnd_end_ts": now + 60}, NOW
        )
        is None
    )
    assert (
        availability.dnd_reason(
            {"snooze_enabled": True, "snooze_endtime": now + 1800, "dnd_enabled": False}, NOW
        )
        == "notifications paused on Slack until 09:30 UTC"
    )
    assert availability.dnd_reason({"snooze_enabled": True, "snooze_endtime": now - 1}, NOW) is None


def test_config_lead_and_availability():
    config = parse("lead: {ack_within: 0}\navailability: {away_statuses: [':zzz:']}\n")
    assert config.lead.ack_within == 0 and config.availability.away_statuses == (":zzz:",)
    assert parse("").lead.ack_within == 10
    for bad in (
        "lead: {ack_within: -1}",
        "lead: {ack_within: false}",
        "lead: {within: 3}",
        "availability: {away_statuses: 3}",
    ):
        with pytest.raises(ConfigError):
            parse(bad, "x.yml")


# -- the decisions without HTTP ------------------------------------------------------------


def decided(**facts_away: str):
    from incident_tool.core import lifecycle
    from tests.fakes import context

    ctx = context()
    ctx.facts.away.update(facts_away)
    lifecycle.report(ctx, "rita")
    lifecycle.declare(ctx, "dana")
    ctx.plan.clear()
    return ctx


def at(ctx, minutes: float) -> None:
    ctx.now = ctx.now + timedelta(minutes=minutes)


def test_decision_declare_asks_the_chosen_lead_but_not_a_declarer_who_leads():
    from incident_tool.core import lifecycle
    from incident_tool.core.model import Comment
    from tests.fakes import context

    ctx = context()
    ctx.facts.away["sam"] = "away on Slack"
    lifecycle.report(ctx, "rita")
    lifecycle.declare(ctx, "dana")
    [ask] = [a for a in ctx.plan if isinstance(a, Comment) and a.key == "ack-ask:1"]
    assert "@priya" in ask.body and "10 minutes" in ask.body
    assert ctx.record.ack["lead"] == "priya" and ctx.record.ack["chosen"] is True
    assert {"ack-ask:1", "dm-ack-ask:1"} <= {m.key for m in ctx.record.outbox}
    ctx = context()
    ctx.facts.away.update(sam="x", priya="x", lee="x")
    lifecycle.report(ctx, "rita")
    lifecycle.declare(ctx, "dana")  # nobody available: dana leads, and knows it
    assert ctx.record.lead == "dana" and ctx.record.ack_waiting() is None
    assert not any(isinstance(a, Comment) and a.key.startswith("ack-") for a in ctx.plan)


def test_decision_pass_on_is_idempotent_within_the_window():
    from incident_tool.core import ack
    from incident_tool.core.model import Assign

    ctx = decided(sam="away on Slack")
    at(ctx, 9.9)
    ack.pass_on_due(ctx)
    assert ctx.record.lead == "priya" and not ctx.plan
    at(ctx, 0.2)
    ack.pass_on_due(ctx)
    assert ctx.record.leads == ["priya", "lee"] and Assign(("lee",)) in ctx.plan
    at(ctx, 0.5)
    ack.pass_on_due(ctx)  # the same minute again: lee's own ten minutes just started
    assert ctx.record.leads == ["priya", "lee"]
    at(ctx, 10)
    ack.pass_on_due(ctx)
    ack.pass_on_due(ctx)
    # sam is away and priya timed out: nobody left, told once, lee stays.
    assert ctx.record.leads == ["priya", "lee"] and ctx.record.timed_out == ["priya", "lee"]
    told = [m for m in ctx.record.outbox if m.key.startswith("dm-ack-nobody")]
    assert [m.destination for m in told] == ["dm:dana"]


def test_decision_an_acknowledged_lead_and_a_handed_over_lead_are_not_passed_over():
    from incident_tool.core import ack

    ctx = decided(sam="away on Slack")
    ack.acknowledge(ctx, "priya", "`/ack` on the issue")
    at(ctx, 60)
    ack.pass_on_due(ctx)
    assert ctx.record.leads == ["priya"]
    ctx = decided(sam="away on Slack")
    ctx.record.leads.append("lee")
    ack.handed_over(ctx, "lee", "priya")
    at(ctx, 60)
    ack.pass_on_due(ctx)
    ack.pass_on_due(ctx)
    assert ctx.record.leads == ["priya", "lee"]
    told = sorted(m.destination for m in ctx.record.outbox if m.key.startswith("dm-ack-missing"))
    assert told == ["dm:dana", "dm:priya"]


def test_status_text_is_quoted_safely_in_the_status_comment(world):
    everyone_here(world)
    world.sl.set_status(ids(world)["sam"], "holiday @dana <b>x</b> | ping", ":palm_tree:")
    number = declared(world)
    body = world.status(number)["body"]
    assert "@\u200bdana" in body and "&lt;b&gt;" in body and "<b>" not in body
