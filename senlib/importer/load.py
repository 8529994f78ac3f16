"""Writing an accepted upload into the store in one transaction, and undoing it.

Pupils: new ones are added; for known ones, every non-blank value that differs replaces the old one
(latest wins) and the old value is kept in `pupil_changes`; a blank cell never erases anything.
Plans, reviews, outcomes, scores and EHC requests are matched on their key (fields.KEYS): new rows
are added, changed rows are updated with a before-image in `import_row_changes`. Nothing is deleted.
Undo puts back exactly what the import changed.
"""

from __future__ import annotations

import json
import uuid
from datetime import date

import duckdb
import pandas as pd

from senlib import access, store
from senlib.core.errors import InputError
from senlib.core.text import counted
from senlib.importer.headers import IGNORE
from senlib.importer.normalise import ident, q, today_sql
from senlib.importer.problems import ImportRefused, refuse
from senlib.store import setting_details
from senlib.store.fields import ENTITIES, KEYS, feeds, sql_type

PUPIL_FIELDS = ["first_name", "last_name", "date_of_birth", "year_group", "class", "sen_status", "primary_need",
                "secondary_need", "local_authority", "key_worker", "date_identified", "leaving_date"]
CHILD_TABLES = ["plans", "reviews", "outcomes", "scores", "ehc_requests", "provisions", "pupil_provisions",
                "review_invitees", "review_actions"]
# How undo tells which imports built on which: a provision counts as a "pupil" of its own in touched_pupils_sql.
PROVISION_TOUCH = "'(provision) ' || provision_id"
NEW_PUPIL = "(new pupil)"
GRADUATED = ("pupil_profile", "sen_support", "my_support_plan", "ehcp")   # an IHCP runs alongside these


def _value_columns(table: str) -> list[str]:
    return [f.name for f in ENTITIES[table] if f.name not in KEYS[table]]


def accepted_tables(cur: duckdb.DuckDBPyConnection, tables: dict[str, str], rejected: str, prefix: str) -> dict[str, str]:
    """Stage rows without errors, one per key (the first wins; duplicates were checked to agree). A pupil on several
    rows (a review log) becomes one row, each field from the latest row that has it; "pupil_rows" then holds every
    accepted row, for the reviews each row records."""
    out = {}
    any_rejected = cur.execute(f"SELECT count(*) FROM {rejected}").fetchall()[0][0] > 0
    for entity, table in tables.items():
        name = f"{prefix}_acc_{entity}"
        key = ", ".join(ident(k) for k in KEYS[entity])
        raw = ", ".join(ident("r_" + f.name) for f in ENTITIES[entity])  # the raw text is only for messages
        dups = cur.execute(f"SELECT count(*) - count(DISTINCT ({key})) FROM {table}").fetchall()[0][0] > 0
        not_rejected = (f"AND NOT EXISTS (SELECT 1 FROM {rejected} r WHERE r._file = s._file AND r._sheet = s._sheet "
                        f"AND r._row = s._row)") if any_rejected else ""
        who = "provision_id" if entity == "provisions" else "pupil_id"
        select = f"""SELECT s.* EXCLUDE ({raw}), m.import_id
            FROM {table} s JOIN {prefix}_fmap m USING (_file)
            WHERE s.{who} IS NOT NULL AND s.setting IS NOT NULL {not_rejected}"""
        if entity == "pupils" and dups:
            cur.execute(f"CREATE TEMP TABLE {name}_rows AS {select}")
            _merge_pupil_rows(cur, f"{name}_rows", name)
            out["pupil_rows"] = f"{name}_rows"
        else:
            first = f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY s._file, s._sheet, s._row) = 1" if dups else ""
            kind = "TABLE" if (dups or any_rejected) else "VIEW"   # a view costs no copy when every row goes in
            cur.execute(f"CREATE TEMP {kind} {name} AS {select} {first}")
        out[entity] = name
    return out


def _merge_pupil_rows(cur: duckdb.DuckDBPyConnection, rows: str, name: str) -> None:
    """One row per pupil: each column from the latest row (normalise.PUPIL_ROW_ORDER) where it is not blank."""
    from senlib.importer.normalise import PUPIL_ROW_ORDER

    cols = [r[0] for r in cur.execute(f"SELECT column_name FROM (DESCRIBE {rows})").fetchall()
            if r[0] not in ("setting", "pupil_id")]
    picks = ", ".join(f"arg_min({ident(c)}, _rank) FILTER (WHERE {ident(c)} IS NOT NULL) AS {ident(c)}" for c in cols)
    cur.execute(f"""CREATE TEMP TABLE {name} AS SELECT setting, pupil_id, {picks}
        FROM (SELECT *, row_number() OVER (PARTITION BY setting, pupil_id ORDER BY {PUPIL_ROW_ORDER.format(t='')}) AS _rank
              FROM {rows})
        GROUP BY setting, pupil_id""")


