"""A straightforward per-pupil Python implementation of the cadence rules.

Not part of the product (so it lives beside the benchmarks): it is the yardstick for the benchmark (benchmarks/bench_rules.py) and
an independent check of the SQL in the tests. It reads the same tables, applies the same policy
(defaults and overrides) and loops over pupils one at a time, the way a hand-written tracker
macro would: which plan applies, when its clock started, when the next review is due, status.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

import duckdb
import pandas as pd

from senlib.core.names import YEAR_INDEX
from senlib.core.schoolyear import index_to_code, school_year_start, year_index
from senlib.rules.policy import Policy, overrides, resolve


def add_months(day: date, months: int) -> date:
    """The same day some months later; the 31st becomes the month's last day."""
    m = day.month - 1 + months
    y, m = day.year + m // 12, m % 12 + 1
    return date(y, m, min(day.day, calendar.monthrange(y, m)[1]))


def birthday(dob: date, years: int) -> date:
    """The day a child turns `years`; 29 February birthdays fall on 1 March in other years."""
    y = dob.year + years
    if dob.month == 2 and dob.day == 29 and not calendar.isleap(y):
        return date(y, 3, 1)
    return date(y, dob.month, dob.day)


def _evaluate(p: dict, plans: list[tuple], reviews: list[tuple], policy: Policy, as_of: date,
              diary: Sequence[tuple] = ()) -> dict:
    """One pupil: the plan whose cadence applies, its due date and status. `reviews` are the held reviews
    and `diary` those not recorded as held, each (plan_type, review_date)."""
    def in_force(pl: tuple) -> bool:
        return (pl[1] is None or pl[1] <= as_of) and (pl[2] is None or pl[2] > as_of)

    current = {}
    for pl in plans:  # (plan_type, start, end, la)
        if in_force(pl) and (pl[0] not in current or (pl[1] or date.min) > (current[pl[0]][1] or date.min)):
            current[pl[0]] = pl
    ehcp_later = any(pl[0] == "ehcp" and pl[1] is not None and pl[1] > as_of for pl in plans)
    identified = p["date_identified"] is None or p["date_identified"] <= as_of
    left = p["leaving_date"] is not None and p["leaving_date"] <= as_of
    if left:
        plan = None
    elif "ehcp" in current or (p["sen_status"] == "E" and not ehcp_later and identified):
        plan = "ehcp"
    elif "my_support_plan" in current:
        plan = "my_support_plan"
    elif "sen_support" in current or (p["sen_status"] == "K" and identified):
        plan = "sen_support"
    elif "ihcp" in current:
        plan = "ihcp"
    else:
        plan = None
    if plan is None:
        return {"plan_type": None, "cadence_rule": None, "last_review": None, "due_date": None,
                "status": "not_applicable", "days_overdue": None}

    if plan in current:
        start = current[plan][1]
        if start is None and plan == "sen_support":
            start = p["date_identified"]
    else:
        start = p["date_identified"]
    held = [r[1] for r in reviews  # (plan_type, review_date)
            if (r[0] == plan or r[0] is None) and r[1] <= as_of and (start is None or r[1] >= start)]
    last = max(held) if held else None
    clock = max(d for d in (last, start) if d is not None) if (last or start) else None
    # No clock date recorded: the next review date recorded is the due date: the diary's next review, else the
    # last diary date before the as-of date (not held). (The SQL also looks at the date agreed at the last review,
    # but with no clock date there is no review held.)
    mine = [r[1] for r in diary if (r[0] == plan or r[0] is None) and r[1] is not None]
    recorded = min((x for x in mine if x >= as_of), default=None) or max((x for x in mine if x < as_of), default=None)

    v = policy.values
    rule = {"sen_support": "sen_support_termly", "my_support_plan": "msp_termly", "ihcp": "ihcp_annual"}.get(plan)
    months = {"sen_support": v["sen_support_termly"]["max_gap_months"], "my_support_plan": v["msp_termly"]["max_gap_months"],
              "ihcp": v["ihcp_annual"]["months"]}.get(plan)
    if plan == "ehcp":
        under5 = (clock is not None and p["dob"] is not None
                  and add_months(clock, v["ehcp_under5"]["months"]) < birthday(p["dob"], v["ehcp_under5"]["age_years"]))
        rule, months = ("ehcp_under5", v["ehcp_under5"]["months"]) if under5 else ("ehcp_annual", v["ehcp_annual"]["months"])
    due = add_months(clock, months) if clock is not None else recorded

    if plan == "ehcp":
        code = p["year_group"]
        transfer = v["phase_transfer"]["infant_transfer_years"] if p["phase"] == "infant" else v["phase_transfer"]["transfer_years"]
        if code in transfer:
            sy = school_year_start(as_of)
            md = v["phase_transfer"]["post16_amend_by"] if code in v["phase_transfer"]["post16_years"] else v["phase_transfer"]["amend_by"]
            month, day = (int(x) for x in md.split("-"))
            review_by = date(sy.year + 1, month, day) - timedelta(weeks=v["phase_transfer"]["review_weeks"])
            if not (last is not None and last >= sy) and (due is None or review_by < due):
                due, rule = review_by, "phase_transfer"

    if due is None:
        status = "no_review_date"
    elif as_of > due:
        status = "overdue"
    elif as_of >= due - timedelta(weeks=v["invite_good_practice"]["weeks"]):
        status = "due_soon"
    else:
        status = "on_track"
    return {"plan_type": plan, "cadence_rule": rule, "last_review": last, "due_date": due, "status": status,
            "days_overdue": None if due is None else max((as_of - due).days, 0)}


