"""The GitHub files (workflows, action, issue form and chooser) are valid, safe and as intended.

check-jsonschema and zizmor are run as a user would; both work offline (built-in schemas,
`zizmor --offline`). They come with the test dependencies, so a missing one is a failure.
"""

from __future__ import annotations

import atexit
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from incident_tool import __version__
from incident_tool.verbs.init import render_issue_config, render_workflow
from tools.own_workflows import own_workflows

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github/workflows/incident.yml"
SWEEP = ROOT / ".github/workflows/incident-sweep.yml"
LIVE = ROOT / ".github/workflows/incident-live.yml"
RELEASE = ROOT / ".github/workflows/release.yml"
CI = ROOT / ".github/workflows/ci.yml"
ACTION = ROOT / "action.yml"
TEMPLATES = ROOT / "incident_tool/templates"
ISSUE_FORMS = [
    ROOT / ".github/ISSUE_TEMPLATE/report-incident.yml",
    ROOT / "incident_tool/templates/report-incident.yml",
    ROOT / "incident_tool/templates/team-report-form.yml",
]
ISSUE_CONFIGS = [
    ROOT / ".github/ISSUE_TEMPLATE/config.yml",
    ROOT / "incident_tool/templates/ISSUE_TEMPLATE_config.yml",
]
PINNED = "acme/incident-tool@" + "ab" * 20  # what an adopter's workflows name
# The adopters' workflows as `init` writes them (status page job included), next to ours.
RENDERED = Path(tempfile.mkdtemp(prefix="incident-tool-rendered-")) / ".github/workflows"
RENDERED.mkdir(parents=True)
atexit.register(shutil.rmtree, RENDERED.parent.parent, True)
TEMPLATE_WORKFLOW = RENDERED / "incident.yml"
TEMPLATE_SWEEP = RENDERED / "incident-sweep.yml"
TEMPLATE_WORKFLOW.write_text(render_workflow("workflow.yml", PINNED, status_page=True))
TEMPLATE_SWEEP.write_text(render_workflow("workflow-sweep.yml", PINNED))
TEMPLATE_FOLLOWUPS = RENDERED / "incident-followups.yml"
TEMPLATE_FOLLOWUPS.write_text(render_workflow("workflow-followups.yml", PINNED))
TEMPLATE_LIVE = RENDERED / "incident-live.yml"
TEMPLATE_LIVE.write_text(render_workflow("workflow-live.yml", PINNED))
WORKFLOWS = sorted((ROOT / ".github/workflows").glob("*.y*ml")) + [
    TEMPLATE_WORKFLOW,
    TEMPLATE_SWEEP,
    TEMPLATE_FOLLOWUPS,
    TEMPLATE_LIVE,
]
INCIDENT_WORKFLOWS = [WORKFLOW, TEMPLATE_WORKFLOW]
SWEEP_WORKFLOWS = [SWEEP, TEMPLATE_SWEEP]
LIVE_WORKFLOWS = [LIVE, TEMPLATE_LIVE]
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
    if path.is_relative_to(RENDERED):
        return f"template:{path.name}"
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
    targets = [ROOT / ".github", ACTION, RENDERED]
    proc = subprocess.run(
        [tool("zizmor"), "--offline", "--no-progress", "--color", "never", *map(str, targets)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    # zizmor exits non-zero when it reports any finding.
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr[-2000:]}"
    assert "No findings to report" in proc.stdout
    for path in (
        WORKFLOW,
        SWEEP,
        LIVE,
        RELEASE,
        CI,
        TEMPLATE_WORKFLOW,
        TEMPLATE_SWEEP,
        TEMPLATE_LIVE,
        ACTION,
    ):
        assert rel(path) in proc.stderr or str(path) in proc.stderr, f"zizmor skipped {path}"


# ------------------------------------------------------- workflow structure


@pytest.mark.parametrize("path", INCIDENT_WORKFLOWS, ids=rel)
def test_incident_workflow_triggers(path: Path) -> None:
    on = load(path)["on"]
    # Not `opened`: a report's `labeled` events follow it (one job per report).
    assert on["issues"] == {"types": ["labeled", "closed", "reopened"]}
    assert on["issue_comment"] == {"types": ["created"]}
    assert on["repository_dispatch"] == {"types": ["incident-report"]}
    inputs = on["workflow_dispatch"]["inputs"]
    assert set(inputs) == {"title", "summary", "service", "severity"}
    assert inputs["title"]["required"] is True
    assert inputs["severity"]["type"] == "choice"
    assert inputs["severity"]["options"] == ["", "1", "2", "3", "4"]
    # The schedule lives in its own file: GitHub disables a public repository's scheduled
    # workflow after 60 days without a commit, whole file included
    # (docs/adopting.md#adopting-it-in-a-repository).
    assert "schedule" not in on


@pytest.mark.parametrize("path", SWEEP_WORKFLOWS, ids=rel)
def test_sweep_workflow_is_the_schedule_alone(path: Path) -> None:
    data = load(path)
    assert data["on"] == {"schedule": [{"cron": "*/5 * * * *"}], "workflow_dispatch": None}
    assert data["permissions"] == {}
    (name,) = data["jobs"]
    job = data["jobs"][name]
    assert "if" not in job  # the workflow is switched off instead: no run, no bill
    assert job["permissions"] == {
        "actions": "write",
        "contents": "read",
        "issues": "write",
        "deployments": "read",
        "pull-requests": "read",
    }
    assert job["concurrency"] == {"group": "incident-sweep", "cancel-in-progress": False}
    checkout, sweep = job["steps"]
    assert checkout["with"] == {"persist-credentials": False}
    assert sweep["with"] == {
        "command": "sweep",
        "slack-bot-token": "${{ secrets.SLACK_BOT_TOKEN }}",
        "record-key": "${{ secrets.INCIDENT_TOOL_RECORD_KEY }}",
        "slack-api-url": "${{ vars.SLACK_API_URL || 'https://slack.com/api/' }}",
        "changes-token": "${{ secrets.CHANGES_TOKEN }}",
        "revert-token": "${{ secrets.REVERT_TOKEN }}",
        "sensitive-token": "${{ secrets.SENSITIVE_TOKEN }}",
    }


@pytest.mark.parametrize("path", LIVE_WORKFLOWS, ids=rel)
def test_live_workflow_is_dispatched_only_and_hands_over(path: Path) -> None:
    """SPEC §16: only dispatched, 6 hours at most, the successor not held by a group."""
    data = load(path)
    assert data["on"] == {"workflow_dispatch": None}
    assert data["permissions"] == {}
    assert "concurrency" not in data
    (job,) = data["jobs"].values()
    assert "concurrency" not in job, "a fixed group would hold the successor pending"
    assert job["timeout-minutes"] == 360
    # actions: write to dispatch the successor; nothing else beyond what handle has.
    assert job["permissions"] == {
        "actions": "write",
        "contents": "read",
        "issues": "write",
        "deployments": "read",
        "pull-requests": "read",
    }
    checkout, listen = job["steps"]
    assert checkout["with"] == {"persist-credentials": False}
    assert listen["with"] == {
        "command": "listen",
        "slack-bot-token": "${{ secrets.SLACK_BOT_TOKEN }}",
        "record-key": "${{ secrets.INCIDENT_TOOL_RECORD_KEY }}",
        "slack-app-token": "${{ secrets.SLACK_APP_TOKEN }}",
        "slack-api-url": "${{ vars.SLACK_API_URL || 'https://slack.com/api/' }}",
        "changes-token": "${{ secrets.CHANGES_TOKEN }}",
        "revert-token": "${{ secrets.REVERT_TOKEN }}",
        "sensitive-token": "${{ secrets.SENSITIVE_TOKEN }}",
    }
    text = path.read_text(encoding="utf-8")
    assert "dispatches its successor" in text and "actions: write" in text


@pytest.mark.parametrize("path", INCIDENT_WORKFLOWS, ids=rel)
def test_incident_workflow_permissions_are_least_privilege(path: Path) -> None:
    data = load(path)
    assert data["permissions"] == {}
    assert set(data["jobs"]) == {"handle", "pages"}
    assert data["jobs"]["handle"]["permissions"] == {
        # switch the sweep schedule on
        # (docs/operating.md#actions-bills-and-the-actions-write-permission)
        "actions": "write",
        "contents": "read",
        "issues": "write",
        # what changed before the incident (SPEC §18): deployments, merged pull requests
        "deployments": "read",
        "pull-requests": "read",
    }
    assert data["jobs"]["pages"]["permissions"] == {
        "contents": "read",
        "issues": "read",
        "pages": "write",
        "id-token": "write",
    }


@pytest.mark.parametrize("path", EVERY_ACTIONS_FILE, ids=rel)
def test_oidc_and_pages_only_where_they_deploy(path: Path) -> None:
    """`id-token: write` only on the jobs that deploy (Pages, PyPI); `pages` only on Pages."""
    for name, job in (load(path).get("jobs") or {}).items():
        perms = job.get("permissions", {})
        steps = " ".join(s.get("uses", "") for s in job.get("steps", []))
        if perms.get("id-token") == "write":
            assert "actions/deploy-pages@" in steps or "pypa/gh-action-pypi-publish@" in steps
        if "pages" in perms:
            assert "actions/deploy-pages@" in steps, f"{rel(path)}: {name}"


@pytest.mark.parametrize("path", [*INCIDENT_WORKFLOWS, *SWEEP_WORKFLOWS], ids=rel)
def test_the_actions_write_permission_is_explained(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "actions: write" in text
    assert "sweep.manage_schedule: false" in text  # how to opt out
    assert "Delete the line" in text or "delete the line" in text


@pytest.mark.parametrize("path", INCIDENT_WORKFLOWS, ids=rel)
def test_one_concurrency_group_per_issue_and_per_dispatch(path: Path) -> None:
    data = load(path)
    assert data["jobs"]["handle"]["concurrency"] == {
        # A dispatch has no issue: its run id puts each report in a group of its own.
        "group": "incident-${{ github.event.issue.number || github.run_id }}",
        "cancel-in-progress": False,
    }
    assert "concurrency" not in data, "a workflow-level group would queue ignored events"
    # The comment says what GitHub does: a newer run cancels a pending one.
    text = " ".join(path.read_text(encoding="utf-8").split())
    assert "a newer run cancels a pending one" in text
    assert "never cancelled:" not in text


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
        "(github.event.action == 'closed' || github.event.action == 'reopened')",
        "|| github.event_name == 'repository_dispatch'",
        "|| github.event_name == 'workflow_dispatch'",
        # A GitHub App's own labels and comments (a live connection running as one) bill
        # no job: SPEC §16's always-on listen, docs/adopting.md#the-github-app.
        "&& github.event.action == 'labeled' && github.event.sender.type != 'Bot'",
        "github.event_name == 'issue_comment' && github.event.sender.type != 'Bot'",
    ):
        assert needle in handle_if
    assert "'opened'" not in handle_if and "!= 'labeled'" not in handle_if


@pytest.mark.parametrize("path", INCIDENT_WORKFLOWS, ids=rel)
def test_incident_workflow_steps(path: Path) -> None:
    jobs = load(path)["jobs"]
    handle = jobs["handle"]
    checkout, run = handle["steps"]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"] == {"persist-credentials": False}
    assert run["id"] == "handle"
    assert run["with"] == {
        "command": "handle",
        "slack-bot-token": "${{ secrets.SLACK_BOT_TOKEN }}",
        "record-key": "${{ secrets.INCIDENT_TOOL_RECORD_KEY }}",
        "slack-api-url": "${{ vars.SLACK_API_URL || 'https://slack.com/api/' }}",
        "changes-token": "${{ secrets.CHANGES_TOKEN }}",
        "revert-token": "${{ secrets.REVERT_TOKEN }}",
        "sensitive-token": "${{ secrets.SENSITIVE_TOKEN }}",
    }
    assert handle["outputs"] == {"status-page": "${{ steps.handle.outputs.status-page }}"}
    pages = jobs["pages"]
    assert pages["needs"] == "handle"
    assert pages["if"] == "needs.handle.outputs.status-page == 'changed'"
    assert pages["environment"]["name"] == "github-pages"
    checkout, write, upload, deploy = pages["steps"]
    assert write["with"] == {
        "command": "status-page",
        "record-key": "${{ secrets.INCIDENT_TOOL_RECORD_KEY }}",
    }
    assert upload["uses"].startswith("actions/upload-pages-artifact@")
    assert upload["with"] == {"path": "_site"}
    assert deploy["uses"].startswith("actions/deploy-pages@")


def test_own_workflows_are_the_templates_with_this_checkout() -> None:
    """Ours is what init writes, with `uses: ./` for the pinned action (tools/own_workflows.py)."""
    for path, text in own_workflows().items():
        assert path.read_text(encoding="utf-8") == text, "run python tools/own_workflows.py"
    for data in (load(WORKFLOW), load(SWEEP), load(LIVE)):
        for job in data["jobs"].values():
            assert [
                s["uses"]
                for s in job["steps"]
                if "incident-tool" in s.get("name", "") or s.get("id") == "handle"
            ] in ([], ["./"])


@pytest.mark.parametrize("path", [TEMPLATE_WORKFLOW, TEMPLATE_SWEEP, TEMPLATE_LIVE], ids=rel)
def test_template_workflows_pin_incident_tool_by_commit(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    ours = [
        line.strip() for line in text.splitlines() if "incident-tool@" in line and "uses:" in line
    ]
    assert ours and all(line == f"uses: {PINNED} # v{__version__}" for line in ours), ours
    assert "pip install" not in text  # nothing from an index but what the locks name


def test_templates_have_only_known_placeholders() -> None:
    for name in (
        "workflow.yml",
        "workflow-sweep.yml",
        "workflow-status-page.yml",
        "workflow-followups.yml",
        "workflow-live.yml",
    ):
        text = (TEMPLATES / name).read_text(encoding="utf-8")
        assert set(re.findall(r"__[A-Z_]+__", text)) <= {
            "__INCIDENT_TOOL_ACTION__",
            "__INCIDENT_TOOL_VERSION__",
            "__INCIDENT_TOOL_WORKFLOWS__",  # the workflow files init writes (incident.yml)
        }, name


def test_release_workflow() -> None:
    data = load(RELEASE)
    assert data["on"] == {"release": {"types": ["published"]}}
    assert data["permissions"] == {}
    build, publish = data["jobs"]["build"], data["jobs"]["publish"]
    assert build["permissions"] == {"contents": "read"}
    assert publish["permissions"] == {"id-token": "write"}  # trusted publishing, nothing else
    assert publish["needs"] == "build"
    assert publish["if"] == "vars.PUBLISH_TO_PYPI == 'true'"
    assert publish["environment"]["name"] == "pypi"
    assert publish["steps"][-1]["uses"].startswith("pypa/gh-action-pypi-publish@")
    assert "with" not in publish["steps"][-1]  # no password: OIDC
    (script,) = [s["run"] for s in build["steps"] if "run" in s]
    assert "--require-hashes --only-binary :all: -r requirements-build.lock" in " ".join(
        script.replace("\\\n", " ").split()
    )
    assert "python -m build --no-isolation" in script


def test_release_publishes_the_image_to_ghcr_only_when_asked() -> None:
    data = load(RELEASE)
    image = data["jobs"]["image"]
    assert image["needs"] == "build"  # the tag is checked against the version first
    assert image["if"] == "vars.PUBLISH_IMAGE == 'true'"  # gated like PyPI
    assert image["permissions"] == {"contents": "read", "packages": "write"}
    for name, job in data["jobs"].items():
        if name != "image":
            assert "packages" not in job["permissions"], name
    uses = [s["uses"].split("@")[0] for s in image["steps"]]
    assert uses == [
        "actions/checkout",
        "docker/metadata-action",
        "docker/setup-buildx-action",
        "docker/login-action",
        "docker/build-push-action",
    ]
    checkout, meta, _, login, push = image["steps"]
    assert checkout["with"] == {"persist-credentials": False}
    assert meta["with"]["images"] == "ghcr.io/${{ github.repository_owner }}/incident-tool"
    assert login["with"] == {
        "registry": "ghcr.io",
        "username": "${{ github.actor }}",
        "password": "${{ secrets.GITHUB_TOKEN }}",
    }
    assert push["with"]["context"] == "."  # the checkout, .dockerignore applied
    assert push["with"]["push"] is True
    assert push["with"]["tags"] == "${{ steps.meta.outputs.tags }}"
    assert "cache-from" not in push["with"] and "cache-to" not in push["with"]


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
        if uses == "./":  # this repository's own action.yml, at the commit that runs
            continue
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
    assert data["outputs"]["status-page"]["value"] == "${{ steps.run.outputs.status-page }}"
    assert data["runs"]["using"] == "composite"
    steps = data["runs"]["steps"]
    install = next(s for s in steps if s.get("name") == "Install incident-tool")
    script = " ".join(install["run"].replace("\\\n", " ").split())
    # uv, then the dependencies: each from its lock, wheels only, every file by hash.
    assert '--no-deps --require-hashes --only-binary :all: -r "$uv_lock"' in script
    # The dependencies with their dependencies: in hash mode any not in the lock fails.
    assert '--quiet --python "$(python' in script
    assert ' --require-hashes --only-binary :all: -r "$lock"' in script
    assert '--no-deps --require-hashes --only-binary :all: -r "$lock"' not in script
    assert 'lock="$GITHUB_ACTION_PATH/requirements.lock"' in script
    assert 'uv_lock="$GITHUB_ACTION_PATH/requirements-uv.lock"' in script
    assert "::error title=incident-tool install::" in script and "exit 1" in script
    assert "pip install ." not in script and "git+" not in script
    run = steps[-1]
    assert run["id"] == "run"
    for name in (
        "github-token",
        "slack-bot-token",
        "slack-app-token",
        "record-key",
        "config",
        "command",
    ):
        assert f"${{{{ inputs.{name} }}}}" in run["env"].values(), name
    # The tool runs from the action's own files, at the commit the caller pinned.
    assert run["env"]["PYTHONPATH"] == "${{ github.action_path }}"
    assert run["env"]["PYTHONSAFEPATH"] == "1"
    for verb in ("handle", "sweep", "status-page", "listen"):
        assert f"python -m incident_tool {verb}" in run["run"], verb
    assert run["env"]["SLACK_APP_TOKEN"] == "${{ inputs.slack-app-token }}"
    # listen's limits are the action's, not the caller's: a run hands over before 6 hours.
    case = run["run"].split("listen)")[1].split(";;")[0].replace("\\\n", " ")
    listen = " ".join(" ".join(x for x in case.splitlines() if "#" not in x).split())
    assert listen == (
        'python -m incident_tool listen --repo "$GITHUB_REPOSITORY"'
        ' --config "$INCIDENT_TOOL_CONFIG" --until-idle 15 --max-hours 5.5'
    )


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
    # writes one for adopters from their `origin` remote (tests/e2e/test_init.py).
    ours = ISSUE_CONFIGS[0].read_text(encoding="utf-8")
    assert ours == render_issue_config(None), "differs from the template init writes"
    assert load(ISSUE_CONFIGS[0])["blank_issues_enabled"] is True


@pytest.mark.parametrize("path", [p for p in WORKFLOWS if p.name.startswith("incident")], ids=str)
def test_every_workflow_passes_the_record_key(path: Path) -> None:
    """SPEC §19: a workflow that ran the tool without the key would write records that
    the others do not believe (docs/security.md#the-record-and-its-proof)."""
    steps = [s for job in load(path)["jobs"].values() for s in job.get("steps", [])]
    ours = [s for s in steps if "command" in (s.get("with") or {})]
    assert ours, "no incident-tool step"
    for step in ours:
        assert step["with"].get("record-key") == "${{ secrets.INCIDENT_TOOL_RECORD_KEY }}"


@pytest.mark.parametrize("path", [p for p in WORKFLOWS if p.name.startswith("incident")], ids=str)
def test_only_runs_that_can_declare_or_revert_get_the_changes_tokens(path: Path) -> None:
    """What changed is read at declaration and `/revert` comes as a command: `handle`,
    `sweep` (Slack commands, monitors' reports) and `listen` take CHANGES_TOKEN and
    REVERT_TOKEN; the follow-ups and the status page never see them."""
    steps = [s for job in load(path)["jobs"].values() for s in job.get("steps", [])]
    for step in [s for s in steps if "command" in (s.get("with") or {})]:
        given = {k: step["with"].get(k) for k in ("changes-token", "revert-token")}
        if step["with"]["command"] in ("handle", "sweep", "listen"):
            assert given == {
                "changes-token": "${{ secrets.CHANGES_TOKEN }}",
                "revert-token": "${{ secrets.REVERT_TOKEN }}",
            }
        else:
            assert given == {"changes-token": None, "revert-token": None}


@pytest.mark.parametrize("path", [p for p in WORKFLOWS if p.name.startswith("incident")], ids=str)
def test_only_runs_that_can_hide_a_report_get_the_sensitive_token(path: Path) -> None:
    """A sensitive report's text is moved by the run that first sees it (handle, sweep,
    listen: docs/security.md#a-public-repository); the follow-ups and the status page never
    see SENSITIVE_TOKEN."""
    steps = [s for job in load(path)["jobs"].values() for s in job.get("steps", [])]
    for step in [s for s in steps if "command" in (s.get("with") or {})]:
        given = step["with"].get("sensitive-token")
        if step["with"]["command"] in ("handle", "sweep", "listen"):
            assert given == "${{ secrets.SENSITIVE_TOKEN }}"
        else:
            assert given is None
