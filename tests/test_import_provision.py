"""Importing provision (issue 16): the template's Provisions and Pupil provisions sheets, a school's provision map with
a row per pupil per intervention, and the grid (pupils down, interventions across) with a sheet describing each
intervention; on top of the sparse register of Hollybank Primary, from the pipeline and the command line. Classification:
the same words on a register and on a provision sheet."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from senlib import store
from senlib.access import TRUSTED
from senlib.importer import ImportRefused, export_workbook, import_files, prepare, recognised_lines, run, undo
from senlib.store.fields import TEMPLATE_COLUMNS
from tests import provision_corpus as pc
from tests import sparse_corpus as sc
from tests.import_corpus import csv_bytes, xlsx

ROOT = Path(__file__).resolve().parent.parent
TABLES = ["pupils", "plans", "reviews", "outcomes", "scores", "ehc_requests", "provisions", "pupil_provisions"]
PROVISION_COLS = [f.name for f in TEMPLATE_COLUMNS["provisions"]]
PLACE_COLS = [f.name for f in TEMPLATE_COLUMNS["pupil_provisions"]]


@pytest.fixture
def con(tmp_path):
    """A database holding Hollybank Primary's sparse register, as the command line would import it."""
    c = store.connect(sc.make_db(tmp_path / "holly.duckdb"))
    yield c
    c.close()


def snapshot(con) -> dict[str, list]:
    out = {"settings": sorted(map(repr, con.execute("SELECT * FROM settings").fetchall()))}
    for t in TABLES:
        cols = [f.name for f in TEMPLATE_COLUMNS[t]] + (["extra"] if t == "pupils" else [])
        out[t] = sorted(map(repr, con.execute(f"SELECT {', '.join(chr(34) + c + chr(34) for c in cols)} FROM {t}").fetchall()))
    return out


def provisions(con) -> dict[str, dict]:
    df = con.execute(f"SELECT {', '.join(PROVISION_COLS)} FROM provisions ORDER BY provision_id").df()
    return {r["provision_id"]: {k: (None if v != v else v) for k, v in r.items()} for r in df.to_dict("records")}


def places(con) -> set[tuple]:
    rows = con.execute("""SELECT pupil_id, provision_id, start_date, end_date, entry_score, exit_score, sessions_attended,
        sessions_planned, notes FROM pupil_provisions""").fetchall()
    return set(rows)


def imp(con, name: str, data: bytes, **kw):
    return import_files(con, [(name, data)], setting=sc.SETTING, today=sc.AS_OF, **kw)


def expected_row_places() -> set[tuple]:
    regs = pc.pupils()
    out = set()
    for p, name, start, end, entry, exit_, attended, planned in pc.PLACES:
        out.add((pc.pupil_id(regs[p]), _slug(name), start, end, _f(entry), _f(exit_), _f(attended), _f(planned), None))
    return out


