"""Turning sheets of text cells into typed, canonical rows — in DuckDB SQL, not Python loops.

Each sheet to import becomes a SELECT over its Arrow table; the sheets of one entity are unioned
into a temporary stage table holding, for every field, the raw text (`r_<field>`, for messages)
and the normalised value (`<field>`). Dates are day first (UK), Excel serial numbers are dates,
codes go through the synonym tables.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from senlib.core.names import AREAS_SEPARATOR
from senlib.importer import wide
from senlib.importer.headers import IGNORE, SheetPlan
from senlib.importer.reading import Sheet
from senlib.importer.synonyms import BLANKS, NOT_A_PUPIL, YEAR_WORDS, norm_key, sql_norm_key, value_table
from senlib.store.fields import ENTITIES, KEYS, NUMBER_KINDS, WIDE, Field, field, sql_type


def q(text: object) -> str:
    """SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def ident(name: str) -> str:
    """SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


_BLANK_LIST = ", ".join(q(b) for b in BLANKS)
_SPACES = "' \t\n\r' || chr(160)"
# Pupil-sheet columns that make a one-row-per-pupil tracker, whose rows also become plans and reviews.
TRACKER_FIELDS = {"plan_type", "plan_start", "plan_end", "last_review_date", "next_review_date", "review_kind", "progress",
                  "decision", "parent_attended", "child_contributed", "invitations_sent", "reports_received"}


# Sheets whose row records nothing when every cell but its ids is blank (a record workbook's unused Actions rows A4, A5,
# an outcome not scored at the review): such a row is skipped, not an error.
RECORDS_NOTHING_WHEN_BLANK = {"scores", "review_actions", "review_invitees"}


# Which of a pupil's rows (a review log repeats them) is the current one: the latest review, ties the lower row.
PUPIL_ROW_ORDER = "{t}last_review_date DESC NULLS LAST, {t}_file DESC, {t}_sheet DESC, {t}_row DESC"


def clean_sql(col: str) -> str:
    """A cell's text, trimmed (also of non-breaking spaces); null when it means 'nothing recorded'."""
    t = f"trim({col}, {_SPACES})"
    return f"CASE WHEN list_contains([{_BLANK_LIST}], lower({t})) THEN NULL ELSE {t} END"


def _map_literal(pairs: dict[str, str]) -> str:
    return "MAP {" + ", ".join(f"{q(k)}: {q(v)}" for k, v in sorted(pairs.items())) + "}"


def _vocab_maps() -> dict[str, str]:
    maps: dict[str, dict[str, str]] = {}
    for vocab, key, code in value_table():
        maps.setdefault(vocab, {})[key] = code
    return {v: _map_literal(m) for v, m in maps.items()}


VOCAB_SQL = _vocab_maps()
YEAR_SQL = _map_literal({norm_key(k): v for k, v in YEAR_WORDS.items()})
TEXT_MONTH_FORMATS = "['%d %B %Y', '%d %b %Y', '%d %B %y', '%d %b %y', '%B %d %Y', '%b %d %Y', '%A %d %B %Y', '%a %d %b %Y']"


def date_sql(r: str) -> str:
    """Day-first text, ISO text (how fastexcel writes date cells) or an Excel serial number, to DATE."""
    return f"""(CASE
        WHEN {r} IS NULL THEN NULL
        WHEN regexp_matches({r}, '^\\d{{4}}-\\d{{1,2}}-\\d{{1,2}}([ T].*)?$')
            THEN CAST(try_strptime(regexp_extract({r}, '^(\\d{{4}}-\\d{{1,2}}-\\d{{1,2}})', 1), '%Y-%m-%d') AS DATE)
        WHEN regexp_matches({r}, '^\\d{{1,2}}[/.\\- ]\\d{{1,2}}[/.\\- ]\\d{{4}}$')
            THEN CAST(try_strptime(regexp_replace({r}, '[.\\- ]', '/', 'g'), '%d/%m/%Y') AS DATE)
        WHEN regexp_matches({r}, '^\\d{{1,2}}[/.\\- ]\\d{{1,2}}[/.\\- ]\\d{{2}}$')
            THEN CAST(try_strptime(regexp_replace({r}, '[.\\- ]', '/', 'g'), '%d/%m/%y') AS DATE)
        WHEN regexp_matches({r}, '^\\d{{1,6}}(\\.\\d+)?$')
            THEN CASE WHEN TRY_CAST({r} AS DOUBLE) BETWEEN 1 AND 109574
                      THEN DATE '1899-12-30' + CAST(floor(TRY_CAST({r} AS DOUBLE)) AS INTEGER) END
        ELSE CAST(try_strptime(regexp_replace(regexp_replace({r}, '(\\d)(st|nd|rd|th)\\b', '\\1', 'gi'), '[,\\s]+', ' ', 'g'),
                               {TEXT_MONTH_FORMATS}) AS DATE)
    END)"""


