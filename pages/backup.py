"""Backup and restore (SENCo): the whole database as one file, and back."""

import tempfile
from pathlib import Path

import streamlit as st

from senlib import access, backup
from senlib.errors import SenlibError
from ui.auth import current_viewer
from ui.state import connection

st.title("Backup and restore")
viewer = current_viewer()
try:
    access.require_whole_database(viewer)
except access.AccessDenied as exc:
    st.error(str(exc))
    st.stop()
con = connection()

st.subheader("Download a backup")
st.write("One file with everything in the dashboard: pupils, plans, reviews, outcomes, imports with their original "
         "files, rule changes and the audit log. It holds special category personal data: keep it where only the "
         "SENCo can reach it (for example the school's encrypted storage), never in email.")
st.download_button("Download a backup", data=lambda: backup.backup_bytes(con.cursor(), viewer),
                   file_name=backup.backup_name(), mime="application/octet-stream",
                   icon=":material/download:", on_click="ignore", type="primary")

st.divider()
st.subheader("Restore from a backup")
st.write("Replaces everything in the dashboard with the contents of a backup file. The file is checked first; "
         "nothing changes unless the whole restore succeeds. The audit log is kept, with the backup's entries "
         "added and the restore recorded.")
limit = st.config.get_option("server.maxUploadSize")
upload = st.file_uploader("Backup file (.duckdb)", type=["duckdb"], key="restore_file",
                          help=f"Files up to {limit} MB. For a larger backup, stop the dashboard and run "
                               "`python -m senlib restore FILE` on this computer.")
if upload is not None:
    with tempfile.TemporaryDirectory(prefix="senlib-upload-") as tmp:
        path = Path(tmp) / Path(upload.name).name
        path.write_bytes(upload.getvalue())
        try:
            info = backup.check_backup(path)
        except SenlibError as exc:
            st.error(str(exc))
            st.stop()
        st.info("This backup holds " + info.describe())
        sure = st.checkbox("I understand this replaces everything now in the dashboard with this backup.", key="restore_sure")
        if st.button("Restore", type="primary", disabled=not sure, icon=":material/restore:"):
            try:
                with st.spinner("Restoring…"):
                    summary = backup.restore(con, path, viewer)
            except SenlibError as exc:
                st.error(str(exc))
            else:
                st.cache_data.clear()
                st.success(f"Restored {summary.tables.get('pupils', 0):,} pupils from {upload.name}. "
                           f"{summary.audit_rows_merged:,} audit entries from the backup were added to the log.")
