"""An outsider cannot flood the team (docs/usage.md#who-may-change-an-incident-by-hand): the costs
are bounded as docs/usage.md#people-without-triage-access says.

olly has no collaborator access. He files 50 reports through the form, and on a declared
incident posts 50 `/help` and 50 plain comments, while the team works on it: his comments
start no run of their own (GitHub's event says he is no collaborator), the team's runs and
the sweep count and answer them. Every figure
asserted here is in docs/security.md#security.
"""

from __future__ import annotations

from datetime import timedelta

import incident_tool.app as run_module
from incident_sandbox.demo import REPORT_BODY
from tests.world import REPO, cli

REPORTS = HELPS = PLAIN = 50
ANSWERED = 6  # twice limits.outsider_reports_per_day (trust.left_unanswered)


def test_one_outsider_cannot_flood_the_team(world):
    gh, sl = world.gh, world.sl
    dana = world.team["slack_ids"]["dana"]
    announce = world.team["channels"]["wc-platform"]
    incident = world.report()  # rita's report, declared by dana: the team at work
    world.declare(incident)
    channel = world.incident_channel(incident)["id"]

    def bot_comments() -> int:
        return sum(len(world.bot_comments(i["number"])) for i in gh.issues(REPO))

    def bot_posts(channel_id: str) -> int:
        return sum(1 for m in sl.messages(channel_id) if m.get("user") == sl.bot_user_id)

    before = {
        "dms": len(sl.dms(dana)),
        "comments": bot_comments(),
        "incident posts": bot_posts(channel),
        "announce posts": bot_posts(announce),
    }
    runs = []
    deliver = world.driver.deliver
    world.driver.deliver = lambda events=None: runs.extend(deliver(events)) or runs[-1:]
    requests_before = len(world.sb.requests)

    reports = []
    for i in range(REPORTS):
        issue = gh.open_issue(
            REPO, "olly", f"Everything is down {i}", REPORT_BODY, ["incident:reported"]
        )
        reports.append(issue["number"])
        world.deliver()
    after_reports = len(world.sb.requests)
    for i in range(HELPS):
        world.say(incident, "olly", "/help")
        world.say(incident, "olly", f"me again {i} ![x](https://tracker.example/{i}.png)")
        if i == REPORTS // 2:
            # The team in the middle of the flood: carried out at once, in its own run.
            # A delivery manager's, who may whoever leads (the record rebuilt from the issue
            # after the forgery names its lead anew).
            update = world.say(incident, "dana", "/update rolled back the index")
            assert world.record(incident).last("update").text == "rolled back the index"
            assert any("rolled back the index" in t for t in world.slack_texts(channel))
            assert any(r["content"] == "+1" for r in gh.reactions(update["id"]))
            world.say(incident, "lee", "/join")
            assert "lee" in world.record(incident).helping

    after_comments = len(world.sb.requests)
    # olly's comments started no run (GitHub's event says he is no collaborator): the
    # team's run counted those before it, the next sweep counts the rest.
    code, output = cli(world, "sweep", "--repo", REPO)
    assert code == 0, output

    after = {
        "dms": len(sl.dms(dana)),
        "comments": bot_comments(),
        "incident posts": bot_posts(channel),
        "announce posts": bot_posts(announce),
    }
    cost = {k: after[k] - before[k] for k in before}
    # Only the first limits.outsider_reports_per_day (3) reports page the delivery manager.
    assert cost["dms"] == 3
    paged = [n for n in reports if "incident-tool:reported" in str(world.bot_comments(n))]
    assert paged == reports[:3]
    for n in reports[3:ANSWERED]:
        assert "Nobody paged" in world.status(n)["body"]
        assert world.record(n).severity is None and world.record(n).severity_guess == 2
    # Beyond twice the limit in 24 hours his reports are left to the team unanswered: their
    # runs stopped after the one request that counted his reports.
    for n in reports[ANSWERED:]:
        assert world.bot_comments(n) == [] and world.labels(n) == ["incident:reported"]
    # Bot comments: a status comment per answered report, 3 "please assess", one answer to
    # olly's 50 /help (one an hour), and none for his plain comments.
    assert cost["comments"] == ANSWERED + 3 + 1
    # Slack: nothing of olly's; the team's update and join were posted (2 messages).
    assert cost["incident posts"] == 2
    assert cost["announce posts"] == 0
    record = world.record(incident)
    assert (record.outsider_comments, record.unanswered) == (PLAIN, HELPS - 1)
    status = world.status(incident)["body"]
    assert f"{PLAIN} comments not mirrored to Slack" in status
    # Every event incident.yml listens to had its run (a report's: the form's label), the
    # team's 2 too; olly's 100 comments' runs stopped before any request.
    assert len(runs) == REPORTS + HELPS + PLAIN + 2
    assert all(code == 0 for code, _ in runs)
    assert sum("the next run reads it" in output for _, output in runs) == HELPS + PLAIN
    assert sum("unanswered" in output for _, output in runs) == REPORTS - ANSWERED
    made = world.sb.requests[requests_before:]
    github = sum(1 for r in made if r.service == "github")
    slack = sum(1 for r in made if r.service != "github")
    # Their text never loads an image anywhere the tool shows it.
    assert "![x]" not in "".join(world.slack_texts(channel)) + status
    by_phase = [
        sum(1 for r in world.sb.requests[a:b] if r.service == "github")
        for a, b in (
            (requests_before, after_reports),
            (after_reports, after_comments),
            (after_comments, None),
        )
    ]
    # 100 comments by olly and the team's 2 commands: the team's runs only (5 requests
    # each before the flood; the /update's reads one page of comments more).
    assert by_phase[1] <= 2 * 8, by_phase
    # The reports: about 6 requests each of the 6 answered, 1 each of the 44 others.
    assert by_phase[0] <= ANSWERED * 7 + (REPORTS - ANSWERED), by_phase
    print(f"flood: {len(runs)} runs, {github} GitHub requests {by_phase}, {slack} Slack calls")
    print(f"flood: cost to the team {cost}")


