"""Turning sheets of text cells into typed, canonical rows — in DuckDB SQL, not Python loops.

Each sheet to import becomes a SELECT over its Arrow table; the sheets of one entity are unioned
into a temporary stage table holding, for every field, the raw text (`r_<field>`, for messages)
and the normalised value (`<field>`). Dates are day first (UK), Excel serial numbers are dates,
codes go through the synonym tables.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pyarrow as pa

from .fields import ENTITIES, Field, field
from .headers import IGNORE, SheetPlan
from .reading import Sheet
from .synonyms import BLANKS, NOT_A_PUPIL, YEAR_WORDS, norm_key, sql_norm_key, value_table


def q(text: object) -> str:
    """SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def ident(name: str) -> str:
    """SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


_BLANK_LIST = ", ".join(q(b) for b in BLANKS)
_SPACES = "' \t\n\r' || chr(160)"
# Pupil-sheet columns that make a one-row-per-pupil tracker, whose rows also become plans and reviews.
TRACKER_FIELDS = {"plan_type", "plan_start", "plan_end", "last_review_date", "next_review_date", "review_kind", "progress",
                  "decision", "parent_attended", "child_contributed", "invitations_sent", "reports_received"}


def clean_sql(col: str) -> str:
    """A cell's text, trimmed (also of non-breaking spaces); null when it means 'nothing recorded'."""
    t = f"trim({col}, {_SPACES})"
    return f"CASE WHEN list_contains([{_BLANK_LIST}], lower({t})) THEN NULL ELSE {t} END"


def _map_literal(pairs: dict[str, str]) -> str:
    return "MAP {" + ", ".join(f"{q(k)}: {q(v)}" for k, v in sorted(pairs.items())) + "}"


def _vocab_maps() -> dict[str, str]:
    maps: dict[str, dict[str, str]] = {}
    for vocab, key, code in value_table():
        maps.setdefault(vocab, {})[key] = code
    return {v: _map_literal(m) for v, m in maps.items()}


VOCAB_SQL = _vocab_maps()
YEAR_SQL = _map_literal({norm_key(k): v for k, v in YEAR_WORDS.items()})
TEXT_MONTH_FORMATS = "['%d %B %Y', '%d %b %Y', '%d %B %y', '%d %b %y', '%B %d %Y', '%b %d %Y', '%A %d %B %Y', '%a %d %b %Y']"


def date_sql(r: str) -> str:
    """Day-first text, ISO text (how fastexcel writes date cells) or an Excel serial number, to DATE."""
    return f"""(CASE
        WHEN {r} IS NULL THEN NULL
        WHEN regexp_matches({r}, '^\\d{{4}}-\\d{{1,2}}-\\d{{1,2}}([ T].*)?$')
            THEN CAST(try_strptime(regexp_extract({r}, '^(\\d{{4}}-\\d{{1,2}}-\\d{{1,2}})', 1), '%Y-%m-%d') AS DATE)
        WHEN regexp_matches({r}, '^\\d{{1,2}}[/.\\- ]\\d{{1,2}}[/.\\- ]\\d{{4}}$')
            THEN CAST(try_strptime(regexp_replace({r}, '[.\\- ]', '/', 'g'), '%d/%m/%Y') AS DATE)
        WHEN regexp_matches({r}, '^\\d{{1,2}}[/.\\- ]\\d{{1,2}}[/.\\- ]\\d{{2}}$')
            THEN CAST(try_strptime(regexp_replace({r}, '[.\\- ]', '/', 'g'), '%d/%m/%y') AS DATE)
        WHEN regexp_matches({r}, '^\\d{{1,6}}(\\.\\d+)?$')
            THEN CASE WHEN TRY_CAST({r} AS DOUBLE) BETWEEN 1 AND 109574
                      THEN DATE '1899-12-30' + CAST(floor(TRY_CAST({r} AS DOUBLE)) AS INTEGER) END
        ELSE CAST(try_strptime(regexp_replace(regexp_replace({r}, '(\\d)(st|nd|rd|th)\\b', '\\1', 'gi'), '[,\\s]+', ' ', 'g'),
                               {TEXT_MONTH_FORMATS}) AS DATE)
    END)"""


def year_sql(r: str) -> str:
    """'Yr 6', 'Year 6', 'Y6', '6', '6.0' -> '6'; R, N1, N2 and their words; 0 is Reception."""
    k = sql_norm_key(r)
    n = f"TRY_CAST(regexp_extract({k}, '^(?:year|yr|y|ncy|nc|nc year|grade)? ?(-?\\d{{1,2}})(?: 0)?$', 1) AS INTEGER)"
    return f"""(CASE WHEN {r} IS NULL THEN NULL
        WHEN {YEAR_SQL}[{k}] IS NOT NULL THEN {YEAR_SQL}[{k}]
        WHEN {n} = -2 THEN 'N1' WHEN {n} = -1 THEN 'N2' WHEN {n} = 0 THEN 'R'
        WHEN {n} BETWEEN 1 AND 14 THEN CAST({n} AS VARCHAR) END)"""


