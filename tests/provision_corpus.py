"""Provision trackers as schools keep them (issue 16), for the 20 pupils of the sparse register (sparse_corpus:
Hollybank Primary), so that they import on top of it:

- `row_per_place()`: the costed provision map many schools keep, one row per pupil per intervention, the pupil's name
  and date of birth repeated, the intervention's staff, sessions a week, minutes and group size repeated on each of
  its rows, with title rows above the header;
- `grid()`: a provision map grid, pupils down and interventions across with ticks or numbers in the cells, and a
  second sheet describing each intervention (who, how often, how long, cost, measure, expected gain).

`INTERVENTIONS`, `PLACES` and `GRID` are the data both are written from, so tests can say what the store must hold.
"""

from __future__ import annotations

import re
from datetime import date

from tests.import_corpus import xlsx
from tests.sparse_corpus import AS_OF, SETTING, register_rows

__all__ = ["AS_OF", "SETTING", "INTERVENTIONS", "PLACES", "GRID", "GRID_INTERVENTIONS", "pupils", "pupil_id",
           "row_per_place", "row_per_place_rows", "grid", "grid_rows", "ROW_HEADER", "ROW_SHEET"]

ROW_SHEET = "Intervention tracker"
ROW_HEADER = ["Pupil", "DOB", "Year", "Intervention", "Staff", "Sessions per week", "Mins", "Group size", "Start", "End",
              "Entry", "Exit", "Attended", "Planned"]

# name -> (staff as the tracker writes it, its code, sessions a week as written, the number, minutes as written,
#          the number, group size as written, the number)
INTERVENTIONS: dict[str, tuple[str, str, str, float, str, float, str, float]] = {
    "Precision Teaching": ("TA", "teaching_assistant", "5", 5, "10", 10, "1:1", 1),
    "Talk Boost": ("Mrs Patel (TA)", "teaching_assistant", "3x", 3, "30 mins", 30, "4", 4),
    "ELSA": ("HLTA", "teaching_assistant", "1", 1, "45", 45, "1", 1),
    "Lego Therapy": ("TA", "teaching_assistant", "once a week", 1, "40", 40, "3", 3),
    "Fine motor group": ("LSA", "teaching_assistant", "2", 2, "20", 20, "5", 5),
    "Speech and language therapy": ("SaLT", "salt", "1", 1, "30", 30, "1", 1),
    "Maths catch-up": ("Class teacher", "teacher", "2 x weekly", 2, "1 hour", 60, "4", 4),
    "Nurture group": ("HLTA", "teaching_assistant", "daily", 5, "1 hr", 60, "6", 6),
}

# (register row index 0-19, intervention, start, end, entry, exit, attended, planned)
PLACES: list[tuple[int, str, date, date | None, float | None, float | None, float | None, float | None]] = [
    (0, "Fine motor group", date(2026, 9, 14), None, 3, None, 22, 24),
    (1, "Talk Boost", date(2026, 9, 14), None, 78, None, 30, 33),
    (1, "Speech and language therapy", date(2026, 9, 21), None, None, None, 9, 10),
    (2, "Precision Teaching", date(2026, 9, 7), date(2026, 11, 20), 84, 93, 48, 55),
    (3, "Speech and language therapy", date(2026, 9, 21), None, None, None, 10, 10),
    (3, "Talk Boost", date(2026, 9, 14), None, 72, None, 25, 33),
    (4, "ELSA", date(2026, 9, 14), None, 4, None, 11, 11),
    (4, "Nurture group", date(2026, 9, 7), None, None, None, 50, 60),
    (5, "Maths catch-up", date(2026, 9, 14), date(2026, 11, 27), 88, 90, 18, 22),
    (6, "Fine motor group", date(2026, 9, 14), None, 2, None, 20, 24),
    (7, "Talk Boost", date(2026, 9, 14), None, 80, None, 31, 33),
    (8, "Precision Teaching", date(2026, 9, 7), date(2026, 11, 20), 90, 96, 52, 55),
    (9, "Nurture group", date(2026, 9, 7), None, None, None, 41, 60),
    (9, "ELSA", date(2026, 9, 14), None, 3, None, 10, 11),
    (10, "Talk Boost", date(2026, 9, 14), None, 70, None, 33, 33),
    (11, "Lego Therapy", date(2026, 9, 14), None, 3, None, 11, 11),
    (12, "Maths catch-up", date(2026, 9, 14), date(2026, 11, 27), 85, 86, 20, 22),
    (13, "Precision Teaching", date(2026, 9, 7), date(2026, 11, 20), 82, 85, 40, 55),
    (14, "Maths catch-up", date(2026, 9, 14), date(2026, 11, 27), 79, 84, 21, 22),
    (15, "Lego Therapy", date(2026, 9, 14), None, 4, None, 9, 11),
    (16, "Precision Teaching", date(2026, 9, 7), date(2026, 11, 20), 86, 94, 55, 55),
    (17, "Nurture group", date(2026, 9, 7), None, None, None, 58, 60),
    (18, "Fine motor group", date(2026, 9, 14), None, 1, None, 23, 24),
    (19, "Lego Therapy", date(2026, 9, 14), None, 2, None, 10, 11),
]


def pupils() -> list[list]:
    """The sparse register's pupil rows: name, DOB (dd/mm/yyyy), year, SEN, need, last review, next review."""
    return register_rows()[4:24]


