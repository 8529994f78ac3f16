"""Many users at once (issue 12): N concurrent sessions (one Chromium, one browser context each) moving through the
SENCo's pages of the demo caseload for D seconds.

The demo database (3 settings, 1,500 pupils, `python -m senlib demo`) is made in a temporary folder, or copied from
--db, and served with tests/browser/harness.running_app (from --app-root: another checkout, e.g. a `git worktree`
of an older commit, for a "before" run). One session first opens every page once (the first visits, caches cold;
reported apart). Then every session opens the home page (a few at a time) and goes round once unmeasured, so that
its browser context has loaded each page's code; then, together and for D seconds, they go round Overview, Caseload,
"Include everyone" switched (on one round, off the next), Pupil (the Open button of one of the Caseload table's
first rows, chosen at random: st.switch_page, as in the app), Upcoming reviews, Escalations, Progress, Compliance
and Governors' report, each session starting at its own place in the round.

A page's time runs from the click until the server has finished the script run (ForwardMsg.script_finished, read
from the session's websocket) and the page shows it: its own h1, no 'Running' status, no skeleton left. "run" is
the script run alone, from its first message to its last as the browser receives them (Caseload's includes
sending its table). Errors: an exception box (stException) or "Traceback" on the page, a page not finished within
--timeout seconds (60), a run finished with a compile error, and any traceback in the server's log. There must
be none (exit code 1 otherwise).

    .venv/bin/python benchmarks/bench_concurrency.py                           # 20 sessions, 120 s
    .venv/bin/python benchmarks/bench_concurrency.py --sessions 5 --seconds 30 --json
    git worktree add /tmp/before 794593d && .venv/bin/python benchmarks/bench_concurrency.py --app-root /tmp/before

Results (2026-12-01, this 2-core machine, shared with other work; the server and Chromium's 20 pages share the two
cores, and Chromium drawing the pages takes most of them, so page times are mostly the browser's), 20 sessions,
120 s, three alternating pairs (before, after, before, after, after, before):

    before (794593d)                 pages/s 1.75 1.41 1.95   median 9.5 11.7 9.0 s   p95 21.7 27.2 17.7 s
                                     run median 1.18 1.65 0.92 s   run p95 11.0 11.0 8.3 s   errors 0 0 0
    after (runner.postScriptGC off)  pages/s 1.87 1.80 2.26   median 8.5 7.8 6.8 s    p95 19.9 19.9 15.6 s
                                     run median 0.20 0.19 0.12 s   run p95 7.2 5.2 6.4 s     errors 0 0 0

What made sessions wait for each other: Streamlit's default `runner.postScriptGC = true`, a full garbage
collection after every script run, 100-200 ms holding the GIL (150,000 objects once pandas, plotly and the caches
are loaded), more than most pages' own run (40-140 ms warm); every other session's run and the server's event loop
stood still meanwhile. .streamlit/config.toml turns it off; the server's peak memory stayed 420-460 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import math
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.async_api import Error as PlaywrightError  # noqa: E402

from tests.browser.harness import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, running_app  # noqa: E402

# (name, sidebar label, the page's h1)
PAGES = [
    ("overview", "Overview", "SEN caseload overview"),
    ("caseload", "Caseload", "Caseload"),
    ("upcoming", "Upcoming reviews", "Upcoming reviews"),
    ("escalations", "Escalations", "Escalations"),
    ("pupil", "Pupil", "Pupil"),
    ("progress", "Progress", "Outcome progress"),
    ("compliance", "Compliance", "Review compliance"),
    ("governors", "Governors' report", "Governors' report"),
]
H1 = {name: h1 for name, _, h1 in PAGES}
FILTER = "caseload filter"  # the Caseload page again, "Include everyone" switched
VIEWPORT = {"width": 1280, "height": 900}

ROW_PX = 35        # the Caseload table's row height (pages/caseload.py), header included
VISIBLE_ROWS = 12  # rows of the Caseload table in view at VIEWPORT, whose Open button a session presses
OPENING_BATCH = 4  # sessions that open the home page at the same time, before the clock starts
POLL_MS = 50  # how often a page is checked: polling on every animation frame would keep 20 pages drawing frames
# The run has been drawn: the page's own h1, no 'Running' status, no element still waiting for its code (a skeleton).
SHOWN = """(h1) => { const t = document.querySelector('[data-testid="stMain"] h1');
                     const s = document.querySelector('[data-testid="stStatusWidget"]');
                     return t && t.textContent.trim() === h1 && !(s && s.textContent.includes('Running'))
                            && !document.querySelector('[data-testid^="stSkeleton"], [data-testid="stAppSkeleton"]'); }"""
# What is wrong with the page shown, or null.
PROBLEM = """() => { const e = document.querySelector('[data-testid="stException"]');
                     if (e) return 'exception: ' + e.textContent.slice(0, 200);
                     const m = document.querySelector('[data-testid="stMain"]');
                     return m && m.textContent.includes('Traceback') ? 'a traceback on the page' : null; }"""


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), linear between the nearest ranks; nan for no values."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def demo_db(folder: Path, app_root: Path, source: Path | None) -> Path:
    """A fresh copy of the demo database for one run (the app writes sign-ins to its audit log)."""
    path = folder / "demo.duckdb"
    if source:
        shutil.copyfile(source, path)
    else:
        subprocess.run([sys.executable, "-m", "senlib", "demo", "--db", str(path), "--settings", "3", "--pupils", "1500"],
                       cwd=app_root, check=True, stdout=subprocess.DEVNULL)
    return path


@dataclass
class Results:
    times: dict[str, list[float]] = field(default_factory=dict)   # until the page shows the run
    runs: dict[str, list[float]] = field(default_factory=dict)    # the script run: from its first message to its last
    errors: list[dict] = field(default_factory=list)

    def add(self, page: str, seconds: float, run: float) -> None:
        self.times.setdefault(page, []).append(seconds)
        self.runs.setdefault(page, []).append(run)


class Session:
    """One browser context: a page, and the script runs its websocket reports finished."""

    def __init__(self, number: int, page, app_url: str, timeout: float):
        self.number, self.page, self.url, self.timeout = number, page, app_url, timeout
        self.finished = 0          # script runs finished successfully, over every websocket of this page
        self.compile_errors = 0
        self.screenshot_taken = False
        self.trail: collections.deque[str] = collections.deque(maxlen=12)  # the last messages' kinds, for an error report
        self._run_started = self.last_run = float("nan")  # the last script run's time on the server, as the frames show it
        self._changed = asyncio.Event()
        page.on("websocket", self._watch)

    def _watch(self, ws) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        def frame(payload) -> None:
            if isinstance(payload, str):
                return
            msg = ForwardMsg()
            try:
                msg.ParseFromString(payload)
            except Exception:  # noqa: BLE001 - not a ForwardMsg: not ours to time
                return
            kind = msg.WhichOneof("type")
            self.trail.append(kind if kind != "script_finished" else f"script_finished:{msg.script_finished}")
            if kind == "new_session":  # the server sends it as a script run starts
                self._run_started = time.perf_counter()
                return
            if kind != "script_finished":
                return
            if msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                self.finished += 1
                self.last_run = time.perf_counter() - self._run_started
            elif msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                self.compile_errors += 1
            self._changed.set()

        ws.on("framereceived", frame)

    async def _run_finished(self, before: int, errors_before: int) -> None:
        while self.finished <= before and self.compile_errors <= errors_before:
            self._changed.clear()
            await self._changed.wait()

    async def step(self, name: str, action, results: Results | None) -> None:
        """Do `action` (a click or a link), wait for the run to finish and the page to show it; time it."""
        page = self.page
        before, errors_before = self.finished, self.compile_errors
        t0 = time.perf_counter()
        self.trail.clear()
        left = lambda: max(t0 + self.timeout - time.perf_counter(), 0.1)  # noqa: E731 - the page's time limit, all told
        phase = "the click or link"
        try:
            await action(left() * 1000)
            phase = "the script run"
            await asyncio.wait_for(self._run_finished(before, errors_before), left())
            run = self.last_run
            phase = "drawing the page"
            await page.wait_for_function(SHOWN, arg=H1["caseload" if name == FILTER else name],
                                         timeout=left() * 1000, polling=POLL_MS)
            seconds = time.perf_counter() - t0
            problem = await page.evaluate(PROBLEM)
        except (TimeoutError, PlaywrightError) as exc:
            if results is not None:
                results.errors.append({"session": self.number, "page": name, "error": (f"not finished in {self.timeout:.0f} s" if "Timeout" in type(exc).__name__
                                                 else f"browser: {type(exc).__name__}") + f", waiting for {phase}",
                                       "detail": str(exc)[:300], "messages": list(self.trail), "shows": await self._shows()})
            await self._recover()
            return
        if self.compile_errors > errors_before:
            problem = "script finished with a compile error"
        if results is None:
            return
        if problem:
            results.errors.append({"session": self.number, "page": name, "error": problem})
            await self._recover()
        else:
            results.add(name, seconds, run)

    async def _shows(self) -> str:
        """What the page shows, for an error report; the session's first error's screenshot goes to tests/artifacts/."""
        try:
            if not self.screenshot_taken:
                self.screenshot_taken = True
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                await self.page.screenshot(path=str(ARTIFACTS / f"bench-concurrency-{self.number}.png"), timeout=10_000)
            return (await self.page.locator('[data-testid="stMain"]').inner_text(timeout=10_000))[:300]
        except PlaywrightError as exc:
            return f"(page not readable: {exc})"[:300]

    async def _recover(self) -> None:
        """After an error, start again from the home page (a new Streamlit session)."""
        try:
            before = self.finished
            await self.page.goto(self.url, timeout=self.timeout * 1000)
            await asyncio.wait_for(self._run_finished(before, self.compile_errors), self.timeout)
        except (TimeoutError, PlaywrightError):
            pass

    def nav(self, label: str):
        link = self.page.locator(f'a[data-testid="stSidebarNavLink"]:has(span[label="{label}"])')
        return lambda ms: link.click(timeout=ms)

    def link(self, path: str):
        return lambda ms: self.page.goto(f"{self.url}/{path}", timeout=ms)

    def open_row(self, row: int):
        """Press the Open button of a row of the Caseload table (a canvas: the cell is clicked where it is drawn)."""
        async def press(ms: float) -> None:
            grid = self.page.locator('[data-testid="stDataFrame"]').first
            await grid.scroll_into_view_if_needed(timeout=ms)
            box = await grid.bounding_box(timeout=ms)
            await self.page.mouse.click(box["x"] + 30, box["y"] + ROW_PX * (row + 1.5))

        return press

    def toggle_everyone(self):
        # CSS only: a role or text query makes Chromium build the page's accessibility tree (the table's every cell).
        switch = self.page.locator(".st-key-caseload_everyone input")

        async def flip(ms: float) -> None:
            was = await switch.is_checked(timeout=ms)
            await self.page.locator(".st-key-caseload_everyone label").click(timeout=ms)
            await self.page.wait_for_function(
                "(was) => { const s = document.querySelector('.st-key-caseload_everyone input'); return s && s.checked !== was; }",
                arg=was, timeout=ms, polling=POLL_MS)

        return flip


def round_of_pages(session: Session, rng: random.Random):
    """The steps of one round: (name, action). The pupil is the Caseload table's row chosen when the round is made."""
    for name, label, _ in PAGES:
        if name == "pupil":
            continue
        yield name, session.nav(label)
        if name == "caseload":
            yield FILTER, session.toggle_everyone()
            yield "pupil", session.open_row(rng.randrange(VISIBLE_ROWS))


