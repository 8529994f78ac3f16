"""The Pupil page's 'Review meetings' section: schedule, invitees, documents, the record, actions, changes taken back.

Why here and not in the page: the section is a dozen widgets and forms that each make one change through
`senlib.importer.meetings` (one audited import each). Every change is made the same way (`_change`): the SENCo sees
its sentence, and any warning, after the page reruns with the new data; a refusal is an st.error with its fix, never
a traceback. What is worked out (labels to codes, the form's values, who is invited) is in senlib.views.meetings.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta

import pandas as pd
import streamlit as st

from senlib.access import AccessDenied, Viewer
from senlib.core.errors import SenlibError
from senlib.core.names import DECISIONS, INVITEE_RESPONSES, INVITEE_ROLES, PLAN_TYPES, PROGRESS, REVIEW_KINDS
from senlib.core.text import escape_markdown
from senlib.documents.pack import PackJob, review_documents, zip_files
from senlib.importer import meetings
from senlib.importer.meetings import long_date
from senlib.render import layout
from senlib.views import meetings as view
from senlib.views.pupil import QUERY_PARAM
from ui import nav
from ui.page import Page, open_button, open_clicked_pupil
from ui.state import (
    MEETING_ACTIONS,
    MEETING_ACTIONS_SAVE,
    MEETING_CANCEL,
    MEETING_CANCEL_ASKED,
    MEETING_CHANGE,
    MEETING_CONFIRM,
    MEETING_DOCUMENT,
    MEETING_DONE,
    MEETING_INVITEES,
    MEETING_INVITEES_SAVE,
    MEETING_OPEN_SCHEDULE,
    MEETING_PDF,
    MEETING_PDF_MADE,
    MEETING_RECORD,
    MEETING_REPORT,
    MEETING_SCHEDULE,
    MEETING_SENT,
    MEETING_TAKE_BACK,
    MEETING_TAKE_BACK_ASKED,
    UPCOMING_PACK,
    UPCOMING_PACK_JOB,
    connection,
    cursor,
)
from ui.widgets import download_button

ANCHOR = "review-meetings"
ZIP, PDF = "application/zip", "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DAY = "DD/MM/YYYY"


@st.cache_data(max_entries=64, show_spinner=False)
def read(version: tuple, viewer: Viewer, setting: str, pupil_id: str, as_of: date) -> view.PupilMeetings:
    return view.pupil_meetings(cursor(), setting, pupil_id, as_of=as_of, viewer=viewer)


def section(p: Page, setting: str, pupil_id: str) -> None:
    """The whole section, under its own heading (an anchor the Upcoming reviews page's Schedule button points to)."""
    st.subheader("Review meetings", anchor=ANCHOR)
    pm = read(p.version, p.viewer, setting, pupil_id, p.as_of)
    _show_done()
    senco = p.viewer.can_write
    if not pm.any_meeting:
        st.info(view.NO_MEETINGS if senco else view.NO_MEETINGS.replace("Schedule the review here", "The SENCo "
                "schedules the review here"), icon=":material/event:")
    if pm.scheduled is None:
        if senco:
            _schedule_form(p, pm)
    else:
        _scheduled(p, pm, senco)
    for row in pm.recorded:
        _recorded(p, pm, row, senco)
    _changes(p, pm, senco)


def scroll_hint(key: str) -> None:
    """Coming from the Upcoming reviews page's Schedule button: say where the form is (the top of a long page)."""
    if st.session_state.get(MEETING_OPEN_SCHEDULE) == key:
        st.session_state.pop(MEETING_OPEN_SCHEDULE)
        st.info(f"To schedule this pupil's review, go to [Review meetings](#{ANCHOR}) further down this page.",
                icon=":material/event:")


# ---------------------------------------------------------------------------------------------- making a change

def _change(make: Callable[[], meetings.Change | dict], done: str | None = None) -> None:
    """Make one change; on success keep its sentence (and warnings) for the rerun, which shows the new data."""
    try:
        result = make()
    except (SenlibError, AccessDenied) as exc:
        st.error(escape_markdown(" ".join(x for x in (exc.message, exc.fix and f"What to do: {exc.fix}") if x)),
                 icon=":material/error:")
        return
    if isinstance(result, meetings.Change):
        st.session_state[MEETING_DONE] = (done or f"Recorded: {result.description}.", list(result.warnings))
    else:
        st.session_state[MEETING_DONE] = (done or "Taken back.", [])
    st.rerun()


def _show_done() -> None:
    if MEETING_DONE not in st.session_state:
        return
    message, warnings = st.session_state.pop(MEETING_DONE)
    if warnings:  # the notice warning: the scheduled review shows it below, where it stays
        message += " With a warning, shown below and kept with the review."
    st.success(escape_markdown(message), icon=":material/check_circle:")


def form_key(prefix: str, whose: str, as_of: date) -> str:
    """A form's widget keys start with this: per pupil or review and as-of date, so a form's starting values (a date
    six weeks ahead, the day held) follow the pupil opened and the as-of date, not the last form filled in."""
    return f"{prefix}{whose}_{as_of:%Y%m%d}_"


def _ask(what: str, question: str, yes: str) -> bool | None:
    """A question with Yes and No under it: True/False once answered, None while waiting."""
    st.warning(escape_markdown(question), icon=":material/help:")
    left, right = st.columns([1, 4])
    if left.button(yes, type="primary", key=f"{MEETING_CONFIRM}{what}_yes"):
        return True
    if right.button("No, keep it", key=f"{MEETING_CONFIRM}{what}_no"):
        return False
    return None


# ---------------------------------------------------------------------------------------------- scheduling

def _schedule_form(p: Page, pm: view.PupilMeetings) -> None:
    k = form_key(MEETING_SCHEDULE, f"{pm.setting}|{pm.pupil_id}", p.as_of)
    plans = list(PLAN_TYPES)
    with st.form(f"{k}form"):
        st.markdown("**Schedule the next review**")
        c = st.columns(3)
        day = c[0].date_input("Date of the meeting", value=view.default_review_date(p.as_of, pm.planned), format=DAY,
                              min_value=p.as_of, key=f"{k}date")
        start = c[1].time_input("Start time", value=time(10, 0), step=300, key=f"{k}time")
        kind = c[2].selectbox("Kind of review", list(REVIEW_KINDS), format_func=REVIEW_KINDS.get, key=f"{k}kind",
                              index=list(REVIEW_KINDS).index("annual" if pm.plan_type == "ehcp" else "termly"))
        c = st.columns(3)
        place = c[0].text_input("Place", placeholder="e.g. Meeting room 2", key=f"{k}place")
        chair = c[1].text_input("Chair", placeholder="e.g. Mrs Patel (SENCo)", key=f"{k}chair")
        plan = c[2].selectbox("Plan reviewed", plans, format_func=PLAN_TYPES.get, key=f"{k}plan",
                              index=plans.index(pm.plan_type) if pm.plan_type in plans else None,
                              help="The pupil's current plan unless you choose another.")
        st.caption("The invitees start as those of the last review kept in the app, else the parent or carer, the "
                   "child, the key worker and, for an EHC plan, the council's SEN officer; change them once scheduled.")
        go = st.form_submit_button("Schedule the review", type="primary")
    if go:
        _change(lambda: meetings.schedule_review(p.cur, pm.setting, pm.pupil_id, review_date=day, as_of=p.as_of,
                                                 viewer=p.viewer, start_time=start, place=place, chair=chair,
                                                 kind=kind, plan_type=plan))


def _scheduled(p: Page, pm: view.PupilMeetings, senco: bool) -> None:
    r = pm.scheduled
    rid = r["review_id"]
    with st.container(border=True):
        st.markdown(f"**Scheduled in the app** · review {escape_markdown(rid)}")
        st.markdown("\n".join(f"- **{k}:** {escape_markdown(v)}" for k, v in view.details(r)))
        if r.get("notice_warning"):
            st.warning(escape_markdown(r["notice_warning"]), icon=":material/warning:")
        if senco:
            _change_form(p, pm, r)
        _invitees(p, pm, senco)
        if senco:
            _documents(p, pm, r)
            _record_form(p, pm, r)


def _change_form(p: Page, pm: view.PupilMeetings, r: dict) -> None:
    k = form_key(MEETING_CHANGE, r["review_id"], p.as_of)
    with st.expander("Change the date, time, place or chair, or cancel"):
        with st.form(f"{k}form"):
            c = st.columns(3)
            held = pd.Timestamp(r["review_date"]).date()
            day = c[0].date_input("Date of the meeting", value=max(held, p.as_of), min_value=p.as_of, format=DAY,
                                  key=f"{k}date")
            start = c[1].time_input("Start time", value=_time(r.get("start_time")), step=300, key=f"{k}time")
            kind = c[2].selectbox("Kind of review", list(REVIEW_KINDS), format_func=REVIEW_KINDS.get, key=f"{k}kind",
                                  index=list(REVIEW_KINDS).index(r["kind"]) if r.get("kind") in REVIEW_KINDS else 0)
            c = st.columns(2)
            place = c[0].text_input("Place", value=r.get("place") or "", key=f"{k}place")
            chair = c[1].text_input("Chair", value=r.get("chair") or "", key=f"{k}chair")
            go = st.form_submit_button("Save the changes")
        if go:
            _change(lambda: meetings.reschedule_review(p.cur, pm.setting, r["review_id"], as_of=p.as_of, viewer=p.viewer,
                                                       review_date=day, start_time=start, place=place, chair=chair,
                                                       kind=kind))
        if st.session_state.get(MEETING_CANCEL_ASKED) == r["review_id"]:
            answer = _ask("cancel", f"Cancel the review on {long_date(pd.Timestamp(r['review_date']).date())}? It and "
                          "its invitees are removed; you can take the cancelling back.", "Yes, cancel it")
            if answer is not None:
                st.session_state.pop(MEETING_CANCEL_ASKED)
                if answer:
                    _change(lambda: meetings.cancel_review(p.cur, pm.setting, r["review_id"], viewer=p.viewer))
                else:
                    st.rerun()
        elif st.button("Cancel this review", key=MEETING_CANCEL, icon=":material/event_busy:"):
            st.session_state[MEETING_CANCEL_ASKED] = r["review_id"]
            st.rerun()


def _time(text: object) -> time | None:
    try:
        hours, minutes = str(text).split(":")
        return time(int(hours), int(minutes))
    except (TypeError, ValueError):
        return None


def _invitees(p: Page, pm: view.PupilMeetings, senco: bool) -> None:
    r = pm.scheduled
    st.markdown("**Invitees**")
    st.caption(escape_markdown(view.invitation_state(pm.invitees)))
    config = {"invitee_id": None,
              "name": st.column_config.TextColumn("Name", width=170),
              "role": st.column_config.SelectboxColumn("Role", options=list(INVITEE_ROLES.values()), width=250),
              "response": st.column_config.SelectboxColumn("Response", options=list(INVITEE_RESPONSES.values()),
                                                           width=200),
              "invited_on": st.column_config.DateColumn("Invited on", format=DAY, width=100),
              "report_received": st.column_config.DateColumn("Report received", format=DAY, width=120),
              "organisation": st.column_config.TextColumn("Organisation", width=180),
              "contact": st.column_config.TextColumn("Contact (email or phone)", width=180)}
    # who, then what they said and when (what the SENCo checks), then how to reach them: the role's words are long
    order = ["name", "role", "response", "invited_on", "report_received", "organisation", "contact"]
    if not senco:
        st.dataframe(pm.invitees, hide_index=True, width="stretch", column_config=config, placeholder="",
                     column_order=order)
        return
    edited = st.data_editor(pm.invitees, hide_index=True, width="stretch", num_rows="dynamic", column_config=config,
                            column_order=order, key=f"{MEETING_INVITEES}{r['review_id']}", placeholder="")
    left, right = st.columns([1, 3])
    if left.button("Save the invitees", key=MEETING_INVITEES_SAVE, icon=":material/save:"):
        _change(lambda: meetings.set_invitees(p.cur, pm.setting, r["review_id"], view.people_from_editor(edited),
                                              viewer=p.viewer))
    unsent = pm.invitees["invited_on"].isna().any() if len(pm.invitees) else False
    if right.button("Invitations sent today", key=MEETING_SENT, icon=":material/send:", disabled=not unsent,
                    help="Records today as the day invitations (and requests for advice) went to everyone not yet "
                         "invited. Save any changes to the table first."):
        _change(lambda: meetings.mark_invitations_sent(p.cur, pm.setting, r["review_id"], p.as_of, viewer=p.viewer))


# ---------------------------------------------------------------------------------------------- the record

def _record_form(p: Page, pm: view.PupilMeetings, r: dict) -> None:
    k = form_key(MEETING_RECORD, r["review_id"], p.as_of)
    due = pd.Timestamp(r["review_date"]).date()
    with st.expander("Record the review", expanded=due <= p.as_of, icon=":material/edit_note:"):
        st.caption("After the meeting, record it here, or fill in the record workbook and upload it on the Upload page.")
        with st.form(f"{k}form"):
            c = st.columns(3)
            held = c[0].date_input("Date held", value=min(due, p.as_of), max_value=p.as_of, format=DAY, key=f"{k}held")
            parent = c[1].checkbox("Parent or carer attended or contributed", key=f"{k}parent")
            child = c[2].checkbox("Child contributed", key=f"{k}child")
            parents_views = st.text_area("Parents' and carers' views", key=f"{k}parents_views")
            child_views = st.text_area("Child's views", key=f"{k}child_views")
            c = st.columns(4)
            attendance = c[0].number_input("Attendance (%)", min_value=0.0, max_value=100.0, value=None, step=0.1,
                                           key=f"{k}attendance", help="The pupil's school attendance this year.")
            progress = c[1].selectbox("Progress", list(PROGRESS.values()), index=None, key=f"{k}progress",
                                      placeholder="Choose")
            decision = c[2].selectbox("Decision", list(DECISIONS.values()), index=None, key=f"{k}decision",
                                      placeholder="Choose")
            nxt = c[3].date_input("Next review", value=None, format=DAY, key=f"{k}next")
            scores = {}
            if len(pm.outcomes):
                st.markdown("**Scaling scores given in the meeting** (blank: not scored)")
            for o in pm.outcomes.to_dict("records"):
                scores[o["outcome_id"]] = st.number_input(o["label"], min_value=float(o["scale_min"]),
                                                          max_value=float(o["scale_max"]), value=None, step=0.5,
                                                          key=f"{k}score_{o['outcome_id']}")
            choices = view.invitee_choices(pm)
            attended = st.multiselect("Who attended", list(choices), format_func=choices.get, key=f"{k}attended",
                                      placeholder="Choose the invitees who came")
            st.markdown("**Actions agreed** (what, who, by when)")
            actions = st.data_editor(pd.DataFrame({"action": pd.Series(dtype=str), "owner": pd.Series(dtype=str),
                                                   "due_date": pd.Series(dtype="datetime64[ns]")}),
                                     num_rows="dynamic", hide_index=True, width="stretch", key=f"{k}actions",
                                     column_config={"action": st.column_config.TextColumn("What", width="large"),
                                                    "owner": st.column_config.TextColumn("Who"),
                                                    "due_date": st.column_config.DateColumn("By when", format=DAY)})
            go = st.form_submit_button("Record the review", type="primary")
        if go:
            form = {"held_on": held, "parent_attended": parent, "child_contributed": child,
                    "parents_views": parents_views, "child_views": child_views, "attendance": attendance,
                    "progress": progress, "decision": decision, "next_review_date": nxt, "scores": scores,
                    "attended": attended, "actions": actions}
            _change(lambda: meetings.record_review(p.cur, pm.setting, r["review_id"], as_of=p.as_of, viewer=p.viewer,
                                                   **view.record_arguments(form, pm)))


def _recorded(p: Page, pm: view.PupilMeetings, row: dict, senco: bool) -> None:
    held = long_date(pd.Timestamp(row["review_date"]).date())
    with st.container(border=True):
        st.markdown(f"**Review held on {held}** · {escape_markdown(REVIEW_KINDS.get(row.get('kind'), ''))} · "
                    f"recorded in the app")
        lines = view.recorded_lines(row)
        if lines:
            st.markdown("\n".join(f"- **{k}:** {escape_markdown(v)}" for k, v in lines))
        if len(row["scores"]):
            st.dataframe(row["scores"], hide_index=True, width="stretch", column_config={
                "outcome_id": st.column_config.TextColumn("Outcome", width="small"),
                "description": st.column_config.TextColumn("Description", width="large"), "score": "Score given"})
        there = row["attended"]
        there = there[there["attended"].fillna(False).astype(bool)] if len(there) else there
        if len(there):
            st.caption("Attended: " + escape_markdown("; ".join(
                ", ".join(str(x) for x in (n, INVITEE_ROLES.get(ro, ro)) if isinstance(x, str) and x)
                for n, ro in zip(there["name"], there["role"], strict=True))))
        _actions(p, pm, row, senco)
        if view.needs_council_report(row):
            _council_report(p, pm, row, senco)


def _actions(p: Page, pm: view.PupilMeetings, row: dict, senco: bool) -> None:
    acts = row["actions"]
    if acts.empty:
        st.caption("No actions were agreed.")
        return
    table = pd.DataFrame({"action_id": acts["action_id"], "done": acts["done_date"].notna(), "action": acts["action"],
                          "owner": acts["owner"], "due_date": pd.to_datetime(acts["due_date"]),
                          "done_date": pd.to_datetime(acts["done_date"])})
    config = {"action_id": None, "done": st.column_config.CheckboxColumn("Done"),
              "action": st.column_config.TextColumn("Action", width="large"), "owner": "Who",
              "due_date": st.column_config.DateColumn("By when", format=DAY),
              "done_date": st.column_config.DateColumn("Done on", format=DAY)}
    if not senco:
        st.dataframe(table, hide_index=True, width="stretch", column_config=config, placeholder="")
        return
    edited = st.data_editor(table, hide_index=True, width="stretch", column_config=config, placeholder="",
                            disabled=["action", "owner", "due_date", "done_date"], key=f"{MEETING_ACTIONS}{row['review_id']}")
    changed = edited[edited["done"] != table["done"]]
    if st.button("Save actions done", key=f"{MEETING_ACTIONS_SAVE}{row['review_id']}", disabled=changed.empty,
                 help="Ticked actions are recorded as done today; unticked ones as not done."):
        for a in changed.to_dict("records"):
            try:
                meetings.set_action_done(p.cur, pm.setting, row["review_id"], a["action_id"],
                                         p.as_of if a["done"] else None, viewer=p.viewer)
            except (SenlibError, AccessDenied) as exc:
                st.error(escape_markdown(f"{exc.message} {exc.fix or ''}"), icon=":material/error:")
                return
        st.session_state[MEETING_DONE] = (f"Recorded: {len(changed)} action{'s' if len(changed) != 1 else ''} updated.", [])
        st.rerun()


def _council_report(p: Page, pm: view.PupilMeetings, row: dict, senco: bool) -> None:
    if senco:
        _council_report_download(p, pm, row)
    if row.get("report_sent") is not None and not pd.isna(row.get("report_sent")):
        return
    if not senco:
        st.caption("The review report has not been recorded as sent to the council.")
        return
    k = form_key(MEETING_REPORT, row["review_id"], p.as_of)
    c = st.columns([1, 2])
    on = c[0].date_input("Report sent on", value=p.as_of, max_value=p.as_of, format=DAY, key=f"{k}date")
    if c[1].button("Report sent to the council", key=f"{k}go", icon=":material/outgoing_mail:",
                   help="The report is due within 2 weeks of the meeting."):
        _change(lambda: meetings.mark_report_sent(p.cur, pm.setting, row["review_id"], on, as_of=p.as_of, viewer=p.viewer))


# ---------------------------------------------------------------------------------------------- changes

def _changes(p: Page, pm: view.PupilMeetings, senco: bool) -> None:
    if pm.changes.empty:
        return
    st.markdown("**Changes made in the app**")
    st.caption(view.TAKE_BACK_NOTE)
    st.dataframe(pm.changes[["when", "user_name", "description", "state"]], hide_index=True, width="stretch",
                 column_config={"when": st.column_config.TextColumn("When", width="small"), "user_name": "Who",
                                "description": st.column_config.TextColumn("What changed", width="large"),
                                "state": st.column_config.TextColumn("", width="small")})
    newest = pm.changes[pm.changes["take_back"]]
    blocked = pm.changes["blocked"].dropna()
    if senco and len(blocked):
        st.caption(escape_markdown(blocked.iloc[0]))
    if not senco or newest.empty:
        return
    change = newest.iloc[0]
    import_id = int(change["import_id"])
    if st.session_state.get(MEETING_TAKE_BACK_ASKED) == import_id:
        answer = _ask("take_back", f"Take back '{change['description']}'? The record returns to what it was before.",
                      "Yes, take it back")
        if answer is not None:
            st.session_state.pop(MEETING_TAKE_BACK_ASKED)
            if answer:
                _change(lambda: meetings.take_back(p.cur, import_id, viewer=p.viewer),
                        done=f"Taken back: {change['description']}. The record is as it was before.")
            else:
                st.rerun()
    elif st.button(f"Take back: {change['description']}", key=MEETING_TAKE_BACK, icon=":material/undo:"):
        st.session_state[MEETING_TAKE_BACK_ASKED] = import_id
        st.rerun()


# ---------------------------------------------------------------------------------------------- documents

@st.cache_data(max_entries=16, show_spinner=False)
def _pdfs(version: tuple, viewer: Viewer, setting: str, review_id: str, as_of: date) -> dict[str, bytes]:
    """The pack as PDF (LibreOffice: seconds), once per review and data version."""
    return review_documents(cursor(), setting, review_id, as_of=as_of, viewer=viewer, documents=view.PACK_DOCUMENTS,
                            formats=("pdf",))


def _word(viewer: Viewer, setting: str, review_id: str, as_of: date, documents: list[str]) -> dict[str, bytes]:
    return review_documents(cursor(), setting, review_id, as_of=as_of, viewer=viewer, documents=documents,
                            formats=("docx",))


def _one(files: dict[str, bytes], zip_name: str) -> tuple[str, bytes]:
    """One file as it is; several (a request for advice per professional) in a zip."""
    if len(files) == 1:
        return next(iter(files.items()))
    return zip_name, zip_files(files)


def _record_workbook(viewer: Viewer, setting: str, review_id: str, as_of: date) -> bytes:
    from senlib.importer.record import record_workbook  # the importer's own form: it imports back

    return record_workbook(cursor(), setting, review_id, as_of=as_of, viewer=viewer)


def _documents(p: Page, pm: view.PupilMeetings, r: dict) -> None:
    rid, viewer, setting, as_of = r["review_id"], p.viewer, pm.setting, p.as_of
    st.markdown("**Letters and forms**")
    st.caption("The invitation, the requests for advice (one for each professional invited), the agenda, the checklist "
               "and the record form, in your setting's own wording. Word files to edit; PDF to send as they are.")
    c = st.columns(3)
    download_button("Pack as Word (.zip)", lambda: zip_files(_word(viewer, setting, rid, as_of, view.PACK_DOCUMENTS)),
                    file_name=view.pack_file_name(pm, r, "docx"), mime=ZIP, what=f"review pack (Word) {rid}",
                    container=c[0], icon=":material/description:")
    made = (rid, p.version) in st.session_state.get(MEETING_PDF_MADE, set())
    if not made and c[1].button("Make the PDFs", key=MEETING_PDF, icon=":material/picture_as_pdf:",
                                help="LibreOffice makes them from the Word files: a few seconds."):
        with st.spinner("Making the PDFs (a few seconds)…"):
            try:
                _pdfs(p.version, viewer, setting, rid, as_of)
            except SenlibError as exc:
                st.error(escape_markdown(str(exc)), icon=":material/error:")
                return
        st.session_state[MEETING_PDF_MADE] = st.session_state.get(MEETING_PDF_MADE, set()) | {(rid, p.version)}
        made = True
    if made:
        pdfs = _pdfs(p.version, viewer, setting, rid, as_of)
        download_button("Pack as PDF (.zip)", zip_files(pdfs), file_name=view.pack_file_name(pm, r, "pdf"), mime=ZIP,
                        what=f"review pack (PDF) {rid}", container=c[1], icon=":material/picture_as_pdf:")
    download_button("Record workbook (.xlsx)", lambda: _record_workbook(viewer, setting, rid, as_of),
                    file_name=view.record_file_name(pm, r), mime=XLSX, what=f"review record workbook {rid}",
                    container=c[2], icon=":material/table_view:",
                    help="Fill it in after the meeting (scores, views, decision, actions, next date) and upload it on "
                         "the Upload page: the review is recorded in one import.")
    c[2].caption("Fill it in after the meeting and upload it on the Upload page.")
    c = st.columns([2, 1, 1])
    doc = c[0].selectbox("One document on its own", view.PACK_DOCUMENTS, format_func=view.document_label,
                         key=MEETING_DOCUMENT)
    name = f"{view.document_label(doc)} {pm.pupil_id}.zip"
    download_button("Word", lambda: _one(_word(viewer, setting, rid, as_of, [doc]), name)[1],
                    file_name=_one_name(doc, r, pm, "docx"), mime=DOCX if doc != "advice_request" else ZIP,
                    what=f"{doc} (Word) {rid}", container=c[1], icon=":material/description:")
    if made:
        mine = view.document_files(pdfs, doc)
        if mine:
            fname, body = _one(mine, name.replace(".zip", " PDF.zip"))
            download_button("PDF", body, file_name=fname, mime=PDF if fname.endswith(".pdf") else ZIP,
                            what=f"{doc} (PDF) {rid}", container=c[2], icon=":material/picture_as_pdf:")
    else:
        c[2].caption("PDF: make the PDFs first.")


def _one_name(doc: str, r: dict, pm: view.PupilMeetings, fmt: str) -> str:
    stem = f"{pd.Timestamp(r['review_date']):%Y-%m-%d} {pm.pupil_id} - {view.document_label(doc)}"
    return f"{stem}.zip" if doc == "advice_request" else f"{stem}.{fmt}"


def _council_report_download(p: Page, pm: view.PupilMeetings, row: dict) -> None:
    viewer, setting, rid, as_of = p.viewer, pm.setting, row["review_id"], p.as_of
    download_button("Review report to the council (Word)", lambda: _one(_word(viewer, setting, rid, as_of,
                                                                              ["council_report"]), "report.zip")[1],
                    file_name=_one_name("council_report", row, pm, "docx"), mime=DOCX,
                    what=f"council report (Word) {rid}", icon=":material/description:",
                    help="Drawn from the record; due at the council within 2 weeks of the meeting.")


# ---------------------------------------------------------------------------------------------- Upcoming reviews

@st.cache_data(max_entries=16, show_spinner=False)
def upcoming_data(version: tuple, viewer: Viewer, as_of: date, settings: tuple[str, ...] | None) -> dict:
    """The reviews scheduled in the app and every open action, for the Upcoming reviews page."""
    scope = None if settings is None else list(settings)
    return {"scheduled": view.scheduled(cursor(), as_of=as_of, settings=scope, viewer=viewer),
            "actions": view.actions_due(cursor(), as_of=as_of, settings=scope, viewer=viewer)}


def open_to_schedule(click_key: str, keys: pd.Series) -> None:
    """A Schedule button of the reviews list was pressed: open the pupil, with a pointer to the section."""
    click = st.session_state.get(click_key)
    if click is not None and 0 <= click["row"] < len(keys):
        st.session_state[MEETING_OPEN_SCHEDULE] = str(keys.iloc[click["row"]])
        st.switch_page(nav.PUPIL, query_params={QUERY_PARAM: str(keys.iloc[click["row"]])})


def actions_due(p: Page, data: dict, open_key: str) -> None:
    st.subheader("Actions due", anchor=False)
    due = data["actions"]
    if due.empty:
        st.info(view.NO_ACTIONS, icon=":material/task_alt:")
        return
    late = int(due["overdue"].sum())
    st.caption(escape_markdown(f"{len(due)} open action{'s' if len(due) != 1 else ''}"
                               + (f", {late} overdue" if late else "") + f", by person: {view.by_person(due)}"))
    table = pd.DataFrame({"open": "Open", "owner": due["owner"], "when": due["when"], "due_date": due["due_date"],
                          "action": due["action"], "pupil": due["pupil"]})
    if "setting" in due and due["setting"].nunique() > 1:
        table["setting"] = due["setting"]
    labels = {"owner": "Who", "when": "Due", "action": "What", "pupil": "Pupil", "setting": "Setting"}
    width = layout.fit(table, labels, caps={"action": 420})
    st.dataframe(table, hide_index=True, width="stretch", height=min(38 + 35 * len(table), 460), placeholder="",
                 column_config={"open": open_button(open_key),
                                **{c: st.column_config.TextColumn(labels[c], width=w) for c, w in width.items()},
                                "due_date": st.column_config.DateColumn("By when", format=DAY)})
    open_clicked_pupil(open_key, due["key"])


def scheduled_in_app(p: Page, data: dict, open_key: str) -> None:
    st.subheader("Scheduled in the app", anchor=False)
    sch = data["scheduled"]
    if sch.empty:
        st.caption("No review is scheduled in the app yet. Press Schedule beside a review above (or schedule it on the "
                   "pupil's page) to prepare its letters and forms." if p.viewer.can_write else
                   "No review is scheduled in the app yet.")
        return
    st.caption("The reviews whose letters and forms the app prepares: their time and place, invitations and reports.")
    table = pd.DataFrame({"open": "Open", "review_date": sch["review_date"], "start_time": sch["start_time"],
                          "place": sch["place"], "pupil": sch["pupil"], "invitations": sch["invitations"],
                          "reports": sch["reports"]})
    if sch["setting"].nunique() > 1:
        table["setting"] = sch["setting"]
    labels = {"start_time": "Time", "place": "Place", "pupil": "Pupil", "invitations": "Invitations",
              "reports": "Reports", "setting": "Setting"}
    width = layout.fit(table, labels)
    st.dataframe(table, hide_index=True, width="stretch", height=min(38 + 35 * len(table), 460), placeholder="",
                 column_config={"open": open_button(open_key),
                                **{c: st.column_config.TextColumn(labels[c], width=w) for c, w in width.items()},
                                "review_date": st.column_config.DateColumn("Meeting", format=DAY)})
    open_clicked_pupil(open_key, sch["key"])


def range_packs(p: Page) -> None:
    """'Packs for a date range': made in a background thread (senlib.documents.pack.PackJob); a fragment polls its
    progress each second, so the page is never held up and the work is not done in one rerun."""
    if not p.viewer.can_write:
        return
    st.subheader("Packs for a date range", anchor=False)
    st.caption("Every review scheduled in the app between two dates: each one's invitation, requests for advice, "
               "agenda, checklist and record form, in one zip.")
    k = form_key(UPCOMING_PACK, "range", p.as_of)
    job, _ = st.session_state.get(UPCOMING_PACK_JOB, (None, None))
    running = job is not None and not job.done
    with st.form(f"{k}form"):
        c = st.columns([2, 2, 1, 1])
        start = c[0].date_input("From", value=p.as_of, format=DAY, key=f"{k}start")
        end = c[1].date_input("To", value=p.as_of + timedelta(weeks=6), format=DAY, key=f"{k}end")
        word = c[2].checkbox("Word", value=True, key=f"{k}word")
        pdf = c[3].checkbox("PDF", value=True, key=f"{k}pdf")
        go = st.form_submit_button("Make the pack", type="primary", disabled=running, icon=":material/folder_zip:")
    if go:
        formats = tuple(f for f, on in (("docx", word), ("pdf", pdf)) if on)
        if not formats:
            st.error("Choose Word, PDF or both.", icon=":material/error:")
            return
        job = PackJob(connection(), p.settings, start, end, as_of=p.as_of, viewer=p.viewer, formats=formats).start()
        st.session_state[UPCOMING_PACK_JOB] = (job, view.range_file_name(start, end, formats))
        running = True
    if running:
        _pack_progress()
    elif job is not None:
        _pack_result()


@st.fragment(run_every=1)
def _pack_progress() -> None:
    """Redrawn every second while the pack is made; once it is done, the whole page runs again to offer it."""
    job, _ = st.session_state.get(UPCOMING_PACK_JOB, (None, None))
    if job is None:
        return
    if job.done:
        st.rerun()
    done, total, label = job.progress
    st.progress(min(done / total, 1.0) if total else 0.0, text=f"{label}…")


def _pack_result() -> None:
    job, name = st.session_state[UPCOMING_PACK_JOB]
    if job.error:
        st.error(escape_markdown(job.error), icon=":material/error:")
        return
    st.success(f"The pack is ready ({len(job.result) / 1e6:.1f} MB).", icon=":material/check_circle:")
    download_button("Download the pack (.zip)", job.result, file_name=name, mime=ZIP, what=f"review packs {name}",
                    icon=":material/download:")
