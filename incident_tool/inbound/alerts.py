"""Reports from monitors, scripts and the Actions tab
(docs/usage.md#reports-from-monitors-scripts-and-the-actions-tab): the pure part.

A `repository_dispatch` `client_payload`, a `workflow_dispatch`'s inputs, or the options of
`incident-tool open` become one `Report`; the report becomes an issue body in the issue
form's headings (so `forms.parse_report` and the retrospective read it like any report),
and its fingerprint names the problem so that a repeat finds the open issue.

Nothing here makes a request. Every string is untrusted (an alert's text is whatever the
monitor or its attacker put there): it is checked here and escaped where it is shown.
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from incident_tool.core import wording
from incident_tool.core.record import iso, load_json, too_deep
from incident_tool.errors import UsageError
from incident_tool.inbound.forms import NO_RESPONSE, default_form

EVENT_TYPE = "incident-report"  # repository_dispatch's event_type for a report
KEYS = (
    "title",
    "summary",
    "service",
    "severity",
    "status",
    "fingerprint",
    "source",
    "url",
    "details",
)
MAX_KEYS = 10  # GitHub's own limit on client_payload's top-level properties
MAX_TITLE = 256  # GitHub's limit on an issue title
LIMITS = {"summary": 10000, "service": 100, "fingerprint": 200, "source": 100, "url": 2000}
DETAIL_ROWS = 30  # details shown in the table; the rest are counted, not lost silently
DETAIL_KEY = 100
DETAIL_VALUE = 300
# How deep a value may nest (`details` of a monitor's payload go a few levels down). Deeper
# is refused before anything walks it: 300-990 levels gave "unexpected RecursionError".
MAX_DEPTH = 20
STATUSES = ("firing", "resolved")
LABEL_PREFIX = "alert:"
MARKER_RE = re.compile(r"<!-- incident-tool:alert (\{.*?\}) -->")
INPUTS = ("title", "summary", "service", "severity")  # workflow_dispatch inputs


class PayloadError(UsageError, ValueError):
    """A report that does not fit; the message is one line naming the key and the rule."""


@dataclass(frozen=True)
class Report:
    """One report, from whichever door it came in."""

    title: str
    summary: str = ""
    service: str = ""
    severity: int | None = None
    status: str = "firing"
    fingerprint: str = ""  # as given; `key` is what the tool keeps
    source: str = ""
    url: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    via: str = "repository_dispatch"  # repository_dispatch / workflow_dispatch / open
    sender: str | None = None  # the token's owner, or the person who ran the workflow

    @property
    def key(self) -> str:
        """The fingerprint as kept: normalised and hashed (short enough for a label)."""
        return fingerprint(self.fingerprint, self.source, self.service, self.title)

    @property
    def label(self) -> str:
        return LABEL_PREFIX + self.key


def normalise(text: str) -> str:
    """Compare texts as people would: case, spacing and surrounding blanks do not count."""
    return " ".join(text.split()).casefold()


def fingerprint(given: str, source: str, service: str, title: str) -> str:
    """Hash the given fingerprint, else `source`, `service` and `title`
    (docs/usage.md#reports-from-monitors-scripts-and-the-actions-tab).

    16 hex digits (64 bits) keep `alert:<hash>` short as a label; a collision between two
    problems of one repository is far less likely than the same alert worded twice.
    """
    basis = (
        normalise(given)
        if given.strip()
        else "\x1f".join(normalise(x) for x in (source, service, title))
    )
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]


def _kind(value: Any) -> str:
    return (
        {bool: "true/false", int: "a number", float: "a number", str: "text"}.get(
            type(value), "a list" if isinstance(value, list) else "an object"
        )
        if value is not None
        else "null"
    )


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _check_depth(values: dict[str, Any], *, where: str) -> None:
    for key, value in values.items():
        if too_deep(value, MAX_DEPTH):
            raise PayloadError(f"{where}: `{key}` nested deeper than {MAX_DEPTH} levels")


def _text(payload: dict[str, Any], key: str, *, where: str) -> str:
    value = payload.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PayloadError(f"{where}: `{key}` must be text, not {_kind(value)}")
    limit = MAX_TITLE if key == "title" else LIMITS[key]
    if len(value) > limit:
        raise PayloadError(
            f"{where}: `{key}` is {len(value)} characters; at most {limit} are allowed"
        )
    return value.strip()


def parse_severity(value: Any, *, where: str) -> int | None:
    """1-4 as a number, or as text ("2": what a templated payload usually sends)."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 4:
        shown = json.dumps(value)[:40] if isinstance(value, (int, str)) else _kind(value)
        raise PayloadError(f"{where}: `severity` must be 1, 2, 3 or 4, not {shown}")
    return value


def check_url(url: str, *, where: str) -> str:
    """Only an absolute http(s) URL: a `javascript:` link must not reach a comment."""
    if not url:
        return ""
    parts = urllib.parse.urlsplit(url)
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.netloc
        or any(ch.isspace() or ord(ch) < 32 for ch in url)
    ):
        raise PayloadError(f"{where}: `url` must be an http:// or https:// address")
    return url