def _slug(name: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", name.lower().replace("&", " and ")).strip("-")


def _f(v):
    return None if v is None else float(v)


# ---- one row per pupil per intervention ----------------------------------------------------------------------------


def test_row_per_place_tracker_becomes_provisions_and_places_exactly(con):
    before = snapshot(con)
    r = imp(con, "provision-map.xlsx", pc.row_per_place())
    assert r.totals()["provisions"] == {"added": 8, "changed": 0}
    assert r.totals()["pupil_provisions"] == {"added": len(pc.PLACES), "changed": 0}
    assert r.totals()["pupils"] == {"added": 0, "changed": 0}  # the register is only read, never changed
    assert len(r.errors) == 0 and len(r.warnings) == 0
    got = provisions(con)
    assert set(got) == {_slug(n) for n in pc.INTERVENTIONS}
    for name, (_, role, _, sessions, _, minutes, _, size) in pc.INTERVENTIONS.items():
        p = got[_slug(name)]
        assert (p["name"], p["delivered_by"], p["sessions_per_week"], p["minutes_per_session"], p["group_size"]) == \
            (name, role, sessions, minutes, size), name
        assert p["hourly_cost"] is None and p["fixed_cost"] is None and p["weeks_per_year"] is None  # not tracked: never 0
    # a row worked out by hand: Isla Oakley, Precision Teaching 7 Sep to 20 Nov, 84 -> 93, 48 of 55 sessions
    assert ("OAKLEY-ISLA-20170419", "precision-teaching", date(2026, 9, 7), date(2026, 11, 20), 84.0, 93.0, 48.0, 55.0,
            None) in places(con)
    assert places(con) == expected_row_places()
    for t in ("pupils", "plans", "reviews"):
        assert snapshot(con)[t] == before[t]


def test_row_per_place_reimport_changes_nothing_and_undo_restores(con):
    before = snapshot(con)
    first = imp(con, "provision-map.xlsx", pc.row_per_place())
    after = snapshot(con)
    changes = con.execute("SELECT count(*) FROM import_row_changes").fetchall()[0][0]
    again = imp(con, "provision-map.xlsx", pc.row_per_place())
    assert all(c == {"added": 0, "changed": 0} for c in again.totals().values())
    assert snapshot(con) == after
    assert con.execute("SELECT count(*) FROM import_row_changes").fetchall()[0][0] == changes
    # the second import wrote nothing, so the first is undone on its own
    undo(con, first.import_ids[0], viewer=TRUSTED)
    assert snapshot(con) == before


def test_a_changed_tracker_updates_and_undo_puts_back(con):
    from senlib.core.errors import InputError

    first = imp(con, "provision-map.xlsx", pc.row_per_place())
    before = snapshot(con)
    changed = pc.row_per_place(bad={(3, "Exit"): 95, (4, "Mins"): "45"})  # Isla's exit score; SaLT 45 minutes
    r = imp(con, "provision-map-2.xlsx", changed)
    assert r.totals()["pupil_provisions"] == {"added": 0, "changed": 1}
    assert r.totals()["provisions"] == {"added": 0, "changed": 0}
    # the rows of speech and language therapy disagree (30 on one, 45 on the other): said; on a tie the first row wins
    w = r.warnings
    assert list(w["column"]) == ["Mins"] and "give different minutes a session" in w["message"].iloc[0]
    assert provisions(con)["speech-and-language-therapy"]["minutes_per_session"] == 30
    assert con.execute("SELECT exit_score FROM pupil_provisions WHERE pupil_id = 'OAKLEY-ISLA-20170419'").fetchone() == (95.0,)
    with pytest.raises(InputError, match=f"Undo import\\(s\\) {r.import_ids[0]} first"):  # a later import built on it
        undo(con, first.import_ids[0], viewer=TRUSTED)
    undo(con, r.import_ids[0], viewer=TRUSTED)
    assert snapshot(con) == before


def test_bad_cells_are_refused_with_sheet_row_column_and_fix(con):
    before = snapshot(con)
    data = pc.row_per_place(bad={(0, "Mins"): "twice a week"},
                            extra=[["Zara Nobody", "01/02/2018", "Year 4", "ELSA", "HLTA", "1", "45", "1"]])
    with pytest.raises(ImportRefused) as exc:
        imp(con, "provision-map.xlsx", data)
    errors = exc.value.table[exc.value.table["severity"] == "error"]
    got = {(r["sheet"], r["row"], r["column"], r["value"]) for r in errors.to_dict("records")}
    assert (pc.ROW_SHEET, 5, "Mins", "twice a week") in got            # the first place is on row 5 (title rows above)
    assert (pc.ROW_SHEET, 5 + len(pc.PLACES), "Pupil", "Zara Nobody") in got
    mins = errors[errors["column"] == "Mins"].iloc[0]
    assert mins["message"] == "This is not a number (minutes a session)" and "sessions-a-week column" in mins["fix"]
    nobody = errors[errors["column"] == "Pupil"].iloc[0]
    assert "There is no pupil Zara Nobody born 01/02/2018 on the register of Hollybank Primary" in nobody["message"]
    assert "register" in nobody["fix"]
    assert snapshot(con) == before  # all or nothing


def test_a_place_on_an_intervention_nobody_described_is_an_error_with_a_fix(con):
    rows = [["Pupil ID", "Provision ID", "Start date"], [pc.pupil_id(pc.pupils()[0]), "P9", "08/09/2026"]]
    with pytest.raises(ImportRefused) as exc:
        import_files(con, [("Pupil provisions.csv", csv_bytes(rows))], setting=sc.SETTING, today=sc.AS_OF)
    err = exc.value.table.iloc[0]
    assert (err["row"], err["column"], err["value"]) == (2, "Provision ID", "P9")
    assert "There is no provision P9 for Hollybank Primary" in err["message"] and "Provisions sheet" in err["fix"]


# ---- the grid ------------------------------------------------------------------------------------------------------


def expected_grid_places() -> set[tuple]:
    regs = pc.pupils()
    out = set()
    for i, cells in pc.GRID.items():
        for name, cell in cells.items():
            note = f"Provision map: {cell}" if isinstance(cell, int) and cell > 1 else None
            out.add((pc.pupil_id(regs[i]), _slug(name), None, None, None, None, None, None, note))
    return out


def test_grid_with_a_sheet_describing_each_intervention(con):
    up = prepare(con, [("map.xlsx", pc.grid())])
    kinds = {p.sheet: p.entity for _, p in up.plans}
    assert kinds == {pc.GRID_SHEET: "pupil_provisions", pc.GRID_DESCRIBED: "provisions"}
    grid_plan = next(p for _, p in up.plans if p.sheet == pc.GRID_SHEET)
    assert [c.header for c in grid_plan.grid()] == list(pc.GRID_INTERVENTIONS)
    lines = recognised_lines(up, 0, grid_plan)
    assert lines[0].startswith("Provision map grid: 5 intervention columns")
    r = run(con, up, setting=sc.SETTING, today=sc.AS_OF)
    assert len(r.problems) == 0
    got = provisions(con)
    assert set(got) == {_slug(n) for n in pc.GRID_INTERVENTIONS}
    for name, (_, role, _, sessions, _, minutes, _, cost, _, measure, gain) in pc.GRID_INTERVENTIONS.items():
        p = got[_slug(name)]
        assert (p["name"], p["delivered_by"], p["sessions_per_week"], p["minutes_per_session"], p["fixed_cost"],
                p["hourly_cost"], p["measure"], p["expected_gain"]) == (name, role, sessions, minutes, cost, 0.0, measure,
                                                                        gain), name
    assert places(con) == expected_grid_places()
    assert r.totals()["pupil_provisions"]["added"] == sum(len(c) for c in pc.GRID.values())


def test_grid_reimport_changes_nothing_and_undo_restores(con):
    before = snapshot(con)
    first = imp(con, "map.xlsx", pc.grid())
    after = snapshot(con)
    again = imp(con, "map.xlsx", pc.grid())
    assert all(c == {"added": 0, "changed": 0} for c in again.totals().values())
    assert snapshot(con) == after
    undo(con, again.import_ids[0], viewer=TRUSTED)
    undo(con, first.import_ids[0], viewer=TRUSTED)
    assert snapshot(con) == before


def test_grid_bad_cell_and_unknown_pupil_are_refused_with_their_place(con):
    data = pc.grid(bad={(6, "Numicon"): "twice"}, names={14: "Rosie Caldwel"})
    with pytest.raises(ImportRefused) as exc:
        imp(con, "map.xlsx", data)
    errors = exc.value.table[exc.value.table["severity"] == "error"]
    got = {(r["sheet"], r["row"], r["column"], r["value"]) for r in errors.to_dict("records")}
    assert (pc.GRID_SHEET, 9, "Numicon", "twice") in got          # header on row 2: register row 6 is sheet row 9
    assert (pc.GRID_SHEET, 17, "Name", "Rosie Caldwel") in got
    assert con.execute("SELECT count(*) FROM pupil_provisions").fetchone() == (0,)


def test_grid_and_row_layout_together_and_from_the_command_line(tmp_path):
    db = sc.make_db(tmp_path / "cli.duckdb")
    rows, grid = tmp_path / "provision-map.xlsx", tmp_path / "grid.xlsx"
    rows.write_bytes(pc.row_per_place())
    grid.write_bytes(pc.grid())
    cmd = [sys.executable, "-m", "senlib", "import", str(rows), str(grid), "--db", str(db), "--setting", sc.SETTING]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=180, env={**os.environ})
    assert r.returncode == 0, r.stderr
    assert "Interventions (provisions): 13 added" in r.stdout
    assert f"Pupils' places on interventions: {len(pc.PLACES) + sum(len(c) for c in pc.GRID.values())} added" in r.stdout
    con = store.connect(db, read_only=True)
    try:
        assert places(con) == expected_row_places() | expected_grid_places()
        fields = {f for (f,) in con.execute("SELECT DISTINCT entity || '.' || field FROM import_fields "
                                            "WHERE entity IN ('provisions', 'pupil_provisions')").fetchall()}
    finally:
        con.close()
    assert {"provisions.name", "provisions.provision_id", "provisions.delivered_by", "provisions.sessions_per_week",
            "provisions.minutes_per_session", "provisions.group_size", "provisions.fixed_cost", "provisions.hourly_cost",
            "provisions.measure", "provisions.expected_gain", "pupil_provisions.provision_id",
            "pupil_provisions.start_date", "pupil_provisions.end_date", "pupil_provisions.entry_score",
            "pupil_provisions.exit_score", "pupil_provisions.sessions_attended",
            "pupil_provisions.sessions_planned"} == fields
    again = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=180, env={**os.environ})
    assert again.returncode == 0 and "Nothing new" in again.stdout, again.stdout + again.stderr
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(pc.row_per_place(bad={(0, "Mins"): "twice a week"}))
    refused = subprocess.run([*cmd[:4], str(bad), *cmd[6:]], capture_output=True, text=True, cwd=ROOT, timeout=180)
    assert refused.returncode == 2
    assert (f"ERROR bad.xlsx, sheet '{pc.ROW_SHEET}', row 5, column 'Mins': This is not a number (minutes a session) "
            "(value: 'twice a week')") in refused.stderr


