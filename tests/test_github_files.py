"""The GitHub files (workflows, action, issue form and chooser) are valid, safe and as intended.

check-jsonschema and zizmor are run as a user would; both work offline (built-in schemas,
`zizmor --offline`). They come with the test dependencies, so a missing one is a failure.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from incident_tool.init import render_issue_config

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github/workflows/incident.yml"
TEMPLATE_WORKFLOW = ROOT / "incident_tool/templates/workflow.yml"
CI = ROOT / ".github/workflows/ci.yml"
ACTION = ROOT / "action.yml"
ISSUE_FORMS = [
    ROOT / ".github/ISSUE_TEMPLATE/report-incident.yml",
    ROOT / "incident_tool/templates/report-incident.yml",
]
ISSUE_CONFIGS = [
    ROOT / ".github/ISSUE_TEMPLATE/config.yml",
    ROOT / "incident_tool/templates/ISSUE_TEMPLATE_config.yml",
]
WORKFLOWS = sorted((ROOT / ".github/workflows").glob("*.y*ml")) + [TEMPLATE_WORKFLOW]
INCIDENT_WORKFLOWS = [WORKFLOW, TEMPLATE_WORKFLOW]
EVERY_ACTIONS_FILE = [*WORKFLOWS, ACTION]

SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[^@]*)?@[0-9a-f]{40}$")
FORM_IDS = {
    "summary",
    "service",
    "impact",
    "started",
    "noticed",
    "links",
    "severity",
    "sensitive",
}


def tool(name: str) -> str:
    """Return the path of a command-line tool, failing (not skipping) when it is missing."""
    found = shutil.which(name)
    if found is None:
        pytest.fail(
            f"`{name}` is not installed; it is a test dependency: "
            "python -m pip install -e '.[test]'"
        )
    return found


def load(path: Path) -> dict[str, Any]:
    """Load a YAML file; PyYAML reads the key `on` as True, so put it back."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:
        data["on"] = data.pop(True)
    return data


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def all_steps(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the steps of every job of a workflow, or of a composite action."""
    if "jobs" in data:
        return [step for job in data["jobs"].values() for step in job.get("steps", [])]
    return data["runs"]["steps"]


# ------------------------------------------------------------------ schemas


@pytest.mark.parametrize(
    ("schema", "files"),
    [
        ("vendor.github-issue-forms", ISSUE_FORMS),
        ("vendor.github-issue-config", ISSUE_CONFIGS),
        ("vendor.github-workflows", WORKFLOWS),
        ("vendor.github-actions", [ACTION, *sorted(ROOT.glob("tests/act/*/action.yml"))]),
    ],
    ids=["issue-forms", "issue-config", "workflows", "action"],
)
def test_files_match_githubs_schemas(schema: str, files: list[Path]) -> None:
    proc = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", schema, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"{schema}:\n{proc.stdout}{proc.stderr}"


def test_zizmor_finds_nothing() -> None:
    """zizmor's default persona: no findings (the one justified ignore is inline)."""
    targets = [ROOT / ".github", ACTION, TEMPLATE_WORKFLOW]
    proc = subprocess.run(
        [tool("zizmor"), "--offline", "--no-progress", "--color", "never", *map(str, targets)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    # zizmor exits non-zero when it reports any finding.
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr[-2000:]}"
    assert "No findings to report" in proc.stdout
    for path in (WORKFLOW, CI, TEMPLATE_WORKFLOW, ACTION):
        assert rel(path) in proc.stderr or str(path) in proc.stderr, f"zizmor skipped {path}"


# ------------------------------------------------------- workflow structure


@pytest.mark.parametrize("path", INCIDENT_WORKFLOWS, ids=rel)
def test_incident_workflow_triggers(path: Path) -> None:
    on = load(path)["on"]
    assert on["issues"] == {"types": ["opened", "labeled", "closed", "reopened"]}
    assert on["issue_comment"] == {"types": ["created"]}
    assert on["schedule"] == [{"cron": "*/10 * * * *"}]
    assert "workflow_dispatch" in on


@pytest.mark.parametrize("path", INCIDENT_WORKFLOWS, ids=rel)
def test_incident_workflow_permissions_are_least_privilege(path: Path) -> None:
    data = load(path)
    assert data["permissions"] == {}
    assert set(data["jobs"]) == {"handle", "sweep"}
    for name, job in data["jobs"].items():
        assert job["permissions"] == {"contents": "read", "issues": "write"}, name


@pytest.mark.parametrize("path", INCIDENT_WORKFLOWS, ids=rel)
def test_one_uncancelled_concurrency_group_per_issue(path: Path) -> None:
    jobs = load(path)["jobs"]
    assert jobs["handle"]["concurrency"] == {
        "group": "incident-${{ github.event.issue.number }}",
        "cancel-in-progress": False,
    }
    assert jobs["sweep"]["concurrency"] == {"group": "incident-sweep", "cancel-in-progress": False}
    assert "concurrency" not in load(path), "a workflow-level group would queue ignored events"


@pytest.mark.parametrize("path", INCIDENT_WORKFLOWS, ids=rel)
def test_jobs_filter_events_before_installing(path: Path) -> None:
    jobs = load(path)["jobs"]
    handle_if = " ".join(jobs["handle"]["if"].split())
    assert handle_if.startswith("!github.event.issue.pull_request && (")
    for needle in (
        "startsWith(github.event.label.name, 'incident:')",
        "github.event.label.name == 'sensitive'",
        "github.event_name == 'issue_comment'",
        "contains(join(github.event.issue.labels.*.name, ' '), 'incident:')",
    ):
        assert needle in handle_if
    assert jobs["sweep"]["if"] == (
        "github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'"
    )


@pytest.mark.parametrize("path", INCIDENT_WORKFLOWS, ids=rel)
def test_incident_workflow_steps(path: Path) -> None:
    jobs = load(path)["jobs"]
    for name, command in (("handle", "incident-tool handle"), ("sweep", None)):
        steps = jobs[name]["steps"]
        checkout, setup, install, run = steps
        assert checkout["uses"].startswith("actions/checkout@")
        assert checkout["with"] == {"persist-credentials": False}
        assert setup["uses"].startswith("actions/setup-python@")
        assert setup["with"]["python-version"] == "3.12"
        assert setup["with"]["cache"] == "pip"
        assert "pip install" in install["run"]
        assert run["env"] == {
            "GITHUB_TOKEN": "${{ github.token }}",
            "SLACK_BOT_TOKEN": "${{ secrets.SLACK_BOT_TOKEN }}",
            "SLACK_API_URL": "${{ vars.SLACK_API_URL || 'https://slack.com/api/' }}",
        }
        if command:
            assert run["run"] == command
        else:
            assert run["run"] == 'incident-tool sweep --repo "$GITHUB_REPOSITORY"'


def test_own_workflow_dogfoods_the_checkout() -> None:
    install = load(WORKFLOW)["jobs"]["handle"]["steps"][2]
    assert install["run"].endswith("pip install --disable-pip-version-check .")
    setup = load(WORKFLOW)["jobs"]["handle"]["steps"][1]
    assert setup["with"]["cache-dependency-path"] == "pyproject.toml"


def test_template_workflow_differs_only_in_what_it_installs() -> None:
    """The adopters' workflow is ours with the released package instead of `pip install .`."""
    ours, theirs = load(WORKFLOW), load(TEMPLATE_WORKFLOW)
    for data in (ours, theirs):
        for job in data["jobs"].values():
            setup, install = job["steps"][1], job["steps"][2]
            setup["with"].pop("cache-dependency-path")
            install.pop("run")
            install.pop("env", None)
    assert ours == theirs
    for job in load(TEMPLATE_WORKFLOW)["jobs"].values():
        setup, install = job["steps"][1], job["steps"][2]
        assert setup["with"]["cache-dependency-path"] == ".github/workflows/incident.yml"
        assert install["env"] == {"INCIDENT_TOOL_VERSION": "__INCIDENT_TOOL_VERSION__"}
        assert install["run"].endswith('"incident-tool==$INCIDENT_TOOL_VERSION"')


def test_ci_workflow() -> None:
    data = load(CI)
    assert set(data["on"]) == {"push", "pull_request"}
    assert data["permissions"] == {"contents": "read"}
    (job,) = data["jobs"].values()
    assert job["strategy"]["matrix"]["python-version"] == ["3.10", "3.13"]
    assert job["steps"][-1]["run"] == "bash .ci/run"


@pytest.mark.parametrize("path", EVERY_ACTIONS_FILE, ids=rel)
def test_actions_are_pinned_to_commit_shas(path: Path) -> None:
    steps = [s for s in all_steps(load(path)) if "uses" in s]
    assert steps, f"{path} uses no action?"
    text = path.read_text(encoding="utf-8")
    for step in steps:
        uses = step["uses"]
        assert SHA_PIN.match(uses), f"{rel(path)}: {uses} is not pinned to a 40-hex commit"
        # The trailing comment names the release, so a reader (and Dependabot) knows it.
        assert re.search(rf"uses: {re.escape(uses)} # v\d+\.\d+\.\d+\s*$", text, re.M), uses


@pytest.mark.parametrize("path", EVERY_ACTIONS_FILE, ids=rel)
def test_no_expression_inside_run(path: Path) -> None:
    """Untrusted text reaches scripts only through `env:` (no template injection)."""
    for step in all_steps(load(path)):
        assert "${{" not in step.get("run", ""), f"{rel(path)}: {step.get('name', step)}"


# ------------------------------------------------------------------ action


def test_action_inputs_and_install() -> None:
    data = load(ACTION)
    inputs = data["inputs"]
    assert {"github-token", "slack-bot-token", "config", "command", "python-version"} <= set(inputs)
    assert inputs["github-token"]["default"] == "${{ github.token }}"
    assert inputs["config"]["default"] == ".github/incident.yml"
    assert inputs["command"]["default"] == "handle"
    assert data["runs"]["using"] == "composite"
    steps = data["runs"]["steps"]
    install = next(s for s in steps if s.get("name") == "Install incident-tool")
    assert '"$GITHUB_ACTION_PATH"' in install["run"]
    run = steps[-1]
    for name in ("github-token", "slack-bot-token", "config", "command"):
        assert f"${{{{ inputs.{name} }}}}" in run["env"].values(), name
    assert "incident-tool handle" in run["run"] and "incident-tool sweep" in run["run"]


# -------------------------------------------------------------- issue files


def test_issue_form_fields_and_label() -> None:
    for path in ISSUE_FORMS:
        form = load(path)
        ids = {item["id"] for item in form["body"] if "id" in item}
        assert ids == FORM_IDS, rel(path)
        assert form["labels"] == ["incident:reported"], rel(path)
    assert ISSUE_FORMS[0].read_bytes() == ISSUE_FORMS[1].read_bytes(), "form copies differ"


def test_issue_chooser_is_what_init_writes() -> None:
    # This repository's public URL is not fixed yet, so ours has no contact link; init
    # writes one for adopters from their `origin` remote (tests/test_init.py).
    ours = ISSUE_CONFIGS[0].read_text(encoding="utf-8")
    assert ours == render_issue_config(None), "differs from the template init writes"
    assert load(ISSUE_CONFIGS[0])["blank_issues_enabled"] is True
