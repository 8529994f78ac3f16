"""What the Upload page shows before and after an import, computed here so the page stays thin:
the detected mapping as an editable table, sample rows, and a plain-English summary."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd

from senlib.importer import wide
from senlib.importer.headers import EXTRA, IGNORE, SheetPlan, apply_mapping
from senlib.importer.pipeline import ImportResult, Upload
from senlib.store.fields import ENTITIES, GRID_FIELD, WIDE_FIELDS, feeds

KEEP_LABEL, IGNORE_LABEL = "(keep as an extra column)", "(ignore this column)"
ENTITY_LABELS = {"pupils": "Pupils (one row per pupil)", "plans": "Plans", "reviews": "Reviews", "outcomes": "Outcomes",
                 "scores": "Scores", "ehc_requests": "EHC requests", "provisions": "Provisions (one row per intervention)",
                 "pupil_provisions": "Provision map (pupils' places on interventions)",
                 "review_invitees": "Invitees (who a review meeting invited)",
                 "review_actions": "Actions (agreed at a review meeting)"}


def field_choices(entity: str) -> dict[str, str]:
    """Label shown in the mapping drop-down -> field code ("" keep as extra, "-" ignore)."""
    out = {f"{f.label}": f.name for f in ENTITIES[entity] + (WIDE_FIELDS if entity == "pupils" else [])
           + ([GRID_FIELD] if entity in ("pupils", "pupil_provisions") else [])}
    out[KEEP_LABEL] = EXTRA
    out[IGNORE_LABEL] = IGNORE
    return out


def mapping_frame(upload: Upload, file_idx: int, plan: SheetPlan, samples: int = 3) -> pd.DataFrame:
    """One row per column of the sheet: its heading, what it maps to (a label), and example values."""
    labels = {v: k for k, v in field_choices(plan.entity or "pupils").items()}
    sheet = upload.sheet(file_idx, plan.sheet)
    start = (plan.header_row or 0) + 1
    rows = []
    for c in plan.columns:
        values = [v for v in sheet.table.column(c.index).slice(start, 50).to_pylist() if v not in (None, "")][:samples]
        rows.append({"Heading": c.header, "Maps to": labels.get(c.field if c.field is not None else EXTRA, KEEP_LABEL),
                     "Examples": ", ".join(shown_cell(v) for v in values)})
    return pd.DataFrame(rows, columns=["Heading", "Maps to", "Examples"])


_ISO_CELL = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00:00(?:\.0+)?)?$")


def shown_cell(value: object) -> str:
    """A cell as the SENCo wrote it: an Excel date cell (read as '2018-10-14 00:00:00') day first, 14/10/2018."""
    text = str(value)
    m = _ISO_CELL.match(text)
    return f"{m.group(3)}/{m.group(2)}/{m.group(1)}" if m else text


def mapping_from_frame(plan: SheetPlan, frame: pd.DataFrame) -> dict[str, str]:
    """The edited table back to {heading: field}; every canonical field may be used once."""
    choices = field_choices(plan.entity or "pupils")
    out: dict = {str(r["Heading"]): choices.get(str(r["Maps to"]), EXTRA) for r in frame.to_dict("records")}
    if "__dates__" in plan.mapping:
        out["__dates__"] = plan.mapping["__dates__"]
    return out


def score_columns(plan: SheetPlan) -> list[tuple[str, date | None]]:
    """(heading, date) of each score column: the date its scores were given, None while the SENCo has not said."""
    return [(c.header, date.fromisoformat(c.date) if c.date else None) for c in plan.columns if c.field == "target_score"]


def set_score_dates(plan: SheetPlan, dates: dict[str, date | None]) -> bool:
    """Give score columns their dates {heading: date}; True when anything changed."""
    changed = False
    for c in plan.columns:
        if c.field == "target_score" and c.header in dates:
            new = dates[c.header].isoformat() if dates[c.header] else None
            changed |= new != c.date
            c.date = new
    return changed


def undated_score_columns(plan: SheetPlan) -> list[str]:
    """Headings of the sheet's score columns still waiting for their date."""
    return plan.wide_groups().undated()


