"""The incident's record: one status comment per issue, readable by people and by the tool.

The visible part is Markdown for people; the machine state is JSON inside an HTML comment
at the end, escaped so that no user text can close the comment early
(docs/architecture.md#how-it-works).
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from incident_tool.core.outbox import SlackDelivery
from incident_tool.core.states import State

STATUS_MARKER = "<!-- incident-tool:status -->"
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_DATA_RE = re.compile(r"<!-- incident-tool:data (\{.*\}) -->", re.DOTALL)
SCHEMA_VERSION = 1
MAX_TEXT = 2000  # per timeline entry: keeps the status comment under GitHub's 65,536 limit
MAX_BODY = 60000
# How deep JSON read from text people can write (a status comment's record, a report's alert
# marker) may nest: the tool's own goes 4 levels deep. Deeper is refused as not JSON: a
# record 5,000 levels deep gave "unexpected RecursionError" and stopped every run, sweep and
# status page of the repository (docs/security.md).
MAX_JSON_DEPTH = 20


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: object) -> datetime | None:
    """Read an ISO 8601 time (GitHub's, Slack's, the record's) as UTC, or None if it is none.

    The one parser of the tool's times. A time without an offset is taken as UTC: GitHub and
    the record write UTC. Anything else (not a string, not a time) is None, never an error.
    """
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


@dataclass
class Entry:
    """One line of the timeline: when, what kind, who, and any text they gave."""

    at: str
    kind: str
    actor: str | None = None
    text: str = ""
    ref: str | None = None  # where it was said: "#issuecomment-<id>", relative to the issue


OPTIONAL_FIELDS = (
    "answered",
    "outsider_comments",
    "unanswered",
    "severity_guess",
    "not_paged",
    "public_title",
    "component",
    "changes",
)


@dataclass
class Record:
    """Everything the tool knows about one incident, beyond what labels and assignees say."""

    state: State | None = None
    severity: int | None = None
    leads: list[str] = field(default_factory=list)
    helping: list[str] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)
    timeline: list[Entry] = field(default_factory=list)
    last_comment_id: int = 0
    channel_id: str | None = None
    channel_name: str | None = None
    channel_topic: str | None = None
    channels: dict[str, str] = field(default_factory=dict)  # announce/stakeholder name -> id
    retro: int | None = None
    resolved_when: str | None = None
    snooze_until: str | None = None
    reminded: dict[str, str] = field(default_factory=dict)
    sensitive: bool = False
    missing: list[str] = field(default_factory=list)
    awaiting_confirmation: str | None = None  # who resolved without being a delivery manager
    outbox: list[SlackDelivery] = field(default_factory=list)  # Slack work waiting
    sent: list[str] = field(default_factory=list)  # Slack deliveries made (outbox keys)
    posted: list[str] = field(default_factory=list)  # bot comments made (marker keys)
    problems: list[str] = field(default_factory=list)
    ack: dict[str, Any] = field(default_factory=dict)  # the lead's acknowledgement (ack.py)
    timed_out: list[str] = field(default_factory=list)  # leads passed over for not acking
    report_ref: list[str] | None = None  # the channel's first message: [channel, ts]
    # What the tool has read back from the incident channel (slack_read.py,
    # docs/usage.md#slack-writes-back).
    slack_in: dict[str, Any] = field(default_factory=dict)
    # How often each person's close or reopen was undone (outsiders: after the first, their
    # change is left to the team; docs/usage.md#who-may-change-an-incident-by-hand).
    undone: dict[str, int] = field(default_factory=dict)

    def ack_waiting(self) -> dict[str, Any] | None:
        """The acknowledgement the current lead was asked for and has not given, if any."""
        ack = self.ack
        if not ack.get("since") or ack.get("acked") or not self.lead:
            return None
        return ack if str(ack.get("lead", "")).lower() == self.lead.lower() else None

    # `/action` key -> its follow-up: owner, why not assigned, issue, id, attached, linked
    followups: dict[str, dict[str, Any]] = field(default_factory=dict)
    # A report from a monitor or a script: fingerprint, source, firings
    # (docs/usage.md#reports-from-monitors-scripts-and-the-actions-tab).
    alert: dict[str, Any] | None = None
    # People without triage access (docs/usage.md#who-may-change-an-incident-by-hand): when
    # each was last answered on this issue, how many of their plain comments were not mirrored
    # and commands not answered, the severity they guessed (shown, not applied), and why nobody
    # was paged.
    answered: dict[str, str] = field(default_factory=dict)
    outsider_comments: int = 0
    unanswered: int = 0
    severity_guess: int | None = None
    not_paged: str | None = None
    # What the public surfaces (status page, feed, announce channel, retrospective's title)
    # show, fixed at declaration: the author may edit the issue afterwards, the team
    # changes these (`/retitle`; docs/usage.md#status-page). None in records from before.
    public_title: str | None = None
    component: str | None = None
    # What changed before the report, read once at declaration (core/changes.py): the
    # changes shown, the repositories not read and why, the window; `suspected` refs.
    changes: dict[str, Any] = field(default_factory=dict)

    @property
    def actions(self) -> list[Entry]:
        """The follow-up actions (`/action`), in order."""
        return [e for e in self.timeline if e.kind == "action"]

    @property
    def lead(self) -> str | None:
        return self.leads[-1] if self.leads else None

    def count(self, *kinds: str) -> int:
        """How many entries of these kinds: numbers the announcements of each transition."""
        return sum(1 for e in self.timeline if e.kind in kinds)

    def first(self, kind: str) -> Entry | None:
        return next((e for e in self.timeline if e.kind == kind), None)

    def last(self, kind: str) -> Entry | None:
        return next((e for e in reversed(self.timeline) if e.kind == kind), None)

    def note(
        self, at: datetime, kind: str, actor: str | None, text: str = "", ref: str | None = None
    ) -> Entry:
        """Add a timeline entry (text clipped so the status comment stays within limits)."""
        entry = Entry(iso(at), kind, actor, clip(text, MAX_TEXT), ref)
        # Keep the timeline in time order: a run may learn of things out of order.
        self.timeline.insert(bisect.bisect_right(self.timeline, entry.at, key=_at), entry)
        return entry

    def to_json(self) -> str:
        data = asdict(self)
        # Fields most incidents never use are left out while empty: the record stays small.
        for name in OPTIONAL_FIELDS:
            if not data[name]:
                del data[name]
        data["state"] = self.state.value if self.state else None
        # Stored as earlier runs wrote it (a dict per delivery), not as asdict() would.
        data["outbox"] = [item.to_dict() for item in self.outbox]
        if not self.followups:
            del data["followups"]  # most incidents have none: keep the record as it was
        if not self.undone:
            del data["undone"]
        data["v"] = SCHEMA_VERSION
        if data.get("alert") is None:
            del data["alert"]  # only reports from monitors carry it
        if not data["slack_in"]:
            del data["slack_in"]  # nothing read back from Slack: keep records as they were
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        # Inside an HTML comment, "--" and ">" could end it early: escape them as JSON allows.
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("--", "-\\u002d")
        # Bidirectional controls are kept as escapes: not even the raw comment holds one.
        return _BIDI.sub(lambda m: f"\\u{ord(m.group()):04x}", text)

    @classmethod
    def from_json(cls, text: str) -> Record:
        data = load_json(text)
        if not isinstance(data, dict):
            raise ValueError("status data is not an object")
        data.pop("v", None)
        known = set(cls.__dataclass_fields__)
        data = {k: v for k, v in data.items() if k in known}
        state = data.pop("state", None)
        record = cls(**data)
        record.state = State(state) if state else None
        record.timeline = [Entry(**e) for e in data.get("timeline", [])]
        record.outbox = [SlackDelivery.from_dict(m) for m in data.get("outbox", [])]
        return record


def too_deep(value: Any, limit: int) -> bool:
    """Whether objects and lists nest more than `limit` levels inside `value` (1 for `{}`),
    found without recursion, so any depth is answered."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in children)
    return False


class TooDeep(ValueError):
    """JSON nested deeper than the tool reads."""


def load_json(text: str, limit: int = MAX_JSON_DEPTH) -> Any:
    """JSON from text people can write: json.JSONDecodeError when it is not JSON, TooDeep
    when it nests deeper than `limit` levels (Python's parser itself gives up near 1,000
    with a RecursionError, refused the same way)."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise TooDeep(f"nested deeper than {limit} levels") from None
    if too_deep(data, limit):
        raise TooDeep(f"nested deeper than {limit} levels")
    return data


def _record_text(body: str | None) -> str | None:
    """The record's JSON as written in a status comment body, or None if it has none."""
    if not body or STATUS_MARKER not in body:
        return None
    match = _DATA_RE.search(body)
    return match.group(1) if match else None


def _parse(text: str) -> tuple[Record | None, str | None]:
    """The record read from its JSON, or None and why it cannot be."""
    try:
        return Record.from_json(text), None
    except TooDeep as exc:
        reason = str(exc)
    except json.JSONDecodeError:
        reason = "not JSON"
    except (ValueError, TypeError, KeyError):
        reason = "not a record"  # the reason's own words could hold the comment's text
    return None, NOT_READABLE.format(reason=reason)


def extract(body: str | None) -> Record | None:
    """Read the record from a status comment body, or None if it has none we can read."""
    text = _record_text(body)
    return None if text is None else _parse(text)[0]


# The record's proof (SPEC §19, docs/security.md#the-record-and-its-proof): an HMAC-SHA256,
# keyed by INCIDENT_TOOL_RECORD_KEY, over the record's JSON as written and the issue it
# belongs to (so a record proven on one issue proves nothing on another).
PROOF_VERSION = "v1"
_PROOF_RE = re.compile(r"<!-- incident-tool:proof v1 ([0-9a-f]{64}) -->")
RESTORED = (
    "the status comment's record carries no valid proof for INCIDENT_TOOL_RECORD_KEY (edited "
    "by someone else, or by hand): the record this tool last sealed ({written}) is restored"
)
NOT_PROVEN = (
    "the status comment's record carries no valid proof for INCIDENT_TOOL_RECORD_KEY "
    "(written before the key was set, with another key, or by someone else): it is not "
    "believed, and the incident starts again from its issue and labels"
)
NOT_READABLE = (
    "the status comment's record cannot be read ({reason}): it is not believed, and the "
    "incident starts again from its issue and labels"
)


def _mac(key: bytes, repo: str, number: int, data: str) -> str:
    message = f"incident-tool record {PROOF_VERSION}\n{repo.lower()}#{number}\n{data}"
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


def seal(body: str, key: bytes | None, repo: str, number: int) -> str:
    """The status comment `body` with its record's proof after the record (none without
    a key, or without a record)."""
    match = _DATA_RE.search(body)
    if key is None or match is None:
        return body
    proof = (
        f"<!-- incident-tool:proof {PROOF_VERSION} {_mac(key, repo, number, match.group(1))} -->"
    )
    return body[: match.end()] + "\n" + proof + body[match.end() :]


def extract_proven(
    body: str | None, key: bytes | None, repo: str, number: int
) -> tuple[Record | None, str | None]:
    """The record of a status comment, and why it is not believed (None when it is).

    Without a key, as `extract`. With one, only a record whose proof matches, on this
    issue of this repository, is returned: the proof is checked on the text as written,
    before anything parses it, so a forger's JSON is never read. A record that cannot be
    read is not believed either, and says why."""
    text = _record_text(body)
    if text is None or body is None:
        return None, None
    if key is not None:
        proof = _PROOF_RE.search(body)
        if not (proof and hmac.compare_digest(proof.group(1), _mac(key, repo, number, text))):
            return None, NOT_PROVEN
    return _parse(text)


def _at(entry: Entry) -> str:
    return entry.at


def clip(text: str, limit: int) -> str:
    text = text.replace("\x00", "")
    return text if len(text) <= limit else text[: limit - 1] + "…"
