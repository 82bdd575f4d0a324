"""The sandboxed GitHub, exercised through real PyGithub (and `requests` for GraphQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
import requests
from github import Auth, Github, GithubException, GithubRetry, UnknownObjectException

from incident_sandbox import Sandbox, SandboxGitHubError

REPO = "wellcome/platform"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """A sandbox with one repository, a few people and the state labels."""
    with Sandbox() as sandbox:
        gh = sandbox.github
        gh.add_repo(REPO)
        for login, role in [
            ("alice", "admin"),
            ("bob", "write"),
            ("tina", "triage"),
            ("rita", "read"),
        ]:
            gh.add_user(login, name=login.title())
            gh.add_collaborator(REPO, login, role)
        gh.add_user("olly")
        gh.create_label(REPO, "incident:reported", "fbca04", "Reported")
        gh.create_label(REPO, "incident:declared", "d93f0b", None)
        yield sandbox
        assert sandbox.violations == []


def client(sb: Sandbox, login: str | None = None, **kwargs: object) -> Github:
    """PyGithub acting as a person (or the bot)."""
    token = sb.github.bot_token if login is None else sb.github.user(login).token
    options: dict[str, object] = {
        "seconds_between_requests": 0,
        "seconds_between_writes": 0,
        "retry": None,
    }
    options.update(kwargs)
    return Github(base_url=sb.github_url, auth=Auth.Token(token), **options)  # type: ignore[arg-type]


def test_issue_lifecycle_through_pygithub(sb: Sandbox) -> None:
    repo = client(sb).get_repo(REPO)
    assert repo.full_name == REPO and repo.private is False
    issue = repo.create_issue("Site down", body="It is down", labels=["incident:reported"])
    assert issue.number == 1
    assert issue.html_url == f"https://github.com/{REPO}/issues/1"
    assert issue.url == f"{sb.github_url}/repos/{REPO}/issues/1"
    assert issue.user.login == "github-actions[bot]" and issue.user.type == "Bot"
    assert [label.name for label in issue.labels] == ["incident:reported"]
    assert issue.created_at.tzinfo is not None and issue.closed_at is None
    raw = sb.github.issue(REPO, 1)
    assert raw["created_at"].endswith("Z") and raw["state_reason"] is None

    with pytest.raises(GithubException) as err:
        # One login that cannot be assigned fails the whole PATCH, as on GitHub.
        issue.edit(assignees=["bob", "olly"], labels=["incident:declared", "severity:2"])
    assert err.value.status == 422
    assert err.value.data["errors"] == [
        {"resource": "Issue", "code": "invalid", "field": "assignees", "value": "olly"}
    ]
    assert sb.github.issue(REPO, 1)["assignees"] == []
    assert [x["name"] for x in sb.github.issue(REPO, 1)["labels"]] == ["incident:reported"]
    issue.edit(assignees=["bob"], labels=["incident:declared", "severity:2"])
    again = repo.get_issue(1)
    assert [a.login for a in again.assignees] == ["bob"]
    assert [label.name for label in again.labels] == ["incident:declared", "severity:2"]
    assert {label["name"] for label in sb.github.labels(REPO)} >= {"severity:2"}

    again.edit(state="closed", state_reason="not_planned")
    closed = repo.get_issue(1)
    assert closed.state == "closed" and closed.state_reason == "not_planned"
    assert closed.closed_at is not None and closed.closed_by.login == "github-actions[bot]"
    closed.edit(state="open")
    assert repo.get_issue(1).state_reason == "reopened"
    assert [e.event for e in repo.get_issue(1).get_events()] == [
        "labeled",
        "unlabeled",
        "labeled",
        "labeled",
        "assigned",
        "closed",
        "reopened",
    ]


def test_issue_numbers_are_shared_with_pull_requests(sb: Sandbox) -> None:
    sb.github.open_issue(REPO, "rita", "first")
    pr = sb.github.open_pull_request(REPO, "bob", "a change")
    issue = client(sb).get_repo(REPO).create_issue("third")
    assert (pr["number"], issue.number) == (2, 3)
    assert "pull_request" in sb.github.issue(REPO, 2)
    assert client(sb).get_repo(REPO).get_issue(2).pull_request is not None


def test_labels_crud_and_issue_labels(sb: Sandbox) -> None:
    repo = client(sb).get_repo(REPO)
    label = repo.create_label("sensitive", "b60205", "Security")
    assert (label.color, label.description) == ("b60205", "Security")
    with pytest.raises(GithubException) as err:
        repo.create_label("Sensitive", "000000")
    assert err.value.status == 422
    assert err.value.data["errors"][0]["code"] == "already_exists"
    label.edit("sensitive", "ff0000", "Security!")
    assert repo.get_label("sensitive").color == "ff0000"

    issue = repo.create_issue("x")
    issue.add_to_labels("brand-new", "sensitive")  # unknown labels are created, like GitHub
    assert [x.name for x in issue.get_labels()] == ["brand-new", "sensitive"]
    issue.set_labels("incident:declared")
    assert [x.name for x in repo.get_issue(1).labels] == ["incident:declared"]
    with pytest.raises(GithubException) as err:
        issue.remove_from_labels("sensitive")  # not on the issue: 404 "Label does not exist"
    assert err.value.status == 404 and err.value.data["message"] == "Label does not exist"
    issue.remove_from_labels("incident:declared")
    issue.delete_labels()
    assert repo.get_issue(1).labels == []

    repo.get_label("brand-new").delete()
    with pytest.raises(UnknownObjectException):
        repo.get_label("brand-new").delete()  # deleting an absent label: 404


def test_label_names_with_special_characters(sb: Sandbox) -> None:
    repo = client(sb).get_repo(REPO)
    issue = repo.create_issue("x", labels=["incident:declared", "needs triage:now"])
    issue.remove_from_labels("needs triage:now")
    assert [x.name for x in repo.get_issue(1).labels] == ["incident:declared"]
    assert repo.get_label("INCIDENT:DECLARED").name == "incident:declared"


def test_comments_pagination_follows_link_headers(sb: Sandbox) -> None:
    sb.github.open_issue(REPO, "rita", "busy issue")
    for i in range(250):
        sb.github.comment(REPO, 1, "rita", f"comment {i}")
    sb.reset_log()
    issue = client(sb).get_repo(REPO).get_issue(1)
    bodies = [c.body for c in issue.get_comments()]
    assert bodies == [f"comment {i}" for i in range(250)]
    pages = [r for r in sb.requests if r.path.endswith("/comments")]
    assert len(pages) == 9  # 30 per page by default
    assert issue.get_comments().totalCount == 250

    fast = client(sb, per_page=100).get_repo(REPO).get_issue(1)
    sb.reset_log()
    ids = [c.id for c in fast.get_comments()]
    assert ids == sorted(ids) and len(ids) == 250
    assert [r.query.get("page") for r in sb.requests if r.path.endswith("/comments")] == [
        None,
        "2",
        "3",
    ]


def test_link_header_matches_github(sb: Sandbox) -> None:
    sb.github.open_issue(REPO, "rita", "x")
    for i in range(5):
        sb.github.comment(REPO, 1, "rita", f"c{i}")
    url = f"{sb.github_url}/repos/{REPO}/issues/1/comments"
    first = requests.get(url, params={"per_page": 2}, timeout=5)
    assert len(first.json()) == 2
    assert first.headers["Link"] == (
        f'<{url}?per_page=2&page=2>; rel="next", <{url}?per_page=2&page=3>; rel="last"'
    )
    middle = requests.get(url, params={"per_page": 2, "page": 2}, timeout=5)
    assert middle.headers["Link"] == (
        f'<{url}?per_page=2&page=1>; rel="prev", <{url}?per_page=2&page=3>; rel="next", '
        f'<{url}?per_page=2&page=3>; rel="last", <{url}?per_page=2&page=1>; rel="first"'
    )
    last = requests.get(url, params={"per_page": 2, "page": 3}, timeout=5)
    assert len(last.json()) == 1 and 'rel="next"' not in last.headers["Link"]
    assert requests.get(url, params={"per_page": 500}, timeout=5).json()[4]["body"] == "c4"


def test_comment_since_edit_and_delete(sb: Sandbox) -> None:
    now = [datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)]
    with Sandbox(clock=lambda: now[0]) as box:
        gh = box.github
        gh.add_repo(REPO)
        gh.add_user("rita")
        gh.open_issue(REPO, "rita", "x")
        first = gh.comment(REPO, 1, "rita", "one")
        now[0] += timedelta(minutes=5)
        second = gh.comment(REPO, 1, "rita", "two")
        assert second["id"] > first["id"]
        assert second["created_at"] == "2024-05-01T12:05:00Z"
        issue = client(box, "rita").get_repo(REPO).get_issue(1)
        since = datetime(2024, 5, 1, 12, 1, tzinfo=timezone.utc)
        assert [c.body for c in issue.get_comments(since=since)] == ["two"]
        now[0] += timedelta(minutes=5)
        gh.edit_comment(REPO, first["id"], "rita", "one, edited")
        assert [c.body for c in issue.get_comments(since=since)] == ["one, edited", "two"]
        edited = issue.get_comment(first["id"])
        assert edited.updated_at > edited.created_at
        edited.delete()
        assert [c["body"] for c in gh.comments(REPO, 1)] == ["two"]
        assert box.violations == []


def test_reactions(sb: Sandbox) -> None:
    sb.github.open_issue(REPO, "rita", "x")
    comment_id = sb.github.comment(REPO, 1, "rita", "/join")["id"]
    comment = client(sb).get_repo(REPO).get_issue(1).get_comment(comment_id)
    reaction = comment.create_reaction("+1")
    again = comment.create_reaction("+1")  # idempotent: the same reaction comes back
    assert reaction.id == again.id and reaction.content == "+1"
    assert [r["content"] for r in sb.github.reactions(comment_id)] == ["+1"]
    assert comment.get_reactions().totalCount == 1
    assert client(sb).get_repo(REPO).get_issue(1).get_comment(comment_id).reactions["+1"] == 1
    with pytest.raises(GithubException) as err:
        comment.create_reaction("thumbsup")
    assert err.value.status == 422


def test_permissions_and_users(sb: Sandbox) -> None:
    repo = client(sb).get_repo(REPO)
    assert repo.get_collaborator_permission("alice") == "admin"
    assert repo.get_collaborator_permission("bob") == "write"
    assert repo.get_collaborator_role_name("tina") == "triage"
    assert repo.get_collaborator_permission("tina") == "read"
    assert repo.get_collaborator_permission("olly") == "read"  # public repo, no access
    with pytest.raises(UnknownObjectException):
        repo.get_collaborator_permission("ghost")
    sb.github.add_collaborator(REPO, "olly", "maintain")
    assert repo.get_collaborator_role_name("olly") == "maintain"
    assert repo.get_collaborator_permission("olly") == "write"

    g = client(sb)
    assert g.get_user("alice").name == "Alice"
    with pytest.raises(UnknownObjectException):
        g.get_user("ghost").name  # noqa: B018 - PyGithub loads lazily
    assert client(sb, "alice").get_user().login == "alice"
    with pytest.raises(GithubException) as err:
        g.get_user().login  # noqa: B018 - GITHUB_TOKEN cannot read /user
    assert err.value.status == 403
    assert repo.has_in_assignees("bob") and not repo.has_in_assignees("tina")


def test_authentication_errors(sb: Sandbox) -> None:
    bad = Github(base_url=sb.github_url, auth=Auth.Token("nope"), retry=None)
    with pytest.raises(GithubException) as err:
        bad.get_repo(REPO)
    assert err.value.status == 401 and err.value.data["message"] == "Bad credentials"
    anonymous = Github(base_url=sb.github_url, retry=None)
    assert anonymous.get_repo(REPO).name == "platform"  # public reads need no token
    response = requests.post(f"{sb.github_url}/repos/{REPO}/issues", json={"title": "x"}, timeout=5)
    assert response.status_code == 401
    bearer = requests.get(
        f"{sb.github_url}/user",
        headers={"Authorization": f"Bearer {sb.github.user('bob').token}"},
        timeout=5,
    )
    assert bearer.json()["login"] == "bob"


def test_private_repository_is_invisible_to_outsiders(sb: Sandbox) -> None:
    sb.github.add_repo("wellcome/secret", private=True)
    with pytest.raises(UnknownObjectException):
        client(sb, "olly").get_repo("wellcome/secret").full_name  # noqa: B018
    secret = client(sb).get_repo("wellcome/secret")
    assert secret.get_collaborator_permission("olly") == "none"


def test_permission_rules_for_people(sb: Sandbox) -> None:
    issue = client(sb, "rita").get_repo(REPO).create_issue("x", labels=["incident:declared"])
    assert issue.labels == []  # read access: labels silently dropped
    with pytest.raises(GithubException) as err:
        client(sb, "olly").get_repo(REPO).get_issue(1).edit(state="closed")
    assert err.value.status == 403
    issue.edit(state="closed")  # the author may close their own issue
    assert sb.github.issue(REPO, 1)["state"] == "closed"
    with pytest.raises(GithubException):
        client(sb, "rita").get_repo(REPO).create_label("nope", "000000")


def test_list_issues_filters(sb: Sandbox) -> None:
    gh = sb.github
    gh.open_issue(REPO, "rita", "one", labels=["incident:reported"])
    gh.open_issue(REPO, "bob", "two", labels=["incident:reported", "incident:declared"])
    gh.open_issue(REPO, "rita", "three")
    gh.close_issue(REPO, 3, "rita", reason="not_planned")
    repo = client(sb).get_repo(REPO)
    assert [i.number for i in repo.get_issues()] == [2, 1]
    assert [i.number for i in repo.get_issues(state="all")] == [3, 2, 1]
    assert [i.number for i in repo.get_issues(state="closed")] == [3]
    labelled = repo.get_issues(labels=["incident:reported", "incident:declared"])
    assert [i.number for i in labelled] == [2]
    assert [i.number for i in repo.get_issues(state="all", creator="rita")] == [3, 1]
    assert [i.number for i in repo.get_issues(direction="asc")] == [1, 2]
    future = datetime.now(timezone.utc) + timedelta(days=1)
    assert list(repo.get_issues(since=future)) == []


def test_search_issues(sb: Sandbox) -> None:
    gh = sb.github
    gh.open_issue(REPO, "rita", "Database down", labels=["incident:reported"])
    gh.open_issue(REPO, "rita", "Slow pages", body="database is slow")
    gh.close_issue(REPO, 1, "rita")
    g = client(sb)
    assert [i.number for i in g.search_issues(f"repo:{REPO} is:issue")] == [2, 1]
    assert [i.number for i in g.search_issues(f"repo:{REPO} is:open")] == [2]
    assert [i.number for i in g.search_issues(f'repo:{REPO} label:"incident:reported"')] == [1]
    assert [i.number for i in g.search_issues(f"repo:{REPO} database in:title")] == [1]
    assert [i.number for i in g.search_issues(f"repo:{REPO} database")] == [2, 1]
    assert g.search_issues(f"repo:{REPO} database").totalCount == 2


def test_contents(sb: Sandbox) -> None:
    sb.github.put_file(REPO, ".github/incident.yml", "delivery_managers: [dana]\n")
    repo = client(sb).get_repo(REPO)
    content = repo.get_contents(".github/incident.yml")
    assert content.decoded_content == b"delivery_managers: [dana]\n"
    assert [c.path for c in repo.get_contents(".github")] == [".github/incident.yml"]
    repo.update_file(".github/incident.yml", "update", "responders: [sam]\n", content.sha)
    assert sb.github.file(REPO, ".github/incident.yml") == "responders: [sam]\n"
    repo.create_file("docs/x.md", "add", "hi")
    with pytest.raises(UnknownObjectException):
        repo.get_contents("missing.txt")


def test_graphql_busy_status(sb: Sandbox) -> None:
    sb.github.set_busy("bob", True)
    query = (
        "query($l0: String!, $l1: String!, $l2: String!) {"
        " u0: user(login: $l0) { status { indicatesLimitedAvailability } }"
        " u1: user(login: $l1) { status { indicatesLimitedAvailability } }"
        " u2: user(login: $l2) { status { indicatesLimitedAvailability } } }"
    )
    headers = {"Authorization": f"bearer {sb.github.bot_token}"}
    answer = requests.post(
        f"{sb.github_url}/graphql",
        json={"query": query, "variables": {"l0": "bob", "l1": "alice", "l2": "ghost"}},
        headers=headers,
        timeout=5,
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["data"] == {
        "u0": {"status": {"indicatesLimitedAvailability": True}},
        "u1": {"status": None},
        "u2": None,
    }
    assert body["errors"][0]["type"] == "NOT_FOUND" and body["errors"][0]["path"] == ["u2"]

    viewer = requests.post(
        f"{sb.github_url}/graphql",
        json={"query": "{ viewer { login } }"},
        headers=headers,
        timeout=5,
    )
    assert viewer.json() == {"data": {"viewer": {"login": "github-actions[bot]"}}}
    other = requests.post(
        f"{sb.github_url}/graphql",
        json={"query": "{ viewer { name } }"},
        headers=headers,
        timeout=5,
    )
    assert other.status_code == 400 and "only queries of the form" in other.json()["message"]
    unauthenticated = requests.post(f"{sb.github_url}/graphql", json={"query": query}, timeout=5)
    assert unauthenticated.status_code == 401

    g = client(sb)
    _, data = g.requester.graphql_query(query, {"l0": "bob", "l1": "alice", "l2": "alice"})
    assert data["data"]["u0"]["status"]["indicatesLimitedAvailability"] is True


def test_rate_limit(sb: Sandbox) -> None:
    g = client(sb)
    g.get_repo(REPO)
    overview = g.get_rate_limit()
    # The workflow's GITHUB_TOKEN has 1,000 requests an hour; a person's token 5,000.
    assert overview.resources.core.limit == 1000
    assert overview.resources.core.remaining == 999  # GET /rate_limit itself is free
    assert g.rate_limiting == (999, 1000)
    person = client(sb, "bob")
    person.get_repo(REPO)
    assert person.rate_limiting == (4999, 5000)


def test_an_exhausted_token_gets_the_primary_rate_limit(sb: Sandbox) -> None:
    sb.github.use_rate(sb.github.bot_login, 1000)
    raw = requests.get(
        f"{sb.github_url}/repos/{REPO}", headers={"Authorization": f"token {sb.github.bot_token}"}
    )
    assert raw.status_code == 403
    assert raw.json()["message"].startswith("API rate limit exceeded for installation ID")
    assert raw.headers["X-RateLimit-Remaining"] == "0"
    assert raw.headers["X-RateLimit-Limit"] == "1000"
    assert int(raw.headers["X-RateLimit-Reset"]) > datetime.now(timezone.utc).timestamp()
    assert raw.headers["X-RateLimit-Resource"] == "core"
    # Other tokens have their own hour.
    assert client(sb, "bob").get_repo(REPO).full_name == REPO


def test_secondary_rate_limit_fault_answers_with_retry_after(sb: Sandbox) -> None:
    sb.faults.secondary_rate_limit("POST", r"/comments$", retry_after=7)
    issue = client(sb).get_repo(REPO).create_issue("x")
    with pytest.raises(GithubException) as err:
        issue.create_comment("hello")
    assert err.value.status == 403
    assert err.value.data["message"].startswith("You have exceeded a secondary rate limit")
    assert err.value.headers["retry-after"] == "7"
    assert err.value.headers["x-ratelimit-remaining"] != "0"
    assert sb.github.comments(REPO, issue.number) == []  # the write was not made


def test_validation_errors_are_github_shaped(sb: Sandbox) -> None:
    repo = client(sb).get_repo(REPO)
    issue = repo.create_issue("x")
    with pytest.raises(GithubException) as err:
        issue.edit(state="shut")
    assert err.value.status == 422
    with pytest.raises(GithubException) as err:
        issue.create_comment("")
    assert err.value.status == 422 and err.value.data["message"] == "Validation Failed"
    assert err.value.data["errors"] == [
        {"resource": "IssueComment", "code": "missing_field", "field": "body"}
    ]
    with pytest.raises(GithubException) as err:
        issue.create_comment("x" * 65537)
    assert err.value.status == 422
    missing = requests.get(
        f"{sb.github_url}/repos/{REPO}/issues/99",
        headers={"Authorization": f"token {sb.github.bot_token}"},
        timeout=5,
    )
    assert missing.status_code == 404
    assert missing.json()["message"] == "Not Found" and "documentation_url" in missing.json()


def test_github_502_fault_then_success_with_pygithub_retry(sb: Sandbox) -> None:
    sb.github.open_issue(REPO, "rita", "x")
    sb.faults.add(service="github", method="POST", path=r"^/repos/.*/comments$", status=502)
    retry = GithubRetry(total=3, backoff_factor=0.01)
    issue = client(sb, retry=retry).get_repo(REPO).get_issue(1)
    comment = issue.create_comment("status")
    assert comment.body == "status"
    assert sb.faults.injected == 1
    assert [c["body"] for c in sb.github.comments(REPO, 1)] == ["status"]  # written once
    statuses = [r.status for r in sb.requests if r.path.endswith("/comments")]
    assert statuses == [502, 201]


def test_faulted_write_is_not_performed(sb: Sandbox) -> None:
    sb.github.open_issue(REPO, "rita", "x")
    sb.faults.add(service="github", method="PATCH", status=503, times=None)
    issue = client(sb).get_repo(REPO).get_issue(1)
    with pytest.raises(GithubException) as err:
        issue.edit(state="closed")
    assert err.value.status == 503
    assert sb.github.issue(REPO, 1)["state"] == "open"


def test_person_helpers_follow_the_ui_rules(sb: Sandbox) -> None:
    gh = sb.github
    with pytest.raises(LookupError):
        gh.open_issue(REPO, "rita", "x", labels=["no-such-label"])  # forms can't create labels
    issue = gh.open_issue(REPO, "olly", "x", labels=["incident:reported"])  # forms apply labels
    assert [label["name"] for label in issue["labels"]] == ["incident:reported"]
    with pytest.raises(LookupError):
        gh.add_label(REPO, 1, "alice", "no-such-label")
    with pytest.raises(SandboxGitHubError) as err:
        gh.add_label(REPO, 1, "rita", "incident:declared")  # read access can't label
    assert err.value.status == 403
    gh.add_label(REPO, 1, "tina", "incident:declared")
    with pytest.raises(SandboxGitHubError):
        gh.edit_comment(REPO, gh.comment(REPO, 1, "olly", "mine")["id"], "rita", "theirs")
    assert sb.github.permission(REPO, "tina") == "triage"
    assert [e["event"] for e in gh.issue_events(REPO, 1)] == ["labeled", "labeled"]


def test_unassignable_logins_are_a_422_on_create_and_ignored_when_added(sb: Sandbox) -> None:
    repo = client(sb).get_repo(REPO)
    with pytest.raises(GithubException) as err:
        repo.create_issue("Retro", assignees=["bob", "nobody"])
    assert err.value.status == 422
    assert err.value.data["errors"][0]["field"] == "assignees"
    # POST names the refused login in an array (PATCH: a string), as GitHub does.
    assert err.value.data["errors"][0]["value"] == ["nobody"]
    assert sb.github.issues(REPO) == []  # nothing was created
    issue = repo.create_issue("Retro", assignees=["bob"])
    assert [a.login for a in issue.assignees] == ["bob"]
    # POST .../assignees answers 201 and leaves out who cannot be assigned.
    issue.add_to_assignees("alice", "olly")
    assert sorted(a["login"] for a in sb.github.issue(REPO, issue.number)["assignees"]) == [
        "alice",
        "bob",
    ]
    # Without triage access, assignees on a new issue are dropped, not refused.
    mine = client(sb, "rita").get_repo(REPO).create_issue("Mine", assignees=["olly"])
    assert mine.assignees == []


def test_custom_role_reports_its_name_and_base_permission(sb: Sandbox) -> None:
    sb.github.add_user("ivy")
    sb.github.add_collaborator(REPO, "ivy", "maintain", custom_role="Incident Responder")
    repo = client(sb).get_repo(REPO)
    _, data = repo._requester.requestJsonAndCheck("GET", f"{repo.url}/collaborators/ivy/permission")
    assert (data["role_name"], data["permission"]) == ("Incident Responder", "write")
    assert data["user"]["role_name"] == "Incident Responder"
    assert data["user"]["permissions"]["maintain"] is True
    _, tina = repo._requester.requestJsonAndCheck(
        "GET", f"{repo.url}/collaborators/tina/permission"
    )
    assert (tina["role_name"], tina["permission"]) == ("triage", "read")


# GitHub's "Repository roles for an organization" / "Access permissions on GitHub" table:
# anyone who can read may open issues, close the ones they opened and reopen the ones they
# closed; applying labels and closing or reopening anyone's issues needs triage.
@pytest.mark.parametrize(
    ("login", "triage"),
    [("olly", False), ("rita", False), ("tina", True), ("bob", True), ("alice", True)],
)
def test_permission_model_matches_githubs(sb: Sandbox, login: str, triage: bool) -> None:
    gh = sb.github
    own = gh.open_issue(REPO, login, "mine")["number"]
    other = gh.open_issue(REPO, "bob", "theirs")["number"]
    me = client(sb, login).get_repo(REPO)
    # Their own issue: close it and reopen it whatever their access.
    me.get_issue(own).edit(state="closed", state_reason="not_planned")
    me.get_issue(own).edit(state="open")
    assert gh.issue(REPO, own)["state"] == "open"
    # Closed by someone else: only triage may reopen it, even the author.
    client(sb, "bob").get_repo(REPO).get_issue(own).edit(state="closed")
    if triage:
        me.get_issue(own).edit(state="open")
    else:
        with pytest.raises(GithubException) as refused:
            me.get_issue(own).edit(state="open")
        assert refused.value.status == 403
    assert gh.issue(REPO, own)["state"] == ("open" if triage else "closed")
    # Someone else's issue, and labels: triage.
    for attempt in (
        lambda: me.get_issue(other).edit(state="closed"),
        lambda: me.get_issue(other).add_to_labels("incident:declared"),
    ):
        if triage:
            attempt()
        else:
            with pytest.raises(GithubException) as refused:
                attempt()
            assert refused.value.status == 403
    assert gh.issue(REPO, other)["state"] == ("closed" if triage else "open")
    # Comments need read only (a public repository: anyone).
    me.get_issue(other).create_comment("hello")
