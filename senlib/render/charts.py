"""Plotly figure builders shared by every page and report.

Why one module: every chart must look alike, use a colour-blind-safe palette (Okabe-Ito),
carry a title and axis titles, and receive data already aggregated on the server, so a
page never ships tens of thousands of points to the browser. Builders take small
DataFrames (one row per bar, cell or point) and refuse large ones.

Text that came from a tracker (class names, councils, outcome descriptions) is escaped
before it reaches a figure: Plotly renders a small subset of HTML in titles, ticks and
hover labels, and tracker text must only ever show as text.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from senlib.core.names import AREAS, PLAN_TYPES, REVIEW_STATUS, not_recorded

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency.
OKABE_ITO: dict[str, str] = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "bluish_green": "#009E73",
    "reddish_purple": "#CC79A7",
    "sky_blue": "#56B4E9",
    "vermillion": "#D55E00",
    "yellow": "#F0E442",
    "black": "#000000",
}
PALETTE: list[str] = list(OKABE_ITO.values())
GREY = "#8C8C8C"
# Cividis: a sequential scale readable with colour-vision deficiencies, light = high.
SEQUENTIAL = "cividis"

# Review status: colour AND word (never colour alone), in the order a SENCo acts on them (names.REVIEW_STATUS).
# No review date recorded is a record to fix, not a late review: purple, never the overdue red.
STATUS_ORDER: list[str] = list(REVIEW_STATUS)
STATUS_COLOURS: dict[str, str] = {
    "overdue": OKABE_ITO["vermillion"],
    "no_review_date": OKABE_ITO["reddish_purple"],
    "due_soon": OKABE_ITO["orange"],
    "on_track": OKABE_ITO["bluish_green"],
    "not_applicable": GREY,
}
STATUS_WORDS: dict[str, str] = dict(REVIEW_STATUS)
# A shape per status, for tables and text where colour may not show (printouts, screen readers read the word).
STATUS_SYMBOLS: dict[str, str] = {"overdue": "▲", "no_review_date": "○", "due_soon": "◆", "on_track": "●",
                                  "not_applicable": "–"}
# Statuses whose colour is light enough for black text (WCAG contrast); the others take white.
DARK_TEXT = ("no_review_date", "due_soon", "on_track")

PLAN_COLOURS: dict[str, str] = {
    "pupil_profile": OKABE_ITO["sky_blue"],
    "sen_support": OKABE_ITO["blue"],
    "my_support_plan": OKABE_ITO["orange"],
    "ehcp": OKABE_ITO["vermillion"],
    "ihcp": OKABE_ITO["reddish_purple"],
}
AREA_COLOURS: dict[str, str] = {
    "communication_interaction": OKABE_ITO["blue"],
    "cognition_learning": OKABE_ITO["orange"],
    "semh": OKABE_ITO["bluish_green"],
    "sensory_physical": OKABE_ITO["reddish_purple"],
    "pfa": OKABE_ITO["vermillion"],
}

# No figure may carry more points than this; aggregate first (see `top_n`).
MAX_POINTS = 5000
FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"


class TooManyPointsError(ValueError):
    """A builder was handed raw rows instead of an aggregate: a programming error, caught in tests."""


def to_spec(fig: go.Figure) -> dict:
    """A figure as a plain dict: cheap to cache (st.cache_data pickles it in microseconds, where
    pickling a go.Figure re-validates every property and takes tens of milliseconds)."""
    return fig.to_dict()


def from_spec(spec: dict) -> go.Figure:
    """A figure back from `to_spec` without re-validating it (it was valid when built), for st.plotly_chart."""
    return go.Figure(spec, _validate=False)


def status_word(code: str | None) -> str:
    """The word for a review status, with its shape: '▲ Overdue'."""
    if code is None or code not in STATUS_WORDS:
        return "Unknown"
    return f"{STATUS_SYMBOLS[code]} {STATUS_WORDS[code]}"


def status_css(code: str | None) -> str:
    """CSS for a table cell showing a status (a pandas Styler can apply it); colour backs up the word."""
    colour = STATUS_COLOURS.get(code or "", GREY)
    text = "#000000" if code in DARK_TEXT else "#FFFFFF"
    return f"background-color: {colour}; color: {text}"


def number(value: object, *, percent: bool = False) -> str:
    """A value as a reader expects it: '42%', '1,234', '2.5'; blank when missing."""
    if value is None or pd.isna(value):
        return ""
    if percent:
        return f"{float(value):.0%}"
    as_float = float(value)
    return f"{int(round(as_float)):,}" if as_float.is_integer() else f"{as_float:,.1f}"


def plain(text: object) -> str:
    """Tracker text made safe for a Plotly label: Plotly's pseudo-HTML is escaped, so it shows as typed."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return ""
    return html.escape(str(text), quote=False)


