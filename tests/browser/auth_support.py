"""A real OpenID Connect provider on loopback and the app configured to sign in with it.

`oidc_provider()` serves PyPI's `oidc-provider-mock` on 127.0.0.1 in a thread: any client id
and secret are accepted, and at its consent form you type the user's `sub`, which becomes the
user's `email` claim. `app_with_sign_in(db, provider_url, roles)` starts `streamlit run app.py`
with a temporary secrets.toml ([auth] pointing at the provider, [roles]) on a free port.
`sign_in(page, app_url, email)` goes through the whole flow in the browser.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from .harness import ARTIFACTS, ROOT, RunningApp, _wait_healthy, free_port, wait_for_app


@contextlib.contextmanager
def oidc_provider() -> Iterator[str]:
    """The provider's base URL (http://127.0.0.1:PORT), serving until the block ends."""
    import oidc_provider_mock
    import werkzeug.serving

    server = werkzeug.serving.make_server("127.0.0.1", 0, oidc_provider_mock.app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def secrets_toml(app_port: int, provider_url: str, roles: dict[str, list[str]],
                 settings_access: dict[str, list[str]] | None = None) -> str:
    """The secrets.toml a school would write, pointing at the test provider."""
    def toml_list(items: list[str]) -> str:
        return "[" + ", ".join(f'"{i}"' for i in items) + "]"

    lines = [
        "[auth]",
        f'redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"',
        f'cookie_secret = "{secrets.token_hex(32)}"',
        'client_id = "sen-caseload-dashboard"',
        f'client_secret = "{secrets.token_hex(16)}"',
        f'server_metadata_url = "{provider_url}/.well-known/openid-configuration"',
        "",
        "[roles]",
        *[f"{role} = {toml_list(entries)}" for role, entries in roles.items()],
    ]
    if settings_access:
        lines += ["", "[settings_access]", *[f'"{email}" = {toml_list(s)}' for email, s in settings_access.items()]]
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def app_with_sign_in(db: Path, provider_url: str, roles: dict[str, list[str]], workdir: Path, *,
                     settings_access: dict[str, list[str]] | None = None, timeout: float = 90) -> Iterator[RunningApp]:
    """`streamlit run app.py` on 127.0.0.1 with sign-in configured; stopped (its own process group only) on exit."""
    port = free_port()
    secrets_file = workdir / "secrets.toml"
    secrets_file.write_text(secrets_toml(port, provider_url, roles, settings_access))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / f"streamlit-auth-{port}.log"
    env = {**os.environ, "SENLIB_DB": str(db), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
           "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none"}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.address", "127.0.0.1",
             "--server.port", str(port), "--secrets.files", str(secrets_file)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log, timeout)
        yield RunningApp(url=url, log=log, process=process)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


def sign_in(page, app_url: str, email: str, *, timeout: float = 60_000) -> None:
    """From the app's sign-in page, through the provider's form, back into the app as `email`."""
    page.goto(app_url)
    page.get_by_role("button", name="Sign in").click(timeout=timeout)
    page.wait_for_url("**/oauth2/authorize**", timeout=timeout)
    page.locator('input[name="sub"]').fill(email)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(lambda url: url.startswith(app_url) and "oauth2callback" not in url, timeout=timeout)
    wait_for_app(page, timeout=timeout)


def nav_titles(page) -> list[str]:
    """Titles of the pages in the sidebar menu (empty when the menu is hidden: one page only)."""
    links = page.locator('[data-testid="stSidebarNav"] [data-testid="stSidebarNavLink"]')
    # A link's text is its material icon's name, then its title.
    return [[line.strip() for line in t.splitlines() if line.strip()][-1] for t in links.all_inner_texts()]
