"""Cadence rules on both sides of every threshold: the day before, the day of and the day after."""

from __future__ import annotations

from datetime import date

import pytest

from senlib.access import TRUSTED
from senlib.rules import set_override

from .rules_support import Caseload, d, days


def _statuses(cl: Caseload, pid: str, *as_of: date) -> list[str]:
    return [cl.status(pid, a)["status"] for a in as_of]


# ---------------------------------------------------------------- SEN Support and My Support Plan


@pytest.mark.parametrize("plan, rule", [("sen_support", "sen_support_termly"), ("my_support_plan", "msp_termly")])
def test_termly_review_due_four_months_after_the_last(plan, rule):
    cl = Caseload()
    cl.pupil("P1")
    cl.plan("P1", plan, "2025-09-01")
    cl.review("P1", "2026-01-10", plan)
    due = d("2026-05-10")
    row = cl.status("P1", due)
    assert (row["cadence_rule"], row["due_date"], row["last_review"]) == (rule, due, d("2026-01-10"))
    # overdue the day after the due date, not on it
    assert _statuses(cl, "P1", days(due, -1), due, days(due, 1)) == ["due_soon", "due_soon", "overdue"]
    assert cl.status("P1", days(due, 1))["days_overdue"] == 1
    # due soon from six weeks (the invitation window) before
    window = days(due, -42)
    assert _statuses(cl, "P1", days(window, -1), window, days(window, 1)) == ["on_track", "due_soon", "due_soon"]


def test_termly_sentence_names_the_dates_and_the_source():
    cl = Caseload()
    cl.pupil("P1")
    cl.plan("P1", "sen_support", "2025-09-01")
    cl.review("P1", "2026-01-10")
    row = cl.status("P1", "2026-05-20")
    assert row["status_reason"] == ("SEN Support plan last reviewed 10 Jan 2026; at least 3 reviews a year, no gap over "
                                    "4 months: was due by 10 May 2026; 10 days overdue")
    assert "Code of Practice" in row["status_source"] and "6.65" in row["status_source"]


def test_k_pupil_with_no_plan_is_on_sen_support_from_the_date_identified():
    cl = Caseload()
    cl.pupil("P1", sen="K", identified="2026-02-01")
    row = cl.status("P1", "2026-06-02")
    assert (row["plan_type"], row["cadence_rule"], row["due_date"], row["status"]) == \
        ("sen_support", "sen_support_termly", d("2026-06-01"), "overdue")
    assert "no plan recorded; on the SEN register since 1 Feb 2026" in row["status_reason"]


def test_review_of_an_earlier_plan_does_not_restart_the_clock():
    cl = Caseload()
    cl.pupil("P1")
    cl.plan("P1", "sen_support", "2025-01-01", "2026-03-01")
    cl.plan("P1", "my_support_plan", "2026-03-01")
    cl.review("P1", "2026-02-20", "sen_support")
    row = cl.status("P1", "2026-04-01")
    assert (row["plan_type"], row["last_review"], row["due_date"]) == ("my_support_plan", None, d("2026-07-01"))


def test_review_without_plan_type_counts_for_the_main_plan():
    cl = Caseload()
    cl.pupil("P1")
    cl.plan("P1", "sen_support", "2025-09-01")
    cl.review("P1", "2026-01-10", None)
    assert cl.status("P1", "2026-02-01")["last_review"] == d("2026-01-10")


def test_a_review_after_the_as_of_date_is_not_known_yet():
    cl = Caseload()
    cl.pupil("P1")
    cl.plan("P1", "sen_support", "2025-09-01")
    cl.review("P1", "2026-01-10")
    cl.review("P1", "2026-05-01")
    assert cl.status("P1", "2026-04-30")["last_review"] == d("2026-01-10")
    assert cl.status("P1", "2026-05-01")["last_review"] == d("2026-05-01")


# ---------------------------------------------------------------- EHC plans


