"""Clear errors everywhere (docs/operating.md#cli-and-environment): each case tried by hand gets one
clear line.

Every case checks the exit status (1 a failure to act on, 2 usage or config), that the
message names what is wrong and what to do, and that no traceback or raw exception name
reaches the user.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from incident_tool import config as config_module
from incident_tool.config import ConfigError
from incident_tool.verbs.common import api_url
from tests.e2e.test_cli import run_main
from tests.world import REPO, cli

DATA = Path(__file__).parents[1] / "data" / "webhooks"


def one_clear_line(output: str) -> str:
    """Return the error line; fail if there is a traceback or a raw exception name."""
    errors = [line for line in output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, output
    assert "Traceback" not in output and "unexpected" not in output, output
    assert "Exception" not in errors[0] and "Error:" not in errors[0], errors[0]
    return errors[0]


# -- GitHub answers ------------------------------------------------------------------------


def test_report_on_a_repository_that_does_not_exist(world):
    code, output = cli(world, "report", "--repo", "acme/nope")
    line = one_clear_line(output)
    assert code == 1
    assert "repository acme/nope not found, or the token cannot see it" in line
    assert "--repo" in line


def test_report_with_a_bad_token(world):
    world.driver.env["GITHUB_TOKEN"] = "ghp_not_a_real_token_at_all"
    code, output = cli(world, "report", "--repo", REPO)
    line = one_clear_line(output)
    assert code == 1 and "401" in line and "set a valid GITHUB_TOKEN" in line
    assert "ghp_not_a_real_token_at_all" not in output


def test_an_empty_api_url_means_the_default(monkeypatch):
    from incident_tool.effects.github import DEFAULT_API_URL, client

    for value in ("", "   "):
        monkeypatch.setenv("GITHUB_API_URL", value)
        assert api_url("GITHUB_API_URL") is None
    assert client("t", api_url("GITHUB_API_URL")).requester.base_url == DEFAULT_API_URL


@pytest.mark.parametrize("value", ["notaurl", "ftp://host", "http://", "http://h:port"])
def test_an_api_url_that_is_not_a_url_is_a_usage_error(monkeypatch, capsys, value):
    code, _, err = run_main(
        ["sweep", "--repo", "a/b"],
        monkeypatch,
        capsys,
        env={"GITHUB_API_URL": value, "GITHUB_TOKEN": "t0ken-value"},
    )
    line = one_clear_line(err)
    assert code == 2 and "GITHUB_API_URL is not a URL" in line and "unset it" in line


def test_a_slack_api_url_that_is_not_a_url_is_a_usage_error(monkeypatch, capsys, tmp_path):
    (tmp_path / "incident.yml").write_text("")
    code, _, err = run_main(
        ["sweep", "--repo", "a/b", "--config", str(tmp_path / "incident.yml")],
        monkeypatch,
        capsys,
        env={"SLACK_API_URL": "slack", "SLACK_BOT_TOKEN": "xoxb-1-2", "GITHUB_TOKEN": "t0ken"},
    )
    assert code == 2 and "SLACK_API_URL is not a URL" in one_clear_line(err)


def test_a_refused_connection_names_the_server(monkeypatch, capsys):
    with socket.socket() as sock:  # a port nobody listens on: bound, never listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        code, _, err = run_main(
            ["report", "--repo", "a/b"],
            monkeypatch,
            capsys,
            env={"GITHUB_API_URL": f"http://127.0.0.1:{port}", "GITHUB_TOKEN": "t0ken"},
        )
    line = one_clear_line(err)
    assert code == 1 and f"127.0.0.1:{port}" in line and "refused" in line


# -- a server that accepts and never answers -----------------------------------------------


class Silent:
    """A loopback server that accepts connections and never answers (a paused server)."""

    def __enter__(self) -> str:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.held: list[socket.socket] = []
        self.stop = False
        threading.Thread(target=self._accept, daemon=True).start()
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
                self.held.append(conn)
            except OSError:
                continue

    def __exit__(self, *exc: object) -> None:
        self.stop = True
        for conn in self.held:
            conn.close()
        self.sock.close()


def test_a_silent_github_gives_a_clear_message_within_two_timeouts(tmp_path):
    with Silent() as url:
        start = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "incident_tool", "report", "--repo", "a/b"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
            env={
                "PATH": "/usr/bin:/bin",
                "GITHUB_API_URL": url,
                "GITHUB_TOKEN": "t0ken-value",
                "INCIDENT_TOOL_TIMEOUT": "1",
            },
        )
        took = time.monotonic() - start
    line = one_clear_line(proc.stderr)
    assert proc.returncode == 1
    assert f"cannot reach GitHub at {url}: no answer within 1 s" in line
    # one read, one retry, start-up: not 4 x 20 s as before
    assert took < 10, took


def test_the_default_timeout_gives_a_message_within_about_30_seconds():
    from incident_tool.effects.github import client
    from incident_tool.effects.timeouts import http_timeout

    gh = client("t")
    retry = gh.requester._Requester__retry  # type: ignore[attr-defined]
    # (1 + read retries) x timeout, the worst case for a hung server
    assert (1 + retry.read) * http_timeout() <= 30
    assert (1 + retry.connect) * http_timeout() <= 30


def test_a_silent_slack_costs_one_timeout_per_run_not_one_per_call(world):
    with Silent() as url:
        world.driver.env["SLACK_API_URL"] = url + "/api/"
        world.driver.env["INCIDENT_TOOL_TIMEOUT"] = "1"
        n = world.gh.open_issue(REPO, "rita", "Down", "### Summary\n\nx", labels=[])["number"]
        world.gh.take_events()
        world.gh.add_label(REPO, n, "dana", "incident:declared")
        start = time.monotonic()
        [output] = world.deliver()
        took = time.monotonic() - start
    # GitHub's side is done; the Slack work waits in the outbox for the next run.
    assert world.assignees(n)  # a lead is assigned (presence unknown: counted available)
    assert "no answer within 1 s" in output
    assert "skipped: 127.0.0.1 did not answer within 1 s earlier in this run" in output
    assert took < 8, took  # one 1 s timeout; a wait per call would be 11 s or more
    assert world.record(n).outbox


# -- event files ---------------------------------------------------------------------------


def handle(tmp_path, monkeypatch, capsys, name: str, content: str | None) -> tuple[int, str]:
    path = tmp_path / "event.json"
    if content is not None:
        path.write_text(content)
    code, _, err = run_main(
        ["handle", "--event-name", name, "--event-path", str(path)], monkeypatch, capsys
    )
    return code, one_clear_line(err)


def test_an_empty_event_object(tmp_path, monkeypatch, capsys):
    code, line = handle(tmp_path, monkeypatch, capsys, "issue_comment", "{}")
    assert code == 2 and "has no `action`" in line and "`issue_comment` event" in line


def test_an_issue_event_without_an_issue_number(tmp_path, monkeypatch, capsys):
    payload = {"action": "opened", "issue": {"labels": [{"name": "incident:reported"}]}}
    code, line = handle(tmp_path, monkeypatch, capsys, "issues", json.dumps(payload))
    assert code == 2 and "`issue.number`" in line


def test_a_comment_event_without_a_comment(tmp_path, monkeypatch, capsys):
    payload = json.loads((DATA / "issue_comment.created.1.json").read_text())
    del payload["comment"]
    code, line = handle(tmp_path, monkeypatch, capsys, "issue_comment", json.dumps(payload))
    assert code == 2 and "`comment.id`" in line


def test_deeply_nested_json(tmp_path, monkeypatch, capsys):
    code, line = handle(tmp_path, monkeypatch, capsys, "issues", "[" * 100_000 + "]" * 100_000)
    assert code == 2 and "nested too deeply" in line


def test_a_missing_event_file(tmp_path, monkeypatch, capsys):
    code, line = handle(tmp_path, monkeypatch, capsys, "issues", None)
    assert code == 2 and "does not exist" in line and "GITHUB_EVENT_PATH" in line


def test_an_event_file_that_is_not_json(tmp_path, monkeypatch, capsys):
    code, line = handle(tmp_path, monkeypatch, capsys, "issues", "hello\n")
    assert code == 2 and "is not JSON (line 1, column 1)" in line


def test_events_the_tool_ignores_need_no_particular_shape(tmp_path, monkeypatch, capsys):
    path = tmp_path / "event.json"
    path.write_text("{}")
    code, out, _ = run_main(
        ["handle", "--event-name", "push", "--event-path", str(path)], monkeypatch, capsys
    )
    assert code == 0 and "ignored" in out


# -- the config file -----------------------------------------------------------------------


def test_duplicate_keys_name_the_key_and_the_file():
    text = "slack:\n  announce_channel: a\ntimezone: UTC\nslack:\n  channel_prefix: x\n"
    with pytest.raises(ConfigError) as info:
        config_module.parse(text, ".github/incident.yml")
    assert str(info.value) == (
        ".github/incident.yml: key `slack` appears twice (lines 1 and 4); keep one"
    )
    with pytest.raises(ConfigError, match="`people.dana.email` appears twice"):
        config_module.parse("people:\n  dana:\n    email: a@b.c\n    email: d@e.f\n")


def test_an_alias_that_refers_to_itself_is_refused():
    import signal

    def too_long(*_: object) -> None:
        raise AssertionError("the config check did not finish: a loop on a recursive alias")

    signal.signal(signal.SIGALRM, too_long)
    signal.alarm(10)
    try:
        with pytest.raises(ConfigError, match=r"`responders\[0\]` refers to itself"):
            config_module.parse("responders: &a [*a]\n")
        with pytest.raises(ConfigError, match="refers to itself"):
            config_module.parse("people: &p\n  dana: *p\n")
    finally:
        signal.alarm(0)


def test_duplicate_keys_exit_2_from_the_cli(monkeypatch, capsys, tmp_path):
    path = tmp_path / "incident.yml"
    path.write_text("responders: [a]\nresponders: [b]\n")
    code, _, err = run_main(["sweep", "--config", str(path), "--repo", "a/b"], monkeypatch, capsys)
    assert code == 2 and "`responders` appears twice" in one_clear_line(err)


def bomb(size: int) -> str:
    """A YAML 'billion laughs' of exactly `size` bytes whose last key is a config key."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefg", "bcdefgh", strict=True):
        lines.append(f"{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]")
    lines.append("delivery_managers: [*h,*h,*h,*h,*h,*h,*h,*h]")
    text = "\n".join(lines) + "\n"
    assert len(text) <= size - 2, len(text)
    return text + "#" * (size - len(text) - 1) + "\n"


