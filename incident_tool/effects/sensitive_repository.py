"""A sensitive report's text moved to the team's private repository (`sensitive.repository`,
SPEC §19; docs/security.md#a-public-repository), with SENSITIVE_TOKEN.

The workflow's GITHUB_TOKEN reaches the incidents repository only, so the private one is
written with a token of its own (a fine-grained token or a GitHub App's: issues: write on
that repository), as CHANGES_TOKEN reads other repositories (effects/changes.py). Whether
it can be used is a fact asked once per sensitive report (`refused`: one GET of the
repository); the move itself (`move`) asks who the token writes as (one GraphQL query),
lists that account's issues there since the report was opened (one GET), and opens the
issue only if none carries the report's marker (one POST): a retried run finds it. An
issue whose author is not the token's own account is not believed, whatever it holds
(issue #23 item 12).

Nothing here prints the token; messages name SENSITIVE_TOKEN, never its value.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from datetime import datetime

from incident_tool.config import Config
from incident_tool.core import safe, wording
from incident_tool.core.model import IssueView, MoveBody
from incident_tool.core.reconcile import hidden
from incident_tool.core.sensitive_move import marker_key
from incident_tool.effects.github import (
    DEFAULT_API_URL,
    Gateway,
    GitHubError,
    NotReadable,
    client,
)

SENSITIVE_TOKEN = "SENSITIVE_TOKEN"
NO_TOKEN = f"{SENSITIVE_TOKEN} is not set"
WAIT = 30.0  # seconds the channel's message waits for the move made in the same run

_lock = threading.Lock()
# One client per (API, repository, token) in a process (a sweep, the live connection):
# keyed by the token's digest, so no token is kept in a key anyone prints.
_gateways: dict[tuple[str, str, str], Gateway] = {}
_logins: dict[int, str] = {}  # by the id of a gateway kept above: who its token acts as


class _Moving:
    """A move made in this run, by its marker: the incident channel's message (the mirror,
    at the same time as the issue's writes) waits for it, for the private issue's link."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.url: str | None = None


_moving: dict[str, _Moving] = {}


def _slot(marker: str) -> _Moving:
    with _lock:
        return _moving.setdefault(marker, _Moving())


def token() -> str | None:
    return os.environ.get(SENSITIVE_TOKEN, "").strip() or None


def _key(base: str, repo: str, secret: str) -> tuple[str, str, str]:
    return base, repo.lower(), hashlib.sha256(secret.encode()).hexdigest()


def gateway_for(
    base: str, repo: str, log: Callable[[str], None], dry_run: bool = False
) -> Gateway | None:
    """The gateway that writes in `repo` with SENSITIVE_TOKEN; None without the token."""
    secret = token()
    if secret is None:
        return None
    key = _key(base, repo, secret)
    with _lock:
        found = _gateways.get(key)
        if found is None or found.dry_run != dry_run:
            found = Gateway(client(secret, base), repo, dry_run=dry_run, log=log)
            _gateways[key] = found
        return found


def base_of(gateway: Gateway) -> str:
    """The API the incidents repository's gateway talks to: the private one is on it too."""
    return str(gateway._gh.requester.base_url).rstrip("/")


def refused(gateway: Gateway, repo: str) -> str | None:
    """Why the report's text cannot be moved to `repo` (no token, out of its reach, not
    private), or None: one GET of the repository. The reasons name no repository: they go
    into the record, a public comment. Whether the token may open issues there GitHub does
    not say beforehand (a fine-grained token's `issues: write`): `move` finds out."""
    target = gateway_for(base_of(gateway), repo, gateway.log)
    if target is None:
        return NO_TOKEN
    try:
        visibility = target.repository_visibility(repo)
    except NotReadable:
        return f"{SENSITIVE_TOKEN} cannot reach it (GitHub answers 404: not found, or no access)"
    except GitHubError as exc:
        return f"it could not be read with {SENSITIVE_TOKEN}: {exc}"
    if visibility != "private":
        return f"it is {visibility}, not private"
    return None


