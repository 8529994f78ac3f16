"""Command line: `python -m senlib SUBCOMMAND ... [--db PATH]`.

The same work the dashboard does, so it can run on a schedule. Every subcommand
accepts --db; our own errors become a plain message and exit code 2. While the dashboard
runs on the same file, commands run inside it through its listener (senlib.cli.serve, senlib.cli.remote);
otherwise here, waiting up to --wait seconds for another command that holds the file.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from senlib import store
from senlib.cli.context import Context, login_name
from senlib.core.errors import DatabaseBusyError, InputError, SenlibError
from senlib.store.lockholder import COMMAND, DASHBOARD

EXIT_OK, EXIT_ERROR, EXIT_REFUSED = 0, 1, 2
WAIT_SECONDS = 60.0      # default --wait: how long a command waits for another command holding the database file
DASHBOARD_GRACE = 10.0   # how long to wait for a dashboard that holds the file to start taking commands
MAX_INPUT_BYTES = 50 * 1024 * 1024  # largest input file a command sends to the running dashboard, unless it says otherwise


@dataclass(frozen=True)
class Command:
    """A subcommand: how to parse and run it, and what the running dashboard needs to run it for us.

    db is None (no database), "read" (opened read-only; runs beside others) or "write" (one at a time);
    inputs and outputs name the arguments holding file paths, whose bytes travel to and from the dashboard;
    confirm runs at the terminal before anything else (a prompt), never inside the dashboard.
    """

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Context], int]
    db: str | None = None
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    confirm: Callable[[argparse.Namespace, Context], None] | None = None
    max_input_bytes: int = MAX_INPUT_BYTES


# Subcommands register here by name. Later modules add theirs.
COMMANDS: dict[str, Command] = {}


def command(name: str, help_text: str, add_arguments: Callable[[argparse.ArgumentParser], None], *, db: str | None = None,
            inputs: tuple[str, ...] = (), outputs: tuple[str, ...] = (),
            confirm: Callable[[argparse.Namespace, Context], None] | None = None, max_input_bytes: int = MAX_INPUT_BYTES):
    """Decorator registering a subcommand `run(args, ctx) -> exit code`."""
    def wrap(run: Callable[[argparse.Namespace, Context], int]):
        COMMANDS[name] = Command(help_text, add_arguments, run, db, inputs, outputs, confirm, max_input_bytes)
        return run
    return wrap


def parse_date(text: str) -> date:
    """An ISO date from the command line (YYYY-MM-DD)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date; write it as YYYY-MM-DD, e.g. 2026-09-01") from None


def seconds(text: str) -> float:
    """A number of seconds, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text}")
    return value


def positive_int(text: str) -> int:
    """A whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _demo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--settings", type=positive_int, default=3, help="number of settings (schools) in the trust (default 3)")
    p.add_argument("--pupils", type=positive_int, default=1500, help="pupils on roll across all settings (default 1500)")
    p.add_argument("--seed", type=int, default=2026, help="random seed; the same seed gives the same caseload (default 2026)")
    p.add_argument("--as-of", type=parse_date, default=None, help="date the caseload is generated for (default today)")
    p.add_argument("--replace", action="store_true", help="replace the caseload already in the database")


@command("demo", "create a fictional demo caseload", _demo_args, db="write")
def run_demo(args: argparse.Namespace, ctx: Context) -> int:
    from senlib.store import demo

    con = ctx.db()
    if not store.is_empty(con):
        if not args.replace:
            raise InputError(
                f"The database {store.db_path(args.db)} already holds pupils.",
                fix="Add --replace to overwrite them with the demo caseload, or choose another file with --db.",
            )
        store.clear_caseload(con)
    t0 = time.perf_counter()
    s = demo.generate(con, settings=args.settings, pupils=args.pupils, seed=args.seed, as_of=args.as_of)
    with contextlib.suppress(duckdb.Error):  # durable already; inside the dashboard others may be reading
        con.execute("CHECKPOINT")
    elapsed = time.perf_counter() - t0
    print(f"Demo caseload written to {store.db_path(args.db)} in {elapsed:.1f} s:", file=ctx.stdout)
    print(f"  {s.settings} settings, {s.pupils:,} pupils on roll ({s.sen_support:,} SEN Support, {s.ehcp:,} EHC plans)",
          file=ctx.stdout)
    print(f"  {s.plans:,} plans, {s.reviews:,} reviews, {s.outcomes:,} outcomes, {s.scores:,} scores, {s.ehc_requests:,} EHC requests",
          file=ctx.stdout)
    return EXIT_OK


