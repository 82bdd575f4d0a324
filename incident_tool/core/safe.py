"""Make user text safe to show: the one place that knows how (docs/security.md#security).

Everything people wrote (titles, report fields, comments, Slack messages) is shown by the
tool somewhere: bot comments and the status comment on GitHub, the retrospective, Slack,
the Actions job summary. Wherever it is shown it must stay data:

- it cannot hide its direction: the bidirectional controls U+202A-U+202E (embeddings and
  overrides), U+2066-U+2069 (isolates) and the marks U+200E, U+200F, U+061C (LRM, RLM,
  ALM: they move neutral characters such as "." across a run) are removed, so
  "‮txt.exe" reads as typed, on GitHub, in Slack and on the status page and its feed;
- on GitHub and in the job summary (both Markdown) it cannot load an image (`![x](url)`,
  which would tell a tracker who read the issue, and when), open raw HTML (`<img>`,
  `<details>`), or mention anyone (`@team`);
- in Slack it cannot ping (`<!channel>`) or forge links: `&`, `<` and `>` are escaped.

Pure functions, no imports from the rest of the package.
"""

from __future__ import annotations

import re

# U+202A..U+202E: LRE, RLE, PDF, LRO, RLO; U+2066..U+2069: LRI, RLI, FSI, PDI; U+200E,
# U+200F, U+061C: LRM, RLM, ALM (UAX #9 sections 2.1-2.6, every bidi formatting character).
BIDI_CONTROLS = "".join(
    chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)
)
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")
_IMAGE = re.compile(r"!(?=\s*\[)")  # `![alt](url)`, `![alt][ref]`, `! [alt]` all start so


def plain(text: str) -> str:
    """Remove NULs and the bidirectional controls: for text shown as it is (logs, titles)."""
    return _BIDI.sub("", text.replace("\x00", ""))


def markdown(text: str, *, inline: bool = False) -> str:
    """Quote user text inside Markdown the tool writes (GitHub comments, job summary).

    HTML is escaped (so `<img src=…>` and `<!-- -->` are text), an image's `!` is escaped
    (a link stays a link, it just loads nothing), `@` cannot mention, and `inline` text is
    one line that cannot break a table cell.
    """
    # A backslash of the user's own must not escape the tool's: `\![x](u)` stays inert.
    text = plain(text).replace("\\", "\\\\")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _IMAGE.sub(r"\\!", text)
    text = re.sub(r"@(?=[A-Za-z0-9])", "@\u200b", text)
    if inline:
        text = " ".join(text.split()).replace("|", "\\|")
    return text


def slack(text: str) -> str:
    """Escape user text for Slack mrkdwn (`&`, `<`, `>`), without bidirectional controls."""
    return plain(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
