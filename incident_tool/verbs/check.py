"""`incident-tool check`: read a team's setup as the workflows will, one line per finding
(docs/adopting.md#check-the-setup).

The decisions are `core/setup_checks.py`; this reads the files, and (unless --offline,
with tokens) asks GitHub for the labels and the repository's visibility, and Slack for
the token's scopes and the people. Exit 1 when any finding is an error.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from incident_tool.config import DEFAULT_PATH, DEFAULT_TEMPLATE, Config
from incident_tool.core import setup_checks as checks
from incident_tool.core.setup_checks import Finding, error, ok, warning
from incident_tool.verbs.common import _out, api_url, fail, github_token, record_key, shorten

MAX_FILE = 256 * 1024  # the files checked are a few KiB; more is a mistake


def run(repo: str | None, config_path: str | None, offline: bool) -> None:
    """Check the setup in the working directory (`incident-tool check`)."""
    out = _out()
    findings = collect(Path.cwd(), config_path, repo, offline=offline)
    for finding in findings:
        out(shorten(finding.line(), 1000))
    counted = checks.count(findings)
    _annotate(findings)
    if checks.exit_status(findings):
        # The one failure line (exit 1), as every verb ends a failure.
        fail(f"check: {counted}: mend the errors above, then run incident-tool check again")
    out(f"check: {counted}")


def _annotate(findings: list[Finding]) -> None:
    """In Actions, errors and warnings become annotations, and every finding a line of the
    job summary (Markdown made inert: the findings quote the team's files)."""
    from incident_tool.core import safe
    from incident_tool.effects import workflow_io

    out = _out()
    for finding in findings:
        if finding.level != checks.OK:
            workflow_io.defer(finding.level, out.mask(finding.line().split(None, 1)[1]))
    lines = [f"### incident-tool check: {checks.count(findings)}", ""]
    lines += [
        f"- **{f.level}** {safe.markdown(out.mask(f.line().split(None, 1)[1]), inline=True)}"
        for f in findings
    ]
    workflow_io.write_summary("\n".join(lines))


def read_text(path: Path) -> str | None:
    """Return a file's text; None when it is absent. Unreadable is a usage error."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE + 1)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        fail(f"{path}: is a directory, not a file")
    except OSError as exc:
        fail(f"{path}: cannot read: {exc.strerror or exc}")
    if len(raw) > MAX_FILE:
        fail(f"{path}: larger than {MAX_FILE // 1024} KiB, too large to be this file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        fail(f"{path}: not UTF-8 text")


def collect(
    root: Path, config_path: str | None, repo: str | None, *, offline: bool
) -> list[Finding]:
    """Every finding, in the order a team would mend them."""
    from incident_tool.inbound.forms import default_form

    path = Path(config_path) if config_path else root / DEFAULT_PATH
    shown = _relative(path, root)
    text = read_text(path)
    if text is None and config_path and Path(config_path) != Path(DEFAULT_PATH):
        fail(f"{config_path}: file not found", 2)
    twin = path.with_suffix(".yaml")
    findings, cfg = checks.check_config(text, shown, yaml_twin=twin.is_file())
    if cfg is None:
        # The rest depends on the config; what is wrong with it comes first.
        return findings
    findings += checks.check_people(cfg, shown, text or "")
    findings += template_findings(cfg, root, shown, text or "")
    form_text = read_text(root / checks.FORM_PATH)
    if form_text is None and (root / checks.FORM_PATH).with_suffix(".yaml").is_file():
        form_text = read_text((root / checks.FORM_PATH).with_suffix(".yaml"))
        findings.append(
            warning(
                "the form is report-incident.yaml: the tool's links and docs name"
                " report-incident.yml",
                checks.FORM_PATH.removesuffix(".yml") + ".yaml",
                "rename it to report-incident.yml",
            )
        )
    findings += checks.check_form(form_text, cfg, packaged=default_form())
    workflows = {
        name: read_text(root / checks.WORKFLOWS_DIR / name)
        for name in (*checks.WORKFLOWS, checks.LIVE_WORKFLOW)
    }
    findings += checks.check_workflows(workflows, cfg)
    findings += checks.check_manifest(read_text(root / checks.MANIFEST_PATH), cfg)
    findings += app_token_findings(cfg)
    findings += checks.check_record_key(
        os.environ.get("GITHUB_ACTIONS") == "true", record_key() is not None
    )
    findings += checks.check_sensitive_repository(cfg, repo or os.environ.get("GITHUB_REPOSITORY"))
    if offline:
        findings += checks.check_channel_copy(cfg, "", None)
        findings.append(ok("--offline: GitHub and Slack not asked"))
        return findings
    findings += github_findings(cfg, repo)
    findings += changes_findings(cfg, repo)
    findings += sensitive_findings(cfg, repo)
    findings += slack_findings(cfg)
    return findings


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


# ------------------------------------------------------------------ template


def template_findings(cfg: Config, root: Path, config_shown: str, text: str) -> list[Finding]:
    """The retrospective template: inside the repository, present, and it renders."""
    from incident_tool.effects.retrospective import TemplateError, confined_template_path

    if not cfg.retrospective.enabled:
        return [ok("retrospectives are off (retrospective.enabled: false)", config_shown)]
    name = cfg.retrospective.template
    where = checks._at(config_shown, checks.line_of(text, "retrospective.template"))
    try:
        path = confined_template_path(root, name)
    except TemplateError as exc:
        return [error(str(exc), where, "a template is rendered into a public issue")]
    except (OSError, RuntimeError, ValueError) as exc:  # a NUL byte, a symlink loop
        return [error(f"retrospective.template {name!r}: not a usable path ({exc})", where, "")]
    if not path.is_file():
        if name == DEFAULT_TEMPLATE:
            return [
                warning(
                    f"no {name}: retrospectives use incident-tool's packaged template",
                    where,
                    "keep it so, or run `incident-tool init` to get a copy to edit",
                )
            ]
        return [
            error(
                f"retrospective.template {name} does not exist: resolving an incident writes"
                " no retrospective from it",
                where,
                f"create it, or point retrospective.template at {DEFAULT_TEMPLATE}",
            )
        ]
    try:
        source = path.read_bytes()[: MAX_FILE + 1].decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else exc.strerror
        return [error(f"cannot read {name}: {reason}", name, "save it as UTF-8 text")]
    problem = render_problem(cfg, source, name)
    if problem:
        return [
            error(f"the template does not render a sample incident: {problem}", name, "mend it")
        ]
    return [ok("the retrospective template renders a sample incident", name)]


def render_problem(cfg: Config, source: str, where: str) -> str | None:
    """Render a sample incident with the team's template; say what failed, if anything.

    The same sandbox and variables as effects/retrospective.render, but strict: a run
    falls back to the packaged template, while check must say what would fail.
    """
    from jinja2 import TemplateError as JinjaError
    from jinja2 import TemplateSyntaxError
    from jinja2.sandbox import SandboxedEnvironment

    from incident_tool.effects.retrospective import context
    from incident_tool.inbound.forms import default_form

    issue, record = checks.sample_incident(default_form(), cfg)
    env = SandboxedEnvironment(autoescape=False, keep_trailing_newline=True)
    try:
        env.from_string(source).render(**context(issue, record, cfg, []))
    except TemplateSyntaxError as exc:
        return f"line {exc.lineno}: {exc.message}"
    except JinjaError as exc:
        return shorten(str(exc), 200)
    except Exception as exc:  # the template is code: `{{ 1 / 0 }}` raises anything
        return f"{type(exc).__name__}: {shorten(str(exc), 200)}"
    return None


# ---------------------------------------------------------------------- GitHub


def github_findings(cfg: Config, repo: str | None) -> list[Finding]:
    """With GITHUB_TOKEN and the repository: the labels the tool uses exist, and what a
    public repository shows."""
    token = github_token()
    repo = repo or os.environ.get("GITHUB_REPOSITORY")
    if not token or not repo:
        missing = "GITHUB_TOKEN" if not token else "--repo OWNER/NAME"
        return [
            warning(
                f"labels not checked: no {missing}",
                "GitHub",
                "give it to check them (or pass --offline)",
            ),
            *checks.check_channel_copy(cfg, "", None),
        ]
    from incident_tool.effects import github
    from incident_tool.verbs.common import _repo
    from incident_tool.verbs.labels import wanted

    repo = _repo(repo)
    client = github.client(token, api_url("GITHUB_API_URL"))
    gateway = github.Gateway(client, repo)
    try:
        names = [label.name for label in gateway.labels()]
    except github.GitHubError as exc:
        reason = gateway.repository_missing() or str(exc)
        return [
            error(f"cannot list {repo}'s labels: {reason}", "GitHub", "check --repo and the token"),
            *checks.check_channel_copy(cfg, repo, None),
        ]
    findings = checks.check_labels(names, wanted(cfg.retrospective.labels))
    try:
        visibility = gateway.visibility()
    except github.GitHubError as exc:
        return [
            *findings,
            warning(f"{repo}'s visibility not checked: {exc}", "GitHub", "run check again"),
            *checks.check_channel_copy(cfg, repo, None),
        ]
    return [
        *findings,
        *checks.check_visibility(repo, visibility),
        *checks.check_channel_copy(cfg, repo, visibility),
    ]


def changes_findings(cfg: Config, repo: str | None) -> list[Finding]:
    """With CHANGES_TOKEN: it reads the repositories in changes.* other than the incidents
    one (one GET each; docs/usage.md#what-changed-before-the-incident). Warnings only."""
    from incident_tool.effects.changes import CHANGES_TOKEN, unreadable

    others = checks.changes_repositories(cfg, repo or os.environ.get("GITHUB_REPOSITORY"))
    token = os.environ.get(CHANGES_TOKEN, "").strip()
    failed = unreadable(token, api_url("GITHUB_API_URL"), others) if token and others else {}
    return checks.check_changes_access(cfg, others, bool(token), failed)


def sensitive_findings(cfg: Config, repo: str | None) -> list[Finding]:
    """With SENSITIVE_TOKEN: it reaches sensitive.repository, which is private (one GET;
    docs/security.md#a-public-repository)."""
    from incident_tool.effects.github import GitHubError
    from incident_tool.effects.sensitive_repository import SENSITIVE_TOKEN, visibility_of

    target = cfg.sensitive.repository
    token = os.environ.get(SENSITIVE_TOKEN, "").strip()
    if target is None or not token:
        return checks.check_sensitive_access(cfg, bool(token), None)
    try:
        return checks.check_sensitive_access(
            cfg, True, visibility_of(token, api_url("GITHUB_API_URL"), target)
        )
    except GitHubError as exc:
        return checks.check_sensitive_access(cfg, True, None, str(exc))


# ----------------------------------------------------------------------- Slack


def app_token_findings(cfg: Config) -> list[Finding]:
    """With `slack.live`, `listen` needs an app-level token (xapp-…); never printed."""
    if cfg.slack.live == "off":
        return []
    token = os.environ.get("SLACK_APP_TOKEN", "").strip()
    where = "SLACK_APP_TOKEN"
    if not token:
        place = (
            "the repository secret SLACK_APP_TOKEN"
            if cfg.slack.live == "actions"
            else "SLACK_APP_TOKEN where `incident-tool listen` runs"
        )
        return [
            warning(
                f"slack.live is {cfg.slack.live} but SLACK_APP_TOKEN is not set here",
                where,
                f"make sure {place} holds the app-level token (xapp-…, scope connections:write)",
            )
        ]
    if not token.startswith("xapp-"):
        return [
            error(
                "SLACK_APP_TOKEN is not an app-level token (they start with xapp-)",
                where,
                "generate one under Basic Information > App-Level Tokens, scope connections:write",
            )
        ]
    return [ok("SLACK_APP_TOKEN is an app-level token", where)]


def slack_findings(cfg: Config) -> list[Finding]:
    """With SLACK_BOT_TOKEN: it works, has the manifest's scopes, and finds the people."""
    token = os.environ.get("SLACK_BOT_TOKEN", "").strip()
    if not token:
        return [
            warning(
                "SLACK_BOT_TOKEN is not set here: the token and people's Slack ids not checked",
                "Slack",
                "set it to check them (in Actions it is the repository secret)",
            )
        ]
    from incident_tool.effects.slack import SlackError, SlackRoom

    url = api_url("SLACK_API_URL")
    try:
        scopes = _auth_test(token, url)
    except SlackError as exc:
        return [
            error(
                f"the Slack bot token does not work: {exc}",
                "SLACK_BOT_TOKEN",
                "install the app again and copy its Bot User OAuth Token (xoxb-…)",
            )
        ]
    findings = [ok("the Slack bot token works", "SLACK_BOT_TOKEN")]
    findings += checks.check_scopes(scopes, _manifest_scopes(cfg))
    room = SlackRoom(token, url, log=lambda _: None, max_retry_wait=5)
    return findings + _channels(cfg, room, SlackError) + _people(cfg, room, SlackError)


def _channels(cfg: Config, room: Any, slack_error: type[Exception]) -> list[Finding]:
    """The announce and stakeholder channels exist where the bot can see them."""
    findings = []
    for key, name in (
        ("slack.announce_channel", cfg.slack.announce_channel),
        ("slack.stakeholder_channel", cfg.slack.stakeholder_channel),
    ):
        if not name:
            continue
        try:
            found = room.find_channel(name)
            found = found if found and room.channel_info(found) is not None else None
        except slack_error as exc:
            findings.append(warning(f"{key} not checked: {exc}", "Slack", "see the scope it names"))
            continue
        if found is None:
            findings.append(
                error(
                    f"{key} #{name} is not a channel the bot can see",
                    cfg.source,
                    "check the name; for a private channel, invite the app to it first",
                )
            )
        else:
            findings.append(ok(f"{key} #{name} found", cfg.source))
    return findings


def _auth_test(token: str, url: str | None) -> str | None:
    """Call auth.test; return the scopes Slack grants the token (its `x-oauth-scopes`
    header), None when Slack does not say. A failure is a SlackError without the token."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    from incident_tool.effects.slack import DEFAULT_API_URL, SlackError
    from incident_tool.effects.timeouts import http_timeout

    client = WebClient(token=token, base_url=url or DEFAULT_API_URL, timeout=http_timeout())
    try:
        response = client.api_call("auth.test")
    except SlackApiError as exc:
        code = exc.response.get("error") if isinstance(exc.response.data, dict) else None
        raise SlackError("auth.test", str(code or f"http_{exc.response.status_code}")) from None
    except Exception as exc:  # refused, timed out, not JSON: said without the token
        raise SlackError("auth.test", "connection_error", detail=type(exc).__name__) from None
    headers = {k.lower(): v for k, v in (response.headers or {}).items()}
    scopes = headers.get("x-oauth-scopes")
    if isinstance(scopes, list):
        scopes = ",".join(scopes)
    return scopes if isinstance(scopes, str) else None


def _manifest_scopes(cfg: Config) -> list[str]:
    import yaml

    from incident_tool.verbs.init import render_manifest

    manifest = yaml.safe_load(render_manifest(live=cfg.slack.live != "off"))
    return list(manifest["oauth_config"]["scopes"]["bot"])


def _people(cfg: Config, room: Any, slack_error: type[Exception]) -> list[Finding]:
    """Each person's Slack id is a user, each email finds one."""
    findings = []
    for login, person in cfg.people.items():
        try:
            if person.slack and room.user_name(person.slack) is None:
                findings.append(
                    error(
                        f"people.{login}.slack {person.slack} is no Slack user",
                        cfg.source,
                        "copy the member id from their Slack profile (⋮ > Copy member ID)",
                    )
                )
            elif person.email and not person.slack and room.lookup_email(person.email) is None:
                findings.append(
                    error(
                        f"people.{login}.email finds nobody on Slack",
                        cfg.source,
                        "use the email of their Slack account, or their Slack id",
                    )
                )
        except slack_error as exc:
            return [
                *findings,
                warning(f"people not all checked: {exc}", "Slack", "see the scope it names"),
            ]
    if cfg.people and not findings:
        findings.append(ok(f"{len(cfg.people)} people found on Slack", cfg.source))
    return findings
