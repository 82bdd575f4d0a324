"""Follow-ups (SPEC §14): every `/action` becomes an issue someone owns.

At resolution, once the retrospective exists, each `/action` becomes an issue
`Follow-up: <text> (#<incident>)`, labelled `followups.labels`, assigned to its owner when
one was named and can be assigned, linking the incident and the retrospective, and
attached as a sub-issue of the retrospective; the retrospective's checklist then links to
it (`- [ ] #123`), so GitHub ticks it when the follow-up closes. An `/action` after
resolution gets its follow-up in the run that reads it.

Idempotent like the retrospective: every follow-up carries a marker
`<!-- incident-tool:followup #<incident>:<key> -->` (the key is the `/action` comment's
id) and is looked for before it is created; the record remembers what is done
(`Record.followups`). The retrospective is written first (a follow-up links to it and is
attached under it), so its checklist is brought up to date afterwards, by replacing only
the line the template wrote for that action, or adding a line when a person changed it:
the rest of the body, people's edits included, is left as it is.

`sweep` lists the open follow-ups once, attaches any left unattached (a run that failed
between creating and attaching), and reminds the owner of an overdue one at most once a
week: the reminder is a comment with a dated marker on the follow-up itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from github import GithubException, UnknownObjectException
from github.Issue import Issue

from incident_tool.core import retro_sections
from incident_tool.core import text as msg
from incident_tool.core.model import Comment, CommentView, Context
from incident_tool.core.record import Entry, iso, parse_time
from incident_tool.core.states import State
from incident_tool.effects.github import Gateway, GitHubError, describe

MARKER = "<!-- incident-tool:followup #{incident}:{key} -->"
_MARKER_RE = re.compile(r"<!-- incident-tool:followup #(\d+):([\w.-]+) -->")
_RETRO_RE = re.compile(r"<!-- incident-tool:followup-parent #(\d+) -->")
REMINDER_KEY = "followup-reminder:{day}"
_REMINDER_RE = re.compile(r"<!-- incident-tool:followup-reminder:(\d{4}-\d{2}-\d{2}) -->")
REMIND_EVERY = timedelta(days=7)
MAX_TITLE = 256  # GitHub refuses longer issue titles
MAX_SUB_ISSUES = 100  # GitHub: a parent holds at most 100 sub-issues


def action_key(entry: Entry) -> str:
    """Name an `/action` for good: its comment's id, else (no comment) when it was said."""
    ref = entry.ref or ""
    if ref.startswith("#issuecomment-") and ref[len("#issuecomment-") :].isdigit():
        return ref[len("#issuecomment-") :]
    return "t" + re.sub(r"\D", "", entry.at)


def marker(incident: int, key: str) -> str:
    return MARKER.format(incident=incident, key=key)


# -- the command ------------------------------------------------------------------------


def known_login(ctx: Context, login: str) -> bool:
    """Say whether a bare first word of `/action` names someone the team knows."""
    config, record = ctx.config, ctx.record
    known = {
        *config.delivery_managers,
        *config.responders,
        *config.people,
        *record.leads,
        *record.helping,
        *record.stopped,
    }
    return login.lower() in {k.lower() for k in known}


def noted(ctx: Context, entry: Entry, owner: str | None, comment: CommentView) -> None:
    """Remember an `/action`'s owner; when they cannot be assigned, reply saying so.

    Assignability is checked here, once (`GET /repos/{o}/{r}/assignees/{login}`), so no
    unassignable login is ever sent to GitHub (which answers such a POST with 422).
    """
    state: dict[str, Any] = {}
    if owner:
        state["owner"] = owner
        if not ctx.facts.assignable(owner):
            state["why"] = (
                f"`{owner}` cannot be assigned issues in this repository (no such account, "
                "or no write access)"
            )
            key = f"reply:{comment.id}"
            body = (
                f"{msg.marker(key)}\n📌 Noted, but {state['why']}: its follow-up issue will "
                "be opened unassigned and say so. A delivery manager can assign someone."
            )
            ctx.do(Comment(key, body, remember=False))
    ctx.record.followups[action_key(entry)] = state


# -- creating them at resolution --------------------------------------------------------


