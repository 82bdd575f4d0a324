"""Run the real `.github/workflows/incident.yml` under act, as GitHub would run it.

Two layers:
- Wiring (always runs): a probe stands in for `incident-tool` and records how the
  workflow called it, proving act starts, the stand-in actions resolve, `pip install .`
  works, and the event file and environment reach the handle step. The job-level `if`
  is checked against events that must not start a job.
- End to end (needs `incident_sandbox` and `incident_tool.cli`): the workflow runs
  the real tool against the sandbox's GitHub, and the test checks the effects an
  incident responder would see.

See tests/act/harness.py for how act is driven (no Docker, no network).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_spec = importlib.util.spec_from_file_location(
    "act_harness", Path(__file__).parents[1] / "act" / "harness.py"
)
assert _spec is not None and _spec.loader is not None
harness = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = harness  # dataclasses look their module up there
_spec.loader.exec_module(harness)

pytestmark = pytest.mark.act

REPO = "acme/web"
FAKE_API = "http://127.0.0.1:9"  # the probe never calls it; nothing listens there
PROBE_TOKEN = "ghs_probe_token"


@pytest.fixture(scope="module")
def act_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Share act's cache directory (host workspaces, action copies) across the module."""
    return tmp_path_factory.mktemp("act-cache")


@pytest.fixture
def act(tmp_path: Path, act_cache: Path) -> Any:
    """Return an ActHarness over a fresh copy of the repository."""
    try:
        return harness.ActHarness(tmp_path, repository=REPO, cache_dir=act_cache)
    except harness.ActMissing as exc:
        pytest.fail(str(exc))


def site_packages() -> dict[str, list[str]]:
    """List the interpreter's site-packages directories, to prove installs stay out."""
    paths = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    return {p: sorted(os.listdir(p)) for p in paths if os.path.isdir(p)}


# ------------------------------------------------------------------- wiring

WIRING_CASES = {
    "issues.labeled": (
        "issues",
        harness.issue_payload("labeled", label="incident:declared", sender="dana-dm"),
    ),
    "issues.labeled.sensitive": (
        "issues",
        harness.issue_payload("labeled", labels=("sensitive",), label="sensitive"),
    ),
    "issue_comment.created": (
        "issue_comment",
        harness.comment_payload("/update rolled back", labels=("incident:declared",)),
    ),
    "issues.closed": (
        "issues",
        harness.issue_payload(
            "closed", labels=("incident:declared",), state="closed", state_reason="completed"
        ),
    ),
}


@pytest.mark.parametrize("case", list(WIRING_CASES))
def test_handle_step_gets_the_event_and_environment(act: Any, tmp_path: Path, case: str) -> None:
    event_name, payload = WIRING_CASES[case]
    record = tmp_path / "probe.json"
    probe = harness.write_probe(tmp_path / "probe-bin", record)
    before = site_packages()
    run = act.run(
        event_name,
        payload,
        env={"GITHUB_API_URL": FAKE_API, "ACT_STANDIN_PROBE_BIN": str(probe.parent)},
        secrets={"GITHUB_TOKEN": PROBE_TOKEN, "SLACK_BOT_TOKEN": "xoxb-probe"},
    )
    assert run.returncode == 0, run.describe()
    assert run.steps().get("Install incident-tool") == "Success", run.describe()
    assert run.steps().get("Run incident-tool") == "Success", run.describe()
    got = json.loads(record.read_text())
    env = got["env"]
    assert got["argv"] == ["handle", "--config", ".github/incident.yml"]
    assert env["GITHUB_EVENT_NAME"] == event_name
    assert got["event"] == payload, "the event file is not the payload that was sent"
    assert Path(env["GITHUB_EVENT_PATH"]).name == "event.json"
    assert env["GITHUB_API_URL"] == FAKE_API
    assert env["GITHUB_REPOSITORY"] == REPO
    assert env["GITHUB_TOKEN"] == PROBE_TOKEN
    assert env["SLACK_BOT_TOKEN"] == "xoxb-probe"
    assert env["SLACK_API_URL"] == "https://slack.com/api/"  # no repository variable set
    # The checkout stand-in filled the workspace, and the step runs at its root.
    assert got["cwd"] == env["GITHUB_WORKSPACE"]
    assert {"pyproject.toml", "incident_tool", ".github"} <= set(got["cwd_files"])
    # The tool runs from the action's files (here the checkout: `uses: ./`), with the
    # locked dependencies importable from the stand-in's venv, not the machine's.
    assert got["shadowed"] and got["shadowed"].startswith(env["RUNNER_TEMP"]), got["shadowed"]
    assert got["imports"], got["import_error"]
    assert Path(got["imports"]).parent.parent == Path(env["PYTHONPATH"])
    assert env["PYTHONSAFEPATH"] == "1"  # the workspace cannot shadow a module of it
    assert site_packages() == before


