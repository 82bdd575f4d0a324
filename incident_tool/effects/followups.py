"""Follow-ups on GitHub: create each `/action`'s issue, attach it, link the checklist, remind.

What a follow-up is and when one is due: `incident_tool.core.followups`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from incident_tool.core import retro_sections, wording
from incident_tool.core.followups import (
    _MARKER_RE,
    _REMINDER_RE,
    _RETRO_RE,
    HEADING,
    PLACEHOLDER,
    REMIND_EVERY,
    REMINDER_KEY,
    _aware,
    _links,
    action_key,
    body_for,
    checklist_line,
    overdue,
    title_for,
)
from incident_tool.core.model import CommentView, Context, IssueView
from incident_tool.core.record import Entry, Record, iso, parse_time
from incident_tool.effects.github import Gateway, GitHubError


def sync(ctx: Context, gateway: Gateway, listed: Listed | None = None) -> list[str]:
    """Open, attach and link every `/action`'s follow-up still missing; return problems.

    Requests: one listing of follow-ups (only when one must be opened: a lost run may
    have opened it; `listed` when the run listed them already, see `listing`), one POST
    per follow-up opened, one per attachment, and one GET (none for a retrospective this
    run opened) and at most one PATCH of the retrospective for its checklist.
    """
    if gateway.dry_run:
        for entry in missing(ctx.record):
            gateway.write(f"open follow-up {title_for(entry.text, ctx.issue.number)!r}", list)
        return []
    listed = listed or Listed(ctx, gateway)
    for entry in missing(ctx.record):
        _open(ctx, gateway, listed, entry)
    if ctx.record.retro is None:
        return []
    problems = _attach(ctx.record, ctx.record.retro, gateway)
    try:
        link_checklist(ctx, gateway)
    except GitHubError as exc:
        problems.append(str(exc))
    return problems


def listing(ctx: Context, gateway: Gateway) -> Listed:
    """This incident's follow-ups already on GitHub, listed now (one GET) when some must be
    opened and the run can ask beside other work (the resolving run asks while it opens the
    retrospective); else listed when first needed, if ever."""
    listed = Listed(ctx, gateway)
    if missing(ctx.record) and not gateway.dry_run:
        listed.found = listed.list_now()
    return listed


def missing(record: Record) -> list[Entry]:
    """The actions whose follow-up issue is not known to be open yet."""
    return [e for e in record.actions if "issue" not in record.followups.get(action_key(e), {})]


def assignees_for(state: dict[str, Any]) -> list[str]:
    """The follow-up's owner, unless they may not be assigned (`why` says so)."""
    return [state["owner"]] if state.get("owner") and not state.get("why") else []


def by_tool(gateway: Gateway, item: IssueView) -> bool:
    """Whether the tool's own account opened `item`: only then is a marker in it believed
    (anyone can paste one into an issue, and labels alone do not say who wrote it)."""
    return item.author.lower() == gateway.bot_login.lower()


class Listed:
    """This incident's follow-ups already on GitHub, by action key: listed once, the first
    time one must be opened (a lost run may have opened it), and again after a POST whose
    answer was lost (the first attempt may have landed)."""

    def __init__(self, ctx: Context, gateway: Gateway) -> None:
        self.ctx, self.gateway = ctx, gateway
        self.found: dict[str, IssueView] | None = None

    def get(self, key: str) -> IssueView | None:
        if self.found is None:
            self.found = self.list_now()
        return self.found.get(key)

    def again(self, key: str) -> IssueView | None:
        self.found = None
        return self.get(key)

    def list_now(self) -> dict[str, IssueView]:
        ctx = self.ctx
        found: dict[str, IssueView] = {}
        listed = self.gateway.issues(
            what="list follow-ups",
            state="all",
            labels=list(ctx.config.followups.labels),
            since=ctx.issue.created_at,
        )
        for item in listed:
            if not by_tool(self.gateway, item):
                continue  # a marker in someone else's issue is their text, not a follow-up
            for incident, key in _MARKER_RE.findall(item.body or ""):
                if int(incident) == ctx.issue.number:
                    found.setdefault(key, item)
        return found


