"""The `incident-tool` command line (docs/operating.md#cli-and-environment).

Imports are lazy on purpose: `handle` on an event it ignores reads one JSON file and exits
without importing PyGithub, slack-sdk or Jinja (the start-up budget in docs/measured.md#measured).
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

import click

from incident_tool import __version__
from incident_tool.errors import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, IncidentToolError
from incident_tool.verbs.common import (
    Output,
    _out,
    fail,
    shorten,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="incident-tool")
@click.option("--debug", is_flag=True, help="Show the full trace of unexpected errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Run an incident on GitHub, with Slack as the room.

    \b
    Try it with no account:   incident-tool demo
    In a workflow:            incident-tool handle
    """
    ctx.obj = {"debug": debug, "out": Output()}


@cli.command()
@click.option("--event-name", envvar="GITHUB_EVENT_NAME", help="Default: $GITHUB_EVENT_NAME.")
@click.option(
    "--event-path",
    envvar="GITHUB_EVENT_PATH",
    type=click.Path(dir_okay=False),
    help="Default: $GITHUB_EVENT_PATH.",
)
@click.option("--repo", help="OWNER/NAME. Default: $GITHUB_REPOSITORY, else the event's.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Default: .github/incident.yml under the working directory.",
)
@click.option("--dry-run", is_flag=True, help="Print every write it would make; make none.")
def handle(
    event_name: str | None,
    event_path: str | None,
    repo: str | None,
    config_path: str | None,
    dry_run: bool,
) -> None:
    """Handle one GitHub event (run by the workflow).

    \b
    Example, by hand against a saved event:
        incident-tool handle --event-name issues --event-path event.json --dry-run
    """
    from incident_tool.verbs import handle as handling

    handling.run(event_name, event_path, repo, config_path, dry_run)


@cli.command("open")
@click.option("--repo", help="OWNER/NAME. Default: $GITHUB_REPOSITORY.")
@click.option("--title", required=True, help="What is wrong, in a few words (at most 256).")
@click.option("--summary", default="", help="More about it.")
@click.option("--service", default="", help="The affected service, as in the form.")
@click.option("--severity", default="", help="Your guess, 1 (worst) to 4.")
@click.option("--fingerprint", default="", help="Names the problem: one issue per problem.")
@click.option("--dry-run", is_flag=True, help="Show the issue it would open; open none.")
def open_command(
    repo: str | None,
    title: str,
    summary: str,
    service: str,
    severity: str,
    fingerprint: str,
    dry_run: bool,
) -> None:
    """Report a potential incident from a terminal or a script, with your own token.

    It opens an issue labelled incident:reported in the form's headings and prints its
    URL; the workflow then pages the delivery managers. While an issue for the same
    problem (same --fingerprint, else the same service and title) is open, it prints
    that one instead. Labelling needs triage access.

    \b
    Example:
        GH_TOKEN=$(gh auth token) incident-tool open --repo acme/web \\
            --title "Search returns no results" --service "Search / catalogue API" \\
            --severity 2 --summary "Every query since 09:40 UTC"
    """
    from incident_tool.verbs import open as intake

    intake.run(repo, title, summary, service, severity, fingerprint, dry_run)


