"""`incident-tool status-page`: a static status page for people outside the team
(docs/usage.md#status-page).

What may appear is decided in one place, core/public.py's :func:`public_incident`: the title, the
component (one of a fixed list, never free text), the times and the `/public` updates of
an incident that was declared and is not sensitive. Everything the pages and the feed show
comes from :class:`PublicIncident`, so nothing else of an issue (its body, comments,
people, the Slack channel) can reach them.

Reading is bounded (:func:`collect`): three issue lists filtered by state label (the
resolved ones also by `since`, 90 days), and one page of comments per listed incident for
its record. Sensitive incidents are skipped from the list itself, before their comments
are read.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from incident_tool.config import Config
from incident_tool.core.public import (
    OTHER,
    PublicIncident,
    clean,
    components,
    public_incident,
)
from incident_tool.core.record import Record, parse_time
from incident_tool.core.states import SENSITIVE_LABEL, State
from incident_tool.verbs.common import (
    _out,
    _repo,
    api_url,
    fail,
    github_token,
    record_key,
    run_guarded,
    team_config,
)

HISTORY_DAYS = 90
OUTPUT_NAME = "status-page"

# The page's palette, in one place so that tests/e2e/test_statuspage.py can compute every
# contrast ratio the CSS uses (WCAG 2.1 AA: 4.5:1 for text, 3:1 for the day cells).
PAGE = {"background": "#ffffff", "text": "#1f2328", "muted": "#57606a", "link": "#0550ae"}
PAGE_BORDER = "#8c959f"  # the outlines of cards (decorative: not held to 3:1)
# level -> (name shown, colour of its badge and day cells); badges have white text.
LEVELS: dict[str, tuple[str, str]] = {
    "operational": ("Operational", "#1a7f37"),
    "monitoring": ("Mitigated, monitoring", "#0a5ec4"),
    "degraded": ("Degraded performance", "#8a5a00"),
    "partial": ("Partial outage", "#b13c00"),
    "major": ("Major outage", "#b3141f"),
}
BADGE_TEXT = "#ffffff"
ORDER = list(LEVELS)  # worst last


def write_output(changed: bool, environ: dict[str, str] | None = None) -> None:
    """Tell the workflow whether the page needs building (`$GITHUB_OUTPUT`, appended)."""
    path = (environ if environ is not None else os.environ).get("GITHUB_OUTPUT")
    if not path:
        return
    value = "changed" if changed else "unchanged"
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"{OUTPUT_NAME}={value}\n")
    except OSError:
        pass  # no output file: the page is rebuilt on the next change


# -- reading GitHub (bounded) ------------------------------------------------------------


@dataclass
class Collected:
    incidents: list[PublicIncident]
    listed: int = 0  # issues in the lists
    read: int = 0  # incidents whose record was read


def collect(
    gateway: Any, config: Config, now: datetime, names: Sequence[str] | None = None
) -> Collected:
    """Read the incidents the page shows: open declared and mitigated ones, and those
    resolved in the last 90 days (GitHub's `since` is "updated since", which a resolution
    within the window always satisfies). One request per 100 listed issues, plus one
    for each non-sensitive incident's first page of comments, where its record is.

    Read as plain JSON: PyGithub's lazy issues would fetch each issue again to fill in
    fields an issue does not have (`pull_request`), one request per incident for nothing.
    """
    since = now - timedelta(days=HISTORY_DAYS)
    found: dict[int, PublicIncident] = {}
    out = Collected([])
    queries: list[tuple[State, dict[str, Any]]] = [
        (State.DECLARED, {"state": "open"}),
        (State.MITIGATED, {"state": "open"}),
        (State.RESOLVED, {"state": "all", "since": since.strftime("%Y-%m-%dT%H:%M:%SZ")}),
    ]
    from incident_tool.effects.github import PER_PAGE

    issues_url = f"/repos/{gateway.repo_name}/issues"
    for state, filters in queries:
        params = {"labels": state.label, "per_page": PER_PAGE, **filters}
        for item in _pages(gateway, issues_url, params):
            out.listed += 1
            number = item.get("number")
            if not isinstance(number, int) or "pull_request" in item or number in found:
                continue
            labels = [str((label or {}).get("name", "")) for label in item.get("labels") or []]
            # Skip sensitive ones before reading anything more of them; and one
            # without comments has no record.
            if any(label.lower() == SENSITIVE_LABEL for label in labels):
                continue
            if not item.get("comments"):
                continue
            out.read += 1
            record = _record(gateway, str(item.get("comments_url")), number)
            created = parse_time(item.get("created_at")) or now
            incident = public_incident(
                number=number,
                title=str(item.get("title") or ""),
                body=item.get("body") if isinstance(item.get("body"), str) else None,
                labels=labels,
                created_at=created,
                record=record,
                config=config,
                names=names,
            )
            if incident is None or (incident.resolved and incident.resolved < since):
                continue
            found[number] = incident
    out.incidents = sorted(found.values(), key=lambda i: (i.started, i.number), reverse=True)
    return out


def _pages(gateway: Any, url: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """GET every page of a list, following GitHub's Link header."""
    return [x for page in gateway.pages(url, params) for x in page if isinstance(x, dict)]


