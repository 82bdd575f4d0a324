"""Slack writes back (docs/usage.md#slack-writes-back), end to end against the sandbox.

Notes, commands, reports, participation, outages, overlapping runs, big channels and
sensitive incidents."""

from __future__ import annotations

import threading
from collections import Counter

from incident_tool.core import slack_notes as from_slack
from incident_tool.core.record import extract
from incident_tool.inbound import slack as slack_inbound
from tests.world import REPO, cli, elsewhere


def ids(world) -> dict[str, str]:
    return world.team["slack_ids"]


def bot(world) -> str:
    return world.sl.bot_user_id


def sweep(world) -> str:
    code, output = cli(world, "sweep", "--repo", REPO)
    assert code == 0, output
    return output


def declared(world) -> tuple[int, str]:
    number = world.report()
    world.declare(number)
    return number, world.record(number).channel_id


def say(world, channel: str, login_or_id: str, text: str, **kw) -> str:
    user = ids(world).get(login_or_id, login_or_id)
    return world.sl.post_as_user(channel, user, text, **kw)


def command(world, channel: str, login: str, text: str, **kw) -> str:
    return say(world, channel, login, f"<@{bot(world)}> {text}", **kw)


def notes(world, number: int) -> list[tuple[str, str]]:
    return [
        (e.actor, e.text)
        for e in world.record(number).timeline
        if e.kind == slack_inbound.NOTE_KIND
    ]


def reactions(world, channel: str, ts: str) -> dict[str, list[str]]:
    [message] = [m for m in world.sl.messages(channel, include_system=True) if m["ts"] == ts]
    return {r["name"]: r["users"] for r in message.get("reactions", [])}


def thread(world, channel: str, ts: str) -> list[str]:
    return [m["text"] for m in world.sl.replies_of(channel, ts)]


def slack_commands(world, number: int) -> list[str]:
    return [
        c["body"] for c in world.bot_comments(number) if "incident-tool:slack-command:" in c["body"]
    ]


# -- notes ------------------------------------------------------------------------------


def test_a_pinned_message_is_a_note_with_its_author_time_and_plain_escaped_text(world):
    number, channel = declared(world)
    ts = say(
        world,
        channel,
        "lee",
        "Found it: <https://grafana.example/d/1|the index> is empty &amp; <@U0PRIYA001> "
        "knows <!channel> @here <img src=x>",
    )
    world.sl.pin_as_user(channel, ts, ids(world)["lee"])
    sweep(world)
    [(actor, text)] = notes(world, number)
    assert actor == "lee"
    assert text == (
        "Found it: the index (https://grafana.example/d/1) is empty & priya knows channel "
        "@here <img src=x>"
    )
    entry = world.record(number).timeline[-1]
    assert entry.at == slack_inbound.ts_time(ts).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = world.status(number)["body"]
    shown = body.split("**Latest Slack notes**")[1]
    # Quoted as data: no @-mention, no HTML.
    assert "@\u200bhere" in shown and "&lt;img src=x&gt;" in shown and "<img" not in shown
    assert reactions(world, channel, ts)[slack_inbound.RECORDED] == [bot(world)]

    world.sl.unpin_as_user(channel, ts)
    sweep(world)
    assert notes(world, number) == []
    assert slack_inbound.RECORDED not in reactions(world, channel, ts)
    assert "Latest Slack notes" not in world.status(number)["body"]


def test_the_timeline_reaction_from_anyone_makes_a_note_edits_are_followed_and_removal_too(
    world,
):
    number, channel = declared(world)
    ts = say(world, channel, "priya", "Rolled back to v41")
    world.sl.react_as_user(channel, ts, ids(world)["rita"], "pushpin")
    sweep(world)
    assert notes(world, number) == [("priya", "Rolled back to v41")]
    world.sl.edit_as_user(channel, ts, ids(world)["priya"], "Rolled back to v40")
    sweep(world)
    assert notes(world, number) == [("priya", "Rolled back to v40")]
    world.sl.unreact_as_user(channel, ts, ids(world)["rita"], "pushpin")
    sweep(world)
    assert notes(world, number) == []


