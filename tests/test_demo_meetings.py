"""The demo's review meetings (issue 17): about a third of each setting's next planned reviews scheduled in the app, with
invitees and some invitations sent, and the last review held of those plans recorded in the app with views, invitee
attendance and actions. From their own random stream: every other value of the caseload is as before (the digest of
tests/test_demo_provision.py, taken before provision, still holds with the new columns left out)."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from senlib import store
from senlib.access import TRUSTED
from senlib.core.names import INVITEE_RESPONSES, INVITEE_ROLES
from senlib.rules import pupil_status
from senlib.rules.tracking import meeting_settings, not_tracked

from .conftest import AS_OF
from .test_demo_provision import CASELOAD_DIGEST_BEFORE_PROVISION, caseload_digest


@pytest.fixture(scope="module")
def con(demo_db_template):
    c = store.connect(demo_db_template, read_only=True)
    yield c
    c.close()


@pytest.fixture(scope="module")
def tables(con):
    return {t: con.execute(f"SELECT * FROM {t}").df() for t in ("reviews", "review_invitees", "review_actions")}


def test_every_other_value_is_as_before(con):
    assert caseload_digest(con) == CASELOAD_DIGEST_BEFORE_PROVISION


def test_about_a_third_of_each_settings_planned_reviews_are_scheduled_in_the_app(tables):
    rv = tables["reviews"]
    planned = rv[~rv["held"]]
    for setting, mine in planned.groupby("setting"):
        share = mine["review_id"].notna().mean()
        assert mine["review_id"].notna().any(), setting
        assert 0.15 <= share <= 0.55 or len(mine) < 15, (setting, share)
    app = rv[rv["review_id"].notna()]
    assert app["review_id"].map(lambda v: bool(re.fullmatch(r"R-[0-9A-F]{8}", v))).all()
    assert app["review_id"].is_unique
    assert app[["start_time", "place", "chair"]].notna().all().all()
    assert app["start_time"].str.fullmatch(r"\d\d:\d\d").all()


def test_the_last_held_review_of_those_plans_is_a_meeting_record(tables):
    rv = tables["reviews"]
    held = rv[rv["held"] & rv["review_id"].notna()]
    assert len(held) >= 10
    scheduled = rv[~rv["held"] & rv["review_id"].notna()]
    keys = set(zip(scheduled["setting"], scheduled["pupil_id"], scheduled["plan_type"], strict=True))
    for r in held.itertuples():
        assert (r.setting, r.pupil_id, r.plan_type) in keys
        later = rv[(rv["setting"] == r.setting) & (rv["pupil_id"] == r.pupil_id) & (rv["plan_type"] == r.plan_type)
                   & rv["held"] & (rv["review_date"] > r.review_date)]
        assert later.empty  # the last one held
    # views agree with what the review already recorded: the child's only where the child contributed
    assert held.loc[held["child_views"].notna(), "child_contributed"].eq(True).all()
    assert held.loc[held["parents_views"].notna(), "parent_attended"].eq(True).all()
    assert held["child_views"].isna().any() and held["child_views"].notna().any()
    assert held["attendance"].between(0, 100).all()


def test_invitees_have_a_mix_of_responses_and_some_invitations_are_sent(tables):
    inv = tables["review_invitees"]
    assert set(inv["role"]) <= set(INVITEE_ROLES) and {"parent_carer", "sen_officer", "teacher"} <= set(inv["role"])
    assert set(inv["response"].dropna()) == set(INVITEE_RESPONSES) and inv["response"].isna().any()
    assert inv["invited_on"].notna().any() and inv["invited_on"].isna().any()
    assert not inv.duplicated(["setting", "pupil_id", "review_id", "invitee_id"]).any()
    assert (pd.to_datetime(inv["invited_on"].dropna()) <= pd.Timestamp(AS_OF)).all()
    held = set(tables["reviews"].loc[tables["reviews"]["held"], "review_id"].dropna())
    attended = inv[inv["review_id"].isin(held)]["attended"]
    assert attended.eq(True).any() and attended.eq(False).any()


def test_some_actions_are_done_and_some_overdue(tables):
    act = tables["review_actions"]
    due = pd.to_datetime(act["due_date"])
    done = pd.to_datetime(act["done_date"])
    assert done.notna().any() and ((due < pd.Timestamp(AS_OF)) & done.isna()).any()
    assert (done.dropna() <= pd.Timestamp(AS_OF)).all()
    rv = tables["reviews"]
    reviews = rv[rv["review_id"].notna()].set_index("review_id")["review_date"]
    assert (done.dropna() >= pd.to_datetime(act.loc[done.notna(), "review_id"].map(reviews))).all()


def test_the_meeting_rules_fire_on_the_demo_and_every_setting_keeps_meetings(con):
    flags = pupil_status(con, AS_OF, viewer=TRUSTED)["flags"].explode().dropna()
    assert {"invitee_missing", "child_views_missing", "actions_overdue"} <= set(flags)
    settings = [r[0] for r in con.execute("SELECT setting FROM settings").fetchall()]
    assert sorted(meeting_settings(con)) == sorted(settings)
    assert not_tracked(con).empty
