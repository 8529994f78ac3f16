"""The review documents: their text (Word paragraphs and table cells, and the PDF), a setting's own wording in both,
and the pack of a date range. The PDFs are made once for the module (LibreOffice takes seconds)."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import docx
import pytest
from pypdf import PdfReader

from senlib import access
from senlib.documents import context, pack, templates
from senlib.documents.defaults import default_template
from tests import documents_fixture as fx

SENCO = access.local_viewer()
GOVERNOR = access.Viewer(role=access.GOVERNOR, email="gov@school.org")
OTHER_SCHOOL = access.Viewer(role=access.SENCO, email="s@other.org", settings=frozenset({"Other School"}))
UNIQUE = "Our caretaker Mr Bloggs will meet you at the blue gate half an hour early."


def text_of(data: bytes) -> str:
    """Every paragraph and table cell of a .docx, one a line."""
    d = docx.Document(io.BytesIO(data))
    lines = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            lines.append(" | ".join(c.text for c in row.cells))
    return "\n".join(lines)


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    con = fx.make_db(tmp_path_factory.mktemp("docs") / "docs.duckdb")
    yield con
    con.close()


@pytest.fixture(scope="module")
def amy(db):
    """Amy's whole pack as Word and PDF, with the setting's own invitation wording."""
    template = docx.Document(io.BytesIO(default_template("invitation")))
    para = next(p for p in template.paragraphs if p.text.startswith("Please let us know by"))
    para.text = UNIQUE + " Please reply by {{ reply_by }}."
    buf = io.BytesIO()
    template.save(buf)
    used = templates.save_template(db, fx.SETTING, "invitation", "our invitation.docx", buf.getvalue(), viewer=SENCO)
    assert "reply_by" in used
    return pack.review_documents(db, fx.SETTING, fx.AMY, as_of=fx.AS_OF, viewer=SENCO)


def _one(files: dict[str, bytes], label: str, ext: str = "docx") -> bytes:
    found = [n for n in files if label in n and n.endswith(ext)]
    assert len(found) == 1, (label, list(files))
    return files[found[0]]


def test_pack_file_names(amy):
    names = sorted(amy)
    assert "2027-01-12 Archer Amy - Invitation to parents and carers.docx" in names
    assert "2027-01-12 Archer Amy - Request for advice (Dr Sam Reid).pdf" in names
    assert "2027-01-12 Archer Amy - Request for advice (Lee Wong).docx" in names  # one per professional invitee
    assert not any("Jo Archer" in n for n in names)                              # not to the parent
    assert "2027-01-12 Archer Amy - Review report to the council.docx" in names  # an EHC plan
    assert len(names) == 14  # 7 documents, Word and PDF


def test_invitation_text(amy):
    text = text_of(_one(amy, "Invitation"))
    assert "Dear Jo Archer," in text
    assert "Invitation to Amy's review meeting" in text
    assert "Date | Tuesday 12 January 2027" in text and "Time | 10:30am" in text and "Place | the Rainbow Room" in text
    assert "annual review of Amy's EHC plan" in text
    assert "We have enclosed a copy of Amy's current EHC plan" in text
    assert "advocate" in text
    assert "written report by Tuesday 29 December 2026" in text  # advice_before: 2 weeks before
    assert "at least 2\u00a0weeks before the meeting" in text      # the statutory notice, for an EHC plan
    assert "Northmoor Council within 2\u00a0weeks" in text
    assert "Please reply by Tuesday 29 December 2026." in text
    assert "Ms Patel" in text and "{{" not in text


def test_setting_wording_in_word_and_pdf(amy, db):
    assert UNIQUE in text_of(_one(amy, "Invitation"))
    assert UNIQUE in pdf_text(_one(amy, "Invitation", "pdf"))
    assert "Please let us know by" not in text_of(_one(amy, "Invitation"))
    frame = templates.templates_in_force(db, fx.SETTING).set_index("document")
    assert frame.loc["invitation", "source"] == "setting" and frame.loc["invitation", "file_name"] == "our invitation.docx"
    assert frame.loc["agenda", "source"] == "default"
    audit = db.execute("SELECT detail->>'document', detail->>'setting', detail->>'sha256' FROM audit "
                       "WHERE action = 'template_change'").fetchall()
    assert audit and audit[-1][0] == "invitation" and audit[-1][1] == fx.SETTING and len(audit[-1][2]) == 64


def test_advice_request_text(amy):
    text = text_of(_one(amy, "Request for advice (Dr Sam Reid)"))
    assert "Dear Dr Sam Reid," in text
    assert "Educational psychologist or advisory teacher" in text
    assert "Northmoor Educational Psychology Service" in text
    assert "written report by Tuesday 29 December 2026" in text
    assert "date of birth 3 May 2018, Year 3" in text
    assert "Amy will ask an adult for help using a short sentence\nfrom 2 to 8 (scale 0–10) | 5 (15/11/2026) | " in text
    assert "Amy will count to 20" not in text  # achieved: not a current outcome
    assert "Tuesday 29 December 2026" in pdf_text(_one(amy, "Request for advice (Dr Sam Reid)", "pdf"))


def test_agenda_text(amy):
    text = text_of(_one(amy, "Agenda"))
    for line in ("Welcome and introductions.", "Positive comments", "What level of support is needed now: less, similar "
                 "or more?", "The date of the next review", "Chaired by | Ms Patel"):
        assert line in text
    assert "Dr Sam Reid | Educational psychologist or advisory teacher | Northmoor Educational Psychology Service | " \
           "Sending a report | 20/12/2026" in text


def test_checklist_ticks(amy):
    text = text_of(_one(amy, "checklist"))
    assert "☒  Parents or carers invited" in text
    assert "☒  Invitations sent by letter" in text
    assert "☒  Reports and suggestions" in text and "1 of 1 report received" in text  # Lee Wong attends: no report due
    assert "☐  Amy's views gathered" in text
    assert "☐  The room is warm and welcoming." in text


def test_record_form_text(amy):
    text = text_of(_one(amy, "record form"))
    assert "Name | Amy Archer" in text and "Review ID | R-0000A001" in text
    assert "Primary need | Speech, language and communication needs" in text
    assert "Outcome | Last score (date) | Score at this review" in text
    assert "| 2 (15/11/2026) | " in text
    assert "☐  Maintain support" in text and "☐  Cease the plan" in text
    assert "Send the current plan to Dr Reid | Ms Patel | 04/12/2026 | " in text


def test_council_report_due(amy):
    text = text_of(_one(amy, "council"))
    assert "To: Northmoor Council" in text
    assert "by Tuesday 26 January 2027" in text  # report_after: 2 weeks after the meeting


def test_recorded_review_fills_the_record(db):
    db.execute("""UPDATE reviews SET held = TRUE, decision = 'maintain', progress = 'expected', attendance = 93.5,
                  parents_views = 'Amy is happier & talks more at home.', child_views = 'I like the games.',
                  next_review_date = DATE '2027-07-06' WHERE review_id = ?""", [fx.AMY])
    db.execute("INSERT INTO scores VALUES (?, 'A1', 'O1', DATE '2027-01-12', 6, NULL)", [fx.SETTING])
    try:
        files = pack.review_documents(db, fx.SETTING, fx.AMY, as_of=date(2027, 1, 12), viewer=SENCO,
                                      documents=["record_form", "checklist"], formats=("docx",))
        text = text_of(_one(files, "record form"))
        assert "☒  Maintain support" in text and "☐  Reduce support" in text and "☒  Expected" in text
        assert "93.5%" in text and "Amy is happier & talks more at home." in text
        assert "| 5 (15/11/2026) | 6" in text  # last score before the meeting, and the one scored in it
        assert "Date of the next review: Tuesday 6 July 2027" in text
        assert "☒  Amy's views gathered" in text_of(_one(files, "checklist"))
        assert sorted(files) == ["2027-01-12 Archer Amy - Review meeting checklist.docx",
                               "2027-01-12 Archer Amy - Review record form.docx"]
    finally:
        db.execute("UPDATE reviews SET held = FALSE, decision = NULL, progress = NULL, attendance = NULL, "
                   "parents_views = NULL, child_views = NULL, next_review_date = NULL WHERE review_id = ?", [fx.AMY])
        db.execute("DELETE FROM scores WHERE score_date = DATE '2027-01-12'")


def test_policy_in_force_is_read(db):
    ctx = context.review_context(db, fx.SETTING, fx.BEN, as_of=fx.AS_OF, viewer=SENCO)
    assert ctx["notice_weeks"] == "8\u00a0weeks"  # Northmoor Council's own invite_good_practice
    assert ctx["reports_needed_by"] == "Wednesday 6 January 2027" and ctx["meeting_time"] == "2pm"
    assert ctx["parent_name"] == "Parent or carer"
    assert ctx["statutory_notice"].texts == []  # SEN Support: no statutory notice
    assert pack.default_documents(ctx) == ["invitation", "advice_request", "agenda", "checklist", "record_form"]


def test_unknown_review_and_access(db):
    with pytest.raises(context.ReviewNotFound) as err:
        context.review_context(db, fx.SETTING, "R-FFFFFFFF", as_of=fx.AS_OF, viewer=SENCO)
    assert "R-FFFFFFFF" in str(err.value) and err.value.fix
    with pytest.raises(access.AccessDenied):
        context.review_context(db, fx.SETTING, fx.AMY, as_of=fx.AS_OF, viewer=GOVERNOR)
    with pytest.raises(access.AccessDenied):  # a SENCo of another school: refused, as every read of another setting
        context.review_context(db, fx.SETTING, fx.AMY, as_of=fx.AS_OF, viewer=OTHER_SCHOOL)


def test_range_pack_in_the_background(db):
    job = pack.PackJob(db, None, date(2027, 1, 1), date(2027, 1, 31), as_of=fx.AS_OF, viewer=SENCO,
                       formats=("docx",)).start()
    job.join(120)
    assert job.done and job.error is None, job.error
    names = zipfile.ZipFile(io.BytesIO(job.result)).namelist()
    assert "2027-01-20 Bell Ben - Agenda.docx" in names and "2027-01-12 Archer Amy - Agenda.docx" in names
    assert not any("Bell Ben - Request for advice" in n for n in names)  # Ben has no professional invitee
    assert job.progress[0] == job.progress[1] and job.progress[2] == "Done"
    seen = []
    pack.range_pack(db, [fx.SETTING], date(2027, 1, 15), date(2027, 1, 31), as_of=fx.AS_OF, viewer=SENCO,
                    formats=("docx",), progress=lambda d, t, label: seen.append((d, t)))
    assert seen[0] == (0, 1) and seen[-1] == (1, 1)  # only Ben's review in that range
    empty = pack.PackJob(db, None, date(2028, 1, 1), date(2028, 1, 2), as_of=fx.AS_OF, viewer=SENCO).start()
    empty.join(30)
    assert empty.result is None and "No reviews are scheduled" in empty.error
