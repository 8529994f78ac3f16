"""The default wording of each review document, built in code with python-docx (so no binary is committed).

Why this wording: guidance 001 (invitations about 6 weeks ahead with a copy of the current plan; reports at least
2 weeks before from those who cannot come; the child contributes; what to cover in the meeting), guidance 002
(preparing for the meeting, the meeting itself, the checklist, the offer of an advocate) and guidance 000 (the
actions a review can conclude). Letters to families are in plain English a parent reads once and understands. A
SENCo downloads these, changes the wording in Word and uploads them back (senlib.documents.templates).
"""

from __future__ import annotations

import io
from collections.abc import Callable

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt, RGBColor

from senlib.core.errors import InputError
from senlib.core.names import REVIEW_DOCUMENTS

FONT = "Arial"  # LibreOffice draws it with the metric-compatible Liberation Sans: the PDF keeps Word's line breaks
INK = RGBColor(0x1F, 0x2A, 0x44)
FIRST = "{{ pupil_first_name }}"
UNTICKED = "☐"


def _new(title: str) -> DocxDocument:
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2.0)
    section.top_margin, section.bottom_margin = Cm(1.8), Cm(1.8)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(11)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.1
    for name, size in (("Title", 16), ("Heading 1", 12.5), ("Heading 2", 11.5)):
        style = doc.styles[name]
        style.font.name, style.font.size, style.font.bold, style.font.color.rgb = FONT, Pt(size), True, INK
        style.paragraph_format.space_before = Pt(10 if name != "Title" else 0)
        style.paragraph_format.space_after = Pt(3)
        rpr = style.element.get_or_add_rPr()  # the theme font would win in Word otherwise
        fonts = rpr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}rFonts")
        if fonts is not None:
            for attr in list(fonts.attrib):
                if attr.endswith(("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme")):
                    del fonts.attrib[attr]
    title_style = doc.styles["Title"]
    title_style.paragraph_format.space_after = Pt(8)
    doc.core_properties.title = title
    doc.core_properties.author = ""
    doc.core_properties.comments = ""
    return doc


def _letterhead(doc: DocxDocument) -> None:
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    p.add_run("{{ setting_name }}").bold = True
    p.add_run("\n{{ today }}")


def _para(doc: DocxDocument, *parts: str, bold_first: bool = False, style: str | None = None) -> None:
    p = doc.add_paragraph(style=style)
    for i, text in enumerate(parts):
        run = p.add_run(text)
        run.bold = bold_first and i == 0


def _bullets(doc: DocxDocument, items: list[str], style: str = "List Bullet") -> None:
    for item in items:
        p = doc.add_paragraph(item, style=style)
        p.paragraph_format.space_after = Pt(3)


def _details(doc: DocxDocument, rows: list[tuple[str, str]], widths: tuple[float, float] = (4.5, 12.5)) -> None:
    """A two-column table of labels and placeholders (a SENCo can edit either side in Word)."""
    table = doc.add_table(rows=0, cols=2)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    table.autofit = False
    for col, width in zip(table.columns, widths, strict=True):
        col.width = Cm(width)
    for label, value in rows:
        cells = table.add_row().cells
        cells[0].width, cells[1].width = Cm(widths[0]), Cm(widths[1])
        cells[0].paragraphs[0].add_run(label).bold = True
        cells[1].paragraphs[0].add_run(value)
        for c in cells:
            c.paragraphs[0].paragraph_format.space_after = Pt(0)
    doc.add_paragraph().paragraph_format.space_after = Pt(0)


def _box(doc: DocxDocument, placeholder: str, height_cm: float = 2.5) -> None:
    """A bordered box with the recorded text in it, tall enough to write in by hand."""
    table = doc.add_table(rows=1, cols=1)
    table.style = doc.styles["Table Grid"]
    row = table.rows[0]
    row.height = Cm(height_cm)
    cell = row.cells[0]
    cell.width = Cm(17)
    cell.paragraphs[0].add_run(placeholder)
    doc.add_paragraph().paragraph_format.space_after = Pt(0)


def _block(doc: DocxDocument, name: str) -> None:
    doc.add_paragraph(f"{{{{p {name}}}}}")


