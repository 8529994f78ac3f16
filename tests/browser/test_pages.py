"""The app in a real browser: overview, a pupil's scaling charts drawn, the progress page; screenshots saved."""

from __future__ import annotations

from urllib.parse import quote, unquote

import duckdb
import pytest

from senlib.views import pupil

from .harness import screenshot, wait_for_app

pytestmark = pytest.mark.browser


def _scored_ehcp_pupil(demo_db_template) -> str:
    con = duckdb.connect(str(demo_db_template), read_only=True)
    try:
        setting, pid = con.execute(
            """SELECT o.setting, o.pupil_id FROM outcomes o JOIN scores s USING (setting, pupil_id, outcome_id)
               JOIN pupils p USING (setting, pupil_id) WHERE p.sen_status = 'E'
               GROUP BY ALL HAVING count(DISTINCT o.outcome_id) >= 3 AND count(*) >= 9 ORDER BY 1, 2 LIMIT 1""").fetchall()[0]
    finally:
        con.close()
    return pupil.pupil_key(setting, pid)


def test_overview_page(page, demo_app):
    page.goto(demo_app.url)
    wait_for_app(page)
    assert page.get_by_role("heading", name="SEN caseload overview").is_visible()
    page.locator(".js-plotly-plot .main-svg").first.wait_for()
    assert page.locator('[data-testid="stMetric"]').count() == 7   # 4 things to do, then on roll, K, E
    assert page.get_by_role("heading", name="Needs doing").is_visible()
    screenshot(page, "overview")
    assert page.external_requests == []


def test_pupil_page_draws_scaling_charts(page, demo_app, demo_db_template):
    key = _scored_ehcp_pupil(demo_db_template)
    page.goto(demo_app.url)  # the home page first: a server's very first run decides the navigation
    wait_for_app(page)
    page.goto(demo_app.page_url(f"pupil?{pupil.QUERY_PARAM}={quote(key, safe='')}"))
    wait_for_app(page)
    page.get_by_role("heading", name="Outcomes and progress scaling").wait_for()
    plots = page.locator(".js-plotly-plot")
    plots.nth(2).wait_for()
    assert plots.count() >= 4  # the timeline and one scaling chart per outcome
    # A scaling chart is drawn: an SVG with a line of scores and the baseline/target shapes.
    scaling = plots.filter(has_text="Target").first
    scaling.scroll_into_view_if_needed()
    assert scaling.locator("svg.main-svg").count() >= 1
    assert scaling.locator("g.scatterlayer path.js-line").count() >= 1
    assert scaling.locator("g.scatterlayer .point").count() >= 3
    assert scaling.locator("g.shapelayer path").count() >= 2  # baseline and target lines
    assert page.locator('[data-testid="stDataFrame"]').count() >= 2
    screenshot(page, "pupil")
    assert page.external_requests == []


def test_pupil_page_search(page, demo_app, demo_db_template):
    key = _scored_ehcp_pupil(demo_db_template)
    pupil_id = pupil.parse_key(key)[1]
    page.goto(demo_app.url)  # the home page first: a server's very first run decides the navigation
    wait_for_app(page)
    page.goto(demo_app.page_url("pupil"))
    wait_for_app(page)
    box = page.get_by_label("Find a pupil")
    box.fill(pupil_id)
    box.press("Enter")
    wait_for_app(page)
    page.locator('[data-testid="stSelectbox"]').first.click()
    page.get_by_role("option").first.click()
    wait_for_app(page)
    page.get_by_role("heading", name="Outcomes and progress scaling").wait_for()
    page.locator(".js-plotly-plot g.scatterlayer path.js-line").first.wait_for()
    assert pupil_id in unquote(page.url)
    screenshot(page, "pupil-search", full_page=False)


def test_progress_page(page, demo_app):
    page.goto(demo_app.url)  # the home page first: a server's very first run decides the navigation
    wait_for_app(page)
    page.goto(demo_app.page_url("progress"))
    wait_for_app(page)
    page.get_by_role("heading", name="Pupils whose outcomes have stalled").wait_for()
    page.locator(".js-plotly-plot g.barlayer").first.wait_for()
    assert page.locator('[data-testid="stMetric"]').count() == 5
    screenshot(page, "progress")
    assert page.external_requests == []
    # Open the first pupil of the stalled list (the table is a canvas: press its Open button by position).
    grid = page.locator('[data-testid="stDataFrame"]').last
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 30, box["y"] + 35 + 17)
    page.wait_for_url("**/pupil?pupil=*", timeout=30_000)
    wait_for_app(page)
    page.get_by_role("heading", name="Outcomes and progress scaling").wait_for()
