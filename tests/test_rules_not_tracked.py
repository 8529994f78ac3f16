"""Not tracked is not not done (issue 14, item 1; DESIGN §4): a rule whose field no tracker of the setting has does
not fire; a blank cell in a column that exists still does."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from senlib import store
from senlib.access import TRUSTED
from senlib.importer import import_files, undo
from senlib.rules import pupil_status, review_quality
from senlib.rules.policy import default_policy
from senlib.rules.tracking import not_tracked, tracked_fields
from tests.import_corpus import SHAPES_AS_OF, csv_bytes, term_register, xlsx

AS_OF = SHAPES_AS_OF  # 1 Dec 2026


@pytest.fixture
def con(tmp_path):
    c = store.connect(tmp_path / "t.duckdb")
    yield c
    c.close()


def flags(con, as_of: date = AS_OF) -> dict[str, list[str]]:
    df = pupil_status(con, as_of, viewer=TRUSTED)
    return {r["first_name"]: list(r["flags"]) for r in df.to_dict("records")}


def reviews_workbook(report_sent: str = "") -> bytes:
    """Template-shaped: an EHC pupil and a Reviews sheet with report-sent and council-decision columns, the
    review report's cell `report_sent` (blank: not sent)."""
    return xlsx({
        "Pupils": [["Pupil ID", "First name", "Last name", "Date of birth", "SEN status", "Primary need"],
                   ["R1", "Rory", "Tate", "04/03/2015", "E", "ASD"]],
        "Plans": [["Pupil ID", "Plan type", "Start date"], ["R1", "ehcp", "01/09/2024"]],
        "Reviews": [["Pupil ID", "Plan type", "Review date", "Held", "Next review date", "Report sent to council",
                     "Council decision date", "Invitations sent", "Parent attended"],
                    ["R1", "ehcp", "02/06/2026", "Yes", "01/06/2027", report_sent, "20/06/2026", "", ""]],
    })


def test_the_import_records_the_fields_its_columns_feed(con):
    r = import_files(con, [("register.xlsx", term_register())], setting="Brook", today=AS_OF)
    rows = con.execute("SELECT import_id, setting, entity, field FROM import_fields ORDER BY ALL").fetchall()
    assert {(e, f) for _, _, e, f in rows} >= {("reviews", "review_date"), ("reviews", "progress"),
                                                ("reviews", "next_review_date"), ("pupils", "sen_status")}
    assert {i for i, _, _, _ in rows} == set(r.import_ids) and {s for _, s, _, _ in rows} == {"Brook"}
    tracked = tracked_fields(con)["Brook"]
    assert "reviews.report_sent" not in tracked and "reviews.invitations_sent" not in tracked


def test_a_dry_run_records_nothing(con):
    import_files(con, [("register.xlsx", term_register())], setting="Brook", today=AS_OF, dry_run=True)
    assert con.execute("SELECT count(*) FROM import_fields").fetchall()[0][0] == 0


def test_a_sparse_register_raises_only_the_flags_of_columns_it_has(con):
    import_files(con, [("register.xlsx", term_register())], setting="Brook", today=AS_OF)
    got = flags(con)
    # before: Amy report_after + la_decision; Cara invite_good_practice + report_after + la_decision + next_date_set;
    # Eve next_date_set. The register has no invitations, report-sent or council-decision column.
    assert got == {"Amy": [], "Ben": [], "Cara": ["next_date_set"], "Dev": [], "Eve": ["next_date_set"]}
    q = review_quality(con, AS_OF, viewer=TRUSTED).set_index("first_name")
    assert q.loc["Amy", "report_sent_in_time"] is pd.NA and q.loc["Amy", "la_decision_in_time"] is pd.NA
    assert bool(q.loc["Amy", "next_date_set"]) is True  # the Next review column exists: a real check


def test_a_blank_cell_in_a_report_sent_column_is_not_done(con):
    import_files(con, [("tracker.xlsx", reviews_workbook(report_sent=""))], setting="Brook", today=AS_OF)
    assert flags(con) == {"Rory": ["report_after"]}
    q = review_quality(con, AS_OF, viewer=TRUSTED).iloc[0]
    assert bool(q["report_sent_in_time"]) is False and bool(q["la_decision_in_time"]) is True
    # blank cells in the invitations and parent-attended columns: not done, not unknown
    assert bool(q["invitations_in_time"]) is False and bool(q["parents_involved"]) is False
    assert bool(q["invitations_statutory"]) is False
    assert q["child_contributed"] is pd.NA and q["reports_in_time"] is pd.NA  # no such column: not tracked


def test_the_report_recorded_as_sent_raises_nothing(con):
    import_files(con, [("tracker.xlsx", reviews_workbook(report_sent="10/06/2026"))], setting="Brook", today=AS_OF)
    assert flags(con) == {"Rory": []}


def test_undo_takes_an_imports_fields_out_of_force(con):
    first = import_files(con, [("register.xlsx", term_register())], setting="Brook", today=AS_OF).import_ids[0]
    second = import_files(con, [("tracker.xlsx", reviews_workbook())], setting="Brook", today=AS_OF).import_ids[0]
    # the setting now has a report-sent column: Amy's review with no report recorded is not done
    assert "report_after" in flags(con)["Amy"]
    assert "reviews.report_sent" in tracked_fields(con)["Brook"]
    assert "report_after" not in set(not_tracked(con)["rule_id"])
    undo(con, second, viewer=TRUSTED)
    assert "reviews.report_sent" not in tracked_fields(con)["Brook"]
    assert "report_after" not in flags(con)["Amy"]
    missing = not_tracked(con)
    assert "report_after" in set(missing["rule_id"]) and set(missing["setting"]) == {"Brook"}
    undo(con, first, viewer=TRUSTED)
    assert tracked_fields(con) == {}  # no pupils left


