"""The `incident-tool` command line (README "CLI and environment").

Imports are lazy on purpose: `handle` on an event it ignores reads one JSON file and exits
without importing PyGithub, slack-sdk or Jinja (the start-up budget in README "Measured").
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from incident_tool import __version__
from incident_tool.errors import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, IncidentToolError
from incident_tool.verbs.common import (
    Output,
    _out,
    _repo,
    api_url,
    explain_github,
    fail,
    github_token,
    load_config,
    open_tools,
    report_outcome,
    run_guarded,
    shorten,
    team_config,
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
    from incident_tool.inbound import events

    out = _out()
    if not event_name or not event_path:
        fail(
            "no event: set --event-name and --event-path (GitHub Actions sets "
            "GITHUB_EVENT_NAME and GITHUB_EVENT_PATH)",
            EXIT_USAGE,
        )
    event = events.load(event_path, event_name)  # an EventError: `_run` says it, exit 2
    reason = event.ignore_reason()
    if reason:
        out(f"ignored: {reason}")
        return
    if event.sender_is_bot and event.name == "issues" and event.action == "labeled":
        out("ignored: label changed by a bot (the tool's own write)")
        return
    root = Path.cwd()
    repo = repo or os.environ.get("GITHUB_REPOSITORY") or event.repo
    if event.number is None and event.name in events.REPORT_EVENTS:
        handle_report(event, _repo(repo), config_path, dry_run)
        return
    cfg = load_config(config_path, root)
    tools = open_tools(_repo(repo), cfg, root, dry_run=dry_run, log=out)
    from incident_tool.app import handle as handle_event

    outcome = run_guarded(lambda: handle_event(event, tools), tools)
    from incident_tool.effects import schedule

    if schedule.opens_incident(event, outcome):
        notice = schedule.wake(tools)
        if notice:
            outcome.notices.append(notice)
    report_outcome(outcome, f"{event.kind} on #{event.number}")
    if cfg.status_page.enabled and not dry_run:
        from incident_tool.verbs.status_page import write_output

        # The workflow's Pages job runs only when this says "changed" (README "Status page").
        write_output(outcome.page_changed)


def handle_report(event: Any, repo: str, config_path: str | None, dry_run: bool) -> None:
    """Turn a report from a monitor or the Actions tab into the problem's issue.

    README "Reports from monitors, scripts and the Actions tab".
    """
    from incident_tool.inbound import alerts
    from incident_tool.verbs import open as intake

    out = _out()
    try:
        report = intake.report_from_event(event)
    except alerts.PayloadError as exc:
        # Exit 1, not 2: the tool was called and configured right; what was sent is wrong.
        fail(f"refused {event.kind}: {exc}. Nothing was created.")
    root = Path.cwd()
    cfg = load_config(config_path, root)
    tools = open_tools(repo, cfg, root, dry_run=dry_run, log=out)
    received = run_guarded(lambda: intake.receive(report, tools, run=intake.run_id()), tools)
    if dry_run and received.body:
        out(received.body)
    out(f"{event.kind}: {intake.describe_received(received, report)}")
    if received.outcome is not None:
        from incident_tool.effects import schedule

        if schedule.opens_incident(event, received.outcome):
            notice = schedule.wake(tools)
            if notice:
                received.outcome.notices.append(notice)
        report_outcome(received.outcome, f"{event.kind} on #{received.outcome.number}")


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
    from incident_tool.inbound import alerts
    from incident_tool.verbs import open as intake

    out = _out()
    repo = _repo(repo)
    payload = {
        "title": title,
        "summary": summary or None,
        "service": service or None,
        "severity": severity or None,
        "fingerprint": fingerprint or None,
    }
    try:
        report = alerts.from_payload(payload)
    except alerts.PayloadError as exc:
        fail(str(exc).replace("client_payload: `", "--").replace("`", "", 1), EXIT_USAGE)
    root = Path.cwd()
    cfg = load_config(None, root)
    tools = open_tools(repo, cfg, root, dry_run=dry_run, log=lambda s: out(s, err=True))
    received = run_guarded(lambda: intake.open_report(report, tools), tools)
    if received.body and dry_run:
        out(received.body)
        out(f"[dry-run] would open issue {report.title!r} in {repo}", err=True)
        return
    for notice in received.notices:
        out(notice, err=True)
    if received.outcome is not None:
        report_outcome(received.outcome, f"open #{received.outcome.number}")
    if received.url:
        out(received.url)
    if received.created and any("dropped its labels" in n for n in received.notices):
        fail("the issue has no incident:reported label: nobody was paged")


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
    from incident_tool.core import retro_sections
    from incident_tool.core.record import extract
    from incident_tool.verbs import retro as retrospective

    out = _out()
    root = Path.cwd()
    repo = _repo(repo)
    cfg, remote = team_config(config_path, root, repo, log=lambda s: out(s, err=True))
    # Reads only, with --print; Slack is read for the channel's messages.
    tools = open_tools(repo, cfg, root, dry_run=False, log=lambda s: out(s, err=True))
    template = None
    if remote and not (root / cfg.retrospective.template).is_file():
        # The team's template is on the default branch beside the config.
        from incident_tool.effects import repo_files

        name = cfg.retrospective.template
        text = run_guarded(lambda: repo_files.fetch(tools.gateway.gh, repo, name), tools)
        template = (text, f"{repo}:{name} (default branch)") if text is not None else None

    def render() -> tuple[Any, Any]:
        issue = tools.gateway.issue(number)
        status, _ = tools.gateway.incident_comments(issue)
        record = extract(status.body) if status else None
        if record is None:
            fail(f"#{number} has no incident-tool status comment: it is not an incident")
        view = tools.gateway.view(issue)
        history = [] if record.sensitive else tools.mirror.history(record)
        return record, retrospective.render(
            view, record, cfg, root=root, slack=history, template=template
        )

    record, rendered = run_guarded(render, tools)
    if print_only:
        out(rendered.body)
        return
    if record.retro is None:
        fail(f"#{number} has no retrospective yet (it is written when the incident is resolved)")
    target = run_guarded(lambda: tools.gateway.issue(record.retro), tools)
    try:
        merged = retro_sections.merge(target.body or "", rendered.body, force=force)
    except retro_sections.RetroEdited as exc:
        fail(
            f"retrospective #{record.retro} not updated: {exc}; re-rendering would lose "
            "that. Move the text into a section, or run again with --force to replace it"
        )
    if retro_sections.same(target.body or "", merged.body):
        out(f"retrospective #{record.retro} is up to date")
        return
    run_guarded(
        lambda: tools.gateway.write(
            f"update retrospective #{record.retro}", lambda: target.edit(body=merged.body)
        )
    )
    kept = f" (kept what people wrote in: {', '.join(merged.kept)})" if merged.kept else ""
    lost = f"; --force replaced people's text in: {', '.join(merged.lost)}" if merged.lost else ""
    out(f"updated retrospective #{record.retro}{kept}{lost}")


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
    import time

    from incident_tool.effects.github import client
    from incident_tool.verbs import labels as labels_verb

    out = _out()
    repo = _repo(repo)
    token = github_token()
    if not token:
        fail("GITHUB_TOKEN is not set: the tool needs a token to manage labels.")
    cfg, _ = team_config(config_path, Path.cwd(), repo, log=out)
    specs = labels_verb.wanted(cfg.retrospective.labels)
    gh = client(token, api_url("GITHUB_API_URL"), bulk=True)
    from github import GithubException

    started = time.monotonic()
    try:
        planned = labels_verb.sync(gh.get_repo(repo), specs, out, dry_run)
    except (GithubException, OSError) as exc:
        fail(explain_github(exc, gh=gh, repo=repo))
    written = 0 if dry_run else planned
    out(
        f"labels: {len(specs) - planned} unchanged, {written} written"
        f" in {time.monotonic() - started:.1f} s"
    )


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
    from incident_tool import app as sweeping

    out = _out()
    root = Path.cwd()
    repo = _repo(repo)
    cfg, _ = team_config(config_path, root, repo, log=out)
    tools = open_tools(repo, cfg, root, dry_run=dry_run, bulk=True, log=out)
    if followups_only:
        # incident-followups.yml, weekly: the 5-minute sweep is off while no incident is
        # open, and follow-ups fall due long after their incident closed.
        done = run_guarded(lambda: sweeping.sweep_followups(tools), tools)
        out(f"follow-ups: {len(done.attached)} attached, {len(done.reminded)} reminded")
        return
    results = run_guarded(lambda: sweeping.sweep(tools), tools)
    for outcome in results:
        report_outcome(outcome, f"sweep #{outcome.number}")
    out(f"swept {len(results)} open incident(s)")
    if cfg.status_page.enabled and not dry_run:
        from incident_tool.verbs.status_page import write_output

        # A sweep can carry out what a dropped run missed (a /public, a state change).
        write_output(any(o.page_changed for o in results))
    if not results:
        from incident_tool.effects import schedule, workflow_io

        notice = schedule.rest(tools, lambda: len(sweeping.open_incidents(tools)))
        if notice:
            out(f"notice: {notice}")
            workflow_io.defer("notice", out.mask(notice))


@cli.command()
@click.option("--repo", help="OWNER/NAME. Default: $GITHUB_REPOSITORY.")
@click.option("--since", default="90d", show_default=True, help="90d, 12w, 36h or a date.")
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="md", show_default=True)
def report(repo: str | None, since: str, fmt: str) -> None:
    """Print incident metrics: counts, and times to declare, mitigate and resolve.

    \b
    Example:
        incident-tool report --repo acme/web --since 90d --format html > incidents.html
    """
    from incident_tool.core.record import utcnow
    from incident_tool.effects import workflow_io
    from incident_tool.verbs import report as metrics

    out = _out()
    repo = _repo(repo)
    try:
        moment = metrics.parse_since(since, utcnow())
    except ValueError as exc:
        fail(str(exc), EXIT_USAGE)
    root = Path.cwd()
    cfg, _ = team_config(None, root, repo, log=lambda s: out(s, err=True))
    tools = open_tools(repo, cfg, root, dry_run=True, log=lambda s: None)
    found = run_guarded(
        lambda: metrics.collect(tools.gateway, moment, followups=cfg.followups), tools
    )
    text = metrics.markdown(found, repo)
    out(metrics.html_page(found, repo) if fmt == "html" else text)
    workflow_io.write_summary(text)


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
    from incident_tool.core.record import utcnow
    from incident_tool.effects.github import Gateway, client
    from incident_tool.verbs import status_page as statuspage

    out = _out()
    repo = _repo(repo)
    root = Path.cwd()
    cfg, _ = team_config(config_path, root, repo, log=lambda s: out(s, err=True))
    # Reads only: a token is needed for a private repository, and for the rate limit.
    gateway = Gateway(client(github_token(), api_url("GITHUB_API_URL")), repo, log=out)
    now = utcnow()
    found = run_guarded(lambda: statuspage.collect(gateway, cfg, now))
    pages = statuspage.render(found.incidents, cfg, repo=repo, now=now)
    try:
        statuspage.write_site(pages, Path(out_dir))
    except OSError as exc:
        fail(f"cannot write the status page to {out_dir}: {exc.strerror or exc}")
    out(
        f"wrote {len(pages)} files to {out_dir}: {len(found.incidents)} incident(s) shown "
        f"({found.listed} listed, {found.read} records read)"
    )


@cli.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite files that exist.")
@click.option(
    "--action",
    metavar="OWNER/REPO@SHA",
    help="The commit of incident-tool the workflows run. Default: the one installed, if known.",
)
@click.option("--status-page", is_flag=True, help="Also publish the status page to GitHub Pages.")
def init(directory: str, force: bool, action: str | None, status_page: bool) -> None:
    """Write the issue form, workflows, config and template into a checkout.

    \b
    Example:
        incident-tool init path/to/repo
    """
    from incident_tool.verbs.init import format_result, init_repo

    try:
        result = init_repo(Path(directory), force=force, action=action, status_page=status_page)
    except (OSError, ValueError) as exc:
        fail(str(exc), EXIT_USAGE)
    _out()(format_result(result))


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
        from incident_sandbox import serve as serve_sandbox

        serve_sandbox(port)
        return
    status = demo_module.run(_out())
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
