"""Review meetings on the Pupil and Upcoming reviews pages: the review scheduled in the app, its invitees as a table a
SENCo edits, the record form's starting values, the reviews recorded, the changes made in the app, every open action.

Why a module: the pages only render. Turning the editor's labels back into codes, a form's values into the arguments
of `senlib.importer.meetings.record_review`, and the actions of every review into a to-do list by person are
decisions worth a test each, and the same on every page that shows them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb
import pandas as pd

from senlib import access
from senlib.access import Viewer
from senlib.core.names import DECISIONS, INVITEE_RESPONSES, INVITEE_ROLES, PLAN_TYPES, PROGRESS, REVIEW_DOCUMENTS, REVIEW_KINDS
from senlib.importer import meetings
from senlib.importer.load import touched_pupils_sql
from senlib.importer.meetings import is_blank as _blank
from senlib.importer.meetings import long_date
from senlib.views.caseload import keys, names
from senlib.views.pupil import full_name

# The invitees table as the SENCo edits it: column -> heading.
INVITEE_COLUMNS: dict[str, str] = {
    "name": "Name", "role": "Role", "organisation": "Organisation", "contact": "Contact (email or phone)",
    "response": "Response", "invited_on": "Invited on", "report_received": "Report received",
}
# The actions table of the record form: column -> heading.
ACTION_COLUMNS: dict[str, str] = {"action": "What", "owner": "Who", "due_date": "By when"}
# The documents of the pack for a scheduled review (the council's report comes from the record, once held).
PACK_DOCUMENTS = [d for d in REVIEW_DOCUMENTS if d != "council_report"]
NO_MEETINGS = ("No review meeting has been scheduled or recorded in the app for this pupil. Schedule the review here to "
               "prepare the letters and forms: the invitation, the requests for advice, the agenda, the checklist and "
               "the record form.")
NO_ACTIONS = ("No actions are open. Actions come from review meetings recorded in the app: the record form on a pupil's "
              "page, or the record workbook uploaded after the meeting (what, who, by when).")
TAKE_BACK_NOTE = ("Each change made in the app is kept like an upload: the newest can be taken back, and the record "
                  "returns to exactly what it was before it.")


@dataclass
class PupilMeetings:
    """Everything the Pupil page's 'Review meetings' section shows, as plain data (cacheable)."""

    setting: str
    pupil_id: str
    name: str
    plan_type: str | None                 # the pupil's current plan: the default plan of a review scheduled here
    scheduled: dict | None                # the review scheduled in the app and not yet held (its reviews row)
    invitees: pd.DataFrame                # the scheduled review's invitees, as `editor_frame` shapes them
    outcomes: pd.DataFrame                # outcome_id, description, scale_min, scale_max, last_score, last_date, label
    recorded: list[dict] = field(default_factory=list)  # held reviews with a meeting record, newest first
    changes: pd.DataFrame = field(default_factory=pd.DataFrame)  # app_changes + when, take_back (bool)
    planned: date | None = None           # the next review the tracker planned (a date to start the schedule form on)

    @property
    def any_meeting(self) -> bool:
        return self.scheduled is not None or bool(self.recorded)


def pupil_meetings(cur: duckdb.DuckDBPyConnection, setting: str, pupil_id: str, *, as_of: date,
                   viewer: Viewer) -> PupilMeetings:
    """The pupil's review meetings kept in the app, read for `viewer` (staff with access to the setting)."""
    access.require_staff(viewer)
    pupil = cur.execute("SELECT first_name, last_name FROM pupils WHERE setting = ? AND pupil_id = ?",
                        [setting, pupil_id]).fetchall()
    name = full_name(*pupil[0]) if pupil else pupil_id
    listed = meetings.pupil_meetings(cur, setting, pupil_id, viewer=viewer)
    open_ = listed[~listed["held"].astype(bool)].sort_values("review_date")
    scheduled = meetings.review_row(cur, setting, open_["review_id"].iloc[0], viewer=viewer) if len(open_) else None
    people = (meetings.invitees(cur, setting, scheduled["review_id"], viewer=viewer) if scheduled
              else pd.DataFrame(columns=["invitee_id", *INVITEE_COLUMNS]))
    recorded = []
    for review_id in listed.loc[listed["held"].astype(bool), "review_id"]:
        row = meetings.review_row(cur, setting, review_id, viewer=viewer)
        row["actions"] = meetings.actions(cur, setting, review_id, viewer=viewer)
        row["scores"] = _scores_on(cur, setting, pupil_id, row["review_date"])
        row["attended"] = meetings.invitees(cur, setting, review_id, viewer=viewer)
        recorded.append(row)
    return PupilMeetings(setting, pupil_id, name, _current_plan(cur, setting, pupil_id), scheduled, editor_frame(people),
                         _outcomes(cur, setting, pupil_id), recorded,
                         _changes_of(cur, setting, pupil_id, viewer), _planned(cur, setting, pupil_id, as_of))


