"""Files the product hands out: Excel and CSV tables, .ics calendars, HTML and PDF reports.

Why here and not in the pages: every export must be safe to open. Spreadsheet cells that
start like a formula are written as text (formula injection, OWASP "CSV injection");
tracker text in HTML is escaped and the page carries a Content-Security-Policy; reports
are self-contained (nothing fetched from the internet when opened); charts in reports are
rendered to PNG on the server by kaleido (headless Chromium), and a report still comes
out, with its tables and a note, when no browser is available.
"""

from __future__ import annotations

import asyncio
import base64
import csv
import hashlib
import html
import io
import logging
import os
import re
import shutil
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go

from senlib.render.document import Chart, Document, Table, Text

log = logging.getLogger(__name__)

PRODUCT = "SEN caseload dashboard"
PRODID = "-//SEN caseload dashboard//sen-caseload//EN"

# ---------------------------------------------------------------------------------------------
# Spreadsheets

# A cell starting with one of these is treated as a formula by Excel, LibreOffice or Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Control characters an .xlsx file cannot hold (openpyxl refuses them); tab, LF and CR are allowed.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def is_formula_like(value: object) -> bool:
    """True for text a spreadsheet would run as a formula (or DDE command) if typed in a cell."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def neutralise(value: object) -> object:
    """CSV-safe value: text that looks like a formula gets a leading apostrophe, so Excel shows it as text."""
    if is_formula_like(value):
        return "'" + str(value)
    return value


def _cell_value(value: object) -> object:
    """A pandas value as openpyxl wants it: None for missing, naive datetimes, plain Python scalars."""
    if value is None:
        return None
    if isinstance(value, (list, tuple, dict, set)):
        return str(value)
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return str(value)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar
    if isinstance(value, str):
        value = _ILLEGAL_XML.sub("", value) or None
    return value


def _sheet_title(name: str) -> str:
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", name).strip("' ") or "Export"
    return cleaned[:31]


def to_xlsx(frames: pd.DataFrame | dict[str, pd.DataFrame], *, sheet_name: str = "Export",
            number_formats: dict[str, str] | None = None) -> bytes:
    """An .xlsx workbook of one or more DataFrames, every formula-like text cell stored as text.

    Such a cell is written as a string cell with Excel's "quote prefix" set: Excel shows
    exactly what the tracker held, never evaluates it, and keeps it text if edited.
    Dates stay dates; the header row is bold and frozen. `number_formats`: column heading -> Excel number format
    for that column's numbers in every sheet (e.g. MONEY_FORMAT: a text cell in it, such as "Not tracked", stays text).
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    sheets = frames if isinstance(frames, dict) else {sheet_name: frames}
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, df in sheets.items():
        ws = wb.create_sheet(_sheet_title(title))
        ws.freeze_panes = "A2"
        widths = [min(max(len(str(c)), 8) + 2, 50) for c in df.columns]
        for i, width in enumerate(widths):
            ws.column_dimensions[_column_letter(i)].width = width
        header = []
        for col in df.columns:
            cell = WriteOnlyCell(ws, value=_cell_value(str(col)))
            if is_formula_like(str(col)):
                cell.data_type, cell.quotePrefix = "s", True
            cell.font = bold
            header.append(cell)
        ws.append(header)
        formats = [(number_formats or {}).get(str(c)) for c in df.columns]
        for row in df.itertuples(index=False, name=None):
            out = []
            for raw, number_format in zip(row, formats, strict=True):
                value = _cell_value(raw)
                if number_format and isinstance(value, int | float) and not isinstance(value, bool):
                    cell = WriteOnlyCell(ws, value=value)
                    cell.number_format = number_format
                    out.append(cell)
                elif is_formula_like(value):
                    cell = WriteOnlyCell(ws, value=value)
                    cell.data_type = "s"
                    cell.quotePrefix = True
                    out.append(cell)
                elif isinstance(value, date):  # UK day-first, with the time only when there is one
                    cell = WriteOnlyCell(ws, value=value)
                    timed = isinstance(value, datetime) and (value.hour, value.minute, value.second) != (0, 0, 0)
                    cell.number_format = "dd/mm/yyyy hh:mm" if timed else "dd/mm/yyyy"
                    out.append(cell)
                else:
                    out.append(value)
            ws.append(out)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# Pounds and pence, negative in brackets: how a school's finance office writes money.
