"""`python -m senlib status`: every pupil's review status on a date, as a summary or JSON.

    python -m senlib status [--db PATH] [--as-of YYYY-MM-DD] [--json] [--rows] [--sql]

With --sql it prints, instead of running it, the SQL statement the evaluation runs: the whole policy as one
readable statement (staging -> facts -> rules -> marts, the policy in force and the settings in scope written in),
which runs as printed in the duckdb shell on the same database. With --json it prints one JSON object: as_of, summary (by_status, by_flag, by_plan_type) and,
with --rows, pupils (one object per pupil). Without --json it prints a readable summary, and
with --rows a table of the pupils whose review is overdue, has no date recorded or is due soon, or who carry a flag.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import Any

import pandas as pd

from senlib import access, store
from senlib.cli import EXIT_OK, command, parse_date
from senlib.cli.context import Context
from senlib.core.names import PLAN_TYPES, REVIEW_STATUS
from senlib.rules.evaluate import pupil_status, status_sql
from senlib.rules.policy import default_policy
from senlib.rules.query import readable

# Keys of each pupil in the JSON output, in order (issue 4).
# Each pupil's verdict explains itself: the cadence rule that set the due date, its sentence and source, and each
# flag's rule, sentence and source (flag_details, in the order of `flags`).
ROW_KEYS = ["setting", "pupil_id", "first_name", "last_name", "year_group", "sen_status", "primary_need", "plan_type",
            "local_authority", "last_review", "due_date", "status", "days_overdue", "cadence_rule", "status_reason",
            "status_source", "flags"]
DATE_KEYS = ("last_review", "due_date")
# Most urgent first: a review past its date, then one that cannot be dated (record its dates), then due soon.
URGENCY = {"overdue": 0, "no_review_date": 1, "due_soon": 2, "on_track": 3, "not_applicable": 4}


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", type=parse_date, default=None, metavar="YYYY-MM-DD",
                   help="the day to evaluate the rules on (default today)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a readable summary")
    p.add_argument("--rows", action="store_true",
                   help="include one entry per pupil (JSON), or a table of pupils needing attention (text)")
    p.add_argument("--sql", action="store_true",
                   help="print the SQL statement the evaluation runs (the whole policy, as one statement) instead of running it")


def statement(ctx: Context, as_of: date) -> str:
    """The statement `status` runs on `as_of` for the command line's viewer, with a header saying what it is."""
    settings = access.staff_scope(ctx.viewer())
    scope = "every setting" if settings is None else ", ".join(settings) or "no setting"
    header = (f"-- python -m senlib status --as-of {as_of.isoformat()}: every pupil's review status on {as_of:%-d %b %Y}"
              f" ({scope}), as one statement.\n"
              "-- Layers: staging (stg_*: the store on the as-of date) -> facts (fct_*) -> rules (rule_*) -> marts (mart_*).\n"
              "-- Each rule's condition is its entry in senlib/rules/registry.py; its sentences, parameters and source\n"
              "-- are in senlib/rules/policy.toml; the values in force (with the setting's overrides) are stg_policy.\n")
    return header + readable(ctx.db(), as_of, settings, status_sql).strip() + ";"


def summary(df: pd.DataFrame) -> dict[str, Any]:
    """Counts by status, by flag (rule id, in policy order) and, per plan type, by status."""
    by_status = {s: int((df["status"] == s).sum()) for s in REVIEW_STATUS}
    raised = df["flags"].explode().dropna().value_counts()
    by_flag = {r: int(raised[r]) for r in default_policy().rules if r in raised.index}
    by_plan: dict[str, dict[str, int]] = {}
    with_plan = df[df["plan_type"].notna()]
    for plan in [p for p in PLAN_TYPES if p in set(with_plan["plan_type"])]:
        rows = with_plan[with_plan["plan_type"] == plan]
        by_plan[plan] = {"pupils": len(rows), **{s: int((rows["status"] == s).sum()) for s in REVIEW_STATUS
                                                  if s != "not_applicable"}}
    return {"pupils": len(df), "by_status": by_status, "by_flag": by_flag, "by_plan_type": by_plan}


def rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    """One JSON-ready dict per pupil: dates as ISO strings, missing values as null, flags as a list."""
    out = df[[*ROW_KEYS, "flag_reasons", "flag_sources"]].sort_values(["setting", "pupil_id"]).copy()
    for key in DATE_KEYS:
        out[key] = out[key].dt.strftime("%Y-%m-%d")
    out["days_overdue"] = out["days_overdue"].astype(object)
    records = out.astype(object).where(out.notna(), None).to_dict("records")
    for r in records:
        r["flags"] = list(r["flags"]) if r["flags"] is not None else []
        reasons, sources = (list(r.pop(k)) if r[k] is not None else [] for k in ("flag_reasons", "flag_sources"))
        r["flag_details"] = [{"rule": f, "reason": reasons[i] if i < len(reasons) else None,
                              "source": sources[i] if i < len(sources) else None} for i, f in enumerate(r["flags"])]
        if r["days_overdue"] is not None:
            r["days_overdue"] = int(r["days_overdue"])
    return records


def _text(df: pd.DataFrame, as_of: date, db: str, with_rows: bool) -> str:
    s = summary(df)
    n_settings = df["setting"].nunique()
    lines = [f"Review status on {as_of:%-d %b %Y}: {s['pupils']:,} pupils in {n_settings:,} "
             f"setting{'' if n_settings == 1 else 's'} ({db})"]
    for status, n in s["by_status"].items():
        lines.append(f"  {REVIEW_STATUS[status]:<25}{n:>10,}")
    if s["by_plan_type"]:
        lines.append("By plan:")
        for plan, c in s["by_plan_type"].items():
            lines.append(f"  {PLAN_TYPES[plan]:<28}{c['pupils']:>8,}   overdue {c['overdue']:,}, due soon {c['due_soon']:,},"
                         f" on track {c['on_track']:,}" + (f", no review date {c['no_review_date']:,}" if c["no_review_date"] else ""))
    rules = default_policy().rules
    if s["by_flag"]:
        lines.append("Flags raised (rule id: pupils):")
        for rule_id, n in s["by_flag"].items():
            lines.append(f"  {rule_id:<22}{n:>8,}  {rules[rule_id].title}")
    mismatched = int(df["year_group_mismatch"].sum())
    if mismatched:
        lines.append(f"Year groups: {mismatched:,} recorded year groups disagree with the date of birth.")
    if with_rows:
        attention = df[(df["status"].isin(["overdue", "no_review_date", "due_soon"])) | (df["flags"].list.len() > 0)].copy()
        attention["_u"] = attention["status"].map(URGENCY)
        attention = attention.sort_values(["_u", "due_date", "setting", "pupil_id"])
        lines.append(f"Pupils needing attention ({len(attention):,}):")
        for r in attention.itertuples():
            due = "" if pd.isna(r.due_date) else f"due {r.due_date:%-d %b %Y}"
            flags = ", ".join(r.flags) if len(r.flags) else "-"
            lines.append(f"  {r.setting} | {r.pupil_id} | {r.first_name} {r.last_name} | {r.year_group or '?'} | "
                         f"{r.plan_type or '-'} | {REVIEW_STATUS[r.status]} {due} | flags: {flags}")
            lines.append(f"      {r.status_reason}")
    return "\n".join(lines)


@command("status", "every pupil's review status on a date (overdue, no review date, due soon, on track), with flags",
         _args, db="read")
def run_status(args: argparse.Namespace, ctx: Context) -> int:
    as_of = args.as_of or date.today()
    if args.sql:
        print(statement(ctx, as_of), file=ctx.stdout)
        return EXIT_OK
    df = pupil_status(ctx.db(), as_of, viewer=ctx.viewer())
    if args.json:
        out: dict[str, Any] = {"as_of": as_of.isoformat(), "summary": summary(df)}
        if args.rows:
            out["pupils"] = rows(df)
        json.dump(out, ctx.stdout, ensure_ascii=False)
        ctx.stdout.write("\n")
    else:
        print(_text(df, as_of, str(store.db_path(args.db)), args.rows), file=ctx.stdout)
    return EXIT_OK
