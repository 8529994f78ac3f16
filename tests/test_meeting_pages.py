"""Review meetings on the Pupil and Upcoming reviews pages (issue 17), opened as the SENCo with AppTest: on the
three-pupil school of tests/meetings_fixture.py (1 December 2026), the 20-pupil sparse register and the demo.
Scheduling from the page (the notice warning shown and recorded), invitees saved from the table, invitations sent,
the record form writing exactly the rows it was given, take back, a refusal shown as a message, actions due by
person, the scheduled reviews and packs on Upcoming reviews, and the empty states."""

from __future__ import annotations

import time as clock
from datetime import date

import pytest

from senlib.access import TRUSTED
from senlib.importer import meetings
from senlib.views import meetings as view
from senlib.views.pupil import QUERY_PARAM, pupil_key
from tests import sparse_corpus
from tests.apptest import open_app
from tests.conftest import AS_OF as DEMO_AS_OF
from tests.meetings_fixture import AS_OF, SETTING, build
from ui import nav
from ui.meetings import form_key
from ui.state import (
    MEETING_INVITEES,
    MEETING_OPEN_SCHEDULE,
    MEETING_RECORD,
    MEETING_SCHEDULE,
    UPCOMING_OPEN,
    UPCOMING_PACK,
    UPCOMING_PACK_JOB,
    UPCOMING_SCHEDULE,
)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "hollybank.duckdb"
    build(path).close()
    return path


def _con():
    """The app's own connection (AppTest runs in this process; a second one would not see its writes)."""
    import ui.state

    return ui.state.connection().cursor()


def _rows(sql: str, *args) -> list[tuple]:
    return _con().execute(sql, list(args)).fetchall()


def _pupil(db, monkeypatch, pupil_id: str, as_of: date = AS_OF, setting: str = SETTING):
    at = open_app(db, monkeypatch, as_of)
    at.switch_page(nav.PUPIL)
    at.query_params[QUERY_PARAM] = pupil_key(setting, pupil_id)
    at.run()
    _ok(at)
    return at


def _ok(at) -> None:
    assert not at.exception, [e.message for e in at.exception]


def _click(at, label: str):
    found = [b for b in at.button if b.label == label]
    assert found, (label, [b.label for b in at.button])
    found[0].click().run()
    _ok(at)
    return at


def _texts(at, kind: str) -> list[str]:
    return [str(e.value).replace("\\", "").replace("\u2060", "") for e in at.get(kind)]


def _schedule(at, day: date, pupil_id: str = "E1", **fields) -> None:
    k = form_key(MEETING_SCHEDULE, f"{SETTING}|{pupil_id}", AS_OF)
    at.date_input(key=f"{k}date").set_value(day)
    for name, value in fields.items():
        at.text_input(key=f"{k}{name}").input(value)
    _click(at, "Schedule the review")


def _review_id(pupil_id: str) -> str:
    return _rows("SELECT review_id FROM reviews WHERE pupil_id = ? AND review_id IS NOT NULL AND NOT held", pupil_id)[0][0]


def test_no_meeting_record_says_what_to_do(db, monkeypatch):
    at = _pupil(db, monkeypatch, "K2")
    assert any("Schedule the review here to prepare the letters and forms" in t for t in _texts(at, "info"))
    assert not any("not done" in t.lower() for t in _texts(at, "info") + _texts(at, "caption"))
    assert [b.label for b in at.button if b.label.startswith("Schedule")] == ["Schedule the review"]


def test_scheduling_an_ehc_plan_review_at_short_notice_shows_the_recorded_warning(db, monkeypatch):
    at = _pupil(db, monkeypatch, "E1")
    _schedule(at, date(2026, 12, 10), place="Meeting room 2", chair="Mrs Patel (SENCo)")
    assert any("Review scheduled for Amy Brown on Thursday 10 December 2026 at 10:00" in t and "kept with the review" in t
               for t in _texts(at, "success"))
    notice = [t for t in _texts(at, "warning") if "statutory 2 weeks' notice" in t]
    assert len(notice) == 1 and "9 days' notice" in notice[0]
    stored = _rows("""SELECT review_date, start_time, place, chair, kind, plan_type, notice_warning FROM reviews
        WHERE pupil_id = 'E1' AND review_id IS NOT NULL""")
    assert stored[0][:6] == (date(2026, 12, 10), "10:00", "Meeting room 2", "Mrs Patel (SENCo)", "annual", "ehcp")
    assert "9 days' notice" in stored[0][6]
    details = "\n".join(_texts(at, "markdown"))
    assert "Thursday 10 December 2026 at 10:" in details and "Meeting room 2" in details
    at.run()  # the message is shown once; the warning stays with the review
    assert not any("Review scheduled" in t for t in _texts(at, "success"))
    assert len([t for t in _texts(at, "warning") if "statutory 2 weeks' notice" in t]) == 1