def test_the_reaction_comes_from_the_config_and_the_tools_own_reaction_is_not_a_note(world):
    world.write_config(slack={"timeline_reaction": "stopwatch"})
    number, channel = declared(world)
    ts = say(world, channel, "priya", "14:02 deploy started")
    other = say(world, channel, "priya", "just chatting")
    world.sl.react_as_user(channel, ts, ids(world)["lee"], "stopwatch")
    world.sl.react_as_user(channel, other, ids(world)["lee"], "pushpin")
    world.sl.react_as_user(channel, other, bot(world), "stopwatch")
    sweep(world)
    assert notes(world, number) == [("priya", "14:02 deploy started")]


def test_notes_and_other_messages_reach_the_retrospective(world):
    # The channel's other messages only with `all` (the default, `notes`, leaves them out:
    # tests/e2e/test_retro_channel_copy.py).
    world.write_config(retrospective={"slack_messages": "all"})
    number, channel = declared(world)
    say(world, channel, "lee", "looking at the logs")
    ts = say(world, channel, "lee", "Cause: a bad index alias")
    world.sl.pin_as_user(channel, ts, ids(world)["lee"])
    world.say(number, "priya", "/update rebuilding the alias")
    world.say(number, "dana", "/resolve")
    [retro] = world.retrospectives()
    body = retro["body"]
    timeline, _, rest = body.partition("<details><summary>The incident channel's other messages")
    assert "| Slack | Slack note (lee): Cause: a bad index alias |" in timeline
    assert timeline.index("Slack note (lee)") < timeline.index("Update (priya)")
    assert "looking at the logs" in rest and "Cause: a bad index alias" not in rest


# -- commands ---------------------------------------------------------------------------


def test_handover_by_mention_is_carried_out_answered_in_thread_and_recorded(world):
    number, channel = declared(world)
    ts = command(world, channel, "dana", f"handover <@{ids(world)['lee']}>")
    sweep(world)
    assert world.assignees(number) == ["lee"]
    record = world.record(number)
    assert record.last("handover").actor == "dana"
    assert record.last("handover").text == "priya → lee"
    [answer] = thread(world, channel, ts)
    assert answer.startswith(":ok_hand: Done: `handover`, as dana on GitHub")
    [comment] = slack_commands(world, number)
    assert (
        "[dana](https://github.com/dana) in Slack ([message](https://sandbox.slack.com/archives/"
        in comment
    )
    assert "`@incident-tool handover`" in comment and "handover lee" in comment
    assert reactions(world, channel, ts)[slack_inbound.CLAIMED] == [bot(world)]
    # Nothing is done twice.
    sweep(world)
    world.say(number, "lee", "a plain comment")
    assert len(slack_commands(world, number)) == 1
    assert world.record(number).count("handover") == 1
    assert len(thread(world, channel, ts)) == 1


def test_a_command_from_slack_is_refused_exactly_as_on_github(world):
    number, channel = declared(world)
    ts = command(world, channel, "rita", "mitigated all good")
    sweep(world)
    assert world.record(number).state.value == "declared"
    [answer] = thread(world, channel, ts)
    assert "Only the incident lead (priya) or a delivery manager may use `/mitigated`." in answer
    # The refusal goes back to Slack only: the issue gets no comment of it (issue #22).
    assert slack_commands(world, number) == []
    assert not [c for c in world.bot_comments(number) if "Only the incident lead" in c["body"]]


def test_typos_and_refusals_in_slack_do_not_become_issue_comments(world):
    number, channel = declared(world)
    before = len(world.bot_comments(number))
    typo = command(world, channel, "dana", "mitgated all good")
    malformed = command(world, channel, "dana", "severity high")
    done = command(world, channel, "dana", "severity 2")
    sweep(world)
    assert "no_entry_sign" in thread(world, channel, typo)[0]
    assert "no_entry_sign" in thread(world, channel, malformed)[0]
    assert thread(world, channel, done)[0].startswith(":ok_hand: Done: `severity`")
    new = world.bot_comments(number)[before:]
    [recorded] = [c["body"] for c in new if "incident-tool:slack-command:" in c["body"]]
    assert "`@incident-tool severity`" in recorded and "✔️ Done." in recorded
    assert not [c for c in new if "mitgated" in c["body"] or "severity high" in c["body"]]


