"""What `incident-tool check` finds in an adopter's setup (docs/adopting.md#check-the-setup).

Pure: every function takes file texts or parsed data and returns findings, one per thing a
team can see or mend; `verbs/check.py` reads the files, asks GitHub and Slack, and prints.
A finding says what, where (file:line when known) and what to do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import yaml

from incident_tool import config as config_module
from incident_tool.config import Config, ConfigError
from incident_tool.core.model import IssueView
from incident_tool.core.record import Record
from incident_tool.core.states import PREFIX as STATE_PREFIX
from incident_tool.core.states import State
from incident_tool.inbound.forms import (
    FormDefinition,
    FormDefinitionError,
    FormField,
    service_key,
    severity_from_guess,
)

OK, WARNING, ERROR = "ok", "warning", "error"

CONFIG_PATH = config_module.DEFAULT_PATH
FORM_PATH = ".github/ISSUE_TEMPLATE/report-incident.yml"
WORKFLOWS_DIR = ".github/workflows"
# The workflows `init` writes, each running one command of incident-tool.
WORKFLOWS = ("incident.yml", "incident-sweep.yml", "incident-followups.yml")
LIVE_WORKFLOW = "incident-live.yml"
# What every incident-tool step passes as `record-key` (SPEC §19).
RECORD_KEY_SECRET = "secrets.INCIDENT_TOOL_RECORD_KEY"
# The commands the action runs (action.yml's `command` input).
COMMANDS = frozenset({"handle", "sweep", "followups", "listen", "status-page"})
_PIN = re.compile(r"^(?P<repo>[A-Za-z0-9-]+/[A-Za-z0-9._-]+)@(?P<ref>\S+)$")
_SHA = re.compile(r"^[0-9a-f]{40}$")
# What each command's job may write, and what it cannot run without (docs/operating.md).
_WRITES = {
    "handle": {"actions", "issues"},
    "sweep": {"actions", "issues"},
    "followups": {"issues"},
    "listen": {"actions", "issues"},
    "status-page": {"pages", "id-token"},
}
# The form's fields the tool reads (by id), and whether a report means anything without them.
FORM_FIELDS = {
    "summary": True,
    "service": True,
    "impact": True,
    "started": False,
    "noticed": False,
    "links": False,
    "severity": False,
    "sensitive": False,
}
# Words that mark a service list nobody has made their own yet.
_PLACEHOLDER = re.compile(
    r"\b(example|placeholder|replace|rename|your service|service [a-z0-9])\b", re.IGNORECASE
)


@dataclass(frozen=True)
class Finding:
    """One line of `check`: how bad, what, where, and what to do."""

    level: str
    what: str
    where: str = ""
    todo: str = ""

    def line(self) -> str:
        where = f" ({self.where})" if self.where else ""
        todo = f": {self.todo}" if self.todo else ""
        return f"{self.level:<8}{self.what}{where}{todo}"


def ok(what: str, where: str = "") -> Finding:
    return Finding(OK, what, where)


def warning(what: str, where: str, todo: str) -> Finding:
    return Finding(WARNING, what, where, todo)


def error(what: str, where: str, todo: str) -> Finding:
    return Finding(ERROR, what, where, todo)


def count(findings: Iterable[Finding]) -> str:
    """Say how many errors and warnings: "1 error, 2 warnings"."""
    levels = [f.level for f in findings]
    return ", ".join(
        f"{n} {word}{'' if n == 1 else 's'}"
        for word, n in (("error", levels.count(ERROR)), ("warning", levels.count(WARNING)))
    )


def exit_status(findings: Iterable[Finding]) -> int:
    """1 when any finding is an error, else 0."""
    return 1 if any(f.level == ERROR for f in findings) else 0


# ----------------------------------------------------------------- YAML positions


def _compose(text: str) -> Any:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        return None


def line_of(text: str, key_path: str) -> int | None:
    """Return the line (1-based) of `a.b[2].c` in YAML `text`, or of its nearest parent."""
    node, found = _compose(text), None
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", key_path):
        if isinstance(node, yaml.MappingNode):
            hit = next((k for k, _ in node.value if getattr(k, "value", None) == part), None)
            if hit is None:
                break
            found = hit.start_mark.line + 1
            node = next(v for k, v in node.value if k is hit)
        elif isinstance(node, yaml.SequenceNode) and part.startswith("["):
            index = int(part[1:-1])
            if index >= len(node.value):
                break
            node = node.value[index]
            found = node.start_mark.line + 1
        else:
            break
    return found


def _at(path: str, line: int | None) -> str:
    return f"{path}:{line}" if line else path


# ----------------------------------------------------------------------- config


def check_config(
    text: str | None, path: str = CONFIG_PATH, *, yaml_twin: bool = False
) -> tuple[list[Finding], Config | None]:
    """Check the config as the workflows read it; return the findings and the config
    (the defaults when the file is absent, None when it cannot be used).

    `yaml_twin`: a `.github/incident.yaml` sits beside the missing `.yml`: the workflows
    read only the `.yml`, so the team's settings are silently ignored.
    """
    if text is None:
        if yaml_twin:
            twin = re.sub(r"\.yml$", ".yaml", path)
            return [
                error(
                    f"{path} is missing but {twin} exists: the workflows read only {path},"
                    " so every setting in it is ignored",
                    twin,
                    f"rename it: git mv {twin} {path}",
                )
            ], Config(source=f"{path} (absent: defaults)")
        return [
            warning(
                f"no {path}: using defaults (nobody is paged, no Slack channel announced)",
                path,
                "run `incident-tool init`, or write one"
                " (docs/adopting.md#configuration-githubincidentyml)",
            )
        ], Config(source=f"{path} (absent: defaults)")
    problem = _yaml_problem(text, path)
    if problem is not None:
        return [problem], None
    try:
        cfg = config_module.parse(text, path)
    except ConfigError as exc:
        message = str(exc).removeprefix(f"{path}: ")
        key = re.match(r"`([^`]*)`", message)
        line = line_of(text, key[1]) if key else None
        return [error(message, _at(path, line), "mend it; every key is in docs/config.md")], None
    return [ok(f"config loads: {_people_summary(cfg)}", path)], cfg


def _yaml_problem(text: str, path: str) -> Finding | None:
    """Say why the text is not a YAML mapping, with the parser's reason and line."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or "not valid YAML"
        return error(
            f"not valid YAML: {reason}",
            _at(path, mark.line + 1 if mark is not None else None),
            "mend the line (a tab, an unclosed quote or bracket, a missing space after `:`)",
        )
    except RecursionError:
        return error("nested too deeply to be a config file", path, "write it flat")
    if data is not None and not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        return error(
            "the config must be a mapping of keys (delivery_managers:, responders:, …),"
            f" not {kind}",
            _at(path, 1),
            "start each top-level key at the left margin, with no `- ` before it",
        )
    return None


