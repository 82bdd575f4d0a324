"""Write the files a repository needs to run incident-tool (`incident-tool init [DIR]`).

Every file comes from the package's own `templates/` (package data), so this works
from a plain wheel install. An existing file is never replaced without `force`.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from incident_tool import __version__

VERSION_PLACEHOLDER = "__INCIDENT_TOOL_VERSION__"
REPO_URL_PLACEHOLDER = "https://github.com/OWNER/REPO"


class InitError(ValueError):
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
            f"Create the state labels: incident-tool labels sync --repo {repo}",
            *self.notes,
            "Commit and push these files; the workflow runs from the default branch.",
        ]
        return "\n".join(f"{n}. {step}" for n, step in enumerate(steps, 1))


def _template(name: str) -> str:
    """Return a file of the package's `templates/` directory."""
    return (resources.files("incident_tool") / "templates" / name).read_text(encoding="utf-8")


def _workflow() -> str:
    """Return the adopter's workflow, pinned to the version of incident-tool running now."""
    text = _template("workflow.yml")
    if VERSION_PLACEHOLDER not in text:
        raise RuntimeError(f"templates/workflow.yml lacks {VERSION_PLACEHOLDER}")
    return text.replace(VERSION_PLACEHOLDER, __version__)


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


def _contents(repo_url: str | None) -> dict[str, str]:
    """Return each file to write (path relative to the checkout) with its content."""
    return {
        ".github/ISSUE_TEMPLATE/report-incident.yml": _template("report-incident.yml"),
        ".github/ISSUE_TEMPLATE/config.yml": render_issue_config(repo_url),
        ".github/workflows/incident.yml": _workflow(),
        ".github/incident.yml": _template("incident.yml"),
        "templates/retrospective.md.j2": _template("retrospective.md.j2"),
        ".github/slack-app-manifest.yml": _template("slack-app-manifest.yml"),
    }


def init_repo(target: Path, *, force: bool = False) -> InitResult:
    """Write the issue form, chooser config, workflow, config and template into `target`.

    Keep every existing file unless `force`; a file that already has exactly the
    content to write is reported as unchanged. Raise InitError if `target` is not a
    directory, or a directory stands where a file should go.
    """
    target = Path(target)
    if not target.is_dir():
        raise InitError(f"{target}: not a directory (give the root of a repository checkout)")
    repo_url = _origin_url(target)
    # Produce every file before writing any, so a broken install changes nothing.
    contents = {rel: text.encode("utf-8") for rel, text in _contents(repo_url).items()}
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
    notes: tuple[str, ...] = ()
    if repo_url is None:
        notes = (
            "Add a contact link to .github/ISSUE_TEMPLATE/config.yml (no `origin` remote"
            " was found to build it from).",
        )
    repo = repo_url.split("/", 3)[3] if repo_url else None
    return InitResult(
        target=target,
        written=tuple(written),
        unchanged=tuple(unchanged),
        skipped=tuple(skipped),
        repo=repo,
        notes=notes,
    )


def format_result(result: InitResult) -> str:
    """Return a person-readable report of an `init_repo` run, ending with next steps."""
    lines = [f"incident-tool init in {result.target}"]
    for label, paths, why in (
        ("wrote", result.written, ""),
        ("unchanged", result.unchanged, ""),
        ("skipped", result.skipped, " (exists; --force overwrites it)"),
    ):
        lines += [f"  {label:<9}  {path}{why}" for path in paths]
    lines += ["", "Next steps:", result.next_steps]
    return "\n".join(lines)
