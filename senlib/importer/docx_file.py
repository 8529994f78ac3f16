"""A Word file (.docx) as untrusted input: the checks on the file, and its Jinja source as docxtpl builds it.

In the importer layer because it runs in the sandboxed worker process (senlib.importer.worker, job kind
docx_template), like a tracker's reading: a crafted file can only end that process. senlib.documents.sandbox checks
the placeholders in the source it hands back.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

from senlib.core.errors import InputError

MAX_TEMPLATE_BYTES = 10 * 2**20     # a letter with a logo is well under 1 MB
MAX_UNPACKED_BYTES = 60 * 2**20     # declared uncompressed size of all members together
MAX_MEMBER_BYTES = 30 * 2**20
MAX_MEMBERS = 400
MAX_RATIO = 200                     # XML packs about 10:1; a zip bomb packs 1000:1 and more
MAX_SOURCE_CHARS = 5_000_000        # Jinja source of one part

DEFAULT_FIX = "Download the default template to see them, or copy one from the list of placeholders on the page."
WORD_FIX = "Open the file in Word and save it as a Word Document (.docx), then upload that."
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_HYPERLINK = _NS_REL + "/hyperlink"
_HEADER, _FOOTER = _NS_REL + "/header", _NS_REL + "/footer"
_FOOTNOTES = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")  # the ones docxtpl renders


class TemplateRefused(InputError):
    """A Word template was not accepted: what is wrong, where (file, part, paragraph), how to fix it."""

    def __init__(self, message: str, *, place: str | None = None, fix: str | None = None,
                 problems: list[str] | None = None):
        super().__init__(message, place=place, fix=fix)
        self.problems = list(problems or [])


@dataclass(frozen=True)
class Part:
    """The Jinja source of one part of a template: a paragraph a line, as docxtpl renders it."""

    label: str      # 'the main text', 'a header', 'a footnote', 'the document properties'
    source: str
    text_only: bool = False  # document properties: no paragraphs, so no block placeholders

    def as_dict(self) -> dict:
        return {"label": self.label, "source": self.source, "text_only": self.text_only}


# ---- the file ----

def _refuse(file_name: str, message: str, fix: str, place: str | None = None) -> TemplateRefused:
    return TemplateRefused(f"{file_name}: {message} Nothing was saved.", place=place, fix=fix)


def check_zip(file_name: str, data: bytes) -> zipfile.ZipFile:
    """The file as a zip that is a Word document, small enough to open, with no macros and no external links."""
    lower = file_name.lower()
    if lower.endswith((".docm", ".dotm")):
        raise _refuse(file_name, "is a Word file with macros, which the app does not accept.", WORD_FIX)
    if lower.endswith(".doc"):
        raise _refuse(file_name, "is in the old Word format (.doc).", WORD_FIX)
    if not lower.endswith((".docx", ".dotx")):
        raise _refuse(file_name, "is not a Word document (.docx).", WORD_FIX)
    if len(data) > MAX_TEMPLATE_BYTES:
        raise _refuse(file_name, f"is {len(data) / 2**20:.0f} MB; a letter template is at most "
                      f"{MAX_TEMPLATE_BYTES // 2**20} MB.", "Make the pictures in it smaller (Word: Compress Pictures) and "
                      "save it again.")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _refuse(file_name, "is not a Word document (.docx), or it is damaged.", WORD_FIX) from None
    if len(infos) > MAX_MEMBERS:
        raise _refuse(file_name, f"holds {len(infos)} parts, far more than a letter has.", WORD_FIX)
    total = 0
    for info in infos:
        total += info.file_size
        if info.flag_bits & 0x1:
            raise _refuse(file_name, "is encrypted or password-protected.", "Remove the password in Word (File > Info > "
                          "Protect Document) and save it again.")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MAX_MEMBER_BYTES or (info.file_size > 2**20 and ratio > MAX_RATIO) or total > MAX_UNPACKED_BYTES:
            raise _refuse(file_name, "unpacks to far more than a Word letter does (a damaged file or a 'zip bomb').",
                          WORD_FIX, place=info.filename)
    names = {i.filename for i in infos}
    if "word/document.xml" not in names or "[Content_Types].xml" not in names:
        raise _refuse(file_name, "is not a Word document (.docx): it has no document text inside.", WORD_FIX)
    if any(n.lower().endswith("vbaproject.bin") for n in names) or b"macroEnabled" in zf.read("[Content_Types].xml"):
        raise _refuse(file_name, "contains macros, which the app does not accept.", WORD_FIX)
    for name in sorted(names):
        if name.endswith(".xml") or name.endswith(".rels"):
            head = zf.read(name)
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise _refuse(file_name, "has a part Word never writes (an XML document type).", WORD_FIX, place=name)
        if name.endswith(".rels"):
            _check_rels(file_name, name, zf.read(name).decode("utf-8", errors="replace"))
    return zf


def _check_rels(file_name: str, name: str, xml: str) -> None:
    """Refuse a link Word or LibreOffice would follow when the file opens (a picture, a template, a frame on the
    network); a hyperlink is only followed when clicked, so it may stay."""
    for rel in re.findall(r"<Relationship\b[^>]*>", xml):
        if re.search(r'TargetMode\s*=\s*["\']External["\']', rel):
            rtype = re.search(r'Type\s*=\s*["\']([^"\']*)["\']', rel)
            if rtype and rtype.group(1) == _HYPERLINK:
                continue
            target = re.search(r'Target\s*=\s*["\']([^"\']*)["\']', rel)
            where = target.group(1) if target else "an address outside the file"
            raise _refuse(file_name, f"links to something outside the file ({where[:120]}), which Word would fetch when "
                          "the letter opens; the app never calls out.", "Insert pictures into the document (Insert > "
                          "Pictures > This Device) instead of linking them, remove linked objects, and save it again.",
                          place=name)


def inspect_docx(file_name: str, data: bytes) -> list[Part]:
    """The template's Jinja source, part by part, exactly as docxtpl builds it; TemplateRefused for a bad file.
    Run in the worker process for an uploaded file (it parses the document's XML)."""
    from docx.oxml import parse_xml
    from docxtpl import DocxTemplate

    check_zip(file_name, data)
    try:
        tpl = DocxTemplate(io.BytesIO(data))
        tpl.init_docx()
        doc = tpl.docx
        parts = [Part("the main text", _lines(tpl.patch_xml(tpl.get_xml())))]
        for rel in doc.part.rels.values():
            if rel.reltype in (_HEADER, _FOOTER) and not rel.is_external and rel.target_part.blob:
                label = "a header" if rel.reltype == _HEADER else "a footer"
                xml = tpl.xml_to_string(parse_xml(rel.target_part.blob))
                parts.append(Part(label, _lines(tpl.patch_xml(xml))))
        for part in doc.part.package.parts:
            if part.content_type == _FOOTNOTES:
                parts.append(Part("a footnote", _lines(tpl.patch_xml(part.blob.decode("utf-8")))))
        props = doc.core_properties
        text = "\n".join(f"{name}: {getattr(props, name) or ''}" for name in PROPERTIES)
        parts.append(Part("the document properties (File > Info: title, author, comments)", text, text_only=True))
    except TemplateRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - python-docx / lxml on a damaged file: many exception types
        raise _refuse(file_name, f"could not be opened as a Word document ({type(exc).__name__}).", WORD_FIX) from None
    if any(len(p.source) > MAX_SOURCE_CHARS for p in parts):
        raise _refuse(file_name, "is far longer than a letter.", "Upload a shorter document.")
    return parts


def _lines(xml: str) -> str:
    """One paragraph a line, as docxtpl renders (so a Jinja line number names a paragraph)."""
    return re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)
