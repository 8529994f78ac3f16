"""A small school's provision, whose costs are worked out by hand below (tests/test_provision_costs.py checks senlib's
figures, and the costed provision map's Excel download, against them to the penny).

Hollybank Primary, as of Tuesday 1 December 2026: the school year runs 1 Sep 2026 to 31 Aug 2027 (365 days). The
setting's own hourly cost of a teaching assistant is £20.00; a specialist teacher is priced at the product's default
(£55.00). Cost of an intervention a school year = sessions a week × minutes ÷ 60 × weeks (38 unless it says) ×
hourly cost + fixed costs; a pupil's share = that cost × the pupil's days on it this school year ÷ all its pupils'
days (an open place runs to 31 Aug 2027).

    P1 Precision teaching   TA 3 × 10 min          0.5 h × 38 × £20                 = £380.00   Amy (365 days): £380.00
    P2 Lego therapy         TA 1 × 45 min, +£60    0.75 h × 38 × £20 + £60          = £630.00   Ben 365, Cara 365,
                            (two areas)                                                         Dev 304 (from 1 Nov):
                                                   Ben, Cara 630 × 365/1034 = £222.39; Dev 630 × 304/1034 = £185.22
    P3 Speech and language  £70 an hour (own),     0.5 h × 12 × £70 + £450          = £870.00   Amy: £870.00
       therapy              1 × 30 min, 12 weeks, +£450
    P4 1:1 support          TA 5 × 60 min          5 h × 38 × £20                   = £3,800.00 Eli: £3,800.00
    P5 Specialist teaching  specialist 1 × 60, +£200  1 h × 38 × £55 + £200         = £2,290.00 Eli: £2,290.00
    P6 Writing slope        equipment, £25                                          = £25.00    Fay: £25.00
    P7 Reading group        2 × 30 min, no role or hourly cost: 1 h a week, cost not tracked   Fay: not tracked
    P8 Toe by Toe           TA 4 × 20 min          4/3 h × 38 × £20                 = £1,013.33
                            this school year: Hal, Ivy, Jo, Kit, Lee 45 days each (1 Sep-15 Oct), Mo 78 (to 17 Nov),
                            Ned 79 (to 18 Nov): 382 days; Hal..Lee 1013.33 × 45/382 = £119.37 each,
                            Mo × 78/382 = £206.91, Ned × 79/382 = £209.56
    P9 Quality-first reading  in class, nothing recorded to cost: not tracked   Hal..Pip (current)

    Amy £1,250.00; Eli £6,090.00 (over £6,000: provision_over_notional); Fay £25.00 with a share not tracked.
    Spend this school year, where costed: 380 + 630 + 870 + 3,800 + 2,290 + 25 + 1,013.33 = £9,008.33.
    Staff hours a week now (of the interventions with pupils on them now: Toe by Toe's have all finished):
    teaching assistant 0.5 + 0.75 + 5 = 6.25; speech and language therapist 0.5; specialist teacher 1; role not
    recorded 1 (P7): 8.75 in all.

Flags: Eli provision_over_notional; Gus (K, nothing) register_without_provision; P8 provision_low_impact (gains of
Hal..Lee 2, 3, 4, 8, 9: median 4 < 6 expected, 5 pupils); Mo provision_no_exit (ended 17 Nov, 14 days before
1 Dec; Ned ended 18 Nov: inside the 14 days, not flagged); Pip provision_no_exit (ended 2 Dec 2025, inside 12 months;
Olu ended 30 Nov 2025: over 12 months ago, not flagged); Ben provision_attendance_low (8 of 12 = 67%; Cara 9 of
12 = 75% exactly: not flagged).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from senlib import access, store
from senlib.store.role_costs import set_role_cost

AS_OF = date(2026, 12, 1)
SETTING = "Hollybank Primary"
COUNCIL = "Northmoor Council"

PUPILS = [  # pupil_id, first, last, year, status, need
    ("A1", "Amy", "Archer", "3", "K", "SLCN"), ("B1", "Ben", "Bell", "3", "K", "SLCN"),
    ("C1", "Cara", "Cole", "4", "K", "ASD"), ("D1", "Dev", "Dutt", "4", "K", "SEMH"),
    ("E1", "Eli", "Evans", "5", "E", "ASD"), ("F1", "Fay", "Fox", "2", "K", "PD"),
    ("G1", "Gus", "Green", "6", "K", "MLD"), ("H1", "Hal", "Hill", "5", "K", "SPLD"),
    ("I1", "Ivy", "Ings", "5", "K", "SPLD"), ("J1", "Jo", "Jones", "5", "K", "SPLD"),
    ("K1", "Kit", "King", "5", "K", "SPLD"), ("L1", "Lee", "Lamb", "5", "K", "SPLD"),
    ("M1", "Mo", "Mills", "5", "K", "SPLD"), ("N1", "Ned", "Nash", "5", "K", "SPLD"),
    ("O1", "Olu", "Odd", "6", "K", "SPLD"), ("P1", "Pip", "Peel", "6", "K", "SPLD"),
]

# provision_id, name, areas, kind, delivered_by, group_size, sessions, minutes, weeks, hourly, fixed, measure, expected
PROVISIONS = [
    ("P1", "Precision teaching", "cognition_learning", "one_to_one", "teaching_assistant", 1, 3, 10, None, None, None,
     "standardised", 5),
    ("P2", "Lego therapy", "communication_interaction; semh", "small_group", "teaching_assistant", 4, 1, 45, 38, None,
     60, "scaling", 2),
    ("P3", "Speech and language therapy", "communication_interaction", "external", "salt", 1, 1, 30, 12, 70, 450,
     "scaling", 2),
    ("P4", "1:1 support", "cognition_learning", "one_to_one", "teaching_assistant", 1, 5, 60, 38, None, None, None,
     None),
    ("P5", "Specialist teaching", "cognition_learning", "one_to_one", "specialist_teacher", 1, 1, 60, 38, None, 200,
     None, None),
    ("P6", "Writing slope", "sensory_physical", "equipment", None, None, None, None, None, None, 25, None, None),
    ("P7", "Reading group", "cognition_learning", "small_group", None, 6, 2, 30, None, None, None, None, None),
    ("P8", "Toe by Toe", "cognition_learning", "small_group", "teaching_assistant", 6, 4, 20, 38, None, None,
     "reading_age_months", 6),
    ("P9", "Quality-first reading", "cognition_learning", "in_class", None, None, None, None, None, None, None, None,
     None),
]

# pupil_id, provision_id, start, end, entry, exit, attended, planned
PLACES = [
    ("A1", "P1", "2026-09-01", None, None, None, None, None),
    ("B1", "P2", "2026-01-10", None, 3, None, 8, 12),
    ("C1", "P2", "2026-06-01", None, 4, None, 9, 12),
    ("D1", "P2", "2026-11-01", None, None, None, None, None),
    ("A1", "P3", "2026-09-01", None, None, None, None, None),
    ("E1", "P4", "2025-09-01", None, None, None, None, None),
    ("E1", "P5", "2026-09-01", None, None, None, None, None),
    ("F1", "P6", "2026-09-01", None, None, None, None, None),
    ("F1", "P7", "2026-09-01", None, None, None, None, None),
    *[(pid, "P8", "2026-09-01", "2026-10-15", 90, 90 + gain, None, None)
      for pid, gain in (("H1", 2), ("I1", 3), ("J1", 4), ("K1", 8), ("L1", 9))],
    ("M1", "P8", "2026-09-01", "2026-11-17", 88, None, None, None),
    ("N1", "P8", "2026-09-01", "2026-11-18", 88, None, None, None),
    ("O1", "P8", "2025-09-01", "2025-11-30", 80, None, None, None),
    ("P1", "P8", "2025-09-01", "2025-12-02", 80, None, None, None),
    *[(pid, "P9", "2026-09-01", None, None, None, None, None)
      for pid in ("H1", "I1", "J1", "K1", "L1", "M1", "N1", "O1", "P1")],
]


def _d(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def build(path: Path) -> duckdb.DuckDBPyConnection:
    """The store at `path` with the caseload above (inserted directly: every field counts as tracked)."""
    con = store.connect(path)
    con.execute("INSERT INTO settings VALUES (?, 'primary', ?)", [SETTING, COUNCIL])
    for pid, first, last, year, status, need in PUPILS:
        con.execute("INSERT INTO pupils (setting, pupil_id, first_name, last_name, year_group, sen_status, primary_need, "
                    "date_identified) VALUES (?, ?, ?, ?, ?, ?, ?, DATE '2025-01-01')",
                    [SETTING, pid, first, last, year, status, need])
    for row in PROVISIONS:
        con.execute("INSERT INTO provisions (setting, provision_id, name, areas, kind, delivered_by, group_size, "
                    "sessions_per_week, minutes_per_session, weeks_per_year, hourly_cost, fixed_cost, measure, "
                    "expected_gain, start_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, DATE '2025-09-01')",
                    [SETTING, *row])
    for pid, prov, start, end, entry, exit_, attended, planned in PLACES:
        con.execute("INSERT INTO pupil_provisions (setting, pupil_id, provision_id, start_date, end_date, entry_score, "
                    "exit_score, sessions_attended, sessions_planned) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [SETTING, pid, prov, _d(start), _d(end), entry, exit_, attended, planned])
    set_role_cost(con, SETTING, "teaching_assistant", 20.0, viewer=access.local_viewer())
    return con
