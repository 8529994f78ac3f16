"""Review compliance (senlib.views.compliance): hand-made pupils checked by hand, the demo caseload checked for
consistency with the rules engine, and the Compliance page (AppTest)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from senlib import rules, store
from senlib.access import TRUSTED, Viewer
from senlib.render import charts
from senlib.views import compliance

from .conftest import AS_OF

ROOT = Path(__file__).resolve().parent.parent
DAY = date(2026, 11, 23)


@pytest.fixture
def tiny(tmp_path):
    """Four pupils whose review status on 23/11/2026 (and at 30/06/2026) can be worked out by hand.

    A: SEN Support since 01/01/2026, last review 01/03/2026 -> due by 01/07/2026 (no gap over 4 months): overdue now.
    B: EHC plan issued 01/02/2026, not reviewed -> due by 01/02/2027: on time now.
    C: no SEN -> no review clock.
    D: SEN Support, reviewed 01/12/2025, 15/03/2026 and 01/10/2026 -> due by 01/02/2027: on time now.
    """
    con = store.connect(tmp_path / "tiny.duckdb")
    con.execute("INSERT INTO settings VALUES ('Oak', 'primary', 'Northmoor Council')")
    con.execute("""INSERT INTO pupils (setting, pupil_id, first_name, last_name, date_of_birth, year_group, class, sen_status,
                                       primary_need, local_authority, date_identified) VALUES
        ('Oak', 'A', 'Ann', 'Alpha', DATE '2017-03-01', '4', 'Ash', 'K', 'SPLD', NULL, DATE '2026-01-01'),
        ('Oak', 'B', 'Bob', 'Beta', DATE '2017-05-01', '4', 'Ash', 'E', 'ASD', 'Eastbridge County Council', DATE '2024-01-01'),
        ('Oak', 'C', 'Cat', 'Gamma', DATE '2017-06-01', '4', 'Ash', 'N', NULL, NULL, NULL),
        ('Oak', 'D', 'Dan', 'Delta', DATE '2015-06-01', '6', 'Elm', 'K', 'MLD', NULL, DATE '2025-09-01')""")
    con.execute("""INSERT INTO plans (setting, pupil_id, plan_type, start_date, local_authority) VALUES
        ('Oak', 'A', 'sen_support', DATE '2026-01-01', NULL),
        ('Oak', 'B', 'ehcp', DATE '2026-02-01', 'Eastbridge County Council'),
        ('Oak', 'D', 'sen_support', DATE '2025-09-01', NULL)""")
    con.execute("""INSERT INTO reviews (setting, pupil_id, plan_type, review_date, held, invitations_sent, reports_received,
                                        parent_attended, child_contributed, next_review_date) VALUES
        ('Oak', 'A', 'sen_support', DATE '2026-03-01', TRUE, DATE '2026-01-10', NULL, TRUE, FALSE, NULL),
        ('Oak', 'D', 'sen_support', DATE '2025-12-01', TRUE, DATE '2025-10-01', DATE '2025-11-01', TRUE, TRUE, DATE '2026-03-15'),
        ('Oak', 'D', 'sen_support', DATE '2026-03-15', TRUE, DATE '2026-03-10', DATE '2026-03-01', FALSE, TRUE, DATE '2026-07-15'),
        ('Oak', 'D', 'sen_support', DATE '2026-10-01', TRUE, DATE '2026-08-01', DATE '2026-09-01', TRUE, TRUE, DATE '2027-01-20')""")
    yield con
    con.close()


def test_month_ends():
    days = compliance.month_ends(DAY)
    assert len(days) == 12
    assert days[0] == date(2025, 12, 31) and days[-2] == date(2026, 10, 31) and days[-1] == DAY
    assert date(2026, 2, 28) in days
    month_end = compliance.month_ends(date(2026, 10, 31))
    assert month_end[0] == date(2025, 11, 30) and month_end[-1] == date(2026, 10, 31) and len(set(month_end)) == 12


def test_headline_by_hand(tiny):
    c = compliance.evaluate(tiny, DAY, viewer=TRUSTED)
    h = compliance.headline(c)
    assert (h["pupils"], h["overdue"], h["on_time"]) == (3, 1, 2)
    assert h["rate"] == pytest.approx(2 / 3)
    ehcp = compliance.headline(c, compliance.Filters(plan_types=("ehcp",)))
    assert (ehcp["pupils"], ehcp["overdue"], ehcp["on_time"]) == (1, 0, 1)
    y6 = compliance.headline(c, compliance.Filters(year_groups=("6",)))
    assert (y6["pupils"], y6["overdue"]) == (1, 0)
    assert not y6["register_filtered_by_year"]


def test_no_review_date_counts_as_not_on_time(tiny):
    """E: SEN Support, nothing recorded to date the review from: in the pupils, never on time, counted apart."""
    tiny.execute("""INSERT INTO pupils (setting, pupil_id, first_name, last_name, date_of_birth, year_group, class, sen_status,
                                        primary_need) VALUES ('Oak', 'E', 'Eve', 'Epsilon', DATE '2017-03-01', '4', 'Ash', 'K', 'SPLD')""")
    c = compliance.evaluate(tiny, DAY, viewer=TRUSTED)
    h = compliance.headline(c)
    assert (h["pupils"], h["overdue"], h["no_review_date"], h["on_time"]) == (4, 1, 1, 2)
    assert h["rate"] == pytest.approx(2 / 4)  # not 2/3 (left out) and not 3/4 (on time): blank is never better than late
    cell = compliance.heatmap_table(c).set_index(["plan", "year"]).loc[("SEN Support plan", "Year 4")]
    assert (cell["pupils"], cell["overdue"], cell["no_review_date"], cell["rate"]) == (2, 1, 1, 0.0)
    ash = compliance.by_dimension(c, "class").set_index("label").loc["Ash"]
    assert (ash["pupils"], ash["on_time"], ash["no_review_date"]) == (3, 1, 1)
    last = compliance.trend({DAY: compliance.status_counts(tiny, DAY, viewer=TRUSTED)}, as_of=DAY).iloc[-1]
    assert (last["pupils"], last["on_time"], last["no_review_date"], last["rate"]) == (4, 2, 1, pytest.approx(0.5))
    assert compliance.no_date_note("1", one=True).startswith("1 pupil has no review date recorded")
    assert compliance.no_date_note("fewer than 5").endswith("they count as not on time.")


def test_breakdowns_by_hand(tiny):
    c = compliance.evaluate(tiny, DAY, viewer=TRUSTED)
    heat = compliance.heatmap_table(c)
    cell = heat[(heat["plan"] == "SEN Support plan") & (heat["year"] == "Year 4")].iloc[0]
    assert (cell["pupils"], cell["overdue"], cell["rate"]) == (1, 1, 0.0)
    classes = compliance.by_dimension(c, "class")
    assert list(classes["label"]) == ["Ash", "Elm"]  # lowest on-time rate first
    assert classes.set_index("label").loc["Ash", "rate"] == pytest.approx(0.5)
    councils = compliance.by_dimension(c, "local_authority").set_index("label")
    # B's council is the EHC plan's; A and D (no EHC plan) fall under the setting's council.
    assert councils.loc["Eastbridge County Council", "pupils"] == 1
    assert councils.loc["Northmoor Council", "pupils"] == 2
    needs = compliance.by_dimension(c, "need")
    assert set(needs["label"]) == {"Specific learning difficulty", "Autistic spectrum disorder", "Moderate learning difficulty"}
    with pytest.raises(ValueError):
        compliance.by_dimension(c, "key_worker")


def test_trend_by_hand(tiny):
    days = compliance.month_ends(DAY)
    counts = {d: compliance.status_counts(tiny, d, viewer=TRUSTED) for d in days}
    t = compliance.trend(counts, as_of=DAY).set_index("date")
    # 30/06/2026: A's review is due by 01/07, D's by 15/07 -> neither overdue yet; 31/07/2026: both overdue;
    # 31/10/2026: D was reviewed on 01/10, A still overdue.
    assert t.loc[pd.Timestamp("2026-06-30"), "overdue"] == 0
    assert t.loc[pd.Timestamp("2026-07-31"), "overdue"] == 2
    assert t.loc[pd.Timestamp("2026-10-31"), "overdue"] == 1
    # B's EHC plan was issued on 01/02/2026: no clock on 31/01/2026.
    assert t.loc[pd.Timestamp("2026-01-31"), "pupils"] == 2
    assert t.loc[pd.Timestamp("2026-02-28"), "pupils"] == 3
    assert t["label"].iloc[-1] == "23 Nov 2026 (as of)" and t["label"].iloc[0] == "Dec 2025"
    last = t.iloc[-1]
    h = compliance.headline(compliance.evaluate(tiny, DAY, viewer=TRUSTED))
    assert (last["pupils"], last["on_time"], last["rate"]) == (h["pupils"], h["on_time"], pytest.approx(h["rate"]))


def test_quality_by_hand(tiny):
    c = compliance.evaluate(tiny, DAY, viewer=TRUSTED)  # reviews held since 24/11/2025: A's one and D's three
    q = compliance.quality_table(c).set_index("code")
    assert q.loc["parents_involved", "known"] == 4 and q.loc["parents_involved", "passed"] == 3
    assert q.loc["child_contributed", "rate"] == pytest.approx(3 / 4)
    # Reports in time (2 weeks before): A recorded none (not judged); D: 01/11 for 01/12 yes, 01/03 for 15/03 no... 01/09 yes.
    assert q.loc["reports_in_time", "known"] == 3
    assert (q["passed"] <= q["known"]).all()
    assert list(q.index[:4]) == ["parents_involved", "child_contributed", "reports_in_time", "invitations_in_time"]


def test_shared_status_gives_the_same_result(demo_con):
    """The page hands over the SENCo pages' pupil_status; evaluating it here must give the same aggregates,
    and a frame wider than the viewer's scope is cut down to it."""
    status = rules.pupil_status(demo_con, AS_OF, viewer=TRUSTED)
    own = compliance.evaluate(demo_con, AS_OF, viewer=TRUSTED)
    shared = compliance.evaluate(demo_con, AS_OF, status=status, viewer=TRUSTED)
    pd.testing.assert_frame_equal(own.status, shared.status)
    pd.testing.assert_frame_equal(own.quality, shared.quality)
    first = sorted(status["setting"].unique())[0]
    scoped = compliance.evaluate(demo_con, AS_OF, [first], status=status, viewer=TRUSTED)
    assert set(scoped.status["setting"]) == {first}


