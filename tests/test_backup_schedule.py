"""Nightly backups: when a run is due, what a run writes and deletes, refusals, failures recorded, who may change it."""

from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta

import pytest

from senlib import store
from senlib.access import GOVERNOR, LEADER, SENCO, AccessDenied, Viewer, local_viewer
from senlib.core.errors import InputError
from senlib.store import backup, backup_schedule
from senlib.store.backup_schedule import Schedule, due

SENCO_VIEWER = Viewer(SENCO, "senco@oak.sch.uk")
ON = Schedule(enabled=True, folder="/backups", keep=14, hour=2)
NIGHT = datetime(2026, 11, 23, 2, 0)  # a scheduled time


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute)


# --- due(): both sides of every boundary -------------------------------------------------------------

@pytest.mark.parametrize(("now", "last_written", "expected"), [
    (_at(23, 1, 59), _at(22, 2, 0), False),   # a minute before tonight's time: last night's backup still counts
    (_at(23, 2, 0), _at(22, 2, 0), True),     # at the time: due
    (_at(23, 2, 0), _at(23, 2, 0), False),    # ... and not once it has run
    (_at(23, 2, 0), _at(23, 1, 59), True),    # a backup a minute before the time does not count for tonight
    (_at(23, 9, 0), _at(20, 2, 0), True),     # started at 09:00 after missed nights: due ...
    (_at(23, 9, 1), _at(23, 9, 0), False),    # ... once, not once per missed night
    (_at(24, 1, 59), _at(23, 9, 0), False),   # the morning's catch-up covers the night until the next time
    (_at(24, 2, 0), _at(23, 9, 0), True),
    (_at(23, 2, 0), None, True),              # never made one
])
def test_due_around_the_scheduled_time(now, last_written, expected):
    assert due(now, ON, last_written, last_written) is expected


@pytest.mark.parametrize("schedule", [Schedule(enabled=False, folder="/backups"), Schedule(enabled=True, folder=None)])
def test_never_due_when_off_or_without_a_folder(schedule):
    assert not due(_at(23, 9, 0), schedule, None, None)


@pytest.mark.parametrize(("minutes_after_failure", "expected"), [(59, False), (60, True)])
def test_a_failure_is_retried_after_an_hour_not_every_minute(minutes_after_failure, expected):
    failed = _at(23, 2, 0)
    now = failed + timedelta(minutes=minutes_after_failure)
    assert due(now, ON, _at(22, 2, 0), failed) is expected
    assert due(now, ON, None, failed) is expected


def test_a_failed_attempt_after_tonights_backup_does_not_make_another_one_due():
    assert not due(_at(23, 9, 0), ON, _at(23, 2, 0), _at(23, 8, 0))


@pytest.mark.parametrize(("hour", "now", "last", "next_"), [
    (2, _at(23, 1, 59), _at(22, 2), _at(23, 2)),
    (2, _at(23, 2, 0), _at(23, 2), _at(24, 2)),
    (0, _at(23, 0, 0), _at(23, 0), _at(24, 0)),
    (23, _at(23, 22, 59), _at(22, 23), _at(23, 23)),
])
def test_last_and_next_scheduled_times(hour, now, last, next_):
    plan = Schedule(enabled=True, folder="/b", hour=hour)
    assert plan.last_time(now) == last and plan.next_time(now) == next_


# --- a run writes a good backup and keeps `keep` of ours, nothing else touched ------------------------

FOREIGN = {
    "notes.txt": b"the SENCo's notes",
    "other.duckdb": b"someone else's database",
    "sen-caseload-backup-old.duckdb": b"a hand-named copy",
    "sen-caseload-backup-2020-01-01-0200.duckdb.bak": b"renamed by hand",
    "SEN-CASELOAD-BACKUP-2020-01-01-0200.duckdb": b"not our exact name",
}


