"""Reading the audit log: who did what, when — for the SENCo's audit page and its export.

Writing stays in `store.audit`. The log spans every setting, so reading it needs a SENCo
with access to the whole database (`access.require_whole_database`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import pandas as pd

from senlib.access import Viewer, require_whole_database

ACTION_LABELS: dict[str, str] = {
    "sign_in": "Signed in",
    "sign_in_refused": "Sign-in refused (no role)",
    "import": "Import",
    "undo": "Undo of an import",
    "rule_change": "Rule change",
    "setting_change": "Setting's phase or local authority changed",
    "confirm_leavers": "Leavers confirmed",
    "export": "Export",
    "backup": "Backup made",
    "backup_schedule": "Nightly backups changed",
    "restore": "Restore from a backup",
    "demo": "Demo data loaded",
    "governors_commentary": "Commentary for governors saved",
}
COLUMNS = {"logged_at": "When", "user_name": "Who", "action": "Action", "what": "What", "detail": "Details"}


@dataclass(frozen=True)
class AuditFilter:
    """What the SENCo asked to see; None means no limit."""

    since: date | None = None
    until: date | None = None        # inclusive
    users: tuple[str, ...] | None = None
    actions: tuple[str, ...] | None = None
    text: str | None = None          # found anywhere in the details (case-insensitive)


def options(con: duckdb.DuckDBPyConnection, viewer: Viewer) -> tuple[list[str], list[str], date | None, date | None]:
    """People and actions present in the log, and its first and last day, for the filters."""
    require_whole_database(viewer)
    users = [r[0] for r in con.execute("SELECT DISTINCT coalesce(user_name, '') FROM audit ORDER BY 1").fetchall()]
    actions = [r[0] for r in con.execute("SELECT DISTINCT action FROM audit ORDER BY 1").fetchall()]
    first, last = con.execute("SELECT min(logged_at)::DATE, max(logged_at)::DATE FROM audit").fetchall()[0]
    return users, actions, first, last


def entries(con: duckdb.DuckDBPyConnection, viewer: Viewer, flt: AuditFilter = AuditFilter(), *, limit: int | None = None) -> pd.DataFrame:
    """Audit entries matching `flt`, newest first, with a readable action and the details as JSON text."""
    require_whole_database(viewer)
    where, params = ["TRUE"], []
    if flt.since:
        where.append("logged_at >= ?")
        params.append(flt.since)
    if flt.until:
        where.append("logged_at < ?")
        params.append(flt.until + timedelta(days=1))
    if flt.users is not None:
        if not flt.users:
            where.append("FALSE")
        else:
            where.append(f"coalesce(user_name, '') IN ({', '.join('?' for _ in flt.users)})")
            params += list(flt.users)
    if flt.actions is not None:
        if not flt.actions:
            where.append("FALSE")
        else:
            where.append(f"action IN ({', '.join('?' for _ in flt.actions)})")
            params += list(flt.actions)
    if flt.text:
        where.append("contains(lower(coalesce(CAST(detail AS VARCHAR), '') || ' ' || coalesce(user_name, '')), ?)")
        params.append(flt.text.strip().lower())
    sql = (f"SELECT logged_at, user_name, action, CAST(detail AS VARCHAR) AS detail FROM audit "
           f"WHERE {' AND '.join(where)} ORDER BY logged_at DESC")
    if limit:
        sql += f" LIMIT {int(limit)}"
    frame = con.execute(sql, params).df()
    frame.insert(3, "what", frame["action"].map(lambda a: ACTION_LABELS.get(a, a)))
    return frame


def for_people(frame: pd.DataFrame) -> pd.DataFrame:
    """The entries with column headings a SENCo reads (for the table and the export)."""
    return frame.rename(columns=COLUMNS)[list(COLUMNS.values())]
