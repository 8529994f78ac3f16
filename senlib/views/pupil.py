"""One pupil's record: finding them, their profile, plans, reviews, outcomes and scores.

Why a module: the Pupil page, links from other pages (`?pupil=SETTING|ID`) and reports all
need the same lookups, with the same rules for who may be seen (a `settings` list limits
a user in a trust to some settings; None means all; a `viewer` (senlib.access) is checked to be
staff and narrows the settings to theirs). Nothing here imports streamlit; every
value that came from a tracker is returned as data, never as markup.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

import duckdb
import pandas as pd

from senlib import access, rules
from senlib.access import Viewer
from senlib.core.errors import InputError
from senlib.core.names import (
    AREAS,
    DECISIONS,
    EHC_DECISIONS,
    EHCP_REVIEW_CHECKS,
    NEEDS,
    NOT_RECORDED,
    OUTCOME_STATUS,
    PLAN_TYPES,
    PROGRESS,
    PROVISION_KINDS,
    PROVISION_MEASURES,
    REVIEW_CHECKS,
    REVIEW_KINDS,
    SEN_STATUS,
    not_recorded,
    year_group_label,
)
from senlib.core.schoolyear import year_group

KEY_SEP = "|"
PAGE_URL = "pupil"  # url path of pages/pupil.py
QUERY_PARAM = "pupil"

# Which plan a pupil is "on" when several run at once: the highest step of the graduated response.
def pupil_key(setting: str, pupil_id: str) -> str:
    """The one-string identity of a pupil used in links: 'SETTING|ID'."""
    return f"{setting}{KEY_SEP}{pupil_id}"


def parse_key(text: str | None) -> tuple[str, str]:
    """'SETTING|ID' back to (setting, pupil_id); the setting is split at the last '|' so ids may not contain one."""
    if not text or KEY_SEP not in text:
        raise InputError("That link does not name a pupil.", place="the pupil= part of the address",
                         fix="Open the pupil from a list, or search for them by name or id.")
    setting, _, pupil_id = text.rpartition(KEY_SEP)
    if not setting.strip() or not pupil_id.strip():
        raise InputError("That link does not name a pupil.", place="the pupil= part of the address",
                         fix="Open the pupil from a list, or search for them by name or id.")
    return setting, pupil_id


def link(setting: str, pupil_id: str) -> str:
    """A relative URL that opens the Pupil page on this pupil (for LinkColumn and plain links)."""
    return f"{PAGE_URL}?{QUERY_PARAM}={quote(pupil_key(setting, pupil_id), safe='')}"


# The settings a pupil-level query may read (staff only, their settings only): access.staff_scope.
scope_settings = access.staff_scope


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search(cur: duckdb.DuckDBPyConnection, text: str, *, settings: list[str] | None = None, limit: int = 50,
           viewer: Viewer) -> pd.DataFrame:
    """Pupils whose name or id contains every word typed (case-insensitive); exact id matches first.

    Returns setting, pupil_id, first_name, last_name, year_group, sen_status, left (bool), key, label.
    """
    settings = scope_settings(viewer, settings)
    words = [w for w in (text or "").split() if w]
    if not words:
        return pd.DataFrame(columns=["setting", "pupil_id", "first_name", "last_name", "year_group", "sen_status",
                                     "left", "key", "label"])
    conds, params = [], []
    for w in words:
        conds.append("(first_name ILIKE ? ESCAPE '\\' OR last_name ILIKE ? ESCAPE '\\' OR pupil_id ILIKE ? ESCAPE '\\')")
        params += [_like(w)] * 3
    where, extra = access.settings_sql(settings)
    df = cur.execute(
        f"""SELECT setting, pupil_id, first_name, last_name, year_group, sen_status,
                   coalesce(leaving_date <= current_date, false) AS "left"
            FROM pupils WHERE {' AND '.join(conds)} {where}
            ORDER BY (lower(pupil_id) = lower(?)) DESC, (sen_status IN ('K', 'E')) DESC,
                     last_name, first_name, setting, pupil_id
            LIMIT ?""",
        params + extra + [text.strip(), limit],
    ).df()
    df["key"] = [pupil_key(s, p) for s, p in zip(df["setting"], df["pupil_id"], strict=True)]
    df["label"] = [_label(r) for r in df.to_dict("records")]
    return df


def lookup(cur: duckdb.DuckDBPyConnection, setting: str, pupil_id: str, *, settings: list[str] | None = None,
           viewer: Viewer) -> pd.DataFrame:
    """The one pupil named by a link, in the same shape as `search` (empty if unknown or not visible)."""
    settings = scope_settings(viewer, settings)
    where, extra = access.settings_sql(settings)
    df = cur.execute(
        f"""SELECT setting, pupil_id, first_name, last_name, year_group, sen_status,
                   coalesce(leaving_date <= current_date, false) AS "left"
            FROM pupils WHERE setting = ? AND pupil_id = ? {where}""", [setting, pupil_id] + extra).df()
    df["key"] = [pupil_key(s, p) for s, p in zip(df["setting"], df["pupil_id"], strict=True)]
    df["label"] = [_label(r) for r in df.to_dict("records")]
    return df


def _label(row: dict) -> str:
    name = full_name(row.get("first_name"), row.get("last_name"), last_first=True)
    parts = [name, str(row["pupil_id"]), str(row["setting"])]
    if row.get("year_group"):
        parts.append(year_group_label(row["year_group"]))
    if row.get("sen_status") in SEN_STATUS:
        parts.append(SEN_STATUS[row["sen_status"]])
    if row.get("left"):
        parts.append("left")
    return " · ".join(parts)


def full_name(first: object, last: object, *, last_first: bool = False) -> str:
    """A display name from parts that may be missing."""
    f = "" if first is None or pd.isna(first) else str(first).strip()
    ln = "" if last is None or pd.isna(last) else str(last).strip()
    if last_first and f and ln:
        return f"{ln}, {f}"
    return " ".join(p for p in (f, ln) if p) or "(no name recorded)"


@dataclass
class PupilRecord:
    """Everything the Pupil page shows, as plain data (picklable, so pages can cache it)."""

    setting: str
    pupil_id: str
    name: str
    profile: pd.DataFrame       # field, value (both text)
    current_plan: str | None    # plan_type code of the main plan (senlib.rules.main_plans)
    plans: pd.DataFrame         # plan_type, plan, start_date, end_date, local_authority, ongoing
    reviews: pd.DataFrame       # one row per review, newest first, labelled
    outcomes: pd.DataFrame      # outcome_id, area, area_label, description, baseline, target, scale, dates, status
    scores: pd.DataFrame        # outcome_id, score_date, score
    ehc_requests: pd.DataFrame  # requested, decision_date, decision, final_plan_date, local_authority
    extra: pd.DataFrame         # column, value: tracker columns the product keeps but does not know
    warnings: list[str]         # things in the record that look wrong (e.g. year group does not match date of birth)


def record(cur: duckdb.DuckDBPyConnection, setting: str, pupil_id: str, *, as_of: date,
           settings: list[str] | None = None, viewer: Viewer) -> PupilRecord | None:
    """The pupil's whole record, or None if there is no such pupil (or the user may not see their setting)."""
    settings = scope_settings(viewer, settings)
    if settings is not None and setting not in settings:
        return None
    rows = cur.execute("SELECT * FROM pupils WHERE setting = ? AND pupil_id = ?", [setting, pupil_id]).df()
    if rows.empty:
        return None
    p = rows.iloc[0].to_dict()
    key = [setting, pupil_id]
    plans = cur.execute(
        """SELECT plan_type, start_date, end_date, local_authority FROM plans
           WHERE setting = ? AND pupil_id = ? ORDER BY start_date NULLS LAST, plan_type""", key).df()
    plans["plan"] = plans["plan_type"].map(PLAN_TYPES).fillna(plans["plan_type"])
    ts = pd.Timestamp(as_of)
    start = pd.to_datetime(plans["start_date"])
    end = pd.to_datetime(plans["end_date"])
    plans["ongoing"] = (start.isna() | (start <= ts)) & (end.isna() | (end > ts))
    main = rules.main_plans(cur, as_of, settings=[setting], viewer=viewer)  # the rules' definition, so the page agrees with them
    mine = main.loc[main["pupil_id"] == pupil_id, "plan_type"]
    current_plan = mine.iloc[0] if len(mine) and isinstance(mine.iloc[0], str) else None

    reviews = _reviews(cur, key)
    outcomes = cur.execute(
        """SELECT outcome_id, area, description, baseline, target, scale_min, scale_max, start_date, target_date, status
           FROM outcomes WHERE setting = ? AND pupil_id = ? ORDER BY outcome_id""", key).df()
    outcomes["area_label"] = outcomes["area"].map(AREAS).fillna(outcomes["area"].fillna(not_recorded("Area")))
    outcomes["status_label"] = outcomes["status"].map(OUTCOME_STATUS).fillna(outcomes["status"])
    scores = cur.execute(
        """SELECT outcome_id, score_date, score FROM scores WHERE setting = ? AND pupil_id = ?
           ORDER BY outcome_id, score_date""", key).df()
    requests = cur.execute(
        """SELECT requested, decision_date, decision, final_plan_date, local_authority FROM ehc_requests
           WHERE setting = ? AND pupil_id = ? ORDER BY requested""", key).df()
    requests["decision"] = requests["decision"].map(EHC_DECISIONS).fillna(requests["decision"])

    warnings = []
    derived = year_group(pd.Timestamp(p["date_of_birth"]).date(), as_of) if not pd.isna(p["date_of_birth"]) else None
    recorded = None if pd.isna(p["year_group"]) else str(p["year_group"])
    if derived and recorded and derived != recorded:
        warnings.append(f"The recorded year group ({year_group_label(recorded)}) does not match the date of birth "
                        f"({year_group_label(derived)} on {as_of:%d/%m/%Y}).")
    if p["sen_status"] in ("K", "E") and pd.isna(p["primary_need"]):
        warnings.append("On the SEN register but no primary type of need is recorded (the school census requires one).")

    name = full_name(p["first_name"], p["last_name"])
    return PupilRecord(
        setting=setting, pupil_id=pupil_id, name=name,
        profile=_profile(p, derived, current_plan, as_of), current_plan=current_plan,
        plans=plans[["plan_type", "plan", "start_date", "end_date", "local_authority", "ongoing"]],
        reviews=reviews, outcomes=outcomes, scores=scores, ehc_requests=requests,
        extra=extra_columns(p.get("extra")), warnings=warnings,
    )


