"""Importing SENCo trackers (issue 3): any layout, clear errors, all-or-nothing, nothing lost.

Public entry points (pages and the command line call only these):

- `prepare(con, files)` -> Upload: read files, find headers, map columns (the preview).
- `apply_mapping(plan, mapping)`, `remember_mapping(con, plan)`: the SENCo's corrections, kept for next time;
  `mapping_frame` / `edit_mapping` / `sample_rows` / `summary_lines`: the Upload page's tables.
- `run(con, upload, ...)` -> ImportResult, or `import_files(con, files, ...)` for both steps.
- `undo(con, import_id)`, `list_imports(con)`, `import_summary(con, import_id)`.
- `confirm_leavers(con, import_id, pupil_ids, leaving_date)`.
- `write_template()`, `export_workbook(con)`, `rejected_workbook(result.rejected)`: workbooks as bytes.
- `record_workbook(cur, setting, review_id, as_of=, viewer=)`: a review's record form as a workbook that imports back.
"""

from __future__ import annotations

import importlib

# Each public name and the module that defines it. Loaded on first use, so that the file-reading worker
# (senlib.importer.worker, a fresh process per upload) imports only what reading needs, not DuckDB and pandas.
_EXPORTS = {
    "fields": ("ENTITIES", "TEMPLATE_COLUMNS", "Field"),
    "headers": ("EXTRA", "IGNORE", "Column", "SheetPlan", "apply_mapping"),
    "load": ("confirm_leavers", "describe_undo", "describe_undo_plan", "import_summary", "list_imports", "undo"),
    "mappings": ("forget_mapping", "remember_mapping", "remembered_mappings"),
    "matching": ("Fit", "register_fits", "suggest_setting"),
    "pipeline": ("ImportResult", "Upload", "import_files", "prepare", "run"),
    "preview": ("ENTITY_LABELS", "checks_line", "edit_mapping", "field_choices", "mapping_frame", "recognised_lines", "sample_rows",
                "score_columns", "set_score_dates", "summary_lines", "undated_score_columns"),
    "problems": ("ERROR", "WARNING", "ImportRefused", "Problem"),
    "reading": ("MAX_FILE_BYTES",),
    "record": ("record_workbook",),
    "template": ("export_workbook", "rejected_workbook", "write_template"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = list(_MODULE_OF)


def __getattr__(name: str):
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_MODULE_OF[name]}", __name__), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