def load_pupils(cur: duckdb.DuckDBPyConnection, acc: str) -> None:
    """Upsert pupils, recording every changed field's old value (and each new pupil) for undo."""
    key = "p.setting = a.setting AND p.pupil_id = a.pupil_id"
    merged_extra = "CASE WHEN a.extra IS NULL THEN p.extra ELSE json_merge_patch(coalesce(p.extra, '{}'), a.extra) END"
    diffs = [f"""SELECT a.import_id, a.setting, a.pupil_id, {q(f)} AS field, CAST(p.{ident(f)} AS VARCHAR) AS old_value,
                 CAST(a.{ident(f)} AS VARCHAR) AS new_value
             FROM {acc} a JOIN pupils p ON {key}
             WHERE a.{ident(f)} IS NOT NULL AND a.{ident(f)} IS DISTINCT FROM p.{ident(f)}""" for f in PUPIL_FIELDS]
    diffs.append(f"""SELECT a.import_id, a.setting, a.pupil_id, 'extra', CAST(p.extra AS VARCHAR), CAST({merged_extra} AS VARCHAR)
             FROM {acc} a JOIN pupils p ON {key}
             WHERE a.extra IS NOT NULL AND CAST({merged_extra} AS VARCHAR) IS DISTINCT FROM CAST(p.extra AS VARCHAR)""")
    if not _has_rows(cur, "pupils", acc):
        # A first import of a setting has nothing to compare with: every pupil is new.
        _insert_new_pupils(cur, f"{acc} a")
        return
    cur.execute(f"CREATE TEMP TABLE {acc}_chg AS {' UNION ALL '.join(diffs)}")
    cur.execute(f"""INSERT INTO pupil_changes (import_id, setting, pupil_id, field, old_value, new_value)
        SELECT import_id, setting, pupil_id, field, old_value, new_value FROM {acc}_chg
        UNION ALL
        SELECT DISTINCT c.import_id, c.setting, c.pupil_id, 'import_id', CAST(p.import_id AS VARCHAR), CAST(c.import_id AS VARCHAR)
        FROM {acc}_chg c JOIN pupils p ON p.setting = c.setting AND p.pupil_id = c.pupil_id""")
    sets = ", ".join(f"{ident(f)} = coalesce(a.{ident(f)}, p.{ident(f)})" for f in PUPIL_FIELDS)
    cur.execute(f"""UPDATE pupils p SET {sets}, extra = {merged_extra}, import_id = a.import_id, updated_at = current_timestamp
        FROM {acc} a WHERE {key} AND EXISTS (SELECT 1 FROM {acc}_chg c WHERE c.setting = a.setting AND c.pupil_id = a.pupil_id)""")
    cur.execute(f"""CREATE TEMP TABLE {acc}_new AS SELECT a.setting, a.pupil_id FROM {acc} a
        WHERE NOT EXISTS (SELECT 1 FROM pupils p WHERE {key})""")
    _insert_new_pupils(cur, f"{acc} a SEMI JOIN {acc}_new n ON n.setting = a.setting AND n.pupil_id = a.pupil_id")


def _insert_new_pupils(cur: duckdb.DuckDBPyConnection, source: str) -> None:
    """Add the pupils of `source` (a FROM clause naming them `a`), each recorded as new so that undo removes it."""
    cols = ", ".join(ident(f) for f in PUPIL_FIELDS)
    acols = ", ".join("a." + ident(f) for f in PUPIL_FIELDS)
    cur.execute(f"""INSERT INTO pupils (setting, pupil_id, {cols}, extra, import_id)
        SELECT a.setting, a.pupil_id, {acols}, a.extra, a.import_id FROM {source}""")
    cur.execute(f"""INSERT INTO pupil_changes (import_id, setting, pupil_id, field)
        SELECT a.import_id, a.setting, a.pupil_id, {q(NEW_PUPIL)} FROM {source}""")


def tracker_rows(cur: duckdb.DuckDBPyConnection, acc: str, today: date, rows: str | None = None,
                 wide: dict[str, str] | None = None) -> tuple[str, str]:
    """Plans and reviews from a one-row-per-pupil tracker (plan type, plan start, last/next review...).

    `acc` has one row per pupil (the plans come from it); `rows` every accepted row (a review log has a row per
    review); `wide` the review-history columns' rows (normalise.Stage.wide). One review per date: a held one
    wins over a planned one, and a planned date no later than a review held in the same upload is not kept."""
    rows = rows or acc
    plan_type = "coalesce(plan_type, CASE sen_status WHEN 'K' THEN 'sen_support' WHEN 'E' THEN 'ehcp' END)"
    plans, reviews = f"{acc}_tplans", f"{acc}_treviews"
    # A tracker without a plan start date means the pupil's open plan of that type, whatever its start.
    cur.execute(f"""CREATE TEMP TABLE {plans} AS
        SELECT a._file, a._sheet, a._row, a.import_id, a.setting, a.pupil_id, a.plan_type,
               coalesce(a.plan_start, o.start_date) AS start_date, a.plan_end AS end_date,
               CASE WHEN a.plan_type = 'ehcp' THEN a.local_authority END AS local_authority
        FROM (SELECT * REPLACE ({plan_type} AS plan_type) FROM {acc} WHERE _tracker) a
        LEFT JOIN (SELECT setting, pupil_id, plan_type, max(start_date) AS start_date FROM plans
                   WHERE end_date IS NULL GROUP BY ALL) o
          ON o.setting = a.setting AND o.pupil_id = a.pupil_id AND o.plan_type = a.plan_type
        WHERE a.plan_type IS NOT NULL""")
    kind = f"coalesce(a.review_kind, CASE WHEN {plan_type} = 'ehcp' THEN 'annual' ELSE 'termly' END)"
    common = (f"a._file, a._sheet, a._row, a.import_id, a.setting, a.pupil_id, {plan_type} AS plan_type, {kind} AS kind, "
              "a.review_kind IS NOT NULL AS _kind_given")
    history = ""
    if wide and "reviews" in wide:
        history = f"""UNION ALL BY NAME
        SELECT {common}, w.review_date, w.review_date <= {today_sql(today)} AS held, w.parent_attended, w.progress,
               w.decision,
               -- the row's next review date was agreed at the latest review held
               if(w.review_date = max(w.review_date) FILTER (WHERE w.review_date <= {today_sql(today)})
                      OVER (PARTITION BY a._file, a._sheet, a._row) AND a.next_review_date > w.review_date
                      AND a.last_review_date IS NULL, a.next_review_date, NULL) AS next_review_date
        FROM {wide['reviews']} w JOIN {rows} a USING (_file, _sheet, _row)
        WHERE a._tracker AND w.review_date IS NOT NULL"""
    details = " + ".join(f"CAST({c} IS NOT NULL AS INTEGER)" for c in (
        "invitations_sent", "reports_received", "parent_attended", "child_contributed", "progress", "decision",
        "next_review_date"))
    held_and_next = f"""
        SELECT {common}, a.last_review_date AS review_date, TRUE AS held, a.invitations_sent, a.reports_received,
               a.parent_attended, a.child_contributed, a.progress, a.decision, a.next_review_date
        FROM {rows} a WHERE a._tracker AND a.last_review_date IS NOT NULL
        UNION ALL BY NAME
        SELECT {common}, a.next_review_date AS review_date, FALSE AS held
        FROM {rows} a WHERE a._tracker AND a.next_review_date IS NOT NULL
          AND a.next_review_date > coalesce(a.last_review_date, DATE '1900-01-01')"""
    if rows == acc and not history:
        # one row per pupil: its last review and a later next review never share a date, so nothing to rank
        cur.execute(f"CREATE TEMP VIEW {reviews} AS {held_and_next}")
        return plans, reviews
    cur.execute(f"""CREATE TEMP TABLE {reviews} AS
        WITH candidates AS ({held_and_next}
            {history}),
        ranked AS (
            SELECT *, max(review_date) FILTER (WHERE held) OVER (PARTITION BY setting, pupil_id, plan_type) AS _last_held
            FROM candidates
            QUALIFY row_number() OVER (PARTITION BY setting, pupil_id, plan_type, review_date
                                       ORDER BY held DESC, {details} DESC, _file DESC, _sheet DESC, _row DESC) = 1)
        SELECT * EXCLUDE (_last_held) FROM ranked WHERE held OR _last_held IS NULL OR review_date > _last_held""")
    return plans, reviews


