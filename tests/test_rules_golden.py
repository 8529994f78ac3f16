"""Golden snapshot: the demo caseload's statuses, flags and sentences on 23 Nov 2026.

A change of behaviour shows as a diff of tests/golden/demo_status_2026-11-23.csv. If the change is
intended, regenerate it with `make snapshot` and commit the new file with the change.
"""

from __future__ import annotations

import difflib

from .conftest import AS_OF
from .golden.regenerate import AS_OF as SNAPSHOT_AS_OF
from .golden.regenerate import PROVISION_SNAPSHOT, SNAPSHOT, provision_snapshot_text, snapshot_text


def test_demo_statuses_and_flags_match_the_golden_snapshot(demo_con):
    assert SNAPSHOT_AS_OF == AS_OF
    expected = SNAPSHOT.read_text(encoding="utf-8")
    actual = snapshot_text(demo_con)
    if actual != expected:
        diff = list(difflib.unified_diff(expected.splitlines(), actual.splitlines(), "golden", "now", n=0, lineterm=""))
        shown = "\n".join(diff[:40])
        raise AssertionError(f"The rules now say something different about {sum(1 for d in diff if d.startswith('+') and not d.startswith('+++'))}"
                             f" pupil(s). If intended, run `make snapshot` and commit the file.\n{shown}")


def test_snapshot_covers_every_status_and_most_flags():
    text = SNAPSHOT.read_text(encoding="utf-8")
    for status in ("overdue", "due_soon", "on_track", "not_applicable"):
        assert f",{status}," in text
    for rule in ("phase_transfer", "consider_pcp_msp", "stalled_outcome", "invite_good_practice", "la_decision"):
        assert rule in text


def test_demo_provision_costs_and_flags_match_the_golden_snapshot(demo_con):
    expected = PROVISION_SNAPSHOT.read_text(encoding="utf-8")
    actual = provision_snapshot_text(demo_con)
    if actual != expected:
        diff = list(difflib.unified_diff(expected.splitlines(), actual.splitlines(), "golden", "now", n=0, lineterm=""))
        raise AssertionError("The provision rules now say something different about the demo. If intended, run "
                             "`make snapshot` and commit the file.\n" + "\n".join(diff[:40]))


def test_provision_snapshot_covers_every_provision_rule():
    text = PROVISION_SNAPSHOT.read_text(encoding="utf-8")
    for rule in ("provision_over_notional", "register_without_provision", "provision_no_exit", "provision_low_impact",
                 "provision_attendance_low"):
        assert f",{rule}," in text, rule
    assert text.count("\nintervention,") >= 30 and "\npupil," in text
