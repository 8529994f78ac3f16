"""Command line: import, imports, undo, leavers, template, export (registered with senlib.cli)."""

from __future__ import annotations

import argparse
import json
from datetime import date

from senlib.cli import EXIT_OK, EXIT_REFUSED, command, parse_date
from senlib.cli.context import Context
from senlib.core.errors import InputError
from senlib.core.names import PLAN_TYPES, REVIEW_STATUS
from senlib.core.text import counted
from senlib.importer import (
    confirm_leavers,
    describe_undo,
    export_workbook,
    list_imports,
    prepare,
    register_fits,
    run,
    summary_lines,
    undo,
    write_template,
)
from senlib.importer.problems import ImportRefused
from senlib.importer.reading import MAX_FILE_BYTES
from senlib.importer.template import ReadingSheet


def _import_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="+", metavar="FILE", help="tracker files: .xlsx .xlsm .xls .ods .csv")
    p.add_argument("--setting", default=None, help="the school or setting the files are for (needed unless the files have a "
                                                   "Setting column or the database has one setting)")
    p.add_argument("--dry-run", action="store_true", help="check and report, but write nothing")
    p.add_argument("--accept-valid-rows", action="store_true", help="import the rows without errors and skip the others")
    p.add_argument("--whole-register", action="store_true",
                   help="the files are the whole register of the setting: list the pupils missing from them as possible leavers")
    p.add_argument("--partial", action="store_true", help=argparse.SUPPRESS)  # the default now; kept for old scripts
    p.add_argument("--yes", action="store_true",
                   help="import even when the files do not fit the setting's register (fewer than half of their pupils "
                        "on it, or more than a quarter of it missing from a whole-register upload)")
    p.add_argument("--rejected", metavar="OUT.xlsx", default=None, help="write the rejected rows, with reasons, to this file")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--user", default=None, help="name recorded with the import")


def _problem_line(r: dict) -> str:
    place = ", ".join(x for x in [r.get("file"), f"sheet '{r['sheet']}'" if r.get("sheet") else None,
                                  f"row {r['row']}" if r.get("row") is not None else None,
                                  f"column '{r['column']}'" if r.get("column") else None] if x)
    value = f" (value: '{r['value']}')" if r.get("value") not in (None, "") else ""
    return f"  {r['severity'].upper()} {place}: {str(r['message']).rstrip('.')}{value}. How to fix: {r['fix']}"


def _records(df) -> list[dict]:
    return [{k: (None if v != v else v) for k, v in r.items()} for r in df.astype(object).to_dict("records")]  # NaN -> None


def _refuse_a_misfit(con, upload, setting: str | None, whole: bool, yes: bool, viewer) -> None:
    """Another school's files, or a part of the register taken for the whole, are refused unless --yes."""
    from senlib.importer.pipeline import default_setting

    chosen = default_setting(con.cursor(), setting)
    fit = register_fits(con.cursor(), upload, viewer=viewer).get(chosen) if chosen else None
    warning = fit.warning(whole) if fit else None
    if warning and not yes:
        raise ImportRefused(f"{warning} Nothing was imported.",
                            fix=f"Check --setting names the right setting; if these files are for {chosen}, run the same "
                                "command again with --yes.")


@command("import", "import SENCo tracker files (all-or-nothing; undo with `undo`)", _import_args, db="write",
         inputs=("files",), outputs=("rejected",), max_input_bytes=MAX_FILE_BYTES)
