"""The Provision map and Impact pages: the whole-setting grid, each intervention's cost and impact, the totals.

Why here: the pages only draw what these functions return. Everything is worked out from two results, loaded once
per (data version, viewer, as-of date, settings) and cached by the page: every intervention costed by the rules
(senlib.rules.provision.interventions) and the pupils with their places this school year (the register and anyone
with provision, one row per place: `load`). The filters (area of need, year group, staff role) are applied to those
in memory, so changing one does not run the rules again.

The figures follow the rules' definitions: a cost not recorded is "Not tracked", never £0; an intervention covering
several areas shows under each area of the grid but counts once in every total; spend is the cost a year of the
interventions running this school year, where costed; staff hours are those of the interventions delivered on the
as-of date (running, with pupils on them); an intervention meets its expected gain when at least provision_low_impact's min_pupils pupils have
entry and exit scores and their median gain is at least the gain expected.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from senlib import access
from senlib.access import Viewer
from senlib.core.names import (
    AREAS,
    AREAS_SEPARATOR,
    NEEDS,
    NOT_RECORDED,
    PROVISION_KINDS,
    PROVISION_MEASURES,
    SEN_STATUS,
    STAFF_ROLES,
    YEAR_GROUPS,
    not_recorded,
    year_group_label,
)
from senlib.rules import provision as rules
from senlib.rules.facts import year_group
from senlib.rules.query import run, with_ctes
from senlib.rules.staging import staging
from senlib.views.pupil import full_name, pupil_key

NOT_TRACKED = "Not tracked"
NO_PUPILS = "No pupils this year"  # cost per pupil of an intervention nobody was on this school year
NO_ROLE = "not_recorded"  # the staff-role filter's value for interventions whose deliverer is not recorded
NO_AREA = "not_recorded"  # the grid's row for interventions with no area of need recorded
BROAD_AREAS = ["communication_interaction", "cognition_learning", "semh", "sensory_physical"]

# Meets expected? (the table's column), in words.
MEETS = "Yes"
BELOW = "No"
TOO_FEW = "Too few scored"
NO_EXPECTED = "No expected gain recorded"

# The per-intervention table: column -> heading (the page's and the workbook's).
TABLE_COLUMNS: dict[str, str] = {
    "setting": "Setting", "name": "Intervention", "role_text": "Delivered by", "pupils_now": "Pupils now",
    "hours_text": "Hours a week", "cost_text": "Cost a year", "per_pupil_text": "Cost per pupil",
    "entry_exit": "Entry → exit (means)", "gain_text": "Median gain (expected)", "meets": "Meets expected?",
    "attendance_text": "Attendance", "areas_text": "Areas of need", "kind_text": "Kind", "flag": "Flag",
}


@dataclass(frozen=True)
class Filters:
    """What the page narrows the map to (None: everything): area codes (AREAS), year-group codes (YEAR_GROUPS),
    staff-role codes (STAFF_ROLES, or NO_ROLE)."""

    areas: tuple[str, ...] | None = None
    years: tuple[str, ...] | None = None
    roles: tuple[str, ...] | None = None


@dataclass
class Provision:
    """What both pages read, as plain data (picklable, so the page can cache it)."""

    as_of: date
    interventions: pd.DataFrame  # rules.interventions (min_pupils: provision_low_impact's in force), plus labels
    pupils: pd.DataFrame         # one row per pupil's place this school year; a register pupil with none: one row, no place
    flags: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)  # rules.flags: every provision flag raised

    @property
    def empty(self) -> bool:
        """No intervention is recorded in the settings in scope: the pages say how to add provision."""
        return self.interventions.empty


# ------------------------------------------------------------------------------------------------------------- load

def _pupil_rows(scope) -> str:
    """SQL: the register (K and E on roll, identified by the as-of date) and every pupil with a place current or this
    school year, one row per such place (none: one row with no place)."""
    ctes = [*staging(scope), *rules.provision_ctes(scope)]
    final = f"""
SELECT p.setting, p.pupil_id, p.first_name, p.last_name, {year_group('p')} AS year_group, p.sen_status, p.primary_need,
       p.sen_status IN ('K', 'E') AND NOT coalesce(p.leaving_date <= $as_of, FALSE)
           AND coalesce(p.date_identified <= $as_of, TRUE) AS on_register,
       coalesce(p.leaving_date <= $as_of, FALSE) AS has_left,
       pl.provision_id, pl.start_date, pl.end_date, coalesce(pl.current, FALSE) AS current, pl.days_this_year,
       pl.share_year, pl.entry_score, pl.exit_score, pl.gain, pl.attendance
