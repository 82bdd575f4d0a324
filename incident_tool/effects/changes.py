"""Read what changed before an incident (docs/usage.md#what-changed-before-the-incident).

The incidents repository is read with the run's token (GITHUB_TOKEN); other repositories
with CHANGES_TOKEN (read-only: contents, deployments, actions, pull requests), and not at
all without it: the record then says which were not read and why. Each repository costs
four requests made at once (deployments, pull requests, releases, workflow runs: one page
each), every repository at once within the run's pool (effects/parallel.py); the
deployments come with their latest state and the repository's default branch in one
GraphQL query (effects/github.py), so those four are all a repository costs. A repository
the token cannot read is named once in the record; nothing is retried, and no run after
the declaration reads again.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import datetime

from incident_tool.core import wording
from incident_tool.core.changes import KINDS, Change, ChangeList, Found, pick
from incident_tool.core.model import Comment, CommentView, RevertPullRequest
from incident_tool.effects.github import Gateway, GitHubError, NotReadable, client
from incident_tool.effects.parallel import each

CHANGES_TOKEN = "CHANGES_TOKEN"
REVERT_TOKEN = "REVERT_TOKEN"
NO_TOKEN = f"{CHANGES_TOKEN} is not set (only the incidents repository is read)"


class ChangeReader:
    """Reads changes for one run: the incidents repository with the run's gateway, the
    others with a CHANGES_TOKEN client made the first time one is needed."""

    def __init__(
        self,
        gateway: Gateway,
        log: Callable[[str], None],
        token: str | None = None,
    ) -> None:
        self.gateway = gateway
        self.log = log
        self.token = token if token is not None else os.environ.get(CHANGES_TOKEN) or None
        self._other: Gateway | None = None

    def gateway_for(self, repo: str) -> Gateway | None:
        """The gateway that reads `repo`; None when no token may (no CHANGES_TOKEN)."""
        if repo.lower() == self.gateway.repo_name.lower():
            return self.gateway
        if not self.token:
            return None
        if self._other is None:
            base = self.gateway._gh.requester.base_url
            self._other = Gateway(client(self.token, base), repo, log=self.log)
        return self._other

    def read(self, repositories: tuple[str, ...], since: datetime, until: datetime) -> ChangeList:
        """The changes of `repositories` between `since` and `until`, with the latest state
        of each deployment among those shown, and the repositories not read with why."""
        unread: list[tuple[str, str]] = []
        readable = []
        for repo in repositories:
            if self.gateway_for(repo) is None:
                unread.append((repo, NO_TOKEN))
            else:
                readable.append(repo)
        asks = [(repo, what) for repo in readable for what in KINDS]

        def ask(pair: tuple[str, str]) -> list[Change] | str:
            repo, what = pair
            gateway = self.gateway_for(repo)
            assert gateway is not None  # readable: checked above
            try:
                return gateway.changes(repo, what, since, until)
            except NotReadable as exc:
                return str(exc)
            except GitHubError as exc:
                return f"{KINDS[what].lower()}s not read: {exc}"
            except (ValueError, TypeError, KeyError, AttributeError) as exc:
                # An answer not shaped as GitHub documents it: that list is left out, the
                # declaration goes on.
                return f"{KINDS[what].lower()}s not read: unexpected answer ({type(exc).__name__})"

        found: list[Change] = []
        for (repo, _), answer in zip(asks, each(ask, asks), strict=True):
            if isinstance(answer, str):
                if (repo, answer) not in unread:  # a repository it cannot see: named once
                    unread.append((repo, answer))
            else:
                found.extend(answer)
        shown = pick(self._on_default_branch(found), repositories)
        return ChangeList(tuple(shown), tuple(unread), len(asks))

    def _on_default_branch(self, found: list[Change]) -> list[Change]:
        """The changes without the failed runs of other branches than the default: as the
        deployments' or pull requests' answer named it (GitHub's runs list does not), else
        `main` or `master` (neither answer came)."""

        def default_of(repo: str) -> str | None:
            gateway = self.gateway_for(repo)
            return gateway.default_branch(repo) if gateway else None

        defaults = {c.repo: default_of(c.repo) for c in found if c.kind == "failed-run"}

        def on_default(branch: str, default: str | None) -> bool:
            return branch == default if default else branch in ("main", "master")

        return [
            c for c in found if c.kind != "failed-run" or on_default(c.detail, defaults[c.repo])
        ]

    def pull(self, repo: str, number: int) -> Found | None:
        """A pull request (`/suspect`, `/revert`), None when no token can read it."""
        gateway = self.gateway_for(repo)
        try:
            return gateway.pull_request(repo, number) if gateway else None
        except GitHubError as exc:
            self.log(f"notice: could not read {repo}#{number}: {exc}")
            return None

    def commit(self, repositories: tuple[str, ...], sha: str) -> Found | None:
        """The commit `sha` in the first of `repositories` that has it (in turn: a SHA is
        usually named with its repository, or found in the changes list first)."""
        for repo in repositories:
            gateway = self.gateway_for(repo)
            found = gateway.commit(repo, sha) if gateway else None
            if found is not None:
                return found
        return None


def unreadable(token: str, base_url: str | None, repositories: Sequence[str]) -> dict[str, str]:
    """The repositories `token` cannot read, with why: one GET /repos/{owner}/{repo} each,
    at once (`incident-tool check`, docs/adopting.md#check-the-setup)."""
    if not repositories:
        return {}
    gateway = Gateway(client(token, base_url), repositories[0], log=lambda _: None)
    reasons = each(gateway.repository_unreadable, list(repositories))
    return {repo: why for repo, why in zip(repositories, reasons, strict=True) if why}


def revert(
    gateway: Gateway, node_id: str, body: str, log: Callable[[str], None]
) -> tuple[int, str]:
    """Open the revert of a pull request with REVERT_TOKEN (never merged): its number and
    URL. GitHubError with the reason when it cannot (no token, no write access)."""
    token = os.environ.get(REVERT_TOKEN)
    if not token:
        raise GitHubError(f"{REVERT_TOKEN} is not set")
    base = gateway._gh.requester.base_url
    writer = Gateway(client(token, base), gateway.repo_name, log=log)
    return writer.revert_pull_request(node_id, body)


def revert_once(
    gateway: Gateway, action: RevertPullRequest, comments: Sequence[CommentView]
) -> Comment | None:
    """Open the revert `/revert` asked for, once (a reply with its marker on the issue means
    it was done: a run carried out again opens no second one); the reply to post, saying
    what was opened or why not. A dry run only says what it would do."""
    marker = wording.marker(action.key)
    if any(marker in c.body for c in comments):
        return None
    what = f"{action.repo}#{action.number}"
    if gateway.dry_run:
        gateway.log(f"would open a pull request reverting {what} (REVERT_TOKEN)")
        return None
    try:
        number, url = revert(gateway, action.node_id, action.body, gateway.log)
    except GitHubError as exc:
        why = wording.user_text(str(exc), inline=True)  # GitHub's words may quote people's
        text = wording.REVERT_REFUSED.format(marker=marker, what=what, why=why)
        return Comment(action.key, text, remember=False)
    text = wording.REVERT_OPENED.format(marker=marker, what=what, number=number, url=url)
    return Comment(action.key, text, remember=False)
