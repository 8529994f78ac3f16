"""The rules evaluated for an as-of date: the functions pages and the command line call.

Each takes a DuckDB cursor, the as-of date and `settings` (None: every setting; else only
these, the access scope of a trust user) and returns a pandas DataFrame. Evaluation is one
SQL statement (staging -> facts -> rules -> marts), never a Python loop per pupil.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb
import pandas as pd

from senlib import access
from senlib.access import Viewer
from senlib.rules.cadence import cadence
from senlib.rules.facts import facts
from senlib.rules.flags import flags, outcome_rules
from senlib.rules.marts import REGISTER_SUMMARY, outcome_progress_select, pupil_status_select, register, request_clocks, results
from senlib.rules.quality import quality, quality_select
from senlib.rules.query import Scope, run, with_ctes
from senlib.rules.staging import staging


def status_sql(scope: Scope) -> str:
    """The whole pupil_status statement (also handy to read: it is the policy, in SQL)."""
    return with_ctes([*staging(scope), *facts(scope), *cadence(scope), *outcome_rules(scope), *flags(scope),
                      *results(scope)], pupil_status_select())


def pupil_status(cur: duckdb.DuckDBPyConnection, as_of: date, settings: Sequence[str] | None = None, *,
                 viewer: Viewer) -> pd.DataFrame:
    """Every pupil's review status on `as_of`, with the rule, the sentence and the source behind it.

    One row per pupil in scope (not_applicable ones included), in no particular order (sorting a million
    rows would cost more than the evaluation's slowest step; sort what you show). Columns:
    setting, pupil_id, first_name, last_name, date_of_birth;
    year_group (recorded, else derived from the date of birth), recorded_year_group, derived_year_group,
    year_group_mismatch (recorded and derived disagree); class, key_worker, sen_status (N/K/E),
    primary_need, secondary_need (census codes);
    plan_type (the plan whose cadence applies: ehcp / my_support_plan / sen_support / ihcp; None if none),
    local_authority (the EHCP's council as recorded), policy_la (the council whose policy applies: the
    EHCP's, else the setting's);
    cadence_rule (rule id), plan_start (issue/start date; date identified where no plan is recorded),
    last_review, due_date (from the clock; with no review, start or identified date recorded, the next review
    date recorded), status (overdue / no_review_date / due_soon / on_track / not_applicable; no_review_date:
    nothing recorded to date the review from, never counted as on time), days_overdue (0 when not overdue;
    None when not applicable or no date is known), days_to_due (due_date - as_of),
    status_reason (sentence from the pupil's own dates), status_source;
    next_review (the scheduled review, else the date agreed at the last review, else the due date),
    next_review_basis (scheduled / agreed / due_date), invite_by, invite_state (done / missed / to_come),
    invite_statutory_by (EHCP), reports_by (EHCP), reports_state; reviews_held (of this plan since it
    started), held_this_year;
    flags (list of rule ids, in policy order), flag_reasons (list of sentences), flag_sources (list);
    leaving_date, has_left.

    For SENCos and senior leaders only (these are pupil records), and only their settings; every function here
    is (access.staff_scope).
    """
    return run(cur, as_of, access.staff_scope(viewer, settings), status_sql)


def due_dates(cur: duckdb.DuckDBPyConnection, as_of: date, settings: Sequence[str] | None = None, *, viewer: Viewer) -> pd.DataFrame:
    """The cadence rules only: per pupil, the plan whose cadence applies, its last review, due date and status.

    No milestones, flags or sentences: for counts that need nothing else, and the like-for-like comparison
    with the per-pupil Python implementation (benchmarks/bench_rules.py). Columns: setting, pupil_id,
    plan_type, cadence_rule, last_review, due_date, status, days_overdue.
    """
    def build(scope: Scope) -> str:
        final = """
SELECT s.setting, s.pupil_id, c.plan_type, c.cadence_rule, c.last_review, c.due_date,
       coalesce(c.status, 'not_applicable') AS status, c.days_overdue
FROM stg_pupils s LEFT JOIN rule_due c ON c.pk = s.pk AND c.is_main"""
        return with_ctes([*staging(scope), *facts(scope), *cadence(scope)], final)

    return run(cur, as_of, access.staff_scope(viewer, settings), build)


def review_quality(cur: duckdb.DuckDBPyConnection, as_of: date, settings: Sequence[str] | None = None,
                   *, viewer: Viewer, since: date | None = None) -> pd.DataFrame:
    """Every review held on or before `as_of` (and on or after `since`, if given) with its quality checks.

    One row per held review. Columns: setting, pupil_id, first_name, last_name, plan_type, plan (label),
    kind, review_date, review_id (a review kept in the app; None: known only from a tracker), previous_review, plan_start, due_date (when it was due under the cadence then in
    force); checks, each TRUE / FALSE / None where unknown: held_on_time, invitations_in_time (good
    practice weeks), reports_in_time, parents_involved, child_contributed, next_date_set,
    outcomes_scored (a score within review_quality.score_window_days; None if the pupil has no
    outcomes); EHCP only: invitations_statutory, report_sent_in_time, la_decision_in_time, pfa_required,
    pfa_covered; the recorded dates invitations_sent, reports_received, next_review_date, report_sent,
    la_decision_date; progress (recorded, else judged from scores), progress_source (recorded /
    derived / None), average_gain, decision, local_authority (policy council); checks_passed and
    checks_known (out of the seven core checks).
    """
    def build(scope: Scope) -> str:
        return with_ctes([*staging(scope), *facts(scope), *quality(scope)], quality_select(since is not None))

    return run(cur, as_of, access.staff_scope(viewer, settings), build, {"since": since} if since else None)


def ehc_request_clocks(cur: duckdb.DuckDBPyConnection, as_of: date, settings: Sequence[str] | None = None, *, viewer: Viewer) -> pd.DataFrame:
    """Every request for an EHC needs assessment made on or before `as_of`, with its two statutory clocks.

    Columns: setting, pupil_id, first_name, last_name, local_authority, requested;
    decision_due (6 weeks, rule ehc_assess_decision), decision_date, decision (agreed / refused),
    decision_state (on_time / late / overdue / running), decision_reason (sentence);
    final_due (20 weeks, rule ehc_final_plan), final_plan_date, final_state (on_time / late / overdue /
    running / not_applicable when refused), final_reason; decision_rule, final_rule, decision_source,
    final_source.
    """
    def build(scope: Scope) -> str:
        return with_ctes([*staging(scope), *facts(scope), *request_clocks(scope)],
                         "SELECT * FROM mart_requests ORDER BY setting, pupil_id, requested")

    return run(cur, as_of, access.staff_scope(viewer, settings), build)


def register_summary(cur: duckdb.DuckDBPyConnection, as_of: date, settings: Sequence[str] | None = None, *, viewer: Viewer) -> pd.DataFrame:
    """Reviews held this school year (1 September to `as_of`) against the number the rules require.

    One row for all plans (plan_type 'all', first) and one per plan type. Columns: plan_type, plan
    (label), pupils (plans evaluated, an IHCP alongside another plan counted too), reviews_required (for
    the whole school year, pro rata for plans started during it), required_to_date (pro rata to as_of),
    reviews_held, reviews_counted (held, capped at each plan's requirement), reviews_still_needed,
    pupils_complete, pupils_behind (held fewer than required to date), share_held
    (reviews_counted / reviews_required), year_start, year_end.
    """
    def build(scope: Scope) -> str:
        return with_ctes([*staging(scope), *facts(scope), *cadence(scope), *register(scope)], REGISTER_SUMMARY)

    return run(cur, as_of, access.staff_scope(viewer, settings), build)


def main_plans(cur: duckdb.DuckDBPyConnection, as_of: date, settings: Sequence[str] | None = None, *, viewer: Viewer) -> pd.DataFrame:
    """Each pupil's main plan on `as_of`: the plan whose review cadence applies (fct_pupils.plan_type: an EHC plan,
    else a My Support Plan, else SEN Support, with the SEN status standing in for a plan not recorded, else an IHCP).
    The one definition the Pupil and Progress pages show. Columns: setting, pupil_id, plan_type (None: no plan)."""
    def build(scope: Scope) -> str:
        return with_ctes([*staging(scope), *facts(scope)], "SELECT setting, pupil_id, plan_type FROM fct_pupils")

    return run(cur, as_of, access.staff_scope(viewer, settings), build)


def outcome_progress(cur: duckdb.DuckDBPyConnection, as_of: date, settings: Sequence[str] | None = None, *, viewer: Viewer) -> pd.DataFrame:
    """Per outcome of a pupil on roll: baseline, target, latest score, change, share of the way, stalled.

    Scores after `as_of` are ignored; discontinued outcomes are left out. Columns: setting, pupil_id,
    first_name, last_name, year_group, plan_type, primary_need, sen_status, outcome_id, area, description,
    baseline, target, scale_min, scale_max, start_date, target_date, status, n_scores, latest_score,
    latest_score_date, previous_score, change (latest - baseline), change_since_previous, share_to_target
    ((latest - baseline) / (target - baseline)), reached, stalled (rule stalled_outcome: not moved towards
    the target over its last N scores), stalled_rule, stalled_reason (sentence), stalled_source.
    """
    def build(scope: Scope) -> str:
        return with_ctes([*staging(scope), *facts(scope)], outcome_progress_select())

    return run(cur, as_of, access.staff_scope(viewer, settings), build)
