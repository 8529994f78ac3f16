"""Sentences a user reads, built in SQL from each pupil's own dates.

The wording lives in policy.toml (`say`); this module turns a template such as
"{plan} {since}; must be reviewed within {months}; {overdue_by} overdue" into one SQL
expression, so a million explanations are built in the same pass as the statuses.
A placeholder is either one of the rule's own parameters (shown with its unit) or a
field the calling query provides.
"""

from __future__ import annotations

from string import Formatter

from senlib.rules.policy import Param, PolicyError, Rule

DATE_FORMAT = "%-d %b %Y"  # 3 Sep 2025


def lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def date_text(expr: str) -> str:
    """SQL: a date as '3 Sep 2025'."""
    return f"strftime({expr}, '{DATE_FORMAT}')"


def number_text(expr: str) -> str:
    """SQL: a number as a user reads it, with no trailing '.0': '88', '4.5', '1013.33' (six significant figures)."""
    return f"format('{{:g}}', CAST({expr} AS DOUBLE))"


def money_text(expr: str) -> str:
    """SQL: an amount of money to the penny: '£6,090.00'."""
    return f"('£' || format('{{:,.2f}}', CAST({expr} AS DOUBLE)))"


def count_text(expr: str, unit: str) -> str:
    """SQL: a count with its unit, singular for one: '1 day', '81 days'."""
    singular = unit[:-1] if unit.endswith("s") else unit
    return f"(CAST({expr} AS VARCHAR) || CASE WHEN ({expr}) = 1 THEN ' {singular}' ELSE ' {unit}' END)"


def dates_text(list_expr: str) -> str:
    """SQL: a list of dates as '3 Mar 2026, 10 Jul 2026' (oldest first)."""
    return f"array_to_string(list_transform(list_reverse({list_expr}), lambda d: {date_text('d')}), ', ')"


def param_text(p: Param, alias: str) -> str:
    """SQL: a parameter in force, as a user reads it ('6 weeks', 'N2, 6, 11', '15 February'): the text column
    the policy relation carries for it (policy.policy_relation renders it with Param.describe)."""
    return f"{alias}.{p.column}__text"


def placeholders(template: str) -> list[str]:
    """The {names} a template uses."""
    return [name for _, name, _, _ in Formatter().parse(template) if name]


def compile_sentence(template: str, fields: dict[str, str], rule: Rule | None = None, alias: str = "pol",
                     where: str = "") -> str:
    """SQL expression for a sentence template; PolicyError naming the template if a placeholder is unknown."""
    parts: list[str] = []
    for literal, name, _spec, _conv in Formatter().parse(template):
        if literal:
            parts.append(lit(literal))
        if name is None:
            continue
        if rule is not None and name in rule.params:
            parts.append(param_text(rule.params[name], alias))
        elif name in fields:
            parts.append(f"coalesce({fields[name]}, 'not recorded')")
        else:
            raise PolicyError(f"The sentence '{template}' uses an unknown placeholder {{{name}}}.",
                              field=where or (rule.id if rule else "sentence"),
                              fix=f"Use one of: {', '.join(sorted([*fields, *(rule.params if rule else [])]))}.")
    return "concat(" + ", ".join(parts or ["''"]) + ")"