FROM stg_pupils p
LEFT JOIN prov_places pl ON pl.pk = p.pk AND (pl.current OR pl.days_this_year > 0)
WHERE pl.pk IS NOT NULL
   OR (p.sen_status IN ('K', 'E') AND NOT coalesce(p.leaving_date <= $as_of, FALSE)
       AND coalesce(p.date_identified <= $as_of, TRUE))"""
    return with_ctes(ctes, final)


def load(cur: duckdb.DuckDBPyConnection, as_of: date, settings: Sequence[str] | None = None, *,
         viewer: Viewer) -> Provision:
    """Every intervention and the pupils' places in the settings in scope, on `as_of`. Staff only (these rows name
    pupils): SENCos and senior leaders, their settings only. The two statements run side by side, each on its own
    cursor."""
    scope = access.staff_scope(viewer, settings)
    # rules.query.run silences one DuckDB warning inside warnings.catch_warnings, which is not thread-safe: silenced
    # here first, around both threads, so neither thread's restore lets it through.
    with warnings.catch_warnings(), ThreadPoolExecutor(max_workers=2) as pool:
        warnings.filterwarnings("ignore", message="Arrow output on a DB-API result", category=UserWarning)
        pupils_job = pool.submit(run, cur.cursor(), as_of, scope, _pupil_rows)
        flags_job = pool.submit(rules.flags, cur.cursor(), as_of, scope, viewer=viewer)
        interventions = rules.interventions(cur, as_of, scope, viewer=viewer)
        pupils = pupils_job.result()
        flags = flags_job.result()
    return Provision(as_of, _labelled(interventions), pupils, flags)


def _areas(value: object) -> list[str]:
    if value is None or (not isinstance(value, list | tuple) and not hasattr(value, "__len__")):
        return []
    return [str(a) for a in list(value) if a]


def area_label(code: str) -> str:
    return not_recorded("Area") if code == NO_AREA else AREAS.get(code, str(code))


def year_label(code: str) -> str:
    """'Year 5', 'Reception'."""
    return year_group_label(code)


def role_label(code: object) -> str:
    """'Teaching assistant' for 'teaching_assistant'; 'Not recorded' for none."""
    if code is None or code == NO_ROLE or (isinstance(code, float) and pd.isna(code)) or code is pd.NA:
        return NOT_RECORDED
    return STAFF_ROLES.get(str(code), str(code))


def money(value: object) -> str:
    """£1,234.56; 'Not tracked' where no cost is recorded (never £0)."""
    return NOT_TRACKED if value is None or pd.isna(value) else f"£{float(value):,.2f}"


def hours(value: object) -> str:
    """0.75, 1.33, 5; 'Not tracked' where no hours are recorded."""
    if value is None or pd.isna(value):
        return NOT_TRACKED
    v = round(float(value), 2)
    return f"{v:g}" if v == round(v) or v * 10 == round(v * 10) else f"{v:.2f}"


def _score(value: object) -> str:
    if value is None or pd.isna(value):
        return ""
    v = round(float(value), 1)
    return f"{v:g}"


def _day(value: object) -> str:
    """01/09/2026; '' when missing."""
    return "" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%d/%m/%Y}"


def meets_expected(row: pd.Series | dict) -> str:
    """Yes / No / Too few scored / No expected gain recorded, for one intervention."""
    expected, scored = row["expected_gain"], row["pupils_scored"]
    if expected is None or pd.isna(expected):
        return NO_EXPECTED
    need = row.get("min_pupils")
    need = 5 if need is None or pd.isna(need) else int(need)
    if pd.isna(scored) or int(scored) < need or pd.isna(row["median_gain"]):
        return TOO_FEW
    return MEETS if float(row["median_gain"]) >= float(expected) else BELOW


def _labelled(df: pd.DataFrame) -> pd.DataFrame:
    """The interventions with the words the pages show (and the keys the filters read)."""
    out = df.copy()
    out["area_codes"] = [(_areas(a) or [NO_AREA]) for a in out["areas"]]
    out["areas_text"] = [AREAS_SEPARATOR.join(area_label(a) for a in codes) for codes in out["area_codes"]]
    out["kind_text"] = out["kind"].map(lambda k: NOT_RECORDED if k is None or pd.isna(k) else PROVISION_KINDS.get(k, k))
    out["role"] = out["delivered_by"].map(lambda r: NO_ROLE if r is None or pd.isna(r) else r)
    out["role_text"] = out["role"].map(role_label)
    out["measure_text"] = out["measure"].map(
        lambda m: "" if m is None or pd.isna(m) else PROVISION_MEASURES.get(m, m))
    out["hours_text"] = out["hours_week"].map(hours)
    out["cost_text"] = out["cost_year"].map(money)
    out["per_pupil_text"] = [NOT_TRACKED if pd.isna(t) else NO_PUPILS if pd.isna(c) else money(c)
                             for c, t in zip(out["cost_per_pupil"], out["cost_year"], strict=True)]
    out["entry_exit"] = [f"{_score(e)} → {_score(x)}" if pd.notna(e) and pd.notna(x) else "Not scored yet"
                         for e, x in zip(out["mean_entry"], out["mean_exit"], strict=True)]
    out["gain_text"] = [
        (_score(g) if pd.notna(g) else "Not scored yet") + (f" (expected {_score(x)})" if pd.notna(x) else "")
        for g, x in zip(out["median_gain"], out["expected_gain"], strict=True)]
    out["meets"] = [meets_expected(r) for r in out.to_dict("records")]
    out["attendance_text"] = out["attendance"].map(lambda a: NOT_RECORDED if pd.isna(a) else f"{float(a):.0%}")
    out["flag"] = out["low_impact_reason"].map(lambda s: "" if s is None or pd.isna(s) else str(s))
    order = sorted(range(len(out)), key=lambda k: (str(out["setting"].iloc[k]), str(out["name"].iloc[k]).casefold(),
                                                   str(out["provision_id"].iloc[k])))
    return out.iloc[order].reset_index(drop=True)


# ------------------------------------------------------------------------------------------------------------ filters

def options(data: Provision) -> dict[str, list[str]]:
    """The filters' choices, in reading order: areas (codes), years (year-group codes of pupils with provision now or
    on the register), roles (codes; NO_ROLE for not recorded)."""
    i, p = data.interventions, data.pupils
    used = {a for codes in i["area_codes"] for a in codes}
    areas = [a for a in [*AREAS, NO_AREA] if a in used or a in BROAD_AREAS]
    present = set(p["year_group"].dropna().unique())
    years = [y for y in YEAR_GROUPS if y in present] + sorted(present - set(YEAR_GROUPS))
    roles = [r for r in [*STAFF_ROLES, NO_ROLE] if r in set(i["role"])]
    return {"areas": areas, "years": years, "roles": roles}


def interventions(data: Provision, filters: Filters = Filters()) -> pd.DataFrame:
    """The interventions the filters keep (area: any of its areas chosen; year group: a pupil of a chosen year group
    on it now; role: who delivers it), in setting and name order."""
    i = data.interventions
    keep = pd.Series(True, index=i.index)
    if filters.areas:
        chosen = set(filters.areas)
        keep &= i["area_codes"].map(lambda codes: bool(chosen & set(codes)))
    if filters.roles:
        keep &= i["role"].isin(filters.roles)
    if filters.years:
        chosen = set(filters.years)
        keep &= i["year_groups"].map(lambda ys: bool(chosen & {str(y) for y in list(ys)}))
    return i[keep.to_numpy()].reset_index(drop=True)


def _places_now(data: Provision, shown: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Current places on the interventions shown, of pupils on roll in the chosen year groups."""
    p = data.pupils
    now = p[(p["current"].astype(bool) & p["provision_id"].notna() & ~p["has_left"].astype(bool)).to_numpy()]
    now = now.merge(shown[["setting", "provision_id"]].drop_duplicates(), on=["setting", "provision_id"])
    if filters.years:
        now = now[now["year_group"].isin(filters.years).to_numpy()]
    return now


