"""Facts as plain data: what a decision may know about people and the issue's history.

A decision never calls out. It reads a `KnownFacts`, the answers the run gathered before
deciding; a question not yet answered raises `Unknown`, the run's gather stage answers it
(effects/facts.py, several at once where one question covers several people), and the
decision is made again from the same inputs. So the requests a run makes are the ones its
decision needs, in the order it needs them, and nothing can fail in the middle of deciding.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

# The questions, by what the answer is about. Arguments are plain, hashable values.
ROLE = "role"  # (login,) -> none / read / triage / write / maintain / admin
ASSIGNABLE = "assignable"  # (login,) -> bool
UNAVAILABLE = "unavailable"  # (login,) -> reason or None
EVENTS = "events"  # () -> the events, oldest first (tuple of Happening)
REPORTS_BEFORE = "reports_before"  # (login, moment, number) -> int
SLACK_REPORTS_BEFORE = "slack_reports_before"  # (slack user, moment, number) -> int
ON_SLACK = "on_slack"  # (login,) -> bool
ACKNOWLEDGED_IN_SLACK = "acknowledged_in_slack"  # (login, ((channel, ts, what), ...)) -> str|None
LOGIN_OF = "login_of"  # (slack user,) -> the login `people` maps it to, or None
CHANGES = "changes"  # (repositories, since, until) -> a core.changes.ChangeList
PULL = "pull"  # (repository, number) -> a core.changes.Found, or None
COMMIT = "commit"  # (repositories, sha) -> a core.changes.Found (the first with it), or None
REVERT_TOKEN = "revert_token"  # () -> bool: REVERT_TOKEN is set
REPOSITORY_PUBLIC = "repository_public"  # () -> bool: anyone can read the issue
COMMENT = "comment"  # (comment id,) -> that comment of the issue (a CommentView), or None
# (owner/name,) -> why a sensitive report's text cannot be moved there, or None: it can
SENSITIVE_REPOSITORY = "sensitive_repository"


class Question(NamedTuple):
    kind: str
    args: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Happening:
    """One event of the issue's history: who labelled, closed or reopened it, and when."""

    event: str
    actor: str | None
    at: datetime | None
    label: str | None = None


class Unknown(Exception):  # a signal to the run, not an error
    """The decision needs an answer the run has not gathered yet."""

    def __init__(self, question: Question, *more: Question) -> None:
        super().__init__(f"not gathered: {question.kind}{question.args!r}")
        self.question = question
        self.questions = (question, *more)  # all gathered at once


@dataclass(frozen=True)
class KnownFacts:
    """The answers gathered for one run (the `Facts` of core/model.py, as plain data)."""

    bot_login: str
    answers: Mapping[Question, Any] = field(default_factory=dict)

    def with_answers(self, more: Mapping[Question, Any]) -> KnownFacts:
        return KnownFacts(self.bot_login, {**self.answers, **more})

    def ahead(self, questions: Sequence[Question]) -> None:
        """Ask for these answers now, together (the gather stage looks them up at once),
        when a decision knows it will need each: one round trip instead of one each."""
        missing = [q for q in questions if q not in self.answers]
        if missing:
            raise Unknown(*missing)

    def _answer(self, question: Question) -> Any:
        if question not in self.answers:
            raise Unknown(question)
        return self.answers[question]

    def role(self, login: str) -> str:
        return str(self._answer(Question(ROLE, (login.lower(),))))

    def assignable(self, login: str) -> bool:
        return bool(self._answer(Question(ASSIGNABLE, (login.lower(),))))

    def unavailable(self, logins: Sequence[str]) -> dict[str, str]:
        missing = [x for x in logins if Question(UNAVAILABLE, (x.lower(),)) not in self.answers]
        if missing:
            # One question for all of them: the gather stage looks them up at once.
            raise Unknown(Question(UNAVAILABLE, tuple(x.lower() for x in missing)))
        reasons = {x: self.answers[Question(UNAVAILABLE, (x.lower(),))] for x in logins}
        return {x: why for x, why in reasons.items() if why}

    def happened(
        self, event: str, label_prefix: str = "", *, first: bool = False
    ) -> tuple[str | None, datetime | None]:
        found = [
            h
            for h in self._answer(Question(EVENTS))
            if h.event == event and (h.label or "").lower().startswith(label_prefix.lower())
        ]
        if not found:
            return None, None
        pick = found[0] if first else found[-1]
        return pick.actor, pick.at

    def is_tool(self, login: str) -> bool:
        return login.lower() == self.bot_login.lower()

    def reports_before(self, login: str, moment: datetime, number: int) -> int:
        return int(self._answer(Question(REPORTS_BEFORE, (login.lower(), moment, number))))

    def slack_reports_before(self, user: str, moment: datetime, number: int) -> int:
        return int(self._answer(Question(SLACK_REPORTS_BEFORE, (user, moment, number))))

    def on_slack(self, login: str) -> bool:
        return bool(self._answer(Question(ON_SLACK, (login.lower(),))))

    def login_of(self, slack_user: str) -> str | None:
        answer = self._answer(Question(LOGIN_OF, (slack_user,)))
        return str(answer) if answer else None

    def acknowledged_in_slack(self, login: str, where: Sequence[Sequence[str]]) -> str | None:
        places = tuple(tuple(str(part) for part in place) for place in where)
        answer = self._answer(Question(ACKNOWLEDGED_IN_SLACK, (login.lower(), places)))
        return str(answer) if answer else None

    def changes(self, repositories: Sequence[str], since: datetime, until: datetime) -> Any:
        """What changed in `repositories` between `since` and `until` (a ChangeList)."""
        return self._answer(Question(CHANGES, (tuple(repositories), since, until)))

    def pull(self, repository: str, number: int) -> Any:
        """Pull request `number` of `repository` (a Found), None when there is none."""
        return self._answer(Question(PULL, (repository.lower(), number)))

    def commit(self, repositories: Sequence[str], sha: str) -> Any:
        """The commit `sha` in the first of `repositories` that has it (a Found), or None."""
        return self._answer(Question(COMMIT, (tuple(r.lower() for r in repositories), sha)))

    def revert_token(self) -> bool:
        """Whether a REVERT_TOKEN is given to open revert pull requests with."""
        return bool(self._answer(Question(REVERT_TOKEN)))

    def repository_public(self) -> bool:
        """Whether the repository is public: anyone can read its issues."""
        return bool(self._answer(Question(REPOSITORY_PUBLIC)))

    def comment(self, comment_id: int) -> Any:
        """Comment `comment_id` of this issue (a CommentView), None when the issue has none
        such: another issue's, or none at all (`/hide`)."""
        return self._answer(Question(COMMENT, (comment_id,)))

    def sensitive_repository_refused(self, repository: str) -> str | None:
        """Why a sensitive report's text cannot be moved to `repository` (no SENSITIVE_TOKEN,
        out of its reach, not private), or None when it can."""
        answer = self._answer(Question(SENSITIVE_REPOSITORY, (repository.lower(),)))
        return str(answer) if answer else None
