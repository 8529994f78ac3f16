from datetime import date

import pandas as pd
import pytest

from senlib import store
from senlib.core.names import NEEDS, PLAN_TYPES, YEAR_GROUPS
from senlib.store import demo

from .conftest import AS_OF

TABLES = ["settings", "pupils", "plans", "reviews", "outcomes", "scores", "ehc_requests"]


def _dump(con) -> dict[str, pd.DataFrame]:
    out = {}
    for t in TABLES:
        df = con.execute(f"SELECT * EXCLUDE ({'updated_at, ' if t == 'pupils' else ''}{'import_id' if t != 'settings' else 'phase'}) FROM {t}").df()
        out[t] = df.sort_values(list(df.columns[:3])).reset_index(drop=True)
    return out


def test_same_seed_same_caseload(tmp_path):
    a = store.connect(tmp_path / "a.duckdb")
    b = store.connect(tmp_path / "b.duckdb")
    demo.generate(a, settings=2, pupils=800, seed=7, as_of=AS_OF)
    demo.generate(b, settings=2, pupils=800, seed=7, as_of=AS_OF)
    da, db = _dump(a), _dump(b)
    for t in TABLES:
        pd.testing.assert_frame_equal(da[t], db[t], check_like=True)


def test_different_seed_differs(tmp_path):
    a = store.connect(tmp_path / "a.duckdb")
    b = store.connect(tmp_path / "b.duckdb")
    demo.generate(a, pupils=500, seed=1, as_of=AS_OF)
    demo.generate(b, pupils=500, seed=2, as_of=AS_OF)
    assert _dump(a)["pupils"]["pupil_id"].tolist() != _dump(b)["pupils"]["pupil_id"].tolist()


def q(con, sql):
    return con.execute(sql).fetchall()


def test_proportions_are_realistic(demo_con):
    (k, e, total), = q(demo_con, "SELECT count(*) FILTER (sen_status='K'), count(*) FILTER (sen_status='E'), count(*) FROM pupils")
    assert 0.10 < k / total < 0.16
    assert 0.03 < e / total < 0.06
    top = [r[0] for r in q(demo_con, "SELECT primary_need FROM pupils WHERE sen_status='K' GROUP BY 1 ORDER BY count(*) DESC LIMIT 4")]
    assert set(top) <= {"SLCN", "SEMH", "ASD", "MLD", "SPLD"}


def test_every_k_or_e_pupil_has_a_valid_primary_need(demo_con):
    assert q(demo_con, "SELECT count(*) FROM pupils WHERE sen_status IN ('K','E') AND primary_need IS NULL") == [(0,)]
    needs = {r[0] for r in q(demo_con, "SELECT DISTINCT primary_need FROM pupils WHERE primary_need IS NOT NULL")}
    assert needs <= set(NEEDS)


def test_codes_are_known(demo_con):
    assert {r[0] for r in q(demo_con, "SELECT DISTINCT plan_type FROM plans")} <= set(PLAN_TYPES)
    ygs = {r[0] for r in q(demo_con, "SELECT DISTINCT year_group FROM pupils WHERE year_group IS NOT NULL")}
    assert ygs <= set(YEAR_GROUPS)
    assert {"N1", "R", "6", "11"} <= ygs


def test_reviews_after_plan_start_and_held_ones_not_after_as_of(demo_con):
    assert q(demo_con, f"SELECT count(*) FROM reviews WHERE held AND review_date > DATE '{AS_OF}'") == [(0,)]
    assert q(demo_con, f"SELECT count(*) FROM reviews WHERE NOT held AND review_date <= DATE '{AS_OF}'") == [(0,)]
    bad = q(demo_con, """SELECT count(*) FROM reviews r WHERE NOT EXISTS (
        SELECT 1 FROM plans p WHERE p.setting = r.setting AND p.pupil_id = r.pupil_id AND p.plan_type = r.plan_type
          AND r.review_date > p.start_date)""")
    assert bad == [(0,)]


def test_scores_within_scale_and_dates_sane(demo_con):
    assert q(demo_con, """SELECT count(*) FROM scores s JOIN outcomes o USING (setting, pupil_id, outcome_id)
                          WHERE s.score < o.scale_min OR s.score > o.scale_max""") == [(0,)]
    assert q(demo_con, f"SELECT count(*) FROM pupils WHERE date_of_birth >= DATE '{AS_OF}'") == [(0,)]
    assert q(demo_con, "SELECT count(*) FROM plans WHERE end_date < start_date") == [(0,)]
    assert q(demo_con, "SELECT count(*) FROM plans p JOIN pupils u USING (setting, pupil_id) WHERE p.start_date <= u.date_of_birth") == [(0,)]


def test_graduated_response_paths(demo_con):
    # Every EHCP pupil climbed: SEN Support, then a My Support Plan, then an agreed request, then the plan.
    rows = q(demo_con, """SELECT string_agg(plan_type, '>' ORDER BY start_date, plan_type) FROM plans
                          WHERE plan_type <> 'ihcp' AND (setting, pupil_id) IN (SELECT (setting, pupil_id) FROM pupils WHERE sen_status = 'E')
                          GROUP BY setting, pupil_id""")
    assert rows and all(r[0] == "sen_support>my_support_plan>ehcp" for r in rows)
    (agreed,), = q(demo_con, "SELECT count(*) FROM ehc_requests WHERE decision = 'agreed' AND final_plan_date IS NOT NULL")
    (e,), = q(demo_con, "SELECT count(*) FROM pupils WHERE sen_status = 'E'")
    assert agreed == e
    # Some pupils stepped down from a My Support Plan back to SEN Support.
    (down,), = q(demo_con, """SELECT count(*) FROM plans a JOIN plans b USING (setting, pupil_id)
                              WHERE a.plan_type = 'my_support_plan' AND b.plan_type = 'sen_support' AND b.start_date = a.end_date""")
    assert down > 0


def test_has_overdue_and_missing_data(demo_con):
    # Some current termly plans have gone more than 4 months without a review.
    (late,), = q(demo_con, f"""SELECT count(*) FROM plans p WHERE plan_type = 'sen_support' AND end_date IS NULL
        AND DATE '{AS_OF}' - greatest(p.start_date, coalesce((SELECT max(review_date) FROM reviews r WHERE r.held
            AND r.setting = p.setting AND r.pupil_id = p.pupil_id AND r.plan_type = p.plan_type), p.start_date)) > 122""")
    assert late > 0
    (missing,), = q(demo_con, "SELECT count(*) FROM reviews WHERE held AND invitations_sent IS NULL")
    assert missing > 0


def test_generate_rolls_back_on_failure(tmp_path, monkeypatch):
    con = store.connect(tmp_path / "a.duckdb")

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo, "_ehc_requests", boom)
    with pytest.raises(RuntimeError):
        demo.generate(con, pupils=100, as_of=date(2026, 1, 5))
    assert store.is_empty(con)
