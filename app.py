"""Entry point: page config and navigation by role. Nothing else lives here."""

from pathlib import Path

import streamlit as st

from ui import nav

st.set_page_config(page_title="SEN caseload", page_icon=str(Path(__file__).parent / "ui" / "static" / "favicon.png"), layout="wide")

role = nav.SENCO  # local mode: a single SENCo on 127.0.0.1 (sign-in arrives with the roles issue)
sections: dict[str, list] = {}
for i, spec in enumerate(nav.pages_for(role)):
    sections.setdefault(spec.section, []).append(st.Page(spec.path, title=spec.title, icon=spec.icon, default=i == 0))
st.navigation(sections).run()
