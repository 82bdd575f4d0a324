"""How an incident is named in Slack, and told in its channel and the announce channel.

Below both `lifecycle` (the transitions) and `ack` (the lead's acknowledgement), which
both tell: neither imports the other for these.
"""

from __future__ import annotations

from incident_tool.core.model import Context
from incident_tool.core.outbox import To
from incident_tool.core.safe import slack as escape
from incident_tool.inbound.forms import packaged_title_prefix


def link(ctx: Context) -> str:
    return f"<{ctx.issue.url}|#{ctx.issue.number}>"


def public_title(ctx: Context) -> str:
    """The title as it may appear in public Slack channels (never for sensitive incidents):
    the one declared or `/retitle`d, not the issue's (its author may edit that), without
    the report form's title prefix."""
    if ctx.record.sensitive:
        return "a sensitive incident"
    title = ctx.record.public_title or ctx.issue.title
    return f"“{escape(without_form_prefix(title, ctx.config.title_prefix))}”"


def without_form_prefix(title: str, *prefixes: str) -> str:
    """`title` without the first of `prefixes` (the team's form's), or of the packaged
    form's, that it starts with: "[Incident]: " on every message says nothing. The issue's
    own title keeps it. A title that is only the prefix stays as it is."""
    for prefix in (*prefixes, packaged_title_prefix()):
        bare = prefix.strip()
        if bare and title.lstrip()[: len(bare)].lower() == bare.lower():
            rest = title.lstrip()[len(bare) :].strip()
            if rest:
                return rest
    return title


def tell_both(ctx: Context, key: str, in_channel: str, announced: str) -> None:
    """Tell the incident channel and the announce channel (keys `key`, `announce-key`)."""
    ctx.slack(key, To.INCIDENT, in_channel)
    ctx.slack(f"announce-{key}", To.ANNOUNCE, announced)
