"""Review compliance for senior leaders: are reviews held on time, where not, and is it getting better?

Everything here is an aggregate: per-pupil rule results (senlib.rules) are reduced to counts on
the server, so a page never receives pupil rows and no chart carries more than a few hundred
points, even at 100,000 pupils.

Terms, as a head teacher reads them:
- a pupil *has a review clock* when a cadence rule applies on the date (status is not
  `not_applicable`);
- *on time* means on track, or due soon but not yet late; the *on-time rate* is on time / pupils with
  a review clock. A pupil with no review date recorded (status `no_review_date`: nothing in the tracker
  to date the review from) has a review clock but is not on time: blank dates never look better than
  late ones, and the figures say how many such pupils there are;
- *reviews held against required* comes from `rules.register_summary` (this school year).

The evaluation is split so that filters and the trend are cheap:
`evaluate` runs the rules once for an as-of date and keeps counts grouped finely (setting,
plan type, year group, class, need, council, status); `view` applies the plan-type and
year-group filters to those counts in pandas. The trend needs the rules at each of the last 12
month ends: `status_counts` gives one date's counts, which a caller caches per date, so moving
the as-of date re-evaluates only the dates that changed (past month ends stay cached).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd

from senlib import access, rules
from senlib.access import Viewer
from senlib.core.names import CADENCE_PLANS, NEEDS, NOT_RECORDED, PLAN_TYPES, REVIEW_CHECKS, YEAR_GROUPS, year_group_label
from senlib.core.schoolyear import school_year_start, sql_year_index
from senlib.render import charts
from senlib.rules import tracking
from senlib.rules.facts import year_group

# Dimensions of the status counts (besides setting, plan type and year group), with their labels.
BREAKDOWNS: dict[str, str] = {"setting": "Setting", "class": "Class", "need": "Primary need",
                              "local_authority": "Local authority"}
# Statuses of a pupil with a review clock (every one counts in `pupils`; only due_soon and on_track are on time).
STATUS_COLUMNS = ["overdue", "no_review_date", "due_soon", "on_track"]
ON_TIME = ["due_soon", "on_track"]
# The review-quality checks shown, the four the issue names first.
QUALITY_CHECKS: list[str] = ["parents_involved", "child_contributed", "reports_in_time", "invitations_in_time",
                             "held_on_time", "next_date_set", "outcomes_scored"]
QUALITY_WINDOW_DAYS = 365
REVIEW_GROUPS = ("cadence", "milestone", "quality")  # the checks review compliance makes (rules.tracking)
# Review-quality figures of the reviews held this school year that have a meeting record (kept in the app): figure ->
# (label, the review_quality check it reads, the plan it is for: None every plan). A check on a review with a meeting
# record is judged even where blank (not done); 'report to the council' only once it is due.
MEETING_FIGURES: dict[str, tuple[str, str, str | None]] = {
    "parents": ("Parents attended or contributed", "parents_involved", None),
    "child": ("The child's views recorded (or the child took part)", "child_contributed", None),
    "reports": ("Reports and advice received in time (EHC plans)", "reports_in_time", "ehcp"),
    "council": ("Review report sent to the council in time (EHC plans, once due)", "report_sent_in_time", "ehcp"),
}
MEETINGS_NOT_TRACKED = ("Review meetings are not tracked: no review has been scheduled or recorded in the app, so there "
                        "are no meeting records (invitees, views, actions) to give these figures from. Schedule and "
                        "record reviews from Upcoming reviews or the Pupil page to bring them in.")
_GROUP = ["setting", "plan_type", "year_group"]


@dataclass(frozen=True)
class Filters:
    """What a leader narrowed the page to; None means everything."""

    plan_types: tuple[str, ...] | None = None
    year_groups: tuple[str, ...] | None = None

    @property
    def active(self) -> bool:
        return bool(self.plan_types or self.year_groups)


@dataclass
class Compliance:
    """One as-of date's aggregates: every frame holds counts, never pupils."""

    as_of: date
    status: pd.DataFrame      # setting, plan_type, year_group, class, need, local_authority, status, pupils
    quality: pd.DataFrame     # setting, plan_type, year_group, check, passed, known
    register: pd.DataFrame    # rules.register_summary: one row per plan type and 'all'
    quality_since: date = field(default_factory=date.today)
    # rules.tracking.not_tracked: the checks some settings' trackers cannot support (left out of every rate)
    not_tracked: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["setting", "rule_id", "check"]))
    # reviews held this school year with a meeting record: setting, plan_type, year_group, figure, passed, known
    meetings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=[*_GROUP, "figure", "passed", "known"]))
    meeting_settings: tuple[str, ...] = ()  # the settings in scope keeping review meetings in the app