def wrap(label: str, width: int = 24) -> str:
    """An (already escaped) axis label broken onto lines of about `width` characters, so long
    need names fit beside a narrow chart instead of being cut off under the axis title."""
    words, lines, line = str(label).split(" "), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "<br>".join(lines)


def _plain_column(df: pd.DataFrame, col: str | None, *, wrap_at: int | None = None) -> pd.DataFrame:
    if col is None or col not in df or not (pd.api.types.is_object_dtype(df[col]) or pd.api.types.is_string_dtype(df[col])):
        return df
    out = df.copy()
    out[col] = out[col].map(plain)
    if wrap_at:
        out[col] = out[col].map(lambda v: wrap(v, wrap_at))
    return out


def _guard(df: pd.DataFrame) -> None:
    if len(df) > MAX_POINTS:
        raise TooManyPointsError(f"{len(df):,} rows passed to a chart (limit {MAX_POINTS:,}); aggregate on the server first.")


def point_count(fig: go.Figure) -> int:
    """How many data points a figure sends to the browser (for tests and guards)."""
    total = 0
    for trace in fig.data:
        for attr in ("x", "y", "z", "base"):
            values = getattr(trace, attr, None)
            if values is not None:
                total += sum(len(row) for row in values) if attr == "z" else len(values)
                if attr != "base":
                    break
    return total


def style(fig: go.Figure, *, title: str, x_title: str, y_title: str, legend_title: str | None = None,
          height: int | None = None) -> go.Figure:
    """The house style: white template, Okabe-Ito colours, a title and both axis titles, always."""
    if not title or not x_title or not y_title:
        raise ValueError("Every chart needs a title and both axis titles.")
    fig.update_layout(
        template="plotly_white",
        colorway=PALETTE,
        title={"text": plain(title), "x": 0, "xanchor": "left"},
        font={"family": FONT, "size": 13},
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        legend_title_text=plain(legend_title) if legend_title else None,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "left", "x": 0},
        hoverlabel={"font_family": FONT},
    )
    if any(getattr(t, "showlegend", None) for t in fig.data):
        fig.update_layout(margin={"t": 95}, title={"y": 0.98, "yanchor": "top", "yref": "container"})
    # An explicit standoff with automargin makes Plotly widen the margin for the axis title too,
    # instead of drawing the title over long category labels.
    fig.update_xaxes(title_text=plain(x_title), automargin=True, title_standoff=8)
    fig.update_yaxes(title_text=plain(y_title), automargin=True, title_standoff=8)
    if height:
        fig.update_layout(height=height)
    return fig


def top_n(df: pd.DataFrame, category: str, value: str, n: int = 20, other: str = "Other") -> pd.DataFrame:
    """Keep the n largest categories by `value` and sum the rest into one 'Other' row (long lists of classes, councils)."""
    totals = df.groupby(category, dropna=False, observed=True)[value].sum().sort_values(ascending=False)
    if len(totals) <= n:
        return df
    keep = set(totals.index[: n - 1])
    out = df.copy()
    out[category] = out[category].where(out[category].isin(keep), other)
    group_cols = [c for c in out.columns if c != value and not pd.api.types.is_numeric_dtype(out[c])]
    return out.groupby(group_cols, dropna=False, observed=True, as_index=False)[value].sum()


