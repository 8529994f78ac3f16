"""The Pupil page and senlib.views.pupil: finding a pupil, their record, links, and tracker text shown as text."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from senlib import store
from senlib.access import TRUSTED
from senlib.core.errors import InputError
from senlib.core.text import escape_markdown
from senlib.views import pupil
from ui.state import AS_OF_WIDGET

from .conftest import AS_OF

ROOT = Path(__file__).resolve().parent.parent
HOSTILE_FIRST = "<script>alert(1)</script>"
HOSTILE_LAST = "[click](javascript:alert(1))"
HOSTILE_OUTCOME = "![x](http://example.com/t.png) :red[big] <img src=x onerror=alert(1)>"
SETTING = "Oakfield Primary School"


def _add_hostile_pupil(con) -> str:
    con.execute(
        """INSERT INTO pupils (setting, pupil_id, first_name, last_name, date_of_birth, year_group, class, sen_status,
               primary_need, extra) VALUES (?, 'EVIL1', ?, ?, DATE '2018-03-04', '3', '3A', 'K', 'SLCN', ?)""",
        [SETTING, HOSTILE_FIRST, HOSTILE_LAST, json.dumps({"Notes": "<b>bold</b> **strong** =1+1", "Photo consent": "Yes"})],
    )
    con.execute("INSERT INTO plans (setting, pupil_id, plan_type, start_date) VALUES (?, 'EVIL1', 'sen_support', DATE '2025-09-10')",
                [SETTING])
    con.execute(
        """INSERT INTO outcomes (setting, pupil_id, outcome_id, area, description, baseline, target, start_date, target_date, status)
           VALUES (?, 'EVIL1', 'O1', 'communication_interaction', ?, 2, 8, DATE '2025-09-10', DATE '2026-09-10', 'active')""",
        [SETTING, HOSTILE_OUTCOME])
    for d, s in (("2025-09-10", 2), ("2025-12-10", 3), ("2026-03-10", 5)):
        con.execute("INSERT INTO scores VALUES (?, 'EVIL1', 'O1', ?, ?, NULL)", [SETTING, d, s])
    con.execute("""INSERT INTO reviews (setting, pupil_id, plan_type, review_date, kind, notes, progress)
                   VALUES (?, 'EVIL1', 'sen_support', DATE '2025-12-10', 'termly', '<script>x</script>', 'expected')""", [SETTING])
    return pupil.pupil_key(SETTING, "EVIL1")


def _scored_pupil(con) -> tuple[str, str]:
    return con.execute("""SELECT o.setting, o.pupil_id FROM outcomes o JOIN scores s USING (setting, pupil_id, outcome_id)
                          JOIN pupils p USING (setting, pupil_id) WHERE p.sen_status = 'E'
                          GROUP BY ALL HAVING count(*) >= 3 ORDER BY 1, 2 LIMIT 1""").fetchall()[0]


# --- senlib.views.pupil ------------------------------------------------------------------------------


def test_key_round_trip_and_link():
    key = pupil.pupil_key("St Anne's | Infant", "A1")
    assert pupil.parse_key(key) == ("St Anne's | Infant", "A1")
    assert pupil.link("Oak School", "A/1") == "pupil?pupil=Oak%20School%7CA%2F1"
    for bad in (None, "", "no-separator", "|A1", "Oak|"):
        with pytest.raises(InputError):
            pupil.parse_key(bad)


def test_search_by_name_and_id(demo_con):
    setting, pid = _scored_pupil(demo_con)
    first, last = demo_con.execute("SELECT first_name, last_name FROM pupils WHERE setting = ? AND pupil_id = ?",
                                   [setting, pid]).fetchall()[0]
    by_id = pupil.search(demo_con, pid.lower(), viewer=TRUSTED)
    assert by_id.iloc[0]["pupil_id"] == pid
    by_name = pupil.search(demo_con, f"{first[:3]} {last}", limit=500, viewer=TRUSTED)
    assert pid in set(by_name["pupil_id"])
    assert all(last.lower() in r.lower() for r in by_name["last_name"])
    assert pupil.search(demo_con, "   ", viewer=TRUSTED).empty
    assert pupil.search(demo_con, "%", viewer=TRUSTED).empty  # LIKE wildcards are literal
    assert pupil.search(demo_con, pid, settings=["No such school"], viewer=TRUSTED).empty


def test_record_has_profile_plans_reviews_outcomes(demo_con):
    setting, pid = _scored_pupil(demo_con)
    rec = pupil.record(demo_con, setting, pid, as_of=AS_OF, viewer=TRUSTED)
    assert rec is not None and rec.pupil_id == pid
    fields = dict(zip(rec.profile["field"], rec.profile["value"], strict=True))
    assert fields["SEN status"] == "EHC plan" and fields["Current plan"] == "EHC plan"
    assert rec.current_plan == "ehcp"
    assert "ehcp" in set(rec.plans["plan_type"]) and rec.plans["ongoing"].any()
    assert not rec.reviews.empty and rec.reviews["review_date"].is_monotonic_decreasing
    assert set(rec.scores["outcome_id"]) <= set(rec.outcomes["outcome_id"])
    table = pupil.outcome_table(rec)
    assert {"latest", "change", "share", "chart_title", "summary"} <= set(table.columns)
    assert pupil.record(demo_con, setting, "NOPE", as_of=AS_OF, viewer=TRUSTED) is None
    assert pupil.record(demo_con, setting, pid, as_of=AS_OF, settings=["Elsewhere"], viewer=TRUSTED) is None


def test_extra_columns_are_text_rows():
    df = pupil.extra_columns(json.dumps({"Notes": "<b>x</b>", "Count": 3, "Nested": {"a": 1}, "Empty": None}))
    assert list(df["column"]) == ["Notes", "Count", "Nested"]
    assert list(df["value"]) == ["<b>x</b>", "3", '{"a": 1}']
    assert pupil.extra_columns(None).empty
    assert pupil.extra_columns("not json")["value"][0] == "not json"


def test_year_group_mismatch_is_a_warning(demo_con):
    demo_con.execute("""INSERT INTO pupils (setting, pupil_id, first_name, last_name, date_of_birth, year_group, sen_status)
                        VALUES ('S', 'Y1', 'A', 'B', DATE '2018-03-04', '6', 'K')""")
    rec = pupil.record(demo_con, "S", "Y1", as_of=date(2026, 11, 23), viewer=TRUSTED)
    assert any("does not match the date of birth" in w for w in rec.warnings)
    assert any("primary type of need" in w for w in rec.warnings)


def test_escape_markdown_neutralises_links_images_directives_and_html():
    for text in (HOSTILE_FIRST, HOSTILE_LAST, HOSTILE_OUTCOME):
        out = escape_markdown(text)
        for ch in "[]()<>:!":
            assert f"{ch}" not in out.replace(f"\\{ch}", "")
    assert escape_markdown("Amelia O'Neil") == "Amelia O'Neil"
    assert escape_markdown(None) == ""


# --- The page ----------------------------------------------------------------------------------


def _app(db, monkeypatch) -> AppTest:
    monkeypatch.setenv("SENLIB_DB", str(db))
    import ui.state

    ui.state.connection.clear()
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)


def _open(db, monkeypatch, key: str | None) -> AppTest:
    at = _app(db, monkeypatch)
    at.run()
    if key:
        at.query_params[pupil.QUERY_PARAM] = key
    at.switch_page("pages/pupil.py").run()
    assert not at.exception, at.exception
    return at


def _plotly_titles(at: AppTest) -> list[str]:
    titles = []
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec)
        titles.append(spec["layout"]["title"]["text"])
    return titles


def test_page_opened_by_link_shows_the_pupil_and_scaling_charts(demo_db, monkeypatch):
    con = store.connect(demo_db)
    setting, pid = _scored_pupil(con)
    n_outcomes = con.execute("SELECT count(*) FROM outcomes WHERE setting = ? AND pupil_id = ?", [setting, pid]).fetchall()[0][0]
    con.close()
    at = _open(demo_db, monkeypatch, pupil.pupil_key(setting, pid))
    assert at.selectbox[0].value == pupil.pupil_key(setting, pid)
    titles = _plotly_titles(at)
    assert "Path through the graduated response" in titles
    assert sum(t.startswith("O") for t in titles) == n_outcomes  # one scaling chart per outcome
    profile = at.dataframe[0].value
    assert pid in set(profile["value"])


def test_page_search_then_choose(demo_db, monkeypatch):
    con = store.connect(demo_db)
    setting, pid = _scored_pupil(con)
    con.close()
    at = _open(demo_db, monkeypatch, None)
    assert any("Search for a pupil" in i.value for i in at.info)
    at.text_input[0].input(pid).run()
    key = pupil.pupil_key(setting, pid)
    assert key in at.selectbox[0].options or any(pid in o for o in at.selectbox[0].options)
    at.selectbox[0].select(key).run()
    assert not at.exception
    assert at.query_params[pupil.QUERY_PARAM] == key
    assert len(at.get("plotly_chart")) >= 2


def test_page_bad_or_unknown_link_says_what_to_do(demo_db, monkeypatch):
    at = _open(demo_db, monkeypatch, "nonsense")
    assert any("does not name a pupil" in e.value for e in at.error)
    at = _open(demo_db, monkeypatch, "Oakfield Primary School|NOPE")
    assert any("no pupil with that ID" in w.value for w in at.warning)


def test_tracker_text_is_shown_as_text(demo_db, monkeypatch):
    con = store.connect(demo_db)
    key = _add_hostile_pupil(con)
    con.close()
    at = _open(demo_db, monkeypatch, key)
    header = at.header[0].value
    assert "<script>" not in header and "\\<script\\>" in header
    assert "](javascript" not in header
    markdown_bodies = [m.value for m in at.markdown] + [c.value for c in at.caption] + [h.value for h in at.header]
    for body in markdown_bodies:
        assert "<img" not in body and "](http" not in body and ":red[" not in body, body
    texts = [t.value for t in at.text]
    assert HOSTILE_OUTCOME in texts  # the outcome itself, shown verbatim by st.text
    extra = at.dataframe[-1].value
    assert "<b>bold</b> **strong** =1+1" in set(extra["value"])
    assert any("&lt;img" in t for t in _plotly_titles(at))  # Plotly titles escaped too


def test_page_as_of_date_changes_the_timeline(demo_db, monkeypatch):
    con = store.connect(demo_db)
    setting, pid = _scored_pupil(con)
    con.close()
    at = _open(demo_db, monkeypatch, pupil.pupil_key(setting, pid))
    at.date_input(key=AS_OF_WIDGET).set_value(date(2020, 1, 1)).run()  # the as-of box (the pupil may have meeting forms)
    assert not at.exception
    fields = dict(zip(at.dataframe[0].value["field"], at.dataframe[0].value["value"], strict=True))
    assert fields["Current plan"] == "None"


def test_outcome_summary_reads_well():
    rec = pupil.PupilRecord(
        setting="S", pupil_id="P", name="N", profile=pd.DataFrame(), current_plan=None, plans=pd.DataFrame(),
        reviews=pd.DataFrame(), ehc_requests=pd.DataFrame(), extra=pd.DataFrame(), warnings=[],
        outcomes=pd.DataFrame({"outcome_id": ["O1", "O2"], "description": ["x" * 80, None], "baseline": [2.0, 0.0],
                               "target": [8.0, 5.0], "status_label": ["Active", None], "area_label": ["a", "b"]}),
        scores=pd.DataFrame({"outcome_id": ["O1", "O1"], "score_date": pd.to_datetime(["2026-01-01", "2026-02-01"]),
                             "score": [2.0, 5.0]}),
    )
    table = pupil.outcome_table(rec)
    assert table.loc[0, "summary"] == "Baseline 2 · latest 5 · target 8 · 50% of the way to target · Active"
    assert table.loc[1, "summary"] == "Baseline 0 · latest not scored · target 5"
    assert table.loc[0, "chart_title"].endswith("…") and len(table.loc[0, "chart_title"]) < 65


# --- The rules engine's part of the page ---------------------------------------------------------



def test_rules_view_has_status_flags_and_quality(demo_con):
    frames = pupil.rules_frames(demo_con, AS_OF, SETTING, viewer=TRUSTED)
    status = frames["status"]
    flagged = status[status["flags"].map(len) > 0].iloc[0]
    view = pupil.rules_view(frames, flagged["setting"], flagged["pupil_id"])
    assert view.status in ("overdue", "due_soon", "on_track", "not_applicable")
    assert len(view.flags) == len(flagged["flags"]) and view.flags["reason"].str.len().gt(0).all()
    assert not view.flags["flag"].str.contains("_").all()  # rule titles, not ids
    held = status[status["reviews_held"] > 0].iloc[0]
    view = pupil.rules_view(frames, held["setting"], held["pupil_id"])
    assert not view.quality.empty and "held_on_time" in view.quality.columns
    assert str(view.quality["held_on_time"].dtype) == "boolean"
    assert pupil.rules_view(frames, SETTING, "NOPE").flags.empty
    assert pupil.rules_view(None, SETTING, "X") is None


def test_page_shows_flags_with_reasons(demo_db, monkeypatch):
    from senlib import rules

    con = store.connect(demo_db)
    status = rules.pupil_status(con, AS_OF, viewer=TRUSTED)
    row = status[status["flags"].map(len) > 0].iloc[0]
    con.close()
    at = _open(demo_db, monkeypatch, pupil.pupil_key(row["setting"], row["pupil_id"]))
    at.date_input(key=AS_OF_WIDGET).set_value(AS_OF).run()
    shown = [w.value.replace("\\", "") for w in at.warning]
    for reason in row["flag_reasons"]:
        assert any(reason in text for text in shown), reason


def test_queries_are_scoped_to_the_viewer(demo_con):
    from senlib.access import AccessDenied, Viewer

    setting, pid = _scored_pupil(demo_con)
    other = demo_con.execute("SELECT min(setting) FROM pupils WHERE setting <> ?", [setting]).fetchall()[0][0]
    governor = Viewer(role="governor", email="gov@school.org")
    for call in (lambda v: pupil.search(demo_con, pid, viewer=v),
                 lambda v: pupil.record(demo_con, setting, pid, as_of=AS_OF, viewer=v),
                 lambda v: pupil.lookup(demo_con, setting, pid, viewer=v)):
        with pytest.raises(AccessDenied):
            call(governor)
    elsewhere = Viewer(role="leader", email="head@other.org", settings=frozenset({other}))
    assert pupil.search(demo_con, pid, viewer=elsewhere).empty
    assert pupil.lookup(demo_con, setting, pid, viewer=elsewhere).empty
    assert pupil.record(demo_con, setting, pid, as_of=AS_OF, viewer=elsewhere) is None
    assert pupil.rules_frames(demo_con, AS_OF, setting, viewer=elsewhere) is None
    mine = Viewer(role="leader", email="head@here.org", settings=frozenset({setting}))
    assert pupil.record(demo_con, setting, pid, as_of=AS_OF, viewer=mine).pupil_id == pid
    assert set(pupil.search(demo_con, "a", viewer=mine, limit=500)["setting"]) == {setting}


def test_page_on_empty_database_says_what_to_do(empty_db, monkeypatch):
    at = _open(empty_db, monkeypatch, None)
    assert any("no pupils" in i.value.lower() and "demo" in i.value.lower() for i in at.info)


def test_plan_path_draws_only_plans_with_a_start_date():
    plans = pd.DataFrame({"plan_type": ["sen_support", "ehcp"], "plan": ["SEN Support plan", "EHC plan"],
                          "start_date": [pd.Timestamp("2025-09-01"), pd.NaT], "end_date": [pd.NaT, pd.NaT]})
    dated, note = pupil.plan_path(plans)
    assert dated["plan_type"].tolist() == ["sen_support"] and note == "Not drawn: EHC plan (no start date recorded)."
    dated, note = pupil.plan_path(plans.iloc[1:])
    assert dated.empty and note.startswith("EHC plan: no start date recorded, so the path cannot be drawn.")
    assert pupil.plan_path(plans.iloc[:1])[1] is None


def test_page_of_a_pupil_whose_plan_has_no_start_date(tmp_path, monkeypatch):
    """A sparse tracker records the plan but not its start: no broken timeline, a sentence instead."""
    from senlib.importer import import_files
    from tests.import_corpus import SHAPES_AS_OF, term_register

    db = tmp_path / "sparse.duckdb"
    con = store.connect(db)
    import_files(con, [("register.xlsx", term_register())], setting="Brook", today=SHAPES_AS_OF)
    con.close()
    at = _open(db, monkeypatch, pupil.pupil_key("Brook", "CLARK-AMY-20160210"))
    assert len(at.get("plotly_chart")) == 0   # Amy has no outcomes, and her EHC plan no issue date: nothing drawn
    assert any("no start date recorded, so the path cannot be drawn" in c.value for c in at.caption)


def test_page_search_with_one_match_opens_it(demo_db, monkeypatch):
    con = store.connect(demo_db)
    setting, pid = _scored_pupil(con)
    con.close()
    at = _open(demo_db, monkeypatch, None)
    at.text_input[0].input(pid).run()   # an id matches one pupil: no second click to open it
    assert not at.exception
    assert at.query_params[pupil.QUERY_PARAM] == pupil.pupil_key(setting, pid)
    assert len(at.get("plotly_chart")) >= 2


def test_the_pupil_page_progress_and_the_rules_agree_on_each_pupils_main_plan(demo_con):
    """One definition of a pupil's main plan (senlib.rules.main_plans, the plan whose cadence applies): the Pupil
    page's 'Current plan', the Progress page's plan and the rules' pupil_status agree for every demo pupil the rules
    look at (on the register, or with a plan or request)."""
    from senlib import rules
    from senlib.views import progress

    def code(v):
        return v if isinstance(v, str) else None

    status = rules.pupil_status(demo_con, AS_OF, viewer=TRUSTED)
    by_rules = {(s, p): code(v) for s, p, v in status[["setting", "pupil_id", "plan_type"]].itertuples(index=False)}
    assert len(by_rules) > 200 and len(set(by_rules.values())) >= 3
    outcomes = progress.outcome_progress(demo_con, AS_OF, viewer=TRUSTED)[["setting", "pupil_id", "plan_type"]].drop_duplicates()
    assert len(outcomes) > 50
    for s, p, plan in outcomes.itertuples(index=False):
        assert code(plan) == by_rules[(s, p)], (s, p)
    # The Pupil page's record is slower (~50 ms): every pupil whose plan records and SEN status could disagree (a
    # pupil profile, an IHCP, an EHC plan not yet recorded, a plan that ended) and a spread of the others.
    left = demo_con.execute("""SELECT DISTINCT setting, pupil_id FROM pupils JOIN plans USING (setting, pupil_id)
                                 WHERE leaving_date <= ? AND (end_date IS NULL OR end_date > ?)""", [AS_OF, AS_OF]).fetchall()
    ihcp = [k for k, v in by_rules.items() if v == "ihcp"]
    assert left and ihcp  # a leaver whose plan record runs on: no current plan; an IHCP alone: the IHCP
    sample = sorted(by_rules)[::25] + ihcp + [tuple(k) for k in left]
    for s, p in sample:
        assert pupil.record(demo_con, s, p, as_of=AS_OF, viewer=TRUSTED).current_plan == by_rules[(s, p)], (s, p)
