"""Rules page, 'Letters and forms': a setting's own Word wording uploaded, an unknown placeholder refused, the default
back (issue 17: templates a SENCo downloads, edits in Word and uploads back)."""

from __future__ import annotations

import io

import docx
import pytest

from senlib.core.text import shown
from senlib.documents.defaults import default_template
from tests.apptest import open_app
from tests.meetings_fixture import AS_OF, SETTING, build


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "letters.duckdb"
    build(path).close()
    return path


def _edited(sentence: str) -> bytes:
    d = docx.Document(io.BytesIO(default_template("invitation")))
    d.add_paragraph(sentence)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def test_a_setting_uploads_its_own_wording_and_an_unknown_placeholder_is_refused(db, monkeypatch):
    at = open_app(db, monkeypatch, AS_OF)
    at.switch_page("pages/rules.py").run()
    assert not at.exception
    assert any("Letters and forms" in s.value for s in at.subheader)
    at.selectbox(key="letters_document").set_value("invitation").run()
    at.file_uploader(key="letters_file").set_value(
        ("ours.docx", _edited("We are looking forward to {{ favourite_colour }}."), "application/octet-stream")).run()
    _button(at, "Use this wording").click().run()
    refused = " ".join(shown(e.value) for e in at.error)
    assert "favourite_colour" in refused and "How to fix" in refused
    assert at.session_state["letters_document"] == "invitation"
    at.file_uploader(key="letters_file").set_value(
        ("ours.docx", _edited("Tea and biscuits will be served."), "application/octet-stream")).run()
    _button(at, "Use this wording").click().run()
    assert not at.exception and not at.error
    assert any("now uses ours.docx" in shown(s.value) for s in at.success)
    at.switch_page("pages/rules.py").run()  # the database is read again
    assert _stored_via(at) == [(SETTING, "Invitation to parents and carers", "ours.docx")]
    _button(at, "Back to the default wording").click().run()
    assert any("back to the default wording" in shown(s.value) for s in at.success)


def _stored_via(at):
    frame = next(d.value for d in at.dataframe if {"label", "file_name", "uploaded_by"} <= set(d.value.columns))
    return [(SETTING, doc, f) for doc, f in zip(frame["label"], frame["file_name"], strict=True) if isinstance(f, str)]
