"""The dashboard's listener: while the dashboard runs, the command line's commands run through its connection.

Why: DuckDB lets one process hold a database file for writing and then no other process may open it,
so while the dashboard ran every command was refused and a school's nightly backup silently got none.
The dashboard (ui/state.connection) starts this listener once, with its one connection: a daemon thread
serving 127.0.0.1 on an ephemeral port, and a handle file `<db>.serve.json` (port, token, pid; mode 0600)
next to the database, removed at a clean exit. The command line (senlib.cli.remote) finds the handle, proves
it knows the token, ships the command's input files and gets back its output, exit code and output files.
Writing commands run one at a time; each command has its own cursor.

Wire format: every message is an 8-byte length and then that many bytes; headers are JSON.
    client  hello {nonce}
    server  {proof: HMAC(token, nonce)}              the client sends nothing more to a program that lacks the token
    client  request {token, argv, db, user, inputs: [{value, size}], targets: {value: is_folder}}
    server  {ok} or {refused} (checked before any file is sent: token, database, sizes)
    client  each input's bytes
    server  reply {exit, outputs: [{value, name, size}]}, then stdout, stderr and each output's bytes
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import hashlib
import hmac
import io
import json
import logging
import os
import secrets
import socket
import socketserver
import struct
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import duckdb

from senlib.core.errors import InputError

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
MAX_HEADER_BYTES = 1024 * 1024      # argv, file names and sizes; never pupil data
MAX_INPUTS = 50                     # files in one request
MAX_CLIENTS = 8                     # connections served at once; more are closed unanswered
IO_TIMEOUT = 60.0                   # seconds one read or write on the socket may take before the peer is given up
CHUNK = 1024 * 1024
_LENGTH = struct.Struct(">Q")


def handle_path(db: str | os.PathLike) -> Path:
    """Where the listener's handle lives: next to the database file."""
    db = Path(db).resolve()
    return db.with_name(db.name + ".serve.json")


def proof(token: str, nonce: str) -> str:
    """What the listener answers to a client's nonce: shows it holds the token without sending it."""
    return hmac.new(token.encode(), b"senlib-serve:" + nonce.encode(), hashlib.sha256).hexdigest()


# --- framing -------------------------------------------------------------------------------------------

def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        part = sock.recv(min(CHUNK, n - len(buf)))
        if not part:
            raise ConnectionError("the other side closed the connection")
        buf += part
    return bytes(buf)


def send_json(sock: socket.socket, obj: dict) -> None:
    data = json.dumps(obj).encode()
    sock.sendall(_LENGTH.pack(len(data)) + data)


def recv_json(sock: socket.socket, limit: int = MAX_HEADER_BYTES) -> dict:
    n = _LENGTH.unpack(_recv_exact(sock, _LENGTH.size))[0]
    if n > limit:
        raise ConnectionError(f"a header of {n:,} bytes is more than the {limit:,} allowed")
    obj = json.loads(_recv_exact(sock, n))
    if not isinstance(obj, dict):
        raise ConnectionError("the header is not a JSON object")
    return obj


def send_bytes(sock: socket.socket, data: bytes) -> None:
    sock.sendall(_LENGTH.pack(len(data)) + data)


def send_file(sock: socket.socket, path: Path, size: int) -> None:
    """The file's first `size` bytes (its size when the header was sent), in chunks."""
    sock.sendall(_LENGTH.pack(size))
    left = size
    with path.open("rb") as f:
        while left:
            part = f.read(min(CHUNK, left))
            if not part:
                raise ConnectionError(f"{path.name} became shorter while it was being sent")
            sock.sendall(part)
            left -= len(part)


def recv_bytes(sock: socket.socket, limit: int) -> bytes:
    n = _LENGTH.unpack(_recv_exact(sock, _LENGTH.size))[0]
    if n > limit:
        raise ConnectionError(f"{n:,} bytes is more than the {limit:,} allowed")
    return _recv_exact(sock, n)


def recv_file(sock: socket.socket, f: BinaryIO, expected: int) -> None:
    """Receive one file of exactly `expected` bytes (the size its header promised) into the open file `f`, in chunks."""
    n = _LENGTH.unpack(_recv_exact(sock, _LENGTH.size))[0]
    if n != expected:
        raise ConnectionError(f"{n:,} bytes sent, {expected:,} announced")
    left = n
    while left:
        part = sock.recv(min(CHUNK, left))
        if not part:
            raise ConnectionError("the other side closed the connection")
        f.write(part)
        left -= len(part)


