"""Nightly backups the dashboard keeps by itself: the schedule, its runs, and the thread that runs them.

Why: in a school nobody reads the output of a scheduled command, so a failed nightly job reaches
nobody. The dashboard process already holds the database, so it writes the backup itself
(`senlib.store.backup.backup_to`, a consistent copy through the live connection) into the SENCo's folder,
keeps the newest `keep` of its own files there, and records every run, success or failure, where the
Backup page and the Overview show it.

- The schedule is one row of `backup_schedule`; each run is a row of `backup_runs`.
- `due()` is pure: a run is due when the schedule is on and no backup was made since the last
  scheduled time, so a dashboard started at 09:00 after a missed night runs once, not once per
  missed night. After a failure it waits `RETRY_AFTER`, so an unplugged drive costs one failed
  run an hour, not one a minute.
- Pruning deletes only files named like our backups (`backup.backup_name()`), never anything else.
- `start(con)` starts one daemon thread per process. It wakes every minute, works on its own
  cursor and never raises: whatever goes wrong in a run is recorded as a failed run.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from senlib import store
from senlib.access import SENCO, Viewer, require_whole_database
from senlib.core.errors import InputError, SenlibError
from senlib.store import backup

_LOG = logging.getLogger(__name__)

DEFAULT_KEEP = 14
DEFAULT_HOUR = 2
MAX_KEEP = 366
CHECK_EVERY = 60.0                   # seconds between the thread's looks at the schedule
FIRST_CHECK = 15.0                   # seconds after start: let the app come up first
RETRY_AFTER = timedelta(hours=1)     # after a failed run
STALE_AFTER = timedelta(hours=48)    # the Overview warns when no backup is newer than this
SCHEDULE, MANUAL = "schedule", "manual"
SCHEDULER = Viewer(SENCO, email="scheduled backup")  # who the audit log names for a scheduled run
FOLDER_FIX = "Choose a folder on this computer the dashboard can write to, for example on the school's encrypted drive."


@dataclass(frozen=True)
class Schedule:
    """The SENCo's choice: on or off, where, how many to keep, and the hour (local time) to run."""

    enabled: bool = False
    folder: str | None = None
    keep: int = DEFAULT_KEEP
    hour: int = DEFAULT_HOUR
    changed_by: str | None = None
    changed_at: datetime | None = None

    def last_time(self, now: datetime) -> datetime:
        """The most recent scheduled time at or before `now`."""
        today = now.replace(hour=self.hour, minute=0, second=0, microsecond=0)
        return today if now >= today else today - timedelta(days=1)

    def next_time(self, now: datetime) -> datetime:
        """The first scheduled time after `now`."""
        return self.last_time(now) + timedelta(days=1)


@dataclass(frozen=True)
class Run:
    """One backup run. `file` is set when a backup was written; `error` when something went wrong."""

    run_id: int | None
    started: datetime
    finished: datetime | None
    trigger: str
    user_name: str | None
    file: str | None
    bytes: int | None
    error: str | None

    @property
    def written(self) -> bool:
        return self.file is not None


@dataclass(frozen=True)
class KeptBackup:
    """One of our backup files in the folder."""

    name: str
    bytes: int
    modified: datetime


@dataclass(frozen=True)
class Status:
    """Everything the Backup page shows about nightly backups."""

    schedule: Schedule
    last: Run | None          # the latest run
    last_written: Run | None  # the latest run that wrote a backup
    kept: list[KeptBackup]
    folder_found: bool        # the saved folder is there (an unplugged drive is not)
    next_time: datetime | None


# --- the pure rule ---------------------------------------------------------------------------------

def due(now: datetime, schedule: Schedule, last_written: datetime | None, last_attempt: datetime | None = None) -> bool:
    """True when a scheduled run should start now.

    `last_written`: when the latest run that wrote a backup started; `last_attempt`: when the latest run
    of any outcome started. Due when on, with a folder, and no backup since the last scheduled time,
    unless a failed attempt was made less than RETRY_AFTER ago."""
    if not schedule.enabled or not schedule.folder:
        return False
    if last_written is not None and last_written >= schedule.last_time(now):
        return False
    failed_since = last_attempt is not None and (last_written is None or last_attempt > last_written)
    return not (failed_since and now - last_attempt < RETRY_AFTER)


