"""`incident-tool init` writes a repository's incident files, and never clobbers one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from importlib import resources
from pathlib import Path

import pytest
import yaml

from incident_tool import __version__, config
from incident_tool.config import Config
from incident_tool.inbound.forms import SENSITIVE_SERVICE
from incident_tool.verbs.init import (
    ACTION_PLACEHOLDER,
    UNPINNED_ACTION,
    VERSION_PLACEHOLDER,
    InitError,
    format_result,
    init_repo,
    repo_web_url,
)

ROOT = Path(__file__).resolve().parents[2]
FILES = {
    ".github/ISSUE_TEMPLATE/report-incident.yml",
    ".github/ISSUE_TEMPLATE/config.yml",
    ".github/workflows/incident.yml",
    ".github/workflows/incident-sweep.yml",
    ".github/workflows/incident-followups.yml",
    ".github/incident.yml",
    "templates/retrospective.md.j2",
    ".github/slack-app-manifest.yml",
}
# docs/adopting.md#configuration-githubincidentyml: every key the example config must show.
CONFIG_KEYS = {
    "delivery_managers": None,
    "responders": None,
    "people": None,
    "slack": {
        "announce_channel",
        "stakeholder_channel",
        "channel_prefix",
        "mirror_comments",
        "timeline_reaction",
        "live",
    },
    "timezone": None,
    "reminders": {"triage_after", "update_every"},
    "retrospective": {"enabled", "template", "labels", "slack_messages"},
    "lead": {"ack_within"},
    "availability": {"away_statuses"},
    "followups": {"labels", "due_after"},
    "alerts": {"auto_dismiss_after"},
    "sweep": {"manage_schedule"},
    "sensitive": {"services", "repository"},
    "limits": {"outsider_reports_per_day"},
    "changes": {"window_hours", "repositories", "services"},
}


def written_config() -> bytes:
    """The config init writes: the packaged one, its sensitive services from the form."""
    from incident_tool.verbs.init import _config

    return _config(package_file("team-report-form.yml").decode()).encode()


def test_config_names_the_forms_security_option_as_the_form_spells_it(tmp_path: Path) -> None:
    init_repo(tmp_path)
    form = yaml.safe_load((tmp_path / ".github/ISSUE_TEMPLATE/report-incident.yml").read_text())
    [service] = [b for b in form["body"] if b.get("id") == "service"]
    [sensitive] = [b for b in form["body"] if b.get("id") == "sensitive"]
    config = yaml.safe_load((tmp_path / ".github/incident.yml").read_text())
    assert config["sensitive"]["services"] == [SENSITIVE_SERVICE]
    assert SENSITIVE_SERVICE in service["attributes"]["options"]
    assert Config().sensitive.services == (SENSITIVE_SERVICE,)
    assert sensitive["type"] == "checkboxes"
    [box] = sensitive["attributes"]["options"]
    assert "security or personal data: handle it privately" in box["label"]


def package_file(name: str) -> bytes:
    return (resources.files("incident_tool") / "templates" / name).read_bytes()


def checkout(path: Path, origin: str | None = None) -> Path:
    """Make `path` a git checkout, with an `origin` remote when given."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    if origin:
        subprocess.run(["git", "-C", str(path), "remote", "add", "origin", origin], check=True)
    return path


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Return every file under `root` with its bytes and modification time."""
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def check_jsonschema(schema: str, *files: Path) -> None:
    exe = shutil.which("check-jsonschema")
    if exe is None:
        pytest.fail("check-jsonschema is not installed: python -m pip install -e '.[test]'")
    proc = subprocess.run(
        [exe, "--builtin-schema", schema, *map(str, files)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_writes_every_file_into_an_empty_checkout(tmp_path: Path) -> None:
    repo = checkout(tmp_path / "repo", "git@github.com:acme/web.git")
    result = init_repo(repo)
    assert set(result.written) == FILES
    assert result.skipped == () and result.unchanged == ()
    # The team's form, its services placeholders to fill in (not the example team's).
    assert (repo / ".github/ISSUE_TEMPLATE/report-incident.yml").read_bytes() == package_file(
        "team-report-form.yml"
    )
    assert (repo / "templates/retrospective.md.j2").read_bytes() == package_file(
        "retrospective.md.j2"
    )
    assert (repo / ".github/incident.yml").read_bytes() == written_config()


PIN = "acme/incident-tool@" + "0123456789abcdef0123" * 2


def test_written_workflows_pin_the_given_commit(tmp_path: Path) -> None:
    result = init_repo(tmp_path, action=PIN)
    for name in ("incident.yml", "incident-sweep.yml"):
        text = (tmp_path / ".github/workflows" / name).read_text(encoding="utf-8")
        assert VERSION_PLACEHOLDER not in text and ACTION_PLACEHOLDER not in text
        assert f"uses: {PIN} # v{__version__}" in text
        assert "pip install" not in text  # the action installs from its locks, by hash
    data = yaml.safe_load((tmp_path / ".github/workflows/incident.yml").read_text())
    assert set(data["jobs"]) == {"handle"}  # no status page unless asked
    assert not any("Pin incident-tool" in note for note in result.notes)


def test_unknown_commit_fails_closed_and_says_so(tmp_path: Path) -> None:
    """Installed from a checkout, init cannot know the commit: a placeholder nobody can own."""
    result = init_repo(tmp_path)
    text = (tmp_path / ".github/workflows/incident.yml").read_text(encoding="utf-8")
    assert f"uses: {UNPINNED_ACTION} # v{__version__}" in text
    assert any("--action OWNER/REPO@SHA" in note for note in result.notes)
    assert "--action OWNER/REPO@SHA" in format_result(result)


@pytest.mark.parametrize(
    "bad", ["acme/incident-tool@main", "acme/incident-tool@v0.1.0", "x@" + "a" * 40]
)
def test_action_must_be_a_full_commit(tmp_path: Path, bad: str) -> None:
    with pytest.raises(InitError, match="40-hex commit"):
        init_repo(tmp_path, action=bad)
    assert not (tmp_path / ".github").exists()


def test_status_page_adds_the_pages_job(tmp_path: Path) -> None:
    result = init_repo(tmp_path, action=PIN, status_page=True)
    data = yaml.safe_load((tmp_path / ".github/workflows/incident.yml").read_text())
    assert set(data["jobs"]) == {"handle", "pages"}
    assert data["jobs"]["pages"]["needs"] == "handle"
    assert any("status_page.enabled" in note for note in result.notes)
    check_jsonschema("vendor.github-workflows", tmp_path / ".github/workflows/incident.yml")
    # The page is switched on too: without it the Pages job never runs (issue #22).
    from incident_tool.config import load

    assert load(tmp_path / ".github/incident.yml").status_page.enabled is True


def test_without_status_page_the_config_leaves_it_off(tmp_path: Path) -> None:
    from incident_tool.config import load

    init_repo(tmp_path, action=PIN)
    assert load(tmp_path / ".github/incident.yml").status_page.enabled is False


def test_the_commit_pip_installed_from_is_pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    """`pip install git+https://github.com/OWNER/REPO@SHA` records both (PEP 610)."""
    from incident_tool.verbs import init as init_module

    commit = "0123456789abcdef0123" * 2

    class Dist:
        def __init__(self, text: str | None) -> None:
            self.text = text

        def read_text(self, name: str) -> str | None:
            return self.text if name == "direct_url.json" else None

    for text, expected in (
        (
            '{"url": "https://github.com/acme/incident-tool.git",'
            f' "vcs_info": {{"vcs": "git", "commit_id": "{commit}"}}}}',
            f"acme/incident-tool@{commit}",
        ),
        ('{"url": "file:///src/incident-tool", "dir_info": {"editable": true}}', None),
        (None, None),
        ("not json", None),
    ):
        monkeypatch.setattr(init_module.metadata, "distribution", lambda _n, t=text: Dist(t))
        assert init_module.installed_action() == expected


def test_written_files_are_schema_valid(tmp_path: Path) -> None:
    repo = checkout(tmp_path / "repo", "https://github.com/acme/web.git")
    init_repo(repo)
    github = repo / ".github"
    check_jsonschema("vendor.github-workflows", github / "workflows/incident.yml")
    check_jsonschema("vendor.github-workflows", github / "workflows/incident-sweep.yml")
    check_jsonschema("vendor.github-issue-forms", github / "ISSUE_TEMPLATE/report-incident.yml")
    check_jsonschema("vendor.github-issue-config", github / "ISSUE_TEMPLATE/config.yml")


def test_example_config_shows_every_key_and_is_the_default(tmp_path: Path) -> None:
    init_repo(tmp_path)
    path = tmp_path / ".github/incident.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert set(data) == set(CONFIG_KEYS)
    for key, subkeys in CONFIG_KEYS.items():
        if subkeys:
            assert set(data[key]) == subkeys, key
    # It documents the defaults truthfully: loading it gives the same as no file at all.
    assert config.load(path) == config.Config(source=str(path))


def test_never_overwrites_without_force(tmp_path: Path) -> None:
    mine = tmp_path / ".github/incident.yml"
    mine.parent.mkdir()
    mine.write_text("delivery_managers: [me]\n")
    result = init_repo(tmp_path)
    assert result.skipped == (".github/incident.yml",)
    assert set(result.written) == FILES - {".github/incident.yml"}
    assert mine.read_text() == "delivery_managers: [me]\n"
    report = format_result(result)
    assert "skipped" in report and ".github/incident.yml" in report and "--force" in report


def test_force_overwrites(tmp_path: Path) -> None:
    mine = tmp_path / ".github/workflows/incident.yml"
    mine.parent.mkdir(parents=True)
    mine.write_text("name: mine\n")
    result = init_repo(tmp_path, force=True)
    assert set(result.written) == FILES
    assert "command: handle" in mine.read_text()


def test_second_run_changes_nothing(tmp_path: Path) -> None:
    repo = checkout(tmp_path / "repo", "git@github.com:acme/web.git")
    init_repo(repo)
    before = snapshot(repo)
    for force in (False, True):
        again = init_repo(repo, force=force)
        assert again.written == () and again.skipped == ()
        assert set(again.unchanged) == FILES
        assert snapshot(repo) == before  # not even rewritten with the same bytes


@pytest.mark.parametrize("kind", ["file", "missing"])
def test_refuses_a_target_that_is_not_a_directory(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "target"
    if kind == "file":
        target.write_text("x")
    with pytest.raises(InitError, match="not a directory"):
        init_repo(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == (["target"] if kind == "file" else [])


def test_a_directory_in_the_way_is_an_error(tmp_path: Path) -> None:
    (tmp_path / ".github/incident.yml").mkdir(parents=True)
    with pytest.raises(InitError, match="is a directory"):
        init_repo(tmp_path, force=True)


def test_never_writes_through_a_symlink(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yml"
    outside.write_text("precious\n")
    repo = tmp_path / "repo"
    (repo / ".github").mkdir(parents=True)
    link = repo / ".github/incident.yml"
    link.symlink_to(outside)
    assert ".github/incident.yml" in init_repo(repo).skipped
    assert ".github/incident.yml" in init_repo(repo, force=True).written
    assert outside.read_text() == "precious\n"
    assert not link.is_symlink() and link.read_bytes() == written_config()


def test_next_steps_name_the_secret_the_config_and_the_labels(tmp_path: Path) -> None:
    repo = checkout(tmp_path / "repo", "git@github.com:acme/web.git")
    result = init_repo(repo)
    assert result.repo == "acme/web"
    report = format_result(result)
    for needle in (
        "Next steps",
        "SLACK_BOT_TOKEN",
        ".github/incident.yml",
        "incident-tool labels sync --repo acme/web",
        "INCIDENT_TOOL_RECORD_KEY",  # SPEC §19: the record's proof
        "If this repository is public, so is every report",  # issue #23: reports are public
    ):
        assert needle in report
    for path in FILES:
        assert f"wrote      {path}" in report
    chooser = yaml.safe_load((repo / ".github/ISSUE_TEMPLATE/config.yml").read_text())
    (link,) = chooser["contact_links"]
    assert link["url"] == "https://github.com/acme/web/issues/new?template=report-incident.yml"


def test_without_origin_the_contact_link_is_left_out(tmp_path: Path) -> None:
    result = init_repo(tmp_path)  # not even a git checkout
    assert result.repo is None
    path = tmp_path / ".github/ISSUE_TEMPLATE/config.yml"
    assert "contact_links" not in yaml.safe_load(path.read_text())
    check_jsonschema("vendor.github-issue-config", path)
    report = format_result(result)
    assert "labels sync --repo OWNER/NAME" in report and "contact link" in report


@pytest.mark.parametrize(
    ("remote", "url"),
    [
        ("https://github.com/acme/web.git", "https://github.com/acme/web"),
        ("https://github.com/acme/web", "https://github.com/acme/web"),
        ("https://x-access-token:s3cret@github.com/acme/web.git", "https://github.com/acme/web"),
        ("git@github.com:acme/web.git", "https://github.com/acme/web"),
        ("ssh://git@github.example.org:2222/acme/web.git", "https://github.example.org/acme/web"),
        ("http://ghes.local/acme/web/", "http://ghes.local/acme/web"),
        ("/srv/git/web.git", None),
        ("", None),
    ],
)
def test_repo_web_url(remote: str, url: str | None) -> None:
    assert repo_web_url(remote) == url


def test_cli_init(tmp_path: Path) -> None:
    """The `init` verb prints the report; a file as target is a usage error (exit 2)."""
    run = [sys.executable, "-m", "incident_tool", "init"]
    ok = subprocess.run([*run, str(tmp_path)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "Next steps" in ok.stdout and (tmp_path / ".github/workflows/incident.yml").is_file()
    again = subprocess.run([*run, str(tmp_path / ".github/incident.yml")], capture_output=True)
    assert again.returncode == 2


def test_works_from_a_built_wheel(tmp_path: Path) -> None:
    """Templates are package data: init works from a wheel, run far from this checkout."""
    # Build from a copy: setuptools leaves build/ and *.egg-info/ in the source tree.
    source = tmp_path / "source"
    shutil.copytree(
        ROOT / "incident_tool",
        source / "incident_tool",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, source / name)
    dist = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = dist.glob("incident_tool-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    elsewhere = checkout(tmp_path / "elsewhere", "https://github.com/acme/web.git")
    code = (
        "import sys, incident_tool\n"
        "from pathlib import Path\n"
        "from incident_tool.verbs.init import init_repo, format_result\n"
        "print(incident_tool.__file__)\n"
        "print(format_result(init_repo(Path('.'))))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=elsewhere, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(str(site)), "imported the checkout, not the wheel"
    assert {
        str(p.relative_to(elsewhere))
        for p in elsewhere.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(elsewhere).parts
    } == FILES


def test_cli_init_action_and_status_page(tmp_path: Path) -> None:
    run = [sys.executable, "-m", "incident_tool", "init", str(tmp_path)]
    bad = subprocess.run(
        [*run, "--action", "acme/incident-tool@main"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and "40-hex commit" in bad.stdout + bad.stderr
    assert "Traceback" not in bad.stdout + bad.stderr
    ok = subprocess.run([*run, "--action", PIN, "--status-page"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    text = (tmp_path / ".github/workflows/incident.yml").read_text(encoding="utf-8")
    assert f"uses: {PIN} # v{__version__}" in text and "actions/deploy-pages@" in text


def test_a_kept_template_is_said_and_the_config_points_at_it(tmp_path):
    """A regression: init kept an existing template silently while its config said it wrote it."""
    from incident_tool.config import load

    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "retrospective.md.j2").write_text("Our own {{ incident.title }}")
    result = init_repo(tmp_path)
    assert "templates/retrospective.md.j2" in result.skipped
    report = format_result(result)
    assert "templates/retrospective.md.j2 (exists; --force overwrites it) - kept" in report
    assert "Check templates/retrospective.md.j2: it existed, so init kept it" in report
    config_text = (tmp_path / ".github" / "incident.yml").read_text()
    assert "wrote the default one there" not in config_text
    assert "the one that was\n  # there before `incident-tool init` ran, kept" in config_text
    # The config points at the file that exists, and it is the person's own.
    template = load(tmp_path / ".github" / "incident.yml").retrospective.template
    assert (tmp_path / template).read_text() == "Our own {{ incident.title }}"


def test_a_kept_config_pointing_at_a_missing_template_is_said(tmp_path):
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "incident.yml").write_text(
        "retrospective:\n  template: docs/retro.md.j2\n"
    )
    report = format_result(init_repo(tmp_path))
    assert "points at the template docs/retro.md.j2, which does not exist" in report
    (tmp_path / ".github" / "incident.yml").write_text("responders: [a]\nresponders: [b]\n")
    report = format_result(init_repo(tmp_path))
    assert "Fix the kept .github/incident.yml:" in report and "appears twice" in report


def test_with_force_the_default_template_and_its_comment_are_written(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "retrospective.md.j2").write_text("old")
    result = init_repo(tmp_path, force=True)
    assert "templates/retrospective.md.j2" in result.written
    assert "wrote the default one there" in (tmp_path / ".github" / "incident.yml").read_text()
    assert "kept" not in format_result(result)


def test_the_slack_app_manifest_grants_every_scope_the_tool_uses():
    """Every Web API method `slack.py` calls needs a scope the manifest asks for (the
    reference's 2021 scope names translated to today's bot scopes)."""
    import json
    import re as regex

    manifest = yaml.safe_load(package_file("slack-app-manifest.yml"))
    assert manifest["features"]["bot_user"]["display_name"] == "incident-tool"
    assert manifest["settings"]["token_rotation_enabled"] is False
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    source = (ROOT / "incident_tool" / "effects" / "slack.py").read_text(encoding="utf-8")
    methods = set(regex.findall(r'_call\(\s*"([a-z]+\.[A-Za-z.]+)"', source))
    assert {"pins.list", "conversations.replies", "reactions.add", "users.profile.get"} <= methods
    spec = json.loads((ROOT / "tests" / "reference" / "slack-web-api-subset.json").read_text())
    renamed = {"channels:write": "channels:manage", "chat:write:bot": "chat:write"}
    for method in sorted(methods - {"auth.test"}):
        [operation] = spec["paths"][f"/{method}"].values()
        needed = {renamed.get(s, s) for s in operation["security"][0]["slackAuth"]}
        if needed == {"none"}:
            continue  # chat.getPermalink: "no scope required"
        assert needed & scopes, f"{method} needs one of {sorted(needed)}"
    for scope in ("pins:read", "reactions:read", "reactions:write", "users.profile:read"):
        assert scope in scopes


# ------------------------------------------------------------ init --live (SPEC §16)

LIVE_EVENTS = [
    "app_mention",
    "message.channels",
    "message.groups",
    "reaction_added",
    "reaction_removed",
    "pin_added",
    "pin_removed",
    "member_joined_channel",
]


def manifest(repo: Path) -> dict:
    return yaml.safe_load((repo / ".github/slack-app-manifest.yml").read_text(encoding="utf-8"))


def test_without_live_the_manifest_is_as_before_and_the_cost_is_said(tmp_path: Path) -> None:
    result = init_repo(tmp_path)
    assert (tmp_path / ".github/slack-app-manifest.yml").read_bytes() == package_file(
        "slack-app-manifest.yml"
    )
    app = manifest(tmp_path)
    assert app["settings"]["socket_mode_enabled"] is False
    assert "event_subscriptions" not in app["settings"]
    assert "interactivity" not in app["settings"]
    assert "slash_commands" not in app["features"]
    assert "commands" not in app["oauth_config"]["scopes"]["bot"]
    assert config.load(tmp_path / ".github/incident.yml").slack.live == "off"
    assert not (tmp_path / ".github/workflows/incident-live.yml").exists()
    report = " ".join(format_result(result).split())
    assert "every 5 minutes while an incident is open" in report
    assert "best-effort" in report and "SLACK_APP_TOKEN" not in report


@pytest.mark.parametrize("mode", ["actions", "external"])
def test_live_writes_the_socket_mode_manifest_and_the_config(tmp_path: Path, mode: str) -> None:
    result = init_repo(tmp_path, action=PIN, live=mode)
    app = manifest(tmp_path)
    settings = app["settings"]
    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"] == {"is_enabled": True}
    assert settings["event_subscriptions"] == {"bot_events": LIVE_EVENTS}
    assert settings["token_rotation_enabled"] is False
    (command,) = app["features"]["slash_commands"]
    assert command["command"] == "/incident" and command["should_escape"] is False
    assert command["description"] and command["usage_hint"]
    assert "url" not in command  # Socket Mode: no request URL
    bot = app["oauth_config"]["scopes"]["bot"]
    today = yaml.safe_load(package_file("slack-app-manifest.yml"))["oauth_config"]["scopes"]["bot"]
    assert bot[: len(today)] == today  # today's kept, in order
    assert set(bot) - set(today) == {"commands", "app_mentions:read"}
    text = (tmp_path / ".github/slack-app-manifest.yml").read_text(encoding="utf-8")
    assert "No events, slash commands or interactivity" not in text
    assert "Socket Mode on" in text and "SLACK_APP_TOKEN" in text
    # Each scope says why: a comment above it, or above the scopes it is listed with (the
    # first scope after `bot:` has no scope above, so every run of them starts at a comment).
    for scope in bot:
        line = text.index(f"      - {scope}\n")
        above = text[:line].rstrip("\n").rsplit("\n", 1)[-1].strip()
        assert above.startswith("#") or above.startswith("- "), scope
    assert config.load(tmp_path / ".github/incident.yml").slack.live == mode
    report = format_result(result)
    assert "App-Level Tokens" in report and "connections:write" in report
    assert "SLACK_APP_TOKEN" in report
    live_workflow = tmp_path / ".github/workflows/incident-live.yml"
    if mode == "actions":
        assert ".github/workflows/incident-live.yml" in result.written
        workflow = live_workflow.read_text(encoding="utf-8")
        assert f"uses: {PIN} # v{__version__}" in workflow
        assert "${{ secrets.SLACK_APP_TOKEN }}" in workflow
        check_jsonschema("vendor.github-workflows", live_workflow)
        assert "repository secret SLACK_APP_TOKEN" in report
    else:
        assert not live_workflow.exists()
        assert "incident-tool listen" in report


def test_live_rewrites_only_the_live_key_of_the_config(tmp_path: Path) -> None:
    (tmp_path / "off").mkdir()
    (tmp_path / "on").mkdir()
    init_repo(tmp_path / "off")
    init_repo(tmp_path / "on", live="actions")
    off = (tmp_path / "off/.github/incident.yml").read_text(encoding="utf-8").splitlines()
    on = (tmp_path / "on/.github/incident.yml").read_text(encoding="utf-8").splitlines()
    assert [(a, b) for a, b in zip(off, on, strict=True) if a != b] == [
        ('  live: "off"', "  live: actions")
    ]


def test_live_must_be_a_known_mode(tmp_path: Path) -> None:
    with pytest.raises(InitError, match="--live 'always'"):
        init_repo(tmp_path, live="always")
    assert not (tmp_path / ".github").exists()


def test_cli_init_live(tmp_path: Path) -> None:
    run = [sys.executable, "-m", "incident_tool", "init", str(tmp_path), "--action", PIN]
    bad = subprocess.run([*run, "--live", "always"], capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stdout + bad.stderr
    assert "'actions'" in bad.stderr and "'external'" in bad.stderr
    ok = subprocess.run([*run, "--live", "actions"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "wrote      .github/workflows/incident-live.yml" in ok.stdout


def test_live_over_an_earlier_init_says_what_the_kept_files_lack(tmp_path: Path) -> None:
    init_repo(tmp_path, action=PIN)
    result = init_repo(tmp_path, action=PIN, live="actions")
    assert {".github/incident.yml", ".github/slack-app-manifest.yml"} <= set(result.skipped)
    assert ".github/workflows/incident-live.yml" in result.written
    report = " ".join(format_result(result).split())
    assert "Set `slack.live: actions` in the kept .github/incident.yml (it says off)" in report
    assert "The kept .github/slack-app-manifest.yml has no Socket Mode" in report
    forced = init_repo(tmp_path, action=PIN, live="actions", force=True)
    assert "kept" not in " ".join(forced.notes)
    assert config.load(tmp_path / ".github/incident.yml").slack.live == "actions"
