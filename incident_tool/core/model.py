"""The decision core's vocabulary: what a handler sees (Context) and what it asks for (actions).

Handlers are pure in the sense that matters for testing: they read the issue, the record,
the config and a `Facts` object, and write only to `ctx.record` and `ctx.plan`. Nothing here
makes a request; tests pass a dict-backed Facts and check the plan.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from incident_tool.config import Config
from incident_tool.core.outbox import SlackDelivery, To
from incident_tool.core.record import Record

__all__ = ["SlackDelivery", "To"]  # the outbox's vocabulary, re-exported for decisions

ROLES = ("none", "read", "triage", "write", "maintain", "admin")
UNKNOWN = "someone"  # who made a change the run cannot attribute (its event is gone)


def role_at_least(role: str, minimum: str) -> bool:
    return ROLES.index(role if role in ROLES else "none") >= ROLES.index(minimum)


class Facts(Protocol):
    """What decisions may ask about people; production answers from GitHub and Slack."""

    def role(self, login: str) -> str:
        """Return the repository role: none, read, triage, write, maintain or admin."""

    def assignable(self, login: str) -> bool:
        """Say whether the user exists and can be assigned issues in this repository."""

    def unavailable(self, logins: Sequence[str]) -> dict[str, str]:
        """Return login -> reason for those who are away or busy (failed lookups: available)."""

    def happened(
        self, event: str, label_prefix: str = "", *, first: bool = False
    ) -> tuple[str | None, datetime | None]:
        """Return who did `event` (labeled, closed, reopened) and when: the last time, or
        the `first`; for labels, one whose name starts with `label_prefix`."""

    def is_tool(self, login: str) -> bool:
        """Say whether `login` is the account this tool writes as (its own changes)."""

    def reports_before(self, login: str, moment: datetime, number: int) -> int:
        """Count `login`'s incident reports opened in the 24 hours before `moment`
        (other than issue `number`)."""

    def slack_reports_before(self, user: str, moment: datetime, number: int) -> int:
        """Count the reports Slack account `user` made in the announce channel in the 24
        hours before `moment` (issues the tool opened for them, other than `number`)."""

    def on_slack(self, login: str) -> bool:
        """Say whether `login` can be reached on Slack (Slack on, and a user mapped)."""

    def login_of(self, slack_user: str) -> str | None:
        """Return the GitHub login `people` maps a Slack user to (None: unmapped, or two)."""

    def acknowledged_in_slack(self, login: str, where: Sequence[Sequence[str]]) -> str | None:
        """Return how `login` acknowledged in Slack (a ✅ on one of `where`), or None."""

    def ahead(self, questions: Sequence[Any]) -> None:
        """Ask for these answers together, before they are needed (core/facts.py)."""

    def changes(self, repositories: Sequence[str], since: datetime, until: datetime) -> Any:
        """Return what changed in `repositories` between `since` and `until`: a
        core.changes.ChangeList (docs/usage.md#what-changed-before-the-incident)."""

    def pull(self, repository: str, number: int) -> Any:
        """Return pull request `number` of `repository` (a core.changes.Found), or None."""

    def commit(self, repositories: Sequence[str], sha: str) -> Any:
        """Return commit `sha` of the first of `repositories` that has it (a Found), or None."""

    def revert_token(self) -> bool:
        """Say whether REVERT_TOKEN is given (revert pull requests can be opened)."""

    def repository_public(self) -> bool:
        """Say whether the repository is public (anyone can read its issues)."""

    def comment(self, comment_id: int) -> CommentView | None:
        """Return comment `comment_id` of this issue, None when it has none such."""

    def sensitive_repository_refused(self, repository: str) -> str | None:
        """Say why a sensitive report's text cannot be moved to `repository`; None: it can."""


@dataclass(frozen=True)
class IssueView:
    """The incident issue as the tool last read it."""

    repo: str
    number: int
    title: str
    body: str
    url: str
    author: str
    labels: tuple[str, ...]
    assignees: tuple[str, ...]
    state: str  # open / closed
    state_reason: str | None
    created_at: datetime
    closed_at: datetime | None = None
    # What follow-ups need (GitHub's API wants `id` to attach a sub-issue), read as GitHub
    # sent them; a list may leave `parent_issue_url` out (then: not attached).
    id: int = 0
    updated_at: datetime | None = None
    parent_issue_url: str | None = None
    # What a sweep's listing says of the author and the conversation, so that it can leave
    # an outsider's quiet report unread (`trust.quiet_reports`); None when not read.
    author_association: str | None = None
    comments: int | None = None
    # Whether the conversation is locked to collaborators, and GitHub's reason (off-topic,
    # too heated, resolved, spam, or None): `/lock` (docs/usage.md#commands).
    locked: bool = False
    lock_reason: str | None = None


@dataclass(frozen=True)
class CommentView:
    id: int
    author: str
    author_is_bot: bool
    body: str
    created_at: datetime
    updated_at: datetime
    url: str
    ref: str | None = None  # where it was said, when not on the issue (a Slack permalink)
    node_id: str = ""  # GitHub's GraphQL id: what `/hide` minimises

    @property
    def edited(self) -> bool:
        return self.updated_at != self.created_at


# Actions: what the effects stage must do on GitHub. Slack work goes to the record's outbox.
@dataclass(frozen=True)
class Comment:
    key: str  # marker key: the same cause never gives two comments
    body: str
    # Remember the key in the record (a comment caused by another comment need not be:
    # that comment is never handled twice, and the record must stay small).
    remember: bool = True


@dataclass(frozen=True)
class React:
    comment_id: int


@dataclass(frozen=True)
class Assign:
    logins: tuple[str, ...]  # the complete new set of assignees


@dataclass(frozen=True)
class Labels:
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(frozen=True)
class Close:
    reason: str  # completed / not_planned


@dataclass(frozen=True)
class Reopen:
    pass


@dataclass(frozen=True)
class CreateRetrospective:
    pass


@dataclass(frozen=True)
class RevertPullRequest:
    """Open a pull request reverting `repo`#`number` (never merged): `/revert`
    (docs/usage.md#what-changed-before-the-incident). `key`: its reply's marker."""

    key: str
    repo: str
    number: int
    node_id: str
    body: str


@dataclass(frozen=True)
class HideBody:
    """Replace the issue's body with `stub`, and its title with `title` when given: a
    sensitive report in a public repository (docs/security.md#a-public-repository)."""

    stub: str
    title: str | None = None


@dataclass(frozen=True)
class Lock:
    """Lock the issue's conversation to collaborators: `reason` is GitHub's `lock_reason`
    (off-topic, too heated, resolved, spam) or None (`/lock`; docs/security.md)."""

    reason: str | None = None


@dataclass(frozen=True)
class Unlock:
    """Open the issue's conversation again (`/unlock`)."""


@dataclass(frozen=True)
class HideComment:
    """Minimise comment `comment_id` of the issue (GraphQL node `node_id`) as
    `classifier`, one of GitHub's ReportedContentClassifiers (`/hide`)."""

    comment_id: int
    node_id: str
    classifier: str


@dataclass(frozen=True)
class MoveBody:
    """Open an issue holding a sensitive report's text in the private `repository`, unless
    one carrying `marker` is there already (docs/security.md#a-public-repository); planned
    before the HideBody that replaces the text, in the same lane."""

    repository: str
    title: str
    body: str
    marker: str
    since: datetime  # the report's opening: the private issue is newer


Action = (
    Comment
    | React
    | Assign
    | Labels
    | Close
    | Reopen
    | CreateRetrospective
    | RevertPullRequest
    | HideBody
    | Lock
    | Unlock
    | HideComment
    | MoveBody
)


class Answer(NamedTuple):
    """What a live request came to, said to the person alone."""

    done: bool
    text: str


@dataclass
class Context:
    """One run's view of one incident; handlers change `record` and append to `plan`."""

    config: Config
    issue: IssueView
    record: Record
    facts: Facts
    now: datetime
    plan: list[Action] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    slack_enabled: bool = False
    # What the run says back to the person who acted live in Slack (an ephemeral message;
    # docs/usage.md#live-slack): not kept, so never in the outbox.
    answers: list[Answer] = field(default_factory=list)

    @contextmanager
    def at(self, moment: datetime | None) -> Iterator[None]:
        """Decide as of `moment` (when a comment was posted, an issue closed)."""
        saved = self.now
        self.now = moment or saved
        try:
            yield
        finally:
            self.now = saved

    def do(self, action: Action) -> None:
        """Plan an action. Comments and reactions are planned once (they are keyed);
        assignments and label changes keep their order, so the last one wins."""
        if isinstance(action, (Assign, Labels)) or action not in self.plan:
            self.plan.append(action)

    def slack(
        self,
        key: str,
        to: To,
        text: str,
        *,
        login: str | None = None,
        invite: Sequence[str] = (),
        report: bool = False,
        status: bool = False,
        ack_dm: str | None = None,
        thread_ts: str | None = None,
        react: str | None = None,
        unreact: str | None = None,
        remember: bool = True,
        buttons: Sequence[str] = (),
    ) -> None:
        """Queue a Slack delivery; `key` makes it happen at most once per incident.

        `login` is the recipient of a DM (`to=To.DM`). `remember=False` is for deliveries
        caused by a comment: the comment is handled once, so its key need not stay in the
        record after delivery.
        """
        if key in self.record.sent or any(m.key == key for m in self.record.outbox):
            return
        item = SlackDelivery(
            key,
            to,
            text,
            login=login,
            invite=tuple(invite),
            report=report,
            status=status,
            ack_dm=ack_dm,
            thread_ts=thread_ts,
            react=react,
            unreact=unreact,
            remember=remember,
            # Buttons only where a live connection carries them out (slack.live).
            buttons=tuple(buttons) if self.live else (),
        )
        self.record.outbox.append(item)
        trim_outbox(self.record.outbox)

    @property
    def live(self) -> bool:
        """A live Slack connection answers buttons and modals (docs/usage.md#live-slack)."""
        return self.config.slack.live != "off"

    def slack_dms(
        self, key: str, text: str, *, exclude: Sequence[str] = (), buttons: Sequence[str] = ()
    ) -> None:
        """Queue a Slack DM to each delivery manager (keys `<key>:<login>`), but those in
        `exclude` (nobody is paged about their own report)."""
        skip = {x.lower() for x in exclude}
        for login in self.config.delivery_managers:
            if login.lower() not in skip:
                self.slack(f"{key}:{login}", To.DM, text, login=login, buttons=buttons)

    def is_delivery_manager(self, login: str) -> bool:
        if self.config.delivery_managers:
            return self.config.is_delivery_manager(login)
        # With none configured, maintainers stand in so that nobody is locked out.
        return role_at_least(self.facts.role(login), "maintain")


MAX_OUTBOX = 30  # Slack deliveries waiting while Slack is down; the record must stay small


def trim_outbox(outbox: list[SlackDelivery]) -> None:
    """When Slack has been down for long, drop the oldest mirrored comments, then other
    deliveries caused by comments. Transitions (invitations, announcements, the report)
    are never dropped: there are few per incident."""
    while len(outbox) > MAX_OUTBOX:
        mirrors = [m for m in outbox if m.key.startswith("mirror:")]
        droppable = mirrors or [m for m in outbox if not m.remember]
        if not droppable:
            return
        outbox.remove(droppable[0])
