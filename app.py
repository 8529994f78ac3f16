"""Entry point: page config and navigation. Nothing else lives here."""

import streamlit as st

st.set_page_config(page_title="SEN caseload", page_icon=":material/school:", layout="wide")

pages = [
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
]
st.navigation(pages).run()
