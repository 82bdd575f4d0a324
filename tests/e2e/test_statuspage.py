"""The status page (docs/usage.md#status-page): what it shows, what it never shows, the feed, the
looks.

The site is written from a hand-made set of incidents (records as the tool keeps them,
issues as GitHub lists them), then read back as files: content, leaks, the Atom schema,
contrast, and headless Chromium at desktop and phone widths.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from incident_tool.config import parse
from incident_tool.core.record import Record
from incident_tool.core.states import State
from incident_tool.verbs import status_page as sp

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
SCHEMA = Path(__file__).parents[1] / "reference" / "atom" / "rfc4287.rng"
CONFIG = parse("timezone: Europe/London\nstatus_page: {enabled: true, title: Wellcome status}\n")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@dataclass
class Made:
    """One hand-made incident: the issue as listed and its record."""

    number: int
    title: str
    service: str
    state: State
    severity: int | None = None
    events: list[tuple[datetime, str, str, str]] = field(default_factory=list)
    labels: tuple[str, ...] = ()
    sensitive: bool = False
    secret: str = ""  # the report's own text: must never appear
    shown: bool = True

    @property
    def body(self) -> str:
        return (
            f"### Summary\n\n{self.secret} summary\n\n### Affected service\n\n{self.service}\n\n"
            f"### Impact on users\n\n{self.secret} impact\n\n### How was it noticed?\n\n"
            f"{self.secret} noticed\n"
        )

    def record(self) -> Record:
        record = Record(state=self.state, severity=self.severity, sensitive=self.sensitive)
        record.leads = ["zelda-lead"]
        record.helping = ["yusuf-helper"]
        record.channel_id = "C0SECRETCH"
        record.channel_name = f"incident-{self.number}-secret-channel"
        record.resolved_when = f"{self.secret} criteria"
        for at, kind, actor, text in self.events:
            record.note(at, kind, actor, text)
        return record

    def public(self) -> sp.PublicIncident | None:
        return sp.public_incident(
            number=self.number,
            title=self.title,
            body=self.body,
            labels=(self.state.label, *self.labels),
            created_at=self.events[0][0],
            record=self.record(),
            config=CONFIG,
        )


def private(kind: str, n: int) -> tuple[str, str, str]:
    """A timeline entry that is the team's business, with text that must not leak."""
    return kind, "quentin-dm", f"PRIVATE-{kind}-{n} internal note"


