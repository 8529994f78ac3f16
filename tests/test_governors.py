"""The governors' report (senlib.views.governors): aggregates only, no pupil identifiers anywhere (report object,
HTML, PDF text), small counts suppressed with no recovery by subtraction, trend against last term; and the page."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from senlib import store
from senlib.access import TRUSTED, AccessDenied, Viewer, privacy
from senlib.render import document
from senlib.views import governors

from .conftest import AS_OF

ROOT = Path(__file__).resolve().parent.parent
SMALL = privacy.small_label()
HIDDEN = {SMALL, privacy.SECONDARY_LABEL}


def hidden(value: str) -> bool:
    """A count that is not published exactly: 'fewer than 5', 'not shown', or a range the published figures imply."""
    return value in HIDDEN or "–" in value


def exact_share(value: str) -> bool:
    return bool(re.fullmatch(r"\d+%", value))


# ------------------------------------------------------------------------------------------ helpers


def _strings(obj, out: list[str]) -> list[str]:
    """Every string anywhere in the report object: fields, tables (cells, columns, index), chart specs."""
    if isinstance(obj, str):
        out.append(obj)
    elif isinstance(obj, pd.DataFrame):
        out.extend(str(v) for v in obj.to_numpy().ravel())
        out.extend(str(c) for c in obj.columns)
        out.extend(str(i) for i in obj.index)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            _strings(getattr(obj, f.name), out)
    elif isinstance(obj, dict):
        out.append(json.dumps(obj, default=str))
    elif isinstance(obj, list | tuple | set):
        for v in obj:
            _strings(v, out)
    elif isinstance(obj, date | int | float | bool) or obj is None:
        out.append(str(obj))
    else:
        raise AssertionError(f"unexpected object in the report: {type(obj)}")
    return out


def _identifiers(con) -> dict[str, set[str]]:
    rows = con.execute("SELECT pupil_id, first_name, last_name, date_of_birth FROM pupils").fetchall()
    return {
        "ids": {r[0] for r in rows},
        "names": {n for r in rows for n in (r[1], r[2]) if n},
        "dobs": {f(r[3]) for r in rows if r[3] for f in (lambda d: d.isoformat(), lambda d: d.strftime("%d/%m/%Y"))},
    }


def _assert_no_identifiers(text: str, ids: dict[str, set[str]]) -> None:
    leaked_ids = [i for i in ids["ids"] if i in text]
    assert not leaked_ids, leaked_ids[:5]
    words = set(re.findall(r"[A-Za-z][A-Za-z'\-]+", text))
    assert not (words & ids["names"]), sorted(words & ids["names"])[:5]
    leaked_dobs = [d for d in ids["dobs"] if d in text]
    assert not leaked_dobs, leaked_dobs[:5]


def _report_text(report: governors.GovernorsReport) -> str:
    return "\n".join(_strings(report, []))


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.parts.append(data)


@pytest.fixture(scope="module")
def demo_report(demo_db_template, tmp_path_factory):
    """The report on the demo caseload, and the pupils' identifiers to look for."""
    import shutil

    path = tmp_path_factory.mktemp("gov") / "demo.duckdb"
    shutil.copy(demo_db_template, path)
    con = store.connect(path)
    report = governors.governors_report(con, AS_OF, viewer=TRUSTED)
    ids = _identifiers(con)
    yield con, report, ids
    con.close()


