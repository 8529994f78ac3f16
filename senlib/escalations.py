"""Escalations: pupils the graduated response says to move up (or down), grouped by what is suggested.

Why a module: the rules engine raises escalation flags per pupil with a sentence built from
the pupil's own reviews (`pupil_status`: flags, flag_reasons, flag_sources); a SENCo works
through them by action (hold PCP meetings, prepare EHC requests, ...), so they are regrouped
here by rule, in the policy's order, and the EHC request gets its evidence-pack check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import pandas as pd

from .names import PLAN_SHORT, year_group_label
from .pupil import full_name, pupil_key
from .rules import default_policy, load_policy

# An EHC needs assessment request needs the My Support Plan and at least this many APDR cycles (guidance 004, 003).
MIN_APDR_CYCLES = 2
EHC_REQUEST = "consider_ehc_request"

COLUMNS = ["rule", "title", "key", "setting", "pupil_id", "pupil", "year", "plan", "primary_need", "key_worker",
           "status", "reason", "source", "evidence_ready", "evidence"]


def escalation_rules() -> list[str]:
    """The escalation rule ids, in the policy's order (the order of the graduated response)."""
    return [rid for rid, rule in default_policy().rules.items() if rule.group == "escalation"]


def _listed(value: object) -> list:
    if value is None:
        return []
    if hasattr(value, "tolist"):
        value = value.tolist()
    return list(value) if isinstance(value, (list, tuple)) else []


def evidence(plan_type: object, plan_start: object, cycles: object) -> tuple[bool, str]:
    """Is the evidence pack for an EHC needs assessment request ready: a My Support Plan and >= 2 APDR cycles under it?"""
    n = 0 if cycles is None or pd.isna(cycles) else int(cycles)
    if plan_type != "my_support_plan":
        return False, "Not ready: no My Support Plan in force (the request needs one, with at least 2 APDR cycles)"
    since = f" since {pd.Timestamp(plan_start):%d/%m/%Y}" if plan_start is not None and not pd.isna(plan_start) else ""
    cycles_text = f"{n} APDR cycle{'s' if n != 1 else ''}"
    if n >= MIN_APDR_CYCLES:
        return True, f"Ready: My Support Plan{since} and {cycles_text} reviewed under it"
    return False, f"Not ready: My Support Plan{since} but {cycles_text} reviewed under it; at least {MIN_APDR_CYCLES} needed"


def flagged(status: pd.DataFrame) -> pd.DataFrame:
    """One row per pupil and escalation flag, from a `pupil_status` frame (other flags, e.g. milestones, are left out).

    Columns: COLUMNS. `reason` is the engine's sentence for that pupil; `evidence` is filled for EHC
    request suggestions only. Sorted by rule (policy order), then pupil.
    """
    rules = escalation_rules()
    titles = {rid: default_policy().rules[rid].title for rid in rules}
    rows = []
    on_roll = status[~status["has_left"].astype("boolean").fillna(False)] if "has_left" in status else status
    for r in on_roll.to_dict("records"):
        flags = _listed(r.get("flags"))
        if not any(f in titles for f in flags):
            continue
        reasons, sources = _listed(r.get("flag_reasons")), _listed(r.get("flag_sources"))
        base = {
            "key": pupil_key(r["setting"], r["pupil_id"]), "setting": r["setting"], "pupil_id": r["pupil_id"],
            "pupil": full_name(r.get("first_name"), r.get("last_name"), last_first=True),
            "year": year_group_label(r["year_group"]) if isinstance(r.get("year_group"), str) else "Not recorded",
            "plan": PLAN_SHORT.get(r["plan_type"], r["plan_type"]) if isinstance(r.get("plan_type"), str) else "No plan",
            "primary_need": r.get("primary_need"), "key_worker": r.get("key_worker"), "status": r.get("status"),
        }
        for i, rule in enumerate(flags):
            if rule not in titles:
                continue
            ready, text = evidence(r.get("plan_type"), r.get("plan_start"), r.get("reviews_held")) if rule == EHC_REQUEST else (None, "")
            rows.append({**base, "rule": rule, "title": titles[rule],
                         "reason": reasons[i] if i < len(reasons) else "",
                         "source": sources[i] if i < len(sources) else default_policy().rules[rule].source,
                         "evidence_ready": ready, "evidence": text})
    out = pd.DataFrame(rows, columns=COLUMNS)
    order = {rid: i for i, rid in enumerate(rules)}
    out = out.assign(_o=out["rule"].map(order)).sort_values(["_o", "pupil", "setting", "pupil_id"], kind="stable")
    out = out.drop(columns="_o").reset_index(drop=True)
    out["evidence_ready"] = out["evidence_ready"].astype("boolean")
    return out


@dataclass
class Group:
    """The pupils for whom one thing is suggested, with the rule behind it."""

    rule: str
    title: str       # what is suggested, short
    summary: str     # the rule in a sentence, with the values in force
    source: str
    pupils: pd.DataFrame


def groups(flags: pd.DataFrame, summaries: dict[str, str] | None = None) -> list[Group]:
    """Every escalation rule in policy order, with its pupils (possibly none). `summaries` (rule -> sentence with the
    values in force, see `rule_summaries`) default to the shipped policy's."""
    summaries = summaries or rule_summaries(None)
    out = []
    for rid in escalation_rules():
        rule = default_policy().rules[rid]
        out.append(Group(rule=rid, title=rule.title, summary=summaries.get(rid, rule.summary), source=rule.source,
                         pupils=flags[flags["rule"] == rid].reset_index(drop=True)))
    return out


def rule_summaries(cur: duckdb.DuckDBPyConnection | None, settings: Sequence[str] | None = None) -> dict[str, str]:
    """Each escalation rule's sentence with the values in force: for the one setting chosen, else for all settings
    (a setting's own per-council overrides still apply to its pupils' flags; the sentence shows the general value)."""
    if cur is None:
        policy = None
    else:
        one = settings[0] if settings is not None and len(settings) == 1 else None
        policy = load_policy(cur, one)
    out = {}
    for rid in escalation_rules():
        if policy is not None:
            out[rid] = policy.summary(rid)
        else:
            rule = default_policy().rules[rid]
            out[rid] = rule.summary.format(**{n: p.describe(p.value) for n, p in rule.params.items()})
    return out


def counts(flags: pd.DataFrame) -> dict[str, int]:
    """Pupils with at least one escalation flag, and flags in all."""
    return {"pupils": int(flags["key"].nunique()), "flags": len(flags)}


def export_frame(flags: pd.DataFrame) -> pd.DataFrame:
    """The escalations as exported to Excel: one row per pupil and suggestion, with the sentence, rule and source."""
    return pd.DataFrame({
        "Suggested": flags["title"], "Pupil": flags["pupil"], "Pupil ID": flags["pupil_id"], "Setting": flags["setting"],
        "Year group": flags["year"], "Plan": flags["plan"], "Key worker": flags["key_worker"], "Why": flags["reason"],
        "Evidence pack (EHC request)": flags["evidence"], "Rule": flags["rule"], "Source": flags["source"],
    })
