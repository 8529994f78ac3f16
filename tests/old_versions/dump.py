"""What a database holds, table by table, as plain JSON-ready values: written by the old versions (make.py runs it
inside their code) and read back by today's (tests/test_old_versions.py) to check nothing was lost. duckdb only."""

from __future__ import annotations

# Tables compared, each with the order its rows are listed in: the caseload and everything a restore brings back.
TABLES = {
    "settings": "setting", "pupils": "setting, pupil_id", "plans": "setting, pupil_id, plan_type",
    "reviews": "setting, pupil_id, review_date", "outcomes": "setting, pupil_id, outcome_id",
    "scores": "setting, pupil_id, outcome_id, score_date", "ehc_requests": "setting, pupil_id, requested",
    "imports": "import_id", "pupil_changes": "import_id, setting, pupil_id, field",
    "import_row_changes": "import_id, table_name, CAST(before AS VARCHAR)", "import_mappings": "signature",
    "import_fields": "import_id, setting, entity, field", "rule_overrides": "setting, local_authority, rule_id, param",
    "governor_commentary": "scope", "provisions": "setting, provision_id",
    "pupil_provisions": "setting, pupil_id, provision_id, start_date", "role_costs": "setting, role",
}
# Left out: times the database stamped when the row was written, and the uploaded file's bytes (compared by hash).
SKIP_COLUMNS = {"updated_at", "created_at", "changed_at", "logged_at", "undone_at", "written_at", "file_bytes"}


def dump(con, tables: list[str] | None = None) -> dict:
    """{'schema_version', 'tables': {table: {'columns', 'rows'}}, 'file_sha256', 'audit_actions'}; every value as text.
    Only the tables the database has (of `tables`, default TABLES)."""
    have = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_catalog = current_database()"
    ).fetchall()}
    out: dict = {"schema_version": con.execute("SELECT max(version) FROM schema_version").fetchall()[0][0], "tables": {}}
    for table in tables or TABLES:
        if table not in have:
            continue
        cols = [r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? AND table_catalog = current_database()"
            " ORDER BY ordinal_position", [table]).fetchall() if r[0] not in SKIP_COLUMNS]
        select = ", ".join(f'CAST("{c}" AS VARCHAR)' for c in cols)
        rows = con.execute(f"SELECT {select} FROM {table} ORDER BY {TABLES[table]}").fetchall()
        out["tables"][table] = {"columns": cols, "rows": [list(r) for r in rows]}
    out["file_sha256"] = [r[0] for r in con.execute("SELECT sha256(file_bytes) FROM imports ORDER BY import_id").fetchall()]
    out["audit_actions"] = sorted(r[0] for r in con.execute("SELECT action FROM audit").fetchall())
    return out
