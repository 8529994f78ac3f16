"""The policy as data: every DESIGN §3 rule shipped, values validated, overrides layered and audited."""

from __future__ import annotations

import json

import pytest

from senlib import store
from senlib.access import TRUSTED
from senlib.rules import (
    PolicyError,
    clear_override,
    default_policy,
    load_policy,
    policy_table,
    pupil_status,
    set_override,
)
from senlib.rules.policy import parse_policy
from senlib.rules.sentences import placeholders

from .rules_support import Caseload, d

# The rules of DESIGN §3 (the design document lives outside the repository, so the list is kept here).
DESIGN_RULES = [
    "sen_support_termly", "msp_termly", "ehcp_annual", "ehcp_under5", "ihcp_annual", "phase_transfer", "pfa_from_y9",
    "invite_good_practice", "invite_statutory", "advice_before", "report_after", "la_decision", "next_date_set",
    "ehc_assess_decision", "ehc_final_plan", "consider_pcp_msp", "consider_ehc_request", "early_years_forum",
    "consider_reducing", "targets_not_smart", "stalled_outcome", "amend_ehcp",
    # issue 17: review meetings kept in the app
    "invitee_missing", "child_views_missing", "actions_overdue",
    # issue 16: provision, costs and impact
    "provision_over_notional", "register_without_provision", "provision_no_exit",
    "provision_low_impact", "provision_attendance_low",
]
# Rules of the policy that are not per-pupil rules of DESIGN §3's table: settings for the other rules.
POLICY_ONLY = ["review_quality", "progress_from_scores", "provision_cost"]


def test_every_design_rule_ships_with_sentence_parameters_and_source():
    """The policy has exactly the design's rules (and issue 16's) and the three it adds, each with its words and source."""
    policy = default_policy()
    assert sorted(policy.rules) == sorted(DESIGN_RULES + POLICY_ONLY)
    for rule_id in DESIGN_RULES:
        rule = policy.rules[rule_id]
        assert rule.title and rule.summary and rule.source and rule.plans
        assert rule.say, f"{rule_id} has no sentence for a pupil"


def test_defaults_are_those_of_design():
    v = load_policy(store.connect(":memory:")).values
    assert (v["sen_support_termly"]["reviews_per_year"], v["sen_support_termly"]["max_gap_months"]) == (3, 4)
    assert (v["ehcp_annual"]["months"], v["ehcp_under5"]["months"], v["ihcp_annual"]["months"]) == (12, 6, 12)
    assert v["phase_transfer"]["transfer_years"] == ["N2", "6", "11"] and v["phase_transfer"]["infant_transfer_years"] == ["N2", "2"]
    assert (v["phase_transfer"]["amend_by"], v["phase_transfer"]["post16_amend_by"], v["phase_transfer"]["review_weeks"]) == \
        ("02-15", "03-31", 12)
    assert (v["invite_good_practice"]["weeks"], v["invite_statutory"]["weeks"], v["advice_before"]["weeks"]) == (6, 2, 2)
    assert (v["report_after"]["weeks"], v["la_decision"]["weeks"]) == (2, 4)
    assert (v["ehc_assess_decision"]["weeks"], v["ehc_final_plan"]["weeks"]) == (6, 20)
    assert (v["progress_from_scores"]["expected_gain"], v["consider_pcp_msp"]["reviews"]) == (1.0, 2)
    assert (v["provision_cost"]["weeks_per_year"], v["provision_over_notional"]["threshold"]) == (38, 6000.0)
    assert (v["provision_low_impact"]["min_pupils"], v["provision_attendance_low"]["min_share"]) == (5, 0.75)
    assert (v["provision_no_exit"]["grace_days"], v["provision_no_exit"]["within_months"]) == (14, 12)


def test_summaries_read_with_the_values_in_force():
    p = load_policy(store.connect(":memory:"))
    assert p.summary("ehcp_annual") == "An EHC plan is reviewed within 12 months of being issued, then within 12 months of the last review."
    assert "15 February" in p.summary("phase_transfer") and "N2, 6, 11" in p.summary("phase_transfer")


