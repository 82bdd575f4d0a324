"""How an incident is named in Slack, and told in its channel and the announce channel.

Below both `lifecycle` (the transitions) and `ack` (the lead's acknowledgement), which
both tell: neither imports the other for these.
"""

from __future__ import annotations

from incident_tool.core.model import Context
from incident_tool.core.outbox import To
from incident_tool.core.safe import slack as escape


def link(ctx: Context) -> str:
    return f"<{ctx.issue.url}|#{ctx.issue.number}>"


def public_title(ctx: Context) -> str:
    """The title as it may appear in public Slack channels (never for sensitive incidents):
    the one declared or `/retitle`d, not the issue's (its author may edit that)."""
    if ctx.record.sensitive:
        return "a sensitive incident"
    return f"“{escape(ctx.record.public_title or ctx.issue.title)}”"


def tell_both(ctx: Context, key: str, in_channel: str, announced: str) -> None:
    """Tell the incident channel and the announce channel (keys `key`, `announce-key`)."""
    ctx.slack(key, To.INCIDENT, in_channel)
    ctx.slack(f"announce-{key}", To.ANNOUNCE, announced)
