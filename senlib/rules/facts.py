"""Facts layer: what stood for each pupil on the as-of date, before any rule is applied.

Which plans were in force and which one's cadence applies (DESIGN §3: an E pupil has an
EHCP; a K pupil with no plan named is on SEN Support); the year group (from the date of
birth where not recorded); the reviews held for each plan (the last few in full); each of
those reviews' progress judgement (recorded, else judged from the scaling scores); outcome
score histories; EHC needs assessment requests.
"""

from __future__ import annotations

from senlib.core.schoolyear import sql_year_code
from senlib.rules.expr import SCHOOL_YEAR_START, score_at, year_code_index
from senlib.rules.query import CTE, Scope
from senlib.rules.registry import judged

# Order of reviews and scores when the latest few are kept: by date; on the same day a review judged
# less than expected and a higher score count as the later, so the choice never depends on row order.
REVIEW_ORDER = "(epoch(r.review_date) + coalesce(list_position(['more', 'expected', 'less'], r.progress), 0) * 0.01)"
SCORE_ORDER = "(epoch(score_date) + score / 1000.0)"


def year_index(p: str) -> str:
    """SQL: a pupil's year-group index: as recorded, else derived from the date of birth."""
    return f"coalesce({year_code_index(f'{p}.recorded_year_group')}, if({p}.derived_index BETWEEN -2 AND 14, {p}.derived_index, NULL))"


def year_group(p: str) -> str:
    """SQL: a pupil's year group (N1, N2, R, 1..14): as recorded, else derived from the date of birth."""
    return (f"if({year_code_index(f'{p}.recorded_year_group')} IS NULL, {sql_year_code(f'{p}.derived_index')}, "
            f"{p}.recorded_year_group)")


def year_group_mismatch(p: str) -> str:
    """SQL: the recorded year group disagrees with the one derived from the date of birth."""
    return f"coalesce({year_code_index(f'{p}.recorded_year_group')} <> {p}.derived_index, FALSE)"


