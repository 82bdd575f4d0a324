"""Write the files a repository needs to run incident-tool (`incident-tool init [DIR]`).

Every file comes from the package's own `templates/` (package data), so this works
from a plain wheel install. An existing file is never replaced without `force`.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

from incident_tool import __version__
from incident_tool.errors import UsageError

VERSION_PLACEHOLDER = "__INCIDENT_TOOL_VERSION__"
ACTION_PLACEHOLDER = "__INCIDENT_TOOL_ACTION__"
# What the workflows name when init cannot tell which commit of incident-tool to pin. No
# one can make a commit whose SHA is all zeros, so this can never be hijacked: the job
# fails ("unable to resolve action") until a person pins a real commit.
UNPINNED_ACTION = "OWNER/incident-tool@" + "0" * 40
ACTION_REF = re.compile(r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+@[0-9a-f]{40}$")
SENSITIVE_PLACEHOLDER = "__SENSITIVE_SERVICES__"
REPO_URL_PLACEHOLDER = "https://github.com/OWNER/REPO"
# `init --live`: where `incident-tool listen` runs (config `slack.live`).
LIVE_MODES = ("actions", "external")
WORKFLOWS_DIR = ".github/workflows"
# The workflows init writes (file name -> template): each pins incident-tool, so every
# text telling a person to pin or upgrade it names them from here (issue #22 item 4).
WORKFLOW_TEMPLATES = {
    "incident.yml": "workflow.yml",
    "incident-sweep.yml": "workflow-sweep.yml",
    "incident-followups.yml": "workflow-followups.yml",
}
LIVE_WORKFLOW_NAME, LIVE_WORKFLOW_TEMPLATE = "incident-live.yml", "workflow-live.yml"
LIVE_WORKFLOW = f"{WORKFLOWS_DIR}/{LIVE_WORKFLOW_NAME}"
# In templates/workflow.yml's header: the workflow files to change the pinned SHA in.
WORKFLOWS_PLACEHOLDER = "__INCIDENT_TOOL_WORKFLOWS__"


def workflow_files(live: str | None) -> tuple[str, ...]:
    """Return the names of the workflow files init writes with `--live live`."""
    return (*WORKFLOW_TEMPLATES, *((LIVE_WORKFLOW_NAME,) if live == "actions" else ()))


def listed(names: tuple[str, ...]) -> str:
    """Return `a, b and c`."""
    return names[0] if len(names) < 2 else f"{', '.join(names[:-1])} and {names[-1]}"


class InitError(UsageError, ValueError):
    """The target cannot be initialised (not a directory, or a path is in the way)."""


@dataclass(frozen=True)
class InitResult:
    """What `init_repo` did, file by file (paths relative to `target`)."""

    target: Path
    written: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()  # existed with exactly the content init would write
    skipped: tuple[str, ...] = ()  # existed with other content; kept because no force
    repo: str | None = None  # OWNER/NAME from the checkout's origin, when it has one
    notes: tuple[str, ...] = ()  # extra next steps

    @property
    def next_steps(self) -> str:
        """Return what the person still has to do, as numbered lines."""
        repo = self.repo or "OWNER/NAME"
        steps = [
            "Create the Slack app from .github/slack-app-manifest.yml (api.slack.com/apps >"
            " Create New App > From an app manifest), install it, and add its bot token as"
            " the repository secret SLACK_BOT_TOKEN (Settings > Secrets and variables >"
            " Actions); without it everything happens on GitHub and Slack is skipped.",
            "Edit .github/incident.yml: delivery_managers, responders, people and the"
            " Slack channels.",
            "Edit .github/ISSUE_TEMPLATE/report-incident.yml: replace the placeholder"
            " services with your team's (the status page and Slack's report form list them).",
            f"Create the state labels: incident-tool labels sync --repo {repo}",
            "Make the key that seals each incident's record, so that no other workflow can"
            ' write one the tool believes: python3 -c "import secrets;'
            ' print(secrets.token_hex(32))" and store it as the repository secret'
            " INCIDENT_TOOL_RECORD_KEY (optional, recommended; set it while no incident is"
            " open: records written before it are not believed).",
            "If this repository is public, so is every report made in it (its text and"
            " comments), whatever the tool does with Slack: report security incidents"
            " somewhere private first (`incident-tool check` says which this is).",
            *self.notes,
            "Commit and push these files; the workflow runs from the default branch.",
            f"Check the setup as the workflows will read it: incident-tool check --repo {repo}",
        ]
        return "\n".join(f"{n}. {step}" for n, step in enumerate(steps, 1))


# What the manifest becomes for the live connection (SPEC §16): each text of
# templates/slack-app-manifest.yml, and what replaces it. Socket Mode: Slack sends events,
# slash commands and button presses over the connection `listen` opens, so no request URL.
_POLLING = (
    "# No events, slash commands or interactivity: the tool has no server. It reads the\n"
    "# incident channels back on every workflow run (incident-tool's docs/usage.md, \"Slack\n"
    '# writes back"), so what people say in Slack reaches the issue at the next event on it\n'
    "# or the next sweep.\n"
)
_LIVE_MANIFEST = (
    (
        _POLLING,
        "# Written by `init --live`: with Socket Mode on, `incident-tool listen` receives the\n"
        "# events, `/incident` and the buttons below within seconds. It needs an app-level\n"
        "# token besides the bot token: Basic Information > App-Level Tokens > Generate Token\n"
        "# and Scopes, scope connections:write; store it as SLACK_APP_TOKEN (the repository\n"
        "# secret incident-live.yml reads, or wherever `listen` runs). See\n"
        "# docs/adopting.md#the-live-connection\n",
    ),
    (
        "    always_online: true\n",
        "    always_online: true\n"
        "  slash_commands:\n"
        "    # `/incident` alone opens the report form; `/incident <command>` in an incident\n"
        "    # channel runs that command; answers are only shown to the person who asked.\n"
        "    - command: /incident\n"
        "      description: Report an incident, or run an incident command in its channel\n"
        '      usage_hint: "[help | <command> [text]]"\n'
        "      # The text arrives as typed; incident-tool escapes what it posts itself.\n"
        "      should_escape: false\n",
    ),
    (
        "      - dnd:read\n",
        "      - dnd:read\n"
        "      # The /incident slash command.\n"
        "      - commands\n"
        "      # The app_mention event: `@incident-tool report` and commands, live.\n"
        "      - app_mentions:read\n",
    ),
    (
        "  org_deploy_enabled: false\n",
        "  org_deploy_enabled: false\n"
        "  # The events `listen` carries out, each needing a scope above: app_mention\n"
        "  # (app_mentions:read), message.* (channels:history, groups:history), reaction_*\n"
        "  # (reactions:read), pin_* (pins:read), member_joined_channel (channels:read,\n"
        "  # groups:read).\n"
        "  event_subscriptions:\n"
        "    bot_events:\n"
        "      - app_mention # commands and reports addressed to the tool\n"
        "      - message.channels # who posted in a public incident channel\n"
        "      - message.groups # the same in a private (sensitive) one\n"
        "      - reaction_added # 📌 makes a note, a lead's ✅ acknowledges\n"
        "      - reaction_removed\n"
        "      - pin_added # a pinned message is a note\n"
        "      - pin_removed\n"
        "      - member_joined_channel # who joined the incident channel\n"
        "  # Buttons (Declare, Dismiss, Acknowledge, Join, Post an update) and modals.\n"
        "  interactivity:\n"
        "    is_enabled: true\n",
    ),
    ("  socket_mode_enabled: false\n", "  socket_mode_enabled: true\n"),
)


def render_manifest(*, live: bool = False) -> str:
    """Return the Slack app manifest: as today without `live`; with it, Socket Mode on, the
    bot events, interactivity, `/incident` and the scopes they need (SPEC §16)."""
    text = _template("slack-app-manifest.yml")
    if not live:
        return text
    for today, live_text in _LIVE_MANIFEST:
        if text.count(today) != 1:
            raise RuntimeError(f"templates/slack-app-manifest.yml lacks {today.strip()!r}")
        text = text.replace(today, live_text)
    return text


def _template(name: str) -> str:
    """Return a file of the package's `templates/` directory."""
    return (resources.files("incident_tool") / "templates" / name).read_text(encoding="utf-8")