def build_parser(parser_class: type[argparse.ArgumentParser] = argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    _load_commands()
    # `senlib` when run as the installed command (pip install .), else as `python -m senlib`
    prog = "senlib" if Path(sys.argv[0]).name == "senlib" else "python -m senlib"
    parser = parser_class(prog=prog, description="SEN caseload: import trackers, evaluate review rules, report.")
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)
    for name, cmd in COMMANDS.items():
        p = sub.add_parser(name, help=cmd.help, description=cmd.help)
        cmd.add_arguments(p)
        p.add_argument("--db", metavar="PATH", default=None,
                       help=f"database file (default ${store.DB_ENV} or {_shown_default_db()})")
        if cmd.db:
            p.add_argument("--wait", metavar="SECONDS", type=seconds, default=WAIT_SECONDS,
                           help=f"if another command is using the database, wait this long for it (default {WAIT_SECONDS:g})")
        p.set_defaults(run=cmd.run)
    return parser


def _shown_default_db() -> Path:
    """data/caseload.duckdb in a checkout; the full per-user path once installed (see store.default_db)."""
    return store.DEFAULT_DB.relative_to(store.CHECKOUT) if store.CHECKOUT else store.DEFAULT_DB


# The command line, in one table: every command, in the order `--help` lists them, and the module that defines it
# (with @command). Adding a command means a line here; a command defined elsewhere, or listed and not defined, stops
# the command line at once (_load_commands), and tests/test_cli.py checks the two agree.
COMMAND_TABLE: dict[str, str] = {
    "demo": "senlib.cli",
    "import": "senlib.cli.imports",
    "imports": "senlib.cli.imports",
    "undo": "senlib.cli.imports",
    "leavers": "senlib.cli.imports",
    "template": "senlib.cli.imports",
    "export": "senlib.cli.imports",
    "status": "senlib.cli.status",
    "provision": "senlib.cli.provision",
    "backup": "senlib.cli.backup",
    "restore": "senlib.cli.backup",
}
COMMAND_MODULES = tuple(dict.fromkeys(m for m in COMMAND_TABLE.values() if m != __name__))


def _load_commands() -> None:
    """Import the modules that define the commands of COMMAND_TABLE, and check they define exactly those."""
    import importlib

    for module in COMMAND_MODULES:
        importlib.import_module(module)
    defined = {name: cmd.run.__module__ for name, cmd in COMMANDS.items()}
    if defined != COMMAND_TABLE:
        raise RuntimeError(f"senlib.cli.COMMAND_TABLE and the @command definitions disagree: {defined} != {COMMAND_TABLE}")
    for name in COMMAND_TABLE:  # --help lists them in the table's order
        COMMANDS[name] = COMMANDS.pop(name)


def execute(args: argparse.Namespace, ctx: Context) -> int:
    """Run a parsed command in `ctx`; our own errors become a message on ctx.stderr and exit code 2."""
    try:
        return args.run(args, ctx)
    except SenlibError as exc:
        print(f"Error: {exc}", file=ctx.stderr)
        return EXIT_REFUSED


def open_database(args: argparse.Namespace, read_only: bool, ctx: Context):
    """The running dashboard's listener (a senlib.cli.serve.Link) if it serves this file, else the file opened here.

    A file held by another senlib command is waited for (up to --wait seconds), and one held by a dashboard
    that is not yet taking commands for a few seconds; any other holder is reported at once."""
    from senlib.cli import serve

    path = store.db_path(args.db)
    started, told = time.monotonic(), None
    while True:
        link = serve.find(path)
        if link is not None:
            return link
        try:
            return store.connect(path, read_only=read_only)
        except DatabaseBusyError as exc:
            holder = exc.holder
            kind = holder.kind if holder else None
            limit = args.wait if kind == COMMAND else min(args.wait, DASHBOARD_GRACE) if kind == DASHBOARD else 0
            if time.monotonic() - started >= limit:
                raise
            if holder != told:
                doing = "to start taking commands" if kind == DASHBOARD else "to finish"
                print(f"Waiting for {holder.describe()} {doing} with {path} (up to {limit:g} s)...", file=ctx.stderr)
                told = holder
            time.sleep(0.25)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    cmd = COMMANDS[args.command]
    ctx = Context(user=getattr(args, "user", None) or login_name())
    try:
        if cmd.confirm:
            cmd.confirm(args, ctx)
        if cmd.db:
            opened = open_database(args, cmd.db == "read", ctx)
            if not isinstance(opened, duckdb.DuckDBPyConnection):
                from senlib.cli import remote

                return remote.run(opened, argv, args, cmd, ctx)
            ctx.con = opened
        try:
            return execute(args, ctx)
        finally:
            ctx.close()
    except SenlibError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # the reader stopped early (`senlib status --sql | head`): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit's flush does not complain
        return EXIT_OK
