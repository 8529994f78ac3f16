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


# ---- Tracker shapes of issue 13: review history and targets in columns, review logs -------------
SHAPES_AS_OF = date(2026, 12, 1)


def term_register(third_term: bool = False) -> bytes:
    """A register with a column per term's review and no UPN (issue 13): an EHC plan reviewed ten months ago, a pupil
    reviewed last week, an under-5 due in five weeks, a pupil with no date at all, one whose review is overdue.
    With `third_term`, next term's copy: one more review column, filled in for every pupil."""
    head = ["Pupil name", "DOB", "Year", "SEN", "Need", "Review 1 (Summer term)", "Progress", "Review 2 (Autumn term)",
            "Progress"] + (["Review 3 (Spring term)", "Progress"] if third_term else []) + ["Next review due"]
    people = [
        ["Amy Clark", "10/02/2016", "Year 5", "EHCP", "SLCN", "03/02/2026", "Expected", "", "", "03/02/2027"],
        ["Ben Doe", "12/05/2016", "Year 5", "SEN Support", "SPLD", "10/06/2026", "Expected", "24/11/2026", "Less than expected",
         "24/02/2027"],
        ["Cara Lee", "15/03/2022", "Reception", "EHCP", "PD", "05/07/2026", "", "", "", ""],
        ["Dev Shah", "01/09/2015", "Year 6", "SEN Support", "MLD", "", "", "", "", ""],
        ["Eve Moss", "20/12/2015", "Year 5", "SEN Support", "SEMH", "01/04/2026", "Less", "", "", ""],
    ]
    spring = {"Amy Clark": "02/02/2027", "Ben Doe": "22/02/2027", "Cara Lee": "04/01/2027", "Dev Shah": "10/03/2027",
              "Eve Moss": "01/03/2027"}
    rows = [["SEN register 2026-27, Brook Primary"], [], head]
    for p in people:
        rows.append(p[:9] + ([spring[p[0]], "Expected"] if third_term else []) + p[9:])
    return xlsx({"Register": rows})


def review_log_csv() -> bytes:
    """A review log: one row per review, the pupil's details repeated (year group moves up in September; a blank
    need is no disagreement)."""
    return csv_bytes([
        ["Name", "DOB", "Year", "SEN status", "Primary need", "Review date", "Progress", "Parent attended", "Next review"],
        ["Ben Doe", "12/05/2016", "Year 4", "K", "SPLD", "20/01/2026", "Expected", "Yes", "20/04/2026"],
        ["Ben Doe", "12/05/2016", "Year 4", "K", "", "22/04/2026", "Less than expected", "No", "10/07/2026"],
        ["Amy Clark", "10/02/2016", "Year 5", "E", "SLCN", "03/02/2026", "Expected", "Yes", "03/02/2027"],
        ["Ben Doe", "12/05/2016", "Year 5", "K", "SPLD", "24/09/2026", "Less than expected", "Yes", "24/12/2026"],
    ])


def ipm_targets(t1_text: str = "Read 20 high-frequency words", winter: bool = False) -> bytes:
    """IPM targets with their scaling scores in columns: dated scores for target 1, term columns for target 2."""
    head = ["UPN", "Name", "DOB", "SEN status", "Need", "Last review", "Target 1", "T1 area", "T1 baseline", "T1 target",
            "T1 score 01/10/2026", "T1 score 20/11/2026"] + (["T1 score 15/01/2027"] if winter else []) + \
           ["Target 2", "T2 baseline", "T2 Autumn 1", "T2 Autumn 2"]
    rows = [head,
            ["U1", "Sam Jones", "04/03/2016", "K", "SPLD", "20/11/2026", t1_text, "Cognition and learning", "2", "8", "4", "4"]
            + (["5"] if winter else []) + ["Sit at the table for 10 minutes", "1", "3", "5"],
            ["U2", "Ali Khan", "05/05/2015", "E", "ASD", "18/11/2026", "Greet an adult each morning", "C&I", "3", "9", "5",
             "6"] + (["7"] if winter else []) + ["", "", "", ""]]
    return xlsx({"IPM": rows})


def year_sheets_with_term_columns() -> bytes:
    """A secondary-style tracker with a sheet per year group and review columns named by term."""
    head = ["UPN", "Surname", "Forename", "DOB", "SEN stage", "Autumn review", "Autumn progress", "Spring review",
            "Spring progress", "Summer review", "Summer progress"]
    return xlsx({
        "Year 7": [head, ["Y7A", "Hart", "Jo", "03/10/2014", "K", "01/10/2025", "Expected", "20/01/2026", "More", "10/06/2026",
                          "Expected"]],
        "Year 8": [head, ["Y8A", "Ng", "Li", "11/11/2013", "K", "02/10/2025", "Less", "", "", "", ""]],
    })


def other_spellings() -> bytes:
    """Review history written other ways: 'APDR 1', 'Review date (Spring)', bare half-terms holding dates."""
    return csv_bytes([
        ["Pupil ID", "Child's name", "D.O.B", "Stage", "APDR 1", "APDR 1 outcome", "Review date (Spring)", "Aut 1", "Sum 2"],
        ["X1", "Pat Kay", "01/01/2017", "SEN Support", "12/09/2025", "Maintain", "15/03/2026", "20/10/2025", "15/07/2026"],
    ])
