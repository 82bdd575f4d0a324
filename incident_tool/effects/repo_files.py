"""Files of the repository's default branch, for verbs run outside a checkout.

`retro`, `report`, `sweep` and `labels sync` run by hand from anywhere. Without a local
`.github/incident.yml` they read the one on the default branch (one GET of the contents
API: `GET /repos/{owner}/{repo}/contents/{path}`, which answers for the default branch when
no `ref` is given), so a person's run uses the team's delivery managers and template.
"""

from __future__ import annotations

from typing import Any

from incident_tool.config import MAX_BYTES, ConfigError


def fetch(gh: Any, repo: str, path: str) -> str | None:
    """Return the text of `path` on `repo`'s default branch; None when there is none.

    Raise ConfigError for a file too large or not text, and let other GitHub failures
    (a bad token, an unreachable server) through for the caller to describe.
    """
    from github import UnknownObjectException

    try:
        content = gh.get_repo(repo).get_contents(path)
    except UnknownObjectException:
        return None  # no such file (or repository: the verb's own requests will say)
    if isinstance(content, list) or content.type != "file":
        return None
    where = f"{repo}:{path} (default branch)"
    if content.size > MAX_BYTES:
        raise ConfigError(f"{where}: larger than {MAX_BYTES // 1024} KiB, too large")
    try:
        return content.decoded_content.decode("utf-8")
    except (UnicodeDecodeError, AssertionError, ValueError):
        raise ConfigError(f"{where}: cannot read: not UTF-8 text") from None
