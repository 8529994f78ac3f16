"""Reviews entered in the app (issue 17) against the reviews an upload gives.

A review scheduled or recorded in the app carries its own id (reviews.review_id). Two rules, as SQL over the
accepted rows, applied before the reviews are written:

- A row that names a review by its id (a record workbook, an export) updates THAT review, whatever its date: a
  record whose date was changed moves the review rather than adding a second one. Its before-image is kept, so
  undo puts the review back where it was.
- A row without an id is a tracker's. What was entered in the app wins, never silently (DESIGN: precedence):
  (a) for the same review (setting, pupil, plan, date) a tracker value that differs from the app's is not
      written, and the import warns with both values (a tracker value filling a blank is written);
  (b) a review the tracker plans (or a next review date it gives) for a pupil and plan with a review scheduled in
      the app, not yet held, on another date: the tracker's planned review is not written (a next review date on
      a held review is), and the import warns with both dates and what to do.

The warnings are rows of validate.COLUMNS, so the preview, the import's stored warnings and the command line show
them like any other.
"""

from __future__ import annotations

import pandas as pd

from senlib.importer.normalise import ident, q, today_sql
from senlib.importer.problems import WARNING
from senlib.importer.validate import COLUMNS
from senlib.store.fields import ENTITIES, KEYS, sql_type

KEY = KEYS["reviews"]
VALUES = [f.name for f in ENTITIES["reviews"] if f.name not in KEY]
APP_FIX = ("To change it, change the review on the Pupil page (or fill in its record workbook and upload that); "
           "then correct the tracker so that the two agree.")
MOVE_FIX = ("To move the review, change it on the Pupil page; to take the tracker's date, cancel the review scheduled "
            "in the app and upload again.")
# The column of a pupil (tracker) sheet that fed each column of a review it makes (load.tracker_rows).
PUPIL_SHEET_FIELD = {"kind": "review_kind"}


def _shown(column: str, expr: str) -> str:
    """A value as a SENCo reads it in a message: dates day first, Yes/No."""
    typ = sql_type(next(f for f in ENTITIES["reviews"] if f.name == column))
    if typ == "DATE":
        return f"strftime({expr}, '%d/%m/%Y')"
    if typ == "BOOLEAN":
        return f"CASE WHEN {expr} THEN 'Yes' ELSE 'No' END"
    if typ == "DOUBLE":
        return f"regexp_replace(CAST({expr} AS VARCHAR), '\\.0$', '')"
    return f"CAST({expr} AS VARCHAR)"


def _columns(cur, src: str) -> set[str]:
    return {r[0] for r in cur.execute(f"SELECT column_name FROM (DESCRIBE {src})").fetchall()}


def _who(alias: str) -> str:
    """'Ben Carter (K1)', or the id alone for a pupil not on the register yet."""
    return (f"coalesce((SELECT p.first_name || ' ' || p.last_name || ' (' || p.pupil_id || ')' FROM pupils p "
            f"WHERE p.setting = {alias}.setting AND p.pupil_id = {alias}.pupil_id AND p.first_name IS NOT NULL "
            f"AND p.last_name IS NOT NULL), {alias}.pupil_id)")


