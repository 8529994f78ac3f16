"""The canonical columns of each entity: name, kind of value, whether required, and the note
the template shows under the heading. One place, so template, importer and export agree."""

from __future__ import annotations

from dataclasses import dataclass

from senlib.core.names import COLUMN_LABELS, ENTITY_SHEETS


@dataclass(frozen=True)
class Field:
    """A canonical column. `kind` drives normalisation: text, id, name, date, time (stored 'HH:MM'), year, bool, number, the numbers
    a provision map writes in words (sessions: '2x weekly', 'daily'; minutes: '30 mins', '1 hour'; money: '£1,200';
    group: '1:4'), code:<vocabulary> (see synonyms.VALUE_SYNONYMS), or codes:<vocabulary> (one or more codes in
    one cell, stored joined by names.AREAS_SEPARATOR)."""

    name: str
    kind: str = "text"
    required: bool = False
    note: str = ""
    template: bool = True  # False: understood in trackers but not a template column
    multi: bool = False    # True: a column that repeats (one per review, per target, per score; see wide.py)
    title: str = ""        # the heading, where it is not COLUMN_LABELS' (a name two entities use differently)

    @property
    def vocab(self) -> str | None:
        return self.kind.split(":", 1)[1] if self.kind.startswith(("code:", "codes:")) else None

    @property
    def several(self) -> bool:
        """One or more codes in one cell (kind codes:<vocabulary>)."""
        return self.kind.startswith("codes:")

    @property
    def numeric(self) -> bool:
        return self.kind in NUMBER_KINDS

    @property
    def label(self) -> str:
        if self.title:
            return self.title
        return COLUMN_LABELS.get(self.name, TRACKER_LABELS.get(self.name, self.name.replace("_", " ").capitalize()))


# Kinds whose value is a number (DOUBLE), each read from the words trackers use for it (normalise.norm_sql).
NUMBER_KINDS = {"number", "sessions", "minutes", "money", "group"}


# Labels of columns only a one-row-per-pupil tracker has (they become plans and reviews).
TRACKER_LABELS: dict[str, str] = {
    "name": "Name",
    "plan_start": "Plan start date",
    "plan_end": "Plan end date",
    "last_review_date": "Last review date",
    "review_kind": "Review kind",
    "history_review_date": "A review's date (one column per review)",
    "history_progress": "Progress at the review on its left",
    "history_parent_attended": "Parent attended the review on its left",
    "history_decision": "Decision at the review on its left",
    "target_text": "A target or outcome (one column per target)",
    "target_area": "Area of need of the target on its left",
    "target_baseline": "Baseline of the target on its left",
    "target_value": "Target score of the target on its left",
    "target_score": "A scaling score of the target on its left (dated)",
    "provision_name": "Intervention",
    "annual_cost": "Cost a year",
    "provision_cell": "An intervention (one column per intervention: a tick or a number for each pupil on it)",
}

_SETTING = Field("setting", note="The school or setting. Leave blank to use the one chosen when importing.")
_PUPIL = Field("pupil_id", "id", True, "Required. UPN or the setting's own pupil id; the same id in every sheet.")
_DATE = "Date, day first: 04/03/2025."

