"""Overview: the caseload in the database at a glance."""

from datetime import date

import plotly.express as px
import streamlit as st

from senlib import caseload, demo, store
from ui.state import cursor

st.title("SEN caseload overview")
cur = cursor()
if store.is_empty(cur):
    st.info("There are no pupils in the database yet. Upload a tracker, or load a fictional demo caseload "
            "(three schools, 1,500 pupils) to look around.")
    if st.button("Load demo data", type="primary", icon=":material/dataset:"):
        try:
            with st.spinner("Writing the demo caseload…"):
                demo.generate(cur, settings=3, pupils=1500, as_of=date.today())
        except Exception as exc:  # noqa: BLE001 - the page must say what went wrong, not crash
            st.error(f"The demo caseload could not be loaded ({exc}). Nothing was written.")
        else:
            st.cache_data.clear()
            st.rerun()
    st.stop()

counts = caseload.overview(cur)
by_status = counts["by_status"].set_index("sen_status")["pupils"]
c1, c2, c3 = st.columns(3)
c1.metric("Pupils on roll", f"{int(by_status.sum()):,}")
c2.metric("SEN Support (K)", f"{int(by_status.get('K', 0)):,}")
c3.metric("EHC plans (E)", f"{int(by_status.get('E', 0)):,}")

left, right = st.columns(2)
with left:
    need = counts["by_need"]
    fig = px.bar(need, y="need", x="pupils", color="status", orientation="h",
                 title="Pupils on the SEN register by primary need",
                 labels={"need": "Primary need", "pupils": "Pupils", "status": "SEN status"},
                 color_discrete_sequence=["#0072B2", "#E69F00"])
    fig.update_layout(yaxis={"categoryorder": "total ascending"})
    st.plotly_chart(fig, width="stretch")
    with st.expander("Table: pupils by primary need"):
        st.dataframe(need[["need", "status", "pupils"]], hide_index=True, width="stretch")
with right:
    plans = counts["by_plan"]
    fig = px.bar(plans, x="plan", y="pupils", title="Pupils by current plan",
                 labels={"plan": "Plan type", "pupils": "Pupils"}, color_discrete_sequence=["#009E73"])
    st.plotly_chart(fig, width="stretch")
    with st.expander("Table: pupils by current plan"):
        st.dataframe(plans[["plan", "pupils"]], hide_index=True, width="stretch")
