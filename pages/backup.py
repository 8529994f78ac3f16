"""Backup and restore (SENCo): the whole database as one file, and back."""

import tempfile
from pathlib import Path

import streamlit as st

from senlib import access
from senlib.core.errors import SenlibError
from senlib.core.text import escape_markdown
from senlib.store import backup, backup_schedule
from ui import page
from ui.state import (
    BACKUP_ENABLED,
    BACKUP_FOLDER,
    BACKUP_HOUR,
    BACKUP_KEEP,
    BACKUP_RUN_NOW,
    RESTORE_FILE,
    RESTORE_SURE,
    connection,
)

viewer = page.start("Backup and restore", guard=access.require_whole_database).viewer
con = connection()

st.subheader("Download a backup")
st.write("One file with everything in the dashboard: pupils, plans, reviews, outcomes, imports with their original "
         "files, rule changes and the audit log. It holds special category personal data: keep it where only the "
         "SENCo can reach it (for example the school's encrypted storage), never in email.")
st.download_button("Download a backup", data=lambda: backup.backup_bytes(con.cursor(), viewer),
                   file_name=backup.backup_name(), mime="application/octet-stream",
                   icon=":material/download:", on_click="ignore", type="primary")

st.divider()
st.subheader("Nightly backups")
st.write("The dashboard can also make a backup by itself every night into a folder you choose, keeping the newest few "
         "and deleting its own older backups there (nothing else in the folder is touched). It runs while the dashboard is "
         "running and has been opened once since it started; if it was not running at the set time, it makes the backup "
         "once when it next is. Whether the last one worked is shown here and, if it did not, on the Overview.")
cur = con.cursor()
status = backup_schedule.status(cur, viewer)
plan = status.schedule
last_run = st.container()
for key, value in ((BACKUP_ENABLED, plan.enabled), (BACKUP_FOLDER, plan.folder or ""), (BACKUP_KEEP, plan.keep), (BACKUP_HOUR, plan.hour)):
    st.session_state.setdefault(key, value)
with st.form("backup_schedule_form"):
    st.toggle("Make a backup every night", key=BACKUP_ENABLED)
    st.text_input("Folder", key=BACKUP_FOLDER, placeholder=r"D:\SEN backups",
                  help="The whole path of a folder on this computer (created if it does not exist). Choose one only the SENCo "
                       "can reach, ideally on the school's encrypted drive; a second copy away from this computer protects "
                       "against losing the computer itself.")
    c1, c2 = st.columns(2)
    c1.number_input("How many to keep", min_value=1, max_value=backup_schedule.MAX_KEEP, step=1, key=BACKUP_KEEP)
    c2.selectbox("Time", list(range(24)), format_func=lambda h: f"{h:02d}:00", key=BACKUP_HOUR)
    if st.form_submit_button("Save", type="primary", icon=":material/save:"):
        try:
            plan = backup_schedule.save(con, viewer, enabled=st.session_state[BACKUP_ENABLED], folder=st.session_state[BACKUP_FOLDER],
                                        keep=st.session_state[BACKUP_KEEP], hour=st.session_state[BACKUP_HOUR])
        except SenlibError as exc:
            st.error(escape_markdown(str(exc)))
        else:
            st.success("Saved. " + (f"Backups are made every night at {plan.hour:02d}:00; if none was made since the last "
                                    f"{plan.hour:02d}:00, one is made within a minute." if plan.enabled else "Nightly backups are off."))
if st.button("Run a backup now", key=BACKUP_RUN_NOW, icon=":material/backup:", disabled=not plan.folder,
             help="One backup into the saved folder now, kept and pruned like the nightly ones."):
    with st.spinner("Writing a backup…"):
        backup_schedule.run_now(con, viewer)
status = backup_schedule.status(cur, viewer)
plan = status.schedule

with last_run:
    show = {"info": st.info, "error": st.error, "warning": st.warning, "success": st.success, "caption": st.caption}
    for kind, sentence in backup_schedule.last_run_lines(status):
        show[kind](escape_markdown(sentence))

if plan.folder:
    st.markdown(f"**Backups kept in the folder** ({len(status.kept)} of at most {plan.keep})")
    if status.kept:
        st.dataframe([{"File": k.name, "Made": f"{k.modified:%d/%m/%Y %H:%M}", "Size": backup_schedule.human_size(k.bytes)}
                      for k in status.kept], hide_index=True)
    else:
        st.caption("None yet." if status.folder_found else "The folder cannot be found just now.")

st.divider()
st.subheader("Restore from a backup")
st.write("Replaces everything in the dashboard with the contents of a backup file. The file is checked first; "
         "nothing changes unless the whole restore succeeds. The audit log is kept, with the backup's entries "
         "added and the restore recorded.")
limit = st.config.get_option("server.maxUploadSize")
upload = st.file_uploader("Backup file (.duckdb)", type=["duckdb"], key=RESTORE_FILE,
                          help=f"Files up to {limit} MB. For a larger backup, stop the dashboard and run "
                               "`python -m senlib restore FILE` on this computer.")
if upload is not None:
    with tempfile.TemporaryDirectory(prefix="senlib-upload-") as tmp:
        path = Path(tmp) / Path(upload.name).name
        path.write_bytes(upload.getvalue())
        try:
            info = backup.check_backup(path)
        except SenlibError as exc:
            st.error(escape_markdown(exc))
            st.stop()
        st.info(escape_markdown("This backup holds " + info.describe()))
        sure = st.checkbox("I understand this replaces everything now in the dashboard with this backup.", key=RESTORE_SURE)
        if st.button("Restore", type="primary", disabled=not sure, icon=":material/restore:"):
            try:
                with st.spinner("Restoring…"):
                    summary = backup.restore(con, path, viewer)
            except SenlibError as exc:
                st.error(escape_markdown(exc))
            else:
                st.cache_data.clear()
                st.success(escape_markdown(f"Restored {summary.tables.get('pupils', 0):,} pupils from {upload.name}. "
                           f"{summary.audit_rows_merged:,} audit entries from the backup were added to the log."))
