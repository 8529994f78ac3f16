"""Command line: `python -m senlib SUBCOMMAND ... [--db PATH]`.

The same work the dashboard does, so it can run on a schedule. Every subcommand
accepts --db; our own errors become a plain message and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import date

from . import store
from .errors import InputError, SenlibError

EXIT_OK, EXIT_ERROR, EXIT_REFUSED = 0, 1, 2

# Subcommands register here: name -> (help, add_arguments, run). Later modules add theirs.
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {}


def command(name: str, help_text: str, add_arguments: Callable[[argparse.ArgumentParser], None]):
    """Decorator registering a subcommand."""
    def wrap(run: Callable[[argparse.Namespace], int]):
        COMMANDS[name] = (help_text, add_arguments, run)
        return run
    return wrap


def parse_date(text: str) -> date:
    """An ISO date from the command line (YYYY-MM-DD)."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date; write it as YYYY-MM-DD, e.g. 2026-09-01") from None


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


@command("demo", "create a fictional demo caseload", _demo_args)
def run_demo(args: argparse.Namespace) -> int:
    from . import demo

    con = store.connect(args.db)
    if not store.is_empty(con):
        if not args.replace:
            raise InputError(
                f"The database {store.db_path(args.db)} already holds pupils.",
                fix="Add --replace to overwrite them with the demo caseload, or choose another file with --db.",
            )
        store.clear_caseload(con)
    t0 = time.perf_counter()
    s = demo.generate(con, settings=args.settings, pupils=args.pupils, seed=args.seed, as_of=args.as_of)
    con.execute("CHECKPOINT")
    elapsed = time.perf_counter() - t0
    print(f"Demo caseload written to {store.db_path(args.db)} in {elapsed:.1f} s:")
    print(f"  {s.settings} settings, {s.pupils:,} pupils on roll ({s.sen_support:,} SEN Support, {s.ehcp:,} EHC plans)")
    print(f"  {s.plans:,} plans, {s.reviews:,} reviews, {s.outcomes:,} outcomes, {s.scores:,} scores, {s.ehc_requests:,} EHC requests")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    _load_commands()
    parser = argparse.ArgumentParser(prog="python -m senlib", description="SEN caseload: import trackers, evaluate review rules, report.")
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND", required=True)
    for name, (help_text, add_arguments, run) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_arguments(p)
        p.add_argument("--db", metavar="PATH", default=None,
                       help=f"database file (default ${store.DB_ENV} or {store.DEFAULT_DB.relative_to(store.DEFAULT_DB.parent.parent)})")
        p.set_defaults(run=run)
    return parser


def _load_commands() -> None:
    """Import the modules that register further subcommands (import, status, report...)."""
    import importlib

    for module in ("senlib.importer.cli", "senlib.rules.cli", "senlib.reports.cli", "senlib.backup_cli"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name and not module.startswith(exc.name):
                raise


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except SenlibError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
        return EXIT_ERROR
