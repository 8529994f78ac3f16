"""Small widgets several pages share: the as-of date, a settings filter and the no-data message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import streamlit as st

from senlib import store
from ui import nav
from ui.auth import current_viewer
from ui.state import AS_OF, AS_OF_WIDGET, connection

_AS_OF_WIDGET = AS_OF_WIDGET


def as_of_input(container=None, *, label: str = "As of") -> date:
    """The as-of date every page evaluates on; kept in session state so it survives moving between pages.

    (A widget's own key is dropped when a page without it runs, so the value lives in AS_OF.)
    """
    where = container or st.sidebar
    current = st.session_state.get(AS_OF) or date.today()

    def _keep() -> None:
        st.session_state[AS_OF] = st.session_state[_AS_OF_WIDGET]

    where.date_input(label, value=current, key=_AS_OF_WIDGET, on_change=_keep, format="DD/MM/YYYY",
                     help="Everything on the page is worked out as it stood (or will stand) on this day.")
    value = st.session_state.get(_AS_OF_WIDGET) or current
    st.session_state[AS_OF] = value
    return value


def settings_filter(all_settings: list[str], *, key: str, container=None) -> list[str] | None:
    """A multiselect of settings for a trust; None (every setting) when there is only one or none is chosen."""
    if len(all_settings) <= 1:
        return None
    where = container or st.sidebar
    chosen = where.multiselect("Settings", all_settings, key=key, placeholder="All settings")
    return list(chosen) or None


def empty_state(what: str = "") -> None:
    """Tell the user there is no data yet and where to get some: upload a tracker, or load the demo caseload."""
    st.info(("There are no pupils in the database yet. " + what).strip() + " Upload a tracker, or load the demo "
            "caseload with one click on the Overview page.", icon=":material/info:")
    paths = {p.path for p in nav.PAGES}
    cols = st.columns(2)
    if nav.UPLOAD in paths:
        cols[0].page_link(nav.UPLOAD, label="Upload a tracker", icon=":material/upload_file:")
    cols[1].page_link(nav.OVERVIEW, label="Load the demo caseload", icon=":material/dataset:")


def download_button(label: str, data: bytes | Callable[[], bytes], *, file_name: str, mime: str, what: str,
                    container=None, **kwargs) -> None:
    """A download button whose file is made when it is clicked, and recorded in the audit log then: who, what,
    which file. Clicking does not rerun the page."""
    who, con = current_viewer().name, connection()

    def produce() -> bytes:
        body = data() if callable(data) else data
        store.audit(con.cursor(), "export", who, {"what": what, "file": file_name, "bytes": len(body)})
        return body

    (container or st).download_button(label, data=produce, file_name=file_name, mime=mime, on_click="ignore", **kwargs)


def not_tracked_table(missing) -> None:
    """Once per setting: the checks its trackers cannot support and the column that would allow each
    (senlib.rules.tracking.not_tracked_columns); nothing when every check can be made."""
    if missing is None or missing.empty:
        return
    from senlib.core.text import escape_markdown
    from senlib.rules.tracking import NOT_TRACKED_NOTE

    st.caption(NOT_TRACKED_NOTE)
    for setting, rows in missing.groupby("setting", sort=False):
        with st.expander(f"{escape_markdown(setting)}: {len(rows)} column(s) not tracked", icon=":material/visibility_off:"):
            text_table(rows[["column", "checks"]].reset_index(drop=True),
                       config={"column": "Column that would allow it", "checks": "Checks not made"})


def text_table(frame, *, config: dict | None = None, cap: int = 420, most_lines: int = 4, max_rows: int = 12,
               container=None, **kwargs) -> None:
    """A table with sentences in it (import problems and their fixes, what a quality rate is over, the columns a
    tracker lacks): every text column at the width of its longest value up to `cap` px, and rows tall enough for the
    longest to wrap onto (at most `most_lines` lines), so no message is cut off with an ellipsis. `config`: the
    column_config for other columns; a plain string there is a text column's heading."""
    from senlib.render import layout

    config = dict(config or {})
    text = [c for c in frame.columns if (frame[c].dtype == object or str(frame[c].dtype) in ("string", "str"))
            and (c not in config or isinstance(config[c], str))]
    labels = {c: config[c] if isinstance(config.get(c), str) else str(c) for c in text}
    width = layout.fit(frame, labels, cap=cap)
    lines = max([layout.lines(frame, c, w, most=most_lines) for c, w in width.items()] or [1])
    row = layout.row_height(lines)
    config |= {c: st.column_config.TextColumn(labels[c], width=w) for c, w in width.items()}
    (container or st).dataframe(frame, hide_index=True, width="stretch", row_height=row,
                                height=38 + row * max(1, min(len(frame), max_rows)), column_config=config, **kwargs)
