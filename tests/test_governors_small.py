"""The governors' report at a 20-pupil and a 60-pupil school with sparse trackers, and on the demo (issue 14, item 2):
figures a governing body can use, the exact privacy audit run over everything shown together (now and a year ago),
no empty chart, like-for-like comparisons, and the SENCo's commentary checked so it names no pupil."""

from __future__ import annotations

import re
import shutil
from datetime import date

import pytest

from senlib import store
from senlib.access import TRUSTED, AccessDenied, Viewer, privacy
from senlib.importer import import_files
from senlib.render import document
from senlib.store import commentary
from senlib.views import governors
from tests import sparse_corpus
from tests.conftest import AS_OF as DEMO_AS_OF
from tests.test_governors import _app, _frame, _tiles, exact_share, hidden
from tests.test_privacy import _feasible

SMALL = privacy.small_label()
SENCO = Viewer(role="senco", email="senco@oak.sch.uk")


@pytest.fixture(scope="module")
def schools(tmp_path_factory, demo_db_template):
    """(database, as-of date) for the 20-pupil and 60-pupil sparse schools and the demo."""
    base = tmp_path_factory.mktemp("gov-small")
    demo = base / "demo.duckdb"
    shutil.copy(demo_db_template, demo)
    return {"20": (sparse_corpus.make_db(base / "s20.duckdb", 20), sparse_corpus.AS_OF),
            "60": (sparse_corpus.make_db(base / "s60.duckdb", 60), sparse_corpus.AS_OF),
            "demo": (demo, DEMO_AS_OF)}


@pytest.fixture
def sparse20(tmp_path):
    return sparse_corpus.make_db(tmp_path / "s20.duckdb", 20)


def _report(schools, which: str) -> governors.GovernorsReport:
    db, as_of = schools[which]
    con = store.connect(db)
    try:
        return governors.governors_report(con, as_of, viewer=TRUSTED)
    finally:
        con.close()


def _published_bounds(text: str, threshold: int = 5, cap: int = 100_000) -> tuple[int, int]:
    """What a reader learns from a cell's text, as the attacker reads it."""
    if text == SMALL:
        return 0, threshold - 1
    if text == privacy.SECONDARY_LABEL:
        return threshold, cap
    if "–" in text:
        lo, hi = text.replace(",", "").split("–")
        return int(lo), int(hi)
    return (int(text.replace(",", "")),) * 2


@pytest.mark.parametrize("which", ["20", "60", "demo"])
def test_the_exact_audit_holds_over_every_figure_shown_now_and_a_year_ago(schools, which):
    """An attacker who knows every published figure of both dates (counts, 'fewer than 5', ranges) and every sum that
    ties them cannot pin any small count to one value; every range holds the true count; every band holds the true
    rate. The cells include some the report never prints, read as published: a stronger attacker than a real one."""
    db, as_of = schools[which]
    con = store.connect(db)
    try:
        f = governors._figures(con, as_of, None, 5)
    finally:
        con.close()
    p = f.p
    assert (f.then is None) == (which != "demo")  # the sparse schools' records begin this year
    bounds = {k: _published_bounds(p.text(k)) for k in p.status}
    for k, (lo, hi) in bounds.items():
        assert lo <= p.values[k] <= hi, (k, p.text(k), p.values[k])
    small = [k for k, s in p.status.items() if s == privacy.PRIMARY]
    assert small, "a school this size has small counts to protect"
    rels = [(t, list(parts)) for t, parts in p.relations]
    for k in small:
        fits = [v for v in range(5) if _feasible({**bounds, k: (v, v)}, rels)]
        assert len(fits) >= 2, f"{k} is given away: only {fits} fits"
    # Every rate the report can give: exact only from shown counts, else a band holding the true rate.
    for when in [governors.NOW] + ([governors.THEN] if f.then else []):
        view = p.at(when)
        for s in governors.STATUS_CODES:
            rate, true = governors._on_time(view, s), view.values[view._k(("review", s, "ok"))]
            total = view.values[view._k(("total", s))]
            if rate.value is not None:
                assert view.shown(("review", s, "ok"), ("total", s))
            elif rate.band and total:
                assert rate.band[0] <= true / total <= rate.band[1]


