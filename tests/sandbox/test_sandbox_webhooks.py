"""Webhook events queued by the sandbox: GitHub's payload shapes, and none for bot writes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from github import Auth, Github

from incident_sandbox import Sandbox

REPO = "wellcome/platform"
HERE = Path(__file__).parents[1]
SCHEMA = HERE / "reference" / "webhooks-schema.json"
EXAMPLES = HERE / "data" / "webhooks"


@lru_cache(maxsize=1)
def _definitions() -> dict[str, Any]:
    return json.loads(SCHEMA.read_text(encoding="utf-8"))["definitions"]


def validate(name: str, payload: dict[str, Any]) -> None:
    """Validate a payload against ``definitions[<event>$<action>]`` of the webhook schema."""
    schema = {"$ref": f"#/definitions/{name}${payload['action']}", "definitions": _definitions()}
    jsonschema.Draft7Validator(schema).validate(payload)


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """A sandbox with an organisation-owned repository and two people."""
    with Sandbox() as sandbox:
        gh = sandbox.github
        gh.add_repo(REPO)
        gh.add_user("alice", name="Alice")
        gh.add_collaborator(REPO, "alice", "maintain")
        gh.add_user("rita")
        gh.create_label(REPO, "incident:reported", "fbca04", "Reported")
        gh.create_label(REPO, "incident:declared", "d93f0b")
        yield sandbox
        assert sandbox.violations == []


def as_person(sb: Sandbox, login: str | None) -> Github:
    """PyGithub acting as a person, or as the bot when login is None."""
    token = sb.github.bot_token if login is None else sb.github.user(login).token
    return Github(
        base_url=sb.github_url,
        auth=Auth.Token(token),
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )


def test_helper_actions_emit_valid_payloads(sb: Sandbox) -> None:
    gh = sb.github
    gh.open_issue(REPO, "rita", "DB down", "It broke", labels=["incident:reported"])
    comment = gh.comment(REPO, 1, "rita", "more detail")
    gh.edit_comment(REPO, comment["id"], "rita", "/join")
    gh.add_label(REPO, 1, "alice", "incident:declared")
    gh.remove_label(REPO, 1, "alice", "incident:reported")
    gh.assign(REPO, 1, "alice", "alice")
    gh.edit_issue(REPO, 1, "rita", title="Database down")
    gh.close_issue(REPO, 1, "alice", reason="completed")
    gh.reopen_issue(REPO, 1, "alice")
    gh.delete_comment(REPO, comment["id"], "rita")
    events = gh.take_events()
    assert [(name, p["action"]) for name, p in events] == [
        ("issues", "opened"),
        ("issues", "labeled"),
        ("issue_comment", "created"),
        ("issue_comment", "edited"),
        ("issues", "labeled"),
        ("issues", "unlabeled"),
        ("issues", "assigned"),
        ("issues", "edited"),
        ("issues", "closed"),
        ("issues", "reopened"),
        ("issue_comment", "deleted"),
    ]
    for name, payload in events:
        validate(name, payload)
    by_action = {(n, p["action"]): p for n, p in events}
    opened = by_action[("issues", "opened")]
    assert opened["issue"]["labels"][0]["name"] == "incident:reported"
    assert opened["sender"]["login"] == "rita"
    assert opened["organization"]["login"] == "wellcome"
    assert opened["issue"]["url"] == f"{sb.github_url}/repos/{REPO}/issues/1"
    assert by_action[("issues", "unlabeled")]["label"]["name"] == "incident:reported"
    edited = by_action[("issue_comment", "edited")]
    assert edited["changes"] == {"body": {"from": "more detail"}}
    assert edited["comment"]["body"] == "/join"
    assert by_action[("issues", "edited")]["changes"] == {"title": {"from": "DB down"}}
    closed = by_action[("issues", "closed")]["issue"]
    assert closed["state_reason"] == "completed" and closed["closed_at"]
    assert gh.take_events() == []


def test_pull_request_comment_has_pull_request_key(sb: Sandbox) -> None:
    sb.github.open_pull_request_comment(REPO, "rita", "/resolve")
    [(name, payload)] = sb.github.take_events()
    assert name == "issue_comment" and "pull_request" in payload["issue"]
    validate(name, payload)


def test_user_owned_repository_has_no_organization(sb: Sandbox) -> None:
    sb.github.add_repo("alice/tools")
    sb.github.open_issue("alice/tools", "alice", "x")
    [(name, payload)] = sb.github.take_events()
    assert "organization" not in payload
    assert payload["issue"]["author_association"] == "OWNER"
    validate(name, payload)


def test_http_writes_by_people_emit_the_same_events(sb: Sandbox) -> None:
    repo = as_person(sb, "alice").get_repo(REPO)
    issue = repo.create_issue("Outage", body="x", labels=["incident:reported"])
    comment = issue.create_comment("hello")
    comment.edit("/status")
    issue.add_to_labels("incident:declared")
    issue.edit(state="closed", state_reason="not_planned")
    events = sb.github.take_events()
    assert [(n, p["action"]) for n, p in events] == [
        ("issues", "opened"),
        ("issues", "labeled"),
        ("issue_comment", "created"),
        ("issue_comment", "edited"),
        ("issues", "labeled"),
        ("issues", "closed"),
    ]
    for name, payload in events:
        validate(name, payload)
        assert payload["sender"]["login"] == "alice"


def test_bot_writes_emit_nothing(sb: Sandbox) -> None:
    sb.github.open_issue(REPO, "rita", "x")
    sb.github.take_events()
    issue = as_person(sb, None).get_repo(REPO).get_issue(1)
    comment = issue.create_comment("<!-- incident-tool:status -->")
    comment.edit("<!-- incident-tool:status --> updated")
    comment.create_reaction("+1")
    issue.add_to_labels("incident:declared")
    issue.remove_from_labels("incident:declared")
    issue.edit(assignees=["alice"], state="closed")
    as_person(sb, None).get_repo(REPO).create_issue("Retrospective", labels=["retrospective"])
    assert sb.github.take_events() == []
    assert sb.github.issue(REPO, 1)["state"] == "closed"


@pytest.mark.parametrize(
    "example",
    [
        "issues.opened.1.json",
        "issues.labeled.1.json",
        "issue_comment.created.1.json",
        "issue_comment.edited.1.json",
    ],
)
def test_payloads_carry_the_keys_of_real_ones(sb: Sandbox, example: str) -> None:
    real = json.loads((EXAMPLES / example).read_text(encoding="utf-8"))
    event, action = example.split(".")[:2]
    gh = sb.github
    gh.open_issue(REPO, "rita", "x", labels=["incident:reported"])
    comment = gh.comment(REPO, 1, "rita", "hello")
    gh.edit_comment(REPO, comment["id"], "rita", "hello again")
    ours = next(p for n, p in gh.take_events() if n == event and p["action"] == action)
    optional = {"installation", "organization"}
    assert set(real) - optional <= set(ours)
    for part in ("issue", "comment", "repository", "sender", "label", "changes"):
        if part in real:
            assert set(real[part]) <= set(ours[part]), part
    assert set(real["issue"]["user"]) <= set(ours["issue"]["user"])
