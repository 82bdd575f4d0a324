"""Handle comments: run commands (docs/usage.md#commands) or mirror the comment to the incident
channel.

`issue_comment.created` is not routed one comment at a time: every run reconciles all
comments posted after the last one the record has seen, so a command whose own run was
cancelled by the concurrency group is still carried out, exactly once
(docs/architecture.md#how-it-works).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from incident_tool.core import ack as acknowledgement
from incident_tool.core import followups, lifecycle, safe, trust, wording
from incident_tool.core.model import (
    Assign,
    Comment,
    CommentView,
    Context,
    Labels,
    React,
    role_at_least,
)
from incident_tool.core.outbox import To
from incident_tool.core.record import Entry, iso, parse_time
from incident_tool.core.safe import slack as escape
from incident_tool.core.states import SEVERITY_PREFIX, State
from incident_tool.core.wording import who
from incident_tool.inbound.commands import (
    COMMAND_TABLE,
    Command,
    CommandName,
    MalformedCommand,
    May,
    help_text,
    owner_word,
    parse_command,
)

Refusal = str | None
# A handler's answer when it did part of what it promised and said so in its own reply.
NOT_ALL_DONE = "\x00not all done"
CommandHandler = Callable[[Context, Command, CommentView], Refusal]
Permission = Callable[[Context, str], str | None]  # None: allowed; else who may
_COMMANDS: dict[CommandName, CommandHandler] = {}


def command(name: CommandName) -> Callable[[CommandHandler], CommandHandler]:
    """Register a command handler; who may use it is the command table's
    (`incident_tool.inbound.commands.COMMAND_TABLE`), checked by `PERMISSIONS`."""

    def add(func: CommandHandler) -> CommandHandler:
        _COMMANDS[name] = func
        return func

    return add


def anchor(comment: CommentView) -> str:
    """Where a comment is, relative to the issue (short: the record must stay small); a
    command given in Slack is where it was said (its permalink)."""
    return comment.ref or f"#issuecomment-{comment.id}"


def is_bot_comment(comment: CommentView) -> bool:
    return (
        comment.author_is_bot
        or comment.author.endswith("[bot]")
        or bool(wording.marker_keys(comment.body))
    )


def process_new_comments(ctx: Context, comments: list[CommentView]) -> int:
    """Carry out commands (and mirror plain comments) newer than the record's last seen one."""
    handled = 0
    for comment in sorted(comments, key=lambda c: c.id):
        if comment.id <= ctx.record.last_comment_id:
            continue
        if is_bot_comment(comment):
            continue  # never a command, so no need to record it as seen (saves a write)
        ctx.record.last_comment_id = comment.id
        if comment.edited:
            # Only the text as first posted counts: an edit into a command is never run.
            continue
        # The timeline says when it was said, not when a (perhaps later) run read it.
        with ctx.at(comment.created_at):
            handled += handle_comment(ctx, comment)
    return handled


def handle_comment(ctx: Context, comment: CommentView) -> int:
    parsed = parse_command(comment.body)
    if parsed is None:
        mirror(ctx, comment)
        return 0
    if not trust.may_answer(ctx, comment.author):
        # Someone without triage access was answered on this issue within the hour: their
        # command is counted, not answered (docs/usage.md#people-without-triage-access).
        ctx.record.unanswered += 1
        ctx.notices.append(f"not answered: {comment.author} was answered within the hour")
        return 1
    if isinstance(parsed, MalformedCommand):
        refuse(ctx, comment, parsed.message)
        return 1
    refusal = run_command(ctx, parsed, comment)
    if refusal is NOT_ALL_DONE:
        pass  # the handler replied with what could not be done: no 👍
    elif refusal:
        refuse(ctx, comment, refusal)
    else:
        ctx.do(React(comment.id))
    return 1


def run_command(ctx: Context, parsed: Command, comment: CommentView) -> Refusal:
    """Check who may, then carry out: the one path for commands from GitHub and Slack."""
    handler = _COMMANDS[parsed.name]
    allowed = PERMISSIONS[COMMAND_TABLE[parsed.name].may]
    who_may = allowed(ctx, comment.author) if allowed else None
    if who_may:
        return f"Only {who_may} may use `/{parsed.name.value}`."
    return handler(ctx, parsed, comment)


