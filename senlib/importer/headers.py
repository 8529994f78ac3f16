"""Finding the header row of a sheet and mapping its columns to canonical fields.

Real trackers have title rows above the header, a row of merged group labels ("Last review" over
"Date" and "Progress"), and their own names for every column. The header is the row among the first
30 with the most recognised headings; a group label is tried in front of each heading first.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from senlib.importer import wide
from senlib.importer.reading import Sheet
from senlib.importer.synonyms import AMBIGUOUS_ATTENDANCE, HEADERS, norm_key
from senlib.store.fields import ENTITIES, WIDE, sheet_entity

SCAN_ROWS = 30
IGNORE = "-"          # mapping value: drop the column
EXTRA = ""            # mapping value: keep the column as an extra per pupil
IDENTITY = {"pupil_id", "name", "first_name", "last_name"}
PUPIL_DETAIL = {"name", "first_name", "last_name", "date_of_birth", "year_group", "sen_status", "primary_need", "class"}
TEMPLATE_README = "read me"
TEMPLATE_SHEETS = {TEMPLATE_README, "lists"}   # skipped in the template (a workbook with a Read me sheet) only
SETTINGS_SHEET = "Settings"  # senlib.store.setting_details.SHEET
# A sheet whose name ends so is for reading only and never imported (an export's review status: template.ReadingSheet).
NOT_IMPORTED = "(not imported)"
ALL_HEADINGS = {k for index in HEADERS.values() for k in index}


@dataclass
class Column:
    """A column of a sheet: its position, its heading as shown, and the field it maps to.
    field None means "kept as an extra column"; IGNORE means dropped."""

    index: int
    header: str
    field: str | None
    date: str | None = None          # a score column's date (ISO), from its heading or given by the SENCo


@dataclass
class SheetPlan:
    """How one sheet will be imported: which entity, where the header is, the column mapping."""

    file: str
    sheet: str
    entity: str | None
    header_row: int | None           # 0-based index into the sheet's rows; the data starts below it
    columns: list[Column] = field(default_factory=list)
    skipped: str | None = None       # why the sheet is not imported
    remembered: bool = False         # the mapping came from a previous upload with the same headings

    @property
    def signature(self) -> str:
        return headers_signature([c.header for c in self.columns])

    @property
    def mapping(self) -> dict:
        """heading -> field ("" extra, "-" ignored), the form stored and edited; "__dates__": heading -> ISO date
        of each dated score column."""
        out: dict = {c.header: (c.field if c.field is not None else EXTRA) for c in self.columns}
        dates = {c.header: c.date for c in self.columns if c.field == "target_score" and c.date}
        if dates:
            out["__dates__"] = dates
        return out

    def fields(self) -> dict[str, Column]:
        """field -> its column, for the fields a sheet has once (the repeating ones are in `wide_groups`)."""
        return {c.field: c for c in self.columns if c.field not in (None, IGNORE) and not wide.is_wide(c.field)}

    def wide_groups(self) -> wide.Groups:
        return wide.groups(self.columns)

    def excel_row(self, data_index: int) -> int:
        return (self.header_row or 0) + 2 + data_index


def headers_signature(headers: list[str]) -> str:
    """Stable id of a set of headings, to remember a mapping for the next file like it."""
    keys = json.dumps([norm_key(h) for h in headers])
    return hashlib.sha256(keys.encode()).hexdigest()[:32]


def _rows(sheet: Sheet, n: int) -> list[list[str | None]]:
    cols = sheet.table.slice(0, n).to_pydict()
    names = list(cols)
    return [[cols[c][i] for c in names] for i in range(min(n, sheet.table.num_rows))]


def _clean(text: str | None) -> str:
    return " ".join(str(text).split()) if text is not None else ""


def find_header(rows: list[list[str | None]]) -> int | None:
    """Index of the row that looks most like a header of pupil data, or None."""
    best, best_score = None, 1
    for i, row in enumerate(rows):
        keys = [norm_key(c) for c in row if c is not None and str(c).strip()]
        hits = [k for k in keys if k in ALL_HEADINGS]
        if not hits or len(hits) < 2:
            continue
        if not any(HEADERS[e].get(k) in IDENTITY for k in hits for e in HEADERS):
            continue
        score = len(set(hits))
        if score > best_score:
            best, best_score = i, score
    return best


def guess_entity(sheet_name: str, keys: list[str]) -> str:
    """Which entity a sheet holds: its template name, else what its headings say."""
    named = sheet_entity(sheet_name)
    if named:
        return named

    def has(entity: str, name: str) -> bool:
        return any(HEADERS[entity].get(k) == name for k in keys)

    detail = any(HEADERS["pupils"].get(k) in PUPIL_DETAIL for k in keys)
    if has("scores", "score") and has("scores", "outcome_id"):
        return "scores"
    if has("outcomes", "outcome_id") and not detail:
        return "outcomes"
    if has("ehc_requests", "requested") and not detail:
        return "ehc_requests"
    if not detail and has("reviews", "review_date"):
        return "reviews"
    if not detail and has("plans", "plan_type") and has("plans", "start_date"):
        return "plans"
    return "pupils"


def plan_sheet(sheet: Sheet, file: str, remembered: dict[str, dict] | None = None, *, template: bool = False) -> SheetPlan:
    """Detect header, entity and column mapping of one sheet (a remembered mapping wins). `template`: the workbook
    is the product's template (it has a Read me sheet), whose instructions and code lists are not data."""
    if template and sheet.name.strip().lower() in TEMPLATE_SHEETS:
        return SheetPlan(file, sheet.name, None, None, skipped="part of the template (instructions and code lists)")
    if sheet.name.strip().lower().endswith(NOT_IMPORTED):
        return SheetPlan(file, sheet.name, None, None, skipped="for reading only (its name ends '(not imported)'): e.g. "
                         "an export's review status, which the rules work out again from the data")
    if sheet.name.strip().lower() == SETTINGS_SHEET.lower():
        return SheetPlan(file, sheet.name, None, None, skipped="each setting's phase and local authority: recorded for "
                         "settings that have none yet (change them on the Rules page)")
    rows = _rows(sheet, SCAN_ROWS)
    h = find_header(rows)
    if h is None:
        return SheetPlan(file, sheet.name, None, None, skipped="no header row with pupil columns (such as UPN or Pupil ID, "
                         "Name, Date of birth) in its first 30 rows")
    h = _two_row_header(rows, h)
    header = [_clean(c) for c in rows[h]]
    above = [_clean(c) for c in rows[h - 1]] if h > 0 else [""] * len(header)
    group = _group_labels(rows[h - 1]) if h > 0 else [""] * len(header)
    # A heading merged down over two header rows sits in the row above: use it.
    header = [t or (above[i] if group[i] and above[i] else "") for i, t in enumerate(header)]
    entity = guess_entity(sheet.name, [norm_key(c) for c in header if c])
    index = HEADERS[entity]
    columns: list[Column] = []
    used: set[str] = set()
    seen: dict[str, int] = {}
    for i, text in enumerate(header):
        if not text:
            if sheet.table.column(i).null_count == sheet.table.num_rows - h - 1 or h + 1 >= sheet.table.num_rows:
                continue
            text = f"Column {i + 1}"
        name = None
        combined = norm_key(f"{group[i]} {text}") if group[i] else None
        for key in (combined, norm_key(text)):
            if key and index.get(key) and index[key] not in used:
                name = index[key]
                break
        if name is None and norm_key(text) in AMBIGUOUS_ATTENDANCE and entity == "pupils" and "parent_attended" not in used:
            name = "parent_attended" if _looks_yes_no(sheet, i, h) else None
        shown = f"{group[i]} {text}" if (combined and name and index.get(combined) == name and index.get(norm_key(text)) != name) else text
        if shown in seen:  # two columns with the same heading: keep both, distinguished
            seen[shown] += 1
            shown = f"{shown} ({seen[shown]})"
        else:
            seen[shown] = 1
        if name:
            used.add(name)
        columns.append(Column(i, shown, name))
    if entity == "pupils":
        cells = sheet.table.slice(h + 1, 200)
        wide.recognise(columns, {c.index: cells.column(c.index).to_pylist() for c in columns}, index)
    plan = SheetPlan(file, sheet.name, entity, h, columns)
    if remembered and plan.signature in remembered:
        apply_mapping(plan, remembered[plan.signature])
        plan.remembered = True
    return plan


