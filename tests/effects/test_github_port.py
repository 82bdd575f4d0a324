"""The GitHub port hands out plain data: no PyGithub object leaves effects/github.py.

Statically, tests/files/test_layout.py keeps PyGithub's imports and calls in the gateway's
modules. Here, dynamically: over a whole incident against the sandbox, every value a public
`Gateway` method returns (or yields) is walked, and none may hold an object of the `github`
package (reading its attributes could make a request). And GitHub's 422 for a refused
assignee is read as GitHub gives it: `errors[].value` a login on PATCH, an array on POST.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from github import GithubException

from incident_tool.core.model import IssueView
from incident_tool.core.record import utcnow
from incident_tool.effects.github import Gateway, _refused_assignees, client
from incident_tool.verbs import report
from tests.world import REPO


def pygithub_objects(value: Any, path: str = "value", seen: set[int] | None = None) -> list[str]:
    """Where `value` holds an object whose class lives in the `github` package: walks
    dataclass fields, tuples, lists, sets and dicts (keys and values)."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return []
    seen.add(id(value))
    if type(value).__module__.split(".")[0] == "github":
        return [f"{path}: {type(value).__module__}.{type(value).__qualname__}"]
    found: list[str] = []
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            found += pygithub_objects(getattr(value, field.name), f"{path}.{field.name}", seen)
    elif isinstance(value, (tuple, list, set, frozenset)):
        for i, item in enumerate(value):
            found += pygithub_objects(item, f"{path}[{i}]", seen)
    elif isinstance(value, dict):
        for key, item in value.items():
            found += pygithub_objects(key, f"{path} key {key!r}", seen)
            found += pygithub_objects(item, f"{path}[{key!r}]", seen)
    return found


def public_methods() -> list[str]:
    return [
        name
        for name, member in vars(Gateway).items()
        if not name.startswith("_") and inspect.isfunction(member)
    ]


@pytest.fixture
def handed_out(monkeypatch) -> dict[str, list[Any]]:
    """Every value public Gateway methods return or yield, by method, in every run."""
    seen: dict[str, list[Any]] = {}

    def checked(name: str, method: Any) -> Any:
        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = method(*args, **kwargs)
            if inspect.isgenerator(result):
                return yielded(name, result)
            seen.setdefault(name, []).append(result)
            return result

        return wrapper

    def yielded(name: str, items: Iterator[Any]) -> Iterator[Any]:
        for item in items:
            seen.setdefault(name, []).append(item)
            yield item

    for name in public_methods():
        monkeypatch.setattr(Gateway, name, checked(name, getattr(Gateway, name)))
    return seen


def test_the_walker_finds_a_pygithub_object_anywhere() -> None:
    """The check below can fail: a PyGithub object in a dataclass, a tuple or a dict."""
    # A lazy client makes no request for these (nothing listens on port 9).
    issue = client(None, "http://127.0.0.1:9").get_repo(REPO).get_issue(1)
    assert pygithub_objects(issue) == ["value: github.Issue.Issue"]
    assert pygithub_objects((None, [issue])) == ["value[1][0]: github.Issue.Issue"]
    assert pygithub_objects({"k": issue}) == ["value['k']: github.Issue.Issue"]
    assert pygithub_objects(FakeHolder(issue)) == ["value.held: github.Issue.Issue"]
    assert pygithub_objects(IssueView(**VIEW)) == []


@dataclasses.dataclass(frozen=True)
class FakeHolder:
    held: Any


VIEW = dict(
    repo=REPO,
    number=1,
    title="t",
    body="b",
    url="u",
    author="a",
    labels=(),
    assignees=(),
    state="open",
    state_reason=None,
    created_at=utcnow(),
)


def test_a_whole_incident_hands_out_no_pygithub_object(world, handed_out) -> None:
    n = world.report()
    world.declare(n)
    world.say(n, "lee", "/join")
    world.say(n, "priya", "/handover @lee")
    world.say(n, "lee", "/action @lee Alert on empty search results")
    world.say(n, "lee", "/mitigated")
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    assert all(code == 0 for code, _ in world.driver.deliver())
    assert world.retrospectives()
    code, output = world.driver.sweep()
    assert code == 0, output
    # The verbs' reads too: the weekly report, labels sync's listing, a follow-up's comments.
    gateway = Gateway(client(world.gh.bot_token, world.sb.github_url), REPO, log=lambda s: None)
    metrics = report.collect(gateway, utcnow() - timedelta(days=1))
    assert [i.number for i in metrics.incidents] == [n]
    assert gateway.labels()
    assert gateway.find_issue(n, what="read it") is not None
    assert gateway.issues_page(what="list", state="all")
    assert gateway.comments(n)
    gateway.issue_events(n)

    wanted = {
        "issue",
        "issues",
        "issues_page",
        "find_issue",
        "incident_comments",
        "comments",
        "status_comment",
        "create_issue",
        "labels",
        "issue_events",
        "role",
        "assignable",
    }
    assert wanted <= set(handed_out), sorted(wanted - set(handed_out))
    found = {
        name: leaks
        for name, values in handed_out.items()
        if (leaks := pygithub_objects(values, name))
    }
    assert found == {}


def test_every_public_method_is_watched() -> None:
    """A public method added later is walked too: the list is read from the class."""
    names = public_methods()
    assert {"issue", "incident_comments", "create_issue", "labels", "write"} <= set(names)
    assert not [n for n in names if n in ("view", "comment_view", "first_comments")]


# -- GitHub's 422 for a refused assignee -------------------------------------------------


def refused(value: Any, field: str = "assignees") -> GithubException:
    error = {"resource": "Issue", "code": "invalid", "field": field, "value": value}
    return GithubException(422, {"message": "Validation Failed", "errors": [error]}, {})


def test_a_refused_assignee_is_read_from_a_patch_answer_a_string() -> None:
    assert _refused_assignees(refused("olly")) == ["olly"]


def test_refused_assignees_are_read_from_a_post_answer_an_array() -> None:
    """POST /repos/{o}/{r}/issues names them in an array (real captures: ["nobody"])."""
    assert _refused_assignees(refused(["nobody"])) == ["nobody"]
    assert _refused_assignees(refused(["nobody", "olly"])) == ["nobody", "olly"]


def test_a_422_that_names_nobody_or_is_not_about_assignees() -> None:
    assert _refused_assignees(refused(None)) == []  # refused, none named: drop them all
    assert _refused_assignees(refused([])) == []
    assert _refused_assignees(refused("x", field="labels")) is None
    assert _refused_assignees(GithubException(500, {"message": "oops"}, {})) is None


def test_the_sandbox_answers_post_with_an_array_and_patch_with_a_string(world) -> None:
    gh = client(world.gh.bot_token, world.sb.github_url)
    gateway = Gateway(gh, REPO, log=lambda s: None)
    gateway._assignable.update({"olly": True})  # a stale answer: GitHub refuses olly
    created = gateway.create_issue("Retro", "b", [], ["dana", "olly"], lambda: None)
    assert created is not None and created.assignees == ("dana",)
    gateway._assignable.update({"olly": True})  # stale again: now the PATCH refuses olly
    gateway.set_assignees(created.number, ["olly", "priya"])
    assert world.assignees(created.number) == ["priya"]
    refusals = [r for r in world.sb.requests if r.status == 422]
    values = [(r.method, e["value"]) for r in refusals for e in r.response["errors"]]
    assert values == [("POST", ["olly"]), ("PATCH", "olly")]
