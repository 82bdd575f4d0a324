"""The sandbox locks conversations and hides comments as GitHub does (issue #23): the REST
lock endpoints, the comments a locked issue refuses, the `issues.locked`/`unlocked`
deliveries, and GraphQL minimizeComment/unminimizeComment, checked against the references
(tests/reference/github-rest-api-subset.json, github-graphql-minimize.graphql)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from incident_sandbox import Sandbox
from incident_sandbox.github_moderation import CLASSIFIERS, MINIMIZABLE_FIELDS
from tests.sandbox.test_sandbox_webhooks import validate

REPO = "wellcome/platform"
SCHEMA_CUT = Path(__file__).parents[1] / "reference" / "github-graphql-minimize.graphql"
LOCKED = "Unable to create comment because issue is locked."


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        gh = sandbox.github
        gh.add_repo(REPO)
        gh.add_user("alice")
        gh.add_collaborator(REPO, "alice", "write")
        gh.add_user("tess")
        gh.add_collaborator(REPO, "tess", "triage")
        gh.add_user("rita")  # reads the public repository, no more
        gh.open_issue(REPO, "rita", "Search is down", "It broke")
        gh.take_events()
        yield sandbox
        assert sandbox.violations == []


def _call(sb: Sandbox, login: str | None, method: str, path: str, **kw: Any) -> requests.Response:
    token = sb.github.bot_token if login is None else sb.github.user(login).token
    return requests.request(
        method,
        f"{sb.github_url}{path}",
        headers={"Authorization": f"token {token}"},
        timeout=5,
        **kw,
    )


def _lock(sb: Sandbox, login: str | None, body: Any = None) -> requests.Response:
    return _call(sb, login, "PUT", f"/repos/{REPO}/issues/1/lock", json=body)


def _comment(sb: Sandbox, login: str | None) -> requests.Response:
    return _call(sb, login, "POST", f"/repos/{REPO}/issues/1/comments", json={"body": "hi"})


def test_lock_and_unlock_need_push_access_and_a_documented_reason(sb: Sandbox) -> None:
    assert _lock(sb, "tess").status_code == 403  # triage is not push access
    refused = _lock(sb, "alice", {"lock_reason": "rude"})
    assert refused.status_code == 422 and "lock_reason" in refused.json()["message"]
    assert sb.github.issue(REPO, 1)["locked"] is False
    assert _call(sb, "alice", "DELETE", f"/repos/{REPO}/issues/1/lock").status_code == 404

    assert _lock(sb, None, {"lock_reason": "spam"}).status_code == 204  # the workflow's token
    issue = sb.github.issue(REPO, 1)
    assert (issue["locked"], issue["active_lock_reason"]) == (True, "spam")
    [event] = [e for e in sb.github.issue_events(REPO, 1) if e["event"] == "locked"]
    assert event["lock_reason"] == "spam"
    assert _call(sb, None, "DELETE", f"/repos/{REPO}/issues/1/lock").status_code == 204
    issue = sb.github.issue(REPO, 1)
    assert (issue["locked"], issue["active_lock_reason"]) == (False, None)
    assert _lock(sb, "alice").status_code == 204  # no body: no reason
    assert sb.github.issue(REPO, 1)["active_lock_reason"] is None
    # alice's lock is delivered; the workflow token's lock and unlock are not.
    events = sb.github.take_events()
    assert [(p["action"], p["sender"]["login"]) for _, p in events] == [("locked", "alice")]


def test_a_locked_issue_takes_comments_from_collaborators_only(sb: Sandbox) -> None:
    assert _comment(sb, "rita").status_code == 201
    sb.github.lock_issue(REPO, 1, "alice")
    for login in ("rita", "tess", None):  # no write access; the workflow's token
        refused = _comment(sb, login)
        assert refused.status_code == 403, login
        assert refused.json()["message"] == LOCKED
    assert _comment(sb, "alice").status_code == 201
    with pytest.raises(Exception, match="locked"):
        sb.github.comment(REPO, 1, "rita", "let me in")
    sb.github.unlock_issue(REPO, 1, "alice")
    assert _comment(sb, "rita").status_code == 201
    assert [c["user"]["login"] for c in sb.github.comments(REPO, 1)] == ["rita", "alice", "rita"]


def test_deliveries_say_locked_and_carry_it(sb: Sandbox) -> None:
    gh = sb.github
    gh.lock_issue(REPO, 1, "alice", "too heated")
    gh.close_issue(REPO, 1, "rita")  # the author may still close it
    gh.reopen_issue(REPO, 1, "rita")
    gh.unlock_issue(REPO, 1, "alice")
    _lock(sb, None)  # the workflow's token: no delivery, as for its other writes
    events = gh.take_events()
    assert [(name, p["action"]) for name, p in events] == [
        ("issues", "locked"),
        ("issues", "closed"),
        ("issues", "reopened"),
        ("issues", "unlocked"),
    ]
    for name, payload in events:
        validate(name, payload)
    locked, closed, reopened, unlocked = (p["issue"] for _, p in events)
    assert (locked["locked"], locked["active_lock_reason"]) == (True, "too heated")
    assert closed["locked"] and reopened["locked"] and not unlocked["locked"]
    assert closed["author_association"] == "NONE" and events[1][1]["sender"]["login"] == "rita"


def _minimize(
    sb: Sandbox,
    login: str | None,
    node: str,
    classifier: str | None = "SPAM",
    *,
    undo: bool = False,
) -> dict[str, Any]:
    verb = "unminimize" if undo else "minimize"
    kind = verb.capitalize()
    query = (
        f"mutation($input: {kind}CommentInput!) {{ {verb}Comment(input: $input) "
        f"{{ {verb}dComment {{ isMinimized minimizedReason }} }} }}"
    )
    given: dict[str, Any] = {"subjectId": node}
    if not undo:
        given["classifier"] = classifier
    answer = _call(
        sb, login, "POST", "/graphql", json={"query": query, "variables": {"input": given}}
    )
    assert answer.status_code == 200  # GraphQL says what went wrong in `errors`
    body: dict[str, Any] = answer.json()
    return body


def test_minimize_and_unminimize_a_comment(sb: Sandbox) -> None:
    comment = sb.github.comment(REPO, 1, "rita", "buy cheap watches")
    node = comment["node_id"]
    assert "minimized" not in comment  # a shown comment's JSON is as before
    done = _minimize(sb, None, node, "OFF_TOPIC")
    assert done == {
        "data": {
            "minimizeComment": {
                "minimizedComment": {"isMinimized": True, "minimizedReason": "off-topic"}
            }
        }
    }
    rest = _call(sb, "rita", "GET", f"/repos/{REPO}/issues/comments/{comment['id']}").json()
    assert rest["minimized"] == {"reason": "off-topic"} and rest["body"] == "buy cheap watches"
    shown = _minimize(sb, "alice", node, undo=True)
    assert shown["data"]["unminimizeComment"]["unminimizedComment"] == {
        "isMinimized": False,
        "minimizedReason": None,
    }
    assert "minimized" not in sb.github.comment_by_id(comment["id"])


def test_minimize_refusals(sb: Sandbox) -> None:
    comment = sb.github.comment(REPO, 1, "rita", "spam")
    node = comment["node_id"]
    wrong = _minimize(sb, None, node, "RUDE")
    assert "data" not in wrong and "to be one of: ABUSE" in wrong["errors"][0]["message"]
    missing = _minimize(sb, None, "MDEyOklzc3VlQ29tbWVudDk5OQ==")  # IssueComment999
    assert missing["data"] == {"minimizeComment": None}
    assert missing["errors"][0]["type"] == "NOT_FOUND"
    forbidden = _minimize(sb, "tess", node)  # hiding needs write access
    assert forbidden["errors"][0]["type"] == "FORBIDDEN"
    assert "minimized" not in sb.github.comment_by_id(comment["id"])


def test_the_sandbox_speaks_the_schemas_words() -> None:
    """What the sandbox takes and answers is what GitHub's schema (the copied cut) says."""
    text = SCHEMA_CUT.read_text(encoding="utf-8")

    def block(header: str) -> str:
        found = re.search(re.escape(header) + r" \{(.*?)\n\}", text, re.S)
        assert found is not None, header
        return re.sub(r'"""(.*?)"""', "", found.group(1), flags=re.S)

    def names(header: str) -> set[str]:
        return set(re.findall(r"^\s*(\w+)", block(header), re.M))

    assert names("enum ReportedContentClassifiers") == set(CLASSIFIERS)
    assert {n for n in names("interface Minimizable")} == MINIMIZABLE_FIELDS
    assert {"subjectId", "classifier"} <= names("input MinimizeCommentInput")
    assert "subjectId" in names("input UnminimizeCommentInput")
    assert "minimizedComment" in names("type MinimizeCommentPayload")
    assert "unminimizedComment" in names("type UnminimizeCommentPayload")
    mutation = block("type Mutation")
    assert "minimizeComment(" in mutation and "unminimizeComment(" in mutation
    # minimizedReason's words, as the interface's description lists them.
    described = re.findall(r"`([a-z-]+)`", text[text.index("minimizedReason") - 300 :][:400])
    assert set(described) == set(CLASSIFIERS.values())
