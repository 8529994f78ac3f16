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
from senlib.rules.tracking import meeting_rule_fields, sql_list, tracking

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


# Invitees whose response promises written advice before the meeting.
REPORT_RESPONSES = "('sending_report', 'attending_and_report')"


def _blank(col: str) -> str:
    """SQL: a text field left blank (NULL or only spaces)."""
    return f"(nullif(trim({col}), '') IS NULL)"


def meetings(scope: Scope) -> list[CTE]:
    """CTEs stg_app_pupils (pupils with a review kept in the app) and stg_meeting: per review kept in the app with
    invitees, what they say on the as-of date: invitations sent (the last invitee's date, once every invitee has been
    invited), reports received (the last expected report's date, once every invitee sending one has), whether no report
    is to be waited for (every invitee has answered and none is sending one), who attended, and who is on the list."""
    return [
        ("stg_app_pupils", f"""
        -- pupils with a review scheduled or recorded in the app, its invitees or actions: what the app records is
        -- tracked for them (rules.tracking.MEETING_FIELDS), whatever the setting's trackers had
        SELECT DISTINCT setting, pupil_id FROM reviews WHERE review_id IS NOT NULL AND {scope.only()}
        UNION SELECT setting, pupil_id FROM review_invitees WHERE {scope.only()}
        UNION SELECT setting, pupil_id FROM review_actions WHERE {scope.only()}"""),
        ("stg_meeting", f"""
        SELECT {PK} AS pk, review_id, count(*) AS invitees,
               if(count(*) FILTER (invited_on <= $as_of) = count(*), max(invited_on), NULL) AS invitations_sent,
               count(*) FILTER (response IN {REPORT_RESPONSES}) AS reports_expected,
               if(count(*) FILTER (response IN {REPORT_RESPONSES} AND report_received <= $as_of)
                  = count(*) FILTER (response IN {REPORT_RESPONSES}) AND count(*) FILTER (response IN {REPORT_RESPONSES}) > 0,
                  max(report_received) FILTER (response IN {REPORT_RESPONSES}), NULL) AS reports_received,
               -- no report to wait for: every invitee has answered, and none is sending one
               count(*) FILTER (response IN {REPORT_RESPONSES}) = 0 AND count(response) = count(*) AS reports_not_needed,
               coalesce(bool_or(role = 'parent_carer' AND attended), FALSE) AS parent_attended,
               coalesce(bool_or(role = 'child' AND attended), FALSE) AS child_attended,
               coalesce(bool_or(role = 'parent_carer'), FALSE) AS parent_invited,
               coalesce(bool_or(role = 'child'), FALSE) AS child_invited,
               coalesce(bool_or(role = 'sen_officer'), FALSE) AS officer_invited
        FROM review_invitees
        WHERE {scope.only()}
        GROUP BY ALL"""),
    ]


# A review kept in the app (review_id) takes what its row leaves blank from its invitees (stg_meeting m).
_MEETING_JOIN = ("LEFT JOIN stg_meeting m ON r.review_id IS NOT NULL AND m.pk = hash(r.setting, r.pupil_id) "
                 "AND m.review_id = r.review_id")


def staging(scope: Scope) -> list[CTE]:
    """CTEs stg_*: fields tracked, pupils, plans, held and planned reviews (a review kept in the app with what its
    invitees say), outcomes, scores, EHC requests, invitees, actions, policy."""
    # each pupil carries its setting's tracked fields (NULL: every field; rules.tracking), and a pupil with a review
    # kept in the app also what the review-meeting rules need; the fields of the reviews kept in the app are added where
    # a review is judged (rule_clock: the next and the last review; q_reviews: each review)
    tracked = (f"if(ap.pupil_id IS NULL OR tr.tracked IS NULL, tr.tracked, list_distinct(list_concat(tr.tracked, "
               f"{sql_list(meeting_rule_fields())}))) AS tracked, tr.tracked AS setting_tracked",
               "LEFT JOIN stg_tracked tr ON tr.setting = p.setting "
               "LEFT JOIN stg_app_pupils ap ON ap.setting = p.setting AND ap.pupil_id = p.pupil_id") \
        if scope.tracking else ("CAST(NULL AS VARCHAR[]) AS tracked, CAST(NULL AS VARCHAR[]) AS setting_tracked", "")
    not_needed = "coalesce(r.review_id IS NOT NULL AND m.invitees > 0 AND m.reports_not_needed, FALSE)"
    return [
        *tracking(scope),
        *meetings(scope),
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
        -- reviews held on or before the as-of date, with only what had been recorded by then; a review kept in the
        -- app takes from its invitees what its row leaves blank (invitations, reports, a parent or the child there),
        -- and a parent's or the child's views recorded count as their contribution
        SELECT hash(r.setting, r.pupil_id) AS pk, r.plan_type, r.review_date, r.kind, r.review_id,
               coalesce(if(r.invitations_sent <= $as_of, r.invitations_sent, NULL), m.invitations_sent) AS invitations_sent,
               coalesce(if(r.reports_received <= $as_of, r.reports_received, NULL), m.reports_received) AS reports_received,
               {not_needed} AS reports_not_needed,
               coalesce(r.parent_attended, if(r.review_id IS NOT NULL AND (m.parent_attended OR NOT {_blank('r.parents_views')}),
                                              TRUE, NULL)) AS parent_attended,
               coalesce(r.child_contributed, if(r.review_id IS NOT NULL AND (m.child_attended OR NOT {_blank('r.child_views')}),
                                                TRUE, NULL)) AS child_contributed,
               NOT {_blank('r.child_views')} AS child_views_recorded,
               r.progress, r.decision, r.next_review_date,
               if(r.report_sent <= $as_of, r.report_sent, NULL) AS report_sent,
               if(r.la_decision_date <= $as_of, r.la_decision_date, NULL) AS la_decision_date,
               r.pfa_covered
        FROM reviews r {_MEETING_JOIN}
        WHERE r.held AND r.review_date <= $as_of AND {scope.only('r')}"""),
        ("stg_planned", f"""
        -- reviews in the diary not recorded as held: on or after the as-of date (planned), or before it (missed); one
        -- kept in the app with what its invitees say, and who is on its list
        SELECT hash(r.setting, r.pupil_id) AS pk, r.plan_type, r.review_date, r.review_id,
               coalesce(if(r.invitations_sent <= $as_of, r.invitations_sent, NULL), m.invitations_sent) AS invitations_sent,
               coalesce(if(r.reports_received <= $as_of, r.reports_received, NULL), m.reports_received) AS reports_received,
               {not_needed} AS reports_not_needed,
               coalesce(m.parent_invited, FALSE) AS parent_invited, coalesce(m.child_invited, FALSE) AS child_invited,
               coalesce(m.officer_invited, FALSE) AS officer_invited
        FROM reviews r {_MEETING_JOIN}
        WHERE NOT r.held AND r.review_date IS NOT NULL AND {scope.only('r')}"""),
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
        ("stg_actions", f"""
        -- actions agreed at reviews, as they stood on the as-of date (done later: not done yet)
        SELECT {PK} AS pk, review_id, action_id, action, owner, due_date,
               if(done_date <= $as_of, done_date, NULL) AS done_date
        FROM review_actions
        WHERE {scope.only()}"""),
        ("stg_policy", f"""
        -- every parameter in force, one row per (setting key, local authority key); see policy.policy_relation
        -- (written out as VALUES: the optimiser then knows it is a handful of rows)
        {policy_values(scope.policy)}"""),
    ]
