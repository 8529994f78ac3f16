"""Milestone and escalation rules: each flag on both sides of its threshold, with its sentence."""

from __future__ import annotations

import pytest

from senlib.access import TRUSTED
from senlib.rules import default_policy, ehc_request_clocks, pupil_status, set_override

from .rules_support import Caseload, d, days


def _ehcp(cl: Caseload, pid: str = "P1", *, year_group: str = "8", la: str = "Northmoor Council") -> str:
    cl.pupil(pid, sen="E", dob="2013-03-01", year_group=year_group, la=la)
    cl.plan(pid, "ehcp", "2020-01-01", la=la)
    return pid


def _flags(cl: Caseload, pid: str, as_of) -> list[str]:
    return cl.status(pid, as_of)["flags"]


def _reason(cl: Caseload, pid: str, as_of, rule: str) -> str:
    row = cl.status(pid, as_of)
    return row["flag_reasons"][row["flags"].index(rule)]


# ---------------------------------------------------------------- milestones before the next review


def test_invitations_good_practice_six_weeks_before_the_scheduled_review():
    cl = Caseload()
    _ehcp(cl)
    cl.review("P1", "2026-01-20", "ehcp", next_review_date="2026-12-01")
    cl.review("P1", "2026-12-01", "ehcp", held=False)
    invite_by = d("2026-10-20")
    row = cl.status("P1", invite_by)
    assert (row["next_review"], row["invite_by"], row["invite_state"]) == (d("2026-12-01"), invite_by, "to_come")
    assert "invite_good_practice" not in row["flags"]
    before = cl.status("P1", days(invite_by, -1))
    assert before["invite_state"] == "to_come" and "invite_good_practice" not in before["flags"]
    row = cl.status("P1", days(invite_by, 1))
    assert row["invite_state"] == "missed" and "invite_good_practice" in row["flags"]
    assert _reason(cl, "P1", days(invite_by, 1), "invite_good_practice") == (
        "Review on 1 Dec 2026: invitations and the current plan should have gone by 20 Oct 2026 (6 weeks before); "
        "not recorded as sent")


def test_invitations_recorded_as_sent_are_done():
    cl = Caseload()
    _ehcp(cl)
    cl.review("P1", "2026-01-20", "ehcp", next_review_date="2026-12-01")
    cl.review("P1", "2026-12-01", "ehcp", held=False, invitations_sent="2026-10-15", reports_received="2026-11-10")
    row = cl.status("P1", "2026-11-25")
    assert (row["invite_state"], row["reports_state"]) == ("done", "done")
    assert not {"invite_good_practice", "invite_statutory", "advice_before"} & set(row["flags"])
    # on a day before they were sent, they were not done yet
    assert cl.status("P1", "2026-10-14")["invite_state"] == "to_come"


def test_invitations_eight_weeks_for_one_council():
    cl = Caseload()
    _ehcp(cl, la="Eastbridge County Council")
    cl.review("P1", "2026-01-20", "ehcp", next_review_date="2026-12-01")
    cl.review("P1", "2026-12-01", "ehcp", held=False)
    set_override(cl.con, "invite_good_practice", "weeks", 8, local_authority="Eastbridge County Council", user="senco")
    assert cl.status("P1", "2026-10-06")["invite_state"] == "to_come"
    assert cl.status("P1", "2026-10-07")["invite_state"] == "missed"
    assert "(8 weeks before)" in _reason(cl, "P1", "2026-10-07", "invite_good_practice")


def test_statutory_invitations_and_advice_two_weeks_before_an_ehcp_review():
    cl = Caseload()
    _ehcp(cl)
    cl.review("P1", "2026-01-20", "ehcp", next_review_date="2026-12-01")
    cl.review("P1", "2026-12-01", "ehcp", held=False)
    cutoff = d("2026-11-17")
    assert not {"invite_statutory", "advice_before"} & set(_flags(cl, "P1", days(cutoff, -1)))
    assert not {"invite_statutory", "advice_before"} & set(_flags(cl, "P1", cutoff))
    after = _flags(cl, "P1", days(cutoff, 1))
    assert {"invite_statutory", "advice_before"} <= set(after)
    assert _reason(cl, "P1", days(cutoff, 1), "invite_statutory") == (
        "EHCP review on 1 Dec 2026: invitations must go at least 2 weeks before (by 17 Nov 2026); not recorded as sent")


