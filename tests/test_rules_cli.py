"""`python -m senlib status`: readable summary, JSON with and without rows, errors."""

from __future__ import annotations

import json

from senlib import store
from senlib.cli import main
from senlib.rules import set_override

KEYS = ["setting", "pupil_id", "first_name", "last_name", "year_group", "sen_status", "primary_need", "plan_type",
        "local_authority", "last_review", "due_date", "status", "days_overdue", "flags"]


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main(["status", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_summary_and_rows(demo_db, capsys):
    code, out, _ = _run(capsys, "--db", str(demo_db), "--as-of", "2026-11-23", "--json", "--rows")
    assert code == 0
    data = json.loads(out)
    assert data["as_of"] == "2026-11-23"
    s = data["summary"]
    assert set(s["by_status"]) == {"overdue", "due_soon", "on_track", "not_applicable"}
    assert sum(s["by_status"].values()) == len(data["pupils"]) == 1500
    assert s["by_flag"] and all(isinstance(v, int) for v in s["by_flag"].values())
    assert set(s["by_plan_type"]) <= {"sen_support", "my_support_plan", "ehcp", "ihcp"}
    assert sum(v["pupils"] for v in s["by_plan_type"].values()) == 1500 - s["by_status"]["not_applicable"]
    pupils = data["pupils"]
    assert all(list(p) == KEYS for p in pupils)
    overdue = [p for p in pupils if p["status"] == "overdue"]
    assert overdue and all(isinstance(p["days_overdue"], int) and p["days_overdue"] > 0 for p in overdue)
    assert all(p["year_group"] in {"N1", "N2", "R", *map(str, range(1, 15)), None} for p in pupils)
    assert all(p["sen_status"] in {"N", "K", "E"} for p in pupils)
    dated = [p for p in pupils if p["due_date"]]
    assert dated and all(len(p["due_date"]) == 10 and p["due_date"][4] == "-" for p in dated)
    assert sum(len(p["flags"]) for p in pupils) == sum(s["by_flag"].values())
    assert all(p["days_overdue"] is None for p in pupils if p["status"] == "not_applicable")


def test_json_without_rows_has_no_pupils(demo_db, capsys):
    code, out, _ = _run(capsys, "--db", str(demo_db), "--as-of", "2026-11-23", "--json")
    assert code == 0 and "pupils" not in json.loads(out)


def test_readable_summary_and_rows(demo_db, capsys):
    code, out, _ = _run(capsys, "--db", str(demo_db), "--as-of", "2026-11-23")
    assert code == 0
    assert out.startswith("Review status on 23 Nov 2026: 1,500 pupils in 3 settings")
    assert "Overdue" in out and "Flags raised" in out and "Pupils needing attention" not in out
    code, out, _ = _run(capsys, "--db", str(demo_db), "--as-of", "2026-11-23", "--rows")
    assert "Pupils needing attention" in out and "overdue" in out.lower()


def test_status_uses_the_overrides_in_the_database(demo_db, capsys):
    _, before, _ = _run(capsys, "--db", str(demo_db), "--as-of", "2026-11-23", "--json")
    con = store.connect(demo_db)
    set_override(con, "invite_good_practice", "weeks", 12, user="test")
    con.close()
    _, after, _ = _run(capsys, "--db", str(demo_db), "--as-of", "2026-11-23", "--json")
    assert json.loads(after)["summary"]["by_status"]["due_soon"] > json.loads(before)["summary"]["by_status"]["due_soon"]


def test_errors_exit_2_with_a_message(tmp_path, capsys):
    code, _, err = _run(capsys, "--db", str(tmp_path / "none.duckdb"))
    assert code == 2 and "no database" in err.lower()
