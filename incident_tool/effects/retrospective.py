"""The retrospective rendered from its Jinja template
(docs/usage.md#the-retrospective-edited-by-people).

Only the template file is template code. Everything that came from people (titles, report
fields, updates, Slack messages) is passed in as escaped data, so `{{ 7*7 }}` in a title
stays `{{ 7*7 }}`.

An effect because it reads the template (the repository's file, else the packaged one);
`title_for` and `context` are pure. Below the verbs: `effects/apply.py` opens the
retrospective issue with it, and `retro N` (verbs/retro.py) renders it again.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from incident_tool.config import DEFAULT_TEMPLATE, Config
from incident_tool.core import changes, retro_sections, safe, wording
from incident_tool.core.announce import without_form_prefix
from incident_tool.core.followups import action_key
from incident_tool.core.model import IssueView
from incident_tool.core.public import public_title
from incident_tool.core.record import Entry, Record, parse_time
from incident_tool.core.states import State
from incident_tool.core.status import KIND_WORDS, when
from incident_tool.effects.team_form import title_prefix as team_title_prefix
from incident_tool.errors import UsageError
from incident_tool.inbound.forms import parse_report

MARKER = "<!-- incident-tool:retrospective-of:{number} -->"


class TemplateError(UsageError):
    """The retrospective template cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Retrospective:
    title: str
    body: str


MAX_TITLE = 256  # GitHub's API refuses longer issue titles


def title_for(issue: IssueView, record: Record | None = None, prefix: str = "") -> str:
    """Return `Retrospective: <title> (#n)`, shortened to fit GitHub's title limit: the
    title declared (or `/retitle`d), not the issue's, which its author may edit; without
    the report form's title prefix (the team's form's `prefix`, or the packaged one's)."""
    shown = without_form_prefix(public_title(record, issue.title), prefix)
    suffix, title = f" (#{issue.number})", f"Retrospective: {safe.plain(shown)}"
    room = MAX_TITLE - len(suffix)
    return (title if len(title) <= room else title[: room - 1] + "…") + suffix


def confined_template_path(root: Path, path: str) -> Path:
    """Return the file `path` names inside the repository at `root`, or raise TemplateError.

    `retrospective.template` is relative to the repository and stays inside it: an
    absolute path, a `..` that leaves it or a symlink pointing out of it could render any
    file the job can read (`/proc/self/environ`, another checkout's secrets) into a public
    issue. Nor may it be in a hidden file or folder other than .github/ (`.git/config`
    holds the job's token unless the checkout says `persist-credentials: false`; `.env`,
    `.ssh/`), wherever a link or `..` leads. The file need not exist (the caller says when
    it is missing).
    """
    name = path.strip()
    if not name:
        raise TemplateError("retrospective.template is empty: give a path inside the repository")
    if Path(name).is_absolute() or name.startswith(("~", "\\")):
        raise TemplateError(
            f"retrospective.template {name!r} is an absolute path: give it relative to the "
            "repository (e.g. templates/retrospective.md.j2)"
        )
    try:
        base = root.resolve()
        target = (base / name).resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a NUL byte, a symlink loop
        raise TemplateError(f"retrospective.template {name!r}: not a usable path ({exc})") from None
    if target != base and base not in target.parents:
        raise TemplateError(
            f"retrospective.template {name!r} points outside the repository: "
            "keep the template inside it"
        )
    hidden = next((p for p in target.relative_to(base).parts if _hidden(p)), None)
    if hidden is not None:
        raise TemplateError(
            f"retrospective.template {name!r} is in {hidden}, a hidden file or folder, where "
            "git and other tools keep credentials (actions/checkout leaves the job's token in "
            ".git/config): keep the template in an ordinary folder, e.g. templates/"
        )
    return target


def _hidden(part: str) -> bool:
    """A dot-file or dot-folder other than .github/ (which holds the team's own config)."""
    return part.startswith(".") and part.lower() != ".github"