def render_workflow(
    name: str,
    action: str,
    *,
    status_page: bool = False,
    workflows: tuple[str, ...] = workflow_files("actions"),
) -> str:
    """Return a workflow template with incident-tool's action pinned to `action`.

    `name` is a template of WORKFLOW_TEMPLATES (or the live one); `status_page` adds the
    job that publishes the status page to incident.yml; `workflows` are the files written
    beside it, which its header names as the places that pin incident-tool.
    """
    text = _template(name)
    if status_page:
        text += _template("workflow-status-page.yml")
    if ACTION_PLACEHOLDER not in text:
        raise RuntimeError(f"templates/{name} lacks {ACTION_PLACEHOLDER}")
    text = text.replace(WORKFLOWS_PLACEHOLDER, listed(workflows))
    return text.replace(ACTION_PLACEHOLDER, action).replace(VERSION_PLACEHOLDER, __version__)


def installed_action() -> str | None:
    """Return `OWNER/REPO@SHA` when this incident-tool was installed from a GitHub commit.

    pip records where a package came from (PEP 610, `direct_url.json`): for
    `pip install git+https://github.com/OWNER/REPO@SHA` that is the URL and the exact
    commit, which is what the workflows should pin. Anything else (an index, a local
    checkout that may hold uncommitted changes) names no commit: None.
    """
    try:
        text = metadata.distribution("incident-tool").read_text("direct_url.json")
        info = json.loads(text or "null")
        url, commit = info["url"], info["vcs_info"]["commit_id"]
    except (metadata.PackageNotFoundError, ValueError, KeyError, TypeError):
        return None
    match = re.match(r"^(?:git\+)?https://github\.com/([^/]+/[^/@]+?)(?:\.git)?/?$", url)
    ref = f"{match[1]}@{commit}" if match else ""
    return ref if ACTION_REF.match(ref) else None


