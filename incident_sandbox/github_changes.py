"""What changed in a repository (issue #24), as GitHub's REST API answers it.

Deployments and their statuses, pull requests (with merge times), releases, the
repository's workflow runs and a commit by SHA, newest first and paged as GitHub pages
them; 404 for a repository the token cannot see. The state is seeded with
``GitHub.add_deployment``, ``merge_pull_request``, ``add_release`` and
``add_workflow_run``. GraphQL ``revertPullRequest`` is answered by :func:`revert_mutation`,
and ``repository(owner:, name:) { defaultBranchRef deployments { nodes { ... latestStatus
} } }`` by :func:`deployments_query`.
"""

from __future__ import annotations

import base64
import re
from datetime import datetime
from typing import Any

from incident_sandbox.github import (
    GitHub,
    Issue,
    Repo,
    SandboxGitHubError,
    iso,
    node_id,
    not_found,
    parse_time,
)
from incident_sandbox.github_routes import GRAPHQL_ANSWERS, Call, GithubService, _run_json, route
from incident_sandbox.wire import Response

# ------------------------------------------------------------------ deployments


def _deployment_json(gh: GitHub, repo: Repo, d: dict[str, Any]) -> dict[str, Any]:
    api = gh._api(f"/repos/{repo.full_name}/deployments/{d['id']}")
    latest = d["statuses"][-1]["at"] if d["statuses"] else d["at"]
    return {
        "url": api,
        "id": d["id"],
        "node_id": node_id("Deployment", d["id"]),
        "sha": d["sha"],
        "ref": d["ref"],
        "task": "deploy",
        "payload": {},
        "original_environment": d["environment"],
        "environment": d["environment"],
        "description": d["description"],
        "creator": gh.user_json(d["creator"]),
        "created_at": iso(d["at"]),
        "updated_at": iso(latest),
        "statuses_url": f"{api}/statuses",
        "repository_url": gh._api(f"/repos/{repo.full_name}"),
        "transient_environment": False,
        "production_environment": d["environment"] == "production",
    }


@route("GET", "/repos/{owner}/{repo}/deployments")
def list_deployments(svc: GithubService, call: Call) -> Response:
    """Deployments, newest first; `sha`, `ref`, `task` and `environment` filter."""
    repo = svc.repo_for(call)
    wanted = {k: call.arg(k) for k in ("sha", "ref", "environment")}
    found = [
        d
        for d in reversed(repo.deployments)
        if all(v is None or d[k] == v for k, v in wanted.items())
        and call.arg("task") in (None, "deploy")
    ]
    chunk, headers = svc.page(call, found)
    return Response(200, [_deployment_json(svc.gh, repo, d) for d in chunk], headers)


@route("GET", "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses")
def list_deployment_statuses(svc: GithubService, call: Call) -> Response:
    """A deployment's statuses, newest first; 404 for a deployment that does not exist."""
    repo = svc.repo_for(call)
    wanted = call.params["deployment_id"]
    deployment = next((d for d in repo.deployments if str(d["id"]) == wanted), None)
    if deployment is None:
        raise not_found()
    api = svc.gh._api(f"/repos/{repo.full_name}/deployments/{deployment['id']}")
    chunk, headers = svc.page(call, list(reversed(deployment["statuses"])))
    body = [
        {
            "url": f"{api}/statuses/{s['id']}",
            "id": s["id"],
            "node_id": node_id("DeploymentStatus", s["id"]),
            "state": s["state"],
            "creator": svc.gh.user_json(s["creator"]),
            "description": "",
            "environment": deployment["environment"],
            "target_url": "",
            "log_url": "",
            "environment_url": "",
            "created_at": iso(s["at"]),
            "updated_at": iso(s["at"]),
            "deployment_url": api,
            "repository_url": svc.gh._api(f"/repos/{repo.full_name}"),
        }
        for s in chunk
    ]
    return Response(200, body, headers)


# ----------------------------------------------------------------- pull requests


def _branch(gh: GitHub, repo: Repo, ref: str, sha: str) -> dict[str, Any]:
    return {
        "label": f"{repo.owner}:{ref}",
        "ref": ref,
        "sha": sha,
        "user": gh.user_json(repo.owner),
        "repo": gh.repo_json(repo),
    }


