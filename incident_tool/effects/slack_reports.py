"""Reports from Slack: `@incident-tool report <summary>` in the announce channel
(docs/usage.md#slack-writes-back).

There is no per-repository record, so the cursor lives on the Slack side: the tool reads
the announce channel's last `WINDOW` (one `conversations.history` page), and a message it
has taken carries its reaction (`slack_inbound.CLAIMED`). The reaction is also the lock:
of two runs reading the same message, only one adds it (Slack answers the other
`already_reacted`), so a message opens at most one issue. The issue's body carries a marker
with the message's place; a claimed message with no answer in its thread after
`RETRY_AFTER` (a run that died between the claim and the issue) is looked up by that marker
before it is opened again.

The issue goes through the same path as a form report: it is opened with the form's
headings and `incident:reported`, and processed in the same run (writes made with
GITHUB_TOKEN start no workflow), so the delivery managers are paged as for any report.
"""

from __future__ import annotations

import re
import zlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from incident_tool.core import safe, wording
from incident_tool.core.record import clip, utcnow
from incident_tool.core.states import State, states_in
from incident_tool.effects.followups import by_tool
from incident_tool.effects.slack import SlackError, mrkdwn_link
from incident_tool.inbound import slack as inbound

# The sweep is off while no incident is open
# (docs/operating.md#actions-bills-and-the-actions-write-permission): a report made then is
# read when a sweep next runs, the weekly follow-ups job at the latest, so eight days of the
# channel are read (a week, and a late scheduled job; still one page, the newest 200).
WINDOW = timedelta(days=8)
RETRY_AFTER = timedelta(minutes=10)
# Issues one sweep opens from Slack at most (each ~7 GitHub requests with its run): the
# rest stay unclaimed for the next sweep (docs/security.md#security).
PER_SWEEP = 10
DAY = timedelta(hours=24)


if TYPE_CHECKING:
    from incident_tool.core.model import IssueView
    from incident_tool.effects.slack import SlackRoom
    from incident_tool.effects.tools import Tools
    from incident_tool.inbound.interactions import ViewSubmission


def reporter_of(view: object, bot_login: str) -> str | None:
    """The mapped login a Slack report names, believed only on an issue the tool opened."""
    if getattr(view, "author", None) != bot_login:
        return None
    mark = inbound.report_mark(getattr(view, "body", "") or "")
    return mark.reporter if mark else None


def read_reports(tools: Tools, now: datetime | None = None) -> list[int]:
    """Open a report issue for each new `report` in the announce channel; return them (the
    caller runs each: app.process_reports)."""
    from incident_tool.effects.github import GitHubError

    mirror, gateway = tools.mirror, tools.gateway
    room, config = mirror.room, tools.config
    name = config.slack.announce_channel
    if room is None or not name or gateway.dry_run:
        return []
    now = now or utcnow()
    opened: list[int] = []
    try:
        channel = room.find_channel(name)
        if channel is None:
            return []
        bot = room.auth_check()
        oldest = f"{int((now - WINDOW).timestamp())}.000000"
        try:
            raw = room.history_since(channel, oldest, seen=None, max_pages=1)
        except SlackError as exc:
            if exc.error != "not_in_channel":
                raise
            room.join(channel)  # a public announce channel the bot was never in
            raw = room.history_since(channel, oldest, seen=None, max_pages=1)
    except SlackError as exc:
        tools.log(f"warning: Slack: could not read the announce channel for reports: {exc}")
        return []
    reports = [
        (message, summary)
        for message in sorted(
            (m for m in (inbound.from_api(r, channel) for r in raw) if m is not None),
            key=lambda m: inbound.ts_key(m.ts),
        )
        if not message.is_reply
        and (rest := inbound.addressed(message, bot)) is not None
        and (summary := inbound.report_summary(rest)) is not None
    ]
    taken = {m.ts for m, _ in reports if bot in m.reactions.get(inbound.CLAIMED, ())}
    counted = OpenedForSlack(tools, now)
    for message, summary in reports:
        if len(opened) >= PER_SWEEP:
            tools.log(
                f"notice: Slack reports: {PER_SWEEP} opened, the rest wait for the next sweep"
            )
            break
        try:
            retry = False
            if bot in message.reactions.get(inbound.CLAIMED, ()):
                if message.reply_count or now - message.at < RETRY_AFTER:
                    continue  # done, or another run is on it
                retry = True
            elif not room.react(channel, message.ts, inbound.CLAIMED):
                continue
            taken.add(message.ts)
            # A retry too: a report over the limit whose "Not opened" reply failed is
            # claimed and unanswered, like one whose run died, and must not open an issue.
            if over_daily_limit(tools, message, [m for m, _ in reports], taken, counted):
                room.post(
                    channel,
                    wording.THREAD_NOT_OPENED.format(limit=config.limits.outsider_reports_per_day),
                    thread_ts=message.ts,
                )
                tools.log(f"notice: a report from Slack by {message.user}: over the daily limit")
                continue
            number = open_report(tools, room, channel, message, summary, bot, retry)
        except (SlackError, GitHubError) as exc:
            # Claimed and not answered: a later sweep finds the issue by its marker, or opens it.
            tools.log(f"warning: a report from Slack: {exc}")
            continue
        if number is not None:
            opened.append(number)
            counted.add(message.user, message.at)
    return opened


