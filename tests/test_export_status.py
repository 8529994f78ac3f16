"""`python -m senlib export` carries the explanations `status --json --rows` carries (issue 15, item 7), in sheets for
reading named '... (not imported)' that importing the export skips: it still imports back to the same data."""

from __future__ import annotations

import io
import json
from datetime import date

import openpyxl
import pytest

from senlib import access, store
from senlib.cli import main
from senlib.cli.imports import FLAGS_SHEET, STATUS_SHEET
from senlib.core.names import PLAN_TYPES, REVIEW_STATUS
from senlib.importer import export_workbook, import_files
from senlib.importer.template import ReadingSheet
from tests.golden import every_rule
from tests.import_corpus import AS_OF
from tests.test_import_reimport import snapshot


@pytest.fixture(scope="module")
def caseload(tmp_path_factory):
    """The every-rule caseload (every status, every flag) in a database file."""
    path = tmp_path_factory.mktemp("every_rule") / "every_rule.duckdb"
    con = every_rule.build(store.connect(path))
    con.execute("CHECKPOINT")
    con.close()
    return path


def _export(tmp_path, db, *more) -> openpyxl.Workbook:
    out = tmp_path / "export.xlsx"
    assert main(["export", str(out), "--db", str(db), *more]) == 0
    return openpyxl.load_workbook(out)


def _status_rows(db, capsys, as_of: date) -> list[dict]:
    capsys.readouterr()
    assert main(["status", "--json", "--rows", "--as-of", as_of.isoformat(), "--db", str(db)]) == 0
    return json.loads(capsys.readouterr().out)["pupils"]


def _table(ws) -> tuple[list[str], list[tuple]]:
    rows = list(ws.iter_rows(values_only=True))
    return list(rows[0]), rows[2:]  # row 1 headings, row 2 notes


def test_the_export_explains_each_pupil_as_status_json_rows_does(caseload, tmp_path, capsys):
    wb = _export(tmp_path, caseload, "--as-of", every_rule.AS_OF.isoformat())
    names = wb.sheetnames
    assert names.index(STATUS_SHEET) > names.index("Settings") and names.index(FLAGS_SHEET) == names.index(STATUS_SHEET) + 1
    assert "not imported" in wb["Read me"]["A8"].value and "23 Nov 2026" in wb["Read me"]["A8"].value
    pupils = _status_rows(caseload, capsys, every_rule.AS_OF)

    heads, rows = _table(wb[STATUS_SHEET])
    got = [dict(zip(heads, r, strict=True)) for r in rows]
    assert [(g["Setting"], g["Pupil ID"]) for g in got] == [(p["setting"], p["pupil_id"]) for p in pupils]
    for g, p in zip(got, pupils, strict=True):
        assert g["Cadence rule"] == p["cadence_rule"]
        assert g["Reason"] == p["status_reason"]
        assert g["Source"] == p["status_source"]
        assert g["Status"] == REVIEW_STATUS[p["status"]]
        assert g["Plan"] == (PLAN_TYPES[p["plan_type"]] if p["plan_type"] else None)
        assert (g["Due date"].date().isoformat() if g["Due date"] else None) == p["due_date"]
        assert (g["Flags"] or "") == ", ".join(p["flags"])
    assert {g["Status"] for g in got} == set(REVIEW_STATUS.values())  # every status, as the sheet words it

    heads, rows = _table(wb[FLAGS_SHEET])
    assert heads == ["Setting", "Pupil ID", "First name", "Last name", "Rule", "Reason", "Source"]
    expected = [(p["setting"], p["pupil_id"], f["rule"], f["reason"], f["source"]) for p in pupils for f in p["flag_details"]]
    assert [(r[0], r[1], r[4], r[5], r[6]) for r in rows] == expected
    assert len(rows) == sum(len(p["flags"]) for p in pupils) >= 15 and all(r[6] for r in rows)  # each flag, with its source


def test_reimporting_the_export_changes_nothing_and_skips_the_status_sheets(caseload, tmp_path):
    data = (tmp_path / "export.xlsx")
    assert main(["export", str(data), "--db", str(caseload), "--as-of", every_rule.AS_OF.isoformat()]) == 0
    source = store.connect(caseload, read_only=True)
    expected = snapshot(source)
    source.close()

    copy = store.connect(tmp_path / "copy.duckdb")
    result = import_files(copy, [("export.xlsx", data.read_bytes())], today=AS_OF)
    assert {s for _f, s, _why in result.skipped} == {"Read me", "Settings", STATUS_SHEET, FLAGS_SHEET, "Lists"}
    assert snapshot(copy) == expected
    again = import_files(copy, [("export.xlsx", data.read_bytes())], today=AS_OF)
    assert all(c == {"added": 0, "changed": 0} for c in again.totals().values())
    assert snapshot(copy) == expected
    copy.close()


