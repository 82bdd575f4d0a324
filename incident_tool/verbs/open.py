"""Reports from monitors, scripts and the Actions tab on GitHub: one issue per problem.

The problem's fingerprint is kept as a label, `alert:<hash>` (and in a hidden marker in
the body). Finding the problem's issue is one request, `GET /repos/{o}/{r}/issues?labels=
alert:<hash>&state=all`: a label filter on the issues list answers from the database at
once, where the search API (`GET /search/issues`) answers from an index that lags a new
issue by seconds to minutes (and allows 30 requests a minute), so two firings a few
seconds apart would both miss the first one's issue. The same request shows the closed
issues of the problem, so a firing after a close links the old report.

Runs for dispatches are not serialised (each has its own concurrency group), so two
firings of a new problem can both find nothing and both open an issue. After opening one,
a run looks again: if an older open issue has the fingerprint, it closes its own as a
duplicate of that one and counts its firing there. The oldest always wins, so exactly one
stays open whatever the order.

Writes made with GITHUB_TOKEN start no workflow run: the run that opens the issue also
does what `issues.opened` would (status comment, paging the delivery managers), through
`run.process`.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from incident_tool.app import process
from incident_tool.core import alerts as alert_handlers
from incident_tool.core import wording
from incident_tool.core.decide import Inputs
from incident_tool.core.model import Context
from incident_tool.core.model import IssueView as Issue
from incident_tool.core.record import utcnow
from incident_tool.core.states import State
from incident_tool.effects.tools import Outcome, Tools
from incident_tool.errors import EXIT_USAGE
from incident_tool.inbound import alerts
from incident_tool.inbound.events import Event
from incident_tool.verbs.common import (
    _out,
    _repo,
    fail,
    load_config,
    open_tools,
    report_outcome,
    run_guarded,
)

WAIT_TRIES = 6  # the other run's first write lands within a few seconds
WAIT_SECONDS = 2.0


@dataclass
class Received:
    """What a report led to, for the job log."""

    number: int | None
    url: str | None = None
    created: bool = False
    duplicate_of: int | None = None
    outcome: Outcome | None = None
    notices: list[str] = field(default_factory=list)
    body: str | None = None  # the new issue's body (shown by --dry-run)


def report_from_event(event: Event) -> alerts.Report:
    """The report a dispatch event carries; PayloadError when it does not fit."""
    payload = event.raw
    if event.name == "workflow_dispatch":
        return alerts.from_inputs(payload.get("inputs"), sender=event.sender)
    return alerts.from_payload(payload.get("client_payload"), sender=event.sender)


def run_id() -> str | None:
    """The workflow run: the same across re-runs of a job, so a re-run counts nothing twice."""
    return os.environ.get("GITHUB_RUN_ID") or None


def find(tools: Tools, report: alerts.Report) -> tuple[list[Issue], Issue | None]:
    """The problem's open incident issues (oldest first) and its newest closed one.

    One request: the first page (100, newest first) of the label's issues, open or closed.
    A newer issue exists only as a duplicate closed by the race below, so the open one is
    on that page unless a hundred dispatches raced.
    """
    page = tools.gateway.issues_page(
        what="look for the problem's issue",
        state="all",
        labels=[report.label],
        sort="created",
        direction="desc",
    )
    ours = [
        i
        for i in page
        if "/pull/" not in i.url and any(State.from_label(label) for label in i.labels)
    ]
    opened = sorted((i for i in ours if i.state == "open"), key=lambda i: i.number)
    closed = next((i for i in ours if i.state == "closed"), None)
    return opened, closed


def receive(
    report: alerts.Report, tools: Tools, *, now: datetime | None = None, run: str | None = None
) -> Received:
    """Turn one report into the problem's issue: a repeat on the open one, or a new one."""
    now = now or utcnow()
    opened, closed = find(tools, report)
    if opened:
        target = opened[0]
        outcome = add_to(target, report, tools, now=now, run=run)
        return Received(target.number, target.url, outcome=outcome)
    if report.status == "resolved":
        return Received(
            None, notices=["alert resolved, and no report of this problem is open: nothing to do"]
        )
    previous = closed.number if closed is not None else None
    text = alerts.body(report, now, previous=previous, run=run)
    created = create(tools, report, text)
    if created is None:  # dry run
        return Received(None, body=text, notices=["--dry-run: no issue opened"])
    older = [i for i in find(tools, report)[0] if i.number < created.number]
    if older:
        # Another run opened the problem's issue first: keep that one, count this there.
        close_duplicate(tools, created, older[0])
        outcome = add_to(older[0], report, tools, now=now, run=run)
        return Received(
            older[0].number, older[0].url, duplicate_of=older[0].number, outcome=outcome
        )
    # GITHUB_TOKEN's writes start no run: do here what `issues.opened` would have done
    # (as that event: the run need not read the issue's events to learn when it began).
    outcome = process(created.number, tools, event=_opened(tools, created), now=now, issue=created)
    return Received(created.number, created.url, created=True, outcome=outcome, body=text)


def _opened(tools: Tools, created: Issue) -> Event:
    """The `issues.opened` event GitHub would have sent (its run need not read the
    issue's events to learn when it became an incident)."""
    return Event(
        name="issues",
        action="opened",
        repo=tools.gateway.repo_name,
        number=created.number,
        sender=tools.gateway.bot_login,
        at=created.created_at,
    )


