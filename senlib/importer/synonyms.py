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
    NEEDS,
    OUTCOME_STATUS,
    PLAN_TYPES,
    PROGRESS,
    REVIEW_KINDS,
    SEN_STATUS,
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
        "communication_interaction": ["communication and interaction", "c and i", "ci", "c i"],
        "cognition_learning": ["cognition and learning", "c and l", "cl", "c l"],
        "semh": ["semh", "social emotional and mental health"],
        "sensory_physical": ["sensory and or physical", "sensory and physical", "sensory physical", "physical and sensory",
                             "s and p", "sp"],
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
    "ehc_decision": EHC_DECISIONS,
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
