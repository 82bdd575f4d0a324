"""`incident-tool demo`: a whole incident against the built-in sandbox, narrated.

The tool runs exactly as in Actions: each webhook the sandbox emits is written to an event
file and handed to `incident-tool handle` with GITHUB_EVENT_NAME / GITHUB_EVENT_PATH set;
only GITHUB_API_URL and SLACK_API_URL point at loopback.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

REPO = "wellcome/platform"

REPORT_BODY = """### Summary

Search on wellcomecollection.org returns no results for any query.

### Affected service

Search / catalogue API

### Impact on users

Nobody can find works or images; about 40% of visits start with a search.

### When did it start?

2026-11-26 09:40 UTC

### How was it noticed?

Alert "search-empty-results" fired, then a tweet from a user.

### Links

```text
https://grafana.example.org/d/search-api
```

### Severity guess

2 - Major: a core service is degraded or down for some
"""


def serve(port: int) -> None:
    """`demo --serve`: the sandbox until Ctrl-C; a port in use is said with what to do."""
    import errno

    from incident_sandbox import serve as serve_sandbox
    from incident_tool.errors import UsageError

    try:
        serve_sandbox(port)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise UsageError(
            f"port {port} (GitHub's) or {port + 1} (Slack's) is in use: pass --port with"
            " another, or --port 0 for any free one"
        ) from None


def title(text: str, width: int = 50) -> str:
    """A step's title of at most `width` characters, cut between words."""
    return textwrap.shorten(text, width=width, placeholder=" …")