# --------------------------------------------------------------------------------------------------------------- grid

def grid_cells(data: Provision, filters: Filters = Filters()) -> pd.DataFrame:
    """The grid in long form: one row per (setting, area, year group, intervention running now with pupils of that
    year group on it): pupils (of that year group on it now) and hours a week (each pupil's, the intervention's
    sessions × minutes). An intervention covering two areas has a row under each."""
    shown = interventions(data, filters)
    shown = shown[shown["running"].astype(bool)]
    now = _places_now(data, shown, filters)
    columns = ["setting", "area", "year_group", "provision_id", "name", "kind", "pupils", "hours_week"]
    if now.empty:
        return pd.DataFrame(columns=columns)
    counts = (now.dropna(subset=["year_group"]).groupby(["setting", "provision_id", "year_group"], observed=True)
              .agg(pupils=("pupil_id", "nunique")).reset_index())
    info = shown[["setting", "provision_id", "name", "kind", "hours_week", "area_codes"]].explode("area_codes")
    info = info.rename(columns={"area_codes": "area"})
    if filters.areas:
        info = info[info["area"].isin(filters.areas)]
    cells = counts.merge(info, on=["setting", "provision_id"])
    order = {a: k for k, a in enumerate([*AREAS, NO_AREA])}
    years = {y: k for k, y in enumerate(YEAR_GROUPS)}
    cells = cells.assign(_a=cells["area"].map(order).fillna(99), _y=cells["year_group"].map(years).fillna(99))
    cells = cells.sort_values(["setting", "_a", "_y", "name", "provision_id"]).drop(columns=["_a", "_y"])
    return cells[columns].reset_index(drop=True)


def cell_text(name: str, pupils: int, hours_week: object, kind: object = None) -> str:
    """One line of a grid cell: 'Lego therapy: 2 pupils, 0.75 h a week'; equipment takes no staff time: 'Writing
    slope: 1 pupil'."""
    who = f"{name}: {pupils:,} pupil{'s' if pupils != 1 else ''}"
    if hours_week is None or pd.isna(hours_week):
        return who if kind == "equipment" else f"{who}, hours not tracked"
    return f"{who}, {hours(hours_week)} h a week"


