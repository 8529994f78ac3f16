"""Shared by the SENCo pages (Caseload, Upcoming reviews, Escalations).

Why: the three pages read the same rules result (every pupil's status and flags), so it is
evaluated once per (data version, as-of date, settings) and shared, not copied, between
pages and runs; every page limits it to the settings the signed-in viewer may see; and a
list of pupils opens a pupil in the same tab, so the as-of date and the filters stay.
(The pages' own widgets keep their values with persist_state="session"; the shared settings
filter of ui.widgets does not take that option, so its value is kept here.)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import pandas as pd
import streamlit as st

from senlib import access
from senlib.rules import pupil_status
from senlib.views import overview, pupil
from ui import nav
from ui.auth import current_viewer
from ui.state import KEPT, cursor
from ui.widgets import settings_filter

_KEPT = KEPT


def status_frame(version: tuple, as_of: date, settings: tuple[str, ...] | None) -> pd.DataFrame:
    """Every pupil's review status and flags on `as_of` for the signed-in viewer (senlib.rules.pupil_status,
    which checks the role and narrows the settings). Shared: read it, never change it."""
    return _status_frame(version, as_of, settings, current_viewer())


@st.cache_resource(max_entries=8, show_spinner="Checking the rules…")
def _status_frame(version: tuple, as_of: date, settings: tuple[str, ...] | None, viewer: access.Viewer) -> pd.DataFrame:
    return pupil_status(cursor(), as_of, settings=None if settings is None else list(settings), viewer=viewer)


@st.cache_data(max_entries=4, show_spinner=False)
def settings_list(version: tuple) -> list[str]:
    """Every setting with pupils, for the trust filter."""
    return overview.settings_list(cursor())


def scope(version: tuple, key: str) -> tuple[str, ...] | None:
    """The settings a page evaluates: those chosen in the sidebar filter, never beyond what the signed-in
    viewer may see (None: every setting). Stops the page, saying why, for a viewer who may not see pupils."""
    viewer = current_viewer()
    try:
        access.require_staff(viewer)
    except access.AccessDenied as exc:
        st.error(str(exc))
        st.stop()
    visible = [s for s in settings_list(version) if viewer.may_see_setting(s)]
    _restore(key, visible)
    chosen = settings_filter(visible, key=key)
    _remember(key)
    if chosen:
        return tuple(chosen)
    return None if viewer.settings is None else tuple(sorted(viewer.settings))


def _restore(key: str, allowed: Iterable[str] | None = None) -> None:
    """Before drawing the widget `key`: give it back the value it had when the user last left the page.

    With `allowed`, a list value keeps only the options that still exist (the data, the date or another filter
    may have changed them), so the widget never holds a value it cannot show.
    """
    current = st.session_state.get(key, st.session_state.get(_KEPT + key))
    if current is None:
        return
    if allowed is not None and isinstance(current, list):
        options = set(allowed)
        kept = [v for v in current if v in options]
        if kept != current or key not in st.session_state:
            st.session_state[key] = kept
    elif key not in st.session_state:
        st.session_state[key] = current


def _remember(*keys: str) -> None:
    """After drawing the widgets: keep their values for the next visit to the page."""
    for key in keys:
        if key in st.session_state:
            st.session_state[_KEPT + key] = st.session_state[key]


def open_clicked_pupil(click_key: str, keys: pd.Series) -> None:
    """If an Open button of a table was pressed this run, go to that pupil's page (same tab: the as-of date stays).

    `keys` are the table's pupil keys ('SETTING|ID') in the order the rows were given to st.dataframe.
    """
    click = st.session_state.get(click_key)
    if click is None:
        return
    row = click["row"]
    if 0 <= row < len(keys):
        st.switch_page(nav.PUPIL, query_params={pupil.QUERY_PARAM: str(keys.iloc[row])})


def open_button(key: str) -> st.column_config.ButtonColumn:
    """The first column of a list of pupils: an Open button (its cell value is the label)."""
    return st.column_config.ButtonColumn("", type="tertiary", key=key, help="Open the pupil's record", width="small")
