"""The Rules page's hourly cost of staff time by role (issue 16): each setting's cost in force with the product's
default beside it; the SENCo changes one (audited, and every costed figure follows) and puts it back to the default;
a senior leader reads the costs but cannot change them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from senlib import access, store
from senlib.core.text import shown
from senlib.rules import provision
from tests import provision_fixture as F
from tests.test_rules_page import _app


@pytest.fixture
def fixture_db(tmp_path) -> Path:
    path = tmp_path / "hollybank.duckdb"
    F.build(path).close()
    return path


def _costs(at) -> dict:
    table = next(d.value for d in at.dataframe if "hourly_cost" in d.value.columns and "default_cost" in d.value.columns)
    return {r.label: (r.hourly_cost, r.default_cost, r.source) for r in table.itertuples()}


def _p1_cost(db: Path) -> float:
    con = store.connect(db)
    try:
        i = provision.interventions(con, F.AS_OF, viewer=access.TRUSTED).set_index("provision_id")
        return round(float(i.loc["P1", "cost_year"]), 2)
    finally:
        con.close()


def test_senco_sees_edits_and_resets_the_hourly_cost_of_a_role(fixture_db, monkeypatch):
    at = _app(fixture_db, monkeypatch)
    costs = _costs(at)
    assert costs["Teaching assistant"] == (20.0, 18.0, "The setting's own")  # the fixture's own £20
    assert costs["Specialist teacher"] == (55.0, 55.0, "Default")
    assert _p1_cost(fixture_db) == 380.00  # 0.5 h × 38 × £20
    next(s for s in at.selectbox if s.key == "role_cost_role").set_value("teaching_assistant")
    next(n for n in at.number_input if n.key == "role_cost_value").set_value(25.0)
    next(b for b in at.button if b.label == "Save the hourly cost").click().run()
    assert not at.exception and not at.error
    assert any("Teaching assistant at Hollybank Primary costs £25.00 an hour" in shown(s.value) for s in at.success)
    assert _costs(at)["Teaching assistant"] == (25.0, 18.0, "The setting's own")
    assert _p1_cost(fixture_db) == 475.00  # 0.5 h × 38 × £25: every costed figure follows
    next(s for s in at.selectbox if s.key == "role_cost_role").set_value("teaching_assistant")
    next(b for b in at.button if b.label == "Back to default").click().run()
    assert not at.exception and not at.error
    assert _costs(at)["Teaching assistant"] == (18.0, 18.0, "Default")
    assert _p1_cost(fixture_db) == 342.00  # 0.5 h × 38 × £18, the default
    con = store.connect(fixture_db)
    try:
        audit = [json.loads(d) for (d,) in con.execute(
            "SELECT detail FROM audit WHERE action = 'role_cost_change' ORDER BY rowid").fetchall()]
    finally:
        con.close()
    assert [a["hourly_cost"] for a in audit] == [20.0, 25.0, None]  # the fixture's own, the change, the reset


def test_a_cost_out_of_range_is_refused_and_nothing_changes(fixture_db, monkeypatch):
    at = _app(fixture_db, monkeypatch)
    next(s for s in at.selectbox if s.key == "role_cost_role").set_value("teacher")
    next(b for b in at.button if b.label == "Save the hourly cost").click().run()  # no amount entered
    assert any("Enter the hourly cost" in e.value for e in at.error)
    assert _costs(at)["Teacher"] == (45.0, 45.0, "Default")


def test_a_senior_leader_reads_the_costs_but_cannot_change_them(fixture_db, monkeypatch):
    at = _app(fixture_db, monkeypatch, email="head@oak.sch.uk")
    assert _costs(at)["Teaching assistant"][0] == 20.0
    assert not [b for b in at.button if b.label in ("Save the hourly cost", "Back to default")]
    assert any("Only the SENCo changes the hourly costs" in c.value for c in at.caption)
    con = store.connect(fixture_db)
    try:
        with pytest.raises(access.AccessDenied):
            from senlib.store.role_costs import set_role_cost

            set_role_cost(con, F.SETTING, "teacher", 50.0, viewer=access.Viewer(role="leader", email="head@oak.sch.uk"))
    finally:
        con.close()
