"""The sandbox against the API descriptions: tables, violations, response shapes."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from github import Auth, Github, GithubIntegration
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from incident_sandbox import Sandbox
from incident_sandbox.github_routes import HANDLERS, NOT_SERVED
from incident_sandbox.openapi import github_endpoints, slack_methods
from incident_sandbox.slack import NOT_SERVED as SLACK_NOT_SERVED
from incident_sandbox.slack import Slack

ROOT = Path(__file__).resolve().parents[2]
REPO = "wellcome/platform"

# Errors the sandbox answers that the 2020 Slack description does not list for the method,
# but that Slack returns today (api.slack.com method pages) or that come from faults.
SLACK_ERRORS_BEYOND_2020 = {
    "conversations.history": {"not_in_channel"},
    "conversations.archive": {"not_in_channel"},
    "conversations.list": {"invalid_cursor", "invalid_types"},
}


def _load_generator() -> ModuleType:
    path = ROOT / "tools" / "gen_sandbox_endpoints.py"
    spec = importlib.util.spec_from_file_location("gen_sandbox_endpoints", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("gen_sandbox_endpoints", module)
    spec.loader.exec_module(module)
    return module


def test_generated_tables_are_current() -> None:
    for path, text in _load_generator().generate(ROOT).items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.name} is stale: run python tools/gen_sandbox_endpoints.py"
        )


def test_every_handler_is_documented_and_every_endpoint_served() -> None:
    documented = github_endpoints().templates()
    assert set(HANDLERS) <= documented
    assert documented - set(HANDLERS) == NOT_SERVED
    for method in slack_methods().methods:
        served = hasattr(Slack, "api_" + method.replace(".", "_"))
        assert served != (method in SLACK_NOT_SERVED), method


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """A sandbox with one repository and two people."""
    with Sandbox() as sandbox:
        sandbox.github.add_repo(REPO)
        sandbox.github.add_user("alice", name="Alice")
        sandbox.github.add_collaborator(REPO, "alice", "admin")
        sandbox.github.add_user("rita")
        # A body: the search-result schema types it as a string (GitHub sends null without one).
        sandbox.github.open_issue(REPO, "rita", "x", "body")
        sandbox.slack.add_user("U0ALICE", "alice", email="alice@example.org")
        yield sandbox


def _gh(sb: Sandbox, method: str, path: str, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"token {sb.github.bot_token}"}
    return requests.request(method, f"{sb.github_url}{path}", headers=headers, timeout=5, **kwargs)


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "reason"),
    [
        ("GET", f"/repos/{REPO}/issues/1/secrets", {}, "no documented endpoint"),
        ("PUT", f"/repos/{REPO}/issues/1", {"json": {}}, "PUT is not documented"),
        ("PATCH", f"/repos/{REPO}/issues/1", {"json": {"priority": 1}}, "body field(s) priority"),
        (
            "GET",
            f"/repos/{REPO}/issues",
            {"params": {"colour": "red"}},
            "query parameter(s) colour",
        ),
        ("POST", f"/repos/{REPO}/issues/1/comments", {"json": ["x"]}, "JSON array body"),
        ("PATCH", "/user", {"json": {"bio": "x"}}, "not served by the sandbox"),
        ("POST", "/graphql", {"json": {"query": "{}", "extra": 1}}, "body field(s) extra"),
    ],
)
def test_undocumented_github_requests_are_violations(
    sb: Sandbox, method: str, path: str, kwargs: dict[str, Any], reason: str
) -> None:
    answer = _gh(sb, method, path, **kwargs)
    assert answer.status_code == 501
    assert "Undocumented request refused by the sandbox" in answer.json()["message"]
    assert len(sb.violations) == 1 and reason in sb.violations[0]
    assert sb.requests[-1].status == 501
    sb.reset_log()
    assert sb.violations == [] and sb.requests == []


def test_documented_but_invalid_values_are_422_not_violations(sb: Sandbox) -> None:
    answer = _gh(sb, "PATCH", f"/repos/{REPO}/issues/1", json={"state_reason": "complete"})
    assert answer.status_code == 422 and "state_reason" in answer.json()["message"]
    missing = _gh(sb, "POST", f"/repos/{REPO}/issues", json={"body": "no title"})
    assert missing.status_code == 422
    not_a_number = _gh(sb, "GET", f"/repos/{REPO}/issues/abc")
    assert not_a_number.status_code == 404
    assert sb.violations == []


def test_undocumented_slack_calls_are_violations(sb: Sandbox) -> None:
    client = WebClient(token=sb.slack.bot_token, base_url=sb.slack_url)
    with pytest.raises(SlackApiError) as err:
        client.api_call("bookmarks.add", params={"channel_id": "C1", "title": "x"})
    assert err.value.response["error"] == "unknown_method"
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="x", metadata={"event_type": "x"})
    assert err.value.response["error"] == "invalid_arg_name"
    assert len(sb.violations) == 2
    assert "bookmarks.add" in sb.violations[0] and "metadata" in sb.violations[1]


# --------------------------------------------------------- response shapes

_NOT_SCHEMA = {
    "example",
    "examples",
    "discriminator",
    "xml",
    "externalDocs",
    "deprecated",
    "readOnly",
    "writeOnly",
    "x-github",
}


def _to_jsonschema(schema: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON schema (``nullable`` becomes a null type)."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "properties":
            out[key] = {name: _to_jsonschema(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not"):
            out[key] = _to_jsonschema(value)
        elif key in ("oneOf", "anyOf", "allOf"):
            out[key] = [_to_jsonschema(sub) for sub in value]
        elif key not in _NOT_SCHEMA:
            out[key] = value
    if schema.get("nullable"):
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        elif "type" not in out:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


@lru_cache(maxsize=1)
def _rest_description() -> dict[str, Any]:
    path = ROOT / "tests" / "reference" / "github-rest-api-subset.json"
    spec = json.loads(path.read_text(encoding="utf-8"))
    # The two GitHub App endpoints the subset lacks (the supplement says where from).
    supplement = ROOT / "tests" / "reference" / "github-rest-api-apps-supplement.json"
    spec["paths"] |= json.loads(supplement.read_text(encoding="utf-8"))["paths"]
    return spec


def _exercise_every_endpoint(sb: Sandbox) -> None:
    g = Github(
        base_url=sb.github_url,
        auth=Auth.Token(sb.github.bot_token),
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )
    alice = Github(
        base_url=sb.github_url,
        auth=Auth.Token(sb.github.user("alice").token or ""),
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )
    repo = g.get_repo(REPO)
    issue = repo.create_issue("Outage", body="b", labels=["sev"], assignees=["alice"])
    issue.edit(title="Outage!", state="closed", state_reason="completed")
    list(repo.get_issues(state="all"))
    comment = issue.create_comment("hello")
    comment.edit("hello again")
    comment.create_reaction("eyes")
    list(comment.get_reactions())
    # Hidden (GraphQL minimizeComment), so the GET below has the schema's `minimized`.
    g.requester.requestJsonAndCheck(
        "POST",
        g.requester.graphql_url,
        input={
            "query": "mutation($i: MinimizeCommentInput!) { minimizeComment(input: $i) "
            "{ minimizedComment { isMinimized } } }",
            "variables": {"i": {"subjectId": comment.node_id, "classifier": "SPAM"}},
        },
    )
    list(issue.get_comments())
    repo.get_issue(issue.number).get_comment(comment.id)
    issue.lock("resolved")
    issue.unlock()
    issue.add_to_labels("a", "b")
    issue.set_labels("c")
    list(issue.get_labels())
    issue.remove_from_labels("c")
    issue.add_to_assignees("alice")
    issue.remove_from_assignees("alice")
    list(issue.get_events())
    list(issue.get_timeline())
    child = repo.create_issue("Follow-up", body="c")
    issue.add_sub_issue(child.id)
    list(issue.get_sub_issues())
    issue.remove_sub_issue(child.id)
    label = repo.create_label("new", "00ff00", "d")
    label.edit("newer", "0000ff")
    list(repo.get_labels())
    repo.get_label("newer").delete()
    repo.get_collaborator_permission("alice")
    g.get_user("alice").name  # noqa: B018
    alice.get_user().login  # noqa: B018
    list(g.search_issues(f"repo:{REPO} is:issue"))
    g.get_rate_limit()
    repo.create_file("a.txt", "add", "x")
    contents = repo.get_contents("a.txt")
    repo.update_file("a.txt", "update", "y", contents.sha)  # type: ignore[union-attr]
    repo.delete_file("a.txt", "delete", repo.get_contents("a.txt").sha)  # type: ignore[union-attr]
    repo.create_repository_dispatch("incident-report", {"title": "x"})
    sb.github.put_file(REPO, ".github/workflows/w.yml", "on: workflow_dispatch\n")
    g.requester.requestJsonAndCheck(
        "POST",
        f"{repo.url}/actions/workflows/w.yml/dispatches",
        input={"ref": "main", "return_run_details": True},
    )
    g.requester.requestJsonAndCheck("GET", f"{repo.url}/actions/workflows/w.yml/runs")
    comment.delete()
    _exercise_what_changed(sb, g, repo.url)
    workflow = repo.get_workflow("incident-sweep.yml")
    assert workflow.disable() and workflow.enable()
    # A GitHub App's installation looked up and its token made, with the App's JWT.
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    app = sb.github.apps.add("responder", public.decode(), [REPO])
    private = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    integration = GithubIntegration(auth=Auth.AppAuth(app.id, private), base_url=sb.github_url)
    installation = integration.get_repo_installation(*REPO.split("/"))
    assert integration.get_access_token(installation.id).token


def _exercise_what_changed(sb: Sandbox, g: Github, url: str) -> None:
    """Issue #24's reads: deployments, statuses, pull requests, releases, runs, a commit."""
    deployment = sb.github.add_deployment(REPO, "alice", environment="production")
    merged = sb.github.merge_pull_request(REPO, "alice", "Faster cache", files=["a.py"])
    sb.github.add_release(REPO, "alice", "v1.2.0", name="Spring")
    sb.github.add_workflow_run(REPO, ".github/workflows/ci.yml", conclusion="failure")
    get = g.requester.requestJsonAndCheck
    get("GET", f"{url}/deployments", {"per_page": 5})
    get("GET", f"{url}/deployments/{deployment['id']}/statuses", {"per_page": 1})
    get("GET", f"{url}/pulls", {"state": "closed", "sort": "updated", "direction": "desc"})
    get("GET", f"{url}/pulls/{merged['number']}")
    get("GET", f"{url}/releases", {"per_page": 5})
    get("GET", f"{url}/actions/runs", {"status": "failure", "created": ">=2020-01-01T00:00:00Z"})
    get("GET", f"{url}/commits/{merged['merge_commit_sha']}")


