"""Fault injection: make matching sandbox requests fail, slow down or get rate limited."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field


@dataclass
class Fault:
    """One fault rule.

    ``service`` is ``"github"`` or ``"slack"``; ``method`` an HTTP verb (None: any);
    ``path`` a regular expression searched in the request path (for Slack the path is
    ``/api/<method>``, so ``r"chat\\.postMessage"`` works). ``times`` is how many matching
    requests to fault (None: all of them); ``skip`` lets that many matching requests
    through first. ``status`` answers with that HTTP status (5xx, 429, or 403 for
    GitHub's secondary rate limit), with a ``Retry-After`` header when ``retry_after``
    is given; ``slack_error`` answers HTTP 200 ``{"ok": false, "error": ...}``;
    ``delay`` sleeps before answering (alone, it only slows the request down).
    A faulted request does not perform its write unless ``perform_write`` is true, which
    models "the write happened but the client saw an error" (a timeout after commit).
    ``alternate`` faults every other matching request (the 1st, 3rd, ...): with clients
    that retry at once, that is "every first attempt fails".
    """

    service: str
    method: str | None = None
    path: str | None = None
    status: int | None = None
    times: int | None = 1
    retry_after: int | None = None
    delay: float = 0.0
    slack_error: str | None = None
    skip: int = 0
    perform_write: bool = False
    alternate: bool = False
    seen: int = 0
    fired: int = 0
    _regex: re.Pattern[str] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.service not in ("github", "slack"):
            raise ValueError(f"service must be 'github' or 'slack', not {self.service!r}")
        if self.status is not None and not 400 <= self.status <= 599:
            raise ValueError(f"fault status must be an HTTP error status, not {self.status}")
        if self.slack_error is not None and self.service != "slack":
            raise ValueError("slack_error only applies to service='slack'")
        self._regex = re.compile(self.path) if self.path else None

    @property
    def exhausted(self) -> bool:
        """True once the rule has faulted ``times`` requests."""
        return self.times is not None and self.fired >= self.times

    @property
    def answers(self) -> bool:
        """True when the rule replaces the response (not just a delay)."""
        return self.status is not None or self.slack_error is not None

    def matches(self, service: str, method: str, path: str) -> bool:
        """Whether a request falls under this rule (ignoring counts)."""
        if service != self.service:
            return False
        if self.method is not None and method.upper() != self.method.upper():
            return False
        return self._regex is None or self._regex.search(path) is not None


class Faults:
    """Thread-safe set of fault rules, consulted by the sandbox for every request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Fault] = []
        self.injected = 0

    def add(
        self,
        service: str,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        times: int | None = 1,
        retry_after: int | None = None,
        delay: float = 0.0,
        slack_error: str | None = None,
        *,
        skip: int = 0,
        perform_write: bool = False,
        alternate: bool = False,
    ) -> Fault:
        """Add a rule (see :class:`Fault`) and return it."""
        rule = Fault(
            service=service,
            method=method,
            path=path,
            status=status,
            times=times,
            retry_after=retry_after,
            delay=delay,
            slack_error=slack_error,
            skip=skip,
            perform_write=perform_write,
            alternate=alternate,
        )
        with self._lock:
            self._rules.append(rule)
        return rule

    def secondary_rate_limit(
        self,
        method: str | None = None,
        path: str | None = None,
        retry_after: int | None = 60,
        times: int | None = 1,
        *,
        status: int = 403,
        skip: int = 0,
    ) -> Fault:
        """Answer matching GitHub requests with a secondary rate limit.

        GitHub answers 403 (or 429) "You have exceeded a secondary rate limit ...", with
        ``Retry-After`` when it says how long to wait (GitHub's "Rate limits for the REST
        API"); the write is not made.
        """
        if status not in (403, 429):
            raise ValueError("a secondary rate limit is a 403 or a 429")
        return self.add("github", method, path, status, times, retry_after, skip=skip)

    def clear(self) -> None:
        """Remove every rule (the ``injected`` count is kept)."""
        with self._lock:
            self._rules.clear()

    @property
    def rules(self) -> list[Fault]:
        """A copy of the current rules."""
        with self._lock:
            return list(self._rules)

    def take(self, service: str, method: str, path: str) -> Fault | None:
        """The first live rule matching this request, counted as fired; None otherwise."""
        with self._lock:
            for rule in self._rules:
                if rule.exhausted or not rule.matches(service, method, path):
                    continue
                rule.seen += 1
                if rule.seen <= rule.skip:
                    continue
                if rule.alternate and (rule.seen - rule.skip) % 2 == 0:
                    continue
                rule.fired += 1
                self.injected += 1
                return rule
        return None
