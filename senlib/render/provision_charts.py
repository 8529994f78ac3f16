"""Charts and the grid of the Provision map and Impact pages, in the house style of senlib.render.charts.

Why a module of its own: cost against impact is a chart no other page draws (a bubble per intervention, its size the
pupils on it), and the provision map's grid is a table of short lists that must wrap inside its cells, which a
data grid cannot do; both take small aggregates (one row per intervention or cell) and escape every tracker text.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from senlib.render.charts import GREY, OKABE_ITO, _guard, plain, style

# Meets expected? in colour and word (never colour alone: the legend and the hover say it).
MEETS_COLOURS: dict[str, str] = {"Yes": OKABE_ITO["bluish_green"], "No": OKABE_ITO["vermillion"],
                                 "Too few scored": GREY}
MEETS_WORDS: dict[str, str] = {"Yes": "Meets the expected gain", "No": "Below the expected gain",
                               "Too few scored": "Too few pupils scored to judge"}


def money_axis(fig: go.Figure, axis: str = "y") -> go.Figure:
    """£ ticks (£1,234) on a value axis, and £ in the hover."""
    (fig.update_yaxes if axis == "y" else fig.update_xaxes)(tickprefix="£", tickformat=",.0f", rangemode="tozero")
    fig.update_traces(hovertemplate=("%{x}: £%{y:,.2f}" if axis == "y" else "%{y}: £%{x:,.2f}") + "<extra></extra>",
                      selector={"type": "bar"})
    return fig


def cost_impact(points: pd.DataFrame, *, x: str = "cost_per_pupil", x_title: str = "Cost per pupil (£)",
                title: str = "Cost against impact, per intervention", height: int = 460) -> go.Figure:
    """One bubble per intervention: `x` (£: cost_per_pupil or cost_year) across, the median gain as a share of the
    gain expected up (1 = as expected: a dashed line), its size the pupils on it this school year, its colour whether
    it meets the expected gain. Expects views.provision.impact_points' columns."""
    _guard(points)
    fig = go.Figure(_validate=False)
    biggest = max(float(points["pupils"].max()) if len(points) else 1.0, 1.0)
    for meets, part in points.groupby("meets", sort=False):
        name = MEETS_WORDS.get(str(meets), plain(meets))
        custom = list(zip(part["name"].map(plain), part["setting"].map(plain), part["median_gain"].map(lambda v: f"{v:g}"),
                          part["expected_gain"].map(lambda v: f"{v:g}"), part["pupils"], part["pupils_scored"],
                          part["cost_year"].map(lambda v: f"£{v:,.2f}"),
                          part["cost_per_pupil"].map(lambda v: "" if pd.isna(v) else f"£{v:,.2f}"), strict=True))
        fig.add_trace(go.Scatter(
            x=part[x].astype(float), y=part["ratio"].astype(float), mode="markers", name=name,
            marker={"size": part["pupils"].astype(float), "sizemode": "area", "sizeref": 2.0 * biggest / (46.0 ** 2),
                    "sizemin": 6, "color": MEETS_COLOURS.get(str(meets), OKABE_ITO["blue"]), "opacity": 0.75,
                    "line": {"width": 1, "color": "#333333"}},
            customdata=custom, showlegend=True,
            hovertemplate=("<b>%{customdata[0]}</b> (%{customdata[1]})<br>Median gain %{customdata[2]} against "
                           "%{customdata[3]} expected<br>%{customdata[4]} pupils this year, %{customdata[5]} scored"
                           "<br>Cost a year %{customdata[6]}; per pupil %{customdata[7]}<extra></extra>")))
    fig.add_hline(y=1, line_dash="dash", line_color=OKABE_ITO["black"], line_width=1.5,
                  annotation_text="Expected gain", annotation_position="top left", annotation_font={"size": 11})
    top = max(1.2, float(points["ratio"].max()) * 1.15 if len(points) else 1.2)
    bottom = min(0.0, float(points["ratio"].min()) * 1.15 if len(points) else 0.0)
    fig.update_yaxes(range=[bottom - 0.05, top], tickformat=".0%", zeroline=True)
    right = float(points[x].max()) * 1.15 if len(points) and points[x].max() > 0 else 1.0
    fig.update_xaxes(range=[0, right], tickprefix="£", tickformat=",.0f")
    return style(fig, title=title, x_title=x_title, y_title="Median gain as a share of the gain expected",
                 legend_title="Impact", height=height)


_GRID_CSS = (
    "<style>"
    ".prov-grid{border-collapse:collapse;width:100%;font-size:0.8rem;line-height:1.3;table-layout:auto}"
    ".prov-grid th,.prov-grid td{border:1px solid #d0d3d9;padding:5px 6px;vertical-align:top;text-align:left}"
    ".prov-grid thead th{background:#f0f2f6;font-weight:600;white-space:nowrap}"
    ".prov-grid tbody th{background:#f8f9fb;font-weight:600;width:8.5rem;min-width:7rem}"
    ".prov-grid td{min-width:5.5rem;overflow-wrap:anywhere}"
    ".prov-grid td div{margin-bottom:4px}"
    ".prov-grid td.none{color:#8c8c8c}"
    ".prov-wrap{overflow-x:auto;margin-bottom:0.75rem}"
    "</style>")


def grid_html(table: pd.DataFrame, *, caption: str = "") -> str:
    """A provision map grid (views.provision.grid: areas down, year groups across, each cell lines of text) as an
    HTML table; every text escaped, so tracker text shows as typed. An empty cell shows a dash."""
    corner = html.escape(str(table.index.name or ""))
    head = "".join(f'<th scope="col">{html.escape(str(c))}</th>' for c in table.columns)
    body = []
    for area, row in table.iterrows():
        cells = []
        for value in row:
            lines = [v for v in str(value or "").split("\n") if v]
            cells.append("<td>" + "".join(f"<div>{html.escape(v)}</div>" for v in lines) + "</td>" if lines
                         else '<td class="none">–</td>')
        body.append(f'<tr><th scope="row">{html.escape(str(area))}</th>{"".join(cells)}</tr>')
    cap = f"<caption style='caption-side:top;text-align:left'>{html.escape(caption)}</caption>" if caption else ""
    return (f'{_GRID_CSS}<div class="prov-wrap"><table class="prov-grid">{cap}<thead><tr><th scope="col">{corner}</th>'
            f'{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>')