# --- reading ---------------------------------------------------------------------------------------

def schedule(cur: duckdb.DuckDBPyConnection) -> Schedule:
    """The saved schedule, or the default (off) when none was saved."""
    rows = cur.execute("SELECT enabled, folder, keep, hour, changed_by, changed_at FROM backup_schedule WHERE id = 1").fetchall()
    return Schedule(*rows[0]) if rows else Schedule()


_RUN_COLUMNS = "run_id, started, finished, trigger, user_name, file, bytes, error"


def runs(cur: duckdb.DuckDBPyConnection, limit: int = 20) -> list[Run]:
    """The latest runs, newest first."""
    rows = cur.execute(f"SELECT {_RUN_COLUMNS} FROM backup_runs ORDER BY run_id DESC LIMIT ?", [int(limit)]).fetchall()
    return [Run(*r) for r in rows]


def _latest(cur: duckdb.DuckDBPyConnection) -> tuple[Run | None, Run | None]:
    """The latest run, and the latest run that wrote a backup."""
    last = cur.execute(f"SELECT {_RUN_COLUMNS} FROM backup_runs ORDER BY run_id DESC LIMIT 1").fetchall()
    written = cur.execute(f"SELECT {_RUN_COLUMNS} FROM backup_runs WHERE file IS NOT NULL ORDER BY run_id DESC LIMIT 1").fetchall()
    return (Run(*last[0]) if last else None), (Run(*written[0]) if written else None)


def ours(folder: str | Path) -> list[Path]:
    """Our backup files in `folder` (by name; plain files only), newest first. Empty when it cannot be read."""
    try:
        found = [p for p in Path(folder).iterdir() if backup.BACKUP_FILE.fullmatch(p.name) and p.is_file() and not p.is_symlink()]
    except OSError:
        return []
    return sorted(found, key=lambda p: p.name, reverse=True)


def kept_backups(folder: str | Path | None) -> list[KeptBackup]:
    """Our backups in `folder`, newest first, with size and time (for the page's list)."""
    out = []
    for p in ours(folder) if folder else []:
        with contextlib.suppress(OSError):
            st = p.stat()
            out.append(KeptBackup(p.name, st.st_size, datetime.fromtimestamp(st.st_mtime)))
    return out


def status(cur: duckdb.DuckDBPyConnection, viewer: Viewer, now: datetime | None = None) -> Status:
    """Schedule, latest runs and kept files, for the Backup page (a SENCo with every setting)."""
    require_whole_database(viewer)
    plan = schedule(cur)
    last, written = _latest(cur)
    now = now or datetime.now()
    found = bool(plan.folder) and Path(plan.folder).is_dir()
    return Status(plan, last, written, kept_backups(plan.folder), found, plan.next_time(now) if plan.enabled else None)


def last_run_lines(status: Status) -> list[tuple[str, str]]:
    """What the Backup page says about the latest runs, as (kind, sentence) with kind one of info, error,
    warning, success, caption: the latest run's outcome, the last one that worked after a failure, and when
    the next runs."""
    last, lines = status.last, []
    if last is None:
        lines.append(("info", "No backup has been made here yet."))
    elif last.error:
        lines.append(("error", f"The last backup, started on {last.started:%d/%m/%Y at %H:%M}, did not work. {last.error}"))
    elif last.finished is None:
        lines.append(("warning", f"A backup started at {last.started:%d/%m/%Y %H:%M} " + (
            "is being written now." if running() else "did not finish (the dashboard stopped during it). Choose 'Run a backup now'.")))
    else:
        lines.append(("success", f"The last backup was made on {last.started:%d/%m/%Y at %H:%M}: {Path(last.file).name} "
                                 f"({human_size(last.bytes)}) in {Path(last.file).parent}."))
    if last is not None and last.error and status.last_written:
        lines.append(("caption", f"The last backup that worked was made on {status.last_written.started:%d/%m/%Y at %H:%M}: "
                                 f"{Path(status.last_written.file).name}."))
    lines.append(("caption", f"Nightly backups are on; the next one is at {status.next_time:%H:%M on %d/%m/%Y}."
                  if status.schedule.enabled else "Nightly backups are off."))
    return lines


