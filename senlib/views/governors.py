"""The governors' report: aggregates only, small counts suppressed, safe to hand to a governor.

Governors oversee SEN provision but must never receive pupil names, ids, dates of birth, or a
count small enough to identify a child (DESIGN §1, §6; issue 6 item 4). So this module reads the
rules' per-pupil results and reduces them to counts *inside* senlib: the `GovernorsReport` it
returns holds only labels, protected counts as text, rates worked out from published counts (or
bands that hold every rate the published counts allow), and chart specifications drawn from those.
A governor's session may call `governors_report` safely; the page, the PDF and the HTML are built
from that object alone.

Made to be read at a 20-pupil school (issue 14, item 2), where most single figures are under 5:
- needs are grouped into the four broad areas of need wherever a need's own count would be hidden;
- a hidden count is given as the range the published figures already imply ("16–20") when that range
  is finite, and a rate whose count is hidden as a band wide enough to hold every value they allow
  ("75% or more"), never exactly (senlib.access.privacy.public_bounds);
- no chart is drawn empty: a chart draws what can be shown and marks the rest, or a sentence says why
  there is no chart;
- comparisons are like with like: figures on a day with the same day a year before, figures for the
  school year so far with last school year to the same date; when the school's records do not reach
  back a year, the report says so instead of comparing with nothing;
- the SENCo's commentary (senlib.store.commentary) is shown only while it names no pupil on the register.

Suppression (senlib.access.privacy): everything shown, now and a year ago, is protected in one call. The
register by area and need, its K and E totals and review compliance by K and E are one set of linked
sums (a K total heads the need table and splits into reviews on time and not on time, and not on time
into overdue and no review date recorded); EHC needs assessment requests (made = agreed + refused +
awaiting) and outcome progress by area (with its totals) are each their own set; escalation counts
share no total, so each is checked alone.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import pandas as pd
import plotly.graph_objects as go

from senlib import access, rules
from senlib.access import privacy
from senlib.core.names import AREAS, NEED_AREA, NEEDS, PROVISION_KINDS, not_recorded
from senlib.core.schoolyear import school_year_start
from senlib.render import charts, exports
from senlib.render.document import Chart, Document, Headline, Section, Table, Text
from senlib.rules import provision as provision_rules
from senlib.rules import tracking
from senlib.rules.tracking import not_tracked, tracked_fields
from senlib.store import commentary
from senlib.views import compliance, overview, progress

TITLE = "SEN report for governors"
STATUS_CODES = ("K", "E")
NO_NEED = not_recorded("Primary need")
NO_AREA = not_recorded("Area")
OTHER_AREA = "Other or not recorded"
SHOWN = privacy.SHOWN
NOW, THEN = "now", "then"
INDENT = "\u2003"  # an em space: a need row under its area
NO_CHART = ("Every group here has fewer than 5 pupils, or could be worked out from the others, so there is no chart: "
            "the table gives every figure that can be published.")


# ------------------------------------------------------------------------------------------- model


@dataclass(frozen=True)
class GovernorsReport:
    """Everything a governor sees, and nothing more: text, protected counts, rates, chart specs."""

    title: str
    as_of: date
    compared_with: date | None     # the same date a year before; None when the records do not reach back that far
    scope: str
    threshold: int
    headlines: tuple[Headline, ...]
    sections: tuple[Section, ...]
    footnote: str
    empty: bool = False
    settings: tuple[str, ...] = ()     # the settings the report covers (the SENCo's commentary is kept for these)
    commentary_withheld: bool = False  # the SENCo's commentary names a pupil now: not shown until rewritten

    @property
    def subtitle(self) -> str:
        when = (f"compared with the same date last year ({self.compared_with:%d/%m/%Y})" if self.compared_with
                else "no comparison with last year (the records do not go back that far)")
        return f"{self.scope} · as of {self.as_of:%d/%m/%Y} · {when}"

    @property
    def document(self) -> Document:
        """The report as the page, the PDF and the HTML file all render it (senlib.render.document)."""
        return Document(self.title, self.sections, self.subtitle, self.footnote, self.headlines)


# ----------------------------------------------------------------------------------------- helpers


def year_before(day: date) -> date:
    """The same date a year earlier (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


@dataclass(frozen=True)
class Rate:
    """A share as published: exact ('85%') when both counts are shown, else a band ('75% or more') or nothing."""

    text: str
    value: float | None = None
    band: tuple[float, float] | None = None


@dataclass
class Protected:
    """Counts, their suppression status and the ranges the published figures imply, by key.

    `at(prefix)` gives the view of one date (keys are (prefix, key) underneath). Text and rates come only from
    what may be published."""

    values: dict[Hashable, int]
    status: dict[Hashable, str]
    threshold: int
    bounds: dict[Hashable, tuple[int, int]] = field(default_factory=dict)
    prefix: str | None = None
    relations: list = field(default_factory=list)  # the sums protected together (for the audit's tests)

    def at(self, prefix: str) -> Protected:
        return replace(self, prefix=prefix)

    def _k(self, key: Hashable) -> Hashable:
        return key if self.prefix is None else (self.prefix, key)

    def has(self, key: Hashable) -> bool:
        return self._k(key) in self.status

    def _bounds(self, key: Hashable) -> tuple[int, int]:
        k = self._k(key)
        if k in self.bounds:
            return self.bounds[k]
        s = self.status[k]
        return (self.values[k],) * 2 if s == SHOWN else (0, self.threshold - 1) if s == privacy.PRIMARY else (
            self.threshold, privacy.UNBOUNDED)

    def text(self, key: Hashable) -> str:
        """'12', 'fewer than 5', a range the published figures imply ('16–20'), or 'not shown'."""
        k = self._k(key)
        if self.status[k] == privacy.SECONDARY:
            lo, hi = self._bounds(key)
            if hi < privacy.UNBOUNDED:
                return f"{lo:,}" if lo == hi else f"{lo:,}–{hi:,}"
        return privacy.format_count(self.values[k], self.status[k], self.threshold)

    def shown(self, *keys: Hashable) -> bool:
        return all(self.status[self._k(k)] == SHOWN for k in keys)

    def value(self, key: Hashable) -> int | None:
        """The count, for a chart: None unless it may be published."""
        return self.values[self._k(key)] if self.shown(key) else None

    def rate(self, num: Hashable, den: Hashable, rest: Hashable | None = None) -> Rate:
        """num / den: exact when both are published; otherwise a band holding every value the published figures
        allow (with `rest`, den = num + rest, which narrows it), or 'not shown' when that band is 0-100%."""
        if self.shown(num, den):
            d = self.values[self._k(den)]
            if not d:
                return Rate("")
            v = self.values[self._k(num)] / d
            return Rate(f"{v:.0%}", v)
        (a, b) = self._bounds(num)
        if rest is not None:
            (e, f) = self._bounds(rest)
            low = a / (a + f) if a + f else 0.0
            high = b / (b + e) if b + e else 1.0
        else:
            (c, d) = self._bounds(den)
            low = a / d if d else 0.0
            high = min(1.0, b / c) if c else 1.0
        band = privacy.rate_band(low, high)
        if band is None:
            return Rate(privacy.SECONDARY_LABEL)
        return Rate(privacy.band_label(band), None, band)


def _protect(cells: Mapping[Hashable, int], relations: Sequence[tuple[Hashable, Sequence[Hashable]]],
             threshold: int) -> Protected:
    """privacy.protect over the cells, and the ranges the result lets anyone work out. A sum of no parts (a total over
    an empty list, always 0) ties nothing together and is left out."""
    relations = [(total, parts) for total, parts in relations if parts]
    if not cells:
        return Protected({}, {}, threshold)
    status = privacy.protect(cells, relations, threshold)
    bounds = privacy.public_bounds(cells, relations, status, threshold, small_includes_zero=status.small_includes_zero)
    return Protected(dict(cells), dict(status), threshold, bounds, relations=list(relations))


def _count(value: int, threshold: int) -> str:
    """A count published on its own (no sums tie it to others): suppressed below the threshold."""
    return privacy.format_count(value, privacy.PRIMARY if privacy.is_small(value, threshold) else SHOWN, threshold)


# ------------------------------------------------------------------------------------- aggregates


def _area_of(code: object) -> str:
    if code is None or (isinstance(code, float) and pd.isna(code)) or code is pd.NA:
        return OTHER_AREA
    return AREAS.get(NEED_AREA.get(str(code), ""), OTHER_AREA)


@dataclass
class _Raw:
    """One date's counts before protection, and what they are counts of."""

    day: date
    cells: dict = field(default_factory=dict)
    relations: list = field(default_factory=list)
    areas: list[str] = field(default_factory=list)          # broad areas on the register, in order
    needs: dict[str, list[str]] = field(default_factory=dict)  # area -> its needs (labels) shown under it
    progress_areas: list[str] = field(default_factory=list)
    reviews: dict[str, int] = field(default_factory=dict)
    escalations: list[tuple[str, str]] = field(default_factory=list)
    untracked: set[str] = field(default_factory=set)  # escalation rule ids no tracker in scope allows
    has_pupils: bool = True
    scores_tracked: bool = True   # some setting in scope has imported scaling scores (or tracks every field)
    reg_cells: dict = field(default_factory=dict)
    reg_relations: list = field(default_factory=list)
    grouped: list[str] = field(default_factory=list)  # areas given without their needs (a need's count was hidden)
    sen: pd.DataFrame | None = None  # pupils' rows, for regrouping the register; dropped before the report is made
    provision: _Provision | None = None  # this school year's provision (now only); None: no setting records any
    meetings: _Meetings | None = None  # review meetings kept in the app (now only); None: no setting keeps any

    def all_cells(self) -> tuple[dict, list]:
        return self.cells | self.reg_cells, self.relations + self.reg_relations


PROVISION_HEADING = "Provision: what it costs and what it does"
MEETINGS_HEADING = "Review meetings"


@dataclass
class _Meetings:
    """The settings that keep review meetings in the app, and those that do not; the counts are in _Raw.cells
    (("meet", ...): the reviews held this school year with a meeting record, and each figure of them)."""

    settings: list[str]
    untracked: list[str]


# The figures of the section, as compliance.MEETING_FIGURES names them: figure -> the count they are out of.
MEETING_OF = {"parents": ("meet", "all"), "child": ("meet", "all"), "reports": ("meet", "ehcp"),
              "council": ("meet", "council", "due")}


def _meetings(raw: _Raw, cur, day: date, scope: list[str] | None, in_scope: set[str]) -> None:
    """Count the reviews held this school year that have a meeting record (kept in the app) and how many of them met
    each figure, as one linked set of cells: every review is an EHC plan review or not; each figure splits the reviews
    it is out of into met and not met; an EHC plan review's report to the council is due or not yet. Nothing when no
    setting in scope keeps meeting records (not tracked)."""
    keeping = tracking.meeting_settings(cur, scope)
    if not keeping:
        return
    reviews = rules.review_quality(cur, day, settings=scope, viewer=access.TRUSTED, since=school_year_start(day))
    m = compliance.meeting_figures(reviews, day)
    ehcp = m["plan_type"] == "ehcp"
    cells, rels = raw.cells, raw.relations
    cells[("meet", "all")], cells[("meet", "ehcp")] = int(len(m)), int(ehcp.sum())
    cells[("meet", "other")] = int(len(m)) - int(ehcp.sum())
    rels.append((("meet", "all"), [("meet", "ehcp"), ("meet", "other")]))
    council = m["council"].astype("boolean")
    cells[("meet", "council", "due")] = int((ehcp & council.notna()).sum())
    cells[("meet", "council", "not_due")] = int((ehcp & council.isna()).sum())
    rels.append((("meet", "ehcp"), [("meet", "council", "due"), ("meet", "council", "not_due")]))
    for name, of in MEETING_OF.items():
        value = m[name].astype("boolean")
        cells[("meet", name, "yes")] = int(value.fillna(False).sum())
        cells[("meet", name, "no")] = int((value == False).fillna(False).sum())  # noqa: E712 (a nullable boolean)
        rels.append((of, [("meet", name, "yes"), ("meet", name, "no")]))
    raw.meetings = _Meetings(keeping, sorted(in_scope - set(keeping)))
NO_KIND = "Kind not recorded"


@dataclass
class _Provision:
    """This school year's provision as amounts already protected (privacy.protect_amounts) and counts to protect
    with the report's others (keys in _Raw.cells). No pupil and no intervention leaves: only kinds and totals."""

    kinds: list[str]                     # kinds of provision with pupils this school year or now (labels), in order
    spend: dict = field(default_factory=dict)   # ("spend", kind | "total") -> £ (None: not tracked)
    hours: dict = field(default_factory=dict)   # ("hours", kind | "total") -> staff hours a week now (None: not tracked)
    status: dict = field(default_factory=dict)  # the amounts' statuses (shown / primary / secondary)
    untracked: list[str] = field(default_factory=list)  # settings in scope that record no provision
    not_costed: int = 0                  # interventions with pupils this school year and no cost recorded
    judged: int = 0                      # interventions with enough pupils scored on entry and exit to judge
    meeting: int = 0                     # of which the median gain reached the gain expected
    too_few: int = 0                     # interventions with a gain expected but too few pupils scored yet
    min_pupils: int = 5
    over_text: str = "£6,000"            # provision_over_notional's threshold in force, as a reader reads it
    register_key: Hashable = ("total", "all")  # the count the share of the register with provision is over


def _kind_label(code: object) -> str:
    return PROVISION_KINDS.get(code, NO_KIND) if isinstance(code, str) else NO_KIND


def _provision(raw: _Raw, cur, day: date, scope: list[str] | None, sen_on_roll: pd.DataFrame, threshold: int) -> None:
    """Count and protect this school year's provision for the report (now only); nothing when no setting in scope
    records provision. Spend (each intervention's cost a year, where costed) and staff hours a week (of the
    interventions with pupils now) by kind and in total are protected as amounts: none about fewer than `threshold`
    pupils is shown, directly or by difference. The counts of pupils join the report's counts."""
    pu = provision_rules.pupils(cur, day, scope, viewer=access.TRUSTED)
    recording = set(pu.loc[pu["setting_records_provision"].astype(bool), "setting"])
    in_scope = set(sen_on_roll["setting"]) | set(pu["setting"])
    if not recording:
        return
    iv = provision_rules.interventions(cur, day, scope, viewer=access.TRUSTED)
    pl = provision_rules.places(cur, day, scope, viewer=access.TRUSTED)
    pl = pl.assign(pk=list(zip(pl["setting"], pl["pupil_id"], strict=True)), kind_label=pl["kind"].map(_kind_label))
    iv = iv.assign(atom=list(zip(iv["setting"], iv["provision_id"], strict=True)), kind_label=iv["kind"].map(_kind_label))
    year = pl[pl["days_this_year"] > 0]
    now = pl[pl["current"].astype(bool)]
    atom = lambda f: list(zip(f["setting"], f["provision_id"], strict=True))  # noqa: E731
    year_of = {a: frozenset(g["pk"]) for a, g in year.assign(atom=atom(year)).groupby("atom")}
    now_of = {a: frozenset(g["pk"]) for a, g in now.assign(atom=atom(now)).groupby("atom")}
    order = [*PROVISION_KINDS.values(), NO_KIND]
    present = set(year["kind_label"]) | set(now["kind_label"])
    kinds = [k for k in order if k in present]
    info = _Provision(kinds=kinds, untracked=sorted(in_scope - recording))

    costed = iv[iv["atom"].isin(year_of) & iv["cost_year"].notna()]
    timed = iv[iv["atom"].isin(now_of) & iv["hours_week"].notna()]
    info.not_costed = int((iv["atom"].isin(year_of) & iv["cost_year"].isna()).sum())
    cells: dict = {}
    for name, frame, measure, atoms_of in (("spend", costed, "cost_year", year_of), ("hours", timed, "hours_week", now_of)):
        out = info.spend if name == "spend" else info.hours
        parts = {}
        for k in kinds:
            mine = frame[frame["kind_label"] == k]
            out[(name, k)] = float(mine[measure].sum()) if len(mine) else None
            if len(mine):
                parts[(name, k)] = list(mine["atom"])
        out[(name, "total")] = float(frame[measure].sum()) if len(frame) else None
        if len(frame):
            parts[(name, "total")] = list(frame["atom"])
        status = privacy.protect_amounts(parts, atoms_of, threshold)
        info.status.update(status)
        cells.update(parts)

    # counts of pupils, protected with the report's: by kind this school year (no sum ties kinds: a pupil may be on
    # several), the register with provision now and without it, and those over the notional SEN budget's threshold
    for k in kinds:
        raw.cells[("prov_pupils", k)] = int(year.loc[year["kind_label"] == k, "pk"].nunique())
    raw.cells[("prov_pupils", "total")] = int(year["pk"].nunique())
    on_roll = pu[~pu["has_left"].astype(bool) & pu["sen_status"].isin(STATUS_CODES)]
    mine = on_roll[on_roll["setting"].isin(recording)]
    with_now = int((mine["places_now"] > 0).sum())
    raw.cells[("prov_reg", "with")] = with_now
    raw.cells[("prov_reg", "without")] = int(len(mine)) - with_now
    if recording >= set(on_roll["setting"]):
        raw.relations.append((("total", "all"), [("prov_reg", "with"), ("prov_reg", "without")]))
    else:
        info.register_key = ("prov_reg", "register")
        raw.cells[("prov_reg", "register")] = int(len(mine))
        raw.cells[("prov_reg", "elsewhere")] = int(len(on_roll)) - int(len(mine))
        raw.relations.append((("prov_reg", "register"), [("prov_reg", "with"), ("prov_reg", "without")]))
        raw.relations.append((("total", "all"), [("prov_reg", "register"), ("prov_reg", "elsewhere")]))
    raw.cells[("prov_over",)] = int(pu.loc[~pu["has_left"].astype(bool), "over_threshold"].astype(bool).sum())

    # effectiveness: interventions (not pupils) judged on enough scored pupils, as rule provision_low_impact judges
    running = iv[iv["in_year"].astype(bool) & iv["expected_gain"].notna()]
    enough = running["pupils_scored"] >= running["min_pupils"]
    judged = running[enough & running["median_gain"].notna()]
    info.judged, info.too_few = int(len(judged)), int((~enough).sum())
    info.meeting = int((judged["median_gain"] >= judged["expected_gain"]).sum())
    info.min_pupils = int(running["min_pupils"].min()) if len(running) else info.min_pupils
    info.over_text = rules.in_force(cur, "provision_over_notional", "threshold", sorted(recording))
    raw.provision = info


def _register(raw: _Raw, collapsed: set[str], detail: bool) -> None:
    """Register by broad area (and need, where `detail` and the area is not collapsed) and K/E, with review
    compliance by K/E, as one linked set of cells and sums."""
    sen = raw.sen
    raw.needs, raw.reg_cells, raw.reg_relations, raw.grouped = {}, {}, [], []
    need = sen["primary_need"].map(NEEDS).where(sen["primary_need"].notna(), NO_NEED).fillna(sen["primary_need"])
    area = sen["primary_need"].map(_area_of)
    order = [*AREAS.values(), OTHER_AREA]
    raw.areas = [a for a in order if a in set(area)]
    cells, rels = raw.reg_cells, raw.reg_relations
    for a in raw.areas:
        mine = sen[area == a]
        for s in STATUS_CODES:
            cells[("reg", a, s)] = int((mine["sen_status"] == s).sum())
        cells[("reg", a, "all")] = cells[("reg", a, "K")] + cells[("reg", a, "E")]
        rels.append((("reg", a, "all"), [("reg", a, "K"), ("reg", a, "E")]))
        labels = [NEEDS[c] for c in NEEDS if NEEDS[c] in set(need[area == a])] + sorted(set(need[area == a]) - set(NEEDS.values()))
        if not detail or len(labels) < 2:
            continue
        if a in collapsed:
            raw.grouped.append(a)
            continue
        raw.needs[a] = labels
        for n in labels:
            here = need[area == a] == n
            for s in STATUS_CODES:
                cells[("need", n, s)] = int((here & (mine["sen_status"] == s)).sum())
            cells[("need", n, "all")] = cells[("need", n, "K")] + cells[("need", n, "E")]
            rels.append((("need", n, "all"), [("need", n, "K"), ("need", n, "E")]))
        for s in (*STATUS_CODES, "all"):
            rels.append((("reg", a, s), [("need", n, s) for n in labels]))
    for s in (*STATUS_CODES, "all"):
        cells[("total", s)] = sum(cells[("reg", a, s)] for a in raw.areas)
        rels.append((("total", s), [("reg", a, s) for a in raw.areas]))
    rels.append((("total", "all"), [("total", "K"), ("total", "E")]))
    if not detail:  # a year ago only the totals are shown: the areas' cells would only hide more of them
        for key in [k for k in cells if k[0] == "reg"]:
            del cells[key]
        rels[:] = [(t, parts) for t, parts in rels if t[0] != "reg" and not any(p[0] == "reg" for p in parts)]
        raw.areas = []
    overdue, no_date = sen["status"] == "overdue", sen["status"] == "no_review_date"
    for s in STATUS_CODES:
        mine = sen["sen_status"] == s
        cells[("review", s, "overdue")] = int((mine & overdue).sum())
        cells[("review", s, "no_review_date")] = int((mine & no_date).sum())
        cells[("review", s, "late")] = cells[("review", s, "overdue")] + cells[("review", s, "no_review_date")]
        cells[("review", s, "ok")] = int((mine & ~overdue & ~no_date).sum())
        rels.append((("total", s), [("review", s, "ok"), ("review", s, "late")]))
        # Overdue is not printed, but it is the difference of two printed counts: it is protected all the same.
        rels.append((("review", s, "late"), [("review", s, "overdue"), ("review", s, "no_review_date")]))
    # No 'all pupils' review row: summing K and E would tie the two together, and a small EHC plan count would
    # then hide the SEN Support figures too. K and E are what the census and governors use.


def _raw(cur, day: date, settings: Sequence[str] | None, detail: bool, threshold: int = privacy.DEFAULT_THRESHOLD) -> _Raw:
    """Run the rules for `day` and keep nothing but counts (protected later, with the other date's).

    `settings` is the report's scope, already narrowed to what its reader may see (governors_report), so the
    rules run as access.TRUSTED: no pupil row leaves this function, only counts."""
    scope = None if settings is None else list(settings)
    raw = _Raw(day=day)
    status = rules.pupil_status(cur, day, settings=scope, viewer=access.TRUSTED)
    on_roll = status[~status["has_left"].astype("boolean").fillna(False)]
    raw.has_pupils = bool(len(on_roll))
    raw.sen = on_roll.loc[on_roll["sen_status"].isin(STATUS_CODES), ["sen_status", "primary_need", "status"]]
    _register(raw, set(), detail)

    summary = rules.register_summary(cur, day, settings=scope, viewer=access.TRUSTED)
    row = summary[summary["plan_type"] == "all"]
    raw.reviews = {k: int(row[k].fillna(0).iloc[0]) if len(row) else 0
                   for k in ("reviews_held", "required_to_date", "reviews_required")}

    req = rules.ehc_request_clocks(cur, day, settings=scope, viewer=access.TRUSTED)
    when = pd.to_datetime(req["requested"])
    req = req[(when >= pd.Timestamp(school_year_start(day))) & (when <= pd.Timestamp(day))]
    decision = req["decision"].astype(object)
    rq = {"agreed": int((decision == "agreed").sum()), "refused": int((decision == "refused").sum())}
    rq["awaiting"] = int(len(req)) - rq["agreed"] - rq["refused"]
    rq["made"] = int(len(req))
    raw.cells.update({("req", k): v for k, v in rq.items()})
    raw.relations.append((("req", "made"), [("req", "agreed"), ("req", "refused"), ("req", "awaiting")]))

    tracked = tracked_fields(cur, scope).values()
    raw.scores_tracked = any(t is None or "scores.score" in t for t in tracked)
    out = progress.outcome_progress(cur, day, settings=scope, viewer=access.TRUSTED)
    scored = out[out["latest"].notna()]
    area = scored["area"].map(AREAS).where(scored["area"].notna(), NO_AREA).fillna(scored["area"])
    on = scored["on_track"].astype("boolean").fillna(False).astype(bool)
    raw.progress_areas = [a for a in AREAS.values() if a in set(area)] + sorted(set(area) - set(AREAS.values()))
    for a in raw.progress_areas:
        mine = area == a
        raw.cells[("prog", a, "on")], raw.cells[("prog", a, "off")] = int((mine & on).sum()), int((mine & ~on).sum())
        raw.cells[("prog", a, "all")] = raw.cells[("prog", a, "on")] + raw.cells[("prog", a, "off")]
        raw.relations.append((("prog", a, "all"), [("prog", a, "on"), ("prog", a, "off")]))
    raw.cells[("prog", "total", "on")] = int(on.sum())
    raw.cells[("prog", "total", "off")] = int((~on).sum())
    raw.cells[("prog", "total", "all")] = int(len(scored))
    raw.relations.append((("prog", "total", "all"), [("prog", "total", "on"), ("prog", "total", "off")]))
    for part in ("on", "off", "all"):
        raw.relations.append((("prog", "total", part), [("prog", a, part) for a in raw.progress_areas]))
    if detail:
        raw.cells[("stalled",)] = int(out["stalled"].astype(bool).sum())

        policy = rules.default_policy().rules
        raw.escalations = [(rid, r.title) for rid, r in policy.items() if r.group == "escalation"]
        missing = not_tracked(cur, scope, groups=("escalation",))
        settings_in = set(on_roll["setting"])
        raw.untracked = {rid for rid, _ in raw.escalations
                         if settings_in and settings_in <= set(missing.loc[missing["rule_id"] == rid, "setting"])}
        flagged = on_roll["flags"].explode().dropna().value_counts() if len(on_roll) else pd.Series(dtype=int)
        raw.cells.update({("esc", rid): int(flagged.get(rid, 0)) for rid, _ in raw.escalations if rid not in raw.untracked})
        _provision(raw, cur, day, scope, on_roll, threshold)
        _meetings(raw, cur, day, scope, set(on_roll["setting"]))
    return raw


def _records_begin(cur, settings: Sequence[str] | None) -> date | None:
    """The earliest date the records in scope hold: a review held, a plan's start, a need identified, an EHC needs
    assessment request. Before it there is nothing to compare with."""
    where = "" if settings is None else " WHERE setting IN (SELECT unnest(?::VARCHAR[]))"
    parts = [f"SELECT min(review_date) AS d FROM reviews{where}{' AND' if where else ' WHERE'} coalesce(held, TRUE)",
             f"SELECT min(start_date) FROM plans{where}", f"SELECT min(date_identified) FROM pupils{where}",
             f"SELECT min(requested) FROM ehc_requests{where}"]
    params = [] if settings is None else [list(settings)] * len(parts)
    row = cur.execute(f"SELECT min(d) FROM ({' UNION ALL '.join(parts)})", params).fetchone()
    return row[0] if row and row[0] else None


@dataclass
class _Figures:
    """The report's protected figures: `now` and (when the records reach back a year) `then`, one protected set."""

    now: _Raw
    then: _Raw | None
    p: Protected

    def at(self, when: str) -> Protected:
        return self.p.at(when)


def _figures(cur, as_of: date, settings: Sequence[str] | None, threshold: int) -> _Figures:
    """Count both dates, protect everything shown in one call; where a need's count would be hidden, group it into
    its broad area and protect again."""
    before = year_before(as_of)
    begin = _records_begin(cur, settings)
    compare = begin is not None and begin <= before
    collapsed: set[str] = set()
    with ThreadPoolExecutor(max_workers=1) as pool:  # a year ago on its own cursor, beside today's
        later = pool.submit(_raw, cur.cursor(), before, settings, False, threshold) if compare else None
        now = _raw(cur, as_of, settings, True, threshold)
        then = later.result() if later else None
    while True:
        cells: dict = {}
        relations: list = []
        for when, raw in ((NOW, now), (THEN, then)):
            if raw is None:
                continue
            c, r = raw.all_cells()
            cells |= {(when, k): v for k, v in c.items()}
            relations += [((when, t), [(when, x) for x in parts]) for t, parts in r]
        p = _protect(cells, relations, threshold)
        hide = {a for a, labels in now.needs.items() if any(p.status[(NOW, ("need", n, "all"))] != SHOWN for n in labels)}
        if not hide:
            for raw in (now, then):
                if raw is not None:
                    raw.sen = None
            return _Figures(now, then, p)
        collapsed |= hide
        _register(now, collapsed, True)


# ----------------------------------------------------------------------------------------- charts


def _wrapped(label: str) -> str:
    return charts.wrap(charts.plain(label), 24)


def _count_chart(labels: Sequence[str], p: Protected, keys: Sequence[Hashable], *, title: str, x_title: str,
                 y_title: str, value_text: Callable[[float], str] = lambda v: f"{v:,}",
                 hover: str = "%{y}: %{x:,}<extra></extra>", tick_prefix: str = "") -> dict | None:
    """Horizontal bars of published figures (counts; or amounts, with `value_text`, `hover` and `tick_prefix`: any
    protected result with .value and .text), first label on top. A hidden group keeps its row and reads what the table
    says ('fewer than 5'); with nothing to draw, None (the caller says so in words)."""
    values = [p.value(k) for k in keys]
    if all(v is None for v in values):
        return None
    rows = [_wrapped(label) for label in labels]
    fig = go.Figure(_validate=False)
    fig.add_trace(go.Bar(x=values, y=rows, orientation="h", marker_color=charts.PALETTE[0], showlegend=False,
                         text=[value_text(v) if v is not None else "" for v in values], textposition="auto",
                         hovertemplate=hover))
    hidden = [(row, p.text(k)) for row, k, v in zip(rows, keys, values, strict=True) if v is None]
    if hidden:
        fig.add_trace(go.Scatter(x=[0] * len(hidden), y=[r for r, _ in hidden], text=[f"\u2002{t}" for _, t in hidden],
                                 mode="text", textposition="middle right", showlegend=False, hoverinfo="skip",
                                 textfont={"color": charts.GREY}))
    fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(rows)))
    fig.update_xaxes(rangemode="tozero", **({"tickprefix": tick_prefix} if tick_prefix else {}))
    charts.style(fig, title=title, x_title=x_title, y_title=y_title, height=170 + 44 * len(rows))
    return charts.to_spec(fig)


