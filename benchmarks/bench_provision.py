"""Provision costs at 1,000, 10,000 and 100,000 pupils: the rules' one DuckDB statement against the obvious alternative,
the same arithmetic in pandas over the tables read whole, in the same process, with the answers checked equal.

Both work out every pupil's share of every intervention's cost this school year (rule provision_cost: sessions a
week x minutes / 60 x weeks x the hourly cost of the role, plus fixed costs; split between an intervention's pupils
by their days on it this school year). Timings are the best of --repeat runs after a first. The two do not do the
same work: the rules' statement (senlib.rules.provision.places, what the pages read) also joins each place to its
pupil on the register (name, year group, need), applies each setting's and council's overrides of the policy, reads
which fields the setting tracks, and raises the provision flags of every place; the pandas version is the bare
arithmetic over two small tables. First run here (2 cores, 1 Dec 2026): 100,000 pupils, 28,880 places:
DuckDB 0.183 s, pandas 0.049 s, the same shares.

    .venv/bin/python benchmarks/bench_provision.py [--sizes 1000 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_pages import AS_OF, demo_db  # noqa: E402
from senlib import store  # noqa: E402
from senlib.access import TRUSTED  # noqa: E402
from senlib.rules import provision  # noqa: E402
from senlib.store.role_costs import DEFAULT_HOURLY_COST  # noqa: E402

SIZES = (1_000, 10_000, 100_000)


def pandas_shares(con, as_of: date) -> pd.DataFrame:
    """Every place's share of its intervention's cost this school year, worked out in pandas (no policy overrides:
    the benchmark's demo has none)."""
    year_start = pd.Timestamp(as_of.year if as_of.month >= 9 else as_of.year - 1, 9, 1)
    year_end = year_start + pd.DateOffset(years=1) - pd.Timedelta(days=1)
    pv = con.execute("SELECT * FROM provisions WHERE coalesce(start_date <= ?, TRUE)", [as_of]).df()
    pl = con.execute("SELECT * FROM pupil_provisions WHERE coalesce(start_date <= ?, TRUE)", [as_of]).df()
    rc = con.execute("SELECT setting, role, hourly_cost AS own_role_cost FROM role_costs").df()
    pv = pv.merge(rc, left_on=["setting", "delivered_by"], right_on=["setting", "role"], how="left")
    hourly = pv["hourly_cost"].fillna(pv["own_role_cost"]).fillna(pv["delivered_by"].map(DEFAULT_HOURLY_COST))
    hours = pv["sessions_per_week"] * pv["minutes_per_session"] / 60
    staff = hours * pv["weeks_per_year"].fillna(38) * hourly
    cost = staff.fillna(0) + pv["fixed_cost"].fillna(0)
    cost[(hours.notna() & hourly.isna()) | (staff.isna() & pv["fixed_cost"].isna())] = np.nan
    pv = pv.assign(cost_year=cost)[["setting", "provision_id", "cost_year", "start_date", "end_date"]]
    x = pl.merge(pv, on=["setting", "provision_id"], suffixes=("", "_p"))
    start = x["start_date"].fillna(x["start_date_p"]).fillna(year_start).clip(lower=year_start)
    end = x["end_date"].fillna(x["end_date_p"]).fillna(year_end).clip(upper=year_end)
    days = ((end - start).dt.days + 1).clip(lower=0)
    total = days.groupby([x["setting"], x["provision_id"]]).transform("sum")
    x = x.assign(days_this_year=days, share_year=x["cost_year"] * days / total.where(total > 0))
    return x[["setting", "pupil_id", "provision_id", "start_date", "days_this_year", "share_year"]]


def sql_shares(con, as_of: date) -> pd.DataFrame:
    df = provision.places(con, as_of, viewer=TRUSTED)
    return df[["setting", "pupil_id", "provision_id", "start_date", "days_this_year", "share_year"]]


def _best(fn, repeat: int) -> tuple[float, pd.DataFrame]:
    out = fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    key = ["setting", "pupil_id", "provision_id", "start_date"]
    a = a.sort_values(key).reset_index(drop=True)
    b = b.sort_values(key).reset_index(drop=True)
    return (len(a) == len(b) and (a[key].astype(str).to_numpy() == b[key].astype(str).to_numpy()).all()
            and np.allclose(a["days_this_year"].astype(float), b["days_this_year"].astype(float))
            and np.allclose(a["share_year"].astype(float), b["share_year"].astype(float), equal_nan=True, atol=1e-6))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    rows = []
    for n in args.sizes:
        con = store.connect(demo_db(n), read_only=True)
        try:
            t_sql, a = _best(lambda con=con: sql_shares(con, AS_OF), args.repeat)
            t_pd, b = _best(lambda con=con: pandas_shares(con, AS_OF), args.repeat)
            rows.append((n, len(a), t_sql, t_pd, _same(a, b)))
        finally:
            con.close()
    print(f"Provision shares this school year (as of {AS_OF:%d/%m/%Y}), best of {args.repeat}")
    print("|  pupils |  places | DuckDB (s) | pandas (s) | same answer |")
    print("|---------|---------|------------|------------|-------------|")
    for n, places, t_sql, t_pd, same in rows:
        print(f"| {n:>7,} | {places:>7,} | {t_sql:>10.3f} | {t_pd:>10.3f} | {'yes' if same else 'NO':>11} |")
    return 0 if all(r[4] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
