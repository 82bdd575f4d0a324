"""What the live Slack connection receives, carried out as runs (docs/usage.md#live-slack).

    envelope → read (inbound/interactions) → acknowledged → a run on its incident
              (app.process, with the request as a decision of its own) → answered

Everything goes through the same run as an event on the issue: the same decisions, the
same permission table, the same record and the same idempotency (a Slack command is
claimed once, a live request's id is kept in the record). What people do in an incident
channel (a mention, a pin, a ✅, a message) makes the run read the channel back at once,
as the sweep would later: whichever sees it first carries it out, and never twice.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from incident_tool import app
from incident_tool.core import live, wording
from incident_tool.core.decide import Decision
from incident_tool.core.live import DECLARE, LiveRequest
from incident_tool.core.record import utcnow
from incident_tool.effects.github import GitHubError
from incident_tool.effects.slack import SlackError
from incident_tool.effects.socket import Handled
from incident_tool.effects.team_form import team_form
from incident_tool.effects.tools import Outcome, Tools
from incident_tool.inbound import interactions as inbound
from incident_tool.inbound.forms import FormDefinition, default_form

NOT_THERE = frozenset({"channel_not_found", "not_in_channel", "user_not_in_channel"})
ANNOUNCE = -1  # the announce channel's turn, beside the incidents' own
BUTTON_WORDS = {"ack": "ack", "join": "join", "declare": DECLARE}
BUTTON_NAMES = {
    "ack": "the Acknowledge button",
    "join": "the Join button",
    "declare": "the Declare button",
    "dismiss": "the Dismiss button",
    "update": "the Post an update button",
}
# Buttons whose message has done its job once pressed: it then says what happened instead.
# (Join stays on the channel's first message for the next person.)
ONE_SHOT = frozenset({"declare", "ack"})
MAX_TITLE = 120
MAX_FIELD = 3000


class Listener:
    """Routes each interaction to a run on its incident; one run per incident at a time."""

    def __init__(self, tools: Tools, *, now: Callable[[], datetime] = utcnow) -> None:
        self.tools = tools
        self.log = tools.log
        self.now = now
        self._locks: dict[int, threading.Lock] = {}
        self._guard = threading.Lock()
        self._channels: dict[str, int | None] = {}  # channel id -> incident number (or none)
        self._waiting: set[int] = set()  # incidents with a read-back waiting for its turn
        self._reports: dict[str, list[datetime]] = {}  # unmapped Slack user -> modal reports
        self.runs = 0

    # -- the acknowledgement (no request) ----------------------------------------------

    def receive(self, envelope: Mapping[str, Any]) -> Handled:
        """Return the acknowledgement's payload and the work to do once it is sent."""
        got = inbound.read_envelope(envelope)
        if isinstance(got, inbound.Ignored):
            self.log(f"live: ignored {got.reason}")
            return None, None
        if isinstance(got, inbound.ViewSubmission):
            errors = view_errors(got)
            if errors:
                # Slack shows these in the modal, which stays open (views' response_action).
                return {"response_action": "errors", "errors": errors}, None
            return None, lambda: self.submitted(got)
        if isinstance(got, inbound.SlashCommand):
            return None, lambda: self.slash(got)
        if isinstance(got, inbound.ButtonPress):
            return None, lambda: self.pressed(got)
        return None, lambda: self.activity(got)

    # -- runs --------------------------------------------------------------------------

    def run(
        self, number: int, decisions: Sequence[Decision] = (), *, read_back: bool = False
    ) -> Outcome | None:
        """Bring incident `number` up to date now, with `decisions`; None if GitHub failed
        (the polling path finishes it: the request is in Slack, or in the record).

        `read_back`: a run that only reads the channel back is not queued twice: one that
        is waiting reads whatever happened meanwhile. However many messages arrive, an
        incident has at most one read-back running and one waiting."""
        with self._guard:
            lock = self._locks.setdefault(number, threading.Lock())
            if read_back and number in self._waiting:
                return None
            if read_back:
                self._waiting.add(number)
        with lock:
            if read_back:
                with self._guard:
                    self._waiting.discard(number)
            self._fresh()
            try:
                outcome = app.process(number, self.tools, decisions=decisions)
            except GitHubError as exc:
                self.log(f"warning: live: #{number}: {exc}")
                return None
            with self._guard:
                self.runs += 1
            return outcome

    def _fresh(self) -> None:
        """A long-lived process forgets what an earlier run found out (roles change)."""
        self.tools.gateway.forget()
        room = self.tools.mirror.room
        if room is not None:
            room.new_run()

    def incident_of(self, channel: str) -> int | None:
        """The incident a channel is for, by its name (`<prefix>-<number>-…`)."""
        if channel in self._channels:
            return self._channels[channel]
        room = self.tools.mirror.room
        info = room.channel_info(channel) if room is not None else None
        prefix = re.escape(self.tools.config.slack.channel_prefix)
        found = re.match(rf"^{prefix}-([0-9]{{1,9}})(?:-|$)", str((info or {}).get("name", "")))
        number = int(found.group(1)) if found else None
        self._channels[channel] = number
        return number

    # -- what people do ----------------------------------------------------------------

    def activity(self, event: inbound.ChannelActivity) -> None:
        """Something happened in a channel: read it back now, as the sweep would."""
        room = self.tools.mirror.room
        if room is None or (event.user is not None and event.user == room.auth_check()):
            return  # the tool's own messages and marks
        announce = self.tools.config.slack.announce_channel
        if (
            event.kind == "app_mention"
            and announce
            and room.find_channel(announce) == event.channel
        ):
            self.announce_reports()
            return
        number = self.incident_of(event.channel)
        if number is not None:
            self.run(number, read_back=True)

    def announce_reports(self) -> None:
        """Reports in the announce channel: read it once, however many mentions arrive
        meanwhile (the channel is read as a whole; claims keep each report to one issue)."""
        with self._guard:
            if ANNOUNCE in self._waiting:
                return
            self._waiting.add(ANNOUNCE)
            lock = self._locks.setdefault(ANNOUNCE, threading.Lock())
        with lock:
            with self._guard:
                self._waiting.discard(ANNOUNCE)
            for opened in app.process_reports(self.tools):
                self.log(f"live: report #{opened} opened from the announce channel")

    def slash(self, command: inbound.SlashCommand) -> None:
        """`/incident`: a report modal; `/incident help`; `/incident <command>` in an
        incident channel."""
        if not command.text:
            form, notice = team_form(self.tools.root)
            if notice:
                self.log(f"notice: {notice}")
            self.open_view(command.trigger_id, report_view(command.channel, form), command)
            return
        if command.text.split()[0].lower() == "help":
            self.tell(command.channel, command.user, live.slash_help())
            return
        number = self.incident_of(command.channel)
        if number is None:
            self.tell(command.channel, command.user, wording.LIVE_NOT_AN_INCIDENT_CHANNEL)
            return
        request = LiveRequest(command.id, command.user, command.text, "`/incident`")
        self.carry_out(number, request, command.channel)

    def pressed(self, button: inbound.ButtonPress) -> None:
        if button.action in ("dismiss", "update"):
            meta = json.dumps({"n": button.number, "c": button.channel, "ts": button.message_ts})
            view = reason_view(meta) if button.action == "dismiss" else update_view(meta)
            self.open_view(button.trigger_id, view, button)
            return
        request = LiveRequest(
            button.id, button.user, BUTTON_WORDS[button.action], BUTTON_NAMES[button.action]
        )
        outcome = self.carry_out(button.number, request, button.channel)
        done = outcome is not None and any(answer.done for answer in outcome.answers)
        if done and button.action in ONE_SHOT:
            self.mark_done(button)

    def submitted(self, submission: inbound.ViewSubmission) -> None:
        if submission.view == "report":
            self.report(submission)
            return
        try:
            meta = json.loads(submission.metadata)
            number, channel = int(meta["n"]), str(meta["c"])
        except (ValueError, KeyError, TypeError):
            self.log("live: ignored a modal without its incident")
            return
        field = "reason" if submission.view == "dismiss" else "text"
        text = " ".join(str(submission.values.get(field) or "").split())
        request = LiveRequest(
            submission.id,
            submission.user,
            f"{submission.view} {text}",
            BUTTON_NAMES[submission.view],
        )
        self.carry_out(number, request, channel)

    def carry_out(self, number: int, request: LiveRequest, channel: str) -> Outcome | None:
        if self.login_of(request.user) is None:
            # Refused before any request to GitHub: an unmapped account costs no run.
            self.tell(channel, request.user, wording.LIVE_UNMAPPED.format(user=request.user))
            return None
        outcome = self.run(number, [lambda ctx, _inputs: live.carry_out(ctx, request)])
        if outcome is None:
            self.tell(channel, request.user, wording.LIVE_GITHUB_DOWN)
            return None
        for answer in outcome.answers:
            self.tell(channel, request.user, answer.text)
        return outcome

    def report(self, submission: inbound.ViewSubmission) -> None:
        """The report modal: open the report issue as the form does, run it, say where."""
        from incident_tool.effects.slack_reports import open_modal_report

        channel = (
            submission.metadata if re.fullmatch(r"[CDG][A-Z0-9]{2,20}", submission.metadata) else ""
        )
        if not self.may_report(submission.user):
            self.tell(channel, submission.user, wording.LIVE_REPORTS_LIMITED)
            return
        try:
            number, url = open_modal_report(self.tools, submission, self.now())
        except (GitHubError, SlackError) as exc:
            self.log(f"warning: live: a report from the modal: {exc}")
            self.tell(channel, submission.user, wording.LIVE_GITHUB_DOWN)
            return
        self.run(number)
        room = self.tools.mirror.room
        if room is not None:
            room.dm(submission.user, wording.LIVE_REPORTED.format(link=f"<{url}|#{number}>"))

    def login_of(self, user: str) -> str | None:
        from incident_tool.effects.slack_read import reverse

        return reverse(self.tools.people, user)[0]

    def may_report(self, user: str) -> bool:
        """An account `people` does not map may open `limits.outsider_reports_per_day`
        reports a day with the form (the team, any number): each is an issue and a run."""
        if self.login_of(user) is not None:
            return True
        now = self.now()
        recent = [t for t in self._reports.get(user, []) if now - t < timedelta(days=1)]
        if len(recent) >= self.tools.config.limits.outsider_reports_per_day:
            return False
        self._reports[user] = [*recent, now]
        return True

    # -- answering ---------------------------------------------------------------------

    def open_view(self, trigger_id: str, view: dict[str, Any], asked: Any) -> None:
        room = self.tools.mirror.room
        if room is None:
            return
        try:
            room.open_view(trigger_id, view)
        except SlackError as exc:
            # A trigger is good for 3 s: a slow or rate-limited views.open cannot open it.
            self.log(f"notice: live: could not open a modal: {exc}")
            self.tell(asked.channel, asked.user, wording.LIVE_MODAL_FAILED)

    def tell(self, channel: str, user: str, text: str) -> None:
        """An answer only `user` sees: in the channel, else (not a channel the bot or the
        person is in, or none) in a DM."""
        room = self.tools.mirror.room
        if room is None:
            return
        if channel:
            try:
                room.tell_privately(channel, user, text)
                return
            except SlackError as exc:
                if exc.error not in NOT_THERE:
                    self.log(f"notice: live: could not answer {user}: {exc}")
                    return
        try:
            room.dm(user, text)
        except SlackError as exc:
            self.log(f"notice: live: could not answer {user}: {exc}")

    def mark_done(self, button: inbound.ButtonPress) -> None:
        """Show on the message what the button did and who did it (chat.update)."""
        room = self.tools.mirror.room
        if room is None:
            return
        text = wording.LIVE_BUTTON_DONE.format(
            what=BUTTON_NAMES[button.action].removeprefix("the ").removesuffix(" button"),
            user=button.user,
            at=self.now().strftime("%H:%M UTC"),
        )
        try:
            room.update_message(button.channel, button.message_ts, text)
        except SlackError as exc:
            self.log(f"notice: live: could not update the message: {exc}")


