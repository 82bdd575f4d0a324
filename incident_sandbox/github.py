"""The GitHub half of the sandbox: repositories, people, issues, comments, labels.

:class:`GitHub` holds the state, renders it in the REST API's JSON shapes, and offers
helpers that act as a person in the web UI (each queues the webhook events GitHub would
deliver). The HTTP endpoints in :mod:`incident_sandbox.github_routes` call the same
operations, so a write made over HTTP with a person's token queues the same events,
while writes made with :attr:`GitHub.bot_token` (the workflow's ``GITHUB_TOKEN``) queue
none.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from incident_sandbox.webhooks import EventQueue, issue_comment_payload, issues_payload

DOCS = "https://docs.github.com/rest"
ROLES = ("none", "read", "triage", "write", "maintain", "admin")
LEGACY_PERMISSION = {
    "admin": "admin",
    "maintain": "write",
    "write": "write",
    "triage": "read",
    "read": "read",
    "none": "none",
}
REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes")
MAX_BODY = 65536
MAX_ASSIGNEES = 10
# "You can add up to 100 sub-issues per parent issue" (docs.github.com/en/issues/
# tracking-your-work-with-issues/using-issues/adding-sub-issues).
MAX_SUB_ISSUES = 100
DEFAULT_LABEL_COLOR = "ededed"
BOT_LOGIN = "github-actions[bot]"
BOT_ID = 41898282


class SandboxGitHubError(Exception):
    """An error answered in GitHub's JSON shape (also raised by the helpers)."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: list[dict[str, Any]] | None = None,
        documentation_url: str = DOCS,
    ) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message
        self.errors = errors
        self.documentation_url = documentation_url

    def body(self) -> dict[str, Any]:
        """The JSON body GitHub sends with this error."""
        out: dict[str, Any] = {"message": self.message}
        if self.errors is not None:
            out["errors"] = self.errors
        out["documentation_url"] = self.documentation_url
        out["status"] = str(self.status)
        return out


def not_found() -> SandboxGitHubError:
    """GitHub's 404."""
    return SandboxGitHubError(404, "Not Found")


def validation_failed(
    resource: str, code: str, field_name: str, **extra: Any
) -> SandboxGitHubError:
    """GitHub's 422 with one entry in ``errors``."""
    return SandboxGitHubError(
        422,
        "Validation Failed",
        [{"resource": resource, "code": code, "field": field_name, **extra}],
    )


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, at GitHub's one-second resolution."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """Parse an ISO 8601 timestamp as GitHub accepts it (``since`` parameters)."""
    value = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def node_id(kind: str, number: int) -> str:
    """A legacy-style GraphQL node id, e.g. ``MDU6SXNzdWUx`` for Issue 1."""
    return base64.b64encode(f"0{len(kind)}:{kind}{number}".encode()).decode()


def git_blob_sha(content: bytes) -> str:
    """The git blob SHA-1 of some file content, as the contents API reports it."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


@dataclass
class User:
    """A GitHub account (User, Organization or Bot)."""

    login: str
    id: int
    type: str = "User"
    name: str | None = None
    email: str | None = None
    busy: bool = False
    token: str | None = None
    created_at: datetime | None = None
    # A status shown only to one organisation's members (UserStatus.organization).
    busy_organization: str | None = None


# Primary rate limits an hour (GitHub's "Rate limits for the REST API"): 5,000 for a
# person's token, 1,000 per repository for the workflow's GITHUB_TOKEN, 60 unauthenticated.
RATE_LIMIT_USER = 5000
RATE_LIMIT_GITHUB_TOKEN = 1000
RATE_LIMIT_ANONYMOUS = 60
RATE_WINDOW = 3600


@dataclass
class RateWindow:
    """One token's primary rate limit for one resource (core, graphql): an hour's window."""

    limit: int
    used: int
    reset: int  # epoch seconds when the window ends

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


@dataclass
class Label:
    """A repository label."""

    id: int
    name: str
    color: str = DEFAULT_LABEL_COLOR
    description: str | None = None
    default: bool = False


@dataclass
class IssueEvent:
    """An entry of an issue's event list (labeled, closed, assigned, ...)."""

    id: int
    event: str
    actor: str
    created_at: datetime
    label: tuple[str, str] | None = None
    assignee: str | None = None
    state_reason: str | None = None
    rename: tuple[str, str] | None = None
    lock_reason: str | None = None  # a `locked` event's (the schema requires the key)


@dataclass
class Issue:
    """An issue or pull request (they share the number sequence)."""

    id: int
    number: int
    title: str
    body: str | None
    user: str
    created_at: datetime
    updated_at: datetime
    labels: list[int] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    state: str = "open"
    state_reason: str | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    locked: bool = False
    active_lock_reason: str | None = None  # off-topic, too heated, resolved, spam or None
    is_pull_request: bool = False
    events: list[IssueEvent] = field(default_factory=list)
    comment_ids: list[int] = field(default_factory=list)
    parent: tuple[str, int] | None = None  # (repo full name, number) of the parent issue
    sub_issues: list[tuple[str, int]] = field(default_factory=list)  # in priority order


@dataclass
class Reaction:
    """A reaction on an issue comment."""

    id: int
    user: str
    content: str
    created_at: datetime


@dataclass
class Comment:
    """An issue (or pull request conversation) comment."""

    id: int
    repo: str
    issue_number: int
    user: str
    body: str
    created_at: datetime
    updated_at: datetime
    reactions: list[Reaction] = field(default_factory=list)
    # Hidden ("minimized") and why: GraphQL `minimizedReason`'s words (abuse, off-topic,
    # outdated, resolved, duplicate, spam); None while shown.
    minimized_reason: str | None = None
    # Its revisions once edited, oldest first: (editor, when, the body as it then was).
    # GitHub keeps them for anyone who can see the comment (its "edited" menu; GraphQL
    # `userContentEdits`, each `diff` the whole body after that edit:
    # kurone-kito/idd-skill#3133, "treat each `diff` as the full post-edit body").
    edits: list[tuple[str, datetime, str]] = field(default_factory=list)


@dataclass
class Workflow:
    """An Actions workflow file of a repository, and whether it is enabled."""

    id: int
    path: str  # .github/workflows/<file>
    name: str
    state: str  # active | disabled_manually | disabled_inactivity | disabled_fork | deleted
    created_at: datetime
    updated_at: datetime


@dataclass
class Repo:
    """A repository with its issues, labels, collaborators and files."""

    id: int
    owner: str
    name: str
    private: bool
    description: str | None
    created_at: datetime
    collaborators: dict[str, str] = field(default_factory=dict)
    custom_roles: dict[str, str] = field(default_factory=dict)  # login -> custom role name
    labels: dict[int, Label] = field(default_factory=dict)
    issues: dict[int, Issue] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    workflows: dict[str, Workflow] = field(default_factory=dict)  # by path
    # Workflow runs started by dispatches: {"id", "path", "status", "conclusion", ...}; a
    # test moves them on (queued, in_progress, completed) as Actions would.
    runs: list[dict[str, Any]] = field(default_factory=list)
    next_number: int = 1
    # What changed (issue #24), seeded by the add_* helpers below: deployments with their
    # statuses (newest last), merge details of pull requests by number, releases, and
    # commits by SHA (those merges made).
    deployments: list[dict[str, Any]] = field(default_factory=list)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    releases: list[dict[str, Any]] = field(default_factory=list)
    commits: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        """``owner/name``."""
        return f"{self.owner}/{self.name}"

    def label_named(self, name: str) -> Label | None:
        """The label with this name, compared case-insensitively as GitHub does."""
        lowered = name.lower()
        for label in self.labels.values():
            if label.name.lower() == lowered:
                return label
        return None


