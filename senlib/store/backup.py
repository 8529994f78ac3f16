"""Backup and restore of the whole database as one DuckDB file.

Why this shape:
- A backup is taken through the connection the app already holds (DuckDB lets one process
  write a file), as a single `COPY FROM DATABASE` into a fresh file: one statement, one
  snapshot, so it is consistent even while others read. Sequences keep their position.
- A file offered for restore is checked before anything is touched: it must be a DuckDB file
  (by its header, so random bytes never reach the database engine), opened read-only with
  external access off, hold our `schema_version` table at a version this program can read,
  and every table and column that version has. A foreign file, random bytes or a newer
  schema is refused with a message saying what is wrong.
- Restore replaces the data in one transaction on the live connection: all or nothing. An
  older backup is first migrated, in a temporary copy, to the current schema.
- The audit log is never rolled back by a restore: the backup's audit rows are merged into the
  live log (nothing lost either way) and the restore itself is recorded.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from senlib import store
from senlib.access import Viewer, require_whole_database
from senlib.core.errors import DatabaseError, SenlibError
from senlib.store.schema import LATEST_VERSION, MIGRATIONS

DUCKDB_MAGIC = b"DUCK"  # bytes 8..12 of every DuckDB database file
# not replaced by a restore (see module docstring); the nightly-backup schedule and its runs belong to
# this computer, not to the data, so a restore keeps them too
KEPT_TABLES = ("schema_version", "audit", "backup_schedule", "backup_runs")
SAFE_CONFIG = {"enable_external_access": False, "autoinstall_known_extensions": False, "autoload_known_extensions": False}


class RestoreRefused(DatabaseError):
    """The file offered for restore is not a backup this program can read; nothing was changed."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup file holds, to show before a restore is confirmed."""

    version: int
    pupils: int
    settings: list[str]
    imports: int
    last_change: datetime | None

    def describe(self) -> str:
        where = ", ".join(self.settings) if self.settings else "no settings"
        when = f"; last change recorded {self.last_change:%d/%m/%Y %H:%M}" if self.last_change else ""
        return f"{self.pupils:,} pupils in {len(self.settings)} setting(s) ({where}); {self.imports:,} imports{when}; schema version {self.version}."


@dataclass(frozen=True)
class RestoreSummary:
    info: BackupInfo
    tables: dict[str, int]   # rows restored per table
    audit_rows_merged: int


BACKUP_FILE = re.compile(r"sen-caseload-backup-\d{4}-\d{2}-\d{2}-\d{4}\.duckdb")  # every name backup_name() gives


def backup_name(now: datetime | None = None) -> str:
    """File name for a backup: sen-caseload-backup-YYYY-MM-DD-HHMM.duckdb (matched by BACKUP_FILE)."""
    return f"sen-caseload-backup-{(now or datetime.now()):%Y-%m-%d-%H%M}.duckdb"


def _main_catalog(cur: duckdb.DuckDBPyConnection) -> str:
    return cur.execute("SELECT current_database()").fetchall()[0][0]


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def backup_to(con: duckdb.DuckDBPyConnection, out: str | os.PathLike, viewer: Viewer) -> Path:
    """Write a consistent copy of the whole database to `out` (replaced atomically if it exists).

    Works on its own cursor of `con`, so it may run on another thread than the one that owns `con`."""
    require_whole_database(viewer)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex}.part")
    alias = f"senlib_backup_{uuid.uuid4().hex}"
    cur = con.cursor()
    try:
        source = _main_catalog(cur)
        cur.execute(f"ATTACH ? AS {alias}", [str(tmp)])
        try:
            cur.execute(f"COPY FROM DATABASE {_quote(source)} TO {alias}")
        finally:
            cur.execute(f"DETACH {alias}")
        os.replace(tmp, out)
        store.audit(cur, "backup", viewer.name, {"file": out.name, "bytes": out.stat().st_size})
    except duckdb.Error as exc:
        raise DatabaseError(f"The backup could not be written to {out}: {exc}", fix="Check there is free disk space and try again.") from None
    finally:
        for leftover in (tmp, Path(str(tmp) + ".wal")):
            leftover.unlink(missing_ok=True)
        cur.close()
    return out


