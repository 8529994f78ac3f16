"""Backup and restore: a consistent copy, a checked file, all or nothing, and the audit log kept."""

from __future__ import annotations

import os

import duckdb
import pytest

from senlib import cli, store
from senlib.access import GOVERNOR, LEADER, SENCO, AccessDenied, Viewer, local_viewer
from senlib.cli.context import login_name
from senlib.store import backup
from senlib.store.backup import RestoreRefused
from senlib.store.schema import LATEST_VERSION, MIGRATIONS

SENCO_VIEWER = Viewer(SENCO, "senco@oak.sch.uk")


def counts(con) -> dict[str, int]:
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
            for t in ("pupils", "plans", "reviews", "outcomes", "scores", "ehc_requests", "settings", "imports")}


def test_round_trip(demo_con, tmp_path):
    before = counts(demo_con)
    demo_con.execute("INSERT INTO imports (user_name, file_name) VALUES ('senco', 'tracker.xlsx')")
    max_id = demo_con.execute("SELECT max(import_id) FROM imports").fetchall()[0][0]
    before = counts(demo_con)
    out = backup.backup_to(demo_con, tmp_path / "b.duckdb", SENCO_VIEWER)
    info = backup.check_backup(out)
    assert info.version == LATEST_VERSION and info.pupils == before["pupils"] and len(info.settings) == 3
    assert "pupils" in info.describe()

    # Things go wrong after the backup ...
    store.clear_caseload(demo_con)
    demo_con.execute("DELETE FROM imports")
    store.audit(demo_con, "undo", "senco@oak.sch.uk", {"import_id": 1})
    audit_before = demo_con.execute("SELECT count(*) FROM audit").fetchall()[0][0]

    summary = backup.restore(demo_con, out, SENCO_VIEWER)
    assert counts(demo_con) == before
    assert summary.tables["pupils"] == before["pupils"]
    # ... the audit log keeps everything that happened since, and records the restore.
    actions = [r[0] for r in demo_con.execute("SELECT action FROM audit ORDER BY logged_at").fetchall()]
    assert "undo" in actions and actions[-1] == "restore" and "backup" in actions
    assert demo_con.execute("SELECT count(*) FROM audit").fetchall()[0][0] == audit_before + 1
    restored = demo_con.execute("SELECT user_name, detail->>'file' FROM audit WHERE action = 'restore'").fetchall()
    assert restored == [("senco@oak.sch.uk", "b.duckdb")]
    # New imports never reuse an id the backup holds.
    new_id = demo_con.execute("INSERT INTO imports (user_name) VALUES ('x') RETURNING import_id").fetchall()[0][0]
    assert new_id > max_id


def test_backup_bytes_is_a_database_with_the_same_data(demo_con, tmp_path):
    data = backup.backup_bytes(demo_con, SENCO_VIEWER)
    path = tmp_path / "download.duckdb"
    path.write_bytes(data)
    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT count(*) FROM pupils").fetchall() == demo_con.execute("SELECT count(*) FROM pupils").fetchall()
    assert store.schema_version(con) == LATEST_VERSION
    con.close()
    assert demo_con.execute("SELECT count(*) FROM audit WHERE action = 'backup'").fetchall()[0][0] == 1


def test_restoring_into_an_empty_database(demo_db, tmp_path):
    con = store.connect(demo_db)
    out = backup.backup_to(con, tmp_path / "b.duckdb", SENCO_VIEWER)
    expected = counts(con)
    con.close()
    fresh = store.connect(tmp_path / "new.duckdb")
    backup.restore(fresh, out, local_viewer())
    assert counts(fresh) == expected
    fresh.close()


# --- refusals: nothing changes ---------------------------------------------------------------------

