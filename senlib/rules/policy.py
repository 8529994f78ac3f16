"""The review policy: the shipped defaults (policy.toml) plus a setting's own overrides.

Rules are data. The defaults ship with the package; a setting overrides a parameter for
itself or for one local authority (councils differ), and the overrides live in the
database table `rule_overrides`, each change validated and audited. The most specific
layer wins: default < all settings < setting < local authority < setting for that authority.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from itertools import product
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from senlib import store
from senlib.access import Viewer, require_staff
from senlib.core.errors import SenlibError
from senlib.core.names import DECISIONS, PLAN_TYPES, POLICY_SOURCES, RULE_GROUPS, YEAR_GROUPS, YEAR_INDEX

POLICY_FILE = Path(__file__).with_name("policy.toml")
ANY = ""  # key of an override that applies to every setting / every local authority
PARAM_TYPES = ("int", "float", "year_groups", "year_group", "month_day", "decisions")
STATUS_SAYINGS = ("overdue", "due_soon", "on_track", "unknown", "next_recorded")
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


class PolicyError(SenlibError):
    """A rule or parameter value was refused; `field` names it as `rule_id.param`."""

    def __init__(self, message: str, *, field: str, fix: str | None = None):
        super().__init__(message, place=f"rule parameter {field}", fix=fix)
        self.field = field


@dataclass(frozen=True)
class Param:
    """One parameter of a rule: its default value and what values are allowed."""

    rule_id: str
    name: str
    value: Any
    type: str
    label: str
    unit: str | None = None
    min: float | None = None
    max: float | None = None

    @property
    def field(self) -> str:
        return f"{self.rule_id}.{self.name}"

    @property
    def group_reviews(self) -> bool:
        """True for a parameter counting a pupil's latest reviews (escalation rules look back over them)."""
        return self.name == "reviews" and self.unit == "reviews"

    @property
    def column(self) -> str:
        """Column of this parameter in the policy relation the SQL joins."""
        return f"{self.rule_id}__{self.name}"

    def check(self, value: Any) -> Any:
        """The value, coerced to this parameter's type; PolicyError naming the field if it is not allowed."""
        return _CHECKS[self.type](self, value)

    def describe(self, value: Any) -> str:
        """The value as a user reads it: '6 weeks', 'N2, 6, 11', '15 February'."""
        if self.type in ("int", "float"):
            return quantity(value, self.unit)
        if self.type in ("year_groups", "decisions"):
            return ", ".join(value) if value else "none"
        if self.type == "month_day":
            month, day = (int(x) for x in value.split("-"))
            return f"{day} {MONTHS[month - 1]}"
        return str(value)

    def _fail(self, value: Any, why: str, fix: str) -> PolicyError:
        return PolicyError(f"{self.field} cannot be {value!r}: {why}.", field=self.field, fix=fix)


@dataclass(frozen=True)
class Rule:
    """A rule of DESIGN §3: id, the sentences a user sees, its parameters and its source."""

    id: str
    group: str
    title: str
    summary: str
    source: str
    plans: tuple[str, ...]
    params: dict[str, Param]
    say: dict[str, str]
    # store fields ("table.column") the rule reads; not tracked by a setting: the rule does not fire there
    needs: tuple[str, ...] = ()
    # review_quality: each check with the fields it needs
    check_needs: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class DefaultPolicy:
    """The shipped policy file, parsed and checked."""

    rules: dict[str, Rule]
    not_applicable: dict[str, str]
    not_tracked: dict[str, str] = field(default_factory=dict)  # a cadence whose review dates are not tracked

    def param(self, rule_id: str, name: str) -> Param:
        """A parameter by rule id and name; PolicyError naming the field if there is none."""
        rule = self.rules.get(rule_id)
        if rule is None:
            raise PolicyError(f"There is no rule '{rule_id}'.", field=f"{rule_id}.{name}",
                              fix=f"Use one of: {', '.join(self.rules)}.")
        if name not in rule.params:
            known = ", ".join(rule.params) or "none"
            raise PolicyError(f"Rule {rule_id} has no parameter '{name}'.", field=f"{rule_id}.{name}",
                              fix=f"Its parameters are: {known}.")
        return rule.params[name]

    def all_params(self) -> list[Param]:
        return [p for r in self.rules.values() for p in r.params.values()]


