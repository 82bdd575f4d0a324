"""`/handover @user`: `user` becomes the incident lead
(docs/usage.md#the-lead-availability-and-acknowledgement)."""

from __future__ import annotations

from incident_tool.core import ack as acknowledgement
from incident_tool.core import announce
from incident_tool.core.commands.base import (
    DONE,
    May,
    Refused,
    Result,
    Spec,
    is_lead,
    needs_active,
)
from incident_tool.core.commands.names import CommandName
from incident_tool.core.commands.parsing import Command, person
from incident_tool.core.model import Assign, CommentView, Context
from incident_tool.core.outbox import To
from incident_tool.core.wording import who

NEEDS_PERSON = "`/handover` needs a person: `/handover @login`"
CHANNEL_HANDOVER = ":handshake: {previous} handed the lead to {lead}."
ANNOUNCE_HANDOVER = ":handshake: {title} {link}: {lead} now leads (from {previous})."


def handle(ctx: Context, cmd: Command, comment: CommentView) -> Result:
    """Make `user` the only assignee and the lead; announce it everywhere."""
    author, target = comment.author, cmd.user or ""
    if refusal := needs_active(ctx, CommandName.HANDOVER):
        return refusal
    if target.lower().endswith("[bot]"):
        return Refused(f"`{target}` is a bot; a person must lead.")
    if is_lead(ctx, target):
        return Refused(f"{target} already leads this incident.")
    if not ctx.facts.assignable(target):
        return Refused(
            f"`{target}` is not a GitHub user who can be assigned in this repository "
            "(unknown user, or no access)."
        )
    previous = ctx.record.lead
    ctx.record.leads.append(target)
    # The new lead no longer "helps"; the one before keeps helping until they `/leave`.
    record = ctx.record
    record.helping = [x for x in record.helping if x.lower() != target.lower()]
    if previous and previous.lower() not in (x.lower() for x in record.helping):
        record.helping.append(previous)
        record.stopped = [x for x in record.stopped if x.lower() != previous.lower()]
    # Given in Slack: where it was said (the retrospective's "Where", the status's link).
    ctx.record.note(ctx.now, "handover", author, f"{previous or 'nobody'} → {target}", comment.ref)
    ctx.do(Assign((target,)))
    n = ctx.record.count("handover")
    announce.tell_both(
        ctx,
        f"handover:{n}",
        CHANNEL_HANDOVER.format(previous=who(previous), lead=who(target)),
        ANNOUNCE_HANDOVER.format(
            title=announce.public_title(ctx),
            link=announce.link(ctx),
            lead=who(target),
            previous=who(previous),
        ),
    )
    ctx.slack(f"invite:handover:{n}", To.INCIDENT, "", invite=[target])
    acknowledgement.handed_over(ctx, target, author)
    return DONE


SPEC = Spec(
    name=CommandName.HANDOVER,
    usage="/handover @user",
    may=May.LEAD_DM_OR_MAINTAINER,
    what="`user` becomes the incident lead (the only assignee); announced on the issue, "
    "in the incident channel and the announce channel; `user` is invited to the "
    "incident channel",
    parse=person(CommandName.HANDOVER, NEEDS_PERSON),
    handle=handle,
)