def _refused(con, path, match: str) -> None:
    before = counts(con)
    with pytest.raises(RestoreRefused, match=match) as err:
        backup.restore(con, path, SENCO_VIEWER)
    assert err.value.fix
    assert counts(con) == before
    assert con.execute("SELECT count(*) FROM audit WHERE action = 'restore'").fetchall()[0][0] == 0


def test_random_bytes_are_refused(demo_con, tmp_path):
    path = tmp_path / "random.duckdb"
    path.write_bytes(os.urandom(64 * 1024))
    _refused(demo_con, path, "not a DuckDB database")
    (tmp_path / "empty.duckdb").write_bytes(b"")
    _refused(demo_con, tmp_path / "empty.duckdb", "not a DuckDB database")
    (tmp_path / "tracker.xlsx").write_bytes(b"PK\x03\x04" + os.urandom(1000))
    _refused(demo_con, tmp_path / "tracker.xlsx", "not a DuckDB database")


def test_damaged_database_is_refused(demo_con, tmp_path):
    good = backup.backup_to(demo_con, tmp_path / "good.duckdb", SENCO_VIEWER)
    data = bytearray(good.read_bytes())
    data[4096:] = os.urandom(len(data) - 4096)  # keep the header, destroy everything else
    bad = tmp_path / "damaged.duckdb"
    bad.write_bytes(bytes(data))
    _refused(demo_con, bad, "damaged|cannot be read|newer version")


def test_foreign_database_is_refused(demo_con, tmp_path):
    path = tmp_path / "other.duckdb"
    other = duckdb.connect(str(path))
    other.execute("CREATE TABLE customers (id INTEGER, name VARCHAR)")
    other.close()
    _refused(demo_con, path, "not one made by this dashboard")


def test_incomplete_database_is_refused(demo_con, tmp_path):
    path = tmp_path / "partial.duckdb"
    other = duckdb.connect(str(path))
    other.execute("CREATE TABLE schema_version (version INTEGER, description VARCHAR, applied_at TIMESTAMP)")
    other.execute("INSERT INTO schema_version VALUES (1, 'x', now())")
    other.execute("CREATE TABLE pupils (setting VARCHAR, pupil_id VARCHAR)")
    other.close()
    _refused(demo_con, path, "not a complete backup")


def test_a_view_in_place_of_a_table_is_refused(demo_con, tmp_path):
    # A crafted file whose 'pupils' is a view (which could read files on the server) is not one of ours.
    path = tmp_path / "crafted.duckdb"
    other = duckdb.connect(str(path))
    other.execute(MIGRATIONS[0][2])
    other.execute("CREATE TABLE schema_version (version INTEGER, description VARCHAR, applied_at TIMESTAMP)")
    other.execute("INSERT INTO schema_version VALUES (1, 'x', now())")
    other.execute("DROP TABLE pupils")
    other.execute("CREATE VIEW pupils AS SELECT 'S' AS setting, 'P' AS pupil_id")
    other.close()
    _refused(demo_con, path, "lacks table pupils")


def test_newer_schema_is_refused(demo_con, tmp_path):
    out = backup.backup_to(demo_con, tmp_path / "b.duckdb", SENCO_VIEWER)
    con = duckdb.connect(str(out))
    con.execute("INSERT INTO schema_version (version, description) VALUES (?, 'from the future')", [LATEST_VERSION + 1])
    con.close()
    _refused(demo_con, out, "newer version of this program")


def test_older_schema_is_upgraded_in_a_copy(demo_con, tmp_path):
    path = tmp_path / "v1.duckdb"
    old = duckdb.connect(str(path))
    old.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMP DEFAULT current_timestamp)")
    old.execute(MIGRATIONS[0][2])
    old.execute("INSERT INTO schema_version (version, description) VALUES (1, 'v1')")
    old.execute("INSERT INTO pupils (setting, pupil_id, sen_status) VALUES ('Oak', 'P1', 'K'), ('Oak', 'P2', 'E')")
    old.close()
    assert backup.check_backup(path).version == 1
    backup.restore(demo_con, path, SENCO_VIEWER)
    assert demo_con.execute("SELECT count(*) FROM pupils").fetchall()[0][0] == 2
    assert store.schema_version(demo_con) == LATEST_VERSION
    assert backup.check_backup(path).version == 1  # the file offered was not changed