BAND_NOTE = ("A hatched bar is a band: the exact share is not published because a count it comes from is hidden, so "
             "the bar spans every value the published figures allow.")


def _rate_chart(rows: Sequence[tuple[str, str, Rate]], *, title: str, x_title: str, y_title: str,
                colours: Mapping[str, str] | None = None) -> dict | None:
    """Horizontal bars of shares (category, series, rate), one row each, first on top: an exact rate is a solid bar
    labelled inside, a band a hatched bar over its range labelled beside it, a rate not shown a grey note at 0.
    None when no rate can be drawn."""
    if not any(r.value is not None or r.band for _, _, r in rows):
        return None
    series = list(dict.fromkeys(s for _, s, _ in rows))
    several = len(series) > 1

    def row_label(c: str, s: str) -> str:  # 'SEN Support (K), a year ago': the legend has the dates
        when = s.split(" (")[0]
        return charts.wrap(charts.plain(f"{c}, {when[:1].lower()}{when[1:]}" if several else c), 28)

    labels = [row_label(c, s) for c, s, _ in rows]
    fig = go.Figure(_validate=False)
    notes: list[tuple[float, str, str, str]] = []  # x, row, text, position
    for i, name in enumerate(series):
        mine = [(row_label(c, s), r) for c, s, r in rows if s == name]
        colour = (colours or {}).get(name, charts.PALETTE[i % len(charts.PALETTE)])
        fig.add_trace(go.Bar(
            y=[y for y, _ in mine], x=[r.value if r.value is not None else (r.band[1] - r.band[0]) if r.band else None
                                      for _, r in mine],
            base=[r.band[0] if r.band else 0 for _, r in mine], orientation="h", name=charts.plain(name),
            marker={"color": colour, "pattern": {"shape": ["/" if r.band else "" for _, r in mine], "fillmode": "overlay",
                                                  "fgcolor": "white", "fgopacity": 0.35}},
            text=[r.text if r.value is not None else "" for _, r in mine], textposition="inside",
            insidetextanchor="end", hovertext=[r.text for _, r in mine],
            hovertemplate="%{y}: %{hovertext}<extra></extra>", showlegend=several))
        for y, r in mine:
            if r.band:
                left = r.band[0] >= 0.5
                notes.append((r.band[0] if left else r.band[1], y, r.text, "middle left" if left else "middle right"))
            elif r.value is None:
                notes.append((0, y, "not shown", "middle right"))
    for position in ("middle left", "middle right"):
        here = [n for n in notes if n[3] == position]
        if here:
            fig.add_trace(go.Scatter(x=[n[0] for n in here], y=[n[1] for n in here], mode="text", showlegend=False,
                                     text=[f"{n[2]}\u2002" if position == "middle left" else f"\u2002{n[2]}" for n in here],
                                     textposition=position, hoverinfo="skip", textfont={"color": "#333333"}))
    fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(labels)))
    fig.update_xaxes(range=[0, 1.05], tickformat=".0%")
    charts.style(fig, title=title, x_title=x_title, y_title=y_title, legend_title="When" if several else None,
                 height=170 + 44 * len(labels))
    return charts.to_spec(fig)


