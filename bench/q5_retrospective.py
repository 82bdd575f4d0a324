"""Question 5: the retrospective of a big incident."""

from __future__ import annotations

import datetime as dt
import math
import statistics
import time
from typing import Any

from lab import (
    REPO,
    Lab,
    Report,
    outcome,
    secs,
    verdict,
)

# ------------------------------------------------- section 5: a big retrospective


def seed_big_incident(
    lab: Lab, n_comments: int, n_events: int, n_messages: int, every: tuple[int, int] = (10, 20)
) -> tuple[int, dict[str, Any]]:
    """An incident with `n_comments` comments: one in every[0] an /update, one in every[1] an
    /action, the rest plain text; `n_events` issue events; `n_messages` in its channel."""
    every_update, every_action = every
    gh, sl = lab.gh, lab.sl
    # The incident happened yesterday (sandbox clock); the catch-up run and the timed runs
    # happen now, as they would on a long incident.
    lab.clock.offset = -dt.timedelta(days=1)
    number = lab.report()
    lab.declare(number)
    seed: dict[str, Any] = {}
    started = time.perf_counter()
    for _ in range(n_events // 2):  # 500 timeline events: a label added and removed
        gh.add_label(REPO, number, "dana", "bug")
        gh.remove_label(REPO, number, "dana", "bug")
    gh.take_events()
    channel = lab.channel_of(number)
    people = [lab.slack_ids[x] for x in ("dana", "priya", "lee", "sam", "rita")]
    for i in range(n_messages):
        sl.post_as_user(
            channel,
            people[i % len(people)],
            f"Slack message {i}: checked shard {i % 17}, " + "y" * 60,
        )
    talkers = ["lee", "rita", "sam", "dana"]
    commands = 0
    for i in range(n_comments):
        if i % every_update == 0:
            who, body = (
                "priya",
                f"/update step {i}: rebuilt index shard {i % 17}; watching error rates",
            )
            commands += 1
        elif i % every_action == 5:
            who, body = "dana", f"/action follow-up {i}: add an alert for shard {i % 17}"
            commands += 1
        else:
            who, body = talkers[i % 4], f"Comment {i}: looked at the dashboards, " + "z" * 150
        gh.comment(REPO, number, who, body)
    events = gh.take_events()
    seed["seed_time"] = time.perf_counter() - started
    seed["commands"] = commands
    # Catch up once (in real life each comment had its own run): one run carries out every
    # command and mirrors every plain comment. Untimed for the table, reported alongside.
    name, payload = events[-1]
    lab.clock.offset = dt.timedelta(0)
    seed["catch_up"] = lab.run_inprocess(name, payload)  # a failure is reported, not raised
    return number, seed


def status_size_table(rep: Report) -> None:
    """The status comment's length against the number of timeline entries (pure rendering)."""
    from incident_tool.config import Config
    from incident_tool.core.record import Entry, Record, iso
    from incident_tool.core.states import State
    from incident_tool.core.status import render

    now = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.timezone.utc)

    def record(k: int, actions: int) -> Record:
        r = Record(
            state=State.DECLARED,
            leads=["priya"],
            channel_id="C0SB00003",
            channel_name="incident-1-search",
        )
        for i in range(k):
            r.timeline.append(
                Entry(
                    iso(now + dt.timedelta(minutes=i)),
                    "update",
                    "priya",
                    f"step {i}: rebuilt index shard {i % 17}; watching error rates",
                    f"#issuecomment-{3000000 + i}",
                )
            )
        # Actions are timeline entries; Slack history is no longer kept in the record.
        r.timeline += [
            Entry(iso(now), "action", "dana", f"follow-up {i}: add an alert")
            for i in range(actions)
        ]
        return r

    rows = []
    for k in (100, 150, 200, 250, 300, 500, 2000):
        cells = [f"{k}"]
        for actions in (0, k // 2):
            size = len(render(record(k, actions), Config(), repo=REPO, updated=now))
            cells.append(f"{size:,}" + ("" if size <= 65536 else " ❌"))
        rows.append(cells)
    rep.add(
        "The status comment's length as the timeline grows (`status.render` alone, after its "
        "own trimming; ❌: over GitHub's 65,536, so the PATCH fails with 422 and the run exits 1):"
    )
    rep.add("")
    rep.table(
        [
            "timeline entries (/update, 60-char text)",
            "alone",
            "+ k/2 actions",
        ],
        rows,
    )


MIXES = {
    "light": ((40, 80), "1 comment in 40 an `/update`, 1 in 80 an `/action`, the rest plain text"),
    "heavy": ((10, 20), "1 comment in 10 an `/update`, 1 in 20 an `/action`, the rest plain text"),
}


def section5(rep: Report, quick: bool) -> dict[str, Any]:
    sizes = (50, 100, 200) if quick else (250, 1000, 2000)
    n_events, n_messages = (100, 200) if quick else (500, 1000)
    rep.section(
        f"5. Retrospective of a big incident ({n_events} issue events, {n_messages:,} Slack "
        f"messages, N comments)"
    )
    facts: dict[str, Any] = {}
    for mix, repeats in (("light", 1 if quick else 3), ("heavy", 1)):
        facts[mix] = big_incident(rep, quick, mix, repeats, sizes, n_events, n_messages)
    status_size_table(rep)
    return facts


def big_incident(
    rep: Report,
    quick: bool,
    mix: str,
    repeats: int,
    sizes: tuple[int, ...],
    n_events: int,
    n_messages: int,
) -> dict[str, Any]:
    every, words = MIXES[mix]
    rep.add(f"### {mix.capitalize()} mix: {words}")
    rep.add("")
    rows, update_rows, catch_rows, retro_notes = [], [], [], []
    facts: dict[str, Any] = {}
    for n in sizes:
        with Lab() as lab:
            # `repeats` identical incidents, so each timed run can be repeated on a fresh one.
            seeded = [
                seed_big_incident(lab, n, n_events, n_messages, every) for _ in range(repeats)
            ]
            number = seeded[0][0]
            total_comments = len(lab.gh.comments(REPO, number))
            channel = lab.channel_of(number)
            messages = len(lab.sl.messages(channel))
            # /update on the big issue: every run reads all comments.
            updates = []
            for num, _ in seeded:
                lab.gh.comment(REPO, num, "priya", "/update shards all green again")
                updates.append(lab.run_subprocess(*lab.one_event()))
            upd = updates[0]
            upd_pages = sum(
                1 for r in upd.reqs if r.method == "GET" and r.path.endswith("/comments")
            )
            closes = []
            for num, _ in seeded:
                lab.gh.close_issue(REPO, num, "dana", reason="completed")
                closes.append(lab.run_subprocess(*lab.one_event()))
            close = closes[0]
            retros = [i for i in lab.gh.issues(REPO) if i["title"].startswith("Retrospective:")]
            body = next((i["body"] for i in retros if f"(#{number})" in i["title"]), "")
            pages = sum(1 for r in close.reqs if r.method == "GET" and r.path.endswith("/comments"))
            history = sum(1 for r in close.reqs if r.path.endswith("conversations.history"))
            sandbox_time = statistics.median(sum(r.elapsed for r in c.reqs) for c in closes)
            comments_now = len(lab.gh.comments(REPO, number))
            close_wall = statistics.median(c.wall for c in closes)
            upd_wall = statistics.median(u.wall for u in updates)
            rows.append(
                [
                    f"{n:,}",
                    f"{comments_now:,}",
                    f"{pages} ({math.ceil(total_comments / 100)} / "
                    f"{1 if total_comments <= 100 else 2})",
                    f"{messages:,}",
                    f"{history} ({math.ceil(messages / 200)} at 200, "
                    f"{math.ceil(messages / 999)} at 999)",
                    f"{close.counts.gh} + {close.counts.slack}",
                    outcome(closes),
                    secs(close_wall),
                    secs(sandbox_time),
                    f"{max(c.maxrss_kb for c in closes) / 1024:.0f} MB",
                ]
            )
            has_actions = "## Action items" in body and "- [ ] follow-up" in body
            status_len = max(
                (
                    len(c["body"])
                    for c in lab.gh.comments(REPO, number)
                    if "incident-tool:status" in c["body"]
                ),
                default=0,
            )
            attempted = [
                len((x.body or {}).get("body", ""))
                for c in closes
                for x in c.reqs
                if x.method == "PATCH"
                and "/issues/comments/" in x.path
                and isinstance(x.body, dict)
            ]
            retro_notes.append(
                [
                    f"{n:,}",
                    f"{status_len:,} / {max(attempted, default=0):,}",
                    f"{len(body):,}" if body else "**not written**",
                    "yes" if len(body) >= 65000 else "no",
                    "yes" if "## What went well" in body else "**no**",
                    "yes" if has_actions else "**no**",
                ]
            )
            update_rows.append(
                [
                    f"{n:,}",
                    f"{upd_pages} ({math.ceil((total_comments + 1) / 100)} / "
                    f"{1 if total_comments < 100 else 2})",
                    f"{upd.counts.gh} + {upd.counts.slack}",
                    outcome(updates),
                    secs(upd_wall),
                    f"{max(u.maxrss_kb for u in updates) / 1024:.0f} MB",
                ]
            )
            seed = seeded[0][1]
            cu = seed["catch_up"]
            catch_rows.append(
                [
                    f"{n:,}",
                    seed["commands"],
                    f"{cu.counts.gh} + {cu.counts.slack}",
                    outcome([s["catch_up"] for _, s in seeded]),
                    secs(statistics.median(s["catch_up"].wall for _, s in seeded)),
                    secs(seed["seed_time"]),
                ]
            )
            facts[n] = close_wall
            facts.setdefault("failed", []).extend(
                f"N={n:,} {what}"
                for what, runs_ in (
                    ("catch-up", [s["catch_up"] for _, s in seeded]),
                    ("/update", updates),
                    ("close", closes),
                )
                if any(r.rc for r in runs_)
            )
            facts.setdefault("pages", []).append(
                (pages, math.ceil(total_comments / 100), 1 if total_comments <= 100 else 2)
            )
            facts[f"update:{n}"] = upd_wall
            facts[f"retro:{n}"] = (len(body), has_actions)
            print(
                f"  … {mix} N={n:,}: close {secs(close_wall)}, /update {secs(upd_wall)} "
                f"(median of {repeats})",
                flush=True,
            )
    rep.add(
        f"Close as completed (→ retrospective), `python -m incident_tool handle` in a subprocess; "
        f"median of {repeats} identical incidents. Comment pages in brackets: GitHub pages of all "
        "comments at 100 per page / the first page plus one page of comments since the last run "
        "(the incident's history dates from yesterday on the sandbox clock; the runs are now). "
        "History pages in brackets: at the tool's 200 per page and at Slack's maximum 999. "
        "The channel holds the "
        "seeded messages plus the tool's own (each mirrored comment is a bot message). "
        "'of which sandbox' is the time the double spent answering (same machine)."
    )
    rep.add("")
    rep.table(
        [
            "N seeded",
            "comments on the issue",
            "comment pages read (all / first + since)",
            "channel messages",
            "history pages (needed)",
            "requests GitHub + Slack",
            "exit",
            "wall time",
            "of which sandbox",
            "peak RSS",
        ],
        rows,
    )
    big = sizes[-1]
    facts["sizes"] = sizes
    a, b, c = sizes
    first = (facts[b] - facts[a]) / (b - a) * 1000
    second = (facts[c] - facts[b]) / (c - b) * 1000
    facts["slopes"] = (first, second)
    rep.add(
        f"Growth of the close run: {first * 1000:.0f} ms per 1,000 comments from {a:,} to {b:,}, "
        f"{second * 1000:.0f} ms per 1,000 from {b:,} to {c:,} "
        "(linear growth: the two about equal). "
        f"Target < 10 s at {big:,}: {verdict(facts[big] < 10)}."
    )
    rep.add("")
    rep.add(
        "What was written (GitHub's body limit is 65,536 characters; the tool aims at 60,000 "
        "for the status comment and cuts the retrospective at 65,000):"
    )
    rep.add("")
    rep.table(
        [
            "N seeded",
            "status comment: stored / largest PATCH tried",
            "retrospective body",
            "cut at 65,000",
            "'What went well' present",
            "action-item checklist present",
        ],
        retro_notes,
    )
    rep.add(
        "A `/update` comment on the same issue (does a run read every comment? pages as above):"
    )
    rep.add("")
    rep.table(
        [
            "N seeded",
            "comment pages read (all / first + since)",
            "requests GitHub + Slack",
            "exit",
            "wall time",
            "peak RSS",
        ],
        update_rows,
    )
    rep.add(
        "Seeding (untimed above): the comments were carried out by one catch-up run, as a run "
        "after a cancelled queue would; in real life each had its own run."
    )
    rep.add("")
    rep.table(
        [
            "N seeded",
            "commands among them",
            "catch-up requests GitHub + Slack",
            "exit",
            "catch-up run (in-process)",
            "seeding via sandbox API",
        ],
        catch_rows,
    )
    return facts
