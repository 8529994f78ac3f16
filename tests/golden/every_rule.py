"""A hand-built caseload on which every rule of the policy fires at least once and every review status occurs.

Besides the demo (demo_status_2026-11-23.csv), the golden snapshot covers this small caseload, evaluated on the same
day (23 Nov 2026, a Monday; the school year began 1 Sep 2026). Each pupil below says which rule(s) it is there for.
The data is inserted straight into the store: with no import on record every field counts as tracked
(senlib.rules.tracking), so no rule is held back as "not tracked". One council has its own value of a rule
(Eastshire Council: invitations 8 weeks before, not 6), which is what makes E01's review due soon.

    make snapshot     writes every_rule_*_2026-11-23.csv beside the demo's (tests/golden/regenerate.py)

tests/test_rules_every_rule.py checks the snapshot, and that every rule id of the policy and every status is in it.
Year groups (school year 2026/27): N1 born Sep 2023-Aug 2024, R Sep 2021-Aug 2022, Y1 2020/21, ..., Y6 2015/16,
Y7 2014/15, Y10 2011/12, Y11 2010/11.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from senlib import access, store
from senlib.rules import (
    default_policy,
    ehc_request_clocks,
    outcome_progress,
    provision,
    pupil_status,
    review_quality,
    set_override,
)

AS_OF = date(2026, 11, 23)
PRIMARY, SECONDARY = "Brook Primary", "Hill Secondary"
NORTHMOOR, EASTSHIRE = "Northmoor Council", "Eastshire Council"
GOLDEN = Path(__file__).parent
SNAPSHOTS = {part: GOLDEN / f"every_rule_{part}_{AS_OF.isoformat()}.csv"
             for part in ("status", "quality", "outcomes", "requests", "provision")}


def _d(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


class _Caseload:
    """One row per call; dates as ISO strings."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def pupil(self, setting: str, pid: str, dob: str, year: str, sen: str, *, la: str | None = None,
              identified: str | None = "2024-09-10", leaving: str | None = None, need: str = "SLCN") -> None:
        self.con.execute(
            """INSERT INTO pupils (setting, pupil_id, first_name, last_name, date_of_birth, year_group, sen_status,
                                   primary_need, local_authority, date_identified, leaving_date)
               VALUES (?, ?, ?, 'Test', ?, ?, ?, ?, ?, ?, ?)""",
            [setting, pid, f"Pupil {pid}", _d(dob), year, sen, need if sen in "KE" else None, la, _d(identified),
             _d(leaving)])

    def plan(self, setting: str, pid: str, plan_type: str, start: str | None, end: str | None = None, *,
             la: str | None = None) -> None:
        self.con.execute("INSERT INTO plans (setting, pupil_id, plan_type, start_date, end_date, local_authority) "
                         "VALUES (?, ?, ?, ?, ?, ?)", [setting, pid, plan_type, _d(start), _d(end), la])

    def review(self, setting: str, pid: str, plan_type: str, day: str, *, held: bool = True, **fields) -> None:
        """A review; dates among `fields` as ISO strings (invitations_sent, reports_received, next_review_date,
        report_sent, la_decision_date), the rest as stored (kind, progress, decision, parent_attended, ...)."""
        cols = {"setting": setting, "pupil_id": pid, "plan_type": plan_type, "review_date": _d(day), "held": held,
                **{k: _d(v) if isinstance(v, str) and k.endswith(("_sent", "_received", "_date")) else v
                   for k, v in fields.items()}}
        self.con.execute(f"INSERT INTO reviews ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                         list(cols.values()))

    def outcome(self, setting: str, pid: str, oid: str, baseline: float, target: float, start: str,
                target_date: str) -> None:
        self.con.execute("""INSERT INTO outcomes (setting, pupil_id, outcome_id, area, description, baseline, target,
                                                  scale_min, scale_max, start_date, target_date, status)
                            VALUES (?, ?, ?, 'communication_interaction', 'Test outcome', ?, ?, 0, 10, ?, ?, 'active')""",
                         [setting, pid, oid, baseline, target, _d(start), _d(target_date)])

    def scores(self, setting: str, pid: str, oid: str, *dated: tuple[str, float]) -> None:
        for day, score in dated:
            self.con.execute("INSERT INTO scores (setting, pupil_id, outcome_id, score_date, score) VALUES (?, ?, ?, ?, ?)",
                             [setting, pid, oid, _d(day), score])

    def provision(self, setting: str, prov: str, name: str, kind: str, role: str | None, sessions: float | None,
                  minutes: float | None, *, weeks: float | None = None, hourly: float | None = None,
                  fixed: float | None = None, measure: str | None = None, expected: float | None = None) -> None:
        self.con.execute("""INSERT INTO provisions (setting, provision_id, name, areas, kind, delivered_by, sessions_per_week,
                                                    minutes_per_session, weeks_per_year, hourly_cost, fixed_cost,
                                                    start_date, measure, expected_gain)
                            VALUES (?, ?, ?, 'cognition_learning', ?, ?, ?, ?, ?, ?, ?, DATE '2025-09-01', ?, ?)""",
                         [setting, prov, name, kind, role, sessions, minutes, weeks, hourly, fixed, measure, expected])

    def place(self, setting: str, pid: str, prov: str, start: str, end: str | None = None, *,
              entry: float | None = None, exit_: float | None = None, attended: float | None = None,
              planned: float | None = None) -> None:
        self.con.execute("""INSERT INTO pupil_provisions (setting, pupil_id, provision_id, start_date, end_date, entry_score,
                                                          exit_score, sessions_attended, sessions_planned)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                         [setting, pid, prov, _d(start), _d(end), entry, exit_, attended, planned])

    def invitee(self, setting: str, pid: str, review_id: str, iid: str, role: str, *, response: str | None = None,
                invited: str | None = None, report: str | None = None, attended: bool | None = None) -> None:
        self.con.execute("""INSERT INTO review_invitees (setting, pupil_id, review_id, invitee_id, name, role, response,
                                                         invited_on, report_received, attended)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                         [setting, pid, review_id, iid, f"Invitee {iid}", role, response, _d(invited), _d(report), attended])

    def action(self, setting: str, pid: str, review_id: str, aid: str, what: str, owner: str, due: str,
               done: str | None = None) -> None:
        self.con.execute("""INSERT INTO review_actions (setting, pupil_id, review_id, action_id, action, owner, due_date,
                                                        done_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                         [setting, pid, review_id, aid, what, owner, _d(due), _d(done)])

    def request(self, setting: str, pid: str, requested: str, *, decided: str | None = None,
                decision: str | None = None, final: str | None = None) -> None:
        self.con.execute("""INSERT INTO ehc_requests (setting, pupil_id, requested, decision_date, decision, final_plan_date)
                            VALUES (?, ?, ?, ?, ?, ?)""", [setting, pid, _d(requested), _d(decided), decision, _d(final)])


# A review with everything done on time (EHC plan: report to the council, its decision; the next date agreed).
def _good(invited: str, reports: str, nxt: str | None, **more) -> dict:
    return {"invitations_sent": invited, "reports_received": reports, "parent_attended": True,
            "child_contributed": True, "next_review_date": nxt, **more}


def build(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Fill an empty store with the caseload; returns `con`."""
    c = _Caseload(con)
    con.execute("INSERT INTO settings VALUES (?, 'primary', ?), (?, 'secondary', ?)",
                [PRIMARY, NORTHMOOR, SECONDARY, NORTHMOOR])
    # A council's own value (per-local-authority override): invitations 8 weeks before a review, so due soon from 8.
    set_override(con, "invite_good_practice", "weeks", 8, local_authority=EASTSHIRE, user="every_rule fixture")

    p = PRIMARY
    # P01 sen_support_termly, overdue: last reviewed 10 Jun 2026, so due by 10 Oct 2026. The review of 20 Jan was
    # late (quality: held_on_time FALSE): the plan started 1 Sep 2025, so its first review was due by 1 Jan.
    c.pupil(p, "P01", "2019-03-10", "3", "K")
    c.plan(p, "P01", "sen_support", "2025-09-01")
    c.review(p, "P01", "sen_support", "2026-01-20", kind="termly", progress="expected",
             **_good("2025-12-01", "2026-01-05", "2026-05-20"))
    c.review(p, "P01", "sen_support", "2026-06-10", kind="termly", progress="expected",
             **_good("2026-04-20", "2026-05-25", "2026-10-10"))

    # P02 msp_termly, on track; consider_ehc_request: the last 2 APDR cycles of the My Support Plan judged less than
    # expected, and the request of May 2025 was refused (EHC clocks: decided on time; no final plan due).
    c.pupil(p, "P02", "2017-02-01", "5", "K")
    c.plan(p, "P02", "sen_support", "2024-09-01", "2025-09-01")
    c.plan(p, "P02", "my_support_plan", "2025-09-01")
    c.request(p, "P02", "2025-05-01", decided="2025-06-10", decision="refused")
    c.review(p, "P02", "my_support_plan", "2026-03-16", kind="termly", progress="less",
             **_good("2026-02-02", "2026-03-02", "2026-07-06"))
    c.review(p, "P02", "my_support_plan", "2026-10-01", kind="termly", progress="less",
             **_good("2026-08-19", "2026-09-17", "2027-01-28"))

    # P03 consider_pcp_msp, from progress_from_scores: its last two reviews record no judgement, and the score rose
    # 0.5 each time (less than the expected 1 point). The review of 1 Dec 2025 had no score near it (quality:
    # outcomes_scored FALSE) and no parent (parents_involved FALSE).
    c.pupil(p, "P03", "2018-01-15", "4", "K")
    c.plan(p, "P03", "sen_support", "2025-09-01")
    c.outcome(p, "P03", "O1", 2, 8, "2025-09-01", "2027-07-01")
    c.scores(p, "P03", "O1", ("2025-09-01", 2), ("2026-04-20", 2.5), ("2026-09-28", 3))
    c.review(p, "P03", "sen_support", "2025-12-01", kind="termly", progress="expected",
             **_good("2025-10-13", "2025-11-17", "2026-04-20", parent_attended=False))
    c.review(p, "P03", "sen_support", "2026-04-20", kind="termly",
             **_good("2026-03-02", "2026-04-06", "2026-09-28"))
    c.review(p, "P03", "sen_support", "2026-09-28", kind="termly",
             **_good("2026-08-17", "2026-09-14", "2027-01-20"))

    # P04 early_years_forum: in Reception, the last review judged less than expected, no referral decided yet.
    c.pupil(p, "P04", "2021-12-01", "R", "K", need="SEMH")
    c.plan(p, "P04", "sen_support", "2026-01-15")
    c.review(p, "P04", "sen_support", "2026-04-30", kind="termly", progress="expected",
             **_good("2026-03-19", "2026-04-16", "2026-10-05"))
    c.review(p, "P04", "sen_support", "2026-10-05", kind="termly", progress="less", decision="maintain",
             **_good("2026-08-24", "2026-09-21", "2027-01-25"))

    # P05 consider_reducing: the last 2 reviews judged expected or more, and its one outcome is reached.
    c.pupil(p, "P05", "2019-10-01", "2", "K")
    c.plan(p, "P05", "sen_support", "2025-09-01")
    c.outcome(p, "P05", "O1", 2, 6, "2025-09-01", "2026-07-01")
    c.scores(p, "P05", "O1", ("2025-09-01", 2), ("2026-02-02", 4), ("2026-10-20", 6))
    c.review(p, "P05", "sen_support", "2026-02-02", kind="termly", progress="expected",
             **_good("2025-12-15", "2026-01-19", "2026-06-01"))
    c.review(p, "P05", "sen_support", "2026-06-01", kind="termly", progress="expected",
             **_good("2026-04-20", "2026-05-18", "2026-10-20"))
    c.review(p, "P05", "sen_support", "2026-10-20", kind="termly", progress="more", decision="maintain",
             **_good("2026-09-07", "2026-10-06", "2027-02-10"))

    # P06 targets_not_smart and stalled_outcome: O1 was due by 1 Mar 2026, scored 3 of 7 at both reviews since.
    # The child did not contribute to the last review (child_contributed FALSE).
    c.pupil(p, "P06", "2015-11-11", "6", "K", need="MLD")
    c.plan(p, "P06", "sen_support", "2025-03-01")
    c.outcome(p, "P06", "O1", 1, 7, "2025-03-01", "2026-03-01")
    c.scores(p, "P06", "O1", ("2025-03-01", 1), ("2026-03-20", 3), ("2026-09-15", 3))
    c.review(p, "P06", "sen_support", "2026-03-20", kind="termly", progress="expected",
             **_good("2026-02-06", "2026-03-06", "2026-07-10"))
    c.review(p, "P06", "sen_support", "2026-09-15", kind="termly", progress="expected",
             **_good("2026-08-03", "2026-09-01", "2027-01-10", child_contributed=False))

    # P07 status no_review_date: on SEN Support with no plan, no date identified and no review: nothing to date from.
    c.pupil(p, "P07", "2020-11-06", "1", "K", identified=None)

    # P08 status due_soon from the next review date recorded (no start or review date: next_recorded sentence);
    # invite_good_practice: the review is on 15 Dec, invitations were due by 3 Nov and none are recorded.
    c.pupil(p, "P08", "2018-11-05", "3", "K", identified=None)
    c.plan(p, "P08", "sen_support", None)
    c.review(p, "P08", "sen_support", "2026-12-15", held=False, kind="termly")

    # P09 ihcp_annual as the main plan: an Individual Healthcare Plan only, started 1 Sep 2025, never reviewed: overdue.
    c.pupil(p, "P09", "2019-12-12", "2", "N")
    c.plan(p, "P09", "ihcp", "2025-09-01")

    # P10 ihcp_annual as a flag (an IHCP alongside SEN Support, last reviewed 1 Oct 2025: overdue); next_date_set:
    # the SEN Support review of 14 Oct 2026 agreed no next date (quality: next_date_set FALSE).
    c.pupil(p, "P10", "2018-10-10", "3", "K", need="PD")
    c.plan(p, "P10", "sen_support", "2025-09-01")
    c.plan(p, "P10", "ihcp", "2025-06-01")
    c.review(p, "P10", "ihcp", "2025-10-01", kind="annual", **_good("2025-08-18", "2025-09-15", "2026-10-01"))
    c.review(p, "P10", "sen_support", "2026-01-12", kind="termly", progress="expected",
             **_good("2025-11-24", "2025-12-22", "2026-05-11"))
    c.review(p, "P10", "sen_support", "2026-05-11", kind="termly", progress="expected",
             **_good("2026-03-30", "2026-04-27", "2026-10-14"))
    c.review(p, "P10", "sen_support", "2026-10-14", kind="termly", progress="expected",
             **_good("2026-09-02", "2026-09-30", None))

    # P11 EHC clocks running: a request made 2 Nov 2026, the council has until 14 Dec to decide (no flag yet).
    c.pupil(p, "P11", "2017-12-20", "4", "K")
    c.plan(p, "P11", "my_support_plan", "2025-11-03")
    c.request(p, "P11", "2026-11-02")
    c.review(p, "P11", "my_support_plan", "2026-03-02", kind="termly", progress="less",
             **_good("2026-01-19", "2026-02-16", "2026-07-01"))
    c.review(p, "P11", "my_support_plan", "2026-07-01", kind="termly", progress="less",
             decision="request_ehc_assessment", **_good("2026-05-20", "2026-06-17", "2026-11-02"))
    c.review(p, "P11", "my_support_plan", "2026-11-02", kind="termly", progress="less",
             decision="request_ehc_assessment", **_good("2026-09-21", "2026-10-19", "2027-02-22"))

    # P12 ehc_assess_decision: requested 1 Sep 2026, no decision by 13 Oct (6 weeks): overdue.
    c.pupil(p, "P12", "2018-12-12", "3", "K", need="ASD")
    c.plan(p, "P12", "my_support_plan", "2025-11-01")
    c.request(p, "P12", "2026-09-01")
    c.review(p, "P12", "my_support_plan", "2026-03-10", kind="termly", progress="less",
             **_good("2026-01-26", "2026-02-24", "2026-07-08"))
    c.review(p, "P12", "my_support_plan", "2026-07-08", kind="termly", progress="less",
             decision="request_ehc_assessment", **_good("2026-05-27", "2026-06-24", "2026-10-12"))
    c.review(p, "P12", "my_support_plan", "2026-10-12", kind="termly", progress="expected",
             **_good("2026-08-31", "2026-09-28", "2027-02-01"))

    # P13 ehc_final_plan: requested 2 Mar 2026, agreed late (20 Apr, after 13 Apr), no final plan by 20 Jul: overdue.
    c.pupil(p, "P13", "2016-10-20", "5", "K", need="SPLD")
    c.plan(p, "P13", "my_support_plan", "2025-01-10")
    c.request(p, "P13", "2026-03-02", decided="2026-04-20", decision="agreed")
    c.review(p, "P13", "my_support_plan", "2026-10-05", kind="termly", progress="expected",
             **_good("2026-08-24", "2026-09-21", "2027-01-25"))

    # P14 ehcp_under5, on track: in Nursery 1 (born 1 Oct 2023), so reviewed every 6 months: due by 10 Jan 2027. Its
    # EHC plan came late: agreed on time (6 Oct 2025), final plan 1 Feb 2026, after the 20 weeks (19 Jan).
    c.pupil(p, "P14", "2023-10-01", "N1", "E", la=NORTHMOOR, identified="2025-06-01")
    c.request(p, "P14", "2025-09-01", decided="2025-10-06", decision="agreed", final="2026-02-01")
    c.plan(p, "P14", "ehcp", "2026-02-01", la=NORTHMOOR)
    c.review(p, "P14", "ehcp", "2026-07-10", kind="interim",
             **_good("2026-05-29", "2026-06-26", "2027-01-08", report_sent="2026-07-17",
                     la_decision_date="2026-07-30", decision="maintain"))

    # P15 phase_transfer: an EHC plan in Year 6 not yet reviewed this school year: to be amended by 15 Feb 2027, so
    # reviewed 12 weeks before, by 23 Nov 2026 (today: due soon), sooner than its annual review (5 Mar 2027).
    # Its EHC request of 2021 was decided and the plan issued on time.
    c.pupil(p, "P15", "2016-03-03", "6", "E", la=NORTHMOOR, identified="2020-09-01")
    c.request(p, "P15", "2021-09-01", decided="2021-10-11", decision="agreed", final="2022-01-10")
    c.plan(p, "P15", "ehcp", "2022-01-10", la=NORTHMOOR)
    c.review(p, "P15", "ehcp", "2026-03-05", kind="annual",
             **_good("2026-01-22", "2026-02-19", "2027-03-01", report_sent="2026-03-12",
                     la_decision_date="2026-03-26", decision="maintain"))

    # Pupils no rule applies to (status not_applicable): no SEN; left; identified after the as-of date.
    c.pupil(p, "N01", "2017-06-01", "5", "N", identified=None)
    c.pupil(p, "N02", "2016-04-01", "6", "K", leaving="2026-07-20")
    c.plan(p, "N02", "sen_support", "2024-09-01")
    c.pupil(p, "N03", "2019-01-09", "3", "K", identified="2026-12-01")

    s = SECONDARY
    # E01 ehcp_annual, due soon under the Eastshire value (8 weeks' invitation window: due soon from 17 Nov; under the
    # default 6 weeks it would be on track until 1 Dec). Everything else done on time: no flag.
    c.pupil(s, "E01", "2013-11-05", "8", "E", la=EASTSHIRE)
    c.plan(s, "E01", "ehcp", "2024-01-15", la=EASTSHIRE)
    c.review(s, "E01", "ehcp", "2025-01-13", kind="annual", progress="expected",
             **_good("2024-11-25", "2024-12-23", "2026-01-12", report_sent="2025-01-20",
                     la_decision_date="2025-02-03", decision="maintain"))
    c.review(s, "E01", "ehcp", "2026-01-12", kind="annual", progress="expected",
             **_good("2025-11-17", "2025-12-22", "2027-01-11", report_sent="2026-01-20",
                     la_decision_date="2026-02-02", decision="maintain"))
    c.review(s, "E01", "ehcp", "2027-01-11", held=False, kind="annual", invitations_sent="2026-11-10")

    # E02 ehcp_annual, overdue (last reviewed 15 Oct 2025); the review decided 'amend' and nothing followed:
    # report_after (no report to the council), la_decision (no decision), amend_ehcp. It was a poor review:
    # invitations a week before, reports the day before (quality: invitations_in_time, invitations_statutory,
    # reports_in_time, report_sent_in_time, la_decision_in_time all FALSE).
    c.pupil(s, "E02", "2014-12-04", "7", "E", la=NORTHMOOR, need="SEMH")
    c.plan(s, "E02", "ehcp", "2024-10-20", la=NORTHMOOR)
    c.review(s, "E02", "ehcp", "2025-10-15", kind="annual", progress="less", decision="amend",
             **_good("2025-10-08", "2025-10-14", "2026-10-15"))

    # E03 invite_statutory, advice_before and invite_good_practice: the annual review is in the diary for 2 Dec 2026,
    # with no invitations sent (2 weeks: by 18 Nov) and no reports received (by 18 Nov). Due soon (3 Dec).
    c.pupil(s, "E03", "2014-10-10", "7", "E", la=NORTHMOOR, need="HI")
    c.plan(s, "E03", "ehcp", "2024-12-05", la=NORTHMOOR)
    c.review(s, "E03", "ehcp", "2025-12-03", kind="annual", progress="expected",
             **_good("2025-10-20", "2025-11-17", "2026-12-02", report_sent="2025-12-10",
                     la_decision_date="2025-12-22", decision="maintain"))
    c.review(s, "E03", "ehcp", "2026-12-02", held=False, kind="annual")

    # E04 pfa_from_y9: in Year 10, the review of 12 May 2026 (Year 9 then) is not recorded as covering preparing
    # for adulthood (quality: pfa_covered FALSE).
    c.pupil(s, "E04", "2012-01-15", "10", "E", la=NORTHMOOR, need="ASD")
    c.plan(s, "E04", "ehcp", "2020-05-01", la=NORTHMOOR)
    c.review(s, "E04", "ehcp", "2026-05-12", kind="annual", progress="expected", pfa_covered=False,
             **_good("2026-03-30", "2026-04-27", "2027-05-10", report_sent="2026-05-19",
                     la_decision_date="2026-06-02", decision="maintain"))

    # E05 the post-16 transfer year done well: Year 11, reviewed 1 Oct 2026 (transition review) covering preparing
    # for adulthood; the next review is the annual one (on track). No flag.
    c.pupil(s, "E05", "2011-04-04", "11", "E", la=NORTHMOOR, need="VI")
    c.plan(s, "E05", "ehcp", "2019-09-01", la=NORTHMOOR)
    c.review(s, "E05", "ehcp", "2026-10-01", kind="transition", progress="expected", pfa_covered=True,
             **_good("2026-07-15", "2026-09-10", "2027-03-01", report_sent="2026-10-08",
                     la_decision_date="2026-10-20", decision="maintain"))

    # E06 review meetings kept in the app (issue 17). Its review of Jan 2025 is known from a tracker; the annual
    # review of 20 Jan 2026 was recorded in the app: the
    # invitees say invitations went on 1 Dec 2025 and the EP's report came on 5 Jan 2026 (quality: in time), the parent
    # attended; but no child's views are recorded (child_views_missing). Of its actions, one was due by 1 Mar 2026 and
    # is not done (actions_overdue), one is due today (not overdue yet), one is done. The next review, scheduled in the
    # app for 18 Jan 2027, invites the parent (attending: no report expected, so reports are not needed) but not the
    # council's SEN officer (invitee_missing).
    c.pupil(s, "E06", "2013-02-02", "8", "E", la=NORTHMOOR, need="SLCN")
    c.plan(s, "E06", "ehcp", "2024-01-22", la=NORTHMOOR)
    c.review(s, "E06", "ehcp", "2025-01-20", kind="annual", progress="expected",
             **_good("2024-12-02", "2025-01-02", "2026-01-19", report_sent="2025-01-27",
                     la_decision_date="2025-02-10", decision="maintain"))
    c.review(s, "E06", "ehcp", "2026-01-20", kind="annual", progress="expected", review_id="R-0000E061",
             next_review_date="2027-01-18", report_sent="2026-01-27", la_decision_date="2026-02-10", decision="maintain")
    c.invitee(s, "E06", "R-0000E061", "I1", "parent_carer", response="attending", invited="2025-12-01", attended=True)
    c.invitee(s, "E06", "R-0000E061", "I2", "ep_advisory", response="sending_report", invited="2025-11-28",
              report="2026-01-05", attended=False)
    c.action(s, "E06", "R-0000E061", "A1", "Refer to speech and language therapy", "Ms Khan", "2026-03-01")
    c.action(s, "E06", "R-0000E061", "A2", "Visual timetable in class", "Mr Lee", "2026-11-23")
    c.action(s, "E06", "R-0000E061", "A3", "Share the plan with the new tutor", "Ms Khan", "2026-02-01", "2026-01-30")
    c.review(s, "E06", "ehcp", "2027-01-18", held=False, kind="annual", review_id="R-0000E062")
    c.invitee(s, "E06", "R-0000E062", "I1", "parent_carer", response="attending")

    # Provision, recorded by the secondary only (so the primary's pupils are not checked: not tracked there).
    # provision_cost: 1:1 support 5 h x 38 x £20 (its own hourly cost) = £3,800; outreach 1 h x 38 x £55 (the
    # specialist teacher's default) + £300 = £2,390. provision_over_notional: E01 on both, £6,190, and a share of the social skills group below: £6,292.60 this school year;
    # provision_attendance_low: E01 attended 60 of 100 planned sessions of the 1:1 support.
    c.provision(s, "PV1", "1:1 support", "one_to_one", "teaching_assistant", 5, 60, weeks=38, hourly=20)
    c.provision(s, "PV2", "Specialist teacher outreach", "external", "specialist_teacher", 1, 60, fixed=300)
    c.place(s, "E01", "PV1", "2026-09-01", attended=60, planned=100)
    c.place(s, "E01", "PV2", "2026-09-01")
    # provision_low_impact: the social skills group's five pupils gained 1, 1, 2, 0, 3 on the scaling measure
    # (median 1) against 2 expected.
    c.provision(s, "PV3", "Social skills group", "small_group", "teaching_assistant", 1, 45, measure="scaling", expected=2)
    for pid, gain in (("E01", 1), ("E02", 1), ("E03", 2), ("E04", 0), ("E05", 3)):
        c.place(s, pid, "PV3", "2026-09-01", "2026-10-30", entry=3, exit_=3 + gain)
    # register_without_provision: E05 has nothing running now; E02-E04 and E06 have a homework club (nothing to cost).
    c.provision(s, "PV4", "Homework club", "in_class", None, None, None)
    for pid in ("E02", "E03", "E04", "E06"):
        c.place(s, pid, "PV4", "2026-09-01")
    # provision_no_exit: E04's reading intervention (a standardised score) ended on 1 Nov 2026 with no exit score.
    c.provision(s, "PV5", "Reading intervention", "small_group", "teacher", 3, 30, measure="standardised", expected=5)
    c.place(s, "E04", "PV5", "2026-09-01", "2026-11-01", entry=82)
    return con


def connect() -> duckdb.DuckDBPyConnection:
    """A new in-memory store holding the caseload."""
    return build(store.connect(":memory:"))


def _csv(df: pd.DataFrame) -> str:
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    return out.to_csv(index=False, lineterminator="\n")


QUALITY_COLUMNS = ["setting", "pupil_id", "plan_type", "kind", "review_date", "due_date", "held_on_time",
                   "invitations_in_time", "invitations_statutory", "reports_in_time", "parents_involved",
                   "child_contributed", "next_date_set", "outcomes_scored", "report_sent_in_time", "la_decision_in_time",
                   "pfa_required", "pfa_covered", "progress", "progress_source", "average_gain", "checks_passed",
                   "checks_known"]
OUTCOME_COLUMNS = ["setting", "pupil_id", "outcome_id", "baseline", "target", "target_date", "n_scores", "latest_score",
                   "reached", "stalled", "stalled_rule", "stalled_reason"]
REQUEST_COLUMNS = ["setting", "pupil_id", "local_authority", "requested", "decision_due", "decision_date", "decision",
                   "decision_state", "decision_rule", "decision_reason", "final_due", "final_plan_date", "final_state",
                   "final_rule", "final_reason"]


def evaluate(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    """Everything the rules say about the caseload on AS_OF: pupil_status, review_quality, outcome_progress and
    ehc_request_clocks, each in a fixed order."""
    viewer = access.TRUSTED
    return {
        "status": pupil_status(con, AS_OF, viewer=viewer).sort_values(["setting", "pupil_id"]),
        "quality": review_quality(con, AS_OF, viewer=viewer).sort_values(["setting", "pupil_id", "review_date", "plan_type"]),
        "outcomes": outcome_progress(con, AS_OF, viewer=viewer).sort_values(["setting", "pupil_id", "outcome_id"]),
        "requests": ehc_request_clocks(con, AS_OF, viewer=viewer).sort_values(["setting", "pupil_id", "requested"]),
        "provision": provision.flags(con, AS_OF, viewer=viewer),
        "interventions": provision.interventions(con, AS_OF, viewer=viewer),
    }


def snapshot_texts(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Each part of the snapshot as CSV text (the status part in the demo snapshot's columns and format)."""
    from tests.golden.regenerate import snapshot_text

    frames = evaluate(con)
    return {
        "status": snapshot_text(con),
        "quality": _csv(frames["quality"][QUALITY_COLUMNS]),
        "outcomes": _csv(frames["outcomes"][OUTCOME_COLUMNS]),
        "requests": _csv(frames["requests"][REQUEST_COLUMNS]),
        "provision": _csv(pd.concat([
            frames["interventions"][["setting", "provision_id", "name", "hours_week", "cost_year"]]
            .assign(rule_id="provision_cost", pupil_id="", reason=""),
            frames["provision"][["setting", "pupil_id", "provision_id", "rule_id", "reason"]]])
            [["setting", "rule_id", "pupil_id", "provision_id", "name", "hours_week", "cost_year", "reason"]]
            .round(2)),
    }


def fired(frames: dict[str, pd.DataFrame]) -> dict[str, set[str]]:
    """Rule id -> where it fired on the caseload ('pupil P01: cadence_rule', 'review P03 2026-04-20: ...').

    A cadence rule fires when it sets a pupil's due date (cadence_rule); a flag rule when its id is among the pupil's
    flags; stalled_outcome also per outcome (outcome_progress.stalled_rule); the EHC request clocks when a clock is
    late or overdue (ehc_request_clocks decision_rule / final_rule); review_quality when a check of a held review
    fails; progress_from_scores when a review's progress is judged from scores (progress_source 'derived')."""
    out: dict[str, set[str]] = {}

    def add(rule: str, where: str) -> None:
        out.setdefault(rule, set()).add(where)

    for r in frames["status"].itertuples():
        if isinstance(r.cadence_rule, str):
            add(r.cadence_rule, f"{r.pupil_id}: cadence_rule")
        for f in r.flags:
            add(f, f"{r.pupil_id}: flag")
    for r in frames["outcomes"].itertuples():
        if isinstance(r.stalled_rule, str):
            add(r.stalled_rule, f"{r.pupil_id} {r.outcome_id}: stalled_rule")
    for r in frames["requests"].itertuples():
        if r.decision_state in ("late", "overdue"):
            add(r.decision_rule, f"{r.pupil_id} request {r.requested:%Y-%m-%d}: decision {r.decision_state}")
        if r.final_state in ("late", "overdue"):
            add(r.final_rule, f"{r.pupil_id} request {r.requested:%Y-%m-%d}: final plan {r.final_state}")
    quality = frames["quality"]
    for rule in default_policy().rules.values():
        for check in rule.check_needs:
            for r in quality[quality[check].eq(False).fillna(False)].itertuples():
                add(rule.id, f"{r.pupil_id} review {r.review_date:%Y-%m-%d}: {check} failed")
    for r in frames["provision"].itertuples():
        add(r.rule_id, f"{r.pupil_id if isinstance(r.pupil_id, str) else r.provision_id}: provision flag")
    for r in frames["interventions"][frames["interventions"]["cost_year"].notna()].itertuples():
        add("provision_cost", f"{r.provision_id}: costed £{r.cost_year:,.2f}")
    for r in quality[quality["progress_source"] == "derived"].itertuples():
        add("progress_from_scores", f"{r.pupil_id} review {r.review_date:%Y-%m-%d}: progress {r.progress} from scores")
    return out