def test_advice_before_is_for_ehcp_reviews_only():
    cl = Caseload()
    cl.pupil("P1")
    cl.plan("P1", "sen_support", "2026-01-01")
    cl.review("P1", "2026-03-01", held=False)
    row = cl.status("P1", "2026-02-27")
    assert row["reports_by"] is None and row["reports_state"] is None and row["invite_state"] == "missed"


def test_milestone_flags_are_not_raised_once_the_review_is_overdue():
    cl = Caseload()
    _ehcp(cl)
    cl.review("P1", "2025-01-20", "ehcp")
    row = cl.status("P1", "2026-03-01")
    assert row["status"] == "overdue" and row["invite_state"] == "missed"
    assert not {"invite_good_practice", "invite_statutory", "advice_before"} & set(row["flags"])


# ---------------------------------------------------------------- after an EHCP review


@pytest.mark.parametrize("rule, field, weeks", [("report_after", "report_sent", 2), ("la_decision", "la_decision_date", 4)])
def test_after_the_review_report_and_council_decision(rule, field, weeks):
    cl = Caseload()
    _ehcp(cl)
    cl.review("P1", "2026-03-02", "ehcp", next_review_date="2027-03-01")
    deadline = days("2026-03-02", 7 * weeks)
    assert rule not in _flags(cl, "P1", days(deadline, -1))
    assert rule not in _flags(cl, "P1", deadline)
    assert rule in _flags(cl, "P1", days(deadline, 1))
    done = Caseload()
    _ehcp(done)
    done.review("P1", "2026-03-02", "ehcp", next_review_date="2027-03-01", **{field: str(days(deadline, 5))})
    assert rule in _flags(done, "P1", days(deadline, 1))       # not yet recorded on that day
    assert rule not in _flags(done, "P1", days(deadline, 5))   # recorded (late) by then


def test_la_decision_sentence_names_the_council():
    cl = Caseload()
    _ehcp(cl, la="Westford City Council")
    cl.review("P1", "2026-03-02", "ehcp", next_review_date="2027-03-01", report_sent="2026-03-05")
    assert _reason(cl, "P1", "2026-04-01", "la_decision") == (
        "EHCP review held 2 Mar 2026: the council must decide to maintain, amend or cease within 4 weeks "
        "(by 30 Mar 2026); no decision recorded, chase Westford City Council")


def test_next_date_set_at_the_meeting():
    cl = Caseload()
    cl.pupil("P1")
    cl.plan("P1", "sen_support", "2026-01-01")
    cl.review("P1", "2026-03-01")
    assert "next_date_set" in _flags(cl, "P1", "2026-03-02")
    cl2 = Caseload()
    cl2.pupil("P1")
    cl2.plan("P1", "sen_support", "2026-01-01")
    cl2.review("P1", "2026-03-01", next_review_date="2026-06-20")
    assert "next_date_set" not in _flags(cl2, "P1", "2026-03-02")


def test_pfa_from_year_9():
    for year_group, covered, expected in (("9", None, True), ("9", False, True), ("9", True, False), ("8", None, False)):
        cl = Caseload()
        cl.pupil("P1", sen="E", dob=None, year_group=year_group)
        cl.plan("P1", "ehcp", "2020-01-01")
        cl.review("P1", "2026-03-02", "ehcp", next_review_date="2027-03-01", report_sent="2026-03-05",
                  la_decision_date="2026-03-20", pfa_covered=covered)
        assert ("pfa_from_y9" in _flags(cl, "P1", "2026-04-01")) is expected, (year_group, covered)


# ---------------------------------------------------------------- EHC needs assessment clocks


def test_six_week_decision_clock():
    cl = Caseload()
    cl.pupil("P1")
    cl.plan("P1", "my_support_plan", "2025-09-01")
    cl.request("P1", "2026-01-05")
    due = days("2026-01-05", 42)
    assert "ehc_assess_decision" not in _flags(cl, "P1", days(due, -1))
    assert ehc_request_clocks(cl.con, days(due, -1), viewer=TRUSTED).loc[0, "decision_state"] == "running"
    assert "ehc_assess_decision" not in _flags(cl, "P1", due)
    assert "ehc_assess_decision" in _flags(cl, "P1", days(due, 1))
    assert _reason(cl, "P1", days(due, 1), "ehc_assess_decision") == (
        "EHC needs assessment requested 5 Jan 2026: the council must decide whether to assess within 6 weeks "
        "(by 16 Feb 2026); 1 day overdue")
    clocks = ehc_request_clocks(cl.con, days(due, 1), viewer=TRUSTED)
    assert clocks.loc[0, "decision_state"] == "overdue" and clocks.loc[0, "final_state"] == "running"
    assert ehc_request_clocks(cl.con, due, viewer=TRUSTED).loc[0, "decision_state"] == "running"