def _not_drawn(labels: list[str], bands: bool = False) -> str:
    """The caption under a chart: which groups it leaves out, and what a hatched bar means."""
    parts = []
    if labels:
        parts.append(f"Not drawn, to protect pupils' privacy: {'; '.join(labels)}. The table gives every figure that can "
                     "be published.")
    if bands:
        parts.append(BAND_NOTE)
    return " ".join(parts) or "The same figures are in the table."


def _chart_or_words(spec: dict | None, table: Table, caption: str) -> tuple[Text | Table | Chart, ...]:
    return (Chart(spec, table, caption),) if spec else (Text(NO_CHART), table)


# ----------------------------------------------------------------------------------------- sections


def _ago(f: _Figures) -> str:
    return f"a year ago ({f.then.day:%d/%m/%Y})" if f.then else ""


def _register_section(f: _Figures) -> Section:
    r, now = f.at(NOW), f.now
    labels, keys = [], []
    for a in now.areas:
        labels.append(a)
        keys.append(("reg", a))
        for n in now.needs.get(a, []):
            labels.append(INDENT + n)
            keys.append(("need", n))
    table = pd.DataFrame({
        "Area of need and primary need": [*labels, "Total"],
        "SEN Support (K)": [r.text((*k, "K")) for k in keys] + [r.text(("total", "K"))],
        "EHC plan (E)": [r.text((*k, "E")) for k in keys] + [r.text(("total", "E"))],
        "Total": [r.text((*k, "all")) for k in keys] + [r.text(("total", "all"))],
    })
    spec = _count_chart(now.areas, r, [("reg", a, "all") for a in now.areas],
                        title="Pupils on the SEN register by broad area of need", x_title="Pupils",
                        y_title="Broad area of need")
    hidden = [a for a in now.areas if not r.shown(("reg", a, "all"))]
    text = (f"{r.text(('total', 'all'))} pupils on roll are on the SEN register: {r.text(('total', 'K'))} on SEN Support "
            f"(K) and {r.text(('total', 'E'))} with an education, health and care (EHC) plan (E).")
    if f.then:
        t = f.at(THEN)
        text += f" A year ago: {t.text(('total', 'all'))} ({t.text(('total', 'K'))} K, {t.text(('total', 'E'))} E)."
    grouped = now.grouped
    blocks: list = [Text(text)]
    if grouped:
        blocks.append(Text("Primary needs are listed under the four broad areas of need of the SEND Code of Practice. "
                           "Where a single need's count would be small enough to identify a pupil, only its area is "
                           f"given ({'; '.join(grouped)})."))
    blocks += _chart_or_words(spec, Table(table, "Pupils on the SEN register by area of need and primary need"),
                              _not_drawn(hidden))
    return Section("Pupils on the SEN register", tuple(blocks))