@dataclass
class Policy:
    """The policy in force for one setting and local authority: every value and where it comes from."""

    setting: str | None
    local_authority: str | None
    values: dict[str, dict[str, Any]]
    sources: dict[str, dict[str, str]] = field(default_factory=dict)

    def value(self, rule_id: str, name: str) -> Any:
        return self.values[rule_id][name]

    def source(self, rule_id: str, name: str) -> str:
        return self.sources[rule_id][name]

    def summary(self, rule_id: str) -> str:
        """The rule's plain-English summary with the values in force."""
        rule = default_policy().rules[rule_id]
        return rule.summary.format(**{n: p.describe(self.values[rule_id][n]) for n, p in rule.params.items()})


def quantity(value: float, unit: str | None) -> str:
    """A number with its unit, singular where it is one: '1 week', '6 weeks', '100%'."""
    if unit == "share":
        return f"{value * 100:g}%"
    if unit == "£":
        return f"£{value:,.2f}".removesuffix(".00")
    number = f"{value:g}" if isinstance(value, float) else str(value)
    if not unit:
        return number
    return f"{number} {unit[:-1] if value == 1 and unit.endswith('s') else unit}"


# ---------------------------------------------------------------- checking values


def _check_number(p: Param, value: Any) -> float | int:
    want_int = p.type == "int"
    if isinstance(value, bool):
        raise p._fail(value, "it must be a number", "Enter a number.")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise p._fail(value, "it is not a number", "Enter a number, e.g. " + str(p.value) + ".") from None
    if not isinstance(value, int | float):
        raise p._fail(value, "it must be a number", "Enter a number.")
    if want_int:
        if float(value) != int(value):
            raise p._fail(value, "it must be a whole number", f"Enter a whole number of {p.unit or 'units'}.")
        value = int(value)
    else:
        value = float(value)
    if (p.min is not None and value < p.min) or (p.max is not None and value > p.max):
        raise p._fail(value, f"it must be between {quantity(p.min, p.unit)} and {quantity(p.max, p.unit)}",
                      f"Enter a value from {p.min:g} to {p.max:g}.")
    return value


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [v for v in value.replace(";", ",").split(",")]
    if not isinstance(value, list | tuple):
        raise TypeError
    return [str(v).strip() for v in value if str(v).strip()]


def _check_year_groups(p: Param, value: Any) -> list[str]:
    try:
        items = _as_list(value)
    except TypeError:
        raise p._fail(value, "it must be a list of year groups", "List year groups, e.g. N2, 6, 11.") from None
    bad = [v for v in items if v not in YEAR_INDEX]
    if bad:
        raise p._fail(value, f"{', '.join(bad)} is not a year group", f"Use {', '.join(YEAR_GROUPS)}.")
    return sorted(set(items), key=YEAR_INDEX.__getitem__)


def _check_year_group(p: Param, value: Any) -> str:
    text = str(value).strip()
    if text not in YEAR_INDEX:
        raise p._fail(value, "it is not a year group", f"Use one of {', '.join(YEAR_GROUPS)}.")
    return text


def _check_month_day(p: Param, value: Any) -> str:
    if isinstance(value, date):
        value = value.strftime("%m-%d")
    try:
        month, day = (int(x) for x in str(value).strip().split("-"))
        date(2001, month, day)  # a year without 29 February: the deadline must exist every year
    except ValueError:
        raise p._fail(value, "it is not a day of the year as MM-DD", "Write it as MM-DD, e.g. 02-15 for 15 February.") from None
    return f"{month:02d}-{day:02d}"


def _check_decisions(p: Param, value: Any) -> list[str]:
    try:
        items = _as_list(value)
    except TypeError:
        raise p._fail(value, "it must be a list of review decisions", f"Use {', '.join(DECISIONS)}.") from None
    bad = [v for v in items if v not in DECISIONS]
    if bad:
        raise p._fail(value, f"{', '.join(bad)} is not a review decision", f"Use {', '.join(DECISIONS)}.")
    return [d for d in DECISIONS if d in items]


