"""Hostile uploads in a real browser (issue 12): a file that aborts the spreadsheet reader, one that panics it
and one far too large are each refused on the Upload page with their message, and the server keeps serving."""

from __future__ import annotations

import urllib.request

import pytest

from tests.import_corpus import huge_dimension_xlsx, simple_rows, truncated, xls, xlsx

from .harness import running_app, screenshot, wait_for_app

pytestmark = pytest.mark.browser

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload(page, name: str, data: bytes) -> str:
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": name, "mimeType": XLSX, "buffer": data}])
    page.locator('[data-testid="stAlertContentError"], h3:has-text("Preview")').first.wait_for(timeout=90_000)
    wait_for_app(page)
    return page.locator('[data-testid="stMain"]').inner_text()


def _healthy(url: str) -> bool:
    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=10) as resp:
        return resp.status == 200 and resp.read().strip() == b"ok"


def test_hostile_uploads_are_refused_and_the_server_keeps_serving(browser, tmp_path):
    db = tmp_path / "school.duckdb"
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB")
    page = context.new_page()
    try:
        with running_app(db) as app:
            page.goto(app.url)
            wait_for_app(page)
            page.goto(app.page_url("upload"))
            wait_for_app(page)

            # One value in cell XFD1048576 and no declared size: in the server's own process this aborted it.
            text = _upload(page, "tracker.xlsx", huge_dimension_xlsx(declared=False))
            assert "more memory than any tracker" in text and "Nothing was written" in text and "Ctrl+End" in text
            screenshot(page, "upload-hostile-huge")
            assert app.process.poll() is None and _healthy(app.url)

            page.reload()
            wait_for_app(page)
            text = _upload(page, "tracker.xlsx", huge_dimension_xlsx(declared=True))
            assert "reaches cell XFD1048576" in text

            page.reload()
            wait_for_app(page)
            text = _upload(page, "old-tracker.xls", truncated(xls(simple_rows()), 0.99))  # panicked the reader
            assert "damaged" in text

            # The same server still serves a good file to the same session.
            page.reload()
            wait_for_app(page)
            text = _upload(page, "good.xlsx", xlsx({"Register": simple_rows()}))
            assert "Preview" in text
            assert app.process.poll() is None and _healthy(app.url)
        assert "Traceback" not in app.log.read_text(errors="replace")
    finally:
        context.close()
