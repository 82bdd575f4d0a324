"""The sweep's schedule is on while an incident is open and off while none is
(docs/operating.md#actions-bills-and-the-actions-write-permission).

Against the sandbox, whose repository has both workflows (as `init` writes them), and
whose GET/PUT .../actions/workflows/{id}[/enable|/disable] answer as GitHub's do.
"""

from __future__ import annotations

from typing import Any

import pytest

from incident_tool.effects import schedule
from incident_tool.effects.tools import Outcome
from incident_tool.inbound.events import Event
from tests.world import REPO, cli

SWEEP = ".github/workflows/incident-sweep.yml"


def state(world: Any) -> str:
    return world.gh.repo(REPO).workflows[SWEEP].state


def workflow_requests(world: Any) -> list[str]:
    return [
        f"{r.method} {r.path.rsplit('/actions/workflows/', 1)[1]}"
        for r in world.sb.requests
        if "/actions/workflows/" in r.path
    ]


def switch_off(world: Any) -> None:
    world.gh.repo(REPO).workflows[SWEEP].state = "disabled_manually"
    world.sb.reset_log()


# ---------------------------------------------------------------- pure decision


def event(name: str, action: str | None = None, label: str | None = None) -> Event:
    return Event(name, action, REPO, 1, "rita", label=label)


@pytest.mark.parametrize(
    ("evt", "state_after", "expected"),
    [
        (event("issues", "labeled", "incident:reported"), "reported", True),
        (event("issues", "labeled", "incident:declared"), "declared", True),
        (event("issues", "reopened"), "declared", True),
        (event("repository_dispatch", "incident-report"), "reported", True),
        (event("workflow_dispatch"), "reported", True),
        (event("issues", "labeled", "sensitive"), "declared", False),  # not a new incident
        (event("issue_comment", "created"), "mitigated", False),  # commands never open one
        (event("issues", "closed"), "resolved", False),
        (event("issues", "labeled", "incident:dismissed"), "dismissed", False),
    ],
)
def test_which_runs_may_open_an_incident(evt: Event, state_after: str, expected: bool) -> None:
    assert schedule.opens_incident(evt, Outcome(1, True, state=state_after)) is expected


def test_an_unhandled_run_opens_nothing() -> None:
    evt = event("issues", "labeled", "incident:reported")
    assert not schedule.opens_incident(evt, Outcome(1, False, state="reported"))


# ----------------------------------------------------------------- end to end


def test_a_report_switches_the_sweep_on(world: Any) -> None:
    switch_off(world)
    world.report()
    assert state(world) == "active"
    # One GET of its state per run that may open an incident, one PUT to enable it
    # (the sandbox, like GitHub, sends `opened` and `labeled`: the workflow runs only
    # the second, the driver here both, and `opened` opens nothing new).
    assert workflow_requests(world) == ["GET incident-sweep.yml", "PUT incident-sweep.yml/enable"]
    assert "switched the sweep schedule on" in world.driver.log


def test_while_it_is_on_a_declaration_costs_one_get(world: Any) -> None:
    number = world.report()
    world.sb.reset_log()
    world.declare(number)
    assert workflow_requests(world) == ["GET incident-sweep.yml"]
    world.sb.reset_log()
    world.say(number, "sam", "/update rolled back")
    assert workflow_requests(world) == []  # a comment never opens an incident


def test_a_sweep_with_nothing_open_switches_it_off(world: Any) -> None:
    code, output = cli(world, "sweep", "--repo", REPO)
    assert code == 0, output
    assert state(world) == "disabled_manually"
    assert workflow_requests(world) == ["PUT incident-sweep.yml/disable"]
    assert "switched the sweep schedule off" in output
    world.report()  # and the next report switches it on again
    assert state(world) == "active"


def test_a_sweep_with_an_open_incident_leaves_it_on(world: Any) -> None:
    world.report()
    world.sb.reset_log()
    code, output = cli(world, "sweep", "--repo", REPO)
    assert code == 0 and "swept 1 open incident(s)" in output, output
    assert state(world) == "active"
    assert workflow_requests(world) == []


