"""The governors' report: aggregates only, small counts suppressed, safe to hand to a governor.

Governors oversee SEN provision but must never receive pupil names, ids, dates of birth, or a
count small enough to identify a child (DESIGN §1, §6; issue 6 item 4). So this module reads the
rules' per-pupil results and reduces them to counts *inside* senlib: the `GovernorsReport` it
returns holds only labels, protected counts as text, percentages worked out from published
counts, and chart specifications drawn from published counts. A governor's session may call
`governors_report` safely; the page, the PDF and the HTML are built from that object alone.

Suppression (senlib.privacy): the register by need, its K and E totals and review compliance by
K and E are one set of linked sums (a K total appears in both tables; it splits into reviews on
time and not on time, and not on time into overdue and no review date recorded), so they are
protected together; EHC needs assessment requests (made = agreed + refused + awaiting) and outcome progress
by area (with its totals) are each protected as their own set; escalation counts share no total,
so each is checked alone. A percentage is published only when both counts it comes from are.

Trend: the same figures at the end of the previous term (terms taken as autumn to 31 December,
spring to 31 March, summer to 31 August), each protected as it would have been in a report
published then.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

from . import access, caseload, charts, compliance, exports, privacy, progress, rules
from .names import AREAS, NEEDS
from .schoolyear import school_year_start

TITLE = "SEN report for governors"
STATUS_CODES = ("K", "E")
NO_NEED = "Primary need not recorded"
NO_AREA = "Area not recorded"
SHOWN = privacy.SHOWN


# ------------------------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Text:
    """A paragraph of the report."""

    text: str


@dataclass(frozen=True)
class Table:
    """A table of text: every count already protected and formatted ('12', 'fewer than 5', 'not shown')."""

    frame: pd.DataFrame
    caption: str = ""


@dataclass(frozen=True)
class Chart:
    """A chart (a Plotly figure as a plain dict, drawn from published counts only) and its table."""

    spec: dict
    table: Table
    caption: str = ""


@dataclass(frozen=True)
class Section:
    heading: str
    blocks: tuple[Text | Table | Chart, ...]


@dataclass(frozen=True)
class Headline:
    """A figure at the top of the report: label, value as text, and a short note."""

    label: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class GovernorsReport:
    """Everything a governor sees, and nothing more: text, protected counts, percentages, chart specs."""

    title: str
    as_of: date
    previous_term_end: date
    scope: str
    threshold: int
    headlines: tuple[Headline, ...]
    sections: tuple[Section, ...]
    footnote: str
    empty: bool = False

    @property
    def subtitle(self) -> str:
        return f"{self.scope} · as of {self.as_of:%d/%m/%Y} · compared with the end of last term ({self.previous_term_end:%d/%m/%Y})"


# ----------------------------------------------------------------------------------------- helpers


def previous_term_end(as_of: date) -> date:
    """The last day of the term before the one `as_of` falls in: 31 August before an autumn-term date,
    31 December before a spring-term date, 31 March before a summer-term date."""
    if as_of.month >= 9:
        return date(as_of.year, 8, 31)
    if as_of.month <= 3:
        return date(as_of.year - 1, 12, 31)
    return date(as_of.year, 3, 31)


def _percent(num: int, den: int) -> str:
    return f"{num / den:.0%}" if den else ""


@dataclass
class Protected:
    """Counts and their suppression status, by key; text and rates only from what may be published."""

    values: dict[Hashable, int]
    status: dict[Hashable, str]
    threshold: int

    def text(self, key: Hashable) -> str:
        return privacy.format_count(self.values[key], self.status[key], self.threshold)

    def shown(self, *keys: Hashable) -> bool:
        return all(self.status[k] == SHOWN for k in keys)

    def value(self, key: Hashable) -> int | None:
        """The count, for a chart: None unless it may be published."""
        return self.values[key] if self.shown(key) else None

    def rate(self, num: Hashable, den: Hashable, rest: Hashable | None = None) -> str:
        """'85%' when both counts are published, else 'not shown' (a rate would give a hidden count away).

        With `rest` (den = num + rest): when only the rest is small ('fewer than 5' of it, already published),
        the rate is at least (den - threshold + 1) / den, and saying so gives away nothing more than that."""
        if self.shown(num, den):
            return _percent(self.values[num], self.values[den])
        if rest is not None and self.shown(den) and self.status[rest] == privacy.PRIMARY and self.values[den]:
            floor = max(self.values[den] - self.threshold + 1, 0) * 100 // self.values[den]
            return f"at least {floor}%"
        return privacy.SECONDARY_LABEL

    def rate_value(self, num: Hashable, den: Hashable) -> float | None:
        return self.values[num] / self.values[den] if self.shown(num, den) and self.values[den] else None


def _protect(cells: Mapping[Hashable, int], relations: Sequence[tuple[Hashable, Sequence[Hashable]]],
             threshold: int) -> Protected:
    """privacy.protect over the cells. A sum of no parts (a total over an empty list, always 0) ties
    nothing together and is left out (older privacy.protect versions looped on it)."""
    relations = [(total, parts) for total, parts in relations if parts]
    status = privacy.protect(cells, relations, threshold) if cells else {}
    return Protected(dict(cells), status, threshold)


# ------------------------------------------------------------------------------------- aggregates


@dataclass
class _Figures:
    """One date's protected aggregates (the report for `as_of`, or last term's for the trend)."""

    day: date
    needs: list[str]
    register: Protected                # (need, K|E|all), ('total', K|E|all), ('review', K|E, ok|late|overdue|no_review_date)
    reviews: dict[str, int]            # reviews_held, required_to_date, reviews_required (counts of reviews)
    requests: Protected                # made, agreed, refused, awaiting
    areas: list[str]
    progress: Protected                # (area, on|off|all), ('total', on|off|all)
    stalled: Protected                 # stalled outcomes, pupils with outcomes
    escalations: list[tuple[str, str]]  # (rule id, title)
    escalated: Protected               # rule id -> pupils
    has_pupils: bool = True
    outcome_count: int = 0


def _register_cells(status: pd.DataFrame) -> tuple[list[str], dict, list]:
    """Register by need and K/E, with review compliance by K/E, as one linked set of cells and sums
    (the K and E totals are shared: they head the need table and split into reviews on time and not on
    time; not on time splits into overdue and no review date recorded)."""
    sen = status[status["sen_status"].isin(STATUS_CODES)]
    need = sen["primary_need"].map(NEEDS).where(sen["primary_need"].notna(), NO_NEED).fillna(sen["primary_need"])
    counts = pd.crosstab(need, sen["sen_status"]).reindex(columns=list(STATUS_CODES), fill_value=0)
    order = [NEEDS[c] for c in NEEDS if NEEDS[c] in counts.index]
    needs = order + sorted(set(counts.index) - set(order))
    cells: dict = {}
    relations: list = []
    for n in needs:
        for s in STATUS_CODES:
            cells[(n, s)] = int(counts.loc[n, s])
        cells[(n, "all")] = cells[(n, "K")] + cells[(n, "E")]
        relations.append(((n, "all"), [(n, "K"), (n, "E")]))
    for s in (*STATUS_CODES, "all"):
        cells[("total", s)] = sum(cells[(n, s)] for n in needs)
        relations.append((("total", s), [(n, s) for n in needs]))
    relations.append((("total", "all"), [("total", "K"), ("total", "E")]))
    overdue, no_date = sen["status"] == "overdue", sen["status"] == "no_review_date"
    for s in STATUS_CODES:
        mine = sen["sen_status"] == s
        cells[("review", s, "overdue")] = int((mine & overdue).sum())
        cells[("review", s, "no_review_date")] = int((mine & no_date).sum())
        cells[("review", s, "late")] = cells[("review", s, "overdue")] + cells[("review", s, "no_review_date")]
        cells[("review", s, "ok")] = int((mine & ~overdue & ~no_date).sum())
        relations.append((("total", s), [("review", s, "ok"), ("review", s, "late")]))
        # Overdue is not printed, but it is the difference of two printed counts: it is protected all the same.
        relations.append((("review", s, "late"), [("review", s, "overdue"), ("review", s, "no_review_date")]))
    # No 'all pupils' row: summing K and E would tie the two together, and a small EHC plan count would
    # then hide the SEN Support figures too. K and E are what the census and governors use.
    return needs, cells, relations


def _figures(cur, day: date, settings: Sequence[str] | None, threshold: int) -> _Figures:
    """Run the rules for `day` and keep nothing but protected counts."""
    scope = None if settings is None else list(settings)
    status = rules.pupil_status(cur, day, settings=scope)
    on_roll = status[~status["has_left"].astype("boolean").fillna(False)]
    needs, cells, relations = _register_cells(on_roll)
    register = _protect(cells, relations, threshold)

    summary = rules.register_summary(cur, day, settings=scope)
    row = summary[summary["plan_type"] == "all"]
    reviews = {k: int(row[k].fillna(0).iloc[0]) if len(row) else 0 for k in ("reviews_held", "required_to_date", "reviews_required")}

    req = rules.ehc_request_clocks(cur, day, settings=scope)
    req = req[pd.to_datetime(req["requested"]) >= pd.Timestamp(school_year_start(day))]
    decision = req["decision"].astype(object)
    rq = {"agreed": int((decision == "agreed").sum()), "refused": int((decision == "refused").sum())}
    rq["awaiting"] = int(len(req)) - rq["agreed"] - rq["refused"]
    rq["made"] = int(len(req))
    requests = _protect(rq, [("made", ["agreed", "refused", "awaiting"])], threshold)

    out = progress.outcome_progress(cur, day, settings=scope)
    scored = out[out["latest"].notna()]
    area = scored["area"].map(AREAS).where(scored["area"].notna(), NO_AREA).fillna(scored["area"])
    on = scored["on_track"].astype("boolean").fillna(False).astype(bool)
    areas = [a for a in AREAS.values() if a in set(area)] + sorted(set(area) - set(AREAS.values()))
    pcells: dict = {}
    prels: list = []
    for a in areas:
        mine = area == a
        pcells[(a, "on")], pcells[(a, "off")] = int((mine & on).sum()), int((mine & ~on).sum())
        pcells[(a, "all")] = pcells[(a, "on")] + pcells[(a, "off")]
        prels.append(((a, "all"), [(a, "on"), (a, "off")]))
    for part in ("on", "off", "all"):
        pcells[("total", part)] = sum(pcells[(a, part)] for a in areas)
        prels.append((("total", part), [(a, part) for a in areas]))
    prels.append((("total", "all"), [("total", "on"), ("total", "off")]))
    prog = _protect(pcells, prels, threshold)
    stalled = _protect({"stalled": int(out["stalled"].astype(bool).sum()),
                        "pupils": int(out[["setting", "pupil_id"]].drop_duplicates().shape[0])}, [], threshold)

    policy = rules.default_policy().rules
    kinds = [(rid, r.title) for rid, r in policy.items() if r.group == "escalation"]
    flagged = on_roll["flags"].explode().dropna().value_counts() if len(on_roll) else pd.Series(dtype=int)
    escalated = _protect({rid: int(flagged.get(rid, 0)) for rid, _ in kinds}, [], threshold)
    return _Figures(day=day, needs=needs, register=register, reviews=reviews, requests=requests, areas=areas,
                    progress=prog, stalled=stalled, escalations=kinds, escalated=escalated,
                    has_pupils=bool(len(on_roll)), outcome_count=int(len(out)))


# ----------------------------------------------------------------------------------------- report


def _count(value: int, threshold: int) -> str:
    """A count published on its own (no sums tie it to others): suppressed below the threshold."""
    return privacy.format_count(value, privacy.PRIMARY if privacy.is_small(value, threshold) else SHOWN, threshold)


def _not_drawn(labels: list[str]) -> str:
    """The caption under a chart that leaves small groups out, naming them."""
    if not labels:
        return "Every group is drawn; the table has the same figures."
    return (f"Not drawn, to protect pupils' privacy (fewer than 5, or hidden so they cannot be worked out): "
            f"{'; '.join(labels)}. The table gives every figure that can be published.")


def _percent_axis(fig, axis: str = "x") -> None:
    """A share is drawn on a 0-100% axis, so 13% never looks like a full bar."""
    (fig.update_xaxes if axis == "x" else fig.update_yaxes)(range=[0, 1.05], tickformat=".0%")


def _register_section(f: _Figures) -> Section:
    r = f.register
    table = pd.DataFrame({
        "Primary need": [*f.needs, "Total"],
        "SEN Support (K)": [r.text((n, "K")) for n in f.needs] + [r.text(("total", "K"))],
        "EHC plan (E)": [r.text((n, "E")) for n in f.needs] + [r.text(("total", "E"))],
        "Total": [r.text((n, "all")) for n in f.needs] + [r.text(("total", "all"))],
    })
    # The chart draws each need's total (K and E together): totals are larger, so fewer are hidden than in the split.
    short = {NEEDS["NSA"]: "No specialist assessment of need (NSA)"}  # the census label wraps onto three lines
    data = pd.DataFrame({"need": [short.get(n, n) for n in f.needs], "pupils": [r.value((n, "all")) for n in f.needs]})
    drawn = data.dropna(subset=["pupils"]).sort_values("pupils", ascending=False)
    hidden = [n for n in f.needs if not r.shown((n, "all"))]
    fig = charts.bar(drawn, x="pupils", y="need", orientation="h", order=list(drawn["need"]),
                     title="Pupils on the SEN register by primary need (SEN Support and EHC plans)", x_title="Pupils",
                     y_title="Primary need", height=170 + 40 * max(len(drawn), 1))
    blocks: list = [
        Text(f"{r.text(('total', 'all'))} pupils on roll are on the SEN register: {r.text(('total', 'K'))} on SEN Support (K) "
             f"and {r.text(('total', 'E'))} with an education, health and care (EHC) plan (E)."),
        Chart(charts.to_spec(fig), Table(table, "Pupils on the SEN register by primary need"), _not_drawn(hidden)),
    ]
    return Section("Pupils on the SEN register", tuple(blocks))


def _on_time(r: Protected, s: str) -> str:
    """The share of K or E pupils whose review is on time (no review date recorded is not on time), as published."""
    return r.rate(("review", s, "ok"), ("total", s), ("review", s, "late"))


def _compliance_section(f: _Figures, then: _Figures) -> Section:
    labels = {"K": "SEN Support (K)", "E": "EHC plan (E)"}
    totals = {"K": ("total", "K"), "E": ("total", "E")}
    r = f.register
    table = pd.DataFrame({
        "Pupils": list(labels.values()),
        "Review on time": [r.text(("review", s, "ok")) for s in labels],
        "Review not on time": [r.text(("review", s, "late")) for s in labels],
        "Of which no review date recorded": [r.text(("review", s, "no_review_date")) for s in labels],
        "Total": [r.text(totals[s]) for s in labels],
        "Share on time": [_on_time(r, s) for s in labels],
        f"Share at the end of last term ({then.day:%d/%m/%Y})": [_on_time(then.register, s) for s in labels],
    })
    rows = [{"group": labels[s], "when": when, "rate": g.register.rate_value(("review", s, "ok"), totals[s])}
            for s in labels for when, g in ((f"End of last term ({then.day:%d/%m/%Y})", then), (f"Now ({f.day:%d/%m/%Y})", f))]
    rates = pd.DataFrame(rows).dropna(subset=["rate"])
    rates = rates.sort_values("when", key=lambda w: w.str.startswith("Now"), kind="stable")  # last term first, in grey
    fig = charts.bar(rates, x="group", y="rate", color="when", percent=True, order=[v for v in labels.values()
                                                                                    if v in set(rates["group"])],
                     title="Share of pupils whose review is on time, now and at the end of last term",
                     x_title="Pupils", y_title="Review on time", legend_title="When", height=400,
                     color_map={rows[0]["when"]: charts.GREY, rows[1]["when"]: charts.OKABE_ITO["blue"]})
    _percent_axis(fig, "y")
    hidden = [f"{row['group']}, {row['when'][0].lower()}{row['when'][1:]}" for row in rows if row["rate"] is None]
    rv, th = f.reviews, r.threshold
    share = f"{rv['reviews_held'] / rv['reviews_required']:.0%}" if rv["reviews_required"] >= th and rv["reviews_held"] >= th else ""
    held = (f"Reviews held this school year (since {school_year_start(f.day):%d/%m/%Y}): {_count(rv['reviews_held'], th)} of the "
            f"{_count(rv['reviews_required'], th)} the review rules require over the whole school year"
            + (f" ({share}); {compliance.year_elapsed(f.day):.0%} of the school year has gone." if share else "."))
    blocks = [
        Text("A pupil's review is overdue when the date it was due under the review rules (termly for SEN Support, "
             "at least once a year for an EHC plan) has passed and no review has been held since. Where the school's "
             "records hold no date to work the review out from (no review held, no plan start and no next review "
             "date), the review has no review date recorded. Both count as not on time; otherwise it is on time."),
        Text(f"{r.text(('review', 'K', 'no_review_date'))} pupils on SEN Support and "
             f"{r.text(('review', 'E', 'no_review_date'))} with an EHC plan have no review date recorded: "
             "they count as not on time."),
        Chart(charts.to_spec(fig), Table(table, "Reviews on time and not on time"),
              _not_drawn(hidden) if hidden else "The same figures are in the table."),
        Text(held),
    ]
    return Section("Review compliance", tuple(blocks))


def _progress_section(f: _Figures) -> Section:
    p = f.progress
    if not f.areas:
        return Section("Progress towards outcomes", (Text("No outcome has been scored yet."),))
    table = pd.DataFrame({
        "Area of need": [*f.areas, "All areas"],
        "On track": [p.text((a, "on")) for a in f.areas] + [p.text(("total", "on"))],
        "Not on track": [p.text((a, "off")) for a in f.areas] + [p.text(("total", "off"))],
        "Outcomes scored": [p.text((a, "all")) for a in f.areas] + [p.text(("total", "all"))],
        "Share on track": [p.rate((a, "on"), (a, "all")) for a in f.areas] + [p.rate(("total", "on"), ("total", "all"))],
    })
    rates = pd.DataFrame({"area": f.areas, "rate": [p.rate_value((a, "on"), (a, "all")) for a in f.areas]}).dropna()
    fig = charts.bar(rates, x="rate", y="area", orientation="h", percent=True, order=list(rates["area"]),
                     title="Share of scored outcomes on track, by area of need", x_title="Outcomes on track",
                     y_title="Area of need", height=170 + 40 * max(len(rates), 1))
    _percent_axis(fig)
    hidden = [a for a in f.areas if a not in set(rates["area"])]
    s = f.stalled
    blocks = [
        Text("Each pupil's outcomes are scored at reviews. An outcome is on track when its target is reached, or when "
             "it has moved at least as far towards the target as the time passed towards the target date and its "
             "score has not stalled."),
        Chart(charts.to_spec(fig), Table(table, "Outcomes on track by area of need"),
              _not_drawn(hidden) if hidden else "The same figures are in the table."),
        Text(f"Outcomes whose score has not risen at the last reviews (stalled): {s.text('stalled')}."),
    ]
    return Section("Progress towards outcomes", tuple(blocks))


def _escalation_section(f: _Figures) -> Section:
    e = f.escalated
    table = pd.DataFrame({"What the rules suggest": [t for _, t in f.escalations],
                          "Pupils": [e.text(rid) for rid, _ in f.escalations]})
    data = pd.DataFrame({"kind": [t for _, t in f.escalations],
                         "pupils": [e.value(rid) for rid, _ in f.escalations]}).dropna()
    fig = charts.bar(data, x="pupils", y="kind", orientation="h", order=list(data["kind"]),
                     title="Pupils for whom the rules suggest a next step", x_title="Pupils",
                     y_title="Suggested next step", height=170 + 40 * max(len(data), 1))
    hidden = [t for rid, t in f.escalations if not e.shown(rid)]
    blocks = [
        Text("The graduated response: where progress is less than expected, the rules suggest the next step (for "
             "example a My Support Plan, or a request for an EHC needs assessment); where outcomes are met, "
             "reducing support. A pupil may have more than one suggestion."),
        Chart(charts.to_spec(fig), Table(table, "Suggested next steps"), _not_drawn(hidden)),
    ]
    return Section("Escalations", tuple(blocks))


def _requests_section(f: _Figures) -> Section:
    q = f.requests
    table = pd.DataFrame({
        "Requests for an EHC needs assessment": ["Made this school year", "Council agreed to assess",
                                                 "Council refused to assess", "Awaiting the council's decision"],
        "Number": [q.text(k) for k in ("made", "agreed", "refused", "awaiting")],
    })
    return Section("EHC needs assessment requests", (
        Text(f"Requests the school made since {school_year_start(f.day):%d/%m/%Y}, and what the council has decided so far."),
        Table(table, "EHC needs assessment requests this school year"),
    ))


def _trend_section(now: _Figures, then: _Figures) -> Section:
    def row(label: str, get) -> dict:
        return {"Measure": label, f"End of last term ({then.day:%d/%m/%Y})": get(then), f"Now ({now.day:%d/%m/%Y})": get(now)}

    rows = [
        row("Pupils on SEN Support (K)", lambda f: f.register.text(("total", "K"))),
        row("Pupils with an EHC plan (E)", lambda f: f.register.text(("total", "E"))),
        row("SEN Support: reviews on time", lambda f: _on_time(f.register, "K")),
        row("SEN Support: reviews not on time", lambda f: f.register.text(("review", "K", "late"))),
        row("SEN Support: no review date recorded", lambda f: f.register.text(("review", "K", "no_review_date"))),
        row("EHC plans: reviews on time", lambda f: _on_time(f.register, "E")),
        row("EHC plans: reviews not on time", lambda f: f.register.text(("review", "E", "late"))),
        row("EHC plans: no review date recorded", lambda f: f.register.text(("review", "E", "no_review_date"))),
        row("Scored outcomes on track", lambda f: f.progress.rate(("total", "on"), ("total", "all")) if f.areas else "none scored"),
        row("EHC needs assessment requests made in the school year to that date", lambda f: f.requests.text("made")),
    ]
    return Section("Compared with the end of last term", (
        Text("The same figures as they stood at the end of last term, worked out by the same rules on the records as "
             "they were then."),
        Table(pd.DataFrame(rows), "Then and now"),
    ))


def _headlines(f: _Figures) -> tuple[Headline, ...]:
    r = f.register
    return (
        Headline("SEN Support (K)", r.text(("total", "K"))),
        Headline("EHC plans (E)", r.text(("total", "E"))),
        Headline("SEN Support reviews on time", _on_time(r, "K"), f"{r.text(('review', 'K', 'late'))} not on time"),
        Headline("EHC plan reviews on time", _on_time(r, "E"), f"{r.text(('review', 'E', 'late'))} not on time"),
        Headline("Outcomes on track", f.progress.rate(("total", "on"), ("total", "all")) if f.areas else "none scored",
                 f"of {f.progress.text(('total', 'all'))} scored" if f.areas else ""),
    )


def governors_report(cur, as_of: date, settings: Sequence[str] | None = None, *,
                     threshold: int = privacy.DEFAULT_THRESHOLD, viewer=None) -> GovernorsReport:
    """The governors' report for `as_of` (and the settings in scope): aggregates only, small counts
    suppressed with secondary suppression, compared with the end of the previous term.

    `viewer` (senlib.access.Viewer), when given, must be a SENCo, leader or governor, and limits the
    settings to those the viewer may see. The pupil-level rules results this reads never leave this module.
    """
    settings = access.scope_for(viewer, settings, access.ROLES)
    names = caseload.settings_list(cur) if settings is None else list(settings)
    scope = ", ".join(names) or "No setting"
    previous = previous_term_end(as_of)
    with ThreadPoolExecutor(max_workers=2) as pool:  # now and last term side by side, each on its own cursor
        later = pool.submit(_figures, cur.cursor(), previous, settings, threshold)
        now = _figures(cur, as_of, settings, threshold)
        then = later.result()
    footnote = (f"To protect pupils' privacy, a count below {threshold} is shown as '{privacy.small_label(threshold)}', and "
                f"where it could be worked out by subtracting other published figures, another count is shown as "
                f"'{privacy.SECONDARY_LABEL}'. No pupil is named or identified in this report.")
    if not now.has_pupils:
        return GovernorsReport(TITLE, as_of, previous, scope, threshold, (), (
            Section("No pupils", (Text("There are no pupils on roll on this date, so there is nothing to report yet."),)),),
            footnote, empty=True)
    sections = (_register_section(now), _compliance_section(now, then), _progress_section(now), _escalation_section(now),
                _requests_section(now), _trend_section(now, then))
    return GovernorsReport(TITLE, as_of, previous, scope, threshold, _headlines(now), sections, footnote)


# ---------------------------------------------------------------------------------------- exports


def to_export(report: GovernorsReport) -> exports.Report:
    """The report as senlib.exports builds documents: headline table first, then each section."""
    sections = []
    if report.headlines:
        head = pd.DataFrame({"Figure": [h.label for h in report.headlines], "Value": [h.value for h in report.headlines],
                             "Detail": [h.note for h in report.headlines]})
        sections.append(exports.Section("Summary", [exports.Table(head)]))
    for s in report.sections:
        blocks: list = []
        for b in s.blocks:
            if isinstance(b, Text):
                blocks.append(b.text)
            elif isinstance(b, Table):
                blocks.append(exports.Table(b.frame, b.caption))
            else:  # the chart, then its table always: the table holds the groups too small to draw
                blocks.append(exports.Chart(charts.from_spec(b.spec), None, b.caption))
                blocks.append(exports.Table(b.table.frame, b.table.caption))
        sections.append(exports.Section(s.heading, blocks))
    return exports.Report(title=report.title, sections=sections, subtitle=report.subtitle, footnote=report.footnote)


def to_pdf(report: GovernorsReport, *, charts: bool = True, generated: datetime | None = None) -> bytes:
    """The report as an A4 PDF with its charts."""
    return exports.to_pdf(to_export(report), charts=charts, generated=generated)


def to_html(report: GovernorsReport, *, charts: bool = True, generated: datetime | None = None) -> bytes:
    """The report as one self-contained HTML file with its charts."""
    return exports.to_html(to_export(report), charts=charts, generated=generated)


def file_stem(report: GovernorsReport) -> str:
    """A download file name without extension, e.g. 'sen-governors-report-2026-11-23'."""
    return f"sen-governors-report-{report.as_of:%Y-%m-%d}"


__all__ = ["Chart", "GovernorsReport", "Headline", "Section", "Table", "Text", "file_stem", "governors_report",
           "previous_term_end", "to_export", "to_html", "to_pdf"]
