"""Untrusted files (issue 12): read in a worker process with limits, so a file that aborts, panics, eats memory
or takes forever in the reader becomes a refusal with its message; the caller's process carries on and
nothing is written. The regression corpus is built here from real-format files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from senlib import store
from senlib.importer import ImportRefused, import_files
from senlib.importer.sandbox import Limits
from tests import test_import_badfiles as badfiles
from tests.import_corpus import (
    AS_OF,
    flipped,
    huge_dimension_xlsx,
    ods,
    simple_rows,
    truncated,
    wide_csv,
    wide_xlsx,
    xls,
    xlsx,
    zip_version,
)

ROOT = Path(__file__).resolve().parent.parent
REGISTER = xlsx({"Register": simple_rows()})


@pytest.fixture
def con(tmp_path):
    c = store.connect(tmp_path / "t.duckdb")
    yield c
    c.close()


def refused(con, name: str, data: bytes, **kw) -> ImportRefused:
    """Refused with nothing written (test_import_badfiles.refused), and with a fix."""
    exc = badfiles.refused(con, name, data, **kw)
    assert exc.fix
    return exc


def test_last_cell_declared_is_refused_before_reading(con):
    exc = refused(con, "register.xlsx", huge_dimension_xlsx(declared=True))
    assert "Sheet 'Register' reaches cell XFD1048576" in exc.message and "Nothing was imported" in exc.message
    assert "Ctrl+End" in exc.fix


def test_last_cell_undeclared_aborts_only_the_worker(con):
    # No <dimension> to check: the reader itself asks for 512 GB and dies; this process carries on.
    exc = refused(con, "register.xlsx", huge_dimension_xlsx(declared=False))
    assert "more memory than any tracker" in exc.message and "Nothing was written" in exc.message
    assert "Ctrl+End" in exc.fix
    import_files(con, [("register.xlsx", REGISTER)], setting="S", today=AS_OF)  # and the next file imports
    assert badfiles.counts(con)["pupils"] == 2


@pytest.mark.parametrize("name,build,words", [
    ("wide.csv", wide_csv, "10,000 columns"),
    ("wide.xlsx", wide_xlsx, "10,000 columns"),
])
def test_far_too_wide_is_refused_with_its_own_message(con, name, build, words):
    exc = refused(con, name, build())
    assert words in exc.message and "more columns than any tracker" in exc.message


def test_zip_member_with_unsupported_version(con):
    exc = refused(con, "register.xlsx", zip_version(REGISTER))
    assert "damaged" in exc.message


def test_a_reader_that_runs_out_of_time_is_stopped(con):
    exc = refused(con, "register.xlsx", REGISTER, limits=Limits(timeout=0.05))
    assert "took longer than" in exc.message and "Nothing was written" in exc.message


def test_a_reader_that_runs_out_of_memory_is_stopped(con):
    exc = refused(con, "register.xlsx", huge_dimension_xlsx(declared=False), limits=Limits(memory_mb=1024))
    assert "more than 1 GB" in exc.message


SEEDS = {"register.xls": xls(simple_rows()), "register.xlsx": REGISTER, "register.ods": ods(simple_rows())}
DAMAGED = [(name, truncated(data, share)) for name, data in SEEDS.items() for share in (0.1, 0.5, 0.9, 0.99)] + \
          [(name, flipped(data, seed)) for name, data in SEEDS.items() for seed in range(6)]


@pytest.mark.parametrize("name,data", DAMAGED, ids=[f"{n}-{i}" for i, (n, _) in enumerate(DAMAGED)])
def test_truncated_and_byte_flipped_files_import_or_are_refused(con, name, data):
    before = badfiles.counts(con)
    try:
        import_files(con, [(name, data)], setting="S", today=AS_OF)
    except ImportRefused as exc:
        assert exc.fix and badfiles.counts(con) == before


CLI_CASES = {"huge.xlsx": huge_dimension_xlsx(declared=False), "cut.xls": truncated(SEEDS["register.xls"], 0.5),
             "version.xlsx": zip_version(REGISTER), "wide.csv": wide_csv()}


@pytest.mark.parametrize("name", list(CLI_CASES))
def test_command_line_refuses_with_exit_2_and_no_traceback(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(CLI_CASES[name])
    run = subprocess.run([sys.executable, "-m", "senlib", "import", str(path), "--setting", "S", "--db",
                          str(tmp_path / "t.duckdb")], capture_output=True, text=True, cwd=ROOT, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.returncode == 2, run.stderr
    assert "Not imported:" in run.stderr and "How to fix" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout
