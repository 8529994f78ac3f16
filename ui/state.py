"""The one cached DuckDB connection, a cursor per script run, and the session-state keys."""

from __future__ import annotations

import duckdb
import streamlit as st

from senlib import backup_schedule, serve, store

# Session-state keys, defined once.
AS_OF = "as_of"
USER = "user"
PUPIL_SEARCH = "pupil_search"          # pages/pupil.py: the text typed in the search box
PROGRESS_SETTINGS = "progress_settings"  # pages/progress.py: settings chosen in the filter
PROGRESS_OPEN = "progress_open"          # pages/progress.py: the Open button clicked in the stalled list
CASELOAD_SETTINGS = "caseload_settings"    # pages/caseload.py: settings chosen in the filter
CASELOAD_SEARCH = "caseload_search"        # pages/caseload.py: name or ID typed in the search box
CASELOAD_EVERYONE = "caseload_everyone"    # pages/caseload.py: include pupils not on the SEN register
CASELOAD_FILTER = "caseload_filter_"       # pages/caseload.py: prefix; + filter column (senlib.register.FILTERS)
CASELOAD_OPEN = "caseload_open"            # pages/caseload.py: the Open button clicked in the table
CASELOAD_CLEAR = "caseload_clear"          # pages/caseload.py: the button that clears filters and search
UPCOMING_SETTINGS = "upcoming_settings"    # pages/upcoming.py: settings chosen in the filter
UPCOMING_WEEKS = "upcoming_weeks"          # pages/upcoming.py: how many weeks ahead
UPCOMING_NAMES = "upcoming_names"          # pages/upcoming.py: full names (not initials) in the calendar file
UPCOMING_OPEN = "upcoming_open_"           # pages/upcoming.py: prefix; + table name, the Open button clicked
ESCALATIONS_SETTINGS = "escalations_settings"  # pages/escalations.py: settings chosen in the filter
ESCALATIONS_OPEN = "escalations_open_"     # pages/escalations.py: prefix; + rule id, the Open button clicked
COMPLIANCE_SETTINGS = "compliance_settings"  # pages/compliance.py: settings chosen in the filter
COMPLIANCE_PLANS = "compliance_plans"        # pages/compliance.py: plan types chosen in the filter
COMPLIANCE_YEARS = "compliance_years"        # pages/compliance.py: year groups chosen in the filter
GOVERNORS_SETTINGS = "governors_settings"    # pages/governors.py: settings the report covers
GOVERNORS_COMMENTARY = "governors_commentary"  # pages/governors.py: the SENCo's commentary being written (form field)
BACKUP_ENABLED = "backup_enabled"            # pages/backup.py: nightly backups on or off (form field)
BACKUP_FOLDER = "backup_folder"              # pages/backup.py: the nightly backups' folder (form field)
BACKUP_KEEP = "backup_keep"                  # pages/backup.py: how many nightly backups to keep (form field)
BACKUP_HOUR = "backup_hour"                  # pages/backup.py: the hour nightly backups run (form field)
BACKUP_RUN_NOW = "backup_run_now"            # pages/backup.py: the 'Run a backup now' button


@st.cache_resource(show_spinner=False)
def connection() -> duckdb.DuckDBPyConnection:
    """One connection per process (the database file allows one writer)."""
    con = store.connect()
    backup_schedule.start(con)  # nightly backups, if the SENCo switched them on: one thread per process
    serve.start(con)  # while the dashboard runs, the command line's commands run through this connection (senlib.serve)
    return con


def cursor() -> duckdb.DuckDBPyConnection:
    """A cursor for this script run; DuckDB cursors are safe to use from one thread each."""
    return connection().cursor()


def data_version() -> tuple:
    """A cheap fingerprint of the data, to key st.cache_data results: it changes with every import,
    undo, demo load, rule change or restore (each writes the audit log; sign-ins and exports do not count), with
    row counts, and with the database file."""
    cur = cursor()
    counts = cur.execute("SELECT (SELECT count(*) FROM pupils), (SELECT count(*) FROM reviews), (SELECT count(*) FROM scores)"
                         ).fetchall()[0]
    return (str(store.db_path()), *store.data_changes(cur), *counts)
