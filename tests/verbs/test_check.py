"""`incident-tool check`: each finding reproduced on a setup that has it (SPEC §17).

Most cases are pure (core/setup_checks.py on texts); the file and template cases run the
verb in a checkout `init` wrote; the token cases run it against the sandbox.
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pytest
import yaml

from incident_tool.cli import main
from incident_tool.config import Config, StatusPageConfig
from incident_tool.core import setup_checks as checks
from incident_tool.core.setup_checks import Finding
from incident_tool.inbound.forms import default_form
from incident_tool.verbs.init import init_repo, render_workflow
from tests.world import REPO, cli

SHA = "0123456789abcdef0123456789abcdef01234567"
ACTION = f"acme/incident-tool@{SHA}"
FORM = Path(__file__).resolve().parents[2] / "incident_tool/templates/report-incident.yml"


def levels(findings: list[Finding]) -> list[str]:
    return [f.level for f in findings]


def only(findings: list[Finding], level: str) -> list[Finding]:
    return [f for f in findings if f.level == level]


def run_check(root: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run `incident-tool check` in `root` as a person would, with no tokens unless given."""
    out = io.StringIO()
    saved_cwd, saved_env = Path.cwd(), dict(os.environ)
    for name in (
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "SLACK_BOT_TOKEN",
        "SLACK_APP_TOKEN",
        "GITHUB_ACTIONS",  # check says more in Actions (the record key)
        "INCIDENT_TOOL_RECORD_KEY",
    ):
        os.environ.pop(name, None)
    os.environ.pop("GITHUB_REPOSITORY", None)
    os.environ.update(env or {})
    os.chdir(root)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            try:
                main(["check", *args])
            except SystemExit as exc:
                return int(exc.code or 0), out.getvalue()
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    return 0, out.getvalue()


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A repository `init --action` wrote, nothing else."""
    root = tmp_path / "repo"
    root.mkdir()
    init_repo(root, action=ACTION)
    return root


def edit_config(root: Path, **changes: object) -> None:
    path = root / ".github/incident.yml"
    data = yaml.safe_load(path.read_text("utf-8"))
    data.update(changes)
    path.write_text(yaml.safe_dump(data), "utf-8")


# ------------------------------------------------------------------ the whole verb


def test_a_clean_init_passes_check_offline_with_warnings_only(checkout):
    code, output = run_check(checkout, "--offline")
    assert code == 0, output
    lines = output.splitlines()
    assert not [line for line in lines if line.startswith("error")], output
    # The empty people lists and the placeholder services are warnings (SPEC §17).
    assert any(line.startswith("warning `responders` is empty") for line in lines)
    assert any("the form's services are still the ones init wrote" in line for line in lines)
    assert lines[-1].startswith("check: 0 errors, ") and "warnings" in lines[-1]
    assert "Traceback" not in output


def test_init_ends_by_telling_the_team_to_run_check(tmp_path):
    from incident_tool.verbs.init import format_result

    text = format_result(init_repo(tmp_path, action=ACTION))
    assert "incident-tool check --repo OWNER/NAME" in text.splitlines()[-1], text


def test_an_error_exits_1_and_says_what_to_do(checkout):
    edit_config(checkout, retrospective={"template": "../../etc/passwd"})
    code, output = run_check(checkout, "--offline")
    assert code == 1, output
    line = next(x for x in output.splitlines() if x.startswith("error"))
    assert "outside the repository" in line and ".github/incident.yml:" in line
    assert output.splitlines()[-1].startswith("error: check: 1 error, 4 warnings: mend")


def test_a_given_config_that_is_missing_is_a_usage_error(checkout):
    code, output = run_check(checkout, "--offline", "--config", "elsewhere.yml")
    assert code == 2 and "elsewhere.yml: file not found" in output


def test_without_tokens_online_checks_are_warnings_not_silence(checkout):
    code, output = run_check(checkout)
    assert code == 0, output
    assert "labels not checked: no GITHUB_TOKEN" in output
    assert "SLACK_BOT_TOKEN is not set here" in output


# ----------------------------------------------------------------------- config


def test_missing_config_is_a_warning_naming_the_path():
    findings, cfg = checks.check_config(None, ".github/incident.yml")
    assert levels(findings) == ["warning"] and cfg is not None
    assert "no .github/incident.yml: using defaults" in findings[0].line()


def test_a_yaml_twin_of_the_missing_config_is_an_error(checkout):
    (checkout / ".github/incident.yml").rename(checkout / ".github/incident.yaml")
    code, output = run_check(checkout, "--offline")
    assert code == 1
    assert "the workflows read only .github/incident.yml" in output
    assert "git mv .github/incident.yaml .github/incident.yml" in output


def test_a_yaml_error_gives_its_reason_and_line():
    findings, cfg = checks.check_config("responders: [a\nslack: {}\n", "c.yml")
    assert cfg is None and levels(findings) == ["error"]
    assert "not valid YAML: expected ',' or ']'" in findings[0].what
    assert findings[0].where.startswith("c.yml:")


def test_a_top_level_list_says_the_config_must_be_a_mapping():
    findings, cfg = checks.check_config("- responders: [a]\n", "c.yml")
    assert cfg is None
    assert "the config must be a mapping" in findings[0].what and "not a list" in findings[0].what


def test_an_unknown_key_names_its_line():
    text = "responders: [sam]\nslack:\n  announce_channel: x\n  anounce: y\n"
    findings, cfg = checks.check_config(text, "c.yml")
    assert cfg is None
    assert "`slack.anounce` is not a known key" in findings[0].what
    assert findings[0].where == "c.yml:4"


def test_a_wrong_type_names_the_key_and_line():
    findings, _ = checks.check_config("responders: [sam]\nlead:\n  ack_within: soon\n", "c.yml")
    assert "`lead.ack_within` must be a whole number" in findings[0].what
    assert findings[0].where == "c.yml:3"


def test_empty_people_lists_and_unmapped_people_are_warnings():
    cfg = Config(responders=("sam",))
    findings = checks.check_people(cfg, "c.yml")
    assert levels(findings) == ["warning"] * 3
    assert "`delivery_managers` is empty" in findings[0].what
    assert "no Slack id or email for sam" in findings[1].what
    assert "no `slack.announce_channel`" in findings[2].what


# ---------------------------------------------------------------- the template


@pytest.mark.parametrize(
    "template, says",
    [
        ("../../etc/passwd", "outside the repository"),
        ("/proc/self/environ", "is an absolute path"),
        ("templates/../../outside.j2", "outside the repository"),
    ],
)
def test_a_template_outside_the_repository_is_refused(checkout, template, says):
    edit_config(checkout, retrospective={"template": template})
    code, output = run_check(checkout, "--offline")
    assert code == 1 and says in output, output


def test_a_symlinked_template_that_leads_out_is_refused(checkout, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOKEN=abc", "utf-8")
    (checkout / "templates/retro.md.j2").symlink_to(secret)
    edit_config(checkout, retrospective={"template": "templates/retro.md.j2"})
    code, output = run_check(checkout, "--offline")
    assert code == 1 and "outside the repository" in output
    assert "TOKEN=abc" not in output


def test_a_missing_custom_template_is_an_error_before_resolution(checkout):
    edit_config(checkout, retrospective={"template": "templates/retro-custom.md.j2"})
    code, output = run_check(checkout, "--offline")
    assert code == 1
    assert "retrospective.template templates/retro-custom.md.j2 does not exist" in output


def test_a_missing_default_template_falls_back_to_the_packaged_one(checkout):
    (checkout / "templates/retrospective.md.j2").unlink()
    code, output = run_check(checkout, "--offline")
    assert code == 0 and "retrospectives use incident-tool's packaged template" in output


@pytest.mark.parametrize(
    "body, says",
    [
        ("{% if %}", "line 1"),
        ("{{ incident.nothing.deeper }}", "has no attribute 'nothing'"),
        ("{{ 1 / 0 }}", "ZeroDivisionError"),
        ("{{ ''.__class__.__mro__ }}", "unsafe"),
    ],
)
def test_a_template_that_cannot_render_a_sample_incident_is_an_error(checkout, body, says):
    (checkout / "templates/retrospective.md.j2").write_text(body, "utf-8")
    code, output = run_check(checkout, "--offline")
    assert code == 1, output
    line = next(x for x in output.splitlines() if x.startswith("error"))
    assert "does not render a sample incident" in line and says in line, line
    assert "Traceback" not in output


def test_a_template_that_is_not_utf8_is_an_error_not_a_traceback(checkout):
    (checkout / "templates/retrospective.md.j2").write_bytes(b"\xff\xfe{{ incident }}")
    code, output = run_check(checkout, "--offline")
    assert code == 1 and "cannot read templates/retrospective.md.j2: not UTF-8 text" in output


@pytest.mark.parametrize("name", ["templates/a\x00b.j2", "templates/loop.j2"])
def test_an_unusable_template_path_is_an_error_not_a_traceback(checkout, name):
    (checkout / "templates/loop.j2").symlink_to(checkout / "templates/loop.j2")
    edit_config(checkout, retrospective={"template": name})
    code, output = run_check(checkout, "--offline")
    assert code == 1 and "not a usable path" in output, output
    assert "Traceback" not in output


def test_retrospectives_off_skip_the_template(checkout):
    edit_config(checkout, retrospective={"enabled": False, "template": "/etc/passwd"})
    code, output = run_check(checkout, "--offline")
    assert code == 0 and "retrospectives are off" in output


# ------------------------------------------------------------------------ form


def form_text(**replace: str) -> str:
    text = FORM.read_text("utf-8")
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    return text


def own_services(text: str) -> str:
    return text.replace("Website (wellcomecollection.org)", "Payments API").replace(
        "What's on / events", "Checkout"
    )


def test_the_teams_own_form_is_ok():
    findings = checks.check_form(own_services(form_text()), Config(), packaged=default_form())
    assert levels(findings) == ["ok"], findings


def test_a_missing_form_is_an_error():
    findings = checks.check_form(None, Config(), packaged=default_form())
    assert levels(findings) == ["error"] and "people have no form" in findings[0].what


def test_a_form_without_a_field_the_tool_reads_is_an_error():
    text = own_services(form_text(**{"id: impact": "id: effect"}))
    findings = checks.check_form(text, Config(), packaged=default_form())
    assert any(f.level == "error" and "no field with id `impact`" in f.what for f in findings)


def test_a_renamed_heading_is_an_error_naming_the_heading_read():
    text = own_services(form_text(**{"label: Affected service": "label: Service"}))
    findings = checks.check_form(text, Config(), packaged=default_form())
    (found,) = only(findings, "error")
    assert "the tool reads the heading 'Affected service'" in found.what
    assert found.where.startswith(".github/ISSUE_TEMPLATE/report-incident.yml:")


def test_a_form_that_does_not_label_reports_is_an_error():
    text = own_services(form_text(**{'labels: ["incident:reported"]': "labels: [bug]"}))
    findings = checks.check_form(text, Config(), packaged=default_form())
    assert any("the workflow never runs for a report" in f.what for f in only(findings, "error"))


def test_a_severity_option_without_a_number_is_a_warning():
    text = own_services(form_text(**{'"4 - Low:': '"Low:'}))
    findings = checks.check_form(text, Config(), packaged=default_form())
    assert [f.level for f in findings] == ["warning"]
    assert "does not start with 1-4" in findings[0].what


def test_placeholder_services_are_a_warning():
    text = form_text(**{"Website (wellcomecollection.org)": "Service A (replace me)"})
    findings = checks.check_form(text, Config(), packaged=default_form())
    assert levels(findings) == ["warning"]
    assert "Service A (replace me)" in findings[0].what


def test_sensitive_services_the_form_does_not_offer_are_a_warning():
    cfg = Config().__class__(sensitive=Config().sensitive.__class__(services=("Security",)))
    findings = checks.check_form(own_services(form_text()), cfg, packaged=default_form())
    assert levels(findings) == ["warning"]
    assert "sensitive.services names 'Security'" in findings[0].what


def test_status_page_components_the_form_does_not_offer_are_a_warning():
    cfg = Config(status_page=StatusPageConfig(components=("Payments API", "Website")))
    findings = checks.check_form(own_services(form_text()), cfg, packaged=default_form())
    assert levels(findings) == ["warning"]
    assert "status_page.components 'Website' match no service" in findings[0].what


# ------------------------------------------------------------------- workflows


def workflows(action: str = ACTION, **overrides: str | None) -> dict[str, str | None]:
    texts: dict[str, str | None] = {
        "incident.yml": render_workflow("workflow.yml", action),
        "incident-sweep.yml": render_workflow("workflow-sweep.yml", action),
        "incident-followups.yml": render_workflow("workflow-followups.yml", action),
        "incident-live.yml": None,
    }
    texts.update(overrides)
    return texts


def test_init_workflows_are_ok():
    assert levels(checks.check_workflows(workflows(), Config())) == ["ok"]


def test_a_missing_workflow_is_an_error():
    findings = checks.check_workflows(workflows(**{"incident-followups.yml": None}), Config())
    assert levels(findings) == ["error"]
    assert ".github/workflows/incident-followups.yml is missing" in findings[0].what


def test_with_slack_live_actions_the_live_workflow_is_needed():
    from incident_tool.config import SlackConfig

    cfg = Config(slack=SlackConfig(live="actions"))
    findings = checks.check_workflows(workflows(), cfg)
    assert "incident-live.yml is missing" in only(findings, "error")[0].what
    live = render_workflow("workflow-live.yml", ACTION)
    assert levels(checks.check_workflows(workflows(**{"incident-live.yml": live}), cfg)) == ["ok"]


def test_the_unpinned_placeholder_is_an_error():
    findings = checks.check_workflows(workflows("OWNER/incident-tool@" + "0" * 40), Config())
    assert len(only(findings, "error")) == 3
    assert "incident-tool is not pinned yet" in findings[0].what
    assert findings[0].where.startswith(".github/workflows/incident.yml:")


def test_a_tag_is_not_a_pin():
    findings = checks.check_workflows(workflows("acme/incident-tool@v1"), Config())
    assert "pinned to `v1`, which can be moved" in findings[0].what


def test_workflows_pinned_to_different_commits_are_an_error():
    other = render_workflow("workflow-followups.yml", f"acme/incident-tool@{'f' * 40}")
    findings = checks.check_workflows(workflows(**{"incident-followups.yml": other}), Config())
    (found,) = findings
    assert found.level == "error" and "run different incident-tools" in found.what
    assert "incident-followups.yml" in found.what


def test_top_level_write_permissions_are_an_error():
    text = workflows()["incident.yml"] or ""
    text = text.replace("permissions: {}", "permissions:\n  contents: write")
    findings = checks.check_workflows(workflows(**{"incident.yml": text}), Config())
    assert "top-level `permissions` grants writes (contents: write)" in findings[0].what


def test_no_top_level_permissions_is_a_warning():
    text = (workflows()["incident-sweep.yml"] or "").replace("permissions: {}\n", "")
    findings = checks.check_workflows(workflows(**{"incident-sweep.yml": text}), Config())
    assert levels(findings) == ["warning"] and "no top-level `permissions`" in findings[0].what


def test_a_job_that_writes_more_than_it_uses_is_an_error():
    text = (workflows()["incident-followups.yml"] or "").replace(
        "contents: read # read", "contents: write # read"
    )
    findings = checks.check_workflows(workflows(**{"incident-followups.yml": text}), Config())
    assert "can write contents, which `followups` never writes" in findings[0].what


def test_a_job_that_cannot_write_issues_is_an_error():
    text = (workflows()["incident.yml"] or "").replace("issues: write #", "issues: read #")
    findings = checks.check_workflows(workflows(**{"incident.yml": text}), Config())
    assert "cannot write issues" in findings[0].what


def test_this_repositorys_own_workflows_dogfood_and_pass():
    root = Path(__file__).resolve().parents[2] / ".github/workflows"
    texts = {n: (root / n).read_text("utf-8") for n in checks.WORKFLOWS}
    # They publish the status page (`uses: ./`), so its config would enable it.
    cfg = Config(status_page=StatusPageConfig(enabled=True))
    assert levels(checks.check_workflows(texts, cfg)) == ["ok"]


def test_a_pages_job_with_the_status_page_off_is_a_warning():
    """#22 item 10: `init --status-page` left status_page.enabled off; the job never ran."""
    text = render_workflow("workflow.yml", ACTION, status_page=True)
    findings = checks.check_workflows(workflows(**{"incident.yml": text}), Config())
    assert levels(findings) == ["warning"]
    assert "status_page.enabled is false: the page is never published" in findings[0].what
    cfg = Config(status_page=StatusPageConfig(enabled=True))
    assert levels(checks.check_workflows(workflows(**{"incident.yml": text}), cfg)) == ["ok"]


