"""Provision costs and the provision rules on the hand-worked school of tests/provision_fixture.py (its docstring
works every figure out): senlib's figures to the penny, and each rule on both sides of each threshold."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from senlib import access
from senlib.access import TRUSTED
from senlib.rules import provision, set_override
from senlib.store.role_costs import DEFAULT_HOURLY_COST, role_costs, set_role_cost

from . import provision_fixture as fx


@pytest.fixture()
def con(tmp_path):
    c = fx.build(tmp_path / "provision.duckdb")
    yield c
    c.close()


def _by(df, key: str = "provision_id"):
    return df.set_index(key)


def _flagged(con, rule_id: str, as_of: date = fx.AS_OF) -> list[tuple]:
    f = provision.flags(con, as_of, viewer=TRUSTED)
    f = f[f["rule_id"] == rule_id]
    return sorted((r.pupil_id if isinstance(r.pupil_id, str) else "",
                   r.provision_id if isinstance(r.provision_id, str) else "") for r in f.itertuples())


def test_intervention_costs_to_the_penny(con):
    i = _by(provision.interventions(con, fx.AS_OF, viewer=TRUSTED))
    expected = {"P1": 380.00, "P2": 630.00, "P3": 870.00, "P4": 3800.00, "P5": 2290.00, "P6": 25.00, "P8": 1013.33}
    for pid, cost in expected.items():
        assert round(i.loc[pid, "cost_year"], 2) == cost, pid
    # hours recorded with no role or hourly cost, and nothing recorded at all: not tracked, never £0
    assert i.loc["P7", "cost_year"] != i.loc["P7", "cost_year"] and i.loc["P7", "hours_week"] == 1.0
    assert i.loc["P9", "cost_year"] != i.loc["P9", "cost_year"]
    assert i.loc["P1", "hourly_source"] == "setting" and i.loc["P5", "hourly_source"] == "default"
    assert i.loc["P3", "hourly_source"] == "provision" and i.loc["P3", "weeks"] == 12
    assert round(i.loc[i["in_year"], "cost_year"].sum(), 2) == 9008.33
    assert list(i.loc["P2", "areas"]) == ["communication_interaction", "semh"]
    assert (i.loc["P2", "pupils_now"], i.loc["P8", "pupils_now"], i.loc["P8", "pupils_year"]) == (3, 0, 7)
    assert round(i.loc["P2", "cost_per_pupil"], 2) == 210.00


def test_pupils_shares_split_by_days_to_the_penny(con):
    p = provision.places(con, fx.AS_OF, viewer=TRUSTED)
    share = {(r.pupil_id, r.provision_id): round(r.share_year, 2) for r in p.itertuples() if r.share_year == r.share_year}
    assert share[("B1", "P2")] == share[("C1", "P2")] == 222.39 and share[("D1", "P2")] == 185.22
    assert share[("H1", "P8")] == 119.37 and share[("M1", "P8")] == 206.91 and share[("N1", "P8")] == 209.56
    assert share[("O1", "P8")] == 0.0  # last school year's place: no share of this year's cost
    days = {(r.pupil_id, r.provision_id): r.days_this_year for r in p.itertuples()}
    assert (days[("D1", "P2")], days[("H1", "P8")], days[("M1", "P8")]) == (304, 45, 78)
    u = _by(provision.pupils(con, fx.AS_OF, viewer=TRUSTED), "pupil_id")
    assert round(u.loc["A1", "cost_year"], 2) == 1250.00 and u.loc["A1", "hours_week"] == 1.0
    assert round(u.loc["E1", "cost_year"], 2) == 6090.00 and u.loc["E1", "over_threshold"]
    assert round(u.loc["F1", "cost_year"], 2) == 25.00 and not u.loc["F1", "cost_complete"]
    assert u.loc["G1", "places_now"] == 0


def test_a_setting_cost_for_the_role_reprices_and_back_to_default(con):
    senco = access.local_viewer()
    set_role_cost(con, fx.SETTING, "teaching_assistant", 25.0, viewer=senco)
    assert round(_by(provision.interventions(con, fx.AS_OF, viewer=TRUSTED)).loc["P1", "cost_year"], 2) == 475.00
    set_role_cost(con, fx.SETTING, "teaching_assistant", None, viewer=senco)
    i = _by(provision.interventions(con, fx.AS_OF, viewer=TRUSTED))
    assert i.loc["P1", "hourly_source"] == "default"
    assert round(i.loc["P1", "cost_year"], 2) == round(0.5 * 38 * DEFAULT_HOURLY_COST["teaching_assistant"], 2)
    costs = role_costs(con, fx.SETTING, viewer=senco).set_index("role")
    assert costs.loc["teaching_assistant", "source"] == "default"
    assert con.execute("SELECT count(*) FROM audit WHERE action = 'role_cost_change'").fetchone()[0] == 3


def test_only_the_senco_sets_costs_and_a_cost_must_be_a_cost(con):
    leader = access.Viewer(role=access.LEADER, email="head@school")
    with pytest.raises(access.AccessDenied):
        set_role_cost(con, fx.SETTING, "teacher", 40.0, viewer=leader)
    for bad in (0, -5, 5000):
        with pytest.raises(Exception, match="cost of staff time"):
            set_role_cost(con, fx.SETTING, "teacher", bad, viewer=access.local_viewer())
    with pytest.raises(Exception, match="not a staff role"):
        set_role_cost(con, fx.SETTING, "caretaker", 12.0, viewer=access.local_viewer())


def test_weeks_a_year_is_the_policy_default_and_overridable_per_setting(con):
    set_override(con, "provision_cost", "weeks_per_year", 39, setting=fx.SETTING, user="t")
    i = _by(provision.interventions(con, fx.AS_OF, viewer=TRUSTED))
    assert round(i.loc["P1", "cost_year"], 2) == 390.00  # 0.5 h x 39 x £20
    assert round(i.loc["P3", "cost_year"], 2) == 870.00  # records its own 12 weeks


# ---------------------------------------------------------------- each rule, on both sides of each threshold


def test_over_notional_fires_above_the_threshold_not_at_it(con):
    assert _flagged(con, "provision_over_notional") == [("E1", "")]
    set_override(con, "provision_over_notional", "threshold", 6090.0, setting=fx.SETTING, user="t")
    assert _flagged(con, "provision_over_notional") == []  # £6,090.00 is not more than £6,090
    set_override(con, "provision_over_notional", "threshold", 6089.99, setting=fx.SETTING, user="t")
    assert _flagged(con, "provision_over_notional") == [("E1", "")]
    reason = provision.flags(con, fx.AS_OF, viewer=TRUSTED).query("rule_id == 'provision_over_notional'").reason.iloc[0]
    assert "£6,090.00" in reason and "£6,089.99" in reason and "1:1 support £3,800.00" in reason


def test_register_without_provision_only_k_and_e_on_roll_and_only_where_provision_is_recorded(con):
    assert _flagged(con, "register_without_provision") == [("G1", "")]
    con.execute("UPDATE pupils SET sen_status = 'N' WHERE pupil_id = 'G1'")
    assert _flagged(con, "register_without_provision") == []
    con.execute("UPDATE pupils SET sen_status = 'E', leaving_date = DATE '2026-11-30' WHERE pupil_id = 'G1'")
    assert _flagged(con, "register_without_provision") == []  # left
    con.execute("UPDATE pupils SET leaving_date = NULL WHERE pupil_id = 'G1'")
    assert _flagged(con, "register_without_provision") == [("G1", "")]
    con.execute("DELETE FROM pupil_provisions")
    assert _flagged(con, "register_without_provision") == []  # the setting records no provision: not tracked


def test_no_exit_after_the_grace_days_and_within_the_months(con):
    assert _flagged(con, "provision_no_exit") == [("M1", "P8"), ("P1", "P8")]
    # a day later, Ned's 14 days are up and Pip's place ended over 12 months before
    assert _flagged(con, "provision_no_exit", fx.AS_OF + timedelta(days=1)) == [("M1", "P8"), ("N1", "P8")]
    set_override(con, "provision_no_exit", "grace_days", 13, setting=fx.SETTING, user="t")
    assert ("N1", "P8") in _flagged(con, "provision_no_exit")
    con.execute("UPDATE pupil_provisions SET exit_score = 90 WHERE pupil_id = 'M1'")
    assert ("M1", "P8") not in _flagged(con, "provision_no_exit")


def test_low_impact_needs_enough_pupils_and_a_median_below_expected(con):
    assert _flagged(con, "provision_low_impact") == [("", "P8")]
    set_override(con, "provision_low_impact", "min_pupils", 6, setting=fx.SETTING, user="t")
    assert _flagged(con, "provision_low_impact") == []  # 5 scored
    set_override(con, "provision_low_impact", "min_pupils", 5, setting=fx.SETTING, user="t")
    con.execute("UPDATE provisions SET expected_gain = 4 WHERE provision_id = 'P8'")
    assert _flagged(con, "provision_low_impact") == []  # median 4 is not below 4
    con.execute("UPDATE provisions SET expected_gain = 4.01 WHERE provision_id = 'P8'")
    assert _flagged(con, "provision_low_impact") == [("", "P8")]
    con.execute("UPDATE provisions SET expected_gain = NULL WHERE provision_id = 'P8'")
    assert _flagged(con, "provision_low_impact") == []  # nothing to judge against


def test_attendance_low_below_the_share_not_at_it(con):
    assert _flagged(con, "provision_attendance_low") == [("B1", "P2")]  # 8/12; Cara 9/12 = 75%
    set_override(con, "provision_attendance_low", "min_share", 0.76, setting=fx.SETTING, user="t")
    assert _flagged(con, "provision_attendance_low") == [("B1", "P2"), ("C1", "P2")]
    set_override(con, "provision_attendance_low", "min_share", 0.66, setting=fx.SETTING, user="t")
    assert _flagged(con, "provision_attendance_low") == []  # 8/12 = 66.7%


def test_rows_dated_after_the_as_of_date_were_not_known_yet(con):
    before = date(2026, 8, 31)  # last school year: Toe by Toe's places this year had not started
    p = provision.places(con, before, viewer=TRUSTED)
    assert not ((p["provision_id"] == "P8") & p["pupil_id"].isin(["H1", "M1"])).any()
    assert _flagged(con, "provision_low_impact", before) == []


def test_flag_sentences_read_as_words(con):
    f = provision.flags(con, fx.AS_OF, viewer=TRUSTED)
    reasons = {rule: " | ".join(f.loc[f["rule_id"] == rule, "reason"]) for rule in f["rule_id"].unique()}
    assert reasons["provision_low_impact"] == ("Toe by Toe: the median gain of 5 pupils with entry and exit scores is 4, "
                                               "below the 6 expected: review the intervention")
    assert reasons["provision_attendance_low"].startswith("Lego therapy: attended 8 of 12 sessions planned (67%), below 75%")
    assert "ended on 17 Nov 2026 with no exit score recorded (entry 88)" in reasons["provision_no_exit"]


def test_governors_and_other_settings_see_no_place(con):
    with pytest.raises(access.AccessDenied):
        provision.places(con, fx.AS_OF, viewer=access.Viewer(role=access.GOVERNOR, email="gov@school"))
    other = access.Viewer(role=access.SENCO, email="senco@elm", settings=frozenset({"Elm"}))
    for reader in (provision.places, provision.interventions, provision.pupils, provision.flags):
        assert reader(con, fx.AS_OF, [fx.SETTING], viewer=other).empty
        assert reader(con, fx.AS_OF, viewer=other).empty
