"""A scripted Slack Web API server on loopback, for HTTP-level tests of incident_tool.effects.slack.

Like the mock server in slack-sdk's own test suite, it answers ``POST /api/<method>`` with
canned JSON, but the answers are scripted per test: a queue of replies per method, then a
default. Every request is recorded (method, parsed parameters, headers, arrival time) so tests
can inspect exactly what was sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "xoxb-test-SECRET-123"
BOT_USER_ID = "UBOT0001"


@dataclass
class Reply:
    """One scripted answer."""

    body: dict[str, Any] | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering
    raw: bytes | None = None  # send these bytes instead of JSON


@dataclass
class Recorded:
    """One request as the server saw it."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    raw_body: bytes
    at: float


Responder = Reply | dict | Callable[[Recorded], "Reply | dict"]


def ok(**fields: Any) -> dict[str, Any]:
    """Return a Slack success body."""
    return {"ok": True, **fields}


def error(code: str, **fields: Any) -> dict[str, Any]:
    """Return a Slack ``"ok": false`` body."""
    return {"ok": False, "error": code, **fields}


class SlackServer:
    """A ThreadingHTTPServer on 127.0.0.1 with an ephemeral port, scripted per Slack method."""

    def __init__(self, token: str | None = TOKEN, bot_user_id: str = BOT_USER_ID) -> None:
        self.token = token
        self.bot_user_id = bot_user_id
        self.requests: list[Recorded] = []
        self.unscripted: list[str] = []
        self._queues: dict[str, deque[Responder]] = defaultdict(deque)
        self._defaults: dict[str, Responder] = {
            "auth.test": ok(
                url="https://example.slack.com/",
                team="Example",
                user="incident-bot",
                team_id="T0EXAMPLE",
                user_id=bot_user_id,
                bot_id="B0EXAMPLE",
            )
        }
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- scripting ----------------------------------------------------------------------------

    def script(self, method: str, *replies: Responder) -> SlackServer:
        """Queue replies for a method; each is used once, in order."""
        with self._lock:
            self._queues[method].extend(replies)
        return self

    def always(self, method: str, reply: Responder) -> SlackServer:
        """Answer a method with this reply once its queue is empty."""
        with self._lock:
            self._defaults[method] = reply
        return self

    def calls(self, method: str | None = None) -> list[Recorded]:
        """Return the recorded requests, optionally only those of one method."""
        with self._lock:
            return [r for r in self.requests if method is None or r.method == method]

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/api/"

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> SlackServer:
        """Serve in a background thread."""
        # A short poll interval keeps stop() (and so each test's teardown) quick.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SlackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- serving ------------------------------------------------------------------------------

    def _answer(self, recorded: Recorded) -> Reply:
        with self._lock:
            self.requests.append(recorded)
            queue = self._queues.get(recorded.method)
            if queue:
                responder: Responder | None = queue.popleft()
            else:
                responder = self._defaults.get(recorded.method)
            if responder is None:
                self.unscripted.append(recorded.method)
        if self.token is not None:
            if recorded.headers.get("authorization") != f"Bearer {self.token}":
                return Reply(error("invalid_auth"))
        if responder is None:
            return Reply(error("unknown_method"))
        if callable(responder):
            responder = responder(recorded)
        return responder if isinstance(responder, Reply) else Reply(responder)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                recorded = Recorded(
                    method=urlsplit(self.path).path.rsplit("/", 1)[-1],
                    params=_parse(raw, self.headers.get("Content-Type") or ""),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    raw_body=raw,
                    at=time.monotonic(),
                )
                reply = server._answer(recorded)
                if reply.drop:
                    self.close_connection = True
                    return
                payload = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                """Keep test output clean."""

        return Handler


def _parse(raw: bytes, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    if "application/json" in content_type:
        parsed = json.loads(raw)
        return parsed if isinstance(parsed, dict) else {"_json": parsed}
    pairs = parse_qs(raw.decode("utf-8"), keep_blank_values=True)
    return {k: v[0] if len(v) == 1 else v for k, v in pairs.items()}