def _people_summary(cfg: Config) -> str:
    return (
        f"{len(cfg.delivery_managers)} delivery managers, {len(cfg.responders)} responders,"
        f" {len(cfg.people)} people mapped to Slack, slack.live {cfg.slack.live}"
    )


def check_people(cfg: Config, path: str = CONFIG_PATH, text: str = "") -> list[Finding]:
    """Who gets paged and who leads: nobody listed works, but nobody is then asked."""
    findings = []
    for key, who in (
        ("delivery_managers", "nobody is asked to declare or dismiss a report"),
        ("responders", "no lead is assigned when an incident is declared"),
    ):
        if not getattr(cfg, key):
            findings.append(
                warning(
                    f"`{key}` is empty: {who}",
                    _at(path, line_of(text, key)),
                    f"list GitHub logins under {key}",
                )
            )
    unmapped = [
        login
        for login in (*cfg.delivery_managers, *cfg.responders)
        if not (cfg.person(login).slack or cfg.person(login).email)
    ]
    if unmapped:
        findings.append(
            warning(
                f"no Slack id or email for {', '.join(dict.fromkeys(unmapped))}:"
                " they are not paged or invited on Slack",
                _at(path, line_of(text, "people")),
                "add `people: {login: {slack: U…}}` or `{email: …}` for each",
            )
        )
    if not cfg.slack.announce_channel:
        findings.append(
            warning(
                "no `slack.announce_channel`: declarations and resolutions are not announced",
                _at(path, line_of(text, "slack")),
                "name the channel stakeholders watch",
            )
        )
    if not findings:
        findings.append(ok("delivery managers, responders and their Slack identities", path))
    return findings