def warning(cur: duckdb.DuckDBPyConnection, viewer: Viewer | None, now: datetime | None = None) -> str | None:
    """What the Overview should warn the SENCo about nightly backups, or None (also for everyone else).

    Warns when the schedule is on and the latest run failed, or no backup is newer than STALE_AFTER
    (counted from when the schedule was saved, if no backup was made since)."""
    if viewer is None or viewer.role != SENCO or viewer.settings is not None:
        return None
    plan = schedule(cur)
    if not plan.enabled:
        return None
    now = now or datetime.now()
    last, written = _latest(cur)
    if last is not None and last.error:
        return f"The last nightly backup ({last.started:%d/%m/%Y %H:%M}) failed: {last.error}"
    since = max([t for t in (written.started if written else None, plan.changed_at) if t is not None], default=None)
    if since is None or now - since > STALE_AFTER:
        when = f"since {written.started:%d/%m/%Y %H:%M}" if written else "yet"
        return (f"No nightly backup has been made {when}. Backups run only while the dashboard is running: "
                "open Backup and restore and choose 'Run a backup now', and keep the dashboard running overnight.")
    return None


def human_size(n: int | None) -> str:
    """Bytes as a person reads them: 532 bytes, 1.4 MB."""
    if n is None:
        return ""
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{int(size):,} bytes" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{n:,} bytes"


# --- changing the schedule -------------------------------------------------------------------------

def _whole_number(value: object, low: int, high: int, what: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise InputError(f"{what} must be a whole number from {low} to {high}; '{value}' is not.", place=what, fix=f"Enter a number from {low} to {high}.")
    return number


def folder_path(folder: str | Path) -> Path:
    """The folder as typed, as an absolute path ('~' expanded); a relative path would depend on where the app was started."""
    text = str(folder or "").strip()
    if not text:
        raise InputError("No folder is given for nightly backups.", place="Folder", fix=FOLDER_FIX)
    path = Path(text).expanduser()
    if not path.is_absolute():
        raise InputError("The folder must be written in full, from the drive or the top folder down.", place=text,
                         fix="Write the whole path, for example D:\\SEN backups or /home/senco/sen-backups.")
    return path


def check_folder(folder: str | Path) -> Path:
    """The folder as an absolute path, created if missing, proven writable by writing and removing a small file."""
    path = folder_path(folder)
    if path.exists() and not path.is_dir():
        raise InputError("This is a file, not a folder.", place=str(path), fix=FOLDER_FIX)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"The folder does not exist and cannot be created ({exc.strerror or exc}).", place=str(path), fix=FOLDER_FIX) from None
    probe = path / f".sen-caseload-write-test-{uuid.uuid4().hex}"
    try:
        with probe.open("xb") as f:
            f.write(b"test")
    except OSError as exc:
        raise InputError(f"The dashboard cannot write in this folder ({exc.strerror or exc}).", place=str(path),
                         fix="Let the account the dashboard runs as write there, or choose another folder.") from None
    finally:
        with contextlib.suppress(OSError):
            probe.unlink(missing_ok=True)
    return path


