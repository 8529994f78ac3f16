"""Opening the app in Streamlit's AppTest on a database file, as the page tests do."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


def open_app(db: Path, monkeypatch, as_of: date, *, timeout: float = 90) -> AppTest:
    """The app on `db` (its own cached connection), evaluated on `as_of`, after its first run."""
    monkeypatch.setenv("SENLIB_DB", str(db))
    import ui.state

    ui.state.connection.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.session_state["as_of"] = as_of
    at.run()
    return at
