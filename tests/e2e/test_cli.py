"""The command line: help everywhere, exit codes per docs/operating.md#cli-and-environment, no
tracebacks, lazy imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from incident_tool.cli import cli, main

DATA = Path(__file__).parents[1] / "data" / "webhooks"


def all_commands(group: click.Group, prefix: str = ""):
    for name, command in group.commands.items():
        yield f"{prefix}{name}", command
        if isinstance(command, click.Group):
            yield from all_commands(command, f"{prefix}{name} ")


@pytest.mark.parametrize(("name", "command"), list(all_commands(cli)))
def test_every_command_has_help_with_an_example(name, command):
    result = CliRunner().invoke(cli, [*name.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert command.help and command.help.strip()
    if not isinstance(command, click.Group):
        assert "Example" in command.help, f"{name} has no example in its help"


def run_main(args, monkeypatch, capsys, env=None):
    for key in (
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "SLACK_BOT_TOKEN",
        "GITHUB_EVENT_NAME",
        "GITHUB_EVENT_PATH",
        "GITHUB_REPOSITORY",
        "GITHUB_ACTIONS",
        "GITHUB_STEP_SUMMARY",
    ):
        monkeypatch.delenv(key, raising=False)
    for key, value in (env or {}).items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SystemExit) as info:
        main(args)
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return info.value.code, out.out, out.err


def test_ignored_event_exits_zero(monkeypatch, capsys):
    code, out, _ = run_main(
        ["handle", "--event-name", "issues", "--event-path", str(DATA / "issues.pinned.1.json")],
        monkeypatch,
        capsys,
    )
    assert code == 0 and "ignored" in out


def test_no_event_is_a_usage_error(monkeypatch, capsys):
    code, _, err = run_main(["handle"], monkeypatch, capsys)
    assert code == 2 and "GITHUB_EVENT_NAME" in err


def test_unreadable_event_file_is_a_usage_error(monkeypatch, capsys, tmp_path):
    path = tmp_path / "e.json"
    path.write_text("{not json")
    code, _, err = run_main(
        ["handle", "--event-name", "issues", "--event-path", str(path)], monkeypatch, capsys
    )
    assert code == 2 and "not JSON" in err


def incident_event(tmp_path) -> Path:
    data = json.loads((DATA / "issue_comment.created.1.json").read_text())
    data["issue"]["labels"] = [{"name": "incident:declared"}]
    path = tmp_path / "event.json"
    path.write_text(json.dumps(data))
    return path


def test_bad_config_exits_2_naming_file_and_key(monkeypatch, capsys, tmp_path):
    config = tmp_path / "incident.yml"
    config.write_text("responders: 5\n")
    code, _, err = run_main(
        [
            "handle",
            "--event-name",
            "issue_comment",
            "--event-path",
            str(incident_event(tmp_path)),
            "--config",
            str(config),
        ],
        monkeypatch,
        capsys,
    )
    assert code == 2 and str(config) in err and "`responders`" in err


def test_missing_token_exits_1_with_a_clear_message(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_main(
        ["handle", "--event-name", "issue_comment", "--event-path", str(incident_event(tmp_path))],
        monkeypatch,
        capsys,
    )
    assert code == 1 and "GITHUB_TOKEN is not set" in err


def test_unreachable_github_is_one_clear_line_and_no_token(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    secret = "ghs_SECRETSECRETSECRET123"
    code, out, err = run_main(
        ["handle", "--event-name", "issue_comment", "--event-path", str(incident_event(tmp_path))],
        monkeypatch,
        capsys,
        env={
            "GITHUB_TOKEN": secret,
            "GITHUB_API_URL": "http://127.0.0.1:9",
            "GITHUB_ACTIONS": "true",
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        },
    )
    assert code == 1
    assert "cannot reach GitHub" in err or "GitHub" in err
    summary = (tmp_path / "summary.md").read_text()
    assert secret not in out + err + summary
    assert "::error::" in out


def test_usage_errors_exit_2(monkeypatch, capsys):
    code, _, _ = run_main(["retro", "not-a-number"], monkeypatch, capsys)
    assert code == 2
    code, _, err = run_main(["labels", "sync"], monkeypatch, capsys)
    assert code == 2 and "--repo" in err


def test_ignored_event_imports_nothing_heavy(tmp_path):
    """An ignored event must not import PyGithub, slack-sdk or Jinja (docs/measured.md#measured)."""
    event = str(DATA / "issues.pinned.1.json")
    probe = (
        "import sys\n"
        "from incident_tool.cli import main\n"
        "try:\n"
        f"    main(['handle', '--event-name', 'issues', '--event-path', {event!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('github', 'slack_sdk', 'jinja2', 'yaml', 'requests')\n"
        "print('HEAVY', [m for m in heavy if m in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert "HEAVY []" in result.stdout, result.stdout + result.stderr


def test_python_dash_m_works():
    result = subprocess.run(
        [sys.executable, "-m", "incident_tool", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "incident-tool" in result.stdout


def test_in_actions_output_is_inert_and_the_error_comes_after(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main(
        ["handle", "--event-name", "issue_comment", "--event-path", str(incident_event(tmp_path))],
        monkeypatch,
        capsys,
        env={
            "GITHUB_TOKEN": "ghs_x" * 4,
            "GITHUB_API_URL": "http://127.0.0.1:9",
            "GITHUB_ACTIONS": "true",
        },
    )
    lines = out.splitlines()
    assert code == 1 and lines[0].startswith("::stop-commands::")
    token = lines[0].removeprefix("::stop-commands::")
    assert len(token) == 32
    resume = lines.index(f"::{token}::")
    assert any(line.startswith("::error::") for line in lines[resume + 1 :])
    assert not any(line.startswith("::error::") for line in lines[:resume])


def test_ci_runs_the_readme_test_command_verbatim():
    root = Path(__file__).parents[2]
    readme = (root / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line for line in quick.strip().splitlines() if line.strip()]
    assert len(commands) == 2, "the Quick start has exactly two commands"
    assert "incident-tool demo" in commands[0]
    ci = (root / ".ci" / "run").read_text().splitlines()
    assert commands[1] in ci, f"{commands[1]!r} is not a line of .ci/run"


def test_notices_and_warnings_become_annotations_after_resuming(world_without_slack, monkeypatch):
    world = world_without_slack
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    n = world.gh.open_issue("wellcome/platform", "rita", "T", "", labels=["incident:reported"])
    name, payload = world.gh.take_events()[0]
    code, output = world.driver.run(name, payload)
    assert code == 0 and n
    lines = output.splitlines()
    token = lines[0].removeprefix("::stop-commands::")
    resume = lines.index(f"::{token}::")
    after = lines[resume + 1 :]
    assert "::notice::SLACK_BOT_TOKEN is not set: Slack steps were skipped" in after
    assert not any(line.startswith("::notice::") for line in lines[:resume])