def test_every_sentence_placeholder_is_known():
    # building the statements compiles every sentence; an unknown {placeholder} raises PolicyError
    cl = Caseload()
    pupil_status(cl.con, d("2026-01-01"), viewer=TRUSTED)
    for rule in default_policy().rules.values():
        for text in rule.say.values():
            for name in placeholders(text):
                assert name.isidentifier()


@pytest.mark.parametrize("rule, param, value, field", [
    ("ehcp_annual", "months", 13, "ehcp_annual.months"),             # the law allows at most 12
    ("ehcp_annual", "months", 0, "ehcp_annual.months"),
    ("ehcp_annual", "months", "twelve", "ehcp_annual.months"),
    ("ehcp_annual", "months", 6.5, "ehcp_annual.months"),
    ("ehcp_annual", "months", True, "ehcp_annual.months"),
    ("invite_statutory", "weeks", 1, "invite_statutory.weeks"),      # at least 2 weeks by law
    ("phase_transfer", "transfer_years", ["6", "Y7"], "phase_transfer.transfer_years"),
    ("phase_transfer", "amend_by", "02-30", "phase_transfer.amend_by"),
    ("phase_transfer", "amend_by", "02-29", "phase_transfer.amend_by"),  # not every year has one
    ("phase_transfer", "amend_by", "15 Feb", "phase_transfer.amend_by"),
    ("pfa_from_y9", "from_year", "Year 9", "pfa_from_y9.from_year"),
    ("amend_ehcp", "decisions", ["amend", "shout"], "amend_ehcp.decisions"),
    ("consider_reducing", "achieved_share", 1.5, "consider_reducing.achieved_share"),
    ("ehcp_under5", "months", 12.0, None),                           # allowed: equal to annual
    ("no_such_rule", "months", 3, "no_such_rule.months"),
    ("ehcp_annual", "weeks", 3, "ehcp_annual.weeks"),
])
def test_invalid_values_are_refused_naming_the_field(rule, param, value, field):
    con = store.connect(":memory:")
    if field is None:
        set_override(con, rule, param, value, user="senco")
        return
    with pytest.raises(PolicyError) as exc:
        set_override(con, rule, param, value, user="senco")
    assert exc.value.field == field and field in str(exc.value)
    assert con.execute("SELECT count(*) FROM rule_overrides").fetchall()[0][0] == 0
    assert con.execute("SELECT count(*) FROM audit WHERE action = 'rule_change'").fetchall()[0][0] == 0


def test_inconsistent_values_are_refused_naming_the_changed_field():
    con = store.connect(":memory:")
    set_override(con, "ehcp_under5", "months", 6, user="senco")
    with pytest.raises(PolicyError, match="ehcp_annual.months") as exc:
        set_override(con, "ehcp_annual", "months", 4, user="senco")
    assert exc.value.field == "ehcp_annual.months"
    with pytest.raises(PolicyError) as exc:
        set_override(con, "progress_from_scores", "more_gain", 0.5, local_authority="Northmoor Council", user="senco")
    assert exc.value.field == "progress_from_scores.more_gain"
    # a council layer that conflicts with a setting layer is refused too
    set_override(con, "invite_statutory", "weeks", 4, setting="A", user="senco")
    with pytest.raises(PolicyError, match="invite_good_practice.weeks"):
        set_override(con, "invite_good_practice", "weeks", 3, setting="A", local_authority="X", user="senco")


def test_values_are_coerced_to_their_type():
    con = store.connect(":memory:")
    assert set_override(con, "ehcp_annual", "months", "10", user="senco") == 10
    assert set_override(con, "phase_transfer", "transfer_years", "11, 6 ,N2", user="senco") == ["N2", "6", "11"]
    assert set_override(con, "phase_transfer", "amend_by", "2-1", user="senco") == "02-01"
    assert set_override(con, "amend_ehcp", "decisions", ["increase", "amend"], user="senco") == ["increase", "amend"]


