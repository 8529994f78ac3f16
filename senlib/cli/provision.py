"""`python -m senlib provision`: the costed provision map on a date, and the provision rules' flags.

    python -m senlib provision [--db PATH] [--as-of YYYY-MM-DD] [--json]

Prints, per setting, the interventions running this school year with their hours a week and cost a year (not
tracked where the tracker records no hours or costs: never £0), the spend where costed, staff hours a week by role,
and every flag the provision rules raise, with its sentence. With --json, one object: as_of, interventions, flags.
"""

from __future__ import annotations

import argparse
import json
from datetime import date

import pandas as pd

from senlib.cli import EXIT_OK, command, parse_date
from senlib.cli.context import Context
from senlib.core.names import STAFF_ROLES
from senlib.rules import provision
from senlib.rules.policy import default_policy

JSON_COLUMNS = ["setting", "provision_id", "name", "areas", "kind", "delivered_by", "hours_week", "weeks", "hourly",
                "hourly_source", "cost_year", "pupils_now", "pupils_year", "pupils_scored", "median_gain",
                "expected_gain", "low_impact"]


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", type=parse_date, default=None, metavar="YYYY-MM-DD",
                   help="the day to cost provision and evaluate the rules on (default today)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a readable summary")


def money(value: float | None) -> str:
    """£1,234.56, or 'not tracked'."""
    return "not tracked" if value is None or pd.isna(value) else f"£{value:,.2f}"


def _records(df: pd.DataFrame, columns: list[str]) -> list[dict]:
    out = df[columns].astype(object).where(df[columns].notna(), None).to_dict("records")
    for r in out:
        for k, v in r.items():
            if hasattr(v, "tolist"):
                r[k] = v.tolist()
            elif hasattr(v, "item"):
                r[k] = v.item()
    return out


def _text(interventions: pd.DataFrame, flags: pd.DataFrame, as_of: date) -> str:
    lines = [f"Provision on {as_of:%-d %b %Y}"]
    if interventions.empty:
        lines.append("  No provision is recorded: add the Provisions and Pupil provisions sheets of the template to a "
                     "tracker, or upload the school's provision map.")
        return "\n".join(lines)
    titles = {r: rule.title for r, rule in default_policy().rules.items()}
    for setting, rows in interventions[interventions["in_year"]].groupby("setting", sort=True):
        costed = rows["cost_year"].notna()
        lines.append(f"{setting}: {len(rows):,} interventions this school year; spend where costed "
                     f"{money(rows.loc[costed, 'cost_year'].sum())}"
                     + (f" ({(~costed).sum():,} not costed: no hours or costs recorded)" if (~costed).any() else ""))
        for r in rows.sort_values("name").itertuples():
            hours = "hours not tracked" if pd.isna(r.hours_week) else f"{r.hours_week:.2f} h a week"
            cost = "cost not tracked" if pd.isna(r.cost_year) else f"{money(r.cost_year)} a year"
            lines.append(f"  {r.name:<32} {r.pupils_now:>4,} now  {hours:<18} {cost}")
        now = rows[rows["running"].astype(bool) & (rows["pupils_now"] > 0)]  # delivered now: with pupils on them
        by_role = now.groupby(now["delivered_by"].fillna(""))["hours_week"].sum(min_count=1).dropna()
        order = [*STAFF_ROLES, ""]
        if len(by_role):
            lines.append("  Staff hours a week now: " + ", ".join(
                f"{STAFF_ROLES.get(role, 'role not recorded')} {by_role[role]:.2f}" for role in order if role in by_role))
    if len(flags):
        lines.append("Flags raised:")
        for r in flags.itertuples():
            lines.append(f"  {r.setting} | {r.rule_id} ({titles[r.rule_id]}) | {r.pupil_id if isinstance(r.pupil_id, str) else '-'}")
            lines.append(f"      {r.reason}")
    return "\n".join(lines)


@command("provision", "the costed provision map on a date (hours, costs, impact) and the provision rules' flags",
         _args, db="read")
def run_provision(args: argparse.Namespace, ctx: Context) -> int:
    as_of = args.as_of or date.today()
    viewer = ctx.viewer()
    interventions = provision.interventions(ctx.db(), as_of, viewer=viewer)
    flags = provision.flags(ctx.db(), as_of, viewer=viewer)
    if args.json:
        out = {"as_of": as_of.isoformat(), "interventions": _records(interventions, JSON_COLUMNS),
               "flags": _records(flags, ["setting", "pupil_id", "provision_id", "rule_id", "reason", "source"])}
        json.dump(out, ctx.stdout, ensure_ascii=False)
        ctx.stdout.write("\n")
    else:
        print(_text(interventions, flags, as_of), file=ctx.stdout)
    return EXIT_OK