def test_the_form_starts_on_the_trackers_planned_date_and_takes_that_review_over(db, monkeypatch):
    at = _pupil(db, monkeypatch, "K1")
    assert at.date_input(key=f"{form_key(MEETING_SCHEDULE, f'{SETTING}|K1', AS_OF)}date").value == date(2027, 1, 19)
    _click(at, "Schedule the review")
    assert not [t for t in _texts(at, "warning") if "notice" in t]  # SEN Support: no statutory notice
    assert _rows("SELECT review_date, held, review_id IS NOT NULL, kind FROM reviews WHERE pupil_id = 'K1' ORDER BY 1") == [
        (date(2026, 7, 10), True, False, "termly"), (date(2027, 1, 19), False, True, "termly")]


def test_invitees_are_saved_from_the_table_and_invitations_sent_today(db, monkeypatch):
    at = _pupil(db, monkeypatch, "E1")
    _schedule(at, date(2027, 1, 12))
    rid = _review_id("E1")
    editor = [d for d in at.data_editor if d.key == f"{MEETING_INVITEES}{rid}"][0]
    assert list(editor.value["role"]) == ["Parent or carer", "Child or young person", "Key worker or teaching assistant",
                                          "Council's SEN officer"]
    at.session_state[f"{MEETING_INVITEES}{rid}"] = {
        "edited_rows": {0: {"name": "Ms Brown", "contact": "01234 567890", "response": "Attending"}},
        "added_rows": [{"name": "Dr Shah", "role": "Health practitioner (paediatrician, OT, SALT, physiotherapist)",
                        "organisation": "Community paediatrics", "response": "Sending a report"}],
        "deleted_rows": [1]}
    at.run()
    _click(at, "Save the invitees")
    assert _rows("""SELECT invitee_id, name, role, organisation, contact, response, invited_on FROM review_invitees
        ORDER BY try_cast(substr(invitee_id, 2) AS INTEGER)""") == [
        ("I1", "Ms Brown", "parent_carer", None, "01234 567890", "attending", None),
        ("I2", "Dr Shah", "health", "Community paediatrics", None, "sending_report", None),  # the child's row deleted
        ("I3", "Mrs Khan", "key_worker", None, None, None, None),
        ("I4", None, "sen_officer", "Northmoor Council", None, None, None)]
    assert any("Invitees of Amy Brown's review on Tuesday 12 January 2027 updated" in t for t in _texts(at, "success"))
    _click(at, "Invitations sent today")
    assert _rows("SELECT DISTINCT invited_on FROM review_invitees") == [(AS_OF,)]
    assert _rows("SELECT invitations_sent FROM reviews WHERE review_id = ?", rid) == [(AS_OF,)]
    assert any("4 invited, all invitations sent · reports: 0 of 1 received" in t for t in _texts(at, "caption"))


