"""Pupil: one pupil's record. Open from a search here or a link `pupil?pupil=SETTING|ID` from any page."""

import logging
from datetime import date

import streamlit as st

from senlib.access import Viewer
from senlib.core.errors import InputError
from senlib.core.names import AREAS
from senlib.core.text import escape_markdown
from senlib.render import charts, exports, layout
from senlib.views import pupil
from ui import meetings, page
from ui.state import PUPIL_SEARCH, PUPIL_TIMELINE, cursor
from ui.widgets import download_button

STATUS_BADGE = {"overdue": "red", "no_review_date": "violet", "due_soon": "orange", "on_track": "green"}


@st.cache_data(max_entries=256, show_spinner=False)
def _search(version: tuple, viewer: Viewer, text: str):
    return pupil.search(cursor(), text, viewer=viewer)


@st.cache_data(max_entries=256, show_spinner=False)
def _lookup(version: tuple, viewer: Viewer, key: str):
    try:
        return pupil.lookup(cursor(), *pupil.parse_key(key), viewer=viewer)
    except InputError:
        return pupil.search(cursor(), "", viewer=viewer)


@st.cache_data(max_entries=64, show_spinner=False)
def _record(version: tuple, viewer: Viewer, setting: str, pupil_id: str, as_of: date):
    return pupil.record(cursor(), setting, pupil_id, as_of=as_of, viewer=viewer)


@st.cache_data(max_entries=64, show_spinner=False)
def _figures(version: tuple, viewer: Viewer, setting: str, pupil_id: str, as_of: date) -> dict:
    return pupil.figures(_record(version, viewer, setting, pupil_id, as_of), as_of)


@st.cache_resource(max_entries=8, show_spinner="Checking the rules…")
def _rules(version: tuple, viewer: Viewer, setting: str, as_of: date):
    """The whole setting's rule results, shared (not copied) between runs: read, never changed."""
    return pupil.rules_frames(cursor(), as_of, setting, viewer=viewer)


@st.cache_resource(max_entries=8, show_spinner="Costing the provision…")
def _provision(version: tuple, viewer: Viewer, setting: str, as_of: date):
    """The whole setting's provision results (senlib.rules.provision), shared between runs: read, never changed."""
    return pupil.provision_frames(cursor(), as_of, setting, viewer=viewer)


p = page.start("Pupil", as_of=True, empty="There is no pupil to show.")
version, viewer, as_of = p.version, p.viewer, p.as_of

# Choose a pupil: the link's ?pupil= if any, else a search.
key = st.query_params.get(pupil.QUERY_PARAM)
text = st.text_input("Find a pupil", key=PUPIL_SEARCH, placeholder="Type part of a name or a pupil ID")
found = _search(version, viewer, text)
labels = dict(zip(found["key"], found["label"], strict=True))
if key and key not in labels:
    linked = _lookup(version, viewer, key)
    labels = {key: linked["label"].iloc[0] if len(linked) else key.replace(pupil.KEY_SEP, " · ")} | labels
if text and found.empty:
    st.caption("No pupil's name or ID contains all of those words.")
if text and len(found) == 1 and key != found["key"].iloc[0]:
    key = found["key"].iloc[0]   # one pupil matches the search: open it, no second click
    st.query_params[pupil.QUERY_PARAM] = key
choice = st.selectbox("Pupil", list(labels), index=list(labels).index(key) if key in labels else None,
                      format_func=labels.get, placeholder="Choose a pupil from the search results")
if choice and choice != key:
    st.query_params[pupil.QUERY_PARAM] = key = choice
if not key:
    st.info("Search for a pupil by name or ID, or open one from another page.")
    st.stop()
try:
    setting, pupil_id = pupil.parse_key(key)
except InputError as exc:  # the key came in the address: it may quote anything
    st.error(escape_markdown(exc))
    st.stop()
rec = _record(version, viewer, setting, pupil_id, as_of)
if rec is None:
    st.warning("There is no pupil with that ID in that setting (they may have been removed by undoing an import). "
               "Search for them by name above.")
    st.stop()

figs = _figures(version, viewer, setting, pupil_id, as_of)
st.header(escape_markdown(rec.name), anchor=False)
meetings.scroll_hint(key)
for warning in rec.warnings:
    st.warning(escape_markdown(warning), icon=":material/warning:")