def test_the_status_page_on_without_a_pages_job_is_a_warning():
    cfg = Config(status_page=StatusPageConfig(enabled=True))
    findings = checks.check_workflows(workflows(), cfg)
    assert "no workflow publishes the page" in findings[0].what


def test_a_handle_job_without_actions_write_cannot_switch_the_sweep_on():
    from incident_tool.config import SweepConfig

    text = (workflows()["incident.yml"] or "").replace("      actions: write\n", "", 1)
    findings = checks.check_workflows(workflows(**{"incident.yml": text}), Config())
    assert levels(findings) == ["warning"] and "sweep schedule is not switched" in findings[0].what
    quiet = Config(sweep=SweepConfig(manage_schedule=False))
    assert levels(checks.check_workflows(workflows(**{"incident.yml": text}), quiet)) == ["ok"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[]",
        "jobs: []",
        "jobs: {a: 1}",
        "jobs: {a: {steps: 3}}",
        "jobs: {a: {steps: [1, {with: [1]}, {with: {command: [x]}, uses: 1}]}}",
        "jobs: {a: {steps: [{with: {command: handle}, uses: x}], permissions: [1]}}",
        "permissions: [write]\njobs: {a: {steps: [{with: {command: sweep}, uses: a/b@c}]}}",
        "jobs: {a: {permissions: {issues: {x: 1}}, steps: [{with: {command: listen}, uses: ./}]}}",
        "{{{",
        "[" * 5000,
    ],
)
def test_any_workflow_text_gives_findings_not_a_traceback(text):
    findings = checks.check_workflows(workflows(**{"incident-sweep.yml": text}), Config())
    assert "error" in levels(findings)


# ------------------------------------------------------------ labels and Slack


def test_missing_state_labels_are_an_error_and_others_a_warning():
    wanted = ["incident:reported", "incident:declared", "sensitive"]
    findings = checks.check_labels(["Incident:Reported"], wanted)
    assert levels(findings) == ["error", "warning"]
    assert "state labels missing: incident:declared" in findings[0].what
    assert "labels missing: sensitive" in findings[1].what
    assert levels(checks.check_labels(wanted, wanted)) == ["ok"]


def test_scopes_missing_from_the_token_are_an_error():
    findings = checks.check_scopes("chat:write,channels:read", ["chat:write", "users:read"])
    assert levels(findings) == ["error"] and "lacks the scopes users:read" in findings[0].what
    assert levels(checks.check_scopes(None, ["chat:write"])) == ["ok"]


def test_with_the_sandbox_the_labels_token_and_people_are_ok(world):
    init_repo(world.root, action=ACTION)
    before = len(world.sb.requests)
    code, output = cli(world, "check", "--repo", REPO)
    made = world.sb.requests[before:]
    # Reads only: the labels (one page) and the repository (its visibility), auth.test,
    # and one look-up per person.
    github = [r for r in made if r.service == "github"]
    assert {r.method for r in github} == {"GET"}
    assert [r.path for r in github] == [f"/repos/{REPO}/labels", f"/repos/{REPO}"]
    slack = [r.path.removeprefix("/api/") for r in made if r.service == "slack"]
    people = len(world.team["config"]["people"])
    # The two channels: listed once (one page), then each asked about.
    assert slack[0] == "auth.test" and slack.count("conversations.list") == 1
    assert slack.count("conversations.info") == 2
    assert len(slack) == 1 + 3 + people, slack
    # The demo seed has no severity labels: GitHub makes them on first use.
    assert "labels missing: severity:1, severity:2" in output, output
    assert "the Slack bot token works" in output
    assert "people found on Slack" in output
    assert "slack.announce_channel #wc-platform found" in output
    assert world.driver.env["SLACK_BOT_TOKEN"] not in output
    assert code == 0, output


