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
3. **Audit by a simulated attacker.** The attacker knows every published number, that
   "fewer than 5" means 0–4 (1–4 when zeros are shown) and "not shown" means 5 or more, and
   that every relation holds. For each small count the audit searches, exactly over the whole
   numbers (bounds propagated through every relation, then ranges split), for a table
   consistent with all of that in which the count has a different value. If there is none —
   by a difference of totals, by any combination of them, or by the bounds — the count is
   exposed: one more member of one of its relations (or of its neighbours') is hidden and the
   audit runs again. A search that runs too long counts as exposed, so the method errs towards
   hiding more; in the worst case every count is hidden, and, if zeros were shown and still
   give a small count away, the zeros too.

4. **What may be said of a hidden count** comes from the published figures alone: `public_bounds`
   works out, from the shown counts, the statuses and the sums (never from a hidden value), the
   range each hidden count must lie in. A range ("16–20") or a band of a rate ("over 75%") that
   holds that whole range tells an attacker nothing they could not work out already.

Limits: the attacker is assumed not to reason from *which* cell the method chose to hide
(e.g. "the hidden one must be the smallest"). Outputs published together (the governors' report's
figures now and a year before) are protected in one call. The unit tests attack the results with
an independent exact search.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

DEFAULT_THRESHOLD = 5
SHOWN, PRIMARY, SECONDARY = "shown", "primary", "secondary"
TOTAL = "Total"

Key = Hashable
Relation = tuple[Key, Sequence[Key]]  # (total, parts): total == sum(parts)


class Statuses(dict):
    """Status of every cell (shown / primary / secondary). `small_includes_zero` says whether
    'fewer than N' may stand for 0 in this output (always, unless zeros are shown as 0)."""

    small_includes_zero: bool = True


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
            *, suppress_zero: bool = True) -> Statuses:
    """Status (shown / primary / secondary) of every cell such that no small count can be
    recovered from the shown cells and the relations. See the module docstring for the method.

    Keep `suppress_zero=True` (the default) for governors: with zeros shown, 'fewer than 5' means
    1-4, which gives more away; when even hiding every count is not enough, zeros are then hidden
    too, and the output must say that 'fewer than 5' may be 0 (`small_includes_zero` of the result)."""
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
    rels = [(t, parts) for t, parts in rels if parts]  # a total of nothing is 0 by definition: it links no cells
    status = Statuses({k: PRIMARY if is_small(v, threshold, suppress_zero=suppress_zero) else SHOWN for k, v in values.items()})
    status.small_includes_zero = suppress_zero
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

    def last_resort() -> Statuses:
        """Hide every count; if shown zeros still give a small count away (e.g. four hidden cells, each
        at least 1, under a total below 5), hide the zeros too: 'fewer than 5' then means 0-4 throughout."""
        for k in values:
            if not hidden(k) and values[k] >= threshold:
                status[k] = SECONDARY
        if not suppress_zero and _exposed(values, rels, status, threshold, lo_primary):
            return protect(cells, relations, threshold, suppress_zero=True)
        return status

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
                            if not hidden(m):
                                status[m], changed = SECONDARY, True
                    else:
                        status[pick], changed = SECONDARY, True
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
            return last_resort()
        status[pick] = SECONDARY
    return last_resort()  # not reached in practice


class _Budget(Exception):
    """The exact search took too long; the cell is treated as exposed (hide more, never less)."""


def _propagate(bounds: dict[Key, tuple[int, int]], rels: list[tuple[Key, list[Key]]], members_of: Mapping[Key, list[int]],
               queue: Sequence[int] | None = None) -> dict[Key, tuple[int, int]] | None:
    """Tighten each range through the sums until nothing changes; None when a range empties (infeasible).
    Only the relations in `queue` (default: all) and those touched by a change are looked at again."""
    b = dict(bounds)
    pending = deque(range(len(rels)) if queue is None else queue)
    queued = set(pending)
    while pending:
        i = pending.popleft()
        queued.discard(i)
        t, parts = rels[i]
        s_lo = sum(b[p][0] for p in parts)
        s_hi = sum(b[p][1] for p in parts)
        lo_t, hi_t = max(b[t][0], s_lo), min(b[t][1], s_hi)
        if lo_t > hi_t:
            return None
        changed = []
        if (lo_t, hi_t) != b[t]:
            b[t] = (lo_t, hi_t)
            changed.append(t)
        for p in parts:
            lo_p, hi_p = b[p]
            new = (max(lo_p, lo_t - (s_hi - hi_p)), min(hi_p, hi_t - (s_lo - lo_p)))
            if new[0] > new[1]:
                return None
            if new != b[p]:
                b[p] = new
                changed.append(p)
        for k in changed:
            for j in members_of[k]:
                if j not in queued:
                    pending.append(j)
                    queued.add(j)
    return b


