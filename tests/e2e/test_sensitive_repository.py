"""A sensitive report's text moved to the team's private repository (`sensitive.repository`,
SPEC §19; docs/security.md#a-public-repository), end to end over the sandbox: the demo's
incidents repository is public; `wellcome/incidents-private` is private, and
SENSITIVE_TOKEN is a token of `keeper`, who may write there and nowhere else (the sandbox
scopes a person's token by their access, as GitHub scopes a fine-grained token).
"""

from __future__ import annotations

from incident_sandbox.demo import REPORT_BODY
from incident_tool.core import wording
from incident_tool.core.sensitive_move import marker_key
from tests.e2e.test_public_repository import SECRET, TICKED, body_edits, github_requests
from tests.world import REPO, World, make_world

PRIVATE = "wellcome/incidents-private"
KEEPER = "keeper"


def _seed(world: World, *, token: bool = True, private: bool = True, access: bool = True) -> None:
    gh = world.gh
    gh.add_repo(PRIVATE, private=private)
    gh.add_user(KEEPER)
    if access:
        gh.add_collaborator(PRIVATE, KEEPER, "write")
    world.write_config(sensitive={"repository": PRIVATE})
    if token:
        world.driver.env["SENSITIVE_TOKEN"] = gh.user(KEEPER).token or ""


def _moved(world: World) -> list[dict]:
    return world.gh.issues(PRIVATE)


def _public_texts(world: World, n: int) -> str:
    """Everything anyone can read of the public issue: its title, body and comments (the
    status comment, the record, among them)."""
    issue = world.issue(n)
    return "\n".join(
        [issue["title"], issue["body"], *(c["body"] for c in world.gh.comments(REPO, n))]
    )


def _to_private(made: list) -> list:
    return [r for r in made if r.path.startswith(f"/repos/{PRIVATE}")]


def test_the_text_moves_to_the_private_repository_and_the_public_issue_keeps_a_stub(world):
    _seed(world)
    before = len(world.sb.requests)
    n = world.report("Leaked keys", body=TICKED, by="rita")
    made = github_requests(world, before)

    [moved] = _moved(world)
    assert moved["user"]["login"] == KEEPER
    assert moved["title"] == "Sensitive report: Leaked keys"
    assert wording.marker(marker_key(REPO, n)) in moved["body"]
    assert world.issue(n)["html_url"] in moved["body"]  # a link back
    # The text, inert: no live link, no HTML.
    assert (
        "AKIA&lt;SECRET&gt;&amp;co leaked in &lt;`https://evil.example`|a paste&gt;"
        in (moved["body"])
    )
    body = world.issue(n)["body"]
    assert body.startswith(wording.BODY_MOVED_TO_REPOSITORY)
    assert "- [x] This involves security or personal data" in body  # the form's choices
    # Nothing of the text, the private repository or its issue in what the public reads.
    public = _public_texts(world, n)
    assert "AKIA" not in public and "evil.example" not in public
    assert PRIVATE not in public and "incidents-private" not in public
    assert moved["html_url"] not in public
    assert "moved to the private repository" in world.status(n)["body"]
    assert body_edits(made, n) == 1

    # The cost: one GET of the private repository (the fact), the token's login (GraphQL),
    # its issues there since the report (one GET), the issue (one POST).
    private_calls = sorted((r.method, r.path) for r in _to_private(made))
    assert private_calls == [
        ("GET", f"/repos/{PRIVATE}"),
        ("GET", f"/repos/{PRIVATE}/issues"),  # the token's own issues since the report
        ("POST", f"/repos/{PRIVATE}/issues"),
    ]
    graphql = [r for r in made if r.path == "/graphql" and "viewer" in str(r.body)]
    assert len(graphql) == 1

    # Declared: the private channel gets the link, which nothing public holds.
    world.declare(n)
    channel = world.incident_channel(n)
    assert channel["is_private"]
    texts = "\n".join(world.slack_texts(channel["id"]))
    assert moved["html_url"] in texts and "AKIA" not in texts
    assert len(_moved(world)) == 1
    assert PRIVATE not in _public_texts(world, n)


def test_a_run_that_failed_after_opening_the_private_issue_does_not_open_a_second(world):
    _seed(world)
    world.sb.faults.add("github", "PATCH", rf"^/repos/{REPO}/issues/\d+$", status=422)
    n = world.gh.open_issue(REPO, "rita", "Leaked keys", TICKED, labels=["incident:reported"])[
        "number"
    ]
    # The run opens the private issue and fails on the stub's write (its record saved).
    codes = [code for code, _ in world.driver.deliver()]
    assert codes[0] == 1 and not any(codes[1:]), codes
    assert len(_moved(world)) == 1
    # The next run (another event of the report's, or this comment's) finds that issue by
    # its marker and writes the stub.
    world.say(n, "dana", "Looking at it")
    assert len(_moved(world)) == 1
    assert world.issue(n)["body"].startswith(wording.BODY_MOVED_TO_REPOSITORY)
    world.declare(n)
    world.say(n, "dana", "Looking at it")
    assert len(_moved(world)) == 1
    assert "AKIA" not in _public_texts(world, n)


