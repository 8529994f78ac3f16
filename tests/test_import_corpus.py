"""Messy trackers of every shape in issue 3, each with its exact expected result."""

from __future__ import annotations

import json
from datetime import date

import pytest

from senlib import store
from senlib.importer import import_files, prepare
from tests.import_corpus import AS_OF, csv_bytes, messy_tracker, ods, simple_rows, xls, xlsx


@pytest.fixture
def con(tmp_path):
    c = store.connect(tmp_path / "t.duckdb")
    yield c
    c.close()


def pupils(con) -> dict[str, dict]:
    df = con.execute("SELECT * FROM pupils ORDER BY pupil_id").df()
    return {r["pupil_id"]: r for r in df.to_dict("records")}


def test_messy_tracker_pupils_exact(con):
    r = import_files(con, [("register.xlsx", messy_tracker())], setting="Oakfield", today=AS_OF)
    p = pupils(con)
    assert sorted(p) == [f"A10000000000{i}" for i in range(1, 7)]
    john = p["A100000000001"]
    assert (john["first_name"], john["last_name"], john["class"]) == ("John", "Smith", "6B")
    assert john["date_of_birth"].date() == date(2015, 3, 4)
    assert (john["year_group"], john["sen_status"], john["primary_need"]) == ("6", "K", "ASD")
    amira = p["A100000000002"]
    assert (amira["first_name"], amira["last_name"]) == ("Amira", "Khan")
    assert amira["date_of_birth"].date() == date(2015, 7, 14)
    assert (amira["sen_status"], amira["primary_need"], amira["secondary_need"]) == ("E", "SLCN", "SPLD")
    assert amira["local_authority"] == "Northmoor Council"
    niamh = p["A100000000003"]
    assert (niamh["first_name"], niamh["last_name"], niamh["sen_status"], niamh["year_group"]) == ("Niamh", "O'BRIEN", "E", "6")
    assert niamh["date_of_birth"].date() == date(2015, 5, 26)  # Excel serial 42150
    leo = p["A100000000004"]  # padded id and name, text month date, Monitoring -> N
    assert (leo["first_name"], leo["last_name"], leo["sen_status"], leo["year_group"]) == ("Leo", "Park", "N", "6")
    assert leo["date_of_birth"].date() == date(2016, 3, 4)
    ruby, tom = p["A100000000005"], p["A100000000006"]
    assert (ruby["year_group"], ruby["sen_status"], ruby["primary_need"]) == ("5", "K", "SPLD")
    assert (tom["first_name"], tom["last_name"], tom["sen_status"], tom["secondary_need"]) == ("Tom", "Evans", "K", "ASD")
    assert tom["date_of_birth"].date() == date(2016, 9, 1)  # two-digit year
    # unknown columns are kept per pupil; blank cells are not stored
    assert json.loads(john["extra"]) == {"Attendance %": "93.5", "Favourite activity": "Lego"}
    assert json.loads(amira["extra"]) == {"Attendance %": "88"}
    assert json.loads(niamh["extra"]) == {"Favourite activity": "Drawing"}
    assert {s for s in r.skipped} == {("register.xlsx", "Summary", r.skipped[0][2]), ("register.xlsx", "Codes", r.skipped[1][2])}
    assert all(w.startswith("no header row") for _, _, w in r.skipped)
    assert r.errors.empty


def test_messy_tracker_becomes_plans_and_reviews(con):
    import_files(con, [("register.xlsx", messy_tracker())], setting="Oakfield", today=AS_OF)
    plans = con.execute("SELECT pupil_id, plan_type, start_date, end_date, local_authority FROM plans ORDER BY 1").fetchall()
    assert plans == [
        ("A100000000001", "sen_support", None, None, None),
        ("A100000000002", "ehcp", None, None, "Northmoor Council"),
        ("A100000000003", "ehcp", None, None, "Eastbridge"),
        ("A100000000005", "sen_support", None, None, None),
        ("A100000000006", "sen_support", None, None, None),
    ]
    reviews = con.execute("""SELECT pupil_id, plan_type, review_date, held, kind, progress, parent_attended, next_review_date
        FROM reviews ORDER BY pupil_id, review_date""").fetchall()
    assert reviews == [
        ("A100000000001", "sen_support", date(2025, 9, 12), True, "termly", "less", True, date(2025, 12, 12)),
        ("A100000000001", "sen_support", date(2025, 12, 12), False, "termly", None, None, None),
        ("A100000000002", "ehcp", date(2025, 9, 10), True, "annual", "expected", False, date(2026, 3, 10)),
        ("A100000000002", "ehcp", date(2026, 3, 10), False, "annual", None, None, None),
        ("A100000000005", "sen_support", date(2025, 10, 3), True, "termly", "more", True, date(2026, 1, 9)),
        ("A100000000005", "sen_support", date(2026, 1, 9), False, "termly", None, None, None),
    ]