def time_sql(r: str) -> str:
    """A meeting's time as 'HH:MM': '14:30', '14.30', '2.30pm', '2:30 p.m.', '2pm', 'noon', an Excel time (fastexcel
    writes a time cell as '1899-12-31 14:30:00', a date and time cell with its date) or a day fraction (0.604166 is
    14:30). Anything else ('after school', '25:00', '13pm', '14') is unreadable."""
    t = (f"replace(replace(rtrim(regexp_replace(lower(trim({r})), '\\s+', '', 'g'), '.'), 'a.m', 'am'), "
         "'p.m', 'pm')")
    clock = "'^(\\d{1,2})(?:[:.](\\d{2}))?(?::\\d{2})?(am|pm|hrs|h)?$'"
    stamp = "'^\\d{4}-\\d{1,2}-\\d{1,2}[ t](\\d{1,2}):(\\d{2})'"
    h = f"TRY_CAST(regexp_extract({t}, {clock}, 1) AS INTEGER)"
    m = f"coalesce(TRY_CAST(nullif(regexp_extract({t}, {clock}, 2), '') AS INTEGER), 0)"
    ampm = f"regexp_extract({t}, {clock}, 3)"
    hour = f"CASE WHEN {ampm} = 'pm' AND {h} < 12 THEN {h} + 12 WHEN {ampm} = 'am' AND {h} = 12 THEN 0 ELSE {h} END"
    mins = f"CAST(round(TRY_CAST({t} AS DOUBLE) * 1440) AS INTEGER)"
    return f"""(CASE WHEN {r} IS NULL THEN NULL
        WHEN regexp_matches(lower({r}), {stamp})
            THEN lpad(regexp_extract(lower({r}), {stamp}, 1), 2, '0') || ':' || regexp_extract(lower({r}), {stamp}, 2)
        WHEN {t} IN ('noon', 'midday', '12noon') THEN '12:00'
        WHEN regexp_matches({t}, {clock}) AND (regexp_extract({t}, {clock}, 2) <> '' OR {ampm} IN ('am', 'pm'))
             AND {m} < 60 AND (CASE WHEN {ampm} IN ('am', 'pm') THEN {h} BETWEEN 1 AND 12 ELSE {h} < 24 END)
            THEN lpad(CAST({hour} AS VARCHAR), 2, '0') || ':' || lpad(CAST({m} AS VARCHAR), 2, '0')
        WHEN regexp_matches({t}, '^0?\\.\\d+$') AND {mins} < 1440
            THEN lpad(CAST({mins} // 60 AS VARCHAR), 2, '0') || ':' || lpad(CAST({mins} % 60 AS VARCHAR), 2, '0')
        END)"""


def year_sql(r: str) -> str:
    """'Yr 6', 'Year 6', 'Y6', '6', '6.0' -> '6'; R, N1, N2 and their words; 0 is Reception."""
    k = sql_norm_key(r)
    n = f"TRY_CAST(regexp_extract({k}, '^(?:year|yr|y|ncy|nc|nc year|grade)? ?(-?\\d{{1,2}})(?: 0)?$', 1) AS INTEGER)"
    return f"""(CASE WHEN {r} IS NULL THEN NULL
        WHEN {YEAR_SQL}[{k}] IS NOT NULL THEN {YEAR_SQL}[{k}]
        WHEN {n} = -2 THEN 'N1' WHEN {n} = -1 THEN 'N2' WHEN {n} = 0 THEN 'R'
        WHEN {n} BETWEEN 1 AND 14 THEN CAST({n} AS VARCHAR) END)"""


_NUM = "(\\d+(?:\\.\\d+)?)"
_WORD_TIMES = ("CASE regexp_extract({k}, '^(once|twice|one|two|three|four|five|six|seven|eight|ten) ?(?:times?)?', 1) "
               "WHEN 'once' THEN 1 WHEN 'one' THEN 1 WHEN 'twice' THEN 2 WHEN 'two' THEN 2 WHEN 'three' THEN 3 "
               "WHEN 'four' THEN 4 WHEN 'five' THEN 5 WHEN 'six' THEN 6 WHEN 'seven' THEN 7 WHEN 'eight' THEN 8 "
               "WHEN 'ten' THEN 10 END")