def test_trend_point_matches_the_rules(demo_con):
    """A trend point (rules.due_dates, year group on that day) equals pupil_status counted on that day."""
    day = date(2026, 2, 28)
    full = rules.pupil_status(demo_con, day, viewer=TRUSTED)
    full = full[full["status"] != "not_applicable"]
    expected = full.assign(year_group=full["year_group"].astype(object).fillna(compliance.NOT_RECORDED)).groupby(
        ["setting", "plan_type", "year_group", "status"]).size()
    got = compliance.status_counts(demo_con, day, viewer=TRUSTED).set_index(["setting", "plan_type", "year_group", "status"])["pupils"]
    assert got.sort_index().to_dict() == expected.sort_index().to_dict()


def test_demo_figures_are_consistent(demo_con):
    c = compliance.evaluate(demo_con, AS_OF, viewer=TRUSTED)
    h = compliance.headline(c)
    full = rules.pupil_status(demo_con, AS_OF, viewer=TRUSTED)
    applicable = full[full["status"] != "not_applicable"]
    assert h["pupils"] == len(applicable)
    assert h["overdue"] == int((applicable["status"] == "overdue").sum()) > 0
    assert compliance.heatmap_table(c)["pupils"].sum() == h["pupils"]
    for dim in compliance.BREAKDOWNS:
        table = compliance.by_dimension(c, dim)
        assert table["pupils"].sum() == h["pupils"], dim
        assert table["rate"].is_monotonic_increasing, dim
    all_plans = c.register[c.register["plan_type"] == "all"].iloc[0]
    assert h["reviews_held"] == all_plans["reviews_held"] and h["reviews_required"] == all_plans["reviews_required"]
    q = compliance.quality_table(c)
    assert q["known"].sum() > 0 and q["rate"].between(0, 1).all()