_CHECKS: dict[str, Callable[[Param, Any], Any]] = {
    "int": _check_number,
    "float": _check_number,
    "year_groups": _check_year_groups,
    "year_group": _check_year_group,
    "month_day": _check_month_day,
    "decisions": _check_decisions,
}

# Rules between parameters: (field that must give way, test over all values in force, why).
CROSS_CHECKS: list[tuple[str, tuple[str, ...], Callable[[dict], bool], str]] = [
    ("ehcp_under5.months", ("ehcp_under5.months", "ehcp_annual.months"),
     lambda v: v["ehcp_under5"]["months"] <= v["ehcp_annual"]["months"],
     "reviews for children under 5 cannot be further apart than annual reviews (ehcp_annual.months)"),
    ("invite_good_practice.weeks", ("invite_good_practice.weeks", "invite_statutory.weeks"),
     lambda v: v["invite_good_practice"]["weeks"] >= v["invite_statutory"]["weeks"],
     "good-practice invitations cannot be later than the statutory minimum (invite_statutory.weeks)"),
    ("progress_from_scores.more_gain", ("progress_from_scores.more_gain", "progress_from_scores.expected_gain"),
     lambda v: v["progress_from_scores"]["more_gain"] > v["progress_from_scores"]["expected_gain"],
     "'more than expected' must need a bigger rise than 'expected' (progress_from_scores.expected_gain)"),
]


# ---------------------------------------------------------------- the default file


@cache
def default_policy() -> DefaultPolicy:
    """The shipped policy file, parsed and checked once per process."""
    return parse_policy(POLICY_FILE.read_text(encoding="utf-8"))


def parse_policy(text: str) -> DefaultPolicy:
    """Parse and check a policy file; PolicyError naming the field on any fault."""
    data = tomllib.loads(text)
    rules: dict[str, Rule] = {}
    for rule_id, raw in data.get("rules", {}).items():
        where = f"{rule_id}"
        for key in ("group", "title", "summary", "source", "plans"):
            if not raw.get(key):
                raise PolicyError(f"Rule {rule_id} has no {key}.", field=f"{where}.{key}")
        if raw["group"] not in RULE_GROUPS:
            raise PolicyError(f"Rule {rule_id} has an unknown group '{raw['group']}'.", field=f"{where}.group")
        unknown_plans = [p for p in raw["plans"] if p not in PLAN_TYPES]
        if unknown_plans:
            raise PolicyError(f"Rule {rule_id} names unknown plans {unknown_plans}.", field=f"{where}.plans")
        params: dict[str, Param] = {}
        for name, spec in raw.get("params", {}).items():
            if spec.get("type") not in PARAM_TYPES:
                raise PolicyError(f"Parameter {rule_id}.{name} has an unknown type.", field=f"{rule_id}.{name}")
            p = Param(rule_id, name, spec.get("value"), spec["type"], spec.get("label", name), spec.get("unit"),
                      spec.get("min"), spec.get("max"))
            params[name] = Param(rule_id, name, p.check(p.value), p.type, p.label, p.unit, p.min, p.max)
        needs, check_needs = _needs(rule_id, raw.get("needs", []))
        rules[rule_id] = Rule(rule_id, raw["group"], raw["title"], raw["summary"], raw["source"], tuple(raw["plans"]),
                              params, dict(raw.get("say", {})), needs, check_needs)
        try:
            raw["summary"].format(**{n: "x" for n in params})
        except KeyError as exc:
            raise PolicyError(f"The summary of {rule_id} names an unknown parameter {exc}.", field=f"{rule_id}.summary") from None
    policy = DefaultPolicy(rules, dict(data.get("not_applicable", {}).get("say", {})),
                           dict(data.get("not_tracked", {}).get("say", {})))
    _check_cross(_defaults(policy), changed=None)
    return policy


