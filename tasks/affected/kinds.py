"""What kind of file a changed path is, for the selection: configuration, a test file, a
conftest.py, Python source, a data file inside a package, or something no test reads."""

from __future__ import annotations

import enum
import fnmatch
from collections.abc import Collection
from pathlib import Path

# Files that decide how the tests run or what they run against: any change runs everything.
CONFIG_NAMES = frozenset(
    {
        "pyproject.toml",
        "setup.cfg",
        "setup.py",
        "tox.ini",
        "pytest.ini",
        ".coveragerc",
        "noxfile.py",
        "Pipfile",
        "Pipfile.lock",
        "poetry.lock",
        "pdm.lock",
        "uv.lock",
    }
)
CONFIG_GLOBS = ("requirements*.txt", "requirements*.in", "constraints*.txt", "*.lock")
TEST_FILE_GLOBS = ("test_*.py", "*_test.py")


class Kind(enum.StrEnum):
    CONFIG = "config"
    CONFTEST = "conftest"
    TEST = "test"
    PYTHON = "python"
    PACKAGE_DATA = "package data"
    TEST_DATA = "test data"
    OTHER = "other"


def is_config(name: str) -> bool:
    return name in CONFIG_NAMES or any(fnmatch.fnmatch(name, g) for g in CONFIG_GLOBS)


def in_package(path: Path, project: Path) -> bool:
    """Whether a folder holding `path` (inside the project) is a package (has __init__.py)."""
    folder = path.parent
    while folder != project and folder.is_relative_to(project):
        if (folder / "__init__.py").is_file():
            return True
        folder = folder.parent
    return False


def test_folder(path: Path, test_dirs: Collection[Path], project: Path) -> Path | None:
    """The outermost folder holding `path` that holds known tests (None: not among tests)."""
    found = None
    folder = path.parent
    while folder.is_relative_to(project) and folder != project:
        if folder in test_dirs:
            found = folder
        folder = folder.parent
    return found


def classify(
    path: Path, project: Path, test_files: Collection[Path], test_dirs: Collection[Path]
) -> Kind:
    """The kind of the changed file `path` (absolute) of the project at `project`. A
    configuration file counts in the project or any folder above it (a monorepo's root)."""
    if not path.is_relative_to(project):
        return (
            Kind.CONFIG
            if project.is_relative_to(path.parent) and is_config(path.name)
            else Kind.OTHER
        )
    if (path.parent == project and is_config(path.name)) or path.parent == project / "requirements":
        return Kind.CONFIG
    if path.name == "conftest.py":
        return Kind.CONFTEST
    if path in test_files or (
        path.suffix == ".py" and any(fnmatch.fnmatch(path.name, g) for g in TEST_FILE_GLOBS)
    ):
        return Kind.TEST
    if path.suffix == ".py":
        return Kind.PYTHON
    if test_folder(path, test_dirs, project) is not None:
        return Kind.TEST_DATA
    if in_package(path, project):
        return Kind.PACKAGE_DATA
    return Kind.OTHER
