"""Streamlit-side glue shared by the pages: the cached connection and session-state keys."""
