"""Access fails closed: every senlib function that takes a viewer requires one, and keeps to it.

The functions are found by introspection over every senlib module, not from a list kept by hand: a new read
function is checked the day it is written. Each is called on a database of four settings (the demo's three and
a small school imported from its tracker) as a governor and as a SENCo limited to one setting, and must refuse
(AccessDenied) or return nothing a governor may not see (no pupil) or nothing of another setting.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import io
import pkgutil
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

import senlib
from senlib import access, store
from senlib.access import GOVERNOR, SENCO, TRUSTED, AccessDenied, Viewer
from senlib.importer import import_files, prepare
from tests import sparse_corpus
from tests.conftest import AS_OF

CONNECTION = ("cur", "con", "cursor", "connection")
# The read-models pages call for pupil data: every function here that takes a connection takes a viewer.
READ_LAYERS = ("senlib.views.", "senlib.rules.evaluate")


def _public_functions():
    for info in pkgutil.walk_packages(senlib.__path__, "senlib."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, fn in vars(module).items():
            if not name.startswith("_") and inspect.isfunction(fn) and fn.__module__ == module.__name__:
                yield f"{info.name}.{name}", fn


FUNCTIONS = dict(_public_functions())
WITH_VIEWER = {name: fn for name, fn in FUNCTIONS.items() if "viewer" in inspect.signature(fn).parameters}
# The ones that read the database (the gates themselves, access.require_*, take a viewer and nothing to read).
READERS = {name: fn for name, fn in WITH_VIEWER.items() if any(p in CONNECTION for p in inspect.signature(fn).parameters)}


def test_introspection_finds_the_read_functions():
    """A guard on the guard: the discovery finds the functions everyone knows read pupil data."""
    for name in ("senlib.rules.evaluate.pupil_status", "senlib.views.overview.settings_list",
                 "senlib.importer.matching.register_fits", "senlib.views.pupil.record", "senlib.views.overview.overview",
                 "senlib.views.governors.governors_report", "senlib.importer.load.list_imports",
                 "senlib.importer.template.export_workbook", "senlib.store.auditlog.entries"):
        assert name in READERS, name
    assert len(READERS) >= 30


def test_no_viewer_has_a_default():
    """Nobody saying who is asking is not a way in: `viewer` is always required."""
    defaults = [name for name, fn in WITH_VIEWER.items()
                if inspect.signature(fn).parameters["viewer"].default is not inspect.Parameter.empty]
    assert defaults == []


def test_every_read_model_takes_a_viewer():
    missing = [name for name, fn in FUNCTIONS.items() if name.startswith(READ_LAYERS)
               and any(p in CONNECTION for p in inspect.signature(fn).parameters)
               and "viewer" not in inspect.signature(fn).parameters
               and _reads_pupils(fn)]
    assert missing == [], f"{missing}: add a required `viewer` (access.staff_scope narrows the settings)"


def _reads_pupils(fn) -> bool:
    """A read-model that only reads the policy (a rule's sentence, a threshold) needs no viewer; one that reads
    pupils' records does. Read from its source: the rules' evaluation or a pupil table."""
    import re
    source = inspect.getsource(fn)
    return bool(re.search(r"\b(pupil_status|outcome_progress|review_quality|due_dates|main_plans|register_summary|"
                          r"ehc_request_clocks)\(|\brun\(cur|\b(FROM|JOIN)\s+(pupils|plans|reviews|outcomes|scores)\b",
                          source))


# ------------------------------------------------------------------------------------ calling them


@pytest.fixture(scope="module")
def four_settings(demo_db_template, tmp_path_factory):
    """The demo's three settings and Hollybank Primary, imported from its own tracker (so it has an import)."""
    path = tmp_path_factory.mktemp("access") / "four.duckdb"
    shutil.copy(demo_db_template, path)
    con = store.connect(path)
    try:
        import_files(con, [("sen-register-20.xlsx", sparse_corpus.register(20))], setting=sparse_corpus.SETTING,
                     today=sparse_corpus.AS_OF)
        settings = [r[0] for r in con.execute("SELECT DISTINCT setting FROM pupils ORDER BY 1").fetchall()]
        mine = next(s for s in settings if s != sparse_corpus.SETTING)
        assert sparse_corpus.SETTING in settings
        pupils = con.execute("SELECT setting, pupil_id, first_name, last_name FROM pupils").df()
        import_id = con.execute("SELECT max(import_id) FROM imports WHERE setting = ?", [sparse_corpus.SETTING]).fetchone()[0]
        # An upload of Hollybank's tracker, read (not imported) for the functions that match a file to a register.
        upload = prepare(con, [("sen-register-20.xlsx", sparse_corpus.register(20))])
        # A review meeting of a Hollybank pupil scheduled in the app, recorded, with an action (issue 17).
        from senlib.importer import meetings
        hb = pupils[pupils["setting"] == sparse_corpus.SETTING].iloc[0]
        review_id = meetings.schedule_review(con, hb["setting"], hb["pupil_id"], review_date=date(2026, 12, 1),
                                             as_of=date(2026, 12, 1), viewer=TRUSTED).review_id
        meetings.record_review(con, hb["setting"], review_id, held_on=date(2026, 12, 1), as_of=date(2026, 12, 1),
                               viewer=TRUSTED, actions=[{"action": "Share the plan", "owner": "Mrs Khan"}])
        con.execute("CHECKPOINT")
    finally:
        con.close()
    backup_file = tmp_path_factory.mktemp("access-backup") / "backup.duckdb"
    con = store.connect(path)
    try:
        from senlib.store import backup
        backup.backup_to(con, backup_file, TRUSTED)
    finally:
        con.close()
    other = pupils[pupils["setting"] != mine]
    # What would give another setting away: its name, and ids and names of its pupils that no pupil of mine shares.
    own = pupils[pupils["setting"] == mine]
    markers = ({s for s in settings if s != mine}
               | (set(other["pupil_id"]) - set(own["pupil_id"])))
    every_pupil = set(pupils["pupil_id"]) | {f"{f} {last}" for f, last in zip(pupils["first_name"], pupils["last_name"], strict=True)}
    target = other[(other["setting"] == sparse_corpus.SETTING) & (other["pupil_id"] == hb["pupil_id"])].iloc[0]
    return {"path": path, "mine": mine, "markers": markers, "every_pupil": every_pupil, "target": target,
            "review_id": review_id,
            "import_id": int(import_id), "backup": backup_file, "upload": upload, "settings": settings}


def _arguments(fn, db, con, tmp_path) -> dict:
    """A value for each parameter, by its name: the other setting, one of its pupils, its import."""
    target = db["target"]
    values = {
        "as_of": AS_OF, "day": AS_OF, "setting": target["setting"], "pupil_id": target["pupil_id"],
        "import_id": db["import_id"], "pupil_ids": [target["pupil_id"]], "leaving_date": date(2026, 12, 1),
        "text": target["last_name"], "user": "test", "phase": "primary", "local_authority": "Kent",
        "out": tmp_path / "out.duckdb", "target": None, "path": db["backup"], "enabled": False, "folder": None,
        "settings": None, "upload": db["upload"], "role": "teaching_assistant", "hourly_cost": 30.0,
        # review meetings (issue 17): the other setting's review, scheduled and recorded in the app
        "review_id": db["review_id"], "review_date": date(2027, 1, 12), "held_on": AS_OF, "on": AS_OF,
        "done_on": AS_OF, "action_id": "A1", "people": [], "start": AS_OF, "end": date(2027, 7, 31),
        "document": "invitation", "file_name": "ours.docx", "data": b"", "formats": ("docx",),
    }
    args = {}
    for name, param in inspect.signature(fn).parameters.items():
        if name == "viewer" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if name in CONNECTION:
            args[name] = con
        elif name == "settings" and param.default is inspect.Parameter.empty:
            args[name] = list(db["settings"])  # asked for every setting: only the viewer's may come back
        elif name in values:
            args[name] = values[name]
        elif param.default is inspect.Parameter.empty:
            pytest.fail(f"{fn.__module__}.{fn.__name__}: give this test a value for its parameter `{name}`")
    if "text" in args and fn.__module__.endswith("commentary"):
        args["text"] = "A good term."
    return args


def _strings(value, depth: int = 0):
    """Every string in a result: cells, column names, fields, workbook cells."""
    if depth > 6 or value is None:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, pd.DataFrame):
        yield from map(str, value.columns)
        for col in value.columns:
            for v in value[col]:
                yield from _strings(v, depth + 1)
    elif isinstance(value, pd.Series):
        for v in value:
            yield from _strings(v, depth + 1)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k, depth + 1)
            yield from _strings(v, depth + 1)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in value:
            yield from _strings(v, depth + 1)
    elif isinstance(value, bytes | bytearray):
        try:
            sheets = pd.read_excel(io.BytesIO(value), sheet_name=None, header=None, dtype=str, engine="calamine")
        except Exception:
            yield bytes(value).decode("latin-1")
        else:
            for frame in sheets.values():
                yield from _strings(frame, depth + 1)
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            yield from _strings(getattr(value, f.name), depth + 1)
    elif hasattr(value, "to_dict") and not isinstance(value, type):
        yield from _strings(value.to_dict(), depth + 1)
    elif isinstance(value, Path):
        yield str(value)


