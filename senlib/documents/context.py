"""What a review's documents say, read from the store: one value per placeholder (senlib.documents.placeholders).

Why one reader: the invitation, the advice requests, the agenda, the checklist, the record form and the council's
report say the same dates and names. The dates before and after the meeting come from the policy in force for the
pupil (the rules' own parameters: invitations, advice, the report to the council), never from numbers written here.
Values are plain text or blocks (senlib.documents.blocks); the sandbox turns them into Word.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pandas as pd

from senlib import access
from senlib.access import Viewer
from senlib.core.errors import InputError
from senlib.core.names import (
    DECISIONS,
    INVITEE_RESPONSES,
    INVITEE_ROLES,
    NEEDS,
    PLAN_TYPES,
    PROFESSIONAL_ROLES,
    PROGRESS,
    REVIEW_KINDS,
    year_group_label,
)
from senlib.core.schoolyear import year_group
from senlib.documents.blocks import Paragraphs, Table, Ticks, tick
from senlib.rules.policy import load_policy

TO_CONFIRM = "to be confirmed"
REPLY_AT_LEAST = 7  # days a family has to reply, at the least


class ReviewNotFound(InputError):
    """No review with that id in the settings the viewer may see."""


def long_date(value: object) -> str:
    """'Tuesday 12 January 2027' (blank when there is none)."""
    d = _date(value)
    return f"{d:%A} {d.day} {d:%B %Y}" if d else ""


def plain_date(value: object) -> str:
    """'12 January 2027'."""
    d = _date(value)
    return f"{d.day} {d:%B %Y}" if d else ""


def short_date(value: object) -> str:
    d = _date(value)
    return f"{d:%d/%m/%Y}" if d else ""


def clock(value: object) -> str:
    """'10:30' -> '10:30am', '14:00' -> '2pm'."""
    text = _text(value)
    try:
        hour, minute = (int(x) for x in text.split(":")[:2])
    except ValueError:
        return text or TO_CONFIRM
    suffix = "am" if hour < 12 else "pm"
    h12 = hour % 12 or 12
    return f"{h12}{suffix}" if minute == 0 else f"{h12}:{minute:02d}{suffix}"


def _date(value: object) -> date | None:
    if value is None or value is pd.NaT or (not isinstance(value, date) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date()


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA or value is pd.NaT:
        return ""
    return str(value).strip()


def _weeks(n: int) -> str:
    return f"{n}\u00a0week" if n == 1 else f"{n}\u00a0weeks"  # no line break between the number and its unit


def _role(code: object) -> str:
    label = INVITEE_ROLES.get(_text(code), _text(code))
    return label.split(" (")[0]


def _kind(code: object) -> str:
    """The kind of review as it reads mid-sentence: 'annual review', 'termly review'."""
    label = REVIEW_KINDS.get(_text(code), "review").replace("Termly / APDR review", "termly review")
    return label[0].lower() + label[1:]


def _rows(cur: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict]:
    return cur.execute(sql, params).df().to_dict("records")


def _review(cur: duckdb.DuckDBPyConnection, setting: str, review_id: str, viewer: Viewer) -> dict:
    settings = access.staff_scope(viewer, [setting])
    if settings is not None and setting not in settings:
        raise access.AccessDenied(f"Your access does not include {setting}.", fix="Ask a SENCo of that setting.")
    rows = _rows(cur, "SELECT * FROM reviews WHERE setting = ? AND review_id = ? ORDER BY held DESC LIMIT 1",
                 [setting, review_id])
    if not rows:
        raise ReviewNotFound(f"There is no review {review_id} at {setting}.", place=f"review {review_id}",
                             fix="Open the review from Upcoming reviews or the pupil's page; it may have been cancelled "
                             "or taken back.")
    return rows[0]


def _purpose(first: str, plan: str, kind: str | None, plan_type: str | None) -> str:
    what = {
        "interim": f"This is an interim review, between the usual reviews, of {first}'s {plan}",
        "transition": f"This review of {first}'s {plan} also plans the move to {first}'s next class, school or stage",
        "pcp": f"This is a person-centred planning meeting about {first}'s support",
        "annual": f"This is the annual review of {first}'s {plan}",
    }.get(kind or "", f"This is a review of {first}'s {plan}")
    tail = (f". Together we will talk about how {first} is getting on, what is working well and what is not, and the "
            "progress towards the outcomes in the plan. We will agree what happens next, who will do it and by when")
    if plan_type == "ehcp":
        tail += ", and whether the plan should stay as it is or change"
    return what + tail + "."


def _child_views_how(first: str, invitees: list[dict]) -> str:
    coming = any(i.get("role") == "child" and i.get("response") in ("attending", "attending_and_report") for i in invitees)
    base = (f"Before the meeting we will ask {first}, in the way that suits {first} best (talking, drawing, photos or a "
            f"short questionnaire), what is going well, what is hard and what {first} would like to change, and we "
            "will share those views at the meeting.")
    more = (f" {first} will join the meeting for part of it." if coming else
            f" {first} is welcome to join part of the meeting too: let us know what you think would work best.")
    return base + more


def _reply_by(meeting: date | None, as_of: date, advice_weeks: int) -> str:
    """The reports' date, so the school knows who is coming when it circulates them; never less than a week away
    (short notice), and never after the meeting."""
    if meeting is None:
        return TO_CONFIRM
    day = meeting - timedelta(weeks=advice_weeks)
    if day < as_of + timedelta(days=REPLY_AT_LEAST):
        day = min(as_of + timedelta(days=REPLY_AT_LEAST), meeting - timedelta(days=1))
    return long_date(max(day, as_of))


def _scores(cur: duckdb.DuckDBPyConnection, setting: str, pupil_id: str) -> pd.DataFrame:
    return cur.execute("SELECT outcome_id, score_date, score FROM scores WHERE setting = ? AND pupil_id = ? "
                       "ORDER BY outcome_id, score_date", [setting, pupil_id]).df()


def _score_text(score: object, when: object) -> str:
    return f"{float(score):g} ({short_date(when)})"


def outcomes_block(outcomes: list[dict], scores: pd.DataFrame, meeting: date | None, held: bool) -> Table:
    """Current outcomes with their last score before the meeting and a column to score in it."""
    rows = []
    for o in outcomes:
        mine = scores[scores["outcome_id"] == o["outcome_id"]]
        dates = pd.to_datetime(mine["score_date"]).dt.date if len(mine) else pd.Series([], dtype=object)
        before = mine[dates < meeting] if meeting else mine
        today = mine[dates == meeting] if (meeting and held) else mine.iloc[0:0]
        last = _score_text(before.iloc[-1]["score"], before.iloc[-1]["score_date"]) if len(before) else "not scored yet"
        lo, hi = o.get("scale_min"), o.get("scale_max")
        scale = f"{float(lo if pd.notna(lo) else 0):g}–{float(hi if pd.notna(hi) else 10):g}"
        base = "" if pd.isna(o.get("baseline")) else f"{float(o['baseline']):g}"
        target = "" if pd.isna(o.get("target")) else f"{float(o['target']):g}"
        aim = f"from {base} to {target} (scale {scale})" if base and target else f"scale {scale}"
        desc = _text(o.get("description")) or _text(o["outcome_id"])
        rows.append([f"{desc}\n{aim}", last, f"{float(today.iloc[-1]['score']):g}" if len(today) else ""])
    if not rows:
        rows = [["No current outcomes are recorded.", "", ""]]
    return Table(["Outcome", "Last score (date)", "Score at this review"], rows, [6, 2.2, 1.8])


def invitees_block(invitees: list[dict]) -> Table:
    rows = []
    for i in invitees:
        attended = {True: "Yes", False: "No"}.get(i.get("attended") if isinstance(i.get("attended"), bool) else None, "")
        rows.append([_text(i.get("name")), _role(i.get("role")), _text(i.get("organisation")),
                     INVITEE_RESPONSES.get(_text(i.get("response")), "Not heard yet"),
                     short_date(i.get("report_received")), attended])
    return Table(["Name", "Role", "Organisation", "Reply", "Report received", "Came"], rows,
                 [2.3, 2.6, 2.8, 1.9, 1.8, 1.0], blank_rows=0 if rows else 3)


def actions_block(actions: list[dict], held: bool) -> Table:
    rows = [[_text(a.get("action")), _text(a.get("owner")), short_date(a.get("due_date")), short_date(a.get("done_date"))]
            for a in actions]
    return Table(["What will happen", "Who", "By when", "Done"], rows, [6, 2.5, 1.6, 1.4],
                 blank_rows=0 if (held and rows) else max(1, 4 - len(rows)))


def _checks(review: dict, invitees: list[dict]) -> dict[str, str]:
    sent = _date(review.get("invitations_sent"))
    parents = [i for i in invitees if i.get("role") == "parent_carer"]
    pros = [i for i in invitees if i.get("role") in PROFESSIONAL_ROLES]
    invited = lambda i: _date(i.get("invited_on")) is not None  # noqa: E731
    expected = [i for i in pros if i.get("response") != "attending" and i.get("response") != "not_attending"]
    received = [i for i in expected if _date(i.get("report_received"))]
    all_sent = bool(invitees) and all(invited(i) for i in invitees)
    if expected:
        summary = f"{len(received)} of {len(expected)} report{'s' if len(expected) > 1 else ''} received"
    elif _date(review.get("reports_received")):
        summary = f"reports received on {short_date(review.get('reports_received'))}"
    else:
        summary = "none recorded as asked for yet"
    return {
        "tick_parents_invited": tick(any(invited(i) for i in parents) or (sent is not None and (bool(parents) or not invitees))),
        "tick_professionals_invited": tick(bool(pros) and (all(invited(i) for i in pros) or sent is not None)),
        "tick_invitations_sent": tick(sent is not None or all_sent),
        "tick_reports_received": tick(_date(review.get("reports_received")) is not None
                                      or (bool(expected) and len(received) == len(expected))),
        "tick_child_views": tick(bool(_text(review.get("child_views"))) or review.get("child_contributed") is True),
        "reports_summary": summary,
    }


def review_context(cur: duckdb.DuckDBPyConnection, setting: str, review_id: str, *, as_of: date,
                   viewer: Viewer) -> dict:
    """Every placeholder's value for one review (staff only, the viewer's settings only); ReviewNotFound if there is
    none. Keys starting with '_' are for the pack (file names, the advice requests), not placeholders."""
    r = _review(cur, setting, review_id, viewer)
    pupil_id = r["pupil_id"]
    key = [setting, pupil_id]
    prow = _rows(cur, "SELECT * FROM pupils WHERE setting = ? AND pupil_id = ?", key)
    p = prow[0] if prow else {}
    plan_type = _text(r.get("plan_type")) or None
    plans = _rows(cur, "SELECT plan_type, local_authority FROM plans WHERE setting = ? AND pupil_id = ? "
                  "ORDER BY start_date DESC NULLS LAST", key)
    if plan_type is None:
        ranked = [pl["plan_type"] for pl in plans if pl["plan_type"] in PLAN_TYPES]
        plan_type = max(ranked, key=list(PLAN_TYPES).index) if ranked else None
    ehcp_la = next((_text(pl["local_authority"]) for pl in plans if pl["plan_type"] == "ehcp" and _text(pl["local_authority"])), "")
    setting_row = _rows(cur, "SELECT local_authority FROM settings WHERE setting = ?", [setting])
    setting_la = _text(setting_row[0]["local_authority"]) if setting_row else ""
    policy_la = ehcp_la or _text(p.get("local_authority")) or setting_la or None  # as the rules choose (facts.policy_la)
    policy = load_policy(cur, setting, policy_la)
    weeks = {rule: int(policy.value(rule, "weeks")) for rule in
             ("invite_good_practice", "invite_statutory", "advice_before", "report_after")}

    invitees = _rows(cur, "SELECT * FROM review_invitees WHERE setting = ? AND review_id = ? "
                     "ORDER BY length(invitee_id), invitee_id", [setting, review_id])
    actions = _rows(cur, "SELECT * FROM review_actions WHERE setting = ? AND review_id = ? "
                    "ORDER BY length(action_id), action_id", [setting, review_id])
    outcomes = _rows(cur, "SELECT * FROM outcomes WHERE setting = ? AND pupil_id = ? AND (status IS NULL OR "
                     "status = 'active') ORDER BY length(outcome_id), outcome_id", key)
    scores = _scores(cur, setting, pupil_id)

    meeting = _date(r.get("review_date"))
    held = bool(r.get("held"))
    first = _text(p.get("first_name")) or "your child"
    last = _text(p.get("last_name"))
    plan = PLAN_TYPES.get(plan_type or "", "plan")
    dob = _date(p.get("date_of_birth"))
    yg = _text(p.get("year_group")) or (year_group(dob, as_of) if dob else None)
    parents = [_text(i.get("name")) for i in invitees if i.get("role") == "parent_carer" and _text(i.get("name"))]
    senco = next((_text(i.get("name")) for i in invitees if i.get("role") == "senco" and _text(i.get("name"))), "")
    attendance = r.get("attendance")
    ehcp = plan_type == "ehcp"
    statutory = Paragraphs([
        f"Because {first} has an EHC plan, this is a statutory review. The law asks us to invite you at least "
        f"{_weeks(weeks['invite_statutory'])} before the meeting, and to send you the reports and advice we receive at "
        f"least {_weeks(weeks['advice_before'])} before it. After the meeting we will send a report of it to "
        f"{ehcp_la or setting_la or 'the council'} within {_weeks(weeks['report_after'])}, and you will get a copy."
    ] if ehcp else [])

    ctx: dict = {
        "today": plain_date(as_of),
        "setting_name": setting,
        "senco_name": senco or _text(r.get("chair")),
        "local_authority": ehcp_la or _text(p.get("local_authority")) or setting_la,
        "pupil_name": " ".join(x for x in (first if prow else "", last) if x) or pupil_id,
        "pupil_first_name": first,
        "pupil_id": pupil_id,
        "date_of_birth": plain_date(dob),
        "year_group": year_group_label(yg) if yg else "",
        "primary_need": NEEDS.get(_text(p.get("primary_need")), _text(p.get("primary_need"))),
        "plan_name": plan,
        "review_kind": _kind(r.get("kind")),
        "review_id": review_id,
        "meeting_date": long_date(meeting) or TO_CONFIRM,
        "meeting_time": clock(r.get("start_time")),
        "meeting_place": _text(r.get("place")) or TO_CONFIRM,
        "chair": _text(r.get("chair")) or TO_CONFIRM,
        "meeting_purpose": _purpose(first, plan, _text(r.get("kind")) or None, plan_type),
        "child_views_how": _child_views_how(first, invitees),
        "reply_by": _reply_by(meeting, as_of, weeks["advice_before"]),
        "reports_needed_by": long_date(meeting - timedelta(weeks=weeks["advice_before"])) if meeting else TO_CONFIRM,
        "notice_weeks": _weeks(weeks["invite_good_practice"]),
        "statutory_notice": statutory,
        "parent_name": " and ".join(parents) if parents else "Parent or carer",
        "invitee_name": "", "invitee_role": "", "invitee_organisation": "",
        "invitees_table": invitees_block(invitees),
        "outcomes_table": outcomes_block(outcomes, scores, meeting, held),
        "attendance": "" if attendance is None or pd.isna(attendance) else f"{float(attendance):g}%",
        "parents_views": _text(r.get("parents_views")),
        "child_views": _text(r.get("child_views")),
        "progress": PROGRESS.get(_text(r.get("progress")), _text(r.get("progress"))),
        "progress_list": Ticks([(label, code == r.get("progress")) for code, label in PROGRESS.items()]),
        "decision": DECISIONS.get(_text(r.get("decision")), _text(r.get("decision"))),
        "decisions_list": Ticks([(label, code == r.get("decision")) for code, label in DECISIONS.items()]),
        "actions_table": actions_block(actions, held),
        "next_review_date": long_date(r.get("next_review_date")),
        "council_report_due": long_date(meeting + timedelta(weeks=weeks["report_after"])) if meeting else TO_CONFIRM,
        "notes": _text(r.get("notes")),
        **_checks(r, invitees),
        "_pupil_last": last, "_pupil_first": first if prow else "", "_pupil_id": pupil_id, "_plan_type": plan_type,
        "_meeting_date": meeting, "_held": held,
        "_professionals": [i for i in invitees if i.get("role") in PROFESSIONAL_ROLES],
    }
    return ctx


def advice_contexts(base: dict) -> list[dict]:
    """One context per professional invitee of a review's context (the request for advice is addressed to each)."""
    out = []
    for i in base["_professionals"]:
        ctx = dict(base)
        ctx["invitee_name"] = _text(i.get("name")) or _role(i.get("role"))
        ctx["invitee_role"] = _role(i.get("role"))
        ctx["invitee_organisation"] = _text(i.get("organisation"))
        ctx["_invitee_id"] = i.get("invitee_id")
        out.append(ctx)
    return out
