"""Word templates as untrusted input: the file checked, its Jinja source allowed the product's placeholders only.

Why: a docxtpl template is a Jinja program. An uploaded one could loop forever, reach Python objects through
attributes, or (as any .docx can) make Word or LibreOffice fetch a file from the network. So a template may hold
nothing but `{{ placeholder }}` and `{{p placeholder}}`: no statement, no attribute or item access, no filter, no
call, no name the product does not know. `inspect_docx` checks the file and builds the Jinja source docxtpl would
render (it runs in the sandboxed worker for an upload); `check_sources` checks that source; `render` renders with
a sandboxed Jinja environment that checks every part again before it runs.
"""

from __future__ import annotations

import io
import re
import zipfile
from bisect import bisect_left
from dataclasses import dataclass

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment

from senlib.core.errors import InputError
from senlib.documents.blocks import Paragraphs, Table, Ticks, text_markup, to_xml
from senlib.documents.placeholders import BLOCK, PLACEHOLDERS, known_list

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


# ---- the placeholders ----

_TAG = re.compile(r"<[^>]+>")


def _paragraph_text(source: str, lineno: int) -> str:
    lines = source.splitlines()
    line = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
    text = re.sub(r"\s+", " ", _TAG.sub("", line)).strip()
    return text if len(text) <= 90 else text[:87] + "..."


def _what(node: nodes.Node) -> str | None:
    """What a node does that a template may not, in words; None when it is allowed (a placeholder's name)."""
    if isinstance(node, nodes.Name):
        return None
    if isinstance(node, nodes.Getattr | nodes.Getitem):
        return "reads an attribute or an item (a dot or square brackets)"
    if isinstance(node, nodes.Filter):
        return f"uses a filter (|{node.name})"
    if isinstance(node, nodes.Call):
        return "calls a function"
    if isinstance(node, nodes.Const | nodes.TemplateData):
        return "writes a fixed value inside {{ }}"
    return "uses an expression (only a placeholder's name may stand inside {{ }})"


def _placements(source: str) -> tuple[list[int], list[int], list[int], list[int]]:
    starts = lambda pat: [m.start() for m in re.finditer(pat, source)]  # noqa: E731
    return starts(r"<w:t[ >]"), starts(r"</w:t>"), starts(r"<w:p[ >]"), starts(r"</w:p>")


def _last_before(positions: list[int], at: int) -> int:
    i = bisect_left(positions, at)
    return positions[i - 1] if i else -1


def part_problems(part: Part) -> tuple[list[tuple[str, str, str]], set[str]]:
    """(problems as (paragraph, what is wrong, fix), placeholder names used) for one part's source."""
    problems: list[tuple[str, str, str]] = []
    used: set[str] = set()
    src = part.source
    for m in re.finditer(r"\{%", src):
        lineno = src.count("\n", 0, m.start()) + 1
        problems.append((_paragraph_text(src, lineno), "has a statement ({% ... %}, e.g. if, for, or docxtpl's {%p %} "
                         "and {%tr %}), which templates may not use",
                         "Delete the {% ... %} part: the product builds every table and list itself (use "
                         "{{p outcomes_table}}, {{p actions_table}} and the other placeholders)."))
    if problems:
        return problems, used
    try:
        tree = SandboxedEnvironment().parse(src)
    except TemplateSyntaxError as exc:
        return [(_paragraph_text(src, exc.lineno or 0), f"has braces Word cannot fill in ({exc.message})",
                 "Write each placeholder as {{ name }} with two braces on each side, and no other braces.")], used
    wt_open, wt_close, p_open, p_close = _placements(src)
    simple = [(m.group(1), m.start()) for m in re.finditer(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}", src)]
    for output in tree.body:
        if not isinstance(output, nodes.Output):  # cannot happen without {% %}, which was refused above
            problems.append(("", "has a statement", "Delete it."))
            continue
        for node in output.nodes:
            if isinstance(node, nodes.TemplateData):
                continue
            para = _paragraph_text(src, node.lineno)
            bad = _what(node)
            if bad:
                problems.append((para, bad, "Write only a placeholder's name between the braces, e.g. {{ pupil_name }}."))
                continue
            assert isinstance(node, nodes.Name)
            if node.name not in PLACEHOLDERS:
                problems.append((para, f"uses the placeholder '{node.name}', which the product does not know",
                                 f"Check the spelling, or use one of the known placeholders. {DEFAULT_FIX}"))
                continue
            used.add(node.name)
    for name, at in simple:
        ph = PLACEHOLDERS.get(name)
        if ph is None:
            continue
        lineno = src.count("\n", 0, at) + 1
        para = _paragraph_text(src, lineno)
        in_text = part.text_only or _last_before(wt_open, at) > _last_before(wt_close, at)
        in_para = _last_before(p_open, at) > _last_before(p_close, at)
        if ph.kind == BLOCK and (part.text_only or in_para):
            problems.append((para, f"puts {{{{ {name} }}}} inside a sentence, but it is a table or a list",
                             f"Put {ph.spelling} on a line of its own, with nothing else on that line."))
        elif ph.kind != BLOCK and not in_text:
            problems.append((para, f"writes {name} with {{{{p or {{{{r, which is only for tables and lists",
                             f"Write {ph.spelling} instead."))
    return problems, used


def check_sources(file_name: str, parts: list[Part]) -> list[str]:
    """The placeholders the template uses (sorted); TemplateRefused naming each problem, its part and paragraph."""
    found: list[str] = []
    used: set[str] = set()
    first: tuple[str, str, str] | None = None
    for part in parts:
        problems, names = part_problems(part)
        used |= names
        for para, what, fix in problems:
            where = f"{part.label}, in the paragraph '{para}'" if para else part.label
            found.append(f"{where}: it {what}. {fix}")
            first = first or (where, what, fix)
    if first:
        where, what, fix = first
        more = f" (and {len(found) - 1} more problem{'s' if len(found) > 2 else ''})" if len(found) > 1 else ""
        raise TemplateRefused(f"{file_name} was not saved: {where}, it {what}{more}.", place=f"{file_name}, {where}",
                              fix=fix if "known placeholders" not in fix else f"{fix} The known ones: {known_list()}.",
                              problems=found)
    return sorted(used)


# ---- rendering ----

class _PlaceholdersOnly(SandboxedEnvironment):
    """A sandboxed Jinja environment that refuses, before rendering, any source the check refuses."""

    def _parse(self, source, name, filename):  # noqa: ANN001, ANN202 - jinja2's own signature
        problems, _ = part_problems(Part("the template", source, text_only="<w:" not in source))
        if problems:
            para, what, fix = problems[0]
            raise TemplateRefused(f"The template cannot be used: in the paragraph '{para}', it {what}.", fix=fix)
        return super()._parse(source, name, filename)


def environment() -> SandboxedEnvironment:
    return _PlaceholdersOnly(autoescape=True, undefined=StrictUndefined)


def values(context: dict) -> dict:
    """The context as docxtpl inserts it: text escaped (a new line a line break), blocks as WordprocessingML."""
    out = {}
    for name, value in context.items():
        if name not in PLACEHOLDERS:
            continue
        if isinstance(value, Table | Ticks | Paragraphs):
            out[name] = to_xml(value)
        else:
            out[name] = text_markup("" if value is None else value)
    return out


def render(template: bytes, context: dict) -> bytes:
    """The template filled in with `context` (placeholder -> text or block), as .docx bytes."""
    from docxtpl import DocxTemplate

    tpl = DocxTemplate(io.BytesIO(template))
    tpl.render(values(context), jinja_env=environment(), autoescape=True)
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()
