"""Each setting's phase and local authority: recorded, audited, in the template, and used by the rules."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from senlib import store
from senlib.access import TRUSTED, AccessDenied, Viewer
from senlib.core.errors import InputError
from senlib.importer import describe_undo, export_workbook, import_files, undo, write_template
from senlib.rules import pupil_status, set_override
from senlib.store import setting_details
from tests.import_corpus import AS_OF, csv_bytes

from .test_rules_page import _app

HEAD = ["UPN", "Name", "DOB", "SEN", "Need", "Last review"]


@pytest.mark.parametrize(("text", "code"), [("primary", "primary"), ("Infant school", "infant"), (" ALL-THROUGH ", "all_through"),
                                            ("early years", "early_years"), ("", None), (None, None)])
def test_phase_from_code_or_label(text, code):
    assert setting_details.parse_phase(text) == code


def test_an_unknown_phase_is_refused_with_the_choices():
    with pytest.raises(InputError, match="'Junior' is not a phase") as info:
        setting_details.parse_phase("Junior")
    assert "primary (Primary school)" in info.value.fix


def _school(tmp_path):
    con = store.connect(tmp_path / "s.duckdb")
    rows = [HEAD] + [[f"P{i}", f"Pupil {i}", "04/03/2016", "K", "ASD", "10/09/2025"] for i in range(4)]
    import_files(con, [("t.csv", csv_bytes(rows))], setting="Oak", today=AS_OF)
    return con


def test_set_details_is_audited_and_drives_per_council_rules(tmp_path):
    con = _school(tmp_path)
    as_of = date(2025, 11, 20)
    before = pupil_status(con, as_of, viewer=TRUSTED).set_index("pupil_id")["due_date"].sort_index()
    set_override(con, "sen_support_termly", "max_gap_months", 2, local_authority="Northmoor Council", user="t")
    assert pupil_status(con, as_of, viewer=TRUSTED).set_index("pupil_id")["due_date"].sort_index().equals(before)  # the setting has no council yet
    assert setting_details.set_details(con, "Oak", phase="Primary school", local_authority=" Northmoor  Council ", user="senco", viewer=TRUSTED)
    assert con.execute("SELECT phase, local_authority FROM settings WHERE setting = 'Oak'").fetchone() == ("primary", "Northmoor Council")
    after = pupil_status(con, as_of, viewer=TRUSTED).set_index("pupil_id")["due_date"].sort_index()
    assert (after < before).all()  # two months after the review, not a term
    action, who = con.execute("SELECT action, user_name FROM audit ORDER BY logged_at DESC LIMIT 1").fetchone()
    assert (action, who) == ("setting_change", "senco")
    assert not setting_details.set_details(con, "Oak", phase="primary", local_authority="Northmoor Council", viewer=TRUSTED)  # no change
    with pytest.raises(InputError, match="no setting called"):
        setting_details.set_details(con, "Elm", phase="primary", local_authority=None, viewer=TRUSTED)
    with pytest.raises(AccessDenied):
        setting_details.set_details(con, "Oak", phase=None, local_authority=None, viewer=Viewer(role="leader", email="h@x.org"))
    with pytest.raises(AccessDenied):
        setting_details.set_details(con, "Oak", phase=None, local_authority=None,
                                    viewer=Viewer(role="senco", email="s@x.org", settings=frozenset({"Elm"})))


def test_the_settings_sheet_round_trips_and_never_overwrites(tmp_path):
    con = _school(tmp_path)
    setting_details.set_details(con, "Oak", phase="infant", local_authority="Westford City Council", viewer=TRUSTED)
    data = export_workbook(con, viewer=TRUSTED)
    ws = openpyxl.load_workbook(io.BytesIO(data))["Settings"]
    assert [c.value for c in ws[2]] == ["Oak", "Infant school", "Westford City Council"]
    copy = store.connect(tmp_path / "copy.duckdb")
    result = import_files(copy, [("export.xlsx", data)], today=AS_OF)
    assert ("export.xlsx", "Settings") in [(f, s) for f, s, _ in result.skipped]
    assert copy.execute("SELECT phase, local_authority FROM settings").fetchall() == [("infant", "Westford City Council")]
    setting_details.set_details(copy, "Oak", phase="primary", local_authority="Northmoor Council", viewer=TRUSTED)
    import_files(copy, [("export.xlsx", data)], today=AS_OF)  # what the SENCo set stays
    assert copy.execute("SELECT phase, local_authority FROM settings").fetchall() == [("primary", "Northmoor Council")]
    assert "Settings" in openpyxl.load_workbook(io.BytesIO(write_template())).sheetnames


def test_undo_takes_back_the_settings_an_import_added_or_filled_in(tmp_path):
    con = _school(tmp_path)
    setting_details.set_details(con, "Oak", phase="infant", local_authority=None, viewer=TRUSTED)  # the SENCo's own entry
    data = export_workbook(con, viewer=TRUSTED)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    wb["Settings"]["C2"] = "Northmoor Council"  # fills Oak's blank council
    wb["Settings"].append(["Elm", "Primary school", "Westford City Council"])  # Elm is new...
    ws = wb["Pupils"]
    row = [c.value for c in ws[3]]
    ws.append(["Elm", "E1", *row[2:]])  # ...with one pupil
    buf = io.BytesIO()
    wb.save(buf)
    fresh = store.connect(tmp_path / "fresh.duckdb")
    first = import_files(fresh, [("t.xlsx", buf.getvalue())], today=AS_OF).import_ids[0]
    settings = "SELECT setting, phase, local_authority FROM settings ORDER BY 1"
    assert fresh.execute(settings).fetchall() == [("Elm", "primary", "Westford City Council"), ("Oak", "infant", "Northmoor Council")]
    # Oak already existed here, with its phase and council: the import changes neither, and undo keeps them
    second = import_files(con, [("t.xlsx", buf.getvalue())], today=AS_OF).import_ids[0]
    assert con.execute(settings).fetchall() == [("Elm", "primary", "Westford City Council"), ("Oak", "infant", "Northmoor Council")]
    result = undo(con, second, viewer=TRUSTED)
    assert result["settings_removed"] == ["Elm"]
    assert "Setting 'Elm' removed" in describe_undo(result)
    assert con.execute(settings).fetchall() == [("Oak", "infant", None)]  # the council the sheet filled in is blank again
    # on a database the import filled: a setting the SENCo has since given rules of its own stays
    set_override(fresh, "sen_support_termly", "max_gap_months", 2, setting="Elm", user="t")
    result = undo(fresh, first, viewer=TRUSTED)
    assert result["settings_removed"] == ["Oak"]  # the import added Oak and all it holds
    assert fresh.execute(settings).fetchall() == [("Elm", None, None)]  # Elm has rules of its own
    assert fresh.execute("SELECT count(*) FROM pupils").fetchone()[0] == 0


def test_undo_keeps_a_setting_another_import_still_fills(tmp_path):
    con = store.connect(tmp_path / "s.duckdb")
    one = import_files(con, [("a.csv", csv_bytes([HEAD, ["P1", "Pupil One", "04/03/2016", "K", "ASD", "10/09/2025"]]))],
                       setting="Oak", today=AS_OF).import_ids[0]
    import_files(con, [("b.csv", csv_bytes([HEAD, ["P2", "Pupil Two", "04/03/2016", "K", "ASD", "10/09/2025"]]))],
                 setting="Oak", today=AS_OF, full_register=False)
    assert "settings_removed" not in undo(con, one, viewer=TRUSTED)
    assert con.execute("SELECT setting FROM settings").fetchall() == [("Oak",)]


def test_a_bad_phase_in_the_settings_sheet_is_refused_with_its_place(tmp_path):
    con = _school(tmp_path)
    data = export_workbook(con, viewer=TRUSTED)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    wb["Settings"].append(["Oak", "Junior", "X"])
    buf = io.BytesIO()
    wb.save(buf)
    before = con.execute("SELECT count(*) FROM audit").fetchone()[0]
    with pytest.raises(InputError, match=r"sheet 'Settings', row 3, column 'Phase'"):
        import_files(con, [("t.xlsx", buf.getvalue())], today=AS_OF)
    assert con.execute("SELECT count(*) FROM audit").fetchone()[0] == before  # nothing written


def test_rules_page_changes_a_setting(demo_db, monkeypatch):
    at: AppTest = _app(demo_db, monkeypatch)
    form_select = next(s for s in at.selectbox if s.label == "Setting")
    name = form_select.options[0]
    form_select.set_value(name)
    next(s for s in at.selectbox if s.label == "Phase").set_value("special")
    next(t for t in at.text_input if t.label == "Local authority").set_value("Eastvale Council")
    next(b for b in at.button if b.label == "Save").click().run()
    assert not at.exception, at.exception
    assert any("phase and local authority" in s.value for s in at.success)
    import ui.state

    row = ui.state.cursor().execute("SELECT phase, local_authority FROM settings WHERE setting = ?", [name]).fetchone()
    assert row == ("special", "Eastvale Council")
