"""Command line for backup and restore: `python -m senlib backup OUT` and `python -m senlib restore FILE`.

The command line runs as the local SENCo (whoever can read the database file can already read
everything in it), named in the audit log by login or --user; both commands are audited like the
dashboard's. While the dashboard runs they go through it (senlib.cli.serve); the restore's question is
asked here at the terminal first, never inside the dashboard.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from senlib import store
from senlib.cli import EXIT_OK, command
from senlib.cli.context import Context
from senlib.core.errors import InputError
from senlib.store import backup

MAX_BACKUP_BYTES = 8 * 1024**3  # a backup the dashboard accepts from the command line (received to disk, not memory)


def _backup_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("out", metavar="OUT", help="file to write, e.g. sen-caseload-backup.duckdb (or a folder: a dated name is used)")
    p.add_argument("--user", default=None, help="name recorded in the audit log (default: your login name)")


def _restore_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="a backup made by `python -m senlib backup` or the dashboard's Backup page")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--user", default=None, help="name recorded in the audit log (default: your login name)")


@command("backup", "write the whole database to one file (a consistent copy)", _backup_args, db="write", outputs=("out",))
def run_backup(args: argparse.Namespace, ctx: Context) -> int:
    written = backup.backup_to(ctx.db(), ctx.output(args.out, backup.backup_name()), ctx.viewer())
    print(f"Backup written to {ctx.shown(written)} ({written.stat().st_size:,} bytes).", file=ctx.stdout)
    return EXIT_OK


def confirm_restore(args: argparse.Namespace, ctx: Context) -> None:
    """At the terminal, before the database is touched: what the backup holds, and (without --yes) are you sure."""
    info = backup.check_backup(ctx.input(args.file))
    print(f"{Path(args.file).name}: {info.describe()}", file=ctx.stdout)
    if not args.yes and not ctx.ask(f"Replace everything in {store.db_path(args.db)} with this backup? The audit log is kept."):
        raise InputError("Restore cancelled; nothing was changed.")


@command("restore", "replace the database's contents with a backup file (checked first; all or nothing)", _restore_args,
         db="write", inputs=("file",), confirm=confirm_restore, max_input_bytes=MAX_BACKUP_BYTES)
def run_restore(args: argparse.Namespace, ctx: Context) -> int:
    summary = backup.restore(ctx.db(), ctx.input(args.file), ctx.viewer())
    print(f"Restored {summary.tables.get('pupils', 0):,} pupils into {store.db_path(args.db)}; "
          f"{summary.audit_rows_merged:,} audit entries from the backup merged into the log.", file=ctx.stdout)
    return EXIT_OK