def wide_outcomes(cur: duckdb.DuckDBPyConnection, rows: str, wide: dict[str, str]) -> tuple[str, str]:
    """Outcomes and scores from target columns: one outcome per target slot and text, each with its scores.

    The same text in the same slot is the same outcome as before ('Target 1'); new text is a new outcome, named
    'Target 1 (2)' and so on. The scale is 0-10 unless the numbers say percentages (above 10) or -2..+2."""
    from senlib.importer.normalise import PUPIL_ROW_ORDER
    from senlib.importer.synonyms import sql_norm_key
    from senlib.importer.wide import OUTCOME_NAME_RE

    outcomes, scores, names = f"{rows}_woutcomes", f"{rows}_wscores", f"{rows}_wnames"
    targets = wide["targets"]
    oldest_first = "min(a.last_review_date), min(a._file), min(a._sheet), min(a._row)"
    # every (pupil, slot, text) of the upload, with the id it has (the same text before) or gets (the next number)
    cur.execute(f"""CREATE TEMP TABLE {names} AS
        WITH found AS (
            SELECT a.setting, a.pupil_id, t.slot, {sql_norm_key('t.description')} AS text_key,
                   row_number() OVER (PARTITION BY a.setting, a.pupil_id, t.slot ORDER BY {oldest_first}) AS seen
            FROM {targets} t JOIN {rows} a USING (_file, _sheet, _row)
            WHERE t.description IS NOT NULL
            GROUP BY a.setting, a.pupil_id, t.slot, text_key),
        known AS (
            SELECT setting, pupil_id, outcome_id, CAST(regexp_extract(outcome_id, {q(OUTCOME_NAME_RE)}, 1) AS BIGINT) AS slot,
                   {sql_norm_key('description')} AS text_key
            FROM outcomes WHERE regexp_matches(outcome_id, {q(OUTCOME_NAME_RE)})
              AND (setting, pupil_id) IN (SELECT (setting, pupil_id) FROM found)),
        fresh AS (
            SELECT f.*, row_number() OVER (PARTITION BY f.setting, f.pupil_id, f.slot ORDER BY f.seen) AS nth
            FROM found f WHERE NOT EXISTS (SELECT 1 FROM known k WHERE k.setting = f.setting AND k.pupil_id = f.pupil_id
                                           AND k.slot = f.slot AND k.text_key = f.text_key)),
        same AS (SELECT setting, pupil_id, slot, text_key, min(outcome_id) AS outcome_id FROM known GROUP BY ALL),
        taken AS (SELECT setting, pupil_id, slot, count(*) AS n FROM known GROUP BY ALL)
        SELECT f.setting, f.pupil_id, f.slot, f.text_key,
               coalesce(k.outcome_id, 'Target ' || f.slot || CASE WHEN n.nth + coalesce(c.n, 0) > 1
                                                               THEN ' (' || (n.nth + coalesce(c.n, 0)) || ')' ELSE '' END) AS outcome_id
        FROM found f
        LEFT JOIN same k ON k.setting = f.setting AND k.pupil_id = f.pupil_id AND k.slot = f.slot AND k.text_key = f.text_key
        LEFT JOIN fresh n ON n.setting = f.setting AND n.pupil_id = f.pupil_id AND n.slot = f.slot AND n.text_key = f.text_key
        LEFT JOIN taken c ON c.setting = f.setting AND c.pupil_id = f.pupil_id AND c.slot = f.slot""")
    named = f"""(SELECT t.*, a.setting, a.pupil_id, a.import_id, a.last_review_date, m.outcome_id
                 FROM {targets} t JOIN {rows} a USING (_file, _sheet, _row)
                 JOIN {names} m ON m.setting = a.setting AND m.pupil_id = a.pupil_id AND m.slot = t.slot
                  AND m.text_key = {sql_norm_key('t.description')})"""
    score_rows = (f"""SELECT t.setting, t.pupil_id, t.import_id, t._file, t._sheet, t._row, t.last_review_date, t.outcome_id,
                             s.score_date, s.score
                      FROM {wide['scores']} s JOIN {named} t USING (_file, _sheet, _row, slot)
                      WHERE s.score IS NOT NULL AND s.score_date IS NOT NULL"""
                  if "scores" in wide else
                  "SELECT NULL::VARCHAR AS setting, NULL::VARCHAR AS pupil_id, NULL::BIGINT AS import_id, NULL::BIGINT AS _file, "
                  "NULL::VARCHAR AS _sheet, NULL::BIGINT AS _row, NULL::DATE AS last_review_date, NULL::VARCHAR AS outcome_id, "
                  "NULL::DATE AS score_date, NULL::DOUBLE AS score WHERE FALSE")
    cur.execute(f"""CREATE TEMP TABLE {scores} AS SELECT * FROM ({score_rows})
        QUALIFY row_number() OVER (PARTITION BY setting, pupil_id, outcome_id, score_date ORDER BY {PUPIL_ROW_ORDER.format(t='')}) = 1""")
    cur.execute(f"""CREATE TEMP TABLE {outcomes} AS
        WITH o AS (
            SELECT setting, pupil_id, import_id, _file, _sheet, _row, last_review_date, slot, outcome_id, area, description,
                   baseline, value AS target
            FROM {named} t
            QUALIFY row_number() OVER (PARTITION BY setting, pupil_id, outcome_id ORDER BY {PUPIL_ROW_ORDER.format(t='')}) = 1),
        span AS (
            SELECT o.setting, o.pupil_id, o.outcome_id,
                   least(min(o.baseline), min(o.target), min(s.score)) AS lo, greatest(max(o.baseline), max(o.target), max(s.score)) AS hi
            FROM o LEFT JOIN {scores} s USING (setting, pupil_id, outcome_id) GROUP BY ALL)
        SELECT o.* EXCLUDE (last_review_date),
               CASE WHEN span.lo < 0 AND span.lo >= -2 AND span.hi <= 2 THEN -2.0 END AS scale_min,
               CASE WHEN span.hi > 10 THEN 100.0 WHEN span.lo < 0 AND span.lo >= -2 AND span.hi <= 2 THEN 2.0 END AS scale_max,
               row_number() OVER (PARTITION BY o.setting, o.pupil_id, o.slot ORDER BY {PUPIL_ROW_ORDER.format(t='o.')}) = 1 AS _current
        FROM o JOIN span USING (setting, pupil_id, outcome_id)""")
    return outcomes, scores


