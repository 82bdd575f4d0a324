"""Apply a decision's GitHub writes: comments, labels, assignees, close, reopen, retrospective."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from incident_tool.core import wording
from incident_tool.core.model import (
    Assign,
    Close,
    Comment,
    CommentView,
    Context,
    IssueView,
    Labels,
    React,
    Reopen,
)
from incident_tool.core.outbox import To
from incident_tool.core.states import State
from incident_tool.effects import retrospective
from incident_tool.effects.github import Gateway

if TYPE_CHECKING:
    from incident_tool.effects.tools import Tools


def issue_writes(
    ctx: Context, tools: Tools, issue: IssueView, comments: Sequence[CommentView]
) -> None:
    """Apply the plan's GitHub writes, then make the state label match the record."""
    gateway, view = tools.gateway, ctx.issue
    labels = {name.lower(): name for name in view.labels}
    assignees = sorted(x.lower() for x in view.assignees)
    for action in ctx.plan:
        if isinstance(action, Comment):
            post_comment(ctx, gateway, issue, action, comments)
        elif isinstance(action, React):
            gateway.react(issue.number, action.comment_id)
        elif isinstance(action, Assign):
            wanted = sorted(x.lower() for x in action.logins)
            if wanted != assignees:
                gateway.set_assignees(issue.number, action.logins)
                assignees = wanted
        elif isinstance(action, Labels):
            add = [x for x in action.add if x.lower() not in labels]
            gateway.add_labels(issue.number, add)
            labels.update({x.lower(): x for x in add})
            for name in action.remove:
                if name.lower() in labels:
                    gateway.remove_label(issue.number, labels.pop(name.lower()))
        elif isinstance(action, Close):
            gateway.close(issue.number, action.reason)
        elif isinstance(action, Reopen):
            gateway.reopen(issue.number)
    set_state(gateway, issue, labels, ctx.record.state)


def post_comment(
    ctx: Context,
    gateway: Gateway,
    issue: IssueView,
    comment: Comment,
    comments: Sequence[CommentView],
) -> None:
    """Post a bot comment once per incident: the record remembers the keys it posted."""
    if comment.key in ctx.record.posted:
        return
    gateway.post_comment(issue.number, comment.key, comment.body, comments)
    if comment.remember and not gateway.dry_run:
        ctx.record.posted.append(comment.key)


def set_state(
    gateway: Gateway, issue: IssueView, labels: dict[str, str], state: State | None
) -> None:
    """Leave exactly one state label: the record's. Other labels are never touched."""
    if state is None:
        return
    if state.label not in labels:
        gateway.add_labels(issue.number, [state.label])
    for name in list(labels.values()):
        other = State.from_label(name)
        if other is not None and other != state:
            gateway.remove_label(issue.number, name)


def write_retrospective(
    ctx: Context, tools: Tools, issue: IssueView, comments: Sequence[CommentView]
) -> None:
    """Open the retrospective issue once, and link it from the incident."""
    record, config, gateway = ctx.record, ctx.config, tools.gateway
    if record.retro is None:
        # The channel's messages join the timeline (the protocol's progress reports),
        # except for a sensitive incident: its private channel stays private.
        history = [] if record.sensitive else tools.mirror.history(record)
        rendered = retrospective.render(ctx.issue, record, config, root=tools.root, slack=history)
        marker = retrospective.MARKER.format(number=ctx.issue.number)

        def existing() -> IssueView | None:
            found = gateway.issues(
                state="all", labels=list(config.retrospective.labels), since=ctx.issue.created_at
            )
            return next((i for i in found if marker in (i.body or "")), None)

        # Check before creating: a run that died after creating it must not make a second.
        created = None if gateway.dry_run else existing()
        if created is None:
            created = gateway.create_issue(
                rendered.title,
                rendered.body,
                config.retrospective.labels,
                config.delivery_managers,
                landed=existing,
            )
        if created is None:
            return  # dry run
        record.retro = created.number
        record.note(ctx.now, "retrospective", None, f"#{created.number}")
    key = "retro-link"
    body = wording.RETRO_LINK.format(marker=wording.marker(key), number=record.retro)
    post_comment(ctx, gateway, issue, Comment(key, body), comments)
    ctx.slack(
        "retro-link",
        To.INCIDENT,
        wording.CHANNEL_RETROSPECTIVE.format(
            link=f"<{ctx.issue.url.rsplit('/', 1)[0]}/{record.retro}|#{record.retro}>"
        ),
    )
