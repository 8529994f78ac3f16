"""The SEN register as a SENCo works it: one row per pupil with review status, filters, search, counts, export.

Why a module: the Caseload page, its Excel export and the tests need the same rows, the same
filter meanings (what "not recorded" matches, what "on the register" means) and the same
column headings. Everything starts from the rules engine's `pupil_status`, so the status,
due date and flags shown here are exactly the ones the Pupil page explains.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from senlib.access import Viewer
from senlib.core.names import NEEDS, NOT_RECORDED, PLAN_TYPES, REVIEW_STATUS, SEN_STATUS, YEAR_INDEX, year_group_label
from senlib.render.charts import STATUS_ORDER, status_word
from senlib.rules import default_policy, pupil_status
from senlib.views.pupil import KEY_SEP

# What a missing value is called in a filter, so "no key worker recorded" can be chosen too.
FILTER_NOT_RECORDED = f"({NOT_RECORDED.lower()})"  # "(not recorded)"


@dataclass(frozen=True)
class Filter:
    """A filter of the register: the column it looks at, its label, and how an option reads."""

    column: str
    label: str
    describe: Callable[[str], str] = str
    order: Callable[[str], object] | None = None  # sort key of the options (None: alphabetical)


def _rule_title(rule_id: str) -> str:
    rule = default_policy().rules.get(rule_id)
    return rule.title if rule else rule_id


def _natural(text: str) -> tuple:
    """Sort key that puts '2A' before '10A' (classes are often named by year group)."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part.casefold()) for part in re.split(r"(\d+)", text) if part)


def _describe_need(code: str) -> str:
    return f"{code}: {NEEDS[code]}" if code in NEEDS else code


# The filters of the Caseload page, in the order they appear. (Settings are chosen in the sidebar: they
# limit what is evaluated, as a trust user's access will.)
FILTERS: dict[str, Filter] = {f.column: f for f in (
    Filter("year_group", "Year group", lambda c: c if c == FILTER_NOT_RECORDED else year_group_label(c),
           lambda c: YEAR_INDEX.get(c, 99)),
    Filter("class", "Class", order=_natural),
    Filter("primary_need", "Primary need", _describe_need),
    Filter("plan_type", "Plan type", lambda c: PLAN_TYPES.get(c, c), lambda c: list(PLAN_TYPES).index(c) if c in PLAN_TYPES else 99),
    Filter("status", "Review status", lambda c: REVIEW_STATUS.get(c, c), lambda c: STATUS_ORDER.index(c) if c in STATUS_ORDER else 99),
    Filter("flags", "Flag", _rule_title, lambda c: list(default_policy().rules).index(c) if c in default_policy().rules else 999),
    Filter("key_worker", "Key worker"),
    Filter("local_authority", "Local authority"),
)}

# The table a SENCo reads and exports: column -> heading, in order.
COLUMNS: dict[str, str] = {
    "pupil": "Pupil",
    "pupil_id": "Pupil ID",
    "setting": "Setting",
    "year": "Year group",
    "class": "Class",
    "sen": "SEN status",
    "primary_need": "Primary need",
    "plan": "Plan",
    "status_word": "Review status",
    "due_date": "Review due by",
    "days_overdue": "Days overdue",
    "next_review": "Next review",
    "key_worker": "Key worker",
    "local_authority": "Local authority",
    "flag_titles": "Flags",
    "status_reason": "Why",
}


# The columns of `pupil_status` the register uses (the rest stay out of the sort and the cache).
INPUT_COLUMNS = ["setting", "pupil_id", "first_name", "last_name", "year_group", "class", "key_worker", "sen_status",
                 "primary_need", "plan_type", "local_authority", "status", "days_overdue", "status_reason", "due_date",
                 "next_review", "flags", "has_left"]


def on_register(status: pd.DataFrame) -> pd.Series:
    """Who counts as on the SEN register: on roll, and SEN Support (K) or EHC plan (E) or any plan in force."""
    left = status["has_left"].astype("boolean").fillna(False)
    return ~left & (status["sen_status"].isin(["K", "E"]) | status["plan_type"].notna())


