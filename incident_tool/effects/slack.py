"""Slack side of incident-tool: effects only, no decisions.

Everything here talks to the Slack Web API through slack-sdk's ``WebClient``. The module is
imported only when Slack work is needed, and it still defers importing slack-sdk until a
``SlackRoom`` is built, so the pure helpers (``escape``, ``channel_name``,
``blocks_for_report``, ``mrkdwn_link``) stay cheap to use.

Every failure surfaces as ``SlackError`` (method + Slack error code); the caller reports it and
carries on with the GitHub side.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from incident_tool.core import safe
from incident_tool.errors import IncidentToolError

if TYPE_CHECKING:  # pragma: no cover - typing only; keeps module import cheap
    from slack_sdk import WebClient
    from slack_sdk.http_retry import RetryHandler

__all__ = [
    "DEFAULT_API_URL",
    "SlackError",
    "SlackMessage",
    "SlackRoom",
    "blocks_for_report",
    "channel_name",
    "escape",
    "mrkdwn_link",
]

DEFAULT_API_URL = "https://slack.com/api/"

MAX_CHANNEL_NAME = 80
MAX_TOPIC = 250  # Slack's limit for conversations.setTopic / setPurpose
MAX_MESSAGE_TEXT = 40_000  # Slack truncates chat.postMessage text beyond this
MAX_HEADER = 150
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_BLOCKS = 50
NAME_TAKEN_TRIES = 20
ELLIPSIS = "…"

# slack-sdk logs connection failures at ERROR level. Without a handler Python's "last resort"
# handler would print them to stderr beside our own log line; the NullHandler keeps them out of
# the job log unless the application configures logging itself.
_SDK_LOGGER = logging.getLogger("incident_tool.effects.slack")
_SDK_LOGGER.addHandler(logging.NullHandler())

_CODE_RE = re.compile(r"[a-z0-9_]{1,64}")
# Channel ids are C/G plus uppercase letters and digits; requiring a digit keeps an
# all-caps name such as "ALERTS" a name.
_CHANNEL_ID_RE = re.compile(r"[CG](?=[A-Z0-9]*[0-9])[A-Z0-9]{2,}")
_TOKEN_RE = re.compile(r"xox[a-z]-[A-Za-z0-9-]*|xapp-[A-Za-z0-9-]*")
_SAFE_URL_RE = re.compile(r"https?://[^\s|<>]+", re.IGNORECASE)

_AUTH_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
)
# Errors conversations.invite reports about particular users rather than the whole call.
_PER_USER_INVITE_ERRORS = frozenset(
    {
        "already_in_channel",
        "cant_invite",
        "cant_invite_self",
        "user_not_found",
        "no_user",
        "user_is_restricted",
        "user_is_ultra_restricted",
        "ura_max_channels",
        "invitee_cant_see_channel",
        "user_disabled",
    }
)
_PRESENT_INVITE_ERRORS = frozenset({"already_in_channel", "cant_invite_self"})
# System messages that say nothing about the incident itself.
_SKIPPED_SUBTYPES = frozenset(
    {
        "channel_join",
        "channel_leave",
        "channel_topic",
        "channel_purpose",
        "channel_name",
        "channel_archive",
        "channel_unarchive",
        "group_join",
        "group_leave",
        "group_topic",
        "group_purpose",
        "group_name",
        "group_archive",
        "group_unarchive",
    }
)
_HINTS = {
    "invalid_auth": "Slack rejected the bot token; check the SLACK_BOT_TOKEN secret",
    "not_authed": "no Slack bot token was sent; check the SLACK_BOT_TOKEN secret",
    "account_inactive": "the Slack bot token belongs to a deleted user or workspace",
    "token_revoked": "the Slack bot token was revoked; reinstall the app and update the secret",
    "token_expired": "the Slack bot token expired; update the SLACK_BOT_TOKEN secret",
    "missing_scope": "the Slack app lacks a required OAuth scope; add it and reinstall the app",
    "channel_not_found": "the channel does not exist or the bot cannot see it",
    "not_in_channel": "the bot is not a member of the channel; invite it",
    "is_archived": "the channel is archived",
    "restricted_action": "workspace settings do not allow the bot to do this",
    "ratelimited": "Slack rate limit hit; the next run will retry",
    "connection_error": "could not reach the Slack API",
    "invalid_response": "the Slack API answered with something that is not a Slack response",
    "name_taken": "every candidate channel name is taken",
}


class SlackError(IncidentToolError):
    """A Slack Web API call that failed: an ``"ok": false`` answer or an unreachable API."""

    def __init__(
        self,
        method: str,
        error: str,
        *,
        detail: str | None = None,
        response: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(method, error)
        self.method = method
        self.error = error
        self.detail = detail
        self.response: dict[str, Any] = dict(response or {})

    def __str__(self) -> str:
        message = f"Slack API call {self.method} failed: {self.error}"
        hint = _HINTS.get(self.error)
        if hint:
            message += f" ({hint})"
        if self.detail:
            message += f": {self.detail}"
        # One line, always: job logs and status comments show it verbatim.
        return " ".join(message.split())


@dataclass
class SlackMessage:
    """One message from an incident channel's history."""

    ts: str
    user: str | None
    text: str
    bot: bool