def test_ehcp_example_sentence_from_the_issue():
    cl = Caseload()
    cl.pupil("P1", sen="E", dob="2014-03-01")
    cl.plan("P1", "ehcp", "2024-09-01", la="Northmoor Council")
    cl.review("P1", "2025-09-03", "ehcp")
    row = cl.status("P1", "2026-11-23")
    assert row["status_reason"] == "EHCP last reviewed 3 Sep 2025; must be reviewed within 12 months; 81 days overdue"
    assert (row["cadence_rule"], row["days_overdue"], row["local_authority"]) == ("ehcp_annual", 81, "Northmoor Council")
    assert "SEND Regulations 2014" in row["status_source"]


def test_ehcp_first_review_within_twelve_months_of_issue():
    cl = Caseload()
    cl.pupil("P1", sen="E", dob="2014-03-01")
    cl.plan("P1", "ehcp", "2025-10-15")
    due = d("2026-10-15")
    assert _statuses(cl, "P1", days(due, -1), due, days(due, 1)) == ["due_soon", "due_soon", "overdue"]
    assert "issued 15 Oct 2025, not reviewed since" in cl.status("P1", due)["status_reason"]


def test_e_pupil_with_no_plan_recorded_has_the_ehcp_cadence():
    cl = Caseload()
    cl.pupil("P1", sen="E", dob="2013-03-01", identified="2025-01-01")
    row = cl.status("P1", "2025-06-01")
    assert (row["plan_type"], row["cadence_rule"], row["due_date"]) == ("ehcp", "ehcp_annual", d("2026-01-01"))


# ---------------------------------------------------------------- unknown is not overdue (issue 13)


@pytest.mark.parametrize("sen, plan, fix", [
    ("E", None, "no review and no issue date recorded, so the annual review cannot be shown to be on time; "
                "record the date the plan was issued, or at least the date of the next review"),
    ("K", None, "no review and no start date recorded, so the next review cannot be shown to be on time; "
                "record the last review date, or at least the date of the next review"),
    ("K", "my_support_plan", "record the last review date"),
    ("N", "ihcp", "record the date the plan started"),
])
def test_no_date_at_all_is_no_review_date_not_overdue(sen, plan, fix):
    cl = Caseload()
    cl.pupil("P1", sen=sen, dob="2013-03-01", identified=None)
    if plan:
        cl.plan("P1", plan, None)
    for as_of in ("2025-06-01", "2030-06-01"):  # however long after: nothing recorded is never 'overdue'
        row = cl.status("P1", as_of)
        assert (row["status"], row["due_date"], row["days_overdue"], row["next_review"]) == ("no_review_date", None, None, None)
        assert fix in row["status_reason"]
        assert row["flags"] == []


def test_only_a_planned_review_is_taken_as_the_due_date_on_both_sides():
    cl = Caseload()
    cl.pupil("P1", sen="K", identified=None)
    cl.review("P1", "2027-01-14", held=False)  # in the diary, not held
    due = d("2027-01-14")
    row = cl.status("P1", "2026-11-01")
    assert (row["status"], row["due_date"], row["cadence_rule"], row["days_overdue"]) == \
        ("on_track", due, "sen_support_termly", 0)
    assert row["status_reason"] == ("SEN Support plan: no review or start date recorded; the next review date recorded, "
                                    "14 Jan 2027, is taken as the due date (due in 74 days); record the last review date "
                                    "so the termly cadence can be checked")
    window = days(due, -42)  # the invitation window, as for any due date
    assert _statuses(cl, "P1", days(window, -1), window, due, days(due, 1)) == ["on_track", "due_soon", "due_soon", "overdue"]
    late = cl.status("P1", days(due, 1))  # the diary date has passed and no review is recorded as held
    assert (late["due_date"], late["days_overdue"]) == (due, 1)
    assert "is taken as the due date (1 day overdue)" in late["status_reason"]


def test_ehcp_with_only_a_planned_review_names_the_issue_date_to_record():
    cl = Caseload()
    cl.pupil("P1", sen="E", dob="2013-03-01", identified=None)
    cl.review("P1", "2026-03-01", "ehcp", held=False)
    row = cl.status("P1", "2026-04-01")
    assert (row["status"], row["due_date"], row["cadence_rule"], row["days_overdue"]) == \
        ("overdue", d("2026-03-01"), "ehcp_annual", 31)
    assert row["status_reason"] == ("EHCP: no review or issue date recorded; the next review date recorded, 1 Mar 2026, "
                                    "is taken as the due date (31 days overdue); record the date the plan was issued so "
                                    "the annual cadence can be checked")


