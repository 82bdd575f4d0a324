"""The gather stage: answer the questions a decision asked (core/facts.py) from GitHub and Slack.

Answers are cached for the run, so a question re-asked by the next decision round costs
nothing; questions that cover several people (availability) are looked up at once.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from incident_tool.core.facts import (
    ACKNOWLEDGED_IN_SLACK,
    ASSIGNABLE,
    CHANGES,
    COMMENT,
    COMMIT,
    EVENTS,
    LOGIN_OF,
    ON_SLACK,
    PULL,
    REPORTS_BEFORE,
    REPOSITORY_PUBLIC,
    REVERT_TOKEN,
    ROLE,
    SENSITIVE_REPOSITORY,
    SLACK_REPORTS_BEFORE,
    UNAVAILABLE,
    Happening,
    Question,
)
from incident_tool.core.model import IssueView
from incident_tool.core.states import states_in
from incident_tool.effects.github import Gateway
from incident_tool.effects.mirror import People
from incident_tool.effects.parallel import both, each
from incident_tool.inbound.slack import report_mark


class FactGatherer:
    """Answers for one incident's run, from GitHub and Slack."""

    def __init__(
        self,
        gateway: Gateway,
        people: People,
        issue: IssueView,
        log: Callable[[str], None],
        now: datetime,
    ) -> None:
        self.gateway = gateway
        self.people = people
        self.issue = issue  # the incident as read
        self.log = log
        self.now = now  # statuses and do-not-disturb end at a time
        self._busy: dict[str, bool] | None = None
        self._reader: Any = None  # one ChangeReader a run: one CHANGES_TOKEN client
        self._reader_lock = threading.Lock()  # questions are asked at once

    def answer(self, questions: Iterable[Question]) -> dict[Question, Any]:
        """Return an answer for each question (availability: one per person asked); the
        questions asked together are looked up at once."""

        def one(question: Question) -> dict[Question, Any]:
            if question.kind == UNAVAILABLE:
                return self._unavailable(question.args)
            return {question: self._ask(question)}

        answers: dict[Question, Any] = {}
        for found in each(one, list(questions)):
            answers.update(found)
        return answers

    def _ask(self, question: Question) -> Any:
        kind, args = question
        answers: dict[str, Callable[..., Any]] = {
            ROLE: self.gateway.role,
            ASSIGNABLE: self.gateway.assignable,
            EVENTS: self._events,
            REPORTS_BEFORE: self._reports_before,
            SLACK_REPORTS_BEFORE: self._slack_reports_before,
            ON_SLACK: self._on_slack,
            ACKNOWLEDGED_IN_SLACK: self._acknowledged_in_slack,
            LOGIN_OF: self._login_of,
            CHANGES: self._changes,
            PULL: self._pull,
            COMMIT: self._commit,
            REVERT_TOKEN: self._revert_token,
            REPOSITORY_PUBLIC: self._repository_public,
            COMMENT: lambda comment_id: self.gateway.issue_comment(self.issue.number, comment_id),
            SENSITIVE_REPOSITORY: self._sensitive_repository,
        }
        return answers[kind](*args)

    def _events(self) -> tuple[Happening, ...]:
        return tuple(
            Happening(e.event, e.actor, e.at, e.label)
            for e in self.gateway.issue_events(self.issue.number)
        )

    def _reports_before(self, login: str, moment: datetime, number: int) -> int:
        return reports_before(self.gateway, login, moment, number)

    def _slack_reports_before(self, user: str, moment: datetime, number: int) -> int:
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

    def _changes(self, repositories: tuple[str, ...], since: datetime, until: datetime) -> Any:
        # docs/usage.md#what-changed-before-the-incident: read at declaration only.
        return self._change_reader().read(repositories, since, until)

    def _pull(self, repository: str, number: int) -> Any:
        return self._change_reader().pull(repository, number)

    def _commit(self, repositories: tuple[str, ...], sha: str) -> Any:
        return self._change_reader().commit(repositories, sha)

    def _change_reader(self) -> Any:
        from incident_tool.effects.changes import ChangeReader

        with self._reader_lock:
            if self._reader is None:
                self._reader = ChangeReader(self.gateway, self.log)
            return self._reader

    def _revert_token(self) -> bool:
        from incident_tool.effects.changes import REVERT_TOKEN as NAME

        return bool(os.environ.get(NAME))

    def _repository_public(self) -> bool:
        # Asked only for a sensitive report (core/reconcile.hide_sensitive_body): one GET.
        return self.gateway.visibility() == "public"

    def _sensitive_repository(self, repository: str) -> str | None:
        # Asked only for a sensitive report in a public repository, with the key set: one GET
        # (effects/sensitive_repository.py).
        from incident_tool.effects.sensitive_repository import refused

        return refused(self.gateway, repository)

    def _login_of(self, slack_user: str) -> str | None:
        from incident_tool.effects.slack_read import reverse

        return reverse(self.people, slack_user)[0]

    def _on_slack(self, login: str) -> bool:
        return self.people.room is not None and self.people.slack_id(login) is not None

    def _unavailable(self, logins: Sequence[str]) -> dict[Question, str | None]:
        """Why each of `logins` cannot lead now
        (docs/usage.md#the-lead-availability-and-acknowledgement), looked up at once.

        GitHub's busy status (one GraphQL query answers for every responder) and Slack's
        signals (each person's in turn, stopping at the first that says "away") do not
        wait for one another; busy on GitHub counts first. A status GitHub hides from the
        token (limited to an organisation it cannot see) reads as no status: unknown, so
        available.
        """

        def on_github() -> dict[str, bool]:
            return {login: self._is_busy(login) for login in logins}

        def on_slack() -> list[str | None]:
            return each(lambda login: self.people.unavailable(login, self.now), logins)

        busy, away = both(on_github, on_slack)
        return {
            Question(UNAVAILABLE, (login,)): "busy on GitHub" if busy[login] else why
            for login, why in zip(logins, away, strict=True)
        }

    def _acknowledged_in_slack(
        self, login: str, where: Sequence[tuple[str, str, str]]
    ) -> str | None:
        """How `login` acknowledged in Slack: a ✅ reaction of theirs on one of the messages
        `where` (channel, ts, what to call it), or None. A failed look-up is "no"."""
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


def reports_before(gateway: Gateway, login: str, moment: datetime, number: int) -> int:
    """How many other incident reports `login` opened in the 24 hours before `moment` (one
    request, shared by whoever asks in a run: the gateway keeps the answer)."""
    since = moment - timedelta(hours=24)
    return sum(
        1
        for n, at, labels, _ in gateway.recent_issues_by(login, since)
        if n != number and since <= at <= moment and states_in(labels)
    )
