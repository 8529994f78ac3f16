"""What a setting's trackers record: *not tracked* is not *not done* (DESIGN §4).

A field (a store column, "table.column") is tracked by a setting when one of its imports in force (status
'done') had a column feeding it, however many of its cells were blank; the importer records these in
`import_fields`. A setting with no such record (the demo, data entered in the app, a database imported
before the record was kept) tracks every field. Every rule names the fields it needs (`needs` in
policy.toml); where the pupil's setting does not track one of them the rule does not fire, and a review
quality check on it is None (not tracked) rather than failed. A blank cell in a tracked column still
counts as not done.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import duckdb
import pandas as pd

from senlib.core.names import COLUMN_LABELS, EHCP_REVIEW_CHECKS, ENTITY_SHEETS, REVIEW_CHECKS
from senlib.rules.policy import default_policy
from senlib.rules.query import CTE, Scope
from senlib.rules.sentences import lit

# The review date every cadence rule's clock runs from: not tracked, a plan's start alone never makes a review late.
CLOCK_FIELD = "reviews.review_date"
# Where a field can be given: a pupils-sheet (register) column for those a one-row-per-pupil tracker can carry.
REGISTER_COLUMNS: dict[str, str] = {
    "reviews.review_date": "Last review date", "reviews.next_review_date": "Next review date",
    "reviews.invitations_sent": "Invitations sent",
    "reviews.reports_received": "Reports received", "reviews.parent_attended": "Parent attended",
    "reviews.child_contributed": "Child contributed", "reviews.progress": "Progress", "reviews.decision": "Decision",
}


# The groups of checks a tracker's columns allow or not (the escalation group is listed where it is counted).
CHECK_GROUPS = ("cadence", "milestone", "meeting", "quality", "provision")
# A setting records provision when it has pupils' places on interventions (the rules' setting_records_provision); a
# tracker without this column has no provision sheet, and the provision rules are then not tracked, said once.
PROVISION_FIELD = "pupil_provisions.provision_id"
PROVISION_ROW = {
    "rule_id": "provision", "check": None,
    "title": "Provision: its cost, and the provision rules (no current provision, no exit score, low impact, "
             "low attendance)",
    "missing": "provision (no interventions recorded)", "fields": [PROVISION_FIELD],
    "columns": ("a Provisions sheet (one row per intervention: sessions, minutes, who delivers it, cost) and a Pupil "
                "provisions sheet (one row per pupil per intervention: dates, entry and exit scores, attendance), as "
                "in the template; or a provision map"),
}


# A setting keeps meeting records when it has a review scheduled or recorded in the app (a review_id), invitees or
# actions (the rules' setting_keeps_meetings); without them the review-meeting rules are not tracked there, said once.
MEETING_FIELD = "reviews.review_id"
MEETING_ROW = {
    "rule_id": "meeting", "check": None,
    "title": "Review meetings: invitees of an EHC plan review, the child's views, actions agreed",
    "missing": "review meetings (none scheduled or recorded in the app)", "fields": [MEETING_FIELD],
    "columns": ("reviews scheduled and recorded in the app (Upcoming reviews or the Pupil page: invitees, the record of "
                "the meeting, its actions), or a review record workbook uploaded back"),
}
# What a review kept in the app records, tracked for that review even where the setting's trackers never had the
# column (a SENCo who schedules one review in the app gets its milestones checked; pupils known only from a tracker keep
# the setting's "not tracked"): for the next review, what its invitees say (invitations, reports); for a review held,
# its record (who took part, views, the next date, preparing for adulthood) and the report marked sent.
NEXT_REVIEW_FIELDS = ("reviews.invitations_sent", "reviews.reports_received")
HELD_REVIEW_FIELDS = (CLOCK_FIELD, "reviews.invitations_sent", "reviews.reports_received", "reviews.parent_attended",
                      "reviews.child_contributed", "reviews.parents_views", "reviews.child_views",
                      "reviews.next_review_date", "reviews.report_sent", "reviews.pfa_covered")
MEETING_FIELDS = tuple(dict.fromkeys((MEETING_FIELD, *NEXT_REVIEW_FIELDS, *HELD_REVIEW_FIELDS)))


def meeting_rule_fields() -> tuple[str, ...]:
    """The fields the review-meeting rules need (with MEETING_FIELD): tracked for a pupil with a review kept in the app."""
    return tuple(dict.fromkeys([MEETING_FIELD, *(f for r in default_policy().rules.values() if r.group == "meeting"
                                                 for f in r.needs)]))


def sql_list(fields: Iterable[str]) -> str:
    """SQL: a list of field names."""
    return "[" + ", ".join(lit(f) for f in fields) + "]::VARCHAR[]"


MEETING_SETTINGS_SQL = """
        SELECT setting FROM reviews WHERE review_id IS NOT NULL
        UNION SELECT setting FROM review_invitees UNION SELECT setting FROM review_actions"""


def meeting_settings(cur: duckdb.DuckDBPyConnection, settings: Sequence[str] | None = None) -> list[str]:
    """The settings (of `settings`, if given) that keep review meetings in the app: the review-meeting rules and figures
    are made there; elsewhere they are not tracked."""
    keeping = sorted(r[0] for r in cur.execute(MEETING_SETTINGS_SQL).fetchall())
    return keeping if settings is None else [s for s in keeping if s in settings]


def has_records(cur: duckdb.DuckDBPyConnection) -> bool:
    """True when the database has kept any import's fields (else every setting tracks every field)."""
    exists = cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'import_fields'").fetchall()[0][0]
    return bool(exists) and bool(cur.execute("SELECT EXISTS (SELECT 1 FROM import_fields)").fetchall()[0][0])


