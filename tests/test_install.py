"""`pip install .` gives a `senlib` command that works from any folder, with its data and its own database folder.

How the fresh environment is built, and why (about 5 s, no network):

- `python -m venv --without-pip` makes an empty virtual environment in tmp_path. `--system-site-packages` would
  not do: created from this .venv's interpreter, it exposes the *base* Python's site-packages (pyvenv.cfg's
  `home`), not .venv's, so duckdb, pandas... would be missing. Instead a `.pth` file in the new environment's
  site-packages names .venv's site-packages: Python appends it to sys.path *after* the new environment's own
  site-packages, so the dependencies (and pip, setuptools, wheel) come from .venv while the senlib that is
  imported is the one installed here (checked below).
- `pip install --no-deps --no-build-isolation --no-index --ignore-installed SRC` builds the wheel with .venv's
  setuptools (pinned in requirements-dev.txt: a venv of Python 3.12+, or one made --without-pip, has none, and
  3.11's bundled 65.5 cannot build a wheel without `wheel`) instead of fetching build dependencies from PyPI, installs
  it into the new environment only (`--ignore-installed`: never looks at .venv's packages), and creates
  `bin/senlib` from `[project.scripts]`.
- SRC is a copy of what the build reads (pyproject.toml, README.md, senlib/), because setuptools writes
  build/ and *.egg-info beside pyproject.toml: building the repository itself would leave them in the
  working tree (and race with a build in another test process).

A normal `pip install .` with build isolation (setuptools from PyPI) is the same build; it was checked by
hand (see the commit that added this file).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from senlib import store

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-11-23"

pytestmark = pytest.mark.slow


def _requirements(text: str) -> dict[str, str]:
    """{distribution name: version spec} of requirement lines (comments and -r lines skipped)."""
    out = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        name, spec = re.match(r"([A-Za-z0-9_.-]+)(?:\[[^]]*\])?\s*(.*)", line).groups()
        out[name.lower()] = spec
    return out


def test_package_dependencies_are_the_pinned_runtime_requirements():
    """pyproject's dependencies are requirements.txt's pins (what `make run` and `make test` use) less streamlit,
    which only the dashboard (app.py, pages/, ui/, not packaged) imports."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = _requirements("\n".join(project["dependencies"]))
    pinned = _requirements((ROOT / "requirements.txt").read_text())
    assert declared == {name: spec for name, spec in pinned.items() if name != "streamlit"}
    assert project["scripts"] == {"senlib": "senlib.cli:main"}


def test_checkout_keeps_its_own_default_database():
    assert store.CHECKOUT == ROOT
    assert store.DEFAULT_DB == ROOT / "data" / "caseload.duckdb"


def test_build_leftovers_are_ignored_by_git():
    ignored = subprocess.run(["git", "check-ignore", "build/lib/x.py", "dist/x.whl", "sen_caseload.egg-info/PKG-INFO"],
                             cwd=ROOT, capture_output=True, text=True)
    if ignored.returncode == 128:
        pytest.skip(f"not a git checkout: {ignored.stderr.strip()}")
    assert ignored.stdout.split() == ["build/lib/x.py", "dist/x.whl", "sen_caseload.egg-info/PKG-INFO"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv folder, an empty folder elsewhere to run from, environment): senlib installed with `pip install`."""
    base = tmp_path_factory.mktemp("install")
    src = base / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "senlib", src / "senlib", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))

    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    py = venv / "bin" / "python"
    site = Path(subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    (site / "outer-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("SENLIB_DB", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(HOME=str(base / "home"), XDG_DATA_HOME=str(base / "xdg"), PIP_DISABLE_PIP_VERSION_CHECK="1")
    pip = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
                          "--ignore-installed", str(src)], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=180)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    return venv, elsewhere, env


def _run(installed, *args, env=None, **kw):
    venv, elsewhere, base_env = installed
    return subprocess.run(args, cwd=elsewhere, env={**base_env, **(env or {})}, capture_output=True, text=True, timeout=120, **kw)


def test_senlib_command_works_from_another_folder(installed, tmp_path):
    venv = installed[0]
    senlib = str(venv / "bin" / "senlib")
    db = tmp_path / "school.duckdb"
    demo = _run(installed, senlib, "demo", "--db", str(db), "--pupils", "30", "--as-of", AS_OF)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    status = _run(installed, senlib, "status", "--db", str(db), "--as-of", AS_OF)
    assert status.returncode == 0, status.stdout + status.stderr
    assert f"30 pupils in 3 settings ({db})" in status.stdout
    assert "Overdue" in status.stdout and "Flags raised" in status.stdout
    usage = _run(installed, senlib, "status", "--help")
    assert usage.stdout.startswith("usage: senlib status")


def test_installed_package_has_its_data_and_a_per_user_database(installed):
    venv, elsewhere, env = installed
    probe = ("import json, sysconfig, senlib; from senlib import store; from senlib.rules import policy; "
             "print(json.dumps({'package': senlib.__file__, 'site': sysconfig.get_paths()['purelib'], "
             "'policy': str(policy.POLICY_FILE), 'policy_exists': policy.POLICY_FILE.is_file(), "
             "'checkout': store.CHECKOUT and str(store.CHECKOUT), 'default': str(store.DEFAULT_DB)}))")
    r = _run(installed, str(venv / "bin" / "python"), "-c", probe)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    site = Path(got["site"])
    assert Path(got["package"]).is_relative_to(site), "the senlib imported is not the installed one"
    assert got["policy_exists"] and Path(got["policy"]).is_relative_to(site)
    assert got["checkout"] is None
    assert Path(got["default"]) == Path(env["XDG_DATA_HOME"]) / "senlib" / "caseload.duckdb"
    assert not Path(got["default"]).is_relative_to(venv)

    r = _run(installed, str(venv / "bin" / "python"), "-c", probe, env={"XDG_DATA_HOME": ""})
    assert Path(json.loads(r.stdout)["default"]) == Path(env["HOME"]) / ".local" / "share" / "senlib" / "caseload.duckdb"


def test_installed_command_uses_the_per_user_database_unless_told(installed, tmp_path):
    venv, elsewhere, env = installed
    senlib = str(venv / "bin" / "senlib")
    default = Path(env["XDG_DATA_HOME"]) / "senlib" / "caseload.duckdb"
    demo = _run(installed, senlib, "demo", "--pupils", "20", "--as-of", AS_OF)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert default.is_file()
    assert re.search(rf"20 pupils in \d settings \({re.escape(str(default))}\)", _run(installed, senlib, "status", "--as-of", AS_OF).stdout)

    other = tmp_path / "other.duckdb"
    assert _run(installed, senlib, "demo", "--pupils", "10", "--as-of", AS_OF, env={"SENLIB_DB": str(other)}).returncode == 0
    status = _run(installed, senlib, "status", "--as-of", AS_OF, env={"SENLIB_DB": str(other)})
    assert re.search(rf"10 pupils in \d settings \({re.escape(str(other))}\)", status.stdout), status.stdout
    assert not list(elsewhere.iterdir()), "a command wrote into the folder it was run from"