def channel_copy(
    record: Record, config: Config, history: Callable[[Record], list[Entry]]
) -> list[Entry]:
    """The incident channel's messages the retrospective copies (`history` reads them):
    only with `retrospective.slack_messages: all`, and never a sensitive incident's. By
    default the Slack notes (📌, kept in the record) are all it holds: a retrospective in a
    public repository is read by anyone, and people say things in a channel they would not
    publish (docs/adopting.md#configuration-githubincidentyml)."""
    if record.sensitive or config.retrospective.slack_messages != "all":
        return []
    return history(record)


def load_template(config: Config, root: Path) -> tuple[str, str]:
    """Return (template text, where it came from): the repo's file, else the packaged one."""
    name = config.retrospective.template
    path = confined_template_path(root, name)
    if path.is_file():
        try:
            return path.read_text(encoding="utf-8"), name
        except (OSError, UnicodeDecodeError) as exc:
            raise TemplateError(f"{name}: cannot read: {exc}") from None
    if name != DEFAULT_TEMPLATE:
        # Named as the config names it: the runner's absolute paths stay out of the issue.
        raise TemplateError(f"{name}: file not found in the repository")
    return packaged_template()


def packaged_template() -> tuple[str, str]:
    """The template incident-tool ships (templates/retrospective.md.j2)."""
    text = (
        resources.files("incident_tool")
        .joinpath("templates/retrospective.md.j2")
        .read_text("utf-8")
    )
    return text, PACKAGED


def template_problem(config: Config, root: Path) -> str | None:
    """What is wrong with the team's retrospective template, or None when it renders.

    For the run that declares an incident (and `check`): a missing, unreadable, outside or
    broken template is said then, not first at resolution. Renders a small sample.
    """
    try:
        source, where = load_template(config, root)
        if source == packaged_template()[0]:
            return None  # the packaged one (or init's copy of it): tested here, not per run
        _compile(source, where).render(**_sample(config))
    except TemplateError as exc:
        return str(exc)
    except Exception as exc:  # any failure of the team's template is reported
        return f"{config.retrospective.template}: {type(exc).__name__}: {exc}"
    return None


_SLACK_REF = re.compile(r"https://[A-Za-z0-9.-]+/archives/[A-Z0-9]+/p[0-9]+")


def where_said(entry: Entry) -> str:
    """The retrospective's "Where" of a timeline entry: Slack for a note, a command given
    there (its permalink) and an acknowledgement made there; else GitHub."""
    if entry.kind == "slack-note" or _SLACK_REF.match(entry.ref or ""):
        return "Slack"
    if entry.kind == "ack" and not (entry.text or "").endswith("on the issue"):
        return "Slack"  # a ✅ on the DM or the channel, `@incident-tool ack`, the button
    return "GitHub"


