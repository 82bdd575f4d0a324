"""What every verb of the command line needs: output with secrets masked, one-line failures,
the config and the tools for a repository, GitHub errors explained.

`incident_tool.cli` declares the verbs; this is their shared plumbing.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from incident_tool.errors import EXIT_FAILURE, EXIT_USAGE, IncidentToolError


class Output:
    """Print for people, with every secret we know of masked."""

    def __init__(self) -> None:
        self.secrets = [
            value
            for name in (
                "GITHUB_TOKEN",
                "GH_TOKEN",
                "SLACK_BOT_TOKEN",
                "GITHUB_APP_PRIVATE_KEY",
                "INCIDENT_TOOL_RECORD_KEY",
                "CHANGES_TOKEN",  # docs/usage.md#what-changed-before-the-incident
                "REVERT_TOKEN",
                "SENSITIVE_TOKEN",  # docs/security.md#a-public-repository
            )
            if (value := os.environ.get(name)) and len(value) >= 6
        ]

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def __call__(self, text: str = "", *, err: bool = False) -> None:
        click.echo(self.mask(text), err=err)


class Failure(IncidentToolError):
    """A failure the command line words itself (from an option, or an error it explains)."""

    def __init__(self, message: str, status: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.exit_status = status


def fail(message: str, status: int = EXIT_FAILURE) -> NoReturn:
    raise Failure(message, status)


MAX_MESSAGE = 500  # an error line never echoes a huge input


def shorten(text: str, limit: int = MAX_MESSAGE) -> str:
    """Cut `text` to `limit` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


def api_url(name: str) -> str | None:
    """Return the API base URL set in `name`; None (the default) when unset or empty.

    A value that is not an http(s) URL with a host is a usage error, before any request.
    """
    from urllib.parse import urlsplit

    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        parts = urlsplit(raw)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        ok = False
    if not ok:
        example = (
            "https://api.github.com" if name.startswith("GITHUB") else "https://slack.com/api/"
        )
        fail(
            f"{name} is not a URL: {shorten(raw, 80)!r} (expected one like {example}); "
            "unset it to use the default",
            EXIT_USAGE,
        )
    return raw


def _out() -> Output:
    ctx = click.get_current_context()
    return ctx.obj["out"] if ctx.obj else Output()


def github_token(repo: str | None = None) -> Any:
    """GitHub's credentials from the environment: GITHUB_TOKEN (or GH_TOKEN), else a GitHub
    App installation's (GITHUB_APP_ID and its key, installation looked up on `repo` or
    GITHUB_REPOSITORY unless GITHUB_APP_INSTALLATION_ID says), else None.

    The App's credentials are made once a process: its clients share one token, which
    PyGithub replaces before its hour is up (docs/adopting.md#always-on-slacklive-external).
    """
    token = os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN")
    app_id = os.environ.get("GITHUB_APP_ID", "").strip()
    if token or not app_id:
        return token or None
    key = os.environ.get("GITHUB_APP_PRIVATE_KEY", "")
    key_file = os.environ.get("GITHUB_APP_PRIVATE_KEY_FILE", "").strip()
    if not key.strip() and key_file:
        try:
            key = Path(key_file).read_text(encoding="utf-8")
        except (OSError, UnicodeError) as exc:
            why = getattr(exc, "strerror", None) or exc.__class__.__name__
            fail(f"GITHUB_APP_PRIVATE_KEY_FILE cannot be read: {why}", EXIT_USAGE)
    if not key.strip():
        fail(
            "GITHUB_APP_ID is set without the App's key: set GITHUB_APP_PRIVATE_KEY (the .pem "
            "text) or GITHUB_APP_PRIVATE_KEY_FILE (its path)",
            EXIT_USAGE,
        )
    installation = os.environ.get("GITHUB_APP_INSTALLATION_ID", "").strip()
    if installation and not installation.isdigit():
        fail("GITHUB_APP_INSTALLATION_ID is not a number: unset it to look it up", EXIT_USAGE)
    repo = repo or os.environ.get("GITHUB_REPOSITORY") or ""
    if not installation and not repo:
        fail("set GITHUB_APP_INSTALLATION_ID, or GITHUB_REPOSITORY to look it up", EXIT_USAGE)
    return _app_installation(
        app_id, key, int(installation) if installation else None, repo, api_url("GITHUB_API_URL")
    )


