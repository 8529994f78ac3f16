"""The synonym tables, in one place: what trackers call each column, and what they write in
coded cells. Keys are compared after `norm_key` (lower case, '&' as 'and', punctuation as spaces),
so 'D.O.B' and 'dob', 'Speech & Language' and 'speech and language' are the same key.

Add a synonym here and every importer path (header mapping, value normalisation, tests) uses it.
"""

from __future__ import annotations

import re

from senlib.core.names import (
    AREAS,
    DECISIONS,
    EHC_DECISIONS,
    INVITEE_RESPONSES,
    INVITEE_ROLES,
    NEEDS,
    OUTCOME_STATUS,
    PLAN_TYPES,
    PROGRESS,
    PROVISION_KINDS,
    PROVISION_MEASURES,
    REVIEW_KINDS,
    SEN_STATUS,
    STAFF_ROLES,
)
from senlib.store.fields import ENTITIES

_PUNCT = re.compile(r"[^a-z0-9+]+")


def norm_key(text: object) -> str:
    """Comparison key of a heading or a coded value; mirrored in SQL by `sql_norm_key`."""
    s = str(text).lower().replace("&", " and ").replace("'", "").replace("\u2019", "")
    return _PUNCT.sub(" ", s).strip()


def sql_norm_key(expr: str) -> str:
    """SQL twin of `norm_key` for a VARCHAR expression."""
    return (f"trim(regexp_replace(replace(replace(replace(lower({expr}), '&', ' and '), '''', ''), '\u2019', ''), "
            f"'[^a-z0-9+]+', ' ', 'g'))")


