"""The Pupil page's provision (issue 16, item 4): the costed history, the cost against the notional SEN budget's
threshold, an entry/exit chart per intervention, the provision flags and the evidence pack's download; on the
hand-worked fixture (tests/provision_fixture.py), on the sparse corpus (no provision: not tracked, never £0) and on
the demo."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from senlib import access, store
from senlib.core.text import shown
from senlib.views import pupil
from tests import provision_fixture as F
from tests import sparse_corpus

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def fixture_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("prov-pupil") / "hollybank.duckdb"
    F.build(path).close()
    return path


@pytest.fixture(scope="module")
def frames(fixture_db):
    con = store.connect(fixture_db)
    try:
        yield pupil.provision_frames(con, F.AS_OF, F.SETTING, viewer=access.TRUSTED)
    finally:
        con.close()


def _view(frames, pid: str) -> pupil.ProvisionView:
    return pupil.provision_view(frames, F.SETTING, pid, F.AS_OF)


def test_eli_is_over_the_threshold_with_the_rules_sentence(frames):
    v = _view(frames, "E1")
    assert v.tracked and v.over and round(v.cost_year, 2) == 6090.00 and v.hours_week == 6
    assert v.cost_line.startswith("£6,090.00 this school year — over the £6,000 a school meets from its notional SEN "
                                  "budget: consider top-up funding or an EHC needs assessment request")
    assert list(v.flags["rule"]) == ["provision_over_notional"]
    assert "costs £6,090.00 (1:1 support £3,800.00, Specialist teaching £2,290.00)" in v.flags["reason"].iloc[0]
    assert list(v.table["Share of cost this school year"]) == ["£2,290.00", "£3,800.00"]


def test_a_share_not_costed_reads_not_tracked_never_nought(frames):
    v = _view(frames, "F1")  # Fay: the writing slope £25.00, the reading group not tracked
    assert round(v.cost_year, 2) == 25.00 and not v.cost_complete and not v.over
    assert "where costed (Reading group: cost not tracked)" in v.cost_line
    shares = dict(zip(v.table["Intervention"], v.table["Share of cost this school year"], strict=True))
    assert shares == {"Writing slope": "£25.00", "Reading group": "not tracked"}
    assert "£0" not in " ".join(v.table.astype(str).to_numpy().ravel())


def test_shares_entry_exit_attendance_and_flags(frames):
    ben = _view(frames, "B1")
    row = ben.table.iloc[0]
    assert (row["Share of cost this school year"], row["Attendance"], row["Entry"]) == ("£222.39", "8 of 12 (67%)", "3")
    assert list(ben.flags["rule"]) == ["provision_attendance_low"] and "P2" in ben.charts
    hal = _view(frames, "H1")
    toe = hal.table.set_index("Intervention").loc["Toe by Toe"]
    assert (toe["Share of cost this school year"], toe["Gain (expected)"], toe["To"]) == ("£119.37", "+2 (+6 expected)",
                                                                                         "15/10/2026")
    assert "provision_low_impact" in set(hal.flags["rule"])  # the intervention he was on this year: review it
    spec = hal.charts["P8"]
    assert spec["data"][0]["y"] == [90.0, 92.0] and "Expected at exit 96" in json.dumps(spec["layout"])
    mo = _view(frames, "M1")
    assert "provision_no_exit" in set(mo.flags["rule"])
    pip = _view(frames, "P1")  # on Toe by Toe last school year: no share now, no low-impact flag about it
    assert "none this school year" in set(pip.table["Share of cost this school year"])
    assert "provision_low_impact" not in set(pip.flags["rule"]) and "provision_no_exit" in set(pip.flags["rule"])
    assert "P9" not in pip.charts and "P9" not in pip.no_chart  # in class, no measure: nothing to draw or say
    dev = _view(frames, "D1")  # Lego therapy has a measure, Dev no score yet: a sentence, not an empty chart
    assert "P2" in dev.no_chart and "P2" not in dev.charts


def test_gus_on_the_register_with_nothing_gets_the_rules_sentence(frames):
    gus = _view(frames, "G1")
    assert gus.places.empty and list(gus.flags["rule"]) == ["register_without_provision"]
    assert gus.flags["reason"].iloc[0].startswith("SEN Support with no provision recorded as running on 1 Dec 2026")


def test_the_evidence_pack_to_the_penny(frames, fixture_db):
    from senlib.render import exports

    con = store.connect(fixture_db)
    try:
        rec = pupil.record(con, F.SETTING, "E1", as_of=F.AS_OF, viewer=access.TRUSTED)
    finally:
        con.close()
    sheets = pupil.evidence_pack(rec, _view(frames, "E1"), F.AS_OF)
    wb = load_workbook(io.BytesIO(exports.to_xlsx(sheets)))
    assert wb.sheetnames == ["Summary", "Provision", "Flags"]
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Cost this school year (£)"] == 6090.0 and summary["Threshold met from the notional SEN budget (£)"] == 6000
    rows = list(wb["Provision"].iter_rows(values_only=True))
    head = rows[0]
    shares = {r[0]: r[head.index("Pupil's share this school year (£)")] for r in rows[1:]}
    assert shares == {"Specialist teaching": 2290.0, "1:1 support": 3800.0}
    assert pupil.evidence_file_name(rec, F.AS_OF) == "costed-provision-E1-2026-12-01.xlsx"


# ------------------------------------------------------------------------------------------------ the page


def _open(db, monkeypatch, key: str, as_of) -> AppTest:
    monkeypatch.setenv("SENLIB_DB", str(db))
    import ui.state

    ui.state.connection.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["as_of"] = as_of
    at.run()
    at.query_params[pupil.QUERY_PARAM] = key
    at.switch_page("pages/pupil.py").run()
    assert not at.exception, at.exception
    return at


def _texts(at: AppTest) -> str:
    return "\n".join(shown(m.value) for m in [*at.info, *at.warning, *at.caption])


def test_page_on_the_fixture(fixture_db, monkeypatch, downloads):
    at = _open(fixture_db, monkeypatch, pupil.pupil_key(F.SETTING, "E1"), F.AS_OF)
    assert any(s.value == "Provision" for s in at.subheader)
    assert any("£6,090.00 this school year" in shown(w.value) and "top-up funding" in shown(w.value) for w in at.warning)
    table = next(d.value for d in at.dataframe if "Intervention" in d.value.columns)
    assert set(table["Intervention"]) == {"1:1 support", "Specialist teaching"}
    body = downloads["costed-provision-E1-2026-12-01.xlsx"]()
    assert load_workbook(io.BytesIO(body)).sheetnames == ["Summary", "Provision", "Flags"]
    con = store.connect(fixture_db)
    try:
        assert con.execute("SELECT count(*) FROM audit WHERE action = 'export' AND detail LIKE '%costed provision%'"
                           ).fetchall()[0][0] == 1
    finally:
        con.close()
    gus = _open(fixture_db, monkeypatch, pupil.pupil_key(F.SETTING, "G1"), F.AS_OF)
    assert any(shown(w.value).startswith("SEN Support with no provision recorded") for w in gus.warning)
    assert not any("Intervention" in d.value.columns for d in gus.dataframe)


def test_page_on_the_sparse_corpus_says_not_tracked_once(tmp_path, monkeypatch):
    db = sparse_corpus.make_db(tmp_path / "s20.duckdb", 20)
    con = store.connect(db)
    pid = con.execute("SELECT pupil_id FROM pupils WHERE sen_status = 'K' ORDER BY pupil_id LIMIT 1").fetchall()[0][0]
    con.close()
    at = _open(db, monkeypatch, pupil.pupil_key(sparse_corpus.SETTING, pid), sparse_corpus.AS_OF)
    text = _texts(at)
    assert text.count(pupil.NOT_TRACKED_PROVISION) == 1
    assert "£" not in text and not any("Intervention" in d.value.columns for d in at.dataframe)
    assert "no provision recorded" not in text


def test_page_on_the_demo(demo_db, monkeypatch):
    from tests.conftest import AS_OF

    con = store.connect(demo_db)
    row = con.execute("SELECT setting, pupil_id FROM pupil_provisions ORDER BY setting, pupil_id LIMIT 1").fetchall()
    con.close()
    if not row:
        pytest.skip("the demo records no provision yet")
    at = _open(demo_db, monkeypatch, pupil.pupil_key(*row[0]), AS_OF)
    assert any(s.value == "Provision" for s in at.subheader)
    assert "this school year" in _texts(at)