# ---- classification: the same words on a register and on a provision sheet ----------------------------------------


def _plan(con, rows: list[list], name: str = "Sheet1"):
    up = prepare(con, [("t.xlsx", xlsx({name: rows}))])
    return up, up.plans[0][1]


def test_a_register_whose_provision_column_is_the_sen_status_stays_a_register(con):
    up, plan = _plan(con, [["Name", "DOB", "Year", "Provision", "Need", "TA", "Last review"],
                           ["Amelia Ashworth", "13/07/2022", "R", "SEN Support", "SPLD", "Mrs Hill", "15/09/2026"],
                           ["Noah Vickery", "23/03/2017", "5", "EHCP", "SLCN", "Mr Khan", "02/10/2026"]])
    assert plan.entity == "pupils"
    assert plan.mapping["Provision"] == "sen_status" and plan.mapping["TA"] == "key_worker"
    assert any("read as the SEN status" in line for line in recognised_lines(up, 0, plan))
    support = _plan(con, [["Name", "DOB", "Support", "Attendance"], ["Amelia Ashworth", "13/07/2022", "SEN Support", "95"]])[1]
    assert support.entity == "pupils" and support.mapping["Support"] != "provision_name"


def test_a_provision_sheet_with_the_same_words_is_a_provision_sheet(con):
    up, plan = _plan(con, [["Name", "DOB", "Provision", "TA", "Frequency", "Baseline", "Outcome"],
                           ["Amelia Ashworth", "13/07/2022", "Fine motor group", "Mrs Hill", "2", "3", "5"],
                           ["Amelia Ashworth", "13/07/2022", "Talk Boost", "Mrs Hill", "3", "70", "80"]])
    assert plan.entity == "pupil_provisions"
    assert plan.mapping["Provision"] == "provision_name" and plan.mapping["TA"] == "delivered_by"
    assert plan.mapping["Frequency"] == "sessions_per_week" and plan.mapping["Baseline"] == "entry_score"
    lines = recognised_lines(up, 0, plan)
    assert any("row per pupil per intervention" in line and "not a review log" in line for line in lines)
    assert not any(line.startswith("Rows per pupil") for line in lines)  # a pupil on two rows is not a review log


