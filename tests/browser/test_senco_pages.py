"""The SENCo pages in a real browser: Caseload (open a pupil from the table), Upcoming reviews (download the
calendar), Escalations; a screenshot of each saved in tests/artifacts/."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from urllib.parse import unquote

import pytest
from icalendar import Calendar

from senlib import store
from senlib.access import TRUSTED
from senlib.views import caseload

from .harness import screenshot, wait_for_app

pytestmark = pytest.mark.browser


def _open(page, app, path: str) -> None:
    """Open a page of the app. The home page first: a server's very first run decides the navigation."""
    page.goto(app.url)
    wait_for_app(page)
    page.goto(app.page_url(path))
    wait_for_app(page)


def _first_by_name(db: Path) -> str:
    """The key of the pupil the Caseload table lists first when sorted by name (the app's as-of date is today)."""
    con = store.connect(db, read_only=True)
    try:
        shown = caseload.apply_filters(caseload.load(con, date.today(), viewer=TRUSTED))
    finally:
        con.close()
    return shown.sort_values("pupil", kind="stable")["key"].iloc[0]


def test_caseload_page_and_open_a_pupil(page, demo_app, demo_db_template):
    _open(page, demo_app, "caseload")
    page.get_by_role("heading", name="Caseload").wait_for()
    page.locator('[data-testid="stMetric"]').nth(5).wait_for()  # after the rules have run
    assert page.locator('[data-testid="stMetric"]').count() == 6  # pupils, 4 statuses, flagged
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.wait_for()
    screenshot(page, "caseload")
    assert page.external_requests == []
    # The table is drawn on a canvas: sort it by pupil (the header), then press the first row's Open button, by position.
    # The pupil opened must be the first by name, not the first row of the data as sent.
    expected = _first_by_name(demo_db_template)
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 75 + 40, box["y"] + 17)  # the Pupil header (the Open column is 75px wide)
    page.wait_for_timeout(500)
    page.mouse.click(box["x"] + 30, box["y"] + 35 + 17)
    page.wait_for_url("**/pupil?pupil=*", timeout=30_000)
    wait_for_app(page)
    page.get_by_role("heading", name="Review status and flags").wait_for()
    assert unquote(page.url.split("pupil=", 1)[1]).replace("+", " ") == expected


def test_upcoming_page_and_calendar_download(page, demo_app, tmp_path):
    _open(page, demo_app, "upcoming")
    page.get_by_role("heading", name="To do this week").wait_for()
    page.get_by_role("heading", name="Reviews overdue or in the next 6 weeks").wait_for()
    screenshot(page, "upcoming")
    with page.expect_download() as info:
        page.get_by_role("button", name="Calendar (.ics) for Outlook or Google").click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    assert target.suffix == ".ics"
    events = Calendar.from_ical(Path(target).read_bytes()).walk("VEVENT")
    assert len(events) > 10
    assert page.external_requests == []


def test_escalations_page(page, demo_app):
    _open(page, demo_app, "escalations")
    page.get_by_role("heading", name="Escalations").wait_for()
    page.locator('[data-testid="stDataFrame"]').first.wait_for()
    assert page.locator("h3", has_text="Outcome stalled (").count() == 1
    screenshot(page, "escalations")
    assert page.external_requests == []
