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

    def changes(self, repo: str, what: str, since: datetime, until: datetime) -> list[Change]:
        self.asked.append((repo, what))
        answer = self.answers.get((repo, what), [])
        if isinstance(answer, Exception):
            raise answer
        return list(answer)

    def deployment_state(self, repo: str, ident: int) -> str | None:
        self.asked.append((repo, f"state:{ident}"))
        return "failure"


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
        "production",
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
    assert shown.detail == "production, failure"  # its latest state, one request more
    assert found.requests == 8 + 1
