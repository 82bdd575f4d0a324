"""GitHub through PyGithub: read one incident issue, and make the writes the plan asks for.

This is the one module that uses PyGithub (tests/files/test_layout.py keeps it so): every
request goes through `Gateway`, and every failure leaves it as a `GitHubError` saying what
could not be done. It hands out plain data, never a PyGithub object: reads return this
package's frozen values (`IssueView`, `CommentView`, `LabelView`, `IssueHappening`, …) built
from the JSON GitHub sent, and writes take an issue's number and a comment's id
(tests/effects/test_github_port.py walks what a whole incident gets back).

Request budget (docs/measured.md#measured): one GET for the issue, one per 100 comments, one per
write, and cached permission / assignability look-ups. Writes that are not idempotent (a comment, an
issue) are only retried after checking that the first attempt did not land.
"""

from __future__ import annotations

import copy
import math
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, cast
from urllib.parse import quote, urlsplit

from github import Auth, Github, GithubException, GithubRetry, UnknownObjectException
from github.GithubException import RateLimitExceededExceedsMaxWait
from github.Issue import Issue
from github.IssueComment import IssueComment
from github.Label import Label
from github.Requester import HTTPRequestsConnectionClass, HTTPSRequestsConnectionClass

if TYPE_CHECKING:
    from github.NamedUser import NamedUser

from incident_tool.core import wording
from incident_tool.core.changes import Change, Found
from incident_tool.core.model import CommentView, IssueView
from incident_tool.core.record import STATUS_MARKER, Record, extract_proven, parse_time, seal
from incident_tool.effects.timeouts import http_timeout
from incident_tool.errors import IncidentToolError

DEFAULT_API_URL = "https://api.github.com"
PER_PAGE = 100
SINCE_MARGIN = timedelta(minutes=15)  # > a run's job timeout (10 min) + replication lag
ACTIONS_BOT_LOGIN = "github-actions[bot]"  # who GITHUB_TOKEN writes as
BULK_WRITE_INTERVAL = 1.0  # seconds per write, on average, once writes come in bulk
BULK_WRITES = 20  # writes made at once before the pace applies: 20 + 60 a minute is GitHub's 80
T = TypeVar("T")


@dataclass(frozen=True)
class IssueHappening:
    """One entry of an issue's events: labeled, closed, reopened, ..."""

    event: str
    label: str | None
    actor: str | None
    at: datetime


class RecentIssue(NamedTuple):
    """An issue from the plain JSON of the issues list (no further request)."""

    number: int
    opened: datetime
    labels: list[str]
    body: str


class GitHubError(IncidentToolError):
    """A GitHub failure the user must act on; the message says what, never the token."""


def describe(exc: Exception) -> str:
    if isinstance(exc, GithubException):
        limit = rate_limit_of(exc)
        if limit is not None:
            return limit.describe()
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
    if reason is not None and any(f"too many {n} error" in str(reason) for n in (403, 429)):
        return "GitHub rate limit: it kept refusing after the waits it asked for; try again later"
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


BUILT_IN_ROLES = ("read", "triage", "write", "maintain", "admin")
BASE_PERMISSIONS = ("none", "read", "write", "admin")


def role_from_permission(data: Any) -> str:
    """Read GET .../collaborators/{u}/permission: the built-in role, or the base one.

    `role_name` is the assigned role: one of the five built-in roles, or an organisation's
    custom role ("Incident Responder"). `permission` is the base role of either, mapped
    to admin/write/read/none (maintain -> write, triage -> read). So a built-in
    `role_name` is the precise answer; a custom one counts as its base `permission`;
    anything else as no access.
    """
    if not isinstance(data, dict):
        return "none"
    name = str(data.get("role_name") or "").lower()
    if name in BUILT_IN_ROLES:
        return name
    base = str(data.get("permission") or "").lower()
    return base if base in BASE_PERMISSIONS else "none"


MAX_RATE_WAIT = 60.0  # seconds a run may wait, in all, for GitHub's rate limits
SECONDARY_WAIT = 60.0  # GitHub: with neither header, wait at least a minute


def _header(headers: Any, name: str) -> str | None:
    """Read a response header whatever its case (PyGithub lowercases, urllib3 does not)."""
    if not headers:
        return None
    value = headers.get(name) if hasattr(headers, "get") else None
    if value is None:
        lowered = name.lower()
        for key, item in dict(headers).items():
            if str(key).lower() == lowered:
                return str(item)
        return None
    return str(value)


@dataclass(frozen=True)
class RateLimit:
    """GitHub said "slow down": which limit, and until when."""

    kind: str  # primary (the hourly budget is used up) or secondary (too much at once)
    until: datetime
    limit: str | None = None  # X-RateLimit-Limit, for the message

    @property
    def wait(self) -> float:
        # Whole seconds, rounded up: GitHub's headers have whole seconds.
        return float(max(0, math.ceil((self.until - datetime.now(timezone.utc)).total_seconds())))

    def describe(self) -> str:
        what = (
            f"primary: the token's {self.limit + ' ' if self.limit else ''}requests an hour are "
            "used up"
            if self.kind == "primary"
            else "secondary: too many requests or writes in a short time"
        )
        # Rounded up to the minute: "after 19:42" must not be before GitHub's time.
        at = (self.until + timedelta(seconds=59)).astimezone(timezone.utc).strftime("%H:%M")
        return f"GitHub rate limit ({what}): try again after {at} UTC"


def rate_limit(status: int, headers: Any, message: str | None) -> RateLimit | None:
    """Tell a rate limit from a permission problem in a 403 or 429 (None: not a limit).

    GitHub's "Rate limits for the REST API": exceeding the primary limit answers 403 or
    429 with `x-ratelimit-remaining: 0`, to wait until `x-ratelimit-reset` (epoch
    seconds); a secondary limit answers 403 or 429 "You have exceeded a secondary rate
    limit", with `retry-after` (seconds) when GitHub says how long, else wait at least a
    minute. A 403 with none of these is a permission problem.
    """
    if status not in (403, 429):
        return None
    now = datetime.now(timezone.utc)
    text = (message or "").lower()
    after = _header(headers, "Retry-After")
    remaining = _header(headers, "X-RateLimit-Remaining")
    reset = _header(headers, "X-RateLimit-Reset")
    limit = _header(headers, "X-RateLimit-Limit")
    secondary = "secondary rate limit" in text or (
        bool(text) and text.endswith("please wait a few minutes before you try again.")
    )
    if after is not None and after.strip().isdigit():
        kind = "primary" if remaining == "0" and not secondary else "secondary"
        return RateLimit(kind, now + timedelta(seconds=int(after)), limit)
    if remaining == "0" and reset is not None and reset.strip().isdigit():
        until = datetime.fromtimestamp(int(reset) + 1, timezone.utc)  # +1: within that second
        return RateLimit("secondary" if secondary else "primary", until, limit)
    if secondary or "rate limit" in text or status == 429:
        return RateLimit("secondary", now + timedelta(seconds=SECONDARY_WAIT), limit)
    return None


def rate_limit_of(exc: GithubException) -> RateLimit | None:
    """The rate limit a PyGithub exception reports, if it is one."""
    if isinstance(exc, RateLimitExceededExceedsMaxWait) and exc.wait is not None:
        found = rate_limit(exc.status, exc.headers, _message(exc))
        until = datetime.now(timezone.utc) + timedelta(seconds=exc.wait)
        return RateLimit(
            found.kind if found else "secondary", until, found.limit if found else None
        )
    return rate_limit(exc.status, exc.headers, _message(exc))


def _message(exc: GithubException) -> str | None:
    data = exc.data
    if isinstance(data, dict):
        return str(data.get("message") or "")
    return str(data) if data else None


class RateWaits:
    """The time one run may spend waiting for GitHub's rate limits (MAX_RATE_WAIT in all).

    Shared by every request of a client: GithubRetry's waits for idempotent requests and
    `Gateway.write`'s for POSTs. A wait beyond what is left is not made: the request fails
    with "GitHub rate limit ...: try again after HH:MM UTC".
    """

    def __init__(self, budget: float = MAX_RATE_WAIT) -> None:
        self.left = budget
        self.waited: list[float] = []
        self.log: Callable[[str], None] = lambda text: None
        self.sleep: Callable[[float], None] = time.sleep

    def can_wait(self, seconds: float) -> bool:
        return seconds <= self.left

    def wait(self, seconds: float, why: str = "GitHub rate limit") -> None:
        seconds = max(0.0, seconds)
        self.left -= seconds
        self.waited.append(seconds)
        if seconds >= 1:
            self.log(f"notice: {why}: waiting {seconds:.0f} s as GitHub asks")
        self.sleep(seconds)