@pytest.fixture
def small_school(tmp_path):
    """A small setting: 6 SPLD pupils on SEN Support, 2 ASD with EHC plans, 1 HI on SEN Support, 20 with no SEN."""
    con = store.connect(tmp_path / "small.duckdb")
    con.execute("INSERT INTO settings VALUES ('Oak', 'primary', 'Northmoor Council')")
    rows = [(f"K{i}", "K", "SPLD") for i in range(6)] + [("E0", "E", "ASD"), ("E1", "E", "ASD"), ("H0", "K", "HI")]
    rows += [(f"N{i}", "N", None) for i in range(20)]
    for pid, status, need in rows:
        con.execute("""INSERT INTO pupils (setting, pupil_id, first_name, last_name, date_of_birth, year_group, sen_status,
                                           primary_need, date_identified) VALUES ('Oak', ?, 'Zed', 'Quorn', DATE '2017-04-04', '4', ?, ?,
                                           DATE '2025-09-01')""", [pid, status, need])
        if status == "K":
            con.execute("INSERT INTO plans VALUES ('Oak', ?, 'sen_support', DATE '2025-09-01', NULL, NULL, NULL)", [pid])
        if status == "E":
            con.execute("INSERT INTO plans VALUES ('Oak', ?, 'ehcp', DATE '2026-06-01', NULL, 'Northmoor Council', NULL)", [pid])
    # Two SPLD pupils reviewed recently (on time); the other K pupils never reviewed since 01/09/2025: overdue.
    for pid in ("K0", "K1"):
        con.execute("INSERT INTO reviews (setting, pupil_id, plan_type, review_date) VALUES ('Oak', ?, 'sen_support', DATE '2026-10-15')", [pid])
    con.execute("INSERT INTO ehc_requests VALUES ('Oak', 'K2', DATE '2026-09-20', DATE '2026-10-30', 'agreed', NULL, 'Northmoor Council', NULL)")
    yield con
    con.close()


# -------------------------------------------------------------------------------------------- units


@pytest.mark.parametrize(("day", "expected"), [
    (date(2026, 11, 23), date(2025, 11, 23)), (date(2028, 2, 29), date(2027, 2, 28)), (date(2027, 9, 1), date(2026, 9, 1)),
])
def test_year_before(day, expected):
    assert governors.year_before(day) == expected


def test_report_has_every_section(demo_report):
    _, report, _ = demo_report
    headings = [s.heading for s in report.sections]
    assert headings == ["Pupils on the SEN register", "Review compliance", governors.MEETINGS_HEADING,
                        "Progress towards outcomes", "Escalations",
                        governors.PROVISION_HEADING, "EHC needs assessment requests", "Compared with a year ago"]
    assert [h.label for h in report.headlines][:3] == ["On the SEN register", "SEN Support (K)", "EHC plans (E)"]
    assert report.compared_with == date(2025, 11, 23)  # like with like: the same day a year before


def test_no_identifier_in_the_report_object(demo_report):
    _, report, ids = demo_report
    _assert_no_identifiers(_report_text(report), ids)


def test_report_holds_only_text_tables(demo_report):
    """Every table a governor receives is text (published counts), never numbers a page could re-aggregate."""
    _, report, _ = demo_report
    for section in report.sections:
        for block in section.blocks:
            table = block.table if isinstance(block, document.Chart) else block if isinstance(block, document.Table) else None
            if table is not None:
                assert all(isinstance(v, str) for v in table.frame.to_numpy().ravel()), section.heading


def test_counts_agree_with_the_register(demo_report):
    con, report, _ = demo_report
    k, e = con.execute("""SELECT count(*) FILTER (sen_status = 'K'), count(*) FILTER (sen_status = 'E') FROM pupils
                          WHERE leaving_date IS NULL OR leaving_date > ?""", [AS_OF]).fetchall()[0]
    heads = {h.label: h.value for h in report.headlines}
    assert heads["SEN Support (K)"] == f"{k:,}" and heads["EHC plans (E)"] == f"{e:,}"


def _frame(report, heading: str, index: int = 0) -> pd.DataFrame:
    section = next(s for s in report.sections if s.heading == heading)
    tables = [b.table if isinstance(b, document.Chart) else b for b in section.blocks
              if isinstance(b, document.Chart | document.Table)]
    return tables[index].frame


