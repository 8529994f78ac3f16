"""SQL expressions every layer of the rules query shares: the school year, ages, dates, scores and the policy join.

Pure text builders with no rule in them (the rules themselves are in registry.py), so the facts layer, the
registry and the rules layers can all use them.
"""

from __future__ import annotations

# 1 September that opens the school year of the as-of date.
SCHOOL_YEAR_START = "make_date(CASE WHEN month($as_of) >= 9 THEN year($as_of) ELSE year($as_of) - 1 END, 9, 1)"
# The policy in force for a row with a setting_key and a la_key (alias {a}): stg_policy, one row per combination.
POLICY_JOIN = "JOIN stg_policy pol ON pol.setting_key = {a}.setting_key AND pol.la_key = {a}.la_key"


def year_code_index(code: str) -> str:
    """SQL: the index of a year-group code ('N1' -2, 'N2' -1, 'R' 0, '1'..'14'); NULL if it is not one."""
    return (f"(CASE {code} WHEN 'N1' THEN -2 WHEN 'N2' THEN -1 WHEN 'R' THEN 0 "
            f"ELSE if(TRY_CAST({code} AS INTEGER) BETWEEN 1 AND 14, TRY_CAST({code} AS INTEGER), NULL) END)")


def birthday(dob: str, years: str) -> str:
    """SQL: the date a child born on `dob` turns `years`; a 29 February child has birthdays on 1 March
    in other years (England: Family Law Reform Act 1969, s. 9)."""
    plain = f"CAST({dob} + to_years({years}) AS DATE)"
    return f"({plain} + CASE WHEN month({dob}) = 2 AND day({dob}) = 29 AND day({plain}) = 28 THEN 1 ELSE 0 END)"


def plus_months(day: str, months: str) -> str:
    """SQL: a date some months later; the 31st becomes the month's last day (31 Aug + 6 months = 28/29 Feb)."""
    return f"CAST({day} + to_months({months}) AS DATE)"


def score_at(history: str, day: str) -> str:
    """SQL: the latest {d, s} of a newest-first score history on or before `day` (NULL if none)."""
    return f"list_filter({history}, lambda e: e.d <= {day})[1]"