ENTITIES: dict[str, list[Field]] = {
    "pupils": [
        _SETTING,
        _PUPIL,
        Field("first_name", note="Forename."),
        Field("last_name", note="Surname."),
        Field("date_of_birth", "date", note=_DATE),
        Field("year_group", "year", note="N1, N2, R, 1 to 14."),
        Field("class", note="Class or form."),
        Field("sen_status", "code:sen_status", note="N no SEN, K SEN Support, E EHC plan."),
        Field("primary_need", "code:need", note="Census code, e.g. ASD, SLCN, SPLD; needed for K and E."),
        Field("secondary_need", "code:need", note="Census code, optional."),
        Field("local_authority", note="Council maintaining the EHC plan."),
        Field("key_worker", note="Adult who leads the pupil's support."),
        Field("date_identified", "date", note="Date added to the SEN register. " + _DATE),
        Field("leaving_date", "date", note="Only when the pupil has left. " + _DATE),
        # One-row-per-pupil trackers: these become plans and reviews.
        Field("name", "name", template=False),
        Field("plan_type", "code:plan_type", template=False),
        Field("plan_start", "date", template=False),
        Field("plan_end", "date", template=False),
        Field("last_review_date", "date", template=False),
        Field("next_review_date", "date", template=False),
        Field("review_kind", "code:review_kind", template=False),
        Field("progress", "code:progress", template=False),
        Field("decision", "code:decision", template=False),
        Field("parent_attended", "bool", template=False),
        Field("child_contributed", "bool", template=False),
        Field("invitations_sent", "date", template=False),
        Field("reports_received", "date", template=False),
    ],
    "plans": [
        _SETTING,
        _PUPIL,
        Field("plan_type", "code:plan_type", True, "Required. pupil_profile, sen_support, my_support_plan, ehcp or ihcp."),
        Field("start_date", "date", note="For an EHC plan: the date it was issued. " + _DATE),
        Field("end_date", "date", note="Blank while the plan is current. " + _DATE),
        Field("local_authority", note="Council maintaining an EHC plan."),
    ],
    "reviews": [
        _SETTING,
        _PUPIL,
        Field("plan_type", "code:plan_type", note="The plan reviewed (see Plans)."),
        Field("review_date", "date", True, "Required. Date held, or the date planned if not held yet. " + _DATE),
        Field("held", "bool", note="Yes if the review has taken place, No if it is planned."),
        Field("kind", "code:review_kind", note="termly, annual, interim, transition or pcp."),
        Field("invitations_sent", "date", note=_DATE),
        Field("reports_received", "date", note=_DATE),
        Field("parent_attended", "bool", note="Yes / No."),
        Field("child_contributed", "bool", note="Yes / No: the child's views were recorded."),
        Field("progress", "code:progress", note="more, expected or less (than expected)."),
        Field("decision", "code:decision", note="reduce, maintain, increase, specialist_advice, early_years_forum, "
              "request_ehc_assessment, amend or cease."),
        Field("next_review_date", "date", note=_DATE),
        Field("report_sent", "date", note="EHC plan: review report sent to the council. " + _DATE),
        Field("la_decision_date", "date", note="EHC plan: council's decision. " + _DATE),
        Field("pfa_covered", "bool", note="EHC plan from Year 9: Yes / No."),
        Field("notes", note="Free text."),
        # A review meeting scheduled or recorded in the app (issue 17); its record workbook carries its id.
        Field("review_id", "id", note="The review's own id (R-...), given by the app. Keep it in a record workbook; "
              "leave blank for a review the app did not schedule."),
        Field("start_time", "time", note="Time the meeting starts: 14:30 or 2.30pm."),
        Field("place", note="Where the meeting is held."),
        Field("chair", note="Who chairs the meeting (usually the SENCo or the headteacher)."),
        Field("parents_views", note="What the parents or carers said, in their words where possible."),
        Field("child_views", note="The child's or young person's views, and how they were gathered."),
        Field("attendance", "number", note="The pupil's school attendance reported at the review, in %: 94.5."),
        Field("notice_warning", note="Set by the app: why an EHC plan review had less than the statutory notice."),
    ],
    "review_invitees": [
        _SETTING,
        _PUPIL,
        Field("review_id", "id", True, "Required. The review (see Reviews, Review ID)."),
        Field("invitee_id", "text", True, "Required. Short id unique in the review, e.g. I1."),
        Field("name", note="The person's name."),
        Field("role", "code:invitee_role", note="parent_carer, child, family, senco, headteacher, teacher, key_worker, "
              "health, planning_coordinator, social_worker, sen_team_manager, ep_advisory, sen_officer or other."),
        Field("organisation", note="Service or organisation, e.g. Speech and language therapy, Kirklees Council."),
        Field("contact", note="Email, phone or address."),
        Field("response", "code:invitee_response", note="attending, sending_report, attending_and_report or "
              "not_attending; blank until they reply."),
        Field("invited_on", "date", note="Date the invitation or request for advice was sent. " + _DATE),
        Field("report_received", "date", note="Date their written report or advice arrived. " + _DATE),
        Field("attended", "bool", note="After the meeting: Yes / No."),
    ],
    "review_actions": [
        _SETTING,
        _PUPIL,
        Field("review_id", "id", True, "Required. The review that agreed it (see Reviews, Review ID)."),
        Field("action_id", "text", True, "Required. Short id unique in the review, e.g. A1."),
        Field("action", note="What will happen."),
        Field("owner", note="Who will do it."),
        Field("due_date", "date", note="By when. " + _DATE),
        Field("done_date", "date", note="When it was done. " + _DATE),
    ],
    "outcomes": [
        _SETTING,
        _PUPIL,
        Field("outcome_id", "text", True, "Required. Short id unique for the pupil, e.g. O1."),
        Field("area", "code:area", note="communication_interaction, cognition_learning, semh, sensory_physical or pfa."),
        Field("description", note="The outcome in words."),
        Field("baseline", "number", note="Score at the start."),
        Field("target", "number", note="Score that means achieved."),
        Field("scale_min", "number", note="Bottom of the scale (default 0)."),
        Field("scale_max", "number", note="Top of the scale (default 10)."),
        Field("start_date", "date", note=_DATE),
        Field("target_date", "date", note=_DATE),
        Field("status", "code:outcome_status", note="active, achieved, partly_achieved, not_achieved or discontinued."),
    ],
    "scores": [
        _SETTING,
        _PUPIL,
        Field("outcome_id", "text", True, "Required. The outcome scored (see Outcomes)."),
        Field("score_date", "date", True, "Required. " + _DATE),
        Field("score", "number", True, "Required. A number on the outcome's scale."),
    ],
    "ehc_requests": [
        _SETTING,
        _PUPIL,
        Field("requested", "date", True, "Required. Date the request for EHC needs assessment was made. " + _DATE),
        Field("decision_date", "date", note=_DATE),
        Field("decision", "code:ehc_decision", note="agreed or refused."),
        Field("final_plan_date", "date", note=_DATE),
        Field("local_authority", note="Council the request went to."),
    ],
    "provisions": [
        _SETTING,
        Field("provision_id", "text", True, "Required. Short id unique in the setting, e.g. P1; the same id on "
              "Pupil provisions. Blank: made from the intervention's name."),
        Field("name", note="The intervention, e.g. Precision teaching, ELSA, Lego therapy.", title="Intervention"),
        Field("areas", "codes:area", note="One or more of communication_interaction, cognition_learning, semh, "
              "sensory_physical; several with ; between them."),
        Field("kind", "code:provision_kind", note="in_class, small_group, one_to_one, external or equipment.",
              title="Kind of provision"),
        Field("delivered_by", "code:staff_role", note="teaching_assistant, teacher, senco, specialist_teacher, salt, "
              "ep or other: the role whose hourly cost prices the staff time."),
        Field("group_size", "group", note="Pupils in a group (1 for 1:1)."),
        Field("sessions_per_week", "sessions", note="Sessions a week."),
        Field("minutes_per_session", "minutes", note="Minutes a session."),
        Field("weeks_per_year", "number", note="Weeks it runs a school year (blank: 38)."),
        Field("hourly_cost", "money", note="Cost of an hour of staff time in £; blank: the setting's cost of the role."),
        Field("fixed_cost", "money", note="Other costs a year in £: resources, licences, a specialist's fee."),
        Field("start_date", "date", note=_DATE),
        Field("end_date", "date", note="Blank while it runs. " + _DATE),
        Field("measure", "code:provision_measure", note="What entry and exit scores are on: reading_age_months, "
              "spelling_age_months, scaling, standardised, percentage, boxall or other."),
        Field("expected_gain", "number", note="Exit score minus entry score expected, on the measure."),
        Field("notes", note="Free text."),
        # A tracker's 'Cost': the intervention's whole cost a year, staff time included (see PROVISION_COST).
        Field("annual_cost", "money", template=False),
    ],
    "pupil_provisions": [
        _SETTING,
        _PUPIL,
        Field("provision_id", "text", True, "Required. The provision (see Provisions)."),
        Field("start_date", "date", note="Date the pupil started. " + _DATE),
        Field("end_date", "date", note="Blank while the pupil is on it. " + _DATE),
        Field("entry_score", "number", note="Score on the provision's measure at the start."),
        Field("entry_date", "date", note=_DATE),
        Field("exit_score", "number", note="Score at the end."),
        Field("exit_date", "date", note=_DATE),
        Field("sessions_attended", "number", note="Sessions the pupil attended."),
        Field("sessions_planned", "number", note="Sessions planned for the pupil so far."),
        Field("notes", note="Free text."),
        # A school's own provision map, one row per pupil per intervention: the pupil by name and date of birth,
        # the intervention by name, with its details repeated on each row (they become the Provisions rows).
        Field("name", "name", template=False),
        Field("first_name", template=False),
        Field("last_name", template=False),
        Field("date_of_birth", "date", template=False),
        Field("year_group", "year", template=False),
        Field("class", template=False),
        Field("provision_name", template=False),
        *[Field(f, k, template=False, title="Kind of provision" if f == "kind" else "") for f, k in (
            ("areas", "codes:area"), ("kind", "code:provision_kind"), ("delivered_by", "code:staff_role"),
            ("group_size", "group"), ("sessions_per_week", "sessions"), ("minutes_per_session", "minutes"),
            ("weeks_per_year", "number"), ("hourly_cost", "money"), ("fixed_cost", "money"), ("annual_cost", "money"),
            ("measure", "code:provision_measure"), ("expected_gain", "number"))],
    ],
}