def test_small_counts_are_suppressed_and_cannot_be_recovered(small_school):
    report = governors.governors_report(small_school, AS_OF, viewer=TRUSTED)
    reg = _frame(report, "Pupils on the SEN register").set_index("Area of need and primary need")
    # By broad area: HI (1 pupil) under sensory and/or physical, ASD (2) under communication and interaction: both
    # 'fewer than 5'; cognition and learning's 6 on SEN Support would give HI away from the K total: hidden too.
    assert reg.loc["Sensory and/or physical", "SEN Support (K)"] == SMALL
    assert reg.loc["Communication and interaction", "EHC plan (E)"] == SMALL
    assert hidden(reg.loc["Cognition and learning", "SEN Support (K)"])
    assert "1" not in reg.to_numpy().ravel() and "2" not in reg.to_numpy().ravel()
    _assert_no_single_hidden(reg)
    comp = _frame(report, "Review compliance").set_index("Pupils")
    _assert_no_single_hidden(comp[["Review on time", "Review not on time", "Total"]], columns=False)  # rows K and E only
    # The K and E totals appear in both tables: they must read the same (one protected cell).
    assert comp.loc["SEN Support (K)", "Total"] == reg.loc["Total", "SEN Support (K)"]
    assert comp.loc["EHC plan (E)", "Total"] == reg.loc["Total", "EHC plan (E)"]
    # A percentage is never published exactly from a hidden count: a band at most.
    for _, row in comp.iterrows():
        if hidden(row["Review on time"]) or hidden(row["Total"]):
            assert not exact_share(row["Share on time"]), row.to_dict()
    req = _frame(report, "EHC needs assessment requests").set_index("Requests for an EHC needs assessment").iloc[:, 0]
    assert req.loc["Made"] == SMALL and req.loc["Council agreed to assess"] == SMALL
    text = _report_text(report)
    assert "Zed" not in text and "Quorn" not in text and "K2" not in text


def test_no_review_date_counts_as_not_on_time_and_is_suppressed_when_small(tmp_path):
    """Unknown is not overdue, but never on time: 21 on SEN Support (10 on time, 5 overdue, 6 with nothing recorded to
    date the review from) are 48% on time, not 67% (left out) or 76% (counted on time); the 6 are published, the EHC
    plans' 2 are not ('fewer than 5'), nor anything they could be worked out from."""
    con = store.connect(tmp_path / "sparse.duckdb")
    con.execute("INSERT INTO settings VALUES ('Oak', 'primary', 'Northmoor Council')")
    groups = [("K", "on_time", 10), ("K", "overdue", 5), ("K", "nothing", 6), ("E", "on_time", 6), ("E", "nothing", 2)]
    for sen, kind, n in groups:
        for i in range(n):
            pid = f"{sen}{kind}{i}"
            con.execute("""INSERT INTO pupils (setting, pupil_id, first_name, last_name, date_of_birth, year_group, sen_status,
                                               primary_need, date_identified) VALUES ('Oak', ?, 'Zed', 'Quorn', DATE '2017-04-04',
                                               '4', ?, 'SPLD', ?)""", [pid, sen, None if kind == "nothing" else date(2025, 9, 1)])
            if kind != "nothing":
                con.execute("INSERT INTO plans (setting, pupil_id, plan_type, start_date) VALUES ('Oak', ?, ?, ?)",
                            [pid, "sen_support" if sen == "K" else "ehcp", date(2025, 9, 1) if sen == "K" else date(2026, 6, 1)])
            if sen == "K" and kind == "on_time":
                con.execute("INSERT INTO reviews (setting, pupil_id, plan_type, review_date) VALUES ('Oak', ?, 'sen_support', "
                            "DATE '2026-10-15')", [pid])
    report = governors.governors_report(con, AS_OF, viewer=TRUSTED)
    con.close()
    comp = _frame(report, "Review compliance").set_index("Pupils")
    k, e = comp.loc["SEN Support (K)"], comp.loc["EHC plan (E)"]
    assert (k["Review on time"], k["Review not on time"], k["Of which no review date recorded"], k["Total"]) == ("10", "11", "6", "21")
    assert k["Share on time"] == "48%"
    assert e["Of which no review date recorded"] == SMALL and e["Review not on time"] == SMALL and e["Total"] == "8"
    assert e["Review on time"] == "5–8"  # hidden (8 - 6 would give the 2 away): only the range 'fewer than 5' implies
    assert e["Share on time"] == "50% or more"  # 5 to 8 of 8: 62-100%, a band that holds them all
    _assert_no_single_hidden(comp[["Review on time", "Review not on time", "Total"]], columns=False)
    texts = [b.text for s in report.sections if s.heading == "Review compliance" for b in s.blocks if isinstance(b, document.Text)]
    assert (f"6 pupils on SEN Support and {SMALL} with an EHC plan have no review date recorded: they count as not on time."
            in texts)
    heads = {h.label: h for h in report.headlines}
    assert heads["SEN Support reviews on time"].value == "48%"
    assert heads["SEN Support reviews on time"].note.startswith("Not on time: 11 · a year ago: ")
    assert "2" not in comp.to_numpy().ravel()


