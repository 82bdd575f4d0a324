"""Question 8: reports from monitors."""

from __future__ import annotations

import json
from typing import Any

from lab import (
    REPO,
    Lab,
    Report,
    check,
    request_key,
    slack_method,
)

# ------------------------------------------------- section 8: reports from monitors


def section8(rep: Report, quick: bool) -> dict[str, Any]:
    """Requests for an alert that opens a report, a repeat, a resolution.

    docs/usage.md#reports-from-monitors-scripts-and-the-actions-tab.
    """
    import urllib.request

    rep.section("8. Reports from monitors: a new alert, a repeat, a resolution")
    alert = {
        "title": "Search 5xx above 5%",
        "service": "Search / catalogue API",
        "severity": 2,
        "source": "grafana",
        "url": "https://grafana.example.org/d/search",
        "details": {"rate": 0.12},
    }
    rows, facts = [], {}
    with Lab() as lab:

        def dispatch(**changes: Any) -> tuple[str, dict[str, Any]]:
            body = {"event_type": "incident-report", "client_payload": {**alert, **changes}}
            request = urllib.request.Request(
                f"{lab.sb.github_url}/repos/{REPO}/dispatches",
                data=json.dumps(body).encode(),
                method="POST",
                headers={"Authorization": f"token {lab.gh.user('lee').token}"},
            )
            with urllib.request.urlopen(request) as response:
                assert response.status == 204
            return lab.one_event()

        for label, changes in (
            ("new alert: opens the report", {}),
            ("repeat firing", {}),
            ("repeat firing (declared incident)", {}),
            ("resolved (declared incident)", {"status": "resolved"}),
        ):
            if label.endswith("(declared incident)") and "declared" not in facts:
                lab.declare(1)
                facts["declared"] = True
            result = lab.run_inprocess(*dispatch(**changes))
            check([result], label)
            lists = [
                x for x in result.reqs if x.method == "GET" and x.path == f"/repos/{REPO}/issues"
            ]
            c = result.counts
            rows.append(
                [
                    label,
                    f"{c.gh_reads} / {c.gh_writes}",
                    f"**{c.gh}**",
                    f"{c.sl_reads} / {c.sl_writes}",
                    f"{len(lists)} (label filter: {all('labels' in x.query for x in lists)})",
                    ", ".join(
                        request_key(x) if x.service == "github" else slack_method(x.path)
                        for x in result.reqs
                    ),
                ]
            )
            facts[label] = c.gh
    rep.table(
        [
            "event",
            "GitHub reads / writes",
            "GitHub total",
            "Slack reads / writes",
            "issue lists",
            "sent",
        ],
        rows,
    )
    rep.add("")
    rep.add(
        "A repeat finds the problem's issue with one `GET /repos/{o}/{r}/issues?labels="
        "alert:<hash>&state=all` (a label filter: no scan of the repository's issues, no "
        "search index lag), then reads the comments, re-reads the status comment before "
        "writing (another run may have counted meanwhile) and edits it."
    )
    return facts
