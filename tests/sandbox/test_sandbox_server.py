"""The sandbox's servers: concurrency, fault rules, request log, demo seed and ``serve``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from github import Auth, Github, GithubException
from slack_sdk import WebClient

from incident_sandbox import Sandbox, seed_demo
from incident_tool.config import TOP_KEYS

REPO = "wellcome/platform"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """A sandbox seeded with the demo team."""
    with Sandbox() as sandbox:
        seed_demo(sandbox)
        yield sandbox
        assert sandbox.violations == []


def bot(sb: Sandbox) -> Github:
    """PyGithub as the workflow bot."""
    return Github(
        base_url=sb.github_url,
        auth=Auth.Token(sb.github.bot_token),
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )


def test_seed_demo_gives_a_ready_team(sb: Sandbox) -> None:
    with Sandbox() as other:
        seed = seed_demo(other)
    assert seed["repo"] == REPO
    assert seed["logins"] == {
        "delivery_manager": "dana",
        "responders": ["sam", "priya", "lee"],
        "reporter": "rita",
        "outsider": "olly",
    }
    config = seed["config"]
    assert config["delivery_managers"] == ["dana"] and config["responders"][0] == "sam"
    assert set(config) <= set(TOP_KEYS)
    assert config["people"]["sam"] == {"slack": seed["slack_ids"]["sam"]}
    assert config["people"]["priya"] == {"email": "priya@example.org"}
    assert "olly" not in config["people"]
    assert seed["env"]["GITHUB_TOKEN"] == seed["tokens"]["bot"]

    repo = bot(sb).get_repo(REPO)
    assert repo.get_collaborator_role_name("sam") == "admin"
    assert repo.get_collaborator_role_name("dana") == "maintain"
    assert repo.get_collaborator_permission("olly") == "read"
    assert "incident:reported" in [label.name for label in repo.get_labels()]
    slack = WebClient(token=sb.slack.bot_token, base_url=sb.slack_url)
    sam = sb.slack.users["U0SAM00001"]
    assert slack.users_getPresence(user=sam.id)["presence"] == "away"
    announce = sb.slack.channel_by_name("wc-platform")
    assert announce is not None and announce["is_member"]
    assert slack.chat_postMessage(channel="wc-stakeholders", text="update")["ok"]
    sb.github.open_issue(REPO, "rita", "Search is down", labels=["incident:reported"])
    assert [n for n, _ in sb.github.take_events()] == ["issues", "issues"]


def test_concurrent_requests_keep_state_consistent(sb: Sandbox) -> None:
    issue = sb.github.open_issue(REPO, "rita", "busy")["number"]
    tokens = [sb.github.user(login).token for login in ("dana", "sam", "priya", "lee")]
    url = f"{sb.github_url}/repos/{REPO}/issues/{issue}/comments"

    def post(i: int) -> int:
        token = tokens[i % len(tokens)]
        return requests.post(
            url, json={"body": f"c{i}"}, timeout=10, headers={"Authorization": f"token {token}"}
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(post, range(40)))
    assert statuses == [201] * 40
    comments = sb.github.comments(REPO, issue)
    assert len({c["id"] for c in comments}) == 40
    assert sorted(c["body"] for c in comments) == sorted(f"c{i}" for i in range(40))
    created = [p for n, p in sb.github.take_events() if n == "issue_comment"]
    assert len(created) == 40


def test_fault_rules(sb: Sandbox) -> None:
    sb.github.open_issue(REPO, "rita", "x")
    issue = bot(sb).get_repo(REPO).get_issue(1)
    sb.faults.add(service="github", method="POST", path="/comments$", status=500, skip=1)
    issue.create_comment("first gets through")
    with pytest.raises(GithubException) as err:
        issue.create_comment("second fails")
    assert err.value.status == 500
    issue.create_comment("third gets through")
    assert [c["body"] for c in sb.github.comments(REPO, 1)] == [
        "first gets through",
        "third gets through",
    ]

    sb.faults.add(
        service="github", method="POST", path="/comments$", status=502, perform_write=True
    )
    with pytest.raises(GithubException):
        issue.create_comment("written, but the client saw a 502")
    assert sb.github.comments(REPO, 1)[-1]["body"] == "written, but the client saw a 502"

    sb.faults.add(service="github", path="/labels", status=403, retry_after=7, times=None)
    for _ in range(2):
        answer = requests.get(f"{sb.github_url}/repos/{REPO}/labels", timeout=5)
        assert answer.status_code == 403 and answer.headers["Retry-After"] == "7"
        assert "secondary rate limit" in answer.json()["message"]
    sb.faults.clear()
    assert requests.get(f"{sb.github_url}/repos/{REPO}/labels", timeout=5).status_code == 200

    sb.faults.add(service="github", path="/labels", delay=0.2)
    started = time.monotonic()
    assert requests.get(f"{sb.github_url}/repos/{REPO}/labels", timeout=5).status_code == 200
    assert time.monotonic() - started >= 0.2
    assert sb.faults.injected == 5
    with pytest.raises(ValueError):
        sb.faults.add(service="gitlab")


def test_request_log(sb: Sandbox) -> None:
    sb.reset_log()
    bot(sb).get_repo(REPO).create_issue("Logged", labels=["incident:reported"])
    WebClient(token=sb.slack.bot_token, base_url=sb.slack_url).chat_postMessage(
        channel="wc-platform", text="hi"
    )
    github_calls = [r for r in sb.requests if r.service == "github"]
    assert [(r.method, r.path, r.status) for r in github_calls] == [
        ("GET", f"/repos/{REPO}", 200),
        ("POST", f"/repos/{REPO}/issues", 201),
    ]
    assert github_calls[1].json == {"title": "Logged", "labels": ["incident:reported"]}
    assert github_calls[1].response["number"] == 1
    [slack_call] = [r for r in sb.requests if r.service == "slack"]
    assert slack_call.path == "/api/chat.postMessage"
    assert slack_call.body["text"] == "hi" and "token" not in slack_call.body
    assert slack_call.response["ok"] is True
    assert all(r.elapsed >= 0 and r.time > 0 for r in sb.requests)


def test_fixed_ports_and_clean_shutdown() -> None:
    with Sandbox() as probe:
        port = int(probe.github_url.rsplit(":", 1)[1])
    with Sandbox(github_port=port) as sb:
        assert sb.github_url == f"http://127.0.0.1:{port}"
        assert sb.slack_url.endswith("/api/")
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/rate_limit", timeout=2)


def test_serve_prints_urls_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "incident_sandbox",
            "--port",
            "0",
            "--events-dir",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
        # As a person's terminal has it: a job started in the background by a shell without
        # job control (some CI runners) inherits SIGINT ignored, and Ctrl-C would not reach it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        lines = []
        assert proc.stdout is not None
        while not lines or not lines[-1].startswith("Ctrl-C"):
            line = proc.stdout.readline()
            assert line, "serve exited early"
            lines.append(line.rstrip())
        text = "\n".join(lines)
        github_url = next(x.split()[-1] for x in lines if "GitHub API:" in x)
        assert "export GITHUB_TOKEN=" in text and "SLACK_BOT_TOKEN" in text
        rita = next(x.split()[-1] for x in lines if x.strip().startswith("rita"))
        created = requests.post(
            f"{github_url}/repos/{REPO}/issues",
            json={"title": "By hand"},
            headers={"Authorization": f"token {rita}"},
            timeout=5,
        )
        assert created.status_code == 201
        deadline = time.monotonic() + 5
        while not list(tmp_path.glob("*-issues.opened.json")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list(tmp_path.glob("*-issues.opened.json"))
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "Traceback" not in err and "sandbox stopped." in out


def test_environment_blocks_open_at_once_leave_nothing_behind(monkeypatch):
    """Two `environment` blocks open at once (a listener's thread and a test's) leave the
    variable as it was, whichever leaves first; nested blocks unwind in order."""
    import os

    from incident_sandbox.demo import environment

    monkeypatch.delenv("SANDBOX_ENV_PROBE", raising=False)
    for first_out in (0, 1):
        blocks = [environment({"SANDBOX_ENV_PROBE": "0"}) for _ in range(2)]
        for block in blocks:
            block.__enter__()
        blocks[first_out].__exit__(None, None, None)
        blocks[1 - first_out].__exit__(None, None, None)
        assert "SANDBOX_ENV_PROBE" not in os.environ
    with environment({"SANDBOX_ENV_PROBE": "outer"}):
        with environment({"SANDBOX_ENV_PROBE": "inner"}):
            assert os.environ["SANDBOX_ENV_PROBE"] == "inner"
        assert os.environ["SANDBOX_ENV_PROBE"] == "outer"
        with environment({}, drop=("SANDBOX_ENV_PROBE",)):
            assert "SANDBOX_ENV_PROBE" not in os.environ
        assert os.environ["SANDBOX_ENV_PROBE"] == "outer"
    assert "SANDBOX_ENV_PROBE" not in os.environ
