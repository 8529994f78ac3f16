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
from bisect import bisect_left

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment

from senlib.documents.blocks import Paragraphs, Table, Ticks, text_markup, to_xml
from senlib.documents.placeholders import BLOCK, PLACEHOLDERS, known_list
from senlib.importer.docx_file import (  # the file's checks run in the worker; re-exported for the callers here
    DEFAULT_FIX,
    Part,
    TemplateRefused,
)
from senlib.importer.docx_file import WORD_FIX as WORD_FIX
from senlib.importer.docx_file import check_zip as check_zip
from senlib.importer.docx_file import inspect_docx as inspect_docx

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
