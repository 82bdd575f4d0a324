"""`/severity <1-4>`: the one severity label."""

from __future__ import annotations

import re

from incident_tool.core.announce import link, public_title
from incident_tool.core.commands.base import DONE, May, Result, Spec, note_and_tell
from incident_tool.core.commands.names import CommandName
from incident_tool.core.commands.parsing import (
    Command,
    MalformedCommand,
    join_text,
    split_first_token,
)
from incident_tool.core.model import CommentView, Context, Labels
from incident_tool.core.outbox import To
from incident_tool.core.states import SEVERITY_PREFIX, State
from incident_tool.core.wording import who

USAGE = "`/severity` takes a number from 1 to 4 (1 is the worst): `/severity 2`"
CHANNEL_SEVERITY = ":thermometer: {who} set severity {level}."
ANNOUNCE_SEVERITY = ":thermometer: Severity {level} (1 is the worst): {title} {link}."

ACTIVE = (State.DECLARED, State.MITIGATED)
_SEVERITY_RE = re.compile(r"^(?:sev|s)?-?([1-4])[.,:;!]?$", re.IGNORECASE)


def parse(rest: str, following: str) -> Command | MalformedCommand:
    """Parse ``/severity <1-4> [text]``; ``sev2`` and ``S2`` are accepted too."""
    token, after = split_first_token(rest)
    match = _SEVERITY_RE.match(token)
    if match is None:
        return MalformedCommand(name=CommandName.SEVERITY.value, message=USAGE)
    return Command(
        name=CommandName.SEVERITY,
        severity=int(match.group(1)),
        text=join_text(after, following),
    )


def handle(ctx: Context, cmd: Command, comment: CommentView) -> Result:
    """Set the one severity label and announce it."""
    level = cmd.severity
    old = ctx.record.severity
    ctx.record.severity = level
    others = tuple(f"{SEVERITY_PREFIX}{n}" for n in (1, 2, 3, 4) if n != level)
    ctx.do(Labels(add=(f"{SEVERITY_PREFIX}{level}",), remove=others))
    told = CHANNEL_SEVERITY.format(who=who(comment.author), level=level)
    note_and_tell(ctx, comment, "severity", f"{old or '-'} → {level}", told)
    record = ctx.record
    if level != old and record.state in ACTIVE and not record.sensitive:
        # Stakeholders hear a change of an incident they were told of (docs/usage.md#states).
        announced = ANNOUNCE_SEVERITY.format(level=level, title=public_title(ctx), link=link(ctx))
        ctx.slack(f"announce-severity:{comment.id}", To.ANNOUNCE, announced, remember=False)
    return DONE


SPEC = Spec(
    name=CommandName.SEVERITY,
    usage="/severity <1-4>",
    may=May.LEAD_OR_DM,
    what=(
        "sets label `severity:<n>` (one at a time; 1 is the worst); a change is announced"
        " (not for a sensitive incident)"
    ),
    parse=parse,
    handle=handle,
)
