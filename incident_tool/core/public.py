"""What the public may see of an incident: the one decision behind the status page and its feed.

What may appear is decided here, in :func:`public_incident`: the title, the component (one of
a fixed list, never free text), the times and the `/public` updates of an incident that was
declared and is not sensitive (docs/usage.md#status-page). The title and component are the
ones the record kept at declaration (`keep_as_declared`), changed only by the team.
Everything the pages and the feed show comes from :class:`PublicIncident`, so nothing else
of an issue (its body, comments, people, the Slack channel) can reach them. A run compares
it before and after (`shown`) to tell the Pages job whether to build.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from incident_tool.config import Config
from incident_tool.core.announce import without_form_prefix
from incident_tool.core.record import Record, parse_time
from incident_tool.core.states import SENSITIVE_LABEL, State
from incident_tool.inbound.forms import (
    SENSITIVE_SERVICE,
    FormDefinition,
    default_form,
    parse_report,
)

OTHER = "Other"
SHOWN_STATES = (State.DECLARED, State.MITIGATED, State.RESOLVED)
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True)
class PublicUpdate:
    at: datetime
    text: str


@dataclass(frozen=True)
class PublicIncident:
    """All that the status page may say about one incident."""

    number: int
    title: str
    component: str
    state: State
    severity: int | None
    started: datetime
    declared: datetime
    mitigated: datetime | None
    resolved: datetime | None
    updates: tuple[PublicUpdate, ...]  # oldest first

    @property
    def active(self) -> bool:
        return self.state in (State.DECLARED, State.MITIGATED)

    @property
    def level(self) -> str:
        """How bad it is now: a declared incident by severity (1 is the worst)."""
        if self.state == State.MITIGATED:
            return "monitoring"
        if self.state == State.RESOLVED:
            return "operational"
        return {1: "major", 2: "partial"}.get(self.severity or 0, "degraded")

    @property
    def impact(self) -> str:
        """The level while it was not yet mitigated, for the history."""
        return {1: "major", 2: "partial"}.get(self.severity or 0, "degraded")

    @property
    def changed(self) -> datetime:
        """The last moment something shown about it changed."""
        moments = [self.started, self.declared, self.mitigated, self.resolved]
        moments += [u.at for u in self.updates]
        return max(m for m in moments if m is not None)

    def periods(self, now: datetime) -> list[tuple[datetime, datetime, str]]:
        """When it affected its component and how badly: impact, then monitoring."""
        end = self.resolved or now
        calm = self.mitigated if self.mitigated and self.mitigated <= end else None
        out = [(self.started, calm or end, self.impact)]
        if calm is not None:
            out.append((calm, end, "monitoring"))
        return [(a, b, level) for a, b, level in out if b > a]


def components(config: Config, form: FormDefinition | None = None) -> tuple[str, ...]:
    """The configured components, else the report form's affected-service options: the
    team's `form` (effects/team_form.py), the packaged example's when none is given.
    Without the sensitive ones (`sensitive.services`): their incidents never appear, so
    they would always look fine."""
    if config.status_page.components:
        return config.status_page.components
    field = (form or default_form()).get_field("service")
    options = field.options if field is not None else ()
    hidden = {s.strip().lower() for s in config.sensitive.services}
    return tuple(o for o in options if o.strip().lower() not in hidden) or (OTHER,)


def clean(text: str) -> str:
    """Drop characters XML cannot carry (control characters, lone surrogates)."""
    return _CONTROL_RE.sub("", text)


def component_of(body: str | None, names: Sequence[str]) -> str:
    """The component an incident affects: one of `names`, else "Other" (the form's
    free text never reaches the page, only a name from the list)."""
    service = parse_report(body).get("service")
    if isinstance(service, list):
        service = service[0] if service else None
    return _named(service, names)


def _named(service: object, names: Sequence[str]) -> str:
    if isinstance(service, str):
        for name in names:
            if name.strip().lower() == service.strip().lower():
                return name
    return OTHER


def keep_as_declared(record: Record, title: str, body: str | None, config: Config) -> None:
    """Fix the public title and component at declaration (once: a reopened incident keeps
    them). After it, the issue's author may edit the issue as they like: the public
    surfaces read these, which only the team changes (`/retitle`). The component is kept
    as the service the report named; the page shows it only if it is one of the team's
    components (`_component`), so free text never reaches it."""
    if record.public_title is None:
        record.public_title = title
    if record.component is None:
        service = parse_report(body).get("service")
        if isinstance(service, list):
            service = service[0] if service else None
        record.component = (
            service.strip() if isinstance(service, str) and service.strip() else OTHER
        )


def is_sensitive(
    labels: Iterable[str],
    body: str | None,
    record: Record | None,
    sensitive_services: Iterable[str] = (SENSITIVE_SERVICE,),
) -> bool:
    """The record's word (the reporter's choice in the form, read until the incident was
    declared: core/reconcile.py) or the team's `sensitive` label. A record that kept its
    component at declaration is not second-guessed from the body: its author could take a
    live outage off the page by editing it. Older records: the body's service too."""
    if record is not None and record.sensitive:
        return True
    if any(label.lower() == SENSITIVE_LABEL for label in labels):
        return True
    if record is not None and record.component is not None:
        return False
    service = parse_report(body).get("service")
    services = service if isinstance(service, list) else [service]
    hidden = {s.strip().lower() for s in sensitive_services}
    return any(isinstance(s, str) and s.strip().lower() in hidden for s in services)