def _solve(bounds: dict[Key, tuple[int, int]], rels: list[tuple[Key, list[Key]]], members_of: Mapping[Key, list[int]],
           budget: list[int], away: Mapping[Key, int], queue: Sequence[int] | None = None) -> dict[Key, int] | None:
    """Exact over the integers: a table within `bounds` satisfying every sum, or None. Propagate, then split a
    range, trying first the half away from the true value (`away`), so that one table proves many cells safe."""
    budget[0] -= 1
    if budget[0] < 0:
        raise _Budget
    b = _propagate(bounds, rels, members_of, queue)
    if b is None:
        return None
    free = [k for k, (lo, hi) in b.items() if lo < hi]
    if not free:
        return {k: lo for k, (lo, _) in b.items()}
    k = min(free, key=lambda key: b[key][1] - b[key][0])
    lo, hi = b[k]
    mid = (lo + hi) // 2
    halves = [(lo, mid), (mid + 1, hi)]
    if away.get(k, lo) <= mid:
        halves.reverse()
    for half in halves:
        found = _solve({**b, k: half}, rels, members_of, budget, away, members_of[k])
        if found:
            return found
    return None


def _exposed(values: Mapping[Key, int], rels: list[tuple[Key, list[Key]]], status: Mapping[Key, str],
             threshold: int, lo_primary: int, budget: int = 5000) -> list[Key]:
    """Small counts an attacker can pin to one value from what is published.

    For each one, look for a table consistent with everything published in which it has another
    value (below or above its true value); if there is none, it is exposed. Hidden cells outside
    the search's reach (above `cap`) only add solutions, so a cell found safe is safe."""
    relevant = [(t, parts) for t, parts in rels if any(status[k] != SHOWN for k in (t, *parts))]
    if not relevant:
        return []
    cap = 10 * max(values.values()) + threshold
    bounds: dict[Key, tuple[int, int]] = {}
    for t, parts in relevant:
        for k in (t, *parts):
            s = status[k]
            bounds[k] = (values[k], values[k]) if s == SHOWN else ((lo_primary, threshold - 1) if s == PRIMARY else (threshold, cap))
    members_of: dict[Key, list[int]] = {k: [] for k in bounds}
    for i, (t, parts) in enumerate(relevant):
        for k in (t, *parts):
            members_of[k].append(i)
    exposed: list[Key] = []
    safe: set[Key] = set()
    for k, s in status.items():
        if s != PRIMARY or k not in bounds or k in safe:
            continue
        true = values[k]
        witness = None
        try:
            for rng in ((lo_primary, true - 1), (true + 1, threshold - 1)):
                if rng[0] <= rng[1]:
                    witness = _solve({**bounds, k: rng}, relevant, members_of, [budget], values)
                    if witness:
                        break
        except _Budget:
            witness = None
        if witness is None:
            exposed.append(k)
            continue
        # The same table proves every small count it changes safe: no need to search for them again.
        safe.update(c for c, v in witness.items() if status[c] == PRIMARY and v != values[c])
    return exposed


UNBOUNDED = 10**9  # "5 or more" with nothing published to bound it from above


def public_bounds(values: Mapping[Key, int], relations: Sequence[Relation], status: Mapping[Key, str],
                  threshold: int = DEFAULT_THRESHOLD, *, small_includes_zero: bool = True) -> dict[Key, tuple[int, int]]:
    """The range each count must lie in, worked out as an attacker would from what is published: shown counts,
    'fewer than N' (0 to N-1), 'not shown' (N or more) and the sums. A hidden value is never read, so whatever is
    said within these ranges gives nothing away. A hidden count with no upper bound has UNBOUNDED as its top."""
    lo_primary = 0 if small_includes_zero else 1

    def start(k: Key) -> tuple[int, int]:
        s = status[k]
        if s == SHOWN:
            return int(values[k]), int(values[k])
        return (lo_primary, threshold - 1) if s == PRIMARY else (threshold, UNBOUNDED)

    rels = [(t, list(parts)) for t, parts in relations if parts]
    bounds = {k: start(k) for k in status}
    members_of: dict[Key, list[int]] = {k: [] for k in bounds}
    for i, (t, parts) in enumerate(rels):
        for k in (t, *parts):
            members_of[k].append(i)
    tightened = _propagate(bounds, rels, members_of)
    if tightened is None:  # cannot happen for consistent counts
        raise ValueError("the published counts contradict their sums")
    return tightened


