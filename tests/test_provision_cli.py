"""`python -m senlib provision` on the hand-worked school: the costs and flags the pages show, at the terminal."""

from __future__ import annotations

import json

from senlib.cli import main

from . import provision_fixture as fx


def test_the_costed_map_and_flags_at_the_terminal(tmp_path, capsys):
    db = tmp_path / "p.duckdb"
    fx.build(db).close()
    assert main(["provision", "--db", str(db), "--as-of", fx.AS_OF.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "spend where costed £9,008.33 (2 not costed" in out
    assert "Lego therapy                        3 now  0.75 h a week      £630.00 a year" in out
    assert "Reading group                       1 now  1.00 h a week      cost not tracked" in out
    assert "Staff hours a week now: Teaching assistant 6.25, Specialist teacher 1.00" in out
    assert "costs £6,090.00 (1:1 support £3,800.00, Specialist teaching £2,290.00)" in out
    assert main(["provision", "--db", str(db), "--as-of", fx.AS_OF.isoformat(), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    costs = {r["provision_id"]: r["cost_year"] for r in data["interventions"]}
    assert round(costs["P8"], 2) == 1013.33 and costs["P7"] is None
    assert sorted(f["rule_id"] for f in data["flags"]).count("provision_no_exit") == 2


def test_a_database_with_no_provision_says_what_to_do(tmp_path, capsys):
    db = tmp_path / "empty.duckdb"
    assert main(["demo", "--db", str(db), "--pupils", "40"]) == 0
    capsys.readouterr()
    import duckdb

    con = duckdb.connect(str(db))
    con.execute("DELETE FROM pupil_provisions; DELETE FROM provisions")
    con.close()
    assert main(["provision", "--db", str(db), "--as-of", "2026-12-01"]) == 0
    assert "No provision is recorded" in capsys.readouterr().out
