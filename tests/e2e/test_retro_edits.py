"""`retro N` keeps what people wrote in the retrospective's sections
(docs/usage.md#the-retrospective-edited-by-people)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from incident_tool.core.retro_sections import RetroEdited, merge, seal, sections
from tests.world import REPO, cli


def resolved(world) -> tuple[int, dict]:
    n = world.report()
    world.declare(n)
    world.say(n, "priya", "/action Add an alert on empty results")
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver()
    [retro] = world.retrospectives()
    return n, retro


def edit(world, number: int, body: str) -> None:
    # As GitHub's web editor saves it: CRLF line ends.
    world.gh.edit_issue(REPO, number, "dana", body=body.replace("\n", "\r\n"))


def test_rerendering_keeps_what_people_wrote_in_their_sections(world):
    n, retro = resolved(world)
    body = retro["body"]
    assert set(sections(body)) == {"what-happened", "went-well", "went-badly", "action-items"}
    body = body.replace(
        "_Describe the cause and the sequence of events._",
        "The index was rebuilt with the wrong analyser.\n\n### Root cause\n\nA typo.",
    )
    # The action's line links its follow-up issue (the tool's own edit, sealed as such).
    [followup] = re.findall(r"^- \[ \] #(\d+)$", sections(body)["action-items"], re.M)
    body = body.replace(f"- [ ] #{followup}", f"- [x] #{followup}\n- [ ] Fix the typo (lee)")
    edit(world, retro["number"], body)
    # The template's frame changes: it is re-rendered, and the sections are kept.
    default = Path(__file__).parents[2] / "incident_tool" / "templates" / "retrospective.md.j2"
    (world.root / "templates").mkdir()
    (world.root / "templates" / "retrospective.md.j2").write_text(
        default.read_text().replace("## Roles", "## Roles and people")
    )
    code, output = cli(world, "retro", str(n), "--repo", REPO)
    assert code == 0, output
    assert "kept what people wrote in: what-happened, action-items" in output
    after = world.issue(retro["number"])["body"]
    assert "The index was rebuilt with the wrong analyser." in after
    assert "## Roles and people" in after
    assert "### Root cause" in after and "- [ ] Fix the typo (lee)" in after
    assert f"- [x] #{followup}" in after
    # The untouched sections are the template's, and a second run keeps the edits still.
    assert "<!-- incident-tool:section went-well -->\n-\n" in after
    code, output = cli(world, "retro", str(n), "--repo", REPO)
    assert code == 0 and "is up to date" in output, output
    assert "The index was rebuilt" in world.issue(retro["number"])["body"]


def test_an_untouched_section_takes_the_new_rendering(world):
    n, retro = resolved(world)
    world.say(n, "priya", "/action Write a runbook")
    # Its follow-up is opened at once and linked from the checklist: the tool's own edit.
    [followup] = [i for i in world.gh.issues(REPO) if i["title"].startswith("Follow-up: Write")]
    code, output = cli(world, "retro", str(n), "--repo", REPO)
    assert code == 0 and "kept" not in output, output
    assert f"- [ ] #{followup['number']}" in world.issue(retro["number"])["body"]


def test_edits_outside_the_sections_are_refused_without_force(world):
    n, retro = resolved(world)
    body = retro["body"].replace("## Timeline (UTC)", "## Timeline (UTC)\n\nSee also the log.")
    body = body.replace(
        "\n-\n<!-- incident-tool:end went-well -->",
        "\n- fast\n<!-- incident-tool:end went-well -->",
    )
    edit(world, retro["number"], body)
    code, output = cli(world, "retro", str(n), "--repo", REPO)
    assert code == 1
    assert f"retrospective #{retro['number']} not updated: it was edited outside the" in output
    assert "--force" in output
    assert "See also the log." in world.issue(retro["number"])["body"]
    code, output = cli(world, "retro", str(n), "--repo", REPO, "--force")
    assert code == 0, output
    after = world.issue(retro["number"])["body"]
    assert "See also the log." not in after and "- fast" in after  # sections still kept


def test_a_template_that_drops_an_edited_section_needs_force(world):
    n, retro = resolved(world)
    edit(
        world,
        retro["number"],
        retro["body"].replace(
            "\n-\n<!-- incident-tool:end went-badly", "\n- slow\n<!-- incident-tool:end went-badly"
        ),
    )
    (world.root / "templates").mkdir()
    (world.root / "templates" / "retrospective.md.j2").write_text("Short {{ incident.title }}")
    code, output = cli(world, "retro", str(n), "--repo", REPO)
    assert code == 1 and "people wrote in went-badly, which the template no longer has" in output
    code, output = cli(world, "retro", str(n), "--repo", REPO, "--force")
    assert code == 0 and "replaced people's text in: went-badly" in output


def test_merge_without_a_seal_refuses_unless_identical():
    fresh = seal("a\n<!-- incident-tool:section x -->\nt\n<!-- incident-tool:end x -->\n")
    with pytest.raises(RetroEdited, match="no incident-tool seal"):
        merge("written by hand", fresh)
    assert merge("written by hand", fresh, force=True).body == fresh


def test_a_removed_section_marker_is_an_edit():
    fresh = seal("a\n<!-- incident-tool:section x -->\nt\n<!-- incident-tool:end x -->\n")
    broken = fresh.replace("<!-- incident-tool:end x -->", "")
    with pytest.raises(RetroEdited):
        merge(broken, fresh)
