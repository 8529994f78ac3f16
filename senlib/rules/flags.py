"""Rules layer, flags: milestones missed and escalations of the graduated response.

Each flag is one SELECT whose WHERE clause is the rule as DESIGN §3 states it, and whose
reason is built from the pupil's own dates by the rule's `say.flag` sentence in policy.toml.
The flags of a pupil are listed in policy order. Milestone flags for the next review are not
raised when the review itself is already overdue: the status says so.
"""

from __future__ import annotations

from senlib.core.names import DECISIONS
from senlib.core.schoolyear import sql_year_code, sql_year_index
from senlib.rules.cadence import POLICY_JOIN, status_fields, year_label
from senlib.rules.facts import score_at, year_code_index
from senlib.rules.policy import default_policy
from senlib.rules.query import CTE, Scope, plans_of, rule_order
from senlib.rules.sentences import compile_sentence, count_text, date_text, dates_text, lit
from senlib.rules.tracking import rule_tracks

LESS = "x = 'less'"
AT_LEAST_EXPECTED = "x IN ('expected', 'more')"


def sources_map() -> str:
    """SQL MAP literal: rule id -> its source."""
    return "MAP {" + ", ".join(f"'{r.id}': {lit(r.source)}" for r in default_policy().rules.values()) + "}"


def _decision_label(col: str) -> str:
    whens = " ".join(f"WHEN '{k}' THEN {lit(v.lower())}" for k, v in DECISIONS.items())
    return f"(CASE {col} {whens} ELSE {col} END)"


def _last_n(list_col: str, n: str, test: str) -> str:
    """SQL: the first n entries of a newest-first list all pass `test` (a lambda body over x)."""
    return f"(len({list_col}) >= {n} AND len(list_filter({list_col}[1:{n}], lambda x: {test})) = {n})"


def _applies(rule_id: str, plan: str = "c.plan_type") -> str:
    return f"list_contains({plans_of(rule_id)}, {plan})"


# An IHCP running alongside the pupil's main plan: its own review clock, raised as a flag when overdue or undated.
IHCP = "rule_status i JOIN stg_policy pol ON pol.setting_key = i.setting_key AND pol.la_key = i.la_key"
MAIN = "rule_status c JOIN stg_policy pol ON pol.setting_key = c.setting_key AND pol.la_key = c.la_key"
# ... with the last reviews' progress judgements (recorded, else judged from scores), for the escalation rules
PROGRESS = MAIN + " JOIN fct_progress_recent rp ON rp.pk = c.pk AND rp.plan_type = c.plan_type"


def _flag(rule_id: str, when: str, fields: dict[str, str], *, source: str = MAIN, say: str = "flag",
          alias: str = "c", tracked: str | None = None) -> str:
    """One flag rule: SELECT (pk, rule_id, rule_order, reason) FROM `source` WHERE the rule fires; never where the
    pupil's setting does not track a field the rule needs (`tracked`: the alias whose row carries the setting's
    tracked fields, default `alias`)."""
    rule = default_policy().rules[rule_id]
    reason = compile_sentence(rule.say[say], fields, rule, where=f"{rule_id}.say.{say}")
    main = " AND c.is_main" if source.startswith(MAIN) else ""
    gate = rule_tracks(rule_id, tracked or alias)
    return (f"-- {rule_id}: {rule.title}\n"
            f"SELECT {alias}.pk, '{rule_id}' AS rule_id, {rule_order(rule_id)} AS rule_order,\n"
            f"       {reason} AS reason\n"
            f"FROM {source}\nWHERE ({when}){main}{'' if gate == 'TRUE' else ' AND ' + gate}")


def stalled(o: str, n: str) -> str:
    """SQL: rule stalled_outcome for outcome `o` (fct_outcomes): over its last n scores the score has not moved
    towards the target, and the target is not reached."""
    return f"({o}.n_scores >= {n} AND NOT {o}.reached AND ({o}.last_scores[1] - {o}.last_scores[{n}]) * {o}.direction <= 0)"


def stalled_note(o: str, n: str) -> str:
    """SQL: 'O2 3 → 3 (6 Apr 2026 to 28 Sep 2026, target 10)' for a stalled outcome."""
    trail = f"array_to_string(list_transform(list_reverse({o}.last_scores[1:{n}]), lambda v: format('{{:g}}', v)), ' → ')"
    return (f"({o}.outcome_id || ' ' || {trail} || ' (' || {date_text(f'{o}.last_dates[{n}]')} || ' to '"
            f" || {date_text(f'{o}.last_dates[1]')} || ', target ' || format('{{:g}}', {o}.target) || ')')")


