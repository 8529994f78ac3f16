from pathlib import Path

import duckdb
import pytest

from senlib import store
from senlib.core.errors import DatabaseError
from senlib.store.schema import LATEST_VERSION


def test_new_database_is_migrated_to_latest(tmp_path):
    con = store.connect(tmp_path / "a.duckdb")
    assert store.schema_version(con) == LATEST_VERSION
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"pupils", "plans", "reviews", "outcomes", "scores", "ehc_requests", "imports", "audit", "schema_version"} <= tables


def test_migrations_are_idempotent(tmp_path):
    path = tmp_path / "a.duckdb"
    con = store.connect(path)
    con.execute("INSERT INTO pupils (setting, pupil_id, sen_status) VALUES ('S', 'P1', 'K')")
    con.close()
    for _ in range(3):
        con = store.connect(path)
        assert store.migrate(con) == LATEST_VERSION
        assert con.execute("SELECT count(*) FROM schema_version").fetchall()[0][0] == LATEST_VERSION
        assert con.execute("SELECT count(*) FROM pupils").fetchall()[0][0] == 1
        con.close()


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "a.duckdb"
    con = store.connect(path)
    con.execute("INSERT INTO schema_version (version, description) VALUES (?, 'future')", [LATEST_VERSION + 1])
    con.close()
    with pytest.raises(DatabaseError, match="newer version"):
        store.connect(path)


def test_not_a_database_is_refused(tmp_path):
    path = tmp_path / "notes.duckdb"
    path.write_bytes(b"this is a shopping list, not a database" * 100)
    with pytest.raises(DatabaseError, match="not a database"):
        store.connect(path)


def test_db_path_precedence(monkeypatch, tmp_path):
    monkeypatch.delenv(store.DB_ENV, raising=False)
    assert store.db_path() == store.DEFAULT_DB
    monkeypatch.setenv(store.DB_ENV, str(tmp_path / "env.duckdb"))
    assert store.db_path() == tmp_path / "env.duckdb"
    assert store.db_path(tmp_path / "arg.duckdb") == tmp_path / "arg.duckdb"


def test_audit_records_action(tmp_path):
    con = store.connect(tmp_path / "a.duckdb")
    store.audit(con, "export", "senco@example.org", {"rows": 3})
    rows = con.execute("SELECT user_name, action, detail->>'rows' FROM audit").fetchall()
    assert rows == [("senco@example.org", "export", "3")]


def test_is_empty(tmp_path):
    con = store.connect(tmp_path / "a.duckdb")
    assert store.is_empty(con)
    con.execute("INSERT INTO pupils (setting, pupil_id) VALUES ('S', 'P1')")
    assert not store.is_empty(con)
    assert isinstance(con, duckdb.DuckDBPyConnection)


def test_transaction_commits_rolls_back_on_error_and_on_a_dry_run(tmp_path):
    """One context manager for every all-or-nothing change (no hand-written BEGIN/ROLLBACK blocks left in senlib)."""
    import re

    con = store.connect(tmp_path / "t.duckdb")
    try:
        con.execute("CREATE TABLE t (x INTEGER)")
        with store.transaction(con):
            con.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(ZeroDivisionError), store.transaction(con):
            con.execute("INSERT INTO t VALUES (2)")
            raise ZeroDivisionError
        with store.transaction(con, keep=False):
            con.execute("INSERT INTO t VALUES (3)")
        assert con.execute("SELECT list(x) FROM t").fetchone()[0] == [1]
    finally:
        con.close()
    root = Path(store.__file__).parents[1]  # senlib: every module but the one that defines store.transaction
    hand_written = [str(p.relative_to(root)) for p in root.rglob("*.py") if p != Path(store.__file__)
                    and re.search(r"BEGIN TRANSACTION|execute\(\"(COMMIT|ROLLBACK)", p.read_text())]
    assert hand_written == []
