"""Nightly backups in a real browser: a failed run shown with what to do, then 'Run a backup now' works; screenshots."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta

import pytest

from senlib import store
from senlib.access import local_viewer
from senlib.store import backup_schedule

from .harness import running_app, screenshot, wait_for_app

pytestmark = pytest.mark.browser


def test_backup_page_shows_a_failure_then_runs_a_backup(browser, demo_db_template, tmp_path):
    db = tmp_path / "demo.duckdb"
    shutil.copy(demo_db_template, db)
    folder = tmp_path / "usb-drive"
    con = store.connect(db)
    backup_schedule.save(con, local_viewer(), enabled=True, folder=str(folder), keep=7)
    backup_schedule.run_now(con, local_viewer(), now=datetime.now() - timedelta(days=1))
    shutil.rmtree(folder)  # the drive was unplugged last night
    assert backup_schedule.run_now(con, local_viewer()).error  # recorded now: the app's thread waits an hour to retry
    con.close()

    with running_app(db) as app:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB")
        page = context.new_page()
        try:
            page.goto(app.url)
            wait_for_app(page)
            alert = page.get_by_text("The last nightly backup")
            assert alert.is_visible() and "not there" in alert.inner_text()
            page.locator('[data-testid="stMetric"]').nth(2).wait_for()
            screenshot(page, "overview-backup-failed", full_page=False)
            page.goto(app.page_url("backup"))
            wait_for_app(page)
            page.get_by_role("heading", name="Nightly backups").wait_for()
            failure = page.locator('[data-testid="stAlertContentError"]').first
            assert "did not work" in failure.inner_text() and "How to fix" in failure.inner_text()
            assert page.get_by_text("The folder cannot be found just now.").is_visible()
            screenshot(page, "backup-failed")

            folder.mkdir()  # the drive is back
            page.get_by_role("button", name="Run a backup now").click()
            page.locator('[data-testid="stAlertContentSuccess"]').filter(has_text="The last backup was made").wait_for(timeout=60_000)
            wait_for_app(page)
            assert not page.locator('[data-testid="stAlertContentError"]').count()
            assert len(backup_schedule.ours(folder)) == 1
            screenshot(page, "backup-nightly")
        finally:
            context.close()
