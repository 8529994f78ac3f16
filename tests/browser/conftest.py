"""Browser fixtures: the app served on a copy of the demo database, and a Playwright page in Chromium.

Every test under tests/browser is marked `browser` and skips (with the reason) only when
Debian's chromium is missing.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import SKIP_REASON, RunningApp, chromium_available, launch_browser, running_app


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def demo_app(demo_db_template, tmp_path_factory) -> Iterator[RunningApp]:
    """The app running on a private copy of the session's demo database."""
    if not chromium_available():
        pytest.skip(SKIP_REASON)
    db = tmp_path_factory.mktemp("browser") / "demo.duckdb"
    shutil.copy(demo_db_template, db)
    with running_app(db) as app:
        yield app


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not chromium_available():
        pytest.skip(SKIP_REASON)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = launch_browser(pw)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, demo_app) -> Iterator[object]:
    """A fresh browser page (1400x1000) that records every request leaving 127.0.0.1."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB")
    pg = context.new_page()
    pg.external_requests = []
    pg.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:"))
          else pg.external_requests.append(r.url))
    yield pg
    context.close()