# -- modals (Block Kit views) --------------------------------------------------------------


def _text_input(block_id: str, label: str, *, multiline: bool, limit: int, optional: bool) -> dict:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": {
            "type": "plain_text_input",
            "action_id": "value",
            "multiline": multiline,
            "max_length": limit,
        },
    }


def _select(block_id: str, label: str, options: Sequence[str]) -> dict:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": {"type": "plain_text", "text": label},
        "element": {
            "type": "static_select",
            "action_id": "value",
            "options": [
                {"text": {"type": "plain_text", "text": o[:75]}, "value": o[:150]}
                for o in options[:100]
            ],
        },
    }


def _modal(callback: str, title: str, submit: str, blocks: list[dict], meta: str) -> dict:
    return {
        "type": "modal",
        "callback_id": f"{inbound.PREFIX}{callback}",
        "title": {"type": "plain_text", "text": title[:24]},
        "submit": {"type": "plain_text", "text": submit[:24]},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": meta[:3000],
        "blocks": blocks,
    }


def report_view(channel: str, form: FormDefinition | None = None) -> dict:
    """The report form's fields, its own options (docs/usage.md#live-slack): the team's
    form (effects/team_form.py), the packaged example's when none is given."""
    form = form or default_form()
    service = form.get_field("service")
    severity = form.get_field("severity")
    blocks = [
        _text_input("title", "Title", multiline=False, limit=MAX_TITLE, optional=False),
        _text_input(
            "summary", "What is happening?", multiline=True, limit=MAX_FIELD, optional=False
        ),
    ]
    if service is not None and service.options:
        blocks.append(_select("service", "Affected service", service.options))
    blocks.append(
        _text_input("impact", "Impact on users", multiline=True, limit=MAX_FIELD, optional=True)
    )
    if severity is not None and severity.options:
        blocks.append(_select("severity", "Severity (your guess)", severity.options))
    blocks.append(
        {
            "type": "input",
            "block_id": "private",
            "optional": True,
            "label": {"type": "plain_text", "text": "Sensitive"},
            "element": {
                "type": "checkboxes",
                "action_id": "value",
                "options": [
                    {
                        "text": {"type": "plain_text", "text": "Handle it privately"},
                        "value": "private",
                    }
                ],
            },
        }
    )
    return _modal("report", "Report an incident", "Report", blocks, channel)


def reason_view(meta: str) -> dict:
    blocks = [_text_input("reason", "Why dismiss it?", multiline=True, limit=500, optional=False)]
    return _modal("dismiss", "Dismiss the report", "Dismiss", blocks, meta)


def update_view(meta: str) -> dict:
    blocks = [_text_input("text", "The update", multiline=True, limit=MAX_FIELD, optional=False)]
    return _modal("update", "Post an update", "Post", blocks, meta)


def view_errors(submission: inbound.ViewSubmission) -> dict[str, str]:
    """What is wrong with a submitted modal, by block (none: it is carried out)."""
    values = submission.values

    def text(block: str) -> str:
        value = values.get(block)
        return value if isinstance(value, str) else ""

    errors: dict[str, str] = {}
    required = {"report": ("title", "summary"), "dismiss": ("reason",), "update": ("text",)}
    for block in required.get(submission.view, ()):
        if not text(block).strip():
            errors[block] = "Please fill this in."
    limits = {"title": MAX_TITLE, "summary": MAX_FIELD, "impact": MAX_FIELD, "reason": 500}
    for block, limit in {**limits, "text": MAX_FIELD}.items():
        if len(text(block)) > limit:
            errors[block] = f"At most {limit} characters, please."
    return errors
