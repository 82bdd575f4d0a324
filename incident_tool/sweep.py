"""`incident-tool sweep`: reconcile every open incident and send due reminders.

Requests grow with the number of open incidents only: closed ones are never listed.
"""

from __future__ import annotations

from incident_tool.github import GitHubError, describe
from incident_tool.run import Outcome, Tools, process
from incident_tool.states import State


def open_incidents(tools: Tools) -> list[int]:
    """List open issues carrying an open state label (one query per state: labels AND)."""
    from github import GithubException

    numbers: set[int] = set()
    try:
        for state in (State.REPORTED, State.DECLARED, State.MITIGATED):
            for issue in tools.gateway.repo.get_issues(state="open", labels=[state.label]):
                if issue.pull_request is None:
                    numbers.add(issue.number)
    except GithubException as exc:
        raise GitHubError(describe(exc)) from None
    return sorted(numbers)


def sweep(tools: Tools) -> list[Outcome]:
    outcomes = []
    for number in open_incidents(tools):
        try:
            outcomes.append(process(number, tools, sweeping=True))
        except GitHubError as exc:
            # One broken incident must not stop reminders for the others.
            tools.log(f"warning: #{number}: {exc}")
            outcomes.append(Outcome(number, False, problems=[str(exc)]))
    return outcomes
