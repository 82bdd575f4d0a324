"""`/lock`, `/unlock` and `/hide` on a declared incident, and the lock that ends an
outsider's close-and-reopen loop (issue #23): what the team sees on the issue, what the
tool's runs still say on a locked one, and what 10 more closes and reopens of the locked
incident cost (jobs counted with the workflow's own `if`: tests/workflow_if.py).
"""

from __future__ import annotations

import pytest

from incident_sandbox import SandboxGitHubError
from incident_sandbox.demo import REPORT_BODY
from tests.workflow_if import starts_job
from tests.world import REPO, cli

ROUNDS = 10  # the outsider's closes and reopens once the incident is locked


def bot_says(world, number: int, key: str) -> list[str]:
    return [c["body"] for c in world.bot_comments(number) if f"incident-tool:{key}" in c["body"]]


def reply_to(world, number: int, comment: dict) -> str:
    [body] = bot_says(world, number, f"reply:{comment['id']}")
    return body


def thumbs_up(world, comment: dict) -> bool:
    return any(r["content"] == "+1" for r in world.gh.reactions(comment["id"]))


def github_writes(world, since: int) -> list[str]:
    return [
        f"{r.method} {r.path.rsplit('/', 1)[-1]}"
        for r in world.sb.requests[since:]
        if r.service == "github" and r.method != "GET"
    ]


def test_lock_and_unlock(world) -> None:
    n = world.report()
    world.declare(n)
    rude = world.say(n, "dana", "/lock rude")
    assert "`/lock` takes no reason or one of" in reply_to(world, n, rude)
    assert world.issue(n)["locked"] is False

    lock = world.say(n, "dana", "/lock too heated")
    issue = world.issue(n)
    assert (issue["locked"], issue["active_lock_reason"]) == (True, "too heated")
    [said] = bot_says(world, n, f"lock:{lock['id']}")
    assert "locked this conversation to collaborators (too heated)" in said and "`/unlock`" in said
    assert thumbs_up(world, lock)
    assert world.record(n).last("lock").actor == "dana"
    with pytest.raises(SandboxGitHubError, match="locked"):
        world.gh.comment(REPO, n, "olly", "let me in")

    # The tool still answers on the locked issue: it opens the conversation for its reply
    # and locks it again as it was (GitHub refuses the workflow token's comments there).
    before = len(world.sb.requests)
    typo = world.say(n, "priya", "/frobnicate")
    assert "Unknown command" in reply_to(world, n, typo)
    writes = github_writes(world, before)
    assert writes[0] == "DELETE lock" and "PUT lock" in writes, writes
    assert writes.index("PUT lock") > writes.index("POST comments"), writes
    issue = world.issue(n)
    assert (issue["locked"], issue["active_lock_reason"]) == (True, "too heated")
    again = world.say(n, "dana", "/lock")
    assert "already locked" in reply_to(world, n, again)
    assert world.issue(n)["locked"] is True

    unlock = world.say(n, "dana", "/unlock")
    assert world.issue(n)["locked"] is False
    [said] = bot_says(world, n, f"unlock:{unlock['id']}")
    assert "opened this conversation again" in said and thumbs_up(world, unlock)
    assert world.record(n).last("unlock").actor == "dana"
    world.gh.comment(REPO, n, "olly", "thanks")  # anyone may comment again
    twice = world.say(n, "dana", "/unlock")
    assert "not locked" in reply_to(world, n, twice)


def test_a_lock_is_for_the_lead_or_a_delivery_manager(world) -> None:
    n = world.report()
    world.declare(n)
    helper = next(x for x in ("lee", "priya") if x != world.record(n).lead)
    tried = world.say(n, helper, "/lock spam")
    assert "may use `/lock`" in reply_to(world, n, tried)
    assert world.issue(n)["locked"] is False


def test_hide(world) -> None:
    n = world.report()
    world.declare(n)
    other = world.report(title="Login is slow")
    spam = world.gh.comment(REPO, n, "olly", "cheap watches at example.com")
    elsewhere = world.gh.comment(REPO, other, "olly", "cheap watches")
    team = world.say(n, "priya", "looking at the index")
    status = next(c for c in world.bot_comments(n) if "incident-tool:status" in c["body"])

    hide = world.say(n, "dana", f"/hide {spam['html_url']} spam")
    assert world.gh.comment_by_id(spam["id"])["minimized"] == {"reason": "spam"}
    assert thumbs_up(world, hide)
    entry = world.record(n).last("hide")
    assert (entry.actor, entry.text) == ("dana", "a comment by olly (spam)")
    assert entry.ref == f"#issuecomment-{spam['id']}"

    refusals = {
        f"/hide {team['id']}": "who is on the team",
        f"/hide #issuecomment-{status['id']}": "the tool's own comment",
        f"/hide {elsewhere['html_url']}": "not one of this issue's",
        f"/hide {elsewhere['id']}": "not one of this issue's",
        f"/hide {spam['id']} rude": "not `rude`",
        "/hide the spam above": "needs a comment of this issue",
        "/hide": "needs a comment of this issue",
    }
    for command, answer in refusals.items():
        said = reply_to(world, n, world.say(n, "dana", command))
        assert answer in said, (command, said)
    for comment in (team, status, elsewhere):
        assert "minimized" not in world.gh.comment_by_id(comment["id"])
    # The default reason is the mildest.
    noise = world.gh.comment(REPO, n, "olly", "+1")
    world.say(n, "dana", f"/hide {noise['id']}")
    assert world.gh.comment_by_id(noise["id"])["minimized"] == {"reason": "off-topic"}


