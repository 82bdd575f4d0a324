"""The team's own services everywhere (issue #22, item 1): the status page's components and
the Slack report modal come from the repository's report form, not the packaged example
team's; the example is used only when the repository has no form, and that is said."""

from __future__ import annotations

from pathlib import Path

from incident_tool.config import parse
from incident_tool.effects.team_form import FORM_PATH, team_form
from incident_tool.live import report_view
from incident_tool.verbs import status_page as sp
from tests.world import REPO, cli

TEAM_FORM = (Path(__file__).parents[2] / "incident_tool/templates/report-incident.yml").read_text()
OURS = TEAM_FORM.replace(
    """        - Website (wellcomecollection.org)
        - What's on / events
        - Search / catalogue API
        - Library accounts / requesting
        - Content API / CMS
""",
    "        - Payments API\n        - Checkout\n",
)
EXAMPLE_SERVICES = ("Website (wellcomecollection.org)", "Search / catalogue API")


def write_form(root: Path, text: str = OURS) -> None:
    (root / FORM_PATH).parent.mkdir(parents=True, exist_ok=True)
    (root / FORM_PATH).write_text(text)


def test_the_fixture_really_is_another_team():
    assert OURS != TEAM_FORM and "Payments API" in OURS


def test_components_come_from_the_repository_form(tmp_path):
    write_form(tmp_path)
    logged: list[str] = []
    names = sp.team_components(parse(""), tmp_path, log=logged.append)
    # The sensitive service never shows: its incidents never appear.
    assert names == ("Payments API", "Checkout", "Other")
    assert logged == []


def test_components_override_and_sensitive_services_from_the_config(tmp_path):
    write_form(tmp_path)
    chosen = parse("status_page: {components: [Payments]}")
    assert sp.team_components(chosen, tmp_path, log=print) == ("Payments",)
    # The team's own sensitive service is kept off the page, whatever it is called.
    config = parse("sensitive: {services: [Checkout, Security / credentials]}")
    assert sp.team_components(config, tmp_path, log=print) == ("Payments API", "Other")


def test_without_a_form_the_example_is_used_and_said(tmp_path):
    logged: list[str] = []
    names = sp.team_components(parse(""), tmp_path, log=logged.append)
    assert set(EXAMPLE_SERVICES) <= set(names)
    assert len(logged) == 1 and FORM_PATH in logged[0] and "example form" in logged[0]


def test_a_broken_form_falls_back_and_says_why(tmp_path):
    write_form(tmp_path, "name: x\nbody: 3\n")
    form, notice = team_form(tmp_path)
    assert notice is not None and "cannot be used" in notice and FORM_PATH in notice
    assert form.get_field("service") is not None


def test_a_sensitive_service_of_the_team_keeps_the_incident_off_the_page():
    from incident_tool.core.public import public_incident
    from incident_tool.core.record import Record
    from incident_tool.core.states import State
    from tests.fakes import T0

    record = Record(state=State.DECLARED)
    record.note(T0, "declared", "dana")
    body = "### Summary\n\nx\n\n### Affected service\n\nCheckout\n"

    def shown(config_text: str):
        return public_incident(
            number=1,
            title="t",
            body=body,
            labels=(),
            created_at=T0,
            record=record,
            config=parse(config_text),
            names=("Payments API", "Checkout"),
        )

    assert shown("") is not None and shown("").component == "Checkout"  # type: ignore[union-attr]
    assert shown("sensitive: {services: [Checkout]}") is None


def test_the_slack_report_modal_offers_the_team_services(tmp_path):
    write_form(tmp_path)
    form, _ = team_form(tmp_path)
    view = report_view("C1", form)
    text = str(view)
    assert "Payments API" in text and "Checkout" in text
    assert not any(name in text for name in EXAMPLE_SERVICES)


def test_the_status_page_publishes_the_team_services(world, tmp_path):
    write_form(world.root)
    n = world.report("Payments failing", body=_body())
    world.declare(n)
    code, output = cli(world, "status-page", "--repo", REPO, "--out", str(tmp_path / "site"))
    assert code == 0, output
    index = (tmp_path / "site" / "index.html").read_text()
    assert "Payments API" in index and "Checkout" in index
    assert not any(name in index for name in EXAMPLE_SERVICES)
    assert "example form" not in output


def _body() -> str:
    return (
        "### Summary\n\nPayments fail\n\n### Affected service\n\nPayments API\n\n"
        "### Impact on users\n\nNo one can pay\n"
    )


def test_init_writes_a_form_of_placeholders_for_the_team_to_fill_in(tmp_path):
    from incident_tool.effects.team_form import placeholder_services
    from incident_tool.verbs.init import format_result, init_repo

    result = init_repo(tmp_path)
    text = (tmp_path / FORM_PATH).read_text()
    assert not any(name in text for name in EXAMPLE_SERVICES)
    assert "replace the two placeholders" in text
    form, notice = team_form(tmp_path)
    assert notice is None and len(placeholder_services(form)) == 2
    assert "Security / credentials" in str(form.get_field("service"))
    assert "replace the placeholder services" in " ".join(format_result(result).split())
    # The page says they are still placeholders.
    logged: list[str] = []
    sp.team_components(parse(""), tmp_path, log=logged.append)
    assert any("placeholder" in line for line in logged)


def test_the_init_form_differs_from_the_example_only_in_its_services():
    ours = (Path(__file__).parents[2] / "incident_tool/templates/team-report-form.yml").read_text()

    def without_services(text: str) -> list[str]:
        lines = text.splitlines()
        start = lines.index("      label: Affected service")
        end = lines.index("    validations:", start)
        return lines[:start] + lines[end:]

    assert without_services(ours) == without_services(TEAM_FORM)


def test_the_tools_own_repository_keeps_its_example_team():
    own = (Path(__file__).parents[2] / FORM_PATH).read_text()
    assert own == TEAM_FORM and all(name in own for name in EXAMPLE_SERVICES)
