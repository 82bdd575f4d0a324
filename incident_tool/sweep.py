"""`incident-tool sweep`: reconcile every open incident and send due reminders.

Requests grow with the number of open incidents only: closed ones are never listed.
"""

from __future__ import annotations

from datetime import datetime

from github.Issue import Issue

from incident_tool import app as run_module
from incident_tool.app import Outcome, Tools, process
from incident_tool.core import followups
from incident_tool.core.states import State
from incident_tool.effects.github import GitHubError, describe


def open_incidents(tools: Tools) -> list[Issue]:
    """List open issues with an open state label, and issues whose open/closed state
    disagrees with their state label (one query per state and open/closed: labels AND)."""
    from github import GithubException

    found: dict[int, Issue] = {}
    opened = (State.REPORTED, State.DECLARED, State.MITIGATED)
    # Also a close or a reopen whose run was dropped (issue #10: a person's change is
    # carried out or undone by the next run): its labels still say the other state. Few
    # or none, so these queries stay small however many incidents were ever closed.
    queries = [("open", s) for s in opened]
    queries += [("open", s) for s in (State.RESOLVED, State.DISMISSED)]
    queries += [("closed", s) for s in opened]
    try:
        for where, state in queries:
            for issue in tools.gateway.repo.get_issues(state=where, labels=[state.label]):
                # Not `issue.pull_request`: reading an absent attribute fetches the issue again.
                if "/pull/" not in issue.html_url:
                    found[issue.number] = issue
    except (GithubException, OSError) as exc:
        raise GitHubError(describe(exc)) from None
    return [found[n] for n in sorted(found)]


def sweep(tools: Tools) -> list[Outcome]:
    from incident_tool.effects.slack_reports import read_reports

    # Reports given in Slack first (SPEC §11): each is opened and processed at once.
    opened = set(read_reports(tools))
    outcomes = []
    for issue in open_incidents(tools):
        number = issue.number
        if number in opened:
            continue
        try:
            outcomes.append(process(number, tools, sweeping=True, issue=issue))
        except GitHubError as exc:
            # One broken incident must not stop reminders for the others.
            tools.log(f"warning: #{number}: {exc}")
            outcomes.append(Outcome(number, False, problems=[str(exc)]))
            if "cannot reach GitHub" in str(exc):
                # A server that stopped answering would cost each incident its timeouts.
                raise
    sweep_followups(tools)
    return outcomes


def sweep_followups(tools: Tools, now: datetime | None = None) -> followups.SweepResult:
    """Attach loose follow-ups, remind owners of overdue ones (one listing per sweep)."""
    config = tools.config
    result = followups.sweep(
        tools.gateway,
        config.followups.labels,
        config.followups.due_after,
        now or run_module.utcnow(),
        delivery_managers=config.delivery_managers,
        log=tools.log,
    )
    if result.attached:
        tools.log("follow-ups attached to their retrospective: " + _numbers(result.attached))
    if result.reminded:
        tools.log("overdue follow-ups reminded: " + _numbers(result.reminded))
    for problem in result.problems:
        tools.log(f"warning: follow-up {problem}")
    return result


def _numbers(numbers: list[int]) -> str:
    return ", ".join(f"#{n}" for n in numbers)
