"""The import, end to end: read -> find headers and map columns -> stage and normalise -> check ->
load in one transaction (or roll back for a dry run). Timings of each stage are kept for the benchmark.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import date

import duckdb
import pandas as pd

from senlib import store
from senlib.importer.app_reviews import move_by_review_id, tracker_precedence
from senlib.importer.headers import SheetPlan
from senlib.importer.load import (
    accepted_tables,
    close_superseded_plans,
    load_pupils,
    provision_rows,
    replace_outcomes,
    summarise,
    tracker_rows,
    upsert,
    wide_outcomes,
    write_import_fields,
    write_import_records,
)
from senlib.importer.mappings import remembered_mappings
from senlib.importer.normalise import Stage, build_stage
from senlib.importer.problems import ERROR, PROBLEM_COLUMNS, WARNING, ImportRefused, Problem
from senlib.importer.reading import MAX_FILE_BYTES, Workbook
from senlib.importer.sandbox import Limits, read_untrusted
from senlib.importer.validate import check
from senlib.importer.wide import apply_dates, is_wide, remembered_dates
from senlib.store import setting_details
from senlib.store.fields import ENTITIES, GRID_FIELD

MAX_STORED_PROBLEMS = 5000


@dataclass
class Upload:
    """Files read and their sheets planned: what the preview shows and the SENCo may re-map."""

    workbooks: list[Workbook]
    plans: list[tuple[int, SheetPlan]]

    @property
    def importable(self) -> list[tuple[int, SheetPlan]]:
        return [(i, p) for i, p in self.plans if p.skipped is None and p.entity]

    @property
    def skipped(self) -> list[tuple[str, str, str]]:
        """(file, sheet, reason) of sheets that will not be imported."""
        return [(self.workbooks[i].file_name, p.sheet, p.skipped or "") for i, p in self.plans if p.skipped]

    def sheet(self, file_idx: int, name: str):
        return next(s for s in self.workbooks[file_idx].sheets if s.name == name)


@dataclass
class ImportResult:
    """What an import did (or would do, for a dry run)."""

    import_ids: list[int]
    files: list[str]
    summaries: list[dict]
    problems: pd.DataFrame
    rejected: dict[tuple[str, str], pd.DataFrame]
    skipped: list[tuple[str, str, str]]
    possible_leavers: pd.DataFrame
    dry_run: bool = False
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def warnings(self) -> pd.DataFrame:
        return self.problems[self.problems["severity"] == WARNING]

    @property
    def errors(self) -> pd.DataFrame:
        return self.problems[self.problems["severity"] == ERROR]

    def totals(self) -> dict[str, dict[str, int]]:
        """Added/changed per table over all files."""
        out: dict[str, dict[str, int]] = {}
        for s in self.summaries:
            for table, counts in s.items():
                if isinstance(counts, dict) and "added" in counts:
                    t = out.setdefault(table, {"added": 0, "changed": 0})
                    t["added"] += counts["added"]
                    t["changed"] += counts["changed"]
        return out


def prepare(con: duckdb.DuckDBPyConnection, files: list[tuple[str, bytes]], *, max_bytes: int = MAX_FILE_BYTES,
            use_remembered: bool = True, limits: Limits | None = None) -> Upload:
    """Read every file and plan every sheet, in a worker process (see sandbox). Raises ImportRefused for a bad
    file, one that crashes or exhausts the reader, or one with nothing to import."""
    if not files:
        raise ImportRefused("No file was given.", fix="Choose one or more tracker files.")
    remembered = remembered_mappings(con) if use_remembered else {}
    workbooks, plans = read_untrusted(files, remembered, max_bytes=max_bytes, limits=limits)
    dates = remembered_dates(remembered)
    for _, plan in plans:
        apply_dates(plan.columns, dates)
    for i, wb in enumerate(workbooks):
        if not any(p.skipped is None for j, p in plans if j == i):
            names = ", ".join(f"'{s.name}'" for s in wb.sheets)
            raise ImportRefused(
                f"No sheet of {wb.file_name} has a header row the importer recognises (sheets: {names}).",
                [Problem(ERROR, "No recognisable header row with pupil columns in the first 30 rows of any sheet",
                         "Make sure one row names the columns, with at least a pupil id (UPN or Pupil ID) or name and one "
                         "more column such as Date of birth, Year group or SEN status; or download the template and copy "
                         "your data into it.", wb.file_name)])
    return Upload(workbooks, plans)


def default_setting(con: duckdb.DuckDBPyConnection, setting: str | None) -> str | None:
    """The setting rows without a Setting column belong to: the one given, else the database's only one."""
    if setting and setting.strip():
        return " ".join(setting.split())
    names = [r[0] for r in con.execute("SELECT setting FROM settings UNION SELECT DISTINCT setting FROM pupils").fetchall()]
    return names[0] if len(names) == 1 else None


