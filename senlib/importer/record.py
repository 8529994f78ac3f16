"""The record workbook of a review meeting (issue 17, item 3): the review record form as an Excel workbook in the
template's format, pre-filled from the review scheduled in the app, which the importer reads back as it is.

Filled in after the meeting and uploaded (Upload page or `python -m senlib import`), it records the review (held),
attendance and views, the scores of the pupil's outcomes, the decisions, the actions and the next review date in one
import, undoable like any other. Its Reviews row carries the review's own id, so it updates that review (even when
its date was changed) rather than adding one (app_reviews.move_by_review_id). Rows left blank record nothing: the
unused Actions rows and outcomes not scored are skipped (normalise.RECORDS_NOTHING_WHEN_BLANK); the outcome text and
last score beside each score are headed '(for reference)', so they are not imported (headers.FOR_REFERENCE).
"""

from __future__ import annotations

from datetime import date

import duckdb
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from senlib import access
from senlib.core.errors import InputError
from senlib.core.names import ENTITY_SHEETS
from senlib.importer.template import (
    HEAD_FILL,
    HEAD_FONT,
    NOTE_FILL,
    NOTE_FONT,
    README_SHEET,
    _cell,
    _lists_sheet,
    _save,
    _validations,
)
from senlib.store.fields import ENTITIES, Field

# The Reviews columns of the record, in the order a SENCo fills them in after the meeting.
REVIEW_COLUMNS = ["setting", "pupil_id", "plan_type", "review_id", "review_date", "start_time", "place", "chair", "kind",
                  "held", "parent_attended", "child_contributed", "parents_views", "child_views", "attendance", "progress",
                  "decision", "next_review_date", "notes"]
EHCP_COLUMNS = ["report_sent", "pfa_covered"]           # an EHC plan's review: the report to the council, PfA
SCORE_COLUMNS = ["setting", "pupil_id", "outcome_id", "score_date", "score"]
INVITEE_COLUMNS = [f.name for f in ENTITIES["review_invitees"]]
ACTION_COLUMNS = [f.name for f in ENTITIES["review_actions"]]
ACTION_ROWS = 5                                          # blank actions A1..A5 (more when the review has more)
REFERENCE = "(for reference)"                            # headers.FOR_REFERENCE: read, never imported
HELPERS = [(f"Outcome {REFERENCE}", "The outcome, to read while scoring it (not imported)."),
           (f"Last score {REFERENCE}", "The outcome's last score and its date (not imported).")]


def _fields(entity: str, names: list[str]) -> list[Field]:
    by_name = {f.name: f for f in ENTITIES[entity]}
    return [by_name[n] for n in names]


def _sheet(wb: Workbook, entity: str, fields: list[Field], rows: list[list[object]],
           helpers: list[tuple[str, str]] = ()) -> None:
    """A sheet as the template's: headings, the notes row, drop-down lists on coded columns, then `rows`."""
    ws = wb.create_sheet(ENTITY_SHEETS[entity])
    headings = [f.label for f in fields] + [h for h, _ in helpers]
    for i, h in enumerate(headings, start=1):
        wide = 40 if i > len(fields) or fields[i - 1].name in ("parents_views", "child_views", "notes", "action") else 0
        ws.column_dimensions[get_column_letter(i)].width = wide or max(12, min(30, len(h) + 4))
    ws.freeze_panes = "C3"
    ws.append([_cell(ws, h, font=HEAD_FONT, fill=HEAD_FILL) for h in headings])
    notes = [f.note for f in fields] + [n for _, n in helpers]
    ws.append([_cell(ws, n, font=NOTE_FONT, fill=NOTE_FILL, alignment=Alignment(wrap_text=True, vertical="top"))
               for n in notes])
    _validations(ws, fields)
    for row in rows:
        ws.append([_cell(ws, v) for v in row])


def _readme(wb: Workbook, pupil: str, when: date, review_id: str) -> None:
    ws = wb.create_sheet(README_SHEET)
    lines = [
        f"Review record: {pupil}, review of {when:%d/%m/%Y} ({review_id})",
        "Fill this in during or after the meeting, save it, and upload it on the Upload page (or: python -m senlib "
        "import this-file.xlsx). It records the review as held, with its scores, decisions, actions and next date, "
        "in one import that you can undo on the Upload page.",
        "Reviews: fill in who attended, the parents' and the child's views, attendance, progress, the decision and the "
        "next review date. Keep the Review ID as it is. If the meeting was held on another day, change its date here "
        "and the Score date on the Scores sheet.",
        "Scores: a score for each outcome, on its scale; leave it blank for an outcome not scored. The columns marked "
        f"{REFERENCE} are there to read and are not imported.",
        "Invitees: after the meeting, Attended Yes or No for each person, and the date each written report arrived.",
        "Actions: what will happen, who will do it and by when, one action a row; unused rows are ignored.",
        "Row 2 of each sheet explains its columns; coded columns have drop-down lists (the codes are on the Lists sheet).",
    ]
    for line in lines:
        ws.append([_cell(ws, line, font=Font(bold=True)) if line is lines[0] else line])


