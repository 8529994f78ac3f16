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
from senlib.importer.synonyms import AMBIGUOUS_ATTENDANCE, HEADERS, VALUE_SYNONYMS, norm_key
from senlib.store.fields import ENTITIES, GRID_FIELD, PROVISION_PUPIL_COLUMNS, WIDE, sheet_entity

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
# A column so headed is there to read, not to import (a record workbook's outcome text and last score beside the
# score to fill in): dropped, never an extra column of the pupil.
FOR_REFERENCE = ("(for reference)", NOT_IMPORTED)
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
        return {c.field: c for c in self.columns if c.field not in (None, IGNORE) and not wide.is_wide(c.field)
                and c.field != GRID_FIELD.name}

    def grid(self) -> list[Column]:
        """The columns of a provision map grid: one per intervention, its heading the intervention's name."""
        return [c for c in self.columns if c.field == GRID_FIELD.name]

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


# ---- Provision sheets (issue 16) ----
# "Provision", "Support" and "Group" name an intervention on a provision map but are the SEN status (or nothing) on a
# register; "Intervention" and "Programme" only ever name an intervention.
WEAK_PROVISION_NAMES = {norm_key(w) for w in ("provision", "support", "group", "activity", "name", "title")}
# Headings that say how often, how long, how much, who or how well: with an intervention's name, a provision sheet.
PROVISION_DETAILS = {"sessions_per_week", "minutes_per_session", "group_size", "hourly_cost", "fixed_cost", "annual_cost",
                     "weeks_per_year", "expected_gain", "measure", "entry_score", "exit_score", "sessions_attended",
                     "sessions_planned", "entry_date", "exit_date", "delivered_by", "kind"}
# Of their words, those a register uses for something else (pupil attendance, a target's baseline, the key worker,
# a review's type...): they count only beside an unmistakable intervention name.
AMBIGUOUS_DETAIL_WORDS = {norm_key(w) for w in (
    "attendance", "attended", "attendance %", "baseline", "baseline score", "time", "length", "level", "type", "role",
    "size", "rate", "scale", "assessment", "aim", "who", "lead", "adult", "ta", "to", "from", "kind", "unit", "tool",
    "after", "before", "pre", "post", "possible", "offered", "planned", "status", "sessions", "staff", "resources",
    "materials", "wave", "entry", "exit", "provider", "delivered")}
PUPIL_DETAIL_COLUMNS = {"pupil_id", "first_name", "last_name", "date_of_birth", "year_group", "class", "sen_status",
                        "primary_need"}
SEN_STATUS_WORDS = {norm_key(w) for ws in VALUE_SYNONYMS["sen_status"].values() for w in ws} | {"k", "e", "n"}
# A grid (pupils down, interventions across) without a sheet describing the interventions: a sheet so named.
GRID_SHEET_WORDS = ("provision", "intervention", "support map", "groups")
TICKS = {"\u2713", "\u2714", "\u2611", "\u221a", "x", "y", "yes", "1", "tick", "*", "o", "\u2022"}