def test_slack_api_url_comes_from_the_repository_variable(act: Any, tmp_path: Path) -> None:
    record = tmp_path / "probe.json"
    probe = harness.write_probe(tmp_path / "probe-bin", record)
    run = act.run(
        "issues",
        harness.issue_payload("labeled", label="incident:reported"),
        env={"ACT_STANDIN_PROBE_BIN": str(probe.parent)},
        extra=["--var", "SLACK_API_URL=http://127.0.0.1:9/api/"],
    )
    assert run.returncode == 0, run.describe()
    env = json.loads(record.read_text())["env"]
    assert env["SLACK_API_URL"] == "http://127.0.0.1:9/api/"
    assert env["SLACK_BOT_TOKEN"] == ""  # no secret: the tool runs with Slack off


@pytest.mark.parametrize("event_name", ["schedule", "workflow_dispatch"])
def test_sweep_runs_on_schedule_and_by_hand(act: Any, tmp_path: Path, event_name: str) -> None:
    record = tmp_path / "probe.json"
    probe = harness.write_probe(tmp_path / "probe-bin", record)
    run = act.run(
        event_name,
        {},
        env={"GITHUB_API_URL": FAKE_API, "ACT_STANDIN_PROBE_BIN": str(probe.parent)},
        secrets={"GITHUB_TOKEN": PROBE_TOKEN},
        workflow=harness.SWEEP_WORKFLOW,
    )
    assert run.returncode == 0, run.describe()
    got = json.loads(record.read_text())
    assert got["argv"] == ["sweep", "--repo", REPO, "--config", ".github/incident.yml"]
    assert got["env"]["GITHUB_TOKEN"] == PROBE_TOKEN
    assert got["imports"], got["import_error"]


def test_live_workflow_runs_listen_with_the_app_token(act: Any, tmp_path: Path) -> None:
    """incident-live.yml, dispatched: `listen` with the limits of SPEC §16 and both tokens."""
    record = tmp_path / "probe.json"
    probe = harness.write_probe(tmp_path / "probe-bin", record)
    run = act.run(
        "workflow_dispatch",
        {},
        env={"GITHUB_API_URL": FAKE_API, "ACT_STANDIN_PROBE_BIN": str(probe.parent)},
        secrets={
            "GITHUB_TOKEN": PROBE_TOKEN,
            "SLACK_BOT_TOKEN": "xoxb-probe",
            "SLACK_APP_TOKEN": "xapp-probe",
        },
        workflow=Path(".github/workflows/incident-live.yml"),
    )
    assert run.returncode == 0, run.describe()
    got = json.loads(record.read_text())
    assert got["argv"] == [
        "listen",
        "--repo",
        REPO,
        "--config",
        ".github/incident.yml",
        "--until-idle",
        "15",
        "--max-hours",
        "5.5",
    ]
    env = got["env"]
    assert env["SLACK_APP_TOKEN"] == "xapp-probe"
    assert env["SLACK_BOT_TOKEN"] == "xoxb-probe"
    assert env["GITHUB_TOKEN"] == PROBE_TOKEN
    assert got["imports"], got["import_error"]


