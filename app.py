"""Entry point: page config, sign-in, and navigation by role. Nothing else lives here."""

from pathlib import Path

import streamlit as st

from ui import auth

st.set_page_config(page_title="SEN caseload", page_icon=str(Path(__file__).parent / "ui" / "static" / "favicon.png"), layout="wide")

viewer = auth.gate()  # sign-in, or local mode; never returns for someone who may see nothing
sections: dict[str, list] = {}
for i, spec in enumerate(auth.pages_for(viewer)):
    sections.setdefault(spec.section, []).append(st.Page(spec.path, title=spec.title, icon=spec.icon, default=i == 0))
page = st.navigation(sections, expanded=True)  # every page in view: a SENCo has 14, past the ten shown by default
auth.sidebar(viewer)
page.run()