def _sign_off(doc: DocxDocument) -> None:
    _para(doc, "Yours sincerely,")
    p = doc.add_paragraph()
    p.paragraph_format.space_before = Pt(18)
    p.add_run("{{ senco_name }}\nSENCo, {{ setting_name }}")


def _meeting_lines(doc: DocxDocument, chair: bool = False) -> None:
    rows = [("Date", "{{ meeting_date }}"), ("Time", "{{ meeting_time }}"), ("Place", "{{ meeting_place }}")]
    if chair:
        rows.append(("Chaired by", "{{ chair }}"))
    _details(doc, rows, widths=(2.6, 9.0))


def invitation() -> DocxDocument:
    doc = _new("Invitation to a review meeting")
    _letterhead(doc)
    _para(doc, "Dear {{ parent_name }},")
    doc.add_paragraph(f"Invitation to {FIRST}'s review meeting", style="Title")
    _para(doc, f"We would like to invite you to a meeting to review {FIRST}'s {{{{ plan_name }}}} together. "
          "We hope you can come.")
    _meeting_lines(doc)
    doc.add_paragraph("What the meeting is for", style="Heading 1")
    _para(doc, "{{ meeting_purpose }}")
    _para(doc, f"You know {FIRST} best, and what you tell us matters. It may help to think beforehand about what is "
          f"going well, anything that worries you, and what you would most like to happen next.")
    doc.add_paragraph(f"Hearing from {FIRST}", style="Heading 1")
    _para(doc, "{{ child_views_how }}")
    doc.add_paragraph("Before the meeting", style="Heading 1")
    _bullets(doc, [
        f"We have enclosed a copy of {FIRST}'s current {{{{ plan_name }}}}, so that you can look at it before we meet.",
        "You are welcome to bring someone with you for support: a relative, a friend, or an advocate. If you would "
        "like an advocate, we can put you in touch with the local SEND information, advice and support service "
        "(Parent Partnership); it is free.",
        f"We are also inviting the people who work with {FIRST}. Those who cannot come will send a written report by "
        "{{ reports_needed_by }}, and we will share the reports with you before the meeting.",
    ])
    _block(doc, "statutory_notice")
    doc.add_paragraph("Please let us know", style="Heading 1")
    _para(doc, "Please let us know by {{ reply_by }} whether you can come. If the date or time is difficult for you, "
          "tell us and we will try to find one that suits you better. If you would like an interpreter, or anything "
          "else that would help you take part, please tell us too.")
    _sign_off(doc)
    return doc


def advice_request() -> DocxDocument:
    doc = _new("Request for advice")
    _letterhead(doc)
    _para(doc, "{{ invitee_name }}\n{{ invitee_role }}\n{{ invitee_organisation }}")
    _para(doc, "Dear {{ invitee_name }},")
    doc.add_paragraph("Request for advice: {{ pupil_name }}", style="Title")
    _para(doc, f"We are holding the {{{{ review_kind }}}} of {FIRST}'s {{{{ plan_name }}}} (date of birth "
          "{{ date_of_birth }}, {{ year_group }}) and would value your advice. You are warmly invited to the meeting.")
    _meeting_lines(doc)
    _para(doc, "{{ meeting_purpose }}")
    doc.add_paragraph("Your report", style="Heading 1")
    p = doc.add_paragraph()
    p.add_run("Whether or not you can come, please send us a written report by ")
    p.add_run("{{ reports_needed_by }}").bold = True
    p.add_run(", so that we can share it with the family and everyone invited before the meeting.")
    _para(doc, "It would help us most to hear:")
    _bullets(doc, [
        f"the progress you have seen towards the outcomes below, and what has helped {FIRST};",
        "any new information, or concerns;",
        "your recommendations: next targets, strategies or treatments, and the support you will give;",
        "whether you will be involved over the coming months, and who else should be invited next time.",
    ])
    doc.add_paragraph(f"{FIRST}'s current outcomes", style="Heading 1")
    _block(doc, "outcomes_table")
    _para(doc, "Please let us know whether you will attend. Thank you for your help.")
    _sign_off(doc)
    return doc