DISPATCH_CASES = {
    "repository_dispatch": {
        "action": "incident-report",
        "client_payload": {"title": "Search is down", "severity": 2},
        "repository": {"full_name": REPO, "name": "web", "owner": {"login": "acme"}},
        "sender": {"login": "grafana-bot", "type": "Bot"},
    },
    "workflow_dispatch": {
        "inputs": {"title": "Search is down", "summary": "", "service": "", "severity": "2"},
        "ref": "refs/heads/main",
        "repository": {"full_name": REPO, "name": "web", "owner": {"login": "acme"}},
        "sender": {"login": "dana-dm", "type": "User"},
    },
}


@pytest.mark.parametrize("event_name", list(DISPATCH_CASES))
def test_reports_by_dispatch_run_handle(act: Any, tmp_path: Path, event_name: str) -> None:
    """A monitor's or a person's report runs `handle` with the payload in the event file."""
    record = tmp_path / "probe.json"
    probe = harness.write_probe(tmp_path / "probe-bin", record)
    title, markers = hostile_title(tmp_path)
    payload = json.loads(json.dumps(DISPATCH_CASES[event_name]))
    (payload.get("client_payload") or payload["inputs"])["title"] = title
    run = act.run(
        event_name,
        payload,
        env={"GITHUB_API_URL": FAKE_API, "ACT_STANDIN_PROBE_BIN": str(probe.parent)},
        secrets={"GITHUB_TOKEN": PROBE_TOKEN},
    )
    assert run.returncode == 0, run.describe()
    got = json.loads(record.read_text())
    assert got["argv"] == ["handle", "--config", ".github/incident.yml"]
    assert got["env"]["GITHUB_EVENT_NAME"] == event_name
    assert got["event"] == payload
    assert_inert(run, markers, PROBE_TOKEN)


@pytest.mark.parametrize("output", ["status-page=changed", "status-page=unchanged", ""])
def test_pages_job_runs_only_when_handle_changed_the_page(
    act: Any, tmp_path: Path, output: str
) -> None:
    record = tmp_path / "probe.json"
    probe = harness.write_probe(tmp_path / "probe-bin", record)
    pages = tmp_path / "pages"
    pages.mkdir()
    run = act.run(
        "issues",
        harness.issue_payload("labeled", label="incident:declared", sender="dana-dm"),
        env={
            "GITHUB_API_URL": FAKE_API,
            "ACT_STANDIN_PROBE_BIN": str(probe.parent),
            "ACT_PROBE_OUTPUT": output,
            "ACT_STANDIN_PAGES_DIR": str(pages),
        },
        secrets={"GITHUB_TOKEN": PROBE_TOKEN},
    )
    assert run.returncode == 0, run.describe()
    got = json.loads(record.read_text())  # the last `python -m incident_tool` call
    if output == "status-page=changed":
        assert got["argv"] == ["status-page", "--repo", REPO, "--out", "_site"]
        assert (pages / "artifact/index.html").is_file(), run.describe()
        assert (pages / "deployed").is_file(), run.describe()
    else:
        assert got["argv"][0] == "handle"
        assert not (pages / "deployed").exists(), run.describe()


def tampered_lock(text: str, how: str) -> str:
    """Return requirements.lock with one entry's hashes replaced, or one entry removed."""
    lines, out, skipping = text.splitlines(), [], False
    for line in lines:
        if line.startswith("idna=="):
            if how == "missing":
                skipping = True
                continue
            out.append(line)
            out.append("    --hash=sha256:" + "0" * 64)
            skipping = True
            continue
        if skipping and line.startswith(" "):
            continue
        skipping = False
        out.append(line)
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("how", ["missing", "wrong hash"])
def test_a_dependency_not_as_locked_stops_the_job(act: Any, tmp_path: Path, how: str) -> None:
    """A package missing from the lock, or a file that is not the one locked (a squatted
    or replaced upload), fails the install; incident-tool never runs
    (docs/adopting.md#adopting-it-in-a-repository)."""
    record = tmp_path / "probe.json"
    probe = harness.write_probe(tmp_path / "probe-bin", record)
    lock = (harness.REPO_ROOT / "requirements.lock").read_text(encoding="utf-8")
    act.write("requirements.lock", tampered_lock(lock, how))
    run = act.run(
        "issues",
        harness.issue_payload("labeled", label="incident:reported"),
        env={"GITHUB_API_URL": FAKE_API, "ACT_STANDIN_PROBE_BIN": str(probe.parent)},
        secrets={"GITHUB_TOKEN": PROBE_TOKEN},
    )
    assert run.returncode != 0, run.describe()
    assert "Run incident-tool" not in run.steps(), run.describe()
    assert not record.exists(), "incident-tool ran after a failed install"
    assert "requirements.lock" in run.output and "python tools/lock.py" in run.output
    # An interpreted annotation (act prints those after ❗), naming what to do.
    assert re.search(
        r"❗\s+::error title=incident-tool install::a dependency could not be installed",
        run.output,
    ), run.describe()


