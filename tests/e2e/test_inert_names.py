"""Names and a report's text link nowhere in what the tool writes (issue #23, item 10): a
Slack display name `[dana](https://evil.example)` read like a GitHub login link in the status
comment and the retrospective, and links from a report's body were live in the bot's own
text (the issue it opens for a Slack report, the retrospective)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from incident_sandbox.demo import REPORT_BODY
from incident_tool.core import safe, wording
from tests.e2e.test_slack_writes_back import command, declared, say, sweep
from tests.world import REPO

EVIL = "[dana](https://evil.example)"


def outside_code(markdown: str) -> str:
    """The text GitHub would parse for links: code spans removed."""
    return re.sub(r"`[^`\n]*`", "", markdown)


def live(markdown: str) -> bool:
    """Whether `evil.example` could be a link: outside a code span, as a link or an address."""
    return "evil.example" in outside_code(markdown)


def test_a_slack_display_name_is_no_link_in_the_status_comment_or_the_retrospective(world):
    number, channel = declared(world)
    world.sl.add_user("U0EVIL0001", EVIL, "Not Dana")
    ts = say(world, channel, "U0EVIL0001", "I am dana, trust me")
    world.sl.pin_as_user(channel, ts, "U0EVIL0001")
    sweep(world)
    status = world.status(number)["body"]
    assert "\\[dana\\](`https://evil.example`) (Slack)" in status
    assert not live(status.split("<!-- incident-tool:data")[0])
    world.gh.close_issue(REPO, number, "dana", reason="completed")
    world.deliver()
    [retro] = world.retrospectives()
    assert "\\[dana\\](`https://evil.example`) (Slack)" in retro["body"]
    assert not live(retro["body"])


def test_links_in_a_report_are_no_links_in_the_retrospective(world):
    body = REPORT_BODY.replace(
        "returns no results for any query.",
        "returns no results, log in at [the portal](https://evil.example/a) or www.evil.example.",
    )
    number = world.report(body=body)
    world.declare(number)
    world.gh.close_issue(REPO, number, "dana", reason="completed")
    world.deliver()
    [retro] = world.retrospectives()
    assert "`https://evil.example/a`" in retro["body"] and "`www.evil.example`" in retro["body"]
    assert not live(retro["body"])


def test_a_slack_report_s_links_and_name_are_no_links_in_the_tools_issue(world):
    world.sl.add_user("U0EVIL0001", EVIL, "Not Dana")
    announce = world.team["channels"]["wc-platform"]
    command(world, announce, "U0EVIL0001", "report reset your password at https://evil.example/r")
    sweep(world)
    [issue] = [i for i in world.gh.issues(REPO) if i["title"].startswith("[Incident]: reset")]
    assert issue["user"]["login"] == world.gh.bot_login
    assert "`https://evil.example/r`" in issue["body"]
    assert not live(issue["body"])


def test_a_login_still_links_to_its_profile_and_anything_else_is_inert():
    assert wording.person("dana") == "[dana](https://github.com/dana)"
    assert (
        wording.person("dependabot[bot]") == "[dependabot[bot]](https://github.com/dependabot[bot])"
    )
    assert wording.person(EVIL) == "\\[dana\\](`https://evil.example`)"
    assert wording.person("dana (Slack)") == "dana (Slack)"


PIECES = [*"[]()!<>`|\\ \n:/.wh", "https://", "www.", "evil.example"]


def outside_spans(shown: str) -> str:
    """What lies outside code spans, read as CommonMark does: a backslash escapes the next
    character outside a span (so `\\`` opens none); inside one it is a character. Every span
    is closed."""
    out: list[str] = []
    inside, i = False, 0
    while i < len(shown):
        if shown[i] == "\\" and not inside and i + 1 < len(shown):
            out.append(shown[i : i + 2])
            i += 2
            continue
        if shown[i] == "`":
            inside = not inside
        elif not inside:
            out.append(shown[i])
        i += 1
    assert not inside, shown
    return "".join(out)


@given(st.lists(st.sampled_from(PIECES)).map("".join))
def test_inert_text_never_opens_a_link(text):
    for shown in (safe.inert(text), safe.inert(text, inline=True)):
        outside = outside_spans(shown)
        # Every `[` left is escaped (an odd run of backslashes before it), so none opens a
        # link; no address GitHub would link is outside a code span.
        for m in re.finditer(r"\[", outside):
            run = len(outside[: m.start()]) - len(outside[: m.start()].rstrip("\\"))
            assert run % 2 == 1, shown
        linkable = r"(?i)(?<![A-Za-z0-9])(https?://|www\.)[A-Za-z0-9_-]"
        assert not re.search(linkable, outside), shown
        assert "<" not in shown and ">" not in shown