def made_set() -> list[Made]:
    t = NOW - timedelta(hours=3)
    return [
        Made(
            1,
            "Search returns no results <script>alert(1)</script>",
            "Search / catalogue API",
            State.DECLARED,
            severity=1,
            secret="SECRET1",
            events=[
                (t, "reported", "rita-reporter", ""),
                (t + timedelta(minutes=10), "declared", "quentin-dm", ""),
                (t + timedelta(minutes=11), *private("update", 1)),
                (t + timedelta(minutes=12), "public", "quentin-dm", "We are investigating."),
                (t + timedelta(minutes=13), *private("comms", 1)),
                (t + timedelta(minutes=14), *private("join", 1)),
                (t + timedelta(minutes=15), *private("handover", 1)),
                (t + timedelta(minutes=40), "public", "zelda-lead", "A fix is being deployed."),
                (t + timedelta(minutes=41), *private("action", 1)),
            ],
        ),
        Made(
            2,
            "Slow event pages",
            "What's on / events",
            State.MITIGATED,
            severity=3,
            secret="SECRET2",
            events=[
                (NOW - timedelta(days=1, hours=6), "reported", "rita-reporter", ""),
                (NOW - timedelta(days=1, hours=5), "declared", "quentin-dm", ""),
                (NOW - timedelta(hours=5), "mitigated", "zelda-lead", "PRIVATE-mitigated text"),
                (NOW - timedelta(hours=4), "public", "quentin-dm", "Pages load again; watching."),
            ],
        ),
        # Resolved, across midnight (London is on GMT in November: UTC = local).
        Made(
            3,
            "Login failures overnight",
            "Library accounts / requesting",
            State.RESOLVED,
            severity=2,
            secret="SECRET3",
            events=[
                (utc(2026, 11, 20, 23, 10), "reported", "rita-reporter", ""),
                (utc(2026, 11, 20, 23, 15), "declared", "quentin-dm", ""),
                (utc(2026, 11, 21, 0, 40), "mitigated", "zelda-lead", ""),
                (utc(2026, 11, 21, 1, 40), "resolved", "quentin-dm", "PRIVATE-resolve note"),
                (utc(2026, 11, 21, 1, 41), "retrospective", "", "#99"),
            ],
        ),
        # Resolved, across the end of summer time: London's clocks went back at 02:00 BST
        # on 25 October 2026; 00:30 BST to 03:30 GMT is four hours, all on 25 October.
        Made(
            4,
            "CMS outage during the clock change",
            "Content API / CMS",
            State.RESOLVED,
            severity=None,
            secret="SECRET4",
            events=[
                (utc(2026, 10, 24, 23, 30), "reported", "rita-reporter", ""),
                (utc(2026, 10, 24, 23, 35), "declared", "quentin-dm", ""),
                (utc(2026, 10, 25, 3, 30), "resolved", "quentin-dm", ""),
            ],
        ),
        # Never shown: a report dismissed without being declared, a plain report,
        # a sensitive incident (three ways), and one declared then dismissed.
        Made(
            5,
            "HIDDEN-dismissed report",
            "Website (wellcomecollection.org)",
            State.DISMISSED,
            secret="SECRET5",
            shown=False,
            events=[
                (NOW - timedelta(days=2), "reported", "rita-reporter", ""),
                (NOW - timedelta(days=2) + timedelta(minutes=5), *private("dismissed", 5)),
            ],
        ),
        Made(
            6,
            "HIDDEN-waiting report",
            "Website (wellcomecollection.org)",
            State.REPORTED,
            secret="SECRET6",
            shown=False,
            events=[(NOW - timedelta(hours=1), "reported", "rita-reporter", "")],
        ),
        Made(
            7,
            "HIDDEN-sensitive record",
            "Website (wellcomecollection.org)",
            State.DECLARED,
            severity=1,
            sensitive=True,
            secret="SECRET7",
            shown=False,
            events=[
                (NOW - timedelta(hours=2), "reported", "rita-reporter", ""),
                (NOW - timedelta(hours=2) + timedelta(minutes=1), "declared", "quentin-dm", ""),
                (NOW - timedelta(hours=1), "public", "quentin-dm", "HIDDEN-sensitive public"),
            ],
        ),
        Made(
            8,
            "HIDDEN-sensitive label",
            "Website (wellcomecollection.org)",
            State.RESOLVED,
            labels=("sensitive",),
            secret="SECRET8",
            shown=False,
            events=[
                (NOW - timedelta(days=3), "reported", "rita-reporter", ""),
                (NOW - timedelta(days=3) + timedelta(minutes=1), "declared", "quentin-dm", ""),
                (NOW - timedelta(days=3) + timedelta(hours=1), "resolved", "quentin-dm", ""),
            ],
        ),
        Made(
            9,
            "HIDDEN-sensitive service",
            "Security / credentials",
            State.MITIGATED,
            secret="SECRET9",
            shown=False,
            events=[
                (NOW - timedelta(hours=5), "reported", "rita-reporter", ""),
                (NOW - timedelta(hours=5) + timedelta(minutes=1), "declared", "quentin-dm", ""),
                (NOW - timedelta(hours=4), "mitigated", "quentin-dm", ""),
            ],
        ),
        Made(
            10,
            "HIDDEN-declared then dismissed",
            "Search / catalogue API",
            State.DISMISSED,
            secret="SECRET10",
            shown=False,
            events=[
                (NOW - timedelta(days=4), "reported", "rita-reporter", ""),
                (NOW - timedelta(days=4) + timedelta(minutes=1), "declared", "quentin-dm", ""),
                (NOW - timedelta(days=4) + timedelta(hours=1), *private("dismissed", 10)),
            ],
        ),
    ]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    shown = [p for m in made_set() if (p := m.public()) is not None]
    out = tmp_path_factory.mktemp("site")
    sp.write_site(sp.render(shown, CONFIG, repo="wellcome/platform", now=NOW), out)
    return out


def read(site: Path, name: str) -> str:
    return (site / name).read_text(encoding="utf-8")


def all_text(site: Path) -> dict[str, str]:
    return {str(p.relative_to(site)): p.read_text("utf-8") for p in site.rglob("*") if p.is_file()}