def test_as_of_date_changes_the_figures(demo_con):
    now = compliance.headline(compliance.evaluate(demo_con, AS_OF, viewer=TRUSTED))
    earlier = compliance.headline(compliance.evaluate(demo_con, date(2026, 3, 1), viewer=TRUSTED))
    assert (now["pupils"], now["overdue"], now["reviews_held"]) != (earlier["pupils"], earlier["overdue"], earlier["reviews_held"])


def test_figures_are_aggregated_titled_and_colour_blind_safe(demo_con):
    c = compliance.evaluate(demo_con, AS_OF, viewer=TRUSTED)
    days = compliance.month_ends(AS_OF)
    counts = {d: compliance.status_counts(demo_con, d, viewer=TRUSTED) for d in days[-3:-1]} | {AS_OF: c.status}
    figs = compliance.figures(c, compliance.Filters())
    figs["trend"] = compliance.trend_figure(compliance.trend(counts, as_of=AS_OF))
    assert set(figs) == {"heatmap", "trend", "quality", *compliance.BREAKDOWNS}
    for key, spec in figs.items():
        fig = charts.from_spec(spec)
        assert fig.layout.title.text, key
        assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text, key
        assert charts.point_count(fig) <= 500, key
        for trace in fig.data:
            colour = getattr(getattr(trace, "marker", None), "color", None)
            if isinstance(colour, str):
                assert colour in charts.PALETTE, key
    # Filters that match nothing give no charts rather than empty ones.
    assert compliance.figures(c, compliance.Filters(year_groups=("14",))) == {}
    assert compliance.trend_figure(compliance.trend({})) is None