def _fmt_date(value: object) -> str:
    if value is None or pd.isna(value):
        return ""
    return pd.Timestamp(value).strftime("%d/%m/%Y")


def _text(value: object) -> str:
    if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)):
        return ""
    return str(value)


def _profile(p: dict, derived_year: str | None, current_plan: str | None, as_of: date) -> pd.DataFrame:
    dob = p["date_of_birth"]
    age = ""
    if not pd.isna(dob):
        born = pd.Timestamp(dob).date()
        years = as_of.year - born.year - ((as_of.month, as_of.day) < (born.month, born.day))
        age = f"{years}"
    year = year_group_label(p["year_group"]) if not pd.isna(p["year_group"]) else NOT_RECORDED
    if derived_year and (pd.isna(p["year_group"]) or derived_year != p["year_group"]):
        year += f" (from date of birth: {year_group_label(derived_year)})"
    need = lambda code: "" if code is None or pd.isna(code) else f"{NEEDS.get(code, code)} ({code})"  # noqa: E731
    fields = [
        ("Name", full_name(p["first_name"], p["last_name"])),
        ("Pupil ID", _text(p["pupil_id"])),
        ("Setting", _text(p["setting"])),
        ("Date of birth", _fmt_date(dob)),
        ("Age", age),
        ("Year group", year),
        ("Class", _text(p["class"])),
        ("SEN status", SEN_STATUS.get(p["sen_status"], _text(p["sen_status"]) or NOT_RECORDED)),
        ("Current plan", PLAN_TYPES.get(current_plan, "None") if current_plan else "None"),
        ("Primary need", need(p["primary_need"])),
        ("Secondary need", need(p["secondary_need"])),
        ("Local authority (EHCP)", _text(p["local_authority"])),
        ("Key worker", _text(p["key_worker"])),
        ("Date identified", _fmt_date(p["date_identified"])),
        ("Leaving date", _fmt_date(p["leaving_date"])),
    ]
    return pd.DataFrame(fields, columns=["field", "value"])


