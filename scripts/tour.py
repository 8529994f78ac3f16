"""Screenshots for the README's tour: the app served on a fresh demo caseload, one picture per main page.

    .venv/bin/python scripts/tour.py            # writes docs/tour/*.png

Uses the browser tests' harness (Debian's chromium through Playwright). The pictures are quantised to
256 colours to keep the repository small.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from senlib import store  # noqa: E402
from senlib.store import demo  # noqa: E402
from senlib.views import pupil  # noqa: E402
from tests.browser.harness import launch_browser, running_app, wait_for_app  # noqa: E402

OUT = ROOT / "docs" / "tour"
WIDTH, HEIGHT = 1400, 1000


def _pupil_path(db: Path) -> str:
    """An EHCP pupil with several scored outcomes: the pupil page at its fullest."""
    con = store.connect(db, read_only=True)
    try:
        setting, pid = con.execute(
            """SELECT o.setting, o.pupil_id FROM outcomes o JOIN scores s USING (setting, pupil_id, outcome_id)
               JOIN pupils p USING (setting, pupil_id) WHERE p.sen_status = 'E'
               GROUP BY ALL HAVING count(DISTINCT o.outcome_id) >= 3 ORDER BY 1, 2 LIMIT 1""").fetchone()
    finally:
        con.close()
    return f"pupil?{pupil.QUERY_PARAM}={pupil.pupil_key(setting, pid)}"


def _shoot(page, url: str, name: str, *, wait_for: str | None = None, scroll_to: str | None = None) -> None:
    page.goto(url)
    wait_for_app(page)
    if wait_for:
        page.locator(wait_for).first.wait_for(timeout=120_000)
    if scroll_to:
        page.get_by_role("heading", name=scroll_to).first.scroll_into_view_if_needed()
    page.wait_for_timeout(1200)
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path))
    Image.open(path).convert("RGB").quantize(256).save(path, optimize=True)
    print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    db = Path(tempfile.mkdtemp(prefix="tour-")) / "demo.duckdb"
    con = store.connect(db)
    demo.generate(con, settings=3, pupils=1500, seed=2026, as_of=date.today())
    con.close()
    shots = [
        ("", "overview", ".js-plotly-plot", None),
        ("caseload", "caseload", '[data-testid="stDataFrame"]', None),
        ("upcoming", "upcoming", '[data-testid="stDataFrame"]', None),
        (_pupil_path(db), "pupil", ".js-plotly-plot", "Outcomes and progress scaling"),
        ("compliance", "compliance", ".js-plotly-plot", None),
        ("governors", "governors", ".js-plotly-plot", None),
    ]
    with running_app(db) as app, sync_playwright() as pw:
        browser = launch_browser(pw)
        page = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, locale="en-GB").new_page()
        page.goto(app.url)
        wait_for_app(page)
        for path, name, wait_for, scroll_to in shots:
            _shoot(page, app.page_url(path), name, wait_for=wait_for, scroll_to=scroll_to)
        browser.close()


if __name__ == "__main__":
    main()
