"""What the bot says: its GitHub comments, then its Slack messages, as module constants.

A command's own texts (its replies, Slack messages and refusals) are beside it, in its
module of `core/commands/`. Documents the tool renders are written by their renderers (the
status comment: `core/status.py`; a follow-up issue: `core/followups.body_for`; the
retrospective: its Jinja template); a refusal's reason is written beside the check that
makes it.

A comment carries a `<!-- marker -->` naming its cause (`reply:<comment id>`, `declared`, ...),
so a re-run finds the comment it already posted instead of posting it twice. A Slack
message's key in the outbox does that job for Slack (`core.outbox`).

Fields are filled with `str.format`, which never reads a value as a template: user text
stays data. Each caller makes its values safe for where they go first: `user_text` and
`person` for GitHub, `safe.slack` and `who` for Slack (tests/files/test_layout.py keeps
message texts here).
"""

from __future__ import annotations

import re

from incident_tool.core import safe

MARKER = "<!-- incident-tool:{key} -->"
_MARKER_RE = re.compile(r"<!-- incident-tool:([^ ]+) -->")


def marker(key: str) -> str:
    return MARKER.format(key=key)


def marker_keys(body: str | None) -> list[str]:
    """Return the marker keys in a comment body."""
    return _MARKER_RE.findall(body or "")


def user_text(text: str, *, inline: bool = False) -> str:
    """Make user-written text safe to quote in a bot comment (see `safe.markdown`).

    It must not ping anyone (`@team`), open HTML, load an image, hide its direction, or
    break a table: the bot's comments speak with the bot's voice, so user text is data.
    """
    return safe.markdown(text, inline=inline)


# A GitHub login (at most 39 letters, digits and single inner hyphens), or an app's bot.
_GITHUB_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}(?:\[bot\])?")


def person(login: str | None) -> str:
    """Name a GitHub user without pinging them (a profile link); anything that is not a
    login (a Slack name, someone's text) is shown as inert text, never as a link."""
    if not login:
        return "nobody"
    if not _GITHUB_LOGIN.fullmatch(login):
        return safe.inert(login, inline=True)
    return f"[{login}](https://github.com/{login})"


def mention(login: str) -> str:
    """Ping a GitHub user: used only where the protocol asks someone to act."""
    return f"@{login}"


def who(login: str | None) -> str:
    """Name a person in Slack text; the effects stage turns it into a Slack mention."""
    return f"<person:{login}>" if login else "nobody"


def mentions(logins: list[str] | tuple[str, ...]) -> str:
    return ", ".join(mention(x) for x in logins) if logins else "(no delivery managers configured)"


# -- comments on the issue (GitHub markdown) ------------------------------------------

REPORTED = """{marker}
📣 **Potential incident reported** by {reporter}.

{dms}: please assess it. Add the label `incident:declared` to declare it (the tool picks a lead
and opens the Slack channel), or say `/dismiss <reason>` if it is not an incident.
{missing}"""

SELF_DECLARED = """{marker}
⚠️ {declarer} declared this incident without a delivery manager.

{dms}: per the protocol you are being told; please check and agree to continue
(or say `/dismiss <reason>`)."""

CONFIRM_RESOLUTION = """{marker}
✅ {closer} resolved this incident. {dms}: please confirm. If it is not resolved, reopen the
issue; the incident goes back to `incident:declared`."""

REFUSED = """{marker}
🚫 {reason}"""


UNDONE = """{marker}
🚫 {change} by {actor} was undone: only {who} may {what}. The incident stays `{state}`."""

TRANSITION_REFUSED = """{marker}
🚫 `{label}` can't be applied here: {reason} The label was put back to `{previous}`."""

RETRO_LINK = """{marker}
📝 Retrospective: #{number}"""


REMINDER_TRIAGE = """{marker}
⏰ {dms}: this report has waited {minutes} minutes for a decision. Declare it
(`incident:declared`) or say `/dismiss <reason>`."""

REMINDER_UPDATE = """{marker}
⏰ {lead}: no `/update` for {minutes} minutes. Post one (or `/snooze 30m`)."""


ACK_ASK = """{marker}
🙋 {lead}: you lead this incident. Please acknowledge: comment `/ack` here, or react ✅ to
the Slack DM the tool sent you or to the first message of the incident channel.
Without an acknowledgement within {minutes} minutes, {then}."""

NOT_ACKNOWLEDGED = """{marker}
⏰ {lead} has not acknowledged the lead within {minutes} minutes (handed over by {by}).
{people}: check that they know, or `/handover` to someone who is there. The tool does not
pass a lead named by `/handover` on by itself."""