def test_a_report_during_the_sweep_keeps_it_on(world: Any) -> None:
    """Sweep lists nothing; a report lands (its run sees the workflow still active);
    the sweep switches off, looks again, and switches it back on."""
    from incident_sandbox.demo import environment
    from incident_tool import app as sweeping
    from incident_tool.verbs.common import load_config, open_tools

    body = "### Summary\n\nx\n"
    with environment(world.driver.env):
        tools = open_tools(
            REPO, load_config(None, world.root), world.root, dry_run=False, log=lambda _: None
        )

        def someone_reports() -> int:
            world.gh.open_issue(REPO, "rita", "Late", body, labels=["incident:reported"])
            return len(sweeping.open_incidents(tools))

        notice = schedule.rest(tools, someone_reports)
    assert state(world) == "active"
    assert workflow_requests(world)[-2:] == [
        "PUT incident-sweep.yml/disable",
        "PUT incident-sweep.yml/enable",
    ]
    assert notice and "stays on" in notice


def test_without_actions_write_it_degrades_to_a_notice(world: Any) -> None:
    world.gh.bot_actions_write = False
    switch_off(world)
    number = world.report()  # exit 0: world.report() asserts it
    assert state(world) == "disabled_manually"
    assert "could not switch the sweep schedule on" in world.driver.log
    assert "actions: write" in world.driver.log and "sweep.manage_schedule" in world.driver.log
    assert world.state_labels(number) == ["incident:reported"]  # the report itself went on
    code, output = cli(world, "sweep", "--repo", REPO)
    assert code == 0, output
    world.gh.bot_actions_write = True


def test_manage_schedule_false_leaves_it_alone(world: Any) -> None:
    world.write_config(sweep={"manage_schedule": False})
    switch_off(world)
    world.report()
    code, output = cli(world, "sweep", "--repo", REPO)
    assert code == 0, output
    assert workflow_requests(world) == []
    assert state(world) == "disabled_manually"


def test_a_workflow_someone_else_disabled_is_left_alone(world: Any) -> None:
    world.gh.repo(REPO).workflows[SWEEP].state = "disabled_fork"
    world.sb.reset_log()
    world.report()
    assert state(world) == "disabled_fork"
    assert workflow_requests(world) == ["GET incident-sweep.yml"]
    assert "the sweep workflow is disabled_fork" in world.driver.log


def test_dry_run_switches_nothing(world: Any) -> None:
    switch_off(world)
    world.gh.open_issue(REPO, "rita", "Dry", "### Summary\n\nx\n", labels=["incident:reported"])
    for name, payload in world.gh.take_events():
        code, output = world.driver.run(name, payload, "--dry-run")
        assert code == 0, output
    assert state(world) == "disabled_manually"
    assert "PUT incident-sweep.yml/enable" not in workflow_requests(world)
    assert "[dry-run] would enable workflow incident-sweep.yml" in world.driver.log
    # It says what it would do, not that it did (#22 item 10).
    assert "would switch the sweep schedule on (an incident is open)" in world.driver.log
    assert "switched the sweep schedule" not in world.driver.log


def test_a_monitors_report_switches_the_sweep_on(world: Any) -> None:
    from tests.e2e.test_alerts import fire

    switch_off(world)
    fire(world)
    assert state(world) == "active"
    assert workflow_requests(world) == ["GET incident-sweep.yml", "PUT incident-sweep.yml/enable"]


def test_a_dry_run_sweep_says_what_it_would_do_and_does_not(world: Any) -> None:
    assert state(world) == "active"
    code, output = cli(world, "sweep", "--repo", REPO, "--dry-run")
    assert code == 0, output
    assert "would switch the sweep schedule off (no open incident)" in output
    assert "switched" not in output
    assert state(world) == "active"