def sessions_sql(r: str) -> str:
    """How often a week: '2', '2x', 'x2', '2 x weekly', '3 times a week', 'twice weekly', 'daily' (5), 'weekly' (1),
    'fortnightly' (0.5), '2 a day' (10). Anything else (per term, per month) is unreadable."""
    t = f"lower(trim({r}))"
    k = f"trim(regexp_replace(regexp_replace({t}, '[^a-z0-9.]+', ' ', 'g'), '(\\d) ?x\\b', '\\1 x', 'g'))"
    week = "(?: ?(?:a|per|each|every|p|pw|x|times|sessions?|session|lessons?|weekly|week|wk|w|in the week|/))*"
    num = f"TRY_CAST(regexp_extract({k}, '^(?:x ?)?{_NUM}{week}$', 1) AS DOUBLE)"
    per_day = f"TRY_CAST(regexp_extract({k}, '^(?:x ?)?{_NUM} ?(?:x|times|sessions?)? ?(?:a|per|each|every) day$', 1) AS DOUBLE)"
    days = f"TRY_CAST(regexp_extract({k}, '^{_NUM} days?(?: ?(?:a|per|each|every) week| weekly)?$', 1) AS DOUBLE)"
    words = _WORD_TIMES.format(k=k)
    return f"""(CASE WHEN {r} IS NULL THEN NULL
        WHEN {num} IS NOT NULL THEN {num}
        WHEN {per_day} IS NOT NULL THEN {per_day} * 5
        WHEN {days} IS NOT NULL THEN {days}
        WHEN regexp_matches({k}, '^(daily|every day|each day|once a day|once daily|5 days|every morning|every afternoon|mon fri)$') THEN 5.0
        WHEN regexp_matches({k}, '^(weekly|once weekly|once a week|every week|each week|a week|1 week)$') THEN 1.0
        WHEN regexp_matches({k}, '^(fortnightly|every other week|every 2 weeks|every two weeks|once a fortnight)$') THEN 0.5
        WHEN regexp_matches({k}, '^(once|twice|one|two|three|four|five|six|seven|eight|ten) ?(times?)?{week}$')
            THEN CAST({words} AS DOUBLE)
        WHEN regexp_matches({k}, '^(once|twice|one|two|three|four|five) ?(times?)? ?(a|per|each) day$') THEN CAST({words} AS DOUBLE) * 5
        END)"""


def minutes_sql(r: str) -> str:
    """Minutes a session: '30', '30 mins', '30m', '1 hour', '1.5 hrs', '1h 15m', 'half an hour'. Anything else
    ('twice a week', '20-30 mins', '6 weeks') is unreadable."""
    t = f"trim(regexp_replace(lower(trim({r})), '\\s+', ' ', 'g'))"
    mins = "(?:m|min|mins|minute|minutes|mns)\\.?"
    hours = "(?:h|hr|hrs|hour|hours)\\.?"
    plain = f"TRY_CAST(regexp_extract({t}, '^{_NUM} ?(?:{mins})?(?: ?(?:a|per|each) session)?$', 1) AS DOUBLE)"
    hrs = f"TRY_CAST(regexp_extract({t}, '^{_NUM} ?{hours}(?: ?(?:a|per|each) session)?$', 1) AS DOUBLE)"
    hm_h = f"TRY_CAST(regexp_extract({t}, '^(\\d+) ?{hours} ?(?:and )?(\\d+) ?(?:{mins})?$', 1) AS DOUBLE)"
    hm_m = f"TRY_CAST(regexp_extract({t}, '^(\\d+) ?{hours} ?(?:and )?(\\d+) ?(?:{mins})?$', 2) AS DOUBLE)"
    return f"""(CASE WHEN {r} IS NULL THEN NULL
        WHEN {plain} IS NOT NULL THEN {plain}
        WHEN {hrs} IS NOT NULL THEN {hrs} * 60
        WHEN {hm_h} IS NOT NULL THEN {hm_h} * 60 + {hm_m}
        WHEN {t} IN ('half an hour', 'half hour', '1/2 hour', '1/2 hr') THEN 30.0
        WHEN {t} IN ('an hour', 'one hour', 'hour') THEN 60.0
        WHEN {t} IN ('quarter of an hour', 'quarter hour', '1/4 hour') THEN 15.0
        WHEN {t} IN ('an hour and a half', 'one and a half hours', '1 and a half hours') THEN 90.0
        END)"""


def money_sql(r: str) -> str:
    """Pounds: '£1,200', '1200.50', '£12.50 per hour', '£950 pa'. Pence and other currencies are unreadable."""
    t = f"regexp_replace(lower(trim({r})), '[£,\\s]|gbp', '', 'g')"
    return (f"TRY_CAST(regexp_extract({t}, '^{_NUM}(?:pa|p/a|peryear|/year|/yr|ayear|perannum|annually|perhour|/hr|/hour|/h|"
            f"ph|p/h|anhour|perhr|ahour|each|total)?$', 1) AS DOUBLE)")


def group_sql(r: str) -> str:
    """Pupils in a group: '4', '4 pupils', '1:4' (an adult to 4 pupils), '1:1', 'individual' (1), 'pair' (2)."""
    t = f"trim(regexp_replace(lower(trim({r})), '\\s+', ' ', 'g'))"
    plain = f"TRY_CAST(regexp_extract({t}, '^{_NUM}(?: ?(?:pupils?|children|child|students?|learners?|in group|max))?$', 1) AS DOUBLE)"
    ratio = f"TRY_CAST(regexp_extract({t}, '^\\d+ ?(?::|to) ?(\\d+)$', 1) AS DOUBLE)"
    return f"""(CASE WHEN {r} IS NULL THEN NULL
        WHEN {plain} IS NOT NULL THEN {plain}
        WHEN {ratio} IS NOT NULL THEN {ratio}
        WHEN {t} IN ('individual', 'one to one', '1 to 1', 'one', 'single', 'solo') THEN 1.0
        WHEN {t} IN ('pair', 'pairs', 'paired', 'two') THEN 2.0
        END)"""


