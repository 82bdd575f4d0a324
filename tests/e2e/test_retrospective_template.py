"""The team's retrospective template: confined to the repository, tried before it is needed,
and never a reason to close an incident without a retrospective (issue #22, item 2)."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from incident_tool.config import Config
from incident_tool.effects.retrospective import (
    TemplateError,
    confined_template_path,
    render,
    template_problem,
)
from tests.e2e.test_retrospective import resolved_record
from tests.fakes import CONFIG, issue


def with_template(path: str) -> Config:
    return replace(CONFIG, retrospective=replace(CONFIG.retrospective, template=path))


def test_a_relative_path_inside_the_repository_is_kept(tmp_path):
    (tmp_path / "templates").mkdir()
    assert confined_template_path(tmp_path, "templates/x.j2") == (
        tmp_path.resolve() / "templates" / "x.j2"
    )
    # A `..` that stays inside is fine.
    assert confined_template_path(tmp_path, "templates/../t.j2") == tmp_path.resolve() / "t.j2"


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("/etc/passwd", "absolute path"),
        ("/proc/self/environ", "absolute path"),
        ("../../../../etc/passwd", "outside the repository"),
        ("templates/../../secret.j2", "outside the repository"),
        ("", "empty"),
    ],
)
def test_a_path_out_of_the_repository_is_refused(tmp_path, path, said):
    with pytest.raises(TemplateError, match=said):
        confined_template_path(tmp_path, path)


def test_a_symlink_out_of_the_repository_is_refused(tmp_path):
    repo, outside = tmp_path / "repo", tmp_path / "secret.txt"
    repo.mkdir()
    outside.write_text("TOKEN=abc")
    os.symlink(outside, repo / "retro.j2")
    with pytest.raises(TemplateError, match="outside the repository"):
        confined_template_path(repo, "retro.j2")
    # Rendering through it is refused too: the secret never reaches the body.
    with pytest.raises(TemplateError, match="outside the repository"):
        render(
            issue(), resolved_record(), with_template("retro.j2"), root=repo, slack=[], strict=True
        )
    body = render(issue(), resolved_record(), with_template("retro.j2"), root=repo, slack=[]).body
    assert "TOKEN=abc" not in body


def test_a_missing_template_still_writes_the_retrospective_and_says_so(tmp_path):
    config = with_template("templates/retro-custom.md.j2")
    retro = render(issue(), resolved_record(), config, root=tmp_path, slack=[])
    assert "## Action items" in retro.body  # the packaged template's sections
    assert "Written from incident-tool's default template" in retro.body
    assert "templates/retro-custom.md.j2" in retro.body and "not found" in retro.body
    assert "incident-tool retro 7" in retro.body
    # The marker stays first, so the run finds this retrospective again.
    assert retro.body.startswith("<!-- incident-tool:retrospective-of:7 -->\n")


@pytest.mark.parametrize(
    "text", ["{% if %}", "{{ 1 / 0 }}", "{{ incident.title.__class__.__mro__ }}"]
)
def test_a_broken_template_falls_back_instead_of_failing(tmp_path, text):
    (tmp_path / "t.j2").write_text(text)
    config = with_template("t.j2")
    body = render(issue(), resolved_record(), config, root=tmp_path, slack=[]).body
    assert "Written from incident-tool's default template" in body and "t.j2" in body
    assert "## Summary" in body
    with pytest.raises(TemplateError, match="t.j2"):
        render(issue(), resolved_record(), config, root=tmp_path, slack=[], strict=True)


def test_template_problem_says_what_is_wrong_before_resolution(tmp_path):
    assert template_problem(CONFIG, tmp_path) is None  # the packaged default
    assert "not found" in (template_problem(with_template("nope.j2"), tmp_path) or "")
    assert "outside" in (template_problem(with_template("../x.j2"), tmp_path) or "")
    (tmp_path / "bad.j2").write_text("{{ durations.nope.deeper }}")
    assert "bad.j2" in (template_problem(with_template("bad.j2"), tmp_path) or "")
    (tmp_path / "good.j2").write_text("{{ incident.title }} {{ times.resolved }}")
    assert template_problem(with_template("good.j2"), tmp_path) is None


def test_retro_print_refuses_a_template_outside_the_repository(tmp_path, monkeypatch, capsys):
    from tests.e2e.test_cli import run_main

    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "incident.yml").write_text(
        "retrospective:\n  template: ../../../../etc/passwd\n"
    )
    monkeypatch.chdir(tmp_path)
    code, out, err = run_main(
        ["retro", "1", "--print", "--repo", "o/r"], monkeypatch, capsys, {"GITHUB_TOKEN": "x"}
    )
    assert code != 0
    assert "outside the repository" in err
    assert "root:" not in out + err  # /etc/passwd's first line was never rendered


def test_a_missing_template_is_said_at_declaration_and_resolution_still_writes_one(world):
    from tests.world import REPO

    world.write_config(retrospective={"template": "templates/retro-custom.md.j2"})
    n = world.report()
    world.gh.add_label(REPO, n, "dana", "incident:declared")
    said = "\n".join(world.deliver())
    [problem] = [line for line in said.splitlines() if line.startswith("  problem: ")]
    assert "retrospective.template: templates/retro-custom.md.j2: file not found" in problem
    assert "default template" in problem and str(world.root) not in problem
    summary = (world.root / "summary.md").read_text()
    assert "retro-custom.md.j2" in summary
    # Only the declaring run says it, not every run after.
    # The open incident's status comment shows it, once, whatever runs after.
    status = world.status(n)["body"].split("<!-- incident-tool:data")[0]
    assert status.count("retrospective.template: templates/retro-custom.md.j2") == 1
    world.say(n, "dana", "/update still looking")
    status = world.status(n)["body"].split("<!-- incident-tool:data")[0]
    assert status.count("retrospective.template: templates/retro-custom.md.j2") == 1
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver()
    [retro] = world.retrospectives()
    assert "Written from incident-tool's default template" in retro["body"]
    assert "retro-custom.md.j2" in retro["body"] and "## Action items" in retro["body"]
    assert world.record(n).retro == retro["number"]
    # Once resolved, the status comment no longer shows the problem.
    assert "retro-custom" not in world.status(n)["body"].split("<!-- incident-tool:data")[0]


def test_a_fixed_template_clears_the_problem(world):
    from tests.world import REPO

    world.write_config(retrospective={"template": "templates/retro-custom.md.j2"})
    n = world.report()
    world.declare(n)
    assert "retro-custom" in world.status(n)["body"]
    (world.root / "templates").mkdir()
    (world.root / "templates" / "retro-custom.md.j2").write_text("Ours: {{ incident.title }}")
    world.say(n, "dana", "/update fixed the template")
    assert "retro-custom" not in world.status(n)["body"].split("<!-- incident-tool:data")[0]
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver()
    [retro] = world.retrospectives()
    assert "Ours: " in retro["body"] and "default template" not in retro["body"]


def test_where_says_slack_for_what_was_done_in_slack(tmp_path):
    from datetime import timedelta

    from tests.fakes import T0

    record = resolved_record()
    link = "https://acme.slack.com/archives/C0123/p1795683780000100"
    record.note(T0 + timedelta(minutes=41), "handover", "lee", "priya → lee", link)
    record.note(T0 + timedelta(minutes=42), "ack", "lee", "the DM")
    record.note(T0 + timedelta(minutes=43), "ack", "lee", "`/ack` on the issue")
    body = render(issue(), record, CONFIG, root=tmp_path, slack=[]).body
    assert "| Slack | Handover (lee): priya → lee |" in body
    assert "| Slack | Lead acknowledged (lee): the DM |" in body
    assert "| GitHub | Lead acknowledged (lee): `/ack` on the issue |" in body
    assert "| GitHub | Handover (sam): sam → priya |" in body  # given on the issue


def test_a_handover_given_in_slack_keeps_where_it_was_said(world):
    from tests.e2e.test_slack_writes_back import command, declared, ids, sweep

    number, channel = declared(world)
    command(world, channel, "dana", f"handover <@{ids(world)['lee']}>")
    sweep(world)
    entry = world.record(number).last("handover")
    assert entry.ref and entry.ref.startswith("https://sandbox.slack.com/archives/")