@pytest.mark.parametrize("size", [361, 381])
def test_an_alias_bomb_fails_fast_in_bounded_memory(tmp_path, size):
    path = tmp_path / "incident.yml"
    path.write_text(bomb(size))
    assert path.stat().st_size == size
    script = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (400 * 2**20, 400 * 2**20))\n"
        "from incident_tool.cli import main\n"
        f"main(['sweep', '--config', {str(path)!r}, '--repo', 'a/b'])\n"
    )
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    took = time.monotonic() - start
    line = one_clear_line(proc.stderr)
    assert proc.returncode == 2
    assert "expands to more than 10,000 values through YAML aliases" in line
    assert len(proc.stderr) < 400 and took < 10


def test_a_config_file_over_256_kib_is_refused_unread(tmp_path):
    path = tmp_path / "incident.yml"
    path.write_text("responders: [a]\n" + "# padding\n" * 30_000)
    with pytest.raises(ConfigError, match="larger than 256 KiB"):
        config_module.load(path)


def test_errors_never_echo_huge_values(monkeypatch, capsys, tmp_path):
    path = tmp_path / "incident.yml"
    path.write_text(f'delivery_managers: ["{"x" * 100_000}"]\n' + f"{'y' * 50_000}: 1\n")
    code, _, err = run_main(["sweep", "--config", str(path), "--repo", "a/b"], monkeypatch, capsys)
    assert code == 2 and len(one_clear_line(err)) < 200