def move_by_review_id(cur, src: str, name: str) -> str:
    """Update each stored review a row names by its review_id (matched by setting, pupil and id, not by date);
    a review only a tracker knew (no id) on the date it moves to is absorbed: its values fill the blanks and it is
    removed. Before-images go to import_row_changes. Returns `name`, a view of the other rows of `src`."""
    present = _columns(cur, src)
    if "review_id" not in present:
        cur.execute(f"CREATE TEMP VIEW {name} AS SELECT * FROM {src}")
        return name
    values = [v for v in VALUES if v in present and v != "review_id"]
    same = "t.setting = s.setting AND t.pupil_id = s.pupil_id AND t.review_id = s.review_id"
    matched = f"{name}_byid"
    cur.execute(f"""CREATE TEMP TABLE {matched} AS
        SELECT s.* REPLACE (coalesce(s.plan_type, t.plan_type) AS plan_type) FROM {src} s JOIN reviews t ON {same}
        WHERE s.review_id IS NOT NULL""")
    # a tracker's review (no id) at the date the review moves to: one review, not two
    at_new_date = ("o.review_id IS NULL AND o.setting = s.setting AND o.pupil_id = s.pupil_id "
                   "AND o.plan_type IS NOT DISTINCT FROM s.plan_type AND o.review_date = s.review_date")
    absorbed = f"{name}_absorbed"
    cur.execute(f"""CREATE TEMP TABLE {absorbed} AS SELECT o.*, s.import_id AS _by, s.review_id AS _into
        FROM reviews o JOIN {matched} s ON {at_new_date}""")
    fill = ", ".join(f"coalesce(s.{ident(v)}, t.{ident(v)}, a.{ident(v)}) AS {ident(v)}" for v in values)
    merged = f"{name}_merged"
    cur.execute(f"""CREATE TEMP TABLE {merged} AS
        SELECT s.setting, s.pupil_id, s.review_id, s.plan_type, s.review_date, {fill}, s.import_id
        FROM {matched} s JOIN reviews t ON {same}
        LEFT JOIN {absorbed} a ON a._into = s.review_id AND a.setting = s.setting AND a.pupil_id = s.pupil_id""")
    changed = " OR ".join(f"s.{ident(v)} IS DISTINCT FROM t.{ident(v)}" for v in ["plan_type", "review_date", *values])
    cur.execute(f"""INSERT INTO import_row_changes (import_id, table_name, before)
        SELECT s.import_id, 'reviews', to_json(t) FROM reviews t JOIN {merged} s ON {same} WHERE {changed}
        UNION ALL SELECT _by, 'reviews', to_json(a) FROM (SELECT * EXCLUDE (_by, _into) FROM {absorbed}) a
            JOIN (SELECT DISTINCT _by, setting, pupil_id, plan_type, review_date FROM {absorbed}) b USING (setting, pupil_id,
                  plan_type, review_date)""")
    cur.execute(f"""DELETE FROM reviews o WHERE o.review_id IS NULL AND EXISTS (SELECT 1 FROM {absorbed} a
        WHERE a.setting = o.setting AND a.pupil_id = o.pupil_id AND a.plan_type IS NOT DISTINCT FROM o.plan_type
          AND a.review_date = o.review_date)""")
    sets = ", ".join(f"{ident(v)} = s.{ident(v)}" for v in ["plan_type", "review_date", *values])
    cur.execute(f"UPDATE reviews t SET {sets}, import_id = s.import_id FROM {merged} s WHERE {same} AND ({changed})")
    cur.execute(f"""CREATE TEMP VIEW {name} AS SELECT * FROM {src} s
        WHERE NOT EXISTS (SELECT 1 FROM {matched} m WHERE m._file = s._file AND m._sheet = s._sheet AND m._row = s._row)""")
    return name


