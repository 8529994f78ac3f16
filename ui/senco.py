"""Shared by the SENCo pages (Caseload, Upcoming reviews, Escalations).

Why: the three pages read the same rules result (every pupil's status and flags), so it is
evaluated once per (data version, as-of date, settings) and shared, not copied, between
pages and runs; and a SENCo who filters a list, opens a pupil and comes back expects the
filters still set (Streamlit forgets a widget's value on a page that does not show it).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import pandas as pd
import streamlit as st

from senlib import caseload
from senlib.rules import pupil_status
from ui.state import cursor

_KEPT = "_kept_"


@st.cache_resource(max_entries=8, show_spinner="Checking the rules…")
def status_frame(version: tuple, as_of: date, settings: tuple[str, ...] | None) -> pd.DataFrame:
    """Every pupil's review status and flags on `as_of` (senlib.rules.pupil_status). Shared: read it, never change it."""
    return pupil_status(cursor(), as_of, settings=list(settings) if settings else None)


@st.cache_data(max_entries=4, show_spinner=False)
def settings_list(version: tuple) -> list[str]:
    """Every setting with pupils, for the trust filter."""
    return caseload.settings_list(cursor())


def restore(key: str, allowed: Iterable[str] | None = None) -> None:
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


def remember(*keys: str) -> None:
    """After drawing the widgets: keep their values for the next visit to the page."""
    for key in keys:
        if key in st.session_state:
            st.session_state[_KEPT + key] = st.session_state[key]
