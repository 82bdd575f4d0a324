"""What changed before the incident, end to end (issue #24): read once at declaration from
the sandbox's GitHub, the affected service's repositories first; one message in the
incident channel, a section of the status comment, a table in the retrospective; a
repository the token cannot read named once; no CHANGES_TOKEN: only the incidents one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.world import REPO, World, make_world

SEARCH = "wellcome/catalogue-api"  # the affected service's repository
VAULT = "wellcome/vault"  # private, and CHANGES_TOKEN cannot see it
EVIL = "Fix <!channel> @here <https://evil.example|github.com/wellcome> & more"


@pytest.fixture
def world(tmp_path):
    sb, world = make_world(tmp_path)
    try:
        yield world
    finally:
        sb.__exit__(None, None, None)


def _seed(world: World, *, token: bool = True) -> None:
    gh = world.gh
    gh.add_repo(SEARCH, private=True)
    gh.add_repo(VAULT, private=True)
    gh.add_user("changes-reader")
    gh.add_collaborator(SEARCH, "changes-reader", "read")
    gh.add_collaborator(SEARCH, "sam", "write")
    now = world.clock.now
    gh.merge_pull_request(SEARCH, "sam", EVIL, at=now - timedelta(hours=1))
    gh.add_deployment(SEARCH, "sam", ref="v42", at=now - timedelta(minutes=50), state="failure")
    gh.add_release(REPO, "dana", "v1.0.0", name="Old", at=now - timedelta(hours=30))
    gh.add_release(REPO, "dana", "v1.1.0", name="Spring", at=now - timedelta(hours=2))
    gh.add_workflow_run(REPO, ".github/workflows/ci.yml", at=now - timedelta(hours=3))
    world.write_config(
        changes={"services": {"Search / catalogue API": [SEARCH, VAULT]}, "window_hours": 24}
    )
    if token:
        world.driver.env["CHANGES_TOKEN"] = gh.user("changes-reader").token or ""


def _requests(world: World, repo: str) -> list[str]:
    """The changes reads of `repo`: its REST lists, and the GraphQL query of its
    deployments (named by the query's variables)."""
    owner, name = repo.split("/")
    return [
        r.path
        for r in world.sb.requests
        if r.service == "github"
        and (
            (
                r.path.startswith(f"/repos/{repo}/")
                and not r.path.startswith(f"/repos/{repo}/issues")
            )
            or (
                r.path == "/graphql"
                and ((r.body or {}).get("variables") or {}) == {"owner": owner, "name": name}
            )
        )
    ]


def test_declaration_lists_what_changed_service_first_escaped(world: World) -> None:
    _seed(world)
    number = world.report()
    world.declare(number)

    channel = world.incident_channel(number)
    [message] = [t for t in world.slack_texts(channel["id"]) if "What changed" in t]
    lines = message.split("\n")
    # The affected service's repository first (its deployment, newest), then its merge.
    assert "Deployment in `wellcome/catalogue-api`" in lines[1]
    assert "production, failure" in lines[1]
    assert "Merged pull request in `wellcome/catalogue-api#" in lines[2]
    assert "Release in `wellcome/platform`" in lines[3] and "Spring" in lines[3]
    assert "Failed workflow run" in lines[4]
    assert "Old" not in message  # 30 h before: outside the window
    # The title stays text: no ping, no forged link.
    assert "<!channel>" not in message and "<https://evil.example" not in message
    assert "&lt;!channel&gt;" in message
    # The vault is named once, with why.
    assert message.count(VAULT) == 1 and "cannot see it" in message
    # Nothing of it went to the announce channel.
    announce = world.sl.channel_by_name(world.team["config"]["slack"]["announce_channel"])
    assert not any("What changed" in t for t in world.slack_texts(announce["id"]))

    body = world.status(number)["body"]
    shown = body.split("<!-- incident-tool:data")[0]  # the record's JSON is not rendered
    assert "### Recent changes (24 h before the report)" in shown
    assert "@here" not in shown and "&lt;!channel&gt;" in shown
    record = world.record(number)
    # 3 repositories, 4 requests each: the deployment's state came with the deployments
    assert record.changes["requests"] == 4 * 3

    # Runs after the declaration read nothing more.
    before = len(_requests(world, SEARCH))
    world.say(number, "dana", "/update still looking")
    assert len(_requests(world, SEARCH)) == before
    assert len(_requests(world, VAULT)) == 4  # one try, at declaration
    assert len(_requests(world, SEARCH)) == 4  # its deployment's state included


def test_without_changes_token_only_the_incidents_repository_is_read(world: World) -> None:
    _seed(world, token=False)
    world.driver.env.pop("CHANGES_TOKEN", None)
    number = world.report()
    world.declare(number)
    assert _requests(world, SEARCH) == [] and _requests(world, VAULT) == []
    body = world.status(number)["body"]
    assert "CHANGES_TOKEN is not set" in body
    assert "Spring" in body


def test_the_retrospective_has_a_table_of_the_changes_before(world: World) -> None:
    _seed(world)
    number = world.report()
    world.declare(number)
    world.gh.close_issue(REPO, number, "dana", reason="completed")
    world.deliver()
    [retro] = world.retrospectives()
    body = retro["body"]
    assert "## Changes before the incident" in body
    table = body.split("## Changes before the incident")[1].split("## ")[0]
    assert table.count("\n| ") == 5  # the header and four changes
    assert "Spring" in table and "@here" not in table and "&lt;!channel&gt;" in table


def _search_pull(world: World) -> int:
    [pull] = [i for i in world.gh.issues(SEARCH) if "pull_request" in i]
    return int(pull["number"])


def test_suspect_marks_it_mentions_and_invites_its_author(world: World) -> None:
    _seed(world)
    number = world.report()
    world.declare(number)
    pull = _search_pull(world)
    world.say(number, "priya", f"/suspect {SEARCH}#{pull}")

    [reply] = [c for c in world.bot_comments(number) if "suspects" in c["body"]]
    assert "@sam" in reply["body"] and "&lt;!channel&gt;" in reply["body"]
    channel = world.incident_channel(number)
    assert world.team["slack_ids"]["sam"] in world.sl.members(channel["id"])
    record = world.record(number)
    assert [s["ref"] for s in record.changes["suspected"]] == [f"{SEARCH}#{pull}"]
    assert any(e.kind == "suspect" for e in record.timeline)

    world.gh.close_issue(REPO, number, "dana", reason="completed")
    world.deliver()
    [retro] = world.retrospectives()
    assert "| suspected |" in retro["body"] and "Suspected change" in retro["body"]


def test_suspect_in_a_repository_the_incident_does_not_watch_pings_nobody(world: World) -> None:
    """Review: `/suspect other/repo#N` of any repository the token reads mentioned and
    invited a stranger who wrote that pull request. It is marked; nobody is pinged."""
    _seed(world)
    other = "wellcome/elsewhere"
    world.gh.add_repo(other)
    world.gh.add_user("stranger")
    world.gh.add_collaborator(other, "stranger", "write")
    world.gh.add_collaborator(other, "changes-reader", "read")
    pull = world.gh.merge_pull_request(other, "stranger", "Tidy up", at=world.clock.now)["number"]
    number = world.report()
    world.declare(number)
    world.say(number, "priya", f"/suspect {other}#{pull}")
    [reply] = [c for c in world.bot_comments(number) if "suspects" in c["body"]]
    assert "@stranger" not in reply["body"] and "you made this change" not in reply["body"]
    record = world.record(number)
    assert [s["ref"] for s in record.changes["suspected"]] == [f"{other}#{pull}"]


def test_suspect_an_unknown_ref_is_refused_with_how(world: World) -> None:
    _seed(world)
    number = world.report()
    world.declare(number)
    world.say(number, "priya", "/suspect deadbeef99")
    assert any("no change I can find" in c["body"] for c in world.bot_comments(number))


def test_revert_without_token_is_refused_and_with_it_opens_an_unmerged_revert(
    world: World,
) -> None:
    _seed(world)
    number = world.report()
    world.declare(number)
    pull = _search_pull(world)

    world.say(number, "priya", f"/revert {SEARCH}#{pull}")
    assert any("no `REVERT_TOKEN`" in c["body"] for c in world.bot_comments(number))

    world.say(number, "rita", f"/revert {SEARCH}#{pull}")  # not the lead
    assert any("Only the incident lead" in c["body"] for c in world.bot_comments(number))

    world.driver.env["REVERT_TOKEN"] = world.gh.user("sam").token or ""  # write on SEARCH
    world.say(number, "priya", f"/revert #{pull}")  # the changes list says which repository
    [revert] = [i for i in world.gh.issues(SEARCH) if i["title"].startswith("Revert ")]
    assert revert["title"] == f'Revert "{EVIL}"' and revert["state"] == "open"
    assert world.issue(number)["html_url"] in revert["body"]
    assert world.gh.repo(SEARCH).pulls[revert["number"]].get("merged_at") is None
    assert any(
        f"#{revert['number']}" in c["body"] and "not merged" in c["body"]
        for c in world.bot_comments(number)
    )


def test_revert_on_a_repository_the_token_cannot_write_says_why(world: World) -> None:
    _seed(world)
    number = world.report()
    world.declare(number)
    world.driver.env["REVERT_TOKEN"] = world.gh.user("changes-reader").token or ""  # read only
    world.say(number, "priya", f"/revert {SEARCH}#{_search_pull(world)}")
    [reply] = [c for c in world.bot_comments(number) if "was not opened" in c["body"]]
    assert "permissions" in reply["body"]
    assert not [i for i in world.gh.issues(SEARCH) if i["title"].startswith("Revert ")]


def test_changes_lists_again_wider(world: World) -> None:
    _seed(world)
    number = world.report()
    world.declare(number)
    world.say(number, "priya", "/changes 48")
    channel = world.incident_channel(number)
    texts = [t for t in world.slack_texts(channel["id"]) if "What changed in the 48 h" in t]
    assert len(texts) == 1 and "Old" in texts[0]  # 30 h before: inside 48 h
    world.say(number, "priya", "/changes many")
    assert any("is not a number of hours" in c["body"] for c in world.bot_comments(number))


def test_a_sensitive_incident_lists_them_in_its_private_channel_only(world: World) -> None:
    from incident_sandbox.demo import REPORT_BODY

    _seed(world)
    world.write_config(
        changes={"services": {"Security / credentials": [SEARCH]}, "window_hours": 24}
    )
    body = REPORT_BODY.replace("Search / catalogue API", "Security / credentials")
    number = world.report(title="Leaked key", body=body)
    world.declare(number)
    channel = world.incident_channel(number)
    assert channel["is_private"]
    assert any("catalogue-api" in t for t in world.slack_texts(channel["id"]))
    for other in world.sl.channels():
        if other["id"] != channel["id"]:
            assert not any("catalogue-api" in t for t in world.slack_texts(other["id"]))
    for user in world.team["slack_ids"].values():
        assert not any("catalogue-api" in m["text"] for m in world.sl.dms(user))
    shown = world.status(number)["body"].split("<!-- incident-tool:data")[0]
    assert "private channel only" in shown and "catalogue-api" not in shown


def test_a_list_that_fails_is_named_and_the_rest_still_shown(world: World) -> None:
    _seed(world)
    # Releases fail for good (retries included): the declaration goes on without them.
    world.sb.faults.add(
        service="github", path=r"/repos/wellcome/platform/releases", status=500, times=None
    )
    number = world.report()
    world.declare(number)
    assert world.state_labels(number) == ["incident:declared"]
    body = world.status(number)["body"].split("<!-- incident-tool:data")[0]
    assert "releases not read" in body and "Spring" not in body
    assert "catalogue-api#" in body  # the other lists of every repository were read