def norm_sql(f: Field, r: str) -> str:
    """SQL for the normalised value of field `f` from its cleaned raw text `r`."""
    if f.kind == "date":
        return date_sql(r)
    if f.kind == "year":
        return year_sql(r)
    if f.kind == "time":
        return time_sql(r)
    if f.kind == "number":
        return f"TRY_CAST(replace(replace({r}, '%', ''), ',', '') AS DOUBLE)"
    if f.kind == "sessions":
        return sessions_sql(r)
    if f.kind == "minutes":
        return minutes_sql(r)
    if f.kind == "money":
        return money_sql(r)
    if f.kind == "group":
        return group_sql(r)
    if f.vocab == "provision_measure":  # '%' is a measure of its own, and norm_key drops it
        k = sql_norm_key(f"replace({r}, '%', ' percentage ')")
        m = VOCAB_SQL[f.vocab]
        return f"coalesce({m}[{k}], {m}[regexp_extract({k}, '^(.*?) ?(?:score|scores|data)$', 1)])"
    if f.vocab == "staff_role":  # 'Mrs Patel (TA)', 'TA - Mrs Patel', 'HLTA/teacher'
        k = sql_norm_key(r)
        m = VOCAB_SQL[f.vocab]
        return (f"coalesce({m}[{k}], {m}[lower(trim(regexp_extract({r}, '\\(([^)]*)\\)', 1)))], "
                f"{m}[split_part({k}, ' ', 1)], {m}[regexp_extract({k}, '([^ ]+)$', 1)])")
    if f.kind == "bool":
        return f"CAST({VOCAB_SQL['bool']}[{sql_norm_key(r)}] AS BOOLEAN)"
    if f.vocab == "need":
        k = sql_norm_key(r)
        m = VOCAB_SQL["need"]
        return f"coalesce({m}[{k}], {m}[split_part({k}, ' ', 1)], {m}[regexp_extract({r}, '\\(([^)]*)\\)', 1).lower().trim()])"
    if f.vocab:
        return f"{VOCAB_SQL[f.vocab]}[{sql_norm_key(r)}]"
    if f.kind == "id":
        return f"regexp_replace({r}, '\\s+', '', 'g')"
    return f"regexp_replace({r}, '\\s+', ' ', 'g')"


@dataclass
class Stage:
    """The temporary stage tables of one import run (dropped by `close`)."""

    cur: duckdb.DuckDBPyConnection
    prefix: str
    tables: dict[str, str]            # entity -> temp table name
    views: list[str]
    arrow: dict[str, pa.Table] = dataclasses.field(default_factory=dict)  # entity -> the staged rows, for quick checks
    wide: dict[str, str] = dataclasses.field(default_factory=dict)        # reviews/targets/scores from repeating columns
    grid: str | None = None           # the cells of provision map grid columns, one row per pupil row and column

    def close(self) -> None:
        for v in self.views:
            with contextlib.suppress(Exception):  # already gone
                self.cur.unregister(v)
        for t in reversed(list(self.tables.values())):
            if t not in self.views:
                with contextlib.suppress(Exception):  # rolled back with its transaction
                    self.cur.execute(f"DROP VIEW IF EXISTS {t}")
                with contextlib.suppress(Exception):
                    self.cur.execute(f"DROP TABLE IF EXISTS {t}")


def name_split_sql(name: str) -> tuple[str, str]:
    """(first, last) from 'Surname, Forename', 'SURNAME Forename' or 'Forename Surname'."""
    comma = f"position(',' IN {name}) > 0"
    caps = f"regexp_matches({name}, '^[A-Z][A-Z''\\-]+ .*[a-z]')"
    first = f"""(CASE WHEN {name} IS NULL THEN NULL
        WHEN {comma} THEN nullif(trim(substr({name}, position(',' IN {name}) + 1)), '')
        WHEN {caps} THEN trim(substr({name}, position(' ' IN {name}) + 1))
        WHEN position(' ' IN {name}) > 0 THEN trim(regexp_replace({name}, ' +[^ ]+$', ''))
        END)"""
    last = f"""(CASE WHEN {name} IS NULL THEN NULL
        WHEN {comma} THEN trim(split_part({name}, ',', 1))
        WHEN {caps} THEN split_part({name}, ' ', 1)
        ELSE regexp_extract({name}, '([^ ]+)$', 1) END)"""
    return first, last


_BLANK_ARRAY = pa.array(BLANKS, type=pa.string())
_ARROW_TYPES = {"date": pa.date32(), "bool": pa.bool_(), **{k: pa.float64() for k in NUMBER_KINDS}}