def grid(data: Provision, filters: Filters = Filters()) -> dict[str, pd.DataFrame]:
    """Per setting, the map schools know: areas of need down (the four broad areas, and any other an intervention
    records), year groups across in school order (those of the setting's pupils, or the ones chosen); each cell the
    interventions running now with its pupils of that year group and hours a week, one per line ('' for none)."""
    cells = grid_cells(data, filters)
    opts = options(data)
    used_areas = set(cells["area"])
    rows = [a for a in opts["areas"] if (a in BROAD_AREAS and (not filters.areas or a in filters.areas))
            or a in used_areas]
    lines: dict[tuple[str, str, str], list[str]] = {}  # (setting, area, year group) -> the cell's lines, in order
    for setting, area, year, name, kind, pupils, hours_week in zip(
            *(cells[c].tolist() for c in ("setting", "area", "year_group", "name", "kind", "pupils", "hours_week")),
            strict=True):
        lines.setdefault((setting, area, year), []).append(cell_text(name, int(pupils), hours_week, kind))
    on_roll = data.pupils[["setting", "year_group"]].dropna().drop_duplicates()
    out: dict[str, pd.DataFrame] = {}
    for setting in sorted(set(data.interventions["setting"])):
        present = set(filters.years) if filters.years else (
            set(on_roll.loc[on_roll["setting"] == setting, "year_group"]) | {y for s_, _, y in lines if s_ == setting})
        years = [y for y in YEAR_GROUPS if y in present] + sorted(present - set(YEAR_GROUPS))
        table = pd.DataFrame([["\n".join(lines.get((setting, a, y), [])) for y in years] for a in rows],
                             index=pd.Index([area_label(a) for a in rows], name="Area of need"),
                             columns=[year_group_label(y) for y in years], dtype=object)
        out[setting] = table
    return out


# ------------------------------------------------------------------------------------------------------------- table

def table(data: Provision, filters: Filters = Filters()) -> pd.DataFrame:
    """One row per intervention the filters keep, headed by TABLE_COLUMNS (words: money as £1,234.56, 'Not tracked'
    where no cost is recorded), plus hidden keys setting_key ('setting') and provision_id. The Setting column only
    when the map covers several settings."""
    shown = interventions(data, filters)
    cols = [c for c in TABLE_COLUMNS if c != "setting" or shown["setting"].nunique() > 1]
    out = shown[cols].rename(columns=TABLE_COLUMNS)
    out["Pupils now"] = shown["pupils_now"].astype(int)
    return out.assign(provision_id=shown["provision_id"].to_numpy())


# ------------------------------------------------------------------------------------------------------------ totals

def delivered_now(shown: pd.DataFrame) -> pd.Series:
    """The interventions delivered on the as-of date: running (not ended) with at least one pupil on them now. A group
    whose pupils have all finished takes no staff time, even with no end date recorded (the governors' report counts
    staff hours the same way)."""
    return shown["running"].astype(bool) & (shown["pupils_now"].fillna(0).astype(int) > 0)


def hours_by_role(shown: pd.DataFrame) -> pd.DataFrame:
    """Staff hours a week by who delivers them, over the interventions delivered now (each counted once): role (code),
    label, hours_week, interventions; an intervention with no hours recorded counts under not_tracked."""
    running = shown[delivered_now(shown)]
    if running.empty:
        return pd.DataFrame(columns=["role", "label", "hours_week", "interventions", "not_tracked"])
    g = running.groupby("role", sort=False).agg(hours_week=("hours_week", lambda s: s.sum(min_count=1)),
                                                 interventions=("provision_id", "size"),
                                                 not_tracked=("hours_week", lambda s: int(s.isna().sum())))
    order = {r: k for k, r in enumerate([*STAFF_ROLES, NO_ROLE])}
    g = g.reset_index().assign(label=lambda d: d["role"].map(role_label))
    g = g.assign(_o=g["role"].map(order).fillna(99)).sort_values("_o").drop(columns="_o")
    return g[["role", "label", "hours_week", "interventions", "not_tracked"]].reset_index(drop=True)


def totals(data: Provision, filters: Filters = Filters()) -> dict:
    """The map's headline figures over the interventions the filters keep, each counted once:
    spend (£ this school year of the interventions running in it, where costed; None when none is costed), costed and
    not_costed (how many interventions), hours_week (staff hours a week now, where recorded), hours_by_role,
    interventions_now (delivered now: running, with pupils on them), pupils_now (distinct pupils on roll with a current place on them), register
    (pupils on the SEN register, in the chosen year groups), register_with_provision (of those, with a place now)."""
    shown = interventions(data, filters)
    year = shown[shown["in_year"].astype(bool)]
    costed = year["cost_year"].notna()
    now = _places_now(data, shown, filters)
    p = data.pupils
    register = p[p["on_register"].astype(bool).to_numpy()]
    if filters.years:
        register = register[register["year_group"].isin(filters.years).to_numpy()]
    register = register[["setting", "pupil_id"]].drop_duplicates()
    now_keys = now[["setting", "pupil_id"]].drop_duplicates()
    roles = hours_by_role(shown)
    return {
        "interventions": int(len(shown)),
        "interventions_now": int(delivered_now(shown).sum()),
        "spend": float(year.loc[costed, "cost_year"].sum()) if costed.any() else None,
        "costed": int(costed.sum()),
        "not_costed": int((~costed).sum()),
        "hours_week": float(roles["hours_week"].sum(min_count=1)) if roles["hours_week"].notna().any() else None,
        "hours_by_role": roles,
        "pupils_now": len(now_keys),
        "register": len(register),
        "register_with_provision": len(register.merge(now_keys, on=["setting", "pupil_id"])),
    }


