"""A sensitive report's text moved to the team's private repository (`sensitive.repository`,
SPEC §19; docs/security.md#a-public-repository): what the private issue holds, and the
marker a retried run finds it by. Pure: effects/sensitive_repository.py opens the issue.

The private issue holds the report's title and text, made inert as every text the tool
writes under its own name (core/safe.py: no mention, image, HTML or live link), a link back
to the public issue, and the marker. The public issue and its record name neither the
private repository nor the issue: the record is a comment on the public issue.
"""

from __future__ import annotations

from incident_tool.core import safe, wording
from incident_tool.core.model import Context, MoveBody

# GitHub takes an issue body of at most 65,536 characters, a title of at most 256.
MAX_BODY = 65_536
MAX_TITLE = 256
MARKER_PREFIX = "moved-report:"


def marker_key(repo: str, number: int) -> str:
    """The private issue's marker key: the public issue it came from."""
    return f"{MARKER_PREFIX}{repo.lower()}#{number}"


def move_of(ctx: Context, repository: str) -> MoveBody:
    """The MoveBody for this incident's report: its title and text, inert, into `repository`."""
    issue = ctx.issue
    reported = ctx.record.first("reported")
    author = reported.actor if reported is not None and reported.actor else issue.author
    key = marker_key(issue.repo, issue.number)
    title = wording.MOVED_ISSUE_TITLE.format(title=" ".join(safe.plain(issue.title).split()))
    head = (
        wording.marker(key)
        + "\n"
        + wording.MOVED_ISSUE_BODY.format(
            link=f"{issue.repo}#{issue.number} ({issue.url})",
            author=safe.inert(author, inline=True),
            text="",
        )
    )
    text = safe.inert(issue.body)
    room = MAX_BODY - len(head)
    if len(text) > room:
        text = text[: room - len(wording.MOVED_ISSUE_CLIPPED)] + wording.MOVED_ISSUE_CLIPPED
    return MoveBody(
        repository=repository,
        title=title[:MAX_TITLE],
        body=head + text,
        marker=wording.marker(key),
        since=issue.created_at,
    )
