"""Upcoming reviews (SENCo): the next weeks' reviews and their milestones, this week's to-do list, a calendar file."""

from datetime import date

import pandas as pd
import streamlit as st

from senlib.access import Viewer
from senlib.core.names import MILESTONE_STATES
from senlib.render import charts, exports, layout
from senlib.render.charts import OKABE_ITO, STATUS_COLOURS
from senlib.rules import in_force
from senlib.views import upcoming
from ui import meetings, page
from ui.page import open_button, open_clicked_pupil, status_frame
from ui.state import UPCOMING_NAMES, UPCOMING_OPEN, UPCOMING_SCHEDULE, UPCOMING_SETTINGS, UPCOMING_WEEKS
from ui.widgets import download_button

STATE_COLOURS = {"missed": STATUS_COLOURS["overdue"], "to_come": charts.GREY, "done": STATUS_COLOURS["on_track"],
                 "not_needed": STATUS_COLOURS["on_track"]}
KIND_COLOURS = {"overdue": STATUS_COLOURS["overdue"], "missed": STATUS_COLOURS["due_soon"], "this_week": OKABE_ITO["sky_blue"]}
PRIORITY_COLOURS = {"overdue": STATUS_COLOURS["overdue"], "this_week": OKABE_ITO["sky_blue"], "later": charts.GREY}


@st.cache_data(max_entries=32, show_spinner=False)
def _upcoming(version: tuple, viewer: Viewer, as_of: date, settings: tuple[str, ...] | None, weeks: int) -> dict:
    status = status_frame(version, viewer, as_of, settings)
    ms = upcoming.milestones(status, as_of)
    td = upcoming.todo(ms, as_of)
    rv = upcoming.reviews(status, as_of, weeks, ms=ms)
    nd = upcoming.undated(status)
    return {"todo": td, "reviews": rv, "undated": nd, "summary": upcoming.summary(rv, td, nd)}


@st.cache_data(max_entries=8, show_spinner=False)
def _calendar(version: tuple, viewer: Viewer, as_of: date, settings: tuple[str, ...] | None, weeks: int,
              full_names: bool) -> bytes:
    """Made only when the button is pressed (the milestones are many; the page's runs do not carry them), after
    the run: so the viewer comes in as an argument, not from the session."""
    status = status_frame(version, viewer, as_of, settings)
    ms = upcoming.milestones(status, as_of)
    return upcoming.calendar(ms, upcoming.reviews(status, as_of, weeks, ms=ms), as_of, weeks=weeks, full_names=full_names)


def _pills(label: str, words: dict[str, str], colours: dict[str, str], help: str | None = None, width: int | None = None):
    """A column of one coloured word per row (the cell holds a one-item list of the code)."""
    return st.column_config.MultiselectColumn(label, options=list(words), format_func=lambda c: words.get(c, c),
                                              color=[colours[c] for c in words], help=help, width=width)


def day(label: str, **kwargs) -> st.column_config.DateColumn:
    """A date column wide enough for DD/MM/YYYY even when its first rows are blank."""
    return st.column_config.DateColumn(label, format="DD/MM/YYYY", width=max(104, int(layout.text_px(label, bold=True)) + layout.PAD), **kwargs)


def _one(series: pd.Series) -> list:
    return [[v] if isinstance(v, str) else [] for v in series]


def _words(words: dict[str, str]):
    return lambda codes: [words.get(c, c) for c in codes]


def _trim(table: pd.DataFrame, optional: list[str]) -> pd.DataFrame:
    """Leave out the optional columns with nothing in them (no key worker recorded, one setting, no EHC plan's
    statutory dates): empty columns pushed the ones a SENCo reads off the screen."""
    drop = layout.blank_columns(table, optional)
    if "setting" in table and table["setting"].nunique() <= 1:
        drop.append("setting")
    return table.drop(columns=drop)


LABELS = {"when": "When", "what": "To do", "pupil": "Pupil", "year": "Year group", "plan": "Plan", "key_worker": "Key worker",
          "setting": "Setting", "fix": "What to record", "next_step": "Next step", "kind": "", "priority": "",
          "invite_state": "Invitations", "reports_state": "Reports", "schedule": ""}
PILLS = {"kind": _words(upcoming.TODO_KINDS), "priority": _words(upcoming.PRIORITY),
         "invite_state": _words(MILESTONE_STATES), "reports_state": _words(MILESTONE_STATES)}