def pull_json(gh: GitHub, repo: Repo, issue: Issue, *, full: bool = False) -> dict[str, Any]:
    """A pull request as GET /pulls lists it (`full`: as GET /pulls/{n} answers)."""
    info = repo.pulls.get(issue.number, {})
    merged_at: datetime | None = info.get("merged_at")
    api = gh._api(f"/repos/{repo.full_name}/pulls/{issue.number}")
    issue_api = gh._api(f"/repos/{repo.full_name}/issues/{issue.number}")
    html = f"https://github.com/{repo.full_name}/pull/{issue.number}"
    head_sha = "0" * 40
    out: dict[str, Any] = {
        "url": api,
        "id": issue.id,
        "node_id": node_id("PullRequest", issue.id),
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": issue_api,
        "commits_url": f"{api}/commits",
        "review_comments_url": f"{api}/comments",
        "review_comment_url": gh._api(f"/repos/{repo.full_name}/pulls/comments{{/number}}"),
        "comments_url": f"{issue_api}/comments",
        "statuses_url": gh._api(f"/repos/{repo.full_name}/statuses/{head_sha}"),
        "number": issue.number,
        "state": issue.state,
        "locked": issue.locked,
        "title": issue.title,
        "user": gh.user_json(issue.user),
        "body": issue.body,
        "labels": [gh.label_json(repo, repo.labels[i]) for i in issue.labels],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": iso(issue.created_at),
        "updated_at": iso(issue.updated_at),
        "closed_at": iso(issue.closed_at),
        "merged_at": iso(merged_at),
        "merge_commit_sha": info.get("merge_commit_sha"),
        "assignee": gh.user_json(issue.assignees[0]) if issue.assignees else None,
        "assignees": [gh.user_json(login) for login in issue.assignees],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": _branch(gh, repo, info.get("head", f"pr-{issue.number}"), head_sha),
        "base": _branch(gh, repo, info.get("base", "main"), "1" * 40),
        "_links": {
            name: {"href": href}
            for name, href in (
                ("self", api),
                ("html", html),
                ("issue", issue_api),
                ("comments", f"{issue_api}/comments"),
                ("review_comments", f"{api}/comments"),
                ("review_comment", f"{api}/comments{{/number}}"),
                ("commits", f"{api}/commits"),
                ("statuses", gh._api(f"/repos/{repo.full_name}/statuses/{head_sha}")),
            )
        },
        "author_association": gh.author_association(repo, issue.user),
        "auto_merge": None,
        "draft": False,
    }
    if full:
        files = info.get("files", [])
        out.update(
            merged=merged_at is not None,
            mergeable=None,
            rebaseable=None,
            mergeable_state="unknown",
            merged_by=gh.user_json(info["merged_by"]) if info.get("merged_by") else None,
            comments=len(issue.comment_ids),
            review_comments=0,
            maintainer_can_modify=False,
            commits=1,
            additions=len(files),
            deletions=0,
            changed_files=len(files),
        )
    return out


def _sort_key(how: str) -> Any:
    def key(issue: Issue) -> Any:
        if how == "updated":
            return issue.updated_at
        return issue.created_at

    return key


@route("GET", "/repos/{owner}/{repo}/pulls")
def list_pulls(svc: GithubService, call: Call) -> Response:
    """Pull requests: `state` (open, closed, all; default open), `base`, `head`
    (`user:ref`); `sort` created (default) or updated, `direction` (desc by default when
    sorting by creation, else asc, as GitHub documents)."""
    repo = svc.repo_for(call)
    state = call.arg("state") or "open"
    base, head = call.arg("base"), call.arg("head")
    found = [
        i
        for i in repo.issues.values()
        if i.is_pull_request
        and state in ("all", i.state)
        and base in (None, repo.pulls.get(i.number, {}).get("base", "main"))
        and (head is None or head.split(":")[-1] == repo.pulls.get(i.number, {}).get("head"))
    ]
    sort = call.arg("sort") or "created"
    default = "desc" if sort == "created" else "asc"
    found.sort(key=_sort_key(sort), reverse=(call.arg("direction") or default) == "desc")
    chunk, headers = svc.page(call, found)
    return Response(200, [pull_json(svc.gh, repo, i) for i in chunk], headers)