def due(ctx: Context) -> bool:
    """Say whether this run has follow-up work: resolved, retrospective written (if any),
    and some `/action` not yet opened, attached and linked."""
    record = ctx.record
    if record.state != State.RESOLVED or not record.actions:
        return False
    if ctx.config.retrospective.enabled and record.retro is None:
        return False
    return any(not _done(record.followups.get(action_key(e)), record.retro) for e in record.actions)


def _done(state: dict[str, Any] | None, retro: int | None) -> bool:
    if not state or "issue" not in state:
        return False
    return retro is None or (bool(state.get("attached")) and bool(state.get("linked")))


def title_for(text: str, incident: int) -> str:
    """`Follow-up: <text> (#n)`: the text's first line, shortened to GitHub's limit."""
    first = " ".join((text.strip().splitlines() or [""])[0].split())
    suffix, title = f" (#{incident})", f"Follow-up: {first}"
    room = MAX_TITLE - len(suffix)
    return (title if len(title) <= room else title[: room - 1] + "…") + suffix


def body_for(ctx: Context, entry: Entry, key: str, state: dict[str, Any]) -> str:
    """The follow-up's body: what, who, where it came from. For a sensitive incident it
    holds nothing from the report: only the team's own `/action` text and numbers."""
    n, record = ctx.issue.number, ctx.record
    said = f"{ctx.issue.url}{entry.ref}" if entry.ref else ctx.issue.url
    lines = [marker(n, key)]
    if record.retro is not None:
        lines.append(f"<!-- incident-tool:followup-parent #{record.retro} -->")
    lines += [
        f"A follow-up action from incident #{n}, [agreed]({said}) by `{entry.actor or 'someone'}`.",
        "",
        "**Action:** " + msg.user_text(entry.text),
        "",
    ]
    owner = state.get("owner")
    if owner and not state.get("why"):
        lines.append(f"**Owner:** @{owner}")
    elif owner:
        lines.append(f"**Owner:** nobody yet: {state['why']}.")
    else:
        lines.append("**Owner:** nobody was named: a delivery manager should find one.")
    lines += ["", f"- Incident: #{n}"]
    if record.retro is not None:
        lines.append(f"- Retrospective: #{record.retro}")
    if record.sensitive:
        lines += [
            "",
            "> ⚠️ From a **sensitive incident**: keep details out of public places. Nothing "
            "from the report is copied here.",
        ]
    lines += [
        "",
        "Close this issue when it is done: the retrospective's checklist ticks itself.",
    ]
    return "\n".join(lines)


def sync(ctx: Context, gateway: Gateway) -> list[str]:
    """Open, attach and link every `/action`'s follow-up still missing; return problems.

    Requests: one listing of follow-ups (only when one must be opened: a lost run may
    have opened it), one POST per follow-up opened, one per attachment, and one GET and
    at most one PATCH of the retrospective for its checklist.
    """
    record, config = ctx.record, ctx.config
    problems: list[str] = []
    found: dict[str, Issue] | None = None

    def existing() -> dict[str, Issue]:
        nonlocal found
        if found is None:
            found = {}
            try:
                listed = gateway.repo.get_issues(
                    state="all", labels=list(config.followups.labels), since=ctx.issue.created_at
                )
                for item in listed:
                    for incident, key in _MARKER_RE.findall(item.body or ""):
                        if int(incident) == ctx.issue.number:
                            found.setdefault(key, item)
            except (GithubException, OSError) as exc:
                raise GitHubError(f"could not list follow-ups: {describe(exc)}") from None
        return found

    if gateway.dry_run:
        for entry in record.actions:
            if "issue" not in record.followups.get(action_key(entry), {}):
                gateway.write(f"open follow-up {title_for(entry.text, ctx.issue.number)!r}", list)
        return problems
    created_now: set[str] = set()
    for entry in record.actions:
        key = action_key(entry)
        state = record.followups.setdefault(key, {})
        if "issue" in state:
            continue
        item = existing().get(key)
        if item is None:
            assignees = [state["owner"]] if state.get("owner") and not state.get("why") else []

            def landed(key: str = key) -> Issue | None:
                nonlocal found
                found = None  # list again: the first attempt may have landed
                return existing().get(key)

            item = gateway.create_issue(
                title_for(entry.text, ctx.issue.number),
                body_for(ctx, entry, key, state),
                config.followups.labels,
                assignees,
                landed=landed,
            )
            created_now.add(key)
        state["issue"], state["id"] = item.number, item.id
        # Listed, it says whether a lost run attached it; opened now, it is not attached.
        state["attached"] = key not in created_now and bool(item.parent_issue_url)
        record.note(ctx.now, "follow-up", None, f"#{item.number}")
    if record.retro is None:
        return problems
    for entry in record.actions:
        state = record.followups.get(action_key(entry), {})
        if "issue" in state and not state.get("attached"):
            try:
                attach(gateway, record.retro, state["issue"], state["id"])
                # Attached, or refused for good (422): either way, not tried again.
                state["attached"] = True
            except GitHubError as exc:
                problems.append(str(exc))
    try:
        link_checklist(ctx, gateway)
    except GitHubError as exc:
        problems.append(str(exc))
    return problems


