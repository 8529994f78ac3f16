"""Small-number suppression: primary, secondary, and attacks by differencing and by enumeration."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from senlib.access import privacy
from senlib.access.privacy import PRIMARY, SECONDARY, SHOWN, TOTAL

T = privacy.DEFAULT_THRESHOLD


def published(table: privacy.SuppressedTable) -> pd.DataFrame:
    """What leaves the building: the display strings only."""
    return table.display()


def _relations(values: pd.DataFrame) -> list[tuple[tuple, list[tuple]]]:
    rows = [r for r in values.index if r != TOTAL]
    cols = [c for c in values.columns if c != TOTAL]
    rels = [((r, TOTAL), [(r, c) for c in cols]) for r in values.index]
    rels += [((TOTAL, c), [(r, c) for r in rows]) for c in values.columns]
    return rels


def _propagate(bounds: dict, rels) -> dict | None:
    """Tighten integer ranges through every sum until nothing changes; None when a range empties."""
    b = dict(bounds)
    changed = True
    while changed:
        changed = False
        for t, parts in rels:
            lo_t = max(b[t][0], sum(b[p][0] for p in parts))
            hi_t = min(b[t][1], sum(b[p][1] for p in parts))
            if (lo_t, hi_t) != b[t]:
                b[t], changed = (lo_t, hi_t), True
            for p in parts:
                lo = max(b[p][0], b[t][0] - sum(b[q][1] for q in parts if q != p))
                hi = min(b[p][1], b[t][1] - sum(b[q][0] for q in parts if q != p))
                if (lo, hi) != b[p]:
                    b[p], changed = (lo, hi), True
            if any(b[k][0] > b[k][1] for k in (t, *parts)):
                return None
    return b


def _feasible(bounds: dict, rels) -> bool:
    """Exact: is there an integer table within `bounds` satisfying every sum? (propagate, then split a range)."""
    b = _propagate(bounds, rels)
    if b is None:
        return False
    free = [k for k, (lo, hi) in b.items() if lo < hi]
    if not free:
        return True
    k = min(free, key=lambda key: b[key][1] - b[key][0])
    lo, hi = b[k]
    mid = (lo + hi) // 2
    return _feasible({**b, k: (lo, mid)}, rels) or _feasible({**b, k: (mid + 1, hi)}, rels)


def brute_force(table: privacy.SuppressedTable, cap: int = 10_000, *, zeros_shown: bool = False) -> dict[tuple, set[int]]:
    """The values (up to two) each hidden small count can take in some table consistent with what is published.

    The attacker knows: shown counts; 'fewer than T' means 0..T-1 (1..T-1 when zeros are shown); 'not shown' means at least T
    (searched up to `cap`: a restriction only removes solutions, so 'two values' found is sound);
    every row and column total is the sum of its cells. The search is exact over the integers."""
    values, status = table.values, table.status
    rels = _relations(values)
    bounds = {}
    for key in values.stack().index:
        s = status.loc[key]
        bounds[key] = (int(values.loc[key]),) * 2 if s == SHOWN else ((int(zeros_shown), T - 1) if s == PRIMARY else (T, cap))
    seen: dict[tuple, set[int]] = {}
    for key, s in status.stack().items():
        if s != PRIMARY:
            continue
        seen[key] = set()
        for v in range(int(zeros_shown), T):
            if _feasible({**bounds, key: (v, v)}, rels):
                seen[key].add(v)
                if len(seen[key]) >= 2:
                    break
    return seen


def assert_protected(table: privacy.SuppressedTable, *, zeros_shown: bool = False) -> None:
    for key, vals in brute_force(table, zeros_shown=zeros_shown).items():
        assert len(vals) >= 2, f"small count at {key} recoverable: only {vals} fits\n{table.display()}"


def test_the_attacker_itself_recovers_an_unprotected_count():
    # Only the small cell hidden: total minus parts gives it away, and the attacker finds it.
    values = pd.DataFrame({"a": [3, 10, 13], "b": [7, 9, 16], TOTAL: [10, 19, 29]}, index=["r1", "r2", TOTAL])
    status = values.map(lambda v: SHOWN)
    status.loc["r1", "a"] = PRIMARY
    assert brute_force(privacy.SuppressedTable(values, status)) == {("r1", "a"): {3}}
    # A bounds attack: 0 and a 'not shown' (>= 5) summing to 5 pins both.
    values = pd.DataFrame({"a": [0, 40, 40], "b": [5, 40, 45], TOTAL: [5, 80, 85]}, index=["r1", "r2", TOTAL])
    status = values.map(lambda v: SHOWN)
    status.loc["r1", "a"], status.loc["r1", "b"] = PRIMARY, SECONDARY
    status.loc["r2", "a"], status.loc["r2", "b"] = SECONDARY, SECONDARY
    assert brute_force(privacy.SuppressedTable(values, status)) == {("r1", "a"): {0}}


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
    assert_protected(t)


def test_secondary_choice_is_the_smallest_eligible_count():
    counts = pd.DataFrame({"a": [3, 50], "b": [7, 60], "c": [9, 70]}, index=["r1", "r2"])
    t = privacy.suppress_table(counts)
    assert t.status.loc["r1", "b"] == SECONDARY  # 7 rather than 9 or the total
    assert t.status.loc["r1", "c"] == SHOWN


def test_small_total_is_itself_suppressed_and_protected():
    counts = pd.DataFrame({"K": [2, 30], "E": [1, 25]}, index=["Nursery", "Y1"])
    t = privacy.suppress_table(counts)
    assert t.status.loc["Nursery", TOTAL] == PRIMARY  # 3 pupils in nursery is itself small
    assert_protected(t)


def test_bounds_attack_is_blocked():
    # Row: 0 and 5 with total 5. Hiding only the 5 as 'not shown' (>= 5) would pin the 0.
    counts = pd.DataFrame({"a": [0, 40], "b": [5, 40], "c": [30, 41]}, index=["r1", "r2"])
    t = privacy.suppress_table(counts)
    assert_protected(t)


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

small = st.integers(min_value=0, max_value=15)


grids = st.integers(2, 4).flatmap(lambda nr: st.integers(2, 4).flatmap(
    lambda nc: st.lists(st.lists(small, min_size=nc, max_size=nc), min_size=nr, max_size=nr)))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grids, st.booleans())
def test_no_small_count_recoverable_by_any_consistent_table(grid, suppress_zero):
    counts = pd.DataFrame(grid, index=[f"r{i}" for i in range(len(grid))], columns=[f"c{j}" for j in range(len(grid[0]))])
    t = privacy.suppress_table(counts, suppress_zero=suppress_zero)
    # Published values are honest: shown cells equal the true counts, and no shown count is small.
    for key in t.values.stack().index:
        if t.status.loc[key] == SHOWN:
            assert not privacy.is_small(int(t.values.loc[key]), suppress_zero=suppress_zero)
    # When shown zeros would still give a count away, the method hides zeros too and says 'fewer than 5' includes 0.
    assert t.small_includes_zero or not suppress_zero
    assert_protected(t, zeros_shown=not t.small_includes_zero)


def test_combination_of_totals_and_bounds_is_blocked():
    # Found by the property test: with zeros shown, the grand total, a column total and the row totals
    # together pinned the 1 in the middle although every row and column hid two or more cells.
    counts = pd.DataFrame([[0, 0, 2], [0, 1, 3], [2, 3, 0]], index=["r0", "r1", "r2"], columns=["c0", "c1", "c2"])
    assert_protected(privacy.suppress_table(counts, suppress_zero=False), zeros_shown=True)


def test_a_realistic_governors_table_is_fast(benchmark_counts=None):
    import random
    import time

    rng = random.Random(7)
    needs = ["SPLD", "MLD", "SLD", "PMLD", "SEMH", "SLCN", "HI", "VI", "MSI", "PD", "ASD", "OTH", "NSA"]
    years = ["N1", "N2", "R"] + [str(y) for y in range(1, 12)]
    counts = pd.DataFrame([[rng.choice([0, 1, 2, 3, 6, 9, 14]) for _ in years] for _ in needs], index=needs, columns=years)
    t0 = time.perf_counter()
    t = privacy.suppress_table(counts)
    assert time.perf_counter() - t0 < 20
    assert (t.status == PRIMARY).sum().sum() > 0


def test_zeros_are_hidden_when_showing_them_gives_a_count_away():
    # Four cells, each at least 1 if zeros are shown, under a total below 5: all must be 1.
    t = privacy.suppress_table(pd.DataFrame([[1, 1], [1, 1]]), suppress_zero=False)
    assert (t.status != SHOWN).all().all() and t.small_includes_zero
    assert_protected(t, zeros_shown=False)
    t = privacy.suppress_table(pd.DataFrame([[0, 3], [9, 8]]), suppress_zero=False)
    assert not t.small_includes_zero and t.status.loc[0, 0] == SHOWN


def test_a_total_over_nothing_does_not_hang():
    status = privacy.protect({"empty": 0, "a": 3, "t": 3}, [("empty", []), ("t", ["a"])])
    assert status["a"] == PRIMARY and status["t"] == PRIMARY
