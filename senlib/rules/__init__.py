"""senlib.rules: review cadence, milestones and escalation, as data, explained, cited, per local authority.

The default policy ships in policy.toml: every rule of DESIGN §3 with its id, the sentences a user
sees, its parameters and its source. A setting overrides parameters for itself or per local
authority (table rule_overrides; validated, audited). The rules are evaluated for any as-of date in
one DuckDB statement of named CTEs, in four layers:

    staging.py   stg_*   the store as it stood on the as-of date, for the settings in scope
    facts.py     fct_*   plans in force, the plan whose cadence applies, year groups, review history,
                         progress judged from scores, outcome scores, EHC requests
    cadence.py   rule_*  due dates, statuses and milestones, with their sentences
    flags.py     rule_*  milestone and escalation flags, each a SELECT whose WHERE is the rule's condition
    registry.py          every rule's condition, one entry per rule id of policy.toml (which has its words,
                         parameters and source): the layers assemble their SQL from it
    marts.py, quality.py what the pages and the command line read
    tracking.py          which fields each setting's imports carry: a rule needing a field no tracker of the
                         setting has does not fire (not tracked); a blank cell in a column that exists is not done

Public API (cursor, as_of: date, settings: Sequence[str] | None = None) -> pandas.DataFrame:
pupil_status, due_dates, review_quality, ehc_request_clocks, register_summary, outcome_progress;
and load_policy, set_override, clear_override, policy_table, default_policy, in_force (a value in force, in
words, for help texts) for the policy itself.
The command line is `python -m senlib status` (cli.py). A per-pupil Python version of the cadence rules,
the benchmark's yardstick and the tests' cross-check, is benchmarks/baseline_rules.py (not part of the product).
"""

from senlib.rules.evaluate import (
    due_dates,
    ehc_request_clocks,
    main_plans,
    outcome_progress,
    pupil_status,
    register_summary,
    review_quality,
)
from senlib.rules.policy import (
    Policy,
    PolicyError,
    clear_override,
    default_policy,
    in_force,
    load_policy,
    policy_table,
    set_override,
)

__all__ = [
    "Policy",
    "PolicyError",
    "clear_override",
    "default_policy",
    "due_dates",
    "ehc_request_clocks",
    "in_force",
    "load_policy",
    "main_plans",
    "outcome_progress",
    "policy_table",
    "pupil_status",
    "register_summary",
    "review_quality",
    "set_override",
]