def record_workbook(cur: duckdb.DuckDBPyConnection, setting: str, review_id: str, *, as_of: date,
                    viewer: access.Viewer) -> bytes:
    """The pre-filled record workbook of review `review_id` of `setting` (staff with access to the setting).
    Raises InputError when there is no such review."""
    if setting not in (access.staff_scope(viewer, [setting]) or []):
        raise access.AccessDenied(f"You do not have access to {setting}.", fix="Ask a SENCo of that setting.")
    cols = ", ".join(REVIEW_COLUMNS + EHCP_COLUMNS)
    found = cur.execute(f"SELECT {cols} FROM reviews WHERE setting = ? AND review_id = ?", [setting, review_id]).fetchall()
    if not found:
        raise InputError(f"There is no review {review_id} in {setting}.",
                         fix="Schedule the review on the Pupil page first, then download its record workbook.")
    review = dict(zip(REVIEW_COLUMNS + EHCP_COLUMNS, found[0], strict=True))
    pupil_id, when = review["pupil_id"], review["review_date"]
    name = cur.execute("SELECT concat_ws(' ', first_name, last_name) FROM pupils WHERE setting = ? AND pupil_id = ?",
                       [setting, pupil_id]).fetchall()
    pupil = f"{name[0][0]} ({pupil_id})" if name and name[0][0] else pupil_id
    review["held"] = True
    names = REVIEW_COLUMNS + (EHCP_COLUMNS if review["plan_type"] == "ehcp" else [])
    wb = Workbook(write_only=True)
    _readme(wb, pupil, when, review_id)
    _sheet(wb, "reviews", _fields("reviews", names), [[review[n] for n in names]])
    outcomes = cur.execute("""
        SELECT o.outcome_id, o.description, s.score, s.score_date, coalesce(o.scale_min, 0), coalesce(o.scale_max, 10)
        FROM outcomes o LEFT JOIN (
            SELECT outcome_id, arg_max(score, score_date) AS score, max(score_date) AS score_date FROM scores
            WHERE setting = ? AND pupil_id = ? AND score_date <= ? GROUP BY ALL) s USING (outcome_id)
        WHERE o.setting = ? AND o.pupil_id = ? AND coalesce(o.status, 'active') = 'active'
        ORDER BY o.outcome_id""", [setting, pupil_id, as_of, setting, pupil_id]).fetchall()
    scored = cur.execute("SELECT outcome_id, score FROM scores WHERE setting = ? AND pupil_id = ? AND score_date = ?",
                         [setting, pupil_id, when]).fetchall()
    today = dict(scored)
    rows = [[setting, pupil_id, oid, when, today.get(oid), text,
             f"{_number(last)} on {last_date:%d/%m/%Y} (scale {_number(lo)} to {_number(hi)})" if last is not None
             else f"none yet (scale {_number(lo)} to {_number(hi)})"]
            for oid, text, last, last_date, lo, hi in outcomes]
    _sheet(wb, "scores", _fields("scores", SCORE_COLUMNS), rows, HELPERS)
    people = cur.execute(f"""SELECT {', '.join(INVITEE_COLUMNS)} FROM review_invitees
        WHERE setting = ? AND review_id = ? ORDER BY length(invitee_id), invitee_id""", [setting, review_id]).fetchall()
    _sheet(wb, "review_invitees", _fields("review_invitees", INVITEE_COLUMNS), [list(r) for r in people])
    actions = [list(r) for r in cur.execute(f"""SELECT {', '.join(ACTION_COLUMNS)} FROM review_actions
        WHERE setting = ? AND review_id = ? ORDER BY length(action_id), action_id""", [setting, review_id]).fetchall()]
    taken = {r[ACTION_COLUMNS.index("action_id")] for r in actions}
    n = 1
    while len(actions) < max(ACTION_ROWS, len(taken) + 2):
        if f"A{n}" not in taken:
            actions.append([setting, pupil_id, review_id, f"A{n}"] + [None] * (len(ACTION_COLUMNS) - 4))
        n += 1
    _sheet(wb, "review_actions", _fields("review_actions", ACTION_COLUMNS), actions)
    _lists_sheet(wb)
    return _save(wb, None)


def _number(x: float | None) -> str:
    return "" if x is None else (str(int(x)) if float(x).is_integer() else f"{x:g}")
