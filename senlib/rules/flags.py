"""Rules layer, flags: milestones missed and escalations of the graduated response.

Each flag is one SELECT whose WHERE clause is the rule's condition in the registry (registry.py: the rows it
reads and when it fires), and whose reason is built from the pupil's own dates by the rule's `say` sentence in
policy.toml. The flags of a pupil are listed in policy order. Milestone flags for the next review are not
raised when the review itself is already overdue: the status says so.
"""

from __future__ import annotations

from senlib.core.names import DECISIONS
from senlib.core.schoolyear import sql_year_code
from senlib.rules.cadence import status_fields, year_label
from senlib.rules.policy import default_policy
from senlib.rules.query import CTE, Scope, rule_order
from senlib.rules.registry import MAIN, REGISTRY, REVIEW_YEAR, Flag, Flags, flag_rules
from senlib.rules.sentences import compile_sentence, lit
from senlib.rules.tracking import rule_tracks


def sources_map() -> str:
    """SQL MAP literal: rule id -> its source."""
    return "MAP {" + ", ".join(f"'{r.id}': {lit(r.source)}" for r in default_policy().rules.values()) + "}"


def _decision_label(col: str) -> str:
    whens = " ".join(f"WHEN '{k}' THEN {lit(v.lower())}" for k, v in DECISIONS.items())
    return f"(CASE {col} {whens} ELSE {col} END)"


def _flag(rule_id: str, flag: Flag, fields: dict[str, str]) -> str:
    """One flag rule: SELECT (pk, rule_id, rule_order, reason) FROM the rows it reads WHERE the rule fires; never
    where the pupil's setting does not track a field the rule needs (`flag.tracked`: the alias whose row carries the
    setting's tracked fields, default the flag's alias)."""
    rule = default_policy().rules[rule_id]
    reason = compile_sentence(rule.say[flag.say], {**fields, **flag.words}, rule, where=f"{rule_id}.say.{flag.say}")
    main = " AND c.is_main" if flag.reads.startswith(MAIN) else ""
    gate = rule_tracks(rule_id, flag.tracked or flag.alias)
    return (f"-- {rule_id}: {rule.title}\n"
            f"SELECT {flag.alias}.pk, '{rule_id}' AS rule_id, {rule_order(rule_id)} AS rule_order,\n"
            f"       {reason} AS reason\n"
            f"FROM {flag.reads}\nWHERE ({flag.when}){main}{'' if gate == 'TRUE' else ' AND ' + gate}")


# The review-meeting rules whose flags read CTEs of their own (registry: rule_invitees, rule_child_views, rule_actions).
MEETING_RULES = ("invitee_missing", "child_views_missing", "actions_overdue")


def outcome_rules(scope: Scope) -> list[CTE]:
    """CTEs rule_stalled (stalled_outcome), rule_unmet_targets (targets_not_smart), the review-meeting rules' (rule_invitees,
    rule_child_views, rule_actions) and rule_requests (EHC clocks)."""
    ctes = [build(scope) for rule_id in ("stalled_outcome", "targets_not_smart", *MEETING_RULES)
            for build in REGISTRY[rule_id].ctes]  # type: ignore[union-attr]
    clocks = [e.overdue for e in REGISTRY.values() if isinstance(e, Flags) and e.overdue]
    overdue = "".join(f"""
               min(r.requested) FILTER ({when}) AS {column},""" for column, when in clocks)
    return [*ctes, ("rule_requests", f"""
        -- per pupil: EHC needs assessment requests past their 6-week / 20-week clocks, and the latest live request
        SELECT r.pk,{overdue}
               max(r.requested) FILTER (r.decision IS NULL OR r.decision = 'agreed') AS live_request
        FROM fct_requests r JOIN stg_policy pol ON pol.setting_key = r.setting_key AND pol.la_key = r.la_key
        GROUP BY r.pk""")]


def flags(scope: Scope) -> list[CTE]:
    """CTEs rule_flags (one row per flag raised, each rule's flags as its registry entry states them) and
    rule_flag_lists (per pupil, in policy order)."""
    # the words a flag's sentence may use about the row it is about: the plan's own (main plan c, IHCP i)
    base = {
        "c": {**status_fields("c"), "review_year_group": year_label(sql_year_code(REVIEW_YEAR)),
              "decision": _decision_label("c.last_decision")},
        "i": status_fields("i"),
    }
    selects = [_flag(rule_id, flag, base.get(flag.alias, {})) for rule_id, flag in flag_rules()]
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