def baseline_status(cur: duckdb.DuckDBPyConnection, as_of: date, settings: Sequence[str] | None = None) -> pd.DataFrame:
    """Per pupil, one at a time in Python: setting, pupil_id, plan_type, cadence_rule, last_review, due_date,
    status, days_overdue."""
    where, params = "", []
    if settings is not None:
        where, params = "WHERE setting IN (SELECT unnest(?::VARCHAR[]))", [list(settings)]
    pupils = cur.execute(f"""SELECT p.setting, p.pupil_id, p.date_of_birth, p.year_group, p.sen_status, p.local_authority,
                                    p.date_identified, p.leaving_date, s.phase, s.local_authority
                             FROM pupils p LEFT JOIN settings s USING (setting) {where.replace('setting IN', 'p.setting IN')}""",
                         params).fetchall()
    plans: dict[tuple, list] = defaultdict(list)
    for s, pid, pt, start, end, la in cur.execute(
            f"SELECT setting, pupil_id, plan_type, start_date, end_date, local_authority FROM plans {where}", params).fetchall():
        plans[(s, pid)].append((pt, start, end, la))
    reviews: dict[tuple, list] = defaultdict(list)
    diary: dict[tuple, list] = defaultdict(list)
    for s, pid, pt, d, was_held in cur.execute(
            f"SELECT setting, pupil_id, plan_type, review_date, held FROM reviews {where}", params).fetchall():
        if was_held is not None:
            (reviews if was_held else diary)[(s, pid)].append((pt, d))
    ovs = overrides(cur)
    policies: dict[tuple, Policy] = {}
    out = []
    for s, pid, dob, recorded, sen, la, ident, leaving, phase, setting_la in pupils:
        key = (s, pid)
        ehcp_la = max(((pl[1] or date.min, pl[3]) for pl in plans[key] if pl[0] == "ehcp" and pl[3] is not None
                       and (pl[1] is None or pl[1] <= as_of) and (pl[2] is None or pl[2] > as_of)), default=(None, None))[1]
        policy_la = ehcp_la or la or setting_la
        if (s, policy_la) not in policies:
            policies[(s, policy_la)] = resolve(ovs, s, policy_la)
        code = recorded if recorded in YEAR_INDEX else (index_to_code(year_index(dob, as_of)) if dob else None)
        p = {"dob": dob, "year_group": code, "sen_status": sen, "date_identified": ident, "leaving_date": leaving,
             "phase": phase}
        out.append({"setting": s, "pupil_id": pid, **_evaluate(p, plans[key], reviews[key], policies[(s, policy_la)], as_of,
                                                                 diary[key])})
    return pd.DataFrame(out, columns=["setting", "pupil_id", "plan_type", "cadence_rule", "last_review", "due_date",
                                      "status", "days_overdue"])