def replace_outcomes(cur: duckdb.DuckDBPyConnection, outcomes: str) -> None:
    """New text in a target's column is a new outcome: the outcome that held the slot before is no longer current
    (discontinued, with its scores kept; undo puts it back)."""
    from senlib.importer.wide import OUTCOME_NAME_RE

    same_slot = f"""n._current AND t.setting = n.setting AND t.pupil_id = n.pupil_id AND t.outcome_id <> n.outcome_id
            AND regexp_matches(t.outcome_id, {q(OUTCOME_NAME_RE)})
            AND CAST(regexp_extract(t.outcome_id, {q(OUTCOME_NAME_RE)}, 1) AS BIGINT) = n.slot
            AND coalesce(t.status, 'active') = 'active'"""
    cur.execute(f"""INSERT INTO import_row_changes (import_id, table_name, before)
        SELECT n.import_id, 'outcomes', to_json(t) FROM outcomes t, {outcomes} n
        WHERE {same_slot} AND t.import_id IS DISTINCT FROM n.import_id""")
    cur.execute(f"UPDATE outcomes t SET status = 'discontinued', import_id = n.import_id FROM {outcomes} n WHERE {same_slot}")


def upsert(cur: duckdb.DuckDBPyConnection, table: str, src: str, today: date) -> None:
    """Add rows whose key is new; update rows whose key exists and whose values differ (before-image kept)."""
    key = " AND ".join(f"t.{ident(k)} IS NOT DISTINCT FROM s.{ident(k)}" for k in KEYS[table])
    present = {r[0] for r in cur.execute(f"SELECT column_name FROM (DESCRIBE {src})").fetchall()}
    values = [v for v in _value_columns(table) if v in present]
    changed = " OR ".join(f"(s.{ident(v)} IS NOT NULL AND s.{ident(v)} IS DISTINCT FROM t.{ident(v)})" for v in values) or "FALSE"
    known = _has_rows(cur, table, src)
    if known:
        cur.execute(f"""INSERT INTO import_row_changes (import_id, table_name, before)
            SELECT s.import_id, {q(table)}, to_json(t) FROM {table} t JOIN {src} s ON {key} WHERE {changed}""")
    if values and known:
        sets = ", ".join(f"{ident(v)} = coalesce(s.{ident(v)}, t.{ident(v)})" for v in values)
        cur.execute(f"UPDATE {table} t SET {sets}, import_id = s.import_id FROM {src} s WHERE {key} AND ({changed})")
    cols = [c for c in KEYS[table] + values]
    defaults = {"held": f"coalesce(s.held, s.review_date <= DATE {q(today.isoformat())})",
                "scale_min": "coalesce(s.scale_min, 0)", "scale_max": "coalesce(s.scale_max, 10)"}
    select = ", ".join(defaults.get(c, f"s.{ident(c)}") for c in cols)
    if table == "reviews" and "held" not in cols:
        cols.append("held")
        select += ", " + defaults["held"]
    new_only = f"WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {key})" if known else ""
    cur.execute(f"""INSERT INTO {table} ({', '.join(ident(c) for c in cols)}, import_id)
        SELECT {select}, s.import_id FROM {src} s {new_only}""")


