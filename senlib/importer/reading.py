"""Reading an uploaded file into sheets of text cells, whatever its format, safely.

Spreadsheets are read with fastexcel (Rust, calamine) into Arrow with every cell as text, so nothing
is lost to type guessing; normalisation then parses dates and codes in SQL. The file's real format
is sniffed from its bytes, not trusted from its name. Guards: size limit, decompression-bomb check,
password protection, not-a-spreadsheet, empty, and sheets far larger than any tracker (checked on the sizes a
workbook declares before it is read, and on what was read). Native readers can still abort on a crafted
file, so uploads are read here only inside the worker process (senlib.importer.sandbox).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import PurePath

import pyarrow as pa

from senlib.importer.problems import ImportRefused, refuse

MAX_FILE_BYTES = 50 * 1024 * 1024           # a council-wide tracker is a few MB
MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024  # what a zip-based workbook may expand to
MAX_RATIO = 200                              # real workbooks compress 5-30 times; bombs thousands
MAX_COLUMNS = 500        # a tracker has a few dozen columns; a review history in columns perhaps 200
MAX_ROWS = 1_000_000     # a council's scores sheet (50,000 pupils x 9 scores is 450,000 rows); Excel stops at 1,048,576
MAX_CELLS = 10_000_000   # rows x columns a sheet may span (the 50,000-pupil benchmark has 1,000,000)
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SPREADSHEET_EXTENSIONS = {".xlsx", ".xlsm", ".xls", ".ods", ".xlsb"}
TEXT_EXTENSIONS = {".csv", ".txt", ".tsv"}
SAVE_AS = "Open it in Excel and use File > Save As > Excel Workbook (.xlsx), or CSV UTF-8, then upload that file."
DAMAGED_FIX = ("Open it in Excel; if it opens, save it again as a new .xlsx file and upload that. "
               "If it does not open, use a backup copy.")
STRAY_CELLS_FIX = ("In Excel, open that sheet and press Ctrl+End to jump to its last cell. Select the empty rows below "
                   "your data and the empty columns to its right, right-click and choose Delete, then save and upload "
                   "again. If the sheet really holds that much, split it into several files and upload them together.")
# Errors a damaged zip raises from the standard library (NotImplementedError: "zip file version 14.6").
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, NotImplementedError, KeyError,
              zlib.error, RuntimeError, UnicodeDecodeError)


@dataclass
class Sheet:
    """One sheet: every cell as text (or null), columns c0..cN; row i is the sheet's row i+1."""

    name: str
    table: pa.Table


@dataclass
class Workbook:
    """An uploaded file, read: its name, bytes, real format and sheets."""

    file_name: str
    data: bytes
    fmt: str
    sheets: list[Sheet] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def read_workbook(file_name: str, data: bytes, *, max_bytes: int = MAX_FILE_BYTES) -> Workbook:
    """Read any supported file; raise ImportRefused with a specific message for a bad one."""
    ext = PurePath(file_name).suffix.lower()
    if len(data) == 0:
        raise refuse("The file is empty (0 bytes).", "Check you chose the right file; save the tracker again and upload it.",
                     file=file_name)
    if len(data) > max_bytes:
        raise refuse(f"The file is too big to import ({len(data) / 2**20:.1f} MB; the limit is {max_bytes / 2**20:.0f} MB).",
                     "Delete pictures, charts and unused sheets from the workbook, or split it into several files "
                     "(for example one per year group) and upload them together.", file=file_name)
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        fmt = _check_zip(file_name, data)
        sheets = _read_with_fastexcel(file_name, data, fmt)
    elif data[:8] == OLE2:
        _check_ole2(file_name, data)
        sheets = _read_xls(file_name, data)
        fmt = "xls"
    else:
        text = _decode_text(file_name, data)
        if ext in SPREADSHEET_EXTENSIONS:
            head = text[:2000].lower()
            if "<html" in head or "<table" in head or "<?xml" in head:
                raise refuse(f"The file is called '{file_name}' but it is really a web page (HTML or XML), not an Excel workbook. "
                             "Some school systems export like this.", SAVE_AS, file=file_name)
            raise refuse(f"The file is called '{file_name}' but it is really a CSV (plain text) file renamed to {ext}, "
                         "so Excel features are missing and the name does not match the contents.",
                         "Rename the file to end in .csv and upload it again, or open it in Excel and save it as an "
                         "Excel Workbook (.xlsx).", file=file_name)
        name = PurePath(file_name).stem or "CSV"
        sheets = [Sheet(name, _parse_csv(text, file_name, name))]
        fmt = "csv"
    sheets = [s for s in sheets if s.table.num_rows and s.table.num_columns]
    if not sheets:
        raise refuse("The file has no data: every sheet is empty.",
                     "Check you chose the right file, and that the tracker is on a sheet of this workbook.", file=file_name)
    return Workbook(file_name, data, fmt, sheets)


