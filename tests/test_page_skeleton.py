"""Pages share one skeleton and hold no SQL: they read state, call senlib and render (ui.page.start does the top)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGES = sorted((Path(__file__).resolve().parent.parent / "pages").glob("*.py"))


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_a_page_starts_with_the_skeleton_and_runs_no_sql(path):
    source = path.read_text(encoding="utf-8")
    assert source.count("page.start(") == 1, "start the page with ui.page.start(title, guard=..., empty=..., ...)"
    assert "st.title(" not in source, "the title is ui.page.start's"
    assert not re.search(r"\.execute\(|\bSELECT\b|\bFROM\s+\w+\s+WHERE\b", source), "SQL belongs in senlib"
    assert "current_viewer()" not in source, "the viewer comes from page.start (and is passed to what runs later)"


@pytest.mark.parametrize("path", sorted((Path(__file__).resolve().parent.parent / "ui").glob("*.py")) +
                         [Path(__file__).resolve().parent.parent / "app.py"], ids=lambda p: p.name)
def test_the_shared_page_code_runs_no_sql(path):
    assert ".execute(" not in path.read_text(encoding="utf-8"), "SQL belongs in senlib"