def _has_rows(cur: duckdb.DuckDBPyConnection, table: str, src: str) -> bool:
    """Whether `table` holds any row of the settings in `src` (if not, every row of src is new)."""
    return cur.execute(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE setting IN (SELECT DISTINCT setting FROM {src}))"
                       ).fetchall()[0][0]


def close_superseded_plans(cur: duckdb.DuckDBPyConnection, tplans: str, today: date) -> None:
    """A tracker that moves a pupil to a new plan (e.g. SEN Support -> EHCP) ends the open plan it replaces."""
    end = f"coalesce(s.start_date, DATE {q(today.isoformat())})"
    match = f"""t.setting = s.setting AND t.pupil_id = s.pupil_id AND t.end_date IS NULL AND t.plan_type <> s.plan_type
        AND t.plan_type IN {GRADUATED} AND s.plan_type IN {GRADUATED} AND coalesce(t.start_date, DATE '1900-01-01') <= {end}"""
    cur.execute(f"""INSERT INTO import_row_changes (import_id, table_name, before)
        SELECT s.import_id, 'plans', to_json(t) FROM plans t JOIN {tplans} s ON {match}""")
    cur.execute(f"UPDATE plans t SET end_date = {end}, import_id = s.import_id FROM {tplans} s WHERE {match}")


def write_import_records(cur: duckdb.DuckDBPyConnection, workbooks: list, user: str | None, settings: list[str | None],
                         *, dry_run: bool = False) -> list[int]:
    """One row in `imports` per file, with the original bytes; returns their ids. A check (dry run) is rolled back,
    and takes ids outside the numbering (negative, unique to this check), so the imports a SENCo sees are
    numbered 1, 2, 3 without gaps left by checks."""
    ids = []
    base = -(uuid.uuid4().int % (1 << 52)) - len(workbooks) if dry_run else None
    for n, (wb, setting) in enumerate(zip(workbooks, settings, strict=True)):
        row = [user, wb.file_name, wb.sha256, wb.data, setting]
        if dry_run:
            ids.append(cur.execute("""INSERT INTO imports (import_id, user_name, file_name, file_sha256, file_bytes, setting,
                summary, warnings) VALUES (?, ?, ?, ?, ?, ?, '{}', '[]') RETURNING import_id""", [base + n, *row]).fetchall()[0][0])
        else:
            ids.append(cur.execute("""INSERT INTO imports (user_name, file_name, file_sha256, file_bytes, setting, summary, warnings)
                VALUES (?, ?, ?, ?, ?, '{}', '[]') RETURNING import_id""", row).fetchall()[0][0])
    return ids


def write_import_fields(cur: duckdb.DuckDBPyConnection, ids: list[int], plans: list, settings_of: dict[int, set[str]]) -> None:
    """Record, per import and each setting its rows name, every store field its sheets had a column for (blank cells
    or not): what the setting's trackers track. `plans` are the (file index, SheetPlan) imported."""
    rows = set()
    for n, import_id in enumerate(ids):
        found = {fed for i, plan in plans if i == n for c in plan.columns if c.field not in (None, IGNORE)
                 for fed in feeds(plan.entity, c.field)}
        rows |= {(import_id, s, e, f) for s in settings_of.get(n, ()) for e, f in found}
    if rows:
        cur.executemany("INSERT INTO import_fields (import_id, setting, entity, field) VALUES (?, ?, ?, ?)", sorted(rows))


def summarise(cur: duckdb.DuckDBPyConnection, import_id: int) -> dict:
    """What one import added and changed, table by table."""
    rows = cur.execute("""SELECT count(*) FILTER (WHERE field = ?), count(DISTINCT (setting, pupil_id)) FILTER (WHERE field <> ?)
        FROM pupil_changes WHERE import_id = ?""", [NEW_PUPIL, NEW_PUPIL, import_id]).fetchall()[0]
    fields = dict(cur.execute("""SELECT field, count(*) FROM pupil_changes WHERE import_id = ? AND field NOT IN (?, 'import_id')
        GROUP BY ALL ORDER BY 2 DESC""", [import_id, NEW_PUPIL]).fetchall())
    out = {"pupils": {"added": rows[0], "changed": rows[1], "fields_changed": fields}}
    for t in CHILD_TABLES:
        written = cur.execute(f"SELECT count(*) FROM {t} WHERE import_id = ?", [import_id]).fetchall()[0][0]
        changed = cur.execute("SELECT count(*) FROM import_row_changes WHERE import_id = ? AND table_name = ?",
                              [import_id, t]).fetchall()[0][0]
        out[t] = {"added": max(written - changed, 0), "changed": changed}
    return out


def touched_pupils_sql(import_id_expr: str) -> str:
    """(setting, pupil_id) of every pupil an import wrote anything about; a provision it wrote, or a pupil's place
    on one, counts as '(provision) <id>' (so an import that built on another's provision is undone first)."""
    parts = [f"SELECT setting, pupil_id FROM pupil_changes WHERE import_id = {import_id_expr}"]
    parts += [f"SELECT setting, pupil_id FROM {t} WHERE import_id = {import_id_expr}" for t in CHILD_TABLES
              if t != "provisions"]
    parts += [f"SELECT setting, {PROVISION_TOUCH} FROM {t} WHERE import_id = {import_id_expr}"
              for t in ("provisions", "pupil_provisions")]
    parts.append(f"""SELECT json_extract_string(before, '$.setting'),
                            CASE WHEN table_name = 'provisions'
                                 THEN '(provision) ' || json_extract_string(before, '$.provision_id')
                                 ELSE json_extract_string(before, '$.pupil_id') END
                     FROM import_row_changes WHERE import_id = {import_id_expr}""")
    return " UNION ".join(parts)


