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
import numpy as np
import pandas as pd

from senlib.core.names import NOT_RECORDED, PLAN_SHORT, year_group_label
from senlib.rules import default_policy, load_policy
from senlib.views.caseload import flag_lists, flat_lists, keys, names

EHC_REQUEST = "consider_ehc_request"


def evidence_cycles(cur: duckdb.DuckDBPyConnection | None = None, setting: str | None = None,
                    local_authority: str | None = None) -> int:
    """APDR cycles a request for EHC needs assessment needs under the My Support Plan (the policy's
    consider_ehc_request.evidence_cycles; local authority guidance: SEN support and the graduated response): the
    value in force for the setting and council when a cursor is given (a SENCo may change it on the Rules page),
    else the default."""
    if cur is None:
        return int(default_policy().param(EHC_REQUEST, "evidence_cycles").value)
    return int(load_policy(cur, setting, local_authority).values[EHC_REQUEST]["evidence_cycles"])

COLUMNS = ["rule", "title", "key", "setting", "pupil_id", "pupil", "year", "plan", "primary_need", "key_worker",
           "status", "reason", "source", "evidence_ready", "evidence"]


def escalation_rules() -> list[str]:
    """The escalation rule ids, in the policy's order (the order of the graduated response)."""
    return [rid for rid, rule in default_policy().rules.items() if rule.group == "escalation"]


def evidence(plan_type: object, plan_start: object, cycles: object, need: int | None = None) -> tuple[bool, str]:
    """Is the evidence pack for an EHC needs assessment request ready: a My Support Plan with enough APDR cycles under it?"""
    n = 0 if cycles is None or pd.isna(cycles) else int(cycles)
    need = evidence_cycles() if need is None else need
    if plan_type != "my_support_plan":
        return False, f"Not ready: no My Support Plan in force (the request needs one, with at least {need} APDR cycles)"
    since = f" since {pd.Timestamp(plan_start):%d/%m/%Y}" if plan_start is not None and not pd.isna(plan_start) else ""
    cycles_text = f"{n} APDR cycle{'s' if n != 1 else ''}"
    if n >= need:
        return True, f"Ready: My Support Plan{since} and {cycles_text} reviewed under it"
    return False, f"Not ready: My Support Plan{since} but {cycles_text} reviewed under it; at least {need} needed"


def flagged(status: pd.DataFrame, cur: duckdb.DuckDBPyConnection | None = None) -> pd.DataFrame:
    """One row per pupil and escalation flag, from a `pupil_status` frame (other flags, e.g. milestones, are left out).

    Columns: COLUMNS. `reason` is the engine's sentence for that pupil; `evidence` is filled for EHC
    request suggestions only, against the policy in force for each pupil's setting and council when `cur` is given.
    Sorted by rule (policy order), then pupil. The flags are flattened by Arrow, so 100,000 pupils cost no Python
    loop per pupil.
    """
    rules = escalation_rules()
    titles = {rid: default_policy().rules[rid].title for rid in rules}
    on_roll = status[~status["has_left"].astype("boolean").fillna(False)] if "has_left" in status else status
    on_roll = on_roll.reset_index(drop=True)
    flags, rows = flat_lists(on_roll["flags"])
    reasons, reason_rows = flat_lists(on_roll["flag_reasons"])
    sources, source_rows = flat_lists(on_roll["flag_sources"])
    if not (np.array_equal(rows, reason_rows) and np.array_equal(rows, source_rows)):  # lists not aligned: pair them row by row
        reasons, sources = _aligned(on_roll, rows)
    keep = np.isin(flags, list(titles))
    found = pd.DataFrame({"_row": rows[keep], "rule": flags[keep], "reason": reasons[keep], "source": sources[keep]})
    found["title"] = found["rule"].map(titles)
    some = on_roll.iloc[found["_row"]].reset_index(drop=True)
    years = {y: year_group_label(y) for y in some["year_group"].dropna().unique()}
    out = pd.DataFrame({
        "rule": found["rule"], "title": found["title"], "key": keys(some["setting"], some["pupil_id"]),
        "setting": some["setting"], "pupil_id": some["pupil_id"], "pupil": names(some["first_name"], some["last_name"]),
        "year": some["year_group"].map(years).fillna(NOT_RECORDED),
        "plan": some["plan_type"].map(PLAN_SHORT).fillna(some["plan_type"]).fillna("No plan"),
        "primary_need": some["primary_need"], "key_worker": some["key_worker"], "status": some["status"],
        "reason": found["reason"].fillna(""), "source": found["source"].fillna(found["rule"].map(
            {rid: default_policy().rules[rid].source for rid in rules})),
    })
    las = some["policy_la"] if "policy_la" in some else pd.Series([None] * len(some))
    needs: dict[tuple, int] = {}
    for r, setting, la in zip(out["rule"], some["setting"], las, strict=True):
        if r == EHC_REQUEST and (setting, la) not in needs:
            needs[(setting, la)] = evidence_cycles(cur, setting, la if isinstance(la, str) else None)
    checks = [evidence(p, s, n, needs[(st_, la)]) if r == EHC_REQUEST else (None, "") for r, p, s, n, st_, la in
              zip(out["rule"], some["plan_type"], some["plan_start"], some["reviews_held"], some["setting"], las,
                  strict=True)]
    out["evidence_ready"] = pd.array([c[0] for c in checks], dtype="boolean")
    out["evidence"] = [c[1] for c in checks]
    order = {rid: i for i, rid in enumerate(rules)}
    out = out.assign(_o=out["rule"].map(order)).sort_values(["_o", "pupil", "setting", "pupil_id"], kind="stable")
    return out.drop(columns="_o").reset_index(drop=True)[COLUMNS]


def _aligned(status: pd.DataFrame, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reasons and sources for each flattened flag when the engine's three lists differ in length for some pupil
    (a sentence missing is shown blank, never shifted onto another flag)."""
    flags, reasons, sources = (flag_lists(status[c]) for c in ("flags", "flag_reasons", "flag_sources"))
    out_r, out_s = [], []
    for row in sorted(set(rows.tolist())):
        for j in range(len(flags.iloc[row])):
            out_r.append(reasons.iloc[row][j] if j < len(reasons.iloc[row]) else None)
            out_s.append(sources.iloc[row][j] if j < len(sources.iloc[row]) else None)
    return np.array(out_r, dtype=object), np.array(out_s, dtype=object)


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


def who_columns(pupils: pd.DataFrame, in_view: pd.DataFrame) -> list[str]:
    """The columns that tell the pupils of one group apart, after their name: the setting when more than one setting
    is in view (`in_view`: every flag on the page), the year group always, and the pupil ID when two different pupils
    of the group share a name, setting and year group (two 'Evans, Isabella' in one school's Year 9)."""
    out = ["setting"] if in_view["setting"].nunique() > 1 else []
    out.append("year")
    same = pupils.drop_duplicates("key").groupby(["pupil", "setting", "year"], dropna=False)["key"].nunique()
    if (same > 1).any():
        out.append("pupil_id")
    return out