def run_import(args: argparse.Namespace, ctx: Context) -> int:
    files = []
    for name in args.files:
        path = ctx.input(name)
        if not path.is_file():
            raise InputError(f"There is no file {name}.", fix="Check the file name and folder.")
        files.append((path.name, path.read_bytes()))
    whole = args.whole_register and not args.partial
    try:
        con = ctx.db()
        upload = prepare(con, files)
        _refuse_a_misfit(con, upload, args.setting, whole, args.yes, ctx.viewer())
        result = run(con, upload, setting=args.setting, user=ctx.user, dry_run=args.dry_run,
                     accept_valid_rows=args.accept_valid_rows, full_register=whole)
    except ImportRefused as exc:
        table = getattr(exc, "table", None)
        rows = _records(table) if table is not None else [
            {"severity": p.severity, "file": p.file, "sheet": p.sheet, "row": p.row, "column": p.column, "value": p.value,
             "message": p.message, "fix": p.fix} for p in exc.problems]
        if args.rejected and getattr(exc, "rejected", None):
            from senlib.importer import rejected_workbook

            rejected_workbook(exc.rejected, str(ctx.output(args.rejected)))
        if args.json:
            print(json.dumps({"imported": False, "message": exc.message, "problems": rows}, default=str, indent=1),
                  file=ctx.stdout)
        else:
            print(f"Not imported: {exc.message}", file=ctx.stderr)
            for r in rows:
                print(_problem_line(r), file=ctx.stderr)
            if exc.fix and exc.fix not in {r.get("fix") for r in rows}:
                print(f"How to fix: {exc.fix}", file=ctx.stderr)
        return EXIT_REFUSED
    if args.rejected and result.rejected:
        from senlib.importer import rejected_workbook

        rejected_workbook(result.rejected, str(ctx.output(args.rejected)))
    if args.json:
        print(json.dumps({"imported": not result.dry_run, "dry_run": result.dry_run, "import_ids": result.import_ids,
                          "files": result.files, "totals": result.totals(), "summaries": result.summaries,
                          "skipped_sheets": result.skipped, "problems": _records(result.problems),
                          "possible_leavers": _records(result.possible_leavers), "timings": result.timings},
                         default=str, indent=1), file=ctx.stdout)
        return EXIT_OK
    verb = "Would import (dry run, nothing written)" if result.dry_run else "Imported"
    ids = "" if result.dry_run else f" as import {', '.join(map(str, result.import_ids))}"
    print(f"{verb} {', '.join(result.files)}{ids}:", file=ctx.stdout)
    for line in summary_lines(result):
        print(f"  {line}", file=ctx.stdout)
    for file, sheet, reason in result.skipped:
        print(f"  skipped sheet '{sheet}' of {file}: {reason}", file=ctx.stdout)
    if len(result.errors):
        n_rows = sum(len(df) for df in result.rejected.values())
        print(f"{counted(n_rows, 'row')} with errors {'was' if n_rows == 1 else 'were'} not imported:", file=ctx.stdout)
        for r in _records(result.errors):
            print(_problem_line(r), file=ctx.stdout)
        if not args.rejected:
            print("  (add --rejected OUT.xlsx to get these rows back in a workbook with a reason column)", file=ctx.stdout)
    if len(result.warnings):
        print(f"{counted(len(result.warnings), 'warning')}:", file=ctx.stdout)
        for r in _records(result.warnings.head(200)):
            print(_problem_line(r), file=ctx.stdout)
        if len(result.warnings) > 200:
            print(f"  ... and {len(result.warnings) - 200} more (use --json to see all)", file=ctx.stdout)
    if len(result.possible_leavers):
        n_left = len(result.possible_leavers)
        print(f"{counted(n_left, 'pupil')} {'is' if n_left == 1 else 'are'} in the database but not in this upload; if they have left, confirm with"
              f" `python -m senlib leavers {result.import_ids[-1]} --all` (or list their ids):", file=ctx.stdout)
        for r in _records(result.possible_leavers.head(50)):
            print(f"  {r['setting']}: {r['pupil_id']} {r['first_name'] or ''} {r['last_name'] or ''}", file=ctx.stdout)
    return EXIT_OK


