"""GitHub through PyGithub: read one incident issue, and make the writes the plan asks for.

Request budget (issue #7): one GET for the issue, one per 100 comments, one per write, and
cached permission / assignability look-ups. Writes that are not idempotent (a comment, an
issue) are only retried after checking that the first attempt did not land.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar
from urllib.parse import urlsplit

from github import Auth, Github, GithubException, GithubRetry, UnknownObjectException
from github.Issue import Issue
from github.IssueComment import IssueComment

from incident_tool import messages as msg
from incident_tool.decide import CommentView, IssueView
from incident_tool.record import STATUS_MARKER
from incident_tool.timeouts import http_timeout

DEFAULT_API_URL = "https://api.github.com"
PER_PAGE = 100
SINCE_MARGIN = timedelta(minutes=15)  # > a run's job timeout (10 min) + replication lag
ACTIONS_BOT_LOGIN = "github-actions[bot]"  # who GITHUB_TOKEN writes as
BULK_WRITE_INTERVAL = 1.0  # seconds between writes in bulk jobs (GitHub's secondary limits)
T = TypeVar("T")


@dataclass(frozen=True)
class IssueHappening:
    """One entry of an issue's events: labeled, closed, reopened, ..."""

    event: str
    label: str | None
    actor: str | None
    at: datetime


class GitHubError(Exception):
    """A GitHub failure the user must act on; the message says what, never the token."""


def describe(exc: Exception) -> str:
    if isinstance(exc, GithubException):
        message = exc.data.get("message") if isinstance(exc.data, dict) else None
        hint = {
            401: "the token is invalid or expired: set a valid GITHUB_TOKEN",
            403: "the token lacks permission (the workflow needs `issues: write`)",
            404: "not found (wrong repository, deleted issue, or the token cannot see it)",
        }.get(exc.status, "")
        return (
            f"GitHub answered {exc.status}"
            + (f": {message}" if message else "")
            + (f" - {hint}" if hint else "")
        )
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if reason is not None and "error responses" in str(reason):
        # urllib3 gave up after GithubRetry's retries: GitHub kept answering 5xx.
        return f"GitHub kept failing after retries ({reason})"
    return unreachable(exc)


def unreachable(exc: Exception) -> str:
    """Say which server could not be reached and why, in words, with what to check."""
    request = getattr(exc, "request", None)
    url = getattr(request, "url", None) or ""
    parts = urlsplit(url) if isinstance(url, str) else None
    netloc = parts.netloc.removesuffix(":443").removesuffix(":80") if parts else ""
    where = f" at {parts.scheme}://{netloc}" if parts and netloc else ""
    text = str(exc)
    if "timed out" in text.lower() or isinstance(exc, TimeoutError):
        why = f"no answer within {http_timeout()} s (the server is slow, paused or unreachable)"
    elif "Failed to resolve" in text or "Name or service not known" in text:
        why = "the host name is not known (no network, or a wrong GITHUB_API_URL)"
    elif "refused" in text.lower():
        why = "the connection was refused (nothing listens there)"
    elif "SSL" in text or "certificate" in text.lower():
        why = "the TLS handshake failed (certificate or proxy problem)"
    else:
        why = exc.__class__.__name__
    return f"cannot reach GitHub{where}: {why}; check GITHUB_API_URL and the network"


def client(token: str | None, base_url: str | None = None, *, bulk: bool = False) -> Github:
    """Build a PyGithub client with throttling and retries chosen on purpose.

    PyGithub waits 0.25 s between requests and 1 s between writes by default. GitHub's
    secondary-limit advice is about bulk writes, so only bulk jobs (`labels sync`, `sweep`)
    keep a pause between writes; a `handle` run makes a handful of writes and goes at once.
    GithubRetry retries 5xx and rate limits for idempotent methods; POST is left out because
    a retried POST can create a second comment or issue: those are retried by `Gateway`
    after checking the record.
    """
    # Timeouts: a hung server gives a clear message within about 2 x the timeout (one
    # retry of a read or connection that timed out), not after 4 x 20 s.
    retry = GithubRetry(
        total=3,
        connect=1,
        read=1,
        backoff_factor=0.2,
        allowed_methods=frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"}),
    )
    return Github(
        auth=Auth.Token(token) if token else None,
        base_url=(base_url or DEFAULT_API_URL).rstrip("/"),
        per_page=PER_PAGE,
        retry=retry,
        timeout=http_timeout(),
        seconds_between_requests=None,
        seconds_between_writes=BULK_WRITE_INTERVAL if bulk else None,
        lazy=True,
    )