# --- the handle file -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Link:
    """A live, proven connection to the dashboard serving a database file (found by `find`)."""

    sock: socket.socket
    token: str
    pid: int
    db: Path


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_handle(db: Path) -> dict | None:
    """The handle's fields, or None when there is none or it is not one the dashboard could have written."""
    path = handle_path(db)
    try:
        st = path.stat()
        data = json.loads(path.read_text())
        owners = {os.getuid(), db.stat().st_uid if db.exists() else os.getuid()}
    except (OSError, ValueError):
        return None
    if st.st_mode & 0o077 or st.st_uid not in owners:  # readable by others, or planted by someone else: not ours
        return None
    if not (isinstance(data, dict) and isinstance(data.get("port"), int) and isinstance(data.get("token"), str)
            and isinstance(data.get("pid"), int)):
        return None
    return data


def find(db: str | os.PathLike, timeout: float = 3.0) -> Link | None:
    """A proven connection to the dashboard serving `db`, or None: no handle, or a stale one (dead PID, refused
    connection, no valid proof of the token), which is ignored; the dashboard replaces it when it starts."""
    if str(db) == ":memory:":
        return None
    db = Path(db).resolve()
    data = _read_handle(db)
    if data is None or not _pid_alive(data["pid"]):
        return None
    try:
        sock = socket.create_connection((HOST, data["port"]), timeout=timeout)
    except OSError:
        return None
    try:
        nonce = secrets.token_hex(16)
        send_json(sock, {"nonce": nonce})
        answer = recv_json(sock, 4096)
        if not hmac.compare_digest(str(answer.get("proof", "")), proof(data["token"], nonce)):
            raise ConnectionError("wrong proof")
    except (OSError, ValueError):
        sock.close()
        return None
    return Link(sock=sock, token=data["token"], pid=data["pid"], db=db)


def _write_handle(path: Path, fields: dict) -> None:
    """Atomically, mode 0600 from the start (the token is the key to the database)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(fields, f)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# --- the listener --------------------------------------------------------------------------------------

class _QuietParser(argparse.ArgumentParser):
    """Raises our InputError instead of printing and exiting: inside the dashboard there is no terminal,
    and sys.stdout belongs to Streamlit."""

    def error(self, message):
        raise InputError(f"The dashboard could not read the command: {message}.", fix="Update the program: client and dashboard differ.")

    def exit(self, status=0, message=None):
        raise InputError("The dashboard does not print help.", fix="Run `python -m senlib --help` instead.")

    def _print_message(self, message, file=None):
        pass


class Listener:
    """The dashboard's one listener for one database file."""

    def __init__(self, con: duckdb.DuckDBPyConnection, db: Path):
        self.con, self.db = con, db
        self.token = secrets.token_urlsafe(32)
        self.write_lock = threading.Lock()
        self.slots = threading.BoundedSemaphore(MAX_CLIENTS)
        self.server = _Server((HOST, 0), _Handler)
        self.server.listener = self
        self.port = self.server.server_address[1]
        self.handle = handle_path(db)
        self.thread = threading.Thread(target=self._serve, name="senlib-serve", daemon=True)
        self.thread.start()
        _write_handle(self.handle, {"port": self.port, "token": self.token, "pid": os.getpid(), "db": str(db)})

    def _serve(self) -> None:
        from senlib import cli

        with contextlib.suppress(Exception):  # load the commands now, not in the first command's time
            cli._load_commands()
        self.server.serve_forever()

    def stop(self, wait: float = 30.0) -> None:
        """Remove the handle (if still ours), stop accepting, and give a running write up to `wait` s to finish."""
        with contextlib.suppress(OSError, ValueError):
            if json.loads(self.handle.read_text()).get("token") == self.token:
                self.handle.unlink()
        self.server.shutdown()
        self.server.server_close()
        if self.write_lock.acquire(timeout=wait):
            self.write_lock.release()

    def run(self, request: dict, tmp: Path) -> tuple[int, str, str, dict[str, Path]]:
        """Run one command on a cursor of the dashboard's connection: exit code, stdout, stderr, files written."""
        from senlib import cli
        from senlib.cli.context import ServedContext, login_name

        out, err = io.StringIO(), io.StringIO()
        ctx = ServedContext(user=str(request.get("user") or login_name()), stdout=out, stderr=err, tmp=tmp,
                            inputs=request["_inputs"], targets={str(k): bool(v) for k, v in request.get("targets", {}).items()})
        try:
            args = cli.build_parser(_QuietParser).parse_args([str(a) for a in request.get("argv", [])])
            cmd = cli.COMMANDS[args.command]
            if not cmd.db:
                raise InputError(f"`{args.command}` does not use the database.", fix="The command line runs it by itself.")
        except InputError as exc:
            return cli.EXIT_REFUSED, "", f"Error: {exc}\n", {}
        lock = self.write_lock if cmd.db == "write" else contextlib.nullcontext()
        t0 = time.perf_counter()
        with lock:
            ctx.con = self.con.cursor()
            try:
                code = cli.execute(args, ctx)
            except Exception as exc:  # never let a bug reach the client as a traceback, or kill the listener
                log.exception("command line: %s failed inside the dashboard", args.command)
                print(f"Error: the dashboard could not run `{args.command}`: {type(exc).__name__}: {exc}. "
                      "How to fix: see the dashboard's log; nothing was half-written (imports and restores are all or nothing).",
                      file=err)
                code = cli.EXIT_ERROR
            finally:
                ctx.close()
        log.info("command line: %s for %s -> exit %s in %.1f s", args.command, ctx.user, code, time.perf_counter() - t0)
        return code, out.getvalue(), err.getvalue(), {v: p for v, p in ctx.produced.items() if p.is_file()}


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = False
    listener: Listener


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        listener: Listener = self.server.listener
        if not listener.slots.acquire(blocking=False):
            return
        try:
            self.request.settimeout(IO_TIMEOUT)
            self._serve(listener, self.request)
        except (OSError, ValueError) as exc:
            log.info("command line: connection dropped (%s)", exc)
        except Exception:  # a malformed request: say so in the log, keep serving
            log.exception("command line: a request could not be read")
        finally:
            listener.slots.release()

    def _serve(self, listener: Listener, sock: socket.socket) -> None:
        hello = recv_json(sock, 4096)
        send_json(sock, {"proof": proof(listener.token, str(hello.get("nonce", "")))})
        request = recv_json(sock)
        if not hmac.compare_digest(str(request.get("token", "")).encode(), listener.token.encode()):
            log.warning("command line: refused a request with a wrong token")
            send_json(sock, {"refused": "wrong token"})
            return
        client_db = Path(str(request.get("db", "")))
        if client_db != listener.db:
            send_json(sock, {"refused": f"this dashboard serves {listener.db}, not {client_db}"})
            return
        inputs = request.get("inputs", [])
        limit = _input_limit(request)
        if not isinstance(inputs, list) or len(inputs) > MAX_INPUTS or any(int(i.get("size", -1)) not in range(limit + 1) for i in inputs):
            send_json(sock, {"refused": f"at most {MAX_INPUTS} input files of up to {limit:,} bytes each"})
            return
        send_json(sock, {"ok": True})
        with tempfile.TemporaryDirectory(prefix="senlib-serve-") as tmp:
            received: dict[str, Path] = {}
            for n, item in enumerate(inputs):
                folder = Path(tmp) / f"in-{n}"
                folder.mkdir()
                path = folder / (Path(str(item["value"])).name or "input")
                with path.open("wb") as f:
                    recv_file(sock, f, int(item["size"]))
                received[str(item["value"])] = path
            request["_inputs"] = received
            sock.settimeout(None)  # the command may take a while; the client just waits
            code, out, err, files = listener.run(request, Path(tmp))
            sock.settimeout(IO_TIMEOUT)
            sizes = {v: p.stat().st_size for v, p in files.items()}
            send_json(sock, {"exit": code, "outputs": [{"value": v, "name": p.name, "size": sizes[v]} for v, p in files.items()]})
            send_bytes(sock, out.encode())
            send_bytes(sock, err.encode())
            for value, path in files.items():
                send_file(sock, path, sizes[value])


