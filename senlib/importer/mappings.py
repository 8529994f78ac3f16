"""Column mappings a SENCo corrected, remembered for the next file with the same headings."""

from __future__ import annotations

import json

import duckdb

from senlib.importer.headers import SheetPlan


def remembered_mappings(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """signature -> mapping {heading: field, "__entity__": entity} of every remembered sheet layout."""
    rows = con.cursor().execute("SELECT signature, mapping, entity FROM import_mappings").fetchall()
    return {sig: {**json.loads(m), "__entity__": e} for sig, m, e in rows}


def remember_mapping(con: duckdb.DuckDBPyConnection, plan: SheetPlan) -> None:
    """Store a sheet's (edited) mapping under its headings' signature; the latest wins."""
    cur = con.cursor()
    cur.execute("""INSERT OR REPLACE INTO import_mappings (signature, headers, mapping, entity, updated_at)
        VALUES (?, ?, ?, ?, current_timestamp)""",
                [plan.signature, json.dumps([c.header for c in plan.columns]), json.dumps(plan.mapping), plan.entity])


def forget_mapping(con: duckdb.DuckDBPyConnection, signature: str) -> None:
    """Drop a remembered mapping (the automatic one applies again)."""
    con.cursor().execute("DELETE FROM import_mappings WHERE signature = ?", [signature])
