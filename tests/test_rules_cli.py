"""`python -m senlib status`: readable summary, JSON with and without rows, errors."""

from __future__ import annotations

import json

from senlib import store
from senlib.cli import main
from senlib.rules import set_override

KEYS = ["setting", "pupil_id", "first_name", "last_name", "year_group", "sen_status", "primary_need", "plan_type",
        "local_authority", "last_review", "due_date", "status", "days_overdue", "cadence_rule", "status_reason",
        "status_source", "flags", "flag_details"]


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
    assert list(s["by_status"]) == ["overdue", "no_review_date", "due_soon", "on_track", "not_applicable"]
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
    # Each verdict explains itself: the cadence rule, its sentence and source; each flag's sentence and source.
    from senlib.rules import default_policy

    rules = default_policy().rules
    dated = [p for p in pupils if p["status"] in ("overdue", "due_soon", "on_track")]
    assert all(p["cadence_rule"] in rules and p["status_reason"] and p["status_source"] for p in dated)
    flagged = [p for p in pupils if p["flags"]]
    assert flagged and all([d["rule"] for d in p["flag_details"]] == p["flags"] for p in flagged)
    assert all(d["reason"] and d["source"] for p in flagged for d in p["flag_details"])


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


def test_no_review_date_is_its_own_status_in_json_and_text(tmp_path, capsys):
    """Unknown is not overdue: a pupil with nothing recorded is no_review_date (no due date, no days overdue); one
    with only a review in the diary is due then; both are listed for attention after the overdue ones."""
    db = tmp_path / "sparse.duckdb"
    con = store.connect(db)
    con.execute("INSERT INTO settings VALUES ('Oak', 'primary', 'Northmoor Council')")
    for pid, sen, identified in [("A", "K", None), ("B", "E", None), ("C", "K", None), ("D", "K", "2026-01-05")]:
        con.execute("""INSERT INTO pupils (setting, pupil_id, first_name, last_name, date_of_birth, sen_status,
                                           date_identified) VALUES ('Oak', ?, 'Sam', 'Test', DATE '2014-05-10', ?, ?)""",
                    [pid, sen, identified])
    con.execute("INSERT INTO reviews (setting, pupil_id, plan_type, review_date, held) "
                "VALUES ('Oak', 'C', 'sen_support', DATE '2027-01-14', FALSE)")
    con.close()
    code, out, _ = _run(capsys, "--db", str(db), "--as-of", "2026-11-23", "--json", "--rows")
    assert code == 0
    data = json.loads(out)
    assert data["summary"]["by_status"] == {"overdue": 1, "no_review_date": 2, "due_soon": 0, "on_track": 1,
                                            "not_applicable": 0}
    assert data["summary"]["by_plan_type"]["sen_support"]["no_review_date"] == 1
    assert data["summary"]["by_plan_type"]["ehcp"]["no_review_date"] == 1
    rows = {p["pupil_id"]: p for p in data["pupils"]}
    assert [(rows[p]["status"], rows[p]["due_date"], rows[p]["days_overdue"]) for p in "ABCD"] == [
        ("no_review_date", None, None), ("no_review_date", None, None), ("on_track", "2027-01-14", 0),
        ("overdue", "2026-05-05", 202)]
    code, out, _ = _run(capsys, "--db", str(db), "--as-of", "2026-11-23", "--rows")
    assert "No review date recorded" in out
    attention = [line for line in out.splitlines() if line.startswith("  Oak | ")]
    assert [line.split(" | ")[1] for line in attention] == ["D", "A", "B"]  # overdue first, then no review date