SKIPPED_CASES = {
    "opened without labels": ("issues", harness.issue_payload("opened", labels=())),
    "labeled with an unrelated label": (
        "issues",
        harness.issue_payload("labeled", label="bug", labels=("incident:declared", "bug")),
    ),
    "closed, not an incident": (
        "issues",
        harness.issue_payload("closed", labels=("bug",), state="closed"),
    ),
    "comment on an ordinary issue": (
        "issue_comment",
        harness.comment_payload("/resolve", labels=("bug",)),
    ),
    "comment on a pull request": (
        "issue_comment",
        harness.comment_payload("/resolve", labels=("incident:declared",), pull_request=True),
    ),
    # A GitHub App's own writes (an always-on listen running as one) bill no job.
    "a bot's comment on an incident": (
        "issue_comment",
        harness.as_bot(harness.comment_payload("status", labels=("incident:declared",))),
    ),
    "a bot's state label": (
        "issues",
        harness.as_bot(harness.issue_payload("labeled", label="incident:declared")),
    ),
}


@pytest.mark.parametrize("case", list(SKIPPED_CASES))
def test_irrelevant_events_start_no_job(act: Any, case: str) -> None:
    """The job-level `if` drops these before anything is installed."""
    event_name, payload = SKIPPED_CASES[case]
    run = act.run(event_name, payload, verbose=True)
    assert run.returncode == 0, run.describe()
    assert "Skipping job 'Handle issue event'" in run.output, run.describe()
    assert "⭐ Run Main" not in run.output, run.describe()


def test_a_form_report_runs_the_job_once(act: Any) -> None:
    """A form report sends `opened`, then `labeled incident:reported`: only the second runs."""
    run = act.run("issues", harness.issue_payload("opened"), verbose=True)
    assert run.returncode == 0, run.describe()
    assert "⭐ Run Main" not in run.output, run.describe()


def hostile_title(tmp_path: Path) -> tuple[str, list[Path]]:
    """Return an issue title that runs commands if anything evaluates it, and their markers."""
    dollar, backtick = tmp_path / "pwned-dollar", tmp_path / "pwned-backtick"
    title = f"$(touch {dollar}) `touch {backtick}` `id` ::error::x ${{{{ github.token }}}}"
    return title, [dollar, backtick]


def assert_inert(run: Any, markers: list[Path], token: str) -> None:
    """Nothing in the title ran, it raised no annotation of its own, no token leaked."""
    for marker in markers:
        assert not marker.exists(), f"the issue title was executed: {marker} exists"
    assert not [a for a in run.error_annotations() if a.startswith("x")], run.describe()
    assert token not in run.output


def test_hostile_title_reaches_handle_verbatim(act: Any, tmp_path: Path) -> None:
    title, markers = hostile_title(tmp_path)
    record = tmp_path / "probe.json"
    probe = harness.write_probe(tmp_path / "probe-bin", record)
    payload = harness.issue_payload("labeled", label="incident:reported", title=title, body=title)
    run = act.run(
        "issues",
        payload,
        env={"GITHUB_API_URL": FAKE_API, "ACT_STANDIN_PROBE_BIN": str(probe.parent)},
        secrets={"GITHUB_TOKEN": PROBE_TOKEN},
    )
    assert run.returncode == 0, run.describe()
    assert json.loads(record.read_text())["event"]["issue"]["title"] == title
    assert_inert(run, markers, PROBE_TOKEN)