@functools.lru_cache(maxsize=4)
def _app_installation(
    app_id: str, key: str, installation: int | None, repo: str, url: str | None
) -> Any:
    from incident_tool.effects.github import GitHubError, app_installation

    try:
        return app_installation(app_id, key, installation, repo, url)
    except GitHubError as exc:
        fail(str(exc))


def load_config(
    path: str | None,
    root: Path,
    *,
    log: Callable[[str], None] | None = None,
    with_form: bool = True,
) -> Any:
    """The config at `path` (default .github/incident.yml), with the team's form's title
    prefix unless `with_form` is False (`handle` adds it once it knows the event runs:
    `with_title_prefix`)."""
    from incident_tool import config

    # The default path may be absent (every key has a default); a path given may not.
    # A ConfigError is a UsageError: `_run` says it and exits 2.
    given = bool(path) and Path(path or "") != Path(config.DEFAULT_PATH)
    local = Path(path) if path else root / config.DEFAULT_PATH
    if log is not None and not given and not local.is_file():
        from incident_tool.effects import workflow_io

        notice = config.absent_notice(root)
        log(f"notice: {notice}")
        workflow_io.defer("notice", notice)
    loaded = config.load(local, required=given)
    return with_title_prefix(loaded, root) if with_form else loaded


def with_title_prefix(cfg: Any, root: Path) -> Any:
    """`cfg` with the title prefix of the team's report form at `root`: titles show it
    nowhere, as they do not show the packaged form's."""
    from dataclasses import replace

    from incident_tool.effects.team_form import title_prefix

    return replace(cfg, title_prefix=title_prefix(root))


def team_config(
    path: str | None, root: Path, repo: str, *, log: Callable[[str], None]
) -> tuple[Any, bool]:
    """Load the config for a verb run by hand (retro, report, sweep, labels sync).

    A given --config or a local .github/incident.yml wins; outside Actions, without
    either, the default branch's file is read (one GET). Say which config is used.
    Return the config and whether it came from the default branch.
    """
    from incident_tool import config
    from incident_tool.effects import workflow_io

    local = Path(path) if path else root / config.DEFAULT_PATH
    if path or local.is_file() or workflow_io.in_actions():
        cfg = load_config(path, root)
        shown = local.relative_to(root) if local.is_relative_to(root) else local
        log(f"config: {shown}" if local.is_file() else config.absent_notice(root))
        return cfg, False
    from incident_tool.effects.github import Gateway, GitHubError, client

    gateway = Gateway(
        client(github_token(repo), api_url("GITHUB_API_URL")),
        repo,
        log=log,
        record_key=record_key(),
    )
    try:
        text = gateway.default_branch_file(config.DEFAULT_PATH)
    except GitHubError as exc:
        fail(f"could not read {repo}'s {config.DEFAULT_PATH}: {exc}")
    if text is None:
        log(config.absent_notice(root))
        return config.Config(source="(defaults)"), False
    cfg = config.parse(text, f"{repo}:{config.DEFAULT_PATH} (default branch)")
    log(f"config: {config.DEFAULT_PATH} from {repo}'s default branch (no local file)")
    return cfg, True


def record_key() -> bytes | None:
    """INCIDENT_TOOL_RECORD_KEY, the key the record's proof is made with (SPEC §19); None
    when unset or empty."""
    key = os.environ.get("INCIDENT_TOOL_RECORD_KEY", "")
    return key.encode("utf-8") if key else None


