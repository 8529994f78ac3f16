"""Issue 17 (item 4): the rules read the reviews kept in the app (a reviews row with its review_id, its invitees, its
actions), as the app writes them: the milestones from the scheduled date and the invitees' statuses, and the new rules
invitee_missing, child_views_missing and actions_overdue, each on both sides of its threshold; and each "not tracked"
where a setting keeps no meeting records, so that pupils known only from a tracker are never flagged.

The databases are built by SQL inserts as senlib.store.meetings writes them: one imports row with origin 'app' per
change, the rows it writes carrying its import_id.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from senlib import store
from senlib.access import TRUSTED
from senlib.importer import import_files
from senlib.rules import pupil_status, review_quality, set_override
from senlib.rules.tracking import MEETING_ROW, not_tracked
from tests.import_corpus import SHAPES_AS_OF, term_register
from tests.rules_support import SETTING, Caseload, d, days

T = date(2026, 11, 23)  # the as-of date of the threshold tests (a Monday)


class Meetings(Caseload):
    """The rules' caseload with the app's own writes: a review scheduled or recorded in the app, invitees, actions."""

    def change(self, what: str, setting: str = SETTING) -> int:
        """One change made in the app: an imports row with origin 'app' (as senlib.store.meetings writes it)."""
        return self.con.execute("INSERT INTO imports (user_name, file_name, setting, status, origin) "
                                "VALUES ('senco', ?, ?, 'done', 'app') RETURNING import_id", [what, setting]).fetchall()[0][0]

    def app_review(self, pid: str, day: str | date, review_id: str, plan_type: str | None = "ehcp", *,
                   held: bool = False, setting: str = SETTING, **fields) -> None:
        iid = self.change(f"Review {review_id} {'recorded' if held else 'scheduled'} for {pid}", setting)
        self.review(pid, day, plan_type, held=held, setting=setting, review_id=review_id, import_id=iid, **fields)

    def invitee(self, pid: str, review_id: str, iid: str, role: str, *, response: str | None = None,
                invited: str | date | None = None, report: str | date | None = None, attended: bool | None = None,
                setting: str = SETTING) -> None:
        imp = self.change(f"Invitee {iid} of {review_id}", setting)
        self.con.execute("""INSERT INTO review_invitees (setting, pupil_id, review_id, invitee_id, name, role, response,
                                invited_on, report_received, attended, import_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                         [setting, pid, review_id, iid, f"Person {iid}", role, response, d(invited), d(report), attended, imp])

    def action(self, pid: str, review_id: str, aid: str, *, due: str | date, done: str | date | None = None,
               owner: str | None = "Ms Khan", what: str = "Refer to speech and language therapy",
               setting: str = SETTING) -> None:
        imp = self.change(f"Action {aid} of {review_id}", setting)
        self.con.execute("""INSERT INTO review_actions (setting, pupil_id, review_id, action_id, action, owner, due_date,
                                done_date, import_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                         [setting, pid, review_id, aid, what, owner, d(due), d(done), imp])

    def set(self, table: str, where: str, **values) -> None:
        cols = ", ".join(f"{k} = ?" for k in values)
        self.con.execute(f"UPDATE {table} SET {cols} WHERE {where}", [d(v) if isinstance(v, str) and v[:2] == "20"
                                                                     else v for v in values.values()])

    def reason(self, pid: str, as_of: date, rule: str) -> str | None:
        row = self.status(pid, as_of)
        return row["flag_reasons"][row["flags"].index(rule)] if rule in row["flags"] else None


def ehcp_pupil(c: Meetings, pid: str = "E1", *, year_group: str = "8", dob: str = "2013-02-02") -> str:
    """An EHC plan issued 1 Mar 2024 and reviewed 26 Feb 2026 (from a tracker, review_id NULL): everything done on time,
    so the annual review is on track (due 26 Feb 2027) and no flag is raised before the app adds anything."""
    c.pupil(pid, sen="E", dob=dob, year_group=year_group)
    c.plan(pid, "ehcp", "2024-03-01")
    c.review(pid, "2026-02-26", "ehcp", invitations_sent="2026-01-10", reports_received="2026-02-05",
             parent_attended=True, child_contributed=True, next_review_date="2027-02-25", report_sent="2026-03-05",
             la_decision_date="2026-03-20", decision="maintain")
    return pid


@pytest.fixture
def c():
    c = Meetings()
    yield c
    c.con.close()


# ---------------------------------------------------------------------------------------------- milestones


def test_a_review_scheduled_in_the_app_is_the_next_review_its_milestones_count_back_from(c):
    ehcp_pupil(c)
    assert c.status("E1", T)["flags"] == [] and c.status("E1", T)["next_review_basis"] == "agreed"
    c.app_review("E1", "2026-12-17", "R-00000001")
    row = c.status("E1", T)
    assert row["next_review"] == date(2026, 12, 17) and row["next_review_basis"] == "scheduled"
    # invitations 6 weeks before (5 Nov) and 2 weeks (3 Dec), reports 2 weeks before (3 Dec): none recorded yet
    assert (row["invite_by"], row["invite_statutory_by"], row["reports_by"]) == (
        date(2026, 11, 5), date(2026, 12, 3), date(2026, 12, 3))
    assert row["invite_state"] == "missed" and row["reports_state"] == "to_come"
    assert "invite_good_practice" in row["flags"] and "invite_statutory" not in row["flags"]


def test_invitations_are_sent_once_every_invitee_is_invited_on_the_last_ones_date(c):
    ehcp_pupil(c)
    c.app_review("E1", "2026-12-17", "R-00000001")
    c.invitee("E1", "R-00000001", "I1", "parent_carer", response="attending", invited="2026-10-20")
    c.invitee("E1", "R-00000001", "I2", "sen_officer", response="attending")  # not invited yet
    row = c.status("E1", T)
    assert row["invite_state"] == "missed" and "invite_good_practice" in row["flags"]
    # one missing, on the day after the statutory date: the statutory milestone is missed too
    assert "invite_statutory" in c.status("E1", date(2026, 12, 4))["flags"]
    assert "invite_statutory" not in c.status("E1", date(2026, 12, 3))["flags"]
    c.set("review_invitees", "invitee_id = 'I2'", invited_on="2026-11-05")  # the last one, on the good-practice date
    row = c.status("E1", T)
    assert row["invite_state"] == "done" and not {"invite_good_practice", "invite_statutory"} & set(row["flags"])
    # before the last invitee was invited (as-of 4 Nov) the invitations were not all sent yet
    assert c.status("E1", date(2026, 11, 4))["invite_state"] == "to_come"


def test_reports_are_received_once_every_invitee_sending_one_has(c):
    ehcp_pupil(c)
    c.app_review("E1", "2026-12-17", "R-00000001", invitations_sent="2026-11-01")
    c.invitee("E1", "R-00000001", "I1", "parent_carer", response="attending", invited="2026-11-01")
    c.invitee("E1", "R-00000001", "I2", "ep_advisory", response="sending_report", invited="2026-11-01",
              report="2026-11-30")
    c.invitee("E1", "R-00000001", "I3", "health", response="attending_and_report", invited="2026-11-01")
    after = date(2026, 12, 4)  # reports were due by 3 Dec
    row = c.status("E1", after)
    assert row["reports_state"] == "missed" and "advice_before" in row["flags"]
    c.set("review_invitees", "invitee_id = 'I3'", report_received="2026-12-03")
    row = c.status("E1", after)
    assert row["reports_state"] == "done" and "advice_before" not in row["flags"]
    # the parent's blank report and a report from someone not asked for one do not matter
    assert c.status("E1", date(2026, 12, 2))["reports_state"] == "to_come"


def test_with_no_report_expected_the_advice_milestone_is_not_needed(c):
    ehcp_pupil(c)
    c.app_review("E1", "2026-12-17", "R-00000001", invitations_sent="2026-11-01")
    c.invitee("E1", "R-00000001", "I1", "parent_carer", response="attending", invited="2026-11-01")
    c.invitee("E1", "R-00000001", "I2", "sen_officer", response="not_attending", invited="2026-11-01")
    row = c.status("E1", date(2026, 12, 10))
    assert row["reports_state"] == "not_needed" and "advice_before" not in row["flags"]
    # one invitee who has not answered yet may still send a report: it is waited for
    c.invitee("E1", "R-00000001", "I3", "health", invited="2026-11-01")
    assert c.status("E1", date(2026, 12, 10))["reports_state"] == "missed"
    c.con.execute("DELETE FROM review_invitees WHERE invitee_id = 'I3'")
    # a review in the diary from a tracker, with no invitees, still waits for reports
    c.con.execute("DELETE FROM reviews WHERE review_id = 'R-00000001'")
    c.review("E1", "2026-12-17", "ehcp", held=False, invitations_sent="2026-11-01")
    row = c.status("E1", date(2026, 12, 10))
    assert row["reports_state"] == "missed" and "advice_before" in row["flags"]


def test_a_held_review_recorded_in_the_app_takes_its_quality_from_the_invitees_and_views(c):
    ehcp_pupil(c)
    c.app_review("E1", "2026-10-20", "R-00000002", held=True, next_review_date="2027-10-19",
                 parents_views="Happy with the support", child_views=None)
    c.invitee("E1", "R-00000002", "I1", "parent_carer", response="sending_report", invited="2026-09-01",
              report="2026-10-01", attended=False)
    c.invitee("E1", "R-00000002", "I2", "child", response="attending", invited="2026-09-08", attended=True)
    q = review_quality(c.con, T, viewer=TRUSTED).set_index("review_date").loc[pd.Timestamp("2026-10-20")]
    assert q["invitations_sent"] == pd.Timestamp("2026-09-08") and bool(q["invitations_in_time"]) is True
    assert q["reports_received"] == pd.Timestamp("2026-10-01") and bool(q["reports_in_time"]) is True
    assert bool(q["parents_involved"]) is True  # the parents' views are recorded, though the parent did not attend
    assert bool(q["child_contributed"]) is True  # the child attended
    c.set("review_invitees", "invitee_id = 'I2'", attended=False)
    c.con.execute("UPDATE reviews SET parents_views = '  ' WHERE review_id = 'R-00000002'")
    q = review_quality(c.con, T, viewer=TRUSTED).set_index("review_date").loc[pd.Timestamp("2026-10-20")]
    assert q["child_contributed"] is pd.NA and q["parents_involved"] is pd.NA  # blank, and no import record: unknown


# ---------------------------------------------------------------------------------------------- invitee_missing


def _scheduled(c: Meetings, pid: str, day: date, roles: tuple[str, ...], review_id: str = "R-0000000A") -> None:
    c.app_review(pid, day, review_id)
    for i, role in enumerate(roles, 1):
        c.invitee(pid, review_id, f"I{i}", role)


def test_invitee_missing_needs_a_parent_and_the_councils_sen_officer(c):
    for pid, roles in (("E1", ("parent_carer", "sen_officer", "ep_advisory")), ("E2", ("parent_carer", "health")),
                       ("E3", ("sen_officer",)), ("E4", ("teacher",))):
        ehcp_pupil(c, pid)
        _scheduled(c, pid, date(2027, 1, 18), roles, f"R-{pid}")
    assert c.reason("E1", T, "invitee_missing") is None
    assert c.reason("E2", T, "invitee_missing") == (
        "EHCP review on 18 Jan 2027 (scheduled in the app): no SEN officer of the council on the list of invitees; "
        "invite them by 7 Dec 2026 (6 weeks before; the law requires at least 2 weeks: by 4 Jan 2027)")
    assert c.reason("E3", T, "invitee_missing").startswith("EHCP review on 18 Jan 2027 (scheduled in the app): no parent "
                                                           "or carer on the list")
    assert "no parent or carer and no SEN officer of the council" in c.reason("E4", T, "invitee_missing")


def test_invitee_missing_looks_at_reviews_from_the_as_of_date_on(c):
    ehcp_pupil(c)
    _scheduled(c, "E1", T, ("parent_carer",))
    assert c.reason("E1", T, "invitee_missing") is not None  # the meeting is today: still to be put right
    assert c.reason("E1", days(T, 1), "invitee_missing") is None  # the day after: not held, a missed review, not this rule


def test_invitee_missing_is_for_ehc_plans_and_for_reviews_kept_in_the_app(c):
    c.pupil("K1", sen="K")
    c.plan("K1", "sen_support", "2026-09-01")
    c.app_review("K1", "2026-12-10", "R-0000000K", plan_type="sen_support")
    ehcp_pupil(c, "E2")
    c.review("E2", "2027-01-18", "ehcp", held=False)  # in the diary from a tracker: no invitees known, not judged
    assert "invitee_missing" not in c.status("K1", T)["flags"]
    assert "invitee_missing" not in c.status("E2", T)["flags"]


def test_a_young_person_may_be_invited_in_place_of_a_parent(c):
    ehcp_pupil(c, "Y12", year_group="12", dob="2009-10-10")
    ehcp_pupil(c, "Y11", year_group="11", dob="2010-10-10")
    for pid in ("Y12", "Y11"):
        _scheduled(c, pid, date(2027, 1, 18), ("child", "sen_officer"), f"R-{pid}")
    assert c.reason("Y12", T, "invitee_missing") is None
    assert "no parent or carer" in c.reason("Y11", T, "invitee_missing")


# ---------------------------------------------------------------------------------------------- child_views_missing


def test_child_views_missing_within_the_last_year(c):
    for pid, held in (("E1", days(T, -365)), ("E2", days(T, -366))):
        c.pupil(pid, sen="E")
        c.plan(pid, "ehcp", "2024-03-01")
        c.app_review(pid, held, f"R-{pid}", held=True, next_review_date="2027-06-01", report_sent=held,
                     la_decision_date=held)
    assert c.reason("E1", T, "child_views_missing") == (
        "EHCP review held 23 Nov 2025: no child's views recorded, and the child is not recorded as taking part; add the "
        "child's views (in their own words, or how they were gathered) to the record")
    assert c.reason("E2", T, "child_views_missing") is None


@pytest.mark.parametrize(("views", "contributed", "child_attended", "fires"), [
    (None, None, None, True), ("  ", None, None, True), ("Likes the reading group", None, None, False),
    (None, True, None, False), (None, None, True, False), (None, None, False, True), (None, False, None, True),
])
def test_child_views_missing_is_about_views_recorded_or_the_child_taking_part(c, views, contributed, child_attended, fires):
    c.pupil("P1")
    c.plan("P1", "sen_support", "2026-01-10")
    c.app_review("P1", "2026-10-12", "R-00000003", plan_type="sen_support", held=True, child_views=views,
                 child_contributed=contributed, next_review_date="2027-01-20")
    if child_attended is not None:
        c.invitee("P1", "R-00000003", "I1", "child", response="attending", attended=child_attended)
    assert ("child_views_missing" in c.status("P1", T)["flags"]) is fires


def test_child_views_missing_judges_only_the_latest_review_and_only_one_kept_in_the_app(c):
    c.pupil("P1")
    c.plan("P1", "sen_support", "2026-01-10")
    c.app_review("P1", "2026-06-12", "R-00000004", plan_type="sen_support", held=True, next_review_date="2026-10-12")
    assert "child_views_missing" in c.status("P1", T)["flags"]
    c.review("P1", "2026-10-12", "sen_support", next_review_date="2027-01-20")  # a later review, from a tracker
    assert "child_views_missing" not in c.status("P1", T)["flags"]
    assert "child_views_missing" in c.status("P1", date(2026, 10, 11))["flags"]  # before it: the app's was the latest


# ---------------------------------------------------------------------------------------------- actions_overdue


def _with_actions(c: Meetings, pid: str = "P1") -> None:
    c.pupil(pid)
    c.plan(pid, "sen_support", "2026-01-10")
    c.app_review(pid, "2026-10-12", f"R-{pid}", plan_type="sen_support", held=True, child_views="Likes maths",
                 next_review_date="2027-01-20")


@pytest.mark.parametrize(("due", "done", "fires"), [
    (days(T, -1), None, True), (T, None, False), (days(T, -1), T, False), (days(T, -1), days(T, -5), False),
    (days(T, -1), days(T, 1), True),  # done after the as-of date: not done yet on it
])
def test_actions_overdue_the_day_after_the_due_date(c, due, done, fires):
    _with_actions(c)
    c.action("P1", "R-P1", "A1", due=due, done=done)
    assert ("actions_overdue" in c.status("P1", T)["flags"]) is fires


def test_actions_overdue_with_days_of_grace(c):
    _with_actions(c)
    c.action("P1", "R-P1", "A1", due=days(T, -7))
    set_override(c.con, "actions_overdue", "grace_days", 7, user="test")
    assert "actions_overdue" not in c.status("P1", T)["flags"]
    assert "actions_overdue" in c.status("P1", days(T, 1))["flags"]


def test_actions_overdue_names_how_many_the_oldest_and_who(c):
    _with_actions(c)
    c.action("P1", "R-P1", "A1", due="2026-11-02", owner="Mr Lee", what="Visual timetable in class")
    c.action("P1", "R-P1", "A2", due="2026-10-30", owner="Ms Khan")
    c.action("P1", "R-P1", "A3", due="2026-10-20", done="2026-10-19", owner="Mrs Obi")
    c.action("P1", "R-P1", "A4", due="2026-12-01", owner="Mrs Obi")
    assert c.reason("P1", T, "actions_overdue") == (
        "2 actions agreed at reviews not recorded as done: the oldest was due by 30 Oct 2026 ('Refer to speech and "
        "language therapy', Ms Khan); to chase: Mr Lee, Ms Khan")


def test_actions_of_a_review_held_after_the_as_of_date_are_not_yet_agreed(c):
    _with_actions(c)
    c.action("P1", "R-P1", "A1", due="2026-10-01")  # an odd due date, before the meeting that agreed it
    assert "actions_overdue" not in c.status("P1", date(2026, 10, 11))["flags"]
    assert "actions_overdue" in c.status("P1", date(2026, 10, 12))["flags"]


# ---------------------------------------------------------------------------------------------- not tracked


@pytest.fixture
def tracked(tmp_path):
    """Brook's trackers only (the term register: no invitations, reports or council columns), imported on 1 Dec 2026."""
    con = store.connect(tmp_path / "t.duckdb")
    import_files(con, [("register.xlsx", term_register())], setting="Brook", today=SHAPES_AS_OF)
    c = Meetings.__new__(Meetings)
    c.con = con
    yield c
    con.close()


def _brook_flags(c: Meetings, as_of: date = SHAPES_AS_OF) -> dict[str, list[str]]:
    df = pupil_status(c.con, as_of, viewer=TRUSTED)
    return {r["first_name"]: list(r["flags"]) for r in df.to_dict("records")}


MEETING_RULES = {"invitee_missing", "child_views_missing", "actions_overdue"}


def test_a_setting_with_trackers_only_has_the_meeting_rules_not_tracked_once(tracked):
    flags = _brook_flags(tracked)
    assert flags == {"Amy": [], "Ben": [], "Cara": ["next_date_set"], "Dev": [], "Eve": ["next_date_set"]}
    nt = not_tracked(tracked.con)
    meeting = nt[nt["rule_id"] == "meeting"]
    assert len(meeting) == 1 and meeting.iloc[0]["title"] == MEETING_ROW["title"]
    assert not MEETING_RULES & set(nt["rule_id"])  # named once, not rule by rule


def test_a_setting_with_no_import_records_and_no_meetings_has_them_not_tracked(c):
    ehcp_pupil(c)
    nt = not_tracked(c.con)
    assert list(nt["rule_id"]) == ["meeting", "provision"]
    c.app_review("E1", "2027-01-18", "R-00000001")
    assert list(not_tracked(c.con)["rule_id"]) == ["provision"]


def test_one_review_scheduled_in_the_app_is_checked_and_the_trackers_pupils_are_not_flagged(tracked):
    c = tracked
    amy = c.con.execute("SELECT pupil_id FROM pupils WHERE first_name = 'Amy'").fetchall()[0][0]
    # Amy's EHC plan review scheduled in the app for 10 Dec 2026: the parent invited, the SEN officer not yet, and the
    # officer is sending a report not received (invitations by 29 Oct / 26 Nov and reports by 26 Nov: all missed)
    c.app_review(amy, "2026-12-10", "R-0000A001", setting="Brook")
    c.invitee(amy, "R-0000A001", "I1", "parent_carer", response="attending", invited="2026-10-20", setting="Brook")
    c.invitee(amy, "R-0000A001", "I2", "sen_officer", response="sending_report", setting="Brook")
    flags = _brook_flags(c)
    assert flags["Amy"] == ["invite_good_practice", "invite_statutory", "advice_before"]
    # the pupils known only from the tracker keep what they had: Cara's invitations (due by 24 Nov) are still not
    # tracked, not missed
    assert {k: v for k, v in flags.items() if k != "Amy"} == {"Ben": [], "Cara": ["next_date_set"], "Dev": [],
                                                             "Eve": ["next_date_set"]}
    nt = not_tracked(c.con)
    assert "meeting" not in set(nt["rule_id"]) and "invite_statutory" in set(nt["rule_id"])  # the setting's trackers
    c.set("review_invitees", "invitee_id = 'I2'", invited_on="2026-10-25", report_received="2026-11-20")
    assert _brook_flags(c)["Amy"] == []
    c.con.execute("DELETE FROM review_invitees WHERE invitee_id = 'I2'")
    assert _brook_flags(c)["Amy"] == ["invitee_missing"]


def test_the_apps_own_writes_are_read_by_the_rules_and_taken_back_with_them(tracked):
    """Through senlib.importer.meetings, as the pages write: Amy's EHC plan review scheduled for 10 Dec 2026 (its
    invitees carried over by default: the parent, the child, the council's SEN officer), invitations marked sent, the
    officer taken off the list; each change taken back restores what the rules said."""
    from senlib.importer import meetings

    c = tracked
    amy = c.con.execute("SELECT pupil_id FROM pupils WHERE first_name = 'Amy'").fetchall()[0][0]
    before = _brook_flags(c)
    scheduled = meetings.schedule_review(c.con, "Brook", amy, review_date=date(2026, 12, 10), as_of=date(2026, 10, 1),
                                         viewer=TRUSTED)
    roles = set(meetings.invitees(c.con, "Brook", scheduled.review_id, viewer=TRUSTED)["role"])
    assert {"parent_carer", "sen_officer"} <= roles
    flags = _brook_flags(c)
    # none invited yet, and no one has answered: a report may still come, so the reports are waited for
    assert flags["Amy"] == ["invite_good_practice", "invite_statutory", "advice_before"]
    assert {k: v for k, v in flags.items() if k != "Amy"} == {k: v for k, v in before.items() if k != "Amy"}
    sent = meetings.mark_invitations_sent(c.con, "Brook", scheduled.review_id, date(2026, 10, 25), viewer=TRUSTED)
    assert _brook_flags(c)["Amy"] == ["advice_before"]
    people = meetings.invitees(c.con, "Brook", scheduled.review_id, viewer=TRUSTED)
    people["response"] = "attending"  # everyone answers, and no one is sending a report
    answered = meetings.set_invitees(c.con, "Brook", scheduled.review_id, people, viewer=TRUSTED)
    assert _brook_flags(c)["Amy"] == []
    dropped = meetings.set_invitees(c.con, "Brook", scheduled.review_id, people[people["role"] != "sen_officer"],
                                    viewer=TRUSTED)
    assert _brook_flags(c)["Amy"] == ["invitee_missing"]
    for change in (dropped, answered, sent):
        meetings.take_back(c.con, change.import_id, viewer=TRUSTED)
    assert _brook_flags(c)["Amy"] == ["invite_good_practice", "invite_statutory", "advice_before"]
    meetings.take_back(c.con, scheduled.import_id, viewer=TRUSTED)
    assert _brook_flags(c) == before