def as_slack_shows(text: str) -> str:
    """A Slack message's text as Slack shows it: its escapes (`&lt;!channel&gt;`, which
    pings nobody) read back as the characters people see."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


@contextlib.contextmanager
def environment(values: dict[str, str], drop: tuple[str, ...] = ()) -> Iterator[None]:
    """Set (and unset: `drop`) environment variables for a while.

    On leaving, a variable goes back to what it was only if it still holds what this block
    set: two blocks open at once in different threads (a listener's and a test's) then
    leave nothing behind, whichever leaves first, and nested blocks unwind in order."""
    ours: dict[str, str | None] = {**{k: None for k in drop}, **values}
    saved = {k: os.environ.get(k) for k in ours}
    for key in drop:
        os.environ.pop(key, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if os.environ.get(key) != ours[key]:
                continue  # changed since by someone else: theirs to put back
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


class Narrator:
    """Show, step by step, what changed on "GitHub" and in "Slack"."""

    def __init__(self, sb: Any, say: Callable[[str], None], slack_ids: dict[str, str]) -> None:
        self.sb, self.say, self.slack_ids = sb, say, slack_ids
        self.seen_comments: set[int] = set()
        self.seen_messages: set[tuple[str, str]] = set()
        self.seen_channels: set[str] = set()
        self.reacted: set[int] = set()
        self.members: dict[str, set[str]] = {}
        self.last_labels: list[str] = []
        self.last_assignees: list[str] = []
        self.last_state = ""

    def step(self, title: str) -> None:
        self.say("")
        self.say(f"━━ {title} " + "━" * max(0, 70 - len(title)))

    def show_changes(self, number: int) -> None:
        self._issue_changes(number)
        self._comment_changes(number)
        for channel in self.sb.slack.channels():
            self._channel_changes(channel)
        self._dm_changes()

    def _issue_changes(self, number: int) -> None:
        issue = self.sb.github.issue(REPO, number)
        labels = sorted(label["name"] for label in issue["labels"])
        assignees = sorted(a["login"] for a in issue["assignees"])
        if labels != self.last_labels:
            self.say(f"  GitHub  labels: {', '.join(labels)}")
            self.last_labels = labels
        if assignees != self.last_assignees:
            self.say(f"  GitHub  assignee: {', '.join(assignees) or 'none'}")
            self.last_assignees = assignees
        state = f"{issue['state']}" + (
            f" ({issue['state_reason']})" if issue.get("state_reason") else ""
        )
        if state != self.last_state:
            self.say(f"  GitHub  issue is {state}")
            self.last_state = state

    def _comment_changes(self, number: int) -> None:
        gh = self.sb.github
        for comment in gh.comments(REPO, number):
            author = comment["user"]["login"]
            if comment["id"] not in self.seen_comments:
                self.seen_comments.add(comment["id"])
                if author.endswith("[bot]"):
                    self.say(f"  GitHub  {author}: {summarise(comment['body'])}")
            if gh.reactions(comment["id"]) and comment["id"] not in self.reacted:
                self.reacted.add(comment["id"])
                self.say(f"  GitHub  👍 on {author}'s comment")

    def _channel_changes(self, channel: dict[str, Any]) -> None:
        sl, cid = self.sb.slack, channel["id"]
        if cid not in self.seen_channels and channel.get("creator") == sl.bot_user_id:
            self.seen_channels.add(cid)
            kind = "private" if channel.get("is_private") else "public"
            self.say(f"  Slack   created #{channel['name']} ({kind})")
        if cid in self.seen_channels:
            names = {v: k for k, v in self.slack_ids.items()}
            members = {names.get(m, m) for m in sl.members(cid) if m in names}
            new = sorted(members - self.members.get(cid, set()))
            if new:
                self.say(f"  Slack   #{channel['name']}: invited {', '.join(new)}")
            self.members[cid] = members
        for message in sl.messages(cid):
            key = (cid, message["ts"])
            if key in self.seen_messages:
                continue
            self.seen_messages.add(key)
            if message.get("user") != sl.bot_user_id:
                continue
            said = summarise(as_slack_shows(message.get("text", "")))
            self.say(f"  Slack   #{channel['name']}: {said}")

    def _dm_changes(self) -> None:
        for login, user_id in self.slack_ids.items():
            for message in self.sb.slack.dms(user_id):
                key = (user_id, message["ts"])
                if key not in self.seen_messages:
                    self.seen_messages.add(key)
                    said = summarise(as_slack_shows(message.get("text", "")))
                    self.say(f"  Slack   DM to {login}: {said}")


CHANGED_REPO = "wellcome/catalogue-api"  # the affected service's repository


def _seed_changes(sb: Any, team: dict[str, Any], now: datetime) -> str:
    """What changed before the demo's incident: a merge by sam an hour before the report
    and its deployment (docs/usage.md#what-changed-before-the-incident). dana's token
    reads it (CHANGES_TOKEN) and may open a revert there (REVERT_TOKEN). Returns the
    merge's ref."""
    gh = sb.github
    gh.add_repo(CHANGED_REPO, private=True, description="Catalogue and search API")
    gh.add_collaborator(CHANGED_REPO, "sam", "write")
    gh.add_collaborator(CHANGED_REPO, "dana", "maintain")
    merged = gh.merge_pull_request(
        CHANGED_REPO,
        "sam",
        "Point the search index alias at the nightly build",
        at=now - timedelta(minutes=62),
        files=["terraform/search/alias.tf"],
    )
    gh.add_deployment(
        CHANGED_REPO,
        "dana",
        ref="main",
        sha=merged["merge_commit_sha"],
        at=now - timedelta(minutes=55),
    )
    team["config"]["changes"] = {"services": {"Search / catalogue API": [CHANGED_REPO]}}
    team["env"]["CHANGES_TOKEN"] = team["tokens"]["dana"]
    team["env"]["REVERT_TOKEN"] = team["tokens"]["dana"]
    return f"{CHANGED_REPO}#{merged['number']}"


def _sweep(driver: Driver, clock: Callable[[], datetime], say: Callable[[str], None]) -> None:
    """Run the sweep at the demo's time; say how it failed, if it did."""
    code, output = driver.sweep(clock)
    if code:
        say(f"  (sweep exited {code}: {output.strip()[-300:]})")


def summarise(text: str, width: int = 120) -> str:
    """Return the first meaningful lines of a message, without markers, on one line."""
    lines = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith(("<!--", "|", "<details", "</details"))
    ]
    return textwrap.shorten(" ".join(lines[:2]), width=width, placeholder=" …")