def _check_zip(file_name: str, data: bytes) -> str:
    """Decompression-bomb guard, format sniffing and declared sheet sizes of zip-based files (xlsx, xlsm, ods)."""
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        return _inspect_zip(file_name, z)
    except ZIP_ERRORS:
        raise refuse("The file is damaged: it looks like an Excel workbook but cannot be opened.", DAMAGED_FIX,
                     file=file_name) from None


def _inspect_zip(file_name: str, z: zipfile.ZipFile) -> str:
    infos = z.infolist()
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    biggest = max((i.file_size / max(i.compress_size, 1) for i in infos if i.file_size > 10 * 2**20), default=0)
    if total > MAX_UNCOMPRESSED_BYTES or biggest > MAX_RATIO or (total > 100 * 2**20 and total / packed > MAX_RATIO):
        raise refuse(f"The file expands to {total / 2**20:,.0f} MB when opened, far more than any tracker: it looks like a "
                     "'zip bomb' or a damaged file, so it was not opened.",
                     "Upload the tracker itself, saved from Excel. If this really is your tracker, split it into smaller "
                     "files.", file=file_name)
    names = {i.filename for i in infos}
    if "mimetype" in names:
        mime = z.read("mimetype")[:100]
        if b"opendocument.spreadsheet" not in mime:
            raise refuse("The file is an OpenDocument file but not a spreadsheet (perhaps a text document).", SAVE_AS,
                         file=file_name)
        manifest = z.read("META-INF/manifest.xml") if "META-INF/manifest.xml" in names else b""
        if b"encryption-data" in manifest:
            raise _password(file_name)
        return "ods"
    if "[Content_Types].xml" in names:
        if any(n.startswith("word/") for n in names):
            raise refuse("The file is a Word document, not a spreadsheet.", SAVE_AS, file=file_name)
        if any(n.startswith("ppt/") for n in names):
            raise refuse("The file is a PowerPoint presentation, not a spreadsheet.", SAVE_AS, file=file_name)
        if any(n.endswith(".bin") and n.startswith("xl/worksheets/") for n in names):
            return "xlsb"
        for sheet, ref in _declared_dimensions(z, names):
            _check_dimension(file_name, sheet, ref)
        return "xlsx"
    raise refuse("The file is a zip archive, not a spreadsheet.",
                 "Unzip it and upload the Excel or CSV file inside.", file=file_name)


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Za-z]{1,3}[0-9]{1,7}(?::[A-Za-z]{1,3}[0-9]{1,7})?)"')
_TAG = re.compile(rb"<(?:\w+:)?(sheet|Relationship)\b([^>]*)>")
_ATTR = re.compile(rb'([\w:]+)\s*=\s*"([^"]*)"')
_REF = re.compile(r"([A-Z]{1,3})([0-9]+)")


def _tags(xml: bytes, tag: str) -> list[dict[str, str]]:
    """Attributes of each <tag ...> (namespace prefixes dropped), in any order."""
    return [{k.decode().rsplit(":", 1)[-1]: _xml_text(v) for k, v in _ATTR.findall(attrs)}
            for name, attrs in _TAG.findall(xml[:2_000_000]) if name.decode() == tag]