def save(con: duckdb.DuckDBPyConnection, viewer: Viewer, *, enabled: bool, folder: str | None, keep: object = DEFAULT_KEEP,
         hour: object = DEFAULT_HOUR, now: datetime | None = None) -> Schedule:
    """Record the schedule (a SENCo with every setting; audited). The folder is checked when the schedule is on."""
    require_whole_database(viewer)
    keep = _whole_number(keep, 1, MAX_KEEP, "How many to keep")
    hour = _whole_number(hour, 0, 23, "Hour")
    text = (folder or "").strip()
    if enabled:
        text = str(check_folder(text))
    elif text:  # off: kept as typed (a drive may be unplugged just now), but it must be a full path
        text = str(folder_path(text))
    cur = con.cursor()
    try:
        before = schedule(cur)
        new = Schedule(bool(enabled), text or None, keep, hour, viewer.name, now or datetime.now())
        if (before.enabled, before.folder, before.keep, before.hour) == (new.enabled, new.folder, new.keep, new.hour):
            return before
        with store.transaction(cur):
            cur.execute("INSERT INTO backup_schedule (id, enabled, folder, keep, hour, changed_by, changed_at) VALUES (1, ?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT (id) DO UPDATE SET enabled = excluded.enabled, folder = excluded.folder, keep = excluded.keep, "
                        "hour = excluded.hour, changed_by = excluded.changed_by, changed_at = excluded.changed_at",
                        [new.enabled, new.folder, new.keep, new.hour, new.changed_by, new.changed_at])
            fields = ("enabled", "folder", "keep", "hour")
            store.audit(cur, "backup_schedule", viewer.name, {"before": {f: getattr(before, f) for f in fields},
                                                              "after": {f: getattr(new, f) for f in fields}})
        return new
    finally:
        cur.close()


# --- running ---------------------------------------------------------------------------------------

_run_lock = threading.Lock()  # one backup at a time in this process (the thread and 'Run a backup now')


def prune(folder: str | Path, keep: int, written: Path | None = None) -> list[Path]:
    """Delete the oldest of our backups in `folder` beyond `keep` (never `written`, never any other file); the deleted."""
    mine = ours(folder)
    others = [p for p in mine if written is None or p.name != written.name]
    room = max(keep - 1 if len(others) < len(mine) else keep, 0)
    gone = []
    for p in others[room:]:
        p.unlink()
        gone.append(p)
    return gone


def _describe(exc: Exception) -> str:
    """A failure as the message the page shows: what went wrong and how to fix it."""
    if isinstance(exc, SenlibError):
        return str(exc)
    if isinstance(exc, OSError):
        return str(SenlibError(f"The backup could not be written ({exc.strerror or exc}).", place=exc.filename and str(exc.filename),
                               fix="Check that the folder is there, has free space, and that the dashboard may write to it."))
    return str(SenlibError(f"The backup failed unexpectedly ({type(exc).__name__}: {exc}).",
                           fix="Try 'Run a backup now' on the Backup page; if it fails again, report this message."))


def _write(con: duckdb.DuckDBPyConnection, plan: Schedule, viewer: Viewer, started: datetime) -> tuple[Path, str | None]:
    """Write the backup and prune; the file, and a note when pruning failed (the backup itself is good)."""
    if not plan.folder:
        raise InputError("No folder is set for nightly backups.", fix="Choose a folder under 'Nightly backups' on the Backup page and save.")
    folder = Path(plan.folder)
    if not folder.is_dir():
        raise InputError("The backup folder is not there.", place=str(folder),
                         fix="Connect the drive it is on, or choose another folder under 'Nightly backups' on the Backup page.")
    written = backup.backup_to(con, folder / backup.backup_name(started), viewer)
    try:
        prune(folder, plan.keep, written)
    except OSError as exc:
        return written, str(SenlibError(f"The backup was written, but older backups could not be deleted ({exc.strerror or exc}).",
                                        place=str(exc.filename or folder), fix="Delete old backups there by hand, or let the dashboard delete files in that folder."))
    return written, None


