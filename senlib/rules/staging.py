"""Staging layer: the store's rows as they stood on the as-of date, for the settings in scope.

Anything dated after the as-of date was not known yet on that day: a review held later is
not held, a report sent later was not sent. That is what lets the rules run on any day.

Every row gets `pk`, a 64-bit hash of (setting, pupil_id), so that later joins compare one
integer instead of two strings (two pupils would have to collide in 64 bits to be confused:
about one chance in 10^13 for a school, one in 10^7 for a million pupils).
"""

from __future__ import annotations

import pyarrow as pa

from senlib.core.schoolyear import sql_year_index
from senlib.rules.policy import PolicyRelation
from senlib.rules.query import CTE, Scope
from senlib.rules.sentences import lit
from senlib.rules.tracking import tracking

PK = "hash(setting, pupil_id)"


def _literal(value: object, type_: pa.DataType) -> str:
    if value is None:
        return "NULL"
    if pa.types.is_list(type_):
        return "[" + ", ".join(lit(str(v)) for v in value) + "]::VARCHAR[]"
    if pa.types.is_integer(type_):
        return f"{int(value)}::INTEGER"
    if pa.types.is_floating(type_):
        return f"{float(value)!r}::DOUBLE"
    return lit(str(value))


def policy_values(policy: PolicyRelation) -> str:
    """SQL: the policy relation as a VALUES list with named columns."""
    table = policy.table
    rows = table.to_pylist()
    values = ",\n        ".join(
        "(" + ", ".join(_literal(row[f.name], f.type) for f in table.schema) + ")" for row in rows)
    return f"SELECT * FROM (VALUES {values}) AS t({', '.join(table.schema.names)})"


def staging(scope: Scope) -> list[CTE]:
    """CTEs stg_*: fields tracked, pupils, plans, held and planned reviews, outcomes, scores, EHC requests, policy."""
    # each pupil carries its setting's tracked fields (NULL: every field; rules.tracking)
    tracked = ("tr.tracked", "LEFT JOIN stg_tracked tr ON tr.setting = p.setting") if scope.tracking else \
        ("CAST(NULL AS VARCHAR[]) AS tracked", "")
    return [
        *tracking(scope),
        ("stg_pupils", f"""
        SELECT hash(p.setting, p.pupil_id) AS pk, p.setting, p.pupil_id, p.first_name, p.last_name, p.date_of_birth AS dob,
               p.year_group AS recorded_year_group, p."class", p.key_worker, p.sen_status, p.primary_need,
               p.secondary_need, p.local_authority, p.date_identified, p.leaving_date,
               st.phase, st.local_authority AS setting_la,
               {sql_year_index('p.date_of_birth', '$as_of')} AS derived_index, {tracked[0]}
        FROM pupils p LEFT JOIN settings st ON st.setting = p.setting {tracked[1]}
        WHERE {scope.only('p')}"""),
        ("stg_plans", f"""
        SELECT {PK} AS pk, plan_type, start_date, end_date, local_authority,
               coalesce(start_date <= $as_of, TRUE) AND coalesce(end_date > $as_of, TRUE) AS in_force
        FROM plans
        WHERE {scope.only()}"""),
        ("stg_reviews", f"""
        -- reviews held on or before the as-of date, with only what had been recorded by then
        SELECT {PK} AS pk, plan_type, review_date, kind,
               if(invitations_sent <= $as_of, invitations_sent, NULL) AS invitations_sent,
               if(reports_received <= $as_of, reports_received, NULL) AS reports_received,
               parent_attended, child_contributed, progress, decision, next_review_date,
               if(report_sent <= $as_of, report_sent, NULL) AS report_sent,
               if(la_decision_date <= $as_of, la_decision_date, NULL) AS la_decision_date,
               pfa_covered
        FROM reviews
        WHERE held AND review_date <= $as_of AND {scope.only()}"""),
        ("stg_planned", f"""
        -- reviews in the diary not recorded as held: on or after the as-of date (planned), or before it (missed)
        SELECT {PK} AS pk, plan_type, review_date,
               if(invitations_sent <= $as_of, invitations_sent, NULL) AS invitations_sent,
               if(reports_received <= $as_of, reports_received, NULL) AS reports_received
        FROM reviews
        WHERE NOT held AND review_date IS NOT NULL AND {scope.only()}"""),
        ("stg_outcomes", f"""
        SELECT {PK} AS pk, hash(setting, pupil_id, outcome_id) AS ok, outcome_id, area, description, baseline, target,
               coalesce(scale_min, 0) AS scale_min, coalesce(scale_max, 10) AS scale_max, start_date, target_date, status,
               -- +1 when a rise is progress, -1 when the target is below the baseline (e.g. fewer incidents)
               CASE WHEN target < baseline THEN -1 ELSE 1 END AS direction
        FROM outcomes
        WHERE coalesce(start_date <= $as_of, TRUE) AND coalesce(status, 'active') <> 'discontinued' AND {scope.only()}"""),
        ("stg_scores", f"""
        SELECT {PK} AS pk, hash(setting, pupil_id, outcome_id) AS ok, score_date, score
        FROM scores
        WHERE score_date <= $as_of AND {scope.only()}"""),
        ("stg_requests", f"""
        SELECT {PK} AS pk, setting, pupil_id, requested, local_authority,
               if(decision_date <= $as_of, decision_date, NULL) AS decision_date,
               if(decision_date <= $as_of, decision, NULL) AS decision,
               if(final_plan_date <= $as_of, final_plan_date, NULL) AS final_plan_date
        FROM ehc_requests
        WHERE requested <= $as_of AND {scope.only()}"""),
        ("stg_policy", f"""
        -- every parameter in force, one row per (setting key, local authority key); see policy.policy_relation
        -- (written out as VALUES: the optimiser then knows it is a handful of rows)
        {policy_values(scope.policy)}"""),
    ]