@cli.command()
@click.argument("number", type=int)
@click.option("--repo", help="OWNER/NAME. Default: $GITHUB_REPOSITORY.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
@click.option("--print", "print_only", is_flag=True, help="Write it to stdout only.")
@click.option(
    "--force", is_flag=True, help="Replace it even where people edited outside their sections."
)
def retro(
    number: int, repo: str | None, config_path: str | None, print_only: bool, force: bool
) -> None:
    """(Re)render the retrospective of incident NUMBER (with the Slack channel's messages).

    What people wrote in the sections the template leaves for them (what happened, what
    went well or badly, action items) is kept; edits elsewhere are only replaced with --force.

    \b
    Example:
        incident-tool retro 42 --repo acme/web --print
    """
    from incident_tool.verbs import retro as retrospective

    retrospective.rerender(number, repo, config_path, print_only, force)


@cli.group()
def labels() -> None:
    """Manage the labels the tool uses."""


@labels.command("sync")
@click.option("--repo", help="OWNER/NAME. Default: $GITHUB_REPOSITORY.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Print what it would change; change nothing.")
def labels_sync(repo: str | None, config_path: str | None, dry_run: bool) -> None:
    """Create or update the state, severity and other labels (and the config's
    retrospective labels). Only labels that differ are written.

    \b
    Example:
        incident-tool labels sync --repo acme/web
    """
    from incident_tool.verbs import labels as labelling

    labelling.run(repo, config_path, dry_run)


@cli.command()
@click.option("--repo", help="OWNER/NAME. Default: $GITHUB_REPOSITORY.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Print every write it would make; make none.")
@click.option(
    "--followups-only",
    is_flag=True,
    help="Only attach loose follow-ups and remind owners of overdue ones (weekly job).",
)
def sweep(repo: str | None, config_path: str | None, dry_run: bool, followups_only: bool) -> None:
    """Reconcile open incidents and send due reminders (run on a schedule).

    \b
    Examples:
        incident-tool sweep --repo acme/web
        incident-tool sweep --repo acme/web --followups-only
    """
    from incident_tool.verbs import sweep as sweeping

    sweeping.run(repo, config_path, dry_run, followups_only)


@cli.command()
@click.option("--repo", help="OWNER/NAME. Default: $GITHUB_REPOSITORY.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
@click.option(
    "--until-idle",
    type=click.IntRange(1, 24 * 60),
    help="Exit once no incident has been open for this many minutes.",
)
@click.option(
    "--max-hours",
    type=click.FloatRange(0.1, 24 * 365),
    help="Before this many hours, start a successor (Actions) and exit.",
)
def listen(
    repo: str | None, config_path: str | None, until_idle: int | None, max_hours: float | None
) -> None:
    """Carry out what people do in Slack within seconds (Socket Mode; SLACK_APP_TOKEN).

    \b
    Examples:
        incident-tool listen --repo acme/web
        incident-tool listen --until-idle 15 --max-hours 5.5
    """
    from incident_tool.verbs import listen as listening

    listening.run(repo, config_path, until_idle, max_hours)


@cli.command()
@click.option("--repo", help="OWNER/NAME. Default: $GITHUB_REPOSITORY.")
@click.option("--since", default="90d", show_default=True, help="90d, 12w, 36h or a date.")
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="md", show_default=True)
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
def report(repo: str | None, since: str, fmt: str, config_path: str | None) -> None:
    """Print incident metrics: counts, and times to declare, mitigate and resolve.

    \b
    Example:
        incident-tool report --repo acme/web --since 90d --format html > incidents.html
    """
    from incident_tool.verbs import report as metrics

    metrics.run(repo, since, fmt, config_path)


@cli.command("status-page")
@click.option("--repo", help="OWNER/NAME. Default: $GITHUB_REPOSITORY.")
@click.option(
    "--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Folder to write."
)
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
def status_page(repo: str | None, out_dir: str, config_path: str | None) -> None:
    """Write the static status page: index.html, one page per incident, feed.atom.

    \b
    Example:
        incident-tool status-page --repo acme/web --out _site
    """
    from incident_tool.verbs import status_page as statuspage

    statuspage.run(repo, out_dir, config_path)


@cli.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite files that exist.")
@click.option(
    "--action",
    metavar="OWNER/REPO@SHA",
    help="The commit of incident-tool the workflows run. Default: the one installed, if known.",
)
@click.option("--status-page", is_flag=True, help="Also publish the status page to GitHub Pages.")
@click.option(
    "--live",
    type=click.Choice(["actions", "external"]),
    help="The live Slack connection: run by Actions while an incident is open, or by you.",
)
def init(
    directory: str, force: bool, action: str | None, status_page: bool, live: str | None
) -> None:
    """Write the issue form, workflows, config and template into a checkout.

    \b
    Example:
        incident-tool init path/to/repo
    """
    from incident_tool.verbs.init import format_result, init_repo

    try:
        result = init_repo(
            Path(directory), force=force, action=action, status_page=status_page, live=live
        )
    except (OSError, ValueError) as exc:
        fail(str(exc), EXIT_USAGE)
    _out()(format_result(result))


@cli.command()
@click.option("--repo", help="OWNER/NAME, for the labels. Default: $GITHUB_REPOSITORY.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Default: .github/incident.yml under the working directory.",
)
@click.option("--offline", is_flag=True, help="Check the files only; ask GitHub and Slack nothing.")
def check(repo: str | None, config_path: str | None, offline: bool) -> None:
    """Check the setup as the workflows will read it: one line per finding, exit 1 on an error.

    \b
    Examples, in the repository's checkout:
        incident-tool check --offline
        GITHUB_TOKEN=$(gh auth token) incident-tool check --repo acme/web
    """
    from incident_tool.verbs import check as checking

    checking.run(repo, config_path, offline)


@cli.command()
@click.option("--serve", is_flag=True, help="Keep the sandbox running to try `handle` by hand.")
@click.option("--port", type=int, default=0, help="With --serve: the GitHub API port.")
def demo(serve: bool, port: int) -> None:
    """Run a whole incident against the built-in sandbox; no account or network needed.

    \b
    Example:
        incident-tool demo
    """
    from incident_sandbox import demo as demo_module

    if serve:
        demo_module.serve(port)
        return
    from incident_tool.verbs import listen

    status = demo_module.run(main, _out(), listen.in_background)
    if status:
        fail("the demo did not finish as expected (see above)")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI; turn every failure into one clear line and an exit status.

    In Actions everything printed (which can quote issue titles and comments) is inert:
    workflow commands are stopped for the run, and the tool's own `::error::` annotation
    is written only after they are resumed.
    """
    from incident_tool.effects import workflow_io

    out = Output()
    with workflow_io.inert_output():
        status, error = _run(argv, out)
    workflow_io.flush_deferred()
    if error:
        workflow_io.annotate("error", error)
        from incident_tool.core import safe

        workflow_io.write_summary(f"### incident-tool failed\n\n{safe.markdown(error)}")
    sys.exit(status)


def _run(argv: list[str] | None, out: Output) -> tuple[int, str | None]:
    """Run the click group; return (exit status, error message for an annotation)."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        cli.main(args=argv, prog_name="incident-tool", standalone_mode=False)
    except IncidentToolError as exc:
        # The one place a failure becomes a line and an exit status.
        message = shorten(out.mask(str(exc)))
        out(f"error: {message}", err=True)
        return exc.exit_status, message
    except click.exceptions.Abort:
        out("aborted", err=True)
        return EXIT_FAILURE, None
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code, None
    except click.exceptions.Exit as exc:
        return exc.exit_code, None
    except KeyboardInterrupt:
        out("interrupted", err=True)
        return 130, None
    except Exception as exc:
        if debug:
            out(out.mask(traceback.format_exc()), err=True)
        message = f"unexpected {exc.__class__.__name__}: {out.mask(str(exc))[:500]}"
        out(f"error: {message} (run with --debug for the trace)", err=True)
        return EXIT_FAILURE, message
    return EXIT_OK, None