def facts(scope: Scope) -> list[CTE]:
    """CTEs fct_*: plans in force, pupils, plans evaluated, review history, progress, next review, outcomes, requests."""
    return [
        ("fct_plans", """
        -- per pupil: the plans in force on the as-of date (and whether an EHCP starts later)
        SELECT pk,
               bool_or(in_force AND plan_type = 'ehcp') AS has_ehcp,
               max(start_date) FILTER (in_force AND plan_type = 'ehcp') AS ehcp_start,
               arg_max(local_authority, start_date) FILTER (in_force AND plan_type = 'ehcp') AS ehcp_la,
               bool_or(plan_type = 'ehcp' AND start_date > $as_of) AS ehcp_later,
               bool_or(in_force AND plan_type = 'my_support_plan') AS has_msp,
               max(start_date) FILTER (in_force AND plan_type = 'my_support_plan') AS msp_start,
               bool_or(in_force AND plan_type = 'sen_support') AS has_sen_support,
               max(start_date) FILTER (in_force AND plan_type = 'sen_support') AS sen_support_start,
               bool_or(in_force AND plan_type = 'ihcp') AS has_ihcp,
               max(start_date) FILTER (in_force AND plan_type = 'ihcp') AS ihcp_start
        FROM stg_plans
        GROUP BY pk"""),
        ("fct_pupils", f"""
        -- pupils a rule may apply to (SEN status K or E, or a plan or an EHC request on record): the year group,
        -- the plan whose cadence applies, and the local authority whose policy applies (an EHCP's council,
        -- else the setting's)
        SELECT p.*,
               coalesce(pl.has_ehcp, FALSE) AS has_ehcp, pl.ehcp_start, pl.ehcp_la,
               coalesce(pl.has_msp, FALSE) AS has_msp, pl.msp_start,
               coalesce(pl.has_sen_support, FALSE) AS has_sen_support, pl.sen_support_start,
               coalesce(pl.has_ihcp, FALSE) AS has_ihcp, pl.ihcp_start,
               {year_group('p')} AS year_group,
               {year_index('p')} AS year_index,
               coalesce(p.leaving_date <= $as_of, FALSE) AS has_left,
               CASE
                   WHEN has_left THEN NULL
                   WHEN pl.has_ehcp THEN 'ehcp'
                   WHEN p.sen_status = 'E' AND NOT coalesce(pl.ehcp_later, FALSE)
                        AND coalesce(p.date_identified <= $as_of, TRUE) THEN 'ehcp'
                   WHEN pl.has_msp THEN 'my_support_plan'
                   WHEN pl.has_sen_support THEN 'sen_support'
                   WHEN p.sen_status = 'K' AND coalesce(p.date_identified <= $as_of, TRUE) THEN 'sen_support'
                   WHEN pl.has_ihcp THEN 'ihcp'
               END AS plan_type,
               coalesce(pl.ehcp_la, p.local_authority, p.setting_la) AS policy_la,
               if(list_contains(CAST($ov_settings AS VARCHAR[]), p.setting), p.setting, '') AS setting_key,
               if(list_contains(CAST($ov_las AS VARCHAR[]), policy_la), policy_la, '') AS la_key
        FROM stg_pupils p LEFT JOIN fct_plans pl ON pl.pk = p.pk
        WHERE p.sen_status IN ('K', 'E') OR pl.pk IS NOT NULL OR p.pk IN (SELECT pk FROM stg_requests)"""),
        ("fct_subjects", """
        -- the plans whose cadence is evaluated: each pupil's main plan, and an IHCP running alongside another plan
        SELECT pk, plan_type, TRUE AS is_main,
               CASE plan_type
                   WHEN 'ehcp' THEN if(has_ehcp, ehcp_start, date_identified)
                   WHEN 'my_support_plan' THEN msp_start
                   WHEN 'sen_support' THEN coalesce(sen_support_start, date_identified)
                   WHEN 'ihcp' THEN ihcp_start
               END AS plan_start,
               CASE WHEN plan_type = 'ehcp' AND has_ehcp THEN 'issued'
                    WHEN plan_type = 'ehcp' OR (plan_type = 'sen_support' AND sen_support_start IS NULL) THEN 'identified'
                    ELSE 'started' END AS start_kind,
               dob, year_index, year_group, phase, policy_la, setting_key, la_key, tracked
        FROM fct_pupils WHERE plan_type IS NOT NULL
        UNION ALL
        SELECT pk, 'ihcp', FALSE, ihcp_start, 'started', dob, year_index, year_group, phase, policy_la, setting_key, la_key,
               tracked
        FROM fct_pupils WHERE has_ihcp AND plan_type IS NOT NULL AND plan_type <> 'ihcp'"""),
        ("fct_history", f"""
        -- per evaluated plan: reviews held since it started (a review with no plan type recorded counts for
        -- the pupil's main plan), this school year's, the last one's details, and the last few judgements
        SELECT s.pk, s.plan_type, any_value(s.is_main) AS is_main,
               any_value(s.setting_key) AS setting_key, any_value(s.la_key) AS la_key,
               count(*) AS reviews_held,
               count(*) FILTER (r.review_date >= {SCHOOL_YEAR_START}) AS held_this_year,
               max(r.review_date) AS last_review,
               arg_max_null(r.next_review_date, {REVIEW_ORDER}) AS last_next_date,
               arg_max_null(r.report_sent, {REVIEW_ORDER}) AS last_report_sent,
               arg_max_null(r.la_decision_date, {REVIEW_ORDER}) AS last_la_decision,
               arg_max_null(r.pfa_covered, {REVIEW_ORDER}) AS last_pfa_covered,
               arg_max_null(r.decision, {REVIEW_ORDER}) AS last_decision,
               arg_max_null(r.review_id IS NOT NULL, {REVIEW_ORDER}) AS last_in_app,
               -- '-' stands for 'no judgement recorded' (max_by would skip a NULL and shift the list)
               max_by(coalesce(r.progress, '-'), {REVIEW_ORDER}, {scope.lookback}) AS recorded_progress,
               max_by(r.review_date, {REVIEW_ORDER}, {scope.lookback + 1}) AS recent_reviews
        FROM fct_subjects s
        JOIN stg_reviews r ON r.pk = s.pk AND (r.plan_type = s.plan_type OR (r.plan_type IS NULL AND s.is_main))
        WHERE r.review_date >= coalesce(s.plan_start, r.review_date)
        GROUP BY s.pk, s.plan_type"""),
        ("fct_unjudged", f"""
        -- the last {scope.lookback} reviews of each plan that have no recorded progress judgement, with the review before
        SELECT h.pk, h.plan_type, h.setting_key, h.la_key, i AS recency,
               h.recent_reviews[i] AS review_date, h.recent_reviews[i + 1] AS previous_review
        FROM fct_history h, range(1, {scope.lookback + 1}) t(i)
        WHERE i <= len(h.recorded_progress) AND h.recorded_progress[i] = '-'"""),
        ("fct_outcomes", f"""
        -- per outcome: its latest {scope.score_window} scores and their dates, newest first (same day: higher score
        -- first), and whether the target is reached (direction-aware: a target below the baseline is reached
        -- by falling to it)
        SELECT o.*, coalesce(s.n_scores, 0) AS n_scores, s.last_scores, s.last_dates,
               s.last_scores[1] AS latest_score, s.last_dates[1] AS latest_score_date, s.last_scores[2] AS previous_score,
               coalesce((s.last_scores[1] - o.target) * o.direction >= 0, FALSE) OR coalesce(o.status = 'achieved', FALSE) AS reached
        FROM stg_outcomes o
        LEFT JOIN (SELECT ok, count(*) AS n_scores,
                          max_by(score, {SCORE_ORDER}, {scope.score_window}) AS last_scores,
                          max_by(score_date, {SCORE_ORDER}, {scope.score_window}) AS last_dates
                   FROM stg_scores GROUP BY ok) s ON s.ok = o.ok"""),
        ("fct_score_history", f"""
        -- full score histories ({{d: date, s: score}}, newest first) of the outcomes a rule looks back through:
        -- those of pupils with reviews to judge from scores, and those past their target date at the reviews
        -- targets_not_smart looks at
        SELECT ok, list_reverse_sort(list({{'d': score_date, 's': score}})) AS history
        FROM stg_scores
        WHERE ok IN (SELECT o.ok FROM fct_outcomes o WHERE o.pk IN (SELECT pk FROM fct_unjudged)
                     UNION ALL
                     SELECT o.ok FROM fct_outcomes o JOIN fct_history h ON h.pk = o.pk AND h.is_main
                     WHERE NOT o.reached AND o.target_date <= h.recent_reviews[{scope.fewest_unmet_reviews}])
        GROUP BY ok"""),
        ("fct_judged", f"""
        -- rule progress_from_scores, for the reviews with no recorded judgement: the average over outcomes
        -- scored since the previous review of the rise in score since then (or the baseline), towards the
        -- target, on a 0-10 scale; judged against the policy's expected / more-than-expected rises
        SELECT g.pk, g.plan_type,
               map_from_entries(list({{'key': g.recency,
                                      'value': {judged('g.gain', "ELSE 'less'", ' ' * 52)}}})) AS judged
        FROM ({gains("fct_unjudged", "x.recency", "x.setting_key, x.la_key")}) g
        JOIN stg_policy pol ON pol.setting_key = g.setting_key AND pol.la_key = g.la_key
        GROUP BY g.pk, g.plan_type"""),
        ("fct_progress_recent", """
        -- per evaluated plan: the last reviews' progress judgements (recorded, else judged), newest first
        SELECT h.pk, h.plan_type,
               list_transform(range(1, len(h.recorded_progress) + 1),
                              lambda i: coalesce(nullif(h.recorded_progress[i], '-'), j.judged[i])) AS recent_progress
        FROM fct_history h
        LEFT JOIN fct_judged j ON j.pk = h.pk AND j.plan_type = h.plan_type"""),
        ("fct_next", """
        -- per evaluated plan: the next review in the diary (one scheduled in the app is a reviews row not held), and
        -- what has been sent for it so far (for one kept in the app, what its invitees say); and the last
        -- review the diary had before the as-of date that is not recorded as held (missed)
        SELECT s.pk, s.plan_type,
               min(p.review_date) FILTER (p.review_date >= $as_of) AS planned_review,
               arg_min_null(p.invitations_sent, p.review_date) FILTER (p.review_date >= $as_of) AS planned_invitations,
               arg_min_null(p.reports_received, p.review_date) FILTER (p.review_date >= $as_of) AS planned_reports,
               -- kept in the app with invitees, none of whom is sending a report: no report to wait for
               arg_min_null(p.reports_not_needed, p.review_date) FILTER (p.review_date >= $as_of) AS planned_no_reports,
               arg_min_null(p.review_id IS NOT NULL, p.review_date) FILTER (p.review_date >= $as_of) AS planned_in_app,
               max(p.review_date) FILTER (p.review_date < $as_of) AS missed_review
        FROM fct_subjects s
        JOIN stg_planned p ON p.pk = s.pk AND (p.plan_type = s.plan_type OR (p.plan_type IS NULL AND s.is_main))
        GROUP BY s.pk, s.plan_type"""),
        ("fct_requests", """
        -- EHC needs assessment requests, with the council whose policy applies
        SELECT r.*, p.first_name, p.last_name, coalesce(r.local_authority, p.policy_la) AS request_la, p.setting_key,
               if(list_contains(CAST($ov_las AS VARCHAR[]), request_la), request_la, '') AS la_key, p.has_ehcp, p.ehcp_start
        FROM stg_requests r JOIN fct_pupils p ON p.pk = r.pk"""),
    ]