# The columns of a one-row-per-pupil-per-intervention sheet that describe the intervention (they become its
# Provisions row; every row of the same intervention should give the same values).
PROVISION_DETAILS = ["areas", "kind", "delivered_by", "group_size", "sessions_per_week", "minutes_per_session",
                     "weeks_per_year", "hourly_cost", "fixed_cost", "annual_cost", "measure", "expected_gain"]
# What the pupil columns of a provision sheet do: find the pupil on the register (they change nothing on it).
PROVISION_PUPIL_COLUMNS = ["name", "first_name", "last_name", "date_of_birth", "year_group", "class"]
# A tracker's 'Cost' column (annual_cost) is the intervention's whole cost a year as the school worked it out: it is
# stored as the fixed cost, with an hourly cost of 0 unless the sheet gives one, so that staff time is not priced twice.
PROVISION_COST = "annual_cost"
# One column per intervention of a provision map grid (pupils down, interventions across): its heading names the
# intervention, each cell a tick or a number (sessions or hours) for a pupil on it.
GRID_FIELD = Field("provision_cell", "text", template=False, multi=True)

# Columns that repeat across a one-row-per-pupil sheet (DESIGN §4: review history and targets with their scores in
# columns). Each may map many columns; wide.py groups them (a progress column belongs to the review date on its left,
# a score column to the target on its left) and turns each group into a review, an outcome or a score.
WIDE_FIELDS: list[Field] = [
    Field("history_review_date", "date", template=False, multi=True),
    Field("history_progress", "code:progress", template=False, multi=True),
    Field("history_parent_attended", "bool", template=False, multi=True),
    Field("history_decision", "code:decision", template=False, multi=True),
    Field("target_text", "text", template=False, multi=True),
    Field("target_area", "code:area", template=False, multi=True),
    Field("target_baseline", "number", template=False, multi=True),
    Field("target_value", "number", template=False, multi=True),
    Field("target_score", "number", template=False, multi=True),
]
WIDE = {f.name: f for f in WIDE_FIELDS}

