"""AppTest smoke tests: every page renders without an exception or an error message, with data and when empty."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from senlib.access import TRUSTED
from ui.nav import PAGES as SPECS

ROOT = Path(__file__).resolve().parent.parent

PAGES = [p.path for p in SPECS]


def _app(db, monkeypatch) -> AppTest:
    monkeypatch.setenv("SENLIB_DB", str(db))
    import ui.state

    ui.state.connection.clear()
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_demo_data(demo_db, monkeypatch, page):
    at = _app(demo_db, monkeypatch)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]  # good data: nothing on the page may read as a failure


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_empty_database(empty_db, monkeypatch, page):
    at = _app(empty_db, monkeypatch)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]  # an empty database is a state to explain, not an error


def test_overview_counts(demo_db, monkeypatch):
    at = _app(demo_db, monkeypatch)
    at.run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Pupils on roll"] != "0"
    assert int(metrics["EHC plans (E)"].replace(",", "")) > 0
    # it leads with what needs doing, with the Caseload's own figures
    assert [s.value for s in at.subheader][:2] == ["Needs doing", "The caseload"]
    import ui.state
    from senlib import rules
    from senlib.views import caseload

    status = rules.pupil_status(ui.state.connection().cursor(), date.today(), viewer=TRUSTED)  # the app's own connection
    n = caseload.counts(caseload.build(status[caseload.on_register(status)]))
    from senlib.render.charts import status_word

    assert int(metrics[status_word("overdue")].replace(",", "")) == n["overdue"] and int(metrics["With a flag"].replace(",", "")) == n["flagged"]
    assert any(f"The Caseload lists the {n['pupils']:,} pupils" in c.value for c in at.caption)


def test_overview_empty_state_says_what_to_do(empty_db, monkeypatch):
    at = _app(empty_db, monkeypatch)
    at.run()
    assert any("no pupils" in i.value.lower() for i in at.info)


@pytest.fixture(scope="module")
def tracker_db(tmp_path_factory) -> Path:
    """A database holding nothing but a messy one-row-per-pupil tracker, imported."""
    from senlib import store
    from senlib.importer import import_files
    from tests.import_corpus import AS_OF, messy_tracker

    path = tmp_path_factory.mktemp("tracker") / "tracker.duckdb"
    con = store.connect(path)
    import_files(con, [("caseload.xlsx", messy_tracker())], setting="Oakfield Primary School", today=AS_OF)
    con.close()
    return path


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_an_imported_tracker(tracker_db, monkeypatch, page):
    at = _app(tracker_db, monkeypatch)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def test_pupil_page_shows_the_trackers_own_columns(tracker_db, monkeypatch):
    from senlib.views import pupil

    at = _app(tracker_db, monkeypatch)
    at.run()
    at.switch_page("pages/pupil.py")
    at.query_params[pupil.QUERY_PARAM] = pupil.pupil_key("Oakfield Primary School", "A100000000001")
    at.run()
    assert not at.exception, at.exception
    headings = [h.value for kind in ("title", "header", "subheader") for h in at.get(kind)]
    assert any("John Smith" in h for h in headings), headings
    other = at.dataframe[-1].value
    assert dict(zip(other["column"], other["value"], strict=True)).get("Favourite activity") == "Lego"


def test_session_state_keys_are_spelled_once_in_ui_state():
    """Every session-state and widget key is a name from ui/state.py: no page or helper spells one itself."""
    import re

    root = Path(__file__).resolve().parent.parent
    literal = re.compile(r"""session_state(\[|\.get\(|\.pop\(|\.setdefault\()\s*["']|\bkey=["'][^"']+["']""")
    found = [f"{p.relative_to(root)}:{n}: {line.strip()}" for p in [*root.glob("pages/*.py"), *root.glob("ui/*.py"),
                                                                    root / "app.py"]
             if p.name != "state.py" for n, line in enumerate(p.read_text().splitlines(), 1) if literal.search(line)]
    assert found == []


def test_pages_are_named_once_in_ui_nav():
    """A page's file path is spelled only in ui/nav.py; links and switches use its name there (nav.PUPIL, ...)."""
    import re

    from ui import nav

    root = Path(__file__).resolve().parent.parent
    spelled = [f"{p.relative_to(root)}:{n}" for p in [*root.glob("pages/*.py"), *root.glob("ui/*.py"), root / "app.py"]
               if p.name != "nav.py" for n, line in enumerate(p.read_text().splitlines(), 1)
               if re.search(r"""["']pages/\w+\.py["']""", line)]
    assert spelled == []
    assert sorted(s.path for s in nav.PAGES) == sorted(str(p.relative_to(root)) for p in root.glob("pages/*.py"))
