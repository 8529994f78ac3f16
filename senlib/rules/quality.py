"""Review quality (DESIGN §3): per held review, each check as TRUE / FALSE, NULL where unknown.

Checks: held on time (against the cadence in force at the time), invitations in time,
reports in time, parents attended or contributed, the child contributed, next date set,
outcomes scored; for an EHCP also the statutory invitation notice, report to the council,
council decision and (from Year 9) preparing for adulthood.
"""

from __future__ import annotations

from senlib.core.schoolyear import sql_year_index
from senlib.rules.cadence import plan_label
from senlib.rules.expr import plus_months, year_code_index
from senlib.rules.facts import progress
from senlib.rules.query import CTE, Scope
from senlib.rules.registry import cadences, every_months, quality_checks
from senlib.rules.tracking import MEETING_FIELDS, check_tracks, sql_list

CHECKS = ["held_on_time", "invitations_in_time", "reports_in_time", "parents_involved", "child_contributed",
          "next_date_set", "outcomes_scored"]


# Each check, as SQL over q_progress (q) with the policy (pol), outcome scores (sc) and first outcome start (oc): the
# review_quality entry of the registry; and the checks whose blank cell is not done where the column is known.
CHECK_SQL: dict[str, str] = quality_checks().checks
BLANK_NOT_DONE: dict[str, str] = quality_checks().blank_not_done


def _gated(check: str, sql: str) -> str:
    """SQL: a check's value; NULL (not tracked) where the pupil's setting does not track a field it needs, and
    FALSE (not done) for a blank cell in a column its imports had (BLANK_NOT_DONE)."""
    gate = check_tracks(check, "q")
    if gate == "TRUE":
        return sql
    blank = BLANK_NOT_DONE.get(check)
    tracked = blank.format(sql=sql) if blank else sql
    return f"(CASE WHEN q.tracked IS NULL THEN {sql} WHEN {gate} THEN {tracked} END)"


def quality(scope: Scope) -> list[CTE]:
    """CTEs q_*: every held review with its plan, previous review, due date, progress and checks (a check on a field
    the setting's trackers do not have is NULL: not tracked, neither passed nor failed)."""
    checks_sql = ",\n               ".join(f"{_gated(name, sql)} AS {name}" for name, sql in CHECK_SQL.items())
    # the clock that takes over from the plan's other one at the time of the review (ehcp_under5)
    takeovers = "".join(f"{c.takes_over[1]('q.plan_type', 'greatest(q.previous_review, q.plan_start)', 'q.dob')}"
                        f" AS {c.takes_over[0]}," for c in cadences().values() if c.takes_over)
    return [
        ("q_reviews", f"""
        -- every held review of a pupil in scope; a review with no plan type counts for the pupil's main plan
        SELECT r.*, coalesce(r.plan_type, p.plan_type) AS review_plan, p.setting, p.pupil_id, p.first_name, p.last_name,
               p.dob, p.year_index, p.setting_key, p.la_key, p.policy_la,
               -- a review kept in the app: what the app records is tracked for it; any other: what the trackers had
               if(r.review_id IS NOT NULL AND p.setting_tracked IS NOT NULL,
                  list_concat(p.setting_tracked, {sql_list(MEETING_FIELDS)}), p.setting_tracked) AS tracked
        FROM stg_reviews r JOIN fct_pupils p ON p.pk = r.pk"""),
        ("q_sequence", """
        -- the start of the plan of that type in force at the review, and the review before it
        SELECT q.* EXCLUDE (plan_type), q.review_plan AS plan_type, q.plan_type AS recorded_plan_type,
               pl.start_date AS plan_start,
               lag(q.review_date) OVER (PARTITION BY q.pk, q.review_plan
                                        ORDER BY q.review_date, q.kind NULLS LAST) AS previous_review
        FROM q_reviews q
        ASOF LEFT JOIN (SELECT pk, plan_type, start_date FROM stg_plans WHERE start_date IS NOT NULL) pl
             ON pl.pk = q.pk AND pl.plan_type = q.review_plan
            AND q.review_date >= pl.start_date"""),
        *progress("q_sequence", "q"),
        ("q_scored", """
        -- the latest score within the window around each review
        SELECT q.pk, q.plan_type, q.review_date, max(s.score_date) AS nearest_score
        FROM q_sequence q
        JOIN stg_policy pol ON pol.setting_key = q.setting_key AND pol.la_key = q.la_key
        JOIN stg_scores s ON s.pk = q.pk
             AND s.score_date BETWEEN q.review_date - pol.review_quality__score_window_days
                                  AND q.review_date + pol.review_quality__score_window_days
        GROUP BY ALL"""),
        ("q_checks", f"""
        SELECT q.*,
               greatest(q.previous_review, q.plan_start) AS clock_from,
               {takeovers}
               {plus_months('greatest(q.previous_review, q.plan_start)', every_months('q.plan_type'))} AS due_date,
               {checks_sql},
               {check_tracks('pfa_covered', 'q')} AS pfa_tracked,
               q.plan_type = 'ehcp' AND if(q.dob IS NULL, q.year_index, {sql_year_index('q.dob', 'q.review_date')})
                   >= {year_code_index('pol.pfa_from_y9__from_year')} AS pfa_required
        FROM q_progress q
        JOIN stg_policy pol ON pol.setting_key = q.setting_key AND pol.la_key = q.la_key
        LEFT JOIN q_scored sc ON sc.pk = q.pk AND sc.plan_type = q.plan_type AND sc.review_date = q.review_date
        LEFT JOIN (SELECT pk, min(start_date) AS first_start FROM stg_outcomes GROUP BY pk) oc ON oc.pk = q.pk"""),
    ]


def quality_select(since: bool) -> str:
    """The final SELECT of review_quality."""
    checks = ", ".join(CHECKS)
    passed = " + ".join(f"coalesce({c}::INTEGER, 0)" for c in CHECKS)
    known = " + ".join(f"({c} IS NOT NULL)::INTEGER" for c in CHECKS)
    return f"""
SELECT setting, pupil_id, first_name, last_name, plan_type, {plan_label('plan_type')} AS plan, kind, review_date, review_id,
       previous_review, plan_start, due_date, {checks},
       invitations_statutory, report_sent_in_time, la_decision_in_time,
       pfa_required, if(pfa_required AND pfa_tracked, pfa_covered, NULL) AS pfa_covered,
       invitations_sent, reports_received, next_review_date, report_sent, la_decision_date,
       progress_judged AS progress, progress_source, average_gain, decision, policy_la AS local_authority,
       {passed} AS checks_passed, {known} AS checks_known
FROM q_checks
{"WHERE review_date >= $since" if since else ""}
ORDER BY setting, pupil_id, review_date"""