# -- what is shown -------------------------------------------------------------------------


def test_only_declared_non_sensitive_incidents_are_shown():
    made = made_set()
    assert [m.number for m in made if m.public() is not None] == [m.number for m in made if m.shown]


def test_the_site_has_an_index_a_page_per_incident_and_a_feed(site):
    assert sorted(all_text(site)) == [
        "feed.atom",
        "incidents/1.html",
        "incidents/2.html",
        "incidents/3.html",
        "incidents/4.html",
        "index.html",
    ]


def test_components_show_the_worst_open_incident(site):
    index = read(site, "index.html")

    def badge(component: str) -> str:
        section = index.split(f'aria-label="{component}"', 1)[1].split("</section>", 1)[0]
        return re.search(r'class="badge l-([a-z]+)"', section).group(1)

    assert badge("Search / catalogue API") == "major"  # declared, severity 1
    assert badge("What&#39;s on / events") == "monitoring"  # mitigated
    assert badge("Library accounts / requesting") == "operational"  # resolved
    assert badge("Website (wellcomecollection.org)") == "operational"  # only hidden ones
    # Components default to the form's options, without the sensitive one.
    assert "Security / credentials" not in index
    assert "Major outage" in index.split("<h2>Components</h2>")[0]  # the overall status


def test_a_higher_severity_is_worse():
    made = made_set()[0]
    levels = []
    for severity in (4, 3, 2, 1):
        made.severity = severity
        levels.append(made.public().level)
    assert levels == ["degraded", "degraded", "partial", "major"]
    assert [sp.ORDER.index(x) for x in levels] == sorted(sp.ORDER.index(x) for x in levels)


def test_active_incidents_with_public_updates_newest_first(site):
    index = read(site, "index.html")
    active = index.split("<h2>Active incidents</h2>", 1)[1].split("<h2>Components</h2>")[0]
    assert active.index("A fix is being deployed.") < active.index("We are investigating.")
    assert "Pages load again; watching." in active
    assert "Login failures overnight" not in active  # resolved: under past incidents
    assert "Login failures overnight" in index.split("<h2>Past incidents</h2>")[1]


def test_titles_are_escaped(site):
    for name, text in all_text(site).items():
        assert "<script" not in text, name
    assert "Search returns no results &lt;script&gt;alert(1)&lt;/script&gt;" in read(
        site, "incidents/1.html"
    )


def test_history_is_90_days_per_component(site):
    index = read(site, "index.html")
    rows = re.findall(r'<ol class="days"[^>]*>(.*?)</ol>', index, re.S)
    assert len(rows) == len(sp.components(CONFIG))
    assert all(row.count("<li ") == 90 for row in rows)
    assert "2026-12-01: Major outage (#1)" in index  # today, the active incident


def test_an_incident_across_midnight_marks_both_days(site):
    index = read(site, "index.html")
    assert "2026-11-20: Partial outage (#3)" in index
    assert "2026-11-21: Partial outage (#3)" in index
    assert "2026-11-22: No incidents" in index
    page = read(site, "incidents/3.html")
    assert "2026-11-20 23:10 UTC (23:10 GMT)" in page
    assert (
        '2026-11-21 00:40 UTC (00:40 GMT)</time> <span class="nw">(after 1 h 30 min)</span>' in page
    )
    assert (
        '2026-11-21 01:40 UTC (01:40 GMT)</time> <span class="nw">(after 2 h 30 min)</span>' in page
    )


def test_an_incident_across_a_clock_change_uses_local_days_and_real_durations(site):
    index = read(site, "index.html")
    # 23:30 UTC on the 24th is 00:30 BST on the 25th: the 24th (local) had no incident.
    assert "2026-10-24: No incidents" in index
    assert "2026-10-25: Degraded performance (#4)" in index
    assert "2026-10-26: No incidents" in index
    page = read(site, "incidents/4.html")
    assert "2026-10-24 23:30 UTC (2026-10-25 00:30 BST)" in page
    # 00:30 BST to 03:30 GMT: four hours, not the three a wall clock shows.
    assert '2026-10-25 03:30 UTC (03:30 GMT)</time> <span class="nw">(after 4 h)</span>' in page


def test_day_bounds_follow_the_zone():
    clock = sp.Clock("Europe/London")
    start, end = clock.day_bounds(datetime(2026, 10, 25).date())
    assert (end - start) == timedelta(hours=25)
    start, end = clock.day_bounds(datetime(2026, 3, 29).date())
    assert (end - start) == timedelta(hours=23)


