"""Exports: formula injection neutralised, calendars parse, reports are self-contained and escaped."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from senlib.render import charts, document, exports

DANGEROUS = ["=1+1", "+SUM(A1:A2)", "-2+3", "@SUM(A1)", "\t=cmd", "\r=cmd", '=HYPERLINK("http://x","y")',
             "=cmd|' /C calc'!A0"]
SAFE = ["Amelia", " =not a formula", "5 - 3", "", "a=b"]


def _frame() -> pd.DataFrame:
    values = DANGEROUS + SAFE
    return pd.DataFrame({
        "text": values,
        "n": range(len(values)),
        "when": pd.to_datetime(["2026-11-23"] * len(values)),
        "score": [1.5] * len(values),
    })


@pytest.mark.parametrize("value", DANGEROUS)
def test_formula_like_text_is_detected(value):
    assert exports.is_formula_like(value)
    assert exports.neutralise(value) == "'" + value


@pytest.mark.parametrize("value", SAFE + [None, 5, -3.0])
def test_other_values_pass_through(value):
    assert exports.neutralise(value) == value


def test_xlsx_stores_formula_like_text_as_text():
    from openpyxl import load_workbook

    df = _frame()
    data = exports.to_xlsx(df, sheet_name="Caseload: export")
    ws = load_workbook(io.BytesIO(data)).active
    assert ws.title == "Caseload  export"
    assert [c.value for c in ws[1]] == list(df.columns)
    for i, value in enumerate(df["text"], start=2):
        cell = ws.cell(row=i, column=1)
        if value:
            assert cell.data_type == "s", (value, cell.data_type)  # never "f": Excel would run it
        # as the tracker had it (openpyxl reads a CR back as LF with the standard XML parser, as CR with lxml)
        assert (cell.value and cell.value.replace("\r", "\n")) == ((value or None) and value.replace("\r", "\n"))
        assert cell.quotePrefix == exports.is_formula_like(value)
    assert ws.cell(row=2, column=2).value == 0
    assert ws.cell(row=2, column=3).value == datetime(2026, 11, 23)
    assert ws.cell(row=2, column=3).number_format == "dd/mm/yyyy"
    # No formula anywhere in the sheet XML.
    import zipfile

    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet


def test_xlsx_several_sheets_and_odd_values():
    from openpyxl import load_workbook

    odd = pd.DataFrame({"a": ["bell\x07char", None], "b": [pd.NA, 2], "c": [["x"], {"k": 1}],
                        "d": pd.to_datetime(["2026-01-01 10:30", None]).tz_localize("Europe/London")})
    data = exports.to_xlsx({"One": _frame(), "Two": odd})
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["One", "Two"]
    assert wb["Two"]["A2"].value == "bellchar"
    assert wb["Two"]["D2"].value == datetime(2026, 1, 1, 10, 30)


def test_csv_prefixes_formula_like_text_and_round_trips():
    df = _frame()
    data = exports.to_csv(df)
    assert data.startswith("\ufeff".encode())
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", keep_default_na=False)
    for original, written in zip(df["text"], back["text"], strict=True):
        assert written == ("'" + original if exports.is_formula_like(original) else original)
        assert not exports.is_formula_like(written)
    assert back["when"][0] == "23/11/2026"


def test_csv_neutralises_headers_too():
    data = exports.to_csv(pd.DataFrame({"=bad": [1]}))
    assert b"\"'=bad\"" in data


def _upcoming() -> pd.DataFrame:
    return pd.DataFrame({
        "setting": ["Oakfield", "Oakfield"],
        "pupil_id": ["A1", "A2"],
        "pupil": ["Zoë Wójcik, with a name long enough to need folding across lines in the file", "Tom; Jones"],
        "due_date": [date(2026, 12, 1), date(2027, 1, 15)],
        "invite_by": [date(2026, 10, 20), date(2026, 12, 4)],
        "reports_by": [date(2026, 11, 17), None],
        "plan": ["EHC plan", "SEN Support plan"],
    })


def test_ics_parses_back_with_all_day_events():
    from icalendar import Calendar

    stamp = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    events = exports.review_events(_upcoming(), detail=["plan"])
    assert len(events) == 5
    data = exports.to_ics(events, name="Oakfield reviews", stamp=stamp)
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))  # folded at 75 octets
    cal = Calendar.from_ical(data)
    assert str(cal["VERSION"]) == "2.0"
    assert "SEN caseload" in str(cal["PRODID"])
    vevents = cal.walk("VEVENT")
    assert len(vevents) == 5
    uids = {str(e["UID"]) for e in vevents}
    assert len(uids) == 5
    for ev in vevents:
        start = ev.decoded("DTSTART")
        assert type(start) is date  # all-day: VALUE=DATE, not a date-time
        assert (ev.decoded("DTEND") - start).days == 1
        assert ev.decoded("DTSTAMP") == stamp
    summaries = sorted(str(e["SUMMARY"]) for e in vevents)
    assert "Review due: Tom; Jones" in summaries
    assert b"DTSTART;VALUE=DATE:20261201" in data


def test_ics_uids_are_stable_between_exports():
    a = exports.review_events(_upcoming())
    b = exports.review_events(_upcoming())
    assert [e.uid for e in a] == [e.uid for e in b]


def _report(text: str = "<script>alert('x')</script>") -> document.Document:
    counts = pd.DataFrame({"need": ["ASD", text], "pupils": [12, 7]})
    fig = charts.bar(counts, "need", "pupils", title="Pupils by need", x_title="Need", y_title="Pupils")
    return document.Document(
        title="Governors' report",
        subtitle="Oakfield Primary School, autumn term 2026",
        sections=(
            document.Section("Who is on the register", (
                document.Text(f"A paragraph with {text} in it."),
                document.Chart(charts.to_spec(fig), document.Table(counts, "Pupils by need"), caption="Pupils by need"))),
            document.Section("Details", (document.Table(pd.DataFrame({"item": [text, "=1+1"], "value": [0.5, 3]}), "A table"),)),
        ),
        footnote="Counts below 5 are shown as 'fewer than 5'.",
        headlines=(document.Headline("Pupils on the register", "19", "on 1 December"),),
    )


def test_html_report_escapes_text_and_is_self_contained():
    data = exports.to_html(_report('<img src=x onerror="alert(1)"> <script>bad()</script>'), charts=False)
    page = data.decode("utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower()
    assert "<img src=x" not in page
    assert "&lt;script&gt;bad()&lt;/script&gt;" in page
    assert "http://" not in page and "https://" not in page  # nothing to fetch
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "<table>" in page and "Pupils by need" in page


def test_pdf_report_without_charts_has_the_text():
    from pypdf import PdfReader

    data = exports.to_pdf(_report(), charts=False)
    assert data.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "Governors' report" in text
    assert "<script>alert('x')</script>" in text  # shown literally
    assert "Who is on the register" in text
    assert "ASD" in text  # the chart's table stands in for the chart
    assert "Summary" in text and "Pupils on the register" in text  # the headlines come first


def test_pdf_falls_back_to_tables_with_a_note_when_no_browser(monkeypatch):
    from pypdf import PdfReader

    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    assert exports.browser_path() is None
    data = exports.to_pdf(_report())
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "could not be drawn" in text
    assert "ASD" in text
    html_page = exports.to_html(_report()).decode()
    assert "could not be drawn" in html_page and "data:image/png" not in html_page


chromium = pytest.mark.skipif(exports.browser_path() is None, reason="no Chromium installed: charts cannot be drawn")


@chromium
def test_pdf_and_html_embed_chart_images():
    from pypdf import PdfReader

    report = _report()
    pdf = exports.to_pdf(report)
    reader = PdfReader(io.BytesIO(pdf))
    assert any(page.images for page in reader.pages), "the chart should be an image in the PDF"
    assert "could not be drawn" not in reader.pages[0].extract_text()
    page = exports.to_html(report).decode()
    assert 'src="data:image/png;base64,' in page


@chromium
def test_render_png_returns_one_png_per_figure():
    figs = [charts.bar(pd.DataFrame({"x": ["a"], "y": [i]}), "x", "y", title="t", x_title="x", y_title="y") for i in (1, 2)]
    images = exports.render_png(figs, width=300, height=200, scale=1)
    assert len(images) == 2
    assert all(img.startswith(b"\x89PNG") for img in images)


def test_review_events_name_the_pupil_from_first_and_last_name():
    df = _upcoming().drop(columns=["pupil"]).assign(first_name=["Ada", "Tom"], last_name=["Lovelace", None])
    summaries = {e.summary for e in exports.review_events(df)}
    assert "Review due: Ada Lovelace" in summaries and "Review due: Tom" in summaries
