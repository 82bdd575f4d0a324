"""A comment's revisions, as GitHub's GraphQL API gives them: `userContentEdits` of an
`IssueComment` (GitHub's schema, `UserContentEdit`: `diff`, `editedAt`, `editor`; the part
used is copied to tests/reference/github-graphql-edits.graphql). Each `diff` is the whole
body after that edit (kurone-kito/idd-skill#3133: "treat each `diff` as the full post-edit
body"); an edited comment's first revision is its original text. The revisions live on
:class:`incident_sandbox.github.Comment` (`edits`); importing this module registers the
query (incident_sandbox/server.py does).
"""

from __future__ import annotations

import re
from typing import Any

from incident_sandbox.github import iso
from incident_sandbox.github_moderation import _comment_by_node
from incident_sandbox.github_routes import GRAPHQL_ANSWERS, Call, GithubService
from incident_sandbox.wire import Response

EDITS = re.compile(
    r"^\s*query\s*\w*\s*\(\s*\$(\w+)\s*:\s*ID!\s*,\s*\$(\w+)\s*:\s*Int!\s*\)\s*\{\s*"
    r"node\s*\(\s*id\s*:\s*\$(\w+)\s*\)\s*\{\s*\.\.\.\s*on\s+IssueComment\s*\{\s*"
    r"userContentEdits\s*\(\s*last\s*:\s*\$(\w+)\s*\)\s*\{\s*nodes\s*\{\s*"
    r"diff\s+editedAt\s+editor\s*\{\s*login\s*\}\s*\}\s*\}\s*\}\s*\}\s*\}\s*$",
    re.S,
)
MAX_LAST = 100  # GitHub's connections take `first`/`last` of 1 to 100


def edits_query(svc: GithubService, call: Call, query: str) -> Response | None:
    """Answer `query($id: ID!, $last: Int!) { node(id: $id) { ... on IssueComment {
    userContentEdits(last: $last) { nodes { diff editedAt editor { login } } } } } }`, oldest
    first as GitHub's connections are; None for any other query. A node the token cannot
    see is NOT_FOUND, with HTTP 200, as GitHub answers."""
    m = EDITS.match(query)
    if m is None:
        return None
    node_var, last_var, node_ref, last_ref = m.groups()
    if node_var != node_ref or last_var != last_ref:
        return None
    variables: dict[str, Any] = call.body.get("variables") or {}
    node, last = variables.get(node_var), variables.get(last_var)
    if not isinstance(last, int) or not 1 <= last <= MAX_LAST:
        message = (
            f"Requesting {last} records on the `userContentEdits` connection exceeds the "
            "`last` limit of 100 records."
        )
        return Response(200, {"data": None, "errors": [{"message": message}]})
    comment = _comment_by_node(svc.gh, str(node)) if isinstance(node, str) else None
    repo = svc.gh.repos.get(comment.repo.lower()) if comment else None
    if comment is None or repo is None or not svc.gh.can_see(repo, call.actor):
        error = {
            "type": "NOT_FOUND",
            "path": ["node"],
            "message": f"Could not resolve to a node with the global id of '{node}'",
        }
        return Response(200, {"data": {"node": None}, "errors": [error]})
    nodes = [
        {"diff": body, "editedAt": iso(when), "editor": {"login": editor}}
        for editor, when, body in comment.edits[-last:]
    ]
    return Response(200, {"data": {"node": {"userContentEdits": {"nodes": nodes}}}})


GRAPHQL_ANSWERS.append(edits_query)