@route("GET", "/repos/{owner}/{repo}/pulls/{pull_number}")
def get_pull(svc: GithubService, call: Call) -> Response:
    """One pull request; 404 for an issue's number or one that does not exist."""
    repo = svc.repo_for(call)
    issue = repo.issues.get(int(call.params["pull_number"]))
    if issue is None or not issue.is_pull_request:
        raise not_found()
    return Response(200, pull_json(svc.gh, repo, issue, full=True))


# ------------------------------------------------------------- releases and runs


@route("GET", "/repos/{owner}/{repo}/releases")
def list_releases(svc: GithubService, call: Call) -> Response:
    """Published releases, newest first."""
    repo = svc.repo_for(call)
    chunk, headers = svc.page(call, list(reversed(repo.releases)))
    body = []
    for r in chunk:
        api = svc.gh._api(f"/repos/{repo.full_name}/releases/{r['id']}")
        html = f"https://github.com/{repo.full_name}/releases/tag/{r['tag_name']}"
        body.append(
            {
                "url": api,
                "html_url": html,
                "assets_url": f"{api}/assets",
                "upload_url": f"https://uploads.github.com/repos/{repo.full_name}/releases/"
                f"{r['id']}/assets{{?name,label}}",
                "tarball_url": svc.gh._api(f"/repos/{repo.full_name}/tarball/{r['tag_name']}"),
                "zipball_url": svc.gh._api(f"/repos/{repo.full_name}/zipball/{r['tag_name']}"),
                "id": r["id"],
                "node_id": node_id("Release", r["id"]),
                "tag_name": r["tag_name"],
                "target_commitish": "main",
                "name": r["name"],
                "body": None,
                "draft": False,
                "prerelease": False,
                "created_at": iso(r["at"]),
                "published_at": iso(r["at"]),
                "author": svc.gh.user_json(r["author"]),
                "assets": [],
            }
        )
    return Response(200, body, headers)


_CREATED = re.compile(r"^(>=|<=|>|<)?([^.]+?)(?:\.\.([^.]+))?$")


def _created_filter(text: str | None) -> Any:
    """GitHub's `created` search syntax, the forms the tool uses: `>=T`, `<T`, `T..T`."""
    if text is None:
        return lambda _at: True
    m = _CREATED.match(text.strip())
    if m is None:
        raise SandboxGitHubError(422, "Invalid created filter")
    try:
        first = parse_time(m.group(2))
        second = parse_time(m.group(3)) if m.group(3) else None
    except ValueError:
        raise SandboxGitHubError(422, "Invalid created filter") from None
    tests = {
        ">=": lambda at: at >= first,
        "<=": lambda at: at <= first,
        ">": lambda at: at > first,
        "<": lambda at: at < first,
    }
    if second is not None:
        return lambda at: first <= at <= second
    return tests.get(m.group(1) or "", lambda at: at.date() == first.date())


@route("GET", "/repos/{owner}/{repo}/actions/runs")
def list_repository_runs(svc: GithubService, call: Call) -> Response:
    """The repository's workflow runs, newest first: `branch`, `event`, `status` (a status
    or a conclusion) and `created` filter; paged inside `{"total_count", "workflow_runs"}`."""
    repo = svc.repo_for(call)
    created = _created_filter(call.arg("created"))
    found = [
        r
        for r in reversed(repo.runs)
        if call.arg("branch") in (None, r["head_branch"])
        and call.arg("event") in (None, r["event"])
        and call.arg("status") in (None, r["status"], r["conclusion"])
        and created(parse_time(r["created_at"]))
    ]
    chunk, headers = svc.page(call, found)
    body = {"total_count": len(found), "workflow_runs": [_run_json(svc, repo, r) for r in chunk]}
    return Response(200, body, headers)


