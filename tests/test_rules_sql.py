"""`python -m senlib status --sql` prints the statement the status command runs, instead of running it."""

from __future__ import annotations

import duckdb
import pandas as pd

from senlib import access, store
from senlib.cli import main
from senlib.rules import pupil_status, set_override

from .conftest import AS_OF


def _sql(capsys, db) -> str:
    code = main(["status", "--db", str(db), "--as-of", AS_OF.isoformat(), "--sql"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


def test_status_sql_prints_the_whole_evaluation_as_one_statement(demo_db, capsys):
    sql = _sql(capsys, demo_db)
    assert sql.startswith("-- python -m senlib status --as-of 2026-11-23")
    body = sql[sql.index("\nWITH\n") + 1:]
    # one statement, every layer in it, nothing left to bind: it runs as printed
    assert len(duckdb.extract_statements(sql)) == 1
    for cte in ("stg_policy AS", "fct_pupils AS", "rule_due AS", "rule_flags AS", "mart_results AS"):
        assert cte in body
    assert "$" not in body.replace("$as_of", "") and "$as_of" not in body
    assert "-- consider_pcp_msp: " in body and "DATE '2026-11-23'" in body


def test_the_printed_statement_gives_what_the_status_command_reads(demo_db, capsys):
    con = store.connect(demo_db)
    set_override(con, "ehcp_annual", "months", 10, setting="Little Acorns Nursery", user="test")  # a setting's own value
    con.close()
    sql = _sql(capsys, demo_db)
    with duckdb.connect(str(demo_db), read_only=True) as raw:
        printed = raw.execute(sql).df()
    con = store.connect(demo_db, read_only=True)
    expected = pupil_status(con, AS_OF, viewer=access.TRUSTED)
    key = ["setting", "pupil_id"]
    a = printed[[*key, "status", "due_date", "cadence_rule"]].sort_values(key).reset_index(drop=True)
    b = expected[[*key, "status", "due_date", "cadence_rule"]].sort_values(key).reset_index(drop=True)
    assert len(a) == 1500
    pd.testing.assert_frame_equal(a.astype(str), b.astype(str))