class DemoClock:
    """The sandbox's clock: still while the tool works, moved on between people's actions,
    so the timeline and durations read like a real incident rather than one second."""

    def __init__(self) -> None:
        now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
        self.now = now - timedelta(hours=2)

    def __call__(self) -> datetime:
        return self.now

    def __format__(self, spec: str) -> str:
        return format(self.now, spec)

    def advance(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)


class Driver:
    """Hand the sandbox's webhooks to `incident-tool handle`, as the workflow would.

    Each event is written to a file and `handle` runs in-process with GITHUB_EVENT_NAME's
    and GITHUB_EVENT_PATH's equivalents, the working directory at `root` (where
    `.github/incident.yml` lives) and the sandbox's URLs and tokens in the environment.
    """

    def __init__(
        self, sb: Any, env: dict[str, str], root: Path, main: Callable[[list[str]], object]
    ) -> None:
        # `main`: incident_tool.cli.main, passed in by whoever runs the demo, so that the
        # sandbox never imports the CLI that imports it (no import cycle).
        self.sb, self.env, self.root, self.main = sb, env, root, main
        self.log = ""

    def run(self, name: str, payload: dict[str, Any], *extra: str) -> tuple[int, str]:
        """Run `handle` once; return its exit status and everything it printed."""
        path = self.root / "event.json"
        path.write_text(json.dumps(payload), "utf-8")
        args = ["handle", "--event-name", name, "--event-path", str(path), *extra]
        captured = io.StringIO()
        code = 0
        with (
            environment(self.env),
            chdir(self.root),
            contextlib.redirect_stdout(captured),
            contextlib.redirect_stderr(captured),
        ):
            try:
                self.main(args)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
        output = captured.getvalue()
        self.log += output
        return code, output

    def sweep(self, clock: Callable[[], datetime] | None = None) -> tuple[int, str]:
        """Run `sweep` once, as the schedule would; at `clock`'s time when given."""
        from incident_tool import app as run_module

        captured = io.StringIO()
        code = 0
        saved = run_module.utcnow
        if clock is not None:
            # The demo's time is the sandbox's: a sweep "11 minutes later" is read so.
            run_module.utcnow = lambda: clock().replace(microsecond=0)
        with (
            environment(self.env),
            chdir(self.root),
            contextlib.redirect_stdout(captured),
            contextlib.redirect_stderr(captured),
        ):
            try:
                self.main(["sweep", "--repo", REPO])
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            finally:
                run_module.utcnow = saved
        output = captured.getvalue()
        self.log += output
        return code, output

    def deliver(
        self, events: list[tuple[str, dict[str, Any]]] | None = None
    ) -> list[tuple[int, str]]:
        """Run `handle` for each event (default: every webhook the sandbox queued)."""
        if events is None:
            events = [e for e in self.sb.github.take_events() if starts_incident_yml(*e)]
        return [self.run(name, payload) for name, payload in events]


# What incident.yml's `on:` subscribes to (incident_tool/templates/workflow.yml; a test
# keeps the two the same): GitHub starts its job for these and for nothing else, so an
# `issues.opened` webhook runs nothing (the form's `labeled` does).
INCIDENT_YML_TRIGGERS: dict[str, frozenset[str] | None] = {
    "issues": frozenset({"labeled", "closed", "reopened"}),
    "issue_comment": frozenset({"created"}),
    "repository_dispatch": frozenset({"incident-report"}),
    "workflow_dispatch": None,
}


def starts_incident_yml(name: str, payload: dict[str, Any]) -> bool:
    """Whether GitHub starts incident.yml's job for this webhook."""
    if name not in INCIDENT_YML_TRIGGERS:
        return False
    if name == "workflow_dispatch":
        # A dispatch of another workflow (incident-live.yml) starts that one's job.
        return str(payload.get("workflow", "")).endswith("/incident.yml")
    types = INCIDENT_YML_TRIGGERS[name]
    action = payload.get("action")
    return types is None or action in types


