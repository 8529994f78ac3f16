"""Compliance (senior leaders): are reviews held on time, where not, and is it getting better?"""

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pandas as pd
import streamlit as st

from senlib.access import Viewer
from senlib.render import charts
from senlib.rules import in_force
from senlib.views import compliance
from ui import page
from ui.page import status_frame
from ui.state import COMPLIANCE_PLANS, COMPLIANCE_SETTINGS, COMPLIANCE_YEARS, cursor
from ui.widgets import not_tracked_table, text_table

Settings = tuple[str, ...] | None


@st.cache_data(max_entries=16, show_spinner="Checking every pupil's reviews…")
def _evaluate(version: tuple, viewer: Viewer, as_of: date, settings: Settings) -> compliance.Compliance:
    # The rules result the SENCo pages share (ui.page.status_frame): evaluated once for all of them.
    return compliance.evaluate(cursor(), as_of, settings, viewer=viewer, status=status_frame(version, viewer, as_of, settings))


@st.cache_data(max_entries=128, show_spinner=False)
def _month_end(version: tuple, viewer: Viewer, day: date, settings: Settings) -> pd.DataFrame:
    """One trend point; cached per date, so moving the as-of date re-evaluates only the dates that changed."""
    return compliance.status_counts(cursor(), day, settings, viewer=viewer)


@st.cache_data(max_entries=64, show_spinner=False)
def _view(version: tuple, viewer: Viewer, as_of: date, settings: Settings, filters: compliance.Filters) -> dict:
    return compliance.view(_evaluate(version, viewer, as_of, settings), filters)


@st.cache_data(max_entries=64, show_spinner=False)
def _trend(version: tuple, viewer: Viewer, as_of: date, settings: Settings, filters: compliance.Filters) -> dict:
    """The last 12 month ends: computed after the rest of the page is drawn, as the first time it takes longest."""
    c = _evaluate(version, viewer, as_of, settings)
    past = compliance.month_ends(as_of)[:-1]
    # Two at a time: much of each evaluation is DuckDB planning the rules statement, on one core.
    with ThreadPoolExecutor(max_workers=2) as pool:
        counts = dict(zip(past, pool.map(lambda d: _month_end(version, viewer, d, settings), past), strict=True))
    counts[as_of] = c.status
    table = compliance.trend(counts, filters, as_of=as_of)
    return {"table": table, "figure": compliance.trend_figure(table)}


def _chart(spec: dict | None, key: str, table: pd.DataFrame, caption: str, config: dict | None = None) -> None:
    """A chart with its table under it (the table alternative), or a note when there is nothing to draw."""
    if spec is None:
        st.caption(f"{caption}: nothing to show for this choice.")
        return
    st.plotly_chart(charts.from_spec(spec), width="stretch", key=f"chart-{key}")
    with st.expander(f"Table: {caption.lower()}", icon=":material/table:"):
        text_table(table, config=config)


RATE = st.column_config.NumberColumn("On time", format="percent",
                                    help="Pupils whose review is on time (not overdue, and a review date recorded)")
COUNTS = {"pupils": "Pupils with a review clock", "on_time": "On time", "overdue": "Overdue",
          "no_review_date": "No review date recorded", "due_soon": "Due soon", "on_track": "On track"}

p = page.start("Review compliance", as_of=True, settings_key=COMPLIANCE_SETTINGS,
               empty="Compliance shows whether every pupil's plan is reviewed on time.")
version, viewer, as_of, settings = p.version, p.viewer, p.as_of, p.settings
options = compliance.options(_evaluate(version, viewer, as_of, settings))
cols = st.columns(2)
plans = cols[0].multiselect("Plan type", options["plan_types"], key=COMPLIANCE_PLANS, format_func=compliance.plan_label,
                            placeholder="All plan types", persist_state="session")
years = cols[1].multiselect("Year group", options["year_groups"], key=COMPLIANCE_YEARS, format_func=compliance.year_label,
                            placeholder="All year groups", persist_state="session")
filters = compliance.Filters(tuple(plans) or None, tuple(years) or None)
view = _view(version, viewer, as_of, settings, filters)
h = view["headline"]
if h["pupils"] == 0:
    st.info("No pupil has a review due under the rules on this date for this choice: nobody is on SEN Support, a My "
            "Support Plan, an EHC plan or a healthcare plan. Try another date or clear the filters.",
            icon=":material/info:")
    st.stop()

st.caption(f"On {as_of:%d %B %Y}. A review is **on time** when the date it was due under the review rules has not "
           "passed, or a review has been held since. A pupil with no review date recorded is not on time.")
m = st.columns(6)
m[0].metric("Reviews on time", charts.number(h["rate"], percent=True),
            help=f"{h['on_time']:,} of {h['pupils']:,} pupils with a review clock: their review is not overdue and "
                 "has a date to be held by.")
