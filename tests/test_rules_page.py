"""AppTest of the Rules page: every rule shown with its source; the SENCo changes a value (audited), a bad value
is refused with a message naming the field; a senior leader sees the rules but cannot change them."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from senlib import store
from senlib.core.text import shown
from senlib.rules import default_policy, load_policy

ROOT = Path(__file__).resolve().parent.parent
PAGE = "pages/rules.py"
AUTH = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "x" * 32, "client_id": "dashboard",
        "client_secret": "secret", "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
ROLES = {"senco": ["senco@oak.sch.uk"], "leader": ["@oak.sch.uk"]}


def _app(db, monkeypatch, email: str | None = None) -> AppTest:
    monkeypatch.setenv("SENLIB_DB", str(db))
    import ui.state

    ui.state.connection.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    if email:
        at.secrets["auth"] = AUTH
        at.secrets["roles"] = ROLES
        at.user = {"is_logged_in": True, "email": email}
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _choose(at: AppTest, rule_id: str, param: str) -> None:
    rule = next(s for s in at.selectbox if s.label == "Rule")
    rule.set_value(default_policy().rules[rule_id]).run()
    p = next(s for s in at.selectbox if s.label == "Parameter")
    p.set_value(default_policy().rules[rule_id].params[param]).run()


def _value_input(at: AppTest):
    """The value of the rule-change form (the hourly costs' editor above it has its own)."""
    return next(n for n in at.number_input if n.key != "role_cost_value")


def test_every_rule_is_listed_with_its_source(demo_db, monkeypatch):
    at = _app(demo_db, monkeypatch)
    labels = " ".join(e.label for e in at.expander)
    for rule_id in default_policy().rules:
        assert f"`{rule_id}`" in labels
    captions = " ".join(c.value for c in at.caption)
    assert "SEND Regulations 2014, regulation 18" in captions
    assert "Local authority guidance: SEN support and the graduated response" in captions and "Guidance 0" not in captions


def test_senco_changes_a_value_for_one_council_and_it_is_audited(demo_db, monkeypatch):
    at = _app(demo_db, monkeypatch)
    _choose(at, "invite_good_practice", "weeks")
    next(s for s in at.selectbox if s.label == "Pupils of").set_value("Eastbridge County Council")
    _value_input(at).set_value(8)
    next(b for b in at.button if b.label == "Save this value").click().run()
    assert not at.exception and not at.error
    assert any("8 weeks" in shown(s.value) for s in at.success)  # messages are shown escaped
    con = store.connect(demo_db)  # the app holds it open read-write in this process: same configuration
    assert load_policy(con, None, "Eastbridge County Council").value("invite_good_practice", "weeks") == 8
    assert load_policy(con, None, "Northmoor Council").value("invite_good_practice", "weeks") == 6
    detail = json.loads(con.execute("SELECT detail FROM audit WHERE action = 'rule_change'").fetchall()[0][0])
    assert (detail["rule"], detail["new"], detail["local_authority"]) == ("invite_good_practice", 8, "Eastbridge County Council")
    con.close()
    assert any("Eastbridge County Council" in str(df.value.to_dict()) for df in at.dataframe)


def test_a_bad_value_is_refused_with_a_message_naming_the_field(demo_db, monkeypatch):
    at = _app(demo_db, monkeypatch)
    _choose(at, "ehcp_annual", "months")
    _value_input(at).set_value(18)
    next(b for b in at.button if b.label == "Save this value").click().run()
    assert not at.exception
    assert any("ehcp_annual.months" in shown(e.value) for e in at.error)
    con = store.connect(demo_db)  # the app holds it open read-write in this process: same configuration
    assert con.execute("SELECT count(*) FROM rule_overrides").fetchall()[0][0] == 0
    con.close()


def test_a_senior_leader_reads_the_rules_but_cannot_change_them(demo_db, monkeypatch):
    at = _app(demo_db, monkeypatch, email="head@oak.sch.uk")
    rule_expanders = [e for e in at.expander if "· `" in e.label]  # one per rule: "Title · `rule_id`"
    assert len(rule_expanders) == len(default_policy().rules)
    assert not [b for b in at.button if b.label == "Save this value"]
    assert any("Only the SENCo" in i.value for i in at.info)