def _call(fn, viewer, db, tmp_path):
    """Run `fn` for `viewer` on a fresh copy of the four-setting database: (refused, result, the copy's pupils after)."""
    path = tmp_path / "copy.duckdb"
    shutil.copy(db["path"], path)
    con = store.connect(path)
    try:
        try:
            result = fn(**_arguments(fn, db, con, tmp_path), viewer=viewer)
        except AccessDenied:
            return True, None, None
        after = con.execute("SELECT * FROM pupils ORDER BY setting, pupil_id").df()
    finally:
        con.close()
    return False, result, after


def _pupils_before(db) -> pd.DataFrame:
    con = store.connect(db["path"], read_only=True)
    try:
        return con.execute("SELECT * FROM pupils ORDER BY setting, pupil_id").df()
    finally:
        con.close()


@pytest.mark.parametrize("name", sorted(READERS))
def test_a_governor_gets_no_pupil_and_changes_nothing(name, four_settings, tmp_path):
    refused, result, after = _call(READERS[name], Viewer(role=GOVERNOR, email="chair@example.org"), four_settings, tmp_path)
    if refused:
        return
    shown = [s for s in _strings(result) if s in four_settings["every_pupil"]]
    assert shown == [], f"{name} gave a governor pupils: {shown[:5]}"
    pd.testing.assert_frame_equal(after, _pupils_before(four_settings))