class BoundedRetry(GithubRetry):
    """GithubRetry whose rate-limit waits come out of one `RateWaits` per run.

    GithubRetry already retries 403s that are rate limits (a `Retry-After` header, or a
    primary/secondary message), waiting until `X-RateLimit-Reset` or `secondary_rate_wait`
    and refusing waits above `max_rate_limit_wait`; but it sleeps whatever `Retry-After`
    says. Here every wait is bounded by what the run has left.
    """

    def __init__(self, waits: RateWaits | None = None, **kwargs: Any) -> None:
        self.waits = waits or RateWaits()
        kwargs.pop("max_rate_limit_wait", None)
        super().__init__(**kwargs)

    @property
    def max_rate_limit_wait(self) -> float:
        return self.waits.left

    @max_rate_limit_wait.setter
    def max_rate_limit_wait(self, value: float | None) -> None:
        pass  # always what the run has left

    def new(self, **kw: Any) -> Any:
        kw["waits"] = self.waits
        return super().new(**kw)

    def increment(
        self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None
    ):
        if response is not None and response.status in (403, 429):
            after = _header(response.headers, "Retry-After")
            if (
                after is not None
                and after.strip().isdigit()
                and not self.waits.can_wait(int(after))
            ):
                raise RateLimitExceededExceedsMaxWait(
                    response.status,
                    {"message": "rate limited (Retry-After)"},
                    dict(response.headers),
                    wait=float(after),
                )
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def sleep_for_retry(self, response: Any) -> bool:
        after = self.get_retry_after(response)
        if after:
            self.waits.wait(after, "GitHub rate limit (Retry-After)")
            return True
        return False

    def _sleep_backoff(self) -> None:
        backoff = self.get_backoff_time()
        if backoff <= 0:
            return
        if "get_backoff_time" in self.__dict__:
            # GithubRetry set this retry's backoff for a rate limit (until the reset, or
            # secondary_rate_wait): that wait comes out of the run's budget.
            self.waits.wait(backoff)
        else:
            time.sleep(backoff)


def _refused_assignees(exc: GithubException) -> list[str] | None:
    """The logins of GitHub's 422 for assignees (errors [{field: assignees, code: invalid,
    value: …}]); None when the exception is something else.

    `value` is as GitHub gives it: a login on PATCH /issues/{n}, an array of logins on
    POST /issues (real captures: "value": ["nobody"]); the `validation-error` schema
    allows string | null | integer | array of strings. An empty list: none named.
    """
    if exc.status != 422 or not isinstance(exc.data, dict):
        return None
    errors = [
        e
        for e in exc.data.get("errors") or []
        if isinstance(e, dict) and e.get("field") in ("assignees", "assignee")
    ]
    if not errors:
        return None
    return [login for e in errors for login in _logins_in(e.get("value"))]


def _logins_in(value: object) -> list[str]:
    """The logins an `errors[].value` names: one string, or an array of them."""
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list):
        return [x for x in value if isinstance(x, str) and x]
    return []


class WritePace:
    """Writes paced at one a second on average, in bursts of up to BULK_WRITES (one per
    client: one per run, or one per live connection).

    GitHub's REST "Best practices for using the REST API" (Avoid secondary rate limits):
    "If you are making a large number of POST, PATCH, PUT, or DELETE requests for a single
    user or client ID, wait at least one second between each request." A token bucket: it
    holds BULK_WRITES writes and refills one every BULK_WRITE_INTERVAL seconds. A `handle`
    run or an interaction writes a handful and never waits (PyGithub's default waited 1 s
    before every write); a sweep or `labels sync` that writes more waits for each further
    write, one at a time; a live connection answering people all day stays at most at one
    write a second on average, under GitHub's 80 content-creating requests a minute. The
    rule follows the writes made, never the server's address.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.interval = write_interval()  # None: BULK_WRITE_INTERVAL (tests change it)
        self.sleep: Callable[[float], None] = time.sleep
        self.clock: Callable[[], float] = time.monotonic
        self._tokens = float(BULK_WRITES)
        self._at: float | None = None
        self.paused: list[float] = []

    def before_write(self) -> None:
        """Wait until the bucket holds a write; then take it."""
        with self._lock:  # held while waiting: paced writes go one at a time, as GitHub asks
            now = self.clock()
            interval = BULK_WRITE_INTERVAL if self.interval is None else self.interval
            if self._at is not None and interval > 0:
                refilled = (now - self._at) / interval
                self._tokens = min(float(BULK_WRITES), self._tokens + refilled)
            self._at = now
            if self._tokens < 1 and interval > 0:
                wait = (1 - self._tokens) * interval
                self.paused.append(wait)
                self.sleep(wait)
                self._tokens, self._at = 1.0, self.clock()
            self._tokens = max(0.0, self._tokens - 1)


def write_interval() -> float | None:
    """INCIDENT_TOOL_WRITE_PACE: the seconds per write once writes come in bulk, or None
    for GitHub's advice (BULK_WRITE_INTERVAL). 0 turns the pace off: for a server that asks
    for none (the sandbox the demo runs against, a GitHub Enterprise Server with its own
    limits), never for github.com."""
    raw = os.environ.get("INCIDENT_TOOL_WRITE_PACE", "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 60:
        from incident_tool.errors import UsageError

        raise UsageError(
            f"INCIDENT_TOOL_WRITE_PACE must be seconds from 0 to 60, not {raw[:20]!r} (unset it"
            f" for GitHub's advice, {BULK_WRITE_INTERVAL:g} s per write past a burst)"
        )
    return value


_WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})


class _ThreadsOwn:
    """A field of a connection object that each thread has its own copy of."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        return getattr(obj._mine, self.name)

    def __set__(self, obj: Any, value: Any) -> None:
        setattr(obj._mine, self.name, value)


class _OneRequestPerThread:
    """Mixed into PyGithub's connection class: safe to share between threads, pacing writes.

    PyGithub keeps one connection per client and hands it a request in two steps (`request`
    stores the verb, URL, body and headers on the object; `getresponse` sends them): two
    threads would send each other's requests. Here those fields are each thread's own; the
    HTTP session under them (requests over urllib3's pool) is shared.
    """

    pace: WritePace  # the client's, set on the class made for it in client()
    verb = _ThreadsOwn()
    url = _ThreadsOwn()
    input = _ThreadsOwn()
    headers = _ThreadsOwn()
    stream = _ThreadsOwn()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._mine = threading.local()
        super().__init__(*args, **kwargs)

    def getresponse(self) -> Any:
        if str(self.verb).upper() in _WRITES:
            self.pace.before_write()
        return super().getresponse()  # type: ignore[misc] # PyGithub's class, mixed in after


def client(
    token: str | Auth.AppInstallationAuth | None,
    base_url: str | None = None,
    *,
    bulk: bool = False,
) -> Github:
    """Build a PyGithub client with throttling and retries chosen on purpose.

    `token` is a token, or a GitHub App installation's credentials (`app_installation`),
    with which PyGithub mints the installation token and mints a new one before it expires.

    PyGithub waits 0.25 s between requests and 1 s between writes by default. GitHub's
    secondary-limit advice is about bulk writes, so a client pauses between writes only
    once its run writes in bulk (`WritePace`), whatever the job (`bulk` is kept for its
    callers: `labels sync` and `sweep` are the jobs that may). Its requests may be made
    from several threads at once (effects/parallel.py).
    GithubRetry retries 5xx and rate limits for idempotent methods; POST is left out because
    a retried POST can create a second comment or issue: those are retried by `Gateway`
    after checking the record.
    """
    # Timeouts: a hung server gives a clear message within about 2 x the timeout (one
    # retry of a read or connection that timed out), not after 4 x 20 s.
    waits = RateWaits()
    retry = BoundedRetry(
        waits,
        total=3,
        connect=1,
        read=1,
        backoff_factor=0.2,
        allowed_methods=frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"}),
    )
    auth = token if isinstance(token, Auth.Auth) else Auth.Token(token) if token else None
    gh = Github(
        auth=auth,
        base_url=(base_url or DEFAULT_API_URL).rstrip("/"),
        per_page=PER_PAGE,
        retry=retry,
        timeout=http_timeout(),
        seconds_between_requests=None,
        seconds_between_writes=None,  # WritePace instead
        lazy=True,
        pool_size=10,  # urllib3's connections kept: above parallel.MAX_AT_ONCE
    )
    pace = WritePace()
    https = urlsplit(base_url or DEFAULT_API_URL).scheme == "https"
    base = HTTPSRequestsConnectionClass if https else HTTPRequestsConnectionClass
    connection = type("SharedConnection", (_OneRequestPerThread, base), {"pace": pace})
    # PyGithub has no public hook for one client's connection class (injectConnectionClasses
    # swaps it for every client in the process); a test checks that this one is used.
    gh.requester._Requester__connectionClass = connection  # type: ignore[attr-defined]
    gh.rate_waits = waits  # type: ignore[attr-defined] # Gateway.write waits from it too
    gh.write_pace = pace  # type: ignore[attr-defined]
    gh.token_kind = token_kind(token)  # type: ignore[attr-defined] # never the token itself
    return gh


class _RefreshedInstallationAuth(Auth.AppInstallationAuth):
    """PyGithub's installation auth, minting one token at a time.

    PyGithub reads `token` for every request and mints a new one (POST
    /app/installations/{id}/access_tokens) when the one it holds has less than 20 s left
    (installation tokens last an hour). Its check is not locked: requests made at once
    from several threads (effects/parallel.py) would each mint one at the hour.
    """

    def __init__(self, app: Auth.AppAuth, installation_id: int, repo: str) -> None:
        super().__init__(app, installation_id)
        self._minting = threading.Lock()
        self._repo = repo

    @property
    def token(self) -> str:
        with self._minting:
            try:
                return super().token
            except GithubException as exc:
                # Not a GithubException: the request it was for did not fail, the App did
                # (uninstalled, its key revoked), and callers would word a 404 as the issue's.
                app_id = str(self.app_id)
                step = f"make a new token for App {app_id}'s installation {self.installation_id}"
                raise GitHubError(_app_refused(exc, app_id, self._repo, step, True)) from None


