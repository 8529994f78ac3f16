"""Bad files and bad values: a specific message a SENCo understands, no traceback, nothing written."""

from __future__ import annotations

import os
from datetime import date

import pytest

from senlib import store
from senlib.importer import ImportRefused, import_files, rejected_workbook
from tests.import_corpus import AS_OF, csv_bytes, encrypted_xlsx, xlsx, zip_bomb

TABLES = ["pupils", "plans", "reviews", "outcomes", "scores", "ehc_requests", "imports", "pupil_changes", "import_row_changes",
          "settings", "audit"]


@pytest.fixture
def con(tmp_path):
    c = store.connect(tmp_path / "t.duckdb")
    yield c
    c.close()


def counts(con) -> dict[str, int]:
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in TABLES}


def refused(con, name, data, **kw) -> ImportRefused:
    before = counts(con)
    with pytest.raises(ImportRefused) as info:
        import_files(con, [(name, data)], setting="S", today=AS_OF, **kw)
    assert counts(con) == before
    return info.value


@pytest.mark.parametrize("name,data,words", [
    ("register.xlsx", b"", "empty"),
    ("register.xlsx", os.urandom(4000).replace(b"\0", b"\1").replace(b"PK", b"pk")[:4000], "not a spreadsheet"),
    ("register.xlsx", b"UPN,Name\nA1,Jo Bloggs\n", "really a CSV"),
    ("register.xls", b"<html><table><tr><td>UPN</td></tr></table></html>", "web page"),
    ("register.xlsx", b"PK\x03\x04garbage that is not a zip", "damaged"),
])
def test_not_a_spreadsheet(con, name, data, words):
    exc = refused(con, name, data)
    assert words in exc.message
    assert exc.fix


def test_password_protected(con):
    exc = refused(con, "register.xlsx", encrypted_xlsx())
    assert "password" in exc.message and "Encrypt with Password" in exc.fix


def test_too_big(con):
    exc = refused(con, "register.xlsx", xlsx({"R": [["UPN", "Name"], ["A1", "Jo"]]}), max_bytes=1000)
    assert "too big" in exc.message and "split it" in exc.fix


def test_zip_bomb(con):
    exc = refused(con, "register.xlsx", zip_bomb())
    assert "zip bomb" in exc.message


def test_no_recognisable_header(con):
    data = xlsx({"Notes": [["Minutes of the SEN meeting"], ["Attendees", "Mrs Jones"]], "Sheet2": [[1, 2, 3], [4, 5, 6]]})
    exc = refused(con, "notes.xlsx", data)
    assert "header row" in exc.message and "'Notes'" in exc.message and "template" in exc.fix


def test_empty_sheets(con):
    exc = refused(con, "blank.xlsx", xlsx({"Sheet1": []}))
    assert "no data" in exc.message or "header" in exc.message


def _rows(*rows):
    return csv_bytes([["UPN", "Name", "DOB", "SEN status", "Primary need", "Last review"], *rows])


def test_duplicate_ids_with_conflicting_data(con):
    """Two dates of birth for one id is a true conflict: both rows are refused."""
    exc = refused(con, "t.csv", _rows(["P1", "Jo Bloggs", "04/03/2015", "K", "ASD", ""], ["P1", "Jo Bloggs", "05/03/2015", "K", "ASD", ""]))
    errs = [p for p in exc.errors if "appears 2 times" in p.message]
    assert [p.row for p in errs] == [2, 3]
    assert "different details" in errs[0].message and "t row 2, t row 3" in errs[0].message
    assert errs[0].message.endswith("two different dates of birth")


def test_duplicate_ids_with_a_changed_status_take_the_lower_row(con):
    """SEN status may change between rows of one pupil: no review dates, so the lower row wins, with a warning."""
    r = import_files(con, [("t.csv", _rows(["P1", "Jo Bloggs", "04/03/2015", "K", "ASD", ""],
                                            ["P1", "Jo Bloggs", "04/03/2015", "E", "", ""]))], setting="S", today=AS_OF)
    assert con.execute("SELECT sen_status, primary_need FROM pupils").fetchall() == [("E", "ASD")]  # blank is no disagreement
    w = r.warnings[r.warnings["message"].str.contains("differ in")]
    assert w["message"].tolist() == ["Pupil P1 is on 2 rows (t row 2, t row 3) that differ in SEN status: the row with "
                                     "the latest review date (t row 3) is used for them"]


