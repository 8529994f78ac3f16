"""Tracker shapes of issue 13, each with its exact expected result: review history in columns, review logs,
targets with their scaling scores in columns, and combinations of them."""

from __future__ import annotations

import json
from datetime import date

import pytest

from senlib import rules, store
from senlib.access import TRUSTED
from senlib.importer import ImportRefused, apply_mapping, import_files, prepare, remember_mapping, run, undo
from tests.import_corpus import (
    SHAPES_AS_OF,
    ipm_targets,
    other_spellings,
    review_log_csv,
    term_register,
    year_sheets_with_term_columns,
)

D = date


@pytest.fixture
def con(tmp_path):
    c = store.connect(tmp_path / "t.duckdb")
    yield c
    c.close()


def _reviews(con) -> list[tuple]:
    return con.execute("""SELECT p.first_name, r.plan_type, r.review_date, r.held, r.progress
        FROM reviews r JOIN pupils p USING (setting, pupil_id) ORDER BY p.first_name, r.review_date""").fetchall()


def _statuses(con, as_of=SHAPES_AS_OF) -> dict[str, tuple]:
    df = rules.pupil_status(con.cursor(), as_of, viewer=TRUSTED)
    return {r["first_name"]: (r["status"], r["due_date"].date() if r["due_date"] is not None and r["due_date"] == r["due_date"]
                              else None) for r in df.to_dict("records")}


# ---- A column per term's review --------------------------------------------------------------------


def test_term_columns_are_recognised_in_the_preview(con):
    up = prepare(con, [("register.xlsx", term_register())])
    plan = up.plans[0][1]
    assert {c.header: c.field for c in plan.columns if c.field} == {
        "Pupil name": "name", "DOB": "date_of_birth", "Year": "year_group", "SEN": "sen_status", "Need": "primary_need",
        "Review 1 (Summer term)": "history_review_date", "Progress": "history_progress",
        "Review 2 (Autumn term)": "history_review_date", "Progress (2)": "history_progress",
        "Next review due": "next_review_date"}
    from senlib.importer import recognised_lines

    lines = recognised_lines(up, 0, plan)
    assert lines[0].startswith("Review history: 2 columns ('Review 1 (Summer term)', 'Review 2 (Autumn term)')")
    assert "progress, attendance or decision beside 2 of them" in lines[0]


def test_term_columns_become_reviews_and_the_verdicts_are_right(con):
    r = import_files(con, [("register.xlsx", term_register())], setting="Brook", today=SHAPES_AS_OF)
    assert r.errors.empty
    assert _reviews(con) == [
        ("Amy", "ehcp", D(2026, 2, 3), True, "expected"),
        ("Amy", "ehcp", D(2027, 2, 3), False, None),
        ("Ben", "sen_support", D(2026, 6, 10), True, "expected"),
        ("Ben", "sen_support", D(2026, 11, 24), True, "less"),
        ("Ben", "sen_support", D(2027, 2, 24), False, None),
        ("Cara", "ehcp", D(2026, 7, 5), True, None),
        ("Eve", "sen_support", D(2026, 4, 1), True, "less"),
    ]
    # the next review date is the one agreed at the latest review held
    assert con.execute("""SELECT next_review_date FROM reviews r JOIN pupils p USING (setting, pupil_id)
        WHERE p.first_name = 'Ben' AND r.review_date = DATE '2026-11-24'""").fetchall() == [(D(2027, 2, 24),)]
    assert _statuses(con) == {
        "Amy": ("on_track", D(2027, 2, 3)),          # EHC plan reviewed ten months ago: annual review due in February
        "Ben": ("on_track", D(2027, 3, 24)),         # reviewed last week: four months on
        "Cara": ("due_soon", D(2027, 1, 5)),         # under 5: six months on, in five weeks
        "Dev": ("no_review_date", None),             # nothing recorded: not "overdue"
        "Eve": ("overdue", D(2026, 8, 1)),
    }


