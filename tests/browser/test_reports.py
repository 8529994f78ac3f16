"""The leaders' Compliance page and the governors' report in a real browser: charts drawn, the governors'
PDF downloaded and read back; screenshots saved in tests/artifacts/."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from .harness import ARTIFACTS, screenshot, wait_for_app

pytestmark = pytest.mark.browser


def _open(page, app, path: str) -> None:
    """Open a page of the app. The home page first: a server's very first run decides the navigation."""
    page.goto(app.url)
    wait_for_app(page)
    page.goto(app.page_url(path))
    wait_for_app(page, timeout=180_000)


def test_compliance_page(page, demo_app):
    _open(page, demo_app, "compliance")
    page.get_by_role("heading", name="Review compliance").wait_for()
    page.get_by_role("heading", name="Over the last 12 months").wait_for(timeout=180_000)
    page.locator(".js-plotly-plot g.heatmaplayer").first.wait_for(timeout=120_000)
    page.locator(".js-plotly-plot g.scatterlayer path.js-line").first.wait_for(timeout=120_000)  # the trend line
    assert page.locator('[data-testid="stMetric"]').count() == 6  # on time, overdue, no review date, due soon, held, required
    assert page.locator(".js-plotly-plot").count() >= 4
    screenshot(page, "compliance")
    assert page.external_requests == []


def test_governors_report_and_pdf(page, demo_app, tmp_path):
    _open(page, demo_app, "governors")
    page.get_by_role("heading", name="Governors' report").wait_for()
    page.get_by_role("heading", name="Compared with a year ago").wait_for()
    page.locator(".js-plotly-plot g.barlayer").first.wait_for(timeout=120_000)
    screenshot(page, "governors")
    with page.expect_download(timeout=180_000) as info:
        page.get_by_role("button", name="Download PDF").click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    data = target.read_bytes()
    assert target.suffix == ".pdf" and data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "SEN report for governors" in text and "fewer than 5" in text
    assert sum(len(p.images) for p in reader.pages) >= 4  # the charts are in the PDF
    (ARTIFACTS / "governors-report.pdf").write_bytes(data)  # kept with the screenshots, to look at
    assert page.external_requests == []
