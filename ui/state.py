"""The one cached DuckDB connection, a cursor per script run, and the session-state keys."""

from __future__ import annotations

import duckdb
import streamlit as st

from senlib import store
from senlib.cli import serve
from senlib.store import backup_schedule

# Session-state keys, defined once.
AS_OF = "as_of"
USER = "user"
PUPIL_SEARCH = "pupil_search"          # pages/pupil.py: the text typed in the search box
PROGRESS_SETTINGS = "progress_settings"  # pages/progress.py: settings chosen in the filter
PROGRESS_OPEN = "progress_open"          # pages/progress.py: the Open button clicked in the stalled list
CASELOAD_SETTINGS = "caseload_settings"    # pages/caseload.py: settings chosen in the filter
CASELOAD_SEARCH = "caseload_search"        # pages/caseload.py: name or ID typed in the search box
CASELOAD_EVERYONE = "caseload_everyone"    # pages/caseload.py: include pupils not on the SEN register
CASELOAD_FILTER = "caseload_filter_"       # pages/caseload.py: prefix; + filter column (senlib.views.caseload.FILTERS)
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
PROVISION_SETTINGS = "provision_settings"    # pages/provision.py: settings chosen in the filter
PROVISION_AREAS = "provision_areas"          # pages/provision.py: areas of need chosen in the filter
PROVISION_YEARS = "provision_years"          # pages/provision.py: year groups chosen in the filter
PROVISION_ROLES = "provision_roles"          # pages/provision.py: staff roles chosen in the filter
PROVISION_PICK = "provision_pick"            # pages/provision.py: the intervention whose pupils are listed
PROVISION_OPEN = "provision_open"            # pages/provision.py: the Open button clicked in that list
PROVISION_FLAG_OPEN = "provision_flag_open"  # pages/provision.py: the Open button clicked in the list of flags
IMPACT_SETTINGS = "impact_settings"          # pages/impact.py: settings chosen in the filter
IMPACT_AREAS = "impact_areas"                # pages/impact.py: areas of need chosen in the filter
IMPACT_YEARS = "impact_years"                # pages/impact.py: year groups chosen in the filter
IMPACT_ROLES = "impact_roles"                # pages/impact.py: staff roles chosen in the filter
IMPACT_X = "impact_x"                        # pages/impact.py: cost per pupil or cost a year across the chart
GOVERNORS_SETTINGS = "governors_settings"    # pages/governors.py: settings the report covers
GOVERNORS_COMMENTARY = "governors_commentary"  # pages/governors.py: the SENCo's commentary being written (form field)
BACKUP_ENABLED = "backup_enabled"            # pages/backup.py: nightly backups on or off (form field)
BACKUP_FOLDER = "backup_folder"              # pages/backup.py: the nightly backups' folder (form field)
BACKUP_KEEP = "backup_keep"                  # pages/backup.py: how many nightly backups to keep (form field)
BACKUP_HOUR = "backup_hour"                  # pages/backup.py: the hour nightly backups run (form field)
BACKUP_RUN_NOW = "backup_run_now"            # pages/backup.py: the 'Run a backup now' button
RESTORE_FILE = "restore_file"                # pages/backup.py: the backup file chosen for a restore
RESTORE_SURE = "restore_sure"                # pages/backup.py: 'I understand this replaces everything'
UPLOAD_PREPARED = "upload_prepared"          # pages/upload.py: (files fingerprint, importer.Upload)
UPLOAD_RESULT = "upload_result"              # pages/upload.py: the last ImportResult, or the last check's ImportRefused
UPLOAD_FILES = "upload_files"                # pages/upload.py: the file uploader
UPLOAD_FIT = "upload_fit"                    # pages/upload.py: (fingerprint, suggested setting, why, {setting: Fit});
                                             #   + '_yes_' + setting: the 'Yes, these files are for …' box
