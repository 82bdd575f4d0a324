"""A realistic team for the demo: one repository, six people, two Slack channels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from incident_sandbox.server import Sandbox

REPO = "wellcome/platform"

# login, display name, role on the repository (None: no collaborator access), Slack id,
# email, Slack presence, how the config maps the person to Slack ("slack" or "email").
PEOPLE: list[tuple[str, str, str | None, str | None, str, str, str | None]] = [
    ("dana", "Dana Delivery", "maintain", "U0DANA0001", "dana@example.org", "active", "slack"),
    ("sam", "Sam Senior", "admin", "U0SAM00001", "sam@example.org", "away", "slack"),
    ("priya", "Priya Patel", "write", "U0PRIYA001", "priya@example.org", "active", "email"),
    ("lee", "Lee Chen", "write", "U0LEE00001", "lee@example.org", "active", "slack"),
    ("rita", "Rita Reporter", "read", "U0RITA0001", "rita@example.org", "active", "email"),
    ("olly", "Olly Outsider", None, None, "olly@example.net", "active", None),
]

# The labels a repository has once `incident-tool init` / `labels sync` ran, plus a few
# ordinary ones; the issue form needs `incident:reported` to exist.
LABELS = [
    ("incident:reported", "fbca04", "A potential incident, waiting for a delivery manager"),
    ("incident:declared", "d93f0b", "A declared incident: a lead is assigned"),
    ("incident:mitigated", "0e8a16", "User-facing impact is mitigated, not yet resolved"),
    ("incident:resolved", "1d76db", "Resolved; a retrospective follows"),
    ("incident:dismissed", "cfd3d7", "Not an incident"),
    ("retrospective", "5319e7", "Incident retrospective"),
    ("sensitive", "b60205", "Security-sensitive incident"),
    ("bug", "d73a4a", "Something isn't working"),
]


def seed_demo(sb: Sandbox) -> dict[str, Any]:
    """Seed the demo team into a fresh sandbox and return what a run needs.

    Returns a dict with ``repo``; ``tokens`` (login -> GitHub token, plus ``bot``);
    ``slack_bot_token``; ``logins`` (``delivery_manager``, ``responders`` most senior
    first, ``reporter``, ``outsider``); ``slack_ids`` (login -> Slack id); ``channels``
    (name -> id); ``config`` (a ready ``.github/incident.yml`` as a dict); and ``env``
    (the environment variables to run ``incident-tool handle`` against the sandbox).
    """
    gh, sl = sb.github, sb.slack
    gh.add_repo(REPO, description="Wellcome Collection digital platform")
    for name, color, description in LABELS:
        gh.create_label(REPO, name, color, description)
    tokens: dict[str, str] = {}
    slack_ids: dict[str, str] = {}
    people: dict[str, dict[str, str]] = {}
    for login, real_name, role, slack_id, email, presence, mapping in PEOPLE:
        tokens[login] = gh.add_user(login, name=real_name, email=email)
        if role is not None:
            gh.add_collaborator(REPO, login, role)
        if slack_id is not None:
            sl.add_user(slack_id, login, real_name, email, presence=presence)
            slack_ids[login] = slack_id
        if mapping == "slack" and slack_id is not None:
            people[login] = {"slack": slack_id}
        elif mapping == "email":
            people[login] = {"email": email}
    tokens["bot"] = gh.bot_token
    members = [slack_ids[login] for login in ("dana", "sam", "priya", "lee")]
    channels = {
        "wc-platform": sl.add_channel("wc-platform", members=members + [slack_ids["rita"]]),
        "wc-stakeholders": sl.add_channel("wc-stakeholders", members=[slack_ids["dana"]]),
    }
    responders = ["sam", "priya", "lee"]
    config: dict[str, Any] = {
        "delivery_managers": ["dana"],
        "responders": responders,
        "people": people,
        "slack": {
            "announce_channel": "wc-platform",
            "stakeholder_channel": "wc-stakeholders",
            "channel_prefix": "incident",
            "mirror_comments": True,
        },
        "timezone": "Europe/London",
    }
    return {
        "repo": REPO,
        "tokens": tokens,
        "slack_bot_token": sl.bot_token,
        "logins": {
            "delivery_manager": "dana",
            "responders": responders,
            "reporter": "rita",
            "outsider": "olly",
        },
        "slack_ids": slack_ids,
        "channels": channels,
        "config": config,
        "env": {
            "GITHUB_API_URL": sb.github_url,
            "GITHUB_TOKEN": gh.bot_token,
            "GITHUB_REPOSITORY": REPO,
            "SLACK_API_URL": sb.slack_url,
            "SLACK_BOT_TOKEN": sl.bot_token,
            # The live connection's app-level token (`incident-tool listen`, Socket Mode).
            "SLACK_APP_TOKEN": sl.app_token,
            # The sandbox asks for no pause between writes (GitHub's advice is for
            # github.com): the demo's live incident writes more than a burst in a second.
            "INCIDENT_TOOL_WRITE_PACE": "0",
        },
    }
