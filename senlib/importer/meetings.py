"""Review meetings entered in the app (in the importer: a change made in the app is an import): scheduling, invitees, invitations, the record, actions, the report sent.

Why through `imports`: this is the first data a SENCo types into the app rather than uploads, and it must be as safe
as an upload. Each change is one row in `imports` (origin 'app', its sentence as the file name); the rows it writes
carry that import id and the rows it changes or removes keep a before-image in `import_row_changes`. So every change
is audited, listed with the imports, and taken back by the same undo (`senlib.importer.load.undo`), which also
refuses to take back a change that a later one built on.

A review scheduled in the app is a `reviews` row with its own `review_id` (held FALSE until recorded). What was
entered in the app wins over a later tracker upload; the importer keeps the app's values and lists every
disagreement (senlib.importer), never a silent overwrite.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, time

import duckdb
import pandas as pd

from senlib import access, store
from senlib.core.errors import InputError
from senlib.core.names import (
    CADENCE_PLANS,
    DECISIONS,
    INVITEE_RESPONSES,
    INVITEE_ROLES,
    PLAN_TYPES,
    PROGRESS,
    REVIEW_KINDS,
)
from senlib.importer.load import summarise, undo
from senlib.rules.policy import load_policy

ACTION = "app_change"  # audit action (store.DATA_CHANGES)
ORIGIN = "app"          # imports.origin of a change made in the app
MAX_TEXT = 4000         # views, notes, actions: a few paragraphs
_TIME = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")


class MeetingError(InputError):
    """A review meeting cannot be scheduled, changed or recorded as asked: the message says why, the fix what to do."""


@dataclass(frozen=True)
class Change:
    """One change made in the app: the import that holds it (for take back), the review, what it did, and any
    warning the SENCo was shown (also kept in the import's warnings and the audit log)."""

    import_id: int
    review_id: str
    description: str
    warnings: list[str] = field(default_factory=list)


def long_date(d: date) -> str:
    """'Tuesday 12 January 2027': how a letter and a warning write a date."""
    return f"{d:%A} {d.day} {d:%B %Y}"


def normalise_time(value: object) -> str | None:
    """'14:30' from '14:30', '9.05', a datetime.time; None for blank. Refuses anything else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, time):
        return f"{value.hour:02d}:{value.minute:02d}"
    m = _TIME.match(str(value))
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise MeetingError(f"'{value}' is not a time of day.", fix="Give the time on the 24-hour clock, e.g. 14:30.")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


# ---------------------------------------------------------------------------------------------- reading

def review_row(cur: duckdb.DuckDBPyConnection, setting: str, review_id: str, *, viewer: access.Viewer) -> dict:
    """The review `review_id` of `setting`, as a dict of its columns (with the pupil's names)."""
    _may_see(viewer, setting)
    res = cur.execute("""SELECT r.* EXCLUDE (import_id), p.first_name, p.last_name, p.local_authority AS pupil_la,
               s.local_authority AS setting_la
        FROM reviews r JOIN pupils p USING (setting, pupil_id) LEFT JOIN settings s USING (setting)
        WHERE r.setting = ? AND r.review_id = ?""", [setting, review_id])
    got = res.fetchall()
    if not got:
        raise MeetingError(f"There is no review {review_id} at {setting}.",
                           fix="It may have been cancelled or taken back; open the pupil's page to see their reviews.")
    return dict(zip([d[0] for d in res.description], got[0], strict=True))


def invitees(cur: duckdb.DuckDBPyConnection, setting: str, review_id: str, *, viewer: access.Viewer) -> pd.DataFrame:
    """The review's invitees, in invitee order."""
    _may_see(viewer, setting)
    return cur.execute("""SELECT * EXCLUDE (import_id) FROM review_invitees WHERE setting = ? AND review_id = ?
        ORDER BY try_cast(substr(invitee_id, 2) AS INTEGER) NULLS LAST, invitee_id""", [setting, review_id]).fetchdf()


def actions(cur: duckdb.DuckDBPyConnection, setting: str, review_id: str, *, viewer: access.Viewer) -> pd.DataFrame:
    """The actions the review agreed, in action order."""
    _may_see(viewer, setting)
    return cur.execute("""SELECT * EXCLUDE (import_id) FROM review_actions WHERE setting = ? AND review_id = ?
        ORDER BY try_cast(substr(action_id, 2) AS INTEGER) NULLS LAST, action_id""", [setting, review_id]).fetchdf()


def pupil_meetings(cur: duckdb.DuckDBPyConnection, setting: str, pupil_id: str, *, viewer: access.Viewer) -> pd.DataFrame:
    """The pupil's reviews with a meeting record (scheduled or recorded in the app), newest first."""
    _may_see(viewer, setting)
    return cur.execute("""SELECT review_id, plan_type, review_date, held, kind, start_time, place, chair, invitations_sent,
               report_sent, next_review_date, notice_warning
        FROM reviews WHERE setting = ? AND pupil_id = ? AND review_id IS NOT NULL
        ORDER BY review_date DESC""", [setting, pupil_id]).fetchdf()


def app_changes(cur: duckdb.DuckDBPyConnection, setting: str, pupil_id: str | None = None, *,
                viewer: access.Viewer) -> pd.DataFrame:
    """The changes made in the app (of one pupil, or the setting), newest first: import_id, created_at, user_name,
    description, status (done / undone)."""
    _may_see(viewer, setting)
    where, args = "origin = ? AND setting = ?", [ORIGIN, setting]
    if pupil_id is not None:
        where += " AND summary->>'pupil_id' = ?"
        args.append(pupil_id)
    return cur.execute(f"""SELECT import_id, created_at, user_name, file_name AS description, status
        FROM imports WHERE {where} ORDER BY import_id DESC""", args).fetchdf()


# ---------------------------------------------------------------------------------------------- changing

def schedule_review(cur: duckdb.DuckDBPyConnection, setting: str, pupil_id: str, *, review_date: date, as_of: date,
                    viewer: access.Viewer, start_time: object = None, place: str | None = None,
                    chair: str | None = None, kind: str | None = None, plan_type: str | None = None,
                    invitees: Iterable[Mapping] | None = None) -> Change:
    """Schedule the pupil's next review. The plan defaults to the pupil's current plan, the kind to annual (EHC plan)
    or termly; the invitees to those of the pupil's last review with a meeting record (responses cleared), else the
    parent or carer, the child, and for an EHC plan the council's SEN officer. A review the tracker already planned
    for that plan becomes this one (moved to the new date; the before-image is kept). An EHC plan review with less
    than the statutory notice is allowed with a warning, which is recorded."""
    pupil = _pupil(cur, setting, pupil_id, viewer)
    plan_type = plan_type or _current_plan(cur, setting, pupil_id)
    if plan_type is not None and plan_type not in PLAN_TYPES:
        raise MeetingError(f"'{plan_type}' is not a plan type.", fix=f"Use one of: {', '.join(PLAN_TYPES)}.")
    if review_date < as_of:
        raise MeetingError(f"{long_date(review_date)} is before today ({long_date(as_of)}).",
                           fix="Schedule a review for today or later; to record a review already held, record it instead.")
    kind = _code(kind or ("annual" if plan_type == "ehcp" else "termly"), REVIEW_KINDS, "review kind")
    start = normalise_time(start_time)
    open_ = cur.execute("""SELECT review_id, review_date FROM reviews WHERE setting = ? AND pupil_id = ? AND NOT held
        AND review_id IS NOT NULL AND plan_type IS NOT DISTINCT FROM ? AND review_date >= ?""",
                        [setting, pupil_id, plan_type, as_of]).fetchall()
    if open_:
        raise MeetingError(f"{_name(pupil)} already has a review scheduled in the app for {long_date(open_[0][1])}.",
                           fix="Change that review's date instead, or cancel it first.")
    warning = _notice_warning(cur, pupil, plan_type, review_date, as_of)
    review_id = _new_review_id(cur)
    people = list(invitees) if invitees is not None else _carried_invitees(cur, setting, pupil_id, plan_type, pupil)
    when = f"{long_date(review_date)}" + (f" at {start}" if start else "")
    description = f"Review scheduled for {_name(pupil)} on {when}"
    values = {"review_id": review_id, "review_date": review_date, "held": False, "kind": kind, "start_time": start,
              "place": _text(place), "chair": _text(chair), "notice_warning": warning}
    with _change(cur, viewer, setting, pupil_id, description, [warning] if warning else []) as import_id:
        tracker_planned = cur.execute("""SELECT rowid FROM reviews WHERE setting = ? AND pupil_id = ? AND NOT held
            AND review_id IS NULL AND plan_type IS NOT DISTINCT FROM ? AND review_date >= ?
            ORDER BY review_date LIMIT 1""", [setting, pupil_id, plan_type, as_of]).fetchall()
        clash = cur.execute("""SELECT rowid FROM reviews WHERE setting = ? AND pupil_id = ?
            AND plan_type IS NOT DISTINCT FROM ? AND review_date = ?""", [setting, pupil_id, plan_type, review_date]).fetchall()
        if clash:
            _update(cur, import_id, "reviews", "rowid = ?", [clash[0][0]], values)
        elif tracker_planned:
            _update(cur, import_id, "reviews", "rowid = ?", [tracker_planned[0][0]], values)
        else:
            _insert(cur, import_id, "reviews", {"setting": setting, "pupil_id": pupil_id, "plan_type": plan_type, **values})
        _write_invitees(cur, import_id, setting, pupil_id, review_id, people)
    return Change(import_id, review_id, description, [warning] if warning else [])


def reschedule_review(cur: duckdb.DuckDBPyConnection, setting: str, review_id: str, *, as_of: date,
                      viewer: access.Viewer, review_date: date | None = None, start_time: object = ...,
                      place: object = ..., chair: object = ..., kind: str | None = None) -> Change:
    """Change a scheduled review's date, time, place, chair or kind (arguments left out stay as they are). Moving an
    EHC plan review to under the statutory notice records a new warning."""
    r = review_row(cur, setting, review_id, viewer=viewer)
    if r["held"]:
        raise MeetingError(f"Review {review_id} has been recorded as held on {long_date(r['review_date'])}.",
                           fix="Change the record instead, or take back the change that recorded it.")
    pupil = _pupil(cur, setting, r["pupil_id"], viewer)
    values: dict[str, object] = {}
    if review_date is not None and review_date != r["review_date"]:
        if review_date < as_of:
            raise MeetingError(f"{long_date(review_date)} is before today ({long_date(as_of)}).",
                               fix="Move the review to today or later.")
        if _date_taken(cur, r, review_date):
            raise MeetingError(f"{_name(pupil)} already has a review of this plan on {long_date(review_date)}.",
                               fix="Choose another date.")
        values["review_date"] = review_date
        values["notice_warning"] = _notice_warning(cur, pupil, r["plan_type"], review_date, as_of)
    if start_time is not ...:
        values["start_time"] = normalise_time(start_time)
    if place is not ...:
        values["place"] = _text(place)
    if chair is not ...:
        values["chair"] = _text(chair)
    if kind is not None:
        values["kind"] = _code(kind, REVIEW_KINDS, "review kind")
    values = {k: v for k, v in values.items() if v != r.get(k)}
    if not values:
        raise MeetingError("Nothing to change: the review already has these details.")
    when = long_date(values.get("review_date", r["review_date"]))
    description = f"Review for {_name(pupil)} changed: {when}" + _details(values)
    warning = values.get("notice_warning")
    with _change(cur, viewer, setting, r["pupil_id"], description, [warning] if warning else []) as import_id:
        _update(cur, import_id, "reviews", "setting = ? AND review_id = ?", [setting, review_id], values)
    return Change(import_id, review_id, description, [warning] if warning else [])


def cancel_review(cur: duckdb.DuckDBPyConnection, setting: str, review_id: str, *, viewer: access.Viewer) -> Change:
    """Cancel a review scheduled in the app that has not been held: it and its invitees are removed (take back
    restores them)."""
    r = review_row(cur, setting, review_id, viewer=viewer)
    if r["held"]:
        raise MeetingError(f"Review {review_id} has been recorded as held; a held review is not cancelled.",
                           fix="Take back the change that recorded it if it was recorded by mistake.")
    description = f"Review for {_name(r)} on {long_date(r['review_date'])} cancelled"
    with _change(cur, viewer, setting, r["pupil_id"], description) as import_id:
        for table in ("review_invitees", "review_actions", "reviews"):
            _delete(cur, import_id, table, "setting = ? AND review_id = ?", [setting, review_id])
    return Change(import_id, review_id, description)


def set_invitees(cur: duckdb.DuckDBPyConnection, setting: str, review_id: str, people: Iterable[Mapping] | pd.DataFrame,
                 *, viewer: access.Viewer) -> Change:
    """Replace the review's list of invitees (each: name, role, organisation, contact, response, invited_on,
    report_received, attended; invitee_id kept where given). Rows with neither a name nor a role are dropped."""
    r = review_row(cur, setting, review_id, viewer=viewer)
    rows = people.to_dict("records") if isinstance(people, pd.DataFrame) else list(people)
    description = f"Invitees of {_name(r)}'s review on {long_date(r['review_date'])} updated"
    with _change(cur, viewer, setting, r["pupil_id"], description) as import_id:
        _delete(cur, import_id, "review_invitees", "setting = ? AND review_id = ?", [setting, review_id])
        n = _write_invitees(cur, import_id, setting, r["pupil_id"], review_id, rows)
    return Change(import_id, review_id, description + f" ({n} invited)")


def mark_invitations_sent(cur: duckdb.DuckDBPyConnection, setting: str, review_id: str, on: date, *,
                          viewer: access.Viewer, invitee_ids: Iterable[str] | None = None) -> Change:
    """Record that invitations (and requests for advice) went out on `on`: to the invitees named, or to every invitee
    not yet invited. The review's 'invitations sent' is set once every invitee has been invited."""
    r = review_row(cur, setting, review_id, viewer=viewer)
    ids = None if invitee_ids is None else list(invitee_ids)
    description = f"Invitations for {_name(r)}'s review on {long_date(r['review_date'])} recorded as sent on {long_date(on)}"
    with _change(cur, viewer, setting, r["pupil_id"], description) as import_id:
        where, args = "setting = ? AND review_id = ? AND invited_on IS NULL", [setting, review_id]
        if ids is not None:
            where += " AND list_contains(?, invitee_id)"
            args.append(ids)
        _update(cur, import_id, "review_invitees", where, args, {"invited_on": on})
        left = cur.execute("SELECT count(*) FILTER (invited_on IS NULL), max(invited_on) FROM review_invitees "
                           "WHERE setting = ? AND review_id = ?", [setting, review_id]).fetchall()[0]
        if left[0] == 0 and r["invitations_sent"] is None:
            _update(cur, import_id, "reviews", "setting = ? AND review_id = ?", [setting, review_id],
                    {"invitations_sent": left[1] or on})
    return Change(import_id, review_id, description)


def record_review(cur: duckdb.DuckDBPyConnection, setting: str, review_id: str, *, held_on: date, as_of: date,
                  viewer: access.Viewer, parent_attended: bool | None = None, child_contributed: bool | None = None,
                  parents_views: str | None = None, child_views: str | None = None, attendance: float | None = None,
                  progress: str | None = None, decision: str | None = None, next_review_date: date | None = None,
                  notes: str | None = None, pfa_covered: bool | None = None,
                  scores: Mapping[str, float | None] | None = None, actions: Iterable[Mapping] | None = None,
                  attended: Mapping[str, bool | None] | None = None, reports_received: Mapping[str, date] | None = None
                  ) -> Change:
    """Record the review as held on `held_on`: who attended, the views, the progress judgement, the decision, the
    scaling scores given in the meeting (outcome id -> score, dated the day it was held), the actions agreed (what,
    who, by when) and the date of the next review. One change, taken back as one."""
    r = review_row(cur, setting, review_id, viewer=viewer)
    if held_on > as_of:
        raise MeetingError(f"{long_date(held_on)} is after today ({long_date(as_of)}); a review is recorded once held.",
                           fix="Enter the date the meeting took place.")
    if next_review_date is not None and next_review_date <= held_on:
        raise MeetingError(f"The next review ({long_date(next_review_date)}) must be after this one ({long_date(held_on)}).",
                           fix="Enter the date agreed for the next review.")
    if attendance is not None and not 0 <= float(attendance) <= 100:
        raise MeetingError(f"Attendance {attendance} is not a percentage.", fix="Enter the attendance from 0 to 100, e.g. 94.5.")
    values = {"held": True, "review_date": held_on, "parent_attended": parent_attended,
              "child_contributed": child_contributed, "parents_views": _text(parents_views, MAX_TEXT),
              "child_views": _text(child_views, MAX_TEXT), "attendance": None if attendance is None else float(attendance),
              "progress": progress and _code(progress, PROGRESS, "progress judgement"),
              "decision": decision and _code(decision, DECISIONS, "decision"), "next_review_date": next_review_date,
              "notes": _text(notes, MAX_TEXT), "pfa_covered": pfa_covered}
    values = {k: v for k, v in values.items() if v is not None}
    if held_on != r["review_date"] and _date_taken(cur, r, held_on):
        raise MeetingError(f"{_name(r)} already has a review of this plan recorded on {long_date(held_on)}.",
                           fix="Check the date the meeting took place.")
    outcomes = _outcomes(cur, setting, r["pupil_id"])
    given = {k: v for k, v in (scores or {}).items() if not is_blank(v)}
    for outcome_id, score in given.items():
        if outcome_id not in outcomes:
            raise MeetingError(f"{_name(r)} has no outcome '{outcome_id}'.", fix="Score the pupil's current outcomes only.")
        lo, hi = outcomes[outcome_id]
        if not lo <= float(score) <= hi:
            raise MeetingError(f"Score {score} for outcome {outcome_id} is outside its scale ({lo:g} to {hi:g}).",
                               fix=f"Give a score from {lo:g} to {hi:g}.")
    description = f"Review for {_name(r)} recorded as held on {long_date(held_on)}"
    with _change(cur, viewer, setting, r["pupil_id"], description) as import_id:
        _update(cur, import_id, "reviews", "setting = ? AND review_id = ?", [setting, review_id], values)
        for outcome_id, score in given.items():
            key = "setting = ? AND pupil_id = ? AND outcome_id = ? AND score_date = ?"
            args = [setting, r["pupil_id"], outcome_id, held_on]
            if cur.execute(f"SELECT 1 FROM scores WHERE {key}", args).fetchall():
                _update(cur, import_id, "scores", key, args, {"score": float(score)})
            else:
                _insert(cur, import_id, "scores", {"setting": setting, "pupil_id": r["pupil_id"],
                                                   "outcome_id": outcome_id, "score_date": held_on, "score": float(score)})
        for invitee_id, was_there in (attended or {}).items():
            if was_there is not None:
                _update(cur, import_id, "review_invitees", "setting = ? AND review_id = ? AND invitee_id = ?",
                        [setting, review_id, invitee_id], {"attended": bool(was_there)})
        for invitee_id, received in (reports_received or {}).items():
            if received is not None:
                _update(cur, import_id, "review_invitees", "setting = ? AND review_id = ? AND invitee_id = ?",
                        [setting, review_id, invitee_id], {"report_received": received})
        if actions is not None:
            _write_actions(cur, import_id, setting, r["pupil_id"], review_id, actions)
    return Change(import_id, review_id, description)


def set_action_done(cur: duckdb.DuckDBPyConnection, setting: str, review_id: str, action_id: str, done_on: date | None,
                    *, viewer: access.Viewer) -> Change:
    """Mark an action done on `done_on` (None: not done after all)."""
    r = review_row(cur, setting, review_id, viewer=viewer)
    found = cur.execute("SELECT action FROM review_actions WHERE setting = ? AND review_id = ? AND action_id = ?",
                        [setting, review_id, action_id]).fetchall()
    if not found:
        raise MeetingError(f"Review {review_id} has no action {action_id}.", fix="Reload the page: it may have been taken back.")
    what = _short(found[0][0] or action_id)
    description = (f"Action '{what}' for {_name(r)} marked done on {long_date(done_on)}" if done_on
                   else f"Action '{what}' for {_name(r)} marked not done")
    with _change(cur, viewer, setting, r["pupil_id"], description) as import_id:
        _update(cur, import_id, "review_actions", "setting = ? AND review_id = ? AND action_id = ?",
                [setting, review_id, action_id], {"done_date": done_on})
    return Change(import_id, review_id, description)


def mark_report_sent(cur: duckdb.DuckDBPyConnection, setting: str, review_id: str, on: date, *, as_of: date,
                     viewer: access.Viewer) -> Change:
    """Record the date the review report went to the council (what the report_after milestone reads)."""
    r = review_row(cur, setting, review_id, viewer=viewer)
    if not r["held"]:
        raise MeetingError("The review has not been recorded as held yet.", fix="Record the review first, then the report.")
    if on < r["review_date"] or on > as_of:
        raise MeetingError(f"{long_date(on)} is not between the review ({long_date(r['review_date'])}) and today.",
                           fix="Enter the date the report was sent to the council.")
    description = f"Review report for {_name(r)} recorded as sent to the council on {long_date(on)}"
    with _change(cur, viewer, setting, r["pupil_id"], description) as import_id:
        _update(cur, import_id, "reviews", "setting = ? AND review_id = ?", [setting, review_id], {"report_sent": on})
    return Change(import_id, review_id, description)


def take_back(con: duckdb.DuckDBPyConnection, import_id: int, *, viewer: access.Viewer) -> dict:
    """Take back a change made in the app (refused, as for an upload, when a later change built on it)."""
    access.require_senco(viewer)
    got = con.execute("SELECT origin, setting FROM imports WHERE import_id = ?", [import_id]).fetchall()
    if got and got[0][1] is not None:
        _may_see(viewer, got[0][1])
    if not got or got[0][0] != ORIGIN:
        raise MeetingError(f"Change {import_id} is not a change made in the app.", fix="Undo uploads on the Upload page.")
    return undo(con, import_id, viewer.name, viewer=viewer)


# ---------------------------------------------------------------------------------------------- the mechanics

@contextmanager
def _change(cur: duckdb.DuckDBPyConnection, viewer: access.Viewer, setting: str, pupil_id: str, description: str,
            warnings: list[str] | None = None) -> Iterator[int]:
    """One change made in the app, in one transaction: an `imports` row (origin 'app'), then the writes, then its
    summary and the audit entry. Nothing is kept if the writes fail."""
    access.require_senco(viewer)
    _may_see(viewer, setting)
    with store.transaction(cur):
        import_id = cur.execute("""INSERT INTO imports (user_name, file_name, setting, summary, warnings, origin)
            VALUES (?, ?, ?, '{}', ?, ?) RETURNING import_id""",
                                [viewer.name, description, setting, json.dumps(warnings or []), ORIGIN]).fetchall()[0][0]
        yield import_id
        summary = {**summarise(cur, import_id), "origin": ORIGIN, "pupil_id": pupil_id}
        cur.execute("UPDATE imports SET summary = ? WHERE import_id = ?", [json.dumps(summary), import_id])
        store.audit(cur, ACTION, viewer.name, {"import_id": import_id, "setting": setting, "pupil_id": pupil_id,
                                               "change": description, "warnings": warnings or []})


def _image(cur: duckdb.DuckDBPyConnection, import_id: int, table: str, where: str, args: list) -> None:
    """Keep the before-image of each row about to change, once per change (a row this change wrote has none)."""
    cur.execute(f"""INSERT INTO import_row_changes (import_id, table_name, before)
        SELECT ?, ?, to_json(t) FROM {table} t WHERE ({where}) AND t.import_id IS DISTINCT FROM ?""",
                [import_id, table, *args, import_id])


def _update(cur: duckdb.DuckDBPyConnection, import_id: int, table: str, where: str, args: list, values: dict) -> None:
    if not values:
        return
    _image(cur, import_id, table, where, args)
    sets = ", ".join(f'"{k}" = ?' for k in values)
    cur.execute(f"UPDATE {table} SET {sets}, import_id = ? WHERE {where}", [*values.values(), import_id, *args])


def _delete(cur: duckdb.DuckDBPyConnection, import_id: int, table: str, where: str, args: list) -> None:
    _image(cur, import_id, table, where, args)
    cur.execute(f"DELETE FROM {table} WHERE {where}", args)


def _insert(cur: duckdb.DuckDBPyConnection, import_id: int, table: str, values: dict) -> None:
    cols = ", ".join(f'"{k}"' for k in values)
    marks = ", ".join("?" for _ in values)
    cur.execute(f"INSERT INTO {table} ({cols}, import_id) VALUES ({marks}, ?)", [*values.values(), import_id])


def _write_invitees(cur: duckdb.DuckDBPyConnection, import_id: int, setting: str, pupil_id: str, review_id: str,
                    people: Iterable[Mapping]) -> int:
    rows = [p for p in people if not (is_blank(p.get("name")) and is_blank(p.get("role")))]
    used = {str(p["invitee_id"]) for p in rows if not is_blank(p.get("invitee_id"))}
    n = 0
    for i, p in enumerate(rows, 1):
        invitee_id = str(p["invitee_id"]) if not is_blank(p.get("invitee_id")) else _next_id("I", used)
        used.add(invitee_id)
        where = f"invitee {i} ({p.get('name') or 'no name'})"
        values = {"setting": setting, "pupil_id": pupil_id, "review_id": review_id, "invitee_id": invitee_id,
                  "name": _text(p.get("name")), "role": _code(p.get("role"), INVITEE_ROLES, "role", where),
                  "organisation": _text(p.get("organisation")), "contact": _text(p.get("contact")),
                  "response": _code(p.get("response"), INVITEE_RESPONSES, "response", where),
                  "invited_on": _date(p.get("invited_on")), "report_received": _date(p.get("report_received")),
                  "attended": None if is_blank(p.get("attended")) else bool(p.get("attended"))}
        _insert(cur, import_id, "review_invitees", values)
        n += 1
    return n


def _write_actions(cur: duckdb.DuckDBPyConnection, import_id: int, setting: str, pupil_id: str, review_id: str,
                   items: Iterable[Mapping]) -> None:
    """The review's actions become exactly `items` (by action id; new ones numbered on)."""
    keep = [a for a in items if not is_blank(a.get("action"))]
    used = {str(a["action_id"]) for a in keep if not is_blank(a.get("action_id"))}
    _delete(cur, import_id, "review_actions", "setting = ? AND review_id = ?", [setting, review_id])
    for a in keep:
        action_id = str(a["action_id"]) if not is_blank(a.get("action_id")) else _next_id("A", used)
        used.add(action_id)
        _insert(cur, import_id, "review_actions", {
            "setting": setting, "pupil_id": pupil_id, "review_id": review_id, "action_id": action_id,
            "action": _text(a.get("action"), MAX_TEXT), "owner": _text(a.get("owner")),
            "due_date": _date(a.get("due_date")), "done_date": _date(a.get("done_date"))})


def _carried_invitees(cur: duckdb.DuckDBPyConnection, setting: str, pupil_id: str, plan_type: str | None,
                      pupil: dict) -> list[dict]:
    """Who the last review with a meeting record invited (their replies cleared), else a starting list."""
    last = cur.execute("""SELECT i.name, i.role, i.organisation, i.contact FROM review_invitees i
        JOIN reviews r USING (setting, pupil_id, review_id)
        WHERE i.setting = ? AND i.pupil_id = ?
        QUALIFY r.review_date = max(r.review_date) OVER ()
        ORDER BY try_cast(substr(i.invitee_id, 2) AS INTEGER) NULLS LAST""", [setting, pupil_id]).fetchall()
    if last:
        return [{"name": n, "role": r, "organisation": o, "contact": c} for n, r, o, c in last]
    people = [{"role": "parent_carer"}, {"role": "child", "name": pupil.get("first_name")}]
    if pupil.get("key_worker"):
        people.append({"role": "key_worker", "name": pupil["key_worker"]})
    if plan_type == "ehcp":
        people.append({"role": "sen_officer", "organisation": pupil.get("local_authority") or pupil.get("setting_la")})
    return people


def _notice_warning(cur: duckdb.DuckDBPyConnection, pupil: dict, plan_type: str | None, review_date: date,
                    as_of: date) -> str | None:
    """The warning an EHC plan review scheduled with less than the statutory notice carries (None: enough notice)."""
    if plan_type != "ehcp":
        return None
    weeks = int(load_policy(cur, pupil["setting"], pupil.get("local_authority") or pupil.get("setting_la"))
                .value("invite_statutory", "weeks"))
    notice = (review_date - as_of).days
    if notice >= 7 * weeks:
        return None
    return (f"Less than the statutory {weeks} weeks' notice: scheduled on {long_date(as_of)} for {long_date(review_date)} "
            f"({notice} day{'s' if notice != 1 else ''}' notice). Invitations to an EHC plan review must go at least "
            f"{weeks} weeks before the meeting (SEND Regulations 2014, regulation 20), unless the family agrees to "
            "a shorter notice: record their agreement in the review's notes.")


def _date_taken(cur: duckdb.DuckDBPyConnection, r: dict, day: date) -> bool:
    """Whether another review of the same pupil's plan is on `day` (a review's key is its plan and date)."""
    return bool(cur.execute("""SELECT 1 FROM reviews WHERE setting = ? AND pupil_id = ? AND plan_type IS NOT DISTINCT FROM ?
        AND review_date = ? AND review_id IS DISTINCT FROM ?""",
                            [r["setting"], r["pupil_id"], r["plan_type"], day, r["review_id"]]).fetchall())


def _pupil(cur: duckdb.DuckDBPyConnection, setting: str, pupil_id: str, viewer: access.Viewer) -> dict:
    _may_see(viewer, setting)
    got = cur.execute("""SELECT p.setting, p.pupil_id, p.first_name, p.last_name, p.key_worker, p.local_authority,
               s.local_authority AS setting_la
        FROM pupils p LEFT JOIN settings s USING (setting) WHERE p.setting = ? AND p.pupil_id = ?""",
                      [setting, pupil_id]).fetchall()
    if not got:
        raise MeetingError(f"There is no pupil {pupil_id} at {setting}.", fix="Check the pupil id, or import the pupil first.")
    cols = ["setting", "pupil_id", "first_name", "last_name", "key_worker", "local_authority", "setting_la"]
    return dict(zip(cols, got[0], strict=True))


def _current_plan(cur: duckdb.DuckDBPyConnection, setting: str, pupil_id: str) -> str | None:
    open_ = {r[0] for r in cur.execute("SELECT plan_type FROM plans WHERE setting = ? AND pupil_id = ? AND end_date IS NULL",
                                       [setting, pupil_id]).fetchall()}
    return next((p for p in CADENCE_PLANS if p in open_), None)


def _outcomes(cur: duckdb.DuckDBPyConnection, setting: str, pupil_id: str) -> dict[str, tuple[float, float]]:
    return {o: (lo if lo is not None else 0.0, hi if hi is not None else 10.0) for o, lo, hi in cur.execute(
        "SELECT outcome_id, scale_min, scale_max FROM outcomes WHERE setting = ? AND pupil_id = ?",
        [setting, pupil_id]).fetchall()}


def _new_review_id(cur: duckdb.DuckDBPyConnection) -> str:
    while True:
        review_id = "R-" + uuid.uuid4().hex[:8].upper()
        if not cur.execute("SELECT 1 FROM reviews WHERE review_id = ?", [review_id]).fetchall():
            return review_id


def _next_id(prefix: str, used: set[str]) -> str:
    n = 1
    while f"{prefix}{n}" in used:
        n += 1
    return f"{prefix}{n}"


def _may_see(viewer: access.Viewer, setting: str) -> None:
    access.require_staff(viewer)
    if not viewer.may_see_setting(setting):
        raise access.AccessDenied(f"You do not have access to {setting}.")


def _code(value: object, vocab: dict[str, str], what: str, where: str | None = None) -> str | None:
    if is_blank(value):
        return None
    text = str(value).strip()
    if text in vocab:
        return text
    by_label = {v.lower(): k for k, v in vocab.items()}
    if text.lower() in by_label:
        return by_label[text.lower()]
    raise MeetingError(f"'{text}' is not a {what}.", place=where, fix=f"Choose one of: {', '.join(vocab.values())}.")


def _date(value: object) -> date | None:
    if is_blank(value):
        return None
    return pd.Timestamp(value).date()


def _text(value: object, limit: int = 200) -> str | None:
    if is_blank(value):
        return None
    text = str(value).strip()
    if len(text) > limit:
        raise MeetingError(f"The text '{_short(text)}' is {len(text)} characters long.",
                           fix=f"Keep it to {limit} characters; attach longer notes to the pupil's file.")
    return text


def is_blank(value: object) -> bool:
    """None, an empty or all-space string, NaN or NaT: what a form or a data editor leaves in a cell not filled in."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _name(row: Mapping) -> str:
    name = " ".join(str(row.get(k)) for k in ("first_name", "last_name") if not is_blank(row.get(k)))
    return name or str(row.get("pupil_id"))


def _details(values: dict) -> str:
    parts = [f"{k.replace('_', ' ')} {v}" for k, v in values.items()
             if k in ("start_time", "place", "chair", "kind") and v is not None]
    return (" (" + ", ".join(parts) + ")") if parts else ""