def recognised_lines(upload: Upload, file_idx: int, plan: SheetPlan) -> list[str]:
    """What the header analysis recognised beyond single columns: review history and targets in columns, and a
    sheet that has a row per review (the pupil's rows are then combined)."""
    lines = wide.describe(plan.columns) if plan.entity == "pupils" else []
    lines += provision_lines(plan)
    repeated = _repeated_pupils(upload, file_idx, plan)
    if repeated:
        rows, pupils = repeated
        lines.append(f"Rows per pupil: {rows:,} rows for {pupils:,} pupils (a review log). A pupil's rows are combined "
                     "into one pupil when their details agree, and each row's review is kept; where year group, need or "
                     "SEN status differ, the row with the latest review date is used.")
    return lines


def provision_lines(plan: SheetPlan) -> list[str]:
    """Why a sheet is read as provision (or why a register's 'Provision' column is not), in words."""
    f = plan.fields()
    grid = plan.grid()

    def heading(name: str) -> str:
        return f"'{f[name].header}'"

    details = [heading(n) for n in ("delivered_by", "sessions_per_week", "minutes_per_session", "group_size",
                                    "annual_cost", "hourly_cost", "fixed_cost", "entry_score", "exit_score",
                                    "sessions_attended", "sessions_planned") if n in f]
    out = []
    if grid:
        names = ", ".join(f"'{c.header}'" for c in grid[:8]) + (f" and {len(grid) - 8} more" if len(grid) > 8 else "")
        out.append(f"Provision map grid: {len(grid)} intervention column{'s' if len(grid) != 1 else ''} ({names}); each "
                   "ticked or numbered cell puts the pupil on that intervention (a number is kept in the notes). "
                   "Interventions are matched by name to a sheet describing them, or to those already imported.")
    if plan.entity == "pupil_provisions" and "provision_name" in f:
        out.append(f"Read as a provision map with a row per pupil per intervention: {heading('provision_name')} names the "
                   "intervention" + (f", with {', '.join(details)}" if details else "") + ". Each intervention becomes one "
                   "provision (its id made from its name), and each row the pupil's place on it; this is not a review log.")
    if plan.entity in ("pupil_provisions",):
        out.append("The pupil columns (name, date of birth, class, pupil id) only find each pupil on the register: they "
                   "change nothing on it, and a pupil who is not on it is refused.")
    if plan.entity == "provisions":
        name = heading("name") if "name" in f else heading("provision_id") if "provision_id" in f else "a column"
        out.append(f"Read as a list of interventions: {name} names each one" +
                   (f", with {', '.join(details)}" if details else "") + ".")
    if "annual_cost" in f:
        out.append(f"{heading('annual_cost')} is read as the intervention's whole cost a year (staff time included): it is "
                   "kept as its fixed cost, and its staff time is not priced again. Map it to 'Hourly cost' if it is the "
                   "cost of an hour.")
    if plan.entity == "pupils" and "sen_status" in f and norm_key_of(f["sen_status"].header) in ("provision", "support"):
        out.append(f"{heading('sen_status')} is read as the SEN status (its cells say SEN Support or EHCP), not as an "
                   "intervention: this sheet is the register.")
    return out


def norm_key_of(text: str) -> str:
    from senlib.importer.synonyms import norm_key

    return norm_key(text)


def fields_carried(upload: Upload) -> set[str]:
    """Every store field ("table.column") the upload's importable sheets have a column for, blank cells or not."""
    return {f"{e}.{f}" for _, plan in upload.importable for c in plan.columns if c.field not in (None, IGNORE)
            for e, f in feeds(plan.entity, c.field)}