def test_viewer_scope(demo_con):
    settings = [s for (s,) in demo_con.execute("SELECT DISTINCT setting FROM pupils ORDER BY 1").fetchall()]
    one = Viewer(role="leader", email="head@oak.sch.uk", settings=frozenset(settings[:1]))
    c = compliance.evaluate(demo_con, AS_OF, viewer=one)
    assert set(c.status["setting"]) == {settings[0]}
    nobody = Viewer(role="leader", email="x@oak.sch.uk", settings=frozenset())
    assert compliance.headline(compliance.evaluate(demo_con, AS_OF, viewer=nobody))["pupils"] == 0
    from senlib.access import AccessDenied

    with pytest.raises(AccessDenied):
        compliance.evaluate(demo_con, AS_OF, viewer=Viewer(role="governor", email="chair@gmail.com"))


# ------------------------------------------------------------------------------------------- page


def _app(db, monkeypatch) -> AppTest:
    monkeypatch.setenv("SENLIB_DB", str(db))
    import ui.state

    ui.state.connection.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    return at.switch_page("pages/compliance.py")


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_page_as_of_and_filters(demo_db, monkeypatch):
    at = _app(demo_db, monkeypatch)
    at.session_state["as_of"] = AS_OF
    at.run()
    assert not at.exception, at.exception
    first = _metrics(at)
    assert set(first) >= {"Reviews on time", "Overdue", "Due soon", "Reviews held", "Required this year"}
    assert len(at.get("plotly_chart")) >= 4
    at.date_input(key="_as_of_widget").set_value(date(2026, 3, 1)).run()
    assert not at.exception, at.exception
    assert _metrics(at) != first
    at.multiselect(key="compliance_plans").set_value(["ehcp"]).run()
    assert not at.exception, at.exception
    ehcp = _metrics(at)
    assert int(ehcp["Overdue"].replace(",", "")) <= int(first["Overdue"].replace(",", ""))
    assert any("every year group" not in c.value for c in at.caption)


def test_page_empty_database(empty_db, monkeypatch):
    at = _app(empty_db, monkeypatch).run()
    assert not at.exception
    assert any("no pupils" in i.value.lower() for i in at.info)