def _reviews(cur: duckdb.DuckDBPyConnection, key: list[str]) -> pd.DataFrame:
    df = cur.execute(
        """SELECT review_date, held, kind, plan_type, invitations_sent, reports_received, parent_attended,
                  child_contributed, progress, decision, next_review_date, report_sent, la_decision_date,
                  pfa_covered, notes
           FROM reviews WHERE setting = ? AND pupil_id = ? ORDER BY review_date DESC""", key).df()
    df["kind"] = df["kind"].map(REVIEW_KINDS).fillna(df["kind"])
    df["plan_type"] = df["plan_type"].map(PLAN_TYPES).fillna(df["plan_type"])
    df["progress"] = df["progress"].map(PROGRESS).fillna(df["progress"])
    df["decision"] = df["decision"].map(DECISIONS).fillna(df["decision"])
    df["held"] = df["held"].map({True: "Held", False: "Scheduled"})
    return df


REVIEW_COLUMNS: dict[str, str] = {
    "review_date": "Date",
    "held": "Held",
    "kind": "Kind",
    "plan_type": "Plan",
    "progress": "Progress",
    "decision": "Decision",
    "invitations_sent": "Invitations sent",
    "reports_received": "Reports received",
    "parent_attended": "Parent attended or contributed",
    "child_contributed": "Child contributed",
    "next_review_date": "Next review set for",
    "report_sent": "Report sent to council",
    "la_decision_date": "Council decision",
    "pfa_covered": "Preparing for adulthood covered",
    "notes": "Notes",
}