def test_with_the_sandbox_a_missing_label_is_an_error(world):
    from incident_tool.effects.github import client

    init_repo(world.root, action=ACTION)
    env = world.driver.env
    gh = client(env["GITHUB_TOKEN"], env["GITHUB_API_URL"])
    gh.get_repo(REPO).get_label("incident:mitigated").delete()
    code, output = cli(world, "check", "--repo", REPO)
    assert code == 1 and "state labels missing: incident:mitigated" in output, output


def test_with_the_sandbox_an_unknown_announce_channel_is_an_error(world):
    world.write_config(slack={"announce_channel": "wc-platfrom"})
    init_repo(world.root, action=ACTION)
    code, output = cli(world, "check", "--repo", REPO)
    assert code == 1
    assert "slack.announce_channel #wc-platfrom is not a channel the bot can see" in output


def test_with_the_sandbox_unknown_slack_people_are_errors(world):
    world.write_config(
        people={"sam": {"slack": "U999NOBODY"}, "lee": {"email": "nobody@example.org"}}
    )
    init_repo(world.root, action=ACTION)
    code, output = cli(world, "check", "--repo", REPO)
    assert code == 1
    assert "people.sam.slack U999NOBODY is no Slack user" in output
    assert "people.lee.email finds nobody on Slack" in output