def run(
    main: Callable[[list[str]], object],
    say: Callable[[str], None] = print,
    live: Callable[[Callable[[str], None]], Callable[[], None]] | None = None,
) -> int:
    """Run the demo with `main` (incident_tool.cli.main); return 0 when the incident ended
    as expected. With `live` (incident_tool.verbs.listen.in_background), a second incident
    is run from Slack alone, over the live connection."""
    from incident_sandbox import Sandbox, seed_demo

    started = time.monotonic()
    clock = DemoClock()
    with Sandbox(clock=clock) as sb, tempfile.TemporaryDirectory(prefix="incident-demo-") as tmp:
        team = seed_demo(sb)
        suspect = _seed_changes(sb, team, clock())
        root = Path(tmp)
        (root / ".github").mkdir()
        import yaml

        (root / ".github" / "incident.yml").write_text(yaml.safe_dump(team["config"]), "utf-8")
        env = dict(team["env"])
        narrator = Narrator(sb, say, team["slack_ids"])
        driver = Driver(sb, env, root, main)

        def deliver() -> None:
            for code, output in driver.deliver():
                if code:
                    say(f"  (handle exited {code}: {output.strip()[-300:]})")

        def advance(minutes: int) -> None:
            # The team is at work: Slack would mark them away after 10 idle minutes, and
            # only the senior who set "away" by hand should be skipped.
            clock.advance(minutes)
            for user_id in team["slack_ids"].values():
                if sb.slack.users[user_id].presence == "active":
                    sb.slack.touch(user_id)

        gh = sb.github
        logins = team["logins"]
        reporter, dm = logins["reporter"], logins["delivery_manager"]
        senior, lead, helper = logins["responders"]
        narrator.step(
            f'1. {clock:%H:%M} {reporter} reports an incident with the "Report incident" form'
        )
        issue = gh.open_issue(
            REPO,
            reporter,
            "[Incident]: Search returns no results",
            REPORT_BODY,
            labels=["incident:reported"],
        )
        number = issue["number"]
        deliver()
        narrator.show_changes(number)

        advance(4)
        narrator.step(f"2. {clock:%H:%M} {dm} (delivery manager) declares it; {senior} is away")
        gh.add_label(REPO, number, dm, "incident:declared")
        deliver()
        narrator.show_changes(number)

        first, lead, helper = lead, helper, lead  # priya is asked first, and does not answer
        advance(11)
        narrator.step(
            f"3. {clock:%H:%M} the sweep: {first} has not acknowledged in 10 minutes, "
            f"so {lead} is asked"
        )
        _sweep(driver, clock, say)
        narrator.show_changes(number)

        advance(1)
        narrator.step(f"4. {clock:%H:%M} {lead} acknowledges with a ✅ on the tool's DM")
        _acknowledge_on_dm(sb, number, team["slack_ids"][lead])
        # The sweep that reads the ✅ runs in the same minute: the timeline then records
        # the ack when the story tells it (it said 05:04 and recorded 05:05).
        _sweep(driver, clock, say)
        narrator.show_changes(number)

        # (minutes after the previous step, who, comment, what it shows)
        steps = [
            (
                3,
                dm,
                "/resolved-when search returns results for 15 minutes",
                "sets resolution criteria",
            ),
            (2, helper, "/join", "joins to help"),
            # In Slack (docs/usage.md#slack-writes-back): a finding pinned, and the lead handing
            # over by mention.
            (
                3,
                helper,
                "slack:pin:The 09:35 index alias switch pointed search at an empty index",
                "pins a finding in Slack",
            ),
            (
                3,
                lead,
                f"slack:command:handover <@{team['slack_ids'][helper]}>",
                "hands the lead over in Slack",
            ),
            (1, helper, "/ack", "acknowledges the lead"),
            # docs/usage.md#what-changed-before-the-incident: the merge an hour before.
            (2, helper, f"/suspect {suspect}", "suspects the merge listed at declaration"),
            (2, helper, f"/revert {suspect}", "opens its revert (never merged by the tool)"),
            (
                3,
                lead,
                "Checked the deploys: the 09:35 index alias switch looks wrong.",
                "comments (mirrored to Slack)",
            ),
            (
                9,
                helper,
                "/update Rolled back the search index alias; results are back "
                "for most queries <!channel>",
                "posts an update",
            ),
            (
                2,
                dm,
                "/comms Search was down for about 30 minutes; it is recovering.",
                "tells stakeholders",
            ),
            (
                5,
                helper,
                "/action @priya Alert on empty search results within 5 minutes",
                "records a follow-up action for priya",
            ),
            # And on the issue: the lead hands back with `/handover @user`, the fourth way.
            (2, helper, f"/handover @{lead}", "hands the lead back on the issue"),
            (1, lead, "/ack", "acknowledges the lead"),
            (2, lead, "/mitigated", "marks it mitigated"),
        ]
        for n, (minutes, who, body, what) in enumerate(steps, start=5):
            advance(minutes)
            if body.startswith("slack:"):
                _in_slack(
                    sb, driver, clock, narrator, number, team["slack_ids"][who], n, who, body, what
                )
                continue
            narrator.step(f"{n}. {clock:%H:%M} {who} {what}: {title(body.splitlines()[0])}")
            gh.comment(REPO, number, who, body)
            deliver()
            narrator.show_changes(number)

        advance(12)
        sb.slack.post_as_user(
            _incident_channel(sb, number),
            team["slack_ids"][helper],
            "Confirmed with the catalogue team: the nightly reindex was the cause.",
        )
        advance(8)
        n = len(steps) + 5
        narrator.step(f"{n}. {clock:%H:%M} {dm} closes the issue as completed")
        gh.close_issue(REPO, number, dm, reason="completed")
        deliver()
        narrator.show_changes(number)

        issues = gh.issues(REPO)
        retros = [i for i in issues if i["title"].startswith("Retrospective:")]
        final = gh.issue(REPO, number)
        labels = sorted(label["name"] for label in final["labels"])
        say("")
        say("━━ The retrospective " + "━" * 50)
        if retros:
            say(f"#{retros[0]['number']} {retros[0]['title']}")
            say("")
            say(
                "\n".join(
                    line for line in retros[0]["body"].splitlines() if not line.startswith("<!--")
                )
            )
        followups = [i for i in issues if i["title"].startswith("Follow-up:")]
        if followups:
            say("")
            say("━━ Its follow-ups (sub-issues of the retrospective) " + "━" * 18)
            for item in followups:
                owner = ", ".join(a["login"] for a in item["assignees"]) or "nobody"
                say(f"#{item['number']} {item['title']}  (owner: {owner})")
        say("━" * 71)
        ok = "incident:resolved" in labels and len(retros) == 1 and final["state"] == "closed"
        if retros and followups:
            # The checklist links each follow-up, and each is attached under the retrospective.
            parent = gh.issue(REPO, retros[0]["number"])["sub_issues_summary"]["total"]
            ok = (
                ok
                and parent == len(followups)
                and all(f"- [ ] #{i['number']}" in retros[0]["body"] for i in followups)
            )
        say(
            f"Demo {'finished' if ok else 'FAILED'} in {time.monotonic() - started:.1f}s: "
            f"state {', '.join(x for x in labels if x.startswith('incident:'))}, "
            f"{len(retros)} retrospective, {len(sb.requests)} API requests to the sandbox."
        )
        if live is not None and ok:
            with environment(env), chdir(root):
                ok = slack_first(sb, team, root, say, live)
        say("Try it by hand: incident-tool demo --serve   (see the README)")
        if not ok:
            say(driver.log[-3000:])
        return 0 if ok else 1