def app_installation(
    app_id: str,
    private_key: str,
    installation_id: int | None,
    repo: str,
    base_url: str | None = None,
) -> Auth.AppInstallationAuth:
    """A GitHub App installation's credentials for `client()`, its first token minted.

    Without `installation_id`, the App's installation on `repo` is looked up (GET
    /repos/{owner}/{repo}/installation, with the App's JWT). The first token is minted
    here so that a bad key, a wrong App id or an App not installed is said at start, in
    one line; the client then keeps this token and mints the next one itself. Messages
    never hold the key or a token (docs/adopting.md#always-on-slacklive-external).
    """
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from github import GithubIntegration

    if not app_id.isdigit():
        raise GitHubError("GITHUB_APP_ID is not a number: give the App ID of the App's settings")
    try:
        key = load_pem_private_key(private_key.strip().encode(), password=None)
    except (ValueError, TypeError, UnicodeError):
        key = None
    if not isinstance(key, RSAPrivateKey):  # GitHub's App keys are RSA (JWTs are RS256)
        raise GitHubError(
            "GITHUB_APP_PRIVATE_KEY is not a PEM RSA private key: give the .pem file the "
            "App's settings generated (its text, or its path in GITHUB_APP_PRIVATE_KEY_FILE)"
        )
    app = Auth.AppAuth(app_id, private_key.strip())
    url = (base_url or DEFAULT_API_URL).rstrip("/")
    owner, name = repo.split("/", 1)
    step, given = f"look up App {app_id}'s installation on {repo}", installation_id is not None
    try:
        if installation_id is None:
            integration = GithubIntegration(auth=app, base_url=url, timeout=http_timeout())
            installation_id = integration.get_repo_installation(owner, name).id
        step = f"make a token for App {app_id}'s installation {installation_id}"
        auth = _RefreshedInstallationAuth(app, installation_id, repo)
        Github(auth=auth, base_url=url, timeout=http_timeout(), retry=None)
        _ = auth.token  # the first token: the client keeps it
    except GithubException as exc:  # the look-up's (the first token's are worded by auth)
        raise GitHubError(_app_refused(exc, app_id, repo, step, given)) from None
    except OSError as exc:
        raise GitHubError(unreachable(exc)) from None
    return auth


def _app_refused(exc: GithubException, app_id: str, repo: str, step: str, given: bool) -> str:
    """Say in words why GitHub refused the App (its JWT, or its installation)."""
    message = exc.data.get("message") if isinstance(exc.data, dict) else None
    said = f"GitHub answered {exc.status}" + (f" ({message})" if message else "")
    if exc.status == 401:
        return (
            f"could not {step}: {said}: GITHUB_APP_ID {app_id} and GITHUB_APP_PRIVATE_KEY "
            "do not make a valid App login: check the App ID and that the key is one of "
            "that App's (and this machine's clock: the login is valid for minutes)"
        )
    if exc.status == 404 and given:
        return (
            f"could not {step}: {said}: App {app_id} has no such installation (uninstalled, "
            "or a wrong GITHUB_APP_INSTALLATION_ID: unset it to look up the one on the "
            "repository)"
        )
    if exc.status == 404:
        return (
            f"could not {step}: {said}: App {app_id} is not installed on {repo}: install "
            "it there (the App's settings, Install App, Only select repositories)"
        )
    return f"could not {step}: {describe(exc)}"


def token_kind(token: str | Auth.AppInstallationAuth | None) -> str:
    """Say what kind of token this is from its prefix (GitHub's documented prefixes).

    `ghs_` is an installation token: the workflow's GITHUB_TOKEN, or a GitHub App's.
    `ghp_` (classic), `github_pat_` (fine-grained), `gho_` (OAuth) and `ghu_` (an app
    acting for a user) act as a person. Anything else (older tokens, none) is unknown.
    The App's own credentials are "app": its tokens are `ghs_` but never the workflow's.
    """
    if isinstance(token, Auth.AppInstallationAuth):
        return "app"
    if not token:
        return "unknown"
    if token.startswith("ghs_"):
        return "installation"
    if token.startswith(("ghp_", "github_pat_", "gho_", "ghu_")):
        return "user"
    return "unknown"


def rate_waits(gh: Github) -> RateWaits:
    """The run's rate-limit wait budget of a client made by `client()` (else a new one)."""
    waits = getattr(gh, "rate_waits", None)
    if not isinstance(waits, RateWaits):
        waits = RateWaits()
        gh.rate_waits = waits  # type: ignore[attr-defined]
    return waits


def dry_run_text(body: str) -> str:
    """Return a comment's text for a dry run's output: indented, hidden markers left out."""
    import re

    shown = re.sub(r"<!--.*?-->", "", body, flags=re.DOTALL).strip("\n")
    return "\n".join(f"    | {line}" for line in shown.splitlines())


def _next_link(header: str) -> str | None:
    for part in header.split(","):
        if 'rel="next"' in part:
            return part.split(";")[0].strip().strip("<>")
    return None


