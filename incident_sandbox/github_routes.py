"""HTTP face of the sandboxed GitHub: the REST endpoints the tool may call, and GraphQL.

Every request is first matched against the documented endpoints
(:mod:`incident_sandbox.openapi`); anything undocumented is a violation answered 501.
Documented requests are then answered from :class:`~incident_sandbox.github.GitHub`
state in GitHub's shapes: errors, pagination ``Link`` headers, rate-limit headers.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from incident_sandbox.apps import AppError
from incident_sandbox.github import (
    DOCS,
    LEGACY_PERMISSION,
    REACTIONS,
    GitHub,
    Issue,
    Repo,
    SandboxGitHubError,
    git_blob_sha,
    iso,
    not_found,
    parse_time,
)
from incident_sandbox.openapi import GithubEndpoints, InvalidValue, Match, Undocumented
from incident_sandbox.webhooks import repository_dispatch_payload, workflow_dispatch_payload
from incident_sandbox.wire import Request, Response

Handler = Callable[["GithubService", "Call"], Response]
HANDLERS: dict[tuple[str, str], Handler] = {}

# Documented endpoints the sandbox deliberately does not serve: calling one is reported as
# a violation too, so a test notices the tool needs more of the sandbox.
NOT_SERVED = {
    ("PATCH", "/repos/{owner}/{repo}"),
    ("DELETE", "/repos/{owner}/{repo}"),
    ("PATCH", "/user"),
    # Documented in the refreshed reference; served once a feature needs them.
    ("GET", "/repos/{owner}/{repo}/actions/workflows"),
    ("GET", "/repos/{owner}/{repo}/commits"),
    ("GET", "/repos/{owner}/{repo}/commits/{commit_sha}/pulls"),
    ("GET", "/repos/{owner}/{repo}/compare/{basehead}"),
    ("POST", "/repos/{owner}/{repo}/deployments"),
    ("POST", "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses"),
    ("POST", "/repos/{owner}/{repo}/pulls"),
    ("PATCH", "/repos/{owner}/{repo}/pulls/{pull_number}"),
    ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/files"),
    ("POST", "/repos/{owner}/{repo}/releases"),
}


# GraphQL operations answered beside the queries below, each by a module that registers
# its answerer (github_changes: revertPullRequest, deployments; github_moderation:
# minimizeComment; github_edits: userContentEdits); an answerer returns None for an
# operation not its own.
GRAPHQL_ANSWERS: list[Callable[[GithubService, Call, str], Response | None]] = []


def route(method: str, template: str) -> Callable[[Handler], Handler]:
    """Register a handler for a documented (method, path template)."""

    def register(fn: Handler) -> Handler:
        HANDLERS[(method, template)] = fn
        return fn

    return register


@dataclass
class Call:
    """A validated request: the matched operation, decoded body and acting user."""

    request: Request
    match: Match
    body: Any
    actor: str | None

    @property
    def params(self) -> dict[str, str]:
        """Decoded path parameters."""
        return self.match.params

    def arg(self, name: str, default: str | None = None) -> str | None:
        """A query parameter."""
        return self.request.arg(name, default)


def _error(err: SandboxGitHubError) -> Response:
    return Response(err.status, err.body())


class GithubService:
    """Validates and answers HTTP requests for one :class:`GitHub` state."""

    def __init__(
        self,
        github: GitHub,
        endpoints: GithubEndpoints,
        report_violation: Callable[[str], None],
    ) -> None:
        self.gh = github
        self.endpoints = endpoints
        self.report_violation = report_violation

    # -------------------------------------------------------------- plumbing

    def prepare(self, request: Request) -> Call | Response:
        """Validate a request; a Response means it is answered without executing."""
        try:
            body = json.loads(request.body) if request.body.strip() else None
        except (ValueError, UnicodeDecodeError):
            return Response(400, {"message": "Problems parsing JSON", "documentation_url": DOCS})
        try:
            match = self.endpoints.match(request.method, request.path)
            self.endpoints.check_query(match, request.query)
            self.endpoints.check_body(match, body)
        except Undocumented as exc:
            return self._undocumented(request, str(exc))
        except InvalidValue as exc:
            return Response(422, {"message": str(exc), "documentation_url": DOCS, "status": "422"})
        key = (request.method, match.operation.template)
        if key in NOT_SERVED or key not in HANDLERS:
            return self._undocumented(
                request,
                f"{request.method} {match.operation.template} is documented but not served "
                "by the sandbox",
            )
        if match.operation.template in APP_JWT_ENDPOINTS:
            return self._as_app(request, match, body)
        actor: str | None = None
        token = self._token(request)
        if token is not None:
            user = self.gh.user_for_token(token)
            if user is None:
                return Response(
                    401, {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"}
                )
            actor = user.login
        if not self.endpoints.check_path_params(match):
            return _error(not_found())
        if actor is None and (request.method != "GET" or match.operation.template == "/user"):
            return Response(
                401,
                {"message": "Requires authentication", "documentation_url": DOCS, "status": "401"},
            )
        return Call(request, match, body, actor)

    def _as_app(self, request: Request, match: Match, body: Any) -> Call | Response:
        """A request made as the App itself: its JWT, not a token, is the credential."""
        if not self.endpoints.check_path_params(match):
            return _error(not_found())
        try:
            app = self.gh.apps.app_for_jwt(self._token(request))
        except AppError as exc:
            return Response(
                exc.status,
                {"message": str(exc), "documentation_url": DOCS, "status": str(exc.status)},
            )
        return Call(request, match, body, app.bot_login)

    def _undocumented(self, request: Request, reason: str) -> Response:
        self.report_violation(f"github: {request.method} {request.path}: {reason}")
        return Response(
            501,
            {
                "message": f"Undocumented request refused by the sandbox: {reason}. "
                "The sandbox only serves requests described by GitHub's REST API description "
                "(incident_sandbox/github_endpoints.json).",
                "documentation_url": DOCS,
            },
        )

    @staticmethod
    def _token(request: Request) -> str | None:
        header = request.header("Authorization")
        if not header:
            return None
        scheme, _, value = header.strip().partition(" ")
        scheme = scheme.lower()
        if scheme in ("token", "bearer"):
            return value.strip()
        if scheme == "basic":
            try:
                decoded = base64.b64decode(value.strip()).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return ""
            return decoded.partition(":")[2]
        return ""

    def execute(self, call: Call) -> Response:
        """Run a validated request against the state."""
        template = call.match.operation.template
        handler = HANDLERS[(call.request.method, template)]
        with self.gh.lock:
            resource = "graphql" if template == "/graphql" else "core"
            window = self.gh.rate_window(call.actor, resource)
            if template == "/rate_limit":
                # GET /rate_limit does not count against the primary limit (GitHub
                # changelog 2023-10-18, "Rate limits for /rate_limit REST API endpoint").
                response = handler(self, call)
            elif window.remaining == 0:
                response = self._primary_limit(call)
            else:
                window.used += 1
                try:
                    response = handler(self, call)
                except SandboxGitHubError as exc:
                    response = _error(exc)
            response.headers.update(self.rate_headers(call.actor, resource))
        return response

    def _primary_limit(self, call: Call) -> Response:
        """Answer as GitHub does when a token's hour is used up: 403, remaining 0.

        "If you exceed your primary rate limit, you will receive a 403 or 429 response,
        and the x-ratelimit-remaining header will be 0. You should not retry your request
        until after the time specified by the x-ratelimit-reset header." (GitHub's "Rate
        limits for the REST API"); the message as PyGithub's Requester matches it
        ("API rate limit exceeded ...").
        """
        user = self.gh.users.get((call.actor or "").lower())
        if user is None:
            who = "127.0.0.1"
        elif user.type == "Bot":
            who = f"installation ID {user.id}"
        else:
            who = f"user ID {user.id}"
        return Response(
            403,
            {
                "message": f"API rate limit exceeded for {who}.",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
                "status": "403",
            },
        )

    def rate_headers(self, actor: str | None, resource: str = "core") -> dict[str, str]:
        """GitHub's x-ratelimit-* headers for a token (every response carries them)."""
        window = self.gh.rate_window(actor, resource)
        return {
            "X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Remaining": str(window.remaining),
            "X-RateLimit-Reset": str(window.reset),
            "X-RateLimit-Used": str(window.used),
            "X-RateLimit-Resource": resource,
        }

    # --------------------------------------------------------------- helpers

    def repo_for(self, call: Call) -> Repo:
        """The path's repository, 404 when absent or invisible to the actor."""
        full = f"{call.params['owner']}/{call.params['repo']}"
        repo = self.gh.repos.get(full.lower())
        if repo is None or not self.gh.can_see(repo, call.actor):
            raise not_found()
        return repo

    def issue_for(self, call: Call, repo: Repo) -> Issue:
        """The path's issue, 404 when absent."""
        issue = repo.issues.get(int(call.params["issue_number"]))
        if issue is None:
            raise not_found()
        return issue

    def page(self, call: Call, items: list[Any]) -> tuple[list[Any], dict[str, str]]:
        """Slice a list by ``per_page``/``page`` and build GitHub's ``Link`` header."""
        per_page = _int(call.arg("per_page"), 30)
        per_page = min(max(per_page, 1), 100)
        page = max(_int(call.arg("page"), 1), 1)
        last = max(1, math.ceil(len(items) / per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        links = []
        if page > 1:
            links.append((min(page - 1, last), "prev"))
        if page < last:
            links.append((page + 1, "next"))
            links.append((last, "last"))
        if page > 1:
            links.append((1, "first"))
        headers = {}
        if links:
            headers["Link"] = ", ".join(
                f'<{self._page_url(call, n)}>; rel="{rel}"' for n, rel in links
            )
        return chunk, headers

    def _page_url(self, call: Call, number: int) -> str:
        pairs = [(k, v) for k, values in call.request.query.items() if k != "page" for v in values]
        pairs.append(("page", str(number)))
        return f"{self.gh.base_url}{call.request.path}?{urllib.parse.urlencode(pairs)}"


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def _since(call: Call) -> Any:
    text = call.arg("since")
    if text is None:
        return None
    try:
        return parse_time(text)
    except ValueError:
        raise SandboxGitHubError(
            422, "Validation Failed", [{"resource": "Issue", "code": "invalid", "field": "since"}]
        ) from None


def _label_names(body: Any) -> list[str]:
    """Label names from any documented body form of the labels endpoints."""
    if body is None:
        return []
    if isinstance(body, str):
        return [body]
    items = body.get("labels", []) if isinstance(body, dict) else body
    names = []
    for item in items or []:
        if isinstance(item, dict):
            if "name" not in item:
                raise SandboxGitHubError(
                    422,
                    "Validation Failed",
                    [{"resource": "Label", "code": "missing_field", "field": "name"}],
                )
            names.append(str(item["name"]))
        else:
            names.append(str(item))
    return names


# ------------------------------------------------------------------ endpoints


@route("GET", "/rate_limit")
def rate_limit(svc: GithubService, call: Call) -> Response:
    """GET /rate_limit."""

    def window(resource: str) -> dict[str, int]:
        w = svc.gh.rate_window(call.actor, resource)
        return {"limit": w.limit, "used": w.used, "remaining": w.remaining, "reset": w.reset}

    core, graphql = window("core"), window("graphql")
    search = {"limit": 30, "used": 0, "remaining": 30, "reset": core["reset"]}
    return Response(
        200, {"resources": {"core": core, "search": search, "graphql": graphql}, "rate": core}
    )


@route("GET", "/repos/{owner}/{repo}")
def get_repo(svc: GithubService, call: Call) -> Response:
    """GET a repository."""
    return Response(200, svc.gh.repo_json(svc.repo_for(call), call.actor))


@route("GET", "/users/{username}")
def get_user(svc: GithubService, call: Call) -> Response:
    """GET /users/{username}: 404 for unknown accounts."""
    if call.params["username"].lower() not in svc.gh.users:
        raise not_found()
    return Response(200, svc.gh.full_user_json(call.params["username"]))


@route("GET", "/user")
def get_authenticated_user(svc: GithubService, call: Call) -> Response:
    """GET /user; like GITHUB_TOKEN, the bot's token may not read it."""
    assert call.actor is not None
    if svc.gh.user(call.actor).type == "Bot":
        raise SandboxGitHubError(403, "Resource not accessible by integration")
    return Response(200, svc.gh.full_user_json(call.actor))


@route("GET", "/repos/{owner}/{repo}/collaborators/{username}/permission")
def get_permission(svc: GithubService, call: Call) -> Response:
    """The person's legacy ``permission`` and ``role_name`` on the repository."""
    repo = svc.repo_for(call)
    login = call.params["username"]
    user = svc.gh.users.get(login.lower())
    if user is None or user.type == "Organization":
        raise not_found()
    role = svc.gh.role(repo, user.login)
    collaborator = svc.gh.user_json(user.login)
    rank = ["none", "read", "triage", "write", "maintain", "admin"].index(role)
    collaborator["permissions"] = {
        "admin": rank >= 5,
        "maintain": rank >= 4,
        "push": rank >= 3,
        "triage": rank >= 2,
        "pull": rank >= 1,
    }
    # `role_name` is the assigned role, custom ones included; `permission` the legacy base
    # role (maintain -> write, triage -> read): the endpoint's description in
    # tests/reference/github-rest-api-subset.json.
    role_name = repo.custom_roles.get(user.login.lower(), role)
    collaborator["role_name"] = role_name
    return Response(
        200, {"permission": LEGACY_PERMISSION[role], "role_name": role_name, "user": collaborator}
    )


@route("GET", "/repos/{owner}/{repo}/assignees/{assignee}")
def check_assignee(svc: GithubService, call: Call) -> Response:
    """204 when the person can be assigned issues, 404 otherwise."""
    repo = svc.repo_for(call)
    if not svc.gh.assignable(repo, call.params["assignee"]):
        raise not_found()
    return Response(204)


# issues


def _issue_filter(svc: GithubService, call: Call, repo: Repo) -> list[Issue]:
    state = call.arg("state", "open")
    if state not in ("open", "closed", "all"):
        raise SandboxGitHubError(
            422, "Validation Failed", [{"resource": "Issue", "code": "invalid", "field": "state"}]
        )
    issues = [i for i in repo.issues.values() if state == "all" or i.state == state]
    labels = call.arg("labels")
    if labels:
        wanted = {n.strip().lower() for n in labels.split(",") if n.strip()}
        issues = [i for i in issues if wanted <= {repo.labels[x].name.lower() for x in i.labels}]
    since = _since(call)
    if since is not None:
        issues = [i for i in issues if i.updated_at >= since]
    creator = call.arg("creator")
    if creator:
        issues = [i for i in issues if i.user.lower() == creator.lower()]
    assignee = call.arg("assignee")
    if assignee == "none":
        issues = [i for i in issues if not i.assignees]
    elif assignee == "*":
        issues = [i for i in issues if i.assignees]
    elif assignee:
        issues = [i for i in issues if assignee.lower() in (a.lower() for a in i.assignees)]
    sort = call.arg("sort", "created")
    keys: dict[str, Callable[[Issue], Any]] = {
        "created": lambda i: (i.created_at, i.number),
        "updated": lambda i: (i.updated_at, i.number),
        "comments": lambda i: (svc.gh.issue_json(repo, i)["comments"], i.number),
    }
    if sort not in keys:
        raise SandboxGitHubError(
            422, "Validation Failed", [{"resource": "Issue", "code": "invalid", "field": "sort"}]
        )
    return sorted(issues, key=keys[sort], reverse=call.arg("direction", "desc") != "asc")


@route("GET", "/repos/{owner}/{repo}/issues")
def list_issues(svc: GithubService, call: Call) -> Response:
    """List issues and pull requests with state/labels/since/creator/assignee filters."""
    repo = svc.repo_for(call)
    chunk, headers = svc.page(call, _issue_filter(svc, call, repo))
    return Response(200, [svc.gh.issue_json(repo, i) for i in chunk], headers)


@route("POST", "/repos/{owner}/{repo}/issues")
def create_issue(svc: GithubService, call: Call) -> Response:
    """Open an issue; labels/assignees are dropped without triage access, as on GitHub."""
    repo = svc.repo_for(call)
    body = call.body
    assignees = list(body.get("assignees") or [])
    if body.get("assignee"):
        assignees.insert(0, body["assignee"])
    issue = svc.gh.op_create_issue(
        repo,
        call.actor or "",
        body["title"],
        body.get("body"),
        [x["name"] if isinstance(x, dict) else str(x) for x in body.get("labels") or []],
        assignees,
    )
    data = svc.gh.issue_json(repo, issue)
    return Response(201, data, {"Location": data["url"]})


@route("GET", "/repos/{owner}/{repo}/issues/{issue_number}")
def get_issue(svc: GithubService, call: Call) -> Response:
    """GET one issue."""
    repo = svc.repo_for(call)
    return Response(200, svc.gh.issue_json(repo, svc.issue_for(call, repo)))


@route("PATCH", "/repos/{owner}/{repo}/issues/{issue_number}")
def update_issue(svc: GithubService, call: Call) -> Response:
    """PATCH title, body, state, state_reason, labels, assignees."""
    repo = svc.repo_for(call)
    issue = svc.gh.op_update_issue(
        repo, svc.issue_for(call, repo), call.actor or "", call.body or {}
    )
    return Response(200, svc.gh.issue_json(repo, issue))


@route("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments")
def list_comments(svc: GithubService, call: Call) -> Response:
    """An issue's comments, oldest first, ``since`` filtering on updated_at."""
    repo = svc.repo_for(call)
    comments = svc.gh._comments_of(repo, svc.issue_for(call, repo).number)
    since = _since(call)
    if since is not None:
        comments = [c for c in comments if c.updated_at >= since]
    chunk, headers = svc.page(call, comments)
    return Response(200, [svc.gh.comment_json(c) for c in chunk], headers)


@route("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments")
def create_comment(svc: GithubService, call: Call) -> Response:
    """Comment on an issue."""
    repo = svc.repo_for(call)
    comment = svc.gh.op_comment(
        repo, svc.issue_for(call, repo), call.actor or "", call.body["body"]
    )
    data = svc.gh.comment_json(comment)
    return Response(201, data, {"Location": data["url"]})


@route("GET", "/repos/{owner}/{repo}/issues/comments/{comment_id}")
def get_comment(svc: GithubService, call: Call) -> Response:
    """GET one comment."""
    repo = svc.repo_for(call)
    return Response(200, svc.gh.comment_json(svc.gh._comment(int(call.params["comment_id"]), repo)))


@route("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}")
def update_comment(svc: GithubService, call: Call) -> Response:
    """Edit a comment's body."""
    repo = svc.repo_for(call)
    comment = svc.gh._comment(int(call.params["comment_id"]), repo)
    svc.gh.op_edit_comment(repo, comment, call.actor or "", call.body["body"])
    return Response(200, svc.gh.comment_json(comment))


@route("DELETE", "/repos/{owner}/{repo}/issues/comments/{comment_id}")
def delete_comment(svc: GithubService, call: Call) -> Response:
    """Delete a comment."""
    repo = svc.repo_for(call)
    comment = svc.gh._comment(int(call.params["comment_id"]), repo)
    svc.gh.op_delete_comment(repo, comment, call.actor or "")
    return Response(204)


@route("GET", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions")
def list_reactions(svc: GithubService, call: Call) -> Response:
    """A comment's reactions, optionally one ``content`` only."""
    repo = svc.repo_for(call)
    reactions = svc.gh._comment(int(call.params["comment_id"]), repo).reactions
    content = call.arg("content")
    if content is not None:
        if content not in REACTIONS:
            raise SandboxGitHubError(
                422,
                "Validation Failed",
                [{"resource": "Reaction", "code": "invalid", "field": "content"}],
            )
        reactions = [r for r in reactions if r.content == content]
    chunk, headers = svc.page(call, reactions)
    return Response(200, [svc.gh.reaction_json(r) for r in chunk], headers)


@route("POST", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions")
def create_reaction(svc: GithubService, call: Call) -> Response:
    """React to a comment: 201 when new, 200 when the same reaction exists."""
    repo = svc.repo_for(call)
    comment = svc.gh._comment(int(call.params["comment_id"]), repo)
    created, reaction = svc.gh.op_react(repo, comment, call.actor or "", call.body["content"])
    return Response(201 if created else 200, svc.gh.reaction_json(reaction))


@route("GET", "/repos/{owner}/{repo}/issues/{issue_number}/labels")
def list_issue_labels(svc: GithubService, call: Call) -> Response:
    """An issue's labels."""
    repo = svc.repo_for(call)
    issue = svc.issue_for(call, repo)
    chunk, headers = svc.page(call, [repo.labels[i] for i in issue.labels])
    return Response(200, [svc.gh.label_json(repo, label) for label in chunk], headers)


def _issue_labels(svc: GithubService, repo: Repo, issue: Issue) -> list[dict[str, Any]]:
    return [svc.gh.label_json(repo, repo.labels[i]) for i in issue.labels]


@route("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels")
def add_issue_labels(svc: GithubService, call: Call) -> Response:
    """Add labels (unknown ones are created, as GitHub does)."""
    repo = svc.repo_for(call)
    issue = svc.issue_for(call, repo)
    svc.gh.op_add_labels(repo, issue, call.actor or "", _label_names(call.body))
    return Response(200, _issue_labels(svc, repo, issue))


@route("PUT", "/repos/{owner}/{repo}/issues/{issue_number}/labels")
def set_issue_labels(svc: GithubService, call: Call) -> Response:
    """Replace an issue's labels."""
    repo = svc.repo_for(call)
    issue = svc.issue_for(call, repo)
    svc.gh.op_set_labels(repo, issue, call.actor or "", _label_names(call.body))
    return Response(200, _issue_labels(svc, repo, issue))


@route("DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/labels")
def clear_issue_labels(svc: GithubService, call: Call) -> Response:
    """Remove every label from an issue."""
    repo = svc.repo_for(call)
    issue = svc.issue_for(call, repo)
    svc.gh.op_set_labels(repo, issue, call.actor or "", [])
    return Response(204)


@route("DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}")
def remove_issue_label(svc: GithubService, call: Call) -> Response:
    """Remove one label; 404 "Label does not exist" when the issue doesn't have it."""
    repo = svc.repo_for(call)
    issue = svc.issue_for(call, repo)
    svc.gh.op_remove_label(repo, issue, call.actor or "", call.params["name"])
    return Response(200, _issue_labels(svc, repo, issue))


@route("POST", "/repos/{owner}/{repo}/issues/{issue_number}/assignees")
def add_assignees(svc: GithubService, call: Call) -> Response:
    """Add assignees; people who can't be assigned are silently dropped (unlike PATCH)."""
    repo = svc.repo_for(call)
    issue = svc.issue_for(call, repo)
    logins = [str(x) for x in (call.body or {}).get("assignees") or []]
    svc.gh.op_add_assignees(repo, issue, call.actor or "", logins)
    return Response(201, svc.gh.issue_json(repo, issue))


@route("DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/assignees")
def remove_assignees(svc: GithubService, call: Call) -> Response:
    """Remove assignees."""
    repo = svc.repo_for(call)
    issue = svc.issue_for(call, repo)
    logins = [str(x) for x in call.body.get("assignees") or []]
    svc.gh.op_remove_assignees(repo, issue, call.actor or "", logins)
    return Response(200, svc.gh.issue_json(repo, issue))


# sub-issues (docs.github.com/en/rest/issues/sub-issues)


@route("GET", "/repos/{owner}/{repo}/issues/{issue_number}/sub_issues")
def list_sub_issues(svc: GithubService, call: Call) -> Response:
    """An issue's sub-issues, paginated like every list."""
    repo = svc.repo_for(call)
    parent = svc.issue_for(call, repo)
    children = svc.gh.sub_issues_of(repo, parent)
    chunk, headers = svc.page(call, children)
    return Response(200, [svc.gh.issue_json(r, c) for r, c in chunk], headers)


@route("POST", "/repos/{owner}/{repo}/issues/{issue_number}/sub_issues")
def add_sub_issue(svc: GithubService, call: Call) -> Response:
    """Attach the issue with `sub_issue_id` (its id, not its number): 201 with the parent."""
    repo = svc.repo_for(call)
    parent = svc.issue_for(call, repo)
    body = call.body or {}
    svc.gh.op_add_sub_issue(
        repo,
        parent,
        call.actor or "",
        body.get("sub_issue_id"),
        bool(body.get("replace_parent")),
    )
    return Response(201, svc.gh.issue_json(repo, parent))


@route("DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/sub_issue")
def remove_sub_issue(svc: GithubService, call: Call) -> Response:
    """Detach a sub-issue: 200 with the parent."""
    repo = svc.repo_for(call)
    parent = svc.issue_for(call, repo)
    svc.gh.op_remove_sub_issue(
        repo, parent, call.actor or "", (call.body or {}).get("sub_issue_id")
    )
    return Response(200, svc.gh.issue_json(repo, parent))


@route("GET", "/repos/{owner}/{repo}/issues/{issue_number}/events")
def list_issue_events(svc: GithubService, call: Call) -> Response:
    """An issue's events (labeled, unlabeled, assigned, closed, reopened, renamed)."""
    repo = svc.repo_for(call)
    issue = svc.issue_for(call, repo)
    chunk, headers = svc.page(call, issue.events)
    return Response(200, [svc.gh.event_json(repo, issue, e) for e in chunk], headers)


@route("GET", "/repos/{owner}/{repo}/issues/{issue_number}/timeline")
def list_timeline(svc: GithubService, call: Call) -> Response:
    """Events and comments of an issue, oldest first."""
    repo = svc.repo_for(call)
    issue = svc.issue_for(call, repo)
    items: list[tuple[Any, int, dict[str, Any]]] = [
        (e.created_at, e.id, svc.gh.event_json(repo, issue, e)) for e in issue.events
    ]
    for comment in svc.gh._comments_of(repo, issue.number):
        data = svc.gh.comment_json(comment)
        data.update({"event": "commented", "actor": data["user"]})
        items.append((comment.created_at, comment.id, data))
    items.sort(key=lambda t: (t[0], t[1]))
    chunk, headers = svc.page(call, [t[2] for t in items])
    return Response(200, chunk, headers)


# repository labels


@route("GET", "/repos/{owner}/{repo}/labels")
def list_labels(svc: GithubService, call: Call) -> Response:
    """The repository's labels."""
    repo = svc.repo_for(call)
    chunk, headers = svc.page(call, list(repo.labels.values()))
    return Response(200, [svc.gh.label_json(repo, label) for label in chunk], headers)


@route("POST", "/repos/{owner}/{repo}/labels")
def create_label(svc: GithubService, call: Call) -> Response:
    """Create a label (422 already_exists for a duplicate name)."""
    repo = svc.repo_for(call)
    svc.gh._require(repo, call.actor or "", "write", "create labels")
    body = call.body
    label = svc.gh._create_label(
        repo, body["name"], body.get("color") or "ededed", body.get("description")
    )
    data = svc.gh.label_json(repo, label)
    return Response(201, data, {"Location": data["url"]})


def _label_or_404(repo: Repo, name: str) -> Any:
    label = repo.label_named(name)
    if label is None:
        raise not_found()
    return label


@route("GET", "/repos/{owner}/{repo}/labels/{name}")
def get_label(svc: GithubService, call: Call) -> Response:
    """GET one label."""
    repo = svc.repo_for(call)
    return Response(200, svc.gh.label_json(repo, _label_or_404(repo, call.params["name"])))


@route("PATCH", "/repos/{owner}/{repo}/labels/{name}")
def update_label(svc: GithubService, call: Call) -> Response:
    """Rename / recolour / redescribe a label."""
    repo = svc.repo_for(call)
    svc.gh._require(repo, call.actor or "", "write", "update labels")
    label = _label_or_404(repo, call.params["name"])
    body = call.body or {}
    if "new_name" in body:
        clash = repo.label_named(body["new_name"])
        if clash is not None and clash.id != label.id:
            raise SandboxGitHubError(
                422,
                "Validation Failed",
                [{"resource": "Label", "code": "already_exists", "field": "name"}],
            )
        label.name = body["new_name"]
    if "color" in body:
        color = str(body["color"]).lstrip("#").lower()
        if len(color) != 6 or any(ch not in "0123456789abcdef" for ch in color):
            raise SandboxGitHubError(
                422,
                "Validation Failed",
                [{"resource": "Label", "code": "invalid", "field": "color"}],
            )
        label.color = color
    if "description" in body:
        label.description = body["description"]
    return Response(200, svc.gh.label_json(repo, label))


@route("DELETE", "/repos/{owner}/{repo}/labels/{name}")
def delete_label(svc: GithubService, call: Call) -> Response:
    """Delete a label (404 when absent) and take it off every issue."""
    repo = svc.repo_for(call)
    svc.gh._require(repo, call.actor or "", "write", "delete labels")
    label = _label_or_404(repo, call.params["name"])
    for issue in repo.issues.values():
        if label.id in issue.labels:
            issue.labels.remove(label.id)
    del repo.labels[label.id]
    return Response(204)


# contents


def _content_json(svc: GithubService, repo: Repo, path: str) -> dict[str, Any]:
    data = repo.files[path]
    api = svc.gh._api(f"/repos/{repo.full_name}/contents/{urllib.parse.quote(path)}")
    sha = git_blob_sha(data)
    html = f"https://github.com/{repo.full_name}/blob/main/{path}"
    git = svc.gh._api(f"/repos/{repo.full_name}/git/blobs/{sha}")
    return {
        "type": "file",
        "encoding": "base64",
        "size": len(data),
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "content": base64.encodebytes(data).decode("ascii"),
        "sha": sha,
        "url": api,
        "git_url": git,
        "html_url": html,
        "download_url": f"https://raw.githubusercontent.com/{repo.full_name}/main/{path}",
        "_links": {"self": api, "git": git, "html": html},
    }


def _commit_json(svc: GithubService, repo: Repo, actor: str, message: str) -> dict[str, Any]:
    sha = git_blob_sha(f"{message}{svc.gh.now()}".encode())
    person = {
        "name": actor,
        "email": f"{actor}@users.noreply.github.com",
        "date": iso(svc.gh.now()),
    }
    return {
        "sha": sha,
        "node_id": base64.b64encode(f"Commit:{sha}".encode()).decode(),
        "url": svc.gh._api(f"/repos/{repo.full_name}/git/commits/{sha}"),
        "html_url": f"https://github.com/{repo.full_name}/commit/{sha}",
        "author": person,
        "committer": person,
        "message": message,
        "tree": {"url": svc.gh._api(f"/repos/{repo.full_name}/git/trees/{sha}"), "sha": sha},
        "parents": [],
        "verification": {
            "verified": False,
            "reason": "unsigned",
            "signature": None,
            "payload": None,
        },
    }


@route("GET", "/repos/{owner}/{repo}/contents/{path}")
def get_contents(svc: GithubService, call: Call) -> Response:
    """A file's content (base64), or a directory listing."""
    repo = svc.repo_for(call)
    path = call.params["path"].strip("/")
    if path in repo.files:
        return Response(200, _content_json(svc, repo, path))
    prefix = path + "/"
    entries = sorted({p[len(prefix) :].split("/")[0] for p in repo.files if p.startswith(prefix)})
    if not entries:
        raise not_found()
    listing = []
    for name in entries:
        full = prefix + name
        if full in repo.files:
            entry = _content_json(svc, repo, full)
            entry.pop("content")
            entry.pop("encoding")
        else:
            api = svc.gh._api(f"/repos/{repo.full_name}/contents/{full}")
            html = f"https://github.com/{repo.full_name}/tree/main/{full}"
            entry = {
                "type": "dir",
                "size": 0,
                "name": name,
                "path": full,
                "sha": git_blob_sha(b""),
                "url": api,
                "git_url": None,
                "html_url": html,
                "download_url": None,
                "_links": {"self": api, "git": None, "html": html},
            }
        listing.append(entry)
    return Response(200, listing)


@route("PUT", "/repos/{owner}/{repo}/contents/{path}")
def put_contents(svc: GithubService, call: Call) -> Response:
    """Create (201) or update (200, needs the current ``sha``) a file."""
    repo = svc.repo_for(call)
    svc.gh._require(repo, call.actor or "", "write", "write files")
    path = call.params["path"].strip("/")
    try:
        data = base64.b64decode(call.body["content"], validate=True)
    except (binascii.Error, ValueError):
        raise SandboxGitHubError(
            422,
            "Validation Failed",
            [{"resource": "Content", "code": "invalid", "field": "content"}],
        ) from None
    existed = path in repo.files
    if existed:
        sha = call.body.get("sha")
        if sha is None:
            raise SandboxGitHubError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.')
        if sha != git_blob_sha(repo.files[path]):
            raise SandboxGitHubError(409, f"{path} does not match {sha}")
    repo.files[path] = data
    body = {
        "content": _content_json(svc, repo, path),
        "commit": _commit_json(svc, repo, call.actor or "", call.body["message"]),
    }
    body["content"].pop("encoding")
    body["content"].pop("content")
    return Response(200 if existed else 201, body)


@route("DELETE", "/repos/{owner}/{repo}/contents/{path}")
def delete_contents(svc: GithubService, call: Call) -> Response:
    """Delete a file (needs its current ``sha``)."""
    repo = svc.repo_for(call)
    svc.gh._require(repo, call.actor or "", "write", "delete files")
    path = call.params["path"].strip("/")
    if path not in repo.files:
        raise not_found()
    if call.body["sha"] != git_blob_sha(repo.files[path]):
        raise SandboxGitHubError(409, f"{path} does not match {call.body['sha']}")
    del repo.files[path]
    commit = _commit_json(svc, repo, call.actor or "", call.body["message"])
    return Response(200, {"content": None, "commit": commit})


# dispatches: events from outside GitHub (a monitor) and from the Actions tab

DISPATCH_DOCS = "https://docs.github.com/rest/repos/repos#create-a-repository-dispatch-event"
WORKFLOW_DISPATCH_DOCS = (
    "https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event"
)
MAX_CLIENT_PAYLOAD = 64 * 1024  # "The total size of the JSON payload must be less than 64KB."


def _dispatch_error(message: str, docs: str) -> SandboxGitHubError:
    return SandboxGitHubError(422, message, documentation_url=docs)


def _org_json(svc: GithubService, repo: Repo) -> dict[str, Any] | None:
    owner = svc.gh.user(repo.owner)
    return svc.gh.organization_json(owner.login) if owner.type == "Organization" else None


@route("POST", "/repos/{owner}/{repo}/dispatches")
def create_dispatch(svc: GithubService, call: Call) -> Response:
    """Queue a ``repository_dispatch`` event; 204.

    As GitHub (the operation's description in tests/reference/github-rest-api-subset.json,
    and answers quoted in public issues): write access is needed (fine-grained tokens:
    Contents write); ``event_type`` is 1-100 characters; ``client_payload`` has at most 10
    top-level properties ("No more than 10 properties are allowed; 13 were supplied") and
    less than 64 KB ("client_payload is too large"). The workflow's own GITHUB_TOKEN may
    dispatch and, unlike its other writes, that does start a run (GitHub's docs, "Triggering
    a workflow from a workflow"): the event is queued whoever sent it.
    """
    repo = svc.repo_for(call)
    svc.gh._require(repo, call.actor or "", "write", "create a repository dispatch event")
    body = call.body or {}
    event_type = body["event_type"]
    if not 1 <= len(event_type) <= 100:
        raise _dispatch_error(
            "Invalid request.\n\nevent_type must be 1 to 100 characters.", DISPATCH_DOCS
        )
    payload = body.get("client_payload") or {}
    if len(payload) > 10:
        raise _dispatch_error(
            f"No more than 10 properties are allowed; {len(payload)} were supplied.",
            DISPATCH_DOCS,
        )
    if len(json.dumps(payload, separators=(",", ":"))) >= MAX_CLIENT_PAYLOAD:
        raise _dispatch_error("client_payload is too large.", DISPATCH_DOCS)
    svc.gh.events.put(
        "repository_dispatch",
        repository_dispatch_payload(
            event_type,
            payload,
            svc.gh.repo_json(repo),
            svc.gh.user_json(call.actor or ""),
            _org_json(svc, repo),
        ),
    )
    return Response(204)


def _workflow_file(repo: Repo, workflow_id: str) -> tuple[str, dict[str, Any]]:
    """The workflow file a dispatch names (its file name), parsed; 404 when absent."""
    import yaml

    path = f".github/workflows/{workflow_id}"
    if workflow_id.isdigit() or path not in repo.files:
        # The sandbox keeps no workflow ids: a number names no workflow it knows.
        raise not_found()
    try:
        data = yaml.safe_load(repo.files[path].decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        data = None
    return path, data if isinstance(data, dict) else {}


def _dispatch_trigger(workflow: dict[str, Any]) -> dict[str, Any] | None:
    """The ``workflow_dispatch`` trigger of a parsed workflow, or None without one."""
    # PyYAML reads the key `on` as True (YAML 1.1); GitHub reads it as "on".
    on = workflow.get("on", workflow.get(True))  # type: ignore[call-overload]  # YAML's True key
    if isinstance(on, str):
        return {} if on == "workflow_dispatch" else None
    if isinstance(on, list):
        return {} if "workflow_dispatch" in on else None
    if isinstance(on, dict) and "workflow_dispatch" in on:
        trigger = on["workflow_dispatch"]
        return trigger if isinstance(trigger, dict) else {}
    return None


@route("POST", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches")
def create_workflow_dispatch(svc: GithubService, call: Call) -> Response:
    """Queue a ``workflow_dispatch`` event for a workflow file; 204 (200 with run details).

    GitHub's answers (its docs, and messages quoted in public issues): 404 for an unknown
    workflow; 422 "Workflow does not have 'workflow_dispatch' trigger", "No ref found for:
    <ref>", "Unexpected inputs provided: [\"x\"]"; a choice outside its options is refused
    too. Inputs left out take the workflow's defaults. Write access is needed (fine-grained
    tokens: Actions write).
    """
    repo = svc.repo_for(call)
    svc.gh._require(repo, call.actor or "", "write", "create a workflow dispatch event")
    path, workflow = _workflow_file(repo, call.params["workflow_id"])
    trigger = _dispatch_trigger(workflow)
    if trigger is None:
        raise _dispatch_error(
            "Workflow does not have 'workflow_dispatch' trigger", WORKFLOW_DISPATCH_DOCS
        )
    body = call.body or {}
    ref = body["ref"]
    if ref not in ("main", "refs/heads/main"):
        raise _dispatch_error(f"No ref found for: {ref}", WORKFLOW_DISPATCH_DOCS)
    declared: dict[str, Any] = trigger["inputs"] if isinstance(trigger.get("inputs"), dict) else {}
    given = body.get("inputs") or {}
    unexpected = [k for k in given if k not in declared]
    if unexpected:
        raise _dispatch_error(
            f"Unexpected inputs provided: {json.dumps(unexpected)}", WORKFLOW_DISPATCH_DOCS
        )
    inputs: dict[str, Any] = {}
    for name, spec in declared.items():
        spec = spec if isinstance(spec, dict) else {}
        if name in given:
            value = given[name]
            options = spec.get("options") if spec.get("type") == "choice" else None
            if options is not None and str(value) not in [str(o) for o in options]:
                raise _dispatch_error(
                    f"Provided value '{value}' for input '{name}' not in the list of allowed "
                    "values",
                    WORKFLOW_DISPATCH_DOCS,
                )
            inputs[name] = value
        elif "default" in spec:
            inputs[name] = spec["default"]
    svc.gh.events.put(
        "workflow_dispatch",
        workflow_dispatch_payload(
            inputs,
            "refs/heads/main",
            path,
            svc.gh.repo_json(repo),
            svc.gh.user_json(call.actor or ""),
            _org_json(svc, repo),
        ),
    )
    run_id = 1000 + len(repo.runs)
    repo.runs.append(
        {
            "id": run_id,
            "path": path,
            "status": "queued",
            "conclusion": None,
            "event": "workflow_dispatch",
            "head_branch": "main",
            "created_at": iso(svc.gh.now()),
        }
    )
    if body.get("return_run_details"):
        run = run_id
        base = f"{repo.full_name}/actions/runs/{run}"
        return Response(
            200,
            {
                "workflow_run_id": run,
                "run_url": svc.gh._api(f"/repos/{base}"),
                "html_url": f"https://github.com/{base}",
            },
        )
    return Response(204)


@route("GET", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs")
def list_workflow_runs(svc: GithubService, call: Call) -> Response:
    """A workflow's runs, newest first (the sandbox's: those its dispatches started).

    GitHub answers `{"total_count", "workflow_runs": [...]}`; `status` filters (queued,
    in_progress, completed, ...); 404 for a workflow file that does not exist.
    """
    repo = svc.repo_for(call)
    path, _ = _workflow_file(repo, call.params["workflow_id"])
    wanted = call.arg("status")
    runs = [r for r in reversed(repo.runs) if r["path"] == path]
    runs = [r for r in runs if wanted in (None, r["status"], r["conclusion"])]
    per_page = int(call.arg("per_page") or 30)
    shown = [_run_json(svc, repo, r) for r in runs[:per_page]]
    return Response(200, {"total_count": len(runs), "workflow_runs": shown})


def _run_json(svc: GithubService, repo: Any, run: dict[str, Any]) -> dict[str, Any]:
    """A workflow run as GitHub describes one (every property the description requires)."""
    base = f"/repos/{repo.full_name}/actions/runs/{run['id']}"
    sha = "0" * 40  # the sandbox keeps no commits: the run names the default branch's head
    repository = svc.gh.repo_json(repo)
    return {
        **run,
        "node_id": f"WFR_{run['id']}",
        "run_number": run["id"] - 999,
        "name": run["path"].rsplit("/", 1)[-1],
        "display_title": run.get("display_title", run["path"].rsplit("/", 1)[-1]),
        "head_sha": sha,
        "workflow_id": 1,
        "url": svc.gh._api(base),
        "html_url": f"https://github.com{base.removeprefix('/repos')}",
        "updated_at": run["created_at"],
        "head_commit": None,
        "head_repository": repository,
        "repository": repository,
        "jobs_url": svc.gh._api(f"{base}/jobs"),
        "logs_url": svc.gh._api(f"{base}/logs"),
        "check_suite_url": svc.gh._api(f"/repos/{repo.full_name}/check-suites/1"),
        "cancel_url": svc.gh._api(f"{base}/cancel"),
        "rerun_url": svc.gh._api(f"{base}/rerun"),
        "artifacts_url": svc.gh._api(f"{base}/artifacts"),
        "workflow_url": svc.gh._api(f"/repos/{repo.full_name}/actions/workflows/1"),
        "pull_requests": [],
    }


# search

_TOKEN = re.compile(r'(-?)(\w+):"([^"]*)"|(-?)(\w+):(\S+)|"([^"]*)"|(\S+)')


def _search_issues(svc: GithubService, query: str) -> list[tuple[Repo, Issue]]:
    quals: list[tuple[bool, str, str]] = []
    words: list[str] = []
    for m in _TOKEN.finditer(query):
        if m.group(2):
            quals.append((m.group(1) == "-", m.group(2).lower(), m.group(3)))
        elif m.group(5):
            quals.append((m.group(4) == "-", m.group(5).lower(), m.group(6)))
        else:
            words.append((m.group(7) or m.group(8) or "").lower())
    known = {"repo", "label", "is", "state", "type", "author", "assignee", "in", "no"}
    for negated, key, value in list(quals):
        if key not in known:
            quals.remove((negated, key, value))
            words.append(f"{key}:{value}".lower())
    fields = {v.lower() for _, k, v in quals if k == "in"} or {"title", "body"}
    repos = [r for r in svc.gh.repos.values()]
    results = []
    for repo in repos:
        for issue in repo.issues.values():
            if _search_match(svc, repo, issue, quals, words, fields):
                results.append((repo, issue))
    return results


def _search_match(
    svc: GithubService,
    repo: Repo,
    issue: Issue,
    quals: list[tuple[bool, str, str]],
    words: list[str],
    fields: set[str],
) -> bool:
    label_names = {repo.labels[i].name.lower() for i in issue.labels}
    for negated, key, value in quals:
        v = value.lower()
        if key == "repo":
            ok = repo.full_name.lower() == v
        elif key == "label":
            ok = bool({x.strip() for x in v.split(",")} & label_names)
        elif key in ("is", "state", "type"):
            if v in ("open", "closed"):
                ok = issue.state == v
            elif v == "issue":
                ok = not issue.is_pull_request
            elif v in ("pr", "pull-request"):
                ok = issue.is_pull_request
            else:
                ok = True
        elif key == "author":
            ok = issue.user.lower() == v
        elif key == "assignee":
            ok = v in (a.lower() for a in issue.assignees)
        elif key == "no":
            ok = (v == "label" and not issue.labels) or (v == "assignee" and not issue.assignees)
        else:  # in:
            ok = True
        if ok == negated:
            return False
    haystack = ""
    if "title" in fields:
        haystack += issue.title.lower() + "\n"
    if "body" in fields:
        haystack += (issue.body or "").lower() + "\n"
    if "comments" in fields:
        haystack += "\n".join(c.body.lower() for c in svc.gh._comments_of(repo, issue.number))
    return all(w in haystack for w in words)


@route("GET", "/search/issues")
def search_issues(svc: GithubService, call: Call) -> Response:
    """Issue search with ``repo:``, ``label:``, ``is:``/``state:``, ``author:``, ``in:``."""
    query = call.arg("q")
    if not query:
        raise SandboxGitHubError(
            422, "Validation Failed", [{"resource": "Search", "field": "q", "code": "missing"}]
        )
    found = [(r, i) for r, i in _search_issues(svc, query) if svc.gh.can_see(r, call.actor)]
    sort = call.arg("sort")
    reverse = call.arg("order", "desc") != "asc"
    if sort == "updated":
        found.sort(key=lambda t: (t[1].updated_at, t[1].id), reverse=reverse)
    elif sort == "comments":
        found.sort(key=lambda t: (svc.gh.issue_json(*t)["comments"], t[1].id), reverse=reverse)
    else:
        found.sort(key=lambda t: (t[1].created_at, t[1].id), reverse=reverse)
    chunk, headers = svc.page(call, found)
    items = []
    for repo, issue in chunk:
        data = svc.gh.issue_json(repo, issue)
        data["score"] = 1.0
        items.append(data)
    body = {
        "total_count": len(found),
        "incomplete_results": False,
        "items": items,
        "search_type": "lexical",
    }
    return Response(200, body, headers)


# GraphQL: only users' status

_STATUS_FIELDS = {"indicatesLimitedAvailability", "message", "emoji", "expiresAt"}
_ALIAS = re.compile(
    r"(?:(\w+)\s*:\s*)?user\s*\(\s*login\s*:\s*(\$\w+|\"[^\"]*\")\s*\)\s*"
    r"\{\s*status\s*\{([^{}]*)\}\s*\}"
)
_HEADER = re.compile(r"^\s*(?:query\s*\w*\s*(\(([^)]*)\))?\s*)?\{(.*)\}\s*$", re.S)


# ---------------------------------------------------------------- workflows
# https://docs.github.com/rest/actions/workflows: `workflow_id` is the id or the file
# name; an unknown one is 404. Enable and disable answer 204 with no body, also when
# the workflow already is in that state, and set `state` to `active` or
# `disabled_manually`. A GITHUB_TOKEN without `actions: write` gets 403 "Resource not
# accessible by integration", as for any permission it lacks
# (https://docs.github.com/actions/security-for-github-actions/security-guides/automatic-token-authentication).


def _workflow_for(svc: GithubService, call: Call) -> tuple[Repo, Any]:
    repo = svc.repo_for(call)
    flow = svc.gh.workflow(repo, call.params["workflow_id"])
    if flow is None:
        raise not_found()
    return repo, flow


@route("GET", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}")
def get_workflow(svc: GithubService, call: Call) -> Response:
    """GET a workflow: its path, name and state."""
    repo, flow = _workflow_for(svc, call)
    return Response(200, svc.gh.workflow_json(repo, flow))


def _set_workflow_state(svc: GithubService, call: Call, state: str) -> Response:
    repo, flow = _workflow_for(svc, call)
    assert call.actor is not None
    user = svc.gh.user(call.actor)
    if user.type == "Bot" and not svc.gh.bot_actions_write:
        raise SandboxGitHubError(403, "Resource not accessible by integration")
    if user.type != "Bot" and svc.gh.role(repo, user.login) not in ("write", "maintain", "admin"):
        # A token of a person without write access, as for a fine-grained token lacking
        # the Actions permission.
        raise SandboxGitHubError(403, "Resource not accessible by personal access token")
    if flow.state != state:
        flow.state = state
        flow.updated_at = svc.gh.now()
    return Response(204)


@route("PUT", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/enable")
def enable_workflow(svc: GithubService, call: Call) -> Response:
    """PUT enable: `state` becomes `active`."""
    return _set_workflow_state(svc, call, "active")


@route("PUT", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/disable")
def disable_workflow(svc: GithubService, call: Call) -> Response:
    """PUT disable: `state` becomes `disabled_manually`."""
    return _set_workflow_state(svc, call, "disabled_manually")


def _graphql_error(message: str) -> SandboxGitHubError:
    return SandboxGitHubError(
        400,
        f"The sandbox's GraphQL endpoint answers only queries of the form "
        f"query($l0: String!) {{ u0: user(login: $l0) {{ status {{ "
        f"indicatesLimitedAvailability }} }} ... }}: {message}",
        documentation_url="https://docs.github.com/graphql",
    )


_VIEWER = re.compile(r"^\s*(?:query\s*\w*\s*)?\{\s*viewer\s*\{\s*login\s*\}\s*\}\s*$")


@route("POST", "/graphql")
def graphql(svc: GithubService, call: Call) -> Response:
    """Answer ``user(login:) { status { indicatesLimitedAvailability } }`` queries, and
    ``viewer { login }``: who the token acts as, for user and installation tokens alike
    (an app's installation token gets ``<app>[bot]``, e.g. fullsend-ai/fullsend#1953)."""
    query = re.sub(r"#[^\n]*", "", call.body["query"])
    for answer in GRAPHQL_ANSWERS:
        answered = answer(svc, call, query)
        if answered is not None:
            return answered
    if _VIEWER.match(query):
        return Response(200, {"data": {"viewer": {"login": call.actor}}})
    variables = call.body.get("variables") or {}
    header = _HEADER.match(query)
    if header is None:
        raise _graphql_error("not a single query operation")
    declared = set(re.findall(r"\$(\w+)\s*:\s*String!?", header.group(2) or ""))
    selection = header.group(3)
    data: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    end = 0
    for m in _ALIAS.finditer(selection):
        if selection[end : m.start()].strip(" \t\r\n,"):
            raise _graphql_error(f"unsupported selection {selection[end : m.start()].strip()!r}")
        end = m.end()
        alias = m.group(1) or "user"
        fields = m.group(3).replace(",", " ").split()
        if not fields or set(fields) - _STATUS_FIELDS:
            raise _graphql_error(
                f"unsupported status fields {sorted(set(fields) - _STATUS_FIELDS)}"
            )
        ref = m.group(2)
        if ref.startswith("$"):
            if ref[1:] not in declared or ref[1:] not in variables:
                raise _graphql_error(f"variable {ref} is not declared as String or not given")
            login = str(variables[ref[1:]])
        else:
            login = ref.strip('"')
        user = svc.gh.users.get(login.lower())
        if user is None or user.type != "User":
            data[alias] = None
            line = query[: query.find(m.group(0))].count("\n") + 1
            errors.append(
                {
                    "type": "NOT_FOUND",
                    "path": [alias],
                    "locations": [{"line": line, "column": 3}],
                    "message": f"Could not resolve to a User with the login of '{login}'.",
                }
            )
            continue
        status = None
        # "organization: The organization whose members can see this status. If null,
        # this status is publicly visible" (GraphQL UserStatus,
        # https://docs.github.com/graphql/reference/objects#userstatus): a viewer outside
        # it gets no status at all.
        if user.busy and user.busy_organization is None:
            full = {
                "indicatesLimitedAvailability": True,
                "message": "Busy",
                "emoji": ":no_entry:",
                "expiresAt": None,
            }
            status = {f: full[f] for f in fields}
        data[alias] = {"status": status}
    if end == 0 or selection[end:].strip(" \t\r\n,"):
        raise _graphql_error("no user(login:) { status { ... } } selection found")
    body: dict[str, Any] = {"data": data}
    if errors:
        body["errors"] = errors
    return Response(200, body)


# ---------------------------------------------------------------- GitHub Apps
# Made with the App's JWT (incident_sandbox/apps.py checks it), not a token. Documented in
# tests/reference/github-rest-api-apps-supplement.json (not in the vendored subset).
APP_JWT_ENDPOINTS = {
    "/app/installations/{installation_id}/access_tokens",
    "/repos/{owner}/{repo}/installation",
}


def _app_of(svc: GithubService, call: Call) -> Any:
    return next(a for a in svc.gh.apps.by_id.values() if a.bot_login == call.actor)


@route("POST", "/app/installations/{installation_id}/access_tokens")
def create_installation_token(svc: GithubService, call: Call) -> Response:
    """POST: a new installation token, 201 (docs.github.com/rest/apps/apps#create-an-
    installation-access-token-for-an-app): "Installation tokens expire one hour from the
    time you create them"; an installation of another App, or none, is 404."""
    app = _app_of(svc, call)
    try:
        return Response(201, svc.gh.apps.mint(app, int(call.params["installation_id"])))
    except AppError as exc:
        raise SandboxGitHubError(exc.status, str(exc)) from None


@route("GET", "/repos/{owner}/{repo}/installation")
def get_repo_installation(svc: GithubService, call: Call) -> Response:
    """GET: the App's installation on the repository, 404 where it is not installed
    (docs.github.com/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app)."""
    app = _app_of(svc, call)
    full = f"{call.params['owner']}/{call.params['repo']}"
    try:
        installation = svc.gh.apps.installation_on(app, full)
    except AppError as exc:
        raise SandboxGitHubError(exc.status, str(exc)) from None
    return Response(200, svc.gh.apps.installation_json(app, installation))
