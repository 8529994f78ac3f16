"""Marts: the final SELECTs the pages and the command line read."""

from __future__ import annotations

from senlib.core.schoolyear import sql_year_code
from senlib.rules.cadence import plan_label
from senlib.rules.expr import POLICY_JOIN, SCHOOL_YEAR_START
from senlib.rules.facts import year_group, year_group_mismatch
from senlib.rules.policy import default_policy
from senlib.rules.query import CTE, Scope
from senlib.rules.registry import per_year, stalled, stalled_note
from senlib.rules.sentences import compile_sentence, count_text, date_text, lit


def _pupil_columns(p: str) -> str:
    """SQL select list: the pupil's own columns, with the year group derived where not recorded."""
    return f"""{p}.setting, {p}.pupil_id, {p}.first_name, {p}.last_name, {p}.dob AS date_of_birth,
               {year_group(p)} AS year_group, {p}.recorded_year_group,
               {sql_year_code(f'{p}.derived_index')} AS derived_year_group,
               {year_group_mismatch(p)} AS year_group_mismatch,
               {p}."class", {p}.key_worker, {p}.sen_status, {p}.primary_need, {p}.secondary_need,
               {p}.leaving_date, coalesce({p}.leaving_date <= $as_of, FALSE) AS has_left"""


def not_applicable_reason(p: str) -> str:
    """SQL: for a pupil no cadence applies to, the sentence saying why (policy.toml [not_applicable])."""
    say = default_policy().not_applicable
    fields = {"leaving_date": date_text(f"{p}.leaving_date"), "as_of": date_text("$as_of"),
              "date_identified": date_text(f"{p}.date_identified"),
              "sen_status": f"coalesce({p}.sen_status, 'not recorded')"}

    def s(key: str) -> str:
        return compile_sentence(say[key], fields, where=f"not_applicable.say.{key}")

    return f"""CASE WHEN {p}.leaving_date <= $as_of THEN {s('left')}
                    WHEN {p}.sen_status IN ('K', 'E') THEN {s('not_yet')}
                    ELSE {s('no_sen')} END"""


def results(scope: Scope) -> list[CTE]:
    """CTE mart_results: one full row per pupil a rule may apply to (fct_pupils): status of the main plan, flags."""
    return [("mart_results", f"""
        SELECT {_pupil_columns('p')},
               p.plan_type, coalesce(p.ehcp_la, p.local_authority) AS local_authority, p.policy_la,
               c.cadence_rule, c.plan_start, c.last_review, c.due_date,
               coalesce(c.status, 'not_applicable') AS status, c.days_overdue, c.due_date - $as_of AS days_to_due,
               coalesce(c.status_reason, {not_applicable_reason('p')}) AS status_reason, c.status_source,
               c.next_review, c.next_review_basis, c.invite_by, c.invite_state, c.invite_statutory_by,
               c.reports_by, c.reports_state, c.reviews_held, c.held_this_year,
               coalesce(fl.flags, []::VARCHAR[]) AS flags,
               coalesce(fl.flag_reasons, []::VARCHAR[]) AS flag_reasons,
               coalesce(fl.flag_sources, []::VARCHAR[]) AS flag_sources
        FROM fct_pupils p
        LEFT JOIN rule_status c ON c.pk = p.pk AND c.is_main
        LEFT JOIN rule_flag_lists fl ON fl.pk = p.pk""")]


COLUMNS = ["setting", "pupil_id", "first_name", "last_name", "date_of_birth", "year_group", "recorded_year_group",
           "derived_year_group", "year_group_mismatch", "class", "key_worker", "sen_status", "primary_need",
           "secondary_need", "plan_type", "local_authority", "policy_la", "cadence_rule", "plan_start", "last_review",
           "due_date", "status", "days_overdue", "days_to_due", "status_reason", "status_source", "next_review",
           "next_review_basis", "invite_by", "invite_state", "invite_statutory_by", "reports_by", "reports_state",
           "reviews_held", "held_this_year", "flags", "flag_reasons", "flag_sources", "leaving_date", "has_left"]