def _on_time(r: Protected, s: str) -> Rate:
    """The share of K or E pupils whose review is on time (no review date recorded is not on time), as published."""
    return r.rate(("review", s, "ok"), ("total", s), ("review", s, "late"))


def _compliance_section(f: _Figures) -> Section:
    labels = {"K": "SEN Support (K)", "E": "EHC plan (E)"}
    r = f.at(NOW)
    columns = {
        "Pupils": list(labels.values()),
        "Review on time": [r.text(("review", s, "ok")) for s in labels],
        "Review not on time": [r.text(("review", s, "late")) for s in labels],
        "Of which no review date recorded": [r.text(("review", s, "no_review_date")) for s in labels],
        "Total": [r.text(("total", s)) for s in labels],
        "Share on time": [_on_time(r, s).text for s in labels],
    }
    rows = []
    if f.then:
        ago = _ago(f)
        columns["Share on time a year ago"] = [_on_time(f.at(THEN), s).text for s in labels]
        rows += [(labels[s], ago.capitalize(), _on_time(f.at(THEN), s)) for s in labels]
    now_label = f"Now ({f.now.day:%d/%m/%Y})"
    rows += [(labels[s], now_label, _on_time(r, s)) for s in labels]
    rows.sort(key=lambda row: list(labels.values()).index(row[0]))
    colours = {row[1]: charts.GREY for row in rows if row[1] != now_label} | {now_label: charts.OKABE_ITO["blue"]}
    spec = _rate_chart(rows, title="Share of pupils whose review is on time" + (", now and a year ago" if f.then else ""),
                       x_title="Reviews on time", y_title="Pupils", colours=colours)
    hidden = [f"{c}, {w[0].lower()}{w[1:]}" for c, w, rate in rows if rate.value is None and not rate.band]
    rv, th = f.now.reviews, r.threshold
    share = f"{rv['reviews_held'] / rv['reviews_required']:.0%}" if rv["reviews_required"] >= th and rv["reviews_held"] >= th else ""
    held = (f"Reviews held this school year (since {school_year_start(f.now.day):%d/%m/%Y}): {_count(rv['reviews_held'], th)} "
            f"of the {_count(rv['reviews_required'], th)} the review rules require over the whole school year"
            + (f" ({share}); {compliance.year_elapsed(f.now.day):.0%} of the school year has gone." if share else "."))
    if f.then:
        held += (f" Last school year to the same date ({f.then.day:%d/%m/%Y}): "
                 f"{_count(f.then.reviews['reviews_held'], th)} held.")
    blocks = [
        Text("A pupil's review is overdue when the date it was due under the review rules (termly for SEN Support, "
             "at least once a year for an EHC plan) has passed and no review has been held since. Where the school's "
             "records hold no date to work the review out from (no review held, no plan start and no next review "
             "date), the review has no review date recorded. Both count as not on time; otherwise it is on time."),
        Text(f"{r.text(('review', 'K', 'no_review_date'))} pupils on SEN Support and "
             f"{r.text(('review', 'E', 'no_review_date'))} with an EHC plan have no review date recorded: "
             "they count as not on time."),
        *_chart_or_words(spec, Table(pd.DataFrame(columns), "Reviews on time and not on time"),
                         _not_drawn(hidden, bands=any(rate.band for _, _, rate in rows))),
        Text(held),
    ]
    return Section("Review compliance", tuple(blocks))


