"""Tracker text is never a link, an image or markup, on any page (issue 12).

A tracker built here puts hostile text in every text field (names, setting, class, key worker, council,
an extra column and its values, outcome descriptions, review notes) and is imported into a fresh
database; the app is served on it and every page the SENCo sees is opened in Chromium. On each page no
link or image may point at the data's address, no bold, italic, struck, code, heading, quote, list,
coloured, icon or maths element may have come from the data, and no request may leave the machine. Where
a page shows the data as words (the Pupil heading, the Governors' report, Upload and Rules messages), it
shows exactly what was typed. The word joiner (U+2060) the app puts inside addresses is invisible and
ignored when comparing.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook

from senlib import importer, store
from senlib.views import pupil

from .harness import SKIP_REASON, RunningApp, chromium_available, running_app, screenshot, wait_for_app

pytestmark = pytest.mark.browser

EVIL = "evil.example"
FIRST_NAMES = [  # one pupil each
    "[link](http://evil.example)",
    '=HYPERLINK("http://evil.example")',
    '<a href="http://evil.example">x</a>',
    "**bold**",
    ":red[red]",
    "$x^2$",
    "www.evil.example",
    "someone@evil.example",
    ":material/warning:",
    "# heading",
    "![img](http://evil.example/x.png)",
]
LAST_NAMES = [
    "_evilem_ :smile:", "~~evilstrike~~", "`evilcode`", "> evilquote", "- evillist", "https://evil.example/p_q*r*",
    "ftp://evil.example", "<img src=http://evil.example/y.png>", "$$evilmaths$$", "| evil | table |", "mailto:a@evil.example",
]
SETTING = "[Evil school](http://evil.example) **evilstrong** :blue[evilblue] www.evil.example"
CLASS = ":red[evilred] <b>evilb</b> 3B"
KEY_WORKER = "_evilitalic_ someone@evil.example"
COUNCIL = "# evilheading council www.evil.example"
EXTRA_COLUMN = "Notes [evilcol](http://evil.example)"
OUTCOME = "Outcome **evilstrong** [evillink](http://evil.example) $x^2$ :material/home:"
NEW_COUNCIL = "[evilcouncil](http://evil.example) ~~evilstruck~~ council@evil.example"
TRACKER_NAME = "hostile [tracker](http://evil.example) www.evil.example.xlsx"
UPLOAD_NAME = "Evil [file](www.evil.example) someone@evil.example $x$ **evilbold**.xlsx"
SKIPPED_SHEET = "Notes $x^2$ www.evil.example"  # no header row: skipped, and named in a caption

# Text a data-made element would start with (its content): bold, :red[red], # heading, and every "evil…" marker.
MARKUP_FROM_DATA = ["bold", "red", "heading", "evil"]

_INERT_JS = """(starts) => {
  const XLINK = 'http://www.w3.org/1999/xlink';
  const clean = s => (s || '').replace(/[\\u2060\\u200b]/g, '').trim();
  const bad = [];
  const url = e => [e.getAttribute('href'), e.getAttribute('src'), e.getAttributeNS(XLINK, 'href')].join(' ');
  for (const a of document.querySelectorAll('a')) {
    if (/evil/i.test(url(a)) || /evil/i.test(clean(a.textContent))) bad.push('link ' + a.outerHTML.slice(0, 160));
  }
  for (const e of document.querySelectorAll('img, image, picture source, iframe, video, audio, object, embed')) {
    if (/evil/i.test(url(e))) bad.push('image ' + e.outerHTML.slice(0, 160));
  }
  for (const e of document.querySelectorAll('.katex, .katex-display, math')) bad.push('maths ' + clean(e.textContent).slice(0, 80));
  const md = '[data-testid="stMarkdownContainer"] ';
  for (const e of document.querySelectorAll(md + 'span[role="img"], ' + md + '[data-testid="stIconMaterial"]')) {
    bad.push('icon ' + e.outerHTML.slice(0, 160));
  }
  const markup = ['strong', 'b', 'em', 'i', 'del', 's', 'code', 'pre', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'li',
                  'table', 'hr', '[class*="stMarkdownColored"]', 'span[style*="color"]'].map(s => md + s).join(', ');
  for (const e of document.querySelectorAll(markup)) {
    const t = clean(e.textContent);
    if (starts.some(s => t.startsWith(s))) bad.push(e.tagName.toLowerCase() + ' ' + e.outerHTML.slice(0, 160));
  }
  for (const e of document.querySelectorAll('[data-testid="stMarkdownContainer"]')) {
    if (/\\u{1F604}/u.test(e.textContent)) bad.push('emoji ' + clean(e.textContent).slice(0, 80));
  }
  return bad;
}"""

_SHOWN_JS = """() => [document.querySelector('[data-testid="stMain"]'), document.querySelector('[data-testid="stSidebar"]')]
  .filter(Boolean).map(e => e.innerText).join('\\n').replace(/[\\u2060\\u200b]/g, '')"""


def _text(ws, row: list) -> None:
    """Append a row of text cells: a value starting with '=' stays text, as a typed cell would, not a formula."""
    ws.append(row)
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"


def hostile_tracker(today: date) -> bytes:
    """The template's sheets, every text field hostile; reviews long overdue and scores flat (stalled)."""
    def d(days: int) -> str:
        return f"{today - timedelta(days=days):%d/%m/%Y}"

    wb = Workbook()
    ws = wb.active
    ws.title = "Pupils"
    _text(ws, ["Setting", "Pupil ID", "First name", "Last name", "Date of birth", "Class", "SEN status", "Primary need",
               "Local authority", "Key worker", EXTRA_COLUMN])
    for i, (first, last) in enumerate(zip(FIRST_NAMES, LAST_NAMES, strict=True)):
        _text(ws, [SETTING, f"E{i}", first, last, d(8 * 365 + 30 * i), CLASS, "E" if i % 2 == 0 else "K", "ASD", COUNCIL,
                   KEY_WORKER, first])
    ws = wb.create_sheet("Plans")
    _text(ws, ["Setting", "Pupil ID", "Plan type", "Start date", "Local authority"])
    for i in range(len(FIRST_NAMES)):
        _text(ws, [SETTING, f"E{i}", "ehcp" if i % 2 == 0 else "sen_support", d(400), COUNCIL])
    ws = wb.create_sheet("Reviews")
    _text(ws, ["Setting", "Pupil ID", "Plan type", "Review date", "Held", "Kind", "Progress", "Notes"])
    for i, first in enumerate(FIRST_NAMES):
        ehcp = i % 2 == 0  # an EHC plan's annual review a year and more ago; SEN Support's termly ones, the last 5 months ago
        for days in (380,) if ehcp else (330, 240, 150):
            _text(ws, [SETTING, f"E{i}", "ehcp" if ehcp else "sen_support", d(days), "Yes", "annual" if ehcp else "termly",
                       "less", first])
    ws = wb.create_sheet("Outcomes")
    _text(ws, ["Setting", "Pupil ID", "Outcome ID", "Area", "Description", "Baseline", "Target", "Start date", "Target date",
               "Status"])
    for i in range(len(FIRST_NAMES)):
        _text(ws, [SETTING, f"E{i}", "O1", "communication_interaction", OUTCOME, 2, 8, d(400), d(-200), "active"])
    ws = wb.create_sheet("Scores")
    _text(ws, ["Setting", "Pupil ID", "Outcome ID", "Score date", "Score"])
    for i in range(len(FIRST_NAMES)):
        for days in (330, 240, 150):
            _text(ws, [SETTING, f"E{i}", "O1", d(days), 2])
    ws = wb.create_sheet("Settings")
    _text(ws, ["Setting", "Phase", "Local authority"])
    _text(ws, [SETTING, "Primary", COUNCIL])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload_tracker() -> bytes:
    """What the SENCo uploads on the Upload page: a sheet the importer skips, and a pupil whose need is refused."""
    wb = Workbook()
    ws = wb.active
    ws.title = SKIPPED_SHEET
    _text(ws, ["These are my notes", FIRST_NAMES[0]])
    ws = wb.create_sheet("Pupils")
    _text(ws, ["Pupil ID", "First name", "Last name", "SEN status", "Primary need"])
    _text(ws, ["U1", FIRST_NAMES[3], LAST_NAMES[0], "K", "[need](http://evil.example) **evilneed**"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory) -> Iterator[RunningApp]:
    """The app on a database of its own, holding only the hostile tracker."""
    if not chromium_available():
        pytest.skip(SKIP_REASON)
    db = tmp_path_factory.mktemp("hostile") / "hostile.duckdb"
    con = store.connect(db)
    try:
        result = importer.import_files(con, [(TRACKER_NAME, hostile_tracker(date.today()))], user="test")
        assert result.import_ids and not len(result.errors), result.problems
        stored = con.execute("SELECT first_name, last_name, class, key_worker, extra FROM pupils ORDER BY pupil_id").fetchall()
        assert {r[0] for r in stored} == set(FIRST_NAMES), "the tracker must reach the database as typed"
    finally:
        con.close()
    with running_app(db) as app:
        yield app


@pytest.fixture
def hpage(browser, hostile_app) -> Iterator[object]:
    """A fresh page (1400x1000) that records every request leaving 127.0.0.1; the app's home page opened."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB")
    pg = context.new_page()
    pg.external_requests = []
    pg.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:"))
          else pg.external_requests.append(r.url))
    pg.goto(hostile_app.url)
    wait_for_app(pg)
    yield pg
    context.close()


def _settle(page) -> None:
    """After a click: wait for the script run it started to finish."""
    page.wait_for_timeout(400)
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')
               || !document.querySelector('[data-testid="stStatusWidget"]').innerText.includes('Running')""",
        timeout=60_000)
    page.wait_for_timeout(600)