def _changes_of(cur: duckdb.DuckDBPyConnection, setting: str, pupil_id: str, viewer: Viewer) -> pd.DataFrame:
    """The pupil's changes made in the app, and the uploads since the newest still in force that changed the pupil
    too (undo refuses to take a change back from under them)."""
    frame = meetings.app_changes(cur, setting, pupil_id, viewer=viewer)
    done = frame.loc[frame["status"] == "done", "import_id"]
    later = []
    if len(done):
        later = cur.execute(f"""SELECT DISTINCT i.import_id, i.file_name FROM imports i,
                ({touched_pupils_sql('i.import_id')}) l
            WHERE i.import_id > ? AND i.status = 'done' AND l.setting = ? AND l.pupil_id = ? ORDER BY 1""",
                            [int(done.iloc[0]), setting, pupil_id]).fetchall()
    return changes(frame, later)


def _planned(cur: duckdb.DuckDBPyConnection, setting: str, pupil_id: str, as_of: date) -> date | None:
    """The earliest review the tracker planned from `as_of` on, else the next date agreed at the last review."""
    got = cur.execute("""SELECT min(d) FROM (
            SELECT review_date AS d FROM reviews WHERE setting = ? AND pupil_id = ? AND NOT held AND review_id IS NULL
            UNION ALL SELECT next_review_date FROM reviews WHERE setting = ? AND pupil_id = ? AND held) WHERE d >= ?""",
                      [setting, pupil_id, setting, pupil_id, as_of]).fetchall()
    return got[0][0] if got and got[0][0] is not None else None


def _current_plan(cur: duckdb.DuckDBPyConnection, setting: str, pupil_id: str) -> str | None:
    from senlib.core.names import CADENCE_PLANS

    open_ = {r[0] for r in cur.execute("SELECT plan_type FROM plans WHERE setting = ? AND pupil_id = ? AND end_date IS NULL",
                                       [setting, pupil_id]).fetchall()}
    return next((p for p in CADENCE_PLANS if p in open_), None)


def _outcomes(cur: duckdb.DuckDBPyConnection, setting: str, pupil_id: str) -> pd.DataFrame:
    """The pupil's current outcomes with their last score, for scoring in the meeting; `label` is what the form shows."""
    df = cur.execute("""SELECT o.outcome_id, o.description, coalesce(o.scale_min, 0) AS scale_min,
               coalesce(o.scale_max, 10) AS scale_max, s.score AS last_score, s.score_date AS last_date
        FROM outcomes o LEFT JOIN (SELECT outcome_id, score, score_date FROM scores WHERE setting = ? AND pupil_id = ?
                                    AND score IS NOT NULL QUALIFY row_number() OVER (PARTITION BY outcome_id
                                    ORDER BY score_date DESC) = 1) s USING (outcome_id)
        WHERE o.setting = ? AND o.pupil_id = ? AND coalesce(o.status, 'active') = 'active'
        ORDER BY o.outcome_id""", [setting, pupil_id, setting, pupil_id]).fetchdf()
    df["label"] = [outcome_label(r) for r in df.to_dict("records")]
    return df


def outcome_label(row: Mapping) -> str:
    """'O1: Amy will ask an adult for help… (last 5 on 08/07/2026; 0 to 10)'."""
    text = " ".join(str(row.get("description") or "").split())
    text = text if len(text) <= 70 else text[:69] + "…"
    last = ("not scored yet" if _blank(row.get("last_score"))
            else f"last {float(row['last_score']):g} on {pd.Timestamp(row['last_date']):%d/%m/%Y}")
    return f"{row['outcome_id']}: {text} ({last}; {float(row['scale_min']):g} to {float(row['scale_max']):g})"


