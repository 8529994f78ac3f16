"""Overview: the caseload in the database at a glance."""

from datetime import date

import streamlit as st

from senlib import store
from senlib.access import Viewer
from senlib.core.text import escape_markdown
from senlib.render import charts
from senlib.store import backup_schedule, demo
from senlib.views import caseload, overview
from ui import nav, page
from ui.page import status_frame
from ui.state import cursor


@st.cache_data(max_entries=8, show_spinner=False)
def _overview(version: tuple, viewer: Viewer) -> dict:
    counts = overview.overview(cursor(), viewer=viewer)
    counts["figures"] = overview.figures(counts)
    return counts


@st.cache_data(max_entries=8, show_spinner=False)
def _needs_doing(version: tuple, viewer: Viewer, as_of: date) -> dict[str, int]:
    status = status_frame(version, viewer, as_of, None)     # the signed-in viewer's settings, checked by the rules
    return caseload.counts(caseload.build(status[caseload.on_register(status)]))


p = page.start("SEN caseload overview")  # its own empty state below: it offers the demo caseload
cur, viewer = p.cur, p.viewer
if backup_note := backup_schedule.warning(cur, viewer):  # the SENCo only; None for everyone else
    st.warning(escape_markdown(backup_note), icon=":material/backup:")
    st.page_link(nav.BACKUP, label="Open Backup and restore", icon=":material/arrow_forward:")
if store.is_empty(cur):
    st.info("There are no pupils in the database yet. Upload a tracker, or load a fictional demo caseload "
            "(three schools, 1,500 pupils) to look around.")
    if not viewer.can_write:
        st.caption("Only the SENCo can upload trackers or load demo data.")
    elif st.button("Load demo data", type="primary", icon=":material/dataset:"):
        try:
            with st.spinner("Writing the demo caseload…"):
                demo.generate(cur, settings=3, pupils=1500, as_of=date.today())
        except Exception as exc:  # noqa: BLE001 - the page must say what went wrong, not crash
            st.error(f"The demo caseload could not be loaded ({exc}). Nothing was written.")
        else:
            st.cache_data.clear()
            st.rerun()
    st.stop()

version = p.version
todo = _needs_doing(version, viewer, date.today())
st.subheader("Needs doing", anchor=False)
m = st.columns(4)
m[0].metric(charts.status_word("overdue"), f"{todo['overdue']:,}", help="Reviews past their due date and not held.")
m[1].metric(charts.status_word("no_review_date"), f"{todo['no_review_date']:,}",
            help="Pupils whose tracker gives no date to work their review out from: record one.")
m[2].metric(charts.status_word("due_soon"), f"{todo['due_soon']:,}", help="Reviews due within the invitation window.")
m[3].metric("With a flag", f"{todo['flagged']:,}", help="Pupils with a milestone missed or an escalation suggested.")
links = st.columns(3)
links[0].page_link(nav.UPCOMING, label="Upcoming reviews: what to do this week", icon=":material/event_upcoming:")
links[1].page_link(nav.CASELOAD, label="Caseload: every pupil's status", icon=":material/groups:")
links[2].page_link(nav.ESCALATIONS, label="Escalations", icon=":material/trending_up:")

counts = _overview(version, viewer)
by_status = counts["by_status"].set_index("sen_status")["pupils"]
st.subheader("The caseload", anchor=False)
c1, c2, c3 = st.columns(3)
c1.metric("Pupils on roll", f"{int(by_status.sum()):,}", help="Every pupil in the database who has not left.")
c2.metric("SEN Support (K)", f"{int(by_status.get('K', 0)):,}")
c3.metric("EHC plans (E)", f"{int(by_status.get('E', 0)):,}")
st.caption(f"Today, {date.today():%d/%m/%Y}. The Caseload lists the {todo['pupils']:,} pupils on the SEN register "
           "(SEN Support or an EHC plan) or with a plan in force, such as an Individual Healthcare Plan.")

left, right = st.columns(2)
with left:
    need = counts["by_need"]
    if counts["figures"]["need"] is None:
        st.caption("Pupils on the SEN register by primary need: no pupil on roll is on SEN Support or has an EHC plan.")
    else:
        st.plotly_chart(charts.from_spec(counts["figures"]["need"]), width="stretch")
    with st.expander("Table: pupils by primary need"):
        st.dataframe(need[["need", "status", "pupils"]], hide_index=True, width="stretch")
with right:
    plans = counts["by_plan"]
    if counts["figures"]["plan"] is None:
        st.caption("Pupils by current plan: no pupil on roll has a plan in force.")
    else:
        st.plotly_chart(charts.from_spec(counts["figures"]["plan"]), width="stretch")
    with st.expander("Table: pupils by current plan"):
        st.dataframe(plans[["plan", "pupils"]], hide_index=True, width="stretch")
