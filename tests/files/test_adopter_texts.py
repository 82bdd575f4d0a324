"""What an adopter reads matches what `init` writes and what the tool does (issue #22 items 3,
4 and 11): the workflows named wherever pinning is explained, no other organisation's names
in init's output, the README's hand example and the Quick start as they run.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from incident_tool.verbs.init import (
    UNPINNED_ACTION,
    WORKFLOWS_DIR,
    format_result,
    init_repo,
    workflow_files,
)

ROOT = Path(__file__).resolve().parents[2]
LIVE_OPTIONS = (None, "external", "actions")
# What the adopter would not have or is not theirs: the tool's own example team (a
# Wellcome Collection platform team, wc-* channels) and the SPEC kept in its repository.
NOT_THE_ADOPTERS = re.compile(r"wellcome|\bwc-|\bSPEC\b", re.IGNORECASE)


def _init(tmp_path: Path, live: str | None, status_page: bool = False) -> tuple[Path, str]:
    target = tmp_path / f"repo-{live}-{status_page}"
    target.mkdir()
    result = init_repo(target, live=live, status_page=status_page)
    return target, format_result(result)


@pytest.mark.parametrize("live", LIVE_OPTIONS)
def test_every_workflow_init_writes_is_named_where_pinning_is_explained(
    tmp_path: Path, live: str | None
) -> None:
    target, report = _init(tmp_path, live)
    written = sorted(p.name for p in (target / WORKFLOWS_DIR).iterdir())
    assert written == sorted(workflow_files(live))
    pin_step = next(line for line in report.splitlines() if UNPINNED_ACTION in line)
    header = (target / WORKFLOWS_DIR / "incident.yml").read_text(encoding="utf-8")
    header = header.split("\nname:", 1)[0].replace("\n# ", " ")
    for name in written:
        assert name in pin_step, f"init's pin step leaves out {name}: {pin_step}"
        assert name in header, f"incident.yml's header leaves out {name}"


def test_no_text_says_both_workflows() -> None:
    action_header = (ROOT / "action.yml").read_text(encoding="utf-8").split("\nname:", 1)[0]
    texts = {
        "action.yml": action_header,
        "README.md": (ROOT / "README.md").read_text(encoding="utf-8"),
        **{
            str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
            for p in [*(ROOT / "docs").glob("*.md"), *(ROOT / "incident_tool/templates").glob("*")]
            if p.is_file()
        },
    }
    for path, text in texts.items():
        assert not re.search(r"\bboth\s+workflows\b", text, re.IGNORECASE), path
    for name in workflow_files("actions"):
        assert name in action_header.replace("\n# ", " "), f"action.yml's header lacks {name}"


@pytest.mark.parametrize("live", LIVE_OPTIONS)
@pytest.mark.parametrize("status_page", [False, True])
def test_init_writes_nothing_of_the_tools_own_example_team(
    tmp_path: Path, live: str | None, status_page: bool
) -> None:
    target, report = _init(tmp_path, live, status_page)
    found = [
        f"{path.relative_to(target)}:{n}: {line.strip()}"
        for path in sorted(target.rglob("*"))
        if path.is_file()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if NOT_THE_ADOPTERS.search(line)
    ]
    found += [
        f"next steps: {line}" for line in report.splitlines() if NOT_THE_ADOPTERS.search(line)
    ]
    assert found == []


def test_the_pattern_finds_what_it_is_for() -> None:
    for text in ("# e.g. wc-platform", "Wellcome Collection", "channels back (SPEC §11)"):
        assert NOT_THE_ADOPTERS.search(text), text
    for text in ("retrospective", "specific", "sweep.manage_schedule"):
        assert not NOT_THE_ADOPTERS.search(text), text


def _section(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0]


def test_the_quick_start_makes_and_uses_a_venv() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = _section(_section(readme, "## Quick start", "\n## "), "```sh\n", "```")
    commands = block.strip().splitlines()
    assert len(commands) == 2
    for command in commands:
        # A system Python that refuses `pip install` (PEP 668) never sees the install.
        head, install = command.split(" && python3 -m pip install ", 1)
        assert head == "python3 -m venv .venv && . .venv/bin/activate", command
        assert install


def test_the_hand_example_hands_handle_an_event_the_workflow_runs_on(world_without_slack) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = _section(readme, "incident-tool demo --serve", "## Adopt")
    number, event, action = re.findall(r"<events folder>/(\d{4})-(\w+)\.(\w+)\.json", example)[0]
    workflow = yaml.safe_load((ROOT / "incident_tool/templates/workflow.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert action in triggers[event]["types"], f"incident.yml never runs on {event}.{action}"
    # The file the sandbox writes for that event when the example's curl opens the issue
    # (incident_sandbox/__main__.py numbers them from 0001 in order).
    assert '"labels": ["incident:reported"]' in example
    world_without_slack.gh.take_events()
    world_without_slack.gh.open_issue(
        "wellcome/platform", "dana", "Search is down", "", labels=["incident:reported"]
    )
    sent = [(name, payload["action"]) for name, payload in world_without_slack.gh.take_events()]
    assert sent[int(number) - 1] == (event, action), sent


def test_the_config_page_gives_the_components_default_the_tool_uses() -> None:
    from incident_tool.config import Config
    from incident_tool.core.public import components
    from incident_tool.inbound.forms import FormDefinition
    from tools.gen_docs import COMPUTED_DEFAULTS, pages

    form = FormDefinition.from_yaml(
        (ROOT / "incident_tool/templates/team-report-form.yml").read_text(encoding="utf-8")
    )
    field = form.get_field("service")
    assert field is not None
    hidden = set(Config().sensitive.services)
    # With the key unset, the page is the team's form's services (less the sensitive ones)...
    assert components(Config(), form) == tuple(o for o in field.options if o not in hidden)
    # ...which is what docs/config.md says, not the dataclass's empty list.
    page = pages()["docs/config.md"]
    row = next(line for line in page.splitlines() if line.startswith("| `status_page.components`"))
    assert "form's affected-service options" in row and "`[]`" not in row
    for key in COMPUTED_DEFAULTS:
        assert f"| `{key}` |" in page, f"{key} is no key of the config"
