"""The Upload page with a school's provision trackers (issue 16), on top of the 20-pupil sparse register: the one row
per pupil per intervention layout and the grid each preview as provision, import, re-import without change and undo,
and hold the same rows as the command line's import of the same file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from senlib import store
from senlib.cli import main
from tests import provision_corpus as pc
from tests import sparse_corpus

ROOT = Path(__file__).resolve().parent.parent
PLACES_SQL = ("SELECT pupil_id, provision_id, start_date, end_date, entry_score, exit_score, sessions_attended, "
              "sessions_planned FROM pupil_provisions ORDER BY ALL")
PROVISIONS_SQL = ("SELECT provision_id, name, delivered_by, sessions_per_week, minutes_per_session, fixed_cost "
                  "FROM provisions ORDER BY ALL")


@pytest.fixture()
def register_db(tmp_path_factory, tmp_path) -> Path:
    base = tmp_path_factory.getbasetemp() / "provision-upload-register.duckdb"
    if not base.exists():
        sparse_corpus.make_db(base)
    path = tmp_path / "school.duckdb"
    shutil.copy(base, path)
    return path


def _app(db: Path, monkeypatch) -> AppTest:
    monkeypatch.setenv("SENLIB_DB", str(db))
    import ui.state

    ui.state.connection.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/upload.py").run()
    assert not at.exception, at.exception
    return at


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _rows(sql: str) -> list[tuple]:
    import ui.state

    return ui.state.connection().cursor().execute(sql).fetchall()


def _upload(at: AppTest, name: str, data: bytes) -> None:
    at.file_uploader[0].set_value((name, data, "application/octet-stream")).run()
    assert not at.exception, at.exception
    if at.text_input and not at.text_input[0].value:
        at.text_input[0].set_value(pc.SETTING).run()


def _texts(at: AppTest) -> str:
    return "\n".join(x.value.replace("\\", "") for kind in ("info", "caption", "markdown", "success", "warning")
                     for x in getattr(at, kind))


@pytest.mark.parametrize("layout", ["row_per_place", "grid"])
def test_each_layout_previews_imports_reimports_unchanged_and_undoes(layout, register_db, monkeypatch, tmp_path):
    data = getattr(pc, layout)()
    cli_db = tmp_path / "cli.duckdb"
    shutil.copy(register_db, cli_db)
    at = _app(register_db, monkeypatch)
    _upload(at, f"{layout}.xlsx", data)
    shown = _texts(at)
    said = {"row_per_place": ["Read as a provision map with a row per pupil per intervention", "this is not a review log"],
            "grid": ["Provision map grid: 5 intervention columns", "Read as a list of interventions"]}[layout]
    assert all(words in shown for words in said), shown[:2000]
    _button(at, "Import").click().run()
    assert not at.exception, at.exception
    assert any("Imported as import" in s.value for s in at.success), [e.value for e in at.error]
    places, provisions = _rows(PLACES_SQL), _rows(PROVISIONS_SQL)
    assert places and provisions

    # the command line's import of the same file holds the same rows
    (tmp_path / f"{layout}.xlsx").write_bytes(data)
    assert main(["import", str(tmp_path / f"{layout}.xlsx"), "--db", str(cli_db), "--setting", pc.SETTING, "--yes"]) == 0
    cli = store.connect(cli_db)
    try:
        assert cli.execute(PROVISIONS_SQL).fetchall() == provisions
        assert [r[:2] for r in cli.execute(PLACES_SQL).fetchall()] == [r[:2] for r in places]
    finally:
        cli.close()

    # the same file again changes nothing
    at = _app(register_db, monkeypatch)
    _upload(at, f"{layout}.xlsx", data)
    _button(at, "Import").click().run()
    assert not at.exception, at.exception
    assert _rows(PLACES_SQL) == places and _rows(PROVISIONS_SQL) == provisions
    assert _rows("SELECT count(*) FROM import_row_changes WHERE import_id = (SELECT max(import_id) FROM imports)") == [(0,)]

    # undo the first provision import from the history tab (the re-import first, which built on it)
    for _ in range(2):
        _button(at, "Undo this import").click().run()
        yes = next(b for b in at.button if b.label.startswith("Yes, undo import"))
        yes.click().run()
        assert not at.exception, at.exception
    assert _rows("SELECT count(*) FROM pupil_provisions") == [(0,)]
    assert _rows("SELECT count(*) FROM provisions") == [(0,)]
    assert _rows("SELECT count(*) FROM pupils") == [(20,)]
