"""What changed before the incident (docs/usage.md#what-changed-before-the-incident).

Pure: which repositories to read for an incident, which of the changes read to show (the
affected service's repositories first, newest first, at most ten), and how to show them
in Slack, in the status comment and in the retrospective. Titles, release names and
commit messages are anyone's text: each renderer escapes them for where they go
(core/safe.py). The reads are effects/changes.py's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from incident_tool.config import Config
from incident_tool.core import safe, wording
from incident_tool.core.facts import CHANGES, Question
from incident_tool.core.model import Context
from incident_tool.core.outbox import To
from incident_tool.inbound.forms import parse_report

SHOWN = 10  # changes listed at most: the newest, the affected service's first
KINDS = {
    "deploy": "Deployment",
    "merge": "Merged pull request",
    "release": "Release",
    "failed-run": "Failed workflow run",
}


@dataclass(frozen=True)
class Change:
    """One change in a repository, as read from GitHub (title and who: their text)."""

    kind: str  # deploy | merge | release | failed-run
    repo: str  # owner/name
    at: datetime
    title: str  # a pull request's title, a release's name, a run's title, a deploy's ref
    who: str | None  # the login of its author (or the deployment's creator)
    url: str
    ref: str = ""  # "#12" for a pull request, a short SHA, a tag, a run's id
    detail: str = ""  # a deployment's environment and state; a run's branch
    sha: str = ""  # the commit it is about, when known (a merge, a deployment)
    ident: int = 0  # a deployment's id, a pull request's number

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Change:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["at"] = datetime.fromisoformat(str(known["at"]))
        return cls(**known)


@dataclass(frozen=True)
class ChangeList:
    """What the reads found: the changes, and the repositories not read with why."""

    items: tuple[Change, ...] = ()
    unread: tuple[tuple[str, str], ...] = ()  # (repository, why)
    requests: int = 0  # made to read them (the cost, stated in the record)


@dataclass(frozen=True)
class Window:
    """The repositories to read and the hours before the report to read them over."""

    repositories: tuple[str, ...]  # the affected service's first
    service_repositories: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    hours: int = 24


def repositories_for(config: Config, service: str | None, incidents_repo: str) -> Window:
    """The repositories to read for an incident about `service`: the service's
    (`changes.services`) first, then `changes.repositories` (default: the incidents
    repository)."""
    wanted = config.changes
    by_service = {name.lower(): repos for name, repos in wanted.services.items()}
    service_repos = by_service.get((service or "").strip().lower(), ())
    others = wanted.repositories or (incidents_repo,)
    ordered = list(dict.fromkeys([*service_repos, *others]))
    return Window(tuple(ordered), tuple(service_repos), hours=wanted.window_hours)


def window(
    config: Config, service: str | None, incidents_repo: str, until: datetime, hours: int = 0
) -> Window:
    """`repositories_for`, over the `hours` (default `changes.window_hours`) before `until`."""
    found = repositories_for(config, service, incidents_repo)
    hours = hours or found.hours
    return Window(
        found.repositories,
        found.service_repositories,
        since=until - timedelta(hours=hours),
        until=until,
        hours=hours,
    )


def pick(found: Iterable[Change], first: Sequence[str], limit: int = SHOWN) -> list[Change]:
    """The changes to show: those of the affected service's repositories (`first`) before
    the others, each group newest first, at most `limit`."""
    firsts = {repo.lower() for repo in first}
    return sorted(found, key=lambda c: (c.repo.lower() not in firsts, -c.at.timestamp()))[:limit]


def short_ref(change: Change) -> str:
    """How to name a change for `/suspect`: `owner/repo#12`, a short SHA, a tag."""
    if change.kind == "merge":
        return f"{change.repo}{change.ref}"
    return change.ref


def _when(at: datetime, until: datetime | None) -> str:
    shown = at.strftime("%H:%M UTC")
    if until is None or at > until:
        return shown
    minutes = int((until - at).total_seconds() // 60)
    ago = f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"
    return f"{shown} ({ago} before)"


# -- Slack ---------------------------------------------------------------------------------


def _slack_link(url: str, text: str) -> str:
    """A Slack link to GitHub whose text is escaped; a URL that is not GitHub's https is
    shown as text (a link that pretends cannot be made from an API answer either)."""
    if not url.startswith("https://") or any(c in url for c in "<>| "):
        return text
    return f"<{url}|{text}>"


def slack_line(change: Change, until: datetime | None) -> str:
    """One change as a Slack line: kind, linked title, who, when (user text escaped)."""
    title = safe.slack(change.title.strip()[:120] or change.ref)
    who = safe.slack(change.who) if change.who else "someone"
    detail = f" ({safe.slack(change.detail)})" if change.detail else ""
    ref = f"{safe.slack(change.repo)}{safe.slack(change.ref) if change.kind == 'merge' else ''}"
    return (
        f"• {KINDS.get(change.kind, change.kind)} in `{ref}`: "
        f"{_slack_link(change.url, title)}{detail}, by {who}, {_when(change.at, until)}"
    )


def slack_message(
    shown: Sequence[Change], unread: Sequence[tuple[str, str]], hours: int, until: datetime | None
) -> str:
    """The incident channel's message: the changes shown, and what could not be read."""
    if shown:
        lines = [wording.CHANGES_LISTED.format(hours=hours)]
        lines += [slack_line(c, until) for c in shown]
        lines.append(wording.CHANGES_HINT)
    else:
        lines = [wording.CHANGES_NONE.format(hours=hours)]
    lines += [
        wording.CHANGES_UNREAD.format(repo=safe.slack(repo), why=safe.slack(why))
        for repo, why in unread
    ]
    return "\n".join(lines)


