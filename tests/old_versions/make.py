"""Databases and backups written by earlier versions of senlib, for tests/test_old_versions.py (issue 15, item 9).

    .venv/bin/python -m tests.old_versions.make        (needs the git history: run it from the checkout)

For each commit in VERSIONS it takes that commit's senlib (`git archive`, into a temporary folder: before issue 15 the
store was senlib/store.py, senlib/schema.py, senlib/backup.py) and, in a child process running that code, writes:

    db_v<schema>_<commit>.duckdb.gz       a database filled with a few pupils: two settings, one filled by importing
                                          a small CSV tracker through that version's importer (imports, before-images,
                                          fields tracked), the other by rows inserted as the demo does (plans, reviews,
                                          outcomes, scores, an EHC request); a rule override where that version had
                                          rules; the governors' commentary where it had one; audit entries
    backup_v<schema>_<commit>.duckdb.gz   that version's backup (senlib.backup.backup_to) of the same database
    manifest_v<schema>_<commit>.json      what the database held, table by table, as that version read it back

The files are gzipped (a DuckDB file is mostly empty blocks). Committed: regenerate only to add a version.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
# commit -> why it was chosen (its schema version is read from the database it writes)
VERSIONS = {
    "149272b": "the first version with backups (schema 3, before rules overrides were used by any page)",
    "281b53b": "the last version before issue 15 changed the layout (schema 6: today's schema, the old code)",
    "9025b9f": "the first version with provision (schema 7: provisions, pupils' places on them, role costs)",
    "26723c2": "the first version with review meetings (schema 8: a review's own id, invitees, actions, templates)",
}
TRACKER = """UPN,First name,Surname,Date of birth,Year group,SEN status,Primary need,Last review date,Next review date
A123456789012,Ava,Brook,12/03/2018,4,SEN Support,SLCN,14/10/2025,14/02/2026
B123456789012,Ben,Carter,02/11/2016,6,EHCP,ASD,03/03/2025,03/03/2026
C123456789012,Cara,Dale,20/06/2019,3,K,SEMH,,
D123456789012,Dev,Evans,09/09/2017,5,N,,,
"""

# Runs inside the old code (cwd and sys.path: that commit's tree, and this folder for dump.py).
# argv: database, backup and manifest paths, the tracker's text.
CHILD = r'''
import json, sys
from datetime import date
from pathlib import Path

from dump import dump
from senlib import store
try:
    from senlib import backup
except ImportError:  # from issue 15 the store's modules are in senlib/store/
    from senlib.store import backup
from senlib.access import local_viewer
from senlib.importer import import_files

db, backup_path, manifest_path, tracker = sys.argv[1:5]
con = store.connect(db)
con.execute("INSERT INTO settings VALUES ('Willow Primary', 'primary', 'Northmoor Council'), "
            "('Old Oak Primary', 'primary', 'Eastshire Council')")
result = import_files(con, [("willow tracker.csv", tracker.encode("utf-8"))], setting="Willow Primary",
                      user="senco@willow.sch.uk", today=date(2026, 11, 20))
rows = [
    ("pupils", "setting, pupil_id, first_name, last_name, date_of_birth, year_group, sen_status, primary_need, "
               "local_authority, date_identified, extra",
     [("Old Oak Primary", "OAK1", "Olu", "Ash", date(2017, 1, 5), "5", "E", "MLD", "Eastshire Council", date(2021, 2, 1),
       '{"Key adult": "Mrs Pine"}'),
      ("Old Oak Primary", "OAK2", "Pia", "Birch", date(2020, 7, 30), "2", "K", "SPLD", None, date(2024, 9, 9), None),
      ("Old Oak Primary", "OAK3", "Raj", "Cedar", date(2015, 10, 1), "6", "K", "SEMH", None, date(2022, 1, 10), None)]),
    ("plans", "setting, pupil_id, plan_type, start_date, end_date, local_authority",
     [("Old Oak Primary", "OAK1", "ehcp", date(2022, 6, 1), None, "Eastshire Council"),
      ("Old Oak Primary", "OAK2", "sen_support", date(2024, 9, 9), None, None),
      ("Old Oak Primary", "OAK3", "my_support_plan", date(2025, 1, 15), None, None),
      ("Old Oak Primary", "OAK3", "ihcp", date(2024, 3, 1), None, None)]),
    ("reviews", "setting, pupil_id, plan_type, review_date, held, kind, invitations_sent, reports_received, "
                "parent_attended, child_contributed, progress, decision, next_review_date, report_sent, "
                "la_decision_date, pfa_covered, notes",
     [("Old Oak Primary", "OAK1", "ehcp", date(2025, 5, 20), True, "annual", date(2025, 4, 1), date(2025, 5, 1), True,
       True, "expected", "maintain", date(2026, 5, 19), date(2025, 5, 30), date(2025, 6, 10), None, "went well"),
      ("Old Oak Primary", "OAK2", "sen_support", date(2025, 12, 1), True, "termly", None, None, False, True, "less",
       None, date(2026, 3, 23), None, None, None, None),
      ("Old Oak Primary", "OAK2", "sen_support", date(2026, 3, 23), False, "termly", None, None, None, None, None,
       None, None, None, None, None, None),
      ("Old Oak Primary", "OAK3", "my_support_plan", date(2025, 10, 6), True, "termly", date(2025, 8, 25), None, True,
       False, None, "request_ehc_assessment", None, None, None, None, None)]),
    ("outcomes", "setting, pupil_id, outcome_id, area, description, baseline, target, scale_min, scale_max, start_date, "
                 "target_date, status",
     [("Old Oak Primary", "OAK2", "T1", "cognition_learning", "Reads 50 common words", 2, 8, 0, 10, date(2024, 9, 9),
       date(2026, 7, 1), "active")]),
    ("scores", "setting, pupil_id, outcome_id, score_date, score",
     [("Old Oak Primary", "OAK2", "T1", date(2024, 9, 9), 2), ("Old Oak Primary", "OAK2", "T1", date(2025, 12, 1), 3.5)]),
    ("ehc_requests", "setting, pupil_id, requested, decision_date, decision, final_plan_date, local_authority",
     [("Old Oak Primary", "OAK3", date(2025, 10, 20), date(2025, 12, 1), "agreed", None, None)]),
]
if con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'provisions'").fetchall()[0][0]:
    rows += [
        ("provisions", "setting, provision_id, name, areas, kind, delivered_by, group_size, sessions_per_week, "
                       "minutes_per_session, weeks_per_year, hourly_cost, fixed_cost, start_date, end_date, measure, "
                       "expected_gain, notes",
         [("Old Oak Primary", "P1", "Precision teaching", "cognition_learning", "one_to_one", "teaching_assistant", 1, 5,
           10, 38, None, 20, date(2025, 9, 8), None, "standardised", 6, None),
          ("Old Oak Primary", "P2", "Speech therapy", "communication_interaction; semh", "external", "salt", 1, 0.5, 45,
           None, 60, 300, None, None, "percentage", 15, "fortnightly")]),
        ("pupil_provisions", "setting, pupil_id, provision_id, start_date, end_date, entry_score, entry_date, exit_score, "
                             "exit_date, sessions_attended, sessions_planned, notes",
         [("Old Oak Primary", "OAK2", "P1", date(2025, 9, 8), date(2025, 12, 12), 82, date(2025, 9, 8), 90,
           date(2025, 12, 12), 60, 65, None),
          ("Old Oak Primary", "OAK1", "P2", date(2025, 9, 15), None, 40, date(2025, 9, 15), None, None, 6, 7, "keen")]),
        ("role_costs", "setting, role, hourly_cost, changed_by", [("Old Oak Primary", "teaching_assistant", 17.5,
                                                                   "senco@oak.sch.uk")]),
    ]
for table, cols, values in rows:
    con.executemany(f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(cols.split(',')))})", values)
try:
    from senlib.rules import set_override
    set_override(con, "invite_good_practice", "weeks", 8, local_authority="Eastshire Council", user="senco@oak.sch.uk")
except ImportError:  # this version had no rules engine yet
    pass
if con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'governor_commentary'").fetchall()[0][0]:
    con.execute("INSERT INTO governor_commentary VALUES ('Old Oak Primary | Willow Primary', 'Reviews are on time.', "
                "'senco@oak.sch.uk', TIMESTAMP '2026-11-20 16:00:00')")
store.audit(con, "sign_in", "senco@oak.sch.uk", {"note": "written by an earlier version"})
con.execute("CHECKPOINT")
backup.backup_to(con, backup_path, local_viewer())


Path(manifest_path).write_text(json.dumps(dump(con), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
con.close()
'''


def make(commit: str, out: Path = HERE) -> list[Path]:
    """Write the database, the backup and the manifest of one commit; returns the files written."""
    with tempfile.TemporaryDirectory(prefix=f"senlib-{commit}-") as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "senlib"], check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
        db, bak, manifest = (Path(tmp) / n for n in ("old.duckdb", "backup.duckdb", "manifest.json"))
        env = {k: v for k, v in os.environ.items() if k not in ("SENLIB_DB", "PYTHONPATH")}
        env["PYTHONPATH"] = os.pathsep.join([str(tree), str(HERE)])  # that commit's senlib, and dump.py
        subprocess.run([sys.executable, "-c", CHILD, str(db), str(bak), str(manifest), TRACKER], cwd=tree, check=True,
                       env=env)
        version = json.loads(manifest.read_text(encoding="utf-8"))["schema_version"]
        stem = f"v{version}_{commit}"
        written = []
        for src, name in ((db, f"db_{stem}.duckdb.gz"), (bak, f"backup_{stem}.duckdb.gz")):
            target = out / name
            with target.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as f:
                f.write(src.read_bytes())
            written.append(target)
        target = out / f"manifest_{stem}.json"
        target.write_text(manifest.read_text(encoding="utf-8"), encoding="utf-8")
        written.append(target)
    return written


def main(argv: list[str]) -> int:
    """Every version, or only the commits named (to add one without rewriting the others)."""
    for commit in argv or VERSIONS:
        for path in make(commit):
            print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