# ------------------------------------------------------------------------------------------- dates


def month_ends(as_of: date, n: int = 12) -> list[date]:
    """The n dates of the trend, oldest first: the last day of each of the n-1 months before `as_of`'s
    month, then `as_of` itself (the current month so far; a later date would count reviews not yet due
    as overdue). If `as_of` is a month's last day it is simply the last of n month ends."""
    out = [as_of]
    day = as_of.replace(day=1) - timedelta(days=1)
    while len(out) < n:
        out.append(day)
        day = day.replace(day=1) - timedelta(days=1)
    return sorted(out)


def year_elapsed(day: date) -> float:
    """Share of the school year (1 September to 31 August) gone by the end of `day`: what 'reviews held
    against required for the whole year' should be compared with."""
    start = school_year_start(day)
    end = date(start.year + 1, 8, 31)
    return ((day - start).days + 1) / ((end - start).days + 1)


# -------------------------------------------------------------------------------------- evaluation


def _group_status(df: pd.DataFrame) -> pd.DataFrame:
    """Per-pupil status rows reduced to counts: pupils with a review clock by setting, plan type, year group,
    class, primary need, council and status. Missing values read 'Not recorded'."""
    df = df[df["status"] != "not_applicable"]
    cols = [*_GROUP, "class", "need", "local_authority", "status"]
    frame = _fill(pd.DataFrame({
        "setting": df["setting"], "plan_type": df["plan_type"], "year_group": df["year_group"], "class": df["class"],
        "need": df["primary_need"].map(NEEDS), "local_authority": df["policy_la"], "status": df["status"],
    }, index=df.index)[cols])
    if frame.empty:
        return pd.DataFrame(columns=[*cols, "pupils"])
    out = frame.groupby(cols, observed=True).size().rename("pupils").reset_index()
    out["pupils"] = out["pupils"].astype(int)
    return out


def _fill(frame: pd.DataFrame) -> pd.DataFrame:
    """Blank and missing grouping values become 'Not recorded', so they are counted, not dropped."""
    out = frame.copy()
    for col in out.columns:
        if col in ("status", "passed", "known"):
            continue
        values = out[col].astype(object)
        blank = values.isna() | (values.astype(str).str.strip() == "")
        out[col] = values.where(~blank, NOT_RECORDED).astype(str)
    return out


def status_counts(cur, day: date, settings: Sequence[str] | None = None, *, viewer: Viewer) -> pd.DataFrame:
    """Pupils with a review clock on `day` by setting, plan type, year group and status: one trend point.

    Uses `rules.due_dates` (the cadence rules alone, without milestones, flags or sentences: about three
    times quicker than the whole pupil_status), with each pupil's year group on `day` worked out by the
    rules' own expression (as recorded, else from the date of birth). Columns: setting, plan_type,
    year_group, status, pupils.
    """
    scope = access.staff_scope(viewer, settings)
    due = rules.due_dates(cur, day, settings=scope, viewer=viewer)
    due = due.loc[due["status"] != "not_applicable", ["setting", "pupil_id", "plan_type", "status"]]
    cols = [*_GROUP, "status"]
    if due.empty:
        return pd.DataFrame(columns=[*cols, "pupils"])
    name = f"compliance_due_{uuid.uuid4().hex[:12]}"
    cur.register(name, due)
    try:
        out = cur.execute(f"""
            SELECT d.setting, d.plan_type, {year_group('p')} AS year_group, d.status, count(*) AS pupils
            FROM {name} d
            JOIN (SELECT setting, pupil_id, year_group AS recorded_year_group,
                         {sql_year_index('date_of_birth', f"DATE '{day.isoformat()}'")} AS derived_index
                  FROM pupils) p ON p.setting = d.setting AND p.pupil_id = d.pupil_id
            GROUP BY ALL""").df()
    finally:
        cur.unregister(name)
    out = _fill(out[[*cols, "pupils"]])
    out["pupils"] = out["pupils"].astype(int)
    return out


