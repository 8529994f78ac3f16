"""The Provision map and Impact views (senlib.views.provision) on the hand-worked school of tests/provision_fixture.py:
the grid's cells, the totals (an intervention covering two areas counts once), hours by role, the table's words
(money as £, "Not tracked" never £0), the impact figures, and the costed provision map's Excel download read back
cell by cell to the penny."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from senlib import access
from senlib.access import TRUSTED
from senlib.core.names import AREAS, STAFF_ROLES
from senlib.views import provision as v
from tests import chart_checks

from . import provision_fixture as fx

# The store's codes a user must never read (the words are names.AREAS, STAFF_ROLES, ...): those with an underscore,
# and the short ones that are not English words.
CODES = [c for c in [*AREAS, *STAFF_ROLES, "one_to_one", "small_group", "in_class", "reading_age_months",
                     v.NO_ROLE] if "_" in c or c in ("semh", "salt", "pfa")]
RAW_CODES = re.compile(r"\b(" + "|".join(map(re.escape, CODES)) + r")\b")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    con = fx.build(tmp_path_factory.mktemp("provision-map") / "provision.duckdb")
    yield v.load(con, fx.AS_OF, viewer=TRUSTED)
    con.close()


def _cell(cells, area, year, provision_id):
    hit = cells[(cells["area"] == area) & (cells["year_group"] == year) & (cells["provision_id"] == provision_id)]
    return None if hit.empty else (int(hit["pupils"].iloc[0]), hit["hours_week"].iloc[0])


def test_the_grid_cells(data):
    cells = v.grid_cells(data)
    # Lego therapy covers two areas: under each, with its pupils of each year group (Ben in Year 3; Cara, Dev in 4)
    assert _cell(cells, "communication_interaction", "3", "P2") == (1, 0.75)
    assert _cell(cells, "semh", "3", "P2") == (1, 0.75)
    assert _cell(cells, "communication_interaction", "4", "P2") == (2, 0.75)
    assert _cell(cells, "semh", "4", "P2") == (2, 0.75)
    assert _cell(cells, "cognition_learning", "5", "P4") == (1, 5.0)
    assert _cell(cells, "cognition_learning", "5", "P9")[0] == 7 and _cell(cells, "cognition_learning", "6", "P9")[0] == 2
    assert _cell(cells, "sensory_physical", "2", "P6")[0] == 1
    # Toe by Toe runs, but every place on it has ended: no cell
    assert "P8" not in set(cells["provision_id"])

    grid = v.grid(data)[fx.SETTING]
    assert list(grid.index) == [AREAS[a] for a in v.BROAD_AREAS]
    assert list(grid.columns) == ["Year 2", "Year 3", "Year 4", "Year 5", "Year 6"]  # school order
    assert grid.loc["Communication and interaction", "Year 3"].split("\n") == [
        "Lego therapy: 1 pupil, 0.75 h a week", "Speech and language therapy: 1 pupil, 0.5 h a week"]
    assert grid.loc["Sensory and/or physical", "Year 2"] == "Writing slope: 1 pupil"  # equipment: no staff time
    assert grid.loc["Cognition and learning", "Year 6"] == "Quality-first reading: 2 pupils, hours not tracked"
    assert grid.loc["Sensory and/or physical", "Year 5"] == ""


def test_the_grid_filters(data):
    semh_ta = v.grid(data, v.Filters(areas=("semh",), roles=("teaching_assistant",)))[fx.SETTING]
    assert list(semh_ta.index) == ["Social, emotional and mental health"]
    assert semh_ta.loc["Social, emotional and mental health", "Year 4"] == "Lego therapy: 2 pupils, 0.75 h a week"
    year5 = v.grid(data, v.Filters(years=("5",)))[fx.SETTING]
    assert list(year5.columns) == ["Year 5"]
    assert set(v.grid_cells(data, v.Filters(years=("5",)))["provision_id"]) == {"P4", "P5", "P9"}
    unrecorded = v.grid_cells(data, v.Filters(roles=(v.NO_ROLE,)))
    assert set(unrecorded["provision_id"]) == {"P6", "P7", "P9"}


def test_totals_count_an_intervention_once(data):
    t = v.totals(data)
    assert round(t["spend"], 2) == 9008.33 and (t["costed"], t["not_costed"]) == (7, 2)
    assert (t["pupils_now"], t["register"], t["register_with_provision"]) == (15, 16, 15)  # Gus has none
    roles = t["hours_by_role"].set_index("role")
    assert round(roles.loc["teaching_assistant", "hours_week"], 2) == 6.25  # Toe by Toe has no pupils now
    assert roles.loc["salt", "hours_week"] == 0.5 and roles.loc["specialist_teacher", "hours_week"] == 1.0
    assert roles.loc[v.NO_ROLE, "hours_week"] == 1.0 and roles.loc[v.NO_ROLE, "not_tracked"] == 2
    assert list(t["hours_by_role"]["label"]) == ["Teaching assistant", "Specialist teacher",
                                                 "Speech and language therapist", "Not recorded"]
    # the two areas of Lego therapy: its £630 once in the spend of either area
    semh = v.totals(data, v.Filters(areas=("semh",)))
    assert semh["spend"] == 630.0 and semh["interventions"] == 1
    both = v.totals(data, v.Filters(areas=("semh", "communication_interaction")))
    assert round(both["spend"], 2) == 630 + 870
    year5 = v.totals(data, v.Filters(years=("5",)))
    assert (year5["spend"], year5["not_costed"], year5["register"], year5["pupils_now"]) == (6090.0, 1, 8, 8)


def test_nothing_costed_is_not_tracked_not_zero(data):
    t = v.totals(data, v.Filters(roles=(v.NO_ROLE,), areas=("cognition_learning",)))
    assert t["spend"] is None and t["not_costed"] == 2
    assert v.money(None) == "Not tracked" and v.money(float("nan")) == "Not tracked"


def test_the_table_reads_as_words(data):
    table = v.table(data).set_index("provision_id")
    assert "Setting" not in table.columns  # one setting
    assert list(table.columns) == [h for k, h in v.TABLE_COLUMNS.items() if k != "setting"]
    assert table.loc["P2", "Intervention"] == "Lego therapy"
    assert table.loc["P2", "Areas of need"] == "Communication and interaction; Social, emotional and mental health"
    assert (table.loc["P2", "Kind"], table.loc["P2", "Delivered by"]) == ("Small group", "Teaching assistant")
    assert (table.loc["P2", "Pupils now"], table.loc["P2", "Hours a week"]) == (3, "0.75")
    assert (table.loc["P2", "Cost a year"], table.loc["P2", "Cost per pupil"]) == ("£630.00", "£210.00")
    assert table.loc["P4", "Cost a year"] == "£3,800.00"
    assert table.loc["P2", "Attendance"] == "71%"  # 17 of 24 sessions
    assert table.loc["P8", "Hours a week"] == "1.33" and table.loc["P8", "Cost a year"] == "£1,013.33"
    assert table.loc["P8", "Entry → exit (means)"] == "90 → 95.2"
    assert table.loc["P8", "Median gain (expected)"] == "4 (expected 6)"
    assert table.loc["P8", "Meets expected?"] == "No" and table.loc["P8", "Flag"].startswith("Toe by Toe: the median gain")
    assert table.loc["P2", "Meets expected?"] == "Too few scored"
    assert table.loc["P4", "Meets expected?"] == "No expected gain recorded"
    for pid in ("P7", "P9"):
        assert table.loc[pid, "Cost a year"] == "Not tracked" and table.loc[pid, "Cost per pupil"] == "Not tracked"
    assert table.loc["P9", "Hours a week"] == "Not tracked"
    assert not any("£0.00" in str(x) for x in table.to_numpy().ravel())
    shown = " ".join(str(x) for x in table.drop(columns=[]).to_numpy().ravel()) + " ".join(table.columns)
    assert not RAW_CODES.search(shown), RAW_CODES.search(shown)


def test_meets_expected_on_both_sides_of_the_gain_and_the_pupils():
    row = {"expected_gain": 6.0, "pupils_scored": 5, "median_gain": 6.0, "min_pupils": 5}
    assert v.meets_expected(row) == "Yes"
    assert v.meets_expected(row | {"median_gain": 5.9}) == "No"
    assert v.meets_expected(row | {"pupils_scored": 4}) == "Too few scored"
    assert v.meets_expected(row | {"min_pupils": 4, "pupils_scored": 4}) == "Yes"
    assert v.meets_expected(row | {"expected_gain": None}) == "No expected gain recorded"


def test_pupils_on_an_intervention_link_to_their_page(data):
    lego = v.pupils_on(data, fx.SETTING, "P2")
    assert list(lego["pupil"]) == ["Bell, Ben", "Cole, Cara", "Dutt, Dev"]
    assert list(lego["share"]) == ["£222.39", "£222.39", "£185.22"]
    assert lego["key"].iloc[0] == f"{fx.SETTING}|B1"
    toe = v.pupils_on(data, fx.SETTING, "P8")  # this school year's places only: Olu and Pip ended last year
    assert len(toe) == 7 and "Odd, Olu" not in set(toe["pupil"]) and not toe["current"].any()


def test_impact(data):
    pts = v.impact_points(data)
    assert list(pts["provision_id"]) == ["P8"]  # the only one with pupils scored, a gain expected and a cost
    p8 = pts.iloc[0]
    assert (p8["median_gain"], p8["expected_gain"], p8["pupils"], p8["meets"]) == (4.0, 6.0, 7, "No")
    assert round(p8["ratio"], 4) == round(4 / 6, 4) and round(p8["cost_per_pupil"], 2) == 144.76
    assert v.not_placed(data) == {"no cost recorded": 2, "no gain expected": 3, "no pupil scored yet": 3}
    low = v.low_impact(data)
    assert list(low["Intervention"]) == ["Toe by Toe"] and low["Cost a year"].iloc[0] == "£1,013.33"

    need = v.cost_by(data, "need").set_index("label")
    assert round(need.loc["Autistic spectrum disorder", "cost"], 2) == 6312.39  # Eli 6,090 + Cara 222.39
    assert round(need.loc["Autistic spectrum disorder", "per_pupil"], 2) == 3156.19
    assert need.loc["Specific learning difficulty", "costed"] == 7  # Olu and Pip: only the uncosted class reading
    year = v.cost_by(data, "year")
    assert list(year["label"]) == ["Year 2", "Year 3", "Year 4", "Year 5", "Year 6"]
    y = year.set_index("label")
    assert round(y.loc["Year 3", "cost"], 2) == 1472.39 and y.loc["Year 6", "costed"] == 0

    figs = v.figures(data)
    assert all(figs[k] is not None for k in ("impact", "need", "year", "roles"))
    for spec in figs.values():
        chart_checks.check(spec)
    bubble = figs["impact"]["data"][0]
    assert bubble["type"] == "scatter" and bubble["name"] == "Below the expected gain"
    assert v.figures(data, x="cost_year")["impact"]["layout"]["xaxis"]["title"]["text"] == "Cost a year (£)"


def test_the_costed_provision_map_in_excel_to_the_penny(data):
    wb = load_workbook(io.BytesIO(v.workbook(data)))
    assert wb.sheetnames == ["Provision map", "Pupils' places", "Pupils' costs", "Staff hours"]

    def rows(name):
        ws = wb[name]
        head = [c.value for c in ws[1]]
        return head, [dict(zip(head, r, strict=True)) for r in ws.iter_rows(min_row=2)]

    head, imap = rows("Provision map")
    by = {r["Intervention"].value: r for r in imap}
    money = lambda r, col: (r[col].value, r[col].number_format)  # noqa: E731
    assert money(by["Lego therapy"], "Cost a year (£)") == (630.00, '"£"#,##0.00;("£"#,##0.00)')
    assert by["Lego therapy"]["Cost per pupil (£)"].value == 210.00
    assert by["Lego therapy"]["Weekly cost (£)"].value == 16.58  # £630 over 38 weeks
    assert by["Lego therapy"]["Hours a week"].value == 0.75 and by["Lego therapy"]["Pupils now"].value == 3
    assert by["Toe by Toe"]["Cost a year (£)"].value == 1013.33 and by["Toe by Toe"]["Hours a week"].value == 1.33
    assert by["Speech and language therapy"]["Weekly cost (£)"].value == 72.50  # £870 over its 12 weeks
    assert by["1:1 support"]["Cost a year (£)"].value == 3800.00
    for name in ("Reading group", "Quality-first reading"):
        assert by[name]["Cost a year (£)"].value == "Not tracked"  # never £0
    total = imap[-1]
    assert total["Intervention"].value.startswith("Total: spend this school year where costed (7 of 9")
    assert money(total, "Cost a year (£)") == (9008.33, '"£"#,##0.00;("£"#,##0.00)')

    _, places = rows("Pupils' places")
    share = {(r["Pupil"].value, r["Intervention"].value): r["Share of cost this school year (£)"] for r in places}
    assert share[("Bell, Ben", "Lego therapy")].value == 222.39
    assert share[("Cole, Cara", "Lego therapy")].value == 222.39
    assert share[("Dutt, Dev", "Lego therapy")].value == 185.22
    assert share[("Dutt, Dev", "Lego therapy")].number_format.startswith('"£"')
    assert share[("Hill, Hal", "Toe by Toe")].value == 119.37
    assert share[("Mills, Mo", "Toe by Toe")].value == 206.91 and share[("Nash, Ned", "Toe by Toe")].value == 209.56
    assert share[("Fox, Fay", "Reading group")].value == "Not tracked"

    _, costs = rows("Pupils' costs")
    cost = {r["Pupil"].value: r["Cost this school year (£)"].value for r in costs}
    assert cost["Evans, Eli"] == 6090.00 and cost["Archer, Amy"] == 1250.00 and cost["Fox, Fay"] == 25.00
    assert cost["Odd, Olu"] == "Not tracked"

    _, staff = rows("Staff hours")
    assert {r["Delivered by"].value: r["Hours a week"].value for r in staff} == {
        "Teaching assistant": 6.25, "Specialist teacher": 1.0, "Speech and language therapist": 0.5, "Not recorded": 1.0}


def test_the_workbook_follows_the_filters(data):
    wb = load_workbook(io.BytesIO(v.workbook(data, v.Filters(areas=("semh",)))))
    names = [r[0].value for r in wb["Provision map"].iter_rows(min_row=2)]
    assert names[:-1] == ["Lego therapy"] and wb["Provision map"].cell(row=3, column=13).value == 630.00
    assert {r[0].value for r in wb["Pupils' places"].iter_rows(min_row=2)} == {"Bell, Ben", "Cole, Cara", "Dutt, Dev"}


def test_governors_may_not_load_it(tmp_path):
    con = fx.build(tmp_path / "p.duckdb")
    with pytest.raises(access.AccessDenied):
        v.load(con, fx.AS_OF, viewer=access.Viewer(access.GOVERNOR, "gov@example.org"))
    other = v.load(con, fx.AS_OF, viewer=access.Viewer(access.SENCO, "senco@example.org", frozenset({"Another School"})))
    assert other.empty and other.pupils.empty
    con.close()


def test_a_database_without_provision_is_empty_not_zero(tmp_path):
    from senlib import store

    con = store.connect(tmp_path / "none.duckdb")
    data = v.load(con, fx.AS_OF, viewer=TRUSTED)
    assert data.empty
    con.close()


def test_the_flags_to_act_on_list_every_provision_rule_raised_with_the_pupil(data):
    flags = v.flag_list(data)
    pupils = flags[flags["key"].notna()]
    assert sorted(zip(pupils["rule_id"], pupils["pupil"], strict=True)) == [
        ("provision_attendance_low", "Bell, Ben"), ("provision_no_exit", "Mills, Mo"), ("provision_no_exit", "Peel, Pip"),
        ("provision_over_notional", "Evans, Eli"), ("register_without_provision", "Green, Gus")]
    low = flags[flags["key"].isna()]
    assert low["intervention"].tolist() == ["Toe by Toe"] and low["rule"].tolist() == ["Intervention with low impact"]
    assert (pupils.loc[pupils["pupil"] == "Bell, Ben", "intervention"] == "Lego therapy").all()
    # narrowed by the filters: a year group keeps its pupils' flags only; a role keeps its interventions' places
    y3 = v.flag_list(data, v.Filters(years=("3",)))
    assert y3["pupil"].tolist() == ["Bell, Ben"]
    salt = v.flag_list(data, v.Filters(roles=("salt",)))
    assert set(salt["rule_id"]) <= {"provision_over_notional", "register_without_provision"}


def test_staff_hours_and_interventions_now_count_only_those_with_pupils_now(data):
    t = v.totals(data)
    # Toe by Toe runs on (no end date) but its pupils have all finished: it takes no staff time now
    assert t["interventions_now"] == 8
    assert round(t["hours_week"], 2) == 8.75  # 0.5 + 0.75 + 0.5 + 5 + 1 + 1 (the reading group, no role recorded)
