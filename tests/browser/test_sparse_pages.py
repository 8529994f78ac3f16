"""Every page (but the governors' report, tested on its own) in a real browser on the 20-pupil sparse register (issue
14, item 6): a screenshot of each in tests/artifacts/sparse-*.png, and nothing clipped.

Two checks, both able to fail (run with SPARSE_APP_ROOT=<an older checkout> to see them fail there):
- In the DOM: no visible element of the page whose content is wider than its box while its overflow hides the rest
  (overflow hidden or clip, or an ellipsis): a metric label cut to 'No review date r…', a tile, a caption.
- In the tables: st.dataframe draws its cells on a canvas, where the DOM cannot see a cut. So each table's column
  settings (width, row height) and values are read from the page's run (AppTest, the same database and date), and
  each text column's longest value and its heading are measured in the browser with the grid's own font (canvas
  measureText): the value must fit its column, on the lines the row height gives it when the grid wraps (rows over
  64 px), and a column left to size itself stops at 500 px.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from senlib import store
from senlib.views import pupil
from tests.sparse_corpus import AS_OF, make_db

from .harness import ROOT, RunningApp, chromium_available, running_app, screenshot, wait_for_app

pytestmark = pytest.mark.browser

APP_ROOT = Path(os.environ.get("SPARSE_APP_ROOT") or ROOT)
PAGES = {"overview": "pages/overview.py", "caseload": "pages/caseload.py", "upcoming": "pages/upcoming.py",
         "escalations": "pages/escalations.py", "pupil": "pages/pupil.py", "progress": "pages/progress.py",
         "compliance": "pages/compliance.py", "upload": "pages/upload.py", "rules": "pages/rules.py",
         "audit": "pages/audit.py", "backup": "pages/backup.py"}
PRESETS = {"small": 75, "medium": 200, "large": 400}
AUTO_MAX = 500          # a column without a width sizes itself to at most 31.25rem
CELL_PAD = 8            # the grid's cell padding, each side
WRAP_ABOVE = 64         # the grid wraps cell text only in rows taller than 4rem
LINE = 14 * 1.4         # a wrapped line: 14 px text

CLIPPED_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const out = [];
  for (const el of main.querySelectorAll('*')) {
    if (el.closest('[data-testid="stDataFrame"], .js-plotly-plot, [data-testid="stExpanderDetails"] [hidden], svg')) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden' || cs.display === 'none' || !el.offsetParent) continue;
    const hides = ['hidden', 'clip'].includes(cs.overflowX) || cs.textOverflow === 'ellipsis';
    if (!hides || !el.clientWidth) continue;
    if (el.scrollWidth < el.clientWidth) continue;
    // scrollWidth and clientWidth are whole pixels: an ellipsis is drawn for a fraction of one. Measure the content
    // itself (a Range over it) against the box inside its padding.
    const box = el.getBoundingClientRect();
    const pad = parseFloat(cs.paddingLeft) + parseFloat(cs.paddingRight) + parseFloat(cs.borderLeftWidth) + parseFloat(cs.borderRightWidth);
    const range = document.createRange();
    range.selectNodeContents(el);
    const content = range.getBoundingClientRect().width;
    if (el.scrollWidth > el.clientWidth + 1 || content > box.width - pad + 0.25) {
      out.push({tag: el.tagName, testid: (el.closest('[data-testid]') || {}).dataset?.testid || '',
                text: (el.innerText || '').trim().slice(0, 80), scroll: Math.round(content * 10) / 10,
                client: Math.round((box.width - pad) * 10) / 10});
    }
  }
  return out.filter(o => o.text);
}"""

# A table of a few columns that scrolls sideways cuts its last column at the edge of the box (the Pupil page's profile:
# 'Speech, language and communic'): it has room to show them all. (A wide register may scroll: it has many columns.)
SIDEWAYS_JS = """() => [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stDataFrame"]')]
  .filter(d => d.offsetParent)
  .map(d => ({scroller: d.querySelector('.dvn-scroller'), cols: d.querySelectorAll('thead th').length,
              heads: [...d.querySelectorAll('thead th')].map(t => t.innerText).join(' | ')}))
  .filter(t => t.scroller && t.cols <= 4 && t.scroller.scrollWidth > t.scroller.clientWidth + 1)
  .map(t => `a ${t.cols}-column table (${t.heads}) scrolls sideways: ${t.scroller.scrollWidth} px in ${t.scroller.clientWidth} px`)"""