left, right = st.columns([5, 4])  # wide enough for the longest need ('Speech, language and communication needs (SLCN)')
profile_width = layout.fit(rec.profile, {"field": "Profile", "value": "Value"}, cap=520)
left.dataframe(rec.profile, hide_index=True, width="stretch", height=35 * len(rec.profile) + 40, column_config={
    "field": st.column_config.TextColumn("Profile", width=profile_width["field"]),
    "value": st.column_config.TextColumn("Value", width=profile_width["value"])})

with right:
    # Flags with reasons, review status and review quality come from the rules engine.
    st.subheader("Review status and flags", anchor=False)
    view = None
    try:
        view = pupil.rules_view(_rules(version, viewer, setting, as_of), setting, pupil_id)
    except Exception as exc:  # noqa: BLE001 - the rest of the record is still worth showing
        logging.getLogger(__name__).exception("rules evaluation failed")
        st.error(f"The review rules could not be worked out for this pupil ({type(exc).__name__}). "
                 "The rest of the record below is complete; please report this.", icon=":material/error:")
    if view is not None:
        st.badge(charts.status_word(view.status), color=STATUS_BADGE.get(view.status, "gray"))
        st.text("\n".join(t for t in (view.reason, view.milestones) if t))
        if view.flags.empty:
            st.caption("No flags on this date.")
        for flag in view.flags.itertuples():
            st.warning(escape_markdown(f"{flag.flag}: {flag.reason}"), icon=":material/flag:")
            st.caption(escape_markdown(f"Rule {flag.rule} · {flag.source}"))

    st.subheader("Path through the graduated response", anchor=False)
    _, not_drawn = pupil.plan_path(rec.plans)
    if rec.plans.empty:
        st.caption("No plans recorded.")
    else:
        if "timeline" in figs:
            st.plotly_chart(charts.from_spec(figs["timeline"]), width="stretch", key=PUPIL_TIMELINE)
        if not_drawn:
            st.caption(escape_markdown(not_drawn))
        with st.expander("Table: plans"):
            st.dataframe(rec.plans[["plan", "start_date", "end_date", "local_authority"]], hide_index=True, placeholder="", width="stretch",
                         column_config={"plan": "Plan", "start_date": st.column_config.DateColumn("Start", format="DD/MM/YYYY"),
                                        "end_date": st.column_config.DateColumn("End", format="DD/MM/YYYY"),
                                        "local_authority": "Local authority"})

st.subheader("Reviews", anchor=False)
if rec.reviews.empty:
    st.caption("No reviews recorded.")
else:
    config = {c: (st.column_config.DateColumn(label, format="DD/MM/YYYY") if "date" in c or c in
                  ("invitations_sent", "reports_received", "report_sent") else label)
              for c, label in pupil.REVIEW_COLUMNS.items()}
    # Only the columns the tracker filled for this pupil: a sparse tracker's reviews have a date and little else.
    blank = layout.blank_columns(rec.reviews, [c for c in pupil.REVIEW_COLUMNS if c not in ("review_date", "held")])
    st.dataframe(rec.reviews[[c for c in pupil.REVIEW_COLUMNS if c not in blank]], hide_index=True, placeholder="", width="stretch",
                 column_config=config)
    if view is not None and not view.quality.empty:
        st.caption("Quality checks of each review held (blank: not known from the tracker)")
        st.dataframe(view.quality, hide_index=True, width="stretch", column_config={
            c: st.column_config.DateColumn(label, format="DD/MM/YYYY") if c == "review_date" else label
            for c, label in pupil.QUALITY_COLUMNS.items()})

meetings.section(p, setting, pupil_id)  # schedule, invitees, letters and forms, the record, actions, changes

st.subheader("Outcomes and progress scaling", anchor=False)
if rec.outcomes.empty:
    st.caption("No outcomes recorded for this pupil.")
table = pupil.outcome_table(rec)
order = {label: i for i, label in enumerate(AREAS.values())}
for area_label, group in sorted(table.groupby("area_label"), key=lambda g: order.get(g[0], 99)):
    st.markdown(f"##### {escape_markdown(area_label)}")
    cols = st.columns(2)
    for i, o in enumerate(group.itertuples()):
        with cols[i % 2]:
            if o.outcome_id in figs:
                st.plotly_chart(charts.from_spec(figs[o.outcome_id]), width="stretch", key=f"scaling-{o.outcome_id}")
            else:
                st.caption(escape_markdown(pupil.not_scored(o.chart_title)))
            st.text(str(o.description or ""))
            st.caption(escape_markdown(o.summary))
