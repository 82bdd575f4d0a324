"""The pure part of reports from monitors
(docs/usage.md#reports-from-monitors-scripts-and-the-actions-tab): payload checks,
fingerprint, body."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from incident_tool.config import ConfigError, parse
from incident_tool.inbound import alerts
from incident_tool.inbound.forms import parse_report, severity_from_guess

EXAMPLES = Path(__file__).parents[1] / "data" / "webhooks"
WHEN = datetime(2026, 12, 1, 9, 40, tzinfo=timezone.utc)


def good(**changes: object) -> dict:
    payload = {
        "title": "Search 5xx above 5%",
        "summary": "Error rate 12% for 5 minutes",
        "service": "Search / catalogue API",
        "severity": 2,
        "status": "firing",
        "source": "grafana",
        "url": "https://grafana.example.org/d/search",
        "details": {"rate": 0.12, "region": "eu-west-1"},
    }
    payload.update(changes)
    return {k: v for k, v in payload.items() if v is not ...}


def test_a_full_payload_is_read() -> None:
    report = alerts.from_payload(good(), sender="grafana-bot")
    assert (report.title, report.severity, report.status, report.source) == (
        "Search 5xx above 5%",
        2,
        "firing",
        "grafana",
    )
    assert report.sender == "grafana-bot" and report.via == "repository_dispatch"
    # A templated payload sends numbers as text.
    assert alerts.from_payload(good(severity="3")).severity == 3
    assert alerts.from_payload(good(status="RESOLVED")).status == "resolved"
    assert alerts.from_payload({"title": "x"}).status == "firing"


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        (good(colour="red"), 'unknown key "colour"'),
        ({**good(), **{f"k{i}": 1 for i in range(3)}}, "11 top-level keys; at most 10"),
        (good(title="x" * 257), "`title` is 257 characters; at most 256"),
        (good(title=...), "`title` is required"),
        (good(title="   "), "`title` is required"),
        (good(title=7), "`title` must be text, not a number"),
        (good(severity=9), "`severity` must be 1, 2, 3 or 4, not 9"),
        (good(severity=True), "`severity` must be 1, 2, 3 or 4"),
        (good(severity="high"), '`severity` must be 1, 2, 3 or 4, not "high"'),
        (good(status="ok"), '`status` must be "firing" or "resolved"'),
        (good(details=["a"]), "`details` must be an object, not a list"),
        (good(details="a=1"), "`details` must be an object, not text"),
        (good(summary="a\x00b"), "`summary` contains a NUL character"),
        (good(details={"k": ["a\x00"]}), "`details` contains a NUL character"),
        (good(url="javascript:alert(1)"), "`url` must be an http:// or https:// address"),
        (good(url="https://x.example/a b"), "`url` must be an http:// or https:// address"),
        (good(service=["a"]), "`service` must be text, not a list"),
        ([], "client_payload must be a JSON object, not a list"),
    ],
)
def test_a_payload_that_does_not_fit_is_refused_in_one_line(payload: object, words: str) -> None:
    with pytest.raises(alerts.PayloadError) as caught:
        alerts.from_payload(payload)
    message = str(caught.value)
    assert words in message and "\n" not in message


def test_fingerprint_is_normalised_and_hashed() -> None:
    a = alerts.from_payload(good(title="Search  5XX above 5% "))
    b = alerts.from_payload(good())
    assert a.key == b.key and len(a.key) == 16 and a.label == f"alert:{a.key}"
    assert alerts.from_payload(good(source="prometheus")).key != b.key
    given = alerts.from_payload(good(fingerprint="Search-5xx"))
    assert given.key == alerts.from_payload(good(title="other", fingerprint=" search-5XX")).key
    assert given.key != b.key


def test_body_reads_like_a_form_report() -> None:
    report = alerts.from_payload(good(details={"rate": 0.12}), sender="grafana-bot")
    body = alerts.body(report, WHEN, previous=12)
    parsed = parse_report(body)
    assert parsed.get("summary") == "Error rate 12% for 5 minutes"
    assert parsed.get("service") == "Search / catalogue API"
    assert severity_from_guess(parsed.get("severity")) == 2
    assert parsed.get("links") == "https://grafana.example.org/d/search"
    assert "#12" in parsed.text("noticed") and "grafana" in parsed.text("noticed")
    assert parsed.missing == ("Impact on users",)
    assert "| rate | 0.12 |" in parsed.unknown_sections["Details"]
    assert alerts.read_marker(body)["fingerprint"] == report.key


def test_untrusted_text_cannot_shape_the_body_ping_or_open_html() -> None:
    hostile = good(
        summary="fine\n### Affected service\n\nWebsite\n```\n### Severity guess\n"
        "@org/team <img src=x>",
        details={"<b>": "@here | x", "`k`": {"nested": "--> <!--"}},
        source="graf<ana> -->",
    )
    body = alerts.body(alerts.from_payload(hostile), WHEN)
    parsed = parse_report(body)
    assert parsed.get("service") == "Search / catalogue API"  # not "Website"
    assert severity_from_guess(parsed.get("severity")) == 2
    assert "<img" not in body and "<b>" not in body and "@here" not in body
    assert "@org" not in body.replace("@\u200b", "")
    # The only HTML comment is the tool's marker, and nothing closes it early.
    assert body.count("-->") == 1 and body.rstrip().endswith("-->")
    table = parsed.unknown_sections["Details"]
    rows = [line for line in table.splitlines()[2:] if line.startswith("|")]
    assert len(rows) == 2 and all(len(re.split(r"(?<!\\)\|", row)) == 4 for row in rows)


def test_details_are_bounded() -> None:
    many = {f"key{i}": "v" * 1000 for i in range(50)}
    table = alerts.details_table(many)
    assert table.count("\n") == 2 + alerts.DETAIL_ROWS
    assert "20 more not shown" in table and max(map(len, table.splitlines())) < 400


def test_workflow_dispatch_inputs() -> None:
    real = json.loads((EXAMPLES / "workflow_dispatch.2.json").read_text())
    real["inputs"] = {"title": "Login broken", "summary": "", "service": "Other", "severity": ""}
    report = alerts.from_inputs(real["inputs"], sender=real["sender"]["login"])
    assert (report.title, report.severity, report.sender) == ("Login broken", None, "Codertocat")
    assert report.via == "workflow_dispatch" and report.service == "Other"
    choice = alerts.from_inputs({"title": "x", "severity": "1 - Critical: down"}, sender="a")
    assert choice.severity == 1
    with pytest.raises(alerts.PayloadError, match="`title` is required"):
        alerts.from_inputs(real.get("missing", {}), sender="a")
    with pytest.raises(alerts.PayloadError, match="`severity` must be 1, 2, 3 or 4"):
        alerts.from_inputs({"title": "x", "severity": "9"}, sender="a")


def test_alerts_config() -> None:
    assert parse("alerts: {auto_dismiss_after: 30}").alerts.auto_dismiss_after == 30
    assert parse("delivery_managers: [a]").alerts.auto_dismiss_after == 0
    assert parse("alerts: {auto_dismiss_after: 0}").alerts.auto_dismiss_after == 0
    with pytest.raises(ConfigError, match="alerts.auto_dismiss_after"):
        parse("alerts: {auto_dismiss_after: -5}")
    with pytest.raises(ConfigError, match="alerts.after"):
        parse("alerts: {after: 5}")


# -- the decisions, without HTTP (tests/fakes.py's Context) ------------------------------


def alert_context(*, author: str = "github-actions[bot]", minutes: int = 5, config=None):
    from tests.fakes import CONFIG, T0, context

    report = alerts.from_payload(good(), sender="grafana-bot")
    body = alerts.body(report, T0)
    ctx = context(
        body=body,
        author=author,
        labels=("incident:reported", report.label),
        minutes=minutes,
        config=config or CONFIG,
    )
    return ctx, report


def test_adopt_reads_the_marker_and_names_the_dispatch_sender() -> None:
    from incident_tool.core.alerts import adopt

    ctx, report = alert_context()
    assert adopt(ctx) == "grafana-bot"
    assert ctx.record.alert["fingerprint"] == report.key and ctx.record.alert["count"] == 1
    # Written by a person: the marker cannot name someone else as the reporter.
    ctx, _ = alert_context(author="rita")
    assert adopt(ctx) is None and ctx.record.alert is not None
    # Without the fingerprint's label (which takes triage access), it is not believed.
    ctx, _ = alert_context()
    ctx.issue = dataclasses.replace(ctx.issue, labels=("incident:reported",))
    assert adopt(ctx) is None and ctx.record.alert is None


def test_received_counts_once_per_run_and_never_on_a_fresh_record() -> None:
    from incident_tool.core import lifecycle
    from incident_tool.core.alerts import NotReady, adopt, received

    ctx, report = alert_context()
    with pytest.raises(NotReady):
        received(ctx, report, run="1", fresh=True)
    lifecycle.report(ctx, adopt(ctx) or "x")
    received(ctx, report, run="1", fresh=False)
    received(ctx, report, run="1", fresh=False)  # a re-run of the same job
    assert ctx.record.alert["count"] == 2
    assert [e.kind for e in ctx.record.timeline] == ["reported", "fired-again"]
    resolved = dataclasses.replace(report, status="resolved")
    received(ctx, resolved, run="2", fresh=False)
    assert ctx.record.alert["status"] == "resolved" and ctx.record.timeline[-1].kind == (
        "alert-resolved"
    )
    assert ctx.record.state.value == "reported"  # a monitor changes no state


def test_auto_dismiss_only_a_report_whose_alert_resolved_long_enough_ago() -> None:
    from incident_tool.core import lifecycle
    from incident_tool.core.alerts import adopt, auto_dismiss, received
    from incident_tool.core.model import Close

    config = parse("delivery_managers: [dana]\nalerts: {auto_dismiss_after: 30}")
    ctx, report = alert_context(config=config)
    lifecycle.report(ctx, adopt(ctx) or "x")
    received(ctx, dataclasses.replace(report, status="resolved"), run=None, fresh=False)
    auto_dismiss(ctx)
    assert ctx.record.state.value == "reported"
    ctx.now += timedelta(minutes=31)
    auto_dismiss(ctx)
    assert ctx.record.state.value == "dismissed" and Close("not_planned") in ctx.plan
    assert ctx.record.timeline[-1].actor is None
    # Declared: never dismissed (nor resolved) by a monitor.
    ctx, report = alert_context(config=config)
    lifecycle.report(ctx, "x")
    lifecycle.declare(ctx, "dana")
    received(ctx, dataclasses.replace(report, status="resolved"), run=None, fresh=False)
    ctx.now += timedelta(days=2)
    auto_dismiss(ctx)
    assert ctx.record.state.value == "declared"
