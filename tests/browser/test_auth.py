"""Sign-in with a real OpenID Connect provider on loopback: what a SENCo, a leader, a governor and a
stranger see, and that typing a page's URL shows nothing of a page the role may not open."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import duckdb
import pytest
from playwright.sync_api import expect

from senlib.store import backup
from senlib.views import pupil
from ui import nav

from .auth_support import app_with_sign_in, nav_titles, oidc_provider, sign_in
from .harness import SKIP_REASON, RunningApp, chromium_available, screenshot, wait_for_app

pytestmark = pytest.mark.browser

SENCO, LEADER, GOVERNOR, STRANGER = "senco@oak.sch.uk", "head@oak.sch.uk", "chair@gmail.com", "stranger@example.com"
ROLES = {"senco": [SENCO], "leader": ["@oak.sch.uk"], "governor": [GOVERNOR]}


@pytest.fixture(scope="module")
def auth_app(demo_db_template, tmp_path_factory) -> Iterator[RunningApp]:
    if not chromium_available():
        pytest.skip(SKIP_REASON)
    work = tmp_path_factory.mktemp("auth")
    db = work / "demo.duckdb"
    shutil.copy(demo_db_template, db)
    with oidc_provider() as provider, app_with_sign_in(db, provider, ROLES, work) as app:
        yield app


@pytest.fixture
def context(browser) -> Iterator[object]:
    """A fresh browser profile (no cookies): one person at a time."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-GB")
    yield ctx
    ctx.close()


@pytest.fixture(scope="module")
def pupils(demo_db_template) -> list[tuple[str, str, str]]:
    """(key, first name, last name) of a few pupils with distinctive names, to look for on screen."""
    con = duckdb.connect(str(demo_db_template), read_only=True)
    rows = con.execute("SELECT setting, pupil_id, first_name, last_name FROM pupils WHERE sen_status = 'E' "
                       "AND length(last_name) >= 6 ORDER BY setting, pupil_id LIMIT 3").fetchall()
    con.close()
    return [(pupil.pupil_key(s, p), f, last) for s, p, f, last in rows]


def _expected(role: str) -> list[str]:
    return [p.title for p in nav.pages_for(role)]


def _headings(page) -> list[str]:
    return [h.strip() for h in page.locator('[data-testid="stMain"] h1').all_inner_texts()]


def _open(page, app: RunningApp, path: str) -> None:
    """Type a URL; wait until the page has finished (spinners gone); close Streamlit's 'Page not found' box."""
    page.goto(app.page_url(path))
    wait_for_app(page)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSpinner\"]')", timeout=90_000)
    dialog = page.get_by_role("dialog")
    if dialog.count():
        page.keyboard.press("Escape")
        dialog.wait_for(state="detached", timeout=10_000)


def _url_path(spec: nav.PageSpec) -> str:
    return spec.path.rsplit("/", 1)[1].removesuffix(".py")


def test_sign_in_page_before_anything(context, auth_app):
    page = context.new_page()
    _open(page, auth_app, "")
    assert page.get_by_role("button", name="Sign in").is_visible()
    assert nav_titles(page) == []
    screenshot(page, "auth-sign-in")
    # Typing a page's URL before signing in shows the sign-in page, nothing else.
    _open(page, auth_app, "caseload")
    assert _headings(page) == ["SEN caseload"] and page.locator('[data-testid="stDataFrame"]').count() == 0


def test_senco_sees_every_page(context, auth_app):
    page = context.new_page()
    sign_in(page, auth_app.url, SENCO)
    assert nav_titles(page) == _expected("senco")
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    assert "Signed in as SENCo" in sidebar and SENCO in sidebar
    screenshot(page, "auth-senco")
    _open(page, auth_app, "backup")
    assert _headings(page) == ["Backup and restore"]
    # Download a backup, check it is one of ours, and restore it through the page.
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download a backup").click()
    saved = Path(dl.value.path())
    assert dl.value.suggested_filename.startswith("sen-caseload-backup-")
    info = backup.check_backup(saved)
    assert info.pupils > 1000
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": "backup.duckdb", "mimeType": "application/octet-stream", "buffer": saved.read_bytes()}])
    page.get_by_text("This backup holds").wait_for(timeout=60_000)
    page.get_by_text("I understand").click()
    page.get_by_role("button", name="Restore").click()
    page.get_by_text(f"Restored {info.pupils:,} pupils").wait_for(timeout=60_000)
    screenshot(page, "auth-senco-backup")
    # A foreign file is refused with a message.
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": "notes.duckdb", "mimeType": "application/octet-stream", "buffer": b"shopping list " * 200}])
    page.get_by_text("not a backup from this dashboard").wait_for(timeout=60_000)
    screenshot(page, "auth-senco-restore-refused")


