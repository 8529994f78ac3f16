"""Workbooks the importer writes: the canonical template, a full export of the database in the
template's format (which imports back to the same data), and rejected rows with their reasons.

Written with openpyxl in write-only mode. Text that Excel would run as a formula (= + - @ at the
start) is written as text, so an export is safe to open.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from senlib import access
from senlib.core.names import (
    AREAS,
    DECISIONS,
    EHC_DECISIONS,
    ENTITY_SHEETS,
    INVITEE_RESPONSES,
    INVITEE_ROLES,
    NEEDS,
    OUTCOME_STATUS,
    PLAN_TYPES,
    PROGRESS,
    PROVISION_KINDS,
    PROVISION_MEASURES,
    REVIEW_KINDS,
    SEN_STATUS,
    SETTING_PHASES,
    STAFF_ROLES,
)
from senlib.importer.headers import NOT_IMPORTED
from senlib.importer.normalise import ident
from senlib.store.fields import TEMPLATE_COLUMNS, Field
from senlib.store.setting_details import HEADINGS as SETTINGS_HEADINGS
from senlib.store.setting_details import SHEET as SETTINGS_SHEET

LISTS_SHEET = "Lists"
README_SHEET = "Read me"
FIRST_DATA_ROW = 3          # row 1 headings, row 2 notes
VALIDATION_ROWS = 5000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
VOCABS: dict[str, dict[str, str]] = {
    "sen_status": SEN_STATUS, "need": NEEDS, "plan_type": PLAN_TYPES, "review_kind": REVIEW_KINDS, "progress": PROGRESS,
    "decision": DECISIONS, "area": AREAS, "outcome_status": OUTCOME_STATUS, "ehc_decision": EHC_DECISIONS,
    "provision_kind": PROVISION_KINDS, "staff_role": STAFF_ROLES, "provision_measure": PROVISION_MEASURES,
    "invitee_role": INVITEE_ROLES, "invitee_response": INVITEE_RESPONSES,
}
HEAD_FONT, HEAD_FILL = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1F4E79")
NOTE_FONT, NOTE_FILL = Font(italic=True, color="444444", size=9), PatternFill("solid", fgColor="EEF3F8")

EXAMPLES: dict[str, dict[str, object]] = {
    "pupils": {"pupil_id": "EXAMPLE-1", "first_name": "Sam", "last_name": "Example", "date_of_birth": date(2015, 3, 4),
               "year_group": "6", "class": "6B", "sen_status": "K", "primary_need": "SLCN", "key_worker": "Mrs Jones",
               "date_identified": date(2022, 10, 3)},
    "plans": {"pupil_id": "EXAMPLE-1", "plan_type": "sen_support", "start_date": date(2022, 10, 3)},
    "reviews": {"pupil_id": "EXAMPLE-1", "plan_type": "sen_support", "review_date": date(2025, 11, 20), "held": True,
                "kind": "termly", "parent_attended": True, "child_contributed": True, "progress": "expected",
                "decision": "maintain", "next_review_date": date(2026, 3, 12), "review_id": "R-EXAMPLE1",
                "start_time": "15:30", "place": "SENCo's office", "chair": "Mrs Patel (SENCo)"},
    "outcomes": {"pupil_id": "EXAMPLE-1", "outcome_id": "O1", "area": "communication_interaction",
                 "description": "Sam will take turns in a small-group conversation for five minutes", "baseline": 2,
                 "target": 8, "scale_min": 0, "scale_max": 10, "start_date": date(2025, 9, 8),
                 "target_date": date(2026, 7, 17), "status": "active"},
    "scores": {"pupil_id": "EXAMPLE-1", "outcome_id": "O1", "score_date": date(2025, 11, 20), "score": 4},
    "review_invitees": {"pupil_id": "EXAMPLE-1", "review_id": "R-EXAMPLE1", "invitee_id": "I1", "name": "Ms Example",
                        "role": "parent_carer", "contact": "01234 567890", "response": "attending",
                        "invited_on": date(2025, 10, 9)},
    "review_actions": {"pupil_id": "EXAMPLE-1", "review_id": "R-EXAMPLE1", "action_id": "A1",
                       "action": "Share the new targets with the class team", "owner": "Mrs Jones",
                       "due_date": date(2025, 12, 5)},
    "ehc_requests": {"pupil_id": "EXAMPLE-1", "requested": date(2025, 1, 15), "decision_date": date(2025, 2, 26),
                     "decision": "agreed", "final_plan_date": date(2025, 6, 2), "local_authority": "Northmoor Council"},
    "provisions": {"provision_id": "EXAMPLE-P1", "name": "Talk Boost", "areas": "communication_interaction",
                   "kind": "small_group", "delivered_by": "teaching_assistant", "group_size": 4, "sessions_per_week": 3,
                   "minutes_per_session": 30, "weeks_per_year": 10, "fixed_cost": 120, "start_date": date(2025, 9, 15),
                   "measure": "standardised", "expected_gain": 8, "notes": "Language group in the library"},
    "pupil_provisions": {"pupil_id": "EXAMPLE-1", "provision_id": "EXAMPLE-P1", "start_date": date(2025, 9, 15),
                         "end_date": date(2025, 12, 12), "entry_score": 82, "entry_date": date(2025, 9, 12),
                         "exit_score": 91, "exit_date": date(2025, 12, 12), "sessions_attended": 27,
                         "sessions_planned": 30},
}


def _cell(ws, value: object, **style) -> WriteOnlyCell:
    if isinstance(value, pd.Timestamp):
        value = value.date()
    if isinstance(value, float) and pd.isna(value):
        value = None
    c = WriteOnlyCell(ws, value=value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        c.data_type, c.quotePrefix = "s", True  # never a formula, not even after the cell is edited in Excel
    if isinstance(value, (date, datetime)):
        c.number_format = "DD/MM/YYYY"
    for k, v in style.items():
        setattr(c, k, v)
    return c


def _sheet(wb: Workbook, entity: str, fields: list[Field], extra: list[str], with_validation: bool = True):
    ws = wb.create_sheet(ENTITY_SHEETS[entity])
    headings = [f.label for f in fields] + extra
    for i, h in enumerate(headings, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(12, min(40, len(h) + 4))
    ws.freeze_panes = "C3"
    ws.append([_cell(ws, h, font=HEAD_FONT, fill=HEAD_FILL) for h in headings])
    notes = [f.note for f in fields] + ["Your own column: kept with the pupil."] * len(extra)
    ws.append([_cell(ws, n, font=NOTE_FONT, fill=NOTE_FILL, alignment=Alignment(wrap_text=True, vertical="top"))
               for n in notes])
    if with_validation:
        _validations(ws, fields)
    return ws


def _validations(ws, fields: list[Field]) -> None:
    """A drop-down list (data validation) on every coded column, from the Lists sheet."""
    vocab_cols = {v: i for i, v in enumerate(VOCABS)}
    for i, f in enumerate(fields, start=1):
        col = get_column_letter(i)
        rng = f"{col}{FIRST_DATA_ROW}:{col}{VALIDATION_ROWS}"
        if f.vocab in VOCABS:
            letter = get_column_letter(vocab_cols[f.vocab] * 3 + 1)
            n = len(VOCABS[f.vocab])
            dv = DataValidation(type="list", formula1=f"={LISTS_SHEET}!${letter}$2:${letter}${n + 1}", allow_blank=True,
                                showErrorMessage=True, errorStyle="warning", errorTitle=f.label,
                                error=f"Choose a code from the list (see the {LISTS_SHEET} sheet).")
        elif f.kind == "bool":
            dv = DataValidation(type="list", formula1='"Yes,No"', allow_blank=True)
        elif f.kind == "year":
            dv = DataValidation(type="list", formula1='"N1,N2,R,1,2,3,4,5,6,7,8,9,10,11,12,13,14"', allow_blank=True,
                                showErrorMessage=True, errorStyle="warning")
        else:
            continue
        dv.add(rng)
        ws.data_validations.append(dv)


def _lists_sheet(wb: Workbook) -> None:
    ws = wb.create_sheet(LISTS_SHEET)
    heads, columns = [], []
    for vocab, codes in VOCABS.items():
        heads += [f"{vocab.replace('_', ' ').capitalize()} code", "Meaning", None]
        columns.append(list(codes.items()))
    ws.append([_cell(ws, h, font=Font(bold=True)) if h else None for h in heads])
    for r in range(max(len(c) for c in columns)):
        row: list = []
        for col in columns:
            row += [col[r][0], col[r][1], None] if r < len(col) else [None, None, None]
        ws.append(row)


@dataclass(frozen=True)
class ReadingSheet:
    """A sheet an export carries for reading only, beside the data: its name ends with '(not imported)', so importing
    the export skips it and the data sheets alone import back to the same data. Row 1 headings, row 2 notes."""

    name: str
    headings: Sequence[str]
    notes: Sequence[str]
    rows: Iterable[Sequence[object]]
    readme: str = ""  # a line for the Read me sheet saying what the sheet holds

    def __post_init__(self) -> None:
        if not self.name.lower().endswith(NOT_IMPORTED) or len(self.name) > 31:
            raise ValueError(f"A sheet for reading only is named '... {NOT_IMPORTED}', in at most 31 characters: {self.name!r}")


def _reading_sheet(wb: Workbook, sheet: ReadingSheet) -> None:
    ws = wb.create_sheet(sheet.name)
    for i, h in enumerate(sheet.headings, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(12, min(60, len(h) + 4))
    ws.freeze_panes = "C3"
    ws.append([_cell(ws, h, font=HEAD_FONT, fill=HEAD_FILL) for h in sheet.headings])
    ws.append([_cell(ws, n, font=NOTE_FONT, fill=NOTE_FILL, alignment=Alignment(wrap_text=True, vertical="top"))
               for n in sheet.notes])
    for row in sheet.rows:
        ws.append([_cell(ws, v) for v in row])


def _readme(wb: Workbook, more: Sequence[str] = ()) -> None:
    ws = wb.create_sheet(README_SHEET)
    for line in [
        "SEN caseload template",
        "One sheet per kind of record. Row 1 holds the column headings (keep them), row 2 explains each column,",
        "row 3 is an example (its Pupil ID starts with EXAMPLE, so it is never imported). Type or paste your data below.",
        "Dates are day first: 04/03/2025 is 4 March 2025. Coded columns have drop-down lists; the codes are on the Lists sheet.",
        "Only Pupil ID is required on the Pupils sheet. Extra columns of your own are kept with each pupil.",
        "The Settings sheet (optional) gives each setting's phase and local authority; the review rules use them.",
        "Import with the Upload page, or: python -m senlib import this-file.xlsx --setting \"Your school\"",
        *more,
        "Provisions lists each intervention (who delivers it, how often, how long, its cost); Pupil provisions each "
        "pupil's place on one, with entry and exit scores and attendance. A provision map of your own (a row per pupil "
        "per intervention, or pupils down and interventions across) imports as it is.",
        "Invitees lists who is invited to a review meeting and what they replied; Actions what a review agreed (what, "
        "who, by when). Both name the review by its Review ID, which the app gives when a review is scheduled in it.",
    ]:
        ws.append([line])


def write_template(target: str | io.BufferedIOBase | None = None) -> bytes:
    """The canonical template: one sheet per entity, notes row, drop-down lists, an example row."""
    wb = Workbook(write_only=True)
    _readme(wb)
    for entity, fields in TEMPLATE_COLUMNS.items():
        ws = _sheet(wb, entity, fields, [])
        ex = EXAMPLES[entity]
        ws.append([_cell(ws, ex.get(f.name), font=Font(italic=True, color="7F7F7F")) for f in fields])
    _settings_sheet(wb, [])
    _lists_sheet(wb)
    return _save(wb, target)


def _settings_sheet(wb: Workbook, rows: list[tuple]) -> None:
    """Setting, phase (as its label) and local authority: headings in row 1, one setting per row below."""
    ws = wb.create_sheet(SETTINGS_SHEET)
    ws.append([_cell(ws, h, font=Font(bold=True)) for h in SETTINGS_HEADINGS])
    for setting, phase, la in rows:
        ws.append([_cell(ws, v) for v in (setting, SETTING_PHASES.get(phase, phase), la)])


def export_workbook(con: duckdb.DuckDBPyConnection, target: str | io.BufferedIOBase | None = None,
                    settings: list[str] | None = None, *, viewer: access.Viewer,
                    reading: Sequence[ReadingSheet] = ()) -> bytes:
    """Every record (of `settings`, within the viewer's) in the template's format; importing it into an empty
    database gives the same data. Pupil records: SENCos and senior leaders only. `reading`: sheets for reading only
    (e.g. each pupil's review status), after the data and Settings sheets; importing the export skips them."""
    settings = access.staff_scope(viewer, settings)
    cur = con.cursor()
    where, params = ("WHERE setting IN (SELECT unnest(?::VARCHAR[]))", [list(settings)]) if settings is not None else ("", [])
    wb = Workbook(write_only=True)
    _readme(wb, [s.readme for s in reading if s.readme])
    for entity, fields in TEMPLATE_COLUMNS.items():
        cols = ", ".join(ident(f.name) for f in fields)
        order = ", ".join(ident(c) for c in [f.name for f in fields][:4])
        extra_keys: list[str] = []
        if entity == "pupils":
            extra_keys = [r[0] for r in cur.execute(
                f"SELECT DISTINCT unnest(json_keys(extra)) AS k FROM pupils {where} ORDER BY k", params).fetchall()]
            extra_sql = "".join(f", json_extract_string(extra, {_json_path(k)})" for k in extra_keys)
            rows = cur.execute(f"SELECT {cols}{extra_sql} FROM pupils {where} ORDER BY setting, pupil_id", params).fetchall()
        else:
            rows = cur.execute(f"SELECT {cols} FROM {entity} {where} ORDER BY {order}", params).fetchall()
        ws = _sheet(wb, entity, fields, extra_keys)
        for row in rows:
            ws.append([_cell(ws, v) for v in row])
    _settings_sheet(wb, cur.execute(f"SELECT setting, phase, local_authority FROM settings {where} ORDER BY setting",
                                    params).fetchall())
    for sheet in reading:
        _reading_sheet(wb, sheet)
    _lists_sheet(wb)
    return _save(wb, target)


def _json_path(key: str) -> str:
    return "'$.\"" + key.replace("'", "''").replace('"', '\\"') + "\"'"


def rejected_workbook(rejected: dict[tuple[str, str], pd.DataFrame], target: str | io.BufferedIOBase | None = None) -> bytes:
    """The rows that were not imported, sheet by sheet, each with the reason: fix them and upload this file."""
    wb = Workbook(write_only=True)
    used: set[str] = set()
    for (_file, sheet), df in rejected.items():
        base = "".join(ch for ch in f"{sheet}" if ch not in "[]:*?/\\")[:28] or "Sheet"
        name, n = base, 1
        while name in used:
            n += 1
            name = f"{base[:26]} {n}"
        used.add(name)
        ws = wb.create_sheet(name)
        ws.append([_cell(ws, h, font=Font(bold=True)) for h in df.columns])
        for row in df.itertuples(index=False):
            ws.append([_cell(ws, None if (v is None or (isinstance(v, float) and pd.isna(v))) else v) for v in row])
    if not used:
        wb.create_sheet("Rejected rows").append(["No rows were rejected."])
    return _save(wb, target)


def _save(wb: Workbook, target) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    if isinstance(target, str):
        with open(target, "wb") as fh:
            fh.write(data)
    elif target is not None:
        target.write(data)
    return data
