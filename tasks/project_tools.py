"""What the project's own pytest and coverage configuration say, read the way those tools
find it (first config file that has their section wins), for the few decisions phasegate
makes before it starts them. A file that cannot be parsed counts as saying nothing: the tool
itself will report it."""

from __future__ import annotations

import configparser
import shlex
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

# coverage.py's own order of config files, and the section each keeps [run] in.
COVERAGE_FILES = (
    (".coveragerc", "run"),
    ("setup.cfg", "coverage:run"),
    ("tox.ini", "coverage:run"),
)
# pytest's own order of ini files, and the section of each.
PYTEST_FILES = (("pytest.ini", "pytest"), (".pytest.ini", "pytest"), ("tox.ini", "pytest"))
XDIST_FLAGS = ("-n", "--numprocesses", "--dist", "-d", "--tx", "--looponfail", "-f")


def _toml(project: Path) -> Mapping[str, Any]:
    try:
        return tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}


def _ini(path: Path, section: str) -> dict[str, str] | None:
    if not path.is_file():
        return None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return None
    return dict(parser[section]) if parser.has_section(section) else None


def coverage_run_options(project: Path) -> dict[str, Any]:
    """The project's coverage [run] options ({} when it has none)."""
    for name, section in COVERAGE_FILES:
        found = _ini(project / name, section)
        if found is not None:
            return found
    run = _toml(project).get("tool", {}).get("coverage", {}).get("run", {})
    return dict(run) if isinstance(run, dict) else {}


def pytest_addopts(project: Path) -> list[str]:
    """The project's pytest `addopts` (pytest.ini, pyproject.toml, tox.ini, setup.cfg)."""
    for name, section in PYTEST_FILES[:2]:
        found = _ini(project / name, section)
        if found is not None:
            return shlex.split(found.get("addopts", ""))
    options = _toml(project).get("tool", {}).get("pytest", {}).get("ini_options")
    if isinstance(options, dict):
        addopts = options.get("addopts", [])
        return shlex.split(addopts) if isinstance(addopts, str) else [str(a) for a in addopts]
    for name, section in (("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        found = _ini(project / name, section)
        if found is not None:
            return shlex.split(found.get("addopts", ""))
    return []


def uses_xdist(args: Sequence[str]) -> bool:
    """Whether pytest arguments spread the run over pytest-xdist workers (`-n 0` does not)."""
    for i, arg in enumerate(args):
        value = args[i + 1] if i + 1 < len(args) else ""
        if arg in ("-n", "--numprocesses"):
            return value not in ("0", "")
        if arg.startswith("--numprocesses="):
            return arg.partition("=")[2] != "0"
        if arg.startswith("-n") and len(arg) > 2:
            return arg[2:] != "0"
        if arg in XDIST_FLAGS or any(arg.startswith(f"{f}=") for f in XDIST_FLAGS[1:]):
            return True
    return False
