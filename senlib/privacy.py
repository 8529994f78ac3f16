"""Small-number suppression for governors' outputs, safe against recovery by subtraction.

Governors see aggregates only, and no count small enough to identify a child (DESIGN §1, §6).

Method
------
A published output is a set of counts ("cells") and the sums that tie them together
("relations": a total and its parts — a row and its row total, a column and its column total,
a list of needs and the number on the register). Everything published in one report that is
linked by a sum must be protected together, so a total shown in the headline and again under a
table is one cell.

1. **Primary suppression.** Every count below the threshold (default 5) is replaced by
   "fewer than 5". Zero counts are suppressed too unless `suppress_zero=False` (a zero can also
   tell governors something about every child in a group).
2. **Secondary suppression.** A relation with exactly one hidden member gives it away
   (total − published parts), so one more member of that relation is hidden: the smallest
   count at or above the threshold, preferring a cell whose other relations already hide
   something (so the hiding does not spread), then an inner cell over a total. Repeated until
   no relation has exactly one hidden member. Cells hidden this way read "not shown".
3. **Audit by a simulated attacker.** Knowing every published number, that "fewer than 5"
   means 0–4 and "not shown" means 5 or more, the attacker (a) solves the linear system of all
   relations (any combination of published totals, not just pairs) — a hidden count fixed by
   it is recovered; and (b) tightens each hidden count's range through every relation until
   nothing changes. If a small count is pinned to a single value, one more member of one of its
   relations is hidden and the audit runs again. In the worst case everything connected to the
   small count is hidden; the algorithm never publishes a recoverable small count.

The attacker in step 3 is stronger than "total minus parts" but is not a full integer
programme; the unit tests check the result against brute-force enumeration of every table
consistent with what is published.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

DEFAULT_THRESHOLD = 5
SHOWN, PRIMARY, SECONDARY = "shown", "primary", "secondary"
TOTAL = "Total"

Key = Hashable
Relation = tuple[Key, Sequence[Key]]  # (total, parts): total == sum(parts)


def small_label(threshold: int = DEFAULT_THRESHOLD) -> str:
    """What a suppressed small count reads as."""
    return f"fewer than {threshold}"


SECONDARY_LABEL = "not shown"


def is_small(value: int, threshold: int = DEFAULT_THRESHOLD, *, suppress_zero: bool = True) -> bool:
    """True when `value` must not be published (below the threshold)."""
    return value < threshold and (suppress_zero or value != 0)


def format_count(value: int, status: str = SHOWN, threshold: int = DEFAULT_THRESHOLD) -> str:
    """A count as governors read it: '12', 'fewer than 5' or 'not shown'."""
    if status == PRIMARY:
        return small_label(threshold)
    if status == SECONDARY:
        return SECONDARY_LABEL
    return f"{int(value):,}"


def protect(cells: Mapping[Key, int], relations: Sequence[Relation], threshold: int = DEFAULT_THRESHOLD,
            *, suppress_zero: bool = True) -> dict[Key, str]:
    """Status (shown / primary / secondary) of every cell such that no small count can be
    recovered from the shown cells and the relations. See the module docstring for the method."""
    if threshold < 2:
        raise ValueError("threshold must be at least 2 (a 'fewer than 1' label would give the count away)")
    values = {k: int(v) for k, v in cells.items()}
    if any(v < 0 for v in values.values()):
        raise ValueError("counts cannot be negative")
    rels = [(t, list(parts)) for t, parts in relations]
    for t, parts in rels:
        missing = [k for k in [t, *parts] if k not in values]
        if missing:
            raise KeyError(f"relation refers to unknown cells: {missing}")
        if values[t] != sum(values[p] for p in parts):
            raise ValueError(f"cell {t!r} is not the sum of its parts")
    status = {k: PRIMARY if is_small(v, threshold, suppress_zero=suppress_zero) else SHOWN for k, v in values.items()}
    if not any(s == PRIMARY for s in status.values()):
        return status
    members_of = {k: [] for k in values}
    for i, (t, parts) in enumerate(rels):
        for k in [t, *parts]:
            members_of[k].append(i)
    totals = {t for t, _ in rels}
    lo_primary = 0 if suppress_zero else 1

    def hidden(k: Key) -> bool:
        return status[k] != SHOWN

    def members(i: int) -> list[Key]:
        t, parts = rels[i]
        return [t, *parts]

    def choose(candidates: list[Key]) -> Key | None:
        """The cell to hide next: eligible, smallest, not opening new relations, inner before totals."""
        eligible = [k for k in candidates if not hidden(k) and values[k] >= threshold]
        if not eligible:
            return None

        def opens(k: Key) -> int:  # relations of k that would then have exactly one hidden member
            return sum(1 for i in members_of[k] if sum(hidden(m) for m in members(i)) == 0)

        order = {k: n for n, k in enumerate(values)}
        return min(eligible, key=lambda k: (values[k], opens(k), k in totals, order[k]))

    for _ in range(len(values) + 1):
        # Step 2: no relation with exactly one hidden member.
        changed = True
        while changed:
            changed = False
            for i in range(len(rels)):
                if sum(hidden(m) for m in members(i)) == 1:
                    pick = choose(members(i))
                    if pick is None:  # cannot happen for consistent counts; hide the whole relation to be safe
                        for m in members(i):
                            status[m] = status[m] if hidden(m) else SECONDARY
                    else:
                        status[pick] = SECONDARY
                    changed = True
        # Step 3: audit.
        exposed = _exposed(values, rels, status, threshold, lo_primary)
        if not exposed:
            return status
        cell = exposed[0]
        pick = choose([m for i in members_of[cell] for m in members(i)])
        if pick is None:  # every neighbour already hidden: widen to the neighbours' relations
            ring = {m for i in members_of[cell] for m in members(i)}
            pick = choose([m for r in ring for i in members_of[r] for m in members(i)])
        if pick is None:
            for k in values:
                if not hidden(k):
                    status[k] = SECONDARY
            return status
        status[pick] = SECONDARY
    return {k: s if s != SHOWN else SECONDARY for k, s in status.items()}  # not reached in practice: hide all


def _exposed(values: Mapping[Key, int], rels: list[tuple[Key, list[Key]]], status: Mapping[Key, str],
             threshold: int, lo_primary: int) -> list[Key]:
    """Primary cells an attacker can pin to one value from what is published."""
    unknown = [k for k, s in status.items() if s != SHOWN]
    if not unknown:
        return []
    index = {k: j for j, k in enumerate(unknown)}
    # (a) Linear algebra: x_j is fixed by the equations iff every null-space vector is 0 at j.
    rows = []
    for t, parts in rels:
        row = np.zeros(len(unknown))
        touched = False
        for k, sign in [(t, 1.0)] + [(p, -1.0) for p in parts]:
            if k in index:
                row[index[k]] += sign
                touched = True
        if touched:
            rows.append(row)
    fixed: set[Key] = set()
    if rows:
        a = np.array(rows)
        _, sv, vt = np.linalg.svd(a)
        rank = int((sv > 1e-9).sum())
        null = vt[rank:]
        for k, j in index.items():
            if null.shape[0] == 0 or np.abs(null[:, j]).max() < 1e-9:
                fixed.add(k)
    # (b) Interval propagation with the bounds the labels give away.
    lo: dict[Key, float] = {}
    hi: dict[Key, float] = {}
    for k, s in status.items():
        if s == SHOWN:
            lo[k] = hi[k] = values[k]
        elif s == PRIMARY:
            lo[k], hi[k] = lo_primary, threshold - 1
        else:
            lo[k], hi[k] = threshold, math.inf
    for _ in range(100 * (len(rels) + 1)):
        changed = False
        for t, parts in rels:
            # The total lies within [sum of lows, sum of highs] ...
            new = (max(lo[t], sum(lo[p] for p in parts)), min(hi[t], sum(hi[p] for p in parts)))
            if new[0] > lo[t] or new[1] < hi[t]:
                lo[t], hi[t], changed = new[0], new[1], True
            # ... and each part within [low total - others' highs, high total - others' lows].
            for p in parts:
                others_hi = sum(hi[q] for q in parts if q != p)
                others_lo = sum(lo[q] for q in parts if q != p)
                p_lo = max(lo[p], lo[t] - others_hi)
                p_hi = min(hi[p], hi[t] - others_lo)
                if p_lo > lo[p] or p_hi < hi[p]:
                    lo[p], hi[p], changed = p_lo, p_hi, True
        if not changed:
            break
    return [k for k in unknown if status[k] == PRIMARY and (k in fixed or hi[k] <= lo[k])]


@dataclass(frozen=True)
class SuppressedTable:
    """A count table after suppression: true values (for nothing but tests), status, and what to publish."""

    values: pd.DataFrame
    status: pd.DataFrame
    threshold: int = DEFAULT_THRESHOLD

    def display(self) -> pd.DataFrame:
        """Strings to publish: counts, 'fewer than 5' or 'not shown'. Safe for tables, PDF and HTML."""
        out = self.values.astype(object).copy()
        for r in self.values.index:
            for c in self.values.columns:
                out.loc[r, c] = format_count(self.values.loc[r, c], self.status.loc[r, c], self.threshold)
        return out

    def masked(self) -> pd.DataFrame:
        """Counts with every hidden cell as missing (NA): what a chart may draw."""
        return self.values.astype("Int64").where(self.status == SHOWN)

    @property
    def hidden(self) -> int:
        """How many cells are not shown (primary and secondary)."""
        return int((self.status != SHOWN).to_numpy().sum())


def suppress_table(counts: pd.DataFrame, threshold: int = DEFAULT_THRESHOLD, *, margins: bool = True,
                   suppress_zero: bool = True, total_label: str = TOTAL) -> SuppressedTable:
    """Protect a two-way table of counts (rows × columns), adding row, column and grand totals
    when `margins` (they are protected with the cells, since each is a published sum)."""
    body = counts.fillna(0).astype(int)
    if margins:
        body = body.copy()
        body[total_label] = body.sum(axis=1)
        body.loc[total_label] = body.sum(axis=0)
    cells = {(r, c): int(body.loc[r, c]) for r in body.index for c in body.columns}
    relations: list[Relation] = []
    if margins:
        inner_rows = [r for r in body.index if r != total_label]
        inner_cols = [c for c in body.columns if c != total_label]
        for r in body.index:
            relations.append(((r, total_label), [(r, c) for c in inner_cols]))
        for c in body.columns:
            relations.append(((total_label, c), [(r, c) for r in inner_rows]))
    status = protect(cells, relations, threshold, suppress_zero=suppress_zero)
    frame = pd.DataFrame({c: [status[(r, c)] for r in body.index] for c in body.columns}, index=body.index)
    return SuppressedTable(values=body, status=frame, threshold=threshold)


def suppress_series(counts: pd.Series, threshold: int = DEFAULT_THRESHOLD, *, total: bool = True,
                    suppress_zero: bool = True, total_label: str = TOTAL, name: str = "count") -> SuppressedTable:
    """Protect a one-way list of counts (e.g. pupils by need), with its total when `total`."""
    frame = counts.rename(name).to_frame()
    body = frame.fillna(0).astype(int)
    if total:
        body.loc[total_label] = int(body[name].sum())
    cells = {(r, name): int(body.loc[r, name]) for r in body.index}
    relations: list[Relation] = []
    if total:
        relations.append(((total_label, name), [(r, name) for r in body.index if r != total_label]))
    status = protect(cells, relations, threshold, suppress_zero=suppress_zero)
    return SuppressedTable(values=body, status=pd.DataFrame({name: [status[(r, name)] for r in body.index]}, index=body.index),
                           threshold=threshold)
