"""GitHub's real answers (docs/architecture.md#where-things-are-tested): unassignable users, custom
roles, rate limits, identity.

Each test runs the tool against the sandbox after the sandbox was made to answer as
api.github.com does (sources cited in incident_sandbox/).
"""

from __future__ import annotations

import re
import time

from github import Auth, Github

from incident_tool.effects.github import (
    Gateway,
    GitHubError,
    client,
    rate_limit,
    role_from_permission,
)

REPO = "wellcome/platform"


def requests_to(world, method: str, pattern: str) -> list:
    return [r for r in world.sb.requests if r.method == method and pattern in r.path]


# -- 1. Unassignable users --------------------------------------------------------------


def test_a_delivery_manager_who_cannot_be_assigned_does_not_stop_the_retrospective(world):
    world.write_config(delivery_managers=["dana", "olly"])  # olly: no access to the repo
    n = world.report()
    world.declare(n)
    world.sb.reset_log()
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    [output] = world.deliver()
    [retro] = world.retrospectives()
    assert [a["login"] for a in retro["assignees"]] == ["dana"]
    assert "not assigned olly" in output  # the job log says so
    assert "not assigned olly" in world.status(n)["body"]  # and the status comment
    # assignable() asked once per person: no 422, no repeated look-up.
    checks = requests_to(world, "GET", "/assignees/")
    assert sorted(r.path.rsplit("/", 1)[1] for r in checks) == ["dana", "olly"]
    assert not [r for r in world.sb.requests if r.status == 422]


def test_a_refused_assignee_is_dropped_and_the_issue_still_created(world):
    """assignable() said yes, GitHub then answered 422 (access lost meanwhile): retry once."""
    gh = client(world.gh.bot_token, world.sb.github_url)
    logs: list[str] = []
    gateway = Gateway(gh, REPO, log=logs.append)
    gateway._assignable["olly"] = True  # a stale answer
    created = gateway.create_issue("Retrospective: x", "body", [], ["dana", "olly"], lambda: None)
    assert created is not None and created.assignees == ("dana",)  # without the one refused
    posts = requests_to(world, "POST", f"/repos/{REPO}/issues")
    assert [r.status for r in posts] == [422, 201]
    assert posts[1].body["assignees"] == ["dana"]
    assert any("GitHub refused olly as assignees (422)" in line for line in logs)
    assert gateway.notices
    assert gateway.assignable("olly") is False  # and not offered again this run


def test_a_refused_assignment_is_made_without_the_refused(world):
    n = world.report()
    gh = client(world.gh.bot_token, world.sb.github_url)
    gateway = Gateway(gh, REPO, log=lambda line: None)
    gateway._assignable.update({"olly": True, "nobody": True})  # stale answers
    issue = gateway.issue(n)
    gateway.set_assignees(issue.number, ["olly", "priya", "nobody"])
    assert world.assignees(n) == ["priya"]
    patches = [r.status for r in requests_to(world, "PATCH", f"/issues/{n}")]
    assert patches == [422, 422, 200]  # olly named first, then nobody: then priya alone


def test_declarer_who_cannot_be_assigned_still_leads_without_a_failed_write(world):
    world.gh.add_user("tess", name="Tess Triage")
    world.gh.add_collaborator(REPO, "tess", "triage")  # may label, cannot be assigned
    world.write_config(delivery_managers=["tess"], responders=[])
    n = world.report()
    world.gh.add_label(REPO, n, "tess", "incident:declared")
    [output] = world.deliver()
    assert world.state_labels(n) == ["incident:declared"]
    assert world.record(n).lead == "tess"
    assert world.assignees(n) == []
    assert "not assigned tess" in output
    assert not [r for r in world.sb.requests if r.status == 422]


# -- 2. Custom repository roles ---------------------------------------------------------


