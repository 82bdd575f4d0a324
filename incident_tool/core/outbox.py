"""The Slack outbox's item: one delivery a decision asked for, waiting until Slack accepts it.

Decisions build them (`Context.slack`), the mirror delivers them (effects/mirror.py), and the
record keeps the waiting ones as JSON in the status comment. The stored form is the one
earlier runs wrote (`{"key", "to": "incident"|"announce"|"stakeholder"|"dm:<login>", "text",
...extras}`), so records written before this type existed still load.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any


class To(Enum):
    """Where a delivery goes: the incident channel, a configured channel, or a DM."""

    INCIDENT = "incident"
    ANNOUNCE = "announce"
    STAKEHOLDER = "stakeholder"
    DM = "dm"


@dataclass(frozen=True)
class SlackDelivery:
    """One Slack delivery. `key` makes it happen at most once per incident.

    Besides a plain message (`text`, in a thread when `thread_ts`), an item may invite
    people, post the incident report or the status summary, or mark/unmark a Slack note.
    """

    key: str
    to: To
    text: str = ""
    login: str | None = None  # the DM's recipient (to is To.DM; None for the others)
    invite: tuple[str, ...] = ()
    report: bool = False
    status: bool = False
    ack_dm: str | None = None  # the lead asked to acknowledge: keep where the DM went
    thread_ts: str | None = None
    react: str | None = None  # ts of a message to mark as kept
    unreact: str | None = None
    # False for deliveries caused by a comment: the comment is handled once, so the key
    # need not stay in the record after delivery (and such items may be dropped first).
    remember: bool = True
    # The live connection's buttons on the message (inbound/interactions.py BUTTONS).
    buttons: tuple[str, ...] = ()

    @property
    def destination(self) -> str:
        """The stored name of the destination: `incident`, `announce`, … or `dm:<login>`."""
        return f"dm:{self.login}" if self.to is To.DM else self.to.value

    def to_dict(self) -> dict[str, Any]:
        """Return the stored form: the keys earlier runs wrote, extras only when set."""
        item: dict[str, Any] = {"key": self.key, "to": self.destination, "text": self.text}
        if self.invite:
            item["invite"] = list(self.invite)
        if self.report:
            item["report"] = True
        if self.status:
            item["status"] = True
        if self.ack_dm is not None:
            item["ack_dm"] = self.ack_dm
        if self.thread_ts is not None:
            item["thread_ts"] = self.thread_ts
        if self.react is not None:
            item["react"] = self.react
        if self.unreact is not None:
            item["unreact"] = self.unreact
        if not self.remember:
            item["remember"] = False
        if self.buttons:
            item["buttons"] = list(self.buttons)
        return item

    @classmethod
    def from_dict(cls, item: dict[str, Any]) -> SlackDelivery:
        """Read the stored form (raises ValueError, TypeError or KeyError if it is not one)."""
        if not isinstance(item, dict):
            raise TypeError("outbox item is not an object")
        where = str(item["to"])
        to, login = (To.DM, where[3:]) if where.startswith("dm:") else (To(where), None)
        return cls(
            key=str(item["key"]),
            to=to,
            text=str(item.get("text") or ""),
            login=login,
            invite=tuple(str(x) for x in item.get("invite") or ()),
            report=bool(item.get("report")),
            status=bool(item.get("status")),
            ack_dm=_opt(item.get("ack_dm")),
            thread_ts=_opt(item.get("thread_ts")),
            react=_opt(item.get("react")),
            unreact=_opt(item.get("unreact")),
            remember=item.get("remember", True) is not False,
            buttons=tuple(str(x) for x in item.get("buttons") or ()),
        )


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)
