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
from incident_tool.init import (
    VERSION_PLACEHOLDER,
    InitError,
    format_result,
    init_repo,
    repo_web_url,
)

ROOT = Path(__file__).resolve().parents[1]
FILES = {
    ".github/ISSUE_TEMPLATE/report-incident.yml",
    ".github/ISSUE_TEMPLATE/config.yml",
    ".github/workflows/incident.yml",
    ".github/incident.yml",
    "templates/retrospective.md.j2",
    ".github/slack-app-manifest.yml",
}
# SPEC §8: every key the example config must show.
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
    },
    "timezone": None,
    "reminders": {"triage_after", "update_every"},
    "retrospective": {"enabled", "template", "labels"},
    "lead": {"ack_within"},
    "availability": {"away_statuses"},
}


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
    assert (repo / ".github/ISSUE_TEMPLATE/report-incident.yml").read_bytes() == package_file(
        "report-incident.yml"
    )
    assert (repo / "templates/retrospective.md.j2").read_bytes() == package_file(
        "retrospective.md.j2"
    )
    assert (repo / ".github/incident.yml").read_bytes() == package_file("incident.yml")


def test_written_workflow_installs_this_release(tmp_path: Path) -> None:
    init_repo(tmp_path)
    text = (tmp_path / ".github/workflows/incident.yml").read_text(encoding="utf-8")
    assert VERSION_PLACEHOLDER not in text
    data = yaml.safe_load(text)
    for job in data["jobs"].values():
        install = job["steps"][2]
        assert install["env"] == {"INCIDENT_TOOL_VERSION": __version__}
        assert install["run"].endswith('"incident-tool==$INCIDENT_TOOL_VERSION"')
    assert "pip install ." not in text  # that is only for this repository's own workflow


def test_written_files_are_schema_valid(tmp_path: Path) -> None:
    repo = checkout(tmp_path / "repo", "https://github.com/acme/web.git")
    init_repo(repo)
    github = repo / ".github"
    check_jsonschema("vendor.github-workflows", github / "workflows/incident.yml")
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
    assert "INCIDENT_TOOL_VERSION" in mine.read_text()


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
    assert not link.is_symlink() and link.read_bytes() == package_file("incident.yml")


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
        "from incident_tool.init import init_repo, format_result\n"
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


def test_the_slack_app_manifest_grants_every_scope_the_tool_uses():
    """Every Web API method `slack.py` calls needs a scope the manifest asks for (the
    reference's 2021 scope names translated to today's bot scopes)."""
    import json
    import re as regex

    manifest = yaml.safe_load(package_file("slack-app-manifest.yml"))
    assert manifest["features"]["bot_user"]["display_name"] == "incident-tool"
    assert manifest["settings"]["token_rotation_enabled"] is False
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    source = (ROOT / "incident_tool" / "slack.py").read_text(encoding="utf-8")
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
