"""Columns that repeat across a one-row-per-pupil sheet: the review history and the targets with their scores.

Trackers keep a pupil's reviews as a column per review ("Review 1 (Summer term)", "Autumn review", "Aut 1") and
their IPM targets as a column per target with its baseline and a score per term beside it ("Target 1",
"T1 baseline", "T1 Autumn", "T1 score 14/10/2026"). The header analysis recognises them here; a column then
belongs to the group of the review date or target on its left (or to the target its heading names: "T2 ...").
Each review-date cell becomes a review, each target text an outcome, each score cell a score. A score column's
date comes from its heading, or, for a term name, from the SENCo (given in the preview, remembered by heading).

An outcome's identity is its slot and its text: new text in "Target 1" next term is a new outcome ("Target 1 (2)"),
never the old one with merged scores; the same text again is the same outcome.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import pyarrow as pa

from senlib.importer.synonyms import norm_key
from senlib.store.fields import WIDE

# ---- Recognising headings -----------------------------------------------------------------------

_TERM = r"(?:autumn|spring|summer|aut|spr|sum)"
_PLANWORD = r"(?:(?:apdr|termly|sen support|iep|isp|ipm|plan|annual|sen|send) )?"
_REVIEW = r"(?:review|apdr|meeting)"
HISTORY_PATTERNS = [
    re.compile(rf"^(?:date of )?{_PLANWORD}{_REVIEW}(?: date)?(?: no)? ?\d{{1,2}}(?: .*)?$"),        # Review 1 (Summer term)
    re.compile(rf"^(?:date of )?{_PLANWORD}{_REVIEW}(?: date)?(?: for| in)?(?: the)? {_TERM}\b.*$"),  # Review date (Spring)
    re.compile(rf"^{_TERM}(?: term)? ?(?:[12] )?(?:\d{{2,4}} )?(?:\d{{2}} )?{_PLANWORD}{_REVIEW}(?: date)?(?: held)?$"),
    re.compile(rf"^(?:half )?term ?\d {_REVIEW}(?: date)?$"),                                       # Term 1 review
]
# A bare term ("Aut 1", "Spring term", "Summer 2026") is a review only when its cells are dates.
BARE_TERM = re.compile(rf"^{_TERM}(?: term)?(?: ?[12])?(?: \d{{2,4}})?(?: \d{{2}})?$")
TARGET_TEXT = re.compile(r"^(?:smart |ipm |iep |isp |sen |my )?(?:target|outcome|objective|goal)s? ?(\d{1,2})"
                         r"(?: (?:description|text|wording|set|in full))?$")
SLOT_REF = re.compile(r"\b(?:target|outcome|objective|goal|t|o) ?(\d{1,2})\b")
BASELINE = re.compile(r"^(?:baseline|base line|starting point|start(?:ing)?|entry|on entry|initial)(?: score| level| rating|"
                      r" point)?(?: .*)?$")
TARGET_VALUE = re.compile(r"^(?:target|aim|goal|expected|success)(?: score| value| level| rating| point)?$|^(?:score|rating) "
                          r"(?:target|aimed for|expected)$")
AREA = re.compile(r"^(?:area|area of need|broad area|need area|section|area of the code|sen area)$")
SCORE_WORDS = re.compile(rf"\b(?:score|scores|rating|scaling|scale|progress|review|{_TERM}|term|\d{{1,2}} \d{{1,2}} \d{{2,4}}|"
                         r"\d{4} \d{1,2} \d{1,2}|jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|"
                         r"march|april|june|july|august|september|october|november|december)\b")
PROGRESS_WORD = re.compile(r"\bprogress\b")
DECISION_WORD = re.compile(r"\b(?:decision|outcome|next steps|action|actions)\b")
ATTENDED_WORD = re.compile(r"\b(?:parent|parents|parent carer|attended|attendance)\b")
HISTORY_BESIDE = 4       # progress, attendance and decision sit within this many columns of their review date
MONTHS = {m: i for i, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")], start=1) for m in names}


def heading_date(text: str) -> date | None:
    """The date a score column's heading gives ('T1 score 14/10/2026', 'Oct 2026', a date cell as heading)."""
    k = norm_key(text)
    for pat, order in ((r"\b(\d{4}) (\d{1,2}) (\d{1,2})\b", "ymd"), (r"\b(\d{1,2}) (\d{1,2}) (\d{4})\b", "dmy"),
                       (r"\b(\d{1,2}) (\d{1,2}) (\d{2})\b", "dmy2")):
        m = re.search(pat, k)
        if m:
            a, b, c = (int(x) for x in m.groups())
            y, mo, d = (a, b, c) if order == "ymd" else (c if order == "dmy" else 2000 + c, b, a)
            try:
                return date(y, mo, d)
            except ValueError:
                return None
    m = re.search(r"\b(?:(\d{1,2}) )?(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r") (\d{4}|\d{2})\b", k)
    if m:
        day, month, year = int(m.group(1) or 1), MONTHS[m.group(2)], int(m.group(3))
        try:
            return date(year if year > 99 else 2000 + year, month, day)
        except ValueError:
            return None
    return None