def _no_scores(f: _Figures) -> str:
    if not f.now.scores_tracked:
        return ("The school's trackers do not record scaling scores against pupils' outcomes, so progress towards "
                "outcomes cannot be reported. Adding targets and their scores to the tracker (or to the template's "
                "Outcomes and Scores sheets) brings this section in.")
    return "No outcome has been scored yet, so there is no progress towards outcomes to report."


def _progress_section(f: _Figures) -> Section:
    p, areas = f.at(NOW), f.now.progress_areas
    if not areas:
        return Section("Progress towards outcomes", (Text(_no_scores(f)),))
    columns = {
        "Area of need": [*areas, "All areas"],
        "On track": [p.text(("prog", a, "on")) for a in areas] + [p.text(("prog", "total", "on"))],
        "Not on track": [p.text(("prog", a, "off")) for a in areas] + [p.text(("prog", "total", "off"))],
        "Outcomes scored": [p.text(("prog", a, "all")) for a in areas] + [p.text(("prog", "total", "all"))],
        "Share on track": [p.rate(("prog", a, "on"), ("prog", a, "all"), ("prog", a, "off")).text for a in areas]
        + [_on_track(p).text],
    }
    if f.then:
        t = f.at(THEN)
        columns["Share on track a year ago"] = [
            t.rate(("prog", a, "on"), ("prog", a, "all"), ("prog", a, "off")).text if t.has(("prog", a, "all"))
            else "none scored" for a in areas] + [_on_track(t).text if f.then.cells[("prog", "total", "all")] else "none scored"]
    rates = [(a, "Now", p.rate(("prog", a, "on"), ("prog", a, "all"), ("prog", a, "off"))) for a in areas]
    spec = _rate_chart(rates, title="Share of scored outcomes on track, by area of need", x_title="Outcomes on track",
                       y_title="Area of need")
    hidden = [a for a, _, rate in rates if rate.value is None and not rate.band]
    blocks = [
        Text("Each pupil's outcomes are scored at reviews. An outcome is on track when its target is reached, or when "
             "it has moved at least as far towards the target as the time passed towards the target date and its "
             "score has not stalled."),
        *_chart_or_words(spec, Table(pd.DataFrame(columns), "Outcomes on track by area of need"),
                         _not_drawn(hidden, bands=any(rate.band for _, _, rate in rates))),
        Text(f"Outcomes whose score has not risen at the last reviews (stalled): {p.text(('stalled',))}."),
    ]
    return Section("Progress towards outcomes", tuple(blocks))


