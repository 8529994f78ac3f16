"""The child process that reads uploaded files: `python -m senlib.importer.worker FOLDER`.

Why a process of its own: the spreadsheet readers are native code, and one crafted cell can make them
abort the whole process (a Rust allocation failure or panic) or eat all memory. Here that ends only this
process. It imports its libraries first, then limits its own address space, CPU time and file writes,
then reads the files named in FOLDER/request.json, finds each sheet's header and mapping, and writes the
sheets (Arrow IPC) and plans (JSON) back into FOLDER. A refusal is written as JSON too; anything else
that goes wrong (a panic is a BaseException) is written as a failure with its kind, and a hard crash
writes nothing: the parent (senlib.importer.sandbox) turns each into a refusal.
"""

from __future__ import annotations

import json
import resource
import sys
from dataclasses import asdict
from pathlib import Path

REQUEST, RESULT = "request.json", "result.json"
TEMPLATE_JOB = "docx_template"  # request["job"]: a review document's Word template (senlib.documents), not a tracker


def _limit(memory_bytes: int, cpu_seconds: int, file_bytes: int) -> None:
    """Limits that hold even if the parent is gone: memory (address space), CPU seconds, size of files written."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _write(folder: Path, result: dict) -> None:
    (folder / RESULT).write_text(json.dumps(result, default=str))


def read(folder: Path, request: dict) -> dict:
    """Read and plan every file of the request; the result to hand back (tables are written beside it)."""
    import pyarrow as pa

    from senlib.importer.headers import TEMPLATE_README, plan_workbook
    from senlib.importer.problems import ImportRefused
    from senlib.importer.reading import read_workbook

    try:
        workbooks, plans = [], []
        for i, f in enumerate(request["files"]):
            wb = read_workbook(f["name"], (folder / f["path"]).read_bytes(), max_bytes=request["max_bytes"])
            sheets = []
            template = any(s.name.strip().lower() == TEMPLATE_README for s in wb.sheets)
            for j, sheet in enumerate(wb.sheets):
                path = f"sheet-{i}-{j}.arrow"
                with pa.OSFile(str(folder / path), "wb") as sink, pa.ipc.new_file(sink, sheet.table.schema) as writer:
                    writer.write(sheet.table)
                sheets.append({"name": sheet.name, "path": path})
            # the sheets of a workbook together: a provision map grid is told by the sheet describing its interventions
            for plan in plan_workbook(wb.sheets, wb.file_name, request["remembered"], template=template):
                plans.append([i, asdict(plan)])
            workbooks.append({"fmt": wb.fmt, "sheets": sheets})
        return {"status": "read", "workbooks": workbooks, "plans": plans}
    except ImportRefused as exc:
        return {"status": "refused", "message": exc.message, "fix": exc.fix, "place": exc.place,
                "problems": [asdict(p) for p in exc.problems]}


def read_template(folder: Path, request: dict) -> dict:
    """Check a Word template's zip and hand back its Jinja source, part by part (the parent checks the placeholders)."""
    from senlib.importer.docx_file import TemplateRefused, inspect_docx

    f = request["files"][0]
    try:
        parts = inspect_docx(f["name"], (folder / f["path"]).read_bytes())
    except TemplateRefused as exc:
        return {"status": "refused", "message": exc.message, "fix": exc.fix, "place": exc.place, "problems": []}
    return {"status": "template", "parts": [p.as_dict() for p in parts]}


def main(argv: list[str]) -> int:
    folder = Path(argv[1])
    request = json.loads((folder / REQUEST).read_text())
    if request.get("job") == TEMPLATE_JOB:
        import docx  # noqa: F401
        import docxtpl  # noqa: F401
        import jinja2  # noqa: F401

        from senlib.importer import docx_file  # noqa: F401
    # Everything the reading needs is imported before the limit: an address-space limit stops libraries loading.
    import fastexcel  # noqa: F401
    import msoffcrypto  # noqa: F401
    import pyarrow.ipc  # noqa: F401
    import xlrd  # noqa: F401

    from senlib.importer import headers, reading  # noqa: F401

    limits = request["limits"]
    _limit(limits["memory_bytes"], limits["cpu_seconds"], limits["file_bytes"])
    try:
        result = read_template(folder, request) if request.get("job") == TEMPLATE_JOB else read(folder, request)
    except MemoryError:
        result = {"status": "failed", "kind": "memory"}
    except BaseException as exc:  # noqa: BLE001 - a reader's panic (pyo3 PanicException) is a BaseException
        result = {"status": "failed", "kind": "error", "detail": f"{type(exc).__name__}: {str(exc)[:300]}"}
    _write(folder, result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
