"""senlib.rules: review cadence, milestones and escalation, as data, explained, cited, per local authority.

The default policy ships in policy.toml (every rule of DESIGN §3: id, sentences, parameters,
source); a setting overrides parameters for itself or per local authority (stored in the
database, validated, audited). The rules are evaluated in DuckDB SQL for any as-of date.
"""

from .evaluate import due_dates, ehc_request_clocks, outcome_progress, pupil_status, register_summary, review_quality
from .policy import (
    Policy,
    PolicyError,
    clear_override,
    default_policy,
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
    "load_policy",
    "outcome_progress",
    "policy_table",
    "pupil_status",
    "register_summary",
    "review_quality",
    "set_override",
]