_LIVE_OFF = '  live: "off"\n'


_STATUS_PAGE_ON = """
status_page:
  # `incident-tool init --status-page`: the Pages job of incident.yml builds the page
  # while this is true (docs/usage.md#status-page).
  enabled: true
"""


def _config(form_text: str, live: str | None = None, status_page: bool = False) -> str:
    """Return the adopter's config, its `sensitive.services` taken from the form it gets.

    The config names the form's security option as the form spells it, so renaming one
    without the other cannot quietly make security reports public.
    """
    import json

    from incident_tool.config import DEFAULT_SENSITIVE_SERVICES
    from incident_tool.inbound.forms import FormDefinition, service_key

    form = FormDefinition.from_yaml(form_text, "templates/report-incident.yml")
    field = form.get_field("service")
    wanted = {service_key(x) for x in DEFAULT_SENSITIVE_SERVICES}
    options = [o for o in (field.options if field else ()) if service_key(o) in wanted]
    text = _template("incident.yml")
    if not options or SENSITIVE_PLACEHOLDER not in text:
        raise RuntimeError("templates/report-incident.yml lacks the security service option")
    if live is not None:
        if _LIVE_OFF not in text:
            raise RuntimeError(f"templates/incident.yml lacks {_LIVE_OFF.strip()!r}")
        text = text.replace(_LIVE_OFF, f"  live: {live}\n")
    if status_page:
        text += _STATUS_PAGE_ON
    return text.replace(SENSITIVE_PLACEHOLDER, json.dumps(options, ensure_ascii=False))


