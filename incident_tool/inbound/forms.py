"""Parse a rendered GitHub issue-form body into fields keyed by the form's own ids.

GitHub turns a submitted issue form into markdown: one ``### <label>`` heading per
field (``markdown`` blocks are not rendered), a blank line, the value, a blank line.
An empty optional field renders as ``_No response_``; a dropdown renders the chosen
option text (a multi-select joins them with ``", "``); checkboxes render as
``- [X] option`` / ``- [ ] option``; a textarea with ``render: <lang>`` is wrapped in a
fenced code block.

People edit issue bodies afterwards, so :func:`parse_report` is lenient: headings
match case-insensitively with whitespace collapsed, ``### `` inside a fenced code
block does not start a section, anything it cannot place is kept in
``unknown_sections``, and it never raises on any string.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from incident_tool.errors import UsageError

__all__ = [
    "NO_RESPONSE",
    "SENSITIVE_FIELD",
    "SENSITIVE_SERVICE",
    "FormDefinition",
    "FormDefinitionError",
    "FormField",
    "ParsedReport",
    "default_form",
    "parse_report",
    "severity_from_guess",
]

#: The affected-service option that makes an incident sensitive (docs/security.md#security).
SENSITIVE_SERVICE = "Security / credentials"

#: The form's checkbox field "this involves security or personal data: handle it privately".
SENSITIVE_FIELD = "sensitive"

#: What GitHub renders for an optional field left empty.
NO_RESPONSE = "_No response_"

#: The packaged form, also written into repositories by ``incident-tool init``.
DEFAULT_FORM_RESOURCE = "templates/report-incident.yml"

_FIELD_TYPES = frozenset({"input", "textarea", "dropdown", "checkboxes"})
_ALL_TYPES = _FIELD_TYPES | {"markdown"}
# GitHub's own rule for form ids.
_ID_RE = re.compile(r"^[A-Za-z0-9_-]+$")

FieldValue = str | list[str] | None


class FormDefinitionError(UsageError, ValueError):
    """An issue-form definition that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class FormField:
    """One input of an issue form (markdown blocks are not fields)."""

    id: str
    label: str
    type: str
    required: bool
    options: tuple[str, ...] = ()
    render: str | None = None
    #: Dropdowns only: several options may be chosen.
    multiple: bool = False
    #: Checkboxes only: the options that must be ticked.
    required_options: tuple[str, ...] = ()


@dataclass(frozen=True)
class FormDefinition:
    """The fields of an issue form, in form order."""

    fields: tuple[FormField, ...]
    name: str = ""
    #: Labels the form applies to the issue it creates.
    labels: tuple[str, ...] = ()

    @classmethod
    def from_yaml(cls, text: str, source: str = "issue form") -> FormDefinition:
        """Build a definition from issue-form YAML; raise FormDefinitionError if unusable.

        ``source`` names the file in error messages.
        """
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise FormDefinitionError(f"{source}: not valid YAML: {exc}") from exc
        if not isinstance(data, Mapping):
            raise FormDefinitionError(f"{source}: expected a mapping with a `body` list")
        body = data.get("body")
        if not isinstance(body, list) or not body:
            raise FormDefinitionError(f"{source}: `body` must be a non-empty list of blocks")

        fields: list[FormField] = []
        seen_ids: dict[str, int] = {}
        seen_labels: dict[str, int] = {}
        for index, block in enumerate(body):
            where = f"{source}: body[{index}]"
            form_field = _field_from_block(block, where)
            if form_field is None:
                continue
            where = f"{where} ({form_field.label!r})"
            if form_field.id in seen_ids:
                first = seen_ids[form_field.id]
                raise FormDefinitionError(
                    f"{where}: id {form_field.id!r} is already used by body[{first}]"
                )
            # Headings are matched case-insensitively, so labels must differ that way too.
            label_key = _normalise_heading(form_field.label)
            if label_key in seen_labels:
                raise FormDefinitionError(
                    f"{where}: the label is already used by body[{seen_labels[label_key]}]"
                )
            seen_ids[form_field.id] = index
            seen_labels[label_key] = index
            fields.append(form_field)
        if not fields:
            raise FormDefinitionError(f"{source}: the form has no input fields")

        name = data.get("name")
        labels = data.get("labels") or ()
        if isinstance(labels, str):
            # GitHub accepts a comma-separated string as well as a list.
            labels = [part.strip() for part in labels.split(",") if part.strip()]
        if not isinstance(labels, Iterable) or not all(isinstance(x, str) for x in labels):
            raise FormDefinitionError(f"{source}: `labels` must be a list of strings")
        return cls(
            fields=tuple(fields),
            name=name if isinstance(name, str) else "",
            labels=tuple(labels),
        )

    def get_field(self, field_id: str) -> FormField | None:
        """Return the field with this id, or None."""
        for form_field in self.fields:
            if form_field.id == field_id:
                return form_field
        return None


