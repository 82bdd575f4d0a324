"""The decision core's vocabulary: what a handler sees (Context) and what it asks for (actions).

Handlers are pure in the sense that matters for testing: they read the issue, the record,
the config and a `Facts` object, and write only to `ctx.record` and `ctx.plan`. Nothing here
makes a request; tests pass a dict-backed Facts and check the plan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from incident_tool.config import Config
from incident_tool.events import Event
from incident_tool.record import Record

ROLES = ("none", "read", "triage", "write", "maintain", "admin")


def role_at_least(role: str, minimum: str) -> bool:
    return ROLES.index(role if role in ROLES else "none") >= ROLES.index(minimum)


class Facts(Protocol):
    """What decisions may ask about people; production answers from GitHub and Slack."""

    def role(self, login: str) -> str:
        """Return the repository role: none, read, triage, write, maintain or admin."""

    def assignable(self, login: str) -> bool:
        """Say whether the user exists and can be assigned issues in this repository."""

    def unavailable(self, logins: Sequence[str]) -> dict[str, str]:
        """Return login -> reason for those who are away or busy (failed lookups: available)."""

    def last_actor(self, event: str, label: str | None = None) -> str | None:
        """Return who last did `event` (labeled, closed, reopened) on the issue, if known."""


@dataclass(frozen=True)
class IssueView:
    """The incident issue as the tool last read it."""

    repo: str
    number: int
    title: str
    body: str
    url: str
    author: str
    labels: tuple[str, ...]
    assignees: tuple[str, ...]
    state: str  # open / closed
    state_reason: str | None
    created_at: datetime
    closed_at: datetime | None = None


@dataclass(frozen=True)
class CommentView:
    id: int
    author: str
    author_is_bot: bool
    body: str
    created_at: datetime
    updated_at: datetime
    url: str

    @property
    def edited(self) -> bool:
        return self.updated_at != self.created_at


# Actions: what the effects stage must do on GitHub. Slack work goes to the record's outbox.
@dataclass(frozen=True)
class Comment:
    key: str  # marker key: the same cause never gives two comments
    body: str
    # Remember the key in the record (a comment caused by another comment need not be:
    # that comment is never handled twice, and the record must stay small).
    remember: bool = True


@dataclass(frozen=True)
class React:
    comment_id: int


@dataclass(frozen=True)
class Assign:
    logins: tuple[str, ...]  # the complete new set of assignees


@dataclass(frozen=True)
class Labels:
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(frozen=True)
class Close:
    reason: str  # completed / not_planned


@dataclass(frozen=True)
class Reopen:
    pass


@dataclass(frozen=True)
class CreateRetrospective:
    pass


Action = Comment | React | Assign | Labels | Close | Reopen | CreateRetrospective


@dataclass
class Context:
    """One run's view of one incident; handlers change `record` and append to `plan`."""

    config: Config
    issue: IssueView
    record: Record
    facts: Facts
    now: datetime
    plan: list[Action] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    slack_enabled: bool = False

    @contextmanager
    def at(self, moment: datetime | None) -> Iterator[None]:
        """Decide as of `moment` (when a comment was posted, an issue closed)."""
        saved = self.now
        self.now = moment or saved
        try:
            yield
        finally:
            self.now = saved

    def do(self, action: Action) -> None:
        if action not in self.plan:
            self.plan.append(action)

    def slack(self, key: str, to: str, text: str, *, remember: bool = True, **extra: Any) -> None:
        """Queue a Slack delivery; `key` makes it happen at most once per incident.

        `remember=False` is for deliveries caused by a comment: the comment is handled
        once, so its key need not stay in the record after delivery.
        """
        if key in self.record.sent or any(m.get("key") == key for m in self.record.outbox):
            return
        item = {"key": key, "to": to, "text": text, **extra}
        if not remember:
            item["remember"] = False
        self.record.outbox.append(item)
        trim_outbox(self.record.outbox)

    def is_delivery_manager(self, login: str) -> bool:
        if self.config.delivery_managers:
            return self.config.is_delivery_manager(login)
        # With none configured, maintainers stand in so that nobody is locked out.
        return role_at_least(self.facts.role(login), "maintain")


MAX_OUTBOX = 30  # Slack deliveries waiting while Slack is down; the record must stay small


def trim_outbox(outbox: list[dict[str, Any]]) -> None:
    """Drop the oldest mirrored comments first when Slack has been down for long."""
    while len(outbox) > MAX_OUTBOX:
        mirrors = [m for m in outbox if str(m.get("key", "")).startswith("mirror:")]
        outbox.remove(mirrors[0] if mirrors else outbox[0])


Handler = Callable[..., None]


class Router:
    """A small synchronous router in the style of gidgethub's: handlers run in order."""

    def __init__(self, *routers: Router) -> None:
        self._routes: list[tuple[str, str | None, Handler]] = []
        for other in routers:
            self._routes.extend(other._routes)

    def register(self, event: str, action: str | None = None) -> Callable[[Handler], Handler]:
        def add(func: Handler) -> Handler:
            self._routes.append((event, action, func))
            return func

        return add

    def handlers_for(self, event: Event) -> list[Handler]:
        return [
            func
            for name, action, func in self._routes
            if name == event.name and (action is None or action == event.action)
        ]

    def dispatch(self, event: Event, ctx: Context) -> int:
        handlers = self.handlers_for(event)
        for func in handlers:
            func(event, ctx)
        return len(handlers)
