"""What the Upload page shows before and after an import, computed here so the page stays thin:
the detected mapping as an editable table, sample rows, and a plain-English summary."""

from __future__ import annotations

import pandas as pd

from .fields import ENTITIES
from .headers import EXTRA, IGNORE, SheetPlan, apply_mapping
from .pipeline import ImportResult, Upload

KEEP_LABEL, IGNORE_LABEL = "(keep as an extra column)", "(ignore this column)"
ENTITY_LABELS = {"pupils": "Pupils (one row per pupil)", "plans": "Plans", "reviews": "Reviews", "outcomes": "Outcomes",
                 "scores": "Scores", "ehc_requests": "EHC requests"}


def field_choices(entity: str) -> dict[str, str]:
    """Label shown in the mapping drop-down -> field code ("" keep as extra, "-" ignore)."""
    out = {f"{f.label}": f.name for f in ENTITIES[entity]}
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
                     "Examples": ", ".join(str(v) for v in values)})
    return pd.DataFrame(rows, columns=["Heading", "Maps to", "Examples"])


def mapping_from_frame(plan: SheetPlan, frame: pd.DataFrame) -> dict[str, str]:
    """The edited table back to {heading: field}; every canonical field may be used once."""
    choices = field_choices(plan.entity or "pupils")
    return {str(r["Heading"]): choices.get(str(r["Maps to"]), EXTRA) for r in frame.to_dict("records")}


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
    return data[[c for c in data.columns if c in names]].rename(columns=names)


def summary_lines(result: ImportResult) -> list[str]:
    """'12 pupils added, 3 changed' ... one line per table that changed."""
    lines = []
    names = {"pupils": "Pupils", "plans": "Plans", "reviews": "Reviews", "outcomes": "Outcomes", "scores": "Scaling scores",
             "ehc_requests": "EHC needs assessment requests"}
    for table, c in result.totals().items():
        if c["added"] or c["changed"]:
            lines.append(f"{names.get(table, table)}: {c['added']:,} added, {c['changed']:,} changed")
    return lines or ["Nothing new: the database already holds all of this."]
