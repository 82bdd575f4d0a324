"""Independent requests at once, through one bounded pool.

A run's round trips are most of its time (150 ms to GitHub and 100 ms to Slack from a
runner), and many of them do not wait for one another: the roles of three commenters, the
availability of five responders, the channel's invitations and its topic. `each` runs such
calls together and gives their results back in the order asked, so a caller reads like the
loop it replaces.

The pool is small on purpose: GitHub counts concurrent requests against its secondary rate
limits ("No more than 100 concurrent requests", REST API best practices), Slack's tiers are
per minute, and the rate-limit handling of each client (retries, waits) runs inside each
call as before. An exception in one call is raised in the caller, after the others finished,
as the loop would have raised it (the first in order).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

MAX_AT_ONCE = 6  # requests in flight per run: enough for a run's fan-outs, far below limits


def each(call: Callable[[T], R], items: Iterable[T], *, at_once: int | None = None) -> list[R]:
    """Return `[call(x) for x in items]`, the calls made at once (at most `at_once`, and
    never more than MAX_AT_ONCE)."""
    todo: Sequence[T] = list(items)
    at_once = min(at_once or MAX_AT_ONCE, MAX_AT_ONCE)
    if len(todo) <= 1 or at_once <= 1:
        return [call(x) for x in todo]
    with ThreadPoolExecutor(max_workers=min(at_once, len(todo))) as pool:
        futures: list[Future[R]] = [pool.submit(call, x) for x in todo]
    # The pool has joined: every call has finished. Raise the first failure in order.
    return [f.result() for f in futures]


def both(first: Callable[[], T], second: Callable[[], R]) -> tuple[T, R]:
    """Return `(first(), second())`, the two made at once."""
    if MAX_AT_ONCE <= 1:
        return first(), second()
    with ThreadPoolExecutor(max_workers=2) as pool:
        a, b = pool.submit(first), pool.submit(second)
    return a.result(), b.result()
