"""Issue 13's tracker shapes in a real browser: the Upload page's preview of a register with a column per term's
review, the statuses that register gives on the Caseload, and the scaling chart of a pupil whose scores came from
target columns (screenshots in tests/artifacts/)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.import_corpus import ipm_targets, term_register

from .harness import running_app, screenshot, wait_for_app

pytestmark = pytest.mark.browser

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _open(page, app, path: str) -> None:
    page.goto(app.url)
    wait_for_app(page)
    page.goto(app.page_url(path))
    wait_for_app(page)


def _upload(page, name: str, data: bytes) -> str:
    """Upload one file on the Upload page; the page's text once the preview is shown."""
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": name, "mimeType": XLSX, "buffer": data}])
    page.locator('h3:has-text("Preview")').wait_for(timeout=90_000)
    wait_for_app(page)
    return page.locator('[data-testid="stMain"]').inner_text()


def _import_as(page, setting: str) -> None:
    """Name a new setting and import, waiting for the import to finish."""
    page.get_by_label("Name of the new setting").fill(setting)
    page.get_by_label("Name of the new setting").press("Enter")
    wait_for_app(page)
    page.get_by_role("button", name="Import").click()
    page.get_by_text("Imported as import").wait_for(timeout=90_000)
    wait_for_app(page)


def test_term_columns_register_preview_import_and_statuses(browser, tmp_path):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB")
    page = context.new_page()
    try:
        with running_app(tmp_path / "brook.duckdb") as app:
            _open(page, app, "upload")
            text = _upload(page, "register.xlsx", term_register())
            assert "Review history: 2 columns ('Review 1 (Summer term)', 'Review 2 (Autumn term)')" in text
            screenshot(page, "upload-term-columns-preview")
            _import_as(page, "Brook Primary")

            _open(page, app, "caseload")
            page.locator('[data-testid="stMetric"]').first.wait_for()
            wait_for_app(page)
            text = page.locator('[data-testid="stMain"]').inner_text()
            assert "No review date" in text   # the metric (its label shortened to fit its tile)
            screenshot(page, "caseload-term-columns")
    finally:
        context.close()


def test_scaling_chart_of_scores_from_target_columns(browser, tmp_path):
    """IPM targets uploaded on the page, the two term columns given their dates there, then the pupil's charts."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB")
    page = context.new_page()
    try:
        with running_app(tmp_path / "ipm.duckdb") as app:
            _open(page, app, "upload")
            assert "Give the date the scores were given for T2 Autumn 1, T2 Autumn 2" in _upload(page, "ipm.xlsx", ipm_targets())
            for label, typed in (("T2 Autumn 1", "20102026"), ("T2 Autumn 2", "25112026")):
                page.get_by_role("spinbutton", name=f"day, {label}").click()
                page.keyboard.type(typed)
                page.get_by_text("When the scores were given").click()   # leave the box: the date is taken
                page.wait_for_timeout(500)
                wait_for_app(page)
            assert "Give the date" not in page.locator('[data-testid="stMain"]').inner_text()
            screenshot(page, "upload-ipm-score-dates")
            _import_as(page, "Brook Primary")

            page.goto(app.page_url("pupil") + "?pupil=" + quote("Brook Primary|U1"))
            wait_for_app(page)
            page.get_by_role("heading", name="Review status and flags").wait_for()
            page.locator('[data-testid="stPlotlyChart"]').first.wait_for(timeout=60_000)
            wait_for_app(page)
            text = page.locator('[data-testid="stMain"]').inner_text()
            assert "Target 1: Read 20 high-frequency words" in text and "Target 2: Sit at the table for 10 minutes" in text
            assert "Scaling score not risen" in text          # stalled_outcome fires on target 1 (4, then 4)
            screenshot(page, "pupil-scores-from-columns")
    finally:
        context.close()