def _text(width: dict[str, int]) -> dict:
    """Text columns at their fitted widths."""
    return {c: st.column_config.TextColumn(LABELS[c], width=w) for c, w in width.items() if c not in PILLS}


p = page.start("Upcoming reviews", as_of=True, settings_key=UPCOMING_SETTINGS,
               empty="This page lists the reviews coming up, with invitation and report deadlines, and makes a calendar file.")
version, viewer, as_of, settings = p.version, p.viewer, p.as_of, p.settings
weeks = st.segmented_control("Weeks ahead", upcoming.WEEK_CHOICES, default=upcoming.DEFAULT_WEEKS, required=True,
                             key=UPCOMING_WEEKS, persist_state="session", format_func=lambda w: f"{w} week{'s' if w > 1 else ''}",
                             help="List the reviews whose meeting falls within this many weeks of the as-of date.")
weeks = weeks or upcoming.DEFAULT_WEEKS

data = _upcoming(version, viewer, as_of, settings, weeks)
td, rv, nd, n = data["todo"], data["reviews"], data["undated"], data["summary"]
kept = meetings.upcoming_data(version, viewer, as_of, settings)  # reviews scheduled in the app, actions from meetings
m = st.columns(5)
m[0].metric(f"Reviews listed ({weeks} weeks)", f"{n['reviews']:,}",
            help=f"Overdue reviews, reviews in the next {weeks} weeks, and any with a step to do this week.")
m[1].metric(charts.status_word("overdue"), f"{n['overdue']:,}", help="Reviews past their due date and not held.")
m[2].metric("Missed steps", f"{n['missed']:,}", help="Invitations or reports whose date has passed and which are not recorded as done.")
m[3].metric("Due in the next 7 days", f"{n['this_week']:,}")
m[4].metric(f"{charts.STATUS_SYMBOLS['no_review_date']} No review date", f"{n['no_review_date']:,}",
            help="Pupils whose review cannot be dated: no review, plan start or next review date recorded. Listed below "
                 "to put right; not overdue, and not counted as on time.")

st.subheader("To do this week", anchor=False)
if td.empty:
    st.success("Nothing is overdue, missed or due in the next 7 days.", icon=":material/check_circle:")
else:
    st.caption("Overdue reviews first, then steps that were missed (not recorded as done in the tracker), then what "
               "falls in the next 7 days.")
    todo_table = pd.DataFrame({"open": "Open", "kind": _one(td["kind"]), "when": td["when"], "what": td["what"],
                               "date": td["date"], "pupil": td["pupil"], "year": td["year"], "plan": td["plan"],
                               "key_worker": td["key_worker"], "setting": td["setting"]})
    todo_table = _trim(todo_table, ["key_worker"])
    width = layout.fit(todo_table, LABELS, shown=PILLS)
    st.dataframe(todo_table, hide_index=True, width="stretch", height=min(38 + 35 * len(todo_table), 460), placeholder="",
                 column_config={
        "open": open_button(UPCOMING_OPEN + "todo"), **_text(width),
        "kind": _pills("", upcoming.TODO_KINDS, KIND_COLOURS, width=width["kind"]), "date": day("Date")})
    open_clicked_pupil(UPCOMING_OPEN + "todo", td["key"])
meetings.actions_due(p, kept, UPCOMING_OPEN + "actions")

if len(nd):
    st.subheader("No review date recorded", anchor=False)
    st.caption("The tracker has no date to work these reviews out from: no review held, no plan start and no next review "
               "date. They are not shown as overdue, nor counted as on time; record the date named and the review "
               "joins the lists on this page.")
    undated_table = pd.DataFrame({"open": "Open", "pupil": nd["pupil"], "fix": nd["fix"], "year": nd["year"],
                                  "plan": nd["plan"], "key_worker": nd["key_worker"], "setting": nd["setting"]})
    undated_table = _trim(undated_table, ["key_worker"])
    width = layout.fit(undated_table, LABELS, caps={"fix": 560})
    row = layout.row_height(layout.lines(undated_table, "fix", width["fix"]))  # the sentence wraps: it is what to do
    st.dataframe(undated_table, hide_index=True, width="stretch", height=min(38 + row * len(undated_table), 420),
                 row_height=row, placeholder="", column_config={"open": open_button(UPCOMING_OPEN + "undated"), **_text(width)})
    open_clicked_pupil(UPCOMING_OPEN + "undated", nd["key"])