def _quality_counts(reviews: pd.DataFrame, status: pd.DataFrame) -> pd.DataFrame:
    """Review-quality checks (rules.review_quality rows) counted per setting, plan type of the review and
    the pupil's year group on the as-of date (from `status`): how many reviews passed each check and how
    many could be judged (a check with no data recorded is not counted either way).

    Columns: setting, plan_type, year_group, check, passed, known.
    """
    if reviews.empty:
        return pd.DataFrame(columns=[*_GROUP, "check", "passed", "known"])
    q = reviews.merge(status[["setting", "pupil_id", "year_group"]], on=["setting", "pupil_id"], how="left")
    parts = []
    for check in QUALITY_CHECKS:
        values = q[check].astype("boolean")
        part = pd.DataFrame({"setting": q["setting"], "plan_type": q["plan_type"], "year_group": q["year_group"],
                             "passed": values.fillna(False).astype(int), "known": values.notna().astype(int)})
        part = _fill(part).groupby(_GROUP).sum(numeric_only=True).reset_index()
        part["check"] = check
        parts.append(part)
    return pd.concat(parts, ignore_index=True)[[*_GROUP, "check", "passed", "known"]]


def meeting_figures(reviews: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Per review held this school year (to `as_of`) with a meeting record (review_id), each of MEETING_FIGURES as
    True / False, or <NA> where it does not apply (not an EHC plan; a report to the council not yet due). Columns:
    setting, pupil_id, plan_type, and one per figure. `reviews` is rules.review_quality's rows."""
    cols = ["setting", "pupil_id", "plan_type", *MEETING_FIGURES]
    if reviews.empty or "review_id" not in reviews:
        return pd.DataFrame(columns=cols)
    start = pd.Timestamp(school_year_start(as_of))
    r = reviews[reviews["review_id"].notna() & (pd.to_datetime(reviews["review_date"]) >= start)
                & (pd.to_datetime(reviews["review_date"]) <= pd.Timestamp(as_of))]
    out = r[["setting", "pupil_id", "plan_type"]].copy()
    for name, (_, check, plan) in MEETING_FIGURES.items():
        value = r[check].astype("boolean")
        if name != "council":  # a blank on a review with a meeting record is not done
            value = value.fillna(False)
        if plan is not None:
            value = value.where(r["plan_type"] == plan)
        out[name] = value
    return out.reset_index(drop=True)


def _meeting_counts(reviews: pd.DataFrame, status: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """MEETING_FIGURES counted per setting, plan type and year group: reviews meeting each (passed) and judged (known)."""
    cols = [*_GROUP, "figure", "passed", "known"]
    m = meeting_figures(reviews, as_of)
    if m.empty:
        return pd.DataFrame(columns=cols)
    m = m.merge(status[["setting", "pupil_id", "year_group"]], on=["setting", "pupil_id"], how="left")
    parts = []
    for name in MEETING_FIGURES:
        values = m[name].astype("boolean")
        part = pd.DataFrame({"setting": m["setting"], "plan_type": m["plan_type"], "year_group": m["year_group"],
                             "passed": values.fillna(False).astype(int), "known": values.notna().astype(int)})
        part = _fill(part).groupby(_GROUP).sum(numeric_only=True).reset_index()
        part["figure"] = name
        parts.append(part)
    return pd.concat(parts, ignore_index=True)[cols]


def evaluate(cur, as_of: date, settings: Sequence[str] | None = None, *, viewer: Viewer,
             status: pd.DataFrame | None = None) -> Compliance:
    """Everything the page shows for one as-of date, before filters: status counts, review quality
    (reviews held in the 12 months to `as_of`) and reviews held this school year against required.

    `status` may be `rules.pupil_status` for the same date, already evaluated (the SENCo pages share one,
    so a leader moving between pages does not wait for the rules twice). The three rules queries run
    two at a time on their own cursors: much of each is DuckDB planning a large statement on one core.
    With `viewer`: SENCos and senior leaders only, and only their settings.
    """
    scope = access.staff_scope(viewer, settings)
    since = as_of - timedelta(days=QUALITY_WINDOW_DAYS - 1)
    with ThreadPoolExecutor(max_workers=2) as pool:
        quality = pool.submit(rules.review_quality, cur.cursor(), as_of, settings=scope, viewer=viewer, since=since)
        register = pool.submit(rules.register_summary, cur.cursor(), as_of, settings=scope, viewer=viewer)
        if status is None:
            status = rules.pupil_status(cur, as_of, settings=scope, viewer=viewer)
        elif scope is not None:
            status = status[status["setting"].isin(scope)]
        reviews, summary = quality.result(), register.result()
    missing = tracking.not_tracked(cur, scope, groups=REVIEW_GROUPS)  # review compliance: not provision
    return Compliance(as_of=as_of, status=_group_status(status), quality=_quality_counts(reviews, status),
                      register=summary, quality_since=since, not_tracked=missing,
                      meetings=_meeting_counts(reviews, status, as_of),
                      meeting_settings=tuple(tracking.meeting_settings(cur, scope)))


# ------------------------------------------------------------------------------------------- views


def _filter(df: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    out = df
    if filters.plan_types:
        out = out[out["plan_type"].isin(filters.plan_types)]
    if filters.year_groups:
        out = out[out["year_group"].isin(filters.year_groups)]
    return out


def _wide(status: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Counts per status as columns, with pupils, on_time and rate, one row per `by` group."""
    if status.empty:
        return pd.DataFrame(columns=[*by, *STATUS_COLUMNS, "pupils", "on_time", "rate"])
    wide = status.groupby([*by, "status"], observed=True)["pupils"].sum().unstack("status", fill_value=0)
    wide = wide.reindex(columns=STATUS_COLUMNS, fill_value=0).reset_index()
    wide.columns.name = None
    wide["pupils"] = wide[STATUS_COLUMNS].sum(axis=1)
    wide = wide[wide["pupils"] > 0]
    wide["on_time"] = wide[ON_TIME].sum(axis=1)
    wide["rate"] = wide["on_time"] / wide["pupils"]
    return wide.reset_index(drop=True)


def no_date_note(count: str, one: bool = False) -> str:
    """What the Compliance page and the governors' report say about pupils with no review date recorded;
    `count` as it is to be read ('3', 'fewer than 5')."""
    return (f"{count} {'pupil has' if one else 'pupils have'} no review date recorded (no review held, no plan start "
            "and no next review date in the tracker): they count as not on time.")


def plan_label(code: object) -> str:
    """A plan type as a reader knows it."""
    return PLAN_TYPES.get(code, str(code)) if isinstance(code, str) else NOT_RECORDED


def year_label(code: object) -> str:
    """'Year 6', 'Reception', 'Nursery 1'; 'Not recorded' when the year group is unknown."""
    return year_group_label(code) if isinstance(code, str) and code != NOT_RECORDED else NOT_RECORDED


def plan_order(codes: Iterable[object]) -> list[str]:
    """Plan types in the order of the graduated response, most specific first (as the rules rank them)."""
    present = {c for c in codes if isinstance(c, str)}
    return [c for c in CADENCE_PLANS if c in present] + sorted(present - set(CADENCE_PLANS))


def year_order(codes: Iterable[object]) -> list[str]:
    """Year groups in school order (nursery first), 'Not recorded' last."""
    present = set(codes)
    return [y for y in YEAR_GROUPS if y in present] + sorted(str(y) for y in present - set(YEAR_GROUPS))


def headline(c: Compliance, filters: Filters = Filters()) -> dict[str, object]:
    """The figures at the top: pupils with a review clock, on time, overdue, no review date recorded (counted in
    pupils, never on time), due soon, on-time rate; and reviews held this school year against required (all
    plans, or the chosen plan types).

    `register_filtered_by_year` is False when a year-group filter is set: register_summary counts
    by plan type only, so those two figures then cover every year group (the page says so).
    """
    s = _filter(c.status, filters)
    by = s.groupby("status")["pupils"].sum() if len(s) else pd.Series(dtype=int)
    pupils = int(by.sum())
    overdue, no_date, due_soon, on_track = (int(by.get(k, 0)) for k in STATUS_COLUMNS)
    reg = c.register
    rows = reg[reg["plan_type"].isin(filters.plan_types)] if filters.plan_types else reg[reg["plan_type"] == "all"]
    held = int(rows["reviews_held"].sum()) if len(rows) else 0
    counted = int(rows["reviews_counted"].sum()) if len(rows) else 0
    required = int(rows["reviews_required"].sum()) if len(rows) else 0
    to_date = int(rows["required_to_date"].sum()) if len(rows) else 0
    return {
        "pupils": pupils, "on_time": on_track + due_soon, "overdue": overdue, "no_review_date": no_date,
        "due_soon": due_soon, "on_track": on_track, "rate": (on_track + due_soon) / pupils if pupils else float("nan"),
        "reviews_held": held, "reviews_counted": counted, "reviews_required": required,
        "required_to_date": to_date, "held_share": counted / required if required else float("nan"),
        "register_filtered_by_year": not filters.year_groups, "year_elapsed": year_elapsed(c.as_of),
        "year_start": reg["year_start"].iloc[0] if len(reg) else None,
    }


def heatmap_table(c: Compliance, filters: Filters = Filters()) -> pd.DataFrame:
    """On-time rate per plan type x year group: plan, year, pupils, on_time, overdue, no_review_date, due_soon, rate."""
    wide = _wide(_filter(c.status, filters), ["plan_type", "year_group"])
    if wide.empty:
        return pd.DataFrame(columns=["plan", "year", "pupils", "on_time", "overdue", "no_review_date", "due_soon", "rate"])
    plans, years = plan_order(wide["plan_type"]), year_order(wide["year_group"])
    wide["_p"] = wide["plan_type"].map({p: i for i, p in enumerate(plans)})
    wide["_y"] = wide["year_group"].map({y: i for i, y in enumerate(years)}).fillna(len(years))
    wide = wide.sort_values(["_p", "_y"])
    out = pd.DataFrame({"plan": wide["plan_type"].map(plan_label), "year": wide["year_group"].map(year_label),
                        "pupils": wide["pupils"], "on_time": wide["on_time"], "overdue": wide["overdue"],
                        "no_review_date": wide["no_review_date"], "due_soon": wide["due_soon"], "rate": wide["rate"]})
    return out.reset_index(drop=True)


BY_COLUMNS = ["label", "pupils", "on_time", "overdue", "no_review_date", "due_soon", "on_track", "rate"]


def by_dimension(c: Compliance, dimension: str, filters: Filters = Filters()) -> pd.DataFrame:
    """On-time rate by one of BREAKDOWNS, lowest rate first (where to look first).

    Classes are named with their setting when more than one setting is in view, since two schools
    may both have a class called 'Oak'. Columns: label, pupils, on_time, overdue, no_review_date, due_soon, on_track,
    rate.
    """
    if dimension not in BREAKDOWNS:
        raise ValueError(f"unknown dimension {dimension!r}; use one of {', '.join(BREAKDOWNS)}")
    s = _filter(c.status, filters)
    by = ["setting", "class"] if dimension == "class" else [dimension]
    wide = _wide(s, by)
    if wide.empty:
        return pd.DataFrame(columns=BY_COLUMNS)
    if dimension == "class":
        several = wide["setting"].nunique() > 1
        wide["label"] = [f"{st} · {cl}" if several else str(cl) for st, cl in zip(wide["setting"], wide["class"], strict=True)]
    else:
        wide["label"] = wide[dimension].astype(str)
    wide = wide.sort_values(["rate", "pupils", "label"], ascending=[True, False, True])
    return wide[BY_COLUMNS].reset_index(drop=True)


def trend(counts: dict[date, pd.DataFrame], filters: Filters = Filters(), as_of: date | None = None) -> pd.DataFrame:
    """The on-time rate at each date of `counts` (status_counts per date, e.g. at month_ends()).

    Columns: date, label ('Oct 2026', or '23 Nov 2026 (as of)' for a date that is not a month end),
    pupils, on_time, overdue, no_review_date, rate.
    """
    rows = []
    for day in sorted(counts):
        s = _filter(counts[day], filters)
        by = s.groupby("status")["pupils"].sum() if len(s) else pd.Series(dtype=int)
        pupils = int(by.sum())
        on_time = int(sum(by.get(k, 0) for k in ON_TIME))
        month_end = (day + timedelta(days=1)).day == 1
        label = f"{day:%b %Y}" if month_end and day != as_of else f"{day.day} {day:%b %Y}" + (" (as of)" if day == as_of else "")
        rows.append({"date": pd.Timestamp(day), "label": label, "pupils": pupils, "on_time": on_time,
                     "overdue": int(by.get("overdue", 0)), "no_review_date": int(by.get("no_review_date", 0)),
                     "rate": on_time / pupils if pupils else float("nan")})
    return pd.DataFrame(rows, columns=["date", "label", "pupils", "on_time", "overdue", "no_review_date", "rate"])


def quality_table(c: Compliance, filters: Filters = Filters()) -> pd.DataFrame:
    """Review quality rates of reviews held in the window: check (label), reviews judged, passed, rate, over.

    The rate is over reviews where the check could be judged (e.g. 'reports in time' needs the date
    reports arrived); `known` says how many that was, so a rate from a handful of reviews shows as such;
    `over` says so in words, naming the settings whose trackers do not track what the check needs.
    """
    q = _filter(c.quality, filters)
    if q.empty:
        return pd.DataFrame(columns=["check", "code", "known", "passed", "rate", "over"])
    g = q.groupby("check")[["passed", "known"]].sum().reindex(QUALITY_CHECKS).fillna(0).astype(int).reset_index()
    g["rate"] = (g["passed"] / g["known"]).where(g["known"] > 0)
    g["code"] = g["check"]
    g["check"] = g["code"].map(REVIEW_CHECKS)
    g["over"] = [rate_over(int(k), tracking.untracked_settings(c.not_tracked, code)) for k, code in zip(g["known"], g["code"], strict=True)]
    return g[["check", "code", "known", "passed", "rate", "over"]]


def rate_over(known: int, untracked: list[str]) -> str:
    """What a quality rate is computed over, in words."""
    text = f"{known:,} review{'' if known == 1 else 's'} where it could be judged from what was recorded"
    if untracked:
        text += f"; not tracked in {', '.join(untracked)} (left out)"
    return text


def meeting_table(c: Compliance, filters: Filters = Filters()) -> pd.DataFrame:
    """The review-meeting figures of the reviews held this school year with a meeting record: figure (label), code,
    known (reviews it applies to), passed, rate. Empty where no setting in scope keeps meeting records (not tracked:
    the page says MEETINGS_NOT_TRACKED, and gives no figure)."""
    cols = ["figure", "code", "known", "passed", "rate"]
    if not c.meeting_settings:
        return pd.DataFrame(columns=cols)
    m = _filter(c.meetings, filters)
    g = (m.groupby("figure")[["passed", "known"]].sum() if len(m) else pd.DataFrame(columns=["passed", "known"]))
    g = g.reindex(list(MEETING_FIGURES)).fillna(0).astype(int).reset_index(names="code")
    g["rate"] = (g["passed"] / g["known"]).where(g["known"] > 0)
    g["figure"] = g["code"].map({k: v[0] for k, v in MEETING_FIGURES.items()})
    return g[cols]


def quality_by_plan(c: Compliance, filters: Filters = Filters()) -> pd.DataFrame:
    """Quality rates per check (rows) and plan type (columns), for the table under the chart."""
    q = _filter(c.quality, filters)
    if q.empty:
        return pd.DataFrame(columns=["Check"])
    g = q.groupby(["check", "plan_type"], dropna=False)[["passed", "known"]].sum().reset_index()
    g["rate"] = (g["passed"] / g["known"]).where(g["known"] > 0)
    wide = g.pivot(index="check", columns="plan_type", values="rate")
    wide = wide.reindex(index=[k for k in QUALITY_CHECKS if k in wide.index],
                        columns=plan_order(wide.columns))
    wide.columns = [plan_label(p) for p in wide.columns]
    wide.index = [REVIEW_CHECKS[k] for k in wide.index]
    return wide.rename_axis("Check").reset_index()


def options(c: Compliance) -> dict[str, list[str]]:
    """Choices for the filters: plan types and year groups that occur on the date, in reading order."""
    return {"plan_types": plan_order(c.status["plan_type"]), "year_groups": year_order(c.status["year_group"])}


# ------------------------------------------------------------------------------------------ charts

TOP_CATEGORIES = 20  # bars per chart: the categories with the lowest on-time rate (the table has them all)
# Heatmap: sequential blues, dark = few on time (readable in every common colour-vision deficiency, and in grey).
HEAT_SCALE = [[0.0, "#08306B"], [0.4, "#2171B5"], [0.7, "#6BAED6"], [0.9, "#C6DBEF"], [1.0, "#F7FBFF"]]
HEAT_FLOOR = 0.5
NO_DATA = "#E4E4E4"  # a cell with no pupils
_YEAR_SHORT = {year_group_label(y): ("Y" + y if y.isdigit() else y) for y in YEAR_GROUPS}


def _set(spec: dict, path: str, value: object) -> None:
    """Set layout or trace properties in a spec, e.g. 'layout.xaxis.range': plain dict edits, because
    Plotly's validated updates cost tens of milliseconds each and a filter change must stay quick."""
    keys = path.split(".")
    node = spec
    for k in keys[:-1]:
        node = node[int(k)] if isinstance(node, list) else node.setdefault(k, {})
    node[keys[-1]] = value


def _rate_bars(table: pd.DataFrame, label: str, title: str) -> dict:
    """Horizontal bars of on-time rate, lowest first, at most TOP_CATEGORIES of them."""
    shown = table.head(TOP_CATEGORIES)
    if len(table) > TOP_CATEGORIES:
        title = f"{title} ({TOP_CATEGORIES} lowest of {len(table):,})"
    spec = charts.to_spec(charts.bar(shown, x="rate", y="label", orientation="h", percent=True,
                                     order=list(shown["label"]), title=title, x_title="Reviews on time (share of pupils)",
                                     y_title=label, height=150 + 30 * max(len(shown), 1)))
    _set(spec, "layout.xaxis.range", [0, 1.05])
    return spec


def _heatmap(heat: pd.DataFrame, year_codes: Iterable[object]) -> dict:
    heat = heat.assign(year_short=heat["year"].map(_YEAR_SHORT).fillna(heat["year"]))
    plans = list(dict.fromkeys(heat["plan"]))
    years = [_YEAR_SHORT.get(year_label(y), year_label(y)) for y in year_order(year_codes)]
    spec = charts.to_spec(charts.heatmap(
        heat, x="year_short", y="plan", z="rate", counts="pupils", x_order=years, y_order=plans,
        title="Reviews on time by plan type and year group", x_title="Year group", y_title="Plan type",
        z_title="On time", height=190 + 56 * len(plans)))
    # Most cells sit between 80% and 100%: a scale from 50% (and below) makes the late ones stand out, dark.
    trace = spec["data"][0]
    trace.update(colorscale=HEAT_SCALE, zmin=HEAT_FLOOR, zmax=1, colorbar={
        "title": {"text": "On time"}, "tickvals": [0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
        "ticktext": ["50% or less", "60%", "70%", "80%", "90%", "100%"]})
    _set(spec, "layout.plot_bgcolor", NO_DATA)
    _set(spec, "layout.xaxis.tickangle", 0)
    _set(spec, "layout.xaxis.showgrid", False)
    _set(spec, "layout.yaxis.showgrid", False)
    return spec


def view(c: Compliance, filters: Filters = Filters()) -> dict:
    """Everything the page draws for one date and set of filters, each table worked out once: headline,
    heatmap table, a table per BREAKDOWNS key, quality tables, and the charts as specs (keys heatmap,
    quality and each BREAKDOWNS key; a chart with nothing to draw is left out). The trend is separate
    (`trend`, `trend_figure`): it needs the other month ends, which take longer the first time."""
    heat = heatmap_table(c, filters)
    by = {d: by_dimension(c, d, filters) for d in BREAKDOWNS}
    quality = quality_table(c, filters)
    figs: dict[str, dict] = {}
    if len(heat):
        figs["heatmap"] = _heatmap(heat, c.status["year_group"])
    for dim, label in BREAKDOWNS.items():
        if len(by[dim]):
            figs[dim] = _rate_bars(by[dim], label, f"Reviews on time by {label.lower()}")
    if len(quality) and quality["known"].sum():
        data = quality.dropna(subset=["rate"])
        figs["quality"] = charts.to_spec(charts.bar(
            data, x="rate", y="check", orientation="h", percent=True, order=list(data["check"]),
            title=f"Review quality: reviews held since {c.quality_since:%d/%m/%Y}",
            x_title="Share of reviews meeting the check", y_title="Check", height=150 + 34 * len(data)))
        _set(figs["quality"], "layout.xaxis.range", [0, 1.05])
    return {"headline": headline(c, filters), "heat": heat, "by": by, "quality": quality,
            "not_tracked": tracking.columns_of(c.not_tracked),
            "clock_not_tracked": tracking.untracked_settings(c.not_tracked, field=tracking.CLOCK_FIELD),
            "quality_by_plan": quality_by_plan(c, filters), "since": c.quality_since, "figures": figs,
            "meetings": meeting_table(c, filters), "meeting_settings": list(c.meeting_settings),
            "meetings_since": school_year_start(c.as_of)}


def figures(c: Compliance, filters: Filters) -> dict[str, dict]:
    """The charts of one as-of date as plain specs (see `view`)."""
    return view(c, filters)["figures"]


def trend_figure(trend_table: pd.DataFrame) -> dict | None:
    """The on-time rate at each month end as a line (a spec), or None when no pupil had a review clock.

    Each tick is labelled with its own date ('Oct 2026', '23 Nov 2026'), so a month-end point is never read as the
    start of the next month; the last point alone carries its percentage (with its date when it is not a month end),
    the others theirs in the hover."""
    if not len(trend_table) or not trend_table["pupils"].sum():
        return None
    spec = charts.to_spec(charts.line(
        trend_table, x="date", y="rate", percent=True, title="Reviews on time at each month end",
        x_title="Month end (the last point: the as-of date)", y_title="Reviews on time (share of pupils)", height=380))
    # Only the last point carries its percentage: month ends a month apart, and the as-of date a day after the last
    # month end, gave labels drawn over each other. Every point's figure is in its hover and in the table.
    rates = list(trend_table["rate"])
    last = trend_table["label"].iloc[-1]
    text = [""] * (len(rates) - 1) + [charts.number(rates[-1], percent=True)
                                       + ("" if "(as of)" not in str(last) else f" on {trend_table['date'].iloc[-1]:%d %b}")]
    spec["data"][0].update(
        mode="lines+markers+text", text=text, textposition="top left", cliponaxis=False, textfont={"size": 13},
        customdata=trend_table[["pupils", "on_time"]].to_numpy().tolist(),
        hovertemplate="%{x|%d %b %Y}: %{y:.0%} (%{customdata[1]:,} of %{customdata[0]:,} pupils)<extra></extra>")
    # A tick for each month end; the as-of date's own tick only when it is not crowded against the last month end.
    dates = list(trend_table["date"].dt.date)
    crowded = len(dates) > 1 and (dates[-1] - dates[-2]).days < 12
    keep = range(len(dates) - 1) if crowded else range(len(dates))
    _set(spec, "layout.xaxis.tickvals", [dates[i].isoformat() for i in keep])
    _set(spec, "layout.xaxis.ticktext", [str(trend_table["label"].iloc[i]).replace(" (as of)", "") for i in keep])
    _set(spec, "layout.xaxis.range", charts.date_range(dates[0], dates[-1], min_days=60, pad=0.04))
    _set(spec, "layout.xaxis.tickangle", -45)
    _set(spec, "layout.yaxis.range", [0, 1.12])  # room for the labels above 100%
    _set(spec, "layout.yaxis.tickvals", [0, 0.2, 0.4, 0.6, 0.8, 1.0])
    return spec
