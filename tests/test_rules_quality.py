"""Review quality checks, progress judged from scaling scores, the register summary and outcome progress."""

from __future__ import annotations

import pandas as pd
import pytest

from senlib.access import TRUSTED
from senlib.rules import outcome_progress, register_summary, review_quality, set_override

from .rules_support import Caseload, d


def _quality(cl: Caseload, as_of: str) -> pd.DataFrame:
    return review_quality(cl.con, d(as_of), viewer=TRUSTED).set_index("review_date")


# ---------------------------------------------------------------- progress judged from scores


@pytest.mark.parametrize("rise, judged", [(0.9, "less"), (1.0, "expected"), (1.9, "expected"), (2.0, "more")])
def test_progress_judged_from_the_rise_in_scores(rise, judged):
    cl = Caseload()
    cl.pupil("P1")
    cl.plan("P1", "sen_support", "2025-01-01")
    cl.outcome("P1", "O1", baseline=2, target=8)
    cl.outcome("P1", "O2", baseline=2, target=8)
    cl.review("P1", "2025-03-01", progress=None)
    cl.review("P1", "2025-06-01", progress=None)
    for oid in ("O1", "O2"):
        cl.score("P1", oid, "2025-01-01", 2)
        cl.score("P1", oid, "2025-03-01", 3)
        cl.score("P1", oid, "2025-06-01", 3 + rise)
    q = _quality(cl, "2025-07-01")
    assert (q.loc[pd.Timestamp("2025-06-01"), "progress"], q.loc[pd.Timestamp("2025-06-01"), "progress_source"]) == (judged, "derived")
    assert q.loc[pd.Timestamp("2025-06-01"), "average_gain"] == pytest.approx(rise)
    # the first review is judged against the baseline: 2 -> 3 is expected progress
    assert q.loc[pd.Timestamp("2025-03-01"), "progress"] == "expected"


def test_progress_rise_is_rescaled_and_direction_aware():
    cl = Caseload()
    cl.pupil("P1")
    cl.plan("P1", "sen_support", "2025-01-01")
    cl.outcome("P1", "O1", baseline=0, target=2, scale=(-2, 2))   # Provision Map scale: +0.4 is 1 point on 0-10
    cl.outcome("P1", "O2", baseline=10, target=2, scale=(0, 10))  # fewer incidents: a fall of 1 is a rise of 1
    cl.review("P1", "2025-03-01", progress=None)
    cl.score("P1", "O1", "2025-03-01", 0.4)
    cl.score("P1", "O2", "2025-03-01", 9)
    q = _quality(cl, "2025-04-01")
    assert q.iloc[0]["average_gain"] == pytest.approx(1.0) and q.iloc[0]["progress"] == "expected"


def test_recorded_progress_wins_and_no_scores_means_unknown():
    cl = Caseload()
    cl.pupil("P1")
    cl.plan("P1", "sen_support", "2025-01-01")
    cl.outcome("P1", "O1")
    cl.review("P1", "2025-03-01", progress="more")
    cl.review("P1", "2025-06-01", progress=None)
    q = _quality(cl, "2025-07-01")
    assert (q.iloc[0]["progress"], q.iloc[0]["progress_source"]) == ("more", "recorded")
    assert pd.isna(q.iloc[1]["progress"]) and pd.isna(q.iloc[1]["progress_source"])


def test_expected_rise_is_configurable():
    cl = Caseload()
    cl.pupil("P1")
    cl.plan("P1", "sen_support", "2025-01-01")
    cl.outcome("P1", "O1", baseline=2, target=8)
    cl.review("P1", "2025-03-01", progress=None)
    cl.score("P1", "O1", "2025-03-01", 3)
    set_override(cl.con, "progress_from_scores", "expected_gain", 1.5, user="senco")
    assert _quality(cl, "2025-04-01").iloc[0]["progress"] == "less"


def test_escalation_uses_progress_judged_from_scores():
    cl = Caseload()
    cl.pupil("P1")
    cl.plan("P1", "sen_support", "2025-01-01")
    cl.outcome("P1", "O1", baseline=2, target=8)
    cl.score("P1", "O1", "2025-01-01", 2)
    for day in ("2025-03-01", "2025-06-01"):
        cl.review("P1", day, progress=None, next_review_date="2025-09-01")
        cl.score("P1", "O1", day, 2.5)
    assert "consider_pcp_msp" in cl.status("P1", "2025-06-02")["flags"]


# ---------------------------------------------------------------- quality checks of a held review


