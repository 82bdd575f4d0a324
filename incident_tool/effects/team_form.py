"""The team's own report form, read from `.github/ISSUE_TEMPLATE/report-incident.yml`.

Its affected-service options are the team's services: the status page's components (unless
`status_page.components` says otherwise) and the Slack report modal's choices come from
it. The form packaged with incident-tool is the example team's; it is used only when the
repository has no form of its own (or one that cannot be read), and the caller says so
(docs/usage.md#status-page).
"""

from __future__ import annotations

from pathlib import Path

from incident_tool.inbound.forms import (
    FormDefinition,
    FormDefinitionError,
    default_form,
    form_title_prefix,
)

FORM_PATH = ".github/ISSUE_TEMPLATE/report-incident.yml"


def team_form(root: Path) -> tuple[FormDefinition, str | None]:
    """The repository's report form, else the packaged example form with a notice saying why."""
    path = root / FORM_PATH
    if not path.is_file():
        return default_form(), (
            f"no {FORM_PATH}: using the services of incident-tool's example form"
            " (add the team's form: incident-tool init writes one)"
        )
    try:
        return FormDefinition.from_yaml(path.read_text(encoding="utf-8"), FORM_PATH), None
    except (OSError, UnicodeDecodeError, FormDefinitionError) as exc:
        return default_form(), (
            f"{FORM_PATH} cannot be used ({exc}): using the services of incident-tool's"
            " example form until it is fixed"
        )


def title_prefix(root: Path) -> str:
    """The `title:` prefix of the repository's report form at `root`, "" without a readable
    one (the packaged form's prefix is left out of titles all the same: core/announce.py)."""
    try:
        return form_title_prefix((root / FORM_PATH).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return ""


# What marks the placeholder services of the form `init` writes (templates/team-report-form.yml).
PLACEHOLDER_MARK = "(rename me)"


def placeholder_services(form: FormDefinition) -> tuple[str, ...]:
    """The services still named as `init` wrote them: the team has yet to fill them in."""
    field = form.get_field("service")
    return tuple(o for o in (field.options if field else ()) if PLACEHOLDER_MARK in o)
