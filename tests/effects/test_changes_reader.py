"""effects/changes.py's ChangeReader over a stand-in gateway: which repositories it reads
with which token, what it names as not read (once), and what a read costs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from incident_tool.core.changes import Change
from incident_tool.effects.changes import NO_TOKEN, ChangeReader
from incident_tool.effects.github import GitHubError, NotReadable

T = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)


class StandIn:
    """Answers `changes` per (repository, kind): a list, or an exception to raise."""

    def __init__(self, answers: dict[tuple[str, str], Any]) -> None:
        self.repo_name = "org/incidents"
        self.answers = answers
        self.asked: list[tuple[str, str]] = []
        self.defaults: dict[str, str] = {}  # as the deployments or pull requests named it

    def changes(self, repo: str, what: str, since: datetime, until: datetime) -> list[Change]:
        self.asked.append((repo, what))
        answer = self.answers.get((repo, what), [])
        if isinstance(answer, Exception):
            raise answer
        return list(answer)

    def default_branch(self, repo: str) -> str | None:
        return self.defaults.get(repo)


def reader(gateway: StandIn, token: str | None) -> ChangeReader:
    made = ChangeReader(gateway, lambda _: None, token=token)  # type: ignore[arg-type]
    made._other = gateway  # type: ignore[assignment]  # CHANGES_TOKEN's: the same stand-in
    return made


def test_without_a_token_only_the_incidents_repository_is_read() -> None:
    gateway = StandIn({})
    found = reader(gateway, "").read(("org/incidents", "org/api"), T - timedelta(hours=1), T)
    assert {repo for repo, _ in gateway.asked} == {"org/incidents"}
    assert found.unread == (("org/api", NO_TOKEN),)
    assert found.requests == 4


def test_a_repository_it_cannot_see_is_named_once_and_failures_say_which_list() -> None:
    deploy = Change(
        "deploy",
        "org/api",
        T,
        "v1",
        "sam",
        "https://github.com/x",
        "abc1234",
        "production, failure",
        ident=7,
    )
    gateway = StandIn(
        {
            **{
                ("org/secret", kind): NotReadable("not found")
                for kind in ("deploy", "merge", "release", "failed-run")
            },
            ("org/api", "deploy"): [deploy],
            ("org/api", "release"): GitHubError("500 Server Error"),
            ("org/api", "merge"): ValueError("not a date"),
        }
    )
    found = reader(gateway, "token").read(("org/api", "org/secret"), T - timedelta(hours=1), T)
    assert found.unread == (
        ("org/api", "merged pull requests not read: unexpected answer (ValueError)"),
        ("org/api", "releases not read: 500 Server Error"),
        ("org/secret", "not found"),
    )
    [shown] = found.items
    assert shown.detail == "production, failure"
    assert found.requests == 8  # four a repository: no request more for a deployment's state


def _run(repo: str, branch: str, minutes: int) -> Change:
    at = T - timedelta(minutes=minutes)
    return Change(
        "failed-run", repo, at, f"CI on {branch}", None, "https://github.com/x", "1", branch
    )


def test_failed_runs_are_those_of_the_default_branch_the_other_lists_named() -> None:
    runs = [
        _run("org/api", "trunk", 1),
        _run("org/api", "main", 2),
        _run("org/api", "feature", 3),
        _run("org/web", "main", 4),
        _run("org/web", "master", 5),
        _run("org/web", "feature", 6),
    ]
    gateway = StandIn(
        {
            ("org/api", "failed-run"): runs[:3],
            ("org/web", "failed-run"): runs[3:],
        }
    )
    gateway.defaults["org/api"] = "trunk"  # org/web's lists named none: main or master
    found = reader(gateway, "token").read(("org/api", "org/web"), T - timedelta(hours=1), T)
    assert [(c.repo, c.detail) for c in found.items] == [
        ("org/api", "trunk"),
        ("org/web", "main"),
        ("org/web", "master"),
    ]
