"""Turn a GitHub webhook payload into an Event, cheaply (standard library only).

`handle` calls `parse` before importing anything heavy, so an event the tool ignores
costs one JSON read and no request (the budget in docs/measured.md#measured).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from incident_tool.core.record import parse_time
from incident_tool.core.states import PREFIX, SENSITIVE_LABEL, State
from incident_tool.errors import UsageError

HANDLED = {
    ("issues", "opened"),
    ("issues", "labeled"),
    ("issues", "closed"),
    ("issues", "reopened"),
    ("issue_comment", "created"),
    # Reports from monitors, scripts and the Actions tab
    # (docs/usage.md#reports-from-monitors-scripts-and-the-actions-tab): no issue yet.
    ("repository_dispatch", "incident-report"),
    ("workflow_dispatch", None),
}
REPORT_EVENTS = ("repository_dispatch", "workflow_dispatch")


class EventError(UsageError):
    """The event file or name is unusable; the message says why."""


@dataclass(frozen=True)
class Event:
    """What happened, reduced to the facts the tool acts on."""

    name: str  # GitHub event name: issues, issue_comment, schedule, ...
    action: str | None
    repo: str | None  # owner/name
    number: int | None  # issue number
    sender: str | None
    sender_is_bot: bool = False
    label: str | None = None  # labeled/unlabeled
    state_reason: str | None = None  # closed: completed / not_planned
    comment_id: int | None = None
    is_pull_request: bool = False
    issue_labels: tuple[str, ...] = ()
    at: datetime | None = None  # when it happened, by GitHub's clock
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def kind(self) -> str:
        return f"{self.name}.{self.action}" if self.action else self.name

    def ignore_reason(self) -> str | None:
        """Say why this event cannot concern an incident, or None if it might."""
        if (self.name, self.action) not in HANDLED:
            return f"{self.kind} is not an event incident-tool handles"
        if self.name in REPORT_EVENTS:
            return None
        if self.is_pull_request:
            return "comments on pull requests are never commands"
        has_incident_label = any(name.lower().startswith(PREFIX) for name in self.issue_labels)
        if self.name == "issues" and self.action == "labeled":
            label = (self.label or "").lower()
            if State.from_label(label) is None and label != SENSITIVE_LABEL:
                return f"label {self.label!r} is not an incident label"
            return None
        if not has_incident_label:
            return f"issue #{self.number} has no incident label"
        return None


MAX_PAYLOAD = 25 * 1024 * 1024  # GitHub caps webhook payloads at 25 MB


def load(path: str | Path, name: str) -> Event:
    """Read the event file GitHub Actions wrote (GITHUB_EVENT_PATH) for event `name`.

    Every problem is an EventError of one line: a missing or unreadable file, one too big
    or too deeply nested to be a webhook payload, not JSON, or a payload of an event the
    tool handles that lacks what every such payload has (an `action`, the issue's number).
    """
    shown = _short(str(path))
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > MAX_PAYLOAD:
            raise EventError(
                f"event file {shown} is {size // (1024 * 1024)} MB: larger than GitHub's "
                "25 MB webhook limit, so not an event payload (check GITHUB_EVENT_PATH)"
            )
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EventError(
            f"event file {shown} does not exist (check --event-path or GITHUB_EVENT_PATH)"
        ) from None
    except UnicodeDecodeError:
        raise EventError(f"event file {shown} is not UTF-8 text, so not JSON") from None
    except OSError as exc:
        raise EventError(
            f"cannot read event file {shown}: {exc.strerror or exc.__class__.__name__}"
        ) from None
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise EventError(
            f"event file {shown} is not JSON (line {exc.lineno}, column {exc.colno}): "
            "give the webhook payload GitHub wrote (GITHUB_EVENT_PATH)"
        ) from None
    except RecursionError:
        raise EventError(
            f"event file {shown} is nested too deeply to be a GitHub webhook payload"
        ) from None
    if not isinstance(payload, dict):
        raise EventError(f"event file {shown} does not hold a JSON object")
    problem = shape_problem(name, payload)
    if problem:
        raise EventError(f"event file {shown}: {problem}")
    return parse(name, payload)


def shape_problem(name: str, payload: dict[str, Any]) -> str | None:
    """Say what a payload of an event the tool handles lacks, or None if it has it all.

    Only `issues` and `issue_comment` payloads are checked: every other event is ignored.
    """
    if name not in ("issues", "issue_comment"):
        return None  # dispatch payloads are checked key by key where they are read (alerts)
    action = payload.get("action")
    hint = f"not the payload of a GitHub `{_short(name, 40)}` event (wrong file or event name?)"
    if not isinstance(action, str):
        return f"it has no `action`: {hint}"
    if (name, action) not in HANDLED:
        return None
    issue = payload.get("issue")
    if not isinstance(issue, dict) or type(issue.get("number")) is not int:
        return f"it has no `issue.number`: {hint}"
    if name == "issue_comment":
        comment = payload.get("comment")
        if not isinstance(comment, dict) or type(comment.get("id")) is not int:
            return f"it has no `comment.id`: {hint}"
    if action == "labeled":
        label = payload.get("label")
        if not isinstance(label, dict) or not isinstance(label.get("name"), str):
            return f"it has no `label.name`: {hint}"
    return None


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def parse(name: str, payload: dict[str, Any]) -> Event:
    """Build an Event from a webhook payload; unknown shapes give an ignorable Event."""
    issue = _dict(payload.get("issue"))
    sender = _dict(payload.get("sender"))
    comment = _dict(payload.get("comment"))
    repo = _dict(payload.get("repository")).get("full_name")
    labels = tuple(
        str(label.get("name"))
        for label in issue.get("labels") or []
        if isinstance(label, dict) and label.get("name")
    )
    number = issue.get("number")
    # GitHub's payloads do not say when a label was added; the issue's updated_at is then.
    if comment:
        when = comment.get("created_at")
    elif payload.get("action") == "closed":
        when = issue.get("closed_at")
    else:
        when = issue.get("updated_at")
    return Event(
        name=name,
        action=payload.get("action") if isinstance(payload.get("action"), str) else None,
        repo=repo if isinstance(repo, str) else None,
        number=number if isinstance(number, int) else None,
        sender=sender.get("login") if isinstance(sender.get("login"), str) else None,
        sender_is_bot=sender.get("type") == "Bot",
        label=_dict(payload.get("label")).get("name"),
        state_reason=issue.get("state_reason"),
        comment_id=comment.get("id") if isinstance(comment.get("id"), int) else None,
        is_pull_request=bool(issue.get("pull_request")),
        issue_labels=labels,
        at=parse_time(when),
        raw=payload,
    )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