# ------------------------------------------------------------------------ form


def check_form(
    text: str | None,
    cfg: Config,
    *,
    packaged: FormDefinition,
    path: str = FORM_PATH,
) -> list[Finding]:
    """Check the report form: present, the fields the tool reads (by id and by heading,
    as the issue body carries the label), and its services against the config's lists.

    `packaged`: the form incident-tool ships; its labels are the headings the parser
    knows, and a form whose services are still its services is still a placeholder.
    """
    if text is None:
        return [
            error(
                f"no {path}: people have no form to report an incident with",
                path,
                "run `incident-tool init` (it writes the form), or restore it",
            )
        ]
    try:
        form = FormDefinition.from_yaml(text, path)
    except FormDefinitionError as exc:
        return [error(str(exc).removeprefix(f"{path}: "), path, "mend the form")]
    except RecursionError:
        return [error("nested too deeply to be an issue form", path, "mend the form")]
    findings = _form_fields(form, packaged, text, path)
    findings += _form_labels(form, text, path)
    service = form.get_field("service")
    if service is not None and service.options:
        findings += _services(service, cfg, packaged, text, path)
    return findings or [ok("the report form has every field the tool reads", path)]


def _form_fields(
    form: FormDefinition, packaged: FormDefinition, text: str, path: str
) -> list[Finding]:
    findings = []
    for field_id, needed in FORM_FIELDS.items():
        theirs, ours = form.get_field(field_id), packaged.get_field(field_id)
        if theirs is None:
            level = error if needed else warning
            findings.append(
                level(
                    f"the form has no field with id `{field_id}`"
                    + ("" if needed else f": reports never carry a {field_id}"),
                    path,
                    f"add it as in incident-tool's form (id: {field_id})",
                )
            )
        elif ours is not None and _heading(theirs.label) != _heading(ours.label):
            findings.append(
                error(
                    f"field `{field_id}` is labelled {theirs.label!r}: the issue carries the label"
                    f" as its heading, and the tool reads the heading {ours.label!r}",
                    _at(path, _line_in(text, theirs.label)),
                    f"label it {ours.label!r}",
                )
            )
    severity = form.get_field("severity")
    for option in severity.options if severity else ():
        if severity_from_guess(option) is None:
            findings.append(
                warning(
                    f"severity option {option!r} does not start with 1-4: it is read as no guess",
                    _at(path, _line_in(text, option)),
                    'start each option with its number, e.g. "2 - Major: …"',
                )
            )
    return findings


def _form_labels(form: FormDefinition, text: str, path: str) -> list[Finding]:
    reported = "incident:reported"
    if reported in form.labels:
        return []
    return [
        error(
            f"the form does not label its issues {reported}: the workflow never runs for a report",
            _at(path, line_of(text, "labels")),
            f'add `labels: ["{reported}"]`',
        )
    ]


def _services(
    service: FormField, cfg: Config, packaged: FormDefinition, text: str, path: str
) -> list[Finding]:
    findings = []
    offered = {service_key(o): o for o in service.options}
    shipped = packaged.get_field("service")
    shipped_keys = {service_key(o) for o in (shipped.options if shipped else ())}
    own = [o for o in service.options if service_key(o) not in shipped_keys]
    placeholders = [o for o in service.options if _PLACEHOLDER.search(o)]
    if placeholders or not own:
        findings.append(
            warning(
                "the form's services are still the ones init wrote"
                + (f" ({', '.join(placeholders[:3])})" if placeholders else ""),
                _at(path, _line_in(text, service.options[0])),
                "list your team's own services under the `service` dropdown's options",
            )
        )
    sensitive = [s for s in cfg.sensitive.services if service_key(s) not in offered]
    if sensitive:
        findings.append(
            warning(
                f"sensitive.services names {', '.join(map(repr, sensitive))}, which the form does"
                " not offer: a report can never be made sensitive by its service",
                cfg.source,
                "use the form's spelling, or add the option to the form",
            )
        )
    elif not any(service_key(s) in offered for s in cfg.sensitive.services):
        findings.append(
            warning(
                "no form service makes an incident sensitive: only the checkbox does",
                cfg.source,
                "name the security option in sensitive.services",
            )
        )
    findings += _changes_services(cfg, offered)
    components = cfg.status_page.components
    if components:
        unknown = [c for c in components if service_key(c) not in offered]
        if unknown:
            findings.append(
                warning(
                    f"status_page.components {', '.join(map(repr, unknown))} match no service"
                    " of the form: no report can affect them",
                    cfg.source,
                    "use the form's spelling",
                )
            )
    return findings