# ------------------------------------------------------------------------------------------------------ pupils listed

PLACE_COLUMNS: dict[str, str] = {
    "pupil": "Pupil", "year": "Year group", "status": "SEN status", "need": "Primary need", "start": "From",
    "end": "To", "share": "Share of cost this school year", "entry": "Entry", "exit": "Exit", "gain": "Gain",
    "attendance": "Attendance",
}


def pupils_on(data: Provision, setting: str, provision_id: str) -> pd.DataFrame:
    """The pupils on one intervention this school year (current first), headed by PLACE_COLUMNS, with `key` (for
    the Pupil page's link) and `current`."""
    p = data.pupils
    rows = p[(p["setting"] == setting) & (p["provision_id"] == provision_id)]
    rows = rows.sort_values(["current", "last_name", "first_name"], ascending=[False, True, True], kind="stable")
    out = pd.DataFrame({
        "pupil": [full_name(f, la, last_first=True) for f, la in zip(rows["first_name"], rows["last_name"], strict=True)],
        "year": rows["year_group"].map(lambda y: NOT_RECORDED if pd.isna(y) else year_group_label(y)),
        "status": rows["sen_status"].map(lambda s: SEN_STATUS.get(s, NOT_RECORDED) if pd.notna(s) else NOT_RECORDED),
        "need": rows["primary_need"].map(lambda n: NEEDS.get(n, n) if pd.notna(n) else NOT_RECORDED),
        "start": rows["start_date"].map(_day), "end": rows["end_date"].map(lambda d: _day(d) or "Ongoing"),
        "share": rows["share_year"].map(money),
        "entry": rows["entry_score"].map(_score), "exit": rows["exit_score"].map(_score),
        "gain": rows["gain"].map(_score),
        "attendance": rows["attendance"].map(lambda a: "" if pd.isna(a) else f"{float(a):.0%}"),
    })
    return out.assign(key=[pupil_key(s, i) for s, i in zip(rows["setting"], rows["pupil_id"], strict=True)],
                      current=rows["current"].astype(bool).to_numpy()).reset_index(drop=True)


# ------------------------------------------------------------------------------------------------------------ impact

def pupil_costs(data: Provision) -> pd.DataFrame:
    """Per pupil with provision this school year (as rules.provision.pupils counts it: the sum of the pupil's shares of
    the places this school year): setting, pupil_id, first_name, last_name, year_group, sen_status, primary_need,
    cost_year (NaN: none priced), complete (every share priced), places."""
    p = data.pupils
    p = p[(p["provision_id"].notna() & (p["days_this_year"].fillna(0) > 0)).to_numpy()]
    g = p.groupby(["setting", "pupil_id"], sort=False).agg(
        first_name=("first_name", "first"), last_name=("last_name", "first"), year_group=("year_group", "first"),
        sen_status=("sen_status", "first"), primary_need=("primary_need", "first"),
        cost_year=("share_year", "sum"), priced=("share_year", "count"), places=("provision_id", "size")).reset_index()
    g["cost_year"] = g["cost_year"].where(g["priced"] > 0).astype(float)
    g["complete"] = (g["priced"] == g["places"]).astype(bool)
    g["places"] = g["places"].astype(int)
    return g.drop(columns=["priced"])


def cost_by(data: Provision, dimension: str) -> pd.DataFrame:
    """Cost per pupil this school year by 'need' (primary need) or 'year' (year group), in reading order: label,
    pupils (with provision this year), costed (with a cost), cost (£, the costed pupils' shares), per_pupil (£ mean
    over the costed pupils), incomplete (pupils with a share not tracked)."""
    costs = pupil_costs(data)
    col = {"need": "primary_need", "year": "year_group"}[dimension]
    columns = ["label", "pupils", "costed", "cost", "per_pupil", "incomplete"]
    if costs.empty:
        return pd.DataFrame(columns=columns)
    costs = costs.assign(_k=costs[col].astype(object).where(costs[col].notna(), None),
                         _incomplete=~costs["complete"].astype(bool))
    g = costs.groupby("_k", dropna=False, sort=False).agg(
        pupils=("pupil_id", "size"), costed=("cost_year", "count"), cost=("cost_year", "sum"),
        incomplete=("_incomplete", "sum")).reset_index()
    g["cost"] = g["cost"].where(g["costed"] > 0)
    g["per_pupil"] = g["cost"] / g["costed"].where(g["costed"] > 0)
    if dimension == "need":
        g["label"] = g["_k"].map(lambda n: NOT_RECORDED if n is None or pd.isna(n) else NEEDS.get(n, n))
        g = g.sort_values(["per_pupil", "label"], ascending=[False, True], na_position="last")
    else:
        ranks = {y: k for k, y in enumerate(YEAR_GROUPS)}
        g["label"] = g["_k"].map(lambda y: NOT_RECORDED if y is None or pd.isna(y) else year_group_label(y))
        g = g.assign(_o=g["_k"].map(lambda y: ranks.get(y, 99))).sort_values("_o")
    return g[columns].reset_index(drop=True)