NOBODY_LEFT = """{marker}
⏰ {lead} has not acknowledged the lead within {minutes} minutes, and no other responder is
available to take it ({skipped}). {lead} stays the lead.
{dms}: find a lead, and `/handover @user` to them."""

LIVE_RECORD = """{marker}
💬 {who} in Slack, with {where}: `{word}`
{outcome}"""

SLACK_COMMAND = """{marker}
💬 {who} in Slack{link}: `@incident-tool {word}`{quoted}
{outcome}"""

AUTO_DISMISSED = (
    "{marker}\n⚪ Dismissed automatically: {reason} (`alerts.auto_dismiss_after`). "
    "Reopen the issue if it needs attention."
)

OWNER_UNASSIGNABLE = (
    "{marker}\n📌 Noted, but {why}: its follow-up issue will be opened unassigned and say "
    "so. A delivery manager can assign someone."
)

DUPLICATE = """{marker}
Duplicate of #{number}: that issue is this problem's report."""

FOLLOWUP_REMINDER = (
    "{marker}\n⏰ {whom} this follow-up has been open for {days} days (due within "
    "{due_after}). Close it when it is done, or say what is left{and_who}. (A reminder at "
    "most once a week.)"
)

# The body of a report opened from Slack: the issue form's headings, so it reads (and is
# parsed, `inbound.forms`) like a report filed through the form.
MODAL_REPORT_BODY = """{marker}
### Summary

{summary}

### Affected service

{service}

### Impact on users

{impact}

### When did it start?

_No response_

### How was it noticed?

Reported in Slack by {who} at {at} UTC, with `/incident`

### Links

_No response_

### Severity guess

{severity}

### Sensitive

- [{private}] This involves security or personal data: handle it privately
"""

SLACK_REPORT_BODY = """{marker}
### Summary

{summary}

### Affected service

_No response_

### Impact on users

_No response_

### When did it start?

_No response_

### How was it noticed?

Reported in Slack by {who} at {at} UTC: {link}

### Links

{link}

### Severity guess

_No response_
"""


# -- Slack messages (mrkdwn) ----------------------------------------------------------
# Named for where they go (`outbox.To`): CHANNEL_ the incident channel, THREAD_ a reply in
# it, ANNOUNCE_ the announce channel, STAKEHOLDERS_ the stakeholder channel, DM_ a direct
# message. `<channel>` is replaced by the incident channel's link when delivered.

# Commands (docs/usage.md#commands): each command's own texts are in its module,
# `incident_tool/core/commands/<command>.py`.
CHANNEL_MIRRORED = ":speech_balloon: {who} on <{url}|GitHub>:\n{text}"
CHANNEL_RETROSPECTIVE = ":memo: Retrospective: {link}"
CHANNEL_STATUS = ":clipboard: *Status of {link}*: `{state}`"

# States (docs/usage.md#states).
DM_REPORTED = (
    ":mega: Potential incident reported by {reporter}: {title} {link}. Please assess it.{about}"
)
DM_SELF_DECLARED = (
    ":warning: {who} declared {title} {link} without a delivery manager. "
    "Please check and agree to continue."
)
ANNOUNCE_DECLARED = (
    ":rotating_light: Incident {verb}: {title} {link}. Lead: {lead}. Channel: <channel>"
)
CHANNEL_UNMITIGATED = ":rotating_light: {who} moved the incident back to declared: not mitigated."
CHANNEL_REOPENED = ":arrows_counterclockwise: {who} reopened the incident."
CHANNEL_MITIGATED = ":large_green_circle: {who} marked the incident mitigated{said}"
ANNOUNCE_MITIGATED = (
    ":large_green_circle: Incident mitigated: {title} {link}. Impact contained; not yet resolved."
)
CHANNEL_RESOLVED = ":white_check_mark: {who} resolved the incident.{said}"
ANNOUNCE_RESOLVED = ":white_check_mark: Incident resolved: {title} {link}."
DM_CONFIRM_RESOLUTION = (
    ":question: {who} resolved {title} {link}. Please confirm; "
    "reopen the issue if it is not resolved."
)
CHANNEL_DISMISSED = ":no_entry_sign: {who} dismissed the incident.{said}"
ANNOUNCE_DISMISSED = ":no_entry_sign: Dismissed: {title} {link}."