def test_an_update_given_in_slack_appears_once_in_the_channel(world):
    number, channel = declared(world)
    command(world, channel, "dana", "update Rolled back the index")
    sweep(world)
    texts = [m["text"] for m in world.sl.messages(channel)]
    assert sum("Rolled back the index" in t for t in texts) == 1, texts
    assert world.record(number).last("update").text == "Rolled back the index"
    # Given on GitHub, the channel hears it (it is not there otherwise).
    world.say(number, "dana", "/update Index rebuilt")
    texts = [m["text"] for m in world.sl.messages(channel)]
    assert sum("Index rebuilt" in t for t in texts) == 1, texts


def test_every_command_from_slack(world, monkeypatch):
    number, channel = declared(world)
    lee = ids(world)["lee"]
    given = [
        ("priya", "ack"),
        ("dana", "join"),
        ("dana", "update Rolled back the index"),
        ("dana", "severity 2"),
        ("dana", "resolved-when searches return results for 10 minutes"),
        ("dana", "comms We know search is down"),
        ("dana", "action Add an alert on empty results"),
        ("dana", "snooze 30m"),
        ("dana", "status"),
        ("dana", "help"),
        ("dana", f"invite <@{lee}> you know the index"),
        ("dana", "leave"),
        ("dana", f"handover <@{lee}>"),
        ("lee", "mitigated traffic is back"),
        ("lee", "resolve"),
    ]
    sent = [command(world, channel, who, text) for who, text in given]
    sweep(world)
    record = world.record(number)
    for ts, (_, text) in zip(sent, given, strict=True):
        [answer] = thread(world, channel, ts)
        assert "no_entry_sign" not in answer, (text, answer)
    kinds = Counter(e.kind for e in record.timeline)
    for kind in ("ack", "join", "update", "severity", "resolved-when", "comms", "action"):
        assert kinds[kind] >= 1, kind
    for kind in ("snooze", "invite", "leave", "handover", "mitigated", "resolved"):
        assert kinds[kind] >= 1, kind
    assert record.last("ack").text == "`@incident-tool ack` in Slack"
    assert record.last("update").ref.startswith("https://sandbox.slack.com/archives/")
    assert "severity:2" in world.labels(number)
    assert world.issue(number)["state"] == "closed"
    assert len(world.retrospectives()) == 1
    assert len(slack_commands(world, number)) == len(given)
    help_answer = thread(world, channel, sent[9])[0]
    assert "`handover`" in help_answer and "`resolved-when`" in help_answer
    # /help from Slack answers in the thread, not on the issue.
    assert not [c for c in world.bot_comments(number) if "incident-tool commands" in c["body"]]


def test_unmapped_people_are_refused_and_told_the_config_key(world):
    number, channel = declared(world)
    world.sl.add_user("U0STRANGER", "stranger", "Stranger Danger")
    ts = command(world, channel, "U0STRANGER", "update I fixed it")
    ts2 = command(world, channel, "dana", "handover <@U0STRANGER>")
    sweep(world)
    [answer] = thread(world, channel, ts)
    assert "people.&lt;your login&gt;.slack: U0STRANGER" in answer
    [answer2] = thread(world, channel, ts2)
    assert "U0STRANGER is not mapped to a GitHub login" in answer2
    assert "people.&lt;login&gt;.slack: U0STRANGER" in answer2
    assert world.record(number).count("update") == 0
    assert world.assignees(number) == ["priya"]