def dry_run_text(body: str) -> str:
    """Return a comment's text for a dry run's output: indented, hidden markers left out."""
    import re

    shown = re.sub(r"<!--.*?-->", "", body, flags=re.DOTALL).strip("\n")
    return "\n".join(f"    | {line}" for line in shown.splitlines())


def _parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _next_link(header: str) -> str | None:
    for part in header.split(","):
        if 'rel="next"' in part:
            return part.split(";")[0].strip().strip("<>")
    return None


def _utc(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.now(timezone.utc)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class Gateway:
    """One repository on GitHub, as the tool uses it; `dry_run` prints writes instead."""

    def __init__(
        self,
        gh: Github,
        repo: str,
        *,
        dry_run: bool = False,
        log: Callable[[str], None] = print,
        bot_login: str | None = None,
    ) -> None:
        self.gh = gh
        self.repo_name = repo
        self.repo = gh.get_repo(repo)  # lazy: the client is lazy, so no request
        self.dry_run = dry_run
        self.log = log
        self.bot_login = bot_login or os.environ.get("INCIDENT_TOOL_BOT_LOGIN") or ACTIONS_BOT_LOGIN
        self._roles: dict[str, str] = {}
        self._events: dict[int, list[IssueHappening]] = {}
        self._assignable: dict[str, bool] = {}
        self.writes: list[str] = []

    # -- reading ---------------------------------------------------------------------

    def issue(self, number: int) -> Issue:
        try:
            # The client is lazy: complete() makes the one GET here, where errors are handled.
            return self.repo.get_issue(number).complete()
        except UnknownObjectException:
            raise GitHubError(
                f"issue #{number} not found in {self.repo_name} (deleted, or no access)"
            ) from None
        except (GithubException, OSError) as exc:
            raise GitHubError(describe(exc)) from None

    def view(self, issue: Issue) -> IssueView:
        return IssueView(
            repo=self.repo_name,
            number=issue.number,
            title=issue.title or "",
            body=issue.body or "",
            url=issue.html_url,
            author=issue.user.login if issue.user else "ghost",
            labels=tuple(label.name for label in issue.labels),
            assignees=tuple(a.login for a in issue.assignees),
            state=issue.state,
            state_reason=issue.state_reason,
            created_at=_utc(issue.created_at),
            closed_at=_utc(issue.closed_at) if issue.closed_at else None,
        )

    def comments(self, issue: Issue, *, since: datetime | None = None) -> list[IssueComment]:
        """List the issue's comments (only those updated since `since`, when given)."""
        try:
            if since is None:
                return list(issue.get_comments())
            return list(issue.get_comments(since=since))
        except (GithubException, OSError) as exc:
            raise GitHubError(describe(exc)) from None

    def first_comments(self, issue: Issue) -> list[IssueComment]:
        """Return the first page of comments (where the status comment is, in practice)."""
        try:
            return issue.get_comments().get_page(0)
        except (GithubException, OSError) as exc:
            raise GitHubError(describe(exc)) from None

    def incident_comments(self, issue: Issue) -> tuple[IssueComment | None, list[IssueComment]]:
        """Return the status comment and every comment a run may need to look at.

        A long incident has thousands of comments, but a run needs only the status comment
        (early: on the first page) and the comments since the last run. The record's own
        write time bounds those: anything newer than the last run was updated after it.
        The margin covers a run's own duration (its job times out at 10 minutes) and
        GitHub's replication lag.
        """
        first = self.first_comments(issue)
        status = self.status_comment(first)
        if len(first) < PER_PAGE:
            return status, first
        if status is None:
            everything = self.comments(issue)
            return self.status_comment(everything), everything
        since = _utc(status.updated_at) - SINCE_MARGIN
        recent = {c.id: c for c in self.comments(issue, since=since)}
        merged = {c.id: c for c in first} | recent
        return status, [merged[k] for k in sorted(merged)]

    def is_trusted_bot(self, comment: IssueComment) -> bool:
        """The status comment is only believed when the tool's own account wrote it.

        That is `github-actions[bot]` for the workflow's GITHUB_TOKEN, or the login in
        INCIDENT_TOOL_BOT_LOGIN for a GitHub App or personal token. Other bots (any app
        with issue access) cannot forge the record.
        """
        user = comment.user
        return user is not None and user.login == self.bot_login

    def comment_view(self, comment: IssueComment) -> CommentView:
        user = comment.user
        return CommentView(
            id=comment.id,
            author=user.login if user else "ghost",
            # Any bot's comment is never a command, trusted or not.
            author_is_bot=bool(user and (user.type == "Bot" or user.login == self.bot_login)),
            body=comment.body or "",
            created_at=_utc(comment.created_at),
            updated_at=_utc(comment.updated_at),
            url=comment.html_url,
        )

    def status_comment(self, comments: Sequence[IssueComment]) -> IssueComment | None:
        for comment in comments:
            if STATUS_MARKER in (comment.body or "") and self.is_trusted_bot(comment):
                return comment
        return None

    # -- facts -----------------------------------------------------------------------

    def role(self, login: str) -> str:
        key = login.lower()
        if key not in self._roles:
            try:
                self._roles[key] = self.repo.get_collaborator_role_name(login) or "none"
            except UnknownObjectException:
                self._roles[key] = "none"
            except (GithubException, OSError) as exc:
                self.log(f"warning: could not read {login}'s permission: {describe(exc)}")
                self._roles[key] = "none"
        return self._roles[key]

    def assignable(self, login: str) -> bool:
        key = login.lower()
        if key not in self._assignable:
            try:
                self._assignable[key] = self.repo.has_in_assignees(login)
            except (GithubException, OSError):
                self._assignable[key] = False
        return self._assignable[key]

    def issue_events(self, issue: Issue) -> list[IssueHappening]:
        """Return who labelled, closed or reopened the issue and when (read once per run,
        and only when a run must reconcile something it did not see happen)."""
        if issue.number not in self._events:
            try:
                # Read as plain JSON: PyGithub's lazy event objects would fetch each event
                # again to fill in fields an event of that kind does not have.
                events = self._all_pages(f"{issue.url}/events")
            except (GithubException, OSError) as exc:
                self.log(f"notice: could not read the issue's events: {describe(exc)}")
                events = []
            self._events[issue.number] = [
                IssueHappening(
                    str(item.get("event")),
                    (item.get("label") or {}).get("name"),
                    (item.get("actor") or {}).get("login"),
                    _utc(_parse_time(item.get("created_at"))),
                )
                for item in events
                if isinstance(item, dict)
            ]
        return self._events[issue.number]

    def _all_pages(self, url: str) -> list[Any]:
        """GET every page of a list, following GitHub's Link header."""
        items: list[Any] = []
        next_url: str | None = url
        params: dict[str, Any] | None = {"per_page": PER_PAGE}
        while next_url:
            headers, data = self.gh.requester.requestJsonAndCheck("GET", next_url, params)
            items += data if isinstance(data, list) else []
            next_url, params = _next_link(headers.get("link", "")), None
        return items

    def busy(self, logins: Sequence[str]) -> dict[str, bool]:
        """Read users' "busy" status (GraphQL only); failures count as not busy."""
        if not logins:
            return {}
        params = ", ".join(f"$l{i}: String!" for i in range(len(logins)))
        fields = " ".join(
            f"u{i}: user(login: $l{i}) {{ status {{ indicatesLimitedAvailability }} }}"
            for i in range(len(logins))
        )
        query = f"query({params}) {{ {fields} }}"
        variables = {f"l{i}": login for i, login in enumerate(logins)}
        try:
            _, data = self.gh.requester.requestJsonAndCheck(
                "POST",
                self.gh.requester.graphql_url,
                input={"query": query, "variables": variables},
            )
        except (GithubException, OSError) as exc:
            self.log(f"notice: could not read GitHub busy status: {describe(exc)}")
            return {}
        users = (data or {}).get("data") or {}
        out = {}
        for i, login in enumerate(logins):
            status = (users.get(f"u{i}") or {}).get("status") or {}
            out[login] = bool(status.get("indicatesLimitedAvailability"))
        return out

    # -- writing ---------------------------------------------------------------------

    def write(
        self,
        what: str,
        do: Callable[[], T],
        *,
        post: bool = False,
        landed: Callable[[], T | None] | None = None,
    ) -> T | None:
        """Make one write. PATCH/PUT/DELETE are retried by GithubRetry; a POST (`post`) is
        retried here, after `landed` (when given) shows the first attempt did not land."""
        self.writes.append(what)
        if self.dry_run:
            self.log(f"[dry-run] would {what}")
            return None
        delay = 0.5
        attempts = 4 if post else 1
        for attempt in range(1, attempts + 1):
            try:
                return do()
            except GithubException as exc:
                transient = exc.status >= 500 or exc.status == 429
                if not transient or attempt == attempts:
                    raise GitHubError(f"could not {what}: {describe(exc)}") from None
            except OSError as exc:
                if attempt == attempts:
                    raise GitHubError(f"could not {what}: {describe(exc)}") from None
            time.sleep(delay)
            delay *= 2
            if landed is not None:
                existing = landed()
                if existing is not None:
                    return existing
        return None

    def add_labels(self, issue: Issue, labels: Sequence[str]) -> None:
        if labels:
            self.write(
                f"add labels {', '.join(labels)} to #{issue.number}",
                # The documented body is {"labels": [...]}; PyGithub sends a bare array.
                lambda: self.gh.requester.requestJsonAndCheck(
                    "POST", f"{issue.url}/labels", input={"labels": list(labels)}
                ),
                post=True,
            )

    def remove_label(self, issue: Issue, label: str) -> None:
        def do() -> None:
            try:
                issue.remove_from_labels(label)
            except UnknownObjectException:
                pass  # already gone: that is what we wanted

        self.write(f"remove label {label} from #{issue.number}", do)

    def set_assignees(self, issue: Issue, logins: Sequence[str]) -> None:
        self.write(
            f"set assignees of #{issue.number} to {', '.join(logins)}",
            lambda: issue.edit(assignees=list(logins)),
        )

    def close(self, issue: Issue, reason: str) -> None:
        self.write(
            f"close #{issue.number} as {reason}",
            lambda: issue.edit(state="closed", state_reason=reason),
        )

    def reopen(self, issue: Issue) -> None:
        self.write(f"reopen #{issue.number}", lambda: issue.edit(state="open"))

    def react(self, issue: Issue, comment_id: int) -> None:
        def do() -> None:
            issue.get_comment(comment_id).create_reaction("+1")

        # GitHub answers an existing reaction with 200, so a retry cannot double it.
        self.write(f"react 👍 to comment {comment_id}", do, post=True)

    def post_comment(
        self, issue: Issue, key: str, body: str, known: Sequence[IssueComment]
    ) -> None:
        """Post a comment carrying marker `key`, unless one is already on the issue."""
        if any(key in msg.marker_keys(c.body) for c in known if self.is_trusted_bot(c)):
            return

        def landed() -> IssueComment | None:
            for comment in issue.get_comments():
                if key in msg.marker_keys(comment.body) and self.is_trusted_bot(comment):
                    return comment
            return None

        self.write(
            f"comment on #{issue.number} ({key})",
            lambda: issue.create_comment(body),
            post=True,
            landed=landed,
        )
        if self.dry_run:
            self.log(dry_run_text(body))

    def changed_since_read(self, issue: Issue, status: IssueComment) -> bool:
        """Say whether the status comment changed since this run read it (one GET)."""
        if self.dry_run:
            return False
        try:
            return issue.get_comment(status.id).body != status.body
        except (GithubException, OSError) as exc:
            raise GitHubError(f"could not re-read the status comment: {describe(exc)}") from None

    def save_status(self, issue: Issue, existing: IssueComment | None, body: str) -> None:
        if existing is not None:
            if existing.body != body:
                self.write(
                    f"update the status comment on #{issue.number}", lambda: existing.edit(body)
                )
                if self.dry_run:
                    self.log(dry_run_text(body))
            return

        def landed() -> IssueComment | None:
            return self.status_comment(list(issue.get_comments()))

        self.write(
            f"post the status comment on #{issue.number}",
            lambda: issue.create_comment(body),
            post=True,
            landed=landed,
        )
        if self.dry_run:
            self.log(dry_run_text(body))

    def create_issue(
        self,
        title: str,
        body: str,
        labels: Sequence[str],
        assignees: Sequence[str],
        landed: Callable[[], Any],
    ) -> Any:
        return self.write(
            f"open issue {title!r}",
            lambda: self.repo.create_issue(
                title=title, body=body, labels=list(labels), assignees=list(assignees)
            ),
            post=True,
            landed=landed,
        )
