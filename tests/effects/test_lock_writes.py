"""The order of a run's writes around a locked conversation (effects/apply.py
`conversation_open`): a planned unlock first, a planned lock last, and a locked issue
opened for the run's own comments and locked again as it was (issue #23)."""

from __future__ import annotations

from typing import Any

import pytest

from incident_tool.core.model import Lock, Unlock
from incident_tool.effects.apply import conversation_open
from tests.fakes import issue


class Journal:
    """A gateway that writes down its lock writes and the run's other writes between."""

    def __init__(self) -> None:
        self.done: list[str] = []

    def lock(self, number: int, reason: str | None) -> None:
        self.done.append(f"lock {reason}")

    def unlock(self, number: int) -> None:
        self.done.append("unlock")


@pytest.mark.parametrize(
    ("locked", "reason", "says", "wanted", "expected"),
    [
        (False, None, True, None, ["writes"]),
        (True, "spam", False, None, ["writes"]),  # nothing said: left locked, no request
        (True, "spam", True, None, ["unlock", "writes", "lock spam"]),
        (False, None, True, Lock("too heated"), ["writes", "lock too heated"]),
        (True, "spam", True, Lock("spam"), ["unlock", "writes", "lock spam"]),
        (True, "spam", False, Lock("spam"), ["writes"]),  # already so
        (True, None, False, Lock("resolved"), ["writes", "lock resolved"]),
        (True, "spam", True, Unlock(), ["unlock", "writes"]),
        (True, "spam", False, Unlock(), ["unlock", "writes"]),
        (False, None, True, Unlock(), ["writes"]),
    ],
)
def test_lock_writes_around_the_others(
    locked: bool, reason: str | None, says: bool, wanted: Any, expected: list[str]
) -> None:
    gateway = Journal()
    view = issue(locked=locked, lock_reason=reason)
    with conversation_open(gateway, view, says, wanted):  # type: ignore[arg-type]
        gateway.done.append("writes")
    assert gateway.done == expected


def test_a_failed_write_still_locks_the_issue_again() -> None:
    gateway = Journal()
    with (
        pytest.raises(RuntimeError),
        conversation_open(  # type: ignore[arg-type]
            gateway, issue(locked=True, lock_reason="too heated"), True
        ),
    ):
        raise RuntimeError("GitHub said no")
    assert gateway.done == ["unlock", "lock too heated"]