def test_not_tracked_names_the_checks_once_per_setting_and_the_column_to_add(con):
    import_files(con, [("register.xlsx", term_register())], setting="Brook", today=AS_OF)
    nt = not_tracked(con)
    assert not nt.duplicated(["setting", "rule_id", "check"]).any()
    row = nt.set_index("rule_id").loc["report_after"]
    assert row["fields"] == ["reviews.report_sent"] and "Report sent to council" in row["columns"]
    assert "Reviews sheet" in row["columns"]
    checks = set(nt.loc[nt["rule_id"] == "review_quality", "check"])
    assert {"invitations_in_time", "parents_involved", "child_contributed"} <= checks
    assert "next_date_set" not in checks and "next_date_set" not in set(nt["rule_id"])


def test_a_setting_without_import_records_tracks_every_field(demo_con):
    assert all(v is None for v in tracked_fields(demo_con).values())
    assert not_tracked(demo_con).empty


def test_every_cadence_milestone_and_quality_rule_says_what_it_needs():
    for rule in default_policy().rules.values():
        if rule.group in ("cadence", "milestone", "meeting", "quality"):
            assert rule.needs, rule.id
    assert set(default_policy().rules["review_quality"].check_needs) >= {"held_on_time", "invitations_in_time",
                                                                         "report_sent_in_time"}


def test_without_a_review_date_column_a_plans_start_alone_never_makes_a_review_late(con):
    data = csv_bytes([["Name", "DOB", "SEN status", "Plan start date", "Next review"],
                      ["Ann Bell", "04/03/2015", "E", "01/09/2024", ""],
                      ["Cal Dunn", "04/03/2015", "K", "01/09/2025", "10/01/2027"]])
    import_files(con, [("t.csv", data)], setting="Brook", today=AS_OF)
    df = pupil_status(con, AS_OF, viewer=TRUSTED).set_index("first_name")
    # before: Ann's EHCP issued 1 Sep 2024 was 'overdue' (a year and a quarter), though no tracker column could say
    assert df.loc["Ann", "status"] == "no_review_date" and "no column for the date a review was held" in df.loc["Ann", "status_reason"]
    assert df.loc["Cal", "status"] == "due_soon" and df.loc["Cal", "due_date"].date() == date(2027, 1, 10)
    assert "add a Last review date column" in df.loc["Cal", "status_reason"]
    assert "cadence" not in set(not_tracked(con)["rule_id"]) and "ehcp_annual" in set(not_tracked(con)["rule_id"])


def test_compliance_rates_say_what_they_are_computed_over(con):
    from senlib.views import compliance

    import_files(con, [("register.xlsx", term_register())], setting="Brook", today=AS_OF)
    c = compliance.evaluate(con, AS_OF, viewer=TRUSTED)
    q = compliance.quality_table(c).set_index("code")
    assert q.loc["parents_involved", "known"] == 0
    assert "not tracked in Brook" in q.loc["parents_involved", "over"]
    assert "not tracked" not in q.loc["next_date_set", "over"] and q.loc["next_date_set", "known"] == 5
    v = compliance.view(c)
    assert "reviews.report_sent" in set(v["not_tracked"]["field"]) and v["clock_not_tracked"] == []


def _page(db, monkeypatch, page: str):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    import ui.state

    monkeypatch.setenv("SENLIB_DB", str(db))
    ui.state.connection.clear()
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=180)
    at.run()
    at.switch_page(page)
    at.session_state["as_of"] = AS_OF
    at.run()
    assert not at.exception, at.exception
    return at


def test_rules_and_compliance_pages_show_what_is_not_tracked_once_per_setting(tmp_path, monkeypatch):
    db = tmp_path / "sparse.duckdb"
    c = store.connect(db)
    import_files(c, [("register.xlsx", term_register())], setting="Brook", today=AS_OF)
    c.close()
    for page in ("pages/rules.py", "pages/compliance.py"):
        at = _page(db, monkeypatch, page)
        boxes = [e for e in at.expander if e.label.startswith("Brook:")]
        assert len(boxes) == 1, page
        shown = boxes[0].dataframe[0].value
        assert any("Report sent to council" in col for col in shown["column"]), page
        assert any("Not tracked" in cap.value for cap in at.caption), page


def test_replacing_the_caseload_with_the_demo_forgets_what_imports_carried(con):
    import_files(con, [("register.xlsx", term_register())], setting="Brook", today=AS_OF)
    store.clear_caseload(con)
    assert con.execute("SELECT count(*) FROM import_fields").fetchall()[0][0] == 0


def test_the_upload_preview_says_which_checks_a_file_cannot_support(con):
    """Before the import: the sparse register has no invitations, reports or council columns, so the preview names
    those checks as not tracked and where the columns would go; the template's sheets allow every check."""
    from senlib.importer import checks_line, prepare
    from senlib.importer.template import write_template
    from tests.sparse_corpus import register

    line = checks_line(prepare(con, [("register.xlsx", register(20))]))
    assert line.startswith("Not tracked by these files (")
    assert "Invitations sent (statutory, EHC plan)" in line and "Review report sent to the council" in line
    assert "on the register or a Reviews sheet: invitations sent" in line and "never 'not done'" in line
    template = prepare(con, [("template.xlsx", write_template())])
    assert checks_line(template) == "These files have a column for everything the rules check."