def slack_first(
    sb: Any,
    team: dict[str, Any],
    root: Path,
    say: Callable[[str], None],
    live: Callable[[Callable[[str], None]], Callable[[], None]],
) -> bool:
    """A second incident from Slack alone, over the live connection
    (docs/usage.md#live-slack): `/incident` and its form, Declare, Acknowledge, a pin,
    `/incident mitigated`, `/incident resolve`; each step says how long it took."""
    import yaml

    config = dict(team["config"])
    config["slack"] = {**config["slack"], "live": "external"}
    (root / ".github" / "incident.yml").write_text(yaml.safe_dump(config), "utf-8")
    ids, logins = team["slack_ids"], team["logins"]
    reporter, dm = ids[logins["reporter"]], ids[logins["delivery_manager"]]
    say("")
    say("━━ A second incident, from Slack alone (incident-tool listen, Socket Mode) " + "━" * 4)
    stop = live(lambda line: say(f"  {line}") if line.startswith("warning") else None)
    gh, sl = sb.github, sb.slack
    try:
        before = {i["number"] for i in gh.issues(REPO)}
        announce = team["channels"]["wc-platform"]
        number = _live_step(
            say,
            f"{logins['reporter']} types /incident in #wc-platform and fills in the form",
            lambda: _report_by_form(sl, reporter, announce),
            lambda: next(iter({i["number"] for i in gh.issues(REPO)} - before), None),
        )
        if number is None:
            return False
        _live_step(
            say,
            f"{logins['delivery_manager']} presses Declare on the tool's DM",
            lambda: _press(sl, dm, "incident:declare"),
            lambda: "incident:declared" in _labels(gh, number),
        )
        lead = _lead(gh, number)
        acknowledged = _live_step(
            say,
            f"{lead} presses Acknowledge on the tool's DM",
            lambda: _press(sl, ids[lead], "incident:ack"),
            lambda: _status_has(gh, number, "acknowledged"),
        )
        channel = _incident_channel(sb, number)
        pinned = _live_step(
            say,
            f"{lead} pins a finding in the incident channel",
            lambda: _pin(sl, channel, ids[lead], "Payments retry storm from the new client"),
            lambda: _status_has(gh, number, "Payments retry storm"),
        )
        mitigated = _live_step(
            say,
            f"{lead} types /incident mitigated in the channel",
            lambda: sl.slash_command(ids[lead], channel, "/incident", "mitigated rolled back"),
            lambda: "incident:mitigated" in _labels(gh, number),
        )
        _live_step(
            say,
            f"{lead} types /incident resolve",
            lambda: sl.slash_command(ids[lead], channel, "/incident", "resolve"),
            lambda: "incident:resolved" in _labels(gh, number),
        )
    finally:
        stop()
    # Every step carried out, not only the end: a step that never took effect fails the demo.
    steps_done = bool(acknowledged and pinned and mitigated)
    ok = gh.issue(REPO, number)["state"] == "closed" and steps_done
    say(f"#{number} {'resolved from Slack alone' if ok else 'did NOT end as expected'}")
    return ok


