"""Audit log (SENCo): who signed in, imported, undid, changed rules, exported, backed up and restored, and when."""

from datetime import date

import streamlit as st

from senlib import access
from senlib.render import exports
from senlib.store import auditlog
from ui import page
from ui.widgets import download_button, text_table

p = page.start("Audit log", guard=access.require_whole_database)
viewer, cur = p.viewer, p.cur
users, actions, first, last = auditlog.options(cur, viewer)
if not actions:
    st.info("Nothing has been recorded yet. Sign-ins, imports, undos, rule changes, exports, backups and restores "
            "appear here as they happen.")
    st.stop()

c1, c2, c3 = st.columns([2, 2, 2])
period = c1.date_input("Between", value=(first, last), min_value=first, max_value=max(last, date.today()), format="DD/MM/YYYY")
chosen_actions = c2.multiselect("Actions", actions, format_func=lambda a: auditlog.ACTION_LABELS.get(a, a), placeholder="All actions")
chosen_users = c3.multiselect("People", users, format_func=lambda u: u or "(none)", placeholder="Everyone")
text = st.text_input("Search the details", placeholder="e.g. a file name or a pupil ID")
since, until = (period[0], period[1]) if isinstance(period, tuple) and len(period) == 2 else (period[0] if period else None, None)
flt = auditlog.AuditFilter(since=since, until=until, users=tuple(chosen_users) or None,
                           actions=tuple(chosen_actions) or None, text=text or None)
frame = auditlog.for_people(auditlog.entries(cur, viewer, flt))
st.caption(f"{len(frame):,} entries, newest first.")
if frame.empty:
    st.info("No entries match these filters. Widen the dates or clear the filters.")
    st.stop()


# The files are made when a button is clicked, without a rerun (ui.widgets.download_button): a button that also
# reran the page could lose its file to the rerun on a busy machine.
d1, d2, _ = st.columns([1, 1, 4])
stamp = f"{date.today():%Y-%m-%d}"
download_button("Export CSV", data=lambda: exports.to_csv(frame), file_name=f"audit-log-{stamp}.csv",
                mime="text/csv", icon=":material/download:", what="audit log", container=d1)
download_button("Export Excel", data=lambda: exports.to_xlsx(frame, sheet_name="Audit log"),
                file_name=f"audit-log-{stamp}.xlsx", mime=exports.XLSX_MIME, icon=":material/download:",
                what="audit log", container=d2)
SHOWN = 5000
if len(frame) > SHOWN:
    st.caption(f"Showing the newest {SHOWN:,}; the export has all {len(frame):,}.")
# The details wrap in their column (up to 4 lines): a long entry is read in full, not cut off.
text_table(frame.head(SHOWN), cap=520, max_rows=16,
           config={"When": st.column_config.DatetimeColumn(format="DD/MM/YYYY HH:mm:ss")})
