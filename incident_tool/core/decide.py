"""What one run decides about one incident, from what it read: the decision stage.

`incident` carries out what people did, in the order they did it, including what runs this
one never saw. The sweep's duties (`sweep_duties`) and a monitor firing again
(core/alerts.py) are decisions of their own, made after it in the same run. Each reads the
Context (its facts are plain data: core/facts.py) and writes only the record and the plan.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from incident_tool.core import ack, lifecycle, reminders
from incident_tool.core import alerts as alert_handlers
from incident_tool.core import slack_notes as from_slack
from incident_tool.core.comments import process_new_comments
from incident_tool.core.model import CommentView, Context
from incident_tool.core.reconcile import (
    became_incident,
    reconcile_labels,
    reconcile_open_state,
    reconcile_sensitive,
    turning_point,
)
from incident_tool.core.states import State
from incident_tool.inbound.events import Event
from incident_tool.inbound.slack import Readout


@dataclass(frozen=True)
class Inputs:
    """What the read stage found, as plain data."""

    event: Event | None
    comments: Sequence[CommentView]  # every comment a run may look at, but the status one
    fresh: bool  # no record yet: this run makes the incident's first
    slack_reporter: str | None  # who reported in Slack, for an issue the tool opened for them
    label_states: frozenset[State]
    slack: Readout | None  # what is new in the incident channel
    # When a record not believed was last written: earlier runs carried the incident to
    # where its labels say, and the comments up to then.
    rebuilt_from: datetime | None = None


#: A decision of a run: reads the context and the inputs, changes the record and the plan.
Decision = Callable[[Context, Inputs], None]


ONGOING = frozenset({State.DECLARED, State.MITIGATED})


def incident(ctx: Context, inputs: Inputs) -> None:
    """Bring the record up to date with the issue, its comments and its Slack channel."""
    record, event, comments = ctx.record, inputs.event, inputs.comments
    if inputs.fresh:
        # Comments from before the issue became an incident are not commands; nor are, when
        # the record is rebuilt, those earlier runs carried out.
        became = inputs.rebuilt_from or became_incident(ctx, event)
        record.last_comment_id = max((c.id for c in comments if c.created_at < became), default=0)
    if inputs.fresh and ctx.issue.assignees and inputs.label_states & ONGOING:
        # Starting again from an issue declared before (its record lost, or not believed:
        # docs/security.md#the-record-and-its-proof): its lead is the one it is assigned
        # to, not a new choice the run would make now.
        record.leads.append(ctx.issue.assignees[0])
    if record.state is None:
        # Every incident starts as a report; one declared outright skips the "please assess".
        # A report the tool opened for a monitor, the Actions tab or Slack names its real
        # reporter.
        reporter = alert_handlers.adopt(ctx) or inputs.slack_reporter or ctx.issue.author
        if inputs.rebuilt_from is not None:
            lifecycle.rebuild(ctx, reporter, inputs.label_states)
        else:
            lifecycle.report(ctx, reporter, notify=State.REPORTED in inputs.label_states)
    reconcile_sensitive(ctx, event)
    # State labels; comments up to a close or reopen; the close or reopen; later comments.
    reconcile_labels(ctx, event)
    turn = turning_point(ctx, event)
    process_new_comments(ctx, [c for c in comments if turn is None or c.created_at <= turn])
    reconcile_open_state(ctx, event)
    process_new_comments(ctx, list(comments))
    if inputs.slack is not None:
        from_slack.apply(ctx, inputs.slack)


def sweep_duties(ctx: Context, _inputs: Inputs) -> None:
    """What only the schedule does: time passing (acknowledgements, reminders, dismissals)."""
    # Acknowledgements first: a lead who acknowledged just now is not passed over.
    ack.check_slack(ctx)
    ack.pass_on_due(ctx)
    reminders.send_due(ctx)
    alert_handlers.auto_dismiss(ctx)