def outcome_rules(scope: Scope) -> list[CTE]:
    """CTEs rule_stalled (stalled_outcome), rule_unmet_targets (targets_not_smart), rule_requests (EHC clocks)."""
    return [
        ("rule_stalled", f"""
        -- stalled_outcome, per pupil: the outcomes whose score has not moved towards the target over the last N scores
        SELECT o.pk, array_to_string(list_sort(list({stalled_note('o', 'pol.stalled_outcome__scores')})), '; ') AS outcome_list
        FROM fct_outcomes o
        JOIN fct_subjects s ON s.pk = o.pk AND s.is_main AND {_applies('stalled_outcome', 's.plan_type')}
        {POLICY_JOIN.format(a='s')}
        WHERE {stalled('o', 'pol.stalled_outcome__scores')}
        GROUP BY o.pk"""),
        ("rule_unmet_targets", f"""
        -- targets_not_smart, per pupil: outcomes past their target date, scored below target at each of the last N reviews
        SELECT pk, string_agg(note, '; ' ORDER BY outcome_id) AS outcome_list
        FROM (SELECT x.pk, x.outcome_id,
                     any_value(x.outcome_id || ' (target ' || format('{{:g}}', x.target) || ' by '
                               || {date_text('x.target_date')} || ', scored ' || format('{{:g}}', x.scored) || ')'
                               ORDER BY x.recency) AS note
              FROM (SELECT h.pk, i AS recency, o.outcome_id, o.target, o.target_date, o.direction,
                           ({score_at('sh.history', 'h.recent_reviews[i]')}).s AS scored, pol.targets_not_smart__reviews AS n
                    FROM fct_history h
                    {POLICY_JOIN.format(a='h')}
                    CROSS JOIN range(1, {scope.lookback + 1}) t(i)
                    JOIN fct_outcomes o ON o.pk = h.pk AND NOT o.reached AND o.target_date <= $as_of
                         AND o.target_date <= h.recent_reviews[i]
                    JOIN fct_score_history sh ON sh.ok = o.ok
                    WHERE h.is_main AND {_applies('targets_not_smart', 'h.plan_type')}
                      AND i <= least(len(h.recent_reviews), pol.targets_not_smart__reviews)) x
              GROUP BY x.pk, x.outcome_id, x.n
              HAVING count(*) FILTER (x.scored IS NOT NULL AND (x.scored - x.target) * x.direction < 0) = x.n)
        GROUP BY pk"""),
        ("rule_requests", """
        -- per pupil: EHC needs assessment requests past their 6-week / 20-week clocks, and the latest live request
        SELECT r.pk,
               min(r.requested) FILTER (r.decision_date IS NULL AND r.final_plan_date IS NULL
                                        AND $as_of > r.requested + 7 * pol.ehc_assess_decision__weeks) AS decision_overdue,
               min(r.requested) FILTER (r.decision = 'agreed' AND r.final_plan_date IS NULL
                                        AND $as_of > r.requested + 7 * pol.ehc_final_plan__weeks
                                        AND NOT (r.has_ehcp AND coalesce(r.ehcp_start >= r.requested, FALSE))) AS final_overdue,
               max(r.requested) FILTER (r.decision IS NULL OR r.decision = 'agreed') AS live_request
        FROM fct_requests r JOIN stg_policy pol ON pol.setting_key = r.setting_key AND pol.la_key = r.la_key
        GROUP BY r.pk"""),
    ]


REQUESTS = ("rule_requests rq JOIN fct_pupils p ON p.pk = rq.pk "
            "JOIN stg_policy pol ON pol.setting_key = p.setting_key AND pol.la_key = p.la_key")