def _duration(start: datetime | None, end: datetime | None) -> str | None:
    if start is None or end is None or end < start:
        return None
    minutes = int((end - start).total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{days}d"] if days else []
    if hours or days:
        parts.append(f"{hours}h")
    parts.append(f"{mins}m")
    return " ".join(parts)


def context(
    issue: IssueView, record: Record, config: Config, slack: list[Entry], prefix: str = ""
) -> dict[str, Any]:
    """Build the template's variables: every string from people is escaped here. `prefix`
    is the team's form's title prefix, left out of the incident's title."""

    def text(value: object) -> str:
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        # The report's text, in an issue the tool writes: links in it link nowhere.
        return safe.inert(str(value)) if value else ""

    report = parse_report(issue.body)
    zone = config.timezone
    # The timeline: GitHub's entries and the Slack notes people chose, in time order; the
    # channel's other messages go to a collapsed section of their own
    # (docs/adopting.md#the-slack-app).
    notes = {e.ref for e in record.timeline if e.kind == "slack-note" and e.ref}
    entries = sorted(
        [(e, where_said(e)) for e in record.timeline if e.kind != "slack"],
        key=lambda pair: pair[0].at,
    )
    channel = []
    for entry in sorted(slack, key=lambda e: e.at):
        if entry.ref in notes:
            continue
        utc, local = when(entry.at, zone)
        who = safe.inert(entry.actor, inline=True) if entry.actor else ""
        channel.append(
            {
                "utc": utc,
                "local": local,
                "who": who,
                "text": wording.user_text(entry.text, inline=True),
            }
        )
    timeline = []
    for entry, source in entries:
        utc, local = when(entry.at, zone)
        words = KIND_WORDS.get(entry.kind, entry.kind)
        # Slack display names are anyone's text: quoted as data, like every other name.
        who = f" ({safe.inert(entry.actor, inline=True)})" if entry.actor else ""
        said = f": {wording.user_text(entry.text, inline=True)}" if entry.text else ""
        timeline.append(
            {
                "utc": utc,
                "local": local,
                "source": source,
                "text": wording.user_text(words) + who + said,
            }
        )

    def at(kind: str) -> datetime | None:
        entry = record.first(kind)
        return parse_time(entry.at) if entry else None

    reported, declared = parse_time(issue.created_at.isoformat()), at("declared")
    mitigated, resolved = (
        at("mitigated"),
        parse_time(record.last("resolved").at) if record.last("resolved") else None,  # type: ignore[union-attr]  # checked just before
    )
    helpers = list(dict.fromkeys([*record.helping, *record.stopped]))
    criteria = record.last("resolved-when")
    return {
        "incident": {
            "number": issue.number,
            "title": wording.user_text(
                without_form_prefix(public_title(record, issue.title), prefix), inline=True
            ),
            "url": issue.url,
        },
        "sensitive": record.sensitive,
        "severity": record.severity,
        "report": {
            k: text(report.get(k))
            for k in ("summary", "service", "impact", "started", "noticed", "links")
        },
        # Every lead in order; one who came back shows again (priya → lee → priya).
        "leads": [lead for lead, _ in itertools.groupby(record.leads)],
        "delivery_managers": list(config.delivery_managers),
        "helpers": helpers,
        "timezone": zone,
        "timeline": timeline,
        "channel": [] if record.sensitive else channel,
        "times": {
            name: (f"{moment:%Y-%m-%d %H:%M} UTC" if moment else None)
            for name, moment in (
                ("reported", reported),
                ("declared", declared),
                ("mitigated", mitigated),
                ("resolved", resolved),
            )
        },
        "durations": {
            "declare": _duration(reported, declared),
            "mitigate": _duration(reported, mitigated),
            "resolve": _duration(reported, resolved),
        },
        "actions": [
            {
                "text": wording.user_text(a.text, inline=True),
                "actor": a.actor,
                # Its follow-up issue, once opened: the checklist links it (`- [ ] #123`).
                "followup": record.followups.get(action_key(a), {}).get("issue"),
            }
            for a in record.actions
        ],
        "comms": [
            {
                "utc": when(e.at, zone)[0],
                "actor": e.actor,
                "text": wording.user_text(e.text, inline=True),
            }
            for e in record.timeline
            if e.kind == "comms"
        ],
        "resolved_when": wording.user_text(record.resolved_when, inline=True)
        if record.resolved_when
        else None,
        "resolved_when_at": when(criteria.at, zone)[0] + " UTC" if criteria else None,
        # docs/usage.md#what-changed-before-the-incident: already safe Markdown
        "changes": changes.retrospective_rows(record.changes) if record.changes else [],
    }


MAX_BODY = 65000  # GitHub's limit for an issue body is 65,536 characters


PACKAGED = "incident-tool's default template"


def _compile(source: str, where: str) -> Any:
    from jinja2 import TemplateError as JinjaError
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(autoescape=False, keep_trailing_newline=True)
    try:
        return env.from_string(source)
    except JinjaError as exc:
        line = getattr(exc, "lineno", None)
        raise TemplateError(f"{where}{f' line {line}' if line else ''}: {exc}") from None


def _sample(config: Config) -> dict[str, Any]:
    """A small resolved incident's variables, to try a template before it is needed."""
    from datetime import timedelta, timezone

    start = datetime(2026, 1, 1, 9, 0, tzinfo=timezone.utc)
    record = Record(state=State.RESOLVED, leads=["lead"], severity=2)
    record.note(start, "declared", "manager")
    record.note(start + timedelta(minutes=30), "mitigated", "lead")
    record.note(start + timedelta(minutes=60), "resolved", "manager")
    record.actions.append(record.note(start + timedelta(minutes=40), "action", "lead", "An alert"))
    sample = IssueView(
        repo="owner/repo",
        number=1,
        title="A sample incident",
        body="",
        url="https://github.com/owner/repo/issues/1",
        author="reporter",
        labels=(),
        assignees=(),
        state="closed",
        state_reason="completed",
        created_at=start,
    )
    return context(sample, record, config, [])


def render(
    issue: IssueView,
    record: Record,
    config: Config,
    *,
    root: Path,
    slack: list[Entry],
    template: tuple[str, str] | None = None,
    strict: bool = False,
) -> Retrospective:
    """Render the retrospective issue's title and body.

    When the team's template is missing, outside the repository or fails, the
    retrospective is still written, from the packaged template, and its first lines say
    why (an incident is never closed without one); `strict` raises TemplateError instead
    (`retro N`, run by a person who can fix it).
    """
    marker, prefix = MARKER.format(number=issue.number), team_title_prefix(root)
    try:
        # `template`: (text, where) read elsewhere, e.g. from the default branch by `retro`.
        chosen = template or load_template(config, root)
        body = _body(issue, record, config, slack, chosen, prefix)
    except TemplateError as exc:
        if strict:
            raise
        body = _body(issue, record, config, slack, packaged_template(), prefix)
        note = wording.RETRO_FALLBACK.format(
            reason=safe.markdown(str(exc), inline=True), number=issue.number
        )
        body = body.replace(marker + "\n", marker + "\n" + note, 1)
    # The seal lets `retro N` tell what people wrote in the sections left for them.
    return Retrospective(
        title=title_for(issue, record, prefix), body=retro_sections.seal(body, after=marker)
    )


def _body(
    issue: IssueView,
    record: Record,
    config: Config,
    slack: list[Entry],
    template: tuple[str, str],
    prefix: str = "",
) -> str:
    """The body from one template, its marker first.

    A very long incident would overflow GitHub's body limit; the timeline then keeps its
    start and end and says how many entries in the middle it left out, so every section
    (the action items, what went well and badly) is still there.
    """
    source, where = template
    compiled = _compile(source, where)
    try:
        variables = context(issue, record, config, slack, prefix)
        body = compiled.render(**variables)
        # The channel's other messages give way first, then the timeline.
        for name in ("channel", "timeline"):
            rows = variables[name]
            keep = len(rows)
            while len(body) > MAX_BODY and keep > 20:
                keep //= 2
                head, tail = rows[: keep // 2], rows[-(keep - keep // 2) :]
                gap = {
                    "utc": "…",
                    "local": "…",
                    "source": "",
                    "who": "",
                    "text": f"{len(rows) - keep} entries left out to fit GitHub's size limit "
                    "(the incident's comments and Slack channel have them all)",
                }
                variables = {**variables, name: [*head, gap, *tail]}
                body = compiled.render(**variables)
    except Exception as exc:  # a team's template may fail in any way: said, not raised
        line = getattr(exc, "lineno", None)
        raise TemplateError(f"{where}{f' line {line}' if line else ''}: {exc}") from None
    marker = MARKER.format(number=issue.number)
    if marker not in body:
        body = marker + "\n" + body
    if len(body) > MAX_BODY:  # a template that is huge by itself
        body = body[: MAX_BODY - 200] + "\n\n… (cut to fit GitHub's size limit)\n"
    return body