def backup_bytes(con: duckdb.DuckDBPyConnection, viewer: Viewer) -> bytes:
    """The whole database as the bytes of one DuckDB file (for a download button)."""
    with tempfile.TemporaryDirectory(prefix="senlib-backup-") as tmp:
        path = backup_to(con, Path(tmp) / backup_name(), viewer)
        return path.read_bytes()


def _reference_columns(version: int) -> dict[str, set[str]]:
    """Tables and columns a database at schema `version` must have (built from the migrations)."""
    ref = duckdb.connect(":memory:")
    try:
        for v, _description, sql in MIGRATIONS:
            if v <= version:
                ref.execute(sql)
        return _columns(ref)
    finally:
        ref.close()


def _columns(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> dict[str, set[str]]:
    """Base tables of the main schema and their columns."""
    where = "table_catalog = ?" if catalog else "table_catalog = current_database()"
    rows = con.execute(
        f"SELECT c.table_name, c.column_name FROM information_schema.columns c JOIN information_schema.tables t "
        f"USING (table_catalog, table_schema, table_name) WHERE t.table_type = 'BASE TABLE' AND c.table_schema = 'main' AND c.{where}",
        [catalog] if catalog else [],
    ).fetchall()
    out: dict[str, set[str]] = {}
    for table, column in rows:
        out.setdefault(table, set()).add(column)
    return out


def check_backup(path: str | os.PathLike) -> BackupInfo:
    """What the backup at `path` holds; raises RestoreRefused when it is not one of ours or too new."""
    path = Path(path)
    name = path.name
    try:
        with path.open("rb") as f:
            header = f.read(16)
    except OSError as exc:
        raise RestoreRefused(f"The file {name} cannot be read: {exc.strerror}.", fix="Check the path.") from None
    if len(header) < 12 or header[8:12] != DUCKDB_MAGIC:
        raise RestoreRefused(f"{name} is not a backup from this dashboard (it is not a DuckDB database file).",
                             fix="Choose a file made with 'Download a backup' or `python -m senlib backup`.")
    try:
        con = duckdb.connect(str(path), read_only=True, config=SAFE_CONFIG)
    except duckdb.Error as exc:
        text = str(exc)
        if "version" in text.lower():
            raise RestoreRefused(f"{name} was written by a newer version of the database engine and cannot be read here.",
                                 fix="Update this program, or choose a backup made with this version.") from None
        raise RestoreRefused(f"{name} is damaged or not a backup from this dashboard ({text.splitlines()[0]}).",
                             fix="Choose a file made with 'Download a backup' or `python -m senlib backup`.") from None
    try:
        found = _columns(con)
        if "schema_version" not in found or "version" not in found["schema_version"]:
            raise RestoreRefused(f"{name} is a database, but not one made by this dashboard (it has no schema_version table).",
                                 fix="Choose a file made with 'Download a backup' or `python -m senlib backup`.")
        version = con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0]
        if version > LATEST_VERSION:
            raise RestoreRefused(f"{name} was made by a newer version of this program (schema {version}; this program reads up to {LATEST_VERSION}).",
                                 fix="Update the program first, then restore.")
        if version < 1:
            raise RestoreRefused(f"{name} holds no schema version.", fix="Choose a file made with 'Download a backup'.")
        missing = []
        for table, columns in _reference_columns(version).items():
            if table not in found:
                missing.append(f"table {table}")
            else:
                missing += [f"{table}.{c}" for c in sorted(columns - found[table])]
        if missing:
            raise RestoreRefused(f"{name} is not a complete backup from this dashboard: it lacks {', '.join(missing[:5])}"
                                 f"{' and more' if len(missing) > 5 else ''}.", fix="Choose a file made with 'Download a backup'.")
        pupils = con.execute("SELECT count(*) FROM pupils").fetchall()[0][0]
        settings = [r[0] for r in con.execute("SELECT DISTINCT setting FROM pupils ORDER BY 1").fetchall()]
        imports = con.execute("SELECT count(*) FROM imports").fetchall()[0][0]
        last = con.execute("SELECT max(logged_at) FROM audit").fetchall()[0][0]
        return BackupInfo(version=version, pupils=pupils, settings=settings, imports=imports, last_change=last)
    except duckdb.Error as exc:
        raise RestoreRefused(f"{name} cannot be read as a backup: {str(exc).splitlines()[0]}", fix="Choose another backup file.") from None
    finally:
        con.close()