def test_the_record_form_saves_exactly_the_rows_given(db, monkeypatch):
    ch = meetings.schedule_review(_con_for(db, monkeypatch), SETTING, "E1", review_date=date(2026, 12, 15), as_of=AS_OF, viewer=TRUSTED)
    at = _pupil(db, monkeypatch, "E1", as_of=date(2026, 12, 16))
    k = form_key(MEETING_RECORD, ch.review_id, date(2026, 12, 16))
    assert at.date_input(key=f"{k}held").value == date(2026, 12, 15)
    labels = [n.label for n in at.number_input if n.key and n.key.startswith(f"{k}score_")]
    assert labels[0].startswith("O1: Amy will ask an adult for help using her words (last 5 on 08/07/2026; 0 to 10)")
    at.checkbox(key=f"{k}parent").check()
    at.checkbox(key=f"{k}child").check()
    at.text_area(key=f"{k}parents_views").input("Amy is happier at school.")
    at.text_area(key=f"{k}child_views").input("I like the calm corner.")
    at.number_input(key=f"{k}attendance").set_value(96.5)
    at.selectbox(key=f"{k}progress").set_value("Expected")
    at.selectbox(key=f"{k}decision").set_value("Maintain support")
    at.date_input(key=f"{k}next").set_value(date(2027, 12, 10))
    at.number_input(key=f"{k}score_O1").set_value(6.5)
    at.multiselect(key=f"{k}attended").set_value(["I1", "I3"])
    at.session_state[f"{k}actions"] = {"edited_rows": {}, "deleted_rows": [], "added_rows": [
        {"action": "Share the new targets with the class team", "owner": "Mrs Khan", "due_date": "2027-01-08"},
        {"action": "Refer to speech and language therapy", "owner": "SENCo"}]}
    _click(at, "Record the review")
    assert any("Review for Amy Brown recorded as held on Tuesday 15 December 2026" in t for t in _texts(at, "success"))
    assert _rows("""SELECT held, review_date, parent_attended, child_contributed, parents_views, child_views, attendance,
        progress, decision, next_review_date FROM reviews WHERE review_id = ?""", ch.review_id) == [
        (True, date(2026, 12, 15), True, True, "Amy is happier at school.", "I like the calm corner.", 96.5, "expected",
         "maintain", date(2027, 12, 10))]
    assert _rows("SELECT outcome_id, score FROM scores WHERE score_date = DATE '2026-12-15'") == [("O1", 6.5)]
    assert _rows("SELECT action_id, action, owner, due_date, done_date FROM review_actions ORDER BY 1") == [
        ("A1", "Share the new targets with the class team", "Mrs Khan", date(2027, 1, 8), None),
        ("A2", "Refer to speech and language therapy", "SENCo", None, None)]
    assert _rows("SELECT invitee_id, attended FROM review_invitees ORDER BY 1") == [
        ("I1", True), ("I2", False), ("I3", True), ("I4", False)]
    # the recorded review, on the page
    text = "\n".join(_texts(at, "markdown"))
    assert "Review held on Tuesday 15 December 2026" in text and "Maintain support" in text
    assert "I like the calm corner." in text and "96.5%" in text
    scores = [d.value for d in at.dataframe if "score" in d.value.columns]
    assert scores and scores[0]["score"].tolist() == [6.5]
    acts = [d for d in at.data_editor if "done" in d.value.columns][0].value
    assert acts["action"].tolist() == ["Share the new targets with the class team", "Refer to speech and language therapy"]
    assert "Review report to the council (Word)" in [b.label for b in at.get("download_button")]
    _click(at, "Report sent to the council")
    assert _rows("SELECT report_sent FROM reviews WHERE review_id = ?", ch.review_id) == [(date(2026, 12, 16),)]


def _con_for(db, monkeypatch):
    """Open the database the app will use, before it starts (the app's cached connection is this one)."""
    import ui.state

    monkeypatch.setenv("SENLIB_DB", str(db))
    ui.state.connection.clear()
    return ui.state.connection().cursor()


def test_take_back_restores_the_record(db, monkeypatch):
    at = _pupil(db, monkeypatch, "K1")
    before = _rows("SELECT * EXCLUDE (import_id) FROM reviews ORDER BY ALL")
    _click(at, "Schedule the review")
    assert _rows("SELECT count(*) FROM reviews WHERE review_id IS NOT NULL") == [(1,)]
    label = [b.label for b in at.button if b.label.startswith("Take back: ")]
    assert label == ["Take back: Review scheduled for Ben Carter on Tuesday 19 January 2027 at 10:00"]
    _click(at, label[0])
    _click(at, "Yes, take it back")
    assert _rows("SELECT * EXCLUDE (import_id) FROM reviews ORDER BY ALL") == before
    assert any(t.startswith("Taken back: Review scheduled for Ben Carter") for t in _texts(at, "success"))
    assert not [b for b in at.button if b.label.startswith("Take back: ")]  # nothing left in force to take back
    states = [d.value for d in at.dataframe if "description" in d.value.columns][0]["state"].tolist()
    assert states == ["Taken back"]


def test_a_refusal_is_a_message_with_its_fix_not_a_traceback(db, monkeypatch):
    at = _pupil(db, monkeypatch, "E1")
    _schedule(at, date(2027, 1, 12))
    _click(at, "Save the changes")  # nothing changed
    errors = _texts(at, "error")
    assert errors and "Nothing to change" in errors[0]
    _click(at, "Cancel this review")
    _click(at, "Yes, cancel it")
    assert _rows("SELECT count(*) FROM reviews WHERE review_id IS NOT NULL") == [(0,)]
    assert any("cancelled" in t for t in _texts(at, "success"))