# -- GitHub (status comment, retrospective) --------------------------------------------------


def _markdown_link(url: str, text: str) -> str:
    if not url.startswith("https://") or any(c in url for c in "()<> "):
        return text
    return f"[{text}]({url})"


def _cells(c: Change, until: datetime | None) -> tuple[str, str, str, str]:
    """when, what, where, who of a change, as safe Markdown table cells."""
    # Inert, not only escaped: a title holding `[text](url)` inside the link below would be
    # the live link (pull request, release and run titles are anyone's words).
    title = safe.inert(c.title.strip()[:120] or c.ref, inline=True)
    what = f"{KINDS.get(c.kind, c.kind)}: {_markdown_link(c.url, title)}"
    if c.detail:
        what += f" ({safe.markdown(c.detail, inline=True)})"
    who = wording.person(c.who) if c.who else "—"
    where = safe.markdown(short_ref(c) if c.kind == "merge" else c.repo, inline=True)
    return _when(c.at, until), what, where, who


def table_rows(shown: Sequence[Change], until: datetime | None) -> list[str]:
    """Markdown table rows `| when | what | where | who |`, user text escaped."""
    return ["| " + " | ".join(_cells(c, until)) + " |" for c in shown]


def status_section(state: Mapping[str, Any]) -> list[str]:
    """The status comment's "Recent changes" section, from the record's `changes`."""
    if not state:
        return []
    head = f"### Recent changes ({state.get('hours', 24)} h before the report)"
    return ["", head, "", *section_body(state)]


def section_body(state: Mapping[str, Any]) -> list[str]:
    """The changes as a Markdown table, then what was not read and what is suspected."""
    shown = [Change.from_dict(x) for x in state.get("items") or []]
    until = datetime.fromisoformat(state["until"]) if state.get("until") else None
    lines = []
    if "items" not in state:
        lines.append("Not read at declaration.")
    elif shown:
        lines += ["| when | what | where | who |", "|---|---|---|---|", *table_rows(shown, until)]
    else:
        lines.append("Nothing changed in the repositories read.")
    for repo, why in state.get("unread") or []:
        repo_shown, why_shown = safe.markdown(repo, inline=True), safe.markdown(why, inline=True)
        lines.append(f"- Not read: `{repo_shown}`: {why_shown}")
    for s in state.get("suspected") or []:
        lines.append(
            f"- Suspected: `{safe.markdown(str(s.get('ref')), inline=True)}` "
            f"by {safe.markdown(str(s.get('by')), inline=True)}"
        )
    return lines


def service_of(body: str | None) -> str | None:
    """The report form's "Affected service", if given."""
    service = parse_report(body or "").get("service")
    return service if isinstance(service, str) else None


def record_state(found: ChangeList, win: Window) -> dict[str, Any]:
    """What the record keeps of a declaration's read (shown again by the status comment
    and the retrospective, without reading again)."""
    shown = pick(found.items, win.service_repositories)
    return {
        "items": [c.to_dict() for c in shown],
        "unread": [list(x) for x in found.unread],
        "hours": win.hours,
        "until": win.until.isoformat() if win.until else None,
        "requests": found.requests,
    }


