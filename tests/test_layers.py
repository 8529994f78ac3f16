"""senlib's folders are its layers, and imports only go down them.

The rule: senlib never imports streamlit, and a module imports only from its own layer or the layers before it,
in this order: core, access, store, rules, importer, render, documents, views, cli. (Imports under `if TYPE_CHECKING:` are
for type hints only and do not count.)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SENLIB = ROOT / "senlib"
LAYERS = ("core", "access", "store", "rules", "importer", "render", "documents", "views", "cli")
TOP_LEVEL = {"__init__.py", "__main__.py"}  # the package and `python -m senlib` (the command line)


def layer_of(module: str) -> str | None:
    """'senlib.views.pupil' -> 'views'; `python -m senlib` is the command line; None outside senlib."""
    parts = module.split(".")
    if parts[0] != "senlib" or len(parts) == 1:  # senlib/__init__.py is a docstring: importing it imports nothing
        return None
    return "cli" if parts[1] == "__main__" else parts[1]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(source: str, module: str, is_package: bool = False) -> list[str]:
    """The modules `source` imports at run time (absolute names), leaving out `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(source)
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for child in node.body for n in ast.walk(child)}
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append(name)
            found += [f"{name}.{a.name}" for a in node.names]  # `from senlib import views` imports a layer
    return found


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    """What `module` imports against the rule."""
    own = layer_of(module)
    out = []
    for name in imports(source, module, is_package):
        if name.split(".")[0] == "streamlit":
            out.append(f"{module} imports {name}: senlib never imports streamlit")
            continue
        target = layer_of(name)
        if target is None or target not in LAYERS:
            continue
        if LAYERS.index(target) > LAYERS.index(own):
            out.append(f"{module} ({own}) imports {name} ({target}), a higher layer")
    return out


SOURCES = sorted(SENLIB.rglob("*.py"))


def test_every_module_is_in_a_layer():
    loose = [str(p.relative_to(SENLIB)) for p in SOURCES if p.parent == SENLIB and p.name not in TOP_LEVEL]
    assert loose == [], "put each module in the folder of its layer: " + ", ".join(LAYERS)
    folders = sorted({p.relative_to(SENLIB).parts[0] for p in SOURCES if p.parent != SENLIB})
    assert folders == sorted(LAYERS)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(SENLIB)))
def test_imports_go_down_the_layers(path):
    module = _module_name(path)
    assert violations(path.read_text(encoding="utf-8"), module, path.name == "__init__.py") == []


def test_the_check_catches_an_import_up_or_of_streamlit():
    assert violations("from senlib.views import pupil\n", "senlib.rules.flags") == [
        "senlib.rules.flags (rules) imports senlib.views (views), a higher layer",
        "senlib.rules.flags (rules) imports senlib.views.pupil (views), a higher layer"]
    assert violations("import streamlit as st\n", "senlib.render.charts") == [
        "senlib.render.charts imports streamlit: senlib never imports streamlit"]
    assert violations("from ..cli import command\n", "senlib.importer.load") == [
        "senlib.importer.load (importer) imports senlib.cli (cli), a higher layer",
        "senlib.importer.load (importer) imports senlib.cli.command (cli), a higher layer"]
    assert violations("from senlib import store\n", "senlib.core.names") == [
        "senlib.core.names (core) imports senlib.store (store), a higher layer"]
    # Down is allowed, and a type hint is not an import.
    assert violations("from senlib.core.names import NEEDS\nfrom senlib import access\n", "senlib.views.pupil") == []
    assert violations("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from senlib.store.lockholder import Holder\n",
                      "senlib.core.errors") == []


def test_the_readme_layout_lists_the_layers_in_order():
    """The README's Layout section names each layer folder of senlib, in the order imports may go."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Layout"):]
    section = section[: section.index("```", section.index("```") + 3)]
    listed = [line.split()[0].rstrip("/") for line in section.splitlines() if line.startswith("  ") and line.split()[0].endswith("/")]
    assert listed == list(LAYERS)
    top = {line.split()[0].rstrip("/") for line in section.splitlines() if line[:1].isalpha()}
    assert {"app.py", "pages", "ui", "senlib", "docs", "tests", "benchmarks"} <= top
    assert all((ROOT / name).exists() for name in top - {"data"})