def attach(gateway: Gateway, parent: int, number: int, issue_id: int) -> bool:
    """Attach issue `number` (by its `id`, as GitHub's API wants) under `parent`; say
    whether it was attached (False: GitHub refused it for good, or a dry run).

    GitHub answers 422 when it already has a parent (a lost run attached it, or a person
    put it elsewhere: either way it is not left loose, and it is not moved) and when the
    parent is full (100): then it stays a plain issue, linked from the checklist.
    """
    url = f"{gateway.repo.url}/issues/{parent}/sub_issues"

    def do() -> bool:
        try:
            gateway.gh.requester.requestJsonAndCheck("POST", url, input={"sub_issue_id": issue_id})
        except GithubException as exc:
            if exc.status != 422:
                raise
            gateway.log(f"notice: follow-up #{number} not attached to #{parent}: {describe(exc)}")
            return False
        return True

    def landed() -> bool | None:
        _, data = gateway.gh.requester.requestJsonAndCheck(
            "GET", f"{gateway.repo.url}/issues/{number}"
        )
        return True if (data or {}).get("parent_issue_url") else None

    return bool(
        gateway.write(f"attach follow-up #{number} to #{parent}", do, post=True, landed=landed)
    )


def checklist_line(entry: Entry) -> str:
    """The line the default template writes for an `/action` not yet opened."""
    return f"- [ ] {msg.user_text(entry.text, inline=True)} ({entry.actor})"


PLACEHOLDER = "- [ ] _Add follow-up actions here._"  # the default template, no actions
HEADING = "**Follow-ups**"


def link_checklist(ctx: Context, gateway: Gateway) -> None:
    """Make the retrospective's checklist link each follow-up (`- [ ] #123`).

    Only one line changes per follow-up: the action's own line as the template wrote it,
    else the template's placeholder, else a new line after the last follow-up link (or
    under a **Follow-ups** heading at the end). Everything else, people's edits
    included, is kept.
    """
    record = ctx.record
    todo = [
        (e, s)
        for e in record.actions
        if "issue" in (s := record.followups.get(action_key(e), {})) and not s.get("linked")
    ]
    if not todo or record.retro is None:
        return
    try:
        retro = gateway.repo.get_issue(record.retro)
        body = retro.body or ""
    except UnknownObjectException:
        for _, state in todo:  # deleted (or moved): there is no checklist to link from
            state["linked"] = True
        return
    except (GithubException, OSError) as exc:
        raise GitHubError(f"could not read the retrospective: {describe(exc)}") from None
    numbers = {s["issue"] for s in record.followups.values() if "issue" in s}
    lines = body.split("\n")
    for entry, state in todo:
        number = state["issue"]
        link = f"- [ ] #{number}"
        if any(_links(line) == number for line in lines):
            continue
        own = checklist_line(entry)
        if own in lines:
            lines[lines.index(own)] = link
        elif PLACEHOLDER in lines:
            lines[lines.index(PLACEHOLDER)] = link
        else:
            after = [i for i, line in enumerate(lines) if _links(line) in numbers]
            if after:
                lines.insert(after[-1] + 1, link)
            else:
                while lines and not lines[-1].strip():
                    lines.pop()
                lines += ["", HEADING, "", link, ""]
    # The tool's own edit: the seal moves on with it, so `retro N` still tells people's
    # text from the tool's (retro_sections).
    new = retro_sections.reseal(body, "\n".join(lines))
    if new != body:
        gateway.write(
            f"link the follow-ups from retrospective #{record.retro}", lambda: retro.edit(body=new)
        )
    for _, state in todo:
        state["linked"] = True


