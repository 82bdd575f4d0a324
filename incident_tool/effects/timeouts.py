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
    if not raw:
        return DEFAULT_TIMEOUT
    if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 600):
        # Said, not ignored: a person who set it expects it to count.
        from incident_tool.errors import UsageError

        raise UsageError(
            f"INCIDENT_TOOL_TIMEOUT must be whole seconds from 1 to 600, not {raw[:20]!r}"
            f" (unset it for the default, {DEFAULT_TIMEOUT})"
        )
    return int(raw)
