"""A setting's own wording of each review document: Word templates a SENCo downloads, edits and uploads back.

Why through the worker: an uploaded .docx is untrusted like a tracker (a zip bomb, macros, a link Word would fetch),
so it is opened in the sandboxed worker process (senlib.importer.sandbox), which hands back only its Jinja source;
the placeholders are checked here, then a trial render with sample values. Nothing is stored unless every check
passes, and every change is in the audit log. Precedence: the setting's own, else the one for every setting
(setting ''), else the product's default.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import duckdb
import pandas as pd

from senlib import access, store
from senlib.access import Viewer
from senlib.core.errors import InputError
from senlib.core.names import REVIEW_DOCUMENTS
from senlib.documents import sandbox
from senlib.documents.blocks import Paragraphs, Table, Ticks
from senlib.documents.defaults import default_template
from senlib.documents.placeholders import BLOCK, PLACEHOLDERS
from senlib.importer.problems import ImportRefused
from senlib.importer.sandbox import read_template_untrusted

ALL_SETTINGS = ""
AUDIT_ACTION = "template_change"
SOURCES = {"default": "The app's default", "all_settings": "Every setting's own", "setting": "This setting's own"}


def _check_document(document: str) -> None:
    if document not in REVIEW_DOCUMENTS:
        raise InputError(f"There is no review document '{document}'.", fix=f"Use one of: {', '.join(REVIEW_DOCUMENTS)}.")


def _gate(viewer: Viewer, setting: str) -> None:
    """SENCo only; the template for every setting needs a SENCo who sees every setting."""
    if setting == ALL_SETTINGS:
        access.require_whole_database(viewer)
    elif not access.require_senco(viewer).may_see_setting(setting):
        raise access.AccessDenied(f"Your access does not include {setting}.", fix="Ask a SENCo of that setting.")


def template_bytes(cur: duckdb.DuckDBPyConnection, setting: str, document: str) -> bytes:
    """The template in force: the setting's own, else every setting's, else the default."""
    _check_document(document)
    row = cur.execute("SELECT docx FROM document_templates WHERE document = ? AND setting IN (?, '') "
                      "ORDER BY setting = '' LIMIT 1", [document, setting]).fetchall()
    return bytes(row[0][0]) if row else default_template(document)


def sample_context() -> dict:
    """A value for every placeholder, for a trial render of an uploaded template."""
    ctx: dict = {}
    for name, ph in PLACEHOLDERS.items():
        if ph.kind != BLOCK:
            ctx[name] = f"[{name}]"
        elif name.endswith("_table"):
            ctx[name] = Table(["A", "B"], [["1", "2"]])
        elif name.endswith("_list"):
            ctx[name] = Ticks([("One", True), ("Two", False)])
        else:
            ctx[name] = Paragraphs([f"[{name}]"])
    return ctx


def check_template(file_name: str, data: bytes) -> list[str]:
    """The placeholders an uploaded template uses, after every check (worker, placeholders, a trial render);
    TemplateRefused naming the file, the problem, where it is and the fix."""
    try:
        raw = read_template_untrusted(file_name, data)
    except ImportRefused as exc:
        raise sandbox.TemplateRefused(exc.message, place=exc.place, fix=exc.fix) from None
    used = sandbox.check_sources(file_name, [sandbox.Part(p["label"], p["source"], p["text_only"]) for p in raw])
    try:
        sandbox.render(data, sample_context())
    except sandbox.TemplateRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - docxtpl / lxml on an odd document: many exception types
        raise sandbox.TemplateRefused(f"{file_name} was not saved: filling it in failed ({type(exc).__name__}).",
                                      place=file_name, fix=sandbox.WORD_FIX) from None
    return used


def save_template(cur: duckdb.DuckDBPyConnection, setting: str, document: str, file_name: str, data: bytes, *,
                  viewer: Viewer) -> list[str]:
    """Store a setting's own template for `document` (setting '': every setting) after every check; returns the
    placeholders it uses. All or nothing, audited."""
    _check_document(document)
    _gate(viewer, setting)
    used = check_template(file_name, data)
    digest = hashlib.sha256(data).hexdigest()
    with store.transaction(cur):
        cur.execute("DELETE FROM document_templates WHERE setting = ? AND document = ?", [setting, document])
        cur.execute("INSERT INTO document_templates (setting, document, file_name, docx, placeholders, uploaded_by, "
                    "uploaded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [setting, document, file_name, data, json.dumps(used), viewer.name, datetime.now()])
        store.audit(cur, AUDIT_ACTION, viewer.name, {"document": document, "setting": setting, "file_name": file_name,
                                                     "sha256": digest, "placeholders": used})
    return used


def reset_template(cur: duckdb.DuckDBPyConnection, setting: str, document: str, *, viewer: Viewer) -> bool:
    """Back to the default (or to every setting's own): removes the setting's template; False if it had none."""
    _check_document(document)
    _gate(viewer, setting)
    with store.transaction(cur):
        had = cur.execute("SELECT count(*) FROM document_templates WHERE setting = ? AND document = ?",
                          [setting, document]).fetchall()[0][0]
        if had:
            cur.execute("DELETE FROM document_templates WHERE setting = ? AND document = ?", [setting, document])
            store.audit(cur, AUDIT_ACTION, viewer.name, {"document": document, "setting": setting, "reset": True})
    return bool(had)


def templates_in_force(cur: duckdb.DuckDBPyConnection, setting: str) -> pd.DataFrame:
    """One row per document: which template is in force for the setting, and who uploaded it when."""
    stored = cur.execute("SELECT setting, document, file_name, uploaded_by, uploaded_at FROM document_templates "
                         "WHERE setting IN (?, '')", [setting]).df()
    rows = []
    for document, label in REVIEW_DOCUMENTS.items():
        mine = stored[stored["document"] == document].sort_values("setting", ascending=False)
        if len(mine):
            r = mine.iloc[0]
            source = "all_settings" if r["setting"] == ALL_SETTINGS and setting != ALL_SETTINGS else "setting"
            rows.append({"document": document, "label": label, "source": source, "file_name": r["file_name"],
                         "uploaded_by": r["uploaded_by"], "uploaded_at": r["uploaded_at"]})
        else:
            rows.append({"document": document, "label": label, "source": "default", "file_name": None,
                         "uploaded_by": None, "uploaded_at": None})
    return pd.DataFrame(rows, columns=["document", "label", "source", "file_name", "uploaded_by", "uploaded_at"])