def bar(df: pd.DataFrame, x: str, y: str, *, title: str, x_title: str, y_title: str, color: str | None = None,
        color_map: dict[str, str] | None = None, orientation: str = "v", barmode: str = "group",
        percent: bool = False, order: Sequence[str] | None = None, legend_title: str | None = None,
        text: bool = True, height: int | None = None) -> go.Figure:
    """Bars from an aggregate: one row per bar (x category, y value, optional colour group).

    With orientation 'h' the category is `y` and the value `x`, as in plotly.express.
    `percent` treats values as fractions 0..1 and labels them as percentages.
    """
    _guard(df)
    cat, val = (x, y) if orientation == "v" else (y, x)
    wrap_at = 24 if orientation == "h" else None
    data = _plain_column(_plain_column(df, cat, wrap_at=wrap_at), color)
    groups: Iterable[tuple[object, pd.DataFrame]] = data.groupby(color, sort=False, observed=True) if color else [(None, data)]
    fig = go.Figure(_validate=False)
    for i, (name, part) in enumerate(groups):
        key = name[0] if isinstance(name, tuple) else name
        colour = (color_map or {}).get(str(key), PALETTE[i % len(PALETTE)]) if color else PALETTE[0]
        values = part[val]
        label = values.map(lambda v: number(v, percent=percent))
        kwargs = {"x": part[cat], "y": values} if orientation == "v" else {"x": values, "y": part[cat]}
        fig.add_trace(go.Bar(
            **kwargs, name=str(key) if key is not None else val, orientation=orientation, marker_color=colour,
            text=label if text else None, textposition="auto", showlegend=bool(color),
            hovertemplate=("%{x}: %{y" if orientation == "v" else "%{y}: %{x") + (":.0%}" if percent else ":,}") + "<extra>%{fullData.name}</extra>",
        ))
    fig.update_layout(barmode=barmode)
    axis = fig.update_yaxes if orientation == "v" else fig.update_xaxes
    if percent:
        axis(tickformat=".0%", rangemode="tozero")
    if order is not None:
        cat_axis = fig.update_xaxes if orientation == "v" else fig.update_yaxes
        escaped = [wrap(plain(o), wrap_at) if wrap_at else plain(o) for o in order]
        cat_axis(categoryorder="array", categoryarray=escaped if orientation == "v" else list(reversed(escaped)))
    elif orientation == "h":
        fig.update_yaxes(categoryorder="total ascending")
    return style(fig, title=title, x_title=x_title, y_title=y_title, legend_title=legend_title, height=height)


def status_bar(df: pd.DataFrame, category: str, *, title: str, x_title: str = "Pupils", y_title: str,
               count: str = "pupils", status: str = "status", order: Sequence[str] | None = None,
               height: int | None = None) -> go.Figure:
    """Stacked horizontal bars of pupils by review status per category, in status colours and words."""
    data = df.copy()
    data["_status_order"] = data[status].map({s: i for i, s in enumerate(STATUS_ORDER)})
    data = data.sort_values("_status_order").drop(columns="_status_order")
    data[status] = data[status].map(lambda s: STATUS_WORDS.get(s, str(s)))
    colours = {STATUS_WORDS[k]: v for k, v in STATUS_COLOURS.items()}
    return bar(data, x=count, y=category, color=status, color_map=colours, orientation="h", barmode="stack",
               title=title, x_title=x_title, y_title=y_title, legend_title="Review status", order=order,
               text=False, height=height)


