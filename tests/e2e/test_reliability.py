"""Reliability on the worst day: faults, bad input, and nothing lost or doubled
(docs/measured.md#measured)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.world import REPO, World, elsewhere, make_world


def lifecycle(world: World) -> int:
    n = world.report()
    world.declare(n)
    world.say(n, "lee", "/join")
    world.say(n, "priya", "/handover @lee")
    world.say(n, "lee", "/update rolled back")
    world.say(n, "lee", "a plain comment, mirrored")
    world.say(n, "dana", "/comms recovering")
    world.say(n, "lee", "/mitigated")
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver()
    return n


@pytest.fixture
def no_waiting(monkeypatch):
    """Record the retry waits instead of sleeping them, so the campaign runs in seconds."""
    import slack_sdk.http_retry.builtin_handlers as slack_handlers
    import urllib3.util.retry as urllib3_retry

    import incident_tool.effects.github as github_module

    waits: list[tuple[str, float]] = []

    class Clock:
        def __init__(self, name: str, real) -> None:
            self.name, self.real = name, real

        def sleep(self, seconds: float) -> None:
            waits.append((self.name, seconds))

        def __getattr__(self, attr: str):
            return getattr(self.real, attr)

    import time

    monkeypatch.setattr(slack_handlers, "time", Clock("slack", time))
    monkeypatch.setattr(urllib3_retry, "time", Clock("github-retry", time))
    monkeypatch.setattr(github_module, "time", Clock("github-check", time))
    return waits


def test_fault_campaign_ends_in_the_clean_state(tmp_path, no_waiting, capsys):
    clean_sb, clean = make_world(tmp_path / "clean")
    faulty_sb, faulty = make_world(tmp_path / "faulty")
    try:
        expected = clean.snapshot(lifecycle(clean))
        for method in ("POST", "PATCH", "PUT", "DELETE"):
            faulty_sb.faults.add("github", method=method, status=502, times=None, alternate=True)
        faulty_sb.faults.add("slack", status=429, retry_after=1, times=None, alternate=True)
        got = faulty.snapshot(lifecycle(faulty))
        diff = {k: (expected[k], got[k]) for k in expected if expected[k] != got[k]}
        with capsys.disabled():
            print(
                f"\nfault campaign: {faulty_sb.faults.injected} faults injected, "
                f"{len(no_waiting)} retries "
                f"({sum(1 for w in no_waiting if w[0] == 'slack')} Slack, "
                f"{sum(1 for w in no_waiting if w[0] != 'slack')} GitHub), "
                f"final-state diff: {len(diff)}"
            )
        assert faulty_sb.faults.injected > 20
        assert all(seconds >= 1 for name, seconds in no_waiting if name == "slack")
        assert diff == {}
        assert got["retrospectives"] == 1 and got["channels"] == 1
        assert not faulty_sb.violations
    finally:
        clean_sb.close()
        faulty_sb.close()


def test_a_write_that_landed_but_failed_is_not_repeated(world, no_waiting):
    """A 502 after the comment was stored (a timeout after commit) must not double it."""
    n = world.report()
    world.declare(n)
    world.sb.faults.add(
        "github", method="POST", path=r"/issues/\d+/comments$", status=502, perform_write=True
    )
    world.say(n, "lee", "/frobnicate")
    replies = [c for c in world.bot_comments(n) if "Unknown command" in c["body"]]
    assert len(replies) == 1


def test_persistent_github_failure_is_one_clear_line(world, no_waiting):
    n = world.report()
    world.sb.faults.add("github", method="PATCH", status=503, times=None)
    world.gh.add_label(REPO, n, "dana", "incident:declared")
    [(code, output)] = world.driver.deliver()
    assert code == 1 and "GitHub kept failing" in output and "503" in output
    assert "Traceback" not in output
    world.sb.faults.clear()
    world.say(n, "dana", "/status")  # the next event finishes the job
    assert world.assignees(n) == ["priya"]


def test_deleted_issue_and_expired_token_are_clear(world):
    n = world.report()
    world.sb.faults.add("github", method="GET", path=rf"/issues/{n}$", status=404, times=None)
    world.gh.comment(REPO, n, "lee", "/join")
    [(code, output)] = world.driver.deliver()
    assert code == 1 and "404" in output and "deleted issue" in output
    world.sb.faults.clear()
    world.driver.env["GITHUB_TOKEN"] = "ghs_expired0000000000000000000000000000"
    world.gh.comment(REPO, n, "lee", "/join")
    [(code, output)] = world.driver.deliver()
    assert code == 1 and "401" in output and "invalid or expired" in output
    assert "ghs_expired" not in output


def test_state_label_deleted_from_the_repo_is_recreated(world):
    n = world.report()
    import requests

    response = requests.delete(
        f"{world.sb.github_url}/repos/{REPO}/labels/incident:declared",
        headers={"Authorization": f"token {world.team['tokens']['dana']}"},
        timeout=5,
    )
    assert response.status_code == 204
    world.say(n, "dana", "/status")
    world.gh.comment(REPO, n, "dana", "/dismiss")  # refused: needs a reason
    world.deliver()
    assert world.state_labels(n) == ["incident:reported"]
    # Declared by hand via the API (the label is created again by adding it):
    requests.post(
        f"{world.sb.github_url}/repos/{REPO}/issues/{n}/labels",
        json={"labels": ["incident:declared"]},
        headers={"Authorization": f"token {world.team['tokens']['dana']}"},
        timeout=5,
    )
    world.deliver()
    assert world.state_labels(n) == ["incident:declared"]


@pytest.mark.parametrize(
    "title",
    ["🔥🔥 search down 🔥", "البحث لا يعمل", "\u202eevil title", "tab\tand\x00nul", "x" * 250],
)
def test_odd_titles_work_end_to_end(world, title):
    n = world.report(title=title)
    world.declare(n)
    channel = world.incident_channel(n)
    assert channel["name"].startswith(f"incident-{n}")
    assert world.state_labels(n) == ["incident:declared"]


def test_huge_and_binary_comments(world):
    n = world.report()
    world.declare(n)
    world.say(n, "priya", "/update " + "long text " * 6500)  # 65k characters
    world.say(n, "priya", "/update with a \x00 NUL byte")
    world.say(n, "lee", "x" * 65000)
    record = world.record(n)
    updates = [e.text for e in record.timeline if e.kind == "update"]
    assert len(updates) == 2 and len(updates[0]) <= 4000
    assert len(world.status(n)["body"]) < 65536


def test_bot_responder_is_never_lead(world):
    world.write_config(responders=["dependabot[bot]", "lee"])
    n = world.report()
    world.declare(n)
    assert world.assignees(n) == ["lee"]


def test_config_with_wrong_types_is_exit_2(world):
    (world.root / ".github" / "incident.yml").write_text(json.dumps({"responders": {"a": 1}}))
    n = world.gh.open_issue(REPO, "rita", "x", "", labels=["incident:reported"])["number"]
    for code, output in world.driver.deliver():
        assert code == 2 and "`responders`" in output and ".github/incident.yml" in output
    assert world.bot_comments(n) == []


def test_a_long_incident_reads_only_what_it_needs(world):
    n = world.report()
    world.declare(n)
    for i in range(250):
        world.gh.comment(REPO, n, "lee", f"note {i}")
    world.gh.take_events()
    world.clock.now += timedelta(hours=1)
    world.say(n, "priya", "/update still here")  # reads all 250 notes once
    world.clock.now += timedelta(hours=1)
    world.sb.reset_log()
    world.say(n, "priya", "/update and again")
    gets = [r for r in world.sb.requests if r.method == "GET" and r.path.endswith("/comments")]
    assert len(gets) == 2, [(r.path, r.query) for r in gets]  # first page + since the last run
    assert any("since" in r.query for r in gets)
    updates = [e.text for e in world.record(n).timeline if e.kind == "update"]
    assert updates == ["still here", "and again"]
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver()
    world.gh.reopen_issue(REPO, n, "dana")
    world.deliver()
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver()
    links = [c for c in world.bot_comments(n) if "incident-tool:retro-link" in c["body"]]
    assert len(links) == 1 and len(world.retrospectives()) == 1


@pytest.mark.parametrize("overlap", ["while deciding", "while acting"])
def test_two_runs_at_once(world, monkeypatch, overlap):
    """`sweep` and `handle` are in different concurrency groups and may overlap.

    Another run finishing while this one decides: this one starts again from its record,
    so nothing is lost or doubled. While this one acts (a fraction of a second): nothing
    is lost and nothing on GitHub doubled; a Slack message can be (there is no lock).
    """
    import incident_tool.app as run_module
    import incident_tool.core.decide as deciding

    n = world.report()
    world.declare(n)
    world.say(n, "priya", "/update one", deliver=False)
    world.say(n, "lee", "/join", deliver=False)
    first, second = world.gh.take_events()
    deciding_too = overlap == "while deciding"
    module, hook = (deciding, "reconcile_labels") if deciding_too else (run_module, "issue_writes")
    real = getattr(module, hook)
    overlapped = []

    def another_run_finishes_meanwhile(*args, **kwargs):
        if not overlapped:
            overlapped.append(True)
            elsewhere(lambda: world.driver.deliver([second]))
        return real(*args, **kwargs)

    monkeypatch.setattr(module, hook, another_run_finishes_meanwhile)
    [(code, output)] = world.driver.deliver([first])
    assert code == 0, output
    assert ("starting again from the new record" in output) == (overlap == "while deciding")
    record = world.record(n)
    assert [e.kind for e in record.timeline].count("update") == 1
    assert record.helping == ["lee"]
    for comment in world.gh.comments(REPO, n):
        assert len(world.gh.reactions(comment["id"])) <= 1
    channel = world.incident_channel(n)["id"]
    texts = [m["text"] for m in world.sl.messages(channel)]
    updates = sum("Update from" in t for t in texts)
    assert updates == 1 if overlap == "while deciding" else 1 <= updates <= 2