def _arrow_lists(series: pd.Series) -> pa.Array:
    """A column of lists of text as one Arrow list array (the engine's columns already are; hand-made ones are converted)."""
    if isinstance(series.dtype, pd.ArrowDtype):
        arr = pa.array(series.array)
        return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    values = [list(v) if isinstance(v, (list, tuple, np.ndarray)) else None for v in series.tolist()]
    return pa.array(values, type=pa.list_(pa.string()))


def flat_lists(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Every item of a column of lists, with the position of the row it came from (Arrow does it without a Python loop)."""
    arr = _arrow_lists(series)
    return (pc.list_flatten(arr).to_numpy(zero_copy_only=False),
            pc.list_parent_indices(arr).to_numpy(zero_copy_only=False).astype(np.int64))


def flag_lists(series: pd.Series) -> pd.Series:
    """A column of lists (the engine's Arrow lists, or Python lists) as plain Python lists, [] where missing.
    (Not every reader of a table understands Arrow list columns; plain lists also pickle and compare simply.)
    Most pupils have no flag, so only the few items are walked in Python."""
    items, rows = flat_lists(series)
    out: list[list[str]] = [[] for _ in range(len(series))]
    for row, item in zip(rows.tolist(), items.tolist(), strict=True):
        out[row].append(item)
    return pd.Series(out, index=series.index, dtype=object)


def keys(setting: pd.Series, pupil_id: pd.Series) -> pd.Series:
    """Pupil keys 'SETTING|ID' (senlib.views.pupil.pupil_key), a whole column at once."""
    # Plain Python strings (object dtype): looked up and matched (isin, map) many times, faster than Arrow strings.
    return (setting.astype(str) + KEY_SEP + pupil_id.astype(str)).astype(object)


def names(first: pd.Series, last: pd.Series) -> pd.Series:
    """'Last, First' for a whole column (senlib.views.pupil.full_name(last_first=True)), without a Python loop per pupil."""
    f = first.astype(object).where(first.notna(), "").astype(str).str.strip()
    la = last.astype(object).where(last.notna(), "").astype(str).str.strip()
    both = (f != "") & (la != "")
    out = pd.Series(np.where(both, la + ", " + f, (f + " " + la).str.strip()), index=first.index, dtype=object)
    return out.where(out != "", "(no name recorded)")


def build(status: pd.DataFrame) -> pd.DataFrame:
    """The register frame from a `pupil_status` frame: its codes (for filtering) plus labels (for reading).

    Adds key ('SETTING|ID', the Pupil page's query value), pupil ("Last, First"), year, sen, plan, status_word,
    flags (a plain list of rule ids), flag_titles and on_register; sorted overdue first, then by due date.
    Vectorised: 100,000 pupils take well under a second. The input is not changed (it may be a shared cached frame).
    """
    df = status[[c for c in INPUT_COLUMNS if c in status.columns]].copy()
    df["key"] = keys(df["setting"], df["pupil_id"])
    df["pupil"] = names(df["first_name"], df["last_name"])
    years = {y: year_group_label(y) for y in df["year_group"].dropna().unique()}
    df["year"] = df["year_group"].map(years).fillna(NOT_RECORDED)
    df["sen"] = df["sen_status"].map(SEN_STATUS).fillna(NOT_RECORDED)
    df["plan"] = df["plan_type"].map(PLAN_TYPES).fillna("No plan")
    df["status_word"] = df["status"].map({s: status_word(s) for s in REVIEW_STATUS}).fillna(status_word(None))
    df["days_overdue"] = df["days_overdue"].where(df["status"] == "overdue")  # a 0 beside every on-time pupil is noise
    df["flags"] = flag_lists(df["flags"])
    titles = {rid: rule.title for rid, rule in default_policy().rules.items()}
    df["flag_titles"] = ["; ".join(titles.get(f, f) for f in fl) if fl else "" for fl in df["flags"]]
    df["on_register"] = on_register(df)
    df["_order"] = df["status"].map({s: i for i, s in enumerate(STATUS_ORDER)}).fillna(len(STATUS_ORDER))
    df = df.sort_values(["_order", "due_date", "last_name", "first_name", "setting", "pupil_id"],
                        na_position="last", kind="stable").drop(columns="_order")
    return df.reset_index(drop=True)


def load(cur: duckdb.DuckDBPyConnection, as_of: date, settings: Sequence[str] | None = None, *,
         viewer: Viewer) -> pd.DataFrame:
    """The register on `as_of` straight from the database (the page caches the rules' frame and calls `build`)."""
    return build(pupil_status(cur, as_of, settings=settings, viewer=viewer))


def options(df: pd.DataFrame) -> dict[str, list[str]]:
    """The values each filter can take in this frame, in a sensible order; FILTER_NOT_RECORDED last where values are missing."""
    out: dict[str, list[str]] = {}
    for col, spec in FILTERS.items():
        if col == "flags":
            values = sorted({f for fl in df["flags"] for f in fl}, key=spec.order)
            out[col] = values
            continue
        series = df[col]
        values = [str(v) for v in series.dropna().unique()]
        values = sorted(values, key=spec.order) if spec.order else sorted(values, key=str.casefold)
        if series.isna().any():
            values.append(FILTER_NOT_RECORDED)
        out[col] = values
    return out


def describe(column: str, value: str) -> str:
    """How an option of a filter reads in the page ('6' -> 'Year 6', 'SEMH' -> 'SEMH: Social, ...')."""
    return value if value == FILTER_NOT_RECORDED else FILTERS[column].describe(value)


def search_mask(df: pd.DataFrame, text: str | None) -> pd.Series:
    """Rows whose first name, last name or pupil ID contains every word typed (case-insensitive, as typed)."""
    words = [w.casefold() for w in (text or "").split()]
    mask = pd.Series(True, index=df.index)
    if not words:
        return mask
    hay = (df["first_name"].fillna("").astype(str) + " " + df["last_name"].fillna("").astype(str) + " "
           + df["pupil_id"].astype(str)).str.casefold()
    for w in words:
        mask &= hay.str.contains(w, regex=False)
    return mask


def apply_filters(df: pd.DataFrame, chosen: Mapping[str, Sequence[str]] | None = None, *, search: str | None = None,
                  everyone: bool = False) -> pd.DataFrame:
    """The rows a SENCo asked for: on the register unless `everyone`; each filter with a choice keeps rows
    whose value is one of the chosen (a flag: any of the chosen flags); then the name/ID search."""
    mask = pd.Series(True, index=df.index) if everyone else df["on_register"].astype(bool)
    for col, values in (chosen or {}).items():
        if not values:
            continue
        if col not in FILTERS:
            raise KeyError(f"unknown filter {col!r}")
        wanted = set(values)
        if col == "flags":
            mask &= df["flags"].map(lambda fl, w=wanted: bool(w.intersection(fl)))
        else:
            mask &= df[col].astype(object).where(df[col].notna(), FILTER_NOT_RECORDED).astype(str).isin(wanted)
    mask &= search_mask(df, search)
    return df[mask].reset_index(drop=True)


def counts(df: pd.DataFrame) -> dict[str, int]:
    """Figures above the table: pupils shown, by review status, with a flag, with an EHC plan."""
    status = df["status"].value_counts()
    return {"pupils": len(df), **{s: int(status.get(s, 0)) for s in REVIEW_STATUS},
            "flagged": int(df["flags"].map(len).gt(0).sum()), "ehcp": int((df["sen_status"] == "E").sum())}


def export_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The table as exported to Excel: the columns shown, with their headings, the status as a plain word."""
    out = df[list(COLUMNS)].copy()
    out["status_word"] = df["status"].map(REVIEW_STATUS).fillna("")
    out["due_date"] = pd.to_datetime(out["due_date"])
    out["next_review"] = pd.to_datetime(out["next_review"])
    return out.rename(columns=COLUMNS)