MONEY_FORMAT = '"£"#,##0.00;("£"#,##0.00)'
PERCENT_FORMAT = "0%"


def provision_map_xlsx(frames: dict[str, pd.DataFrame]) -> bytes:
    """The costed provision map (views.provision.workbook_frames) as a workbook: every column headed '(£)' in
    pounds and pence, attendance as a percentage; 'Not tracked' stays text (a cost not recorded is never £0)."""
    money = {str(c): MONEY_FORMAT for df in frames.values() for c in df.columns if str(c).endswith("(£)")}
    percent = {str(c): PERCENT_FORMAT for df in frames.values() for c in df.columns if str(c) == "Attendance"}
    return to_xlsx(frames, number_formats=money | percent)


def _column_letter(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i + 1)


def to_csv(df: pd.DataFrame) -> bytes:
    """CSV in UTF-8 with a byte-order mark (so Excel reads accents), formula-like text prefixed with an apostrophe."""
    safe = df.copy()
    for col in safe.columns:
        if pd.api.types.is_object_dtype(safe[col]) or pd.api.types.is_string_dtype(safe[col]):
            safe[col] = safe[col].astype(object).map(neutralise)
    safe.columns = [neutralise(str(c)) for c in safe.columns]
    for col in safe.columns:
        if pd.api.types.is_datetime64_any_dtype(safe[col]):
            safe[col] = safe[col].dt.strftime("%d/%m/%Y")
    text = safe.to_csv(index=False, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    return ("\ufeff" + text).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# Calendars


@dataclass(frozen=True)
class CalendarEvent:
    """One all-day entry in a calendar: a review, or a milestone before or after it."""

    uid: str
    day: date
    summary: str
    description: str = ""
    categories: tuple[str, ...] = ()


# Milestone columns of an upcoming-reviews frame (rules.pupil_status) and how each reads in a calendar.
REVIEW_MILESTONES: dict[str, str] = {
    "invite_by": "Send invitations and current plan",
    "reports_by": "Reports and advice due",
    "due_date": "Review due",
}


def stable_uid(*parts: object) -> str:
    """A UID that is the same every time the same entry is exported, so re-importing updates rather than duplicates."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:32]
    return f"{digest}@sen-caseload"


def review_events(df: pd.DataFrame, *, label: str = "pupil", milestones: dict[str, str] | None = None,
                  detail: Sequence[str] = (), key: Sequence[str] = ("setting", "pupil_id")) -> list[CalendarEvent]:
    """Calendar entries for upcoming reviews: one per milestone date present in each row.

    `label` names the column that identifies the pupil in the entry's title (a name, or
    initials for a shared calendar); `detail` columns go into the description.
    """
    milestones = milestones or REVIEW_MILESTONES
    events: list[CalendarEvent] = []
    for row in df.to_dict("records"):
        who = row.get(label)
        if _missing(who):  # e.g. straight from rules.pupil_status: first_name, last_name
            who = " ".join(str(row[c]) for c in ("first_name", "last_name") if c in row and not _missing(row[c]))
        who = str(who or "")
        lines = [f"{c.replace('_', ' ').capitalize()}: {row[c]}" for c in detail if c in row and not _missing(row[c])]
        for col, what in milestones.items():
            if col not in row or _missing(row[col]):
                continue
            day = pd.Timestamp(row[col]).date()
            uid = stable_uid(*(row.get(k) for k in key), col, day.isoformat())
            events.append(CalendarEvent(uid=uid, day=day, summary=f"{what}: {who}".strip(": "),
                                        description="\n".join(lines), categories=("SEN review",)))
    return events


def _missing(value: object) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def to_ics(events: Iterable[CalendarEvent], *, name: str = "SEN reviews", stamp: datetime | None = None) -> bytes:
    """An iCalendar (RFC 5545) file Outlook and Google Calendar import: all-day DATE events,
    UID and DTSTAMP on each, PRODID and VERSION on the calendar, lines folded at 75 octets."""
    from icalendar import Calendar, Event

    stamp = (stamp or datetime.now(UTC)).astimezone(UTC)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for ev in events:
        item = Event()
        item.add("uid", ev.uid)
        item.add("dtstamp", stamp)
        item.add("dtstart", ev.day)
        item.add("dtend", ev.day + timedelta(days=1))
        item.add("summary", ev.summary)
        if ev.description:
            item.add("description", ev.description)
        if ev.categories:
            item.add("categories", list(ev.categories))
        item.add("transp", "TRANSPARENT")  # a reminder, not a meeting: does not block the day
        cal.add_component(item)
    return cal.to_ical()


# ---------------------------------------------------------------------------------------------
# Reports (HTML and PDF)


# The model is senlib.render.document: one Document, shown on a page or written here.


class ChartRenderError(RuntimeError):
    """Charts could not be rendered to images (no browser, or it failed or timed out)."""


_BROWSER_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome",
                       "/usr/bin/google-chrome-stable")


def browser_path() -> str | None:
    """The Chromium kaleido should drive: $BROWSER_PATH (kaleido/choreographer's own setting), else Debian's
    /usr/bin/chromium, else any chromium or chrome on PATH."""
    env = os.environ.get("BROWSER_PATH")
    if env:
        return env if Path(env).is_file() else None
    for candidate in _BROWSER_CANDIDATES:
        if Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def render_png(figures: Sequence[go.Figure], *, width: int = 900, height: int = 450, scale: float = 2,
               timeout: float = 60) -> list[bytes]:
    """PNG images of Plotly figures, drawn by kaleido in one headless Chromium session.

    MathJax is switched off and plotly.js comes from the installed plotly package, so
    nothing is fetched from the internet. Runs in its own thread with its own event loop
    (safe to call from Streamlit's script thread). Raises ChartRenderError on any failure.
    """
    if not figures:
        return []
    path = browser_path()
    if path is None:
        raise ChartRenderError("no Chromium browser was found (install Debian's `chromium`, or set BROWSER_PATH)")
    try:
        import kaleido
    except ImportError as exc:  # pragma: no cover - kaleido is a runtime requirement
        raise ChartRenderError(f"kaleido is not installed ({exc})") from None

    async def run() -> list[bytes]:
        async with kaleido.Kaleido(path=path, mathjax=False, timeout=timeout, n=1) as k:
            opts = {"format": "png", "width": width, "height": height, "scale": scale}
            return [await k.calc_fig(fig, opts=opts) for fig in figures]

    result: dict[str, object] = {}

    def target() -> None:
        try:
            result["images"] = asyncio.run(run())
        except BaseException as exc:  # noqa: BLE001 - reported to the caller as a render failure
            result["error"] = exc

    worker = threading.Thread(target=target, name="kaleido-render", daemon=True)
    worker.start()
    worker.join(timeout + 30 + 2 * len(figures))
    if worker.is_alive():
        raise ChartRenderError("drawing the charts took too long")
    if "error" in result:
        exc = result["error"]
        log.warning("chart rendering failed: %r", exc)
        raise ChartRenderError(f"the browser could not draw the charts ({type(exc).__name__}: {exc})")
    images = result.get("images")
    if not isinstance(images, list) or len(images) != len(figures):
        raise ChartRenderError("the browser returned no images")
    return images


def _figure(chart: Chart) -> go.Figure:
    return go.Figure(chart.spec, _validate=False)  # valid when it was built (charts.to_spec)


def _render_report_charts(report: Document, charts: bool, width: int = 900, height: int = 450) -> tuple[dict[int, bytes], str]:
    """PNG per chart (keyed by id) and a note for the reader when charts could not be drawn."""
    blocks = report.charts()
    if not charts or not blocks:
        return {}, ""
    try:
        images = render_png([_figure(b) for b in blocks], width=width, height=height)
    except ChartRenderError as exc:
        return {}, f"The charts could not be drawn on this computer ({exc}). The tables show the same figures."
    return {id(b): img for b, img in zip(blocks, images, strict=True)}, ""


def _display(value: object) -> str:
    """A table value as text for a report."""
    if _missing(value):
        return ""
    if isinstance(value, pd.Timestamp | datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float):
        return f"{int(value):,}" if value.is_integer() else f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


_HTML_CSS = """
body{font-family:"DejaVu Sans","Liberation Sans",Arial,sans-serif;color:#1a1a1a;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45}
h1{font-size:1.7rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:2px solid #0072B2;padding-bottom:.2rem}
.subtitle{color:#444;margin-top:0}.note{background:#fff4d6;border-left:4px solid #E69F00;padding:.5rem .8rem}
table{border-collapse:collapse;margin:.6rem 0 1.2rem;font-size:.9rem}th,td{border:1px solid #bbb;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#e8f1f8}td.num{text-align:right}caption{text-align:left;font-weight:bold;padding:.3rem 0}
figure{margin:1rem 0}figure img{max-width:100%;height:auto;border:1px solid #ddd}figcaption{font-size:.9rem;color:#444}
footer{margin-top:2rem;font-size:.85rem;color:#555;border-top:1px solid #ccc;padding-top:.5rem}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}table,figure{break-inside:avoid}}
"""
# Nothing may load from outside the file: images are data: URIs, styles inline, no scripts at all.
_HTML_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def _html_table(df: pd.DataFrame, caption: str = "") -> str:
    esc = html.escape
    numeric = [pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]) for c in df.columns]
    head = "".join(f'<th scope="col">{esc(str(c))}</th>' for c in df.columns)
    rows = []
    for row in df.itertuples(index=False, name=None):
        cells = "".join(f'<td class="num">{esc(_display(v))}</td>' if num else f"<td>{esc(_display(v))}</td>"
                        for v, num in zip(row, numeric, strict=True))
        rows.append(f"<tr>{cells}</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def to_html(report: Document, *, charts: bool = True, generated: datetime | None = None) -> bytes:
    """A self-contained HTML page (charts as embedded PNG, no scripts, no external requests); all text escaped."""
    esc = html.escape
    images, note = _render_report_charts(report, charts)
    generated = generated or datetime.now()
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en-GB"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_HTML_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="{esc(PRODUCT)}">',
        f"<title>{esc(report.title)}</title><style>{_HTML_CSS}</style></head><body>",
        f"<h1>{esc(report.title)}</h1>",
    ]
    if report.subtitle:
        parts.append(f'<p class="subtitle">{esc(report.subtitle)}</p>')
    if note:
        parts.append(f'<p class="note">{esc(note)}</p>')
    for section in report.file_sections():
        parts.append(f"<section><h2>{esc(section.heading)}</h2>")
        for block in section.blocks:
            if isinstance(block, Text):
                parts.append(f"<p>{esc(block.text)}</p>")
            elif isinstance(block, Table):
                parts.append(_html_table(block.frame, block.caption))
            elif isinstance(block, Chart):
                title = _figure_title(_figure(block))
                if id(block) in images:
                    data = base64.b64encode(images[id(block)]).decode("ascii")
                    cap = f"<figcaption>{esc(block.caption)}</figcaption>" if block.caption else ""
                    parts.append(f'<figure><img src="data:image/png;base64,{data}" alt="{esc(title)}">{cap}</figure>')
                if block.table is not None:  # always: it holds what the chart cannot draw
                    parts.append(_html_table(block.table.frame, block.table.caption or f"Table: {block.caption or title}"))
        parts.append("</section>")
    foot = f"Generated {generated:%d/%m/%Y %H:%M} by the {PRODUCT}."
    if report.footnote:
        foot = f"{report.footnote} {foot}"
    parts.append(f"<footer>{esc(foot)}</footer></body></html>")
    return "\n".join(parts).encode("utf-8")


def _figure_title(fig: go.Figure) -> str:
    title = fig.layout.title.text if fig.layout.title else None
    return html.unescape(title) if title else "Chart"


_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF")


def _unicode_font() -> tuple[Path, Path] | None:
    """DejaVu Sans regular and bold, if installed (Debian's fonts-dejavu-core comes with chromium)."""
    for folder in _FONT_DIRS:
        regular, bold = Path(folder) / "DejaVuSans.ttf", Path(folder) / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


def to_pdf(report: Document, *, charts: bool = True, generated: datetime | None = None) -> bytes:
    """An A4 PDF of the report, charts as PNG images; if they cannot be drawn, the tables and a note instead."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    img_w, img_h = 760, 400  # drawn smaller than on screen, so the text stays readable at A4 width
    images, note = _render_report_charts(report, charts, width=img_w, height=img_h)
    generated = generated or datetime.now()
    font = _unicode_font()

    class _Pdf(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(family, "", 8)
            self.set_text_color(90)
            self.cell(0, 6, text=clean(f"{report.title} · page {self.page_no()} of {{nb}}"), align="C")

    pdf = _Pdf(format="A4", unit="mm")
    if font:
        pdf.add_font("DejaVu", "", str(font[0]))
        pdf.add_font("DejaVu", "B", str(font[1]))
        family = "DejaVu"

        def clean(text: str) -> str:
            return text
    else:  # core fonts hold Latin-1 only
        family = "Helvetica"

        def clean(text: str) -> str:
            return text.replace("·", "-").replace("–", "-").replace("—", "-").replace("’", "'").encode(
                "latin-1", "replace").decode("latin-1")

    pdf.set_title(clean(report.title))
    pdf.set_creator(PRODUCT)
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_margins(15, 15, 15)
    pdf.add_page()
    width = pdf.epw

    pdf.set_font(family, "B", 18)
    pdf.multi_cell(width, 9, clean(report.title), new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_font(family, "", 10)
    pdf.set_text_color(70)
    sub = " · ".join(p for p in (report.subtitle, f"generated {generated:%d/%m/%Y %H:%M}") if p)
    pdf.multi_cell(width, 5, clean(sub), new_x="LMARGIN", new_y="NEXT", align="L")
    pdf.set_text_color(0)
    if note:
        pdf.ln(2)
        pdf.set_fill_color(255, 244, 214)
        pdf.set_font(family, "", 9)
        pdf.multi_cell(width, 5, clean(note), fill=True, new_x="LMARGIN", new_y="NEXT", align="L")

    def table(df: pd.DataFrame, caption: str) -> None:
        if caption:
            pdf.set_font(family, "B", 10)
            pdf.multi_cell(width, 6, clean(caption), new_x="LMARGIN", new_y="NEXT", align="L")
        cols = len(df.columns) or 1
        pdf.set_font(family, "", 9 if cols <= 6 else 7)
        numeric = [pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]) for c in df.columns]
        align = ["RIGHT" if n else "LEFT" for n in numeric]
        heading = FontFace(emphasis="BOLD", fill_color=(232, 241, 248))
        texts = [[str(c)] + [_display(v) for v in df[c].head(200)] for c in df.columns]
        col_widths = tuple(min(max(len(t) for t in col), 40) + 3 for col in texts) or (1,)
        with pdf.table(width=width, col_widths=col_widths, text_align=align, headings_style=heading,
                       line_height=pdf.font_size * 1.6, first_row_as_headings=True) as t:
            head = t.row()
            for c in df.columns:
                head.cell(clean(str(c)))
            for values in df.itertuples(index=False, name=None):
                row = t.row()
                for v in values:
                    row.cell(clean(_display(v)))
        pdf.ln(3)

    for section in report.file_sections():
        pdf.ln(4)
        if pdf.will_page_break(30):
            pdf.add_page()
        pdf.set_font(family, "B", 13)
        pdf.set_text_color(0, 114, 178)
        pdf.multi_cell(width, 7, clean(section.heading), new_x="LMARGIN", new_y="NEXT", align="L")
        pdf.set_text_color(0)
        for block in section.blocks:
            if isinstance(block, Text):
                pdf.set_font(family, "", 10)
                pdf.multi_cell(width, 5, clean(block.text), new_x="LMARGIN", new_y="NEXT", align="L")
                pdf.ln(1)
            elif isinstance(block, Table):
                table(block.frame, block.caption)
            elif isinstance(block, Chart):
                title = _figure_title(_figure(block))
                if id(block) in images:
                    if pdf.will_page_break(width * img_h / img_w + 8):
                        pdf.add_page()
                    pdf.image(io.BytesIO(images[id(block)]), w=width, alt_text=clean(title))
                    if block.caption:
                        pdf.set_font(family, "", 8)
                        pdf.multi_cell(width, 4, clean(block.caption), new_x="LMARGIN", new_y="NEXT", align="L")
                    pdf.ln(2)
                if block.table is not None:  # always: it holds what the chart cannot draw
                    table(block.table.frame, block.table.caption or (block.caption or title))
    if report.footnote:
        pdf.ln(4)
        pdf.set_font(family, "", 8)
        pdf.multi_cell(width, 4, clean(report.footnote), new_x="LMARGIN", new_y="NEXT", align="L")
    return bytes(pdf.output())