def test_an_issue_with_the_marker_by_someone_else_is_not_believed(world):
    _seed(world)
    world.gh.add_collaborator(PRIVATE, "olly", "write")
    n = world.gh.open_issue(REPO, "rita", "Leaked keys", TICKED, labels=["incident:reported"])[
        "number"
    ]
    # Opened in the same second as the report, before any run: a forgery with the marker.
    world.gh.open_issue(PRIVATE, "olly", "Sensitive report", wording.marker(marker_key(REPO, n)))
    world.deliver()

    mine = [i for i in _moved(world) if i["user"]["login"] == KEEPER]
    assert len(mine) == 1 and "AKIA" in mine[0]["body"]


def test_without_the_token_the_text_goes_to_the_private_channel_and_the_record_says_why(world):
    _seed(world, token=False)
    n = world.report("Leaked keys", body=TICKED, by="rita")

    assert _moved(world) == []
    assert world.issue(n)["body"].startswith(wording.BODY_MOVED)  # as without the key
    status = world.status(n)["body"]
    assert "SENSITIVE_TOKEN is not set" in status
    assert PRIVATE not in status and "AKIA" not in status
    assert "SENSITIVE_TOKEN is not set" in world.driver.log  # the job log, once
    assert world.driver.log.count("SENSITIVE_TOKEN is not set") == 1


def test_a_token_that_cannot_reach_the_private_repository_falls_back(world):
    _seed(world, access=False)
    n = world.report("Leaked keys", body=TICKED, by="rita")

    assert _moved(world) == []
    assert world.issue(n)["body"].startswith(wording.BODY_MOVED)
    status = world.status(n)["body"]
    assert "SENSITIVE_TOKEN cannot reach it" in status and PRIVATE not in status
    token = world.driver.env["SENSITIVE_TOKEN"]
    assert token not in status and token not in world.driver.log


def test_a_public_target_is_not_used(world_without_slack):
    world = world_without_slack
    _seed(world, private=False)
    n = world.report("Leaked keys", body=TICKED, by="rita")

    assert _moved(world) == []
    assert world.issue(n)["body"].startswith(wording.BODY_REMOVED)
    assert "it is public, not private" in world.status(n)["body"]


def test_a_token_that_may_not_open_issues_there_still_hides_the_text(world):
    _seed(world)
    # GitHub answers 404 to a token that may not write there (a fine-grained token without
    # issues: write on it).
    world.sb.faults.add("github", "POST", rf"^/repos/{PRIVATE}/issues$", status=404)
    n = world.report("Leaked keys", body=TICKED, by="rita")

    assert _moved(world) == []
    assert world.issue(n)["body"].startswith(wording.BODY_REMOVED)
    status = world.status(n)["body"]
    assert "not moved to the private repository" in status and "AKIA" not in status


def test_an_ordinary_report_asks_nothing_of_the_private_repository(world):
    _seed(world)
    before = len(world.sb.requests)
    n = world.report("Search returns nothing", by="rita")
    world.declare(n)
    made = github_requests(world, before)

    assert _to_private(made) == []
    assert not [r for r in made if r.path == "/graphql" and "viewer" in str(r.body)]


def test_a_private_incidents_repository_moves_nothing(world):
    _seed(world)
    world.gh.repo(REPO).private = True
    n = world.report("Leaked keys", body=TICKED, by="rita")

    assert world.issue(n)["body"] == TICKED  # the text stays where it is
    assert SECRET in world.issue(n)["body"]
    assert _moved(world) == []


def _requests_of_a_report(tmp_path, name: str, *, key: bool, body: str) -> tuple[int, int]:
    """GitHub requests made by a report's runs, then by its declaration's."""
    sb, world = make_world(tmp_path / name)
    try:
        if key:
            _seed(world)
        before = len(world.sb.requests)
        n = world.report("Leaked keys", body=body, by="rita")
        reported = len(github_requests(world, before))
        before = len(world.sb.requests)
        world.declare(n)
        return reported, len(github_requests(world, before))
    finally:
        sb.close()


def test_what_the_move_costs_measured(tmp_path):
    """docs/security.md#a-public-repository: 4 GitHub requests more for a sensitive report
    (the private repository's GET, the token's viewer, its issues there, the new issue), in
    the run that first sees it; none more for an ordinary one, nor for the declaration."""
    without = _requests_of_a_report(tmp_path, "a", key=False, body=TICKED)
    moved = _requests_of_a_report(tmp_path, "b", key=True, body=TICKED)
    assert moved[0] - without[0] == 4 and moved[1] == without[1], (without, moved)
    plain = _requests_of_a_report(tmp_path, "c", key=False, body=REPORT_BODY)
    plain_with_key = _requests_of_a_report(tmp_path, "d", key=True, body=REPORT_BODY)
    assert plain == plain_with_key, (plain, plain_with_key)
    print(f"sensitive {without} -> {moved}; ordinary {plain} -> {plain_with_key}")