# ---------------------------------------------------------------------- changes
# What changed before an incident (docs/usage.md#what-changed-before-the-incident): the
# keys' types are the config parser's (an error with its line); these say the rest.


def _changes_services(cfg: Config, offered: Mapping[str, str]) -> list[Finding]:
    """A `changes.services` name no report can carry: its repositories are never first."""
    unknown = [s for s in cfg.changes.services if service_key(s) not in offered]
    if not unknown:
        return []
    return [
        warning(
            f"changes.services names {', '.join(map(repr, unknown))}, which the form does not"
            " offer: no report puts its repositories' changes first",
            cfg.source,
            "use the form's spelling, or add the option to the form",
        )
    ]


def changes_repositories(cfg: Config, incidents_repo: str | None) -> tuple[str, ...]:
    """The repositories in changes.* other than the incidents one (read with
    CHANGES_TOKEN at declaration), each once, as the config lists them."""
    listed = [r for repos in cfg.changes.services.values() for r in repos]
    listed += cfg.changes.repositories
    own = (incidents_repo or "").lower()
    seen: dict[str, str] = {}
    for repo in listed:
        if repo.lower() != own:
            seen.setdefault(repo.lower(), repo)
    return tuple(seen.values())


def check_changes_access(
    cfg: Config, others: tuple[str, ...], token_set: bool, unreadable: Mapping[str, str]
) -> list[Finding]:
    """Whether CHANGES_TOKEN reads `others` (changes_repositories; one GET
    /repos/{owner}/{repo} each), `unreadable` naming those it cannot, with why. Warnings
    only: a declaration goes on without them, and names them."""
    if not others:
        return []
    if not token_set:
        return [
            warning(
                "CHANGES_TOKEN is not set here: the repositories in changes.* other than the"
                " incidents one are not checked, and a declaration without it reads none",
                "CHANGES_TOKEN",
                "in Actions it is the secret CHANGES_TOKEN (or a GitHub App's token,"
                " docs/usage.md#what-changed-before-the-incident); set it here to check it",
            )
        ]
    findings = [
        warning(
            f"changes: CHANGES_TOKEN cannot read {repo} ({why}): its changes are not listed"
            " at declaration",
            cfg.source,
            "give the token read access to it (contents, deployments, actions, pull"
            " requests), or mend the name",
        )
        for repo, why in unreadable.items()
    ]
    return findings or [
        ok(f"changes: CHANGES_TOKEN reads the {len(others)} other repositories", "GitHub")
    ]


# ----------------------------------------------------------- sensitive.repository


def check_sensitive_repository(cfg: Config, incidents_repo: str | None) -> list[Finding]:
    """`sensitive.repository`'s form (docs/security.md#a-public-repository): owner/name (the
    config's own check) and not the incidents repository itself. Asks nothing."""
    target = cfg.sensitive.repository
    if target is None:
        return []
    if incidents_repo and target.lower() == incidents_repo.lower():
        return [
            error(
                f"sensitive.repository names {target}, the incidents repository itself",
                cfg.source,
                "name a private repository of the team's, which the public cannot read",
            )
        ]
    return [ok(f"sensitive.repository: {target}, with SENSITIVE_TOKEN", cfg.source)]


def check_sensitive_access(
    cfg: Config, token_set: bool, visibility: str | None, why: str = ""
) -> list[Finding]:
    """Online: SENSITIVE_TOKEN reaches `sensitive.repository` (its `visibility`; None:
    it could not, `why`) and it is private."""
    target = cfg.sensitive.repository
    if target is None:
        return []
    where = "SENSITIVE_TOKEN"
    if not token_set:
        return [
            warning(
                f"SENSITIVE_TOKEN is not set here: {target} is not checked, and a run without"
                " it moves a sensitive report's text to the private channel instead",
                where,
                f"store a token that may open issues in {target} (issues: write) as the"
                " secret SENSITIVE_TOKEN; set it here to check it",
            )
        ]
    if visibility is None:
        return [
            error(
                f"SENSITIVE_TOKEN cannot reach {target} ({why}): a sensitive report's text"
                " goes to the private channel instead",
                where,
                f"give the token issues: write on {target}, or mend the name",
            )
        ]
    if visibility != "private":
        return [
            error(
                f"{target} is {visibility}: the tool moves no sensitive report's text there",
                where,
                "make it private, or name a private repository",
            )
        ]
    return [ok(f"sensitive.repository: {target} is private, and SENSITIVE_TOKEN reaches it")]