def test_actions_due_listed_by_person_overdue_first(db, monkeypatch):
    con = _con_for(db, monkeypatch)
    a = meetings.schedule_review(con, SETTING, "E1", review_date=date(2026, 12, 2), as_of=AS_OF, viewer=TRUSTED)
    meetings.record_review(con, SETTING, a.review_id, held_on=date(2026, 12, 2), as_of=date(2026, 12, 2), viewer=TRUSTED,
                           actions=[{"action": "Share targets", "owner": "Mrs Khan", "due_date": date(2027, 1, 8)},
                                    {"action": "Refer to SALT", "owner": "SENCo", "due_date": date(2026, 12, 9)},
                                    {"action": "Book the EP", "owner": "SENCo", "due_date": date(2027, 2, 1)},
                                    {"action": "Sent already", "owner": "Mrs Khan", "done_date": date(2026, 12, 2)}])
    at = open_app(db, monkeypatch, date(2026, 12, 14))
    at.switch_page(nav.UPCOMING).run()
    _ok(at)
    table = [d.value for d in at.dataframe if "owner" in d.value.columns][0]
    assert table[["owner", "action", "when"]].values.tolist() == [
        ["SENCo", "Refer to SALT", "Overdue by 5 days"], ["SENCo", "Book the EP", "Due in 49 days"],
        ["Mrs Khan", "Share targets", "Due in 25 days"]]
    assert any("3 open actions, 1 overdue, by person: SENCo: 2 (1 overdue) · Mrs Khan: 1" in t for t in _texts(at, "caption"))
    at.session_state[UPCOMING_OPEN + "actions"] = {"row": 2, "column": "open"}
    at.run()
    _ok(at)
    assert any("Amy Brown" in h for h in _texts(at, "header"))


def test_upcoming_schedule_button_opens_the_pupil_and_scheduled_reviews_are_listed(db, monkeypatch):
    at = open_app(db, monkeypatch, AS_OF)
    at.switch_page(nav.UPCOMING).run()
    _ok(at)
    assert any("Actions come from review meetings recorded in the app" in t for t in _texts(at, "info"))
    reviews = [d.value for d in at.dataframe if "schedule" in d.value.columns][0]
    assert set(reviews["schedule"]) == {"Schedule"}
    row = reviews.index[reviews["pupil"] == "Carter, Ben"][0]
    at.session_state[UPCOMING_SCHEDULE] = {"row": int(row), "column": "schedule"}
    at.run()
    _ok(at)
    assert any("Ben Carter" in h for h in _texts(at, "header"))
    assert any("go to [Review meetings](#review-meetings)" in t for t in _texts(at, "info"))
    assert MEETING_OPEN_SCHEDULE not in at.session_state
    at.session_state[UPCOMING_SCHEDULE] = None  # a click lasts one run in the browser; AppTest keeps what it was given
    at.switch_page(nav.PUPIL).run()
    _click(at, "Schedule the review")
    assert any("Review scheduled for Ben Carter" in t for t in _texts(at, "success"))
    at.switch_page(nav.UPCOMING).run()
    _ok(at)
    sch = [d.value for d in at.dataframe if "invitations" in d.value.columns][0]
    assert sch[["pupil", "start_time", "invitations", "reports"]].values.tolist() == [
        ["Carter, Ben", "10:00", "Not sent (2 to invite)", "None asked for"]]
    reviews = [d.value for d in at.dataframe if "schedule" in d.value.columns][0]
    assert reviews.loc[reviews["pupil"] == "Carter, Ben", "schedule"].tolist() == ["Scheduled"]


def test_a_pack_for_a_date_range_is_made_in_the_background(db, monkeypatch):
    con = _con_for(db, monkeypatch)
    meetings.schedule_review(con, SETTING, "K1", review_date=date(2027, 1, 12), as_of=AS_OF, viewer=TRUSTED)
    at = open_app(db, monkeypatch, AS_OF)
    at.switch_page(nav.UPCOMING).run()
    at.checkbox(key=f"{form_key(UPCOMING_PACK, 'range', AS_OF)}pdf").uncheck()
    _click(at, "Make the pack")
    job, name = at.session_state[UPCOMING_PACK_JOB]
    assert name == "review-packs-2026-12-01-to-2027-01-12-word.zip"
    job.join(120)
    assert job.done and job.error is None, job.error
    at.run()
    _ok(at)
    assert "Download the pack (.zip)" in [b.label for b in at.get("download_button")]


def test_a_pack_for_a_range_with_no_reviews_says_so(db, monkeypatch):
    at = open_app(db, monkeypatch, AS_OF)
    at.switch_page(nav.UPCOMING).run()
    _click(at, "Make the pack")
    job, _ = at.session_state[UPCOMING_PACK_JOB]
    deadline = clock.monotonic() + 60
    while not job.done and clock.monotonic() < deadline:
        clock.sleep(0.2)
    at.run()
    assert any("No reviews are scheduled between" in t for t in _texts(at, "error"))