def test_github_responses_match_the_documented_schemas(sb: Sandbox) -> None:
    _exercise_every_endpoint(sb)
    assert sb.violations == []
    endpoints = github_endpoints()
    paths = _rest_description()["paths"]
    checked = set()
    for record in sb.requests:
        if record.service != "github" or record.response is None or record.path == "/graphql":
            continue
        match = endpoints.match(record.method, record.path)
        op = paths[match.operation.template][record.method.lower()]
        response = op["responses"][str(record.status)]
        schema = _to_jsonschema(response["content"]["application/json"]["schema"])
        jsonschema.Draft7Validator(schema).validate(record.response)
        checked.add((record.method, match.operation.template))
    served = {key for key in HANDLERS if key[1] != "/graphql"}
    no_body = {
        ("DELETE", "/repos/{owner}/{repo}/issues/comments/{comment_id}"),
        ("DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
        ("DELETE", "/repos/{owner}/{repo}/labels/{name}"),
        ("GET", "/repos/{owner}/{repo}/assignees/{assignee}"),
        ("POST", "/repos/{owner}/{repo}/dispatches"),
        ("PUT", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/enable"),
        ("PUT", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/disable"),
        ("PUT", "/repos/{owner}/{repo}/issues/{issue_number}/lock"),
        ("DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/lock"),
    }
    assert served - checked - no_body == set()


def test_slack_errors_are_documented(sb: Sandbox) -> None:
    client = WebClient(token=sb.slack.bot_token, base_url=sb.slack_url)
    channel = client.conversations_create(name="incident-1")["channel"]["id"]
    outside = sb.slack.add_channel("outside", bot_member=False)
    calls = [
        ("conversations_create", {"name": "incident-1"}),
        ("conversations_create", {"name": "Bad Name"}),
        ("conversations_invite", {"channel": channel, "users": "U0GHOST"}),
        ("conversations_setTopic", {"channel": "C0NONE", "topic": "x"}),
        ("conversations_history", {"channel": outside}),
        ("chat_postMessage", {"channel": outside, "text": "x"}),
        ("chat_update", {"channel": channel, "ts": "1.1", "text": "x"}),
        ("chat_getPermalink", {"channel": channel, "message_ts": "1.1"}),
        ("users_lookupByEmail", {"email": "nobody@example.org"}),
        ("users_info", {"user": "U0GHOST"}),
        ("pins_add", {"channel": channel, "timestamp": "1.1"}),
        ("reactions_add", {"channel": channel, "name": "eyes", "timestamp": "1.1"}),
        ("dnd_info", {"user": "U0GHOST"}),
        ("conversations_join", {"channel": "C0NONE"}),
        ("conversations_archive", {"channel": outside}),
        ("conversations_list", {"cursor": "bm9wZQ=="}),
    ]
    table = slack_methods().methods
    for name, kwargs in calls:
        with pytest.raises(SlackApiError) as err:
            getattr(client, name)(**kwargs)
        method = sb.requests[-1].path.removeprefix("/api/")
        error = err.value.response["error"]
        allowed = set(table[method]["errors"]) | SLACK_ERRORS_BEYOND_2020.get(method, set())
        assert error in allowed, (method, error)
    assert sb.violations == []