def test_edited_bot_other_channel_and_pre_declaration_messages_are_never_commands(world):
    number, channel = declared(world)
    edited = command(world, channel, "dana", "update first")
    world.sl.edit_as_user(channel, edited, ids(world)["dana"], f"<@{bot(world)}> dismiss nope")
    world.sl.post_as_other_bot(channel, f"<@{bot(world)}> dismiss from a bot")
    command(world, world.team["channels"]["wc-platform"], "dana", "dismiss wrong channel")
    say(world, channel, "dana", "dismiss without the mention")
    sweep(world)
    record = world.record(number)
    assert record.state.value == "declared" and record.count("update") == 0
    assert slack_commands(world, number) == []
    assert thread(world, channel, edited) == []


def test_a_command_in_a_thread_and_a_thread_of_500_replies_in_a_channel_of_1000(world):
    number, channel = declared(world)
    # else each sweep looks for her ✅ (docs/usage.md#the-lead-availability-and-acknowledgement)
    world.say(number, "priya", "/ack")
    sweep(world)
    parent = say(world, channel, "lee", "thread for the index")
    for i in range(998):
        say(world, channel, "lee" if i % 2 else "sam", f"message {i}")
    for i in range(499):
        say(world, channel, "priya", f"reply {i}", thread_ts=parent)
    command(world, channel, "priya", "update from deep in a thread", thread_ts=parent)
    world.sl.pin_as_user(channel, parent, ids(world)["lee"])
    cursor = world.record(number).slack_in["cursor"]
    world.sl.calls_by_channel.clear()
    sweep(world)
    calls = on(world, channel)
    top = [
        m
        for m in world.sl.messages(channel, include_system=True)
        if m.get("thread_ts", m["ts"]) == m["ts"]
    ]
    new = [m for m in top if slack_inbound.newer(m["ts"], cursor)]
    # The parent and 999 messages (the rest of 1,000 are replies), and the tool's own last
    # message: the cursor moves past the tool's messages only with people's.
    assert 1000 <= len(new) <= 1002
    # 200 a page, newest first, until a page reaches what was read before: 5 or 6 pages.
    assert len(new) / 200 <= calls["conversations.history"] <= len(new) / 200 + 1
    assert calls["conversations.replies"] == 3  # the parent and 500 replies, 200 a page
    assert calls["pins.list"] == 1
    record = world.record(number)
    assert record.last("update").text == "from deep in a thread"
    assert thread(world, channel, parent)[-1].startswith(":ok_hand:")
    assert ("lee", "thread for the index") in notes(world, number)
    assert "sam" in record.slack_in["posters"] and "priya" in record.slack_in["posters"]
    # Nothing new: two calls (history, pins); the tool's answer moved the thread once.
    sweep(world)
    world.sl.calls_by_channel.clear()
    sweep(world)
    assert on(world, channel) == {"conversations.history": 1}


def test_participation_lists_channel_members_and_who_posted(world):
    number, channel = declared(world)
    world.say(number, "lee", "/join")
    say(world, channel, "sam", "I am here too")
    world.sl.add_user("U0GUEST001", "guest", "Gus Guest")
    say(world, channel, "U0GUEST001", "hello from a guest")
    sweep(world)
    body = world.status(number)["body"]
    row = next(line for line in body.splitlines() if line.startswith("| In the Slack channel |"))
    assert "[lee](https://github.com/lee)" in row and "[priya](https://github.com/priya)" in row
    posted = next(line for line in body.splitlines() if line.startswith("| Posted in Slack |"))
    assert "sam" in posted and "guest (Slack)" in posted
    assert "| Helping | [lee](https://github.com/lee) |" in body
    # A join shows in the history: followed without conversations.members.
    world.say(number, "dana", "/invite @sam you know the index")
    world.sl.calls_by_channel.clear()
    sweep(world)
    assert on(world, channel)["conversations.members"] == 0
    row = next(
        line
        for line in world.status(number)["body"].splitlines()
        if line.startswith("| In the Slack channel |")
    )
    assert "[sam](https://github.com/sam)" in row


# -- reports from the announce channel ---------------------------------------------------


