"""Review meetings entered in the app (senlib.store.meetings): each change one audited, undoable import."""

from __future__ import annotations

import json
import re
from datetime import date, time

import pytest

from senlib import access
from senlib.importer import meetings
from senlib.importer.load import undo
from senlib.importer.meetings import MeetingError
from tests.meetings_fixture import AS_OF, COUNCIL, SETTING, build

T = access.TRUSTED


@pytest.fixture
def con(tmp_path):
    c = build(tmp_path / "m.duckdb")
    yield c
    c.close()


def rows(con, sql, *args):
    return con.execute(sql, list(args)).fetchall()


def snapshot(con) -> dict:
    """Every row of the tables a change may touch, to compare before and after a take back."""
    out = {}
    for t in ("reviews", "review_invitees", "review_actions", "scores"):
        out[t] = sorted(map(str, con.execute(f"SELECT * EXCLUDE (import_id) FROM {t}").fetchall()))
    return out


def test_scheduling_an_ehc_plan_review_with_enough_notice(con):
    ch = meetings.schedule_review(con, SETTING, "E1", review_date=date(2027, 1, 12), start_time=time(10, 0),
                                  place="Meeting room 2", chair="Mrs Patel (SENCo)", as_of=AS_OF, viewer=T)
    assert re.fullmatch(r"R-[0-9A-F]{8}", ch.review_id) and ch.warnings == []
    assert rows(con, """SELECT plan_type, review_date, held, kind, start_time, place, chair, notice_warning FROM reviews
        WHERE review_id = ?""", ch.review_id) == [("ehcp", date(2027, 1, 12), False, "annual", "10:00", "Meeting room 2",
                                                   "Mrs Patel (SENCo)", None)]
    # a first meeting: the parent or carer, the child, the key worker and the council's SEN officer
    assert rows(con, "SELECT invitee_id, name, role, organisation, response FROM review_invitees ORDER BY invitee_id") == [
        ("I1", None, "parent_carer", None, None), ("I2", "Amy", "child", None, None),
        ("I3", "Mrs Khan", "key_worker", None, None), ("I4", None, "sen_officer", COUNCIL, None)]
    imp = rows(con, "SELECT origin, file_name, user_name, summary->>'pupil_id' FROM imports WHERE import_id = ?", ch.import_id)
    assert imp == [("app", "Review scheduled for Amy Brown on Tuesday 12 January 2027 at 10:00", T.name, "E1")]
    audit = rows(con, "SELECT detail FROM audit WHERE action = 'app_change'")
    assert len(audit) == 1 and json.loads(audit[0][0])["import_id"] == ch.import_id


@pytest.mark.parametrize(("day", "warned"), [(15, False), (14, True)])
def test_less_than_the_statutory_notice_is_allowed_with_a_recorded_warning(con, day, warned):
    # 1 Dec -> 15 Dec is 14 days (2 weeks: enough); 14 Dec is 13 days
    ch = meetings.schedule_review(con, SETTING, "E1", review_date=date(2026, 12, day), as_of=AS_OF, viewer=T)
    stored = rows(con, "SELECT notice_warning FROM reviews WHERE review_id = ?", ch.review_id)[0][0]
    kept = json.loads(rows(con, "SELECT warnings FROM imports WHERE import_id = ?", ch.import_id)[0][0])
    if warned:
        assert ch.warnings == [stored] == kept
        assert "13 days' notice" in stored and "regulation 20" in stored and "family agrees" in stored
    else:
        assert ch.warnings == [] and stored is None and kept == []


def test_sen_support_reviews_have_no_statutory_notice(con):
    ch = meetings.schedule_review(con, SETTING, "K2", review_date=date(2026, 12, 3), as_of=AS_OF, viewer=T)
    assert ch.warnings == []


def test_scheduling_takes_over_the_review_the_tracker_planned_and_take_back_restores_it(con):
    before = snapshot(con)
    ch = meetings.schedule_review(con, SETTING, "K1", review_date=date(2027, 1, 12), start_time="15:30", as_of=AS_OF,
                                  viewer=T)
    assert rows(con, "SELECT review_date, held, review_id FROM reviews WHERE pupil_id = 'K1' ORDER BY 1") == [
        (date(2026, 7, 10), True, None), (date(2027, 1, 12), False, ch.review_id)]
    meetings.take_back(con, ch.import_id, viewer=T)
    assert snapshot(con) == before
    assert rows(con, "SELECT status FROM imports WHERE import_id = ?", ch.import_id) == [("undone",)]


