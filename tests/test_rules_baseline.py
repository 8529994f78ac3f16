"""The SQL evaluation agrees with the straightforward per-pupil Python implementation of the cadence rules."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from senlib.rules import pupil_status, set_override
from senlib.rules.baseline import add_months, baseline_status, birthday

COLUMNS = ["plan_type", "cadence_rule", "last_review", "due_date", "status", "days_overdue"]


def _compare(con, as_of: date) -> pd.DataFrame:
    sql = pupil_status(con, as_of)[["setting", "pupil_id", *COLUMNS]]
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


def test_baseline_date_helpers():
    assert add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert birthday(date(2020, 2, 29), 5) == date(2025, 3, 1)
    assert birthday(date(2020, 2, 29), 4) == date(2024, 2, 29)
