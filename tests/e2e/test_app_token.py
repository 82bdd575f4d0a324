"""GitHub as a GitHub App installation: the live connection's token is refreshed.

An always-on `listen` with GITHUB_APP_ID and its key (no GITHUB_TOKEN) mints an
installation token at start; installation tokens last an hour, so the same long-lived
Gateway, an hour later, must mint a new one before its next run, and only then: one mint
an hour, not one a request. The sandbox's GitHub checks the App's JWT and expires its
tokens (incident_sandbox/apps.py); PyGithub's notion of now is the sandbox's clock here,
so an hour passes at once (docs/adopting.md#always-on-slacklive-external).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import github.Auth
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from incident_sandbox.apps import App
from incident_tool.live import Listener
from incident_tool.verbs import common
from tests.e2e.test_live import LOG, deliver, slash
from tests.world import REPO, World, cli

ACCESS_TOKENS = "/app/installations/{}/access_tokens"


def key_pair() -> tuple[str, str]:
    """A new RSA key: its private half (PEM, as GitHub hands it out) and its public half."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(Encoding.PEM, PrivateFormat.TraditionalOpenSSL, NoEncryption())
    public = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    return private.decode(), public.decode()


@pytest.fixture
def app(world: World, monkeypatch) -> Iterator[tuple[App, str]]:
    """The team's App, installed on the incidents repository; every run (the workflows'
    and the live connection's) authenticates as it, with no GITHUB_TOKEN."""
    private, public = key_pair()
    registered = world.gh.apps.add("incident-tool-wellcome", public, [REPO])
    world.driver.env.update(
        GITHUB_TOKEN="", GITHUB_APP_ID=str(registered.id), GITHUB_APP_PRIVATE_KEY=private
    )
    follow_the_sandbox_clock(world, monkeypatch)
    common._app_installation.cache_clear()  # each test's process starts with no token
    yield registered, private
    common._app_installation.cache_clear()