st.subheader(f"Reviews overdue or in the next {weeks} weeks", anchor=False)
if rv.empty:
    st.info(f"No review falls in the next {weeks} weeks. Choose more weeks ahead, or a later as-of date.", icon=":material/event_available:")
    meetings.scheduled_in_app(p, kept, UPCOMING_OPEN + "scheduled")
    meetings.range_packs(p)
    st.stop()
review_table = pd.DataFrame({
    "open": "Open", "priority": _one(rv["priority"]), "pupil": rv["pupil"],
    "review": rv["review"].where(rv["review_basis"] != "due_date"),  # blank: no meeting date recorded yet
    "due_date": rv["due_date"], "invite_by": rv["invite_by"], "invite_state": _one(rv["invite_state"]),
    "invite_statutory_by": rv["invite_statutory_by"], "reports_by": rv["reports_by"], "reports_state": _one(rv["reports_state"]),
    "next_step": rv["next_step"], "year": rv["year"], "plan": rv["plan"], "key_worker": rv["key_worker"], "setting": rv["setting"]})
if viewer.can_write:  # the SENCo schedules a review kept in the app; one already scheduled opens the same section
    review_table.insert(1, "schedule", rv["key"].isin(set(kept["scheduled"]["key"])).map({True: "Scheduled", False: "Schedule"}))
review_table = _trim(review_table, ["invite_statutory_by", "reports_by", "reports_state", "key_worker"])
width = layout.fit(review_table, LABELS, shown=PILLS, caps={"next_step": 640})
st.dataframe(review_table, hide_index=True, width="stretch", height=min(38 + 35 * len(review_table), 640), placeholder="",
             column_config={
    "open": open_button(UPCOMING_OPEN + "reviews"), **_text(width),
    "schedule": st.column_config.ButtonColumn("", type="tertiary", key=UPCOMING_SCHEDULE, width="small",
                                              help="Schedule the review in the app, with its letters and forms"),
    "priority": _pills("", upcoming.PRIORITY, PRIORITY_COLOURS, width=width["priority"]),
    "review": day("Meeting", help="The review meeting: scheduled, or agreed at the last review. "
                  "Blank: no date recorded yet; invitations and reports are then counted back from the due date."),
    "due_date": day("Must be held by", help="The latest date the rules allow for this review."),
    "invite_by": day("Invitations by", help=f"Invitations and the current plan (good practice: {in_force(p.cur, 'invite_good_practice', 'weeks', settings)} before)."),
    "invite_state": _pills("Invitations", MILESTONE_STATES, STATE_COLOURS, width=width["invite_state"]),
    "invite_statutory_by": day("Statutory invitations by", help=f"EHC plans: at least {in_force(p.cur, 'invite_statutory', 'weeks', settings)} before (SEND Regulations 2014, regulation 20)."),
    "reports_by": day("Reports by", help=f"EHC plans: reports and advice circulated at least {in_force(p.cur, 'advice_before', 'weeks', settings)} before."),
    "reports_state": _pills("Reports", MILESTONE_STATES, STATE_COLOURS, width=width.get("reports_state"))})
open_clicked_pupil(UPCOMING_OPEN + "reviews", rv["key"])
meetings.open_to_schedule(UPCOMING_SCHEDULE, rv["key"])
meetings.scheduled_in_app(p, kept, UPCOMING_OPEN + "scheduled")

st.subheader("Download", anchor=False)
full_names = st.toggle("Full names in the calendar", key=UPCOMING_NAMES, persist_state="session",
                       help="Off: each entry names the pupil by initials and ID, safer in a calendar that syncs to a phone "
                            "or is shared. On: full names.")
left, right = st.columns(2)
download_button("Calendar (.ics) for Outlook or Google", icon=":material/calendar_month:", container=left,
                data=lambda: _calendar(version, viewer, as_of, settings, weeks, full_names), what="review calendar",
                file_name=f"sen-reviews-{as_of:%Y-%m-%d}.ics", mime="text/calendar")
download_button("Reviews as Excel", icon=":material/download:", container=right, what="upcoming reviews",
                data=lambda: exports.to_xlsx(upcoming.export_frame(rv), sheet_name="Upcoming reviews"),
                file_name=f"upcoming-reviews-{as_of:%Y-%m-%d}.xlsx", mime=exports.XLSX_MIME)
st.caption("The calendar has one all-day entry for each step still to come (invitations, statutory invitations, reports, "
           "the review) of the reviews listed; missed steps stay on the to-do list above. Importing the same file twice "
           "does not double the entries.")

meetings.range_packs(p)
