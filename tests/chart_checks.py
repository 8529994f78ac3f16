"""What every Plotly figure the pages draw must satisfy (issue 14, item 3), as one function over its spec (the dict
charts.to_spec gives, or the JSON st.plotly_chart sends): some data, no trace of only blanks, date axes that cannot
collapse to hours or milliseconds, numeric axes finite and the right way up."""

from __future__ import annotations

import base64
import json
import math
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from plotly.utils import PlotlyJSONEncoder

MIN_DATE_SPAN = timedelta(days=7)  # a date axis narrower than a week shows hours: a single date collapsed


def plain(node: object) -> object:
    """The spec with Plotly's typed arrays ({'dtype': 'f8', 'bdata': ...}, as figures carry numpy data) as lists."""
    if isinstance(node, dict):
        if "bdata" in node and "dtype" in node:
            arr = np.frombuffer(base64.b64decode(node["bdata"]), dtype=np.dtype(node["dtype"]))
            if "shape" in node:
                arr = arr.reshape([int(n) for n in str(node["shape"]).split(",")])
            return [None if isinstance(v, float) and math.isnan(v) else v for v in arr.tolist()] if arr.ndim == 1 else \
                [[None if isinstance(v, float) and math.isnan(v) else v for v in row] for row in arr.tolist()]
        return {k: plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node


def _values(trace: dict) -> list:
    """The trace's measured values: z of a heatmap, x of a horizontal bar, else y."""
    if trace.get("type") == "heatmap":
        return [v for row in trace.get("z") or [] for v in (row if isinstance(row, list | tuple) else [row])]
    if trace.get("type") == "bar" and trace.get("orientation") == "h":
        return list(trace.get("x") or [])
    return list(trace.get("y") or [])


def _blank(v: object) -> bool:
    return v is None or v == "" or (isinstance(v, float) and math.isnan(v))


def _is_date(v: object) -> bool:
    if isinstance(v, datetime | pd.Timestamp):
        return True
    if isinstance(v, str) and len(v) >= 10 and v[4] == "-" and v[7] == "-":
        try:
            pd.Timestamp(v)
        except ValueError:
            return False
        return True
    return False


def _date_extent(spec: dict, axis: str) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The data's extent on a date axis ('x'), counting a timeline bar's base plus its length in milliseconds."""
    points: list[pd.Timestamp] = []
    for t in spec.get("data", []):
        vals = t.get(axis) or []
        base = t.get("base")
        if base is not None and t.get("orientation") == "h" and axis == "x":
            bases = base if isinstance(base, list | tuple) else [base] * len(vals)
            for b, ms in zip(bases, vals, strict=False):
                points += [pd.Timestamp(b), pd.Timestamp(b) + pd.Timedelta(milliseconds=float(ms or 0))]
        else:
            points += [pd.Timestamp(v) for v in vals if _is_date(v)]
    return (min(points), max(points)) if points else None


def _axis_is_date(spec: dict, axis: str, layout_axis: dict) -> bool:
    if layout_axis.get("type") == "date":
        return True
    if layout_axis.get("type") == "category":
        return False
    vals = [v for t in spec.get("data", []) for v in (t.get(axis) or [])]
    return bool(vals) and all(_is_date(v) for v in vals if not _blank(v))


def problems(spec: dict) -> list[str]:
    """Every way the figure is broken, in words; empty when it is fine."""
    spec = plain(json.loads(json.dumps(spec, cls=PlotlyJSONEncoder)))  # as the browser gets it, arrays as lists
    out: list[str] = []
    title = ((spec.get("layout") or {}).get("title") or {}).get("text", "?")
    traces = spec.get("data") or []
    if not traces:
        out.append(f"{title!r}: no trace at all (an empty chart: say it in words instead)")
    for i, t in enumerate(traces):
        vals = _values(t)
        if vals and all(_blank(v) for v in vals):
            out.append(f"{title!r}: trace {i} ({t.get('name')}) has only blank values")
    if traces and not any(any(not _blank(v) for v in _values(t)) for t in traces):
        out.append(f"{title!r}: no trace has a single point to draw (an empty chart)")
    layout = spec.get("layout") or {}
    for axis in ("x", "y"):
        for name, la in layout.items():
            if not (name == f"{axis}axis" or (name.startswith(f"{axis}axis") and name[5:].isdigit())):
                continue
            la = la or {}
            rng = la.get("range")
            if _axis_is_date(spec, axis, la):
                if rng is not None:
                    lo, hi = pd.Timestamp(rng[0]), pd.Timestamp(rng[1])
                    if not hi - lo >= MIN_DATE_SPAN:
                        out.append(f"{title!r}: {name} range {rng} is under a week (a collapsed date axis)")
                else:
                    extent = _date_extent(spec, axis)
                    if extent is None or extent[1] - extent[0] < MIN_DATE_SPAN:
                        out.append(f"{title!r}: {name} has no range and its data span under a week ({extent}): "
                                   "Plotly would draw hours or milliseconds")
            elif la.get("type") != "category" and rng is not None:
                try:
                    lo, hi = float(rng[0]), float(rng[1])
                except (TypeError, ValueError):
                    out.append(f"{title!r}: {name} range {rng} is not numeric")
                    continue
                if not (math.isfinite(lo) and math.isfinite(hi)) or not lo < hi:
                    out.append(f"{title!r}: {name} range {rng} is not finite and increasing")
            if la.get("type") != "category" and la.get("autorange") == "reversed" and not _categorical(spec, axis):
                out.append(f"{title!r}: numeric {name} is reversed")
    return out


def _categorical(spec: dict, axis: str) -> bool:
    vals = [v for t in spec.get("data", []) for v in (t.get(axis) or [])]
    return any(isinstance(v, str) and not _is_date(v) for v in vals)


def check(spec: dict | None) -> None:
    """Assert a spec is a chart worth drawing (None is allowed: the page then shows a sentence instead)."""
    if spec is None:
        return
    found = problems(spec)
    assert not found, "\n".join(found)