def _scores_on(cur: duckdb.DuckDBPyConnection, setting: str, pupil_id: str, day: object) -> pd.DataFrame:
    return cur.execute("""SELECT s.outcome_id, o.description, s.score FROM scores s
        LEFT JOIN outcomes o USING (setting, pupil_id, outcome_id)
        WHERE s.setting = ? AND s.pupil_id = ? AND s.score_date = ? ORDER BY s.outcome_id""",
                       [setting, pupil_id, day]).fetchdf()


def changes(frame: pd.DataFrame, later: list[tuple] = ()) -> pd.DataFrame:
    """The changes made in the app, newest first, with `take_back` True on the newest one still in force (the one
    a Take back button offers: an older one waits until those after it are taken back), unless an upload since
    (`later`: import id, file name) changed the pupil too: then `blocked` says which to undo first."""
    out = frame.copy()
    out["when"] = pd.to_datetime(out["created_at"]).dt.strftime("%d/%m/%Y %H:%M") if len(out) else []
    out["state"] = out["status"].map({"done": "In force", "undone": "Taken back"}).fillna(out["status"])
    done = out.index[out["status"] == "done"]
    newest = (out.index == done[0]) if len(done) else pd.Series(False, index=out.index).to_numpy()
    out["take_back"] = newest & (len(later) == 0)
    names = ", ".join(f"import {i} ({f})" for i, f in later)
    out["blocked"] = [f"To take back '{d}', first undo what was uploaded since for this pupil ({names}) on the Upload "
                      "page." if n and later else None for d, n in zip(out["description"], newest, strict=True)]
    return out


# ---------------------------------------------------------------------------------------------- the invitees editor

def editor_frame(people: pd.DataFrame) -> pd.DataFrame:
    """The invitees as the editor shows them: role and response in words, dates as dates, invitee_id kept (hidden)
    so an edited row keeps its id."""
    out = pd.DataFrame({"invitee_id": pd.Series(list(people["invitee_id"]) if "invitee_id" in people else [],
                                                dtype=object)})
    for col in INVITEE_COLUMNS:
        values = people[col] if col in people else pd.Series([None] * len(people), dtype=object)
        if col == "role":
            values = values.map(INVITEE_ROLES)
        elif col == "response":
            values = values.map(INVITEE_RESPONSES)
        elif col in ("invited_on", "report_received"):
            values = pd.to_datetime(values).dt.date
        out[col] = pd.Series([None if _blank(v) else v for v in values], index=out.index, dtype=object)
    return out.reset_index(drop=True)


def people_from_editor(edited: pd.DataFrame) -> list[dict]:
    """The edited table back to `set_invitees` rows: words to codes, blanks to None. Rows with neither a name nor a
    role are left out (an empty row added by mistake)."""
    roles = {v: k for k, v in INVITEE_ROLES.items()}
    responses = {v: k for k, v in INVITEE_RESPONSES.items()}
    rows = []
    for r in edited.to_dict("records"):
        row = {c: (None if _blank(r.get(c)) else r.get(c)) for c in ["invitee_id", *INVITEE_COLUMNS]}
        row["role"] = roles.get(row["role"], row["role"])
        row["response"] = responses.get(row["response"], row["response"])
        for c in ("invited_on", "report_received"):
            row[c] = None if row[c] is None else pd.Timestamp(row[c]).date()
        if row["name"] is None and row["role"] is None:
            continue
        rows.append(row)
    return rows


def invitation_state(people: pd.DataFrame) -> str:
    """'4 invited, 3 invitations sent · reports: 1 of 2 received' for a review's invitees (editor_frame shape)."""
    if people.empty:
        return "Nobody is invited yet."
    n, sent = len(people), int(people["invited_on"].notna().sum())
    asking = people["response"].isin([INVITEE_RESPONSES["sending_report"], INVITEE_RESPONSES["attending_and_report"]])
    got = people["report_received"].notna()
    parts = [f"{n} invited, {'all' if sent == n else sent} {'invitation' if sent == 1 else 'invitations'} sent"]
    if asking.any() or got.any():
        parts.append(f"reports: {int(got.sum())} of {int((asking | got).sum())} received")
    return " · ".join(parts)


