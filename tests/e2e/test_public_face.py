"""What the public sees of an incident is what the team declared (issue #23, items 1 and 5;
SPEC §19): the title and component are fixed at declaration and changed only by the team
(`/retitle`, the `sensitive` label); an author's later edits show on the issue only.

olly has no triage access: he reports, dana declares, then olly edits his issue.
"""

from __future__ import annotations

from pathlib import Path

from incident_sandbox.demo import REPORT_BODY
from tests.world import REPO, cli

HOSTILE = "URGENT: all customers must reset passwords at https://evil.example"


def announced(world) -> list[str]:
    return world.slack_texts(world.team["channels"]["wc-platform"])


def build_page(world, out: Path) -> str:
    code, output = cli(world, "status-page", "--repo", REPO, "--out", str(out))
    assert code == 0, output
    return (out / "index.html").read_text() + (out / "feed.atom").read_text()


def outputs(world) -> list[str]:
    path = Path(world.driver.env["GITHUB_OUTPUT"])
    return path.read_text().splitlines() if path.exists() else []


def with_page(world) -> None:
    world.driver.env["GITHUB_OUTPUT"] = str(world.root / "github_output")
    world.write_config(status_page={"enabled": True})


def declared_by_olly(world) -> int:
    n = world.report("Search returns nothing", by="olly")
    world.declare(n)
    assert world.record(n).public_title == "Search returns nothing"
    return n


def test_an_authors_new_title_stays_on_the_issue(world, tmp_path):
    with_page(world)
    n = declared_by_olly(world)
    world.gh.edit_issue(REPO, n, "olly", title=HOSTILE)
    world.say(n, "dana", "/public We are looking into it.")
    lead = world.record(n).lead
    world.say(n, lead, "/handover @priya" if lead != "priya" else "/handover @sam")
    world.say(n, "dana", "/resolve")
    page = build_page(world, tmp_path / "site")
    assert "Search returns nothing" in page
    assert "evil.example" not in page and "URGENT" not in page
    texts = " ".join(announced(world))
    assert "Search returns nothing" in texts
    assert "evil.example" not in texts and "URGENT" not in texts
    [retro] = world.retrospectives()
    assert retro["title"] == f"Retrospective: Search returns nothing (#{n})"
    assert world.issue(n)["title"] == HOSTILE  # the issue itself is the author's


def component_shown(world, out: Path, n: int) -> str:
    build_page(world, out)
    page = (out / "incidents" / f"{n}.html").read_text()
    return page.split("<dt>Component</dt><dd>", 1)[1].split("</dd>", 1)[0]


def test_an_authors_body_edit_does_not_move_the_component(world, tmp_path):
    n = declared_by_olly(world)
    assert component_shown(world, tmp_path / "before", n) == "Search / catalogue API"
    assert world.record(n).component == "Search / catalogue API"
    edited = REPORT_BODY.replace("Search / catalogue API", "Something else entirely")
    world.gh.edit_issue(REPO, n, "olly", body=edited)
    world.say(n, "dana", "/update still digging")
    assert world.record(n).component == "Search / catalogue API"
    assert component_shown(world, tmp_path / "after", n) == "Search / catalogue API"


def test_ticking_private_after_declaration_leaves_the_page_to_the_team(world, tmp_path):
    n = declared_by_olly(world)
    ticked = REPORT_BODY + (
        "\n### Sensitive\n\n- [x] This involves security or personal data: handle it privately\n"
    )
    world.gh.edit_issue(REPO, n, "olly", body=ticked)
    world.say(n, "dana", "/update still digging")
    assert not world.record(n).sensitive
    assert "Search returns nothing" in build_page(world, tmp_path / "ticked")
    world.gh.edit_issue(REPO, n, "olly", body=REPORT_BODY)
    world.say(n, "dana", "/update and more")
    assert "Search returns nothing" in build_page(world, tmp_path / "unticked")
    # The team's label does take it off.
    world.gh.add_label(REPO, n, "dana", "sensitive")
    world.deliver()
    assert world.record(n).sensitive
    assert "Search returns nothing" not in build_page(world, tmp_path / "labelled")


def test_ticking_private_before_declaration_still_makes_it_sensitive(world):
    ticked = REPORT_BODY + (
        "\n### Sensitive\n\n- [x] This involves security or personal data: handle it privately\n"
    )
    n = world.report("Leaked keys", by="olly")
    world.gh.edit_issue(REPO, n, "olly", body=ticked)
    world.declare(n)
    assert world.record(n).sensitive


