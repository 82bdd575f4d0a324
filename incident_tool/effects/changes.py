"""Read what changed before an incident (docs/usage.md#what-changed-before-the-incident).

The incidents repository is read with the run's token (GITHUB_TOKEN); other repositories
with CHANGES_TOKEN (read-only: contents, deployments, actions, pull requests), and not at
all without it: the record then says which were not read and why. Each repository costs
four requests made at once (deployments, pull requests, releases, workflow runs: one page
each), every repository at once within the run's pool (effects/parallel.py); then one
request per deployment shown, for its latest state. A repository the token cannot read is
named once in the record; nothing is retried, and no run after the declaration reads again.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from incident_tool.core.changes import KINDS, Change, ChangeList, pick
from incident_tool.effects.github import Gateway, GitHubError, NotReadable, client
from incident_tool.effects.parallel import each

CHANGES_TOKEN = "CHANGES_TOKEN"
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

        found: list[Change] = []
        for (repo, _), answer in zip(asks, each(ask, asks), strict=True):
            if isinstance(answer, str):
                if (repo, answer) not in unread:  # a repository it cannot see: named once
                    unread.append((repo, answer))
            else:
                found.extend(answer)
        shown = pick(found, repositories)
        with_states, more = self._with_states(shown)
        return ChangeList(tuple(with_states), tuple(unread), len(asks) + more)

    def _with_states(self, shown: list[Change]) -> tuple[list[Change], int]:
        """The shown deployments with their latest state (one request each, at once)."""
        deployments = [c for c in shown if c.kind == "deploy" and c.ident]

        def state(change: Change) -> str | None:
            gateway = self.gateway_for(change.repo)
            return gateway.deployment_state(change.repo, change.ident) if gateway else None

        states = dict(zip(deployments, each(state, deployments), strict=True))
        out = []
        for c in shown:
            told = states.get(c)
            if told:
                detail = f"{c.detail}, {told}" if c.detail else told
                c = replace(c, detail=detail)
            out.append(c)
        return out, len(deployments)