def _import_settings(cur: duckdb.DuckDBPyConnection, import_id: int) -> set[str]:
    """The settings an import touched or was recorded against."""
    touched = {r[0] for r in cur.execute(f"SELECT DISTINCT setting FROM ({touched_pupils_sql(str(int(import_id)))})").fetchall()}
    recorded = cur.execute("SELECT setting FROM imports WHERE import_id = ?", [import_id]).fetchall()
    return touched | {r[0] for r in recorded if r[0] and r[0] != "several"}


def _check_viewer(cur: duckdb.DuckDBPyConnection, import_id: int, viewer: access.Viewer) -> None:
    """Only a SENCo changes records, and a SENCo limited to some settings only an import of those settings."""
    access.require_senco(viewer)
    if viewer.settings is None:
        return
    if not _import_settings(cur, import_id) <= viewer.settings:
        raise access.AccessDenied(f"Import {import_id} covers settings you do not have access to.",
                                  fix="Ask a SENCo with access to every setting the import covers.")


def undo(con: duckdb.DuckDBPyConnection, import_id: int, user: str | None = None, *, viewer: access.Viewer) -> dict:
    """Put the database back as it was before import `import_id` (refused if a later import built on it).
    Only for a SENCo with access to every setting the import covers."""
    cur = con.cursor()
    row = cur.execute("SELECT status, file_name, summary FROM imports WHERE import_id = ?", [import_id]).fetchall()
    if not row:
        raise InputError(f"There is no import number {import_id}.", fix="List the imports with `python -m senlib imports`.")
    _check_viewer(cur, import_id, viewer)
    status, file_name, summary = row[0]
    summary = json.loads(summary or "{}")
    if status == "undone":
        raise InputError(f"Import {import_id} ({file_name}) has already been undone.")
    later = cur.execute(f"""SELECT DISTINCT i.import_id FROM imports i, ({touched_pupils_sql('i.import_id')}) l
        WHERE i.import_id > ? AND i.status = 'done'
          AND (l.setting, l.pupil_id) IN (SELECT (setting, pupil_id) FROM ({touched_pupils_sql(str(int(import_id)))}))
        ORDER BY 1 DESC""", [import_id]).fetchall()
    if later:
        ids = ", ".join(str(r[0]) for r in later)
        raise InputError(f"Import {import_id} ({file_name}) cannot be undone on its own: later import(s) {ids} changed the "
                         "same pupils.", fix=f"Undo import(s) {ids} first (newest first), then this one.")
    with store.transaction(cur):
        restored = _restore_pupils(cur, import_id)
        for t in CHILD_TABLES:
            cur.execute(f"DELETE FROM {t} WHERE import_id = ?", [import_id])
            types = cur.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                                "ORDER BY ordinal_position", [t]).fetchall()
            struct = json.dumps({c: ty for c, ty in types})
            cur.execute(f"""INSERT INTO {t} BY NAME SELECT unnest(json_transform(before, {q(struct)}))
                FROM import_row_changes WHERE import_id = ? AND table_name = ?""", [import_id, t])
        removed = setting_details.undo_import(cur, summary.get("settings_filled", {}), summary.get("settings_created", []))
        if removed:
            restored["settings_removed"] = removed
        cur.execute("UPDATE imports SET status = 'undone', undone_at = current_timestamp WHERE import_id = ?", [import_id])
        store.audit(cur, "undo", user, {"import_id": import_id, "file": file_name, **restored})
    return {"import_id": import_id, "file": file_name, **restored}


def describe_undo(result: dict) -> str:
    """The sentence the page and the command line show after an undo."""
    text = (f"Import {result['import_id']} ({result['file']}) undone: {counted(result['pupils_removed'], 'pupil')} removed, "
            f"{counted(result['values_restored'], 'value')} put back; its plans, reviews, outcomes, scores, requests and "
            "provision were removed or restored.")
    removed = result.get("settings_removed", [])
    if removed:
        names = ", ".join(f"'{s}'" for s in removed)
        it = "them" if len(removed) > 1 else "it"
        text += f" Setting{'s' if len(removed) > 1 else ''} {names} removed: the import had added {it} and nothing else is recorded for {it}."
    return text


def describe_undo_plan(summary: dict, import_id: int) -> str:
    """What undoing an import will do, asked before it is done."""
    added = summary.get("pupils", {}).get("added", 0)
    changed = summary.get("pupils", {}).get("changed", 0)
    rows = sum(v.get("added", 0) + v.get("changed", 0) for k, v in summary.items() if k in CHILD_TABLES and isinstance(v, dict))
    return (f"Undo import {import_id}? This removes the {counted(added, 'pupil')} it added, puts back what it changed for "
            f"{counted(changed, 'pupil')}, and removes or restores its {counted(rows, 'plan, review, outcome, score and provision row', 'plan, review, outcome, score and provision rows')}. "
            "The import stays in the list, marked undone.")