def test_deeply_nested_yaml_is_a_config_error():
    with pytest.raises(ConfigError, match="nested too deeply"):
        config_module.parse("a: " + "[" * 5_000 + "]" * 5_000)


def test_slack_timeouts_are_not_retried_but_resets_are():
    from http.client import RemoteDisconnected
    from urllib.error import URLError

    from slack_sdk.http_retry.request import HttpRequest
    from slack_sdk.http_retry.state import RetryState

    from incident_tool.effects.slack import _build_retry_handlers

    [_, connection] = _build_retry_handlers(30, lambda s: None)
    request = HttpRequest(method="POST", url="http://x/api/chat.postMessage", headers={})

    def retried(error: Exception) -> bool:
        return connection.can_retry(state=RetryState(), request=request, error=error)

    assert not retried(URLError(TimeoutError("timed out")))
    assert not retried(TimeoutError("timed out"))
    assert retried(URLError(ConnectionRefusedError(111, "refused")))
    assert retried(RemoteDisconnected("closed"))


def test_sweep_on_a_repository_that_does_not_exist(world):
    code, output = cli(world, "sweep", "--repo", "acme/nope")
    assert code == 1
    assert "repository acme/nope not found, or the token cannot see it" in one_clear_line(output)


def test_retro_on_a_repository_that_does_not_exist(world):
    code, output = cli(world, "retro", "3", "--repo", "acme/nope", "--print")
    assert code == 1
    assert "repository acme/nope not found" in one_clear_line(output)


