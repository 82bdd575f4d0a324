"""Time from an event to its first effect under act, by way of installing incident-tool.

    python bench/install.py [--rounds N]

For each way of installing, the real workflow (.github/workflows/incident.yml, through
action.yml) runs under act (tests/act/harness.py: no Docker, `-P
ubuntu-latest=-self-hosted`) on an `issues.labeled incident:reported` event against the
sandbox, and the figure is the time from starting act to the first write the sandbox
receives (the status comment, or the mention of the delivery managers): what a person
waits for after reporting. Each way runs cold (empty pip and uv caches: every wheel
comes from the index) and then warm (the caches the cold run filled), in a Python that
has pip and nothing else, as setup-python's does.

The ways:
- `pip install .`: what the workflow did before (resolve, download, build this package);
- `pip -r lock`: pip, the locked wheels only, by hash, the tool from the action's files;
- `uv -r lock`: the workflow now: uv installed by pip from its own lock, by hash, then
  the locked wheels with uv, the tool from the action's files.

Needs the index (PyPI) for the cold runs; pip's and uv's configuration on this machine
(local wheel folders) is switched off so that both fetch as a runner would.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_spec = importlib.util.spec_from_file_location("act_harness", ROOT / "tests/act/harness.py")
assert _spec is not None and _spec.loader is not None
harness = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = harness
_spec.loader.exec_module(harness)

REPO = "acme/web"
INSTALL_START = "        set -euo pipefail\n"
# The install step's commands for each way (the action's own step is `uv -r lock`).
WAYS = {
    "pip install .": (
        'python -m pip install --disable-pip-version-check --no-input --quiet "$GITHUB_ACTION_PATH"'
    ),
    "pip -r lock": (
        "python -m pip install --disable-pip-version-check --no-input --quiet"
        ' --require-hashes --only-binary :all: -r "$GITHUB_ACTION_PATH/requirements.lock"'
    ),
    "uv -r lock": None,  # action.yml as it is
}


def action_with(install: str | None) -> str:
    """Return action.yml with its install step's script replaced by `install`."""
    text = (ROOT / "action.yml").read_text(encoding="utf-8")
    if install is None:
        return text
    start = text.index(INSTALL_START)
    end = text.index("    - name: Run incident-tool")
    return text[:start] + INSTALL_START + f"        {install}\n" + text[end:]


def venv_template(where: Path) -> Path:
    """Make a venv with pip and nothing else (what setup-python gives a job)."""
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    return where


def step_seconds(output: str, step: str) -> float | None:
    """Return how long act says a step took (`[1.2s]`, `[850ms]`, `[1m2.5s]`)."""
    match = re.search(rf"Success - Main {re.escape(step)} \[([^\]]+)\]", output)
    if match is None:
        return None
    total, text = 0.0, match[1]
    for amount, unit in re.findall(r"([\d.]+)(ms|µs|m|s)", text):
        total += float(amount) * {"ms": 1e-3, "µs": 1e-6, "m": 60.0, "s": 1.0}[unit]
    return total


def one_run(way: str, work: Path, caches: Path, template: Path) -> dict[str, Any]:
    """Run the workflow once for a report; return the timings."""
    from incident_sandbox import Sandbox

    with Sandbox() as sb:
        gh = sb.github
        gh.add_repo(REPO)
        for login, role in (("dana-dm", "admin"), ("rita-reporter", "triage")):
            gh.add_user(login)
            gh.add_collaborator(REPO, login, role)
        gh.create_label(REPO, "incident:reported")
        gh.take_events()
        act = harness.ActHarness(work / f"run-{time.monotonic_ns()}", repository=REPO)
        act.write("action.yml", action_with(WAYS[way]))
        act.write(".github/incident.yml", "delivery_managers: [dana-dm]\n")
        gh.open_issue(REPO, "rita-reporter", "Search is down", "### Summary\n\nx\n",
                      labels=["incident:reported"])  # fmt: skip
        events = [e for e in gh.take_events() if e[1].get("action") == "labeled"]
        sb.reset_log()
        started = time.time()
        run = act.run(
            events[0][0],
            events[0][1],
            env={
                "GITHUB_API_URL": sb.github_url,
                "ACT_STANDIN_VENV_TEMPLATE": str(template),
                "PIP_CACHE_DIR": str(caches / "pip"),
                "UV_CACHE_DIR": str(caches / "uv"),
                "PIP_CONFIG_FILE": os.devnull,  # no local wheel folders or extra indexes
                "PIP_FIND_LINKS": "",
                "UV_NO_CONFIG": "1",
            },
            secrets={"GITHUB_TOKEN": gh.bot_token},
            timeout=600,
        )
        writes = [r.time for r in sb.requests if r.service == "github" and r.method != "GET"]
        if run.returncode != 0 or not writes:
            raise SystemExit(f"{way}: the run failed\n{run.describe()}")
        return {
            "first_effect": min(writes) - started,
            "run": run.seconds,
            "install": step_seconds(run.output, "Install incident-tool") or float("nan"),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="cold+warm pairs per way")
    args = parser.parse_args()
    results: dict[tuple[str, str], list[float]] = {}
    installs: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-install-") as tmp:
        work = Path(tmp)
        template = venv_template(work / "python")
        for n in range(args.rounds):
            for way in WAYS:
                caches = work / f"caches-{n}-{way.replace(' ', '_')}"
                for temperature in ("cold", "warm"):
                    got = one_run(way, work, caches, template)
                    results.setdefault((way, temperature), []).append(got["first_effect"])
                    installs.setdefault((way, temperature), []).append(got["install"])
                    print(f"  {way:<14} {temperature}: first effect {got['first_effect']:.2f} s,"
                          f" install step {got['install']:.2f} s,"
                          f" whole run {got['run']:.2f} s", flush=True)  # fmt: skip
    print()
    print("| install | cold: event → first effect | warm | install step cold | warm |")
    print("|---|---|---|---|---|")
    for way in WAYS:
        cells = []
        for table in (results, installs):
            for temperature in ("cold", "warm"):
                times = table[(way, temperature)]
                cells.append(
                    f"{statistics.median(times):.2f} s ({min(times):.2f}–{max(times):.2f})"
                )
        print(f"| {way} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
