"""Re-import, undo, leavers, remembered mappings, template and the export round trip."""

from __future__ import annotations

import io
import json
from datetime import date

import openpyxl
import pytest

from senlib import store
from senlib.access import TRUSTED
from senlib.core.names import ENTITY_SHEETS
from senlib.importer import (
    apply_mapping,
    confirm_leavers,
    export_workbook,
    import_files,
    list_imports,
    prepare,
    remember_mapping,
    run,
    undo,
    write_template,
)
from senlib.store.fields import TEMPLATE_COLUMNS
from tests.import_corpus import AS_OF, csv_bytes, messy_tracker

DATA_TABLES = ["pupils", "plans", "reviews", "outcomes", "scores", "ehc_requests", "provisions", "pupil_provisions",
               "review_invitees", "review_actions"]
HEAD = ["UPN", "Name", "DOB", "Year", "SEN", "Need", "Last review", "Progress", "Next review", "Attendance %"]


@pytest.fixture
def con(tmp_path):
    c = store.connect(tmp_path / "t.duckdb")
    yield c
    c.close()


def snapshot(con) -> dict[str, list]:
    out = {"settings": sorted(map(repr, con.execute("SELECT setting, phase, local_authority FROM settings").fetchall()))}
    for t in DATA_TABLES:
        cols = [f.name for f in TEMPLATE_COLUMNS[t]] + (["extra"] if t == "pupils" else [])
        out[t] = sorted(map(repr, con.execute(f"SELECT {', '.join(chr(34) + c + chr(34) for c in cols)} FROM {t}").fetchall()))
    return out


def autumn() -> bytes:
    return csv_bytes([HEAD,
                      ["P1", "Jo Bloggs", "04/03/2015", "6", "K", "ASD", "12/09/2025", "less", "12/12/2025", "95"],
                      ["P2", "Al Khan", "05/05/2015", "6", "K", "SLCN", "", "", "15/12/2025", ""],
                      ["P3", "Ed Park", "06/06/2016", "5", "E", "SEMH", "", "", "", ""]])


def spring() -> bytes:
    """A newer tracker: P1 reviewed again and now on an EHCP, P2's need changed, P3 missing, P4 new."""
    return csv_bytes([HEAD,
                      ["P1", "Jo Bloggs", "04/03/2015", "6", "E", "ASD", "12/12/2025", "less", "12/03/2026", "97"],
                      ["P2", "Al Khan", "05/05/2015", "6", "K", "", "", "", "15/12/2025", ""],
                      ["P4", "Mo Lee", "07/07/2015", "6", "K", "MLD", "", "", "", ""]])


def test_same_file_twice_changes_nothing(con):
    import_files(con, [("t.csv", autumn())], setting="S", today=AS_OF)
    before = snapshot(con)
    changes = con.execute("SELECT count(*) FROM pupil_changes").fetchall()[0][0]
    r = import_files(con, [("t.csv", autumn())], setting="S", today=AS_OF)
    assert snapshot(con) == before
    assert con.execute("SELECT count(*) FROM pupil_changes").fetchall()[0][0] == changes
    assert all(c == {"added": 0, "changed": 0} for c in r.totals().values())


