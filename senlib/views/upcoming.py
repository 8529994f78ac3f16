"""Upcoming reviews: the next weeks' reviews with their milestones, what to do this week, and a calendar file.

Why a module: the SENCo's week is organised around review milestones (invitations 6 weeks
before, statutory invitations and reports 2 weeks before an EHCP review, the review itself).
The rules engine dates each milestone for each pupil (`pupil_status`); this module turns
those dates into a to-do list and a calendar, with the same meaning on screen and in the .ics.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from senlib.core.names import MILESTONE_STATES, NOT_RECORDED, PLAN_SHORT, year_group_label
from senlib.render.exports import CalendarEvent, stable_uid, to_ics
from senlib.views.caseload import keys, names
from senlib.views.pupil import full_name

DEFAULT_WEEKS = 6
WEEK_CHOICES = [1, 2, 3, 4, 6, 8, 10, 12]
THIS_WEEK_DAYS = 7  # "this week": today and the next six days


@dataclass(frozen=True)
class Milestone:
    """A dated step around a review: where its date is, what it is called, and the rule that sets it."""

    column: str
    what: str            # the action, as a to-do item and a calendar title
    rule: str | None     # the rule id in senlib/rules/policy.toml that dates it


# In the order they fall before (and at) a review.
MILESTONES: dict[str, Milestone] = {m.column: m for m in (
    Milestone("invite_by", "Send invitations and the current plan", "invite_good_practice"),
    Milestone("invite_statutory_by", "Last day for statutory invitations (EHCP)", "invite_statutory"),
    Milestone("reports_by", "Reports and advice due (EHCP)", "advice_before"),
    Milestone("review", "Review meeting", None),
    Milestone("due_date", "Review must be held by", None),
)}

# What a review row says when no meeting date is recorded: its date is the latest it may be held.
REVIEW_BY_BASIS: dict[str, str] = {
    "scheduled": "Review meeting",
    "agreed": "Review meeting (date agreed at the last review)",
    "due_date": "Review due (no meeting date recorded yet)",
}

# Priority of a review in the list: what the SENCo acts on first.
PRIORITY: dict[str, str] = {"overdue": "Overdue", "this_week": "To do this week", "later": "Coming up"}


def initials(first: pd.Series, last: pd.Series) -> pd.Series:
    """'Ada', 'Lovelace' -> 'A.L.' for whole columns: enough for a shared or synced calendar, which should not
    carry full names; '?' when no name is recorded."""
    def letter(col: pd.Series) -> pd.Series:
        text = col.astype(object).where(col.notna(), "").astype(str).str.strip()
        return text.str[:1].str.upper().where(text != "", "").map(lambda c: f"{c}." if c else "")

    out = letter(first) + letter(last)
    return out.where(out != "", "?")


# Statuses with a dated review (no_review_date has none: see `undated`).
LIVE = ["overdue", "due_soon", "on_track"]
COLUMNS = ["setting", "pupil_id", "key", "pupil", "initials", "first_name", "last_name", "year", "plan", "key_worker",
           "status", "days_overdue", "milestone", "what", "rule", "date", "state", "days"]


def milestones(status: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """One row per dated milestone of every pupil whose review is running (status overdue, due soon or on track).

    Columns: COLUMNS: setting, pupil_id, key, pupil ("Last, First"), initials, first_name, last_name, year, plan,
    key_worker, status, days_overdue, milestone (MILESTONES key), what, rule, date, state
    (done / missed / to_come), days (date - as_of); each pupil's milestones in the order they fall due.
    A review's meeting is dated by `next_review` (scheduled, else agreed, else the due date); the due date is
    a milestone of its own only when the meeting is set for another day. A step is done only when the tracker
    says so (statutory invitations: when invitations were sent), else missed once its date has passed.
    """
    ts = pd.Timestamp(as_of)
    live = status[status["status"].isin(LIVE)].reset_index(drop=True)
    years = {y: year_group_label(y) for y in live["year_group"].dropna().unique()}
    base = pd.DataFrame({
        "setting": live["setting"], "pupil_id": live["pupil_id"], "key": keys(live["setting"], live["pupil_id"]),
        "pupil": names(live["first_name"], live["last_name"]), "initials": initials(live["first_name"], live["last_name"]),
        "first_name": live["first_name"], "last_name": live["last_name"],
        "year": live["year_group"].map(years).fillna(NOT_RECORDED),
        "plan": live["plan_type"].map(PLAN_SHORT).fillna("No plan"), "key_worker": live["key_worker"],
        "status": live["status"], "days_overdue": live["days_overdue"], "_row": live.index,
    })
    due = pd.to_datetime(live["due_date"]).dt.normalize()
    review = pd.to_datetime(live["next_review"]).dt.normalize()
    none = pd.Series(None, index=live.index, dtype=object)
    review_what = live["next_review_basis"].map(REVIEW_BY_BASIS).fillna(MILESTONES["review"].what)
    dated = [  # milestone, its date, the state the tracker records (if any), what it is called
        ("invite_by", pd.to_datetime(live["invite_by"]).dt.normalize(), live["invite_state"], MILESTONES["invite_by"].what),
        ("invite_statutory_by", pd.to_datetime(live["invite_statutory_by"]).dt.normalize(), live["invite_state"],
         MILESTONES["invite_statutory_by"].what),
        ("reports_by", pd.to_datetime(live["reports_by"]).dt.normalize(), live["reports_state"], MILESTONES["reports_by"].what),
        ("review", review, none, review_what),
        ("due_date", due.where(due != review), none, MILESTONES["due_date"].what),
    ]
    parts = []
    for rank, (col, day, recorded, what) in enumerate(dated):
        part = base.assign(milestone=col, what=what, rule=MILESTONES[col].rule, date=day, _recorded=recorded, _rank=rank)
        parts.append(part[day.notna()])
    out = pd.concat(parts, ignore_index=True) if parts else base.iloc[:0]
    out["date"] = pd.to_datetime(out["date"])
    out["state"] = np.where(out["_recorded"].isin(["done", "not_needed"]), "done",  # not needed: nothing to do
                            np.where(out["date"] < ts, "missed", "to_come"))
    out["days"] = (out["date"] - ts).dt.days.astype(int)
    out = out.sort_values(["_row", "_rank"], kind="stable")
    return out[COLUMNS].reset_index(drop=True)


# Kinds of to-do item, in the order the list shows them.
TODO_KINDS: dict[str, str] = {"overdue": "Overdue", "missed": "Missed", "this_week": "This week"}


def todo(ms: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """What to do this week: every milestone not done that falls in the next seven days, or was missed.

    A pupil whose review is overdue gets one line, the review itself, rather than one per missed step.
    Adds `kind` (TODO_KINDS: overdue reviews first, then missed steps, then this week's, each oldest first)
    and `when`: 'Overdue by 5 days', 'Missed (3 days ago)', 'Today', 'Tomorrow', 'In 4 days'.
    """
    items = ms[(ms["state"] != "done") & (ms["days"] < THIS_WEEK_DAYS)]
    overdue = items["status"] == "overdue"
    review_missed = items["milestone"].isin(["review", "due_date"]) & (items["state"] == "missed")
    held_over = (items[overdue & review_missed].sort_values("days").drop_duplicates("key")
                 .assign(what="Arrange the review now", milestone="due_date", kind="overdue"))
    rest = items[~overdue].assign(kind=lambda d: d["state"].map({"missed": "missed"}).fillna("this_week"))
    out = pd.concat([held_over, rest], ignore_index=True) if len(held_over) else rest
    rank = {k: i for i, k in enumerate(TODO_KINDS)}
    out = out.assign(_k=out["kind"].map(rank)).sort_values(["_k", "days", "pupil"], kind="stable").drop(columns="_k")
    out["when"] = [_when(d, k) for d, k in zip(out["days"], out["kind"], strict=True)]
    return out.reset_index(drop=True)


def _when(days: int, kind: str) -> str:
    if kind == "overdue":
        return f"Overdue by {-days} day{'s' if days != -1 else ''}"
    if kind == "missed" or days < 0:
        ago = -days
        return "Missed (today)" if ago == 0 else f"Missed ({ago} day{'s' if ago != 1 else ''} ago)"
    if days == 0:
        return "Today"
    if days == 1:
        return "Tomorrow"
    return f"In {days} days"


def reviews(status: pd.DataFrame, as_of: date, weeks: int = DEFAULT_WEEKS, ms: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per pupil whose review falls within `weeks` of `as_of`, or is overdue, or has something to do this week.

    Columns: key, setting, pupil_id, pupil, initials, first_name, last_name, year, plan, key_worker, status,
    days_overdue, review (meeting date), review_basis, due_date, invite_by, invite_state, invite_statutory_by,
    reports_by, reports_state, next_step (the earliest action not done), next_step_date, priority
    (overdue / this_week / later). Sorted overdue first, then this week's, then by the next step's date.
    """
    ms = milestones(status, as_of) if ms is None else ms
    horizon = pd.Timestamp(as_of) + pd.Timedelta(weeks=weeks)
    todo_keys = set(todo(ms, as_of)["key"])
    review_dates = ms[ms["milestone"] == "review"].set_index("key")["date"]
    listed = set(review_dates[review_dates <= horizon].index) | todo_keys | set(ms.loc[ms["status"] == "overdue", "key"])
    live = status[status["status"].isin(LIVE)]
    live = live.assign(key=keys(live["setting"], live["pupil_id"]))
    live = live[live["key"].isin(listed)]
    first = ms[ms["key"].isin(listed)].drop_duplicates("key").set_index("key")
    pending = ms[(ms["state"] != "done") & ms["key"].isin(listed)].sort_values(["date"]).drop_duplicates("key").set_index("key")
    out = pd.DataFrame({
        "key": live["key"].to_numpy(),
        "setting": live["setting"].to_numpy(), "pupil_id": live["pupil_id"].to_numpy(),
        "review": pd.to_datetime(live["next_review"]).to_numpy(), "review_basis": live["next_review_basis"].to_numpy(),
        "due_date": pd.to_datetime(live["due_date"]).to_numpy(),
        "invite_by": pd.to_datetime(live["invite_by"]).to_numpy(), "invite_state": live["invite_state"].to_numpy(),
        "invite_statutory_by": pd.to_datetime(live["invite_statutory_by"]).to_numpy(),
        "reports_by": pd.to_datetime(live["reports_by"]).to_numpy(), "reports_state": live["reports_state"].to_numpy(),
    })
    for col in ("pupil", "initials", "first_name", "last_name", "year", "plan", "key_worker", "status", "days_overdue"):
        out[col] = out["key"].map(first[col])
    out["next_step"] = out["key"].map(pending["what"])
    out["next_step_date"] = pd.to_datetime(out["key"].map(pending["date"]))
    late = out["status"] == "overdue"  # the one thing to do: hold the review
    out.loc[late, "next_step"] = "Arrange the review now"
    out.loc[late, "next_step_date"] = out.loc[late, "due_date"]
    # an overdue review with a meeting in the diary: its invitations are still to come, but the meeting is late
    booked = late & out["review_basis"].isin(["scheduled", "agreed"]) & (out["review"] > pd.Timestamp(as_of))
    out.loc[booked, "next_step"] = [
        f"Meeting planned for {r:%d/%m/%Y}, after the review was due ({d:%d/%m/%Y}): hold it sooner if you can"
        for r, d in zip(out.loc[booked, "review"], out.loc[booked, "due_date"], strict=True)]
    out["priority"] = ["overdue" if s == "overdue" else "this_week" if k in todo_keys else "later"
                       for s, k in zip(out["status"], out["key"], strict=True)]
    order = {p: i for i, p in enumerate(PRIORITY)}
    out = out.assign(_p=out["priority"].map(order)).sort_values(["_p", "next_step_date", "review", "pupil"], na_position="last")
    return out.drop(columns="_p").reset_index(drop=True)


UNDATED_COLUMNS = ["key", "setting", "pupil_id", "pupil", "year", "plan", "key_worker", "fix"]


def undated(status: pd.DataFrame) -> pd.DataFrame:
    """Pupils whose review cannot be dated (status no_review_date: no review, plan start, date identified or next
    review recorded): a record to put right, not an overdue review, so they are listed apart from the reviews.

    Columns: UNDATED_COLUMNS; `fix` is the status sentence, which names the date to record. Sorted by pupil.
    """
    nd = status[status["status"] == "no_review_date"]
    years = {y: year_group_label(y) for y in nd["year_group"].dropna().unique()}
    out = pd.DataFrame({
        "key": keys(nd["setting"], nd["pupil_id"]), "setting": nd["setting"], "pupil_id": nd["pupil_id"],
        "pupil": names(nd["first_name"], nd["last_name"]), "year": nd["year_group"].map(years).fillna(NOT_RECORDED),
        "plan": nd["plan_type"].map(PLAN_SHORT).fillna("No plan"), "key_worker": nd["key_worker"],
        "fix": nd["status_reason"]}, columns=UNDATED_COLUMNS)
    return out.sort_values(["pupil", "setting", "pupil_id"], kind="stable").reset_index(drop=True)


def summary(rv: pd.DataFrame, td: pd.DataFrame, nd: pd.DataFrame | None = None) -> dict[str, int]:
    """Figures above the lists: reviews listed, overdue, actions this week, missed milestones, and (with `nd`,
    from `undated`) pupils with no review date recorded."""
    kinds = td["kind"].value_counts()
    return {"reviews": len(rv), "overdue": int((rv["priority"] == "overdue").sum()),
            "this_week": int(kinds.get("this_week", 0)), "missed": int(kinds.get("missed", 0)),
            "no_review_date": 0 if nd is None else len(nd)}


def calendar_events(ms: pd.DataFrame, rv: pd.DataFrame, as_of: date, *, full_names: bool = False) -> list[CalendarEvent]:
    """One all-day event per milestone still to come (dated today or later, not done) of the reviews listed.

    Titles carry initials and the pupil ID unless `full_names` (a calendar syncs to phones and is shared
    more easily than the dashboard). Missed milestones are left out: they are on the to-do list, not in the future.
    UIDs are stable, so importing an updated file again moves events rather than duplicating them.
    """
    keep = ms[ms["key"].isin(set(rv["key"])) & (ms["state"] != "done") & (ms["days"] >= 0)].sort_values(["date", "pupil"])
    events = []
    for r in keep.to_dict("records"):
        who = (full_name(r["first_name"], r["last_name"]) if full_names else r["initials"]) + f" ({r['pupil_id']})"
        details = [f"Pupil: {who}", f"Setting: {r['setting']}", f"Plan: {r['plan']}", f"Year group: {r['year']}"]
        if isinstance(r.get("key_worker"), str) and r["key_worker"]:
            details.append(f"Key worker: {r['key_worker']}")
        if isinstance(r.get("rule"), str):
            details.append(f"Rule: {r['rule']}")
        day = pd.Timestamp(r["date"]).date()
        events.append(CalendarEvent(uid=stable_uid(r["setting"], r["pupil_id"], r["milestone"], day.isoformat()),
                                    day=day, summary=f"{r['what']}: {who}", description="\n".join(details),
                                    categories=("SEN review",)))
    return events


def calendar(ms: pd.DataFrame, rv: pd.DataFrame, as_of: date, *, weeks: int = DEFAULT_WEEKS, full_names: bool = False) -> bytes:
    """The .ics file of `calendar_events`, named for the period it covers."""
    end = as_of + timedelta(weeks=weeks)
    name = f"SEN reviews {as_of:%d/%m/%Y} to {end:%d/%m/%Y}"
    return to_ics(calendar_events(ms, rv, as_of, full_names=full_names), name=name)


def state_word(state: object) -> str:
    """'missed' -> 'Missed'; blank where there is no such milestone."""
    return MILESTONE_STATES.get(state, "") if isinstance(state, str) else ""


def export_frame(rv: pd.DataFrame) -> pd.DataFrame:
    """The reviews list as exported to Excel, with headings and plain words."""
    out = pd.DataFrame({
        "Priority": rv["priority"].map(PRIORITY), "Pupil": rv["pupil"], "Pupil ID": rv["pupil_id"], "Setting": rv["setting"],
        "Year group": rv["year"], "Plan": rv["plan"], "Key worker": rv["key_worker"],
        "Review": rv["review"], "Review date is": rv["review_basis"].map(
            {"scheduled": "Scheduled", "agreed": "Agreed at last review", "due_date": "Due date (none set)"}),
        "Must be held by": rv["due_date"], "Invitations by": rv["invite_by"], "Invitations": rv["invite_state"].map(state_word),
        "Statutory invitations by": rv["invite_statutory_by"], "Reports by": rv["reports_by"],
        "Reports": rv["reports_state"].map(state_word), "Next step": rv["next_step"], "Next step by": rv["next_step_date"],
    })
    return out
