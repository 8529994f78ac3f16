"""AppTest of the SENCo pages (Caseload, Upcoming reviews, Escalations): filters change the table, the as-of date
changes statuses, the downloads parse, filters survive a visit to another page, and the empty database says what to do."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from icalendar import Calendar
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from ui.state import CASELOAD_CLEAR, CASELOAD_EVERYONE, CASELOAD_FILTER, CASELOAD_SEARCH, UPCOMING_NAMES, UPCOMING_WEEKS

from .apptest import open_app
from .conftest import AS_OF

ROOT = Path(__file__).resolve().parent.parent
AS_OF_WIDGET = "_as_of_widget"  # ui.widgets.as_of_input's widget key


def _app(db, monkeypatch) -> AppTest:
    return open_app(db, monkeypatch, AS_OF, timeout=90)


def _metrics(at: AppTest) -> dict[str, int]:
    return {m.label.split(" ", 1)[-1] if m.label[:1] in "▲○◆●" else m.label: int(m.value.replace(",", "")) for m in at.metric
            if m.value.replace(",", "").isdigit()}


def _table(at: AppTest, i: int = 0):
    return at.dataframe[i].value


def _table_with(at: AppTest, column: str):
    """The first table on the page with `column` (the page's tables come and go with the data: actions due, ...)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


# ---------------------------------------------------------------------------------------------- Caseload

def test_caseload_filters_search_and_counts(demo_db, monkeypatch):
    at = _app(demo_db, monkeypatch)
    at.switch_page("pages/caseload.py").run()
    assert not at.exception, at.exception
    n = _metrics(at)
    table = _table(at)
    assert n["Pupils shown"] == len(table) > 100
    assert n["Overdue"] + n["No review date"] + n["Due soon"] + n["On track"] == n["Pupils shown"]

    at.multiselect(key=CASELOAD_FILTER + "status").set_value(["overdue"]).run()
    overdue = _table(at)
    assert len(overdue) == n["Overdue"] and all(s == ["overdue"] for s in overdue["status"])
    assert _metrics(at)["Pupils shown"] == n["Overdue"]

    at.multiselect(key=CASELOAD_FILTER + "status").set_value([]).run()
    year = at.multiselect(key=CASELOAD_FILTER + "year_group")
    assert year.options[:3] == ["Nursery 1", "Nursery 2", "Reception"]
    at.multiselect(key=CASELOAD_FILTER + "year_group").set_value(["7"]).run()
    assert set(_table(at)["year"]) == {"Year 7"}

    name = _table(at)["pupil"].iloc[0]
    at.text_input(key=CASELOAD_SEARCH).input(name.split(", ")[0]).run()
    assert name in set(_table(at)["pupil"]) and len(_table(at)) < _metrics(at)["Pupils shown"] + 1

    at.button(key=CASELOAD_CLEAR).click().run()
    assert len(_table(at)) == n["Pupils shown"]
    at.toggle(key=CASELOAD_EVERYONE).set_value(True).run()
    assert len(_table(at)) > n["Pupils shown"]


def test_caseload_as_of_date_changes_statuses(demo_db, monkeypatch):
    at = _app(demo_db, monkeypatch)
    at.switch_page("pages/caseload.py").run()
    before = _metrics(at)
    at.date_input(key=AS_OF_WIDGET).set_value(date(2027, 3, 1)).run()
    assert not at.exception, at.exception
    after = _metrics(at)
    assert after["Overdue"] > before["Overdue"]
    assert any("01/03/2027" in c.value for c in at.caption)


def test_caseload_excel_download_parses(demo_db, monkeypatch, downloads):
    at = _app(demo_db, monkeypatch)
    at.switch_page("pages/caseload.py").run()
    at.multiselect(key=CASELOAD_FILTER + "status").set_value(["overdue", "due_soon"]).run()
    shown = _table(at)
    data = downloads[f"caseload-{AS_OF:%Y-%m-%d}.xlsx"]()
    ws = load_workbook(io.BytesIO(data))["Caseload"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:2] == ("Pupil", "Pupil ID")
    assert len(rows) - 1 == len(shown)
    status_col = rows[0].index("Review status")
    assert {r[status_col] for r in rows[1:]} == {"Overdue", "Due soon"}


def test_a_download_is_audited_and_keeps_the_caches(demo_db, monkeypatch, downloads):
    import ui.state

    at = _app(demo_db, monkeypatch)
    at.switch_page("pages/caseload.py").run()
    before = ui.state.data_version()
    downloads[f"caseload-{AS_OF:%Y-%m-%d}.xlsx"]()
    action, who, detail = ui.state.cursor().execute(
        "SELECT action, user_name, detail FROM audit ORDER BY logged_at DESC LIMIT 1").fetchone()
    assert (action, who) == ("export", "local SENCo")
    assert f"caseload-{AS_OF:%Y-%m-%d}.xlsx" in detail and "caseload table" in detail
    assert ui.state.data_version() == before  # an export changes no data: nothing is worked out again


def test_caseload_filters_survive_a_visit_to_another_page(demo_db, monkeypatch):
    at = _app(demo_db, monkeypatch)
    at.switch_page("pages/caseload.py").run()
    at.multiselect(key=CASELOAD_FILTER + "status").set_value(["due_soon"]).run()
    at.text_input(key=CASELOAD_SEARCH).input("a").run()
    shown = len(_table(at))
    at.switch_page("pages/overview.py").run()
    at.switch_page("pages/caseload.py").run()
    assert at.multiselect(key=CASELOAD_FILTER + "status").value == ["due_soon"]
    assert at.text_input(key=CASELOAD_SEARCH).value == "a"
    assert len(_table(at)) == shown


# ---------------------------------------------------------------------------------------------- Upcoming reviews

def test_upcoming_reviews_weeks_and_calendar(demo_db, monkeypatch, downloads):
    at = _app(demo_db, monkeypatch)
    at.switch_page("pages/upcoming.py").run()
    assert not at.exception, at.exception
    heads = [s.value for s in at.subheader]
    assert heads[:3] == ["To do this week", "Actions due", "Reviews overdue or in the next 6 weeks"]
    todo, reviews = _table(at, 0), _table_with(at, "priority")
    assert todo["kind"].iloc[0] == ["overdue"]  # overdue first
    assert reviews["priority"].iloc[0] == ["overdue"]
    six = _metrics(at)["Reviews listed (6 weeks)"]
    assert six == len(reviews)

    at.segmented_control(key=UPCOMING_WEEKS).set_value(12).run()
    assert _metrics(at)["Reviews listed (12 weeks)"] > six

    ics = downloads[f"sen-reviews-{AS_OF:%Y-%m-%d}.ics"]()
    cal = Calendar.from_ical(ics)
    events = cal.walk("VEVENT")
    assert len(events) > 0 and all(e.decoded("dtstart") >= AS_OF for e in events)
    assert all(isinstance(e.decoded("dtstart"), date) for e in events)
    assert "to" in str(cal["x-wr-calname"])
    xlsx = load_workbook(io.BytesIO(downloads[f"upcoming-reviews-{AS_OF:%Y-%m-%d}.xlsx"]()))
    assert xlsx.active.max_row - 1 == _metrics(at)["Reviews listed (12 weeks)"]


def test_upcoming_calendar_initials_unless_full_names(demo_db, monkeypatch, downloads):
    at = _app(demo_db, monkeypatch)
    at.switch_page("pages/upcoming.py").run()
    name = _table_with(at, "priority")["pupil"].iloc[-1]  # "Last, First"
    last, first = name.split(", ")
    summaries = " ".join(str(e["summary"]) for e in Calendar.from_ical(downloads[f"sen-reviews-{AS_OF:%Y-%m-%d}.ics"]()).walk("VEVENT"))
    assert f"{first} {last}" not in summaries
    at.toggle(key=UPCOMING_NAMES).set_value(True).run()
    summaries = " ".join(str(e["summary"]) for e in Calendar.from_ical(downloads[f"sen-reviews-{AS_OF:%Y-%m-%d}.ics"]()).walk("VEVENT"))
    assert f"{first} {last}" in summaries


def test_upcoming_as_of_date_changes_the_list(demo_db, monkeypatch):
    at = _app(demo_db, monkeypatch)
    at.switch_page("pages/upcoming.py").run()
    before = _metrics(at)["Overdue"]
    at.date_input(key=AS_OF_WIDGET).set_value(date(2027, 3, 1)).run()
    assert not at.exception, at.exception
    assert _metrics(at)["Overdue"] > before


# ---------------------------------------------------------------------------------------------- Escalations

def test_escalations_grouped_with_reasons(demo_db, monkeypatch, downloads):
    at = _app(demo_db, monkeypatch)
    at.switch_page("pages/escalations.py").run()
    assert not at.exception, at.exception
    heads = [s.value for s in at.subheader]
    assert heads and heads[0].startswith("Consider a PCP meeting and My Support Plan (")
    assert any(h.startswith("Outcome stalled (") for h in heads)
    assert any("Rule `stalled_outcome`" in c.value for c in at.caption)
    first = _table(at, 0)
    # Three settings in view: each pupil's setting and year group follow the name, then why (issue 14, item 10).
    assert list(first.columns[:5]) == ["open", "pupil", "setting", "year", "reason"] and first["reason"].str.len().min() > 20
    n = _metrics(at)
    assert n["Suggestions"] == sum(len(_table(at, i)) for i in range(len(at.dataframe)))
    rows = list(load_workbook(io.BytesIO(downloads[f"escalations-{AS_OF:%Y-%m-%d}.xlsx"]())).active.iter_rows(values_only=True))
    assert len(rows) - 1 == n["Suggestions"]


def test_escalations_follow_the_as_of_date(demo_db, monkeypatch):
    at = _app(demo_db, monkeypatch)
    at.switch_page("pages/escalations.py").run()
    before = _metrics(at)["Suggestions"]
    at.date_input(key=AS_OF_WIDGET).set_value(date(2025, 1, 1)).run()
    assert not at.exception, at.exception
    assert _metrics(at)["Suggestions"] != before


# ---------------------------------------------------------------------------------------------- all three

@pytest.mark.parametrize("page", ["pages/caseload.py", "pages/upcoming.py", "pages/escalations.py"])
def test_empty_database_says_what_to_do(empty_db, monkeypatch, page):
    at = _app(empty_db, monkeypatch)
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert any("no pupils" in i.value.lower() for i in at.info)
    assert not at.dataframe


@pytest.mark.parametrize("page", ["pages/caseload.py", "pages/upcoming.py", "pages/escalations.py"])
def test_tracker_text_is_shown_as_text(demo_db, monkeypatch, page):
    """A name typed as Markdown or HTML reaches the page only inside a table (shown as typed), never as markup."""
    import duckdb

    con = duckdb.connect(str(demo_db))
    evil = "[click](javascript:alert(1)) <img src=x onerror=alert(1)> **bold**"
    con.execute("UPDATE pupils SET first_name = ? WHERE sen_status IN ('K', 'E')", [evil])
    con.close()
    at = _app(demo_db, monkeypatch)
    at.switch_page(page).run()
    assert not at.exception, at.exception
    texts = [e.value for kind in ("markdown", "caption", "subheader", "header", "info", "success", "warning")
             for e in getattr(at, kind)]
    assert not any("javascript:" in t or "onerror" in t for t in texts)
    assert any(evil in str(v) for v in _table(at)["pupil"])


# ---------------------------------------------------------------------------------------------- unknown is not overdue


def _sparse(db: Path) -> list[tuple[str, str]]:
    """Blank the dates of 8 SEN Support pupils of the demo, as a sparse tracker would have them: no plan, no review,
    no date identified; 2 of them keep a review in the diary (so it is their due date). Returns the 6 left undated
    (setting, pupil_id)."""
    from senlib import store

    con = store.connect(db)
    pids = [p for (p,) in con.execute("""SELECT pupil_id FROM pupils WHERE sen_status = 'K' AND leaving_date IS NULL
                                         ORDER BY pupil_id LIMIT 8""").fetchall()]
    for table in ("plans", "reviews"):
        con.execute(f"DELETE FROM {table} WHERE pupil_id IN (SELECT unnest(?::VARCHAR[]))", [pids])
    con.execute("UPDATE pupils SET date_identified = NULL WHERE pupil_id IN (SELECT unnest(?::VARCHAR[]))", [pids])
    setting = {p: s for p, s in con.execute("SELECT pupil_id, setting FROM pupils").fetchall()}
    for pid in pids[6:]:
        con.execute("INSERT INTO reviews (setting, pupil_id, plan_type, review_date, held) VALUES (?, ?, 'sen_support', ?, FALSE)",
                    [setting[pid], pid, date(2027, 1, 14)])
    con.close()
    return [(setting[pid], pid) for pid in pids[:6]]


def test_no_review_date_shows_as_its_own_status_on_every_senco_page(demo_db, monkeypatch):
    from senlib.views import pupil

    undated = _sparse(demo_db)
    at = _app(demo_db, monkeypatch)
    at.switch_page("pages/caseload.py").run()
    assert not at.exception, at.exception
    n = _metrics(at)
    assert n["No review date"] == 6
    assert n["Overdue"] + n["No review date"] + n["Due soon"] + n["On track"] == n["Pupils shown"]
    at.multiselect(key=CASELOAD_FILTER + "status").set_value(["no_review_date"]).run()
    table = _table(at)
    assert sorted(table["pupil_id"]) == sorted(pid for _, pid in undated) and all(s == ["no_review_date"] for s in table["status"])
    assert table["status_reason"].str.contains("record the last review date").all()
    assert "days_overdue" not in table or table["days_overdue"].isna().all()  # nobody overdue: the empty column is left out

    at.switch_page("pages/upcoming.py").run()
    assert not at.exception, at.exception
    assert [s.value for s in at.subheader][:4] == ["To do this week", "Actions due", "No review date recorded",
                                                   "Reviews overdue or in the next 6 weeks"]
    assert _metrics(at)["No review date"] == 6
    listed = _table_with(at, "fix")
    assert len(listed) == 6 and listed["fix"].str.contains("record the last review date").all()
    assert _metrics(at)["Reviews listed (6 weeks)"] == len(_table_with(at, "priority"))  # listed apart, not among the reviews

    at.switch_page("pages/compliance.py").run()
    assert not at.exception, at.exception
    assert _metrics(at)["No review date"] == 6
    assert any("6 pupils have no review date recorded" in c.value and "not on time" in c.value for c in at.caption)

    at.query_params[pupil.QUERY_PARAM] = pupil.pupil_key(*undated[0])
    at.switch_page("pages/pupil.py").run()
    assert not at.exception, at.exception
    assert any(m.value == ":violet-badge[○ No review date recorded]" for m in at.markdown), [m.value for m in at.markdown][:8]
    assert any("record the last review date" in t.value for t in at.text)