# ---------------------------------------------------------------------------------------------- the scheduled review

def details(review: Mapping) -> list[tuple[str, str]]:
    """The scheduled review's details as (label, value) lines, for the page and its change form."""
    when = long_date(pd.Timestamp(review["review_date"]).date())
    out = [("When", when + (f" at {review['start_time']}" if review.get("start_time") else "")),
           ("Where", review.get("place") or "Not set yet"), ("Chair", review.get("chair") or "Not set yet"),
           ("Kind", REVIEW_KINDS.get(review.get("kind"), review.get("kind") or "")),
           ("Plan", PLAN_TYPES.get(review.get("plan_type"), review.get("plan_type") or "No plan"))]
    if review.get("invitations_sent") is not None and not _blank(review.get("invitations_sent")):
        out.append(("Invitations sent", f"{pd.Timestamp(review['invitations_sent']):%d/%m/%Y}"))
    return out


def default_review_date(as_of: date, due: object = None) -> date:
    """The date the schedule form starts on: the tracker's planned or due date when it is still ahead, else six
    weeks from today (the guidance's invitations about six weeks ahead); a Saturday or Sunday moves to the Friday
    before (a tracker's 'one year on' often lands on a weekend), or the Monday after if that Friday has passed."""
    day = pd.Timestamp(due).date() if not _blank(due) and pd.Timestamp(due).date() >= as_of else as_of + timedelta(weeks=6)
    if day.weekday() >= 5:
        friday = day - timedelta(days=day.weekday() - 4)
        day = friday if friday >= as_of else day + timedelta(days=7 - day.weekday())
    return day


# ---------------------------------------------------------------------------------------------- the record form

def record_arguments(form: Mapping, pm: PupilMeetings) -> dict:
    """The record form's values as `record_review` keyword arguments: progress and decision from words to codes,
    scores by outcome id (blank: not scored), actions from the editor, who attended from the names ticked."""
    progress = {v: k for k, v in PROGRESS.items()}
    decisions = {v: k for k, v in DECISIONS.items()}
    scores = {o: (None if _blank(v) else float(v)) for o, v in (form.get("scores") or {}).items()}
    acts = form.get("actions")
    acts = [] if acts is None else (acts.to_dict("records") if isinstance(acts, pd.DataFrame) else list(acts))
    actions = [{"action": None if _blank(a.get("action")) else str(a["action"]).strip(),
                "owner": None if _blank(a.get("owner")) else str(a["owner"]).strip(),
                "due_date": None if _blank(a.get("due_date")) else pd.Timestamp(a["due_date"]).date()} for a in acts]
    actions = [a for a in actions if a["action"]]
    there = set(form.get("attended") or [])
    attended = {i: (i in there) for i in pm.invitees["invitee_id"]} if len(pm.invitees) else {}
    return {"held_on": form["held_on"], "parent_attended": form.get("parent_attended"),
            "child_contributed": form.get("child_contributed"), "parents_views": form.get("parents_views") or None,
            "child_views": form.get("child_views") or None,
            "attendance": None if _blank(form.get("attendance")) else float(form["attendance"]),
            "progress": progress.get(form.get("progress"), form.get("progress")),
            "decision": decisions.get(form.get("decision"), form.get("decision")),
            "next_review_date": form.get("next_review_date"), "scores": scores, "actions": actions,
            "attended": attended}


def invitee_choices(pm: PupilMeetings) -> dict[str, str]:
    """invitee_id -> 'Ms Brown (Parent or carer)', for 'who attended'."""
    out = {}
    for r in pm.invitees.to_dict("records"):
        name, role = ("" if _blank(r.get(c)) else str(r[c]) for c in ("name", "role"))
        out[r["invitee_id"]] = (f"{name} ({role})" if name and role else name or role) or str(r["invitee_id"])
    return out