def _assert_no_single_hidden(table: pd.DataFrame, *, columns: bool = True) -> None:
    """No row (or column, when the table has a total row) has exactly one hidden count: none can be recovered
    by subtraction."""
    for _, row in table.iterrows():
        assert sum(hidden(v) for v in row) != 1, row.to_dict()
    for col in table.columns if columns else []:
        assert sum(hidden(v) for v in table[col]) != 1, col


def test_trend_matches_a_report_a_year_before(demo_report):
    con, report, _ = demo_report
    then = governors.governors_report(con, report.compared_with, viewer=TRUSTED)
    trend = _frame(report, "Compared with a year ago").set_index("Measure")
    ago, now = trend.columns
    assert ago == "A year ago (23/11/2025)" and now == "Now (23/11/2026)"
    heads = {h.label: h.value for h in then.headlines}
    assert trend.loc["Pupils on SEN Support (K)", ago] == heads["SEN Support (K)"]
    assert trend.loc["Pupils with an EHC plan (E)", ago] == heads["EHC plans (E)"]
    assert trend.loc["EHC plans: reviews on time", ago] == heads["EHC plan reviews on time"]
    assert trend.loc["SEN Support: reviews on time", ago] == heads["SEN Support reviews on time"]
    assert trend.loc["Pupils on SEN Support (K)", now] == {h.label: h.value for h in report.headlines}["SEN Support (K)"]
    # Year to date against last year to the same date, never a whole year against part of one.
    requests = _frame(report, "EHC needs assessment requests")
    assert list(requests.columns)[1:] == ["This school year so far", "Last school year, same period"]
    said = next(b.text for s in report.sections if s.heading == "EHC needs assessment requests" for b in s.blocks
                if isinstance(b, document.Text))
    assert "(01/09/2026 to 23/11/2026)" in said and "(01/09/2025 to 23/11/2025)" in said
    made_then = con.execute("SELECT count(*) FROM ehc_requests WHERE requested BETWEEN '2025-09-01' AND '2025-11-23'").fetchall()[0][0]
    assert requests.iloc[0, 2] == governors._count(made_then, 5) or hidden(requests.iloc[0, 2])


def test_html_and_pdf_have_no_identifiers(demo_report):
    _, report, ids = demo_report
    html = governors.to_html(report, charts=False)
    parser = _Text()
    parser.feed(html.decode("utf-8"))
    assert "script" not in parser.tags
    text = "\n".join(parser.parts)
    assert "SEN report for governors" in text and "Review compliance" in text
    _assert_no_identifiers(html.decode("utf-8"), ids)
    pdf = governors.to_pdf(report)  # with the charts drawn (kaleido and Chromium), as the page serves it
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    pdf_text = "\n".join(page.extract_text() for page in reader.pages)
    assert "SEN report for governors" in pdf_text and "Review compliance" in pdf_text
    _assert_no_identifiers(pdf_text, ids)
    images = sum(len(page.images) for page in reader.pages)
    assert images >= 4, "the charts should be drawn into the PDF"


