"""What every command module is made of: its `Spec` (name, usage, who may, what it does,
its parse rule, its handler), the `Result` a handler returns, who may (`May`, checked here),
and the helpers handlers share.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from incident_tool.core.commands.names import CommandName
from incident_tool.core.commands.parsing import Command, Parser
from incident_tool.core.model import CommentView, Context, role_at_least
from incident_tool.core.outbox import To
from incident_tool.core.record import Entry
from incident_tool.core.safe import slack as escape


@dataclass(frozen=True)
class Done:
    """Everything the command promised happened (a 👍 on the comment)."""


@dataclass(frozen=True)
class Refused:
    """Nothing happened; `reason` is the reply (markdown, may quote the command's words)."""

    reason: str


@dataclass(frozen=True)
class PartlyDone:
    """Some of it happened; the handler's own reply on the issue says what did not
    (`not_done`, for the run's notices and the Slack record)."""

    not_done: tuple[str, ...]


Result = Done | Refused | PartlyDone
DONE = Done()

Handler = Callable[[Context, Command, CommentView], Result]


class May(Enum):
    """Who may use a command, worded once: for `/help`, the README and refusals.

    `{lead}` is where a refusal names the current lead (" (priya)"); the tables leave it out.
    `permits` checks it, one rule per value (`PERMITS`).
    """

    ANYONE = "anyone"
    HELPING = "a current supporting colleague"  # anyone; /leave says when you are not
    TEAM = "the lead, supporting colleagues (`/join` first) or a delivery manager"
    LEAD = "the incident lead{lead}"
    LEAD_OR_DM = "the incident lead{lead} or a delivery manager"
    DM = "a delivery manager"
    LEAD_DM_OR_MAINTAINER = "the current lead, a delivery manager or a repository maintainer"
    TRIAGE = "people with triage access or more (or listed `responders`)"

    def refusal(self, lead: str | None) -> str:
        """Who may, as a refusal says it: "Only {this} may use `/x`."."""
        return self.value.format(lead=f" ({lead or 'none yet'})")

    @property
    def listed(self) -> str:
        """Who may, as the command tables say it."""
        return self.value.format(lead="")

    def permits(self, ctx: Context, login: str) -> bool:
        """Say whether `login` is one of these people in this incident."""
        return PERMITS[self](ctx, login)


def is_lead(ctx: Context, login: str) -> bool:
    lead = ctx.record.lead
    return lead is not None and lead != "" and lead.lower() == login.lower()


def is_helping(ctx: Context, login: str) -> bool:
    return login.lower() in (x.lower() for x in ctx.record.helping)


def _lead_or_dm(ctx: Context, login: str) -> bool:
    return is_lead(ctx, login) or ctx.is_delivery_manager(login)


#: How each `May` is checked (a test keeps one rule per value).
PERMITS: dict[May, Callable[[Context, str], bool]] = {
    May.ANYONE: lambda ctx, login: True,
    May.HELPING: lambda ctx, login: True,  # `/leave` itself says when you are not helping
    May.TEAM: lambda ctx, login: (
        is_lead(ctx, login) or is_helping(ctx, login) or ctx.is_delivery_manager(login)
    ),
    May.LEAD: is_lead,
    May.LEAD_OR_DM: _lead_or_dm,
    May.DM: lambda ctx, login: ctx.is_delivery_manager(login),
    May.LEAD_DM_OR_MAINTAINER: lambda ctx, login: (
        _lead_or_dm(ctx, login) or role_at_least(ctx.facts.role(login), "maintain")
    ),
    May.TRIAGE: lambda ctx, login: (
        ctx.config.is_responder(login) or role_at_least(ctx.facts.role(login), "triage")
    ),
}


@dataclass(frozen=True)
class Spec:
    """One command: the command table's row (usage, who may, what it does), its parse rule
    and its handler. The table, `/help`, the docs, parsing and the permission check all
    read these (`incident_tool.core.commands.SPECS`)."""

    #: The command word (a `CommandName`; a test registers a word of its own).
    name: str
    usage: str
    may: May
    what: str
    parse: Parser
    handle: Handler

    @property
    def who(self) -> str:
        """Who may, as the command tables say it."""
        return self.may.listed


# -- what handlers share -----------------------------------------------------------------


def anchor(comment: CommentView) -> str:
    """Where a comment is, relative to the issue (short: the record must stay small); a
    command given in Slack is where it was said (its permalink)."""
    return comment.ref or f"#issuecomment-{comment.id}"


def reply_key(comment: CommentView) -> str:
    """The marker key of the tool's reply to a command (one reply per comment)."""
    return f"reply:{comment.id}"


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


def needs_active(ctx: Context, name: CommandName) -> Refused | None:
    """A refusal when the incident is not declared or mitigated, else None."""
    state = ctx.record.state
    if state is not None and state.is_active:
        return None
    shown = state.label if state else "no state"
    return Refused(f"`/{name.value}` needs a declared incident; this one is `{shown}`.")