# The lead acknowledges (docs/usage.md#the-lead-availability-and-acknowledgement).
CHANNEL_ACK_ASK = (
    ":raising_hand: {lead}, you lead this incident: please acknowledge. React "
    ":white_check_mark: to the first message of this channel, or comment `/ack` on "
    "{link}, within {minutes} minutes."
)
DM_ACK_ASK = (
    ":raising_hand: You lead {title} {link}. React :white_check_mark: to this message (or "
    "comment `/ack` on the issue) to acknowledge, within {minutes} minutes. Channel: <channel>"
)
CHANNEL_ACKNOWLEDGED = ":white_check_mark: {who} acknowledged the lead ({via})."
DM_NOT_ACKNOWLEDGED = (
    ":alarm_clock: {lead} has not acknowledged leading {title} {link} within {minutes} "
    "minutes (handed over by {by})."
)
DM_NOBODY_LEADS = (
    ":alarm_clock: Nobody has acknowledged leading {title} {link}: {lead} did not within "
    "{minutes} minutes and no other responder is available. Please find a lead."
)
CHANNEL_PASSED_ON = (
    ":arrows_clockwise: {lead} did not acknowledge within {minutes} minutes: {successor} now leads."
)
ANNOUNCE_PASSED_ON = (
    ":arrows_clockwise: {title} {link}: {successor} now leads ({lead} did not acknowledge)."
)
DM_PASSED_OVER = (
    ":arrows_clockwise: You did not acknowledge leading {title} {link} within {minutes} "
    "minutes, so {successor} leads it now."
)

# Reminders (docs/adopting.md#configuration-githubincidentyml: `reminders.*`).
DM_REMIND_TRIAGE = ":alarm_clock: A report has waited {minutes}+ minutes for a decision: {link}"
CHANNEL_REMIND_UPDATE = (
    ":alarm_clock: {lead}: no `/update` for {minutes} minutes. "
    "Post one on the issue (or `/snooze 30m`)."
)

# Reports from monitors (docs/usage.md#reports-from-monitors-scripts-and-the-actions-tab).
CHANNEL_ALERT_RESOLVED = (
    ":large_green_circle: The monitor reports the alert resolved. The incident stays open: "
    "a delivery manager decides whether it is resolved."
)
CHANNEL_FIRED_AGAIN = ":repeat: The alert fired again ({count} times so far)."

# Answers in the thread of an `@incident-tool` message (docs/usage.md#slack-writes-back).
THREAD_REFUSED = ":no_entry_sign: {reason}"
# Live answers (docs/usage.md#live-slack): ephemeral, to the person who acted.
LIVE_REFUSED = ":no_entry_sign: Not done: {reason}."
LIVE_DONE = ":ok_hand: Done: `{word}`."
LIVE_DONE_IN_PART = ":warning: Done in part: `{word}`; not done: {not_done}."
LIVE_NOT_AN_INCIDENT_CHANNEL = (
    ":information_source: `/incident <command>` works in an incident's channel; `/incident` "
    "alone reports an incident, `/incident help` lists the commands."
)
LIVE_GITHUB_DOWN = (
    ":hourglass: GitHub did not answer: it will be retried, and the next sweep finishes it. "
    "Nothing is lost."
)
LIVE_MODAL_FAILED = (
    ":warning: Slack did not open the form in time (a form must open within 3 seconds): "
    "please try again."
)
LIVE_REPORTED = (
    ":white_check_mark: Thank you: your report is {link}; the delivery managers are told."
)
LIVE_REPORTS_LIMITED = (
    ":no_entry_sign: That is the most reports an account not mapped to the team can make "
    "today; please ask someone on the team, or report it on GitHub."
)
LIVE_BUTTON_DONE = ":white_check_mark: {what}: done by <@{user}> at {at}."
LIVE_UNMAPPED = (
    ":no_entry_sign: Your Slack account ({user}) is not mapped to a GitHub login, so the tool "
    "cannot act as you: add `people.<your login>.slack: {user}` to .github/incident.yml."
)
THREAD_DONE_IN_PART = ":warning: Done in part: `{word}`; the issue says what could not be."
THREAD_DONE = ":ok_hand: Done: `{word}`, as {login} on GitHub."
THREAD_HELP = (
    ":information_source: Commands (write `@incident-tool <command> …` in this channel, as "
    "on the issue without the `/`): {words}. Mention people as usual: "
    "`@incident-tool handover @jo`."
)
THREAD_REPORTED = ":inbox_tray: Reported as {link}: a delivery manager will assess it."