def _utc(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.now(timezone.utc)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class LabelView:
    """A repository label as GitHub lists it."""

    name: str
    color: str
    description: str


def _raw(obj: Any) -> dict[str, Any]:
    """The JSON GitHub sent for a PyGithub object, as it sent it: reading it makes no
    request (PyGithub's `raw_data` and attributes may fetch the rest of a listed object)."""
    data = getattr(obj, "_rawData", None)
    return data if isinstance(data, dict) else {}


# A status comment's revisions (GraphQL `userContentEdits`, each `diff` the whole body after
# that edit: tests/reference/github-graphql-edits.graphql), the newest `REVISIONS`: every run
# that changes something edits the comment, so the record a forgery replaced is among the last.
REVISIONS = 10
EDITS_QUERY = (
    "query($id: ID!, $last: Int!) { node(id: $id) { ... on IssueComment { "
    "userContentEdits(last: $last) { nodes { diff editedAt editor { login } } } } } }"
)


def _login(user: Any) -> str | None:
    return str(user["login"]) if isinstance(user, dict) and user.get("login") else None


def _issue_view(repo: str, data: dict[str, Any]) -> IssueView:
    """An issue from its JSON (GET, list or POST answer)."""
    closed = parse_time(data.get("closed_at")) if data.get("closed_at") else None
    updated = parse_time(data.get("updated_at")) if data.get("updated_at") else None
    return IssueView(
        repo=repo,
        number=int(data.get("number") or 0),
        title=str(data.get("title") or ""),
        body=str(data.get("body") or ""),
        url=str(data.get("html_url") or ""),
        author=_login(data.get("user")) or "ghost",
        labels=tuple(
            str(x.get("name", "")) if isinstance(x, dict) else str(x)
            for x in data.get("labels") or []
        ),
        assignees=tuple(x for x in map(_login, data.get("assignees") or []) if x),
        state=str(data.get("state") or "open"),
        state_reason=data.get("state_reason") or None,
        created_at=_utc(parse_time(data.get("created_at"))),
        closed_at=_utc(closed) if closed else None,
        id=int(data.get("id") or 0),
        updated_at=_utc(updated) if updated else None,
        parent_issue_url=data.get("parent_issue_url") or None,
        author_association=data.get("author_association") or None,
        comments=data["comments"] if isinstance(data.get("comments"), int) else None,
        locked=bool(data.get("locked")),
        lock_reason=data.get("active_lock_reason") or None,
    )


def _comment_view(data: dict[str, Any], bot_login: str) -> CommentView:
    """A comment from its JSON; `bot_login`: who the tool writes as."""
    user = data.get("user") if isinstance(data.get("user"), dict) else None
    login = _login(user)
    body = str(data.get("body") or "")
    return CommentView(
        id=int(data.get("id") or 0),
        author=login or "ghost",
        # Any bot's comment is never a command, trusted or not; nor is one the tool
        # posted with a person's token (it carries a marker; that person's own
        # comments stay commands).
        author_is_bot=bool(
            user
            and (user.get("type") == "Bot" or (login == bot_login and wording.marker_keys(body)))
        ),
        body=body,
        created_at=_utc(parse_time(data.get("created_at"))),
        updated_at=_utc(parse_time(data.get("updated_at"))),
        url=str(data.get("html_url") or ""),
        node_id=str(data.get("node_id") or ""),
    )


def _label_view(data: dict[str, Any]) -> LabelView:
    return LabelView(
        str(data.get("name") or ""),
        str(data.get("color") or ""),
        str(data.get("description") or ""),
    )


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
        record_key: bytes | None = None,
    ) -> None:
        self._gh = gh
        # INCIDENT_TOOL_RECORD_KEY: records are sealed with it, and believed only with a
        # proof made with it (docs/security.md#the-record-and-its-proof).
        self.record_key = record_key or None
        self.waits = rate_waits(gh)
        self.waits.log = log
        self.repo_name = repo
        self._repo = gh.get_repo(repo)  # lazy: the client is lazy, so no request
        self.dry_run = dry_run
        self.log = log
        told = bot_login or os.environ.get("INCIDENT_TOOL_BOT_LOGIN") or None
        # Who the token writes as: told, learnt from the first comment this run posts, or
        # asked (one GraphQL `viewer` query) when a run must tell the tool's own comments
        # from others' and cannot from the token's kind (see `settle_identity`).
        self.bot_login = told or ACTIONS_BOT_LOGIN
        self.identity_known = told is not None
        self.token_kind = getattr(gh, "token_kind", "unknown")
        self._roles: dict[str, str] = {}
        # A person's recent issues, asked once per run whoever asks (the report's gate in
        # `handle`, then its paging limit).
        self._recent: dict[tuple[str, datetime], list[RecentIssue]] = {}
        self._events: dict[int, list[IssueHappening]] = {}
        self._assignable: dict[str, bool] = {}
        # What reads handed out, as PyGithub objects, for the writes on them (no request).
        self._issue_objects: dict[int, Issue] = {}
        self._opened: dict[int, IssueView] = {}  # issues this run opened (find_issue)
        self._comment_objects: dict[int, IssueComment] = {}
        self._label_objects: dict[str, Label] = {}
        self._default_branches: dict[str, str] = {}  # repository (lower) -> as GitHub said
        self._assignees: dict[int, tuple[str, ...]] = {}  # as read, then as set
        self.writes: list[str] = []
        self.notices: list[str] = []

    def for_run(self) -> Gateway:
        """This gateway for one run: the same client, caches and identity, its own journal of
        writes and notices (a sweep runs several incidents, at once where it can)."""
        run = copy.copy(self)
        run.writes, run.notices = [], []
        # The PyGithub objects a run reads are its own (a copy of those listed before it):
        # a long-lived process does not grow, and no run clears another's.
        run._issue_objects = dict(self._issue_objects)
        run._comment_objects, run._opened = {}, {}
        return run

    def forget(self) -> None:
        """Forget what earlier runs found out (roles, events, who can be assigned): a
        long-lived process (the live connection) must not act on an hour-old role."""
        for cache in (self._roles, self._events, self._assignable, self._recent):
            cache.clear()

    def settled_from(self, run: Gateway) -> None:
        """Keep what one run learnt of who the token writes as, for the runs after it."""
        if run.identity_known and not self.identity_known:
            self.bot_login, self.identity_known = run.bot_login, True

    # -- reading ---------------------------------------------------------------------
    # Reads hand out plain values (IssueView, CommentView, LabelView) built from the JSON
    # GitHub sent, never a PyGithub object: reading one of its attributes could make a
    # request. The objects are kept here, by number or id, for the writes that follow.

    def _keep_issue(self, issue: Issue) -> IssueView:
        view = _issue_view(self.repo_name, _raw(issue))
        self._issue_objects[view.number] = issue
        self._assignees[view.number] = view.assignees
        return view

    def _issue_object(self, number: int) -> Issue:
        """The issue as last read, else a lazy one (its URL only: no request)."""
        found = self._issue_objects.get(number)
        return found if found is not None else self._repo.get_issue(number)

    def _keep_comment(self, comment: IssueComment) -> CommentView:
        self._comment_objects[comment.id] = comment
        return _comment_view(_raw(comment), self.bot_login)

    def issues(self, *, what: str | None = None, **filters: Any) -> Iterator[IssueView]:
        """List the repository's issues (PyGithub's `get_issues` filters: state, labels,
        since…): lazily, a page per 100 as they are read, so a caller that stops early reads
        no more pages. A failure is a GitHubError: "could not <what>: …" when `what` is given."""
        try:
            for issue in self._repo.get_issues(**filters):
                yield self._keep_issue(issue)
        except (GithubException, OSError) as exc:
            raise self._failed(what, exc) from None

    def issues_page(self, *, what: str, **filters: Any) -> list[IssueView]:
        """The first page (100) of the issues `filters` select: one request."""
        try:
            page = self._repo.get_issues(**filters).get_page(0)
        except (GithubException, OSError) as exc:
            raise self._failed(what, exc) from None
        return [self._keep_issue(issue) for issue in page]

    @staticmethod
    def _failed(what: str | None, exc: Exception) -> GitHubError:
        return GitHubError(f"could not {what}: {describe(exc)}" if what else describe(exc))

    def find_issue(self, number: int, *, what: str) -> IssueView | None:
        """Read issue `number` (one GET); None when it is gone (deleted, moved: 404). An issue
        this run opened, and has not edited since, is as it was opened a moment ago: no GET."""
        if number in self._opened:
            return self._opened[number]
        try:
            issue = self._repo.get_issue(number).complete()
        except UnknownObjectException:
            return None
        except (GithubException, OSError) as exc:
            raise self._failed(what, exc) from None
        return self._keep_issue(issue)

    def pages(self, url: str, params: dict[str, Any]) -> Iterator[list[Any]]:
        """GET a list page by page, following GitHub's Link header, as plain JSON; a caller
        that stops early reads no more pages. A failure is a GitHubError."""
        next_url: str | None = url
        query: dict[str, Any] | None = params
        while next_url:
            try:
                headers, data = self._gh.requester.requestJsonAndCheck("GET", next_url, query)
            except (GithubException, OSError) as exc:
                raise GitHubError(describe(exc)) from None
            yield data if isinstance(data, list) else []
            next_url, query = _next_link(headers.get("link", "")), None

    def labels(self) -> list[LabelView]:
        """Every label of the repository (one paginated read)."""
        try:
            found = list(self._repo.get_labels())
        except (GithubException, OSError) as exc:
            raise GitHubError(describe(exc)) from None
        self._label_objects.update({label.name.lower(): label for label in found})
        return [_label_view(_raw(label)) for label in found]

    def default_branch_file(self, path: str) -> str | None:
        """Return the text of `path` on the default branch; None when there is none.

        One GET of the contents API (`GET /repos/{owner}/{repo}/contents/{path}`, which
        answers for the default branch when no `ref` is given). Raise ConfigError for a file
        too large or not text, GitHubError for other failures.
        """
        from incident_tool.config import MAX_BYTES, ConfigError

        try:
            content = self._repo.get_contents(path)
        except UnknownObjectException:
            return None  # no such file (or repository: the verb's own requests will say)
        except (GithubException, OSError) as exc:
            raise GitHubError(describe(exc)) from None
        if isinstance(content, list) or content.type != "file":
            return None
        where = f"{self.repo_name}:{path} (default branch)"
        if content.size > MAX_BYTES:
            raise ConfigError(f"{where}: larger than {MAX_BYTES // 1024} KiB, too large")
        try:
            return content.decoded_content.decode("utf-8")
        except (UnicodeDecodeError, AssertionError, ValueError):
            raise ConfigError(f"{where}: cannot read: not UTF-8 text") from None

    def visibility(self) -> str:
        """The repository's visibility: "public", "private" or "internal" (one GET of
        /repos/{owner}/{repo}); a GitHubError when it cannot be read."""
        return self.repository_visibility(self.repo_name)

    def repository_missing(self) -> str | None:
        """Say so if the repository is not found (or not visible to the token); None if it
        is there (one GET)."""
        try:
            self._gh.get_repo(self.repo_name).complete()
        except UnknownObjectException:
            return (
                f"repository {self.repo_name} not found, or the token cannot see it "
                "(GitHub answers 404 for both): check --repo OWNER/NAME and the token's access"
            )
        except (GithubException, OSError):
            pass
        return None

    def repository_unreadable(self, repo: str) -> str | None:
        """Why the token cannot read `repo` (one GET of /repos/{owner}/{repo}); None when
        it can (`check`, for the repositories in changes.*)."""
        try:
            self._gh.get_repo(repo).complete()
        except UnknownObjectException:
            return "not found, or the token cannot see it"
        except (GithubException, OSError) as exc:
            return describe(exc)
        return None

    def repository_visibility(self, repo: str) -> str:
        """`repo`'s visibility as the token sees it ("public", "private", "internal"): one
        GET of /repos/{owner}/{repo}. NotReadable when the token cannot see it."""
        try:
            found = self._gh.get_repo(repo)
            found.complete()
        except UnknownObjectException:
            raise NotReadable("not found, or the token cannot see it") from None
        except (GithubException, OSError) as exc:
            raise GitHubError(describe(exc)) from None
        given = found.raw_data.get("visibility")
        return given if isinstance(given, str) else ("private" if found.private else "public")

    def viewer_login(self) -> str | None:
        """Who the token acts as (GraphQL `viewer { login }`: user and installation tokens
        alike; REST GET /user refuses an installation token), None when GitHub does not say."""
        try:
            data = self._graphql_read("query { viewer { login } }", {})
        except (GithubException, OSError) as exc:
            raise GitHubError(describe(exc)) from None
        viewer = ((data or {}).get("data") or {}).get("viewer")
        login = viewer.get("login") if isinstance(viewer, dict) else None
        return login if isinstance(login, str) and login else None

    def issues_marked(self, login: str, since: datetime, marker: str) -> list[IssueView]:
        """The issues `login` opened since `since` whose body holds `marker`, newest first:
        one request (the newest 100 of that account's; the issues list, not search, which
        is eventually consistent). A GitHubError when it cannot be read."""
        try:
            data = self._issues_opened_by(login, since)
        except (GithubException, OSError) as exc:
            raise GitHubError(describe(exc)) from None
        return [
            _issue_view(self.repo_name, item)
            for item in data
            if "pull_request" not in item
            and marker in str(item.get("body") or "")
            and _login(item.get("user")) == login
        ]

    def issue(self, number: int) -> IssueView:
        """Read issue `number` (one GET); a GitHubError when it is gone."""
        try:
            # The client is lazy: complete() makes the one GET here, where errors are handled.
            issue = self._repo.get_issue(number).complete()
        except UnknownObjectException:
            raise GitHubError(
                f"issue #{number} not found in {self.repo_name} (deleted, or no access)"
            ) from None
        except (GithubException, OSError) as exc:
            raise GitHubError(describe(exc)) from None
        return self._keep_issue(issue)

    def _comment_objects_of(
        self, number: int, *, since: datetime | None = None, what: str | None = None
    ) -> list[IssueComment]:
        issue = self._issue_object(number)
        try:
            if since is None:
                return list(issue.get_comments())
            return list(issue.get_comments(since=since))
        except (GithubException, OSError) as exc:
            raise self._failed(what, exc) from None

    def comments(
        self, number: int, *, since: datetime | None = None, what: str | None = None
    ) -> list[CommentView]:
        """List issue `number`'s comments (only those updated since `since`, when given)."""
        return [
            self._keep_comment(c) for c in self._comment_objects_of(number, since=since, what=what)
        ]

    def incident_comments(self, number: int) -> tuple[CommentView | None, list[CommentView]]:
        """Return the status comment and every comment a run may need to look at.

        A long incident has thousands of comments, but a run needs only the status comment
        (early: on the first page) and the comments since the last run. The record's own
        write time bounds those: anything newer than the last run was updated after it.
        The margin covers a run's own duration (its job times out at 10 minutes) and
        GitHub's replication lag.
        """
        try:
            page = self._issue_object(number).get_comments().get_page(0)
        except (GithubException, OSError) as exc:
            raise GitHubError(describe(exc)) from None
        # Who the token writes as first: it decides which comments are the tool's own.
        self.settle_identity([_comment_view(_raw(c), self.bot_login) for c in page])
        first = [self._keep_comment(c) for c in page]
        status = self.status_comment(first)
        if len(first) < PER_PAGE:
            return status, first
        if status is None:
            everything = self.comments(number)
            return self.status_comment(everything), everything
        since = status.updated_at - SINCE_MARGIN
        recent = {c.id: c for c in self.comments(number, since=since)}
        merged = {c.id: c for c in first} | recent
        return status, [merged[k] for k in sorted(merged)]

    def settle_identity(self, comments: Sequence[CommentView]) -> None:
        """Find out who the token writes as, when these comments make it matter.

        With no marker comment there is nothing to believe or not: the first comment the
        run posts says who it is, for free. The workflow's GITHUB_TOKEN (an installation
        token, `ghs_`) writes as github-actions[bot]: when every marker comment is by
        that account, the token is taken to be the workflow's and nothing is asked. Any
        other case (a personal token, a GitHub App's, marker comments by someone else)
        asks GitHub once: GraphQL `viewer { login }` answers for user and installation
        tokens alike (REST GET /user answers an installation token 403 "Resource not
        accessible by integration").
        """
        if self.identity_known:
            return
        marked = [c for c in comments if wording.marker_keys(c.body)]
        if self.token_kind == "installation":
            # An installation token writes as an app's bot: a person's comment carrying a
            # marker is theirs, not a question about who the tool is (one query a run).
            marked = [c for c in marked if c.author.endswith("[bot]")]
        if not marked:
            return
        if self.token_kind == "installation" and all(c.author == ACTIONS_BOT_LOGIN for c in marked):
            return
        self.identity_known = True
        try:
            login = self.viewer_login()
        except GitHubError as exc:
            reason, login = str(exc), None
        else:
            reason = "GitHub did not say"
        if login:
            self.bot_login = login
            return
        # The job log only: the record is not the place for a question about the token.
        self.log(
            f"notice: cannot tell which account the token writes as ({reason}): only "
            f"{self.bot_login}'s status comment is believed; set INCIDENT_TOOL_BOT_LOGIN"
        )

    def _learn_identity(self, comment: IssueComment) -> IssueComment:
        """Remember who the token writes as from a comment it just posted."""
        login = ((_raw(comment).get("user") or {}).get("login")) or None
        if not self.identity_known and login:
            self.bot_login, self.identity_known = str(login), True
        return comment

    def is_trusted_bot(self, comment: CommentView) -> bool:
        """The status comment is only believed when the tool's own account wrote it.

        That is `github-actions[bot]` for the workflow's GITHUB_TOKEN, or the login in
        INCIDENT_TOOL_BOT_LOGIN for a GitHub App or personal token. Other bots (any app
        with issue access) cannot forge the record.
        """
        return comment.author == self.bot_login

    def status_comment(self, comments: Sequence[CommentView]) -> CommentView | None:
        for comment in comments:
            if STATUS_MARKER in comment.body and self.is_trusted_bot(comment):
                return comment
        return None

    # -- facts -----------------------------------------------------------------------

    def role(self, login: str) -> str:
        key = login.lower()
        if key not in self._roles:
            try:
                _, data = self._gh.requester.requestJsonAndCheck(
                    "GET", f"{self._repo.url}/collaborators/{quote(login, safe='')}/permission"
                )
                self._roles[key] = role_from_permission(data)
            except UnknownObjectException:
                self._roles[key] = "none"
            except (GithubException, OSError) as exc:
                if isinstance(exc, GithubException) and rate_limit_of(exc) is not None:
                    # Not "no access": refusing someone's command for a rate limit would be
                    # wrong; the run stops and the next event or sweep carries it out.
                    raise GitHubError(
                        f"could not read {login}'s permission: {describe(exc)}"
                    ) from None
                self.log(f"warning: could not read {login}'s permission: {describe(exc)}")
                self._roles[key] = "none"
        return self._roles[key]

    def assignable(self, login: str) -> bool:
        """Say whether GitHub would accept `login` as an assignee (cached per run).

        Push access makes a person assignable, so a role already read this run answers
        without a request.
        """
        key = login.lower()
        if key not in self._assignable and self._roles.get(key) in ("write", "maintain", "admin"):
            self._assignable[key] = True
        if key not in self._assignable:
            try:
                self._assignable[key] = self._repo.has_in_assignees(login)
            except (GithubException, OSError):
                self._assignable[key] = False
        return self._assignable[key]

    def issue_events(self, number: int) -> list[IssueHappening]:
        """Return who labelled, closed or reopened issue `number` and when (read once per run,
        and only when a run must reconcile something it did not see happen)."""
        if number not in self._events:
            try:
                # Read as plain JSON: PyGithub's lazy event objects would fetch each event
                # again to fill in fields an event of that kind does not have.
                url = f"{self._issue_object(number).url}/events"
                pages = self.pages(url, {"per_page": PER_PAGE})
                events = [item for page in pages for item in page]
            except GitHubError as exc:
                self.log(f"notice: could not read the issue's events: {exc}")
                events = []
            self._events[number] = [
                IssueHappening(
                    str(item.get("event")),
                    (item.get("label") or {}).get("name"),
                    (item.get("actor") or {}).get("login"),
                    _utc(parse_time(item.get("created_at"))),
                )
                for item in events
                if isinstance(item, dict)
            ]
        return self._events[number]

    def recent_issues_by(self, login: str, since: datetime) -> list[RecentIssue]:
        """Return the issues `login` opened since `since`, newest first: one request (a
        person with more than 100 in a day is over any limit anyway; for the tool's account,
        which also opens retrospectives and follow-ups, the newest 100 are what is counted).

        The issues list, not search: search is eventually consistent, so a burst of
        reports opened seconds apart would not see each other there.
        """
        if (login.lower(), since) in self._recent:
            return self._recent[(login.lower(), since)]
        found = self._recent_issues_by(login, since)
        self._recent[(login.lower(), since)] = found
        return found

    def _recent_issues_by(self, login: str, since: datetime) -> list[RecentIssue]:
        try:
            data = self._issues_opened_by(login, since)
        except (GithubException, OSError) as exc:
            self.log(f"notice: could not count {login}'s recent reports: {describe(exc)}")
            return []
        return [
            RecentIssue(
                int(item.get("number") or 0),
                _utc(parse_time(item.get("created_at"))),
                [str((x or {}).get("name", "")) for x in item.get("labels") or []],
                str(item.get("body") or ""),
            )
            for item in data
            if "pull_request" not in item
        ]

    def _issues_opened_by(self, login: str, since: datetime) -> list[dict[str, Any]]:
        """The newest 100 issues `login` opened since `since`, as GitHub's JSON: one GET
        (raises what PyGithub raises)."""
        _, data = self._gh.requester.requestJsonAndCheck(
            "GET",
            f"{self._repo.url}/issues",
            {
                "creator": login,
                "state": "all",
                "sort": "created",
                "direction": "desc",
                "since": since.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "per_page": PER_PAGE,
            },
        )
        return [item for item in data or [] if isinstance(item, dict)]

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
            data = self._graphql_read(query, variables)
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
                # POSTs are not retried by GithubRetry (a blind retry could post twice), so
                # their rate limits are waited for here, from the same budget.
                limit = rate_limit_of(exc) if post else None
                if limit is not None and attempt < attempts and self.waits.can_wait(limit.wait):
                    self.waits.wait(limit.wait, f"GitHub {limit.kind} rate limit")
                    if landed is not None and (existing := landed()) is not None:
                        return existing
                    continue
                transient = exc.status >= 500
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

    def add_labels(self, number: int, labels: Sequence[str]) -> None:
        if labels:
            issue = self._issue_object(number)
            self.write(
                f"add labels {', '.join(labels)} to #{number}",
                # The documented body is {"labels": [...]}; PyGithub sends a bare array.
                lambda: self._gh.requester.requestJsonAndCheck(
                    "POST", f"{issue.url}/labels", input={"labels": list(labels)}
                ),
                post=True,
            )

    def remove_label(self, number: int, label: str) -> None:
        def do() -> None:
            try:
                self._issue_object(number).remove_from_labels(label)
            except UnknownObjectException:
                pass  # already gone: that is what we wanted

        self.write(f"remove label {label} from #{number}", do)

    def only_assignable(self, logins: Sequence[str], why: str) -> list[str]:
        """Keep the logins GitHub would accept as assignees; say who was left out."""
        kept = [x for x in logins if self.assignable(x)]
        left = [x for x in logins if x not in kept]
        if left:
            self.notice(f"{why}: not assigned {', '.join(left)} (cannot be assigned here)")
        return kept

    def notice(self, text: str) -> None:
        """Say something the run's owner should know (job log; the run adds it to the record)."""
        self.log(f"notice: {text}")
        self.notices.append(text)

    def _without_unassignable(
        self, what: str, attempt: Callable[[list[str]], T], logins: list[str]
    ) -> T:
        """Make a write with assignees; on GitHub's 422 for one, make it again without.

        One person who cannot be assigned (left the organisation, lost access since this
        run checked) must not stop an assignment or a retrospective. Each retry drops at
        least one person, so there are at most as many retries as logins (10 at most).
        """
        chosen = list(logins)
        while True:
            try:
                return attempt(chosen)
            except GithubException as exc:
                refused = _refused_assignees(exc)
                if not chosen or refused is None:
                    raise
            # GitHub names the first login it refuses: go on without it (without all of
            # them when it names none), so each retry drops at least one person.
            named = {x.lower() for x in refused}
            left = [x for x in chosen if x.lower() in named] if named else chosen
            if not left:
                left = chosen
            for login in left:
                self._assignable[login.lower()] = False
            chosen = [x for x in chosen if x not in left]
            self.notice(
                f"{what}: GitHub refused {', '.join(left)} as assignees (422): done without"
            )

    def set_assignees(self, number: int, logins: Sequence[str]) -> None:
        issue = self._issue_object(number)
        wanted = self.only_assignable(list(logins), f"#{number}")
        if logins and not wanted:
            return  # nobody to assign: leave the current assignees alone
        current = self._assignees.get(number)
        if current is not None and sorted(x.lower() for x in wanted) == sorted(
            x.lower() for x in current
        ):
            return

        def attempt(chosen: list[str]) -> None:
            # PyGithub types the list invariantly (NamedUser | str); logins are what it sends.
            issue.edit(assignees=cast("list[NamedUser | str]", chosen))
            self._assignees[number] = tuple(chosen)

        self.write(
            f"set assignees of #{number} to {', '.join(wanted) or 'nobody'}",
            lambda: self._without_unassignable(f"#{number}", attempt, wanted),
        )

    def close(self, number: int, reason: str) -> None:
        issue = self._issue_object(number)
        self.write(
            f"close #{number} as {reason}",
            lambda: issue.edit(state="closed", state_reason=reason),
        )

    def reopen(self, number: int) -> None:
        issue = self._issue_object(number)
        self.write(f"reopen #{number}", lambda: issue.edit(state="open"))

    def react(self, number: int, comment_id: int) -> None:
        def do() -> None:
            self._issue_object(number).get_comment(comment_id).create_reaction("+1")

        # GitHub answers an existing reaction with 200, so a retry cannot double it.
        self.write(f"react 👍 to comment {comment_id}", do, post=True)

    def post_comment(self, number: int, key: str, body: str, known: Sequence[CommentView]) -> None:
        """Post a comment carrying marker `key` on issue `number`, unless one is already
        there (among `known`, or, before a retried POST, on the issue)."""
        if any(key in wording.marker_keys(c.body) for c in known if self.is_trusted_bot(c)):
            return
        issue = self._issue_object(number)

        def landed() -> CommentView | None:
            for comment in map(self._keep_comment, issue.get_comments()):
                if key in wording.marker_keys(comment.body) and self.is_trusted_bot(comment):
                    return comment
            return None

        self.write(
            f"comment on #{number} ({key})",
            lambda: self._keep_comment(self._learn_identity(issue.create_comment(body))),
            post=True,
            landed=landed,
        )
        if self.dry_run:
            self.log(dry_run_text(body))

    def changed_since_read(self, number: int, status: CommentView) -> bool:
        """Say whether the status comment changed since this run read it (one GET)."""
        if self.dry_run:
            return False
        try:
            again = self._issue_object(number).get_comment(status.id)
            return (again.body or "") != status.body
        except (GithubException, OSError) as exc:
            raise GitHubError(f"could not re-read the status comment: {describe(exc)}") from None

    def record_in(
        self, number: int, status: CommentView | None
    ) -> tuple[Record | None, str | None]:
        """The record in issue `number`'s status comment, and why it is not believed (with
        a record key, a record without its proof is not)."""
        if status is None:
            return None, None
        return extract_proven(status.body, self.record_key, self.repo_name, number)

    def last_sealed_record(self, number: int, status: CommentView) -> tuple[Record, str] | None:
        """The newest of the status comment's last `REVISIONS` revisions whose record this
        tool sealed, and when it was written; None when none is (or they cannot be read).
        One GraphQL request, made only when the record in the comment is not believed:
        another workflow's or a person's edit is undone
        (docs/security.md#the-record-and-its-proof)."""
        if self.record_key is None or not status.node_id:
            return None
        try:
            data = self._graphql_read(EDITS_QUERY, {"id": status.node_id, "last": REVISIONS})
        except (GithubException, OSError) as exc:
            self.log(f"notice: could not read the status comment's revisions: {describe(exc)}")
            return None
        node = ((data or {}).get("data") or {}).get("node") or {}
        revisions = ((node.get("userContentEdits") or {}).get("nodes")) or []
        for revision in reversed(revisions):  # newest first
            if not isinstance(revision, dict) or not isinstance(revision.get("diff"), str):
                continue
            record, doubt = extract_proven(
                revision["diff"], self.record_key, self.repo_name, number
            )
            if record is not None and doubt is None:
                return record, str(revision.get("editedAt") or "")
        return None

    def save_status(self, number: int, existing: CommentView | None, body: str) -> None:
        """Write the status comment of issue `number`: edit `existing`, or post it (sealed
        with the record key, when there is one)."""
        body = seal(body, self.record_key, self.repo_name, number)
        issue = self._issue_object(number)
        if existing is not None:
            if existing.body != body:
                # The comment as read (else a lazy one: its URL only, no request).
                comment = self._comment_objects.get(existing.id) or issue.get_comment(existing.id)
                self.write(f"update the status comment on #{number}", lambda: comment.edit(body))
                if self.dry_run:
                    self.log(dry_run_text(body))
            return

        def landed() -> CommentView | None:
            return self.status_comment([self._keep_comment(c) for c in issue.get_comments()])

        self.write(
            f"post the status comment on #{number}",
            lambda: self._keep_comment(self._learn_identity(issue.create_comment(body))),
            post=True,
            landed=landed,
        )
        if self.dry_run:
            self.log(dry_run_text(body))

    def workflow_state(self, file_name: str) -> str:
        """Return a workflow's `state` (`active`, `disabled_manually`, ...): one GET."""
        try:
            return str(self._repo.get_workflow(file_name).state)
        except (GithubException, OSError) as exc:
            raise GitHubError(f"could not read workflow {file_name}: {describe(exc)}") from None

    def set_workflow_enabled(self, file_name: str, enabled: bool) -> None:
        """Enable or disable a workflow (one PUT; the file name serves as its id)."""
        verb = "enable" if enabled else "disable"
        url = f"{self._repo.url}/actions/workflows/{file_name}/{verb}"
        self.write(
            f"{verb} workflow {file_name}",
            lambda: self._repo.requester.requestJsonAndCheck("PUT", url),
        )

    def workflow_running(self, file_name: str) -> bool:
        """Say whether a run of the workflow is queued or in progress: one GET (its newest
        page of runs; a run waiting or queued counts)."""
        url = f"{self._repo.url}/actions/workflows/{file_name}/runs"
        try:
            _, data = self._repo.requester.requestJsonAndCheck("GET", url, {"per_page": 20})
        except (GithubException, OSError) as exc:
            raise GitHubError(f"could not list runs of {file_name}: {describe(exc)}") from None
        runs = (data or {}).get("workflow_runs") or []
        busy = {"queued", "in_progress", "waiting", "requested", "pending"}
        return any(isinstance(r, dict) and r.get("status") in busy for r in runs)

    def dispatch_workflow(self, file_name: str, ref: str) -> None:
        """Start a run of a `workflow_dispatch` workflow on `ref` (one POST)."""
        url = f"{self._repo.url}/actions/workflows/{file_name}/dispatches"
        self.write(
            f"dispatch workflow {file_name}",
            lambda: self._repo.requester.requestJsonAndCheck("POST", url, input={"ref": ref}),
        )

    def create_issue(
        self,
        title: str,
        body: str,
        labels: Sequence[str],
        assignees: Sequence[str],
        landed: Callable[[], IssueView | None],
    ) -> IssueView | None:
        """Open an issue (one POST; `landed` looks for it before a retry); None in a dry run."""
        wanted = self.only_assignable(list(assignees), f"issue {title!r}")

        def attempt(chosen: list[str]) -> IssueView:
            return self._keep_issue(
                self._repo.create_issue(
                    title=title, body=body, labels=list(labels), assignees=chosen
                )
            )

        opened = self.write(
            f"open issue {title!r}",
            lambda: self._without_unassignable(f"issue {title!r}", attempt, wanted),
            post=True,
            landed=landed,
        )
        if opened is not None:
            self._opened[opened.number] = opened
        return opened

    def edit_issue(self, number: int, what: str, **fields: Any) -> None:
        """Edit issue `number`'s `fields` (body, state, state_reason, labels…): one PATCH."""
        self._opened.pop(number, None)
        issue = self._issue_object(number)
        self.write(what, lambda: issue.edit(**fields))

    def comment(
        self,
        number: int,
        what: str,
        body: str,
        landed: Callable[[], CommentView | None] | None,
    ) -> CommentView | None:
        """Post a comment whose `landed` check the caller knows best (one POST)."""
        issue = self._issue_object(number)
        return self.write(
            what, lambda: self._keep_comment(issue.create_comment(body)), post=True, landed=landed
        )

    def attach_sub_issue(self, parent: int, number: int, issue_id: int) -> bool:
        """Attach issue `number` (by its `id`, as GitHub's API wants) under `parent`; say
        whether it was attached (False: GitHub refused it for good, or a dry run).

        GitHub answers 422 when it already has a parent (a lost run attached it, or a person
        put it elsewhere: either way it is not left loose, and it is not moved) and when the
        parent is full (100): then it stays a plain issue, linked from the checklist.
        """
        url = f"{self._repo.url}/issues/{parent}/sub_issues"

        def do() -> bool:
            try:
                self._gh.requester.requestJsonAndCheck(
                    "POST", url, input={"sub_issue_id": issue_id}
                )
            except GithubException as exc:
                if exc.status != 422:
                    raise
                self.log(f"notice: follow-up #{number} not attached to #{parent}: {describe(exc)}")
                return False
            return True

        def landed() -> bool | None:
            try:
                _, data = self._gh.requester.requestJsonAndCheck(
                    "GET", f"{self._repo.url}/issues/{number}"
                )
            except (GithubException, OSError) as exc:
                raise GitHubError(f"could not re-read #{number}: {describe(exc)}") from None
            return True if (data or {}).get("parent_issue_url") else None

        return bool(
            self.write(f"attach follow-up #{number} to #{parent}", do, post=True, landed=landed)
        )

    def create_label(self, name: str, colour: str, description: str) -> None:
        """Create a label (one POST; a label name is unique, so a retry cannot double it)."""
        try:
            self._repo.create_label(name, colour, description)
        except (GithubException, OSError) as exc:
            raise GitHubError(f"could not create label {name!r}: {describe(exc)}") from None

    def edit_label(self, current: str, name: str, colour: str, description: str) -> None:
        """Rename or restyle label `current`, as `labels()` listed it (one PATCH)."""
        label = self._label_objects.get(current.lower())
        if label is None:
            raise GitHubError(f"could not update label {name!r}: {current!r} was not listed")
        try:
            label.edit(name, colour, description)
        except (GithubException, OSError) as exc:
            raise GitHubError(f"could not update label {name!r}: {describe(exc)}") from None

    # -- what changed (docs/usage.md#what-changed-before-the-incident) -------------------
    # One page of each list, newest first: a declaration's cost is bounded (4 requests a
    # repository), and a busy repository's older changes are past the ten shown anyway.

    def changes(self, repo: str, what: str, since: datetime, until: datetime) -> list[Change]:
        """One kind of change (`what`: deploy, merge, release, failed-run) in `repo` between
        `since` and `until`: one request. NotReadable when the token cannot see the
        repository (404) or may not read this (403); GitHubError for other failures. A
        failed run is kept whatever its branch unless the run names the default branch:
        `default_branch` says it once the deployments or pull requests are read."""
        if what == "deploy":
            found = self._deployments(repo)
        else:
            path, params = _CHANGE_LISTS[what]
            if what == "failed-run":
                params = {
                    **params,
                    "created": f"{since:%Y-%m-%dT%H:%M:%SZ}..{until:%Y-%m-%dT%H:%M:%SZ}",
                }
            data = self._repository_get(repo, path, params)
            rows = data.get("workflow_runs", []) if isinstance(data, dict) else data
            rows = [row for row in rows if isinstance(row, dict)]
            if what == "merge":
                self._learn_default_branch(repo, *(_base_default(row) for row in rows))
            found = [_CHANGE_OF[what](repo, row) for row in rows]
        return [c for c in found if c is not None and since <= c.at <= until]

    def default_branch(self, repo: str) -> str | None:
        """`repo`'s default branch as the changes read so far said it (no request)."""
        return self._default_branches.get(repo.lower())

    def _learn_default_branch(self, repo: str, *names: str | None) -> None:
        name = next((n for n in names if n), None)
        if name:
            self._default_branches[repo.lower()] = name

    def _deployments(self, repo: str) -> list[Change | None]:
        """The newest deployments with their latest state, and the default branch: one
        GraphQL query (REST would cost a request more per deployment for its state)."""
        owner, _, name = repo.partition("/")
        try:
            data = self._graphql_read(_DEPLOYMENTS_QUERY, {"owner": owner, "name": name})
        except GithubException as exc:
            if exc.status == 403 and rate_limit_of(exc) is None:
                raise NotReadable(f"the token may not read it ({describe(exc)})") from None
            raise GitHubError(describe(exc)) from None
        except OSError as exc:
            raise GitHubError(describe(exc)) from None
        found = ((data or {}).get("data") or {}).get("repository") or {}
        self._learn_default_branch(repo, (found.get("defaultBranchRef") or {}).get("name"))
        errors = (data or {}).get("errors") or []
        if errors:  # GitHub answers 200 with `errors` (and what it could read in `data`)
            first = errors[0] if isinstance(errors[0], dict) else {}
            kind, message = first.get("type"), str(first.get("message") or "GraphQL error")
            if kind == "NOT_FOUND":
                raise NotReadable("not found, or the token cannot see it")
            if kind == "FORBIDDEN":
                raise NotReadable(f"the token may not read it ({message})")
            raise GitHubError(message)
        nodes = (found.get("deployments") or {}).get("nodes") or []
        return [_deployment(repo, node) for node in nodes if isinstance(node, dict)]

    def _graphql(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        """One GraphQL POST, as GitHub answers it (its `errors` included); raises what
        PyGithub raises."""
        _, data = self._gh.requester.requestJsonAndCheck(
            "POST",
            self._gh.requester.graphql_url,
            input={"query": query, "variables": variables or {}},
        )
        return data

    def _graphql_read(self, query: str, variables: dict[str, Any]) -> Any:
        """A GraphQL query that only reads, retried as GithubRetry retries a GET (it leaves
        POST alone, as a write could land twice): 3 tries, on a 5xx or a broken link."""

        for wait in (0.2, 0.4):
            try:
                return self._graphql(query, variables)
            except (GithubException, OSError) as exc:
                if isinstance(exc, GithubException) and exc.status < 500:
                    raise
                time.sleep(wait)
        return self._graphql(query, variables)

    def pull_request(self, repo: str, number: int) -> Found | None:
        """Pull request `number` of `repo` (one GET), None when there is none or the token
        cannot see it; GitHubError for other failures."""
        try:
            data = self._repository_get(repo, f"pulls/{number}", {})
        except NotReadable:
            return None
        return Found(
            repo=repo,
            ref=f"{repo}#{number}",
            title=str(data.get("title") or ""),
            who=_login(data.get("user")),
            url=str(data.get("html_url") or ""),
            node_id=str(data.get("node_id") or ""),
            merged=bool(data.get("merged_at")),
        )

    def commit(self, repo: str, sha: str) -> Found | None:
        """Commit `sha` of `repo`: who wrote it and its first line (one GET); None when the
        repository has no such commit or the token cannot see it."""
        try:
            data = self._repository_get(repo, f"commits/{quote(sha)}", {})
        except NotReadable:
            return None
        except GitHubError:
            return None  # GitHub answers 422 for a SHA it does not know
        message = str((data.get("commit") or {}).get("message") or "").splitlines()
        full = str(data.get("sha") or sha)
        return Found(
            repo=repo,
            ref=full[:7],
            title=message[0] if message else "",
            who=_login(data.get("author")),
            url=str(data.get("html_url") or ""),
        )

    def revert_pull_request(self, node_id: str, body: str) -> tuple[int, str]:
        """Open a pull request that reverts the one with `node_id` (GraphQL
        revertPullRequest): its number and URL. It is never merged here. GitHubError with
        GitHub's reason when refused."""
        query = (
            "mutation($input: RevertPullRequestInput!) { revertPullRequest(input: $input) "
            "{ revertPullRequest { number url } } }"
        )
        variables = {"input": {"pullRequestId": node_id, "body": body}}
        try:
            data = self._graphql(query, variables)
        except (GithubException, OSError) as exc:
            raise GitHubError(f"could not open the revert: {describe(exc)}") from None
        errors = (data or {}).get("errors") or []
        made = (((data or {}).get("data") or {}).get("revertPullRequest") or {}).get(
            "revertPullRequest"
        )
        if errors or not made:
            why = errors[0].get("message") if errors else "GitHub gave no pull request"
            raise GitHubError(f"could not open the revert: {why}")
        return int(made["number"]), str(made["url"])

    def _repository_get(self, repo: str, path: str, params: dict[str, Any]) -> Any:
        url = f"{self._gh.requester.base_url}/repos/{quote(repo)}/{path}"
        try:
            _, data = self._gh.requester.requestJsonAndCheck("GET", url, params or None)
        except UnknownObjectException:
            raise NotReadable("not found, or the token cannot see it") from None
        except GithubException as exc:
            if exc.status == 403 and rate_limit_of(exc) is None:
                raise NotReadable(f"the token may not read it ({describe(exc)})") from None
            raise GitHubError(describe(exc)) from None
        except OSError as exc:
            raise GitHubError(describe(exc)) from None
        return data

    # -- the conversation: locked to collaborators, comments hidden (issue #23) ---------

    def _lock_url(self, number: int) -> str:
        return f"{self._gh.requester.base_url}/repos/{quote(self.repo_name)}/issues/{number}/lock"

    def lock(self, number: int, reason: str | None) -> None:
        """Lock issue `number`'s conversation to collaborators (PUT .../lock, one request;
        `reason`: GitHub's lock_reason, or None for none)."""
        body = {"lock_reason": reason} if reason else None
        url = self._lock_url(number)
        self.write(
            f"lock #{number}" + (f" as {reason}" if reason else ""),
            lambda: self._gh.requester.requestJsonAndCheck("PUT", url, input=body),
        )

    def unlock(self, number: int) -> None:
        """Open issue `number`'s conversation again (DELETE .../lock, one request)."""

        def do() -> None:
            try:
                self._gh.requester.requestJsonAndCheck("DELETE", self._lock_url(number))
            except UnknownObjectException:
                pass  # GitHub's 404 for an issue not locked: what we wanted

        self.write(f"unlock #{number}", do)

    def minimize_comment(self, node_id: str, classifier: str) -> None:
        """Hide ("minimise") the comment with GraphQL id `node_id` as `classifier` (one of
        ReportedContentClassifiers: SPAM, ABUSE, OFF_TOPIC, OUTDATED, DUPLICATE, RESOLVED);
        one GraphQL request. GitHubError with GitHub's reason when refused."""
        query = (
            "mutation($input: MinimizeCommentInput!) { minimizeComment(input: $input) "
            "{ minimizedComment { isMinimized } } }"
        )
        variables = {"input": {"subjectId": node_id, "classifier": classifier}}

        def do() -> None:
            data = self._graphql(query, variables)
            errors = (data or {}).get("errors") or []
            if errors:
                raise GitHubError(f"could not hide comment: {errors[0].get('message')}")

        # Hiding twice hides once: a retried POST cannot do harm.
        self.write(f"hide comment {node_id} as {classifier}", do)

    def issue_comment(self, number: int, comment_id: int) -> CommentView | None:
        """Comment `comment_id` if it is one of issue `number`'s (one GET), else None."""
        url = f"{self._gh.requester.base_url}/repos/{quote(self.repo_name)}/issues/comments"
        try:
            _, data = self._gh.requester.requestJsonAndCheck("GET", f"{url}/{comment_id}")
        except UnknownObjectException:
            return None
        except (GithubException, OSError) as exc:
            raise GitHubError(f"could not read comment {comment_id}: {describe(exc)}") from None
        on = str((data or {}).get("issue_url") or "").rstrip("/").rsplit("/", 1)[-1]
        return _comment_view(data, self.bot_login) if on == str(number) else None


class NotReadable(GitHubError):
    """A repository the token cannot see (404) or may not read (403)."""


# The one page read of each kind of change: newest first.
_CHANGE_LISTS: dict[str, tuple[str, dict[str, Any]]] = {
    "merge": ("pulls", {"state": "closed", "sort": "updated", "direction": "desc", "per_page": 50}),
    "release": ("releases", {"per_page": 20}),
    "failed-run": ("actions/runs", {"status": "failure", "per_page": 50}),
}


# GraphQL Repository.deployments, newest first, with each one's latestStatus (schema:
# docs.github.com/graphql/reference/objects#deployment).
_DEPLOYMENTS_QUERY = (
    "query($owner: String!, $name: String!) { repository(owner: $owner, name: $name) { "
    "defaultBranchRef { name } "
    "deployments(first: 30, orderBy: {field: CREATED_AT, direction: DESC}) { nodes { "
    "databaseId environment commitOid createdAt ref { name } creator { login } "
    "latestStatus { state } } } } }"
)


def _at(value: Any) -> datetime | None:
    try:
        return parse_time(str(value)) if value else None
    except ValueError:
        return None


def _deployment(repo: str, node: dict[str, Any]) -> Change | None:
    """A deployment as GraphQL's Repository.deployments gives it: its environment and
    latest state (lower case, as REST writes them) in `detail`."""
    at, sha = _at(node.get("createdAt")), str(node.get("commitOid") or "")
    if at is None:
        return None
    env = str(node.get("environment") or "")
    state = str((node.get("latestStatus") or {}).get("state") or "").lower()
    return Change(
        "deploy",
        repo,
        at,
        str((node.get("ref") or {}).get("name") or sha[:7]),
        _login(node.get("creator")),
        f"https://github.com/{repo}/deployments/{quote(env)}",
        sha[:7],
        ", ".join(part for part in (env, state) if part),
        sha,
        ident=int(node.get("databaseId") or 0),
    )


def _base_default(row: dict[str, Any]) -> str | None:
    """The default branch a pull request's base repository names."""
    return ((row.get("base") or {}).get("repo") or {}).get("default_branch")


def _merge(repo: str, row: dict[str, Any]) -> Change | None:
    """A merged pull request; None for one closed unmerged or merged into another branch
    than the default (GitHub's `base.repo.default_branch`)."""
    base = row.get("base") or {}
    default = (base.get("repo") or {}).get("default_branch")
    at = _at(row.get("merged_at"))
    if at is None or (default and base.get("ref") != default):
        return None
    return Change(
        "merge",
        repo,
        at,
        str(row.get("title") or ""),
        _login(row.get("user")),
        str(row.get("html_url") or ""),
        f"#{row.get('number')}",
        sha=str(row.get("merge_commit_sha") or ""),
        ident=int(row.get("number") or 0),
    )


def _release(repo: str, row: dict[str, Any]) -> Change | None:
    at = _at(row.get("published_at") or row.get("created_at"))
    if at is None or row.get("draft"):
        return None
    tag = str(row.get("tag_name") or "")
    return Change(
        "release",
        repo,
        at,
        str(row.get("name") or tag),
        _login(row.get("author")),
        str(row.get("html_url") or ""),
        tag,
    )


def _failed_run(repo: str, row: dict[str, Any]) -> Change | None:
    """A failed run, its branch in `detail`; None for one on another branch than the
    default when the run's repository names it (GitHub's runs list usually does not:
    effects/changes.py then keeps those on the default branch the other lists named)."""
    at = _at(row.get("created_at"))
    default = (row.get("repository") or {}).get("default_branch")
    branch = str(row.get("head_branch") or "")
    if at is None or (default and branch != default):
        return None
    return Change(
        "failed-run",
        repo,
        at,
        str(row.get("display_title") or row.get("name") or ""),
        _login(row.get("actor")),
        str(row.get("html_url") or ""),
        str(row.get("id") or ""),
        branch,
        str(row.get("head_sha") or ""),
    )


_CHANGE_OF: dict[str, Callable[[str, dict[str, Any]], Change | None]] = {
    "deploy": _deployment,
    "merge": _merge,
    "release": _release,
    "failed-run": _failed_run,
}
