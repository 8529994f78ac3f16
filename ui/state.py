"""The one cached DuckDB connection, a cursor per script run, and the session-state keys."""

from __future__ import annotations

import duckdb
import streamlit as st

from senlib import store

# Session-state keys, defined once.
AS_OF = "as_of"
USER = "user"


@st.cache_resource(show_spinner=False)
def connection() -> duckdb.DuckDBPyConnection:
    """One connection per process (the database file allows one writer)."""
    return store.connect()


def cursor() -> duckdb.DuckDBPyConnection:
    """A cursor for this script run; DuckDB cursors are safe to use from one thread each."""
    return connection().cursor()
