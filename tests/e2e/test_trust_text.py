"""docs/usage.md#who-may-change-an-incident-by-hand, end to end: sensitive by construction,
/invite that says what it could not do, and user text that cannot load images or hide its
direction wherever the tool shows it."""

from __future__ import annotations

import re

import pytest

from incident_sandbox.demo import REPORT_BODY
from incident_tool.core.safe import BIDI_CONTROLS
from tests.world import REPO

RLO = "\u202e"
TRACKER = "![t](https://tracker.example/track.png)"
BOX = "- [X] This involves security or personal data: handle it privately"


def secret_report(service: str, box: bool) -> str:
    body = REPORT_BODY.replace("Search / catalogue API", service)
    body = body.replace(
        "Search on wellcomecollection.org returns no results for any query.",
        "leaked AWS key AKIA123 in a public gist",
    )
    return body + ("\n### Sensitive\n\n" + BOX + "\n" if box else "")


@pytest.mark.parametrize(
    ("service", "box"),
    [
        ("Security / credentials", False),
        ("Security & credentials", False),  # the option renamed: still the same service
        ("security/credentials", False),
        ("Other", True),  # whatever the option is called: the box says so
    ],
)
def test_a_sensitive_report_never_leaves_the_private_channel(world, service, box):
    n = world.report(title="leaked AWS key", body=secret_report(service, box))
    world.declare(n)
    world.say(n, "dana", "/update rotating the key")
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver()
    assert world.record(n).sensitive
    channel = world.incident_channel(n)
    assert channel["is_private"]
    public = [c for c in world.sl.channels() if c["id"] != channel["id"]]
    texts = [t for c in public for t in world.slack_texts(c["id"])]
    texts += [m.get("text", "") for u in world.team["slack_ids"].values() for m in world.sl.dms(u)]
    assert texts, "the announcements were made"
    assert not [t for t in texts if "AWS" in t or "AKIA" in t or "rotating the key" in t]
    assert any("sensitive incident" in t for t in texts)


def test_a_report_is_not_sensitive_by_accident(world):
    n = world.report(body=secret_report("Other", False))
    world.declare(n)
    assert not world.record(n).sensitive
    assert not world.incident_channel(n)["is_private"]


def test_invite_of_someone_not_on_slack_says_so_and_gets_no_thumbs_up(world):
    world.gh.add_user("nina", name="Nina")
    world.gh.add_collaborator(REPO, "nina", "read")
    n = world.report()
    world.declare(n)
    lead = world.record(n).lead
    asked = world.say(n, lead, "/invite @nina knows the index")
    [reply] = [
        c for c in world.bot_comments(n) if f"incident-tool:invite:{asked['id']}" in c["body"]
    ]
    assert "@nina" in reply["body"] and "Not done" in reply["body"]
    assert "people.nina.slack" in reply["body"]
    assert world.gh.reactions(asked["id"]) == []
    # Someone who is on Slack: everything promised happens, and a 👍.
    ok = world.say(n, lead, "/invite @lee second pair of eyes")
    [reply] = [c for c in world.bot_comments(n) if f"incident-tool:invite:{ok['id']}" in c["body"]]
    assert "Not done" not in reply["body"]
    assert [r["content"] for r in world.gh.reactions(ok["id"])] == ["+1"]
    assert any(
        "asks for your help" in m["text"] for m in world.sl.dms(world.team["slack_ids"]["lee"])
    )


def test_invite_with_slack_off_says_so(world_without_slack):
    world = world_without_slack
    n = world.report()
    world.declare(n)
    asked = world.say(n, "dana", "/invite @lee")
    [reply] = [
        c for c in world.bot_comments(n) if f"incident-tool:invite:{asked['id']}" in c["body"]
    ]
    assert "Slack is off" in reply["body"]
    assert world.gh.reactions(asked["id"]) == []


def test_quoted_text_loads_no_image_and_hides_no_direction(world):
    evil = f"Search{RLO}fdp.exe {TRACKER} <img src=x>"
    n = world.report(title=f"Search down {TRACKER} {RLO}gnp")
    world.declare(n)
    lead = world.record(n).lead
    world.say(n, lead, f"/update {evil}")
    world.say(n, "dana", f"/resolved-when {evil}")
    world.say(n, "priya", f"plain {evil}")  # mirrored: priya is on the team
    world.say(n, "rita", f"/frobnicate {evil}")  # refused, with the text quoted back
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver()
    [retro] = world.retrospectives()
    github = [world.status(n)["body"], retro["body"]]
    github += [c["body"] for c in world.bot_comments(n)]
    # An issue title is plain text on GitHub (no Markdown): only its direction matters.
    assert not any(c in retro["title"] for c in BIDI_CONTROLS) and "gnp" in retro["title"]
    slack = [t for c in world.sl.channels() for t in world.slack_texts(c["id"])]
    summary = (world.root / "summary.md").read_text(encoding="utf-8")
    assert "fdp.exe" in world.status(n)["body"] and "fdp.exe" in "".join(slack)
    for shown in [*github, *slack, summary]:
        assert not any(c in shown for c in BIDI_CONTROLS), shown[:200]
    for shown in [*github, summary]:
        # The record's JSON sits in an HTML comment, which GitHub never renders.
        shown = re.sub(r"<!-- incident-tool:data .* -->", "", shown, flags=re.DOTALL)
        assert "![t](" not in shown.replace("\\![t](", ""), shown[:200]
        assert "<img" not in shown
    assert "track.png" in summary  # shown as text in the job summary, not loaded