def tracked_sql(scope: Scope | None = None) -> str:
    """SQL: per setting with a record of an import in force, the list of fields it tracks."""
    where = "TRUE" if scope is None else scope.only("f")
    return f"""
        SELECT f.setting, list(DISTINCT f.entity || '.' || f.field ORDER BY f.entity || '.' || f.field) AS tracked
        FROM import_fields f JOIN imports i ON i.import_id = f.import_id
        WHERE i.status = 'done' AND {where}
        GROUP BY f.setting"""


def tracking(scope: Scope) -> list[CTE]:
    """CTE stg_tracked (only when the database keeps import records: else nothing to join)."""
    return [("stg_tracked", tracked_sql(scope))] if scope.tracking else []


def tracks(alias: str, fields: Iterable[str]) -> str:
    """SQL: the pupil's setting (row `alias`, with its `tracked` list) tracks all of `fields` (TRUE: no record)."""
    names = list(dict.fromkeys(fields))
    if not names:
        return "TRUE"
    return f"coalesce(list_has_all({alias}.tracked, [{', '.join(lit(f) for f in names)}]), TRUE)"


def rule_tracks(rule_id: str, alias: str) -> str:
    """SQL: the rule's `needs` are tracked for the row `alias`."""
    return tracks(alias, default_policy().rules[rule_id].needs)


def check_tracks(check: str, alias: str) -> str:
    """SQL: the fields review_quality's `check` needs are tracked for the row `alias`."""
    return tracks(alias, default_policy().rules["review_quality"].check_needs.get(check, ()))


# ---------------------------------------------------------------------------------------------- Python views


def tracked_fields(cur: duckdb.DuckDBPyConnection, settings: Sequence[str] | None = None) -> dict[str, frozenset[str] | None]:
    """Every setting with pupils (of `settings`, if given) -> the fields its imports in force track; None: every field."""
    rows = cur.execute("SELECT DISTINCT setting FROM pupils").fetchall()
    names = sorted(r[0] for r in rows if settings is None or r[0] in settings)
    out: dict[str, frozenset[str] | None] = {s: None for s in names}
    if has_records(cur):
        for setting, fields in cur.execute(tracked_sql()).fetchall():
            if setting in out:
                out[setting] = frozenset(fields)
    return out


def column_hint(field: str) -> str:
    """Which column would let a field be tracked, as a SENCo reads it."""
    if field == PROVISION_FIELD:
        return PROVISION_ROW["columns"]
    if field == MEETING_FIELD:
        return MEETING_ROW["columns"]
    table, column = field.split(".", 1)
    label = COLUMN_LABELS.get(column, column.replace("_", " ").capitalize())
    sheet = ENTITY_SHEETS.get(table, table)
    if field in REGISTER_COLUMNS:
        return (f"a '{REGISTER_COLUMNS[field]}' column on the register, or '{label}' on a {sheet} sheet "
                f"(one row per review, as in the template)")
    return f"a '{label}' column on a {sheet} sheet (as in the template)"


def _field_names(fields: Iterable[str]) -> str:
    return ", ".join(COLUMN_LABELS.get(f.split(".", 1)[1], f).lower() for f in fields)


def checks_missing(fields: frozenset[str] | set[str], groups: Sequence[str] = CHECK_GROUPS) -> list[dict]:
    """The checks a tracker with these fields ("table.column") does not allow: rule_id, check (review_quality's
    check, else None), title, missing (in words), fields (the ones not there), columns (which would allow it).
    Without a provision sheet at all (no PROVISION_FIELD) the provision rules are one row, PROVISION_ROW; without meeting
    records (no MEETING_FIELD) the review-meeting rules are one row, MEETING_ROW."""
    rows = []
    no_provision = "provision" in groups and PROVISION_FIELD not in fields
    no_meetings = "meeting" in groups and MEETING_FIELD not in fields
    for rule in default_policy().rules.values():
        if (rule.group not in groups or (no_provision and rule.group == "provision")
                or (no_meetings and rule.group == "meeting")):
            continue
        if rule.check_needs:
            items = [(c, REVIEW_CHECKS.get(c) or EHCP_REVIEW_CHECKS.get(c, c), n) for c, n in rule.check_needs.items()]
        else:
            items = [(None, rule.title, rule.needs)]
        for check, title, needs in items:
            missing = [f for f in needs if f not in fields]
            if missing:
                rows.append({"rule_id": rule.id, "check": check, "title": title, "missing": _field_names(missing),
                             "fields": missing, "columns": "; ".join(column_hint(f) for f in missing)})
    if no_meetings:
        rows.append(dict(MEETING_ROW, fields=list(MEETING_ROW["fields"])))
    if no_provision:
        rows.append(dict(PROVISION_ROW, fields=list(PROVISION_ROW["fields"])))
    return rows


