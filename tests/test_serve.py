"""The dashboard's listener (senlib.cli.serve) and the command line beside it: tokens, stale handles, lock holders.

A listener started in this process on a demo database plays the dashboard; commands run as subprocesses
(which cannot open the file while it is held, so success means they went through the listener) or in-process.
"""

from __future__ import annotations

import builtins
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from senlib import cli, store
from senlib.cli import serve
from senlib.cli.context import ServedContext, login_name
from senlib.core.errors import SenlibError
from senlib.importer import MAX_FILE_BYTES
from senlib.store import backup, lockholder
from tests.import_corpus import csv_bytes

ROOT = Path(__file__).resolve().parent.parent
GOOD = [["UPN", "Name", "DOB", "SEN", "Need"], ["SV1", "Jo Served", "04/03/2015", "K", "ASD"],
        ["SV2", "Al Served", "05/05/2015", "E", "SLCN"]]


def senlib(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "senlib", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout, env={**os.environ})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def write_handle(db: Path, **fields) -> Path:
    path = serve.handle_path(db)
    path.write_text(json.dumps({"port": free_port(), "token": "t" * 43, "pid": os.getpid(), "db": str(db.resolve()), **fields}))
    path.chmod(0o600)
    return path


@pytest.fixture
def served(demo_db):
    """The demo database held by a listener in this process, as the dashboard holds it."""
    con = store.connect(demo_db)
    listener = serve.Listener(con, demo_db.resolve())
    yield listener
    listener.stop()
    con.close()


def count(con, sql: str) -> int:
    return con.cursor().execute(sql).fetchall()[0][0]


def exchange(listener: serve.Listener, request: dict) -> dict:
    """Speak the wire protocol by hand: hello, check the proof, send `request`, return the answer."""
    with socket.create_connection((serve.HOST, listener.port), timeout=10) as sock:
        serve.send_json(sock, {"nonce": "abc"})
        assert serve.recv_json(sock)["proof"] == serve.proof(listener.token, "abc")
        serve.send_json(sock, request)
        return serve.recv_json(sock)


# --- the handle file ---------------------------------------------------------------------------------------

def test_handle_is_private_and_removed_at_stop(demo_db):
    con = store.connect(demo_db)
    listener = serve.Listener(con, demo_db.resolve())
    handle = serve.handle_path(demo_db)
    try:
        assert handle == demo_db.with_name(demo_db.name + ".serve.json")
        assert handle.stat().st_mode & 0o777 == 0o600
        fields = json.loads(handle.read_text())
        assert fields["pid"] == os.getpid() and fields["port"] == listener.port and fields["token"] == listener.token
        assert len(listener.token) >= 40
        assert listener.server.server_address[0] == "127.0.0.1"
    finally:
        listener.stop()
        con.close()
    assert not handle.exists()


def test_a_stale_handle_is_replaced_when_the_dashboard_starts(demo_db):
    stale = write_handle(demo_db, pid=dead_pid(), token="old")
    stale.chmod(0o644)
    con = store.connect(demo_db)
    listener = serve.Listener(con, demo_db.resolve())
    try:
        fields = json.loads(stale.read_text())
        assert fields["token"] == listener.token and fields["pid"] == os.getpid()
        assert stale.stat().st_mode & 0o777 == 0o600
    finally:
        listener.stop()
        con.close()


@pytest.fixture
def elsewhere(demo_db_template, tmp_path):
    """A live listener on another copy of the demo: a handle pointing at it is stale only by its own fields."""
    db = tmp_path / "elsewhere" / "demo.duckdb"
    db.parent.mkdir()
    db.write_bytes(demo_db_template.read_bytes())
    con = store.connect(db)
    listener = serve.Listener(con, db.resolve())
    yield listener
    listener.stop()
    con.close()