_LINK_RE = re.compile(r"^\s*[-*] \[[ xX]\] #(\d+)\s*$")


def _links(line: str) -> int | None:
    """The issue a checklist line links to, when it is only a link."""
    found = _LINK_RE.match(line)
    return int(found.group(1)) if found else None


# -- sweep ------------------------------------------------------------------------------


@dataclass
class SweepResult:
    attached: list[int]
    reminded: list[int]
    problems: list[str]


def sweep(
    gateway: Gateway,
    labels: Sequence[str],
    due_after: int,
    now: datetime,
    *,
    delivery_managers: Sequence[str] = (),
    log: Callable[[str], None] = print,
) -> SweepResult:
    """Attach loose follow-ups and remind owners of overdue ones (one listing per sweep,
    then one request per repair; a follow-up quiet for a week costs one read of its
    recent comments and at most one comment)."""
    result = SweepResult([], [], [])
    try:
        listed = list(gateway.repo.get_issues(state="open", labels=list(labels)))
    except (GithubException, OSError) as exc:
        result.problems.append(f"could not list follow-ups: {describe(exc)}")
        return result
    for item in listed:
        body = item.body or ""
        if not _MARKER_RE.search(body) or "/pull/" in item.html_url:
            continue
        try:
            parent = _RETRO_RE.search(body)
            if parent and not item.parent_issue_url:
                if attach(gateway, int(parent.group(1)), item.number, item.id):
                    result.attached.append(item.number)
            if remind(gateway, item, due_after, now, delivery_managers):
                result.reminded.append(item.number)
        except GitHubError as exc:
            log(f"warning: follow-up #{item.number}: {exc}")
            result.problems.append(f"#{item.number}: {exc}")
    return result


def overdue(created: datetime, due_after: int, now: datetime) -> bool:
    return now - _aware(created) > timedelta(days=due_after)


def remind(
    gateway: Gateway, item: Issue, due_after: int, now: datetime, managers: Sequence[str]
) -> bool:
    """Comment on an overdue follow-up, mentioning its owner, at most once a week."""
    created = _aware(item.created_at)
    if not overdue(created, due_after, now):
        return False
    # A follow-up touched in the last week (by anyone: the last reminder is a comment)
    # is not nagged, and its comments need not be read.
    if now - _aware(item.updated_at) < REMIND_EVERY:
        return False
    try:
        recent = list(item.get_comments(since=now - REMIND_EVERY))
    except (GithubException, OSError) as exc:
        raise GitHubError(f"could not read comments: {describe(exc)}") from None
    for comment in recent:
        for day in _REMINDER_RE.findall(comment.body or ""):
            last = parse_time(day + "T00:00:00Z")
            if last is not None and now - last < REMIND_EVERY and gateway.is_trusted_bot(comment):
                return False
    owners = [a.login for a in item.assignees] or list(managers)
    whom = " ".join(f"@{login}" for login in owners) or "Nobody owns this yet:"
    days = (now - created).days
    key = REMINDER_KEY.format(day=iso(now)[:10])
    text = (
        f"{msg.marker(key)}\n⏰ {whom} this follow-up has been open for {days} days "
        f"(due within {due_after}). Close it when it is done, or say what is left"
        + ("" if item.assignees else " and who will do it")
        + ". (A reminder at most once a week.)"
    )

    def landed() -> Any:
        return next(
            (c for c in item.get_comments(since=now - REMIND_EVERY) if key in (c.body or "")),
            None,
        )

    gateway.write(
        f"remind about follow-up #{item.number}",
        lambda: item.create_comment(text),
        post=True,
        landed=landed,
    )
    return True


def _aware(moment: datetime) -> datetime:
    from datetime import timezone

    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