def render_issue_config(repo_url: str | None) -> str:
    """Return the issue chooser config, with a contact link to the form of `repo_url`.

    GitHub accepts only absolute URLs in contact links; without a known repository
    URL the link is left out rather than written pointing nowhere.
    """
    text = _template("ISSUE_TEMPLATE_config.yml")
    if repo_url:
        return text.replace(REPO_URL_PLACEHOLDER, repo_url)
    head = text[: text.index("contact_links:")]
    return head + (
        "# contact_links: add one pointing to\n"
        "#   https://<host>/<owner>/<repo>/issues/new?template=report-incident.yml\n"
        "# (init found no `origin` remote to build it from).\n"
    )


_REMOTE = re.compile(
    r"^(?:(?P<scheme>https?|ssh|git)://(?:[^@/]*@)?(?P<host>[^/:]+)(?::\d+)?/"
    r"|(?:[^@/]+@)?(?P<scp_host>[^/:]+):)"
    r"(?P<path>[^/]+/[^/]+?)(?:\.git)?/?$"
)


def repo_web_url(remote: str) -> str | None:
    """Return the web URL (no credentials, no `.git`) of a git remote URL, or None.

    Handles https://[user@]host/o/r(.git), ssh://git@host[:port]/o/r and git@host:o/r.
    """
    match = _REMOTE.match(remote.strip())
    if match is None:
        return None
    host = match["host"] or match["scp_host"]
    scheme = "http" if match["scheme"] == "http" else "https"
    return f"{scheme}://{host}/{match['path']}"