def _open(page, app: RunningApp, path: str) -> None:
    page.goto(app.page_url(path))
    wait_for_app(page)
    page.wait_for_timeout(1200)  # tables, charts and lazily loaded Markdown plugins (KaTeX, emoji) settle


def assert_inert(page, where: str) -> None:
    bad = page.evaluate(_INERT_JS, MARKUP_FROM_DATA)
    assert not bad, f"{where}: tracker text became markup:\n" + "\n".join(bad)
    assert page.external_requests == [], f"{where}: requests left the machine: {page.external_requests}"


def shown_text(page) -> str:
    return page.evaluate(_SHOWN_JS)


def test_pupil_page_heading_is_the_name_as_typed(hpage, hostile_app):
    for i, (first, last) in enumerate(zip(FIRST_NAMES, LAST_NAMES, strict=True)):
        _open(hpage, hostile_app, pupil.link(SETTING, f"E{i}"))
        heading = hpage.locator('[data-testid="stMain"] h2').first
        heading.wait_for()
        hpage.get_by_role("heading", name="Outcomes and progress scaling").wait_for()
        assert heading.evaluate("e => e.innerText.replace(/\\u2060/g, '')") == f"{first} {last}"
        assert_inert(hpage, f"Pupil page of {first!r}")
        if i == 0:
            screenshot(hpage, "hostile-pupil")