def _on_track(p: Protected) -> Rate:
    return p.rate(("prog", "total", "on"), ("prog", "total", "all"), ("prog", "total", "off"))


def _escalation_section(f: _Figures) -> Section:
    e, now = f.at(NOW), f.now
    tracked = [(rid, t) for rid, t in now.escalations if rid not in now.untracked]
    table = pd.DataFrame({"What the rules suggest": [t for _, t in now.escalations],
                          "Pupils": ["not tracked" if rid in now.untracked else e.text(("esc", rid)) for rid, _ in now.escalations]})
    spec = _count_chart([t for _, t in tracked], e, [("esc", rid) for rid, _ in tracked],
                        title="Pupils for whom the rules suggest a next step", x_title="Pupils",
                        y_title="Suggested next step")
    hidden = [t for rid, t in tracked if not e.shown(("esc", rid))]
    blocks: list = [
        Text("The graduated response: where progress is less than expected, the rules suggest the next step (for "
             "example a My Support Plan, or a request for an EHC needs assessment); where outcomes are met, "
             "reducing support. A pupil may have more than one suggestion."),
    ]
    if now.untracked:
        names = "; ".join(t for rid, t in now.escalations if rid in now.untracked)
        blocks.append(Text(f"Not tracked: the school's trackers do not record what these need ({names}), so they are "
                           "not counted (they are not zero)."))
    blocks += _chart_or_words(spec, Table(table, "Suggested next steps"), _not_drawn(hidden))
    return Section("Escalations", tuple(blocks))


MEETING_ROWS = {"parents": "Parents attended or contributed", "child": "The child's views recorded (or the child took part)",
                "reports": "EHC plan reviews: reports and advice received in time",
                "council": "EHC plan reviews: review report sent to the council in time (once due)"}


def _meetings_section(f: _Figures) -> Section:
    """Review quality from the meeting records: of the reviews held this school year recorded in the app, how many had
    a parent there or contributing, the child's views, reports in time, the report to the council in time; protected
    with the report's other counts. Not tracked, in one sentence, where no setting keeps meeting records."""
    info, p = f.now.meetings, f.at(NOW)
    if info is None:
        return Section(MEETINGS_HEADING, (Text(
            "Not tracked: no review has been scheduled or recorded in the app, so there are no meeting records "
            "(invitees, the views of parents and the child, reports) to report on; this is not zero."),))
    start = school_year_start(f.now.day)
    table = pd.DataFrame({
        "Of the reviews held with a meeting record": list(MEETING_ROWS.values()),
        "Reviews": [p.text(MEETING_OF[k]) for k in MEETING_ROWS],
        "Met": [p.text(("meet", k, "yes")) for k in MEETING_ROWS],
        "Share": [p.rate(("meet", k, "yes"), MEETING_OF[k], ("meet", k, "no")).text for k in MEETING_ROWS],
    })
    blocks: list = [Text(
        f"Reviews held this school year (since {start:%d/%m/%Y}) that were recorded in the app, with their invitees and "
        f"the views given: {p.text(('meet', 'all'))}, of which {p.text(('meet', 'ehcp'))} were EHC plan reviews. "
        "Reviews known only from a tracker are not counted here.")]
    if info.untracked:
        blocks.append(Text(f"Not tracked in {', '.join(info.untracked)}: no review there is recorded in the app, so they "
                           "are left out of these figures (they are not zero)."))
    blocks.append(Table(table, "Review meetings: who took part, views and reports"))
    return Section(MEETINGS_HEADING, tuple(blocks))