def test_a_report_in_the_announce_channel_opens_one_report_issue(world):
    announce = world.team["channels"]["wc-platform"]
    ts = command(
        world, announce, "rita", "report Search returns nothing for *everyone* <@U0LEE00001>"
    )
    sweep(world)
    [issue] = [i for i in world.gh.issues(REPO) if i["title"].startswith("[Incident]: Search")]
    assert issue["title"] == "[Incident]: Search returns nothing for *everyone* lee"
    assert [x["name"] for x in issue["labels"]] == ["incident:reported"]
    from incident_tool.inbound.forms import parse_report

    report = parse_report(issue["body"])
    assert report.get("summary") == "Search returns nothing for *everyone* lee"
    assert "Reported in Slack by [rita](https://github.com/rita)" in issue["body"]
    record = world.record(issue["number"])
    assert record.state.value == "reported" and record.first("reported").actor == "rita"
    dms = [m["text"] for m in world.sl.dms(ids(world)["dana"])]
    assert any("Potential incident reported by" in t for t in dms)
    [answer] = thread(world, announce, ts)
    assert f"/issues/{issue['number']}|#{issue['number']}>" in answer
    sweep(world)
    assert (
        len([i for i in world.gh.issues(REPO) if i["title"].startswith("[Incident]: Search")]) == 1
    )


def test_slack_reports_by_an_account_not_on_the_team_page_at_most_the_daily_limit(world):
    """A guest in the announce channel cannot page the delivery managers without bound:
    `limits.outsider_reports_per_day` reports a day are opened, and page; the others are
    answered in their thread, not opened (tests/e2e/test_flood.py has the guest's costs)."""
    announce = world.team["channels"]["wc-platform"]
    world.sl.add_user("U0GUEST001", "guest", "Gus Guest")
    dana = ids(world)["dana"]
    before = len(world.sl.dms(dana))
    for i in range(5):
        command(world, announce, "U0GUEST001", f"report Search is down, take {i}")
    sweep(world)
    opened = [i for i in world.gh.issues(REPO) if i["title"].startswith("[Incident]: Search is")]
    assert len(opened) == 3
    pages = [m for m in world.sl.dms(dana)[before:] if "Potential incident reported" in m["text"]]
    assert len(pages) == 3
    assert not any(world.record(i["number"]).not_paged for i in opened)
    # Someone on the team reports as often as they like.
    for i in range(4):
        command(world, announce, "lee", f"report Checkout is slow, take {i}")
    sweep(world)
    pages = [m for m in world.sl.dms(dana)[before:] if "Potential incident reported" in m["text"]]
    assert len(pages) == 7


def test_a_slack_report_on_a_quiet_day_is_opened_by_the_weekly_job_days_later(world, monkeypatch):
    """While no incident is open the sweep is off; the weekly follow-ups job reads the
    announce channel (eight days of it), so a report made then is late, never lost."""
    from datetime import timedelta

    from incident_tool.effects import slack_reports

    announce = world.team["channels"]["wc-platform"]
    ts = command(world, announce, "rita", "report Payments fail since Saturday")
    world.clock.now += timedelta(days=5)  # a long weekend: nobody swept
    monkeypatch.setattr(slack_reports, "utcnow", lambda: world.clock.now)
    code, output = cli(world, "sweep", "--repo", REPO, "--followups-only")
    assert code == 0, output
    [issue] = [i for i in world.gh.issues(REPO) if i["title"].startswith("[Incident]: Payments")]
    assert "reports from Slack opened: #" in output
    assert world.record(issue["number"]).state.value == "reported"
    dms = [m["text"] for m in world.sl.dms(ids(world)["dana"])]
    assert any("Payments fail since Saturday" in t for t in dms)
    [answer] = thread(world, announce, ts)
    assert f"#{issue['number']}" in answer
    # The next weekly run opens nothing again.
    code, output = cli(world, "sweep", "--repo", REPO, "--followups-only")
    assert code == 0 and "reports from Slack opened" not in output
    assert len([i for i in world.gh.issues(REPO) if i["title"].startswith("[Incident]: Pay")]) == 1


# -- failures and races -------------------------------------------------------------------


