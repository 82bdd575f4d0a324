"""Slack's Socket Mode, served by the sandbox: a WebSocket server on loopback, stdlib only.

An app asks ``apps.connections.open`` (with its app-level ``xapp-`` token) for a URL, opens a
WebSocket to it and receives ``hello``, then envelopes (``events_api``, ``slash_commands``,
``interactive``) that it must acknowledge by ``envelope_id`` within 3 seconds
(https://docs.slack.dev/apis/events-api/using-socket-mode). :class:`SocketMode` is that
server: single-use tickets, the RFC 6455 handshake and framing (text frames both ways, the
client's masked; ping/pong; close), envelopes spread over the open connections, the
acknowledgements and their deadlines, retries, ``disconnect`` messages and dropped sockets.

Threads: one accepting, one watching deadlines, one reading each connection (at most
:data:`MAX_CONNECTIONS`, Slack's limit per app). :meth:`SocketMode.close` stops them all.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import logging
import secrets
import select
import socket
import struct
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("incident_sandbox")

# RFC 6455 section 1.3: the GUID the server appends to Sec-WebSocket-Key before hashing.
WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
# "Your app must respond with an acknowledgement within 3 seconds" (using-socket-mode).
ACK_TIMEOUT = 3.0
# The Events API retries a delivery it saw no acknowledgement for "up to 3 times", saying why
# in retry_attempt/retry_reason (https://docs.slack.dev/apis/events-api/#retries). Slash
# commands and interactions are not retried: the person sees an error instead.
MAX_RETRIES = 3
RETRIED_TYPES = {"events_api"}
# "You can have up to 10 simultaneous WebSocket connections" per app (using-socket-mode).
MAX_CONNECTIONS = 10
MAX_FRAME = 1 << 20  # the sandbox refuses frames beyond 1 MiB (acknowledgements are small)
DISCONNECT_REASONS = ("refresh_requested", "warning", "link_disabled")
HANDSHAKE_TIMEOUT = 2.0
# A connection that takes no bytes (or sends half a frame) for this long is given up: a
# stalled app must not stall the sandbox, which sends while holding the workspace's lock.
STALL_TIMEOUT = 5.0


class WebSocketClosed(Exception):
    """The peer went away, or broke the protocol (the connection is then closed)."""


def accept_key(key: str) -> str:
    """Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 section 4.2.2)."""
    digest = hashlib.sha1((key + WEBSOCKET_GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


def encode_frame(opcode: int, payload: bytes, *, mask: bool = False) -> bytes:
    """One final frame; a server's are unmasked, a client's masked (RFC 6455 section 5.1)."""
    head = bytes([0x80 | opcode])
    mask_bit = 0x80 if mask else 0
    length = len(payload)
    if length < 126:
        head += bytes([mask_bit | length])
    elif length < 1 << 16:
        head += bytes([mask_bit | 126]) + struct.pack("!H", length)
    else:
        head += bytes([mask_bit | 127]) + struct.pack("!Q", length)
    if not mask:
        return head + payload
    key = secrets.token_bytes(4)
    return head + key + _unmask(payload, key)


def _unmask(payload: bytes, key: bytes) -> bytes:
    whole = (key * (len(payload) // 4 + 1))[: len(payload)]
    return bytes(a ^ b for a, b in zip(payload, whole, strict=True))


def _read_exactly(sock: socket.socket, count: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < count:
        chunk = sock.recv(count - len(chunks))
        if not chunk:
            raise WebSocketClosed("connection closed by peer")
        chunks += chunk
    return bytes(chunks)


def read_frame(sock: socket.socket, *, require_mask: bool = True) -> tuple[bool, int, bytes]:
    """(fin, opcode, payload) of the next frame; a client's frames must be masked."""
    first, second = _read_exactly(sock, 2)
    fin, opcode = bool(first & 0x80), first & 0x0F
    masked, length = bool(second & 0x80), second & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", _read_exactly(sock, 2))
    elif length == 127:
        (length,) = struct.unpack("!Q", _read_exactly(sock, 8))
    if length > MAX_FRAME:
        raise WebSocketClosed(f"frame of {length} bytes")
    if require_mask and not masked:
        # "The server MUST close the connection upon receiving a frame that is not masked"
        # (RFC 6455 section 5.1).
        raise WebSocketClosed("unmasked frame from a client")
    key = _read_exactly(sock, 4) if masked else b""
    payload = _read_exactly(sock, length)
    return fin, opcode, _unmask(payload, key) if masked else payload