def _reasons(shown: pd.DataFrame) -> list[tuple[str, pd.Series]]:
    """Why an intervention cannot be placed on the cost-against-impact chart, the most basic first."""
    return [("no cost recorded", shown["cost_year"].isna()),
            ("no gain expected", ~(shown["expected_gain"].fillna(0) > 0)),
            ("no pupil this school year", shown["pupils_year"].fillna(0) == 0),
            ("no pupil scored yet", shown["median_gain"].isna())]


def _unplaced(shown: pd.DataFrame) -> pd.Series:
    """Why the cost-against-impact chart cannot place each intervention ('' when it can), the first reason that
    applies."""
    why = pd.Series("", index=shown.index, dtype=object)
    for reason, miss in _reasons(shown):
        why = why.where(~(miss.to_numpy() & (why == "").to_numpy()), reason)
    return why


def impact_points(data: Provision, filters: Filters = Filters()) -> pd.DataFrame:
    """Cost against impact, one row per intervention that can be placed (pupils on it this school year, pupils scored,
    a gain expected, a cost recorded): setting, provision_id, name, cost_year, cost_per_pupil, median_gain,
    expected_gain, ratio (median ÷ expected: 1 = as expected), pupils (this school year: the bubble's size),
    pupils_scored, meets."""
    shown = interventions(data, filters)
    pts = shown[(_unplaced(shown) == "").to_numpy()]
    return pd.DataFrame({
        "setting": pts["setting"], "provision_id": pts["provision_id"], "name": pts["name"],
        "cost_year": pts["cost_year"].astype(float), "cost_per_pupil": pts["cost_per_pupil"].astype(float),
        "median_gain": pts["median_gain"].astype(float), "expected_gain": pts["expected_gain"].astype(float),
        "ratio": (pts["median_gain"] / pts["expected_gain"]).astype(float),
        "pupils": pts["pupils_year"].astype(int), "pupils_scored": pts["pupils_scored"].astype(int),
        "meets": pts["meets"]}).reset_index(drop=True)


def not_placed(data: Provision, filters: Filters = Filters()) -> dict[str, int]:
    """How many interventions the cost-against-impact chart cannot place, by the first reason that applies."""
    why = _unplaced(interventions(data, filters))
    return {r: int((why == r).sum()) for r, _ in _reasons(interventions(data, filters)) if (why == r).any()}


def low_impact(data: Provision, filters: Filters = Filters()) -> pd.DataFrame:
    """The interventions flagged by provision_low_impact: headed Setting (several settings only), Intervention, Cost a
    year, Why (the rule's sentence: the pupils scored, their median gain and the gain expected)."""
    shown = interventions(data, filters)
    flagged = shown[shown["low_impact"].astype(bool).to_numpy()]
    out = pd.DataFrame({"Setting": flagged["setting"], "Intervention": flagged["name"],
                        "Cost a year": flagged["cost_text"], "Why": flagged["flag"]})
    if shown["setting"].nunique() <= 1:
        out = out.drop(columns=["Setting"])
    return out.reset_index(drop=True)


X_AXES = {"cost_per_pupil": "Cost per pupil this school year (£)", "cost_year": "Cost a year (£)"}


def figures(data: Provision, filters: Filters = Filters(), *, x: str = "cost_per_pupil") -> dict[str, dict | None]:
    """The Impact page's charts as specs (None where there is nothing to draw: the page says so in words):
    'impact' (cost against impact, bubbles sized by pupils), 'need' and 'year' (cost per pupil), 'roles' (staff
    hours a week)."""
    from senlib.render import charts, provision_charts

    out: dict[str, dict | None] = {"impact": None, "need": None, "year": None, "roles": None}
    pts = impact_points(data, filters)
    if len(pts):
        out["impact"] = charts.to_spec(provision_charts.cost_impact(pts, x=x, x_title=X_AXES[x]))
    for dim, title, axis in (("need", "Cost per pupil this school year by primary need", "Primary need"),
                             ("year", "Cost per pupil this school year by year group", "Year group")):
        by = cost_by(data, dim).dropna(subset=["per_pupil"])
        if len(by):
            fig = charts.bar(by, x="label" if dim == "year" else "per_pupil", y="per_pupil" if dim == "year" else "label",
                             orientation="v" if dim == "year" else "h", order=list(by["label"]), text=False,
                             title=title, x_title=axis if dim == "year" else "£ per pupil (mean)",
                             y_title="£ per pupil (mean)" if dim == "year" else axis,
                             height=None if dim == "year" else 160 + 34 * len(by))
            out[dim] = charts.to_spec(provision_charts.money_axis(fig, "y" if dim == "year" else "x"))
    roles = hours_by_role(interventions(data, filters)).dropna(subset=["hours_week"])
    if len(roles):
        fig = charts.bar(roles.assign(hours_week=roles["hours_week"].round(2)), x="hours_week", y="label",
                         orientation="h", order=list(roles["label"]), title="Staff hours a week by role",
                         x_title="Hours a week", y_title="Delivered by", height=160 + 34 * len(roles))
        out["roles"] = charts.to_spec(charts.readable_text(fig))
    return out