def checks_line(upload: Upload) -> str | None:
    """Which of the rules' checks these files cannot support (no column for what they need), said before the import:
    they will read 'not tracked', not 'not done' (DESIGN §4). None when nothing is to be imported."""
    from senlib.core.names import COLUMN_LABELS, ENTITY_SHEETS
    from senlib.rules.tracking import REGISTER_COLUMNS, checks_missing

    if not upload.importable:
        return None
    missing = checks_missing(fields_carried(upload))
    if not missing:
        return "These files have a column for everything the rules check."
    titles = list(dict.fromkeys(m["title"] for m in missing))
    by_place: dict[str, list[str]] = {}
    for f in dict.fromkeys(f for m in missing for f in m["fields"]):
        table, column = f.split(".", 1)
        place = ("on the register or a Reviews sheet" if f in REGISTER_COLUMNS
                 else f"on {'an' if ENTITY_SHEETS.get(table, table)[:1] in 'AEIOU' else 'a'} "
                      f"{ENTITY_SHEETS.get(table, table)} sheet")
        by_place.setdefault(place, []).append(COLUMN_LABELS.get(column, column).lower())
    where = "; ".join(f"{place}: {', '.join(cols)}" for place, cols in by_place.items())
    shown = "; ".join(titles[:6]) + (f"; and {len(titles) - 6} more" if len(titles) > 6 else "")
    return (f"Not tracked by these files ({len(titles)} check{'s' if len(titles) != 1 else ''}): {shown}. They will read "
            f"'not tracked' (never 'not done') unless another tracker imported for the setting has the column. "
            f"Columns that would allow them ({where}), as in the template.")


def _repeated_pupils(upload: Upload, file_idx: int, plan: SheetPlan) -> tuple[int, int] | None:
    """(rows, pupils) when some pupil of a pupil sheet is on more than one row."""
    if plan.entity != "pupils":
        return None
    f = plan.fields()
    keys = ["pupil_id"] if "pupil_id" in f else [k for k in ("name", "first_name", "last_name", "date_of_birth") if k in f]
    if not keys:
        return None
    sheet = upload.sheet(file_idx, plan.sheet)
    start = (plan.header_row or 0) + 1
    cols = [[" ".join(str(v).lower().split()) if v is not None else None for v in
             sheet.table.column(f[k].index).slice(start).to_pylist()] for k in keys]
    ids = [tuple(r) for r in zip(*cols, strict=True) if any(v for v in r)]
    distinct = len(set(ids))
    return (len(ids), distinct) if distinct < len(ids) else None


def edit_mapping(plan: SheetPlan, frame: pd.DataFrame) -> bool:
    """Apply an edited mapping table to the plan; True when anything changed."""
    new = mapping_from_frame(plan, frame)
    if new == plan.mapping:
        return False
    apply_mapping(plan, new)
    return True


def sample_rows(upload: Upload, file_idx: int, plan: SheetPlan, n: int = 5) -> pd.DataFrame:
    """The first rows under the header, with the sheet's own headings."""
    sheet = upload.sheet(file_idx, plan.sheet)
    data = sheet.table.slice((plan.header_row or 0) + 1, n).to_pandas()
    names = {f"c{c.index}": c.header for c in plan.columns}
    data = data[[c for c in data.columns if c in names]].rename(columns=names)
    return data.map(lambda v: "" if v is None else shown_cell(v))  # a blank cell shows blank, a date day first


def summary_lines(result: ImportResult) -> list[str]:
    """'12 pupils added, 3 changed' ... one line per table that changed."""
    lines = []
    names = {"pupils": "Pupils", "plans": "Plans", "reviews": "Reviews", "outcomes": "Outcomes", "scores": "Scaling scores",
             "ehc_requests": "EHC needs assessment requests", "provisions": "Interventions (provisions)",
             "pupil_provisions": "Pupils' places on interventions"}
    for table, c in result.totals().items():
        if c["added"] or c["changed"]:
            lines.append(f"{names.get(table, table)}: {c['added']:,} added, {c['changed']:,} changed")
    return lines or ["Nothing new: the database already holds all of this."]
