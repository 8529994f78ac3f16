"""The product's own blocks (tables, tick boxes, paragraphs) as WordprocessingML, for `{{p name}}` placeholders.

Why XML built here rather than docxtpl's Subdoc: a Subdoc needs docxcompose and a style the setting's template may
not have; a table with its own borders and shading looks the same in any template, in Word and in LibreOffice. Every
value is escaped here; the sandbox inserts the result as markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from markupsafe import Markup

TICKED, UNTICKED = "☒", "☐"
TEXT_WIDTH = 9638  # twentieths of a point: an A4 page less 2 cm margins each side
_BORDER = '<w:{side} w:val="single" w:sz="4" w:space="0" w:color="808080"/>'
_BORDERS = "".join(_BORDER.format(side=s) for s in ("top", "left", "bottom", "right", "insideH", "insideV"))
_HEADER_FILL = "E8EEF4"


def tick(ticked: bool) -> str:
    return TICKED if ticked else UNTICKED


@dataclass(frozen=True)
class Table:
    """A table: headings, rows of text, relative column widths; `blank_rows` empty rows to write in."""

    headers: list[str]
    rows: list[list[str]]
    widths: list[float] = field(default_factory=list)
    blank_rows: int = 0


@dataclass(frozen=True)
class Ticks:
    """Tick boxes, one a line: (label, ticked)."""

    items: list[tuple[str, bool]]


@dataclass(frozen=True)
class Paragraphs:
    """Paragraphs of plain text (none: the placeholder leaves nothing)."""

    texts: list[str]


Block = Table | Ticks | Paragraphs


def _run(text: str, *, bold: bool = False, small: bool = False) -> str:
    inner_props = ("<w:b/>" if bold else "") + ('<w:sz w:val="19"/><w:szCs w:val="19"/>' if small else "")
    props = f"<w:rPr>{inner_props}</w:rPr>" if inner_props else ""
    lines = str(text).split("\n")
    inner = '<w:br/>'.join(f'<w:t xml:space="preserve">{escape(line)}</w:t>' for line in lines)
    return f"<w:r>{props}{inner}</w:r>"


def _para(text: str, *, bold: bool = False, after: int | None = None, before: int = 0, small: bool = False) -> str:
    spacing = f'<w:pPr><w:spacing w:before="{before}" w:after="{after}"/></w:pPr>' if after is not None else ""
    return f"<w:p>{spacing}{_run(text, bold=bold, small=small) if text else ''}</w:p>"


def _cell(text: str, width: int, *, header: bool) -> str:
    shade = f'<w:shd w:val="clear" w:color="auto" w:fill="{_HEADER_FILL}"/>' if header else ""
    return (f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{shade}</w:tcPr>'
            f"{_para(text, bold=header, after=0, small=True)}</w:tc>")


def _table(t: Table) -> str:
    n = len(t.headers)
    rel = t.widths or [1.0] * n
    widths = [int(TEXT_WIDTH * w / sum(rel)) for w in rel]
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    head = ('<w:tr><w:trPr><w:tblHeader/></w:trPr>'
            + "".join(_cell(h, w, header=True) for h, w in zip(t.headers, widths, strict=True)) + "</w:tr>")
    body = "".join("<w:tr><w:trPr><w:cantSplit/></w:trPr>"
                   + "".join(_cell(c, w, header=False) for c, w in zip(row, widths, strict=True)) + "</w:tr>"
                   for row in t.rows)
    blank = "".join('<w:tr><w:trPr><w:trHeight w:val="560"/></w:trPr>'
                    + "".join(_cell("", w, header=False) for w in widths) + "</w:tr>" for _ in range(t.blank_rows))
    props = (f'<w:tblPr><w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:tblBorders>{_BORDERS}</w:tblBorders>'
             '<w:tblLayout w:type="fixed"/>'
             '<w:tblCellMar><w:top w:w="40" w:type="dxa"/><w:left w:w="80" w:type="dxa"/>'
             '<w:bottom w:w="40" w:type="dxa"/><w:right w:w="80" w:type="dxa"/></w:tblCellMar></w:tblPr>')
    # a paragraph after the table: Word needs one between two tables, and it gives the table room below
    return f"<w:tbl>{props}<w:tblGrid>{grid}</w:tblGrid>{head}{body}{blank}</w:tbl>" + _para("", after=120)


def to_xml(block: Block) -> Markup:
    """The block as body-level WordprocessingML (markup: inserted as it is)."""
    if isinstance(block, Table):
        xml = _table(block)
    elif isinstance(block, Ticks):
        xml = "".join(_para(f"{tick(on)}  {label}", after=60) for label, on in block.items)
    else:
        xml = "".join(_para(t, before=120, after=120) for t in block.texts)
    return Markup(xml)


def text_markup(value: object) -> Markup:
    """A text value for inside a run: escaped, each new line a line break."""
    lines = str(value).split("\n")
    return Markup('</w:t><w:br/><w:t xml:space="preserve">'.join(escape(line) for line in lines))


def plain(block: Block) -> str:
    """The block's text, for tests and previews."""
    if isinstance(block, Table):
        return "\n".join(" | ".join(r) for r in [block.headers, *block.rows])
    if isinstance(block, Ticks):
        return "\n".join(f"{tick(on)} {label}" for label, on in block.items)
    return "\n".join(block.texts)
