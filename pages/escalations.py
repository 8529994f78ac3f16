"""Escalations (SENCo): pupils the graduated response says to move on, grouped by what is suggested, each with why."""

from datetime import date

import pandas as pd
import streamlit as st

from senlib.access import Viewer
from senlib.core.text import escape_markdown
from senlib.render import exports, layout
from senlib.views import escalations
from ui import page
from ui.page import open_button, open_clicked_pupil, status_frame
from ui.state import ESCALATIONS_OPEN, ESCALATIONS_SETTINGS, cursor
from ui.widgets import download_button

TABLE_PX = 930  # the page's width for a table on a 1400 px wide screen with the sidebar open
OPEN_PX = 75    # the Open button's column
# Headings of the groups' tables.
LABELS = {"pupil": "Pupil", "setting": "Setting", "year": "Year group", "pupil_id": "Pupil ID", "reason": "Why",
          "evidence": "Evidence pack", "plan": "Plan", "key_worker": "Key worker"}


@st.cache_data(max_entries=32, show_spinner=False)
def _escalations(version: tuple, viewer: Viewer, as_of: date, settings: tuple[str, ...] | None) -> dict:
    flags = escalations.flagged(status_frame(version, viewer, as_of, settings), cursor())
    summaries = escalations.rule_summaries(cursor(), settings)
    return {"flags": flags, "groups": escalations.groups(flags, summaries), "counts": escalations.counts(flags)}


p = page.start("Escalations", as_of=True, settings_key=ESCALATIONS_SETTINGS,
               empty="This page lists pupils whose reviews suggest a next step in the graduated response.")
version, as_of, settings = p.version, p.as_of, p.settings
data = _escalations(version, p.viewer, as_of, settings)
flags: pd.DataFrame = data["flags"]
n = data["counts"]

st.caption(f"What the graduated response suggests for each pupil, from the reviews and scores recorded up to {as_of:%d/%m/%Y}. "
           "A suggestion is for the SENCo to consider with the family and staff, not a decision.")
m = st.columns(3)
m[0].metric("Pupils to consider", f"{n['pupils']:,}", help="Pupils with at least one suggestion.")
m[1].metric("Suggestions", f"{n['flags']:,}", help="A pupil may have more than one.")
packs = flags[flags["rule"] == escalations.EHC_REQUEST]
m[2].metric("EHC request evidence ready", f"{int(packs['evidence_ready'].fillna(False).sum()):,} of {len(packs):,}" if len(packs) else "–",
            help=f"Pupils for whom an EHC needs assessment request is suggested and who have a My Support Plan with at least "
                 f"{escalations.evidence_cycles()} APDR cycles reviewed under it.")
if flags.empty:
    st.success("No escalation is suggested for any pupil on this date.", icon=":material/check_circle:")

empty = []
for group in data["groups"]:
    if group.pupils.empty:
        empty.append(group.title)
        continue
    st.subheader(f"{group.title} ({group.pupils['key'].nunique():,})", anchor=False)
    st.caption(escape_markdown(group.summary))
    st.caption(f"Rule `{group.rule}` · Source: {escape_markdown(group.source)}")
    p = group.pupils
    who = ["pupil", *escalations.who_columns(p, flags)]
    columns = ["open", *who, "reason"] + (["evidence"] if group.rule == escalations.EHC_REQUEST else []) + ["plan", "key_worker"]
    columns = [c for c in columns if c not in layout.blank_columns(p, ["key_worker"])]
    table = p.assign(open="Open")[columns]
    width = layout.fit(table, LABELS, caps={"evidence": 260, "reason": 640})
    # Who, then why: the why takes the room the pupil's columns leave on a laptop's screen and wraps onto as many lines
    # as it needs (it is what the SENCo reads, so it is never cut off at the table's edge); plan and key worker follow.
    width["reason"] = max(360, min(width["reason"], TABLE_PX - OPEN_PX - sum(width[c] for c in who)))
    row = layout.row_height(max(layout.lines(table, c, width[c], most=5) for c in ("reason", "evidence") if c in width))
    st.dataframe(table, hide_index=True, width="stretch", height=min(38 + row * len(table), 560), row_height=row,
                 placeholder="", column_config={
        "open": open_button(ESCALATIONS_OPEN + group.rule),
        **{c: st.column_config.TextColumn(label, width=width[c]) for c, label in LABELS.items() if c in width}})
    open_clicked_pupil(ESCALATIONS_OPEN + group.rule, p["key"])
if empty and not flags.empty:
    st.caption("Nothing suggested on this date for: " + "; ".join(empty) + ".")

if not flags.empty:
    download_button("Download all as Excel", icon=":material/download:", what="escalations",
                    data=lambda: exports.to_xlsx(escalations.export_frame(flags), sheet_name="Escalations"),
                    file_name=f"escalations-{as_of:%Y-%m-%d}.xlsx", mime=exports.XLSX_MIME)