@command("imports", "list the imports, newest first", lambda p: p.add_argument("--json", action="store_true"), db="read")
def run_imports(args: argparse.Namespace, ctx: Context) -> int:
    df = list_imports(ctx.db(), viewer=ctx.viewer())
    if args.json:
        print(json.dumps(_records(df), default=str, indent=1), file=ctx.stdout)
        return EXIT_OK
    if df.empty:
        print("No imports yet.", file=ctx.stdout)
        return EXIT_OK
    for r in _records(df):
        print(f"{r['import_id']:>5}  {str(r['created_at'])[:16]}  {r['status']:<6}  {r['file_name']}  ({r['setting'] or '-'}): "
              f"{r['pupils_added']} pupils added, {r['pupils_changed']} changed, {r['rows_added']} other rows added", file=ctx.stdout)
    return EXIT_OK


def _undo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("import_id", type=int, metavar="IMPORT_ID", help="the number shown by `imports`")
    p.add_argument("--user", default=None)


@command("undo", "undo an import: put the database back as it was before it", _undo_args, db="write")
def run_undo(args: argparse.Namespace, ctx: Context) -> int:
    r = undo(ctx.db(), args.import_id, ctx.user, viewer=ctx.viewer())
    print(describe_undo(r), file=ctx.stdout)
    return EXIT_OK


def _leavers_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("import_id", type=int, metavar="IMPORT_ID")
    p.add_argument("pupil_ids", nargs="*", metavar="PUPIL_ID", help="pupils who have left (from the import's list)")
    p.add_argument("--all", action="store_true", help="every pupil the import listed as a possible leaver")
    p.add_argument("--date", type=parse_date, default=None, help="leaving date YYYY-MM-DD (default today)")
    p.add_argument("--user", default=None)


@command("leavers", "confirm pupils an import listed as possible leavers (gives them a leaving date)", _leavers_args,
         db="write")
def run_leavers(args: argparse.Namespace, ctx: Context) -> int:
    from senlib.importer import import_summary

    con = ctx.db()
    listed = [p["pupil_id"] for p in import_summary(con, args.import_id, viewer=ctx.viewer()).get("possible_leavers", [])]
    ids = listed if args.all else args.pupil_ids
    if not ids:
        print(f"Import {args.import_id} lists {counted(len(listed), 'possible leaver')}: {', '.join(listed[:50]) or 'none'}.",
              file=ctx.stdout)
        return EXIT_OK
    n = confirm_leavers(con, args.import_id, ids, args.date or date.today(), ctx.user, viewer=ctx.viewer())
    print(f"{counted(n, 'pupil')} given a leaving date of {(args.date or date.today()).strftime('%d/%m/%Y')}.", file=ctx.stdout)
    return EXIT_OK


@command("template", "write the blank import template (one sheet per record type)",
         lambda p: p.add_argument("out", metavar="OUT.xlsx"))
def run_template(args: argparse.Namespace, ctx: Context) -> int:
    write_template(args.out)
    print(f"Template written to {args.out}.", file=ctx.stdout)
    return EXIT_OK


def _export_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("out", metavar="OUT.xlsx")
    p.add_argument("--setting", action="append", default=None, help="only this setting (repeat for several)")
    p.add_argument("--as-of", type=parse_date, default=None, metavar="YYYY-MM-DD",
                   help="the day of the review status the export shows beside the data (default today)")
    p.add_argument("--no-status", action="store_true",
                   help=f"leave out the sheets '{STATUS_SHEET}' and '{FLAGS_SHEET}' (the data sheets only)")


