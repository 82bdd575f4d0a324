"""What `handle` says it did: GitHub writes and Slack effects; a dry run's full comments."""

from __future__ import annotations

from tests.world import REPO


def test_handle_lists_slack_effects_with_channel_and_preview(world):
    n = world.report()
    world.gh.add_label(REPO, n, "dana", "incident:declared")
    [output] = world.deliver()
    channel = world.incident_channel(n)["name"]
    assert f"issues.labeled on #{n}: state declared, 4 GitHub writes, 8 Slack effects" in output
    # The 4th write and two effects: the lead is asked to acknowledge
    # (docs/usage.md#the-lead-availability-and-acknowledgement); one more effect: what
    # changed before the report (docs/usage.md#what-changed-before-the-incident).
    assert f"  - Slack: post to #{channel}: “:mag: Nothing changed in the 24 h" in output
    assert "  - Slack: send a DM to priya: “:raising_hand: You lead" in output
    assert f"  - Slack: open channel #{channel}" in output
    assert "  - Slack: post to #wc-platform: “:rotating_light: Incident declared" in output
    assert f"  - Slack: post the incident report to #{channel}" in output
    assert f"  - Slack: invite priya, dana, rita to #{channel}" in output
    summary = (world.root / "summary.md").read_text()
    assert f"- Slack: open channel #{channel}" in summary


def test_handle_lists_dms(world):
    n = world.report()
    world.declare(n)
    world.say(n, "priya", "/invite @lee the database expert", deliver=False)
    [output] = world.deliver()
    assert "Slack: send a DM to lee: “" in output, output


def test_dry_run_shows_each_comment_in_full_and_what_slack_would_get(world):
    n = world.report()
    world.declare(n)
    world.say(n, "priya", "/severity 9", deliver=False)  # refused: a reply comment
    name, payload = world.gh.take_events()[0]
    world.sb.reset_log()
    code, output = world.driver.run(name, payload, "--dry-run")
    assert code == 0, output
    assert [r for r in world.sb.requests if r.method != "GET" and r.path != "/graphql"] == []
    assert "SLACK_BOT_TOKEN is not set" not in output
    assert "notice: --dry-run: Slack steps are listed, not made" in output
    lines = output.splitlines()
    at = next(i for i, line in enumerate(lines) if "[dry-run] would comment on" in line)
    body = []
    for line in lines[at + 1 :]:
        if not line.startswith("    | "):
            break
        body.append(line[6:])
    assert body and any("severity" in line.lower() for line in body), output
    assert "<!--" not in "\n".join(body)


def test_dry_run_without_a_slack_token_says_so(world_without_slack):
    world = world_without_slack
    n = world.report()
    world.gh.add_label(REPO, n, "dana", "incident:declared")
    name, payload = world.gh.take_events()[0]
    code, output = world.driver.run(name, payload, "--dry-run")
    assert code == 0 and "SLACK_BOT_TOKEN is not set" in output
    assert "(Slack)" not in output and "0 Slack effects" in output


def test_a_dry_run_declare_picks_the_real_runs_lead_and_only_reads_slack(world):
    n = world.report()
    world.gh.add_label(REPO, n, "dana", "incident:declared")
    name, payload = world.gh.take_events()[0]
    world.sb.reset_log()
    code, output = world.driver.run(name, payload, "--dry-run")
    assert code == 0, output
    slack = {r.path.rsplit("/", 1)[-1] for r in world.sb.requests if r.service == "slack"}
    reads = {"users.getPresence", "users.lookupByEmail", "users.info", "auth.test"}
    # availability (docs/usage.md#the-lead-availability-and-acknowledgement)
    assert slack <= reads | {"users.profile.get", "dnd.info"}
    assert not any(c["name"].startswith(f"incident-{n}") for c in world.sl.channels())
    # sam is away on Slack: the dry run knows it, as the real run does.
    assert f"would set assignees of #{n} to priya" in output
    code, output = world.driver.run(name, payload)
    assert code == 0 and world.assignees(n) == ["priya"]


def test_a_dry_run_close_lists_each_slack_effect_once(world):
    n = world.report()
    world.declare(n)
    world.gh.close_issue(REPO, n, "dana", reason="completed")
    name, payload = world.gh.take_events()[0]
    code, output = world.driver.run(name, payload, "--dry-run")
    assert code == 0, output
    effects = [line for line in output.splitlines() if line.startswith("  - Slack: ")]
    assert effects and len(effects) == len(set(effects)), output
    assert any("resolved the incident" in line for line in effects), output
    assert world.retrospectives() == []


def test_the_log_shows_a_slack_message_in_full(world):
    n = world.report()
    world.declare(n)
    text = "Rolled back the search index alias; results are back for most queries now " * 2
    world.say(n, "priya", f"/update {text.strip()}", deliver=False)
    [output] = world.deliver()
    # Its second line (the update's text) too, not only "Update from @priya:", uncut.
    assert f"Update from @priya: ⏎ {text.strip()}”" in output, output