_DATE_CELL = re.compile(r"^\s*(\d{4}-\d{1,2}-\d{1,2}([ T].*)?|\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{5}(\.0+)?)\s*$")
_NUMBER_CELL = re.compile(r"^\s*[+-]?\d+(\.\d+)?\s*%?\s*$")


def _profile(values: list) -> tuple[int, float, float]:
    """(non-blank cells, share that look like dates, share that are small numbers) of a column's first cells."""
    cells = [str(v).strip() for v in values if v is not None and str(v).strip()]
    if not cells:
        return 0, 0.0, 0.0
    dates = sum(bool(_DATE_CELL.match(c)) and not (_NUMBER_CELL.match(c) and float(c.rstrip("%")) < 20000) for c in cells)
    small = sum(bool(_NUMBER_CELL.match(c)) and abs(float(c.rstrip("% "))) <= 100 for c in cells)
    return len(cells), dates / len(cells), small / len(cells)


def recognise(columns: list, values: dict[int, list], header_index: dict[str, str]) -> None:
    """Map the repeating columns of a pupil sheet in place (Column.field; Column.date for dated score columns).

    `values` holds each column's first cells under the header; `header_index` the pupil sheet's headings."""
    def free(c) -> bool:
        return c.field is None

    for c in columns:
        k = norm_key(c.header)
        if not free(c):
            continue
        n, dates, small = _profile(values.get(c.index, []))
        if TARGET_TEXT.match(k) and (n == 0 or small < 0.5):
            c.field = "target_text"
        elif any(p.match(k) for p in HISTORY_PATTERNS) and (n == 0 or dates >= 0.5) or BARE_TERM.match(k) and n and dates >= 0.8:
            c.field = "history_review_date"
    targets = [c for c in columns if c.field == "target_text"]
    slots = {_slot_number(c.header) for c in targets}
    for c in columns:
        if c.field == "history_review_date" or c.field == "target_text":
            continue
        left = _left_anchor(columns, c)
        if left is None:
            continue
        k = norm_key(c.header)
        if left.field == "history_review_date" and c.field in (None, "progress", "decision", "parent_attended") \
                and c.index - left.index <= HISTORY_BESIDE:
            rest = _strip_history_words(k)
            if PROGRESS_WORD.search(rest) or header_index.get(rest) == "progress":
                c.field = "history_progress"
            elif DECISION_WORD.search(rest) or header_index.get(rest) == "decision":
                c.field = "history_decision"
            elif (ATTENDED_WORD.search(rest) or header_index.get(rest) == "parent_attended") and \
                    yes_no_share(values.get(c.index, [])) >= 0.8:
                c.field = "history_parent_attended"
            continue
        if left.field != "target_text" or not free(c):
            continue
        m = SLOT_REF.search(k)
        if m and int(m.group(1)) in slots:
            rest = (k[:m.start()] + " " + k[m.end():]).strip()
            rest = " ".join(rest.split())
        elif m:
            continue
        else:
            rest = k
        n, _, small = _profile(values.get(c.index, []))
        if AREA.match(rest):
            c.field = "target_area"
        elif BASELINE.match(rest) and (n == 0 or small >= 0.8):
            c.field = "target_baseline"
        elif TARGET_VALUE.match(rest) and (n == 0 or small >= 0.8):
            c.field = "target_value"
        elif (SCORE_WORDS.search(rest) or heading_date(c.header)) and (n == 0 or small >= 0.8):
            c.field = "target_score"
            d = heading_date(c.header)
            c.date = d.isoformat() if d else None


