"""Review documents for a date range (issue 17): the letters and forms of every review scheduled in the app, as Word
and as PDF, on the demo, against the obvious alternative run in the same process: one LibreOffice run per document.

Making a PDF needs LibreOffice, whose start-up costs seconds; senlib.documents.pdf converts many files in one run
(senlib.documents.pack converts a range in batches). The Word files are the same for both; the PDFs are checked to
be as many, each a PDF. Run here (2 cores, 2 Dec 2026) — see the closing note of issue 17 for the figures.

    .venv/bin/python benchmarks/bench_documents.py [--pupils 1000] [--reviews 5 20]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_pages import AS_OF, demo_db  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pupils", type=int, default=1000)
    ap.add_argument("--reviews", type=int, nargs="+", default=[5, 20])
    args = ap.parse_args()

    from senlib import access, store
    from senlib.documents.context import review_context
    from senlib.documents.pack import _word_files
    from senlib.documents.pdf import to_pdf

    con = store.connect(demo_db(args.pupils))
    cur = con.cursor()
    found = cur.execute("""SELECT setting, review_id FROM reviews WHERE review_id IS NOT NULL AND NOT held
        AND review_date >= ? ORDER BY review_date, review_id""", [AS_OF]).fetchall()
    print(f"{len(found)} reviews scheduled in the app in the demo of {args.pupils:,} pupils")
    print("| reviews | documents | Word | PDF, batched runs | PDF, one run per document | same |")
    print("|---|---|---|---|---|---|")
    for n in args.reviews:
        chosen = found[:n]
        t0 = time.perf_counter()
        word: dict[str, bytes] = {}
        for setting, review_id in chosen:
            ctx = review_context(cur, setting, review_id, as_of=AS_OF, viewer=access.TRUSTED)
            for name, data in _word_files(cur, setting, ctx, None).items():
                word[f"{review_id} {name}"] = data
        t_word = time.perf_counter() - t0
        t0 = time.perf_counter()
        batched = to_pdf(word)
        t_batched = time.perf_counter() - t0
        t0 = time.perf_counter()
        single = {}
        for name, data in word.items():
            single.update(to_pdf({name: data}))
        t_single = time.perf_counter() - t0
        same = (sorted(batched) == sorted(single) and len(batched) == len(word)
                and all(v.startswith(b"%PDF") for v in (*batched.values(), *single.values())))
        print(f"| {len(chosen)} | {len(word)} | {t_word:.2f} s | {t_batched:.1f} s | {t_single:.1f} s | "
              f"{'yes' if same else 'NO'} |", flush=True)
    con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
