"""Keep the sweep's schedule on while an incident is open, and off while none is.

GitHub bills every job as at least one minute (private repositories), so a sweep every
5 minutes would cost 288 jobs a day with nothing to do. Instead:
- when a run leaves an incident open after an event that can open one (a report, a
  declaration, a reopening), `wake` makes sure `.github/workflows/incident-sweep.yml`
  is enabled: one GET of its state, and one PUT only when it is not active;
- when a sweep finds no open incident, `rest` disables it (one PUT), then looks again
  for open incidents, in case one was reported meanwhile (its `wake` may have seen the
  workflow still active), and enables it again if so.

Both need `actions: write` for the job's token. Without it, or with
`sweep.manage_schedule: false`, the schedule is left as it is, with a notice: the tool
never fails for this.
"""

from __future__ import annotations

from collections.abc import Callable

from incident_tool.core.states import State
from incident_tool.effects.github import GitHubError
from incident_tool.effects.tools import Outcome, Tools
from incident_tool.inbound.events import Event

SWEEP_WORKFLOW = "incident-sweep.yml"
OPEN_STATES = {State.REPORTED.value, State.DECLARED.value, State.MITIGATED.value}
# The events after which an incident may newly be open. Comments (`/mitigated`), closing
# and the like never open one, so they cost no request here.
REPORTS = {"repository_dispatch", "workflow_dispatch"}
HINT = (
    "give the workflow job `actions: write`, or set `sweep.manage_schedule: false` in"
    " .github/incident.yml to leave the schedule to you"
)


def opens_incident(event: Event, outcome: Outcome) -> bool:
    """Say whether this run may have opened an incident (pure: no request)."""
    if not outcome.handled or outcome.state not in OPEN_STATES:
        return False
    return may_open(event)


def may_open(event: Event) -> bool:
    """Say whether an event of this kind can open an incident, before its run (pure): a run
    starts `wake` beside the incident's own work, and keeps its notice only when the
    incident did open (`opens_incident`)."""
    if event.name in REPORTS:
        return True
    if event.name != "issues":
        return False
    if event.action == "reopened":
        return True
    return event.action == "labeled" and State.from_label((event.label or "").lower()) is not None


def wake(tools: Tools) -> str | None:
    """Enable the sweep workflow unless it is active; return a notice, or None."""
    if not tools.config.sweep.manage_schedule:
        return None
    gateway = tools.gateway
    try:
        state = gateway.workflow_state(SWEEP_WORKFLOW)
        if state == "active":
            return None
        if state not in ("disabled_manually", "disabled_inactivity"):
            # disabled_fork, deleted: someone decided; not ours to undo.
            return f"the sweep workflow is {state}: reminders are not sent until it runs"
        gateway.set_workflow_enabled(SWEEP_WORKFLOW, True)  # a dry run only lists it
    except GitHubError as exc:
        return f"could not switch the sweep schedule on ({exc}); {HINT}"
    done = "would switch" if gateway.dry_run else "switched"
    return f"{done} the sweep schedule on (an incident is open)"


def rest(tools: Tools, still_open: Callable[[], int]) -> str | None:
    """Disable the sweep workflow while nothing is open; return a notice, or None.

    `still_open` counts the open incidents again after the workflow is disabled.
    """
    if not tools.config.sweep.manage_schedule:
        return None
    gateway = tools.gateway
    try:
        gateway.set_workflow_enabled(SWEEP_WORKFLOW, False)
    except GitHubError as exc:
        return f"could not switch the sweep schedule off ({exc}); {HINT}"
    try:
        reopen = still_open() > 0
        why = "an incident opened during the sweep"
    except GitHubError as exc:
        reopen, why = True, f"could not look for incidents again ({exc})"
    if reopen:
        try:
            gateway.set_workflow_enabled(SWEEP_WORKFLOW, True)
        except GitHubError as exc:
            return f"{why}, and could not switch the sweep schedule back on ({exc})"
        return f"{why}: the sweep schedule stays on"
    return "switched the sweep schedule off (no open incident); a report switches it on"


LIVE_WORKFLOW = "incident-live.yml"


def wake_live(tools: Tools, ref: str) -> str | None:
    """With `slack.live: actions`, start the live connection's workflow unless a run of it
    is queued or in progress (docs/usage.md#live-slack): one GET, one POST when none is."""
    if tools.config.slack.live != "actions" or tools.gateway.dry_run:
        return None
    try:
        if tools.gateway.workflow_running(LIVE_WORKFLOW):
            return None
        tools.gateway.dispatch_workflow(LIVE_WORKFLOW, ref)
    except GitHubError as exc:
        return f"could not start the live Slack connection ({exc}); the sweep carries on"
    return "started the live Slack connection (an incident is open)"
