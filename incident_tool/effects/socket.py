"""The live connection to Slack: Socket Mode, through slack-sdk's own client.

Slack gives a WebSocket URL for an app-level token (`apps.connections.open`; the token needs
`connections:write`) and sends envelopes on it; each must be acknowledged within 3 seconds
("Your app must respond ... within 3 seconds", Slack's Socket Mode guide), else Slack sends
it again. slack-sdk's builtin client keeps the socket: it pings, reconnects when the socket
drops and when Slack asks with a `disconnect` message (`refresh_requested`, `warning`), and
runs our handler on a pool of threads. The handler acknowledges first, then does the work:
what the acknowledgement carries (a modal's validation errors) is decided without a request.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

#: (acknowledgement payload or None, the work to do once acknowledged or None)
Handled = tuple[dict[str, Any] | None, Callable[[], None] | None]

WORKERS = 8  # interactions carried out at once (runs on one incident wait for each other)


class _OneLine(logging.Handler):
    """slack-sdk logs tracebacks for failures it recovers from; say them in one line."""

    def __init__(self, log: Callable[[str], None]) -> None:
        super().__init__(logging.WARNING)
        self.say = log

    def emit(self, record: logging.LogRecord) -> None:
        self.say(f"notice: Slack connection: {record.getMessage().splitlines()[0][:300]}")


class LiveConnection:
    """One Socket Mode connection; `on_envelope` decides each envelope's acknowledgement."""

    def __init__(
        self,
        app_token: str,
        base_url: str | None,
        on_envelope: Callable[[Mapping[str, Any]], Handled],
        log: Callable[[str], None],
    ) -> None:
        from slack_sdk import WebClient
        from slack_sdk.socket_mode.builtin import SocketModeClient

        logger = logging.getLogger("incident_tool.socket")
        logger.propagate = False
        logger.handlers = [_OneLine(log)]
        web = WebClient(base_url=base_url or "https://slack.com/api/", logger=logger)
        self._client = SocketModeClient(
            app_token=app_token,
            web_client=web,
            logger=logger,
            concurrency=WORKERS,
            ping_interval=2,  # a silent socket is found in ~5 pings: 10 s, not 25
        )
        self._client.socket_mode_request_listeners.append(self._receive)
        self._on_envelope = on_envelope
        self._log = log
        self.received = 0
        self._lock = threading.Lock()

    def connect(self) -> None:
        """Open the connection (asks Slack for a URL, then holds the socket)."""
        self._client.connect()

    @property
    def connected(self) -> bool:
        return bool(self._client.is_connected())

    def close(self, *, wait: bool = True) -> None:
        """Close the connection; `wait`: until the interactions in hand are done (SIGTERM),
        else in the background (a demo ending: its sandbox goes too)."""
        if wait:
            self._client.close()
            return
        self._client.auto_reconnect_enabled = False
        threading.Thread(target=self._client.close, daemon=True).start()

    def _receive(self, client: Any, request: Any) -> None:
        from slack_sdk.socket_mode.response import SocketModeResponse

        with self._lock:
            self.received += 1
        envelope = {"type": request.type, "envelope_id": request.envelope_id}
        envelope["payload"] = request.payload
        try:
            payload, work = self._on_envelope(envelope)
        except Exception as exc:
            self._log(f"warning: live: could not read an envelope: {type(exc).__name__}")
            payload, work = None, None
        client.send_socket_mode_response(
            SocketModeResponse(envelope_id=request.envelope_id, payload=payload)
        )
        if work is None:
            return
        try:
            work()
        except Exception as exc:
            self._log(f"warning: live: an interaction failed: {type(exc).__name__}: {exc}"[:300])