def _heading(label: str) -> str:
    return " ".join(label.split()).casefold()


def _line_in(text: str, needle: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return None


# ------------------------------------------------------------------- workflows


@dataclass(frozen=True)
class _Step:
    workflow: str
    command: str
    uses: str
    line: int | None
    job: str
    actions_write: bool  # its job may switch the sweep schedule (and dispatch runs)
    record_key: Any = None  # what its `with:` gives as `record-key`, None when nothing


def check_workflows(texts: Mapping[str, str | None], cfg: Config) -> list[Finding]:
    """Check the workflow files (name -> text, None when absent): the ones init writes are
    present, incident-tool is pinned to one 40-hex commit in all of them, each job asks
    for no more than it uses, and the config asks nothing of a job that is not there."""
    wanted = [*WORKFLOWS, *([LIVE_WORKFLOW] if cfg.slack.live == "actions" else [])]
    findings: list[Finding] = []
    steps: list[_Step] = []
    for name in wanted:
        where = f"{WORKFLOWS_DIR}/{name}"
        text = texts.get(name)
        if text is None:
            findings.append(
                error(
                    f"{where} is missing",
                    where,
                    "run `incident-tool init` (keeps your files) or restore it",
                )
            )
            continue
        found, problems = _workflow(text, where)
        findings += problems
        steps += found
    findings += _pins(steps) + _against_config(steps, cfg) + _record_keys(steps)
    if not any(f.level != OK for f in findings):
        findings.append(ok(f"{len(wanted)} workflows, pinned alike, least privilege"))
    return findings


def _workflow(text: str, where: str) -> tuple[list[_Step], list[Finding]]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return [], [
            error(
                f"not valid YAML: {getattr(exc, 'problem', None) or exc}",
                _at(where, mark.line + 1 if mark else None),
                "mend it",
            )
        ]
    except RecursionError:
        return [], [error("nested too deeply to be a workflow", where, "restore it")]
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), dict):
        return [], [
            error("not a workflow (no `jobs:`)", where, "restore it with `incident-tool init`")
        ]
    findings = _top_permissions(data, text, where)
    steps = []
    for job_name, job in data["jobs"].items():
        for command, uses, key in _tool_steps(job):
            perms = job.get("permissions")
            writes_actions = isinstance(perms, dict) and perms.get("actions") == "write"
            line = _line_in(text, f"uses: {uses}")
            steps.append(_Step(where, command, uses, line, str(job_name), writes_actions, key))
            findings += _job_permissions(command, perms, text, where, str(job_name))
    if not steps:
        findings.append(
            error("runs no incident-tool step", where, "restore it with `incident-tool init`")
        )
    return steps, findings


def _tool_steps(job: Any) -> list[tuple[str, str, Any]]:
    """The (command, uses, record-key) of a job's incident-tool steps: those with a
    `command` input."""
    raw = job.get("steps") if isinstance(job, dict) else None
    found = []
    for step in raw if isinstance(raw, list) else []:
        given = step.get("with") if isinstance(step, dict) else None
        command = given.get("command") if isinstance(given, dict) else None
        uses = step.get("uses") if isinstance(step, dict) else None
        key = given.get("record-key") if isinstance(given, dict) else None
        if isinstance(command, str) and command in COMMANDS and isinstance(uses, str):
            found.append((command, uses, key))
    return found