def _clean(col: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray:
    """Trim (also non-breaking spaces) and null the cells that mean 'nothing recorded' — vectorised in Arrow."""
    t = pc.utf8_trim(col, characters=" \t\r\n\u00a0")
    blank = pc.is_in(pc.utf8_lower(t), value_set=_BLANK_ARRAY)
    return pc.if_else(blank, pa.scalar(None, pa.string()), t)


def _sheet_rows(cur: duckdb.DuckDBPyConnection, n: int, file_idx: int, plan: SheetPlan, sheet: Sheet, prefix: str,
                notes: dict[str, str] | None) -> pa.Table:
    """One sheet's data rows as raw text per canonical field (r_<field>), blank and non-pupil rows dropped."""
    entity = plan.entity
    assert entity is not None and plan.header_row is not None
    data = sheet.table.slice(plan.header_row + 1)
    n_rows = data.num_rows
    mapped = plan.fields()
    used = [c for c in plan.columns if c.field != IGNORE]
    k = {c.index: _clean(data.column(c.index)) for c in used}
    empty = pa.nulls(n_rows, pa.string())
    cols: dict[str, pa.ChunkedArray | pa.Array] = {
        "_file": pa.array(np.full(n_rows, file_idx, dtype=np.int64)),
        "_sheet": pa.repeat(pa.scalar(plan.sheet, pa.string()), n_rows),
        "_row": pa.array(np.arange(plan.header_row + 2, plan.header_row + 2 + n_rows, dtype=np.int64)),
        "_has_id": pa.array(np.full(n_rows, "pupil_id" in mapped)),
        "_tracker": pa.array(np.full(n_rows, bool(set(mapped) & TRACKER_FIELDS) or bool(plan.wide_groups().reviews))),
        "_grid": pa.array(np.full(n_rows, bool(plan.grid()))),
    }
    for f in ENTITIES[entity]:
        c = mapped.get(f.name)
        cols["r_" + f.name] = k[c.index] if c else empty
    if entity == "pupils":
        extras = [c for c in plan.columns if c.field is None]
        if extras:
            view = f"{prefix}_x{n}"
            cur.register(view, pa.table({f"k{i}": k[c.index] for i, c in enumerate(extras)}))
            # A JSON object of the non-blank cells, written as DuckDB writes JSON (so that a re-import compares
            # equal); joining text is several times faster than building a map per row.
            entries = ", ".join(f"CASE WHEN k{i} IS NOT NULL THEN to_json({q(c.header)}) || ':' || to_json(k{i}) END"
                                for i, c in enumerate(extras))
            cols["r_extra"] = cur.sql(f"SELECT nullif('{{' || concat_ws(',', {entries}) || '}}', '{{}}') AS r_extra "
                                      f"FROM {view}").to_arrow_table().column(0)
            cur.unregister(view)
        else:
            cols["r_extra"] = empty
    table = pa.table(cols)
    # Drop blank rows, totals and keys under the table, the template's notes and example rows.
    if not used:
        return table.slice(0, 0)
    blank = functools.reduce(pc.and_, [pc.is_null(a) for a in k.values()])
    who = pc.coalesce(*([k[mapped[f].index] for f in ("pupil_id", "name", "last_name", "first_name", "provision_id",
                                                      "provision_name") if f in mapped]
                        + list(k.values())))
    drop = pc.or_(blank, pc.fill_null(pc.match_substring_regex(who, NOT_A_PUPIL, ignore_case=True), False))
    key = "provision_id" if entity == "provisions" else "pupil_id"
    if key in mapped:
        pid = k[mapped[key].index]
        drop = pc.or_(drop, pc.fill_null(pc.starts_with(pc.utf8_upper(pid), "EXAMPLE"), False))
        note = (notes or {}).get(entity)
        if note:
            drop = pc.or_(drop, pc.fill_null(pc.equal(pid, note), False))
    if entity in RECORDS_NOTHING_WHEN_BLANK:
        values = [k[c.index] for f, c in mapped.items() if f not in KEYS[entity] and f != "setting"]
        if values:
            drop = pc.or_(drop, functools.reduce(pc.and_, [pc.is_null(a) for a in values]))
    return table.filter(pc.invert(drop))


def several_codes(text: str | None, vocab: str) -> str | None:
    """One or more codes of `vocab` written in one cell ('C&I; SEMH', 'Cognition and learning / SEMH',
    'Communication and interaction and sensory'), in the order written (the first is often the main one), joined by
    AREAS_SEPARATOR; None when any part is not a code (so the cell is reported, not half read)."""
    if text is None:
        return None
    rest = f" {norm_key(text)} "
    found: dict[str, int] = {}
    for phrase, code in _phrases(vocab):
        needle = f" {phrase} "
        at = rest.find(needle)
        while at >= 0:
            found[code] = min(found.get(code, at), at)
            rest = rest[:at] + " " + "|" * len(phrase) + " " + rest[at + len(needle):]
            at = rest.find(needle)
    leftover = [w for w in rest.replace("|", " ").split() if w not in ("and", "or", "plus", "also")]
    if leftover or not found:
        return None
    return AREAS_SEPARATOR.join(sorted(found, key=found.__getitem__))


@functools.cache
def _phrases(vocab: str) -> list[tuple[str, str]]:
    """(normalised phrase, code) of a vocabulary, longest phrase first."""
    rows = [(k, c) for v, k, c in value_table() if v == vocab and k]
    return sorted(rows, key=lambda kc: (-len(kc[0]), kc[0]))


def _normalised(cur: duckdb.DuckDBPyConnection, f: Field, raw: pa.ChunkedArray, prefix: str) -> pa.ChunkedArray | pa.Array:
    """Normalise a column: text vectorised in Arrow; coded values, dates and years once per distinct text in SQL."""
    if f.kind == "id":
        return pc.replace_substring_regex(raw, r"\s+", "")
    if f.kind in ("text", "name"):
        return pc.replace_substring_regex(raw, r"\s+", " ")
    if f.several:  # a few distinct cells: read in Python
        uniques = pc.unique(raw).drop_null().to_pylist() if raw.null_count < len(raw) else []
        looked_up = pa.array([several_codes(u, f.vocab or "") for u in uniques], pa.string())
        idx = pc.index_in(raw, value_set=pa.array(uniques, pa.string()))
        return pc.take(looked_up, idx) if uniques else pa.nulls(len(raw), pa.string())
    uniques = pc.unique(raw).drop_null() if raw.null_count < len(raw) else pa.array([], pa.string())
    typ = _ARROW_TYPES.get(f.kind, pa.string())
    if len(uniques) == 0:
        return pa.nulls(len(raw), typ)
    view = f"{prefix}_u_{f.name}"
    cur.register(view, pa.table({"raw": uniques}))
    looked = cur.sql(f"SELECT raw, CAST({norm_sql(f, 'raw')} AS {sql_type(f)}) AS v FROM {view}").to_arrow_table()
    cur.unregister(view)
    idx = pc.index_in(raw, value_set=looked.column("raw"))
    return pc.take(looked.column("v"), idx).cast(typ)


def _normalise_columns(cur: duckdb.DuckDBPyConnection, entity: str, raw: pa.Table, prefix: str) -> dict:
    """Every field of an entity normalised, two columns at a time: Arrow and DuckDB both release the GIL,
    so the second core shortens an import by about a tenth."""
    fields = [f for f in ENTITIES[entity] if f.name != "setting"]

    def one(f: Field) -> tuple[str, pa.ChunkedArray | pa.Array]:
        with cur.cursor() as own:  # a cursor per thread, as DuckDB requires
            return f.name, _normalised(own, f, raw.column("r_" + f.name), prefix)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, fields))