def norm_sql(f: Field, r: str) -> str:
    """SQL for the normalised value of field `f` from its cleaned raw text `r`."""
    if f.kind == "date":
        return date_sql(r)
    if f.kind == "year":
        return year_sql(r)
    if f.kind == "number":
        return f"TRY_CAST(replace(replace({r}, '%', ''), ',', '') AS DOUBLE)"
    if f.kind == "bool":
        return f"CAST({VOCAB_SQL['bool']}[{sql_norm_key(r)}] AS BOOLEAN)"
    if f.vocab == "need":
        k = sql_norm_key(r)
        m = VOCAB_SQL["need"]
        return f"coalesce({m}[{k}], {m}[split_part({k}, ' ', 1)], {m}[regexp_extract({r}, '\\(([^)]*)\\)', 1).lower().trim()])"
    if f.vocab:
        return f"{VOCAB_SQL[f.vocab]}[{sql_norm_key(r)}]"
    if f.kind == "id":
        return f"regexp_replace({r}, '\\s+', '', 'g')"
    return f"regexp_replace({r}, '\\s+', ' ', 'g')"


@dataclass
class Stage:
    """The temporary stage tables of one import run (dropped by `close`)."""

    cur: duckdb.DuckDBPyConnection
    prefix: str
    tables: dict[str, str]            # entity -> temp table name
    views: list[str]

    def close(self) -> None:
        for t in self.tables.values():
            self.cur.execute(f"DROP TABLE IF EXISTS {t}")
        for v in self.views:
            with contextlib.suppress(Exception):  # already gone
                self.cur.unregister(v)


def name_split_sql(name: str) -> tuple[str, str]:
    """(first, last) from 'Surname, Forename', 'SURNAME Forename' or 'Forename Surname'."""
    comma = f"position(',' IN {name}) > 0"
    caps = f"regexp_matches({name}, '^[A-Z][A-Z''\\-]+ .*[a-z]')"
    first = f"""(CASE WHEN {name} IS NULL THEN NULL
        WHEN {comma} THEN nullif(trim(substr({name}, position(',' IN {name}) + 1)), '')
        WHEN {caps} THEN trim(substr({name}, position(' ' IN {name}) + 1))
        WHEN position(' ' IN {name}) > 0 THEN trim(regexp_replace({name}, ' +[^ ]+$', ''))
        END)"""
    last = f"""(CASE WHEN {name} IS NULL THEN NULL
        WHEN {comma} THEN trim(split_part({name}, ',', 1))
        WHEN {caps} THEN split_part({name}, ' ', 1)
        ELSE regexp_extract({name}, '([^ ]+)$', 1) END)"""
    return first, last


