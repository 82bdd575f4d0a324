"""Follow-ups (docs/usage.md#follow-ups), the pure part: every `/action` becomes an issue someone
owns.

The GitHub work (creating, attaching, reminding) is `incident_tool.effects.followups`.

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
from datetime import datetime, timedelta
from typing import Any

from incident_tool.core import safe, wording
from incident_tool.core.model import Comment, CommentView, Context
from incident_tool.core.record import Entry
from incident_tool.core.states import State

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
            body = wording.OWNER_UNASSIGNABLE.format(marker=wording.marker(key), why=state["why"])
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
        "**Action:** " + wording.user_text(entry.text),
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


def checklist_line(entry: Entry) -> str:
    """The line the default template writes for an `/action` not yet opened."""
    who = safe.inert(entry.actor or "", inline=True)
    return f"- [ ] {wording.user_text(entry.text, inline=True)} ({who})"


PLACEHOLDER = "- [ ] _Add follow-up actions here._"  # the default template, no actions
HEADING = "**Follow-ups**"


_LINK_RE = re.compile(r"^\s*[-*] \[[ xX]\] #(\d+)\s*$")


def _links(line: str) -> int | None:
    """The issue a checklist line links to, when it is only a link."""
    found = _LINK_RE.match(line)
    return int(found.group(1)) if found else None


# -- sweep ------------------------------------------------------------------------------


def overdue(created: datetime, due_after: int, now: datetime) -> bool:
    return now - _aware(created) > timedelta(days=due_after)


def _aware(moment: datetime) -> datetime:
    from datetime import timezone

    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
