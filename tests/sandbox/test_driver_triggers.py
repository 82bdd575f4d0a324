"""The sandbox's Driver starts `handle` for what incident.yml's `on:` subscribes to, as
GitHub Actions would, and for nothing else (an `issues.opened` webhook runs no job)."""

from __future__ import annotations

from pathlib import Path

import yaml

from incident_sandbox.demo import INCIDENT_YML_TRIGGERS, starts_incident_yml

ROOT = Path(__file__).resolve().parents[2]


def _triggers(path: Path) -> dict[str, frozenset[str] | None]:
    workflow = yaml.safe_load(path.read_text("utf-8"))
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as True
    return {
        name: frozenset(spec["types"]) if spec and "types" in spec else None
        for name, spec in on.items()
    }


def test_the_drivers_triggers_are_the_workflows():
    assert _triggers(ROOT / "incident_tool" / "templates" / "workflow.yml") == INCIDENT_YML_TRIGGERS
    assert _triggers(ROOT / ".github" / "workflows" / "incident.yml") == INCIDENT_YML_TRIGGERS


def test_an_opened_issue_starts_no_job_its_forms_label_does():
    assert not starts_incident_yml("issues", {"action": "opened"})
    assert starts_incident_yml("issues", {"action": "labeled"})
    assert not starts_incident_yml("issue_comment", {"action": "edited"})
    assert starts_incident_yml("repository_dispatch", {"action": "incident-report"})
    assert not starts_incident_yml("repository_dispatch", {"action": "deploy"})
    assert starts_incident_yml("workflow_dispatch", {"workflow": ".github/workflows/incident.yml"})
    assert not starts_incident_yml(
        "workflow_dispatch", {"workflow": ".github/workflows/incident-live.yml"}
    )
    assert not starts_incident_yml("push", {})