def run(con: duckdb.DuckDBPyConnection, upload: Upload, *, setting: str | None = None, user: str | None = None,
        dry_run: bool = False, accept_valid_rows: bool = False, today: date | None = None,
        full_register: bool = True, allowed_settings: frozenset[str] | None = None) -> ImportResult:
    """Check and load a prepared upload in one transaction. Raises ImportRefused when errors block it."""
    today = today or date.today()
    _require_score_dates(upload)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    cur = con.cursor()
    setting = default_setting(cur, setting)
    items = [(i, p, upload.sheet(i, p.sheet)) for i, p in upload.importable]
    from senlib.store.fields import field as get_field

    notes = {e: get_field(e, "provision_id" if e == "provisions" else "pupil_id").note for e in ENTITIES}
    stage = build_stage(cur, items, setting, notes)
    try:
        raw = check(cur, stage, upload.importable, today, allowed_settings)
        timings["validate"] = time.perf_counter() - t0
        problems = _problem_table(raw, upload)
        errors = problems[problems["severity"] == ERROR]
        rejected_keys = raw[(raw["severity"] == ERROR) & raw["_row"].notna()][["_file", "_sheet", "_row"]].drop_duplicates()
        if len(errors) and not accept_valid_rows:
            raise _refusal(upload, problems)
        staged_rows = sum(cur.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in stage.tables.values())
        if staged_rows == 0 or (accept_valid_rows and staged_rows <= len(rejected_keys)):
            raise _refusal(upload, problems, nothing=True)
        t1 = time.perf_counter()
        ids, summaries, leavers, problems = _load(cur, upload, stage, rejected_keys, problems, user=user, setting=setting,
                                                  today=today, dry_run=dry_run, full_register=full_register)
        timings["load"] = time.perf_counter() - t1
    finally:
        stage.close()
    return ImportResult([] if dry_run else ids, [w.file_name for w in upload.workbooks], summaries, problems,
                        rejected_rows(upload, problems), upload.skipped, leavers, dry_run, timings)


def import_files(con: duckdb.DuckDBPyConnection, files: list[tuple[str, bytes]], **kwargs) -> ImportResult:
    """Read, check and load files in one go (the command line's path). See `run` for the options."""
    t0 = time.perf_counter()
    upload = prepare(con, files, max_bytes=kwargs.pop("max_bytes", MAX_FILE_BYTES), limits=kwargs.pop("limits", None))
    parse = time.perf_counter() - t0
    result = run(con, upload, **kwargs)
    result.timings = {"parse": parse, **result.timings, "total": time.perf_counter() - t0}
    return result


def _require_score_dates(upload: Upload) -> None:
    """A score column headed by a term ('T1 Autumn') needs the date its scores were given before anything is read."""
    undated = [(upload.workbooks[i].file_name, p.sheet, h) for i, p in upload.importable for h in p.wide_groups().undated()]
    if not undated:
        return
    names = "; ".join(f"sheet '{s}' of {f}: " + ", ".join(f"'{h}'" for ff, ss, h in undated if (ff, ss) == (f, s))
                      for f, s in dict.fromkeys((f, s) for f, s, _ in undated))
    fix = ("On the Upload page, give each of these columns the date its scores were given (the Date column of the "
           "preview); the dates are remembered, so the next upload with these headings, from the page or the command "
           "line, needs no more. Or write the date in the heading, e.g. 'T1 score 14/10/2026'.")
    raise ImportRefused(
        f"Nothing was imported: {len(undated)} score column(s) need the date the scores were given ({names}).",
        [Problem(ERROR, "This score column needs the date its scores were given", fix, f, s, None, h) for f, s, h in undated],
        fix=fix)