# ------------------------------------------------------------------------------------------------------- the workbook

def workbook_frames(data: Provision, filters: Filters = Filters()) -> dict[str, pd.DataFrame]:
    """The costed provision map as the Excel download holds it (typed values: money in £ rounded to the penny, "Not
    tracked" where no cost is recorded, never 0): 'Provision map' (every intervention the filters keep, its hours,
    weekly and yearly cost, pupils, cost per pupil, impact; a totals row), 'Pupils' places' (each place this school
    year with its share), 'Pupils' costs' (each pupil's total this school year), 'Staff hours' (by role)."""
    shown = interventions(data, filters)

    def pounds(s: pd.Series) -> list:
        return [NOT_TRACKED if pd.isna(v) else round(float(v) + 0.0, 2) for v in s]

    weekly = shown["cost_year"] / shown["weeks"].where(shown["weeks"] > 0)
    one_setting = shown["setting"].nunique() <= 1
    imap = pd.DataFrame({
        "Setting": shown["setting"], "Intervention": shown["name"], "Areas of need": shown["areas_text"],
        "Kind": shown["kind_text"], "Delivered by": shown["role_text"], "Group size": shown["group_size"],
        "Sessions a week": shown["sessions_per_week"], "Minutes a session": shown["minutes_per_session"],
        "Hours a week": [NOT_TRACKED if pd.isna(h) else round(float(h), 2) for h in shown["hours_week"]],
        "Weeks a year": shown["weeks"], "Hourly cost (£)": pounds(shown["hourly"]),
        "Weekly cost (£)": pounds(weekly), "Fixed costs a year (£)": [None if pd.isna(v) else round(float(v), 2)
                                                                      for v in shown["fixed_cost"]],
        "Cost a year (£)": pounds(shown["cost_year"]), "Pupils now": shown["pupils_now"].astype(int),
        "Pupils this school year": shown["pupils_year"].astype(int),
        "Cost per pupil (£)": pounds(shown["cost_per_pupil"].where(shown["cost_year"].notna())),
        "Measure": shown["measure_text"], "Mean entry": shown["mean_entry"], "Mean exit": shown["mean_exit"],
        "Median gain": shown["median_gain"], "Expected gain": shown["expected_gain"],
        "Meets expected?": shown["meets"], "Attendance": shown["attendance"], "Flag": shown["flag"],
        "Running now": shown["running"].map(lambda b: "Yes" if b else "No"),
    })
    year = shown["in_year"].astype(bool) & shown["cost_year"].notna()
    total = {c: None for c in imap.columns}
    total |= {"Intervention": f"Total: spend this school year where costed ({int(year.sum())} of "
              f"{int(shown['in_year'].astype(bool).sum())} interventions this school year costed)",
              "Cost a year (£)": round(float(shown.loc[year, "cost_year"].sum()), 2) if year.any() else NOT_TRACKED}
    imap = pd.concat([imap, pd.DataFrame([total])], ignore_index=True)
    p = data.pupils[data.pupils["provision_id"].notna().to_numpy()]
    p = p.merge(shown[["setting", "provision_id"]], on=["setting", "provision_id"])
    p = p.sort_values(["setting", "last_name", "first_name", "pupil_id", "start_date", "provision_id"], kind="stable")
    names = dict(zip(zip(shown["setting"], shown["provision_id"], strict=True), shown["name"], strict=True))
    places = pd.DataFrame({
        "Setting": p["setting"],
        "Pupil": [full_name(f, la, last_first=True) for f, la in zip(p["first_name"], p["last_name"], strict=True)],
        "Pupil ID": p["pupil_id"], "Year group": p["year_group"].map(
            lambda y: NOT_RECORDED if pd.isna(y) else year_group_label(y)),
        "Primary need": p["primary_need"].map(lambda n: NEEDS.get(n, n) if pd.notna(n) else NOT_RECORDED),
        "Intervention": [names[k] for k in zip(p["setting"], p["provision_id"], strict=True)],
        "From": p["start_date"], "To": p["end_date"], "Current": p["current"].map(lambda b: "Yes" if b else "No"),
        "Days this school year": p["days_this_year"],
        "Share of cost this school year (£)": pounds(p["share_year"]),
        "Entry": p["entry_score"], "Exit": p["exit_score"], "Gain": p["gain"], "Attendance": p["attendance"],
    })
    per = pupil_costs(Provision(data.as_of, shown, p))
    costs = pd.DataFrame({
        "Setting": per["setting"],
        "Pupil": [full_name(f, la, last_first=True) for f, la in zip(per["first_name"], per["last_name"], strict=True)],
        "Pupil ID": per["pupil_id"],
        "Year group": per["year_group"].map(lambda y: NOT_RECORDED if pd.isna(y) else year_group_label(y)),
        "SEN status": per["sen_status"].map(lambda s: SEN_STATUS.get(s, NOT_RECORDED) if pd.notna(s) else NOT_RECORDED),
        "Primary need": per["primary_need"].map(lambda n: NEEDS.get(n, n) if pd.notna(n) else NOT_RECORDED),
        "Interventions this school year": per["places"], "Cost this school year (£)": pounds(per["cost_year"]),
        "Every share costed": per["complete"].map(lambda b: "Yes" if b else "No: a share is not tracked"),
    })
    roles = hours_by_role(shown)
    staff = pd.DataFrame({"Delivered by": roles["label"],
                          "Hours a week": [NOT_TRACKED if pd.isna(h) else round(float(h), 2) for h in roles["hours_week"]],
                          "Interventions running": roles["interventions"],
                          "Of which hours not tracked": roles["not_tracked"]})
    frames = {"Provision map": imap, "Pupils' places": places, "Pupils' costs": costs, "Staff hours": staff}
    if one_setting:
        frames = {k: v.drop(columns=["Setting"], errors="ignore") for k, v in frames.items()}
    return frames


