"""School years in England: 1 September to 31 August; year groups from date of birth.

A child born between 1 Sep of year y-1 and 31 Aug of year y starts Reception on
1 Sep of year y+4 (DESIGN §2). Index 0 is Reception, -1 Nursery 2, -2 Nursery 1.
"""

from __future__ import annotations

from datetime import date

from senlib.core.names import YEAR_GROUPS, YEAR_INDEX


def school_year_start(day: date) -> date:
    """1 September that opens the school year containing `day`."""
    return date(day.year if day.month >= 9 else day.year - 1, 9, 1)


def cohort_year(dob: date) -> int:
    """The year y such that the child was born between 1 Sep y-1 and 31 Aug y."""
    return dob.year + 1 if dob.month >= 9 else dob.year


def year_index(dob: date, on: date) -> int:
    """Year-group index on a date: 0 Reception, 6 Year 6, -1 Nursery 2."""
    return school_year_start(on).year - cohort_year(dob) - 4


def year_group(dob: date, on: date) -> str | None:
    """Year-group code on a date ('N1'..'14'), or None when outside school age."""
    idx = year_index(dob, on)
    return index_to_code(idx)


def index_to_code(idx: int) -> str | None:
    """Year-group index to code; None outside N1..Year 14."""
    pos = idx + 2
    return YEAR_GROUPS[pos] if 0 <= pos < len(YEAR_GROUPS) else None


def code_to_index(code: str) -> int:
    """Year-group code to index ('R' -> 0)."""
    return YEAR_INDEX[code]


def sql_year_index(dob_col: str, on: str) -> str:
    """SQL expression for the year-group index of `dob_col` on the date expression `on`."""
    return (
        f"((CASE WHEN month({on}) >= 9 THEN year({on}) ELSE year({on}) - 1 END)"
        f" - (CASE WHEN month({dob_col}) >= 9 THEN year({dob_col}) + 1 ELSE year({dob_col}) END) - 4)"
    )


def sql_year_code(index_expr: str) -> str:
    """SQL expression turning a year-group index into its code."""
    return (
        f"(CASE WHEN ({index_expr}) = -2 THEN 'N1' WHEN ({index_expr}) = -1 THEN 'N2' "
        f"WHEN ({index_expr}) = 0 THEN 'R' WHEN ({index_expr}) BETWEEN 1 AND 14 THEN CAST(({index_expr}) AS VARCHAR) END)"
    )