def open_tools(
    repo: str,
    cfg: Any,
    root: Path,
    *,
    dry_run: bool,
    bulk: bool = False,
    log: Callable[[str], None],
) -> Any:
    """Connect to GitHub (and Slack when SLACK_BOT_TOKEN is set)."""
    from incident_tool.effects.github import Gateway, client
    from incident_tool.effects.mirror import Mirror, People
    from incident_tool.effects.tools import Tools

    token = github_token(repo)
    if not token and not dry_run:
        fail(
            "GITHUB_TOKEN is not set: the tool needs a token to write to GitHub "
            "(in a workflow: `env: GITHUB_TOKEN: ${{ github.token }}`; elsewhere a GitHub "
            "App's GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY will do)."
        )
    gh = client(token, api_url("GITHUB_API_URL"), bulk=bulk)
    gateway = Gateway(gh, repo, dry_run=dry_run, log=log, record_key=record_key())
    room = None
    slack_token = os.environ.get("SLACK_BOT_TOKEN")
    if slack_token:
        from incident_tool.effects.slack import SlackRoom

        room = SlackRoom(slack_token, api_url("SLACK_API_URL"), log=log)
    if not slack_token:
        log("notice: SLACK_BOT_TOKEN is not set: Slack steps are skipped")
        from incident_tool.effects import workflow_io

        workflow_io.defer("notice", "SLACK_BOT_TOKEN is not set: Slack steps were skipped")
    elif dry_run:
        log("notice: --dry-run: Slack steps are listed, not made")
    # A dry run reads Slack (presence, email look-ups: the lead it picks is the real
    # run's) but its mirror has no room: it lists what Slack would get and sends nothing.
    people = People(cfg, room)
    return Tools(
        config=cfg,
        gateway=gateway,
        mirror=Mirror(None if dry_run else room, people, cfg, log, dry_run=dry_run and bool(room)),
        people=people,
        root=root,
        log=log,
    )


def _repo(repo: str | None) -> str:
    import re

    repo = repo or os.environ.get("GITHUB_REPOSITORY")
    if not repo or repo.count("/") != 1 or not all(repo.split("/")):
        fail("say which repository: --repo OWNER/NAME (or set GITHUB_REPOSITORY)", EXIT_USAGE)
    # GitHub's own limits: owners of 1-39 characters, names of 1-100 of these characters.
    if not re.fullmatch(r"[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}", repo):
        fail(f"not a repository: {shorten(repo, 60)!r}; give --repo OWNER/NAME", EXIT_USAGE)
    return repo


def run_guarded(func: Callable[[], Any], tools: Any = None, *, gateway: Any = None) -> Any:
    """Turn the known failures of a run into clear messages; a 404 is checked against the
    repository (one GET), which may be missing or invisible to the token."""
    from incident_tool.effects.github import GitHubError
    from incident_tool.effects.retrospective import TemplateError

    gateway = gateway or (tools.gateway if tools is not None else None)
    try:
        return func()
    except GitHubError as exc:
        if gateway is not None and ("not found" in str(exc) or " 404" in str(exc)):
            fail(gateway.repository_missing() or str(exc))
        fail(str(exc))
    except TemplateError as exc:
        fail(f"retrospective template: {exc}", EXIT_USAGE)


def report_outcome(outcome: Any, what: str) -> None:
    from incident_tool.core import safe
    from incident_tool.effects import workflow_io

    out = _out()
    if not outcome.handled:
        out(f"{what}: " + "; ".join(outcome.notices))
        return
    slack = getattr(outcome, "slack", [])
    out(
        f"{what}: state {outcome.state}, {len(outcome.writes)} GitHub writes, "
        f"{len(slack)} Slack effects"
    )
    for write in outcome.writes:
        out(f"  - {write}")
    for effect in slack:
        out(f"  - Slack: {effect}")
    for notice in outcome.notices:
        out(f"  notice: {notice}")
        workflow_io.defer("notice", out.mask(f"#{outcome.number}: {notice}"))
    for problem in outcome.problems:
        out(f"  problem: {problem}", err=True)
        workflow_io.defer("warning", out.mask(f"#{outcome.number}: {problem}"))
    # Writes and problems quote titles and comments: Markdown here, so made inert.
    shown = lambda text: safe.markdown(out.mask(text), inline=True)  # noqa: E731
    lines = [f"### incident-tool: {what}", "", f"State: `{outcome.state}`", ""]
    lines += [f"- {shown(w)}" for w in outcome.writes] or ["- no writes needed"]
    lines += [f"- Slack: {shown(e)}" for e in slack]
    if outcome.problems:
        lines += ["", "**Problems** (retried on the next event):"]
        lines += [f"- {shown(p)}" for p in outcome.problems]
    workflow_io.write_summary("\n".join(lines))
