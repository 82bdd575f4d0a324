"""Slack effects: open the incident channel, deliver the record's outbox, keep the topic.

Deliveries wait in the record's outbox until Slack accepts them, so a Slack failure never
stops or undoes the GitHub side and the next event retries what is missing
(docs/adopting.md#the-slack-app).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from incident_tool.config import Config
from incident_tool.core import availability, safe, wording
from incident_tool.core.announce import without_form_prefix
from incident_tool.core.model import IssueView, SlackDelivery, To
from incident_tool.core.reconcile import MOVED_BODY, MOVED_TO_REPOSITORY, hidden
from incident_tool.core.record import Entry, Record, iso, utcnow
from incident_tool.effects.parallel import each
from incident_tool.effects.slack import (
    SlackError,
    SlackRoom,
    blocks_for_report,
    channel_name,
    escape,
)
from incident_tool.inbound.forms import parse_report
from incident_tool.inbound.slack import plain_text

_PERSON = re.compile(r"<person:([^>]+)>")
_FORM_PREFIX = re.compile(r"^\s*\[incident\]\s*:?\s*", re.IGNORECASE)  # the form's title prefix
MAX_PROBLEMS = 10


class People:
    """GitHub login <-> Slack user, from config (`slack` id, or `email` looked up once)."""

    def __init__(self, config: Config, room: SlackRoom | None) -> None:
        self.config = config
        self.room = room
        self._ids: dict[str, str | None] = {}
        # One lock per person: lanes delivering at once look each email up once.
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def slack_id(self, login: str) -> str | None:
        key = login.lower()
        if key in self._ids:
            return self._ids[key]
        with self._locks_lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._ids:
                person = self.config.person(login)
                found = person.slack
                if not found and person.email and self.room is not None:
                    try:
                        found = self.room.lookup_email(person.email)
                    except SlackError:
                        found = None
                self._ids[key] = found
        return self._ids[key]

    def known(self, login: str, slack_id: str | None) -> None:
        """Take a Slack id found earlier (kept in the record) instead of looking it up."""
        self._ids.setdefault(login.lower(), slack_id)

    def looked_up(self, login: str) -> tuple[bool, str | None]:
        """Whether this run knows `login`'s Slack id yet, and the id."""
        key = login.lower()
        return key in self._ids, self._ids.get(key)

    def login_for(self, slack_id: str) -> str | None:
        for login in self.config.people:
            if self.slack_id(login) == slack_id:
                return login
        return None

    def mention(self, login: str) -> str:
        user = self.slack_id(login)
        return f"<@{user}>" if user else f"*{escape(login)}*"

    def unavailable(self, login: str, now: datetime) -> str | None:
        """Return why Slack says `login` cannot lead now, or None
        (docs/usage.md#the-lead-availability-and-acknowledgement).

        Asks in order and stops at the first "away": the profile status, then presence,
        then do-not-disturb; at most three calls for an available person.
        """
        user = self.slack_id(login) if self.room is not None else None
        if self.room is None or not user:
            return None
        away = self.config.availability.away_statuses
        if away:
            # Free when users.lookupByEmail already brought the profile this run.
            reason = availability.status_reason(self.room.profile_status(user), away, now)
            if reason:
                return reason
        # Presence before do-not-disturb: someone away on Slack is skipped after one call
        # (at night both say so; DND adds news only about people at their desks).
        reason = availability.presence_reason(self.room.presence(user))
        if reason:
            return reason
        return availability.dnd_reason(self.room.dnd(user), now)

    def away(self, logins: Sequence[str]) -> set[str]:
        if self.room is None:
            return set()
        out = set()
        for login in logins:
            user = self.slack_id(login)
            if user and self.room.presence(user) == "away":
                out.add(login)
        return out


