"""Provision map (SENCo, senior leaders): every intervention running, by area of need and year group, with its
pupils, staff hours, cost and impact; the costed provision map in Excel."""

from datetime import date

import streamlit as st

from senlib.access import Viewer
from senlib.render import charts, exports, provision_charts
from senlib.views import provision
from ui import page
from ui import provision as shared
from ui.page import open_button, open_clicked_pupil
from ui.state import (
    PROVISION_AREAS,
    PROVISION_FLAG_OPEN,
    PROVISION_OPEN,
    PROVISION_PICK,
    PROVISION_ROLES,
    PROVISION_SETTINGS,
    PROVISION_YEARS,
)
from ui.widgets import download_button


@st.cache_data(max_entries=32, show_spinner=False)
def _view(version: tuple, viewer: Viewer, as_of: date, settings: shared.Settings, filters: provision.Filters) -> dict:
    data = shared.data(version, viewer, as_of, settings)
    return {"grid": {s: provision_charts.grid_html(g) for s, g in provision.grid(data, filters).items()},
            "table": provision.table(data, filters), "totals": provision.totals(data, filters),
            "flags": provision.flag_list(data, filters)}


p = page.start("Provision map", as_of=True, settings_key=PROVISION_SETTINGS,
               empty="The provision map shows every intervention with its pupils, staff time and cost.")
data = shared.data(p.version, p.viewer, p.as_of, p.settings)
if data.empty:
    shared.empty_state(p.viewer)
filters = shared.filters(provision.options(data), areas=PROVISION_AREAS, years=PROVISION_YEARS, roles=PROVISION_ROLES)
view = _view(p.version, p.viewer, p.as_of, p.settings, filters)
t = view["totals"]

m = st.columns(4)
m[0].metric("Spend this school year", provision.money(t["spend"]) if t["spend"] is not None else provision.NOT_TRACKED,
            help=f"The cost a year of the {t['costed']:,} interventions running this school year whose hours or costs are "
                 "recorded; each intervention counts once, whatever areas it covers.")
m[1].metric("Interventions running", f"{t['interventions_now']:,}",
            help=f"With pupils on them now; {t['interventions']:,} shown in all.")
m[2].metric("Staff hours a week", provision.hours(t["hours_week"]), help="Of the interventions running now, where recorded.")
m[3].metric("Pupils with provision now", f"{t['pupils_now']:,}",
            help=f"{t['register_with_provision']:,} of the {t['register']:,} pupils on the SEN register have a place now.")
if t["not_costed"]:
    st.caption(f"{t['not_costed']:,} intervention{'s' if t['not_costed'] != 1 else ''} this school year record no "
               "hours, role or cost: the cost is Not tracked (not £0) and is left out of the spend.")
if filters.years:
    st.caption("Costs and pupils in the table are of the whole intervention, whichever year groups its pupils are in.")

st.subheader("Provision map", anchor=False)
st.caption(f"Interventions running on {p.as_of.day} {p.as_of:%B %Y}: in each cell, the pupils of that year group on it and the "
           "hours a week each has. An intervention covering several areas shows under each, and counts once in totals.")
for setting, html in view["grid"].items():
    if len(view["grid"]) > 1:
        st.markdown(f"**{charts.plain(setting)}**")
    st.markdown(html, unsafe_allow_html=True)  # senlib.render.provision_charts.grid_html: every text escaped

st.subheader("Interventions", anchor=False)
table = view["table"]
st.dataframe(table.drop(columns=["provision_id"]), hide_index=True, width="stretch",
             column_config={"Flag": st.column_config.TextColumn("Flag", width="large")})
download_button("Download the costed provision map (Excel)", data=lambda: provision.workbook(data, filters),
                file_name=f"provision-map-{p.as_of:%Y-%m-%d}.xlsx", mime=exports.XLSX_MIME, icon=":material/download:",
                what="costed provision map")

st.subheader("To act on", anchor=False)
flags = view["flags"]
for_pupils, for_interventions = flags[flags["key"].notna()].reset_index(drop=True), flags[flags["key"].isna()]
if flags.empty:
    st.success("No provision rule is raised on this date.")
several_settings = flags["setting"].nunique() > 1
if len(for_pupils):
    st.caption("Pupils whose provision costs more than the notional SEN budget meets, on the register with nothing "
               "running, whose place ended without an exit score, or who attend too little.")
    st.dataframe(for_pupils.drop(columns=["rule_id", "key"]).assign(open="Open"), hide_index=True, width="stretch",
                 # the rule, then its sentence (whole on hover and on the Pupil page); the setting only when there are several
                 column_order=["open", "pupil", "year", "rule", "reason", *(["setting"] if several_settings else [])],
                 column_config={"open": open_button(PROVISION_FLAG_OPEN),
                                **{c: st.column_config.TextColumn(label, width="large" if c == "reason" else None)
                                   for c, label in provision.FLAG_COLUMNS.items()}})
    open_clicked_pupil(PROVISION_FLAG_OPEN, for_pupils["key"])
if len(for_interventions):
    st.caption("Interventions of low impact (see Impact for cost against impact):")
    st.dataframe(for_interventions[["reason", *(["setting"] if several_settings else [])]], hide_index=True, width="stretch",
                 column_config={"setting": "Setting", "intervention": "Intervention",
                                "reason": st.column_config.TextColumn("Why", width="large")})

st.subheader("Pupils on an intervention", anchor=False)
shown = provision.interventions(data, filters)
choices = list(zip(shown["setting"], shown["provision_id"], strict=True))
names = dict(zip(choices, shown["name"], strict=True))
several = shown["setting"].nunique() > 1
pick = st.selectbox("Intervention", choices, key=PROVISION_PICK, format_func=lambda k: f"{names[k]} ({k[0]})" if several else names[k])
if pick is not None:
    pupils = provision.pupils_on(data, *pick)
    if pupils.empty:
        st.caption("No pupil is on it this school year.")
    else:
        st.dataframe(pupils.drop(columns=["key", "current"]).assign(open="Open"), hide_index=True, width="stretch",
                     column_order=["open", *provision.PLACE_COLUMNS],
                     column_config={"open": open_button(PROVISION_OPEN), **provision.PLACE_COLUMNS})
        open_clicked_pupil(PROVISION_OPEN, pupils["key"])
