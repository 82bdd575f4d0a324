"""`retro N` reads its template where it read its config (issue #23, item 4): run outside a
checkout, with the config from the default branch, a file of the same name in the current
directory (a home directory, perhaps) was rendered into the public retrospective issue."""

from __future__ import annotations

import yaml

from tests.e2e.test_team_config import by_hand, resolved
from tests.world import REPO, cli

SECRET = "SECRET-ON-THIS-MACHINE"


def machine_file(world, name: str) -> None:
    path = world.root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{SECRET} {{{{ incident.number }}}}\n")


def branch_config(world, template: str) -> None:
    team = dict(world.team["config"], retrospective={"template": template})
    world.gh.put_file(REPO, ".github/incident.yml", yaml.safe_dump(team))


def test_outside_a_checkout_a_local_file_is_never_the_template(world):
    number = resolved(world)
    [before] = world.retrospectives()
    by_hand(world)
    machine_file(world, "notes/retro.md.j2")
    branch_config(world, "notes/retro.md.j2")  # and no such file on the branch
    code, output = cli(world, "retro", str(number), "--repo", REPO, "--force")
    assert code == 1, output
    errors = [x for x in output.splitlines() if x.startswith("error")]
    assert errors == [
        "error: retrospective.template notes/retro.md.j2: file not found on wellcome/platform's "
        "default branch (the config was read from there): commit it, or run retro in a checkout"
    ]
    [after] = world.retrospectives()
    assert after["body"] == before["body"] and SECRET not in after["body"]


def test_outside_a_checkout_the_branch_s_template_wins_over_a_local_file(world):
    number = resolved(world)
    by_hand(world)
    machine_file(world, "notes/retro.md.j2")
    branch_config(world, "notes/retro.md.j2")
    world.gh.put_file(REPO, "notes/retro.md.j2", "Team retro of #{{ incident.number }}")
    code, output = cli(world, "retro", str(number), "--repo", REPO, "--force")
    assert code == 0, output
    [retro] = world.retrospectives()
    assert f"Team retro of #{number}" in retro["body"] and SECRET not in retro["body"]


def test_outside_a_checkout_the_default_name_falls_back_to_the_packaged_template(world):
    number = resolved(world)
    by_hand(world)
    machine_file(world, "templates/retrospective.md.j2")
    branch_config(world, "templates/retrospective.md.j2")
    code, output = cli(world, "retro", str(number), "--repo", REPO, "--print")
    assert code == 0, output
    assert "## Action items" in output and SECRET not in output


def test_in_a_checkout_the_local_template_is_used(world):
    number = resolved(world)
    machine_file(world, "notes/retro.md.j2")
    world.write_config(retrospective={"template": "notes/retro.md.j2"})
    code, output = cli(world, "retro", str(number), "--repo", REPO, "--print")
    assert code == 0, output
    assert f"{SECRET} {number}" in output
    assert not [r for r in world.sb.requests if "/contents/notes" in r.path]