@pytest.mark.parametrize("name", sorted(READERS))
def test_a_senco_of_one_setting_gets_nothing_of_another(name, four_settings, tmp_path):
    senco = Viewer(role=SENCO, email="senco@example.org", settings=frozenset({four_settings["mine"]}))
    refused, result, after = _call(READERS[name], senco, four_settings, tmp_path)
    if refused:
        return
    markers = four_settings["markers"]
    shown = sorted({s for s in _strings(result) for m in markers if m in s})[:5]
    assert shown == [], f"{name} gave a SENCo of {four_settings['mine']} another setting's records: {shown}"
    before = _pupils_before(four_settings)
    theirs = before["setting"] != four_settings["mine"]
    pd.testing.assert_frame_equal(after[after["setting"] != four_settings["mine"]].reset_index(drop=True),
                                  before[theirs].reset_index(drop=True))


def test_the_checks_can_fail(four_settings, tmp_path):
    """The two checks above catch a function that ignores its viewer."""
    from senlib.rules import pupil_status

    def leaky(cur, as_of, *, viewer):
        return pupil_status(cur, as_of, viewer=TRUSTED)

    refused, result, _ = _call(leaky, Viewer(role=GOVERNOR, email="chair@example.org"), four_settings, tmp_path)
    assert not refused and any(s in four_settings["every_pupil"] for s in _strings(result))
    senco = Viewer(role=SENCO, email="senco@example.org", settings=frozenset({four_settings["mine"]}))
    refused, result, _ = _call(leaky, senco, four_settings, tmp_path)
    assert not refused and any(m in s for s in _strings(result) for m in four_settings["markers"])
    assert access.staff_scope(senco) == [four_settings["mine"]]
