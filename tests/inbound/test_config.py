"""Config: defaults, and clear errors that name the file and the key."""

from __future__ import annotations

import pytest

from incident_tool.config import Config, ConfigError, load, parse


def test_missing_file_gives_defaults(tmp_path):
    config = load(tmp_path / "incident.yml")
    assert config.delivery_managers == () and config.slack.channel_prefix == "incident"
    assert config.reminders.update_interval(1) == 20 and config.retrospective.enabled


def test_full_example_parses():
    config = parse(
        """
delivery_managers: [dm-login]
responders: [senior-dev, dev-two]
people:
  senior-dev: {slack: U012ABCDEF}
  dev-two: {email: dev.two@example.org}
slack:
  announce_channel: "#wc-platform"
  stakeholder_channel: wc-stakeholders
  channel_prefix: incident
  mirror_comments: false
timezone: Europe/London
reminders:
  triage_after: 15
  update_every: {1: 20, 2: 30, 3: 60, 4: 240}
retrospective:
  enabled: true
  template: templates/retrospective.md.j2
  labels: [retrospective]
"""
    )
    assert isinstance(config, Config)
    assert config.responders == ("senior-dev", "dev-two")
    assert config.person("Senior-Dev").slack == "U012ABCDEF"
    assert config.slack.announce_channel == "wc-platform"
    assert config.slack.mirror_comments is False


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("responders: 3", "`responders`"),
        ("responders: [ok, 'not a login!']", "`responders[1]`"),
        ("delivery_manager: [x]", "`delivery_manager`"),
        ("slack: {announce: x}", "`slack.announce`"),
        ("slack: {mirror_comments: 'yes'}", "`slack.mirror_comments`"),
        ("slack: {channel_prefix: 'Bad Prefix'}", "`slack.channel_prefix`"),
        ("slack: {live: always}", "`slack.live` must be one of off, actions, external"),
        ("slack: {live: true}", "`slack.live`"),
        ("timezone: Mars/Olympus", "`timezone`"),
        ("reminders: {triage_after: -5}", "`reminders.triage_after`"),
        ("reminders: {update_every: {7: 10}}", "`reminders.update_every.7`"),
        ("retrospective: {enabled: 1}", "`retrospective.enabled`"),
        ("people: {bob: {slack: 'nope'}}", "`people.bob.slack`"),
        ("people: {bob: {email: 'nope'}}", "`people.bob.email`"),
        ("people: [bob]", "`people`"),
        ("- just a list", "must be a mapping"),
        ("key: [unclosed", "not valid YAML"),
    ],
)
def test_errors_name_the_file_and_key(text, key):
    with pytest.raises(ConfigError) as info:
        parse(text, ".github/incident.yml")
    message = str(info.value)
    assert message.startswith(".github/incident.yml: ")
    assert key in message


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("- just a list", "the config must be a mapping, not a list: write it as keys"),
        ("key: [unclosed", "not valid YAML (line 1, column 15): expected ',' or ']'"),
        ("x:\n\t- y\n", "found character '\\t' that cannot start any token"),
    ],
)
def test_a_document_error_says_the_reason(text, said):
    """The reason, not only a line, and no "`` must be a mapping" (issue #22, item 10)."""
    with pytest.raises(ConfigError) as info:
        parse(text, ".github/incident.yml")
    assert said in str(info.value) and "``" not in str(info.value)


def test_unreadable_file_is_a_config_error(tmp_path):
    path = tmp_path / "incident.yml"
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ConfigError, match="cannot read"):
        load(path)


@pytest.mark.parametrize(
    ("text", "live"),
    [
        ("", "off"),
        ("slack: {live: actions}", "actions"),
        ("slack: {live: external}", "external"),
        ('slack: {live: "off"}', "off"),
        # YAML 1.1 reads a bare off as false; it is still the word the person wrote.
        ("slack: {live: off}", "off"),
    ],
)
def test_slack_live(text, live):
    assert parse(text).slack.live == live
