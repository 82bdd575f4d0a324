"""State transitions (docs/usage.md#states,
docs/usage.md#the-lead-availability-and-acknowledgement), shared by label, close and command
handlers.

Each transition checks that it is allowed, updates the record, and asks for the effects on
GitHub (ctx.do) and Slack (ctx.slack). A transition the tool causes itself (closing on
`/resolve`) runs here in the same run, because GITHUB_TOKEN writes start no new run.
"""

from __future__ import annotations

from incident_tool.core import ack, changes, trust, wording
from incident_tool.core.announce import link, public_title, tell_both
from incident_tool.core.facts import UNAVAILABLE, Question
from incident_tool.core.model import (
    UNKNOWN,
    Assign,
    Close,
    Comment,
    Context,
    CreateRetrospective,
    Labels,
    Reopen,
)
from incident_tool.core.outbox import To
from incident_tool.core.public import keep_as_declared
from incident_tool.core.safe import slack as escape
from incident_tool.core.states import SENSITIVE_LABEL, SEVERITY_PREFIX, State, can_move
from incident_tool.core.wording import who
from incident_tool.inbound.forms import (
    ParsedReport,
    is_sensitive,
    parse_report,
    severity_from_guess,
)


def refuse_transition(ctx: Context, target: State, reason: str) -> None:
    previous = ctx.record.state.label if ctx.record.state else "(none)"
    key = f"refused:{target.value}:{len(ctx.record.timeline)}"
    ctx.do(
        Comment(
            key,
            wording.TRANSITION_REFUSED.format(
                marker=wording.marker(key), label=target.label, reason=reason, previous=previous
            ),
        )
    )
    ctx.notices.append(f"refused {target.label}: {reason}")


def check(ctx: Context, target: State) -> bool:
    current = ctx.record.state
    if can_move(current, target):
        return True
    if current in (None, State.REPORTED) and target in (State.MITIGATED, State.RESOLVED):
        reason = "the incident was never declared. Declare it first (`incident:declared`)."
    else:
        shown = current.label if current else "no state"
        reason = f"an incident in {shown} can't move to {target.label}."
    refuse_transition(ctx, target, reason)
    return False


def report(ctx: Context, reporter: str, *, notify: bool = True) -> None:
    """Record a new report: parse the form, tell the delivery managers (when `notify`)."""
    record = ctx.record
    if record.state is not None:
        return
    parsed = parse_report(ctx.issue.body)
    record.state = State.REPORTED
    record.missing = list(parsed.missing)
    record.sensitive = _is_sensitive(ctx, parsed)
    guess = parsed.get("severity")
    outsider = trust.is_outsider(ctx, reporter)
    if isinstance(guess, str) and record.severity is None:
        if outsider:
            # Anyone can pick "1 - Critical": shown to the delivery managers, not applied.
            record.severity_guess = severity_from_guess(guess)
        else:
            record.severity = severity_from_guess(guess)
        if record.severity:
            ctx.do(Labels(add=(f"{SEVERITY_PREFIX}{record.severity}",)))
    record.note(ctx.issue.created_at, "reported", reporter)
    if not notify:
        return
    # An outsider's reports, and Slack reports by accounts not on the team, are counted.
    record.not_paged = trust.pages_for_report(ctx, reporter)
    if record.not_paged:
        ctx.notices.append(f"nobody paged: {record.not_paged}")
        return
    # A delivery manager is never paged about their own report.
    dms = [d for d in ctx.config.delivery_managers if d.lower() != reporter.lower()]
    missing = (
        "\n**Missing from the report:** " + ", ".join(parsed.missing) + "."
        if parsed.missing
        else ""
    )
    ctx.do(
        Comment(
            "reported",
            wording.REPORTED.format(
                marker=wording.marker("reported"),
                reporter=wording.person(reporter),
                dms=wording.mentions(dms)
                if dms or not ctx.config.delivery_managers
                else "Delivery managers",
                missing=missing,
            ),
        )
    )
    summary = parsed.get("summary")
    about = ""
    if isinstance(summary, str) and not record.sensitive:
        about = "".join(f"\n>{escape(line)}" for line in summary[:500].splitlines())
    dm = wording.DM_REPORTED.format(
        reporter=who(reporter), title=public_title(ctx), link=link(ctx), about=about
    )
    ctx.slack_dms("dm-reported", dm, exclude=(reporter,), buttons=("declare", "dismiss"))


