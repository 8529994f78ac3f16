"""Checks on the staged rows, as SQL: each check returns the rows it fails with a message and a fix.

Errors reject a row (and block the import unless the SENCo imports valid rows only); warnings are
reported and never block. Pupils are checked first so that rows of other sheets can be checked
against the pupils that will exist after the import.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from senlib.core.names import COLUMN_LABELS
from senlib.importer.headers import SheetPlan
from senlib.importer.normalise import Stage, ident, q
from senlib.importer.problems import ERROR, WARNING
from senlib.importer.synonyms import accepted_values
from senlib.store.fields import ENTITIES, KEYS, Field

COLUMNS = ["severity", "_file", "_sheet", "_row", "field", "value", "message", "fix"]
EARLIEST, LATEST_YEARS, OLDEST_PUPIL = date(1995, 1, 1), 5, 30
TIME_FIX = "Write the time the meeting starts as 14:30 or 2.30pm (one time, not a range), or use an Excel time."
DATE_FIX = "Write dates day first, for example 04/03/2025 for 4 March 2025, or use an Excel date."
NUMBER_FIX = {
    "number": "Write a number, e.g. 4 or 4.5.",
    "sessions": "Write how many sessions a week as a number, e.g. 2 (or '2 x weekly', 'daily'); for a fortnightly "
                "session write 0.5.",
    "minutes": "Write the minutes of one session as a number, e.g. 30 (or '30 mins', '1 hour'); how often it runs goes "
               "in the sessions-a-week column.",
    "money": "Write an amount in pounds, e.g. 1200 or £1,200.50.",
    "group": "Write how many pupils are in the group, e.g. 4 (or a ratio such as 1:4; 1 for 1:1).",
}


def _label(name: str) -> str:
    from senlib.store.fields import TRACKER_LABELS

    return COLUMN_LABELS.get(name, TRACKER_LABELS.get(name, name.replace("_", " ").capitalize())).lower()


def _select(table: str, severity: str, fld: str | None, value: str, message: str, fix: str, where: str,
            field_sql: str | None = None) -> str:
    fld_sql = field_sql or (q(fld) if fld else "NULL")
    return (f"SELECT {q(severity)} AS severity, _file, _sheet, _row, {fld_sql} AS field, "
            f"CAST({value} AS VARCHAR) AS value, {message} AS message, {q(fix)} AS fix FROM {table} WHERE {where}")


def _parse_checks(table: str, fields: list[Field], today: date, arrow: pa.Table | None = None) -> list[str]:
    """Unreadable values and impossible dates. With the staged Arrow table at hand, a check whose
    condition holds for no row is left out (clean data then costs almost no SQL)."""
    out = []
    t = f"DATE {q(today.isoformat())}"
    for f in fields:
        r, v = ident("r_" + f.name), ident(f.name)
        label = _label(f.name)
        if arrow is not None and f.kind != "text" and f.kind != "id" and f.kind != "name":
            raw, val = arrow.column("r_" + f.name), arrow.column(f.name)
            if raw.null_count == len(raw):
                continue  # column absent or empty
            unreadable = pc.sum(pc.and_(pc.is_valid(raw), pc.is_null(val))).as_py() or 0
            if f.kind == "date":
                lo, hi = pc.min_max(val).values()
                lo, hi = lo.as_py(), hi.as_py()
                soon = date(today.year + LATEST_YEARS, 1, 1)             # safely inside "5 years ahead"
                young = date(today.year - OLDEST_PUPIL + 1, 1, 1)        # safely inside "under 30"
                if (not unreadable and lo is not None and f.name != "date_of_birth" and lo >= EARLIEST and hi < soon) or \
                        (not unreadable and lo is not None and f.name == "date_of_birth" and hi <= today and lo >= young):
                    continue
            elif not unreadable:
                continue
        if f.kind == "date":
            out.append(_select(table, ERROR, f.name, r, q(f"This is not a date the importer can read ({label})"), DATE_FIX,
                               f"{r} IS NOT NULL AND {v} IS NULL"))
            if f.name == "date_of_birth":
                out.append(_select(table, ERROR, f.name, r, q("The date of birth is in the future"),
                                   "Check the date of birth; dates are read day first (04/03/2015 is 4 March 2015).",
                                   f"{v} > {t}"))
                out.append(_select(table, ERROR, f.name, r, q(f"The date of birth makes the pupil over {OLDEST_PUPIL}"),
                                   "Check the year of the date of birth.", f"{v} < {t} - INTERVAL {OLDEST_PUPIL} YEAR"))
            else:
                out.append(_select(table, ERROR, f.name, r, q(f"Impossible date ({label}): before 1995 or more than "
                                                           f"{LATEST_YEARS} years ahead"),
                                   "Check the year; " + DATE_FIX,
                                   f"({v} < DATE {q(EARLIEST.isoformat())} OR {v} > {t} + INTERVAL {LATEST_YEARS} YEAR)"))
        elif f.kind == "time":
            out.append(_select(table, ERROR, f.name, r, q(f"This is not a time the importer can read ({label})"), TIME_FIX,
                               f"{r} IS NOT NULL AND {v} IS NULL"))
        elif f.kind == "year":
            out.append(_select(table, ERROR, f.name, r, q("This is not a year group"),
                               "Use N1, N2, R (Reception) or a year from 1 to 14, e.g. 'Year 6', 'Y6' or '6'.",
                               f"{r} IS NOT NULL AND {v} IS NULL"))
        elif f.numeric:
            out.append(_select(table, ERROR, f.name, r, q(f"This is not a number ({label})"), NUMBER_FIX[f.kind],
                               f"{r} IS NOT NULL AND {v} IS NULL"))
        elif f.several:
            out.append(_select(table, ERROR, f.name, r, q(f"Unknown {label}"),
                               f"Use one or more of: {accepted_values(f.vocab or '')}, with ; between them.",
                               f"{r} IS NOT NULL AND {v} IS NULL"))
        elif f.kind == "bool" or f.vocab:
            vocab = f.vocab or "bool"
            out.append(_select(table, ERROR, f.name, r, q(f"Unknown {label}"),
                               f"Use one of: {accepted_values(vocab)}.", f"{r} IS NOT NULL AND {v} IS NULL"))
    return out


def _duplicates(cur: duckdb.DuckDBPyConnection, table: str, entity: str) -> list[str]:
    key = KEYS[entity]
    if cur.execute(f"SELECT count(*) = count(DISTINCT ({', '.join(ident(k) for k in key)})) FROM {table}").fetchall()[0][0]:
        return []  # no key occurs twice: nothing to compare
    data = [f.name for f in ENTITIES[entity] if f.name not in key]
    keyed = " AND ".join(f"{ident(k)} IS NOT NULL" for k in key if k in ("setting", "pupil_id"))
    part = ", ".join(ident(k) for k in key)
    what = "Pupil" if entity == "pupils" else "The same " + {"plans": "plan", "reviews": "review", "outcomes": "outcome",
                                                             "scores": "score", "ehc_requests": "EHC request",
                                                             "pupil_provisions": "intervention",
                                                             "review_invitees": "invitee", "review_actions": "action"}[entity] + " of pupil"
    # Group first (cheap), then look only at the keys that occur more than once.
    body = f"""(SELECT t.*, d._versions, d._copies, d._where,
                   row_number() OVER (PARTITION BY {', '.join('t.' + ident(k) for k in key)} ORDER BY t._file, t._sheet, t._row) AS _nth
            FROM {table} t JOIN (
                SELECT {part}, count(DISTINCT hash({', '.join(ident(d) for d in data)})) AS _versions, count(*) AS _copies,
                       string_agg(_sheet || ' row ' || _row, ', ' ORDER BY _file, _sheet, _row) AS _where
                FROM {table} WHERE {keyed} GROUP BY {part} HAVING count(*) > 1) d
              ON {' AND '.join(f't.{ident(k)} IS NOT DISTINCT FROM d.{ident(k)}' for k in key)})"""
    return [
        _select(body, ERROR, "pupil_id", "pupil_id",
                f"'{what} ' || pupil_id || ' appears ' || _copies || ' times in this upload with different details (' || _where || ')'",
                "Keep one row per pupil (or correct the id if these are different pupils), then upload again.",
                "_versions > 1"),
        _select(body, WARNING, "pupil_id", "pupil_id",
                f"'{what} ' || pupil_id || ' appears ' || _copies || ' times with the same details (' || _where || '); imported once'",
                "Nothing to do; delete the repeated row to keep the tracker tidy.", "_versions = 1 AND _nth > 1"),
    ]


IDENTITY_FIELDS = {"date_of_birth": "dates of birth", "first_name": "first names", "last_name": "surnames"}
CHANGING_FIELDS = ["year_group", "class", "sen_status", "primary_need", "secondary_need", "local_authority", "key_worker",
                   "date_identified", "leaving_date", "plan_type", "plan_start"]


def _pupil_duplicates(cur: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """A pupil on several rows (a review log, or the same pupil on two sheets) is one pupil when the identifying
    details agree (blank cells are not a disagreement). Two dates of birth or names for one id is a true conflict
    (an error on every row); other details that differ take the row with the latest review date, with a warning."""
    from senlib.importer.normalise import PUPIL_ROW_ORDER

    key = ["setting", "pupil_id"]
    if cur.execute(f"SELECT count(*) = count(DISTINCT (setting, pupil_id)) FROM {table}").fetchall()[0][0]:
        return []
    data = [f.name for f in ENTITIES["pupils"] if f.name not in key] + ["extra"]
    ident_n = ", ".join(f"count(DISTINCT lower(CAST({ident(f)} AS VARCHAR))) AS n_{f}" for f in IDENTITY_FIELDS)
    change_n = ", ".join(f"count(DISTINCT {ident(f)}) AS n_{f}" for f in CHANGING_FIELDS)
    conflict = " || ".join(f"CASE WHEN n_{f} > 1 THEN {q(', ' + words)} ELSE '' END" for f, words in IDENTITY_FIELDS.items())
    changed = " || ".join(f"CASE WHEN n_{f} > 1 THEN {q(', ' + _label(f).replace('sen ', 'SEN '))} ELSE '' END"
                          for f in CHANGING_FIELDS)
    body = f"""(SELECT t.*, d.*  EXCLUDE (setting, pupil_id),
                   row_number() OVER (PARTITION BY t.setting, t.pupil_id ORDER BY t._file, t._sheet, t._row) AS _nth,
                   row_number() OVER (PARTITION BY t.setting, t.pupil_id ORDER BY {PUPIL_ROW_ORDER.format(t="t.")}) AS _latest,
                   substr({conflict}, 3) AS _conflict, substr({changed}, 3) AS _changed
            FROM {table} t JOIN (
                SELECT setting, pupil_id, count(*) AS _copies, count(DISTINCT hash({', '.join(ident(d) for d in data)})) AS _versions,
                       string_agg(_sheet || ' row ' || _row, ', ' ORDER BY _file, _sheet, _row) AS _where,
                       {ident_n}, {change_n}
                FROM {table} WHERE setting IS NOT NULL AND pupil_id IS NOT NULL GROUP BY setting, pupil_id HAVING count(*) > 1) d
              ON t.setting IS NOT DISTINCT FROM d.setting AND t.pupil_id IS NOT DISTINCT FROM d.pupil_id)"""
    return [
        _select(body, ERROR, "pupil_id", "pupil_id",
                "'Pupil ' || pupil_id || ' appears ' || _copies || ' times in this upload with different details (' || _where "
                "|| '): two different ' || _conflict",
                "Keep one row per pupil (or correct the id if these are different pupils), then upload again.",
                "_conflict <> ''"),
        _select(body, WARNING, "pupil_id", "pupil_id",
                "'Pupil ' || pupil_id || ' is on ' || _copies || ' rows (' || _where || ') that differ in ' || _changed || "
                "': the row with the latest review date (' || _sheet || ' row ' || _row || ') is used for them'",
                "Nothing to do if that row is the pupil's current record; otherwise correct the older rows.",
                "_conflict = '' AND _changed <> '' AND _latest = 1"),
        _select(body, WARNING, "pupil_id", "pupil_id",
                "'Pupil ' || pupil_id || ' appears ' || _copies || ' times with the same details (' || _where || '); imported once'",
                "Nothing to do; delete the repeated row to keep the tracker tidy.", "_versions = 1 AND _nth > 1"),
    ]


def check(cur: duckdb.DuckDBPyConnection, stage: Stage, plans: list[tuple[int, SheetPlan]], today: date,
          allowed_settings: frozenset[str] | None = None) -> pd.DataFrame:
    """All problems of the staged upload, as a table with the COLUMNS above."""
    frames: list[pd.DataFrame] = [_sheet_problems(stage, plans)]
    if allowed_settings is not None:
        allowed = ", ".join(q(s) for s in sorted(allowed_settings)) or "NULL"
        frames.append(_run(cur, [_select(t, ERROR, "setting", "setting", "'You may not import records for ' || setting",
                                         "Import only records of the settings you look after; ask the trust's SENCo lead.",
                                         f"setting IS NOT NULL AND setting NOT IN ({allowed})") for t in stage.tables.values()]))
    t = f"DATE {q(today.isoformat())}"
    if "pupils" in stage.tables:
        p = stage.tables["pupils"]
        sql = _parse_checks(p, ENTITIES["pupils"], today, stage.arrow.get("pupils"))
        sql.append(_select(p, ERROR, "pupil_id", "coalesce(r_name, r_last_name, r_first_name)", q("This row has no pupil id"),
                           "Add the pupil's UPN or your own pupil id, or delete the row if it is not a pupil.",
                           "pupil_id IS NULL AND _has_id"))
        sql.append(_select(p, ERROR, "pupil_id", "coalesce(r_name, r_last_name, r_first_name)",
                           q("This row has no pupil id and no name with a date of birth to identify the pupil"),
                           "Add a Pupil ID (UPN) column, or fill in the pupil's name and date of birth.",
                           "pupil_id IS NULL AND NOT _has_id"))
        for fld in ("last_review_date", "plan_start", "date_identified", "next_review_date", "leaving_date",
                    "invitations_sent", "reports_received"):
            sql.append(_select(p, ERROR, fld, ident("r_" + fld), q(f"The {_label(fld)} is before the pupil's date of birth"),
                               "Check both dates; dates are read day first (04/03/2015 is 4 March 2015).",
                               f"{ident(fld)} < date_of_birth"))
        sql.append(_select(p, WARNING, "last_review_date", "coalesce(r_progress, r_decision, r_parent_attended, r_child_contributed)",
                           q("Review details (progress, decision, attendance) are not recorded because there is no last review date"),
                           "Fill in the date of the last review, then upload again.",
                           "_tracker AND last_review_date IS NULL AND coalesce(r_progress, r_decision, r_parent_attended, "
                           "r_child_contributed) IS NOT NULL"))
        sql.append(_select(p, WARNING, "next_review_date", "r_next_review_date",
                           q("The next review date is before the last review date"), "Check both review dates.",
                           "next_review_date < last_review_date"))
        from senlib.core.schoolyear import sql_year_code, sql_year_index

        derived = sql_year_code(sql_year_index("date_of_birth", t))
        sql.append(_select(p, WARNING, "year_group", "r_year_group",
                           f"'The year group does not match the date of birth (' || strftime(date_of_birth, '%d/%m/%Y') || "
                           f"' is ' || coalesce(CASE {derived} WHEN 'R' THEN 'Reception' WHEN 'N1' THEN 'Nursery 1' "
                           f"WHEN 'N2' THEN 'Nursery 2' ELSE 'Year ' || {derived} END, 'outside school age') || ' this school year)'",
                           "Check the year group and the date of birth. A pupil taught out of their year group is fine: "
                           "nothing to do.", f"year_group IS NOT NULL AND date_of_birth IS NOT NULL AND year_group IS DISTINCT FROM {derived}"))
        sql.append(_select(p, WARNING, "primary_need", "NULL",
                           "'A pupil on the SEN register (' || sen_status || ') should have a primary need'",
                           "Add the census code of the pupil's primary need, e.g. ASD, SLCN, SEMH, SPLD, MLD.",
                           "sen_status IN ('K', 'E') AND primary_need IS NULL AND r_primary_need IS NULL"))
        sql.append(_select(p, ERROR, "setting", "r_setting", q("It is not known which setting (school) this pupil belongs to"),
                           "Choose the setting when importing (the Setting box, or --setting on the command line), or add a "
                           "Setting column.", "setting IS NULL"))
        sql += _pupil_duplicates(cur, p)
        frames.append(_run(cur, sql))
    if stage.wide:
        frames.append(_run(cur, _wide_checks(stage, today)))
    if stage.grid:
        frames.append(_run(cur, [_select(stage.grid, ERROR, None, "r_provision_cell",
                                         "'This is not a tick or a number of sessions (' || provision_name || ')'",
                                         "Leave the cell blank when the pupil is not on the intervention; otherwise write a "
                                         "tick (\u2713, x, Y or Yes) or the number of sessions or hours a week.",
                                         "r_provision_cell IS NOT NULL AND on_it IS NULL",
                                         "'provision_cell#' || CAST(_c_provision_cell AS VARCHAR)")]))
    pupil_errors = _error_keys(frames, "pupils", stage)
    for entity, table in stage.tables.items():
        if entity == "pupils" or entity.startswith("_"):
            continue
        if entity in ("provisions", "pupil_provisions"):
            frames.append(_run(cur, _provision_checks(cur, stage, entity, today, pupil_errors)))
            continue
        fields = ENTITIES[entity]
        sql = _parse_checks(table, fields, today, stage.arrow.get(entity))
        for f in fields:
            if f.required and f.name not in ("setting",):
                sql.append(_select(table, ERROR, f.name, "NULL", q(f"The {_label(f.name)} is blank"),
                                   f"Fill in the {_label(f.name)} (it is required), or delete the row.",
                                   f"{ident('r_' + f.name)} IS NULL"))
        sql.append(_select(table, ERROR, "setting", "r_setting", q("It is not known which setting (school) this row belongs to"),
                           "Choose the setting when importing, or add a Setting column.", "setting IS NULL"))
        known = _known_pupils_sql(stage, pupil_errors)
        sql.append(_select(f"{table} x", ERROR, "pupil_id", "pupil_id",
                           "'There is no pupil ' || pupil_id || ' in this upload or in the database'",
                           "Check the pupil id; add the pupil to the Pupils sheet (or import them first).",
                           f"pupil_id IS NOT NULL AND setting IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ({known}) k "
                           f"WHERE k.setting = x.setting AND k.pupil_id = x.pupil_id)"))
        date_col = {"plans": "start_date", "reviews": "review_date", "outcomes": "start_date", "scores": "score_date",
                    "ehc_requests": "requested", "review_invitees": "invited_on", "review_actions": "due_date"}[entity]
        sql.append(_select(f"{table} x", ERROR, date_col, ident("r_" + date_col),
                           q(f"The {_label(date_col)} is before the pupil's date of birth"),
                           "Check the date; dates are read day first (04/03/2015 is 4 March 2015).",
                           f"{ident(date_col)} < (SELECT min(k.date_of_birth) FROM ({known}) k WHERE k.setting = x.setting "
                           f"AND k.pupil_id = x.pupil_id)"))
        sql += _review_id_checks(stage, entity, table)
        sql += _duplicates(cur, table, entity)
        frames.append(_run(cur, sql))
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(frames, ignore_index=True)


REVIEW_ID_FIX = ("Keep the Review ID the app gave (the record workbook of the review carries it), or clear the cell to "
                 "record a review the app did not schedule; a review cancelled in the app is scheduled again on the Pupil "
                 "page.")
CHILD_REVIEW_FIX = ("Use the Review ID of one of this pupil's reviews (see the Reviews sheet, or the review's record "
                    "workbook), or add the review to the Reviews sheet with that id.")


def _review_id_checks(stage: Stage, entity: str, table: str) -> list[str]:
    """A review named by its id (reviews.review_id) exists for that pupil: in the database (a record workbook updates
    the review it names) or, for a whole export imported with its pupils, in the upload; an invitee or action belongs
    to a review of its pupil in the upload or the database."""
    same = "r.setting = x.setting AND r.pupil_id = x.pupil_id AND r.review_id = x.review_id"
    ready = "x.review_id IS NOT NULL AND x.setting IS NOT NULL AND x.pupil_id IS NOT NULL"
    if entity == "reviews":
        with_pupils = (f"AND NOT EXISTS (SELECT 1 FROM {stage.tables['pupils']} p WHERE p.setting = x.setting "
                       "AND p.pupil_id = x.pupil_id)") if "pupils" in stage.tables else ""
        return [
            _select(f"{table} x", ERROR, "review_id", "x.r_review_id",
                    "'There is no review ' || x.review_id || ' for this pupil (' || x.pupil_id || ') in the database'",
                    REVIEW_ID_FIX, f"{ready} AND NOT EXISTS (SELECT 1 FROM reviews r WHERE {same}) {with_pupils}"),
            _select(f"(SELECT *, count(*) OVER (PARTITION BY setting, pupil_id, review_id) AS _n, string_agg(_sheet || "
                    f"' row ' || _row, ', ') OVER (PARTITION BY setting, pupil_id, review_id) AS _where FROM {table}) x",
                    ERROR, "review_id", "x.r_review_id",
                    "'The review ' || x.review_id || ' is on ' || x._n || ' rows of this upload (' || x._where || ')'",
                    "Keep one row per review: a review's id belongs to one meeting.", f"{ready} AND x._n > 1"),
        ]
    if entity in ("review_invitees", "review_actions"):
        staged = (f"UNION ALL SELECT setting, pupil_id, review_id FROM {stage.tables['reviews']} WHERE review_id IS NOT NULL"
                  if "reviews" in stage.tables else "")
        known = f"SELECT setting, pupil_id, review_id FROM reviews WHERE review_id IS NOT NULL {staged}"
        what = "invitee" if entity == "review_invitees" else "action"
        return [_select(f"{table} x", ERROR, "review_id", "x.r_review_id",
                        f"'This {what} is of review ' || x.review_id || ', but there is no review ' || x.review_id || "
                        "' of pupil ' || x.pupil_id || ' in this upload or in the database'",
                        CHILD_REVIEW_FIX, f"{ready} AND NOT EXISTS (SELECT 1 FROM ({known}) r WHERE {same})")]
    return []


PROVISION_LIMITS = {"sessions_per_week": (35, "sessions a week"), "minutes_per_session": (480, "minutes a session"),
                    "group_size": (60, "pupils in a group"), "weeks_per_year": (52, "weeks a year")}


def _provision_checks(cur: duckdb.DuckDBPyConnection, stage: Stage, entity: str, today: date,
                      pupil_errors: pd.DataFrame) -> list[str]:
    """Checks of a Provisions sheet (each intervention) and of a sheet of pupils' places on interventions: the pupil
    is on the register (matched by id, else name and date of birth), the intervention is described in the upload or
    already stored, numbers are possible, and the rows of one intervention agree on its details."""
    from senlib.store.fields import PROVISION_DETAILS

    table = stage.tables[entity]
    fields = ENTITIES[entity]
    sql = _parse_checks(table, fields, today, stage.arrow.get(entity))
    sql.append(_select(table, ERROR, "setting", "r_setting", q("It is not known which setting (school) this row belongs to"),
                       "Choose the setting when importing, or add a Setting column.", "setting IS NULL"))
    present = {f.name for f in fields}
    for name, (top, words) in PROVISION_LIMITS.items():
        if name in present:
            sql.append(_select(table, ERROR, name, ident("r_" + name), q(f"More {words} than is possible ({top} at most)"),
                               f"Check the number: it is the {words}.", f"{ident(name)} > {top} OR {ident(name)} < 0"))
    for name in ("hourly_cost", "fixed_cost", "annual_cost"):
        if name in present:
            sql.append(_select(table, ERROR, name, ident("r_" + name), q("A cost cannot be negative"),
                               "Write the cost in pounds, e.g. 1200.", f"{ident(name)} < 0"))
    if entity == "provisions":
        sql.append(_select(table, ERROR, "provision_id", "coalesce(r_provision_id, r_name)",
                           q("This row has no provision id and no intervention name"),
                           "Write the intervention's name (and, if you like, a short id such as P1), or delete the row.",
                           "provision_id IS NULL"))
        sql += _provision_duplicates(cur, table)
        return sql
    who = "coalesce(r_pupil_id, r_name, concat_ws(' ', r_first_name, r_last_name))"
    where_who = ("CASE WHEN _has_id THEN 'pupil_id' WHEN r_name IS NOT NULL OR r_last_name IS NULL THEN 'name' "
                 "ELSE 'last_name' END")
    sql.append(_select(table, ERROR, "pupil_id", who, q("This row has no pupil id"),
                       "Add the pupil's UPN or your own pupil id, or delete the row if it is not a pupil.",
                       "pupil_id IS NULL AND _has_id", where_who))
    sql.append(_select(table, ERROR, "pupil_id", who,
                       q("This row has no pupil id and no name with a date of birth to identify the pupil"),
                       "Fill in the pupil's name and date of birth as they are on the register, or add a Pupil ID (UPN) "
                       "column.", "pupil_id IS NULL AND NOT _has_id", where_who))
    known = _known_pupils_sql(stage, pupil_errors)
    sql.append(_select(f"{table} x", ERROR, "pupil_id", who,
                       f"'There is no pupil ' || {who} || CASE WHEN NOT _has_id THEN ' born ' || "
                       "coalesce(strftime(date_of_birth, '%d/%m/%Y'), '?') ELSE '' END || ' on the register of ' || setting "
                       "|| ' (in this upload or already imported)'",
                       "Check the name, date of birth or pupil id is written as on the register; a pupil new to the "
                       "register is added with the register (a Pupils sheet, or the register imported first).",
                       f"pupil_id IS NOT NULL AND setting IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ({known}) k "
                       f"WHERE k.setting = x.setting AND k.pupil_id = x.pupil_id)", where_who))
    sql.append(_select(table, ERROR, "provision_id", "NULL", q("This row names no intervention"),
                       "Fill in the intervention (its name, or its id on the Provisions sheet), or delete the row.",
                       "provision_id IS NULL AND NOT _grid AND pupil_id IS NOT NULL"))
    described = ["SELECT setting, provision_id FROM provisions"]
    if "provisions" in stage.tables:
        described.append(f"SELECT setting, provision_id FROM {stage.tables['provisions']}")
    stored = " UNION ALL ".join(described)
    described.append(f"SELECT setting, provision_id FROM {table} WHERE provision_name IS NOT NULL")
    unknown = (f"provision_id IS NOT NULL AND setting IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
               f"({' UNION ALL '.join(described)}) d WHERE d.setting = x.setting AND d.provision_id = x.provision_id)")
    sql.append(_select(f"{table} x", ERROR, "provision_id", "r_provision_id",
                       "'There is no provision ' || provision_id || ' for ' || setting || ' in this upload or already imported'",
                       "Describe the intervention on a Provisions sheet (its id, name, who delivers it, how often and how "
                       "long), or correct the provision id.", unknown))
    if stage.grid:
        sql.append(_select(f"(SELECT * FROM {stage.grid} x WHERE on_it AND setting IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
                           f"({stored}) d WHERE d.setting = x.setting AND d.provision_id = x.provision_id) "
                           "QUALIFY row_number() OVER (PARTITION BY setting, provision_id ORDER BY _file, _sheet, _row) = 1)",
                           WARNING, None, "provision_name",
                           "'The intervention \"' || provision_name || '\" is not described on a sheet of its own: it is "
                           "imported with its name only'",
                           "Add a sheet listing each intervention with who delivers it, how often, how long and its cost "
                           "(as the template's Provisions sheet), so that its hours and cost can be worked out.",
                           "TRUE", "'provision_cell#' || CAST(_c_provision_cell AS VARCHAR)"))
    sql.append(_select(f"{table} x", ERROR, "start_date", "r_start_date", q("The start date is before the pupil's date of birth"),
                       "Check the date; dates are read day first (04/03/2015 is 4 March 2015).",
                       f"start_date < (SELECT min(k.date_of_birth) FROM ({known}) k WHERE k.setting = x.setting "
                       "AND k.pupil_id = x.pupil_id)"))
    sql.append(_select(table, WARNING, "end_date", "r_end_date", q("The end date is before the start date"),
                       "Check both dates; dates are read day first.", "end_date < start_date"))
    sql.append(_select(table, WARNING, "sessions_attended", "r_sessions_attended",
                       q("More sessions attended than planned"), "Check both numbers.",
                       "sessions_attended > sessions_planned"))
    sql += _duplicates(cur, table, entity)
    # the rows of one intervention should agree on its details (they make one Provisions row)
    for name in PROVISION_DETAILS:
        v = ident(name)
        body = f"""(SELECT x.*, d._used, d._others FROM {table} x JOIN (
                SELECT setting, provision_id, arg_max({v}, _n) AS _used,
                       string_agg(DISTINCT CAST({v} AS VARCHAR), ', ') AS _others
                FROM (SELECT setting, provision_id, {v}, count(*) OVER (PARTITION BY setting, provision_id, {v}) * 1000000
                             - row_number() OVER (PARTITION BY setting, provision_id, {v} ORDER BY _file, _sheet, _row) AS _n
                      FROM {table} WHERE provision_name IS NOT NULL AND {v} IS NOT NULL)
                GROUP BY ALL HAVING count(DISTINCT {v}) > 1) d USING (setting, provision_id))"""
        label = _label(name)
        sql.append(_select(body, WARNING, name, ident("r_" + name),
                           f"'The rows of ' || coalesce(provision_name, provision_id) || ' give different {label} (' || _others "
                           f"|| '): ' || CAST(_used AS VARCHAR) || ', the value most rows give, is used'",
                           "Give every row of an intervention the same details; if a pupil has it more often or for "
                           "longer, make that a separate intervention with a name of its own (e.g. 'Reading 3x').",
                           f"provision_name IS NOT NULL AND {v} IS DISTINCT FROM _used AND {v} IS NOT NULL"))
    return sql


def _provision_duplicates(cur: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    if cur.execute(f"SELECT count(*) = count(DISTINCT (setting, provision_id)) FROM {table}").fetchall()[0][0]:
        return []
    data = [f.name for f in ENTITIES["provisions"] if f.name not in KEYS["provisions"]]
    body = f"""(SELECT t.*, d._versions, d._copies, d._where,
                   row_number() OVER (PARTITION BY t.setting, t.provision_id ORDER BY t._file, t._sheet, t._row) AS _nth
            FROM {table} t JOIN (
                SELECT setting, provision_id, count(DISTINCT hash({', '.join(ident(d) for d in data)})) AS _versions,
                       count(*) AS _copies, string_agg(_sheet || ' row ' || _row, ', ' ORDER BY _file, _sheet, _row) AS _where
                FROM {table} WHERE setting IS NOT NULL AND provision_id IS NOT NULL GROUP BY ALL HAVING count(*) > 1) d
              USING (setting, provision_id))"""
    return [
        _select(body, ERROR, "provision_id", "provision_id",
                "'Provision ' || provision_id || ' appears ' || _copies || ' times in this upload with different details ('"
                " || _where || ')'", "Keep one row per intervention (or give different interventions different ids or "
                "names), then upload again.", "_versions > 1"),
        _select(body, WARNING, "provision_id", "provision_id",
                "'Provision ' || provision_id || ' appears ' || _copies || ' times with the same details (' || _where || "
                "'); imported once'", "Nothing to do; delete the repeated row to keep the sheet tidy.",
                "_versions = 1 AND _nth > 1"),
    ]


_WIDE_LABEL = {"history_review_date": "review date", "history_progress": "progress at the review",
               "history_parent_attended": "parent attended the review", "history_decision": "decision at the review",
               "target_area": "area of need", "target_baseline": "baseline score", "target_value": "target score",
               "target_score": "scaling score"}


def _wide_checks(stage: Stage, today: date) -> list[str]:
    """Unreadable cells of the review history and target columns, impossible review dates, details without a date."""
    from senlib.importer.normalise import WIDE_STAGE_FIELDS, WIDE_STAGED

    out = []
    t = f"DATE {q(today.isoformat())}"
    for kind, table in stage.wide.items():
        for f in WIDE_STAGE_FIELDS[kind]:
            name = WIDE_STAGED[kind][f.name]
            where_col = f"{q(name)} || '#' || CAST({ident('_c_' + f.name)} AS VARCHAR)"
            r, v = ident("r_" + f.name), ident(f.name)
            if f.kind == "text":
                continue
            label = _WIDE_LABEL[name]
            if f.kind == "date":
                message, fix = f"This is not a date the importer can read ({label})", DATE_FIX
            elif f.kind == "number":
                message, fix = f"This is not a number ({label})", "Write a number, e.g. 4 or 4.5."
            else:
                message, fix = f"Unknown {label}", f"Use one of: {accepted_values(f.vocab or 'bool')}."
            out.append(_select(table, ERROR, None, r, q(message), fix, f"{r} IS NOT NULL AND {v} IS NULL", where_col))
            if f.kind == "date":
                out.append(_select(table, ERROR, None, r, q(f"Impossible date ({label}): before 1995 or more than "
                                                            f"{LATEST_YEARS} years ahead"), "Check the year; " + DATE_FIX,
                                   f"({v} < DATE {q(EARLIEST.isoformat())} OR {v} > {t} + INTERVAL {LATEST_YEARS} YEAR)",
                                   where_col))
    if "reviews" in stage.wide:
        table = stage.wide["reviews"]
        details = "coalesce(r_progress, r_parent_attended, r_decision)"
        out.append(_select(table, WARNING, None, details,
                           q("Progress, attendance or a decision is recorded beside a review that has no date: not imported"),
                           "Fill in the date of that review, then upload again.",
                           f"r_review_date IS NULL AND {details} IS NOT NULL",
                           "'history_review_date#' || CAST(_c_review_date AS VARCHAR)"))
    if "scores" in stage.wide:
        scores, targets = stage.wide["scores"], stage.wide.get("targets")
        has_text = (f"EXISTS (SELECT 1 FROM {targets} t WHERE t._file = s._file AND t._sheet = s._sheet AND t._row = s._row "
                    "AND t.slot = s.slot AND t.r_description IS NOT NULL)") if targets else "FALSE"
        out.append(_select(f"{scores} s", WARNING, None, "r_score",
                           q("A score is recorded for a target that has no text in this row: not imported"),
                           "Write the target in its column, or delete the score.",
                           f"r_score IS NOT NULL AND NOT {has_text}", "'target_score#' || CAST(_c_score AS VARCHAR)"))
    return out


def _run(cur: duckdb.DuckDBPyConnection, sql: list[str]) -> pd.DataFrame:
    if not sql:
        return pd.DataFrame(columns=COLUMNS)
    return cur.execute(" UNION ALL ".join(f"({s})" for s in sql)).df()


def _error_keys(frames: list[pd.DataFrame], entity: str, stage: Stage) -> pd.DataFrame:
    rows = [f[(f["severity"] == ERROR) & f["_row"].notna()][["_file", "_sheet", "_row"]] for f in frames if len(f)]
    return pd.concat(rows, ignore_index=True).drop_duplicates() if rows else pd.DataFrame(columns=["_file", "_sheet", "_row"])


def _known_pupils_sql(stage: Stage, pupil_errors: pd.DataFrame) -> str:
    """Pupils that will exist after the import: valid pupil rows of this upload, and the database's."""
    db = "SELECT setting, pupil_id, date_of_birth FROM pupils"
    if "pupils" not in stage.tables:
        return db
    name = f"{stage.prefix}_pupil_errors"
    stage.cur.register(name, pupil_errors.astype({"_file": "int64", "_row": "int64"}) if len(pupil_errors) else
                       pd.DataFrame({"_file": pd.Series(dtype="int64"), "_sheet": pd.Series(dtype="str"),
                                     "_row": pd.Series(dtype="int64")}))
    stage.views.append(name)
    p = stage.tables["pupils"]
    return (f"SELECT setting, pupil_id, date_of_birth FROM {p} s WHERE pupil_id IS NOT NULL AND setting IS NOT NULL "
            f"AND NOT EXISTS (SELECT 1 FROM {name} e WHERE e._file = s._file AND e._sheet = s._sheet AND e._row = s._row) "
            f"UNION ALL {db}")