# An outsider's close or reopen made again after it was undone once (core/trust.py).
LEFT_TO_TEAM = """{marker}
⚠️ {change} by {actor} was undone once already, and they did it again: the tool leaves it \
to the team now (only {who} may {what}). The incident stays `{state}` in the record."""
# What changed before the incident (core/changes.py; docs/usage.md#what-changed-before-the-incident)
CHANGES_LISTED = ":mag: *What changed in the {hours} h before the report* (newest first):"
CHANGES_NONE = (
    ":mag: Nothing changed in the {hours} h before the report (deployments, merged pull "
    "requests, releases, failed runs)."
)
CHANGES_HINT = (
    "Suspect one: `/incident suspect owner/repo#12` (or a SHA); "
    "revert a pull request: `/incident revert owner/repo#12`."
)
CHANGES_UNREAD = "_Not read: {repo}: {why}_"
REVERT_OPENED = """{marker}
↩️ Revert of {what} opened: [#{number}]({url}). It is not merged: review and merge it as usual."""
REVERT_REFUSED = """{marker}
⚠️ The revert of {what} was not opened: {why}"""
# The retrospective written from the packaged template because the team's could not be
# used (effects/retrospective.py): said first, so nobody wonders where their template went.
RETRO_FALLBACK = (
    "> [!WARNING]\n> Written from incident-tool's default template: {reason}. Fix"
    " `retrospective.template` in .github/incident.yml, then `incident-tool retro {number}`"
    " writes it again from yours, keeping what people wrote in its sections.\n\n"
)


# A Slack report past its account's daily limit (effects/slack_reports.py): no issue opened.
THREAD_NOT_OPENED = (
    ":no_entry_sign: Not opened: this Slack account made {limit} reports in the last 24 hours "
    "(`limits.outsider_reports_per_day`). Someone on the team can report it, or use the "
    "repository's report form."
)


# A sensitive report in a public repository (core/reconcile.hide_sensitive_body;
# docs/security.md#a-public-repository): the issue keeps one of these stubs, and the incident's
# private channel gets the report's text.
BODY_MOVED = (
    "The details of this report were moved to a private channel because it was marked "
    "sensitive and this repository is public. The delivery managers have them."
)
# A sensitive report's title in a public repository: what the issue lists, search and
# notifications show from then on (the report's own title is where its text went).
TITLE_HIDDEN = "Sensitive report"
BODY_REMOVED = (
    "The details of this report were removed because it was marked sensitive and this "
    "repository is public. The delivery managers will ask the reporter for them privately."
)
CHANNEL_MOVED_BODY = (
    ":lock: The report's title and text, moved here from #{number} (marked sensitive, and "
    "the repository is public):\n*{title}*\n{text}"
)
CHANNEL_BODY_GONE = (
    ":lock: The report's text could not be moved here from #{number} before it was hidden: "
    'it is in the issue\'s edit history (the "edited" menu), which anyone who can see the '
    "issue can read. Ask the reporter, and delete that revision."
)
# An outsider's repeated close or reopen left to the team also locks the conversation
# (core/trust.left_to_team): said after LEFT_TO_TEAM in the same notice.
LEFT_TO_TEAM_LOCKED = """

🔒 The conversation is now locked to collaborators, so closing or reopening the issue \
again starts no run. The lead or a delivery manager can say `/unlock` to open it again."""


# A sensitive report's text moved to the team's private repository (`sensitive.repository`,
# core/sensitive_move.py): the public issue's stub names no repository and links nowhere;
# the private issue links back; the private channel gets the link.
BODY_MOVED_TO_REPOSITORY = (
    "The details of this report were moved to the team's private repository because it was "
    "marked sensitive and this repository is public. The delivery managers have them."
)
MOVED_ISSUE_TITLE = "Sensitive report: {title}"
MOVED_ISSUE_BODY = (
    "The text of {link}, moved here by incident-tool because that report was marked "
    "sensitive and its repository is public (its issue keeps a stub). The incident itself, "
    "its record and its commands stay on that issue.\n\n"
    "Reported by {author}.\n\n---\n\n{text}"
)
MOVED_ISSUE_CLIPPED = "\n\n_(the rest of the text was cut: GitHub takes 65,536 characters)_"
CHANNEL_MOVED_TO_REPOSITORY = (
    ":lock: The report's text was moved from #{number} to the private repository "
    "{repository}: {link} (marked sensitive, and the incidents repository is public)."
)
CHANNEL_NOT_IN_REPOSITORY = (
    ":lock: The report's text of #{number} was to move to the private repository "
    "{repository}, but no issue of the tool's there holds it: the text is in #{number}'s edit "
    'history (the "edited" menu), which anyone who can see the issue can read. Ask the '
    "reporter, and delete that revision."
)
