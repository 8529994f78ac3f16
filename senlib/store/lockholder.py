"""Who holds the database file: read from DuckDB's lock error and /proc, so a refusal names the holder.

DuckDB's error says "Conflicting lock is held in /usr/bin/python3 (PID 1234)"; the PID's command line
tells the dashboard from another senlib command (worth waiting for) from some other program.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DASHBOARD, COMMAND, OTHER = "dashboard", "command", "other"
_PID = re.compile(r"\(PID (\d+)\)")


@dataclass(frozen=True)
class Holder:
    """The process holding the database file: its kind (dashboard, command, other), PID and command line."""

    kind: str
    pid: int | None = None
    command: str | None = None

    def describe(self) -> str:
        """As a sentence fragment: 'the dashboard (streamlit, PID 1234)'."""
        pid = f"PID {self.pid}" if self.pid else None
        command = f"`{self.command}`" if self.command else None
        head, parts = {DASHBOARD: ("the dashboard", ["streamlit", pid]),
                       COMMAND: ("another senlib command", [command, pid])}.get(self.kind, ("another program", [command, pid]))
        inner = ", ".join(p for p in parts if p)
        return f"{head} ({inner})" if inner else head

    @property
    def fix(self) -> str:
        """What to do about it, for the error's 'How to fix'."""
        if self.kind == DASHBOARD:
            return ("The dashboard takes commands itself once it has opened the database: run the command again in a moment. "
                    "If it is still refused, restart the dashboard, or stop it (Ctrl+C in its terminal).")
        if self.kind == COMMAND:
            return "Run the command again when that one has finished, or give it longer with --wait SECONDS."
        return "Close that program (or stop the dashboard) and run the command again."


def classify(argv: list[str]) -> tuple[str, str]:
    """(kind, short command line) for a process's argv as read from /proc/PID/cmdline."""
    names = [Path(a).name for a in argv[:2]]
    pairs = list(zip(argv, argv[1:], strict=False))
    if ("-m", "streamlit") in pairs or "streamlit" in names:
        return DASHBOARD, "streamlit"
    start = next((i + 2 for i, pair in enumerate(pairs) if pair == ("-m", "senlib")), None)
    if start is None:
        start = next((i + 1 for i, a in enumerate(argv[:3]) if a.replace("\\", "/").endswith("senlib/__main__.py")), None)
    if start is None:  # the installed command (pip install .): `/venv/bin/python /venv/bin/senlib SUBCOMMAND`
        start = 1 if names[:1] == ["senlib"] else 2 if names[0].startswith("python") and names[1:] == ["senlib"] else None
    if start is not None:
        sub = next((a for a in argv[start:] if not a.startswith("-")), None)
        return COMMAND, " ".join(x for x in ("python -m senlib", sub) if x)
    text = " ".join(" ".join(a.split()) for a in argv)  # one line, even for `python -c` with a script
    return OTHER, text if len(text) <= 80 else text[:77] + "..."


def _cmdline(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    parts = [p.decode(errors="replace") for p in raw.split(b"\0") if p]
    return parts or None


def from_lock_error(text: str) -> Holder:
    """The holder named by DuckDB's lock error; kind 'other' with no PID when it names none (or /proc is unreadable)."""
    match = _PID.search(text)
    if not match:
        return Holder(OTHER)
    pid = int(match.group(1))
    argv = _cmdline(pid)
    if argv is None:
        return Holder(OTHER, pid)
    kind, command = classify(argv)
    return Holder(kind, pid, command)
