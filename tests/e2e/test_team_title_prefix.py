"""A team's own report form may give titles another prefix than the packaged "[Incident]: ":
the tool reads it from the repository's form and leaves it out where it shows a title (Slack
messages, the status page and its feed), as it does the packaged one (issue #23)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from incident_tool.config import Config
from incident_tool.core.states import State
from incident_tool.effects.team_form import FORM_PATH, title_prefix
from incident_tool.verbs import status_page as sp
from incident_tool.verbs.common import load_config
from tests.e2e.test_statuspage import CONFIG, NOW, Made

TEAM_FORM = 'name: Outage\ndescription: Tell us\ntitle: "[Outage] "\nbody: []\n'


def write_form(root: Path, text: str = TEAM_FORM) -> None:
    form = root / FORM_PATH
    form.parent.mkdir(parents=True, exist_ok=True)
    form.write_text(text, encoding="utf-8")


def test_the_loader_reads_the_teams_prefix_and_falls_back(tmp_path):
    assert title_prefix(tmp_path) == ""  # no form of its own: the packaged prefix only
    assert load_config(None, tmp_path).title_prefix == ""
    write_form(tmp_path)
    assert title_prefix(tmp_path) == "[Outage] "
    assert load_config(None, tmp_path).title_prefix == "[Outage] "
    write_form(tmp_path, "title: [not, a, string]\n")
    assert load_config(None, tmp_path).title_prefix == ""
    (tmp_path / FORM_PATH).write_bytes(b"\xff\xfe not utf-8")
    assert title_prefix(tmp_path) == ""


def slack_everywhere(world) -> list[str]:
    texts = [t for c in world.sl.channels() for t in world.slack_texts(c["id"])]
    return texts + [
        m.get("text", "") for user in world.team["slack_ids"].values() for m in world.sl.dms(user)
    ]


def test_slack_leaves_the_teams_prefix_out(world):
    write_form(world.root)
    n = world.report(title="[Outage] Payments failing")
    world.declare(n)
    world.say(n, "lee", "/mitigated")
    announce = world.team["channels"]["wc-platform"]
    assert any("“Payments failing”" in t for t in world.slack_texts(announce))
    report = world.slack_texts(world.record(n).channel_id)[0]
    assert '"text": "Payments failing"' in report  # the report message's header
    everywhere = slack_everywhere(world)
    assert len(everywhere) > 5
    assert not [t for t in everywhere if "[Outage]" in t]
    assert world.issue(n)["title"] == "[Outage] Payments failing"  # the issue keeps its own


def test_slack_still_leaves_the_packaged_prefix_out_with_a_team_form(world):
    write_form(world.root)
    n = world.report(title="[Incident]: Search down")
    world.declare(n)
    assert not [t for t in slack_everywhere(world) if "[Incident]" in t]


def page(title: str, config: Config) -> dict[str, str]:
    t = NOW - timedelta(hours=1)
    made = Made(
        7,
        title,
        "Search / catalogue API",
        State.DECLARED,
        severity=2,
        events=[(t, "reported", "rita", ""), (t, "declared", "dana", "")],
    )
    shown = sp.public_incident(
        number=made.number,
        title=made.title,
        body=made.body,
        labels=(made.state.label,),
        created_at=made.events[0][0],
        record=made.record(),
        config=config,
    )
    assert shown is not None
    return sp.render([shown], config, repo="wellcome/platform", now=NOW)


def test_the_status_page_and_feed_leave_either_prefix_out():
    from dataclasses import replace

    team = replace(CONFIG, title_prefix="[Outage] ")
    for title, config in [
        ("[Outage] Payments failing", team),
        ("[Incident]: Payments failing", team),
        ("[Incident]: Payments failing", CONFIG),
    ]:
        pages = page(title, config)
        for name in ("index.html", "incidents/7.html", "feed.atom"):
            assert "Payments failing" in pages[name]
            assert "[Outage]" not in pages[name] and "[Incident]" not in pages[name], name
    # Without the team's prefix known, its title is shown as typed (what it was before).
    assert "[Outage] Payments failing" in page("[Outage] Payments failing", CONFIG)["index.html"]
