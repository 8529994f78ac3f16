"""The embedded DuckDB store: where it lives, opening it, migrating it.

One connection per process; each thread takes its own cursor (`cursor()`), which
is how DuckDB shares one database between threads safely.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from senlib.core.errors import DatabaseBusyError, DatabaseError
from senlib.store import lockholder
from senlib.store.schema import LATEST_VERSION, MIGRATIONS

DB_ENV = "SENLIB_DB"


def _checkout() -> Path | None:
    """The repository root when senlib runs from a checkout (app.py and pyproject.toml beside the package), else None."""
    root = Path(__file__).resolve().parents[2]  # senlib/store/__init__.py: the folder holding the senlib package
    if root.name in ("site-packages", "dist-packages"):
        return None
    return root if (root / "app.py").is_file() and (root / "pyproject.toml").is_file() else None


def default_db() -> Path:
    """Where the database lives when neither --db nor $SENLIB_DB says.

    From a checkout (also an editable install): data/caseload.duckdb in it, the file `make run` fills with the
    demo caseload and the README and tests rely on. Installed with `pip install .`, the package sits in
    site-packages, which is shared, may be read-only and is wiped by the next upgrade, so pupil data must not
    go there: the per-user data folder instead, $XDG_DATA_HOME/senlib/caseload.duckdb (by default
    ~/.local/share/senlib/caseload.duckdb; a relative $XDG_DATA_HOME is ignored, as the XDG spec says).
    """
    if CHECKOUT is not None:
        return CHECKOUT / "data" / "caseload.duckdb"
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / "senlib" / "caseload.duckdb"


CHECKOUT = _checkout()
DEFAULT_DB = default_db()


def db_path(path: str | os.PathLike | None = None) -> Path:
    """The database file to use: the argument, else $SENLIB_DB, else DEFAULT_DB (see default_db)."""
    if path:
        return Path(path)
    if os.environ.get(DB_ENV):
        return Path(os.environ[DB_ENV])
    return DEFAULT_DB


def connect(path: str | os.PathLike | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) and migrate the store. Raises our own errors, never DuckDB's."""
    target = db_path(path)
    if str(target) != ":memory:":
        if read_only and not target.exists():
            raise DatabaseError(f"There is no database at {target}.", fix="Create one with `python -m senlib demo` or import a tracker.")
        target.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(target), read_only=read_only)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            holder = lockholder.from_lock_error(text)
            raise DatabaseBusyError(f"The database {target} is in use by {holder.describe()}.", fix=holder.fix,
                                    holder=holder) from None
        if "not a valid DuckDB database" in text:
            raise DatabaseError(f"{target} is not a database this program can read.", fix="Check the path, or restore a backup.") from None
        raise DatabaseError(f"The database {target} cannot be opened: {text}", fix="Check the path, or restore a backup.") from None
    except duckdb.Error as exc:
        raise DatabaseError(f"{target} is not a database this program can read ({exc}).", fix="Check the path, or restore a backup.") from None
    if not read_only:
        migrate(con)
    return con


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Version of the schema in this database; 0 for an empty file."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchall()[0][0]
    if not exists:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0]


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply every migration newer than the database; safe to call on every open."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
        "description VARCHAR, applied_at TIMESTAMP DEFAULT current_timestamp)"
    )
    current = schema_version(con)
    if current > LATEST_VERSION:
        raise DatabaseError(
            f"This database was written by a newer version of the program (schema {current}; this program reads up to {LATEST_VERSION}).",
            fix="Update the program, or open a backup made with this version.",
        )
    for version, description, sql in MIGRATIONS:
        if version <= current:
            continue
        with transaction(con):
            con.execute(sql)
            con.execute("INSERT INTO schema_version (version, description) VALUES (?, ?)", [version, description])
    return schema_version(con)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection, *, keep: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: COMMIT when the block ends, ROLLBACK (and re-raise) when it raises. With keep=False the
    block's work is rolled back even when it succeeds (a dry run)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT" if keep else "ROLLBACK")


def is_empty(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the store holds no pupils (first run, or everything cleared)."""
    return con.execute("SELECT count(*) FROM pupils").fetchall()[0][0] == 0


def clear_caseload(con: duckdb.DuckDBPyConnection) -> None:
    """Remove every pupil record (not the audit log); used by `demo --replace`. The fields earlier imports carried go
    too: their rows are gone, and the demo that replaces them tracks every field (senlib.rules.tracking)."""
    for table in ("scores", "outcomes", "reviews", "plans", "ehc_requests", "pupil_changes", "pupils", "settings",
                  "import_fields"):
        con.execute(f"DELETE FROM {table}")


# Audit actions that change what the dashboard shows (the others, e.g. sign-ins and exports, only record access).
DATA_CHANGES: tuple[str, ...] = ("demo", "import", "undo", "confirm_leavers", "rule_change", "setting_change", "restore",
                                 "governors_commentary", "role_cost_change", "app_change")


def data_changes(con: duckdb.DuckDBPyConnection) -> tuple[int, object]:
    """How many data-changing entries the audit log holds, and when the newest was logged: a cheap version stamp."""
    return tuple(con.execute("SELECT count(*), max(logged_at) FROM audit WHERE action IN (SELECT unnest(?::VARCHAR[]))",
                             [list(DATA_CHANGES)]).fetchall()[0])


def data_version(con: duckdb.DuckDBPyConnection) -> tuple:
    """A cheap fingerprint of the data, to key cached results: it changes with every import, undo, demo load, rule
    change or restore (each writes the audit log; sign-ins and exports do not count), with the row counts of the
    biggest tables, and with the database file."""
    counts = con.execute("SELECT (SELECT count(*) FROM pupils), (SELECT count(*) FROM reviews), (SELECT count(*) FROM scores)"
                         ).fetchall()[0]
    return (str(db_path()), *data_changes(con), *counts)


def audited(con: duckdb.DuckDBPyConnection, action: str, user: str | None, login: str) -> bool:
    """Whether the audit log already holds `action` by `user` for this sign-in at the provider (`login`: the ID
    token's issue time), so a reload or a second tab is not logged again."""
    return con.execute("SELECT count(*) FROM audit WHERE action = ? AND user_name = ? AND detail->>'login' = ?",
                       [action, user, login]).fetchall()[0][0] > 0


def audit(con: duckdb.DuckDBPyConnection, action: str, user: str | None, detail: dict | None = None) -> None:
    """Record who did what; every import, undo, rule change, export and restore comes here."""
    con.execute(
        "INSERT INTO audit (user_name, action, detail) VALUES (?, ?, ?)",
        [user, action, json.dumps(detail or {}, default=str)],
    )