def test_header_detection_reports_mapping(con):
    up = prepare(con, [("register.xlsx", messy_tracker())])
    y6 = next(p for _, p in up.plans if p.sheet == "Year 6")
    assert y6.header_row == 4 and y6.entity == "pupils"
    mapping = {c.header: c.field for c in y6.columns}
    assert mapping["UPN"] == "pupil_id" and mapping["Name"] == "name" and mapping["D.O.B"] == "date_of_birth"
    assert mapping["Yr Group"] == "year_group" and mapping["SEN Stage"] == "sen_status" and mapping["EHCP LA"] == "local_authority"
    # the merged group labels tell the two "Date" columns apart
    assert mapping["Last review Date"] == "last_review_date" and mapping["Next review Date"] == "next_review_date"
    assert mapping["Attendance %"] is None and mapping["Favourite activity"] is None  # kept as extras
    assert mapping["Parent attended"] == "parent_attended"


@pytest.mark.parametrize("label,value,expected", [
    ("sen", "K", "K"), ("sen", "SEN Support", "K"), ("sen", "School Support", "K"), ("sen", "sen support ", "K"),
    ("sen", "E", "E"), ("sen", "EHCP", "E"), ("sen", "EHC Plan", "E"), ("sen", "Statement", "E"),
    ("sen", "Monitoring", "N"), ("sen", "N", "N"),
    ("need", "Autism", "ASD"), ("need", "Speech & Language", "SLCN"), ("need", "SpLD (Dyslexia)", "SPLD"),
    ("need", "SEMH", "SEMH"), ("need", "Moderate learning difficulties", "MLD"), ("need", "hearing impairment", "HI"),
    ("need", "ASD - awaiting diagnosis", "ASD"),
    ("year", "Yr 6", "6"), ("year", "Year 6", "6"), ("year", "Y6", "6"), ("year", "6", "6"), ("year", "R", "R"),
    ("year", "Reception", "R"), ("year", "N1", "N1"), ("year", "Nursery 2", "N2"), ("year", "Year 10", "10"),
])
def test_value_normalisation(con, label, value, expected):
    dob = {"6": "04/03/2015", "R": "04/03/2021", "N1": "04/03/2023", "N2": "04/03/2022", "10": "04/03/2011"}
    row = ["P1", "Jo Bloggs", dob.get(expected, "04/03/2015"), "6", "K", "ASD"]
    col = {"sen": 4, "need": 5, "year": 3}[label]
    row[col] = value
    import_files(con, [("t.csv", csv_bytes([["UPN", "Name", "DOB", "Year", "SEN", "Need"], row]))], setting="S", today=AS_OF)
    field = {"sen": "sen_status", "need": "primary_need", "year": "year_group"}[label]
    assert con.execute(f"SELECT {field} FROM pupils").fetchall() == [(expected,)]


@pytest.mark.parametrize("text,expected", [
    ("04/03/2015", date(2015, 3, 4)), ("4/3/2015", date(2015, 3, 4)), ("04-03-2015", date(2015, 3, 4)),
    ("04.03.2015", date(2015, 3, 4)), ("04/03/15", date(2015, 3, 4)), ("4 March 2015", date(2015, 3, 4)),
    ("4th Mar 2015", date(2015, 3, 4)), ("2015-03-04", date(2015, 3, 4)), ("42067", date(2015, 3, 4)),
])
def test_day_first_dates(con, text, expected):
    import_files(con, [("t.csv", csv_bytes([["UPN", "Name", "DOB"], ["P1", "Jo Bloggs", text]]))], setting="S", today=AS_OF)
    assert con.execute("SELECT date_of_birth FROM pupils").fetchall() == [(expected,)]


@pytest.mark.parametrize("encoding,bom,sep", [("utf-8", False, ","), ("utf-8", True, ","), ("cp1252", False, ","),
                                              ("utf-8", False, ";"), ("utf-16", False, "\t")])
def test_csv_encodings(con, encoding, bom, sep):
    data = csv_bytes(simple_rows(), encoding, bom, sep)
    import_files(con, [("register.csv", data)], setting="S", today=AS_OF)
    rows = con.execute("SELECT pupil_id, last_name, first_name, sen_status FROM pupils ORDER BY 1").fetchall()
    assert rows == [("B1", "Zoë", "Ågren", "K"), ("B2", "O\u2019Neill", "Seán", "E")]


@pytest.mark.parametrize("name,maker", [("register.ods", ods), ("register.xls", xls), ("register.xlsm", None)])
def test_other_formats(con, name, maker):
    if name.endswith(".xls"):
        pytest.importorskip("xlwt")
    rows = [["SEN register"], [], *simple_rows()]
    rows[3][3] = date(2015, 3, 4)
    data = maker(rows) if maker else xlsx({"Register": rows})
    import_files(con, [(name, data)], setting="S", today=AS_OF)
    got = con.execute("SELECT pupil_id, last_name, date_of_birth, sen_status, primary_need FROM pupils ORDER BY 1").fetchall()
    assert got == [("B1", "Zoë", date(2015, 3, 4), "K", "ASD"), ("B2", "O\u2019Neill", date(2016, 4, 5), "E", "SLCN")]


