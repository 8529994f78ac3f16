"""Running the layered rules query: scope, parameters and the policy relation.

Every evaluation is one DuckDB statement made of named CTEs in four layers:
staging (the store as it stood on the as-of date) -> facts (what happened to each pupil)
-> rules (each rule of the policy, with its sentence) -> marts (what a page or the CLI reads).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import pandas as pd
import pyarrow as pa

from senlib.core.errors import InputError
from senlib.rules.policy import PolicyRelation, default_policy, policy_relation

CTE = tuple[str, str]


@dataclass(frozen=True)
class Scope:
    """What one evaluation is about: the as-of date, the settings in scope and the policy in force."""

    as_of: date
    settings: tuple[str, ...] | None
    policy: PolicyRelation
    tracking: bool = False  # the database records which fields imports carried (rules.tracking): join them

    @property
    def lookback(self) -> int:
        """How many of each plan's latest reviews the escalation rules look back over."""
        return self.policy.lookback

    @property
    def fewest_unmet_reviews(self) -> int:
        """The smallest 'reviews' of targets_not_smart in any layer: outcomes past their target date at that
        many of the latest reviews are the only ones it can flag."""
        return min(self.policy.table.column("targets_not_smart__reviews").to_pylist())

    @property
    def score_window(self) -> int:
        """How many of each outcome's latest scores are kept (stalled_outcome looks back over them)."""
        return self.policy.score_window

    def only(self, alias: str = "") -> str:
        """SQL condition keeping rows of the settings in scope (TRUE when every setting is)."""
        col = f"{alias}.setting" if alias else "setting"
        return "TRUE" if self.settings is None else f"list_contains(CAST($settings AS VARCHAR[]), {col})"


def rule_order(rule_id: str) -> int:
    """Position of a rule in the policy file: flags are listed in this order."""
    return list(default_policy().rules).index(rule_id)


def plans_of(rule_id: str) -> str:
    """SQL list literal of the plan types a rule applies to."""
    return "[" + ", ".join(f"'{p}'" for p in default_policy().rules[rule_id].plans) + "]"


INLINE = ("stg_pupils", "stg_plans", "stg_reviews", "stg_planned", "stg_outcomes", "stg_scores", "stg_requests")


def with_ctes(ctes: Sequence[CTE], final: str) -> str:
    """One statement: WITH every CTE, then the final SELECT. Staging CTEs are plain scans: DuckDB reads the
    table again rather than keep a copy of it when two later steps use one."""
    body = ",\n".join(f"{name} AS {'NOT MATERIALIZED ' if name in INLINE else ''}(\n{sql.strip()}\n)" for name, sql in ctes)
    return f"WITH\n{body}\n{final}"


def prepare(cur: duckdb.DuckDBPyConnection, as_of: date, settings: Sequence[str] | None,
            build: Callable[[Scope], str], extra: dict | None = None) -> tuple[str, dict]:
    """The statement for this scope (the policy in force written into it) and the values of its parameters."""
    if isinstance(settings, str):
        settings = [settings]
    if isinstance(as_of, datetime):
        as_of = as_of.date()
    if not isinstance(as_of, date):
        raise InputError(f"The as-of date must be a date, not {as_of!r}.", fix="Pass a datetime.date, e.g. date(2026, 11, 23).")
    relation = policy_relation(cur)
    from senlib.rules.tracking import has_records

    scope = Scope(as_of, None if settings is None else tuple(settings), relation, has_records(cur))
    # The as-of date is written into the statement, so date arithmetic on it is folded once, not per row.
    sql = build(scope).replace("$as_of", f"DATE '{as_of.isoformat()}'")
    values = {"settings": list(scope.settings or []), "ov_settings": relation.settings,
              "ov_las": relation.local_authorities, **(extra or {})}
    return sql, {k: v for k, v in values.items() if f"${k}" in sql}


def run(cur: duckdb.DuckDBPyConnection, as_of: date, settings: Sequence[str] | None,
        build: Callable[[Scope], str], extra: dict | None = None) -> pd.DataFrame:
    """Build the statement for this scope (the policy in force written into it), run it, return a DataFrame."""
    sql, params = prepare(cur, as_of, settings, build, extra)
    # execute() binds the long statement once; sql() would bind it again to learn the columns first,
    # which costs more here than the extra copy of the rows DuckDB warns about.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Arrow output on a DB-API result", category=UserWarning)
        table = cur.execute(sql, params).to_arrow_reader().read_all()
    return to_frame(table)


def _literal(value: object) -> str:
    """A parameter's value as a SQL literal (strings, dates, lists of strings)."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def readable(cur: duckdb.DuckDBPyConnection, as_of: date, settings: Sequence[str] | None,
             build: Callable[[Scope], str], extra: dict | None = None) -> str:
    """The statement `run` would execute, as one self-contained statement: its parameters written in as literals,
    so it runs as printed (for example in the duckdb shell on the same database)."""
    sql, params = prepare(cur, as_of, settings, build, extra)
    for name in sorted(params, key=len, reverse=True):
        sql = re.sub(rf"\${name}\b", lambda _m, v=params[name]: _literal(v), sql)
    return sql


def _pandas_type(t: pa.DataType) -> object:
    if pa.types.is_list(t) or pa.types.is_struct(t):
        return pd.ArrowDtype(t)  # lists of rule ids stay Arrow lists: iloc gives a Python list; explode works
    if pa.types.is_boolean(t):
        return pd.BooleanDtype()  # TRUE / FALSE / <NA> where unknown
    if pa.types.is_integer(t):
        return pd.Int64Dtype()
    return None


def to_frame(table: pa.Table) -> pd.DataFrame:
    """Arrow result to pandas quickly: strings as pandas str, dates as datetime64, nullable ints and booleans."""
    return table.to_pandas(types_mapper=_pandas_type, date_as_object=False)
