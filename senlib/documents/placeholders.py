"""The placeholders a review document may use, as data, in one place.

Why one place: the default templates, the check of an uploaded template, the list a SENCo reads on the page and the
context built from the store must agree. A placeholder is either `text` (written `{{ name }}` inside a sentence) or
`block` (written `{{p name}}` on a paragraph of its own: a table, tick boxes, a paragraph that only some letters
have). Templates need no statements: every table is built by the product.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from senlib.core.names import REVIEW_DOCUMENTS

TEXT, BLOCK = "text", "block"


@dataclass(frozen=True)
class Placeholder:
    """One placeholder: its name, what it is in a SENCo's words, text or block."""

    name: str
    what: str
    kind: str = TEXT

    @property
    def spelling(self) -> str:
        """How to write it in a Word template."""
        return f"{{{{p {self.name}}}}}" if self.kind == BLOCK else f"{{{{ {self.name} }}}}"


_ALL = [
    Placeholder("today", "Today's date, e.g. 1 December 2026"),
    Placeholder("setting_name", "The school or setting's name"),
    Placeholder("senco_name", "The SENCo's name (an invitee with the role SENCo, else the chair)"),
    Placeholder("local_authority", "The council (for an EHC plan: the council that maintains it)"),
    Placeholder("pupil_name", "The child's full name, e.g. Amy Smith"),
    Placeholder("pupil_first_name", "The child's first name, e.g. Amy"),
    Placeholder("pupil_id", "The child's pupil ID (UPN or the setting's own id)"),
    Placeholder("date_of_birth", "The child's date of birth, e.g. 3 May 2018"),
    Placeholder("year_group", "The child's year group, e.g. Year 3"),
    Placeholder("primary_need", "The child's primary type of need, in words"),
    Placeholder("plan_name", "The plan being reviewed, e.g. EHC plan, SEN Support plan"),
    Placeholder("review_kind", "The kind of review, e.g. Annual review"),
    Placeholder("review_id", "The review's own id in the app, e.g. R-3F9A2C71"),
    Placeholder("meeting_date", "The meeting's date with the day, e.g. Tuesday 12 January 2027"),
    Placeholder("meeting_time", "The meeting's start time, e.g. 10:30am"),
    Placeholder("meeting_place", "Where the meeting is held"),
    Placeholder("chair", "Who chairs the meeting"),
    Placeholder("meeting_purpose", "A sentence saying what the meeting is for, built from the plan and the kind of review"),
    Placeholder("child_views_how", "A sentence saying how the child's views will be heard"),
    Placeholder("reply_by", "The date to reply to the invitation by"),
    Placeholder("reports_needed_by", "The date written reports and advice are needed by (advice_before weeks before the meeting)"),
    Placeholder("notice_weeks", "How long before the meeting invitations go out, e.g. 6 weeks"),
    Placeholder("statutory_notice", "For an EHC plan: a paragraph on the notice the law requires; nothing otherwise",
                BLOCK),
    Placeholder("parent_name", "The parents' or carers' names from the invitees, else 'Parent or carer'"),
    Placeholder("invitee_name", "The professional a request for advice is addressed to"),
    Placeholder("invitee_role", "That professional's role, e.g. Educational psychologist or advisory teacher"),
    Placeholder("invitee_organisation", "That professional's service or organisation"),
    Placeholder("invitees_table", "A table of everyone invited: name, role, organisation, reply, report received", BLOCK),
    Placeholder("outcomes_table", "A table of the current outcomes with their last score and its date, and a column "
                "to score in the meeting", BLOCK),
    Placeholder("attendance", "The child's school attendance reported at the review, e.g. 94%"),
    Placeholder("parents_views", "The parents' or carers' views recorded at the review"),
    Placeholder("child_views", "The child's views recorded at the review"),
    Placeholder("progress", "The progress judgement recorded, e.g. Expected"),
    Placeholder("progress_list", "Tick boxes of the progress judgements, the one recorded ticked", BLOCK),
    Placeholder("decision", "The decision recorded, e.g. Maintain support"),
    Placeholder("decisions_list", "Tick boxes of the decisions a review can reach, the one taken ticked", BLOCK),
    Placeholder("actions_table", "A table of the actions agreed: what, who, by when, done (blank rows before the "
                "meeting)", BLOCK),
    Placeholder("next_review_date", "The date agreed for the next review"),
    Placeholder("council_report_due", "The date the review report must reach the council (report_after weeks after "
                "the meeting)"),
    Placeholder("notes", "Notes recorded at the review"),
    Placeholder("tick_parents_invited", "☒ when parents or carers are recorded as invited, else ☐"),
    Placeholder("tick_professionals_invited", "☒ when every professional invitee is recorded as invited, else ☐"),
    Placeholder("tick_invitations_sent", "☒ when the invitations are recorded as sent, else ☐"),
    Placeholder("tick_reports_received", "☒ when every report asked for is recorded as received, else ☐"),
    Placeholder("tick_child_views", "☒ when the child's views are recorded, else ☐"),
    Placeholder("reports_summary", "A sentence saying which reports have arrived, e.g. 1 of 2 reports received"),
]