class OpenedForSlack:
    """The report issues the tool opened for each Slack account in the last 24 hours and
    eight days (the window read), from GitHub: one request, asked the first time an
    account `people` does not map reports. The channel page alone is not enough: a guest
    who posts 200 messages between reports pushes their earlier ones off it (the audit of
    issue #23 opened 9 issues a day that way)."""

    def __init__(self, tools: Tools, now: datetime) -> None:
        self.tools, self.now = tools, now
        self.opened: list[tuple[str, datetime]] | None = None

    def add(self, user: str | None, at: datetime) -> None:
        if user and self.opened is not None:
            self.opened.append((user, at))

    def before(self, user: str, moment: datetime) -> int:
        """How many of `user`'s reports opened an issue in the 24 hours before `moment`."""
        if self.opened is None:
            gateway = self.tools.gateway
            since = self.now - WINDOW - DAY
            self.opened = [
                (mark.user, at)
                for _, at, labels, body in gateway.recent_issues_by(gateway.bot_login, since)
                if states_in(labels) and (mark := inbound.report_mark(body)) and mark.user
            ]
        return sum(1 for who, at in self.opened if who == user and moment - DAY <= at < moment)


def over_daily_limit(
    tools: Tools,
    message: inbound.InMessage,
    reports: list[inbound.InMessage],
    taken: set[str],
    counted: OpenedForSlack,
) -> bool:
    """Whether this report's Slack account, which `people` does not map to a login, made
    `limits.outsider_reports_per_day` other reports the tool took (`taken`: its reaction) in the 24
    hours before it: counted in the channel page already read, and when that shows fewer, from
    GitHub (`OpenedForSlack`, one request a sweep). Those past the
    limit open no issue (a guest's 30 reports cost ~200 GitHub requests a sweep otherwise);
    a mapped account is the team's, as for paging (core/trust.py)."""
    from incident_tool.effects.slack_read import reverse

    if not message.user or reverse(tools.people, message.user)[0]:
        return False
    limit = tools.config.limits.outsider_reports_per_day
    earlier = sum(
        1
        for other in reports
        if other.user == message.user
        and inbound.ts_key(other.ts) < inbound.ts_key(message.ts)
        and message.at - other.at < DAY
        and other.ts in taken
    )
    # The page answers most cases without a request; GitHub's count the rest.
    return earlier >= limit or counted.before(message.user, message.at) >= limit


