"""The SENCo's commentary for governors: the context figures cannot give ("two new EHC plans this term; the
speech and language therapist's visits resumed"), checked so it names no pupil.

Governors never see a pupil (DESIGN §1). The commentary is free text, so it is checked against every pupil in the
database (any setting, leavers too) when it is saved and again each time the report is built: a pupil imported
later whose name the text happens to use withholds it until the SENCo rewrites it. The check is deliberately
strict: a capitalised word equal to a pupil's first or last name is refused even where it is an ordinary word
("Will", "May"); the message says which words, and the SENCo rewrites the sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb

from senlib import access, store
from senlib.core.errors import InputError

MAX_CHARS = 2000
ACTION = "governors_commentary"  # audit action (store.DATA_CHANGES: a saved commentary changes the report)
_WORD = re.compile(r"[^\W\d_][\w'’\-]*")
_TOKEN = re.compile(r"[\w\-]+")


class CommentaryRefused(InputError):
    """The commentary names a pupil (or is too long); `found` holds the words to take out."""

    def __init__(self, message: str, found: Sequence[str] = (), *, fix: str | None = None):
        super().__init__(message, fix=fix)
        self.found = list(found)


@dataclass(frozen=True)
class Commentary:
    """The commentary kept for one scope (the settings a report covers), and who wrote it when."""

    scope: str
    text: str
    written_by: str | None
    written_at: datetime | None
    found: tuple[str, ...] = ()  # pupils' names or ids it holds now: withheld from the report while any remain

    @property
    def shown(self) -> bool:
        return bool(self.text.strip()) and not self.found


def scope_key(settings: Sequence[str]) -> str:
    """One key per set of settings: a report over Oak and Elm reads the commentary written for Oak and Elm."""
    return " | ".join(sorted(settings))


def names_found(cur: duckdb.DuckDBPyConnection, text: str) -> list[str]:
    """The words of `text` that name or identify a pupil in the database, in the order they appear.

    A full name ("Amy Clark", any case), a capitalised first or last name ("Amy", "Clark"), or a pupil id."""
    rows = cur.execute("SELECT pupil_id, first_name, last_name FROM pupils").fetchall()
    names = {n.casefold() for _, f, last in rows for n in (f, last) if n and len(n.strip()) > 1}
    fulls = {f"{f} {last}".casefold() for _, f, last in rows if f and last}
    ids = {str(p).casefold() for p, _, _ in rows if p and len(str(p)) >= 4 and not str(p).isdigit() or p and len(str(p)) >= 6}
    found: list[str] = []
    words = [(m.group(0).rstrip("'’-"), m.start()) for m in _WORD.finditer(text)]
    for (word, _), nxt in zip(words, [*words[1:], None], strict=True):
        if nxt and f"{word} {nxt[0]}".casefold() in fulls:
            found.append(f"{word} {nxt[0]}")
        elif word[:1].isupper() and word.casefold() in names:
            found.append(word)
    found += [t for t in _TOKEN.findall(text) if t.casefold() in ids]
    return list(dict.fromkeys(found))


def check(cur: duckdb.DuckDBPyConnection, text: str) -> None:
    """Refuse a commentary that is too long or names a pupil, saying which words."""
    if len(text) > MAX_CHARS:
        raise CommentaryRefused(f"The commentary is {len(text):,} characters long; governors' reports keep it to "
                                f"{MAX_CHARS:,}.", fix="Shorten it to a few sentences.")
    found = names_found(cur, text)
    if found:
        words = ", ".join(f"'{w}'" for w in found)
        raise CommentaryRefused(
            f"The commentary was not saved: {words} {'is' if len(found) == 1 else 'are'} the name or id of a pupil "
            "on the register, and governors never see a pupil.", found,
            fix="Rewrite the sentence without it (say 'one pupil in Year 4', not a name). If it is an ordinary word "
                "that happens to be a pupil's name, rephrase or write it in lower case.")


def current(cur: duckdb.DuckDBPyConnection, settings: Sequence[str]) -> Commentary | None:
    """The commentary for these settings, checked against today's register (None: none written)."""
    key = scope_key(settings)
    row = cur.execute("SELECT text, written_by, written_at FROM governor_commentary WHERE scope = ?", [key]).fetchone()
    if row is None or not (row[0] or "").strip():
        return None
    return Commentary(key, row[0], row[1], row[2], tuple(names_found(cur, row[0])))


def save(cur: duckdb.DuckDBPyConnection, viewer: access.Viewer, settings: Sequence[str], text: str) -> Commentary | None:
    """Keep the SENCo's commentary for the report over `settings` (blank text removes it); audited.

    Only a SENCo who may see every one of the settings writes it."""
    if viewer.role != access.SENCO:
        raise access.AccessDenied("Only the SENCo writes the commentary for governors.")
    if not settings or not all(viewer.may_see_setting(s) for s in settings):
        raise access.AccessDenied("The commentary covers a setting you cannot see.")
    text = text.strip()
    if text:
        check(cur, text)
    key = scope_key(settings)
    with store.transaction(cur):
        cur.execute("DELETE FROM governor_commentary WHERE scope = ?", [key])
        if text:
            cur.execute("INSERT INTO governor_commentary VALUES (?, ?, ?, current_localtimestamp())", [key, text, viewer.name])
        store.audit(cur, ACTION, viewer.name, {"settings": list(settings), "characters": len(text)})
    return current(cur, settings)