# ---------------------------------------------------------------------------------------------
# Pure helpers


def escape(text: str) -> str:
    """Escape Slack mrkdwn control characters ``&``, ``<`` and ``>`` in user text (and
    drop bidirectional controls: `safe.slack`)."""
    return safe.slack(text)


def mrkdwn_link(url: str, label: str) -> str:
    """Return a mrkdwn link ``<url|label>``, or just the escaped label for an unsafe URL."""
    shown = escape(label) if label else ""
    if not _SAFE_URL_RE.fullmatch(url):
        return shown or escape(url)
    # '&' stays valid inside a link once escaped; escaping it stops "&lt;" tricks in the URL.
    return f"<{url.replace('&', '&amp;')}|{shown}>" if shown else f"<{url.replace('&', '&amp;')}>"


# NFKD strips accents but leaves letters of other scripts (and a few Latin ones) untouched;
# this table spells the common ones in ASCII so a Cyrillic or Greek title still gives a slug.
_TRANSLITERATION = str.maketrans(
    {
        # Latin letters NFKD does not decompose
        "ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ð": "d", "ł": "l", "þ": "th",
        "ħ": "h", "ı": "i", "ŋ": "ng",
        # Cyrillic (Russian, Ukrainian, Belarusian)
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z",
        "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
        "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch",
        "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
        "і": "i", "є": "ye", "ґ": "g", "ў": "u",
        # Greek
        "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th",
        "ι": "i", "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p",
        "ρ": "r", "σ": "s", "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps",
        "ω": "o",
    }
)  # fmt: skip


def _slug(text: str) -> str:
    """Turn text into lowercase ``a-z0-9_-`` words joined by single hyphens."""
    text = unicodedata.normalize("NFKD", text).lower().translate(_TRANSLITERATION)
    text = text.encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9_]+", "-", text).strip("-_")


def _cut_slug(slug: str, room: int) -> str:
    """Shorten a slug to ``room`` characters, at a word boundary when one is near the end."""
    if len(slug) <= room:
        return slug
    cut = slug[:room]
    if slug[room] not in "-_":
        boundary = cut.rfind("-")
        if boundary >= room // 2:
            cut = cut[:boundary]
    return cut.rstrip("-_")


def channel_name(prefix: str, number: int, title: str) -> str:
    """Build the incident channel name ``<prefix>-<number>-<slug of title>``.

    The result is lowercase, only ``a-z 0-9 - _``, at most 80 characters and never ends in
    ``-``; a title with nothing spellable in ASCII gives just ``<prefix>-<number>``.
    """
    num = _slug(str(number)) or "0"
    clean_prefix = _slug(prefix) or "incident"
    clean_prefix = clean_prefix[: MAX_CHANNEL_NAME - len(num) - 1].rstrip("-_") or "incident"
    head = f"{clean_prefix}-{num}"[:MAX_CHANNEL_NAME]
    room = MAX_CHANNEL_NAME - len(head) - 1
    rest = _cut_slug(_slug(title), room) if room > 0 else ""
    return f"{head}-{rest}" if rest else head


def _with_suffix(name: str, k: int) -> str:
    """Return ``name-k`` kept within Slack's 80-character limit."""
    suffix = f"-{k}"
    return name[: MAX_CHANNEL_NAME - len(suffix)].rstrip("-_") + suffix


def _truncate(text: str, limit: int, *, markup: bool = True) -> str:
    """Shorten text to ``limit`` characters ending in "…".

    With ``markup`` (mrkdwn text) the cut never splits an entity or a ``<…>`` link.
    """
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS)]
    if not markup:
        return cut + ELLIPSIS
    # A half "&amp;" would show as literal junk; drop the fragment.
    entity = re.search(r"&[a-z]{0,4}$", cut)
    if entity:
        cut = cut[: entity.start()]
    # A half "<url|label>" would show raw markup; drop the unfinished link.
    if cut.rfind("<") > cut.rfind(">"):
        cut = cut[: cut.rfind("<")]
    return cut + ELLIPSIS