# ---- Column headings -> canonical field, per entity ---------------------------------------------
# The field's own name and its template label are always understood too.
HEADER_SYNONYMS: dict[str, dict[str, list[str]]] = {
    "pupils": {
        "setting": ["school", "school name", "setting name", "academy", "site"],
        "pupil_id": ["upn", "pupil id", "pupil no", "pupil number", "student id", "student number", "id",
                     "unique pupil number", "admission number", "adno", "adm no", "mis id", "sims id", "pupil ref",
                     "pupil reference", "child id", "candidate number"],
        "name": ["name", "pupil name", "pupil", "student name", "student", "full name", "child", "child name",
                 "childs name", "pupils name", "learner", "learner name"],
        "first_name": ["forename", "forenames", "first name", "firstname", "given name", "legal forename",
                       "preferred forename", "preferred name", "first"],
        "last_name": ["surname", "last name", "lastname", "family name", "legal surname"],
        "date_of_birth": ["dob", "d o b", "date of birth", "birth date", "birthdate", "birthday", "born"],
        "year_group": ["year", "year group", "yr", "yr group", "year grp", "ncy", "nc year", "national curriculum year",
                       "curriculum year", "year group ncy"],
        "class": ["class", "form", "tutor group", "reg group", "registration group", "form group", "class name"],
        "sen_status": ["sen status", "sen stage", "sen code", "sen provision", "sen", "send status", "send code",
                       "send stage", "sen category", "stage", "provision", "sen level", "register status",
                       "sen register status", "sen type", "send", "status"],
        "primary_need": ["primary need", "primary area of need", "main need", "need", "primary sen need",
                         "type of need", "primary type of need", "area of need", "sen need", "primary sen type",
                         "need type", "primary send need", "main area of need", "primary need code"],
        "secondary_need": ["secondary need", "second need", "secondary area of need", "other need",
                           "additional need", "secondary sen need", "secondary type of need"],
        "local_authority": ["la", "council", "ehcp la", "maintaining la", "home la", "responsible la",
                            "local authority", "ehc la", "funding la"],
        "key_worker": ["key worker", "keyworker", "key adult", "key person", "case holder", "case lead", "lead adult",
                       "teaching assistant", "ta"],
        "date_identified": ["date identified", "date added", "date added to register", "date on register",
                            "identified", "date of identification", "sen start date", "date placed on register",
                            "on register since"],
        "leaving_date": ["leaving date", "date left", "left", "leave date", "date of leaving", "left school"],
        "plan_type": ["plan", "plan type", "support plan", "current plan", "type of plan", "plan in place"],
        "plan_start": ["plan start", "plan start date", "ehcp issue date", "ehcp date", "date of ehcp", "ehcp start",
                       "ehcp start date", "date plan issued", "ehcp issued", "ehcp issued date", "date issued",
                       "plan date", "date of plan", "ehc plan issued", "ehc plan date", "date ehcp issued",
                       "date ehcp finalised", "ehcp finalised"],
        "plan_end": ["plan end", "plan end date", "plan ended", "date plan ended"],
        "last_review_date": ["last review", "last review date", "date of last review", "review date", "previous review",
                             "last apdr review", "last annual review", "most recent review", "date reviewed",
                             "reviewed", "last reviewed", "annual review date", "last review held",
                             "date of last annual review"],
        "next_review_date": ["next review", "next review date", "review due", "due date", "date of next review",
                             "next annual review", "next review due", "next annual review date", "review due date",
                             "next apdr review", "next review due date"],
        "review_kind": ["review type", "type of review", "review kind", "kind of review"],
        "progress": ["progress", "progress at last review", "last review progress", "progress judgement",
                     "progress at review", "progress made", "progress rating", "progress since last review"],
        "decision": ["decision", "outcome of review", "review outcome", "review decision", "next steps",
                     "decision at review", "action from review"],
        "parent_attended": ["parent attended", "parents attended", "parent attendance", "attendance at review",
                            "parents present", "parent contributed", "parent carer attended", "parent views",
                            "parents views", "parent voice", "review attendance", "parent attended review",
                            "parents attended review"],
        "child_contributed": ["child contributed", "pupil voice", "child views", "pupil views", "pupil contributed",
                              "childs views", "pupils views", "child voice", "student voice", "views of the child"],
        "invitations_sent": ["invitations sent", "invites sent", "date invites sent", "invitation date",
                             "date invitations sent"],
        "reports_received": ["reports received", "advice received", "date reports received"],
    },
    "plans": {
        "setting": ["school", "school name", "setting name"],
        "pupil_id": ["upn", "pupil id", "student id", "id", "pupil number"],
        "plan_type": ["plan", "plan type", "type of plan", "support plan"],
        "start_date": ["start", "start date", "date started", "issued", "issue date", "date issued", "plan start"],
        "end_date": ["end", "end date", "date ended", "ended", "plan end"],
        "local_authority": ["la", "council", "local authority"],
    },
    "reviews": {
        "setting": ["school", "school name", "setting name"],
        "pupil_id": ["upn", "pupil id", "student id", "id", "pupil number"],
        "plan_type": ["plan", "plan type", "type of plan"],
        "review_date": ["review date", "date", "date of review", "date held", "meeting date"],
        "held": ["held", "review held", "took place", "completed"],
        "kind": ["kind", "review kind", "review type", "type", "type of review"],
        "invitations_sent": ["invitations sent", "invites sent", "invitation date"],
        "reports_received": ["reports received", "advice received"],
        "parent_attended": ["parent attended", "parents attended", "parent attendance", "parent contributed"],
        "child_contributed": ["child contributed", "pupil voice", "child views", "pupil views"],
        "progress": ["progress", "progress judgement"],
        "decision": ["decision", "outcome", "review outcome", "next steps"],
        "next_review_date": ["next review", "next review date", "next date"],
        "report_sent": ["report sent", "report sent to la", "report sent to council", "review report sent"],
        "la_decision_date": ["la decision", "la decision date", "council decision", "council decision date"],
        "pfa_covered": ["pfa", "pfa covered", "preparing for adulthood"],
        "notes": ["notes", "comments", "comment"],
        "start_time": ["time", "start time", "meeting time", "time of meeting"],
        "place": ["place", "venue", "location", "room"],
        "chair": ["chair", "chaired by", "chairperson"],
        "parents_views": ["parents views", "parent carer views", "views of parents", "parents and carers views"],
        "child_views": ["childs views", "young persons views", "views of the child"],
        "attendance": ["attendance", "attendance %", "school attendance", "attendance percent"],
    },
    "outcomes": {
        "setting": ["school", "school name", "setting name"],
        "pupil_id": ["upn", "pupil id", "student id", "id", "pupil number"],
        "outcome_id": ["outcome id", "outcome", "outcome no", "outcome number", "target id", "target no"],
        "area": ["area", "area of need", "broad area", "section"],
        "description": ["description", "outcome description", "outcome text", "target description"],
        "baseline": ["baseline", "baseline score", "starting point", "start score"],
        "target": ["target", "target score"],
        "scale_min": ["scale min", "scale minimum", "minimum", "min"],
        "scale_max": ["scale max", "scale maximum", "maximum", "max"],
        "start_date": ["start date", "start", "date set"],
        "target_date": ["target date", "by when", "due"],
        "status": ["status", "outcome status"],
    },
    "scores": {
        "setting": ["school", "school name", "setting name"],
        "pupil_id": ["upn", "pupil id", "student id", "id", "pupil number"],
        "outcome_id": ["outcome id", "outcome", "outcome no", "target id"],
        "score_date": ["date", "score date", "date scored", "review date"],
        "score": ["score", "scaling score", "rating", "scale score"],
    },
    "ehc_requests": {
        "setting": ["school", "school name", "setting name"],
        "pupil_id": ["upn", "pupil id", "student id", "id", "pupil number"],
        "requested": ["requested", "date requested", "request date", "date of request", "ehcna requested"],
        "decision_date": ["decision date", "date of decision", "la decision date"],
        "decision": ["decision", "la decision", "result", "outcome"],
        "final_plan_date": ["final plan date", "final plan", "plan issued", "ehcp issued", "date plan issued"],
        "local_authority": ["la", "council", "local authority"],
    },
    # Review meetings (issue 17): who is invited to a review, and the actions it agrees (what, who, by when).
    "review_invitees": {
        "setting": ["school", "school name", "setting name"],
        "pupil_id": ["upn", "pupil id", "student id", "pupil number"],
        "invitee_id": ["invitee id", "invitee no", "invitee number"],
        "name": ["invitee", "invitee name", "name", "person invited", "attendee"],
        "role": ["role", "relationship", "role relationship", "job title"],
        "organisation": ["organisation", "organization", "service", "agency"],
        "contact": ["contact", "contact details", "email", "e mail", "phone", "telephone"],
        "response": ["response", "reply", "rsvp"],
        "invited_on": ["invited on", "invited", "date invited", "invitation sent", "invite sent", "date of invitation"],
        "report_received": ["report received", "advice received", "date report received"],
        "attended": ["attended", "present"],
    },
    "review_actions": {
        "setting": ["school", "school name", "setting name"],
        "pupil_id": ["upn", "pupil id", "student id", "pupil number"],
        "action_id": ["action id", "action no", "action number"],
        "action": ["action", "actions", "task", "agreed action", "action agreed", "what will happen"],
        "owner": ["who", "owner", "by whom", "responsible", "person responsible", "who will do it"],
        "due_date": ["by when", "due", "due date", "deadline", "target date"],
        "done_date": ["done", "done on", "completed", "date completed", "date done", "completed on"],
    },
    # The provision map (issue 16). A provision sheet is told from a register by its columns (headers.guess_entity):
    # an intervention's name together with how often, how long, who, cost, entry or exit.
    "provisions": {
        "setting": ["school", "school name", "setting name"],
        "provision_id": ["provision id", "intervention id", "id", "ref", "code", "provision ref", "intervention ref",
                         "provision code", "intervention code", "intervention no", "provision no"],
        "name": ["intervention", "interventions", "intervention name", "name of intervention", "programme", "program",
                 "programme name", "provision", "provision name", "name", "group", "group name", "support",
                 "name of provision", "intervention provision", "provision intervention", "activity", "title"],
    },
    "pupil_provisions": {
        "setting": ["school", "school name", "setting name"],
        "pupil_id": ["upn", "pupil id", "student id", "pupil number", "pupil no", "admission number", "adno", "mis id",
                     "sims id", "child id"],
        "provision_id": ["provision id", "intervention id", "provision ref", "intervention ref", "provision code",
                         "intervention code"],
        "name": ["name", "pupil", "pupil name", "student", "student name", "child", "child name", "full name", "learner",
                 "pupils name", "childs name"],
        "first_name": ["forename", "first name", "firstname", "given name", "preferred name"],
        "last_name": ["surname", "last name", "lastname", "family name"],
        "date_of_birth": ["dob", "d o b", "date of birth", "birth date", "birthdate", "born"],
        "year_group": ["year", "year group", "yr", "yr group", "ncy", "nc year"],
        "class": ["class", "form", "tutor group", "reg group", "class name"],
        "provision_name": ["intervention", "interventions", "intervention name", "name of intervention", "programme",
                           "program", "programme name", "provision", "provision name", "support", "group",
                           "intervention group", "name of provision", "intervention provision", "provision intervention",
                           "activity", "intervention support"],
        "start_date": ["start", "start date", "date started", "started", "began", "from", "date start", "start of intervention"],
        "end_date": ["end", "end date", "date ended", "ended", "finished", "finish", "to", "date end", "end of intervention"],
        "entry_score": ["entry", "entry score", "score on entry", "on entry", "entry data", "entry level", "entry assessment",
                        "start score", "starting score", "initial score", "pre", "pre score", "pre intervention",
                        "pre intervention score", "before", "baseline", "baseline score", "entry ra", "entry reading age",
                        "entry ss", "entry point", "entry result"],
        "entry_date": ["entry date", "date of entry", "entry assessment date", "baseline date", "pre date",
                       "date of entry assessment"],
        "exit_score": ["exit", "exit score", "score on exit", "on exit", "exit data", "exit level", "exit assessment",
                       "end score", "final score", "post", "post score", "post intervention", "post intervention score",
                       "after", "exit ra", "exit reading age", "exit ss", "exit point", "exit result"],
        "exit_date": ["exit date", "date of exit", "exit assessment date", "post date", "date of exit assessment"],
        "sessions_attended": ["attended", "sessions attended", "no attended", "number attended", "attendance",
                              "sessions attended so far", "sessions received", "no of sessions attended", "actual sessions"],
        "sessions_planned": ["planned", "sessions planned", "sessions offered", "offered", "possible", "sessions possible",
                             "out of", "no planned", "number planned", "planned sessions", "sessions expected",
                             "total sessions", "no of sessions planned"],
        "notes": ["notes", "comments", "comment", "impact", "impact notes", "notes impact", "evaluation"],
        "areas": ["area", "area of need", "areas of need", "areas", "broad area", "broad area of need", "need area",
                  "sen area", "area s of need", "code of practice area", "cop area"],
        "kind": ["kind", "kind of provision", "type", "type of provision", "provision type", "intervention type",
                 "type of intervention", "wave", "level", "group type"],
        "delivered_by": ["delivered by", "staff", "staff member", "staff role", "staffing", "delivered", "deliverer",
                         "who", "who delivers", "led by", "lead", "adult", "adult role", "provider", "run by", "ta",
                         "ta teacher", "staff delivering", "person delivering", "role"],
        "group_size": ["group size", "size of group", "no in group", "number in group", "pupils in group", "ratio",
                       "adult pupil ratio", "staff pupil ratio", "staff ratio", "size", "children in group",
                       "no of pupils", "number of pupils in group"],
        "sessions_per_week": ["sessions per week", "sessions a week", "x per week", "times per week", "times a week",
                              "frequency", "freq", "sessions", "no of sessions", "number of sessions", "per week",
                              "sessions pw", "sessions weekly", "x weekly", "how often", "weekly sessions",
                              "frequency per week", "sessions week", "x a week"],
        "minutes_per_session": ["mins", "minutes", "duration", "length of session", "session length", "time",
                                "minutes per session", "mins per session", "session duration", "length", "mins session",
                                "minutes a session", "duration mins", "duration minutes", "time mins", "session time",
                                "length mins", "session mins", "time per session", "duration of session"],
        "weeks_per_year": ["weeks", "weeks per year", "weeks a year", "no of weeks", "number of weeks",
                           "duration weeks", "length weeks", "weeks running", "how many weeks"],
        "hourly_cost": ["hourly cost", "cost per hour", "hourly rate", "rate", "cost hour", "cost per hr", "rate per hour",
                        "staff cost per hour", "hourly staff cost", "cost hr", "hour rate"],
        "fixed_cost": ["fixed cost", "fixed costs", "resource cost", "resources cost", "cost of resources", "resources",
                       "other costs", "other cost", "licence", "licence cost", "materials", "materials cost",
                       "external cost"],
        "annual_cost": ["cost", "costs", "cost per year", "cost a year", "annual cost", "total cost", "yearly cost",
                        "cost per annum", "cost pa", "cost of intervention", "total cost per year", "cost gbp",
                        "estimated cost", "cost year"],
        "measure": ["measure", "measures", "assessment", "assessment used", "measured by", "entry exit measure",
                    "scale", "tool", "assessment tool", "measure used", "how measured", "impact measure",
                    "entry and exit measure", "unit"],
        "expected_gain": ["expected gain", "expected progress", "target gain", "expected impact", "expected improvement",
                          "gain expected", "expected increase", "aim", "target progress", "expected outcome gain"],
    },
}