def _run(con: duckdb.DuckDBPyConnection, trigger: str, viewer: Viewer, now: datetime | None) -> Run:
    started = now or datetime.now()
    clock = time.monotonic()
    run_id = file = size = error = None
    cur = None
    try:
        cur = con.cursor()
        run_id = cur.execute("INSERT INTO backup_runs (started, trigger, user_name) VALUES (?, ?, ?) RETURNING run_id",
                             [started, trigger, viewer.name]).fetchall()[0][0]
        written, error = _write(con, schedule(cur), viewer, started)
        file, size = str(written), written.stat().st_size
    except Exception as exc:  # noqa: BLE001 - a run never raises: the failure is recorded and shown
        error = _describe(exc)
    finished = started + timedelta(seconds=time.monotonic() - clock)
    try:
        if cur is None:
            cur = con.cursor()
        if run_id is None:
            run_id = cur.execute("INSERT INTO backup_runs (started, finished, trigger, user_name, file, bytes, error) "
                                 "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING run_id",
                                 [started, finished, trigger, viewer.name, file, size, error]).fetchall()[0][0]
        else:
            cur.execute("UPDATE backup_runs SET finished = ?, file = ?, bytes = ?, error = ? WHERE run_id = ?",
                        [finished, file, size, error, run_id])
    except Exception:  # noqa: BLE001 - the database itself is failing; the log is all that is left
        _LOG.exception("a backup run could not be recorded (file %s, error %s)", file, error)
    finally:
        if cur is not None:
            with contextlib.suppress(Exception):
                cur.close()
    if error:
        _LOG.warning("backup run failed: %s", error)
    return Run(run_id, started, finished, trigger, viewer.name, file, size, error)


def run_now(con: duckdb.DuckDBPyConnection, viewer: Viewer, now: datetime | None = None) -> Run:
    """'Run a backup now': one run into the schedule's folder, pruned to `keep`, recorded like a scheduled one.
    Raises only AccessDenied; any other failure is in the returned run."""
    require_whole_database(viewer)
    with _run_lock:
        return _run(con, MANUAL, viewer, now)


def running() -> bool:
    """True while a backup run is under way in this process (an unfinished run is then not a stopped one)."""
    return _run_lock.locked()


def tick(con: duckdb.DuckDBPyConnection, now: datetime | None = None) -> Run | None:
    """One look at the schedule: run a backup when due. What the thread does every minute; tests call it directly."""
    if not _run_lock.acquire(blocking=False):
        return None  # a run is under way
    try:
        cur = con.cursor()
        try:
            plan = schedule(cur)
            last, written = _latest(cur)
        finally:
            cur.close()
        now = now or datetime.now()
        if not due(now, plan, written.started if written else None, last.started if last else None):
            return None
        return _run(con, SCHEDULE, SCHEDULER, now)
    finally:
        _run_lock.release()


# --- the thread ------------------------------------------------------------------------------------

_start_lock = threading.Lock()
_target: weakref.ref | None = None   # the connection the thread works on; weak, so a dropped connection is released
_thread: threading.Thread | None = None
_stop: threading.Event | None = None


def _loop(stop: threading.Event, interval: float) -> None:
    wait = min(FIRST_CHECK, interval)
    while not stop.wait(wait):
        wait = interval
        con = _target() if _target is not None else None
        if con is None:
            continue
        try:
            tick(con)
        except Exception:  # noqa: BLE001 - the thread must never die or take the app down
            _LOG.exception("the backup schedule could not be checked")
        del con


def start(con: duckdb.DuckDBPyConnection, *, interval: float = CHECK_EVERY) -> threading.Thread:
    """Start the scheduler thread for `con`, once per process; calling again is a no-op.

    A different connection (the app's cache cleared, as tests do) takes the old one's place in the same thread."""
    global _target, _thread, _stop
    with _start_lock:
        _target = weakref.ref(con)
        if _thread is None or not _thread.is_alive():
            _stop = threading.Event()
            _thread = threading.Thread(target=_loop, args=(_stop, interval), name="sen-backup-schedule", daemon=True)
            _thread.start()
        return _thread


def stop(timeout: float = 5.0) -> None:
    """Stop the scheduler thread (tests; the app never needs to)."""
    global _thread
    with _start_lock:
        if _stop is not None:
            _stop.set()
        if _thread is not None:
            _thread.join(timeout)
        _thread = None
