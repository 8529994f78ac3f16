"""The governors' report of a 20-pupil school with a sparse tracker, in a real browser (issue 14, item 2): every tile
reads in full (no 'fewer th…'), no text is clipped, charts mark what they cannot draw, and the PDF has the report."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests import sparse_corpus

from .harness import ARTIFACTS, chromium_available, running_app, screenshot, wait_for_app

# Visible text whose content is wider than its box: a tile's value, a caption, a table cell of st.table/markdown.
CLIPPED = """() => [...document.querySelectorAll('[data-testid="stMarkdownContainer"] p, [data-testid="stCaptionContainer"], ' +
    '[data-testid="stMarkdownContainer"] td, [data-testid="stExpander"] summary, [data-testid="stMetricValue"] div, ' +
    '[data-testid="stMetricLabel"] p')]
    .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
    .map(e => e.innerText.slice(0, 80))"""


@pytest.fixture(scope="module")
def small_app(tmp_path_factory):
    if not chromium_available():
        pytest.skip("chromium not installed")
    db = sparse_corpus.make_db(tmp_path_factory.mktemp("gov20") / "s20.duckdb", 20)
    with running_app(db) as app:
        yield app


def test_the_report_of_a_20_pupil_school_reads_in_full(browser, small_app, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    try:
        page.goto(small_app.url)
        wait_for_app(page)
        page.goto(small_app.page_url("governors"))
        wait_for_app(page, timeout=180_000)
        page.get_by_role("heading", name="Compared with a year ago").wait_for(timeout=120_000)
        page.locator(".js-plotly-plot g.barlayer").first.wait_for(timeout=120_000)
        page.wait_for_timeout(1500)
        screenshot(page, "governors-20-pupils")
        body = page.inner_text("body")
        for words in ("Fewer than 5", "75% or more", "Not tracked", "nothing from last year to compare with",
                      "Communication and interaction"):
            assert words in body, words
        assert "…" not in body
        assert page.evaluate(CLIPPED) == []
        # The register chart marks the small groups it leaves out instead of drawing empty rows.
        assert page.locator(".js-plotly-plot").first.get_by_text("fewer than 5").count() >= 1
        with page.expect_download(timeout=180_000) as info:
            page.get_by_role("button", name="Download PDF").click()
        data = (tmp_path / "r.pdf")
        info.value.save_as(data)
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data.read_bytes())).pages)
        assert "75% or more" in text and "Sensory and/or physical" in text
        for first in sparse_corpus.FIRST[:20]:
            assert first not in text
        (ARTIFACTS / "governors-20-pupils.pdf").write_bytes(data.read_bytes())
    finally:
        context.close()
