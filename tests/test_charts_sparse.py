"""Charts never break (issue 14, item 3): every figure the pages draw, built the way the page builds it (the senlib
function the page calls), on the sparse trackers schools keep (20 and 60 pupils: review dates and little else) and on
edge cases: an outcome scored once or never, a setting with no review date, nobody on SEN Support, an empty
database. Each spec is checked by tests.chart_checks: data in it, no trace of blanks only, date axes at least a week
wide, numeric axes finite and increasing. A chart with nothing to draw is None, and the page says so in words."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pandas as pd
import pytest

from senlib import store
from senlib.access import TRUSTED
from senlib.render import charts
from senlib.views import compliance, overview, progress, pupil
from tests import chart_checks
from tests.sparse_corpus import AS_OF, SETTING, make_db
from tests.sparse_more import make_no_sen_db, make_outcomes_db, make_undated_db


@pytest.fixture(scope="module", params=[20, 60], ids=["20-pupils", "60-pupils"])
def sparse_con(request, tmp_path_factory):
    con = store.connect(make_db(tmp_path_factory.mktemp("sparse") / "sparse.duckdb", request.param))
    yield con
    con.close()


def page_figures(con) -> dict[str, dict | None]:
    """Every figure of the Overview, Compliance (with its 12-month trend), Progress and Pupil pages, by name."""
    figs: dict[str, dict | None] = {}
    figs |= {f"overview.{k}": v for k, v in overview.figures(overview.overview(con, viewer=TRUSTED)).items()}
    c = compliance.evaluate(con, AS_OF, viewer=TRUSTED)
    figs |= {f"compliance.{k}": v for k, v in compliance.view(c)["figures"].items()}
    counts = {d: compliance.status_counts(con, d, viewer=TRUSTED) for d in compliance.month_ends(AS_OF)[:-1]} | {AS_OF: c.status}
    figs["compliance.trend"] = compliance.trend_figure(compliance.trend(counts, as_of=AS_OF))
    df = progress.outcome_progress(con, AS_OF, viewer=TRUSTED)
    for dim in progress.DIMENSIONS:
        figs |= {f"progress.{dim}.{k}": v for k, v in progress.figures(dim, progress.summary_by(df, dim)).items()}
    for (pid,) in con.execute("SELECT pupil_id FROM pupils ORDER BY 1").fetchall():
        rec = pupil.record(con, SETTING, pid, as_of=AS_OF, viewer=TRUSTED)
        figs |= {f"pupil.{pid}.{k}": v for k, v in pupil.figures(rec, AS_OF).items()}
    return figs


def test_every_chart_on_the_sparse_register_is_sound(sparse_con):
    figs = page_figures(sparse_con)
    for name, spec in figs.items():
        assert spec is None or chart_checks.problems(spec) == [], (name, chart_checks.problems(spec))
    drawn = {k for k, v in figs.items() if v is not None}
    # What a sparse register can show is shown: the caseload by need and plan, on time by plan and year, the trend.
    assert {"overview.need", "overview.plan", "compliance.heatmap", "compliance.setting", "compliance.trend"} <= drawn
    # No plan start date and no outcome: no path through the graduated response and no scaling chart, not broken ones.
    assert not [k for k in drawn if k.startswith("pupil.")]
    # No outcome at all: the Progress page says so before any chart (its figures are None, never empty axes).
    assert not [k for k in drawn if k.startswith("progress.")]


def test_one_score_and_none(tmp_path):
    con = store.connect(make_outcomes_db(tmp_path / "outcomes.duckdb"))
    a, b = (r[0] for r in con.execute("SELECT pupil_id FROM pupils ORDER BY 1 LIMIT 2").fetchall())
    figs = pupil.figures(pupil.record(con, SETTING, a, as_of=AS_OF, viewer=TRUSTED), AS_OF)
    assert set(figs) == {"O1"}                      # O2 has no score: a sentence, not empty axes
    chart_checks.check(figs["O1"])
    assert chart_checks.plain(figs["O1"])["data"][0]["y"] == [4.0]
    lo, hi = (pd.Timestamp(v) for v in figs["O1"]["layout"]["xaxis"]["range"])
    assert hi - lo >= timedelta(days=60)            # one score: two months of axis round it, not hours
    assert pupil.figures(pupil.record(con, SETTING, b, as_of=AS_OF, viewer=TRUSTED), AS_OF) == {}
    assert "not scored yet" in pupil.not_scored("O1: Reads simple CVC words")
    # Progress on three outcomes, one scored: each measure a chart of its own with a point, or None.
    df = progress.outcome_progress(con, AS_OF, viewer=TRUSTED)
    for dim in progress.DIMENSIONS:
        for measure, spec in progress.figures(dim, progress.summary_by(df, dim)).items():
            chart_checks.check(spec)
            if spec is not None:
                assert len(spec["data"]) == 1 and chart_checks.plain(spec)["data"][0]["x"], (dim, measure)
    con.close()


def test_a_setting_with_no_review_date(tmp_path):
    con = store.connect(make_undated_db(tmp_path / "undated.duckdb"))
    figs = page_figures(con)
    for spec in figs.values():
        chart_checks.check(spec)
    heat = chart_checks.plain(figs["compliance.heatmap"])
    assert heat is not None and all(v == 0 for row in heat["data"][0]["z"] for v in row if v is not None)
    trend = chart_checks.plain(figs["compliance.trend"])
    assert trend is not None and set(trend["data"][0]["y"]) == {0.0}   # none on time: a line at 0%, not a blank chart
    con.close()


def test_nobody_on_sen_support_and_an_empty_database(tmp_path):
    con = store.connect(make_no_sen_db(tmp_path / "nosen.duckdb"))
    assert overview.figures(overview.overview(con, viewer=TRUSTED)) == {"need": None, "plan": None}
    c = compliance.evaluate(con, AS_OF, viewer=TRUSTED)
    assert compliance.view(c)["figures"] == {}
    assert compliance.trend_figure(compliance.trend({AS_OF: c.status}, as_of=AS_OF)) is None
    con.close()
    empty = store.connect(tmp_path / "empty.duckdb")
    assert overview.figures(overview.overview(empty, viewer=TRUSTED)) == {"need": None, "plan": None}
    for dim in progress.DIMENSIONS:
        assert set(progress.figures(dim, progress.summary_by(progress.outcome_progress(empty, AS_OF, viewer=TRUSTED), dim)).values()) == {None}
    empty.close()


# ------------------------------------------------------------------------------ the builders' edge cases


def test_plan_timeline_of_a_plan_started_days_ago():
    """Drawn from its data alone the axis would run over three days in hours: it gets at least three months."""
    plans = pd.DataFrame({"plan_type": ["sen_support"], "start_date": [AS_OF - timedelta(days=3)], "end_date": [None]})
    spec = charts.to_spec(charts.plan_timeline(plans, as_of=AS_OF))
    chart_checks.check(spec)
    lo, hi = (pd.Timestamp(v) for v in spec["layout"]["xaxis"]["range"])
    assert hi - lo >= timedelta(days=90) and lo <= pd.Timestamp(AS_OF - timedelta(days=3)) and hi >= pd.Timestamp(AS_OF)


def test_scaling_chart_of_one_score_and_date_range():
    one = pd.DataFrame({"score_date": [AS_OF], "score": [5.0]})
    spec = charts.to_spec(charts.scaling_chart(one, baseline=2, target=8, title="O1"))
    chart_checks.check(spec)
    assert charts.date_range(AS_OF, AS_OF, min_days=60) == ["2026-11-01", "2026-12-31"]
    lo, hi = charts.date_range("2025-09-01", "2026-08-31")
    assert lo < "2025-09-01" and hi > "2026-08-31"


def test_the_checks_catch_a_broken_chart():
    """The checks themselves: each of the breakages the issue saw is caught."""
    collapsed = {"data": [{"type": "bar", "orientation": "h", "base": ["2026-12-01"], "x": [0.001], "y": ["EHC plan"]}],
                 "layout": {"title": {"text": "Path"}, "xaxis": {"type": "date"}}}
    assert any("under a week" in p for p in chart_checks.problems(collapsed))
    blank = {"data": [{"type": "bar", "orientation": "h", "x": [None, None], "y": ["a", "b"]}], "layout": {}}
    assert any("only blank" in p for p in chart_checks.problems(blank))
    assert chart_checks.problems({"data": [], "layout": {}})
    inverted = {"data": [{"type": "scatter", "x": [1, 2], "y": [1, 2]}], "layout": {"yaxis": {"range": [6, -1]}}}
    assert any("not finite and increasing" in p for p in chart_checks.problems(inverted))


def test_progress_labels_readable_and_one_measure_per_chart():
    summary = pd.DataFrame({"area_label": ["Communication and interaction", "Cognition and learning"], "outcomes": [4, 3],
                            "pupils": [2, 2], "mean_change": [2.0, 1.5], "median_share": [0.33, 0.4],
                            "on_track_share": [0.1, 0.13], "stalled": [1, 0]})
    figs = progress.figures("area_label", summary)
    assert set(figs) == {"on_track_share", "median_share", "mean_change"}
    for spec in figs.values():
        chart_checks.check(spec)
        (trace,) = spec["data"]                                   # one measure: one trace, one axis
        assert trace["textfont"]["size"] >= 12
        assert spec["layout"]["uniformtext"]["minsize"] >= 11      # never shrunk to 6 px to fit a thin bar
    assert figs["on_track_share"]["layout"]["xaxis"]["title"]["text"] == "Share of outcomes on track"
    assert figs["median_share"]["layout"]["xaxis"]["title"]["text"] == "Median share of the way to target"
    for spec in figs.values():                                     # labels level, beside the bar, inside the axis range
        assert spec["data"][0]["textposition"] == "outside" and spec["data"][0]["textangle"] == 0


def test_trend_labels_do_not_overlap():
    counts = {d: pd.DataFrame({"setting": [SETTING], "plan_type": ["sen_support"], "year_group": ["3"],
                               "status": ["on_track"], "pupils": [10]}) for d in compliance.month_ends(AS_OF)}
    spec = compliance.trend_figure(compliance.trend(counts, as_of=AS_OF))
    chart_checks.check(spec)
    text = spec["data"][0]["text"]
    assert [t for t in text if t] == ["100% on 01 Dec"]            # only the last point is labelled
    ticks = [pd.Timestamp(t) for t in spec["layout"]["xaxis"]["tickvals"]]
    assert min(b - a for a, b in zip(ticks, ticks[1:], strict=False)) >= timedelta(days=12)  # 30 Nov and 1 Dec: one tick


def test_record_with_an_all_blank_score_column_draws_nothing():
    rec = pupil.PupilRecord(
        setting=SETTING, pupil_id="P1", name="A B", profile=pd.DataFrame(columns=["field", "value"]), current_plan=None,
        plans=pd.DataFrame(columns=["plan_type", "plan", "start_date", "end_date", "local_authority", "ongoing"]),
        reviews=pd.DataFrame(), outcomes=pd.DataFrame({
            "outcome_id": ["O1"], "area": ["semh"], "area_label": ["Social, emotional and mental health"],
            "description": ["x"], "baseline": [1.0], "target": [5.0], "scale_min": [0.0], "scale_max": [10.0],
            "start_date": [None], "target_date": [None], "status": [None]}),
        scores=pd.DataFrame({"outcome_id": ["O1"], "score_date": [AS_OF], "score": [float("nan")]}),
        ehc_requests=pd.DataFrame(), extra=pd.DataFrame(), warnings=[])
    assert pupil.figures(rec, AS_OF) == {}
    assert pupil.figures(dataclasses.replace(rec, scores=rec.scores.assign(score=[3.0])), AS_OF).keys() == {"O1"}