def agenda() -> DocxDocument:
    doc = _new("Review meeting agenda")
    doc.add_paragraph("Review meeting agenda", style="Title")
    _para(doc, "{{ pupil_name }}", ": {{ review_kind }} of the {{ plan_name }}", bold_first=True)
    _meeting_lines(doc, chair=True)
    doc.add_paragraph("Who is invited", style="Heading 1")
    _block(doc, "invitees_table")
    doc.add_paragraph("Agenda", style="Heading 1")
    _bullets(doc, [
        "Welcome and introductions.",
        f"Positive comments: what is going well for {FIRST}.",
        f"What is important to {FIRST} and the family, and what is important for them, now and in the future.",
        f"{FIRST}'s progress towards the outcomes (scoring each one together) and the reports received.",
        "Comments from parents and carers, and the progress they notice at home; comments from the other services.",
        f"{FIRST}'s involvement, views and preferences.",
        f"How the support and strategies are working across {FIRST}'s day, and their impact: what should stay in "
        "place and what should be added or changed.",
        "Progress in other areas, and any new or current concerns. Are risks well managed and is the plan working "
        "safely?",
        "Future plans, e.g. a school starting date, a move or transition, referrals to other services, and the "
        "support other services will give.",
        "What level of support is needed now: less, similar or more?",
        "Next steps: what will happen, who will do it and by when.",
        "The date of the next review, and anyone else to invite to it.",
    ], style="List Number")
    _para(doc, "Minutes will be taken. The meeting should take about one hour.")
    return doc


def checklist() -> DocxDocument:
    doc = _new("Review meeting checklist")
    doc.add_paragraph("Review meeting checklist", style="Title")
    _para(doc, "{{ pupil_name }}", ": {{ review_kind }}, {{ meeting_date }} at {{ meeting_time }}, {{ meeting_place }}",
          bold_first=True)
    _para(doc, "A box is ticked where the app's records show it is done; tick the others by hand.")
    doc.add_paragraph("Before the meeting", style="Heading 1")
    items = [
        ("{{ tick_parents_invited }}", "Parents or carers invited, and asked whether there are services supporting "
         "them or their child whom they would like invited."),
        ("{{ tick_professionals_invited }}", "Everyone who works with the child invited (or asked to contribute)."),
        ("{{ tick_invitations_sent }}", "Invitations sent by letter, with a copy of the current plan; a copy kept for "
         "the records."),
        ("{{ tick_reports_received }}", "Reports and suggestions for next targets received from those who cannot "
         "attend (needed by {{ reports_needed_by }}): {{ reports_summary }}."),
        (UNTICKED, "Date, time and place set: a quiet room, free from interruptions, for confidentiality."),
        (UNTICKED, f"A time chosen when {FIRST} can be cared for in the setting, or the parents can make other "
         "arrangements."),
        ("{{ tick_child_views }}", f"{FIRST}'s views gathered, with evidence of {FIRST}'s involvement in the targets "
         "(photographs, videos, comments)."),
        (UNTICKED, "Record sheets gone through: which targets are met, which need adapting or repeating (a target not "
         "met may not have been SMART enough: set smaller steps)."),
        (UNTICKED, f"Staff who work with {FIRST} asked about progress and concerns."),
        (UNTICKED, "Next targets considered, ready to change in the light of new information."),
    ]
    for box, text in items:
        _para(doc, f"{box}  {text}")
    doc.add_paragraph("On the day", style="Heading 1")
    for text in [
        "Parents and all the appropriate professionals have been invited.",
        "The room is warm and welcoming.",
        "Parents have been offered an advocate: someone they know, or the Parent Partnership service.",
        f"Is {FIRST} to attend? For how long, at what point, who will bring {FIRST} in, and what will be discussed "
        "while they are in the room?",
        "Where will people sit? Parents and child sit next to someone they know and feel comfortable with.",
        "A clear time limit is set (one hour should be enough).",
        "Introductions are made clearly at the start; someone is taking minutes.",
        "Parents and child are involved in the review and in setting the next targets and support.",
    ]:
        _para(doc, f"{UNTICKED}  {text}")
    return doc


