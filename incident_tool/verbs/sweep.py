"""`incident-tool sweep`: every open incident brought up to date, on a schedule
(docs/operating.md#actions-bills-and-the-actions-write-permission)."""

from __future__ import annotations

import os
from pathlib import Path

from incident_tool.verbs.common import (
    _out,
    _repo,
    open_tools,
    report_outcome,
    run_guarded,
    team_config,
)


def run(repo: str | None, config_path: str | None, dry_run: bool, followups_only: bool) -> None:
    """Reconcile open incidents and send due reminders; or, `followups_only`, the weekly
    follow-up work alone."""
    from incident_tool import app as sweeping
    from incident_tool.effects import schedule

    out = _out()
    root = Path.cwd()
    repo = _repo(repo)
    cfg, _ = team_config(config_path, root, repo, log=out)
    tools = open_tools(repo, cfg, root, dry_run=dry_run, bulk=True, log=out)
    if followups_only:
        # incident-followups.yml, weekly: the 5-minute sweep is off while no incident is
        # open, and follow-ups fall due long after their incident closed.
        done = run_guarded(lambda: sweeping.weekly(tools), tools)
        out(f"follow-ups: {len(done.attached)} attached, {len(done.reminded)} reminded")
        return
    results = run_guarded(lambda: sweeping.sweep(tools), tools)
    for outcome in results:
        report_outcome(outcome, f"sweep #{outcome.number}")
    out(f"swept {len(results)} open incident(s)")
    if cfg.status_page.enabled and not dry_run:
        from incident_tool.verbs.status_page import write_output

        # A sweep can carry out what a dropped run missed (a /public, a state change).
        write_output(any(o.page_changed for o in results))
    if any(o.handled and o.state in schedule.OPEN_STATES for o in results):
        # The live connection ended (its time limit, a crash) while an incident is open.
        notice = schedule.wake_live(tools, os.environ.get("GITHUB_REF_NAME") or "main")
        if notice:
            out(f"notice: {notice}")
    if not results and dry_run:
        # A dry run changes nothing: it says what the real sweep would do, and only that.
        if cfg.sweep.manage_schedule:
            out("notice: would switch the sweep schedule off (no open incident)")
    elif not results:
        from incident_tool.effects import workflow_io

        notice = schedule.rest(tools, lambda: len(sweeping.open_incidents(tools)))
        if notice:
            out(f"notice: {notice}")
            workflow_io.defer("notice", out.mask(notice))
