"""Webhook events the sandbox queues for human actions, in GitHub's payload shapes.

GitHub delivers ``issues`` and ``issue_comment`` events whose ``issue``, ``comment``,
``label``, ``repository`` and ``sender`` objects are the REST objects, less a few REST-only
fields. The key sets below are those of the webhook schema
(``@octokit/webhooks-schemas``, copied to ``tests/reference/webhooks-schema.json``), which
``tests/sandbox/test_sandbox_webhooks.py`` validates emitted payloads against.

Writes made with the bot token (the workflow's ``GITHUB_TOKEN``) queue nothing: GitHub
starts no workflow run for them.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

ISSUE_KEYS = frozenset(
    """url repository_url labels_url comments_url events_url html_url id node_id number title
    user labels state locked assignee assignees milestone comments created_at updated_at
    closed_at author_association active_lock_reason draft performed_via_github_app
    pull_request body reactions timeline_url state_reason""".split()
)
COMMENT_KEYS = frozenset(
    """url html_url issue_url id node_id user created_at updated_at author_association body
    reactions performed_via_github_app""".split()
)
LABEL_KEYS = frozenset("id node_id url name description color default".split())
USER_KEYS = frozenset(
    """login id node_id name email avatar_url gravatar_id url html_url followers_url
    following_url gists_url starred_url subscriptions_url organizations_url repos_url
    events_url received_events_url type site_admin""".split()
)
REPOSITORY_KEYS = frozenset(
    """id node_id name full_name private owner html_url description fork url forks_url
    keys_url collaborators_url teams_url hooks_url issue_events_url events_url assignees_url
    branches_url tags_url blobs_url git_tags_url git_refs_url trees_url statuses_url
    languages_url stargazers_url contributors_url subscribers_url subscription_url
    commits_url git_commits_url comments_url issue_comment_url contents_url compare_url
    merges_url archive_url downloads_url issues_url pulls_url milestones_url
    notifications_url labels_url releases_url deployments_url created_at updated_at
    pushed_at git_url ssh_url clone_url svn_url homepage size stargazers_count
    watchers_count language has_issues has_projects has_downloads has_wiki has_pages
    has_discussions forks_count mirror_url archived disabled open_issues_count license
    forks open_issues watchers stargazers default_branch allow_squash_merge
    allow_merge_commit allow_rebase_merge allow_auto_merge allow_forking
    allow_update_branch use_squash_pr_title_as_default squash_merge_commit_message
    squash_merge_commit_title merge_commit_message merge_commit_title is_template
    web_commit_signoff_required topics visibility delete_branch_on_merge master_branch
    permissions public organization custom_properties""".split()
)
ORGANIZATION_KEYS = frozenset(
    """login id node_id url html_url repos_url events_url hooks_url issues_url members_url
    public_members_url avatar_url description""".split()
)
PULL_REQUEST_KEYS = frozenset("url html_url diff_url patch_url merged_at".split())


def _only(obj: dict[str, Any], keys: frozenset[str]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in obj.items() if k in keys}


def webhook_user(user: dict[str, Any]) -> dict[str, Any]:
    """A REST user as it appears in webhook payloads."""
    return _only(user, USER_KEYS)


def webhook_label(label: dict[str, Any]) -> dict[str, Any]:
    """A REST label as it appears in webhook payloads."""
    return _only(label, LABEL_KEYS)


def webhook_issue(issue: dict[str, Any]) -> dict[str, Any]:
    """A REST issue as it appears in webhook payloads (REST-only fields dropped)."""
    out = _only(issue, ISSUE_KEYS)
    out["user"] = webhook_user(issue["user"])
    out["labels"] = [webhook_label(label) for label in issue.get("labels", [])]
    out["assignee"] = webhook_user(issue["assignee"]) if issue.get("assignee") else None
    out["assignees"] = [webhook_user(u) for u in issue.get("assignees", [])]
    if "pull_request" in out:
        out["pull_request"] = _only(out["pull_request"], PULL_REQUEST_KEYS)
    return out


def webhook_comment(comment: dict[str, Any]) -> dict[str, Any]:
    """A REST issue comment as it appears in webhook payloads."""
    out = _only(comment, COMMENT_KEYS)
    out["user"] = webhook_user(comment["user"])
    return out


def webhook_repository(repo: dict[str, Any]) -> dict[str, Any]:
    """A REST repository as it appears in webhook payloads."""
    out = _only(repo, REPOSITORY_KEYS)
    out["owner"] = webhook_user(repo["owner"])
    out.pop("permissions", None)
    out.pop("organization", None)
    return out


def webhook_organization(org: dict[str, Any]) -> dict[str, Any]:
    """An organisation account as it appears in webhook payloads."""
    return _only(org, ORGANIZATION_KEYS)


def issues_payload(
    action: str,
    issue: dict[str, Any],
    repository: dict[str, Any],
    sender: dict[str, Any],
    organization: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Payload of an ``issues`` event (``extra``: label, assignee, changes)."""
    payload: dict[str, Any] = {"action": action}
    if "changes" in extra:
        payload["changes"] = extra.pop("changes")
    payload["issue"] = webhook_issue(issue)
    if "label" in extra:
        payload["label"] = webhook_label(extra.pop("label"))
    if "assignee" in extra:
        assignee = extra.pop("assignee")
        payload["assignee"] = webhook_user(assignee) if assignee else None
    if extra:
        raise TypeError(f"unexpected payload parts: {sorted(extra)}")
    payload["repository"] = webhook_repository(repository)
    if organization is not None:
        payload["organization"] = webhook_organization(organization)
    payload["sender"] = webhook_user(sender)
    return payload