def test_leader_sees_everything_read_only(context, auth_app):
    page = context.new_page()
    sign_in(page, auth_app.url, LEADER)
    titles = nav_titles(page)
    assert titles == _expected("leader")
    assert "Audit log" not in titles and "Backup and restore" not in titles
    assert "Senior leader" in page.locator('[data-testid="stSidebar"]').inner_text()
    screenshot(page, "auth-leader")
    for spec in nav.PAGES:
        if "leader" in spec.roles:
            continue
        _open(page, auth_app, _url_path(spec))
        assert spec.title not in _headings(page), spec.path
        assert page.get_by_role("button", name="Download a backup").count() == 0
        assert page.get_by_role("button", name="Restore").count() == 0
        assert page.locator('[data-testid="stFileUploader"]').count() == 0
    screenshot(page, "auth-leader-typed-backup-url")


def test_governor_reaches_no_pupil_data_even_by_url(context, auth_app, pupils):
    page = context.new_page()
    sign_in(page, auth_app.url, GOVERNOR)
    _open(page, auth_app, "")
    assert set(nav_titles(page)) <= set(_expected("governor"))
    assert "Governor" in page.locator('[data-testid="stSidebar"]').inner_text()
    screenshot(page, "auth-governor")
    # What the governor's own page shows (aggregates only, built by senlib.views.governors) ...
    page.locator('[data-testid="stTable"]').first.wait_for(state="attached", timeout=90_000)
    page.wait_for_timeout(1500)
    home_headings = _headings(page)
    home_tables = page.locator('[data-testid="stTable"]').count()
    key = pupils[0][0]
    paths = [_url_path(s) for s in nav.PAGES if "governor" not in s.roles]
    paths += [f"pupil?{pupil.QUERY_PARAM}={quote(key, safe='')}"]
    forbidden = {s.title for s in nav.PAGES if "governor" not in s.roles}
    for path in paths:
        # ... is all a typed URL of another page shows: that page's script never runs.
        _open(page, auth_app, path)
        assert _headings(page) == home_headings, path
        assert not set(_headings(page)) & forbidden, path
        expect(page.locator('[data-testid="stTable"]')).to_have_count(home_tables, timeout=60_000)
        body = page.locator('[data-testid="stMain"]').inner_text()
        for _, _first, surname in pupils:
            assert surname not in body, (path, surname)
    screenshot(page, "auth-governor-typed-pupil-url")


def test_stranger_is_refused_politely_and_can_sign_out(context, auth_app):
    page = context.new_page()
    sign_in(page, auth_app.url, STRANGER)
    assert _headings(page) == ["You do not have access to this dashboard"]
    expect(page.locator('[data-testid="stMain"]')).to_contain_text(STRANGER)
    page.get_by_role("button", name="Sign out").wait_for()
    assert nav_titles(page) == []
    screenshot(page, "auth-stranger")
    _open(page, auth_app, "caseload")
    assert _headings(page) == ["You do not have access to this dashboard"]
    page.get_by_role("button", name="Sign out").click()
    end = page.get_by_role("button", name="End session")  # the provider's own sign-out page
    end.wait_for(timeout=30_000)
    end.click()
    page.get_by_role("button", name="Sign in").wait_for(timeout=30_000)
    screenshot(page, "auth-signed-out")


def test_sign_ins_are_in_the_audit_log(browser, auth_app):
    for email in (GOVERNOR, STRANGER):
        ctx = browser.new_context()
        sign_in(ctx.new_page(), auth_app.url, email)
        ctx.close()
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    sign_in(page, auth_app.url, SENCO)
    _open(page, auth_app, "audit")
    assert _headings(page) == ["Audit log"]
    page.locator('[data-testid="stDataFrame"]').wait_for()
    screenshot(page, "auth-audit-log")
    # The grid is drawn on a canvas; read the entries through the CSV export instead.
    with page.expect_download() as dl:
        page.get_by_role("button", name="Export CSV").click()
    text = Path(dl.value.path()).read_text(encoding="utf-8-sig")
    for email in (SENCO, GOVERNOR, STRANGER):
        assert email in text
    assert "Sign-in refused (no role)" in text
    ctx.close()
