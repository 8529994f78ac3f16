"""Command line: import / imports / undo / leavers / template / export, and their exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import openpyxl

from senlib import store
from senlib.cli import main
from tests.import_corpus import csv_bytes, messy_tracker

ROOT = Path(__file__).resolve().parent.parent
GOOD = [["UPN", "Name", "DOB", "SEN", "Need"], ["P1", "Jo Bloggs", "04/03/2015", "K", "ASD"], ["P2", "Al Khan", "05/05/2015", "E", "SLCN"]]
BAD = [["UPN", "Name", "DOB", "SEN", "Need"], ["P1", "Jo Bloggs", "04/03/2015", "K", "ASD"], ["P2", "Al Khan", "31/02/2015", "Q", "SLCN"]]


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def count(db, table="pupils") -> int:
    con = store.connect(db, read_only=True)
    try:
        return con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    finally:
        con.close()


def test_import_success_exit_0_and_summary(tmp_path):
    db = tmp_path / "x.duckdb"
    r = subprocess.run([sys.executable, "-m", "senlib", "import", write(tmp_path, "register.xlsx", messy_tracker()),
                        "--db", str(db), "--setting", "Oakfield"], capture_output=True, text=True, cwd=ROOT, timeout=120,
                       env={**os.environ})
    assert r.returncode == 0, r.stderr
    assert "Imported register.xlsx as import 1" in r.stdout and "Pupils: 6 added" in r.stdout
    assert "skipped sheet 'Summary'" in r.stdout
    assert count(db) == 6


def test_refused_import_exit_2_lists_each_error_with_place(tmp_path):
    db = tmp_path / "x.duckdb"
    r = subprocess.run([sys.executable, "-m", "senlib", "import", write(tmp_path, "t.csv", csv_bytes(BAD)), "--db", str(db),
                        "--setting", "S"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    assert "ERROR t.csv, sheet 't', row 3, column 'DOB': This is not a date" in r.stderr
    assert "row 3, column 'SEN': Unknown sen status (value: 'Q')" in r.stderr
    assert count(db) == 0


def test_bad_file_exit_2(tmp_path, capsys):
    db = tmp_path / "x.duckdb"
    assert main(["import", write(tmp_path, "t.xlsx", b"UPN,Name\nP1,Jo\n"), "--db", str(db)]) == 2
    assert "really a CSV" in capsys.readouterr().err
    assert main(["import", str(tmp_path / "missing.xlsx"), "--db", str(db)]) == 2
    assert "There is no file" in capsys.readouterr().err


def test_accept_valid_rows_writes_rejected_file(tmp_path, capsys):
    db, out = tmp_path / "x.duckdb", tmp_path / "rejected.xlsx"
    assert main(["import", write(tmp_path, "t.csv", csv_bytes(BAD)), "--db", str(db), "--setting", "S",
                 "--accept-valid-rows", "--rejected", str(out)]) == 0
    assert "1 row with errors was not imported" in capsys.readouterr().out
    ws = openpyxl.load_workbook(out).worksheets[0]
    assert ws.cell(2, 2).value == "P2" and "not a date" in ws.cell(2, ws.max_column).value
    assert count(db) == 1


def test_dry_run_and_json(tmp_path, capsys):
    db = tmp_path / "x.duckdb"
    assert main(["import", write(tmp_path, "t.csv", csv_bytes(GOOD)), "--db", str(db), "--setting", "S", "--dry-run",
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dry_run"] is True and out["totals"]["pupils"]["added"] == 2
    assert count(db) == 0
    assert main(["import", write(tmp_path, "t.csv", csv_bytes(BAD)), "--db", str(db), "--setting", "S", "--json"]) == 2
    refused = json.loads(capsys.readouterr().out)
    assert refused["imported"] is False and {p["row"] for p in refused["problems"]} == {3}


def test_imports_undo_and_leavers(tmp_path, capsys):
    db = tmp_path / "x.duckdb"
    assert main(["import", write(tmp_path, "a.csv", csv_bytes(GOOD)), "--db", str(db), "--setting", "S"]) == 0
    b = write(tmp_path, "b.csv", csv_bytes(GOOD[:2]))
    assert main(["import", b, "--db", str(db), "--setting", "S"]) == 0       # a part of the register: no leavers
    assert "not in this upload" not in capsys.readouterr().out
    # as the whole register, half of S would become possible leavers: refused, unless --yes
    assert main(["import", b, "--db", str(db), "--setting", "S", "--whole-register"]) == 2
    err = capsys.readouterr().err
    assert "Are these files for S? 1 of the 2 pupils on the register of S are not in these files" in err and "--yes" in err
    assert main(["import", b, "--db", str(db), "--setting", "S", "--whole-register", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "1 pupil is in the database but not in this upload" in out and "P2" in out
    assert main(["leavers", "3", "--all", "--date", "2025-12-19", "--db", str(db)]) == 0
    assert "1 pupil given a leaving date of 19/12/2025" in capsys.readouterr().out
    assert main(["imports", "--db", str(db)]) == 0
    listing = capsys.readouterr().out
    assert "a.csv" in listing and "b.csv" in listing
    assert main(["undo", "1", "--db", str(db)]) == 2  # import 3 built on it (its leaver)
    assert "Undo import(s) 3 first" in capsys.readouterr().err
    assert main(["undo", "3", "--db", str(db)]) == 0
    assert main(["undo", "1", "--db", str(db)]) == 0
    assert main(["undo", "99", "--db", str(db)]) == 2
    assert count(db) == 0


def test_template_and_export_round_trip(tmp_path, demo_db, capsys):
    assert main(["template", str(tmp_path / "t.xlsx")]) == 0
    assert openpyxl.load_workbook(tmp_path / "t.xlsx").sheetnames[:3] == ["Read me", "Pupils", "Plans"]
    assert main(["export", str(tmp_path / "e.xlsx"), "--db", str(demo_db)]) == 0
    copy = tmp_path / "copy.duckdb"
    assert main(["import", str(tmp_path / "e.xlsx"), "--db", str(copy)]) == 0
    assert count(copy) == count(demo_db) and count(copy, "scores") == count(demo_db, "scores")


def test_shapes_from_the_command_line(tmp_path, capsys):
    """Issue 13: a term-columns register and IPM targets through `python -m senlib import`; term score columns without
    a remembered date are refused with the columns named, then imported once the dates are remembered."""
    from senlib.importer import prepare, remember_mapping, set_score_dates
    from tests.import_corpus import ipm_targets, term_register

    db = tmp_path / "x.duckdb"
    assert main(["import", write(tmp_path, "register.xlsx", term_register()), "--db", str(db), "--setting", "Brook"]) == 0
    assert "Reviews: 7 added" in capsys.readouterr().out
    ipm = write(tmp_path, "ipm.xlsx", ipm_targets())
    assert main(["import", ipm, "--db", str(db), "--setting", "Brook", "--yes"]) == 2   # --yes: other pupils of Brook
    err = capsys.readouterr()
    text = err.out + err.err
    assert "need the date the scores were given" in text and "'T2 Autumn 1', 'T2 Autumn 2'" in text
    con = store.connect(db)
    up = prepare(con, [("ipm.xlsx", ipm_targets())])
    set_score_dates(up.plans[0][1], {"T2 Autumn 1": date(2026, 10, 20), "T2 Autumn 2": date(2026, 11, 25)})
    remember_mapping(con, up.plans[0][1])
    con.close()
    assert main(["import", ipm, "--db", str(db), "--setting", "Brook", "--yes"]) == 0
    assert "Scaling scores: 6 added" in capsys.readouterr().out
    assert count(db, "outcomes") == 3


def test_another_schools_file_is_refused_unless_yes(tmp_path, capsys):
    db = tmp_path / "x.duckdb"
    assert main(["import", write(tmp_path, "oak.csv", csv_bytes(GOOD)), "--db", str(db), "--setting", "Oak"]) == 0
    other = csv_bytes([["UPN", "Name", "DOB", "SEN"]] + [[f"Q{i}", f"Pat Kay{i}", "04/03/2015", "K"] for i in range(15)])
    path = write(tmp_path, "elm.csv", other)
    capsys.readouterr()
    assert main(["import", path, "--db", str(db)]) == 2       # the database's only setting, Oak, is assumed: refused
    assert "Only 0 of the 15 pupils in these files are on the register of Oak (2 pupils)" in capsys.readouterr().err
    assert count(db) == 2
    assert main(["import", path, "--db", str(db), "--setting", "Elm"]) == 0   # a new setting: nothing to compare
    assert count(db) == 17