def _record_keys(steps: list[_Step]) -> list[Finding]:
    """Every incident-tool step passes the repository secret as `record-key` (SPEC §19): a
    run without it writes records the runs with it do not believe, and seals nothing
    (docs/security.md#the-record-and-its-proof)."""
    findings = []
    for step in steps:
        given = step.record_key
        if isinstance(given, str) and RECORD_KEY_SECRET in given.replace(" ", ""):
            continue
        what = (
            "passes no `record-key`"
            if given is None
            else f"passes `record-key: {given}`, not the repository secret"
        )
        findings.append(
            warning(
                f"the `{step.command}` step ({step.job}) {what}: its records are not sealed,"
                " and runs with INCIDENT_TOOL_RECORD_KEY do not believe them",
                _at(step.workflow, step.line),
                f"add `record-key: ${{{{ {RECORD_KEY_SECRET} }}}}` under its `with:`",
            )
        )
    return findings


def check_record_key(in_actions: bool, key_set: bool) -> list[Finding]:
    """The record key where check runs: in Actions (GITHUB_ACTIONS=true) an unset
    INCIDENT_TOOL_RECORD_KEY means the repository has no such secret, or this job is not
    given it (docs/security.md#the-record-and-its-proof). Elsewhere, unset says nothing."""
    where = "INCIDENT_TOOL_RECORD_KEY"
    if key_set:
        return [ok("INCIDENT_TOOL_RECORD_KEY is set: records are sealed", where)]
    if not in_actions:
        return []
    return [
        warning(
            "INCIDENT_TOOL_RECORD_KEY is not set in this job: incident records are not sealed,"
            " so another workflow could write one the tool believes",
            where,
            'make one (python3 -c "import secrets; print(secrets.token_hex(32))"), store it'
            " as the repository secret INCIDENT_TOOL_RECORD_KEY and give it to this step"
            " (docs/security.md#the-record-and-its-proof)",
        )
    ]


def check_visibility(repo: str, visibility: str) -> list[Finding]:
    """A public repository's report issues are public, whatever the tool keeps out of
    Slack (private channel, redacted announcements): a sensitive report belongs in a
    private channel first (docs/security.md#a-public-repository)."""
    if visibility != "public":
        return [ok(f"{repo} is {visibility}: only people with access read its reports", "GitHub")]
    return [
        warning(
            f"{repo} is public: anyone can read every report issue, its body and its comments,"
            " whatever the tool keeps out of Slack",
            "GitHub",
            "report a security or personal-data incident in a private channel first, not"
            " through the form (docs/security.md#a-public-repository)",
        )
    ]


def check_channel_copy(cfg: Config, repo: str, visibility: str | None) -> list[Finding]:
    """`retrospective.slack_messages: all` copies each incident channel's messages into its
    retrospective issue, which in a public repository anyone reads (issue #23, item 6);
    `visibility` None: not asked (--offline, or GitHub did not say)."""
    if cfg.retrospective.slack_messages != "all":
        return []
    where = _at(cfg.source, None)
    what = "retrospective.slack_messages is all: each retrospective copies its incident channel"
    if visibility is None:
        return [ok(f"{what} (not a sensitive incident's); check online says if that is public")]
    if visibility != "public":
        return [ok(f"{what}, in {repo}, which is {visibility}", where)]
    return [
        warning(
            f"{what} into {repo}, which is public: anyone reads what people said there"
            " (names, hosts, a password pasted by mistake)",
            where,
            "set `retrospective.slack_messages: notes` (the 📌 notes only, the default), or"
            " keep the incidents in a private repository",
        )
    ]


def _against_config(steps: list[_Step], cfg: Config) -> list[Finding]:
    """What the config asks of the workflows that they cannot do."""
    findings = []
    pages = any(s.command == "status-page" for s in steps)
    where = _at(cfg.source, None)
    if pages and not cfg.status_page.enabled:
        findings.append(
            warning(
                "incident.yml has the job that publishes the status page, but"
                " status_page.enabled is false: the page is never published",
                where,
                "set `status_page.enabled: true` (or remove the pages job)",
            )
        )
    if cfg.status_page.enabled and not pages:
        findings.append(
            warning(
                "status_page.enabled is true but no workflow publishes the page",
                where,
                "run `incident-tool init --status-page --force` (or add the pages job)",
            )
        )
    handle = [s for s in steps if s.command == "handle"]
    if cfg.sweep.manage_schedule and handle and not any(s.actions_write for s in handle):
        findings.append(
            warning(
                "the handle job has no `actions: write`: the sweep schedule is not switched"
                " on when an incident opens, so reminders wait",
                handle[0].workflow,
                "give the job `actions: write`, or set `sweep.manage_schedule: false`",
            )
        )
    return findings