@pytest.mark.parametrize("which", ["20", "60", "demo"])
def test_no_chart_is_drawn_empty_and_every_sentence_starts_with_a_capital(schools, which):
    report = _report(schools, which)
    charts_drawn = 0
    for section in report.sections:
        for block in section.blocks:
            if isinstance(block, document.Chart):
                charts_drawn += 1
                bars = [t for t in block.spec["data"] if t["type"] == "bar"]
                values = [v for t in bars for v in (t.get("x") or []) if v is not None] if bars else []
                assert values, (section.heading, block.spec["layout"]["title"])
            elif isinstance(block, document.Text):
                assert not block.text[:1].islower(), block.text
    assert charts_drawn >= (1 if which != "demo" else 4)
    for h in report.headlines:
        assert h.value[:1].isupper() or h.value[:1].isdigit() or h.value[:1] == "£", h  # a figure: "£9,008.33"
        assert "not shown not" not in h.note and (not h.note or h.note[:1].isupper()), h


def test_a_20_pupil_school(schools):
    """17 on SEN Support, 3 with EHC plans: the report says what it can, and why it says no more."""
    report = _report(schools, "20")
    tiles = {h.label: h for h in report.headlines}
    assert tiles["On the SEN register"].value == "20"
    assert tiles["EHC plans (E)"].value == "Fewer than 5"
    assert re.fullmatch(r"1\d–(19|20)", tiles["SEN Support (K)"].value)  # 17, as the range anyone could work out
    assert tiles["SEN Support reviews on time"].value == "75% or more"  # 15 of 17 on time: hidden, banded
    assert tiles["EHC plan reviews on time"].value == "Not shown" and "too few" in tiles["EHC plan reviews on time"].note
    assert tiles["Outcomes on track"].value == "Not tracked"  # no scores in the tracker: not 'none'
    register = _frame(report, "Pupils on the SEN register").set_index("Area of need and primary need")
    assert list(register.index) == ["Communication and interaction", "Cognition and learning",
                                    "Social, emotional and mental health", "Sensory and/or physical", "Total"]
    assert register.loc["Total", "Total"] == "20"
    compliance = _frame(report, "Review compliance").set_index("Pupils")
    assert compliance.loc["SEN Support (K)", "Review on time"] == "15"
    assert not exact_share(compliance.loc["SEN Support (K)", "Share on time"])
    assert report.compared_with is None and "no comparison with last year" in report.subtitle
    trend = next(s for s in report.sections if s.heading == "Compared with a year ago")
    assert "nothing from last year to compare with" in trend.blocks[0].text
    steps = _frame(report, "Escalations").set_index("What the rules suggest")["Pupils"]
    assert steps.loc["Outcome stalled"] == "not tracked" and steps.loc["Consider a PCP meeting and My Support Plan"] == SMALL
    progress = next(s for s in report.sections if s.heading == "Progress towards outcomes")
    assert "do not record scaling scores" in progress.blocks[0].text


def test_a_60_pupil_school_shows_needs_under_their_areas(schools):
    report = _report(schools, "60")
    register = _frame(report, "Pupils on the SEN register").set_index("Area of need and primary need")
    needs = [i for i in register.index if i.startswith(governors.INDENT)]
    assert needs, "a 60-pupil school has needs big enough to show"
    for n in needs:  # a need is listed only when its count is published
        assert not hidden(register.loc[n, "Total"]), n
    tiles = {h.label: h.value for h in report.headlines}
    assert (tiles["SEN Support (K)"], tiles["EHC plans (E)"]) == ("51", "9")
    assert exact_share(tiles["SEN Support reviews on time"])