def pupil_status_select() -> str:
    """The final SELECT of pupil_status: the pupils a rule may apply to, then everyone else (no SEN, no plan),
    who is not applicable by definition. (Two parts rather than one big join: no hash table of every pupil.)"""
    cols = ", ".join(f'"{c}"' for c in COLUMNS)
    return f"""
SELECT {cols} FROM mart_results
UNION ALL BY NAME
SELECT {_pupil_columns('s')},
       s.local_authority, coalesce(s.local_authority, s.setting_la) AS policy_la,
       'not_applicable' AS status, {not_applicable_reason('s')} AS status_reason,
       []::VARCHAR[] AS flags, []::VARCHAR[] AS flag_reasons, []::VARCHAR[] AS flag_sources
FROM stg_pupils s
WHERE s.pk NOT IN (SELECT pk FROM fct_pupils)"""


def register(scope: Scope) -> list[CTE]:
    """CTE mart_register: per evaluated plan, reviews required this school year and reviews held so far.

    Required: the rule's reviews a year (termly rules: reviews_per_year; others: 12 / months between
    reviews), pro rata for a plan that started during the school year, rounded up. Required to date:
    the same up to the as-of date, rounded down.
    """
    return [("mart_register", f"""
        SELECT c.pk, c.plan_type, c.is_main,
               {per_year('c.plan_type', 'c.every_months')} AS per_year,
               {SCHOOL_YEAR_START} AS year_start,
               make_date(year({SCHOOL_YEAR_START}) + 1, 8, 31) AS year_end,
               greatest(coalesce(c.plan_start, year_start), year_start) AS counted_from,
               (year_end - year_start + 1) AS year_days,
               CAST(ceil(per_year * (year_end - counted_from + 1) / year_days - 1e-9) AS INTEGER) AS required,
               CAST(floor(per_year * greatest($as_of - counted_from + 1, 0) / year_days + 1e-9) AS INTEGER) AS required_to_date,
               coalesce(c.held_this_year, 0) AS held
        FROM rule_status c
        {POLICY_JOIN.format(a='c')}""")]


REGISTER_SUMMARY = f"""
SELECT if(grouping(plan_type) = 1, 'all', plan_type) AS plan_type,
       if(grouping(plan_type) = 1, 'All plans', {plan_label('plan_type')}) AS plan,
       count(*) AS pupils,
       sum(required) AS reviews_required,
       sum(required_to_date) AS required_to_date,
       sum(held) AS reviews_held,
       sum(least(held, required)) AS reviews_counted,
       sum(greatest(required - held, 0)) AS reviews_still_needed,
       count(*) FILTER (held >= required) AS pupils_complete,
       count(*) FILTER (held < required_to_date) AS pupils_behind,
       round(sum(least(held, required)) / nullif(sum(required), 0), 4) AS share_held,
       min(year_start) AS year_start, min(year_end) AS year_end
FROM mart_register
GROUP BY GROUPING SETS ((plan_type), ())
ORDER BY grouping(plan_type), pupils DESC"""


