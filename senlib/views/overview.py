"""Read-only queries over the register: who is on it, by status, need and plan."""

from __future__ import annotations

import duckdb
import pandas as pd

from senlib import access
from senlib.core.names import NEEDS, NOT_RECORDED, PLAN_TYPES, SEN_STATUS

# Pupils currently on roll: no leaving date, or leaving in the future.
ON_ROLL = "(leaving_date IS NULL OR leaving_date > current_date)"


def overview(cur: duckdb.DuckDBPyConnection, settings: list[str] | None = None, *,
             viewer: access.Viewer) -> dict[str, pd.DataFrame]:
    """Counts for the first page: by SEN status, by primary need (K and E) and by current plan type of the
    pupils on roll. With `viewer`: SENCos and senior leaders only, and only their settings."""
    settings = access.scope_for(viewer, settings, access.STAFF)
    where, params = access.settings_sql(settings)
    by_status = cur.execute(
        f"SELECT sen_status, count(*) AS pupils FROM pupils WHERE {ON_ROLL} {where} GROUP BY ALL", params
    ).df()
    by_status["label"] = by_status["sen_status"].map(SEN_STATUS).fillna(NOT_RECORDED)
    by_need = cur.execute(
        f"""SELECT primary_need, sen_status, count(*) AS pupils FROM pupils
            WHERE {ON_ROLL} AND sen_status IN ('K', 'E') {where} GROUP BY ALL""",
        params,
    ).df()
    by_need["need"] = by_need["primary_need"].map(NEEDS).fillna(NOT_RECORDED)
    by_need["status"] = by_need["sen_status"].map(SEN_STATUS)
    by_plan = cur.execute(
        f"""SELECT plan_type, count(DISTINCT (setting, pupil_id)) AS pupils FROM plans
            WHERE (end_date IS NULL OR end_date > current_date) {where}
              AND (setting, pupil_id) IN (SELECT (setting, pupil_id) FROM pupils WHERE {ON_ROLL} {where})
            GROUP BY ALL ORDER BY pupils DESC""",
        params + params,
    ).df()
    by_plan["plan"] = by_plan["plan_type"].map(PLAN_TYPES).fillna(by_plan["plan_type"])
    return {"by_status": by_status, "by_need": by_need, "by_plan": by_plan}


def settings_list(cur: duckdb.DuckDBPyConnection, *, viewer: access.Viewer) -> list[str]:
    """Every setting that has pupils and the viewer may see (any role: names of settings, not of pupils), in name order."""
    access.require_role(viewer, *access.ROLES)
    return [r[0] for r in cur.execute("SELECT DISTINCT setting FROM pupils ORDER BY 1").fetchall()
            if viewer.may_see_setting(r[0])]


def figures(counts: dict[str, pd.DataFrame]) -> dict[str, dict | None]:
    """The Overview's two charts as specs from `overview`'s counts: pupils by primary need (K and E, stacked) and by
    current plan; None for a chart with no pupil to draw (no one on SEN Support or with an EHC plan; no plan in
    force), which the page says in words instead of drawing empty axes."""
    from senlib.render import charts

    need, plans = counts["by_need"], counts["by_plan"]
    out: dict[str, dict | None] = {"need": None, "plan": None}
    if len(need) and need["pupils"].sum():
        order = list(need.groupby("need")["pupils"].sum().sort_values(ascending=False).index)
        out["need"] = charts.to_spec(charts.bar(
            need, x="pupils", y="need", color="status", orientation="h", barmode="stack", order=order, text=False,
            title="Pupils on the SEN register by primary need", x_title="Pupils", y_title="Primary need",
            legend_title="SEN status", height=160 + 34 * len(order),
            color_map={"SEN Support": charts.OKABE_ITO["blue"], "EHC plan": charts.OKABE_ITO["orange"]}))
    if len(plans) and plans["pupils"].sum():
        out["plan"] = charts.to_spec(charts.readable_text(charts.bar(
            plans, x="plan", y="pupils", title="Pupils by current plan", x_title="Plan type", y_title="Pupils")))
    return out
