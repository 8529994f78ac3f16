"""Sign-in and the current viewer: the only place the UI learns who is using it.

app.py calls `gate()` at the top of every run. With `[auth]` in `.streamlit/secrets.toml`
people sign in with OpenID Connect (`st.login`) and get a role from `[roles]`; without it the
app is a single local SENCo and only runs on a loopback address. Pages call `current_viewer()`
and pass the Viewer to senlib, which enforces the role again in its queries.

Whatever blocks a user (sign-in needed, no role, bad configuration) is shown through
`st.navigation` with that one page, so no page of the app is registered for them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

from senlib import access, store
from senlib.access import Viewer
from senlib.core.errors import SenlibError
from senlib.core.text import escape_markdown
from ui import nav, state

_LOG = logging.getLogger(__name__)
_AUDITED = state.SIGNED_IN_AUDITED

# Pages that expose the whole database (every setting): not for a user limited to some settings.
FULL_ACCESS_PAGES = frozenset({nav.BACKUP, nav.AUDIT})


def secrets_config() -> dict[str, Any]:
    """`.streamlit/secrets.toml` as a dict; {} when there is none. A file that exists but does not
    parse raises AccessConfigError, so a typo never silently turns sign-in off."""
    try:
        return st.secrets.to_dict()
    except Exception as exc:  # Streamlit raises its own error type for a missing or unreadable file
        files = [p for p in st.config.get_option("secrets.files") or [] if os.path.exists(p)]
        if files:
            raise access.AccessConfigError(f"The secrets file cannot be read: {exc}",
                                           fix="Correct .streamlit/secrets.toml (it is TOML; compare with .streamlit/secrets.example.toml).") from None
        return {}


def providers(auth: Mapping[str, Any]) -> list[str | None]:
    """Sign-in providers in `[auth]`: None for the unnamed one, else each `[auth.NAME]` with a client_id."""
    if not auth:
        return []
    found: list[str | None] = [None] if "client_id" in auth else []
    found += [name for name, value in auth.items() if isinstance(value, Mapping) and "client_id" in value]
    return found


PROVIDER_LABELS = {"microsoft": "Microsoft", "entra": "Microsoft", "google": "Google"}


def _render_sign_in(names: list[str | None]) -> None:
    st.title("SEN caseload")
    st.write("Sign in with your school account to see the SEN caseload.")
    for name in names:
        label = "Sign in" if name is None else f"Sign in with {PROVIDER_LABELS.get(name.lower(), name)}"
        if st.button(label, type="primary", key=f"{state.LOGIN}{name}"):
            st.login(name) if name else st.login()


def _render_refusal(email: str | None) -> None:
    st.title("You do not have access to this dashboard")
    if email:
        st.write("You are signed in as:")
        st.text(email)  # as text, never as Markdown
    else:
        st.write("Your account did not give an email address this dashboard can check.")
    st.write("The SEN caseload holds sensitive information about children, so only people the school has "
             "named can open it. If you should have access, ask your SENCo or the school's IT administrator "
             "to add your email address to the dashboard's list of users.")
    if st.button("Sign out"):
        st.logout()


def _render_problem(message: str) -> None:
    st.title("The dashboard cannot start")
    st.error(message)


def _block(render: Callable[[], None], title: str) -> None:
    """Show one page and nothing else: no other page is registered, so no URL reaches one."""
    st.navigation([st.Page(render, title=title, url_path="welcome", default=True)], position="hidden").run()
    st.stop()


# Connections (one per process and database) whose local-mode start is recorded. Holding each one keeps its id from
# being reused by a later connection (tests open many), which would then go unrecorded.
_LOCAL_STARTS: dict[int, object] = {}


def _audit_local_start(viewer: Viewer) -> None:
    """Local mode has no sign-in: record once per server process that the app is in use, not every page load
    (each browser reload is a new session)."""
    con = state.connection()
    if _LOCAL_STARTS.get(id(con)) is con:
        return
    try:
        store.audit(state.cursor(), "sign_in", viewer.name, {"role": viewer.role, "mode": "local"})
    except SenlibError as exc:  # the pages will report a broken database
        _LOG.warning("local start not audited: %s", exc)
        return
    _LOCAL_STARTS[id(con)] = con


def _audit_once(viewer_name: str, action: str, detail: dict[str, Any]) -> None:
    """Write a sign-in (or refusal) once: per sign-in at the provider (the ID token's issue time), so
    reloading the page or opening another tab is not a new entry; once per session in local mode."""
    marker = (viewer_name, action, detail.get("login"))
    if st.session_state.get(_AUDITED) == marker:
        return
    try:
        cur = state.cursor()
        seen = detail.get("login") is not None and store.audited(cur, action, viewer_name, str(detail["login"]))
        if not seen:
            store.audit(cur, action, viewer_name, detail)
    except SenlibError as exc:  # the pages will report a broken database; do not hide them behind this
        _LOG.warning("sign-in not audited: %s", exc)
        return
    st.session_state[_AUDITED] = marker


def gate() -> Viewer:
    """Who is using the app, or (never returning) the sign-in, refusal or configuration page."""
    try:
        config = secrets_config()
        access.check_roles_config(config.get("roles"))
        access.allowed_settings(None, config.get("settings_access"))
    except SenlibError as exc:
        # The details may name people (entries of [roles]): they go to the log, not to whoever opens the page.
        _LOG.error("sign-in configuration: %s", exc)
        problem = ("The sign-in configuration in .streamlit/secrets.toml has a mistake, so nobody can sign in until it is "
                   f"corrected. The dashboard's log says which entry. {exc.fix or ''}")
        _block(lambda: _render_problem(problem), "Configuration problem")
    auth = config.get("auth") or {}
    names = providers(auth)
    if not names:
        refusal = access.local_mode_refusal(st.config.get_option("server.address"))
        if refusal:
            _LOG.error(refusal)
            _block(lambda: _render_problem(refusal), "Sign-in not configured")
        viewer = access.local_viewer()
        _audit_local_start(viewer)
    else:
        if not st.user.is_logged_in:
            _block(lambda: _render_sign_in(names), "Sign in")
        claims = st.user.to_dict()
        email = access.email_from_claims(claims)
        login = str(claims["iat"]) if claims.get("iat") else None  # identifies one sign-in at the provider
        found = access.viewer_for(email, config)
        if found is None:
            _audit_once(email or "(no email)", "sign_in_refused", {"reason": "no role", "login": login})
            _block(lambda: _render_refusal(email), "No access")
        viewer = found
        _audit_once(viewer.name, "sign_in", {"role": viewer.role, "login": login,
                                             "settings": sorted(viewer.settings) if viewer.settings is not None else "all"})
    st.session_state[state.USER] = viewer
    return viewer


def current_viewer() -> Viewer:
    """The viewer of this run, set by app.py's gate(); pages pass it to every senlib query."""
    viewer = st.session_state.get(state.USER)
    if not isinstance(viewer, Viewer):
        st.error("Open the dashboard from its home page to sign in.")
        st.stop()
    return viewer


def pages_for(viewer: Viewer) -> list[nav.PageSpec]:
    """The pages this viewer may open: by role, less whole-database pages for a user limited to some settings."""
    pages = nav.pages_for(viewer.role)
    if viewer.settings is not None:
        pages = [p for p in pages if p.path not in FULL_ACCESS_PAGES]
    return pages


def sidebar(viewer: Viewer) -> None:
    """Say who is signed in (or that this is local mode) and offer sign-out."""
    with st.sidebar:
        if viewer.local:
            st.caption(f"**Local mode** — sign-in is off. You are the SENCo on this computer "
                       f"(the app listens on {st.config.get_option('server.address')} only).")
            return
        st.caption(f"Signed in as **{escape_markdown(viewer.label)}**")  # a name from the school's accounts
        st.text(viewer.email or "")  # as text: an address is never Markdown
        if viewer.settings is not None:
            st.caption("Settings you can see")
            st.text(", ".join(sorted(viewer.settings)) or "none")
        if st.button("Sign out", key=state.SIGN_OUT):
            st.logout()