def pupil_id(row: list) -> str:
    """The id the importer gives a pupil known by name and date of birth (as for the register)."""
    first, last = row[0].rsplit(" ", 1)
    d, m, y = row[1].split("/")
    return re.sub(r"[^A-Za-z0-9-]+", "", f"{last}-{first}-{y}{m}{d}").upper()


def row_per_place_rows(bad: dict[tuple[int, str], str] | None = None, extra: list[list] | None = None) -> list[list]:
    """The tracker's rows: title, date line, blank, header, one row per place; `bad` {(place index, heading): text}
    overwrites cells, `extra` adds rows at the end."""
    regs = pupils()
    rows: list[list] = [[f"{SETTING}: costed provision map 2026-27"], ["Autumn term: interventions and impact"], [],
                        list(ROW_HEADER)]
    for i, (p, name, start, end, entry, exit_, attended, planned) in enumerate(PLACES):
        staff, _, freq, _, mins, _, size, _ = INTERVENTIONS[name]
        reg = regs[p]
        row = [reg[0], reg[1], reg[2], name, staff, freq, mins, size, start, end, entry, exit_, attended, planned]
        for (j, heading), text in (bad or {}).items():
            if j == i:
                row[ROW_HEADER.index(heading)] = text
        rows.append(row)
    rows += extra or []
    rows += [[], ["Key: Entry and Exit are on the intervention's own measure (standardised score, 0-10 scale)."]]
    return rows


def row_per_place(bad: dict[tuple[int, str], str] | None = None, extra: list[list] | None = None) -> bytes:
    """The one-row-per-pupil-per-intervention tracker as an .xlsx file."""
    return xlsx({ROW_SHEET: row_per_place_rows(bad, extra)})


# The grid's interventions: name -> (delivered by, its code, frequency, the number, duration, minutes, cost, the
# number, measure, its code, expected gain)
GRID_INTERVENTIONS: dict[str, tuple] = {
    "Phonics catch-up": ("TA", "teaching_assistant", "3 x weekly", 3, "20 mins", 20, "£570", 570, "Reading age", "reading_age_months", 6),
    "Sensory circuits": ("LSA", "teaching_assistant", "daily", 5, "15 mins", 15, "£1,140", 1140, "0-10", "scaling", 2),
    "Social skills group": ("HLTA", "teaching_assistant", "weekly", 1, "45 mins", 45, "£420", 420, "Boxall", "boxall", 10),
    "Speech therapy": ("Speech and language therapist", "salt", "fortnightly", 0.5, "30 mins", 30, "£1,800", 1800, "%", "percentage", 15),
    "Numicon": ("Teacher", "teacher", "2 x weekly", 2, "30 mins", 30, "£650", 650, "SS", "standardised", 5),
}
GRID_SHEET, GRID_DESCRIBED = "Provision map", "Interventions"
# register row index -> {intervention: cell as written}
GRID: dict[int, dict[str, object]] = {
    0: {"Sensory circuits": "\u2713"},
    1: {"Speech therapy": "\u2713", "Phonics catch-up": "x"},
    2: {"Phonics catch-up": "Y"},
    3: {"Speech therapy": "yes", "Social skills group": "\u2713"},
    4: {"Social skills group": 1},
    5: {"Numicon": 2},
    7: {"Phonics catch-up": "\u2713"},
    8: {"Phonics catch-up": "\u2713", "Numicon": "\u2713"},
    9: {"Social skills group": "\u2713"},
    10: {"Speech therapy": "\u2713"},
    11: {"Social skills group": "x"},
    12: {"Numicon": 3},
    13: {"Phonics catch-up": "Yes"},
    15: {"Sensory circuits": "\u2713", "Social skills group": "\u2713"},
    17: {"Sensory circuits": "\u2713"},
    18: {"Sensory circuits": "1"},
    19: {"Sensory circuits": "\u2713"},
}


def grid_rows(bad: dict[tuple[int, str], object] | None = None, names: dict[int, str] | None = None) -> dict[str, list[list]]:
    """The two sheets: the grid (title row, header, a row per register pupil, some with no intervention) and the
    interventions described. `bad` {(register row, intervention): cell} overwrites cells; `names` the pupils' names."""
    regs = pupils()
    heads = list(GRID_INTERVENTIONS)
    cls = {"Reception": "Robins", "Year 1": "Wrens", "Year 2": "Finches", "Year 3": "Owls", "Year 4": "Kestrels",
           "Year 5": "Falcons", "Year 6": "Eagles"}
    rows: list[list] = [["Hollybank Primary provision map, autumn 2026"], ["Name", "DOB", "Class", *heads]]
    for i, reg in enumerate(regs):
        cells = {**GRID.get(i, {}), **{h: v for (j, h), v in (bad or {}).items() if j == i}}
        rows.append([(names or {}).get(i, reg[0]), reg[1], cls[reg[2]],
                     *[cells.get(h) for h in heads]])
    described = [["Intervention", "Delivered by", "Frequency", "Duration", "Cost", "Measure", "Expected gain"]]
    for name, (staff, _, freq, _, dur, _, cost, _, measure, _, gain) in GRID_INTERVENTIONS.items():
        described.append([name, staff, freq, dur, cost, measure, gain])
    return {GRID_SHEET: rows, GRID_DESCRIBED: described}


def grid(bad: dict[tuple[int, str], object] | None = None, names: dict[int, str] | None = None) -> bytes:
    """The grid workbook as an .xlsx file."""
    return xlsx(grid_rows(bad, names))
