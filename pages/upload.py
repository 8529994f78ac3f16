"""Upload trackers (SENCo): preview with the detected mapping, check, import (all-or-nothing, or valid
rows only), rejected rows back as Excel, confirm leavers, undo, and the template. Logic lives in senlib.importer."""

import hashlib
import logging
from datetime import date

import streamlit as st

from senlib import access, importer
from senlib.core.errors import SenlibError
from senlib.core.text import counted, escape_markdown
from senlib.render import exports
from senlib.store import setting_details
from ui import page
from ui.state import (
    UPLOAD_FILES,
    UPLOAD_FIT,
    UPLOAD_MAP,
    UPLOAD_PREPARED,
    UPLOAD_RESULT,
    UPLOAD_SCORE_DATE,
    UPLOAD_UNDO_ASKED,
    UPLOAD_UNDO_DONE,
    connection,
)
from ui.widgets import download_button, text_table

# Session-state keys of this page.
UPLOAD, RESULT, FILES, FIT = UPLOAD_PREPARED, UPLOAD_RESULT, UPLOAD_FILES, UPLOAD_FIT
UNDO_ASKED, UNDO_DONE = UPLOAD_UNDO_ASKED, UPLOAD_UNDO_DONE

viewer = page.start("Upload trackers", guard=access.require_senco).viewer
con = connection()
cur = con.cursor()

with st.sidebar:
    st.download_button("Download the template", data=importer.write_template, file_name="sen-caseload-template.xlsx",
                       mime=exports.XLSX_MIME,
                       icon=":material/download:", on_click="ignore",
                       help="One sheet per kind of record, with notes, drop-down lists and an example row.")

tab_upload, tab_history = st.tabs(["Upload", "Imports and undo"])