def from_payload(payload: Any, *, sender: str | None = None) -> Report:
    """Check a `client_payload`; raise PayloadError saying what does not fit.

    docs/usage.md#reports-from-monitors-scripts-and-the-actions-tab lists the fields.
    """
    where = "client_payload"
    if not isinstance(payload, dict):
        raise PayloadError(f"{where} must be a JSON object, not {_kind(payload)}")
    if len(payload) > MAX_KEYS:
        raise PayloadError(
            f"{where} has {len(payload)} top-level keys; at most {MAX_KEYS} are allowed"
        )
    unknown = sorted(str(k) for k in payload if k not in KEYS)
    if unknown:
        shown = ", ".join(json.dumps(k[:40]) for k in unknown[:3])
        raise PayloadError(f"{where}: unknown key {shown} (known: {', '.join(KEYS)})")
    _check_depth(payload, where=where)
    if _has_nul(payload):
        bad = next(k for k, v in payload.items() if _has_nul(v))
        raise PayloadError(f"{where}: `{bad}` contains a NUL character")
    title = _text(payload, "title", where=where)
    if not title:
        raise PayloadError(f"{where}: `title` is required (a short text naming the problem)")
    status = payload.get("status")
    if status is None:
        status = "firing"
    if not isinstance(status, str) or status.strip().lower() not in STATUSES:
        shown = json.dumps(status)[:40] if isinstance(status, str) else _kind(status)
        raise PayloadError(f'{where}: `status` must be "firing" or "resolved", not {shown}')
    details = payload.get("details")
    if details is None:
        details = {}
    if not isinstance(details, dict):
        raise PayloadError(f"{where}: `details` must be an object, not {_kind(details)}")
    return Report(
        title=" ".join(title.split()),
        summary=_text(payload, "summary", where=where),
        service=" ".join(_text(payload, "service", where=where).split()),
        severity=parse_severity(payload.get("severity"), where=where),
        status=status.strip().lower(),
        fingerprint=_text(payload, "fingerprint", where=where),
        source=" ".join(_text(payload, "source", where=where).split()),
        url=check_url(_text(payload, "url", where=where), where=where),
        details=details,
        via="repository_dispatch",
        sender=sender,
    )


