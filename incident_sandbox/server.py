"""The sandbox's HTTP servers: GitHub and Slack doubles on loopback, with fault injection.

:class:`Sandbox` starts two ``ThreadingHTTPServer`` instances on 127.0.0.1 (ports chosen
by the OS unless given), one per service. Every request is validated against the
documented API (undocumented ones are recorded in :attr:`Sandbox.violations`), may be
faulted (:attr:`Sandbox.faults`), is answered from the shared state, and is logged in
:attr:`Sandbox.requests`. Slack's Socket Mode is :attr:`Sandbox.socket_mode`
(``incident_sandbox.socket_mode``), reached through ``apps.connections.open``.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Protocol

from incident_sandbox import (
    github_changes,  # noqa: F401  (registers its endpoints)
    github_edits,  # noqa: F401  (registers its query)
    github_moderation,  # noqa: F401  (registers its endpoints)
)
from incident_sandbox.faults import Fault, Faults
from incident_sandbox.github import GitHub
from incident_sandbox.github_routes import GithubService
from incident_sandbox.openapi import github_endpoints, slack_methods
from incident_sandbox.slack import Slack, SlackService, ratelimited_response
from incident_sandbox.socket_mode import SocketMode
from incident_sandbox.wire import Request, Response

log = logging.getLogger("incident_sandbox")


@dataclass
class RequestRecord:
    """One request the sandbox answered."""

    service: str
    method: str
    path: str
    query: dict[str, Any]
    status: int
    body: Any
    response: Any
    elapsed: float
    time: float
    faulted: bool = False
    started: float = 0.0  # wall clock (time.time()) when the request arrived; `time` is its end

    @property
    def json(self) -> Any:
        """The request body as parsed JSON (GitHub) or arguments (Slack)."""
        return self.body


class _Service(Protocol):
    def prepare(self, request: Request) -> Any: ...

    def execute(self, call: Any) -> Response: ...


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # the default 5 stalls concurrent clients for a 1 s SYN retry

    def __init__(self, port: int, dispatch: Callable[[Request], Response]) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.dispatch = dispatch

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (it timed out, or was stopped) is no error of ours:
        socketserver would print a traceback to the console of `demo --serve`."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no 40 ms delayed-ACK stalls on keep-alive connections
    server: _Server

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request.from_target(self.command, self.path, dict(self.headers.items()), body)
        try:
            response = self.server.dispatch(request)
        except Exception:  # a sandbox bug: answer 500 and say so, never hang the client
            log.exception("sandbox error answering %s %s", self.command, self.path)
            response = Response(500, {"message": "sandbox internal error (see log)"})
        payload = response.encode()
        self.send_response(response.status)
        headers = {k.lower(): v for k, v in response.headers.items()}
        for key, value in response.headers.items():
            self.send_header(key, value)
        if "content-type" not in headers and payload:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the console quiet; requests are in ``Sandbox.requests``."""