def build_stage(cur: duckdb.DuckDBPyConnection, items: list[tuple[int, SheetPlan, Sheet]], default_setting: str | None,
                templates_notes: dict[str, str] | None = None) -> Stage:
    """Create one temp table per entity from the sheets to import; return their names."""
    prefix = "imp_" + uuid.uuid4().hex[:10]
    selects: dict[str, list[str]] = {}
    lookups: list[str] = []
    views: list[str] = []
    for n, (file_idx, plan, sheet) in enumerate(items):
        entity = plan.entity
        assert entity is not None and plan.header_row is not None
        data = sheet.table.slice(plan.header_row + 1)
        rows = np.arange(plan.header_row + 2, plan.header_row + 2 + data.num_rows, dtype=np.int64)
        data = data.append_column("_row", pa.array(rows))
        view = f"{prefix}_v{n}"
        cur.register(view, data)
        views.append(view)
        mapped = plan.fields()
        used = [c for c in plan.columns if c.field != IGNORE]
        k = {c.index: ident(f"k{c.index}") for c in used}        # cleaned cell of column c
        cols = []
        for f in ENTITIES[entity]:
            c = mapped.get(f.name)
            cols.append(f"{k[c.index] if c else 'CAST(NULL AS VARCHAR)'} AS {ident('r_' + f.name)}")
        extras = [c for c in plan.columns if c.field is None]
        if entity == "pupils":
            if extras:
                entries = ", ".join(f"struct_pack(k := {q(c.header)}, v := {k[c.index]})" for c in extras)
                cols.append(f"nullif(to_json(map_from_entries(list_filter([{entries}], lambda x: x.v IS NOT NULL))), '{{}}') AS r_extra")
            else:
                cols.append("CAST(NULL AS VARCHAR) AS r_extra")
        any_cell = "coalesce(" + ", ".join(k.values()) + ")" if used else "NULL"
        ident_cell = "coalesce(" + ", ".join(
            [k[mapped[f].index] for f in ("pupil_id", "name", "last_name", "first_name") if f in mapped] + [any_cell]) + ")"
        note = (templates_notes or {}).get(entity)
        skip_note = skip_example = ""
        if "pupil_id" in mapped:
            id_cell = k[mapped["pupil_id"].index]
            skip_example = f" OR coalesce(upper({id_cell}) LIKE 'EXAMPLE%', FALSE)"
            if note:
                skip_note = f" OR coalesce({id_cell} = {q(note)}, FALSE)"
        trimmed = ", ".join(f"trim({ident(f'c{c.index}')}, {_SPACES}) AS {ident(f't{c.index}')}" for c in used)
        cleaned = ", ".join(f"CASE WHEN list_contains([{_BLANK_LIST}], lower({ident(f't{c.index}')})) "
                            f"THEN NULL ELSE {ident(f't{c.index}')} END AS {k[c.index]}" for c in used)
        selects.setdefault(entity, []).append(f"""
            SELECT {file_idx} AS _file, {q(plan.sheet)} AS _sheet, _row, {'TRUE' if 'pupil_id' in mapped else 'FALSE'} AS _has_id,
                {'TRUE' if set(mapped) & TRACKER_FIELDS else 'FALSE'} AS _tracker,
                {', '.join(cols)}
                , ({any_cell} IS NULL OR coalesce(regexp_matches({ident_cell}, {q(NOT_A_PUPIL)}, 'i'), FALSE){skip_note}{skip_example})
                  AS _drop
            FROM (SELECT _row, {cleaned} FROM (SELECT _row, {trimmed} FROM {view}))""")
    tables = {}
    for entity, parts in selects.items():
        table = f"{prefix}_{entity}"
        raw = f"{table}_raw"
        union = " UNION ALL BY NAME ".join(f"({p})" for p in parts)
        cur.execute(f"CREATE TEMP TABLE {raw} AS {union}")
        # Coded values, dates and year groups repeat a lot: normalise each distinct text once, then join.
        joins, norm = [], []
        for n, f in enumerate(ENTITIES[entity]):
            if f.name == "setting":
                continue
            r = ident("r_" + f.name)
            if f.kind in ("text", "id", "name"):
                norm.append(f"{norm_sql(f, 's.' + r)} AS {ident(f.name)}")
                continue
            lk = f"{table}_lk{n}"
            cur.execute(f"CREATE TEMP TABLE {lk} AS SELECT raw, {norm_sql(f, 'raw')} AS v "
                        f"FROM (SELECT DISTINCT {r} AS raw FROM {raw} WHERE {r} IS NOT NULL)")
            lookups.append(lk)
            joins.append(f"LEFT JOIN {lk} ON {lk}.raw = s.{r}")
            norm.append(f"{lk}.v AS {ident(f.name)}")
        setting = (f"coalesce(regexp_replace(s.r_setting, '\\s+', ' ', 'g'), "
                   f"{q(default_setting) if default_setting else 'NULL'}) AS setting")
        cur.execute(f"CREATE TEMP TABLE {table} AS SELECT s.* EXCLUDE (_drop), {setting}, {', '.join(norm)} "
                    f"FROM {raw} s {' '.join(joins)} WHERE NOT s._drop")
        cur.execute(f"DROP TABLE {raw}")
        tables[entity] = table
    for lk in lookups:
        cur.execute(f"DROP TABLE {lk}")
    if "pupils" in tables:
        _derive_pupil_columns(cur, tables["pupils"])
    return Stage(cur, prefix, tables, views)


def _derive_pupil_columns(cur: duckdb.DuckDBPyConnection, table: str) -> None:
    """Split a single Name column; identify pupils by name and birth date when a sheet has no id column."""
    first, last = name_split_sql("name")
    cur.execute(f"""UPDATE {table} SET
            first_name = coalesce(first_name, {first}),
            last_name = coalesce(last_name, {last})
        WHERE name IS NOT NULL""")
    cur.execute(f"""UPDATE {table} SET pupil_id = upper(regexp_replace(
            concat_ws('-', last_name, first_name, strftime(date_of_birth, '%Y%m%d')), '[^A-Za-z0-9-]+', '', 'g'))
        WHERE NOT _has_id AND pupil_id IS NULL AND last_name IS NOT NULL AND date_of_birth IS NOT NULL""")


def today_sql(today: date) -> str:
    return f"DATE {q(today.isoformat())}"


__all__ = ["Stage", "build_stage", "date_sql", "year_sql", "norm_sql", "clean_sql", "field", "q", "ident", "today_sql"]