def deliver_as_the_workflow(world) -> tuple[int, int, int]:
    """Deliver the queued webhooks that start a job under incident.yml's `if`: (events,
    jobs, GitHub requests those jobs made)."""
    events = world.gh.take_events()
    jobs = [(name, payload) for name, payload in events if starts_job(name, payload)]
    before = len(world.sb.requests)
    for code, output in world.driver.deliver(jobs):
        assert code == 0, output
    requests = sum(1 for r in world.sb.requests[before:] if r.service == "github")
    return len(events), len(jobs), requests


def test_an_outsiders_close_loop_ends_in_a_lock_that_costs_nothing(world) -> None:
    """olly closes his own declared report: undone once; again: left to the team, with one
    notice, and the conversation locked; then 10 more closes and reopens start no job."""
    gh = world.gh
    own = gh.open_issue(REPO, "olly", "Checkout is down", REPORT_BODY, ["incident:reported"])
    n = own["number"]
    world.deliver()
    world.declare(n)
    gh.close_issue(REPO, n, "olly")
    assert deliver_as_the_workflow(world)[1] == 1
    assert world.issue(n)["state"] == "open" and not world.issue(n)["locked"]  # undone
    gh.close_issue(REPO, n, "olly")
    assert deliver_as_the_workflow(world)[1] == 1
    issue = world.issue(n)
    assert issue["state"] == "closed" and issue["locked"] and issue["active_lock_reason"] is None
    [notice] = bot_says(world, n, "left-to-team:olly")
    assert "leaves it to the team" in notice and "locked to collaborators" in notice
    assert "`/unlock`" in notice

    comments = len(gh.comments(REPO, n))
    events = jobs = requests = 0
    for _ in range(ROUNDS):
        gh.reopen_issue(REPO, n, "olly")
        gh.close_issue(REPO, n, "olly")
        made = deliver_as_the_workflow(world)
        events, jobs, requests = events + made[0], jobs + made[1], requests + made[2]
    print(
        f"locked: {ROUNDS} reopens and closes by olly: {events} deliveries, {jobs} jobs, "
        f"{requests} GitHub requests"
    )
    assert (events, jobs, requests) == (2 * ROUNDS, 0, 0)
    assert len(gh.comments(REPO, n)) == comments
    # The same deliveries unlocked would each start a job: the `if` is what saves them.
    gh.reopen_issue(REPO, n, "olly")
    [(name, payload)] = gh.take_events()
    assert not starts_job(name, payload)
    payload["issue"]["locked"] = False
    assert starts_job(name, payload)

    # The sweep sees the issue as he left it and says nothing more; the team takes over.
    gh.close_issue(REPO, n, "olly")
    gh.take_events()
    assert cli(world, "sweep", "--repo", REPO)[0] == 0
    assert bot_says(world, n, "left-to-team:olly") == [notice]
    assert world.record(n).state.value == "declared"
    gh.reopen_issue(REPO, n, "dana")
    assert deliver_as_the_workflow(world)[1] == 1  # a delivery manager's reopen runs
    assert world.record(n).state.value == "declared" and world.issue(n)["state"] == "open"
    world.say(n, "dana", "/unlock")
    assert world.issue(n)["locked"] is False


def test_a_locked_discussion_declared_an_incident_gets_its_status_comment(world):
    """The first status comment on a locked issue: GitHub refuses the token's new comments
    there, so the run opens the conversation for it and locks it again as it was."""
    issue = world.gh.open_issue(REPO, "rita", "Search is slow for everyone", "It is slow.")
    n = issue["number"]
    world.gh.lock_issue(REPO, n, "dana", "too heated")
    world.gh.take_events()
    world.gh.add_label(REPO, n, "dana", "incident:declared")
    world.deliver()
    assert world.status(n)["body"]
    assert world.record(n).state.value == "declared"
    after = world.issue(n)
    assert after["locked"] and after["active_lock_reason"] == "too heated"