def test_labels_sync_on_a_repository_that_does_not_exist(world):
    code, output = cli(world, "labels", "sync", "--repo", "acme/nope")
    assert code == 1
    assert "repository acme/nope not found" in one_clear_line(output)


def test_a_repository_name_github_could_not_have_is_a_usage_error(monkeypatch, capsys):
    code, _, err = run_main(["report", "--repo", "a/" + "b" * 3000], monkeypatch, capsys)
    line = one_clear_line(err)
    assert code == 2 and "not a repository" in line and len(line) < 160


def test_a_huge_since_is_cut_in_the_message(monkeypatch, capsys):
    code, _, err = run_main(["report", "--repo", "a/b", "--since", "x" * 5000], monkeypatch, capsys)
    line = one_clear_line(err)
    assert code == 2 and "--since" in line and len(line) < 600


def test_a_sweep_stops_at_the_first_incident_github_does_not_answer_for(world, monkeypatch):
    from incident_tool.effects.github import Gateway, GitHubError

    for title in ("one", "two", "three"):
        world.report(title=title)
    calls = []

    def unreachable(self, number):
        calls.append(number)
        raise GitHubError("cannot reach GitHub at http://127.0.0.1:1: no answer within 12 s")

    monkeypatch.setattr(Gateway, "issue", unreachable)
    monkeypatch.setattr(Gateway, "incident_comments", lambda self, issue: unreachable(self, 0))
    code, output = cli(world, "sweep", "--repo", REPO)
    assert code == 1 and "cannot reach GitHub" in one_clear_line(output)
    assert len(calls) == 1, calls


def test_every_user_facing_error_is_an_incident_tool_error_with_its_exit_status() -> None:
    """One hierarchy: cli turns any of these into one line and their exit status."""
    from incident_tool.config import ConfigError
    from incident_tool.effects.github import GitHubError
    from incident_tool.effects.retrospective import TemplateError
    from incident_tool.effects.slack import SlackError
    from incident_tool.errors import IncidentToolError, UsageError
    from incident_tool.inbound.alerts import PayloadError
    from incident_tool.inbound.events import EventError
    from incident_tool.inbound.forms import FormDefinitionError
    from incident_tool.verbs.init import InitError

    usage = [ConfigError, EventError, PayloadError, FormDefinitionError, InitError, TemplateError]
    assert all(issubclass(e, UsageError) and e.exit_status == 2 for e in usage)
    failures = [GitHubError, SlackError]
    assert all(issubclass(e, IncidentToolError) and e.exit_status == 1 for e in failures)
    assert not any(issubclass(e, UsageError) for e in failures)


def test_a_config_error_exits_2_with_one_line(tmp_path: Path) -> None:
    from incident_tool.cli import Output, _run

    bad = tmp_path / "incident.yml"
    bad.write_text("severity: [", encoding="utf-8")
    status, message = _run(["sweep", "--repo", "o/r", "--config", str(bad)], Output())
    assert status == 2
    assert message is not None and "incident.yml" in message and "\n" not in message


@pytest.mark.parametrize("value", ["abc", "0", "601", "1.5", "٣"])
def test_a_bad_timeout_is_said_not_ignored(value, monkeypatch, capsys):
    from tests.e2e.test_cli import run_main

    code, out, err = run_main(
        ["sweep", "--repo", "o/r", "--config", "/dev/null"],
        monkeypatch,
        capsys,
        {"INCIDENT_TOOL_TIMEOUT": value, "GITHUB_TOKEN": "x"},
    )
    assert code == 2
    assert "INCIDENT_TOOL_TIMEOUT must be whole seconds from 1 to 600" in err
