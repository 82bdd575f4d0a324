"""SlackRoom against hand-written vcrpy cassettes in Slack's documented response shapes.

The cassettes under tests/cassettes/slack/ are written by hand from Slack's Web API OpenAPI
description (tests/reference/slack-web-api-subset.json, slackapi/slack-api-specs, MIT). Checks
here also keep every cassette honest: each Slack request names a documented method, each Slack
response fits the documented shape, and no cassette holds a token.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import vcr
import yaml

from incident_tool.effects.slack import SlackError, SlackMessage, SlackRoom, blocks_for_report

TESTS = Path(__file__).parents[1]
CASSETTES = TESTS / "cassettes"
SLACK_CASSETTES = CASSETTES / "slack"
SPEC_PATH = TESTS / "reference" / "slack-web-api-subset.json"
TOKEN = "xoxb-test-SECRET-123"

slack_vcr = vcr.VCR(
    cassette_library_dir=str(SLACK_CASSETTES),
    record_mode="none",
    filter_headers=["authorization"],
    match_on=["method", "path", "body"],
)


@pytest.fixture
def room(monkeypatch: pytest.MonkeyPatch) -> SlackRoom:
    monkeypatch.delenv("SLACK_API_URL", raising=False)  # cassettes are recorded for slack.com
    return SlackRoom(TOKEN, log=lambda _line: None)


def play(name: str) -> Any:
    """Play one cassette; every interaction in it must be used, exactly once."""
    return slack_vcr.use_cassette(f"{name}.yaml", allow_playback_repeats=False)


# -- behaviour -----------------------------------------------------------------------------------


def test_create_channel(room: SlackRoom) -> None:
    with play("create_channel") as cassette:
        assert room.create_channel("incident-42-search-api-down", private=False) == (
            "C0EAQDV4Z",
            "incident-42-search-api-down",
        )
    assert cassette.all_played


def test_create_channel_name_taken_adds_suffix(room: SlackRoom) -> None:
    with play("create_channel_name_taken") as cassette:
        assert room.create_channel("incident-42-search-api-down", private=True) == (
            "G0EAQDV5A",
            "incident-42-search-api-down-2",
        )
    assert cassette.all_played


def test_invite_with_already_in_channel(room: SlackRoom) -> None:
    with play("invite_already_in_channel") as cassette:
        got = room.invite("C0EAQDV4Z", ["U0LEAD001", "U0DELMGR1", "U0LEAD001"])
    assert got == ["U0LEAD001", "U0DELMGR1"]
    assert cassette.all_played


def test_post_report(room: SlackRoom) -> None:
    fallback, blocks = blocks_for_report(
        title="Search API down",
        url="https://github.com/example/repo/issues/42",
        number=42,
        fields=[("Service", "Catalogue <search>"), ("Severity", "2")],
        footer="Reported by octocat",
    )
    with play("post_message") as cassette:
        assert room.post("C0EAQDV4Z", fallback, blocks=blocks) == "1503435956.000247"
    assert cassette.all_played


def test_history_pages_oldest_first(room: SlackRoom) -> None:
    with play("history_pagination") as cassette:
        got = room.history("C0EAQDV4Z")
    assert cassette.all_played
    assert got == [
        SlackMessage("1512085950.000216", "U012AB3CDE", "Looking at the search cluster", False),
        SlackMessage("1512100000.000300", None, "Lead is now <@U061F7AUR>", True),
        SlackMessage("1512104434.000490", "U061F7AUR", "Rolled back; errors gone", False),
    ]


def test_presence(room: SlackRoom) -> None:
    with play("presence") as cassette:
        assert room.presence("U0LEAD001") == "active"
        assert room.presence("U0SENIOR1") == "away"
        assert room.presence("U0GONE001") is None  # unknown counts as available for callers
    assert cassette.all_played


def test_lookup_email(room: SlackRoom) -> None:
    with play("lookup_email") as cassette:
        assert room.lookup_email("dev.two@example.org") == "W012A3CDE"
        assert room.lookup_email("nobody@example.org") is None
        # Both answers are cached: no third request (the cassette would refuse it).
        assert room.lookup_email("Dev.Two@example.org") == "W012A3CDE"
        assert room.lookup_email("nobody@example.org") is None
    assert cassette.all_played


def test_unrecorded_request_is_a_slack_error(room: SlackRoom) -> None:
    # vcrpy refuses the request; SlackRoom still only raises SlackError.
    with play("presence"), pytest.raises(SlackError) as info:
        room.channel_info("C0NOTHERE")
    assert info.value.method == "conversations.info"
    assert TOKEN not in str(info.value)


# -- keeping the cassettes honest ----------------------------------------------------------------


def load_spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


def cassette_files() -> list[Path]:
    return sorted(p for p in CASSETTES.rglob("*") if p.suffix in {".yaml", ".yml", ".json"})


def interactions(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    return list((data or {}).get("interactions") or [])


def is_slack(uri: str) -> bool:
    host = (urlsplit(uri).hostname or "").lower()
    return host == "slack.com" or host.endswith(".slack.com")


def slack_interactions() -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in cassette_files():
        for interaction in interactions(path):
            if is_slack(interaction["request"]["uri"]):
                yield path, interaction


def test_slack_cassettes_exist() -> None:
    names = {p.stem for p in SLACK_CASSETTES.glob("*.yaml")}
    assert {
        "create_channel",
        "create_channel_name_taken",
        "invite_already_in_channel",
        "post_message",
        "history_pagination",
        "presence",
        "lookup_email",
    } <= names


def test_every_slack_request_is_a_documented_method() -> None:
    paths = load_spec()["paths"]
    seen = 0
    for path, interaction in slack_interactions():
        request = interaction["request"]
        url_path = urlsplit(request["uri"]).path
        assert url_path.startswith("/api/"), f"{path.name}: {url_path}"
        method = url_path.removeprefix("/api")
        assert method in paths, f"{path.name}: {method[1:]} is not in the Slack description"
        verbs = {verb.upper() for verb in paths[method]} | {"POST"}  # Slack takes POST for all
        assert request["method"].upper() in verbs, f"{path.name}: {request['method']} {method}"
        seen += 1
    assert seen >= 10


def test_no_cassette_holds_a_token_or_authorization() -> None:
    for path in cassette_files():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"xox[a-z]-", text, re.IGNORECASE), f"{path} holds a Slack token"
    for path, interaction in slack_interactions():
        assert "xox" not in json.dumps(interaction).lower(), f"{path} mentions xox"
        headers = {k.lower() for k in (interaction["request"].get("headers") or {})}
        assert "authorization" not in headers, f"{path} keeps an Authorization header"


def _alternatives_as_any_of(node: Any) -> Any:
    """Read the description's ``"items": [A, B]`` on a non-array schema as ``anyOf``.

    slack-api-specs writes "one of these object shapes" (a conversation, a user) that way;
    JSON Schema would ignore it for objects and check nothing.
    """
    if isinstance(node, list):
        return [_alternatives_as_any_of(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _alternatives_as_any_of(value) for key, value in node.items()}
    if isinstance(node.get("items"), list) and node.get("type") != "array":
        node["anyOf"] = node.pop("items")
    return node


def _schema_errors(spec: dict[str, Any], method: str, status: str, body: Any) -> list[str]:
    """Validate a body against the documented schema of a method's response.

    ``spec`` is the description after ``_alternatives_as_any_of``.

    The 2020 description is stricter than Slack itself in two known ways at the top level:
    it forbids keys Slack does send (``response_metadata`` on paginated answers) and it
    requires keys its own examples leave out. Only those two kinds of error are forgiven.
    """
    from jsonschema import Draft4Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    registry = Registry().with_resource("urn:slack", Resource(spec, DRAFT4))
    (verb,) = spec["paths"][method]
    pointer = f"urn:slack#/paths/{method.replace('/', '~1')}/{verb}/responses/{status}"
    response_doc = spec["paths"][method][verb]["responses"][status]
    example = response_doc.get("examples", {}).get("application/json") or {}
    validator = Draft4Validator({"$ref": f"{pointer}/schema"}, registry=registry)
    problems = []
    for err in validator.iter_errors(body):
        if err.validator == "additionalProperties" and not err.absolute_path:
            continue
        if err.validator == "required" and not err.absolute_path:
            missing = re.findall(r"'([^']+)' is a required property", err.message)
            if missing and all(key not in example for key in missing):
                continue
        where = "/".join(map(str, err.absolute_path))
        reasons = [f"{'/'.join(map(str, c.absolute_path))}: {c.message[:120]}" for c in err.context]
        problems.append(f"{where}: {err.message[:120]} {reasons[:6]}")
    return problems


def test_slack_responses_have_documented_shapes() -> None:
    pytest.importorskip("jsonschema")
    pytest.importorskip("referencing")
    spec = _alternatives_as_any_of(load_spec())
    for path, interaction in slack_interactions():
        method = urlsplit(interaction["request"]["uri"]).path.removeprefix("/api")
        body = json.loads(interaction["response"]["body"]["string"])
        assert isinstance(body.get("ok"), bool), path.name
        status = "200" if body["ok"] else "default"
        problems = _schema_errors(spec, method, status, body)
        assert not problems, f"{path.name} {method}: {problems}"
        if not body["ok"]:
            (verb,) = spec["paths"][method]
            schema = spec["paths"][method][verb]["responses"]["default"]["schema"]
            codes = schema.get("properties", {}).get("error", {}).get("enum")
            if codes:
                assert body["error"] in codes, f"{path.name}: {body['error']} undocumented"


def test_shape_check_catches_a_wrong_shape() -> None:
    pytest.importorskip("jsonschema")
    pytest.importorskip("referencing")
    spec = _alternatives_as_any_of(load_spec())
    wrong = {"ok": True, "channel": {"id": 5, "name": "x"}}
    assert _schema_errors(spec, "/conversations.create", "200", wrong)
    assert _schema_errors(spec, "/users.getPresence", "200", {"ok": True})
    assert not _schema_errors(spec, "/users.getPresence", "200", {"ok": True, "presence": "away"})
