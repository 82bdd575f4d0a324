"""Events from GitHub's real webhook payloads (tests/data/webhooks, octokit's examples)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from incident_tool.inbound.events import EventError, load, parse

DATA = Path(__file__).parents[1] / "data" / "webhooks"


def payload(name: str) -> dict:
    return json.loads((DATA / f"{name}.json").read_text())


def with_labels(data: dict, *names: str) -> dict:
    data = copy.deepcopy(data)
    data["issue"]["labels"] = [{"name": n} for n in names]
    return data


def test_real_payloads_parse():
    event = parse("issue_comment", payload("issue_comment.created.1"))
    assert event.kind == "issue_comment.created"
    assert event.repo == "Codertocat/Hello-World" and event.number == 1
    assert event.comment_id and event.sender == "Codertocat"


@pytest.mark.parametrize(
    ("name", "file", "labels", "label", "ignored"),
    [
        ("issues", "issues.pinned.1", ("incident:declared",), None, "not an event"),
        ("issue_comment", "issue_comment.edited.1", ("incident:declared",), None, "not an event"),
        ("issue_comment", "issue_comment.created.1", ("bug",), None, "no incident label"),
        ("issue_comment", "issue_comment.created.1", ("incident:declared",), None, None),
        ("issues", "issues.labeled.1", ("bug",), "bug", "not an incident label"),
        ("issues", "issues.labeled.1", ("incident:declared",), "incident:declared", None),
        ("issues", "issues.labeled.1", ("sensitive",), "sensitive", None),
        ("issues", "issues.opened.1", ("incident:reported",), None, None),
        ("issues", "issues.opened.1", (), None, "no incident label"),
        ("issues", "issues.reopened.1", ("incident:resolved",), None, None),
    ],
)
def test_ignore_rules(name, file, labels, label, ignored):
    data = with_labels(payload(file), *labels)
    if label:
        data["label"] = {"name": label}
    reason = parse(name, data).ignore_reason()
    assert (reason is None) if ignored is None else (ignored in reason)


def test_pull_request_comments_are_ignored():
    data = with_labels(payload("issue_comment.created.1"), "incident:declared")
    data["issue"]["pull_request"] = {"url": "https://api.github.com/repos/o/r/pulls/1"}
    assert "pull requests" in parse("issue_comment", data).ignore_reason()


@pytest.mark.parametrize("content", ["", "not json", "[1, 2]", "\x00\x01"])
def test_bad_event_files_are_clear_errors(tmp_path, content):
    path = tmp_path / "event.json"
    path.write_text(content)
    with pytest.raises(EventError):
        load(path, "issues")


def test_odd_shapes_do_not_crash():
    event = parse("issues", {"action": 5, "issue": "x", "sender": [], "label": None})
    assert event.ignore_reason()
