"""More sparse databases for the chart and page tests (issue 14, items 3 and 6), built on tests.sparse_corpus:
a setting whose register has no review date at all, a register where nobody is on SEN Support or has a plan, and
the sparse register with a few outcomes added (one scored once, the others never)."""

from __future__ import annotations

from pathlib import Path

from tests.import_corpus import xlsx
from tests.sparse_corpus import AS_OF, SETTING, make_db, register_rows


def make_undated_db(path: Path, pupils: int = 8) -> Path:
    """A register with Last review and Next review columns whose every cell is blank."""
    from senlib import store
    from senlib.importer import import_files

    rows = register_rows(pupils)
    for row in rows[4:4 + pupils]:
        row[5] = row[6] = ""
    con = store.connect(path)
    try:
        import_files(con, [("undated.xlsx", xlsx({"SEN register": rows}))], setting=SETTING, today=AS_OF)
    finally:
        con.close()
    return path


def make_no_sen_db(path: Path) -> Path:
    """The 20-pupil register, then nobody on SEN Support or with an EHC plan, and no plan in force."""
    from senlib import store

    make_db(path, 20)
    con = store.connect(path)
    try:
        con.execute("UPDATE pupils SET sen_status = 'N', primary_need = NULL")
        con.execute("DELETE FROM plans")
    finally:
        con.close()
    return path


def first_pupils(path: Path, n: int = 2) -> list[str]:
    from senlib import store

    con = store.connect(path)
    try:
        return [r[0] for r in con.execute("SELECT pupil_id FROM pupils ORDER BY pupil_id LIMIT ?", [n]).fetchall()]
    finally:
        con.close()


def make_outcomes_db(path: Path, pupils: int = 20) -> Path:
    """The sparse register with outcomes for two pupils: the first has O1 scored once and O2 never scored; the
    second has O1 never scored."""
    from senlib import store

    make_db(path, pupils)
    a, b = first_pupils(path, 2)
    con = store.connect(path)
    try:
        con.executemany(
            "INSERT INTO outcomes (setting, pupil_id, outcome_id, area, description, baseline, target, start_date, "
            "target_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [[SETTING, a, "O1", "communication_interaction", "Asks for help with words", 2, 8, "2026-09-07", "2027-07-16"],
             [SETTING, a, "O2", "semh", "Stays in class for a whole lesson", 3, 7, "2026-09-07", "2027-07-16"],
             [SETTING, b, "O1", "cognition_learning", "Reads simple CVC words", 1, 6, "2026-09-07", "2027-07-16"]])
        con.execute("INSERT INTO scores (setting, pupil_id, outcome_id, score_date, score) VALUES (?, ?, 'O1', ?, 4)",
                    [SETTING, a, "2026-11-20"])
    finally:
        con.close()
    return path
