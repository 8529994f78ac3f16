import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from senlib import store
from senlib.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "senlib", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, timeout=120)


def test_help_lists_subcommands():
    r = run("--help")
    assert r.returncode == 0
    assert "demo" in r.stdout


def test_demo_writes_database(tmp_path):
    db = tmp_path / "x.duckdb"
    r = run("demo", "--db", str(db), "--pupils", "300", "--as-of", "2026-11-23")
    assert r.returncode == 0, r.stderr
    assert "300 pupils on roll" in r.stdout
    con = store.connect(db, read_only=True)
    assert con.execute("SELECT count(*) FROM pupils").fetchall()[0][0] == 300
    audit = con.execute("SELECT action, detail FROM audit").fetchall()
    assert audit[0][0] == "demo" and json.loads(audit[0][1])["pupils"] == 300


def test_demo_respects_senlib_db_env(tmp_path):
    db = tmp_path / "env.duckdb"
    r = run("demo", "--pupils", "50", env={"SENLIB_DB": str(db)})
    assert r.returncode == 0, r.stderr
    assert db.exists()


def test_demo_refuses_to_overwrite_without_replace(tmp_path, capsys):
    db = tmp_path / "x.duckdb"
    assert main(["demo", "--db", str(db), "--pupils", "50"]) == 0
    assert main(["demo", "--db", str(db), "--pupils", "60"]) == 2
    err = capsys.readouterr().err
    assert "already holds pupils" in err and "--replace" in err
    assert main(["demo", "--db", str(db), "--pupils", "60", "--replace"]) == 0
    con = store.connect(db, read_only=True)
    assert con.execute("SELECT count(*) FROM pupils").fetchall()[0][0] == 60


def test_bad_arguments_exit_2_with_message(tmp_path):
    r = run("demo", "--db", str(tmp_path / "x.duckdb"), "--as-of", "23/11/2026")
    assert r.returncode == 2
    assert "YYYY-MM-DD" in r.stderr
    r = run("demo", "--db", str(tmp_path / "x.duckdb"), "--pupils", "0")
    assert r.returncode == 2 and "at least 1" in r.stderr


def test_busy_database_is_explained_not_a_traceback(tmp_path):
    db = tmp_path / "busy.duckdb"
    holder = store.connect(db)  # this process holds the write lock, like the running app
    try:
        r = run("demo", "--db", str(db), "--pupils", "10")
    finally:
        holder.close()
    assert r.returncode == 2
    assert "in use by another program" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("argv", [["demo", "--help"]])
def test_every_subcommand_accepts_db(argv):
    r = run(*argv)
    assert "--db PATH" in r.stdout


def test_the_command_table_is_the_command_line(monkeypatch):
    """senlib.cli.COMMAND_TABLE lists every command once, with the module defining it; --help follows it."""
    from senlib import cli

    cli.build_parser()
    assert list(cli.COMMANDS) == list(cli.COMMAND_TABLE)
    assert {n: c.run.__module__ for n, c in cli.COMMANDS.items()} == cli.COMMAND_TABLE
    monkeypatch.setitem(cli.COMMAND_TABLE, "status", "senlib.cli.elsewhere")  # listed where it is not defined
    with pytest.raises(RuntimeError, match="disagree"):
        cli.build_parser()


def test_a_reader_that_stops_early_gets_no_traceback(demo_db):
    """`senlib status --sql | head -1`: the command stops quietly when its reader does."""
    proc = subprocess.Popen([sys.executable, "-m", "senlib", "status", "--db", str(demo_db), "--sql"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=Path(__file__).resolve().parent.parent)
    assert proc.stdout.readline().startswith(b"-- python -m senlib status")
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0 and "Traceback" not in err, err