def test_unknown_columns_with_awkward_text_are_kept_exactly_and_a_reimport_changes_nothing(con, tmp_path):
    """Headings and cells with quotes, backslashes, accents and line breaks go into the pupil's extra columns as
    valid JSON holding exactly the text; the same workbook again changes nothing."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["UPN", "Name", "DOB", 'Parent\'s "view"', "Café notes", "Path"])
    ws.append(["P1", "Jo Bloggs", date(2015, 3, 4), 'Said "fine"\nthen left', "Élan — naïve", "C:\\temp\\x"])
    ws.append(["P2", "Al Khan", date(2015, 5, 5), None, "ok", None])
    buf = io.BytesIO()
    wb.save(buf)
    import_files(con, [("t.xlsx", buf.getvalue())], setting="S", today=AS_OF)
    extras = {p: json.loads(e) for p, e in con.execute("SELECT pupil_id, extra FROM pupils").fetchall()}
    assert extras == {"P1": {'Parent\'s "view"': 'Said "fine"\nthen left', "Café notes": "Élan — naïve", "Path": "C:\\temp\\x"},
                      "P2": {"Café notes": "ok"}}
    changes = con.execute("SELECT count(*) FROM pupil_changes").fetchall()[0][0]
    r = import_files(con, [("t.xlsx", buf.getvalue())], setting="S", today=AS_OF)
    assert con.execute("SELECT count(*) FROM pupil_changes").fetchall()[0][0] == changes
    assert r.totals()["pupils"] == {"added": 0, "changed": 0}


def test_newer_tracker_updates_adds_and_never_deletes(con):
    first = import_files(con, [("autumn.csv", autumn())], setting="S", today=AS_OF).import_ids[0]
    r = import_files(con, [("spring.csv", spring())], setting="S", today=AS_OF)
    second = r.import_ids[0]
    rows = dict(con.execute("SELECT pupil_id, sen_status FROM pupils").fetchall())
    assert rows == {"P1": "E", "P2": "K", "P3": "E", "P4": "K"}  # P3 kept
    assert con.execute("SELECT primary_need FROM pupils WHERE pupil_id = 'P2'").fetchall() == [("SLCN",)]  # blank erases nothing
    changes = con.execute("""SELECT pupil_id, field, old_value, new_value FROM pupil_changes
        WHERE import_id = ? AND field NOT IN ('import_id', '(new pupil)') ORDER BY 1, 2""", [second]).fetchall()
    assert changes == [("P1", "extra", '{"Attendance %":"95"}', '{"Attendance %":"97"}'), ("P1", "sen_status", "K", "E")]
    # P1: the planned review of 12/12 is now held; a new one is planned; SEN Support ended when the EHCP began
    reviews = con.execute("SELECT plan_type, review_date, held, progress FROM reviews WHERE pupil_id = 'P1' ORDER BY 2, 1").fetchall()
    assert reviews == [("sen_support", date(2025, 9, 12), True, "less"), ("ehcp", date(2025, 12, 12), True, "less"),
                       ("sen_support", date(2025, 12, 12), False, None), ("ehcp", date(2026, 3, 12), False, None)]
    plans = con.execute("SELECT plan_type, end_date FROM plans WHERE pupil_id = 'P1' ORDER BY 1").fetchall()
    assert plans == [("ehcp", None), ("sen_support", AS_OF)]
    assert r.totals()["pupils"] == {"added": 1, "changed": 1}
    assert list(r.possible_leavers["pupil_id"]) == ["P3"]
    # undo the second import: everything exactly as after the first
    undo(con, second, viewer=TRUSTED)
    fresh = store.connect(":memory:")
    import_files(fresh, [("autumn.csv", autumn())], setting="S", today=AS_OF)
    assert snapshot(con) == snapshot(fresh)
    assert first < second


def test_undo_refuses_when_a_later_import_built_on_it(con):
    a = import_files(con, [("autumn.csv", autumn())], setting="S", today=AS_OF).import_ids[0]
    b = import_files(con, [("spring.csv", spring())], setting="S", today=AS_OF).import_ids[0]
    from senlib.core.errors import InputError

    with pytest.raises(InputError, match=f"Undo import\\(s\\) {b} first"):
        undo(con, a, viewer=TRUSTED)
    undo(con, b, viewer=TRUSTED)
    undo(con, a, viewer=TRUSTED)
    assert all(len(v) == 0 for v in snapshot(con).values())  # the setting the first import added goes with it
    assert list(list_imports(con, viewer=TRUSTED)["status"]) == ["undone", "undone"]
    audit = [r[0] for r in con.execute("SELECT action FROM audit ORDER BY logged_at").fetchall()]
    assert audit.count("undo") == 2 and audit.count("import") == 2


def test_confirm_leavers_and_undo_reverts_them(con):
    import_files(con, [("autumn.csv", autumn())], setting="S", today=AS_OF)
    r = import_files(con, [("spring.csv", spring())], setting="S", today=AS_OF)
    assert confirm_leavers(con, r.import_ids[0], ["P3"], date(2025, 12, 19), viewer=TRUSTED) == 1
    assert con.execute("SELECT leaving_date FROM pupils WHERE pupil_id = 'P3'").fetchall() == [(date(2025, 12, 19),)]
    r3 = import_files(con, [("spring.csv", spring())], setting="S", today=AS_OF)
    assert r3.possible_leavers.empty  # a leaver is not listed again
    undo(con, r3.import_ids[0], viewer=TRUSTED)
    undo(con, r.import_ids[0], viewer=TRUSTED)
    assert con.execute("SELECT leaving_date FROM pupils WHERE pupil_id = 'P3'").fetchall() == [(None,)]


def test_dry_run_writes_nothing(con):
    r = import_files(con, [("t.csv", autumn())], setting="S", today=AS_OF, dry_run=True)
    assert r.dry_run and r.totals()["pupils"]["added"] == 3
    assert con.execute("SELECT count(*) FROM pupils").fetchall()[0][0] == 0
    assert con.execute("SELECT count(*) FROM imports").fetchall()[0][0] == 0


def test_edited_mapping_is_remembered_for_the_next_file(con):
    data = csv_bytes([["Ref", "Child", "Birthday", "Fave colour"], ["X1", "Jo Bloggs", "04/03/2015", "red"]])
    up = prepare(con, [("t.csv", data)])
    plan = up.plans[0][1]
    assert plan.mapping["Ref"] == ""  # not understood: kept as an extra
    apply_mapping(plan, {"Ref": "pupil_id", "Fave colour": "-"})
    remember_mapping(con, plan)
    run(con, up, setting="S", today=AS_OF)
    again = prepare(con, [("t2.csv", data)])
    assert again.plans[0][1].remembered and again.plans[0][1].mapping["Ref"] == "pupil_id"
    assert con.execute("SELECT pupil_id, extra FROM pupils").fetchall() == [("X1", None)]


def test_template_has_a_sheet_per_entity_notes_dropdowns_and_example():
    wb = openpyxl.load_workbook(io.BytesIO(write_template()))
    for entity, label in ENTITY_SHEETS.items():
        ws = wb[label]
        heads = [c.value for c in ws[1]]
        assert heads == [f.label for f in TEMPLATE_COLUMNS[entity]]
        assert all(c.value for c in ws[2])  # notes row
        assert str(ws.cell(3, 2).value).startswith("EXAMPLE")
    dv = {str(d.sqref).split(":")[0]: d.formula1 for d in wb["Pupils"].data_validations.dataValidation}
    assert dv["H3"].startswith("=Lists!") and dv["I3"].startswith("=Lists!")  # SEN status, primary need
    coded = {e: {f.name for f in fs if f.vocab} for e, fs in TEMPLATE_COLUMNS.items()}
    for entity, names in coded.items():
        assert len(wb[ENTITY_SHEETS[entity]].data_validations.dataValidation) >= len(names)


def test_template_filled_in_imports(con):
    wb = openpyxl.load_workbook(io.BytesIO(write_template()))
    wb["Pupils"].append(["", "T1", "Ann", "Lee", date(2015, 3, 4), "6", "6A", "K", "ASD"])
    wb["Reviews"].append(["", "T1", "sen_support", date(2025, 10, 1), "Yes", "termly"])
    buf = io.BytesIO()
    wb.save(buf)
    r = import_files(con, [("template.xlsx", buf.getvalue())], setting="S", today=AS_OF)
    assert con.execute("SELECT pupil_id, first_name, sen_status FROM pupils").fetchall() == [("T1", "Ann", "K")]
    assert con.execute("SELECT review_date, held FROM reviews").fetchall() == [(date(2025, 10, 1), True)]
    assert {s for _, s, _ in r.skipped} == {"Read me", "Lists", "Settings"}


def test_export_round_trip_of_demo_database(demo_con, tmp_path):
    data = export_workbook(demo_con, viewer=TRUSTED)
    target = store.connect(tmp_path / "copy.duckdb")
    import_files(target, [("export.xlsx", data)], today=AS_OF)
    assert snapshot(target) == snapshot(demo_con)
    again = import_files(target, [("export.xlsx", data)], today=AS_OF)  # and it is idempotent
    assert all(c == {"added": 0, "changed": 0} for c in again.totals().values())


def test_export_round_trip_keeps_extra_columns_and_is_formula_safe(con, tmp_path):
    rows = [["UPN", "Name", "DOB", "Notes"], ["P1", "Jo Bloggs", "04/03/2015", "=HYPERLINK(\"http://x\")"]]
    import_files(con, [("t.csv", csv_bytes(rows))], setting="S", today=AS_OF)
    data = export_workbook(con, viewer=TRUSTED)
    ws = openpyxl.load_workbook(io.BytesIO(data))["Pupils"]
    notes = [c for c in ws[3] if c.value == '=HYPERLINK("http://x")'][0]
    assert notes.data_type == "s" and notes.quotePrefix  # text, even once the cell is edited in Excel
    copy = store.connect(tmp_path / "c.duckdb")
    import_files(copy, [("export.xlsx", data)], today=AS_OF)
    assert snapshot(copy) == snapshot(con)


def test_messy_tracker_reimport_is_idempotent(con):
    import_files(con, [("register.xlsx", messy_tracker())], setting="Oakfield", today=AS_OF)
    before = snapshot(con)
    import_files(con, [("register.xlsx", messy_tracker())], setting="Oakfield", today=AS_OF)
    assert snapshot(con) == before


def test_a_senco_limited_to_one_setting_sees_and_undoes_only_its_imports(con):
    from senlib.access import AccessDenied, Viewer

    oak = import_files(con, [("oak.csv", autumn())], setting="Oak", today=AS_OF).import_ids[0]
    ash = import_files(con, [("ash.csv", autumn())], setting="Ash", today=AS_OF).import_ids[0]
    oak_senco = Viewer(role="senco", email="senco@oak.sch.uk", settings=frozenset({"Oak"}))
    assert list_imports(con, viewer=oak_senco)["import_id"].tolist() == [oak]
    assert sorted(list_imports(con, viewer=TRUSTED)["import_id"]) == [oak, ash]
    with pytest.raises(AccessDenied):
        undo(con, ash, oak_senco.name, viewer=oak_senco)
    with pytest.raises(AccessDenied):
        undo(con, oak, "head", viewer=Viewer(role="leader", email="head@oak.sch.uk"))
    assert con.execute("SELECT count(*) FROM pupils WHERE setting = 'Ash'").fetchone()[0] == 3
    undo(con, oak, oak_senco.name, viewer=oak_senco)
    assert con.execute("SELECT count(*) FROM pupils WHERE setting = 'Oak'").fetchone()[0] == 0


def test_rejected_rows_workbook_is_formula_safe(con):
    from senlib.importer import rejected_workbook

    rows = [["UPN", "Name", "DOB", "Notes"], ["P1", "Jo Bloggs", "31/02/2015", "=HYPERLINK(\"http://x\")"],
            ["P2", "@SUM(A1)", "04/03/2015", "-2+3"]]
    r = import_files(con, [("t.csv", csv_bytes(rows))], setting="S", today=AS_OF, accept_valid_rows=True)
    ws = openpyxl.load_workbook(io.BytesIO(rejected_workbook(r.rejected))).active
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value[:1] in "=+-@"]
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)


def test_a_failure_part_way_through_the_load_leaves_everything_as_it_was(con, monkeypatch):
    """Pupils are written before reviews: make the reviews fail, and nothing of the import may remain."""
    from senlib.importer import pipeline

    import_files(con, [("autumn.csv", autumn())], setting="S", today=AS_OF)
    before = snapshot(con)
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("imports", "audit", "pupil_changes")}
    real = pipeline.upsert

    def failing(cur, table, src, today):
        if table == "reviews":
            raise RuntimeError("disk full")
        return real(cur, table, src, today)

    monkeypatch.setattr(pipeline, "upsert", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        import_files(con, [("spring.csv", spring())], setting="S", today=AS_OF)
    assert snapshot(con) == before
    assert {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in counts} == counts


def test_a_plan_without_a_sen_status_puts_the_pupil_on_the_register(con):
    rows = [["UPN", "Name", "DOB", "Plan", "SEN"], ["P1", "Jo Bloggs", "04/03/2015", "EHCP", ""],
            ["P2", "Al Khan", "05/05/2015", "My Support Plan", ""], ["P3", "Ed Park", "06/06/2015", "", ""],
            ["P4", "Mo Lee", "07/07/2015", "EHCP", "K"]]     # a recorded status is kept as recorded
    import_files(con, [("t.csv", csv_bytes(rows))], setting="S", today=AS_OF)
    got = dict(con.execute("SELECT pupil_id, sen_status FROM pupils").fetchall())
    assert got == {"P1": "E", "P2": "K", "P3": None, "P4": "K"}