def create(tools: Tools, report: alerts.Report, text: str) -> Issue | None:
    """Open the report issue (looked for again before a retried POST)."""

    def landed() -> Issue | None:
        opened = find(tools, report)[0]
        return opened[-1] if opened else None

    return tools.gateway.create_issue(
        report.title, text, [State.REPORTED.label, report.label], [], landed=landed
    )


def close_duplicate(tools: Tools, mine: Issue, kept: Issue) -> None:
    """Close an issue opened by a lost race, pointing at the one kept.

    Its labels become `incident:dismissed` alone: without the fingerprint's label it is
    never found again as the problem's issue, and no later run pages anyone for it.
    """
    key = f"duplicate:{kept.number}"
    body = wording.DUPLICATE.format(marker=wording.marker(key), number=kept.number)
    tools.gateway.post_comment(mine.number, key, body, [])
    tools.gateway.edit_issue(
        mine.number,
        f"close #{mine.number} as a duplicate of #{kept.number}",
        state="closed",
        state_reason="duplicate",
        labels=[State.DISMISSED.label],
    )


def add_to(
    issue: Issue,
    report: alerts.Report,
    tools: Tools,
    *,
    now: datetime,
    run: str | None,
) -> Outcome | None:
    """Count a repeat (or the resolution) on the problem's open issue, through `process`."""

    def received(ctx: Context, inputs: Inputs) -> None:
        alert_handlers.received(ctx, report, run=run, fresh=inputs.fresh)

    given: Issue | None = issue
    for attempt in range(WAIT_TRIES):
        try:
            return process(issue.number, tools, now=now, issue=given, decisions=[received])
        except alert_handlers.NotReady:
            if attempt == WAIT_TRIES - 1:
                break
            tools.log(f"notice: #{issue.number} is being opened by another run; waiting")
            time.sleep(WAIT_SECONDS)
            given = None  # read it again
    tools.log(
        f"warning: #{issue.number} has no status comment yet; this firing was not counted "
        "(the issue itself is this problem's report)"
    )
    return None


def open_report(report: alerts.Report, tools: Tools) -> Received:
    """`incident-tool open`: the same, with the user's own token.

    The user's writes start the workflow's run (its `incident:reported` label's: the workflow
    does not listen to `opened`), which writes the status
    comment as the bot; a status comment written with the user's token would not be
    believed. So an open issue for the problem is only pointed at, not counted.
    """
    report = replace(report, via="open")
    opened, closed = find(tools, report)
    if opened:
        target = opened[0]
        return Received(
            target.number,
            target.url,
            notices=[f"#{target.number} is already open for this problem: add to it there"],
        )
    text = alerts.body(report, utcnow(), previous=closed.number if closed else None)
    created = create(tools, report, text)
    if created is None:
        return Received(None, body=text)
    names = {label.lower() for label in created.labels}
    notices = []
    if State.REPORTED.label not in names:
        notices.append(
            f"#{created.number} was opened, but GitHub dropped its labels: your account needs "
            "triage access to label issues. Ask a triager to add `incident:reported`, or use "
            "the Report incident form."
        )
    older = [i for i in find(tools, report)[0] if i.number < created.number]
    if older:
        close_duplicate(tools, created, older[0])
        return Received(older[0].number, older[0].url, duplicate_of=older[0].number)
    outcome = None
    if created.author == tools.gateway.bot_login:
        # Run with the workflow's own token (its writes start no run): finish here.
        outcome = process(created.number, tools, event=_opened(tools, created), issue=created)
    return Received(
        created.number, created.url, created=True, body=text, notices=notices, outcome=outcome
    )


def describe_received(received: Received, report: alerts.Report) -> str:
    """One line for the job log."""
    if received.number is None:
        return "; ".join(received.notices) or "nothing to do"
    if received.created:
        return f"opened #{received.number} for this problem: {received.url}"
    if received.duplicate_of is not None:
        return (
            f"#{received.duplicate_of} was opened for this problem by another run at the same "
            f"time: this report was added to it ({received.url})"
        )
    what = "alert resolved" if report.status == "resolved" else "fired again"
    return f"{what} on #{received.number}: {received.url}"


def run(
    repo: str | None,
    title: str,
    summary: str,
    service: str,
    severity: str,
    fingerprint: str,
    dry_run: bool,
) -> None:
    """Report a potential incident from a terminal or a script (`incident-tool open`)."""
    out = _out()
    repo = _repo(repo)
    payload = {
        "title": title,
        "summary": summary or None,
        "service": service or None,
        "severity": severity or None,
        "fingerprint": fingerprint or None,
    }
    try:
        report = alerts.from_payload(payload)
    except alerts.PayloadError as exc:
        fail(str(exc).replace("client_payload: `", "--").replace("`", "", 1), EXIT_USAGE)
    root = Path.cwd()
    cfg = load_config(None, root, log=lambda s: out(s, err=True))
    tools = open_tools(repo, cfg, root, dry_run=dry_run, log=lambda s: out(s, err=True))
    received = run_guarded(lambda: open_report(report, tools), tools)
    if received.body and dry_run:
        out(received.body)
        out(f"[dry-run] would open issue {report.title!r} in {repo}", err=True)
        return
    for notice in received.notices:
        out(notice, err=True)
    if received.outcome is not None:
        report_outcome(received.outcome, f"open #{received.outcome.number}")
    if received.url:
        out(received.url)
    if received.created and any("dropped its labels" in n for n in received.notices):
        fail("the issue has no incident:reported label: nobody was paged")