def _open(ctx: Context, gateway: Gateway, listed: Listed, entry: Entry) -> None:
    """Open the action's follow-up, unless a lost run did, and note it on the record."""
    record, key = ctx.record, action_key(entry)
    state = record.followups.setdefault(key, {})
    if "issue" in state:
        return  # two actions of one key (said in the same second): one follow-up
    item = listed.get(key)
    # Listed, it says whether a lost run attached it; opened now, it is not attached.
    attached = item is not None and bool(item.parent_issue_url)
    if item is None:
        item = gateway.create_issue(
            title_for(entry.text, ctx.issue.number),
            body_for(ctx, entry, key, state),
            ctx.config.followups.labels,
            assignees_for(state),
            landed=partial(listed.again, key),
        )
    if item is None:
        return  # not opened (only a dry run writes nothing, and it returned above)
    state["issue"], state["id"] = item.number, item.id
    state["attached"] = attached
    record.note(ctx.now, "follow-up", None, f"#{item.number}")


def _attach(record: Record, retro: int, gateway: Gateway) -> list[str]:
    """Attach each follow-up not attached yet to the retrospective; return problems."""
    problems = []
    for entry in record.actions:
        state = record.followups.get(action_key(entry), {})
        if "issue" in state and not state.get("attached"):
            try:
                gateway.attach_sub_issue(retro, state["issue"], state["id"])
                # Attached, or refused for good (422): either way, not tried again.
                state["attached"] = True
            except GitHubError as exc:
                problems.append(str(exc))
    return problems


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
    retro = gateway.find_issue(record.retro, what="read the retrospective")
    if retro is None:
        for _, state in todo:  # deleted (or moved): there is no checklist to link from
            state["linked"] = True
        return
    body = retro.body or ""
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
        gateway.edit_issue(
            retro.number, f"link the follow-ups from retrospective #{record.retro}", body=new
        )
    for _, state in todo:
        state["linked"] = True


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
        listed = list(gateway.issues(what="list follow-ups", state="open", labels=list(labels)))
    except GitHubError as exc:
        result.problems.append(str(exc))
        return result
    for item in listed:
        body = item.body or ""
        if not _MARKER_RE.search(body) or "/pull/" in item.url or not by_tool(gateway, item):
            continue
        try:
            parent = _RETRO_RE.search(body)
            if parent and not item.parent_issue_url:
                if gateway.attach_sub_issue(int(parent.group(1)), item.number, item.id):
                    result.attached.append(item.number)
            if remind(gateway, item, due_after, now, delivery_managers):
                result.reminded.append(item.number)
        except GitHubError as exc:
            log(f"warning: follow-up #{item.number}: {exc}")
            result.problems.append(f"#{item.number}: {exc}")
    return result


def remind(
    gateway: Gateway, item: IssueView, due_after: int, now: datetime, managers: Sequence[str]
) -> bool:
    """Comment on an overdue follow-up, mentioning its owner, at most once a week."""
    created = _aware(item.created_at)
    if not overdue(created, due_after, now):
        return False
    # A follow-up touched in the last week (by anyone: the last reminder is a comment)
    # is not nagged, and its comments need not be read.
    if now - _aware(item.updated_at or item.created_at) < REMIND_EVERY:
        return False
    recent = gateway.comments(item.number, since=now - REMIND_EVERY, what="read comments")
    for comment in recent:
        for day in _REMINDER_RE.findall(comment.body or ""):
            last = parse_time(day + "T00:00:00Z")
            if last is not None and now - last < REMIND_EVERY and gateway.is_trusted_bot(comment):
                return False
    owners = list(item.assignees) or list(managers)
    whom = " ".join(f"@{login}" for login in owners) or "Nobody owns this yet:"
    days = (now - created).days
    key = REMINDER_KEY.format(day=iso(now)[:10])
    text = wording.FOLLOWUP_REMINDER.format(
        marker=wording.marker(key),
        whom=whom,
        days=days,
        due_after=due_after,
        and_who="" if item.assignees else " and who will do it",
    )

    def landed() -> CommentView | None:
        since = now - REMIND_EVERY
        found = gateway.comments(item.number, since=since, what="read comments")
        return next((c for c in found if key in c.body and gateway.is_trusted_bot(c)), None)

    gateway.comment(item.number, f"remind about follow-up #{item.number}", text, landed)
    return True
