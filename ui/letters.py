"""Rules page: the setting's own wording of each review letter and form (Word templates with placeholders)."""

from __future__ import annotations

import streamlit as st

from senlib import access
from senlib.core.errors import SenlibError
from senlib.core.names import REVIEW_DOCUMENTS
from senlib.core.text import escape_markdown
from senlib.documents import templates
from senlib.documents.placeholders import placeholder_table
from ui.state import LETTERS_DOCUMENT, LETTERS_FILE, LETTERS_SETTING, RULES_DONE
from ui.widgets import download_button, text_table

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def letters_section(cur, viewer: access.Viewer, settings: list[str]) -> None:
    """Which template each document uses, its download, and (SENCo) an edited one uploaded or back to the default."""
    st.subheader("Letters and forms for review meetings", anchor=False)
    st.caption("The invitation, requests for advice, agenda, checklist, record form and report to the council are "
               "made from Word templates. Download one, change its wording in Word, keep the placeholders in "
               "{{ }} where the pupil's details go, and upload it back: every letter of the setting then uses it. "
               "A template is checked before it is kept; one with a placeholder the app does not know is refused.")
    if not settings:
        st.info("Add a setting first (upload its tracker); its letters then appear here.", icon=":material/info:")
        return
    setting = st.selectbox("Setting", settings, key=LETTERS_SETTING) if len(settings) > 1 else settings[0]
    in_force = templates.templates_in_force(cur, setting)
    st.dataframe(in_force.assign(source=in_force["source"].map(templates.SOURCES))[
        ["label", "source", "file_name", "uploaded_by", "uploaded_at"]], hide_index=True, width="stretch",
        placeholder="", column_config={"label": "Document", "source": "Wording", "file_name": "File",
                                       "uploaded_by": "Uploaded by", "uploaded_at": st.column_config.DatetimeColumn(
                                           "Uploaded at", format="DD/MM/YYYY HH:mm")})
    document = st.selectbox("Document", list(REVIEW_DOCUMENTS), format_func=REVIEW_DOCUMENTS.get, key=LETTERS_DOCUMENT)
    label = REVIEW_DOCUMENTS[document]
    download_button(f"Download the {label.lower()} template", lambda: templates.template_bytes(cur, setting, document),
                    file_name=f"{label} template.docx", mime=DOCX, what=f"letter template {document}",
                    icon=":material/download:")
    with st.expander("Placeholders you can use", icon=":material/data_object:"):
        text_table(placeholder_table(document), max_rows=60,
                   config={"placeholder": "Placeholder", "what": "What it becomes",
                           "in the default": st.column_config.CheckboxColumn("In the default")})
    if not viewer.can_write:
        st.caption("Only the SENCo changes the wording of the letters.")
        return
    upload = st.file_uploader(f"Upload your edited {label.lower()} (.docx)", type=["docx"], key=LETTERS_FILE)
    save, reset = st.columns(2)
    if save.button("Use this wording", type="primary", icon=":material/save:", disabled=upload is None):
        try:
            used = templates.save_template(cur, setting, document, upload.name, upload.getvalue(), viewer=viewer)
            st.session_state[RULES_DONE] = (f"Saved: {setting}'s {label.lower()} now uses {upload.name} "
                                            f"({len(used)} placeholders); the change is in the audit log.")
            st.rerun()
        except (SenlibError, access.AccessDenied) as exc:
            st.error(escape_markdown(exc), icon=":material/error:")
    if reset.button("Back to the default wording", icon=":material/undo:"):
        try:
            if templates.reset_template(cur, setting, document, viewer=viewer):
                st.session_state[RULES_DONE] = f"{setting}'s {label.lower()} is back to the default wording."
                st.rerun()
            st.info(f"The {label.lower()} already uses the default wording.")
        except (SenlibError, access.AccessDenied) as exc:
            st.error(escape_markdown(exc), icon=":material/error:")