def _left_anchor(columns: list, col):
    """The nearest column on the left that starts a group (a review date or a target), or that ends one
    (another mapped date such as the last or next review date), or None."""
    ends = {"last_review_date", "next_review_date", "plan_start", "plan_end", "date_identified", "leaving_date",
            "date_of_birth"}
    for c in sorted((c for c in columns if c.index < col.index), key=lambda c: -c.index):
        if c.field in ("history_review_date", "target_text"):
            return c
        if c.field in ends:
            return None
    return None


def _strip_history_words(k: str) -> str:
    k = re.sub(rf"\b(?:{_TERM}|term|half|review|apdr|meeting|at|of|the|in|date|no|\d+)\b", " ", k)
    return " ".join(k.split())


def yes_no_share(values: list) -> float:
    """Share of a column's non-blank cells that are Yes/No answers (1 when there are none)."""
    from senlib.importer.synonyms import VALUE_SYNONYMS

    words = {norm_key(w) for ws in VALUE_SYNONYMS["bool"].values() for w in ws} - {"1", "0", "1 0", "0 0"}
    cells = [v for v in values if v is not None and str(v).strip()]
    return sum(norm_key(v) in words for v in cells) / len(cells) if cells else 1.0


def _slot_number(header: str) -> int | None:
    m = TARGET_TEXT.match(norm_key(header))
    return int(m.group(1)) if m else None


# ---- Groups: which columns make one review, one target ------------------------------------------


@dataclass
class ReviewGroup:
    """One review's columns: its date and the details beside it (field -> column index)."""

    date_col: int
    header: str
    details: dict[str, int] = field(default_factory=dict)


@dataclass
class TargetGroup:
    """One target's columns: its text, baseline, target score, area, and its score columns."""

    slot: int
    text_col: int
    header: str
    details: dict[str, int] = field(default_factory=dict)
    scores: list[tuple[int, str, str | None]] = field(default_factory=list)   # (column, heading, ISO date or None)


@dataclass
class Groups:
    reviews: list[ReviewGroup]
    targets: list[TargetGroup]

    def __bool__(self) -> bool:
        return bool(self.reviews or self.targets)

    def undated(self) -> list[str]:
        """Headings of score columns that have no date yet."""
        return [h for t in self.targets for _, h, d in t.scores if not d]


def groups(columns: list) -> Groups:
    """The review and target groups of a sheet's columns, from their fields and order. A detail column belongs to
    the review date or target on its left; a target column naming a slot ('T2 baseline') to that target."""
    reviews: list[ReviewGroup] = []
    targets: list[TargetGroup] = []
    numbers = [_slot_number(c.header) for c in columns if c.field == "target_text"]
    unique = len(set(numbers)) == len(numbers) and None not in numbers
    by_slot: dict[int, TargetGroup] = {}
    current_review: ReviewGroup | None = None
    current_target: TargetGroup | None = None
    for c in sorted(columns, key=lambda c: c.index):
        f = c.field
        if f == "history_review_date":
            current_review = ReviewGroup(c.index, c.header)
            reviews.append(current_review)
            current_target = None
        elif f == "target_text":
            slot = _slot_number(c.header) if unique else len(targets) + 1
            current_target = TargetGroup(slot or len(targets) + 1, c.index, c.header)
            targets.append(current_target)
            by_slot[current_target.slot] = current_target
            current_review = None
        elif f in ("history_progress", "history_parent_attended", "history_decision"):
            if current_review is not None and f[len("history_"):] not in current_review.details:
                current_review.details[f[len("history_"):]] = c.index
        elif f in ("target_area", "target_baseline", "target_value", "target_score"):
            m = SLOT_REF.search(norm_key(c.header))
            group = by_slot.get(int(m.group(1))) if (m and unique) else None
            group = group or current_target
            if group is None:
                continue
            if f == "target_score":
                group.scores.append((c.index, c.header, c.date))
            else:
                group.details.setdefault(f[len("target_"):], c.index)
    return Groups(reviews, targets)