def from_inputs(inputs: Any, *, sender: str | None) -> Report:
    """Check a `workflow_dispatch`'s inputs: a person's report from the Actions tab.

    Inputs the workflow declares for other purposes are not ours to refuse: GitHub already
    refused any the workflow does not declare.
    """
    where = "workflow_dispatch inputs"
    if inputs is None:
        inputs = {}
    if not isinstance(inputs, dict):
        raise PayloadError(f"{where} must be an object, not {_kind(inputs)}")
    ours = {k: inputs.get(k) for k in INPUTS if inputs.get(k) not in (None, "")}
    _check_depth(ours, where=where)
    if _has_nul(ours):
        bad = next(k for k, v in ours.items() if _has_nul(v))
        raise PayloadError(f"{where}: `{bad}` contains a NUL character")
    for key, value in ours.items():
        if key != "severity" and not isinstance(value, str):
            raise PayloadError(f"{where}: `{key}` must be text, not {_kind(value)}")
    title = _text(ours, "title", where=where)
    if not title:
        raise PayloadError(f"{where}: `title` is required (say what is wrong in a few words)")
    severity = ours.get("severity")
    if isinstance(severity, str):
        # A choice input may carry the form's option text ("2 - Major: ...").
        match = re.match(r"\s*([0-9]+)", severity)
        severity = match.group(1) if match else severity
    return Report(
        title=" ".join(title.split()),
        summary=_text(ours, "summary", where=where),
        service=" ".join(_text(ours, "service", where=where).split()),
        severity=parse_severity(severity, where=where),
        source="Actions tab",
        via="workflow_dispatch",
        sender=sender,
    )


# -- the issue body --------------------------------------------------------------------

_STRUCTURE = re.compile(r"^( {0,3})([#`~>=|-])", re.MULTILINE)


def block_text(text: str) -> str:
    """Make multi-line untrusted text safe inside a form-shaped body.

    As `messages.user_text` (no HTML, no mentions), and no line may start a heading, a code
    fence or other block: a `### Affected service` inside a summary must not become a field.
    """
    return _STRUCTURE.sub(lambda m: m.group(1) + "\\" + m.group(2), wording.user_text(text))


def cell(value: Any, limit: int) -> str:
    """One table cell: escaped, on one line, clipped."""
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    value = " ".join(value.split())
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return wording.user_text(value, inline=True).replace("`", "\\`") or " "


def details_table(details: dict[str, Any]) -> str:
    """`details` as a two-column table, at most DETAIL_ROWS rows (the rest counted)."""
    if not details:
        return ""
    lines = ["| | |", "|---|---|"]
    items = list(details.items())
    for key, value in items[:DETAIL_ROWS]:
        lines.append(f"| {cell(str(key), DETAIL_KEY)} | {cell(value, DETAIL_VALUE)} |")
    if len(items) > DETAIL_ROWS:
        lines.append(f"| … | {len(items) - DETAIL_ROWS} more not shown |")
    return "\n".join(lines)


def safe_url(url: str) -> str:
    """An http(s) URL made safe inside a Markdown link target and a code block."""
    return (
        urllib.parse.quote(url, safe=":/?#[]@!$&'*+,;=%~-._")
        .replace("(", "%28")
        .replace(")", "%29")
    )


def severity_option(severity: int | None) -> str:
    """The form's own option for a severity (so the form parser reads the guess)."""
    if severity is None:
        return NO_RESPONSE
    form_field = default_form().get_field("severity")
    for option in form_field.options if form_field else ():
        if option.startswith(f"{severity} "):
            return option
    return str(severity)


def noticed(report: Report) -> str:
    if report.via == "workflow_dispatch":
        who = wording.person(report.sender) if report.sender else "someone"
        return f"Reported from the Actions tab (workflow_dispatch) by {who}."
    if report.via == "open":
        return "Reported with `incident-tool open` (the author of this issue)."
    source = f"`{cell(report.source, 100)}`" if report.source else "a monitor"
    sender = f", sent by {wording.person(report.sender)}" if report.sender else ""
    return f"Alert from {source} (repository_dispatch{sender})."


def marker(report: Report, *, run: str | None = None) -> str:
    """The hidden marker: the fingerprint and where the report came from (no user text
    can end the HTML comment: the JSON is escaped as the record's is)."""
    data = {
        "fingerprint": report.key,
        "source": report.source[:100],
        "url": report.url,
        "via": report.via,
        "sender": report.sender,
        "run": run,
    }
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("--", "-\\u002d")
    return f"<!-- incident-tool:alert {text} -->"