def test_with_the_sandbox_a_bad_bot_token_is_an_error(world):
    init_repo(world.root, action=ACTION)
    world.driver.env["SLACK_BOT_TOKEN"] = "xoxb-not-a-token"
    code, output = cli(world, "check", "--repo", REPO)
    assert code == 1 and "the Slack bot token does not work" in output, output
    assert "invalid_auth" in output
    assert "xoxb-not-a-token" not in output


def test_with_slack_live_the_app_token_must_be_an_app_token(checkout):
    edit_config(checkout, slack={"live": "external"})
    code, output = run_check(checkout, "--offline", env={"SLACK_APP_TOKEN": "xoxb-secret-bot"})
    assert code == 1 and "SLACK_APP_TOKEN is not an app-level token" in output
    assert "xoxb-secret-bot" not in output
    code, output = run_check(checkout, "--offline")
    assert code == 0 and "slack.live is external but SLACK_APP_TOKEN is not set here" in output


def test_with_slack_live_a_manifest_without_socket_mode_is_a_warning(checkout):
    edit_config(checkout, slack={"live": "actions"})
    init_repo(checkout, action=ACTION, live="actions")  # adds incident-live.yml, keeps the rest
    env = {"SLACK_APP_TOKEN": "xapp-1-test"}
    code, output = run_check(checkout, "--offline", env=env)
    assert code == 0, output
    assert "Slack app manifest has Socket Mode off" in output
    assert "run `incident-tool init --live actions --force`" in output
    init_repo(checkout, action=ACTION, live="actions", force=True)
    edit_config(checkout, slack={"live": "actions"})
    code, output = run_check(checkout, "--offline", env=env)
    assert code == 0 and "the Slack app manifest has Socket Mode on" in output, output
    assert "xapp-1-test" not in output