def test_labelling_sensitive_after_publication_changes_the_page_at_once(world, tmp_path):
    with_page(world)
    n = world.report("Search returns nothing")
    world.declare(n)
    world.say(n, "dana", "/public Searches fail; we are on it.")
    assert "Search returns nothing" in build_page(world, tmp_path / "before")
    before = len(outputs(world))
    world.gh.add_label(REPO, n, "dana", "sensitive")
    world.deliver()
    assert outputs(world)[before:] == ["status-page=changed"]
    page = build_page(world, tmp_path / "after")
    assert "Search returns nothing" not in page and "Searches fail" not in page
    # Once off the page, later runs leave it off and say so.
    before = len(outputs(world))
    world.say(n, "dana", "/severity 1")
    assert outputs(world)[before:] == ["status-page=unchanged"]


def test_retitle_changes_what_the_public_sees_and_is_announced(world, tmp_path):
    with_page(world)
    n = declared_by_olly(world)
    world.gh.edit_issue(REPO, n, "olly", title=HOSTILE)
    before = len(outputs(world))
    comment = world.say(n, "dana", "/retitle Search is unavailable\n  for some users")
    assert outputs(world)[before:] == ["status-page=changed"]
    record = world.record(n)
    assert record.public_title == "Search is unavailable for some users"
    [entry] = [e for e in record.timeline if e.kind == "retitle"]
    assert (entry.actor, entry.text) == ("dana", "Search is unavailable for some users")
    assert [r["content"] for r in world.gh.reactions(comment["id"])] == ["+1"]
    assert "Public title" in world.status(n)["body"]
    assert any("now called “Search is unavailable for some users”" in t for t in announced(world))
    channel = world.incident_channel(n)["id"]
    assert any("set the public title" in t for t in world.slack_texts(channel))
    page = build_page(world, tmp_path / "site")
    assert "Search is unavailable for some users" in page and "Search returns nothing" not in page
    assert world.issue(n)["title"] == HOSTILE  # the issue's own title is not the tool's
    world.say(n, "dana", "/resolve")
    [retro] = world.retrospectives()
    assert retro["title"] == f"Retrospective: Search is unavailable for some users (#{n})"


def test_retitle_is_for_the_lead_or_a_delivery_manager_of_a_declared_incident(world):
    n = world.report("Search returns nothing")
    world.say(n, "dana", "/retitle Too early")
    world.declare(n)
    world.say(n, "olly", "/retitle Mine now")
    lead = world.record(n).lead
    helper = next(x for x in world.team["logins"]["responders"] if x != lead)
    world.say(n, helper, "/join")
    world.say(n, helper, "/retitle Not mine to say")
    world.say(n, "dana", "/retitle")
    record = world.record(n)
    assert record.public_title == "Search returns nothing"
    assert not [e for e in record.timeline if e.kind == "retitle"]
    replies = " ".join(c["body"] for c in world.bot_comments(n))
    assert "`/retitle` needs a declared incident" in replies
    assert "Only the incident lead" in replies and "`/retitle` needs the new title" in replies
    world.say(n, lead, "/retitle The lead may")
    assert world.record(n).public_title == "The lead may"


def test_a_sensitive_incidents_new_title_is_not_announced(world):
    n = world.report("Leaked keys", labels=("incident:reported", "sensitive"))
    world.declare(n)
    world.say(n, "dana", "/retitle Keys rotated")
    assert world.record(n).public_title == "Keys rotated"
    assert not any("Keys rotated" in t for t in announced(world))
    assert not any("Leaked keys" in t for t in announced(world))


def test_records_from_before_keep_working():
    from incident_tool.config import Config
    from incident_tool.core.public import public_incident
    from incident_tool.core.record import Record, utcnow

    record = Record.from_json('{"state": "declared", "v": 1}')
    assert (record.public_title, record.component) == (None, None)
    assert "public_title" not in record.to_json() and "component" not in record.to_json()
    record.note(utcnow(), "declared", "dana")
    shown = public_incident(
        number=4,
        title="As the issue says",
        body=REPORT_BODY,
        labels=["incident:declared"],
        created_at=utcnow(),
        record=record,
        config=Config(),
    )
    assert shown is not None
    assert (shown.title, shown.component) == ("As the issue says", "Search / catalogue API")
    record.public_title, record.component = "As declared", "Search / catalogue API"
    assert Record.from_json(record.to_json()).public_title == "As declared"