def test_several_files_in_one_upload_are_one_transaction(con):
    a = xlsx({"Y6": [SIMPLE := ["UPN", "Name", "DOB"], ["C1", "Ann Lee", "01/01/2015"]]})
    b = csv_bytes([SIMPLE, ["C2", "Bo Lee", "02/02/2016"]])
    r = import_files(con, [("a.xlsx", a), ("b.csv", b)], setting="S", today=AS_OF)
    assert len(r.import_ids) == 2
    assert con.execute("SELECT pupil_id, import_id FROM pupils ORDER BY 1").fetchall() == [("C1", r.import_ids[0]), ("C2", r.import_ids[1])]
    files = con.execute("SELECT file_name, octet_length(file_bytes) FROM imports ORDER BY import_id").fetchall()
    assert files == [("a.xlsx", len(a)), ("b.csv", len(b))]


def test_no_id_column_identifies_by_name_and_birth_date(con):
    r = import_files(con, [("t.csv", csv_bytes([["Surname", "Forename", "DOB", "SEN"], ["Lee", "Ann", "01/01/2015", "K"]]))],
                     setting="S", today=AS_OF)
    assert con.execute("SELECT pupil_id FROM pupils").fetchall() == [("LEE-ANN-20150101",)]
    assert r.warnings["message"].str.contains("no pupil id column").any()


def test_year_group_mismatch_is_a_warning_not_an_error(con):
    r = import_files(con, [("t.csv", csv_bytes([["UPN", "Name", "DOB", "Year"], ["P1", "Jo Bloggs", "04/03/2015", "Year 4"]]))],
                     setting="S", today=AS_OF)
    assert con.execute("SELECT year_group FROM pupils").fetchall() == [("4",)]
    w = r.warnings.iloc[0]
    assert (w["sheet"], w["row"], w["column"], w["value"]) == ("t", 2, "Year", "Year 4")
    assert "Year 6" in w["message"]


def test_two_row_header_with_vertically_merged_headings(con):
    rows = [
        ["SEN tracker"],
        ["UPN", "Name", "Date of birth", "Last review", None, "Next review"],
        [None, None, None, "Date", "Progress", None],
        ["D1", "Jo Bloggs", "04/03/2015", "01/10/2025", "Expected", "07/01/2026"],
    ]
    data = xlsx({"Tracker": rows}, merges={"Tracker": ["A2:A3", "B2:B3", "C2:C3", "D2:E2", "F2:F3"]})
    up = prepare(con, [("t.xlsx", data)])
    plan = up.plans[0][1]
    assert plan.header_row == 2
    assert {c.header: c.field for c in plan.columns} == {
        "UPN": "pupil_id", "Name": "name", "Date of birth": "date_of_birth", "Last review Date": "last_review_date",
        "Progress": "progress", "Next review": "next_review_date"}
    import_files(con, [("t.xlsx", data)], setting="S", today=AS_OF)
    assert con.execute("SELECT review_date, held, progress FROM reviews ORDER BY 1").fetchall() == [
        (date(2025, 10, 1), True, "expected"), (date(2026, 1, 7), False, None)]


@pytest.mark.parametrize("written", ["Down syndrome", "Down's syndrome", "DS", "Downs Syndrome"])
def test_down_syndrome_is_its_own_need(con, written):
    """Down syndrome has been a type of need of its own since the January 2025 census (code DS)."""
    import_files(con, [("t.csv", csv_bytes([["UPN", "Name", "SEN", "Need"], ["P1", "Jo Bloggs", "K", written]]))],
                 setting="S", today=AS_OF)
    assert con.execute("SELECT primary_need FROM pupils").fetchall() == [("DS",)]


def test_the_template_lists_down_syndrome():
    import io

    import openpyxl

    from senlib.importer import write_template

    wb = openpyxl.load_workbook(io.BytesIO(write_template()))
    cells = [str(c.value) for row in wb["Lists"].iter_rows() for c in row if c.value]
    assert any(v == "DS" or v.startswith("DS") for v in cells), cells[:40]


def test_a_schools_own_lists_sheet_is_read_the_templates_is_skipped(con):
    """Only the template's Lists sheet (a workbook with a Read me sheet) is instructions; a school's is data."""
    own = xlsx({"Lists": [["UPN", "Name", "SEN"], ["P1", "Jo Bloggs", "K"]]})
    up = prepare(con, [("lists.xlsx", own)])
    assert up.plans[0][1].entity == "pupils" and up.plans[0][1].skipped is None
    with_readme = xlsx({"Read me": [["How to fill in this template"]], "Lists": [["UPN", "Name", "SEN"], ["P1", "Jo Bloggs", "K"]],
                        "Pupils": [["UPN", "Name", "SEN"], ["P2", "Al Khan", "E"]]})
    skipped = {s: r for _, s, r in prepare(con, [("template.xlsx", with_readme)]).skipped}
    assert set(skipped) == {"Read me", "Lists"} and skipped["Lists"].startswith("part of the template")