def test_incident_page_has_title_component_times_and_updates(site):
    page = read(site, "incidents/2.html")
    for expected in (
        "Slow event pages",
        "What&#39;s on / events",
        "Started",
        "Mitigated",
        "Duration so far",
        "Pages load again; watching.",
        "Mitigated, monitoring",
    ):
        assert expected in page, expected


# -- what is never shown --------------------------------------------------------------------


def forbidden() -> list[str]:
    """Every piece of text in the incidents that is not title, component, time or /public."""
    out = ["zelda-lead", "yusuf-helper", "quentin-dm", "rita-reporter", "C0SECRETCH"]
    for made in made_set():
        record = made.record()
        out += [made.secret, f"incident-{made.number}-secret-channel"]
        out += [line for line in made.body.splitlines() if line.strip()]
        out += [e.text for e in record.timeline if e.text and e.kind != "public"]
        if not made.shown:
            out.append(made.title)
            out += [e.text for e in record.timeline if e.text]
    # The component names are shown, as components; the form's headings say nothing.
    allowed = {"#99", *sp.components(CONFIG), *(m.service for m in made_set())}
    return sorted({x for x in out if x and not x.startswith("### ")} - allowed)


def test_nothing_else_of_an_incident_appears_anywhere_on_the_site(site):
    texts = all_text(site)
    leaks = [(name, secret) for secret in forbidden() for name, t in texts.items() if secret in t]
    assert leaks == []
    assert len(forbidden()) > 60  # the check covers every kind of text
    assert all("SECRET" not in t and "PRIVATE" not in t for t in texts.values())


def test_hidden_incidents_leave_no_trace_not_even_a_count(site):
    texts = all_text(site)
    for number in (5, 6, 7, 8, 9, 10):
        for name, text in texts.items():
            assert f"#{number})" not in text and f"#{number}<" not in text, (name, number)
            assert f"incidents/{number}.html" not in text, (name, number)
    index = read(site, "index.html")
    assert index.count('class="card" aria-labelledby="active-') == 2  # 1 and 2 only
    assert "HIDDEN" not in "".join(texts.values())


def test_unknown_services_are_other_not_their_text():
    made = made_set()[0]
    made.service = "<b>Made-up service</b>"
    assert made.public().component == "Other"


def test_no_javascript_tracking_or_outside_resources(site):
    for name, text in all_text(site).items():
        if name.endswith(".html"):
            assert "<script" not in text.lower()
            assert not re.search(r"\son[a-z]+=", text), name  # no event handlers
            assert not re.search(r"(src|href|action)=\"(https?:)?//", text), name
            assert "url(" not in text and "@import" not in text and "<img" not in text
            assert "<iframe" not in text and '<link rel="stylesheet"' not in text
            assert 'name="viewport"' in text  # phones
            assert "default-src 'none'" in text  # and the browser enforces it
        else:
            assert "http://" not in text.replace("http://www.w3.org/2005/Atom", "")
            assert "https://" not in text


def test_control_characters_are_dropped():
    made = made_set()[0]
    made.title = "Bad\x00 \x1btitle\ufffe"
    assert made.public().title == "Bad title"


# -- the feed --------------------------------------------------------------------------------


def test_the_feed_is_valid_atom(site):
    etree = pytest.importorskip("lxml.etree", reason="lxml (test extra) validates the feed")
    schema = etree.RelaxNG(etree.parse(str(SCHEMA)))
    feed = etree.parse(str(site / "feed.atom"))
    assert schema.validate(feed), schema.error_log
    ns = {"atom": "http://www.w3.org/2005/Atom"}
    # RFC 4287's Schematron rules (annotations in the schema, not checked by RELAX NG).
    assert feed.xpath("/atom:feed/atom:author", namespaces=ns)
    for entry in feed.xpath("//atom:entry", namespaces=ns):
        assert entry.xpath("atom:link[@rel='alternate'] or atom:content", namespaces=ns)
    titles = feed.xpath("//atom:entry/atom:title/text()", namespaces=ns)
    # Four incidents and three public updates, newest first.
    assert len(titles) == 7
    updated = feed.xpath("//atom:entry/atom:updated/text()", namespaces=ns)
    assert updated == sorted(updated, reverse=True)
    contents = " ".join(feed.xpath("//atom:content/text()", namespaces=ns))
    assert "A fix is being deployed." in contents and "Pages load again" in contents
    ids = feed.xpath("//atom:entry/atom:id/text()", namespaces=ns)
    assert len(set(ids)) == len(ids)


