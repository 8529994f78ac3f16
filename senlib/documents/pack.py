"""A review's documents (Word and PDF) and a zip of every review in a date range, made in the background.

Why a job: a term's reviews for a school are a few hundred files, and LibreOffice takes seconds per batch; a page
rerun must not wait for that. `PackJob` runs `range_pack` in a thread with its own cursor and reports progress the
page polls. The file names carry the meeting date and the child's name: these are letters to send.
"""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Callable, Iterable, Sequence
from datetime import date

import duckdb

from senlib import access
from senlib.access import Viewer
from senlib.core.errors import InputError, SenlibError
from senlib.core.names import REVIEW_DOCUMENTS
from senlib.documents.context import advice_contexts, review_context
from senlib.documents.pdf import to_pdf
from senlib.documents.sandbox import render
from senlib.documents.templates import template_bytes

FORMATS = ("docx", "pdf")
PDF_BATCH = 40  # files per LibreOffice run in a range pack (one run starts in ~2 s; progress moves between runs)
Progress = Callable[[int, int, str], None]


def _safe(text: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in " -_'(),.&" else " " for ch in text)
    return " ".join(cleaned.split())[:120]


def base_name(ctx: dict) -> str:
    """'2027-01-12 Smith Amy' (the pupil id where no name is recorded)."""
    when = ctx["_meeting_date"]
    who = " ".join(x for x in (ctx["_pupil_last"], ctx["_pupil_first"]) if x) or ctx["_pupil_id"]
    return _safe(f"{when:%Y-%m-%d} {who}" if when else who)


def default_documents(ctx: dict) -> list[str]:
    """Every document of a pack; the report to the council only for an EHC plan."""
    return [d for d in REVIEW_DOCUMENTS if d != "council_report" or ctx["_plan_type"] == "ehcp"]


def _check(documents: Iterable[str] | None, formats: Sequence[str]) -> None:
    bad = [d for d in documents or () if d not in REVIEW_DOCUMENTS]
    if bad:
        raise InputError(f"There is no review document {', '.join(bad)}.", fix=f"Use: {', '.join(REVIEW_DOCUMENTS)}.")
    if not formats or any(f not in FORMATS for f in formats):
        raise InputError(f"Documents come as {' and '.join(FORMATS)} only.", fix="Choose docx, pdf or both.")


def _word_files(cur: duckdb.DuckDBPyConnection, setting: str, ctx: dict, documents: Iterable[str] | None) -> dict[str, bytes]:
    base = base_name(ctx)
    out: dict[str, bytes] = {}
    for document in documents or default_documents(ctx):
        template = template_bytes(cur, setting, document)
        label = REVIEW_DOCUMENTS[document]
        if document == "advice_request":
            for one in advice_contexts(ctx):
                out[f"{base} - {label} ({_safe(one['invitee_name'])}).docx"] = render(template, one)
        else:
            out[f"{base} - {label}.docx"] = render(template, ctx)
    return out


def review_documents(cur: duckdb.DuckDBPyConnection, setting: str, review_id: str, *, as_of: date, viewer: Viewer,
                     documents: Iterable[str] | None = None, formats: Sequence[str] = FORMATS) -> dict[str, bytes]:
    """One review's documents, file name -> bytes: each document (one request for advice per professional invited)
    as Word and/or PDF. `documents` None: the whole pack."""
    documents = list(documents) if documents is not None else None
    _check(documents, formats)
    ctx = review_context(cur, setting, review_id, as_of=as_of, viewer=viewer)
    word = _word_files(cur, setting, ctx, documents)
    out = dict(word) if "docx" in formats else {}
    if "pdf" in formats:
        out.update(to_pdf(word))
    return out