class GitHub:
    """State and person-level helpers of the sandboxed GitHub (``Sandbox.github``)."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.lock = threading.RLock()
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self.base_url = "http://127.0.0.1"
        self.users: dict[str, User] = {}
        self.tokens: dict[str, str] = {}
        self.repos: dict[str, Repo] = {}
        self.comments_by_id: dict[int, Comment] = {}
        self.events = EventQueue()
        self._user_ids = itertools.count(1001)
        self._repo_ids = itertools.count(500001)
        self._issue_ids = itertools.count(2000001)
        self._comment_ids = itertools.count(3000001)
        self._label_ids = itertools.count(4000001)
        self._reaction_ids = itertools.count(5000001)
        self._event_ids = itertools.count(6000001)
        self._rate: dict[tuple[str, str], RateWindow] = {}
        self._workflow_ids = itertools.count(7000001)
        # Whether the workflow's token has `actions: write` (enable/disable a workflow).
        self.bot_actions_write = True
        bot = User(BOT_LOGIN, BOT_ID, type="Bot", created_at=self.now())
        bot.token = "ghs_sandbox_" + secrets.token_hex(16)
        self.users[bot.login.lower()] = bot
        self.tokens[bot.token] = bot.login
        from incident_sandbox.apps import Apps

        self.apps = Apps(self)  # GitHub Apps: JWTs, installations, hour-long tokens

    # ----------------------------------------------------------------- basics

    def now(self) -> datetime:
        """The sandbox's current time (UTC, whole seconds like GitHub's timestamps)."""
        self._last_now = self._clock().astimezone(timezone.utc).replace(microsecond=0)
        return self._last_now

    @property
    def bot_login(self) -> str:
        """Login of the workflow's bot account: ``github-actions[bot]``."""
        return BOT_LOGIN

    @property
    def bot_token(self) -> str:
        """A token acting as the bot. Like ``GITHUB_TOKEN``: its writes emit no webhooks."""
        return self.users[BOT_LOGIN.lower()].token or ""

    def user(self, login: str) -> User:
        """The account with this login (case-insensitive); KeyError if unknown."""
        try:
            return self.users[login.lower()]
        except KeyError:
            raise KeyError(f"sandbox GitHub has no user {login!r}") from None

    def repo(self, full_name: str) -> Repo:
        """The repository ``owner/name``; KeyError if unknown."""
        try:
            return self.repos[full_name.lower()]
        except KeyError:
            raise KeyError(f"sandbox GitHub has no repository {full_name!r}") from None

    def user_for_token(self, token: str) -> User | None:
        """The account a token authenticates as, or None."""
        login = self.tokens.get(token)
        if login and self.apps.expired(token):
            return None  # an App's installation token past its hour: "Bad credentials"
        return self.users[login.lower()] if login else None

    def take_events(self) -> list[tuple[str, dict[str, Any]]]:
        """Webhook events ``(event_name, payload)`` queued since the last call, in order."""
        return self.events.take()

    def rate_window(self, login: str | None, resource: str = "core") -> RateWindow:
        """The primary rate limit of a token (by its account; None: unauthenticated)."""
        key = ((login or "").lower(), resource)
        # The last time read, not a new reading: a test clock that steps on every reading
        # must not move because a request was counted.
        last = getattr(self, "_last_now", None) or self.now()
        now = int(last.timestamp())
        window = self._rate.get(key)
        if window is None or now >= window.reset:
            if login is None:
                limit = RATE_LIMIT_ANONYMOUS
            elif login.lower() == BOT_LOGIN.lower():
                limit = RATE_LIMIT_GITHUB_TOKEN
            else:
                limit = RATE_LIMIT_USER
            window = RateWindow(limit, 0, now + RATE_WINDOW)
            self._rate[key] = window
        return window

    def use_rate(self, login: str | None, used: int, resource: str = "core") -> None:
        """Set how much of a token's hour is used (``used=limit``: the next request is refused)."""
        with self.lock:
            self.rate_window(login, resource).used = used

    # ---------------------------------------------------------------- set-up

    def add_user(
        self,
        login: str,
        name: str | None = None,
        type: str = "User",
        busy: bool = False,
        email: str | None = None,
    ) -> str:
        """Create an account and return a token that acts as it over HTTP."""
        if type not in ("User", "Organization", "Bot"):
            raise ValueError(f"type must be User, Organization or Bot, not {type!r}")
        with self.lock:
            if login.lower() in self.users:
                raise ValueError(f"user {login!r} already exists")
            user = User(login, next(self._user_ids), type, name, email, busy, None, self.now())
            if type != "Organization":
                # GitHub's prefixes: ghp_ a person's token, ghs_ an app installation's
                # (as the workflow's GITHUB_TOKEN is).
                prefix = "ghs_" if type == "Bot" else "ghp_"
                user.token = prefix + "sandbox_" + secrets.token_hex(16)
                self.tokens[user.token] = login
            self.users[login.lower()] = user
            return user.token or ""

    def add_app_bot(self, login: str) -> None:
        """The account a GitHub App's installation tokens act as (`<slug>[bot]`): no token
        of its own, they are made by incident_sandbox/apps.py."""
        with self.lock:
            self.users[login.lower()] = User(
                login, next(self._user_ids), "Bot", created_at=self.now()
            )

    def set_busy(self, login: str, busy: bool = True, *, organization: str | None = None) -> None:
        """Set or clear the person's profile status "busy" (limited availability).

        With `organization`, only that organisation's members can see the status; the
        bot's token is never one of them here, so GraphQL answers ``status: null``.
        """
        with self.lock:
            user = self.user(login)
            user.busy, user.busy_organization = busy, organization

    def add_repo(
        self, full_name: str, private: bool = False, description: str | None = None
    ) -> dict[str, Any]:
        """Create ``owner/name`` (the owner becomes an Organization if unknown)."""
        owner, _, name = full_name.partition("/")
        if not owner or not name or "/" in name:
            raise ValueError(f"repository must be 'owner/name', not {full_name!r}")
        with self.lock:
            if full_name.lower() in self.repos:
                raise ValueError(f"repository {full_name!r} already exists")
            if owner.lower() not in self.users:
                self.add_user(owner, type="Organization")
            repo = Repo(
                next(self._repo_ids),
                self.user(owner).login,
                name,
                private,
                description,
                self.now(),
            )
            self.repos[full_name.lower()] = repo
            # A repository that adopted incident-tool has its two workflows (`init`).
            self.add_workflow(full_name, ".github/workflows/incident.yml", "Incident")
            self.add_workflow(full_name, ".github/workflows/incident-sweep.yml", "Incident sweep")
            return self.repo_json(repo)

    def add_workflow(
        self, repo: str, path: str, name: str, state: str = "active"
    ) -> dict[str, Any]:
        """Add (or replace) a workflow file of the repository, in the given state."""
        with self.lock:
            target = self.repo(repo)
            now = self.now()
            flow = Workflow(next(self._workflow_ids), path, name, state, now, now)
            target.workflows[path] = flow
            return self.workflow_json(target, flow)

    def workflow(self, repo: str | Repo, workflow_id: str) -> Workflow | None:
        """The workflow with this id or file name (`ci.yml`), as GitHub accepts either."""
        target = self.repo(repo) if isinstance(repo, str) else repo
        for flow in target.workflows.values():
            if workflow_id in (str(flow.id), flow.path.rsplit("/", 1)[-1]):
                return flow
        return None

    def workflow_json(self, repo: Repo, flow: Workflow) -> dict[str, Any]:
        """A REST ``workflow`` object."""
        html = f"https://github.com/{repo.full_name}/blob/main/{flow.path}"
        file_name = flow.path.rsplit("/", 1)[-1]
        return {
            "id": flow.id,
            "node_id": node_id("Workflow", flow.id),
            "name": flow.name,
            "path": flow.path,
            "state": flow.state,
            "created_at": iso(flow.created_at),
            "updated_at": iso(flow.updated_at),
            "url": self._api(f"/repos/{repo.full_name}/actions/workflows/{flow.id}"),
            "html_url": html,
            "badge_url": f"https://github.com/{repo.full_name}/workflows/{file_name}/badge.svg",
        }

    def add_collaborator(
        self, repo: str, login: str, permission: str = "write", *, custom_role: str | None = None
    ) -> None:
        """Give a person a role on the repository (admin|maintain|write|triage|read).

        ``custom_role`` names an organisation's custom repository role (e.g. "Incident
        Responder") built on ``permission`` as its base role: GitHub then reports the
        custom name in ``role_name`` and the base in ``permission``.
        """
        if permission not in ROLES[1:]:
            raise ValueError(f"permission must be one of {ROLES[1:]}, not {permission!r}")
        with self.lock:
            r = self.repo(repo)
            key = self.user(login).login.lower()
            r.collaborators[key] = permission
            if custom_role:
                r.custom_roles[key] = custom_role
            else:
                r.custom_roles.pop(key, None)

    def create_label(
        self,
        repo: str,
        name: str,
        color: str = DEFAULT_LABEL_COLOR,
        description: str | None = None,
    ) -> dict[str, Any]:
        """Create a repository label (as a maintainer in the UI would)."""
        with self.lock:
            r = self.repo(repo)
            return self.label_json(r, self._create_label(r, name, color, description))

    def put_file(self, repo: str, path: str, text: str | bytes) -> None:
        """Store a file in the repository's default branch (read via the contents API)."""
        with self.lock:
            data = text.encode("utf-8") if isinstance(text, str) else text
            self.repo(repo).files[path.strip("/")] = data

    # ------------------------------------------------------------ permissions

    def role(self, repo: Repo, login: str | None) -> str:
        """The person's role on the repository (``none`` .. ``admin``)."""
        if login is None:
            return "read" if not repo.private else "none"
        if login.lower() == BOT_LOGIN.lower():
            return "write"
        if login.lower() == repo.owner.lower() and self.user(login).type == "User":
            return "admin"
        explicit = repo.collaborators.get(login.lower())
        if explicit:
            return explicit
        return "none" if repo.private else "read"

    def has_role(self, repo: Repo, login: str | None, needed: str) -> bool:
        """Whether the person has at least ``needed`` on the repository."""
        return ROLES.index(self.role(repo, login)) >= ROLES.index(needed)

    def can_see(self, repo: Repo, login: str | None) -> bool:
        """Whether the repository is visible to the person (anonymous: None)."""
        return not repo.private or self.has_role(repo, login, "read")

    def assignable(self, repo: Repo, login: str) -> bool:
        """GitHub's assignable users: people with push access to the repository."""
        user = self.users.get(login.lower())
        if user is None or user.type != "User":
            return False
        return self.has_role(repo, user.login, "write")

    def author_association(self, repo: Repo, login: str) -> str:
        """``OWNER``, ``COLLABORATOR`` or ``NONE`` for the person on this repository."""
        if login.lower() == repo.owner.lower():
            return "OWNER"
        if login.lower() in repo.collaborators:
            return "COLLABORATOR"
        return "NONE"

    def permission(self, repo: str, login: str) -> str:
        """Role name of a person on a repository (as ``role_name`` reports it)."""
        with self.lock:
            return self.role(self.repo(repo), self.user(login).login)

    # ----------------------------------------------------------------- JSON

    def _api(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def user_json(self, login: str) -> dict[str, Any]:
        """A REST ``simple-user``."""
        user = self.user(login)
        quoted = user.login.replace("[", "%5B").replace("]", "%5D")
        api = self._api(f"/users/{quoted}")
        html = (
            f"https://github.com/apps/{user.login.removesuffix('[bot]')}"
            if user.type == "Bot"
            else f"https://github.com/{user.login}"
        )
        return {
            "login": user.login,
            "id": user.id,
            "node_id": node_id("User" if user.type != "Organization" else "Organization", user.id),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{user.id}?v=4",
            "gravatar_id": "",
            "url": api,
            "html_url": html,
            "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions",
            "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
            "type": user.type,
            "site_admin": False,
        }

    def full_user_json(self, login: str) -> dict[str, Any]:
        """A REST ``public-user`` (GET /users/{username})."""
        user = self.user(login)
        out = self.user_json(login)
        out.update(
            {
                "name": user.name,
                "company": None,
                "blog": "",
                "location": None,
                "email": user.email,
                "hireable": None,
                "bio": None,
                "twitter_username": None,
                "public_repos": sum(
                    1 for r in self.repos.values() if r.owner == user.login and not r.private
                ),
                "public_gists": 0,
                "followers": 0,
                "following": 0,
                "created_at": iso(user.created_at),
                "updated_at": iso(user.created_at),
            }
        )
        return out

    def organization_json(self, login: str) -> dict[str, Any]:
        """An organisation as webhook payloads carry it."""
        user = self.user(login)
        api = self._api(f"/orgs/{user.login}")
        return {
            "login": user.login,
            "id": user.id,
            "node_id": node_id("Organization", user.id),
            "url": api,
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events",
            "hooks_url": f"{api}/hooks",
            "issues_url": f"{api}/issues",
            "members_url": f"{api}/members{{/member}}",
            "public_members_url": f"{api}/public_members{{/member}}",
            "avatar_url": f"https://avatars.githubusercontent.com/u/{user.id}?v=4",
            "description": None,
        }

    def repo_json(self, repo: Repo, viewer: str | None = None) -> dict[str, Any]:
        """A REST ``full-repository`` (with ``permissions`` when a viewer is given)."""
        api = self._api(f"/repos/{repo.full_name}")
        html = f"https://github.com/{repo.full_name}"
        open_count = sum(1 for i in repo.issues.values() if i.state == "open")
        stamp = iso(repo.created_at)
        out: dict[str, Any] = {
            "id": repo.id,
            "node_id": node_id("Repository", repo.id),
            "name": repo.name,
            "full_name": repo.full_name,
            "private": repo.private,
            "owner": self.user_json(repo.owner),
            "html_url": html,
            "description": repo.description,
            "fork": False,
            "url": api,
            "forks_url": f"{api}/forks",
            "keys_url": f"{api}/keys{{/key_id}}",
            "collaborators_url": f"{api}/collaborators{{/collaborator}}",
            "teams_url": f"{api}/teams",
            "hooks_url": f"{api}/hooks",
            "issue_events_url": f"{api}/issues/events{{/number}}",
            "events_url": f"{api}/events",
            "assignees_url": f"{api}/assignees{{/user}}",
            "branches_url": f"{api}/branches{{/branch}}",
            "tags_url": f"{api}/tags",
            "blobs_url": f"{api}/git/blobs{{/sha}}",
            "git_tags_url": f"{api}/git/tags{{/sha}}",
            "git_refs_url": f"{api}/git/refs{{/sha}}",
            "trees_url": f"{api}/git/trees{{/sha}}",
            "statuses_url": f"{api}/statuses/{{sha}}",
            "languages_url": f"{api}/languages",
            "stargazers_url": f"{api}/stargazers",
            "contributors_url": f"{api}/contributors",
            "subscribers_url": f"{api}/subscribers",
            "subscription_url": f"{api}/subscription",
            "commits_url": f"{api}/commits{{/sha}}",
            "git_commits_url": f"{api}/git/commits{{/sha}}",
            "comments_url": f"{api}/comments{{/number}}",
            "issue_comment_url": f"{api}/issues/comments{{/number}}",
            "contents_url": f"{api}/contents/{{+path}}",
            "compare_url": f"{api}/compare/{{base}}...{{head}}",
            "merges_url": f"{api}/merges",
            "archive_url": f"{api}/{{archive_format}}{{/ref}}",
            "downloads_url": f"{api}/downloads",
            "issues_url": f"{api}/issues{{/number}}",
            "pulls_url": f"{api}/pulls{{/number}}",
            "milestones_url": f"{api}/milestones{{/number}}",
            "notifications_url": f"{api}/notifications{{?since,all,participating}}",
            "labels_url": f"{api}/labels{{/name}}",
            "releases_url": f"{api}/releases{{/id}}",
            "deployments_url": f"{api}/deployments",
            "created_at": stamp,
            "updated_at": stamp,
            "pushed_at": stamp,
            "git_url": f"git://github.com/{repo.full_name}.git",
            "ssh_url": f"git@github.com:{repo.full_name}.git",
            "clone_url": f"{html}.git",
            "svn_url": html,
            "homepage": None,
            "size": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "language": "Python",
            "has_issues": True,
            "has_projects": True,
            "has_downloads": True,
            "has_wiki": True,
            "has_pages": False,
            "has_discussions": False,
            "forks_count": 0,
            "mirror_url": None,
            "archived": False,
            "disabled": False,
            "open_issues_count": open_count,
            "license": None,
            "allow_forking": True,
            "is_template": False,
            "web_commit_signoff_required": False,
            "topics": [],
            "visibility": "private" if repo.private else "public",
            "forks": 0,
            "open_issues": open_count,
            "watchers": 0,
            "default_branch": "main",
            "custom_properties": {},
            "network_count": 0,
            "subscribers_count": 0,
        }
        if viewer is not None:
            rank = ROLES.index(self.role(repo, viewer))
            out["permissions"] = {
                "admin": rank >= ROLES.index("admin"),
                "maintain": rank >= ROLES.index("maintain"),
                "push": rank >= ROLES.index("write"),
                "triage": rank >= ROLES.index("triage"),
                "pull": rank >= ROLES.index("read"),
            }
        return out

    def label_json(self, repo: Repo, label: Label) -> dict[str, Any]:
        """A REST ``label``."""
        return {
            "id": label.id,
            "node_id": node_id("Label", label.id),
            "url": self._api(f"/repos/{repo.full_name}/labels/{quote(label.name, safe='')}"),
            "name": label.name,
            "color": label.color,
            "default": label.default,
            "description": label.description,
        }

    def _reactions_summary(self, url: str, reactions: Iterable[Reaction]) -> dict[str, Any]:
        counts = dict.fromkeys(REACTIONS, 0)
        for reaction in reactions:
            counts[reaction.content] += 1
        return {"url": url, "total_count": sum(counts.values()), **counts}

    def issue_json(self, repo: Repo, issue: Issue) -> dict[str, Any]:
        """A REST ``issue`` (with ``pull_request`` for pull requests)."""
        api = self._api(f"/repos/{repo.full_name}/issues/{issue.number}")
        kind = "pull" if issue.is_pull_request else "issues"
        html = f"https://github.com/{repo.full_name}/{kind}/{issue.number}"
        assignees = [self.user_json(login) for login in issue.assignees]
        out: dict[str, Any] = {
            "url": api,
            "repository_url": self._api(f"/repos/{repo.full_name}"),
            "labels_url": f"{api}/labels{{/name}}",
            "comments_url": f"{api}/comments",
            "events_url": f"{api}/events",
            "html_url": html,
            "id": issue.id,
            "node_id": node_id("PullRequest" if issue.is_pull_request else "Issue", issue.id),
            "number": issue.number,
            "title": issue.title,
            "user": self.user_json(issue.user),
            "labels": [self.label_json(repo, repo.labels[i]) for i in issue.labels],
            "state": issue.state,
            "locked": issue.locked,
            "assignee": assignees[0] if assignees else None,
            "assignees": assignees,
            "milestone": None,
            "comments": len(issue.comment_ids),
            "created_at": iso(issue.created_at),
            "updated_at": iso(issue.updated_at),
            "closed_at": iso(issue.closed_at),
            "author_association": self.author_association(repo, issue.user),
            "active_lock_reason": issue.active_lock_reason if issue.locked else None,
            "draft": False,
            "body": issue.body,
            "closed_by": self.user_json(issue.closed_by) if issue.closed_by else None,
            "reactions": self._reactions_summary(f"{api}/reactions", []),
            "timeline_url": f"{api}/timeline",
            "performed_via_github_app": None,
            "state_reason": issue.state_reason,
        }
        if not issue.is_pull_request:
            # Both are in the `issue` schema of tests/reference/ (and GitHub's answers).
            out["sub_issues_summary"] = self._sub_issues_summary(issue)
            out["parent_issue_url"] = (
                self._api(f"/repos/{issue.parent[0]}/issues/{issue.parent[1]}")
                if issue.parent
                else None
            )
        if issue.is_pull_request:
            pulls = self._api(f"/repos/{repo.full_name}/pulls/{issue.number}")
            out["pull_request"] = {
                "url": pulls,
                "html_url": html,
                "diff_url": f"{html}.diff",
                "patch_url": f"{html}.patch",
                "merged_at": None,
            }
        return out

    def _sub_issues_summary(self, issue: Issue) -> dict[str, int]:
        children = [self._child(ref) for ref in issue.sub_issues]
        done = sum(1 for c in children if c.state == "closed")
        total = len(children)
        return {
            "total": total,
            "completed": done,
            "percent_completed": done * 100 // total if total else 0,
        }

    def _child(self, ref: tuple[str, int]) -> Issue:
        return self.repo(ref[0]).issues[ref[1]]

    def comment_json(self, comment: Comment) -> dict[str, Any]:
        """A REST ``issue-comment``."""
        repo = self.repo(comment.repo)
        api = self._api(f"/repos/{repo.full_name}/issues/comments/{comment.id}")
        issue = repo.issues[comment.issue_number]
        kind = "pull" if issue.is_pull_request else "issues"
        return {
            "url": api,
            "html_url": f"https://github.com/{repo.full_name}/{kind}/{comment.issue_number}"
            f"#issuecomment-{comment.id}",
            "issue_url": self._api(f"/repos/{repo.full_name}/issues/{comment.issue_number}"),
            "id": comment.id,
            "node_id": node_id("IssueComment", comment.id),
            "user": self.user_json(comment.user),
            "created_at": iso(comment.created_at),
            "updated_at": iso(comment.updated_at),
            "author_association": self.author_association(repo, comment.user),
            "body": comment.body,
            "reactions": self._reactions_summary(f"{api}/reactions", comment.reactions),
            "performed_via_github_app": None,
        } | self._minimized_json(comment)

    @staticmethod
    def _minimized_json(comment: Comment) -> dict[str, Any]:
        # The `issue-comment` schema's optional `minimized` ({"reason"}, "Details about
        # why an issue comment was minimized"; tests/reference/github-rest-api-subset.json):
        # sent for a hidden comment only, so a shown one's JSON is what it always was.
        if comment.minimized_reason is None:
            return {}
        return {"minimized": {"reason": comment.minimized_reason}}

    def reaction_json(self, reaction: Reaction) -> dict[str, Any]:
        """A REST ``reaction``."""
        return {
            "id": reaction.id,
            "node_id": node_id("Reaction", reaction.id),
            "user": self.user_json(reaction.user),
            "content": reaction.content,
            "created_at": iso(reaction.created_at),
        }

    def event_json(self, repo: Repo, issue: Issue, event: IssueEvent) -> dict[str, Any]:
        """A REST ``issue-event`` as listed by GET .../issues/{n}/events."""
        out: dict[str, Any] = {
            "id": event.id,
            "node_id": node_id("IssueEvent", event.id),
            "url": self._api(f"/repos/{repo.full_name}/issues/events/{event.id}"),
            "actor": self.user_json(event.actor),
            "event": event.event,
            "commit_id": None,
            "commit_url": None,
            "created_at": iso(event.created_at),
            "performed_via_github_app": None,
        }
        if event.label is not None:
            out["label"] = {"name": event.label[0], "color": event.label[1]}
        if event.assignee is not None:
            out["assignee"] = self.user_json(event.assignee)
            out["assigner"] = self.user_json(event.actor)
        if event.event == "closed":
            out["state_reason"] = event.state_reason
        if event.rename is not None:
            out["rename"] = {"from": event.rename[0], "to": event.rename[1]}
        if event.event == "locked":
            out["lock_reason"] = event.lock_reason  # "Locked Issue Event" requires it
        return out

    # ------------------------------------------------------- state accessors

    def _issue(self, repo: Repo, number: int) -> Issue:
        try:
            return repo.issues[int(number)]
        except (KeyError, ValueError):
            raise not_found() from None

    def issue(self, repo: str, number: int) -> dict[str, Any]:
        """REST JSON of one issue (or pull request)."""
        with self.lock:
            r = self.repo(repo)
            return self.issue_json(r, self._issue(r, number))

    def issues(self, repo: str) -> list[dict[str, Any]]:
        """REST JSON of every issue and pull request, by number."""
        with self.lock:
            r = self.repo(repo)
            return [self.issue_json(r, r.issues[n]) for n in sorted(r.issues)]

    def sub_issues(self, repo: str, number: int) -> list[dict[str, Any]]:
        """REST JSON of an issue's sub-issues, in order."""
        with self.lock:
            r = self.repo(repo)
            return [
                self.issue_json(cr, c) for cr, c in self.sub_issues_of(r, self._issue(r, number))
            ]

    def comments(self, repo: str, number: int) -> list[dict[str, Any]]:
        """REST JSON of an issue's comments, oldest first."""
        with self.lock:
            return [self.comment_json(c) for c in self._comments_of(self.repo(repo), number)]

    def comment_by_id(self, comment_id: int) -> dict[str, Any]:
        """REST JSON of one comment."""
        with self.lock:
            return self.comment_json(self._comment(comment_id))

    def reactions(self, comment_id: int) -> list[dict[str, Any]]:
        """REST JSON of a comment's reactions, oldest first."""
        with self.lock:
            return [self.reaction_json(r) for r in self._comment(comment_id).reactions]

    def labels(self, repo: str) -> list[dict[str, Any]]:
        """REST JSON of the repository's labels."""
        with self.lock:
            r = self.repo(repo)
            return [self.label_json(r, label) for label in r.labels.values()]

    def issue_events(self, repo: str, number: int) -> list[dict[str, Any]]:
        """REST JSON of an issue's events (labeled, closed, ...), oldest first."""
        with self.lock:
            r = self.repo(repo)
            issue = self._issue(r, number)
            return [self.event_json(r, issue, e) for e in issue.events]

    def file(self, repo: str, path: str) -> str | None:
        """Text of a repository file, or None."""
        with self.lock:
            data = self.repo(repo).files.get(path.strip("/"))
            return None if data is None else data.decode("utf-8")

    def _comments_of(self, repo: Repo, number: int) -> list[Comment]:
        return [self.comments_by_id[i] for i in self._issue(repo, number).comment_ids]

    def _comment(self, comment_id: int, repo: Repo | None = None) -> Comment:
        comment = self.comments_by_id.get(int(comment_id))
        if comment is None or (repo is not None and comment.repo != repo.full_name):
            raise not_found()
        return comment

    # ----------------------------------------------------------- operations
    # Each operation runs under the lock, checks permissions like GitHub does, changes
    # state and queues webhook events when the actor is a person (not the bot).

    def _emits(self, actor: str) -> bool:
        return actor.lower() != BOT_LOGIN.lower()

    def _emit_issues(self, repo: Repo, issue: Issue, action: str, actor: str, **extra: Any) -> None:
        if not self._emits(actor):
            return
        owner = self.user(repo.owner)
        org = self.organization_json(owner.login) if owner.type == "Organization" else None
        payload = issues_payload(
            action,
            self.issue_json(repo, issue),
            self.repo_json(repo),
            self.user_json(actor),
            org,
            **extra,
        )
        self.events.put("issues", payload)

    def _emit_comment(
        self,
        repo: Repo,
        comment: Comment,
        action: str,
        actor: str,
        changes: dict[str, Any] | None = None,
    ) -> None:
        if not self._emits(actor):
            return
        owner = self.user(repo.owner)
        org = self.organization_json(owner.login) if owner.type == "Organization" else None
        payload = issue_comment_payload(
            action,
            self.issue_json(repo, repo.issues[comment.issue_number]),
            self.comment_json(comment),
            self.repo_json(repo),
            self.user_json(actor),
            org,
            changes,
        )
        self.events.put("issue_comment", payload)

    def _record(self, issue: Issue, event: str, actor: str, **extra: Any) -> None:
        issue.events.append(IssueEvent(next(self._event_ids), event, actor, self.now(), **extra))

    def _require(self, repo: Repo, actor: str, needed: str, what: str) -> None:
        if not self.can_see(repo, actor):
            raise not_found()
        if not self.has_role(repo, actor, needed):
            raise SandboxGitHubError(403, f"Must have {needed} access to the repository to {what}.")

    def _check_text(self, resource: str, name: str, value: str | None) -> None:
        if value is not None and len(value) > MAX_BODY:
            raise SandboxGitHubError(
                422,
                "Validation Failed",
                [
                    {
                        "resource": resource,
                        "code": "custom",
                        "field": name,
                        "message": f"{name} is too long (maximum is {MAX_BODY} characters)",
                    }
                ],
            )

    def _create_label(self, repo: Repo, name: str, color: str, description: str | None) -> Label:
        if not name or not name.strip():
            raise validation_failed("Label", "missing_field", "name")
        if repo.label_named(name) is not None:
            raise validation_failed("Label", "already_exists", "name")
        color = color.lstrip("#").lower()
        if len(color) != 6 or any(ch not in "0123456789abcdef" for ch in color):
            raise validation_failed("Label", "invalid", "color")
        label = Label(next(self._label_ids), name, color, description)
        repo.labels[label.id] = label
        return label

    def _label_for(self, repo: Repo, name: str, create: bool) -> Label:
        label = repo.label_named(name)
        if label is None:
            if not create:
                raise LookupError(
                    f"label {name!r} does not exist in {repo.full_name}; a person can only "
                    "pick existing labels in the UI (create it with create_label first)"
                )
            label = self._create_label(repo, name, DEFAULT_LABEL_COLOR, None)
        return label

    def op_create_issue(
        self,
        repo: Repo,
        actor: str,
        title: str,
        body: str | None,
        labels: Iterable[str] = (),
        assignees: Iterable[str] = (),
        *,
        pull_request: bool = False,
        labels_from_form: bool = False,
        create_labels: bool = True,
    ) -> Issue:
        """Open an issue (or pull request) as ``actor``."""
        self._require(repo, actor, "read", "open issues")
        if not str(title).strip():
            raise validation_failed("Issue", "missing_field", "title")
        self._check_text("Issue", "body", body)
        triage = self.has_role(repo, actor, "triage")
        # Without triage access assignees are dropped silently; with it, one login that
        # cannot be assigned fails the request (422) before anything is created.
        chosen = self._assignees_or_422(repo, assignees, creating=True) if triage else []
        added: list[Label] = []
        if triage or labels_from_form:  # issue forms apply their labels for anyone
            if not create_labels:  # fail before changing anything
                for name in labels:
                    self._label_for(repo, name, False)
            for name in labels:
                label = self._label_for(repo, name, create_labels)
                if label not in added:
                    added.append(label)
        now = self.now()
        issue = Issue(next(self._issue_ids), repo.next_number, str(title), body, actor, now, now)
        issue.is_pull_request = pull_request
        issue.labels = [label.id for label in added]
        repo.next_number += 1
        issue.assignees = chosen
        repo.issues[issue.number] = issue
        for label in added:
            self._record(issue, "labeled", actor, label=(label.name, label.color))
        for login in chosen:
            self._record(issue, "assigned", actor, assignee=login)
        self._emit_issues(repo, issue, "opened", actor)
        for label in added:
            self._emit_issues(repo, issue, "labeled", actor, label=self.label_json(repo, label))
        for login in chosen:
            self._emit_issues(repo, issue, "assigned", actor, assignee=self.user_json(login))
        return issue

    def op_update_issue(
        self,
        repo: Repo,
        issue: Issue,
        actor: str,
        changes: dict[str, Any],
    ) -> Issue:
        """Apply a PATCH-style change set as ``actor``, with GitHub's silent drops."""
        self._require(repo, actor, "read", "edit issues")
        is_author = actor.lower() == issue.user.lower()
        triage = self.has_role(repo, actor, "triage")
        touches_text = "title" in changes or "body" in changes
        touches_state = "state" in changes and changes["state"] != issue.state
        if (touches_text or touches_state) and not (is_author or triage):
            raise SandboxGitHubError(403, "You must be the issue author or have triage access.")
        if triage and changes.get("assignees") is not None:
            # Validated before anything changes: a 422 leaves the issue as it was.
            self._assignees_or_422(
                repo,
                [x["login"] if isinstance(x, dict) else str(x) for x in changes["assignees"]],
            )
        # GitHub's roles table ("Repository roles for an organization", docs.github.com/en/
        # organizations/managing-user-access-to-your-organizations-repositories/
        # managing-repository-roles/repository-roles-for-an-organization, "Permissions for
        # each role"; the same in "Access permissions on GitHub"): with read access a
        # person may "Close issues they opened themselves" and "Reopen issues they closed
        # themselves"; "Apply/dismiss labels" and "Close, reopen, and assign all issues and
        # pull requests" need triage. So an author cannot reopen what someone else closed.
        reopening = touches_state and changes["state"] == "open"
        closed_by_them = (issue.closed_by or "").lower() == actor.lower()
        if reopening and not triage and not closed_by_them:
            raise SandboxGitHubError(
                403, "You must have triage access to reopen an issue you did not close."
            )
        now = self.now()
        changed = False
        text_changes: dict[str, Any] = {}
        if "title" in changes and changes["title"] is not None:
            new_title = str(changes["title"])
            if not new_title.strip():
                raise validation_failed("Issue", "missing_field", "title")
            if new_title != issue.title:
                text_changes["title"] = {"from": issue.title}
                self._record(issue, "renamed", actor, rename=(issue.title, new_title))
                issue.title = new_title
        if "body" in changes and changes["body"] != issue.body:
            self._check_text("Issue", "body", changes["body"])
            text_changes["body"] = {"from": issue.body or ""}
            issue.body = changes["body"]
        if text_changes:
            changed = True
            issue.updated_at = now
            self._emit_issues(repo, issue, "edited", actor, changes=text_changes)
        if "labels" in changes and triage:
            names = [
                item["name"] if isinstance(item, dict) else str(item)
                for item in changes["labels"] or []
            ]
            changed |= self.op_set_labels(repo, issue, actor, names)
        assignee_list: list[str] | None = None
        if "assignees" in changes and changes["assignees"] is not None:
            assignee_list = [
                item["login"] if isinstance(item, dict) else str(item)
                for item in changes["assignees"]
            ]
        elif "assignee" in changes:
            assignee_list = [changes["assignee"]] if changes["assignee"] else []
        if assignee_list is not None and triage:
            changed |= self._set_assignees(repo, issue, actor, assignee_list)
        if touches_state:
            changed = True
            if changes["state"] == "closed":
                reason = changes.get("state_reason") or "completed"
                if reason == "reopened":
                    reason = "completed"
                self._close(repo, issue, actor, reason)
            else:
                self._reopen(repo, issue, actor)
        elif (
            issue.state == "closed"
            and changes.get("state_reason") in ("completed", "not_planned", "duplicate")
            and changes["state_reason"] != issue.state_reason
            and (is_author or triage)
        ):
            issue.state_reason = changes["state_reason"]
            changed = True
        if changed:
            issue.updated_at = now
        return issue

    def _close(self, repo: Repo, issue: Issue, actor: str, reason: str) -> None:
        now = self.now()
        issue.state = "closed"
        issue.state_reason = reason
        issue.closed_at = now
        issue.closed_by = self.user(actor).login
        issue.updated_at = now
        self._record(issue, "closed", actor, state_reason=reason)
        self._emit_issues(repo, issue, "closed", actor)

    def _reopen(self, repo: Repo, issue: Issue, actor: str) -> None:
        issue.state = "open"
        issue.state_reason = "reopened"
        issue.closed_at = None
        issue.closed_by = None
        issue.updated_at = self.now()
        self._record(issue, "reopened", actor)
        self._emit_issues(repo, issue, "reopened", actor)

    def op_add_labels(
        self, repo: Repo, issue: Issue, actor: str, names: Iterable[str], create: bool = True
    ) -> bool:
        """Add labels to an issue; True if anything changed."""
        self._require(repo, actor, "triage", "add labels")
        added: list[Label] = []
        for label in [self._label_for(repo, name, create) for name in names]:
            if label.id not in issue.labels:
                issue.labels.append(label.id)
                added.append(label)
        if added:
            issue.updated_at = self.now()
        for label in added:
            self._record(issue, "labeled", actor, label=(label.name, label.color))
            self._emit_issues(repo, issue, "labeled", actor, label=self.label_json(repo, label))
        return bool(added)

    def op_remove_label(self, repo: Repo, issue: Issue, actor: str, name: str) -> None:
        """Remove one label from an issue; 404 "Label does not exist" when absent."""
        self._require(repo, actor, "triage", "remove labels")
        label = repo.label_named(name)
        if label is None or label.id not in issue.labels:
            raise SandboxGitHubError(404, "Label does not exist")
        issue.labels.remove(label.id)
        issue.updated_at = self.now()
        self._record(issue, "unlabeled", actor, label=(label.name, label.color))
        self._emit_issues(repo, issue, "unlabeled", actor, label=self.label_json(repo, label))

    def op_set_labels(self, repo: Repo, issue: Issue, actor: str, names: Iterable[str]) -> bool:
        """Replace an issue's labels; True if anything changed."""
        self._require(repo, actor, "triage", "set labels")
        wanted: list[Label] = []
        for name in names:
            label = self._label_for(repo, name, True)
            if label not in wanted:
                wanted.append(label)
        wanted_ids = [label.id for label in wanted]
        removed = [repo.labels[i] for i in issue.labels if i not in wanted_ids]
        added = [label for label in wanted if label.id not in issue.labels]
        issue.labels = [i for i in issue.labels if i in wanted_ids] + [a.id for a in added]
        if removed or added:
            issue.updated_at = self.now()
        for label in removed:
            self._record(issue, "unlabeled", actor, label=(label.name, label.color))
            self._emit_issues(repo, issue, "unlabeled", actor, label=self.label_json(repo, label))
        for label in added:
            self._record(issue, "labeled", actor, label=(label.name, label.color))
            self._emit_issues(repo, issue, "labeled", actor, label=self.label_json(repo, label))
        return bool(removed or added)

    def _assignees_or_422(
        self, repo: Repo, logins: Iterable[str], *, creating: bool = False
    ) -> list[str]:
        """The canonical logins, or GitHub's 422 for the first one that cannot be assigned.

        POST /issues and PATCH /issues/{n} refuse the whole request when a login cannot be
        assigned (also with GITHUB_TOKEN): 422 Validation Failed with ``errors`` [{"value":
        login, "resource": "Issue", "field": "assignees", "code": "invalid"}], as reported
        for api.github.com in kubernetes/test-infra#1624 and trstringer/manual-approval#127
        (a deactivated user), and the schema's ``validation-error`` in tests/reference/.

        The two answer ``value`` differently: PATCH with the login (a string), POST
        /repos/{o}/{r}/issues (`creating`) with an array of logins, as real captures show:
        {"resource": "Issue", "code": "invalid", "field": "assignees", "value": ["nobody"]}.
        The ``validation-error`` schema (GitHub's REST docs, and tests/reference/) allows
        both: ``value`` is string | null | integer | array of strings.
        """
        chosen: list[str] = []
        for login in logins:
            if not self.assignable(repo, login):
                value: str | list[str] = [login] if creating else login
                raise validation_failed("Issue", "invalid", "assignees", value=value)
            canonical = self.user(login).login
            if canonical not in chosen and len(chosen) < MAX_ASSIGNEES:
                chosen.append(canonical)
        return chosen

    def _set_assignees(
        self, repo: Repo, issue: Issue, actor: str, logins: list[str], *, strict: bool = True
    ) -> bool:
        if strict:
            wanted = self._assignees_or_422(repo, logins)
        else:
            # POST .../assignees ignores logins that cannot be assigned (GitHub's docs:
            # "Adds up to 10 assignees ... Users already assigned ... are not replaced";
            # the response is the issue without them).
            wanted = self._assignees_or_422(repo, [x for x in logins if self.assignable(repo, x)])
        removed = [a for a in issue.assignees if a not in wanted]
        added = [a for a in wanted if a not in issue.assignees]
        issue.assignees = [a for a in issue.assignees if a in wanted] + added
        for login in removed:
            self._record(issue, "unassigned", actor, assignee=login)
            self._emit_issues(repo, issue, "unassigned", actor, assignee=self.user_json(login))
        for login in added:
            self._record(issue, "assigned", actor, assignee=login)
            self._emit_issues(repo, issue, "assigned", actor, assignee=self.user_json(login))
        if removed or added:
            issue.updated_at = self.now()
        return bool(removed or added)

    def op_add_assignees(self, repo: Repo, issue: Issue, actor: str, logins: list[str]) -> None:
        """Add assignees; people without push access are silently dropped."""
        if not self.has_role(repo, actor, "triage"):
            return
        self._set_assignees(repo, issue, actor, issue.assignees + logins, strict=False)

    def op_remove_assignees(self, repo: Repo, issue: Issue, actor: str, logins: list[str]) -> None:
        """Remove assignees (unknown ones are ignored)."""
        if not self.has_role(repo, actor, "triage"):
            return
        drop = {login.lower() for login in logins}
        self._set_assignees(
            repo, issue, actor, [a for a in issue.assignees if a.lower() not in drop]
        )

    # Sub-issues (docs.github.com/en/rest/issues/sub-issues). The child is named by its
    # `id`, not its number: a number is (almost always) nobody's id, so GitHub answers 404.
    # An issue has at most one parent ("Sub issue may only have one parent", a 422 that
    # cli/cli#13413 works around with `replace_parent`), a parent at most 100 children.

    def _issue_by_id(self, issue_id: Any) -> tuple[Repo, Issue]:
        for repo in self.repos.values():
            for issue in repo.issues.values():
                if issue.id == issue_id:
                    return repo, issue
        raise not_found()

    def _sub_issue_invalid(self, message: str) -> SandboxGitHubError:
        return SandboxGitHubError(
            422,
            "Validation Failed",
            [{"resource": "Issue", "code": "custom", "field": "sub_issue_id", "message": message}],
        )

    def op_add_sub_issue(
        self, repo: Repo, parent: Issue, actor: str, sub_issue_id: Any, replace: bool = False
    ) -> Issue:
        """Attach the issue whose `id` is `sub_issue_id` under `parent` (triage access)."""
        self._require(repo, actor, "triage", "add sub-issues")
        if isinstance(sub_issue_id, bool) or not isinstance(sub_issue_id, int):
            raise self._sub_issue_invalid("sub_issue_id must be an integer")
        child_repo, child = self._issue_by_id(sub_issue_id)
        if not self.can_see(child_repo, actor):
            raise not_found()
        if child_repo.owner.lower() != repo.owner.lower():
            raise self._sub_issue_invalid(
                "The sub-issue must belong to the same repository owner as the parent issue"
            )
        if child.is_pull_request or parent.is_pull_request:
            raise self._sub_issue_invalid("Pull requests cannot be sub-issues")
        if child is parent:
            raise self._sub_issue_invalid("An issue cannot be a sub-issue of itself")
        ref = (child_repo.full_name, child.number)
        if child.parent is not None and not replace:
            raise self._sub_issue_invalid("Sub issue may only have one parent")
        if len(parent.sub_issues) >= MAX_SUB_ISSUES:
            raise self._sub_issue_invalid(
                f"Parent issue cannot have more than {MAX_SUB_ISSUES} sub-issues"
            )
        if child.parent is not None:
            old = self._child(child.parent)
            old.sub_issues = [r for r in old.sub_issues if r != ref]
        parent.sub_issues.append(ref)
        child.parent = (repo.full_name, parent.number)
        parent.updated_at = child.updated_at = self.now()
        return parent

    def op_remove_sub_issue(
        self, repo: Repo, parent: Issue, actor: str, sub_issue_id: Any
    ) -> Issue:
        """Detach a sub-issue; 404 when it is not a sub-issue of `parent`."""
        self._require(repo, actor, "triage", "remove sub-issues")
        child_repo, child = self._issue_by_id(sub_issue_id)
        ref = (child_repo.full_name, child.number)
        if ref not in parent.sub_issues:
            raise not_found()
        parent.sub_issues.remove(ref)
        child.parent = None
        parent.updated_at = child.updated_at = self.now()
        return parent

    def sub_issues_of(self, repo: Repo, parent: Issue) -> list[tuple[Repo, Issue]]:
        """The parent's sub-issues (with their repositories), in order."""
        return [(self.repo(ref[0]), self._child(ref)) for ref in parent.sub_issues]

    def op_comment(self, repo: Repo, issue: Issue, actor: str, body: str) -> Comment:
        """Post a comment as ``actor``."""
        self._require(repo, actor, "read", "comment")
        self._refuse_if_locked(repo, issue, actor)
        if not body or not body.strip():
            raise validation_failed("IssueComment", "missing_field", "body")
        self._check_text("IssueComment", "body", body)
        now = self.now()
        comment = Comment(
            next(self._comment_ids),
            repo.full_name,
            issue.number,
            self.user(actor).login,
            body,
            now,
            now,
        )
        self.comments_by_id[comment.id] = comment
        issue.comment_ids.append(comment.id)
        issue.updated_at = now
        self._emit_comment(repo, comment, "created", actor)
        return comment

    def op_edit_comment(self, repo: Repo, comment: Comment, actor: str, body: str) -> Comment:
        """Edit a comment (its author, or someone with write access)."""
        if actor.lower() != comment.user.lower():
            self._require(repo, actor, "write", "edit other people's comments")
        if not body or not body.strip():
            raise validation_failed("IssueComment", "missing_field", "body")
        self._check_text("IssueComment", "body", body)
        previous = comment.body
        if previous != body and not comment.edits:
            # The first edit shows the original as the first revision.
            comment.edits.append((comment.user, comment.created_at, previous))
        comment.body = body
        comment.updated_at = self.now()
        if previous != body:
            comment.edits.append((self._actor(actor), comment.updated_at, body))
        if previous != body:
            self._emit_comment(repo, comment, "edited", actor, {"body": {"from": previous}})
        return comment

    def op_delete_comment(self, repo: Repo, comment: Comment, actor: str) -> None:
        """Delete a comment (its author, or someone with write access)."""
        if actor.lower() != comment.user.lower():
            self._require(repo, actor, "write", "delete other people's comments")
        del self.comments_by_id[comment.id]
        repo.issues[comment.issue_number].comment_ids.remove(comment.id)
        self._emit_comment(repo, comment, "deleted", actor)

    def op_react(
        self, repo: Repo, comment: Comment, actor: str, content: str
    ) -> tuple[bool, Reaction]:
        """React to a comment; (created, reaction). Repeating a reaction returns the old one."""
        self._require(repo, actor, "read", "react")
        if content not in REACTIONS:
            raise validation_failed("Reaction", "invalid", "content")
        for reaction in comment.reactions:
            if reaction.user.lower() == actor.lower() and reaction.content == content:
                return False, reaction
        reaction = Reaction(next(self._reaction_ids), self.user(actor).login, content, self.now())
        comment.reactions.append(reaction)
        return True, reaction

    # Locking a conversation and hiding comments (issue #23): the REST lock endpoints and
    # GraphQL minimizeComment/unminimizeComment (incident_sandbox/github_moderation.py).

    def _refuse_if_locked(self, repo: Repo, issue: Issue, actor: str) -> None:
        """GitHub's answer to a new comment on a locked conversation from someone without
        write access: 403 "Unable to create comment because issue is locked." (its JSON as
        reported in probot/stale#25 and renovatebot/renovate#6215). "Only people with write
        access ... can add, hide, and delete comments" (docs.github.com, "Locking
        conversations"); apps and the workflow token are refused too, whatever their
        permissions (hashicorp/terraform-github-actions#100 for GITHUB_TOKEN,
        open-telemetry/opentelemetry-dotnet#6554 for an app, 2025)."""
        if not issue.locked:
            return
        bot = self.user(actor).type == "Bot" or actor.lower() == BOT_LOGIN.lower()
        if bot or not self.has_role(repo, actor, "write"):
            raise SandboxGitHubError(
                403,
                "Unable to create comment because issue is locked.",
                documentation_url="https://help.github.com/articles/locking-conversations/",
            )

    def op_lock(self, repo: Repo, issue: Issue, actor: str, reason: str | None) -> None:
        """Lock the conversation ("Users with push access can lock an issue or pull
        request's conversation": the operation's description); `reason` one of the body's
        enum (the route's validation answers 422 for another), or None."""
        self._require(repo, actor, "write", "lock an issue")
        was = (issue.locked, issue.active_lock_reason)
        issue.locked, issue.active_lock_reason = True, reason
        issue.updated_at = self.now()
        if was[0] is False:
            self._record(issue, "locked", actor, lock_reason=reason)
            self._emit_issues(repo, issue, "locked", actor)

    def op_unlock(self, repo: Repo, issue: Issue, actor: str) -> None:
        """Unlock the conversation; 404 when it is not locked (the operation documents 204,
        403 and 404 only: there is nothing to unlock)."""
        self._require(repo, actor, "write", "unlock an issue")
        if not issue.locked:
            raise not_found()
        issue.locked, issue.active_lock_reason = False, None
        issue.updated_at = self.now()
        self._record(issue, "unlocked", actor)
        self._emit_issues(repo, issue, "unlocked", actor)

    def may_minimize(self, repo: Repo, actor: str | None) -> bool:
        """ "Anyone with write access to a repository can hide comments on issues, pull
        requests, and commits" (docs.github.com, "Managing disruptive comments")."""
        return self.has_role(repo, actor, "write")

    def op_minimize(self, comment: Comment, reason: str | None) -> None:
        """Hide a comment (`reason`: minimizedReason's word), or show it again (None)."""
        comment.minimized_reason = reason

    def lock_issue(
        self, repo: str, number: int, login: str, reason: str | None = None
    ) -> dict[str, Any]:
        """A person locks a conversation (``issues.locked``)."""
        with self.lock:
            r = self.repo(repo)
            issue = self._issue(r, number)
            self.op_lock(r, issue, self._actor(login), reason)
            return self.issue_json(r, issue)

    def unlock_issue(self, repo: str, number: int, login: str) -> dict[str, Any]:
        """A person unlocks a conversation (``issues.unlocked``)."""
        with self.lock:
            r = self.repo(repo)
            issue = self._issue(r, number)
            self.op_unlock(r, issue, self._actor(login))
            return self.issue_json(r, issue)

    # ------------------------------------------------- person-level helpers

    def _actor(self, login: str) -> str:
        return self.user(login).login

    def open_issue(
        self,
        repo: str,
        login: str,
        title: str,
        body: str | None = None,
        labels: Iterable[str] = (),
        assignees: Iterable[str] = (),
    ) -> dict[str, Any]:
        """A person opens an issue (e.g. through the issue form, which applies its labels).

        Queues ``issues.opened`` and then ``issues.labeled`` per label (and
        ``issues.assigned`` per assignee). Raises LookupError for a label the repository
        does not have: a form cannot create labels.
        """
        with self.lock:
            r = self.repo(repo)
            issue = self.op_create_issue(
                r,
                self._actor(login),
                title,
                body,
                list(labels),
                list(assignees),
                labels_from_form=True,
                create_labels=False,
            )
            return self.issue_json(r, issue)

    def open_pull_request(
        self, repo: str, login: str, title: str, body: str | None = None
    ) -> dict[str, Any]:
        """A person opens a pull request (no webhook: pull_request events are out of scope)."""
        with self.lock:
            r = self.repo(repo)
            actor = self._actor(login)
            self._require(r, actor, "read", "open pull requests")
            now = self.now()
            issue = Issue(next(self._issue_ids), r.next_number, title, body, actor, now, now)
            issue.is_pull_request = True
            r.next_number += 1
            r.issues[issue.number] = issue
            return self.issue_json(r, issue)

    # ----------------------------------------------------------- what changed (#24)

    def merge_pull_request(
        self,
        repo: str,
        login: str,
        title: str,
        *,
        body: str | None = None,
        base: str = "main",
        head: str = "feature",
        merged_by: str | None = None,
        at: datetime | None = None,
        files: Iterable[str] = (),
    ) -> dict[str, Any]:
        """A person's pull request, merged into `base` at `at` (default now) by
        `merged_by` (default its author): its merge commit is kept for GET /commits/{ref}."""
        with self.lock:
            number = self.open_pull_request(repo, login, title, body)["number"]
            r = self.repo(repo)
            issue = r.issues[number]
            when = (at or self.now()).astimezone(timezone.utc).replace(microsecond=0)
            merger = self._actor(merged_by or login)
            sha = hashlib.sha1(f"{r.full_name}#{number}".encode()).hexdigest()
            issue.state, issue.closed_at, issue.closed_by = "closed", when, merger
            issue.created_at = min(issue.created_at, when)
            issue.updated_at = when
            r.pulls[number] = {
                "base": base,
                "head": head,
                "merged_at": when,
                "merged_by": merger,
                "merge_commit_sha": sha,
                "files": list(files),
            }
            r.commits[sha] = {
                "sha": sha,
                "message": f"{title} (#{number})",
                "author": issue.user,
                "at": when,
                "pull": number,
            }
            return {"number": number, "merge_commit_sha": sha, "merged_at": iso(when)}

    def add_deployment(
        self,
        repo: str,
        login: str,
        *,
        environment: str = "production",
        ref: str = "main",
        sha: str | None = None,
        state: str = "success",
        description: str | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """A deployment `login` created at `at` (default now), with one status `state`."""
        with self.lock:
            r = self.repo(repo)
            when = (at or self.now()).astimezone(timezone.utc).replace(microsecond=0)
            number = len(r.deployments) + 1
            deployment_id = r.id * 1000 + number
            deployment: dict[str, Any] = {
                "id": deployment_id,
                "sha": sha or hashlib.sha1(f"{r.full_name}@{ref}{number}".encode()).hexdigest(),
                "ref": ref,
                "environment": environment,
                "creator": self._actor(login),
                "description": description,
                "at": when,
                "statuses": [],
            }
            r.deployments.append(deployment)
            self.add_deployment_status(repo, deployment_id, login, state, at=when)
            return {"id": deployment_id, "sha": deployment["sha"]}

    def add_deployment_status(
        self, repo: str, deployment_id: int, login: str, state: str, at: datetime | None = None
    ) -> None:
        """A new status of a deployment (the newest is its state)."""
        with self.lock:
            r = self.repo(repo)
            deployment = next(d for d in r.deployments if d["id"] == deployment_id)
            when = (at or self.now()).astimezone(timezone.utc).replace(microsecond=0)
            number = len(deployment["statuses"]) + 1
            deployment["statuses"].append(
                {"id": deployment_id * 100 + number, "state": state, "creator": login, "at": when}
            )

    def add_release(
        self,
        repo: str,
        login: str,
        tag: str,
        *,
        name: str | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """A published release of `tag`."""
        with self.lock:
            r = self.repo(repo)
            when = (at or self.now()).astimezone(timezone.utc).replace(microsecond=0)
            release = {
                "id": r.id * 1000 + len(r.releases) + 1,
                "tag_name": tag,
                "name": name,
                "author": self._actor(login),
                "at": when,
            }
            r.releases.append(release)
            return {"id": release["id"]}

    def add_workflow_run(
        self,
        repo: str,
        path: str,
        *,
        conclusion: str | None = "failure",
        head_branch: str = "main",
        event: str = "push",
        title: str | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """A completed run of a workflow file (`conclusion` None: still in progress)."""
        with self.lock:
            r = self.repo(repo)
            when = (at or self.now()).astimezone(timezone.utc).replace(microsecond=0)
            run = {
                "id": 1000 + len(r.runs),
                "path": path,
                "status": "completed" if conclusion else "in_progress",
                "conclusion": conclusion,
                "event": event,
                "head_branch": head_branch,
                "created_at": iso(when),
            }
            if title is not None:
                run["display_title"] = title
            r.runs.append(run)
            return {"id": run["id"]}

    def open_pull_request_comment(
        self, repo: str, login: str, body: str, *, number: int | None = None
    ) -> dict[str, Any]:
        """A person comments on a pull request's conversation (opening one if no number).

        Queues ``issue_comment.created`` whose ``issue`` carries a ``pull_request`` key.
        """
        with self.lock:
            if number is None:
                number = self.open_pull_request(repo, login, "Sandbox pull request")["number"]
            r = self.repo(repo)
            issue = self._issue(r, number)
            if not issue.is_pull_request:
                raise ValueError(f"#{number} is an issue, not a pull request")
            return self.comment_json(self.op_comment(r, issue, self._actor(login), body))

    def comment(self, repo: str, number: int, login: str, body: str) -> dict[str, Any]:
        """A person comments on an issue (``issue_comment.created``)."""
        with self.lock:
            r = self.repo(repo)
            comment = self.op_comment(r, self._issue(r, number), self._actor(login), body)
            return self.comment_json(comment)

    def edit_comment(self, repo: str, comment_id: int, login: str, body: str) -> dict[str, Any]:
        """A person edits a comment (``issue_comment.edited`` with ``changes.body.from``)."""
        with self.lock:
            r = self.repo(repo)
            comment = self.op_edit_comment(
                r, self._comment(comment_id, r), self._actor(login), body
            )
            return self.comment_json(comment)

    def delete_comment(self, repo: str, comment_id: int, login: str) -> None:
        """A person deletes a comment (``issue_comment.deleted``)."""
        with self.lock:
            r = self.repo(repo)
            self.op_delete_comment(r, self._comment(comment_id, r), self._actor(login))

    def react(self, repo: str, comment_id: int, login: str, content: str) -> dict[str, Any]:
        """A person reacts to a comment (no webhook)."""
        with self.lock:
            r = self.repo(repo)
            _, reaction = self.op_react(
                r, self._comment(comment_id, r), self._actor(login), content
            )
            return self.reaction_json(reaction)

    def add_label(self, repo: str, number: int, login: str, name: str) -> dict[str, Any]:
        """A person adds an existing label (``issues.labeled``); LookupError if it doesn't exist."""
        with self.lock:
            r = self.repo(repo)
            issue = self._issue(r, number)
            self.op_add_labels(r, issue, self._actor(login), [name], create=False)
            return self.issue_json(r, issue)

    def remove_label(self, repo: str, number: int, login: str, name: str) -> dict[str, Any]:
        """A person removes a label (``issues.unlabeled``)."""
        with self.lock:
            r = self.repo(repo)
            issue = self._issue(r, number)
            self.op_remove_label(r, issue, self._actor(login), name)
            return self.issue_json(r, issue)

    def assign(self, repo: str, number: int, login: str, *assignees: str) -> dict[str, Any]:
        """A person adds assignees (``issues.assigned`` each)."""
        with self.lock:
            r = self.repo(repo)
            issue = self._issue(r, number)
            self.op_add_assignees(r, issue, self._actor(login), list(assignees))
            return self.issue_json(r, issue)

    def edit_issue(
        self,
        repo: str,
        number: int,
        login: str,
        *,
        title: str | None = None,
        body: str | None = None,
    ) -> dict[str, Any]:
        """A person edits an issue's title and/or body (``issues.edited``)."""
        changes: dict[str, Any] = {}
        if title is not None:
            changes["title"] = title
        if body is not None:
            changes["body"] = body
        with self.lock:
            r = self.repo(repo)
            issue = self.op_update_issue(r, self._issue(r, number), self._actor(login), changes)
            return self.issue_json(r, issue)

    def close_issue(
        self, repo: str, number: int, login: str, reason: str = "completed"
    ) -> dict[str, Any]:
        """A person closes an issue as ``completed`` or ``not_planned`` (``issues.closed``)."""
        if reason not in ("completed", "not_planned", "duplicate"):
            raise ValueError(f"reason must be completed or not_planned, not {reason!r}")
        with self.lock:
            r = self.repo(repo)
            issue = self._issue(r, number)
            if issue.state == "closed":
                raise ValueError(f"#{number} is already closed")
            self.op_update_issue(
                r, issue, self._actor(login), {"state": "closed", "state_reason": reason}
            )
            return self.issue_json(r, issue)

    def reopen_issue(self, repo: str, number: int, login: str) -> dict[str, Any]:
        """A person reopens an issue (``issues.reopened``)."""
        with self.lock:
            r = self.repo(repo)
            issue = self._issue(r, number)
            if issue.state == "open":
                raise ValueError(f"#{number} is already open")
            self.op_update_issue(r, issue, self._actor(login), {"state": "open"})
            return self.issue_json(r, issue)
