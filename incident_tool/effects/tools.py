"""What a run works with (`Tools`: GitHub, Slack, the config) and what it did (`Outcome`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from incident_tool.config import Config
from incident_tool.core.model import Answer
from incident_tool.effects.github import Gateway
from incident_tool.effects.mirror import Mirror, People


@dataclass
class Outcome:
    """What a run did, for the job log and the job summary."""

    number: int | None
    handled: bool
    state: str | None = None
    writes: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: What the status page shows of this incident changed (with `status_page.enabled`).
    page_changed: bool = False
    slack: list[str] = field(default_factory=list)  # Slack effects (or, dry run, would-be)
    answers: list[Answer] = field(default_factory=list)  # to the person who acted live


@dataclass
class Tools:
    """The effect providers a process uses; `for_run` gives one run its own journal."""

    config: Config
    gateway: Gateway
    mirror: Mirror
    people: People
    root: Path
    log: Callable[[str], None] = print
    # Slack messages (channel:ts) this process claimed as commands: kept across the
    # re-reads a StatusConflict causes, so a claim of ours is still ours (slack_read.py).
    claimed: set[str] = field(default_factory=set)

    def for_run(self) -> Tools:
        """The same connections and caches; this run's own writes, notices and Slack effects."""
        return replace(self, gateway=self.gateway.for_run(), mirror=self.mirror.for_run())
