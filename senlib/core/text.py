"""Tracker text made inert for every place that renders Markdown (headings, captions, alerts, labels, tooltips).

Why: names, classes, outcomes, file names and notes come from spreadsheets anyone could have typed
into. Where a Streamlit element renders Markdown, a value like `[click](http://...)`, `![x](http://...)`
(an image fetched from the internet), `**bold**`, `:red[...]`, `:material/warning:`, `$x^2$` or
`<a href=...>` must show exactly as typed, never as a link, an image, an icon, maths or formatting.
Prefer text-only elements (st.text, st.dataframe, widget options); use `escape_markdown` wherever
Markdown is rendered, and nowhere else (a text-only element would show its backslashes).
"""

from __future__ import annotations

import re

# Markdown, Streamlit directives (:red[..], :material/x:), LaTeX ($), HTML (<, >, &) and emphasis.
_CHARS = r"[\\`*_{}\[\]()#+\-.!|<>~$:&=^]"
_SPECIAL = re.compile(f"({_CHARS})")

# U+2060 WORD JOINER: zero width, never shown, and no line break at it.
WORD_JOINER = "\u2060"

# Where a backslash cannot help. Streamlit's Markdown (remark-gfm) turns `http://…`, `www.…` and `a@b.co`
# into links *after* escapes are resolved, and its frontend rewrites `:material/` to an icon before parsing
# at all; so the text itself is broken there, invisibly: after an (escaped) colon, in `www.`, after `@`.
# A colon is followed by a joiner only before a non-space, which also keeps `:smile:` from being an emoji.
_UNLINK = re.compile(r"(?<=\\:)(?=\S)|(?<=www)(?=\\\.)|(?<=@)(?=\S)", re.IGNORECASE)


def escape_markdown(text: object) -> str:
    """`text` as one line of Markdown that renders exactly as typed: every character Markdown or Streamlit
    would interpret is backslash-escaped, autolinks are broken with an invisible word joiner, newlines become
    spaces (so no heading, list, quote or table can start). None is ''."""
    if text is None:
        return ""
    flat = " ".join(str(text).split())
    return _UNLINK.sub(WORD_JOINER, _SPECIAL.sub(r"\\\1", flat))


_ESCAPED = re.compile(rf"\\({_CHARS})")


def shown(markdown: str) -> str:
    """What escape_markdown's output shows once rendered (escapes resolved, joiners unseen): lets a check
    compare what a user reads with what was typed, e.g. `shown(escape_markdown(x)) == " ".join(x.split())`."""
    return _ESCAPED.sub(r"\1", markdown).replace(WORD_JOINER, "")


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """'1 pupil', '2 pupils', '1,204 values': a count with its noun, singular when it is one."""
    return f"{n:,} {singular if n == 1 else (plural or singular + 's')}"