def test_next_terms_register_adds_one_review_per_pupil_and_undo_takes_it_back(con):
    first = import_files(con, [("register.xlsx", term_register())], setting="Brook", today=SHAPES_AS_OF)
    before = _reviews(con)
    pupils_before = con.execute("SELECT * EXCLUDE (updated_at) FROM pupils ORDER BY pupil_id").fetchall()
    later = D(2027, 3, 20)
    second = import_files(con, [("register.xlsx", term_register(third_term=True))], setting="Brook", today=later)
    t = second.totals()
    assert t["reviews"] == {"added": 5, "changed": 0}
    assert t["pupils"] == {"added": 0, "changed": 0} and t["outcomes"] == {"added": 0, "changed": 0}
    added = sorted(set(_reviews(con)) - set(before))
    assert [(n, d) for n, _, d, held, _ in added] == [
        ("Amy", D(2027, 2, 2)), ("Ben", D(2027, 2, 22)), ("Cara", D(2027, 1, 4)), ("Dev", D(2027, 3, 10)),
        ("Eve", D(2027, 3, 1))]
    assert all(held for *_, held, _ in added)
    assert con.execute("SELECT * EXCLUDE (updated_at) FROM pupils ORDER BY pupil_id").fetchall() == pupils_before
    undo(con, second.import_ids[0], viewer=TRUSTED)
    assert _reviews(con) == before
    assert first.import_ids[0] < second.import_ids[0]


def test_re_importing_the_same_register_changes_nothing(con):
    import_files(con, [("register.xlsx", term_register())], setting="Brook", today=SHAPES_AS_OF)
    again = import_files(con, [("register.xlsx", term_register())], setting="Brook", today=SHAPES_AS_OF)
    assert all(c == {"added": 0, "changed": 0} for c in again.totals().values())


def test_a_sheet_per_year_group_with_review_columns_named_by_term(con):
    up = prepare(con, [("tracker.xlsx", year_sheets_with_term_columns())])
    for _, plan in up.plans:
        assert [c.field for c in plan.columns if c.header.startswith(("Autumn", "Spring", "Summer"))] == [
            "history_review_date", "history_progress"] * 3
    import_files(con, [("tracker.xlsx", year_sheets_with_term_columns())], setting="High", today=SHAPES_AS_OF)
    assert _reviews(con) == [
        ("Jo", "sen_support", D(2025, 10, 1), True, "expected"),
        ("Jo", "sen_support", D(2026, 1, 20), True, "more"),
        ("Jo", "sen_support", D(2026, 6, 10), True, "expected"),
        ("Li", "sen_support", D(2025, 10, 2), True, "less"),
    ]
    assert _statuses(con) == {"Jo": ("overdue", D(2026, 10, 10)), "Li": ("overdue", D(2026, 2, 2))}


def test_review_history_written_other_ways(con):
    up = prepare(con, [("log.csv", other_spellings())])
    fields = {c.header: c.field for c in up.plans[0][1].columns}
    assert fields == {"Pupil ID": "pupil_id", "Child's name": "name", "D.O.B": "date_of_birth", "Stage": "sen_status",
                      "APDR 1": "history_review_date", "APDR 1 outcome": "history_decision",
                      "Review date (Spring)": "history_review_date", "Aut 1": "history_review_date",
                      "Sum 2": "history_review_date"}
    import_files(con, [("log.csv", other_spellings())], setting="S", today=SHAPES_AS_OF)
    assert con.execute("SELECT review_date, held, decision FROM reviews ORDER BY 1").fetchall() == [
        (D(2025, 9, 12), True, "maintain"), (D(2025, 10, 20), True, None), (D(2026, 3, 15), True, None),
        (D(2026, 7, 15), True, None)]