def test_overrides_layer_and_say_where_each_value_comes_from():
    con = store.connect(":memory:")
    set_override(con, "invite_good_practice", "weeks", 7, user="a")
    set_override(con, "invite_good_practice", "weeks", 5, setting="S", user="a")
    set_override(con, "invite_good_practice", "weeks", 8, local_authority="LA", user="a")
    set_override(con, "invite_good_practice", "weeks", 9, setting="S", local_authority="LA", user="a")
    cases = {(None, None): (7, "all_settings"), ("S", None): (5, "setting"), (None, "LA"): (8, "local_authority"),
             ("T", "LA"): (8, "local_authority"), ("S", "LA"): (9, "setting_local_authority"), ("T", "Other"): (7, "all_settings")}
    for (s, la), (value, source) in cases.items():
        p = load_policy(con, s, la)
        assert (p.value("invite_good_practice", "weeks"), p.source("invite_good_practice", "weeks")) == (value, source)
        assert p.source("ehcp_annual", "months") == "default"
    table = policy_table(con, viewer=TRUSTED)
    rows = table[table["rule_id"] == "invite_good_practice"]
    assert list(rows["origin"]) == ["default", "all_settings", "local_authority", "setting", "setting_local_authority"]
    assert set(table["rule_id"]) == set(default_policy().rules)
    assert table[table["rule_id"] == "next_date_set"]["param"].isna().all()  # a rule without parameters is listed too


def test_changes_are_audited_and_can_be_cleared():
    con = store.connect(":memory:")
    set_override(con, "ehcp_under5", "months", 3, local_authority="Westford City Council", user="senco@school.org")
    set_override(con, "ehcp_under5", "months", 4, local_authority="Westford City Council", user="senco@school.org")
    assert clear_override(con, "ehcp_under5", "months", local_authority="Westford City Council", user="head@school.org")
    assert not clear_override(con, "ehcp_under5", "months", local_authority="Westford City Council", user="x")
    audit = con.execute("SELECT user_name, detail FROM audit WHERE action = 'rule_change' ORDER BY logged_at").fetchall()
    details = [json.loads(a[1]) for a in audit]
    assert [(a[0], x["operation"], x["old"], x["new"]) for a, x in zip(audit, details, strict=True)] == [
        ("senco@school.org", "set", None, 3), ("senco@school.org", "set", 3, 4), ("head@school.org", "clear", 4, None)]
    assert details[0]["local_authority"] == "Westford City Council" and details[0]["setting"] is None
    assert load_policy(con, None, "Westford City Council").value("ehcp_under5", "months") == 6


def test_clearing_that_would_leave_an_inconsistent_policy_is_refused():
    con = store.connect(":memory:")
    set_override(con, "ehcp_annual", "months", 6, user="a")
    set_override(con, "ehcp_under5", "months", 3, user="a")
    set_override(con, "ehcp_annual", "months", 4, setting="S", user="a")
    with pytest.raises(PolicyError, match="ehcp_under5.months"):
        clear_override(con, "ehcp_under5", "months", user="a")  # would bring back 6 months > 4 for setting S


def test_an_old_database_without_the_overrides_table_reads_the_defaults(tmp_path):
    path = tmp_path / "old.duckdb"
    con = store.connect(path)
    con.execute("DROP TABLE rule_overrides")
    con.execute("DELETE FROM schema_version WHERE version >= 2")
    con.close()
    import duckdb

    ro = duckdb.connect(str(path), read_only=True)
    assert load_policy(ro).value("ehcp_annual", "months") == 12
    assert len(pupil_status(ro, d("2026-01-01"), viewer=TRUSTED)) == 0


def test_a_broken_policy_file_is_refused_naming_the_field():
    with pytest.raises(PolicyError) as exc:
        parse_policy('[rules.x]\ngroup = "cadence"\ntitle = "t"\nsummary = "s"\nsource = "src"\nplans = ["ehcp"]\n'
                     '[rules.x.params]\nweeks = { value = 99, type = "int", min = 1, max = 8 }\n')
    assert exc.value.field == "x.weeks"
    with pytest.raises(PolicyError) as exc:
        parse_policy('[rules.x]\ngroup = "cadence"\ntitle = "t"\nsummary = "s"\nplans = ["ehcp"]\n')
    assert exc.value.field == "x.source"