def record_form() -> DocxDocument:
    doc = _new("Review record")
    doc.add_paragraph("Review record", style="Title")
    _details(doc, [("Name", "{{ pupil_name }}"), ("Pupil ID", "{{ pupil_id }}"), ("Date of birth", "{{ date_of_birth }}"),
                   ("Year group", "{{ year_group }}"), ("Primary need", "{{ primary_need }}"),
                   ("Plan", "{{ plan_name }}"), ("Review", "{{ review_kind }}"),
                   ("Meeting", "{{ meeting_date }}, {{ meeting_time }}, {{ meeting_place }}"), ("Chair", "{{ chair }}"),
                   ("Review ID", "{{ review_id }}")])
    doc.add_paragraph("Who was invited and who came", style="Heading 1")
    _block(doc, "invitees_table")
    _para(doc, "School attendance: ", "{{ attendance }}", bold_first=True)
    doc.add_paragraph("Outcomes and scaling", style="Heading 1")
    _para(doc, "Score each outcome together in the meeting, on its scale (0 = not started, 10 = fully achieved).")
    _block(doc, "outcomes_table")
    doc.add_paragraph("Parents' and carers' views", style="Heading 1")
    _box(doc, "{{ parents_views }}")
    doc.add_paragraph(f"{FIRST}'s views", style="Heading 1")
    _box(doc, "{{ child_views }}")
    doc.add_paragraph("Progress since the last review", style="Heading 1")
    _block(doc, "progress_list")
    doc.add_paragraph("What the review decided", style="Heading 1")
    _block(doc, "decisions_list")
    doc.add_paragraph("Actions: what will happen next, who will do it and by when", style="Heading 1")
    _block(doc, "actions_table")
    _para(doc, "Date of the next review: ", "{{ next_review_date }}", bold_first=True)
    doc.add_paragraph("Notes", style="Heading 1")
    _box(doc, "{{ notes }}", height_cm=2.0)
    _para(doc, "Signed (chair): ______________________________     Date: ________________")
    return doc


def council_report() -> DocxDocument:
    doc = _new("Review report to the council")
    _letterhead(doc)
    _para(doc, "To: {{ local_authority }}")
    doc.add_paragraph("Review report: {{ pupil_name }}", style="Title")
    _para(doc, "The report of the {{ review_kind }} of the {{ plan_name }}, held on {{ meeting_date }}. It is due with "
          "the council by {{ council_report_due }}.")
    _details(doc, [("Name", "{{ pupil_name }}"), ("Pupil ID", "{{ pupil_id }}"), ("Date of birth", "{{ date_of_birth }}"),
                   ("Year group", "{{ year_group }}"), ("Primary need", "{{ primary_need }}"),
                   ("Setting", "{{ setting_name }}"), ("Meeting", "{{ meeting_date }}, {{ meeting_place }}"),
                   ("School attendance", "{{ attendance }}")])
    doc.add_paragraph("Who was invited and who came", style="Heading 1")
    _block(doc, "invitees_table")
    doc.add_paragraph("Progress towards the outcomes", style="Heading 1")
    _block(doc, "outcomes_table")
    _para(doc, "Progress since the last review: ", "{{ progress }}", bold_first=True)
    doc.add_paragraph("The views of the parents or carers", style="Heading 1")
    _para(doc, "{{ parents_views }}")
    doc.add_paragraph(f"{FIRST}'s views", style="Heading 1")
    _para(doc, "{{ child_views }}")
    doc.add_paragraph("Recommendation of the review", style="Heading 1")
    _para(doc, "{{ decision }}")
    doc.add_paragraph("Actions agreed", style="Heading 1")
    _block(doc, "actions_table")
    _para(doc, "Date of the next review: ", "{{ next_review_date }}", bold_first=True)
    _para(doc, "{{ notes }}")
    _para(doc, "Sent by {{ senco_name }}, SENCo, {{ setting_name }}, on {{ today }}.")
    return doc


BUILDERS: dict[str, Callable[[], DocxDocument]] = {
    "invitation": invitation, "advice_request": advice_request, "agenda": agenda, "checklist": checklist,
    "record_form": record_form, "council_report": council_report,
}
assert list(BUILDERS) == list(REVIEW_DOCUMENTS)


def default_template(document: str) -> bytes:
    """The shipped template of `document` (a names.REVIEW_DOCUMENTS key) as .docx bytes."""
    if document not in BUILDERS:
        raise InputError(f"There is no review document '{document}'.", fix=f"Use one of: {', '.join(REVIEW_DOCUMENTS)}.")
    out = io.BytesIO()
    BUILDERS[document]().save(out)
    return out.getvalue()
