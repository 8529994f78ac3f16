"""Command line for backup and restore: `python -m senlib backup OUT` and `python -m senlib restore FILE`.

The command line runs as the local SENCo (whoever can read the database file can already read
everything in it); both commands are audited like the dashboard's.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from . import backup, store
from .access import local_viewer
from .cli import EXIT_OK, command
from .errors import InputError


def _backup_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("out", metavar="OUT", help="file to write, e.g. sen-caseload-backup.duckdb (or a folder: a dated name is used)")


def _restore_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="a backup made by `python -m senlib backup` or the dashboard's Backup page")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")


@command("backup", "write the whole database to one file (a consistent copy)", _backup_args)
def run_backup(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.is_dir():
        out = out / backup.backup_name()
    con = store.connect(args.db)
    try:
        written = backup.backup_to(con, out, local_viewer())
    finally:
        con.close()
    print(f"Backup written to {written} ({written.stat().st_size:,} bytes).")
    return EXIT_OK


@command("restore", "replace the database's contents with a backup file (checked first; all or nothing)", _restore_args)
def run_restore(args: argparse.Namespace) -> int:
    info = backup.check_backup(args.file)
    target = store.db_path(args.db)
    print(f"{Path(args.file).name}: {info.describe()}")
    if not args.yes:
        answer = input(f"Replace everything in {target} with this backup? The audit log is kept. [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            raise InputError("Restore cancelled; nothing was changed.")
    con = store.connect(args.db)
    try:
        summary = backup.restore(con, args.file, local_viewer())
    finally:
        con.close()
    print(f"Restored {summary.tables.get('pupils', 0):,} pupils into {target}; "
          f"{summary.audit_rows_merged:,} audit entries from the backup merged into the log.")
    return EXIT_OK