def upload_tab() -> None:
    """Files -> preview and mapping -> check / import -> problems, rejected rows, leavers."""
    st.write("Upload your tracker as it is (.xlsx, .xlsm, .xls, .ods or .csv): one or several files, any layout. "
             "Check the preview, then import. Nothing is written unless the whole import succeeds, and any import "
             "can be undone.")
    files = st.file_uploader("Tracker files", type=["xlsx", "xlsm", "xls", "ods", "csv"], accept_multiple_files=True,
                             key=FILES)
    if not files:
        st.info("Choose one or more tracker files to see a preview. No tracker yet? Download the template from the "
                "sidebar.", icon=":material/upload_file:")
        return
    payload = [(f.name, f.getvalue()) for f in files]
    fingerprint = hashlib.sha256(b"".join(hashlib.sha256(d).digest() + n.encode() for n, d in payload)).hexdigest()
    if st.session_state.get(UPLOAD, (None,))[0] != fingerprint:
        st.session_state.pop(RESULT, None)
        try:
            st.session_state[UPLOAD] = (fingerprint, importer.prepare(cur, payload))
        except SenlibError as exc:
            st.session_state.pop(UPLOAD, None)
            st.error(escape_markdown(exc), icon=":material/error:")
            return
    upload: importer.Upload = st.session_state[UPLOAD][1]

    for file, sheet, reason in upload.skipped:
        st.caption(f"Skipped sheet **{escape_markdown(sheet)}** of {escape_markdown(file)}: {escape_markdown(reason)}.")

    st.subheader("Preview")
    for file_idx, plan in upload.importable:
        label = (f"{escape_markdown(upload.workbooks[file_idx].file_name)} — sheet {escape_markdown(plan.sheet)}: "
                 f"{importer.ENTITY_LABELS[plan.entity]}")
        with st.expander(label, expanded=len(upload.importable) == 1):
            if plan.remembered:
                st.caption("Using the mapping you chose for a file with the same headings last time.")
            st.caption(f"Header found on row {(plan.header_row or 0) + 1}. Change what a column maps to if it is wrong; "
                       "the choice is remembered for the next file with the same headings.")
            for line in importer.recognised_lines(upload, file_idx, plan):
                st.info(escape_markdown(line), icon=":material/table_view:")
            choices = list(importer.field_choices(plan.entity))
            edited = st.data_editor(
                importer.mapping_frame(upload, file_idx, plan), hide_index=True, width="stretch",
                key=f"{UPLOAD_MAP}{file_idx}_{plan.sheet}", disabled=["Heading", "Examples"],
                column_config={"Maps to": st.column_config.SelectboxColumn("Maps to", options=choices, required=True)})
            if importer.edit_mapping(plan, edited):
                importer.remember_mapping(cur, plan)
                st.session_state.pop(RESULT, None)
                st.rerun()
            scored = importer.score_columns(plan)
            if scored:
                undated = importer.undated_score_columns(plan)
                st.markdown("**When the scores were given**")
                if undated:
                    st.warning("Give the date the scores were given for " + ", ".join(
                        f"**{escape_markdown(h)}**" for h in undated) + ". Dates are remembered for the next upload.",
                        icon=":material/event:")
                boxes = st.columns(4)
                given = {h: boxes[i % 4].date_input(escape_markdown(h), value=d, format="DD/MM/YYYY",
                                                    key=f"{UPLOAD_SCORE_DATE}{file_idx}_{plan.sheet}_{h}")
                         for i, (h, d) in enumerate(scored)}
                if importer.set_score_dates(plan, given):
                    importer.remember_mapping(cur, plan)
                    st.session_state.pop(RESULT, None)
                    st.rerun()
            st.dataframe(importer.sample_rows(upload, file_idx, plan), hide_index=True, width="stretch")
    checks = importer.checks_line(upload)  # what the rules cannot check from these columns: 'not tracked'
    if checks:
        st.info(escape_markdown(checks), icon=":material/rule:")

    settings = list(setting_details.details(cur, viewer=viewer)["setting"])
    NEW = "A new setting…"
    if st.session_state.get(FIT, (None,))[0] != fingerprint:   # once per set of files: it stages the pupils
        suggested, why = importer.suggest_setting(cur, upload, settings, viewer=viewer)
        st.session_state[FIT] = (fingerprint, suggested, why, importer.register_fits(cur, upload, viewer=viewer))
    _, suggested, why, fits = st.session_state[FIT]
    left, right = st.columns(2)
    pick = left.selectbox("Setting these files are for", settings + [NEW],
                          index=settings.index(suggested) if suggested in settings else None,
                          placeholder="Choose a setting",
                          help="Used for rows without a Setting column. A trust-wide tracker with a School column "
                               "needs no choice here.")
    if suggested:
        left.caption(escape_markdown(f"Suggested: {suggested} ({why})."))
    elif settings:
        left.caption("Nothing in these files points to a setting you have: choose one, or a new setting.")
    setting = right.text_input("Name of the new setting") if pick == NEW or not settings else pick
    full = st.checkbox("These files are the whole register of the setting (list pupils missing from them as possible leavers)",
                       value=False)
    fit = fits.get(setting) if setting else None
    mismatch = fit.warning(full) if fit else None
    confirmed = True
    if mismatch:
        st.warning(escape_markdown(mismatch), icon=":material/warning:")
        confirmed = st.checkbox(f"Yes, these files are for {escape_markdown(setting)}", key=f"{FIT}_yes_{setting}")
    valid_only = st.checkbox("Import the valid rows only (rows with errors are left out and given back as an Excel file)")

    def _run(dry_run: bool):
        try:
            return importer.run(con, upload, setting=setting or None, user=viewer.name, dry_run=dry_run,
                                accept_valid_rows=valid_only, full_register=full, allowed_settings=viewer.settings)
        except SenlibError as exc:
            return exc
        except Exception as exc:  # noqa: BLE001 - e.g. the disk is full: the import was rolled back; say so, never a traceback
            logging.getLogger(__name__).exception("import failed")
            return SenlibError(f"The import stopped before it finished ({type(exc).__name__}: {exc}). Nothing was written.",
                               fix="Try again; if it happens again, check the disk has space and keep the file to report it.")

    c1, c2 = st.columns(2)
    if c1.button("Check", icon=":material/fact_check:"):
        with st.spinner("Checking…"):
            st.session_state[RESULT] = _run(dry_run=True)
    if c2.button("Import", type="primary", icon=":material/upload:", disabled=not confirmed,
                 help=None if confirmed else "Confirm the setting above first."):
        with st.spinner("Importing…"):
            st.session_state[RESULT] = _run(dry_run=False)
        st.session_state.pop(FIT, None)   # the registers changed
        st.cache_data.clear()

    result = st.session_state.get(RESULT)
    if isinstance(result, SenlibError):
        st.error(escape_markdown(result.message + (f" {result.fix}" if result.fix else "")), icon=":material/block:")
        table = getattr(result, "table", None)
        if table is not None and len(table):
            text_table(table)
        if getattr(result, "rejected", None):
            download_button("Download the rows with errors (with a reason column)", what="rows with errors",
                            data=lambda r=result.rejected: importer.rejected_workbook(r), file_name="rows-with-errors.xlsx",
                            mime=exports.XLSX_MIME, icon=":material/download:")
    elif result is not None:
        if result.dry_run:
            st.info("Check passed — nothing has been written yet. This is what Import would do:", icon=":material/check:")
        else:
            st.success(f"Imported as import {', '.join(map(str, result.import_ids))}.", icon=":material/check_circle:")
        for line in importer.summary_lines(result):
            st.write("- " + line)
        if len(result.problems):
            st.write(f"**{len(result.errors)} error(s), {len(result.warnings)} warning(s)** (warnings do not block):")
            text_table(result.problems)
        if result.rejected:
            download_button("Download the rejected rows (with a reason column)", what="rejected rows",
                            data=lambda r=result.rejected: importer.rejected_workbook(r), file_name="rejected-rows.xlsx",
                            mime=exports.XLSX_MIME, icon=":material/download:")
        if not result.dry_run and len(result.possible_leavers):
            st.subheader("Confirm leavers")
            st.write(f"{counted(len(result.possible_leavers), 'pupil')} {'is' if len(result.possible_leavers) == 1 else 'are'} "
                     "in the database but not in this upload. Tick those who "
                     "have left; they get a leaving date (nothing is deleted, and undo reverts it).")
            names = {r["pupil_id"]: " ".join(str(r[k]) for k in ("first_name", "last_name") if r[k]) + f" ({r['pupil_id']})"
                     for r in result.possible_leavers.to_dict("records")}
            chosen = st.multiselect("Pupils who have left", list(names), format_func=names.get)
            when = st.date_input("Leaving date", value=date.today(), format="DD/MM/YYYY")
            if st.button("Confirm leavers", disabled=not chosen):
                try:
                    n = importer.confirm_leavers(con, result.import_ids[-1], chosen, when, viewer.name, viewer=viewer)
                    st.success(f"{counted(n, 'pupil')} given a leaving date.")
                    st.cache_data.clear()
                except SenlibError as exc:
                    st.error(escape_markdown(exc))


