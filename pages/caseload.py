"""Caseload (SENCo): the SEN register as a table: filter, search, see who is overdue, export, open a pupil."""

from datetime import date

import pandas as pd
import streamlit as st

from senlib.access import Viewer
from senlib.render import charts, exports, layout
from senlib.render.charts import STATUS_COLOURS, STATUS_ORDER
from senlib.rules import default_policy, in_force
from senlib.views import caseload
from ui import page
from ui.page import open_button, open_clicked_pupil, status_frame
from ui.state import (
    CASELOAD_CLEAR,
    CASELOAD_EVERYONE,
    CASELOAD_FILTER,
    CASELOAD_OPEN,
    CASELOAD_SEARCH,
    CASELOAD_SETTINGS,
)
from ui.widgets import download_button

Settings = tuple[str, ...] | None


@st.cache_data(max_entries=16, show_spinner=False)
def _register(version: tuple, viewer: Viewer, as_of: date, settings: Settings, everyone: bool) -> pd.DataFrame:
    status = status_frame(version, viewer, as_of, settings)
    return caseload.build(status if everyone else status[caseload.on_register(status)])  # the register: a fifth of a school


@st.cache_data(max_entries=16, show_spinner=False)
def _options(version: tuple, viewer: Viewer, as_of: date, settings: Settings, everyone: bool) -> dict[str, list[str]]:
    return caseload.options(_register(version, viewer, as_of, settings, everyone))


@st.cache_data(max_entries=64, show_spinner=False)
def _table(version: tuple, viewer: Viewer, as_of: date, settings: Settings, everyone: bool, chosen: tuple,
           search: str) -> tuple[pd.DataFrame, dict]:
    df = caseload.apply_filters(_register(version, viewer, as_of, settings, everyone), dict(chosen), search=search,
                                everyone=everyone)
    return df, caseload.counts(df)


def _clear_filters() -> None:
    for col in caseload.FILTERS:
        st.session_state[CASELOAD_FILTER + col] = []
    st.session_state[CASELOAD_SEARCH] = ""


p = page.start("Caseload", as_of=True, settings_key=CASELOAD_SETTINGS,
               empty="The caseload lists every pupil on the SEN register with their review status.")
version, viewer, as_of, settings = p.version, p.viewer, p.as_of, p.settings

top = st.columns([3, 2], vertical_alignment="bottom")
search = top[0].text_input("Search by name or pupil ID", key=CASELOAD_SEARCH, placeholder="Type part of a name or an ID",
                          persist_state="session")
everyone = top[1].toggle("Include everyone", key=CASELOAD_EVERYONE, persist_state="session",
                         help="Off: pupils on the SEN register (SEN Support, EHC plan, or a plan in force). "
                              "On: every pupil, including those with no SEN and those who have left.")

options = _options(version, viewer, as_of, settings, everyone)
chosen: dict[str, list[str]] = {}
with st.expander("Filters", expanded=True, icon=":material/filter_list:"):
    cols = st.columns(4)
    for i, (col, spec) in enumerate(caseload.FILTERS.items()):
        chosen[col] = cols[i % 4].multiselect(spec.label, options[col], key=CASELOAD_FILTER + col, placeholder="All",
                                              format_func=lambda v, c=col: caseload.describe(c, v), persist_state="session")
    st.button("Clear filters and search", on_click=_clear_filters, icon=":material/filter_list_off:", type="tertiary",
              key=CASELOAD_CLEAR)

key = tuple((c, tuple(v)) for c, v in chosen.items() if v)
shown, n = _table(version, viewer, as_of, settings, everyone, key, search.strip())
m = st.columns(6)
m[0].metric("Pupils shown", f"{n['pupils']:,}",
            help="Pupils on the SEN register" + (", and everyone else" if everyone else "") + ", after the filters and search.")
m[1].metric(charts.status_word("overdue"), f"{n['overdue']:,}", help="Review due date passed, no review held since.")
m[2].metric(f"{charts.STATUS_SYMBOLS['no_review_date']} No review date", f"{n['no_review_date']:,}",
            help="No review, plan start or next review date recorded, so the review cannot be dated; the Why column "
                 "says what to record. Not counted as on time.")