def test_a_row_per_place_tracker_is_not_taken_for_a_review_log(con):
    up = prepare(con, [("m.xlsx", pc.row_per_place())])
    plan = up.plans[0][1]
    assert plan.entity == "pupil_provisions"
    assert not any(line.startswith("Rows per pupil") for line in recognised_lines(up, 0, plan))
    # and the same rows with a review date and a progress column are still a provision sheet, not reviews
    rows = pc.row_per_place_rows()
    rows[3] = [*rows[3], "Review date", "Progress"]
    up = prepare(con, [("m.xlsx", xlsx({"Tracker": rows}))])
    assert up.plans[0][1].entity == "pupil_provisions"


def test_a_review_log_stays_a_review_log(con):
    from tests.import_corpus import review_log_csv

    up = prepare(con, [("log.csv", review_log_csv())])
    assert up.plans[0][1].entity == "pupils"


# ---- the template's sheets and the export round trip ---------------------------------------------------------------


def test_template_provision_sheets_import_and_export_round_trips(con, tmp_path):
    from senlib.importer import write_template

    wb = openpyxl.load_workbook(io.BytesIO(write_template()))
    pid = pc.pupil_id(pc.pupils()[2])
    wb["Provisions"].append(["", "P1", "Toe by Toe", "cognition_learning; C&I", "1:1", "TA", "1", "5 x weekly", "15",
                             "30", "12.50", "£40", date(2026, 9, 7), None, "reading age", "6", "Phonics"])
    wb["Provisions"].append(["", "P2", "Therapy", "SEMH", "external", "ed psych", None, "fortnightly", "1 hour", None,
                             None, "1,500", None, None, None, None, None])
    wb["Pupil provisions"].append(["", pid, "P1", date(2026, 9, 7), None, 84, date(2026, 9, 7), None, None, 30, 32, "Keen"])
    wb["Pupil provisions"].append(["", pid, "P2", None, None, None, None, None, None, None, None, None])
    buf = io.BytesIO()
    wb.save(buf)
    r = imp(con, "template.xlsx", buf.getvalue())
    assert r.totals()["provisions"]["added"] == 2 and r.totals()["pupil_provisions"]["added"] == 2
    got = provisions(con)
    assert got["P1"] == {"setting": sc.SETTING, "provision_id": "P1", "name": "Toe by Toe",
                         "areas": "cognition_learning; communication_interaction", "kind": "one_to_one",
                         "delivered_by": "teaching_assistant", "group_size": 1.0, "sessions_per_week": 5.0,
                         "minutes_per_session": 15.0, "weeks_per_year": 30.0, "hourly_cost": 12.5, "fixed_cost": 40.0,
                         "start_date": got["P1"]["start_date"], "end_date": None, "measure": "reading_age_months",
                         "expected_gain": 6.0, "notes": "Phonics"}
    assert str(got["P1"]["start_date"])[:10] == "2026-09-07"
    assert (got["P2"]["kind"], got["P2"]["delivered_by"], got["P2"]["sessions_per_week"], got["P2"]["minutes_per_session"],
            got["P2"]["fixed_cost"]) == ("external", "ep", 0.5, 60.0, 1500.0)
    # export -> import into an empty database gives the same data, and again changes nothing
    imp(con, "map.xlsx", pc.grid())
    data = export_workbook(con, viewer=TRUSTED)
    copy = store.connect(tmp_path / "copy.duckdb")
    import_files(copy, [("export.xlsx", data)], today=sc.AS_OF)
    assert snapshot(copy) == snapshot(con)
    again = import_files(copy, [("export.xlsx", data)], today=sc.AS_OF)
    assert all(c == {"added": 0, "changed": 0} for c in again.totals().values())


def test_template_provision_sheets_have_dropdowns():
    from senlib.importer import write_template

    wb = openpyxl.load_workbook(io.BytesIO(write_template()))
    ws = wb["Provisions"]
    heads = [c.value for c in ws[1]]
    assert heads[:6] == ["Setting", "Provision ID", "Intervention", "Areas of need", "Kind of provision", "Delivered by"]
    lists = {str(d.sqref).split(":")[0] for d in ws.data_validations.dataValidation if d.formula1.startswith("=Lists!")}
    col = {h: openpyxl.utils.get_column_letter(i + 1) for i, h in enumerate(heads)}
    assert {f"{col[h]}3" for h in ("Areas of need", "Kind of provision", "Delivered by", "Measure")} <= lists
    assert str(ws.cell(3, 2).value).startswith("EXAMPLE")
    assert str(wb["Pupil provisions"].cell(3, 2).value).startswith("EXAMPLE")
