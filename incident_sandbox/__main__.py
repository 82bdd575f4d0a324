"""``python -m incident_sandbox --port N``: serve the seeded demo sandbox by hand.

GitHub is served on port N and Slack on N+1. Webhook events caused by people (requests
made with their tokens) are written as JSON files to ``--events-dir`` so they can be fed
to ``incident-tool handle --event-name NAME --event-path FILE``. Ctrl-C stops it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
from pathlib import Path

from incident_sandbox.demo_seed import seed_demo
from incident_sandbox.server import Sandbox


def _write_events(sb: Sandbox, directory: Path, counter: list[int]) -> None:
    for name, payload in sb.github.take_events():
        counter[0] += 1
        path = directory / f"{counter[0]:04d}-{name}.{payload.get('action', 'event')}.json"
        path.write_text(json.dumps(payload, indent=2), encoding="utf-8")
        print(f"event {name}.{payload.get('action')} -> {path}", flush=True)


def serve(port: int = 8765, events_dir: str | None = None) -> None:
    """Seed the demo team and serve GitHub on ``port`` and Slack on ``port + 1``."""
    directory = Path(events_dir or tempfile.mkdtemp(prefix="incident-sandbox-events-"))
    directory.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    with Sandbox(github_port=port, slack_port=port + 1 if port else 0) as sb:
        seed = seed_demo(sb)
        config_path = directory / "incident.yml.json"
        config_path.write_text(json.dumps(seed["config"], indent=2), encoding="utf-8")
        print("incident-tool sandbox: GitHub and Slack doubles on 127.0.0.1")
        print(f"  GitHub API: {sb.github_url}")
        print(f"  Slack API:  {sb.slack_url}")
        print(f"  repository: {seed['repo']}")
        print("  run the tool against it with:")
        for key, value in seed["env"].items():
            print(f"    export {key}={value}")
        print("  act as a person with their token (Authorization: token ...):")
        for login, token in seed["tokens"].items():
            if login != "bot":
                print(f"    {login:6} {token}")
        print("  act as a person in Slack with their user token (Authorization: Bearer ...):")
        for login, user_id in seed["slack_ids"].items():
            print(f"    {login:6} {user_id}  {sb.slack.user_token(user_id)}")
        channels = ", ".join(f"#{name} {cid}" for name, cid in seed["channels"].items())
        print(f"  channels: {channels} (each incident's channel: conversations.list)")
        print("  e.g. a command in an incident channel, then a sweep reads it:")
        print(
            f'    curl -s -H "Authorization: Bearer <lee\'s token>" "${{SLACK_API_URL}}'
            f'chat.postMessage" -d channel=<channel id> -d "text=<@{sb.slack.bot_user_id}> '
            'update Rolled back the index"'
        )
        print("    (also pins.add, reactions.add name=pushpin, chat.update to edit)")
        print("  or keep `incident-tool listen --repo <repository>` running in a third terminal")
        print("  (the exports above include SLACK_APP_TOKEN): it carries each out at once,")
        print("  and answers what Slack's client does (the sandbox's /_person/ paths):")
        person = f"{sb.slack_url.removesuffix('api/')}_person"
        print(f'    curl -s -H "Authorization: Bearer <rita\'s token>" {person}/slash \\')
        print("      -d channel=<#wc-platform id> -d text=          # /incident: the report form")
        print(f'    curl -s -H "Authorization: Bearer <rita\'s token>" {person}/views')
        print(f'    curl -s -H "Authorization: Bearer <rita\'s token>" {person}/submit \\')
        print('      -H "Content-Type: application/json" -d \'{"view_id": "<id>", "values":')
        print(
            '      {"title": {"value": {"type": "plain_text_input", "value": "Search is down"}}}}\''
        )
        print(f'    curl -s -H "Authorization: Bearer <dana\'s token>" {person}/click \\')
        print("      -d channel=<DM id> -d ts=<message ts> -d action_id=incident:declare")
        print("    (the DM's id and ts: conversations.list types=im, conversations.history)")
        print(f"  config (.github/incident.yml as JSON): {config_path}")
        print(f"  webhook events are written to: {directory}")
        print("Ctrl-C to stop.", flush=True)
        counter = [0]
        try:
            while not stop.wait(0.5):
                _write_events(sb, directory, counter)
        except KeyboardInterrupt:
            print("\nsandbox stopped.")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m incident_sandbox",
        description="Serve a seeded GitHub + Slack sandbox for trying incident-tool by hand.",
    )
    parser.add_argument(
        "--port", type=int, default=8765, help="GitHub port (Slack uses port+1); 0 picks free ports"
    )
    parser.add_argument("--events-dir", help="where to write webhook event payloads")
    args = parser.parse_args(argv)
    try:
        serve(args.port, args.events_dir)
    except OSError as exc:
        print(f"error: cannot serve on port {args.port}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # interrupted while starting up
        print("\nsandbox stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