def refuse(ctx: Context, comment: CommentView, reason: str) -> None:
    key = f"reply:{comment.id}"
    # Reasons can quote bits of the command (a word, a login): never a direction trick.
    body = wording.REFUSED.format(marker=wording.marker(key), reason=safe.plain(reason))
    ctx.do(Comment(key, body, remember=False))
    ctx.notices.append(f"refused a command by {comment.author}: {reason}")


def mirror(ctx: Context, comment: CommentView) -> None:
    record = ctx.record
    if not ctx.config.slack.mirror_comments or record.state is None or not record.state.is_active:
        return
    if trust.is_outsider(ctx, comment.author):
        # Counted in the status comment, not posted to the team's channel.
        record.outsider_comments += 1
        return
    text = escape(comment.body.strip())
    if len(text) > 3000:
        text = text[:2999] + "…"
    told = wording.CHANNEL_MIRRORED.format(who=who(comment.author), url=comment.url, text=text)
    ctx.slack(f"mirror:{comment.id}", To.INCIDENT, told, remember=False)


def note_and_tell(
    ctx: Context,
    comment: CommentView,
    kind: str,
    text: str,
    told: str,
    *,
    ref: str | None = None,
    to: To = To.INCIDENT,
) -> Entry:
    """Note `text` in the timeline, and tell Slack `told` once for this comment (key
    `<kind>:<comment id>`; not remembered after delivery: the comment is handled once)."""
    entry = ctx.record.note(ctx.now, kind, comment.author, text, ref)
    ctx.slack(f"{kind}:{comment.id}", to, told, remember=False)
    return entry


def also_said(text: str) -> str:
    """The optional words after a command, for the end of a Slack message."""
    return f" {escape(text)}" if text else ""


# -- permission checks ---------------------------------------------------------------


def _is_lead(ctx: Context, login: str) -> bool:
    return bool(ctx.record.lead) and ctx.record.lead.lower() == login.lower()  # type: ignore[union-attr]


def _is_helping(ctx: Context, login: str) -> bool:
    return login.lower() in (x.lower() for x in ctx.record.helping)


# Each returns None when `login` may use the command, else who may (for the refusal).


def lead_or_dm(ctx: Context, login: str) -> str | None:
    if _is_lead(ctx, login) or ctx.is_delivery_manager(login):
        return None
    return May.LEAD_OR_DM.refusal(ctx.record.lead)


def dm_only(ctx: Context, login: str) -> str | None:
    return None if ctx.is_delivery_manager(login) else May.DM.refusal(None)


def team(ctx: Context, login: str) -> str | None:
    if _is_lead(ctx, login) or _is_helping(ctx, login) or ctx.is_delivery_manager(login):
        return None
    return May.TEAM.refusal(None)


def lead_dm_or_maintainer(ctx: Context, login: str) -> str | None:
    if lead_or_dm(ctx, login) is None or role_at_least(ctx.facts.role(login), "maintain"):
        return None
    return May.LEAD_DM_OR_MAINTAINER.refusal(None)


def triage_or_responder(ctx: Context, login: str) -> str | None:
    if ctx.config.is_responder(login) or role_at_least(ctx.facts.role(login), "triage"):
        return None
    return May.TRIAGE.refusal(None)


def needs_active(ctx: Context, what: str) -> Refusal:
    state = ctx.record.state
    if state is not None and state.is_active:
        return None
    shown = state.label if state else "no state"
    return f"{what} needs a declared incident; this one is `{shown}`."


# -- the commands ----------------------------------------------------------------------