def rebuild(ctx: Context, reporter: str, label_states: frozenset[State]) -> None:
    """Start the record again from the issue, when the one in its status comment is not
    believed (docs/security.md#the-record-and-its-proof): the state its labels say (only
    the team and the tool can label, and earlier runs carried the incident there), its
    severity label and its assignee (`decide.incident`). Nothing is announced, nobody is
    paged and no channel is opened again: earlier runs did that. What the record alone
    knew (the timeline, the updates, what Slack was told) is lost, and the next message
    to Slack goes to the incident's channel found by its name (`mirror.open_channel`)."""
    record, planned = ctx.record, len(ctx.plan)
    report(ctx, reporter, notify=False)
    del ctx.plan[planned:]  # a severity from the form: the issue's own label says it now
    states = [s for s in State if s in label_states]
    if len(states) == 1 and states[0] != State.REPORTED:
        record.state = states[0]
        if record.state in (State.DECLARED, State.MITIGATED, State.RESOLVED):
            record.note(ctx.now, "declared", None, "rebuilt from the issue's labels")
            keep_as_declared(record, ctx.issue.title, ctx.issue.body, ctx.config)
    severities = [x.removeprefix(SEVERITY_PREFIX) for x in ctx.issue.labels]
    record.severity = next((int(x) for x in severities if x in ("1", "2", "3", "4")), None)
    state = record.state.value if record.state else "reported"
    record.note(ctx.now, "rebuilt", None, f"the record was not believed; started again as {state}")


def declare(ctx: Context, by: str) -> None:
    """Declare: pick the lead, assign them, open the channel, announce.

    docs/usage.md#the-lead-availability-and-acknowledgement and docs/architecture.md#how-it-works.
    """
    record = ctx.record
    if record.state is None:
        report(ctx, ctx.issue.author, notify=False)
    if record.state == State.DECLARED or not check(ctx, State.DECLARED):
        return
    keep_as_declared(record, ctx.issue.title, ctx.issue.body, ctx.config)
    was_closed = record.state is not None and not record.state.is_open
    if record.state == State.MITIGATED:
        # The impact came back: not a new declaration, nothing to announce publicly.
        record.state = State.DECLARED
        record.note(ctx.now, "declared", by, "back from mitigated")
        told = wording.CHANNEL_UNMITIGATED.format(who=who(by))
        ctx.slack(f"unmitigated:{len(record.timeline)}", To.INCIDENT, told)
        return
    again = record.first("declared") is not None
    record.state = State.DECLARED
    record.note(ctx.now, "reopened" if again else "declared", by)
    if ctx.issue.state == "closed" and was_closed:
        # Declared again after resolution; a report closed later is resolved by `run`.
        ctx.do(Reopen())
    chosen = None
    if not record.lead:
        # What changed before the report and the first responder's availability are
        # looked up together: neither waits for the other.
        ahead = [changes.question(ctx)] if not again else []
        ahead += [first_availability(ctx)]
        ctx.facts.ahead([q for q in ahead if q is not None])
        lead, why = choose_lead(ctx, by)
        if lead:
            record.leads.append(lead)
            chosen = lead
        record.note(ctx.now, "lead", lead, why)
    if record.lead:
        ctx.do(Assign((record.lead,)))
    if not again and not ctx.is_delivery_manager(by):
        dms = list(ctx.config.delivery_managers)
        ctx.do(
            Comment(
                "self-declared",
                wording.SELF_DECLARED.format(
                    marker=wording.marker("self-declared"),
                    declarer=wording.person(by),
                    dms=wording.mentions(dms),
                ),
            )
        )
        dm = wording.DM_SELF_DECLARED.format(who=who(by), title=public_title(ctx), link=link(ctx))
        ctx.slack_dms("dm-self-declared", dm)
    n = record.count("declared", "reopened")
    verb = "reopened" if again else "declared"
    announced = wording.ANNOUNCE_DECLARED.format(
        verb=verb, title=public_title(ctx), link=link(ctx), lead=who(record.lead)
    )
    ctx.slack(f"announce-{verb}:{n}", To.ANNOUNCE, announced)
    if not again:
        ctx.slack("report", To.INCIDENT, "", report=True, buttons=("join", "update"))
        changes.at_declaration(ctx)  # docs/usage.md#what-changed-before-the-incident
    invite = [record.lead, *ctx.config.delivery_managers, ctx.issue.author, by, *record.helping]
    ctx.slack(f"invite:declared:{n}", To.INCIDENT, "", invite=[x for x in invite if x])
    if chosen and chosen.lower() != by.lower():
        # The tool chose them: ask them to acknowledge
        # (docs/usage.md#the-lead-availability-and-acknowledgement); the declarer knows.
        ack.ask(ctx, chosen, chosen=True)
    if again:
        ctx.slack(f"reopened:{n}", To.INCIDENT, wording.CHANNEL_REOPENED.format(who=who(by)))


def lead_candidates(ctx: Context) -> list[str]:
    """The responders who may be chosen to lead, most senior first (no bot accounts)."""
    return [r for r in ctx.config.responders if not r.lower().endswith("[bot]")]


def first_availability(ctx: Context) -> Question | None:
    """The question `choose_lead` asks first: the most senior responder's availability."""
    candidates = lead_candidates(ctx)
    return Question(UNAVAILABLE, (candidates[0].lower(),)) if candidates else None


