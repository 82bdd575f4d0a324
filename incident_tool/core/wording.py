"""Every comment the bot posts, as module constants carrying `<!-- marker -->`s.

A marker names the cause of a comment (`reply:<comment id>`, `declared`, ...), so a re-run
finds the comment it already posted instead of posting it twice.
"""

from __future__ import annotations

import re

from incident_tool.core import safe

MARKER = "<!-- incident-tool:{key} -->"
_MARKER_RE = re.compile(r"<!-- incident-tool:([^ ]+) -->")


def marker(key: str) -> str:
    return MARKER.format(key=key)


def marker_keys(body: str | None) -> list[str]:
    """Return the marker keys in a comment body."""
    return _MARKER_RE.findall(body or "")


def user_text(text: str, *, inline: bool = False) -> str:
    """Make user-written text safe to quote in a bot comment (see `safe.markdown`).

    It must not ping anyone (`@team`), open HTML, load an image, hide its direction, or
    break a table: the bot's comments speak with the bot's voice, so user text is data.
    """
    return safe.markdown(text, inline=inline)


def person(login: str | None) -> str:
    """Name a GitHub user without pinging them (a profile link)."""
    if not login:
        return "nobody"
    return f"[{login}](https://github.com/{login})"


def mention(login: str) -> str:
    """Ping a GitHub user: used only where the protocol asks someone to act."""
    return f"@{login}"


def mentions(logins: list[str] | tuple[str, ...]) -> str:
    return ", ".join(mention(x) for x in logins) if logins else "(no delivery managers configured)"


REPORTED = """{marker}
📣 **Potential incident reported** by {reporter}.

{dms}: please assess it. Add the label `incident:declared` to declare it (the tool picks a lead
and opens the Slack channel), or say `/dismiss <reason>` if it is not an incident.
{missing}"""

SELF_DECLARED = """{marker}
⚠️ {declarer} declared this incident without a delivery manager.

{dms}: per the protocol you are being told; please check and agree to continue
(or say `/dismiss <reason>`)."""

CONFIRM_RESOLUTION = """{marker}
✅ {closer} resolved this incident. {dms}: please confirm. If it is not resolved, reopen the
issue; the incident goes back to `incident:declared`."""

REFUSED = """{marker}
🚫 {reason}"""

STATUS_HERE = """{marker}
📋 The current status is in the status comment near the top of this issue (there is no
incident channel to post it to)."""

HELP = """{marker}
**incident-tool commands** (write one on the first line of a comment):

{table}"""

UNDONE = """{marker}
🚫 {change} by {actor} was undone: only {who} may {what}. The incident stays `{state}`."""

TRANSITION_REFUSED = """{marker}
🚫 `{label}` can't be applied here: {reason} The label was put back to `{previous}`."""

RETRO_LINK = """{marker}
📝 Retrospective: #{number}"""

INVITED = """{marker}
👋 {who}, {inviter} asks for your help with this incident{why}"""

REMINDER_TRIAGE = """{marker}
⏰ {dms}: this report has waited {minutes} minutes for a decision. Declare it
(`incident:declared`) or say `/dismiss <reason>`."""

REMINDER_UPDATE = """{marker}
⏰ {lead}: no `/update` for {minutes} minutes. Post one (or `/snooze 30m`)."""
