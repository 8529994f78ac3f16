"""Small hand-built caseloads for the rules tests: one call per row, dates as ISO strings."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pandas as pd

from senlib import store
from senlib.access import TRUSTED
from senlib.rules import pupil_status

SETTING = "Test Primary"


def d(text: str | date | None) -> date | None:
    """An ISO date string (or a date) as a date."""
    if text is None or isinstance(text, date):
        return text
    return date.fromisoformat(text)


def days(day: str | date, n: int) -> date:
    """A date n days after `day` (before, if negative)."""
    return d(day) + timedelta(days=n)


class Caseload:
    """An in-memory store with helpers to add pupils, plans, reviews, outcomes, scores and requests."""

    def __init__(self, settings: dict[str, tuple[str, str]] | None = None):
        self.con: duckdb.DuckDBPyConnection = store.connect(":memory:")
        for name, (phase, la) in (settings or {SETTING: ("primary", "Northmoor Council")}).items():
            self.con.execute("INSERT INTO settings VALUES (?, ?, ?)", [name, phase, la])

    def pupil(self, pid: str, *, dob: str = "2016-05-10", sen: str | None = "K", year_group: str | None = None,
              setting: str = SETTING, la: str | None = None, identified: str | None = "2020-01-01",
              leaving: str | None = None, need: str | None = "SLCN", first: str = "Sam", last: str = "Test") -> str:
        self.con.execute(
            """INSERT INTO pupils (setting, pupil_id, first_name, last_name, date_of_birth, year_group, sen_status,
                   primary_need, local_authority, date_identified, leaving_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [setting, pid, first, last, d(dob), year_group, sen, need if sen in ("K", "E") else None, la, d(identified),
             d(leaving)])
        return pid

    def plan(self, pid: str, plan_type: str, start: str | None, end: str | None = None, *, la: str | None = None,
             setting: str = SETTING) -> None:
        self.con.execute("INSERT INTO plans (setting, pupil_id, plan_type, start_date, end_date, local_authority) "
                         "VALUES (?, ?, ?, ?, ?, ?)", [setting, pid, plan_type, d(start), d(end), la])

    def review(self, pid: str, day: str, plan_type: str | None = "sen_support", *, held: bool = True,
               setting: str = SETTING, **fields) -> None:
        cols = {"setting": setting, "pupil_id": pid, "plan_type": plan_type, "review_date": d(day), "held": held,
                **{k: (d(v) if k.endswith(("_date", "_sent", "_received")) and isinstance(v, str) else v)
                   for k, v in fields.items()}}
        self.con.execute(f"INSERT INTO reviews ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", list(cols.values()))

    def outcome(self, pid: str, oid: str, *, baseline: float = 2, target: float = 8, start: str = "2020-01-01",
                target_date: str | None = None, status: str = "active", scale: tuple[float, float] = (0, 10),
                setting: str = SETTING) -> None:
        self.con.execute("""INSERT INTO outcomes (setting, pupil_id, outcome_id, area, description, baseline, target,
                                scale_min, scale_max, start_date, target_date, status)
                            VALUES (?, ?, ?, 'semh', 'test outcome', ?, ?, ?, ?, ?, ?, ?)""",
                         [setting, pid, oid, baseline, target, scale[0], scale[1], d(start), d(target_date), status])

    def score(self, pid: str, oid: str, day: str, score: float, *, setting: str = SETTING) -> None:
        self.con.execute("INSERT INTO scores (setting, pupil_id, outcome_id, score_date, score) VALUES (?, ?, ?, ?, ?)",
                         [setting, pid, oid, d(day), score])

    def request(self, pid: str, requested: str, *, decision_date: str | None = None, decision: str | None = None,
                final: str | None = None, setting: str = SETTING) -> None:
        self.con.execute("""INSERT INTO ehc_requests (setting, pupil_id, requested, decision_date, decision, final_plan_date)
                            VALUES (?, ?, ?, ?, ?, ?)""", [setting, pid, d(requested), d(decision_date), decision, d(final)])

    def status(self, pid: str, as_of: str | date, setting: str = SETTING) -> dict:
        """The pupil_status row of one pupil, as a dict (flags as a list)."""
        df = pupil_status(self.con, d(as_of), viewer=TRUSTED)
        row = df[(df["setting"] == setting) & (df["pupil_id"] == pid)]
        assert len(row) == 1, f"{pid} not found"
        out = {k: (None if not isinstance(v, list) and pd.isna(v) else v) for k, v in row.iloc[0].to_dict().items()}
        out["flags"] = list(out["flags"])
        out["flag_reasons"] = list(out["flag_reasons"])
        for key in ("due_date", "last_review", "next_review", "invite_by", "reports_by", "invite_statutory_by", "plan_start"):
            out[key] = None if out[key] is None else out[key].date()
        return out