def _record(gateway: Any, comments_url: str, number: int) -> Record | None:
    """The record in the status comment, from the first page of comments (where the tool
    posts it, in the incident's first run; later pages only for an issue that had 100
    comments before it became an incident). Only the tool's own account is believed."""
    from incident_tool.core.record import STATUS_MARKER, extract_proven
    from incident_tool.effects.github import PER_PAGE

    for page in gateway.pages(comments_url, {"per_page": PER_PAGE}):
        for comment in page:
            body = comment.get("body") if isinstance(comment, dict) else None
            login = ((comment or {}).get("user") or {}).get("login")
            if isinstance(body, str) and STATUS_MARKER in body and login == gateway.bot_login:
                # With a record key, a record without its proof is not shown (SPEC §19).
                record, _ = extract_proven(body, gateway.record_key, gateway.repo_name, number)
                return record
    return None


# -- rendering ---------------------------------------------------------------------------


def duration(start: datetime, end: datetime) -> str:
    """A duration for people: "45 min", "2 h 5 min", "3 d 4 h"."""
    minutes = max(0, int((end - start).total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


class Clock:
    """Times as the page shows them: UTC, and the configured zone beside it."""

    def __init__(self, zone: str) -> None:
        self.zone_name = zone
        self.zone = ZoneInfo(zone)
        self.utc_only = zone.upper() in ("UTC", "ETC/UTC", "Z")

    def show(self, moment: datetime | None) -> str:
        if moment is None:
            return ""
        utc = moment.astimezone(timezone.utc)
        text = utc.strftime("%Y-%m-%d %H:%M UTC")
        if self.utc_only:
            return text
        local = moment.astimezone(self.zone)
        same_day = local.date() == utc.date()
        shown = local.strftime("%H:%M %Z" if same_day else "%Y-%m-%d %H:%M %Z")
        return f"{text} ({shown})"

    def iso(self, moment: datetime) -> str:
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        """The day's start and end in UTC: 23 or 25 hours long on a clock change."""
        start = datetime.combine(day, time(0), self.zone)
        end = datetime.combine(day + timedelta(days=1), time(0), self.zone)
        return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


@dataclass(frozen=True)
class Day:
    day: date
    level: str
    numbers: tuple[int, ...]

    @property
    def label(self) -> str:
        what = LEVELS[self.level][0] if self.numbers else "No incidents"
        refs = ", ".join(f"#{n}" for n in self.numbers)
        return f"{self.day:%Y-%m-%d}: {what}" + (f" ({refs})" if refs else "")


def worst(levels: Iterable[str]) -> str:
    return max(levels, key=ORDER.index, default="operational")


def history(
    incidents: Sequence[PublicIncident], component: str, clock: Clock, now: datetime
) -> list[Day]:
    """The last 90 days (in the configured zone), oldest first, each at its worst level."""
    today = now.astimezone(clock.zone).date()
    mine = [(i, i.periods(now)) for i in incidents if i.component == component]
    days = []
    for back in range(HISTORY_DAYS - 1, -1, -1):
        day = today - timedelta(days=back)
        start, end = clock.day_bounds(day)
        levels, numbers = [], []
        for incident, periods in mine:
            hit = [level for a, b, level in periods if a < end and b > start]
            if hit:
                levels += hit
                numbers.append(incident.number)
        days.append(Day(day, worst(levels), tuple(sorted(numbers))))
    return days


def _css() -> str:
    p = PAGE
    levels = "".join(
        f".l-{name}{{background:{colour};color:{BADGE_TEXT}}}"
        for name, (_, colour) in LEVELS.items()
    )
    return (
        "*{box-sizing:border-box}"
        f"html{{background:{p['background']};color:{p['text']}}}"
        "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;line-height:1.5;"
        "margin:0 auto;max-width:56rem;padding:1rem}"
        f"a{{color:{p['link']}}}"
        f".muted,time,.meta{{color:{p['muted']}}}"
        "h1{font-size:1.6rem;margin:.5rem 0}h2{font-size:1.25rem;margin:1.5rem 0 .5rem}"
        f".card{{border:1px solid {PAGE_BORDER};border-radius:6px;padding:.75rem 1rem;"
        "margin:.5rem 0}"
        ".badge{display:inline-block;border-radius:4px;padding:.1rem .5rem;font-weight:600;"
        "font-size:.9rem;white-space:nowrap}"
        ".component{display:flex;flex-wrap:wrap;justify-content:space-between;"
        "align-items:center;gap:.5rem}"
        ".component h3{font-size:1rem;margin:0}"
        ".days{display:grid;grid-template-columns:repeat(90,1fr);gap:1px;list-style:none;"
        "padding:0;margin:.5rem 0 0;height:2rem;width:100%}"
        ".days li{border-radius:1px;min-width:0}"
        ".scale{display:flex;justify-content:space-between;font-size:.8rem}"
        ".scale .short{display:none}"
        ".updates{list-style:none;padding:0;margin:.5rem 0}"
        ".updates li{border-left:3px solid #57606a;padding:.1rem 0 .1rem .75rem;margin:.5rem 0;"
        "white-space:pre-wrap;overflow-wrap:anywhere}"
        "dl.times{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}"
        "dl.times dt{font-weight:600}dl.times dd{margin:0}"
        ".nw{white-space:nowrap}"
        ".legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;padding:0;"
        "font-size:.85rem}"
        ".legend li{display:flex;align-items:center;gap:.35rem}"
        ".swatch{display:inline-block;width:.9rem;height:.9rem;border-radius:2px}"
        ".vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);"
        "white-space:nowrap}"
        "h1,h2,h3,p,li{overflow-wrap:anywhere}"
        f"{levels}"
        "@media (max-width:40rem){body{padding:.75rem}"
        ".days{grid-template-columns:repeat(30,1fr)}"
        ".days li:nth-child(-n+60){display:none}"
        ".scale .long{display:none}.scale .short{display:inline}"
        "dl.times{grid-template-columns:1fr}dl.times dd{margin-bottom:.5rem}}"
    )


def _environment() -> Any:
    # Sandboxed with autoescape on: titles and updates are people's text, shown as data.
    from jinja2 import PackageLoader, select_autoescape
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(
        loader=PackageLoader("incident_tool", "templates/status"),
        autoescape=select_autoescape(enabled_extensions=("html", "atom", "j2"), default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        # Every value shown loses its bidi controls (docs/security.md#security); the
        # templates' own markup (macros, the CSS) is the tool's and passes as it is.
        finalize=_without_bidi,
    )
    return env


def _without_bidi(value: Any) -> Any:
    from markupsafe import Markup

    from incident_tool.core.safe import plain

    return plain(value) if isinstance(value, str) and not isinstance(value, Markup) else value


def render(
    incidents: Sequence[PublicIncident],
    config: Config,
    *,
    repo: str,
    now: datetime,
    components_shown: Sequence[str] | None = None,
) -> dict[str, str]:
    """Render the site: path (relative to the output folder) -> text. `components_shown`:
    the team's components (`team_components`), else those of the packaged example form."""
    clock = Clock(config.timezone)
    names = list(components(config) if components_shown is None else components_shown)
    if any(i.component == OTHER for i in incidents) and OTHER not in names:
        names.append(OTHER)
    active = sorted(
        (i for i in incidents if i.active),
        key=lambda i: (ORDER.index(i.level), i.started),
        reverse=True,
    )
    rows: list[dict[str, Any]] = []
    for name in names:
        affecting = [i for i in active if i.component == name]
        rows.append(
            {
                "name": name,
                "level": worst(i.level for i in affecting),
                "days": history(incidents, name, clock, now),
            }
        )
    overall = worst(row["level"] for row in rows)
    past = [i for i in incidents if not i.active]
    common = {
        "title": clean(config.status_page.title),
        "css": _css(),
        "levels": LEVELS,
        "clock": clock,
        "duration": duration,
        "now": now,
        "zone": config.timezone,
    }
    env = _environment()
    pages = {
        "index.html": env.get_template("index.html.j2").render(
            **common,
            overall=overall,
            rows=rows,
            active=active,
            past=past,
            days=HISTORY_DAYS,
        )
    }
    incident_page = env.get_template("incident.html.j2")
    for incident in incidents:
        pages[f"incidents/{incident.number}.html"] = incident_page.render(
            **common, incident=incident
        )
    feed_id = uuid.uuid5(uuid.NAMESPACE_URL, f"incident-tool:status-page:{repo}")
    entries: list[dict[str, Any]] = []
    for incident in incidents:
        entries.append(
            {
                "id": uuid.uuid5(feed_id, str(incident.number)).urn,
                "kind": "incident",
                "incident": incident,
                "updated": incident.changed,
            }
        )
        for n, update in enumerate(incident.updates, 1):
            entries.append(
                {
                    "id": uuid.uuid5(feed_id, f"{incident.number}/public/{n}").urn,
                    "kind": "update",
                    "incident": incident,
                    "public": update,
                    "updated": update.at,
                }
            )
    entries.sort(key=lambda e: e["updated"], reverse=True)
    updated = max((e["updated"] for e in entries), default=now)
    pages["feed.atom"] = env.get_template("feed.atom.j2").render(
        **common, feed_id=feed_id.urn, entries=entries, updated=updated
    )
    return pages


def write_site(pages: dict[str, str], out: Path) -> list[Path]:
    """Write the pages under `out`; incident pages no longer shown are removed."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "incidents").mkdir(exist_ok=True)
    keep = {out / path for path in pages}
    for stale in (out / "incidents").glob("*.html"):
        if stale not in keep and re.fullmatch(r"[0-9]+\.html", stale.name):
            stale.unlink()
    written = []
    for path, text in pages.items():
        target = out / path
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


def team_components(config: Config, root: Path, *, log: Any) -> tuple[str, ...]:
    """The page's components: `status_page.components`, else the services of the team's
    own report form in `root` (the packaged example's only when it has none, said)."""
    from incident_tool.effects.team_form import FORM_PATH, placeholder_services, team_form

    if config.status_page.components:
        return config.status_page.components
    form, notice = team_form(root)
    if notice:
        log(f"notice: {notice}")
    if placeholders := placeholder_services(form):
        log(
            f"notice: {FORM_PATH} still lists {len(placeholders)} placeholder service(s):"
            " replace them with the team's services"
        )
    return components(config, form)


def run(repo: str | None, out_dir: str, config_path: str | None) -> None:
    """Write the static status page (`incident-tool status-page`)."""
    from incident_tool.core.record import utcnow
    from incident_tool.effects.github import Gateway, client

    out = _out()
    repo = _repo(repo)
    root = Path.cwd()
    cfg, _ = team_config(config_path, root, repo, log=lambda s: out(s, err=True))
    # Reads only: a token is needed for a private repository, and for the rate limit.
    gateway = Gateway(
        client(github_token(repo), api_url("GITHUB_API_URL")),
        repo,
        log=out,
        record_key=record_key(),
    )
    now = utcnow()
    names = team_components(cfg, root, log=lambda s: out(s, err=True))
    found = run_guarded(lambda: collect(gateway, cfg, now, names))
    pages = render(found.incidents, cfg, repo=repo, now=now, components_shown=names)
    try:
        write_site(pages, Path(out_dir))
    except OSError as exc:
        fail(f"cannot write the status page to {out_dir}: {exc.strerror or exc}")
    out(
        f"wrote {len(pages)} files to {out_dir}: {len(found.incidents)} incident(s) shown "
        f"({found.listed} listed, {found.read} records read)"
    )
