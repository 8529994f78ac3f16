"""Messy trackers built by the tests themselves: every case of issue 3, as bytes."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime

import openpyxl
import pandas as pd

AS_OF = date(2025, 11, 23)


def xlsx(sheets: dict[str, list[list]], merges: dict[str, list[str]] | None = None) -> bytes:
    """A workbook with the given rows on each sheet (None = empty cell), optional merged ranges."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, v in enumerate(row, start=1):
                if v is not None:
                    cell = ws.cell(r, c, v)
                    if isinstance(v, (date, datetime)):
                        cell.number_format = "DD/MM/YYYY"
        for rng in (merges or {}).get(name, []):
            ws.merge_cells(rng)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(rows: list[list], encoding: str = "utf-8", bom: bool = False, sep: str = ",") -> bytes:
    text = "\r\n".join(sep.join("" if v is None else str(v) for v in row) for row in rows) + "\r\n"
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def ods(rows: list[list]) -> bytes:
    buf = io.BytesIO()
    width = max(len(r) for r in rows)
    pd.DataFrame([list(r) + [None] * (width - len(r)) for r in rows]).to_excel(buf, engine="odf", header=False, index=False, sheet_name="Register")
    return buf.getvalue()


def xls(rows: list[list]) -> bytes:
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("Register")
    datefmt = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if isinstance(v, (date, datetime)):
                ws.write(r, c, datetime(v.year, v.month, v.day), datefmt)
            elif v is not None:
                ws.write(r, c, v)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def zip_bomb() -> bytes:
    """A small .xlsx-looking zip whose sheet expands to 2 GB of zeros."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as fh:
            chunk = b"\0" * (1 << 20)
            for _ in range(2048):
                fh.write(chunk)
    return buf.getvalue()


def encrypted_xlsx() -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = io.BytesIO(xlsx({"Register": [["UPN", "Name", "DOB"], ["A1", "Jo Bloggs", date(2015, 3, 4)]]}))
    out = io.BytesIO()
    OOXMLFile(plain).encrypt("secret", out)
    return out.getvalue()


# The messy one-row-per-pupil tracker: title rows, merged group labels, every kind of value.
MESSY_HEADER_GROUPS = [None, None, "Pupil details", None, None, None, None, "SEN", None, None, "Last review", None, None,
                       "Next review", None]
MESSY_HEADER = ["UPN", "Name", "D.O.B", "Yr Group", "Class ", "SEN Stage", "Primary Need", "Secondary need", "EHCP LA",
                "Date", "Progress", "Parent attended", "Date", "Attendance %", "Favourite activity"]


def messy_tracker() -> bytes:
    """Sheet 'Year 6' and 'Year 5' (one per year group), plus a Summary sheet and a Lists sheet."""
    y6 = [
        ["Oakfield Primary School — SEN register 2025/26"],
        ["Printed 20/11/2025"],
        [],
        ["Pupil details", None, None, None, None, "SEN", None, None, None, "Last review", None, None, "Next review", None, None],
        MESSY_HEADER,
        ["A100000000001", "Smith, John", datetime(2015, 3, 4), "Yr 6", "6B ", "SEN Support", "Autism", None, None,
         "12/09/2025", "Less than expected", "Yes", date(2025, 12, 12), 93.5, "Lego"],
        ["A100000000002", "Amira Khan", "14/07/2015", "Year 6", "6A", "EHCP", "Speech & Language", "SpLD (Dyslexia)",
         "Northmoor Council", 45910, "Expected", "No", "10/03/2026", 88, None],
        [],
        ["A100000000003", "O'BRIEN Niamh", 42150, "Y6", "6B", "Statement", "SEMH", None, "Eastbridge", None, None, None,
         None, None, "Drawing"],
        ["  A100000000004 ", "  Leo   Park  ", "4 March 2016", "6", "6A", "Monitoring", None, None, None, None, None,
         None, None, 97, None],
        [None, "Total: 4 pupils"],
        ["Key: K = SEN Support, E = EHCP"],
    ]
    y5 = [
        ["Pupil details", None, None, None, None, "SEN", None, None, None, "Last review", None, None, "Next review", None, None],
        MESSY_HEADER,
        ["A100000000005", "Ruby Jones", date(2016, 10, 1), "Year 5", "5C", "K", "SPLD", None, None, "03/10/2025",
         "More than expected", "Yes", "09/01/2026", 90, None],
        ["A100000000006", "Evans, Tom", "1/9/16", "Yr 5", "5C", "School Support", "MLD", "ASD", None, None, None, None,
         None, None, None],
    ]
    summary = [["Summary"], ["Year group", "Count"], ["Year 6", 4], ["Year 5", 2]]
    lists = [["SEN codes"], ["K"], ["E"], ["N"]]
    return xlsx({"Year 6": y6, "Year 5": y5, "Summary": summary, "Codes": lists}, merges={"Year 6": ["A4:E4", "F4:I4", "J4:L4", "M4:O4"]})


SIMPLE_HEADER = ["UPN", "Surname", "Forename", "DOB", "Year", "SEN status", "Primary need"]


def simple_rows() -> list[list]:
    return [
        SIMPLE_HEADER,
        ["B1", "Zoë", "Ågren", "04/03/2015", "6", "K", "ASD"],
        ["B2", "O\u2019Neill", "Seán", "05/04/2016", "5", "EHCP", "SLCN"],
    ]


# Hostile and damaged files (issue 12): each must be refused with its message, never crash the reader's caller.
def huge_dimension_xlsx(declared: bool = True) -> bytes:
    """A 5 KB register whose sheet also holds one value in its last cell, XFD1048576: the reader would reserve
    memory for 17 billion cells. `declared=False` drops the <dimension> element, so only the reader finds out."""
    data = xlsx({"Register": simple_rows()})
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                body = re.sub(rb"<dimension[^>]*/>", b'<dimension ref="A1:XFD1048576"/>' if declared else b"", body)
                body = body.replace(b"</sheetData>",
                                    b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row></sheetData>')
            out.writestr(info, body)
    return buf.getvalue()


def wide_csv(columns: int = 10_000) -> bytes:
    header = ["UPN", "Name"] + [f"Column {i}" for i in range(columns - 2)]
    return csv_bytes([header, ["A1", "Jo Bloggs"] + [""] * (columns - 2)])


def wide_xlsx(columns: int = 10_000) -> bytes:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Register")
    ws.append(["UPN", "Name"] + [f"Column {i}" for i in range(columns - 2)])
    ws.append(["A1", "Jo Bloggs"] + ["x"] * (columns - 2))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def zip_version(data: bytes, version: int = 146) -> bytes:
    """The same zip with every member's 'version needed to extract' set to `version` (146 = 14.6): Python's
    zipfile raises NotImplementedError on it."""
    out = bytearray(data)
    for sig, offset in ((b"PK\x03\x04", 4), (b"PK\x01\x02", 6)):
        start = 0
        while (i := out.find(sig, start)) != -1:
            out[i + offset:i + offset + 2] = version.to_bytes(2, "little")
            start = i + 4
    return bytes(out)


def truncated(data: bytes, share: float) -> bytes:
    return data[:max(8, int(len(data) * share))]


def flipped(data: bytes, seed: int, n: int = 8) -> bytes:
    """`n` bytes of `data` overwritten with random values, the same for the same seed."""
    import random

    rng = random.Random(seed)
    out = bytearray(data)
    for _ in range(n):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)
