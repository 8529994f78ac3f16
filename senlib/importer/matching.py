"""Which setting an upload belongs to, and whether it fits the register it is about to update.

Another school's tracker imported into the wrong setting adds all its pupils there and, as a whole register,
lists every pupil of that setting as a possible leaver. So nothing is chosen on a guess: the file's own words
(a Setting column, its title rows, its name) and how many of its pupils each register already holds suggest a
setting, and a choice that does not fit (fewer than half of the file's pupils on the register, or more than a
quarter of the register missing from a whole-register upload) is said with its numbers and must be confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from senlib import access
from senlib.core.text import counted
from senlib.importer.normalise import build_stage
from senlib.importer.pipeline import Upload
from senlib.importer.synonyms import norm_key

MATCH_SHARE = 0.5      # fewer than this share of the file's pupils on the chosen register: probably another school
LEAVER_SHARE = 0.25    # more than this share of the register would become possible leavers


@dataclass(frozen=True)
class Fit:
    """How an upload fits one setting's register."""

    setting: str
    file_pupils: int        # distinct pupils in the upload (rows without a setting of their own)
    on_register: int        # of them, already on this setting's register
    register: int           # pupils on the register (no leaving date)
    leavers: int            # register pupils not in the upload: possible leavers of a whole-register upload

    def problems(self, whole_register: bool) -> list[str]:
        """What does not fit, in words with the numbers; empty when the upload fits."""
        out = []
        if self.register and self.file_pupils and self.on_register < MATCH_SHARE * self.file_pupils:
            out.append(f"only {self.on_register:,} of the {counted(self.file_pupils, 'pupil')} in these files "
                       f"{'is' if self.on_register == 1 else 'are'} on the register of {self.setting} "
                       f"({counted(self.register, 'pupil')})")
        if whole_register and self.register and self.leavers > LEAVER_SHARE * self.register:
            out.append(f"{self.leavers:,} of the {counted(self.register, 'pupil')} on the register of {self.setting} "
                       "are not in these files and would be listed as possible leavers")
        return out

    def warning(self, whole_register: bool) -> str | None:
        found = self.problems(whole_register)
        if not found:
            return None
        said = "; ".join(found)
        return f"Are these files for {self.setting}? {said[0].upper()}{said[1:]}. They may be another school's tracker."


def register_fits(cur: duckdb.DuckDBPyConnection, upload: Upload, *, viewer: access.Viewer) -> dict[str, Fit]:
    """Setting -> how the upload's pupils without a setting of their own fit that setting's register: for the
    settings the viewer (staff) may see only, as the counts describe their registers."""
    items = [(i, p, upload.sheet(i, p.sheet)) for i, p in upload.importable if p.entity == "pupils"]
    scope = access.staff_scope(viewer)
    settings = [r[0] for r in cur.execute("SELECT DISTINCT setting FROM pupils ORDER BY 1").fetchall()
                if scope is None or r[0] in scope]
    if not items or not settings:
        return {}
    stage = build_stage(cur, items, None)
    try:
        table = stage.tables["pupils"]
        rows = cur.execute(f"""
            WITH f AS (SELECT DISTINCT pupil_id FROM {table} WHERE pupil_id IS NOT NULL AND setting IS NULL),
                 reg AS (SELECT setting, pupil_id FROM pupils WHERE leaving_date IS NULL)
            SELECT s.setting, (SELECT count(*) FROM f),
                   (SELECT count(*) FROM f JOIN reg r USING (pupil_id) WHERE r.setting = s.setting),
                   (SELECT count(*) FROM reg r WHERE r.setting = s.setting),
                   (SELECT count(*) FROM reg r WHERE r.setting = s.setting AND r.pupil_id NOT IN (SELECT pupil_id FROM f))
            FROM (SELECT unnest(?::VARCHAR[]) AS setting) s""", [settings]).fetchall()
    finally:
        stage.close()
    return {s: Fit(s, int(n), int(on), int(reg), int(left)) for s, n, on, reg, left in rows}


def named_in_file(upload: Upload, settings: list[str]) -> list[str]:
    """Settings whose name the files use: in a file name or in the rows above a sheet's header."""
    words = [norm_key(w.file_name.rsplit(".", 1)[0]) for w in upload.workbooks]
    for i, plan in upload.importable:
        table = upload.sheet(i, plan.sheet).table
        for r in range(min(plan.header_row or 0, 10)):
            words.append(norm_key(" ".join(str(v) for v in table.slice(r, 1).to_pylist()[0].values() if v)))
    text = " | ".join(words)
    return [s for s in settings if norm_key(s) and norm_key(s) in text]


def named_in_rows(upload: Upload, settings: list[str]) -> list[str]:
    """Settings a Setting column of the files names (a record workbook or a full export carries one on every row)."""
    keys = {norm_key(s): s for s in settings if norm_key(s)}
    found: set[str] = set()
    for i, plan in upload.importable:
        table = upload.sheet(i, plan.sheet).table
        for col in plan.columns:
            if col.field != "setting" or col.index >= table.num_columns:
                continue
            values = table.column(col.index).to_pylist()[(plan.header_row or 0) + 1:][:5000]
            found |= {keys[norm_key(str(v))] for v in values if v is not None and norm_key(str(v)) in keys}
    return sorted(found)


def suggest_setting(cur: duckdb.DuckDBPyConnection, upload: Upload, settings: list[str], *,
                    viewer: access.Viewer) -> tuple[str | None, str | None]:
    """(setting, why) the upload most likely belongs to, of `settings` the viewer may see, or (None, None) when
    nothing points to one."""
    scope = access.staff_scope(viewer, settings)
    settings = list(settings) if scope is None else scope
    found = register_fits(cur, upload, viewer=viewer)
    named = named_in_file(upload, settings)
    best = max((f for f in found.values() if f.setting in settings and f.on_register), default=None,
               key=lambda f: f.on_register)
    if best is not None and best.on_register >= MATCH_SHARE * best.file_pupils:
        return best.setting, (f"{best.on_register:,} of the {counted(best.file_pupils, 'pupil')} in these files are on "
                              f"its register")
    if len(named) == 1:
        return named[0], "the files name it"
    in_rows = named_in_rows(upload, settings)
    if len(in_rows) == 1:
        return in_rows[0], "the files' Setting column names it"
    return None, None
