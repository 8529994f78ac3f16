"""The one cached DuckDB connection, a cursor per script run, and the session-state keys."""

from __future__ import annotations

import duckdb
import streamlit as st

from senlib import store

# Session-state keys, defined once.
AS_OF = "as_of"
USER = "user"
PUPIL_SEARCH = "pupil_search"          # pages/pupil.py: the text typed in the search box
PROGRESS_SETTINGS = "progress_settings"  # pages/progress.py: settings chosen in the filter


@st.cache_resource(show_spinner=False)
def connection() -> duckdb.DuckDBPyConnection:
    """One connection per process (the database file allows one writer)."""
    return store.connect()


def cursor() -> duckdb.DuckDBPyConnection:
    """A cursor for this script run; DuckDB cursors are safe to use from one thread each."""
    return connection().cursor()


def data_version() -> tuple:
    """A cheap fingerprint of the data, to key st.cache_data results: it changes with every import,
    undo, demo load or rule change (each writes the audit log), with row counts, and with the database file."""
    counts = cursor().execute(
        "SELECT (SELECT count(*) FROM audit), (SELECT max(logged_at) FROM audit), (SELECT count(*) FROM pupils),"
        " (SELECT count(*) FROM reviews), (SELECT count(*) FROM scores)"
    ).fetchall()[0]
    return (str(store.db_path()), *counts)
