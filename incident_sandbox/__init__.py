"""A stateful GitHub + Slack double, served over HTTP on loopback.

The tool's production code talks to it exactly as to the real services: only the base
URLs differ (``GITHUB_API_URL``, ``SLACK_API_URL``). Used by ``incident-tool demo``, the
end-to-end tests and the reliability tests (fault injection)::

    from incident_sandbox import Sandbox

    with Sandbox() as sb:
        sb.github.add_repo("wellcome/platform")
        token = sb.github.add_user("alice")
        ...  # Github(base_url=sb.github_url, ...), WebClient(base_url=sb.slack_url, ...)

Standard library only.
"""

from incident_sandbox.demo_seed import seed_demo
from incident_sandbox.faults import Fault, Faults
from incident_sandbox.github import GitHub, SandboxGitHubError
from incident_sandbox.server import RequestRecord, Sandbox
from incident_sandbox.slack import Slack

__all__ = [
    "Fault",
    "Faults",
    "GitHub",
    "SandboxGitHubError",
    "RequestRecord",
    "Sandbox",
    "Slack",
    "seed_demo",
    "serve",
]


def serve(port: int = 8765, events_dir: str | None = None) -> None:
    """Seed the demo team and serve until interrupted (see ``python -m incident_sandbox``)."""
    from incident_sandbox.__main__ import serve as _serve

    _serve(port, events_dir)
