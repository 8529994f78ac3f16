"""The record workbook (issue 17, item 3): made for a review scheduled in the app, filled in with openpyxl as a SENCo
would in Excel, uploaded through the normal pipeline: the review (held, moved if its date changed), attendance, views,
scores, decisions, actions and the next date in one import; the exact rows after; again changes nothing; undo puts
everything back."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest

from senlib.access import TRUSTED, Viewer
from senlib.core.errors import InputError
from senlib.importer import import_files, record_workbook, undo
from senlib.importer.pipeline import prepare
from tests.test_import_meetings import AMY_APP, BEN_APP, S, _db, _everything

AS_OF = date(2026, 12, 1)
MEETING = date(2027, 1, 14)


@pytest.fixture
def con(tmp_path):
    c = _db(tmp_path / "r.duckdb")
    # Ben's two outcomes, one scored before; a third achieved (not on the form)
    c.execute("""INSERT INTO outcomes (setting, pupil_id, outcome_id, area, description, baseline, target, status, import_id)
        VALUES (?, 'K1', 'O1', 'cognition_learning', 'Ben will read 50 high-frequency words', 2, 8, 'active', 1),
               (?, 'K1', 'O2', 'semh', 'Ben will ask for a break when he needs one', 3, 7, NULL, 1),
               (?, 'K1', 'O3', 'semh', 'Ben will line up calmly', 2, 6, 'achieved', 1)""", [S, S, S])
    c.execute("INSERT INTO scores VALUES (?, 'K1', 'O1', DATE '2026-07-10', 4, 1)", [S])
    yield c
    c.close()


def _sheet_rows(ws) -> list[list]:
    """Cells as written (openpyxl reads a date cell back as a datetime at midnight)."""
    def value(v):
        return v.date() if hasattr(v, "date") and getattr(v, "hour", None) == 0 else v

    return [[value(c.value) for c in row] for row in ws.iter_rows()]


def _fill(data: bytes) -> bytes:
    """What a SENCo types after Ben's meeting (held two days early, on 12/01/2027)."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    rv = wb["Reviews"]
    head = [c.value for c in rv[1]]

    def put(ws, heads, row, label, value):
        ws.cell(row, heads.index(label) + 1).value = value

    for label, value in [("Review date", date(2027, 1, 12)), ("Parent attended or contributed", "Yes"),
                         ("Child contributed", "Yes"), ("Parents' views", "Ben is happier coming to school"),
                         ("Child's views", "I like reading with Mrs Jones (talked with his TA before the meeting)"),
                         ("Attendance (%)", 94.5), ("Progress", "expected"), ("Decision", "maintain"),
                         ("Next review date", date(2027, 4, 22)), ("Notes", "Reading group to continue")]:
        put(rv, head, 3, label, value)
    sc = wb["Scores"]
    sh = [c.value for c in sc[1]]
    assert [r[sh.index("Outcome ID")] for r in _sheet_rows(sc)[2:]] == ["O1", "O2"]
    for r in range(3, 5):
        put(sc, sh, r, "Score date", date(2027, 1, 12))
    put(sc, sh, 3, "Score", 6)                          # O2 left unscored
    iv = wb["Invitees"]
    ih = [c.value for c in iv[1]]
    put(iv, ih, 3, "Attended", "Yes")
    ac = wb["Actions"]
    ah = [c.value for c in ac[1]]
    for r, (what, who, when) in enumerate([("Carry on the reading group three times a week", "Mrs Jones", date(2027, 4, 1)),
                                           ("Share the new targets with home", "Mrs Patel", date(2027, 1, 19)),
                                           ("Ask the EP for advice on reading", "Mrs Patel", date(2027, 2, 26))], start=3):
        put(ac, ah, r, "Action", what)
        put(ac, ah, r, "Who", who)
        put(ac, ah, r, "By when", when)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_the_workbook_is_prefilled_in_the_templates_format(con):
    wb = openpyxl.load_workbook(io.BytesIO(record_workbook(con.cursor(), S, BEN_APP, as_of=AS_OF, viewer=TRUSTED)))
    assert wb.sheetnames == ["Read me", "Reviews", "Scores", "Invitees", "Actions", "Lists"]
    reviews = _sheet_rows(wb["Reviews"])
    assert reviews[0] == ["Setting", "Pupil ID", "Plan type", "Review ID", "Review date", "Time", "Place", "Chair",
                          "Review kind", "Held", "Parent attended or contributed", "Child contributed", "Parents' views",
                          "Child's views", "Attendance (%)", "Progress", "Decision", "Next review date", "Notes"]
    assert reviews[2][:10] == [S, "K1", "sen_support", BEN_APP, MEETING, "15:30", "Room 4", "Mrs Patel", "termly", True]
    assert reviews[2][10:] == [None] * 9
    scores = _sheet_rows(wb["Scores"])
    assert scores[0] == ["Setting", "Pupil ID", "Outcome ID", "Score date", "Score", "Outcome (for reference)",
                         "Last score (for reference)"]
    assert scores[2:] == [[S, "K1", "O1", MEETING, None, "Ben will read 50 high-frequency words",
                           "4 on 10/07/2026 (scale 0 to 10)"],
                          [S, "K1", "O2", MEETING, None, "Ben will ask for a break when he needs one",
                           "none yet (scale 0 to 10)"]]
    assert _sheet_rows(wb["Invitees"])[2][:6] == [S, "K1", BEN_APP, "I1", "Mrs Carter", "parent_carer"]
    assert [r[3] for r in _sheet_rows(wb["Actions"])[2:]] == ["A1", "A2", "A3", "A4", "A5"]
    dropdowns = {str(d.sqref).split(":")[0] for d in wb["Reviews"].data_validations.dataValidation}
    assert {"J3", "K3", "P3", "Q3"} <= dropdowns     # held, parent attended, progress, decision
    assert "Upload page" in " ".join(str(r[0]) for r in _sheet_rows(wb["Read me"]))


