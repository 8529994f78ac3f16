"""Small-number suppression: primary, secondary, and attacks by differencing and by enumeration."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from senlib import privacy
from senlib.privacy import PRIMARY, SECONDARY, SHOWN, TOTAL

T = privacy.DEFAULT_THRESHOLD


def published(table: privacy.SuppressedTable) -> pd.DataFrame:
    """What leaves the building: the display strings only."""
    return table.display()


def brute_force(table: privacy.SuppressedTable, cap: int) -> dict[tuple, set[int]]:
    """Every value each hidden cell can take in some table consistent with what is published.

    The attacker knows: shown counts; 'fewer than T' means 0..T-1 (1..T-1 when zeros are shown);
    'not shown' means at least T; totals are sums. Values are searched up to `cap` (a restriction
    only shrinks the attacker's solution set, so 'two or more values' here is sound)."""
    values, status = table.values, table.status
    rows = [r for r in values.index if r != TOTAL]
    cols = [c for c in values.columns if c != TOTAL]

    def options(r, c) -> list[int]:
        s = status.loc[r, c]
        if s == SHOWN:
            return [int(values.loc[r, c])]
        if s == PRIMARY:
            return list(range(0, T))
        top = cap
        for key in ((r, TOTAL), (TOTAL, c), (TOTAL, TOTAL)):
            if status.loc[key] == SHOWN:
                top = min(top, int(values.loc[key]))
        return list(range(T, top + 1))

    def fits(r, c, v) -> bool:
        s = status.loc[r, c]
        return (v == values.loc[r, c]) if s == SHOWN else (v < T if s == PRIMARY else v >= T)

    seen: dict[tuple, set[int]] = {(r, c): set() for r in values.index for c in values.columns if status.loc[r, c] != SHOWN}
    known_col = [j for j, c in enumerate(cols) if status.loc[TOTAL, c] == SHOWN]

    def row_solutions(r) -> list[tuple[int, ...]]:
        """Assignments of one row's cells that fit its total (derive the last cell when the total is shown)."""
        opts = [options(r, c) for c in cols]
        if status.loc[r, TOTAL] != SHOWN:
            return [combo for combo in itertools.product(*opts) if fits(r, TOTAL, sum(combo))]
        total, out = int(values.loc[r, TOTAL]), []
        for head in itertools.product(*opts[:-1]):
            last = total - sum(head)
            if last in opts[-1]:
                out.append((*head, last))
        return out

    per_row = [row_solutions(r) for r in rows]
    last_index: dict[tuple[int, ...], list[tuple[int, ...]]] = {}
    for sol in per_row[-1]:
        last_index.setdefault(tuple(sol[j] for j in known_col), []).append(sol)

    def record(chosen: list[tuple[int, ...]]) -> None:
        col_sums = [sum(row[j] for row in chosen) for j in range(len(cols))]
        grand = sum(col_sums)
        if not all(fits(TOTAL, c, s) for c, s in zip(cols, col_sums, strict=True)) or not fits(TOTAL, TOTAL, grand):
            return
        for r, row in zip(rows, chosen, strict=True):
            for c, v in zip(cols, row, strict=True):
                if (r, c) in seen:
                    seen[(r, c)].add(v)
            if (r, TOTAL) in seen:
                seen[(r, TOTAL)].add(sum(row))
        for c, s in zip(cols, col_sums, strict=True):
            if (TOTAL, c) in seen:
                seen[(TOTAL, c)].add(s)
        if (TOTAL, TOTAL) in seen:
            seen[(TOTAL, TOTAL)].add(grand)

    def dfs(i: int, chosen: list[tuple[int, ...]]) -> None:
        partial = [sum(x[j] for x in chosen) for j in range(len(cols))]
        if i == len(rows) - 1:
            need = tuple(int(values.loc[TOTAL, cols[j]]) - partial[j] for j in known_col)
            for row in last_index.get(need, []):
                record([*chosen, row])
            return
        for row in per_row[i]:
            if any(partial[j] + row[j] > values.loc[TOTAL, cols[j]] for j in known_col):
                continue
            dfs(i + 1, [*chosen, row])

    dfs(0, [])
    return seen


def assert_protected(table: privacy.SuppressedTable, cap: int) -> None:
    seen = brute_force(table, cap)
    for key, vals in seen.items():
        if table.status.loc[key] == PRIMARY:
            assert len(vals) >= 2, f"small count at {key} recoverable: only {vals} fits\n{table.display()}"


# --- primary -------------------------------------------------------------------------------------

def test_small_counts_are_labelled_fewer_than_5():
    t = privacy.suppress_series(pd.Series({"ASD": 12, "SEMH": 3, "SLCN": 20, "HI": 9}), total=False)
    shown = published(t)["count"].to_dict()
    assert shown == {"ASD": "12", "SEMH": "fewer than 5", "SLCN": "20", "HI": "9"}


def test_threshold_edges_and_zero():
    t = privacy.suppress_series(pd.Series({"a": 4, "b": 5, "c": 0}), total=False)
    assert t.status["count"].to_dict() == {"a": PRIMARY, "b": SHOWN, "c": PRIMARY}
    t = privacy.suppress_series(pd.Series({"a": 4, "b": 5, "c": 0}), total=False, suppress_zero=False)
    assert t.status["count"].to_dict() == {"a": PRIMARY, "b": SHOWN, "c": SHOWN}


def test_threshold_is_configurable():
    t = privacy.suppress_series(pd.Series({"a": 8, "b": 12}), threshold=10, total=False)
    assert published(t)["count"].tolist() == ["fewer than 10", "12"]
    with pytest.raises(ValueError):
        privacy.protect({"a": 1}, [], threshold=1)


def test_nothing_small_nothing_hidden():
    t = privacy.suppress_table(pd.DataFrame({"K": [10, 20], "E": [6, 7]}, index=["Y1", "Y2"]))
    assert t.hidden == 0
    assert published(t).loc[TOTAL, TOTAL] == "43"


# --- differencing ---------------------------------------------------------------------------------

def test_total_minus_parts_does_not_recover_a_list_count():
    # Register by need with its total: 55 - 12 - 40 would give SEMH = 3.
    t = privacy.suppress_series(pd.Series({"ASD": 12, "SEMH": 3, "SLCN": 40}))
    out = published(t)["count"]
    assert out["SEMH"] == "fewer than 5"
    assert out["ASD"] == "not shown"  # the smallest other count hides with it
    assert out["SLCN"] == "40" and out[TOTAL] == "55"


def test_row_and_column_totals_do_not_recover_a_cell():
    counts = pd.DataFrame({"on track": [20, 15, 30], "overdue": [2, 9, 11]}, index=["Y1", "Y2", "Y3"])
    t = privacy.suppress_table(counts)
    d = published(t)
    assert d.loc["Y1", "overdue"] == "fewer than 5"
    # Every row and column of the table that hides something hides at least two of its members.
    for r in t.values.index:
        assert (t.status.loc[r] != SHOWN).sum() != 1
    for c in t.values.columns:
        assert (t.status[c] != SHOWN).sum() != 1
    # Concretely: Y1 total - Y1 on track, and overdue total - other overdue cells, are no longer both available.
    y1_row_known = d.loc["Y1", TOTAL] not in ("not shown",) and d.loc["Y1", "on track"] not in ("not shown",)
    col_known = all(d.loc[r, "overdue"] != "not shown" for r in ("Y2", "Y3")) and d.loc[TOTAL, "overdue"] != "not shown"
    assert not y1_row_known and not col_known
    assert_protected(t, cap=80)


def test_secondary_choice_is_the_smallest_eligible_count():
    counts = pd.DataFrame({"a": [3, 50], "b": [7, 60], "c": [9, 70]}, index=["r1", "r2"])
    t = privacy.suppress_table(counts)
    assert t.status.loc["r1", "b"] == SECONDARY  # 7 rather than 9 or the total
    assert t.status.loc["r1", "c"] == SHOWN


def test_small_total_is_itself_suppressed_and_protected():
    counts = pd.DataFrame({"K": [2, 30], "E": [1, 25]}, index=["Nursery", "Y1"])
    t = privacy.suppress_table(counts)
    assert t.status.loc["Nursery", TOTAL] == PRIMARY  # 3 pupils in nursery is itself small
    assert_protected(t, cap=70)


def test_bounds_attack_is_blocked():
    # Row: 0 and 5 with total 5. Hiding only the 5 as 'not shown' (>= 5) would pin the 0.
    counts = pd.DataFrame({"a": [0, 40], "b": [5, 40], "c": [30, 41]}, index=["r1", "r2"])
    t = privacy.suppress_table(counts)
    assert_protected(t, cap=170)


def test_chart_values_hide_suppressed_cells():
    t = privacy.suppress_series(pd.Series({"ASD": 12, "SEMH": 3, "SLCN": 40}))
    m = t.masked()["count"]
    assert m.isna().tolist() == [True, True, False, False]


def test_shared_total_across_two_outputs_is_protected_together():
    # The headline 'on the register' total is also the sum of the by-need list and of the by-year list.
    cells = {"register": 45, "need:ASD": 3, "need:SEMH": 42, "year:1": 20, "year:2": 25}
    rels = [("register", ["need:ASD", "need:SEMH"]), ("register", ["year:1", "year:2"])]
    status = privacy.protect(cells, rels)
    assert status == {"register": SHOWN, "need:ASD": PRIMARY, "need:SEMH": SECONDARY, "year:1": SHOWN, "year:2": SHOWN}


def test_two_lists_sharing_a_hidden_total_are_both_protected():
    # A small setting: its total is small, so the total hides; then each list must not give it back.
    cells = {"register": 4, "need:ASD": 1, "need:SEMH": 3, "year:1": 4, "year:2": 0}
    rels = [("register", ["need:ASD", "need:SEMH"]), ("register", ["year:1", "year:2"])]
    status = privacy.protect(cells, rels)
    assert all(s != SHOWN for s in status.values())


def test_inconsistent_counts_are_rejected():
    with pytest.raises(ValueError):
        privacy.protect({"t": 10, "a": 3, "b": 3}, [("t", ["a", "b"])])


# --- property: no primary cell is ever recoverable by brute force ----------------------------------

small = st.integers(min_value=0, max_value=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 3).flatmap(lambda nr: st.integers(2, 3).flatmap(
    lambda nc: st.lists(st.lists(small, min_size=nc, max_size=nc), min_size=nr, max_size=nr))))
def test_no_small_count_recoverable_by_any_consistent_table(grid):
    counts = pd.DataFrame(grid, index=[f"r{i}" for i in range(len(grid))], columns=[f"c{j}" for j in range(len(grid[0]))])
    t = privacy.suppress_table(counts)
    # Published values are honest: shown cells equal the true counts.
    for key in t.values.stack().index:
        if t.status.loc[key] == SHOWN:
            assert not privacy.is_small(int(t.values.loc[key]))
    assert_protected(t, cap=int(t.values.loc[TOTAL, TOTAL]) + T)
