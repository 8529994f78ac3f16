"""Trackers as most schools keep them (issue 14, item 6): one row per pupil with a last and a next review date and
little else: no plan start dates, no invitations or reports, no targets or scores. A 20-pupil primary register with
title rows, a key and a totals row, and a 60-pupil one; each imported into its own database the way the command line
would. Every page and chart is tested on these, not only on the rich demo.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from tests.import_corpus import SHAPES_AS_OF, xlsx

AS_OF = SHAPES_AS_OF  # 1 Dec 2026, a Tuesday of the autumn term
SETTING = "Hollybank Primary"
FIRST = ["Amelia", "Oliver", "Isla", "Noah", "Ava", "Leo", "Mia", "Arthur", "Freya", "Oscar", "Lily", "Theo", "Ivy",
         "Finley", "Rosie", "Jacob", "Evie", "Harrison", "Poppy", "Reuben", "Maisie", "Elijah", "Sienna", "Alfie"]
LAST = ["Ashworth", "Brennan", "Caldwell", "Dunmore", "Ellery", "Fairbairn", "Gillespie", "Hartigan", "Ingram", "Jolliffe",
        "Kettering", "Lambourne", "Merriman", "Northcott", "Oakley", "Pennington", "Quartermaine", "Rushworth", "Sandford",
        "Tennyson", "Underhill", "Vickery", "Whitlock", "Yardley"]
NEEDS = ["SLCN", "SLCN", "ASD", "SPLD", "MLD", "SEMH", "SEMH", "SPLD", "HI", "PD"]


def register_rows(pupils: int = 20, seed: int = 14) -> list[list]:
    """A register's rows: title, date line, blank, header, one row per pupil, a blank, a totals row and a key.
    About one pupil in seven has an EHC plan; one in eight has no next review date; one in ten no review yet; a few
    reviews are overdue (last review over a term ago and the next date passed)."""
    rng = random.Random(seed)
    rows: list[list] = [[f"{SETTING}: SEN register 2026-27"], ["Updated by the SENCo, November 2026"], [],
                        ["Name", "DOB", "Year", "SEN", "Primary need", "Last review", "Next review"]]
    counts = {"K": 0, "E": 0}
    for i in range(pupils):
        year = rng.randint(0, 6)
        born = date(2021 - year, 9, 1) + timedelta(days=rng.randint(0, 364))
        sen = "EHCP" if i % 7 == 3 else "SEN Support"
        counts["E" if sen == "EHCP" else "K"] += 1
        last: date | None = AS_OF - timedelta(days=rng.randint(10, 80))
        nxt: date | None = last + timedelta(days=(365 if sen == "EHCP" else 91))
        if i % 9 == 5:  # overdue: last review two terms ago, the next date passed
            last = AS_OF - timedelta(days=rng.randint(160, 220))
            nxt = last + timedelta(days=91)
        if i % 10 == 7:
            last = None
        if i % 8 == 6 or i == 17:  # pupil 17 has no review date at all
            nxt = None
        name = f"{FIRST[i % len(FIRST)]} {LAST[(i * 7) % len(LAST)]}"
        rows.append([name, born.strftime("%d/%m/%Y"), "Reception" if year == 0 else f"Year {year}", sen,
                     NEEDS[rng.randrange(len(NEEDS))], last.strftime("%d/%m/%Y") if last else "",
                     nxt.strftime("%d/%m/%Y") if nxt else ""])
    rows += [[], [f"Total: {pupils} pupils ({counts['K']} SEN Support, {counts['E']} EHCP)"],
             ["Key: SEN Support = K, EHCP = E"]]
    return rows


def register(pupils: int = 20, seed: int = 14) -> bytes:
    """The register as an .xlsx file with one sheet."""
    return xlsx({"SEN register": register_rows(pupils, seed)})


def make_db(path: Path, pupils: int = 20, seed: int = 14) -> Path:
    """A database holding only this school's sparse register, imported as of AS_OF."""
    from senlib import store
    from senlib.importer import import_files

    con = store.connect(path)
    try:
        import_files(con, [(f"sen-register-{pupils}.xlsx", register(pupils, seed))], setting=SETTING, today=AS_OF)
    finally:
        con.close()
    return path