def test_in_actions_the_findings_are_the_job_summary_made_inert(checkout, tmp_path):
    summary = tmp_path / "summary.md"
    text = (checkout / ".github/ISSUE_TEMPLATE/report-incident.yml").read_text("utf-8")
    evil = "Service A <img src=x> [link](https://evil.example) @everyone"
    for line in text.splitlines():
        if line.strip().startswith("- ") and "(" in line and "security" not in line.lower():
            text = text.replace(line, f"        - {evil}", 1)
            break
    (checkout / ".github/ISSUE_TEMPLATE/report-incident.yml").write_text(text, "utf-8")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    code, output = run_check(checkout, "--offline", env=env)
    assert code == 0, output
    written = summary.read_text("utf-8")
    assert written.startswith("### incident-tool check: 0 errors, ")
    assert "- **warning** " in written and "Service A" in written
    # safe.markdown's rules: HTML is text, nobody is mentioned (a link stays a link).
    assert "&lt;img src=x&gt;" in written and "<img" not in written
    assert "@\u200beveryone" in written
    assert "::warning::" in output


# ------------------------------------------------------------- the record key (SPEC §19)


def test_a_step_without_the_record_key_is_a_warning():
    text = (workflows()["incident-sweep.yml"] or "").replace(
        "          record-key: ${{ secrets.INCIDENT_TOOL_RECORD_KEY }}\n", ""
    )
    findings = checks.check_workflows(workflows(**{"incident-sweep.yml": text}), Config())
    (found,) = findings
    assert found.level == "warning"
    assert "the `sweep` step (sweep) passes no `record-key`" in found.what
    assert "runs with INCIDENT_TOOL_RECORD_KEY do not believe them" in found.what
    assert found.where.startswith(".github/workflows/incident-sweep.yml:")
    assert "record-key: ${{ secrets.INCIDENT_TOOL_RECORD_KEY }}" in found.todo