def _top_permissions(data: dict[str, Any], text: str, where: str) -> list[Finding]:
    perms = data.get("permissions")
    line = _at(where, line_of(text, "permissions"))
    if perms is None:
        return [
            warning(
                "no top-level `permissions`: every job gets the repository's default token,"
                " which can write everything",
                where,
                "add `permissions: {}` at the top; each job asks for what it uses",
            )
        ]
    if perms in ("read-all", {}) or (
        isinstance(perms, dict) and all(v in ("read", "none") for v in perms.values())
    ):
        return []
    return [
        error(
            f"top-level `permissions` grants writes ({_perm_text(perms)}) to every job",
            line,
            "make it `permissions: {}`; each job asks for what it uses",
        )
    ]


def _job_permissions(command: str, perms: Any, text: str, where: str, job: str) -> list[Finding]:
    if perms is None:
        return [
            warning(
                f"job `{job}` sets no `permissions`: it gets the top-level ones",
                where,
                "give the job the permissions incident-tool's template gives it",
            )
        ]
    if perms == "write-all" or not isinstance(perms, dict):
        return [
            error(
                f"job `{job}` asks for {_perm_text(perms)}",
                where,
                "list only what it uses, as incident-tool's template does",
            )
        ]
    extra = sorted(k for k, v in perms.items() if v == "write" and k not in _WRITES[command])
    findings = []
    if extra:
        findings.append(
            error(
                f"job `{job}` can write {', '.join(extra)}, which `{command}` never writes",
                _at(where, _line_in(text, f"{extra[0]}: write")),
                "remove those lines",
            )
        )
    if command != "status-page" and perms.get("issues") != "write":
        findings.append(
            error(
                f"job `{job}` cannot write issues: `{command}` cannot label, assign or comment",
                where,
                "add `issues: write` to its permissions",
            )
        )
    return findings


def _perm_text(perms: Any) -> str:
    if isinstance(perms, dict):
        return ", ".join(f"{k}: {v}" for k, v in perms.items() if v == "write") or "nothing"
    return str(perms)


def _pins(steps: list[_Step]) -> list[Finding]:
    findings = []
    refs: dict[str, list[_Step]] = {}
    for step in steps:
        where = _at(step.workflow, step.line)
        if step.uses.startswith("./"):
            continue  # incident-tool's own repository runs its checkout (dogfooding)
        match = _PIN.match(step.uses)
        if match is None:
            findings.append(
                error(f"`uses: {step.uses}` is not OWNER/REPO@SHA", where, "pin a commit")
            )
            continue
        ref = match["ref"]
        if set(ref) == {"0"}:
            findings.append(
                error(
                    f"incident-tool is not pinned yet (`{step.uses}`): the job fails",
                    where,
                    "name the repository and full commit SHA of the incident-tool you have read"
                    " (or `incident-tool init --action OWNER/REPO@SHA --force`)",
                )
            )
        elif not _SHA.match(ref):
            findings.append(
                error(
                    f"incident-tool is pinned to `{ref}`, which can be moved",
                    where,
                    "pin the full 40-hex commit SHA instead",
                )
            )
        refs.setdefault(step.uses, []).append(step)
    if len(refs) > 1:
        shown = "; ".join(
            f"{uses} in {', '.join(sorted({s.workflow.rsplit('/', 1)[-1] for s in found}))}"
            for uses, found in refs.items()
        )
        findings.append(
            error(
                f"the workflows run different incident-tools: {shown}",
                WORKFLOWS_DIR,
                "pin the same commit in every workflow (they share the record's format)",
            )
        )
    return findings


# ----------------------------------------------------------------------- labels


