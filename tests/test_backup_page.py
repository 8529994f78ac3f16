"""AppTest of the Backup page's nightly backups and the Overview's warning: last run, a failure and what to do, saving."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from senlib import store
from senlib.access import local_viewer
from senlib.core.text import WORD_JOINER
from senlib.store import backup, backup_schedule
from ui.state import BACKUP_ENABLED, BACKUP_FOLDER, BACKUP_HOUR, BACKUP_KEEP, BACKUP_RUN_NOW

ROOT = Path(__file__).resolve().parent.parent
SENCO = local_viewer()
START = backup_schedule.start


@pytest.fixture(autouse=True)
def no_scheduler_thread(monkeypatch):
    """The page is tested on its own: no background run may change what it shows half way through."""
    backup_schedule.stop()
    monkeypatch.setattr(backup_schedule, "start", lambda con, **kwargs: None)


def _app(db, monkeypatch, page: str = "pages/backup.py") -> AppTest:
    monkeypatch.setenv("SENLIB_DB", str(db))
    import ui.state

    ui.state.connection.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    if page != "pages/overview.py":
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def _plain(markdown: str) -> str:
    """What the reader sees of escaped Markdown."""
    return markdown.replace("\\", "").replace(WORD_JOINER, "")


def _texts(elements) -> list[str]:
    return [_plain(e.value) for e in elements]


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_the_page_shows_the_last_backup_and_the_kept_files(demo_db, tmp_path, monkeypatch):
    folder = tmp_path / "nightly"
    con = store.connect(demo_db)
    backup_schedule.save(con, SENCO, enabled=True, folder=str(folder), keep=3, hour=2)
    run = backup_schedule.run_now(con, SENCO, now=datetime(2026, 11, 23, 2, 0))
    (folder / "notes.txt").write_text("not ours")
    con.close()

    at = _app(demo_db, monkeypatch)
    assert "Nightly backups" in [s.value for s in at.subheader]
    done = " ".join(_texts(at.success))
    assert "The last backup was made on 23/11/2026 at 02:00: sen-caseload-backup-2026-11-23-0200.duckdb" in done
    assert backup_schedule.human_size(run.bytes) in done and str(folder) in done
    assert not at.error
    assert any("Nightly backups are on; the next one is at 02:00" in c for c in _texts(at.caption))
    kept = at.dataframe[0].value
    assert list(kept["File"]) == ["sen-caseload-backup-2026-11-23-0200.duckdb"]  # the foreign file is not listed
    assert at.toggle(key=BACKUP_ENABLED).value is True
    assert at.text_input(key=BACKUP_FOLDER).value == str(folder)
    assert at.number_input(key=BACKUP_KEEP).value == 3 and at.selectbox(key=BACKUP_HOUR).value == 2


def test_the_page_shows_a_failure_and_what_to_do_and_the_overview_warns(demo_db, tmp_path, monkeypatch):
    folder = tmp_path / "usb"
    con = store.connect(demo_db)
    backup_schedule.save(con, SENCO, enabled=True, folder=str(folder))
    assert backup_schedule.run_now(con, SENCO, now=datetime(2026, 11, 22, 9, 30)).error is None
    folder.rename(tmp_path / "elsewhere")  # the drive is unplugged
    failed = backup_schedule.tick(con, now=datetime(2026, 11, 23, 2, 0))
    con.close()
    assert failed is not None and failed.error

    at = _app(demo_db, monkeypatch)
    errors = _texts(at.error)
    assert len(errors) == 1
    assert "did not work" in errors[0] and "The backup folder is not there" in errors[0]
    assert "How to fix: Connect the drive it is on" in errors[0] and str(folder) in errors[0]
    assert "The last backup, started on 23/11/2026 at 02:00, did not work." in errors[0]
    assert any("The last backup that worked was made on 22/11/2026 at 09:30" in c for c in _texts(at.caption))

    overview = _app(demo_db, monkeypatch, "pages/overview.py")
    warnings = _texts(overview.warning)
    assert len(warnings) == 1 and "(23/11/2026 02:00) failed: The backup folder is not there" in warnings[0]


def test_no_warning_on_the_overview_when_nightly_backups_are_off(demo_db, monkeypatch):
    overview = _app(demo_db, monkeypatch, "pages/overview.py")
    assert not overview.warning
    at = _app(demo_db, monkeypatch)
    assert "No backup has been made here yet." in _texts(at.info)
    assert _button(at, "Run a backup now").disabled  # no folder saved yet


def test_saving_the_schedule_and_running_a_backup_now(demo_db, tmp_path, monkeypatch):
    at = _app(demo_db, monkeypatch)
    folder = tmp_path / "made-by-the-page"
    at.toggle(key=BACKUP_ENABLED).set_value(True)
    at.text_input(key=BACKUP_FOLDER).input(str(folder))
    at.number_input(key=BACKUP_KEEP).set_value(2)
    at.selectbox(key=BACKUP_HOUR).set_value(23)
    _button(at, "Save").click().run()
    assert not at.exception and not at.error
    assert any(s.startswith("Saved. Backups are made every night at 23:00") for s in _texts(at.success))
    assert folder.is_dir()

    for _ in range(3):
        at.button(key=BACKUP_RUN_NOW).click().run()
    assert not at.error
    assert len(at.dataframe[0].value) == 1  # same minute, same name: one file, replaced

    at.text_input(key=BACKUP_FOLDER).input("relative/folder")
    _button(at, "Save").click().run()
    assert any("must be written in full" in e and "How to fix" in e for e in _texts(at.error))

    import ui.state

    ui.state.connection.clear()
    con = store.connect(demo_db)
    plan = backup_schedule.schedule(con)
    assert (plan.enabled, plan.folder, plan.keep, plan.hour) == (True, str(folder), 2, 23)  # the refused change was not saved
    runs = backup_schedule.runs(con)
    con.close()
    assert [r.trigger for r in runs] == ["manual"] * 3 and all(r.error is None for r in runs)
    assert backup.check_backup(runs[0].file).pupils > 0


def test_the_dashboards_connection_starts_the_scheduler_once(demo_db, monkeypatch):
    import ui.state

    monkeypatch.setattr(backup_schedule, "start", START)
    try:
        _app(demo_db, monkeypatch)
        thread = backup_schedule._thread
        assert thread is not None and thread.is_alive() and backup_schedule._target() is ui.state.connection()
        _app(demo_db, monkeypatch)  # a new connection (the cache cleared) is served by the same thread
        assert backup_schedule._thread is thread and backup_schedule._target() is ui.state.connection()
    finally:
        backup_schedule.stop()
