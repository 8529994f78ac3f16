"""Impact (senior leaders, SENCo): cost against impact per intervention, cost per pupil by need and year group,
staff hours by role, and the interventions flagged for low impact."""

from datetime import date

import streamlit as st

from senlib.access import Viewer
from senlib.render import charts
from senlib.rules import in_force
from senlib.views import provision
from ui import page
from ui import provision as shared
from ui.state import IMPACT_AREAS, IMPACT_ROLES, IMPACT_SETTINGS, IMPACT_X, IMPACT_YEARS
from ui.widgets import text_table


@st.cache_data(max_entries=32, show_spinner=False)
def _view(version: tuple, viewer: Viewer, as_of: date, settings: shared.Settings, filters: provision.Filters,
          x: str) -> dict:
    data = shared.data(version, viewer, as_of, settings)
    return {"figures": provision.figures(data, filters, x=x), "points": provision.impact_points(data, filters),
            "not_placed": provision.not_placed(data, filters), "low": provision.low_impact(data, filters),
            "need": provision.cost_by(data, "need"), "year": provision.cost_by(data, "year"),
            "roles": provision.hours_by_role(provision.interventions(data, filters))}


def _chart(spec: dict | None, key: str, what: str) -> None:
    if spec is None:
        st.caption(f"{what}: nothing is costed yet, so there is nothing to draw.")
    else:
        st.plotly_chart(charts.from_spec(spec), width="stretch", key=key)


p = page.start("Impact", as_of=True, settings_key=IMPACT_SETTINGS,
               empty="Impact sets what each intervention costs against the progress its pupils make.")
data = shared.data(p.version, p.viewer, p.as_of, p.settings)
if data.empty:
    shared.empty_state(p.viewer)
filters = shared.filters(provision.options(data), areas=IMPACT_AREAS, years=IMPACT_YEARS, roles=IMPACT_ROLES)
x = st.radio("Across the chart", list(provision.X_AXES), key=IMPACT_X, horizontal=True, persist_state="session",
             format_func=lambda v: {"cost_per_pupil": "Cost per pupil", "cost_year": "Cost a year"}[v])
view = _view(p.version, p.viewer, p.as_of, p.settings, filters, x)

st.subheader("Cost against impact", anchor=False)
_chart(view["figures"]["impact"], "impact-bubbles", "Cost against impact")
missing = [f"{n:,} with {why}" for why, n in view["not_placed"].items() if n]
st.caption(f"Each bubble is an intervention, its size the pupils on it this school year; up is its pupils' median gain "
           f"as a share of the gain it expects (the dashed line: as expected). An intervention is judged once "
           f"{in_force(p.cur, 'provision_low_impact', 'min_pupils', p.settings)} have entry and exit scores."
           + (f" Not on the chart: {'; '.join(missing)}." if missing else ""))
if len(view["points"]):
    with st.expander("Table: cost against impact", icon=":material/table:"):
        pts = view["points"].assign(cost_year=view["points"]["cost_year"].map(provision.money),
                                    cost_per_pupil=view["points"]["cost_per_pupil"].map(provision.money))
        st.dataframe(pts.drop(columns=["provision_id"] + ([] if pts["setting"].nunique() > 1 else ["setting"])),
                     hide_index=True, width="stretch", column_config={
                         "setting": "Setting", "name": "Intervention", "cost_year": "Cost a year",
                         "cost_per_pupil": "Cost per pupil", "median_gain": "Median gain", "expected_gain": "Expected gain",
                         "ratio": st.column_config.NumberColumn("Gain against expected", format="percent"),
                         "pupils": "Pupils this year", "pupils_scored": "Pupils scored", "meets": "Meets expected?"})

st.subheader("Interventions flagged for low impact", anchor=False)
if view["low"].empty:
    st.success("No intervention is flagged: none has enough pupils scored with a median gain below the gain it expects.")
else:
    text_table(view["low"])

st.subheader("Cost per pupil", anchor=False)
cols = st.columns(2)
for col, dim, label in ((cols[0], "need", "Primary need"), (cols[1], "year", "Year group")):
    with col:
        _chart(view["figures"][dim], f"cost-{dim}", f"Cost per pupil by {label.lower()}")
        table = view[dim].assign(cost=view[dim]["cost"].map(provision.money), per_pupil=view[dim]["per_pupil"].map(provision.money))
        with st.expander(f"Table: cost per pupil by {label.lower()}", icon=":material/table:"):
            st.dataframe(table, hide_index=True, width="stretch", column_config={
                "label": label, "pupils": "Pupils with provision", "costed": "Pupils costed", "cost": "Cost this school year",
                "per_pupil": "Per pupil (mean)", "incomplete": "With a cost not tracked"})
st.caption("A pupil's cost is the sum of their shares of each intervention this school year (split by the days each "
           "pupil was on it); the filters above do not narrow it.")

st.subheader("Staff hours a week by role", anchor=False)
_chart(view["figures"]["roles"], "hours-roles", "Staff hours a week by role")
roles = view["roles"]
if len(roles):
    with st.expander("Table: staff hours a week by role", icon=":material/table:"):
        st.dataframe(roles.drop(columns=["role"]).assign(hours_week=roles["hours_week"].map(provision.hours)),
                     hide_index=True, width="stretch", column_config={
                         "label": "Delivered by", "hours_week": "Hours a week", "interventions": "Interventions running",
                         "not_tracked": "Of which hours not tracked"})
