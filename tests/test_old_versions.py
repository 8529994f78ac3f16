"""Nothing lost on the way (issue 15, item 9): databases and backups made by earlier versions open and restore.

tests/old_versions/ holds databases and backups written by the code of earlier commits (tests/old_versions/make.py:
schema 3 from the first version with backups, schema 6 from the last version before issue 15 moved the store to
senlib/store/), each with a manifest of what it held as that version read it back. Today's store.connect migrates a
copy, and store.backup.restore takes the backup, and every row must still be there; a database built by applying only
the first N migrations is checked the same way for every N.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from senlib import access, store
from senlib.importer import list_imports, undo
from senlib.rules import pupil_status
from senlib.store import backup
from senlib.store.schema import LATEST_VERSION, MIGRATIONS

from .old_versions.dump import TABLES, dump

OLD = Path(__file__).parent / "old_versions"
MANIFESTS = sorted(OLD.glob("manifest_v*.json"))
STEMS = [m.stem.removeprefix("manifest_") for m in MANIFESTS]


def _manifest(stem: str) -> dict:
    return json.loads((OLD / f"manifest_{stem}.json").read_text(encoding="utf-8"))


def _unpack(kind: str, stem: str, tmp_path: Path) -> Path:
    out = tmp_path / f"{kind}_{stem}.duckdb"
    out.write_bytes(gzip.decompress((OLD / f"{kind}_{stem}.duckdb.gz").read_bytes()))
    return out


def _assert_same_rows(con: duckdb.DuckDBPyConnection, manifest: dict) -> None:
    """Every table the old version had holds the same rows, column for column (columns added since may be new)."""
    now = dump(con, list(manifest["tables"]))
    for table, then in manifest["tables"].items():
        cols = then["columns"]
        have = now["tables"][table]["columns"]
        assert set(cols) <= set(have), f"{table} lost columns {sorted(set(cols) - set(have))}"
        rows = [[r[have.index(c)] for c in cols] for r in now["tables"][table]["rows"]]
        assert rows == then["rows"], f"{table} differs from what the old version wrote"
    assert now["file_sha256"] == manifest["file_sha256"], "the uploaded files kept with the imports changed"


def _assert_latest_schema(con: duckdb.DuckDBPyConnection) -> None:
    assert store.schema_version(con) == LATEST_VERSION
    versions = [r[0] for r in con.execute("SELECT version FROM schema_version ORDER BY version").fetchall()]
    assert versions == [v for v, _d, _s in MIGRATIONS]
    found = backup._columns(con)
    for table, columns in backup._reference_columns(LATEST_VERSION).items():
        assert table in found and columns <= found[table], f"{table} is not as today's schema has it"


def test_the_fixtures_are_small_and_cover_todays_schema_and_an_older_one():
    assert {_manifest(s)["schema_version"] for s in STEMS} >= {LATEST_VERSION, 3}
    for path in OLD.iterdir():
        assert path.stat().st_size < 200_000, path.name
    for stem in STEMS:
        assert (OLD / f"db_{stem}.duckdb.gz").exists() and (OLD / f"backup_{stem}.duckdb.gz").exists()


@pytest.mark.parametrize("stem", STEMS)
def test_a_database_made_by_an_earlier_version_opens_migrated_with_nothing_lost(stem, tmp_path):
    manifest = _manifest(stem)
    path = _unpack("db", stem, tmp_path)
    con = store.connect(path)  # migrates
    try:
        _assert_latest_schema(con)
        _assert_same_rows(con, manifest)
        # what the old version did is still in the audit log, and the rules read the migrated data
        actions = sorted(r[0] for r in con.execute("SELECT action FROM audit").fetchall())
        assert actions == manifest["audit_actions"]
        status = pupil_status(con, date(2026, 11, 23), viewer=access.TRUSTED)
        assert sorted(status["pupil_id"]) == sorted(r[1] for r in manifest["tables"]["pupils"]["rows"])
        assert set(status["status"]) <= {"overdue", "no_review_date", "due_soon", "on_track", "not_applicable"}
        # an import made by the old version is listed, and can be undone from the before-images it kept
        imports = list_imports(con, viewer=access.TRUSTED)
        assert list(imports["import_id"]) == [1]
        undo(con, 1, "senco@willow.sch.uk", viewer=access.TRUSTED)
        assert con.execute("SELECT count(*) FROM pupils WHERE setting = 'Willow Primary'").fetchall()[0][0] == 0
        assert con.execute("SELECT count(*) FROM pupils WHERE setting = 'Old Oak Primary'").fetchall()[0][0] == 3
    finally:
        con.close()
    # opened again (read-only, as the status command does), nothing more to migrate
    again = store.connect(path, read_only=True)
    assert store.schema_version(again) == LATEST_VERSION
    again.close()


@pytest.mark.parametrize("stem", STEMS)
def test_a_backup_made_by_an_earlier_version_restores_with_nothing_lost(stem, tmp_path):
    manifest = _manifest(stem)
    path = _unpack("backup", stem, tmp_path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    info = backup.check_backup(path)
    assert info.version == manifest["schema_version"]
    assert info.pupils == len(manifest["tables"]["pupils"]["rows"])
    assert info.settings == ["Old Oak Primary", "Willow Primary"]

    con = store.connect(tmp_path / "today.duckdb")
    try:
        store.audit(con, "sign_in", "senco@oak.sch.uk", {"note": "today"})
        summary = backup.restore(con, path, access.TRUSTED)
        _assert_latest_schema(con)
        _assert_same_rows(con, manifest)
        assert summary.tables["pupils"] == info.pupils
        # the backup's audit rows are merged into today's log, and the restore is recorded
        actions = [r[0] for r in con.execute("SELECT action FROM audit ORDER BY logged_at").fetchall()]
        assert actions[-1] == "restore" and actions.count("sign_in") == 2 and "import" in actions
        assert hashlib.sha256(path.read_bytes()).hexdigest() == before, "the file offered was changed"
        # a backup of the restored database is one of today's, and restores again to the same rows
        again = backup.backup_to(con, tmp_path / "again.duckdb", access.TRUSTED)
        assert backup.check_backup(again).version == LATEST_VERSION
        store.clear_caseload(con)
        backup.restore(con, again, access.TRUSTED)
        _assert_same_rows(con, manifest)
    finally:
        con.close()


@pytest.mark.parametrize("stem", STEMS)
def test_a_backup_of_an_earlier_version_restores_over_a_database_of_another(stem, tmp_path):
    """Restored over a database that has other pupils (here: the other old version's, migrated): the backup's rows
    only, nothing of the other left, nothing of the backup missing."""
    others = [s for s in STEMS if s != stem]
    con = store.connect(_unpack("db", others[0], tmp_path))
    try:
        con.execute("INSERT INTO pupils (setting, pupil_id, sen_status) VALUES ('Elm Academy', 'X1', 'K')")
        backup.restore(con, _unpack("backup", stem, tmp_path), access.TRUSTED)
        _assert_same_rows(con, _manifest(stem))
        assert con.execute("SELECT count(*) FROM pupils WHERE setting = 'Elm Academy'").fetchall()[0][0] == 0
    finally:
        con.close()


def _database_at(version: int, path: Path) -> duckdb.DuckDBPyConnection:
    """A database as a program that knew only the first `version` migrations left it, with a few pupils."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description VARCHAR, "
                "applied_at TIMESTAMP DEFAULT current_timestamp)")
    for v, description, sql in MIGRATIONS[:version]:
        con.execute(sql)
        con.execute("INSERT INTO schema_version (version, description) VALUES (?, ?)", [v, description])
    con.execute("INSERT INTO settings VALUES ('Ash Infant', 'infant', 'Northmoor Council')")
    con.execute("""INSERT INTO pupils (setting, pupil_id, first_name, last_name, date_of_birth, sen_status, primary_need,
                                       date_identified, extra)
                   VALUES ('Ash Infant', 'A1', 'Amy', 'Ash', DATE '2020-02-02', 'K', 'SLCN', DATE '2024-09-09', '{"Group": "Owls"}'),
                          ('Ash Infant', 'A2', 'Bo', 'Bay', DATE '2019-12-12', 'E', 'ASD', DATE '2023-01-10', NULL),
                          ('Ash Infant', 'A3', 'Cy', 'Cole', DATE '2021-03-03', 'N', NULL, NULL, NULL)""")
    con.execute("""INSERT INTO plans (setting, pupil_id, plan_type, start_date) VALUES
                   ('Ash Infant', 'A1', 'sen_support', DATE '2024-09-09'), ('Ash Infant', 'A2', 'ehcp', DATE '2024-03-01')""")
    con.execute("""INSERT INTO reviews (setting, pupil_id, plan_type, review_date, kind, progress, next_review_date)
                   VALUES ('Ash Infant', 'A1', 'sen_support', DATE '2026-06-15', 'termly', 'less', DATE '2026-10-12'),
                          ('Ash Infant', 'A2', 'ehcp', DATE '2026-02-20', 'annual', 'expected', DATE '2027-02-19')""")
    con.execute("INSERT INTO audit (user_name, action, detail) VALUES ('senco@ash.sch.uk', 'demo', '{}')")
    return con


@pytest.mark.parametrize("version", range(1, LATEST_VERSION))
def test_every_earlier_schema_version_migrates_and_restores_with_nothing_lost(version, tmp_path):
    path = tmp_path / f"v{version}.duckdb"
    old = _database_at(version, path)
    old.execute("CHECKPOINT")
    manifest = dump(old, list(TABLES))
    old.close()
    copy = tmp_path / f"v{version}-backup.duckdb"
    copy.write_bytes(path.read_bytes())  # a backup file is a database file: the same bytes, offered for restore

    con = store.connect(path)
    try:
        _assert_latest_schema(con)
        _assert_same_rows(con, manifest)
    finally:
        con.close()

    assert backup.check_backup(copy).version == version
    fresh = store.connect(tmp_path / "fresh.duckdb")
    try:
        backup.restore(fresh, copy, access.TRUSTED)
        _assert_latest_schema(fresh)
        _assert_same_rows(fresh, manifest)
    finally:
        fresh.close()
    assert backup.check_backup(copy).version == version  # the file offered was not upgraded in place