def test_an_ehc_plan_review_has_the_report_and_pfa_columns(con):
    wb = openpyxl.load_workbook(io.BytesIO(record_workbook(con.cursor(), S, AMY_APP, as_of=AS_OF, viewer=TRUSTED)))
    from senlib.store.fields import field

    assert _sheet_rows(wb["Reviews"])[0][-2:] == [field("reviews", "report_sent").label, field("reviews", "pfa_covered").label]


def test_filled_in_and_uploaded_it_records_the_review_in_one_import(con):
    before = _everything(con)
    filled = _fill(record_workbook(con.cursor(), S, BEN_APP, as_of=AS_OF, viewer=TRUSTED))
    upload = prepare(con, [("Ben record.xlsx", filled)])
    questions = [(p.sheet, c.header, c.field) for _, p in upload.plans if p.entity for c in p.columns if c.field is None]
    assert questions == []                              # no mapping questions: every column is known or for reference
    r = import_files(con, [("Ben record.xlsx", filled)], setting=S, today=date(2027, 1, 13))
    (iid,) = r.import_ids
    assert r.errors.empty and r.warnings.empty, r.problems.to_dict("records")
    cols = ("pupil_id, plan_type, review_date, held, kind, parent_attended, child_contributed, progress, decision, "
            "next_review_date, notes, review_id, start_time, place, chair, parents_views, child_views, attendance, import_id")
    assert con.execute(f"SELECT {cols} FROM reviews WHERE pupil_id = 'K1' ORDER BY review_date").fetchall() == [
        ("K1", "sen_support", date(2026, 7, 10), True, "termly", None, None, "expected", None, None, None, None, None, None,
         None, None, None, None, 1),
        ("K1", "sen_support", date(2027, 1, 12), True, "termly", True, True, "expected", "maintain", date(2027, 4, 22),
         "Reading group to continue", BEN_APP, "15:30", "Room 4", "Mrs Patel", "Ben is happier coming to school",
         "I like reading with Mrs Jones (talked with his TA before the meeting)", 94.5, iid)]
    assert con.execute("SELECT * FROM scores WHERE pupil_id = 'K1' ORDER BY score_date").fetchall() == [
        (S, "K1", "O1", date(2026, 7, 10), 4.0, 1), (S, "K1", "O1", date(2027, 1, 12), 6.0, iid)]
    assert con.execute("SELECT * FROM review_invitees").fetchall() == [
        (S, "K1", BEN_APP, "I1", "Mrs Carter", "parent_carer", None, None, None, None, None, True, iid)]
    assert con.execute("SELECT * FROM review_actions ORDER BY action_id").fetchall() == [
        (S, "K1", BEN_APP, "A1", "Carry on the reading group three times a week", "Mrs Jones", date(2027, 4, 1), None, iid),
        (S, "K1", BEN_APP, "A2", "Share the new targets with home", "Mrs Patel", date(2027, 1, 19), None, iid),
        (S, "K1", BEN_APP, "A3", "Ask the EP for advice on reading", "Mrs Patel", date(2027, 2, 26), None, iid)]
    assert con.execute("SELECT count(*) FROM imports WHERE status = 'done'").fetchall() == [(3,)]
    after = _everything(con)
    again = import_files(con, [("Ben record.xlsx", filled)], setting=S, today=date(2027, 1, 13))
    assert all(v == {"added": 0, "changed": 0} for v in again.totals().values()) and _everything(con) == after
    undo(con, again.import_ids[0], viewer=TRUSTED)
    undo(con, iid, viewer=TRUSTED)
    assert _everything(con) == before


def test_the_command_line_imports_it_too(con, tmp_path, capsys):
    from senlib import store
    from senlib.cli import main

    path = tmp_path / "record.xlsx"
    path.write_bytes(_fill(record_workbook(con.cursor(), S, BEN_APP, as_of=AS_OF, viewer=TRUSTED)))
    con.close()
    assert main(["import", str(path), "--db", str(tmp_path / "r.duckdb"), "--setting", S]) == 0
    assert "Imported record.xlsx as import 3" in capsys.readouterr().out
    again = store.connect(tmp_path / "r.duckdb")
    assert again.execute("SELECT held, progress, review_date FROM reviews WHERE review_id = ?", [BEN_APP]).fetchall() == [
        (True, "expected", date(2027, 1, 12))]
    assert again.execute("SELECT count(*) FROM review_actions").fetchall() == [(3,)]
    again.close()


def test_unknown_review_and_viewer_without_access_are_refused(con):
    with pytest.raises(InputError, match="There is no review R-00000000"):
        record_workbook(con.cursor(), S, "R-00000000", as_of=AS_OF, viewer=TRUSTED)
    from senlib.access import AccessDenied

    other = Viewer("senco", "a@b", frozenset({"Another School"}))
    with pytest.raises(AccessDenied):
        record_workbook(con.cursor(), S, BEN_APP, as_of=AS_OF, viewer=other)


def test_the_upload_page_suggests_the_setting_the_workbook_names(con):
    """A record workbook has no Pupils sheet to match to a register: its Setting column names the setting."""
    from senlib.importer.matching import suggest_setting

    con.execute("INSERT INTO settings VALUES ('Another School', 'primary', NULL)")
    upload = prepare(con, [("record.xlsx", record_workbook(con, S, BEN_APP, as_of=AS_OF, viewer=TRUSTED))])
    assert suggest_setting(con, upload, [S, "Another School"], viewer=TRUSTED) == (
        S, "the files' Setting column names it")
