"""Start the real app on a free port and drive it with Playwright in Debian's headless Chromium.

Reusable by every browser test: `running_app(db)` serves app.py on a database file;
`launch_browser(playwright)` starts /usr/bin/chromium with the flags that work here
(Playwright's own browser download does not); `wait_for_app(page)` waits until a script
run has finished; `screenshot(page, name)` saves into tests/artifacts/.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SKIP_REASON = f"Debian's chromium is not installed at {CHROMIUM} (CI installs it: apt-get install chromium)"


def chromium_available() -> bool:
    return Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Run `python -m streamlit ...` so that, on Linux, the server is sent SIGTERM when the test process dies:
# an aborted run (Ctrl+C, a CI timeout) leaves no server behind. prctl(PR_SET_PDEATHSIG) survives exec.
_DIE_WITH_PARENT = (
    "import ctypes, os, signal, sys\n"
    "try:\n"
    "    ctypes.CDLL(None).prctl(1, signal.SIGTERM)\n"
    "except (OSError, AttributeError):\n"
    "    pass\n"
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])\n"
)


@dataclass
class RunningApp:
    """A `streamlit run app.py` process: its base URL, log file and process."""

    url: str
    log: Path
    process: subprocess.Popen

    def page_url(self, path: str = "") -> str:
        return f"{self.url}/{path.lstrip('/')}"


def _wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            if resp.status == 200 and resp.read().strip() == b"ok":
                return
        time.sleep(0.25)
    raise TimeoutError(f"streamlit did not become healthy within {timeout:.0f}s:\n{log.read_text(errors='replace')[-3000:]}")


@contextlib.contextmanager
def running_app(db: Path, *, env: dict[str, str] | None = None, timeout: float = 90,
                root: Path | None = None) -> Iterator[RunningApp]:
    """Serve app.py with SENLIB_DB=db on 127.0.0.1 and a free port; stopped (its own process group only) on exit.

    `root`: the checkout whose app.py (and senlib) to serve; this one by default (a benchmark's "before" run
    serves another, e.g. a `git worktree`)."""
    port = free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / f"streamlit-{port}.log"
    full_env = {**os.environ, "SENLIB_DB": str(db), "STREAMLIT_SERVER_PORT": str(port),
                "STREAMLIT_SERVER_HEADLESS": "true", "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
                "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none", **(env or {})}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", _DIE_WITH_PARENT, "-m", "streamlit", "run", "app.py", "--server.headless", "true"],
            cwd=root or ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
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


def launch_browser(playwright):
    """Debian's Chromium, headless, with the flags that work in CI and containers."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def wait_for_app(page, timeout: float = 60_000) -> None:
    """Wait until Streamlit has rendered the page and finished the script run (no 'Running…' widget)."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout)
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')
               || !document.querySelector('[data-testid="stStatusWidget"]').innerText.includes('Running')""",
        timeout=timeout,
    )
    page.wait_for_timeout(300)  # let charts finish their first layout


def screenshot(page, name: str, *, full_page: bool = True, max_height: int = 9000) -> Path:
    """Save a PNG of the page into tests/artifacts/ (gitignored; CI keeps it as an artefact).

    Streamlit scrolls inside its own container, so Playwright's full_page alone captures one
    screen: the viewport is stretched to the content's height for the shot, then restored.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = page.viewport_size
    if full_page and size:
        height = page.evaluate(
            """() => { const m = document.querySelector('[data-testid="stMain"]') || document.body;
                       m.scrollTop = 0; return Math.max(m.scrollHeight, document.body.scrollHeight); }""")
        page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, max_height)})
        page.wait_for_timeout(700)  # charts re-lay out to the new size
    try:
        page.screenshot(path=str(path), full_page=full_page)
    finally:
        if full_page and size:
            page.set_viewport_size(size)
    return path