def test_the_next_review_in_the_diary_wins_over_one_missed():
    cl = Caseload()
    cl.pupil("P1", sen="K", identified=None)
    cl.review("P1", "2026-03-01", held=False)
    cl.review("P1", "2026-06-01", held=False)
    assert cl.status("P1", "2026-04-01")["due_date"] == d("2026-06-01")   # rearranged: due then
    row = cl.status("P1", "2026-06-10")
    assert (row["status"], row["due_date"]) == ("overdue", d("2026-06-01"))  # both passed: the later one


@pytest.mark.parametrize("start, held, due", [
    ("2025-09-01", "2026-01-10", "2026-05-10"),   # a review held: 4 months from it, as ever
    ("2026-02-01", None, "2026-06-01"),           # no review yet: 4 months from the plan's start, as ever
])
def test_a_clock_date_recorded_keeps_its_due_date_whatever_the_diary_says(start, held, due):
    cl = Caseload()
    cl.pupil("P1", sen="K", identified=None)
    cl.plan("P1", "sen_support", start)
    if held:
        cl.review("P1", held)
    cl.review("P1", "2026-09-01", held=False)  # planned after the due date
    row = cl.status("P1", "2026-05-01")
    assert (row["due_date"], row["next_review"], row["next_review_basis"]) == (d(due), d("2026-09-01"), "scheduled")
    assert "is taken as the due date" not in row["status_reason"]
    assert cl.status("P1", days(due, 1))["status"] == "overdue"


def test_ihcp_alongside_another_plan_with_no_date_raises_its_flag_with_the_fix():
    cl = Caseload()
    cl.pupil("P1")
    cl.plan("P1", "sen_support", "2025-09-01")
    cl.review("P1", "2026-01-10")
    cl.plan("P1", "ihcp", None)
    row = cl.status("P1", "2026-02-01")
    assert row["status"] == "on_track" and "ihcp_annual" in row["flags"]
    assert any(r.startswith("IHCP: no review and no start date recorded") and "record the date the plan started" in r
               for r in row["flag_reasons"])


@pytest.mark.parametrize("birthday_offset, rule, due", [
    (-1, "ehcp_annual", "2027-01-10"),   # turns 5 the day before the 6-monthly date: annual
    (0, "ehcp_annual", "2027-01-10"),    # turns 5 on it: annual
    (1, "ehcp_under5", "2026-07-10"),    # still 4 on it: every 6 months
])
def test_switch_from_six_monthly_to_annual_on_the_fifth_birthday(birthday_offset, rule, due):
    six_monthly = d("2026-07-10")
    fifth = days(six_monthly, birthday_offset)
    cl = Caseload()
    cl.pupil("P1", sen="E", dob=str(date(fifth.year - 5, fifth.month, fifth.day)), year_group="R")
    cl.plan("P1", "ehcp", "2025-06-01")
    cl.review("P1", "2026-01-10", "ehcp")
    row = cl.status("P1", "2026-03-01")
    assert (row["cadence_rule"], row["due_date"]) == (rule, d(due))


def test_under5_review_missed_before_the_birthday_stays_overdue():
    cl = Caseload()
    cl.pupil("P1", sen="E", dob="2021-09-01", year_group="N2")
    cl.plan("P1", "ehcp", "2025-06-01")
    cl.review("P1", "2026-01-10", "ehcp")  # 6-monthly review due 10 Jul 2026, the child turns 5 on 1 Sep 2026
    assert [cl.status("P1", a)["status"] for a in ("2026-07-10", "2026-07-11", "2026-09-01", "2026-12-01")] == \
        ["due_soon", "overdue", "overdue", "overdue"]
    row = cl.status("P1", "2026-07-11")
    assert row["cadence_rule"] == "ehcp_under5" and "5th birthday 1 Sep 2026" in row["status_reason"]