# -- triage reminders count against the outsider's limit (issue #23 item 2) ---------------


def pages_to(world, login: str) -> list[str]:
    """What paged a delivery manager on Slack: report DMs and triage reminders."""
    texts = [m["text"] for m in world.sl.dms(world.team["slack_ids"][login])]
    return [t for t in texts if "Please assess it" in t or "waited" in t]


def sweep_every(world, monkeypatch, minutes: int, hours: int) -> None:
    """Sweep every `minutes` for `hours`, GitHub's clock and the tool's moving together."""
    for _ in range(hours * 60 // minutes):
        world.clock.now += timedelta(minutes=minutes)
        moment = world.clock.now
        monkeypatch.setattr(run_module, "utcnow", lambda moment=moment: moment)
        code, output = cli(world, "sweep", "--repo", REPO)
        assert code == 0, output


def test_reminders_keep_an_outsiders_reports_within_the_daily_paging_limit(world, monkeypatch):
    for i in range(5):
        world.gh.open_issue(
            REPO, "olly", f"Everything is down {i}", REPORT_BODY, ["incident:reported"]
        )
        world.deliver()
    assert len(pages_to(world, "dana")) == 3
    sweep_every(world, monkeypatch, 10, 2)  # two hours of sweeps, reminders due after 15 minutes
    pages = pages_to(world, "dana")
    print(f"flood: 5 reports by an outsider, 2 hours of sweeps: {len(pages)} pages")
    assert len(pages) == 3  # limits.outsider_reports_per_day, reminders included


def test_an_outsiders_only_report_is_reminded_once(world, monkeypatch):
    n = world.report("Search is down", by="olly")
    sweep_every(world, monkeypatch, 10, 2)
    pages = pages_to(world, "dana")
    assert len(pages) == 2 and "waited" in pages[1] and f"/issues/{n}" in pages[1]
    assert "triage" in world.record(n).reminded
    # The team's own reports are reminded every interval, as before.
    team = world.report("Events page slow", by="lee")
    sweep_every(world, monkeypatch, 10, 1)
    assert sum(f"/issues/{team}" in t and "waited" in t for t in pages_to(world, "dana")) >= 2


def test_a_reminder_counts_against_the_reports_that_follow(world, monkeypatch):
    world.report("Search is down", by="olly")
    sweep_every(world, monkeypatch, 20, 1)
    assert len(pages_to(world, "dana")) == 2  # the report and its one reminder
    for i in range(3):
        world.report(f"Still down {i}", by="olly")
    # One more report pages; the reminder took the third page of the day.
    assert len(pages_to(world, "dana")) == 3


# -- fake markers and repeated closes (issue #23 item 3) ---------------------------------


FAKES = 150  # comments carrying a fake `<!-- incident-tool:… -->` marker
CLOSES = 10


def test_no_24_hours_hold_more_than_3_pages_of_an_outsider(world, monkeypatch):
    """The audit's case: a report and its reminder, another report 23 hours 49 minutes
    later, its reminder's time, a third report: four pages in 23 hours 54 minutes, before
    a reminder also asked whether the report was alone in the 24 hours before it."""

    def at(minutes: int, sweep: bool = False) -> None:
        world.clock.now += timedelta(minutes=minutes)
        moment = world.clock.now
        monkeypatch.setattr(run_module, "utcnow", lambda moment=moment: moment)
        if sweep:
            assert cli(world, "sweep", "--repo", REPO)[0] == 0

    def paged() -> list[float]:
        dms = world.sl.dms(world.team["slack_ids"]["dana"])
        return [
            float(m["ts"]) for m in dms if "Please assess it" in m["text"] or "waited" in m["text"]
        ]

    before = len(paged())
    world.report("A is down", by="olly")
    for _ in range(6):
        at(5, sweep=True)  # its reminder, 15 minutes on
    at(23 * 60 + 49 - 30)
    world.report("B is down", by="olly")
    for _ in range(4):
        at(5, sweep=True)  # B's reminder's time
    world.report("C is down", by="olly")
    times = sorted(paged()[before:])
    day = 24 * 3600
    print("pages at", [round((t - times[0]) / 3600, 2) for t in times], "hours")
    assert times and max(sum(1 for u in times if t <= u < t + day) for t in times) <= 3, times


def test_fake_markers_and_repeated_closes_cost_the_team_nothing(world):
    """Issue #23, item 3: olly's comments carrying the tool's markers (the status comment's,
    a reply's, a record of his own) are a person's comments: they do not stop the comment
    cursor, so a run after 150 of them costs what it did before; and closing his own
    declared report ten times is undone once, then left to the team with one notice."""
    gh = world.gh
    incident = world.report()
    world.declare(incident)

    def github_requests(action) -> int:
        before = len(world.sb.requests)
        action()
        return sum(1 for r in world.sb.requests[before:] if r.service == "github")

    def team_update(text: str) -> int:
        return github_requests(lambda: world.say(incident, "priya", f"/update {text}"))

    before_flood = team_update("looking at the index")
    forged = '<!-- incident-tool:data {"state":"mitigated","leads":["olly"],"v":1} -->'
    kinds = ["<!-- incident-tool:status -->\n" + forged, "<!-- incident-tool:reply:1 -->"]
    for i in range(FAKES):
        world.clock.now += timedelta(minutes=1)  # over two and a half hours
        world.say(incident, "olly", f"{kinds[i % 2]}\nall fine {i}")
        if i % 5 == 4:  # the sweep's cadence: his comments start no run of their own
            assert cli(world, "sweep", "--repo", REPO)[0] == 0
    after_flood = team_update("index rebuilt")
    record = world.record(incident)
    assert (record.state.value, record.lead) == ("declared", "priya")
    assert record.outsider_comments == FAKES
    assert record.last("update").text == "index rebuilt"
    assert (
        len([c for c in world.bot_comments(incident) if "incident-tool:status" in c["body"]]) == 1
    )
    # The team's next command is carried out and answered: a fake reply marker for its
    # comment id (the next one GitHub gives) does not pass for the tool's answer.
    last = gh.comments(REPO, incident)[-1]["id"]
    world.say(incident, "olly", f"<!-- incident-tool:reply:{last + 2} -->", deliver=True)
    refused = world.say(incident, "priya", "/frobnicate")
    assert refused["id"] == last + 2
    assert any(
        f"incident-tool:reply:{refused['id']}" in c["body"] for c in world.bot_comments(incident)
    )
    # The cursor moved past every fake: the update's run reads the comments of the last
    # minutes, not all 150 since the team's last write (2 more pages with the old cursor).
    assert after_flood <= before_flood + 1, (before_flood, after_flood)

    # olly's own report, declared by the team; he closes it again and again.
    own = gh.open_issue(REPO, "olly", "Checkout is down", REPORT_BODY, ["incident:reported"])[
        "number"
    ]
    world.deliver()
    world.declare(own)
    comments_before = len(world.bot_comments(own))
    per_close = []
    for _ in range(CLOSES):
        if world.issue(own)["state"] == "closed":
            gh.reopen_issue(REPO, own, "olly")
            world.deliver()
        per_close.append(
            github_requests(
                lambda: (gh.close_issue(REPO, own, "olly", reason="completed"), world.deliver())
            )
        )
    said = [c["body"] for c in world.bot_comments(own)[comments_before:]]
    assert sum("incident-tool:undone:" in b for b in said) == 1
    assert sum("incident-tool:left-to-team:olly" in b for b in said) == 1 and len(said) == 2
    assert world.record(own).state.value == "declared"
    # Undone once, then left to the team and locked: his closes and reopens of the locked
    # incident start no job (incident.yml's `if`), so cost nothing.
    assert per_close[2:] == [0] * (CLOSES - 2) and per_close[0] > 0
    assert world.issue(own)["locked"]
    print(
        f"flood: /update {before_flood} GitHub requests before {FAKES} fake markers, "
        f"{after_flood} after; {CLOSES} closes by olly cost {per_close}"
    )


# -- a Slack guest's reports (issue #23 item 3) --------------------------------------------


def test_a_slack_guests_reports_are_bounded_per_day_and_per_sweep(world):
    """A guest posting `@incident-tool report` 30 times in the announce channel opened 30
    issues for 202 GitHub requests in one sweep: now `limits.outsider_reports_per_day` (3)
    a day are opened, the rest answered in their thread; and one sweep opens at most
    `PER_SWEEP` reports whoever made them."""
    from incident_tool.effects.slack_reports import PER_SWEEP
    from tests.e2e.test_slack_writes_back import command, thread

    announce = world.team["channels"]["wc-platform"]
    world.sl.add_user("U0GUEST001", "guest", "Gus Guest")
    said = [
        command(world, announce, "U0GUEST001", f"report Search is down, take {i}")
        for i in range(30)
    ]
    before = len(world.sb.requests)
    assert cli(world, "sweep", "--repo", REPO)[0] == 0
    github = sum(1 for r in world.sb.requests[before:] if r.service == "github")
    opened = [i for i in world.gh.issues(REPO) if i["title"].startswith("[Incident]: Search is")]
    assert len(opened) == 3
    assert all("Not opened" in thread(world, announce, ts)[0] for ts in said[3:])
    # The next sweep opens nothing more of those 30 (each has its answer in its thread).
    assert cli(world, "sweep", "--repo", REPO)[0] == 0
    assert len([i for i in world.gh.issues(REPO) if "Search is" in i["title"]]) == 3
    print(f"flood: a Slack guest's 30 reports: 3 opened, {github} GitHub requests in the sweep")
    # 3 reports opened and run (~10 requests each) and the sweep's own reads, was 202.
    assert github <= 45, github

    # The team's reports are not limited a day, but one sweep opens PER_SWEEP at most.
    for i in range(PER_SWEEP + 2):
        command(world, announce, "lee", f"report Checkout is slow, take {i}")
    assert cli(world, "sweep", "--repo", REPO)[0] == 0
    slow = [i for i in world.gh.issues(REPO) if "Checkout is slow" in i["title"]]
    assert len(slow) == PER_SWEEP
    assert cli(world, "sweep", "--repo", REPO)[0] == 0
    assert len([i for i in world.gh.issues(REPO) if "Checkout is slow" in i["title"]]) == 12


# -- the hour (issue #23's "Measure") ------------------------------------------------------


def test_a_slack_guest_cannot_push_their_reports_off_the_page_the_sweep_reads(world):
    """The audit's case: three reports, 200 plain messages, three more... The channel page
    (the newest 200) no longer shows the first three; GitHub's issues still do."""
    from tests.e2e.test_slack_writes_back import command, say

    announce = world.team["channels"]["wc-platform"]
    world.sl.add_user("U0GUEST001", "guest", "Gus Guest")

    def opened() -> int:
        return len([i for i in world.gh.issues(REPO) if "Search is down" in i["title"]])

    for round_ in range(3):
        for i in range(3):
            command(world, announce, "U0GUEST001", f"report Search is down, {round_}.{i}")
        assert cli(world, "sweep", "--repo", REPO)[0] == 0
        assert opened() == 3, f"round {round_}"
        for j in range(200):
            say(world, announce, "U0GUEST001", f"filler {round_}.{j}")


def test_a_slack_report_over_the_limit_left_claimed_is_not_opened_on_retry(world, monkeypatch):
    """Review: the daily limit was checked only on a report's first try. One over the limit
    whose "Not opened" reply failed stayed claimed and unanswered, and the sweep 10 minutes
    later retried it as a report whose run died, and opened it."""
    import incident_tool.effects.slack_reports as slack_reports
    from incident_tool.inbound.slack import CLAIMED
    from tests.e2e.test_slack_writes_back import command, thread

    announce = world.team["channels"]["wc-platform"]
    world.sl.add_user("U0GUEST001", "guest", "Gus Guest")
    for i in range(3):
        command(world, announce, "U0GUEST001", f"report Search is down, take {i}")
    assert cli(world, "sweep", "--repo", REPO)[0] == 0
    fourth = command(world, announce, "U0GUEST001", "report Search is down, take 4")
    world.sl.react_as_user(announce, fourth, world.sl.bot_user_id, CLAIMED)  # its reply lost
    world.clock.now += timedelta(minutes=11)
    monkeypatch.setattr(slack_reports, "utcnow", lambda: world.clock.now)
    assert cli(world, "sweep", "--repo", REPO)[0] == 0
    assert len([i for i in world.gh.issues(REPO) if "Search is" in i["title"]]) == 3
    assert "Not opened" in thread(world, announce, fourth)[0]


ROUNDS = 12  # an hour, in the sweep's five minutes


def test_one_outsider_for_an_hour(world, monkeypatch):
    """olly, no collaborator, for an hour with the record's key set: every five minutes a
    form report, a `/help`, a plain comment and one carrying a fake marker on the team's
    incident, a close of his own declared report, and a Slack report from a guest account;
    once, another workflow forges the incident's record (olly the lead, mitigated) and he
    says `/resolve`. The sweep runs every five minutes (triage reminders included). What it
    cost is measured against the same sweeps with olly absent (the first, before he starts)."""
    from tests.e2e.test_record_proof import KEY, forge
    from tests.e2e.test_slack_writes_back import command

    world.driver.env["INCIDENT_TOOL_RECORD_KEY"] = KEY
    gh, sl = world.gh, world.sl
    announce = world.team["channels"]["wc-platform"]
    sl.add_user("U0GUEST001", "guest", "Gus Guest")
    incident = world.report()
    world.declare(incident)
    own = gh.open_issue(REPO, "olly", "Checkout is down", REPORT_BODY, ["incident:reported"])[
        "number"
    ]
    world.deliver()
    world.declare(own)  # his first report: one of the day's 3 pages

    def github(since: int) -> int:
        return sum(1 for r in world.sb.requests[since:] if r.service == "github")

    def sweep() -> int:
        moment = world.clock.now
        monkeypatch.setattr(run_module, "utcnow", lambda moment=moment: moment)
        before = len(world.sb.requests)
        code, output = cli(world, "sweep", "--repo", REPO)
        assert code == 0, output
        return github(before)

    quiet_sweep = sweep()  # what a sweep costs the team without olly
    pages_before = len(pages_to(world, "dana"))
    comments_before = sum(len(world.bot_comments(i["number"])) for i in gh.issues(REPO))
    slack_before = sum(1 for r in world.sb.requests if r.service != "github")
    cost = dict.fromkeys(("reports", "comments", "closes", "Slack reports", "sweeps"), 0)

    def spend(kind: str, action) -> None:
        before = len(world.sb.requests)
        action()
        cost[kind] += github(before)

    def close_again() -> None:
        if world.issue(own)["state"] == "closed":
            gh.reopen_issue(REPO, own, "olly")
            world.deliver()
        gh.close_issue(REPO, own, "olly", reason="completed")
        world.deliver()

    for i in range(ROUNDS):
        world.clock.now += timedelta(minutes=5)
        spend(
            "reports",
            lambda i=i: (
                gh.open_issue(REPO, "olly", f"Down {i}", REPORT_BODY, ["incident:reported"]),
                world.deliver(),
            ),
        )
        for body in ("/help", f"still down {i}", f"<!-- incident-tool:status -->\nall fine {i}"):
            spend("comments", lambda body=body: world.say(incident, "olly", body))
        spend("closes", close_again)
        command(world, announce, "U0GUEST001", f"report Search is down, take {i}")
        if i == 3:
            lead_before = world.assignees(incident)
            forge(world, incident, lead="olly", state="mitigated")
            spend("comments", lambda: world.say(incident, "olly", "/resolve"))
            world.say(incident, "dana", "/status")  # a run of the team's reads the forgery
            assert world.assignees(incident) == lead_before
        if i == ROUNDS // 2:
            # A delivery manager's, who may whoever leads.
            update = world.say(incident, "dana", "/update rolled back the index")
            assert world.record(incident).last("update").text == "rolled back the index"
            assert any(r["content"] == "+1" for r in gh.reactions(update["id"]))
        reports_before = len(gh.issues(REPO))
        sweeps_cost = sweep() - quiet_sweep
        if len(gh.issues(REPO)) > reports_before:
            cost["Slack reports"] += sweeps_cost
        else:
            cost["sweeps"] += sweeps_cost

    slack_calls = sum(1 for r in world.sb.requests if r.service != "github") - slack_before
    pages = pages_to(world, "dana")[pages_before:]
    olly_pages = [t for t in pages if "olly" in t]
    bot_comments = (
        sum(len(world.bot_comments(i["number"])) for i in gh.issues(REPO)) - comments_before
    )
    record = world.record(incident)
    print(
        f"flood: an hour of olly: {len(pages)} pages ({len(olly_pages)} his form reports'), "
        f"{bot_comments} bot comments, GitHub requests {cost} (sweeps: more than a quiet "
        f"sweep's {quiet_sweep}), {slack_calls} Slack calls"
    )
    # The forged record gave olly nothing: not believed, the incident declared, olly not its
    # lead, the issue open; rebuilt from the issue, the record keeps the assigned lead.
    assert record.state.value == "declared" and record.lead != "olly"
    assert world.issue(incident)["state"] == "open" and "olly" not in world.assignees(incident)
    assert record.last("update").text == "rolled back the index"
    # His comments all counted, the forged record undone from the status comment's
    # revisions (nothing lost), but the last round's, waiting for a run.
    assert record.outsider_comments >= 2 * ROUNDS - 3
    # Pages a day: his form reports 3 with his report of yesterday's, the guest's 3.
    assert len(olly_pages) + 1 <= 3 and len(pages) - len(olly_pages) <= 3
    # His comments cost no request; all he and the guest account made the tool spend is
    # within issue #23's 100 an hour (docs/security.md#what-an-outsider-costs-in-an-hour).
    assert cost["comments"] == 0
    assert sum(cost.values()) <= 100, cost
