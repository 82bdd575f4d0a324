"""Question 1: HTTP requests per event (GitHub/Slack, reads/writes) vs a hand-reasoned minimum."""

from __future__ import annotations

from typing import Any

from lab import (
    REPO,
    REPORT_BODY,
    TITLE,
    Counts,
    Lab,
    Report,
    RunResult,
    ms,
    repeated,
    slack_method,
    verdict,
)

# ------------------------------------------------------------ section 1: requests/event

# The fewest requests a careful hand-written sequence needs for each step of the scenario
# below (demo team: dana delivery manager; responders sam (away on Slack), priya (Slack by
# email), lee; rita reports; announce channel configured by name). Every handled event needs
# GET issue (fresh labels/state: events can be dropped or queued) and one page of comments
# (the record and any command it has not seen), and one PATCH of the status comment to
# persist what it saw. A channel configured by name is resolved (conversations.list) once and
# its id kept in the record. Numbers are (GitHub, Slack).
MINIMUM: dict[str, tuple[int, int, str]] = {
    "report": (
        5,
        1,
        "the form's `issues.labeled incident:reported` (incident.yml does not listen to "
        "`opened`): GET issue, GET comments; POST label severity:3 (form guess), POST comment "
        "mentioning the delivery managers, POST status comment (4 if the status comment "
        "carried the mention) · Slack: DM dana",
    ),
    "declare": (
        8,
        14,
        "GET issue, GET comments, 1 GraphQL busy query, GET assignees/priya, PATCH assignees, "
        "POST ask to acknowledge, DELETE incident:reported, PATCH status · Slack: "
        "users.profile.get sam, getPresence sam (away: stop), lookupByEmail priya (brings her "
        "status), getPresence priya, dnd.info priya (available: stop), conversations.create, "
        "lookupByEmail rita, 1 conversations.invite, post report, post ask, DM ask, "
        "conversations.list (announce channel is a name), post announcement, setTopic "
        "(setPurpose optional: +1)",
    ),
    "/join": (
        4,
        2,
        "2 reads, 👍, PATCH status (lee is a responder: no permission read) · Slack: invite, post",
    ),
    "/handover @lee": (
        7,
        7,
        "2 reads, GET assignees/lee, PATCH assignees, POST ask to acknowledge, 👍, PATCH status · "
        "Slack: lookupByEmail priya (mentioned), post channel, post announce (its id kept in the "
        "record since the declare), invite lee, post ask, DM ask, setTopic",
    ),
    "/update": (4, 1, "2 reads, 👍, PATCH status · Slack: post"),
    "/mitigated": (
        6,
        2,
        "2 reads, 👍, POST incident:mitigated, DELETE incident:declared, PATCH status · Slack: "
        "post, setTopic",
    ),
    "/severity 2": (
        6,
        1,
        "2 reads, 👍, POST severity:2, DELETE severity:3, PATCH status · Slack: post (announced)",
    ),
    "/action": (
        4,
        0,
        "2 reads, 👍, PATCH status · Slack: nothing required (docs/usage.md#commands)",
    ),
    "/comms": (
        4,
        2,
        "2 reads, 👍, PATCH status · Slack: conversations.list (stakeholder channel is a name), "
        "post to it",
    ),
    "/resolved-when": (
        4,
        1,
        "2 reads, 👍, PATCH status · Slack: setTopic (docs/adopting.md#the-slack-app)",
    ),
    "/invite @sam": (
        6,
        2,
        "2 reads, GET permission sam, POST mention comment, 👍, PATCH status · Slack: invite, DM",
    ),
    "/status": (4, 1, "2 reads, 👍, PATCH status (last seen comment) · Slack: post"),
    "/help": (5, 0, "2 reads, POST reply, 👍, PATCH status"),
    "close → retrospective": (
        8,
        4,
        "2 reads, POST incident:resolved, DELETE incident:mitigated, GET retrospective search "
        "(idempotency), POST issue, POST link comment, PATCH status · Slack: 1 page of history, "
        "post resolved with the retrospective link (retrospective first), post announce (id "
        "kept), setTopic",
    ),
}

SCENARIO = [
    ("/join", "lee", "/join"),
    ("/handover @lee", "priya", "/handover @lee"),
    (
        "/update",
        "lee",
        "/update Rolled back the search index alias; results are back for most queries",
    ),
    ("/mitigated", "lee", "/mitigated"),
    ("/severity 2", "dana", "/severity 2"),
    ("/action", "lee", "/action Alert on empty search results within 5 minutes"),
    ("/comms", "dana", "/comms Search was down for about 30 minutes; it is recovering."),
    ("/resolved-when", "dana", "/resolved-when search returns results for 15 minutes"),
    ("/invite @sam", "dana", "/invite @sam you know the index aliases best"),
    ("/status", "rita", "/status"),
    ("/help", "rita", "/help"),
]