def tracker_precedence(cur, src: str, name: str, today, *, pupil_sheet: bool) -> tuple[str, pd.DataFrame]:
    """The tracker rows of `src` (those without a review_id) with the app's reviews kept: returns `name`, the rows
    to write, and the warnings (validate.COLUMNS). `pupil_sheet`: the rows come from a one-row-per-pupil sheet
    (load.tracker_rows), whose columns are named differently (Last review date, Next review date, Review type)."""
    present = _columns(cur, src)
    values = [v for v in VALUES if v in present and v != "review_id"]
    tracker = "s.review_id IS NULL" if "review_id" in present else "TRUE"
    if not cur.execute(f"SELECT EXISTS (SELECT 1 FROM reviews WHERE review_id IS NOT NULL AND setting IN "
                       f"(SELECT DISTINCT setting FROM {src}))").fetchall()[0][0]:
        cur.execute(f"CREATE TEMP VIEW {name} AS SELECT * FROM {src}")
        return name, pd.DataFrame(columns=COLUMNS)
    same = " AND ".join(f"t.{ident(k)} IS NOT DISTINCT FROM s.{ident(k)}" for k in KEY)
    warnings = []
    # (a) the same review: the app's value stands where the tracker's differs
    for v in values:
        # a tracker without a review type column gives a default kind: no disagreement
        given = "s._kind_given" if v == "kind" and pupil_sheet and "_kind_given" in present else "TRUE"
        field = PUPIL_SHEET_FIELD.get(v, v) if pupil_sheet else v
        if pupil_sheet and v == "held":
            field = "last_review_date"
        warnings.append(f"""SELECT {q(WARNING)} AS severity, s._file, s._sheet, s._row, {q(field)} AS field,
                {_shown(v, f's.{ident(v)}')} AS value,
                'The tracker has ' || {q(_label(v))} || ' "' || {_shown(v, f's.{ident(v)}')} || '" for the review of '
                || {_who('s')} || ' on ' || strftime(s.review_date, '%d/%m/%Y') || ', but the review entered in the app ('
                || t.review_id || ') has "' || {_shown(v, f't.{ident(v)}')} || '": the app''s value is kept' AS message,
                {q(APP_FIX)} AS fix
            FROM {src} s JOIN reviews t ON {same}
            WHERE {tracker} AND t.review_id IS NOT NULL AND {given} AND s.{ident(v)} IS NOT NULL
              AND t.{ident(v)} IS NOT NULL AND s.{ident(v)} IS DISTINCT FROM t.{ident(v)}""")
    # (b) a review scheduled in the app, not held yet, on another date than the tracker's planned one
    scheduled = ("SELECT a.setting, a.pupil_id, a.plan_type, min(a.review_date) AS review_date, "
                 "arg_min(a.review_id, a.review_date) AS review_id FROM reviews a "
                 "WHERE a.review_id IS NOT NULL AND NOT coalesce(a.held, FALSE) GROUP BY ALL")
    planned = f"(s.held = FALSE OR (s.held IS NULL AND s.review_date > {today_sql(today)}))"
    new_key = f"NOT EXISTS (SELECT 1 FROM reviews t WHERE {same})"
    drop = f"{name}_dropped"
    cur.execute(f"""CREATE TEMP TABLE {drop} AS SELECT s._file, s._sheet, s._row, s.setting, s.pupil_id, s.plan_type,
            s.review_date, a.review_date AS app_date, a.review_id AS app_id, {_who('s')} AS who
        FROM {src} s JOIN ({scheduled}) a ON a.setting = s.setting AND a.pupil_id = s.pupil_id
             AND a.plan_type IS NOT DISTINCT FROM s.plan_type AND a.review_date <> s.review_date
        WHERE {tracker} AND {planned} AND {new_key}""")
    planned_field = "next_review_date" if pupil_sheet else "review_date"
    warnings.append(f"""SELECT {q(WARNING)}, _file, _sheet, _row, {q(planned_field)}, strftime(review_date, '%d/%m/%Y'),
            'The tracker plans the next review of ' || who || ' for ' || strftime(review_date, '%d/%m/%Y') || ', but a '
            || 'review is scheduled in the app for ' || strftime(app_date, '%d/%m/%Y') || ' (' || app_id || '): the '
            || 'app''s date stands and the tracker''s planned review is not imported', {q(MOVE_FIX)}
        FROM {drop}""")
    if "next_review_date" in present:
        warnings.append(f"""SELECT {q(WARNING)}, s._file, s._sheet, s._row, 'next_review_date',
                strftime(s.next_review_date, '%d/%m/%Y'),
                'The tracker gives ' || {_who('s')} || ' a next review date of ' || strftime(s.next_review_date, '%d/%m/%Y')
                || ' (on the review of ' || strftime(s.review_date, '%d/%m/%Y') || '), but a review is scheduled in the '
                || 'app for ' || strftime(a.review_date, '%d/%m/%Y') || ' (' || a.review_id || '): the date is recorded '
                || 'on that review, and the review scheduled in the app stands', {q(MOVE_FIX)}
            FROM {src} s JOIN ({scheduled}) a ON a.setting = s.setting AND a.pupil_id = s.pupil_id
                 AND a.plan_type IS NOT DISTINCT FROM s.plan_type AND a.review_date <> s.next_review_date
            WHERE {tracker} AND s.next_review_date IS NOT NULL AND NOT {planned}
              AND NOT EXISTS (SELECT 1 FROM reviews t WHERE {same} AND t.next_review_date = s.next_review_date)
              AND NOT EXISTS (SELECT 1 FROM {drop} d WHERE d._file = s._file AND d._sheet = s._sheet AND d._row = s._row)""")
    found = cur.execute(" UNION ALL ".join(f"({w})" for w in warnings)).df()
    found.columns = COLUMNS
    keep = ", ".join(
        f"CASE WHEN {tracker} AND t.review_id IS NOT NULL AND t.{ident(v)} IS NOT NULL THEN t.{ident(v)} "
        f"ELSE s.{ident(v)} END AS {ident(v)}" for v in values)
    cur.execute(f"""CREATE TEMP TABLE {name} AS SELECT s.* REPLACE ({keep}) FROM {src} s LEFT JOIN reviews t ON {same}
        WHERE NOT EXISTS (SELECT 1 FROM {drop} d WHERE d._file = s._file AND d._sheet = s._sheet AND d._row = s._row
                          AND d.review_date = s.review_date)""")
    return name, found


def _label(column: str) -> str:
    from senlib.core.names import COLUMN_LABELS

    return COLUMN_LABELS.get(column, column.replace("_", " ").capitalize())
