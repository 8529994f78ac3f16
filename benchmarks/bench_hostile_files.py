"""Thousands of damaged and hostile trackers through the importer's real path (issue 12).

    .venv/bin/python benchmarks/bench_hostile_files.py [--cases 2000] [--seed 12] [--jobs 2] [--compare 300] [--json]

Each case is a real-format file (.xlsx, .xls, .ods, .csv in several encodings) with its bytes mutated:
truncated, bytes overwritten, a run of bytes inserted or zeroed, and for the zip formats the XML inside a
member damaged and zipped again, cell references moved far away, or the zip's version field changed. Every
case goes through `importer.prepare` (the sandboxed read the Upload page and the command line use), called
from this process as the dashboard calls it, and is counted as read (a preview), refused (ImportRefused, by kind of message) or
crashed (any other exception; a case that took this process down would end the run): crashes must be 0. The slowest cases are listed.

`--compare N` also reads the first N cases the obvious way, in-process (reading.read_workbook + plan_sheet
without the worker), and counts how many of those would have aborted or panicked the caller.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


IN_PROCESS = r"""
import json, sys
from senlib.importer.headers import plan_sheet
from senlib.importer.problems import ImportRefused
from senlib.importer.reading import read_workbook
name, path = sys.argv[1], sys.argv[2]
try:
    wb = read_workbook(name, open(path, "rb").read())
    [plan_sheet(s, wb.file_name) for s in wb.sheets]
    print(json.dumps({"outcome": "read"}))
except ImportRefused as exc:
    print(json.dumps({"outcome": "refused"}))
except BaseException as exc:
    print(json.dumps({"outcome": "exception", "message": f"{type(exc).__name__}: {exc}"[:200]}))
"""


def seeds() -> dict[str, bytes]:
    from tests.import_corpus import csv_bytes, messy_tracker, ods, simple_rows, xls, xlsx

    rows = simple_rows()
    return {"messy.xlsx": messy_tracker(), "simple.xlsx": xlsx({"Register": rows}), "simple.xls": xls(rows),
            "simple.ods": ods(rows), "simple.csv": csv_bytes(rows), "cp1252.csv": csv_bytes(rows, encoding="cp1252"),
            "utf16.csv": "\r\n".join("\t".join(map(str, r)) for r in rows).encode("utf-16")}


def _rezip(data: bytes, change) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info, change(info.filename, src.read(info.filename)))
    return buf.getvalue()


def mutate(name: str, data: bytes, rng: random.Random) -> tuple[str, bytes]:
    """One damaged copy of `data` and the way it was damaged."""
    from tests.import_corpus import zip_version

    d = bytearray(data)
    zipped = name.endswith((".xlsx", ".ods"))
    how = rng.choice(["truncate", "overwrite", "overwrite_many", "insert", "zero_run"]
                     + (["member_bytes", "member_truncate", "far_cell", "zip_version"] if zipped else []))
    if how == "truncate":
        d = d[:rng.randrange(1, len(d))]
    elif how in ("overwrite", "overwrite_many"):
        for _ in range(1 if how == "overwrite" else rng.randint(2, 40)):
            d[rng.randrange(len(d))] = rng.randrange(256)
    elif how == "insert":
        i = rng.randrange(len(d))
        d[i:i] = rng.randbytes(rng.randint(1, 64))
    elif how == "zero_run":
        i = rng.randrange(len(d))
        d[i:i + rng.randint(1, 512)] = b"\0" * len(d[i:i + rng.randint(1, 512)])
    elif how == "zip_version":
        return how, zip_version(data, rng.choice([64, 100, 146, 999]))
    else:
        members = [i.filename for i in zipfile.ZipFile(io.BytesIO(data)).infolist()]
        target = rng.choice(members)

        def change(member: str, body: bytes) -> bytes:
            if member != target or not body:
                return body
            b = bytearray(body)
            if how == "member_truncate":
                return bytes(b[:rng.randrange(len(b))])
            if how == "far_cell":
                return re.sub(rb'r="[A-Z]+[0-9]+"', lambda m: rng.choice([b'r="XFD1048576"', b'r="ZZZ99999999"', b'r="A0"',
                                                                           m.group(0)]), body)
            for _ in range(rng.randint(1, 12)):
                i = rng.randrange(len(b))
                b[i:i + 4] = rng.choice([b"<", b">", b"\"", b"&#0;", b"9999", b"\xff\xfe", rng.randbytes(4)])
            return bytes(b)

        return f"{how}:{target}", _rezip(data, change)
    return how, bytes(d)


def sandboxed(con, name: str, data: bytes, timeout: float) -> tuple[dict, float]:
    """One case through the product's path, in this process."""
    from senlib.importer import ImportRefused, prepare
    from senlib.importer.sandbox import Limits

    t0 = time.perf_counter()
    try:
        upload = prepare(con.cursor(), [(name, data)], limits=Limits(timeout=timeout))
        out = {"outcome": "read", "sheets": len(upload.plans)}
    except ImportRefused as exc:
        out = {"outcome": "refused", "message": exc.message}
    except BaseException as exc:  # noqa: BLE001 - anything else is what this benchmark counts as a crash
        out = {"outcome": "crashed", "message": f"{type(exc).__name__}: {exc}"[:300]}
    return out, time.perf_counter() - t0


