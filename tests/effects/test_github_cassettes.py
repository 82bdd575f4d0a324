"""The GitHub layer (run.handle, Gateway, PyGithub) replayed from recorded vcrpy cassettes.

The cassettes under tests/cassettes/github/ are real runs of the tool against the sandbox,
recorded by ``python tools/record_github_cassettes.py`` (see its docstring for the scenarios
and what it normalises). Here each one is replayed through the production path with
``record_mode="none"``: a request the cassette does not hold fails the test, and every
recorded request must be made exactly once, so the cassettes also pin each run's request
budget. Checks below keep the cassettes honest against GitHub's own OpenAPI description
(tests/reference/github-rest-api-subset.json), independently of the sandbox's validator:
every request is a documented endpoint with documented query parameters and body fields,
every response fits its documented schema, and no cassette holds a credential.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jsonschema
import pytest
import vcr
import yaml

from incident_tool import app as run
from incident_tool import config
from incident_tool.core.record import STATUS_MARKER, parse_time
from incident_tool.inbound import events
from incident_tool.verbs import common as verbs_common

TESTS = Path(__file__).parents[1]
CASSETTES = TESTS / "cassettes" / "github"
CONFIG_FILE = CASSETTES / "incident.yml"
SPEC_PATH = TESTS / "reference" / "github-rest-api-subset.json"
API = "https://api.github.example"
REPO = "wellcome/platform"
ISSUE = f"/repos/{REPO}/issues/1"
STATUS_COMMENT = f"/repos/{REPO}/issues/comments/3000002"
SCENARIOS = ("report", "report_labeled", "declare", "handover", "join", "refused", "close")

# Reads (GET, and the GraphQL query for users' "busy" status) and writes per run: the
# request budget docs/measured.md#measured asks for. The replay fails if a run's requests change at
# all; this table says what the numbers are, so a change to them is a visible decision.
BUDGET = {
    "report": (4, 2),
    "report_labeled": (2, 0),
    # A run with effects re-reads the status comment before acting: `handle` and `sweep`
    # may overlap, and neither may act on a stale record.
    # the 4th write asks the lead to acknowledge
    # (docs/usage.md#the-lead-availability-and-acknowledgement)
    # +4 reads: what changed before the report, read once at declaration (deployments
    # with their latest state (GraphQL), pull requests, releases, workflow runs of the
    # incidents repository; one page each: docs/usage.md#what-changed-before-the-incident)
    "declare": (9, 4),
    "handover": (4, 4),
    "join": (4, 2),
    "refused": (3, 2),
    # The retrospective is assigned only to delivery managers GitHub confirms can be
    # assigned (one cached GET each): one who cannot would make GitHub refuse it (422).
    "close": (5, 5),
}

github_vcr = vcr.VCR(
    cassette_library_dir=str(CASSETTES),
    record_mode="none",
    filter_headers=["authorization"],
    # The JSON body is matched too (vcrpy compares it parsed), so a replay only succeeds
    # when the tool sends what it sent when recorded.
    match_on=["method", "scheme", "host", "path", "query", "body"],
)


# -- cassettes as data ---------------------------------------------------------------------


def cassette_paths() -> list[Path]:
    """List the recorded cassettes (incident.yml beside them is the config, not one)."""
    return sorted(CASSETTES.glob("*.yaml"))


@cache
def cassette(name: str) -> dict[str, Any]:
    """Parse one cassette (metadata and interactions) as plain YAML."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load((CASSETTES / f"{name}.yaml").read_text("utf-8"), Loader=loader)


@dataclass(frozen=True)
class Interaction:
    """One recorded request and its response, decoded."""

    method: str
    path: str
    query: dict[str, str]
    body: Any  # parsed JSON, or None
    status: int
    response: Any  # parsed JSON, or None for an empty body

    @property
    def is_read(self) -> bool:
        return self.method == "GET" or (self.method, self.path) == ("POST", "/graphql")


