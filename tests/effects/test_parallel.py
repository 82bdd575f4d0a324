"""effects/parallel.py: results in the order asked, calls really at once, failures raised."""

from __future__ import annotations

import threading
import time

import pytest

from incident_tool.effects.parallel import MAX_AT_ONCE, both, each


def test_results_come_back_in_the_order_asked() -> None:
    def slow_echo(n: int) -> int:
        time.sleep(0.02 * (5 - n))  # the first asked finishes last
        return n * 10

    assert each(slow_echo, range(5)) == [0, 10, 20, 30, 40]


def test_calls_overlap_but_never_more_than_the_bound() -> None:
    lock, running, peak = threading.Lock(), [0], [0]

    def call(_: int) -> None:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1

    started = time.monotonic()
    each(call, range(12))
    elapsed = time.monotonic() - started
    assert peak[0] == MAX_AT_ONCE
    assert elapsed < 12 * 0.05 / 2  # sequential would take 0.6 s


def test_the_first_failure_in_order_is_raised_after_all_finished() -> None:
    finished: list[int] = []

    def call(n: int) -> int:
        time.sleep(0.01 * n)
        finished.append(n)
        if n in (1, 3):
            raise ValueError(f"failed {n}")
        return n

    with pytest.raises(ValueError, match="failed 1"):
        each(call, range(5))
    assert sorted(finished) == [0, 1, 2, 3, 4]


def test_one_item_runs_in_the_callers_thread() -> None:
    assert each(lambda _: threading.current_thread().name, ["x"]) == [
        threading.current_thread().name
    ]


def test_both_returns_the_pair() -> None:
    assert both(lambda: 1, lambda: "b") == (1, "b")
