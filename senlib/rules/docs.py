"""docs/rules.md, generated from the policy: every rule with its id, group, sentence, parameters and source.

    make rules-doc                      (or: python -m senlib.rules.docs [PATH], default docs/rules.md)

`markdown(policy)` is the text; a test fails when docs/rules.md differs from it (regenerate with the command
above). The file is never edited by hand: change policy.toml (words, parameters, sources) or registry.py
(conditions) and regenerate.
"""

from __future__ import annotations

import sys
from pathlib import Path

from senlib.core.names import PLAN_TYPES, POLICY_SOURCES, RULE_GROUPS
from senlib.rules.policy import CROSS_CHECKS, Policy, default_policy, quantity, resolve

RULES_DOC = Path("docs") / "rules.md"
REGENERATE = "make rules-doc"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _bounds(p) -> str:
    if p.min is None and p.max is None:
        return ""
    if p.min is not None and p.max is not None:
        return f"{quantity(p.min, p.unit)} to {quantity(p.max, p.unit)}"
    return f"at least {quantity(p.min, p.unit)}" if p.min is not None else f"at most {quantity(p.max, p.unit)}"


def markdown(policy: Policy | None = None) -> str:
    """The rules of `policy` (None: the shipped defaults) as a Markdown document."""
    policy = policy or resolve([], None, None)
    rules = default_policy().rules
    layers = ", ".join(v.lower() for k, v in POLICY_SOURCES.items() if k != "default")
    out = [
        "# The review rules",
        "",
        f"Generated from `senlib/rules/policy.toml` by `senlib.rules.docs.markdown`; do not edit: run `{REGENERATE}`.",
        "",
        "Each rule is one record: its words, parameters and source are in `senlib/rules/policy.toml`, the SQL "
        "condition that decides when it applies or fires is its entry in `senlib/rules/registry.py` "
        "(`python -m senlib status --sql` prints the whole statement). Local-authority guidance pages cited are in "
        "[docs/guidance/](guidance/README.md).",
        "",
        "**Where a value can be overridden.** A parameter's value can be changed on the Rules page by a SENCo or "
        f"senior leader, in layers from the least to the most specific ({layers}); the most specific layer "
        "wins. Overrides are stored in the database table `rule_overrides`, each change checked against the "
        "parameter's bounds and audited. A rule with no parameters cannot be changed there.",
        "",
    ]
    for group, heading in RULE_GROUPS.items():
        in_group = [r for r in rules.values() if r.group == group]
        if not in_group:
            continue
        out += [f"## {heading}", ""]
        for rule in in_group:
            out += [f"### `{rule.id}`: {rule.title}", ""]
            out += [f"- **Group:** {group} ({heading})",
                    f"- **Applies to:** {', '.join(PLAN_TYPES.get(p, p) for p in rule.plans)}",
                    f"- **Rule:** {policy.summary(rule.id)}",
                    f"- **Source:** {rule.source}"]
            if rule.needs:
                out.append(f"- **Needs the fields:** {', '.join(f'`{f}`' for f in rule.needs)}"
                           " (a setting whose trackers have none of a field's column: the rule does not fire there)")
            if rule.params:
                out.append(f"- **Can be overridden:** on the Rules page, per setting and per local authority "
                           f"(`{rule.id}.<parameter>`)")
            else:
                out.append("- **Can be overridden:** no (the rule has no parameters)")
            out.append("")
            if rule.params:
                out += ["| Parameter | Value | Allowed | What it is |", "|---|---|---|---|"]
                for p in rule.params.values():
                    value = p.describe(policy.value(rule.id, p.name))
                    out.append(f"| `{p.name}` | {_cell(value)} | {_cell(_bounds(p))} | {_cell(p.label)} |")
                out.append("")
            if rule.check_needs:
                out += ["Checks: " + ", ".join(f"`{c}`" for c in rule.check_needs) + ".", ""]
            if rule.say:
                out += ["What a user reads about one pupil ({placeholders} are filled from the pupil's own dates):", ""]
                out += [f"- `{key}`: {text}" for key, text in rule.say.items()]
                out.append("")
    out += ["## Values checked together", "",
            "A change is refused where it would leave the rules inconsistent:", ""]
    out += [f"- `{must}`: {why}" for must, _fields, _test, why in CROSS_CHECKS]
    return "\n".join(out).rstrip() + "\n"


def write(path: Path | str = RULES_DOC) -> Path:
    """Write the document for the shipped policy to `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown(), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print(f"wrote {write(args[0] if args else RULES_DOC)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
