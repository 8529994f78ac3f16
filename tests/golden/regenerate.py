"""The golden snapshot of the demo caseload's review statuses and flags on a fixed date.

    make snapshot        (or: .venv/bin/python -m tests.golden.regenerate)

writes tests/golden/demo_status_2026-11-23.csv (and demo_provision_2026-11-23.csv: the provision rules) from the same demo caseload the tests build
(tests/conftest.py), and tests/golden/every_rule_*_2026-11-23.csv from the hand-built caseload on
which every rule of the policy fires (tests/golden/every_rule.py). tests/test_rules_golden.py and
tests/test_rules_every_rule.py compare against them, so any change in what the rules say about a
pupil shows up as a diff of these files: review it, then regenerate.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from senlib import store
from senlib.access import TRUSTED
from senlib.rules import pupil_status
from senlib.store import demo

AS_OF = date(2026, 11, 23)
DEMO = {"settings": 3, "pupils": 1500, "seed": 2026}  # as tests/conftest.py builds it
SNAPSHOT = Path(__file__).with_name(f"demo_status_{AS_OF.isoformat()}.csv")
# The provision rules over the demo's provision (issue 16): every intervention's cost, every pupil's cost this school
# year, and every flag with its sentence, so a change in what the provision rules say shows up as a diff too.
PROVISION_SNAPSHOT = Path(__file__).with_name(f"demo_provision_{AS_OF.isoformat()}.csv")
COLUMNS = ["setting", "pupil_id", "year_group", "sen_status", "plan_type", "cadence_rule", "last_review", "due_date",
           "status", "days_overdue", "invite_state", "reports_state", "flags", "status_reason", "flag_reasons"]


def snapshot_text(con: duckdb.DuckDBPyConnection) -> str:
    """The snapshot as CSV text: one row per pupil in (setting, pupil_id) order, lists joined with ' | '."""
    df = pupil_status(con, AS_OF, viewer=TRUSTED).sort_values(["setting", "pupil_id"])
    out = pd.DataFrame({c: df[c] for c in COLUMNS})
    for c in ("last_review", "due_date"):
        out[c] = df[c].dt.strftime("%Y-%m-%d")
    for c in ("flags", "flag_reasons"):
        out[c] = [" | ".join(v) for v in df[c]]
    return out.to_csv(index=False, lineterminator="\n")


def provision_snapshot_text(con: duckdb.DuckDBPyConnection) -> str:
    """The provision snapshot as CSV: one row per intervention (cost a year, pupils, median gain), per pupil with a
    cost this school year, and per flag, money to the penny."""
    from senlib.rules import provision

    rows = []
    for r in provision.interventions(con, AS_OF, viewer=TRUSTED).itertuples():
        rows.append({"kind": "intervention", "setting": r.setting, "pupil_id": "", "provision_id": r.provision_id,
                     "rule_id": "provision_cost", "value": "" if pd.isna(r.cost_year) else f"{r.cost_year:.2f}",
                     "detail": f"{r.name}; {r.pupils_now} now, {r.pupils_year} this year, "
                               f"median gain {'' if pd.isna(r.median_gain) else f'{r.median_gain:g}'}"})
    for r in provision.pupils(con, AS_OF, viewer=TRUSTED).itertuples():
        if not pd.isna(r.cost_year):
            rows.append({"kind": "pupil", "setting": r.setting, "pupil_id": r.pupil_id, "provision_id": "",
                         "rule_id": "provision_cost", "value": f"{r.cost_year:.2f}",
                         "detail": f"{r.places_now} now; hours a week {'' if pd.isna(r.hours_week) else f'{r.hours_week:.2f}'}"})
    for r in provision.flags(con, AS_OF, viewer=TRUSTED).itertuples():
        rows.append({"kind": "flag", "setting": r.setting, "pupil_id": r.pupil_id if isinstance(r.pupil_id, str) else "",
                     "provision_id": r.provision_id if isinstance(r.provision_id, str) else "", "rule_id": r.rule_id,
                     "value": "", "detail": r.reason})
    out = pd.DataFrame(rows).sort_values(["kind", "setting", "rule_id", "pupil_id", "provision_id"], kind="stable")
    return out.to_csv(index=False, lineterminator="\n")


def _write(path: Path, text: str, what: str) -> None:
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(text, encoding="utf-8")
    changed = sum(1 for a, b in zip(old.splitlines(), text.splitlines(), strict=False) if a != b)
    changed += abs(len(old.splitlines()) - len(text.splitlines()))
    print(f"Wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}: "
          f"{text.count(chr(10)) - 1} {what}, {changed} line(s) changed.")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        con = store.connect(Path(tmp) / "demo.duckdb")
        demo.generate(con, as_of=AS_OF, **DEMO)
        text = snapshot_text(con)
        provision_text = provision_snapshot_text(con)
        con.close()
    _write(SNAPSHOT, text, "pupils")
    _write(PROVISION_SNAPSHOT, provision_text, "rows")
    from tests.golden import every_rule  # the hand-built caseload on which every rule fires

    con = every_rule.connect()
    for part, text in every_rule.snapshot_texts(con).items():
        _write(every_rule.SNAPSHOTS[part], text, "rows")
    con.close()
    print("Review the diff (git diff tests/golden) before committing.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