def test_the_demo_compares_like_with_like(schools):
    report = _report(schools, "demo")
    assert report.compared_with == date(2025, 11, 23)
    progress = _frame(report, "Progress towards outcomes")
    assert len(progress) == 6  # five areas and all areas, each drawn: exact or banded
    chart = next(b for s in report.sections if s.heading == "Progress towards outcomes" for b in s.blocks
                 if isinstance(b, document.Chart))
    assert sum(v is not None for t in chart.spec["data"] if t["type"] == "bar" for v in t["x"]) == 5
    tiles = {h.label: h for h in report.headlines}
    assert "scored outcomes" in tiles["Outcomes on track"].note and "a year ago" in tiles["Outcomes on track"].note


# ------------------------------------------------------------------------------------------ commentary


def test_commentary_is_saved_shown_audited_and_refused_when_it_names_a_pupil(sparse20):
    con = store.connect(sparse20)
    try:
        settings = [sparse_corpus.SETTING]
        kept = commentary.save(con, SENCO, settings, "Two new EHC plans this term.\n\nThe speech and language "
                                                     "therapist's visits resumed in October.")
        assert kept.shown
        report = governors.governors_report(con, sparse_corpus.AS_OF, viewer=TRUSTED)
        assert report.sections[0].heading == "From the SENCo"
        assert [b.text for b in report.sections[0].blocks][:2] == [
            "Two new EHC plans this term.", "The speech and language therapist's visits resumed in October."]
        assert con.execute("SELECT action FROM audit WHERE action = 'governors_commentary'").fetchall()
        first, last = sparse_corpus.FIRST[0], sparse_corpus.LAST[0]  # Amelia Ashworth is on the register
        for text, word in [(f"{first} has settled well.", first), (f"well done to {first.lower()} {last.lower()}.",
                                                                    f"{first.lower()} {last.lower()}"),
                           (f"The {last} family asked for a meeting.", last)]:
            with pytest.raises(commentary.CommentaryRefused) as refused:
                commentary.save(con, SENCO, settings, text)
            assert refused.value.found == [word] and "governors never see a pupil" in str(refused.value)
        assert commentary.current(con, settings).text.startswith("Two new EHC plans")  # the refused text kept nothing
        with pytest.raises(AccessDenied):
            commentary.save(con, Viewer(role="leader", email="head@oak.sch.uk"), settings, "Fine.")
        commentary.save(con, SENCO, settings, "")
        assert commentary.current(con, settings) is None
    finally:
        con.close()


def test_commentary_naming_a_pupil_imported_later_is_withheld(sparse20):
    """'October' is no pupil's name today; a pupil called October Jones joins: the commentary is withheld, and
    the governor sees nothing of it (nor why)."""
    con = store.connect(sparse20)
    try:
        commentary.save(con, SENCO, [sparse_corpus.SETTING], "Visits resumed in October.")
        import_files(con, [("joiner.csv", b"Name,DOB,SEN\nOctober Jones,01/02/2019,K\n")], setting=sparse_corpus.SETTING,
                     today=sparse_corpus.AS_OF)
        report = governors.governors_report(con, sparse_corpus.AS_OF, viewer=TRUSTED)
        assert report.commentary_withheld and report.sections[0].heading != "From the SENCo"
        assert "October" not in governors.to_html(report, charts=False).decode()
        assert commentary.current(con, [sparse_corpus.SETTING]).found == ("October",)
    finally:
        con.close()


def test_page_commentary_form_and_the_governors_view(sparse20, monkeypatch):
    at = _app(sparse20, monkeypatch)
    at.session_state["as_of"] = sparse_corpus.AS_OF
    at.run()
    at.switch_page("pages/governors.py").run()
    assert not at.exception, at.exception
    assert _tiles(at)["On the SEN register"] == "20"
    at.text_area(key="governors_commentary").input(f"{sparse_corpus.FIRST[1]} has done well.")
    next(b for b in at.get("form_submit_button") if b.label == "Save commentary").click()
    at.run()
    assert any("not saved" in e.value for e in at.error)
    at.text_area(key="governors_commentary").input("Attendance at reviews was good this term.")
    next(b for b in at.get("form_submit_button") if b.label == "Save commentary").click()
    at.run()
    assert not at.exception and not at.error
    assert any(s.value == "From the SENCo" for s in at.subheader)
    assert any("Attendance at reviews was good" in t.value for t in at.text)