@route("GET", "/repos/{owner}/{repo}/commits/{ref}")
def get_commit(svc: GithubService, call: Call) -> Response:
    """A commit by SHA (or a unique prefix of 7 or more); 422 as GitHub answers an
    unknown one."""
    repo = svc.repo_for(call)
    ref = call.params["ref"].lower()
    found = [c for sha, c in repo.commits.items() if len(ref) >= 7 and sha.startswith(ref)]
    if len(found) != 1:
        raise SandboxGitHubError(422, f"No commit found for SHA: {call.params['ref']}")
    c = found[0]
    api = svc.gh._api(f"/repos/{repo.full_name}/commits/{c['sha']}")
    person = {"name": c["author"], "email": f"{c['author']}@users.noreply.github.com"}
    person["date"] = iso(c["at"]) or ""
    parent = "2" * 40
    body = {
        "url": api,
        "sha": c["sha"],
        "node_id": node_id("Commit", int(c["sha"][:8], 16)),
        "html_url": f"https://github.com/{repo.full_name}/commit/{c['sha']}",
        "comments_url": f"{api}/comments",
        "commit": {
            "url": svc.gh._api(f"/repos/{repo.full_name}/git/commits/{c['sha']}"),
            "author": person,
            "committer": person,
            "message": c["message"],
            "comment_count": 0,
            "tree": {"sha": "3" * 40, "url": svc.gh._api(f"/repos/{repo.full_name}/git/trees/")},
        },
        "author": svc.gh.user_json(c["author"]),
        "committer": svc.gh.user_json(c["author"]),
        "parents": [
            {"sha": parent, "url": svc.gh._api(f"/repos/{repo.full_name}/commits/{parent}")}
        ],
        "files": [],
        "stats": {"additions": 0, "deletions": 0, "total": 0},
    }
    return Response(200, body)


# ------------------------------------------------------- GraphQL revertPullRequest

REVERT = re.compile(
    r"^\s*mutation\s*\w*\s*(?:\(\s*\$(\w+)\s*:\s*RevertPullRequestInput!\s*\))?\s*\{\s*"
    r"(?:\w+\s*:\s*)?revertPullRequest\s*\(\s*input\s*:\s*\$(\w+)\s*\)\s*\{\s*"
    r"revertPullRequest\s*\{([^{}]*)\}\s*\}\s*\}\s*$",
    re.S,
)
_REVERT_FIELDS = {"id", "number", "url", "title"}