PLACEHOLDERS: dict[str, Placeholder] = {p.name: p for p in _ALL}

_COMMON = ("today", "setting_name", "senco_name", "pupil_name", "pupil_first_name", "plan_name", "review_kind",
           "meeting_date", "meeting_time", "meeting_place")

# Which placeholders each document's default template uses (any document may use any placeholder).
DOCUMENT_PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "invitation": (*_COMMON, "parent_name", "meeting_purpose", "child_views_how", "reply_by", "reports_needed_by",
                   "notice_weeks", "statutory_notice"),
    "advice_request": (*_COMMON, "invitee_name", "invitee_role", "invitee_organisation", "date_of_birth", "year_group",
                       "meeting_purpose", "reports_needed_by", "outcomes_table"),
    "agenda": (*_COMMON, "chair", "meeting_purpose", "invitees_table"),
    "checklist": (*_COMMON, "tick_parents_invited", "tick_professionals_invited", "tick_invitations_sent",
                  "tick_reports_received", "tick_child_views", "reports_summary", "reports_needed_by"),
    "record_form": (*_COMMON, "pupil_id", "date_of_birth", "year_group", "primary_need", "chair", "review_id",
                    "invitees_table", "outcomes_table", "attendance", "parents_views", "child_views", "progress_list",
                    "decisions_list", "actions_table", "next_review_date", "notes"),
    "council_report": (*_COMMON, "pupil_id", "date_of_birth", "year_group", "primary_need", "local_authority",
                       "council_report_due", "invitees_table", "outcomes_table", "attendance", "parents_views",
                       "child_views", "progress", "decision", "actions_table", "next_review_date", "notes"),
}
assert set(DOCUMENT_PLACEHOLDERS) == set(REVIEW_DOCUMENTS)
assert all(n in PLACEHOLDERS for names in DOCUMENT_PLACEHOLDERS.values() for n in names)

# Per professional invitee: the advice request is made once for each of them.
INVITEE_PLACEHOLDERS = ("invitee_name", "invitee_role", "invitee_organisation")


def placeholder_table(document: str | None = None) -> pd.DataFrame:
    """The placeholders as a table for the page (a document: those its default uses first)."""
    used = DOCUMENT_PLACEHOLDERS.get(document or "", ())
    rows = [{"placeholder": p.spelling, "what": p.what, "in the default": p.name in used} for p in _ALL]
    frame = pd.DataFrame(rows)
    return frame.sort_values("in the default", ascending=False, kind="stable").reset_index(drop=True)


def known_list() -> str:
    """Every placeholder's spelling, comma separated, for messages."""
    return ", ".join(p.spelling for p in _ALL)