# The sheets `export` adds for reading, beside the data: what `status --json --rows` says of each pupil (the cadence
# rule, its sentence and source; each flag's rule, sentence and source). Their names end '(not imported)': importing
# the export skips them, so it still imports back to the same data.
STATUS_SHEET = "Review status (not imported)"
FLAGS_SHEET = "Flags (not imported)"
STATUS_COLUMNS = [  # heading, key of status.rows(), note
    ("Setting", "setting", "The school or setting."),
    ("Pupil ID", "pupil_id", "UPN or the setting's own id."),
    ("First name", "first_name", ""),
    ("Last name", "last_name", ""),
    ("Year group", "year_group", "As recorded, else from the date of birth."),
    ("SEN status", "sen_status", "N / K / E."),
    ("Plan", "plan_type", "The plan whose review cadence applies."),
    ("Local authority", "local_authority", "The EHC plan's council, as recorded."),
    ("Last review", "last_review", "The last review held of that plan."),
    ("Due date", "due_date", "When the next review is due, by the rule below."),
    ("Status", "status", "Overdue, No review date recorded, Due soon, On track or Not applicable."),
    ("Days overdue", "days_overdue", "0 when not overdue."),
    ("Cadence rule", "cadence_rule", "The rule that set the due date (its id in the review policy)."),
    ("Reason", "status_reason", "Why, in words, from the pupil's own dates."),
    ("Source", "status_source", "Where the rule comes from."),
    ("Flags", "flags", "The rules that raised a flag; each is a row of the Flags sheet, with its reason and source."),
]
FLAG_COLUMNS = [
    ("Setting", "The school or setting."), ("Pupil ID", "UPN or the setting's own id."), ("First name", ""),
    ("Last name", ""), ("Rule", "The rule that raised the flag (its id in the review policy)."),
    ("Reason", "Why, in words, from the pupil's own dates."), ("Source", "Where the rule comes from."),
]


def status_sheets(pupils: list[dict], as_of: date) -> list[ReadingSheet]:
    """The two sheets for reading, from the pupils of `status --json --rows` (senlib.cli.status.rows): one row per
    pupil, and one per flag in the order of the pupil's flags."""
    day = f"{as_of:%-d %b %Y}"

    def value(r: dict, key: str) -> object:
        v = r.get(key)
        if key in ("last_review", "due_date") and v:
            return date.fromisoformat(v)
        if key == "status":
            return REVIEW_STATUS.get(v, v)
        if key == "plan_type":
            return PLAN_TYPES.get(v, v) if v else None
        if key == "flags":
            return ", ".join(v) or None
        return v

    status = ReadingSheet(
        STATUS_SHEET, [h for h, _k, _n in STATUS_COLUMNS],
        [f"On {day}. {n}" if k == "status" else n for _h, k, n in STATUS_COLUMNS],
        ([value(r, k) for _h, k, _n in STATUS_COLUMNS] for r in pupils),
        readme=f"'{STATUS_SHEET}' and '{FLAGS_SHEET}': each pupil's review status on {day} and the flags raised, with "
               "the rule, the reason and its source (as python -m senlib status --json --rows). For reading: they are "
               "worked out from the data, and importing this file skips them.")
    flags = ReadingSheet(
        FLAGS_SHEET, [h for h, _n in FLAG_COLUMNS], [n for _h, n in FLAG_COLUMNS],
        ([r["setting"], r["pupil_id"], r["first_name"], r["last_name"], f["rule"], f["reason"], f["source"]]
         for r in pupils for f in r["flag_details"]))
    return [status, flags]


@command("export", "export the database in the template's format (imports back to the same data), with each pupil's "
                   "review status and flags explained (sheets not imported)", _export_args, db="read", outputs=("out",))
def run_export(args: argparse.Namespace, ctx: Context) -> int:
    from senlib.cli.status import rows
    from senlib.rules import pupil_status

    con, viewer = ctx.db(), ctx.viewer()
    as_of = args.as_of or date.today()
    reading = [] if args.no_status else status_sheets(rows(pupil_status(con, as_of, args.setting, viewer=viewer)), as_of)
    export_workbook(con, str(ctx.output(args.out)), settings=args.setting, viewer=viewer, reading=reading)
    shown = "" if args.no_status else f", with each pupil's review status on {as_of:%-d %b %Y} (sheets not imported)"
    print(f"Exported to {args.out}{shown}.", file=ctx.stdout)
    return EXIT_OK
