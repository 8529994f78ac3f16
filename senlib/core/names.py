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
    "DS": "Down syndrome",   # a type of need of its own since the January 2025 school census
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
    "DS": "cognition_learning",   # the census gives no broad area; most often met under cognition and learning
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

# Review status of a pupil on the as-of date, in the order a SENCo acts on them. `no_review_date`: the tracker
# records nothing to date the next review from (no review held, no plan start or date identified, no next review
# date): not overdue, but not on time either, and the status says what to record.
REVIEW_STATUS: dict[str, str] = {
    "overdue": "Overdue",
    "no_review_date": "No review date recorded",
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

# What a page shows for a value the tracker did not record (never "not done"; DESIGN §4).
NOT_RECORDED = "Not recorded"


def not_recorded(what: str) -> str:
    """'Area not recorded', 'Primary need not recorded': the one spelling of a missing value, named."""
    return f"{what} not recorded"


# Tables of the store, in the order a full export or import walks them.
ENTITY_TABLES: list[str] = ["pupils", "plans", "reviews", "outcomes", "scores", "ehc_requests", "provisions",
                            "pupil_provisions"]


def year_group_label(code: str | None) -> str:
    """Human label for a year-group code: 'N1' -> 'Nursery 1', '6' -> 'Year 6'."""
    if code is None:
        return "Unknown"
    if code in ("N1", "N2"):
        return f"Nursery {code[1]}"
    if code == "R":
        return "Reception"
    return f"Year {code}"


# --- Import (issue 3) ---------------------------------------------------------------------------

# Sheet name of each entity in the canonical template and in a full export.
ENTITY_SHEETS: dict[str, str] = {
    "pupils": "Pupils",
    "plans": "Plans",
    "reviews": "Reviews",
    "outcomes": "Outcomes",
    "scores": "Scores",
    "ehc_requests": "EHC requests",
    "provisions": "Provisions",
    "pupil_provisions": "Pupil provisions",
}

# Column headings of the canonical template (the labels a SENCo sees); keys are store columns.
COLUMN_LABELS: dict[str, str] = {
    "setting": "Setting",
    "pupil_id": "Pupil ID",
    "first_name": "First name",
    "last_name": "Last name",
    "date_of_birth": "Date of birth",
    "year_group": "Year group",
    "class": "Class",
    "sen_status": "SEN status",
    "primary_need": "Primary need",
    "secondary_need": "Secondary need",
    "local_authority": "Local authority",
    "key_worker": "Key worker",
    "date_identified": "Date identified",
    "leaving_date": "Leaving date",
    "plan_type": "Plan type",
    "start_date": "Start date",
    "end_date": "End date",
    "review_date": "Review date",
    "held": "Held",
    "kind": "Review kind",
    "invitations_sent": "Invitations sent",
    "reports_received": "Reports received",
    "parent_attended": "Parent attended or contributed",
    "child_contributed": "Child contributed",
    "progress": "Progress",
    "decision": "Decision",
    "next_review_date": "Next review date",
    "report_sent": "Report sent to council",
    "la_decision_date": "Council decision date",
    "pfa_covered": "Preparing for adulthood covered",
    "notes": "Notes",
    "outcome_id": "Outcome ID",
    "area": "Area of need",
    "description": "Description",
    "baseline": "Baseline",
    "target": "Target",
    "scale_min": "Scale minimum",
    "scale_max": "Scale maximum",
    "target_date": "Target date",
    "status": "Status",
    "score_date": "Score date",
    "score": "Score",
    "requested": "Requested",
    "decision_date": "Decision date",
    "final_plan_date": "Final plan date",
    # provision (the "do" of assess-plan-do-review)
    "provision_id": "Provision ID",
    "name": "Name",
    "areas": "Areas of need",
    "delivered_by": "Delivered by",
    "group_size": "Group size",
    "sessions_per_week": "Sessions a week",
    "minutes_per_session": "Minutes a session",
    "weeks_per_year": "Weeks a year",
    "hourly_cost": "Hourly cost",
    "fixed_cost": "Fixed cost a year",
    "measure": "Measure",
    "expected_gain": "Expected gain",
    "entry_score": "Entry score",
    "entry_date": "Entry date",
    "exit_score": "Exit score",
    "exit_date": "Exit date",
    "sessions_attended": "Sessions attended",
    "sessions_planned": "Sessions planned",
}

# ---- Rules (senlib.rules): review status, milestones, escalation ----

# Short plan names used inside the sentences a user reads ("EHCP last reviewed 3 Sep 2025; ...").
PLAN_SHORT: dict[str, str] = {
    "pupil_profile": "Pupil profile",
    "sen_support": "SEN Support plan",
    "my_support_plan": "My Support Plan",
    "ehcp": "EHCP",
    "ihcp": "IHCP",
}

# Plans that carry a review cadence, most specific first: a pupil's status follows the first in force.
CADENCE_PLANS: list[str] = ["ehcp", "my_support_plan", "sen_support", "ihcp"]

RULE_GROUPS: dict[str, str] = {
    "cadence": "When a review is due",
    "milestone": "Milestones around a review",
    "meeting": "Review meetings",
    "quality": "Review quality",
    "progress": "Progress judgement",
    "escalation": "Escalation: the graduated response",
    "provision": "Provision: what it costs and what it does",
}

# State of a milestone (invitations, reports) for the next review.
MILESTONE_STATES: dict[str, str] = {"done": "Done", "missed": "Missed", "to_come": "Still to come",
                                    # reports: a review kept in the app whose invitees send none (done: none to wait for)
                                    "not_needed": "Not needed"}

# Where a rule parameter in force comes from (override layers; the most specific wins).
POLICY_SOURCES: dict[str, str] = {
    "default": "Default policy",
    "all_settings": "All settings",
    "setting": "Setting",
    "local_authority": "Local authority",
    "setting_local_authority": "Setting, for one local authority",
}

# Quality checks of a held review (DESIGN §3 "Review quality").
REVIEW_CHECKS: dict[str, str] = {
    "held_on_time": "Held on time",
    "invitations_in_time": "Invitations in time",
    "reports_in_time": "Reports in time",
    "parents_involved": "Parents attended or contributed",
    "child_contributed": "Child contributed",
    "next_date_set": "Next date set",
    "outcomes_scored": "Outcomes scored",
}
# The further checks of an EHC plan's review (review_quality), as the Compliance, Rules and Pupil pages name them.
EHCP_REVIEW_CHECKS: dict[str, str] = {
    "invitations_statutory": "Statutory invitations in time (EHCP)",
    "report_sent_in_time": "Review report sent to the council in time (EHCP)",
    "la_decision_in_time": "Council decision in time (EHCP)",
    "pfa_covered": "Preparing for adulthood covered (EHCP from Year 9)",
}


# ---- Provision (issue 16): the "do" of assess-plan-do-review ----

# What kind of provision an intervention is (the rows of a costed provision map).
PROVISION_KINDS: dict[str, str] = {
    "in_class": "In-class adjustment",
    "small_group": "Small group",
    "one_to_one": "1:1",
    "external": "External specialist",
    "equipment": "Equipment or resource",
}

# Who delivers it: the role whose hourly cost (kept with the setting, senlib.store.role_costs) prices its staff time.
STAFF_ROLES: dict[str, str] = {
    "teaching_assistant": "Teaching assistant",
    "teacher": "Teacher",
    "senco": "SENCo",
    "specialist_teacher": "Specialist teacher",
    "salt": "Speech and language therapist",
    "ep": "Educational psychologist",
    "other": "Other",
}

# The measure entry and exit scores are on.
PROVISION_MEASURES: dict[str, str] = {
    "reading_age_months": "Reading age (months)",
    "spelling_age_months": "Spelling age (months)",
    "scaling": "Scaling score (0-10)",
    "standardised": "Standardised score",
    "percentage": "Percentage",
    "boxall": "Boxall profile",
    "other": "Other",
}

# A provision's areas of need are one or more of AREAS, written in one cell with this between them.
AREAS_SEPARATOR = "; "


# ---- Review meetings (issue 17): from invitation to record ----

# Who is invited to a review meeting (guidance 001 "Who should be invited?").
INVITEE_ROLES: dict[str, str] = {
    "parent_carer": "Parent or carer",
    "child": "Child or young person",
    "family": "Other family member",
    "senco": "SENCo",
    "headteacher": "Headteacher",
    "teacher": "Class teacher or tutor",
    "key_worker": "Key worker or teaching assistant",
    "health": "Health practitioner (paediatrician, OT, SALT, physiotherapist)",
    "planning_coordinator": "Planning co-ordinator",
    "social_worker": "Social worker",
    "sen_team_manager": "Team manager (SEN assessment team)",
    "ep_advisory": "Educational psychologist or advisory teacher",
    "sen_officer": "Council's SEN officer",
    "other": "Other",
}
# Invitees asked for written advice before the meeting (the request for advice goes to each of them).
PROFESSIONAL_ROLES: list[str] = ["health", "planning_coordinator", "social_worker", "sen_team_manager",
                                 "ep_advisory", "sen_officer", "other"]
# What an invitee said they will do (blank: not heard yet).
INVITEE_RESPONSES: dict[str, str] = {
    "attending": "Attending",
    "sending_report": "Sending a report",
    "attending_and_report": "Attending and sending a report",
    "not_attending": "Not attending",
}

# The documents of a review, in the order of a pack.
REVIEW_DOCUMENTS: dict[str, str] = {
    "invitation": "Invitation to parents and carers",
    "advice_request": "Request for advice",
    "agenda": "Agenda",
    "checklist": "Review meeting checklist",
    "record_form": "Review record form",
    "council_report": "Review report to the council",
}

# Where an import came from: a file uploaded, or a change made in the app (each one audited and undoable).
IMPORT_ORIGINS: dict[str, str] = {"upload": "Uploaded file", "app": "Change made in the app"}

ENTITY_TABLES += ["review_invitees", "review_actions"]
ENTITY_SHEETS.update({"review_invitees": "Invitees", "review_actions": "Actions"})
COLUMN_LABELS.update({
    "review_id": "Review ID",
    "start_time": "Time",
    "place": "Place",
    "chair": "Chair",
    "parents_views": "Parents' views",
    "child_views": "Child's views",
    "attendance": "Attendance (%)",
    "notice_warning": "Notice warning",
    "invitee_id": "Invitee ID",
    "role": "Role",
    "organisation": "Organisation",
    "contact": "Contact",
    "response": "Response",
    "invited_on": "Invited on",
    "report_received": "Report received",
    "attended": "Attended",
    "action_id": "Action ID",
    "action": "Action",
    "owner": "Who",
    "due_date": "By when",
    "done_date": "Done on",
})
