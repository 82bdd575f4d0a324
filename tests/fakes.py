"""Test doubles for the decision core: facts from dicts, an issue from a few fields."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from incident_tool.config import Config, parse
from incident_tool.core.changes import ChangeList
from incident_tool.core.model import CommentView, Context, IssueView
from incident_tool.core.record import Record

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)

CONFIG = parse(
    """
delivery_managers: [dana]
responders: [sam, priya, lee]
people:
  sam: {slack: U0SAM}
  priya: {email: priya@example.org}
slack:
  announce_channel: wc-platform
timezone: Europe/London
""",
    "test.yml",
)

FORM_BODY = """### Summary

Search returns no results

### Affected service

Search / catalogue API

### Impact on users

Nobody can find works

### When did it start?

_No response_

### How was it noticed?

_No response_

### Links

```text
https://grafana.example.org/d/search
```

### Severity guess

2 - Major: a core service is degraded or down for some
"""


@dataclass
class FakeFacts:
    """Answers from dicts; records which questions were asked."""

    roles: dict[str, str] = field(default_factory=dict)
    away: dict[str, str] = field(default_factory=dict)
    unassignable: set[str] = field(default_factory=set)
    asked: list[str] = field(default_factory=list)
    reports: dict[str, int] = field(default_factory=dict)
    slack_reports: dict[str, int] = field(default_factory=dict)
    off_slack: set[str] = field(default_factory=set)
    slack_logins: dict[str, str] = field(default_factory=dict)  # Slack user -> login
    acknowledged: dict[str, str] = field(default_factory=dict)  # login -> how, in Slack
    # `reports` and `slack_reports` are counted in the minutes before the moment first
    # asked about; asked about an earlier moment (was a report old enough to have been
    # reminded?), these are the counts, none unless set.
    older_reports: dict[str, int] = field(default_factory=dict)
    first_asked: dict[str, datetime] = field(default_factory=dict)
    changed: ChangeList = field(default_factory=ChangeList)  # what changed before
    public: bool = False  # the repository's visibility (asked for sensitive reports only)
    comments: dict[int, Any] = field(default_factory=dict)  # the issue's, by id (`/hide`)
    # Why a sensitive report's text cannot move to sensitive.repository (None: it can).
    sensitive_refused: str | None = None

    def role(self, login: str) -> str:
        self.asked.append(f"role:{login}")
        return self.roles.get(login, "none")

    def assignable(self, login: str) -> bool:
        self.asked.append(f"assignable:{login}")
        return login not in self.unassignable and self.roles.get(login, "none") != "none"

    def unavailable(self, logins: Sequence[str]) -> dict[str, str]:
        return {x: self.away[x] for x in logins if x in self.away}

    def is_tool(self, login: str) -> bool:
        return login == "github-actions[bot]"

    def reports_before(self, login: str, moment: datetime, number: int) -> int:
        self.asked.append(f"reports:{login}")
        return self._counted(login, moment, self.reports)

    def slack_reports_before(self, user: str, moment: datetime, number: int) -> int:
        self.asked.append(f"slack-reports:{user}")
        return self._counted(user, moment, self.slack_reports)

    def _counted(self, who: str, moment: datetime, recent: dict[str, int]) -> int:
        first = self.first_asked.setdefault(who, moment)
        return recent.get(who, 0) if moment >= first else self.older_reports.get(who, 0)

    def on_slack(self, login: str) -> bool:
        return login not in self.off_slack

    def login_of(self, slack_user: str) -> str | None:
        self.asked.append(f"login-of:{slack_user}")
        return self.slack_logins.get(slack_user)

    def acknowledged_in_slack(self, login: str, where: Sequence[Sequence[str]]) -> str | None:
        return self.acknowledged.get(login)

    def ahead(self, questions: Sequence[Any]) -> None:
        """Every answer is at hand: nothing to ask ahead."""

    def changes(self, repositories: Sequence[str], since: datetime, until: datetime) -> ChangeList:
        self.asked.append(f"changes:{','.join(repositories)}")
        return self.changed

    def repository_public(self) -> bool:
        self.asked.append("repository-public")
        return self.public

    def comment(self, comment_id: int) -> Any:
        self.asked.append(f"comment:{comment_id}")
        return self.comments.get(comment_id)

    def sensitive_repository_refused(self, repository: str) -> str | None:
        self.asked.append(f"sensitive-repository:{repository}")
        return self.sensitive_refused


TEAM = {
    "dana": "maintain",
    "sam": "write",
    "priya": "write",
    "lee": "write",
    "rita": "triage",
    "olly": "none",
    "admin-ada": "admin",
}


def issue(**overrides) -> IssueView:
    values = dict(
        repo="wellcome/platform",
        number=7,
        title="Search is down",
        body=FORM_BODY,
        url="https://github.com/wellcome/platform/issues/7",
        author="rita",
        labels=("incident:reported",),
        assignees=(),
        state="open",
        state_reason=None,
        created_at=T0,
    )
    values.update(overrides)
    return IssueView(**values)  # type: ignore[arg-type]


def context(
    record: Record | None = None, config: Config = CONFIG, minutes: int = 5, **issue_fields
) -> Context:
    return Context(
        config=config,
        issue=issue(**issue_fields),
        record=record or Record(),
        facts=FakeFacts(roles=dict(TEAM)),
        now=T0 + timedelta(minutes=minutes),
    )


_next_id = [1000]


def comment(
    author: str, body: str, *, minutes: int = 1, edited: bool = False, bot: bool = False
) -> CommentView:
    _next_id[0] += 1
    created = T0 + timedelta(minutes=minutes)
    return CommentView(
        id=_next_id[0],
        author=author,
        author_is_bot=bot,
        body=body,
        created_at=created,
        updated_at=created + timedelta(seconds=30) if edited else created,
        url=f"https://github.com/wellcome/platform/issues/7#issuecomment-{_next_id[0]}",
    )