def test_an_unreadable_review_date_names_its_column(con):
    from tests.import_corpus import csv_bytes

    data = csv_bytes([["Name", "DOB", "SEN", "Review 1", "Review 2"], ["Jo Bloggs", "04/03/2015", "K", "01/10/2025", "31/02/2026"]])
    with pytest.raises(ImportRefused) as info:
        import_files(con, [("t.csv", data)], setting="S", today=SHAPES_AS_OF)
    err = info.value.errors[0]
    assert (err.sheet, err.row, err.column, err.value) == ("t", 2, "Review 2", "31/02/2026")
    assert "not a date" in err.message
    assert con.execute("SELECT count(*) FROM pupils").fetchall() == [(0,)]


# ---- A review log: one row per review ---------------------------------------------------------------


def test_review_log_rows_are_one_pupil_and_each_review_is_kept(con):
    r = import_files(con, [("log.csv", review_log_csv())], setting="Brook", today=SHAPES_AS_OF)
    assert r.errors.empty
    assert con.execute("SELECT first_name, year_group, primary_need FROM pupils ORDER BY 1").fetchall() == [
        ("Amy", "5", "SLCN"), ("Ben", "5", "SPLD")]
    assert con.execute("""SELECT p.first_name, r.review_date, r.held, r.progress, r.parent_attended FROM reviews r
        JOIN pupils p USING (setting, pupil_id) ORDER BY 1, 2""").fetchall() == [
        ("Amy", D(2026, 2, 3), True, "expected", True),
        ("Amy", D(2027, 2, 3), False, None, None),
        ("Ben", D(2026, 1, 20), True, "expected", True),
        ("Ben", D(2026, 4, 22), True, "less", False),
        ("Ben", D(2026, 9, 24), True, "less", True),
        ("Ben", D(2026, 12, 24), False, None, None),   # only the latest row's next date: the older ones were held
    ]
    msgs = r.warnings["message"].tolist()
    assert ("Pupil DOE-BEN-20160512 is on 3 rows (log row 2, log row 3, log row 5) that differ in year group: the row "
            "with the latest review date (log row 5) is used for them") in msgs
    assert not any("appears" in m for m in msgs)
    # Ben's last two reviews were judged less than expected: the graduated response says consider a PCP / MSP
    flags = rules.pupil_status(con.cursor(), SHAPES_AS_OF, viewer=TRUSTED).set_index("first_name")["flags"]
    assert "consider_pcp_msp" in list(flags["Ben"])


def test_the_preview_says_a_review_log_has_rows_per_pupil(con):
    from senlib.importer import recognised_lines

    up = prepare(con, [("log.csv", review_log_csv())])
    assert recognised_lines(up, 0, up.plans[0][1]) == [
        "Rows per pupil: 4 rows for 2 pupils (a review log). A pupil's rows are combined into one pupil when their details "
        "agree, and each row's review is kept; where year group, need or SEN status differ, the row with the latest review "
        "date is used."]


def test_review_log_from_the_command_line_and_the_page_path_agree(con, tmp_path):
    via_cli = import_files(con, [("log.csv", review_log_csv())], setting="Brook", today=SHAPES_AS_OF)
    cli_rows = _reviews(con)
    other = store.connect(tmp_path / "page.duckdb")
    up = prepare(other, [("log.csv", review_log_csv())])
    via_page = run(other, up, setting="Brook", today=SHAPES_AS_OF, user="senco")
    assert _reviews(other) == cli_rows
    assert via_page.totals() == via_cli.totals()
    other.close()


# ---- Targets with their scores in columns -----------------------------------------------------------


def test_score_columns_named_by_a_term_need_a_date(con):
    with pytest.raises(ImportRefused) as info:
        import_files(con, [("ipm.xlsx", ipm_targets())], setting="Brook", today=SHAPES_AS_OF)
    assert "2 score column(s) need the date the scores were given (sheet 'IPM' of ipm.xlsx: 'T2 Autumn 1', " \
           "'T2 Autumn 2')" in info.value.message
    assert [e.column for e in info.value.errors] == ["T2 Autumn 1", "T2 Autumn 2"]
    assert con.execute("SELECT count(*) FROM imports").fetchall() == [(0,)]


