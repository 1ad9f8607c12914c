"""The sample project of the `affected` tests: a package, its tests, a conftest.py in a
subfolder, a test that executes no measured line; indexed once per module by a real
instrumented run, copied for each test."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import commit_all, git, write_files

from tasks.affected.model import CommitRange, Selection
from tasks.affected.select import select
from tasks.artifacts import Artifacts
from tasks.artifacts.coverage import wait_for_reports
from tasks.config import load_config
from tasks.console import Console
from tasks.run.step import run_step

PYTHON = Path(sys.executable)

PROJECT = {
    "pyproject.toml": """
        [tool.phasegate]
        venv = "none"
        runs = 1
        rerun_budget = 0
        source = ["pkg"]

        [tool.pytest.ini_options]
        testpaths = ["tests"]
    """,
    "README.md": "# sample\n",
    "pkg/__init__.py": "",
    "pkg/data.json": "{}\n",
    "pkg/calc.py": """
        RATE = 2


        def add(a, b):
            return a + b


        def double(x):
            return x * RATE


        def unused(x):
            return x
    """,
    "tests/conftest.py": """
        import pytest


        @pytest.fixture
        def two():
            return 2
    """,
    "tests/test_calc.py": """
        from pkg.calc import add, double


        def test_add(two):
            assert add(1, two) == 3


        def test_double():
            assert double(2) == 4
    """,
    "tests/test_const.py": """
        from pkg import calc


        def test_rate():
            assert calc.RATE == 2
    """,
    "tests/sub/conftest.py": "",
    "tests/sub/test_sub.py": """
        from pkg.calc import add


        def test_sub():
            assert add(2, 2) == 4
    """,
}
KNOWN = 4


def indexed(project: Path, repo: Path | None = None) -> None:
    """Commit the project (in `repo`, its own by default), run it once instrumented and wait
    for its impact index."""
    commit_all(repo or project, "base")
    config = load_config(project, env={})
    assert config.project == project.resolve()
    run_step(config, PYTHON, Console(quiet=True))
    assert wait_for_reports(Artifacts(config.reports_dir), project) is None


@pytest.fixture(scope="module")
def _indexed_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = write_files(tmp_path_factory.mktemp("affected") / "proj", PROJECT)
    (project / ".gitignore").write_text(".phasegate/\n__pycache__/\n")
    indexed(project)
    return project


@pytest.fixture
def project(_indexed_once: Path, tmp_path: Path) -> Path:
    """A fresh copy of the indexed project (with its repository and reports)."""
    return Path(shutil.copytree(_indexed_once, tmp_path / "proj", symlinks=True))


Commit = Callable[..., Selection]


@pytest.fixture
def change(project: Path) -> Commit:
    """Commit `files` (text; None deletes) on top of HEAD and select for that one commit."""

    def commit(files: dict[str, str | None], budget: float | None = None) -> Selection:
        for name, text in files.items():
            if text is None:
                (project / name).unlink()
        write_files(project, {k: v for k, v in files.items() if v is not None})
        base = git(project, "rev-parse", "HEAD")
        head = commit_all(project, "change")
        return select(load_config(project, env={}), [CommitRange(base, head)], budget=budget)

    return commit