def test_role_from_permission_reads_built_in_roles_precisely_and_custom_ones_by_base():
    assert role_from_permission({"role_name": "maintain", "permission": "write"}) == "maintain"
    assert role_from_permission({"role_name": "triage", "permission": "read"}) == "triage"
    custom = {"role_name": "Incident Responder", "permission": "write"}
    assert role_from_permission(custom) == "write"
    assert role_from_permission({"role_name": "Auditor", "permission": "read"}) == "read"
    assert role_from_permission({"role_name": "Odd", "permission": "weird"}) == "none"
    assert role_from_permission({}) == "none"


def test_a_custom_role_counts_as_its_base_role(world):
    for login, base in (("ivy", "write"), ("otto", "read")):
        world.gh.add_user(login)
        world.gh.add_collaborator(REPO, login, base, custom_role=f"Custom {login}")
    n = world.report()
    world.declare(n)
    world.say(n, "ivy", "/join")  # /join needs triage or more: Custom ivy is based on write
    world.say(n, "otto", "/join")  # Custom otto is based on read: refused
    record = world.record(n)
    assert "ivy" in record.helping
    assert "otto" not in record.helping
    token = world.gh.user("ivy").token
    data = (
        Github(base_url=world.sb.github_url, auth=Auth.Token(token))
        .get_repo(REPO)
        .get_collaborator_role_name("ivy")
    )
    assert data == "Custom ivy"  # the sandbox serves the custom name as GitHub does


# -- 3. Rate limits come as 403 too ------------------------------------------------------


def gateway_with_fake_sleep(world) -> tuple[Gateway, list[float], list[str]]:
    gh = client(world.gh.bot_token, world.sb.github_url)
    slept: list[float] = []
    logs: list[str] = []
    gateway = Gateway(gh, REPO, log=logs.append)
    gateway.waits.sleep = slept.append
    return gateway, slept, logs


def test_a_secondary_limit_on_a_read_is_waited_for_as_github_asks(world):
    n = world.report()
    gateway, slept, logs = gateway_with_fake_sleep(world)
    world.sb.faults.secondary_rate_limit("GET", rf"/issues/{n}$", retry_after=2)
    assert gateway.issue(n).number == n
    assert slept == [2]
    assert any("rate limit (Retry-After): waiting 2 s" in line for line in logs)
    gets = requests_to(world, "GET", f"/issues/{n}")
    assert [r.status for r in gets[-2:]] == [403, 200]


def test_a_secondary_limit_on_a_post_is_waited_for_and_posted_once(world):
    n = world.report()
    gateway, slept, logs = gateway_with_fake_sleep(world)
    issue = gateway.issue(n)
    world.sb.faults.secondary_rate_limit("POST", rf"/issues/{n}/comments$", retry_after=3)
    gateway.post_comment(issue.number, "k1", "<!-- incident-tool:k1 -->\nhello", [])
    assert slept == [3]
    assert any("secondary rate limit: waiting 3 s" in line for line in logs)
    bodies = [c["body"] for c in world.gh.comments(REPO, n)]
    assert sum("incident-tool:k1" in b for b in bodies) == 1


def test_waits_are_bounded_per_run_and_a_longer_one_fails_clearly(world):
    n = world.report()
    gateway, slept, _ = gateway_with_fake_sleep(world)
    issue = gateway.issue(n)
    world.sb.faults.secondary_rate_limit("POST", r"/comments$", retry_after=40)
    gateway.post_comment(issue.number, "k1", "<!-- incident-tool:k1 -->\none", [])
    assert slept == [40]
    world.sb.faults.secondary_rate_limit("POST", r"/comments$", retry_after=40)
    try:
        gateway.post_comment(issue.number, "k2", "<!-- incident-tool:k2 -->\ntwo", [])
    except GitHubError as exc:
        message = str(exc)
    else:
        raise AssertionError("a second 40 s wait went beyond the run's 60 s")
    assert slept == [40]  # the second wait was not made
    assert "GitHub rate limit (secondary" in message
    assert re.search(r"try again after \d\d:\d\d UTC", message)
    assert "issues: write" not in message