class Sandbox:
    """A stateful GitHub + Slack double served over HTTP on 127.0.0.1.

    Use as a context manager (``with Sandbox() as sb:``); the servers start on
    construction and stop on exit (or :meth:`close`). ``clock`` (a callable returning an
    aware ``datetime``) replaces the wall clock for timestamps on both services.
    """

    def __init__(
        self,
        github_port: int = 0,
        slack_port: int = 0,
        *,
        clock: Callable[[], datetime] | None = None,
        latency: dict[str, float] | None = None,
    ) -> None:
        self.github = GitHub(clock)
        # Seconds added to every request of a service ("github", "slack"): a runner's round
        # trip. Slept outside the state's lock, so requests made at once overlap as they would.
        self.latency: dict[str, float] = dict(latency or {})
        self.slack = Slack(clock)
        self.faults = Faults()
        self._log_lock = threading.Lock()
        self._requests: list[RequestRecord] = []
        self._violations: list[str] = []
        self._services: dict[str, _Service] = {
            "github": GithubService(self.github, github_endpoints(), self._violation),
            "slack": SlackService(self.slack, slack_methods(), self._violation),
        }
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        self.socket_mode: SocketMode | None = None
        try:
            gh_server = self._start(github_port, "github")
            sl_server = self._start(slack_port, "slack")
            # Slack's Socket Mode: apps.connections.open hands out ws:// URLs to this server.
            self.socket_mode = SocketMode(self.slack.app_id)
            self.slack.socket = self.socket_mode
        except BaseException:
            self.close()
            raise
        self.github_url = f"http://127.0.0.1:{gh_server.server_address[1]}"
        self.slack_url = f"http://127.0.0.1:{sl_server.server_address[1]}/api/"
        self.github.base_url = self.github_url
        self.slack.base_url = self.slack_url

    def _start(self, port: int, service: str) -> _Server:
        server = _Server(port, lambda request: self._dispatch(service, request))
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=f"sandbox-{service}",
            daemon=True,
        )
        thread.start()
        self._servers.append(server)
        self._threads.append(thread)
        return server

    # ------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Stop both servers and the Socket Mode server."""
        if self.socket_mode is not None:
            self.socket_mode.close()
            self.socket_mode = None
        stoppers = [threading.Thread(target=server.shutdown) for server in self._servers]
        for stopper in stoppers:  # in parallel: each waits for its poll loop to notice
            stopper.start()
        for stopper in stoppers:
            stopper.join()
        for server in self._servers:
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------ recording

    @property
    def requests(self) -> list[RequestRecord]:
        """Every answered request since the last :meth:`reset_log`, in order."""
        with self._log_lock:
            return list(self._requests)

    @property
    def violations(self) -> list[str]:
        """Every undocumented request seen since the last :meth:`reset_log`."""
        with self._log_lock:
            return list(self._violations)

    def reset_log(self) -> None:
        """Forget recorded requests and violations (state and faults are kept)."""
        with self._log_lock:
            self._requests.clear()
            self._violations.clear()

    def _violation(self, message: str) -> None:
        log.warning("sandbox violation: %s", message)
        with self._log_lock:
            self._violations.append(message)

    # ------------------------------------------------------------- dispatch

    def _dispatch(self, service: str, request: Request) -> Response:
        started = time.monotonic()
        arrived = time.time()
        if self.latency.get(service):
            time.sleep(self.latency[service])
        svc = self._services[service]
        prepared = svc.prepare(request)
        fault: Fault | None = None
        if isinstance(prepared, Response):
            response = prepared
        else:
            fault = self.faults.take(service, request.method, request.path)
            if fault is not None and fault.delay:
                time.sleep(fault.delay)
            if fault is not None and fault.answers:
                if fault.perform_write:
                    svc.execute(prepared)
                response = _fault_response(service, fault)
                if service == "github":
                    # A secondary limit comes with the token's primary headers (remaining
                    # not 0: that is how it is told from the primary limit).
                    github = self._services["github"]
                    assert isinstance(github, GithubService)
                    response.headers.update(github.rate_headers(prepared.actor))
            else:
                response = svc.execute(prepared)
        self._record(service, request, response, (started, arrived), fault is not None)
        return response

    def _record(
        self,
        service: str,
        request: Request,
        response: Response,
        started: tuple[float, float],
        faulted: bool,
    ) -> None:
        """Log a request; `started` is its arrival on the monotonic and the wall clock."""
        if service == "slack":
            try:
                body: Any = SlackService.parse_args(request)
                body.pop("token", None)
            except Exception:
                body = request.body
        else:
            body = _json_or_raw(request.body)
        record = RequestRecord(
            service=service,
            method=request.method,
            path=request.path,
            query=request.flat_query(),
            status=response.status,
            body=body,
            response=response.body if not isinstance(response.body, bytes) else None,
            elapsed=time.monotonic() - started[0],
            time=time.time(),
            faulted=faulted,
            started=started[1],
        )
        with self._log_lock:
            self._requests.append(record)


def _json_or_raw(body: bytes) -> Any:
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body


def _fault_response(service: str, fault: Fault) -> Response:
    headers = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = str(fault.retry_after)
    if service == "slack":
        if fault.status == 429:
            return ratelimited_response(fault.retry_after)
        if fault.status is None:
            return Response(200, {"ok": False, "error": fault.slack_error}, headers)
        error = fault.slack_error or "fatal_error"
        return Response(fault.status, {"ok": False, "error": error}, headers)
    status = fault.status or 502
    # GitHub's secondary limit answers 403 or 429 with this message (GitHub's "Rate limits
    # for the REST API"; the text PyGithub's Requester.isSecondaryRateLimitError matches).
    secondary = (
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
    )
    messages = {403: secondary, 429: secondary}
    message = messages.get(status, f"Server Error (sandbox fault {status})")
    return Response(
        status,
        {"message": message, "documentation_url": "https://docs.github.com/rest"},
        headers,
    )
