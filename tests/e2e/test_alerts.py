"""Reports from monitors, scripts and the Actions tab, end to end against the sandbox
(docs/usage.md#reports-from-monitors-scripts-and-the-actions-tab).

Monitors dispatch through the sandbox's `POST /repos/{o}/{r}/dispatches` (as Grafana or
curl would), and `handle` gets the `repository_dispatch` event the sandbox emits; payloads
the sandbox itself would refuse are built from the real example events instead.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from incident_tool.inbound.forms import parse_report, severity_from_guess
from incident_tool.verbs import open as intake
from tests.world import REPO, cli

EXAMPLES = Path(__file__).parents[1] / "data" / "webhooks"
MONITOR = "lee"  # the monitor's token owner: a person with write access, as in real life
ALERT = {
    "title": "Search 5xx above 5%",
    "summary": "Error rate 12% for 5 minutes on the search API",
    "service": "Search / catalogue API",
    "severity": 2,
    "source": "grafana",
    "url": "https://grafana.example.org/d/search?from=now-1h",
    "details": {"rate": 0.12, "alertname": "SearchErrors", "<script>": "@channel | hi"},
}
WORKFLOW = """name: Incident
on:
  issues:
    types: [opened]
  repository_dispatch:
    types: [incident-report]
  workflow_dispatch:
    inputs:
      title: {description: What is wrong, required: true, type: string}
      summary: {description: More, required: false, type: string}
      service: {description: Affected service, required: false, type: string}
      severity:
        description: Your guess
        required: false
        type: choice
        options: ["", "1", "2", "3", "4"]
        default: ""