def _sheet_problems(stage: Stage, plans: list[tuple[int, SheetPlan]]) -> pd.DataFrame:
    """Whole-sheet problems: a required column missing (the row checks then reject each row)."""
    rows = []
    for file_idx, plan in plans:
        if plan.entity is None or plan.entity not in stage.tables:
            continue
        mapped = set(plan.fields())
        missing = []
        if plan.entity == "pupils":
            if "pupil_id" not in mapped and not ({"name", "last_name"} & mapped and "date_of_birth" in mapped):
                missing.append(("pupil_id", "There is no pupil id column (UPN, Pupil ID, Student ID...)",
                                "Add a column headed 'Pupil ID' or 'UPN' with each pupil's id, or map one of the columns "
                                "to Pupil ID in the preview."))
            elif "pupil_id" not in mapped:
                rows.append((WARNING, file_idx, plan.sheet, None, "pupil_id",
                             None, "There is no pupil id column: pupils are identified by name and date of birth",
                             "Add a 'UPN' or 'Pupil ID' column if you can, so a pupil whose name changes is not counted twice."))
        elif plan.entity in ("provisions", "pupil_provisions"):
            for f, alternatives, message, fix in (
                    ("provision_id", {"name", "provision_name"}, "There is no column naming the intervention",
                     "Add a column headed 'Intervention' (its name) or 'Provision ID', or map one of the columns to it in "
                     "the preview."),
                    ("pupil_id", {"name", "last_name"}, "There is no pupil id column, and no pupil name with a date of "
                     "birth", "Add a 'Pupil ID' (UPN) column, or the pupil's name and date of birth as on the register.")):
                if f == "pupil_id" and plan.entity == "provisions":
                    continue
                names_them = bool(alternatives & mapped) and (f != "pupil_id" or "date_of_birth" in mapped)
                if f not in mapped and not names_them and not (f == "provision_id" and plan.grid()):
                    missing.append((f, message, fix))
        else:
            for f in ENTITIES[plan.entity]:
                if f.required and f.name not in mapped:
                    missing.append((f.name, f"There is no {_label(f.name)} column on this {plan.entity.replace('_', ' ')} sheet",
                                    f"Add a column headed '{f.label}', or map one of the columns to it in the preview."))
        for fld, message, fix in missing:  # its rows are rejected by the row checks ("... is blank")
            rows.append((ERROR, file_idx, plan.sheet, None, fld, None, message, fix))
    return pd.DataFrame(rows, columns=COLUMNS)
