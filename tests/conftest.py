"""Shared fixtures: a demo database on a fixed date, built once per test session."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from senlib import store
from senlib.store import demo

AS_OF = date(2026, 11, 23)


@pytest.fixture(scope="session")
def demo_db_template(tmp_path_factory) -> Path:
    """A demo caseload written once; tests copy it rather than regenerate it."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    con = store.connect(path)
    demo.generate(con, settings=3, pupils=1500, seed=2026, as_of=AS_OF)
    con.execute("CHECKPOINT")
    con.close()
    return path


@pytest.fixture
def demo_db(demo_db_template, tmp_path) -> Path:
    """A private copy of the demo database a test may change."""
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_db_template, path)
    return path


@pytest.fixture
def demo_con(demo_db):
    con = store.connect(demo_db)
    yield con
    con.close()


@pytest.fixture
def empty_db(tmp_path) -> Path:
    return tmp_path / "empty.duckdb"


@pytest.fixture
def downloads(monkeypatch) -> dict:
    """file name -> the callable a download button hands its file out from (Streamlit runs it on click; tests call it)."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    got: dict = {}
    original = MediaFileManager.add_deferred

    def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        got[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name=file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return got