def test_a_step_passing_another_secret_as_the_record_key_is_a_warning():
    text = (workflows()["incident.yml"] or "").replace(
        "secrets.INCIDENT_TOOL_RECORD_KEY", "secrets.OUR_KEY"
    )
    findings = checks.check_workflows(workflows(**{"incident.yml": text}), Config())
    assert levels(findings) == ["warning"] * len(findings) and findings
    assert "passes `record-key: ${{ secrets.OUR_KEY }}`, not the repository secret" in (
        findings[0].what
    )


def test_in_actions_an_unset_record_key_is_a_warning(checkout, tmp_path):
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
    code, output = run_check(checkout, "--offline", env=env)
    assert code == 0, output
    assert "warning INCIDENT_TOOL_RECORD_KEY is not set in this job: incident records are" in (
        output
    )
    assert "docs/security.md#the-record-and-its-proof" in output
    # Set, it is said and never shown; outside Actions, unset says nothing.
    code, output = run_check(
        checkout, "--offline", env={**env, "INCIDENT_TOOL_RECORD_KEY": "k3y-never-shown"}
    )
    assert "ok      INCIDENT_TOOL_RECORD_KEY is set: records are sealed" in output, output
    assert "k3y-never-shown" not in output
    code, output = run_check(checkout, "--offline")
    assert "INCIDENT_TOOL_RECORD_KEY" not in output, output


# ------------------------------------------------------------ a public repository


def test_a_public_repository_is_a_warning_that_reports_are_public():
    (found,) = checks.check_visibility("acme/web", "public")
    assert found.level == "warning"
    assert "acme/web is public: anyone can read every report issue" in found.what
    assert "in a private channel first" in found.todo
    assert levels(checks.check_visibility("acme/web", "private")) == ["ok"]
    assert levels(checks.check_visibility("acme/web", "internal")) == ["ok"]


def test_with_the_sandbox_the_repositorys_visibility_is_read(world):
    init_repo(world.root, action=ACTION)
    code, output = cli(world, "check", "--repo", REPO)
    assert code == 0, output
    assert f"warning {REPO} is public: anyone can read every report issue" in output
    world.sb.github.repos[REPO.lower()].private = True
    code, output = cli(world, "check", "--repo", REPO)
    assert code == 0 and f"ok      {REPO} is private" in output, output
    assert "is public" not in output


def test_with_the_sandbox_a_repository_read_that_fails_is_said_not_a_traceback(world):
    init_repo(world.root, action=ACTION)
    world.sb.faults.add("github", method="GET", path=rf"^/repos/{REPO}$", status=404, times=None)
    code, output = cli(world, "check", "--repo", REPO)
    assert code == 0, output
    assert f"warning {REPO}'s visibility not checked:" in output, output
    assert "is public" not in output
    assert "every label the tool uses exists" in output or "labels missing" in output
    assert "Traceback" not in output