def test_twenty_week_final_plan_clock():
    cl = Caseload()
    cl.pupil("P1")
    cl.plan("P1", "my_support_plan", "2025-09-01")
    cl.request("P1", "2026-01-05", decision_date="2026-02-10", decision="agreed")
    due = days("2026-01-05", 140)
    assert "ehc_final_plan" not in _flags(cl, "P1", days(due, -1))
    assert ehc_request_clocks(cl.con, days(due, -1), viewer=TRUSTED).loc[0, "final_state"] == "running"
    assert "ehc_final_plan" not in _flags(cl, "P1", due)
    assert "ehc_final_plan" in _flags(cl, "P1", days(due, 1))
    clocks = ehc_request_clocks(cl.con, days(due, 1), viewer=TRUSTED)
    assert (clocks.loc[0, "decision_state"], clocks.loc[0, "final_state"]) == ("on_time", "overdue")
    assert clocks.loc[0, "final_due"].date() == due


def test_request_clock_states_done_late_and_refused():
    cl = Caseload()
    cl.pupil("P1")
    cl.pupil("P2")
    cl.request("P1", "2026-01-05", decision_date="2026-02-20", decision="agreed", final="2026-05-01")
    cl.request("P2", "2026-01-05", decision_date="2026-02-01", decision="refused")
    c = ehc_request_clocks(cl.con, d("2026-09-01"), viewer=TRUSTED).set_index("pupil_id")
    assert (c.loc["P1", "decision_state"], c.loc["P1", "final_state"]) == ("late", "on_time")
    assert "4 days late" in c.loc["P1", "decision_reason"]
    assert (c.loc["P2", "decision_state"], c.loc["P2", "final_state"]) == ("on_time", "not_applicable")


# ---------------------------------------------------------------- escalation


def _support(cl: Caseload, pid: str, plan: str, progress: list[str | None], *, start="2025-01-01", year_group=None,
             decision=None) -> None:
    cl.pupil(pid, year_group=year_group)
    cl.plan(pid, plan, start)
    for i, p in enumerate(progress):
        cl.review(pid, str(days("2025-03-01", 90 * i)), plan, progress=p, next_review_date=str(days("2025-03-01", 90 * i + 90)),
                  decision=decision if i == len(progress) - 1 else None)


def test_consider_pcp_msp_after_two_reviews_of_less_than_expected_progress():
    cl = Caseload()
    _support(cl, "A", "sen_support", ["expected", "less", "less"])
    _support(cl, "B", "sen_support", ["less", "expected", "less"])
    as_of = "2025-09-01"
    assert "consider_pcp_msp" in _flags(cl, "A", as_of)
    assert "consider_pcp_msp" not in _flags(cl, "B", as_of)
    assert _reason(cl, "A", as_of, "consider_pcp_msp") == (
        "The last 2 reviews of the SEN Support plan (30 May 2025, 28 Aug 2025) judged less than expected progress: "
        "consider a PCP meeting and a My Support Plan; involve specialists")
    # the day before the second review there was only one
    assert "consider_pcp_msp" not in _flags(cl, "A", "2025-08-27")


def test_consider_ehc_request_unless_one_is_already_made():
    cl = Caseload()
    _support(cl, "A", "my_support_plan", ["less", "less"])
    assert "consider_ehc_request" in _flags(cl, "A", "2025-07-01")
    assert "2 recorded APDR cycles" in _reason(cl, "A", "2025-07-01", "consider_ehc_request")
    cl.request("A", "2025-06-15")
    assert "consider_ehc_request" not in _flags(cl, "A", "2025-07-01")


def test_early_years_forum_for_early_years_only():
    cl = Caseload()
    _support(cl, "R", "sen_support", ["less"], year_group="R")
    _support(cl, "Y1", "sen_support", ["less"], year_group="1")
    _support(cl, "Done", "sen_support", ["less"], year_group="N2", decision="early_years_forum")
    assert "early_years_forum" in _flags(cl, "R", "2025-04-01")
    assert "early_years_forum" not in _flags(cl, "Y1", "2025-04-01")
    assert "early_years_forum" not in _flags(cl, "Done", "2025-04-01")