def recorded_lines(row: Mapping) -> list[tuple[str, str]]:
    """A recorded review in words: (label, value) for what was recorded, leaving out what was not."""
    def yes_no(v: object) -> str | None:
        return None if _blank(v) else ("Yes" if v else "No")

    lines = [("Decision", DECISIONS.get(row.get("decision"), row.get("decision"))),
             ("Progress", PROGRESS.get(row.get("progress"), row.get("progress"))),
             ("Parent or carer attended or contributed", yes_no(row.get("parent_attended"))),
             ("Child contributed", yes_no(row.get("child_contributed"))),
             ("Attendance", None if _blank(row.get("attendance")) else f"{float(row['attendance']):g}%"),
             ("Parents' and carers' views", row.get("parents_views")), ("Child's views", row.get("child_views")),
             ("Next review", None if _blank(row.get("next_review_date"))
              else long_date(pd.Timestamp(row["next_review_date"]).date())),
             ("Report sent to the council", None if _blank(row.get("report_sent"))
              else long_date(pd.Timestamp(row["report_sent"]).date()))]
    return [(k, str(v)) for k, v in lines if not _blank(v)]


def needs_council_report(row: Mapping) -> bool:
    """An EHC plan review once held: its report goes to the council within two weeks."""
    return row.get("plan_type") == "ehcp" and bool(row.get("held"))


# ---------------------------------------------------------------------------------------------- Upcoming reviews

SCHEDULED_COLUMNS = ["key", "setting", "pupil_id", "pupil", "review_id", "review_date", "start_time", "place",
                     "invited", "invitations", "reports"]


def scheduled(cur: duckdb.DuckDBPyConnection, *, as_of: date, settings: list[str] | None = None,
              viewer: Viewer) -> pd.DataFrame:
    """Every review scheduled in the app and not yet held (from `as_of` on and any not yet recorded), soonest first,
    with its time and place and the state of its invitations and reports (in words)."""
    scope = access.staff_scope(viewer, settings)
    where, args = access.settings_sql(scope, "r.setting")
    df = cur.execute(f"""SELECT r.setting, r.pupil_id, p.first_name, p.last_name, r.review_id, r.review_date,
               r.start_time, r.place, r.invitations_sent,
               count(i.invitee_id) AS people, count(i.invited_on) AS sent,
               count(*) FILTER (i.response IN ('sending_report', 'attending_and_report') OR i.report_received IS NOT NULL)
                   AS asked,
               count(i.report_received) AS received
        FROM reviews r JOIN pupils p USING (setting, pupil_id)
        LEFT JOIN review_invitees i USING (setting, pupil_id, review_id)
        WHERE r.review_id IS NOT NULL AND NOT r.held {where}
        GROUP BY ALL ORDER BY r.review_date, p.last_name, p.first_name""", args).fetchdf()
    out = pd.DataFrame({"key": keys(df["setting"], df["pupil_id"]), "setting": df["setting"], "pupil_id": df["pupil_id"],
                        "pupil": names(df["first_name"], df["last_name"]), "review_id": df["review_id"],
                        "review_date": pd.to_datetime(df["review_date"]), "start_time": df["start_time"],
                        "place": df["place"]}, columns=SCHEDULED_COLUMNS[:8])
    out["invited"] = df["people"].astype(int)
    out["invitations"] = [_sent_words(n, s) for n, s in zip(df["people"], df["sent"], strict=True)]
    out["reports"] = [_report_words(a, r) for a, r in zip(df["asked"], df["received"], strict=True)]
    return out[SCHEDULED_COLUMNS].reset_index(drop=True)


def _sent_words(people: int, sent: int) -> str:
    if people == 0:
        return "Nobody invited yet"
    if sent == people:
        return f"All {people} sent"
    return f"{sent} of {people} sent" if sent else f"Not sent ({people} to invite)"


def _report_words(asked: int, received: int) -> str:
    if asked == 0:
        return "None asked for"
    return f"{received} of {asked} received"


ACTION_DUE_COLUMNS = ["owner", "action", "due_date", "when", "overdue", "pupil", "key", "setting", "pupil_id",
                      "review_id", "action_id", "review_date"]


