"""Labels as states: the one place that knows the `incident:*` label names."""

from __future__ import annotations

from enum import Enum

PREFIX = "incident:"
SEVERITY_PREFIX = "severity:"
SENSITIVE_LABEL = "sensitive"
RETROSPECTIVE_LABEL = "retrospective"


class State(str, Enum):
    """An incident's state; its label is `incident:<value>`."""

    REPORTED = "reported"
    DECLARED = "declared"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"

    @property
    def label(self) -> str:
        return PREFIX + self.value

    @classmethod
    def from_label(cls, label: str) -> State | None:
        """Return the state a label names, or None for any other label."""
        if not label.lower().startswith(PREFIX):
            return None
        try:
            # Exactly `incident:<state>`: "incident: declared" is somebody else's label.
            return cls(label[len(PREFIX) :].lower())
        except ValueError:
            return None

    @property
    def is_open(self) -> bool:
        """True while people are still working on it (the issue stays open)."""
        return self in (State.REPORTED, State.DECLARED, State.MITIGATED)

    @property
    def is_active(self) -> bool:
        """True once declared and until resolved: the incident channel is in use."""
        return self in (State.DECLARED, State.MITIGATED)


# Which transitions a person or the tool may make. Anything else is refused and the
# previous state restored. None is "no state yet" (an issue the tool has not seen).
ALLOWED: dict[State | None, frozenset[State]] = {
    None: frozenset({State.REPORTED, State.DECLARED}),
    State.REPORTED: frozenset({State.DECLARED, State.DISMISSED}),
    State.DECLARED: frozenset({State.MITIGATED, State.RESOLVED, State.DISMISSED}),
    State.MITIGATED: frozenset({State.DECLARED, State.RESOLVED, State.DISMISSED}),
    State.RESOLVED: frozenset({State.DECLARED}),
    State.DISMISSED: frozenset({State.REPORTED, State.DECLARED}),
}


def can_move(current: State | None, target: State) -> bool:
    """Say whether `current` may become `target` (staying put is always allowed)."""
    return current == target or target in ALLOWED[current]


def states_in(labels: list[str]) -> list[State]:
    """Return the state labels among `labels`, in the order given."""
    return [s for s in (State.from_label(name) for name in labels) if s is not None]


LABEL_SPECS: dict[str, tuple[str, str]] = {
    State.REPORTED.label: ("fbca04", "Potential incident: a delivery manager must assess it"),
    State.DECLARED.label: ("d93f0b", "Declared incident: a lead is assigned, the channel is open"),
    State.MITIGATED.label: ("0e8a16", "User-facing impact mitigated, not yet resolved"),
    State.RESOLVED.label: ("5319e7", "Incident resolved; see the retrospective"),
    State.DISMISSED.label: ("c5def5", "Not an incident, or handled through other channels"),
    SENSITIVE_LABEL: ("b60205", "Sensitive incident: private channel, redacted announcements"),
    RETROSPECTIVE_LABEL: ("1d76db", "Retrospective of an incident"),
    **{
        f"{SEVERITY_PREFIX}{n}": (colour, f"Severity {n} ({word})")
        for n, colour, word in (
            (1, "b60205", "critical"),
            (2, "d93f0b", "major"),
            (3, "fbca04", "minor"),
            (4, "c2e0c6", "low"),
        )
    },
}
"""Every label the tool uses: name -> (colour, description), for `labels sync`."""