m[3].metric(charts.status_word("due_soon"), f"{n['due_soon']:,}", help=f"Review due within the invitation window ({in_force(p.cur, 'invite_good_practice', 'weeks', settings)} before it).")
m[4].metric(charts.status_word("on_track"), f"{n['on_track']:,}")
m[5].metric("With a flag", f"{n['flagged']:,}", help="A rule has raised something to look at; the Flags column says what.")

if shown.empty:
    st.info("No pupil matches these filters and search. Clear a filter, or turn on “Include everyone”.", icon=":material/search_off:")
    st.stop()

titles = {rid: rule.title for rid, rule in default_policy().rules.items()}
# What a SENCo acts on first (who, status, when, flags), then the pupil's details, then references and the why.
order = ["open", "pupil", "status", "due_date", "days_overdue", "flags", "year", "plan", "primary_need", "class", "key_worker",
         "next_review", "sen", "local_authority", "pupil_id", "setting", "status_reason"]
if shown["setting"].nunique() <= 1:
    order.remove("setting")
# A tracker without a class, key worker or council column: no empty column pushing the others off the screen.
order = [c for c in order if c not in layout.blank_columns(shown, ["class", "key_worker", "local_authority", "days_overdue"])]
table = shown.assign(open="Open", status=shown["status"].map(lambda s: [s]))[order]  # send only what is shown
LABELS = {"pupil": "Pupil", "pupil_id": "Pupil ID", "setting": "Setting", "year": "Year group", "class": "Class",
          "sen": "SEN status", "primary_need": "Need", "plan": "Plan", "status": "Review status", "key_worker": "Key worker",
          "local_authority": "Local authority", "flags": "Flags", "status_reason": "Why this status"}
width = layout.fit(table, LABELS, cap=420, caps={"flags": 640, "status_reason": 1000}, shown={
    "status": lambda v: [charts.status_word(s) for s in v], "flags": lambda v: [titles.get(r, r) for r in v]})
row = layout.row_height(layout.lines(table, "status_reason", width["status_reason"], most=3))  # a long why wraps, in full
# (1000 px: the widest the grid draws a column; two lines hold the longest sentence the rules write)
st.dataframe(table, hide_index=True, width="stretch", height=min(38 + row * len(table), 38 + row * 15), row_height=row, placeholder="",
             column_config={
    "open": open_button(CASELOAD_OPEN),
    **{c: st.column_config.TextColumn(LABELS[c], width=width[c]) for c in
       ("pupil", "pupil_id", "setting", "year", "class", "sen", "plan", "key_worker", "local_authority") if c in width},
    "primary_need": st.column_config.TextColumn("Need", help="Primary type of need (census code)",
                                                width=width.get("primary_need")),
    "status": st.column_config.MultiselectColumn("Review status", options=STATUS_ORDER, format_func=charts.status_word,
                                                 color=[STATUS_COLOURS[s] for s in STATUS_ORDER], width=width["status"]),
    "due_date": st.column_config.DateColumn("Review due by", format="DD/MM/YYYY", width=104),
    "days_overdue": st.column_config.NumberColumn("Days overdue", format="%d", width=104),
    "next_review": st.column_config.DateColumn("Next review", format="DD/MM/YYYY", width=104,
                                               help="Scheduled, or agreed at the last review; else the due date."),
    "flags": st.column_config.MultiselectColumn("Flags", options=list(titles), format_func=lambda r: titles.get(r, r),
                                                width=width["flags"]),
    "status_reason": st.column_config.TextColumn("Why this status", width=width["status_reason"]),
})
st.caption("Press **Open** to see a pupil's record. The review status and flags come from the rules as of "
           f"{as_of:%d/%m/%Y}; the Pupil page explains each one.")
download_button("Download this table as Excel", icon=":material/download:", what="caseload table",
                data=lambda: exports.to_xlsx(caseload.export_frame(shown), sheet_name="Caseload"),
                file_name=f"caseload-{as_of:%Y-%m-%d}.xlsx", mime=exports.XLSX_MIME)
open_clicked_pupil(CASELOAD_OPEN, shown["key"])
