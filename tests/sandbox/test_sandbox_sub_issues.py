"""The sandbox's sub-issue endpoints answer as GitHub does (docs.github.com/en/rest/issues/
sub-issues): the child is named by its id, one parent each, at most 100 per parent."""

from __future__ import annotations

import pytest
from github import Auth, Github, GithubException

from tests.world import REPO


@pytest.fixture
def repo(world):
    g = Github(
        base_url=world.sb.github_url,
        auth=Auth.Token(world.gh.bot_token),
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )
    return g.get_repo(REPO)


def test_attach_by_id_lists_and_summarises(world, repo):
    parent = repo.create_issue("Retrospective", body="p")
    child = repo.create_issue("Follow-up", body="c")
    assert child.id != child.number
    parent.add_sub_issue(child.id)
    assert [i.number for i in parent.get_sub_issues()] == [child.number]
    data = world.gh.issue(REPO, parent.number)
    assert data["sub_issues_summary"] == {"total": 1, "completed": 0, "percent_completed": 0}
    assert world.gh.issue(REPO, child.number)["parent_issue_url"].endswith(
        f"/issues/{parent.number}"
    )
    world.gh.close_issue(REPO, child.number, "dana", reason="completed")
    assert world.gh.issue(REPO, parent.number)["sub_issues_summary"]["percent_completed"] == 100
    parent.remove_sub_issue(child.id)
    assert world.gh.sub_issues(REPO, parent.number) == []
    assert world.gh.issue(REPO, child.number)["parent_issue_url"] is None


def test_a_number_is_not_an_id(repo):
    parent = repo.create_issue("Retrospective", body="p")
    child = repo.create_issue("Follow-up", body="c")
    with pytest.raises(GithubException) as caught:
        parent.add_sub_issue(child.number)
    assert caught.value.status == 404


def test_one_parent_only_unless_replaced(world, repo):
    first = repo.create_issue("Retro one", body="p")
    second = repo.create_issue("Retro two", body="p")
    child = repo.create_issue("Follow-up", body="c")
    first.add_sub_issue(child.id)
    with pytest.raises(GithubException) as caught:
        second.add_sub_issue(child.id)
    assert caught.value.status == 422
    assert "only have one parent" in str(caught.value.data)
    # replace_parent moves it (the documented option; PyGithub does not send it).
    repo._requester.requestJsonAndCheck(
        "POST", f"{second.url}/sub_issues", input={"sub_issue_id": child.id, "replace_parent": True}
    )
    assert world.gh.sub_issues(REPO, first.number) == []
    assert [i["number"] for i in world.gh.sub_issues(REPO, second.number)] == [child.number]


def test_a_parent_holds_at_most_100(world, repo):
    parent = repo.create_issue("Retrospective", body="p")
    for i in range(100):
        child = world.gh.open_issue(REPO, "dana", f"Follow-up {i}", "c")
        parent.add_sub_issue(child["id"])
    extra = repo.create_issue("One too many", body="c")
    with pytest.raises(GithubException) as caught:
        parent.add_sub_issue(extra.id)
    assert caught.value.status == 422
    assert world.gh.issue(REPO, parent.number)["sub_issues_summary"]["total"] == 100
    assert len(list(parent.get_sub_issues())) == 100  # paginated


def test_read_access_cannot_attach(world):
    reader = next(
        (login for login, role in world.gh.repo(REPO).collaborators.items() if role == "read"),
        None,
    )
    if reader is None:
        world.gh.add_user("reader")
        world.gh.add_collaborator(REPO, "reader", "read")
        reader = "reader"
    g = Github(
        base_url=world.sb.github_url,
        auth=Auth.Token(world.gh.user(reader).token or ""),
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )
    parent_n = world.gh.open_issue(REPO, "dana", "Retrospective", "p")["number"]
    child = world.gh.open_issue(REPO, "dana", "Follow-up", "c")
    with pytest.raises(GithubException) as caught:
        g.get_repo(REPO).get_issue(parent_n).add_sub_issue(child["id"])
    assert caught.value.status == 403
