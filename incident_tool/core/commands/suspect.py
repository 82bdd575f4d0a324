"""`/suspect <ref>`: a change suspected of causing the incident: marked in the timeline and
the retrospective, its author mentioned on the issue and invited to the incident channel
(the `/invite` path; docs/usage.md#what-changed-before-the-incident)."""

from __future__ import annotations

from incident_tool.core import changes, safe, wording
from incident_tool.core.commands.base import DONE, May, PartlyDone, Refused, Result, Spec
from incident_tool.core.commands.invite import missed_on_slack
from incident_tool.core.commands.names import CommandName
from incident_tool.core.commands.parsing import Command, quote, text_needed
from incident_tool.core.model import Comment, CommentView, Context
from incident_tool.core.outbox import To
from incident_tool.core.safe import slack as escape
from incident_tool.core.wording import who

HOW = (
    "`/suspect <ref>`: a pull request (`#12`, `owner/repo#12`), a commit SHA or a ref the "
    "changes list shows"
)
NOT_FOUND = (
    "`{ref}` is no change I can find (in the changes list, or as a pull request or commit "
    "of {where}). " + HOW
)
SUSPECTED = """{marker}
🔎 {by} suspects {what} ({where}){author}."""
AUTHOR = ": {who}, you made this change; please join the incident"
SUSPECTED_SLACK = ":mag: {by} suspects {what} in `{where}`{author}"
NOT_DONE = "\n\n⚠️ Not done: {what}."


def find(ctx: Context, ref: changes.Ref) -> changes.Found | None:
    """The change `ref` names: from the declaration's list first (no request), then a pull
    request or a commit read from GitHub."""
    found = changes.in_list(ctx.record.changes, ref)
    if found is not None:
        return found
    read: changes.Found | None = None
    if ref.number is not None:
        read = ctx.facts.pull(ref.repo or ctx.issue.repo, ref.number)
    elif ref.sha is not None:
        read = ctx.facts.commit((ref.repo,) if ref.repo else _watched(ctx)[1:], ref.sha)
    return read


def _watched(ctx: Context) -> tuple[str, ...]:
    """The repositories whose changes this incident lists (`changes.*`), its own included."""
    win = changes.window(
        ctx.config, changes.service_of(ctx.issue.body), ctx.issue.repo, ctx.issue.created_at
    )
    return (ctx.issue.repo, *win.repositories)


def handle(ctx: Context, cmd: Command, comment: CommentView) -> Result:
    """Mark the change suspected, mention its author, invite them to the channel."""
    ref = changes.parse_ref(cmd.text)
    if ref is None:
        return Refused(HOW)
    found = find(ctx, ref)
    if found is None:
        return Refused(NOT_FOUND.format(ref=quote(ref.text), where=ref.repo or ctx.issue.repo))
    # Its author is mentioned and invited only for a change of the repositories this
    # incident watches: a pull request of any repository the token reads is marked, but a
    # stranger who wrote it is not pinged from the incident.
    watched = {r.lower() for r in _watched(ctx)}
    bot = found.who is not None and found.who.lower().endswith("[bot]")
    author = found.who if found.who and not bot and found.repo.lower() in watched else None
    suspected = ctx.record.changes.setdefault("suspected", [])
    suspected.append(
        {"ref": found.ref, "by": comment.author, "who": author, "at": ctx.now.isoformat()}
    )
    # The timeline shows its notes as quoted text, where a link in a title would be live:
    # the ref only (the title is in the reply below, inert).
    ctx.record.note(ctx.now, "suspect", comment.author, found.ref[:300])
    key = f"suspect:{comment.id}"
    title = safe.inert(found.title[:120], inline=True)
    what = f"[{title}]({found.url})" if found.url.startswith("https://") else title
    missed = missed_on_slack(ctx, author) if author else ()
    body = SUSPECTED.format(
        marker=wording.marker(key),
        by=wording.person(comment.author),
        what=what,
        where=wording.user_text(found.ref, inline=True),
        author=AUTHOR.format(who=wording.mention(author)) if author else "",
    )
    ctx.do(Comment(key, body + "".join(NOT_DONE.format(what=m) for m in missed), remember=False))
    told = SUSPECTED_SLACK.format(
        by=who(comment.author),
        what=escape(found.title[:120]),
        where=escape(found.ref),
        author=f"; {who(author)} invited" if author and not missed else "",
    )
    ctx.slack(key, To.INCIDENT, told, remember=False)
    if author and not missed:
        ctx.slack(f"invite-user:{comment.id}", To.INCIDENT, "", invite=[author], remember=False)
    if missed:
        return PartlyDone(missed)
    return DONE


SPEC = Spec(
    name=CommandName.SUSPECT,
    usage="/suspect <ref>",
    may=May.TEAM,
    what="marks a change (`#12`, `owner/repo#12`, a commit SHA, a deployment's ref) as "
    "suspected in the timeline and the retrospective; its author is mentioned and invited "
    "to the incident channel",
    parse=text_needed(CommandName.SUSPECT, HOW),
    handle=handle,
)