with tab_upload:
    upload_tab()

with tab_history:
    imports = importer.list_imports(cur, viewer=viewer)
    if imports.empty:
        st.info("No imports yet.")
    else:
        shown = imports.rename(columns={"import_id": "Import", "created_at": "When", "user_name": "By", "file_name": "File",
                                        "setting": "Setting", "status": "Status", "pupils_added": "Pupils added",
                                        "pupils_changed": "Pupils changed", "rows_added": "Other rows added",
                                        "possible_leavers": "Possible leavers", "problems": "Problems"})
        st.dataframe(shown.drop(columns=["undone_at"]), hide_index=True, width="stretch")
        done = imports[imports["status"] == "done"]
        if len(done):
            which = st.selectbox("Import to undo", done["import_id"].tolist(),
                                 format_func=lambda i: f"{i}: {done.set_index('import_id').loc[i, 'file_name']}")
            if st.button("Undo this import", icon=":material/undo:"):
                st.session_state[UNDO_ASKED] = int(which)
            if st.session_state.get(UNDO_ASKED) == int(which):
                st.warning(escape_markdown(importer.describe_undo_plan(importer.import_summary(cur, int(which), viewer=viewer),
                                                                       int(which))), icon=":material/undo:")
                yes, no = st.columns(2)
                if yes.button(f"Yes, undo import {int(which)}", type="primary"):
                    st.session_state.pop(UNDO_ASKED, None)
                    try:
                        r = importer.undo(con, int(which), viewer.name, viewer=viewer)
                        st.session_state[UNDO_DONE] = importer.describe_undo(r)
                        st.cache_data.clear()
                    except SenlibError as exc:
                        st.session_state[UNDO_DONE] = exc
                    st.rerun()   # the table above then shows the import as undone
                if no.button("Cancel"):
                    st.session_state.pop(UNDO_ASKED, None)
                    st.rerun()
    said = st.session_state.pop(UNDO_DONE, None)
    if isinstance(said, SenlibError):
        st.error(escape_markdown(said))
    elif said:
        st.success(escape_markdown(said))