def test_empty_and_scoped_reports(demo_con, empty_db):
    con = store.connect(empty_db)
    try:
        empty = governors.governors_report(con, AS_OF, viewer=TRUSTED)
    finally:
        con.close()
    assert empty.empty and not empty.headlines
    assert governors.to_pdf(empty, charts=False).startswith(b"%PDF")
    settings = [s for (s,) in demo_con.execute("SELECT DISTINCT setting FROM pupils ORDER BY 1").fetchall()]
    governor = Viewer(role="governor", email="chair@gmail.com", settings=frozenset(settings[:1]))
    scoped = governors.governors_report(demo_con, AS_OF, viewer=governor)
    assert scoped.scope == settings[0]
    assert governors.governors_report(demo_con, AS_OF, viewer=Viewer(role="governor", email="x@y.org", settings=frozenset())).empty


def test_role_is_checked():
    @dataclasses.dataclass(frozen=True)
    class Nobody:
        role: str = "parent"

    with pytest.raises(AccessDenied):
        governors.governors_report(None, AS_OF, viewer=Nobody())  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------- page

AUTH = {"redirect_uri": "http://127.0.0.1:8501/oauth2callback", "cookie_secret": "x" * 32, "client_id": "dashboard",
        "client_secret": "secret", "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
ROLES = {"senco": ["senco@oak.sch.uk"], "leader": ["@oak.sch.uk"], "governor": ["chair@gmail.com"]}


def _app(db, monkeypatch, email: str | None = None) -> AppTest:
    monkeypatch.setenv("SENLIB_DB", str(db))
    import ui.state

    ui.state.connection.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    if email:
        at.secrets["auth"] = AUTH
        at.secrets["roles"] = ROLES
        at.user = {"is_logged_in": True, "email": email}
    at.session_state["as_of"] = AS_OF
    return at


def test_page_downloads_parse(demo_db, monkeypatch, downloads):
    at = _app(demo_db, monkeypatch)
    at.run()
    at.switch_page("pages/governors.py").run()
    assert not at.exception, at.exception
    values = _tiles(at)
    assert values["SEN Support (K)"] == "182" and values["EHC plan reviews on time"] == "90% or more"
    assert {b.label for b in at.get("download_button")} == {"Download PDF", "Download HTML"}
    stem = f"sen-governors-report-{AS_OF:%Y-%m-%d}"
    pdf = downloads[f"{stem}.pdf"]()
    assert pdf.startswith(b"%PDF")
    assert "SEN report for governors" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    html = downloads[f"{stem}.html"]().decode("utf-8")
    parser = _Text()
    parser.feed(html)
    assert "Review compliance" in "".join(parser.parts)
    at.date_input(key="_as_of_widget").set_value(date(2026, 3, 1)).run()
    assert not at.exception, at.exception
    assert _tiles(at) != values


def _tiles(at: AppTest) -> dict[str, str]:
    """Headline tiles: a caption (label) then the value's markdown, in each bordered container."""
    out: dict[str, str] = {}

    def walk(node) -> None:
        kids = list(getattr(node, "children", {}).values())
        kinds = [type(k).__name__ for k in kids]
        if kinds[:2] == ["Caption", "Markdown"] and "font-size:1.6rem" in kids[1].value:
            out[kids[0].value.replace("\\", "")] = re.sub(r"<[^>]+>", "", kids[1].value)
        for k in kids:
            walk(k)

    walk(at.main)
    return out


def test_governor_sees_only_the_report(demo_db, monkeypatch, demo_db_template):
    con = store.connect(demo_db_template, read_only=True)
    ids = _identifiers(con)
    con.close()
    at = _app(demo_db, monkeypatch, email="chair@gmail.com")
    at.run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Governors' report"]
    shown = "\n".join(str(e.value) for kind in ("text", "caption", "markdown", "metric") for e in at.get(kind))
    tables = [t.value for t in at.table]
    assert tables, "the report's tables are on the page"
    shown += "\n".join(df.to_csv() for df in tables)
    _assert_no_identifiers(shown, ids)
    # One report only: no choice of settings or date, which would let one report be subtracted from another.
    assert not at.multiselect and not at.date_input
    assert str(date.today().year) in " ".join(c.value for c in at.caption)
    with pytest.raises(Exception):  # noqa: B017 - the compliance page is not registered for a governor
        at.switch_page("pages/compliance.py").run()


def test_a_governor_cannot_narrow_the_report_to_some_settings(demo_con):
    """Little Acorns alone hides its EHC count; with a choice of settings, (Little Acorns + Oakfield) - Oakfield
    would give it away. A governor's report always covers every setting the governor may see."""
    names = [r[0] for r in demo_con.execute("SELECT setting FROM settings ORDER BY 1").fetchall()]
    whole = governors.governors_report(demo_con, AS_OF, viewer=TRUSTED)
    governor = Viewer(role="governor", email="chair@gmail.com")
    narrowed = governors.governors_report(demo_con, AS_OF, names[:1], viewer=governor)
    assert narrowed.scope == whole.scope == ", ".join(names)
    assert [h.value for h in narrowed.headlines] == [h.value for h in whole.headlines]
    limited = Viewer(role="governor", email="chair@gmail.com", settings=frozenset(names[1:]))
    assert governors.governors_report(demo_con, AS_OF, names[:2], viewer=limited).scope == ", ".join(names[1:])


def test_page_empty_database(empty_db, monkeypatch):
    at = _app(empty_db, monkeypatch)
    at.run()
    at.switch_page("pages/governors.py").run()
    assert not at.exception
    assert any("nothing to report" in i.value for i in at.info)


def test_a_rate_with_a_hidden_count_is_a_band_that_holds_every_value_the_published_figures_allow():
    """59 EHC plans, 4 overdue ('fewer than 5'): on time (55) is hidden, and so could be 55 to 59 of 59 (93-100%):
    '90% or more' holds all of them, so it says nothing 'fewer than 5 overdue' does not. With both shown: exact."""
    from senlib.views.governors import _protect

    p = _protect({"total": 59, "ok": 55, "overdue": 4}, [("total", ["ok", "overdue"])], 5)
    assert p.text("overdue") == SMALL and p.text("ok") == "55–59"  # the range anyone can work out
    assert p.rate("ok", "total", "overdue").text == "90% or more" and p.rate("ok", "total").text == "90% or more"
    assert p.rate("ok", "total").value is None and p.rate("ok", "total").band == (0.9, 1.0)
    shown = _protect({"total": 59, "ok": 50, "overdue": 9}, [("total", ["ok", "overdue"])], 5)
    assert shown.rate("ok", "total", "overdue").text == "85%"
    # 9 pupils, 4 of them on time: 0-4 of 5-9 could be anything from 0% to 80%, a band that hides nothing: not shown.
    small = _protect({"total": 9, "ok": 4, "overdue": 5, "other": 20, "all": 29},
                     [("total", ["ok", "overdue"]), ("all", ["total", "other"])], 5)
    assert small.rate("ok", "total", "overdue").text in {"not shown", "up to 50%", "up to 75%", "up to 90%"}
    assert not exact_share(small.rate("ok", "total", "overdue").text)


@pytest.mark.parametrize(("low", "high", "band"), [
    (0.93, 1.0, (0.9, 1.0)), (0.79, 1.0, (0.75, 1.0)), (0.0, 0.2, (0.0, 0.25)), (0.3, 0.45, (0.25, 0.5)),
    (0.6, 0.8, (0.5, 0.9)), (0.0, 1.0, None), (0.75, 0.9, (0.75, 0.9)),
])
def test_rate_bands(low, high, band):
    assert privacy.rate_band(low, high) == band
    if band:
        assert band[0] <= low and high <= band[1]


def test_band_labels():
    assert [privacy.band_label(b) for b in [(0.75, 0.9), (0.0, 0.25), (0.9, 1.0), (0.25, 0.5)]] == \
        ["75–90%", "up to 25%", "90% or more", "25–50%"]
