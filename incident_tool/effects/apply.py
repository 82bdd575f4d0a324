"""Apply a decision's GitHub writes: comments, labels, assignees, close, reopen, retrospective."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

from incident_tool.core import wording
from incident_tool.core.model import (
    Action,
    Assign,
    Close,
    Comment,
    CommentView,
    Context,
    HideBody,
    HideComment,
    IssueView,
    Labels,
    Lock,
    MoveBody,
    React,
    Reopen,
    RevertPullRequest,
    Unlock,
)
from incident_tool.core.outbox import To
from incident_tool.core.states import State
from incident_tool.effects import changes, retrospective, sensitive_repository
from incident_tool.effects.github import Gateway, GitHubError
from incident_tool.effects.parallel import both, each

if TYPE_CHECKING:
    from incident_tool.effects.tools import Tools


def issue_writes(
    ctx: Context, tools: Tools, issue: IssueView, comments: Sequence[CommentView]
) -> None:
    """Apply the plan's GitHub writes, then make the state label match the record.

    The writes fall into lanes that do not wait for one another (comments, reactions,
    assignees, the state: labels, close, reopen); each lane keeps the plan's order (comments
    read in the order posted; a label after the close it goes with), and the lanes are made
    at once: a declaration's assignment, comment and label cost one round trip, not three.
    GitHub's write pace (effects/github.py) still spaces a run that writes many.
    """
    lanes: dict[str, list[Action]] = {}
    for action in ctx.plan:
        lane = _LANES.get(type(action))
        if lane is not None:
            lanes.setdefault(lane, []).append(action)
    lanes.setdefault("state", [])  # always: it makes the state label match the record
    writes = _IssueWrites(ctx, tools.gateway, issue, comments)
    # A comment the record says was posted is not posted again: nothing to open for.
    new = [a for a in lanes.get("comments", []) if isinstance(a, Comment)]
    says = any(a.key not in ctx.record.posted for a in new) or any(
        lane in _SAID for lane in lanes if lane != "comments"
    )
    with conversation_open(tools.gateway, issue, says, wanted_lock(ctx)):
        # In the plan's order of first appearance: one at a time (a replayed cassette),
        # the requests come in the plan's order.
        each(lambda lane: writes.lane(lane, lanes[lane]), list(lanes))


# The lanes that write in the conversation (a locked one refuses the workflow's token).
_SAID = ("comments", "reactions", "reverts")


def wanted_lock(ctx: Context) -> Lock | Unlock | None:
    """The plan's last `/lock` or `/unlock`, if any."""
    planned = [a for a in ctx.plan if isinstance(a, (Lock, Unlock))]
    return planned[-1] if planned else None


def after_writes(ctx: Context, issue: IssueView) -> IssueView:
    """The issue as issue_writes left its conversation: locked or not, and why."""
    wanted = wanted_lock(ctx)
    if wanted is None:
        return issue
    reason = wanted.reason if isinstance(wanted, Lock) else None
    return replace(issue, locked=isinstance(wanted, Lock), lock_reason=reason)


@contextmanager
def conversation_open(
    gateway: Gateway, issue: IssueView, says: bool, wanted: Lock | Unlock | None = None
) -> Iterator[None]:
    """Carry out the plan's `/lock` or `/unlock` around the issue's other writes, and keep
    a locked conversation writable for them.

    GitHub refuses new comments on a locked issue from the workflow's token and from apps,
    whatever their permissions (403 "Unable to create comment because issue is locked.";
    incident_sandbox/github.py `_refuse_if_locked` has the sources): a run that must say
    something on a locked issue unlocks it, writes, and locks it again as it was (two
    requests; its own lock and unlock start no workflow run). An unlock planned comes
    first; a lock planned last, after what announces it.
    """
    opened = issue.locked and (says or isinstance(wanted, Unlock))
    if opened:
        gateway.unlock(issue.number)
    try:
        yield
    finally:
        if isinstance(wanted, Lock):
            if opened or not issue.locked or issue.lock_reason != wanted.reason:
                gateway.lock(issue.number, wanted.reason)
        elif opened and wanted is None:
            gateway.lock(issue.number, issue.lock_reason)  # back as it was


# Which lane each GitHub write of a plan takes (see issue_writes); other actions are not
# GitHub writes of the issue (the retrospective is written after these).
_LANES: dict[type, str] = {
    Comment: "comments",
    React: "reactions",
    Assign: "assignees",
    Labels: "state",
    Close: "state",
    Reopen: "state",
    RevertPullRequest: "reverts",  # docs/usage.md#what-changed-before-the-incident
    HideBody: "body",  # docs/security.md#a-public-repository
    HideComment: "hidden",  # `/hide`
    MoveBody: "body",  # before the stub, in the same lane: the text is kept first
}