def heatmap(df: pd.DataFrame, x: str, y: str, z: str, *, title: str, x_title: str, y_title: str, z_title: str,
            x_order: Sequence[str] | None = None, y_order: Sequence[str] | None = None, percent: bool = True,
            counts: str | None = None, height: int | None = None) -> go.Figure:
    """A grid of one value per (x, y) cell, e.g. on-time rate by plan type x year group; blank where no data.

    `counts` names a column shown in the hover (how many pupils make up the cell), so a
    reader can tell 100% of 1 from 100% of 200.
    """
    _guard(df)
    data = _plain_column(_plain_column(df, x), y)
    grid = data.pivot_table(index=y, columns=x, values=z, aggfunc="first", observed=False)
    if x_order is not None:
        grid = grid.reindex(columns=[plain(v) for v in x_order if plain(v) in grid.columns])
    if y_order is not None:
        grid = grid.reindex([plain(v) for v in y_order if plain(v) in grid.index])
    custom = None
    if counts:
        custom = data.pivot_table(index=y, columns=x, values=counts, aggfunc="first", observed=False)
        custom = custom.reindex(index=grid.index, columns=grid.columns).fillna(0).to_numpy()
    fmt = ".0%" if percent else ",.3g"
    text = grid.map(lambda v: "" if pd.isna(v) else format(v, fmt))
    fig = go.Figure(_validate=False, data=go.Heatmap(
        z=grid.to_numpy(), x=list(grid.columns), y=list(grid.index), text=text.to_numpy(), texttemplate="%{text}",
        colorscale=SEQUENTIAL, zmin=0 if percent else None, zmax=1 if percent else None, customdata=custom,
        colorbar={"title": {"text": plain(z_title)}, "tickformat": fmt},
        hovertemplate="%{y} · %{x}: %{z:" + fmt + "}" + (" (%{customdata:,} pupils)" if counts else "") + "<extra></extra>",
        xgap=2, ygap=2,
    ))
    fig.update_xaxes(type="category")
    fig.update_yaxes(type="category", autorange="reversed")
    return style(fig, title=title, x_title=x_title, y_title=y_title, height=height)


def line(df: pd.DataFrame, x: str, y: str, *, title: str, x_title: str, y_title: str, color: str | None = None,
         color_map: dict[str, str] | None = None, percent: bool = False, legend_title: str | None = None,
         height: int | None = None) -> go.Figure:
    """Lines with markers over time (e.g. on-time rate at each month end), one line per `color` group."""
    _guard(df)
    data = _plain_column(df, color).sort_values(x)
    groups = data.groupby(color, sort=False, observed=True) if color else [(None, data)]
    fig = go.Figure(_validate=False)
    for i, (name, part) in enumerate(groups):
        key = name[0] if isinstance(name, tuple) else name
        colour = (color_map or {}).get(str(key), PALETTE[i % len(PALETTE)])
        fig.add_trace(go.Scatter(x=part[x], y=part[y], mode="lines+markers", name=str(key) if key is not None else y,
                                 line={"color": colour, "width": 2}, marker={"size": 7}, showlegend=bool(color)))
    if percent:
        fig.update_yaxes(tickformat=".0%", range=[0, 1.05])
    return style(fig, title=title, x_title=x_title, y_title=y_title, legend_title=legend_title, height=height)


