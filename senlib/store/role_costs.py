"""Each setting's hourly cost of staff time, by role: what prices an intervention's sessions (rule provision_cost).

Kept with the setting, not in the policy: pay differs between schools, and the SENCo edits it (Rules page, audited).
A role with no value of the setting's own is priced at the product's default below: a typical hourly cost to a
school in England in 2025-26, on-costs (employer's pension and National Insurance) included, spread over the hours
worked. A SENCo who knows the school's own figures should enter them.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from senlib import access, store
from senlib.core.errors import InputError
from senlib.core.names import STAFF_ROLES

ACTION = "role_cost_change"  # audit action (store.DATA_CHANGES: a changed cost changes every costed figure)
DEFAULT_HOURLY_COST: dict[str, float] = {
    "teaching_assistant": 18.0,
    "teacher": 45.0,
    "senco": 50.0,
    "specialist_teacher": 55.0,
    "salt": 65.0,
    "ep": 95.0,
    "other": 25.0,
}
MAX_HOURLY_COST = 1000.0


def role_costs(cur: duckdb.DuckDBPyConnection, setting: str, *, viewer: access.Viewer) -> pd.DataFrame:
    """The hourly cost in force for each role at `setting`: role, label, hourly_cost, default_cost, source
    ('setting': the setting's own; 'default'), changed_by, changed_at. Staff of the setting only."""
    if not access.staff_scope(viewer, [setting]) and not viewer.may_see_setting(setting):
        raise access.AccessDenied(f"You cannot see the costs of {setting}.")
    own = {r[0]: r[1:] for r in cur.execute(
        "SELECT role, hourly_cost, changed_by, changed_at FROM role_costs WHERE setting = ?", [setting]).fetchall()}
    rows = []
    for role, label in STAFF_ROLES.items():
        cost, by, at = own.get(role, (None, None, None))
        rows.append({"role": role, "label": label, "hourly_cost": DEFAULT_HOURLY_COST[role] if cost is None else cost,
                     "default_cost": DEFAULT_HOURLY_COST[role], "source": "default" if cost is None else "setting",
                     "changed_by": by, "changed_at": at})
    return pd.DataFrame(rows)


def set_role_cost(cur: duckdb.DuckDBPyConnection, setting: str, role: str, hourly_cost: float | None, *,
                  viewer: access.Viewer) -> None:
    """Set (or, with None, go back to the default for) the setting's hourly cost of a role; audited. SENCo only."""
    access.require_senco(viewer)
    if not viewer.may_see_setting(setting):
        raise access.AccessDenied(f"You cannot change the costs of {setting}.")
    if role not in STAFF_ROLES:
        raise InputError(f"'{role}' is not a staff role.", fix=f"Use one of: {', '.join(STAFF_ROLES)}.")
    if hourly_cost is not None and not (0 < float(hourly_cost) <= MAX_HOURLY_COST):
        raise InputError(f"£{hourly_cost} an hour is not a cost of staff time.",
                         fix=f"Enter the cost of an hour, on-costs included, between £0.01 and £{MAX_HOURLY_COST:,.0f}.")
    with store.transaction(cur):
        cur.execute("DELETE FROM role_costs WHERE setting = ? AND role = ?", [setting, role])
        if hourly_cost is not None:
            cur.execute("INSERT INTO role_costs VALUES (?, ?, ?, ?, current_localtimestamp())",
                        [setting, role, float(hourly_cost), viewer.name])
        store.audit(cur, ACTION, viewer.name, {"setting": setting, "role": role, "hourly_cost": hourly_cost})
