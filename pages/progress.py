"""Progress (senior leaders): how far outcomes have moved, by area of need, year group, plan and need."""

from datetime import date

import pandas as pd
import streamlit as st

from senlib.access import Viewer
from senlib.render import charts, exports, layout
from senlib.views import progress
from ui import page
from ui.page import open_button, open_clicked_pupil
from ui.state import PROGRESS_OPEN, PROGRESS_SETTINGS, cursor
from ui.widgets import download_button


@st.cache_data(max_entries=32, show_spinner="Working out progress…")
def _progress(version: tuple, viewer: Viewer, as_of: date, settings: tuple[str, ...] | None) -> dict:
    df = progress.outcome_progress(cursor(), as_of, settings=list(settings) if settings else None, viewer=viewer)
    by = {d: progress.summary_by(df, d) for d in progress.DIMENSIONS}
    return {"headline": progress.headline(df), "by": by,
            "figures": {d: progress.figures(d, by[d]) for d in progress.DIMENSIONS},
            "stalled": progress.stalled_pupils(df)}


p = page.start("Outcome progress", as_of=True, settings_key=PROGRESS_SETTINGS,
               empty="Progress needs outcomes and their scaling scores.")
version, viewer, as_of = p.version, p.viewer, p.as_of
result = _progress(version, viewer, as_of, p.settings)
h = result["headline"]
if h["outcomes"] == 0:
    st.info("No outcomes are recorded for pupils on roll on this date. Add outcomes and scaling scores to a tracker "
            "(the Outcomes and Scores sheets of the template) and upload it.")
    st.stop()

c = st.columns(5)
c[0].metric("Outcomes", f"{h['outcomes']:,}", help=f"{h['pupils']:,} pupils; {h['scored']:,} outcomes scored")
c[1].metric("On track", charts.number(h["on_track_share"], percent=True),
            help="Target reached, or not stalled and at least as far towards it as the time passed towards the target date.")
c[2].metric("Mean change", charts.number(h["mean_change"]), help="Latest score minus baseline, in scale points.")
c[3].metric("Way to target", charts.number(h["median_share"], percent=True),
            help="Median share of the way from baseline to target reached so far.")
c[4].metric("Stalled outcomes", f"{h['stalled_outcomes']:,}", help=f"{h['stalled_pupils']:,} pupils. Rule stalled_outcome: the scaling score has not risen over the last scores.")

for tab, (dim, (label, _)) in zip(st.tabs([f"By {v[0].lower()}" for v in progress.DIMENSIONS.values()]),
                                  progress.DIMENSIONS.items(), strict=True):
    with tab:
        summary = result["by"][dim]
        # One measure per chart: a share on track and a median share of the way to target are different questions.
        places = [*st.columns(2), st.columns(2)[0]]
        for place, (measure, (title, _, _)) in zip(places, progress.MEASURES.items(), strict=True):
            spec = result["figures"][dim][measure]
            if spec is None:
                place.caption(f"{title} by {label.lower()}: no outcome is scored yet, so there is nothing to draw.")
            else:
                place.plotly_chart(charts.from_spec(spec), width="stretch", key=f"{measure}-{dim}")
        with st.expander(f"Table: progress by {label.lower()}"):
            st.dataframe(summary, hide_index=True, width="stretch", column_config={
                dim: label, "outcomes": "Outcomes", "pupils": "Pupils", "stalled": "Stalled outcomes",
                "mean_change": st.column_config.NumberColumn("Mean change", format="%.1f"),
                "median_share": st.column_config.NumberColumn("Median share of way", format="percent"),
                "on_track_share": st.column_config.NumberColumn("On track", format="percent")})

st.subheader("Pupils whose outcomes have stalled", anchor=False)
stalled: pd.DataFrame = result["stalled"]
if stalled.empty:
    st.success("No outcome has stalled on this date.")
else:
    shown = stalled.drop(columns=["key", "link"])
    labels = {"pupil": "Pupil", "setting": "Setting", "year": "Year group", "need": "Primary need", "plan": "Current plan",
              "stalled_areas": "Areas stalled"}
    width = layout.fit(shown, labels, caps={"stalled_areas": 680})
    st.dataframe(shown.assign(open="Open"), hide_index=True, width="stretch", column_config={
        "open": open_button(PROGRESS_OPEN), **{c: st.column_config.TextColumn(label, width=width[c]) for c, label in labels.items()},
        "pupil_id": "Pupil ID", "stalled": "Stalled outcomes", "outcomes": "Outcomes",
        "last_scored": st.column_config.DateColumn("Last scored", format="DD/MM/YYYY")},
        column_order=["open", "pupil", "setting", "year", "need", "plan", "stalled", "outcomes", "stalled_areas", "last_scored"])
    open_clicked_pupil(PROGRESS_OPEN, stalled["key"])
    download_button("Download as Excel", data=lambda: exports.to_xlsx(shown, sheet_name="Stalled outcomes"),
                    file_name=f"stalled-outcomes-{as_of:%Y-%m-%d}.xlsx", icon=":material/download:", mime=exports.XLSX_MIME,
                    what="stalled outcomes")