def test_the_20_pupil_register_schedules_and_lists(tmp_path, monkeypatch):
    db = sparse_corpus.make_db(tmp_path / "sparse.duckdb")
    pupil_id = _con_for(db, monkeypatch).execute("SELECT pupil_id FROM pupils WHERE sen_status = 'E' ORDER BY 1 LIMIT 1").fetchall()[0][0]
    at = _pupil(db, monkeypatch, pupil_id, as_of=sparse_corpus.AS_OF, setting=sparse_corpus.SETTING)
    assert any("Schedule the review here" in t for t in _texts(at, "info"))
    _click(at, "Schedule the review")
    assert not at.error, _texts(at, "error")
    assert _rows("SELECT count(*) FROM reviews WHERE review_id IS NOT NULL") == [(1,)]
    at.switch_page(nav.UPCOMING).run()
    _ok(at)
    assert not at.error, _texts(at, "error")
    assert any("Actions come from review meetings" in t for t in _texts(at, "info"))


def test_the_demo_pages_open_with_the_section(demo_db, monkeypatch):
    pupil_id, setting = _con_for(demo_db, monkeypatch).execute("""SELECT pupil_id, setting FROM pupils WHERE sen_status = 'E'
        ORDER BY setting, pupil_id LIMIT 1""").fetchall()[0]
    at = _pupil(demo_db, monkeypatch, pupil_id, as_of=DEMO_AS_OF, setting=setting)
    assert "Review meetings" in _texts(at, "subheader")
    at.switch_page(nav.UPCOMING).run()
    _ok(at)
    assert {"Actions due", "Scheduled in the app", "Packs for a date range"} <= set(_texts(at, "subheader"))


def test_view_helpers():
    """What the pages hand to senlib: the editor's words back to codes, and the form's values."""
    import pandas as pd

    edited = pd.DataFrame([{"invitee_id": None, "name": " ", "role": None},
                           {"invitee_id": "I2", "name": "Dr Shah", "role": "Social worker", "response": "Not attending",
                            "invited_on": pd.Timestamp("2026-12-01")}])
    assert view.people_from_editor(edited) == [
        {"invitee_id": "I2", "name": "Dr Shah", "role": "social_worker", "organisation": None, "contact": None,
         "response": "not_attending", "invited_on": date(2026, 12, 1), "report_received": None}]
    files = {"2027-01-12 Brown Amy - Agenda.docx": b"a",
             "2027-01-12 Brown Amy - Request for advice (Dr Shah).docx": b"b",
             "2027-01-12 Brown Amy - Invitation to parents and carers.docx": b"c"}
    assert list(view.document_files(files, "advice_request")) == ["2027-01-12 Brown Amy - Request for advice (Dr Shah).docx"]
    assert list(view.document_files(files, "agenda")) == ["2027-01-12 Brown Amy - Agenda.docx"]


@pytest.mark.parametrize(("as_of", "planned", "starts"), [
    (date(2026, 12, 1), None, date(2027, 1, 12)),                # six weeks on, a Tuesday
    (date(2026, 12, 1), date(2027, 10, 2), date(2027, 10, 1)),   # the tracker's Saturday: the Friday before
    (date(2026, 12, 5), None, date(2027, 1, 15)),                # six weeks from a Saturday: the Friday before
    (date(2026, 12, 5), date(2026, 12, 6), date(2026, 12, 7)),   # the Friday before has passed: the Monday after
    (date(2026, 12, 1), date(2026, 11, 1), date(2027, 1, 12)),   # a planned date already passed: six weeks on
])
def test_the_schedule_form_starts_on_a_school_day(as_of, planned, starts):
    assert view.default_review_date(as_of, planned) == starts


def test_a_change_an_upload_built_on_is_not_offered_for_take_back(db, monkeypatch):
    from senlib.importer import import_files
    from senlib.importer.record import record_workbook

    con = _con_for(db, monkeypatch)
    ch = meetings.schedule_review(con, SETTING, "E1", review_date=date(2026, 12, 15), as_of=AS_OF, viewer=TRUSTED)
    book = record_workbook(con, SETTING, ch.review_id, as_of=AS_OF, viewer=TRUSTED)
    upload = import_files(con, [("review-record.xlsx", book)], setting=SETTING, today=date(2026, 12, 16)).import_ids[0]
    at = _pupil(db, monkeypatch, "E1", as_of=date(2026, 12, 16))
    assert not [b for b in at.button if b.label.startswith("Take back: ")]
    assert any(f"first undo what was uploaded since for this pupil (import {upload} (review-record.xlsx))" in t
               for t in _texts(at, "caption"))
    assert any("Review held on Tuesday 15 December 2026" in t for t in _texts(at, "markdown"))
