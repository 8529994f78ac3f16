"""The Provision map and Impact pages in a real browser, on the hand-worked school of tests/provision_fixture.py (as of
its date, 1 December 2026): the grid and the table drawn, the costed provision map downloaded and read back, the
cost-against-impact bubbles drawn as Plotly SVG; screenshots saved in tests/artifacts/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from openpyxl import load_workbook

from tests import provision_fixture as fx

from .harness import SKIP_REASON, RunningApp, chromium_available, running_app, screenshot, wait_for_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def hollybank_app(tmp_path_factory) -> Iterator[RunningApp]:
    if not chromium_available():
        pytest.skip(SKIP_REASON)
    db = tmp_path_factory.mktemp("browser-provision") / "hollybank.duckdb"
    fx.build(db).close()
    with running_app(db) as app:
        yield app


@pytest.fixture
def tab(browser, hollybank_app) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB", accept_downloads=True)
    pg = context.new_page()
    pg.external_requests = []
    pg.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:"))
          else pg.external_requests.append(r.url))
    yield pg
    context.close()


def _open(tab, app: RunningApp, path: str) -> None:
    """Open a page of the app as of the fixture's date (typed into the sidebar's As of box)."""
    tab.goto(app.url)  # the home page first: a server's very first run decides the navigation
    wait_for_app(tab)
    tab.goto(app.page_url(path))
    wait_for_app(tab)
    tab.get_by_role("spinbutton", name="day, As of").click()
    tab.keyboard.type(f"{fx.AS_OF:%d%m%Y}")
    tab.locator('[data-testid="stMain"] h1').click()  # leave the box: the date is taken
    tab.wait_for_timeout(500)
    wait_for_app(tab)
    assert tab.get_by_role("spinbutton", name="year, As of").inner_text() == f"{fx.AS_OF:%Y}"


def test_provision_map_grid_table_and_excel(tab, hollybank_app, tmp_path):
    _open(tab, hollybank_app, "provision")
    tab.get_by_role("heading", name="Provision map", exact=True).first.wait_for()
    grid = tab.locator("table.prov-grid")
    grid.wait_for()
    assert grid.get_by_text("Lego therapy: 2 pupils, 0.75 h a week").count() == 2  # two areas: under each
    assert grid.locator("thead th").all_inner_texts()[1:] == ["Year 2", "Year 3", "Year 4", "Year 5", "Year 6"]
    metric = tab.locator('[data-testid="stMetric"]').first
    assert "£9,008.33" in metric.inner_text()
    tab.locator('[data-testid="stDataFrame"]').first.wait_for()
    shot = screenshot(tab, "provision-map")
    assert shot.exists()
    with tab.expect_download() as info:
        tab.get_by_role("button", name="Download the costed provision map (Excel)").click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    assert target.name == "provision-map-2026-12-01.xlsx"
    wb = load_workbook(target)
    ws = wb["Provision map"]
    heads = [c.value for c in ws[1]]
    rows = {r[0].value: r for r in ws.iter_rows(min_row=2)}
    assert rows["Lego therapy"][heads.index("Cost a year (£)")].value == 630.00
    assert ws.cell(row=ws.max_row, column=heads.index("Cost a year (£)") + 1).value == 9008.33
    assert tab.external_requests == []


def test_impact_page_draws_the_bubbles(tab, hollybank_app):
    _open(tab, hollybank_app, "impact")
    tab.get_by_role("heading", name="Cost against impact").wait_for()
    plot = tab.locator(".js-plotly-plot").first
    plot.wait_for()
    assert plot.locator("svg.main-svg").count() >= 1
    assert plot.locator("g.scatterlayer .point").count() >= 1  # Toe by Toe's bubble
    assert plot.locator("g.shapelayer path").count() >= 1      # the expected-gain line
    assert "Cost per pupil" in plot.inner_text()
    assert tab.locator(".js-plotly-plot").count() == 4
    screenshot(tab, "impact")
    assert tab.external_requests == []