def test_consider_reducing_when_progress_is_good_and_outcomes_achieved():
    cl = Caseload()
    _support(cl, "A", "sen_support", ["expected", "more"])
    cl.outcome("A", "O1", baseline=2, target=6)
    cl.score("A", "O1", "2025-05-30", 6)
    assert "consider_reducing" in _flags(cl, "A", "2025-07-01")
    cl.outcome("A", "O2", baseline=2, target=8)
    cl.score("A", "O2", "2025-05-30", 5)
    assert "consider_reducing" not in _flags(cl, "A", "2025-07-01")
    set_override(cl.con, "consider_reducing", "achieved_share", 0.5, user="senco")
    assert "consider_reducing" in _flags(cl, "A", "2025-07-01")


def test_targets_not_smart_when_an_outcome_is_missed_at_two_reviews_after_its_target_date():
    cl = Caseload()
    _support(cl, "A", "sen_support", ["expected", "expected", "expected"])  # reviews 1 Mar, 30 May, 28 Aug 2025
    cl.outcome("A", "O1", baseline=2, target=8, target_date="2025-05-01")
    cl.score("A", "O1", "2025-05-30", 5)
    cl.score("A", "O1", "2025-08-28", 6)
    assert "targets_not_smart" in _flags(cl, "A", "2025-09-01")
    assert "O1 (target 8 by 1 May 2025, scored 6)" in _reason(cl, "A", "2025-09-01", "targets_not_smart")
    assert "targets_not_smart" not in _flags(cl, "A", "2025-08-27")  # only one review after the target date then


def test_stalled_outcome_when_the_score_has_not_risen():
    cl = Caseload()
    _support(cl, "A", "sen_support", ["expected"])
    cl.outcome("A", "O1", baseline=3, target=8)
    cl.score("A", "O1", "2025-01-10", 3)
    cl.score("A", "O1", "2025-03-01", 3)
    cl.outcome("A", "O2", baseline=3, target=8)
    cl.score("A", "O2", "2025-01-10", 3)
    cl.score("A", "O2", "2025-03-01", 4)
    cl.outcome("A", "O3", baseline=8, target=2)          # fewer incidents is progress: a fall is not a stall
    cl.score("A", "O3", "2025-01-10", 8)
    cl.score("A", "O3", "2025-03-01", 6)
    row = cl.status("A", "2025-03-02")
    assert "stalled_outcome" in row["flags"]
    reason = row["flag_reasons"][row["flags"].index("stalled_outcome")]
    assert "O1 3 → 3 (10 Jan 2025 to 1 Mar 2025, target 8)" in reason and "O2" not in reason and "O3" not in reason
    assert "stalled_outcome" not in _flags(cl, "A", "2025-02-01")  # one score only then


def test_amend_ehcp_until_the_council_decides():
    cl = Caseload()
    _ehcp(cl)
    cl.review("P1", "2026-03-02", "ehcp", decision="amend", next_review_date="2027-03-01", report_sent="2026-03-05")
    assert "amend_ehcp" in _flags(cl, "P1", "2026-03-10")
    assert "hold an interim review or ask Northmoor Council to amend the plan" in _reason(cl, "P1", "2026-03-10", "amend_ehcp")
    done = Caseload()
    _ehcp(done)
    done.review("P1", "2026-03-02", "ehcp", decision="amend", next_review_date="2027-03-01", la_decision_date="2026-03-20")
    assert "amend_ehcp" in _flags(done, "P1", "2026-03-19")
    assert "amend_ehcp" not in _flags(done, "P1", "2026-03-20")


def test_flags_are_listed_in_policy_order_with_sources():
    cl = Caseload()
    _ehcp(cl)
    cl.review("P1", "2026-03-02", "ehcp", decision="amend")
    row = cl.status("P1", "2026-05-01")
    assert row["flags"] == ["report_after", "la_decision", "next_date_set", "amend_ehcp"]
    full = pupil_status(cl.con, d("2026-05-01"), viewer=TRUSTED).iloc[0]
    assert list(full["flag_sources"]) == [default_policy().rules[r].source for r in row["flags"]]
