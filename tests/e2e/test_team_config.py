"""Verbs run by hand read the config from the default branch when there is no local file."""

from __future__ import annotations

import yaml

from tests.world import REPO, cli


def by_hand(world) -> None:
    """A person's shell: no checkout config, not in Actions."""
    (world.root / ".github" / "incident.yml").unlink()
    world.driver.env["GITHUB_ACTIONS"] = ""


def resolved(world) -> int:
    n = world.report()
    world.declare(n)
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    world.deliver()
    return n


def test_retro_reads_the_config_and_template_of_the_default_branch(world):
    n = resolved(world)
    by_hand(world)
    team = dict(world.team["config"], delivery_managers=["dana", "olly"])
    team["retrospective"] = {"template": ".github/retro.md.j2"}
    world.gh.put_file(REPO, ".github/incident.yml", yaml.safe_dump(team))
    world.gh.put_file(REPO, ".github/retro.md.j2", "Team retro of #{{ incident.number }}")
    world.sb.reset_log()
    code, output = cli(world, "retro", str(n), "--repo", REPO, "--print")
    assert code == 0, output
    assert "config: .github/incident.yml from wellcome/platform's default branch" in output
    assert f"Team retro of #{n}" in output
    reads = [r.path for r in world.sb.requests if "/contents/" in r.path]
    assert reads == [
        f"/repos/{REPO}/contents/.github/incident.yml",
        f"/repos/{REPO}/contents/.github/retro.md.j2",
    ]


def test_sweep_uses_the_default_branch_config(world, later):
    world.report()
    by_hand(world)
    # With the defaults (triage after 15 minutes, no delivery managers) nobody would be
    # reminded after 6 minutes: the DM shows the branch's config was used.
    team = dict(world.team["config"], reminders={"triage_after": 5})
    world.gh.put_file(REPO, ".github/incident.yml", yaml.safe_dump(team))
    later(6)
    code, output = cli(world, "sweep", "--repo", REPO)
    assert code == 0, output
    assert "from wellcome/platform's default branch" in output
    dm = world.team["slack_ids"]["dana"]
    assert any("waited" in m["text"] for m in world.sl.dms(dm)), output


def test_with_neither_it_says_defaults_once(world):
    by_hand(world)
    code, output = cli(world, "report", "--repo", REPO)
    assert code == 0, output
    assert output.count("no .github/incident.yml: using defaults") == 1


def test_a_broken_config_on_the_branch_is_a_config_error(world):
    by_hand(world)
    world.gh.put_file(REPO, ".github/incident.yml", "responders: [a]\nresponders: [b]\n")
    code, output = cli(world, "sweep", "--repo", REPO)
    assert code == 2
    assert (
        "wellcome/platform:.github/incident.yml (default branch): key `responders` appears twice"
        in output
    )


def test_a_local_file_wins_and_is_named(world):
    code, output = cli(world, "report", "--repo", REPO)
    assert code == 0 and "config: .github/incident.yml\n" in output
    assert not [r for r in world.sb.requests if "/contents/" in r.path]


def test_labels_sync_creates_the_configured_retrospective_labels(world):
    world.write_config(retrospective={"labels": ["retrospective", "post-mortem"]})
    code, output = cli(world, "labels", "sync", "--repo", REPO)
    assert code == 0, output
    assert "created post-mortem" in output
    assert "post-mortem" in {label["name"] for label in world.gh.labels(REPO)}


def test_labels_sync_creates_the_follow_up_label(world):
    code, output = cli(world, "labels", "sync", "--repo", REPO)
    assert code == 0, output
    assert "created follow-up" in output
    world.write_config(followups={"labels": ["follow-up", "incident-action"]})
    code, output = cli(world, "labels", "sync", "--repo", REPO)
    assert "ok      follow-up" in output and "created incident-action" in output


def test_report_takes_config_like_its_siblings(world, tmp_path):
    given = tmp_path / "other.yml"
    given.write_text("timezone: Asia/Tokyo\n")
    code, output = cli(world, "report", "--repo", REPO, "--config", str(given))
    assert code == 0, output
    assert f"config: {given}" in output
    code, output = cli(world, "report", "--repo", REPO, "--config", str(tmp_path / "none.yml"))
    assert code == 2 and "none.yml: file not found" in output
