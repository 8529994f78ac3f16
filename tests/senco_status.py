"""Hand-made `senlib.rules.pupil_status` frames for the SENCo pages' unit tests.

Why: the register, upcoming-reviews and escalation logic is checked against rows whose every date is
known, independent of the demo data and of the rules engine's own tests.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

AS_OF = date(2026, 11, 23)

DATE_COLUMNS = ["date_of_birth", "plan_start", "last_review", "due_date", "next_review", "invite_by", "invite_statutory_by",
                "reports_by", "leaving_date"]

DEFAULTS: dict[str, object] = {
    "setting": "Oak School", "first_name": "Ada", "last_name": "Lovelace", "date_of_birth": date(2016, 5, 1),
    "year_group": "5", "recorded_year_group": "5", "derived_year_group": "5", "year_group_mismatch": False,
    "class": "5A", "key_worker": "Mrs Gill", "sen_status": "K", "primary_need": "SPLD", "secondary_need": None,
    "plan_type": "sen_support", "local_authority": None, "policy_la": "Westford City Council",
    "cadence_rule": "sen_support_termly", "plan_start": date(2025, 9, 1), "last_review": None, "due_date": None,
    "status": "on_track", "days_overdue": 0, "days_to_due": None, "status_reason": "", "status_source": "",
    "next_review": None, "next_review_basis": "due_date", "invite_by": None, "invite_state": None,
    "invite_statutory_by": None, "reports_by": None, "reports_state": None, "reviews_held": 0, "held_this_year": 0,
    "flags": [], "flag_reasons": [], "flag_sources": [], "leaving_date": None, "has_left": False,
}


def day(offset: int) -> date:
    """The as-of date moved by `offset` days."""
    return AS_OF + timedelta(days=offset)


def status_frame(*rows: dict) -> pd.DataFrame:
    """A pupil_status-shaped frame: DEFAULTS overridden by each row (which must give a pupil_id)."""
    df = pd.DataFrame([{**DEFAULTS, **r} for r in rows], columns=["pupil_id", *DEFAULTS])
    for col in DATE_COLUMNS:
        df[col] = pd.to_datetime(df[col])
    for col in ("days_overdue", "days_to_due", "reviews_held", "held_this_year"):
        df[col] = df[col].astype("Int64")
    for col in ("has_left", "year_group_mismatch"):
        df[col] = df[col].astype("boolean")
    return df