def _restore_pupils(cur: duckdb.DuckDBPyConnection, import_id: int) -> dict:
    removed = cur.execute(f"""DELETE FROM pupils WHERE (setting, pupil_id) IN (
        SELECT (setting, pupil_id) FROM pupil_changes WHERE import_id = ? AND field = {q(NEW_PUPIL)}) RETURNING 1""",
                          [import_id]).fetchall()
    types = dict(cur.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'pupils'").fetchall())
    restored = 0
    for f in PUPIL_FIELDS + ["extra", "import_id"]:
        n = cur.execute(f"""UPDATE pupils p SET {ident(f)} = CAST(c.old_value AS {types[f]}) FROM (
                SELECT setting, pupil_id, arg_min(old_value, rowid) AS old_value FROM pupil_changes
                WHERE import_id = ? AND field = ? GROUP BY ALL) c
            WHERE p.setting = c.setting AND p.pupil_id = c.pupil_id RETURNING 1""", [import_id, f]).fetchall()
        restored += len(n) if f != "import_id" else 0
    return {"pupils_removed": len(removed), "values_restored": restored}


def confirm_leavers(con: duckdb.DuckDBPyConnection, import_id: int, pupil_ids: list[str], leaving_date: date,
                    user: str | None = None, *, viewer: access.Viewer) -> int:
    """Give the pupils an import listed as possible leavers a leaving date (recorded, so undo reverts it)."""
    cur = con.cursor()
    row = cur.execute("SELECT summary, status FROM imports WHERE import_id = ?", [import_id]).fetchall()
    if not row:
        raise InputError(f"There is no import number {import_id}.")
    _check_viewer(cur, import_id, viewer)
    summary = json.loads(row[0][0] or "{}")
    listed = {(p["setting"], p["pupil_id"]) for p in summary.get("possible_leavers", [])}
    chosen = [k for k in listed if k[1] in set(pupil_ids)]
    unknown = set(pupil_ids) - {k[1] for k in listed}
    if unknown:
        raise InputError(f"{counted(len(unknown), 'pupil')} {'was' if len(unknown) == 1 else 'were'} not listed as possible "
                         f"leavers by import {import_id}: "
                         f"{', '.join(sorted(unknown)[:5])}.", fix="Choose pupils from the import's list of possible leavers.")
    if row[0][1] != "done":
        raise InputError(f"Import {import_id} has been undone; its list of possible leavers no longer applies.")
    if not chosen:
        return 0
    keys = pd.DataFrame(chosen, columns=["setting", "pupil_id"])
    cur.register("leaver_keys", keys)
    try:
        with store.transaction(cur):
            cur.execute("""INSERT INTO pupil_changes (import_id, setting, pupil_id, field, old_value, new_value)
                SELECT ?, p.setting, p.pupil_id, 'leaving_date', CAST(p.leaving_date AS VARCHAR), CAST(?::DATE AS VARCHAR)
                FROM pupils p JOIN leaver_keys k USING (setting, pupil_id)""", [import_id, leaving_date])
            n = cur.execute("""UPDATE pupils p SET leaving_date = ?::DATE, updated_at = current_timestamp FROM leaver_keys k
                WHERE p.setting = k.setting AND p.pupil_id = k.pupil_id RETURNING 1""", [leaving_date]).fetchall()
            summary["leavers_confirmed"] = sorted(set(summary.get("leavers_confirmed", [])) | {k[1] for k in chosen})
            cur.execute("UPDATE imports SET summary = ? WHERE import_id = ?", [json.dumps(summary, default=str), import_id])
            store.audit(cur, "confirm_leavers", user, {"import_id": import_id, "pupils": len(n), "leaving_date": leaving_date})
    finally:
        cur.unregister("leaver_keys")
    return len(n)


def list_imports(con: duckdb.DuckDBPyConnection, *, viewer: access.Viewer) -> pd.DataFrame:
    """Every import, newest first, with what it added and changed: staff only, and for a viewer limited to some
    settings only the imports recorded against one of them."""
    where, params = "", []
    access.require_staff(viewer)
    if viewer.settings is not None:
        where, params = "WHERE setting IN (SELECT unnest(?::VARCHAR[]))", [sorted(viewer.settings)]
    df = con.cursor().execute(f"""SELECT import_id, created_at, user_name, file_name, setting, status, undone_at, summary,
            json_array_length(warnings) AS problems
        FROM imports {where} ORDER BY import_id DESC""", params).df()
    summaries = df["summary"].map(lambda s: json.loads(s) if s else {})
    df["pupils_added"] = summaries.map(lambda s: s.get("pupils", {}).get("added", 0))
    df["pupils_changed"] = summaries.map(lambda s: s.get("pupils", {}).get("changed", 0))
    df["rows_added"] = summaries.map(lambda s: sum(v.get("added", 0) for k, v in s.items() if k in CHILD_TABLES))
    df["possible_leavers"] = summaries.map(lambda s: len(s.get("possible_leavers", [])))
    return df.drop(columns=["summary"])


def import_summary(con: duckdb.DuckDBPyConnection, import_id: int, *, viewer: access.Viewer) -> dict:
    """The stored summary of one import (what it added and changed, possible leavers by name): staff only, and
    for a viewer limited to some settings only an import of those settings."""
    access.require_staff(viewer)
    cur = con.cursor()
    row = cur.execute("SELECT summary FROM imports WHERE import_id = ?", [import_id]).fetchall()
    if not row:
        raise InputError(f"There is no import number {import_id}.")
    if viewer.settings is not None and not _import_settings(cur, import_id) <= viewer.settings:
        raise access.AccessDenied(f"Import {import_id} covers settings you do not have access to.")
    return json.loads(row[0][0] or "{}")


def provision_rows(cur: duckdb.DuckDBPyConnection, acc: dict[str, str], stage, prefix: str) -> tuple[str, str]:
    """The provisions and pupils' places on them an upload gives, as rows of the store tables.

    Provisions come from Provisions sheets (a sheet describing each intervention) and from the intervention columns of
    a sheet with a row per pupil per intervention: one provision per intervention name in a setting, each detail the
    value most of its rows give (validate warns where they differ); a Provisions sheet's values win. A 'Cost' column
    (annual_cost) is the whole cost a year: the fixed cost, with an hourly cost of 0 so staff time is not priced twice.
    Places come from those rows, and from each ticked (or numbered) cell of a provision map grid."""
    from senlib.store.fields import PROVISION_DETAILS

    provs, places = f"{prefix}_prov_rows", f"{prefix}_place_rows"
    cols = [f.name for f in ENTITIES["provisions"] if f.template]
    place_cols = [f.name for f in ENTITIES["pupil_provisions"] if f.template]
    parts = []

    def costed(t: str) -> str:
        return (f"SELECT * REPLACE (CASE WHEN annual_cost IS NOT NULL THEN annual_cost ELSE fixed_cost END AS fixed_cost, "
                f"CASE WHEN annual_cost IS NOT NULL THEN 0.0 ELSE hourly_cost END AS hourly_cost) FROM {t}")

    described = f"{prefix}_prov_described"
    if "provisions" in acc:
        cur.execute(f"CREATE TEMP TABLE {described} AS SELECT {', '.join(ident(c) for c in cols)}, import_id, 0 AS _rank "
                    f"FROM ({costed(acc['provisions'])})")
        parts.append(described)
    if "pupil_provisions" in acc:
        rows = f"(SELECT * FROM {acc['pupil_provisions']} WHERE provision_name IS NOT NULL AND provision_id IS NOT NULL)"
        picks = []
        for c in cols:
            if c in ("setting", "provision_id"):
                continue
            if c == "name":
                picks.append("arg_min(provision_name, (_file, _sheet, _row)) AS name")
            elif c in PROVISION_DETAILS:
                picks.append(f"arg_max({ident(c)}, _w_{c}) FILTER (WHERE {ident(c)} IS NOT NULL) AS {ident(c)}")
            else:
                picks.append(f"NULL AS {ident(c)}")
        weights = ", ".join(f"count(*) OVER (PARTITION BY setting, provision_id, {ident(c)}) * 1000000 - row_number() OVER "
                            f"(PARTITION BY setting, provision_id, {ident(c)} ORDER BY _file, _sheet, _row) AS _w_{c}"
                            for c in cols if c in PROVISION_DETAILS)
        derived = f"{prefix}_prov_derived"
        cur.execute(f"""CREATE TEMP TABLE {derived} AS
            SELECT setting, provision_id, {', '.join(picks)}, min(import_id) AS import_id, 1 AS _rank
            FROM (SELECT *, {weights} FROM ({costed(rows)})) GROUP BY setting, provision_id""")
        parts.append(derived)
    if stage.grid:
        grid_named = f"{prefix}_prov_grid"
        rows_of = " UNION ALL ".join(f"SELECT _file, _sheet, _row, import_id FROM {acc[e]}"
                                     for e in ("pupil_rows", "pupils", "pupil_provisions") if e in acc
                                     and not (e == "pupils" and "pupil_rows" in acc))
        cur.execute(f"""CREATE TEMP TABLE {grid_named} AS
            SELECT g.setting, g.provision_id, arg_min(g.provision_name, (g._file, g._sheet, g._row)) AS name,
                   min(a.import_id) AS import_id, 2 AS _rank
            FROM {stage.grid} g JOIN ({rows_of}) a USING (_file, _sheet, _row)
            WHERE g.on_it AND NOT EXISTS (SELECT 1 FROM provisions p WHERE p.setting = g.setting AND p.provision_id = g.provision_id)
            GROUP BY ALL""")
        parts.append(grid_named)
    values = [c for c in cols if c not in ("setting", "provision_id")]
    if parts:
        union = " UNION ALL BY NAME ".join(f"SELECT * FROM {t}" for t in parts)
        picks = ", ".join(f"arg_min({ident(c)}, _rank) FILTER (WHERE {ident(c)} IS NOT NULL) AS {ident(c)}" for c in values)
        cur.execute(f"""CREATE TEMP TABLE {provs} AS SELECT setting, provision_id, {picks}, min(import_id) AS import_id
            FROM ({union}) GROUP BY setting, provision_id""")
    else:
        cur.execute(f"CREATE TEMP TABLE {provs} AS SELECT {', '.join(ident(c) for c in cols)}, import_id FROM provisions "
                    "WHERE FALSE")
    place_parts = []
    if "pupil_provisions" in acc:
        place_parts.append(f"SELECT {', '.join(ident(c) for c in place_cols)}, import_id, _file, _sheet, _row "
                           f"FROM {acc['pupil_provisions']} WHERE provision_id IS NOT NULL")
    if stage.grid:
        for e in ("pupil_rows", "pupils", "pupil_provisions"):
            if e not in acc or (e == "pupils" and "pupil_rows" in acc):
                continue
            cells = ", ".join("CASE WHEN g.amount IS NOT NULL THEN 'Provision map: ' || g.r_provision_cell END AS notes"
                              if c == "notes" else f"g.{ident(c)}" if c in ("setting", "pupil_id", "provision_id")
                              else f"NULL AS {ident(c)}" for c in place_cols)
            place_parts.append(f"""SELECT {cells}, a.import_id, g._file, g._sheet, g._row
                FROM {stage.grid} g JOIN {acc[e]} a USING (_file, _sheet, _row) WHERE g.on_it""")
    if place_parts:
        key = ", ".join(ident(k) for k in KEYS["pupil_provisions"])
        cur.execute(f"""CREATE TEMP TABLE {places} AS SELECT * EXCLUDE (_file, _sheet, _row) FROM ({' UNION ALL '.join(place_parts)})
            QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY _file, _sheet, _row) = 1""")
    else:
        cur.execute(f"CREATE TEMP TABLE {places} AS SELECT {', '.join(ident(c) for c in place_cols)}, import_id "
                    "FROM pupil_provisions WHERE FALSE")
    return provs, places


def column_types(table: str) -> dict[str, str]:
    """DuckDB type of each canonical column of an entity (for exports and checks)."""
    return {f.name: sql_type(f) for f in ENTITIES[table]}


__all__ = ["undo", "confirm_leavers", "list_imports", "import_summary", "ImportRefused", "refuse"]
