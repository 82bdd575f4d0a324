"""Read and check `.github/incident.yml` (docs/adopting.md#configuration-githubincidentyml): every
key has a default."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from incident_tool.errors import UsageError

DEFAULT_PATH = ".github/incident.yml"
DEFAULT_TEMPLATE = "templates/retrospective.md.j2"
ABSENT = "(absent: defaults)"  # a Config's source when its file is missing

_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}(\[bot\])?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


TOP_KEYS = (
    "delivery_managers",
    "responders",
    "people",
    "slack",
    "timezone",
    "reminders",
    "retrospective",
    "sensitive",
    "limits",
    "sweep",
    "alerts",
    "status_page",
    "followups",
    "lead",
    "availability",
    "changes",
)

DEFAULT_AWAY_STATUSES = (
    ":palm_tree:",
    ":face_with_thermometer:",
    "out of office",
    "holiday",
    "sick",
)
# Where the live Slack connection runs: nowhere (Slack read back by polling), in an
# Actions job while an incident is open, or somewhere the team keeps it running.
LIVE_MODES = ("off", "actions", "external")
# The shipped form's security option (`forms.SENSITIVE_SERVICE`; a test keeps them equal).
DEFAULT_SENSITIVE_SERVICES = ("Security / credentials",)


class ConfigError(UsageError):
    """The configuration file is wrong; the message names the file and the key."""


@dataclass(frozen=True)
class Person:
    """How to reach a GitHub user on Slack: a Slack user id, an email to look up, or neither."""

    slack: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class SlackConfig:
    announce_channel: str | None = None
    stakeholder_channel: str | None = None
    channel_prefix: str = "incident"
    mirror_comments: bool = True
    timeline_reaction: str = "pushpin"  # a message with it (or pinned) is a Slack note
    # Where `incident-tool listen` runs, if anywhere (docs/adopting.md#the-live-connection):
    # off, actions (incident-live.yml) or external; with it on, messages carry buttons.
    live: str = "off"


@dataclass(frozen=True)
class Reminders:
    triage_after: int = 15
    update_every: dict[int, int] = field(default_factory=lambda: {1: 20, 2: 30, 3: 60, 4: 240})

    def update_interval(self, severity: int | None) -> int:
        """Return the update interval in minutes; an unset severity counts as 2."""
        return self.update_every.get(severity or 2, self.update_every.get(2, 30))


@dataclass(frozen=True)
class RetrospectiveConfig:
    enabled: bool = True
    template: str = DEFAULT_TEMPLATE
    labels: tuple[str, ...] = ("retrospective",)
    # `notes`: the Slack notes (📌) only; `all`: the channel's other messages too, which a
    # public repository's readers would see (docs/adopting.md#configuration-githubincidentyml).
    slack_messages: str = "notes"


SLACK_MESSAGES = ("notes", "all")


@dataclass(frozen=True)
class LeadConfig:
    # minutes; 0: no acknowledgement asked (docs/usage.md#the-lead-availability-and-acknowledgement)
    ack_within: int = 10


@dataclass(frozen=True)
class AvailabilityConfig:
    # Slack status emoji (":palm_tree:") or words in the status text that mean "away".
    away_statuses: tuple[str, ...] = DEFAULT_AWAY_STATUSES


@dataclass(frozen=True)
class FollowupsConfig:
    labels: tuple[str, ...] = ("follow-up",)
    due_after: int = 30  # days


@dataclass(frozen=True)
class StatusPageConfig:
    enabled: bool = False
    title: str = "Service status"
    components: tuple[str, ...] = ()  # default: the report form's affected-service options


@dataclass(frozen=True)
class AlertsConfig:
    auto_dismiss_after: int = 0  # minutes after an alert resolved; 0: never


@dataclass(frozen=True)
class SweepConfig:
    # Switch the sweep workflow on while an incident is open and off after (needs
    # `actions: write`); false leaves it as it is.
    manage_schedule: bool = True


@dataclass(frozen=True)
class SensitiveConfig:
    services: tuple[str, ...] = DEFAULT_SENSITIVE_SERVICES
    # owner/name: where a sensitive report's text is moved when the incidents repository is
    # public, with SENSITIVE_TOKEN (docs/security.md#a-public-repository); None: not moved.
    repository: str | None = None


@dataclass(frozen=True)
class Limits:
    outsider_reports_per_day: int = 3


@dataclass(frozen=True)
class ChangesConfig:
    """What changed before an incident (docs/usage.md#what-changed-before-the-incident)."""

    repositories: tuple[str, ...] = ()  # owner/name; empty: the incidents repository
    services: dict[str, tuple[str, ...]] = field(default_factory=dict)  # service -> repos
    window_hours: int = 24


@dataclass(frozen=True)
class Config:
    delivery_managers: tuple[str, ...] = ()
    responders: tuple[str, ...] = ()
    people: dict[str, Person] = field(default_factory=dict)
    slack: SlackConfig = field(default_factory=SlackConfig)
    timezone: str = "UTC"
    reminders: Reminders = field(default_factory=Reminders)
    retrospective: RetrospectiveConfig = field(default_factory=RetrospectiveConfig)
    lead: LeadConfig = field(default_factory=LeadConfig)
    availability: AvailabilityConfig = field(default_factory=AvailabilityConfig)
    status_page: StatusPageConfig = field(default_factory=StatusPageConfig)
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    sweep: SweepConfig = field(default_factory=SweepConfig)
    sensitive: SensitiveConfig = field(default_factory=SensitiveConfig)
    limits: Limits = field(default_factory=Limits)
    source: str = "(defaults)"
    followups: FollowupsConfig = field(default_factory=FollowupsConfig)
    changes: ChangesConfig = field(default_factory=ChangesConfig)
    # The `title:` prefix of the team's own report form (no key of this file: the loader
    # reads it from the form, effects/team_form.py); the packaged form's is always known.
    title_prefix: str = field(default="", metadata={"not_a_key": True})

    def is_delivery_manager(self, login: str) -> bool:
        return login.lower() in {d.lower() for d in self.delivery_managers}

    def is_responder(self, login: str) -> bool:
        return login.lower() in {r.lower() for r in self.responders}

    def person(self, login: str) -> Person:
        for name, person in self.people.items():
            if name.lower() == login.lower():
                return person
        return Person()


MAX_BYTES = 256 * 1024  # a real config is a few KiB; more is a mistake or an attack
MAX_NODES = 10_000  # YAML nodes after expanding aliases: bounds a "billion laughs"


def load(path: str | Path, *, required: bool = False) -> Config:
    """Read the config file at `path`; a missing file gives the defaults unless `required`."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        if required:
            raise ConfigError(f"{path}: file not found") from None
        return Config(source=f"{path} {ABSENT}")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return parse(_text(raw, str(path)), str(path))


def _text(raw: bytes, source: str) -> str:
    if len(raw) > MAX_BYTES:
        raise ConfigError(
            f"{source}: larger than {MAX_BYTES // 1024} KiB, too large for a config file"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{source}: cannot read: not UTF-8 text") from None


def parse(text: str, source: str = DEFAULT_PATH) -> Config:
    """Parse config text; every problem is a ConfigError naming `source` and the key.

    The loader refuses duplicate keys (YAML would silently keep the last) and documents
    that expand to more than MAX_NODES nodes through aliases, before building them.
    """
    import yaml  # only commands that need the config pay for PyYAML

    if len(text) > MAX_BYTES:
        raise ConfigError(
            f"{source}: larger than {MAX_BYTES // 1024} KiB, too large for a config file"
        )
    try:
        data = _load_yaml(text, source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        # PyYAML's own words for the reason ("found character '\t' that cannot start any
        # token"), without its excerpt of the file.
        problem = " ".join(str(getattr(exc, "problem", "") or "").split())[:200]
        raise ConfigError(
            f"{source}: not valid YAML{where}" + (f": {problem}" if problem else "")
        ) from None
    except RecursionError:
        raise ConfigError(f"{source}: nested too deeply to be a config file") from None
    if data is None:
        return Config(source=source)
    return _Checker(source).config(data)


def _load_yaml(text: str, source: str) -> Any:
    """Compose the document, check its size and keys, then construct it (safe types only)."""
    import yaml

    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_nodes(node, source)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_nodes(root: Any, source: str) -> None:
    """Refuse duplicate mapping keys, aliases that refer to themselves, and more than
    MAX_NODES nodes once aliases expand.

    Aliases share one node, so the composed graph stays small even for an alias bomb;
    its expanded size is counted here with a memo per node, without expanding anything.
    """
    import yaml

    sizes: dict[int, int] = {}
    entered: set[int] = set()
    # Iterative post-order walk: deep nesting cannot exhaust Python's stack.
    stack: list[tuple[Any, bool, str]] = [(root, False, "")]
    while stack:
        node, done, path = stack.pop()
        if id(node) in sizes:
            continue
        if not done and id(node) in entered:
            # Depth first, a node met again before it is finished is its own descendant.
            raise ConfigError(f"{source}: `{path or '.'}` refers to itself through a YAML alias")
        children: list[tuple[Any, str]] = []
        if isinstance(node, yaml.MappingNode):
            if not done:
                _check_keys(node, source, path)
            for key, value in node.value:
                name = _short(str(key.value)) if isinstance(key, yaml.ScalarNode) else "?"
                where = f"{path}.{name}" if path else name
                children += [(key, where), (value, where)]
        elif isinstance(node, yaml.SequenceNode):
            children = [(item, f"{path}[{i}]") for i, item in enumerate(node.value)]
        if not done:
            entered.add(id(node))
            stack.append((node, True, path))
            stack.extend((child, False, where) for child, where in children)
            continue
        total = 1 + sum(sizes.get(id(child), 1) for child, _ in children)
        if total > MAX_NODES:
            raise ConfigError(
                f"{source}: expands to more than {MAX_NODES:,} values through YAML aliases "
                "(&anchor/*alias); write the values out"
            )
        sizes[id(node)] = total


def _check_keys(node: Any, source: str, path: str) -> None:
    import yaml

    seen: dict[Any, int] = {}
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode):
            continue
        name = key.value
        line = key.start_mark.line + 1
        if name in seen:
            shown = f"{path}.{_short(name)}" if path else _short(name)
            raise ConfigError(
                f"{source}: key `{shown}` appears twice (lines {seen[name]} and {line}); keep one"
            )
        seen[name] = line


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _shown(value: Any) -> str:
    """Return a short repr: an error message never echoes a huge value."""
    import reprlib

    return _short(reprlib.repr(value))


class _Checker:
    """Turn raw YAML into a Config, naming the key path of the first wrong value."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> ConfigError:
        if not key:  # the document itself (a list, a string): no key to name
            return ConfigError(
                f"{self.source}: the config {problem}: write it as keys, like `responders: [sam]`"
            )
        return ConfigError(f"{self.source}: `{key}` {problem}")

    def mapping(self, value: Any, key: str, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a mapping, not {_kind(value)}")
        for name in value:
            if not isinstance(name, str) or name not in allowed:
                where = f"{key}.{_short(str(name))}" if key else _short(str(name))
                known = ", ".join(sorted(allowed))
                raise self.fail(where, f"is not a known key (known: {known})")
        return value

    def logins(self, value: Any, key: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise self.fail(key, f"must be a list of GitHub logins, not {_kind(value)}")
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not _LOGIN.match(item.lstrip("@")):
                raise self.fail(f"{key}[{i}]", f"is not a GitHub login: {_shown(item)}")
            out.append(item.lstrip("@"))
        return tuple(out)

    def string(self, value: Any, key: str, *, optional: bool = True) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"must be a non-empty string, not {_kind(value)}")
        return value.strip()

    def boolean(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, not {_kind(value)}")
        return value

    def choice(self, value: Any, key: str, allowed: tuple[str, ...]) -> str:
        # YAML reads a bare `off` as false: take it as the word the person wrote.
        if value is False:
            value = "off"
        if not isinstance(value, str) or value not in allowed:
            raise self.fail(key, f"must be one of {', '.join(allowed)}, not {_shown(value)}")
        return value

    def minutes(self, value: Any, key: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10080:
            raise self.fail(
                key, f"must be a whole number of minutes (1-10080), not {_shown(value)}"
            )
        return value

    def config(self, data: Any) -> Config:
        top = self.mapping(data, "", set(TOP_KEYS))
        return Config(
            delivery_managers=self.logins(top.get("delivery_managers"), "delivery_managers"),
            responders=self.logins(top.get("responders"), "responders"),
            people=self.people(top.get("people")),
            slack=self.slack(top.get("slack")),
            timezone=self.timezone(top.get("timezone", "UTC")),
            reminders=self.reminders(top.get("reminders")),
            retrospective=self.retrospective(top.get("retrospective")),
            lead=self.lead(top.get("lead")),
            availability=self.availability(top.get("availability")),
            status_page=self.status_page(top.get("status_page")),
            alerts=self.alerts(top.get("alerts")),
            sweep=self.sweep(top.get("sweep")),
            sensitive=self.sensitive(top.get("sensitive")),
            limits=self.limits(top.get("limits")),
            source=self.source,
            followups=self.followups(top.get("followups")),
            changes=self.changes(top.get("changes")),
        )

    def people(self, value: Any) -> dict[str, Person]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(
                "people", f"must be a mapping of login -> {{slack, email}}, not {_kind(value)}"
            )
        out: dict[str, Person] = {}
        for login, entry in value.items():
            key = f"people.{_short(str(login))}"
            if not isinstance(login, str) or not _LOGIN.match(login):
                raise self.fail(key, "is not a GitHub login")
            if entry is None:
                out[login] = Person()
                continue
            entry = self.mapping(entry, key, {"slack", "email"})
            slack = self.string(entry.get("slack"), f"{key}.slack")
            email = self.string(entry.get("email"), f"{key}.email")
            if slack and not _SLACK_ID.match(slack):
                raise self.fail(
                    f"{key}.slack", f"is not a Slack user id like U012ABCDEF: {_shown(slack)}"
                )
            if email and not _EMAIL.match(email):
                raise self.fail(f"{key}.email", f"is not an email address: {_shown(email)}")
            out[login] = Person(slack=slack, email=email)
            # A Slack user maps back to one login
            # (docs/adopting.md#configuration-githubincidentyml): commands from Slack act as it.
            twin = next(
                (k for k, v in out.items() if k != login and slack and v.slack == slack), None
            )
            if twin is not None:
                raise self.fail(
                    f"{key}.slack", f"maps to {slack}, as people.{twin}.slack does: keep one"
                )
        return out

    def slack(self, value: Any) -> SlackConfig:
        if value is None:
            return SlackConfig()
        entry = self.mapping(
            value,
            "slack",
            {
                "announce_channel",
                "stakeholder_channel",
                "channel_prefix",
                "mirror_comments",
                "timeline_reaction",
                "live",
            },
        )
        reaction = self.string(entry.get("timeline_reaction", "pushpin"), "slack.timeline_reaction")
        reaction = (reaction or "pushpin").strip(":")
        if not re.fullmatch(r"[a-z0-9_+'-]{1,100}", reaction):
            raise self.fail(
                "slack.timeline_reaction", f"is not a Slack emoji name like pushpin: {reaction!r}"
            )
        prefix = self.string(entry.get("channel_prefix", "incident"), "slack.channel_prefix")
        if prefix and not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,20}", prefix):
            raise self.fail(
                "slack.channel_prefix", "must be 1-21 characters of a-z, 0-9, '-' or '_'"
            )
        return SlackConfig(
            announce_channel=_channel(
                self.string(entry.get("announce_channel"), "slack.announce_channel")
            ),
            stakeholder_channel=_channel(
                self.string(entry.get("stakeholder_channel"), "slack.stakeholder_channel")
            ),
            channel_prefix=prefix or "incident",
            mirror_comments=self.boolean(
                entry.get("mirror_comments", True), "slack.mirror_comments"
            ),
            timeline_reaction=reaction,
            live=self.choice(entry.get("live", "off"), "slack.live", LIVE_MODES),
        )

    def timezone(self, value: Any) -> str:
        name = self.string(value, "timezone", optional=False) or "UTC"
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise self.fail("timezone", f"is not a known time zone: {_shown(name)}") from None
        return name

    def reminders(self, value: Any) -> Reminders:
        if value is None:
            return Reminders()
        entry = self.mapping(value, "reminders", {"triage_after", "update_every"})
        defaults = Reminders()
        every = dict(defaults.update_every)
        raw = entry.get("update_every")
        if raw is not None:
            if isinstance(raw, int) and not isinstance(raw, bool):
                every = {n: self.minutes(raw, "reminders.update_every") for n in every}
            else:
                if not isinstance(raw, dict):
                    raise self.fail(
                        "reminders.update_every",
                        "must be minutes, or a mapping of severity 1-4 to minutes",
                    )
                for sev, minutes in raw.items():
                    if isinstance(sev, str) and sev.isdigit():
                        sev = int(sev)
                    if sev not in (1, 2, 3, 4):
                        raise self.fail(
                            f"reminders.update_every.{_short(str(sev))}", "is not a severity (1-4)"
                        )
                    every[sev] = self.minutes(minutes, f"reminders.update_every.{sev}")
        triage = entry.get("triage_after", defaults.triage_after)
        return Reminders(
            triage_after=self.minutes(triage, "reminders.triage_after"), update_every=every
        )

    def retrospective(self, value: Any) -> RetrospectiveConfig:
        if value is None:
            return RetrospectiveConfig()
        entry = self.mapping(
            value, "retrospective", {"enabled", "template", "labels", "slack_messages"}
        )
        labels = entry.get("labels", ["retrospective"])
        if isinstance(labels, str):
            labels = [labels]
        if not isinstance(labels, list) or not all(
            isinstance(x, str) and x.strip() for x in labels
        ):
            raise self.fail("retrospective.labels", "must be a list of label names")
        return RetrospectiveConfig(
            enabled=self.boolean(entry.get("enabled", True), "retrospective.enabled"),
            template=self.string(entry.get("template", DEFAULT_TEMPLATE), "retrospective.template")
            or DEFAULT_TEMPLATE,
            labels=tuple(x.strip() for x in labels),
            slack_messages=self.choice(
                entry.get("slack_messages", "notes"),
                "retrospective.slack_messages",
                SLACK_MESSAGES,
            ),
        )

    def lead(self, value: Any) -> LeadConfig:
        if value is None:
            return LeadConfig()
        entry = self.mapping(value, "lead", {"ack_within"})
        within = entry.get("ack_within", LeadConfig.ack_within)
        if isinstance(within, bool) or within != 0:  # 0 turns acknowledgement off
            within = self.minutes(within, "lead.ack_within")
        return LeadConfig(ack_within=within)

    def availability(self, value: Any) -> AvailabilityConfig:
        if value is None:
            return AvailabilityConfig()
        entry = self.mapping(value, "availability", {"away_statuses"})
        raw = entry.get("away_statuses", list(DEFAULT_AWAY_STATUSES))
        if raw is None:
            raw = []
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not all(isinstance(x, str) and x.strip() for x in raw):
            raise self.fail(
                "availability.away_statuses", "must be a list of Slack status emoji or words"
            )
        return AvailabilityConfig(away_statuses=tuple(x.strip() for x in raw))

    def followups(self, value: Any) -> FollowupsConfig:
        if value is None:
            return FollowupsConfig()
        entry = self.mapping(value, "followups", {"labels", "due_after"})
        labels = entry.get("labels", ["follow-up"])
        if isinstance(labels, str):
            labels = [labels]
        if (
            not isinstance(labels, list)
            or not labels
            or not all(isinstance(x, str) and x.strip() for x in labels)
        ):
            raise self.fail("followups.labels", "must be a list of label names")
        days = entry.get("due_after", 30)
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3650:
            raise self.fail("followups.due_after", f"must be a whole number of days, not {days!r}")
        return FollowupsConfig(labels=tuple(x.strip() for x in labels), due_after=days)

    def status_page(self, value: Any) -> StatusPageConfig:
        if value is None:
            return StatusPageConfig()
        entry = self.mapping(value, "status_page", {"enabled", "title", "components"})
        names = entry.get("components") or []
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not all(isinstance(x, str) and x.strip() for x in names):
            raise self.fail("status_page.components", "must be a list of component names")
        cleaned = [x.strip() for x in names]
        if len({x.lower() for x in cleaned}) != len(cleaned):
            raise self.fail("status_page.components", "lists a component twice")
        return StatusPageConfig(
            enabled=self.boolean(entry.get("enabled", False), "status_page.enabled"),
            title=self.string(entry.get("title", "Service status"), "status_page.title")
            or "Service status",
            components=tuple(cleaned),
        )

    def alerts(self, value: Any) -> AlertsConfig:
        if value is None:
            return AlertsConfig()
        entry = self.mapping(value, "alerts", {"auto_dismiss_after"})
        after = entry.get("auto_dismiss_after", 0)
        if after != 0 or isinstance(after, bool):
            after = self.minutes(after, "alerts.auto_dismiss_after")
        return AlertsConfig(auto_dismiss_after=after)

    def sweep(self, value: Any) -> SweepConfig:
        if value is None:
            return SweepConfig()
        entry = self.mapping(value, "sweep", {"manage_schedule"})
        return SweepConfig(
            manage_schedule=self.boolean(
                entry.get("manage_schedule", True), "sweep.manage_schedule"
            )
        )

    def sensitive(self, value: Any) -> SensitiveConfig:
        if value is None:
            return SensitiveConfig()
        entry = self.mapping(value, "sensitive", {"services", "repository"})
        services = entry.get("services", list(DEFAULT_SENSITIVE_SERVICES))
        if isinstance(services, str):
            services = [services]
        if services is None:
            services = []
        if not isinstance(services, list) or not all(
            isinstance(x, str) and x.strip() for x in services
        ):
            raise self.fail("sensitive.services", "must be a list of service names")
        return SensitiveConfig(
            services=tuple(x.strip() for x in services),
            repository=self.repository(entry.get("repository"), "sensitive.repository"),
        )

    def repository(self, value: Any, key: str) -> str | None:
        """One repository as owner/name, or None (left out, or empty)."""
        if value is None or value == "":
            return None
        if not isinstance(value, str) or not _REPOSITORY.fullmatch(value.strip()):
            raise self.fail(key, f"must be a repository as owner/name, not {_kind(value)}")
        return value.strip()

    def limits(self, value: Any) -> Limits:
        if value is None:
            return Limits()
        entry = self.mapping(value, "limits", {"outsider_reports_per_day"})
        n = entry.get("outsider_reports_per_day", Limits().outsider_reports_per_day)
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 1000:
            raise self.fail(
                "limits.outsider_reports_per_day", f"must be a whole number (0-1000), not {n!r}"
            )
        return Limits(outsider_reports_per_day=n)

    def repositories(self, value: Any, key: str) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(
            isinstance(x, str) and _REPOSITORY.fullmatch(x.strip()) for x in value
        ):
            raise self.fail(key, "must be a list of repositories as owner/name")
        return tuple(dict.fromkeys(x.strip() for x in value))

    def changes(self, value: Any) -> ChangesConfig:
        if value is None:
            return ChangesConfig()
        entry = self.mapping(value, "changes", {"repositories", "services", "window_hours"})
        repositories = self.repositories(entry.get("repositories") or [], "changes.repositories")
        services = entry.get("services") or {}
        if not isinstance(services, dict) or not all(
            isinstance(k, str) and k.strip() for k in services
        ):
            raise self.fail("changes.services", "must map service names to repositories")
        hours = entry.get("window_hours", 24)
        if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 720:
            raise self.fail(
                "changes.window_hours", f"must be a whole number of hours (1-720), not {hours!r}"
            )
        return ChangesConfig(
            repositories=repositories,
            services={
                name.strip(): self.repositories(repos, f"changes.services.{name}")
                for name, repos in services.items()
            },
            window_hours=hours,
        )


_REPOSITORY = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}")


def _channel(name: str | None) -> str | None:
    return name.lstrip("#") if name else None


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: f"the text {value!r}" if isinstance(value, str) and len(value) < 40 else "text",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


# A config under a name the workflows never read (`.yaml` for `.yml`): said, not ignored.
MISNAMED_PATHS = (
    ".github/incident.yaml",
    ".github/incident-tool.yml",
    ".github/incident-tool.yaml",
)


def absent_notice(root: Path) -> str:
    """What a run says when `.github/incident.yml` is absent: it uses the defaults, and a
    file of a likely mistaken name is pointed out."""
    misnamed = next((name for name in MISNAMED_PATHS if (root / name).is_file()), None)
    if misnamed:
        return (
            f"no {DEFAULT_PATH}: using defaults ({misnamed} exists but is not read:"
            f" did you mean {DEFAULT_PATH}? rename it)"
        )
    return f"no {DEFAULT_PATH}: using defaults"