def _give_dates(con, data: bytes):
    up = prepare(con, [("ipm.xlsx", data)])
    plan = up.plans[0][1]
    apply_mapping(plan, {**plan.mapping, "__dates__": {"T2 Autumn 1": "2026-10-20", "T2 Autumn 2": "2026-12-18"}})
    remember_mapping(con, plan)
    return up


def test_targets_and_scores_from_columns(con):
    up = _give_dates(con, ipm_targets())
    r = run(con, up, setting="Brook", today=D(2026, 12, 20))
    assert r.errors.empty, r.errors.to_dict("records")
    t1, t2, greet = "Target 1", "Target 2", "Target 1"
    assert con.execute("""SELECT pupil_id, outcome_id, area, description, baseline, target, scale_min, scale_max, status
        FROM outcomes ORDER BY 1, 2""").fetchall() == sorted([
        ("U1", t1, "cognition_learning", "Read 20 high-frequency words", 2.0, 8.0, 0.0, 10.0, None),
        ("U1", t2, None, "Sit at the table for 10 minutes", 1.0, None, 0.0, 10.0, None),
        ("U2", greet, "communication_interaction", "Greet an adult each morning", 3.0, 9.0, 0.0, 10.0, None)])
    assert con.execute("SELECT pupil_id, outcome_id, score_date, score FROM scores ORDER BY 1, 2, 3").fetchall() == sorted([
        ("U1", t1, D(2026, 10, 1), 4.0), ("U1", t1, D(2026, 11, 20), 4.0),
        ("U1", t2, D(2026, 10, 20), 3.0), ("U1", t2, D(2026, 12, 18), 5.0),
        ("U2", greet, D(2026, 10, 1), 5.0), ("U2", greet, D(2026, 11, 20), 6.0)])
    # the stalled-outcome rule fires on target 1 (4 then 4), not on the others
    progress = rules.outcome_progress(con.cursor(), D(2026, 12, 20), viewer=TRUSTED).set_index(["pupil_id", "outcome_id"])["stalled"]
    assert progress.to_dict() == {("U1", t1): True, ("U1", t2): False, ("U2", greet): False}
    flags = rules.pupil_status(con.cursor(), D(2026, 12, 20), viewer=TRUSTED).set_index("pupil_id")["flags"]
    assert "stalled_outcome" in list(flags["U1"]) and "stalled_outcome" not in list(flags["U2"])
    # the last reviews recorded no progress: it is judged from the scores in the columns (+2 and +3 on 0-10)
    judged = rules.review_quality(con.cursor(), D(2026, 12, 20), viewer=TRUSTED)
    assert judged[["pupil_id", "progress", "progress_source"]].values.tolist() == [["U1", "more", "derived"],
                                                                                  ["U2", "more", "derived"]]


def test_remembered_dates_let_the_command_line_import_and_next_terms_file(con):
    _give_dates(con, ipm_targets())
    import_files(con, [("ipm.xlsx", ipm_targets())], setting="Brook", today=D(2026, 12, 20))  # the remembered mapping
    assert con.execute("SELECT count(*) FROM scores").fetchall() == [(6,)]
    # next term: a new score column dated in its heading, and new text in target 1 for Sam: a new outcome
    nxt = import_files(con, [("ipm.xlsx", ipm_targets("Read 40 high-frequency words", winter=True))], setting="Brook",
                       today=D(2027, 1, 20))
    old, new = "Target 1", "Target 1 (2)"
    assert con.execute("SELECT outcome_id, description, status FROM outcomes WHERE pupil_id = 'U1' AND outcome_id LIKE 'Target 1%' "
                       "ORDER BY 1").fetchall() == [(old, "Read 20 high-frequency words", "discontinued"),
                                                    (new, "Read 40 high-frequency words", None)]
    assert nxt.totals()["outcomes"] == {"added": 1, "changed": 1}
    # the old outcome keeps its scores; the new one has the scores its row gives it
    assert set(con.execute("SELECT outcome_id, score_date, score FROM scores WHERE pupil_id = 'U1' AND outcome_id LIKE 'Target 1%'"
                           ).fetchall()) == {(old, D(2026, 10, 1), 4.0), (old, D(2026, 11, 20), 4.0),
                                             (new, D(2026, 10, 1), 4.0), (new, D(2026, 11, 20), 4.0),
                                             (new, D(2027, 1, 15), 5.0)}
    undo(con, nxt.import_ids[0], viewer=TRUSTED)
    assert con.execute("SELECT outcome_id, status FROM outcomes WHERE pupil_id = 'U1' AND outcome_id LIKE 'Target 1%'"
                       ).fetchall() == [(old, None)]
    assert con.execute("SELECT count(*) FROM scores").fetchall() == [(6,)]