def gains(source: str, key: str, extra: str = "", history: str = "fct_score_history") -> str:
    """SQL for rule progress_from_scores, for the reviews of `source` (pk, plan_type, review_date,
    previous_review): per review, the average over outcomes scored since the previous review of the rise
    in score since then (or the baseline), towards the target, on a 0-10 scale. One row per
    (pk, plan_type, `key`, `extra`), with `gain`."""
    names = ", ".join(c.split(".")[-1] for c in [key, *[e for e in extra.split(", ") if e]])
    cols = ", ".join([key, *[e for e in extra.split(", ") if e]])
    return f"""
        SELECT pk, plan_type, {names},
               avg((now.s - if(previous_review IS NULL OR before.s IS NULL, baseline, before.s))
                   * direction * 10 / nullif(scale_max - scale_min, 0)) AS gain
        FROM (SELECT x.pk, x.plan_type, {cols}, x.previous_review, o.baseline, o.direction, o.scale_min, o.scale_max,
                     {score_at('h.history', 'x.review_date')} AS now, {score_at('h.history', 'x.previous_review')} AS before
              FROM {source} x
              JOIN fct_outcomes o ON o.pk = x.pk AND coalesce(o.start_date <= x.review_date, TRUE)
              JOIN {history} h ON h.ok = o.ok)
        WHERE now.d > coalesce(previous_review, DATE '0001-01-01')
        GROUP BY ALL"""


