"""Importing SENCo trackers (issue 3): any layout, clear errors, all-or-nothing, nothing lost.

Public entry points (pages and the command line call only these):

- `prepare(con, files)` -> Upload: read files, find headers, map columns (the preview).
- `apply_mapping(plan, mapping)`, `remember_mapping(con, plan)`: the SENCo's corrections, kept for next time;
  `mapping_frame` / `edit_mapping` / `sample_rows` / `summary_lines`: the Upload page's tables.
- `run(con, upload, ...)` -> ImportResult, or `import_files(con, files, ...)` for both steps.
- `undo(con, import_id)`, `list_imports(con)`, `import_summary(con, import_id)`.
- `confirm_leavers(con, import_id, pupil_ids, leaving_date)`.
- `write_template()`, `export_workbook(con)`, `rejected_workbook(result.rejected)`: workbooks as bytes.
"""

from __future__ import annotations

from .fields import ENTITIES, TEMPLATE_COLUMNS, Field
from .headers import EXTRA, IGNORE, Column, SheetPlan, apply_mapping
from .load import confirm_leavers, describe_undo, import_summary, list_imports, undo
from .mappings import forget_mapping, remember_mapping, remembered_mappings
from .pipeline import ImportResult, Upload, import_files, prepare, run
from .preview import ENTITY_LABELS, edit_mapping, field_choices, mapping_frame, sample_rows, summary_lines
from .problems import ERROR, WARNING, ImportRefused, Problem
from .reading import MAX_FILE_BYTES
from .template import export_workbook, rejected_workbook, write_template

__all__ = [
    "ENTITIES", "TEMPLATE_COLUMNS", "Field", "EXTRA", "IGNORE", "Column", "SheetPlan", "apply_mapping",
    "confirm_leavers", "describe_undo", "import_summary", "list_imports", "undo", "forget_mapping", "remember_mapping",
    "remembered_mappings", "ImportResult", "Upload", "import_files", "prepare", "run", "ERROR", "WARNING",
    "ImportRefused", "Problem", "MAX_FILE_BYTES", "export_workbook", "rejected_workbook", "write_template",
    "ENTITY_LABELS", "edit_mapping", "field_choices", "mapping_frame", "sample_rows", "summary_lines",
]