async def run_session(session: Session, rng: random.Random, start: int, deadline: float,
                      results: Results, steps: int | None = None) -> int:
    """Go round the pages from `start` until `deadline` (or for `steps` pages); the number of pages opened."""
    done, i = 0, start
    round_steps = list(round_of_pages(session, rng))
    while time.perf_counter() < deadline and (steps is None or done < steps):
        name, action = round_steps[i % len(round_steps)]
        await session.step(name, action, results)
        done += 1
        i += 1
        if i % len(round_steps) == 0:  # a new round: another pupil
            round_steps = list(round_of_pages(session, rng))
    return done


async def measure(app_url: str, sessions: int, seconds: float, timeout: float, seed: int) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            # First visits, caches cold: one session opens every page once.
            first = Results()
            ctx = await browser.new_context(viewport=VIEWPORT)
            warm = Session(-1, await ctx.new_page(), app_url, timeout)
            await warm.step("overview", warm.link(""), first)
            for name, action in list(round_of_pages(warm, random.Random(seed)))[1:]:  # the home page is the Overview
                await warm.step(name, action, first)
            await ctx.close()

            # Every session opens the home page, then all go round together.
            group: list[Session] = []
            for n in range(sessions):
                ctx = await browser.new_context(viewport=VIEWPORT)
                group.append(Session(n, await ctx.new_page(), app_url, timeout))
            opening = Results()
            for batch in range(0, sessions, OPENING_BATCH):  # a few at a time: 20 cold pages at once swamp the browser
                await asyncio.gather(*(s.step("overview", s.link(""), opening) for s in group[batch:batch + OPENING_BATCH]))
            # Each session starts at its own page of the round (not the Overview it is on, nor midway through Caseload),
            # and goes round once before the clock starts: its browser context loads each page's code the first time.
            starts = [i for i, (name, _) in enumerate(round_of_pages(group[0], random.Random()))
                      if name not in ("overview", FILTER, "pupil")]
            rounds = len(list(round_of_pages(group[0], random.Random())))
            warmup = Results(errors=opening.errors)
            await asyncio.gather(*(
                run_session(s, random.Random(seed * 1000 + s.number), starts[s.number % len(starts)], math.inf,
                            warmup, steps=rounds) for s in group))
            results = Results(errors=warmup.errors)
            t0 = time.perf_counter()
            counts = await asyncio.gather(*(
                run_session(s, random.Random(seed * 2000 + s.number), starts[s.number % len(starts)],
                            t0 + seconds, results) for s in group))
            elapsed = time.perf_counter() - t0
        finally:
            await browser.close()
    return {"first": first, "warmup": warmup, "results": results, "elapsed": elapsed, "opened": sum(counts)}