def provision_kind(keys: list[str], cells: dict[str, list] | None = None) -> str | None:
    """'provisions' for a sheet describing interventions, 'pupil_provisions' for one with a row per pupil per
    intervention, None for any other sheet. A provision sheet has a column naming the intervention together with at
    least one column saying how often, how long, who, what it costs, or the entry and exit scores; a register's
    'Provision' or 'Support' column whose cells are SEN statuses ('SEN Support', 'EHCP') names no intervention."""
    prov, pp, pupils = HEADERS["provisions"], HEADERS["pupil_provisions"], HEADERS["pupils"]
    names = [k for k in keys if pp.get(k) == "provision_name" or pp.get(k) == "provision_id"
             or (prov.get(k) in ("name", "provision_id") and k not in WEAK_PROVISION_NAMES)]
    strong = [k for k in names if k not in WEAK_PROVISION_NAMES]
    weak = [k for k in names if k in WEAK_PROVISION_NAMES and not _sen_status_cells((cells or {}).get(k))]
    pupil_cols = {pupils.get(k) for k in keys} & PUPIL_DETAIL_COLUMNS
    # a sheet describing interventions may call their name 'Name' when it has no pupil in it
    if not names and not pupil_cols and "name" in keys:
        weak = ["name"]
    if not strong and not weak:
        return None
    details = {pp.get(k) for k in keys if pp.get(k) in PROVISION_DETAILS and (strong or k not in AMBIGUOUS_DETAIL_WORDS)}
    details |= {prov.get(k) for k in keys if prov.get(k) in PROVISION_DETAILS and (strong or k not in AMBIGUOUS_DETAIL_WORDS)}
    if not details or (not strong and len(details) < 2 and not pupil_cols):
        return None
    pupil = bool(pupil_cols) or any(pupils.get(k) == "pupil_id" for k in keys) or \
        any(pupils.get(k) == "name" for k in keys if k not in names and k not in weak)
    return "pupil_provisions" if pupil else "provisions"


def _sen_status_cells(values: list | None) -> bool:
    cells = [norm_key(v) for v in values or [] if v is not None and str(v).strip()]
    return bool(cells) and sum(c in SEN_STATUS_WORDS for c in cells) >= 0.6 * len(cells)


def guess_entity(sheet_name: str, keys: list[str], cells: dict[str, list] | None = None) -> str:
    """Which entity a sheet holds: its template name, else what its headings say (`cells`: the first cells under
    each heading, by its key, to tell a register's 'Provision' column, the SEN status, from an intervention's)."""
    named = sheet_entity(sheet_name)
    if named:
        return named
    found = provision_kind(keys, cells)
    if found:
        return found

    def has(entity: str, name: str) -> bool:
        return any(HEADERS[entity].get(k) == name for k in keys)

    detail = any(HEADERS["pupils"].get(k) in PUPIL_DETAIL for k in keys)
    # an invitee's or an action's sheet names a person ('Name', 'Who') but no pupil detail beyond the name
    beyond_name = any(HEADERS["pupils"].get(k) in PUPIL_DETAIL - {"name"} for k in keys)
    if has("review_invitees", "invitee_id") or (not beyond_name and has("review_invitees", "role")
                                                and has("review_invitees", "response")):
        return "review_invitees"
    if has("review_actions", "action_id") or (not beyond_name and has("review_actions", "action")
                                              and (has("review_actions", "owner") or has("review_actions", "due_date"))):
        return "review_actions"
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
    header, group = _header(rows, h)
    cells = sheet.table.slice(h + 1, 200)
    firsts = {norm_key(t): cells.column(i).to_pylist() for i, t in enumerate(header) if t and i < cells.num_columns}
    entity = guess_entity(sheet.name, [norm_key(c) for c in header if c], firsts)
    return _plan_columns(sheet, file, entity, h, header, group, remembered)


def _header(rows: list[list[str | None]], h: int) -> tuple[list[str], list[str]]:
    """The headings of header row `h` and the group labels above them."""
    header = [_clean(c) for c in rows[h]]
    above = [_clean(c) for c in rows[h - 1]] if h > 0 else [""] * len(header)
    group = _group_labels(rows[h - 1]) if h > 0 else [""] * len(header)
    # A heading merged down over two header rows sits in the row above: use it.
    return [t or (above[i] if group[i] and above[i] else "") for i, t in enumerate(header)], group