TABLES_JS = """() => [...document.querySelectorAll('[data-testid="stMain"] [data-testid="stDataFrame"]')]
  .filter(d => d.offsetParent && d.querySelector('.dvn-scroller'))
  .map(d => { const s = d.querySelector('.dvn-scroller');
              return {heads: [...d.querySelectorAll('thead th')].map(t => t.innerText), scroll: s.scrollWidth,
                      client: s.clientWidth}; })"""

MEASURE_JS = """([texts, bold]) => {
  const grid = document.querySelector('[data-testid="stDataFrame"]') || document.body;
  const family = getComputedStyle(grid).fontFamily;
  const c = document.createElement('canvas').getContext('2d');
  c.font = (bold ? '600 ' : '400 ') + '14px ' + family;
  return texts.map(t => c.measureText(t).width);
}"""


@pytest.fixture(scope="module")
def sparse_db(tmp_path_factory) -> Path:
    """The register for the page runs read with AppTest (the served copy is locked by the app)."""
    return make_db(tmp_path_factory.mktemp("sparse-browser") / "sparse.duckdb", 20)


@pytest.fixture(scope="module")
def ehc_key(sparse_db) -> str:
    return _ehc_pupil(sparse_db)


@pytest.fixture(scope="module")
def sparse_app(sparse_db, ehc_key) -> Iterator[RunningApp]:
    if not chromium_available():
        pytest.skip("no chromium")
    served = sparse_db.with_name("served.duckdb")
    if APP_ROOT == ROOT:
        shutil.copy(sparse_db, served)
    else:  # another checkout (to see the checks fail on it) reads only its own schema: import with its own importer
        subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; from tests.sparse_corpus import make_db; "
                        "make_db(Path(sys.argv[1]), 20)", str(served)], cwd=APP_ROOT, check=True,
                       env={**os.environ, "PYTHONPATH": str(APP_ROOT)})
    with running_app(served, root=APP_ROOT) as app:
        yield app


def _ehc_pupil(db: Path) -> str:
    con = store.connect(db)
    try:
        setting, pid = con.execute("SELECT setting, pupil_id FROM pupils WHERE sen_status = 'E' ORDER BY 2 LIMIT 1").fetchone()
    finally:
        con.close()
    return pupil.pupil_key(setting, pid)


def _tables(db: Path, page: str, key: str | None, monkeypatch) -> list[tuple[dict, int | None, pd.DataFrame]]:
    """The page's st.dataframe calls as its run made them: column settings, row height, values."""
    monkeypatch.setenv("SENLIB_DB", str(db))
    import ui.state

    ui.state.connection.clear()
    at = AppTest.from_file(str(APP_ROOT / "app.py"), default_timeout=120)
    at.session_state["as_of"] = AS_OF
    at.run()
    at.switch_page(page)
    if key:
        at.query_params[pupil.QUERY_PARAM] = key
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    out = []
    for d in at.dataframe:
        cols = json.loads(d.proto.columns or "{}")
        out.append((cols, d.proto.row_height if d.proto.HasField("row_height") else None, d.value))
    return out


def _lines(words: list[float], space: float, room: float) -> int:
    n, line = 1, 0.0
    for w in words:
        if line and line + space + w > room:
            n, line = n + 1, w
        else:
            line = line + space + w if line else w
    return n