# Headings that are pupil attendance (a percentage) unless the values look like Yes/No answers,
# in which case they are the parent's attendance at the review.
AMBIGUOUS_ATTENDANCE = {"attendance", "attended", "attendance %", "attendance percent"}


def header_index() -> dict[str, dict[str, str]]:
    """entity -> {normalised heading: field}, including each field's own name and label."""
    out: dict[str, dict[str, str]] = {}
    for entity, fields in ENTITIES.items():
        index: dict[str, str] = {}
        for f in fields:
            for text in (f.name, f.name.replace("_", " "), f.label):
                index.setdefault(norm_key(text), f.name)
        for name, words in HEADER_SYNONYMS.get(entity, {}).items():
            for w in words:
                index[norm_key(w)] = name
        if entity == "provisions":  # a sheet describing each intervention uses the provision map's words
            details = {f.name for f in fields}
            for name, words in HEADER_SYNONYMS["pupil_provisions"].items():
                if name in details and name not in ("setting", "provision_id", "name", "start_date", "end_date", "notes"):
                    for w in words:
                        index.setdefault(norm_key(w), name)
            for w in ("start", "start date", "date started", "started"):
                index.setdefault(norm_key(w), "start_date")
            for w in ("end", "end date", "date ended", "ended", "finished"):
                index.setdefault(norm_key(w), "end_date")
            for w in ("notes", "comments", "comment"):
                index.setdefault(norm_key(w), "notes")
        out[entity] = index
    return out


