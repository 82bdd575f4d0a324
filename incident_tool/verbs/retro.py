"""`incident-tool retro N`: render an incident's retrospective again, keeping what people
wrote in its sections (docs/usage.md#the-retrospective-edited-by-people). The rendering is
effects/retrospective.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from incident_tool.config import DEFAULT_TEMPLATE
from incident_tool.effects.retrospective import (
    channel_copy,
    confined_template_path,
    packaged_template,
    render,
)


def rerender(
    number: int, repo: str | None, config_path: str | None, print_only: bool, force: bool
) -> None:
    """(Re)render the retrospective of incident `number` (`incident-tool retro`), keeping
    what people wrote in its sections."""
    from incident_tool.core import retro_sections
    from incident_tool.verbs.common import _out, _repo, fail, open_tools, run_guarded, team_config

    out = _out()
    root = Path.cwd()
    repo = _repo(repo)
    cfg, remote = team_config(config_path, root, repo, log=lambda s: out(s, err=True))
    # A template outside the repository is refused before anything is read.
    run_guarded(lambda: confined_template_path(root, cfg.retrospective.template))
    # Reads only, with --print; Slack is read for the channel's messages.
    tools = open_tools(repo, cfg, root, dry_run=False, log=lambda s: out(s, err=True))
    template = None
    if remote:
        # The config came from the default branch, so this directory is no checkout of the
        # repository (a home directory, perhaps): the template comes from there too, never
        # from here, where a file of the same name could be anything of this machine's.
        name = cfg.retrospective.template
        text = run_guarded(lambda: tools.gateway.default_branch_file(name), tools)
        if text is not None:
            template = (text, f"{repo}:{name} (default branch)")
        elif name == DEFAULT_TEMPLATE:
            template = packaged_template()
        else:
            fail(
                f"retrospective.template {name}: file not found on {repo}'s default branch "
                "(the config was read from there): commit it, or run retro in a checkout"
            )

    def read_and_render() -> tuple[Any, Any]:
        view = tools.gateway.issue(number)
        status, _ = tools.gateway.incident_comments(number)
        record, doubt = tools.gateway.record_in(number, status)
        if doubt:
            fail(f"#{number}: {doubt}; its next run writes the record again")
        if record is None:
            fail(f"#{number} has no incident-tool status comment: it is not an incident")
        history = channel_copy(record, cfg, tools.mirror.history)
        return record, render(
            view, record, cfg, root=root, slack=history, template=template, strict=True
        )

    record, rendered = run_guarded(read_and_render, tools)
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
        lambda: tools.gateway.edit_issue(
            target.number, f"update retrospective #{record.retro}", body=merged.body
        )
    )
    kept = f" (kept what people wrote in: {', '.join(merged.kept)})" if merged.kept else ""
    lost = f"; --force replaced people's text in: {', '.join(merged.lost)}" if merged.lost else ""
    out(f"updated retrospective #{record.retro}{kept}{lost}")
