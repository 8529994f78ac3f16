"""Policy values in help texts come from the policy in force, never a default written into a page."""

from __future__ import annotations

import re
from pathlib import Path

from senlib import store
from senlib.rules import in_force, set_override

PAGES = Path(__file__).resolve().parents[1] / "pages"


def test_in_force_reads_the_value_a_setting_or_council_has_set():
    con = store.connect(":memory:")
    assert in_force(con, "invite_good_practice", "weeks") == "6 weeks"
    set_override(con, "invite_good_practice", "weeks", 8, setting="Oak School", user="test")
    assert in_force(con, "invite_good_practice", "weeks", ["Oak School"]) == "8 weeks"
    assert in_force(con, "invite_good_practice", "weeks", ["Elm School"]) == "6 weeks"
    assert in_force(con, "invite_good_practice", "weeks") == "6 weeks or 8 weeks"  # every setting: both values
    set_override(con, "invite_statutory", "weeks", 3, local_authority="Leeds", user="test")
    assert in_force(con, "invite_statutory", "weeks", ["Oak School"]) == "2 weeks or 3 weeks"  # a council differs


def test_no_page_states_a_policy_value_of_its_own():
    for page in sorted(PAGES.glob("*.py")):
        text = page.read_text(encoding="utf-8")
        found = re.findall(r"\b\d+ (?:weeks|months)\b[^\"'\n]*(?:by default|before)", text)
        assert not found, f"{page.name} writes a policy value into its text ({found}): use senlib.rules.in_force"
