"""Every page on the trackers most schools keep (issue 14, item 6): the 20- and 60-pupil sparse registers (review dates
and little else), opened as the SENCo with AppTest. No page fails; every chart has data (tests.chart_checks) or a
sentence stands in for it; no flag needs a field the tracker lacks; the figures agree with the register. (The
governors' report has its own tests.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests import chart_checks
from tests.apptest import open_app
from tests.sparse_corpus import AS_OF, make_db

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["pages/overview.py", "pages/caseload.py", "pages/upcoming.py", "pages/escalations.py", "pages/pupil.py",
         "pages/progress.py", "pages/compliance.py", "pages/upload.py", "pages/rules.py", "pages/audit.py",
         "pages/backup.py"]
# The only flag a register of names, dates of birth, need, last and next review dates can support: a review held
# with no next date set (a blank Next review cell is a real gap). Invitations, reports and council decisions are not
# in it, so their milestones must not fire. (Checked against the rules' own `needs` below too.)
SUPPORTED_FLAGS = {"next_date_set"}
REGISTER = {20: {"K": 17, "E": 3}, 60: {"K": 51, "E": 9}}


@pytest.fixture(scope="module", params=[20, 60], ids=["20-pupils", "60-pupils"])
def sparse(request, tmp_path_factory):
    return request.param, make_db(tmp_path_factory.mktemp("sparse-pages") / "sparse.duckdb", request.param)


def _app(db, monkeypatch) -> AppTest:
    return open_app(db, monkeypatch, AS_OF, timeout=120)


def _specs(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def _text(at: AppTest) -> str:
    parts = [*(c.value for c in at.caption), *(m.value for m in at.markdown), *(i.value for i in at.info),
             *(s.value for s in at.success), *(w.value for w in at.warning)]
    return "\n".join(str(p) for p in parts)


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("page", PAGES)
def test_every_page_on_the_sparse_register(sparse, page, monkeypatch):
    pupils, db = sparse
    at = _app(db, monkeypatch)
    at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    for spec in _specs(at):
        chart_checks.check(spec)
    text = _text(at)
    if page == "pages/overview.py":
        m = _metrics(at)
        assert (m["SEN Support (K)"], m["EHC plans (E)"]) == (str(REGISTER[pupils]["K"]), str(REGISTER[pupils]["E"]))
        assert len(_specs(at)) == 2                                   # by need and by plan: both have pupils to draw
    if page == "pages/progress.py":
        assert not _specs(at) and "No outcomes are recorded" in text  # a sentence, not empty axes
    if page == "pages/pupil.py":
        assert "Search for a pupil" in text


def test_caseload_flags_only_what_the_tracker_records(sparse, monkeypatch):
    pupils, db = sparse
    at = _app(db, monkeypatch)
    at.switch_page("pages/caseload.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == pupils
    raised = {f for flags in table["flags"] for f in flags}
    assert raised <= SUPPORTED_FLAGS, raised - SUPPORTED_FLAGS
    from senlib import store
    from senlib.rules import default_policy
    from senlib.rules.tracking import tracked_fields

    con = store.connect(db)
    (tracked,) = tracked_fields(con).values()
    con.close()
    rules = default_policy().rules
    assert all(set(rules[f].needs) <= tracked for f in raised), {f: rules[f].needs for f in raised}
    assert "next_date_set" in raised                                  # the real gap is still flagged
    m = _metrics(at)
    assert int(m["With a flag"]) == sum(1 for flags in table["flags"] if len(flags))
    # A sparse tracker has no class, key worker or council column: no empty column pushes the flags off the screen.
    assert not {"class", "key_worker", "local_authority"} & set(table.columns)
    assert list(table.columns).index("flags") < 6


def test_pupil_page_of_an_ehc_plan_without_start_date(sparse, monkeypatch):
    _, db = sparse
    from senlib import store
    from senlib.views import pupil

    con = store.connect(db)
    setting, pid = con.execute("SELECT setting, pupil_id FROM pupils WHERE sen_status = 'E' ORDER BY 2 LIMIT 1").fetchone()
    con.close()
    at = _app(db, monkeypatch)
    at.switch_page("pages/pupil.py")
    at.query_params[pupil.QUERY_PARAM] = pupil.pupil_key(setting, pid)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert not _specs(at)                                                 # no broken plan path
    assert "no start date recorded, so the path cannot be drawn" in _text(at)
    flags = [w.value for w in at.warning]
    assert not [f for f in flags if "council" in f or "nvitation" in f], flags  # nothing the tracker cannot record
    (reviews,) = [d.value for d in at.dataframe if {"review_date", "held"} <= set(d.value.columns)]
    assert "invitations_sent" not in reviews.columns and "next_review_date" in reviews.columns  # blank columns left out


def test_compliance_charts_have_data(sparse, monkeypatch):
    _, db = sparse
    at = _app(db, monkeypatch)
    at.switch_page("pages/compliance.py").run()
    assert not at.exception
    specs = _specs(at)
    titles = {s["layout"]["title"]["text"] for s in specs}
    assert {"Reviews on time by plan type and year group", "Reviews on time at each month end"} <= titles
    for spec in specs:
        chart_checks.check(spec)