def build_stage(cur: duckdb.DuckDBPyConnection, items: list[tuple[int, SheetPlan, Sheet]], default_setting: str | None,
                templates_notes: dict[str, str] | None = None) -> Stage:
    """Create one temp table per entity from the sheets to import; return their names.

    Cells are cleaned and looked up in Arrow (vectorised C++), each distinct coded text is normalised
    once in SQL; DuckDB then holds the result for the checks and the load."""
    prefix = "imp_" + uuid.uuid4().hex[:10]
    parts: dict[str, list[pa.Table]] = {}
    wide_parts: dict[str, list[pa.Table]] = {}
    grid_parts: list[pa.Table] = []
    for n, (file_idx, plan, sheet) in enumerate(items):
        parts.setdefault(plan.entity or "", []).append(_sheet_rows(cur, n, file_idx, plan, sheet, prefix, templates_notes))
        if plan.entity == "pupils":
            for kind, t in wide.stage_tables(plan, sheet, file_idx, _clean).items():
                wide_parts.setdefault(kind, []).append(t)
        if plan.grid():
            grid_parts.append(_grid_rows(plan, sheet, file_idx))
    tables = {}
    views: list[str] = []
    arrow: dict[str, pa.Table] = {}
    for entity, tbls in parts.items():
        raw = pa.concat_tables(tbls)
        cols = {name: raw.column(name) for name in raw.column_names}
        if entity == "pupils":
            cols["extra"] = cols.pop("r_extra")
        setting = pc.replace_substring_regex(raw.column("r_setting"), r"\s+", " ")
        cols["setting"] = pc.coalesce(setting, pa.scalar(default_setting, pa.string())) if default_setting else setting
        cols.update(_normalise_columns(cur, entity, raw, prefix))
        if entity == "pupils":
            _derive_pupil_columns(cur, cols, prefix)
            cols["sen_status"] = _sen_status_from_plan(cols["sen_status"], cols["plan_type"])
        if entity == "pupil_provisions":
            _derive_pupil_columns(cur, cols, prefix)
        if entity == "provisions":  # an intervention without an id is known by its name
            cols["provision_id"] = pc.coalesce(cols["provision_id"], _slug(cols["name"]))
        # The stage stays in Arrow: DuckDB scans it in place for every check and for the load (no copy).
        table = f"{prefix}_{entity}"
        arrow[entity] = pa.table(cols)
        cur.register(table, arrow[entity])
        views.append(table)
        tables[entity] = table
    stage = Stage(cur, prefix, tables, views, arrow)
    if "pupil_provisions" in tables or grid_parts:
        _provision_ids(cur, stage, grid_parts)
    for kind, tbls in wide_parts.items():
        raw = pa.concat_tables(tbls)
        cols = {name: raw.column(name) for name in raw.column_names}
        for f in WIDE_STAGE_FIELDS[kind]:
            cols[f.name] = _normalised(cur, f, raw.column("r_" + f.name), prefix + "_w")
        if kind == "scores":
            cols["score_date"] = pc.cast(raw.column("score_date"), pa.date32())
        name = f"{prefix}_wide_{kind}"
        arrow["_wide_" + kind] = pa.table(cols)
        cur.register(name, arrow["_wide_" + kind])
        views.append(name)
        stage.wide[kind] = name
    return stage