def section1(rep: Report, quick: bool) -> dict[str, Any]:
    rep.section("1. HTTP requests per event (sandbox, Slack on)")
    rows = []
    facts: dict[str, Any] = {}
    all_repeats: list[str] = []
    totals = Counts()
    with Lab() as lab:
        gh = lab.gh
        number = gh.open_issue(REPO, "rita", TITLE, REPORT_BODY, labels=["incident:reported"])[
            "number"
        ]
        runs: list[tuple[str, RunResult, bool]] = []
        events = lab.started()
        labels = ["report"]
        for label, (name, payload) in zip(labels, events, strict=True):
            runs.append((label, lab.run_inprocess(name, payload), True))
        gh.add_label(REPO, number, "dana", "incident:declared")
        runs.append(("declare", lab.run_inprocess(*lab.one_event()), True))
        for label, who, body in SCENARIO:
            comment = gh.comment(REPO, number, who, body)
            result = lab.run_inprocess(*lab.one_event())
            handled = bool(gh.reactions(comment["id"]))
            runs.append((label, result, handled))
        gh.close_issue(REPO, number, "dana", reason="completed")
        runs.append(("close → retrospective", lab.run_inprocess(*lab.one_event()), True))
        retros = [i for i in gh.issues(REPO) if i["title"].startswith("Retrospective:")]
        final = gh.issue(REPO, number)
        facts["ended"] = (
            f"#{number} ended {final['state']} with "
            f"{', '.join(sorted(x['name'] for x in final['labels']))}; {len(retros)} retrospective"
        )
        for label, r, handled in runs:
            c = r.counts
            totals.gh_reads += c.gh_reads
            totals.gh_writes += c.gh_writes
            totals.sl_reads += c.sl_reads
            totals.sl_writes += c.sl_writes
            min_gh, min_sl, _ = MINIMUM[label]
            reps = repeated(r.reqs)
            all_repeats += [f"{label}: {x}" for x in reps]
            note = "" if handled else " (refused: see below)"
            if r.rc != 0:
                note += f" exit {r.rc}"
            rows.append(
                [
                    f"{label}{note}",
                    f"{c.gh_reads} / {c.gh_writes}",
                    f"**{c.gh}** ({min_gh})",
                    f"{c.sl_reads} / {c.sl_writes}",
                    f"**{c.slack}** ({min_sl})",
                    len(reps),
                    r.opens,
                    ms(r.wall),
                ]
            )
            facts[label] = r
        facts["runs"] = runs
    rep.add(
        "One incident, start to finish, the demo team (`seed_demo`), each event run in-process "
        "through `cli.main(['handle'])` with the Actions environment. Figures are measured; "
        "**(n)** is the minimum a careful hand-written sequence needs (reasoning below). "
        "`config opens` counts `open()` audit events on `.github/incident.yml` during the run. "
        "The first run's time includes importing PyGithub, slack-sdk and Jinja into this process."
    )
    rep.add("")
    rep.table(
        [
            "event",
            "GitHub reads / writes",
            "GitHub total (min)",
            "Slack reads / writes",
            "Slack total (min)",
            "repeated requests",
            "config opens",
            "in-process time",
        ],
        rows,
    )
    min_gh_total = sum(v[0] for v in MINIMUM.values())
    min_sl_total = sum(v[1] for v in MINIMUM.values())
    rep.add(
        f"Whole incident: GitHub {totals.gh} requests ({totals.gh_reads} reads, {totals.gh_writes} "
        f"writes; minimum {min_gh_total}), Slack {totals.slack} calls ({totals.sl_reads} reads, "
        f"{totals.sl_writes} writes; minimum {min_sl_total}). {facts['ended']}."
    )
    rep.add("")
    declare = facts["declare"].counts
    rep.add(
        f"Budget, declare: GitHub {declare.gh} ≤ 12 {verdict(declare.gh <= 12)}; "
        f"Slack {declare.slack} ≤ 12 {verdict(declare.slack <= 12)}."
    )
    opens = {r.opens for _, r, _ in facts["runs"]}
    facts["opens"] = opens
    facts["repeats"] = all_repeats
    facts["totals"] = totals
    rep.add(f"Config read per run: {sorted(opens)} time(s) {verdict(opens == {1})}.")
    rep.add(
        "Repeated requests within one run: "
        + ("none." if not all_repeats else "; ".join(all_repeats))
    )
    refused = [(label, r) for label, r, handled in facts["runs"] if not handled]
    for label, r in refused:
        notice = next(
            (ln.strip() for ln in r.output.splitlines() if "refused" in ln), r.output[-200:]
        )
        rep.add(f"Refused in this scenario: {label}: {notice}")
    rep.add("")
    rep.add("<details><summary>Minimum per event: the reasoning, and what the tool sent</summary>")
    rep.add("")
    for label, r, _ in facts["runs"]:
        min_gh, min_sl, why = MINIMUM[label]
        sent = ", ".join(
            (
                f"{x.method} {x.path.replace('/repos/' + REPO, '')}"
                if x.service == "github"
                else slack_method(x.path)
            )
            for x in r.reqs
        )
        rep.add(f"- **{label}** ({min_gh} + {min_sl}): {why}.  ")
        rep.add(f"  Sent: {sent}")
    rep.add("")
    rep.add("</details>")
    rep.add("")
    return facts
