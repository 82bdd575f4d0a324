"""Follow-ups on GitHub: create each `/action`'s issue, attach it, link the checklist, remind.

What a follow-up is and when one is due: `incident_tool.core.followups`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

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
from incident_tool.core.record import iso, parse_time
from incident_tool.effects.github import Gateway, GitHubError


def sync(ctx: Context, gateway: Gateway) -> list[str]:
    """Open, attach and link every `/action`'s follow-up still missing; return problems.

    Requests: one listing of follow-ups (only when one must be opened: a lost run may
    have opened it), one POST per follow-up opened, one per attachment, and one GET and
    at most one PATCH of the retrospective for its checklist.
    """
    record, config = ctx.record, ctx.config
    problems: list[str] = []
    found: dict[str, IssueView] | None = None

    def existing() -> dict[str, IssueView]:
        nonlocal found
        if found is None:
            found = {}
            listed = gateway.issues(
                what="list follow-ups",
                state="all",
                labels=list(config.followups.labels),
                since=ctx.issue.created_at,
            )
            for item in listed:
                for incident, key in _MARKER_RE.findall(item.body or ""):
                    if int(incident) == ctx.issue.number:
                        found.setdefault(key, item)
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

            def landed(key: str = key) -> IssueView | None:
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
        if item is None:
            continue  # not opened (only a dry run writes nothing, and it returned above)
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
                gateway.attach_sub_issue(record.retro, state["issue"], state["id"])
                # Attached, or refused for good (422): either way, not tried again.
                state["attached"] = True
            except GitHubError as exc:
                problems.append(str(exc))
    try:
        link_checklist(ctx, gateway)
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
        if not _MARKER_RE.search(body) or "/pull/" in item.url:
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
        return next((c for c in found if key in (c.body or "")), None)

    gateway.comment(item.number, f"remind about follow-up #{item.number}", text, landed)
    return True