def open_report(
    tools: Tools,
    room: SlackRoom,
    channel: str,
    message: inbound.InMessage,
    summary: str,
    bot: str,
    retry: bool,
) -> int | None:
    """Open the report issue (or find the one a dead run opened) and answer in the thread."""
    from incident_tool.effects.slack_read import reverse

    gateway = tools.gateway
    login = reverse(tools.people, message.user)[0] if message.user else None
    name = login or (room.user_name(message.user) if message.user else None) or "someone"
    link = room.permalink(channel, message.ts) or ""
    marker = inbound.REPORT_MARKER.format(
        channel=channel,
        ts=message.ts,
        reporter=login or "",
        user=re.sub(r"[^A-Z0-9]", "", message.user or ""),
    )

    def who(u: str) -> str:
        found = reverse(tools.people, u)[0]
        return found or u

    said = inbound.plain_text(summary, who).strip() or "(no summary given in Slack)"
    first = " ".join(said.split())
    title = clip(f"[Incident]: {first}", 120)

    def existing() -> IssueView | None:
        found = gateway.issues(state="all", since=message.at - timedelta(minutes=1))
        return next((i for i in found if marker in (i.body or "") and by_tool(gateway, i)), None)

    issue = existing() if retry else None
    if issue is None:
        body = wording.SLACK_REPORT_BODY.format(
            marker=marker,
            summary=safe.inert(clip(said, 4000)),
            who=wording.person(login) if login else safe.inert(name, inline=True) + " (Slack)",
            at=message.at.strftime("%Y-%m-%d %H:%M"),
            link=link if link.startswith("https://") else "(no link)",
        )
        issue = gateway.create_issue(title, body, [State.REPORTED.label], [], landed=existing)
    if issue is None:
        return None
    number = int(issue.number)
    url = issue.url
    room.post(
        channel,
        wording.THREAD_REPORTED.format(link=mrkdwn_link(url, f"#{number}")),
        thread_ts=message.ts,
    )
    return number


def open_modal_report(tools: Tools, submission: ViewSubmission, now: datetime) -> tuple[int, str]:
    """Open the report issue from the `/incident` modal, as the form does; return its number
    and address. The marker names the Slack account, so the report counts against its
    daily limit as an `@incident-tool report` does; a retried submission finds its issue."""
    from incident_tool.effects.slack_read import reverse

    login = reverse(tools.people, submission.user)[0]
    room = tools.mirror.room
    name = login or (room.user_name(submission.user) if room is not None else None) or "someone"
    gateway = tools.gateway
    stamp = f"{int(now.timestamp())}.{zlib.crc32(submission.id.encode()) % 1_000_000:06d}"
    channel = (
        submission.metadata if re.fullmatch(r"[CG][A-Z0-9]{2,20}", submission.metadata) else "C0"
    )
    marker = inbound.REPORT_MARKER.format(
        channel=channel, ts=stamp, reporter=login or "", user=submission.user
    )
    values = submission.values

    def field(block: str, limit: int = 3000) -> str:
        value = values.get(block)
        text = value if isinstance(value, str) else ""
        return safe.inert(clip(text.strip(), limit)) if text.strip() else "_No response_"

    title = " ".join(str(values.get("title") or "").split()) or "(no title given)"
    body = wording.MODAL_REPORT_BODY.format(
        marker=marker,
        summary=field("summary"),
        service=field("service", 200),
        impact=field("impact"),
        severity=field("severity", 200),
        private="x" if "private" in (values.get("private") or ()) else " ",
        who=wording.person(login) if login else safe.inert(name, inline=True) + " (Slack)",
        at=now.strftime("%Y-%m-%d %H:%M"),
    )

    def existing() -> IssueView | None:
        found = gateway.issues(state="all", since=now - timedelta(minutes=10))
        return next((i for i in found if marker in (i.body or "") and by_tool(gateway, i)), None)

    issue = existing() or tools.gateway.create_issue(
        clip(title, 120), body, [State.REPORTED.label], [], landed=existing
    )
    if issue is None:
        raise SlackError("views.submit", "dry_run", detail="a dry run opens no issue")
    return int(issue.number), issue.url