HEADERS = header_index()


# ---- Coded values -> code, per vocabulary -------------------------------------------------------
# Codes and the labels in names.py are always understood too.
VALUE_SYNONYMS: dict[str, dict[str, list[str]]] = {
    "sen_status": {
        "K": ["sen support", "school support", "support", "senk", "sen k", "send support", "school action",
              "school action plus", "sa", "sa+", "sap", "k sen support", "sen support k", "additional support",
              "sen support plan"],
        "E": ["ehcp", "ehc plan", "ehc", "statement", "statemented", "statement of sen", "education health and care plan",
              "sen e", "e ehcp", "ehcp e", "ehc plan e"],
        "N": ["no sen", "none", "monitoring", "monitor", "not sen", "no", "concern", "cause for concern",
              "n no sen", "no send", "not on register", "off register"],
    },
    "need": {
        "ASD": ["autism", "asd", "asc", "autistic spectrum condition", "autistic spectrum disorder", "autism spectrum",
                "autism spectrum disorder", "autism spectrum condition", "autistic", "aspergers", "asd asc"],
        "SLCN": ["speech and language", "speech language and communication", "speech language communication",
                 "speech language and communication needs", "salt", "sl", "speech", "language",
                 "communication", "speech and language needs", "dld", "developmental language disorder"],
        "SPLD": ["spld", "spld dyslexia", "dyslexia", "dyscalculia", "dyspraxia", "dcd", "specific learning difficulties",
                 "specific learning difficulty dyslexia", "spld dyscalculia", "spld dyspraxia"],
        "MLD": ["moderate learning difficulties", "moderate learning difficulty", "mld", "global delay",
                "learning difficulty", "learning difficulties", "cognition and learning"],
        "SLD": ["severe learning difficulties", "severe learning difficulty", "sld"],
        "PMLD": ["profound and multiple learning difficulties", "profound and multiple learning difficulty", "pmld"],
        "SEMH": ["semh", "social emotional and mental health", "social emotional mental health", "behaviour",
                 "besd", "bess", "emotional", "mental health", "adhd", "attachment", "anxiety",
                 "social emotional and mental health needs"],
        "HI": ["hearing impairment", "hearing", "deaf", "hearing loss", "hi"],
        "VI": ["visual impairment", "vision impairment", "vision", "visual", "blind", "vi"],
        "MSI": ["multi sensory impairment", "multisensory impairment", "multi sensory", "deafblind", "msi"],
        "PD": ["physical disability", "physical", "pd", "physical difficulty", "physical disabilities"],
        "OTH": ["other", "other difficulty", "other difficulty disability", "oth", "medical"],
        "DS": ["down syndrome", "downs syndrome", "down s syndrome", "ds", "trisomy 21", "down syndrome ds"],
        "NSA": ["no specialist assessment", "sen support but no specialist assessment", "not assessed",
                "awaiting assessment", "nsa"],
    },
    "plan_type": {
        "pupil_profile": ["pupil profile", "one page profile", "profile", "opp"],
        "sen_support": ["sen support", "sen support plan", "iep", "isp", "ipm", "individual education plan",
                        "individual support plan", "individual provision map", "provision map", "apdr",
                        "support plan", "k"],
        "my_support_plan": ["my support plan", "msp", "pcp", "my plan"],
        "ehcp": ["ehcp", "ehc plan", "ehc", "statement", "education health and care plan", "e"],
        "ihcp": ["ihcp", "ihp", "individual healthcare plan", "individual health care plan", "healthcare plan",
                 "health care plan", "care plan", "medical plan"],
    },
    "review_kind": {
        "termly": ["termly", "apdr", "termly review", "termly apdr", "term", "sen support review", "iep review"],
        "annual": ["annual", "annual review", "ar", "ehcp annual review"],
        "interim": ["interim", "interim review", "early review", "emergency review"],
        "transition": ["transition", "transition review", "phase transfer", "phase transfer review"],
        "pcp": ["pcp", "person centred planning", "person centred planning meeting", "pcp meeting",
                "person centred review"],
    },
    "progress": {
        "more": ["more", "more than expected", "above expected", "better than expected", "exceeded", "accelerated",
                 "exceeding", "good progress above expected", "m"],
        "expected": ["expected", "as expected", "expected progress", "on track", "good", "good progress",
                     "in line", "in line with expected", "e"],
        "less": ["less", "less than expected", "below expected", "limited", "little", "slow", "slow progress",
                 "no progress", "not making expected progress", "not on track", "below", "l"],
    },
    "decision": {
        "reduce": ["reduce", "reduce support", "decrease", "step down", "remove from register"],
        "maintain": ["maintain", "maintain support", "continue", "no change", "keep", "same"],
        "increase": ["increase", "increase support", "more support", "step up"],
        "specialist_advice": ["specialist advice", "seek specialist advice", "refer to specialist", "referral",
                              "outside agency", "external advice"],
        "early_years_forum": ["early years forum", "eyf", "refer to early years forum"],
        "request_ehc_assessment": ["request ehc assessment", "request ehc needs assessment", "ehcna", "request ehcna",
                                   "apply for ehcp", "ehc request", "request ehcp"],
        "amend": ["amend", "amend the plan", "amend plan", "amendment"],
        "cease": ["cease", "cease the plan", "cease plan", "end plan"],
    },
    "area": {
        "communication_interaction": ["communication and interaction", "c and i", "ci", "c i", "communication",
                                      "communication interaction"],
        "cognition_learning": ["cognition and learning", "c and l", "cl", "c l", "cognition", "cognition learning"],
        "semh": ["semh", "social emotional and mental health", "social emotional mental health", "emotional wellbeing",
                 "social and emotional", "mental health"],
        "sensory_physical": ["sensory and or physical", "sensory and physical", "sensory physical", "physical and sensory",
                             "s and p", "sp", "sensory", "physical", "sensory needs", "physical needs"],
        "pfa": ["preparing for adulthood", "pfa", "preparation for adulthood"],
    },
    "outcome_status": {
        "active": ["active", "current", "ongoing", "open", "in progress"],
        "achieved": ["achieved", "met", "complete", "completed"],
        "partly_achieved": ["partly achieved", "partially achieved", "partly met", "partially met"],
        "not_achieved": ["not achieved", "not met"],
        "discontinued": ["discontinued", "stopped", "dropped", "closed"],
    },
    "ehc_decision": {
        "agreed": ["agreed", "agreed to assess", "yes", "assess", "accepted", "approved"],
        "refused": ["refused", "refused to assess", "no", "declined", "not agreed", "rejected"],
    },
    "provision_kind": {
        "in_class": ["in class", "in class support", "in class adjustment", "adjustment", "adjustments", "wave 1",
                     "quality first", "quality first teaching", "qft", "universal", "classroom", "whole class",
                     "in class support wave 1", "reasonable adjustment", "reasonable adjustments"],
        "small_group": ["small group", "group", "groups", "wave 2", "targeted", "small group intervention",
                        "group intervention", "small group work", "pair", "pairs", "paired"],
        "one_to_one": ["1:1", "1 1", "1 to 1", "one to one", "one 2 one", "individual", "individual support", "wave 3",
                       "specialist", "1:1 support", "one to one support", "1 to 1 support", "individual intervention"],
        "external": ["external", "outside agency", "external agency", "external specialist", "specialist service",
                     "agency", "external support", "therapy", "outreach", "commissioned"],
        "equipment": ["equipment", "resource", "resources", "equipment or resource", "equipment resource", "aid", "aids",
                      "assistive technology", "technology", "software", "kit"],
    },
    "staff_role": {
        "teaching_assistant": ["ta", "tas", "lsa", "hlta", "teaching assistant", "teaching assistants",
                               "learning support assistant", "learning support", "support assistant", "sna",
                               "higher level teaching assistant", "classroom assistant", "ta hlta", "hlta ta",
                               "inclusion assistant", "ta lsa", "lsa ta", "tas lsas"],
        "teacher": ["teacher", "class teacher", "teachers", "ct", "subject teacher", "form teacher", "intervention teacher",
                    "qualified teacher", "teacher ta"],
        "senco": ["senco", "sendco", "senco dsl", "sen co", "sen coordinator", "send coordinator", "inclusion lead",
                  "inclusion manager", "assistant senco", "deputy senco"],
        "specialist_teacher": ["specialist teacher", "advisory teacher", "specialist", "sensory support teacher",
                               "specialist teaching service", "sts", "learning support teacher", "outreach teacher",
                               "qualified teacher of the deaf", "qtod", "qtvi"],
        "salt": ["salt", "slt", "sl t", "speech and language therapist", "speech therapist", "speech and language",
                 "speech and language therapy", "speech language therapist", "salt service", "slt service"],
        "ep": ["ep", "ed psych", "educational psychologist", "psychologist", "eps", "educational psychology",
               "ed psychologist", "educational psychology service"],
        "other": ["other", "elsa", "elsa ta", "learning mentor", "mentor", "counsellor", "school counsellor",
                  "play therapist", "ot", "occupational therapist", "physio", "physiotherapist", "pastoral",
                  "pastoral lead", "nurture lead", "family support worker", "volunteer", "external"],
    },
    "provision_measure": {
        "reading_age_months": ["reading age", "ra", "reading age months", "reading age in months", "months",
                               "reading age ra", "ra months", "months reading age", "salford", "salford reading age",
                               "nfer reading age", "reading"],
        "spelling_age_months": ["spelling age", "sa", "spelling age months", "spelling age in months", "spelling",
                                "sa months", "months spelling age"],
        "scaling": ["scaling", "scaling score", "scale", "0 10", "0-10", "1 10", "1-10", "scale 0 10", "rating",
                    "self rating", "rating scale", "scaled", "scaling 0 10"],
        "standardised": ["standardised", "standardised score", "standardized", "standardized score", "ss",
                         "standard score", "standard", "sas", "standardised age score", "sats score", "nfer"],
        "percentage": ["%", "percentage", "percent", "per cent", "pct", "percentage correct", "score %", "% correct"],
        "boxall": ["boxall", "boxall profile", "boxall score"],
        "other": ["other", "observation", "teacher assessment", "ta judgement", "words read", "words per minute",
                  "wpm", "count"],
    },
    "invitee_role": {
        "parent_carer": ["parent", "parents", "carer", "carers", "parent carer", "parents carers", "mum", "dad",
                         "mother", "father", "guardian", "foster carer", "parent or carer"],
        "child": ["child", "pupil", "young person", "student", "yp", "the child"],
        "family": ["family", "family member", "grandparent", "sibling"],
        "senco": ["senco", "sendco", "sen co", "inclusion lead", "inclusion manager"],
        "headteacher": ["head", "headteacher", "head teacher", "principal", "deputy head"],
        "teacher": ["teacher", "class teacher", "form tutor", "tutor"],
        "key_worker": ["key worker", "keyworker", "ta", "teaching assistant", "lsa", "hlta"],
        "health": ["health", "paediatrician", "pediatrician", "occupational therapist", "ot", "salt", "slt",
                   "speech and language therapist", "physiotherapist", "physio", "school nurse", "nurse", "camhs"],
        "planning_coordinator": ["planning coordinator", "planning co ordinator", "plan coordinator"],
        "social_worker": ["social worker", "social care", "sw"],
        "sen_team_manager": ["team manager", "sen team manager", "sen assessment team", "sena team manager"],
        "ep_advisory": ["ep", "educational psychologist", "advisory teacher", "specialist teacher", "ed psych"],
        "sen_officer": ["sen officer", "special needs officer", "send officer", "la officer", "council officer",
                        "sen caseworker", "send caseworker", "caseworker", "case officer", "ehcp coordinator"],
        "other": ["other"],
    },
    "invitee_response": {
        "attending": ["attending", "will attend", "coming", "yes", "accepted", "attend"],
        "sending_report": ["report", "sending report", "sending a report", "report only", "written report",
                           "advice", "sending advice"],
        "attending_and_report": ["attending and report", "attending and sending a report", "both",
                                 "attend and report"],
        "not_attending": ["not attending", "cannot attend", "can't attend", "declined", "no", "apologies"],
    },
    "bool": {
        "true": ["yes", "y", "true", "1", "x", "attended", "contributed", "held", "present", "done",
                 "\u2713", "\u2714", "tick", "yes attended", "parent attended", "t", "1 0"],
        "false": ["no", "n", "false", "0", "did not attend", "dna", "not attended", "absent", "not held", "f",
                  "planned", "0 0", "no contribution"],
    },
}

