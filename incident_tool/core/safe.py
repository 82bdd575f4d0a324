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
- where it is someone's name, or a report's text in what the tool itself writes, it links
  nowhere (`inert`): no `[label](url)`, and an address GitHub would link by itself is
  shown as code, so a Slack display name `[dana](https://evil.example)` reads as typed.

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
    """Quote user text in a Slack message the tool posts: it cannot ping, forge or be a link.

    `&`, `<` and `>` are escaped (so `<!channel>` and `<url|label>` are text), bidirectional
    controls removed, and every address Slack would link by itself is defanged (`slack_inert`).
    """
    text = slack_inert(plain(text))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_plain(text: str) -> str:
    """User text for a Block Kit `plain_text` object: not mrkdwn, so nothing to escape, but
    without bidirectional controls and with its addresses defanged all the same (Slack's
    docs say plain_text is not formatted; they do not say it is never linked)."""
    return slack_inert(plain(text))


# What Slack links by itself in text an app posts. Escaping `<` and `>` is not enough: "regular
# URLs will still be converted into clickable links" even without `link_names` or `parse`
# (api.slack.com/reference/surfaces/formatting#automatic-parsing), the server detecting them,
# `http://foo.com/` and `www.foo.com` alike (api.slack.com/docs/formatting, "URL detection is
# performed by the server"), and an address in `code` is still linked, only not unfurled
# (github.com/bitrise-steplib/steps-slack-message/issues/7). So the address itself is broken
# the way security teams "defang" one: `https[://]evil[.]example/reset`, readable and copyable,
# linked by nothing. Schemes of any kind, `mailto:`, `www.`, emails, and host names that Slack
# would read as one: with a path or port after them, three labels or more, or a common TLD.
_COMMON_TLDS = frozenset(
    "com net org io co info biz app dev ai me xyz sh ly gg to us uk de fr ru cn eu in cloud"
    " online site link click top live page zip mov example".split()
)
# A word that may hold an address: one with `://`, `www.` or a dot before two letters (every
# host name and email has one). A word ends at a space, `<`, `>` or `|`, as an address does.
# It starts only where a word does, so each word is read a bounded number of times: text of
# no addresses (100,000 characters of `<a:`) costs no call of `_defanged` at all.
_WORD = re.compile(r"(?<![^\s<>|])[^\s<>|]*(?:\.[A-Za-z]{2}|://|www\.)[^\s<>|]*", re.I)
_LABELS = re.compile(r"[A-Za-z0-9.-]+")


def slack_inert(text: str) -> str:
    """Defang every address in `text` that Slack would link: `://`, `:` and `.` bracketed.

    Plain text in, plain text out (escape it for mrkdwn after: `slack` does both). A word that
    holds an address is defanged whole, so nothing of it can be read as one. Only the tool's
    own links, written as `<url|label>` outside user text, stay links in Slack. One pass over
    the text, whatever it holds (issue #23, item 8).
    """
    return _WORD.sub(_defanged, text)


def _defanged(match: re.Match[str]) -> str:
    word = match.group(0)
    lowered = word.lower()
    if not ("://" in word or "www." in lowered or _has_host(word)):
        return word
    word = word.replace("://", "[://]").replace(".", "[.]")
    return (
        re.sub("mailto:", "mailto[:]", word, flags=re.IGNORECASE) if "mailto:" in lowered else word
    )


def _has_host(word: str) -> bool:
    """Whether `word` holds a host name Slack would read as one: after an `@` (an email),
    with a path or port after it, of three labels or more, or with a common TLD. "report.pdf",
    "node.js" and "v1.2.3" are no host names."""
    for piece in _LABELS.finditer(word):
        start, end = piece.span()
        before, after = word[start - 1 : start], word[end : end + 1]
        names = piece.group(0).strip(".")
        for name in names.split("..") if ".." in names else (names,):  # "a..b.com": b.com
            labels = name.strip(".").split(".")
            tld = labels[-1]
            if len(labels) < 2 or len(tld) < 2 or not tld.isalpha():
                continue
            if before == "@" or (after and after in "/:?#") or len(labels) >= 3:
                return True
            if tld.lower() in _COMMON_TLDS:
                return True
    return False


# What GitHub links by itself (GFM's extended autolinks); emails are broken by `markdown`'s
# `@`. Brackets, quotes and `|` end one, as they end most addresses in prose.
_AUTOLINK = re.compile(r"(?<![A-Za-z0-9])(?:https?://|ftp://|www\.)[^\s<>`|\\\[\]()\"']+", re.I)


def inert(text: str, *, inline: bool = False) -> str:
    """Quote user text in Markdown as `markdown` does, and let it link nowhere.

    For names (a Slack display name is anyone's text) and for a report's text wherever the
    tool writes it under its own name: `[label](url)` and `[label][ref]` lose their
    brackets' meaning, and a bare address is shown as code (copyable, never a link).
    """
    text = plain(text)
    if inline:
        text = " ".join(text.split())
    parts: list[str] = []
    start = 0
    for match in _AUTOLINK.finditer(text):
        # Trailing punctuation ends the sentence, not the address (as GitHub reads it).
        address = match.group(0).rstrip(".,:;!?*_~")
        parts.append(_no_brackets(text[start : match.start()], inline))
        parts.append(f"`{address}`")
        start = match.start() + len(address)
    parts.append(_no_brackets(text[start:], inline))
    return "".join(parts)


def _no_brackets(text: str, inline: bool) -> str:
    # A backtick of the user's own next to the tool's code span would change where it ends.
    text = markdown(text).replace("[", "\\[").replace("]", "\\]").replace("`", "\\`")
    return text.replace("|", "\\|") if inline else text