@pytest.mark.parametrize("kind", ["dead pid", "refused connection", "readable by others", "not json"])
def test_stale_handle_is_ignored_and_the_command_opens_the_file(demo_db, elsewhere, capsys, kind):
    live = {"port": elsewhere.port, "token": elsewhere.token}  # would answer, and prove the token
    handle = {"dead pid": lambda: write_handle(demo_db, pid=dead_pid(), **live),
              "refused connection": lambda: write_handle(demo_db, port=free_port()),
              "readable by others": lambda: write_handle(demo_db, **live),
              "not json": lambda: write_handle(demo_db, **live)}[kind]()
    if kind == "readable by others":
        handle.chmod(0o644)
    if kind == "not json":
        handle.write_text("{" + handle.read_text())
    assert serve.find(demo_db) is None
    assert cli.main(["status", "--json", "--db", str(demo_db)]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["pupils"] == 1500
    assert handle.exists()  # ignored, not deleted: only the dashboard replaces it


def test_a_live_handle_is_found(demo_db, elsewhere):
    write_handle(demo_db, port=elsewhere.port, token=elsewhere.token)
    link = serve.find(demo_db)
    assert link is not None and link.pid == os.getpid()
    link.sock.close()


# --- the token -----------------------------------------------------------------------------------------------

def test_wrong_token_is_refused_and_nothing_runs(served):
    audit_before = count(served.con, "SELECT count(*) FROM audit")
    answer = exchange(served, {"token": "not-the-token", "argv": ["backup", "/tmp/x.duckdb"], "db": str(served.db),
                               "inputs": [], "targets": {"/tmp/x.duckdb": False}})
    assert answer == {"refused": "wrong token"}
    assert count(served.con, "SELECT count(*) FROM audit") == audit_before
    assert not Path("/tmp/x.duckdb").exists()


def test_right_token_is_accepted(served):
    answer = exchange(served, {"token": served.token, "argv": ["imports"], "db": str(served.db), "inputs": [], "targets": {}})
    assert answer == {"ok": True}


def test_another_database_and_oversized_files_are_refused_before_any_byte_is_sent(served, tmp_path):
    other = exchange(served, {"token": served.token, "argv": ["imports"], "db": str(tmp_path / "other.duckdb"),
                              "inputs": [], "targets": {}})
    assert "not" in other["refused"] and "other.duckdb" in other["refused"]
    big = exchange(served, {"token": served.token, "argv": ["import", "t.xlsx"], "db": str(served.db),
                            "inputs": [{"value": "t.xlsx", "size": MAX_FILE_BYTES + 1}], "targets": {}})
    assert "up to 52,428,800 bytes" in big["refused"]


def test_client_sends_no_token_to_a_program_that_cannot_prove_it_holds_it(demo_db):
    """Something else listening on the handle's port (a stale handle's port reused) gets only the nonce."""
    received: list[bytes] = []
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def impostor():
        conn, _ = server.accept()
        with conn:
            received.append(conn.recv(65536))
            serve.send_json(conn, {"proof": "0" * 64})
            conn.settimeout(2)
            try:
                while chunk := conn.recv(65536):
                    received.append(chunk)
            except OSError:
                pass

    thread = threading.Thread(target=impostor, daemon=True)
    thread.start()
    write_handle(demo_db, port=port, token="secret-token-of-the-real-dashboard")
    try:
        assert serve.find(demo_db) is None
        thread.join(5)
    finally:
        server.close()
    assert b"secret-token" not in b"".join(received)


# --- commands through the listener -------------------------------------------------------------------------

def test_commands_run_through_the_listener_while_it_holds_the_file(served, tmp_path):
    before = count(served.con, "SELECT count(*) FROM pupils")
    tracker = tmp_path / "served.csv"
    tracker.write_bytes(csv_bytes(GOOD))
    db = str(served.db)

    r = senlib("import", str(tracker), "--setting", "Served School", "--db", db)
    assert r.returncode == 0, r.stderr
    assert "Imported served.csv as import" in r.stdout
    assert count(served.con, "SELECT count(*) FROM pupils") == before + 2

    (tmp_path / "nightly").mkdir()
    r = senlib("backup", str(tmp_path / "nightly"), "--db", db)
    assert r.returncode == 0, r.stderr
    made = list((tmp_path / "nightly").glob("sen-caseload-backup-*.duckdb"))
    assert len(made) == 1 and f"Backup written to {made[0]}" in r.stdout
    assert backup.check_backup(made[0]).pupils == before + 2

    r = senlib("status", "--json", "--db", db)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["summary"]["pupils"] == before + 2

    r = senlib("import", str(tracker), "--setting", "Served School", "--db", db, "--user", "Ms Night")
    assert r.returncode == 0 and "Nothing new" in r.stdout
    who = served.con.cursor().execute(
        "SELECT action, user_name FROM audit WHERE action IN ('import', 'backup') ORDER BY logged_at").fetchall()
    assert who == [("import", login_name()), ("backup", login_name()), ("import", "Ms Night")]
    assert login_name().endswith(" (command line)")

    r = senlib("undo", "999", "--db", db)
    assert r.returncode == 2 and "There is no import number 999" in r.stderr and "Traceback" not in r.stderr


def test_export_and_rejected_rows_come_back_as_files(served, tmp_path, capsys):
    assert cli.main(["export", str(tmp_path / "deep" / "all.xlsx"), "--db", str(served.db)]) == 0
    assert (tmp_path / "deep" / "all.xlsx").stat().st_size > 10_000
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(GOOD + [["SV3", "No Date", "31/02/2015", "K", "ASD"]]))
    rejected = tmp_path / "rejected.xlsx"
    assert cli.main(["import", str(bad), "--setting", "Served School", "--accept-valid-rows", "--rejected", str(rejected),
                     "--db", str(served.db)]) == 0
    assert "1 row with errors was not imported" in capsys.readouterr().out
    import openpyxl

    assert openpyxl.load_workbook(rejected).worksheets[0].cell(2, 2).value == "SV3"
    assert not list(tmp_path.glob(".*.part"))
    assert cli.main(["export", str(tmp_path), "--db", str(served.db)]) == 2  # a folder, and no name to give the file
    assert f"{tmp_path} is a folder" in capsys.readouterr().err


