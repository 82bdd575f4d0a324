"""`incident-tool labels sync`: make the repository's labels what the tool expects."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

from incident_tool.core.states import LABEL_SPECS, RETROSPECTIVE_LABEL
from incident_tool.effects import github
from incident_tool.verbs.common import (
    _out,
    _repo,
    api_url,
    fail,
    github_token,
    run_guarded,
    team_config,
)

# The follow-up issues' label (config `followups.labels`, default `follow-up`).
FOLLOWUP_SPEC = ("c5def5", "Follow-up action from an incident's retrospective")


def wanted(
    retrospective_labels: Iterable[str], followup_labels: Iterable[str] = ()
) -> dict[str, tuple[str, str]]:
    """The labels to have, name -> (colour, description): the tool's, the config's
    retrospective labels (styled as the tool's retrospective label) and its follow-up
    labels (which the follow-up issues get)."""
    specs = dict(LABEL_SPECS)
    extra = [(n, LABEL_SPECS[RETROSPECTIVE_LABEL]) for n in retrospective_labels]
    extra += [(n, FOLLOWUP_SPEC) for n in followup_labels]
    for name, spec in extra:
        if name.lower() not in {x.lower() for x in specs}:
            specs[name] = spec
    return specs


def sync(
    gateway: github.Gateway,
    specs: dict[str, tuple[str, str]],
    out: Callable[[str], None],
    dry_run: bool,
) -> int:
    """Create or update the labels that differ; return how many differed. A failure is the
    Gateway's GitHubError, for the caller to say."""
    # One paginated read; then a write only where a label is missing or differs.
    existing = {label.name.lower(): label for label in gateway.labels()}
    plan: list[tuple[str, str, str, str, github.LabelView | None]] = []
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
    paused = len(plan) - github.BULK_WRITES  # the writes past a handful wait (WritePace)
    if plan and not dry_run and paused > 0 and pause:
        out(
            f"{len(plan)} labels to write; GitHub asks for a pause between writes: "
            f"about {paused * pause:g} s"
        )
    for i, (verb, name, colour, description, label) in enumerate(plan, 1):
        if dry_run:
            out(f"[dry-run] would {verb} {name}")
            continue
        if label is None:
            gateway.create_label(name, colour, description)
        else:
            gateway.edit_label(label.name, name, colour, description)
        out(f"{verb}d {name} [{i}/{len(plan)}]")
    return len(plan)


def run(repo: str | None, config_path: str | None, dry_run: bool) -> None:
    """Create or update the labels that differ (`incident-tool labels sync`)."""
    out = _out()
    repo = _repo(repo)
    token = github_token(repo)
    if not token:
        fail("GITHUB_TOKEN is not set: the tool needs a token to manage labels.")
    cfg, _ = team_config(config_path, Path.cwd(), repo, log=out)
    specs = wanted(cfg.retrospective.labels, cfg.followups.labels)
    gateway = github.Gateway(github.client(token, api_url("GITHUB_API_URL"), bulk=True), repo)
    started = time.monotonic()
    planned = run_guarded(lambda: sync(gateway, specs, out, dry_run), gateway=gateway)
    written = 0 if dry_run else planned
    out(
        f"labels: {len(specs) - planned} unchanged, {written} written"
        f" in {time.monotonic() - started:.1f} s"
    )