def follow_the_sandbox_clock(world: World, monkeypatch) -> None:
    """PyGithub's now (JWT times, a token's expiry) is the sandbox's clock, read without
    moving it: an hour passes for both when the test moves the clock."""

    class SandboxDatetime(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> SandboxDatetime:  # type: ignore[override]
            return world.clock.now.astimezone(tz or timezone.utc)  # type: ignore[return-value]

    monkeypatch.setattr(github.Auth, "datetime", SandboxDatetime)
    monkeypatch.setattr(
        github.Auth, "time", SimpleNamespace(time=lambda: world.clock.now.timestamp())
    )


def listening(world: World) -> Listener:
    """The live connection's long-lived tools, made as `listen` makes them, in a process
    of its own (the workflows' runs before it, in this test's process, made theirs)."""
    from incident_sandbox.demo import chdir, environment
    from incident_tool import config

    common._app_installation.cache_clear()
    with environment(world.driver.env), chdir(world.root):
        cfg = config.load(world.root / ".github" / "incident.yml", required=True)
        tools = common.open_tools(REPO, cfg, world.root, dry_run=False, log=LOG.append)
    return Listener(tools)


def record(world: World, number: int, app: App) -> Any:
    """The incident's record, from the status comment the App wrote."""
    from incident_tool.core.record import extract

    [status] = [
        c["body"]
        for c in world.gh.comments(REPO, number)
        if c["user"]["login"] == app.bot_login and "<!-- incident-tool:status -->" in c["body"]
    ]
    return extract(status)


def updates(world: World, number: int, app: App) -> list[str]:
    return [e.text for e in record(world, number, app).timeline if e.kind == "update"]


def minted(world: World) -> int:
    return sum(1 for r in world.sb.requests if r.path.endswith("/access_tokens"))


def github_requests(world: World) -> int:
    return sum(1 for r in world.sb.requests if r.service == "github")


def test_the_live_connection_mints_a_new_token_after_an_hour_and_only_then(world, app):
    registered, _ = app
    number = world.report()
    world.declare(number)
    channel = record(world, number, registered).channel_id
    before = minted(world)
    listen = listening(world)
    assert minted(world) == before + 1  # the first token, at start
    [first] = [t for t, who in world.gh.tokens.items() if who == registered.bot_login][-1:]

    requests = github_requests(world)
    deliver(world, listen, slash(world, "priya", channel, "update cache warm", trigger="T1"))
    assert github_requests(world) - requests > 5  # a run is many requests on one token
    assert minted(world) == before + 1
    assert updates(world, number, registered) == ["cache warm"]

    world.clock.now += timedelta(minutes=61)  # an hour later: the first token is dead
    assert world.gh.user_for_token(first) is None

    deliver(world, listen, slash(world, "priya", channel, "update still warm", trigger="T2"))
    assert minted(world) == before + 2  # the run after the hour made one new token
    deliver(world, listen, slash(world, "priya", channel, "update all good", trigger="T3"))
    assert minted(world) == before + 2  # and the next run used it
    assert updates(world, number, registered) == ["cache warm", "still warm", "all good"]
    refused = [r for r in world.sb.requests if r.service == "github" and r.status == 401]
    assert refused == []  # never a request on a dead token


def test_requests_at_once_at_the_hour_mint_one_token(world, app):
    listen = listening(world)
    auth = listen.tools.gateway._gh.requester.auth
    before = minted(world)
    world.clock.now += timedelta(minutes=61)
    tokens: list[str] = []
    threads = [threading.Thread(target=lambda: tokens.append(auth.token)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert minted(world) == before + 1
    assert len(set(tokens)) == 1 and world.gh.user_for_token(tokens[0]) is not None


def test_the_installation_is_looked_up_unless_given(world, app):
    registered, _ = app
    [installation] = registered.installations
    world.driver.env["GITHUB_APP_INSTALLATION_ID"] = str(installation)
    listening(world)
    looked_up = [r for r in world.sb.requests if r.path.endswith("/installation")]
    assert looked_up == []
    assert [r.path for r in world.sb.requests if r.path.endswith("/access_tokens")] == [
        ACCESS_TOKENS.format(installation)
    ]


def test_the_key_may_be_given_as_a_file(world, app, tmp_path):
    _, private = app
    path = tmp_path / "app.pem"
    path.write_text(private)
    world.driver.env.update(GITHUB_APP_PRIVATE_KEY="", GITHUB_APP_PRIVATE_KEY_FILE=str(path))
    code, output = cli(world, "sweep", "--repo", REPO)
    assert code == 0, output
    assert minted(world) == 1


@pytest.mark.parametrize(
    ("change", "status", "says"),
    [
        ("wrong app id", 1, "GITHUB_APP_ID 1 and GITHUB_APP_PRIVATE_KEY do not make a valid"),
        ("another key", 1, "A JSON web token could not be decoded"),
        ("not a key", 1, "GITHUB_APP_PRIVATE_KEY is not a PEM RSA private key"),
        ("not installed", 1, "is not installed on wellcome/platform: install it there"),
        (
            "no such installation",
            1,
            "has no such installation (uninstalled, or a wrong GITHUB_APP_INSTALLATION_ID",
        ),
        ("no key", 2, "GITHUB_APP_ID is set without the App's key"),
        ("unreadable key file", 2, "GITHUB_APP_PRIVATE_KEY_FILE cannot be read"),
    ],
)
def test_a_bad_app_setup_is_one_line_without_the_key(world, app, change, status, says):
    registered, private = app
    env = world.driver.env
    if change == "wrong app id":
        env["GITHUB_APP_ID"] = "1"
    elif change == "another key":
        env["GITHUB_APP_PRIVATE_KEY"] = key_pair()[0]
    elif change == "not a key":
        env["GITHUB_APP_PRIVATE_KEY"] = "-----BEGIN RSA PRIVATE KEY-----\nnot a key\n"
    elif change == "not installed":
        world.gh.apps.uninstall(registered)
    elif change == "no such installation":
        env["GITHUB_APP_INSTALLATION_ID"] = "12345"
    elif change == "no key":
        env["GITHUB_APP_PRIVATE_KEY"] = ""
    else:
        env.update(GITHUB_APP_PRIVATE_KEY="", GITHUB_APP_PRIVATE_KEY_FILE="/nonexistent/app.pem")
    code, output = cli(world, "sweep", "--repo", REPO)
    assert code == status, output
    assert says in output
    assert len(output.strip().splitlines()) <= 2, output  # the config line, then the error
    assert "Traceback" not in output
    assert "PRIVATE KEY" not in output and "ghs_" not in output


def test_beside_workflows_on_their_github_token_the_app_keeps_to_their_record(world, monkeypatch):
    """The workflows write as github-actions[bot]; `listen` as the App, told so by
    INCIDENT_TOOL_BOT_LOGIN, edits their status comment rather than starting its own (and
    its own incident channel), and the workflows' next run goes on from what it wrote."""
    private, public = key_pair()
    registered = world.gh.apps.add("incident-tool-wellcome", public, [REPO])
    follow_the_sandbox_clock(world, monkeypatch)
    number = world.report()
    world.declare(number)
    channel = world.record(number).channel_id
    workflows = dict(world.driver.env)
    world.driver.env.update(
        GITHUB_TOKEN="",
        GITHUB_APP_ID=str(registered.id),
        GITHUB_APP_PRIVATE_KEY=private,
        INCIDENT_TOOL_BOT_LOGIN=world.gh.bot_login,
    )
    listen = listening(world)
    deliver(world, listen, slash(world, "priya", channel, "update cache warm", trigger="T1"))
    deliver(world, listen, slash(world, "priya", channel, "ack", trigger="T2"))
    world.driver.env.clear()
    world.driver.env.update(workflows)
    world.say(number, "priya", "/update from GitHub")

    record = world.record(number)  # exactly one status comment, the workflows'
    assert [e.text for e in record.timeline if e.kind == "update"] == [
        "cache warm",
        "from GitHub",
    ]
    assert any(e.kind == "ack" for e in record.timeline)
    assert len([c for c in world.sl.channels() if c["name"].startswith("incident-")]) == 1
    by_app = [
        c for c in world.gh.comments(REPO, number) if c["user"]["login"] == registered.bot_login
    ]
    assert by_app and not any("<!-- incident-tool:status -->" in c["body"] for c in by_app)
    common._app_installation.cache_clear()


def test_an_app_uninstalled_while_listening_is_said_as_such(world, app):
    """An hour later the App cannot make its next token: the run's failure names the App,
    not the issue (a 404 from the token request is not the issue's)."""
    registered, _ = app
    number = world.report()
    world.declare(number)
    channel = record(world, number, registered).channel_id
    listen = listening(world)
    world.gh.apps.uninstall(registered)
    world.clock.now += timedelta(minutes=61)
    LOG.clear()
    deliver(world, listen, slash(world, "priya", channel, "update still warm", trigger="T2"))
    assert any(
        f"could not make a new token for App {registered.id}'s installation" in line
        and "has no such installation (uninstalled" in line
        for line in LOG
    ), LOG
    assert not any("not found" in line for line in LOG), LOG


@pytest.mark.parametrize("verb", [("labels", "sync"), ("status-page", "--out", "site")])
def test_verbs_with_their_own_client_look_the_installation_up_on_their_repo(world, app, verb):
    world.driver.env["GITHUB_REPOSITORY"] = ""  # --repo alone says where
    code, output = cli(world, *verb, "--repo", REPO)
    assert code == 0, output
    assert [r.path for r in world.sb.requests if r.path.endswith("/installation")] == [
        f"/repos/{REPO}/installation"
    ]
    assert minted(world) == 1


def test_listen_as_a_process_acts_as_the_app_and_never_prints_the_key(world, app, tmp_path):
    """The real entry point, with the App's variables only: a slash command over the socket
    is carried out as the App (its JWT, made on real time, checked against the sandbox's
    clock: about a minute ahead here, as each reading moves it a second; the JWT is good for
    5), then SIGTERM; neither the key nor a token is in the output."""
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from tests.e2e.test_listen import eventually

    registered, private = app
    world.driver.env["GITHUB_TOKEN"] = world.team["env"]["GITHUB_TOKEN"]  # the workflows'
    number = world.report()
    world.declare(number)
    channel = world.record(number).channel_id
    health = tmp_path / "live.health"
    env = {
        **os.environ,
        **world.driver.env,
        "GITHUB_TOKEN": "",
        "INCIDENT_TOOL_BOT_LOGIN": world.gh.bot_login,
        "INCIDENT_TOOL_HEALTH_FILE": str(health),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "incident_tool", "listen", "--repo", REPO],
        cwd=world.root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        eventually(health.exists, 15.0)
        world.sl.slash_command(world.team["slack_ids"]["priya"], channel, "/incident", "update ok")
        eventually(lambda: any(e.kind == "update" for e in world.record(number).timeline), 10.0)
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output
    assert "listening to Slack" in output and "Traceback" not in output
    assert minted(world) == 1
    by_app = [
        c for c in world.gh.comments(REPO, number) if c["user"]["login"] == registered.bot_login
    ]
    assert by_app  # the live run's comment, written as the App
    made = [t for t, who in world.gh.tokens.items() if who == registered.bot_login]
    assert "PRIVATE KEY" not in output and not any(t in output for t in made)