def test_a_run_writes_a_valid_backup_and_prunes_only_ours(demo_con, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    for name, data in FOREIGN.items():
        (folder / name).write_bytes(data)
    (folder / "sen-caseload-backup-2019-01-01-0200.duckdb").mkdir()  # a folder with our name is not a file of ours
    backup_schedule.save(demo_con, SENCO_VIEWER, enabled=True, folder=str(folder), keep=3, hour=2)
    pupils = demo_con.execute("SELECT count(*) FROM pupils").fetchall()[0][0]

    made = []
    for day in range(18, 23):
        run = backup_schedule.tick(demo_con, now=_at(day, 2, 0))
        assert run is not None and run.error is None and run.written, run
        made.append(run.file)
        assert backup_schedule.tick(demo_con, now=_at(day, 2, 1)) is None  # once a night

    kept = sorted(p.name for p in backup_schedule.ours(folder))
    assert kept == [backup.backup_name(_at(d, 2, 0)) for d in (20, 21, 22)]
    for name, data in FOREIGN.items():
        assert (folder / name).read_bytes() == data
    assert (folder / "sen-caseload-backup-2019-01-01-0200.duckdb").is_dir()
    assert sorted(p.name for p in folder.iterdir()) == sorted([*FOREIGN, "sen-caseload-backup-2019-01-01-0200.duckdb", *kept])

    info = backup.check_backup(made[-1])
    assert info.pupils == pupils
    rows = demo_con.execute("SELECT trigger, user_name, file, bytes, error FROM backup_runs ORDER BY run_id").fetchall()
    assert [(t, u, e) for t, u, _f, _b, e in rows] == [("schedule", "scheduled backup", None)] * 5
    assert rows[-1][2] == made[-1] and rows[-1][3] == (folder / kept[-1]).stat().st_size
    audited = demo_con.execute("SELECT user_name FROM audit WHERE action = 'backup'").fetchall()
    assert audited == [("scheduled backup",)] * 5


def test_prune_never_deletes_the_backup_just_written(tmp_path):
    future = tmp_path / backup.backup_name(datetime(2030, 1, 1, 2, 0))  # a clock once set wrong
    written = tmp_path / backup.backup_name(_at(23, 2))
    older = tmp_path / backup.backup_name(_at(22, 2))
    for p in (future, written, older):
        p.write_bytes(b"x")
    assert backup_schedule.prune(tmp_path, 1, written) == [future, older]
    assert [p.name for p in backup_schedule.ours(tmp_path)] == [written.name]


def test_run_now_backs_up_and_is_recorded_as_manual(demo_con, tmp_path):
    backup_schedule.save(demo_con, SENCO_VIEWER, enabled=False, folder=str(tmp_path), keep=2)
    run = backup_schedule.run_now(demo_con, SENCO_VIEWER)
    assert run.error is None and backup.check_backup(run.file).pupils > 0
    assert backup_schedule.runs(demo_con)[0].trigger == "manual"
    assert backup_schedule.runs(demo_con)[0].user_name == "senco@oak.sch.uk"
    assert backup_schedule.tick(demo_con) is None  # off: the thread never runs one


# --- refusals when saving -----------------------------------------------------------------------------

def _unsaved(con) -> None:
    assert con.execute("SELECT count(*) FROM backup_schedule").fetchall()[0][0] == 0
    assert con.execute("SELECT count(*) FROM audit WHERE action = 'backup_schedule'").fetchall()[0][0] == 0


def test_a_folder_that_cannot_be_created_is_refused(demo_con, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(InputError, match="cannot be created") as err:
        backup_schedule.save(demo_con, SENCO_VIEWER, enabled=True, folder=str(blocker / "backups"))
    assert err.value.place == str(blocker / "backups") and err.value.fix
    with pytest.raises(InputError, match="a file, not a folder") as err:
        backup_schedule.save(demo_con, SENCO_VIEWER, enabled=True, folder=str(blocker))
    assert err.value.place == str(blocker) and err.value.fix
    _unsaved(demo_con)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc, a folder nobody (not even root) can write in")
def test_a_folder_that_cannot_be_written_is_refused(demo_con):
    with pytest.raises(InputError, match="cannot write in this folder") as err:
        backup_schedule.save(demo_con, SENCO_VIEWER, enabled=True, folder="/proc/self")
    assert err.value.place == "/proc/self" and "write there" in err.value.fix
    _unsaved(demo_con)


def test_a_writable_folder_is_created_and_the_test_file_removed(demo_con, tmp_path):
    folder = tmp_path / "new" / "backups"
    plan = backup_schedule.save(demo_con, SENCO_VIEWER, enabled=True, folder=f"  {folder}  ", keep="7", hour=23)
    assert folder.is_dir() and list(folder.iterdir()) == []
    assert (plan.enabled, plan.folder, plan.keep, plan.hour) == (True, str(folder), 7, 23)
    assert backup_schedule.schedule(demo_con) == plan


@pytest.mark.parametrize(("fields", "match"), [
    ({"folder": "backups"}, "written in full"),
    ({"folder": ""}, "No folder"),
    ({"keep": 0}, "from 1 to 366"),
    ({"keep": "many"}, "from 1 to 366"),
    ({"hour": 24}, "from 0 to 23"),
])
def test_bad_fields_are_refused(demo_con, tmp_path, fields, match):
    with pytest.raises(InputError, match=match) as err:
        backup_schedule.save(demo_con, SENCO_VIEWER, **{"enabled": True, "folder": str(tmp_path), **fields})
    assert err.value.fix
    _unsaved(demo_con)


def test_switching_off_keeps_a_missing_folder(demo_con, tmp_path):
    gone = tmp_path / "usb-drive-unplugged"
    plan = backup_schedule.save(demo_con, SENCO_VIEWER, enabled=False, folder=str(gone))
    assert plan.folder == str(gone) and not gone.exists()


def test_saving_is_audited_and_changes_no_page_data(demo_con, tmp_path):
    before = store.data_changes(demo_con)
    backup_schedule.save(demo_con, SENCO_VIEWER, enabled=True, folder=str(tmp_path), keep=5, hour=3)
    backup_schedule.save(demo_con, SENCO_VIEWER, enabled=True, folder=str(tmp_path), keep=5, hour=3)  # unchanged: no entry
    rows = demo_con.execute("SELECT user_name, detail->'after'->>'keep', detail->'before'->>'enabled' FROM audit "
                            "WHERE action = 'backup_schedule'").fetchall()
    assert rows == [("senco@oak.sch.uk", "5", "false")]
    assert store.data_changes(demo_con) == before


# --- failures are recorded, never raised ----------------------------------------------------------------

def test_a_run_into_a_missing_folder_is_recorded_as_failed(demo_con, tmp_path):
    folder = tmp_path / "usb"
    backup_schedule.save(demo_con, SENCO_VIEWER, enabled=True, folder=str(folder))
    folder.rmdir()  # the drive is unplugged
    run = backup_schedule.tick(demo_con, now=_at(23, 2, 0))
    assert run is not None and not run.written
    assert "The backup folder is not there" in run.error and "How to fix: Connect the drive" in run.error
    assert not folder.exists()  # never recreated on the computer's own disk
    assert backup_schedule.runs(demo_con)[0].error == run.error
    assert backup_schedule.tick(demo_con, now=_at(23, 2, 30)) is None  # not retried every minute
    assert backup_schedule.tick(demo_con, now=_at(23, 3, 0)) is not None  # but an hour later


def test_an_unexpected_failure_is_recorded_with_its_message(demo_con, tmp_path):
    backup_schedule.save(demo_con, SENCO_VIEWER, enabled=True, folder=str(tmp_path))
    (tmp_path / backup.backup_name(NIGHT)).mkdir()  # something in the way of the file
    run = backup_schedule.tick(demo_con, now=NIGHT)
    assert run is not None and not run.written and "How to fix" in run.error
    assert demo_con.execute("SELECT finished IS NOT NULL, error FROM backup_runs").fetchall() == [(True, run.error)]


def test_nothing_escapes_a_run(demo_con, tmp_path, monkeypatch):
    backup_schedule.save(demo_con, SENCO_VIEWER, enabled=True, folder=str(tmp_path))

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(backup, "backup_to", broken)
    run = backup_schedule.tick(demo_con, now=NIGHT)
    assert "RuntimeError: disk on fire" in run.error and "How to fix" in run.error


def test_a_failure_deleting_old_backups_keeps_the_new_one(demo_con, tmp_path, monkeypatch):
    backup_schedule.save(demo_con, SENCO_VIEWER, enabled=True, folder=str(tmp_path), keep=1)
    (tmp_path / backup.backup_name(_at(1, 2))).write_bytes(b"old")

    def refuse(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(backup_schedule, "prune", lambda folder, keep, written: refuse(folder / "x"))
    run = backup_schedule.tick(demo_con, now=NIGHT)
    assert run.written and "older backups could not be deleted" in run.error
    assert backup_schedule.tick(demo_con, now=NIGHT + timedelta(hours=2)) is None  # the backup counts: not made again


# --- the Overview's warning ------------------------------------------------------------------------

def test_warning_when_on_and_failed_or_stale(demo_con, tmp_path):
    assert backup_schedule.warning(demo_con, SENCO_VIEWER) is None  # off
    saved = datetime(2026, 11, 20, 10, 0)
    backup_schedule.save(demo_con, SENCO_VIEWER, enabled=True, folder=str(tmp_path), now=saved)
    assert backup_schedule.warning(demo_con, SENCO_VIEWER, now=saved + timedelta(hours=48)) is None  # just switched on
    assert "No nightly backup has been made yet" in backup_schedule.warning(demo_con, SENCO_VIEWER, now=saved + timedelta(hours=49))

    ok = backup_schedule.tick(demo_con, now=_at(21, 2))
    assert ok.error is None
    assert backup_schedule.warning(demo_con, SENCO_VIEWER, now=_at(23, 1, 59)) is None
    assert "since 21/11/2026 02:00" in backup_schedule.warning(demo_con, SENCO_VIEWER, now=_at(23, 2, 1))

    tmp_path.rename(tmp_path.with_name("moved"))
    backup_schedule.tick(demo_con, now=_at(22, 2))
    note = backup_schedule.warning(demo_con, SENCO_VIEWER, now=_at(22, 2, 5))
    assert note.startswith("The last nightly backup (22/11/2026 02:00) failed") and "How to fix" in note
    for other in (Viewer(LEADER, "head@oak.sch.uk"), Viewer(GOVERNOR, "chair@gmail.com"), Viewer(SENCO, "s@ash.sch.uk", frozenset({"Ash"}))):
        assert backup_schedule.warning(demo_con, other, now=_at(22, 2, 5)) is None
    backup_schedule.save(demo_con, SENCO_VIEWER, enabled=False, folder=str(tmp_path))
    assert backup_schedule.warning(demo_con, SENCO_VIEWER, now=_at(22, 2, 5)) is None


# --- who may -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("viewer", [
    Viewer(LEADER, "head@oak.sch.uk"), Viewer(GOVERNOR, "chair@gmail.com"),
    Viewer(SENCO, "senco@ash.sch.uk", frozenset({"Ash"})),  # a SENCo limited to one setting of a trust
])
def test_only_a_senco_with_every_setting_may_change_or_run_it(demo_con, tmp_path, viewer):
    with pytest.raises(AccessDenied):
        backup_schedule.save(demo_con, viewer, enabled=True, folder=str(tmp_path / "b"))
    assert not (tmp_path / "b").exists()
    _unsaved(demo_con)
    backup_schedule.save(demo_con, SENCO_VIEWER, enabled=True, folder=str(tmp_path))
    with pytest.raises(AccessDenied):
        backup_schedule.save(demo_con, viewer, enabled=False, folder=None)
    with pytest.raises(AccessDenied):
        backup_schedule.run_now(demo_con, viewer)
    with pytest.raises(AccessDenied):
        backup_schedule.status(demo_con, viewer)
    assert backup_schedule.schedule(demo_con).enabled and backup_schedule.runs(demo_con) == []


# --- a restore keeps this computer's schedule and run history ------------------------------------------

def test_restore_keeps_the_schedule_and_runs(demo_con, tmp_path):
    old = backup.backup_to(demo_con, tmp_path / "before-schedule.duckdb", SENCO_VIEWER)
    backup_schedule.save(demo_con, SENCO_VIEWER, enabled=True, folder=str(tmp_path / "nightly"), keep=4)
    backup_schedule.tick(demo_con, now=NIGHT)
    backup.restore(demo_con, old, local_viewer())
    assert backup_schedule.schedule(demo_con).keep == 4
    assert len(backup_schedule.runs(demo_con)) == 1


# --- the thread ----------------------------------------------------------------------------------------

def test_the_thread_starts_once_runs_when_due_and_survives_errors(demo_con, tmp_path, monkeypatch):
    backup_schedule.stop()
    backup_schedule.save(demo_con, SENCO_VIEWER, enabled=True, folder=str(tmp_path))
    try:
        thread = backup_schedule.start(demo_con, interval=0.05)
        assert backup_schedule.start(demo_con, interval=0.05) is thread  # a second call is a no-op
        deadline = time.monotonic() + 30
        while not backup_schedule.runs(demo_con) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        runs = backup_schedule.runs(demo_con)
        assert len(runs) == 1 and runs[0].written and runs[0].trigger == "schedule"  # once, not every 50 ms

        calls = []

        def boom(con, now=None):
            calls.append(1)
            raise RuntimeError("the database went away")

        monkeypatch.setattr(backup_schedule, "tick", boom)
        deadline = time.monotonic() + 10
        while len(calls) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(calls) >= 3 and thread.is_alive()
    finally:
        backup_schedule.stop()
    assert not thread.is_alive()


def test_human_size():
    assert [backup_schedule.human_size(n) for n in (0, 532, 2048, 5 * 1024 * 1024 + 1)] == ["0 bytes", "532 bytes", "2.0 KB", "5.0 MB"]
