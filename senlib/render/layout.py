"""Column widths for the pages' tables, fitted to what is in them (issue 14, item 8).

Why: st.dataframe draws its cells on a canvas and cuts a value that is wider than its column with an ellipsis; a
column left to size itself stops at 500 px, and a width chosen by hand ('large', 560) cuts long sentences or wastes
room. Here a column gets the width of its longest value (or heading), measured with the widths of the characters of
the grid's font (Source Sans, 14 px, measured in Chromium), up to a cap; a text column longer than its cap is given
lines to wrap onto instead (the page sets the row height from `lines`). Pure functions: no Streamlit here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

# Advance widths (px) of the grid's font, Source Sans at 14 px, rounded up; anything else counts as WIDE.
CHAR_PX: dict[str, float] = {
    " ": 2.8, "!": 4.1, "\"": 6.0, "#": 7.0, "$": 7.0, "%": 11.6, "&": 8.6, "'": 3.5, "(": 4.3, ")": 4.3, "*": 5.9,
    "+": 7.0, ",": 3.5, "-": 4.4, ".": 3.5, "/": 4.9, "0": 7.0, "1": 7.0, "2": 7.0, "3": 7.0, "4": 7.0, "5": 7.0,
    "6": 7.0, "7": 7.0, "8": 7.0, "9": 7.0, ":": 3.5, ";": 3.5, "<": 7.0, "=": 7.0, ">": 7.0, "?": 6.0, "@": 11.9,
    "A": 7.6, "B": 8.3, "C": 8.0, "D": 8.7, "E": 7.4, "F": 7.0, "G": 8.7, "H": 9.2, "I": 3.7, "J": 6.8, "K": 8.2,
    "L": 6.8, "M": 10.2, "N": 9.1, "O": 9.3, "P": 8.0, "Q": 9.3, "R": 8.0, "S": 7.5, "T": 7.5, "U": 9.1, "V": 7.3,
    "W": 11.0, "X": 7.2, "Y": 6.7, "Z": 7.6, "[": 4.3, "\\": 4.9, "]": 4.3, "^": 7.0, "_": 7.0, "`": 7.6, "a": 7.1,
    "b": 7.8, "c": 6.4, "d": 7.8, "e": 7.0, "f": 4.1, "g": 7.1, "h": 7.7, "i": 3.5, "j": 3.5, "k": 7.0, "l": 3.6,
    "m": 11.7, "n": 7.7, "o": 7.6, "p": 7.8, "q": 7.8, "r": 4.9, "s": 5.9, "t": 4.8, "u": 7.7, "v": 6.6, "w": 10.1,
    "x": 6.3, "y": 6.6, "z": 6.0, "{": 4.3, "|": 3.4, "}": 4.3, "~": 7.0,
}
WIDE = 11.7           # a character not in the table (accents, symbols): as wide as an 'm'
BOLD = 1.08           # headings are semi-bold
PAD = 2 * 8 + 4       # the grid's cell padding either side, and a little room
PILL_PAD = 2 * 8 + 6  # a pill (a coloured word in a list column): its own padding and the gap after it
LINE_PX = 21          # one wrapped line of cell text
ROW_PAD = 14          # a row's padding above and below its lines
MIN_PX = 56
SEQ = (list, tuple, np.ndarray)  # a list column's cell (pills)


def text_px(text: object, *, bold: bool = False) -> float:
    """How wide `text` draws in the grid's font, in px (a blank is 0)."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return 0.0
    width = sum(CHAR_PX.get(ch, WIDE) for ch in str(text))
    return width * (BOLD if bold else 1.0)


def _longest(values: Iterable[object], pills: bool) -> float:
    best = 0.0
    for v in values:
        width = sum(text_px(x) + PILL_PAD for x in v) if pills and isinstance(v, SEQ) else text_px(v)
        best = max(best, width)
    return best


def fit(frame: pd.DataFrame, labels: Mapping[str, str], *, caps: Mapping[str, int] | None = None, cap: int = 420,
        shown: Mapping[str, object] | None = None) -> dict[str, int]:
    """The width in px of each column of `labels` (column -> heading): its longest value or its heading, plus the
    cell padding, at least MIN_PX, at most its cap (`caps`, else `cap`). `shown` maps a column to the function that
    turns a value into the text the grid draws (a code shown as a word, a list of codes shown as pills)."""
    out: dict[str, int] = {}
    for col, label in labels.items():
        if col not in frame:
            continue
        show = (shown or {}).get(col)
        values = frame[col] if show is None else frame[col].map(show)
        pills = any(isinstance(v, SEQ) for v in values)
        need = max(_longest(values, pills), text_px(label, bold=True)) + PAD
        out[col] = int(min(max(math.ceil(need), MIN_PX), (caps or {}).get(col, cap)))
    return out


def lines(frame: pd.DataFrame, column: str, width: int, *, most: int = 4) -> int:
    """How many lines the longest value of `column` needs at `width` px (at least 1, at most `most`): words are
    moved to the next line whole, as the grid wraps them."""
    room = max(width - PAD, 1)
    need = 1
    for v in frame.get(column, []):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        n, line = 1, 0.0
        for word in str(v).split(" "):
            w = text_px(word)
            if line and line + CHAR_PX[" "] + w > room:
                n, line = n + 1, w
            else:
                line = line + CHAR_PX[" "] + w if line else w
        need = max(need, n)
    return min(need, most)


WRAP_FROM = 65  # px: the grid wraps a cell's text only in rows taller than 4rem (64 px); below that it cuts it off


def row_height(n_lines: int) -> int:
    """A row tall enough for `n_lines` of wrapped text (one line: the grid's own 35 px; more: over 64 px, the height
    from which the grid wraps text at all)."""
    return 35 if n_lines <= 1 else max(WRAP_FROM + 1, n_lines * LINE_PX + ROW_PAD)


def blank_columns(frame: pd.DataFrame, columns: Iterable[str]) -> list[str]:
    """Those of `columns` with no value in any row (a tracker without a class or key-worker column): a page leaves
    them out rather than give the width of the screen to empty cells."""
    out = []
    for col in columns:
        if col not in frame:
            continue
        if not any(_filled(v) for v in frame[col]):
            out.append(col)
    return out


def _filled(v: object) -> bool:
    if isinstance(v, SEQ):
        return bool(v)
    if v is None or pd.isna(v):
        return False
    return str(v).strip() != ""