def _json(text: str | bytes | None) -> Any:
    """Parse a recorded body; an empty one (204, GET) is None."""
    if text is None or not str(text).strip():
        return None
    return json.loads(text)


def interactions(name: str) -> list[Interaction]:
    """Decode one cassette's requests and responses, in the order they were made."""
    out = []
    for item in cassette(name)["interactions"]:
        request, response = item["request"], item["response"]
        uri = urlsplit(request["uri"])
        out.append(
            Interaction(
                method=request["method"],
                path=uri.path,
                query=dict(parse_qsl(uri.query)),
                body=_json(request.get("body")),
                status=int(response["status"]["code"]),
                response=_json(response["body"]["string"]),
            )
        )
    return out


def all_interactions() -> Iterator[tuple[str, int, Interaction]]:
    """Yield (cassette, index, interaction) for every cassette."""
    for path in cassette_paths():
        for i, item in enumerate(interactions(path.stem)):
            yield path.stem, i, item


# -- replay --------------------------------------------------------------------------------


@dataclass
class Replay:
    """What a replayed run returned, and the requests it made."""

    outcome: run.Outcome
    sent: list[Interaction]  # the recorded requests, each matched by one request of the run
    log: list[str]

    def writes(self) -> list[Interaction]:
        """Return the requests that change something on GitHub."""
        return [x for x in self.sent if not x.is_read]

    def one(self, method: str, path: str) -> Interaction:
        """Return the only request made to `method path`."""
        found = [x for x in self.sent if x.method == method and x.path == path]
        assert len(found) == 1, f"{method} {path}: {len(found)} requests"
        return found[0]


