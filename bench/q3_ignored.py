"""Question 3: `handle` on an ignored event: no request, no heavy import, start-up time."""

from __future__ import annotations

import json
import shutil
import statistics
import sys
from typing import Any

from lab import (
    PINNED,
    Lab,
    Report,
    child_env,
    ms,
    spawn,
    stats,
    verdict,
)

# ------------------------------------------------------- section 3: an ignored event

PROBE = r"""
import json, sys
from incident_tool.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code or 0
heavy = ["github", "slack_sdk", "jinja2", "yaml", "requests", "urllib3"]
print("PROBE " + json.dumps({"exit": code, "loaded": [m for m in heavy if m in sys.modules],
                             "modules": len(sys.modules)}))
"""

CONSOLE_SCRIPT = (
    # What pip writes for `incident-tool = "incident_tool.cli:main"`.
    "import re, sys; from incident_tool.cli import main; "
    "sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0]); sys.exit(main())"
)


def section3(rep: Report, quick: bool) -> dict[str, Any]:
    runs = 5 if quick else 25
    rep.section("3. `handle` on an ignored event (`issues.pinned`)")
    facts: dict[str, Any] = {}
    with Lab() as lab:
        env = lab.subprocess_env("issues", PINNED)
        handle_args = ["handle", "--event-name", "issues", "--event-path", str(PINNED)]
        lab.sb.reset_log()
        rc, _, rss, out = spawn([sys.executable, "-c", PROBE, *handle_args], env, lab.root)
        probe = json.loads(out.split("PROBE ", 1)[1]) if "PROBE " in out else {}
        requests_made = len(lab.sb.requests)
        loaded = probe.get("loaded", ["?"])
        heavy_loaded = [m for m in loaded if m in ("github", "slack_sdk", "jinja2")]
        rep.add(
            f"- Requests to the sandbox (tokens and API URLs set): **{requests_made}** "
            f"{verdict(requests_made == 0)}"
        )
        rep.add(
            f"- Heavy modules imported: **{', '.join(loaded) or 'none'}** of github, slack_sdk, "
            f"jinja2 (also checked: yaml, requests, urllib3) "
            f"{verdict(not heavy_loaded)}; {probe.get('modules', '?')} modules in sys.modules; "
            f"exit {probe.get('exit')}; output: `{out.splitlines()[0] if out else ''}`"
        )
        facts["requests"] = requests_made
        facts["heavy"] = heavy_loaded

        cold_env = {**env, **child_env(bytecode_cache=False)}
        commands: list[tuple[str, list[str], dict[str, str]]] = [
            ("python -c pass (interpreter floor)", [sys.executable, "-c", "pass"], env),
            ('python -c "import click" (reference)', [sys.executable, "-c", "import click"], env),
            (
                "python -m incident_tool handle …",
                [sys.executable, "-m", "incident_tool", *handle_args],
                env,
            ),
            (
                "incident-tool handle … (console-script equivalent)",
                [sys.executable, "-c", CONSOLE_SCRIPT, *handle_args],
                env,
            ),
            (
                "python -m incident_tool handle …, no .pyc cache (PYTHONDONTWRITEBYTECODE=1)",
                [sys.executable, "-m", "incident_tool", *handle_args],
                cold_env,
            ),
        ]
        script = shutil.which("incident-tool")
        if script:
            commands.append(
                ("incident-tool handle … (installed console script)", [script, *handle_args], env)
            )
        walls: dict[str, list[float]] = {label: [] for label, _, _ in commands}
        rss: dict[str, list[int]] = {label: [] for label, _, _ in commands}
        for _, argv, cenv in commands:  # warm the page cache and the .pyc cache
            spawn(argv, cenv, lab.root)
        for _ in range(runs):  # interleaved, so drift hits every command alike
            for label, argv, cenv in commands:
                rc, wall, peak, text = spawn(argv, cenv, lab.root)
                if rc != 0:
                    raise RuntimeError(f"{label} exited {rc}: {text[-500:]}")
                walls[label].append(wall)
                rss[label].append(peak)
        reference = statistics.median(walls['python -c "import click" (reference)'])
        rows = []
        for label, _, _ in commands:
            med, lo, hi = stats(walls[label])
            rows.append(
                [
                    label,
                    ms(med),
                    f"{ms(lo)} – {ms(hi)}",
                    f"{med / reference:.2f}×",
                    f"{max(rss[label]) / 1024:.0f} MB",
                ]
            )
            facts[label] = med
        rep.add(f"- Start-up, {runs} runs each, interleaved (after one warm-up run each):")
        rep.add("")
        rep.table(["command", "median", "min – max", "vs import click", "peak RSS"], rows)
        handle_med = facts["python -m incident_tool handle …"]
        facts["ratio"] = handle_med / reference
        rep.add(
            f"Target ≤ 1.5× `import click`: `python -m incident_tool handle` is "
            f"{handle_med / reference:.2f}× {verdict(handle_med <= 1.5 * reference)}."
            + (
                ""
                if script
                else " (`incident-tool` is not on PATH here: the package is not "
                "installed, so the console script is measured as the equivalent `python -c`.)"
            )
        )
        rep.add("")
    return facts