class Mirror:
    """Carry a record's Slack work out; every failure becomes a problem on the record."""

    def __init__(
        self,
        room: SlackRoom | None,
        people: People,
        config: Config,
        log: Callable[[str], None],
        *,
        dry_run: bool = False,
    ) -> None:
        self.room = room
        self.people = people
        self.config = config
        self.log = log
        self.dry_run = dry_run
        # What reached Slack (or, in a dry run, would have), for the job log and summary.
        self.effects: list[str] = []
        self.read_failed: bool = False  # reading the channel back failed this run (slack_read)
        self._problems_lock = threading.Lock()

    def for_run(self) -> Mirror:
        """This mirror for one run: the same Slack room and caches, its own effects list and
        read-failure flag (a sweep runs several incidents, at once where it can)."""
        return Mirror(self.room, self.people, self.config, self.log, dry_run=self.dry_run)

    def where(self, to: To, record: Record, login: str | None = None) -> str:
        """Name a delivery's destination for people: a channel name or a DM (to `login`)."""
        if to is To.INCIDENT:
            return f"#{record.channel_name}" if record.channel_name else "the incident channel"
        if to is To.DM:
            return f"DM to {login}"
        name = self.channel_setting(to)
        return f"#{name}" if name else f"the {to.value} channel (not configured)"

    def channel_setting(self, to: To) -> str | None:
        """The configured name of the announce or stakeholder channel."""
        if to is To.STAKEHOLDER:
            return self.config.slack.stakeholder_channel
        if to is To.ANNOUNCE:
            return self.config.slack.announce_channel
        return None

    def describe(self, item: SlackDelivery, record: Record) -> str:
        """Say what delivering an outbox item does, with a short preview of its text."""
        where = self.where(item.to, record, item.login)
        text = _PERSON.sub(lambda m: "@" + m.group(1), item.text)
        text = text.replace("<channel>", self.where(To.INCIDENT, record))
        if item.invite:
            return f"invite {', '.join(dict.fromkeys(item.invite))} to {where}"
        if item.report:
            return f"post the incident report to {where}"
        if item.status:
            return f"post the status summary to {where}"
        if item.react or item.unreact:
            return f"{'mark' if item.react else 'unmark'} a Slack note in {where}"
        if item.thread_ts:
            return f"answer in a thread in {where}: {preview(text)}"
        if item.to is To.DM:
            return f"send a {where}: {preview(text)}"
        return f"post to {where}: {preview(text)}"

    def problem(self, record: Record, text: str) -> None:
        self.log(f"warning: Slack: {text}")
        stamp = f"{iso(utcnow())} Slack: {text}"
        with self._problems_lock:  # lanes deliver at once; each problem is kept
            record.problems = [*record.problems[-(MAX_PROBLEMS - 1) :], stamp]

    def sync(self, issue: IssueView, record: Record) -> None:
        """Make Slack match the record: channel, outbox, topic. Never raises."""
        if self.room is None:
            self._without_slack(record)
            return
        opened = False
        ok = True
        if not record.channel_id and self.wants_channel(record):
            ok = opened = self.open_channel(issue, record)
        ok = self._deliver_at_once(issue, record, opened) and ok
        if ok and not self.read_failed:  # caught up: old problems are over (others are not ours)
            record.problems = [p for p in record.problems if " Slack: " not in p]

    def _without_slack(self, record: Record) -> None:
        """No Slack token: in a dry run say what would reach Slack, else drop the outbox."""
        if self.dry_run:
            # Nothing is saved in a dry run: say what would reach Slack (once each,
            # though a run that writes the retrospective syncs twice).
            wanted = [self.describe(item, record) for item in record.outbox]
            if not record.channel_id and self.wants_channel(record):
                wanted.insert(0, "open the incident channel")
            for effect in wanted:
                if effect not in self.effects:
                    self.effects.append(effect)
                    self.log(f"[dry-run] would {effect} (Slack)")
            return
        if record.outbox:
            self.log("notice: SLACK_BOT_TOKEN is not set: Slack steps skipped")
            record.outbox.clear()

    def _deliver_at_once(self, issue: IssueView, record: Record, opened: bool) -> bool:
        """Deliver the outbox and keep the topic (and a new channel's purpose); True when
        all of it reached Slack.

        Each lane is one destination, delivered in the outbox's order (a thread reply after
        its parent, messages in a channel in the order people should read them); lanes, the
        topic and the purpose do not wait for one another. What reached Slack is told, and
        the outbox emptied, in the outbox's order.
        """
        items = list(record.outbox)
        lanes = lanes_of(items, self.channel_setting)

        def in_order(lane: list[SlackDelivery]) -> Callable[[], list[tuple[bool, str | None]]]:
            return lambda: [self._send(issue, record, item) for item in lane]

        jobs = [in_order(lane) for lane in lanes]
        if opened:
            jobs.append(lambda: [self._purpose(issue, record)])
        if record.channel_id:
            jobs.append(lambda: [self._topic(issue, record)])
        done = each(lambda job: job(), jobs)
        sent = {
            id(item): outcome
            for lane, outcomes in zip(lanes, done, strict=False)  # done: the lanes, then more
            for item, outcome in zip(lane, outcomes, strict=True)
        }
        ok = True
        for item in items:
            delivered, described = sent[id(item)]
            if described:
                self.effects.append(described)
            if delivered:
                record.outbox.remove(item)
                if item.remember:
                    record.sent.append(item.key)
            else:
                ok = False
        for extra in done[len(lanes) :]:  # purpose, topic: after the deliveries, as before
            for done_ok, described in extra:
                ok = done_ok and ok
                if described:
                    self.effects.append(described)
        return ok

    @staticmethod
    def wants_channel(record: Record) -> bool:
        """Open the channel once declared, even if resolved before any run could open it."""
        if record.state is not None and record.state.is_active:
            return True
        if any(item.key in (MOVED_BODY, MOVED_TO_REPOSITORY) for item in record.outbox):
            return True  # a sensitive report's text (or its link), moved from a public issue
        declared = record.first("declared") is not None
        return declared and any(item.to is To.INCIDENT for item in record.outbox)

    def open_channel(self, issue: IssueView, record: Record) -> bool:
        assert self.room is not None
        if record.first("rebuilt") is not None and self._find_channel(issue, record):
            return True
        title = _FORM_PREFIX.sub("", issue.title)
        name = channel_name(self.config.slack.channel_prefix, issue.number, title)
        try:
            channel_id, final = self.room.create_channel(name, private=record.sensitive)
        except SlackError as exc:
            self.problem(record, f"could not create the incident channel: {exc}")
            return False
        record.channel_id, record.channel_name = channel_id, final
        record.note(utcnow(), "slack", None, f"channel #{final} opened")
        self.effects.append(f"open channel #{final}{' (private)' if record.sensitive else ''}")
        return True

    def _find_channel(self, issue: IssueView, record: Record) -> bool:
        """A record started again from the issue (`lifecycle.rebuild`) goes on in the
        channel an earlier run opened, found by its name: not a second one."""
        assert self.room is not None
        head = channel_name(self.config.slack.channel_prefix, issue.number, "")
        try:
            found = self.room.find_channel_of(head, private=record.sensitive)
        except SlackError as exc:
            self.problem(record, f"could not look for the incident channel: {exc}")
            return False
        if found is None:
            return False
        record.channel_id, record.channel_name = found
        record.note(utcnow(), "slack", None, f"channel #{found[1]} found again")
        self.effects.append(f"found channel #{found[1]}")
        return True

    def _purpose(self, issue: IssueView, record: Record) -> tuple[bool, str | None]:
        """Set a new channel's purpose (the issue's link); a failure is only a notice."""
        assert self.room is not None and record.channel_id
        try:
            self.room.set_purpose(record.channel_id, f"Incident #{issue.number}: {issue.url}")
        except SlackError as exc:
            self.log(f"notice: Slack: could not set the channel purpose: {exc}")
        return True, None

    def target(self, to: To, record: Record, login: str | None = None) -> str | None:
        assert self.room is not None
        if to is To.INCIDENT:
            return record.channel_id
        if to is To.DM:
            return self.people.slack_id(login) if login else None
        name = self.channel_setting(to)
        if not name:
            return None
        # Finding a channel by name lists the workspace's channels: remember the answer.
        if name not in record.channels:
            found = self.room.find_channel(name)
            if found is None:
                self.problem(record, f"channel {name!r} not found (slack.{to.value}_channel)")
                return None
            record.channels[name] = found
        return record.channels[name]

    def render(self, text: str, record: Record) -> str:
        text = _PERSON.sub(lambda m: self.people.mention(m.group(1)), text)
        channel = f"<#{record.channel_id}>" if record.channel_id else "(not open yet)"
        return text.replace("<channel>", channel)

    def deliver(self, issue: IssueView, record: Record, item: SlackDelivery) -> bool:
        """Deliver one outbox item; True when done (or pointless), False to retry later."""
        delivered, effect = self._send(issue, record, item)
        if effect:
            self.effects.append(effect)
        return delivered

    def _send(
        self, issue: IssueView, record: Record, item: SlackDelivery
    ) -> tuple[bool, str | None]:
        """Deliver one outbox item: (done or pointless, what reached Slack). Safe in a lane
        of its own beside others: it touches the record only where its destination is."""
        assert self.room is not None
        try:
            where = self.target(item.to, record, item.login)
            if where is None:
                if item.to is To.INCIDENT and self.wants_channel(record):
                    return False, None  # the channel isn't open yet: keep it for later
                if item.to is To.DM:
                    self.log(f"notice: Slack: no Slack user mapped for {item.login}; DM skipped")
                return True, None
            if "<channel>" in item.text and not record.channel_id:
                if self.wants_channel(record):
                    return False, None  # say where to go once there is somewhere to go
            if item.invite:
                ids = each(self.people.slack_id, item.invite)  # email look-ups at once
                self.room.invite(where, [x for x in ids if x])
            elif item.report:
                text, blocks = self.report_message(issue, record)
                blocks += button_blocks(item.buttons, issue.number)
                # Its place is kept: a ✅ on it from the lead acknowledges (ack.py).
                record.report_ref = list(self.room.post_ref(where, text, blocks=blocks))
            elif item.ack_dm:
                text = self.render(item.text, record)
                ref = self.room.post_ref(
                    where, text, blocks=with_buttons(text, item.buttons, issue.number)
                )
                if str(record.ack.get("lead", "")).lower() == item.ack_dm.lower():
                    record.ack["dm"] = list(ref)
            elif item.status:
                self.room.post(where, self.status_text(issue, record))
            elif item.key == MOVED_BODY:
                self.room.post(where, moved_text(issue))
            elif item.key == MOVED_TO_REPOSITORY:
                from incident_tool.effects.sensitive_repository import channel_text

                self.room.post(where, channel_text(issue, self.config, self.log))
            elif item.react or item.unreact:
                self._mark(where, item)
            else:
                text = self.render(item.text, record)
                buttons = with_buttons(text, item.buttons, issue.number)
                self.room.post(where, text, blocks=buttons, thread_ts=item.thread_ts)
            return True, self.describe(item, record)
        except SlackError as exc:
            self.problem(record, f"{item.key}: {exc}")
            return False, None

    def _mark(self, where: str, item: SlackDelivery) -> None:
        """The tool's mark on a message it keeps as a Slack note (slack_inbound)."""
        from incident_tool.inbound.slack import RECORDED

        assert self.room is not None
        if item.react:
            self.room.react(where, item.react, RECORDED)
        elif item.unreact:
            self.room.unreact(where, item.unreact, RECORDED)

    def report_message(self, issue: IssueView, record: Record) -> tuple[str, list[dict]]:
        report = parse_report(issue.body)
        fields = []
        for field_id, label in (
            ("summary", "Summary"),
            ("service", "Affected service"),
            ("impact", "Impact on users"),
            ("started", "Started"),
            ("links", "Links"),
        ):
            value = report.get(field_id)
            if isinstance(value, list):
                value = ", ".join(value)
            if value:
                fields.append((label, str(value)))
        lead = record.lead or "nobody"
        return blocks_for_report(
            # The form's "[Incident]: " (or the team's form's own prefix) says nothing.
            title=without_form_prefix(issue.title, self.config.title_prefix),
            url=issue.url,
            number=issue.number,
            fields=fields,
            footer=f"Lead: {lead}",
        )

    def status_text(self, issue: IssueView, record: Record) -> str:
        state = record.state.label if record.state else "none"
        helping = ", ".join(self.people.mention(x) for x in record.helping) or "nobody"
        lead = self.people.mention(record.lead) if record.lead else "nobody"
        lines = [
            wording.CHANNEL_STATUS.format(link=f"<{issue.url}|#{issue.number}>", state=state),
            f"Lead: {lead}. Helping: {helping}.",
        ]
        if record.severity:
            lines.append(f"Severity: {record.severity}")
        if record.resolved_when:
            lines.append(f"Resolved when: {escape(record.resolved_when)}")
        last = record.last("update")
        if last:
            lines.append(f"Last update ({last.at}): {escape(last.text[:500])}")
        return "\n".join(lines)

    def topic(self, issue: IssueView, record: Record) -> bool:
        """Keep the channel's topic the incident's state, lead and link; False on failure."""
        done, effect = self._topic(issue, record)
        if effect:
            self.effects.append(effect)
        return done

    def _topic(self, issue: IssueView, record: Record) -> tuple[bool, str | None]:
        assert self.room is not None and record.channel_id
        state = record.state.value if record.state else "?"
        lead = record.lead or "nobody"
        topic = f"{state.upper()} · lead {lead} · {issue.url}"
        if record.resolved_when:
            topic += f" · resolved when: {escape(record.resolved_when)}"
        if topic == record.channel_topic:
            return True, None
        try:
            self.room.set_topic(record.channel_id, topic)
        except SlackError as exc:
            self.problem(record, f"could not set the channel topic: {exc}")
            return False, None
        record.channel_topic = topic
        return True, f"set the topic of {self.where(To.INCIDENT, record)}: {preview(topic)}"

    def history(self, record: Record) -> list[Entry]:
        """Collect the incident channel's messages for the retrospective's timeline."""
        if self.room is None or not record.channel_id:
            return []
        try:
            messages = self.room.history(record.channel_id)
        except SlackError as exc:
            self.problem(record, f"could not read the channel history: {exc}")
            return []
        out = []
        bot = record.slack_in.get("bot")
        for message in messages:
            if message.bot:
                continue
            if bot and message.text.lstrip().startswith(f"<@{bot}>"):
                continue  # a command to the tool: the timeline has what it did
            who = (
                (self.people.login_for(message.user) if message.user else None)
                or (self.room.user_name(message.user) if message.user else None)
                or "someone"
            )
            try:
                at = iso(_from_ts(message.ts))
            except ValueError:
                continue
            out.append(
                Entry(at, "slack", who, plain_text(message.text, self._name), f"slack:{message.ts}")
            )
        return out

    def _name(self, user: str) -> str:
        """A mentioned person in a message: their GitHub login, else their Slack name."""
        if self.room is None:
            return user
        try:
            return self.people.login_for(user) or self.room.user_name(user) or user
        except SlackError:
            return user


