"""`incident-tool check` and `sensitive.repository` (docs/security.md#a-public-repository):
offline, the key's form; online, SENSITIVE_TOKEN reaches it and it is private."""

from __future__ import annotations

from incident_tool.config import Config, SensitiveConfig
from incident_tool.core import setup_checks as checks
from incident_tool.verbs.init import init_repo
from tests.verbs.test_check import ACTION, edit_config, levels, run_check
from tests.world import REPO, cli

PRIVATE = "wellcome/incidents-private"


def config(repository: str | None) -> Config:
    return Config(sensitive=SensitiveConfig(repository=repository))


def test_no_key_no_line():
    assert checks.check_sensitive_repository(config(None), REPO) == []
    assert checks.check_sensitive_access(config(None), False, None) == []


def test_the_incidents_repository_itself_is_an_error():
    [found] = checks.check_sensitive_repository(config(REPO.upper()), REPO)
    assert found.level == "error" and "the incidents repository itself" in found.what
    assert levels(checks.check_sensitive_repository(config(PRIVATE), REPO)) == ["ok"]


def test_access_lines_say_what_to_do():
    cfg = config(PRIVATE)
    [unset] = checks.check_sensitive_access(cfg, False, None)
    assert unset.level == "warning" and "SENSITIVE_TOKEN is not set here" in unset.what
    assert "issues: write" in unset.todo
    [cannot] = checks.check_sensitive_access(cfg, True, None, "not found")
    assert cannot.level == "error" and f"cannot reach {PRIVATE} (not found)" in cannot.what
    [public] = checks.check_sensitive_access(cfg, True, "public")
    assert public.level == "error" and "is public" in public.what and "private" in public.todo
    assert levels(checks.check_sensitive_access(cfg, True, "private")) == ["ok"]


def test_offline_a_malformed_key_is_an_error_naming_it(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    init_repo(root, action=ACTION)
    edit_config(root, sensitive={"repository": "not a repository"})
    code, output = run_check(root, "--offline")
    assert code == 1, output
    assert "`sensitive.repository` must be a repository as owner/name" in output
    assert "Traceback" not in output

    edit_config(root, sensitive={"repository": PRIVATE})
    code, output = run_check(root, "--offline")
    assert code == 0, output
    assert f"sensitive.repository: {PRIVATE}, with SENSITIVE_TOKEN" in output
    assert "SENSITIVE_TOKEN is not set" not in output  # offline: nothing asked


def test_online_with_the_sandbox_one_get_and_the_token_never_shown(world):
    gh = world.sb.github
    gh.add_repo(PRIVATE, private=True)
    gh.add_user("keeper")
    gh.add_user("stranger")
    gh.add_collaborator(PRIVATE, "keeper", "write")
    world.write_config(sensitive={"repository": PRIVATE})
    init_repo(world.root, action=ACTION)

    code, output = cli(world, "check", "--repo", REPO)
    assert code == 0, output
    assert "warning SENSITIVE_TOKEN is not set here" in output, output

    world.driver.env["SENSITIVE_TOKEN"] = gh.user("stranger").token or ""
    code, output = cli(world, "check", "--repo", REPO)
    assert code == 1, output
    assert f"SENSITIVE_TOKEN cannot reach {PRIVATE} (not found, or the token cannot see" in output
    assert world.driver.env["SENSITIVE_TOKEN"] not in output

    world.driver.env["SENSITIVE_TOKEN"] = gh.user("keeper").token or ""
    before = len(world.sb.requests)
    code, output = cli(world, "check", "--repo", REPO)
    assert code == 0, output
    asked = [r.path for r in world.sb.requests[before:] if r.path.startswith(f"/repos/{PRIVATE}")]
    assert asked == [f"/repos/{PRIVATE}"]
    assert f"sensitive.repository: {PRIVATE} is private, and SENSITIVE_TOKEN reaches it" in output
    assert world.driver.env["SENSITIVE_TOKEN"] not in output

    gh.repo(PRIVATE).private = False
    code, output = cli(world, "check", "--repo", REPO)
    assert code == 1 and f"{PRIVATE} is public" in output, output
