"""docs/rules.md is generated from the policy and kept up to date; every rule's source reads as words a user can follow."""

from __future__ import annotations

import re
from pathlib import Path

from senlib.rules import default_policy
from senlib.rules.docs import REGENERATE, RULES_DOC, markdown

ROOT = Path(__file__).resolve().parents[1]
GUIDANCE = ROOT / "docs" / "guidance"


def test_rules_doc_is_up_to_date():
    path = ROOT / RULES_DOC
    assert path.exists(), f"{RULES_DOC} is missing: run `{REGENERATE}` and commit it"
    assert path.read_text(encoding="utf-8") == markdown(), \
        f"{RULES_DOC} is stale (the policy changed since it was generated): run `{REGENERATE}` and commit it"


def test_rules_doc_lists_every_rule_with_its_values_source_and_override():
    text = markdown()
    for rule in default_policy().rules.values():
        section = text.split(f"### `{rule.id}`: ", 1)[1].split("\n### ", 1)[0]
        assert rule.source in section and "**Group:** " + rule.group in section and "Can be overridden" in section
        for p in rule.params.values():
            assert f"| `{p.name}` | {p.describe(p.value)} |" in section


def _guidance_titles() -> dict[str, str]:
    """Title -> file, from the table of docs/guidance/README.md."""
    rows = re.findall(r"^\| \[([^\]]+)\]\([^)]+\) \| ([^|]+) \|", (GUIDANCE / "README.md").read_text(encoding="utf-8"), re.M)
    return {title.strip(): name for name, title in rows}


def test_the_guidance_pages_are_in_the_repository_with_their_titles():
    titles = _guidance_titles()
    assert len(titles) == 5
    for name in titles.values():
        assert (GUIDANCE / name).is_file() and (GUIDANCE / name).stat().st_size > 1000


def test_every_source_reads_as_words_a_user_can_follow():
    titles = _guidance_titles()
    for rule in default_policy().rules.values():
        src = rule.source
        assert not re.search(r"guidance \d|reg\. \d|(?<![.\d])\b\d{3}\b", src, re.I), f"{rule.id}: source '{src}' is a code, not words"
        for part in (p.strip() for p in src.split(";")):
            if part.startswith("Local authority guidance: "):
                cited = part.removeprefix("Local authority guidance: ")
                assert any(cited == t or cited.startswith(t + " (") for t in titles), \
                    f"{rule.id} cites guidance '{cited}', not a title in docs/guidance/README.md"
        for reg in re.findall(r"SEND Regulations 2014, (\S+)", src):
            assert reg in ("regulation", "regulations"), src
        assert "Local authority guidance" in src or "SEND Regulations 2014, regulation" in src or "Code of Practice" in src