def test_leap_day_child_turns_five_on_first_of_march():
    cl = Caseload()
    cl.pupil("P1", sen="E", dob="2020-02-29", year_group="R")
    cl.plan("P1", "ehcp", "2024-03-01")
    cl.review("P1", "2024-08-28", "ehcp")   # + 6 months = 28 Feb 2025: the child is still 4 (turns 5 on 1 Mar 2025)
    row = cl.status("P1", "2024-12-01")
    assert (row["cadence_rule"], row["due_date"]) == ("ehcp_under5", d("2025-02-28"))
    cl2 = Caseload()
    cl2.pupil("P1", sen="E", dob="2020-02-29", year_group="R")
    cl2.plan("P1", "ehcp", "2024-03-01")
    cl2.review("P1", "2024-09-01", "ehcp")  # + 6 months = 1 Mar 2025: the 5th birthday, so annual
    assert cl2.status("P1", "2024-12-01")["cadence_rule"] == "ehcp_annual"


def test_twelve_months_from_a_leap_day_ends_on_28_february():
    cl = Caseload()
    cl.pupil("P1", sen="E", dob="2013-03-01")
    cl.plan("P1", "ehcp", "2023-01-01")
    cl.review("P1", "2024-02-29", "ehcp")
    due = d("2025-02-28")
    assert cl.status("P1", due)["due_date"] == due
    assert _statuses(cl, "P1", due, days(due, 1)) == ["due_soon", "overdue"]


def test_months_from_the_31st_end_on_the_last_day_of_a_short_month():
    cl = Caseload()
    cl.pupil("P1")
    cl.plan("P1", "sen_support", "2025-01-01")
    cl.review("P1", "2025-10-31")
    assert cl.status("P1", "2025-11-01")["due_date"] == d("2026-02-28")


# ---------------------------------------------------------------- Individual Healthcare Plans


def test_ihcp_alone_is_reviewed_annually():
    cl = Caseload()
    cl.pupil("P1", sen="N")
    cl.plan("P1", "ihcp", "2025-03-01")
    due = d("2026-03-01")
    row = cl.status("P1", due)
    assert (row["plan_type"], row["cadence_rule"]) == ("ihcp", "ihcp_annual")
    assert _statuses(cl, "P1", days(due, -1), due, days(due, 1)) == ["due_soon", "due_soon", "overdue"]


def test_ihcp_alongside_another_plan_raises_a_flag_when_overdue():
    cl = Caseload()
    cl.pupil("P1")
    cl.plan("P1", "sen_support", "2025-09-01")
    cl.review("P1", "2026-01-10")
    cl.plan("P1", "ihcp", "2025-01-15")
    before, after = cl.status("P1", "2026-01-15"), cl.status("P1", "2026-01-16")
    assert before["plan_type"] == "sen_support" and "ihcp_annual" not in before["flags"]
    assert "ihcp_annual" in after["flags"]
    assert "IHCP started 15 Jan 2025, not reviewed since; must be reviewed at least every 12 months; 1 day overdue" in after["flag_reasons"]


# ---------------------------------------------------------------- phase transfer


@pytest.mark.parametrize("year_group, as_of, review_by, amend_by", [
    ("6", "2024-10-01", "2024-11-23", "15 Feb 2025"),
    ("6", "2025-10-01", "2025-11-23", "15 Feb 2026"),
    ("6", "2027-10-01", "2027-11-23", "15 Feb 2028"),
    ("N2", "2026-10-01", "2026-11-23", "15 Feb 2027"),
    ("11", "2025-10-01", "2026-01-06", "31 Mar 2026"),   # post-16: 31 March
    ("11", "2027-10-01", "2028-01-07", "31 Mar 2028"),   # 2028 is a leap year: 12 weeks before 31 March is 7 January
])
def test_phase_transfer_deadlines_in_several_years(year_group, as_of, review_by, amend_by):
    cl = Caseload()
    cl.pupil("P1", sen="E", year_group=year_group, dob="2014-03-01")
    cl.plan("P1", "ehcp", "2020-01-01")
    cl.review("P1", str(days(as_of, -60)), "ehcp")  # held before the transfer school year began
    row = cl.status("P1", as_of)
    assert (row["cadence_rule"], row["due_date"]) == ("phase_transfer", d(review_by))
    assert f"amended by {amend_by}" in row["status_reason"]
    due = d(review_by)
    assert _statuses(cl, "P1", days(due, -1), due, days(due, 1)) == ["due_soon", "due_soon", "overdue"]


