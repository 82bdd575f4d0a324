"""`incident-tool labels sync`: make the repository's labels what the tool expects."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from incident_tool.core.states import LABEL_SPECS, RETROSPECTIVE_LABEL
from incident_tool.effects import github


def wanted(retrospective_labels: Iterable[str]) -> dict[str, tuple[str, str]]:
    """The labels to have, name -> (colour, description): the tool's and the config's
    retrospective labels (styled as the tool's retrospective label)."""
    specs = dict(LABEL_SPECS)
    for name in retrospective_labels:
        if name.lower() not in {x.lower() for x in specs}:
            specs[name] = LABEL_SPECS[RETROSPECTIVE_LABEL]
    return specs


def sync(
    target: Any, specs: dict[str, tuple[str, str]], out: Callable[[str], None], dry_run: bool
) -> int:
    """Create or update the labels that differ on `target` (a PyGithub repository); return
    how many differed. GitHub errors are the caller's to explain."""
    # One paginated read; then a write only where a label is missing or differs.
    existing = {label.name.lower(): label for label in target.get_labels()}
    plan = []
    for name, (colour, description) in specs.items():
        label = existing.get(name.lower())
        if label is None:
            plan.append(("create", name, colour, description, None))
        elif (label.color.lower(), label.description or "", label.name) != (
            colour,
            description,
            name,
        ):
            plan.append(("update", name, colour, description, label))
        else:
            out(f"ok      {name}")
    pause = github.BULK_WRITE_INTERVAL  # read at each call: tests set it to 0
    if plan and not dry_run and len(plan) > 1 and pause:
        out(
            f"{len(plan)} labels to write; GitHub asks for a pause between writes: "
            f"about {(len(plan) - 1) * pause:g} s"
        )
    for i, (verb, name, colour, description, label) in enumerate(plan, 1):
        if dry_run:
            out(f"[dry-run] would {verb} {name}")
            continue
        if label is None:
            target.create_label(name, colour, description)
        else:
            label.edit(name, colour, description)
        out(f"{verb}d {name} [{i}/{len(plan)}]")
    return len(plan)
