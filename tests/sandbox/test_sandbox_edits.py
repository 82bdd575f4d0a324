"""The sandbox gives a comment's revisions as GitHub's GraphQL API does (`userContentEdits`,
each `diff` the whole body after that edit), in the words of GitHub's schema
(tests/reference/github-graphql-edits.graphql), and it answers the query the gateway asks
(effects/github.py EDITS_QUERY): what a run reads to undo a forged record (issue #23)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from incident_sandbox import Sandbox
from incident_tool.effects.github import EDITS_QUERY

REPO = "wellcome/platform"
SCHEMA_CUT = Path(__file__).parents[1] / "reference" / "github-graphql-edits.graphql"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        gh = sandbox.github
        gh.add_repo(REPO)
        gh.add_user("alice")
        gh.add_collaborator(REPO, "alice", "write")
        gh.add_user("rita")
        gh.open_issue(REPO, "rita", "Search is down", "It broke")
        yield sandbox
        assert sandbox.violations == []


def _edits(sb: Sandbox, node: str, last: Any = 10, login: str = "alice") -> dict[str, Any]:
    answer = requests.post(
        f"{sb.github_url}/graphql",
        headers={"Authorization": f"token {sb.github.user(login).token}"},
        json={"query": EDITS_QUERY, "variables": {"id": node, "last": last}},
        timeout=5,
    )
    assert answer.status_code == 200
    return answer.json()


def test_an_edited_comments_revisions_are_its_whole_bodies_oldest_first(sb: Sandbox) -> None:
    gh = sb.github
    comment = gh.comment(REPO, 1, "rita", "first")
    node = gh.comments(REPO, 1)[0]["node_id"]
    assert _edits(sb, node)["data"]["node"]["userContentEdits"]["nodes"] == []  # never edited
    gh.edit_comment(REPO, comment["id"], "rita", "second")
    gh.edit_comment(REPO, comment["id"], "alice", "third")
    nodes = _edits(sb, node)["data"]["node"]["userContentEdits"]["nodes"]
    assert [(n["diff"], n["editor"]["login"]) for n in nodes] == [
        ("first", "rita"),
        ("second", "rita"),
        ("third", "alice"),
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", n["editedAt"]) for n in nodes)
    last_two = _edits(sb, node, last=2)["data"]["node"]["userContentEdits"]["nodes"]
    assert [n["diff"] for n in last_two] == ["second", "third"]


def test_a_bad_last_or_an_unknown_node_is_refused_as_github_does(sb: Sandbox) -> None:
    gh = sb.github
    gh.comment(REPO, 1, "rita", "first")
    node = gh.comments(REPO, 1)[0]["node_id"]
    assert "exceeds the `last` limit of 100" in _edits(sb, node, last=101)["errors"][0]["message"]
    unknown = _edits(sb, "MDEyOklzc3VlQ29tbWVudDk5OTk=")
    assert unknown["data"] == {"node": None} and unknown["errors"][0]["type"] == "NOT_FOUND"


def test_the_words_are_githubs() -> None:
    schema = SCHEMA_CUT.read_text(encoding="utf-8")
    edit = re.search(r"type UserContentEdit implements Node \{(.*?)\n\}", schema, re.S)
    connection = re.search(r"type UserContentEditConnection \{(.*?)\n\}", schema, re.S)
    comment = re.search(r"type IssueComment \{(.*?)\n\}", schema, re.S)
    assert edit and connection and comment
    for field_name in ("diff", "editedAt", "editor"):
        assert re.search(rf"^\s+{field_name}:", edit.group(1), re.M), field_name
    assert re.search(r"^\s+nodes: \[UserContentEdit\]", connection.group(1), re.M)
    assert re.search(r"^\s+last: Int$", comment.group(1), re.M)
    assert "): UserContentEditConnection" in comment.group(1)
    for word in ("userContentEdits(last: $last)", "nodes", "diff", "editedAt", "editor"):
        assert word in EDITS_QUERY