def _slug(names: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """The id an intervention known only by its name gets: 'Precision Teaching' -> 'precision-teaching' (the same
    name always gives the same id, so a re-import changes nothing)."""
    low = pc.utf8_lower(pc.replace_substring(names, "&", " and "))
    dashed = pc.replace_substring_regex(low, r"[^a-z0-9]+", "-")
    trimmed = pc.utf8_trim(dashed, characters="-")
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)


SLUG_SQL = "nullif(trim(regexp_replace(lower(replace({x}, '&', ' and ')), '[^a-z0-9]+', '-', 'g'), '-'), '')"
# Cells of a provision map grid: a tick (or any of these) puts the pupil on the intervention; a number says how many
# sessions or hours (kept in the notes, as the tracker gave it); these mean not on it.
GRID_TICKS = ["\u2713", "\u2714", "\u2611", "\u221a", "x", "y", "yes", "tick", "ticked", "*", "o", "\u2022", "on", "true",
              "attending", "current", "ongoing"]
GRID_OFF = ["0", "no", "n", "false", "off", "none", "-"]


def _grid_rows(plan: SheetPlan, sheet: Sheet, file_idx: int) -> pa.Table:
    """One row per pupil row and grid column: the raw cell and the intervention its heading names."""
    data = sheet.table.slice((plan.header_row or 0) + 1)
    n = data.num_rows
    out = []
    for c in plan.grid():
        out.append(pa.table({
            "_file": pa.array(np.full(n, file_idx, dtype=np.int64)),
            "_sheet": pa.repeat(pa.scalar(plan.sheet, pa.string()), n),
            "_row": pa.array(np.arange((plan.header_row or 0) + 2, (plan.header_row or 0) + 2 + n, dtype=np.int64)),
            "_c_provision_cell": pa.array(np.full(n, c.index, dtype=np.int64)),
            "r_provision_cell": _clean(data.column(c.index)),
            "provision_name": pa.repeat(pa.scalar(c.header, pa.string()), n)}))
    return pa.concat_tables(out)


