"""Codes, labels and column names, defined once for the whole product.

Census codes follow the DfE school census; plan types, review kinds, progress and
decisions are the vocabulary of the graduated response (DESIGN §2, §4).
"""

from __future__ import annotations

SEN_STATUS: dict[str, str] = {"N": "No SEN", "K": "SEN Support", "E": "EHC plan"}

NEEDS: dict[str, str] = {
    "SPLD": "Specific learning difficulty",
    "MLD": "Moderate learning difficulty",
    "SLD": "Severe learning difficulty",
    "PMLD": "Profound and multiple learning difficulty",
    "SEMH": "Social, emotional and mental health",
    "SLCN": "Speech, language and communication needs",
    "HI": "Hearing impairment",
    "VI": "Vision impairment",
    "MSI": "Multi-sensory impairment",
    "PD": "Physical disability",
    "ASD": "Autistic spectrum disorder",
    "OTH": "Other difficulty or disability",
    "NSA": "SEN support but no specialist assessment of type of need",
}

PLAN_TYPES: dict[str, str] = {
    "pupil_profile": "Pupil profile",
    "sen_support": "SEN Support plan",
    "my_support_plan": "My Support Plan",
    "ehcp": "EHC plan",
    "ihcp": "Individual Healthcare Plan",
}

REVIEW_KINDS: dict[str, str] = {
    "termly": "Termly / APDR review",
    "annual": "Annual review",
    "interim": "Interim review",
    "transition": "Transition review",
    "pcp": "Person-centred planning meeting",
}

PROGRESS: dict[str, str] = {
    "more": "More than expected",
    "expected": "Expected",
    "less": "Less than expected",
}

DECISIONS: dict[str, str] = {
    "reduce": "Reduce support",
    "maintain": "Maintain support",
    "increase": "Increase support",
    "specialist_advice": "Seek specialist advice",
    "early_years_forum": "Refer to Early Years Forum",
    "request_ehc_assessment": "Request EHC needs assessment",
    "amend": "Amend the plan",
    "cease": "Cease the plan",
}

AREAS: dict[str, str] = {
    "communication_interaction": "Communication and interaction",
    "cognition_learning": "Cognition and learning",
    "semh": "Social, emotional and mental health",
    "sensory_physical": "Sensory and/or physical",
    "pfa": "Preparing for adulthood",
}

# Which broad area of need each census need code belongs to.
NEED_AREA: dict[str, str] = {
    "SLCN": "communication_interaction",
    "ASD": "communication_interaction",
    "SPLD": "cognition_learning",
    "MLD": "cognition_learning",
    "SLD": "cognition_learning",
    "PMLD": "cognition_learning",
    "NSA": "cognition_learning",
    "SEMH": "semh",
    "HI": "sensory_physical",
    "VI": "sensory_physical",
    "MSI": "sensory_physical",
    "PD": "sensory_physical",
    "OTH": "sensory_physical",
}

EHC_DECISIONS: dict[str, str] = {"agreed": "Agreed to assess", "refused": "Refused to assess"}

OUTCOME_STATUS: dict[str, str] = {
    "active": "Active",
    "achieved": "Achieved",
    "partly_achieved": "Partly achieved",
    "not_achieved": "Not achieved",
    "discontinued": "Discontinued",
}

REVIEW_STATUS: dict[str, str] = {
    "overdue": "Overdue",
    "due_soon": "Due soon",
    "on_track": "On track",
    "not_applicable": "Not applicable",
}

# Year groups in school order. Index 0 is Reception; nursery is negative.
YEAR_GROUPS: list[str] = ["N1", "N2", "R"] + [str(y) for y in range(1, 15)]
YEAR_INDEX: dict[str, int] = {yg: i - 2 for i, yg in enumerate(YEAR_GROUPS)}

SETTING_PHASES: dict[str, str] = {
    "early_years": "Early years (nursery)",
    "infant": "Infant school",
    "primary": "Primary school",
    "secondary": "Secondary school",
    "all_through": "All-through school",
    "special": "Special school",
}

# Tables of the store, in the order a full export or import walks them.
ENTITY_TABLES: list[str] = ["pupils", "plans", "reviews", "outcomes", "scores", "ehc_requests"]

DEFAULT_SCALE = (0.0, 10.0)


def year_group_label(code: str | None) -> str:
    """Human label for a year-group code: 'N1' -> 'Nursery 1', '6' -> 'Year 6'."""
    if code is None:
        return "Unknown"
    if code in ("N1", "N2"):
        return f"Nursery {code[1]}"
    if code == "R":
        return "Reception"
    return f"Year {code}"
