"""The report form's "[Incident]: " title prefix is left out where the tool shows an incident's
title (Slack, the retrospective), and the issue keeps its own title (issue #22 item 11)."""

from __future__ import annotations

from pathlib import Path

from incident_tool.core.announce import without_form_prefix
from incident_tool.effects.retrospective import title_for
from incident_tool.effects.team_form import FORM_PATH
from incident_tool.effects.team_form import title_prefix as team_title_prefix
from incident_tool.inbound.forms import form_title_prefix, packaged_title_prefix
from tests import fakes
from tests.world import REPO

FORM_TITLE = "[Incident]: Search returns no results"


def test_the_prefix_is_the_forms_title_default() -> None:
    assert packaged_title_prefix() == "[Incident]: "
    init_form = Path(__file__).parents[2] / "incident_tool/templates/team-report-form.yml"
    assert form_title_prefix(init_form.read_text(encoding="utf-8")) == packaged_title_prefix()
    assert form_title_prefix("title: [not, a, string]\nbody: []\n") == ""
    assert form_title_prefix("title: 'unclosed\n") == ""


def test_without_form_prefix() -> None:
    assert without_form_prefix(FORM_TITLE) == "Search returns no results"
    assert without_form_prefix("[incident]:   Search down ") == "Search down"
    assert without_form_prefix("Search down") == "Search down"
    assert without_form_prefix("[Incident]: ") == "[Incident]: "  # nothing else to show
    assert without_form_prefix("[Outage] DNS", "[Outage] ") == "DNS"
    assert without_form_prefix("[Incident]: DNS", "[Outage] ") == "DNS"
    assert without_form_prefix("About [Incident]: DNS") == "About [Incident]: DNS"


def test_slack_and_the_retrospective_leave_the_prefix_out(world) -> None:
    n = world.report(title=FORM_TITLE)
    world.declare(n)
    world.say(n, "lee", "/mitigated")
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver()
    announce = world.team["channels"]["wc-platform"]
    announced = world.slack_texts(announce)
    assert any("“Search returns no results”" in t for t in announced), announced
    texts = [t for c in world.sl.channels() for t in world.slack_texts(c["id"])]
    dms = [
        m.get("text", "") for user in world.team["slack_ids"].values() for m in world.sl.dms(user)
    ]
    assert len(texts) > 5 and any("Search returns no results" in t for t in dms)
    assert not [t for t in texts + dms if "[Incident]" in t]
    [retro] = world.retrospectives()
    assert retro["title"] == f"Retrospective: Search returns no results (#{n})"
    assert f"# Retrospective: Search returns no results (#{n})" in retro["body"]
    assert world.issue(n)["title"] == FORM_TITLE  # the issue's own title is untouched


def test_the_retrospective_leaves_the_teams_own_prefix_out(tmp_path: Path) -> None:
    assert team_title_prefix(tmp_path) == ""  # no form: the packaged prefix only
    form = tmp_path / FORM_PATH
    form.parent.mkdir(parents=True)
    form.write_text('name: Outage\ntitle: "[Outage] "\nbody: []\n', encoding="utf-8")
    prefix = team_title_prefix(tmp_path)
    assert prefix == "[Outage] "
    issue = fakes.issue(title="[Outage] Payments failing")
    assert title_for(issue, None, prefix) == "Retrospective: Payments failing (#7)"
    assert title_for(issue) == "Retrospective: [Outage] Payments failing (#7)"