def test_restore_is_all_or_nothing(demo_con, tmp_path):
    # A backup that passes the checks but whose rows break the live database's keys half way through.
    path = tmp_path / "dupes.duckdb"
    bad = duckdb.connect(str(path))
    bad.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description VARCHAR, applied_at TIMESTAMP DEFAULT current_timestamp)")
    bad.execute(MIGRATIONS[0][2].replace("PRIMARY KEY (setting, pupil_id)", "UNIQUE (setting, pupil_id, first_name)"))
    bad.execute("INSERT INTO schema_version (version, description) VALUES (1, 'v1')")
    bad.execute("INSERT INTO settings VALUES ('Oak', 'primary', 'Kent')")
    bad.execute("INSERT INTO pupils (setting, pupil_id, first_name) VALUES ('Oak', 'P1', 'A'), ('Oak', 'P1', 'B')")
    bad.close()
    before = counts(demo_con)
    with pytest.raises(Exception, match="nothing was changed"):
        backup.restore(demo_con, path, SENCO_VIEWER)
    assert counts(demo_con) == before
    assert demo_con.execute("SELECT count(*) FROM audit WHERE action = 'restore'").fetchall()[0][0] == 0


# --- who may ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("viewer", [
    Viewer(LEADER, "head@oak.sch.uk"), Viewer(GOVERNOR, "chair@gmail.com"),
    Viewer(SENCO, "senco@ash.sch.uk", frozenset({"Ash"})),  # a SENCo limited to one setting of a trust
])
def test_only_a_senco_with_every_setting_may_back_up_or_restore(demo_con, tmp_path, viewer):
    out = backup.backup_to(demo_con, tmp_path / "b.duckdb", SENCO_VIEWER)
    with pytest.raises(AccessDenied):
        backup.backup_to(demo_con, tmp_path / "c.duckdb", viewer)
    with pytest.raises(AccessDenied):
        backup.backup_bytes(demo_con, viewer)
    with pytest.raises(AccessDenied):
        backup.restore(demo_con, out, viewer)
    assert not (tmp_path / "c.duckdb").exists()


# --- command line ----------------------------------------------------------------------------------

def test_cli_backup_and_restore(demo_db, tmp_path, capsys):
    out = tmp_path / "cli.duckdb"
    assert cli.main(["backup", str(out), "--db", str(demo_db)]) == cli.EXIT_OK
    assert "Backup written" in capsys.readouterr().out
    con = store.connect(demo_db)
    expected = counts(con)
    store.clear_caseload(con)
    con.close()
    assert cli.main(["restore", str(out), "--yes", "--db", str(demo_db)]) == cli.EXIT_OK
    assert "Restored" in capsys.readouterr().out
    con = store.connect(demo_db)
    assert counts(con) == expected
    assert con.execute("SELECT user_name FROM audit WHERE action = 'restore'").fetchall() == [(login_name(),)]  # 'jo (command line)'
    con.close()


def test_cli_backup_into_a_folder_uses_a_dated_name(demo_db, tmp_path):
    assert cli.main(["backup", str(tmp_path), "--db", str(demo_db)]) == cli.EXIT_OK
    assert [p.name for p in tmp_path.glob("sen-caseload-backup-*.duckdb")]


def test_cli_restore_refuses_a_foreign_file(demo_db, tmp_path, capsys):
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"not a database" * 100)
    assert cli.main(["restore", str(junk), "--yes", "--db", str(demo_db)]) == cli.EXIT_REFUSED
    err = capsys.readouterr().err
    assert "not a backup from this dashboard" in err and "How to fix" in err