def outcome_name(slot: int, n: int = 1) -> str:
    """The id an outcome from a target column gets: 'Target 1', and 'Target 1 (2)' for the next text in that slot."""
    return f"Target {slot}" + (f" ({n})" if n > 1 else "")


OUTCOME_NAME_RE = r"^Target (\d+)(?: \((\d+)\))?$"   # SQL regexp of outcome_name


def describe(columns: list) -> list[str]:
    """What the preview says was recognised: 'Review history: 3 columns (…)', 'Targets: 2, with 4 score columns'."""
    g = groups(columns)
    out = []
    if g.reviews:
        names = ", ".join(f"'{r.header}'" for r in g.reviews)
        beside = sum(bool(r.details) for r in g.reviews)
        out.append(f"Review history: {len(g.reviews)} column{'s' if len(g.reviews) != 1 else ''} ({names}); each date "
                   "becomes a review, held if it is on or before today, planned if after"
                   + (f"; progress, attendance or decision beside {beside} of them" if beside else "") + ".")
    if g.targets:
        scores = sum(len(t.scores) for t in g.targets)
        undated = len(g.undated())
        out.append(f"Targets: {len(g.targets)} ({', '.join(repr(t.header) for t in g.targets)}), each an outcome, "
                   f"with {scores} score column{'s' if scores != 1 else ''}"
                   + (f", {undated} of them needing the date the scores were given (below the table)" if undated else "")
                   + ".")
    return out


# ---- Dates the SENCo gave for term columns, remembered by heading ---------------------------------


def apply_dates(columns: list, dates: dict[str, str]) -> None:
    """Give undated score columns the date remembered for their heading."""
    for c in columns:
        if c.field == "target_score" and not c.date:
            d = dates.get(norm_key(c.header))
            if d:
                c.date = d


def remembered_dates(mappings: dict[str, dict]) -> dict[str, str]:
    """normalised heading -> ISO date, from every remembered mapping's score-column dates."""
    out: dict[str, str] = {}
    for m in mappings.values():
        for heading, d in (m.get("__dates__") or {}).items():
            out[norm_key(heading)] = d
    return out


# ---- Staging: one row per review, target and score -----------------------------------------------


def is_wide(name: str | None) -> bool:
    return name in WIDE


def stage_tables(plan, sheet, file_idx: int, clean) -> dict[str, pa.Table]:
    """Raw text of a sheet's review groups, target groups and score cells, one row each (r_<field> columns,
    with _c_<field> the column it came from). `clean` is normalise._clean."""
    g = groups(plan.columns)
    data = sheet.table.slice(plan.header_row + 1)
    n = data.num_rows
    base = {"_file": pa.array([file_idx] * n, pa.int64()), "_sheet": pa.array([plan.sheet] * n, pa.string()),
            "_row": pa.array(range(plan.header_row + 2, plan.header_row + 2 + n), pa.int64())}
    empty = pa.nulls(n, pa.string())
    none = pa.nulls(n, pa.int64())

    def col(i: int | None):
        return clean(data.column(i)) if i is not None else empty

    def idx(i: int | None):
        return pa.array([i] * n, pa.int64()) if i is not None else none

    out: dict[str, list[pa.Table]] = {"reviews": [], "targets": [], "scores": []}
    for r in g.reviews:
        cols = {**base, "_c_review_date": idx(r.date_col), "r_review_date": col(r.date_col)}
        for name in ("progress", "parent_attended", "decision"):
            cols["_c_" + name] = idx(r.details.get(name))
            cols["r_" + name] = col(r.details.get(name))
        out["reviews"].append(pa.table(cols))
    for t in g.targets:
        cols = {**base, "slot": pa.array([t.slot] * n, pa.int64()), "_c_description": idx(t.text_col),
                "r_description": col(t.text_col)}
        for name in ("area", "baseline", "value"):
            cols["_c_" + name] = idx(t.details.get(name))
            cols["r_" + name] = col(t.details.get(name))
        out["targets"].append(pa.table(cols))
        for i, _, d in t.scores:
            out["scores"].append(pa.table({**base, "slot": pa.array([t.slot] * n, pa.int64()), "_c_score": idx(i),
                                           "r_score": col(i), "score_date": pa.array([d] * n, pa.string())}))
    return {k: pa.concat_tables(v) for k, v in out.items() if v}