def _refusal(upload: Upload, problems: pd.DataFrame, nothing: bool = False) -> ImportRefused:
    errors = problems[problems["severity"] == ERROR]
    files = ", ".join(w.file_name for w in upload.workbooks)
    rows = errors.dropna(subset=["row"]).groupby(["file", "sheet", "row"]).ngroups if len(errors) else 0
    if nothing:
        msg = f"Nothing was imported from {files}: there are no valid pupil rows to import."
    else:
        msg = (f"Nothing was imported from {files}: {len(errors)} error(s) in {rows} row(s) must be fixed first, or "
               "choose to import the valid rows only.")
    items = [Problem(**{k: (None if pd.isna(v) else v) for k, v in r.items()})
             for r in problems.astype(object).to_dict("records")]
    exc = ImportRefused(msg, items, fix="Fix each error listed (sheet, row and column are given) and upload again."
                        if not nothing else "Check the errors listed, fix them and upload again.")
    exc.table = problems  # type: ignore[attr-defined]
    exc.rejected = rejected_rows(upload, problems)  # type: ignore[attr-defined]
    return exc


def _problem_table(raw: pd.DataFrame, upload: Upload) -> pd.DataFrame:
    """Problems with file names and column headings as the SENCo sees them."""
    if raw.empty:
        return pd.DataFrame(columns=PROBLEM_COLUMNS)
    headers = pd.DataFrame([(i, p.sheet, f"{c.field}#{c.index}" if is_wide(c.field) or c.field == GRID_FIELD.name
                             else c.field, c.header)
                            for i, p in upload.plans for c in p.columns if c.field],
                           columns=["_file", "_sheet", "field", "column"])
    df = raw.merge(headers.astype({"_file": raw["_file"].dtype}), how="left", on=["_file", "_sheet", "field"])
    names = pd.Series([w.file_name for w in upload.workbooks])
    df["file"] = names.reindex(df["_file"].astype(int)).to_numpy()
    labels = df["field"].map(_field_label) if df["column"].isna().any() else None
    if labels is not None:
        df["column"] = df["column"].fillna(labels)
    df["sheet"] = df["_sheet"]
    df["row"] = df["_row"].astype("Int64")
    order = df["severity"].map({ERROR: 0, WARNING: 1})
    df = df.assign(_o=order).sort_values(["_o", "file", "sheet", "row"], kind="stable")
    return df[PROBLEM_COLUMNS].reset_index(drop=True)


def _field_label(name: object) -> str | None:
    from senlib.core.names import COLUMN_LABELS
    from senlib.store.fields import TRACKER_LABELS

    if not isinstance(name, str):
        return None
    return COLUMN_LABELS.get(name, TRACKER_LABELS.get(name, name))


def rejected_rows(upload: Upload, problems: pd.DataFrame) -> dict[tuple[str, str], pd.DataFrame]:
    """The original rows that have errors, per (file, sheet), with a Reason column: what the SENCo gets back."""
    out: dict[tuple[str, str], pd.DataFrame] = {}
    errors = problems[(problems["severity"] == ERROR) & problems["row"].notna()]
    if errors.empty:
        return out
    reasons = (errors.assign(reason=errors["column"].fillna("").map(lambda c: f"{c}: " if c else "") + errors["message"])
               .groupby(["file", "sheet", "row"])["reason"].agg("; ".join).reset_index())
    by_file = {w.file_name: i for i, w in enumerate(upload.workbooks)}
    plans = {(upload.workbooks[i].file_name, p.sheet): (i, p) for i, p in upload.plans}
    for (file, sheet), grp in reasons.groupby(["file", "sheet"]):
        i, plan = plans[(file, sheet)]
        table = upload.sheet(by_file[file], sheet).table
        idx = (grp["row"].astype(int) - 1).tolist()
        cells = table.take(idx).to_pandas()
        headers = {f"c{c.index}": c.header for c in plan.columns}
        cells = cells[[c for c in cells.columns if c in headers]].rename(columns=headers)
        cells.insert(0, "Row", grp["row"].astype(int).to_numpy())
        cells["Reason"] = grp["reason"].to_numpy()
        out[(file, sheet)] = cells
    return out