def _two_row_header(rows: list[list[str | None]], h: int) -> int:
    """When the row under the header holds sub-headings ("Date", "Progress" under a merged "Last review")
    and no pupil, the header is two rows deep: the lower row is the header, the upper its group labels."""
    if h + 1 >= len(rows):
        return h
    top, below = rows[h], rows[h + 1]
    group = _group_labels(top)
    ident_cols = [i for i, c in enumerate(top) if c is not None and any(HEADERS[e].get(norm_key(c)) in IDENTITY for e in HEADERS)]
    if any(i < len(below) and below[i] not in (None, "") for i in ident_cols):
        return h  # the next row has a pupil: it is data
    hits = 0
    for i, c in enumerate(below):
        if c is None or not str(c).strip():
            continue
        if norm_key(f"{group[i] if i < len(group) else ''} {c}") in ALL_HEADINGS or norm_key(c) in ALL_HEADINGS:
            hits += 1
    return h + 1 if hits else h


def apply_mapping(plan: SheetPlan, mapping: dict) -> SheetPlan:
    """Apply a SENCo's mapping {heading: field | "" | "-"} (and optional "__entity__") to a plan."""
    entity = mapping.get("__entity__")
    if entity in ENTITIES:
        plan.entity = entity
    valid = {f.name for f in ENTITIES[plan.entity]} if plan.entity else set()
    if plan.entity == "pupils":
        valid |= set(WIDE)
    dates = mapping.get("__dates__") or {}
    for col in plan.columns:
        if col.header in mapping:
            value = mapping[col.header]
            col.field = value if value in valid or value == IGNORE else None
        if col.field == "target_score":
            col.date = dates.get(col.header, col.date) or None
        else:
            col.date = None
    return plan


def _group_labels(row: list[str | None]) -> list[str]:
    """A row of merged group labels, spread across the columns each label covers."""
    out, current = [], ""
    filled = sum(1 for c in row if c is not None and str(c).strip())
    if filled < 2:
        return [""] * len(row)
    for c in row:
        if c is not None and str(c).strip():
            current = _clean(c)
        out.append(current)
    return out


def _looks_yes_no(sheet: Sheet, col: int, header_row: int) -> bool:
    values = [v for v in sheet.table.column(col).slice(header_row + 1, 200).to_pylist() if v is not None and str(v).strip()]
    return bool(values) and wide.yes_no_share(values) >= 0.8
