"""Upcoming reviews (senlib.views.upcoming): milestones and their states, this week's to-do list, the list of reviews, the .ics."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from icalendar import Calendar

from senlib.access import TRUSTED
from senlib.views import upcoming

from .conftest import AS_OF
from .senco_status import day, status_frame


@pytest.fixture
def status() -> pd.DataFrame:
    return status_frame(
        # An EHCP review in 17 days: invitations (6 weeks before) missed; statutory invitations and reports in 3 days.
        {"pupil_id": "E1", "first_name": "Ada", "last_name": "Lovelace", "sen_status": "E", "plan_type": "ehcp",
         "status": "due_soon", "due_date": day(40), "next_review": day(17), "next_review_basis": "scheduled",
         "invite_by": day(17 - 42), "invite_state": "missed", "invite_statutory_by": day(3), "reports_by": day(3),
         "reports_state": "to_come"},
        # SEN Support, 20 days overdue, no date set: one line in the to-do list, not one per missed step.
        {"pupil_id": "K1", "first_name": "Alan", "last_name": "Turing", "status": "overdue", "days_overdue": 20,
         "due_date": day(-20), "next_review": day(-20), "next_review_basis": "due_date", "invite_by": day(-62),
         "invite_state": "missed"},
        # Review in 10 weeks (beyond 6) but its invitations are due in 2 days: listed for this week's step.
        {"pupil_id": "K2", "first_name": "Grace", "last_name": "Hopper", "status": "on_track", "due_date": day(72),
         "next_review": day(72), "next_review_basis": "due_date", "invite_by": day(2), "invite_state": "to_come"},
        # Review in 4 weeks, invitations already sent: listed, nothing to do this week.
        {"pupil_id": "K3", "first_name": "Mary", "last_name": "Somerville", "status": "due_soon", "due_date": day(30),
         "next_review": day(28), "next_review_basis": "agreed", "invite_by": day(-14), "invite_state": "done"},
        # Review in 20 weeks: not listed.
        {"pupil_id": "K4", "first_name": "Far", "last_name": "Away", "status": "on_track", "due_date": day(140),
         "next_review": day(140), "invite_by": day(98), "invite_state": "to_come"},
        # No SEN: never listed.
        {"pupil_id": "N1", "sen_status": "N", "plan_type": None, "status": "not_applicable"},
        # Nothing recorded to date the review from: not a review to hold (nor overdue), a record to put right.
        {"pupil_id": "U1", "first_name": "Una", "last_name": "Known", "status": "no_review_date", "days_overdue": None,
         "plan_start": None, "next_review_basis": None,
         "status_reason": "SEN Support plan: no review and no start date recorded, ...; record the last review date"},
    )


def test_milestones_and_their_states(status):
    ms = upcoming.milestones(status, AS_OF)
    e1 = ms[ms["pupil_id"] == "E1"].set_index("milestone")
    assert list(e1.index) == ["invite_by", "invite_statutory_by", "reports_by", "review", "due_date"]
    assert e1.loc["invite_by", "state"] == "missed" and e1.loc["invite_statutory_by", "state"] == "to_come"
    assert e1.loc["review", "what"] == "Review meeting" and e1.loc["review", "days"] == 17
    assert e1.loc["due_date", "what"] == "Review must be held by"  # the meeting is set for another day
    k1 = ms[ms["pupil_id"] == "K1"].set_index("milestone")
    assert "due_date" not in k1.index and k1.loc["review", "state"] == "missed"
    assert k1.loc["review", "what"] == "Review due (no meeting date recorded yet)"
    assert ms[ms["pupil_id"] == "K3"].set_index("milestone").loc["invite_by", "state"] == "done"
    assert "N1" not in set(ms["pupil_id"])
    assert set(ms["initials"]) >= {"A.L.", "A.T.", "G.H."}


def test_statutory_invitations_are_done_when_invitations_are(status):
    sent = status.assign(invite_state=["done"] + list(status["invite_state"][1:]))
    ms = upcoming.milestones(sent, AS_OF).set_index(["pupil_id", "milestone"])
    assert ms.loc[("E1", "invite_statutory_by"), "state"] == "done"


def test_todo_this_week_overdue_first_then_missed_then_by_date(status):
    td = upcoming.todo(upcoming.milestones(status, AS_OF), AS_OF)
    assert list(zip(td["pupil_id"], td["kind"], td["milestone"], strict=True)) == [
        ("K1", "overdue", "due_date"),            # the overdue review, once
        ("E1", "missed", "invite_by"),            # a missed step of a review still to come
        ("K2", "this_week", "invite_by"),         # in 2 days
        ("E1", "this_week", "invite_statutory_by"),  # in 3 days
        ("E1", "this_week", "reports_by"),
    ]
    assert list(td["when"]) == ["Overdue by 20 days", "Missed (25 days ago)", "In 2 days", "In 3 days", "In 3 days"]
    assert td.loc[0, "what"] == "Arrange the review now"


def test_reviews_in_the_window(status):
    rv = upcoming.reviews(status, AS_OF, weeks=6)
    assert list(rv["pupil_id"]) == ["K1", "E1", "K2", "K3"]  # overdue, then this week's (by next step), then coming up
    assert list(rv["priority"]) == ["overdue", "this_week", "this_week", "later"]
    row = rv.set_index("pupil_id").loc["E1"]
    assert row["next_step"] == "Send invitations and the current plan" and row["next_step_date"].date() == day(-25)
    assert rv.set_index("pupil_id").loc["K1", "next_step"] == "Arrange the review now"
    assert set(upcoming.reviews(status, AS_OF, weeks=12)["pupil_id"]) == {"K1", "E1", "K2", "K3"}
    assert set(upcoming.reviews(status, AS_OF, weeks=24)["pupil_id"]) == {"K1", "E1", "K2", "K3", "K4"}
    assert set(upcoming.reviews(status, AS_OF, weeks=1)["pupil_id"]) == {"K1", "E1", "K2"}
    n = upcoming.summary(rv, upcoming.todo(upcoming.milestones(status, AS_OF), AS_OF))
    assert n == {"reviews": 4, "overdue": 1, "this_week": 3, "missed": 1, "no_review_date": 0}


def test_no_review_date_is_listed_to_put_right_not_as_overdue(status):
    ms = upcoming.milestones(status, AS_OF)
    assert "U1" not in set(ms["pupil_id"]) and "U1" not in set(upcoming.todo(ms, AS_OF)["pupil_id"])
    for weeks in (1, 6, 24):
        assert "U1" not in set(upcoming.reviews(status, AS_OF, weeks=weeks)["pupil_id"])
    nd = upcoming.undated(status)
    assert list(nd.columns) == upcoming.UNDATED_COLUMNS
    assert nd[["pupil_id", "pupil", "plan", "year"]].values.tolist() == [["U1", "Known, Una", "SEN Support plan", "Year 5"]]
    assert nd.loc[0, "fix"].endswith("record the last review date") and nd.loc[0, "key"] == "Oak School|U1"
    rv = upcoming.reviews(status, AS_OF, weeks=6)
    n = upcoming.summary(rv, upcoming.todo(ms, AS_OF), nd)
    assert (n["overdue"], n["no_review_date"]) == (1, 1)


def _events(ics: bytes) -> list:
    return Calendar.from_ical(ics).walk("VEVENT")


def test_calendar_parses_with_one_all_day_event_per_step_to_come(status):
    ms, rv = upcoming.milestones(status, AS_OF), upcoming.reviews(status, AS_OF, weeks=6)
    ics = upcoming.calendar(ms, rv, AS_OF, weeks=6)
    cal = Calendar.from_ical(ics)
    assert str(cal["version"]) == "2.0" and "SEN caseload" in str(cal["prodid"])
    assert str(cal["x-wr-calname"]) == "SEN reviews 23/11/2026 to 04/01/2027"
    got = sorted((e.decoded("dtstart"), str(e["summary"])) for e in _events(ics))
    assert got == sorted([
        (day(3), "Last day for statutory invitations (EHCP): A.L. (E1)"),
        (day(3), "Reports and advice due (EHCP): A.L. (E1)"),
        (day(17), "Review meeting: A.L. (E1)"),
        (day(40), "Review must be held by: A.L. (E1)"),
        (day(2), "Send invitations and the current plan: G.H. (K2)"),
        (day(72), "Review due (no meeting date recorded yet): G.H. (K2)"),
        (day(28), "Review meeting (date agreed at the last review): M.S. (K3)"),
        (day(30), "Review must be held by: M.S. (K3)"),
    ])  # missed (E1's invitations, K1's review) and done (K3's invitations) steps are not in the calendar
    for e in _events(ics):
        start, end = e.decoded("dtstart"), e.decoded("dtend")
        assert type(start) is date and (end - start).days == 1  # all-day
        assert e["uid"] and e["dtstamp"]
        assert "Lovelace" not in str(e["summary"]) + str(e.get("description", ""))
    assert len({str(e["uid"]) for e in _events(ics)}) == 8


def test_calendar_uids_are_stable_and_names_optional(status):
    ms, rv = upcoming.milestones(status, AS_OF), upcoming.reviews(status, AS_OF, weeks=6)
    first = {str(e["uid"]) for e in _events(upcoming.calendar(ms, rv, AS_OF))}
    again = {str(e["uid"]) for e in _events(upcoming.calendar(ms, rv, AS_OF))}
    assert first == again
    named = _events(upcoming.calendar(ms, rv, AS_OF, full_names=True))
    assert any(str(e["summary"]) == "Review meeting: Ada Lovelace (E1)" for e in named)
    description = next(str(e["description"]) for e in named if str(e["summary"]).startswith("Review meeting: Ada"))
    assert "Setting: Oak School" in description and "Plan: EHCP" in description and "nan" not in description


def test_calendar_text_from_trackers_is_escaped(status):
    odd = status.assign(first_name=["Line\nBreak; A,B"] + list(status["first_name"][1:]))
    ms, rv = upcoming.milestones(odd, AS_OF), upcoming.reviews(odd, AS_OF)
    events = _events(upcoming.calendar(ms, rv, AS_OF, full_names=True))
    assert any("Line\nBreak; A,B Lovelace (E1)" in str(e["summary"]) for e in events)  # survives the round trip intact


def test_export_frame_headings(status):
    out = upcoming.export_frame(upcoming.reviews(status, AS_OF))
    assert list(out["Priority"]) == ["Overdue", "To do this week", "To do this week", "Coming up"]
    assert out.loc[1, "Invitations"] == "Missed" and out.loc[3, "Review date is"] == "Agreed at last review"


def test_demo_upcoming_reviews(demo_con):
    from senlib.rules import pupil_status

    status = pupil_status(demo_con, AS_OF, viewer=TRUSTED)
    ms = upcoming.milestones(status, AS_OF)
    rv = upcoming.reviews(status, AS_OF)
    td = upcoming.todo(ms, AS_OF)
    assert len(rv) > 20 and (rv["priority"] == "overdue").sum() == (status["status"] == "overdue").sum()
    assert td["kind"].iloc[0] == "overdue"
    later = rv[rv["priority"] == "later"]
    assert (later["review"] <= pd.Timestamp(AS_OF) + pd.Timedelta(weeks=6)).all()
    events = _events(upcoming.calendar(ms, rv, AS_OF))
    assert len(events) > len(rv)
    assert all(e.decoded("dtstart") >= AS_OF for e in events)


def test_an_overdue_review_with_a_meeting_booked_says_the_meeting_is_late(status):
    """Overdue, with a meeting in the diary after the due date: its invitations are still to come, and the next
    step says the meeting is later than the review was due (not 'arrange the review')."""
    booked = status.copy()
    k1 = booked["pupil_id"] == "K1"
    booked.loc[k1, "next_review"] = pd.Timestamp(day(30))
    booked.loc[k1, "next_review_basis"] = "scheduled"
    row = upcoming.reviews(booked, AS_OF, weeks=6).set_index("pupil_id").loc["K1"]
    due = pd.Timestamp(booked.loc[k1, "due_date"].iloc[0])
    assert row["priority"] == "overdue"
    assert row["next_step"] == (f"Meeting planned for {day(30):%d/%m/%Y}, after the review was due ({due:%d/%m/%Y}): "
                                "hold it sooner if you can")