# ------------------------------------------------------------------ what changed


def test_the_changes_keys_wrong_types_are_errors_naming_key_and_line():
    for text, says, line in (
        ("changes:\n  window_hours: 0\n", "`changes.window_hours` must be a whole number", 2),
        ("changes:\n  window_hours: soon\n", "`changes.window_hours` must be a whole number", 2),
        ("changes:\n  repositories: [not-a-repo]\n", "`changes.repositories` must be a list", 2),
        ("changes:\n  services: [a/b]\n", "`changes.services` must map service names", 2),
        (
            "changes:\n  services:\n    Search: nope\n",
            "`changes.services.Search` must be a list of repositories",
            None,
        ),
    ):
        findings, cfg = checks.check_config(text, "c.yml")
        assert cfg is None and levels(findings) == ["error"], text
        assert says in findings[0].what, findings[0].what
        if line:
            assert findings[0].where == f"c.yml:{line}", text


def test_a_changes_service_the_form_does_not_offer_is_a_warning():
    from incident_tool.config import ChangesConfig

    services = {"Payments API": ("acme/pay",), "Paymnets": ("acme/pay2",)}
    cfg = Config(changes=ChangesConfig(services=services))
    findings = checks.check_form(own_services(form_text()), cfg, packaged=default_form())
    assert levels(findings) == ["warning"]
    assert "changes.services names 'Paymnets', which the form does not offer" in findings[0].what


def test_the_changes_repositories_to_check_are_the_other_ones_each_once():
    from incident_tool.config import ChangesConfig

    cfg = Config(
        changes=ChangesConfig(
            repositories=("acme/incidents", "acme/web"),
            services={"Payments API": ("acme/pay", "Acme/Web")},
        )
    )
    assert checks.changes_repositories(cfg, "ACME/incidents") == ("acme/pay", "Acme/Web")
    others = ("acme/pay", "acme/web")
    assert checks.check_changes_access(cfg, (), False, {}) == []  # nothing to read
    [unset] = checks.check_changes_access(cfg, others, False, {})
    assert unset.level == "warning" and "CHANGES_TOKEN is not set here" in unset.what
    assert levels(checks.check_changes_access(cfg, others, True, {})) == ["ok"]
    [cannot] = checks.check_changes_access(cfg, others, True, {"acme/pay": "not found"})
    assert cannot.level == "warning"
    assert "CHANGES_TOKEN cannot read acme/pay (not found)" in cannot.what


def test_with_the_sandbox_changes_token_reads_the_repositories_one_get_each(world):
    gh = world.sb.github
    gh.add_repo("wellcome/catalogue-api", private=True)
    gh.add_repo("wellcome/vault", private=True)
    gh.add_user("changes-reader")
    gh.add_collaborator("wellcome/catalogue-api", "changes-reader", "read")
    world.write_config(
        changes={
            "repositories": [REPO],
            "services": {"Search / catalogue API": ["wellcome/catalogue-api", "wellcome/vault"]},
        }
    )
    init_repo(world.root, action=ACTION)
    code, output = cli(world, "check", "--repo", REPO)
    assert code == 0, output
    assert "warning CHANGES_TOKEN is not set here" in output, output

    world.driver.env["CHANGES_TOKEN"] = gh.user("changes-reader").token or ""
    before = len(world.sb.requests)
    code, output = cli(world, "check", "--repo", REPO)
    assert code == 0, output  # warnings only: a declaration goes on without them
    asked = [
        r.path
        for r in world.sb.requests[before:]
        if r.service == "github"
        and r.path.startswith("/repos/wellcome/")
        and not r.path.startswith(f"/repos/{REPO}")  # the labels and visibility, as before
    ]
    assert sorted(asked) == ["/repos/wellcome/catalogue-api", "/repos/wellcome/vault"]
    assert "CHANGES_TOKEN cannot read wellcome/vault (not found, or the token cannot see" in output
    assert "catalogue-api (" not in output
    assert world.driver.env["CHANGES_TOKEN"] not in output
    assert "Traceback" not in output