def _live_step(
    say: Callable[[str], None], what: str, act: Callable[[], object], done: Callable[[], Any]
) -> Any:
    started = time.monotonic()
    act()
    deadline = started + 15
    while time.monotonic() < deadline:
        found = done()
        if found:
            say(f"  {what}: done in {time.monotonic() - started:.1f} s")
            return found
        time.sleep(0.05)
    say(f"  {what}: NOT done within 15 s")
    return None


def _report_by_form(sl: Any, user: str, channel: str) -> None:
    sl.slash_command(user, channel, "/incident", "")
    deadline = time.monotonic() + 5
    while not sl.open_views(user) and time.monotonic() < deadline:
        time.sleep(0.02)
    [view] = sl.open_views(user)[-1:]

    def text(value: str) -> dict[str, Any]:
        return {"value": {"type": "plain_text_input", "value": value}}

    sl.submit_view(
        user,
        view["id"],
        {"title": text("Checkout payments time out"), "summary": text("Card payments hang")},
    )


def _press(sl: Any, user: str, action: str) -> None:
    """Press `action`'s button on the newest DM that has it, once it has come: the run that
    posts it labels the issue at the same time, so the label can be seen first (under load
    the DM came after the demo had looked, and Acknowledge was never pressed)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for message in reversed(sl.dms(user)):
            actions = [
                e.get("action_id")
                for b in message.get("blocks") or []
                if b.get("type") == "actions"
                for e in b.get("elements", [])
            ]
            if action in actions:
                im = next(c.id for c in sl.channels_by_id.values() if c.is_im and c.im_user == user)
                sl.click(user, im, message["ts"], action)
                return
        time.sleep(0.02)


def _pin(sl: Any, channel: str, user: str, text: str) -> None:
    ts = sl.post_as_user(channel, user, text)
    sl.pin_as_user(channel, ts, user)


def _labels(gh: Any, number: int) -> list[str]:
    return [label["name"] for label in gh.issue(REPO, number)["labels"]]


def _lead(gh: Any, number: int) -> str:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        assignees = gh.issue(REPO, number)["assignees"]
        if assignees:
            return str(assignees[0]["login"])
        time.sleep(0.05)
    raise RuntimeError("nobody was made lead")


def _status_has(gh: Any, number: int, text: str) -> bool:
    return any(
        "incident-tool:status" in c["body"] and text in c["body"] for c in gh.comments(REPO, number)
    )


def _in_slack(
    sb: Any,
    driver: Any,
    clock: Any,
    narrator: Any,
    number: int,
    user: str,
    n: int,
    who: str,
    body: str,
    what: str,
) -> None:
    """A person acts in the incident channel; the next sweep reads it back.

    docs/usage.md#slack-writes-back.
    """
    _, kind, text = body.split(":", 2)
    channel = _incident_channel(sb, number)
    # Mentions as people read them (`@lee`), so the new lead's name shows.
    users = sb.slack.users

    def named(match: Any) -> str:
        return "@" + (users[match[1]].name if match[1] in users else match[1])

    shown = text if kind == "pin" else "@incident-tool " + re.sub(r"<@(\w+)>", named, text)
    narrator.step(f"{n}. {clock:%H:%M} {who} {what}: {title(shown)}")
    if kind == "pin":
        ts = sb.slack.post_as_user(channel, user, text)
        sb.slack.pin_as_user(channel, ts, user)
    else:
        ts = sb.slack.post_as_user(channel, user, f"<@{sb.slack.bot_user_id}> {text}")
    clock.advance(1)
    _sweep(driver, clock, narrator.say)
    narrator.show_changes(number)
    from incident_tool.inbound.slack import RECORDED

    [message] = [m for m in sb.slack.messages(channel) if m["ts"] == ts]
    if any(r["name"] == RECORDED for r in message.get("reactions", [])):
        narrator.say(
            f"  Slack   :{RECORDED}: on the pinned message: the sweep put it in the timeline"
        )


def _acknowledge_on_dm(sb: Any, number: int, user_id: str) -> None:
    """The person reacts ✅ to the tool's latest DM asking them to acknowledge."""
    for channel in sb.slack.channels_by_id.values():
        if channel.is_im and channel.im_user == user_id:
            asks = [m for m in channel.messages if "to acknowledge" in m.text]
            if asks:
                sb.slack.react_as_user(channel.id, asks[-1].ts, user_id, "white_check_mark")
                return
    raise RuntimeError("the tool asked for no acknowledgement")


def _incident_channel(sb: Any, number: int) -> str:
    for channel in sb.slack.channels():
        if channel["name"].startswith(f"incident-{number}-"):
            return channel["id"]
    raise RuntimeError("the incident channel was not created")


@contextlib.contextmanager
def chdir(path: Path) -> Iterator[None]:
    """Work in `path` for a while (contextlib.chdir is Python 3.11+)."""
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)
