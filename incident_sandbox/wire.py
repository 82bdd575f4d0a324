"""Transport-neutral request and response values shared by the sandbox services."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Request:
    """One HTTP request as the sandbox services see it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]
    body: bytes = b""

    @classmethod
    def from_target(
        cls, method: str, target: str, headers: Mapping[str, str], body: bytes = b""
    ) -> Request:
        """Build from a request target such as ``/repos/o/r/issues?state=all``."""
        path, _, query = target.partition("?")
        return cls(
            method=method.upper(),
            path=path,
            query=urllib.parse.parse_qs(query, keep_blank_values=True),
            headers=headers,
            body=body,
        )

    def header(self, name: str) -> str | None:
        """A header value, matched case-insensitively."""
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The last value of a query parameter."""
        values = self.query.get(name)
        return values[-1] if values else default

    def flat_query(self) -> dict[str, Any]:
        """Query parameters as a dict: a string per name, a list when repeated."""
        return {k: v[0] if len(v) == 1 else list(v) for k, v in self.query.items()}


@dataclass
class Response:
    """An HTTP response: status, JSON-able body (None: empty) and headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        """The body as bytes (JSON unless already bytes)."""
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode("utf-8")
