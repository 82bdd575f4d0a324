"""Under act: the incident workflow's `if` starts no job for a close or reopen of a locked
issue by its author without access (issue #23), and still does for everyone else; and
tests/workflow_if.py, which the cost test counts jobs with, agrees with act on each.

The payloads are the act harness's (the fields an `if` reads) and the sandbox's own
deliveries (GitHub's whole payload shape).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from incident_sandbox import Sandbox
from tests.workflow_if import starts_job

_spec = importlib.util.spec_from_file_location(
    "act_harness", Path(__file__).parents[1] / "act" / "harness.py"
)
assert _spec is not None and _spec.loader is not None
harness = sys.modules.get("act_harness") or importlib.util.module_from_spec(_spec)
if "act_harness" not in sys.modules:
    sys.modules["act_harness"] = harness  # dataclasses look their module up there
    _spec.loader.exec_module(harness)

pytestmark = pytest.mark.act

REPO = "acme/web"
JOB = "Handle issue event"


@pytest.fixture(scope="module")
def act_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("act-cache")


@pytest.fixture
def act(tmp_path: Path, act_cache: Path) -> Any:
    try:
        return harness.ActHarness(tmp_path, repository=REPO, cache_dir=act_cache)
    except harness.ActMissing as exc:
        pytest.fail(str(exc))


def closed(
    *, locked: bool, association: str, sender: str = "rita-reporter", action: str = "closed"
) -> dict[str, Any]:
    """rita-reporter's declared incident, closed (or reopened) by `sender`."""
    payload = harness.issue_payload(
        action,
        labels=("incident:declared",),
        state="closed" if action == "closed" else "open",
        state_reason="completed" if action == "closed" else "reopened",
        sender=sender,
    )
    payload["issue"]["locked"] = locked
    payload["issue"]["active_lock_reason"] = None
    payload["issue"]["author_association"] = association
    return payload


SKIPPED = {
    f"locked, closed by its author ({who})": closed(locked=True, association=who)
    for who in ("NONE", "FIRST_TIMER", "FIRST_TIME_CONTRIBUTOR", "CONTRIBUTOR")
} | {
    "locked, reopened by its author (NONE)": closed(
        locked=True, association="NONE", action="reopened"
    ),
}
RUN = {
    "locked, closed by its author, a member": closed(locked=True, association="MEMBER"),
    "locked, closed by its author, a collaborator": closed(locked=True, association="COLLABORATOR"),
    "locked, reopened by a delivery manager": closed(
        locked=True, association="NONE", sender="dana-dm", action="reopened"
    ),
    "not locked, closed by its author (NONE)": closed(locked=False, association="NONE"),
}


@pytest.mark.parametrize("case", list(SKIPPED))
def test_an_authors_close_of_a_locked_incident_starts_no_job(act: Any, case: str) -> None:
    payload = SKIPPED[case]
    assert not starts_job("issues", payload)
    run = act.run("issues", payload, verbose=True)
    assert run.returncode == 0, run.describe()
    assert f"Skipping job '{JOB}'" in run.output, run.describe()
    assert "⭐ Run Main" not in run.output, run.describe()


def started(act: Any, tmp_path: Path, event_name: str, payload: dict[str, Any]) -> bool:
    """Run the workflow with the probe standing in for incident-tool: whether the job ran."""
    record = tmp_path / "probe.json"
    probe = harness.write_probe(tmp_path / "probe-bin", record)
    run = act.run(
        event_name,
        payload,
        env={"GITHUB_API_URL": "http://127.0.0.1:9", "ACT_STANDIN_PROBE_BIN": str(probe.parent)},
        secrets={"GITHUB_TOKEN": "ghs_probe_token"},
        verbose=True,
    )
    assert run.returncode == 0, run.describe()
    ran = run.steps().get("Run incident-tool") == "Success"
    assert ran == record.exists(), run.describe()
    assert ran != (f"Skipping job '{JOB}'" in run.output), run.describe()
    return ran


@pytest.mark.parametrize("case", list(RUN))
def test_everyone_elses_close_still_runs(act: Any, tmp_path: Path, case: str) -> None:
    payload = RUN[case]
    assert starts_job("issues", payload)
    assert started(act, tmp_path, "issues", payload)


@pytest.fixture
def deliveries() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """GitHub's own shape: olly's declared report, locked by dana; olly closes it, dana
    reopens it."""
    with Sandbox() as sb:
        gh = sb.github
        gh.add_repo(REPO)
        gh.add_user("dana")
        gh.add_collaborator(REPO, "dana", "maintain")
        gh.add_user("olly")
        gh.create_label(REPO, "incident:declared", "d93f0b")
        number = gh.open_issue(REPO, "olly", "Checkout is down", "It broke")["number"]
        gh.add_label(REPO, number, "dana", "incident:declared")
        gh.lock_issue(REPO, number, "dana")
        gh.take_events()
        gh.close_issue(REPO, number, "olly")
        gh.reopen_issue(REPO, number, "dana")
        yield gh.take_events()


def test_the_sandboxs_deliveries_under_act(act: Any, tmp_path: Path, deliveries) -> None:
    (name, by_olly), (_, by_dana) = deliveries
    assert (by_olly["action"], by_olly["issue"]["locked"]) == ("closed", True)
    assert not starts_job(name, by_olly)
    run = act.run(name, by_olly, verbose=True)
    assert f"Skipping job '{JOB}'" in run.output, run.describe()
    assert starts_job(name, by_dana)
    assert started(act, tmp_path, name, by_dana)
