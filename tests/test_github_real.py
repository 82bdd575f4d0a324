"""GitHub's real answers (issue #11): unassignable users, custom roles, rate limits, identity.

Each test runs the tool against the sandbox after the sandbox was made to answer as
api.github.com does (sources cited in incident_tool/sandbox/).
"""

from __future__ import annotations

from github import Auth, Github

from incident_tool.github import Gateway, client, role_from_permission

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
    assert created.assignees == []  # the retry sends none: one refused login fails them all
    posts = requests_to(world, "POST", f"/repos/{REPO}/issues")
    assert [r.status for r in posts] == [422, 201]
    assert posts[1].body["assignees"] == []
    assert any("refused the assignees dana, olly (422)" in line for line in logs)
    assert gateway.notices


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
