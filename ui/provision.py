"""What the Provision map and Impact pages share: the provision loaded once per (data version, viewer, as-of date,
settings), the three filters, and the empty state.

Why shared: both pages read the same two results (senlib.views.provision.load); cached here, moving from the map to
the impact page does not run the rules again.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from senlib.access import Viewer
from senlib.views import provision
from ui import nav
from ui.state import cursor

Settings = tuple[str, ...] | None

EMPTY = ("No provision is recorded for this setting yet. Add a Provisions and a Pupil provisions sheet to a tracker — "
         "the template has them — or upload your provision map; the Upload page reads one row per pupil per "
         "intervention, or a grid with a tick per intervention.")


@st.cache_data(max_entries=8, show_spinner="Costing every intervention…")
def data(version: tuple, viewer: Viewer, as_of: date, settings: Settings) -> provision.Provision:
    return provision.load(cursor(), as_of, None if settings is None else list(settings), viewer=viewer)


def empty_state(viewer: Viewer) -> None:
    """The setting records no provision: say what to do (never zeros, never an error), then stop the page."""
    st.info(EMPTY, icon=":material/info:")
    if nav.UPLOAD in {p.path for p in nav.pages_for(viewer.role)}:
        st.page_link(nav.UPLOAD, label="Upload a tracker or provision map", icon=":material/upload_file:")
    st.stop()


def filters(options: dict[str, list[str]], *, areas: str, years: str, roles: str) -> provision.Filters:
    """Area of need, year group and staff role, side by side; each kept for the session."""
    cols = st.columns(3)
    a = cols[0].multiselect("Area of need", options["areas"], key=areas, format_func=provision.area_label,
                            placeholder="All areas", persist_state="session")
    y = cols[1].multiselect("Year group", options["years"], key=years, format_func=provision.year_label,
                            placeholder="All year groups", persist_state="session")
    r = cols[2].multiselect("Delivered by", options["roles"], key=roles, format_func=provision.role_label,
                            placeholder="All staff roles", persist_state="session")
    return provision.Filters(tuple(a) or None, tuple(y) or None, tuple(r) or None)
