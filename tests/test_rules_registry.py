"""A rule is one record: its words and parameters in policy.toml, its condition in one registry entry (registry.py).

The policy's rule ids and the registry's match one to one, in the same order; each entry is of the kind its
policy group calls for; every flag's sentence is one the rule has; and the statement the engine runs is made of
the registry's conditions (each flag rule's SELECT is in it, with its condition).
"""

from __future__ import annotations

from datetime import date

from senlib import store
from senlib.rules import default_policy
from senlib.rules.evaluate import status_sql
from senlib.rules.policy import policy_relation
from senlib.rules.query import Scope
from senlib.rules.registry import REGISTRY, Cadence, Checks, Costing, Flags, Judgement, Provision, cadence_rule, flag_rules

KIND = {"cadence": (Cadence, Flags), "milestone": (Flags,), "meeting": (Flags,), "escalation": (Flags,), "quality": (Checks,),
        "progress": (Judgement,), "provision": (Costing, Provision)}


def test_policy_and_registry_rule_ids_match_one_to_one():
    policy_ids = list(default_policy().rules)
    registry_ids = list(REGISTRY)
    assert sorted(policy_ids) == sorted(registry_ids), (
        f"rules in the policy with no condition in senlib/rules/registry.py: {sorted(set(policy_ids) - set(registry_ids))}; "
        f"conditions in the registry with no rule in policy.toml: {sorted(set(registry_ids) - set(policy_ids))}")
    assert len(registry_ids) == len(set(registry_ids))
    assert policy_ids == registry_ids, "list the registry in the order of policy.toml (flags are raised in it)"


def test_each_entry_is_of_the_kind_its_group_calls_for():
    for rule_id, rule in default_policy().rules.items():
        assert isinstance(REGISTRY[rule_id], KIND[rule.group]), f"{rule_id} ({rule.group}) is a {type(REGISTRY[rule_id]).__name__}"


def test_every_flag_says_a_sentence_of_its_rule_and_every_flag_rule_raises_one():
    policy = default_policy()
    for rule_id, flag in flag_rules():
        assert flag.say in policy.rules[rule_id].say, f"{rule_id}: no say.{flag.say} in policy.toml"
    flagged = {rule_id for rule_id, _ in flag_rules()}
    for rule_id, rule in policy.rules.items():
        if rule.group in ("milestone", "meeting", "escalation"):
            assert rule_id in flagged, f"{rule_id} raises no flag"


def test_the_statement_is_assembled_from_the_registry():
    sql = status_sql(Scope(date(2026, 11, 23), None, policy_relation(store.connect(":memory:"))))
    for rule_id, flag in flag_rules():
        assert f"-- {rule_id}: " in sql and flag.when in sql, rule_id
    cadence_ids = [rule_id for rule_id, e in REGISTRY.items() if isinstance(e, Cadence)]
    case = cadence_rule("c.plan_type")
    assert all(f"'{rule_id}'" in case for rule_id in cadence_ids) and case in sql