def test_infant_setting_transfers_in_year_2():
    cl = Caseload({"Little Infants": ("infant", "Northmoor Council")})
    for pid, yg in (("P2", "2"), ("P6", "6")):
        cl.pupil(pid, sen="E", year_group=yg, setting="Little Infants")
        cl.plan(pid, "ehcp", "2020-01-01", setting="Little Infants")
        cl.review(pid, "2025-07-01", "ehcp", setting="Little Infants")
    assert cl.status("P2", "2025-10-01", "Little Infants")["cadence_rule"] == "phase_transfer"
    assert cl.status("P6", "2025-10-01", "Little Infants")["cadence_rule"] == "ehcp_annual"


def test_phase_transfer_review_held_in_the_year_then_amendment_deadline():
    cl = Caseload()
    cl.pupil("P1", sen="E", year_group="6", dob="2014-03-01")
    cl.plan("P1", "ehcp", "2020-01-01")
    cl.review("P1", "2025-11-01", "ehcp", report_sent="2025-11-05", next_review_date="2026-10-01")
    row = cl.status("P1", "2026-02-15")
    assert row["cadence_rule"] == "ehcp_annual" and "phase_transfer" not in row["flags"]
    row = cl.status("P1", "2026-02-16")
    assert "phase_transfer" in row["flags"]
    assert any("amended by 15 Feb 2026" in r for r in row["flag_reasons"])


def test_phase_transfer_not_binding_when_the_annual_review_is_sooner():
    cl = Caseload()
    cl.pupil("P1", sen="E", year_group="6", dob="2014-03-01")
    cl.plan("P1", "ehcp", "2020-01-01")
    cl.review("P1", "2024-10-01", "ehcp")
    row = cl.status("P1", "2025-09-10")
    assert (row["cadence_rule"], row["due_date"], row["status"]) == ("ehcp_annual", d("2025-10-01"), "due_soon")


# ---------------------------------------------------------------- year groups and the school year


def test_year_group_derived_from_date_of_birth_at_31_august_and_1_september():
    cl = Caseload()
    cl.pupil("A", sen="N", dob="2019-08-31")   # youngest of the 2019/20 cohort
    cl.pupil("B", sen="N", dob="2019-09-01")   # oldest of the next
    assert (cl.status("A", "2025-08-31")["year_group"], cl.status("B", "2025-08-31")["year_group"]) == ("1", "R")
    assert (cl.status("A", "2025-09-01")["year_group"], cl.status("B", "2025-09-01")["year_group"]) == ("2", "1")


def test_recorded_year_group_wins_and_a_mismatch_is_reported():
    cl = Caseload()
    cl.pupil("A", sen="N", dob="2016-05-10", year_group="5")
    cl.pupil("B", sen="N", dob="2016-05-10", year_group="4")
    a, b = cl.status("A", "2025-10-01"), cl.status("B", "2025-10-01")
    assert (a["year_group"], a["derived_year_group"], a["year_group_mismatch"]) == ("5", "5", False)
    assert (b["year_group"], b["derived_year_group"], b["year_group_mismatch"]) == ("4", "5", True)


def test_transfer_year_follows_the_derived_year_group_across_1_september():
    cl = Caseload()
    cl.pupil("P1", sen="E", dob="2016-05-10")  # Year 5 in 2025/26, Year 6 in 2026/27
    cl.plan("P1", "ehcp", "2020-01-01")
    cl.review("P1", "2026-06-01", "ehcp")
    assert cl.status("P1", "2026-08-31")["cadence_rule"] == "ehcp_annual"
    row = cl.status("P1", "2026-09-01")
    assert (row["year_group"], row["cadence_rule"], row["due_date"]) == ("6", "phase_transfer", d("2026-11-23"))


# ---------------------------------------------------------------- not applicable


