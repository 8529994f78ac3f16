"""Outcome progress: per-outcome figures, stalled outcomes, summaries, and the Progress page."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from senlib import store
from senlib.access import TRUSTED
from senlib.views import progress

from .conftest import AS_OF

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def tiny(tmp_path):
    """One pupil, four outcomes with hand-made scores, so every figure can be checked by hand."""
    con = store.connect(tmp_path / "tiny.duckdb")
    con.execute("""INSERT INTO pupils (setting, pupil_id, first_name, last_name, date_of_birth, year_group, sen_status, primary_need)
                   VALUES ('S', 'P1', 'Ada', 'Lovelace', DATE '2016-05-01', '5', 'K', 'SPLD'),
                          ('S', 'P2', 'Left', 'Already', DATE '2016-05-01', '5', 'K', 'MLD')""")
    con.execute("UPDATE pupils SET leaving_date = DATE '2026-01-01' WHERE pupil_id = 'P2'")
    con.execute("INSERT INTO plans (setting, pupil_id, plan_type, start_date) VALUES ('S', 'P1', 'sen_support', DATE '2025-09-01'),"
                " ('S', 'P1', 'my_support_plan', DATE '2026-03-01'), ('S', 'P2', 'sen_support', DATE '2025-09-01')")
    outcomes = [
        # id, area, baseline, target, scores
        ("RISE", "cognition_learning", 2, 8, [2, 4, 6]),       # rising: not stalled, 2/3 of the way
        ("FLAT", "semh", 1, 5, [1, 3, 3]),                     # last two equal: stalled
        ("DONE", "semh", 0, 4, [0, 4, 4]),                     # target reached: not stalled, on track
        ("DOWN", "sensory_physical", 5, 1, [5, 3, 2]),         # target below baseline, moving towards it
        ("NONE", "pfa", 0, 10, []),                            # not scored yet
    ]
    for oid, area, base, target, scores in outcomes:
        con.execute("""INSERT INTO outcomes (setting, pupil_id, outcome_id, area, baseline, target, start_date, target_date)
                       VALUES ('S', 'P1', ?, ?, ?, ?, DATE '2025-09-01', DATE '2026-09-01')""", [oid, area, base, target])
        for i, s in enumerate(scores):
            con.execute("INSERT INTO scores VALUES ('S', 'P1', ?, ?, ?, NULL)", [oid, (date(2025, 9, 1), date(2025, 11, 1), date(2026, 1, 1))[i], s])
    con.execute("""INSERT INTO outcomes (setting, pupil_id, outcome_id, area, baseline, target, start_date, target_date)
                   VALUES ('S', 'P2', 'GONE', 'semh', 0, 5, DATE '2025-09-01', DATE '2026-09-01')""")
    yield con
    con.close()


def test_per_outcome_figures(tiny, monkeypatch):
    df = progress.outcome_progress(tiny, date(2026, 3, 1), viewer=TRUSTED).set_index("outcome_id")
    assert set(df.index) == {"RISE", "FLAT", "DONE", "DOWN", "NONE"}  # P2 has left
    assert df.loc["RISE", "latest"] == 6 and df.loc["RISE", "change"] == 4
    assert df.loc["RISE", "share"] == pytest.approx(4 / 6)
    assert df.loc["DOWN", "share"] == pytest.approx(0.75)
    assert df.loc[["RISE", "FLAT", "DONE", "DOWN", "NONE"], "stalled"].tolist() == [False, True, False, False, False]
    assert bool(df.loc["DONE", "reached"]) and bool(df.loc["DONE", "on_track"])
    assert pd.isna(df.loc["NONE", "on_track"]) and df.loc["NONE", "scores"] == 0
    # 1 Sep -> 1 Mar is half of the way to the 1 Sep target date: RISE (67%) and DOWN (75%) are on track.
    assert df.loc["RISE", "expected_share"] == pytest.approx(181 / 365)
    assert bool(df.loc["RISE", "on_track"]) and not bool(df.loc["FLAT", "on_track"])
    assert set(df["plan_label"]) == {"My Support Plan"}  # the highest current plan
    assert set(df["year_label"]) == {"Year 5"}


def test_scores_after_as_of_are_ignored(tiny, monkeypatch):
    df = progress.outcome_progress(tiny, date(2025, 12, 1), viewer=TRUSTED).set_index("outcome_id")
    assert df.loc["RISE", "latest"] == 4 and df.loc["RISE", "scores"] == 2
    assert not df["stalled"].any()
    assert set(df["plan_label"]) == {"SEN Support plan"}


def test_headline_summary_and_stalled_pupils(tiny, monkeypatch):
    df = progress.outcome_progress(tiny, date(2026, 3, 1), viewer=TRUSTED)
    h = progress.headline(df)
    assert h["outcomes"] == 5 and h["scored"] == 4 and h["pupils"] == 1
    assert h["on_track_share"] == pytest.approx(3 / 4)
    assert h["stalled_outcomes"] == 1 and h["stalled_pupils"] == 1
    by_area = progress.summary_by(df, "area_label")
    assert list(by_area["area_label"]) == ["Cognition and learning", "Social, emotional and mental health",
                                           "Sensory and/or physical", "Preparing for adulthood"]
    semh = by_area.set_index("area_label").loc["Social, emotional and mental health"]
    assert semh["outcomes"] == 2 and semh["stalled"] == 1
    stalled = progress.stalled_pupils(df)
    assert stalled.loc[0, "pupil"] == "Lovelace, Ada"
    assert stalled.loc[0, "link"] == "pupil?pupil=S%7CP1"
    with pytest.raises(ValueError):
        progress.summary_by(df, "nonsense")


def test_demo_progress_is_sensible(demo_con):
    df = progress.outcome_progress(demo_con, AS_OF, viewer=TRUSTED)
    assert len(df) > 100
    assert df["share"].dropna().between(-2, 2).all()
    assert 0 < df["stalled"].mean() < 0.6
    for dim in progress.DIMENSIONS:
        summary = progress.summary_by(df, dim)
        assert summary["outcomes"].sum() == len(df)
    years = list(progress.summary_by(df, "year_label")["year_label"])
    assert years.index("Reception") < years.index("Year 1") < years.index("Year 10")
    only = progress.outcome_progress(demo_con, AS_OF, settings=[df["setting"].iloc[0]], viewer=TRUSTED)
    assert set(only["setting"]) == {df["setting"].iloc[0]}


def _app(db, monkeypatch) -> AppTest:
    monkeypatch.setenv("SENLIB_DB", str(db))
    import ui.state

    ui.state.connection.clear()
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)


def test_progress_page_on_demo_data(demo_db, monkeypatch):
    at = _app(demo_db, monkeypatch)
    at.run()
    at.switch_page("pages/progress.py").run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Outcomes"].replace(",", "")) > 0
    assert metrics["On track"].endswith("%")
    assert len(at.tabs) == 4
    assert len(at.get("plotly_chart")) == 12  # three per dimension: on track, way to target, mean change (one measure each)
    stalled_table = at.dataframe[-1].value
    assert (stalled_table["open"] == "Open").all() and "pupil_id" in stalled_table
    before = metrics["Stalled outcomes"]
    at.date_input[0].set_value(date(2025, 1, 1)).run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}.get("Stalled outcomes") != before


def test_stalled_outcomes_download_parses(demo_db, monkeypatch, downloads):
    import io

    from openpyxl import load_workbook

    at = _app(demo_db, monkeypatch)
    at.session_state["as_of"] = AS_OF
    at.run()
    at.switch_page("pages/progress.py").run()
    shown = at.dataframe[-1].value
    rows = list(load_workbook(io.BytesIO(downloads[f"stalled-outcomes-{AS_OF:%Y-%m-%d}.xlsx"]()))["Stalled outcomes"]
                .iter_rows(values_only=True))
    assert len(rows) - 1 == len(shown) > 0
    assert "Open" not in rows[0]  # the button column is not exported


def test_progress_page_filters_by_setting(demo_db, monkeypatch):
    at = _app(demo_db, monkeypatch)
    at.run()
    at.switch_page("pages/progress.py").run()
    total = int(at.metric[0].value.replace(",", ""))
    at.multiselect[0].select(at.multiselect[0].options[0]).run()
    assert not at.exception
    assert 0 < int(at.metric[0].value.replace(",", "")) < total


def test_progress_page_empty_database(empty_db, monkeypatch):
    at = _app(empty_db, monkeypatch)
    at.run()
    at.switch_page("pages/progress.py").run()
    assert not at.exception
    assert any("no pupils" in i.value.lower() for i in at.info)


def test_overview_loads_demo_data_with_one_click(empty_db, monkeypatch):
    at = _app(empty_db, monkeypatch)
    at.run()
    assert any("no pupils" in i.value.lower() for i in at.info)
    at.button[0].click().run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Pupils on roll"].replace(",", "")) > 1000


def test_progress_is_scoped_to_the_viewer(demo_con):
    from senlib.access import AccessDenied, Viewer

    with pytest.raises(AccessDenied):
        progress.outcome_progress(demo_con, AS_OF, viewer=Viewer(role="governor", email="g@school.org"))
    one = demo_con.execute("SELECT min(setting) FROM pupils").fetchall()[0][0]
    limited = Viewer(role="leader", email="h@school.org", settings=frozenset({one}))
    assert set(progress.outcome_progress(demo_con, AS_OF, viewer=limited)["setting"]) == {one}
    # A filter cannot widen what the viewer may see.
    assert progress.outcome_progress(demo_con, AS_OF, settings=["Somewhere else"], viewer=limited).empty