def issue_comment_payload(
    action: str,
    issue: dict[str, Any],
    comment: dict[str, Any],
    repository: dict[str, Any],
    sender: dict[str, Any],
    organization: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Payload of an ``issue_comment`` event."""
    payload: dict[str, Any] = {"action": action}
    if changes is not None:
        payload["changes"] = changes
    payload["issue"] = webhook_issue(issue)
    payload["comment"] = webhook_comment(comment)
    payload["repository"] = webhook_repository(repository)
    if organization is not None:
        payload["organization"] = webhook_organization(organization)
    payload["sender"] = webhook_user(sender)
    return payload


class EventQueue:
    """Thread-safe queue of ``(event_name, payload)`` pairs waiting to be taken."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[tuple[str, dict[str, Any]]] = []

    def put(self, name: str, payload: dict[str, Any]) -> None:
        """Queue one event."""
        with self._lock:
            self._events.append((name, payload))

    def take(self) -> list[tuple[str, dict[str, Any]]]:
        """Every event queued since the last call, oldest first."""
        with self._lock:
            events, self._events = self._events, []
        return events

    def __len__(self) -> int:
        with self._lock:
            return len(self._events)


# An installation as `repository_dispatch` payloads carry it: GitHub Actions is itself a
# GitHub App, and the real examples (tests/data/webhooks/repository_dispatch.*.json) and
# the webhook schema both have one.
ACTIONS_INSTALLATION = {"id": 15368, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMTUzNjg="}


def repository_dispatch_payload(
    event_type: str,
    client_payload: dict[str, Any],
    repository: dict[str, Any],
    sender: dict[str, Any],
    organization: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Payload of a ``repository_dispatch`` event: ``action`` is the event type, ``branch``
    the default branch (as in ``repository_dispatch.on-demand-test.1.json``)."""
    payload: dict[str, Any] = {
        "action": event_type,
        "branch": repository.get("default_branch") or "main",
        "client_payload": copy.deepcopy(client_payload),
        "repository": webhook_repository(repository),
    }
    if organization is not None:
        payload["organization"] = webhook_organization(organization)
    payload["sender"] = webhook_user(sender)
    payload["installation"] = dict(ACTIONS_INSTALLATION)
    return payload


def workflow_dispatch_payload(
    inputs: dict[str, Any],
    ref: str,
    workflow: str,
    repository: dict[str, Any],
    sender: dict[str, Any],
    organization: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Payload of a ``workflow_dispatch`` event (as in ``workflow_dispatch.1.json``):
    ``ref`` in full (``refs/heads/main``), ``workflow`` the file's path."""
    payload: dict[str, Any] = {
        "inputs": copy.deepcopy(inputs),
        "ref": ref,
        "repository": webhook_repository(repository),
    }
    if organization is not None:
        payload["organization"] = webhook_organization(organization)
    payload["sender"] = webhook_user(sender)
    payload["workflow"] = workflow
    return payload