def _pull_by_node(gh: GitHub, node: str) -> tuple[Repo, Issue] | None:
    try:
        decoded = base64.b64decode(node, validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    m = re.fullmatch(r"0\d+:PullRequest(\d+)", decoded)
    if m is None:
        return None
    for repo in gh.repos.values():
        for issue in repo.issues.values():
            if issue.is_pull_request and issue.id == int(m.group(1)):
                return repo, issue
    return None


def _graphql_failure(kind: str, message: str) -> Response:
    error = {"type": kind, "path": ["revertPullRequest"], "message": message}
    return Response(200, {"data": {"revertPullRequest": None}, "errors": [error]})


def revert_mutation(svc: GithubService, call: Call, query: str) -> Response | None:
    """Answer `mutation($input: RevertPullRequestInput!) { revertPullRequest(input: $input)
    { revertPullRequest { number url } } }`; None for any other query. It opens a pull
    request titled `Revert "<title>"` into the reverted one's base and never merges it;
    GitHub's errors come back in `errors` with HTTP 200 (NOT_FOUND for a pull request the
    token cannot see, FORBIDDEN without write access)."""
    m = REVERT.match(query)
    if m is None:
        return None
    fields = set(m.group(3).replace(",", " ").split())
    if not fields or fields - _REVERT_FIELDS:
        raise SandboxGitHubError(400, f"unsupported fields {sorted(fields - _REVERT_FIELDS)}")
    given = ((call.body.get("variables") or {}).get(m.group(2))) or {}
    node = str(given.get("pullRequestId") or "")
    found = _pull_by_node(svc.gh, node)
    if found is None or not svc.gh.can_see(found[0], call.actor):
        return _graphql_failure(
            "NOT_FOUND", f"Could not resolve to a node with the global id of '{node}'"
        )
    repo, original = found
    if not svc.gh.has_role(repo, call.actor, "write"):
        return _graphql_failure(
            "FORBIDDEN",
            f"{call.actor} does not have the correct permissions to execute `RevertPullRequest`",
        )
    title = given.get("title") or f'Revert "{original.title}"'
    body = given.get("body") or f"Reverts {repo.full_name}#{original.number}"
    info = repo.pulls.get(original.number, {})
    opened = svc.gh.open_pull_request(repo.full_name, call.actor or "", title, body)
    repo.pulls[opened["number"]] = {
        "base": info.get("base", "main"),
        "head": f"revert-{original.number}-{info.get('head', 'branch')}",
        "reverts": original.number,
    }
    issue = repo.issues[opened["number"]]
    answer = {
        "id": node_id("PullRequest", issue.id),
        "number": issue.number,
        "url": f"https://github.com/{repo.full_name}/pull/{issue.number}",
        "title": issue.title,
    }
    data = {"revertPullRequest": {"revertPullRequest": {f: answer[f] for f in fields}}}
    return Response(200, {"data": data})


GRAPHQL_ANSWERS.append(revert_mutation)


# ------------------------------------------- GraphQL Repository.deployments (read)
# The fields of docs.github.com/graphql/reference/objects#deployment the sandbox knows;
# a query asking for another is answered with GitHub's validation error.

_GRAPHQL_TOKEN = re.compile(r'\s*(\.\.\.|[{}():,!\[\]=]|\$?\w+|"(?:[^"\\]|\\.)*")')
Selection = dict[str, tuple[str, "Selection | None"]]  # field -> (raw arguments, fields)


def _graphql_tokens(text: str) -> list[str]:
    tokens, at = [], 0
    while at < len(text.rstrip()):
        m = _GRAPHQL_TOKEN.match(text, at)
        if m is None:
            raise SandboxGitHubError(400, f"cannot parse the query at {text[at : at + 20]!r}")
        tokens.append(m.group(1))
        at = m.end()
    return tokens


def _arguments(tokens: list[str], at: int) -> tuple[str, int]:
    """The raw text of the arguments opening at `tokens[at]` ("("), and where they end."""
    depth, start = 0, at
    while at < len(tokens):
        depth += {"(": 1, "{": 1, "[": 1, ")": -1, "}": -1, "]": -1}.get(tokens[at], 0)
        at += 1
        if depth == 0:
            return " ".join(tokens[start + 1 : at - 1]), at
    raise SandboxGitHubError(400, "unbalanced arguments")


def _selection(tokens: list[str], at: int) -> tuple[Selection, int]:
    """The fields of the selection set opening at `tokens[at]` ("{")."""
    fields: Selection = {}
    at += 1
    while at < len(tokens) and tokens[at] != "}":
        name, at = tokens[at], at + 1
        if not re.fullmatch(r"\w+", name):
            raise SandboxGitHubError(400, f"unexpected {name!r} in a selection")
        args, sub = "", None
        if at < len(tokens) and tokens[at] == "(":
            args, at = _arguments(tokens, at)
        if at < len(tokens) and tokens[at] == "{":
            sub, at = _selection(tokens, at)
        fields[name] = (args, sub)
        at += 1 if at < len(tokens) and tokens[at] == "," else 0
    if at >= len(tokens):
        raise SandboxGitHubError(400, "unbalanced selection")
    return fields, at + 1


def _operation(query: str) -> Selection | None:
    """The top-level selection of a single `query` operation (variables' types are not
    checked); None for a mutation, or a query this parser does not read (aliases)."""
    try:
        return _query_selection(_graphql_tokens(query))
    except SandboxGitHubError:
        return None


def _query_selection(tokens: list[str]) -> Selection | None:
    at = 0
    if tokens and tokens[0] == "mutation":
        return None
    if tokens and tokens[0] == "query":
        at = 1 + (len(tokens) > 1 and re.fullmatch(r"\w+", tokens[1]) is not None)
        if at < len(tokens) and tokens[at] == "(":
            _, at = _arguments(tokens, at)
    if at >= len(tokens) or tokens[at] != "{":
        return None
    top, end = _selection(tokens, at)
    return top if end == len(tokens) else None


def _argument(raw: str, name: str, variables: dict[str, Any]) -> Any:
    m = re.search(rf"(?<![\w$]){name} : (\$\w+|\"(?:[^\"\\]|\\.)*\"|\w+)", raw)
    if m is None:
        return None
    value = m.group(1)
    if value.startswith("$"):
        return variables.get(value[1:])
    return value[1:-1] if value.startswith('"') else value


def _project(value: Any, fields: Selection | None, kind: str) -> Any:
    """`value` cut to the selected `fields`, GitHub's error for a field it lacks."""
    if fields is None or value is None:
        return value
    if isinstance(value, list):
        return [_project(v, fields, kind) for v in value]
    unknown = sorted(set(fields) - set(value))
    if unknown:
        raise SandboxGitHubError(
            400, f"Field '{unknown[0]}' doesn't exist on type '{kind}' (in the sandbox)"
        )
    return {f: _project(value[f], sub, f"{kind}.{f}") for f, (_, sub) in fields.items()}


def _deployment_node(gh: GitHub, d: dict[str, Any]) -> dict[str, Any]:
    latest = d["statuses"][-1] if d["statuses"] else None
    ref = d["ref"]
    is_sha = re.fullmatch(r"[0-9a-f]{40}", ref) is not None
    return {
        "id": node_id("Deployment", d["id"]),
        "databaseId": d["id"],
        "environment": d["environment"],
        "latestEnvironment": d["environment"],
        "originalEnvironment": d["environment"],
        "commitOid": d["sha"],
        "createdAt": iso(d["at"]),
        "updatedAt": iso(latest["at"] if latest else d["at"]),
        "description": d["description"],
        "task": "deploy",
        # Ref is null for a deployment made from a SHA; its name is the short one.
        "ref": None if is_sha else {"name": ref, "prefix": "refs/heads/"},
        "creator": {"login": d["creator"]},
        "latestStatus": None
        if latest is None
        else {
            "state": str(latest["state"]).upper(),
            "createdAt": iso(latest["at"]),
            "id": node_id("DeploymentStatus", latest["id"]),
        },
    }


def _deployments_of(gh: GitHub, repo: Repo, raw: str, variables: dict[str, Any]) -> Any:
    first = _argument(raw, "first", variables)
    if first is None or not str(first).isdigit() or not 1 <= int(first) <= 100:
        raise SandboxGitHubError(
            400,
            "You must provide a `first` value between 1 and 100 to properly paginate the "
            "`deployments` connection (the sandbox pages no further).",
        )
    newest_first = re.search(r"direction : DESC", raw) is not None  # schema default: ASC
    chosen = list(reversed(repo.deployments)) if newest_first else list(repo.deployments)
    nodes = [_deployment_node(gh, d) for d in chosen[: int(first)]]
    return {"nodes": nodes, "totalCount": len(repo.deployments)}


def deployments_query(svc: GithubService, call: Call, query: str) -> Response | None:
    """Answer `query($owner: String!, $name: String!) { repository(owner: $owner, name:
    $name) { defaultBranchRef { name } deployments(first: N, orderBy: {field: CREATED_AT,
    direction: DESC}) { nodes { databaseId environment commitOid createdAt ref { name }
    creator { login } latestStatus { state } } } } }` (any of those fields); None for
    another query. A repository the token cannot see is `null` with a NOT_FOUND error, at
    HTTP 200, as GitHub answers."""
    top = _operation(query)
    if top is None or set(top) != {"repository"}:
        return None
    raw, fields = top["repository"]
    variables = call.body.get("variables") or {}
    owner, name = _argument(raw, "owner", variables), _argument(raw, "name", variables)
    repo = svc.gh.repos.get(f"{owner}/{name}".lower())
    if repo is None or not svc.gh.can_see(repo, call.actor):
        error = {
            "type": "NOT_FOUND",
            "path": ["repository"],
            "locations": [{"line": 1, "column": 1}],
            "message": f"Could not resolve to a Repository with the name '{owner}/{name}'.",
        }
        return Response(200, {"data": {"repository": None}, "errors": [error]})
    deployments_args = (fields or {}).get("deployments", ("", None))[0]
    at = svc.gh.now()
    sample = {"id": 0, "sha": "0" * 40, "ref": "main", "environment": "", "creator": "x"}
    sample |= {"description": None, "at": at, "statuses": [{"id": 0, "state": "x", "at": at}]}
    # The fields are checked on a sample too: a repository without deployments answers an
    # unknown one with the same error as one with.
    _project(
        {"deployments": {"nodes": [_deployment_node(svc.gh, sample)]}},
        fields and {k: v for k, v in fields.items() if k == "deployments"},
        "Repository",
    )
    full = {
        "nameWithOwner": repo.full_name,
        "defaultBranchRef": {"name": "main", "prefix": "refs/heads/"},
        "deployments": _deployments_of(svc.gh, repo, deployments_args, variables),
    }
    data = {"repository": _project(full, fields, "Repository")}
    return Response(200, {"data": data})


GRAPHQL_ANSWERS.append(deployments_query)