def summary(times: dict[str, list[float]]) -> dict[str, dict]:
    order = [name for name, _, _ in PAGES] + [FILTER]
    rows = {name: times[name] for name in order if name in times}
    every = [t for v in rows.values() for t in v]
    out = {name: {"pages": len(v), "median": statistics.median(v), "p95": percentile(v, 95)} for name, v in rows.items()}
    out["all"] = {"pages": len(every), "median": statistics.median(every) if every else float("nan"),
                  "p95": percentile(every, 95)}
    return out


def server_peak_mb(pid: int) -> float:
    """The server's peak resident memory (VmHWM), in MB; nan where /proc does not say."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def log_tracebacks(log: Path) -> list[str]:
    text = log.read_text(errors="replace")
    return [block.strip()[:400] for block in text.split("Traceback (most recent call last):")[1:]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20, help="concurrent sessions (browser contexts; default 20)")
    parser.add_argument("--seconds", type=float, default=120, help="how long the sessions go round the pages (default 120)")
    parser.add_argument("--db", type=Path, default=None, help="a demo database to copy (default: made with `senlib demo`)")
    parser.add_argument("--app-root", type=Path, default=ROOT, help="the checkout whose app.py to serve (default this one)")
    parser.add_argument("--timeout", type=float, default=60, help="seconds a page may take before it counts as an error")
    parser.add_argument("--seed", type=int, default=2026, help="random seed for the rows opened")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    app_root = args.app_root.resolve()

    with tempfile.TemporaryDirectory(prefix="bench-concurrency-") as tmp:
        db = demo_db(Path(tmp), app_root, args.db)
        with running_app(db, root=app_root, timeout=120) as app:
            run = asyncio.run(measure(app.url, args.sessions, args.seconds, args.timeout, args.seed))
            time.sleep(1)
            tracebacks = log_tracebacks(app.log)
            peak_mb = server_peak_mb(app.process.pid)
    results: Results = run["results"]
    errors = results.errors + run["first"].errors + [{"session": None, "page": None, "error": "server log: " + t}
                                                      for t in tracebacks]
    pages = sum(len(v) for v in results.times.values())
    report = {
        "app_root": str(app_root), "sessions": args.sessions, "seconds": round(run["elapsed"], 1),
        "pages": pages, "pages_per_second": pages / run["elapsed"], "server_peak_mb": round(peak_mb),
        "times": summary(results.times), "server_runs": summary(results.runs),
        "first_round": summary(run["warmup"].times)["all"], "first_visits": {k: v[0] for k, v in run["first"].times.items()},
        "errors": errors,
        "raw": {"times": results.times, "runs": results.runs},
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{args.sessions} sessions for {report['seconds']} s, serving {app_root}")
        print(f"pages completed: {pages}   pages per second: {report['pages_per_second']:.2f}   errors: {len(errors)}   "
              f"server's peak memory: {peak_mb:.0f} MB")
        print("page: from the click to the page drawn; run: the script run on the server, from its first message to its "
              "last; first: the first visit (one session, caches cold)")
        print(f"{'page':<18}{'pages':>7}{'median s':>10}{'p95 s':>8}{'run median':>12}{'run p95':>9}{'first s':>9}")
        for name, row in report["times"].items():
            first, run_row = report["first_visits"].get(name), report["server_runs"][name]
            print(f"{name:<18}{row['pages']:>7}{row['median']:>10.2f}{row['p95']:>8.2f}{run_row['median']:>12.2f}"
                  f"{run_row['p95']:>9.2f}{'' if first is None else f'{first:.2f}':>9}")
        for e in errors[:20]:
            print("ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