def read_marker(body: str | None) -> dict[str, Any] | None:
    """The marker's data from an issue body, or None (also when it is not JSON, or nests
    deeper than MAX_DEPTH: anyone can write one into a report)."""
    match = MARKER_RE.search(body or "")
    if match is None:
        return None
    try:
        data = load_json(match.group(1), MAX_DEPTH)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def body(
    report: Report, received: datetime, *, previous: int | None = None, run: str | None = None
) -> str:
    """The issue body, in the headings of the "Report incident" form."""

    def section(heading: str, text: str) -> list[str]:
        return [f"### {heading}", "", text or NO_RESPONSE, ""]

    when = received.strftime("%Y-%m-%d %H:%M UTC")
    how = noticed(report)
    if previous is not None:
        how += f" The same problem was reported before in #{previous} (closed)."
    links = f"```text\n{safe_url(report.url)}\n```" if report.url else NO_RESPONSE
    lines = [
        *section("Summary", block_text(report.summary or report.title)),
        *section("Affected service", block_text(report.service)),
        *section("Impact on users", ""),
        *section("When did it start?", f"{when} (when the report was received)"),
        *section("How was it noticed?", how),
        *section("Links", links),
        *section("Severity guess", severity_option(report.severity)),
    ]
    table = details_table(report.details)
    if table:
        lines += section("Details", table)
    lines.append(marker(report, run=run))
    return "\n".join(lines) + "\n"


# -- the record --------------------------------------------------------------------------


def source_row(alert: dict[str, Any], url: str | None) -> str:
    """The status comment's "Reported through" cell: the source, linking its url."""
    via = alert.get("via") or "repository_dispatch"
    source = alert.get("source") or ""
    words = {
        "repository_dispatch": "a monitor (repository_dispatch)",
        "workflow_dispatch": "the Actions tab (workflow_dispatch)",
        "open": "`incident-tool open`",
    }.get(via, "a monitor")
    text = f"`{cell(source, 100)}` via {words}" if source and via != "workflow_dispatch" else words
    if url:
        text += f": [alert]({safe_url(url)})"
    return text


def status_rows(
    alert: dict[str, Any] | None, state: str, dismiss_after: int
) -> list[tuple[str, str]]:
    """Rows and a hint line for the status comment (empty for reports of people)."""
    if not alert:
        return []
    rows: list[tuple[str, str]] = [("Reported through", source_row(alert, alert.get("url")))]
    count = int(alert.get("count") or 1)
    if count > 1:
        last = str(alert.get("last") or "").replace("T", " ").replace("Z", " UTC")
        rows.append(("Fired", f"{count} times (last {last})" if last else f"{count} times"))
    if alert.get("status") == "resolved":
        at = str(alert.get("resolved_at") or "").replace("T", " ").replace("Z", " UTC")
        if state == "reported":
            hint = "the monitor says it recovered: if nothing more is needed, `/dismiss <reason>`"
            if dismiss_after:
                hint += f" (dismissed automatically {dismiss_after} minutes after it resolved)"
        else:
            hint = (
                "the monitor says it recovered; a monitor never resolves a declared incident: "
                "a delivery manager decides (`/resolve`)"
            )
        rows.append(("Alert resolved", f"{at}: {hint}" if at else hint))
    return rows


def note_received(alert: dict[str, Any], report: Report, at: datetime) -> None:
    """Count a firing (or a resolution) in the record's alert data."""
    stamp = iso(at)
    if report.status == "resolved":
        alert["status"] = "resolved"
        alert["resolved_at"] = stamp
        return
    alert["count"] = int(alert.get("count") or 1) + 1
    alert["last"] = stamp
    alert["status"] = "firing"
    alert["resolved_at"] = None