def moved_text(issue: IssueView) -> str:
    """The report's text for its private channel, from the issue as this run read it: a later
    run (Slack was down) reads the stub, and says where the text is instead."""
    if hidden(issue.body) or not issue.body.strip():
        return wording.CHANNEL_BODY_GONE.format(number=issue.number)
    # Slack takes 40,000 characters a message; a form's body is at most 65,536.
    text = safe.slack(issue.body)[:MAX_MOVED]
    title = safe.slack(issue.title)[:MAX_TITLE]
    return wording.CHANNEL_MOVED_BODY.format(number=issue.number, title=title, text=text)


MAX_MOVED = 35_000
MAX_TITLE = 1_000  # GitHub's titles are at most 256 characters; escaped, longer


def lanes_of(
    items: Sequence[SlackDelivery], channel_setting: Callable[[To], str | None]
) -> list[list[SlackDelivery]]:
    """Split outbox items by destination, each lane in outbox order, lanes in order of first
    item: the incident channel's invitations, its messages (and marks), each DM's person,
    each named channel (announce and stakeholder by configured name: one look-up each)."""
    lanes: dict[tuple[str, str], list[SlackDelivery]] = {}
    for item in items:
        if item.to is To.DM:
            key = ("dm", (item.login or "").lower())
        elif item.to is To.INCIDENT:
            key = ("invite" if item.invite else "incident", "")
        else:
            key = ("channel", channel_setting(item.to) or item.to.value)
        lanes.setdefault(key, []).append(item)
    return list(lanes.values())