# --------------------------------------------------------------- end to end

DM, LEAD, DEV, REPORTER = "dana-dm", "sam-senior", "dev-two", "rita-reporter"
CONFIG = f"""\
delivery_managers: [{DM}]
responders: [{LEAD}, {DEV}]
"""
FORM_BODY = """\
### Summary

Search returns HTTP 500 for every query.

### Affected service

Search / catalogue API

### Impact on users

Nobody can search the catalogue.

### When did it start?

2026-11-26 09:05 UTC

### How was it noticed?

Alert

### Links

_No response_

### Severity guess

2 - Major: a core service is degraded or down for some
"""
LABELS = [
    "incident:reported",
    "incident:declared",
    "incident:mitigated",
    "incident:resolved",
    "incident:dismissed",
    "retrospective",
    "sensitive",
]
STATE_LABELS = {name for name in LABELS if name.startswith("incident:")}
STATUS_MARKER = "<!-- incident-tool:status -->"


def require_real_handle() -> Any:
    """Return the Sandbox class, or skip while the sandbox or the CLI is not written yet."""
    for module in ("incident_sandbox", "incident_tool.cli"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} does not exist yet; this end-to-end test needs it")
    from incident_sandbox import Sandbox  # an import error past this point is a bug

    return Sandbox


@pytest.fixture
def sandbox() -> Iterator[Any]:
    """A sandboxed GitHub with the repository, its people and its labels."""
    Sandbox = require_real_handle()
    with Sandbox() as sb:
        gh = sb.github
        gh.add_repo(REPO)
        for login, role in ((DM, "admin"), (LEAD, "write"), (DEV, "write"), (REPORTER, "triage")):
            gh.add_user(login)
            gh.add_collaborator(REPO, login, role)
        for name in LABELS:
            gh.create_label(REPO, name)
        gh.take_events()
        yield sb


def deliver(act: Any, sb: Any) -> list[Any]:
    """Run the workflow for every webhook the sandbox queued since the last call.

    Like GitHub: one run per event, in order. The tool's own writes (bot token) queue
    none, as GITHUB_TOKEN writes start no workflow. Every event here concerns an
    incident, so each must start the job and the handle step must succeed, except
    `issues.opened`: its `labeled` event follows, and only that one runs the job.
    """
    runs = []
    for event_name, payload in sb.github.take_events():
        run = act.run(
            event_name,
            payload,
            env={"GITHUB_API_URL": sb.github_url},
            secrets={"GITHUB_TOKEN": sb.github.bot_token},
        )
        label = f"{event_name}.{payload.get('action')}"
        assert run.returncode == 0, f"{label}:\n{run.describe()}"
        if label == "issues.opened":
            assert "⭐ Run Main" not in run.output, f"{label}:\n{run.describe()}"
            continue
        assert run.steps().get("Handle the event") == "Success", f"{label}:\n{run.describe()}"
        runs.append(run)
    assert runs, "the sandbox queued no webhook"
    return runs


def labels_of(issue: dict[str, Any]) -> set[str]:
    return {label["name"] for label in issue["labels"]}


def status_comments(sb: Any, number: int) -> list[dict[str, Any]]:
    return [c for c in sb.github.comments(REPO, number) if STATUS_MARKER in (c["body"] or "")]


