"""CLI verbs against the sandbox: --dry-run, labels sync, retro, sweep and its reminders."""

from __future__ import annotations

from incident_tool.core.states import LABEL_SPECS
from tests.world import REPO, cli


def test_dry_run_prints_every_write_and_makes_none(world):
    world.gh.open_issue(REPO, "rita", "Dry", "### Summary\n\nx\n", labels=["incident:reported"])
    name, payload = world.gh.take_events()[0]
    world.sb.reset_log()
    code, output = world.driver.run(name, payload, "--dry-run")
    assert code == 0, output
    assert "[dry-run] would comment on #1 (reported)" in output
    assert "[dry-run] would post the status comment on #1" in output
    writes = [r for r in world.sb.requests if r.method != "GET" and r.path != "/graphql"]
    assert writes == []
    assert world.bot_comments(1) == []


def test_labels_sync_creates_and_updates(world):
    code, output = cli(world, "labels", "sync", "--repo", REPO)
    assert code == 0, output
    labels = {label["name"]: label for label in world.gh.labels(REPO)}
    for name, (colour, description) in LABEL_SPECS.items():
        assert labels[name]["color"] == colour and labels[name]["description"] == description
    code, output = cli(world, "labels", "sync", "--repo", REPO)
    assert "create" not in output and "update" not in output and "ok" in output


def test_retro_prints_and_rerenders(world):
    n = world.report()
    world.declare(n)
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver()
    code, output = cli(world, "retro", str(n), "--repo", REPO, "--print")
    assert code == 0 and "## Timeline (UTC)" in output
    (world.root / "templates").mkdir()
    (world.root / "templates" / "retrospective.md.j2").write_text(
        "Custom retro of {{ incident.title }}"
    )
    code, output = cli(world, "retro", str(n), "--repo", REPO)
    assert code == 0, output
    [retro] = world.retrospectives()
    assert "Custom retro of Search returns no results" in retro["body"]
    code, output = cli(world, "retro", "999", "--repo", REPO, "--print")
    assert code == 1 and "#999" in output


def test_sweep_sends_reminders_once_per_interval(world, later):
    # lee's report: a report by someone without triage access (rita) is reminded once at
    # most (tests/e2e/test_flood.py).
    reported = world.report(title="waiting", by="lee")
    declared = world.report(title="burning")
    world.declare(declared)
    dm_id = world.team["slack_ids"]["dana"]
    later(16)
    code, output = cli(world, "sweep", "--repo", REPO)
    assert code == 0 and "swept 2 open incident(s)" in output, output
    triage = [m for m in world.sl.dms(dm_id) if "waited" in m["text"]]
    assert len(triage) == 1 and f"/issues/{reported}" in triage[0]["text"]
    cli(world, "sweep", "--repo", REPO)  # again within the interval: nothing new
    assert len([m for m in world.sl.dms(dm_id) if "waited" in m["text"]]) == 1
    later(31)  # severity 2: update reminder after 30 minutes without /update
    cli(world, "sweep", "--repo", REPO)
    channel = world.incident_channel(declared)["id"]
    assert sum("no `/update`" in m["text"] for m in world.sl.messages(channel)) == 1
    assert len([m for m in world.sl.dms(dm_id) if "waited" in m["text"]]) == 2


def test_snooze_silences_update_reminders(world, later):
    n = world.report()
    world.declare(n)
    world.say(n, "priya", "/snooze 2h")
    later(61)
    cli(world, "sweep", "--repo", REPO)
    channel = world.incident_channel(n)["id"]
    assert not any("no `/update`" in m["text"] for m in world.sl.messages(channel))


def test_sweep_without_slack_reminds_on_the_issue(world_without_slack, later):
    world = world_without_slack
    n = world.report()
    later(20)
    code, output = cli(world, "sweep", "--repo", REPO)
    assert code == 0, output
    assert any("waited" in c["body"] and "@dana" in c["body"] for c in world.bot_comments(n))


def test_sweep_reconciles_a_missed_declaration(world):
    n = world.report()
    world.gh.add_label(REPO, n, "dana", "incident:declared")
    world.gh.take_events()  # that run never happened
    code, output = cli(world, "sweep", "--repo", REPO)
    assert code == 0, output
    assert world.assignees(n) == ["priya"] and world.incident_channel(n)
    assert world.record(n).first("declared").actor == "dana"


def test_each_sweep_outcome_lists_its_own_writes(world):
    missed = world.report(title="missed declaration")  # swept first: it writes
    quiet = world.report(title="nothing to do")  # swept second: it must show 0 writes
    world.gh.add_label(REPO, missed, "dana", "incident:declared")
    world.gh.take_events()  # that run never happened
    code, output = cli(world, "sweep", "--repo", REPO)
    assert code == 0, output
    assert f"sweep #{quiet}: state reported, 0 GitHub writes" in output
    assert f"sweep #{missed}: state declared," in output