def _origin_url(target: Path) -> str | None:
    """Return the web URL of the checkout's `origin` remote, if git knows one."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(target), "config", "--get", "remote.origin.url"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None  # no git here: the files are still worth writing
    return repo_web_url(proc.stdout) if proc.returncode == 0 else None


def _contents(
    repo_url: str | None, action: str, status_page: bool, live: str | None
) -> dict[str, str]:
    """Return each file to write (path relative to the checkout) with its content."""
    # The adopter's form: placeholder services for the team to replace (the packaged
    # report-incident.yml is the example team's, used when a repository has no form).
    form = _template("team-report-form.yml")
    workflows = workflow_files(live)
    templates = {**WORKFLOW_TEMPLATES, LIVE_WORKFLOW_NAME: LIVE_WORKFLOW_TEMPLATE}
    files = {
        ".github/ISSUE_TEMPLATE/report-incident.yml": form,
        ".github/ISSUE_TEMPLATE/config.yml": render_issue_config(repo_url),
        **{
            f"{WORKFLOWS_DIR}/{name}": render_workflow(
                templates[name],
                action,
                status_page=status_page and name == "incident.yml",
                workflows=workflows,
            )
            for name in workflows
        },
        ".github/incident.yml": _config(form, live, status_page),
        "templates/retrospective.md.j2": _template("retrospective.md.j2"),
        ".github/slack-app-manifest.yml": render_manifest(live=live is not None),
    }
    return files


CONFIG = ".github/incident.yml"
TEMPLATE = "templates/retrospective.md.j2"
_WROTE_TEMPLATE = (
    "  # Jinja template of its body, relative to the repository root; `incident-tool init`\n"
    "  # wrote the default one there.\n"
)
_KEPT_TEMPLATE = (
    "  # Jinja template of its body, relative to the repository root: the one that was\n"
    "  # there before `incident-tool init` ran, kept (`init --force` writes the default).\n"
)


def _kept(dest: Path, text: str, force: bool) -> bool:
    """Say whether init keeps an existing file at `dest` that differs from `text`."""
    if force or not (dest.exists() or dest.is_symlink()) or dest.is_dir():
        return False
    try:
        return dest.read_bytes() != text.encode("utf-8")
    except OSError:
        return True


def _template_notes(target: Path, kept_template: bool, kept_config: bool) -> tuple[str, ...]:
    """Say which retrospective template the config in `target` now points at."""
    from incident_tool.config import ConfigError
    from incident_tool.config import load as load_config

    notes = []
    if kept_template:
        notes.append(
            f"Check {TEMPLATE}: it existed, so init kept it, and {CONFIG} points at it:"
            " retrospectives are written from it (init --force replaces it with the default)."
        )
    if kept_config:
        try:
            cfg = load_config(target / CONFIG)
        except ConfigError as exc:
            return (*notes, f"Fix the kept {CONFIG}: {exc}")
        path = cfg.retrospective.template
        if path != TEMPLATE and not (target / path).is_file():
            notes.append(
                f"The kept {CONFIG} points at the template {path}, which does not exist:"
                " create it, or point retrospective.template at " + TEMPLATE + "."
            )
    return tuple(notes)


def init_repo(
    target: Path,
    *,
    force: bool = False,
    action: str | None = None,
    status_page: bool = False,
    live: str | None = None,
) -> InitResult:
    """Write the issue form, chooser config, workflows, config and template into `target`.

    The workflows run incident-tool's action pinned to `action` (`OWNER/REPO@SHA`), by
    default the commit this incident-tool was installed from, else a placeholder that
    fails closed (see UNPINNED_ACTION). `status_page` adds the job that publishes the
    status page. `live` (`actions` or `external`) sets `slack.live`, writes the manifest
    for the live connection and, for `actions`, incident-live.yml. Keep every existing
    file unless `force`; a file that already has
    exactly the content to write is reported as unchanged. Raise InitError if `target`
    is not a directory, `action` is not OWNER/REPO@<40-hex commit>, `live` is neither
    mode, or a directory stands where a file should go.
    """
    target = Path(target)
    if not target.is_dir():
        raise InitError(f"{target}: not a directory (give the root of a repository checkout)")
    if action is not None and not ACTION_REF.match(action):
        raise InitError(
            f"--action {action!r}: give OWNER/REPO@SHA, the full 40-hex commit of"
            " incident-tool to run (a branch or tag can be moved; a commit cannot)"
        )
    if live is not None and live not in LIVE_MODES:
        raise InitError(f"--live {live!r}: give one of {', '.join(LIVE_MODES)}")
    pinned = action or installed_action()
    repo_url = _origin_url(target)
    # Produce every file before writing any, so a broken install changes nothing.
    texts = _contents(repo_url, pinned or UNPINNED_ACTION, status_page, live)
    kept_template = _kept(target / TEMPLATE, texts[TEMPLATE], force)
    if kept_template:
        # The config points at the template; say in it which one that is.
        texts[CONFIG] = texts[CONFIG].replace(_WROTE_TEMPLATE, _KEPT_TEMPLATE)
    contents = {rel: text.encode("utf-8") for rel, text in texts.items()}
    written: list[str] = []
    unchanged: list[str] = []
    skipped: list[str] = []
    for relative, content in contents.items():
        dest = target / relative
        if dest.is_dir() and not dest.is_symlink():
            raise InitError(f"{dest}: is a directory; move it out of the way")
        if dest.is_file() and dest.read_bytes() == content:
            unchanged.append(relative)
            continue
        if dest.exists() or dest.is_symlink():
            if not force:
                skipped.append(relative)
                continue
            if dest.is_symlink():
                dest.unlink()  # replace the link itself, never write through it
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(content)  # bytes: the same newlines on every platform
        except OSError as exc:
            raise InitError(f"{dest}: cannot write: {exc.strerror or exc}") from exc
        written.append(relative)
    notes = _notes(repo_url, pinned, status_page, live)
    notes += _template_notes(target, kept_template, CONFIG in skipped)
    notes += _kept_live_notes(target, live, skipped)
    repo = repo_url.split("/", 3)[3] if repo_url else None
    return InitResult(
        target=target,
        written=tuple(written),
        unchanged=tuple(unchanged),
        skipped=tuple(skipped),
        repo=repo,
        notes=notes,
    )


def _notes(
    repo_url: str | None, pinned: str | None, status_page: bool, live: str | None
) -> tuple[str, ...]:
    """Return the next steps that depend on what init was asked and what it found."""
    notes: tuple[str, ...] = ()
    if repo_url is None:
        notes += (
            "Add a contact link to .github/ISSUE_TEMPLATE/config.yml (no `origin` remote"
            " was found to build it from).",
        )
    if pinned is None:
        notes += (
            f"Pin incident-tool in each workflow init wrote ({listed(workflow_files(live))}):"
            f" they name {UNPINNED_ACTION}, which"
            " fails until you replace it with the repository and full commit SHA of the"
            " incident-tool you have read (or run init again with --action OWNER/REPO@SHA"
            " --force).",
        )
    if status_page:
        notes += (
            "For the status page: choose Settings > Pages > Source: GitHub Actions"
            " (.github/incident.yml has `status_page.enabled: true`; a kept one needs it).",
        )
    return notes + _live_notes(live)


MANIFEST = ".github/slack-app-manifest.yml"


def _kept_live_notes(target: Path, live: str | None, skipped: list[str]) -> tuple[str, ...]:
    """Say which kept file still lacks the live connection `init --live` was asked for."""
    from incident_tool.config import ConfigError
    from incident_tool.config import load as load_config

    if live is None:
        return ()
    notes = []
    if CONFIG in skipped:
        try:
            kept = load_config(target / CONFIG).slack.live
        except ConfigError:
            kept = live  # _template_notes already says to fix it
        if kept != live:
            notes.append(
                f"Set `slack.live: {live}` in the kept {CONFIG} (it says {kept});"
                " init --force rewrites the whole file."
            )
    if MANIFEST in skipped:
        notes.append(
            f"The kept {MANIFEST} has no Socket Mode: run init --live {live} --force for the"
            " live manifest, paste it under App Manifest in the Slack app, and reinstall it."
        )
    return tuple(notes)


def _live_notes(live: str | None) -> tuple[str, ...]:
    """Say what the live connection needs, or what Slack costs in time without it."""
    if live is None:
        return (
            "Without a live connection (init --live actions|external), what people do in"
            " Slack reaches the issue at the next event on it or the next sweep: every 5"
            " minutes while an incident is open, and GitHub's schedule is best-effort (it"
            " can run late); /incident and buttons are not available"
            " (docs/adopting.md#the-live-connection).",
        )
    token = (
        "Make the app-level token for the live connection: in the Slack app, Basic"
        " Information > App-Level Tokens > Generate Token and Scopes, add the scope"
        " connections:write, and store the xapp-… token as the repository secret"
        " SLACK_APP_TOKEN (Settings > Secrets and variables > Actions)."
    )
    if live == "actions":
        where = (
            f"{LIVE_WORKFLOW} keeps the connection while an incident is open: it bills one"
            " job by the minute then (docs/operating.md#the-live-connection-in-actions)."
        )
    else:
        token = token.replace(
            "as the repository secret SLACK_APP_TOKEN (Settings > Secrets and variables > Actions)",
            "as SLACK_APP_TOKEN where `incident-tool listen` runs",
        )
        where = (
            "Run `incident-tool listen --repo OWNER/NAME` where it stays up (the container:"
            " docs/adopting.md#always-on-slacklive-external), with SLACK_APP_TOKEN,"
            " SLACK_BOT_TOKEN and a GitHub App installation or fine-grained token."
        )
    return (token, where)


def format_result(result: InitResult) -> str:
    """Return a person-readable report of an `init_repo` run, ending with next steps."""
    lines = [f"incident-tool init in {result.target}"]
    for label, paths, why in (
        ("wrote", result.written, ""),
        ("unchanged", result.unchanged, ""),
        ("skipped", result.skipped, " (exists; --force overwrites it)"),
    ):
        lines += [
            f"  {label:<9}  {path}{why}"
            + (
                " - kept: the config points at it"
                if label == "skipped" and path == TEMPLATE
                else ""
            )
            for path in paths
        ]
    lines += ["", "Next steps:", result.next_steps]
    return "\n".join(lines)