def test_not_applicable_pupils_say_why():
    cl = Caseload()
    cl.pupil("N1", sen="N")
    cl.pupil("L1", sen="K", leaving="2026-01-31")
    cl.plan("L1", "sen_support", "2025-01-01")
    n, before, left = cl.status("N1", "2026-02-01"), cl.status("L1", "2026-01-30"), cl.status("L1", "2026-01-31")
    assert (n["status"], n["plan_type"]) == ("not_applicable", None)
    assert n["status_reason"] == "No SEN recorded (status N) and no plan in force on 1 Feb 2026; no reviews are due"
    assert before["status"] != "not_applicable"
    assert (left["status"], left["status_reason"]) == ("not_applicable", "Left on 31 Jan 2026; no reviews are due")


# ---------------------------------------------------------------- per-council and per-setting overrides


def test_per_council_override_changes_only_that_councils_pupils():
    cl = Caseload()
    for pid, la in (("N", "Northmoor Council"), ("E", "Eastbridge County Council")):
        cl.pupil(pid, sen="E", dob="2014-03-01", la=la)
        cl.plan(pid, "ehcp", "2025-03-01", la=la)
        cl.review(pid, "2026-02-01", "ehcp", held=False)
    set_override(cl.con, "invite_good_practice", "weeks", 8, local_authority="Eastbridge County Council", user="senco")
    n, e = cl.status("N", "2026-01-01"), cl.status("E", "2026-01-01")
    assert n["invite_by"] == d("2025-12-21") and e["invite_by"] == d("2025-12-07")
    # the window of 'due soon' (due 1 Mar 2026) follows the same council's invitation window
    assert (cl.status("N", "2026-01-10")["status"], cl.status("E", "2026-01-10")["status"]) == ("on_track", "due_soon")


def test_under5_reviews_every_three_months_for_one_council():
    cl = Caseload()
    for pid, la in (("N", "Northmoor Council"), ("W", "Westford City Council")):
        cl.pupil(pid, sen="E", dob="2022-03-01", la=la, year_group="N1")
        cl.plan(pid, "ehcp", "2025-01-01", la=la)
        cl.review(pid, "2025-06-01", "ehcp")
    set_override(cl.con, "ehcp_under5", "months", 3, local_authority="Westford City Council", user="senco")
    assert cl.status("N", "2025-07-01")["due_date"] == d("2025-12-01")
    assert cl.status("W", "2025-07-01")["due_date"] == d("2025-09-01")


def test_setting_override_and_council_override_layer():
    cl = Caseload({"A": ("primary", "Northmoor Council"), "B": ("primary", "Northmoor Council")})
    for s in ("A", "B"):
        cl.pupil("P", setting=s)
        cl.plan("P", "sen_support", "2025-09-01", setting=s)
        cl.review("P", "2026-01-10", setting=s)
    set_override(cl.con, "sen_support_termly", "max_gap_months", 3, setting="A", user="senco")
    assert cl.status("P", "2026-02-01", "A")["due_date"] == d("2026-04-10")
    assert cl.status("P", "2026-02-01", "B")["due_date"] == d("2026-05-10")
    # a SEN Support pupil's council is the setting's: an override for Northmoor applies to both, setting A's wins
    set_override(cl.con, "sen_support_termly", "max_gap_months", 2, local_authority="Northmoor Council", user="senco")
    assert cl.status("P", "2026-02-01", "B")["due_date"] == d("2026-03-10")
    assert cl.status("P", "2026-02-01", "A")["due_date"] == d("2026-03-10")  # the council's rule is more specific
    set_override(cl.con, "sen_support_termly", "max_gap_months", 4, setting="A", local_authority="Northmoor Council",
                 user="senco")
    assert cl.status("P", "2026-02-01", "A")["due_date"] == d("2026-05-10")


def test_settings_scope_limits_the_rows():
    from senlib.rules import pupil_status

    cl = Caseload({"A": ("primary", None), "B": ("secondary", None)})
    cl.pupil("P", setting="A", sen="N")
    cl.pupil("Q", setting="B", sen="N")
    assert set(pupil_status(cl.con, d("2026-01-01"), settings=["B"], viewer=TRUSTED)["setting"]) == {"B"}
    assert len(pupil_status(cl.con, d("2026-01-01"), settings=[], viewer=TRUSTED)) == 0
    assert len(pupil_status(cl.con, d("2026-01-01"), viewer=TRUSTED)) == 2
