"""Reading uploaded files where a crash cannot reach the app: in a fresh worker process with limits.

Why: one crafted cell can make a native spreadsheet reader abort its whole process (a 7 KB .xlsx with a
value in cell XFD1048576 asks for 512 GB) or panic. Reading in the dashboard's own process would take the
server, and every session with it, down. So each upload is read by `senlib.importer.worker`, started
anew with `python -m` (spawned, never forked: the server is multithreaded), limited in memory, CPU time
and file size, and stopped after `timeout` seconds of wall-clock time. It hands back the sheets and the
header analysis; a refusal, a crash, running out of memory or time all become an ImportRefused that says
what happened, that nothing was written, and what to do. The Upload page and the command line both come
here through `importer.prepare`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.ipc

from senlib.importer.headers import Column, SheetPlan
from senlib.importer.problems import ImportRefused, Problem, refuse
from senlib.importer.reading import DAMAGED_FIX, MAX_FILE_BYTES, STRAY_CELLS_FIX, Sheet, Workbook
from senlib.importer.worker import REQUEST, RESULT, TEMPLATE_JOB

TIMEOUT_ENV, MEMORY_ENV = "SENLIB_READ_TIMEOUT", "SENLIB_READ_MEMORY_MB"
DEFAULT_TIMEOUT = 30.0      # seconds for reading and header analysis; a 50,000-pupil tracker takes about 2
DEFAULT_MEMORY_MB = 3072    # address space. Measured: the libraries take ~320 MB; 1,000,000 cells need <512 MB;
#                             the largest sheet accepted (MAX_CELLS, 250,000 x 40) peaked at 1.9 GB (1.1 GB resident)
MAX_OUTPUT_BYTES = 4 * 2**30
PACKAGE_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Limits:
    """What the worker may use: wall-clock seconds and address space in MB."""

    timeout: float = DEFAULT_TIMEOUT
    memory_mb: int = DEFAULT_MEMORY_MB

    @classmethod
    def from_env(cls) -> Limits:
        """The defaults, or $SENLIB_READ_TIMEOUT (seconds) and $SENLIB_READ_MEMORY_MB when set."""
        return cls(float(os.environ.get(TIMEOUT_ENV) or DEFAULT_TIMEOUT), int(os.environ.get(MEMORY_ENV) or DEFAULT_MEMORY_MB))


def read_untrusted(files: list[tuple[str, bytes]], remembered: dict[str, dict] | None = None, *,
                   max_bytes: int = MAX_FILE_BYTES, limits: Limits | None = None
                   ) -> tuple[list[Workbook], list[tuple[int, SheetPlan]]]:
    """Read and plan every file in a worker process. Raises ImportRefused for a bad file, whatever went wrong."""
    limits = limits or Limits.from_env()
    names = ", ".join(name for name, _ in files)
    with tempfile.TemporaryDirectory(prefix="senlib-read-") as tmp:
        folder = Path(tmp)
        request = {"files": [], "remembered": remembered or {}, "max_bytes": max_bytes,
                   "limits": {"memory_bytes": limits.memory_mb * 2**20, "cpu_seconds": int(limits.timeout) + 5,
                              "file_bytes": MAX_OUTPUT_BYTES}}
        for i, (name, data) in enumerate(files):
            (folder / f"file-{i}").write_bytes(data)
            request["files"].append({"name": name, "path": f"file-{i}"})
        (folder / REQUEST).write_text(json.dumps(request))
        outcome = _run_worker(folder, limits.timeout)
        if outcome is not None:
            raise _crash_refusal(names, outcome, limits)
        try:
            result = json.loads((folder / RESULT).read_text())
        except (OSError, ValueError):
            raise _crash_refusal(names, "crash", limits) from None
        if result["status"] == "refused":
            raise ImportRefused(result["message"], [Problem(**p) for p in result["problems"]],
                                place=result["place"], fix=result["fix"])
        if result["status"] != "read":
            raise _crash_refusal(names, result.get("kind", "crash"), limits)
        return _workbooks(folder, files, result)


def read_template_untrusted(file_name: str, data: bytes, *, limits: Limits | None = None) -> list[dict]:
    """A review document's Word template checked in a worker process (zip, macros, external links) and its Jinja
    source handed back, part by part ({label, source, text_only}). Raises ImportRefused for a bad file, whatever
    went wrong; senlib.documents.templates checks the placeholders."""
    limits = limits or Limits.from_env()
    with tempfile.TemporaryDirectory(prefix="senlib-template-") as tmp:
        folder = Path(tmp)
        (folder / "file-0").write_bytes(data)
        request = {"job": TEMPLATE_JOB, "files": [{"name": file_name, "path": "file-0"}],
                   "limits": {"memory_bytes": limits.memory_mb * 2**20, "cpu_seconds": int(limits.timeout) + 5,
                              "file_bytes": MAX_OUTPUT_BYTES}}
        (folder / REQUEST).write_text(json.dumps(request))
        outcome = _run_worker(folder, limits.timeout)
        try:
            result = json.loads((folder / RESULT).read_text()) if outcome is None else {"status": outcome}
        except (OSError, ValueError):
            result = {"status": "crash"}
    if result["status"] == "refused":
        raise ImportRefused(result["message"], place=result["place"], fix=result["fix"])
    if result["status"] != "template" or not isinstance(result.get("parts"), list):
        said = {"memory": "needed more memory than any letter does", "timeout": "took far too long to open"}.get(
            result.get("kind", result["status"]), "stopped the reader")
        raise refuse(f"{file_name} could not be checked: it {said}, so it may be damaged. Nothing was saved.",
                     "Open it in Word, save it again as a new Word Document (.docx) and upload that.", file=file_name)
    return [{"label": str(p["label"]), "source": str(p["source"]), "text_only": bool(p["text_only"])}
            for p in result["parts"]]


def _run_worker(folder: Path, timeout: float) -> str | None:
    """Run the worker on `folder`; None when it finished, else 'timeout', 'memory' or 'crash'."""
    env = {**os.environ, "RUST_BACKTRACE": "0", "PYTHONPATH": os.pathsep.join([str(PACKAGE_ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    with (folder / "stderr.txt").open("wb") as err:
        try:
            proc = subprocess.Popen([sys.executable, "-m", "senlib.importer.worker", str(folder)], cwd=folder, env=env,
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
        except OSError as exc:
            raise refuse(f"The file reader could not be started ({exc}), so nothing was read and nothing was written.",
                         "Try again; if it happens again, restart the dashboard.") from None
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(proc)
            return "timeout"
        finally:
            if proc.poll() is None:  # interrupted (Ctrl+C): never leave a reader running
                _kill(proc)
    if proc.returncode == 0:
        return None
    said = (folder / "stderr.txt").read_bytes()
    said = (said[:4000] + said[-4000:]).decode("utf-8", errors="replace")
    if "memory allocation" in said or "MemoryError" in said or "Cannot allocate memory" in said:
        return "memory"
    if proc.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        return "timeout"
    return "crash"


def _kill(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _crash_refusal(names: str, kind: str, limits: Limits) -> ImportRefused:
    """What happened, that nothing was written, and what to do, for each way the reader can fail."""
    if kind == "memory":
        return refuse(f"{names} could not be read: reading it needed more memory than any tracker does (more than "
                      f"{limits.memory_mb / 1024:.0f} GB). This usually means a stray value or formatting far below or to "
                      "the right of the data, or a damaged file. Nothing was written.",
                      STRAY_CELLS_FIX.replace("open that sheet", "open each sheet"), file=names)
    if kind == "timeout":
        return refuse(f"{names} took longer than {limits.timeout:.0f} seconds to read, far longer than any tracker needs "
                      "(a large register takes a few seconds), so reading was stopped. Nothing was written.",
                      "Open it in Excel, delete sheets and cells that are not part of the tracker, save it again as a new "
                      ".xlsx file and upload that. A file that is damaged may not open: then use a backup copy.", file=names)
    return refuse(f"{names} is damaged: the spreadsheet reader stopped on it, so it cannot be imported. Nothing was "
                  "written.", DAMAGED_FIX, file=names)


def _workbooks(folder: Path, files: list[tuple[str, bytes]], result: dict
               ) -> tuple[list[Workbook], list[tuple[int, SheetPlan]]]:
    """The worker's output as the importer's own objects, checked: string columns c0..cN only."""
    if len(result["workbooks"]) != len(files):
        raise refuse("The file reader handed back an incomplete result; nothing was written.", "Upload the files again.")
    workbooks = []
    for (name, data), wb in zip(files, result["workbooks"], strict=True):
        sheets = []
        for s in wb["sheets"]:
            table = pa.ipc.open_file(pa.BufferReader((folder / Path(s["path"]).name).read_bytes())).read_all()
            if any(f.type != pa.string() or f.name != f"c{k}" for k, f in enumerate(table.schema)):
                raise refuse("The file reader handed back a table it should not have; nothing was written.",
                             "Upload the files again.", file=name)
            table.validate(full=True)
            sheets.append(Sheet(str(s["name"]), table))
        workbooks.append(Workbook(name, data, str(wb["fmt"]), sheets))
    plans = []
    for i, p in result["plans"]:
        columns = [Column(int(c["index"]), str(c["header"]), c["field"], c.get("date")) for c in p.pop("columns")]
        plans.append((int(i), SheetPlan(**p, columns=columns)))
    return workbooks, plans