def request_clocks(scope: Scope) -> list[CTE]:
    """CTE mart_requests: per EHC needs assessment request, the 6-week and 20-week clocks and their sentences."""
    rules = default_policy().rules

    def clock(prefix: str, rule_id: str, due: str, done: str, what: str) -> dict[str, str]:
        fields = {
            "requested": date_text("r.requested"),
            "clock_due": date_text(due),
            "decided": date_text(done),
            "decision": "coalesce(r.decision, 'decision not recorded')",
            "due_in": f"if({due} >= $as_of, 'in ' || {count_text(f'({due} - $as_of)', 'days')}, 'overdue')",
            "overdue_by": count_text(f"($as_of - {due})", "days"),
            "lateness": f"if({done} <= {due}, 'on time', {count_text(f'({done} - {due})', 'days')} || ' late')",
        }
        rule = rules[rule_id]
        say = {k: compile_sentence(t, fields, rule, alias="pol", where=f"{rule_id}.say.{k}") for k, t in rule.say.items()}
        return {
            f"{prefix}_state": f"""CASE WHEN {done} IS NOT NULL THEN if({done} <= {due}, 'on_time', 'late')
                                    {what}
                                    WHEN $as_of > {due} THEN 'overdue' ELSE 'running' END""",
            f"{prefix}_reason": f"""CASE WHEN {done} IS NOT NULL THEN {say['done']}
                                     WHEN $as_of > {due} THEN {say['flag']} ELSE {say['waiting']} END""",
        }

    decision = clock("decision", "ehc_assess_decision", "r.decision_due", "r.decision_date",
                     "WHEN r.final_plan_date IS NOT NULL THEN 'on_time'")
    final = clock("final", "ehc_final_plan", "r.final_due", "r.final_plan_date",
                  "WHEN r.decision = 'refused' THEN 'not_applicable'")
    final["final_reason"] = f"if(r.decision = 'refused', 'The council refused to assess; no plan is due', {final['final_reason']})"
    cols = ",\n               ".join(f"{expr} AS {name}" for name, expr in {**decision, **final}.items())
    return [("mart_requests", f"""
        SELECT r.setting, r.pupil_id, r.first_name, r.last_name, r.request_la AS local_authority, r.requested,
               r.decision_due, r.decision_date, r.decision, r.final_due, r.final_plan_date,
               {cols},
               'ehc_assess_decision' AS decision_rule, 'ehc_final_plan' AS final_rule,
               {lit(rules['ehc_assess_decision'].source)} AS decision_source, {lit(rules['ehc_final_plan'].source)} AS final_source
        FROM (SELECT r.*, r.requested + 7 * pol.ehc_assess_decision__weeks AS decision_due,
                     r.requested + 7 * pol.ehc_final_plan__weeks AS final_due
              FROM fct_requests r {POLICY_JOIN.format(a='r')}) r
        {POLICY_JOIN.format(a='r')}""")]


def outcome_progress_select() -> str:
    """The final SELECT of outcome_progress: per outcome of a pupil on roll, with rule stalled_outcome."""
    rule = default_policy().rules["stalled_outcome"]
    n = "pol.stalled_outcome__scores"
    reason = compile_sentence(rule.say["flag"], {"outcome_list": stalled_note("o", n)}, rule, where="stalled_outcome.say.flag")
    setting_key = "coalesce(p.setting_key, if(list_contains(CAST($ov_settings AS VARCHAR[]), s.setting), s.setting, ''))"
    la = "coalesce(s.local_authority, s.setting_la)"
    la_key = f"coalesce(p.la_key, if(list_contains(CAST($ov_las AS VARCHAR[]), {la}), {la}, ''))"
    return f"""
SELECT s.setting, s.pupil_id, s.first_name, s.last_name, {year_group('s')} AS year_group, p.plan_type,
       s.primary_need, s.sen_status,
       o.outcome_id, o.area, o.description, o.baseline, o.target, o.scale_min, o.scale_max, o.start_date,
       o.target_date, o.status, o.n_scores, o.latest_score, o.latest_score_date, o.previous_score,
       o.latest_score - o.baseline AS change,
       o.latest_score - o.previous_score AS change_since_previous,
       if(o.target <> o.baseline, (o.latest_score - o.baseline) / (o.target - o.baseline), NULL) AS share_to_target,
       o.reached,
       coalesce({stalled('o', n)}, FALSE) AS stalled,
       if(stalled, 'stalled_outcome', NULL) AS stalled_rule,
       if(stalled, {reason}, NULL) AS stalled_reason,
       if(stalled, {lit(rule.source)}, NULL) AS stalled_source
FROM fct_outcomes o
JOIN stg_pupils s ON s.pk = o.pk
LEFT JOIN fct_pupils p ON p.pk = o.pk
JOIN stg_policy pol ON pol.setting_key = {setting_key} AND pol.la_key = {la_key}
WHERE NOT coalesce(s.leaving_date <= $as_of, FALSE)
ORDER BY s.setting, s.pupil_id, o.outcome_id"""