def workbook(data: Provision, filters: Filters = Filters()) -> bytes:
    """The costed provision map as an .xlsx file (senlib.render.exports.provision_map_xlsx)."""
    from senlib.render import exports

    return exports.provision_map_xlsx(workbook_frames(data, filters))


# ------------------------------------------------------------------------------------------------------------ flags

FLAG_COLUMNS: dict[str, str] = {"pupil": "Pupil", "setting": "Setting", "year": "Year group", "intervention": "Intervention",
                                "rule": "Rule", "reason": "Why"}


def flag_list(data: Provision, filters: Filters = Filters()) -> pd.DataFrame:
    """Every provision flag raised on the as-of date, for the SENCo to act on, in policy order: the pupils over the
    notional SEN budget's threshold, on the register with nothing running, whose place ended without an exit score or
    who attend too little, and the interventions of low impact. Columns: key (a pupil's, for the Open button; None for
    an intervention), pupil (name; '' for an intervention), setting, year, intervention, rule (title), rule_id,
    reason (the rule's sentence). Narrowed by the filters: an intervention's flag by its area and role, a pupil's by
    their year group (and, for a place, its intervention)."""
    from senlib.rules.policy import default_policy

    f = data.flags
    cols = ["key", *FLAG_COLUMNS, "rule_id"]
    if f is None or f.empty:
        return pd.DataFrame(columns=cols)
    titles = {r: rule.title for r, rule in default_policy().rules.items()}
    kept = interventions(data, filters)[["setting", "provision_id", "name"]]
    f = f.assign(pupil_id=f["pupil_id"].where(f["pupil_id"].notna(), None),
                 provision_id=f["provision_id"].where(f["provision_id"].notna(), None))
    # an intervention's flag or a place's: only for the interventions the filters keep (a pupil's own flag stays)
    f = f.merge(kept, on=["setting", "provision_id"], how="left")
    f = f[f["provision_id"].isna() | f["name"].notna()]
    people = data.pupils.drop_duplicates(["setting", "pupil_id"])[["setting", "pupil_id", "first_name", "last_name",
                                                                   "year_group"]]
    f = f.merge(people, on=["setting", "pupil_id"], how="left")
    if filters.years:
        f = f[f["pupil_id"].notna() & f["year_group"].isin(filters.years)]
    is_pupil = f["pupil_id"].notna()
    ids = [pid if isinstance(pid, str) else None for pid in f["pupil_id"]]
    names = [full_name(a, b, last_first=True) if isinstance(a, str) or isinstance(b, str) else (pid or "")
             for a, b, pid in zip(f["first_name"], f["last_name"], ids, strict=True)]
    out = pd.DataFrame({
        "key": [pupil_key(s_, pid) if pid else None for s_, pid in zip(f["setting"], ids, strict=True)],
        "pupil": [n if p_ else "" for n, p_ in zip(names, is_pupil, strict=True)],
        "setting": f["setting"].to_numpy(),
        "year": [year_label(y) if isinstance(y, str) else "" for y in f["year_group"]],
        "intervention": f["name"].fillna("").to_numpy(),
        "rule": f["rule_id"].map(titles).to_numpy(), "reason": f["reason"].to_numpy(),
        "rule_id": f["rule_id"].to_numpy()})
    return out[cols].reset_index(drop=True)
