"""What every page shares: one skeleton (title, guard, empty state, as-of date and settings in one call), the
rules result the caseload pages read, and the Open button of a list of pupils.

Why: a page is a few dozen lines that read state, call senlib and render; everything before the first chart is the
same on every page, so it is written once (`start`). The pages that list pupils (Overview, Caseload, Upcoming,
Escalations, Compliance) read the same rules result (every pupil's status and flags), so it is evaluated once per
(data version, viewer, as-of date, settings) and shared, not copied, between pages and runs; and a list of pupils
opens a pupil in the same tab, so the as-of date and the filters stay.
(The pages' own widgets keep their values with persist_state="session"; the shared settings
filter of ui.widgets does not take that option, so its value is kept here.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd
import streamlit as st

from senlib import access, store
from senlib.core.text import escape_markdown
from senlib.rules import pupil_status
from senlib.views import overview, pupil
from ui import nav
from ui.auth import current_viewer
from ui.state import KEPT, cursor, data_version
from ui.widgets import as_of_input, empty_state, settings_filter

_KEPT = KEPT


@dataclass(frozen=True)
class Page:
    """What a page knows once `start` has let it through: who is asking, the database, its version (the cache
    key of every query), the as-of date and the settings chosen (None: every setting the viewer may see)."""

    viewer: access.Viewer
    cur: duckdb.DuckDBPyConnection
    version: tuple
    as_of: date | None = None
    settings: tuple[str, ...] | None = None


def start(title: str, *, guard: Callable[[access.Viewer], object] = access.require_staff, empty: str | None = None,
          as_of: bool = False, settings_key: str | None = None) -> Page:
    """The top of every page: its title; the role check (`guard`, an access.require_* gate: the page stops with
    its message for anyone else); with `empty`, the empty state (what this page shows, how to get data) when the
    database holds no pupils; the as-of date picker; with `settings_key`, the sidebar's settings filter, kept
    across pages, never beyond what the viewer may see."""
    st.title(title)
    viewer = current_viewer()
    try:
        guard(viewer)
    except access.AccessDenied as exc:
        st.error(escape_markdown(f"{exc.message} {exc.fix or ''}".strip()))
        st.stop()
    cur = cursor()
    if empty is not None and store.is_empty(cur):
        empty_state(empty)
        st.stop()
    version = data_version()
    day = as_of_input() if as_of else None
    settings = _scope(version, viewer, settings_key) if settings_key else None
    return Page(viewer, cur, version, day, settings)


@st.cache_resource(max_entries=8, show_spinner="Checking the rules…")
def status_frame(version: tuple, viewer: access.Viewer, as_of: date, settings: tuple[str, ...] | None) -> pd.DataFrame:
    """Every pupil's review status and flags on `as_of` for `viewer` (senlib.rules.pupil_status, which checks the
    role and narrows the settings). Shared: read it, never change it. The viewer is passed in, not read from the
    session, so a download made after the run (a deferred file) asks for the same viewer."""
    return pupil_status(cursor(), as_of, settings=None if settings is None else list(settings), viewer=viewer)


@st.cache_data(max_entries=4, show_spinner=False)
def settings_list(version: tuple, viewer: access.Viewer) -> list[str]:
    """Every setting with pupils the viewer may see, for the trust filter."""
    return overview.settings_list(cursor(), viewer=viewer)


def _scope(version: tuple, viewer: access.Viewer, key: str) -> tuple[str, ...] | None:
    """The settings a page evaluates: those chosen in the sidebar filter, never beyond what the viewer may see
    (None: every setting). `start` has checked the viewer already."""
    visible = settings_list(version, viewer)
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
