"""Each setting's phase and home council.

Why: the rules read them. A pupil without an EHC plan takes the policy of the council the setting sits in
(per-council overrides), and the phase decides the transfer years (an infant school's leavers transfer at
the end of Year 2). The SENCo records them on the Rules page, or in the Settings sheet of the template.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pandas as pd

from senlib import access, store
from senlib.core.errors import InputError
from senlib.core.names import ENTITY_TABLES, SETTING_PHASES

SHEET = "Settings"
HEADINGS = ("Setting", "Phase", "Local authority")
SETTING_COLUMNS = ("phase", "local_authority")
# rows that keep a setting in use: undoing an import never removes a setting they name
SETTING_DATA_TABLES = (*ENTITY_TABLES, "rule_overrides", "role_costs")
PHASE_FIX = "Use one of: " + ", ".join(f"{code} ({label})" for code, label in SETTING_PHASES.items()) + "."


def parse_phase(value: object) -> str | None:
    """A phase code from its code or label, any case ('Primary school', 'primary'); None when blank.
    Raises InputError for anything else."""
    text = " ".join(str(value or "").split()).lower()
    if not text:
        return None
    for code, label in SETTING_PHASES.items():
        if text in (code, code.replace("_", " "), code.replace("_", "-"), label.lower()):
            return code
    raise InputError(f"'{value}' is not a phase.", fix=PHASE_FIX)


def details(cur: duckdb.DuckDBPyConnection, *, viewer: access.Viewer) -> pd.DataFrame:
    """setting, phase, local_authority of every setting the viewer (staff) may see, by name."""
    access.require_staff(viewer)
    df = cur.execute("""SELECT setting, phase, local_authority FROM settings
        UNION SELECT DISTINCT setting, NULL, NULL FROM pupils WHERE setting NOT IN (SELECT setting FROM settings)
        ORDER BY setting""").df()
    if viewer.settings is not None:
        df = df[df["setting"].isin(viewer.settings)].reset_index(drop=True)
    return df


def councils(cur: duckdb.DuckDBPyConnection) -> list[str]:
    """Every local authority the database names (a setting's, a pupil's or a plan's), for choosing one whose pupils
    a rule value applies to. Council names, not pupils': any staff member may list them."""
    return [r[0] for r in cur.execute(
        "SELECT DISTINCT local_authority FROM (SELECT local_authority FROM settings UNION SELECT local_authority FROM pupils "
        "UNION SELECT local_authority FROM plans) WHERE local_authority IS NOT NULL ORDER BY 1").fetchall()]


def set_details(con: duckdb.DuckDBPyConnection, setting: str, *, phase: object, local_authority: object,
                user: str | None = None, viewer: access.Viewer) -> bool:
    """Record a setting's phase and council (blank clears): a SENCo of that setting. Audited; returns whether
    anything changed."""
    access.require_senco(viewer)
    if not viewer.may_see_setting(setting):
        raise access.AccessDenied(f"You do not have access to {setting}.")
    code = parse_phase(phase)
    la = " ".join(str(local_authority or "").split()) or None
    cur = con.cursor()
    before = cur.execute("SELECT phase, local_authority FROM settings WHERE setting = ?", [setting]).fetchall()
    known = bool(before) or cur.execute("SELECT count(*) FROM pupils WHERE setting = ?", [setting]).fetchone()[0] > 0
    if not known:
        raise InputError(f"There is no setting called '{setting}'.", fix="Import its tracker first, or check the name.")
    if before and before[0] == (code, la):
        return False
    with store.transaction(cur):
        cur.execute("INSERT INTO settings (setting, phase, local_authority) VALUES (?, ?, ?) ON CONFLICT (setting) "
                    "DO UPDATE SET phase = excluded.phase, local_authority = excluded.local_authority", [setting, code, la])
        store.audit(cur, "setting_change", user, {"setting": setting, "before": list(before[0]) if before else None,
                                                  "after": [code, la]})
    return True


def sheet_rows(rows: Iterable[Iterable[object]], *, file: str = "") -> list[tuple[str, str | None, str | None]]:
    """(setting, phase, council) from the template's Settings sheet (headings in its first row). Raises InputError
    naming the row for a phase it does not know."""
    it = iter(rows)
    head = [" ".join(str(c or "").split()).lower() for c in next(it, [])]
    want = [h.lower() for h in HEADINGS]
    if not all(h in head for h in want):
        return []
    idx = [head.index(h) for h in want]
    out = []
    for n, row in enumerate(it, start=2):
        cells = list(row) + [None] * len(head)
        setting, phase, la = (cells[i] for i in idx)
        setting = " ".join(str(setting or "").split())
        if not setting:
            continue
        try:
            code = parse_phase(phase)
        except InputError as exc:
            where = f"{file}, " if file else ""
            raise InputError(f"{where}sheet '{SHEET}', row {n}, column 'Phase': {exc.message}", fix=exc.fix) from None
        out.append((setting, code, " ".join(str(la or "").split()) or None))
    return out


def fill_blanks(cur: duckdb.DuckDBPyConnection, rows: list[tuple[str, str | None, str | None]]) -> dict[str, dict[str, str]]:
    """Give imported settings the phase and council of a Settings sheet where none is recorded yet
    (what the SENCo set on the Rules page wins). Returns what each setting gained ({setting: {column: value}}),
    which the import keeps so that undoing it blanks them again."""
    gained: dict[str, dict[str, str]] = {}
    for setting, phase, la in rows:
        before = cur.execute("SELECT phase, local_authority FROM settings WHERE setting = ?", [setting]).fetchall()
        if not before:
            continue
        new = {col: value for col, old, value in zip(SETTING_COLUMNS, before[0], (phase, la), strict=True)
               if old is None and value is not None}
        if new:
            sets = ", ".join(f"{col} = ?" for col in new)
            cur.execute(f"UPDATE settings SET {sets} WHERE setting = ?", [*new.values(), setting])
            gained[setting] = new
    return gained


def undo_import(cur: duckdb.DuckDBPyConnection, gained: dict[str, dict[str, str]], created: Iterable[str]) -> list[str]:
    """Take back what an import did to the settings: the phase and council it filled in go blank again
    (unless changed since), and a setting it created goes once nothing else is recorded for it (no pupils or
    other rows, no phase or council, no rule overrides). Returns the settings removed."""
    for setting, new in gained.items():
        for col, value in new.items():
            if col in SETTING_COLUMNS:
                cur.execute(f"UPDATE settings SET {col} = NULL WHERE setting = ? AND {col} = ?", [setting, value])
    used = " OR ".join(f"EXISTS (SELECT 1 FROM {t} WHERE {t}.setting = s.setting)" for t in SETTING_DATA_TABLES)
    removed = []
    for setting in created:
        gone = cur.execute(f"""DELETE FROM settings s WHERE s.setting = ? AND s.phase IS NULL AND s.local_authority IS NULL
            AND NOT ({used}) RETURNING setting""", [setting]).fetchall()
        removed += [r[0] for r in gone]
    return removed