def _squeezed(browser_page, tables) -> list[str]:
    """A table that does not scroll sideways has all its columns inside its box: if what they need (a set width, or
    for a column sizing itself its longest value, at most 500 px) adds up to more than the box, the grid has narrowed
    some below their content and cut it (the Pupil page's profile in a narrow column: 'Speech, language and communic…').
    Columns whose values are not text count their heading only: the sum is a lower bound, so this never cries wolf."""
    problems = []
    for dom in browser_page.evaluate(TABLES_JS):
        if dom["scroll"] > dom["client"] + 1:
            continue
        for cols, _, frame in tables:
            shown = [c for c in frame.columns if not cols.get(str(c), {}).get("hidden")]
            labels = [cols.get(str(c), {}).get("label", str(c)) for c in shown]
            if [h.strip() for h in dom["heads"]] != [lab.strip() for lab in labels]:
                continue
            need = 0.0
            for c, label in zip(shown, labels, strict=True):
                conf = cols.get(str(c), {})
                width = conf.get("width")
                if width is not None:
                    need += PRESETS.get(width, width)
                    continue
                texts = [label] + ([str(v) for v in frame[c] if isinstance(v, str)][:200])
                widths = browser_page.evaluate(MEASURE_JS, [texts, False])
                need += min(AUTO_MAX, max(widths) + 2 * CELL_PAD)
            if need > dom["client"] + 2:
                problems.append(f"table ({' | '.join(labels)}) needs {need:.0f} px, has {dom['client']} px and does not "
                                "scroll: the grid narrowed a column below its content")
            break
    return problems