def test_a_slack_outage_mid_incident_loses_nothing_and_doubles_nothing(world):
    number, channel = declared(world)
    ts = command(world, channel, "priya", "update halfway there")
    note = say(world, channel, "lee", "the cache was cold")
    world.sl.pin_as_user(channel, note, ids(world)["lee"])
    world.sb.faults.add("slack", path=r"conversations\.history", status=429, retry_after=0, times=2)
    world.sb.faults.add("slack", path=r"conversations\.history|pins\.list", status=500, times=None)
    output = sweep(world)
    assert "could not read the incident channel" in output
    record = world.record(number)
    assert record.count("update") == 0
    assert any("could not read the incident channel" in p for p in record.problems)
    world.sb.faults.clear()
    sweep(world)
    sweep(world)
    record = world.record(number)
    assert record.count("update") == 1 and notes(world, number) == [("lee", "the cache was cold")]
    assert len(thread(world, channel, ts)) == 1 and len(slack_commands(world, number)) == 1
    assert not [p for p in record.problems if "Slack" in p]


def test_two_overlapping_runs_carry_a_command_out_once(world, monkeypatch):
    number, channel = declared(world)
    ts = command(world, channel, "dana", f"handover <@{ids(world)['lee']}>")
    original = from_slack.apply
    inner: list[str] = []

    def overlapped(ctx, readout):
        if not inner:
            # Run A has read and claimed; run B, started meanwhile, runs to its end.
            inner.append("started")
            inner.append(elsewhere(lambda: sweep(world)))
        return original(ctx, readout)

    monkeypatch.setattr(from_slack, "apply", overlapped)
    outer = sweep(world)
    assert "starting again from the new record" in outer
    assert world.record(number).count("handover") == 1
    assert len(slack_commands(world, number)) == 1
    assert len(thread(world, channel, ts)) == 1
    assert world.assignees(number) == ["lee"]