def test_duplicate_ids_with_identical_data_are_imported_once(con):
    r = import_files(con, [("t.csv", _rows(["P1", "Jo Bloggs", "04/03/2015", "K", "ASD", ""]) + b"P1,Jo Bloggs,04/03/2015,K,ASD,\r\n")],
                     setting="S", today=AS_OF)
    assert counts(con)["pupils"] == 1
    assert "same details" in r.warnings["message"].iloc[0]


@pytest.mark.parametrize("row,column,words", [
    (["P1", "Jo Bloggs", "04/03/2031", "K", "ASD", ""], "DOB", "in the future"),
    (["P1", "Jo Bloggs", "04/03/2015", "K", "ASD", "01/01/2014"], "Last review", "before the pupil's date of birth"),
    (["P1", "Jo Bloggs", "31/02/2015", "K", "ASD", ""], "DOB", "not a date"),
    (["P1", "Jo Bloggs", "04/03/1901", "K", "ASD", ""], "DOB", "over 30"),
    (["P1", "Jo Bloggs", "04/03/2015", "Q", "ASD", ""], "SEN status", "Unknown sen status"),
    (["P1", "Jo Bloggs", "04/03/2015", "K", "Wibble", ""], "Primary need", "Unknown primary need"),
    (["P1", "Jo Bloggs", "04/03/2015", "K", "ASD", "13/13/2025"], "Last review", "not a date"),
    (["", "Jo Bloggs", "04/03/2015", "K", "ASD", ""], "UPN", "no pupil id"),
])
def test_bad_values_name_sheet_row_column_value_and_fix(con, row, column, words):
    exc = refused(con, "t.csv", _rows(row))
    p = next(p for p in exc.errors if words in p.message)
    assert (p.file, p.sheet, p.row, p.column) == ("t.csv", "t", 2, column)
    assert p.fix
    assert "row 2" in str(exc.problems[0]) or "row 2" in p.place


def test_unknown_code_fix_lists_the_codes(con):
    exc = refused(con, "t.csv", _rows(["P1", "Jo Bloggs", "04/03/2015", "Q", "ASD", ""]))
    assert "K (SEN Support)" in exc.errors[0].fix and exc.errors[0].value == "Q"


def test_valid_rows_only_and_rejected_rows_file(con):
    data = _rows(["P1", "Jo Bloggs", "04/03/2015", "K", "ASD", ""], ["P2", "Al Bloggs", "31/02/2015", "K", "ASD", ""],
                 ["P3", "Ed Bloggs", "04/03/2016", "K", "Autism", ""])
    refused(con, "t.csv", data)
    r = import_files(con, [("t.csv", data)], setting="S", today=AS_OF, accept_valid_rows=True)
    assert [x[0] for x in con.execute("SELECT pupil_id FROM pupils ORDER BY 1").fetchall()] == ["P1", "P3"]
    rej = r.rejected[("t.csv", "t")]
    assert rej["UPN"].tolist() == ["P2"] and rej["Row"].tolist() == [3]
    assert "DOB: This is not a date" in rej["Reason"].iloc[0]
    import io

    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(rejected_workbook(r.rejected)))
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]][-1] == "Reason" and ws.cell(2, 2).value == "P2"
    assert r.summaries[0]["rows_rejected"] == 1


def test_rows_of_other_sheets_for_unknown_pupils(con):
    data = xlsx({"Pupils": [["Pupil ID", "First name"], ["P1", "Jo"]],
                 "Reviews": [["Pupil ID", "Review date", "Progress"], ["P1", date(2025, 1, 10), "expected"],
                             ["P9", date(2025, 1, 10), "expected"]]})
    exc = refused(con, "t.xlsx", data)
    assert exc.errors[0].message == "There is no pupil P9 in this upload or in the database"
    assert (exc.errors[0].sheet, exc.errors[0].row) == ("Reviews", 3)


def test_no_setting_known(con):
    with pytest.raises(ImportRefused) as info:
        import_files(con, [("t.csv", _rows(["P1", "Jo Bloggs", "04/03/2015", "K", "ASD", ""]))], today=AS_OF)
    assert "which setting" in info.value.errors[0].message
