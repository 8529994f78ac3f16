"""Benchmark issue 13's tracker shapes: review history and targets with scores in columns, against the same
records in the template's long sheets (the obvious alternative: the SENCo retypes the tracker into the template).

    .venv/bin/python benchmarks/bench_shapes.py [--pupils 400 50000] [--runs 3]

Each pupil has 3 review columns with progress beside them, a next review date, and 3 targets, each with a
baseline, a target score and 3 dated score columns: 3 reviews (+1 planned), 3 outcomes and 9 scores a pupil.
Both files hold exactly the same records; each import runs into a fresh database in this process, best of
--runs, and both must end with the same rows.

Measured 2026-12-01 on the 2-core machine (idle): 400 pupils 0.58 s from columns vs 0.71 s from the template
(0.82x); 50,000 pupils 5.09 s vs 7.24 s (0.70x), 50,000 / 200,000 / 150,000 / 450,000 rows, the same both ways.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

AS_OF = date(2026, 12, 1)
REVIEWS = [date(2026, 2, 3), date(2026, 6, 10), date(2026, 11, 10)]
SCORED = [date(2026, 3, 1), date(2026, 7, 1), date(2026, 11, 10)]
PROGRESS = ["Expected", "Less than expected", "More than expected"]


def _pupil(i: int) -> dict:
    return {"id": f"A{100000000000 + i}", "last": f"Surname{i}", "first": "Forename",
            "dob": date(2015, 9, 1) + timedelta(days=i % 365), "sen": "K" if i % 5 else "E", "need": "SPLD"}


def wide(path: Path, pupils: int) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Register")
    head = ["UPN", "Surname", "Forename", "DOB", "SEN", "Need"]
    for n in range(1, 4):
        head += [f"Review {n}", "Progress"]
    head.append("Next review due")
    for t in range(1, 4):
        head += [f"Target {t}", f"T{t} baseline", f"T{t} target"] + [f"T{t} score {d:%d/%m/%Y}" for d in SCORED]
    ws.append(head)
    for i in range(pupils):
        p = _pupil(i)
        row = [p["id"], p["last"], p["first"], p["dob"].strftime("%d/%m/%Y"), p["sen"], p["need"]]
        for n, d in enumerate(REVIEWS):
            row += [d.strftime("%d/%m/%Y"), PROGRESS[(i + n) % 3]]
        row.append("10/02/2027")
        for t in range(1, 4):
            row += [f"Target {t} of pupil {i}", 2, 8] + [2 + t + k for k in range(3)]
        ws.append(row)
    wb.save(path)


def template(path: Path, pupils: int) -> None:
    wb = Workbook(write_only=True)
    sheets = {name: wb.create_sheet(name) for name in ("Pupils", "Plans", "Reviews", "Outcomes", "Scores")}
    sheets["Pupils"].append(["Pupil ID", "Last name", "First name", "Date of birth", "SEN status", "Primary need"])
    sheets["Plans"].append(["Pupil ID", "Plan type"])
    sheets["Reviews"].append(["Pupil ID", "Plan type", "Review date", "Held", "Kind", "Progress", "Next review date"])
    sheets["Outcomes"].append(["Pupil ID", "Outcome ID", "Description", "Baseline", "Target"])
    sheets["Scores"].append(["Pupil ID", "Outcome ID", "Score date", "Score"])
    for i in range(pupils):
        p = _pupil(i)
        plan = "sen_support" if p["sen"] == "K" else "ehcp"
        kind = "termly" if plan == "sen_support" else "annual"
        sheets["Pupils"].append([p["id"], p["last"], p["first"], p["dob"].strftime("%d/%m/%Y"), p["sen"], p["need"]])
        sheets["Plans"].append([p["id"], plan])
        for n, d in enumerate(REVIEWS):
            sheets["Reviews"].append([p["id"], plan, d.strftime("%d/%m/%Y"), "Yes", kind, PROGRESS[(i + n) % 3],
                                      "10/02/2027" if n == 2 else None])
        sheets["Reviews"].append([p["id"], plan, "10/02/2027", "No", kind, None, None])
        for t in range(1, 4):
            sheets["Outcomes"].append([p["id"], f"Target {t}", f"Target {t} of pupil {i}", 2, 8])
            for k, d in enumerate(SCORED):
                sheets["Scores"].append([p["id"], f"Target {t}", d.strftime("%d/%m/%Y"), 2 + t + k])
    wb.save(path)


def measure(path: Path, runs: int) -> tuple[float, dict]:
    from senlib import store
    from senlib.importer import import_files

    best, counts = float("inf"), {}
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as d:
            con = store.connect(Path(d) / "b.duckdb")
            t0 = time.perf_counter()
            import_files(con, [(path.name, path.read_bytes())], setting="Bench", today=AS_OF)
            best = min(best, time.perf_counter() - t0)
            counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                      for t in ("pupils", "reviews", "outcomes", "scores")}
            con.close()
    return best, counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pupils", type=int, nargs="+", default=[400, 50_000])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    print(f"{'pupils':>8} {'columns (s)':>12} {'template (s)':>13} {'ratio':>6}   rows (pupils, reviews, outcomes, scores)")
    for n in args.pupils:
        with tempfile.TemporaryDirectory() as d:
            a, b = Path(d) / "register.xlsx", Path(d) / "template.xlsx"
            wide(a, n)
            template(b, n)
            ta, ca = measure(a, args.runs)
            tb, cb = measure(b, args.runs)
            same = "same" if ca == cb else f"DIFFER: {ca} vs {cb}"
            print(f"{n:>8,} {ta:>12.2f} {tb:>13.2f} {ta / tb:>6.2f}   {tuple(ca.values())} ({same})")


if __name__ == "__main__":
    main()