def _cut_cells(browser_page, tables) -> list[str]:
    """Each text column whose longest value or heading does not fit its width (on the lines its rows allow)."""
    problems = []
    for cols, row_height, frame in tables:
        lines_allowed = max(1, int((row_height - 6) // LINE)) if row_height and row_height > WRAP_ABOVE else 1
        for name in frame.columns:
            conf = cols.get(str(name), {})
            kind = (conf.get("type_config") or {}).get("type")
            if conf.get("hidden") or kind not in (None, "text") or not (frame[name].dtype == object or
                                                                       str(frame[name].dtype) in ("string", "str")):
                continue
            values = [str(v) for v in frame[name] if isinstance(v, str) and v.strip()]
            label = conf.get("label", str(name))
            width = conf.get("width")
            width = PRESETS.get(width, width) if width is not None else None
            heading = browser_page.evaluate(MEASURE_JS, [[label], True])[0] + 2 * CELL_PAD
            if width is not None and heading > width + 1:
                problems.append(f"heading {label!r} needs {heading:.0f} px, column is {width} px")
            if not values:
                continue
            longest = max(values, key=len)
            candidates = sorted(set(values), key=len)[-12:]  # the longest few by characters, measured for real
            measured = browser_page.evaluate(MEASURE_JS, [candidates, False])
            widest = max(measured) + 2 * CELL_PAD
            box = width if width is not None else AUTO_MAX
            if widest <= box + 1:
                continue
            if lines_allowed > 1:
                space = browser_page.evaluate(MEASURE_JS, [[" "], False])[0]
                worst = 1
                for text in candidates:
                    words = browser_page.evaluate(MEASURE_JS, [text.split(" "), False])
                    worst = max(worst, _lines(words, space, box - 2 * CELL_PAD))
                if worst <= lines_allowed:
                    continue
                problems.append(f"{label!r}: {longest[:60]!r}… needs {worst} lines at {box} px, rows give {lines_allowed}")
            else:
                problems.append(f"{label!r}: {longest[:60]!r}… is {widest:.0f} px wide, its column {box} px (cut off)")
    return problems


@pytest.fixture(scope="module")
def sparse_page(sparse_app, browser):
    """A page in the session's browser (a second sync_playwright in one process fails under pytest-xdist)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB")
    pg = context.new_page()
    pg.goto(sparse_app.url)
    wait_for_app(pg)
    yield pg
    context.close()


def _check_page(pg, app, db, name, key, shot, monkeypatch) -> None:
    path = f"pupil?{pupil.QUERY_PARAM}={quote(key, safe='')}" if key else name
    pg.goto(app.page_url(path))
    wait_for_app(pg)
    pg.wait_for_timeout(800)
    assert screenshot(pg, shot).is_file()
    assert not pg.locator('[data-testid="stException"]').count(), "the page failed"
    clipped = pg.evaluate(CLIPPED_JS)
    tables = _tables(db, PAGES[name], key, monkeypatch)
    cut = pg.evaluate(SIDEWAYS_JS) + _squeezed(pg, tables) + _cut_cells(pg, tables)
    assert not clipped and not cut, "\n".join([*(f"{c['testid']} <{c['tag']}> {c['text']!r}: {c['scroll']} px in "
                                                 f"{c['client']} px" for c in clipped), *cut])


@pytest.mark.parametrize("name", list(PAGES))
def test_sparse_page_nothing_clipped(name, sparse_page, sparse_app, sparse_db, ehc_key, monkeypatch):
    _check_page(sparse_page, sparse_app, sparse_db, name, ehc_key if name == "pupil" else None,
                f"sparse-{name}" + ("" if APP_ROOT == ROOT else "-other-root"), monkeypatch)


# The demo fills what the sparse register leaves empty (key workers, councils, escalations, outcomes and scores).
DEMO_PAGES = ["overview", "caseload", "upcoming", "escalations", "progress", "pupil", "compliance"]


@pytest.fixture(scope="module")
def demo_served(demo_db_template, tmp_path_factory) -> Iterator[tuple[RunningApp, Path, str]]:
    if not chromium_available() or APP_ROOT != ROOT:
        pytest.skip("no chromium" if not chromium_available() else "the demo runs on this checkout only")
    folder = tmp_path_factory.mktemp("demo-clip")
    read, served = folder / "read.duckdb", folder / "served.duckdb"
    shutil.copy(demo_db_template, read)
    shutil.copy(demo_db_template, served)
    con = store.connect(read)
    try:  # an EHC plan pupil with outcomes scored: the Pupil page with every part drawn
        setting, pid = con.execute(
            """SELECT p.setting, p.pupil_id FROM pupils p JOIN outcomes o USING (setting, pupil_id)
               JOIN scores s USING (setting, pupil_id, outcome_id) WHERE p.sen_status = 'E'
               GROUP BY ALL ORDER BY count(*) DESC, 2 LIMIT 1""").fetchone()
    finally:
        con.close()
    with running_app(served) as app:
        yield app, read, pupil.pupil_key(setting, pid)


@pytest.mark.parametrize("name", DEMO_PAGES)
def test_demo_page_nothing_clipped(name, demo_served, sparse_page, monkeypatch):
    app, db, key = demo_served
    sparse_page.goto(app.url)
    wait_for_app(sparse_page)
    _check_page(sparse_page, app, db, name, key if name == "pupil" else None, f"demo-clip-{name}", monkeypatch)


def test_the_checks_see_a_cut(sparse_page):
    """The measurement itself: a 600 px sentence in a 400 px column at one line is cut; at three lines it fits."""
    text = "EHCP: no review and no issue date recorded, so the annual review cannot be shown to be on time"
    frame = pd.DataFrame({"fix": [text]})
    assert _cut_cells(sparse_page, [({"fix": {"label": "What to record", "width": "large"}}, 35, frame)])
    assert not _cut_cells(sparse_page, [({"fix": {"label": "What to record", "width": "large"}}, 80, frame)])
    assert math.isfinite(sparse_page.evaluate(MEASURE_JS, [[text], False])[0])


def test_layout_widths_are_at_least_the_real_ones(sparse_page):
    """senlib.render.layout fits the columns from a table of character widths: never narrower than the browser draws them."""
    from senlib.core import names
    from senlib.render import layout

    texts = [*names.NEEDS.values(), "Quartermaine, Evie", "Send invitations and the current plan", "Date of the next review agreed",
             "EHCP: no review and no issue date recorded, so the annual review cannot be shown to be on time",
             "Wójcik, Nia", "O'Sullivan-Ní Bhriain, Siobhán", "12/01/2027", "Mrs Gill", "Riverside Academy"]
    real = sparse_page.evaluate(MEASURE_JS, [texts, False])
    bold = sparse_page.evaluate(MEASURE_JS, [texts, True])
    for text, r, b in zip(texts, real, bold, strict=True):
        assert layout.text_px(text) >= r - 0.5, (text, layout.text_px(text), r)
        assert layout.text_px(text, bold=True) >= b - 0.5, (text, layout.text_px(text, bold=True), b)