def _input_limit(request: dict) -> int:
    """The per-file cap of the command named in argv (import: the importer's 50 MB; restore: a backup's size)."""
    from senlib import cli

    cli._load_commands()
    name = next((str(a) for a in request.get("argv") or [] if not str(a).startswith("-")), "")
    cmd = cli.COMMANDS.get(name)
    return cmd.max_input_bytes if cmd else 0


# --- starting and stopping -----------------------------------------------------------------------------

_LISTENERS: dict[Path, Listener] = {}
_START = threading.Lock()


def start(con: duckdb.DuckDBPyConnection, db: str | os.PathLike | None = None) -> duckdb.DuckDBPyConnection:
    """Serve the command line through `con` (once per database file per process) and return `con`.

    Never raises: without a listener the dashboard still works, and the command line says who holds the file."""
    from senlib import store

    try:
        path = Path(store.db_path(db)).resolve() if str(store.db_path(db)) != ":memory:" else None
        if path is None:
            return con
        with _START:
            running = _LISTENERS.get(path)
            if running is not None and running.thread.is_alive():
                running.con = con
                return con
            listener = Listener(con, path)
            _LISTENERS[path] = listener
        atexit.register(listener.stop)
        log.info("command line: listening on %s:%s for %s", HOST, listener.port, path)
    except Exception:  # e.g. the database's folder is not writable: log it, keep the dashboard going
        log.exception("command line: could not start the listener; commands will be refused while the dashboard runs")
    return con


def stop_all() -> None:
    """Stop every listener of this process (tests; a clean exit does this itself)."""
    with _START:
        listeners = list(_LISTENERS.values())
        _LISTENERS.clear()
    for listener in listeners:
        listener.stop()