def test_recording_a_review_writes_the_record_in_one_change_and_take_back_restores_all(con):
    ch = meetings.schedule_review(con, SETTING, "E1", review_date=date(2026, 12, 15), as_of=AS_OF, viewer=T)
    meetings.mark_invitations_sent(con, SETTING, ch.review_id, date(2026, 12, 1), viewer=T)
    before = snapshot(con)
    rec = meetings.record_review(
        con, SETTING, ch.review_id, held_on=date(2026, 12, 15), as_of=date(2026, 12, 16), viewer=T,
        parent_attended=True, child_contributed=True, parents_views="Amy is happier at school.",
        child_views="I like the calm corner.", attendance=96.5, progress="expected", decision="maintain",
        next_review_date=date(2027, 12, 10), scores={"O1": 6, "O2": None},
        actions=[{"action": "Share the new targets with the class team", "owner": "Mrs Khan",
                  "due_date": date(2027, 1, 8)}, {"action": ""}],
        attended={"I1": True, "I4": False})
    assert rows(con, """SELECT held, review_date, parent_attended, child_contributed, parents_views, child_views,
        attendance, progress, decision, next_review_date, invitations_sent FROM reviews WHERE review_id = ?""",
                ch.review_id) == [(True, date(2026, 12, 15), True, True, "Amy is happier at school.",
                                   "I like the calm corner.", 96.5, "expected", "maintain", date(2027, 12, 10),
                                   date(2026, 12, 1))]
    assert rows(con, "SELECT outcome_id, score_date, score FROM scores WHERE score_date = DATE '2026-12-15'") == [
        ("O1", date(2026, 12, 15), 6.0)]
    assert rows(con, "SELECT action_id, action, owner, due_date, done_date FROM review_actions") == [
        ("A1", "Share the new targets with the class team", "Mrs Khan", date(2027, 1, 8), None)]
    assert rows(con, "SELECT invitee_id, attended FROM review_invitees ORDER BY 1") == [
        ("I1", True), ("I2", None), ("I3", None), ("I4", False)]
    meetings.take_back(con, rec.import_id, viewer=T)
    assert snapshot(con) == before


def test_the_next_review_carries_over_the_invitees_with_their_replies_cleared(con):
    ch = meetings.schedule_review(con, SETTING, "E1", review_date=date(2026, 12, 15), as_of=AS_OF, viewer=T)
    meetings.set_invitees(con, SETTING, ch.review_id, [
        {"name": "Ms Brown", "role": "Parent or carer", "contact": "01234 567890", "response": "attending"},
        {"name": "Dr Shah", "role": "health", "organisation": "Community paediatrics", "response": "sending_report",
         "report_received": date(2026, 12, 1)}], viewer=T)
    meetings.record_review(con, SETTING, ch.review_id, held_on=date(2026, 12, 15), as_of=date(2026, 12, 15), viewer=T)
    nxt = meetings.schedule_review(con, SETTING, "E1", review_date=date(2027, 6, 15), as_of=date(2026, 12, 15), viewer=T)
    got = meetings.invitees(con, SETTING, nxt.review_id, viewer=T)
    got = got.astype(object).where(got.notna(), None)
    assert got[["invitee_id", "name", "role", "organisation", "contact"]].values.tolist() == [
        ["I1", "Ms Brown", "parent_carer", None, "01234 567890"],
        ["I2", "Dr Shah", "health", "Community paediatrics", None]]
    assert got["response"].isna().all() and got["report_received"].isna().all()


def test_a_change_a_later_one_built_on_is_taken_back_only_after_it(con):
    first = meetings.schedule_review(con, SETTING, "E1", review_date=date(2027, 1, 12), as_of=AS_OF, viewer=T)
    second = meetings.reschedule_review(con, SETTING, first.review_id, review_date=date(2027, 1, 19), place="Library",
                                        as_of=AS_OF, viewer=T)
    assert second.description == "Review for Amy Brown changed: Tuesday 19 January 2027 (place Library)"
    with pytest.raises(Exception, match="later import"):
        meetings.take_back(con, first.import_id, viewer=T)
    meetings.take_back(con, second.import_id, viewer=T)
    assert rows(con, "SELECT review_date, place FROM reviews WHERE review_id = ?", first.review_id) == [
        (date(2027, 1, 12), None)]
    meetings.take_back(con, first.import_id, viewer=T)
    assert rows(con, "SELECT count(*) FROM reviews WHERE review_id IS NOT NULL") == [(0,)]


def test_cancel_removes_the_review_and_its_invitees_and_take_back_restores_them(con):
    ch = meetings.schedule_review(con, SETTING, "E1", review_date=date(2027, 1, 12), as_of=AS_OF, viewer=T)
    before = snapshot(con)
    c = meetings.cancel_review(con, SETTING, ch.review_id, viewer=T)
    assert rows(con, "SELECT count(*) FROM review_invitees") == [(0,)]
    meetings.take_back(con, c.import_id, viewer=T)
    assert snapshot(con) == before