def _field_from_block(block: Any, where: str) -> FormField | None:
    """Turn one ``body`` block into a FormField (None for markdown); raise on a bad block."""
    if not isinstance(block, Mapping):
        raise FormDefinitionError(f"{where}: each block must be a mapping with `type`")
    kind = block.get("type")
    if kind not in _ALL_TYPES:
        raise FormDefinitionError(
            f"{where}: `type` is {kind!r}; expected one of {', '.join(sorted(_ALL_TYPES))}"
        )
    attributes = block.get("attributes")
    if not isinstance(attributes, Mapping):
        raise FormDefinitionError(f"{where}: `attributes` must be a mapping")
    if kind == "markdown":
        return None

    label = attributes.get("label")
    if not isinstance(label, str) or not label.strip():
        raise FormDefinitionError(f"{where}: a {kind} needs a non-empty string `label`")
    where = f"{where} ({label!r})"

    field_id = _field_id(block.get("id"), label, where)
    required = _required(block.get("validations") or {}, where)
    render = _render_hint(attributes.get("render"), kind, where)
    options, required_options, multiple = _options(kind, attributes, where)
    return FormField(
        id=field_id,
        label=label.strip(),
        type=kind,
        # A checkbox field is required when any of its boxes must be ticked.
        required=required or bool(required_options),
        options=options,
        render=render,
        multiple=multiple,
        required_options=required_options,
    )


def _field_id(raw_id: Any, label: str, where: str) -> str:
    if raw_id is None:
        # GitHub allows a field without an id; give it a stable one from its label.
        return re.sub(r"[^a-z0-9]+", "_", label.casefold()).strip("_") or "field"
    if isinstance(raw_id, str) and _ID_RE.match(raw_id):
        return raw_id
    raise FormDefinitionError(
        f"{where}: `id` must use only letters, digits, `-` and `_` (got {raw_id!r})"
    )


def _required(validations: Any, where: str) -> bool:
    if not isinstance(validations, Mapping):
        raise FormDefinitionError(f"{where}: `validations` must be a mapping")
    required = validations.get("required", False)
    if not isinstance(required, bool):
        raise FormDefinitionError(f"{where}: `validations.required` must be true or false")
    return required


def _render_hint(render: Any, kind: str, where: str) -> str | None:
    """A textarea's `render` (the language GitHub shows its answer in), checked."""
    if render is None:
        return None
    if kind != "textarea":
        raise FormDefinitionError(f"{where}: `render` is only allowed on a textarea")
    if not isinstance(render, str):
        raise FormDefinitionError(f"{where}: `render` must be a string")
    return render


def _options(
    kind: str, attributes: Mapping[str, Any], where: str
) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """(options, options that must be ticked, multiple) of a dropdown or checkboxes."""
    if kind == "dropdown":
        options = _dropdown_options(attributes.get("options"), where)
        multiple = attributes.get("multiple", False)
        if not isinstance(multiple, bool):
            raise FormDefinitionError(f"{where}: `multiple` must be true or false")
        return options, (), multiple
    if kind == "checkboxes":
        options, required_options = _checkbox_options(attributes.get("options"), where)
        return options, required_options, False
    return (), (), False


