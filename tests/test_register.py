"""The Caseload register (senlib.views.caseload): who is on it, labels, order, filters, search, counts and the Excel export."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest
from openpyxl import load_workbook

from senlib.access import TRUSTED
from senlib.render import exports
from senlib.views import caseload

from .conftest import AS_OF
from .senco_status import status_frame


@pytest.fixture
def reg() -> pd.DataFrame:
    return caseload.build(status_frame(
        {"pupil_id": "P1", "first_name": "Ada", "last_name": "Lovelace", "status": "on_track", "due_date": date(2027, 1, 10),
         "year_group": "5", "class": "5A", "primary_need": "SPLD", "key_worker": "Mrs Gill"},
        {"pupil_id": "P2", "first_name": "Alan", "last_name": "Turing", "status": "overdue", "days_overdue": 12,
         "due_date": date(2026, 11, 11), "year_group": "R", "class": "Reception", "sen_status": "E", "plan_type": "ehcp",
         "primary_need": "ASD", "local_authority": "Westford City Council", "key_worker": None,
         "flags": ["invite_good_practice", "stalled_outcome"], "flag_reasons": ["a", "b"], "flag_sources": ["x", "y"]},
        {"pupil_id": "P3", "first_name": "Grace", "last_name": "Hopper", "status": "due_soon", "due_date": date(2026, 12, 1),
         "year_group": "10", "class": "10A", "primary_need": "SEMH", "flags": ["consider_pcp_msp"]},
        {"pupil_id": "P4", "first_name": "Nobody", "last_name": "Special", "status": "not_applicable", "sen_status": "N",
         "plan_type": None, "primary_need": None, "year_group": "2", "class": "2A"},
        {"pupil_id": "P5", "first_name": "Gone", "last_name": "Away", "status": "not_applicable", "has_left": True,
         "leaving_date": date(2026, 7, 20), "year_group": "6", "class": "6A"},
        {"pupil_id": "=HYPERLINK(\"http://x\")", "first_name": "+Evil", "last_name": "@Name", "status": "on_track",
         "due_date": date(2027, 2, 1), "year_group": None, "class": None, "sen_status": None, "plan_type": "ihcp"},
    ))


def test_build_labels_links_and_order(reg):
    assert list(reg["pupil_id"][:2]) == ["P2", "P3"]  # overdue first, then due soon, then by due date
    first = reg.iloc[0]
    assert first["pupil"] == "Turing, Alan" and first["year"] == "Reception" and first["sen"] == "EHC plan"
    assert first["plan"] == "EHC plan" and first["status_word"] == "▲ Overdue" and first["days_overdue"] == 12
    assert first["key"] == "Oak School|P2"
    assert first["flags"] == ["invite_good_practice", "stalled_outcome"]
    assert first["flag_titles"] == "Invitations and current plan sent (good practice); Outcome stalled"
    on_track = reg.set_index("pupil_id").loc["P1"]
    assert pd.isna(on_track["days_overdue"])  # no 0 beside every pupil who is not overdue
    assert reg.set_index("pupil_id").loc["P4", "plan"] == "No plan"


def test_no_review_date_is_its_own_status_after_overdue():
    reg = caseload.build(status_frame(
        {"pupil_id": "P1", "status": "due_soon", "due_date": date(2026, 12, 1)},
        {"pupil_id": "P2", "status": "no_review_date", "days_overdue": None, "status_reason": "record the last review date"},
        {"pupil_id": "P3", "status": "overdue", "days_overdue": 3, "due_date": date(2026, 11, 20)},
    ))
    assert list(reg["pupil_id"]) == ["P3", "P2", "P1"]  # overdue, then no review date (a record to fix), then due soon
    row = reg.set_index("pupil_id").loc["P2"]
    assert row["status_word"] == "○ No review date recorded" and pd.isna(row["days_overdue"])
    assert caseload.options(reg)["status"] == ["overdue", "no_review_date", "due_soon"]
    assert caseload.describe("status", "no_review_date") == "No review date recorded"
    assert list(caseload.apply_filters(reg, {"status": ["no_review_date"]})["pupil_id"]) == ["P2"]
    assert caseload.counts(reg)["no_review_date"] == 1 and caseload.counts(reg)["overdue"] == 1
    assert caseload.export_frame(reg).set_index("Pupil ID").loc["P2", "Review status"] == "No review date recorded"


@pytest.mark.parametrize(("first", "last", "expected"), [
    ("Ada", "Lovelace", "Lovelace, Ada"), (" Ada ", None, "Ada"), (None, "Lovelace", "Lovelace"), (None, None, "(no name recorded)"),
    ("", " ", "(no name recorded)")])
def test_names_match_the_pupil_pages(first, last, expected):
    from senlib.views.pupil import full_name

    got = caseload.names(pd.Series([first], dtype=object), pd.Series([last], dtype=object)).iloc[0]
    assert got == expected == full_name(first, last, last_first=True)


def test_the_register_is_k_e_or_a_plan_on_roll(reg):
    on = reg.set_index("pupil_id")["on_register"]
    assert on["P1"] and on["P2"] and on["P3"] and on['=HYPERLINK("http://x")']  # an IHCP alone puts a pupil on the list
    assert not on["P4"] and not on["P5"]
    assert set(caseload.apply_filters(reg)["pupil_id"]) == {"P1", "P2", "P3", '=HYPERLINK("http://x")'}
    assert len(caseload.apply_filters(reg, everyone=True)) == 6


@pytest.mark.parametrize(("chosen", "expected"), [
    ({"status": ["overdue", "due_soon"]}, {"P2", "P3"}),
    ({"year_group": ["R", "10"]}, {"P2", "P3"}),
    ({"year_group": [caseload.FILTER_NOT_RECORDED]}, {'=HYPERLINK("http://x")'}),
    ({"class": ["5A"]}, {"P1"}),
    ({"primary_need": ["ASD"]}, {"P2"}),
    ({"plan_type": ["ehcp", "ihcp"]}, {"P2", '=HYPERLINK("http://x")'}),
    ({"flags": ["stalled_outcome", "consider_pcp_msp"]}, {"P2", "P3"}),  # any of the chosen flags
    ({"key_worker": [caseload.FILTER_NOT_RECORDED]}, {"P2"}),
    ({"local_authority": ["Westford City Council"]}, {"P2"}),
    ({"status": ["overdue"], "year_group": ["5"]}, set()),  # filters combine
    ({"status": []}, {"P1", "P2", "P3", '=HYPERLINK("http://x")'}),  # nothing chosen: no filter
])
def test_filters(reg, chosen, expected):
    assert set(caseload.apply_filters(reg, chosen)["pupil_id"]) == expected


def test_unknown_filter_is_refused(reg):
    with pytest.raises(KeyError):
        caseload.apply_filters(reg, {"shoe_size": ["9"]})


EVIL = '=HYPERLINK("http://x")'


@pytest.mark.parametrize(("text", "expected"), [
    ("ada", {"P1"}), ("LOVELACE ada", {"P1"}), ("p2", {"P2"}), ("gr", {"P3"}), ("hopper turing", set()),
    ("  ", {"P1", "P2", "P3", EVIL}), ("=hyper", {EVIL}), ("(", {EVIL}), ("%", set()), (".*", set()),
])
def test_search_by_name_or_id(reg, text, expected):
    """Every word must appear in the name or ID, as typed (no wildcards, no regular expressions)."""
    assert set(caseload.apply_filters(reg, search=text)["pupil_id"]) == expected


def test_options_are_in_school_order_with_not_recorded_last(reg):
    opts = caseload.options(reg)
    assert opts["year_group"] == ["R", "2", "5", "6", "10", caseload.FILTER_NOT_RECORDED]
    assert opts["class"] == ["2A", "5A", "6A", "10A", "Reception", caseload.FILTER_NOT_RECORDED]
    assert opts["status"] == ["overdue", "due_soon", "on_track", "not_applicable"]
    assert opts["flags"] == ["invite_good_practice", "consider_pcp_msp", "stalled_outcome"]  # policy order
    assert opts["key_worker"][-1] == caseload.FILTER_NOT_RECORDED
    assert caseload.describe("year_group", "R") == "Reception"
    assert caseload.describe("primary_need", "ASD") == "ASD: Autistic spectrum disorder"
    assert caseload.describe("plan_type", "ehcp") == "EHC plan"
    assert caseload.describe("flags", "stalled_outcome") == "Outcome stalled"
    assert caseload.describe("key_worker", caseload.FILTER_NOT_RECORDED) == caseload.FILTER_NOT_RECORDED


def test_counts(reg):
    n = caseload.counts(caseload.apply_filters(reg))
    assert n == {"pupils": 4, "overdue": 1, "no_review_date": 0, "due_soon": 1, "on_track": 2, "not_applicable": 0,
                 "flagged": 2, "ehcp": 1}


def test_excel_export_is_formula_safe_and_keeps_dates(reg):
    data = exports.to_xlsx(caseload.export_frame(caseload.apply_filters(reg)), sheet_name="Caseload")
    ws = load_workbook(io.BytesIO(data))["Caseload"]
    header = [c.value for c in ws[1]]
    assert header == list(caseload.COLUMNS.values())
    rows = {r[1].value: r for r in ws.iter_rows(min_row=2)}
    evil = rows['=HYPERLINK("http://x")']
    assert evil[1].data_type == "s" and evil[0].value == "@Name, +Evil" and evil[0].data_type == "s"
    assert rows["P2"][header.index("Review status")].value == "Overdue"  # the word, without the shape
    due = rows["P2"][header.index("Review due by")]
    assert due.value.date() == date(2026, 11, 11) and due.number_format == "dd/mm/yyyy"


def test_demo_register_changes_with_the_as_of_date(demo_con):
    now = caseload.load(demo_con, AS_OF, viewer=TRUSTED)
    later = caseload.load(demo_con, date(2027, 3, 1), viewer=TRUSTED)
    n_now, n_later = caseload.counts(caseload.apply_filters(now)), caseload.counts(caseload.apply_filters(later))
    assert n_now["pupils"] > 100 and n_now["overdue"] > 0 and n_now["due_soon"] > 0
    assert n_later["overdue"] > n_now["overdue"]  # nothing new is recorded after the demo's date, so reviews fall due
    assert now["on_register"].sum() < len(now)
    one = now["setting"].iloc[0]
    assert set(caseload.load(demo_con, AS_OF, settings=[one], viewer=TRUSTED)["setting"]) == {one}
