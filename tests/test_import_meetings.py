"""Review meetings in the importer (issue 17): a review entered in the app against a tracker upload that disagrees
(the app's review stands, never silently), a review matched by its own id (moved, not duplicated; undo puts it
back), invitees and actions checked against their review, a meeting's time read from what Excel and SENCos write,
and the whole export with invitees and actions importing back to the same rows."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest

from senlib import store
from senlib.access import TRUSTED
from senlib.importer import ImportRefused, export_workbook, import_files, undo
from tests.import_corpus import csv_bytes

AS_OF = date(2026, 12, 1)
S = "Hollybank Primary"
BEN_APP, AMY_APP = "R-0A1B2C3D", "R-11111111"
REVIEW_COLS = ["pupil_id", "plan_type", "review_date", "held", "kind", "progress", "decision", "parent_attended",
               "next_review_date", "review_id", "start_time", "place", "import_id"]


def _db(path):
    """Import 1, a tracker: Ben (K1) reviewed 10/07/2026; Amy (E1) on an EHC plan. Import 2, a change made in the
    app: Ben's next review scheduled for 14/01/2027 at 15:30, and Amy's review of 20/11/2026 recorded (progress
    less, parent attended, no decision)."""
    con = store.connect(path)
    con.execute("INSERT INTO settings VALUES (?, 'primary', 'Northmoor Council')", [S])
    con.execute("INSERT INTO imports (user_name, file_name, setting, summary, warnings) "
                "VALUES ('senco', 'tracker.xlsx', ?, '{}', '[]')", [S])
    con.execute("""INSERT INTO pupils (setting, pupil_id, first_name, last_name, date_of_birth, year_group, sen_status,
                   primary_need, import_id) VALUES
        (?, 'E1', 'Amy', 'Brown', DATE '2016-05-04', '5', 'E', 'ASD', 1),
        (?, 'K1', 'Ben', 'Carter', DATE '2017-02-01', '4', 'K', 'SPLD', 1)""", [S, S])
    con.execute("""INSERT INTO plans (setting, pupil_id, plan_type, start_date, import_id) VALUES
        (?, 'E1', 'ehcp', DATE '2026-01-12', 1), (?, 'K1', 'sen_support', DATE '2025-09-08', 1)""", [S, S])
    con.execute("""INSERT INTO reviews (setting, pupil_id, plan_type, review_date, held, kind, progress, import_id)
        VALUES (?, 'K1', 'sen_support', DATE '2026-07-10', TRUE, 'termly', 'expected', 1)""", [S])
    con.execute("""INSERT INTO imports (user_name, file_name, setting, summary, warnings, origin)
        VALUES ('senco', 'Scheduled the review of Ben Carter', ?, '{}', '[]', 'app')""", [S])
    con.execute("""INSERT INTO reviews (setting, pupil_id, plan_type, review_date, held, kind, review_id, start_time, place,
                   chair, progress, parent_attended, import_id) VALUES
        (?, 'K1', 'sen_support', DATE '2027-01-14', FALSE, 'termly', ?, '15:30', 'Room 4', 'Mrs Patel', NULL, NULL, 2),
        (?, 'E1', 'ehcp', DATE '2026-11-20', TRUE, 'annual', ?, '10:00', 'Room 4', 'Mrs Patel', 'less', TRUE, 2)""",
                [S, BEN_APP, S, AMY_APP])
    con.execute("""INSERT INTO review_invitees (setting, pupil_id, review_id, invitee_id, name, role, import_id) VALUES
        (?, 'K1', ?, 'I1', 'Mrs Carter', 'parent_carer', 2)""", [S, BEN_APP])
    return con


@pytest.fixture
def con(tmp_path):
    c = _db(tmp_path / "m.duckdb")
    yield c
    c.close()


def _reviews(con) -> list[tuple]:
    return con.execute(f"SELECT {', '.join(REVIEW_COLS)} FROM reviews ORDER BY pupil_id, review_date").fetchall()


def _everything(con) -> dict[str, list]:
    def rows(t: str) -> list[str]:
        bookkeeping = "import_id, updated_at" if t == "pupils" else "import_id"
        return sorted(map(repr, con.execute(f"SELECT * EXCLUDE ({bookkeeping}) FROM {t}").fetchall()))

    return {t: rows(t) for t in ("pupils", "plans", "reviews", "outcomes", "scores", "review_invitees", "review_actions")}


TRACKER_HEAD = ["UPN", "Forename", "Surname", "DOB", "Year", "SEN", "Need", "Last review", "Progress", "Decision",
                "Parent attended", "Next review"]


def _tracker() -> bytes:
    """Ben: next review 19/01/2027 (the app has 14/01/2027); Amy: progress expected and parent not attending at the
    review of 20/11/2026 (the app recorded less, attended), and a decision the app left blank."""
    return csv_bytes([TRACKER_HEAD,
                      ["K1", "Ben", "Carter", "01/02/2017", "4", "K", "SPLD", "10/07/2026", "expected", "", "", "19/01/2027"],
                      ["E1", "Amy", "Brown", "04/05/2016", "5", "E", "ASD", "20/11/2026", "expected", "maintain", "No", ""]])


def test_tracker_that_disagrees_keeps_the_apps_review_and_says_so(con):
    before = _reviews(con)
    r = import_files(con, [("tracker.csv", _tracker())], setting=S, today=AS_OF)
    (iid,) = r.import_ids
    assert _reviews(con) == [
        # Amy: the app's progress and attendance stand; the decision the app left blank is filled from the tracker
        ("E1", "ehcp", date(2026, 11, 20), True, "annual", "less", "maintain", True, None, AMY_APP, "10:00", "Room 4", iid),
        # Ben: the held review gets the tracker's next date; the app's scheduled review stands, no 19/01/2027 review
        ("K1", "sen_support", date(2026, 7, 10), True, "termly", "expected", None, None, date(2027, 1, 19), None, None, None,
         iid),
        ("K1", "sen_support", date(2027, 1, 14), False, "termly", None, None, None, None, BEN_APP, "15:30", "Room 4", 2),
    ]
    kept = r.warnings[r.warnings["message"].str.contains("app")]
    assert kept[["sheet", "row", "column", "message", "fix"]].values.tolist() == [
        ["tracker", 2, "Next review",
         "The tracker plans the next review of Ben Carter (K1) for 19/01/2027, but a review is scheduled in the app for "
         "14/01/2027 (R-0A1B2C3D): the app's date stands and the tracker's planned review is not imported",
         "To move the review, change it on the Pupil page; to take the tracker's date, cancel the review scheduled in "
         "the app and upload again."],
        ["tracker", 3, "Parent attended",
         "The tracker has Parent attended or contributed \"No\" for the review of Amy Brown (E1) on 20/11/2026, but the "
         "review entered in the app (R-11111111) has \"Yes\": the app's value is kept",
         "To change it, change the review on the Pupil page (or fill in its record workbook and upload that); then "
         "correct the tracker so that the two agree."],
        ["tracker", 3, "Progress",
         "The tracker has Progress \"expected\" for the review of Amy Brown (E1) on 20/11/2026, but the review entered in "
         "the app (R-11111111) has \"less\": the app's value is kept",
         "To change it, change the review on the Pupil page (or fill in its record workbook and upload that); then "
         "correct the tracker so that the two agree."],
    ]
    after = _reviews(con)
    # the same warnings are the import's stored warnings (what the Upload page and the imports list read)
    stored = con.execute("SELECT warnings FROM imports WHERE import_id = ?", [iid]).fetchall()[0][0]
    assert "the app's date stands" in stored and "the app's value is kept" in stored
    # the same file again: nothing changes, and it still says so
    again = import_files(con, [("tracker.csv", _tracker())], setting=S, today=AS_OF)
    assert [row[:-1] for row in _reviews(con)] == [row[:-1] for row in after]
    assert again.totals()["reviews"] == {"added": 0, "changed": 0}
    assert again.warnings["message"].str.contains("the app's value is kept").sum() == 2
    undo(con, again.import_ids[0], viewer=TRUSTED)
    undo(con, iid, viewer=TRUSTED)
    assert _reviews(con) == before


def test_preview_check_shows_the_disagreements_and_writes_nothing(con):
    before = _everything(con)
    r = import_files(con, [("tracker.csv", _tracker())], setting=S, today=AS_OF, dry_run=True)
    assert r.dry_run and r.warnings["message"].str.contains("the app's date stands").sum() == 1
    assert _everything(con) == before


def _workbook(sheets: dict[str, list[list]]) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


REVIEWS_HEAD = ["Pupil ID", "Plan type", "Review ID", "Review date", "Time", "Held", "Progress", "Next review date"]


def test_a_review_named_by_its_id_moves_rather_than_doubles_and_undo_puts_it_back(con):
    before = _everything(con)
    data = _workbook({"Reviews": [REVIEWS_HEAD, ["K1", "sen_support", BEN_APP, date(2027, 1, 12), "2.30pm", "Yes",
                                                 "expected", date(2027, 4, 1)]]})
    r = import_files(con, [("record.xlsx", data)], setting=S, today=date(2027, 1, 12))
    (iid,) = r.import_ids
    rows = [x for x in _reviews(con) if x[0] == "K1"]
    assert rows == [
        ("K1", "sen_support", date(2026, 7, 10), True, "termly", "expected", None, None, None, None, None, None, 1),
        ("K1", "sen_support", date(2027, 1, 12), True, "termly", "expected", None, None, date(2027, 4, 1), BEN_APP, "14:30",
         "Room 4", iid),
    ]
    assert r.totals()["reviews"] == {"added": 0, "changed": 1}
    assert import_files(con, [("record.xlsx", data)], setting=S, today=date(2027, 1, 12)).totals()["reviews"] == \
        {"added": 0, "changed": 0}
    undo(con, iid + 1, viewer=TRUSTED)
    undo(con, iid, viewer=TRUSTED)
    assert _everything(con) == before


def test_a_review_moved_onto_a_date_the_tracker_planned_absorbs_that_review(con):
    con.execute("""INSERT INTO reviews (setting, pupil_id, plan_type, review_date, held, kind, import_id)
        VALUES (?, 'K1', 'sen_support', DATE '2027-01-19', FALSE, 'termly', 1)""", [S])
    before = _everything(con)
    data = _workbook({"Reviews": [REVIEWS_HEAD, ["K1", "sen_support", BEN_APP, date(2027, 1, 19), "", "No", "", ""]]})
    iid = import_files(con, [("record.xlsx", data)], setting=S, today=AS_OF).import_ids[0]
    assert [x[2:4] + x[9:10] for x in _reviews(con) if x[0] == "K1"] == [
        (date(2026, 7, 10), True, None), (date(2027, 1, 19), False, BEN_APP)]
    undo(con, iid, viewer=TRUSTED)
    assert _everything(con) == before


def test_unknown_review_ids_are_errors_with_the_fix(con):
    data = _workbook({
        "Reviews": [REVIEWS_HEAD, ["K1", "sen_support", "R-DEADBEEF", date(2027, 1, 12), "after school", "Yes", "", ""]],
        "Actions": [["Pupil ID", "Review ID", "Action ID", "Action", "Who", "By when"],
                    ["K1", "R-FFFFFFFF", "A1", "Share targets with class team", "Mrs Patel", date(2027, 2, 1)],
                    ["E1", BEN_APP, "A1", "Ask the EP for advice", "SENCo", date(2027, 2, 1)]]})
    with pytest.raises(ImportRefused) as exc:
        import_files(con, [("record.xlsx", data)], setting=S, today=AS_OF)
    errors = [(p.sheet, p.row, p.column, p.message, p.fix) for p in exc.value.problems if p.severity == "error"]
    assert ("Reviews", 2, "Review ID", "There is no review R-DEADBEEF for this pupil (K1) in the database",
            "Keep the Review ID the app gave (the record workbook of the review carries it), or clear the cell to record a "
            "review the app did not schedule; a review cancelled in the app is scheduled again on the Pupil page.") in errors
    assert ("Reviews", 2, "Time", "This is not a time the importer can read (time)",
            "Write the time the meeting starts as 14:30 or 2.30pm (one time, not a range), or use an Excel time.") in errors
    actions = sorted((row, message) for sheet, row, column, message, _ in errors if sheet == "Actions")
    assert actions == [
        (2, "This action is of review R-FFFFFFFF, but there is no review R-FFFFFFFF of pupil K1 in this upload or in the "
            "database"),
        (3, "This action is of review R-0A1B2C3D, but there is no review R-0A1B2C3D of pupil E1 in this upload or in the "
            "database")]


@pytest.mark.parametrize(("cell", "stored"), [
    ("14:30", "14:30"), ("2.30pm", "14:30"), ("2:30 pm", "14:30"), ("9am", "09:00"), ("noon", "12:00"),
    (0.6041666667, "14:30"), (__import__("datetime").time(9, 5), "09:05"),
    (__import__("datetime").datetime(2027, 1, 14, 15, 45), "15:45")])
def test_a_meetings_time_is_read_as_excel_and_senco_write_it(con, cell, stored):
    data = _workbook({"Reviews": [["Pupil ID", "Review ID", "Review date", "Time"], ["K1", BEN_APP, date(2027, 1, 14), cell]]})
    import_files(con, [("t.xlsx", data)], setting=S, today=AS_OF)
    assert con.execute("SELECT start_time FROM reviews WHERE review_id = ?", [BEN_APP]).fetchall() == [(stored,)]


def test_invitee_and_action_sheets_are_recognised_by_their_headings(con):
    from senlib.importer.headers import guess_entity
    from senlib.importer.synonyms import norm_key

    def kind(*headings: str) -> str:
        return guess_entity("Sheet1", [norm_key(h) for h in headings])

    assert kind("Pupil ID", "Invitee", "Role", "Response") == "review_invitees"
    assert kind("Pupil ID", "Action", "Who", "By when") == "review_actions"
    assert kind("UPN", "Name", "DOB", "Role", "Response") == "pupils"   # a register's own columns stay a register's
    data = _workbook({
        "Meeting people": [["Pupil ID", "Review ID", "Invitee ID", "Invitee", "Role", "Response", "Invited on"],
                           ["K1", BEN_APP, "I2", "Dr Shah", "Paediatrician", "Sending a report", "03/12/2026"]],
        "Agreed": [["Pupil ID", "Review ID", "Action ID", "Action", "Who", "By when"],
                   ["K1", BEN_APP, "A1", "Refer to SALT", "SENCo", date(2027, 2, 1)],
                   ["K1", BEN_APP, "A2", None, None, None]]})          # a blank action records nothing
    r = import_files(con, [("meeting.xlsx", data)], setting=S, today=AS_OF)
    iid = r.import_ids[0]
    assert r.errors.empty
    assert con.execute("SELECT * FROM review_invitees ORDER BY invitee_id").fetchall() == [
        (S, "K1", BEN_APP, "I1", "Mrs Carter", "parent_carer", None, None, None, None, None, None, 2),
        (S, "K1", BEN_APP, "I2", "Dr Shah", "health", None, None, "sending_report", date(2026, 12, 3), None, None, iid)]
    assert con.execute("SELECT * FROM review_actions").fetchall() == [
        (S, "K1", BEN_APP, "A1", "Refer to SALT", "SENCo", date(2027, 2, 1), None, iid)]


def test_the_whole_export_with_invitees_and_actions_imports_back_the_same(con, tmp_path):
    con.execute("""INSERT INTO review_actions (setting, pupil_id, review_id, action_id, action, owner, due_date, import_id)
        VALUES (?, 'E1', ?, 'A1', 'Send the review report to the council', 'Mrs Patel', DATE '2026-12-04', 2)""",
                [S, AMY_APP])
    data = export_workbook(con, viewer=TRUSTED)
    fresh = store.connect(tmp_path / "fresh.duckdb")
    import_files(fresh, [("export.xlsx", data)], today=AS_OF)
    assert _everything(fresh) == _everything(con)
    again = import_files(fresh, [("export.xlsx", data)], today=AS_OF)
    assert all(v == {"added": 0, "changed": 0} for v in again.totals().values())
    assert again.warnings.empty or not again.warnings["message"].str.contains("app").any()
    # and into the database it came from: nothing changes
    same = import_files(con, [("export.xlsx", data)], today=AS_OF)
    assert all(v == {"added": 0, "changed": 0} for v in same.totals().values())


def test_the_command_line_lists_the_disagreements(con, tmp_path, capsys):
    from senlib.cli import main

    path = tmp_path / "tracker.csv"
    path.write_bytes(_tracker())
    con.close()
    assert main(["import", str(path), "--db", str(tmp_path / "m.duckdb"), "--setting", S]) == 0
    out = capsys.readouterr().out
    assert "the app's date stands and the tracker's planned review is not imported" in out
    assert out.count("the app's value is kept") == 2
