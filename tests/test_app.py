"""AppTest smoke tests: every page renders without an exception, with data and when empty."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

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


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_empty_database(empty_db, monkeypatch, page):
    at = _app(empty_db, monkeypatch)
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception


def test_overview_counts(demo_db, monkeypatch):
    at = _app(demo_db, monkeypatch)
    at.run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Pupils on roll"] != "0"
    assert int(metrics["EHC plans (E)"].replace(",", "")) > 0


def test_overview_empty_state_says_what_to_do(empty_db, monkeypatch):
    at = _app(empty_db, monkeypatch)
    at.run()
    assert any("no pupils" in i.value.lower() for i in at.info)
