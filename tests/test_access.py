"""Roles, settings access and the viewer gates (senlib.access)."""

from __future__ import annotations

import pytest

from senlib import access
from senlib.access import GOVERNOR, LEADER, SENCO, TRUSTED, AccessConfigError, AccessDenied, Viewer
from ui import nav

ROLES = {
    "senco": ["senco@oak.sch.uk", "Deputy.Senco@Oak.sch.uk"],
    "leader": ["@oak.sch.uk", "ceo@trust.org.uk"],
    "governor": ["chair@gmail.com", "gov@oak.sch.uk", "@governors.oak.sch.uk"],
}


def test_roles_match_the_navigation_registry():
    assert (access.SENCO, access.LEADER, access.GOVERNOR) == (nav.SENCO, nav.LEADER, nav.GOVERNOR)


@pytest.mark.parametrize(("email", "role"), [
    ("senco@oak.sch.uk", SENCO),
    ("  SENCO@OAK.SCH.UK ", SENCO),            # case and spaces do not matter
    ("deputy.senco@oak.sch.uk", SENCO),        # nor in the configuration
    ("teacher@oak.sch.uk", LEADER),            # by domain
    ("ceo@trust.org.uk", LEADER),
    ("chair@gmail.com", GOVERNOR),
    ("gov@oak.sch.uk", GOVERNOR),              # named as governor: not a leader through the domain
    ("x@governors.oak.sch.uk", GOVERNOR),
    ("someone@trust.org.uk", None),            # the trust's domain is not listed, one address is
    ("teacher@evil-oak.sch.uk", None),         # a look-alike domain does not match
    ("teacher@sub.oak.sch.uk", None),          # nor does a subdomain
    ("oak.sch.uk@attacker.com", None),
    ("", None), (None, None), ("not-an-email", None), ("two@@oak.sch.uk", None),
])
def test_resolve_role(email, role):
    assert access.resolve_role(email, ROLES) == role


def test_most_powerful_role_wins_among_equal_entries():
    roles = {"senco": ["a@x.org"], "leader": ["a@x.org", "@x.org"], "governor": ["a@x.org", "@x.org"]}
    assert access.resolve_role("a@x.org", roles) == SENCO
    assert access.resolve_role("b@x.org", roles) == LEADER
    assert access.resolve_role("b@x.org", {"leader": ["@x.org"], "governor": ["@x.org"]}) == LEADER


def test_no_roles_means_no_access():
    assert access.resolve_role("senco@oak.sch.uk", None) is None
    assert access.resolve_role("senco@oak.sch.uk", {}) is None


def test_a_single_string_is_accepted():
    assert access.resolve_role("a@x.org", {"senco": "a@x.org"}) == SENCO


@pytest.mark.parametrize("roles", [
    {"admin": ["a@x.org"]},                  # unknown role
    {"senco": ["x.org"]},                    # a domain without @
    {"senco": ["@"]},
    {"leader": ["@nodot"]},
    {"senco": [{"email": "a@x.org"}]},
    {"senco": {"a": "b"}},
])
def test_malformed_roles_fail_closed_with_a_fix(roles):
    with pytest.raises(AccessConfigError) as err:
        access.resolve_role("a@x.org", roles)
    assert err.value.fix


def test_allowed_settings():
    table = {"ceo@trust.org.uk": ["Oak Primary", "Ash Academy"], "@ash.sch.uk": ["Ash Academy"], "Head@Oak.sch.uk": "Oak Primary"}
    assert access.allowed_settings("ceo@trust.org.uk", table) == {"Oak Primary", "Ash Academy"}
    assert access.allowed_settings("teacher@ash.sch.uk", table) == {"Ash Academy"}
    assert access.allowed_settings("head@oak.sch.uk", table) == {"Oak Primary"}
    assert access.allowed_settings("other@oak.sch.uk", table) is None  # not listed: every setting
    assert access.allowed_settings("other@oak.sch.uk", None) is None
    assert access.allowed_settings(None, table) == frozenset()          # no usable email: nothing
    with pytest.raises(AccessConfigError):
        access.allowed_settings("a@x.org", {"a@x.org": {"nested": 1}})


def test_viewer_for_combines_role_and_settings():
    config = {"roles": ROLES, "settings_access": {"teacher@oak.sch.uk": ["Oak Primary"]}}
    v = access.viewer_for("Teacher@oak.sch.uk", config)
    assert v == Viewer(role=LEADER, email="teacher@oak.sch.uk", settings=frozenset({"Oak Primary"}))
    assert access.viewer_for("stranger@example.com", config) is None


def test_email_from_claims():
    assert access.email_from_claims({"email": "A@X.org"}) == "a@x.org"
    assert access.email_from_claims({"preferred_username": "a@x.org"}) == "a@x.org"   # Entra ID without email claim
    assert access.email_from_claims({"email": "a@x.org", "email_verified": False}) is None
    assert access.email_from_claims({"email": "a@x.org", "email_verified": "false"}) is None
    assert access.email_from_claims({"preferred_username": "not an address"}) is None
    assert access.email_from_claims({}) is None


def test_gates():
    senco, leader, governor = Viewer(SENCO, "s@x.org"), Viewer(LEADER, "l@x.org"), Viewer(GOVERNOR, "g@x.org")
    assert access.require_staff(senco) is senco and access.require_staff(leader) is leader
    for denied in (governor, None):
        with pytest.raises(AccessDenied):
            access.require_staff(denied)
    assert access.require_senco(senco) is senco
    for denied in (leader, governor, None):
        with pytest.raises(AccessDenied):
            access.require_senco(denied)
    assert access.require_role(governor, SENCO, LEADER, GOVERNOR) is governor
    with pytest.raises(AccessDenied, match="Senior leader"):
        access.require_role(governor, SENCO, LEADER)
    limited = Viewer(SENCO, "s@x.org", frozenset({"Oak"}))
    assert access.require_whole_database(senco) is senco
    for denied in (limited, leader, governor, None):
        with pytest.raises(AccessDenied):
            access.require_whole_database(denied)