def test_an_exhausted_github_token_says_rate_limit_not_permission(world):
    n = world.report()
    world.gh.use_rate(world.gh.bot_login, 1000)  # the hour's 1,000 requests are used
    world.say(n, "dana", "/severity 1", deliver=False)
    [output] = world.deliver(expect=1)
    assert "GitHub rate limit (primary: the token's 1000 requests an hour are used up)" in output
    assert re.search(r"try again after \d\d:\d\d UTC", output)
    assert "issues: write" not in output and "permission" not in output


def test_a_real_permission_problem_still_says_permission(world):
    n = world.report()
    gh = client(world.gh.user("rita").token, world.sb.github_url)  # read access only
    gateway = Gateway(gh, REPO, log=lambda line: None)
    issue = gateway.issue(n)
    try:
        gateway.add_labels(issue.number, ["severity:1"])
    except GitHubError as exc:
        message = str(exc)
    else:
        raise AssertionError("a read-only token added a label")
    assert "lacks permission" in message and "rate limit" not in message


def test_rate_limit_classification():
    soon = str(int(time.time()) + 30)
    primary = rate_limit(403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": soon}, "API")
    assert primary is not None and primary.kind == "primary" and 29 <= primary.wait <= 32
    secondary = rate_limit(
        429, {"Retry-After": "5"}, "You have exceeded a secondary rate limit. Please wait."
    )
    assert secondary is not None and secondary.kind == "secondary" and secondary.wait <= 5
    no_header = rate_limit(
        403, {"x-ratelimit-remaining": "10"}, "You have exceeded a secondary rate limit"
    )
    assert no_header is not None and 59 <= no_header.wait <= 60
    assert (
        rate_limit(403, {"x-ratelimit-remaining": "10"}, "Resource not accessible by integration")
        is None
    )
    assert rate_limit(404, {"Retry-After": "5"}, "Not Found") is None


def test_a_read_asked_to_wait_beyond_the_budget_fails_at_once(world):
    n = world.report()
    gateway, slept, _ = gateway_with_fake_sleep(world)
    world.sb.faults.secondary_rate_limit("GET", rf"/issues/{n}$", retry_after=600)
    try:
        gateway.issue(n)
    except GitHubError as exc:
        message = str(exc)
    else:
        raise AssertionError("a 10-minute Retry-After was waited for")
    assert slept == []
    assert "GitHub rate limit (secondary" in message and "try again after" in message


# -- 4. Any token, one status comment --------------------------------------------------

STATUS = "<!-- incident-tool:status -->"


def status_comments(world, n: int) -> list[dict]:
    return [c for c in world.gh.comments(REPO, n) if STATUS in c["body"]]


def viewer_queries(world) -> list:
    return [r for r in requests_to(world, "POST", "/graphql") if "viewer" in r.body["query"]]


def runs(world, n: int) -> int:
    """How many runs read the issue (each run reads it once)."""
    return len([r for r in requests_to(world, "GET", f"/issues/{n}") if r.path.endswith(f"/{n}")])


def three_runs(world) -> int:
    n = world.report()  # issues.opened and issues.labeled: two runs
    world.say(n, "lee", "the search cluster is red")  # a third
    world.deliver()  # and whatever the token's own writes woke
    return n


def test_a_personal_token_leaves_one_status_comment_and_one_dm(world, monkeypatch):
    monkeypatch.delenv("INCIDENT_TOOL_BOT_LOGIN", raising=False)
    world.driver.env["GITHUB_TOKEN"] = world.gh.user("dana").token  # ghp_: a person's
    n = three_runs(world)
    [status] = status_comments(world, n)
    assert status["user"]["login"] == "dana"
    reported = [
        m
        for m in world.sl.dms(world.team["slack_ids"]["dana"])
        if "Potential incident" in m["text"]
    ]
    assert len(reported) == 1
    assert (
        len([c for c in world.gh.comments(REPO, n) if "incident-tool:reported" in c["body"]]) == 1
    )
    # Asked once a run, and only by runs with marker comments to judge: not the first.
    assert len(viewer_queries(world)) == runs(world, n) - 1
    # dana's own commands still run under her token: they carry no marker.
    world.say(n, "dana", "/severity 1")
    assert "severity:1" in world.labels(n)


def test_a_github_app_token_leaves_one_status_comment(world, monkeypatch):
    monkeypatch.delenv("INCIDENT_TOOL_BOT_LOGIN", raising=False)
    token = world.gh.add_user("incident-app[bot]", type="Bot")
    assert token.startswith("ghs_")  # an installation token, like GITHUB_TOKEN
    world.gh.add_collaborator(REPO, "incident-app[bot]", "write")
    world.driver.env["GITHUB_TOKEN"] = token
    n = three_runs(world)
    [status] = status_comments(world, n)
    assert status["user"]["login"] == "incident-app[bot]"
    assert viewer_queries(world)  # it had to ask: ghs_ alone does not say whose


def test_the_workflow_token_never_asks_who_it_is(world):
    n = three_runs(world)
    world.declare(n)
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver()
    assert len(status_comments(world, n)) == 1
    assert viewer_queries(world) == []


def test_a_forged_status_comment_is_not_believed_and_costs_no_question(world):
    n = world.report()
    world.sb.reset_log()
    world.say(n, "rita", f"{STATUS}\nforged", deliver=False)
    world.say(n, "lee", "hello")  # two runs, each with a marker comment not by the bot
    # The workflow's token writes as an app's bot: a person's marker comment is theirs,
    # not a reason to ask GitHub who the tool is (it cost a query a run, issue #23 item 3).
    assert runs(world, n) == 2 and viewer_queries(world) == []
    mine = [c for c in status_comments(world, n) if c["user"]["login"] == world.gh.bot_login]
    assert len(mine) == 1


def test_when_github_will_not_say_the_run_says_so(world, monkeypatch):
    monkeypatch.delenv("INCIDENT_TOOL_BOT_LOGIN", raising=False)
    world.driver.env["GITHUB_TOKEN"] = world.gh.user("dana").token
    n = world.report()
    world.sb.faults.add("github", "POST", r"/graphql$", status=502, times=None)
    world.say(n, "lee", "hello", deliver=False)
    outputs = world.deliver()
    assert any("cannot tell which account the token writes as" in o for o in outputs)
    assert any("set INCIDENT_TOOL_BOT_LOGIN" in o for o in outputs)


def test_a_run_waits_out_a_secondary_limit_on_its_comment_and_says_so(world, monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr("incident_tool.effects.github.time.sleep", slept.append)
    n = world.report()
    world.sb.faults.secondary_rate_limit("POST", rf"/issues/{n}/comments$", retry_after=2)
    world.say(n, "dana", "/help", deliver=False)
    [output] = world.deliver()
    assert 2 in slept
    assert "GitHub secondary rate limit: waiting 2 s as GitHub asks" in output
    helps = [c for c in world.gh.comments(REPO, n) if "/handover" in c["body"]]
    assert len(helps) == 1  # posted once, after the wait


def test_a_429_secondary_limit_on_a_read_is_waited_for_too(world):
    n = world.report()
    gateway, slept, _ = gateway_with_fake_sleep(world)
    world.sb.faults.secondary_rate_limit("GET", rf"/issues/{n}$", retry_after=1, status=429)
    assert gateway.issue(n).number == n
    assert slept == [1]


def test_a_rate_limited_permission_look_up_is_not_a_refusal(world):
    n = world.report()
    world.declare(n)
    world.sb.faults.secondary_rate_limit("GET", r"/collaborators/ivy/permission$", 600)
    world.gh.add_user("ivy")
    world.gh.add_collaborator(REPO, "ivy", "write")
    world.say(n, "ivy", "/join", deliver=False)
    [output] = world.deliver(expect=1)
    assert "could not read ivy's permission: GitHub rate limit (secondary" in output
    assert not [c for c in world.gh.comments(REPO, n) if "incident-tool:reply" in c["body"]]
    world.say(n, "lee", "later")  # the next event carries the /join out
    assert "ivy" in world.record(n).helping