def _mrkdwn_text(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def blocks_for_report(
    *,
    title: str,
    url: str,
    number: int,
    fields: list[tuple[str, str]],
    footer: str | None = None,
) -> tuple[str, list[dict]]:
    """Build "the report" message (the first message of an incident channel) in Block Kit.

    ``title``, field labels and values and ``footer`` are raw text: this function escapes them.
    Short values go side by side as section fields; long or multi-line ones get a full-width
    section. Returns the plain-text fallback (used in notifications) and the blocks.
    """
    shown_title = " ".join(title.split()) or f"Incident #{number}"
    link = mrkdwn_link(url, f"Issue #{number}")
    fallback = _truncate(f"{escape(shown_title)} ({link})", MAX_SECTION_TEXT)

    body: list[dict] = []
    pending_fields: list[dict] = []

    def flush_fields() -> None:
        if pending_fields:
            body.append({"type": "section", "fields": list(pending_fields)})
            pending_fields.clear()

    for label, value in fields:
        shown_label = escape(" ".join(label.split()))
        shown_value = escape(value.strip()) or "—"
        text = f"*{shown_label}*\n{shown_value}" if shown_label else shown_value
        if len(shown_value) <= 80 and "\n" not in shown_value:
            pending_fields.append(_mrkdwn_text(_truncate(text, MAX_FIELD_TEXT)))
            if len(pending_fields) == MAX_FIELDS:
                flush_fields()
        else:
            flush_fields()
            body.append(
                {"type": "section", "text": _mrkdwn_text(_truncate(text, MAX_SECTION_TEXT))}
            )
    flush_fields()

    room = MAX_BLOCKS - 2  # header and context
    if len(body) > room:
        body = body[: room - 1]
        body.append({"type": "section", "text": _mrkdwn_text(f"{ELLIPSIS} (more on the issue)")})

    context = link
    if footer:
        context += " · " + escape(" ".join(footer.split()))
    blocks: list[dict] = [
        {
            "type": "header",
            # plain_text is not mrkdwn, so it needs no escaping; addresses are defanged.
            "text": {
                "type": "plain_text",
                "text": _truncate(safe.slack_plain(shown_title), MAX_HEADER, markup=False),
            },
        },
        *body,
        {"type": "context", "elements": [_mrkdwn_text(_truncate(context, MAX_SECTION_TEXT))]},
    ]
    return fallback, blocks


# ---------------------------------------------------------------------------------------------
# The Slack client


def _retry_after(headers: Mapping[str, Any]) -> int | None:
    """Read Retry-After (whole seconds) from slack-sdk's retry-response headers."""
    for key, value in headers.items():
        if key.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) and value else value
            text = str(raw).strip()
            return int(text) if re.fullmatch(r"[0-9]{1,9}", text) else None
    return None


def _build_retry_handlers(max_retry_wait: float, log: Callable[[str], None]) -> list[RetryHandler]:
    """Return the deliberately chosen retry handlers for the WebClient.

    Rate limits (HTTP 429) are safe to retry even for chat.postMessage: Slack did not carry out
    the call. Connection failures are retried twice. Nothing else is retried, because a 5xx or
    a read timeout may mean Slack already posted the message.
    """
    from slack_sdk.http_retry.builtin_handlers import (
        ConnectionErrorRetryHandler,
        RateLimitErrorRetryHandler,
    )
    from slack_sdk.http_retry.request import HttpRequest
    from slack_sdk.http_retry.response import HttpResponse
    from slack_sdk.http_retry.state import RetryState

    class BoundedRateLimitRetryHandler(RateLimitErrorRetryHandler):
        """Retry HTTP 429 after Retry-After, unless Slack asks us to wait too long."""

        def _can_retry(
            self,
            *,
            state: RetryState,
            request: HttpRequest,
            response: HttpResponse | None = None,
            error: Exception | None = None,
        ) -> bool:
            if not super()._can_retry(state=state, request=request, response=response, error=error):
                return False
            assert response is not None  # the parent only says yes to a 429 response
            if any(key.lower() == "retry-after" for key in response.headers):
                wait = _retry_after(response.headers)
            else:
                wait = 1  # the parent waits about a second when the header is missing
            # An unreadable or too long Retry-After fails the call now: a GitHub Actions job
            # should not sit idle, and the next event retries whatever is missing.
            return wait is not None and wait <= max_retry_wait

        def prepare_for_next_attempt(
            self,
            *,
            state: RetryState,
            request: HttpRequest,
            response: HttpResponse | None = None,
            error: Exception | None = None,
        ) -> None:
            wait = _retry_after(response.headers) if response is not None else None
            log(f"Slack rate limit hit; retrying in {wait if wait is not None else 1}s")
            super().prepare_for_next_attempt(
                state=state, request=request, response=response, error=error
            )

    class NoTimeoutRetryHandler(ConnectionErrorRetryHandler):
        """Retry refused or reset connections, not timeouts: a server that did not answer
        in time is not retried within the run (each retry would wait as long again)."""

        def _can_retry(
            self,
            *,
            state: RetryState,
            request: HttpRequest,
            response: HttpResponse | None = None,
            error: Exception | None = None,
        ) -> bool:
            reason = getattr(error, "reason", error)
            if isinstance(reason, TimeoutError) or "timed out" in str(reason):
                return False
            return super()._can_retry(state=state, request=request, response=response, error=error)

    return [
        BoundedRateLimitRetryHandler(max_retry_count=3),
        NoTimeoutRetryHandler(max_retry_count=2),
    ]