def _declared_dimensions(z: zipfile.ZipFile, names: set[str]) -> list[tuple[str, str]]:
    """(sheet name, declared range such as 'A1:T350') of each worksheet, from the start of its XML: the size a
    reader will reserve memory for, known before any cell is read."""
    sheet_names: dict[str, str] = {}
    if "xl/workbook.xml" in names and "xl/_rels/workbook.xml.rels" in names:
        targets = {r.get("Id"): "xl/" + r.get("Target", "").lstrip("/").removeprefix("xl/")
                   for r in _tags(z.read("xl/_rels/workbook.xml.rels"), "Relationship")}
        for sheet in _tags(z.read("xl/workbook.xml"), "sheet"):
            if sheet.get("id") in targets and "name" in sheet:
                sheet_names[targets[sheet["id"]]] = sheet["name"]
    out = []
    for member in sorted(n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")):
        with z.open(member) as f:
            head = f.read(64 * 1024)
        found = _DIMENSION.search(head)
        if found:
            out.append((sheet_names.get(member, member.rsplit("/", 1)[-1]), found.group(1).decode().upper()))
    return out


def _xml_text(raw: bytes) -> str:
    import html

    return html.unescape(raw.decode("utf-8", errors="replace"))


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _check_dimension(file_name: str, sheet: str, ref: str) -> None:
    """Refuse a sheet whose declared range is beyond any tracker (a stray cell at XFD1048576 makes the reader
    reserve memory for 17 billion cells)."""
    last = _REF.fullmatch(ref.split(":")[-1])
    if not last:
        return
    columns, rows = _column_number(last.group(1)), int(last.group(2))
    _check_size(file_name, sheet, rows, columns, last_cell=last.group(0))


def _check_size(file_name: str, sheet: str, rows: int, columns: int, last_cell: str | None = None) -> None:
    """Refuse a sheet with more rows, columns or cells than any tracker, naming what is too big."""
    reach = f"reaches cell {last_cell}, that is " if last_cell else "has "
    span = f"{columns:,} column{'s' if columns != 1 else ''} by {rows:,} row{'s' if rows != 1 else ''}"
    if columns > MAX_COLUMNS:
        what = f"more columns than any tracker (the importer takes at most {MAX_COLUMNS:,})"
    elif rows > MAX_ROWS:
        what = f"more rows than any tracker (the importer takes at most {MAX_ROWS:,})"
    elif rows * columns > MAX_CELLS:
        what = f"more cells than any tracker (the importer takes at most {MAX_CELLS:,})"
    else:
        return
    raise refuse(f"Sheet '{sheet}' {reach}{span}: {what}. This is usually a stray value or formatting far below or to "
                 "the right of the data. Nothing was imported.", STRAY_CELLS_FIX, file=file_name, sheet=sheet)


def _password(file_name: str) -> ImportRefused:
    return refuse("The file is protected with a password, so it cannot be read.",
                  "Open it in Excel with the password, then File > Info > Protect Workbook > Encrypt with Password, "
                  "delete the password, save, and upload it again. (The database keeps imported data safe.)",
                  file=file_name)


def _check_ole2(file_name: str, data: bytes) -> None:
    """An OLE2 container is either a legacy .xls or an encrypted (password-protected) workbook."""
    import msoffcrypto

    try:
        office = msoffcrypto.OfficeFile(io.BytesIO(data))
        encrypted = office.is_encrypted()
    except Exception:  # noqa: BLE001 - msoffcrypto raises many types for non-Excel OLE2 files
        encrypted = False
    if encrypted:
        raise _password(file_name)


def _read_with_fastexcel(file_name: str, data: bytes, fmt: str) -> list[Sheet]:
    import fastexcel

    try:
        reader = fastexcel.read_excel(data)
        names = reader.sheet_names
    except Exception as exc:  # noqa: BLE001 - fastexcel/calamine raise several types
        if "password" in str(exc).lower() or "encrypt" in str(exc).lower():
            raise _password(file_name) from None
        raise refuse("The file could not be read as a spreadsheet: it may be damaged or not a spreadsheet at all.",
                     "Open it in Excel; if it opens, save it again as a new .xlsx file and upload that.",
                     file=file_name) from None
    sheets = []
    for i, name in enumerate(names):
        try:
            table = reader.load_sheet(i, header_row=None, dtypes="string", skip_rows=0).to_arrow()
        except Exception:  # noqa: BLE001 - an empty or chart-only sheet cannot be loaded: skip it
            continue
        _check_size(file_name, name, table.num_rows, table.num_columns)
        sheets.append(Sheet(name, _rename(table)))
    return sheets


def _read_xls(file_name: str, data: bytes) -> list[Sheet]:
    """Legacy .xls: fastexcel (calamine) first, xlrd as a fallback for files calamine rejects."""
    try:
        return _read_with_fastexcel(file_name, data, "xls")
    except ImportRefused:
        pass
    try:
        import xlrd

        book = xlrd.open_workbook(file_contents=data)
    except Exception:  # noqa: BLE001
        raise refuse("The file is an old-style Office file but not a spreadsheet that can be read (it may be a Word "
                     "document or damaged).", SAVE_AS, file=file_name) from None
    sheets = []
    for sh in book.sheets():
        _check_size(file_name, sh.name, sh.nrows, sh.ncols)
        rows = []
        for r in range(sh.nrows):
            row = []
            for c in range(sh.ncols):
                cell = sh.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    row.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode).strftime("%Y-%m-%d %H:%M:%S"))
                elif cell.ctype == xlrd.XL_CELL_NUMBER:
                    row.append(repr(int(cell.value)) if float(cell.value).is_integer() else repr(cell.value))
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    row.append("true" if cell.value else "false")
                elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    row.append(None)
                else:
                    row.append(str(cell.value))
            rows.append(row)
        sheets.append(Sheet(sh.name, _rows_to_table(rows)))
    return sheets