@pytest.fixture
def replay(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[[str], Replay]:
    """Run the recorded event through run.handle against its cassette only."""

    def play(name: str) -> Replay:
        meta = cassette(name)["metadata"]
        now = parse_time(meta["now"])
        # Time is frozen where the tool reads it, so the bodies it sends match the recording.
        for module in ("core.record", "app", "effects.mirror"):
            monkeypatch.setattr(f"incident_tool.{module}.utcnow", lambda: now)
        monkeypatch.setenv("GITHUB_API_URL", API)
        monkeypatch.setenv("GITHUB_TOKEN", "ghs_replay-token-not-recorded")  # as GITHUB_TOKEN
        for name_ in ("SLACK_BOT_TOKEN", "SLACK_API_URL", "INCIDENT_TOOL_BOT_LOGIN"):
            monkeypatch.delenv(name_, raising=False)
        event_path = tmp_path / "event.json"
        event_path.write_text(json.dumps(meta["event"]), "utf-8")
        event = events.load(event_path, meta["event_name"])
        assert event.ignore_reason() is None
        log: list[str] = []
        cfg = config.load(CONFIG_FILE, required=True)
        tools = verbs_common.open_tools(REPO, cfg, tmp_path, dry_run=False, log=log.append)
        # One request at a time: vcrpy's connection stubs, shared by a pool's threads, let a
        # request of a second thread through to the network (seen: a replay reaching for
        # api.github.example). The requests are the same either way.
        monkeypatch.setattr("incident_tool.effects.parallel.MAX_AT_ONCE", 1)
        with github_vcr.use_cassette(f"{name}.yaml", allow_playback_repeats=False) as played:
            outcome = run.handle(event, tools, now=now)
        # All played, none twice: the run made exactly the recorded requests. With the body
        # in match_on, each recorded request stands for the one the run sent.
        assert played.all_played, f"{name}: {played.play_count} of {len(played)} played"
        return Replay(outcome, interactions(name), log)

    return play


def status_body(replay: Replay) -> str:
    """Return the status comment the run saved (an edit: it was posted by the report)."""
    body = replay.one("PATCH", STATUS_COMMENT).body["body"]
    assert body.startswith(STATUS_MARKER)
    return body


def record_data(body: str) -> dict[str, Any]:
    """Return the machine state kept in a status comment."""
    found = re.search(r"<!-- incident-tool:data (\{.*\}) -->", body, re.DOTALL)
    assert found, "the status comment keeps the record"
    return json.loads(found.group(1))


def test_report(replay: Callable[[str], Replay]) -> None:
    r = replay("report")
    assert (r.outcome.handled, r.outcome.state) == (True, "reported")
    assert any("SLACK_BOT_TOKEN is not set" in line for line in r.log)  # Slack off, said so
    # rita has read access only (docs/usage.md#who-may-change-an-incident-by-hand): her severity
    # guess is shown, not applied, and two reads are added: her permission, and her reports of
    # the last 24 hours (one page of the issues list) to see whether this one may page the
    # delivery managers.
    assert r.outcome.writes == ["comment on #1 (reported)", "post the status comment on #1"]
    assert not [x for x in r.sent if (x.method, x.path) == ("POST", f"{ISSUE}/labels")]
    [count] = [x for x in r.sent if (x.method, x.path) == ("GET", f"/repos/{REPO}/issues")]
    assert count.query["creator"] == "rita" and count.query["state"] == "all"
    posted = [x.body["body"] for x in r.sent if (x.method, x.path) == ("POST", f"{ISSUE}/comments")]
    assert len(posted) == 2
    notice, status = posted
    assert notice.startswith("<!-- incident-tool:reported -->") and "@dana" in notice
    assert status.startswith(STATUS_MARKER)
    data = record_data(status)
    assert (data["state"], data["severity"], data["severity_guess"]) == ("reported", None, 2)
    assert data["timeline"][0] == {
        "actor": "rita",
        "at": "2026-11-26T09:45:00Z",
        "kind": "reported",
        "ref": None,
        "text": "",
    }


def test_report_labeled_writes_nothing(replay: Callable[[str], Replay]) -> None:
    # GitHub delivers issues.labeled (incident:reported) right after issues.opened for a
    # form submission: that second run finds everything done and writes nothing.
    r = replay("report_labeled")
    assert (r.outcome.state, r.outcome.writes) == ("reported", [])


def test_declare(replay: Callable[[str], Replay]) -> None:
    r = replay("declare")
    assert r.outcome.state == "declared"
    assert r.outcome.writes == [
        "set assignees of #1 to priya",
        "comment on #1 (ack-ask:1)",  # the chosen lead is asked to acknowledge
        "remove label incident:reported from #1",
        "update the status comment on #1",
    ]
    # Two queries: the responders' "busy" status, and the deployments (with their latest
    # state) of what changed before the report.
    [busy] = [x for x in r.sent if x.path == "/graphql" and "user(" in x.body["query"]]
    [deployments] = [x for x in r.sent if x.path == "/graphql" and "deployments" in x.body["query"]]
    assert deployments.body["variables"] == {"owner": "wellcome", "name": "platform"}
    assert deployments.response["data"]["repository"]["defaultBranchRef"] == {"name": "main"}
    assert busy.body["variables"] == {"l0": "sam", "l1": "priya", "l2": "lee"}
    assert busy.response["data"]["u0"]["status"]["indicatesLimitedAvailability"] is True
    assert r.one("GET", f"/repos/{REPO}/assignees/priya").status == 204
    assert r.one("PATCH", ISSUE).body == {"assignees": ["priya"]}
    assert r.one("DELETE", f"{ISSUE}/labels/incident%3Areported").status == 200
    body = status_body(r)
    assert "| Lead | [priya](https://github.com/priya) |" in body
    assert "skipped sam (busy on GitHub)" in body
    assert record_data(body)["leads"] == ["priya"]


def test_handover(replay: Callable[[str], Replay]) -> None:
    r = replay("handover")
    assert r.outcome.state == "declared"
    assert r.outcome.writes == [
        "set assignees of #1 to lee",
        "comment on #1 (ack-ask:2)",  # a lead named by /handover is asked too
        "react 👍 to comment 3000004",
        "update the status comment on #1",
    ]
    assert r.one("GET", f"/repos/{REPO}/assignees/lee").status == 204
    assert r.one("PATCH", ISSUE).body == {"assignees": ["lee"]}
    reaction = r.one("POST", f"/repos/{REPO}/issues/comments/3000004/reactions")
    assert reaction.body == {"content": "+1"}
    data = record_data(status_body(r))
    assert data["leads"] == ["priya", "lee"]
    assert data["last_comment_id"] == 3000004


def test_join_reads_collaborator_permission(replay: Callable[[str], Replay]) -> None:
    r = replay("join")
    permission = r.one("GET", f"/repos/{REPO}/collaborators/dana/permission")
    assert permission.response["role_name"] == "maintain"
    assert r.outcome.writes == ["react 👍 to comment 3000006", "update the status comment on #1"]
    assert record_data(status_body(r))["helping"] == [
        "priya",
        "dana",
    ]  # priya led before the handover


def test_refused_command_replies_and_changes_no_state(replay: Callable[[str], Replay]) -> None:
    r = replay("refused")
    assert r.outcome.state == "declared"
    assert r.outcome.writes == [
        "comment on #1 (reply:3000007)",
        "update the status comment on #1",
    ]
    reply = r.one("POST", f"{ISSUE}/comments").body["body"]
    assert reply.startswith("<!-- incident-tool:reply:3000007 -->")
    assert "Only a delivery manager may use `/dismiss`" in reply
    assert any("refused a command by lee" in n for n in r.outcome.notices)
    # No label, assignee or open/closed change: only the reply and the record.
    assert [(x.method, x.path) for x in r.writes()] == [
        ("POST", f"{ISSUE}/comments"),
        ("PATCH", STATUS_COMMENT),
    ]
    data = record_data(status_body(r))
    assert (data["state"], data["last_comment_id"]) == ("declared", 3000007)


def test_close_opens_the_retrospective(replay: Callable[[str], Replay]) -> None:
    r = replay("close")
    assert r.outcome.state == "resolved"
    assert r.outcome.writes == [
        "add labels incident:resolved to #1",
        "remove label incident:declared from #1",
        "open issue 'Retrospective: Search returns no results (#1)'",
        "comment on #1 (retro-link)",
        "update the status comment on #1",
    ]
    lookup = r.one("GET", f"/repos/{REPO}/issues")
    assert lookup.query == {
        "labels": "retrospective",
        "state": "all",
        "since": "2026-11-26T09:45:00Z",
        "per_page": "100",
    }
    assert lookup.response == []
    created = r.one("POST", f"/repos/{REPO}/issues")
    assert created.body["title"] == "Retrospective: Search returns no results (#1)"
    assert (created.body["labels"], created.body["assignees"]) == (["retrospective"], ["dana"])
    retro = created.body["body"]
    assert retro.startswith("<!-- incident-tool:retrospective-of:1 -->")
    assert "**Incident:** https://github.com/wellcome/platform/issues/1" in retro
    for heading in ("## What happened", "## What went well", "## What went badly"):
        assert heading in retro
    assert "| Incident leads (in order) | priya → lee |" in retro
    assert "| Time to resolve | 1h 45m |" in retro
    assert created.status == 201 and created.response["number"] == 2
    link = r.one("POST", f"{ISSUE}/comments").body["body"]
    assert link.startswith("<!-- incident-tool:retro-link -->") and "#2" in link
    data = record_data(status_body(r))
    assert (data["state"], data["retro"]) == ("resolved", 2)


@pytest.mark.parametrize("name", SCENARIOS)
def test_request_budget(name: str) -> None:
    recorded = interactions(name)
    reads = sum(1 for x in recorded if x.is_read)
    assert (reads, len(recorded) - reads) == BUDGET[name]
    # Nothing is asked twice within one run (a GraphQL read is its query and variables).
    keys = [
        (x.method, x.path, tuple(sorted(x.query.items())), json.dumps(x.body, sort_keys=True))
        for x in recorded
        if x.is_read
    ]
    assert len(keys) == len(set(keys))


# -- the cassettes themselves --------------------------------------------------------------


def test_every_scenario_has_a_cassette_and_no_other() -> None:
    assert sorted(p.stem for p in cassette_paths()) == sorted(SCENARIOS)


@pytest.mark.parametrize("path", cassette_paths(), ids=lambda p: p.stem)
def test_cassette_says_how_it_was_made(path: Path) -> None:
    first = path.read_text("utf-8").splitlines()[0]
    assert first.startswith("#") and "python tools/record_github_cassettes.py" in first
    meta = cassette(path.stem)["metadata"]
    assert meta["scenario"] == path.stem


@cache
def load_spec() -> dict[str, Any]:
    """Load GitHub's REST description, cut to the endpoints the tool uses (dereferenced)."""
    return json.loads(SPEC_PATH.read_text("utf-8"))


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    """Provide GitHub's REST description."""
    return load_spec()


@dataclass(frozen=True)
class Operation:
    template: str
    method: str
    doc: dict[str, Any]
    query: frozenset[str]


def _template_regex(template: str) -> re.Pattern[str]:
    """Compile a path template; each {parameter} is exactly one path segment."""
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile(
        "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + r"\Z"
    )


@cache
def routes() -> list[tuple[str, re.Pattern[str]]]:
    """Return the documented path templates, most specific first, compiled."""
    templates = list(load_spec()["paths"])
    # The most literal template wins (issues/comments/{id} over issues/{issue_number}).
    templates.sort(key=lambda t: t.count("{") - t.count("/"))
    return [(t, _template_regex(t)) for t in templates]


def operation(spec: dict[str, Any], method: str, path: str) -> Operation | None:
    """Return the documented operation for a request, or None if GitHub documents none."""
    for template, pattern in routes():
        if pattern.match(path):
            item = spec["paths"][template]
            doc = item.get(method.lower())
            if doc is None:
                continue
            params = [*item.get("parameters", []), *doc.get("parameters", [])]
            query = frozenset(p["name"] for p in params if p.get("in") == "query")
            return Operation(template, method, doc, query)
    return None


def json_schema_of(part: dict[str, Any]) -> dict[str, Any] | None:
    """Return the JSON schema of a requestBody or response object, if it has one."""
    return part.get("content", {}).get("application/json", {}).get("schema")


def test_every_request_is_documented(spec: dict[str, Any]) -> None:
    problems = []
    for name, i, x in all_interactions():
        where = f"{name}#{i} {x.method} {x.path}"
        if (x.method, x.path) == ("POST", "/graphql"):
            # The one documented extension: GitHub's GraphQL API (users' "busy" status, a
            # repository's deployments).
            if x.query or set(x.body or {}) - {"query", "variables", "operationName"}:
                problems.append(f"{where}: not a plain GraphQL request")
            continue
        op = operation(spec, x.method, x.path)
        if op is None:
            problems.append(f"{where}: not in GitHub's REST description")
            continue
        if unknown := set(x.query) - op.query:
            problems.append(f"{where}: undocumented query parameters {sorted(unknown)}")
        schema = json_schema_of(op.doc.get("requestBody", {}))
        if x.body is None:
            continue
        if schema is None:
            problems.append(f"{where}: sends a body the operation does not take")
            continue
        if isinstance(x.body, dict) and (unknown := set(x.body) - property_names(schema)):
            problems.append(f"{where}: undocumented body fields {sorted(unknown)}")
        problems += [f"{where}: request body: {e}" for e in schema_errors(schema, x.body)]
    assert not problems, "\n".join(problems)


def test_every_response_fits_its_documented_schema(spec: dict[str, Any]) -> None:
    problems = []
    checked: set[str] = set()
    for name, i, x in all_interactions():
        where = f"{name}#{i} {x.method} {x.path} -> {x.status}"
        if (x.method, x.path) == ("POST", "/graphql"):
            # Not REST, so no schema here: a data object and no errors, as GitHub answers.
            ok = isinstance(x.response, dict) and isinstance(x.response.get("data"), dict)
            if not ok or "errors" in x.response:
                problems.append(f"{where}: not a GraphQL data response")
            continue
        op = operation(spec, x.method, x.path)
        assert op is not None, where  # test_every_request_is_documented says more
        documented = op.doc.get("responses", {}).get(str(x.status))
        if documented is None:
            problems.append(f"{where}: status not documented for this operation")
            continue
        schema = json_schema_of(documented)
        if schema is None:
            if x.response is not None:
                problems.append(f"{where}: a body where the description documents none")
            continue
        problems += [f"{where}: {e}" for e in schema_errors(schema, x.response)]
        checked.add(op.template)
    assert not problems, "\n".join(problems[:40])
    # The shapes the tool depends on are all covered by the cassettes.
    assert {
        "/repos/{owner}/{repo}/issues/{issue_number}",
        "/repos/{owner}/{repo}/issues/{issue_number}/comments",
        "/repos/{owner}/{repo}/issues/comments/{comment_id}",
        "/repos/{owner}/{repo}/issues/{issue_number}/labels",
        "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}",
        "/repos/{owner}/{repo}/collaborators/{username}/permission",
        "/repos/{owner}/{repo}/issues",
    } <= checked


# Credentials: GitHub's token prefixes, fine-grained PATs, Slack tokens, and the sandbox's
# tokens ("ghs_sandbox_" / "ghp_sandbox_" + 32 hex digits, "xoxb-sandbox-...").
SECRET = re.compile(
    r"\bgh[opsur]_[A-Za-z0-9_]{8,}|github_pat_|\bxox[abeprs]-|sandbox_[0-9a-f]{32}"
    r"|replay-token|\bBearer\s+\S",
    re.IGNORECASE,
)


@pytest.mark.parametrize(
    "path", sorted(p for p in CASSETTES.rglob("*") if p.is_file()), ids=lambda p: p.name
)
def test_no_credentials(path: Path) -> None:
    text = path.read_text("utf-8")
    assert not SECRET.search(text), SECRET.search(text)
    # The loopback host is rewritten everywhere, so nothing names the recording machine.
    assert "127.0.0.1" not in text and "localhost" not in text
    if path.suffix == ".yaml":
        for item in cassette(path.stem)["interactions"]:
            for side in ("request", "response"):
                names = {h.lower() for h in item[side].get("headers") or {}}
                assert not names & {"authorization", "cookie", "set-cookie"}, (path, side)


# -- OpenAPI 3.0 schemas as JSON Schema ----------------------------------------------------

_NOT_JSON_SCHEMA = {
    "nullable",
    "example",
    "examples",
    "readOnly",
    "writeOnly",
    "deprecated",
    "discriminator",
    "externalDocs",
    "xml",
}


def to_json_schema(node: Any) -> Any:
    """Translate an OpenAPI 3.0 schema (dereferenced) into JSON Schema draft 4.

    Lenient only where the description is: ``nullable`` admits null, and ``oneOf`` becomes
    ``anyOf`` because GitHub's branches overlap (a value may fit two of them).
    """
    if isinstance(node, list):
        return [to_json_schema(x) for x in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties", "patternProperties"):
            out[key] = {name: to_json_schema(s) for name, s in value.items()}
        elif key in ("items", "additionalProperties", "not", "allOf", "anyOf"):
            out[key] = to_json_schema(value)
        elif key == "oneOf":
            out["anyOf"] = to_json_schema(value)
        elif key not in _NOT_JSON_SCHEMA and not key.startswith("x-"):
            out[key] = value
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


def schema_errors(schema: dict[str, Any], value: Any) -> list[str]:
    validator = jsonschema.Draft4Validator(to_json_schema(schema))
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message[:200]}"
        for e in validator.iter_errors(value)
    ]


def property_names(schema: dict[str, Any]) -> set[str]:
    """Collect every top-level property name a body may use, across oneOf/anyOf/allOf."""
    names = set(schema.get("properties", {}))
    for key in ("oneOf", "anyOf", "allOf"):
        for branch in schema.get(key, []):
            names |= property_names(branch)
    return names
