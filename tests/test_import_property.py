"""Property: an import of arbitrary or mutated input either succeeds or raises our own error,
and a refused import never leaves a partial write."""

from __future__ import annotations

import io
import re
import zipfile

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from senlib import store
from senlib.errors import SenlibError
from senlib.importer import import_files
from senlib.importer.sandbox import Limits
from tests.import_corpus import AS_OF, csv_bytes, messy_tracker, ods, simple_rows, xls, xlsx

TABLES = ["pupils", "plans", "reviews", "outcomes", "scores", "ehc_requests", "imports", "pupil_changes", "import_row_changes",
          "settings", "audit"]
CELLS = st.one_of(st.none(), st.text(max_size=12), st.integers(-5, 60000), st.floats(allow_nan=False, allow_infinity=False),
                  st.sampled_from(["K", "E", "EHCP", "Autism", "Yr 6", "R", "04/03/2015", "31/02/2015", "Total", "=1+1",
                                   "tbc", "SpLD (Dyslexia)", "2015-03-04", "P1", "P2", ""]))
HEADINGS = st.lists(st.sampled_from(["UPN", "Name", "DOB", "Year", "SEN status", "Primary need", "Last review", "Progress",
                                     "Next review", "Plan", "Notes", "Setting", "Surname", "Forename", "Review date",
                                     "Outcome", "Score", "Date", ""]), min_size=1, max_size=8)
MESSY = messy_tracker()
# Real-format files whose bytes the mutation tests damage; in CI each read has a short time limit.
SEEDS = {"register.xlsx": MESSY, "register.xls": xls(simple_rows()), "register.ods": ods(simple_rows())}
SHORT = Limits(timeout=10)
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _fingerprint(con) -> dict:
    return {t: con.execute(f"SELECT count(*), hash(list(t ORDER BY ALL)) FROM {t} t").fetchall()[0] for t in TABLES}


def _check(con, files) -> None:
    before = _fingerprint(con)
    try:
        import_files(con, files, setting="S", today=AS_OF, limits=SHORT)
    except SenlibError:
        assert _fingerprint(con) == before  # refused: nothing written


_SHARED: list = []


def _con():
    """One database for all examples: successful imports may pile up; refused ones must leave no trace."""
    if not _SHARED:
        con = store.connect(":memory:")
        import_files(con, [("base.csv", csv_bytes([["UPN", "Name", "DOB", "SEN"], ["P1", "Jo Bloggs", "04/03/2015", "K"]]))],
                     setting="S", today=AS_OF)
        _SHARED.append(con)
    return _SHARED[0]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(head=HEADINGS, rows=st.lists(st.lists(CELLS, max_size=8), max_size=6), as_csv=st.booleans())
def test_arbitrary_tables(head, rows, as_csv):
    con = _con()
    if not as_csv:  # Excel cannot hold control characters; the reader never sees them in a workbook
        rows = [[ILLEGAL.sub("", c) or None if isinstance(c, str) else c for c in r] for r in rows]
    data = csv_bytes([head, *rows]) if as_csv else xlsx({"Sheet": [head, *rows]})
    _check(con, [("t.csv" if as_csv else "t.xlsx", data)])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=3000), name=st.sampled_from(["a.xlsx", "a.xls", "a.csv", "a.ods", "a"]))
def test_arbitrary_bytes(data, name):
    _check(_con(), [(name, data)])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pos=st.integers(0, len(MESSY) - 1), junk=st.binary(min_size=1, max_size=64))
def test_mutated_workbook_bytes(pos, junk):
    data = MESSY[:pos] + junk + MESSY[pos + len(junk):]
    _check(_con(), [("register.xlsx", data)])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sheet_idx=st.integers(0, 3), row=st.integers(0, 14), col=st.integers(0, 14), value=CELLS)
def test_mutated_sheet_cells(sheet_idx, row, col, value):
    """Change one cell of the messy tracker inside its sheet XML (keeping a valid workbook)."""
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(MESSY))
    ws = wb.worksheets[sheet_idx]
    cell = ws.cell(row + 1, col + 1)
    assume(type(cell).__name__ != "MergedCell")  # inside a merged range: Excel has no such cell to change
    cell.value = ILLEGAL.sub("", value) or None if isinstance(value, str) else value
    buf = io.BytesIO()
    wb.save(buf)
    assert zipfile.is_zipfile(io.BytesIO(buf.getvalue()))
    _check(_con(), [("register.xlsx", buf.getvalue())])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(SEEDS)), cut=st.one_of(st.none(), st.floats(0.0, 1.0)),
       changes=st.lists(st.tuples(st.floats(0.0, 1.0, exclude_max=True), st.integers(0, 255)), max_size=12))
def test_mutated_file_bytes(name, cut, changes):
    """Truncate and overwrite bytes of a real .xlsx, .xls or .ods: imported, or refused with nothing written."""
    data = bytearray(SEEDS[name])
    for where, value in changes:
        data[int(where * len(data))] = value
    if cut is not None:
        data = data[:max(1, int(cut * len(data)))]
    _check(_con(), [(name, bytes(data))])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(["register.xlsx", "register.ods"]), member=st.integers(0, 30),
       changes=st.lists(st.tuples(st.floats(0.0, 1.0, exclude_max=True), st.binary(min_size=1, max_size=16)),
                        min_size=1, max_size=6))
def test_mutated_zip_members(name, member, changes):
    """Damage the XML inside the zip (where byte flips of the compressed file rarely reach) and zip it again."""
    src = zipfile.ZipFile(io.BytesIO(SEEDS[name]))
    infos = src.infolist()
    target = infos[member % len(infos)]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in infos:
            body = bytearray(src.read(info.filename))
            if info.filename == target.filename and body:
                for where, junk in changes:
                    i = int(where * len(body))
                    body[i:i + len(junk)] = junk
            out.writestr(info, bytes(body))
    _check(_con(), [(name, buf.getvalue())])
