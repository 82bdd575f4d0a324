"""How long the tool waits for GitHub and Slack: one place, for both clients.

GitHub ends a REST request that takes longer than 10 seconds ("Timeouts" in the REST API's
best practices), and Slack's Web API answers in well under that, so waiting longer only
means the server is not answering (paused, hung, or a black hole). With one retry, a hung
server gives a clear message within about twice this.
"""

from __future__ import annotations

import os

DEFAULT_TIMEOUT = 12


def http_timeout() -> int:
    """Return the connect and read timeout in whole seconds (PyGithub takes an int).

    INCIDENT_TOOL_TIMEOUT overrides it (tests use 1 s; a slow link may want more).
    """
    raw = os.environ.get("INCIDENT_TOOL_TIMEOUT", "").strip()
    value = int(raw) if raw.isdigit() else DEFAULT_TIMEOUT
    return value if 1 <= value <= 600 else DEFAULT_TIMEOUT