def public_incident(
    *,
    number: int,
    title: str,
    body: str | None,
    labels: Iterable[str],
    created_at: datetime,
    record: Record | None,
    config: Config,
    names: Sequence[str] | None = None,
) -> PublicIncident | None:
    """What the page may show of one issue, or None when it must not appear at all:
    no record, never declared, dismissed or only reported, or sensitive. `names`: the
    page's components (`components` of the packaged form when not given)."""
    labels = list(labels)
    if record is None or record.state not in SHOWN_STATES:
        return None
    if is_sensitive(labels, body, record, config.sensitive.services):
        return None
    declared = record.first("declared")
    if declared is None:
        return None

    def at(entry: Any) -> datetime | None:
        return parse_time(entry.at) if entry is not None else None

    reported = at(record.first("reported")) or created_at
    declared_at = at(declared) or reported
    mitigated = at(record.last("mitigated")) if record.state != State.DECLARED else None
    resolved = at(record.last("resolved")) if record.state == State.RESOLVED else None
    updates = tuple(
        PublicUpdate(moment, clean(e.text))
        for e in record.timeline
        if e.kind == "public" and e.text and (moment := parse_time(e.at)) is not None
    )
    return PublicIncident(
        number=number,
        # Without the report form's title prefix (the team's form's, or the packaged one's).
        title=clean(without_form_prefix(public_title(record, title), config.title_prefix))
        or f"Incident {number}",
        component=_component(record, body, config, names),
        state=record.state,
        severity=record.severity,
        started=min(reported, declared_at),
        declared=declared_at,
        mitigated=mitigated,
        resolved=resolved,
        updates=updates,
    )


def public_title(record: Record | None, title: str) -> str:
    """The title the public surfaces show: the one declared (or `/retitle`d), else, for a
    record from before the tool kept it, the issue's `title`."""
    if record is not None and record.public_title:
        return record.public_title
    return title


def _component(
    record: Record, body: str | None, config: Config, names: Sequence[str] | None = None
) -> str:
    names = components(config) if names is None else names
    if record.component is not None:
        return _named(record.component, names)
    return component_of(body, names)  # a record from before the tool kept it


def shown(view: Any, record: Record | None, config: Config) -> PublicIncident | None:
    """`public_incident` of an IssueView: what `handle` compares before and after a run.

    Sensitivity as the record says: a `sensitive` label it does not know of yet was added
    since its last run, so the page built then still shows the incident ("before"), and this
    run marks the record (core/reconcile.py), which takes it off ("after"): the Pages job
    runs in the same run.
    """
    return public_incident(
        number=view.number,
        title=view.title,
        body=view.body,
        labels=[label for label in view.labels if label.lower() != SENSITIVE_LABEL],
        created_at=view.created_at,
        record=record,
        config=config,
    )