def test_export_to_a_folder_is_refused_here_too(demo_db, tmp_path, capsys):
    assert cli.main(["export", str(tmp_path), "--db", str(demo_db)]) == 2
    assert f"{tmp_path} is a folder" in capsys.readouterr().err and "Traceback" not in capsys.readouterr().err


def test_restore_asks_at_the_terminal_and_runs_in_the_dashboard(served, tmp_path, monkeypatch, capsys):
    copy = tmp_path / "b.duckdb"
    assert cli.main(["backup", str(copy), "--db", str(served.db)]) == 0
    store.clear_caseload(served.con.cursor())
    capsys.readouterr()
    monkeypatch.setattr(builtins, "input", lambda prompt: "n")
    assert cli.main(["restore", str(copy), "--db", str(served.db)]) == 2
    assert "Restore cancelled" in capsys.readouterr().err
    assert count(served.con, "SELECT count(*) FROM pupils") == 0
    monkeypatch.setattr(builtins, "input", lambda prompt: "y")
    assert cli.main(["restore", str(copy), "--db", str(served.db), "--user", "Mrs Restore"]) == 0
    out = capsys.readouterr().out
    assert "1,500 pupils in 3 setting(s)" in out and "Restored 1,500 pupils" in out
    assert count(served.con, "SELECT count(*) FROM pupils") == 1500
    assert served.con.cursor().execute("SELECT user_name FROM audit WHERE action = 'restore'").fetchall() == [("Mrs Restore",)]


def test_served_context_writes_only_where_the_client_said():
    ctx = ServedContext(user="u", tmp=Path("/nonexistent"), targets={"out.xlsx": False})
    with pytest.raises(SenlibError):
        ctx.output("elsewhere.xlsx")
    with pytest.raises(SenlibError):
        ctx.ask("Sure?")


# --- who holds the file ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("argv, kind, command", [
    (["/usr/bin/python3", "-m", "streamlit", "run", "app.py"], lockholder.DASHBOARD, "streamlit"),
    ([".venv/bin/python3", "/work/.venv/bin/streamlit", "run", "app.py"], lockholder.DASHBOARD, "streamlit"),
    (["python", "-m", "senlib", "import", "t.xlsx", "--db", "x"], lockholder.COMMAND, "python -m senlib import"),
    (["python3", "/srv/sen/senlib/__main__.py", "backup", "--db", "x"], lockholder.COMMAND, "python -m senlib backup"),
    (["/venv/bin/python3", "/venv/bin/senlib", "backup", "--db", "x"], lockholder.COMMAND, "python -m senlib backup"),
    (["/venv/bin/senlib", "status"], lockholder.COMMAND, "python -m senlib status"),  # installed by pip install .
    (["vim", "senlib"], lockholder.OTHER, "vim senlib"),
    (["python", "-m", "senlib.importer.worker"], lockholder.OTHER, "python -m senlib.importer.worker"),
    (["duckdb", "/data/caseload.duckdb"], lockholder.OTHER, "duckdb /data/caseload.duckdb"),
    (["python", "-m", "pytest", "-k", "streamlit"], lockholder.OTHER, "python -m pytest -k streamlit"),
])
def test_holder_is_classified_from_its_command_line(argv, kind, command):
    assert lockholder.classify(argv) == (kind, command)