def choose_lead(ctx: Context, declarer: str) -> tuple[str | None, str]:
    """Pick the most senior available responder; nobody available means the declarer leads.

    Responders are asked in order and the search stops at the first available one, so a
    team whose senior is free costs one presence look-up, not one per responder.
    """
    candidates = lead_candidates(ctx)
    skipped = []
    for login in candidates:
        away = ctx.facts.unavailable([login]).get(login)
        if away:
            skipped.append(f"{login} ({away})")
            continue
        if not ctx.facts.assignable(login):
            skipped.append(f"{login} (cannot be assigned)")
            continue
        why = "most senior available responder"
        return login, why + (f"; skipped {', '.join(skipped)}" if skipped else "")
    why = "no responder available" if candidates else "no responders configured"
    note = f"; skipped {', '.join(skipped)}" if skipped else ""
    if declarer == UNKNOWN:
        return None, f"{why}, and who declared is not known: say `/handover @user`{note}"
    return declarer, f"{why}: the declarer leads{note}"


def mitigate(ctx: Context, by: str, text: str = "") -> bool:
    record = ctx.record
    if record.state == State.MITIGATED or not check(ctx, State.MITIGATED):
        return record.state == State.MITIGATED
    record.state = State.MITIGATED
    record.note(ctx.now, "mitigated", by, text)
    n = record.count("mitigated")
    told = wording.CHANNEL_MITIGATED.format(who=who(by), said=f": {escape(text)}" if text else "")
    if record.sensitive:
        ctx.slack(f"mitigated:{n}", To.INCIDENT, told)
    else:  # stakeholders hear it too (docs/usage.md#states)
        announced = wording.ANNOUNCE_MITIGATED.format(title=public_title(ctx), link=link(ctx))
        tell_both(ctx, f"mitigated:{n}", told, announced)
    return True


def resolve(ctx: Context, by: str, text: str = "") -> bool:
    """Resolve: close as completed, write the retrospective, ask DMs to confirm if needed."""
    record = ctx.record
    if record.state == State.RESOLVED:
        return True
    if not check(ctx, State.RESOLVED):
        if ctx.issue.state == "closed":
            ctx.do(Reopen())
        return False
    record.state = State.RESOLVED
    record.note(ctx.now, "resolved", by, text)
    if ctx.issue.state != "closed":
        ctx.do(Close("completed"))
    if ctx.config.retrospective.enabled:
        ctx.do(CreateRetrospective())
    n = record.count("resolved")
    tell_both(
        ctx,
        f"resolved:{n}",
        wording.CHANNEL_RESOLVED.format(who=who(by), said=f" {escape(text)}" if text else ""),
        wording.ANNOUNCE_RESOLVED.format(title=public_title(ctx), link=link(ctx)),
    )
    if not ctx.is_delivery_manager(by):
        record.awaiting_confirmation = by
        dms = list(ctx.config.delivery_managers)
        key = f"confirm:{n}"
        ctx.do(
            Comment(
                key,
                wording.CONFIRM_RESOLUTION.format(
                    marker=wording.marker(key), closer=wording.person(by), dms=wording.mentions(dms)
                ),
            )
        )
        dm = wording.DM_CONFIRM_RESOLUTION.format(
            who=who(by), title=public_title(ctx), link=link(ctx)
        )
        ctx.slack_dms(f"dm-confirm:{n}", dm)
    else:
        record.awaiting_confirmation = None
    return True


def dismiss(ctx: Context, by: str, reason: str = "") -> bool:
    record = ctx.record
    if record.state == State.DISMISSED:
        return True
    if not check(ctx, State.DISMISSED):
        return False
    was_active = record.state is not None and record.state.is_active
    record.state = State.DISMISSED
    record.note(ctx.now, "dismissed", by, reason)
    if ctx.issue.state != "closed":
        ctx.do(Close("not_planned"))
    if was_active:
        n = record.count("dismissed")
        why = f" {escape(reason)}" if reason and not record.sensitive else ""
        tell_both(
            ctx,
            f"dismissed:{n}",
            wording.CHANNEL_DISMISSED.format(who=who(by), said=why),
            wording.ANNOUNCE_DISMISSED.format(title=public_title(ctx), link=link(ctx)),
        )
    return True


def reopen(ctx: Context, by: str) -> None:
    """Reopening a resolved or dismissed incident puts it back to declared
    (docs/usage.md#who-may-change-an-incident-by-hand)."""
    record = ctx.record
    if record.state not in (State.RESOLVED, State.DISMISSED):
        return
    if record.awaiting_confirmation and ctx.is_delivery_manager(by):
        record.note(
            ctx.now,
            "resolution-undone",
            by,
            f"resolution by {record.awaiting_confirmation} not confirmed",
        )
    record.awaiting_confirmation = None
    declare(ctx, by)


def _is_sensitive(ctx: Context, parsed: ParsedReport) -> bool:
    if any(label.lower() == SENSITIVE_LABEL for label in ctx.issue.labels):
        return True
    return is_sensitive(parsed, ctx.config.sensitive.services)
