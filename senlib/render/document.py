"""The one model of a report: what a page shows, and what exports.to_html and exports.to_pdf write.

Why one: the governors' report is read on its page, as HTML and as a PDF, and the three must hold the same words
and figures. A view (senlib.views.governors) builds a Document of text only (every count already protected and
formatted) and chart specs drawn from those counts; the page and the files render it, and add nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Text:
    """A paragraph (always starts with a capital letter)."""

    text: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", _sentence(self.text))


@dataclass(frozen=True)
class Table:
    """A table of text: in a report every value is shown as it is given ('12', 'fewer than 5', '16–20')."""

    frame: pd.DataFrame
    caption: str = ""


@dataclass(frozen=True)
class Chart:
    """A chart (a Plotly figure as a plain dict, senlib.render.charts.to_spec) and the table of the same figures,
    shown after it in every format: it holds what a chart cannot draw (a group too small to show)."""

    spec: dict
    table: Table | None = None
    caption: str = ""


@dataclass(frozen=True)
class Section:
    """A heading followed by blocks, in order."""

    heading: str
    blocks: tuple[Text | Table | Chart, ...]


@dataclass(frozen=True)
class Headline:
    """A figure at the top: label, value as text, and a short note (a tile on the page, a row of the summary)."""

    label: str
    value: str
    note: str = ""

    def __post_init__(self) -> None:  # a tile reads 'Fewer than 5', as a sentence would
        object.__setattr__(self, "value", _sentence(self.value))
        object.__setattr__(self, "note", _sentence(self.note))


@dataclass(frozen=True)
class Document:
    """A report made once and shown on a page or written as HTML or PDF."""

    title: str
    sections: tuple[Section, ...]
    subtitle: str = ""
    footnote: str = ""
    headlines: tuple[Headline, ...] = ()

    def summary(self) -> Section | None:
        """The headlines as the first section of a file: a table of figure, value and detail."""
        if not self.headlines:
            return None
        frame = pd.DataFrame({"Figure": [h.label for h in self.headlines], "Value": [h.value for h in self.headlines],
                              "Detail": [h.note for h in self.headlines]})
        return Section("Summary", (Table(frame),))

    def file_sections(self) -> tuple[Section, ...]:
        """What a file prints: the summary, then every section."""
        first = self.summary()
        return ((first,) if first else ()) + self.sections

    def charts(self) -> list[Chart]:
        return [b for s in self.sections for b in s.blocks if isinstance(b, Chart)]


__all__ = ["Chart", "Document", "Headline", "Section", "Table", "Text"]