def test_incident_lifecycle_under_act(act: Any, sandbox: Any) -> None:
    sb, gh = sandbox, sandbox.github
    act.write(".github/incident.yml", CONFIG)

    # issues.opened (+ issues.labeled incident:reported, as GitHub sends both)
    title = "Search is down"
    number = gh.open_issue(REPO, REPORTER, title, FORM_BODY, labels=["incident:reported"])["number"]
    deliver(act, sb)
    issue = gh.issue(REPO, number)
    assert labels_of(issue) & STATE_LABELS == {"incident:reported"}
    assert len(status_comments(sb, number)) == 1
    assert any(f"@{DM}" in c["body"] for c in gh.comments(REPO, number)), "no mention of the DM"

    # issues.labeled incident:declared, by the delivery manager
    gh.add_label(REPO, number, DM, "incident:declared")
    deliver(act, sb)
    issue = gh.issue(REPO, number)
    assert labels_of(issue) & STATE_LABELS == {"incident:declared"}
    assert [a["login"] for a in issue["assignees"]] == [LEAD]
    assert len(status_comments(sb, number)) == 1

    # issue_comment.created: a colleague joins
    comment = gh.comment(REPO, number, DEV, "/join")
    deliver(act, sb)
    (status,) = status_comments(sb, number)
    assert DEV in status["body"]
    assert any(r["content"] == "+1" for r in gh.reactions(comment["id"]))

    # issues.closed as completed, by the delivery manager
    gh.close_issue(REPO, number, DM, reason="completed")
    deliver(act, sb)
    issue = gh.issue(REPO, number)
    assert labels_of(issue) & STATE_LABELS == {"incident:resolved"}
    retros = [i for i in gh.issues(REPO) if i["title"] == f"Retrospective: {title} (#{number})"]
    assert len(retros) == 1, [i["title"] for i in gh.issues(REPO)]
    assert "retrospective" in labels_of(retros[0])
    assert [a["login"] for a in retros[0]["assignees"]] == [DM]
    link = f"#{retros[0]['number']}"
    assert any(
        link in c["body"] or retros[0]["html_url"] in c["body"] for c in gh.comments(REPO, number)
    ), "the incident does not link to its retrospective"
    assert len(status_comments(sb, number)) == 1


def test_hostile_title_through_the_real_tool(act: Any, sandbox: Any, tmp_path: Path) -> None:
    sb, gh = sandbox, sandbox.github
    act.write(".github/incident.yml", CONFIG)
    title, markers = hostile_title(tmp_path)
    number = gh.open_issue(REPO, REPORTER, title, FORM_BODY, labels=["incident:reported"])["number"]
    for run in deliver(act, sb):
        assert_inert(run, markers, gh.bot_token)
    assert len(status_comments(sb, number)) == 1
    assert gh.issue(REPO, number)["title"] == title


def test_declared_under_act_opens_the_slack_channel(act: Any, sandbox: Any) -> None:
    """The workflow hands SLACK_BOT_TOKEN (a secret) and SLACK_API_URL (a variable) on."""
    sb, gh, sl = sandbox, sandbox.github, sandbox.slack
    lead_slack = sl.add_user("U0LEAD0001", name=LEAD, email=f"{LEAD}@example.org")
    announce = sl.add_channel("wc-platform", members=[lead_slack] if lead_slack else [])
    act.write(
        ".github/incident.yml",
        CONFIG
        + f"people:\n  {LEAD}: {{slack: U0LEAD0001}}\nslack:\n  announce_channel: wc-platform\n",
    )
    number = gh.open_issue(
        REPO, REPORTER, "Search is down", FORM_BODY, labels=["incident:reported"]
    )["number"]
    gh.take_events()
    gh.add_label(REPO, number, DM, "incident:declared")
    for event_name, payload in gh.take_events():
        run = act.run(
            event_name,
            payload,
            env={"GITHUB_API_URL": sb.github_url},
            secrets={"GITHUB_TOKEN": gh.bot_token, "SLACK_BOT_TOKEN": sl.bot_token},
            extra=["--var", f"SLACK_API_URL={sb.slack_url}"],
        )
        assert run.returncode == 0, run.describe()
        assert run.steps().get("Handle the event") == "Success", run.describe()
        assert sl.bot_token not in run.output  # the workflow's whole log
    channel = sl.channel_by_name(f"incident-{number}-search-is-down")
    assert channel is not None, [c["name"] for c in sl.channels()]
    assert "U0LEAD0001" in sl.members(channel["id"])
    assert any("Incident declared" in m["text"] for m in sl.messages(announce))
