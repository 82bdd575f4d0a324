"""Question 2: PyGithub's throttle: listing 2,000 comments four ways; a run throttled or not."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from lab import (
    REPO,
    Lab,
    Report,
    check,
    patched,
    secs,
)

# ------------------------------------------------------------ section 2: the throttle


def section2(rep: Report, quick: bool) -> dict[str, Any]:
    import requests
    from github import Auth, Github

    import incident_tool.effects.github as ghmod

    n_comments = 300 if quick else 2000
    rep.section(f"2. PyGithub's throttle: listing {n_comments:,} comments of one issue")
    facts: dict[str, Any] = {}
    with Lab() as lab:
        gh, sb = lab.gh, lab.sb
        token, url = gh.bot_token, sb.github_url
        number = gh.open_issue(REPO, "rita", "Many comments", "body")["number"]
        gh.take_events()
        for i in range(n_comments):
            gh.comment(REPO, number, gh.bot_login, f"comment {i}: " + "x" * 80)

        def pygithub(make: Callable[[], Any]) -> int:
            client = make()
            issue = client.get_repo(REPO).get_issue(number)
            issue.complete()  # what Gateway.issue does; a no-op for a non-lazy client
            return len(list(issue.get_comments()))

        def raw() -> int:
            session = requests.Session()
            session.headers.update(
                {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"}
            )
            session.get(f"{url}/repos/{REPO}/issues/{number}").raise_for_status()
            next_url: str | None = f"{url}/repos/{REPO}/issues/{number}/comments?per_page=100"
            got = 0
            while next_url:
                resp = session.get(next_url)
                resp.raise_for_status()
                got += len(resp.json())
                next_url = resp.links.get("next", {}).get("url")
            return got

        variants = [
            (
                "PyGithub defaults (0.25 s between requests, 1 s between writes, per_page 30)",
                lambda: pygithub(lambda: Github(auth=Auth.Token(token), base_url=url)),
            ),
            (
                "PyGithub defaults + per_page=100",
                lambda: pygithub(
                    lambda: Github(auth=Auth.Token(token), base_url=url, per_page=100)
                ),
            ),
            (
                "`incident_tool.effects.github.client()` (no pause for reads, per_page 100)",
                lambda: pygithub(lambda: ghmod.client(token, url)),
            ),
            ("raw `requests`, following `Link: rel=next`, per_page 100", raw),
        ]
        rows = []
        for label, func in variants:
            sb.reset_log()
            started = time.perf_counter()
            got = func()
            wall = time.perf_counter() - started
            reqs = sb.requests
            assert got == n_comments, (label, got)
            rows.append([label, len(reqs), secs(wall)])
            facts[label] = wall
        rep.add(
            "Each figure: a new client, GET the issue, then list all its comments (what every "
            "`handle` run does). Issue #7 quotes 17 s / 5 s / 0.25 s on its machine for the "
            "first three."
        )
        rep.add("")
        rep.table(["client", "requests", "wall time"], rows)

        # A handle run throttled as PyGithub does by default, and as the tool configures it.
        def default_client(
            token: str | None, base_url: str | None = None, *, bulk: bool = False
        ) -> Any:
            return Github(
                auth=Auth.Token(token) if token else None,
                base_url=(base_url or ghmod.DEFAULT_API_URL).rstrip("/"),
            )

        def throttled_only(
            token: str | None, base_url: str | None = None, *, bulk: bool = False
        ) -> Any:
            client = ORIGINAL_CLIENT(token, base_url, bulk=bulk)
            requester = client.requester
            requester._Requester__seconds_between_requests = 0.25  # PyGithub's default
            requester._Requester__seconds_between_writes = 1.0
            return client

        ORIGINAL_CLIENT = ghmod.client
        clients = [
            ("PyGithub defaults (`Github(auth, base_url)`)", default_client),
            ("the tool's `client()` with PyGithub's default pauses put back", throttled_only),
            ("the tool's `client()`", ORIGINAL_CLIENT),
        ]
        rows = []
        for label, make in clients:
            with patched(ghmod, "client", make):
                n1 = lab.report()
                gh.add_label(REPO, n1, "dana", "incident:declared")
                declare = lab.run_inprocess(*lab.one_event())
                check([declare], "declare")
                gh.close_issue(REPO, n1, "dana", reason="completed")
                close = lab.run_inprocess(*lab.one_event())
                check([close], "close")
            rows.append(
                [
                    label,
                    f"{declare.counts.gh} ({declare.counts.gh_writes} writes)",
                    secs(declare.wall),
                    f"{close.counts.gh} ({close.counts.gh_writes} writes)",
                    secs(close.wall),
                ]
            )
            facts[f"handle:{label}"] = (declare.wall, close.wall)
        rep.add("A whole `handle` run (in-process, Slack on) with each client:")
        rep.add("")
        rep.table(
            [
                "GitHub client",
                "declare: GitHub requests",
                "declare wall",
                "close+retro: GitHub requests",
                "close+retro wall",
            ],
            rows,
        )
    return facts