def plan_timeline(plans: pd.DataFrame, *, as_of: date, title: str = "Path through the graduated response",
                  height: int | None = None) -> go.Figure:
    """Plans as bars from start to end (ongoing plans run to the as-of date), one row per plan type.

    Expects columns plan_type, start_date, end_date (NaT/None when ongoing).
    """
    _guard(plans)
    fig = go.Figure(_validate=False)
    order = [p for p in PLAN_TYPES if p in set(plans["plan_type"])]
    order += sorted(set(plans["plan_type"]) - set(order))
    as_of_ts = pd.Timestamp(as_of)
    for plan_type in order:
        part = plans[plans["plan_type"] == plan_type]
        start = pd.to_datetime(part["start_date"])
        ongoing = part["end_date"].isna()
        end = pd.to_datetime(part["end_date"]).where(~ongoing, max(as_of_ts, start.max() + pd.Timedelta(days=1)))
        label = PLAN_TYPES.get(plan_type, plain(plan_type))
        duration_ms = (end - start).dt.total_seconds() * 1000
        ends = [("ongoing" if o else e.strftime("%d %b %Y")) for o, e in zip(ongoing, end, strict=True)]
        fig.add_trace(go.Bar(
            base=start.dt.strftime("%Y-%m-%d").tolist(), x=duration_ms.tolist(), y=[label] * len(part), orientation="h",
            name=label, marker_color=PLAN_COLOURS.get(plan_type, GREY),
            customdata=list(zip(start.dt.strftime("%d %b %Y"), ends, strict=True)),
            hovertemplate=label + ": %{customdata[0]} to %{customdata[1]}<extra></extra>",
        ))
    fig.update_layout(barmode="overlay", showlegend=False)
    # An explicit range: a plan that started days ago must not give an axis of hours (nor one date a millisecond one).
    starts = pd.to_datetime(plans["start_date"]).dropna()
    ends = pd.to_datetime(plans["end_date"]).dropna()
    first = starts.min() if len(starts) else as_of_ts
    last = max([as_of_ts, *([ends.max()] if len(ends) else [])])
    fig.update_xaxes(type="date", range=date_range(min(first, as_of_ts), last, min_days=90))
    fig.update_yaxes(categoryorder="array", categoryarray=[PLAN_TYPES.get(p, plain(p)) for p in reversed(order)])
    fig.add_vline(x=as_of_ts.timestamp() * 1000, line_dash="dot", line_color=OKABE_ITO["black"])
    fig.add_annotation(x=as_of_ts.timestamp() * 1000, y=1.02, yref="paper", text="as of", showarrow=False,
                       font={"size": 11})
    return style(fig, title=title, x_title="Date", y_title="Plan", height=height or 120 + 45 * max(len(order), 1))


def scaling_chart(scores: pd.DataFrame, *, baseline: float | None, target: float | None, scale_min: float = 0,
                  scale_max: float = 10, title: str, area: str | None = None, target_date: date | None = None,
                  height: int = 300) -> go.Figure:
    """One outcome's progress-scaling scores over time against its baseline and target lines.

    Expects columns score_date and score, one row per score.
    """
    _guard(scores)
    data = scores.sort_values("score_date")
    colour = AREA_COLOURS.get(area or "", OKABE_ITO["blue"])
    fig = go.Figure(_validate=False, data=go.Scatter(
        x=pd.to_datetime(data["score_date"]), y=data["score"], mode="lines+markers", name="Score",
        line={"color": colour, "width": 3}, marker={"size": 9},
        hovertemplate="%{x|%d %b %Y}: %{y}<extra>Score</extra>",
    ))
    for value, name, dash, line_colour in ((baseline, "Baseline", "dot", GREY), (target, "Target", "dash", OKABE_ITO["black"])):
        if value is not None and not pd.isna(value):
            fig.add_hline(y=value, line_dash=dash, line_color=line_colour, line_width=2,
                          annotation_text=f"{name} {value:g}", annotation_position="top left",
                          annotation_font={"size": 11, "color": line_colour})
    if target_date is not None and not pd.isna(target_date):
        x = pd.Timestamp(target_date).timestamp() * 1000
        fig.add_vline(x=x, line_dash="dot", line_color=GREY)
        fig.add_annotation(x=x, y=1.0, yref="paper", yanchor="bottom", text="target date", showarrow=False,
                           font={"size": 11, "color": GREY})
    pad = (scale_max - scale_min) * 0.05 or 0.5
    fig.update_yaxes(range=[scale_min - pad, scale_max + pad], zeroline=False)
    dates = pd.to_datetime(data["score_date"])
    if len(dates):
        lo, hi = dates.min(), dates.max()
        if target_date is not None and not pd.isna(target_date):
            hi = max(hi, pd.Timestamp(target_date))
        fig.update_xaxes(range=date_range(lo, hi, min_days=60))  # one score: two months around it, not hours
    fig.update_layout(showlegend=False)
    return style(fig, title=title, x_title="Date scored", y_title=f"Score ({scale_min:g} to {scale_max:g})",
                 height=height)