def visibility_of(secret: str, base: str | None, repo: str) -> str:
    """`repo`'s visibility as `secret` sees it (`incident-tool check`): one GET; a
    GitHubError (NotReadable: 404) when it cannot."""
    return Gateway(client(secret, base), repo, log=lambda _: None).repository_visibility(repo)


def api_base() -> str:
    """The API the run's gateway talks to (GITHUB_API_URL, else GitHub's), for the mirror,
    which has none."""
    return (os.environ.get("GITHUB_API_URL") or "").strip().rstrip("/") or DEFAULT_API_URL


def _login(target: Gateway) -> str:
    key = id(target)
    with _lock:
        known = _logins.get(key)
    if known is None:
        known = target.viewer_login()
        if known is None:
            raise GitHubError(f"GitHub did not say which account {SENSITIVE_TOKEN} acts as")
        with _lock:
            _logins[key] = known
    return known


def find(target: Gateway, marker: str, since: datetime) -> IssueView | None:
    """The issue the token's own account opened with `marker` since `since`, if any (one
    request; the first opened, should there be more)."""
    found = target.issues_marked(_login(target), since, marker)
    return found[-1] if found else None  # newest first


def move(gateway: Gateway, action: MoveBody) -> str | None:
    """Open the private issue holding the report's text, unless a run before opened it:
    its URL (None in a dry run). A GitHubError stops the run before the stub replaces
    the text, so the next run tries again."""
    slot = _slot(action.marker)
    target = gateway_for(base_of(gateway), action.repository, gateway.log, gateway.dry_run)
    if target is None:
        slot.done.set()  # the channel's message does not wait for a move that cannot be
        raise GitHubError(f"could not move the report's text: {NO_TOKEN}")
    what = "move the report's text to the private repository"
    gateway.writes.append(what)
    if gateway.dry_run:
        gateway.log(f"[dry-run] would {what}")
        slot.done.set()
        return None
    try:
        existing = _found_or_opened(target, action)
        slot.url = existing.url if existing is not None else None
    finally:
        slot.done.set()
    return slot.url


def _found_or_opened(gateway: Gateway, action: MoveBody) -> IssueView | None:
    """The private repository's issue for `action` (`gateway` writes there): the one a run
    before opened, else a new one (one POST, looked for again before a retry)."""
    existing = find(gateway, action.marker, action.since)
    if existing is not None:
        return existing
    return gateway.create_issue(
        action.title,
        action.body,
        [],
        [],
        landed=lambda: find(gateway, action.marker, action.since),
    )


def channel_text(issue: IssueView, config: Config, log: Callable[[str], None]) -> str:
    """What the incident's private channel is told: the text is in the private repository,
    with a link to its issue when it can be found (two requests: the record, a public
    comment, never holds the link)."""
    repository = config.sensitive.repository or ""
    marker = wording.marker(marker_key(issue.repo, issue.number))
    url = None
    if not hidden(issue.body):
        # This run moves the text (its issue as read still holds it), at the same time.
        slot = _slot(marker)
        slot.done.wait(WAIT)
        url = slot.url
        with _lock:
            _moving.pop(marker, None)
    elif repository and (target := gateway_for(api_base(), repository, log)) is not None:
        try:
            found = find(target, marker, issue.created_at)
        except GitHubError as exc:
            log(f"notice: could not look for the private issue of #{issue.number}: {exc}")
            found = None
        url = found.url if found is not None else None
    if url is None:
        return wording.CHANNEL_NOT_IN_REPOSITORY.format(
            number=issue.number, repository=safe.slack(repository)
        )
    return wording.CHANNEL_MOVED_TO_REPOSITORY.format(
        number=issue.number, repository=safe.slack(repository), link=f"<{url}|the issue there>"
    )
