"""Uploaded Word templates are untrusted: only the product's placeholders, no statements, attributes, filters or
calls; no macros, zip bombs or external links; nothing stored after a refusal."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest

from senlib import access
from senlib.documents import sandbox, templates
from senlib.documents.defaults import default_template
from senlib.documents.sandbox import TemplateRefused
from tests import documents_fixture as fx

SENCO = access.local_viewer()
LEADER = access.Viewer(role=access.LEADER, email="head@school.org")


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    con = fx.make_db(tmp_path_factory.mktemp("tpl") / "tpl.duckdb")
    yield con
    con.close()


def with_paragraph(text: str, document: str = "agenda") -> bytes:
    d = docx.Document(io.BytesIO(default_template(document)))
    d.add_paragraph(text)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def stored(db) -> int:
    return db.execute("SELECT count(*) FROM document_templates").fetchall()[0][0]


def refused(db, data: bytes, name: str = "agenda.docx") -> TemplateRefused:
    before = stored(db)
    with pytest.raises(TemplateRefused) as err:
        templates.save_template(db, fx.SETTING, "agenda", name, data, viewer=SENCO)
    assert stored(db) == before  # never half-stored
    assert err.value.fix
    return err.value


def test_unknown_placeholder_is_named(db):
    err = refused(db, with_paragraph("Dear {{ pupil_nmae }}, welcome."))
    assert "pupil_nmae" in err.message and "agenda.docx" in err.message
    assert "Dear {{ pupil_nmae }}, welcome." in err.message  # which paragraph
    assert "{{ pupil_name }}" in err.fix and "default template" in err.fix


@pytest.mark.parametrize("text, says", [
    ("{% if pupil_name %}Hello{% endif %}", "statement"),
    ("{%p for x in outcomes %}", "statement"),
    ("{{ pupil_name.__class__ }}", "attribute"),
    ("{{ pupil_name['x'] }}", "attribute or an item"),
    ("{{ pupil_name|upper }}", "filter"),
    ("{{ range(10) }}", "calls a function"),
    ("{{ 'x' * 99999999 }}", "expression"),
    ("Hello {{ outcomes_table }} here", "inside a sentence"),
    ("{{ pupil_name ", "braces"),
])
def test_forbidden_jinja_is_refused(db, text, says):
    err = refused(db, with_paragraph(text))
    assert says in err.message, err.message


def test_block_placeholder_on_its_own_line_is_accepted(db):
    data = with_paragraph("{{p outcomes_table}}")
    used = templates.save_template(db, fx.SETTING, "agenda", "agenda.docx", data, viewer=SENCO)
    assert "outcomes_table" in used
    assert templates.template_bytes(db, fx.SETTING, "agenda") == data
    assert templates.reset_template(db, fx.SETTING, "agenda", viewer=SENCO)
    assert [p.text for p in docx.Document(io.BytesIO(templates.template_bytes(db, fx.SETTING, "agenda"))).paragraphs] \
        == [p.text for p in docx.Document(io.BytesIO(default_template("agenda"))).paragraphs]
    assert stored(db) == 0
    actions = db.execute("SELECT detail->>'reset' FROM audit WHERE action = 'template_change'").fetchall()
    assert actions[-1][0] == "true"


def test_only_the_senco_saves(db):
    with pytest.raises(access.AccessDenied):
        templates.save_template(db, fx.SETTING, "agenda", "a.docx", default_template("agenda"), viewer=LEADER)


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _members(data: bytes) -> dict[str, bytes]:
    zf = zipfile.ZipFile(io.BytesIO(data))
    return {n: zf.read(n) for n in zf.namelist()}


def test_not_a_docx(db):
    assert "not a Word document" in refused(db, b"%PDF-1.4 hello", "letter.pdf").message
    assert "not a Word document" in refused(db, b"just text", "letter.docx").message
    assert "macros" in refused(db, default_template("agenda"), "letter.docm").message
    assert "no document text" in refused(db, _zip({"hello.txt": b"hi"})).message


def test_macro_inside(db):
    members = _members(default_template("agenda"))
    members["word/vbaProject.bin"] = b"\0" * 100
    assert "macros" in refused(db, _zip(members)).message


def test_zip_bomb(db):
    members = _members(default_template("agenda"))
    members["word/media/big.xml"] = b"0" * (40 * 2**20)  # 40 MB of zeros packs to ~40 KB
    assert "zip bomb" in refused(db, _zip(members)).message


def test_external_relationship(db):
    members = _members(default_template("agenda"))
    rels = members["word/_rels/document.xml.rels"].decode()
    link = ('<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" '
            'Target="http://tracker.example/pixel.png" TargetMode="External"/>')
    members["word/_rels/document.xml.rels"] = rels.replace("</Relationships>", link + "</Relationships>").encode()
    err = refused(db, _zip(members))
    assert "tracker.example" in err.message and "outside the file" in err.message


def test_placeholder_in_properties_is_checked(db):
    d = docx.Document(io.BytesIO(default_template("agenda")))
    d.core_properties.title = "{{ secret_thing }}"
    buf = io.BytesIO()
    d.save(buf)
    err = refused(db, buf.getvalue())
    assert "secret_thing" in err.message and "properties" in err.message


def test_render_refuses_what_the_check_refuses():
    """The second wall: a template that bypassed the upload check still cannot run a statement."""
    with pytest.raises(TemplateRefused):
        sandbox.render(with_paragraph("{{ pupil_name.__class__ }}"), templates.sample_context())
    out = sandbox.render(with_paragraph("Hi {{ pupil_name }} & co"), {**templates.sample_context(),
                                                                          "pupil_name": "Amy <b>&</b>"})
    assert "Hi Amy <b>&</b> & co" in [p.text for p in docx.Document(io.BytesIO(out)).paragraphs]
