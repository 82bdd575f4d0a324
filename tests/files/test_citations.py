"""Every place the code and the docs point to in docs/ exists, and the README stays a front door.

Comments and docstrings cite a section as `docs/<page>.md#<anchor>`; the pages link each other
with relative Markdown links. Both must land on a heading that exists, with its anchor
computed GitHub's way (lowercase; punctuation other than `-` and `_` dropped; spaces to `-`;
a repeated heading gets `-1`, `-2`). The old citations, `README "Section"`, are gone: the README
is at most 200 lines and sends readers on to docs/.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README_LINES = 200
SCANNED = ("incident_tool", "incident_sandbox", "bench", "tools", "tests", "templates", "docs")
SUFFIXES = (".py", ".j2", ".md", ".yml", ".yaml", ".toml")
# Recorded API answers and webhook payloads are GitHub's and Slack's text, not ours.
NOT_OURS = ("tests/reference/", "tests/data/", "tests/cassettes/", "tests/act/")
# This file spells out the patterns it looks for.
THIS = Path(__file__).resolve()

CITATION = re.compile(r"\b((?:docs/[\w.-]+|README)\.md)#([\w-]+)")
OLD_CITATION = re.compile(r'README,?\s+(?:#\s*)?\\?"')
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading's text."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip())  # a link: its words
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """The anchors of a page's headings (not of lines in code blocks), repeats numbered."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for match in re.finditer(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", FENCE.sub("", markdown), re.M):
        base = anchor(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def our_files() -> list[Path]:
    files = [ROOT / "README.md"]
    for folder in SCANNED:
        for path in sorted((ROOT / folder).rglob("*")):
            relative = path.relative_to(ROOT).as_posix()
            if path.is_file() and path.suffix in SUFFIXES and not relative.startswith(NOT_OURS):
                files.append(path)
    return [p for p in files if p.resolve() != THIS]


def citations(files: dict[str, str]) -> dict[tuple[str, str], str]:
    """(page, anchor) -> the first place that cites it, from {path: text}."""
    cited: dict[tuple[str, str], str] = {}
    for path, text in files.items():
        for match in CITATION.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            cited.setdefault((match.group(1), match.group(2)), f"{path}:{line}")
    return cited


def unresolved(cited: dict[tuple[str, str], str], read: dict[str, str | None]) -> list[str]:
    """The citations whose page is missing (None in `read`) or has no such heading."""
    wrong = []
    for (page, name), where in sorted(cited.items()):
        text = read.get(page)
        if text is None:
            wrong.append(f"{where}: {page} does not exist")
        elif name not in anchors(text):
            wrong.append(f"{where}: {page} has no heading with anchor #{name}")
    return wrong


def read_page(page: str) -> str | None:
    path = ROOT / page
    return path.read_text(encoding="utf-8") if path.is_file() else None


def texts() -> dict[str, str]:
    return {p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8") for p in our_files()}


def test_anchors_are_computed_as_github_does() -> None:
    page = (
        "# Title\n\n## Configuration: `.github/incident.yml`\n\n"
        "## Actions bills, and the `actions: write` permission\n\n"
        "```sh\n# not a heading\n```\n\n### Follow-ups\n\n### Follow-ups\n\n## The [lead](x.md)\n"
    )
    assert anchors(page) == {
        "title",
        "configuration-githubincidentyml",
        "actions-bills-and-the-actions-write-permission",
        "follow-ups",
        "follow-ups-1",
        "the-lead",
    }


def test_the_checker_catches_a_citation_of_a_missing_heading() -> None:
    """A made-up citation to an anchor, or a page, that does not exist is reported."""
    page = "docs/" + "made-up.md"
    cited = citations(
        {
            "x.py": f"# see {page}#the-lead (and {page}#no-such-heading)\n",
            "y.py": "\n# " + "docs/" + "gone.md#anything\n",
        }
    )
    assert set(cited) == {
        (page, "the-lead"),
        (page, "no-such-heading"),
        ("docs/gone.md", "anything"),
    }
    wrong = unresolved(cited, {page: "# Made up\n\n## The lead\n"})
    assert wrong == [
        "y.py:2: docs/gone.md does not exist",
        f"x.py:1: {page} has no heading with anchor #no-such-heading",
    ]


def test_every_cited_docs_heading_exists() -> None:
    cited = citations(texts())
    assert len(cited) > 15  # the scan found the code's citations at all (21 distinct, 2026-12-06)
    assert {page for page, _ in cited} >= {"docs/usage.md", "docs/architecture.md"}
    pages = {page: read_page(page) for page, _ in cited}
    assert unresolved(cited, pages) == []


def test_no_readme_section_citation_remains() -> None:
    old = [
        f"{path}:{text.count(chr(10), 0, m.start()) + 1}"
        for path, text in texts().items()
        for m in OLD_CITATION.finditer(text)
    ]
    assert OLD_CITATION.search('per README "Measured"') and OLD_CITATION.search(
        '(README\n    # "The lead")'
    )
    assert old == []


def links(markdown: str) -> list[str]:
    """The link targets of a page, leaving out code blocks and code spans."""
    prose = re.sub(r"`[^`\n]*`", "", FENCE.sub("", markdown))
    return LINK.findall(prose)


def broken_links(path: Path) -> list[str]:
    broken = []
    for target in links(path.read_text(encoding="utf-8")):
        if re.match(r"^[a-z]+:", target):  # https:, mailto:: not ours to check here
            continue
        file_part, _, name = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif name and linked.suffix == ".md":
            if name not in anchors(linked.read_text(encoding="utf-8")):
                broken.append(f"{target}: no such heading")
    return broken


def test_the_link_checker_catches_a_broken_link(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# A\n\n## Here\n", encoding="utf-8")
    page = tmp_path / "b.md"
    page.write_text(
        "[ok](a.md#here) [self](#b) `[code](x.md)` [gone](x.md) [wrong](a.md#there)\n\n# B\n",
        encoding="utf-8",
    )
    assert broken_links(page) == ["x.md: no such file", "a.md#there: no such heading"]


def test_every_relative_link_in_the_readme_and_docs_lands() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    assert len(pages) > 8
    broken = {p.relative_to(ROOT).as_posix(): broken_links(p) for p in pages}
    assert {page: found for page, found in broken.items() if found} == {}


def test_the_readme_is_a_front_door() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= README_LINES
    # It sends each reader on: every page of docs/ is linked from it.
    linked = {target.partition("#")[0] for target in links(readme)}
    written = {p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md")}
    assert written - linked == set()