# Vocabularies whose codes and labels come from names.py.
_NAMED: dict[str, dict[str, str]] = {
    "sen_status": SEN_STATUS, "need": NEEDS, "plan_type": PLAN_TYPES, "review_kind": REVIEW_KINDS,
    "progress": PROGRESS, "decision": DECISIONS, "area": AREAS, "outcome_status": OUTCOME_STATUS,
    "ehc_decision": EHC_DECISIONS, "provision_kind": PROVISION_KINDS, "staff_role": STAFF_ROLES,
    "provision_measure": PROVISION_MEASURES, "invitee_role": INVITEE_ROLES, "invitee_response": INVITEE_RESPONSES,
}

# Cell values that mean "nothing recorded" in any column (compared lower-cased and trimmed).
BLANKS = ["", "-", "--", "---", "n/a", "na", "n.a.", "n/k", "nk", "tbc", "tba", "tbd", "none recorded", "nil", "?",
          "not known", "unknown", "null", "nan", "#n/a", "."]

# Year-group words; numbers ("Year 6", "Yr 6", "Y6", "6") are read by pattern.
YEAR_WORDS: dict[str, str] = {
    "r": "R", "rec": "R", "reception": "R", "yr": "R", "year r": "R", "y r": "R", "yr r": "R", "fs2": "R", "f2": "R",
    "foundation 2": "R", "eyfs 2": "R", "year 0": "R", "n1": "N1", "nursery 1": "N1", "pre school": "N1",
    "preschool": "N1", "n2": "N2", "nursery 2": "N2", "nursery": "N2", "fs1": "N2", "f1": "N2", "foundation 1": "N2",
    "nur": "N2", "year n1": "N1", "year n2": "N2",
}

# Text in the id or name cell of a row that is not a pupil: totals and keys under the table.
NOT_A_PUPIL = r"^\s*(grand\s+total|sub\s*-?\s*total|totals?|key|count|number of pupils|no\.? of pupils|sum|average|mean)\b"


def value_table() -> list[tuple[str, str, str]]:
    """(vocabulary, normalised value, code) rows for the SQL lookup of coded cells."""
    rows: dict[tuple[str, str], str] = {}
    for vocab, codes in _NAMED.items():
        for code, label in codes.items():
            rows.setdefault((vocab, norm_key(code)), code)
            rows.setdefault((vocab, norm_key(label)), code)
            rows.setdefault((vocab, norm_key(code.replace("_", " "))), code)
    for vocab, codes in VALUE_SYNONYMS.items():
        for code, words in codes.items():
            for w in words:
                rows[(vocab, norm_key(w))] = code
    return [(v, k, c) for (v, k), c in rows.items()]


def accepted_values(vocab: str) -> str:
    """The codes of a vocabulary, for a message's 'how to fix'."""
    codes = _NAMED.get(vocab)
    if codes:
        return ", ".join(f"{c} ({label})" if c.lower() != label.lower() else c for c, label in codes.items())
    return "Yes or No"
