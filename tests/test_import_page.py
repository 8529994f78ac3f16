"""AppTest of the Upload page: empty state, preview, check, import, rejected rows, leavers, undo."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from senlib import store
from senlib.importer import edit_mapping, mapping_frame, prepare
from tests.import_corpus import csv_bytes, messy_tracker

ROOT = Path(__file__).resolve().parent.parent
PAGE = "pages/upload.py"
GOOD = [["UPN", "Name", "DOB", "SEN", "Need"], ["P1", "Jo Bloggs", "04/03/2015", "K", "ASD"], ["P2", "Al Khan", "05/05/2015", "E", "SLCN"]]


def _app(db, monkeypatch) -> AppTest:
    monkeypatch.setenv("SENLIB_DB", str(db))
    import ui.state

    ui.state.connection.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def _count(db) -> int:
    import ui.state  # the app's own connection: the file allows one per process

    return ui.state.connection().cursor().execute("SELECT count(*) FROM pupils").fetchall()[0][0]


def test_empty_state_explains_and_offers_the_template(empty_db, monkeypatch):
    at = _app(empty_db, monkeypatch)
    assert any("Choose one or more tracker files" in i.value for i in at.info)
    assert any("template" in b.label.lower() for b in at.get("download_button"))
    assert any("No imports yet" in i.value for i in at.info)


def test_upload_check_import_and_undo(empty_db, monkeypatch):
    at = _app(empty_db, monkeypatch)
    at.file_uploader[0].set_value(("register.xlsx", messy_tracker(), "application/octet-stream")).run()
    assert not at.exception, at.exception
    assert any("Skipped sheet **Summary**" in c.value for c in at.caption)
    at.text_input[0].set_value("Oakfield").run()
    _button(at, "Check").click().run()
    assert any("Check passed" in i.value for i in at.info)
    assert _count(empty_db) == 0
    _button(at, "Import").click().run()
    assert not at.exception, at.exception
    assert any("Imported as import" in s.value for s in at.success)
    assert _count(empty_db) == 6
    # undo from the history tab: asked first, then done; the table then says undone and offers it no more
    _button(at, "Undo this import").click().run()
    assert _count(empty_db) == 6
    assert any("Undo import 1? This removes the 6 pupils it added" in w.value.replace("\\", "") for w in at.warning)
    _button(at, "Cancel").click().run()
    assert _count(empty_db) == 6 and not any("Undo import 1?" in w.value.replace("\\", "") for w in at.warning)
    _button(at, "Undo this import").click().run()
    _button(at, "Yes, undo import 1").click().run()
    assert not at.exception, at.exception
    assert any("undone: 6 pupils removed" in s.value.replace("\\", "") for s in at.success)  # shown escaped
    assert _count(empty_db) == 0
    table = at.dataframe[-1].value
    assert table["Status"].tolist() == ["undone"]
    assert not any(b.label == "Undo this import" for b in at.button)


def test_checks_take_no_import_numbers(empty_db, monkeypatch):
    at = _app(empty_db, monkeypatch)
    at.file_uploader[0].set_value(("t.csv", csv_bytes(GOOD), "text/csv")).run()
    at.text_input[0].set_value("Oakfield").run()
    for _ in range(3):
        _button(at, "Check").click().run()
    _button(at, "Import").click().run()
    assert any("Imported as import 1." in s.value for s in at.success)


def test_errors_block_then_valid_rows_only(empty_db, monkeypatch):
    bad = GOOD + [["P3", "Ed Park", "31/02/2015", "K", "ASD"]]
    at = _app(empty_db, monkeypatch)
    at.file_uploader[0].set_value(("t.csv", csv_bytes(bad), "text/csv")).run()
    at.text_input[0].set_value("Oakfield").run()
    _button(at, "Import").click().run()
    assert any("Nothing was imported" in e.value for e in at.error)
    assert _count(empty_db) == 0
    assert any("rows with errors" in b.label for b in at.get("download_button"))
    next(c for c in at.checkbox if "valid rows only" in c.label).check().run()
    _button(at, "Import").click().run()
    assert _count(empty_db) == 2
    assert any("rejected rows" in b.label for b in at.get("download_button"))


def test_leavers_are_offered_after_a_full_reupload(empty_db, monkeypatch):
    at = _app(empty_db, monkeypatch)
    at.file_uploader[0].set_value(("a.csv", csv_bytes(GOOD), "text/csv")).run()
    at.text_input[0].set_value("Oakfield").run()
    _button(at, "Import").click().run()
    at.file_uploader[0].set_value(("b.csv", csv_bytes(GOOD[:2]), "text/csv")).run()
    assert at.selectbox[0].value == "Oakfield"     # suggested: its pupil is on Oakfield's register
    assert any("Suggested: Oakfield (1 of the 1 pupil in these files are on its register)" in c.value.replace("\\", "")
               for c in at.caption)
    whole = next(c for c in at.checkbox if "whole register" in c.label)
    assert whole.value is False                     # never assumed
    whole.check().run()
    # half of Oakfield's register would become possible leavers: said, with the numbers, and confirmed first
    assert any("1 of the 2 pupils on the register of Oakfield are not in these files" in w.value.replace("\\", "")
               for w in at.warning)
    assert _button(at, "Import").disabled
    next(c for c in at.checkbox if c.label.startswith("Yes, these files are for")).check().run()
    _button(at, "Import").click().run()
    assert any("Confirm leavers" in s.value for s in at.subheader)
    at.multiselect[0].set_value(["P2"]).run()
    _button(at, "Confirm leavers").click().run()
    assert any("1 pupil given a leaving date" in s.value for s in at.success)


@pytest.mark.parametrize("new_label", ["Pupil ID"])
def test_mapping_edit_helpers(tmp_path, new_label):
    con = store.connect(tmp_path / "x.duckdb")
    up = prepare(con, [("t.csv", csv_bytes([["Ref", "Child", "Birthday"], ["X1", "Jo Bloggs", "04/03/2015"]]))])
    i, plan = up.importable[0]
    frame = mapping_frame(up, i, plan)
    assert frame["Maps to"].tolist() == ["(keep as an extra column)", "Name", "Date of birth"]
    assert frame["Examples"].tolist() == ["X1", "Jo Bloggs", "04/03/2015"]
    frame.loc[0, "Maps to"] = new_label
    assert edit_mapping(plan, frame) and plan.mapping["Ref"] == "pupil_id"
    assert not edit_mapping(plan, mapping_frame(up, i, plan))


def test_file_and_sheet_names_are_shown_as_typed_never_as_markdown(empty_db, monkeypatch):
    at = _app(empty_db, monkeypatch)
    name = "[click](http://example.org) **x**.csv"
    at.file_uploader[0].set_value((name, csv_bytes(GOOD), "text/csv")).run()
    assert not at.exception, at.exception
    label = next(e.label for e in at.expander if "sheet" in e.label)
    assert r"\[click\]\(http" in label and r"\*\*x\*\*" in label   # escaped: Streamlit shows the characters
    assert "[click](http" not in label


def test_term_columns_register_preview_and_import_match_the_command_line(empty_db, monkeypatch, tmp_path):
    from senlib.importer import import_files
    from tests.import_corpus import SHAPES_AS_OF, term_register

    at = _app(empty_db, monkeypatch)
    at.file_uploader[0].set_value(("register.xlsx", term_register(), "application/octet-stream")).run()
    assert not at.exception, at.exception
    assert any(i.value.replace("\\", "").startswith("Review history: 2 columns") for i in at.info)
    at.text_input[0].set_value("Brook").run()
    _button(at, "Import").click().run()
    assert any("Imported as import" in s.value for s in at.success)
    import ui.state

    page = ui.state.connection().cursor().execute(
        "SELECT pupil_id, plan_type, review_date, held, progress FROM reviews ORDER BY ALL").fetchall()
    cli = store.connect(tmp_path / "cli.duckdb")
    import_files(cli, [("register.xlsx", term_register())], setting="Brook", today=SHAPES_AS_OF)
    held = cli.execute("SELECT pupil_id, plan_type, review_date, held, progress FROM reviews ORDER BY ALL").fetchall()
    cli.close()
    # the page imports as of today; the register's dates are all past or far enough ahead to be the same either way
    assert page == held and len(page) == 7


def test_score_columns_without_a_date_are_asked_for(empty_db, monkeypatch):
    from tests.import_corpus import ipm_targets

    at = _app(empty_db, monkeypatch)
    at.file_uploader[0].set_value(("ipm.xlsx", ipm_targets(), "application/octet-stream")).run()
    assert not at.exception, at.exception
    assert any("T2 Autumn 1" in w.value and "Give the date the scores were given" in w.value for w in at.warning)
    assert any(i.value.replace("\\", "").startswith("Targets: 2") for i in at.info)
    at.text_input[0].set_value("Brook").run()
    _button(at, "Check").click().run()
    assert any("need the date the scores were given" in e.value for e in at.error)
    assert _count(empty_db) == 0
    boxes = {d.label.replace("\\", ""): d for d in at.date_input}
    assert set(boxes) >= {"T2 Autumn 1", "T2 Autumn 2"}
    boxes["T2 Autumn 1"].set_value(date(2026, 10, 20)).run()
    boxes = {d.label.replace("\\", ""): d for d in at.date_input}
    boxes["T2 Autumn 2"].set_value(date(2026, 11, 25)).run()
    assert not any("Give the date" in w.value for w in at.warning)
    _button(at, "Import").click().run()
    assert any("Imported as import" in s.value for s in at.success), [e.value for e in at.error]
    import ui.state

    scores = ui.state.connection().cursor().execute(
        "SELECT pupil_id, outcome_id, score_date, score FROM scores WHERE outcome_id = 'Target 2' ORDER BY 3").fetchall()
    assert scores == [("U1", "Target 2", date(2026, 10, 20), 3.0), ("U1", "Target 2", date(2026, 11, 25), 5.0)]


def test_review_log_preview_and_import(empty_db, monkeypatch):
    from tests.import_corpus import review_log_csv

    at = _app(empty_db, monkeypatch)
    at.file_uploader[0].set_value(("log.csv", review_log_csv(), "text/csv")).run()
    assert not at.exception, at.exception
    assert any(i.value.replace("\\", "").startswith("Rows per pupil: 4 rows for 2 pupils (a review log)") for i in at.info)
    at.text_input[0].set_value("Brook").run()
    _button(at, "Import").click().run()
    assert any("Imported as import" in s.value for s in at.success)
    assert _count(empty_db) == 2
    import ui.state

    assert ui.state.connection().cursor().execute("SELECT count(*) FROM reviews").fetchall() == [(6,)]


def test_preview_shows_excel_dates_day_first(tmp_path):
    from datetime import datetime

    from senlib.importer import sample_rows
    from tests.import_corpus import xlsx

    con = store.connect(tmp_path / "x.duckdb")
    up = prepare(con, [("t.xlsx", xlsx({"S": [["UPN", "Name", "DOB"], ["P1", "Jo Bloggs", datetime(2018, 10, 14)]]}))])
    i, plan = up.importable[0]
    assert mapping_frame(up, i, plan)["Examples"].tolist()[2] == "14/10/2018"
    assert sample_rows(up, i, plan)["DOB"].tolist() == ["14/10/2018"]


def test_another_schools_tracker_is_not_taken_for_the_setting_imported_before(empty_db, monkeypatch):
    at = _app(empty_db, monkeypatch)
    at.file_uploader[0].set_value(("oak.csv", csv_bytes(GOOD), "text/csv")).run()
    at.text_input[0].set_value("Oakfield").run()
    _button(at, "Import").click().run()
    other = [["UPN", "Name", "DOB", "SEN", "Need"]] + [[f"Q{i}", f"Pat Kay{i}", "04/03/2015", "K", "ASD"] for i in range(15)]
    at.file_uploader[0].set_value(("elm.csv", csv_bytes(other), "text/csv")).run()
    assert at.selectbox[0].value is None          # nothing chosen on a guess
    assert any("Nothing in these files points to a setting" in c.value for c in at.caption)
    at.selectbox[0].set_value("Oakfield").run()
    assert any("Only 0 of the 15 pupils in these files are on the register of Oakfield (2 pupils)" in w.value.replace("\\", "")
               for w in at.warning)
    assert _button(at, "Import").disabled
    _count_before = _count(empty_db)
    _button(at, "Check").click().run()
    assert _count(empty_db) == _count_before == 2


def test_the_preview_says_which_checks_a_sparse_register_cannot_support(empty_db, monkeypatch):
    from tests.sparse_corpus import register

    at = _app(empty_db, monkeypatch)
    at.file_uploader[0].set_value(("register.xlsx", register(20), "application/octet-stream")).run()
    assert not at.exception, at.exception
    said = [i.value.replace("\\", "") for i in at.info if "Not tracked by these files" in i.value]
    assert len(said) == 1 and "Invitations sent (statutory, EHC plan)" in said[0] and "never 'not done'" in said[0]