jobs: {}
"""


def api(world, method: str, path: str, body: Any, login: str = MONITOR) -> tuple[int, Any]:
    """Call the sandbox's REST API as a person (a monitor, curl)."""
    token = world.gh.user(login).token if login != "bot" else world.gh.bot_token
    request = urllib.request.Request(
        f"{world.sb.github_url}{path}",
        data=json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def fire(world, payload: dict | None = None, *, deliver: bool = True, **changes: Any) -> list:
    """Send an alert as a monitor does; run `handle` on the event (as the workflow)."""
    body = {**(payload if payload is not None else ALERT), **changes}
    status, _ = api(
        world,
        "POST",
        f"/repos/{REPO}/dispatches",
        {"event_type": "incident-report", "client_payload": body},
    )
    assert status == 204
    return world.deliver() if deliver else []


def example_event(client_payload: Any, sender: str = MONITOR) -> dict:
    """A repository_dispatch event built from GitHub's real example payload."""
    event = json.loads((EXAMPLES / "repository_dispatch.on-demand-test.1.json").read_text())
    event["action"] = "incident-report"
    event["client_payload"] = client_payload
    event["sender"]["login"] = sender
    event["repository"]["full_name"] = REPO
    return event


def reports(world) -> list[dict]:
    return [
        i
        for i in world.gh.issues(REPO)
        if any(label["name"].startswith("incident:") for label in i["labels"])
    ]


def test_a_firing_becomes_a_report_like_a_form_one(world):
    [output] = fire(world)
    assert "opened #1 for this problem" in output
    issue = world.issue(1)
    assert issue["title"] == ALERT["title"]
    assert issue["user"]["login"] == world.gh.bot_login
    labels = world.labels(1)
    assert "incident:reported" in labels and "severity:2" in labels
    assert any(x.startswith("alert:") and len(x) == 22 for x in labels)
    parsed = parse_report(issue["body"])
    assert parsed.get("summary") == ALERT["summary"]
    assert parsed.get("service") == "Search / catalogue API"
    assert severity_from_guess(parsed.get("severity")) == 2
    details = parsed.unknown_sections["Details"]
    assert "| alertname | SearchErrors |" in details
    assert "<script>" not in issue["body"] and "@channel" not in issue["body"]
    status = world.status(1)["body"]
    assert "`grafana` via a monitor (repository_dispatch)" in status
    assert "[alert](https://grafana.example.org/d/search?from=now-1h)" in status
    record = world.record(1)
    assert record.state.value == "reported" and record.alert["count"] == 1
    assert record.timeline[0].kind == "reported" and record.timeline[0].actor == MONITOR
    # The delivery managers are paged as for a form report: on the issue and in Slack.
    [reported] = [c for c in world.bot_comments(1) if "Potential incident reported" in c["body"]]
    assert "@dana" in reported["body"] and f"[{MONITOR}]" in reported["body"]
    dm = world.sl.dms(world.team["slack_ids"]["dana"])
    assert any("Potential incident reported" in m["text"] for m in dm)


def test_the_same_again_counts_on_the_same_issue(world):
    fire(world)
    world.sb.reset_log()
    [output] = fire(world)
    assert "fired again on #1" in output
    assert len(reports(world)) == 1
    record = world.record(1)
    assert record.alert["count"] == 2
    assert [e.kind for e in record.timeline] == ["reported", "fired-again"]
    assert "| Fired | 2 times" in world.status(1)["body"]
    # The repeat found the issue with one filtered request, and listed nothing else.
    gets = [r for r in world.sb.requests if r.method == "GET" and r.path.endswith("/issues")]
    assert len(gets) == 1 and str(gets[0].query["labels"]).startswith("alert:")
    # Worded differently, the same problem: still one issue.
    fire(world, title="search 5XX  above 5% ", summary="again")
    assert len(reports(world)) == 1 and world.record(1).alert["count"] == 3


def test_a_rerun_job_does_not_count_twice(world, monkeypatch):
    fire(world)
    status, _ = api(
        world,
        "POST",
        f"/repos/{REPO}/dispatches",
        {"event_type": "incident-report", "client_payload": ALERT},
    )
    [event] = world.gh.take_events()
    world.driver.env["GITHUB_RUN_ID"] = "777"
    for _ in range(2):  # the job, and a re-run of it (same GITHUB_RUN_ID)
        code, output = world.driver.run(*event)
        assert code == 0, output
    assert world.record(1).alert["count"] == 2


def test_two_at_once_make_one_issue(world, monkeypatch):
    """Runs for dispatches are not serialised: B runs whole between A's look and A's open."""
    for _ in range(2):
        api(
            world,
            "POST",
            f"/repos/{REPO}/dispatches",
            {"event_type": "incident-report", "client_payload": ALERT},
        )
    first, second = world.gh.take_events()
    real_find = intake.find
    calls = {"n": 0}

    def racing_find(tools, report):
        found = real_find(tools, report)
        calls["n"] += 1
        if calls["n"] == 1:  # A has looked and found nothing; now B runs
            code, output = world.driver.run(*second)
            assert code == 0 and "opened #1" in output, output
        return found

    monkeypatch.setattr(intake, "find", racing_find)
    code, output = world.driver.run(*first)
    assert code == 0, output
    assert "#1 was opened for this problem by another run" in output
    open_ones = [i for i in reports(world) if i["state"] == "open"]
    assert [i["number"] for i in open_ones] == [1]
    duplicate = world.issue(2)
    assert (duplicate["state"], duplicate["state_reason"]) == ("closed", "duplicate")
    assert [x["name"] for x in duplicate["labels"]] == ["incident:dismissed"]
    assert any("Duplicate of #1" in c["body"] for c in world.bot_comments(2))
    assert world.record(1).alert["count"] == 2
    # Nobody was paged for the duplicate, once for the report.
    dm = world.sl.dms(world.team["slack_ids"]["dana"])
    assert sum("Potential incident reported" in m["text"] for m in dm) == 1
    assert not any("/issues/2" in m["text"] for m in dm)


def test_a_firing_waits_for_the_issue_another_run_is_opening(world, monkeypatch):
    """The problem's issue exists but its own run has not written the record yet."""
    from incident_tool.inbound import alerts

    report = alerts.from_payload(ALERT, sender=MONITOR)
    body = alerts.body(report, world.gh.now())
    world.gh.create_label(REPO, report.label)
    world.gh.open_issue(
        REPO, MONITOR, ALERT["title"], body, labels=["incident:reported", report.label]
    )
    opened = world.gh.take_events()
    waits = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        for name, payload in opened:  # meanwhile, the issue's own runs finish
            assert world.driver.run(name, payload)[0] == 0

    monkeypatch.setattr(intake.time, "sleep", sleep)
    [output] = fire(world)
    assert "fired again on #1" in output and len(waits) == 1
    assert world.record(1).alert["count"] == 2 and len(reports(world)) == 1
    assert len([c for c in world.bot_comments(1) if "incident-tool:status" in c["body"]]) == 1


def test_dry_run_shows_the_report_and_opens_nothing(world):
    status, _ = api(
        world,
        "POST",
        f"/repos/{REPO}/dispatches",
        {"event_type": "incident-report", "client_payload": ALERT},
    )
    [event] = world.gh.take_events()
    code, output = world.driver.run(*event, "--dry-run")
    assert code == 0, output
    assert "### Summary" in output and "[dry-run] would open issue" in output
    assert world.gh.issues(REPO) == []


def test_resolved_adds_to_the_timeline_and_a_hint(world):
    fire(world)
    fire(world, status="resolved")
    record = world.record(1)
    assert [e.kind for e in record.timeline][-1] == "alert-resolved"
    status = world.status(1)["body"]
    assert "| Alert resolved |" in status and "`/dismiss <reason>`" in status
    assert world.issue(1)["state"] == "open" and world.state_labels(1) == ["incident:reported"]
    fire(world)  # it fires again: no longer resolved
    assert "| Alert resolved |" not in world.status(1)["body"]
    assert world.record(1).alert["count"] == 2


def test_a_monitor_never_resolves_a_declared_incident(world):
    fire(world)
    world.declare(1)
    fire(world, status="resolved")
    assert world.state_labels(1) == ["incident:declared"] and world.issue(1)["state"] == "open"
    status = world.status(1)["body"]
    assert "a monitor never resolves a declared incident" in status
    channel = world.incident_channel(1)["id"]
    assert any("reports the alert resolved" in t for t in world.slack_texts(channel))


def test_resolved_without_an_open_report_opens_nothing(world):
    [output] = fire(world, status="resolved")
    assert "nothing to do" in output and reports(world) == []


def test_a_never_declared_report_is_dismissed_after_its_alert_resolved(world, later):
    world.write_config(alerts={"auto_dismiss_after": 15})
    fire(world)
    fire(world, status="resolved")
    assert "dismissed automatically 15 minutes after" in world.status(1)["body"]
    later(10)
    code, output = cli(world, "sweep", "--repo", REPO)
    assert code == 0, output
    assert world.issue(1)["state"] == "open"
    later(16)
    code, output = cli(world, "sweep", "--repo", REPO)
    assert code == 0, output
    issue = world.issue(1)
    assert (issue["state"], issue["state_reason"]) == ("closed", "not_planned")
    assert world.state_labels(1) == ["incident:dismissed"]
    assert world.record(1).timeline[-1].kind == "dismissed"
    assert any("Dismissed automatically" in c["body"] for c in world.bot_comments(1))


def test_no_auto_dismiss_by_default_nor_while_firing(world, later):
    fire(world)
    fire(world, status="resolved")
    later(60 * 24)
    cli(world, "sweep", "--repo", REPO)
    assert world.issue(1)["state"] == "open"


def test_a_firing_after_close_opens_a_new_report_linking_the_old(world):
    fire(world)
    world.say(1, "dana", "/dismiss handled by the search team")
    assert world.issue(1)["state"] == "closed"
    [output] = fire(world)
    assert "opened #2" in output
    body = world.issue(2)["body"]
    assert "reported before in #1 (closed)" in body
    assert world.issue(1)["state"] == "closed" and world.record(2).alert["count"] == 1
    fire(world)
    assert world.record(2).alert["count"] == 2 and len(reports(world)) == 2


BAD = [
    ({**ALERT, "colour": "red"}, 'unknown key "colour"'),
    ({**ALERT, **{f"extra{i}": 1 for i in range(4)}}, "11 top-level keys; at most 10"),
    ({**ALERT, "title": "x" * 300}, "`title` is 300 characters"),
    ({**ALERT, "severity": 9}, "`severity` must be 1, 2, 3 or 4, not 9"),
    ({**ALERT, "details": "rate=0.12"}, "`details` must be an object"),
    ({**ALERT, "summary": "a\u0000b"}, "contains a NUL character"),
    ({**ALERT, "title": ["x"]}, "`title` must be text"),
    ({k: v for k, v in ALERT.items() if k != "title"}, "`title` is required"),
    ({**ALERT, "url": "javascript:alert(1)"}, "`url` must be an http"),
    ("not an object", "must be a JSON object"),
]


@pytest.mark.parametrize(("payload", "words"), BAD)
def test_a_payload_that_does_not_fit_is_refused_and_nothing_is_created(world, payload, words):
    world.driver.env["GITHUB_ACTIONS"] = "true"
    world.sb.reset_log()
    code, output = world.driver.run("repository_dispatch", example_event(payload))
    assert code == 1
    lines = [x for x in output.splitlines() if x.startswith("error: ")]
    assert len(lines) == 1 and words in lines[0] and "Nothing was created" in lines[0]
    assert any(x.startswith("::error::refused repository_dispatch") for x in output.splitlines())
    assert "Traceback" not in output
    assert world.gh.issues(REPO) == [] and world.sb.requests == []


def test_other_dispatch_types_are_ignored(world):
    event = example_event({"unit": False})
    event["action"] = "on-demand-test"
    code, output = world.driver.run("repository_dispatch", event)
    assert code == 0 and "ignored" in output and world.gh.issues(REPO) == []


def test_workflow_dispatch_is_a_persons_report(world):
    world.gh.put_file(REPO, ".github/workflows/incident.yml", WORKFLOW)
    inputs = {"title": "Login page blank", "summary": "Since 10:00", "severity": "3"}
    status, _ = api(
        world,
        "POST",
        f"/repos/{REPO}/actions/workflows/incident.yml/dispatches",
        {"ref": "main", "inputs": inputs},
        login="priya",
    )
    assert status == 204
    [(name, event)] = world.gh.take_events()
    assert name == "workflow_dispatch" and event["sender"]["login"] == "priya"
    code, output = world.driver.run(name, event)
    assert code == 0, output
    issue = world.issue(1)
    assert issue["title"] == "Login page blank" and "severity:3" in world.labels(1)
    parsed = parse_report(issue["body"])
    assert "Actions tab" in parsed.text("noticed") and "[priya]" in parsed.text("noticed")
    record = world.record(1)
    assert record.timeline[0].actor == "priya" and record.alert["via"] == "workflow_dispatch"
    assert "the Actions tab (workflow_dispatch)" in world.status(1)["body"]
    # Without a title (the API does not enforce `required`), it is refused.
    api(
        world,
        "POST",
        f"/repos/{REPO}/actions/workflows/incident.yml/dispatches",
        {"ref": "main", "inputs": {"summary": "x"}},
        login="priya",
    )
    [(name, event)] = world.gh.take_events()
    code, output = world.driver.run(name, event)
    assert code == 1 and "`title` is required" in output and len(world.gh.issues(REPO)) == 1


def person_env(world, login: str) -> dict:
    env = dict(world.driver.env)
    env["GITHUB_TOKEN"] = world.gh.user(login).token
    return env


def test_open_dry_run_shows_the_body_and_writes_nothing(world):
    world.sb.reset_log()
    code, output = cli(
        world,
        "open",
        "--repo",
        REPO,
        "--title",
        "Images missing",
        "--service",
        "Other",
        "--severity",
        "3",
        "--dry-run",
    )
    assert code == 0, output
    assert "### Summary\n\nImages missing" in output and "3 - Minor" in output
    assert "[dry-run] would open issue 'Images missing'" in output
    assert [r.method for r in world.sb.requests] == ["GET"]  # the one look-up
    assert world.gh.issues(REPO) == []


def test_open_reports_with_the_users_token(world, monkeypatch):
    saved = world.driver.env
    world.driver.env = person_env(world, "priya")
    try:
        code, output = cli(
            world,
            "open",
            "--repo",
            REPO,
            "--title",
            "Images missing",
            "--summary",
            "IIIF 404s",
            "--fingerprint",
            "iiif-404",
        )
    finally:
        world.driver.env = saved
    assert code == 0, output
    assert output.strip().endswith("/issues/1")
    issue = world.issue(1)
    assert issue["user"]["login"] == "priya"
    # The workflow's run (issues.opened, as the bot) writes the status comment and pages.
    world.deliver()
    record = world.record(1)
    assert record.timeline[0].actor == "priya" and record.alert["via"] == "open"
    assert "`incident-tool open`" in world.status(1)["body"]
    world.driver.env = person_env(world, "priya")
    try:
        code, output = cli(
            world, "open", "--repo", REPO, "--title", "Other words", "--fingerprint", "IIIF-404 "
        )
    finally:
        world.driver.env = saved
    assert code == 0 and "#1 is already open for this problem" in output
    assert len(world.gh.issues(REPO)) == 1


def test_open_with_the_workflows_token_finishes_in_the_same_run(world):
    # The workflow's token: its writes start no run, so `open` does the issue's run too.
    code, output = cli(world, "open", "--repo", REPO, "--title", "Queue stuck", "--severity", "2")
    assert code == 0, output
    assert world.gh.take_events() == []
    record = world.record(1)
    assert record.state.value == "reported" and record.alert["via"] == "open"
    assert "severity:2" in world.labels(1)
    assert any("Potential incident reported" in c["body"] for c in world.bot_comments(1))


def test_open_refuses_what_does_not_fit(world):
    code, output = cli(world, "open", "--repo", REPO, "--title", "x", "--severity", "9")
    assert code == 2 and "--severity must be 1, 2, 3 or 4, not 9" in output
    code, output = cli(world, "open", "--repo", REPO, "--title", "x" * 257)
    assert code == 2 and "--title is 257 characters" in output
    code, output = cli(world, "open", "--help")
    assert code == 0 and "incident-tool open --repo acme/web" in output


def test_open_without_triage_says_labels_were_dropped(world):
    saved = world.driver.env
    world.driver.env = person_env(world, "olly")  # no access: labels are dropped
    try:
        code, output = cli(world, "open", "--repo", REPO, "--title", "Site down")
    finally:
        world.driver.env = saved
    assert code == 1 and "needs triage access" in output
    assert world.labels(1) == []


def test_events_have_the_shape_of_real_ones(world):
    import jsonschema

    from tests.sandbox.test_sandbox_webhooks import _definitions

    world.gh.put_file(REPO, ".github/workflows/incident.yml", WORKFLOW)
    fire(world, deliver=False)
    api(
        world,
        "POST",
        f"/repos/{REPO}/actions/workflows/incident.yml/dispatches",
        {"ref": "refs/heads/main", "inputs": {"title": "x"}},
    )
    (n1, dispatch), (n2, workflow) = world.gh.take_events()
    for name, payload, example in (
        (n1, dispatch, "repository_dispatch.on-demand-test.1.json"),
        (n2, workflow, "workflow_dispatch.2.json"),
    ):
        real = json.loads((EXAMPLES / example).read_text())
        assert set(real) <= set(payload), name
        assert set(real["sender"]) <= set(payload["sender"])
        key = f"{name}$event"
        jsonschema.Draft7Validator(
            {"$ref": f"#/definitions/{key}", "definitions": _definitions()}
        ).validate(payload)
    assert dispatch["action"] == "incident-report" and dispatch["branch"] == "main"
    assert workflow["inputs"] == {"title": "x", "severity": ""}  # the default filled in
    assert workflow["workflow"] == ".github/workflows/incident.yml"


def test_sandbox_dispatch_answers_as_github(world):
    path = f"/repos/{REPO}/dispatches"
    assert api(world, "POST", path, {"event_type": "x" * 101})[0] == 422
    status, body = api(
        world,
        "POST",
        path,
        {"event_type": "incident-report", "client_payload": {f"k{i}": i for i in range(11)}},
    )
    assert status == 422 and body["message"].startswith("No more than 10 properties")
    big = {"event_type": "incident-report", "client_payload": {"title": "x" * 70000}}
    assert api(world, "POST", path, big)[1]["message"] == "client_payload is too large."
    assert api(world, "POST", path, {"client_payload": {}})[0] == 422  # no event_type
    assert api(world, "POST", path, {"event_type": "x"}, login="rita")[0] == 403  # read only
    # The workflow's own token may dispatch, and that does start a run.
    assert api(world, "POST", path, {"event_type": "x"}, login="bot")[0] == 204
    assert [n for n, _ in world.gh.take_events()] == ["repository_dispatch"]


def test_sandbox_workflow_dispatch_answers_as_github(world):
    base = f"/repos/{REPO}/actions/workflows"
    assert api(world, "POST", f"{base}/incident.yml/dispatches", {"ref": "main"})[0] == 404
    world.gh.put_file(REPO, ".github/workflows/incident.yml", WORKFLOW)
    world.gh.put_file(
        REPO, ".github/workflows/sweep.yml", "on:\n  schedule: [{cron: '*/10 * * * *'}]\n"
    )
    status, body = api(world, "POST", f"{base}/sweep.yml/dispatches", {"ref": "main"})
    assert status == 422 and "does not have 'workflow_dispatch' trigger" in body["message"]
    status, body = api(world, "POST", f"{base}/incident.yml/dispatches", {"ref": "nope"})
    assert status == 422 and body["message"] == "No ref found for: nope"
    status, body = api(
        world,
        "POST",
        f"{base}/incident.yml/dispatches",
        {"ref": "main", "inputs": {"colour": "red"}},
    )
    assert status == 422 and body["message"] == 'Unexpected inputs provided: ["colour"]'
    status, body = api(
        world,
        "POST",
        f"{base}/incident.yml/dispatches",
        {"ref": "main", "inputs": {"title": "x", "severity": "9"}},
    )
    assert status == 422 and "not in the list of allowed values" in body["message"]
    status, body = api(
        world,
        "POST",
        f"{base}/incident.yml/dispatches",
        {"ref": "main", "inputs": {"title": "x"}, "return_run_details": True},
    )
    assert status == 200 and set(body) == {"workflow_run_id", "run_url", "html_url"}
    assert (
        api(world, "POST", f"{base}/incident.yml/dispatches", {"ref": "main"}, login="rita")[0]
        == 403
    )
    assert len(world.gh.take_events()) == 1
