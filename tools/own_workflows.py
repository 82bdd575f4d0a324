"""Write this repository's own incident workflows from the templates `init` writes.

`python tools/own_workflows.py` (re)writes .github/workflows/incident.yml,
incident-sweep.yml, incident-followups.yml and incident-live.yml (what `init --live
actions` writes; only dispatched, so idle here): the adopters' workflows, status page
job included, with
`uses: ./` (action.yml of this checkout: the commit the event is on) instead of a
commit of this repository pinned by SHA. tests/files/test_github_files.py checks that the
files are what this writes, so the two never drift apart.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's templates, whatever is installed

from incident_tool.verbs.init import render_workflow  # noqa: E402

HEADER = """\
# This repository's own copy of what `incident-tool init` writes (from
# incident_tool/templates/ by tools/own_workflows.py: edit the template, then run it).
# It dogfoods itself: `uses: ./` runs action.yml from this checkout, the commit the
# event is on, which installs the dependencies from requirements.lock by hash.
# zizmor's `$/` self-repository syntax is not used: act, which tests these files, runs `./`.
"""
LOCAL = "uses: ./ # zizmor: ignore[self-repository]"


def own_workflows() -> dict[Path, str]:
    """Return each own workflow file with its content."""
    files = {
        ".github/workflows/incident.yml": render_workflow("workflow.yml", "./", status_page=True),
        ".github/workflows/incident-sweep.yml": render_workflow("workflow-sweep.yml", "./"),
        ".github/workflows/incident-followups.yml": render_workflow("workflow-followups.yml", "./"),
        ".github/workflows/incident-live.yml": render_workflow("workflow-live.yml", "./"),
    }
    out = {}
    for relative, text in files.items():
        text = text.replace("uses: ./ # v", "uses: ./ # version ").replace(
            "uses: ./ # version ", LOCAL + " # version "
        )
        text = "\n".join(
            line.split(" # version ")[0] if LOCAL in line else line for line in text.split("\n")
        )
        text = text.replace("Written by `incident-tool init`. ", "", 1)
        text = text.replace("# Written by `incident-tool init --live actions`.\n", "", 1)
        out[ROOT / relative] = HEADER + text
    return out


def main() -> None:
    for path, text in own_workflows().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
