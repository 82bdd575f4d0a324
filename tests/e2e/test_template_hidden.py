"""A retrospective template in a hidden file or folder is refused (issue #23, item 4):
`.git/config` is inside the checkout, and actions/checkout without
`persist-credentials: false` keeps the job's token there (http.<url>.extraheader)."""

from __future__ import annotations

import os

import pytest

from incident_tool.effects.retrospective import TemplateError, confined_template_path
from tests.world import cli

HEADER = "AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46Z2hzX0ZBS0VUT0tFTg=="


def checkout_with_a_token(root) -> None:
    (root / ".git").mkdir(exist_ok=True)
    (root / ".git" / "config").write_text(
        f'[http "https://github.com/"]\n\textraheader = {HEADER}\n'
    )


def test_check_refuses_git_config_as_the_template_in_one_line(world):
    checkout_with_a_token(world.root)
    world.write_config(retrospective={"template": ".git/config"})
    code, output = cli(world, "check", "--offline")
    assert code == 1, output
    [line] = [x for x in output.splitlines() if "retrospective.template" in x]
    assert line.startswith("error") and "'.git/config' is in .git, a hidden file or folder" in line
    assert "keep the template in an ordinary folder" in line
    assert HEADER not in output


def test_the_retrospective_never_holds_git_config(world):
    checkout_with_a_token(world.root)
    world.write_config(retrospective={"template": ".git/config"})
    number = world.report()
    world.declare(number)
    world.say(number, "dana", "/resolve")
    [retro] = world.retrospectives()
    assert "extraheader" not in retro["body"] and HEADER not in retro["body"]
    # Written from the packaged template, and the first lines say why.
    assert "## Action items" in retro["body"]
    assert "is in .git, a hidden file or folder" in retro["body"]


@pytest.mark.parametrize(
    "path",
    [
        ".git/config",
        ".GIT/config",
        "templates/../.git/config",
        ".env",
        ".ssh/id_ed25519",
        ".x/t.j2",
    ],
)
def test_a_hidden_file_or_folder_is_refused(tmp_path, path):
    with pytest.raises(TemplateError, match="a hidden file or folder"):
        confined_template_path(tmp_path, path)


def test_a_link_into_git_is_refused(tmp_path):
    checkout_with_a_token(tmp_path)
    (tmp_path / "templates").mkdir()
    os.symlink(tmp_path / ".git" / "config", tmp_path / "templates" / "retro.j2")
    with pytest.raises(TemplateError, match=r"is in \.git, a hidden file or folder"):
        confined_template_path(tmp_path, "templates/retro.j2")


def test_github_and_ordinary_folders_are_kept(tmp_path):
    for path in (".github/retro.md.j2", "templates/retrospective.md.j2", "docs/a.b/retro.j2"):
        assert confined_template_path(tmp_path, path) == tmp_path.resolve() / path