def zip_files(files: dict[str, bytes]) -> bytes:
    """The files in one zip (deflated)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def reviews_in_range(cur: duckdb.DuckDBPyConnection, settings: Sequence[str] | None, start: date, end: date, *,
                     viewer: Viewer) -> list[tuple[str, str]]:
    """(setting, review_id) of every review scheduled in the app, not held yet, dated start..end, in the viewer's
    settings, by date."""
    scope = access.staff_scope(viewer, settings)
    where, params = access.settings_sql(scope)
    return [tuple(r) for r in cur.execute(
        f"""SELECT setting, review_id FROM reviews WHERE review_id IS NOT NULL AND NOT held
            AND review_date BETWEEN ? AND ? {where} ORDER BY review_date, start_time NULLS LAST, setting, review_id""",
        [start, end, *params]).fetchall()]


def range_pack(con: duckdb.DuckDBPyConnection, settings: Sequence[str] | None, start: date, end: date, *,
               as_of: date, viewer: Viewer, formats: Sequence[str] = FORMATS, progress: Progress | None = None) -> bytes:
    """A zip of the packs of every review in the range; `progress(done, total, label)` as it goes. Uses its own
    cursor of `con`, so it may run in a thread beside the page."""
    _check(None, formats)
    if end < start:
        raise InputError("The range ends before it starts.", fix="Choose an end date on or after the start date.")
    cur = con.cursor()
    try:
        found = reviews_in_range(cur, settings, start, end, viewer=viewer)
        if not found:
            raise InputError(f"No reviews are scheduled between {start:%d/%m/%Y} and {end:%d/%m/%Y}.",
                             fix="Choose another range, or schedule the reviews first.")
        several = len({s for s, _ in found}) > 1
        word: dict[str, bytes] = {}
        batches = 0
        total = len(found) + (1 if "pdf" in formats else 0)
        for i, (setting, review_id) in enumerate(found):
            if progress:
                progress(i, total, f"Writing the documents of review {i + 1} of {len(found)}")
            ctx = review_context(cur, setting, review_id, as_of=as_of, viewer=viewer)
            folder = f"{_safe(setting)}/" if several else ""
            for name, data in _word_files(cur, setting, ctx, None).items():
                key = f"{folder}{name}"
                if key in word:
                    key = f"{folder}{name[:-5]} {review_id}.docx"
                word[key] = data
        files = dict(word) if "docx" in formats else {}
        if "pdf" in formats:
            names = list(word)
            batches = (len(names) + PDF_BATCH - 1) // PDF_BATCH
            for b in range(batches):
                if progress:
                    progress(len(found), total, f"Making the PDFs ({b + 1} of {batches})")
                chunk = {n: word[n] for n in names[b * PDF_BATCH:(b + 1) * PDF_BATCH]}
                files.update(to_pdf(chunk))
        if progress:
            progress(total, total, "Done")
        return zip_files(dict(sorted(files.items())))
    finally:
        cur.close()


class PackJob:
    """`range_pack` in a background thread, for a page to poll: `.progress`, `.done`, `.result`, `.error`."""

    def __init__(self, con: duckdb.DuckDBPyConnection, settings: Sequence[str] | None, start: date, end: date, *,
                 as_of: date, viewer: Viewer, formats: Sequence[str] = FORMATS):
        self._args = (con, settings, start, end)
        self._kw = {"as_of": as_of, "viewer": viewer, "formats": tuple(formats)}
        self._lock = threading.Lock()
        self._progress: tuple[int, int, str] = (0, 1, "Starting")
        self._thread = threading.Thread(target=self._run, name="senlib-pack", daemon=True)
        self.result: bytes | None = None
        self.error: str | None = None

    def start(self) -> PackJob:
        self._thread.start()
        return self

    def _report(self, done: int, total: int, label: str) -> None:
        with self._lock:
            self._progress = (done, total, label)

    def _run(self) -> None:
        try:
            self.result = range_pack(*self._args, **self._kw, progress=self._report)
        except SenlibError as exc:
            self.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - the page shows it; a thread must never die silently
            self.error = f"The pack could not be made ({type(exc).__name__}: {exc})."

    @property
    def progress(self) -> tuple[int, int, str]:
        with self._lock:
            return self._progress

    @property
    def done(self) -> bool:
        return self._thread.ident is not None and not self._thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)