def area_label(code: str | None) -> str:
    """Label for a broad area of need code (or the code itself, escaped, if unknown)."""
    if code is None or (isinstance(code, float) and pd.isna(code)):
        return not_recorded("Area")
    return AREAS.get(code, str(code))


# The smallest text a chart label may shrink to (px): Plotly fits a label inside its bar by scaling it down, to 6 px on
# a thin bar; below this size it is hidden instead (the hover and the table under the chart carry every value).
MIN_TEXT = 11


def readable_text(fig: go.Figure, size: int = 12, min_size: int = MIN_TEXT) -> go.Figure:
    """Bar labels at `size` px, never shrunk below `min_size` (a label that would be is hidden, not drawn unreadable).
    Returns the figure."""
    fig.update_traces(textfont={"size": size}, selector={"type": "bar"})
    fig.update_layout(uniformtext={"minsize": min_size, "mode": "hide"})
    return fig


def date_range(first: object, last: object, *, min_days: int = 60, pad: float = 0.06) -> list[str]:
    """An x range for a date axis from `first` to `last`, padded, and at least `min_days` wide (centred on the data),
    so that one date, or dates a day apart, never give an axis of hours or milliseconds. ISO dates."""
    lo, hi = pd.Timestamp(first), pd.Timestamp(last)
    span = max((hi - lo).days, 0)
    margin = max(span * pad, (min_days - span) / 2, 1)
    return [(lo - pd.Timedelta(days=margin)).strftime("%Y-%m-%d"), (hi + pd.Timedelta(days=margin)).strftime("%Y-%m-%d")]


def entry_exit_chart(*, entry: float | None, exit: float | None, expected_gain: float | None, title: str,
                     entry_date: date | None = None, exit_date: date | None = None, measure: str | None = None,
                     height: int = 300) -> go.Figure:
    """One pupil's place on an intervention: the entry score → the exit score, against the exit the intervention's
    expected gain would give (entry + expected gain, a dashed line). A score not recorded is not drawn (the title of
    its axis point says so)."""
    def when(label: str, day: object) -> str:
        return f"{label}<br>{pd.Timestamp(day):%d %b %Y}" if day is not None and not pd.isna(day) else label

    def known(v: object) -> bool:
        return v is not None and not pd.isna(v)

    xs = [when("Entry", entry_date), when("Exit", exit_date) if known(exit) else "Exit<br>not recorded"]
    ys = [float(entry) if known(entry) else None, float(exit) if known(exit) else None]
    met = known(entry) and known(exit) and known(expected_gain) and ys[1] - ys[0] >= float(expected_gain)
    colour = OKABE_ITO["bluish_green"] if met else OKABE_ITO["blue"] if not known(expected_gain) or not known(exit) \
        else OKABE_ITO["vermillion"]
    fig = go.Figure(_validate=False, data=go.Scatter(
        x=xs, y=ys, mode="lines+markers+text", line={"color": colour, "width": 3}, marker={"size": 11},
        text=[f"{v:g}" if v is not None else "" for v in ys], textposition="top center", name="Score",
        hovertemplate="%{x}: %{y}<extra></extra>", cliponaxis=False))
    values = [v for v in ys if v is not None]
    if known(expected_gain) and known(entry):
        target = float(entry) + float(expected_gain)
        values.append(target)
        fig.add_hline(y=target, line_dash="dash", line_color=OKABE_ITO["black"], line_width=2,
                      annotation_text=f"Expected at exit {target:g} (gain {float(expected_gain):+g})",
                      annotation_position="bottom right", annotation_font={"size": 11})
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    pad = max((hi - lo) * 0.25, 1.0)
    fig.update_yaxes(range=[lo - pad, hi + pad], zeroline=False)
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=xs)
    fig.update_layout(showlegend=False)
    return style(fig, title=title, x_title="Score recorded", y_title=plain(measure) if measure else "Score",
                 height=height)
