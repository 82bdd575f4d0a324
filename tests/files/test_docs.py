"""docs/'s reference pages (commands, config, events, labels) are what tools/gen_docs.py writes.

The other pages of docs/ are written by hand; tests/files/test_citations.py checks their links.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.gen_docs import pages

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", sorted(pages()))
def test_generated_page_is_current(path: str) -> None:
    assert (ROOT / path).read_text(encoding="utf-8") == pages()[path], (
        f"{path} is stale: run `python tools/gen_docs.py`"
    )


def test_the_pages_name_every_command_label_and_key() -> None:
    from incident_tool.core.states import LABEL_SPECS
    from incident_tool.inbound.commands import CommandName

    made = pages()
    assert all(f"`/{name.value}" in made["docs/commands.md"] for name in CommandName)
    assert all(f"`{label}`" in made["docs/labels.md"] for label in LABEL_SPECS)
    assert "`slack.announce_channel` | _none_" in made["docs/config.md"]
    assert "`lead.ack_within` | `10`" in made["docs/config.md"]
