"""The retrospective template's problem on the status comment while the incident is open.

The verb that runs `handle` tries the template before the run (effects/retrospective.py's
`template_problem`: a file read and a sample render) and passes what it found to
`template_decision`, which stays pure: the problem is shown among the status comment's
problems while the incident is declared or mitigated, once, and gone when the template
works again or the incident is over (resolution then writes the retrospective from the
packaged template and says so in it).
"""

from __future__ import annotations

from incident_tool.core.decide import Decision, Inputs
from incident_tool.core.model import Context
from incident_tool.core.record import iso
from incident_tool.core.states import State

KEY = "retrospective.template:"
OPEN = (State.DECLARED, State.MITIGATED)


def said(problem: str) -> str:
    """The problem as the run's log and the status comment say it."""
    return (
        f"{KEY} {problem}; until it is fixed the retrospective is written from"
        " incident-tool's default template"
    )


def template_decision(problem: str | None) -> Decision:
    """A decision that keeps the template's `problem` (None: it works) on the record."""

    def decide(ctx: Context, inputs: Inputs) -> None:
        record = ctx.record
        shown = [p for p in record.problems if KEY in p]
        if problem is not None and record.state in OPEN:
            if not any(said(problem) in p for p in shown):  # said once, not every run
                others = [p for p in record.problems if KEY not in p]
                record.problems = [*others[-9:], f"{iso(ctx.now)} {said(problem)}"]
        elif shown:
            record.problems = [p for p in record.problems if KEY not in p]

    return decide