def _dropdown_options(raw: Any, where: str) -> tuple[str, ...]:
    """Validate a dropdown's options: a non-empty list of distinct scalars."""
    if not isinstance(raw, list) or not raw:
        raise FormDefinitionError(f"{where}: a dropdown needs a non-empty list of `options`")
    options: list[str] = []
    for option in raw:
        # YAML reads `- 1` as an int; GitHub shows it as text, so accept numbers.
        if isinstance(option, bool) or not isinstance(option, str | int | float):
            raise FormDefinitionError(f"{where}: dropdown option {option!r} is not text")
        text = str(option).strip()
        if not text:
            raise FormDefinitionError(f"{where}: dropdown options must not be empty")
        options.append(text)
    _check_distinct(options, where)
    return tuple(options)


def _checkbox_options(raw: Any, where: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Validate checkbox options (``- label: ...``); return (labels, required labels)."""
    if not isinstance(raw, list) or not raw:
        raise FormDefinitionError(f"{where}: checkboxes need a non-empty list of `options`")
    labels: list[str] = []
    required: list[str] = []
    for option in raw:
        label = option.get("label") if isinstance(option, Mapping) else None
        if not isinstance(label, str) or not label.strip():
            raise FormDefinitionError(
                f"{where}: each checkbox option must be a mapping with a text `label`"
            )
        labels.append(label.strip())
        flag = option.get("required", False)
        if not isinstance(flag, bool):
            raise FormDefinitionError(f"{where}: checkbox `required` must be true or false")
        if flag:
            required.append(label.strip())
    _check_distinct(labels, where)
    return tuple(labels), tuple(required)


def _check_distinct(options: list[str], where: str) -> None:
    """Refuse options that differ only in case or spacing: the parser could not tell them apart."""
    seen: set[str] = set()
    for option in options:
        key = _normalise_heading(option)
        if key in seen:
            raise FormDefinitionError(f"{where}: option {option!r} is listed twice")
        seen.add(key)


@lru_cache(maxsize=1)
def default_form() -> FormDefinition:
    """Load the packaged ``report-incident.yml`` form (cached)."""
    text = (
        resources.files("incident_tool").joinpath(DEFAULT_FORM_RESOURCE).read_text(encoding="utf-8")
    )
    return FormDefinition.from_yaml(text, source=DEFAULT_FORM_RESOURCE)


@dataclass(frozen=True)
class ParsedReport:
    """The values of a submitted form, by field id.

    ``fields`` holds every field of the form: a string, a list of strings (checkboxes,
    multi-select dropdowns), or None when the field was empty, ``_No response_`` or
    absent. ``missing`` holds the labels of required fields without a value.
    ``unknown_sections`` maps headings that match no field (and ``""`` for text before
    the first heading) to their text, so nothing the reporter wrote is lost.
    """

    fields: dict[str, FieldValue]
    missing: tuple[str, ...] = ()
    unknown_sections: dict[str, str] = field(default_factory=dict)

    def get(self, field_id: str, default: FieldValue = None) -> FieldValue:
        """Return the value of ``field_id``, or ``default`` when it has none."""
        value = self.fields.get(field_id)
        return default if value is None else value

    def text(self, field_id: str) -> str:
        """Return the value as display text: ``""`` when empty, lists joined with ", "."""
        value = self.fields.get(field_id)
        if value is None:
            return ""
        if isinstance(value, list):
            return ", ".join(value)
        return value


# --- body parsing ----------------------------------------------------------------------

# Up to three spaces of indent, as in CommonMark; four make an indented code block.
# Greedy groups and Python-side stripping: a lazy `(.*?)\s*$` is quadratic on long runs
# of spaces, and a body is up to 65,000 characters typed by anyone.
_HEADING_RE = re.compile(r"^ {0,3}###(?:[ \t](.*))?$")
_FENCE_OPEN_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_FENCE_CLOSE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*$")
_CHECKBOX_RE = re.compile(r"^\s*[-*+]\s*\[([ xX]?)\](.*)$")


def _normalise_heading(text: str) -> str:
    """Return the key headings and options are compared by: trimmed, spaced once, casefolded."""
    return " ".join(text.split()).casefold()


def _fence_opener(line: str) -> tuple[str, int] | None:
    """Return (fence char, length) when ``line`` can open a fenced code block."""
    match = _FENCE_OPEN_RE.match(line)
    if match is None:
        return None
    fence = match.group(1)
    # CommonMark: a backtick fence's info string may not contain a backtick.
    if fence[0] == "`" and "`" in match.group(2):
        return None
    return fence[0], len(fence)


def _fence_closer(line: str) -> tuple[str, int] | None:
    """Return (fence char, length) when ``line`` is a bare fence that can close a block."""
    match = _FENCE_CLOSE_RE.match(line)
    if match is None:
        return None
    fence = match.group(1)
    return fence[0], len(fence)


# First characters of the only lines that can be headings or fences. Checked on at most
# the first four characters, so the test is cheap on every line.
_SPECIAL_START = frozenset("#`~")


def _special_lines(lines: list[str]) -> list[int]:
    """Return the indexes of lines that could be headings or fences (few, in practice)."""
    # Up to three spaces of indent: line[:4] with spaces removed starts with the marker.
    return [i for i, line in enumerate(lines) if line[:4].lstrip(" ")[:1] in _SPECIAL_START]


def _split_sections(lines: list[str]) -> list[tuple[str | None, int, int]]:
    """Split lines into (heading, first line, end line) sections; the first has heading None.

    A ``### `` line starts a section unless it is inside a fenced code block. A fence
    that is never closed does not hide the rest of the body: GitHub would render it as
    code to the end, but then a stray fence in one field would swallow every later
    field, so such an opener is read as plain text.
    """
    special = _special_lines(lines)
    # closed_by[k]: the longest bare fence of each char on a special line after special[k].
    # One backward pass makes "is this opener ever closed?" O(1), keeping the whole
    # parse linear even on hostile input.
    closed_by: list[tuple[int, int]] = [(0, 0)] * len(special)
    closers: list[tuple[str, int] | None] = [None] * len(special)
    best_backtick = best_tilde = 0
    for k in range(len(special) - 1, -1, -1):
        closed_by[k] = (best_backtick, best_tilde)
        line = lines[special[k]]
        if line[:4].lstrip(" ")[:1] == "#":
            continue
        closer = closers[k] = _fence_closer(line)
        if closer is None:
            continue
        if closer[0] == "`":
            if closer[1] > best_backtick:
                best_backtick = closer[1]
        elif closer[1] > best_tilde:
            best_tilde = closer[1]

    sections: list[tuple[str | None, int, int]] = []
    heading_text: str | None = None
    start = 0
    fence: tuple[str, int] | None = None
    for k, i in enumerate(special):
        if fence is not None:
            closer = closers[k]
            if closer is not None and closer[0] == fence[0] and closer[1] >= fence[1]:
                fence = None
            continue
        line = lines[i]
        # Special lines have at most three spaces of indent, so six characters suffice.
        marker = line[:6].lstrip(" ")
        if marker[:1] == "#":
            heading = _HEADING_RE.match(line) if marker[:3] == "###" else None
            if heading is not None:
                sections.append((heading_text, start, i))
                heading_text, start = _heading_text(heading.group(1) or ""), i + 1
            continue
        opener = _fence_opener(line)
        if opener is not None:
            longest = closed_by[k][0] if opener[0] == "`" else closed_by[k][1]
            if longest >= opener[1]:
                fence = opener
    sections.append((heading_text, start, len(lines)))
    return sections


def _heading_text(raw: str) -> str:
    """Return a heading's text without an optional closing ``###`` sequence."""
    text = raw.strip()
    without = text.rstrip("#")
    # CommonMark: closing hashes count only when preceded by a space ("C#" keeps its #).
    if not without or (without != text and without[-1] in " \t"):
        return without.strip()
    return text


def _strip_blank_edges(lines: list[str]) -> list[str]:
    """Drop blank lines at the start and end, keeping indentation of the rest."""
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _is_empty(text: str) -> bool:
    """Tell whether a rendered value means "no answer"."""
    stripped = text.strip()
    return not stripped or stripped == NO_RESPONSE


def _code_block_content(lines: list[str]) -> str:
    """Return the text inside the fenced block GitHub wraps a ``render:`` textarea in."""
    lines = _strip_blank_edges(lines)
    if not lines:
        return ""
    opener = _fence_opener(lines[0])
    if opener is None:
        # The reporter edited the fence away; the text is still the value.
        return "\n".join(lines)
    inner = lines[1:]
    if inner:
        closer = _fence_closer(inner[-1])
        if closer is not None and closer[0] == opener[0] and closer[1] >= opener[1]:
            inner = inner[:-1]
    return "\n".join(_strip_blank_edges(inner))


def _match_option(text: str, options_by_key: Mapping[str, str]) -> str:
    """Return the form's spelling of an option, or the text as written if it matches none."""
    return options_by_key.get(_normalise_heading(text), text)


def _split_multiple(text: str, options: tuple[str, ...]) -> list[str]:
    """Split a multi-select dropdown value ("A, B") without breaking options containing ", "."""
    by_key = {_normalise_heading(option): option for option in options}
    parts = text.split(", ")
    # An option can span at most this many parts, which bounds the search per position.
    widest = 1 + max((option.count(", ") for option in options), default=0)
    chosen: list[str] = []
    i = 0
    while i < len(parts):
        for width in range(min(widest, len(parts) - i), 0, -1):
            candidate = ", ".join(parts[i : i + width])
            key = _normalise_heading(candidate)
            if key in by_key or width == 1:
                if key:
                    chosen.append(by_key.get(key, candidate.strip()))
                i += width
                break
    return chosen


def _field_value(form_field: FormField, lines: list[str]) -> FieldValue:
    """Turn a section's lines into the field's value (None for no answer)."""
    if form_field.type == "textarea" and form_field.render is not None:
        content = _code_block_content(lines)
        return None if _is_empty(content) else content

    text = "\n".join(lines).strip()
    if _is_empty(text):
        return None
    if form_field.type == "dropdown":
        by_key = {_normalise_heading(option): option for option in form_field.options}
        # Older renderings wrote "None" for an optional dropdown left unset.
        if text == "None" and "none" not in by_key:
            return None
        if form_field.multiple:
            return _split_multiple(text, form_field.options) or None
        return _match_option(text, by_key)
    if form_field.type == "checkboxes":
        by_key = {_normalise_heading(option): option for option in form_field.options}
        checked: list[str] = []
        for line in text.split("\n"):
            match = _CHECKBOX_RE.match(line)
            option = match.group(2).strip() if match is not None else ""
            if match is not None and match.group(1) in ("x", "X") and option:
                checked.append(_match_option(option, by_key))
        return checked
    return text


def parse_report(body: str | None, form: FormDefinition | None = None) -> ParsedReport:
    """Parse a rendered issue-form body into values by field id.

    Use the packaged incident form unless ``form`` is given. Accept any string
    (CRLF or lone CR line endings, NUL bytes, edited headings) without raising; an
    empty or None body gives every field None and every required field missing.
    """
    form = form if form is not None else default_form()
    if isinstance(body, bytes | bytearray):
        body = bytes(body).decode("utf-8", errors="replace")
    text = body if isinstance(body, str) else ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")

    by_heading = {_normalise_heading(f.label): f for f in form.fields}
    lines = text.split("\n")
    sections: dict[str, list[str]] = {}
    # Lists joined at the end: merging repeated headings by string concatenation would
    # be quadratic on a body of many small sections.
    unknown_parts: dict[str, list[str]] = {}

    for heading, start, end in _split_sections(lines):
        section_lines = lines[start:end]
        form_field = by_heading.get(_normalise_heading(heading)) if heading is not None else None
        if form_field is not None and form_field.id not in sections:
            sections[form_field.id] = section_lines
            continue
        # Text before the first heading, a renamed heading, or a field heading repeated
        # inside another answer (the first occurrence is GitHub's; the rest is reporter
        # text): keep it so nothing is lost.
        content = "\n".join(section_lines).strip()
        if heading is None and not content:
            continue
        unknown_parts.setdefault(heading or "", []).append(content)
    unknown = {
        heading: "\n\n".join(part for part in parts if part) if len(parts) > 1 else parts[0]
        for heading, parts in unknown_parts.items()
    }

    values: dict[str, FieldValue] = {}
    missing: list[str] = []
    for form_field in form.fields:
        value = (
            _field_value(form_field, sections[form_field.id]) if form_field.id in sections else None
        )
        values[form_field.id] = value
        if form_field.type == "checkboxes" and form_field.required_options:
            ticked = set(value or ())
            if any(option not in ticked for option in form_field.required_options):
                missing.append(form_field.label)
        elif form_field.required and (value is None or value == []):
            missing.append(form_field.label)
    return ParsedReport(fields=values, missing=tuple(missing), unknown_sections=unknown)


_SEVERITY_GUESS_RE = re.compile(r"^\s*(?:sev(?:erity)?\s*|s|p)?([1-4])(?![0-9])", re.IGNORECASE)


def severity_from_guess(text: str | None) -> int | None:
    """Return 1-4 from a severity dropdown option ("2 - Major: ..." -> 2), else None."""
    if not isinstance(text, str):
        return None
    match = _SEVERITY_GUESS_RE.match(text)
    return int(match.group(1)) if match else None


def service_key(name: str) -> str:
    """Compare service names as people mean them: "Security & credentials" is
    "security / credentials" is "Security and  Credentials" (case, spacing, punctuation
    and "and" aside)."""
    words = re.findall(r"[^\W_]+", name.casefold())
    return " ".join(w for w in words if w != "and")


def is_sensitive(report: ParsedReport, services: Iterable[str] = (SENSITIVE_SERVICE,)) -> bool:
    """Say whether a report asks to be handled privately (docs/security.md#security):
    any box of the form's sensitive checkbox is ticked, or the affected service is one of
    `services` (config `sensitive.services`)."""
    if report.get(SENSITIVE_FIELD):
        return True
    chosen = report.get("service")
    chosen = [chosen] if isinstance(chosen, str) else list(chosen or [])
    keys = {service_key(s) for s in services} - {""}
    return any(service_key(c) in keys for c in chosen)


# The title prefix issue forms give (read here, where forms are parsed, so that core reads
# no file: core/announce.py strips it from titles).


def form_title_prefix(form_text: str) -> str:
    """The `title:` an issue form starts each issue's title with ("[Incident]: "), or ""."""
    try:
        data = yaml.safe_load(form_text)
    except (yaml.YAMLError, RecursionError):
        return ""
    title = data.get("title") if isinstance(data, dict) else None
    return title if isinstance(title, str) else ""


@lru_cache(maxsize=1)
def packaged_title_prefix() -> str:
    """The packaged report form's title prefix, which the form `init` writes keeps."""
    form = resources.files("incident_tool").joinpath(DEFAULT_FORM_RESOURCE)
    return form_title_prefix(form.read_text(encoding="utf-8"))