def progress(source: str, prefix: str) -> list[CTE]:
    """CTEs {prefix}_review_gains and {prefix}_progress: every review of `source` with
    its progress judgement (recorded, else judged from scores as in fct_judged).

    `source` has pk, plan_type, review_date, previous_review, progress, setting_key, la_key.
    """
    return [
        (f"{prefix}_score_history", f"""
        SELECT ok, list_reverse_sort(list({{'d': score_date, 's': score}})) AS history
        FROM stg_scores
        WHERE ok IN (SELECT o.ok FROM fct_outcomes o WHERE o.pk IN (SELECT pk FROM {source} WHERE progress IS NULL))
        GROUP BY ok"""),
        (f"{prefix}_review_gains", gains(f"(SELECT * FROM {source} WHERE progress IS NULL)", "x.review_date",
                                         history=f"{prefix}_score_history")),
        (f"{prefix}_progress", f"""
        SELECT r.*,
               coalesce(r.progress,
                        {judged('g.gain', "WHEN g.gain IS NOT NULL THEN 'less'", ' ' * 29)}) AS progress_judged,
               CASE WHEN r.progress IS NOT NULL THEN 'recorded' WHEN g.gain IS NOT NULL THEN 'derived' END AS progress_source,
               g.gain AS average_gain
        FROM {source} r
        LEFT JOIN {prefix}_review_gains g ON g.pk = r.pk AND g.plan_type = r.plan_type AND g.review_date = r.review_date
        JOIN stg_policy pol ON pol.setting_key = r.setting_key AND pol.la_key = r.la_key"""),
    ]
