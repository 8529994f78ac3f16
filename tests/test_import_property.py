"""Property: an import of arbitrary or mutated input either succeeds or raises our own error,
and a refused import never leaves a partial write."""

from __future__ import annotations

import io
import re
import zipfile

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from senlib import store
from senlib.core.errors import SenlibError
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
                                     "Outcome", "Score", "Date", "", "Review 1", "Review 2 (Autumn term)", "Autumn review",
                                     "Aut 1", "Target 1", "T1 baseline", "T1 score 14/10/2025", "T1 Autumn", "Target 2",
                                     "Review date (Spring)"]), min_size=1, max_size=10)
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


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(head=HEADINGS, rows=st.lists(st.lists(CELLS, max_size=8), max_size=6), as_csv=st.booleans())
def test_arbitrary_tables(head, rows, as_csv):
    con = _con()
    if not as_csv:  # Excel cannot hold control characters; the reader never sees them in a workbook
        rows = [[ILLEGAL.sub("", c) or None if isinstance(c, str) else c for c in r] for r in rows]
    data = csv_bytes([head, *rows]) if as_csv else xlsx({"Sheet": [head, *rows]})
    _check(con, [("t.csv" if as_csv else "t.xlsx", data)])


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=3000), name=st.sampled_from(["a.xlsx", "a.xls", "a.csv", "a.ods", "a"]))
def test_arbitrary_bytes(data, name):
    _check(_con(), [(name, data)])


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pos=st.integers(0, len(MESSY) - 1), junk=st.binary(min_size=1, max_size=64))
def test_mutated_workbook_bytes(pos, junk):
    data = MESSY[:pos] + junk + MESSY[pos + len(junk):]
    _check(_con(), [("register.xlsx", data)])


@settings(max_examples=18, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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


@settings(max_examples=18, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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


# Issue 13's shapes (review history and targets in columns, a review log), cell by cell made messy.
SHAPE_ROWS = {
    "history": [["Name", "DOB", "SEN", "Review 1 (Summer term)", "Progress", "Review 2 (Autumn term)", "Progress", "Next review due"],
                ["Amy Clark", "10/02/2016", "E", "03/02/2025", "Expected", "01/10/2025", "Less", "03/02/2026"],
                ["Ben Doe", "12/05/2016", "K", "10/06/2025", "", "", "", ""]],
    "targets": [["UPN", "Name", "DOB", "SEN", "Target 1", "T1 baseline", "T1 target", "T1 score 01/10/2025", "T1 score 20/11/2025",
                 "Target 2", "T2 baseline", "T2 score 01/10/2025"],
                ["U1", "Sam Jones", "04/03/2016", "K", "Read 20 words", "2", "8", "4", "4", "Sit still", "1", "3"],
                ["U2", "Ali Khan", "05/05/2015", "E", "Greet an adult", "3", "9", "5", "6", "", "", ""]],
    "log": [["Name", "DOB", "Year", "SEN status", "Review date", "Progress", "Next review"],
            ["Ben Doe", "12/05/2016", "Year 4", "K", "20/01/2025", "Expected", "20/04/2025"],
            ["Ben Doe", "12/05/2016", "Year 4", "K", "22/04/2025", "Less", "10/07/2025"],
            ["Ben Doe", "12/05/2016", "Year 5", "K", "24/09/2025", "Less", "24/12/2025"]],
}


@settings(max_examples=28, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=st.sampled_from(sorted(SHAPE_ROWS)), edits=st.lists(st.tuples(st.integers(1, 3), st.integers(0, 11), CELLS),
                                                                   max_size=4), as_csv=st.booleans())
def test_mutated_shapes(shape, edits, as_csv):
    """Any cell of a shape changed to any value: imported, or refused with nothing written; imported twice, the
    second import changes nothing."""
    rows = [list(r) for r in SHAPE_ROWS[shape]]
    for r, c, value in edits:
        if r < len(rows) and c < len(rows[r]):
            rows[r][c] = ILLEGAL.sub("", value) or None if isinstance(value, str) and not as_csv else value
    data = csv_bytes(rows) if as_csv else xlsx({"Sheet": rows})
    con = store.connect(":memory:")
    files = [("t.csv" if as_csv else "t.xlsx", data)]
    before = _fingerprint(con)
    try:
        import_files(con, files, setting="S", today=AS_OF, limits=SHORT)
    except SenlibError:
        assert _fingerprint(con) == before
        return
    again = import_files(con, files, setting="S", today=AS_OF, limits=SHORT)
    assert all(c == {"added": 0, "changed": 0} for c in again.totals().values()), again.totals()
