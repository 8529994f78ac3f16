"""Golden snapshot of a hand-built caseload on which every rule of the policy fires and every status occurs.

tests/golden/every_rule.py builds it (one pupil or two per rule, each saying what it is there for); its snapshot is
tests/golden/every_rule_*_2026-11-23.csv (pupil_status, review_quality, outcome_progress, ehc_request_clocks).
A change of behaviour shows as a diff: if intended, `make snapshot` and commit the files with the change. A new rule
in policy.toml fails test_every_rule_of_the_policy_fires until a pupil of the caseload fires it.
"""

from __future__ import annotations

import difflib

import pytest

from senlib import access
from senlib.core.names import REVIEW_STATUS
from senlib.rules import clear_override, default_policy, pupil_status

from .golden import every_rule


@pytest.fixture(scope="module")
def con():
    con = every_rule.connect()
    yield con
    con.close()


@pytest.fixture(scope="module")
def frames(con):
    return every_rule.evaluate(con)


@pytest.mark.parametrize("part", list(every_rule.SNAPSHOTS))
def test_the_caseload_matches_the_golden_snapshot(con, part):
    path = every_rule.SNAPSHOTS[part]
    expected = path.read_text(encoding="utf-8")
    actual = every_rule.snapshot_texts(con)[part]
    if actual != expected:
        diff = list(difflib.unified_diff(expected.splitlines(), actual.splitlines(), "golden", "now", n=0, lineterm=""))
        raise AssertionError(f"{path.name}: the rules now say something different about the every-rule caseload. If "
                             f"intended, run `make snapshot` and commit the files.\n" + "\n".join(diff[:40]))


def test_every_rule_of_the_policy_fires(frames):
    rules = default_policy().rules
    fired = every_rule.fired(frames)
    missing = [f"{r} ({rule.title})" for r, rule in rules.items() if r not in fired]
    assert not missing, (f"No pupil of tests/golden/every_rule.py makes these rules fire: {', '.join(missing)}. Add one "
                         "who does (and, if the rule fires somewhere every_rule.fired does not look, teach it where), "
                         "then run `make snapshot`.")
    unknown = sorted(set(fired) - set(rules))
    assert not unknown, f"The output names rules the policy does not have: {unknown}"


def test_every_review_status_occurs(frames):
    seen = set(frames["status"]["status"])
    missing = [s for s in REVIEW_STATUS if s not in seen]
    assert not missing, f"No pupil of tests/golden/every_rule.py has the status {missing}"
    assert seen <= set(REVIEW_STATUS)


def test_every_review_quality_check_both_fails_and_passes(frames):
    quality = frames["quality"]
    checks = {c for r in default_policy().rules.values() for c in r.check_needs}
    assert checks, "the policy names no review quality check"
    never_failed = sorted(c for c in checks if not quality[c].eq(False).any())
    never_passed = sorted(c for c in checks if not quality[c].eq(True).any())
    assert not never_failed, f"No review of the caseload fails these quality checks: {never_failed}"
    assert not never_passed, f"No review of the caseload passes these quality checks: {never_passed}"


def test_every_state_of_the_ehc_request_clocks_occurs(frames):
    requests = frames["requests"]
    assert set(requests["decision_state"]) == {"on_time", "late", "overdue", "running"}
    assert set(requests["final_state"]) == {"on_time", "late", "overdue", "running", "not_applicable"}


def test_every_outcome_rule_is_seen_per_outcome(frames):
    outcomes = frames["outcomes"]
    assert outcomes["stalled"].any() and not outcomes["stalled"].all()
    assert set(outcomes.loc[outcomes["stalled"], "stalled_rule"]) == {"stalled_outcome"}
    assert outcomes["reached"].any()


def test_every_reason_a_pupil_is_not_applicable_occurs(frames):
    status = frames["status"]
    reasons = status.loc[status["status"] == "not_applicable", "status_reason"]
    for start in ("No SEN recorded", "Left on", "Not on the SEN register"):
        assert reasons.str.startswith(start).any(), start


def test_a_councils_own_value_is_in_force():
    """Eastshire Council invites 8 weeks before a review: that is what makes E01's review due soon."""
    con = every_rule.connect()
    try:
        def e01() -> str:
            df = pupil_status(con, every_rule.AS_OF, viewer=access.TRUSTED)
            return df.loc[df["pupil_id"] == "E01", "status"].item()

        assert e01() == "due_soon"
        clear_override(con, "invite_good_practice", "weeks", local_authority=every_rule.EASTSHIRE, user="test")
        assert e01() == "on_track"
    finally:
        con.close()