def flags(scope: Scope) -> list[CTE]:
    """CTEs rule_flags (one row per flag raised) and rule_flag_lists (per pupil, in policy order)."""
    f = status_fields("c")
    review_year = f"if(c.dob IS NULL, c.year_index, {sql_year_index('c.dob', 'c.last_review')})"
    c = {
        **f,
        "review_year_group": year_label(sql_year_code(review_year)),
        "decision": _decision_label("c.last_decision"),
    }

    def recent(n: str, **more: str) -> dict[str, str]:
        return {**c, "review_dates": dates_text(f"c.recent_reviews[1:{n}]"), **more}

    def request(col: str, rule: str) -> dict[str, str]:
        due = f"(rq.{col} + 7 * pol.{rule}__weeks)"
        return {"requested": date_text(f"rq.{col}"), "clock_due": date_text(due),
                "overdue_by": count_text(f"($as_of - {due})", "days")}

    n = {r: f"pol.{r}__reviews" for r in ("consider_pcp_msp", "consider_ehc_request", "early_years_forum",
                                          "consider_reducing", "targets_not_smart")}
    selects = [
        *(_flag("ihcp_annual", f"NOT i.is_main AND {when}", status_fields("i"), say=say, alias="i", source=IHCP)
          for when, say in (("i.status = 'overdue' AND i.clock_from IS NOT NULL", "overdue"),
                            ("i.status = 'overdue' AND i.clock_from IS NULL", "next_recorded"),
                            ("i.status = 'no_review_date'", "unknown"))),
        _flag("phase_transfer", "c.transfer_year AND c.transfer_review_held AND $as_of > c.amend_by "
                                "AND c.last_la_decision IS NULL", c),
        _flag("pfa_from_y9", f"{_applies('pfa_from_y9')} AND c.last_review IS NOT NULL "
                             f"AND {review_year} >= {year_code_index('pol.pfa_from_y9__from_year')} "
                             "AND c.last_pfa_covered IS NOT TRUE", c),
        _flag("invite_good_practice", "c.invite_state = 'missed' AND c.status <> 'overdue'", c),
        _flag("invite_statutory", "c.invite_statutory_by IS NOT NULL AND NOT c.invitations_sent "
                                  "AND $as_of > c.invite_statutory_by AND c.status <> 'overdue'", c),
        _flag("advice_before", "c.reports_state = 'missed' AND c.status <> 'overdue'", c),
        _flag("report_after", f"{_applies('report_after')} AND c.last_review IS NOT NULL AND c.last_report_sent IS NULL "
                              "AND $as_of > c.last_review + 7 * pol.report_after__weeks", c),
        _flag("la_decision", f"{_applies('la_decision')} AND c.last_review IS NOT NULL AND c.last_la_decision IS NULL "
                             "AND $as_of > c.last_review + 7 * pol.la_decision__weeks", c),
        _flag("next_date_set", f"{_applies('next_date_set')} AND c.last_review IS NOT NULL "
                               "AND c.last_next_date IS NULL AND c.planned_review IS NULL", c),
        _flag("ehc_assess_decision", "rq.decision_overdue IS NOT NULL",
              request("decision_overdue", "ehc_assess_decision"), source=REQUESTS, alias="rq", tracked="p"),
        _flag("ehc_final_plan", "rq.final_overdue IS NOT NULL", request("final_overdue", "ehc_final_plan"),
              source=REQUESTS, alias="rq", tracked="p"),
        _flag("consider_pcp_msp", f"{_applies('consider_pcp_msp')} "
                                  f"AND {_last_n('rp.recent_progress', n['consider_pcp_msp'], LESS)}",
              recent(n["consider_pcp_msp"]), source=PROGRESS),
        _flag("consider_ehc_request", f"{_applies('consider_ehc_request')} "
                                      f"AND {_last_n('rp.recent_progress', n['consider_ehc_request'], LESS)} "
                                      "AND NOT coalesce(rq.live_request >= c.plan_start, rq.live_request IS NOT NULL)",
              recent(n["consider_ehc_request"], plan_start=date_text("c.plan_start"),
                     apdr_cycles="CAST(c.reviews_held AS VARCHAR)"),
              source=PROGRESS + " LEFT JOIN rule_requests rq ON rq.pk = c.pk"),
        _flag("early_years_forum", f"{_applies('early_years_forum')} "
                                   "AND list_contains(pol.early_years_forum__year_groups, c.year_group) "
                                   f"AND {_last_n('rp.recent_progress', n['early_years_forum'], LESS)} "
                                   "AND coalesce(c.last_decision NOT IN ('early_years_forum', 'request_ehc_assessment'), TRUE)",
              recent(n["early_years_forum"]), source=PROGRESS),
        _flag("consider_reducing", f"{_applies('consider_reducing')} "
                                   f"AND {_last_n('rp.recent_progress', n['consider_reducing'], AT_LEAST_EXPECTED)} "
                                   "AND oc.outcomes_achieved >= pol.consider_reducing__achieved_share * oc.outcomes_total "
                                   "AND coalesce(c.last_decision <> 'reduce', TRUE)",
              recent(n["consider_reducing"], outcomes_total="CAST(oc.outcomes_total AS VARCHAR)",
                     outcomes_achieved="CAST(oc.outcomes_achieved AS VARCHAR)"),
              source=PROGRESS + " JOIN (SELECT pk, count(*) AS outcomes_total, count(*) FILTER (reached) AS outcomes_achieved"
                            " FROM fct_outcomes GROUP BY pk) oc ON oc.pk = c.pk"),
        _flag("targets_not_smart", "TRUE", {**c, "outcome_list": "t.outcome_list"},
              source=MAIN + " JOIN rule_unmet_targets t ON t.pk = c.pk"),
        _flag("stalled_outcome", "TRUE", {**c, "outcome_list": "st.outcome_list"},
              source=MAIN + " JOIN rule_stalled st ON st.pk = c.pk"),
        _flag("amend_ehcp", f"{_applies('amend_ehcp')} AND list_contains(pol.amend_ehcp__decisions, c.last_decision) "
                            "AND c.last_la_decision IS NULL", c),
    ]
    return [
        ("rule_flags", "\nUNION ALL\n".join(selects)),
        ("rule_flag_lists", f"""
        -- per pupil: the flags raised, in the order of the policy file, with their sentences and sources
        -- (the three lists of one group are built in the same row order, then put in policy order)
        SELECT pk,
               list_transform(list_grade_up(orders), lambda i: ids[i]) AS flags,
               list_transform(list_grade_up(orders), lambda i: reasons[i]) AS flag_reasons,
               list_transform(list_grade_up(orders), lambda i: ({sources_map()})[ids[i]]) AS flag_sources
        FROM (SELECT pk, list(rule_order) AS orders, list(rule_id) AS ids, list(reason) AS reasons
              FROM rule_flags GROUP BY pk)"""),
    ]