def retrospective_rows(state: Mapping[str, Any]) -> list[dict[str, str]]:
    """The rows of the retrospective's "Changes before the incident" table (the template
    escapes nothing itself: each value here is already safe Markdown)."""
    shown = [Change.from_dict(x) for x in state.get("items") or []]
    until = datetime.fromisoformat(state["until"]) if state.get("until") else None
    suspected = {str(s.get("ref", "")).lower() for s in state.get("suspected") or []}
    out = []
    for c in shown:
        when, what, where, who = _cells(c, until)
        refs = {short_ref(c).lower(), c.sha[:7].lower()} - {""}
        mark = "suspected" if refs & {x[:7] if len(x) >= 40 else x for x in suspected} else ""
        out.append({"when": when, "what": what, "where": where, "who": who, "suspected": mark})
    return out


# -- naming a change: /suspect and /revert ---------------------------------------------------

_PULL = re.compile(r"^(?:([A-Za-z0-9][\w.-]*/[\w.-]+))?#(\d{1,9})$")
_SHA = re.compile(r"^(?:([A-Za-z0-9][\w.-]*/[\w.-]+)@)?([0-9a-fA-F]{7,40})$")


@dataclass(frozen=True)
class Ref:
    """A change as people name it: `#12`, `owner/repo#12`, a SHA (`owner/repo@SHA`), or
    a ref the changes list shows (a deployment's short SHA, a tag)."""

    text: str
    repo: str | None = None
    number: int | None = None
    sha: str | None = None


def parse_ref(text: str) -> Ref | None:
    """The ref in a command's words (its first word), None when there is none."""
    word = (text.split() or [""])[0].strip("`'\",.;")
    if not word or len(word) > 200:
        return None
    pull = _PULL.match(word)
    if pull:
        return Ref(word, pull.group(1), int(pull.group(2)))
    sha = _SHA.match(word)
    if sha:
        return Ref(word, sha.group(1), sha=sha.group(2).lower())
    return Ref(word)


@dataclass(frozen=True)
class Found:
    """A change named by people, found: where it is, what it is, who made it."""

    repo: str
    ref: str  # as shown: `owner/repo#12`, a short SHA, a tag
    title: str  # its author's text
    who: str | None
    url: str
    node_id: str = ""  # a pull request's (GraphQL revertPullRequest)
    merged: bool = False


def in_list(state: Mapping[str, Any], ref: Ref) -> Found | None:
    """The change of the declaration's list that `ref` names (no request), if any."""
    for item in state.get("items") or []:
        c = Change.from_dict(item)
        if ref.repo and ref.repo.lower() != c.repo.lower():
            continue
        names = {short_ref(c).lower(), c.ref.lower()}
        same_pull = c.kind == "merge" and ref.number is not None and c.ident == ref.number
        same_sha = ref.sha is not None and c.sha.lower().startswith(ref.sha)
        if ref.text.lower() in names or same_pull or same_sha:
            return Found(c.repo, short_ref(c), c.title, c.who, c.url, merged=c.kind == "merge")
    return None


# -- the decision at declaration ------------------------------------------------------------


def _window_of(ctx: Context) -> Window:
    return window(ctx.config, service_of(ctx.issue.body), ctx.issue.repo, ctx.issue.created_at)


def question(ctx: Context) -> Question | None:
    """What `at_declaration` will ask for, or None when it asks nothing (read already): a
    declaration asks it ahead, with the first responder's availability."""
    if ctx.record.changes:
        return None
    win = _window_of(ctx)
    args = (tuple(win.repositories), win.since or ctx.now, win.until or ctx.now)
    return Question(CHANGES, args)


def at_declaration(ctx: Context) -> None:
    """Read what changed before the report, once per incident
    (docs/usage.md#what-changed-before-the-incident): kept in the record, listed in the
    incident channel (the private one for a sensitive incident: never the announce
    channel, a DM or the status page)."""
    record = ctx.record
    if record.changes:
        return  # read at the first declaration; the runs after it read nothing
    win = _window_of(ctx)
    found = ctx.facts.changes(win.repositories, win.since or ctx.now, win.until or ctx.now)
    record.changes = record_state(found, win)
    shown = [Change.from_dict(x) for x in record.changes["items"]]
    text = slack_message(shown, found.unread, win.hours, win.until)
    ctx.slack("changes:declared", To.INCIDENT, text)