@dataclass
class Envelope:
    """One delivery of an envelope (a retry is a new delivery with a new envelope_id)."""

    envelope_id: str
    type: str
    payload: dict[str, Any]
    accepts_response_payload: bool
    retry_attempt: int = 0
    retry_reason: str = ""
    link_id: int | None = None
    sent_at: float = 0.0
    on_ack: Callable[[dict[str, Any] | None], None] | None = None
    on_timeout: Callable[[], None] | None = None

    def message(self) -> dict[str, Any]:
        """The JSON text Slack sends for it."""
        return {
            "envelope_id": self.envelope_id,
            "type": self.type,
            "payload": self.payload,
            "accepts_response_payload": self.accepts_response_payload,
            "retry_attempt": self.retry_attempt,
            "retry_reason": self.retry_reason,
        }


@dataclass
class Ack:
    """An acknowledgement the app sent."""

    envelope_id: str
    type: str
    retry_attempt: int
    payload: dict[str, Any] | None
    elapsed: float
    late: bool = False  # after its 3 s deadline (the envelope was already given up on)


@dataclass
class _Link:
    """One open WebSocket connection."""

    id: int
    sock: socket.socket
    send_lock: threading.Lock = field(default_factory=threading.Lock)
    open: bool = True
    received: list[dict[str, Any]] = field(default_factory=list)  # text messages, parsed

    def send(self, opcode: int, payload: bytes) -> bool:
        with self.send_lock:
            if not self.open:
                return False
            try:
                self.sock.sendall(encode_frame(opcode, payload))
            except OSError:
                self.open = False
                return False
            return True

    def send_json(self, message: dict[str, Any]) -> bool:
        return self.send(OP_TEXT, json.dumps(message).encode("utf-8"))

    def shut(self) -> None:
        """Close the TCP socket (no close frame)."""
        with self.send_lock:
            self.open = False
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class SocketMode:
    """The sandbox's Socket Mode server (``Sandbox.socket_mode``)."""

    def __init__(self, app_id: str, port: int = 0) -> None:
        self.app_id = app_id
        self._lock = threading.Condition()
        self._tickets: set[str] = set()
        self._links: dict[int, _Link] = {}
        self._link_ids = itertools.count(1)
        self._envelope_ids = itertools.count(1)
        self._turn = itertools.count()
        self._pending: dict[str, Envelope] = {}
        self._closing: list[tuple[float, int]] = []  # (when, link id): disconnect's grace
        self._stopped = threading.Event()
        self.sent: list[Envelope] = []  # every delivery, retries included
        self.acks: list[Ack] = []
        self.unacknowledged: list[Envelope] = []  # deliveries whose 3 s passed with no ack
        self.undelivered: list[Envelope] = []  # sent while no connection was open
        self.refused: list[str] = []  # handshakes refused, and why
        self.errors: list[str] = []  # sandbox bugs met while handling acknowledgements
        self.connections_opened = 0
        self.ack_timeout = ACK_TIMEOUT
        self._server = socket.create_server(("127.0.0.1", port), backlog=MAX_CONNECTIONS)
        # close() writes a byte here to wake the accepting thread at once (a select timeout
        # alone would cost every Sandbox.close() its poll interval).
        self._wake_reader, self._wake_writer = socket.socketpair()
        self.port: int = self._server.getsockname()[1]
        self._threads = [
            threading.Thread(target=self._accept_loop, name="sandbox-socket-accept", daemon=True),
            threading.Thread(target=self._watch_loop, name="sandbox-socket-watch", daemon=True),
        ]
        self._readers: list[threading.Thread] = []
        self._serving = 0  # connections being served (handshake to end): at most 10
        for thread in self._threads:
            thread.start()

    # ------------------------------------------------------------ tickets

    def new_url(self) -> str:
        """A WebSocket URL for one connection (apps.connections.open's answer).

        Each is a single-use ticket, as Slack's: "the URL is only valid for one connection;
        call apps.connections.open again for another"
        (https://docs.slack.dev/reference/methods/apps.connections.open).
        """
        ticket = secrets.token_urlsafe(12)
        with self._lock:
            self._tickets.add(ticket)
        return f"ws://127.0.0.1:{self.port}/link/?ticket={ticket}&app_id={self.app_id}"

    # ------------------------------------------------------------ state

    @property
    def connections(self) -> int:
        """How many connections are open."""
        with self._lock:
            return sum(1 for link in self._links.values() if link.open)

    def received(self) -> list[dict[str, Any]]:
        """Every JSON message the apps sent, over every connection, in order of arrival."""
        with self._lock:
            return [m for link_id in sorted(self._links) for m in self._links[link_id].received]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Wait until ``predicate()`` holds (checked at each change); False after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(min(left, 0.05))
            return True

    def ack_of(self, envelope_id: str) -> Ack | None:
        """The acknowledgement of a delivery, if it came."""
        with self._lock:
            return next((a for a in self.acks if a.envelope_id == envelope_id), None)

    # ------------------------------------------------------------ sending

    def send(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool = False,
        on_ack: Callable[[dict[str, Any] | None], None] | None = None,
        on_timeout: Callable[[], None] | None = None,
    ) -> Envelope | None:
        """Deliver an envelope on one open connection; None when none is open."""
        envelope = Envelope(
            self._new_envelope_id(),
            kind,
            payload,
            accepts_response_payload,
            on_ack=on_ack,
            on_timeout=on_timeout,
        )
        return envelope if self._deliver(envelope) else None

    def _new_envelope_id(self) -> str:
        return f"{next(self._envelope_ids):08d}-sand-box0-{secrets.token_hex(4)}"

    def _deliver(self, envelope: Envelope) -> bool:
        with self._lock:
            links = [link for link in self._links.values() if link.open]
            leaving = {link_id for _, link_id in self._closing}
            links = [link for link in links if link.id not in leaving] or links
            if not links:
                self.undelivered.append(envelope)
                self._lock.notify_all()
                return False
            # Slack spreads envelopes over an app's connections; round robin here.
            link = links[next(self._turn) % len(links)]
            envelope.link_id, envelope.sent_at = link.id, time.monotonic()
            self._pending[envelope.envelope_id] = envelope
            self.sent.append(envelope)
            self._lock.notify_all()
        if not link.send_json(envelope.message()):
            log.info("socket mode: connection %d gone while sending", link.id)
        return True

    def disconnect(self, reason: str = "refresh_requested", grace: float = 1.0) -> None:
        """Send ``disconnect`` on every connection, and (but for ``warning``) close each
        ``grace`` seconds later; meanwhile new envelopes go to other connections if any.

        Slack sends ``{"type": "disconnect", "reason": "warning"}`` ahead of a refresh, and
        ``refresh_requested`` (or ``link_disabled`` when Socket Mode is turned off) before
        closing the connection (https://docs.slack.dev/apis/events-api/using-socket-mode).
        """
        if reason not in DISCONNECT_REASONS:
            raise ValueError(f"reason must be one of {DISCONNECT_REASONS}, not {reason!r}")
        with self._lock:
            links = [link for link in self._links.values() if link.open]
            if reason != "warning":
                when = time.monotonic() + grace
                self._closing += [(when, link.id) for link in links]
        for link in links:
            link.send_json(
                {
                    "type": "disconnect",
                    "reason": reason,
                    "debug_info": {"host": f"sandbox-socket-{link.id}"},
                }
            )

    def drop(self) -> None:
        """Kill every connection's TCP socket, without a close frame (a network failure)."""
        with self._lock:
            links = [link for link in self._links.values() if link.open]
        for link in links:
            link.shut()

    def close(self) -> None:
        """Stop accepting, close every connection, and join every thread."""
        self._stopped.set()
        self._wake_writer.send(b"x")
        with self._lock:
            links = list(self._links.values())
            readers = list(self._readers)
        for link in links:
            link.send(OP_CLOSE, struct.pack("!H", 1001))  # "going away"
            link.shut()
        for thread in [*self._threads, *readers]:
            thread.join(timeout=5)
        self._server.close()
        self._wake_reader.close()
        self._wake_writer.close()

    # ------------------------------------------------------------ threads

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            ready, _, _ = select.select([self._server, self._wake_reader], [], [], 1.0)
            if self._server not in ready:
                continue
            try:
                sock, _ = self._server.accept()
            except OSError:
                continue
            with self._lock:
                self._readers = [t for t in self._readers if t.is_alive()]
                full = self._serving >= MAX_CONNECTIONS
                if not full:
                    self._serving += 1
                    reader = threading.Thread(
                        target=self._serve, args=(sock,), name="sandbox-socket-link", daemon=True
                    )
                    self._readers.append(reader)
            if full:
                self._refuse(sock, "429 Too Many Requests", "more than 10 connections")
                continue
            reader.start()

    def _watch_loop(self) -> None:
        while not self._stopped.wait(0.02):
            now = time.monotonic()
            with self._lock:
                late = [e for e in self._pending.values() if now - e.sent_at > self.ack_timeout]
                for envelope in late:
                    del self._pending[envelope.envelope_id]
                    self.unacknowledged.append(envelope)
                due = [link_id for when, link_id in self._closing if when <= now]
                self._closing = [(w, i) for w, i in self._closing if w > now]
                closing = [self._links[i] for i in due if i in self._links]
                if late or due:
                    self._lock.notify_all()
            for envelope in late:
                self._timed_out(envelope)
            for link in closing:
                link.send(OP_CLOSE, struct.pack("!H", 1000))
                link.shut()

    def _timed_out(self, envelope: Envelope) -> None:
        log.info("socket mode: %s %s not acknowledged", envelope.type, envelope.envelope_id)
        if envelope.type in RETRIED_TYPES and envelope.retry_attempt < MAX_RETRIES:
            retry = Envelope(
                self._new_envelope_id(),
                envelope.type,
                envelope.payload,
                envelope.accepts_response_payload,
                envelope.retry_attempt + 1,
                "timeout",
                on_ack=envelope.on_ack,
                on_timeout=envelope.on_timeout,
            )
            self._deliver(retry)
        elif envelope.on_timeout is not None:
            self._call(envelope.on_timeout)

    # ------------------------------------------------------------ one connection

    def _serve(self, sock: socket.socket) -> None:
        link: _Link | None = None
        try:
            link = self._open_link(sock)
            if link is not None:
                self._read_loop(link)
        except (WebSocketClosed, OSError, ValueError) as exc:
            log.debug("socket mode: a connection ended: %s", exc)
        finally:
            # Counted out before the link shows closed: whoever sees no connection open can
            # open the next one at once.
            with self._lock:
                self._serving -= 1
            if link is not None:
                link.shut()
            with self._lock:
                self._lock.notify_all()

    def _open_link(self, sock: socket.socket) -> _Link | None:
        """The handshake, then ``hello``: the new connection, or None when refused."""
        try:
            if not self._handshake(sock):
                return None
        except (OSError, ValueError) as exc:
            self._refuse(sock, "400 Bad Request", f"handshake failed: {exc}")
            return None
        with self._lock:
            link = _Link(next(self._link_ids), sock)
            self._links[link.id] = link
            self.connections_opened += 1
            count = sum(1 for each in self._links.values() if each.open)
            self._lock.notify_all()
        link.send_json(
            {
                "type": "hello",
                "num_connections": count,
                "debug_info": {
                    "host": f"sandbox-socket-{link.id}",
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": self.app_id},
            }
        )
        return link

    def _handshake(self, sock: socket.socket) -> bool:
        sock.settimeout(HANDSHAKE_TIMEOUT)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk or len(data) > 16384:
                raise ValueError("no complete request")
            data += chunk
        lines = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        _, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
        ticket = (query.get("ticket") or [""])[0]
        with self._lock:
            known = ticket in self._tickets
            self._tickets.discard(ticket)  # single use, whatever happens next
        if not known:
            self._refuse(sock, "401 Unauthorized", f"unknown or used ticket {ticket!r}")
            return False
        if (
            headers.get("upgrade", "").lower() != "websocket"
            or headers.get("sec-websocket-version") != "13"
            or not headers.get("sec-websocket-key")
        ):
            self._refuse(sock, "400 Bad Request", "not a WebSocket upgrade (RFC 6455 4.1)")
            return False
        sock.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\n"
                "Upgrade: websocket\r\n"
                "Connection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {accept_key(headers['sec-websocket-key'])}\r\n\r\n"
            ).encode("ascii")
        )
        sock.settimeout(STALL_TIMEOUT)
        return True

    def _refuse(self, sock: socket.socket, status: str, why: str) -> None:
        with self._lock:
            self.refused.append(why)
            self._lock.notify_all()
        try:
            sock.sendall(f"HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n".encode("ascii"))
        except OSError:
            pass
        sock.close()

    def _read_loop(self, link: _Link) -> None:
        message = b""
        while link.open and not self._stopped.is_set():
            ready, _, _ = select.select([link.sock], [], [], 0.2)
            if not ready:
                continue
            fin, opcode, payload = read_frame(link.sock)
            if opcode == OP_PING:
                link.send(OP_PONG, payload)
            elif opcode == OP_CLOSE:
                link.send(OP_CLOSE, payload[:2])
                return
            elif opcode in (OP_TEXT, OP_CONTINUATION):
                message += payload
                if fin:
                    self._on_text(link, message)
                    message = b""
            elif opcode != OP_PONG:
                raise WebSocketClosed(f"unexpected opcode {opcode}")

    def _on_text(self, link: _Link, text: bytes) -> None:
        data = json.loads(text.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("a message that is not a JSON object")
        with self._lock:
            link.received.append(data)
            envelope_id = str(data.get("envelope_id", ""))
            envelope = self._pending.pop(envelope_id, None)
            given_up = next((e for e in self.unacknowledged if e.envelope_id == envelope_id), None)
            delivery = envelope or given_up
            if delivery is not None:
                payload = data.get("payload")
                self.acks.append(
                    Ack(
                        envelope_id,
                        delivery.type,
                        delivery.retry_attempt,
                        payload if isinstance(payload, dict) else None,
                        time.monotonic() - delivery.sent_at,
                        late=envelope is None,
                    )
                )
            self._lock.notify_all()
        if envelope is not None and envelope.on_ack is not None:
            payload = data.get("payload")
            on_ack = envelope.on_ack
            self._call(lambda: on_ack(payload if isinstance(payload, dict) else None))

    def _call(self, callback: Callable[[], None]) -> None:
        """Run what an ack or a timeout does; a sandbox bug there is logged and recorded
        (``errors``), and the connection goes on."""
        try:
            callback()
        except Exception as exc:
            log.exception("socket mode: handling an acknowledgement failed")
            with self._lock:
                self.errors.append(f"{type(exc).__name__}: {exc}")