@pytest.mark.parametrize("path, heading", [
    ("", "SEN caseload overview"), ("caseload", "Caseload"), ("upcoming", "Upcoming reviews"),
    ("escalations", "Escalations"), ("progress", "Outcome progress"), ("compliance", "Review compliance"),
    ("governors", "Governors' report"), ("upload", "Upload trackers"), ("rules", "Rules"), ("audit", "Audit log"),
    ("backup", "Backup and restore"),
])
def test_every_page_shows_tracker_text_as_text(hpage, hostile_app, path, heading):
    _open(hpage, hostile_app, path)
    hpage.get_by_role("heading", name=heading, exact=True).first.wait_for()
    if path in ("caseload", "upcoming", "escalations"):
        hpage.locator('[data-testid="stDataFrame"]').first.wait_for()  # the pupils are listed (in a grid: text only)
    last = {"progress": "Pupils whose outcomes have stalled", "compliance": "Over the last 12 months",
            "governors": "Pupils on the SEN register"}.get(path)
    if last:  # these pages draw in stages: wait for the last part
        hpage.get_by_role("heading", name=last).wait_for(timeout=60_000)
        _settle(hpage)
    assert_inert(hpage, path or "overview")
    if path == "governors":
        assert SETTING in shown_text(hpage)  # the report's subtitle names the setting, as typed


def test_rules_page_message_names_the_setting_as_typed(hpage, hostile_app):
    _open(hpage, hostile_app, "rules")
    hpage.get_by_text("Change a setting's phase or local authority").click()
    box = hpage.get_by_label("Local authority")
    box.wait_for()
    box.fill(NEW_COUNCIL)
    hpage.get_by_role("button", name="Save", exact=True).click()
    _settle(hpage)
    alert = hpage.locator('[data-testid="stAlertContentSuccess"]').first
    alert.wait_for()
    assert SETTING in alert.evaluate("e => e.innerText.replace(/\\u2060/g, '')")
    assert_inert(hpage, "Rules page after saving a setting's council")


def test_upload_page_names_files_sheets_and_settings_as_typed(hpage, hostile_app):
    _open(hpage, hostile_app, "upload")
    hpage.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        files=[{"name": UPLOAD_NAME, "mimeType": "application/octet-stream", "buffer": upload_tracker()}])
    hpage.get_by_role("heading", name="Preview").wait_for(timeout=60_000)
    _settle(hpage)
    shown = shown_text(hpage)
    assert f"Skipped sheet {SKIPPED_SHEET} of {UPLOAD_NAME}" in shown
    assert f"{UPLOAD_NAME} — sheet Pupils" in shown  # the preview's expander
    assert_inert(hpage, "Upload preview")

    hpage.get_by_role("button", name="Check").click()
    _settle(hpage)
    error = hpage.locator('[data-testid="stAlertContentError"]').first
    error.wait_for()
    assert f"Nothing was imported from {UPLOAD_NAME}" in error.evaluate("e => e.innerText.replace(/\\u2060/g, '')")
    assert_inert(hpage, "Upload check refused")

    hpage.get_by_role("tab", name="Imports and undo").click()
    hpage.get_by_role("button", name="Undo this import").click()  # the hostile tracker's import: this test goes last
    _settle(hpage)
    hpage.get_by_role("button", name=re.compile(r"^Yes, undo import \d+$")).click()   # undo asks first
    _settle(hpage)
    done = hpage.locator('[data-testid="stAlertContentSuccess"]').first
    done.wait_for()
    assert f"({TRACKER_NAME}) undone" in done.evaluate("e => e.innerText.replace(/\\u2060/g, '')")
    assert_inert(hpage, "Upload undo")
    assert Path(screenshot(hpage, "hostile-upload")).is_file()
