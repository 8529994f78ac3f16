"""senlib: the SEN caseload domain library (store, import, rules, reports). Never imports streamlit."""

__version__ = "0.1.0"
