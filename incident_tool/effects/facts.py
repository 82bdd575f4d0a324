"""Live facts a decision may ask (who did what, roles, availability), answered from GitHub and
Slack and cached per run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from incident_tool.core.model import IssueView
from incident_tool.core.record import utcnow
from incident_tool.core.states import states_in
from incident_tool.effects.github import Gateway
from incident_tool.effects.mirror import People
from incident_tool.inbound.slack import report_mark


class LiveFacts:
    """Facts for decisions, answered from GitHub and Slack (cached per run)."""

    def __init__(
        self,
        gateway: Gateway,
        people: People,
        issue: IssueView,
        log: Callable[[str], None],
        now: datetime | None = None,
    ) -> None:
        self.gateway = gateway
        self.people = people
        self.issue = issue
        self.log = log
        self.now = now or utcnow()  # statuses and do-not-disturb end at a time
        self._busy: dict[str, bool] | None = None
        self._unavailable: dict[str, str | None] = {}

    def happened(
        self, event: str, label_prefix: str = "", *, first: bool = False
    ) -> tuple[str | None, datetime | None]:
        found = [
            e
            for e in self.gateway.issue_events(self.issue.number)
            if e.event == event and (e.label or "").lower().startswith(label_prefix.lower())
        ]
        if not found:
            return None, None
        pick = found[0] if first else found[-1]
        return pick.actor, pick.at

    def role(self, login: str) -> str:
        return self.gateway.role(login)

    def is_tool(self, login: str) -> bool:
        return login.lower() == self.gateway.bot_login.lower()

    def reports_before(self, login: str, moment: datetime, number: int) -> int:
        since = moment - timedelta(hours=24)
        return sum(
            1
            for n, at, labels, _ in self.gateway.recent_issues_by(login, since)
            if n != number and since <= at <= moment and states_in(labels)
        )

    def slack_reports_before(self, user: str, moment: datetime, number: int) -> int:
        # The tool's account opens them: its issues of the day, one request, by marker.
        since = moment - timedelta(hours=24)
        return sum(
            1
            for n, at, labels, body in self.gateway.recent_issues_by(self.gateway.bot_login, since)
            if n != number
            and since <= at <= moment
            and states_in(labels)
            and (mark := report_mark(body)) is not None
            and mark.user == user
        )

    def on_slack(self, login: str) -> bool:
        return self.people.room is not None and self.people.slack_id(login) is not None

    def assignable(self, login: str) -> bool:
        return self.gateway.assignable(login)

    def unavailable(self, logins: Sequence[str]) -> dict[str, str]:
        """Why each of `logins` cannot lead now (README "The lead"); asked once per person per run.

        GitHub busy first (one GraphQL query answers for every responder); then Slack,
        which stops at the first signal that says "away". A status GitHub hides from the
        token (limited to an organisation it cannot see) reads as no status: unknown, so
        available.
        """
        out: dict[str, str] = {}
        for login in logins:
            key = login.lower()
            if key not in self._unavailable:
                if self._is_busy(login):
                    self._unavailable[key] = "busy on GitHub"
                else:
                    self._unavailable[key] = self.people.unavailable(login, self.now)
            if reason := self._unavailable[key]:
                out[login] = reason
        return out

    def acknowledged_in_slack(
        self, login: str, where: Sequence[tuple[str, str, str]]
    ) -> str | None:
        """Return how `login` acknowledged in Slack: a ✅ reaction of theirs on one of the
        messages `where` (channel, ts, what to call it), or None. A failed look-up is "no"."""
        from incident_tool.effects.slack import SlackError

        room, user = self.people.room, self.people.slack_id(login)
        if room is None or not user:
            return None
        for channel, ts, what in where:
            try:
                if user in room.reacted(channel, ts, "white_check_mark"):
                    return f"✅ on {what}"
            except SlackError as exc:
                self.log(f"notice: Slack: could not read reactions on {what}: {exc}")
        return None

    def _is_busy(self, login: str) -> bool:
        if self._busy is None:
            # One GraphQL query answers for every responder, once per run.
            self._busy = self.gateway.busy(list(self.people.config.responders))
        if login not in self._busy:
            self._busy.update(self.gateway.busy([login]))
        return self._busy.get(login, False)
