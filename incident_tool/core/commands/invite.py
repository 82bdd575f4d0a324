"""`/invite @user [why]`: pull someone in."""

from __future__ import annotations

from incident_tool.core import announce, wording
from incident_tool.core.commands.base import DONE, May, PartlyDone, Refused, Result, Spec
from incident_tool.core.commands.names import CommandName
from incident_tool.core.commands.parsing import Command, person
from incident_tool.core.model import Comment, CommentView, Context, role_at_least
from incident_tool.core.outbox import To
from incident_tool.core.safe import slack as escape
from incident_tool.core.wording import who

NEEDS_PERSON = "`/invite` needs a person: `/invite @login [why]`"
INVITED = """{marker}
👋 {who}, {inviter} asks for your help with this incident{why}"""
NOT_DONE = "\n\n⚠️ Not done: {what}."
DM_INVITED = ":wave: {inviter} asks for your help with {title} {link}{reason}. Channel: <channel>"


def missed_on_slack(ctx: Context, target: str) -> tuple[str, ...]:
    """What an invitation cannot do for `target`: nothing, or its Slack part (and why)."""
    if not ctx.slack_enabled:
        return ("Slack is off (no `SLACK_BOT_TOKEN`): no channel invitation, no DM",)
    if not ctx.facts.on_slack(target):
        return (
            f"`{target}` cannot be reached on Slack (set `people.{target}.slack` or "
            "`.email` in `.github/incident.yml`): not invited to the channel, no DM sent",
        )
    return ()


def handle(ctx: Context, cmd: Command, comment: CommentView) -> Result:
    """Pull someone in: mention them with the reason, invite them to the channel, DM them."""
    target = cmd.user or ""
    if target.lower().endswith("[bot]"):
        return Refused(f"`{target}` is a bot.")
    # Anyone who can read the issue can help; leading needs more (see /handover).
    if not role_at_least(ctx.facts.role(target), "read"):
        return Refused(f"`{target}` is not a GitHub user with access to this repository.")
    why = f": {wording.user_text(cmd.text, inline=True)}" if cmd.text else "."
    key = f"invite:{comment.id}"
    # 👍 only when everything promised happens; otherwise the reply says what did not.
    missed = missed_on_slack(ctx, target)
    body = INVITED.format(
        marker=wording.marker(key),
        who=wording.mention(target),
        inviter=wording.person(comment.author),
        why=why,
    )
    ctx.do(Comment(key, body + "".join(NOT_DONE.format(what=m) for m in missed), remember=False))
    ctx.record.note(ctx.now, "invite", comment.author, f"{target}: {cmd.text}".strip(": "))
    if missed:
        ctx.notices.append(f"/invite {target}: " + "; ".join(missed))
        return PartlyDone(missed)
    ctx.slack(f"invite-user:{comment.id}", To.INCIDENT, "", invite=[target], remember=False)
    reason = f" ({escape(cmd.text)})" if cmd.text and not ctx.record.sensitive else ""
    dm = DM_INVITED.format(
        inviter=who(comment.author),
        title=announce.public_title(ctx),
        link=announce.link(ctx),
        reason=reason,
    )
    ctx.slack(f"dm-invite:{comment.id}", To.DM, dm, remember=False, login=target)
    return DONE


SPEC = Spec(
    name=CommandName.INVITE,
    usage="/invite @user [why]",
    may=May.LEAD_OR_DM,
    what="pulls someone in: mentioned on the issue with the reason, invited to the incident "
    "channel, sent a Slack direct message",
    parse=person(CommandName.INVITE, NEEDS_PERSON),
    handle=handle,
)
