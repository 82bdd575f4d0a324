"""The status page end to end: `/public`, `handle`'s `status-page` output for the
workflow, and `incident-tool status-page` against the sandbox (requests counted)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from incident_tool.inbound.commands import help_text
from tests.world import REPO, cli


def outputs(world) -> list[str]:
    path = Path(world.driver.env["GITHUB_OUTPUT"])
    return path.read_text().splitlines() if path.exists() else []


def with_output(world, enabled: bool = True) -> None:
    world.driver.env["GITHUB_OUTPUT"] = str(world.root / "github_output")
    world.write_config(status_page={"enabled": enabled})


def last(world) -> str:
    return outputs(world)[-1]


def test_public_update_goes_to_the_timeline_and_the_channel(world):
    n = world.report()
    world.declare(n)
    comment = world.say(n, "dana", "/public We are looking into slow searches.")
    record = world.record(n)
    [entry] = [e for e in record.timeline if e.kind == "public"]
    assert (entry.actor, entry.text) == ("dana", "We are looking into slow searches.")
    assert [r["content"] for r in world.gh.reactions(comment["id"])] == ["+1"]
    channel = world.incident_channel(n)
    assert any(
        "Public update" in t and "looking into slow searches" in t
        for t in world.slack_texts(channel["id"])
    )
    assert "Public update" in world.status(n)["body"]


def test_public_is_for_the_lead_or_a_delivery_manager(world):
    n = world.report()
    world.declare(n)
    lead = world.record(n).lead
    helper = next(x for x in world.team["logins"]["responders"] if x != lead)
    world.say(n, helper, "/join")
    world.say(n, helper, "/public Not mine to say")
    assert not [e for e in world.record(n).timeline if e.kind == "public"]
    replies = [c["body"] for c in world.bot_comments(n)]
    assert any("Only the incident lead" in b and "/public" in b for b in replies)
    world.say(n, lead, "/public The lead may")
    assert [e.text for e in world.record(n).timeline if e.kind == "public"] == ["The lead may"]


def test_public_needs_a_declared_incident_and_text(world):
    n = world.report()
    world.say(n, "dana", "/public Too early")
    world.say(n, "dana", "/public")
    assert not [e for e in world.record(n).timeline if e.kind == "public"]
    replies = " ".join(c["body"] for c in world.bot_comments(n))
    assert "needs a declared incident" in replies and "`/public` needs text" in replies


def test_public_on_a_sensitive_incident_is_refused(world):
    n = world.report(labels=("incident:reported", "sensitive"))
    world.declare(n)
    world.say(n, "dana", "/public Anything")
    assert not [e for e in world.record(n).timeline if e.kind == "public"]
    assert any("never appears on the status page" in c["body"] for c in world.bot_comments(n))


def test_help_lists_public():
    assert "`/public <text>`" in help_text()


def test_handle_says_when_the_page_changed(world):
    with_output(world)
    n = world.report()
    assert last(world) == "status-page=unchanged"  # a report is not shown
    world.declare(n)
    assert last(world) == "status-page=changed"
    steps = [
        ("just a comment", "unchanged"),
        ("/update digging into the index", "unchanged"),
        ("/join", "unchanged"),
        ("/public We are on it.", "changed"),
        ("/severity 1", "changed"),
        ("/severity 1", "unchanged"),  # the same severity again
        ("/mitigated", "changed"),
        ("/status", "unchanged"),
    ]
    for body, expected in steps:
        before = len(outputs(world))
        world.say(n, "dana", body)
        # Each run appends its line, as Actions expects of $GITHUB_OUTPUT.
        assert outputs(world)[before:] == [f"status-page={expected}"], body
    before = len(outputs(world))
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver()
    assert "status-page=changed" in outputs(world)[before:]


def test_a_dismissed_report_never_changes_the_page(world):
    with_output(world)
    n = world.report()
    world.say(n, "dana", "/dismiss duplicate of another report")
    assert len(outputs(world)) >= 2
    assert set(outputs(world)) == {"status-page=unchanged"}


def test_a_sensitive_incident_never_changes_the_page(world):
    with_output(world)
    n = world.report(labels=("incident:reported", "sensitive"))
    world.declare(n)
    world.say(n, "dana", "/severity 1")
    assert set(outputs(world)) == {"status-page=unchanged"}


def test_no_output_without_status_page_enabled(world):
    with_output(world, enabled=False)
    n = world.report()
    world.declare(n)
    world.say(n, "dana", "/public On it")
    assert outputs(world) == []


def test_status_page_from_the_sandbox_with_bounded_requests(world, tmp_path):
    # An incident resolved 120 days ago: outside the 90 days, not even listed.
    world.clock.now -= timedelta(days=120)
    old = world.report("HIDDEN-old incident")
    world.declare(old)
    world.gh.close_issue(REPO, old, "dana", reason="completed")
    world.deliver()
    world.clock.now += timedelta(days=120)
    assert world.record(old).state.value == "resolved"
    shown = world.report("Search is down")
    world.declare(shown)
    world.say(shown, "dana", "/public Search is unavailable; we are working on it.")
    world.say(shown, "sam", "/update PRIVATE-update rebuilding the index")
    world.say(shown, "rita", "PRIVATE-comment from the reporter")
    resolved = world.report("Events page slow")
    world.declare(resolved)
    world.gh.close_issue(REPO, resolved, "dana", reason="completed")
    world.deliver()
    hidden = world.report("HIDDEN-sensitive", labels=("incident:reported", "sensitive"))
    world.declare(hidden)
    dismissed = world.report("HIDDEN-dismissed")
    world.say(dismissed, "dana", "/dismiss not an incident")
    world.report("HIDDEN-waiting")

    def build(out: Path) -> tuple[str, int]:
        before = len(world.sb.requests)
        code, output = cli(world, "status-page", "--repo", REPO, "--out", str(out))
        assert code == 0, output
        requests = [r for r in world.sb.requests[before:] if r.service == "github"]
        assert all(r.method == "GET" for r in requests)
        return output, len(requests)

    output, requests = build(tmp_path / "site")
    site = tmp_path / "site"
    index = (site / "index.html").read_text()
    assert "Search is down" in index and "Search is unavailable" in index
    assert (site / f"incidents/{shown}.html").exists()
    assert (site / f"incidents/{resolved}.html").exists()
    assert sorted(p.name for p in (site / "incidents").iterdir()) == sorted(
        [f"{shown}.html", f"{resolved}.html"]
    )
    # Three lists (declared, mitigated, resolved) and one comment page per shown
    # incident; the sensitive one is skipped from its list, unread.
    assert requests == 3 + 2, output
    assert "2 incident(s) shown" in output

    text = "".join(p.read_text() for p in site.rglob("*") if p.is_file())
    channel = world.incident_channel(shown)["name"]
    for secret in ("HIDDEN", "PRIVATE", "dana", "rita", "priya", channel, "No results"):
        assert secret not in text, secret
    body_lines = [x for x in world.issue(shown)["body"].splitlines() if x and "#" not in x]
    assert body_lines and not [x for x in body_lines if x in text and "Search /" not in x]

    # Many more issues that are not on the page cost nothing.
    for i in range(15):
        n = world.report(f"HIDDEN-report {i}")
        world.say(n, "dana", "/dismiss noise")
    _, again = build(tmp_path / "again")
    assert again == requests


def test_status_page_needs_a_repository_and_an_out_folder(world, tmp_path):
    code, output = cli(world, "status-page", "--repo", "nope", "--out", str(tmp_path))
    assert code == 2 and "OWNER/NAME" in output
    code, output = cli(world, "status-page", "--repo", REPO)
    assert code == 2 and "--out" in output
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, output = cli(world, "status-page", "--repo", REPO, "--out", str(blocker / "x"))
    assert code == 1 and "cannot write the status page" in output
    assert "Traceback" not in output


def test_sweep_says_when_it_changed_the_page(world):
    with_output(world)
    n = world.report()
    world.declare(n)
    world.say(n, "dana", "/public Seen by a sweep only", deliver=False)
    world.gh.take_events()  # that run never happened
    before = len(outputs(world))
    code, output = cli(world, "sweep", "--repo", REPO)
    assert code == 0, output
    assert outputs(world)[before:] == ["status-page=changed"]
    assert [e.text for e in world.record(n).timeline if e.kind == "public"] == [
        "Seen by a sweep only"
    ]
    code, output = cli(world, "sweep", "--repo", REPO)
    assert outputs(world)[-1] == "status-page=unchanged"


def test_an_issue_with_a_long_past_still_shows(world, tmp_path):
    # 100 comments before it became an incident: its record is on the second page.
    issue = world.gh.open_issue(REPO, "rita", "Old issue, now an incident", "### Summary\n\nx")
    for i in range(100):
        world.gh.comment(REPO, issue["number"], "rita", f"PRIVATE chatter {i}")
    world.gh.take_events()
    world.declare(issue["number"])
    before = len(world.sb.requests)
    code, output = cli(world, "status-page", "--repo", REPO, "--out", str(tmp_path / "site"))
    assert code == 0, output
    assert "Old issue, now an incident" in (tmp_path / "site" / "index.html").read_text()
    comment_pages = [
        r for r in world.sb.requests[before:] if r.service == "github" and "/comments" in r.path
    ]
    assert len(comment_pages) == 2
