"""`incident-tool sweep`: reconcile every open incident and send due reminders.

Requests grow with the number of open incidents only: closed ones are never listed.
"""

from __future__ import annotations

from github.Issue import Issue

from incident_tool.github import GitHubError, describe
from incident_tool.run import Outcome, Tools, process
from incident_tool.states import State


def open_incidents(tools: Tools) -> list[Issue]:
    """List open issues carrying an open state label (one query per state: labels AND)."""
    from github import GithubException

    found: dict[int, Issue] = {}
    try:
        for state in (State.REPORTED, State.DECLARED, State.MITIGATED):
            for issue in tools.gateway.repo.get_issues(state="open", labels=[state.label]):
                # Not `issue.pull_request`: reading an absent attribute fetches the issue again.
                if "/pull/" not in issue.html_url:
                    found[issue.number] = issue
    except (GithubException, OSError) as exc:
        raise GitHubError(describe(exc)) from None
    return [found[n] for n in sorted(found)]


def sweep(tools: Tools) -> list[Outcome]:
    from incident_tool.slack_reports import read_reports

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
    return outcomes