with st.expander("Table: outcomes and scores"):
    st.dataframe(rec.scores.merge(rec.outcomes[["outcome_id", "description"]], on="outcome_id"), hide_index=True,
                 width="stretch", column_config={"score_date": st.column_config.DateColumn("Date", format="DD/MM/YYYY")})

st.subheader("Provision", anchor=False)
try:
    prov = pupil.provision_view(_provision(version, viewer, setting, as_of), setting, pupil_id, as_of)
except Exception as exc:  # noqa: BLE001 - the rest of the record is still worth showing
    logging.getLogger(__name__).exception("provision costing failed")
    st.error(f"The provision could not be costed for this pupil ({type(exc).__name__}); please report this.",
             icon=":material/error:")
    prov = None
if prov is not None and not prov.tracked:
    st.caption(pupil.NOT_TRACKED_PROVISION)
elif prov is not None and prov.places.empty:
    for flag in prov.flags.itertuples():
        st.warning(escape_markdown(flag.reason), icon=":material/flag:")
        st.caption(escape_markdown(f"Rule {flag.rule} · {flag.source}"))
    if prov.flags.empty:
        st.caption("No provision recorded for this pupil.")
elif prov is not None:
    (st.warning if prov.over else st.info)(escape_markdown(prov.cost_line),
                                           icon=":material/payments:" if not prov.over else ":material/flag:")
    st.caption(escape_markdown(prov.hours_line))
    for flag in prov.flags[prov.flags["rule"] != "provision_over_notional"].itertuples():
        st.warning(escape_markdown(f"{flag.flag}: {flag.reason}"), icon=":material/flag:")
        st.caption(escape_markdown(f"Rule {flag.rule} · {flag.source}"))
    st.caption("Costed history, newest first: the pupil's share of each intervention's cost this school year (by the "
               "days they are on it), hours a week of staff time, entry and exit on its measure, attendance.")
    # only the columns recorded for this pupil's places (a sparse provision sheet has no scores or attendance)
    optional = [pupil.PROVISION_COLUMNS[c] for c in ("entry", "exit", "gain", "attendance", "flags")]
    blank = [c for c in optional if not (prov.table[c].astype(str) != "").any()]
    st.dataframe(prov.table.drop(columns=blank), hide_index=True, width="stretch", placeholder="")
    download_button("Download the costed provision (Excel)",
                    lambda: exports.to_xlsx(pupil.evidence_pack(rec, prov, as_of)),
                    file_name=pupil.evidence_file_name(rec, as_of),
                    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    what=f"costed provision of {setting} {pupil_id}", icon=":material/download:",
                    help="The evidence for top-up funding or a request for an EHC needs assessment: every "
                         "intervention with its cost, hours, entry and exit scores and attendance.")
    cols = st.columns(2)
    for i, pl in enumerate(prov.places.itertuples()):
        with cols[i % 2]:
            if pl.provision_id in prov.charts:
                st.plotly_chart(charts.from_spec(prov.charts[pl.provision_id]), width="stretch",
                                key=f"provision-{pl.provision_id}-{i}")
            elif pl.provision_id in prov.no_chart:
                st.caption(escape_markdown(prov.no_chart[pl.provision_id]))

if not rec.ehc_requests.empty:
    st.subheader("EHC needs assessment requests", anchor=False)
    st.dataframe(rec.ehc_requests, hide_index=True, placeholder="", width="stretch", column_config={
        "requested": st.column_config.DateColumn("Requested", format="DD/MM/YYYY"),
        "decision_date": st.column_config.DateColumn("Council decided", format="DD/MM/YYYY"), "decision": "Decision",
        "final_plan_date": st.column_config.DateColumn("Final plan issued", format="DD/MM/YYYY"),
        "local_authority": "Local authority"})

st.subheader("Other columns from the tracker", anchor=False)
if rec.extra.empty:
    st.caption("The tracker had no other columns for this pupil.")
else:
    st.dataframe(rec.extra, hide_index=True, width="stretch", column_config={"column": "Tracker column", "value": "Value"})
