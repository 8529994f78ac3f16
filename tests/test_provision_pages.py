"""AppTest of the Provision map and Impact pages: on the hand-worked school (tests/provision_fixture.py) the figures,
grid, table, charts and the Excel download; the filters; a pupil listed opens the Pupil page; on an empty database
and on the sparse registers most schools keep (no provision tracked) the page says what to do, never zeros; governors
never see either page."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from senlib.access import GOVERNOR, LEADER, SENCO
from tests import chart_checks
from tests.apptest import open_app
from tests.sparse_corpus import AS_OF as SPARSE_AS_OF
from tests.sparse_corpus import make_db
from ui import nav
from ui.provision import EMPTY
from ui.state import IMPACT_X, PROVISION_AREAS, PROVISION_FLAG_OPEN, PROVISION_OPEN, PROVISION_PICK, PROVISION_YEARS

from . import provision_fixture as fx

PAGES = [nav.PROVISION, nav.IMPACT]


@pytest.fixture(scope="module")
def fixture_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("provision-pages") / "hollybank.duckdb"
    fx.build(path).close()
    return path


def _app(db, monkeypatch, as_of=fx.AS_OF) -> AppTest:
    return open_app(db, monkeypatch, as_of, timeout=120)


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_the_provision_map_on_the_hand_worked_school(fixture_db, monkeypatch, downloads):
    at = _app(fixture_db, monkeypatch)
    at.switch_page(nav.PROVISION).run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error
    m = _metrics(at)
    assert m["Spend this school year"] == "£9,008.33"
    assert m["Interventions running"] == "8" and m["Pupils with provision now"] == "15"
    assert m["Staff hours a week"] == "8.75"
    assert any("Not tracked (not £0)" in c.value for c in at.caption)
    grid = _markdown(at)
    assert '<table class="prov-grid">' in grid and "Lego therapy: 2 pupils, 0.75 h a week" in grid
    assert "<th scope=\"col\">Year 2</th>" in grid and "Social, emotional and mental health" in grid
    table = at.dataframe[0].value
    assert list(table["Intervention"])[:2] == ["1:1 support", "Lego therapy"]
    assert dict(zip(table["Intervention"], table["Cost a year"], strict=True))["Reading group"] == "Not tracked"
    name = next(n for n in downloads if n.startswith("provision-map-"))
    assert name == "provision-map-2026-12-01.xlsx"
    wb = load_workbook(io.BytesIO(downloads[name]()))
    ws = wb["Provision map"]
    assert ws.cell(row=ws.max_row, column=13).value == 9008.33


def test_the_filters_narrow_the_map(fixture_db, monkeypatch):
    at = _app(fixture_db, monkeypatch)
    at.switch_page(nav.PROVISION).run()
    area = at.multiselect(key=PROVISION_AREAS)
    assert area.options[:4] == ["Communication and interaction", "Cognition and learning",
                                "Social, emotional and mental health", "Sensory and/or physical"]
    area.set_value(["semh"]).run()
    assert not at.exception
    assert _metrics(at)["Spend this school year"] == "£630.00"
    assert list(at.dataframe[0].value["Intervention"]) == ["Lego therapy"]
    at.multiselect(key=PROVISION_AREAS).set_value([]).run()
    years = at.multiselect(key=PROVISION_YEARS)
    assert years.options == ["Year 2", "Year 3", "Year 4", "Year 5", "Year 6"]
    years.set_value(["5"]).run()
    assert _metrics(at)["Spend this school year"] == "£6,090.00"
    assert '<th scope="col">Year 5</th>' in _markdown(at) and "Year 4</th>" not in _markdown(at)


def test_a_pupil_listed_opens_the_pupil_page(fixture_db, monkeypatch):
    at = _app(fixture_db, monkeypatch)
    at.switch_page(nav.PROVISION).run()
    at.selectbox(key=PROVISION_PICK).set_value((fx.SETTING, "P2")).run()
    pupils = at.dataframe[-1].value  # the last table: the pupils on the intervention picked
    assert list(pupils["pupil"]) == ["Bell, Ben", "Cole, Cara", "Dutt, Dev"]
    assert list(pupils["share"]) == ["£222.39", "£222.39", "£185.22"]
    at.session_state[PROVISION_OPEN] = {"row": 2, "column": "open"}
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    headings = [h.value for kind in ("title", "header", "subheader") for h in at.get(kind)]
    assert any("Dev Dutt" in h for h in headings), headings


def test_the_flags_to_act_on_list_the_pupils_and_open_one(fixture_db, monkeypatch):
    at = _app(fixture_db, monkeypatch)
    at.switch_page(nav.PROVISION).run()
    flags = at.dataframe[1].value
    assert sorted(flags["pupil"]) == ["Bell, Ben", "Evans, Eli", "Green, Gus", "Mills, Mo", "Peel, Pip"]
    eli = flags[flags["pupil"] == "Evans, Eli"].iloc[0]
    assert eli["rule"] == "Provision costs more than the notional SEN budget meets" and "£6,090.00" in eli["reason"]
    assert at.dataframe[2].value["reason"].str.startswith("Toe by Toe:").tolist() == [True]  # the low-impact intervention
    at.session_state[PROVISION_FLAG_OPEN] = {"row": int(flags.index[flags["pupil"] == "Green, Gus"][0]), "column": "open"}
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    headings = [h.value for kind in ("title", "header", "subheader") for h in at.get(kind)]
    assert any("Gus Green" in h for h in headings), headings


def test_the_impact_page_on_the_hand_worked_school(fixture_db, monkeypatch):
    at = _app(fixture_db, monkeypatch)
    at.switch_page(nav.IMPACT).run()
    assert not at.exception, [e.message for e in at.exception]
    specs = [json.loads(el.proto.spec) for el in at.get("plotly_chart")]
    assert len(specs) == 4
    for spec in specs:
        chart_checks.check(spec)
    bubble = specs[0]
    assert bubble["data"][0]["type"] == "scatter" and bubble["layout"]["xaxis"]["title"]["text"].startswith("Cost per pupil")
    low = at.dataframe[1].value if len(at.dataframe) > 1 else None
    assert low is not None and "Toe by Toe" in set(low["Intervention"])
    captions = " ".join(c.value for c in at.caption)
    assert "Not on the chart: 2 with no cost recorded; 3 with no gain expected; 3 with no pupil scored yet" in captions
    at.radio(key=IMPACT_X).set_value("cost_year").run()
    assert not at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["xaxis"]["title"]["text"] == "Cost a year (£)"


@pytest.mark.parametrize("page", PAGES)
def test_an_empty_database_says_what_to_do(empty_db, monkeypatch, page):
    at = _app(empty_db, monkeypatch)
    at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("no pupils" in i.value.lower() for i in at.info)
    assert not at.metric and not at.get("plotly_chart")


@pytest.fixture(scope="module")
def sparse_db(tmp_path_factory):
    return make_db(tmp_path_factory.mktemp("provision-sparse") / "sparse.duckdb", 20)


@pytest.mark.parametrize("page", PAGES)
def test_no_provision_tracked_is_the_empty_state_not_zeros(sparse_db, monkeypatch, page):
    at = _app(sparse_db, monkeypatch, SPARSE_AS_OF)
    at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error
    assert [i.value for i in at.info] == [EMPTY]
    assert "the template has them" in EMPTY and "a grid with a tick per intervention" in EMPTY
    assert not at.metric and not at.dataframe and not at.get("plotly_chart")


def test_the_pages_are_for_staff_only():
    for role in (SENCO, LEADER):
        assert {nav.PROVISION, nav.IMPACT} <= {p.path for p in nav.pages_for(role)}
    assert not {nav.PROVISION, nav.IMPACT} & {p.path for p in nav.pages_for(GOVERNOR)}