def test_report_sent_and_actions_done(con):
    ch = meetings.schedule_review(con, SETTING, "E1", review_date=date(2026, 12, 15), as_of=AS_OF, viewer=T)
    with pytest.raises(MeetingError, match="not been recorded as held"):
        meetings.mark_report_sent(con, SETTING, ch.review_id, date(2026, 12, 16), as_of=date(2026, 12, 16), viewer=T)
    meetings.record_review(con, SETTING, ch.review_id, held_on=date(2026, 12, 15), as_of=date(2026, 12, 15), viewer=T,
                           actions=[{"action": "Refer to SALT", "owner": "SENCo", "due_date": date(2027, 1, 15)}])
    meetings.mark_report_sent(con, SETTING, ch.review_id, date(2026, 12, 22), as_of=date(2026, 12, 22), viewer=T)
    meetings.set_action_done(con, SETTING, ch.review_id, "A1", date(2027, 1, 10), viewer=T)
    assert rows(con, "SELECT report_sent FROM reviews WHERE review_id = ?", ch.review_id) == [(date(2026, 12, 22),)]
    assert rows(con, "SELECT done_date FROM review_actions") == [(date(2027, 1, 10),)]


@pytest.mark.parametrize(("call", "message"), [
    (lambda c: meetings.schedule_review(c, SETTING, "E1", review_date=date(2026, 11, 30), as_of=AS_OF, viewer=T),
     "before today"),
    (lambda c: meetings.schedule_review(c, SETTING, "E1", review_date=date(2027, 1, 12), start_time="25:00",
                                        as_of=AS_OF, viewer=T), "not a time of day"),
    (lambda c: meetings.schedule_review(c, SETTING, "E1", review_date=date(2027, 1, 12), as_of=AS_OF, viewer=T,
                                        invitees=[{"name": "X", "role": "wizard"}]), "'wizard' is not a role"),
    (lambda c: meetings.schedule_review(c, SETTING, "Z9", review_date=date(2027, 1, 12), as_of=AS_OF, viewer=T),
     "no pupil Z9"),
])
def test_refusals_write_nothing(con, call, message):
    before = snapshot(con), rows(con, "SELECT count(*) FROM imports")
    with pytest.raises(MeetingError, match=message) as err:
        call(con)
    assert err.value.fix
    assert (snapshot(con), rows(con, "SELECT count(*) FROM imports")) == before


def test_a_score_outside_the_outcome_scale_is_refused(con):
    ch = meetings.schedule_review(con, SETTING, "E1", review_date=date(2026, 12, 15), as_of=AS_OF, viewer=T)
    with pytest.raises(MeetingError, match="outside its scale"):
        meetings.record_review(con, SETTING, ch.review_id, held_on=date(2026, 12, 15), as_of=date(2026, 12, 15),
                               viewer=T, scores={"O1": 11})
    assert rows(con, "SELECT held FROM reviews WHERE review_id = ?", ch.review_id) == [(False,)]


def test_only_the_senco_changes_meetings(con):
    leader = access.Viewer(role=access.LEADER, email="head@school", settings=None, local=False, login="x")
    with pytest.raises(access.AccessDenied):
        meetings.schedule_review(con, SETTING, "E1", review_date=date(2027, 1, 12), as_of=AS_OF, viewer=leader)


def test_the_same_undo_as_an_upload(con):
    ch = meetings.schedule_review(con, SETTING, "E1", review_date=date(2027, 1, 12), as_of=AS_OF, viewer=T)
    undo(con, ch.import_id, "senco", viewer=T)
    assert rows(con, "SELECT count(*) FROM review_invitees") == [(0,)]
    assert meetings.app_changes(con, SETTING, "E1", viewer=T)["status"].tolist() == ["undone"]


def test_a_later_tracker_upload_that_disagrees_leaves_the_review_scheduled_in_the_app(con):
    from senlib.importer import import_files
    from tests.import_corpus import csv_bytes

    ch = meetings.schedule_review(con, SETTING, "K1", review_date=date(2027, 1, 12), start_time="15:30", as_of=AS_OF,
                                  viewer=T)
    tracker = csv_bytes([["UPN", "Forename", "Surname", "DOB", "Year", "SEN", "Need", "Last review", "Next review"],
                         ["K1", "Ben", "Carter", "01/02/2017", "4", "K", "SPLD", "10/07/2026", "26/01/2027"]])
    r = import_files(con, [("tracker.csv", tracker)], setting=SETTING, today=AS_OF)
    assert rows(con, "SELECT review_date, held, review_id, start_time FROM reviews WHERE pupil_id = 'K1' AND NOT held") == [
        (date(2027, 1, 12), False, ch.review_id, "15:30")]
    said = " ".join(r.warnings["message"])
    assert "26/01/2027" in said and "12/01/2027" in said and "the app's date stands" in said