def check_labels(existing: Iterable[str], wanted: Iterable[str]) -> list[Finding]:
    """The labels the tool uses against the repository's (compared as GitHub does).

    A missing state label is an error: an issue form applies only labels that exist, so a
    report without `incident:reported` never runs the workflow. GitHub creates the others
    when the tool first adds them, without their colour and description.
    """
    have = {name.lower() for name in existing}
    missing = [name for name in wanted if name.lower() not in have]
    states = [name for name in missing if name.startswith(STATE_PREFIX)]
    others = [name for name in missing if name not in states]
    where, todo = "repository labels", "run `incident-tool labels sync`"
    findings = []
    if states:
        findings.append(error(f"state labels missing: {', '.join(states)}", where, todo))
    if others:
        findings.append(
            warning(
                f"labels missing: {', '.join(others)} (made without colour when first used)",
                where,
                todo,
            )
        )
    return findings or [ok("every label the tool uses exists", where)]


# ------------------------------------------------------------------------ Slack


def check_scopes(granted: str | None, needed: Iterable[str]) -> list[Finding]:
    """The bot token's scopes (auth.test's `x-oauth-scopes`) against the manifest's."""
    where = "SLACK_BOT_TOKEN"
    if granted is None:
        return [ok("Slack did not list the token's scopes: not compared", where)]
    have = {s.strip() for s in granted.split(",") if s.strip()}
    missing = [scope for scope in needed if scope not in have]
    if missing:
        return [
            error(
                f"the Slack bot token lacks the scopes {', '.join(missing)}",
                where,
                "paste .github/slack-app-manifest.yml under App Manifest, reinstall the app,"
                " and store the new bot token",
            )
        ]
    return [ok("the Slack bot token has every scope the manifest asks for", where)]


MANIFEST_PATH = ".github/slack-app-manifest.yml"


def check_manifest(text: str | None, cfg: Config) -> list[Finding]:
    """With `slack.live`, the Slack app `init` described must have Socket Mode on: without
    it `listen` connects but no event, `/incident` or button ever arrives."""
    if cfg.slack.live == "off" or text is None:
        return []
    try:
        data = yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError):
        return [error("not valid YAML", MANIFEST_PATH, "run `incident-tool init --live …`")]
    settings = data.get("settings") if isinstance(data, dict) else None
    if isinstance(settings, dict) and settings.get("socket_mode_enabled") is True:
        return [ok("the Slack app manifest has Socket Mode on", MANIFEST_PATH)]
    return [
        warning(
            f"slack.live is {cfg.slack.live} but the Slack app manifest has Socket Mode off:"
            " no event, /incident or button reaches `listen`",
            _at(MANIFEST_PATH, _line_in(text, "socket_mode_enabled")),
            f"run `incident-tool init --live {cfg.slack.live} --force`, paste the manifest"
            " under App Manifest in the Slack app, and reinstall it",
        )
    ]


# ------------------------------------------------------------- retrospective


def sample_incident(form: FormDefinition, cfg: Config) -> tuple[IssueView, Record]:
    """An incident with every part a template may show (a lead, a handover, notes, an
    action, each state), to render the team's template before a real one needs it."""
    start = datetime(2026, 1, 1, 9, 0, tzinfo=timezone.utc)
    service = form.get_field("service")
    values = {
        "summary": "Search returns no results",
        "service": service.options[0] if service and service.options else "Search",
        "impact": "Nobody can find anything",
        "started": "2026-01-01 08:50 UTC",
        "noticed": "An alert",
        "links": "https://example.org/dashboard",
    }
    body = "\n\n".join(f"### {f.label}\n\n{values.get(f.id, '_No response_')}" for f in form.fields)
    lead, second = ([*cfg.responders, "responder", "helper"])[:2]
    issue = IssueView(
        repo="OWNER/NAME",
        number=1,
        title="[Incident]: Search returns no results",
        body=body,
        url="https://github.com/OWNER/NAME/issues/1",
        author="reporter",
        labels=("incident:resolved",),
        assignees=(lead,),
        state="closed",
        state_reason="completed",
        created_at=start,
        closed_at=start + timedelta(minutes=95),
    )
    record = Record(state=State.RESOLVED, severity=2, leads=[lead, second], helping=["helper"])
    for minutes, kind, actor, text in (
        (0, "reported", "reporter", ""),
        (4, "declared", lead, ""),
        (5, "handover", lead, f"{lead} → {second}"),
        (7, "comms", second, "We know; fixing"),
        (30, "mitigated", second, ""),
        (40, "action", second, "Add an alert"),
        (95, "resolved", second, ""),
    ):
        record.note(start + timedelta(minutes=minutes), kind, actor, text)
    return issue, record