m[1].metric("Overdue", f"{h['overdue']:,}", help="Pupils whose review date has passed with no review held since.")
m[2].metric("No review date", f"{h['no_review_date']:,}",
            help="Pupils with no review, plan start or next review date recorded: their review cannot be dated, "
                 "so it counts as not on time.")
m[3].metric("Due soon", f"{h['due_soon']:,}", help=f"Reviews falling due within the invitation window ({in_force(p.cur, 'invite_good_practice', 'weeks', settings)} before the review).")
m[4].metric("Reviews held", f"{h['reviews_held']:,}",
            help=f"Reviews held this school year, since {h['year_start']:%d/%m/%Y}." if h["year_start"] is not None else None)
m[5].metric("Required this year", f"{h['reviews_required']:,}",
            help="Reviews the rules require over the whole school year (pro rata for plans that started during it).")
if h["no_review_date"]:
    st.caption(compliance.no_date_note(f"{h['no_review_date']:,}", h["no_review_date"] == 1)
               + " The Upcoming reviews page lists them with the date to record.")
if view["clock_not_tracked"]:
    st.caption(f"In {', '.join(view['clock_not_tracked'])} no tracker imported has a column for the date a review was "
               "held: those pupils' reviews are dated from the next review date recorded, else counted under 'No review "
               "date'; a plan's start alone never makes them late.")
if h["reviews_required"]:
    st.caption(f"{charts.number(h['held_share'], percent=True)} of this school year's required reviews are held so far, "
               f"with {h['year_elapsed']:.0%} of the school year gone (a plan's reviews count up to the number it needs).")
if not h["register_filtered_by_year"]:
    st.caption("Reviews held and required this school year cover every year group: the rules count them by plan type only.")

st.subheader("Where reviews are late", anchor=False)
heat = view["heat"].rename(columns={"plan": "Plan type", "year": "Year group", **COUNTS})
_chart(view["figures"].get("heatmap"), "heatmap", heat, "On time by plan type and year group", {"rate": RATE})

tabs = st.tabs([f"By {label.lower()}" for label in compliance.BREAKDOWNS.values()])
for tab, (dim, label) in zip(tabs, compliance.BREAKDOWNS.items(), strict=True):
    with tab:
        table = view["by"][dim].rename(columns={"label": label, **COUNTS})
        _chart(view["figures"].get(dim), dim, table, f"On time by {label.lower()}", {"rate": RATE})
        if dim == "local_authority":
            st.caption("The council whose rules apply: the EHC plan's council, else the setting's.")

st.subheader("Quality of the reviews held", anchor=False)
quality = view["quality"].drop(columns=["code"]).rename(columns={"check": "Check", "known": "Reviews judged",
                                                                 "passed": "Met the check", "over": "Computed over"})
_chart(view["figures"].get("quality"), "quality", quality, f"Review quality since {view['since']:%d/%m/%Y}",
       {"rate": st.column_config.NumberColumn("Rate", format="percent")})
if len(view["quality_by_plan"]) and len(view["quality_by_plan"].columns) > 1:
    with st.expander("Table: review quality by plan type", icon=":material/table:"):
        st.dataframe(view["quality_by_plan"], hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(c, format="percent")
                                    for c in view["quality_by_plan"].columns if c != "Check"})
st.caption("A review counts towards a rate only when the check can be judged from what was recorded (for example, "
           "'reports in time' needs the date the reports arrived).")
not_tracked_table(view["not_tracked"])

st.subheader("Review meetings kept in the app", anchor=False)
if view["meeting_settings"]:
    meetings = view["meetings"].drop(columns=["code"]).rename(columns={
        "figure": "Of the reviews held with a meeting record", "known": "Reviews", "passed": "Met"})
    text_table(meetings, config={"rate": st.column_config.NumberColumn("Share", format="percent")})
    st.caption(f"Reviews held this school year (since {view['meetings_since']:%d/%m/%Y}) that were recorded in the app "
               f"({', '.join(view['meeting_settings'])}); reviews known only from a tracker are not counted here. Reports "
               "in time and the report to the council are for EHC plan reviews, the report once it is due.")
else:
    st.caption(compliance.MEETINGS_NOT_TRACKED)

st.subheader("Over the last 12 months", anchor=False)
with st.spinner("Working out the rules at each month end of the last year…", show_time=True):
    trend = _trend(version, viewer, as_of, settings, filters)
table = trend["table"][["label", "pupils", "on_time", "overdue", "no_review_date", "rate"]].rename(columns={"label": "Month end", **COUNTS})
_chart(trend["figure"], "trend", table, "On time at each month end", {"rate": RATE})
st.caption("Each point is the rules worked out on the records as they stood at that month end; the last point is the "
           "as-of date.")
