"""Tracker text made safe for places that render Markdown (headings, captions, labels).

Why: names, outcomes and notes come from spreadsheets anyone could have typed into. Where
a UI element renders Markdown, a value like `[click](javascript:...)`, `![x](http://...)`
(an image fetched from the internet), `:red[...]` or `<img onerror>` must show as typed.
Prefer text-only elements (tables, st.text); use this where a heading is wanted.
"""

from __future__ import annotations

import re

# Markdown, Streamlit directives (:red[..], :material/x:), LaTeX ($), HTML (<, >, &) and emphasis.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=^])")


def escape_markdown(text: object) -> str:
    """Backslash-escape every character Markdown (or Streamlit's extensions) would interpret; newlines become spaces."""
    if text is None:
        return ""
    flat = " ".join(str(text).split())
    return _SPECIAL.sub(r"\\\1", flat)
