"""Property: between two reviews, as the as-of date advances, a status only moves on_track -> due_soon -> overdue."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from senlib.access import TRUSTED
from senlib.core.names import YEAR_GROUPS
from senlib.rules import pupil_status, set_override

from .rules_support import Caseload

RANK = {"on_track": 0, "due_soon": 1, "overdue": 2}
PHASES = {"Primary": "primary", "Infant": "infant", "Secondary": "secondary", "Nursery": "early_years"}
LAS = ["Northmoor Council", "Eastbridge County Council", None]
PLANS = {"sen_support": "K", "my_support_plan": "K", "ehcp": "E", "ihcp": "N", "none_k": "K", "none_e": "E"}

dates = st.dates(min_value=date(2019, 1, 1), max_value=date(2029, 12, 31))


@st.composite
def pupils(draw) -> dict:
    first_review = draw(dates)
    plan = draw(st.sampled_from(list(PLANS)))
    return {
        "plan": plan,
        "setting": draw(st.sampled_from(list(PHASES))),
        "la": draw(st.sampled_from(LAS)),
        "first_review": first_review,
        "plan_start": first_review - timedelta(days=draw(st.integers(0, 1500))),
        "age_days": draw(st.integers(365, 18 * 365)),           # age at the first review
        "dob_known": draw(st.booleans()) or plan == "ehcp",
        "recorded": draw(st.one_of(st.none(), st.sampled_from(YEAR_GROUPS))),
        "scheduled": draw(st.one_of(st.none(), st.integers(1, 900))),
    }


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases=st.lists(pupils(), min_size=1, max_size=10),
       steps=st.lists(st.integers(0, 700), min_size=2, max_size=6),
       overrides=st.fixed_dictionaries({"weeks": st.integers(2, 10), "under5": st.integers(1, 6),
                                        "gap": st.integers(1, 12)}))
def test_status_only_moves_forward_between_two_reviews(cases, steps, overrides):
    cl = Caseload({name: (phase, "Northmoor Council") for name, phase in PHASES.items()})
    set_override(cl.con, "invite_good_practice", "weeks", max(overrides["weeks"], 2), local_authority="Eastbridge County Council",
                 user="t")
    set_override(cl.con, "ehcp_under5", "months", overrides["under5"], setting="Nursery", user="t")
    set_override(cl.con, "sen_support_termly", "max_gap_months", overrides["gap"], local_authority="Northmoor Council", user="t")
    for i, c in enumerate(cases):
        pid, plan = f"P{i}", c["plan"]
        dob = c["first_review"] - timedelta(days=c["age_days"])
        cl.pupil(pid, sen=PLANS[plan], setting=c["setting"], la=c["la"], dob=str(dob) if c["dob_known"] else None,
                 year_group=c["recorded"], identified=str(c["plan_start"]))
        plan_type = None if plan.startswith("none") else plan
        if plan_type:
            cl.plan(pid, plan_type, str(c["plan_start"]), la=c["la"] if plan_type == "ehcp" else None, setting=c["setting"])
        review_type = plan_type or ("ehcp" if plan == "none_e" else "sen_support")
        cl.review(pid, str(c["first_review"]), review_type, setting=c["setting"])
        if c["scheduled"]:
            cl.review(pid, str(c["first_review"] + timedelta(days=c["scheduled"])), review_type, held=False,
                      setting=c["setting"])
    # as-of dates between the first review and the next one (held after the last of them, so never seen)
    start = min(c["first_review"] for c in cases)
    days_after = sorted(set(steps))
    seen: dict[str, list[tuple[date, str]]] = {}
    for n in days_after:
        as_of = start + timedelta(days=n)
        df = pupil_status(cl.con, as_of, viewer=TRUSTED)
        for row in df.itertuples():
            case = cases[int(row.pupil_id[1:])]
            if as_of < case["first_review"]:
                continue
            assert row.status in RANK, (row.pupil_id, as_of, row.status, row.status_reason)
            seen.setdefault(f"{row.setting}/{row.pupil_id}", []).append((as_of, row.status))
    for key, history in seen.items():
        ranks = [RANK[s] for _, s in history]
        assert ranks == sorted(ranks), f"{key}: {history}"
