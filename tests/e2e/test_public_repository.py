"""A sensitive report in a public repository (issue #23, "Public repositories";
docs/security.md#a-public-repository): the run that first sees it replaces the issue's body
with a neutral stub and posts the text in the incident's private channel, never in the record
(a public comment). The repository's visibility is asked only for a sensitive report.

The demo's repository is public (the sandbox's `add_repo` default); rita has triage access.
"""

from __future__ import annotations

from incident_sandbox.demo import REPORT_BODY
from incident_tool.core import wording
from tests.world import REPO

SECRET = "the key AKIA<SECRET>&co leaked in <https://evil.example|a paste>"
TICKED = (
    REPORT_BODY
    + f"\n### Details\n\n{SECRET}\n"
    + "\n### Sensitive\n\n- [x] This involves security or personal data: handle it privately\n"
)


def github_requests(world, since: int) -> list:
    return [r for r in world.sb.requests[since:] if r.service == "github"]


def visibility_reads(made: list) -> int:
    return sum(1 for r in made if r.method == "GET" and r.path == f"/repos/{REPO}")


def body_edits(made: list, number: int) -> int:
    return sum(
        1
        for r in made
        if r.method == "PATCH"
        and r.path == f"/repos/{REPO}/issues/{number}"
        and "body" in (r.body or {})
    )


def test_a_sensitive_report_in_a_public_repository_moves_its_text_to_the_private_channel(world):
    before = len(world.sb.requests)
    n = world.report("Leaked keys", body=TICKED, by="rita")
    made = github_requests(world, before)

    body = world.issue(n)["body"]
    assert body.startswith(wording.BODY_MOVED)
    # The form's choices stay (later runs read the service from them), none of its text.
    assert "### Affected service\n\nSearch / catalogue API" in body
    assert "- [x] This involves security or personal data" in body
    assert "AKIA" not in body and "### Summary" not in body
    assert visibility_reads(made) == 1
    assert body_edits(made, n) == 1
    channel = world.incident_channel(n)
    assert channel["is_private"]
    texts = "\n".join(m["text"] for m in world.sl.messages(channel["id"]))
    # As user text: escaped, so its `<…|…>` is no link and `&` no entity, and its address
    # defanged, so Slack links it no more than the rest (core/safe.slack).
    assert "AKIA&lt;SECRET&gt;&amp;co leaked in &lt;https[://]evil[.]example|a paste&gt;" in texts
    # The title too: the issue's is now neutral, the report's is in the private channel.
    assert world.issue(n)["title"] == wording.TITLE_HIDDEN
    assert "*Leaked keys*" in texts
    members = world.sl.members(channel["id"])
    assert world.team["slack_ids"]["dana"] in members  # the delivery manager
    assert world.team["slack_ids"]["rita"] in members  # the reporter
    # The record is a public comment: it says the text moved, and holds none of it.
    status = world.status(n)["body"]
    assert "AKIA" not in status and "evil.example" not in status
    assert "moved to the private channel" in status
    assert all("AKIA" not in c["body"] for c in world.gh.comments(REPO, n))

    # Decided once: the next run asks nothing more and leaves the stub.
    again = len(world.sb.requests)
    world.declare(n)
    made = github_requests(world, again)
    assert visibility_reads(made) == 0 and body_edits(made, n) == 0
    assert world.issue(n)["body"].startswith(wording.BODY_MOVED)
    assert world.incident_channel(n)["id"] == channel["id"]  # the same private channel


def test_the_same_report_in_a_private_repository_keeps_its_body(world):
    world.gh.repo(REPO).private = True
    before = len(world.sb.requests)
    n = world.report("Leaked keys", body=TICKED, by="rita")
    made = github_requests(world, before)

    assert world.issue(n)["body"] == TICKED
    assert body_edits(made, n) == 0
    assert visibility_reads(made) == 1  # asked once, for this sensitive report
    assert not [c for c in world.sl.channels() if c["name"].startswith("incident-")]
    again = len(world.sb.requests)
    world.say(n, "dana", "Looking at it")
    assert visibility_reads(github_requests(world, again)) == 0


def test_an_ordinary_report_in_a_public_repository_asks_nothing_more(world):
    before = len(world.sb.requests)
    n = world.report("Search returns nothing", by="rita")
    world.declare(n)
    made = github_requests(world, before)

    assert world.issue(n)["body"] == REPORT_BODY
    assert visibility_reads(made) == 0
    assert body_edits(made, n) == 0


def test_without_slack_the_stub_says_to_ask_the_reporter(world_without_slack):
    world = world_without_slack
    n = world.report("Leaked keys", body=TICKED, by="rita")

    assert world.issue(n)["body"].startswith(wording.BODY_REMOVED)
    status = world.status(n)["body"]
    assert "AKIA" not in status and "removed from the issue" in status


def test_labelled_sensitive_after_its_channel_opened_the_text_stays_out_of_slack(world):
    n = world.report("Search returns nothing", body=TICKED.replace("[x]", "[ ]"), by="rita")
    world.declare(n)
    channel = world.incident_channel(n)
    assert not channel["is_private"]
    world.gh.add_label(REPO, n, "dana", "sensitive")
    world.deliver()

    # The open channel is public (Slack cannot make it private): the text goes nowhere.
    assert world.issue(n)["body"].startswith(wording.BODY_REMOVED)
    assert all("AKIA" not in text for text in world.slack_texts(channel["id"]))


def test_slack_down_the_text_is_not_kept_and_the_channel_is_told_where_it_is(world):
    world.sb.faults.add("slack", status=503, times=None)
    n = world.report("Leaked keys", body=TICKED, by="rita")
    assert world.issue(n)["body"].startswith(wording.BODY_MOVED)
    # Waiting in the record's outbox is the item, not the text.
    assert "AKIA" not in world.status(n)["body"]
    world.sb.faults.clear()
    world.declare(n)

    texts = "\n".join(m["text"] for m in world.sl.messages(world.incident_channel(n)["id"]))
    assert "AKIA" not in texts
    assert "edit history" in texts


def test_a_hidden_reports_title_put_back_is_hidden_again_its_form_prefix_kept(world):
    n = world.report("[Incident]: Keys leaked at https://evil.example", body=TICKED, by="rita")
    assert world.issue(n)["title"] == "[Incident]: " + wording.TITLE_HIDDEN
    world.gh.edit_issue(REPO, n, "rita", title="[Incident]: Keys leaked, again")
    world.say(n, "dana", "/status")  # a run of the team's
    assert world.issue(n)["title"] == "[Incident]: " + wording.TITLE_HIDDEN
    assert world.issue(n)["body"].startswith(wording.BODY_MOVED)


def test_text_added_under_the_stub_is_hidden_again(world):
    """Review: a body that only started with the stub counted as hidden, so what its author
    wrote under it stayed public."""
    n = world.report("Leaked keys", body=TICKED, by="rita")
    stub = world.issue(n)["body"]
    world.gh.edit_issue(REPO, n, "rita", body=stub + "\n\nThe password is hunter2")
    world.say(n, "dana", "/status")  # a run of the team's
    body = world.issue(n)["body"]
    assert "hunter2" not in body and body.startswith(wording.BODY_MOVED)
