"""Escalations (senlib.views.escalations): flags regrouped by what is suggested, the EHC request evidence pack, the export."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from senlib.access import TRUSTED
from senlib.render import exports
from senlib.views import escalations

from .conftest import AS_OF
from .senco_status import status_frame

# the source of consider_pcp_msp in policy.toml, in words a user can follow
CONSIDER_PCP_MSP_SOURCE = "Local authority guidance: SEN support and the graduated response; SEND Code of Practice 2015, paragraphs 6.44–6.56"

POLICY_ORDER = ["consider_pcp_msp", "consider_ehc_request", "early_years_forum", "consider_reducing", "targets_not_smart",
                "stalled_outcome", "amend_ehcp"]


@pytest.fixture
def status() -> pd.DataFrame:
    return status_frame(
        {"pupil_id": "S1", "first_name": "Ada", "last_name": "Lovelace",
         "flags": ["invite_good_practice", "consider_pcp_msp", "stalled_outcome"],
         "flag_reasons": ["invitations late", "two reviews less than expected", "O1 3 → 3"],
         "flag_sources": ["Local authority guidance: Purpose of the Review", "Local authority guidance: SEN support and the graduated response", "Local authority guidance: Purpose of the Review (scaling techniques)"]},
        {"pupil_id": "M1", "first_name": "Alan", "last_name": "Turing", "plan_type": "my_support_plan",
         "plan_start": "2026-01-10", "reviews_held": 3, "flags": ["consider_ehc_request"],
         "flag_reasons": ["MSP cycles less than expected"], "flag_sources": ["Local authority guidance: SEN support and the graduated response; Local authority guidance: Reviewing SEN Support"]},
        {"pupil_id": "M2", "first_name": "Grace", "last_name": "Hopper", "plan_type": "my_support_plan",
         "plan_start": "2026-06-01", "reviews_held": 1, "flags": ["consider_ehc_request"],
         "flag_reasons": ["<b>MSP</b> [x](javascript:alert(1))"], "flag_sources": ["Local authority guidance: SEN support and the graduated response; Local authority guidance: Reviewing SEN Support"]},
        {"pupil_id": "K1", "first_name": "Only", "last_name": "Milestones", "flags": ["invite_good_practice"],
         "flag_reasons": ["x"], "flag_sources": ["y"]},
        {"pupil_id": "L1", "first_name": "Has", "last_name": "Left", "has_left": True, "flags": ["consider_reducing"],
         "flag_reasons": ["x"], "flag_sources": ["y"]},
    )


def test_rules_in_the_order_of_the_graduated_response():
    assert escalations.escalation_rules() == POLICY_ORDER


def test_only_escalation_flags_of_pupils_on_roll(status):
    f = escalations.flagged(status)
    assert list(zip(f["rule"], f["pupil_id"], strict=True)) == [
        ("consider_pcp_msp", "S1"), ("consider_ehc_request", "M2"), ("consider_ehc_request", "M1"), ("stalled_outcome", "S1")]
    s1 = f[(f["pupil_id"] == "S1") & (f["rule"] == "stalled_outcome")].iloc[0]
    assert s1["reason"] == "O1 3 → 3" and s1["source"] == "Local authority guidance: Purpose of the Review (scaling techniques)"  # each flag keeps its own sentence
    assert s1["title"] == "Outcome stalled" and s1["pupil"] == "Lovelace, Ada" and s1["key"] == "Oak School|S1"
    assert f.loc[f["pupil_id"] == "M2", "reason"].iloc[0] == "<b>MSP</b> [x](javascript:alert(1))"  # data, never markup
    assert escalations.counts(f) == {"pupils": 3, "flags": 4}


def test_no_flags_gives_an_empty_list(status):
    f = escalations.flagged(status.assign(flags=[[]] * len(status), flag_reasons=[[]] * len(status), flag_sources=[[]] * len(status)))
    assert f.empty and list(f.columns) == escalations.COLUMNS
    assert all(g.pupils.empty for g in escalations.groups(f))


def test_a_missing_sentence_is_blank_not_shifted(status):
    odd = status.copy()
    odd.at[0, "flag_reasons"] = ["invitations late"]  # three flags, one sentence
    odd.at[0, "flag_sources"] = []
    f = escalations.flagged(odd).set_index(["pupil_id", "rule"])
    assert f.loc[("S1", "consider_pcp_msp"), "reason"] == "" and f.loc[("S1", "stalled_outcome"), "reason"] == ""
    assert f.loc[("S1", "consider_pcp_msp"), "source"] == CONSIDER_PCP_MSP_SOURCE  # the rule's own source
    assert f.loc[("M1", "consider_ehc_request"), "reason"] == "MSP cycles less than expected"


def test_ehc_request_evidence_pack(status):
    f = escalations.flagged(status).set_index("pupil_id")
    assert bool(f.loc["M1", "evidence_ready"])
    assert f.loc["M1", "evidence"] == "Ready: My Support Plan since 10/01/2026 and 3 APDR cycles reviewed under it"
    assert not bool(f.loc["M2", "evidence_ready"])
    assert "1 APDR cycle reviewed" in f.loc["M2", "evidence"] and "at least 2 needed" in f.loc["M2", "evidence"]
    assert pd.isna(f[f["rule"] == "consider_pcp_msp"].loc["S1", "evidence_ready"])


@pytest.mark.parametrize(("plan", "cycles", "ready"), [
    ("my_support_plan", 2, True), ("my_support_plan", None, False), ("sen_support", 5, False), (None, 3, False)])
def test_evidence_needs_a_my_support_plan_and_two_cycles(plan, cycles, ready):
    assert escalations.evidence(plan, None, cycles)[0] is ready


def test_groups_cover_every_rule_with_its_sentence_and_source(status):
    groups = escalations.groups(escalations.flagged(status))
    assert [g.rule for g in groups] == POLICY_ORDER
    by = {g.rule: g for g in groups}
    assert len(by["consider_ehc_request"].pupils) == 2 and by["amend_ehcp"].pupils.empty
    assert by["consider_pcp_msp"].title == "Consider a PCP meeting and My Support Plan"
    assert "2 reviews" in by["consider_pcp_msp"].summary and "{" not in by["consider_pcp_msp"].summary
    assert by["consider_pcp_msp"].source == CONSIDER_PCP_MSP_SOURCE


def test_summaries_follow_a_settings_own_values(demo_con):
    from senlib.rules import set_override

    setting = demo_con.execute("SELECT min(setting) FROM pupils").fetchall()[0][0]
    set_override(demo_con, "consider_pcp_msp", "reviews", 3, setting=setting, user="test")
    assert "last 3 reviews" in escalations.rule_summaries(demo_con, [setting])["consider_pcp_msp"]
    assert "last 2 reviews" in escalations.rule_summaries(demo_con, None)["consider_pcp_msp"]


def test_export(status):
    data = exports.to_xlsx(escalations.export_frame(escalations.flagged(status)), sheet_name="Escalations")
    ws = load_workbook(io.BytesIO(data))["Escalations"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:3] == ("Suggested", "Pupil", "Pupil ID") and rows[0][-2:] == ("Rule", "Source")
    assert rows[1][0] == "Consider a PCP meeting and My Support Plan" and rows[1][-2] == "consider_pcp_msp"


def test_demo_escalations(demo_con):
    from senlib.rules import pupil_status

    f = escalations.flagged(pupil_status(demo_con, AS_OF, viewer=TRUSTED))
    assert len(f) > 0 and set(f["rule"]) <= set(POLICY_ORDER)
    assert (f["reason"].str.len() > 20).all()


# ---------------------------------------------------------------- telling same-named pupils apart (issue 14, item 10)

def _group(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame([{"pupil": n, "setting": s, "year": y, "pupil_id": i, "key": f"{s}|{i}"} for n, s, y, i in rows])


def test_who_columns_tell_same_named_pupils_apart():
    two_schools = _group([("Evans, Isabella", "Oakfield", "Year 9", "A1"), ("Evans, Isabella", "Riverside", "Year 9", "B7")])
    assert escalations.who_columns(two_schools, two_schools) == ["setting", "year"]
    one_school = _group([("Evans, Isabella", "Oakfield", "Year 9", "A1"), ("Evans, Isabella", "Oakfield", "Year 11", "A2")])
    assert escalations.who_columns(one_school, one_school) == ["year"]
    # Same name, school and year group: only the pupil ID tells them apart.
    twins = _group([("Evans, Isabella", "Oakfield", "Year 9", "A1"), ("Evans, Isabella", "Oakfield", "Year 9", "A3")])
    assert escalations.who_columns(twins, twins) == ["year", "pupil_id"]
    # The setting column follows what is in view on the page, not only in this group.
    page = pd.concat([one_school, _group([("Ng, Sam", "Riverside", "Year 3", "B1")])])
    assert escalations.who_columns(one_school, page) == ["setting", "year"]
    # A pupil with two suggestions in one group is one pupil.
    again = _group([("Evans, Isabella", "Oakfield", "Year 9", "A1"), ("Evans, Isabella", "Oakfield", "Year 9", "A1")])
    assert escalations.who_columns(again, again) == ["year"]


def test_escalations_page_tells_same_named_pupils_apart(demo_db, monkeypatch):
    """Two pupils of one school and one group given the same name (as the issue saw two 'Evans, Isabella'): the
    table shows what tells them apart."""
    from senlib import store
    from senlib.rules import pupil_status

    from .test_senco_pages import _app

    con = store.connect(demo_db)
    flags = escalations.flagged(pupil_status(con, AS_OF, viewer=TRUSTED))
    group = flags[flags["rule"] == flags["rule"].value_counts().index[0]].drop_duplicates("key")
    a, b = group.iloc[0], group[group["setting"] == group.iloc[0]["setting"]].iloc[1]
    first, last = con.execute("SELECT first_name, last_name FROM pupils WHERE setting = ? AND pupil_id = ?",
                              [a["setting"], a["pupil_id"]]).fetchone()
    con.execute("UPDATE pupils SET first_name = ?, last_name = ?, year_group = (SELECT year_group FROM pupils "
                "WHERE setting = ? AND pupil_id = ?) WHERE setting = ? AND pupil_id = ?",
                [first, last, a["setting"], a["pupil_id"], b["setting"], b["pupil_id"]])
    con.close()
    at = _app(demo_db, monkeypatch)
    at.switch_page("pages/escalations.py").run()
    assert not at.exception
    seen = 0
    for df in (d.value for d in at.dataframe):
        names = df["pupil"].value_counts()
        for name in names[names > 1].index:
            rows = df[df["pupil"] == name]
            who = [c for c in ("setting", "year", "pupil_id") if c in df]
            assert "setting" in who and "year" in who                     # three settings in view
            assert not rows.duplicated(subset=who).any(), rows[who]       # every row of the name differs in what is shown
            seen += 1
    assert seen, "the renamed pupil shares a name with another in one group"
    twin = [d.value for d in at.dataframe if "pupil_id" in d.value]
    assert twin and set(twin[0].loc[twin[0]["pupil"] == f"{last}, {first}", "pupil_id"]) == {a["pupil_id"], b["pupil_id"]}


def test_the_evidence_pack_follows_the_policy_in_force(status, tmp_path):
    """The APDR cycles an EHC needs assessment request needs are a policy value (consider_ehc_request.evidence_cycles):
    a setting that asks for 4 sees M1's 3 cycles as not ready; without a cursor the default (2) applies."""
    from senlib import store
    from senlib.rules import set_override

    con = store.connect(tmp_path / "p.duckdb")
    try:
        setting = status["setting"].iloc[0]
        set_override(con, "consider_ehc_request", "evidence_cycles", 4, setting=setting, user="senco")
        f = escalations.flagged(status, con).set_index("pupil_id")
        assert not bool(f.loc["M1", "evidence_ready"]) and "at least 4 needed" in f.loc["M1", "evidence"]
        assert escalations.evidence_cycles(con, setting) == 4 and escalations.evidence_cycles() == 2
    finally:
        con.close()
    assert bool(escalations.flagged(status).set_index("pupil_id").loc["M1", "evidence_ready"])