def _load(cur: duckdb.DuckDBPyConnection, upload: Upload, stage: Stage, rejected_keys: pd.DataFrame,
          problems: pd.DataFrame, *, user: str | None, setting: str | None, today: date, dry_run: bool,
          full_register: bool) -> tuple[list[int], list[dict], pd.DataFrame, pd.DataFrame]:
    """The one transaction: import records, pupils, plans, reviews, outcomes, scores, EHC requests."""
    prefix = stage.prefix
    rk = f"{prefix}_rejected"
    cur.register(rk, rejected_keys.astype({"_file": "int64", "_row": "int64"}) if len(rejected_keys) else
                 pd.DataFrame({"_file": pd.Series(dtype="int64"), "_sheet": pd.Series(dtype="str"),
                               "_row": pd.Series(dtype="int64")}))
    stage.views.append(rk)
    with store.transaction(cur, keep=not dry_run):  # a dry run (Check) is rolled back
        file_settings = _file_settings(cur, stage, setting, len(upload.workbooks))
        ids = write_import_records(cur, upload.workbooks, user, file_settings, dry_run=dry_run)
        fmap = pd.DataFrame({"_file": range(len(ids)), "import_id": ids})
        cur.register(f"{prefix}_fmap_v", fmap)
        stage.views.append(f"{prefix}_fmap_v")
        cur.execute(f"CREATE TEMP TABLE {prefix}_fmap AS SELECT * FROM {prefix}_fmap_v")
        stage.tables["_fmap"] = f"{prefix}_fmap"
        acc = accepted_tables(cur, {e: t for e, t in stage.tables.items() if not e.startswith("_")}, rk, prefix)
        stage.tables.update({f"_acc_{e}": t for e, t in acc.items()})
        # settings the upload names; those new to the database are recorded on each file's import naming them,
        # and so are the phase and council a file's Settings sheet fills in, so that undo takes them back
        settings_of: dict[int, set[str]] = {}
        for t in acc.values():
            for f, s in cur.execute(f"SELECT DISTINCT _file, setting FROM {t}").fetchall():
                settings_of.setdefault(f, set()).add(s)
        all_settings = set().union(*settings_of.values())
        created = all_settings - {r[0] for r in cur.execute("SELECT setting FROM settings").fetchall()}
        cur.execute("INSERT INTO settings (setting) SELECT unnest(?::VARCHAR[])", [sorted(created)])
        write_import_fields(cur, ids, upload.importable, settings_of)
        gained: dict[int, dict] = {}
        for n, wb in enumerate(upload.workbooks):
            for sheet in wb.sheets:
                if sheet.name.strip().lower() == setting_details.SHEET.lower():
                    rows = zip(*(c.to_pylist() for c in sheet.table.columns), strict=True)
                    found = setting_details.sheet_rows(rows, file=wb.file_name)
                    gained[n] = setting_details.fill_blanks(cur, [r for r in found if r[0] in all_settings])
        leavers = pd.DataFrame(columns=["setting", "pupil_id", "first_name", "last_name", "year_group", "sen_status"])
        kept: list[pd.DataFrame] = []   # warnings where a review entered in the app was kept over the tracker's
        if "pupils" in acc:
            if full_register:
                leavers = _possible_leavers(cur, stage.tables["pupils"], today)
            load_pupils(cur, acc["pupils"])
            for t in ("_chg", "_new"):
                stage.tables[f"_p{t}"] = acc["pupils"] + t
            rows = acc.get("pupil_rows", acc["pupils"])
            tplans, treviews = tracker_rows(cur, acc["pupils"], today, rows, stage.wide)
            stage.tables.update({"_tplans": tplans, "_treviews": treviews})
            close_superseded_plans(cur, tplans, today)
            upsert(cur, "plans", tplans, today)
            treviews, found = tracker_precedence(cur, treviews, f"{prefix}_tprec", today, pupil_sheet=True)
            stage.tables["_tprec"] = treviews
            kept.append(found)
            upsert(cur, "reviews", treviews, today)
        for entity in ("plans", "reviews", "outcomes", "ehc_requests", "scores", "review_invitees", "review_actions"):
            if entity in acc:
                src = acc[entity]
                if entity == "reviews":
                    src = move_by_review_id(cur, src, f"{prefix}_rv_rest")
                    stage.tables["_rv_rest"] = src
                    src, found = tracker_precedence(cur, src, f"{prefix}_rprec", today, pupil_sheet=False)
                    stage.tables["_rprec"] = src
                    kept.append(found)
                upsert(cur, entity, src, today)
        if "pupils" in acc and "targets" in stage.wide:
            woutcomes, wscores = wide_outcomes(cur, acc.get("pupil_rows", acc["pupils"]), stage.wide)
            stage.tables.update({"_woutcomes": woutcomes, "_wscores": wscores})
            upsert(cur, "outcomes", woutcomes, today)
            replace_outcomes(cur, woutcomes)
            upsert(cur, "scores", wscores, today)
        if "provisions" in acc or "pupil_provisions" in acc or stage.grid:
            provs, places = provision_rows(cur, acc, stage, prefix)
            stage.tables.update({"_provs": provs, "_places": places})
            upsert(cur, "provisions", provs, today)
            upsert(cur, "pupil_provisions", places, today)
        kept = [k for k in kept if len(k)]
        if kept:
            problems = _with_problems(problems, _problem_table(pd.concat(kept, ignore_index=True), upload))
        summaries = [summarise(cur, i) for i in ids]
        leaver_records = leavers[["setting", "pupil_id"]].to_dict("records")
        for n, (import_id, summary) in enumerate(zip(ids, summaries, strict=True)):
            file = upload.workbooks[n].file_name
            mine = problems[problems["file"] == file]
            summary["problems"] = {"errors": int((mine["severity"] == ERROR).sum()),
                                   "warnings": int((mine["severity"] == WARNING).sum())}
            summary["rows_rejected"] = int((rejected_keys["_file"] == n).sum()) if len(rejected_keys) else 0
            summary["sheets_skipped"] = [[s, r] for f, s, r in upload.skipped if f == file]
            if n == len(ids) - 1:
                summary["possible_leavers"] = leaver_records
            summary["settings_created"] = sorted(settings_of.get(n, set()) & created)
            summary["settings_filled"] = gained.get(n, {})
            stored = mine.head(MAX_STORED_PROBLEMS).astype(object).where(mine.head(MAX_STORED_PROBLEMS).notna(), None)
            cur.execute("UPDATE imports SET summary = ?, warnings = ? WHERE import_id = ?",
                        [json.dumps(summary, default=str), json.dumps(stored.to_dict("records"), default=str), import_id])
            store.audit(cur, "import", user, {"import_id": import_id, "file": file, "dry_run": dry_run,
                                              **{k: v for k, v in summary.items() if k in ("pupils", "problems")}})
    return ids, summaries, leavers, problems


