"""Chart builders: house style, palette, escaping of tracker text, and the point limit."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from senlib.render import charts


def _titles(fig) -> tuple[str, str, str]:
    return fig.layout.title.text, fig.layout.xaxis.title.text, fig.layout.yaxis.title.text


def _all_figures():
    counts = pd.DataFrame({"need": ["ASD", "SLCN", "SEMH"], "pupils": [10, 7, 3]})
    by_status = pd.DataFrame({"class": ["6A", "6A", "5B"], "status": ["overdue", "on_track", "due_soon"], "pupils": [2, 8, 4]})
    grid = pd.DataFrame({"plan": ["EHC plan", "EHC plan", "SEN Support plan"], "year": ["R", "6", "6"],
                         "rate": [0.5, 1.0, 0.8], "n": [2, 4, 10]})
    months = pd.DataFrame({"month": pd.to_datetime(["2026-01-31", "2026-02-28"]), "rate": [0.7, 0.8]})
    plans = pd.DataFrame({"plan_type": ["sen_support", "my_support_plan", "ehcp"],
                          "start_date": pd.to_datetime(["2023-01-01", "2024-01-01", "2025-01-01"]),
                          "end_date": pd.to_datetime(["2024-01-01", "2025-01-01", None])})
    scores = pd.DataFrame({"score_date": pd.to_datetime(["2025-01-01", "2025-04-01", "2025-07-01"]), "score": [2.0, 3.0, 5.0]})
    return [
        charts.bar(counts, "need", "pupils", title="Pupils by need", x_title="Need", y_title="Pupils"),
        charts.bar(counts, "pupils", "need", orientation="h", title="Pupils by need", x_title="Pupils", y_title="Need"),
        charts.status_bar(by_status, "class", title="Status by class", y_title="Class"),
        charts.heatmap(grid, "year", "plan", "rate", counts="n", title="On time", x_title="Year group",
                       y_title="Plan type", z_title="On time"),
        charts.line(months, "month", "rate", percent=True, title="On time by month", x_title="Month", y_title="On time"),
        charts.plan_timeline(plans, as_of=date(2026, 11, 23)),
        charts.scaling_chart(scores, baseline=2, target=8, title="O1", area="semh"),
    ]


def test_every_builder_has_title_and_axis_titles_and_house_palette():
    for fig in _all_figures():
        title, x_title, y_title = _titles(fig)
        assert title and x_title and y_title, fig.layout.title
        assert list(fig.layout.colorway) == charts.PALETTE
        assert charts.point_count(fig) < charts.MAX_POINTS


def test_style_refuses_missing_titles():
    import plotly.graph_objects as go

    with pytest.raises(ValueError):
        charts.style(go.Figure(), title="A chart", x_title="", y_title="Pupils")


def test_builders_refuse_unaggregated_data():
    rows = pd.DataFrame({"x": [str(i) for i in range(charts.MAX_POINTS + 1)], "y": 1})
    with pytest.raises(charts.TooManyPointsError):
        charts.bar(rows, "x", "y", title="t", x_title="x", y_title="y")


def test_tracker_text_is_escaped_in_figures():
    df = pd.DataFrame({"class": ['<a href="javascript:alert(1)">6A</a>', "<b>5B</b>"], "pupils": [1, 2]})
    fig = charts.bar(df, "class", "pupils", title="Class <i>x</i>", x_title="Class", y_title="Pupils")
    assert "<a" not in str(list(fig.data[0].x))
    assert "&lt;a href" in fig.data[0].x[0]
    assert fig.layout.title.text == "Class &lt;i&gt;x&lt;/i&gt;"


def test_status_colours_and_words_cover_every_status():
    for code in charts.STATUS_ORDER:
        assert charts.STATUS_COLOURS[code].startswith("#")
        assert charts.STATUS_WORDS[code] in charts.status_word(code)
        assert "background-color" in charts.status_css(code)
    assert charts.status_word("overdue") == "▲ Overdue"
    assert set(charts.STATUS_COLOURS.values()) <= set(charts.PALETTE) | {charts.GREY}
    assert set(charts.STATUS_ORDER) == set(charts.STATUS_COLOURS) == set(charts.STATUS_SYMBOLS)
    assert len(set(charts.STATUS_COLOURS.values())) == len(charts.STATUS_COLOURS)  # never a colour shared by two
    assert len(set(charts.STATUS_SYMBOLS.values())) == len(charts.STATUS_SYMBOLS)
    # No review date recorded is a record to fix, not a late review: its own colour, shape and word, after overdue.
    assert charts.status_word("no_review_date") == "○ No review date recorded"
    assert charts.STATUS_ORDER[:2] == ["overdue", "no_review_date"]
    assert "color: #000000" in charts.status_css("no_review_date")


def test_status_bar_uses_status_colours_in_action_order():
    fig = _all_figures()[2]
    names = [t.name for t in fig.data]
    assert names == ["Overdue", "Due soon", "On track"]
    assert fig.data[0].marker.color == charts.STATUS_COLOURS["overdue"]


def test_top_n_folds_the_tail_into_other():
    df = pd.DataFrame({"la": [f"Council {i}" for i in range(30)], "pupils": range(30)})
    out = charts.top_n(df, "la", "pupils", n=5)
    assert len(out) == 5
    assert out["pupils"].sum() == df["pupils"].sum()
    assert "Other" in set(out["la"])


def test_scaling_chart_draws_baseline_and_target_lines():
    fig = _all_figures()[-1]
    ys = sorted(s.y0 for s in fig.layout.shapes)
    assert ys == [2, 8]
    assert fig.layout.yaxis.range[0] < 0 < 10 < fig.layout.yaxis.range[1]


def test_timeline_runs_ongoing_plans_to_as_of():
    fig = _all_figures()[5]
    assert [t.name for t in fig.data] == ["SEN Support plan", "My Support Plan", "EHC plan"]
    assert fig.data[-1].customdata[0][1] == "ongoing"


def test_number_formatting():
    assert charts.number(0.456, percent=True) == "46%"
    assert charts.number(1234.0) == "1,234"
    assert charts.number(2.25) == "2.2" or charts.number(2.25) == "2.3"
    assert charts.number(None) == ""


def test_figures_are_valid_plotly_and_survive_the_spec_round_trip():
    """Builders skip Plotly's per-property validation for speed; check the whole spec validates here."""
    import plotly.graph_objects as go

    for fig in _all_figures():
        spec = charts.to_spec(fig)
        go.Figure(spec)  # raises on any invalid property
        again = charts.from_spec(spec)
        assert again.layout.title.text == fig.layout.title.text
        assert len(again.data) == len(fig.data)