def test_reimporting_the_demo_export_into_the_database_it_came_from_changes_nothing(demo_db, tmp_path):
    out = tmp_path / "demo.xlsx"
    assert main(["export", str(out), "--db", str(demo_db), "--as-of", AS_OF.isoformat()]) == 0
    assert STATUS_SHEET in openpyxl.load_workbook(out, read_only=True).sheetnames
    con = store.connect(demo_db)
    before = snapshot(con)
    result = import_files(con, [("demo.xlsx", out.read_bytes())], today=AS_OF)
    assert all(c == {"added": 0, "changed": 0} for c in result.totals().values())
    assert snapshot(con) == before
    con.close()


def test_no_status_leaves_the_sheets_out(caseload, tmp_path, capsys):
    wb = _export(tmp_path, caseload, "--no-status")
    assert STATUS_SHEET not in wb.sheetnames and FLAGS_SHEET not in wb.sheetnames
    assert "not imported" not in " ".join(str(c.value) for c in wb["Read me"]["A"])
    assert "review status" not in capsys.readouterr().out


def test_the_status_sheets_keep_to_the_settings_exported(caseload, tmp_path):
    wb = _export(tmp_path, caseload, "--setting", every_rule.SECONDARY, "--as-of", every_rule.AS_OF.isoformat())
    for sheet in (STATUS_SHEET, FLAGS_SHEET, "Pupils"):
        _heads, rows = _table(wb[sheet])
        assert rows and {r[0] for r in rows} == {every_rule.SECONDARY}, sheet


def test_the_status_sheets_are_safe_to_open(tmp_path):
    db = tmp_path / "f.duckdb"
    con = store.connect(db)
    con.execute("INSERT INTO pupils (setting, pupil_id, first_name, last_name, sen_status, date_identified) "
                "VALUES ('Oak', '=1+1', '=HYPERLINK(\"http://x\")', '@evil', 'K', DATE '2026-01-05')")
    con.close()
    wb = _export(tmp_path, db, "--as-of", "2026-11-23")
    cells = [c for row in wb[STATUS_SHEET].iter_rows(min_row=3) for c in row if isinstance(c.value, str)
             and c.value.startswith(("=", "@"))]
    assert len(cells) == 3 and all(c.data_type == "s" and c.quotePrefix for c in cells)


def test_any_sheet_named_not_imported_is_skipped_even_outside_the_template(tmp_path):
    """A tracker (no Read me sheet) with a sheet for reading beside its register: only the register is imported."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Register"
    ws.append(["UPN", "Name", "DOB", "SEN"])
    ws.append(["P1", "Jo Bloggs", "04/03/2015", "K"])
    notes = wb.create_sheet("Notes (Not Imported)")
    notes.append(["UPN", "Name", "DOB", "SEN"])
    notes.append(["P9", "Not A Pupil", "01/01/2016", "E"])
    buf = io.BytesIO()
    wb.save(buf)
    con = store.connect(tmp_path / "t.duckdb")
    result = import_files(con, [("tracker.xlsx", buf.getvalue())], setting="Oak", today=AS_OF)
    assert con.execute("SELECT pupil_id FROM pupils").fetchall() == [("P1",)]
    assert [s for _f, s, _why in result.skipped] == ["Notes (Not Imported)"]
    con.close()


def test_a_sheet_for_reading_must_say_it_is_not_imported(tmp_path):
    with pytest.raises(ValueError, match="not imported"):
        ReadingSheet("Review status", ["A"], [""], [])
    con = store.connect(tmp_path / "t.duckdb")
    data = export_workbook(con, viewer=access.TRUSTED,
                           reading=[ReadingSheet("Mine (not imported)", ["A", "B"], ["note a", ""], [[1, "x"]],
                                                 readme="Mine: for reading.")])
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert [list(r) for r in wb["Mine (not imported)"].iter_rows(values_only=True)] == [["A", "B"], ["note a", None], [1, "x"]]
    assert wb["Read me"]["A8"].value == "Mine: for reading."
    con.close()