@command(CommandName.HANDOVER)
def handover(ctx: Context, cmd: Command, comment: CommentView) -> Refusal:
    """Make `user` the only assignee and the lead; announce it everywhere."""
    author, target = comment.author, cmd.user or ""
    if refusal := needs_active(ctx, "`/handover`"):
        return refusal
    if target.lower().endswith("[bot]"):
        return f"`{target}` is a bot; a person must lead."
    if _is_lead(ctx, target):
        return f"{target} already leads this incident."
    if not ctx.facts.assignable(target):
        return (
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
    ctx.record.note(ctx.now, "handover", author, f"{previous or 'nobody'} → {target}")
    ctx.do(Assign((target,)))
    n = ctx.record.count("handover")
    lifecycle.tell_both(
        ctx,
        f"handover:{n}",
        wording.CHANNEL_HANDOVER.format(previous=who(previous), lead=who(target)),
        wording.ANNOUNCE_HANDOVER.format(
            title=lifecycle.public_title(ctx),
            link=lifecycle.link(ctx),
            lead=who(target),
            previous=who(previous),
        ),
    )
    ctx.slack(f"invite:handover:{n}", To.INCIDENT, "", invite=[target])
    acknowledgement.handed_over(ctx, target, author)
    return None


@command(CommandName.JOIN)
def join(ctx: Context, cmd: Command, comment: CommentView) -> Refusal:
    """Add the author as a supporting colleague and invite them to the channel."""
    author = comment.author
    if _is_lead(ctx, author):
        return "You lead this incident already."
    if _is_helping(ctx, author):
        return None
    ctx.record.helping.append(author)
    ctx.record.stopped = [x for x in ctx.record.stopped if x.lower() != author.lower()]
    told = wording.CHANNEL_JOINED.format(who=who(author), said=also_said(cmd.text))
    note_and_tell(ctx, comment, "join", cmd.text, told)
    ctx.slack(f"invite:join:{comment.id}", To.INCIDENT, "", invite=[author], remember=False)
    return None


@command(CommandName.LEAVE)
def leave(ctx: Context, cmd: Command, comment: CommentView) -> Refusal:
    """Mark the author as no longer helping."""
    author = comment.author
    if not _is_helping(ctx, author):
        return "You are not listed as helping (`/join` adds you)." + (
            " The lead hands over with `/handover @user`." if _is_lead(ctx, author) else ""
        )
    ctx.record.helping = [x for x in ctx.record.helping if x.lower() != author.lower()]
    ctx.record.stopped.append(author)
    told = wording.CHANNEL_LEFT.format(who=who(author), said=also_said(cmd.text))
    note_and_tell(ctx, comment, "leave", cmd.text, told)
    return None


@command(CommandName.UPDATE)
def update(ctx: Context, cmd: Command, comment: CommentView) -> Refusal:
    """Record a progress update and post it to the incident channel."""
    told = wording.CHANNEL_UPDATE.format(who=who(comment.author), text=escape(cmd.text))
    note_and_tell(ctx, comment, "update", cmd.text, told, ref=anchor(comment))
    return None


@command(CommandName.MITIGATED)
def mitigated(ctx: Context, cmd: Command, comment: CommentView) -> Refusal:
    """Move the incident to mitigated."""
    if ctx.record.state == State.MITIGATED:
        return "The incident is already mitigated."
    if refusal := needs_active(ctx, "`/mitigated`"):
        return refusal
    lifecycle.mitigate(ctx, comment.author, cmd.text)
    return None


@command(CommandName.RESOLVE)
def resolve(ctx: Context, cmd: Command, comment: CommentView) -> Refusal:
    """Resolve the incident: close the issue as completed in this same run."""
    if refusal := needs_active(ctx, "`/resolve`"):
        return refusal
    lifecycle.resolve(ctx, comment.author, cmd.text)
    return None


@command(CommandName.DISMISS)
def dismiss(ctx: Context, cmd: Command, comment: CommentView) -> Refusal:
    """Dismiss the report: close the issue as not planned, with no retrospective."""
    if ctx.record.state in (State.RESOLVED, State.DISMISSED):
        return f"The incident is already `{ctx.record.state.label}`."
    lifecycle.dismiss(ctx, comment.author, cmd.text)
    return None


@command(CommandName.SEVERITY)
def severity(ctx: Context, cmd: Command, comment: CommentView) -> Refusal:
    """Set the one severity label and announce it."""
    level = cmd.severity
    old = ctx.record.severity
    ctx.record.severity = level
    others = tuple(f"{SEVERITY_PREFIX}{n}" for n in (1, 2, 3, 4) if n != level)
    ctx.do(Labels(add=(f"{SEVERITY_PREFIX}{level}",), remove=others))
    told = wording.CHANNEL_SEVERITY.format(who=who(comment.author), level=level)
    note_and_tell(ctx, comment, "severity", f"{old or '-'} → {level}", told)
    return None


@command(CommandName.ACTION)
def action(ctx: Context, cmd: Command, comment: CommentView) -> Refusal:
    """Record a follow-up action (and its owner): a follow-up issue at resolution."""
    owner, text = cmd.owner, cmd.text
    if owner is None:
        word, rest = owner_word(text)
        if word is not None and followups.known_login(ctx, word):
            owner, text = word, rest
    told = wording.CHANNEL_ACTION.format(
        who=who(comment.author),
        text=escape(text),
        owner=f" (owner: {who(owner)})" if owner else "",
    )
    entry = note_and_tell(ctx, comment, "action", text, told, ref=anchor(comment))
    followups.noted(ctx, entry, owner, comment)
    return None


@command(CommandName.STATUS)
def status(ctx: Context, cmd: Command, comment: CommentView) -> Refusal:
    """Re-post the status summary to the incident channel (or point to it, Slack off)."""
    # Someone without triage access is pointed to the status comment: nothing they say
    # reaches the team's channel (docs/usage.md#people-without-triage-access).
    if ctx.slack_enabled and ctx.record.channel_id and not trust.is_outsider(ctx, comment.author):
        ctx.slack(f"status:{comment.id}", To.INCIDENT, "", status=True, remember=False)
    else:
        key = f"reply:{comment.id}"
        body = wording.STATUS_HERE.format(marker=wording.marker(key))
        ctx.do(Comment(key, body, remember=False))
    return None


@command(CommandName.HELP)
def help_(ctx: Context, cmd: Command, comment: CommentView) -> Refusal:
    """Reply with the command table."""
    key = f"reply:{comment.id}"
    body = wording.HELP.format(marker=wording.marker(key), table=help_text())
    ctx.do(Comment(key, body, remember=False))
    return None


@command(CommandName.INVITE)
def invite(ctx: Context, cmd: Command, comment: CommentView) -> Refusal:
    """Pull someone in: mention them with the reason, invite them to the channel, DM them."""
    target = cmd.user or ""
    if target.lower().endswith("[bot]"):
        return f"`{target}` is a bot."
    # Anyone who can read the issue can help; leading needs more (see /handover).
    if not role_at_least(ctx.facts.role(target), "read"):
        return f"`{target}` is not a GitHub user with access to this repository."
    why = f": {wording.user_text(cmd.text, inline=True)}" if cmd.text else "."
    key = f"invite:{comment.id}"
    # 👍 only when everything promised happens; otherwise the reply says what did not.
    missed = []
    if not ctx.slack_enabled:
        missed.append("Slack is off (no `SLACK_BOT_TOKEN`): no channel invitation, no DM")
    elif not ctx.facts.on_slack(target):
        missed.append(
            f"`{target}` cannot be reached on Slack (set `people.{target}.slack` or "
            "`.email` in `.github/incident.yml`): not invited to the channel, no DM sent"
        )
    ctx.do(
        Comment(
            key,
            wording.INVITED.format(
                marker=wording.marker(key),
                who=wording.mention(target),
                inviter=wording.person(comment.author),
                why=why,
            )
            + "".join(f"\n\n⚠️ Not done: {m}." for m in missed),
            remember=False,
        )
    )
    if missed:
        ctx.notices.append(f"/invite {target}: " + "; ".join(missed))
        ctx.record.note(ctx.now, "invite", comment.author, f"{target}: {cmd.text}".strip(": "))
        return NOT_ALL_DONE
    ctx.record.note(ctx.now, "invite", comment.author, f"{target}: {cmd.text}".strip(": "))
    ctx.slack(f"invite-user:{comment.id}", To.INCIDENT, "", invite=[target], remember=False)
    reason = f" ({escape(cmd.text)})" if cmd.text and not ctx.record.sensitive else ""
    dm = wording.DM_INVITED.format(
        inviter=who(comment.author),
        title=lifecycle.public_title(ctx),
        link=lifecycle.link(ctx),
        reason=reason,
    )
    ctx.slack(f"dm-invite:{comment.id}", To.DM, dm, remember=False, login=target)
    return None


@command(CommandName.COMMS)
def comms(ctx: Context, cmd: Command, comment: CommentView) -> Refusal:
    """Send a stakeholder update and keep it in the timeline."""
    to = To.STAKEHOLDER if ctx.config.slack.stakeholder_channel else To.ANNOUNCE
    told = wording.STAKEHOLDERS_COMMS.format(
        link=lifecycle.link(ctx), who=who(comment.author), text=escape(cmd.text)
    )
    note_and_tell(ctx, comment, "comms", cmd.text, told, ref=anchor(comment), to=to)
    copy = wording.CHANNEL_COMMS_COPY.format(text=escape(cmd.text))
    ctx.slack(f"comms-copy:{comment.id}", To.INCIDENT, copy, remember=False)
    return None


@command(CommandName.RESOLVED_WHEN)
def resolved_when(ctx: Context, cmd: Command, comment: CommentView) -> Refusal:
    """Record the resolution criteria (status comment, topic, retrospective)."""
    ctx.record.resolved_when = cmd.text
    told = wording.CHANNEL_RESOLVED_WHEN.format(text=escape(cmd.text))
    note_and_tell(ctx, comment, "resolved-when", cmd.text, told)
    return None


@command(CommandName.SNOOZE)
def snooze(ctx: Context, cmd: Command, comment: CommentView) -> Refusal:
    """Silence reminders for a while."""
    minutes = cmd.duration_minutes or 30
    until = ctx.now + timedelta(minutes=minutes)
    previous = parse_time(ctx.record.snooze_until)
    if previous is None or previous < until:
        ctx.record.snooze_until = iso(until)
    ctx.record.note(ctx.now, "snooze", comment.author, f"{minutes} minutes")
    return None


def lead_only(ctx: Context, login: str) -> str | None:
    return None if _is_lead(ctx, login) else May.LEAD.refusal(ctx.record.lead)


@command(CommandName.ACK)
def ack(ctx: Context, cmd: Command, comment: CommentView) -> Refusal:
    """Acknowledge the lead role (docs/usage.md#the-lead-availability-and-acknowledgement): the lead
    is no longer waited for."""
    via = "`@incident-tool ack` in Slack" if comment.ref else "`/ack` on the issue"
    acknowledgement.acknowledge(ctx, comment.author, via)
    return None


@command(CommandName.PUBLIC)
def public(ctx: Context, cmd: Command, comment: CommentView) -> Refusal:
    """Record a public update for the status page (docs/usage.md#status-page) and tell the
    channel."""
    state = ctx.record.state
    if state not in (State.DECLARED, State.MITIGATED, State.RESOLVED):
        shown = state.label if state else "no state"
        return f"`/public` needs a declared incident; this one is `{shown}`."
    if ctx.record.sensitive:
        return "This incident is sensitive: it never appears on the status page."
    told = wording.CHANNEL_PUBLIC.format(who=who(comment.author), text=escape(cmd.text))
    note_and_tell(ctx, comment, "public", cmd.text, told, ref=anchor(comment))
    return None


#: How each `May` of the command table is checked: None when anyone may.
PERMISSIONS: dict[May, Permission | None] = {
    May.ANYONE: None,
    May.HELPING: None,  # `/leave` itself says when you are not helping
    May.TEAM: team,
    May.LEAD: lead_only,
    May.LEAD_OR_DM: lead_or_dm,
    May.DM: dm_only,
    May.LEAD_DM_OR_MAINTAINER: lead_dm_or_maintainer,
    May.TRIAGE: triage_or_responder,
}
