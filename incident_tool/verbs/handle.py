"""`incident-tool handle`: one GitHub event, as the workflow hands it over
(docs/architecture.md#how-it-works).

Imports are lazy on purpose: an event it ignores reads one JSON file and exits without
importing PyGithub, slack-sdk or Jinja (the start-up budget in docs/measured.md#measured).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from incident_tool.errors import EXIT_USAGE
from incident_tool.verbs.common import (
    _out,
    _repo,
    fail,
    load_config,
    open_tools,
    report_outcome,
    run_guarded,
    with_title_prefix,
)


def run(
    event_name: str | None,
    event_path: str | None,
    repo: str | None,
    config_path: str | None,
    dry_run: bool,
) -> None:
    """Handle one event: ignore it cheaply, or bring its incident up to date."""
    from incident_tool.inbound import events

    out = _out()
    if not event_name or not event_path:
        fail(
            "no event: set --event-name and --event-path (GitHub Actions sets "
            "GITHUB_EVENT_NAME and GITHUB_EVENT_PATH)",
            EXIT_USAGE,
        )
    event = events.load(event_path, event_name)  # an EventError: `_run` says it, exit 2
    reason = event.ignore_reason()
    if reason:
        out(f"ignored: {reason}")
        return
    if event.sender_is_bot and event.name == "issues" and event.action == "labeled":
        out("ignored: label changed by a bot (the tool's own write)")
        return
    root = Path.cwd()
    repo = repo or os.environ.get("GITHUB_REPOSITORY") or event.repo
    if event.number is None and event.name in events.REPORT_EVENTS:
        report(event, _repo(repo), config_path, dry_run)
        return
    cfg = load_config(config_path, root, log=out, with_form=False)
    from incident_tool.core.trust import left_to_next_run

    deferred = left_to_next_run(event, cfg)  # an outsider's comment costs no request
    if deferred:
        out(f"ignored: {deferred}")
        return
    cfg = with_title_prefix(cfg, root)  # the form read only for an event that runs
    tools = open_tools(_repo(repo), cfg, root, dry_run=dry_run, log=out)
    unanswered = _left_unanswered(event, cfg, tools)  # an outsider's report: one request
    if unanswered:
        out(f"ignored: {unanswered}")
        return
    from incident_tool.app import process
    from incident_tool.core.template_check import template_decision
    from incident_tool.effects import schedule
    from incident_tool.effects.parallel import both
    from incident_tool.effects.retrospective import template_problem

    def wakes() -> list[str | None]:
        # Beside the run, not after it: the schedule's GET does not wait for the incident's
        # writes (a run that turns out not to open one only looked, or woke a sweep that
        # finds nothing open and rests again).
        if not schedule.may_open(event):
            return []
        return [schedule.wake(tools), schedule.wake_live(tools, _ref())]

    # The team's template is tried before the run (a file and a sample render), so a
    # broken one shows on the open incident's status comment, not first at resolution.
    decisions = [template_decision(template_problem(cfg, root))]

    def handled() -> Any:
        assert event.number is not None  # events without one are reports, handled above
        return process(event.number, tools, event=event, decisions=decisions)

    outcome, woke = both(lambda: run_guarded(handled, tools), wakes)
    if schedule.opens_incident(event, outcome):
        outcome.notices += [notice for notice in woke if notice]
    report_outcome(outcome, f"{event.kind} on #{event.number}")
    if cfg.status_page.enabled and not dry_run:
        from incident_tool.verbs.status_page import write_output

        # The workflow's Pages job runs only when this says "changed" (docs/usage.md#status-page).
        write_output(outcome.page_changed)


def _left_unanswered(event: Any, cfg: Any, tools: Any) -> str | None:
    """Why a new report of someone without access is left to the team unanswered
    (`trust.left_unanswered`: beyond the day's answered ones); None to run it. The count is
    the one its paging limit needs anyway: the run that follows reads it again for free."""
    from incident_tool.core.record import parse_time
    from incident_tool.core.trust import left_unanswered, outsiders_new_report
    from incident_tool.effects.facts import reports_before

    login = outsiders_new_report(event, cfg)
    created = parse_time((event.raw.get("issue") or {}).get("created_at"))
    if login is None or created is None or event.number is None:
        return None
    earlier = run_guarded(
        lambda: reports_before(tools.gateway, login, created, event.number), tools
    )
    return left_unanswered(login, earlier, cfg)


def _ref() -> str:
    """The branch the live workflow runs on: the one this run was started for."""
    return os.environ.get("GITHUB_REF_NAME") or "main"


def report(event: Any, repo: str, config_path: str | None, dry_run: bool) -> None:
    """Turn a report from a monitor or the Actions tab into the problem's issue.

    docs/usage.md#reports-from-monitors-scripts-and-the-actions-tab.
    """
    from incident_tool.inbound import alerts
    from incident_tool.verbs import open as intake

    out = _out()
    try:
        report = intake.report_from_event(event)
    except alerts.PayloadError as exc:
        # Exit 1, not 2: the tool was called and configured right; what was sent is wrong.
        fail(f"refused {event.kind}: {exc}. Nothing was created.")
    root = Path.cwd()
    cfg = load_config(config_path, root, log=out)
    tools = open_tools(repo, cfg, root, dry_run=dry_run, log=out)
    received = run_guarded(lambda: intake.receive(report, tools, run=intake.run_id()), tools)
    if dry_run and received.body:
        out(received.body)
    out(f"{event.kind}: {intake.describe_received(received, report)}")
    if received.outcome is not None:
        from incident_tool.effects import schedule

        if schedule.opens_incident(event, received.outcome):
            notice = schedule.wake(tools)
            if notice:
                received.outcome.notices.append(notice)
        report_outcome(received.outcome, f"{event.kind} on #{received.outcome.number}")