def _needs(rule_id: str, raw: Any) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    """A rule's `needs`: a list of store fields, or (review_quality) a table of check -> list; every name checked."""
    from senlib.store.fields import store_fields

    known = store_fields()
    checks = {k: tuple(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
    listed = [f for v in checks.values() for f in v] if checks else list(raw)
    bad = [f for f in listed if f not in known]
    if bad:
        raise PolicyError(f"Rule {rule_id} needs unknown fields {bad}.", field=f"{rule_id}.needs",
                          fix="Name store fields as table.column, e.g. reviews.report_sent.")
    return tuple(dict.fromkeys(listed)), checks


def _defaults(policy: DefaultPolicy) -> dict[str, dict[str, Any]]:
    return {r.id: {n: p.value for n, p in r.params.items()} for r in policy.rules.values()}


def _check_cross(values: dict[str, dict[str, Any]], changed: str | None) -> None:
    for must_give, fields, test, why in CROSS_CHECKS:
        if any(f.split(".")[0] not in values for f in fields):
            continue  # a partial policy file (tests): nothing to compare
        if not test(values):
            blame = changed if changed in fields else must_give
            shown = ", ".join(f"{f} = {values[f.split('.')[0]][f.split('.')[1]]}" for f in fields)
            raise PolicyError(f"{blame} is refused: {why} ({shown}).", field=blame,
                              fix="Choose values that keep the rules consistent.")


# ---------------------------------------------------------------- overrides in the database


@dataclass(frozen=True)
class Override:
    setting: str
    local_authority: str
    rule_id: str
    param: str
    value: Any
    changed_by: str | None = None
    changed_at: Any = None

    @property
    def layer(self) -> str:
        """Which layer of POLICY_SOURCES this override sits in."""
        if self.setting and self.local_authority:
            return "setting_local_authority"
        if self.local_authority:
            return "local_authority"
        return "setting" if self.setting else "all_settings"


# Layers from least to most specific, as (source, key of the override for a (setting, authority)).
LAYERS: list[tuple[str, Callable[[str, str], tuple[str, str]]]] = [
    ("all_settings", lambda s, la: (ANY, ANY)),
    ("setting", lambda s, la: (s, ANY)),
    ("local_authority", lambda s, la: (ANY, la)),
    ("setting_local_authority", lambda s, la: (s, la)),
]


def _has_table(cur: duckdb.DuckDBPyConnection) -> bool:
    return bool(cur.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'rule_overrides'").fetchall()[0][0])


def overrides(cur: duckdb.DuckDBPyConnection) -> list[Override]:
    """Every override stored (none in a database older than the rules migration)."""
    if not _has_table(cur):
        return []
    rows = cur.execute("""SELECT setting, local_authority, rule_id, param, value, changed_by, changed_at
                          FROM rule_overrides ORDER BY rule_id, param, setting, local_authority""").fetchall()
    known = default_policy()
    out = []
    for s, la, rule_id, param, value, by, at in rows:
        if rule_id in known.rules and param in known.rules[rule_id].params:  # a retired rule is ignored
            out.append(Override(s, la, rule_id, param, json.loads(value), by, at))
    return out


def resolve(ovs: Iterable[Override], setting: str | None, local_authority: str | None) -> Policy:
    """The values in force for one setting and authority, each with the layer it came from."""
    policy = default_policy()
    values = _defaults(policy)
    sources = {r: {n: "default" for n in v} for r, v in values.items()}
    index = {(o.setting, o.local_authority, o.rule_id, o.param): o for o in ovs}
    s, la = setting or ANY, local_authority or ANY
    for layer, key in LAYERS:
        ks, kla = key(s, la)
        if (layer == "setting" and not s) or (layer == "local_authority" and not la) or \
                (layer == "setting_local_authority" and not (s and la)):
            continue
        for p in policy.all_params():
            o = index.get((ks, kla, p.rule_id, p.name))
            if o is not None:
                values[p.rule_id][p.name] = o.value
                sources[p.rule_id][p.name] = layer
    return Policy(setting, local_authority, values, sources)


def load_policy(cur: duckdb.DuckDBPyConnection, setting: str | None = None, local_authority: str | None = None) -> Policy:
    """The policy in force for a setting (None: every setting) and a local authority (None: no particular one)."""
    return resolve(overrides(cur), setting, local_authority)


def in_force(cur: duckdb.DuckDBPyConnection, rule_id: str, name: str, settings: Iterable[str] | None = None) -> str:
    """A parameter's value in force as a user reads it ('6 weeks'), for the settings in scope (None: every setting):
    the one value, or each value where settings or councils differ ('6 weeks or 8 weeks'). For help texts and
    captions, so a page never states a default that a setting has changed."""
    p = default_policy().param(rule_id, name)
    ovs = overrides(cur)
    mine = [o for o in ovs if (o.rule_id, o.param) == (rule_id, name)]
    chosen = [ANY, *sorted({o.setting for o in mine} - {ANY})] if settings is None else list(settings) or [ANY]
    las = [ANY, *sorted({o.local_authority for o in mine} - {ANY})]
    values = {json.dumps(resolve(ovs, s, la).values[rule_id][name]) for s in chosen for la in las}
    order = sorted((json.loads(v) for v in values), key=lambda v: (0, v, "") if isinstance(v, int | float) else (1, 0, str(v)))
    texts = [p.describe(v) for v in order]
    return " or ".join(texts)


def _check_all(ovs: list[Override], changed: str) -> None:
    """Refuse a set of overrides if any setting/authority combination ends up inconsistent."""
    settings = {ANY} | {o.setting for o in ovs}
    las = {ANY} | {o.local_authority for o in ovs}
    for s, la in product(settings, las):
        _check_cross(resolve(ovs, s, la).values, changed)


def set_override(
    cur: duckdb.DuckDBPyConnection,
    rule_id: str,
    param: str,
    value: Any,
    *,
    setting: str | None = None,
    local_authority: str | None = None,
    user: str | None,
) -> Any:
    """Override one parameter for a setting (None: all settings) and/or a local authority; validated, audited.

    Returns the value stored (coerced to the parameter's type). Raises PolicyError naming the field.
    """
    p = default_policy().param(rule_id, param)
    clean = p.check(value)
    s, la = (setting or ANY).strip(), (local_authority or ANY).strip()
    current = overrides(cur)
    old = next((o for o in current if (o.setting, o.local_authority, o.rule_id, o.param) == (s, la, rule_id, param)), None)
    candidate = [o for o in current if o is not old] + [Override(s, la, rule_id, param, clean)]
    _check_all(candidate, p.field)
    _write(cur, "set", p, s, la, old, clean, user)
    return clean


def clear_override(
    cur: duckdb.DuckDBPyConnection,
    rule_id: str,
    param: str,
    *,
    setting: str | None = None,
    local_authority: str | None = None,
    user: str | None,
) -> bool:
    """Remove an override so the next layer down applies again; audited. False if there was none."""
    p = default_policy().param(rule_id, param)
    s, la = (setting or ANY).strip(), (local_authority or ANY).strip()
    current = overrides(cur)
    old = next((o for o in current if (o.setting, o.local_authority, o.rule_id, o.param) == (s, la, rule_id, param)), None)
    if old is None:
        return False
    _check_all([o for o in current if o is not old], p.field)
    _write(cur, "clear", p, s, la, old, None, user)
    return True


def _write(cur: duckdb.DuckDBPyConnection, op: str, p: Param, s: str, la: str, old: Override | None, new: Any,
           user: str | None) -> None:
    if not _has_table(cur):
        raise PolicyError("This database has no table for rule changes yet.", field=p.field,
                          fix="Open it once with the dashboard or any `python -m senlib` command that writes, to upgrade it.")
    with store.transaction(cur):
        cur.execute("DELETE FROM rule_overrides WHERE setting = ? AND local_authority = ? AND rule_id = ? AND param = ?",
                    [s, la, p.rule_id, p.name])
        if op == "set":
            cur.execute("""INSERT INTO rule_overrides (setting, local_authority, rule_id, param, value, changed_by)
                           VALUES (?, ?, ?, ?, ?, ?)""", [s, la, p.rule_id, p.name, json.dumps(new), user])
        store.audit(cur, "rule_change", user, {
            "rule": p.rule_id, "param": p.name, "operation": op, "setting": s or None, "local_authority": la or None,
            "old": None if old is None else old.value, "new": new, "default": p.value,
        })


# ---------------------------------------------------------------- views of the policy


def policy_table(cur: duckdb.DuckDBPyConnection, *, viewer: Viewer) -> pd.DataFrame:
    """Every rule in force with each parameter: one row for the default, one per override (staff only; for a viewer
    limited to some settings, the overrides of those settings and those for every setting).

    Columns: rule_id, group, title, summary (with default values), source, param, label, type, unit,
    value (as stored), shown (as a user reads it), default_shown, origin (POLICY_SOURCES key),
    origin_label, setting, local_authority (None for 'any'), changed_by, changed_at. A rule without
    parameters has one row with param None.
    """
    policy = default_policy()
    defaults = resolve([], None, None)
    by_rule: dict[str, list[Override]] = {}
    require_staff(viewer)
    for o in overrides(cur):
        if not o.setting or viewer.may_see_setting(o.setting):
            by_rule.setdefault(o.rule_id, []).append(o)
    rows = []
    for rule in policy.rules.values():
        base = {"rule_id": rule.id, "group": rule.group, "title": rule.title, "summary": defaults.summary(rule.id),
                "source": rule.source}
        if not rule.params:
            rows.append({**base, "param": None, "label": None, "type": None, "unit": None, "value": None, "shown": None,
                         "default_shown": None, "origin": "default", "origin_label": POLICY_SOURCES["default"],
                         "setting": None, "local_authority": None, "changed_by": None, "changed_at": None})
        for p in rule.params.values():
            common = {**base, "param": p.name, "label": p.label, "type": p.type, "unit": p.unit,
                      "default_shown": p.describe(p.value)}
            rows.append({**common, "value": p.value, "shown": p.describe(p.value), "origin": "default",
                         "origin_label": POLICY_SOURCES["default"], "setting": None, "local_authority": None,
                         "changed_by": None, "changed_at": None})
            for o in by_rule.get(rule.id, []):
                if o.param == p.name:
                    rows.append({**common, "value": o.value, "shown": p.describe(o.value), "origin": o.layer,
                                 "origin_label": POLICY_SOURCES[o.layer], "setting": o.setting or None,
                                 "local_authority": o.local_authority or None, "changed_by": o.changed_by,
                                 "changed_at": o.changed_at})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class PolicyRelation:
    """Every parameter in force for each (setting key, authority key), as a table the SQL joins.

    A pupil's keys are its setting / authority when some override names them, else '' (ANY).
    """

    table: pa.Table
    settings: list[str]
    local_authorities: list[str]
    lookback: int  # the most reviews any escalation rule looks back over, in any layer
    score_window: int  # the most scores stalled_outcome looks back over, in any layer


def policy_relation(cur: duckdb.DuckDBPyConnection) -> PolicyRelation:
    """The policy as rows, one per combination of the settings and authorities named by overrides."""
    ovs = overrides(cur)
    settings = sorted({o.setting for o in ovs} - {ANY})
    las = sorted({o.local_authority for o in ovs} - {ANY})
    params = default_policy().all_params()
    cols: dict[str, list] = {"setting_key": [], "la_key": []}
    for p in params:
        cols[p.column] = []
    for p in params:
        cols[p.column + "__text"] = []
    for s, la in product([ANY, *settings], [ANY, *las]):
        pol = resolve(ovs, s, la)
        cols["setting_key"].append(s)
        cols["la_key"].append(la)
        for p in params:
            value = pol.values[p.rule_id][p.name]
            cols[p.column].append(value)
            cols[p.column + "__text"].append(p.describe(value))  # as the sentences show it: '6 weeks
    types = {"int": pa.int32(), "float": pa.float64(), "year_groups": pa.list_(pa.string()), "year_group": pa.string(),
             "month_day": pa.string(), "decisions": pa.list_(pa.string())}
    schema = pa.schema([("setting_key", pa.string()), ("la_key", pa.string())] + [(p.column, types[p.type]) for p in params]
                       + [(p.column + "__text", pa.string()) for p in params])
    lookback = max([1] + [v for p in params if p.group_reviews for v in cols[p.column]])
    score_window = max([2, *cols["stalled_outcome__scores"]])
    return PolicyRelation(pa.table(cols, schema=schema), settings, las, lookback, score_window)
