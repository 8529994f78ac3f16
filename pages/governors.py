"""Governors' report: aggregates only, small counts suppressed; on screen, as PDF and as HTML.

Every role may open it. The page receives nothing but the report object senlib.views.governors builds
from aggregates (no pupil rows), so what a governor sees here is exactly what the PDF and HTML hold.
"""

import html
from datetime import date

import streamlit as st

from senlib import access, store
from senlib.access import GOVERNOR, SENCO, Viewer
from senlib.core.text import escape_markdown
from senlib.render import charts, document
from senlib.store import commentary
from senlib.views import governors
from ui import page
from ui.page import settings_list
from ui.state import GOVERNORS_COMMENTARY, GOVERNORS_SETTINGS, cursor, data_version
from ui.widgets import as_of_input, download_button, settings_filter

Settings = tuple[str, ...] | None


@st.cache_data(max_entries=16, show_spinner="Preparing the report…")
def _report(version: tuple, viewer: Viewer, as_of: date, settings: Settings) -> governors.GovernorsReport:
    return governors.governors_report(cursor(), as_of, settings, viewer=viewer)


@st.cache_data(max_entries=8, show_spinner=False)
def _pdf(version: tuple, viewer: Viewer, as_of: date, settings: Settings) -> bytes:
    return governors.to_pdf(_report(version, viewer, as_of, settings))


@st.cache_data(max_entries=8, show_spinner=False)
def _html(version: tuple, viewer: Viewer, as_of: date, settings: Settings) -> bytes:
    return governors.to_html(_report(version, viewer, as_of, settings))


def _lower_first(text: str) -> str:
    """'Pupils on the SEN register' -> 'pupils on the SEN register' (acronyms kept)."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _block(block: document.Text | document.Table | document.Chart, key: str) -> None:
    if isinstance(block, document.Text):
        st.text(block.text)  # as text, never Markdown
    elif isinstance(block, document.Table):
        if block.caption:
            st.caption(block.caption)
        st.table(block.frame, hide_index=True)  # static text that wraps: nothing is cut off
    else:
        st.plotly_chart(charts.from_spec(block.spec), width="stretch", key=key)
        if block.caption:
            st.caption(escape_markdown(block.caption))  # names the groups left out: values from the data
        if block.table is not None:
            with st.expander(f"Table: {_lower_first(block.table.caption)}", icon=":material/table:"):
                st.table(block.table.frame, hide_index=True)


def _tile(col, h: document.Headline) -> None:
    """A headline figure whose value wraps instead of being cut ('fewer than 5', '75% or more')."""
    with col.container(border=True):
        st.caption(escape_markdown(h.label))
        st.markdown(f'<p style="font-size:1.6rem;font-weight:600;line-height:1.25;margin:0 0 0.25rem">'
                    f'{html.escape(h.value)}</p>', unsafe_allow_html=True)  # senlib's own text, escaped
        if h.note:
            st.caption(escape_markdown(h.note))


def _commentary_editor(viewer: Viewer, report: governors.GovernorsReport) -> None:
    """The SENCo writes a few lines for governors; senlib refuses any that name a pupil."""
    kept = commentary.current(cursor(), report.settings)
    if report.commentary_withheld and kept is not None:
        st.warning("Your commentary is not in the report: " + escape_markdown(", ".join(f"'{w}'" for w in kept.found))
                   + " now matches a pupil on the register. Rewrite it below.", icon=":material/visibility_off:")
    with st.expander("Commentary for governors", icon=":material/edit_note:", expanded=report.commentary_withheld), \
            st.form("governors_commentary_form", border=False):
        st.caption("A few sentences of context the figures cannot give, shown at the top of the report, the PDF and "
                   f"the HTML for {escape_markdown(report.scope)}. It is checked before it is saved and each time the "
                   "report is made: it must name no pupil.")
        text = st.text_area("Commentary", value=kept.text if kept else "", key=GOVERNORS_COMMENTARY, height=140,
                            max_chars=commentary.MAX_CHARS, label_visibility="collapsed")
        if st.form_submit_button("Save commentary", icon=":material/save:"):
            try:
                commentary.save(cursor(), viewer, report.settings, text)
            except commentary.CommentaryRefused as refused:
                st.error(escape_markdown(str(refused)), icon=":material/block:")
            else:
                st.success("Saved. The report below now includes it." if text.strip() else "Commentary removed.",
                           icon=":material/check_circle:")


p = page.start("Governors' report", guard=lambda v: access.require_role(v, *access.ROLES))
viewer = p.viewer
if store.is_empty(p.cur):
    st.info("There are no pupils in the database yet, so there is nothing to report. The SENCo uploads the school's "
            "tracker (or loads the demo caseload on the Overview page); the report then appears here.",
            icon=":material/info:")
    st.stop()
version = data_version()
if viewer.role == GOVERNOR:
    # One report per governor: today's, over every setting they may see. Reports for other choices of settings
    # or days could be subtracted from this one to recover a count it hides.
    as_of, settings = date.today(), None
else:
    as_of = as_of_input()
    all_settings = settings_list(version, viewer)
    chosen = settings_filter(all_settings, key=GOVERNORS_SETTINGS)
    settings = tuple(chosen) if chosen else None  # None: every setting the viewer may see (senlib narrows it)
report = _report(version, viewer, as_of, settings)
if viewer.role == SENCO and not report.empty:
    _commentary_editor(viewer, report)
    version = data_version()  # a commentary just saved is a new version of the report
    report = _report(version, viewer, as_of, settings)

st.caption(escape_markdown(report.subtitle))
downloads = st.columns([1, 1, 3])
stem = governors.file_stem(report)
download_button("Download PDF", data=lambda v=version, w=viewer, a=as_of, s=settings: _pdf(v, w, a, s),
                file_name=f"{stem}.pdf", mime="application/pdf", icon=":material/picture_as_pdf:", type="primary",
                what="governors' report (PDF)", container=downloads[0])
download_button("Download HTML", data=lambda v=version, w=viewer, a=as_of, s=settings: _html(v, w, a, s),
                file_name=f"{stem}.html", mime="text/html", icon=":material/download:", what="governors' report (HTML)",
                container=downloads[1])
for start in range(0, len(report.headlines), 3):
    row = report.headlines[start:start + 3]
    for col, h in zip(st.columns(3), row, strict=False):
        _tile(col, h)
for i, section in enumerate(report.sections):
    st.subheader(section.heading, anchor=False)
    for j, block in enumerate(section.blocks):
        _block(block, key=f"gov-{i}-{j}")
st.caption(report.footnote)