def test_viewer_properties():
    assert access.local_viewer().can_write and access.local_viewer().local
    assert access.local_viewer().name == "local SENCo"
    assert not Viewer(LEADER, "l@x.org").can_write and Viewer(LEADER, "l@x.org").is_staff
    assert not Viewer(GOVERNOR, "g@x.org").is_staff
    assert Viewer(GOVERNOR, "g@x.org").label == "Governor"
    with pytest.raises(AccessConfigError):
        Viewer("admin")


def test_setting_clause_limits_queries(tmp_path):
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE TABLE pupils AS SELECT * FROM (VALUES ('Oak', 'P1'), ('Ash', 'P2'), ('Elm', 'P3')) t(setting, pupil_id)")

    def ids(viewer):
        where, params = access.setting_clause(viewer)
        return sorted(r[0] for r in con.execute(f"SELECT pupil_id FROM pupils WHERE {where}", params).fetchall())

    assert ids(Viewer(LEADER, "a@x.org")) == ["P1", "P2", "P3"]
    assert ids(Viewer(LEADER, "a@x.org", frozenset({"Oak", "Elm"}))) == ["P1", "P3"]
    assert ids(Viewer(LEADER, "a@x.org", frozenset())) == []
    # Setting names are parameters, never SQL.
    assert ids(Viewer(LEADER, "a@x.org", frozenset({"Oak') OR TRUE --"}))) == []
    frame = con.execute("SELECT * FROM pupils").df()
    assert access.scope_frame(Viewer(LEADER, "a@x.org", frozenset({"Ash"})), frame)["pupil_id"].tolist() == ["P2"]
    assert len(access.scope_frame(Viewer(LEADER, "a@x.org"), frame)) == 3


@pytest.mark.parametrize(("address", "loopback"), [
    ("127.0.0.1", True), ("127.5.0.1", True), ("localhost", True), ("::1", True), ("[::1]", True),
    ("0.0.0.0", False), ("", False), (None, False), ("192.168.1.20", False), ("::", False), ("school-server", False),
])
def test_is_loopback(address, loopback):
    assert access.is_loopback(address) is loopback


def test_local_mode_refusal_says_how_to_configure_sign_in():
    assert access.local_mode_refusal("127.0.0.1") is None
    message = access.local_mode_refusal("0.0.0.0")
    assert "[auth]" in message and "[roles]" in message and "secrets.toml" in message
    assert "every network interface" in access.local_mode_refusal(None)


def test_the_shipped_example_secrets_are_valid():
    import tomllib
    from pathlib import Path

    example = tomllib.loads((Path(__file__).resolve().parent.parent / ".streamlit" / "secrets.example.toml").read_text())
    assert {"redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url"} <= set(example["auth"])
    assert access.viewer_for("j.smith@oak.sch.uk", example).role == SENCO
    assert access.viewer_for("teacher@oak.sch.uk", example).role == LEADER
    assert access.viewer_for("a.khan@oak.sch.uk", example).role == GOVERNOR   # named: not a leader by domain
    assert access.viewer_for("head@ash.sch.uk", example).settings == {"Ash Primary"}
    assert access.viewer_for("someone@gmail.com", example) is None


def test_pupil_status_and_overview_check_the_viewer(demo_con):
    """The SENCo pages' shared rules result and the overview's counts are pupil-level or staff-only:
    senlib refuses a governor and narrows a leader limited to one setting."""
    from datetime import date

    from senlib.rules import pupil_status
    from senlib.views import overview

    one = demo_con.execute("SELECT min(setting) FROM settings").fetchone()[0]
    governor = Viewer(role=GOVERNOR, email="chair@gmail.com")
    with pytest.raises(AccessDenied):
        pupil_status(demo_con, date(2026, 11, 23), viewer=governor)
    with pytest.raises(AccessDenied):
        overview.overview(demo_con, viewer=governor)
    leader = Viewer(role=LEADER, email="head@oak.sch.uk", settings=frozenset({one}))
    assert set(pupil_status(demo_con, date(2026, 11, 23), viewer=leader)["setting"]) == {one}
    everyone = overview.overview(demo_con, viewer=TRUSTED)["by_status"]["pupils"].sum()
    mine = overview.overview(demo_con, viewer=leader)["by_status"]["pupils"].sum()
    assert mine == demo_con.execute(
        "SELECT count(*) FROM pupils WHERE setting = ? AND (leaving_date IS NULL OR leaving_date > current_date)",
        [one]).fetchone()[0]
    assert 0 < mine < everyone


def test_current_plans_on_the_overview_count_pupils_on_roll_only(demo_con):
    from senlib.views import overview

    plans = overview.overview(demo_con, viewer=TRUSTED)["by_plan"].set_index("plan_type")["pupils"]
    on_roll_e = demo_con.execute(
        """SELECT count(DISTINCT (setting, pupil_id)) FROM plans JOIN pupils USING (setting, pupil_id)
           WHERE plan_type = 'ehcp' AND (end_date IS NULL OR end_date > current_date)
             AND (leaving_date IS NULL OR leaving_date > current_date)""").fetchone()[0]
    assert plans["ehcp"] == on_roll_e