def _with_problems(problems: pd.DataFrame, more: pd.DataFrame) -> pd.DataFrame:
    """Problems found while loading (a review entered in the app kept over a tracker's) added to the checks', in order."""
    df = pd.concat([problems, more], ignore_index=True) if len(problems) else more
    order = df["severity"].map({ERROR: 0, WARNING: 1})
    df = df.assign(_o=order).sort_values(["_o", "file", "sheet", "row"], kind="stable")
    return df[PROBLEM_COLUMNS].reset_index(drop=True)


def _file_settings(cur: duckdb.DuckDBPyConnection, stage: Stage, setting: str | None, n: int) -> list[str | None]:
    """The setting recorded on each import: the default, else the single setting its rows name."""
    out: list[str | None] = []
    for i in range(n):
        found: set[str] = set()
        for e, t in stage.tables.items():
            if not e.startswith("_"):
                found |= {r[0] for r in cur.execute(f"SELECT DISTINCT setting FROM {t} WHERE _file = ? AND setting IS NOT NULL",
                                                    [i]).fetchall()}
        out.append(next(iter(found)) if len(found) == 1 else (setting if not found else "several"))
    return out


def _possible_leavers(cur: duckdb.DuckDBPyConnection, staged_pupils: str, today: date) -> pd.DataFrame:
    """Pupils with no leaving date in a setting this upload covers who are not in it: perhaps they have left."""
    return cur.execute(f"""SELECT p.setting, p.pupil_id, p.first_name, p.last_name, p.year_group, p.sen_status
        FROM pupils p
        WHERE p.setting IN (SELECT DISTINCT setting FROM {staged_pupils} WHERE setting IS NOT NULL)
          AND p.leaving_date IS NULL
          AND NOT EXISTS (SELECT 1 FROM {staged_pupils} s WHERE s.setting = p.setting AND s.pupil_id = p.pupil_id)
        ORDER BY p.setting, p.last_name, p.first_name, p.pupil_id""").df()
