"""Outcome progress for senior leaders: how far outcomes have moved, by area, year, plan and need.

Per outcome, on an as-of date: latest score minus baseline (change) and the share of the
way from baseline to target. The per-outcome figures, stalled outcomes (the `stalled_outcome`
rule, DESIGN §3) and each pupil's main plan come from the rules engine
(`senlib.rules.outcome_progress`), so each is defined in one place.

"On track" is a reporting measure, not a rule: an outcome is on track when its target is
reached, or when it has not stalled and the share of the way to target is at least the share
of the time from the outcome's start to its target date that has passed.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from senlib import rules
from senlib.access import Viewer
from senlib.core.names import AREAS, NEEDS, NOT_RECORDED, PLAN_TYPES, YEAR_GROUPS, not_recorded, year_group_label
from senlib.views.pupil import full_name, link, pupil_key, scope_settings

# The dimensions leaders break progress down by: column, label, order of categories (None: by size).
DIMENSIONS: dict[str, tuple[str, str]] = {
    "area_label": ("Area of need", "area"),
    "year_label": ("Year group", "year"),
    "plan_label": ("Plan type", "plan"),
    "need_label": ("Primary need", "need"),
}

PER_OUTCOME_COLUMNS = ["setting", "pupil_id", "outcome_id", "area", "description", "baseline", "target",
                       "scale_min", "scale_max", "start_date", "target_date", "latest", "latest_date", "previous",
                       "scores", "change", "share", "reached", "stalled"]


# The rules engine's column names, as this module (and the Progress page) call them.
RULES_COLUMNS: dict[str, str] = {"latest_score": "latest", "latest_score_date": "latest_date",
                                 "previous_score": "previous", "share_to_target": "share", "n_scores": "scores"}
DIMENSION_COLUMNS = ["first_name", "last_name", "year_group", "primary_need", "sen_status", "plan_type"]


def outcome_progress(cur: duckdb.DuckDBPyConnection, as_of: date, *, settings: list[str] | None = None,
                     viewer: Viewer) -> pd.DataFrame:
    """Per outcome progress on `as_of`, with the pupil's year group, need, current plan and 'on track'.

    Columns: PER_OUTCOME_COLUMNS plus first_name, last_name, year_group, primary_need, sen_status,
    plan_type (the pupil's main plan, as the rules define it), on_track (NA where there is no score yet),
    expected_share, and labels area_label, year_label, plan_label, need_label.
    """
    settings = scope_settings(viewer, settings)  # pupil-level rows: staff only, their settings only
    df = rules.outcome_progress(cur, as_of, settings=settings, viewer=viewer).rename(columns=RULES_COLUMNS)
    df = df[PER_OUTCOME_COLUMNS + DIMENSION_COLUMNS].copy()
    ts = pd.Timestamp(as_of)
    start = pd.to_datetime(df["start_date"])
    target_date = pd.to_datetime(df["target_date"])
    span_days = (target_date - start).dt.days
    elapsed = ((ts - start).dt.days / span_days).where(span_days > 0)
    df["expected_share"] = elapsed.clip(0, 1)
    reached = df["reached"].astype("boolean").fillna(False)
    df["stalled"] = df["stalled"].astype("boolean").fillna(False).astype(bool)
    on_track = reached | ((df["share"] >= df["expected_share"].fillna(1.0)) & ~df["stalled"])
    df["on_track"] = on_track.astype("boolean").where(df["latest"].notna())
    df["area_label"] = df["area"].map(AREAS).fillna(df["area"]).fillna(not_recorded("Area"))
    df["year_label"] = df["year_group"].map(year_group_label).where(df["year_group"].notna(), NOT_RECORDED)
    df["plan_label"] = df["plan_type"].map(PLAN_TYPES).fillna("No current plan")
    df["need_label"] = df["primary_need"].map(NEEDS).fillna(df["primary_need"]).fillna(NOT_RECORDED)
    return df


def headline(df: pd.DataFrame) -> dict[str, float | int]:
    """The figures at the top of the page: outcomes, pupils, share on track, mean change, stalled."""
    scored = df[df["latest"].notna()]
    stalled = df[df["stalled"]]
    return {
        "outcomes": int(len(df)),
        "pupils": int(df[["setting", "pupil_id"]].drop_duplicates().shape[0]),
        "scored": int(len(scored)),
        "on_track_share": float(scored["on_track"].astype(float).mean()) if len(scored) else float("nan"),
        "mean_change": float(scored["change"].mean()) if len(scored) else float("nan"),
        "median_share": float(scored["share"].median()) if scored["share"].notna().any() else float("nan"),
        "stalled_outcomes": int(len(stalled)),
        "stalled_pupils": int(stalled[["setting", "pupil_id"]].drop_duplicates().shape[0]),
    }


def summary_by(df: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """Progress by one dimension (a key of DIMENSIONS): outcomes, pupils, mean change, median share of
    the way to target, share on track, stalled outcomes; categories in their natural order."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    if df.empty:
        return pd.DataFrame(columns=[dimension, "outcomes", "pupils", "mean_change", "median_share", "on_track_share",
                                     "stalled"])
    work = df.assign(_pupil=df["setting"] + "\x1f" + df["pupil_id"], _on=df["on_track"].astype(float))
    out = work.groupby(dimension, observed=True, dropna=False).agg(
        outcomes=("outcome_id", "size"),
        pupils=("_pupil", "nunique"),
        mean_change=("change", "mean"),
        median_share=("share", "median"),
        on_track_share=("_on", "mean"),
        stalled=("stalled", "sum"),
    ).reset_index()
    return out.iloc[_order(out[dimension], dimension)].reset_index(drop=True)


def _order(values: pd.Series, dimension: str) -> list[int]:
    """Positions of `values` in reading order for the dimension."""
    if dimension == "area_label":
        ranks = {label: i for i, label in enumerate(AREAS.values())}
    elif dimension == "year_label":
        ranks = {year_group_label(y): i for i, y in enumerate(YEAR_GROUPS)}
    elif dimension == "plan_label":
        ranks = {label: i for i, label in enumerate(PLAN_TYPES.values())}
    else:
        ranks = {label: i for i, label in enumerate(sorted(values.astype(str)))}
    return sorted(range(len(values)), key=lambda i: (ranks.get(values.iloc[i], 999), str(values.iloc[i])))


def stalled_pupils(df: pd.DataFrame) -> pd.DataFrame:
    """Pupils with at least one stalled outcome, most stalled first, with a link to each pupil's page."""
    stalled = df[df["stalled"]]
    if stalled.empty:
        return pd.DataFrame(columns=["pupil", "setting", "pupil_id", "year", "need", "plan", "stalled", "outcomes",
                                     "stalled_areas", "last_scored", "key", "link"])
    totals = df.groupby(["setting", "pupil_id"]).size().rename("outcomes")
    grouped = stalled.groupby(["setting", "pupil_id"], as_index=False).agg(
        first_name=("first_name", "first"), last_name=("last_name", "first"), year=("year_label", "first"),
        need=("need_label", "first"), plan=("plan_label", "first"), stalled=("outcome_id", "size"),
        stalled_areas=("area_label", lambda s: "; ".join(sorted(set(s)))), last_scored=("latest_date", "max"),
    )
    grouped = grouped.merge(totals.reset_index(), on=["setting", "pupil_id"])
    grouped["pupil"] = [full_name(f, la, last_first=True) for f, la in zip(grouped["first_name"], grouped["last_name"], strict=True)]
    grouped["key"] = [pupil_key(s, p) for s, p in zip(grouped["setting"], grouped["pupil_id"], strict=True)]
    grouped["link"] = [link(s, p) for s, p in zip(grouped["setting"], grouped["pupil_id"], strict=True)]
    grouped = grouped.sort_values(["stalled", "pupil"], ascending=[False, True])
    return grouped[["pupil", "setting", "pupil_id", "year", "need", "plan", "stalled", "outcomes", "stalled_areas",
                    "last_scored", "key", "link"]].reset_index(drop=True)


# ------------------------------------------------------------------------------------------ charts

# The measures a leader reads per category, one chart each (a share on track and a median share of the way are
# different questions: one axis for both invited reading one as the other): column, chart title, axis title.
MEASURES: dict[str, tuple[str, str, bool]] = {
    "on_track_share": ("Outcomes on track", "Share of outcomes on track", True),
    "median_share": ("Median share of the way to target", "Median share of the way to target", True),
    "mean_change": ("Mean change since baseline", "Scale points", False),
}


def figures(dimension: str, summary: pd.DataFrame) -> dict[str, dict | None]:
    """The Progress page's charts for one dimension (a key of DIMENSIONS): one spec per MEASURES key, or None for a
    measure no category has a value for (no outcome scored yet), which the page says in words instead."""
    from senlib.render import charts

    label = DIMENSIONS[dimension][0]
    out: dict[str, dict | None] = {}
    for measure, (title, axis, percent) in MEASURES.items():
        data = summary[summary[measure].notna()] if len(summary) else summary
        if data.empty:
            out[measure] = None
            continue
        fig = charts.bar(data, x=measure, y=dimension, orientation="h", percent=percent, order=list(data[dimension]),
                         title=f"{title} by {label.lower()}", x_title=axis, y_title=label,
                         height=150 + 36 * len(data))
        charts.readable_text(fig)
        # Each label beside its bar, level: inside a short bar Plotly turned '10%' on its side, and left 0% unlabelled.
        fig.update_traces(textposition="outside", textangle=0, cliponaxis=False)
        values = data[measure].astype(float)
        if percent:
            fig.update_xaxes(range=[0, 1.15])
        else:
            lo, hi = min(0.0, float(values.min())), max(0.0, float(values.max()))
            span = (hi - lo) or 1.0
            fig.update_xaxes(range=[lo - (0.18 * span if lo < 0 else 0), hi + 0.18 * span])
        out[measure] = charts.to_spec(fig)
    return out