# Columns of each store table that the template carries (import_id and timestamps are bookkeeping).
TEMPLATE_COLUMNS: dict[str, list[Field]] = {e: [f for f in fs if f.template] for e, fs in ENTITIES.items()}

# Key columns: a row with the same key is the same row (re-import updates it, never duplicates it).
KEYS: dict[str, list[str]] = {
    "pupils": ["setting", "pupil_id"],
    "plans": ["setting", "pupil_id", "plan_type", "start_date"],
    "reviews": ["setting", "pupil_id", "plan_type", "review_date"],
    "outcomes": ["setting", "pupil_id", "outcome_id"],
    "scores": ["setting", "pupil_id", "outcome_id", "score_date"],
    "ehc_requests": ["setting", "pupil_id", "requested"],
    "provisions": ["setting", "provision_id"],
    "pupil_provisions": ["setting", "pupil_id", "provision_id", "start_date"],
    "review_invitees": ["setting", "pupil_id", "review_id", "invitee_id"],
    "review_actions": ["setting", "pupil_id", "review_id", "action_id"],
}

# What a column of a pupils sheet feeds in the store, where that is not the pupils column of the same name: a
# one-row-per-pupil tracker's plan and review columns, and the repeating review-history and target columns. A field
# is *tracked* by a setting when an import in force had a column feeding it (DESIGN §4; rules: `needs` in policy.toml).
PUPIL_SHEET_FEEDS: dict[str, list[tuple[str, str]]] = {
    "name": [("pupils", "first_name"), ("pupils", "last_name")],
    "plan_type": [("plans", "plan_type")],
    "plan_start": [("plans", "start_date")],
    "plan_end": [("plans", "end_date")],
    "last_review_date": [("reviews", "review_date")],
    "next_review_date": [("reviews", "next_review_date")],
    "review_kind": [("reviews", "kind")],
    **{f: [("reviews", f)] for f in ("progress", "decision", "parent_attended", "child_contributed",
                                     "invitations_sent", "reports_received")},
    "history_review_date": [("reviews", "review_date")],
    "history_progress": [("reviews", "progress")],
    "history_parent_attended": [("reviews", "parent_attended")],
    "history_decision": [("reviews", "decision")],
    "target_text": [("outcomes", "description")],
    "target_area": [("outcomes", "area")],
    "target_baseline": [("outcomes", "baseline")],
    "target_value": [("outcomes", "target")],
    "target_score": [("scores", "score"), ("scores", "score_date")],
}