def _sequence_columns(cur: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(table, column, sequence) for every column whose default draws from a sequence."""
    rows = cur.execute(
        "SELECT table_name, column_name, column_default FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = 'main' AND column_default LIKE 'nextval(%'"
    ).fetchall()
    out = []
    for table, column, default in rows:
        seq = default.split("'")[1] if "'" in default else None
        if seq:
            out.append((table, column, seq))
    return out


def _advance_sequences(cur: duckdb.DuckDBPyConnection) -> None:
    """Move each sequence past the largest id restored, so new imports never reuse an id."""
    for table, column, seq in _sequence_columns(cur):
        top = cur.execute(f"SELECT max({_quote(column)}) FROM {_quote(table)}").fetchall()[0][0]
        if top is None:
            continue
        current = cur.execute("SELECT nextval(?)", [seq]).fetchall()[0][0]
        if current < top:
            cur.execute("SELECT max(nextval(?)) FROM range(?)", [seq, int(top - current)]).fetchall()


def restore(con: duckdb.DuckDBPyConnection, path: str | os.PathLike, viewer: Viewer) -> RestoreSummary:
    """Replace every table's data with the backup's, all or nothing; the audit log is merged, not replaced."""
    require_whole_database(viewer)
    info = check_backup(path)
    with tempfile.TemporaryDirectory(prefix="senlib-restore-") as tmp:
        source = Path(path)
        if info.version < LATEST_VERSION:  # bring an older backup up to date in a copy, never in place
            source = Path(tmp) / "upgrade.duckdb"
            shutil.copyfile(path, source)
            upgrade = store.connect(source)
            upgrade.execute("CHECKPOINT")
            upgrade.close()
        return _copy_in(con, source, info, viewer, Path(path).name)


def _copy_in(con: duckdb.DuckDBPyConnection, source: Path, info: BackupInfo, viewer: Viewer, name: str) -> RestoreSummary:
    alias = f"senlib_restore_{uuid.uuid4().hex}"
    cur = con.cursor()
    try:
        cur.execute(f"ATTACH ? AS {alias} (READ_ONLY)", [str(source)])
    except duckdb.Error as exc:
        cur.close()
        raise RestoreRefused(f"{name} cannot be opened for restore: {str(exc).splitlines()[0]}", fix="Choose another backup file.") from None
    try:
        live = _columns(cur)
        src = _columns(cur, alias)
        tables = sorted(t for t in live if t not in KEPT_TABLES)
        counts: dict[str, int] = {}
        with store.transaction(cur):
            for table in tables:
                cur.execute(f"DELETE FROM {_quote(table)}")
                cols = sorted(live[table] & src.get(table, set()))
                if not cols:
                    counts[table] = 0
                    continue
                names = ", ".join(_quote(c) for c in cols)
                cur.execute(f"INSERT INTO {_quote(table)} ({names}) SELECT {names} FROM {alias}.main.{_quote(table)}")
                counts[table] = cur.execute(f"SELECT count(*) FROM {_quote(table)}").fetchall()[0][0]
            audit_cols = ", ".join(_quote(c) for c in sorted(live["audit"] & src.get("audit", set())))
            before = cur.execute("SELECT count(*) FROM audit").fetchall()[0][0]
            cur.execute(f"INSERT INTO audit ({audit_cols}) SELECT {audit_cols} FROM {alias}.main.audit "
                        f"EXCEPT ALL SELECT {audit_cols} FROM audit")
            merged = cur.execute("SELECT count(*) FROM audit").fetchall()[0][0] - before
            _advance_sequences(cur)
            store.audit(cur, "restore", viewer.name, {"file": name, "pupils": info.pupils, "settings": info.settings,
                                                      "backup_version": info.version, "audit_rows_merged": merged})
    except duckdb.Error as exc:
        raise SenlibError(f"The restore from {name} failed and nothing was changed: {str(exc).splitlines()[0]}",
                          fix="Try again; if it fails again, keep the file and report the message.") from None
    finally:
        try:
            cur.execute(f"DETACH {alias}")
        finally:
            cur.close()
    with contextlib.suppress(duckdb.Error):  # durable already (WAL); a checkpoint just folds it in
        con.cursor().execute("CHECKPOINT")
    return RestoreSummary(info=info, tables=counts, audit_rows_merged=merged)