def _provision_ids(cur: duckdb.DuckDBPyConnection, stage: Stage, grid_parts: list[pa.Table]) -> None:
    """Give each pupil's provision row the id of the intervention it names: the id a Provisions sheet of this upload
    gives that name, else the id the setting's stored provision of that name has, else one made from the name. The
    grid's cells are staged here too (its setting and pupil come from the row's pupil columns)."""
    p = stage.prefix
    prov = stage.tables.get("provisions")
    upload = (f"SELECT setting, {sql_norm_key('name')} AS k, min(provision_id) AS provision_id, 0 AS rank FROM {prov} "
              "WHERE name IS NOT NULL AND provision_id IS NOT NULL AND setting IS NOT NULL GROUP BY ALL") if prov else None
    known = (f"SELECT setting, {sql_norm_key('name')} AS k, min(provision_id) AS provision_id, 1 AS rank FROM provisions "
             "WHERE name IS NOT NULL GROUP BY ALL")
    names = f"{p}_pnames"
    cur.execute(f"""CREATE TEMP TABLE {names} AS SELECT setting, k, arg_min(provision_id, rank) AS provision_id
        FROM ({' UNION ALL '.join(x for x in (upload, known) if x)}) GROUP BY ALL""")
    stage.tables["_pnames"] = names

    def resolve(table: str, name_col: str, id_col: str | None) -> pa.Table:
        made = f"coalesce({f's.{id_col}, ' if id_col else ''}n.provision_id, {SLUG_SQL.format(x=f's.{name_col}')})"
        cols = f"s.* REPLACE ({made} AS provision_id)" if id_col else f"s.*, {made} AS provision_id"
        return cur.sql(f"""SELECT {cols}
            FROM {table} s LEFT JOIN {names} n ON n.setting = s.setting AND n.k = {sql_norm_key(f's.{name_col}')}
            ORDER BY s._file, s._sheet, s._row""").to_arrow_table()

    if "pupil_provisions" in stage.tables:
        t = stage.tables["pupil_provisions"]
        resolved = resolve(t, "provision_name", "provision_id")
        cur.unregister(t)
        stage.arrow["pupil_provisions"] = resolved
        cur.register(t, resolved)
    if grid_parts:
        raw = pa.concat_tables(grid_parts)
        ticks = ", ".join(q(x) for x in GRID_TICKS)
        off = ", ".join(q(x) for x in GRID_OFF)
        view = f"{p}_grid_raw"
        cur.register(view, raw)
        rows = " UNION ALL ".join(f"SELECT _file, _sheet, _row, setting, pupil_id FROM {stage.tables[e]}"
                                  for e in ("pupils", "pupil_provisions") if e in stage.tables)
        num = "TRY_CAST(replace(r_provision_cell, ',', '.') AS DOUBLE)"
        staged = f"{p}_grid_rows"
        cur.execute(f"""CREATE TEMP TABLE {staged} AS
            SELECT g.*, r.setting, r.pupil_id,
                   CASE WHEN g.r_provision_cell IS NULL THEN NULL
                        WHEN lower(g.r_provision_cell) IN ({off}) OR {num} = 0 THEN FALSE
                        WHEN lower(g.r_provision_cell) IN ({ticks}) OR {num} > 0 THEN TRUE END AS on_it,
                   CASE WHEN {num} > 0 AND {num} <> 1 THEN {num} END AS amount
            FROM {view} g JOIN ({rows}) r USING (_file, _sheet, _row)""")
        cur.unregister(view)
        stage.tables["_grid_rows"] = staged
        resolved = resolve(staged, "provision_name", None)
        stage.arrow["_grid"] = resolved
        name = f"{p}_grid"
        cur.register(name, resolved)
        stage.views.append(name)
        stage.grid = name


# The columns of the rows that repeating columns make (wide.stage_tables), each holding the cells of one repeating
# field (fields.WIDE), normalised like that field; problems name it as "<field>#<column index>".
WIDE_STAGED: dict[str, dict[str, str]] = {
    "reviews": {"review_date": "history_review_date", "progress": "history_progress",
                "parent_attended": "history_parent_attended", "decision": "history_decision"},
    "targets": {"description": "target_text", "area": "target_area", "baseline": "target_baseline",
                "value": "target_value"},
    "scores": {"score": "target_score"},
}
WIDE_STAGE_FIELDS: dict[str, list[Field]] = {kind: [Field(col, WIDE[name].kind) for col, name in cols.items()]
                                             for kind, cols in WIDE_STAGED.items()}


def _derive_pupil_columns(cur: duckdb.DuckDBPyConnection, cols: dict, prefix: str) -> None:
    """Split a single Name column; identify pupils by name and birth date when a sheet has no id column."""
    if cols["name"].null_count == len(cols["name"]) and pc.all(cols["_has_id"]).as_py() is not False:
        return
    view = f"{prefix}_names"
    cur.register(view, pa.table({k: cols[k] for k in ("name", "first_name", "last_name", "date_of_birth", "pupil_id",
                                                       "_has_id")}))
    first, last = name_split_sql("name")
    derived = cur.sql(f"""SELECT first_name, last_name,
            CASE WHEN NOT _has_id AND pupil_id IS NULL AND last_name IS NOT NULL AND date_of_birth IS NOT NULL
                 THEN upper(regexp_replace(concat_ws('-', last_name, first_name, strftime(date_of_birth, '%Y%m%d')),
                                           '[^A-Za-z0-9-]+', '', 'g'))
                 ELSE pupil_id END AS pupil_id
        FROM (SELECT coalesce(first_name, {first}) AS first_name, coalesce(last_name, {last}) AS last_name,
                     date_of_birth, pupil_id, _has_id FROM {view})""").to_arrow_table()
    cur.unregister(view)
    for k in ("first_name", "last_name", "pupil_id"):
        cols[k] = derived.column(k)


def _sen_status_from_plan(status, plan):
    """A tracker row with a plan but no SEN status: an EHC plan means E, a SEN Support or My Support Plan means K
    (DESIGN §2), so the pupil is on the register rather than missing from it."""
    none = pa.scalar(None, pa.string())
    implied = pc.if_else(pc.equal(plan, "ehcp"), pa.scalar("E"),
                         pc.if_else(pc.is_in(plan, value_set=pa.array(["sen_support", "my_support_plan"])), pa.scalar("K"), none))
    return pc.coalesce(status, implied)


def today_sql(today: date) -> str:
    return f"DATE {q(today.isoformat())}"


__all__ = ["Stage", "build_stage", "date_sql", "time_sql", "year_sql", "norm_sql", "clean_sql", "field", "q", "ident", "today_sql"]