def preview(text: str, limit: int = 2000) -> str:
    """Return a message's whole text on one line (its line breaks shown as ⏎), in quotes:
    the log and --dry-run show what Slack gets ("Update from @lee:" alone looked empty).
    Only a message longer than `limit` is cut, so one cannot flood the log."""
    line = " ⏎ ".join(x.strip() for x in text.splitlines() if x.strip())
    return f"“{line if len(line) <= limit else line[: limit - 1] + '…'}”"


def _from_ts(ts: str):
    from datetime import datetime, timezone

    return datetime.fromtimestamp(float(ts), tz=timezone.utc)


# The live connection's buttons (inbound/interactions.py): action `incident:<what>`, value
# the issue number. Only a decision with `slack.live` on asks for them (Context.slack).
BUTTON_TEXT = {
    "declare": ("Declare", "primary"),
    "dismiss": ("Dismiss", None),
    "ack": ("Acknowledge", "primary"),
    "join": ("Join", None),
    "update": ("Post an update", None),
}


def button_blocks(buttons: Sequence[str], number: int) -> list[dict[str, Any]]:
    """An actions block with the tool's buttons, or nothing."""
    elements = []
    for what in buttons:
        label, style = BUTTON_TEXT[what]
        element: dict[str, Any] = {
            "type": "button",
            "action_id": f"incident:{what}",
            "text": {"type": "plain_text", "text": label},
            "value": str(number),
        }
        if style:
            element["style"] = style
        elements.append(element)
    return (
        [{"type": "actions", "block_id": "incident-actions", "elements": elements}]
        if elements
        else []
    )


def with_buttons(text: str, buttons: Sequence[str], number: int) -> list[dict[str, Any]] | None:
    """The message as a section with the buttons under it; None without buttons."""
    if not buttons:
        return None
    section = {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}
    return [section, *button_blocks(buttons, number)]
