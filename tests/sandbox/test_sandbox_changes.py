"""The sandbox's GitHub answers what changed (issue #24) as GitHub does: newest first,
paged with Link headers, 404 for a repository the token cannot see, and GraphQL
revertPullRequest opening (never merging) a revert pull request."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests

from incident_sandbox import Sandbox

REPO = "wellcome/platform"
SECRET = "wellcome/vault"
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        gh = sandbox.github
        gh.add_repo(REPO)
        gh.add_repo(SECRET, private=True)
        gh.add_user("alice")
        gh.add_collaborator(REPO, "alice", "write")
        gh.add_user("rita")  # may read REPO (public), nothing of SECRET
        yield sandbox


def _get(sb: Sandbox, login: str, path: str, **params: Any) -> requests.Response:
    token = sb.github.user(login).token
    return requests.get(
        f"{sb.github_url}{path}",
        params=params,
        headers={"Authorization": f"token {token}"},
        timeout=5,
    )


def _graphql(sb: Sandbox, login: str, node: str) -> dict[str, Any]:
    query = (
        "mutation($input: RevertPullRequestInput!) { revertPullRequest(input: $input) "
        "{ revertPullRequest { number url title } } }"
    )
    token = sb.github.user(login).token
    answer = requests.post(
        f"{sb.github_url}/graphql",
        json={"query": query, "variables": {"input": {"pullRequestId": node, "body": "b"}}},
        headers={"Authorization": f"token {token}"},
        timeout=5,
    )
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def test_deployments_newest_first_paged_with_their_latest_status(sb: Sandbox) -> None:
    for hours in (3, 2, 1):
        sb.github.add_deployment(REPO, "alice", ref=f"v{hours}", at=T0 - timedelta(hours=hours))
    first = _get(sb, "alice", f"/repos/{REPO}/deployments", per_page=2)
    assert [d["ref"] for d in first.json()] == ["v1", "v2"]
    assert 'rel="next"' in first.headers["Link"]
    second = _get(sb, "alice", f"/repos/{REPO}/deployments", per_page=2, page=2)
    assert [d["ref"] for d in second.json()] == ["v3"]
    newest = first.json()[0]
    sb.github.add_deployment_status(REPO, newest["id"], "alice", "failure")
    statuses = _get(sb, "alice", f"/repos/{REPO}/deployments/{newest['id']}/statuses")
    assert [s["state"] for s in statuses.json()] == ["failure", "success"]
    assert _get(sb, "alice", f"/repos/{REPO}/deployments/999/statuses").status_code == 404


def test_merged_pull_requests_releases_and_failed_runs(sb: Sandbox) -> None:
    merged = sb.github.merge_pull_request(REPO, "alice", "Cache <!here>", at=T0)
    sb.github.open_pull_request(REPO, "alice", "Still open")
    closed = _get(sb, "rita", f"/repos/{REPO}/pulls", state="closed").json()
    assert [(p["title"], p["merged_at"]) for p in closed] == [
        ("Cache <!here>", "2026-03-02T12:00:00Z")
    ]
    assert closed[0]["base"]["repo"]["default_branch"] == "main"
    assert [p["title"] for p in _get(sb, "rita", f"/repos/{REPO}/pulls").json()] == ["Still open"]
    one = _get(sb, "rita", f"/repos/{REPO}/pulls/{merged['number']}").json()
    assert one["merged"] is True and one["merged_by"]["login"] == "alice"
    commit = _get(sb, "rita", f"/repos/{REPO}/commits/{merged['merge_commit_sha'][:7]}").json()
    assert commit["author"]["login"] == "alice"
    assert _get(sb, "rita", f"/repos/{REPO}/commits/deadbeef").status_code == 422

    sb.github.add_release(REPO, "alice", "v2.0.0", at=T0)
    assert [r["tag_name"] for r in _get(sb, "rita", f"/repos/{REPO}/releases").json()] == ["v2.0.0"]

    ci = ".github/workflows/ci.yml"
    sb.github.add_workflow_run(REPO, ci, conclusion="failure", at=T0 - timedelta(days=2))
    sb.github.add_workflow_run(REPO, ci, conclusion="failure", at=T0, title="Deploy")
    sb.github.add_workflow_run(REPO, ci, conclusion="success", at=T0)
    sb.github.add_workflow_run(REPO, ci, conclusion="failure", at=T0, head_branch="topic")
    runs = _get(
        sb,
        "rita",
        f"/repos/{REPO}/actions/runs",
        status="failure",
        branch="main",
        created=">=2026-03-01T12:00:00Z",
    ).json()
    assert runs["total_count"] == 1
    assert runs["workflow_runs"][0]["display_title"] == "Deploy"


def test_a_repository_the_token_cannot_see_is_404_for_every_list(sb: Sandbox) -> None:
    sb.github.add_deployment(SECRET, sb.github.bot_login)
    for what in ("deployments", "pulls", "releases", "actions/runs"):
        assert _get(sb, "rita", f"/repos/{SECRET}/{what}").status_code == 404, what
    assert _get(sb, "alice", f"/repos/{SECRET}/deployments").status_code == 404


def test_revert_pull_request_opens_a_revert_and_never_merges(sb: Sandbox) -> None:
    merged = sb.github.merge_pull_request(REPO, "alice", "Faster cache", base="main", at=T0)
    node = _get(sb, "alice", f"/repos/{REPO}/pulls/{merged['number']}").json()["node_id"]

    refused = _graphql(sb, "rita", node)  # rita may read but not write
    assert refused["data"] == {"revertPullRequest": None}
    assert refused["errors"][0]["type"] == "FORBIDDEN"
    assert _graphql(sb, "alice", "bm9wZQ==")["errors"][0]["type"] == "NOT_FOUND"

    made = _graphql(sb, "alice", node)["data"]["revertPullRequest"]["revertPullRequest"]
    assert made["title"] == 'Revert "Faster cache"'
    revert = _get(sb, "alice", f"/repos/{REPO}/pulls/{made['number']}").json()
    assert (revert["state"], revert["merged"], revert["base"]["ref"]) == ("open", False, "main")
    assert revert["body"] == "b"


DEPLOYMENTS = (
    "query($owner: String!, $name: String!) { repository(owner: $owner, name: $name) { "
    "defaultBranchRef { name } deployments(first: 2, orderBy: {field: CREATED_AT, "
    "direction: DESC}) { nodes { databaseId environment ref { name } creator { login } "
    "latestStatus { state } } } } }"
)


def _query(sb: Sandbox, login: str, query: str, repo: str) -> dict[str, Any]:
    owner, name = repo.split("/")
    answer = requests.post(
        f"{sb.github_url}/graphql",
        json={"query": query, "variables": {"owner": owner, "name": name}},
        headers={"Authorization": f"token {sb.github.user(login).token}"},
        timeout=5,
    )
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def test_graphql_deployments_newest_first_with_their_latest_status(sb: Sandbox) -> None:
    for hours in (3, 2, 1):
        sb.github.add_deployment(REPO, "alice", ref=f"v{hours}", at=T0 - timedelta(hours=hours))
    newest = sb.github.repo(REPO).deployments[-1]
    sb.github.add_deployment_status(REPO, newest["id"], "alice", "failure")
    found = _query(sb, "rita", DEPLOYMENTS, REPO)["data"]["repository"]
    assert found["defaultBranchRef"] == {"name": "main"}
    assert found["deployments"]["nodes"] == [  # only the fields asked for
        {
            "databaseId": newest["id"],
            "environment": "production",
            "ref": {"name": "v1"},
            "creator": {"login": "alice"},
            "latestStatus": {"state": "FAILURE"},
        },
        {
            "databaseId": newest["id"] - 1,
            "environment": "production",
            "ref": {"name": "v2"},
            "creator": {"login": "alice"},
            "latestStatus": {"state": "SUCCESS"},
        },
    ]
    # The schema's default order is oldest first.
    oldest_first = DEPLOYMENTS.replace("direction: DESC", "direction: ASC")
    nodes = _query(sb, "rita", oldest_first, REPO)["data"]["repository"]["deployments"]["nodes"]
    assert [n["ref"]["name"] for n in nodes] == ["v3", "v2"]


def test_graphql_deployments_of_a_repository_the_token_cannot_see(sb: Sandbox) -> None:
    sb.github.add_deployment(SECRET, sb.github.bot_login)
    answer = _query(sb, "rita", DEPLOYMENTS, SECRET)
    assert answer["data"] == {"repository": None}
    assert [e["type"] for e in answer["errors"]] == ["NOT_FOUND"]
    unknown = DEPLOYMENTS.replace("databaseId", "secretField")
    assert (
        requests.post(
            f"{sb.github_url}/graphql",
            json={"query": unknown, "variables": {"owner": "wellcome", "name": "platform"}},
            headers={"Authorization": f"token {sb.github.user('rita').token}"},
            timeout=5,
        ).status_code
        == 400
    )


def test_the_gateway_reads_deployments_with_their_state_in_one_request(sb: Sandbox) -> None:
    from incident_tool.effects.github import Gateway, NotReadable, client

    sb.github.add_deployment(REPO, "alice", ref="v7", at=T0 - timedelta(minutes=5), state="error")
    sb.github.add_deployment(SECRET, sb.github.bot_login, at=T0)
    token = sb.github.user("rita").token or ""
    gateway = Gateway(client(token, sb.github_url), REPO, log=lambda _: None)
    before = len(sb.requests)
    [deploy] = gateway.changes(REPO, "deploy", T0 - timedelta(hours=1), T0)
    assert [r.path for r in sb.requests[before:]] == ["/graphql"]
    assert (deploy.title, deploy.who, deploy.detail) == ("v7", "alice", "production, error")
    assert deploy.ident == sb.github.repo(REPO).deployments[0]["id"]
    assert gateway.default_branch(REPO) == "main"
    # A read over POST: a 5xx is tried again, as GithubRetry tries a GET again.
    sb.faults.add("github", method="POST", path="^/graphql$", status=502, times=2)
    [again] = gateway.changes(REPO, "deploy", T0 - timedelta(hours=1), T0)
    assert again == deploy and sb.faults.injected == 2
    with pytest.raises(NotReadable):
        gateway.changes(SECRET, "deploy", T0 - timedelta(hours=1), T0)
    assert gateway.default_branch(SECRET) is None
    # Without the deployments, the merged pull requests' base repository names it too.
    sb.github.merge_pull_request(REPO, "alice", "Faster", at=T0 - timedelta(minutes=1))
    fresh = Gateway(client(token, sb.github_url), REPO, log=lambda _: None)
    assert [c.kind for c in fresh.changes(REPO, "merge", T0 - timedelta(hours=1), T0)] == ["merge"]
    assert fresh.default_branch(REPO) == "main"
