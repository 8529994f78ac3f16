"""A small school for the review-meeting tests: three pupils, built by SQL, as of Tuesday 1 December 2026.

E1 Amy Brown    EHC plan issued 12 Jan 2026 (Northmoor Council), two outcomes scored on 0-10; key worker Mrs Khan.
K1 Ben Carter   SEN Support since 8 Sep 2025, last reviewed 10 Jul 2026; the tracker plans his next review for
                19 Jan 2027 (a planned row, held No, written by import 1).
K2 Cara Dale    SEN Support, no reviews recorded.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from senlib import store

AS_OF = date(2026, 12, 1)
SETTING = "Hollybank Primary"
COUNCIL = "Northmoor Council"


def build(path: Path) -> duckdb.DuckDBPyConnection:
    con = store.connect(path)
    con.execute("INSERT INTO settings VALUES (?, 'primary', ?)", [SETTING, COUNCIL])
    con.execute("""INSERT INTO imports (user_name, file_name, setting, summary, warnings)
        VALUES ('senco', 'tracker.xlsx', ?, '{}', '[]')""", [SETTING])  # import 1
    pupils = [("E1", "Amy", "Brown", date(2016, 5, 4), "5", "E", "ASD", COUNCIL, "Mrs Khan"),
              ("K1", "Ben", "Carter", date(2017, 2, 1), "4", "K", "SPLD", None, None),
              ("K2", "Cara", "Dale", date(2018, 9, 9), "3", "K", "SLCN", None, None)]
    for pid, first, last, dob, year, status, need, la, kw in pupils:
        con.execute("""INSERT INTO pupils (setting, pupil_id, first_name, last_name, date_of_birth, year_group,
            sen_status, primary_need, local_authority, key_worker, import_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)""",
                    [SETTING, pid, first, last, dob, year, status, need, la, kw])
    con.execute("""INSERT INTO plans (setting, pupil_id, plan_type, start_date, local_authority, import_id) VALUES
        (?, 'E1', 'ehcp', DATE '2026-01-12', ?, 1), (?, 'K1', 'sen_support', DATE '2025-09-08', NULL, 1),
        (?, 'K2', 'sen_support', DATE '2026-09-07', NULL, 1)""", [SETTING, COUNCIL, SETTING, SETTING])
    con.execute("""INSERT INTO reviews (setting, pupil_id, plan_type, review_date, held, kind, import_id) VALUES
        (?, 'K1', 'sen_support', DATE '2026-07-10', TRUE, 'termly', 1),
        (?, 'K1', 'sen_support', DATE '2027-01-19', FALSE, 'termly', 1)""", [SETTING, SETTING])
    con.execute("""INSERT INTO outcomes (setting, pupil_id, outcome_id, area, description, baseline, target, start_date,
            status, import_id) VALUES
        (?, 'E1', 'O1', 'communication_interaction', 'Amy will ask an adult for help using her words', 2, 8,
         DATE '2026-01-12', 'active', 1),
        (?, 'E1', 'O2', 'semh', 'Amy will name how she feels and choose a calming strategy', 3, 7,
         DATE '2026-01-12', 'active', 1)""", [SETTING, SETTING])
    con.execute("""INSERT INTO scores (setting, pupil_id, outcome_id, score_date, score, import_id) VALUES
        (?, 'E1', 'O1', DATE '2026-07-08', 5, 1), (?, 'E1', 'O2', DATE '2026-07-08', 4, 1)""", [SETTING, SETTING])
    return con
