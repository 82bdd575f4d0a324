"""Keep what people wrote in a retrospective when it is rendered again (`retro N`).

The template marks the sections it leaves for people:

    <!-- incident-tool:section went-well -->
    -
    <!-- incident-tool:end went-well -->

Every rendering carries a seal, `<!-- incident-tool:rendered v1 frame=… went-well=… -->`:
a hash of the text outside the sections (the frame) and, per section, a hash of what the
tool wrote there. On re-rendering, a section whose text no longer matches its hash was
written by people and is carried over; if the frame no longer matches, people edited
outside the sections and only `--force` may replace that.

GitHub's web editor turns newlines into CRLF and may strip trailing spaces, so hashes are
of text with normalised line ends and no trailing whitespace.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

_SECTION = re.compile(
    r"<!-- incident-tool:section (?P<name>[a-z0-9-]{1,40}) -->(?P<body>.*?)"
    r"<!-- incident-tool:end (?P=name) -->",
    re.DOTALL,
)
_SEAL = re.compile(
    r"<!-- incident-tool:rendered v1(?P<fields>(?: [a-z0-9-]+=[a-p]+)*) -->[ \t]*\r?\n?"
)
_ANY_MARK = re.compile(r"<!-- incident-tool:(?:section|end) ")


class RetroEdited(Exception):
    """Re-rendering would lose what people wrote; the message says what and where."""


@dataclass
class Merge:
    """A re-rendered body, and the sections whose text people wrote that it kept."""

    body: str
    kept: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # only with force


def _norm(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


_LETTERS = str.maketrans("0123456789abcdef", "abcdefghijklmnop")


def same(a: str, b: str) -> bool:
    """Say whether two bodies are equal once line ends and trailing spaces are normalised."""
    return _norm(a) == _norm(b)


def _hash(text: str) -> str:
    # Letters only (hex digits moved to a-p): a seal never reads as a number in the body.
    return hashlib.sha256(_norm(text).encode("utf-8")).hexdigest()[:16].translate(_LETTERS)


def sections(body: str) -> dict[str, str]:
    """Return each marked section's text (between its markers), by name."""
    return {m["name"]: m["body"] for m in _SECTION.finditer(body)}


def frame(body: str) -> str:
    """Return the body without the sections' text and without the seal."""
    body = _SEAL.sub("", body)
    return _SECTION.sub(lambda m: f"<!-- section {m['name']} -->", body)


def seal(body: str, after: str | None = None) -> str:
    """Add the seal (hashes of the frame and of each section as rendered now) after the
    line `after` when the body has it, else first."""
    body = _SEAL.sub("", body)
    fields = [f"frame={_hash(frame(body))}"]
    fields += [f"{name}={_hash(text)}" for name, text in sections(body).items()]
    line = f"<!-- incident-tool:rendered v1 {' '.join(fields)} -->\n"
    if after and (at := body.find(after + "\n")) >= 0:
        at += len(after) + 1
        return body[:at] + line + body[at:]
    return line + body


def _seal_of(body: str) -> dict[str, str] | None:
    found = list(_SEAL.finditer(body))
    if not found:
        return None
    fields = found[-1]["fields"].split()
    return dict(item.split("=", 1) for item in fields)


def merge(existing: str, fresh: str, *, force: bool = False) -> Merge:
    """Return `fresh` (sealed) with the sections people wrote in `existing` carried over.

    Raise RetroEdited, unless `force`, when `existing` was edited outside its sections,
    has no seal (written by hand, or by an older incident-tool) while differing from
    `fresh`, or has people's text in a section the template no longer has.
    """
    stored = _seal_of(existing)
    if stored is None:
        if _norm(existing) == _norm(fresh) or force:
            return Merge(fresh)
        raise RetroEdited(
            "it has no incident-tool seal (written by hand or by an older version), so "
            "what people wrote cannot be told from what the tool wrote"
        )
    if _norm(frame(existing)) != _norm(frame(fresh)) and stored.get("frame") != _hash(
        frame(existing)
    ):
        if not force:
            raise RetroEdited(
                "it was edited outside the sections left for people "
                f"({', '.join(sections(fresh)) or 'none'})"
            )
    old = sections(existing)
    if len(old) != len(_ANY_MARK.findall(existing)) // 2 and not force:
        raise RetroEdited("a section marker of it was changed or removed")
    written = {name: text for name, text in old.items() if stored.get(name) != _hash(text)}
    new = sections(fresh)
    lost = [name for name in written if name not in new]
    if lost and not force:
        raise RetroEdited(f"people wrote in {', '.join(lost)}, which the template no longer has")

    def keep(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in written:
            return match[0]
        return (
            f"<!-- incident-tool:section {name} -->{written[name]}<!-- incident-tool:end {name} -->"
        )

    # The seal keeps the hashes of the tool's own text: a kept section stays "people's".
    body = _SECTION.sub(keep, fresh if _seal_of(fresh) else seal(fresh))
    return Merge(body, kept=[n for n in new if n in written], lost=lost)


def reseal(before: str, after: str) -> str:
    """Return `after`, the body `before` as the tool itself changed it (follow-up links),
    with the seal updated so that what was the tool's text stays the tool's and what
    people wrote stays theirs: only hashes that matched before are moved on."""
    stored = _seal_of(before)
    if stored is None:
        return after
    fields = dict(stored)
    if stored.get("frame") == _hash(frame(before)):
        fields["frame"] = _hash(frame(after))
    old = sections(before)
    for name, text in sections(after).items():
        if name in old and stored.get(name) == _hash(old[name]):
            fields[name] = _hash(text)
    line = "<!-- incident-tool:rendered v1 " + " ".join(f"{k}={v}" for k, v in fields.items())
    return _SEAL.sub(lambda _: line + " -->\n", after, count=1)