def in_process(name: str, data: bytes, timeout: float) -> tuple[dict, float]:
    """One case read the obvious way, in a child process of its own so that an abort ends only that child."""
    with tempfile.NamedTemporaryFile(suffix=Path(name).suffix) as f:
        f.write(data)
        f.flush()
        t0 = time.perf_counter()
        try:
            proc = subprocess.run([sys.executable, "-c", IN_PROCESS, name, f.name, str(timeout)], capture_output=True,
                                  text=True, cwd=ROOT, timeout=timeout + 60)
        except subprocess.TimeoutExpired:
            return {"outcome": "crashed", "message": "did not finish"}, time.perf_counter() - t0
        elapsed = time.perf_counter() - t0
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"outcome": "died", "message": f"exit {proc.returncode}: {proc.stderr[:200]}"}, elapsed
    return json.loads(lines[-1]), elapsed


def kind(message: str) -> str:
    for words, label in (("more memory", "out of memory"), ("took longer", "out of time"), ("damaged", "damaged"),
                         ("password", "password"), ("reaches cell", "sheet too big"), ("more columns", "sheet too big"),
                         ("more rows", "sheet too big"), ("header row", "no header"), ("no data", "empty"),
                         ("not a spreadsheet", "not a spreadsheet"), ("really a", "wrong format"), ("zip", "zip")):
        if words in message:
            return label
    return "other"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=30.0, help="the worker's time limit (the product's default: 30 s)")
    ap.add_argument("--compare", type=int, default=0, help="also read the first N cases in-process, the obvious way")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    base = seeds()
    cases = []
    for _ in range(args.cases):
        name = rng.choice(sorted(base))
        how, data = mutate(name, base[name], rng)
        cases.append((name, how, data))

    from senlib import store

    con = store.connect(":memory:")
    t0 = time.perf_counter()
    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda c: sandboxed(con, c[0], c[2], args.timeout), cases))
    wall = time.perf_counter() - t0
    outcomes = Counter(r["outcome"] for r, _ in results)
    refusals = Counter(kind(r["message"]) for r, _ in results if r["outcome"] == "refused")
    crashes = [(c[0], c[1], r["message"]) for c, (r, _) in zip(cases, results, strict=True)
               if r["outcome"] not in ("read", "refused")]
    slowest = sorted(((t, c[0], c[1], r["outcome"]) for c, (r, t) in zip(cases, results, strict=True)), reverse=True)[:5]
    times = sorted(t for _, t in results)
    report = {"cases": len(cases), "seed": args.seed, "wall_seconds": round(wall, 1), "outcomes": dict(outcomes),
              "refusals_by_kind": dict(refusals), "crashed": len(crashes), "crash_examples": crashes[:10],
              "median_case_seconds": round(times[len(times) // 2], 2), "slowest": [
                  {"seconds": round(t, 1), "seed_file": n, "mutation": h, "outcome": o} for t, n, h, o in slowest]}
    if args.compare:
        with ThreadPoolExecutor(args.jobs) as pool:
            old = list(pool.map(lambda c: in_process(c[0], c[2], args.timeout), cases[:args.compare]))
        report["in_process"] = {"cases": len(old), "outcomes": dict(Counter(r["outcome"] for r, _ in old)),
                                "examples": sorted({r.get("message", "")[:90] for r, _ in old
                                                    if r["outcome"] in ("died", "exception")})[:8]}
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print(f"{report['cases']:,} damaged files (seed {args.seed}) through importer.prepare in {wall:.0f} s "
              f"({args.jobs} at a time, median {report['median_case_seconds']} s a case):")
        for outcome, n in outcomes.most_common():
            print(f"  {outcome:<10}{n:>6,}")
        print("  refusals by kind: " + ", ".join(f"{k} {n:,}" for k, n in refusals.most_common()))
        print(f"  crashed: {len(crashes)}")
        for c in crashes[:10]:
            print(f"    {c}")
        print("  slowest: " + "; ".join(f"{t:.1f} s {n} {h} ({o})" for t, n, h, o in slowest))
        if args.compare:
            ip = report["in_process"]
            print(f"In-process (no worker), first {ip['cases']:,} cases: " + ", ".join(f"{k} {n:,}" for k, n in
                                                                                    ip["outcomes"].items()))
            for e in ip["examples"]:
                print(f"    {e}")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
