"""senlib.core.text.escape_markdown: tracker text made inert for Streamlit's Markdown, shown exactly as typed.

The rules checked here are the ones Streamlit's renderer (remark-gfm, remark-math, remark-directive,
its own :material/ and emoji handling) needs; tests/browser/test_hostile_text.py checks the pages in
a real browser.
"""

from __future__ import annotations

import re

import pytest

from senlib.core.text import WORD_JOINER, escape_markdown, shown

HOSTILE = [
    "[link](http://evil.example)",
    '=HYPERLINK("http://evil.example")',
    '<a href="http://evil.example">x</a>',
    "**bold**", "__bold__", "*it*", "_it_", "~~del~~", "~del~", "`code`", "``co`de``",
    ":red[red]", ":blue-background[bg]", ":rainbow[r]", ":small[s]", ":help[h]", ":color[c]{foreground=red}",
    "$x^2$", "$$y$$", "\\(x\\)", "\\[x\\]",
    "www.evil.example", "WWW.EVIL.EXAMPLE", "x www.evil.example/path?q=1", "someone@evil.example",
    "mailto:someone@evil.example", "xmpp:someone@evil.example", "ftp://evil.example", "https://evil.example/a_b*c*",
    ":material/warning:", ":smile:", ":+1:", ":streamlit:",
    "# heading", "###### h6", "> quote", "- item", "+ item", "* item", "1. one", "1) one", "---", "***", "| a | b |",
    "![img](http://evil.example/x.png)", "[ref][1]", "[1]: http://evil.example", "<http://evil.example>",
    "<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "&lt;b&gt;", "&#60;b&#62;", "[^1]",
    "    indented code", "```fence```", "a\\*b", "trailing\\",
    "two\nlines", "x\n# h\n---\n| a |\n|---|", "tab\tseparated",
]
ORDINARY = ["O'Brien", "Smith-Jones", "Zoë", "Amelia O'Neil", "Siân Ní Bhriain", "José Müller-Łukasz", "Year 3A (Ms Price)",
            "St Anne's C.E. Primary", "50% of outcomes", "Mr & Mrs Khan"]


def _unescaped(markdown: str, ch: str) -> bool:
    """Whether `ch` occurs in `markdown` other than backslash-escaped (a backslash escapes the next character)."""
    i = 0
    while i < len(markdown):
        if markdown[i] == "\\":
            i += 2
            continue
        if markdown[i] == ch:
            return True
        i += 1
    return False


@pytest.mark.parametrize("text", HOSTILE + ORDINARY)
def test_shows_exactly_what_was_typed_on_one_line(text):
    out = escape_markdown(text)
    assert "\n" not in out and "\r" not in out
    assert shown(out) == " ".join(text.split())


@pytest.mark.parametrize("text", HOSTILE)
def test_no_markdown_character_is_left_to_interpret(text):
    out = escape_markdown(text)
    for ch in "[]()<>!*_`~$:#|&\\=^{}+-.":
        assert not _unescaped(out.replace(WORD_JOINER, ""), ch), (ch, out)


@pytest.mark.parametrize("text", ["http://evil.example", "HTTPS://evil.example", "ftp://evil.example",
                                  "see http://evil.example.", "(http://evil.example)"])
def test_a_web_address_is_broken_after_the_colon(text):
    # remark-gfm autolinks `https?://` in text *after* escapes are resolved: only a changed text stops it.
    assert not re.search(r"https?://|ftp://", shown_with_joiners(escape_markdown(text)), re.IGNORECASE)


@pytest.mark.parametrize("text", ["www.evil.example", "WwW.evil.example", "wwww.evil.example", "x.www.evil.example"])
def test_www_is_broken_before_its_dot(text):
    assert not re.search(r"www\.", shown_with_joiners(escape_markdown(text)), re.IGNORECASE)


@pytest.mark.parametrize("text", ["someone@evil.example", "a.b+c@evil.example", "mailto:x@evil.example"])
def test_an_email_address_is_broken_after_the_at(text):
    rendered = shown_with_joiners(escape_markdown(text))
    assert not re.search(r"[-.\w+]+@[-\w]+(?:\.[-\w]+)+", rendered)  # remark-gfm's email pattern


@pytest.mark.parametrize("text", [":material/warning:", ":material/home:", "a:material/b:", ":smile:", ":streamlit:"])
def test_no_icon_or_emoji_shortcode_survives(text):
    out = escape_markdown(text)
    assert ":material/" not in out  # Streamlit rewrites this in the raw source, before Markdown is parsed
    # Streamlit loads remark-emoji only when the source has `:name:`; remark-emoji then matches text nodes.
    assert not re.search(r":(?!material/|streamlit:)[\w+-][\w_+-]*:", out)
    assert not re.search(r":[\w+-]+:", shown_with_joiners(out))


def test_maths_never_starts():
    for text in ("$x^2$", "$$y$$", "costs $5 and $6", "\\$x\\$"):
        out = escape_markdown(text)
        assert not _unescaped(out, "$"), out


def test_ordinary_names_are_unchanged_or_only_escaped():
    assert escape_markdown("O'Brien") == "O'Brien"
    assert escape_markdown("Zoë") == "Zoë"
    assert escape_markdown("Smith-Jones") == "Smith\\-Jones"
    assert escape_markdown("Amelia O'Neil") == "Amelia O'Neil"
    for name in ORDINARY:
        assert WORD_JOINER not in escape_markdown(name)  # joiners only where a link could start


def test_joiners_only_where_needed():
    assert escape_markdown("Note: see www.x.org or a@b.co") == (
        f"Note\\: see www{WORD_JOINER}\\.x\\.org or a@{WORD_JOINER}b\\.co")
    assert escape_markdown("10:30") == f"10\\:{WORD_JOINER}30"
    assert escape_markdown("a @ b") == "a @ b"


def test_values_that_are_not_strings():
    assert escape_markdown(None) == ""
    assert escape_markdown(3) == "3"
    assert escape_markdown(2.5) == "2\\.5"
    assert escape_markdown(ValueError("Bad [x](http://e.x)")) == f"Bad \\[x\\]\\(http\\:{WORD_JOINER}//e\\.x\\)"
    assert escape_markdown("  lots \t of\n\n space ") == "lots of space"


def test_escaping_twice_still_shows_the_once_escaped_text():
    # Callers escape once; escaping an already escaped string must not turn into markup either.
    once = escape_markdown("**bold**")
    assert shown(escape_markdown(once)) == once


def shown_with_joiners(markdown: str) -> str:
    """The text after escapes are resolved, word joiners kept: what remark-gfm's autolink pass sees."""
    return re.sub(r"\\([\\`*_{}\[\]()#+\-.!|<>~$:&=^])", r"\1", markdown)
