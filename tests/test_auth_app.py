"""AppTest: the sign-in gate, roles in navigation, local mode, and the SENCo's audit and backup pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from senlib import store
from ui import nav

ROOT = Path(__file__).resolve().parent.parent
AUTH = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "x" * 32, "client_id": "dashboard",
        "client_secret": "secret", "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
ROLES = {"senco": ["senco@oak.sch.uk"], "leader": ["@oak.sch.uk"], "governor": ["chair@gmail.com"]}


def _app(db, monkeypatch, *, email: str | None = None, secrets: dict | None = None, logged_in: bool = True) -> AppTest:
    monkeypatch.setenv("SENLIB_DB", str(db))
    import ui.state

    ui.state.connection.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if secrets is not None:
        for key, value in secrets.items():
            at.secrets[key] = value
        at.user = {"is_logged_in": logged_in, **({"email": email} if email else {})}
    return at


def _signed_in(db, monkeypatch, email, **extra) -> AppTest:
    return _app(db, monkeypatch, email=email, secrets={"auth": AUTH, "roles": ROLES, **extra})


def _texts(at: AppTest) -> str:
    parts = [e.value for e in at.title] + [e.value for e in at.markdown] + [e.value for e in at.caption]
    parts += [e.value for e in at.info] + [e.value for e in at.error] + [e.value for e in at.text] + [e.value for e in at.code]
    return "\n".join(str(p) for p in parts)


def _audit(db) -> list[tuple]:
    import ui.state

    ui.state.connection.clear()  # release the file
    con = store.connect(db)
    rows = con.execute("SELECT user_name, action, detail FROM audit WHERE action LIKE 'sign_in%' ORDER BY logged_at").fetchall()
    con.close()
    return rows


def test_local_mode_says_so_and_audits_once(empty_db, monkeypatch):
    at = _app(empty_db, monkeypatch)
    at.run()
    assert not at.exception
    assert "Local mode" in _texts(at)
    at.run()
    at.run()
    # a browser reload is a new session: still one entry for this server process
    again = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    again.run()
    again.run()
    assert not again.exception
    rows = _audit(empty_db)
    assert [(u, a) for u, a, _ in rows] == [("local SENCo", "sign_in")]


def test_local_mode_refuses_to_serve_the_network(empty_db, monkeypatch):
    old = st_config.get_option("server.address")
    st_config.set_option("server.address", "0.0.0.0")
    try:
        at = _app(empty_db, monkeypatch)
        at.run()
    finally:
        st_config.set_option("server.address", old)
    assert not at.exception
    text = _texts(at)
    assert "cannot start" in text and "[auth]" in text and "secrets.toml" in text
    assert "Overview" not in [t.value for t in at.title]


def test_sign_in_page_when_not_signed_in(empty_db, monkeypatch):
    at = _app(empty_db, monkeypatch, secrets={"auth": AUTH, "roles": ROLES}, logged_in=False)
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert "Sign in with your school account" in _texts(at)
    assert _audit(empty_db) == []


def test_named_providers_each_get_a_button(empty_db, monkeypatch):
    auth = {"redirect_uri": AUTH["redirect_uri"], "cookie_secret": AUTH["cookie_secret"],
            "microsoft": {k: AUTH[k] for k in ("client_id", "client_secret", "server_metadata_url")},
            "google": {k: AUTH[k] for k in ("client_id", "client_secret", "server_metadata_url")}}
    at = _app(empty_db, monkeypatch, secrets={"auth": auth, "roles": ROLES}, logged_in=False)
    at.run()
    assert sorted(b.label for b in at.button) == ["Sign in with Google", "Sign in with Microsoft"]


def test_unknown_user_is_refused_politely_and_audited(demo_db, monkeypatch):
    at = _signed_in(demo_db, monkeypatch, "stranger@example.com")
    at.run()
    assert not at.exception
    text = _texts(at)
    assert "do not have access" in text and "stranger@example.com" in text
    assert [b.label for b in at.button] == ["Sign out"]
    assert not at.metric and not at.dataframe
    assert [(u, a) for u, a, _ in _audit(demo_db)] == [("stranger@example.com", "sign_in_refused")]


def test_malformed_roles_fail_closed(demo_db, monkeypatch):
    at = _app(demo_db, monkeypatch, email="senco@oak.sch.uk", secrets={"auth": AUTH, "roles": {"senco": ["oak.sch.uk"]}})
    at.run()
    assert not at.exception
    text = _texts(at)
    assert "cannot start" in text and "log" in text and "@school.org" in text  # how to fix, shown
    assert "oak.sch.uk" not in text  # the entry itself (it may name people) goes only to the log
    assert not at.metric


@pytest.mark.parametrize(("email", "role"), [("senco@oak.sch.uk", "senco"), ("head@oak.sch.uk", "leader")])
def test_staff_sign_in_is_audited_with_role(demo_db, monkeypatch, email, role):
    at = _signed_in(demo_db, monkeypatch, email)
    at.run()
    assert not at.exception
    assert "Signed in as" in _texts(at) and email in _texts(at)
    at.run()
    rows = _audit(demo_db)
    assert len(rows) == 1 and rows[0][0] == email and rows[0][1] == "sign_in" and f'"{role}"' in rows[0][2]


PAGE_MARKERS = {"pages/audit.py": "Audit log", "pages/backup.py": "Backup and restore"}


@pytest.mark.parametrize(("email", "allowed"), [
    ("senco@oak.sch.uk", {"pages/audit.py", "pages/backup.py"}),
    ("head@oak.sch.uk", set()),
    ("chair@gmail.com", set()),
])
def test_typed_page_urls_show_nothing_of_a_page_the_role_may_not_open(demo_db, monkeypatch, email, allowed):
    for path, title in PAGE_MARKERS.items():
        at = _signed_in(demo_db, monkeypatch, email)
        at.run()
        if path not in allowed:
            with pytest.raises(ValueError, match="Could not find a navigation page"):  # not even registered
                at.switch_page(path)
            continue
        at.switch_page(path).run()
        assert not at.exception
        assert title in [t.value for t in at.title]


def test_governor_sees_no_pupil_data(demo_db, monkeypatch):
    con = store.connect(demo_db)
    people = con.execute("SELECT pupil_id, last_name FROM pupils WHERE sen_status IN ('K', 'E') AND length(last_name) >= 6").fetchall()
    con.close()
    at = _signed_in(demo_db, monkeypatch, "chair@gmail.com")
    at.run()
    assert not at.exception
    for path in [p.path for p in nav.PAGES if nav.GOVERNOR not in p.roles]:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(path)
    shown = _texts(at) + "\n".join(df.value.to_csv() for df in at.dataframe)
    leaked = [name for pid, name in people if name in shown or pid in shown]
    assert not leaked, leaked[:5]


def test_senco_limited_to_some_settings_has_no_whole_database_pages(demo_db, monkeypatch):
    at = _signed_in(demo_db, monkeypatch, "senco@oak.sch.uk", settings_access={"senco@oak.sch.uk": ["Somewhere"]})
    at.run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/backup.py")
    assert "Somewhere" in _texts(at)


def test_audit_page_lists_and_filters(demo_db, monkeypatch):
    con = store.connect(demo_db)
    store.audit(con, "import", "senco@oak.sch.uk", {"file": "year6.xlsx"})
    store.audit(con, "export", "head@oak.sch.uk", {"what": "=HYPERLINK(\"http://evil\")"})
    con.close()
    at = _app(demo_db, monkeypatch)
    at.run()
    at.switch_page("pages/audit.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert {"When", "Who", "Action", "What", "Details"} <= set(table.columns)
    assert "Import" in set(table["What"])
    at.multiselect[0].set_value(["import"]).run()
    assert set(at.dataframe[0].value["Action"]) == {"import"}
    at.text_input[0].set_value("year6").run()
    assert len(at.dataframe[0].value) == 1


def test_backup_page_renders(demo_db, monkeypatch):
    at = _app(demo_db, monkeypatch)
    at.run()
    at.switch_page("pages/backup.py").run()
    assert not at.exception
    assert "Backup and restore" in [t.value for t in at.title]


def test_one_audit_entry_per_sign_in_not_per_page_load(demo_db, monkeypatch):
    def load(iat: int) -> None:
        at = _app(demo_db, monkeypatch, email="head@oak.sch.uk", secrets={"auth": AUTH, "roles": ROLES})
        at.user = {**at.user, "iat": iat}
        at.run()
        assert not at.exception

    load(1_800_000_000)
    load(1_800_000_000)  # a reload or a second tab: the same sign-in
    load(1_800_003_600)  # signed in again an hour later
    rows = _audit(demo_db)
    assert [(u, a) for u, a, _ in rows] == [("head@oak.sch.uk", "sign_in")] * 2


def test_every_role_has_a_page():
    """app.py has no placeholder page: every role the access rules give has at least one page of its own."""
    from senlib.access import ROLES
    from ui import nav

    for role in ROLES:
        assert [p for p in nav.PAGES if role in p.roles], role