class SlackRoom:
    """The Slack workspace as the incident tool uses it: channels, messages and people."""

    def __init__(
        self,
        token: str,
        base_url: str | None = None,
        *,
        log: Callable[[str], None] = print,
        max_retry_wait: float = 30.0,
    ) -> None:
        from slack_sdk import WebClient

        from incident_tool.effects.timeouts import http_timeout

        self._token = token
        self._log = log
        url = base_url or os.environ.get("SLACK_API_URL") or DEFAULT_API_URL
        self._host = urlsplit(url).hostname or url
        self._timeout = http_timeout()
        self._client: WebClient = WebClient(
            token=token,
            base_url=url,
            logger=_SDK_LOGGER,
            # slack-sdk waits 30 s by default; a read timeout is not retried (the call may
            # have been carried out), so one hung call costs this once.
            timeout=self._timeout,
            retry_handlers=_build_retry_handlers(max_retry_wait, self._safe_log),
        )
        # Set when Slack did not answer in time: later calls of this run fail at once
        # (the outbox keeps their work for the next run) instead of each waiting again.
        self._unanswered: str | None = None
        self._bot_user_id: str | None = None
        self._channel_ids: dict[str, str] = {}
        # Who made each listed channel, and whether it is private (find_channel_of).
        self._channel_made: dict[str, tuple[str, bool]] = {}
        self._channel_cursor: str | None = None
        self._channel_list_done = False
        # Lanes of deliveries (effects/mirror.py) may look channels up at once: one lister.
        self._channel_lock = threading.Lock()
        self._emails: dict[str, str | None] = {}
        self._names: dict[str, str | None] = {}
        self._statuses: dict[str, dict[str, Any]] = {}
        self.pin_count: int | None = None  # from the last conversations.history read

    @classmethod
    def from_env(
        cls, *, log: Callable[[str], None] = print, max_retry_wait: float = 30.0
    ) -> SlackRoom | None:
        """Build a room from ``SLACK_BOT_TOKEN``/``SLACK_API_URL``; None when no token is set."""
        token = os.environ.get("SLACK_BOT_TOKEN", "").strip()
        if not token:
            return None
        return cls(token, log=log, max_retry_wait=max_retry_wait)

    def __repr__(self) -> str:
        return f"SlackRoom(host={self._host!r})"

    # -- plumbing -----------------------------------------------------------------------------

    def _redact(self, text: str) -> str:
        if self._token:
            text = text.replace(self._token, "[redacted]")
        return _TOKEN_RE.sub("[redacted]", text)

    def _safe_log(self, message: str) -> None:
        self._log(self._redact(message))

    def _call(
        self, method: str, params: dict[str, Any] | None = None, *, json: dict | None = None
    ) -> dict[str, Any]:
        """Call a Web API method and return its data; raise SlackError for every failure."""
        from slack_sdk.errors import SlackApiError, SlackClientError

        if self._unanswered is not None:
            raise SlackError(method, "connection_error", detail=self._unanswered)
        try:
            response = self._client.api_call(method, params=params, json=json)
        except SlackApiError as err:
            raise self._api_error(method, err) from None
        except SlackClientError as err:
            raise SlackError(method, "client_error", detail=self._redact(str(err))) from None
        except OSError as err:  # URLError, refused/reset connections and timeouts
            reason = getattr(err, "reason", None) or err
            if isinstance(reason, TimeoutError) or "timed out" in str(reason):
                detail = f"{self._host}: no answer within {self._timeout} s"
                self._unanswered = (
                    f"skipped: {self._host} did not answer within {self._timeout} s "
                    "earlier in this run"
                )
                raise SlackError(method, "connection_error", detail=detail) from None
            detail = self._redact(f"{self._host}: {reason}")
            raise SlackError(method, "connection_error", detail=detail) from None
        except ValueError as err:  # a body that claims to be JSON but is not
            detail = self._redact(f"{type(err).__name__}: {err}")[:200]
            raise SlackError(method, "invalid_response", detail=detail) from None
        except Exception as err:  # http.client errors and anything else slack-sdk lets through
            detail = self._redact(f"{type(err).__name__}: {err}")[:200]
            error = "connection_error" if _is_http_client_error(err) else "unexpected_error"
            raise SlackError(method, error, detail=detail) from None
        data = response.data
        if not isinstance(data, dict):
            raise SlackError(method, "invalid_response", detail="the body is not a JSON object")
        return data

    def _api_error(self, method: str, err: Any) -> SlackError:
        response = err.response
        data = response.data if isinstance(response.data, dict) else {}
        status = response.status_code
        code = data.get("error")
        detail: str | None = None
        if status == 429 or code in ("ratelimited", "rate_limited"):
            code = "ratelimited"
            wait = _retry_after(response.headers or {})
            detail = f"Slack asked to wait {wait}s" if wait is not None else None
        elif not isinstance(code, str) or not _CODE_RE.fullmatch(code):
            detail = f"HTTP {status}"
            code = f"http_{status}" if status != 200 else "invalid_response"
        elif code == "missing_scope" and data.get("needed"):
            detail = f"needed {data.get('needed')}"
        return SlackError(
            method,
            code,
            detail=self._redact(detail) if detail else None,
            response=data,
        )

    @contextmanager
    def _reading(self, method: str) -> Iterator[None]:
        """Turn a surprising response shape into SlackError instead of KeyError/TypeError."""
        try:
            yield
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as err:
            detail = f"unexpected response shape ({type(err).__name__})"
            raise SlackError(method, "invalid_response", detail=detail) from None

    # -- channels -----------------------------------------------------------------------------

    def create_channel(self, name: str, *, private: bool) -> tuple[str, str]:
        """Create a channel; on ``name_taken`` try ``name-2``, ``name-3``… (20 tries in all).

        Returns the channel id and its final name.
        """
        base = name[:MAX_CHANNEL_NAME]
        last: SlackError | None = None
        for attempt in range(1, NAME_TAKEN_TRIES + 1):
            candidate = base if attempt == 1 else _with_suffix(base, attempt)
            try:
                data = self._call(
                    "conversations.create", {"name": candidate, "is_private": private}
                )
            except SlackError as err:
                if err.error != "name_taken":
                    raise
                last = err
                continue
            with self._reading("conversations.create"):
                channel_id = str(data["channel"]["id"])
                final = str(data["channel"].get("name") or candidate)
            self._channel_ids[final] = channel_id
            if attempt > 1:
                self._safe_log(f"Slack channel name {base} was taken; created {final}")
            return channel_id, final
        raise SlackError(
            "conversations.create",
            "name_taken",
            detail=f"tried {base} and {NAME_TAKEN_TRIES - 1} numbered variants",
            response=last.response if last else None,
        )

    def find_channel(self, name_or_id: str) -> str | None:
        """Resolve ``#name``, ``name`` or a channel id to an id; None when no channel matches."""
        wanted = name_or_id.strip().lstrip("#").strip()
        if not wanted:
            return None
        if _CHANNEL_ID_RE.fullmatch(wanted):
            return wanted
        wanted = wanted.lower()
        with self._channel_lock:
            return self._find_listed(wanted)

    def _find_listed(self, wanted: str) -> str | None:
        if wanted in self._channel_ids:
            return self._channel_ids[wanted]
        # Page on from where the last lookup stopped; a finished scan answers misses directly.
        while not self._channel_list_done:
            params: dict[str, Any] = {
                "types": "public_channel,private_channel",
                "exclude_archived": True,
                "limit": 200,
            }
            if self._channel_cursor:
                params["cursor"] = self._channel_cursor
            data = self._call("conversations.list", params)
            with self._reading("conversations.list"):
                for channel in data.get("channels") or []:
                    self._channel_ids.setdefault(str(channel["name"]), str(channel["id"]))
                    made = (str(channel.get("creator") or ""), bool(channel.get("is_private")))
                    self._channel_made.setdefault(str(channel["name"]), made)
                cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor or cursor == self._channel_cursor:
                self._channel_list_done = True
            self._channel_cursor = cursor
            if wanted in self._channel_ids:
                return self._channel_ids[wanted]
        return None

    def find_channel_of(self, head: str, *, private: bool) -> tuple[str, str] | None:
        """The channel this bot made named `head` or `head-…` (an incident's,
        `channel_name`), private when `private`, as its id and name; None when there is
        none. Anyone in the workspace can make a channel of that name: only the bot's own
        is taken. Reads the workspace's channel list once."""
        bot = self.auth_check()
        with self._channel_lock:
            self._find_listed("")  # no channel is named "": the whole list is read
            for name, channel_id in self._channel_ids.items():
                creator, is_private = self._channel_made.get(name, ("", False))
                named = name == head or name.startswith(f"{head}-")
                if named and creator == bot and (is_private or not private):
                    return channel_id, name
        return None

    def channel_info(self, channel: str) -> dict | None:
        """Return the conversation object of a channel, or None when it does not exist."""
        try:
            data = self._call("conversations.info", {"channel": channel})
        except SlackError as err:
            if err.error == "channel_not_found":
                return None
            raise
        channel_obj = data.get("channel")
        return channel_obj if isinstance(channel_obj, dict) else None

    def set_topic(self, channel: str, topic: str) -> None:
        """Set the channel topic (built by the caller from escaped parts), cut to 250 chars."""
        self._call(
            "conversations.setTopic", {"channel": channel, "topic": _truncate(topic, MAX_TOPIC)}
        )

    def set_purpose(self, channel: str, purpose: str) -> None:
        """Set the channel purpose, cut to 250 chars."""
        self._call(
            "conversations.setPurpose",
            {"channel": channel, "purpose": _truncate(purpose, MAX_TOPIC)},
        )

    def invite(self, channel: str, user_ids: Iterable[str]) -> list[str]:
        """Invite users; return the ids now in the channel (invited or already there).

        Slack invites nobody when any user in the list fails, so failing users are dropped and
        the rest invited again. Per-user failures are logged, never raised.
        """
        wanted = [u.strip() for u in user_ids if u and u.strip()]
        if not wanted:
            return []
        # Skip the bot itself only when its id is already known: asking auth.test costs a
        # call per run, and Slack answers `cant_invite_self`, taken as "already present".
        bot = self._bot_user_id
        pending = [u for u in dict.fromkeys(wanted) if u != bot]
        present: list[str] = []
        joined = False
        while pending:
            try:
                self._call("conversations.invite", {"channel": channel, "users": ",".join(pending)})
            except SlackError as err:
                if err.error == "not_in_channel" and not joined:
                    joined = True
                    self._join_or_raise(channel, err)
                    continue
                failed = self._invite_failures(err, pending)
                if failed is None:
                    raise
                if not failed:  # Slack did not say who failed: invite one at a time instead
                    present += self._invite_each(channel, pending)
                    pending = []
                    break
                for user, code in failed.items():
                    if code in _PRESENT_INVITE_ERRORS:
                        present.append(user)
                    else:
                        self._safe_log(f"Slack: could not invite {user} to {channel}: {code}")
                pending = [u for u in pending if u not in failed]
                continue
            present += pending
            pending = []
        order = {u: i for i, u in enumerate(dict.fromkeys(wanted))}
        return sorted(dict.fromkeys(present), key=lambda u: order.get(u, len(order)))

    def _join_or_raise(self, channel: str, err: SlackError) -> None:
        """Join the channel, or re-raise ``err`` when joining is impossible (private channel)."""
        try:
            self.join(channel)
        except SlackError as join_err:
            self._safe_log(f"Slack: could not join {channel}: {join_err.error}")
            raise err from None

    @staticmethod
    def _invite_failures(err: SlackError, pending: list[str]) -> dict[str, str] | None:
        """Map users to their invite error; {} if unattributable; None if not per-user."""
        errors = err.response.get("errors")
        if isinstance(errors, list) and errors:
            failed = {
                str(e.get("user")): str(e.get("error") or err.error)
                for e in errors
                if isinstance(e, dict) and e.get("user") in pending
            }
            return failed
        if err.error not in _PER_USER_INVITE_ERRORS:
            return None
        if len(pending) == 1:
            return {pending[0]: err.error}
        return {}

    def _invite_each(self, channel: str, users: list[str]) -> list[str]:
        present = []
        for user in users:
            try:
                self._call("conversations.invite", {"channel": channel, "users": user})
            except SlackError as err:
                if err.error in _PRESENT_INVITE_ERRORS:
                    present.append(user)
                elif err.error in _PER_USER_INVITE_ERRORS or err.response.get("errors"):
                    self._safe_log(f"Slack: could not invite {user} to {channel}: {err.error}")
                else:
                    raise
            else:
                present.append(user)
        return present

    def join(self, channel: str) -> None:
        """Join a public channel as the bot."""
        self._call("conversations.join", {"channel": channel})

    def post(
        self,
        channel: str,
        text: str,
        *,
        blocks: list[dict] | None = None,
        thread_ts: str | None = None,
    ) -> str:
        """Post a message and return its ts; join a public channel once if the bot is not in it."""
        try:
            return self._post_once(channel, text, blocks=blocks, thread_ts=thread_ts)
        except SlackError as err:
            if err.error != "not_in_channel":
                raise
            self._join_or_raise(channel, err)
        return self._post_once(channel, text, blocks=blocks, thread_ts=thread_ts)

    def post_ref(
        self, channel: str, text: str, *, blocks: list[dict] | None = None
    ) -> tuple[str, str]:
        """Post like `post`, and return where the message is: (channel id, ts).

        For a DM (``channel`` a user id) Slack answers with the IM's own id (``D…``), which
        reactions.get needs to find the message again.
        """
        try:
            data = self._post_data(channel, text, blocks=blocks)
        except SlackError as err:
            if err.error != "not_in_channel":
                raise
            self._join_or_raise(channel, err)
            data = self._post_data(channel, text, blocks=blocks)
        with self._reading("chat.postMessage"):
            return str(data.get("channel") or channel), str(data["ts"])

    def _post_data(self, channel: str, text: str, *, blocks: list[dict] | None) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "channel": channel,
            "text": _truncate(text, MAX_MESSAGE_TEXT),
            "unfurl_links": False,
            "unfurl_media": False,
        }
        if blocks:
            payload["blocks"] = blocks
        return self._call("chat.postMessage", json=payload)

    def reacted(self, channel: str, ts: str, name: str) -> list[str]:
        """Return who reacted to a message with ``name`` (reactions.get, ``full`` list)."""
        data = self._call("reactions.get", {"channel": channel, "timestamp": ts, "full": True})
        with self._reading("reactions.get"):
            message = data.get("message") or {}
            for reaction in message.get("reactions") or []:
                if reaction.get("name") == name:
                    return [str(u) for u in reaction.get("users") or []]
        return []

    def dm(self, user_id: str, text: str, *, blocks: list[dict] | None = None) -> str:
        """Send a direct message to a user (Slack opens the app's DM with them); return its ts."""
        return self._post_once(user_id, text, blocks=blocks, thread_ts=None)

    def _post_once(
        self, channel: str, text: str, *, blocks: list[dict] | None, thread_ts: str | None
    ) -> str:
        # No link_names and no parse: user text must never turn into @channel or a link.
        payload: dict[str, Any] = {
            "channel": channel,
            "text": _truncate(text, MAX_MESSAGE_TEXT),
            "unfurl_links": False,
            "unfurl_media": False,
        }
        if blocks:
            payload["blocks"] = blocks
        if thread_ts:
            payload["thread_ts"] = thread_ts
        data = self._call("chat.postMessage", json=payload)
        with self._reading("chat.postMessage"):
            return str(data["ts"])

    def permalink(self, channel: str, ts: str) -> str | None:
        """Return a message's permalink, or None when the channel or message is gone."""
        try:
            data = self._call("chat.getPermalink", {"channel": channel, "message_ts": ts})
        except SlackError as err:
            if err.error in ("channel_not_found", "message_not_found"):
                return None
            raise
        link = data.get("permalink")
        return str(link) if link else None

    def history(self, channel: str, *, limit_total: int = 5000) -> list[SlackMessage]:
        """Return the channel's newest ``limit_total`` messages, oldest first.

        Join/topic-style system messages are left out; bot messages are kept with ``bot=True``.
        Thread replies are not included (only their parents and broadcasts).
        """
        raw: list[dict] = []
        cursor: str | None = None
        seen_cursors: set[str] = set()
        while len(raw) < limit_total:
            params: dict[str, Any] = {"channel": channel, "limit": 200}
            if cursor:
                params["cursor"] = cursor
            data = self._call("conversations.history", params)
            with self._reading("conversations.history"):
                raw += [m for m in data.get("messages") or [] if isinstance(m, dict)]
                cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor or cursor in seen_cursors:
                break
            seen_cursors.add(cursor)
        messages = []
        for m in raw[:limit_total]:
            if m.get("subtype") in _SKIPPED_SUBTYPES or not m.get("ts"):
                continue
            bot = bool(m.get("bot_id")) or m.get("subtype") == "bot_message"
            user = m.get("user")
            messages.append(
                SlackMessage(
                    ts=str(m["ts"]),
                    user=str(user) if user else None,
                    text=str(m.get("text") or ""),
                    bot=bot,
                )
            )
        messages.sort(key=lambda msg: _ts_key(msg.ts))
        return messages

    # -- people -------------------------------------------------------------------------------

    def lookup_email(self, email: str) -> str | None:
        """Return the Slack user id for an email address, or None when nobody has it."""
        key = email.strip().lower()
        if key in self._emails:
            return self._emails[key]
        try:
            data = self._call("users.lookupByEmail", {"email": email.strip()})
        except SlackError as err:
            if err.error != "users_not_found":
                raise
            user_id = None
        else:
            with self._reading("users.lookupByEmail"):
                user_id = str(data["user"]["id"])
                profile = data["user"].get("profile")
            if isinstance(profile, dict) and "status_text" in profile:
                # The answer carries the profile: its status costs no second call this run.
                self._statuses[user_id] = _status_of(profile)
        self._emails[key] = user_id
        return user_id

    def presence(self, user_id: str) -> str | None:
        """Return "active" or "away"; None when the lookup fails (callers treat it as available)."""
        try:
            data = self._call("users.getPresence", {"user": user_id})
        except SlackError as err:
            self._safe_log(f"Slack presence of {user_id} unknown: {err}")
            return None
        presence = data.get("presence")
        return presence if presence in ("active", "away") else None

    def profile_status(self, user_id: str) -> dict[str, Any] | None:
        """Return a user's status (status_text, status_emoji, status_expiration) from
        users.profile.get (or the profile users.lookupByEmail already gave this run); None
        when the lookup fails (callers treat it as available)."""
        if user_id in self._statuses:
            return self._statuses[user_id]
        try:
            data = self._call("users.profile.get", {"user": user_id})
        except SlackError as err:
            self._safe_log(f"Slack status of {user_id} unknown: {err}")
            return None
        profile = data.get("profile")
        if not isinstance(profile, dict):
            return None
        return _status_of(profile)

    def dnd(self, user_id: str) -> dict[str, Any] | None:
        """Return a user's do-not-disturb answer (dnd.info); None when the lookup fails."""
        try:
            data = self._call("dnd.info", {"user": user_id})
        except SlackError as err:
            self._safe_log(f"Slack do-not-disturb of {user_id} unknown: {err}")
            return None
        return {k: v for k, v in data.items() if k != "ok"}

    def user_name(self, user_id: str) -> str | None:
        """Return a user's display name (or real name); None when the user does not exist."""
        if user_id in self._names:
            return self._names[user_id]
        try:
            data = self._call("users.info", {"user": user_id})
        except SlackError as err:
            if err.error not in ("user_not_found", "users_not_found"):
                raise
            name = None
        else:
            user: dict[str, Any] = data["user"] if isinstance(data.get("user"), dict) else {}
            profile: dict[str, Any] = (
                user["profile"] if isinstance(user.get("profile"), dict) else {}
            )
            candidates = (
                profile.get("display_name"),
                profile.get("real_name"),
                user.get("real_name"),
                user.get("name"),
            )
            name = next((str(c) for c in candidates if c), None)
        self._names[user_id] = name
        return name

    def auth_check(self) -> str:
        """Check the token with auth.test and return the bot's user id (cached)."""
        if self._bot_user_id is None:
            data = self._call("auth.test")
            user_id = data.get("user_id")
            if not user_id:
                raise SlackError("auth.test", "invalid_response", detail="no user_id in answer")
            self._bot_user_id = str(user_id)
        return self._bot_user_id

    # -- reading the channel back (docs/usage.md#slack-writes-back) ------------------------------

    def remember_bot(self, user_id: str) -> None:
        """Take the bot's user id from the record: saves an auth.test call per run."""
        self._bot_user_id = self._bot_user_id or user_id

    def history_since(
        self, channel: str, oldest: str, *, seen: str | None, max_pages: int = 50
    ) -> list[dict[str, Any]]:
        """Return messages after ``oldest`` (raw, newest first), paging on only while the
        page still holds messages newer than ``seen``: a run with nothing new reads one page
        (Slack answers newest first, https://docs.slack.dev/reference/methods/conversations.history).
        """
        out: list[dict[str, Any]] = []
        cursor: str | None = None
        self.pin_count = None
        for _ in range(max_pages):
            params: dict[str, Any] = {"channel": channel, "oldest": oldest, "limit": 200}
            if cursor:
                params["cursor"] = cursor
            data = self._call("conversations.history", params)
            with self._reading("conversations.history"):
                page = [m for m in data.get("messages") or [] if isinstance(m, dict)]
                cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
                if self.pin_count is None and isinstance(data.get("pin_count"), int):
                    # The channel's pin count (slack-sdk's ConversationsHistoryResponse has
                    # `pin_count`): unchanged, and pins.list can wait (slack_read.py).
                    self.pin_count = data["pin_count"]
            out += page
            last = str(page[-1].get("ts") or "") if page else ""
            if not cursor or not data.get("has_more", True) or not page:
                break
            if seen is not None and _ts_key(last) <= _ts_key(seen):
                break  # older pages hold nothing new
        return out

    def replies(self, channel: str, ts: str, oldest: str | None) -> list[dict[str, Any]]:
        """Return a thread's replies after ``oldest`` (the parent left out), oldest first."""
        out: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"channel": channel, "ts": ts, "limit": 200}
            if oldest:
                params["oldest"] = oldest
            if cursor:
                params["cursor"] = cursor
            data = self._call("conversations.replies", params)
            with self._reading("conversations.replies"):
                out += [
                    m
                    for m in data.get("messages") or []
                    if isinstance(m, dict) and m.get("ts") != ts
                ]
                cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor or not data.get("has_more", True):
                return out

    def pinned(self, channel: str) -> list[dict[str, Any]]:
        """Return the channel's pinned messages (pins.list items of type message)."""
        data = self._call("pins.list", {"channel": channel})
        with self._reading("pins.list"):
            return [
                item["message"]
                for item in data.get("items") or []
                if isinstance(item, dict) and isinstance(item.get("message"), dict)
            ]

    def member_ids(self, channel: str) -> list[str]:
        """Return the ids of the channel's members (conversations.members, paged)."""
        out: list[str] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"channel": channel, "limit": 200}
            if cursor:
                params["cursor"] = cursor
            data = self._call("conversations.members", params)
            with self._reading("conversations.members"):
                out += [str(u) for u in data.get("members") or []]
                cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return out

    def react(self, channel: str, ts: str, name: str) -> bool:
        """Add the bot's reaction; False when it was there already (``already_reacted``):
        two runs racing to claim a message, only one gets True."""
        try:
            self._call("reactions.add", {"channel": channel, "timestamp": ts, "name": name})
        except SlackError as err:
            if err.error in ("already_reacted", "message_not_found"):
                return False
            raise
        return True

    def unreact(self, channel: str, ts: str, name: str) -> None:
        """Take the bot's reaction back (gone already, or the message gone: fine)."""
        try:
            self._call("reactions.remove", {"channel": channel, "timestamp": ts, "name": name})
        except SlackError as err:
            if err.error not in ("no_reaction", "message_not_found"):
                raise

    # -- the live connection (docs/usage.md#live-slack) ---------------------------------

    def new_run(self) -> None:
        """Forget that Slack went silent in an earlier run: a live connection runs many."""
        self._unanswered = None

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> str:
        """Open a modal for the person who pressed or typed (views.open); return its id.

        The trigger id is good for 3 seconds ("trigger_id ... expires after 3 seconds",
        Slack's views.open reference): a late call fails with `expired_trigger_id`."""
        data = self._call("views.open", json={"trigger_id": trigger_id, "view": view})
        with self._reading("views.open"):
            return str((data.get("view") or {})["id"])

    def update_message(
        self, channel: str, ts: str, text: str, *, blocks: list[dict] | None = None
    ) -> None:
        """Replace one of the bot's own messages (chat.update): what a button did."""
        payload: dict[str, Any] = {
            "channel": channel,
            "ts": ts,
            "text": _truncate(text, MAX_MESSAGE_TEXT),
            "blocks": blocks or [],
            # chat.update's `parse` "defaults to `client`, unlike chat.postMessage" (Slack's
            # chat.update reference), which would show our own `<@U…>` as typed: `none`, as
            # chat.postMessage has it, and never `full`.
            "parse": "none",
        }
        self._call("chat.update", json=payload)

    def tell_privately(self, channel: str, user: str, text: str) -> None:
        """A message only `user` sees, in `channel` (chat.postEphemeral)."""
        payload = {"channel": channel, "user": user, "text": _truncate(text, MAX_MESSAGE_TEXT)}
        self._call("chat.postEphemeral", json=payload)


def _status_of(profile: dict[str, Any]) -> dict[str, Any]:
    return {
        "status_text": str(profile.get("status_text") or ""),
        "status_emoji": str(profile.get("status_emoji") or ""),
        "status_expiration": _int(profile.get("status_expiration")),
    }


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, micros = ts.partition(".")
    try:
        return int(seconds), int(micros or 0)
    except ValueError:
        return 0, 0


def _is_http_client_error(err: BaseException) -> bool:
    from http.client import HTTPException

    return isinstance(err, HTTPException)