def _plan_columns(sheet: Sheet, file: str, entity: str, h: int, header: list[str], group: list[str],
                  remembered: dict[str, dict] | None, grid: set[int] | None = None) -> SheetPlan:
    """The column mapping of a sheet read as `entity` (`grid`: the columns of a provision map grid)."""
    index = HEADERS[entity]
    columns: list[Column] = []
    used: set[str] = set()
    seen: dict[str, int] = {}
    for i, text in enumerate(header):
        if not text:
            if sheet.table.column(i).null_count == sheet.table.num_rows - h - 1 or h + 1 >= sheet.table.num_rows:
                continue
            text = f"Column {i + 1}"
        name = GRID_FIELD.name if grid and i in grid else None
        if text.lower().endswith(FOR_REFERENCE):
            columns.append(Column(i, text, IGNORE))
            continue
        combined = norm_key(f"{group[i]} {text}") if group[i] else None
        for key in (combined, norm_key(text)) if name is None else ():
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
        if name and name != GRID_FIELD.name:
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
    if plan.entity in ("pupils", "pupil_provisions"):
        valid.add(GRID_FIELD.name)
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


# ---- A workbook's sheets together: the provision map grid --------------------------------------------------------


def plan_workbook(sheets: list[Sheet], file: str, remembered: dict[str, dict] | None = None, *,
                  template: bool = False, provision_names: set[str] | None = None) -> list[SheetPlan]:
    """Plan every sheet of a workbook; then find a provision map grid (pupils down, interventions across): on a
    pupil sheet, the columns headed by the name of an intervention another sheet describes (or, on a sheet named
    like a provision map, unknown columns holding only ticks and numbers). A sheet whose only pupil columns identify
    the pupil (name, date of birth, class) becomes a provision sheet; on a register (SEN status, need, reviews) the
    grid columns sit beside the register's own. `provision_names`: normalised names described elsewhere."""
    plans = [plan_sheet(s, file, remembered, template=template) for s in sheets]
    names = set(provision_names or ())
    for sheet, plan in zip(sheets, plans, strict=True):
        if plan.entity == "provisions" and plan.skipped is None:
            col = plan.fields().get("name") or plan.fields().get("provision_id")
            if col is not None:
                values = sheet.table.column(col.index).slice((plan.header_row or 0) + 1).to_pylist()
                names |= {norm_key(v) for v in values if v is not None and norm_key(v)}
    out = []
    for sheet, plan in zip(sheets, plans, strict=True):
        if plan.entity in ("pupils", "pupil_provisions") and plan.skipped is None and not plan.remembered and not plan.grid():
            plan = _with_grid(sheet, plan, names)
        out.append(plan)
    return out


def _with_grid(sheet: Sheet, plan: SheetPlan, names: set[str]) -> SheetPlan:
    if plan.entity == "pupil_provisions" and "provision_name" in plan.fields():
        return plan  # one row per pupil per intervention: no grid
    data = sheet.table.slice((plan.header_row or 0) + 1, 200)
    free = [c for c in plan.columns if c.field is None or (c.field not in PUPIL_DETAIL_COLUMNS | {"name", "setting"}
                                                           and norm_key(c.header) in names)]
    by_name = {c.index for c in free if norm_key(c.header) in names}
    named_sheet = any(w in norm_key(plan.sheet) for w in GRID_SHEET_WORDS)
    ticks = {c.index for c in free if named_sheet and c.index not in by_name and _ticks_or_numbers(data.column(c.index).to_pylist())}
    grid = by_name | (ticks if len(ticks) >= 2 else set())
    if not grid:
        return plan
    mapped = set(plan.fields())
    register = bool(mapped - set(PROVISION_PUPIL_COLUMNS) - {"pupil_id", "setting"})
    entity = "pupils" if plan.entity == "pupils" and register else "pupil_provisions"
    h = plan.header_row or 0
    header, group = _header(_rows(sheet, SCAN_ROWS), h)
    return _plan_columns(sheet, plan.file, entity, h, header, group, None, grid)


def _ticks_or_numbers(values: list) -> bool:
    cells = [str(v).strip().lower() for v in values if v is not None and str(v).strip()]
    if not cells:
        return False
    numeric = sum(bool(wide._NUMBER_CELL.match(c)) and float(c.rstrip("% ")) <= 40 for c in cells)
    ticked = sum(c in TICKS for c in cells)
    return numeric + ticked == len(cells)