def extra_columns(raw: object) -> pd.DataFrame:
    """The tracker's own columns (pupils.extra JSON) as (column, value) text rows, in the tracker's order."""
    if raw is None or (isinstance(raw, float) and pd.isna(raw)):
        return pd.DataFrame(columns=["column", "value"])
    data = raw
    if isinstance(raw, (str, bytes)):
        try:
            data = json.loads(raw)
        except ValueError:
            return pd.DataFrame([("(tracker data)", str(raw))], columns=["column", "value"])
    if not isinstance(data, dict):
        return pd.DataFrame([("(tracker data)", json.dumps(data, ensure_ascii=False))], columns=["column", "value"])
    rows = []
    for k, v in data.items():
        if v is None:
            continue
        text = json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else str(v)
        rows.append((str(k), text))
    return pd.DataFrame(rows, columns=["column", "value"])


def plan_path(plans: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """The plans the path through the graduated response can draw (those with a start date), and a sentence for
    the ones it cannot: a tracker often records the plan but not when it started."""
    dated = plans[plans["start_date"].notna()]
    undated = plans.loc[plans["start_date"].isna(), "plan"].tolist()
    if not undated:
        return dated, None
    names = ", ".join(undated)
    if dated.empty:
        return dated, (f"{names}: no start date recorded, so the path cannot be drawn. Record the date each plan "
                       "started (for an EHC plan, the date it was issued) to see it.")
    return dated, f"Not drawn: {names} (no start date recorded)."


def figures(rec: PupilRecord, as_of: date) -> dict[str, dict]:
    """The Pupil page's charts as specs: 'timeline' (the path through the graduated response, only when a plan has a
    start date; see `plan_path`) and one scaling chart per outcome with at least one score, keyed by outcome id. An
    outcome not scored yet has no chart (empty axes with only a baseline and a target say nothing): `not_scored`
    gives the sentence the page shows instead."""
    from senlib.render import charts

    dated, _ = plan_path(rec.plans)
    figs = {"timeline": charts.to_spec(charts.plan_timeline(dated, as_of=as_of))} if not dated.empty else {}
    scores = rec.scores[rec.scores["score"].notna() & rec.scores["score_date"].notna()] if len(rec.scores) else rec.scores
    for o in outcome_table(rec).itertuples():
        mine = scores[scores["outcome_id"] == o.outcome_id] if len(scores) else scores
        if len(mine):
            figs[o.outcome_id] = charts.to_spec(charts.scaling_chart(
                mine, baseline=o.baseline, target=o.target, scale_min=o.scale_min, scale_max=o.scale_max,
                title=o.chart_title, area=o.area, target_date=o.target_date))
    return figs


def not_scored(title: object) -> str:
    """What the Pupil page says in place of the scaling chart of an outcome with no score yet."""
    return f"{title}: not scored yet, so there is no progress to draw. Record a scaling score at the next review."


def outcome_table(rec: PupilRecord) -> pd.DataFrame:
    """Per outcome: latest score, change since baseline and share of the way to target, from the record's scores.

    A quick per-pupil view for the page header; the authoritative figures (stalled etc.)
    come from senlib.views.progress / the rules engine.
    """
    if rec.outcomes.empty:
        return pd.DataFrame(columns=["outcome_id", "area_label", "baseline", "latest", "target", "change", "share"])
    last = (rec.scores.sort_values("score_date").groupby("outcome_id", as_index=False)
            .agg(latest=("score", "last"), latest_date=("score_date", "last"), scores=("score", "size")))
    out = rec.outcomes.merge(last, on="outcome_id", how="left")
    out["change"] = out["latest"] - out["baseline"]
    span = out["target"] - out["baseline"]
    out["share"] = (out["change"] / span).where(span != 0)
    out["chart_title"] = [_short_title(i, d) for i, d in zip(out["outcome_id"], out["description"], strict=True)]
    out["summary"] = [_summary(r) for r in out.to_dict("records")]
    return out


def _short_title(outcome_id: object, description: object, limit: int = 55) -> str:
    text = "" if description is None or pd.isna(description) else " ".join(str(description).split())
    return f"{outcome_id}: {text[:limit]}{'…' if len(text) > limit else ''}"


def _summary(row: dict) -> str:
    def num(v: object) -> str:
        return "–" if v is None or pd.isna(v) else f"{float(v):g}"

    share = row.get("share")
    parts = [f"Baseline {num(row['baseline'])}", f"latest {num(row['latest']) if not pd.isna(row['latest']) else 'not scored'}",
             f"target {num(row['target'])}"]
    if share is not None and not pd.isna(share):
        parts.append(f"{share:.0%} of the way to target")
    if isinstance(row.get("status_label"), str):
        parts.append(row["status_label"])
    return " · ".join(parts)


# --- Flags, review status and review quality: from the rules engine (senlib.rules), when installed ---------

# Review quality checks of senlib.rules.review_quality shown on the Pupil page, with their headings.
QUALITY_COLUMNS: dict[str, str] = {"review_date": "Review", "plan": "Plan", **REVIEW_CHECKS, **EHCP_REVIEW_CHECKS,
                                   "checks": "Checks passed"}


@dataclass
class RulesView:
    """What the rules engine says about one pupil on the as-of date."""

    status: str | None      # names.REVIEW_STATUS: overdue / no_review_date / due_soon / on_track / not_applicable
    reason: str             # the rule's sentence for the status, from the pupil's own dates
    milestones: str         # 'Review due 16/02/2027 · invitations by 14/12/2026 (to come) · ...'
    flags: pd.DataFrame     # flag (rule title), reason, source, rule
    quality: pd.DataFrame   # one row per held review, QUALITY_COLUMNS


def rules_frames(cur: duckdb.DuckDBPyConnection, as_of: date, setting: str, *, viewer: Viewer) -> dict | None:
    """The rules engine's pupil_status and review_quality for one whole setting (cache this: one
    evaluation serves every pupil of the setting), plus the rule titles; None for a setting the viewer may not see."""
    allowed = scope_settings(viewer)
    if allowed is not None and setting not in allowed:
        return None
    scope = [setting]
    return {"status": rules.pupil_status(cur, as_of, settings=scope, viewer=viewer),
            "quality": rules.review_quality(cur, as_of, settings=scope, viewer=viewer),
            "titles": {rid: rule.title for rid, rule in rules.default_policy().rules.items()}}


def _for_pupil(df: pd.DataFrame | None, setting: str, pupil_id: str) -> pd.DataFrame:
    if df is None or not isinstance(df, pd.DataFrame):
        return pd.DataFrame()
    if {"setting", "pupil_id"} <= set(df.columns):
        df = df[(df["setting"] == setting) & (df["pupil_id"] == pupil_id)]
    return df.reset_index(drop=True)


def _as_list(value: object) -> list:
    if value is None:
        return []
    if hasattr(value, "tolist"):
        value = value.tolist()
    return list(value) if isinstance(value, (list, tuple)) else []


def rules_view(frames: dict | None, setting: str, pupil_id: str) -> RulesView | None:
    """One pupil's status, milestones, flags with reasons and review quality, out of `rules_frames`."""
    if frames is None:
        return None
    status = _for_pupil(frames.get("status"), setting, pupil_id)
    row = status.iloc[0].to_dict() if not status.empty else {}
    flags, reasons, sources = (_as_list(row.get(c)) for c in ("flags", "flag_reasons", "flag_sources"))
    titles = frames.get("titles") or {}
    flag_rows = [{"flag": titles.get(f, f), "reason": reasons[i] if i < len(reasons) else "",
                  "source": sources[i] if i < len(sources) else "", "rule": f} for i, f in enumerate(flags)]
    parts = []
    for col, label, state in (("due_date", "Review due", None), ("invite_by", "invitations by", "invite_state"),
                              ("reports_by", "reports by", "reports_state")):
        value = row.get(col)
        if value is not None and not pd.isna(value):
            extra = row.get(state) if state else None
            parts.append(f"{label} {_fmt_date(value)}" + (f" ({str(extra).replace('_', ' ')})" if isinstance(extra, str) else ""))
    quality = _for_pupil(frames.get("quality"), setting, pupil_id)
    if not quality.empty:
        quality = quality.sort_values("review_date", ascending=False)
        if {"checks_passed", "checks_known"} <= set(quality.columns):
            quality["checks"] = [f"{p} of {k}" if not pd.isna(k) else "" for p, k in
                                 zip(quality["checks_passed"], quality["checks_known"], strict=True)]
        quality = quality[[c for c in QUALITY_COLUMNS if c in quality.columns]]
        quality = quality.dropna(axis=1, how="all")
        for col in quality.columns:
            if col not in ("review_date", "plan", "checks"):
                quality[col] = quality[col].astype("boolean")
    return RulesView(status=row.get("status"), reason=str(row.get("status_reason") or ""),
                     milestones=" · ".join(parts), quality=quality.reset_index(drop=True),
                     flags=pd.DataFrame(flag_rows, columns=["flag", "reason", "source", "rule"]))


# --- Provision (issue 16): the pupil's costed provision, now and over time --------------------------------------

PROVISION_FLAG_RULES = ("provision_over_notional", "register_without_provision", "provision_no_exit",
                        "provision_attendance_low", "provision_low_impact")
NOT_TRACKED_PROVISION = "Provision is not tracked for this setting"
# The costed history as shown and downloaded: column -> heading.
PROVISION_COLUMNS: dict[str, str] = {
    "name": "Intervention", "kind": "Kind", "areas": "Areas of need", "delivered_by": "Delivered by",
    "start_date": "From", "end_date": "To", "hours_week": "Hours a week", "share_year": "Share of cost this school year",
    "entry": "Entry", "exit": "Exit", "gain": "Gain (expected)", "attendance": "Attendance", "flags": "Flags",
}


def provision_frames(cur: duckdb.DuckDBPyConnection, as_of: date, setting: str, *, viewer: Viewer) -> dict | None:
    """The provision rules' results for one whole setting (cache this: one evaluation serves every pupil of the
    setting): 'places', 'pupils', 'flags' (senlib.rules.provision) and the rule titles; None for a setting the viewer
    may not see."""
    from senlib.rules import provision

    allowed = scope_settings(viewer)
    if allowed is not None and setting not in allowed:
        return None
    scope = [setting]
    return {"places": provision.places(cur, as_of, scope, viewer=viewer),
            "pupils": provision.pupils(cur, as_of, scope, viewer=viewer),
            "flags": provision.flags(cur, as_of, scope, viewer=viewer),
            "titles": {rid: rules.default_policy().rules[rid].title for rid in PROVISION_FLAG_RULES}}


@dataclass
class ProvisionView:
    """One pupil's provision as the Pupil page shows it and the evidence pack downloads it."""

    tracked: bool               # the setting records provision at all (else: one line, NOT_TRACKED_PROVISION)
    places: pd.DataFrame        # the costed history, newest first: typed values (PROVISION_COLUMNS and more)
    table: pd.DataFrame         # the same as text, headed by PROVISION_COLUMNS
    hours_week: float | None    # hours a week of provision now (None: none, or not tracked)
    cost_year: float | None     # £ this school year, the pupil's shares (None: none, or not tracked)
    cost_complete: bool         # every share this school year is priced
    threshold: float            # provision_over_notional in force
    over: bool
    cost_line: str              # the cost against the threshold, in a sentence
    hours_line: str
    flags: pd.DataFrame         # flag (rule title), reason, source, rule, provision_id
    charts: dict                # provision_id -> entry/exit chart spec (places with an entry or exit score)
    no_chart: dict              # provision_id -> why there is no chart (no score recorded)


def money(value: object) -> str:
    """£6,090.00; '' when missing."""
    return "" if value is None or pd.isna(value) else f"£{float(value):,.2f}"


def _hours(value: object) -> str:
    if value is None or pd.isna(value):
        return ""
    v = float(value)
    return f"{v:g}" if v == round(v, 2) else f"{v:.2f}"


def _score(value: object, when: object) -> str:
    if value is None or pd.isna(value):
        return ""
    return f"{float(value):g}" + (f" ({_fmt_date(when)})" if when is not None and not pd.isna(when) else "")


def _cost_line(cost: float | None, complete: bool, threshold: float, over: bool, missing: list[str],
               any_this_year: bool) -> str:
    limit = f"£{threshold:,.0f}"
    unpriced = (f" where costed ({', '.join(missing)}: cost not tracked)" if missing else "")
    if not any_this_year:
        return f"No provision this school year, so no cost to set against the {limit} a school meets from its notional SEN budget."
    if cost is None or pd.isna(cost):
        return (f"Cost not tracked: no hours or costs are recorded for this pupil's provision this school year "
                f"({', '.join(missing)}), so it cannot be set against the {limit} a school meets from its notional "
                "SEN budget. Record the sessions, minutes and who delivers it, or a fixed cost.")
    if over:
        return (f"{money(cost)} this school year{unpriced} — over the {limit} a school meets from its notional SEN "
                "budget: consider top-up funding or an EHC needs assessment request, with this costed provision as "
                "evidence.")
    return (f"{money(cost)} this school year{unpriced} — within the {limit} a school meets from its notional SEN budget"
            + (" (more may be spent: some provision is not costed)." if not complete else "."))


def provision_view(frames: dict | None, setting: str, pupil_id: str, as_of: date) -> ProvisionView | None:
    """One pupil's costed provision, out of `provision_frames`: None for a setting the viewer may not see."""
    from senlib.render import charts
    from senlib.rules.provision import role_label

    if frames is None:
        return None
    pupils = _for_pupil(frames["pupils"], setting, pupil_id)
    row = pupils.iloc[0].to_dict() if len(pupils) else {}
    tracked = bool(row.get("setting_records_provision", False))
    places = _for_pupil(frames["places"], setting, pupil_id)
    flags = _for_pupil(frames["flags"], setting, pupil_id)
    # an intervention's low impact matters to a pupil on it now or this school year, not to one who left it before
    recent = places[places["current"] | (places["days_this_year"] > 0)] if len(places) else places
    mine = set(recent["provision_id"]) if len(recent) else set()
    all_flags = frames["flags"]
    impact = all_flags[(all_flags["setting"] == setting) & (all_flags["rule_id"] == "provision_low_impact")
                       & all_flags["provision_id"].isin(mine)] if len(all_flags) else all_flags
    titles = frames.get("titles") or {}
    flag_rows = [{"flag": titles.get(f.rule_id, f.rule_id), "reason": f.reason, "source": f.source, "rule": f.rule_id,
                  "provision_id": None if pd.isna(f.provision_id) else f.provision_id}
                 for f in pd.concat([flags, impact]).itertuples()]
    threshold = float(row.get("threshold") or rules.default_policy().param("provision_over_notional", "threshold").value)
    cost = row.get("cost_year")
    cost = None if cost is None or pd.isna(cost) else float(cost)
    hours = row.get("hours_week")
    hours = None if hours is None or pd.isna(hours) else float(hours)
    complete = bool(row.get("cost_complete")) if row.get("cost_complete") is not None and not pd.isna(row.get("cost_complete")) else True
    over = bool(row.get("over_threshold", False))
    this_year = places[places["days_this_year"] > 0] if len(places) else places
    missing = [str(n) for n in this_year.loc[this_year["share_year"].isna(), "name"]] if len(this_year) else []

    if len(places):
        places = places.sort_values(["current", "start_date"], ascending=[False, False], na_position="last")
        places = places.reset_index(drop=True)
    table = pd.DataFrame({
        "name": places["name"].astype(object) if len(places) else [],
        "kind": [_kind(k) for k in places.get("kind", [])],
        "areas": ["; ".join(AREAS.get(a, a) for a in _as_list(v)) for v in places.get("areas", [])],
        "delivered_by": [role_label(r) if isinstance(r, str) else "" for r in places.get("delivered_by", [])],
        "start_date": [_fmt_date(v) for v in places.get("start_date", [])],
        "end_date": [_fmt_date(e) if e is not None and not pd.isna(e) else ("ongoing" if c else "")
                     for e, c in zip(places.get("end_date", []), places.get("current", []), strict=True)],
        "hours_week": [_hours(v) or ("" if k == "equipment" else "not tracked")
                       for v, k in zip(places.get("hours_week", []), places.get("kind", []), strict=True)],
        "share_year": [("not tracked" if pd.isna(s) else "none this school year" if d <= 0 else money(s))
                       for s, d in zip(places.get("share_year", []), places.get("days_this_year", []), strict=True)],
        "entry": [_score(v, d) for v, d in zip(places.get("entry_score", []), places.get("entry_date", []), strict=True)],
        "exit": [_score(v, d) for v, d in zip(places.get("exit_score", []), places.get("exit_date", []), strict=True)],
        "gain": [(f"{g:+g}" if not pd.isna(g) else "") + (f" ({e:+g} expected)" if not pd.isna(e) else "")
                 for g, e in zip(places.get("gain", []), places.get("expected_gain", []), strict=True)],
        "attendance": [f"{int(a)} of {int(p)} ({a / p:.0%})" if not pd.isna(a) and not pd.isna(p) and p else ""
                       for a, p in zip(places.get("sessions_attended", []), places.get("sessions_planned", []), strict=True)],
        "flags": ["; ".join(titles.get(f, f) for f in _as_list(v)) for v in places.get("flags", [])],
    })
    specs, no_chart = {}, {}
    for pl in places.itertuples() if len(places) else []:
        if pd.isna(pl.entry_score) and pd.isna(pl.exit_score):
            if not isinstance(pl.measure, str) and pd.isna(pl.expected_gain):
                continue  # nothing to measure it by (1:1 support, equipment): no chart and nothing to say
            no_chart[pl.provision_id] = (f"{pl.name}: no entry or exit score recorded, so there is no impact to draw. "
                                         "Record the entry score when the pupil starts and the exit score when they finish.")
            continue
        specs[pl.provision_id] = charts.to_spec(charts.entry_exit_chart(
            entry=pl.entry_score, exit=pl.exit_score, expected_gain=pl.expected_gain, entry_date=pl.entry_date,
            exit_date=pl.exit_date, measure=PROVISION_MEASURES.get(pl.measure, pl.measure) if isinstance(pl.measure, str) else None,
            title=f"{pl.name}: entry and exit"))
    if hours is None:
        hours_line = ("No provision running now." if not int(row.get("places_now") or 0)
                      else "Hours a week now: not tracked (no sessions or minutes recorded).")
    else:
        hours_line = f"{_hours(hours)} hour{'' if hours == 1 else 's'} a week of provision now."
    return ProvisionView(
        tracked=tracked, places=places, table=table.rename(columns=PROVISION_COLUMNS), hours_week=hours,
        cost_year=cost, cost_complete=complete, threshold=threshold, over=over,
        cost_line=_cost_line(cost, complete, threshold, over, missing, bool(len(this_year))), hours_line=hours_line,
        flags=pd.DataFrame(flag_rows, columns=["flag", "reason", "source", "rule", "provision_id"]),
        charts=specs, no_chart=no_chart)


def _kind(code: object) -> str:
    return PROVISION_KINDS.get(code, str(code)) if isinstance(code, str) else ""


def evidence_pack(rec: PupilRecord, view: ProvisionView, as_of: date) -> dict[str, pd.DataFrame]:
    """The evidence for top-up funding or an EHC needs assessment request: the pupil's costed provision, as sheets
    for senlib.render.exports.to_xlsx (Summary, Provision with the figures as numbers, Flags)."""
    summary = pd.DataFrame([
        ("Pupil", rec.name), ("Pupil ID", rec.pupil_id), ("Setting", rec.setting), ("As of", as_of),
        ("Cost this school year (£)", None if view.cost_year is None else round(view.cost_year, 2)),
        ("Every share costed", "Yes" if view.cost_complete else "No"),
        ("Threshold met from the notional SEN budget (£)", view.threshold),
        ("Hours a week of provision now", None if view.hours_week is None else round(view.hours_week, 2)),
        ("Summary", view.cost_line),
    ], columns=["Field", "Value"])
    p = view.places
    cols = {"name": "Intervention", "kind": "Kind", "delivered_by": "Delivered by", "start_date": "From",
            "end_date": "To", "hours_week": "Hours a week", "days_this_year": "Days this school year",
            "cost_year": "Cost of the intervention a year (£)", "share_year": "Pupil's share this school year (£)",
            "measure": "Measure", "entry_score": "Entry score", "entry_date": "Entry date", "exit_score": "Exit score",
            "exit_date": "Exit date", "gain": "Gain", "expected_gain": "Expected gain",
            "sessions_attended": "Sessions attended", "sessions_planned": "Sessions planned"}
    sheet = p[[c for c in cols if c in p.columns]].copy() if len(p) else pd.DataFrame(columns=list(cols))
    if len(p):
        sheet["kind"] = sheet["kind"].map(_kind)
        from senlib.rules.provision import role_label
        sheet["delivered_by"] = sheet["delivered_by"].map(lambda r: role_label(r) if isinstance(r, str) else "")
        sheet["measure"] = sheet["measure"].map(lambda m: PROVISION_MEASURES.get(m, m) if isinstance(m, str) else None)
        for c in ("hours_week", "cost_year", "share_year"):
            sheet[c] = sheet[c].round(2)
        sheet.insert(2, "Areas of need", ["; ".join(AREAS.get(a, a) for a in _as_list(v)) for v in p["areas"]])
        for c in ("start_date", "end_date", "entry_date", "exit_date"):
            sheet[c] = pd.to_datetime(sheet[c]).dt.date.astype(object).where(sheet[c].notna(), None)
    flags = view.flags[["flag", "reason", "rule", "source"]].rename(
        columns={"flag": "Flag", "reason": "Reason", "rule": "Rule", "source": "Source"})
    return {"Summary": summary, "Provision": sheet.rename(columns=cols), "Flags": flags}


def evidence_file_name(rec: PupilRecord, as_of: date) -> str:
    """'costed-provision-E1-2026-12-01.xlsx' (the pupil id only: no name in a file name)."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in str(rec.pupil_id))
    return f"costed-provision-{safe}-{as_of:%Y-%m-%d}.xlsx"