def test_quality_checks_on_both_sides_of_their_thresholds():
    cl = Caseload()
    cl.pupil("P1", sen="E", dob=None, year_group="9")
    cl.plan("P1", "ehcp", "2024-03-01")
    cl.outcome("P1", "O1", start="2024-03-01")
    # on time (the day of the deadline), invitations exactly 6 weeks before, reports exactly 2 weeks before
    cl.review("P1", "2025-03-01", "ehcp", invitations_sent="2025-01-18", reports_received="2025-02-15",
              parent_attended=True, child_contributed=True, next_review_date="2026-02-01",
              report_sent="2025-03-15", la_decision_date="2025-03-29", pfa_covered=True)
    cl.score("P1", "O1", "2025-03-10", 4)
    # a day late, invitations and reports a day late, nothing else recorded
    cl.review("P1", "2026-03-02", "ehcp", invitations_sent="2026-01-20", reports_received="2026-02-17",
              report_sent="2026-03-17", la_decision_date="2026-03-31")
    q = _quality(cl, "2026-06-01")
    good, late = q.loc[pd.Timestamp("2025-03-01")], q.loc[pd.Timestamp("2026-03-02")]
    checks = ["held_on_time", "invitations_in_time", "reports_in_time", "parents_involved", "child_contributed",
              "next_date_set", "outcomes_scored", "invitations_statutory", "report_sent_in_time", "la_decision_in_time",
              "pfa_covered"]
    assert [bool(good[c]) for c in checks] == [True] * len(checks)
    assert (good["checks_passed"], good["checks_known"]) == (7, 7)
    assert [late[c] for c in ("held_on_time", "invitations_in_time", "reports_in_time", "next_date_set", "outcomes_scored",
                              "report_sent_in_time", "la_decision_in_time")] == [False] * 7
    assert late["invitations_statutory"]  # still 6 weeks before: within the statutory 2
    assert pd.isna(late["parents_involved"]) and pd.isna(late["child_contributed"]) and pd.isna(late["pfa_covered"])
    assert late["due_date"] == pd.Timestamp("2026-03-01")


def test_unknown_quality_is_null_not_false():
    cl = Caseload()
    cl.pupil("P1")
    cl.plan("P1", "sen_support", "2025-01-01")
    cl.review("P1", "2025-03-01")
    q = _quality(cl, "2025-04-01").iloc[0]
    for check in ("invitations_in_time", "reports_in_time", "parents_involved", "child_contributed", "outcomes_scored",
                  "invitations_statutory", "report_sent_in_time"):
        assert pd.isna(q[check]), check
    assert q["held_on_time"] and not q["next_date_set"]


def test_review_quality_since_limits_the_rows():
    cl = Caseload()
    cl.pupil("P1")
    cl.plan("P1", "sen_support", "2025-01-01")
    for day in ("2025-03-01", "2025-06-01", "2025-10-01"):
        cl.review("P1", day)
    assert len(review_quality(cl.con, d("2025-12-01"), viewer=TRUSTED)) == 3
    q = review_quality(cl.con, d("2025-12-01"), since=d("2025-09-01"), viewer=TRUSTED)
    assert list(q["review_date"].dt.date) == [d("2025-10-01")]
    assert q.iloc[0]["previous_review"] == pd.Timestamp("2025-06-01")


# ---------------------------------------------------------------- register and outcomes


def test_register_summary_counts_reviews_held_this_school_year_against_those_required():
    cl = Caseload()
    cl.pupil("A")
    cl.plan("A", "sen_support", "2024-01-01")
    cl.review("A", "2025-08-31")   # last school year
    cl.review("A", "2025-09-01")   # this one
    cl.pupil("B", sen="E", dob="2013-03-01", year_group="8")
    cl.plan("B", "ehcp", "2024-01-01")
    cl.pupil("C", identified="2026-03-02")
    cl.plan("C", "sen_support", "2026-03-02")  # starts half way through the year: 3 * 183/365 -> 2 reviews
    s = register_summary(cl.con, d("2026-01-15"), viewer=TRUSTED).set_index("plan_type")
    assert s.loc["all", "pupils"] == 2
    assert (s.loc["sen_support", "reviews_required"], s.loc["sen_support", "reviews_held"]) == (3, 1)
    assert (s.loc["ehcp", "reviews_required"], s.loc["ehcp", "reviews_held"]) == (1, 0)
    assert s.loc["all", "reviews_still_needed"] == 3
    assert s.loc["all", "year_start"] == pd.Timestamp("2025-09-01") and s.loc["all", "year_end"] == pd.Timestamp("2026-08-31")
    later = register_summary(cl.con, d("2026-03-15"), viewer=TRUSTED).set_index("plan_type")
    assert later.loc["sen_support", "reviews_required"] == 5 and later.loc["sen_support", "pupils"] == 2


def test_outcome_progress_per_outcome():
    cl = Caseload()
    cl.pupil("P1", year_group="5")
    cl.plan("P1", "sen_support", "2025-01-01")
    cl.outcome("P1", "O1", baseline=2, target=8)
    cl.score("P1", "O1", "2025-01-01", 2)
    cl.score("P1", "O1", "2025-03-01", 5)
    cl.score("P1", "O1", "2025-06-01", 5)
    cl.score("P1", "O1", "2025-09-01", 7)  # after the as-of date: not known yet
    o = outcome_progress(cl.con, d("2025-07-01"), viewer=TRUSTED).iloc[0]
    assert (o["latest_score"], o["previous_score"], o["change"], o["share_to_target"]) == (5, 5, 3, 0.5)
    assert (o["year_group"], o["plan_type"], o["n_scores"], bool(o["stalled"])) == ("5", "sen_support", 3, True)
    assert o["stalled_rule"] == "stalled_outcome" and "O1 5 → 5" in o["stalled_reason"]
    assert not outcome_progress(cl.con, d("2025-10-01"), viewer=TRUSTED).iloc[0]["stalled"]