def money_text(value: float) -> str:
    """£9,008.33"""
    return f"£{value:,.2f}"


def hours_text(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


class _Amounts:
    """The provision amounts as governors read them: a figure, 'fewer than 5 pupils', 'not shown' or 'not tracked'."""

    def __init__(self, info: _Provision, threshold: int) -> None:
        self.info, self.threshold = info, threshold

    def value(self, key: Hashable) -> float | None:
        """The amount, for a chart or a division: None unless it may be published."""
        v = {**self.info.spend, **self.info.hours}.get(key)
        return v if v is not None and self.info.status.get(key) == SHOWN else None

    def text(self, key: Hashable) -> str:
        v = {**self.info.spend, **self.info.hours}.get(key)
        if v is None:
            return "not tracked"
        s = self.info.status[key]
        if s == privacy.PRIMARY:
            return f"{privacy.small_label(self.threshold)} pupils"
        if s == privacy.SECONDARY:
            return privacy.SECONDARY_LABEL
        return money_text(v) if key[0] == "spend" else hours_text(v)


def _provision_section(f: _Figures) -> Section:
    info, p = f.now.provision, f.at(NOW)
    if info is None:
        return Section(PROVISION_HEADING, (Text(
            "Not tracked: the school's trackers record no provision (no interventions, their staff time or costs), so "
            "what it costs and what it achieves cannot be reported; it is not zero. Adding the template's Provisions "
            "and Pupil provisions sheets (or the school's provision map) to the tracker brings this section in."),))
    a = _Amounts(info, p.threshold)
    start = school_year_start(f.now.day)
    blocks: list = [Text(
        f"The additional provision made this school year (since {start:%d/%m/%Y}): each intervention costs its staff "
        "time at the school's hourly cost for the role delivering it, plus its fixed costs; an intervention that "
        "covers several areas of need counts once. To protect pupils' privacy, an amount that concerns fewer than "
        f"{p.threshold} pupils (such as a 1:1 intervention's cost) is not shown, nor any amount it could be worked out "
        "from by subtracting others.")]
    if info.untracked:
        blocks.append(Text(f"Not tracked in {', '.join(info.untracked)}: their trackers record no provision, so they "
                           "are left out of these figures (they are not zero)."))
    total, pupils = a.value(("spend", "total")), p.value(("prov_pupils", "total"))
    spend = f"Spend this school year: {a.text(('spend', 'total'))}"
    if total is not None and pupils:
        spend += f" on {pupils:,} pupils ({money_text(total / pupils)} a pupil)"
    spend += (f"; staff time {a.text(('hours', 'total'))} hours a week now." if info.hours.get(("hours", "total")) is not None
              else "; staff hours a week are not tracked.")
    if info.not_costed:
        spend += (f" {info.not_costed} intervention{'s have' if info.not_costed != 1 else ' has'} no cost recorded "
                  "(not tracked, not counted as £0).")
    blocks.append(Text(spend))
    table = pd.DataFrame({
        "Kind of provision": [*info.kinds, "All provision"],
        "Pupils this school year": [p.text(("prov_pupils", k)) for k in info.kinds] + [p.text(("prov_pupils", "total"))],
        "Spend this school year": [a.text(("spend", k)) for k in [*info.kinds, "total"]],
        "Spend a pupil": [_per_pupil(a.value(("spend", k)), p.value(("prov_pupils", k))) for k in [*info.kinds, "total"]],
        "Staff hours a week now": [a.text(("hours", k)) for k in [*info.kinds, "total"]],
    })
    keys = [("spend", k) for k in info.kinds]
    values = [a.value(k) for k in keys]
    spec = _count_chart(info.kinds, a, keys, title="Spend this school year by kind of provision", x_title="Spend (£)",
                        y_title="Kind of provision", value_text=money_text, hover="%{y}: £%{x:,.2f}<extra></extra>",
                        tick_prefix="£")
    if spec is not None:
        caption = _not_drawn([k for k, v in zip(info.kinds, values, strict=True) if v is None])
        blocks.append(Chart(spec, Table(table, "Provision by kind"), caption))
    else:
        blocks += [Text("No kind of provision has a cost that can be published on its own (each concerns fewer than "
                        f"{p.threshold} pupils, or could be worked out from the others), so there is no chart: the "
                        "table gives every figure that can be published."), Table(table, "Provision by kind")]
    reg = p.rate(("prov_reg", "with"), info.register_key, ("prov_reg", "without"))
    where = " in the settings that record provision" if info.untracked else ""
    blocks.append(Text(f"Pupils on the SEN register{where} with provision in place now: {p.text(('prov_reg', 'with'))} of "
                       f"{p.text(info.register_key)}" + (f" ({reg.text})" if reg.text and reg.text != privacy.SECONDARY_LABEL
                                                         else "") +
                       f"; without any: {p.text(('prov_reg', 'without'))}. Pupils whose provision this school year "
                       f"costs more than the {info.over_text} a school meets from its notional SEN budget (for whom top-up "
                       f"funding may be sought): {p.text(('prov_over',))}."))
    if info.judged:
        impact = (f"Interventions meeting the gain they expect: {info.meeting} of the {info.judged} with at least "
                  f"{info.min_pupils} pupils scored on entry and exit ({info.meeting / info.judged:.0%}), judged by the "
                  "median gain of their pupils.")
    else:
        impact = (f"No intervention has at least {info.min_pupils} pupils scored on entry and exit yet, so none can be "
                  "judged against the gain it expects.")
    if info.too_few:
        impact += (f" {info.too_few} intervention{'s' if info.too_few != 1 else ''} with a gain expected "
                   f"{'have' if info.too_few != 1 else 'has'} too few pupils scored to judge.")
    blocks.append(Text(impact + " These are counts of interventions, not of pupils."))
    return Section(PROVISION_HEADING, tuple(blocks))


def _per_pupil(amount: float | None, pupils: int | None) -> str:
    return money_text(amount / pupils) if amount is not None and pupils else ""


def _requests_section(f: _Figures) -> Section:
    keys = ("made", "agreed", "refused", "awaiting")
    q = f.at(NOW)
    start = school_year_start(f.now.day)
    columns = {
        "Requests for an EHC needs assessment": ["Made", "Council agreed to assess", "Council refused to assess",
                                                 "Awaiting the council's decision"],
        "This school year so far": [q.text(("req", k)) for k in keys],
    }
    when = f"Requests the school made this school year ({start:%d/%m/%Y} to {f.now.day:%d/%m/%Y})"
    if f.then:
        t = f.at(THEN)
        columns["Last school year, same period"] = [t.text(("req", k)) for k in keys]
        when += (f", beside the same part of last school year ({school_year_start(f.then.day):%d/%m/%Y} to "
                 f"{f.then.day:%d/%m/%Y})")
    return Section("EHC needs assessment requests", (
        Text(f"{when}, and what the council has decided so far."),
        Table(pd.DataFrame(columns), "EHC needs assessment requests this school year"),
    ))


def _trend_section(f: _Figures, begin: date | None) -> Section:
    heading = "Compared with a year ago"
    if f.then is None:
        since = (f"The school's records begin on {begin:%d/%m/%Y} (the earliest review, plan, need identified or "
                 "request they hold), less than a year before this report" if begin else
                 "The school's records hold no dated review, plan or request")
        return Section(heading, (Text(f"{since}, so there is nothing from last year to compare with. The comparison "
                                      "appears once the records cover a whole year."),))
    now, then, th = f.at(NOW), f.at(THEN), f.p.threshold

    def row(label: str, get) -> dict:
        return {"Measure": label, f"A year ago ({f.then.day:%d/%m/%Y})": get(then, f.then),
                f"Now ({f.now.day:%d/%m/%Y})": get(now, f.now)}

    def on_track(p: Protected, raw: _Raw) -> str:
        return _on_track(p).text if raw.cells[("prog", "total", "all")] else "none scored"

    rows = [
        row("Pupils on SEN Support (K)", lambda p, _: p.text(("total", "K"))),
        row("Pupils with an EHC plan (E)", lambda p, _: p.text(("total", "E"))),
        row("SEN Support: reviews on time", lambda p, _: _on_time(p, "K").text),
        row("EHC plans: reviews on time", lambda p, _: _on_time(p, "E").text),
        row("Scored outcomes on track", on_track),
        row("Reviews held in the school year to that date", lambda _, raw: _count(raw.reviews["reviews_held"], th)),
        row("EHC needs assessment requests in the school year to that date", lambda p, _: p.text(("req", "made"))),
    ]
    return Section(heading, (
        Text("The same figures on the same date last year, worked out by the same rules on the records as they were "
             "then: a day compared with the same day, and the school year so far with the same part of last year."),
        Table(pd.DataFrame(rows), "A year ago and now"),
    ))


def _headlines(f: _Figures) -> tuple[Headline, ...]:
    r = f.at(NOW)
    then = f.at(THEN) if f.then else None

    def ago(rate: Rate | str) -> str:
        text = rate.text if isinstance(rate, Rate) else rate
        return f" · a year ago: {text}" if then is not None and text else ""

    def review(label: str, s: str, who: str) -> Headline:
        rate = _on_time(r, s)
        if rate.value is None and not rate.band and r.status[(NOW, ("total", s))] == privacy.PRIMARY:
            return Headline(label, "Not shown", f"{r.text(('total', s))} {who}: too few to give a share")
        return Headline(label, rate.text, f"Not on time: {r.text(('review', s, 'late'))}"
                        + ago(_on_time(then, s) if then is not None else ""))

    scored = f.now.cells[("prog", "total", "all")]
    if scored:
        on_track = Headline("Outcomes on track", _on_track(r).text,
                            f"Of {r.text(('prog', 'total', 'all'))} scored outcomes"
                            + ago(_on_track(then) if then is not None and f.then.cells[("prog", "total", "all")] else "none scored"))
    else:
        on_track = Headline("Outcomes on track", "No scores yet" if f.now.scores_tracked else "Not tracked",
                            "No outcome has been scored" if f.now.scores_tracked else "The trackers hold no scaling scores")
    extra: tuple[Headline, ...] = ()
    info = f.now.provision
    if info is not None:
        a = _Amounts(info, r.threshold)
        total, pupils = a.value(("spend", "total")), r.value(("prov_pupils", "total"))
        extra = (Headline("Provision spend this school year", a.text(("spend", "total")),
                          f"A pupil on provision: {money_text(total / pupils)}" if total is not None and pupils
                          else "Where costed"),)
    return (
        Headline("On the SEN register", r.text(("total", "all")), "Pupils on roll" + ago(then.text(("total", "all")) if then else "")),
        Headline("SEN Support (K)", r.text(("total", "K")), "Pupils" + ago(then.text(("total", "K")) if then else "")),
        Headline("EHC plans (E)", r.text(("total", "E")), "Pupils" + ago(then.text(("total", "E")) if then else "")),
        review("SEN Support reviews on time", "K", "pupils on SEN Support"),
        review("EHC plan reviews on time", "E", "pupils with an EHC plan"),
        on_track,
    ) + extra


def _commentary_section(cur, names: Sequence[str]) -> tuple[Section | None, bool]:
    """The SENCo's commentary, when there is one and it names no pupil on today's register; and whether it was held
    back because it does."""
    kept = commentary.current(cur, names)
    if kept is None:
        return None, False
    if not kept.shown:
        return None, True
    paragraphs = [p.strip() for p in kept.text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    when = f" on {kept.written_at:%d/%m/%Y}" if kept.written_at else ""
    return Section("From the SENCo", (*(Text(p) for p in paragraphs), Text(f"Written by the SENCo{when}."))), False


def governors_report(cur, as_of: date, settings: Sequence[str] | None = None, *,
                     threshold: int = privacy.DEFAULT_THRESHOLD, viewer: access.Viewer) -> GovernorsReport:
    """The governors' report for `as_of` (and the settings in scope): aggregates only, small counts
    suppressed with secondary suppression, compared with the same date last year.

    `viewer` (senlib.access.Viewer) must be a SENCo, leader or governor, and limits the settings to those
    the viewer may see. The pupil-level rules results this reads never leave this module.
    """
    settings = access.scope_for(viewer, settings, access.ROLES)
    names = overview.settings_list(cur, viewer=viewer) if settings is None else list(settings)
    scope = ", ".join(names) or "No setting"
    footnote = (f"To protect pupils' privacy, a count below {threshold} is shown as '{privacy.small_label(threshold)}'. "
                f"Where a count could be worked out by subtracting other published figures it is hidden too: it reads "
                f"'{privacy.SECONDARY_LABEL}', or the range the published figures already imply (such as '16–20'). A "
                f"share whose counts are hidden is given only as a band wide enough to hide them (such as '75% or more'). "
                "No pupil is named or identified in this report.")
    f = _figures(cur, as_of, settings, threshold)
    if not f.now.has_pupils:
        return GovernorsReport(TITLE, as_of, None, scope, threshold, (), (
            Section("No pupils", (Text("There are no pupils on roll on this date, so there is nothing to report yet."),)),),
            footnote, empty=True, settings=tuple(names))
    words, withheld = _commentary_section(cur, names)
    begin = _records_begin(cur, settings)
    sections = ((words,) if words else ()) + (
        _register_section(f), _compliance_section(f), _meetings_section(f), _progress_section(f), _escalation_section(f),
        _provision_section(f), _requests_section(f), _trend_section(f, begin))
    return GovernorsReport(TITLE, as_of, f.then.day if f.then else None, scope, threshold, _headlines(f), sections,
                           footnote, settings=tuple(names), commentary_withheld=withheld)


# ---------------------------------------------------------------------------------------- exports


def to_pdf(report: GovernorsReport, *, charts: bool = True, generated: datetime | None = None) -> bytes:
    """The report as an A4 PDF with its charts."""
    return exports.to_pdf(report.document, charts=charts, generated=generated)


def to_html(report: GovernorsReport, *, charts: bool = True, generated: datetime | None = None) -> bytes:
    """The report as one self-contained HTML file with its charts."""
    return exports.to_html(report.document, charts=charts, generated=generated)


def file_stem(report: GovernorsReport) -> str:
    """A download file name without extension, e.g. 'sen-governors-report-2026-11-23'."""
    return f"sen-governors-report-{report.as_of:%Y-%m-%d}"


__all__ = ["GovernorsReport", "file_stem", "governors_report",
           "year_before", "to_html", "to_pdf"]
