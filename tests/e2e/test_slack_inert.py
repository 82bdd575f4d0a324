"""Addresses in user text link nowhere in what the tool posts to Slack (issue #23, item 10;
docs/security.md#security): a report whose title and body carry links, followed through
declaration to the announce channel, the incident channel and the delivery manager's DM,
then an `/update` from a GitHub comment. Slack links bare addresses by itself, so the bot's
messages must hold none the team did not write: only its own `<url|label>` links stay."""

from __future__ import annotations

import json
import re

from tests.e2e.test_slack_writes_back import bot, say, sweep
from tests.world import REPO

EVIL = "https://evil.example/reset"
TITLE = f"Search down, reset your password at {EVIL} <https://evil.example|here> www.evil.com"
BODY_LINKS = (
    f"[dana](https://evil.example/dana) <!channel> @here mailto:ops@evil.example "
    f"write to help@evil.example or {EVIL}"
)

# What Slack would link by itself in text an app posts (a test-side reading, independent of
# core/safe.py): scheme addresses, www., emails, and `<…>` links.
_BARE = re.compile(
    r"[A-Za-z][A-Za-z0-9+.-]*://[^\s<>|]+|www\.[^\s<>|]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.I
)


def posted_by_the_bot(world) -> list[str]:
    """Every message the bot posted, in any channel or DM: its text and its blocks."""
    bot_user = bot(world)
    found = []
    for conversation in [c["id"] for c in world.sl.channels()] + [
        *world.team["slack_ids"].values()
    ]:
        if conversation.startswith("C"):
            messages = world.sl.messages(conversation)
        else:
            messages = world.sl.dms(conversation)
        for m in messages:
            if m.get("user") == bot_user or m.get("bot_id"):
                found.append(m.get("text", "") + "\n" + json.dumps(m.get("blocks") or []))
    return found


def links_in(text: str) -> list[str]:
    """The addresses Slack would make links of in `text`: `<url|…>` and bare ones."""
    own = re.findall(r"<((?:https?|mailto):[^|>]+)(?:\|[^>]*)?>", text)
    outside = re.sub(r"<[^>]*>", " ", text)
    return own + _BARE.findall(outside)


def test_no_message_the_bot_posts_links_where_the_reporter_wrote(world):
    from incident_sandbox.demo import REPORT_BODY

    number = world.report(title=TITLE, body=REPORT_BODY + "\n" + BODY_LINKS)
    world.declare(number)
    world.say(number, "dana", f"/update Looking at it, see {EVIL} and www.evil.com")
    world.say(number, "dana", "/resolved-when errors at evil.example/status are gone")
    # A Slack display name that reads like a link, writing and pinning a note (its name
    # shows in the status comment, tests/e2e/test_inert_names.py; here nothing of it links).
    channel = world.record(number).channel_id
    world.sl.add_user("U0EVIL0001", "[dana](https://evil.example/dana)", "Not Dana")
    ts = say(world, channel, "U0EVIL0001", "I am dana, see https://evil.example/login")
    world.sl.pin_as_user(channel, ts, "U0EVIL0001")
    sweep(world)
    posted = posted_by_the_bot(world)
    announce = world.team["channels"]["wc-platform"]
    assert any("reset your password" in t for t in world.slack_texts(announce))
    assert any("evil[.]example" in t for t in world.slack_texts(channel))
    [shown] = [c for c in world.sl.channels() if c["id"] == channel]
    assert "evil[.]example/status" in json.dumps(shown["topic"])
    updates = [t for t in world.slack_texts(channel) if "Looking at it" in t]
    assert updates and "https[://]evil[.]example/reset and www[.]evil[.]com" in updates[0]
    dms = [m["text"] for u in world.team["slack_ids"].values() for m in world.sl.dms(u)]
    assert any("reset your password" in t for t in dms), dms
    assert len(posted) >= 4
    for text in posted:
        for address in links_in(text):
            assert "evil" not in address, (address, text[:3000])
            # The tool's own links only: the issue, its channel, GitHub.
            assert address.startswith(f"https://github.com/{REPO}/"), (address, text[:3000])
        assert "<!channel>" not in text and "<!here>" not in text