def actions_due(cur: duckdb.DuckDBPyConnection, *, as_of: date, settings: list[str] | None = None,
                viewer: Viewer) -> pd.DataFrame:
    """Every action a review meeting agreed that is not done, by person: those with an overdue action first, then by
    name; within a person, overdue first, then by the date due (no date last). `when` says it in words."""
    scope = access.staff_scope(viewer, settings)
    where, args = access.settings_sql(scope, "a.setting")
    df = cur.execute(f"""SELECT a.setting, a.pupil_id, p.first_name, p.last_name, a.review_id, a.action_id, a.action,
               a.owner, a.due_date, r.review_date
        FROM review_actions a JOIN pupils p USING (setting, pupil_id)
        LEFT JOIN reviews r ON r.setting = a.setting AND r.review_id = a.review_id
        WHERE a.done_date IS NULL {where}""", args).fetchdf()
    due = pd.to_datetime(df["due_date"])
    ts = pd.Timestamp(as_of)
    out = pd.DataFrame({
        "owner": df["owner"].astype(object).where(df["owner"].notna(), "No one named"), "action": df["action"],
        "due_date": due, "when": [_due_words(d, ts) for d in due], "overdue": (due < ts).fillna(False).astype(bool),
        "pupil": names(df["first_name"], df["last_name"]), "key": keys(df["setting"], df["pupil_id"]),
        "setting": df["setting"], "pupil_id": df["pupil_id"], "review_id": df["review_id"], "action_id": df["action_id"],
        "review_date": pd.to_datetime(df["review_date"])}, columns=ACTION_DUE_COLUMNS)
    first = out.groupby("owner")["overdue"].transform("any")
    out = out.assign(_first=~first, _nobody=out["owner"] == "No one named", _late=~out["overdue"])
    out = out.sort_values(["_first", "_nobody", "owner", "_late", "due_date", "pupil"], na_position="last", kind="stable")
    return out[ACTION_DUE_COLUMNS].reset_index(drop=True)


def _due_words(due: pd.Timestamp, today: pd.Timestamp) -> str:
    if pd.isna(due):
        return "No date agreed"
    days = (due - today).days
    if days < 0:
        return f"Overdue by {-days} day{'s' if days != -1 else ''}"
    return "Due today" if days == 0 else "Due tomorrow" if days == 1 else f"Due in {days} days"


def by_person(due: pd.DataFrame) -> str:
    """'Mrs Khan: 2 (1 overdue) · SENCo: 1': the list's people in its order."""
    parts = []
    for owner, rows in due.groupby("owner", sort=False):
        late = int(rows["overdue"].sum())
        parts.append(f"{owner}: {len(rows)}" + (f" ({late} overdue)" if late else ""))
    return " · ".join(parts)


# ---------------------------------------------------------------------------------------------- documents

def pack_file_name(pm: PupilMeetings | Mapping, review: Mapping, fmt: str) -> str:
    """'review-pack-E1-2027-01-12-word.zip'."""
    pupil_id = pm.pupil_id if isinstance(pm, PupilMeetings) else pm["pupil_id"]
    word = {"docx": "word", "pdf": "pdf"}[fmt]
    return f"review-pack-{_safe(pupil_id)}-{pd.Timestamp(review['review_date']):%Y-%m-%d}-{word}.zip"


def range_file_name(start: date, end: date, formats: tuple[str, ...]) -> str:
    """'review-packs-2026-12-01-to-2027-01-12-word-pdf.zip'."""
    words = "-".join({"docx": "word", "pdf": "pdf"}[f] for f in formats)
    return f"review-packs-{start:%Y-%m-%d}-to-{end:%Y-%m-%d}-{words}.zip"


def record_file_name(pm: PupilMeetings, review: Mapping) -> str:
    return f"review-record-{_safe(pm.pupil_id)}-{pd.Timestamp(review['review_date']):%Y-%m-%d}.xlsx"


def document_files(files: Mapping[str, bytes], document: str) -> dict[str, bytes]:
    """The files of one document in a review's pack (senlib.documents.pack names each '<date> <name> - <label>…')."""
    mark = f" - {REVIEW_DOCUMENTS[document]}"
    return {n: b for n, b in files.items() if mark + "." in n or mark + " (" in n}


def document_label(document: str) -> str:
    return REVIEW_DOCUMENTS.get(document, document)


def _safe(text: object) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in str(text))