def _every_field() -> frozenset[str]:
    """Every field a rule needs: what a setting without import records tracks."""
    policy = default_policy().rules.values()
    return frozenset(f for r in policy for f in (*r.needs, *(n for c in r.check_needs.values() for n in c)))


def not_tracked(cur: duckdb.DuckDBPyConnection, settings: Sequence[str] | None = None, *,
                groups: Sequence[str] = CHECK_GROUPS) -> pd.DataFrame:
    """The checks each setting's trackers do not allow, once per setting: one row per (setting, rule or quality check).

    Columns: setting, rule_id, check (review_quality's check, else None), title (what cannot be checked),
    missing (the fields not tracked, in words), fields (list of "table.column"), columns (which columns would
    allow it). Settings tracking every field have no rows; but a setting that records no provision (no pupil on an
    intervention) does not track it, whatever its imports: the provision rules are one row (PROVISION_ROW), as the
    rules do not make them there; likewise a setting that keeps no review meetings in the app (MEETING_ROW). A setting
    that keeps them tracks what the app records (MEETING_FIELDS) for the reviews kept there.
    """
    fields_of = tracked_fields(cur, settings)
    if "provision" in groups:
        recording = {r[0] for r in cur.execute("SELECT DISTINCT setting FROM pupil_provisions").fetchall()}
        fields_of = {s: (f if s in recording else (f if f is not None else _every_field()) - {PROVISION_FIELD})
                     for s, f in fields_of.items()}
    if "meeting" in groups:
        keeping = {r[0] for r in cur.execute(MEETING_SETTINGS_SQL).fetchall()}
        # a setting keeping them: the meeting rules are made (for its reviews kept in the app); its other checks stay
        # as its trackers allow them (for the pupils known only from a tracker)
        meeting = set(meeting_rule_fields())
        fields_of = {s: ((f | meeting if f is not None else None) if s in keeping
                         else (f if f is not None else _every_field()) - {MEETING_FIELD})
                     for s, f in fields_of.items()}
    rows = [{"setting": setting, **row} for setting, fields in fields_of.items() if fields is not None
            for row in checks_missing(fields, groups)]
    cols = ["setting", "rule_id", "check", "title", "missing", "fields", "columns"]
    return pd.DataFrame(rows, columns=cols)


NOT_TRACKED_NOTE = ("Not tracked: no tracker imported for these settings has a column for what these checks need, so "
                    "they are not made (no flag is raised, and no rate counts them). A blank cell in a column that "
                    "exists is different: it counts as not done. Add the column to the tracker, or copy the data into "
                    "the template (Upload page), and import it again.")


def not_tracked_columns(cur: duckdb.DuckDBPyConnection, settings: Sequence[str] | None = None, *,
                        groups: Sequence[str] = CHECK_GROUPS) -> pd.DataFrame:
    """Once per setting and missing column: which column would allow which checks.

    Columns: setting, column (where to add it, as a SENCo reads it), field ("table.column"), checks (the checks it
    would allow, '; ' between them), n_checks. Ordered by setting, then the column allowing most checks first.
    """
    return columns_of(not_tracked(cur, settings, groups=groups))


def columns_of(rows: pd.DataFrame) -> pd.DataFrame:
    """A `not_tracked` frame turned round: per setting and missing field, the column to add and the checks it allows."""
    cols = ["setting", "column", "field", "checks", "n_checks"]
    if rows.empty:
        return pd.DataFrame(columns=cols)
    each = rows.explode("fields").rename(columns={"fields": "field"})
    out = (each.groupby(["setting", "field"], sort=False)["title"]
           .agg(lambda t: "; ".join(dict.fromkeys(t))).rename("checks").reset_index())
    out["n_checks"] = out["checks"].str.count("; ") + 1
    out["column"] = out["field"].map(column_hint)
    return out.sort_values(["setting", "n_checks", "field"], ascending=[True, False, True])[cols].reset_index(drop=True)


def untracked_settings(missing: pd.DataFrame, check: str | None = None, field: str | None = None) -> list[str]:
    """Settings (of a `not_tracked` frame) where review_quality's `check` cannot be made, or that do not track `field`."""
    if missing.empty:
        return []
    hit = missing["check"] == check if check is not None else missing["fields"].map(lambda f: field in f)
    return sorted(set(missing.loc[hit, "setting"]))