def test_two_concurrent_claims_only_one_wins(world):
    _, channel = declared(world)
    ts = command(world, channel, "dana", "update racing")
    from incident_tool.effects.slack import SlackRoom

    rooms = [SlackRoom(world.sl.bot_token, world.sb.slack_url, log=lambda _: None) for _ in "ab"]
    results: list[bool] = []
    workers = [
        threading.Thread(target=lambda r=r: results.append(r.react(channel, ts, "robot_face")))
        for r in rooms
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(results) == [False, True]


def test_a_sensitive_incident_keeps_its_channel_private(world):
    number = world.report(title="Leaked key", labels=("incident:reported", "sensitive"))
    world.declare(number)
    record = world.record(number)
    channel = record.channel_id
    assert world.sl.channel_by_name(record.channel_name)["is_private"]
    secret = say(world, channel, "lee", "the key AKIA-SECRET-123 is in the log")
    world.sl.pin_as_user(channel, secret, ids(world)["lee"])
    say(world, channel, "lee", "rotating AKIA-SECRET-123 now")
    command(world, channel, "priya", "mitigated")
    sweep(world)
    world.say(number, "dana", "/resolve")
    assert notes(world, number) == [("lee", from_slack.SENSITIVE_TEXT)]
    seen = [i["body"] or "" for i in world.gh.issues(REPO)]
    seen += [c["body"] for c in world.gh.comments(REPO, number)]
    assert not [t for t in seen if "AKIA-SECRET" in t]
    [retro] = world.retrospectives()
    assert "<details>" not in retro["body"]
    for other in world.team["channels"].values():
        assert not [m for m in world.sl.messages(other) if "AKIA" in m.get("text", "")]


def on(world, channel: str) -> Counter:
    return Counter(m for m, c in world.sl.calls_by_channel if c == channel)


def test_nothing_new_costs_two_slack_calls_per_incident(world):
    number, channel = declared(world)
    # else the sweep looks for her ✅ (docs/usage.md#the-lead-availability-and-acknowledgement)
    world.say(number, "priya", "/ack")
    say(world, channel, "lee", "hello")
    sweep(world)
    world.sl.calls_by_channel.clear()
    sweep(world)
    # The pin count in history's answer is unchanged: pins.list waits (30 minutes at most).
    assert on(world, channel) == {"conversations.history": 1}
    # Per sweep, not per incident: the announce channel for reports (auth.test finds the
    # bot's id, conversations.list the channel's).
    announce = world.team["channels"]["wc-platform"]
    assert on(world, announce) == {"conversations.history": 1}
    everything = Counter(m for m, _ in world.sl.calls_by_channel)
    assert everything == {
        "conversations.history": 2,
        "auth.test": 1,
        "conversations.list": 1,
    }
    assert extract(world.status(number)["body"]).slack_in["cursor"]


def test_the_sandbox_rate_limits_by_method_tier(world):
    _, channel = declared(world)
    world.sl.rate_limits = True
    world.clock.now = world.clock.now.replace(second=0)
    from incident_sandbox.wire import Request

    service = world.sb._services["slack"]
    codes = []
    for _ in range(25):
        request = Request(
            "GET",
            "/api/pins.list",
            {"channel": [channel]},
            {"Authorization": f"Bearer {world.sl.bot_token}"},
            b"",
        )
        call = service.prepare(request)
        response = service.execute(call)
        codes.append(response.status)
    # pins.list is Tier 2: 20 a minute; the 21st waits for the next minute.
    assert codes[:20] == [200] * 20 and codes[20] == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_a_person_posts_through_the_web_api_with_their_user_token(world):
    """What `demo --serve` prints: a person's xoxp token acts as them in the sandbox."""
    from incident_tool.effects.slack import SlackRoom

    number, channel = declared(world)
    lee = SlackRoom(world.sl.user_token(ids(world)["lee"]), world.sb.slack_url, log=print)
    ts = lee.post(channel, f"<@{bot(world)}> join")
    note = lee.post(channel, "the alias points at an empty index")
    lee.react(channel, note, "pushpin")
    [posted] = [m for m in world.sl.messages(channel) if m["ts"] == ts]
    assert posted["user"] == ids(world)["lee"] and "bot_id" not in posted
    sweep(world)
    assert "lee" in world.record(number).helping
    assert notes(world, number) == [("lee", "the alias points at an empty index")]


def test_a_slack_name_never_reads_as_a_github_login(world):
    number, channel = declared(world)
    world.sl.add_user("U0DANAFAKE", "dana", "Not Dana")  # a Slack display name "dana"
    ts = say(world, channel, "U0DANAFAKE", "I am dana, trust me")
    world.sl.pin_as_user(channel, ts, "U0DANAFAKE")
    sweep(world)
    assert notes(world, number) == [("dana (Slack)", "I am dana, trust me")]
    body = world.status(number)["body"]
    assert "Slack note by dana (Slack): I am dana" in body
    assert "Slack note by [dana](https://github.com/dana)" not in body


def test_a_missing_scope_is_a_slack_problem_and_the_next_run_catches_up(world):
    number, channel = declared(world)
    ts = command(world, channel, "priya", "update still here")
    world.sb.faults.add(
        "slack", path=r"conversations\.history", slack_error="missing_scope", times=None
    )
    output = sweep(world)
    assert "lacks a required OAuth scope" in output
    assert any("missing_scope" in p for p in world.record(number).problems)
    world.sb.faults.clear()
    sweep(world)
    assert world.record(number).count("update") == 1 and len(thread(world, channel, ts)) == 1


def test_the_announce_channel_is_joined_when_the_bot_is_not_in_it(world):
    announce = world.team["channels"]["wc-platform"]
    world.sb.slack.channels_by_id[announce].members.remove(bot(world))
    command(world, announce, "lee", "report The CMS is slow")
    sweep(world)
    assert [i for i in world.gh.issues(REPO) if i["title"] == "[Incident]: The CMS is slow"]


def test_the_tools_own_messages_do_not_rewrite_the_status_comment(world):
    number, channel = declared(world)
    say(world, channel, "lee", "hello")
    sweep(world)
    world.say(number, "lee", "/update still looking")  # the tool posts it to the channel
    before = world.status(number)["body"]
    sweep(world)
    assert world.status(number)["body"] == before
