"""The whole SENCo journey in a real browser, starting from an empty database: upload a tracker through the
file uploader, see its pupils on the Caseload page, open a pupil, see the scaling chart drawn, and download
the governors' PDF. Screenshots of each step are saved in tests/artifacts/."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfReader

from senlib import store
from senlib.access import TRUSTED
from senlib.importer import export_workbook
from senlib.store import demo

from .harness import ARTIFACTS, running_app, screenshot, wait_for_app

pytestmark = pytest.mark.browser

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def tracker(tmp_path_factory) -> tuple[bytes, dict]:
    """A small school's tracker in the template's layout, and one pupil in it with scored outcomes."""
    source = tmp_path_factory.mktemp("tracker") / "source.duckdb"
    con = store.connect(source)
    try:
        demo.generate(con, settings=1, pupils=120, seed=11, as_of=date.today())
        data = export_workbook(con, viewer=TRUSTED)
        setting, pid, first, last, pupils = con.execute(
            """SELECT p.setting, p.pupil_id, p.first_name, p.last_name, (SELECT count(*) FROM pupils)
               FROM pupils p JOIN scores s USING (setting, pupil_id)
               WHERE p.sen_status IN ('K', 'E') AND p.leaving_date IS NULL
               GROUP BY ALL HAVING count(*) >= 3 ORDER BY p.pupil_id LIMIT 1""").fetchone()
    finally:
        con.close()
    return data, {"setting": setting, "pupil_id": pid, "name": f"{first} {last}", "pupils": pupils}


def test_upload_then_caseload_pupil_chart_and_governors_pdf(browser, tracker, tmp_path):
    data, chosen = tracker
    db = tmp_path / "school.duckdb"          # does not exist yet: the app starts on an empty database
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB", accept_downloads=True)
    page = context.new_page()
    external: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:"))
            else external.append(r.url))
    try:
        with running_app(db) as app:
            page.goto(app.url)
            wait_for_app(page)
            page.goto(app.page_url("upload"))
            wait_for_app(page)
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
                files=[{"name": "our-sen-tracker.xlsx", "mimeType": XLSX, "buffer": data}])
            page.get_by_role("heading", name="Preview").wait_for(timeout=60_000)
            page.get_by_role("button", name="Import").click()
            page.get_by_text("Imported as import").wait_for(timeout=120_000)
            assert f"Pupils: {chosen['pupils']:,} added" in page.locator('[data-testid="stMain"]').inner_text()
            screenshot(page, "flow-1-upload")

            # The imported pupil is on the Caseload page: search by id, one row, open it.
            page.goto(app.page_url("caseload"))
            wait_for_app(page)
            page.get_by_placeholder("Type part of a name or an ID").fill(chosen["pupil_id"])
            page.keyboard.press("Enter")
            wait_for_app(page)
            shown = page.locator('[data-testid="stMetric"]').first
            page.wait_for_function("el => el.innerText.includes('\\n1')", arg=shown.element_handle(), timeout=30_000)
            screenshot(page, "flow-2-caseload")
            grid = page.locator('[data-testid="stDataFrame"]').first
            box = grid.bounding_box()
            page.mouse.click(box["x"] + 30, box["y"] + 35 + 17)   # the first row's Open button
            page.wait_for_url("**/pupil?pupil=*", timeout=30_000)
            wait_for_app(page)
            page.get_by_role("heading", name=chosen["name"]).wait_for()

            # Its scaling chart is drawn: a line of scores and the baseline and target lines.
            page.get_by_role("heading", name="Outcomes and progress scaling").wait_for()
            scaling = page.locator(".js-plotly-plot").filter(has_text="Target").first
            scaling.wait_for(timeout=60_000)
            scaling.scroll_into_view_if_needed()
            assert scaling.locator("g.scatterlayer path.js-line").count() >= 1
            assert scaling.locator("g.scatterlayer .point").count() >= 2
            screenshot(page, "flow-3-pupil")

            # The governors' PDF of the imported data downloads and parses.
            page.goto(app.page_url("governors"))
            wait_for_app(page)
            page.get_by_role("heading", name="Governors' report").wait_for()
            with page.expect_download(timeout=180_000) as info:
                page.get_by_role("button", name="Download PDF").click()
            pdf = info.value.path().read_bytes()
            assert pdf.startswith(b"%PDF")
            text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
            assert "SEN report for governors" in text and chosen["setting"] in text
            assert chosen["name"] not in text and chosen["pupil_id"] not in text
            (ARTIFACTS / "flow-4-governors.pdf").write_bytes(pdf)
    finally:
        context.close()
    assert external == []