# Bands a rate is given in when a count it comes from is hidden: wide enough to hold every value the published
# figures allow, and never narrower than these steps.
RATE_BANDS: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 0.9, 1.0)


def rate_band(low: float, high: float, edges: Sequence[float] = RATE_BANDS) -> tuple[float, float] | None:
    """The narrowest run of bands holding [low, high]; None when that is every band (the rate says nothing)."""
    lo = max(e for e in edges if e <= low + 1e-12)
    hi = min(e for e in edges if e >= high - 1e-12)
    if lo <= edges[0] and hi >= edges[-1]:
        return None
    return lo, hi


def band_label(band: tuple[float, float]) -> str:
    """'75–90%', 'up to 25%', '90% or more'."""
    lo, hi = band
    if lo <= 0:
        return f"up to {hi:.0%}"
    if hi >= 1:
        return f"{lo:.0%} or more"
    return f"{lo * 100:.0f}–{hi:.0%}"


@dataclass(frozen=True)
class SuppressedTable:
    """A count table after suppression: true values (for nothing but tests), status, and what to publish."""

    values: pd.DataFrame
    status: pd.DataFrame
    threshold: int = DEFAULT_THRESHOLD
    small_includes_zero: bool = True   # say so in the output's note when False: 'fewer than 5' then means 1-4

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
    return SuppressedTable(values=body, status=frame, threshold=threshold, small_includes_zero=status.small_includes_zero)


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
                           threshold=threshold, small_includes_zero=status.small_includes_zero)


# ------------------------------------------------------------------------------------------------ amounts


def amount_pupils(atoms: Sequence[Hashable], concerns: Mapping[Hashable, frozenset]) -> frozenset:
    """The pupils an amount is about: everyone on any of the atoms (interventions) it sums."""
    return frozenset().union(*(concerns.get(a, frozenset()) for a in atoms)) if atoms else frozenset()


MAX_AMOUNT_CELLS = 12  # the search below is over 3**n combinations of published amounts


def protect_amounts(cells: Mapping[Key, Sequence[Hashable]], concerns: Mapping[Hashable, frozenset],
                    threshold: int = DEFAULT_THRESHOLD) -> Statuses:
    """Status (shown / primary / secondary) of every amount of money (or staff hours) such that none concerning
    fewer than `threshold` pupils is published, directly or by difference.

    An amount is the sum of some atoms (for provision: each intervention's whole cost, or its hours) and concerns
    every pupil on them (`concerns`: atom -> pupils). The reasoning is the counts': primary, an amount about fewer
    than `threshold` pupils is hidden; secondary, the attacker adds and subtracts published amounts (every
    combination with coefficients -1, 0, 1: for a total and its parts, as for a kind and its interventions, these
    reach every amount the published figures determine), and any combination that leaves the atoms of fewer than
    `threshold` pupils (but some) gives an amount about them away; then the published amount in it about the fewest
    pupils is hidden too, and the search runs again. "A total and all but one of its parts" is one such combination;
    "a total and all but two parts about 4 pupils between them" is another."""
    atoms_of = {k: tuple(dict.fromkeys(v)) for k, v in cells.items()}
    if len(atoms_of) > MAX_AMOUNT_CELLS:
        raise ValueError(f"at most {MAX_AMOUNT_CELLS} amounts are protected together")
    pupils_of = {k: amount_pupils(a, concerns) for k, a in atoms_of.items()}
    status = Statuses({k: PRIMARY if len(pupils_of[k]) < threshold else SHOWN for k in atoms_of})
    while True:
        leak = _amount_leak([k for k, s in status.items() if s == SHOWN], atoms_of, concerns, threshold)
        if leak is None:
            return status
        pick = min(leak, key=lambda k: (len(pupils_of[k]), len(atoms_of[k]), str(k)))
        status[pick] = SECONDARY


def _amount_leak(shown: Sequence[Key], atoms_of: Mapping[Key, Sequence[Hashable]], concerns: Mapping[Hashable, frozenset],
                 threshold: int) -> list[Key] | None:
    """The published amounts of a combination that gives away an amount about 1 to threshold-1 pupils, or None."""
    from itertools import product

    for coeffs in product((0, 1, -1), repeat=len(shown)):
        used = [(k, c) for k, c in zip(shown, coeffs, strict=True) if c]
        if not used:
            continue
        weight: dict[Hashable, int] = {}
        for k, c in used:
            for a in atoms_of[k]:
                weight[a] = weight.get(a, 0) + c
        left = [a for a, w in weight.items() if w]
        about = amount_pupils(left, concerns)
        if 0 < len(about) < threshold:
            return [k for k, _ in used]
    return None