class _IssueWrites:
    """One lane of an issue's writes at a time (issue_writes runs the lanes at once)."""

    def __init__(
        self, ctx: Context, gateway: Gateway, issue: IssueView, comments: Sequence[CommentView]
    ) -> None:
        self.ctx, self.gateway, self.issue, self.comments = ctx, gateway, issue, comments

    def lane(self, name: str, actions: list[Action]) -> None:
        {
            "comments": self.comments_lane,
            "reactions": self.reactions_lane,
            "assignees": self.assignees_lane,
            "state": self.state_lane,
            "reverts": self.reverts_lane,
            "body": self.body_lane,
            "hidden": self.hidden_lane,
        }[name](actions)

    def hidden_lane(self, actions: list[Action]) -> None:
        for action in actions:
            assert isinstance(action, HideComment)
            self.gateway.minimize_comment(action.node_id, action.classifier)

    def comments_lane(self, actions: list[Action]) -> None:
        for action in actions:
            assert isinstance(action, Comment)
            post_comment(self.ctx, self.gateway, self.issue, action, self.comments)

    def reactions_lane(self, actions: list[Action]) -> None:
        for action in actions:
            assert isinstance(action, React)
            self.gateway.react(self.issue.number, action.comment_id)

    def assignees_lane(self, actions: list[Action]) -> None:
        assignees = sorted(x.lower() for x in self.ctx.issue.assignees)
        for action in actions:
            assert isinstance(action, Assign)
            wanted = sorted(x.lower() for x in action.logins)
            if wanted != assignees:
                self.gateway.set_assignees(self.issue.number, action.logins)
                assignees = wanted

    def reverts_lane(self, actions: list[Action]) -> None:
        for action in actions:
            assert isinstance(action, RevertPullRequest)
            reply = changes.revert_once(self.gateway, action, self.comments)
            if reply is not None:
                post_comment(self.ctx, self.gateway, self.issue, reply, self.comments)

    def body_lane(self, actions: list[Action]) -> None:
        # The text moved first (a failure stops the lane: the next run tries again), then one
        # PATCH: the last stub planned (a run plans one).
        action = actions[-1]
        assert isinstance(action, HideBody)
        stub = action.stub
        for move in actions:
            if isinstance(move, MoveBody) and not self.moved(move):
                stub = stub.replace(wording.BODY_MOVED_TO_REPOSITORY, wording.BODY_REMOVED, 1)
        fields = {"body": stub} if action.title is None else {"body": stub, "title": action.title}
        self.gateway.edit_issue(self.issue.number, "hide the report's text", **fields)

    def moved(self, move: MoveBody) -> bool:
        """Open the private issue with the report's text (or find the one a run before
        opened). When it cannot be (the token may not open issues there, GitHub is down for
        it), the text leaves the public issue all the same: its stub then says it was
        removed, and the notice says why."""
        try:
            sensitive_repository.move(self.gateway, move)
        except GitHubError as exc:
            self.gateway.notice(
                f"the report's text was not moved to the private repository ({exc}): it is "
                "removed from the issue, and in its edit history"
            )
            return False
        return True

    def state_lane(self, actions: list[Action]) -> None:
        gateway, number = self.gateway, self.issue.number
        labels = {name.lower(): name for name in self.ctx.issue.labels}
        for action in actions:
            if isinstance(action, Labels):
                add = [x for x in action.add if x.lower() not in labels]
                gateway.add_labels(number, add)
                labels.update({x.lower(): x for x in add})
                for name in action.remove:
                    if name.lower() in labels:
                        gateway.remove_label(number, labels.pop(name.lower()))
            elif isinstance(action, Close):
                gateway.close(number, action.reason)
            elif isinstance(action, Reopen):
                gateway.reopen(number)
        set_state(gateway, self.issue, labels, self.ctx.record.state)


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
    writes: list[Callable[[], None]] = []
    if state.label not in labels:
        writes.append(lambda: gateway.add_labels(issue.number, [state.label]))
    for name in list(labels.values()):
        other = State.from_label(name)
        if other is not None and other != state:
            writes.append(partial(gateway.remove_label, issue.number, name))
    # The new label and the old one's removal at once: each is one request on its own
    # label, and whoever looks in between sees two states or none for a moment either way.
    each(lambda write: write(), writes)


def open_retrospective(ctx: Context, tools: Tools) -> None:
    """Open the retrospective issue once (`link_retrospective` then links it)."""
    record, config, gateway = ctx.record, ctx.config, tools.gateway
    if record.retro is None:
        # The channel's messages join the timeline (the protocol's progress reports),
        # except for a sensitive incident: its private channel stays private.
        marker = retrospective.MARKER.format(number=ctx.issue.number)

        def existing() -> IssueView | None:
            found = gateway.issues(
                state="all", labels=list(config.retrospective.labels), since=ctx.issue.created_at
            )
            # Only an issue the tool's own account opened: anyone can paste the marker.
            ours = (i for i in found if i.author.lower() == gateway.bot_login.lower())
            return next((i for i in ours if marker in (i.body or "")), None)

        def looked_up() -> IssueView | None:
            # Check before creating: a run that died after creating it must not make a
            # second. Whether the delivery managers may be assigned is asked meanwhile (the
            # answers are kept for the run: create_issue asks again for free).
            if gateway.dry_run:
                return None
            found, _ = both(existing, lambda: each(gateway.assignable, config.delivery_managers))
            return found

        def written() -> retrospective.Retrospective:
            history = retrospective.channel_copy(record, config, tools.mirror.history)
            return retrospective.render(ctx.issue, record, config, root=tools.root, slack=history)

        # The text is read and rendered while GitHub is asked.
        rendered, created = both(written, looked_up)
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


def link_retrospective(
    ctx: Context, tools: Tools, issue: IssueView, comments: Sequence[CommentView]
) -> None:
    """Link the retrospective, once opened, from the incident: a comment and a message."""
    record = ctx.record
    if record.retro is None:
        return  # a dry run opens none
    key = "retro-link"
    body = wording.RETRO_LINK.format(marker=wording.marker(key), number=record.retro)
    # After issue_writes, which left a locked conversation locked: open it for the link.
    says = key not in record.posted
    with conversation_open(tools.gateway, after_writes(ctx, issue), says):
        post_comment(ctx, tools.gateway, issue, Comment(key, body), comments)
    ctx.slack(
        "retro-link",
        To.INCIDENT,
        wording.CHANNEL_RETROSPECTIVE.format(
            link=f"<{ctx.issue.url.rsplit('/', 1)[0]}/{record.retro}|#{record.retro}>"
        ),
    )