def test_the_preview_gives_each_term_column_a_date(con):
    from senlib.importer import score_columns, set_score_dates, undated_score_columns

    up = prepare(con, [("ipm.xlsx", ipm_targets())])
    plan = up.plans[0][1]
    assert score_columns(plan) == [("T1 score 01/10/2026", D(2026, 10, 1)), ("T1 score 20/11/2026", D(2026, 11, 20)),
                                   ("T2 Autumn 1", None), ("T2 Autumn 2", None)]
    assert undated_score_columns(plan) == ["T2 Autumn 1", "T2 Autumn 2"]
    assert set_score_dates(plan, {"T2 Autumn 1": D(2026, 10, 20), "T2 Autumn 2": D(2026, 12, 18)})
    assert not set_score_dates(plan, {"T2 Autumn 1": D(2026, 10, 20)})
    assert undated_score_columns(plan) == []
    remember_mapping(con, plan)
    # remembered by heading: next term's file, with another column added (new headings), needs only the new date
    nxt = prepare(con, [("ipm.xlsx", ipm_targets(winter=True))])
    assert score_columns(nxt.plans[0][1])[2:] == [("T1 score 15/01/2027", D(2027, 1, 15)), ("T2 Autumn 1", D(2026, 10, 20)),
                                                  ("T2 Autumn 2", D(2026, 12, 18))]
    assert json.loads(json.dumps(plan.mapping))["__dates__"] == {"T1 score 01/10/2026": "2026-10-01",
                                                                "T1 score 20/11/2026": "2026-11-20",
                                                                "T2 Autumn 1": "2026-10-20", "T2 Autumn 2": "2026-12-18"}


def test_a_review_column_the_importer_missed_is_mapped_in_the_preview_and_remembered(con):
    from senlib.importer import edit_mapping, mapping_frame
    from tests.import_corpus import csv_bytes

    data = csv_bytes([["Name", "DOB", "SEN", "Catch-up 1", "Catch-up 2"],
                      ["Jo Bloggs", "04/03/2015", "K", "01/10/2026", "20/11/2026"]])
    up = prepare(con, [("t.csv", data)])
    plan = up.plans[0][1]
    assert [c.field for c in plan.columns][3:] == [None, None]     # kept as extra columns
    frame = mapping_frame(up, 0, plan)
    frame.loc[frame["Heading"].str.startswith("Catch-up"), "Maps to"] = "A review's date (one column per review)"
    assert edit_mapping(plan, frame)
    remember_mapping(con, plan)
    run(con, up, setting="S", today=SHAPES_AS_OF)
    assert con.execute("SELECT review_date, held FROM reviews ORDER BY 1").fetchall() == [(D(2026, 10, 1), True),
                                                                                        (D(2026, 11, 20), True)]
    again = prepare(con, [("t.csv", data)])
    assert again.plans[0][1].remembered and [c.field for c in again.plans[0][1].columns][3:] == ["history_review_date"] * 2