PROVISION_SHEET_FEEDS: dict[str, list[tuple[str, str]]] = {
    **{f: [] for f in PROVISION_PUPIL_COLUMNS},
    "provision_name": [("provisions", "provision_id"), ("provisions", "name"), ("pupil_provisions", "provision_id")],
    **{f: [("provisions", f)] for f in PROVISION_DETAILS if f != PROVISION_COST},
    PROVISION_COST: [("provisions", "fixed_cost"), ("provisions", "hourly_cost")],
    GRID_FIELD.name: [("provisions", "provision_id"), ("provisions", "name"), ("pupil_provisions", "provision_id")],
}


def feeds(entity: str, name: str) -> list[tuple[str, str]]:
    """The store columns (table, column) a sheet's column mapped to field `name` of `entity` writes."""
    if entity == "pupils" and name in PUPIL_SHEET_FEEDS:
        return PUPIL_SHEET_FEEDS[name]
    if entity == "pupil_provisions" and name in PROVISION_SHEET_FEEDS:
        return PROVISION_SHEET_FEEDS[name]
    if entity == "provisions" and name == "name":
        return [("provisions", "name"), ("provisions", "provision_id")]
    if entity == "provisions" and name == PROVISION_COST:
        return PROVISION_SHEET_FEEDS[PROVISION_COST]
    return [(entity, name)] if name not in ("setting", "pupil_id") else []


def store_fields() -> set[str]:
    """Every 'table.column' a rule may name in `needs`: the canonical fields of each entity."""
    return {f"{e}.{f.name}" for e, fs in ENTITIES.items() for f in fs if f.template}


SQL_TYPES: dict[str, str] = {"date": "DATE", "bool": "BOOLEAN", **{k: "DOUBLE" for k in NUMBER_KINDS}}


def field(entity: str, name: str) -> Field:
    """The field `name` of `entity` (a pupil sheet's repeating fields included)."""
    for f in ENTITIES[entity]:
        if f.name == name:
            return f
    if entity == "pupils" and name in WIDE:
        return WIDE[name]
    if entity == "pupil_provisions" and name == GRID_FIELD.name:
        return GRID_FIELD
    raise KeyError(f"{entity}.{name}")


def sql_type(f: Field) -> str:
    """DuckDB type of a normalised field."""
    return SQL_TYPES.get(f.kind, "VARCHAR")


def sheet_entity(sheet_name: str) -> str | None:
    """The entity a sheet holds when it is named like a template sheet ('Reviews', 'EHC requests')."""
    key = sheet_name.strip().lower().replace("_", " ")
    for entity, label in ENTITY_SHEETS.items():
        if key in (label.lower(), entity.replace("_", " ")):
            return entity
    return None
