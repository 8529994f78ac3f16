"""The command line's side of the dashboard's listener (senlib.cli.serve): send a command, play back its answer.

The client reads the command's input files and sends their bytes (the dashboard may not see the same
paths), and writes the output files it gets back where the person asked, each atomically; prompts have
already happened at the terminal. Exit codes are the command's own: 0 done, 2 refused with a message.
"""

from __future__ import annotations

import argparse
import os
import uuid
from pathlib import Path

from senlib.cli import EXIT_ERROR, Command, serve
from senlib.cli.context import Context, make_folder
from senlib.core.errors import DashboardLinkError, InputError, SenlibError


def _values(args: argparse.Namespace, names: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for name in names:
        value = getattr(args, name, None)
        out += [str(v) for v in value] if isinstance(value, list) else [str(value)] if value else []
    return out


def _inputs(args: argparse.Namespace, cmd: Command) -> list[tuple[str, Path, int]]:
    """(value as typed, path, size) of each input file that exists here; a missing one the command reports itself."""
    found = []
    for value in dict.fromkeys(_values(args, cmd.inputs)):
        path = Path(value)
        if not path.is_file():
            continue
        size = path.stat().st_size
        if size > cmd.max_input_bytes:
            raise InputError(f"{path.name} is {size / 1e6:,.1f} MB, more than the {cmd.max_input_bytes / 1e6:,.0f} MB "
                             "this command takes.", place=str(path), fix="Split the file, or check it is the right one.")
        found.append((value, path, size))
    return found


def _write(target: Path, sock, size: int) -> SenlibError | None:
    """Receive one output file into `target`, atomically (a half-received file never takes its place).

    A target that cannot be written is reported, and the bytes read and dropped, so the other outputs still arrive."""
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
    try:
        f = tmp.open("wb")
    except OSError as exc:
        with open(os.devnull, "wb") as null:
            serve.recv_file(sock, null, size)
        return SenlibError(f"{target} could not be written: {exc.strerror or exc}.",
                           fix="Check the folder exists and you may write there, then run the command again.")
    try:
        with f:
            serve.recv_file(sock, f, size)
        try:
            os.replace(tmp, target)
        except OSError as exc:
            return SenlibError(f"{target} could not be written: {exc.strerror or exc}.",
                               fix="Choose a file name that is not a folder, then run the command again.")
    finally:
        tmp.unlink(missing_ok=True)
    return None


def run(link: serve.Link, argv: list[str], args: argparse.Namespace, cmd: Command, ctx: Context) -> int:
    """Run the command inside the dashboard that `link` reaches; its output goes to ctx's streams."""
    where = f"the dashboard (PID {link.pid})"
    sock = link.sock
    try:
        inputs = _inputs(args, cmd)
        targets = {value: Path(value).is_dir() for value in _values(args, cmd.outputs)}
        for value, is_folder in targets.items():
            make_folder(Path(value) / "x" if is_folder else Path(value))
        sock.settimeout(serve.IO_TIMEOUT)
        serve.send_json(sock, {"token": link.token, "argv": argv, "db": str(link.db), "user": ctx.user,
                               "inputs": [{"value": v, "size": size} for v, _p, size in inputs], "targets": targets})
        ack = serve.recv_json(sock)
        if not ack.get("ok"):
            raise DashboardLinkError(f"{where} refused the command: {ack.get('refused', 'no reason given')}.",
                                     fix="Check that the command line and the dashboard are the same version of the program.")
        for _value, path, size in inputs:
            serve.send_file(sock, path, size)
        sock.settimeout(None)  # the command runs now; an import of a large tracker takes a while
        reply = serve.recv_json(sock)
        sock.settimeout(serve.IO_TIMEOUT)
        out = serve.recv_bytes(sock, 1 << 34).decode(errors="replace")
        err = serve.recv_bytes(sock, 1 << 34).decode(errors="replace")
        failed = None
        for item in reply.get("outputs", []):
            value, name, size = str(item["value"]), Path(str(item["name"])).name, int(item["size"])
            target = Path(value) / name if targets.get(value) else Path(value)
            failed = _write(target, sock, size) or failed
    except KeyboardInterrupt:
        print(f"Stopped waiting; {where} finishes the command by itself (see `python -m senlib imports`).", file=ctx.stderr)
        return EXIT_ERROR
    except (OSError, ValueError) as exc:
        raise DashboardLinkError(
            f"{where} stopped answering before the command finished ({exc}). An import, undo or restore is all or nothing: "
            "it either happened completely or not at all.",
            fix="Check with `python -m senlib imports` (or `status`), then run the command again if it is not there.") from None
    finally:
        sock.close()
    ctx.stdout.write(out)
    ctx.stderr.write(err)
    if failed is not None:
        raise failed
    return int(reply.get("exit", EXIT_ERROR))