UPLOAD_UNDO_ASKED = "upload_undo_asked"      # pages/upload.py: the import whose undo waits for a yes
UPLOAD_UNDO_DONE = "upload_undo_done"        # pages/upload.py: what the last undo did (shown once)
UPLOAD_MAP = "map_"                          # pages/upload.py: prefix; + file index + sheet, a sheet's mapping table
UPLOAD_SCORE_DATE = "score_date_"            # pages/upload.py: prefix; + file, sheet, heading: a score column's date
RULES_DONE = "_rules_page_done"              # pages/rules.py: the last change's message, shown after the rerun
ROLE_COST_SETTING = "role_cost_setting"      # pages/rules.py: the setting whose hourly costs by role are shown
ROLE_COST_ROLE = "role_cost_role"            # pages/rules.py: the role whose hourly cost is being changed
ROLE_COST_VALUE = "role_cost_value"          # pages/rules.py: the hourly cost typed
LETTERS_SETTING = "letters_setting"          # ui/letters.py: the setting whose letters and forms are shown
LETTERS_DOCUMENT = "letters_document"        # ui/letters.py: the document whose template is being changed
LETTERS_FILE = "letters_file"                # ui/letters.py: the edited Word template uploaded
AS_OF_WIDGET = "_as_of_widget"               # ui/widgets.py: the as-of date box (its value is copied to AS_OF)
KEPT = "_kept_"                              # ui/page.py: prefix; + a filter's key, its value kept across pages
SIGNED_IN_AUDITED = "_signed_in_audited"     # ui/auth.py: the sign-in already written to the audit log
LOGIN = "login_"                             # ui/auth.py: prefix; + provider name, its sign-in button
SIGN_OUT = "sign_out"                        # ui/auth.py: the sign-out button
PUPIL_TIMELINE = "timeline"                  # pages/pupil.py: the graduated-response chart
MEETING_DONE = "_meeting_done"               # ui/meetings.py: the last change's message and warnings, shown after the rerun
MEETING_SCHEDULE = "meeting_schedule_"       # ui/meetings.py: prefix; + field, the 'Schedule the next review' form
MEETING_CHANGE = "meeting_change_"           # ui/meetings.py: prefix; + field, the scheduled review's change form
MEETING_CANCEL = "meeting_cancel"            # ui/meetings.py: the 'Cancel this review' button (asks for a yes)
MEETING_CANCEL_ASKED = "_meeting_cancel_asked"  # ui/meetings.py: the review whose cancelling waits for a yes
MEETING_INVITEES = "meeting_invitees_"       # ui/meetings.py: prefix; + review id, the invitees table being edited
MEETING_INVITEES_SAVE = "meeting_invitees_save"  # ui/meetings.py: the invitees' Save button
MEETING_SENT = "meeting_sent"                # ui/meetings.py: the 'Invitations sent today' button
MEETING_PDF = "meeting_pdf"                  # ui/meetings.py: the 'Make the PDFs' button
MEETING_PDF_MADE = "_meeting_pdf_made"       # ui/meetings.py: the (review id, data version) whose PDFs are made
MEETING_DOCUMENT = "meeting_document"        # ui/meetings.py: the document chosen to download on its own
MEETING_RECORD = "meeting_record_"           # ui/meetings.py: prefix; + field (+ outcome id), the record form
MEETING_ACTIONS = "meeting_actions_"         # ui/meetings.py: prefix; + review id, a recorded review's actions table
MEETING_ACTIONS_SAVE = "meeting_actions_save_"  # ui/meetings.py: prefix; + review id, its 'Save actions done' button
MEETING_REPORT = "meeting_report_"           # ui/meetings.py: prefix; + review id (+ '_go'), the report-sent date and button
MEETING_TAKE_BACK = "meeting_take_back"      # ui/meetings.py: the Take back button of the newest change
MEETING_TAKE_BACK_ASKED = "_meeting_take_back_asked"  # ui/meetings.py: the change whose taking back waits for a yes
MEETING_CONFIRM = "meeting_confirm_"         # ui/meetings.py: prefix; + what, the 'Yes' and 'No' of a question asked
MEETING_OPEN_SCHEDULE = "_meeting_open_schedule"  # pages/upcoming.py -> ui/meetings.py: the pupil to schedule for
UPCOMING_SCHEDULE = "upcoming_schedule"      # pages/upcoming.py: the Schedule button clicked in the reviews list
UPCOMING_PACK = "upcoming_pack_"             # pages/upcoming.py: prefix; + field, the 'Packs for a date range' form
UPCOMING_PACK_JOB = "_upcoming_pack_job"     # pages/upcoming.py: the pack being made in the background (PackJob)


@st.cache_resource(show_spinner=False)
def connection() -> duckdb.DuckDBPyConnection:
    """One connection per process (the database file allows one writer)."""
    con = store.connect()
    backup_schedule.start(con)  # nightly backups, if the SENCo switched them on: one thread per process
    serve.start(con)  # while the dashboard runs, the command line's commands run through this connection (senlib.cli.serve)
    return con


def cursor() -> duckdb.DuckDBPyConnection:
    """A cursor for this script run; DuckDB cursors are safe to use from one thread each."""
    return connection().cursor()


def data_version() -> tuple:
    """The key of every st.cache_data result (senlib.store.data_version: it changes whenever the data does)."""
    return store.data_version(cursor())
