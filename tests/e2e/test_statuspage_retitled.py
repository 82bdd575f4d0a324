"""A title the team `/retitle`s with an address and bidirectional controls is shown on the
status page and in its Atom feed as typed and as nothing else (issue #23, items 9 and 10):
the controls are gone and the address is text, never a link. Checked on the pages the
`status-page` verb writes, not on a template rendered by hand."""

from __future__ import annotations

import re
from pathlib import Path

from incident_tool.core.safe import BIDI_CONTROLS
from tests.e2e.test_public_face import build_page, declared_by_olly, with_page
from tests.world import REPO, cli

# The marks (LRM, RLM, ALM) and an override: "exe.txt" reads as typed only without them.
RETITLED = "Reset\u200e at https://evil.example/reset \u202ecod.exe\u202c\u200f \u061cdone"
SHOWN = "Reset at https://evil.example/reset cod.exe done"


def pages(world, out: Path) -> dict[str, str]:
    code, output = cli(world, "status-page", "--repo", REPO, "--out", str(out))
    assert code == 0, output
    return {p.relative_to(out).as_posix(): p.read_text() for p in out.rglob("*") if p.is_file()}


def test_a_retitled_title_with_an_address_and_bidi_marks(world, tmp_path):
    with_page(world)
    n = declared_by_olly(world)
    world.say(n, "dana", f"/retitle {RETITLED}")
    assert world.record(n).public_title is not None
    assert "\u202e" in RETITLED and all(c in BIDI_CONTROLS for c in "\u200e\u200f\u061c\u202e")
    built = pages(world, tmp_path / "site")
    shown = {name: built[name] for name in ("index.html", f"incidents/{n}.html", "feed.atom")}
    for name, text in shown.items():
        assert [hex(ord(c)) for c in text if c in BIDI_CONTROLS] == [], name
        assert SHOWN in text, name  # as typed, without the controls
        # Text, never a link: no element or attribute points at it (the title is the label
        # of the page's own link to the incident's page, which is the tool's).
        assert not re.search(r"(href|src)\s*=\s*[\"']?[^\"'>]*evil", text, re.I), name
        assert not re.search(r"<link\b[^>]*evil", text, re.I), name
        assert re.findall(r"href=\"([^\"]*)\"[^>]*>[^<]*evil", text) in (
            [],
            [f"incidents/{n}.html"],
        )
    assert "Search returns nothing" not in shown["index.html"]  # the team's title won
    # And in Slack, the announce channel's word of the new title is defanged.
    announced = world.slack_texts(world.team["channels"]["wc-platform"])
    retitled = [t for t in announced if "cod.exe" in t]
    assert retitled and "https[://]evil[.]example/reset" in retitled[-1]
    assert not [c for t in retitled for c in t if c in BIDI_CONTROLS]


def test_the_page_builds_as_before_without_a_retitle(world, tmp_path):
    with_page(world)
    declared_by_olly(world)
    page = build_page(world, tmp_path / "site")
    assert "Search returns nothing" in page
