"""Locking a conversation and hiding comments, as GitHub answers them (issue #23).

REST `PUT`/`DELETE /repos/{owner}/{repo}/issues/{issue_number}/lock` (their descriptions
in tests/reference/github-rest-api-subset.json) and the GraphQL mutations
`minimizeComment`/`unminimizeComment` (GitHub's schema; the part used is copied to
tests/reference/github-graphql-minimize.graphql). The state lives in
:mod:`incident_sandbox.github` (`Issue.locked`, `Comment.minimized_reason`); importing this
module registers the routes (incident_sandbox/server.py does).
"""

from __future__ import annotations

import base64
import re
from typing import Any

from incident_sandbox.github import Comment, GitHub
from incident_sandbox.github_routes import GRAPHQL_ANSWERS, Call, GithubService, route
from incident_sandbox.wire import Response

# ReportedContentClassifiers -> the word `minimizedReason` answers: "One of `abuse`,
# `off-topic`, `outdated`, `resolved`, `duplicate` and `spam`. Note that the case and
# formatting of these values differs from the inputs to the `MinimizeComment` mutation"
# (the Minimizable interface).
CLASSIFIERS = {
    "ABUSE": "abuse",
    "DUPLICATE": "duplicate",
    "OFF_TOPIC": "off-topic",
    "OUTDATED": "outdated",
    "RESOLVED": "resolved",
    "SPAM": "spam",
}
MINIMIZABLE_FIELDS = {"isMinimized", "minimizedReason", "viewerCanMinimize"}


@route("PUT", "/repos/{owner}/{repo}/issues/{issue_number}/lock")
def lock_issue(svc: GithubService, call: Call) -> Response:
    """204; a `lock_reason` outside off-topic, too heated, resolved and spam is refused 422
    by the body's validation against the operation's enum before this runs ("Lock will fail
    if you don't use one of these reasons")."""
    repo = svc.repo_for(call)
    issue = svc.issue_for(call, repo)
    reason = (call.body or {}).get("lock_reason")
    svc.gh.op_lock(repo, issue, call.actor or "", reason)
    return Response(204)


@route("DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/lock")
def unlock_issue(svc: GithubService, call: Call) -> Response:
    """204; 404 when the conversation is not locked."""
    repo = svc.repo_for(call)
    svc.gh.op_unlock(repo, svc.issue_for(call, repo), call.actor or "")
    return Response(204)


# ------------------------------------------------ GraphQL minimizeComment / unminimize

MINIMIZE = re.compile(
    r"^\s*mutation\s*\w*\s*\(\s*\$(\w+)\s*:\s*(Minimize|Unminimize)CommentInput!\s*\)\s*\{\s*"
    r"(?:\w+\s*:\s*)?(minimize|unminimize)Comment\s*\(\s*input\s*:\s*\$(\w+)\s*\)\s*\{\s*"
    r"(minimized|unminimized)Comment\s*\{([^{}]*)\}\s*\}\s*\}\s*$",
    re.S,
)


def _comment_by_node(gh: GitHub, node: str) -> Comment | None:
    try:
        decoded = base64.b64decode(node, validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    m = re.fullmatch(r"0\d+:IssueComment(\d+)", decoded)
    return gh.comments_by_id.get(int(m.group(1))) if m else None


def _failure(field: str, kind: str, message: str) -> Response:
    error = {"type": kind, "path": [field], "message": message}
    return Response(200, {"data": {field: None}, "errors": [error]})


def _invalid_input(variable: str, input_type: str, problem: str) -> Response:
    """A variable that does not fit its input type: GraphQL's validation error, no data."""
    message = f"Variable ${variable} of type {input_type}! was provided invalid value{problem}"
    return Response(200, {"errors": [{"message": message, "locations": [{"line": 1}]}]})


def minimize_mutation(svc: GithubService, call: Call, query: str) -> Response | None:
    """Answer `mutation($input: MinimizeCommentInput!) { minimizeComment(input: $input)
    { minimizedComment { isMinimized minimizedReason } } }` and its `unminimizeComment`
    twin; None for any other query. As GitHub, errors come back with HTTP 200: NOT_FOUND
    for a node the token cannot see, FORBIDDEN without write access."""
    m = MINIMIZE.match(query)
    if m is None:
        return None
    variable, input_kind, verb, ref, payload, selection = m.groups()
    fields = selection.replace(",", " ").split()
    if (
        variable != ref
        or input_kind.lower() != verb
        or payload != verb + "d"
        or not fields
        or set(fields) - MINIMIZABLE_FIELDS
    ):
        return None  # not a form answered here: the endpoint's own error says so
    field, input_type = f"{verb}Comment", f"{input_kind}CommentInput"
    given: Any = (call.body.get("variables") or {}).get(variable)
    if not isinstance(given, dict) or not isinstance(given.get("subjectId"), str):
        problem = " for subjectId (Expected value to not be null)"
        return _invalid_input(variable, input_type, problem)
    classifier = given.get("classifier")
    if verb == "minimize" and classifier not in CLASSIFIERS:
        choices = ", ".join(CLASSIFIERS)
        return _invalid_input(
            variable,
            input_type,
            f" for classifier (Expected {classifier!r} to be one of: {choices})",
        )
    comment = _comment_by_node(svc.gh, given["subjectId"])
    repo = svc.gh.repos.get(comment.repo.lower()) if comment else None
    if comment is None or repo is None or not svc.gh.can_see(repo, call.actor):
        node = given["subjectId"]
        return _failure(
            field, "NOT_FOUND", f"Could not resolve to a node with the global id of '{node}'"
        )
    if not svc.gh.may_minimize(repo, call.actor):
        return _failure(
            field,
            "FORBIDDEN",
            f"{call.actor} does not have the correct permissions to execute `{input_kind}Comment`",
        )
    svc.gh.op_minimize(comment, CLASSIFIERS[str(classifier)] if verb == "minimize" else None)
    answer = {
        "isMinimized": comment.minimized_reason is not None,
        "minimizedReason": comment.minimized_reason,
        "viewerCanMinimize": True,
    }
    data = {field: {f"{payload}Comment": {f: answer[f] for f in fields}}}
    return Response(200, {"data": data})


GRAPHQL_ANSWERS.append(minimize_mutation)
