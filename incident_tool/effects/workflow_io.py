"""GitHub Actions plumbing: workflow commands, the job summary, keeping user text inert.

In the spirit of gidgethub.actions. Everything the tool prints can contain user text (a
title, a refused command), and the runner parses stdout for `::command::` lines, so a run
brackets its output with `::stop-commands::<random token>` and writes its own annotations
only after resuming.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager


def in_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str) -> str:
    props = ",".join(f"{k}={escape_property(v)}" for k, v in properties.items())
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


@contextmanager
def inert_output() -> Iterator[None]:
    """Stop the runner from reading workflow commands in what we print, then resume."""
    if not in_actions():
        yield
        return
    token = secrets.token_hex(16)
    print(f"::stop-commands::{token}", flush=True)
    try:
        yield
    finally:
        sys.stderr.flush()
        print(f"::{token}::", flush=True)


def annotate(level: str, message: str) -> None:
    """Write an `::error::`/`::warning::`/`::notice::` annotation (Actions only)."""
    if in_actions():
        print(command(level, message), flush=True)


_deferred: list[tuple[str, str]] = []


def defer(level: str, message: str) -> None:
    """Keep an annotation until output is no longer inert (see `inert_output`)."""
    if (level, message) not in _deferred:
        _deferred.append((level, message))


def flush_deferred() -> None:
    """Write the annotations kept by `defer`, once workflow commands are read again."""
    while _deferred:
        annotate(*_deferred.pop(0))


def write_summary(markdown: str) -> None:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(markdown.rstrip() + "\n")
    except OSError:
        pass