def test_holder_descriptions():
    assert lockholder.Holder(lockholder.DASHBOARD, 1234, "streamlit").describe() == "the dashboard (streamlit, PID 1234)"
    assert (lockholder.Holder(lockholder.COMMAND, 1234, "python -m senlib import").describe()
            == "another senlib command (`python -m senlib import`, PID 1234)")
    assert lockholder.Holder(lockholder.OTHER, 1234, "duckdb x").describe() == "another program (`duckdb x`, PID 1234)"
    assert lockholder.Holder(lockholder.OTHER).describe() == "another program"
    text = 'IO Error: Could not set lock on file "/x.duckdb": Conflicting lock is held in /usr/bin/python3 (PID 1). See also'
    assert lockholder.from_lock_error(text).pid == 1
    assert lockholder.from_lock_error("Could not set lock on file").pid is None


HOLD = "import duckdb, sys, time\ncon = duckdb.connect(sys.argv[1])\nprint('held', flush=True)\ntime.sleep(120)\n"


def hold(db: Path, *extra: str) -> subprocess.Popen:
    """A process holding the database file for writing, until killed."""
    p = subprocess.Popen([sys.executable, "-c", HOLD, str(db), *extra], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "held"
    return p


def test_another_program_is_named_and_not_waited_for(demo_db, capsys):
    holder = hold(demo_db)
    try:
        t0 = time.monotonic()
        assert cli.main(["status", "--db", str(demo_db), "--wait", "30"]) == 2
        elapsed = time.monotonic() - t0
    finally:
        holder.kill()
        holder.wait()
    err = capsys.readouterr().err
    assert f"is in use by another program (`{sys.executable} -c import duckdb" in err and f"PID {holder.pid})" in err
    assert "How to fix: Close that program" in err and "Waiting" not in err
    assert elapsed < 10


def test_a_dashboard_without_a_listener_is_named_after_a_short_wait(demo_db, capsys):
    holder = hold(demo_db, "-m", "streamlit", "run", "app.py")  # its command line reads as a dashboard's
    try:
        t0 = time.monotonic()
        assert cli.main(["backup", str(demo_db.parent / "b.duckdb"), "--db", str(demo_db), "--wait", "1"]) == 2
        elapsed = time.monotonic() - t0
    finally:
        holder.kill()
        holder.wait()
    err = capsys.readouterr().err
    assert f"Waiting for the dashboard (streamlit, PID {holder.pid}) to start taking commands" in err
    assert f"is in use by the dashboard (streamlit, PID {holder.pid})" in err and "usually" not in err
    assert 1 <= elapsed < 10


def _holds_lock(pid: int, path: Path) -> bool:
    inode = path.stat().st_ino
    return any(line.split()[4] == str(pid) and line.split()[5].endswith(f":{inode}") for line in Path("/proc/locks").read_text().splitlines()
               if len(line.split()) > 5)


def test_a_command_waits_for_another_command_and_names_it(demo_db, tmp_path, capsys):
    rows = [GOOD[0]] + [[f"W{i:06d}", f"Pupil{i} Waiting", "04/03/2015", "K", "ASD"] for i in range(60_000)]
    tracker = tmp_path / "big.csv"
    tracker.write_bytes(csv_bytes(rows))
    importing = subprocess.Popen([sys.executable, "-m", "senlib", "import", str(tracker), "--setting", "Wait School",
                                  "--db", str(demo_db)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not _holds_lock(importing.pid, demo_db):
            assert importing.poll() is None and time.monotonic() < deadline, importing.communicate()
            time.sleep(0.05)
        assert cli.main(["backup", str(tmp_path / "now.duckdb"), "--db", str(demo_db), "--wait", "0"]) == 2
        refused = capsys.readouterr().err
        assert importing.poll() is None, "the import finished before the refusal was checked: make the tracker larger"
        assert (f"is in use by another senlib command (`python -m senlib import`, PID {importing.pid})" in refused)
        assert "--wait SECONDS" in refused and "dashboard" not in refused
        assert cli.main(["backup", str(tmp_path / "after.duckdb"), "--db", str(demo_db)]) == 0
        waited = capsys.readouterr()
        out, err = importing.communicate(timeout=120)
    finally:
        if importing.poll() is None:
            importing.kill()
    assert importing.returncode == 0, err
    assert f"Waiting for another senlib command (`python -m senlib import`, PID {importing.pid}) to finish" in waited.err
    assert backup.check_backup(tmp_path / "after.duckdb").pupils == 1500 + 60_000
