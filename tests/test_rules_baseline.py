"""The SQL evaluation agrees with the straightforward per-pupil Python implementation of the cadence rules."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from benchmarks.baseline_rules import add_months, baseline_status, birthday
from senlib.access import TRUSTED
from senlib.rules import pupil_status, set_override

from .rules_support import Caseload

COLUMNS = ["plan_type", "cadence_rule", "last_review", "due_date", "status", "days_overdue"]


def _compare(con, as_of: date) -> pd.DataFrame:
    sql = pupil_status(con, as_of, viewer=TRUSTED)[["setting", "pupil_id", *COLUMNS]]
    py = baseline_status(con, as_of)
    m = sql.merge(py, on=["setting", "pupil_id"], suffixes=("_sql", "_py"), validate="one_to_one")
    assert len(m) == len(sql) == len(py)
    bad = pd.Series(False, index=m.index)
    for c in ("plan_type", "cadence_rule", "status"):
        bad |= m[f"{c}_sql"].fillna("-").astype(str) != m[f"{c}_py"].fillna("-").astype(str)
    for c in ("last_review", "due_date"):
        bad |= pd.to_datetime(m[f"{c}_sql"]).fillna(pd.Timestamp(0)) != pd.to_datetime(m[f"{c}_py"]).fillna(pd.Timestamp(0))
    bad |= m["days_overdue_sql"].fillna(-1).astype(int) != m["days_overdue_py"].fillna(-1).astype(int)
    return m[bad]


@pytest.mark.parametrize("as_of", ["2026-11-23", "2025-09-01", "2026-08-31", "2027-02-28", "2024-02-29"])
def test_sql_agrees_with_python_baseline_on_the_demo(demo_con, as_of):
    bad = _compare(demo_con, date.fromisoformat(as_of))
    assert bad.empty, bad.head().T


def test_sql_agrees_with_python_baseline_with_overrides(demo_con):
    set_override(demo_con, "ehcp_under5", "months", 3, local_authority="Westford City Council", user="t")
    set_override(demo_con, "invite_good_practice", "weeks", 8, local_authority="Eastbridge County Council", user="t")
    set_override(demo_con, "sen_support_termly", "max_gap_months", 3, setting="Riverside Academy", user="t")
    set_override(demo_con, "phase_transfer", "review_weeks", 20, user="t")
    bad = _compare(demo_con, date(2026, 11, 23))
    assert bad.empty, bad.head().T


@pytest.mark.parametrize("as_of", ["2026-01-01", "2026-03-01", "2026-03-02", "2026-07-01"])
def test_sql_agrees_with_python_baseline_when_dates_are_missing(as_of):
    """Unknown is not overdue: nothing recorded, only a diary date (before and after it), and a clock date beside
    a diary date, for each plan type."""
    cl = Caseload()
    for i, (sen, plan) in enumerate([("K", None), ("E", None), ("K", "my_support_plan"), ("N", "ihcp"), ("K", "sen_support")]):
        cl.pupil(f"N{i}", sen=sen, dob="2013-03-01", identified=None)           # nothing at all
        cl.pupil(f"D{i}", sen=sen, dob="2013-03-01", identified=None)           # a review in the diary only
        cl.pupil(f"C{i}", sen=sen, dob="2013-03-01", identified="2025-10-01")   # a clock date and a diary date
        for pid in (f"N{i}", f"D{i}", f"C{i}"):
            if plan:
                cl.plan(pid, plan, "2025-10-01" if pid[0] == "C" else None)
        review_type = plan or {"K": "sen_support", "E": "ehcp"}.get(sen)
        for pid in (f"D{i}", f"C{i}"):
            cl.review(pid, "2026-03-01", review_type, held=False)
    bad = _compare(cl.con, date.fromisoformat(as_of))
    assert bad.empty, bad.head().T


def test_baseline_date_helpers():
    assert add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert birthday(date(2020, 2, 29), 5) == date(2025, 3, 1)
    assert birthday(date(2020, 2, 29), 4) == date(2024, 2, 29)
