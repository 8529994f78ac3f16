"""What a command runs with: its database, its input and output files, its output streams, and who it runs for.

A command never opens the database or touches a path itself, so the same code runs in the command line
(`Context`: the file opened here, paths as typed) and inside the running dashboard (`ServedContext`: the
dashboard's own connection, files shipped over the listener and written back by the client).
"""

from __future__ import annotations

import getpass
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import duckdb

from senlib.access import Viewer, local_viewer
from senlib.core.errors import InputError, SenlibError


def login_name() -> str:
    """Who runs the command line, as the audit log names them: 'jsmith (command line)'."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        who = "unknown user"
    return f"{who} (command line)"


def make_folder(path: Path) -> None:
    """The folder an output file goes into, created if missing (as a backup's always was)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"The folder {path.parent} cannot be made: {exc.strerror or exc}.", place=str(path),
                         fix="Choose a folder you may write to.") from None


def raise_is_folder(value: str) -> None:
    raise InputError(f"{value} is a folder.", fix=f"Give a file name in it, e.g. {Path(value) / 'caseload.xlsx'}.")


@dataclass
class Context:
    """The command line's own context: the database file opened in this process, paths as typed."""

    user: str
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    con: duckdb.DuckDBPyConnection | None = None

    def db(self) -> duckdb.DuckDBPyConnection:
        """The database connection; opened before the command runs (it declares whether it reads or writes)."""
        if self.con is None:
            raise SenlibError("This command has no database open.", fix="Declare db='read' or db='write' where the command is registered.")
        return self.con

    def viewer(self) -> Viewer:
        """The command line runs as the local SENCo, named in the audit log by login (or --user)."""
        return local_viewer(self.user)

    def input(self, value: str) -> Path:
        """The file a FILE argument names (it may not exist; the command says so)."""
        return Path(value)

    def output(self, value: str, default_name: str | None = None) -> Path:
        """Where to write an OUT argument (its folder made if need be); a folder gets `default_name` inside it."""
        path = Path(value)
        if path.is_dir():
            if not default_name:
                raise_is_folder(value)
            path = path / default_name
        make_folder(path)
        return path

    def shown(self, path: Path) -> str:
        """A path as the person at the command line knows it, for messages."""
        return str(path)

    def ask(self, question: str) -> bool:
        """Yes or no at the terminal (only the command line asks; the dashboard never does)."""
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None


@dataclass
class ServedContext(Context):
    """A command run inside the dashboard for the command line: inputs arrived as files in `tmp`, outputs go back."""

    tmp: Path = Path()
    inputs: dict[str, Path] = field(default_factory=dict)       # FILE argument as typed -> where its bytes landed
    targets: dict[str, bool] = field(default_factory=dict)      # OUT argument as typed -> is it a folder at the client
    produced: dict[str, Path] = field(default_factory=dict)     # OUT argument as typed -> the file written for it

    def input(self, value: str) -> Path:
        # A file the client did not send (it does not exist there) is a path that does not exist here either.
        return self.inputs.get(value, self.tmp / "missing" / Path(value).name)

    def output(self, value: str, default_name: str | None = None) -> Path:
        if value not in self.targets:
            raise SenlibError(f"The command line did not say where {value} goes.", fix="Update the program: client and dashboard differ.")
        if self.targets[value] and not default_name:
            raise_is_folder(value)
        name = default_name if self.targets[value] else Path(value).name
        folder = self.tmp / f"out-{len(self.produced)}"
        folder.mkdir(parents=True, exist_ok=True)
        self.produced[value] = folder / name
        return self.produced[value]

    def shown(self, path: Path) -> str:
        for value, made in self.produced.items():
            if made == path:
                return str(Path(value) / path.name) if self.targets.get(value) else value
        return path.name

    def ask(self, question: str) -> bool:
        raise SenlibError("The dashboard cannot ask for confirmation.", fix="Confirm at the command line (the client asks before sending).")

    def close(self) -> None:
        if self.con is not None:
            self.con.close()  # a cursor of the dashboard's connection; the connection itself stays open
            self.con = None