def test_the_schema_rejects_a_broken_feed():
    etree = pytest.importorskip("lxml.etree", reason="lxml (test extra) validates the feed")
    schema = etree.RelaxNG(etree.parse(str(SCHEMA)))
    broken = etree.fromstring(
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>x</id>'
        b"<updated>yesterday</updated></feed>"
    )
    assert not schema.validate(broken)


# -- contrast (WCAG 2.1 AA) ------------------------------------------------------------------


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula():
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


def test_palette_meets_wcag_aa():
    background = sp.PAGE["background"]
    for name in ("text", "muted", "link"):
        assert contrast(sp.PAGE[name], background) >= 4.5, name
    for name, (_, colour) in sp.LEVELS.items():
        assert contrast(sp.BADGE_TEXT, colour) >= 4.5, name  # badge text
        assert contrast(colour, background) >= 3, name  # day cells (non-text, 1.4.11)


def test_the_css_uses_only_the_tested_palette():
    used = {c.lower() for c in re.findall(r"#[0-9a-fA-F]{6}\b", sp._css())}
    tested = {*sp.PAGE.values(), sp.BADGE_TEXT, sp.PAGE_BORDER}
    tested |= {colour for _, colour in sp.LEVELS.values()}
    assert used <= tested
    assert not re.findall(r"#[0-9a-fA-F]{3}\b", sp._css())


# -- headless Chromium ------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def screenshot(page: Path, out: Path, width: int, height: int, profile: Path) -> Path:
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",  # as root in CI
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--hide-scrollbars",
            f"--window-size={width},{height}",
            f"--screenshot={out}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out


@pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get install chromium)"
)
@pytest.mark.parametrize(("width", "height"), [(1280, 1600), (390, 1600)])
def test_pages_render_in_chromium(site, tmp_path, width, height):
    image = pytest.importorskip("PIL.Image", reason="Pillow (test extra) reads screenshots")
    shots = tmp_path / "shots"
    shots.mkdir()
    for name in ("index.html", "incidents/1.html"):
        png = screenshot(
            site / name, shots / f"{name.replace('/', '-')}.png", width, height, tmp_path / "p"
        )
        picture = image.open(png).convert("RGB")
        assert picture.size == (width, height)
        data = picture.tobytes()
        pixels = [tuple(data[i : i + 3]) for i in range(0, len(data), 3)]
        inked = sum(1 for p in pixels if sum(p) < 720)
        assert inked / len(pixels) > 0.01, f"{name} at {width}px looks blank"
        # The CSS was applied: the major-outage badge's red is on screen.
        red = tuple(int(sp.LEVELS["major"][1][i : i + 2], 16) for i in (1, 3, 5))
        assert any(max(abs(a - b) for a, b in zip(p, red, strict=True)) < 8 for p in pixels)
        if width < 600:
            # Nothing wider than the phone: the right-most column stays page background.
            right = [picture.getpixel((width - 2, y)) for y in range(height)]
            assert all(sum(p) > 740 for p in right), f"{name} overflows at {width}px"


# -- config ----------------------------------------------------------------------------------


def test_status_page_config_defaults_and_errors():
    from incident_tool.config import ConfigError

    default = parse("")
    assert (default.status_page.enabled, default.status_page.title) == (False, "Service status")
    assert "Security / credentials" not in sp.components(default)
    assert "Search / catalogue API" in sp.components(default)
    chosen = parse("status_page: {components: [Website, Search]}")
    assert sp.components(chosen) == ("Website", "Search")
    for text, key in (
        ("status_page: {colour: red}", "status_page.colour"),
        ("status_page: {enabled: yes please}", "status_page.enabled"),
        ("status_page: {components: [a, A]}", "status_page.components"),
        ("status_page: {components: {a: 1}}", "status_page.components"),
        ("status_page: {title: ''}", "status_page.title"),
    ):
        with pytest.raises(ConfigError, match=re.escape(f"`{key}`")):
            parse(text, "incident.yml")