def _rename(table: pa.Table) -> pa.Table:
    return table.rename_columns([f"c{i}" for i in range(table.num_columns)])


def _decode_text(file_name: str, data: bytes) -> str:
    """Text in UTF-8 (with or without BOM), UTF-16 (Excel 'Unicode text') or Windows-1252."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    sample = data[:65536]
    if b"\x00" in sample or _binary_share(sample) > 0.02:
        raise refuse("The file is not a spreadsheet or a CSV file: its contents are not readable text or Excel data.",
                     "Upload the tracker as an Excel workbook (.xlsx, .xlsm, .xls), OpenDocument spreadsheet (.ods) or CSV "
                     "file. " + SAVE_AS, file=file_name)
    if data[:3] == b"\xef\xbb\xbf":
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _binary_share(sample: bytes) -> float:
    """Share of control bytes other than tab, CR, LF: text has none."""
    if not sample:
        return 0.0
    bad = sum(1 for b in sample if b < 32 and b not in (9, 10, 13))
    return bad / len(sample)


def _parse_csv(text: str, file_name: str = "", sheet: str = "CSV") -> pa.Table:
    first_line = text[:200_000].split("\n", 1)[0]
    _check_size(file_name, sheet, 1, 1 + max(first_line.count(d) for d in ",;\t|"))  # before the sniffer, slow on wide rows
    sample = text[:20000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    try:
        rows = []
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if len(row) > MAX_COLUMNS or len(rows) >= MAX_ROWS:
                _check_size(file_name, sheet, len(rows) + 1, len(row))
            rows.append(row)
    except csv.Error as exc:
        raise refuse(f"The CSV file cannot be read ({exc}).", "Open it in Excel and save it again as CSV UTF-8, or as an Excel "
                     "Workbook (.xlsx).", file=file_name) from None
    return _rows_to_table(rows)


def _rows_to_table(rows: list[list]) -> pa.Table:
    """Ragged rows of text to a table of string columns c0..cN (blank cells become null)."""
    width = max((len(r) for r in rows), default=0)
    while rows and not any(v not in (None, "") for v in rows[-1]):
        rows.pop()
    cols = list(zip(*(list(r) + [None] * (width - len(r)) for r in rows), strict=True)) if rows else []
    arrays = [pa.array([v if v not in ("",) else None for v in col], type=pa.string()) for col in cols]
    return pa.table(arrays, names=[f"c{i}" for i in range(len(arrays))])
